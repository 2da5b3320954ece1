//! The security auditor end to end: diagnostics over LSP as documents open and change, quick
//! fixes and "ignore this finding", the workspace audit command, the CLI's formats and exit
//! codes, and the security role's model review inside a generation.

use std::path::Path;

use autocrea_e2e::fakes::{Protocol, Reply};
use autocrea_e2e::scripted::scripted;
use autocrea_e2e::{Lsp, cli, cli_with_env, git, initialize_params, uri};
use serde_json::{Value, json};

/// The latest diagnostics published for `uri` with at least `version`, waiting for them.
fn diagnostics_for(lsp: &mut Lsp, uri: &str, version: Option<i64>) -> Vec<Value> {
    let u = uri.to_string();
    let msg = lsp.wait_for(&format!("diagnostics for {uri} v{version:?}"), move |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == u.as_str()
            && version.is_none_or(|v| m["params"]["version"].as_i64() == Some(v))
    });
    msg["params"]["diagnostics"].as_array().unwrap().clone()
}

fn code_actions(lsp: &mut Lsp, uri: &str, diagnostic: &Value) -> Vec<Value> {
    lsp.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}),
    )
    .unwrap()
    .as_array()
    .cloned()
    .unwrap_or_default()
}

/// The `didChange` that applies a code action's edits to `uri` (one change per edit, last
/// first so earlier ranges stay valid).
fn apply_action(lsp: &mut Lsp, uri: &str, action: &Value, version: i64) {
    let mut edits = action["edit"]["changes"][uri].as_array().unwrap().clone();
    edits.sort_by_key(|e| {
        std::cmp::Reverse((e["range"]["start"]["line"].as_u64(), e["range"]["start"]["character"].as_u64()))
    });
    let changes: Vec<Value> =
        edits.iter().map(|e| json!({"range": e["range"], "text": e["newText"]})).collect();
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
    );
}

/// VS Code: findings appear as diagnostics on open (UTF-16 columns after an emoji), with the
/// rule, the CWE link and the source; the quick fix removes the finding; "ignore this
/// finding" silences another; closing leaves the file's findings as they are on disk.
#[test]
fn diagnostics_quick_fixes_and_ignore_over_lsp() {
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    let init = lsp.initialize(initialize_params("vscode", root.path()));
    let kinds = init["capabilities"]["codeActionProvider"]["codeActionKinds"].as_array().unwrap().clone();
    assert!(kinds.contains(&json!("quickfix")), "{kinds:?}");

    let path = root.path().join("loader.py");
    let text = "import yaml\n\n\ndef load(raw):\n    label = \"😀\"; data = yaml.load(raw)\n    return label, data\n";
    std::fs::write(&path, text).unwrap();
    let doc = uri(&path);
    lsp.open(&doc, "python", text);
    let diags = diagnostics_for(&mut lsp, &doc, Some(1));
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d["code"], "unsafe-deserialization");
    assert_eq!(d["source"], "autocrea");
    assert_eq!(d["codeDescription"]["href"], "https://cwe.mitre.org/data/definitions/502.html");
    assert_eq!(d["severity"], 2, "a warning: the data's origin is unknown");
    // `yaml.load(raw)` starts after `    label = "😀"; data = `: the emoji is two UTF-16 units.
    let col = "    label = \"😀\"; data = ".encode_utf16().count();
    assert_eq!(d["range"]["start"], json!({"line": 4, "character": col}));

    let actions = code_actions(&mut lsp, &doc, d);
    let titles: Vec<&str> = actions.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        ["AUTOCREA: Use yaml.safe_load", "AUTOCREA: ignore this finding (unsafe-deserialization)"]
    );
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["isPreferred"], true);
    apply_action(&mut lsp, &doc, &actions[0], 2);
    assert_eq!(diagnostics_for(&mut lsp, &doc, Some(2)), Vec::<Value>::new(), "the fix removed the finding");

    // A new finding, silenced with the ignore action.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": doc, "version": 3}, "contentChanges": [{"text": "import hashlib\n\ndef tag(b):\n    return hashlib.md5(b).hexdigest()\n"}]}),
    );
    let diags = diagnostics_for(&mut lsp, &doc, Some(3));
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0]["code"], "weak-hash");
    let ignore = code_actions(&mut lsp, &doc, &diags[0])
        .into_iter()
        .find(|a| a["title"].as_str().unwrap().contains("ignore"))
        .unwrap();
    assert_eq!(ignore["edit"]["changes"][&doc][0]["newText"], "    # autocrea-ignore: weak-hash\n");
    apply_action(&mut lsp, &doc, &ignore, 4);
    assert_eq!(diagnostics_for(&mut lsp, &doc, Some(4)), Vec::<Value>::new(), "the comment silences it");

    // Closed: the findings of the file as it is on disk (the original text).
    lsp.notify("textDocument/didClose", json!({"textDocument": {"uri": doc}}));
    let on_disk = lsp.wait_for("diagnostics from disk", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["version"].is_null()
            && m["params"]["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
    });
    assert_eq!(on_disk["params"]["diagnostics"][0]["code"], "unsafe-deserialization");
    lsp.assert_all_answered();
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

/// Many quick changes to a large file: diagnostics never go back to an older version, and
/// the last version gets its own.
#[test]
fn diagnostics_follow_the_latest_version_of_a_large_file() {
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(initialize_params("neovim", root.path()));
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!("def f{i}(x):\n    return x + {i}\n"));
    }
    let doc = uri(&root.path().join("big.py"));
    lsp.open(&doc, "python", &text);
    for v in 2..=60 {
        lsp.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": doc, "version": v}, "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# edit\n"}]}),
        );
    }
    // The last edit adds a finding at the top.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": doc, "version": 61}, "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "import pickle\nobj = pickle.loads(blob)\n"}]}),
    );
    let last = diagnostics_for(&mut lsp, &doc, Some(61));
    assert_eq!(last.len(), 1);
    assert_eq!(last[0]["range"]["start"]["line"], 1);
    let versions: Vec<i64> = lsp
        .notifications("textDocument/publishDiagnostics")
        .iter()
        .filter(|n| n["params"]["uri"] == doc.as_str())
        .map(|n| n["params"]["version"].as_i64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "versions go forward: {versions:?}");
    assert!(versions.len() < 30, "changes are debounced, not audited one by one: {versions:?}");
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const VULNERABLE_APP: &str = "from flask import Flask, request, redirect\n\napp = Flask(__name__)\n\n\n@app.route(\"/go\")\ndef go():\n    return redirect(request.args[\"next\"])\n";
const WORKFLOW: &str = "on: issues\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.issue.title }}\"\n";

/// `autocrea.audit` audits the workspace (open buffers as edited), publishes per file,
/// answers with the findings, and clears files that became clean.
#[test]
fn workspace_audit_command() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "app.py", VULNERABLE_APP);
    write(root.path(), ".github/workflows/triage.yml", WORKFLOW);
    write(root.path(), "Dockerfile", "FROM python:3.12-slim\nCMD [\"python\", \"app.py\"]\n");
    write(root.path(), "node_modules/dep/index.js", "eval(process.argv[2])\n");
    write(root.path(), "clean.py", "print('hello')\n");
    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(initialize_params("vscode", root.path()));
    // An open buffer with an unsaved vulnerable edit is audited as the editor holds it.
    let clean = uri(&root.path().join("clean.py"));
    lsp.open(&clean, "python", "import os\nos.system('ls ' + input())\n");

    let result = lsp
        .request("workspace/executeCommand", json!({"command": "autocrea.audit", "arguments": []}))
        .unwrap();
    let rules: Vec<(String, String)> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["rule"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        rules,
        [
            (".github/workflows/triage.yml".to_string(), "ci-injection".to_string()),
            ("Dockerfile".into(), "docker-root".into()),
            ("app.py".into(), "open-redirect".into()),
            ("clean.py".into(), "command-injection".into()),
        ],
        "node_modules is skipped; {result:#}"
    );
    assert_eq!(result["filesAudited"], 4, "{result:#}");
    assert_eq!((result["errors"].as_u64(), result["warnings"].as_u64()), (Some(2), Some(2)));
    let app = uri(&root.path().join("app.py"));
    assert_eq!(diagnostics_for(&mut lsp, &app, None)[0]["code"], "open-redirect");

    // Fixed on disk: the next audit clears it.
    write(root.path(), "app.py", "print('fixed')\n");
    lsp.request(
        "workspace/executeCommand",
        json!({"command": "autocrea.audit", "arguments": [{"dir": root.path()}]}),
    )
    .unwrap();
    let published: Vec<Value> = lsp
        .notifications("textDocument/publishDiagnostics")
        .into_iter()
        .filter(|n| n["params"]["uri"] == app.as_str())
        .collect();
    assert_eq!(published.last().unwrap()["params"]["diagnostics"], json!([]));
    // Auditing one folder leaves another folder's findings alone.
    write(root.path(), "b/settings.py", "DEBUG = True\n");
    let workflow = uri(&root.path().join(".github/workflows/triage.yml"));
    let before = lsp.notifications("textDocument/publishDiagnostics").len();
    lsp.request(
        "workspace/executeCommand",
        json!({"command": "autocrea.audit", "arguments": [{"dir": "b"}]}),
    )
    .unwrap();
    let after: Vec<Value> = lsp.notifications("textDocument/publishDiagnostics")[before..].to_vec();
    assert!(after.iter().all(|n| n["params"]["uri"] != workflow.as_str()), "{after:#?}");
    assert!(after.iter().any(|n| n["params"]["uri"].as_str().unwrap().ends_with("b/settings.py")));
    // The summary is the progress's end; no extra message pops up.
    assert!(
        lsp.notifications("window/showMessage")
            .iter()
            .all(|m| !m["params"]["message"].as_str().unwrap().contains("audited"))
    );
    let bad = lsp.request(
        "workspace/executeCommand",
        json!({"command": "autocrea.audit", "arguments": [{"dir": "no/such/folder"}]}),
    );
    assert_eq!(bad.unwrap_err()["code"], -32602);
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

#[test]
fn cli_formats_and_exit_codes() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "app.py", VULNERABLE_APP);
    write(root.path(), "settings.py", "DEBUG = True\n");
    let dir = root.path().to_str().unwrap();

    let (code, out, _) = cli(&["audit", dir, "--format", "json"]);
    assert_eq!(code, 1, "findings at or above warning");
    let findings: Value = serde_json::from_str(&out).unwrap();
    let first = &findings[0];
    assert_eq!(first["path"], format!("{dir}/app.py"));
    assert_eq!(first["rule"], "open-redirect");
    assert_eq!(first["cwe"], 601);
    assert_eq!(first["severity"], "warning");
    assert_eq!(first["range"]["start"], json!({"line": 8, "column": 21}));
    assert!(first["message"].as_str().unwrap().contains("request"));
    assert_eq!(findings[1]["fix"]["edits"][0]["newText"], "False");

    let (code, out, _) = cli(&["audit", dir, "--format", "sarif"]);
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let rule = &run["tool"]["driver"]["rules"][results[0]["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], results[0]["ruleId"]);
    assert!(rule["properties"]["tags"].as_array().unwrap().contains(&json!("CWE-601")));
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 8);

    let (code, out, _) = cli(&["audit", dir]);
    assert_eq!(code, 1);
    assert!(out.contains("app.py:8:21: warning[open-redirect]"), "{out}");
    assert!(out.ends_with("2 findings (2 warnings) in 2 files\n"), "{out}");
    // Only warnings: `--fail-on error` passes.
    assert_eq!(cli(&["audit", dir, "--fail-on", "error"]).0, 0);
    let (code, _, err) = cli(&["audit", "/no/such/path"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
    let (code, _, err) = cli(&["audit", dir, "--fail-on", "severe"]);
    assert_eq!(code, 2);
    assert!(err.contains("use info, warning or error"), "{err}");
}

/// With a model engine the security role asks the model to review the code: a finding at a
/// real line is merged, one at a line that does not exist is dropped and said, and with
/// `--auto-fix` the model's one-line fix is applied as the security role's commit.
#[test]
fn the_model_review_is_checked_merged_and_fixed() {
    let fake = scripted(Protocol::OpenAi, Some("sk-test"), |prompt, reply, _| {
        if prompt.contains("Already reported by the rules:") {
            let review = r#"{"findings": [
                {"file": "app/main.py", "line": 1, "cwe": 209, "severity": "warning", "rule": "error-details", "message": "Errors leak details.", "fix": "\"\"\"Reviewed entry point of the app.\"\"\""},
                {"file": "app/main.py", "line": 9999, "cwe": 89, "severity": "error", "message": "made up"}
            ]}"#;
            return Reply::text(format!("```json\n{review}\n```\n"));
        }
        reply
    });
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("blog");
    let url = format!("{}/v1", fake.url());
    let (code, out, err) = cli_with_env(
        &[
            "generate",
            "a blog with comments",
            "--dir",
            dir.to_str().unwrap(),
            "--engine",
            "openai",
            "--no-tests",
            "--json",
            "--auto-fix",
        ],
        &[("OPENAI_API_KEY", "sk-test"), ("OPENAI_BASE_URL", &url)],
    );
    let summary: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(code, 0, "{summary:#}\n{err}");
    assert_eq!(summary["security"]["modelReview"], true);
    assert_eq!(summary["security"]["fixed"], 1, "{summary:#}");
    assert!(
        summary["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("line Some(9999)")),
        "{summary:#}"
    );
    // The fixed finding is gone; nothing else was found.
    assert_eq!(summary["findings"], json!([]), "{summary:#}");
    let main = std::fs::read_to_string(dir.join("app/main.py")).unwrap();
    assert!(main.starts_with("\"\"\"Reviewed entry point of the app.\"\"\"\n"), "{main}");
    let log = git(&dir, &["log", "--format=%an|%s", "-2"]);
    assert!(log.starts_with("AUTOCREA security|security: fixed 1 finding\n"), "{log}");
    let security = summary["roles"].as_array().unwrap().iter().find(|r| r["role"] == "security").unwrap();
    assert_eq!(security["files"], json!(["app/main.py"]));
    assert!(security["tokens"]["input"].as_u64().unwrap() > 0);
}
