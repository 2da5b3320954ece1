//! GitHub Actions workflows and Docker compose files, read from their YAML syntax trees.

use std::ops::Range;

use tree_sitter::Node;

use super::syntax::{named_children, text};
use super::{Cx, Lang, Severity};

/// A YAML value with where it is.
#[derive(Debug)]
enum Y {
    Map(Vec<(String, Range<usize>, Y)>),
    Seq(Vec<Y>),
    Scalar(String, Range<usize>),
    Null,
}

impl Y {
    fn get(&self, key: &str) -> Option<&Y> {
        match self {
            Y::Map(pairs) => pairs.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Y::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    fn range(&self) -> Option<Range<usize>> {
        match self {
            Y::Scalar(_, r) => Some(r.clone()),
            _ => None,
        }
    }

    fn pairs(&self) -> &[(String, Range<usize>, Y)] {
        match self {
            Y::Map(p) => p,
            _ => &[],
        }
    }

    fn items(&self) -> &[Y] {
        match self {
            Y::Seq(items) => items,
            _ => &[],
        }
    }
}

fn parse(src: &str) -> Option<Y> {
    let tree = Lang::Yaml.parse(src)?;
    let root = tree.root_node();
    let doc = named_children(root).find(|n| n.kind() == "document")?;
    Some(named_children(doc).find(|n| n.kind() != "comment").map_or(Y::Null, |n| value(n, src)))
}

fn value(node: Node<'_>, src: &str) -> Y {
    match node.kind() {
        "block_node" | "flow_node" | "block_sequence_item" => named_children(node)
            .find(|n| !matches!(n.kind(), "comment" | "anchor" | "tag"))
            .map_or(Y::Null, |n| value(n, src)),
        "block_mapping" | "flow_mapping" => Y::Map(
            named_children(node)
                .filter(|p| matches!(p.kind(), "block_mapping_pair" | "flow_pair"))
                .filter_map(|p| {
                    let key = p.child_by_field_name("key")?;
                    let k = scalar_text(key, src);
                    let v = p.child_by_field_name("value").map_or(Y::Null, |v| value(v, src));
                    Some((k, key.byte_range(), v))
                })
                .collect(),
        ),
        "block_sequence" | "flow_sequence" => {
            Y::Seq(named_children(node).filter(|n| n.kind() != "comment").map(|n| value(n, src)).collect())
        }
        "plain_scalar" | "double_quote_scalar" | "single_quote_scalar" | "block_scalar" => {
            Y::Scalar(scalar_text(node, src), node.byte_range())
        }
        _ => Y::Null,
    }
}

fn scalar_text(node: Node<'_>, src: &str) -> String {
    let t = text(node, src);
    match node.kind() {
        "double_quote_scalar" | "single_quote_scalar" => t[1..t.len().saturating_sub(1).max(1)].to_string(),
        "flow_node" => named_children(node).next().map_or_else(|| t.to_string(), |n| scalar_text(n, src)),
        _ => t.to_string(),
    }
}

/// Event fields an outsider writes (titles, bodies, branch names, commit messages).
const UNTRUSTED: &[&str] = &[
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.head_commit.message",
    "github.event.head_commit.author.email",
    "github.event.head_commit.author.name",
    "github.event.commits",
    "github.event.pages",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.message",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.head_ref",
    "github.event.inputs",
];

pub(crate) fn check_actions(cx: &mut Cx<'_>) {
    let Some(doc) = parse(cx.text) else { return };
    let triggers = doc.get("on").or_else(|| doc.get("true"));
    let target = match triggers {
        Some(Y::Scalar(s, _)) => s == "pull_request_target",
        Some(Y::Seq(items)) => items.iter().any(|i| i.str() == Some("pull_request_target")),
        Some(map @ Y::Map(_)) => map.get("pull_request_target").is_some(),
        _ => false,
    };
    permissions(cx, doc.get("permissions"));
    for (_, _, job) in doc.get("jobs").map(Y::pairs).unwrap_or_default() {
        permissions(cx, job.get("permissions"));
        for step in job.get("steps").map(Y::items).unwrap_or_default() {
            if let Some(run) = step.get("run") {
                injection(cx, run, "run");
            }
            if let Some(uses) = step.get("uses") {
                pin(cx, uses);
                if let Some(script) = step.get("with").and_then(|w| w.get("script")) {
                    injection(cx, script, "script");
                }
                if target && uses.str().is_some_and(|u| u.starts_with("actions/checkout")) {
                    let reference = step.get("with").and_then(|w| w.get("ref"));
                    if let Some(r) = reference
                        && let Some(s) = r.str()
                        && (s.contains("pull_request.head")
                            || s.contains("head_ref")
                            || s.contains("github.event.number")
                            || s.contains("refs/pull/"))
                    {
                        cx.report("ci-untrusted-checkout", r.range().unwrap_or(0..0), "This `pull_request_target` workflow checks out the pull request's code, and runs with the repository's secrets and a write token: any fork's PR runs its code with them. Use `pull_request`, or do not build the PR's head here.");
                    }
                }
            }
        }
        if let Some(uses) = job.get("uses") {
            pin(cx, uses);
        }
    }
}

fn permissions(cx: &mut Cx<'_>, permissions: Option<&Y>) {
    let Some(p) = permissions else { return };
    match p {
        Y::Scalar(s, r) if s == "write-all" => {
            cx.report("ci-permissions", r.clone(), "`permissions: write-all` gives every step a token that can push code, publish releases and change settings: a compromised dependency or action uses it. Grant only what the jobs need (`contents: read`).");
            let edit = cx.edit(r.clone(), "read-all");
            cx.set_fix("Use read-only permissions", vec![edit]);
        }
        _ => {}
    }
}

fn injection(cx: &mut Cx<'_>, script: &Y, key: &str) {
    let (Some(s), Some(r)) = (script.str(), script.range()) else { return };
    let mut from = 0;
    while let Some(open) = s[from..].find("${{") {
        let start = from + open;
        let Some(close) = s[start..].find("}}") else { break };
        let expr = s[start + 3..start + close].trim();
        if UNTRUSTED.iter().any(|u| expr.starts_with(u)) {
            let at = r.start + start..r.start + start + close + 2;
            cx.report(
                "ci-injection",
                at,
                format!("`${{{{ {expr} }}}}` is pasted into the `{key}` script before it runs: whoever writes it (a PR title, a branch name) injects shell commands that run with the workflow's secrets. Pass it through `env:` and use `\"$VALUE\"`."),
            );
        }
        from = start + close + 2;
    }
}

fn pin(cx: &mut Cx<'_>, uses: &Y) {
    let (Some(u), Some(r)) = (uses.str(), uses.range()) else { return };
    if u.starts_with("./") || u.starts_with("docker://") {
        return;
    }
    let Some((action, reference)) = u.split_once('@') else {
        cx.report("ci-unpinned-action", r, format!("`{u}` names no version: it runs whatever the default branch holds when the job starts. Pin it to a commit SHA."));
        return;
    };
    if reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()) {
        return;
    }
    let first_party = action.starts_with("actions/") || action.starts_with("github/");
    if first_party {
        return;
    }
    let branch = matches!(reference, "main" | "master" | "dev" | "develop" | "latest" | "trunk");
    let severity = if branch { Severity::Error } else { Severity::Warning };
    cx.report_with(
        "ci-unpinned-action",
        None,
        Some(severity),
        r,
        format!(
            "The third-party action `{action}` is pinned to `{reference}`, which its owner (or whoever takes over the repository) can move: the new code runs with this workflow's secrets. Pin it to a full commit SHA (`{action}@<sha> # {reference}`)."
        ),
    );
}

/// Ports databases and caches listen on, which should not face the network.
const INTERNAL_PORTS: &[(&str, &str)] = &[
    ("5432", "PostgreSQL"),
    ("3306", "MySQL"),
    ("27017", "MongoDB"),
    ("6379", "Redis"),
    ("9200", "Elasticsearch"),
    ("11211", "Memcached"),
    ("5984", "CouchDB"),
    ("1433", "SQL Server"),
    ("9042", "Cassandra"),
    ("5672", "RabbitMQ"),
];

pub(crate) fn check_compose(cx: &mut Cx<'_>) {
    let Some(doc) = parse(cx.text) else { return };
    for (name, _, service) in doc.get("services").map(Y::pairs).unwrap_or_default() {
        if let Some(Y::Scalar(v, r)) = service.get("privileged")
            && v == "true"
        {
            cx.report("container-privileged", r.clone(), format!("`{name}` runs privileged: it can reach every device and escape to the host. Remove `privileged: true` and add only the capabilities it needs (`cap_add`)."));
        }
        if let Some(Y::Scalar(v, r)) = service.get("network_mode")
            && v == "host"
        {
            cx.report("container-host-network", r.clone(), format!("`{name}` shares the host's network: every port it opens faces the network and it reaches services bound to the host's loopback. Use the default network and publish the ports needed."));
        }
        for volume in service.get("volumes").map(Y::items).unwrap_or_default() {
            if let (Some(v), Some(r)) = (volume.str(), volume.range())
                && v.contains("docker.sock")
            {
                cx.report("container-privileged", r, format!("`{name}` mounts the Docker socket: whoever controls it controls the host. Remove the mount."));
            }
        }
        for port in service.get("ports").map(Y::items).unwrap_or_default() {
            let (Some(p), Some(r)) = (port.str(), port.range()) else { continue };
            let parts: Vec<&str> = p.split(':').collect();
            // "5432:5432" or "5432" publish on every interface; "127.0.0.1:5432:5432" does not.
            let host_ip = if parts.len() >= 3 { Some(parts[0]) } else { None };
            if host_ip.is_some_and(|ip| ip.starts_with("127.") || ip == "localhost" || ip == "[::1]") {
                continue;
            }
            let container = parts.last().unwrap_or(&"").split('/').next().unwrap_or("");
            if let Some((_, what)) = INTERNAL_PORTS.iter().find(|(port, _)| *port == container) {
                cx.report("exposed-port", r.clone(), format!("`{name}` publishes {what}'s port {container} on every interface of the host: anyone who reaches the machine can try its password. Bind it to `127.0.0.1:` or drop the mapping (other services reach it by name)."));
                let edit = cx.edit(
                    r.clone(),
                    format!(
                        "\"127.0.0.1:{}\"",
                        parts[parts.len().saturating_sub(2).min(parts.len() - 1)..].join(":")
                    ),
                );
                cx.set_fix("Publish on 127.0.0.1 only", vec![edit]);
            }
        }
    }
}
