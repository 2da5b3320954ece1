//! Which language a file is in, from its path.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    Rust,
    Dockerfile,
    /// A GitHub Actions workflow (`.github/workflows/*.yml`).
    Workflow,
    /// A Docker compose file.
    Compose,
    /// Any other YAML.
    Yaml,
    /// `.env` and its variants.
    Env,
    /// HTML templates (Jinja, Django).
    Template,
}

impl Lang {
    pub fn of(path: &Path) -> Option<Lang> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if name == "dockerfile"
            || name == "containerfile"
            || name.starts_with("dockerfile.")
            || name.ends_with(".dockerfile")
            || name.ends_with(".containerfile")
        {
            return Some(Lang::Dockerfile);
        }
        if name == ".env" || (name.starts_with(".env.") && !is_env_template(&name)) || ext == "env" {
            return Some(Lang::Env);
        }
        Some(match ext.as_str() {
            "py" | "pyw" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" => Lang::Go,
            "rs" => Lang::Rust,
            "yml" | "yaml" => {
                let unix = path.to_string_lossy().replace('\\', "/");
                if unix.contains(".github/workflows/") {
                    Lang::Workflow
                } else if name.starts_with("compose.")
                    || name.starts_with("docker-compose")
                    || name.ends_with(".compose.yml")
                    || name.ends_with(".compose.yaml")
                {
                    Lang::Compose
                } else {
                    Lang::Yaml
                }
            }
            "html" | "htm" | "jinja" | "jinja2" | "j2" | "djhtml" => Lang::Template,
            _ => return None,
        })
    }

    /// The tree-sitter grammar, for languages parsed into a syntax tree.
    pub fn grammar(self) -> Option<tree_sitter::Language> {
        Some(match self {
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::Go => tree_sitter_go::LANGUAGE.into(),
            Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
            Lang::Dockerfile => tree_sitter_containerfile::LANGUAGE.into(),
            Lang::Workflow | Lang::Compose | Lang::Yaml => tree_sitter_yaml::LANGUAGE.into(),
            Lang::Env | Lang::Template => return None,
        })
    }

    /// Parses `text`; `None` when the language has no grammar. Each thread keeps one parser
    /// per language.
    pub fn parse(self, text: &str) -> Option<tree_sitter::Tree> {
        thread_local! {
            static PARSERS: std::cell::RefCell<std::collections::HashMap<Lang, tree_sitter::Parser>> =
                std::cell::RefCell::new(std::collections::HashMap::new());
        }
        let grammar = self.grammar()?;
        PARSERS.with(|parsers| {
            let mut parsers = parsers.borrow_mut();
            let parser = match parsers.entry(self) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let mut parser = tree_sitter::Parser::new();
                    parser.set_language(&grammar).ok()?;
                    e.insert(parser)
                }
            };
            parser.parse(text, None)
        })
    }
}

/// `.env.example` and friends hold placeholders by design.
fn is_env_template(name: &str) -> bool {
    ["example", "sample", "template", "dist", "defaults"].iter().any(|s| name.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_from_paths() {
        let cases = [
            ("app/main.py", Some(Lang::Python)),
            ("web/App.tsx", Some(Lang::Tsx)),
            ("src/x.mjs", Some(Lang::JavaScript)),
            ("Dockerfile", Some(Lang::Dockerfile)),
            ("docker/api.Dockerfile", Some(Lang::Dockerfile)),
            (".github/workflows/ci.yml", Some(Lang::Workflow)),
            ("compose.yaml", Some(Lang::Compose)),
            ("docker-compose.yml", Some(Lang::Compose)),
            ("config.yaml", Some(Lang::Yaml)),
            (".env", Some(Lang::Env)),
            (".env.production", Some(Lang::Env)),
            (".env.example", None),
            ("templates/index.html", Some(Lang::Template)),
            ("README.md", None),
        ];
        for (path, lang) in cases {
            assert_eq!(Lang::of(Path::new(path)), lang, "{path}");
        }
    }
}
