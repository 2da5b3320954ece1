//! Hard-coded secrets in any file: known key formats, and secret-named assignments whose
//! value looks random. `.env` files that git does not ignore.

use std::sync::LazyLock;

use regex::Regex;

use super::Cx;

/// Known key formats: (what, pattern). Checked in order; the first match at a place wins.
static KEYS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        (
            "a private key",
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----",
        ),
        ("an AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        (
            "an AWS secret access key",
            r#"(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b"#,
        ),
        ("a Stripe live secret key", r"\b(?:sk|rk)_live_[0-9A-Za-z]{20,}\b"),
        ("a Stripe webhook secret", r"\bwhsec_[0-9A-Za-z]{24,}\b"),
        ("an Anthropic API key", r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{40,}"),
        (
            "an OpenAI API key",
            r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b",
        ),
        ("a Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b"),
        ("a GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{60,}\b"),
        ("a Slack token", r"\bxox[baprse]-[A-Za-z0-9\-]{10,}"),
        (
            "a Slack webhook URL",
            r"https://hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+",
        ),
        ("a Google API key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
        ("a SendGrid API key", r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b"),
    ]
    .into_iter()
    .map(|(what, re)| (what, Regex::new(re).expect("valid key pattern")))
    .collect()
});

/// `NAME = "value"`, `name: value`, `NAME=value` where the name reads like a secret.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*(?:secret|passw(?:or)?d|passwd|pwd|token|api_?key|apikey|private_?key|access_?key|auth_?key|signing_?key|client_?secret|credentials?)[A-Za-z0-9_]*)["']?\s*(?::=|=|:)\s*(?P<q>["'`]?)(?P<value>[^"'`\s,;)#}]{8,})(?P<q2>["'`]?)"#,
    )
    .expect("valid assignment pattern")
});

/// Values that are obviously not real secrets.
fn placeholder(value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    v.starts_with('$')
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with('<')
        || v.starts_with('{')
        || v.starts_with('%')
        || v.contains("${")
        || v.contains("{{")
        || v.contains("example")
        || v.contains("change")
        || v.contains("your")
        || v.contains("replace")
        || v.contains("placeholder")
        || v.contains("dummy")
        || v.contains("xxxx")
        || v.contains("****")
        || v.contains("...")
        || v.contains("todo")
        || v.contains("redacted")
        || v.contains("environ")
        || v.contains("getenv")
        || v.contains("process.env")
        || v.contains("settings.")
        || v.contains("config.")
        || v.starts_with("os.")
        || v.starts_with("env(")
        || v.starts_with("sk_test_")
        || v.starts_with("pk_")
        || v == "none"
        || v == "null"
        || v == "undefined"
        // Words (`current-password`, `api_key_header`): a name, not a secret.
        || v.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '-' || c == '.')
        || v.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        // A call or attribute, not a literal.
        || v.contains('(')
        || v.contains('[')
}

/// Shannon entropy per character.
fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether a path is a test or fixture file (where fake passwords are normal).
fn test_file(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.contains("/tests/")
        || p.starts_with("tests/")
        || p.contains("/test/")
        || p.contains("test_")
        || p.contains("_test.")
        || p.contains(".test.")
        || p.contains(".spec.")
        || p.contains("fixture")
        || p.contains("conftest")
}

pub(crate) fn check(cx: &mut Cx<'_>) {
    let text = cx.text;
    let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
    let mut found: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for (what, re) in KEYS.iter() {
        for m in re.find_iter(text) {
            if taken.iter().any(|t| t.start < m.end() && m.start() < t.end) {
                continue;
            }
            taken.push(m.range());
            found.push((m.range(), format!("This is {what}, written in the file: anyone who can read the code (or its git history) can use it. Move it to an environment variable or a secret manager, and revoke this one — it is already exposed.")));
        }
    }
    let path = cx.path.to_string_lossy().replace('\\', "/");
    let env_like = matches!(
        cx.lang,
        Some(
            super::Lang::Env
                | super::Lang::Compose
                | super::Lang::Dockerfile
                | super::Lang::Workflow
                | super::Lang::Yaml
        )
    );
    if !test_file(&path) {
        for caps in ASSIGNMENT.captures_iter(text) {
            let (Some(name), Some(value)) = (caps.name("name"), caps.name("value")) else { continue };
            let quoted = !caps.name("q").is_some_and(|q| q.as_str().is_empty());
            if !quoted && !env_like {
                // In code an unquoted value is a variable or a call, not a literal.
                continue;
            }
            let v = value.as_str();
            let lname = name.as_str().to_ascii_lowercase();
            if lname.ends_with("_file")
                || lname.ends_with("_path")
                || lname.ends_with("_url")
                || lname.ends_with("_header")
                || lname.ends_with("_name")
            {
                continue;
            }
            if taken.iter().any(|t| t.start < value.end() && value.start() < t.end) || placeholder(v) {
                continue;
            }
            let n = v.chars().count();
            let password = super::syntax::passwordish(name.as_str());
            let random_enough = if password {
                n >= 8 && entropy(v) >= 2.5
            } else {
                (n >= 16 && entropy(v) >= 3.3) || (n >= 12 && entropy(v) >= 3.5)
            };
            if !random_enough || v.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            taken.push(value.range());
            found.push((
                value.range(),
                format!(
                    "`{}` is given a literal {} in the file: anyone with the code has it, and it cannot differ between environments. Read it from the environment (`os.environ[\"…\"]`, `process.env.…`) and keep the value out of version control.",
                    name.as_str(),
                    if password { "password" } else { "secret" }
                ),
            ));
        }
    }
    found.sort_by_key(|(r, _)| r.start);
    for (range, message) in found {
        cx.report("hardcoded-secret", range, message);
    }
}

/// A `.env` file that git would commit.
pub(crate) fn check_env_ignored(cx: &mut Cx<'_>) {
    let path = cx.path;
    let Ok(abs) = std::fs::canonicalize(path) else { return };
    let Ok(repo) = git2::Repository::discover(abs.parent().unwrap_or(&abs)) else { return };
    let Some(workdir) = repo.workdir() else { return };
    let Ok(rel) = abs.strip_prefix(workdir.canonicalize().unwrap_or_else(|_| workdir.to_path_buf())) else {
        return;
    };
    if repo.is_path_ignored(rel).unwrap_or(true) {
        return;
    }
    let first_line = 0..cx.lines.line(0).len();
    let message = format!(
        "`{}` is not ignored by git, so its secrets get committed and pushed with the code. Add it to `.gitignore` (and `git rm --cached` it if it was committed); share a `.env.example` with placeholders instead.",
        rel.display()
    );
    cx.report("env-file-committed", first_line, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_tells_random_from_words() {
        assert!(entropy("k8Xq2pL9vR4tZ7mW1nB6") > 4.0);
        assert!(entropy("aaaaaaaaaaaa") < 0.1);
    }

    #[test]
    fn placeholders_are_not_secrets() {
        for p in [
            "${SECRET_KEY}",
            "change-me-in-production",
            "<your-key>",
            "os.environ['X']",
            "sk_test_abc",
            "your_api_key_here",
        ] {
            assert!(placeholder(p), "{p}");
        }
        assert!(!placeholder("k8Xq2pL9vR4tZ7mW1nB6"));
    }
}
