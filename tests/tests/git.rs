//! Git end to end: every role's step a commit on the run's own branch, safe undo (LSP and
//! CLI), re-running a role, deploy to a remote, and the user's uncommitted work protected.

use std::path::Path;

use autocrea_e2e::{Lsp, cli, files_below, git, initialize_params, uri};
use serde_json::{Value, json};

fn generate(lsp: &mut Lsp, dir: &Path, extra: Value) -> Value {
    let mut args = json!({"idea": "a blog with comments", "dir": dir, "wait": true, "runTests": false});
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    lsp.request("workspace/executeCommand", json!({"command": "autocrea.generate", "arguments": [args]}))
        .unwrap()
}

#[test]
fn each_role_is_a_commit_on_its_own_branch_and_undo_takes_steps_back() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("blog");
    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(initialize_params("vscode", root.path()));
    let summary = generate(&mut lsp, &dir, json!({}));
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    assert_eq!(summary["branch"], "autocrea/a-blog-with-comments");
    assert_eq!(git(&dir, &["branch", "--show-current"]).trim(), "autocrea/a-blog-with-comments");
    let log = git(&dir, &["log", "--format=%an|%s"]);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines[..5],
        [
            "AUTOCREA tester|tester: wrote 5 files",
            "AUTOCREA devops|devops: wrote 7 files",
            "AUTOCREA frontend|frontend: wrote 3 files",
            "AUTOCREA backend|backend: wrote 8 files",
            "AUTOCREA architect|architect: planned 23 files for Blog",
        ],
        "{log}"
    );
    let body = git(&dir, &["log", "-1", "--format=%B"]);
    assert!(
        body.contains("Autocrea-Engine: offline")
            && body.contains(&format!("Autocrea-Run: {}", summary["runId"].as_str().unwrap())),
        "{body}"
    );
    let backend = summary["roles"].as_array().unwrap().iter().find(|r| r["role"] == "backend").unwrap();
    assert_eq!(
        backend["commits"][0].as_str().unwrap(),
        git(&dir, &["rev-parse", "--short=7", "HEAD~3"]).trim()
    );
    assert_eq!(git(&dir, &["status", "--porcelain"]), "", "nothing left uncommitted");

    // Undo the tester's step: its files go, the tree is exactly the devops step's.
    let before = files_below(&dir);
    let test_file = dir.join("tests/test_posts.py");
    lsp.open(&uri(&test_file), "python", &std::fs::read_to_string(&test_file).unwrap());
    let mark = lsp.received.len();
    let undone = lsp
        .request("workspace/executeCommand", json!({"command": "autocrea.undo", "arguments": [{"dir": dir}]}))
        .unwrap();
    assert_eq!(undone["role"], "tester");
    assert!(undone["summary"].as_str().unwrap().starts_with("wrote "), "without the role: {undone}");
    assert!(!test_file.exists());
    let after = files_below(&dir);
    assert_eq!(before.len() - after.len(), 5, "{after:?}");
    assert!(git(&dir, &["log", "-1", "--format=%s"]).starts_with("devops: "));
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");
    let delete =
        lsp.received[mark..].iter().find(|m| m["method"] == "workspace/applyEdit").expect("buffers updated");
    assert_eq!(delete["params"]["edit"]["documentChanges"][0]["kind"], "delete");
    assert_eq!(delete["params"]["edit"]["documentChanges"][0]["uri"], uri(&test_file));

    // A file of the devops step edited since: undo refuses and says which.
    std::fs::write(dir.join("README.md"), "my notes\n").unwrap();
    let err = lsp
        .request("workspace/executeCommand", json!({"command": "autocrea.undo", "arguments": [{"dir": dir}]}))
        .unwrap_err();
    assert!(err["message"].as_str().unwrap().contains("README.md"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("README.md")).unwrap(), "my notes\n");

    // The user's own commit is never undone.
    git(&dir, &["-c", "user.name=U", "-c", "user.email=u@x", "commit", "-qam", "my notes"]);
    let err = lsp
        .request("workspace/executeCommand", json!({"command": "autocrea.undo", "arguments": [{"dir": dir}]}))
        .unwrap_err();
    assert!(err["message"].as_str().unwrap().contains("was not made by AUTOCREA"), "{err}");
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

#[test]
fn uncommitted_user_work_is_refused_or_committed_first() {
    let root = tempfile::tempdir().unwrap();
    git(root.path(), &["init", "-q"]);
    std::fs::write(root.path().join("notes.md"), "idea: a blog\n").unwrap();
    git(root.path(), &["add", "notes.md"]);
    git(root.path(), &["-c", "user.name=U", "-c", "user.email=u@x", "commit", "-qm", "notes"]);
    std::fs::write(root.path().join("notes.md"), "idea: a blog with comments\n").unwrap();
    let dir = root.path().join("blog");

    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(initialize_params("neovim", root.path()));
    let summary = generate(&mut lsp, &dir, json!({}));
    assert_eq!(summary["status"], "failed");
    assert!(
        summary["error"].as_str().unwrap().contains("uncommitted changes in 1 file: notes.md"),
        "{summary:#}"
    );
    assert_eq!(
        std::fs::read_to_string(root.path().join("notes.md")).unwrap(),
        "idea: a blog with comments\n"
    );
    assert!(!dir.join("app").exists(), "nothing was written");

    assert_eq!(lsp.shutdown_and_exit(), 0);

    // The user chose to let AUTOCREA commit their work first.
    let mut lsp = Lsp::spawn(&["lsp"]);
    let mut params = initialize_params("neovim", root.path());
    params["initializationOptions"] = json!({"commitUserChanges": true});
    lsp.initialize(params);
    let summary = generate(&mut lsp, &dir, json!({}));
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    let log = git(root.path(), &["log", "--format=%s", "--reverse"]);
    assert!(log.lines().nth(1).unwrap().starts_with("Save work in progress before AUTOCREA run"), "{log}");
    assert_eq!(git(root.path(), &["show", "HEAD~5:notes.md"]), "idea: a blog with comments\n");
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

#[test]
fn run_role_deploy_and_undo_after_push_from_the_cli() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("app");
    let d = dir.to_str().unwrap();
    let (code, _, err) = cli(&["generate", "a task tracker with login", "--dir", d, "--no-tests"]);
    assert_eq!(code, 0, "{err}");
    let head = git(&dir, &["rev-parse", "HEAD"]);

    // Re-running a role that writes the same files adds no commit.
    let (code, out, err) = cli(&["run-role", "backend", "--dir", d, "--no-tests", "--json"]);
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    assert_eq!(git(&dir, &["rev-parse", "HEAD"]), head);
    // A backend file the user changed is in the way, and named; with --overwrite the role
    // writes it again as a new commit on the same branch.
    std::fs::write(dir.join("app/main.py"), "# mine\n").unwrap();
    git(&dir, &["-c", "user.name=U", "-c", "user.email=u@x", "commit", "-qam", "my change"]);
    let (code, _, err) = cli(&["run-role", "backend", "--dir", d, "--no-tests"]);
    assert_eq!(code, 1);
    assert!(err.contains("app/main.py"), "{err}");
    let (code, _, err) = cli(&["run-role", "backend", "--dir", d, "--no-tests", "--overwrite"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(git(&dir, &["log", "-1", "--format=%an|%s"]).trim(), "AUTOCREA backend|backend: re-run");
    assert_ne!(std::fs::read_to_string(dir.join("app/main.py")).unwrap(), "# mine\n");

    // Deploy to a bare repository; an undo after the push refuses.
    let remote = root.path().join("remote.git");
    git(root.path(), &["init", "-q", "--bare", remote.to_str().unwrap()]);
    git(&dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
    let (code, out, err) = cli(&["deploy", "--dir", d]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("autocrea/a-task-tracker-with-login"), "{out}");
    assert!(git(&remote, &["branch", "--list"]).contains("autocrea/a-task-tracker-with-login"));
    let (code, _, err) = cli(&["undo", "--dir", d]);
    assert_eq!(code, 1);
    assert!(err.contains("already pushed") && err.contains("git revert"), "{err}");

    // A remote that refuses says so.
    let (code, _, err) = cli(&["deploy", "--dir", d, "--remote", "nowhere"]);
    assert_eq!(code, 1);
    assert!(err.contains("refused") || err.contains("nowhere"), "{err}");
}
