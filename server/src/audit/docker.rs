//! Dockerfiles: root user, unpinned base images, secrets in the image, `curl | sh`, `ADD` URLs.

use tree_sitter::Node;

use super::syntax::{field, named_children, secretish, text};
use super::{Cx, Lang};

pub(crate) fn check(cx: &mut Cx<'_>) {
    let Some(tree) = Lang::Dockerfile.parse(cx.text) else { return };
    let src = cx.text;
    let root = tree.root_node();
    let instructions: Vec<Node<'_>> = named_children(root).collect();
    let mut stages: Vec<String> = Vec::new();
    // The final stage's USER, and where its CMD/ENTRYPOINT is.
    let mut user: Option<(String, Node<'_>)> = None;
    let mut last_from: Option<Node<'_>> = None;
    let mut run_at: Option<Node<'_>> = None;
    let mut args_declared: Vec<String> = Vec::new();
    for ins in &instructions {
        match ins.kind() {
            "from_instruction" => {
                last_from = Some(*ins);
                user = None;
                run_at = None;
                from(cx, *ins, &stages, &args_declared);
                if let Some(alias) = named_children(*ins).find(|c| c.kind() == "image_alias") {
                    stages.push(text(alias, src).to_ascii_lowercase());
                }
            }
            "user_instruction" => {
                let name = field(*ins, "user").map(|u| text(u, src).to_string()).unwrap_or_default();
                user = Some((name, *ins));
            }
            "cmd_instruction" | "entrypoint_instruction" => {
                run_at = Some(*ins);
                dev_server(cx, *ins);
            }
            "env_instruction" | "arg_instruction" => {
                secret_vars(cx, *ins);
                debug_vars(cx, *ins);
                if ins.kind() == "arg_instruction" {
                    for pair in named_children(*ins) {
                        if let Some(name) = field(pair, "name") {
                            args_declared.push(text(name, src).to_string());
                        }
                    }
                }
            }
            "run_instruction" => run(cx, *ins),
            "add_instruction" => add(cx, *ins),
            "copy_instruction" => copy(cx, *ins),
            _ => {}
        }
    }
    if last_from.is_none() {
        return;
    }
    let root_user = match &user {
        None => true,
        Some((name, _)) => {
            let n = name.split(':').next().unwrap_or("").trim();
            n == "root" || n == "0"
        }
    };
    if root_user {
        let anchor = match &user {
            Some((_, ins)) => *ins,
            None => run_at.or(instructions.last().copied()).expect("a FROM exists"),
        };
        let message = match &user {
            Some(_) => {
                "The container switches to root for good: a flaw in the app then owns the whole container (and more, with a kernel bug). Switch to an unprivileged user in the final stage."
            }
            None => {
                "The final stage has no `USER`, so the app runs as root: a flaw in it owns the whole container. Add an unprivileged user (e.g. `USER 10001`) before `CMD`."
            }
        };
        cx.report("docker-root", anchor.byte_range(), message);
        if user.is_none() && run_at.is_some() {
            let at = anchor.start_byte();
            let edit = cx.edit(at..at, "USER 10001\n");
            cx.set_fix("Run as an unprivileged user (USER 10001)", vec![edit]);
        }
    }
}

fn from(cx: &mut Cx<'_>, ins: Node<'_>, stages: &[String], args: &[String]) {
    let src = cx.text;
    let Some(spec) = named_children(ins).find(|c| c.kind() == "image_spec") else { return };
    let name = field(spec, "name").map(|n| text(n, src)).unwrap_or("");
    let lower = name.to_ascii_lowercase();
    if lower == "scratch"
        || stages.contains(&lower)
        || name.contains('$')
        || args.iter().any(|a| name.contains(a.as_str()))
    {
        return;
    }
    let digest = named_children(spec).any(|c| c.kind() == "image_digest");
    let tag = field(spec, "tag").map(|t| text(t, src).trim_start_matches(':').to_string());
    let message = match tag.as_deref() {
        _ if digest => return,
        None => format!(
            "`{name}` has no tag, so it means `latest`: each build may get a different image, with new bugs or breaking changes. Pin a version (e.g. `{name}:3.12-slim`), better a digest."
        ),
        Some("latest") => format!(
            "`{name}:latest` changes under you: each build may get a different image. Pin a version, better a digest."
        ),
        Some(_) => return,
    };
    cx.report("unpinned-image", spec.byte_range(), message);
}

fn secret_vars(cx: &mut Cx<'_>, ins: Node<'_>) {
    let src = cx.text;
    let keyword = if ins.kind() == "env_instruction" { "ENV" } else { "ARG" };
    for pair in named_children(ins) {
        let Some(name) = field(pair, "name") else { continue };
        let n = text(name, src);
        let lower = n.to_ascii_lowercase();
        let reference =
            ["_file", "_path", "_dir", "_url", "_name", "_header"].iter().any(|s| lower.ends_with(s));
        if !secretish(n) || reference || lower.contains("session") && !lower.contains("secret") {
            continue;
        }
        let value = field(pair, "value").or_else(|| field(pair, "default"));
        let v = value.map(|v| text(v, src).trim_matches(['"', '\'']).to_string()).unwrap_or_default();
        if keyword == "ENV" && (v.is_empty() || v.starts_with('$')) {
            continue;
        }
        if keyword == "ARG" && v.starts_with('$') {
            continue;
        }
        let message = if keyword == "ARG" {
            format!(
                "`ARG {n}` passes a secret at build time: build arguments stay readable in the image's history (`docker history`). Use a BuildKit secret (`RUN --mount=type=secret,id={}`) or pass it at run time.",
                n.to_ascii_lowercase()
            )
        } else {
            format!(
                "`ENV {n}` bakes a secret into the image: everyone who can pull the image can read it (`docker inspect`). Pass it at run time (`docker run -e`, compose `env_file`)."
            )
        };
        cx.report("docker-secret", pair.byte_range(), message);
    }
}

/// The image starts a development server or one in debug mode.
fn dev_server(cx: &mut Cx<'_>, ins: Node<'_>) {
    let t = text(ins, cx.text);
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | ',' | '[' | ']'))
        .filter(|w| !w.is_empty())
        .collect();
    let what = if words.contains(&"--debug") {
        "`--debug`"
    } else if words.contains(&"--reload") {
        "`--reload`"
    } else if words.contains(&"runserver") {
        "Django's `runserver`"
    } else {
        return;
    };
    cx.report("debug-mode", ins.byte_range(), format!("The container starts the app with {what}: a development server with debug output (the Werkzeug debugger runs code sent from the browser). Start a production server (gunicorn, uvicorn without --reload) instead."));
}

/// `ENV FLASK_DEBUG=1`, `ENV DEBUG=true`, `ENV NODE_ENV=development`.
fn debug_vars(cx: &mut Cx<'_>, ins: Node<'_>) {
    let src = cx.text;
    for pair in named_children(ins) {
        let (Some(name), Some(value)) =
            (field(pair, "name"), field(pair, "value").or_else(|| field(pair, "default")))
        else {
            continue;
        };
        let n = text(name, src).to_ascii_uppercase();
        let v = text(value, src).trim_matches(['"', '\'']).to_ascii_lowercase();
        let on = matches!(v.as_str(), "1" | "true" | "yes" | "on");
        let debug = (matches!(n.as_str(), "DEBUG" | "FLASK_DEBUG" | "DJANGO_DEBUG" | "APP_DEBUG") && on)
            || (matches!(n.as_str(), "FLASK_ENV" | "NODE_ENV" | "APP_ENV" | "ENVIRONMENT")
                && v == "development");
        if debug {
            cx.report("debug-mode", pair.byte_range(), format!("`{}` puts the image's app in debug mode: errors show stack traces and internals to anyone. Leave it off in the image; turn it on only in a development override.", text(pair, src)));
        }
    }
}

fn run(cx: &mut Cx<'_>, ins: Node<'_>) {
    static PIPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b").expect("valid")
    });
    let t = text(ins, cx.text);
    if let Some(m) = PIPE.find(t) {
        let start = ins.start_byte() + m.start();
        cx.report("docker-curl-pipe-shell", start..start + m.len(), "A script is downloaded and run in one step: whoever controls that URL (or the network) runs code in your build. Download it, check its checksum, then run it.");
    }
}

fn add(cx: &mut Cx<'_>, ins: Node<'_>) {
    let src = cx.text;
    let has_checksum = text(ins, src).contains("--checksum");
    for p in named_children(ins).filter(|c| c.kind() == "path") {
        let t = text(p, src);
        if (t.starts_with("http://") || t.starts_with("https://")) && !has_checksum {
            cx.report("docker-add-url", p.byte_range(), "`ADD` fetches this URL without checking what arrives: a changed or intercepted file goes into the image. Use `ADD --checksum=sha256:…` or download and verify in a `RUN` step.");
        }
    }
}

fn copy(cx: &mut Cx<'_>, ins: Node<'_>) {
    let src = cx.text;
    let paths: Vec<Node<'_>> = named_children(ins).filter(|c| c.kind() == "path").collect();
    for p in paths.iter().take(paths.len().saturating_sub(1)) {
        let t = text(*p, src).trim_start_matches("./");
        if t == ".env" || (t.starts_with(".env.") && !t.ends_with("example")) {
            cx.report("docker-secret", p.byte_range(), "The `.env` file is copied into the image: its secrets ship to everyone who can pull it. Pass settings at run time and list `.env` in `.dockerignore`.");
        }
    }
}
