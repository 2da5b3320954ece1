//! The language server end to end: the real binary, real editors' initialize payloads.

use std::path::Path;

use autocrea_e2e::{ApplyEdits, Lsp, files_below, initialize_params, planned_files, uri};
use serde_json::{Value, json};

const IDEA_LINE: &str = "# autocrea: a blog with comments\n";

/// The code action on the `autocrea:` line, as the client would get it.
fn idea_action(lsp: &mut Lsp, doc_uri: &str, line: u32) -> Value {
    let actions = lsp
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": doc_uri},
                "range": {"start": {"line": line, "character": 3}, "end": {"line": line, "character": 3}},
                "context": {"diagnostics": []}
            }),
        )
        .expect("codeAction answers");
    let actions = actions.as_array().expect("a list of actions").clone();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["title"], "AUTOCREA: build an app from this idea");
    actions[0]["command"].clone()
}

/// Progress notifications for a token: the kinds, in order.
fn progress_kinds(lsp: &Lsp, token: &str) -> Vec<String> {
    lsp.notifications("$/progress")
        .iter()
        .filter(|n| n["params"]["token"] == token)
        .map(|n| n["params"]["value"]["kind"].as_str().unwrap().to_string())
        .collect()
}

fn run_finished(lsp: &mut Lsp, run_id: &str) -> Value {
    let id = run_id.to_string();
    lsp.wait_for("autocrea/runFinished", move |m| {
        m["method"] == "autocrea/runFinished" && m["params"]["runId"] == id
    })["params"]
        .clone()
}

/// Every planned file is on disk, and the editor's buffers hold exactly what the disk holds.
fn check_app_on_disk(lsp: &Lsp, dir: &Path) {
    let planned = planned_files(dir);
    assert!(planned.len() >= 10, "a whole app is planned: {planned:?}");
    for rel in &planned {
        let path = dir.join(rel);
        assert!(path.is_file(), "{rel} was not written");
        if let Some(buffer) = lsp.buffers.get(&uri(&path)) {
            assert_eq!(buffer, &std::fs::read_to_string(&path).unwrap(), "{rel}: buffer and disk differ");
        }
    }
    assert!(files_below(dir).iter().all(|f| !f.ends_with(".tmp")), "a temporary file was left behind");
}

/// The whole path as VS Code drives it: code action on an `autocrea:` line, generate, an
/// immediate answer, progress begin/report/end, files through applyEdit, runFinished.
#[test]
fn vscode_builds_an_app_from_an_idea_line() {
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    // The configuration pull answers with the user's settings.
    lsp.settings = json!({"runTests": false});
    let init = lsp.initialize(initialize_params("vscode", root.path()));
    assert_eq!(init["serverInfo"]["name"], "autocrea");
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16", "VS Code offers only UTF-16");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2);
    assert!(
        init["capabilities"]["executeCommandProvider"]["commands"]
            .as_array()
            .unwrap()
            .contains(&json!("autocrea.generate"))
    );

    let notes = root.path().join("notes.py");
    std::fs::write(&notes, IDEA_LINE).unwrap();
    let notes_uri = uri(&notes);
    lsp.open(&notes_uri, "python", &format!("print('hello')\n{IDEA_LINE}"));
    let command = idea_action(&mut lsp, &notes_uri, 1);
    assert_eq!(command["command"], "autocrea.generate");
    assert_eq!(command["arguments"][0]["idea"], "a blog with comments");

    let started = lsp
        .request(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .expect("generate answers");
    let run_id = started["runId"].as_str().expect("an immediate answer with the run id").to_string();
    let summary = run_finished(&mut lsp, &run_id);
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    assert_eq!(summary["engine"], "offline");
    assert_eq!(summary["tests"]["status"], "skipped", "runTests came from the configuration pull");
    // The security role audited every file of the app; the offline app is clean.
    assert_eq!(summary["security"]["status"], "done", "{summary:#}");
    assert!(summary["security"]["filesAudited"].as_u64().unwrap() >= 10);
    assert_eq!(summary["findings"], json!([]), "the offline app audits clean");

    // The root held notes.py, so the app went into a folder named after it.
    let dir = Path::new(summary["dir"].as_str().unwrap()).to_path_buf();
    assert_eq!(dir, root.path().canonicalize().unwrap().join(summary["app"].as_str().unwrap()));
    check_app_on_disk(&lsp, &dir);
    let planned = planned_files(&dir);
    assert_eq!(summary["filesWritten"], planned.len());
    // Every generated file got its (empty) security diagnostics.
    let main_py = uri(&dir.join("app/main.py"));
    assert!(
        lsp.notifications("textDocument/publishDiagnostics")
            .iter()
            .any(|n| n["params"]["uri"] == main_py.as_str() && n["params"]["diagnostics"] == json!([])),
        "diagnostics published for generated files"
    );
    assert_eq!(lsp.buffers.len(), planned.len(), "every file went through workspace/applyEdit");
    // Backend and frontend files, written by their roles.
    let role_files = |role: &str| {
        summary["roles"].as_array().unwrap().iter().find(|r| r["role"] == role).unwrap()["files"]
            .as_array()
            .unwrap()
            .len()
    };
    assert!(role_files("backend") > 0 && role_files("frontend") > 0 && role_files("devops") > 0);

    let token = format!("autocrea/run/{run_id}");
    let kinds = progress_kinds(&lsp, &token);
    assert_eq!(kinds.first().map(String::as_str), Some("begin"));
    assert_eq!(kinds.last().map(String::as_str), Some("end"));
    assert!(kinds.iter().filter(|k| *k == "report").count() >= planned.len());
    let reports: Vec<String> = lsp
        .notifications("$/progress")
        .iter()
        .filter_map(|n| n["params"]["value"]["message"].as_str().map(str::to_string))
        .collect();
    assert!(
        reports.iter().any(|m| m.starts_with("backend: app/")),
        "progress names role and file: {reports:?}"
    );
    assert!(lsp.received.iter().any(|m| m["method"] == "window/workDoneProgress/create"));
    assert!(
        lsp.notifications("window/showMessage")
            .iter()
            .any(|m| m["params"]["message"].as_str().unwrap().contains("AUTOCREA built"))
    );
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

/// Neovim offers UTF-8: positions are bytes. Edits with emoji and CRLF land where they should,
/// and the code action reads the edited line.
#[test]
fn neovim_utf8_edits_then_generate_and_wait() {
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["--stdio"]);
    let init = lsp.initialize(initialize_params("neovim", root.path()));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");

    let doc = uri(&root.path().join("idea.md"));
    lsp.open(&doc, "markdown", "🎉 notes\r\n# autocrea: a todo list\r\n");
    // Replace "todo list" (bytes 14..23 of line 1) with "task tracker with login".
    lsp.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": doc, "version": 2},
            "contentChanges": [{"range": {"start": {"line": 1, "character": 14}, "end": {"line": 1, "character": 23}},
                                "text": "task tracker with login"}]
        }),
    );
    // And an edit after the emoji on line 0: "🎉" is 4 bytes, so byte 5 is after the space.
    lsp.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": doc, "version": 3},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 10}},
                                "text": "ideas"}]
        }),
    );
    let command = idea_action(&mut lsp, &doc, 1);
    assert_eq!(command["arguments"][0]["idea"], "a task tracker with login");

    let dir = root.path().join("tracker");
    let mut args = command["arguments"][0].clone();
    args["dir"] = json!(dir);
    args["wait"] = json!(true);
    args["runTests"] = json!(false);
    let summary = lsp
        .request("workspace/executeCommand", json!({"command": "autocrea.generate", "arguments": [args]}))
        .expect("generate with wait answers with the summary");
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    assert!(summary["durationMs"].as_u64().is_some());
    check_app_on_disk(&lsp, &dir);
    // The first line was edited where the byte offsets said.
    let selection = lsp
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": doc},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 10}},
                "context": {"diagnostics": []}
            }),
        )
        .unwrap();
    assert_eq!(selection[0]["command"]["arguments"][0]["idea"], "🎉 ideas");

    // didClose evicts: no action for a closed document.
    lsp.notify("textDocument/didClose", json!({"textDocument": {"uri": doc}}));
    let after_close = lsp
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": doc}, "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "context": {"diagnostics": []}}),
        )
        .unwrap();
    assert_eq!(after_close, Value::Null);
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

/// A client without resource operations or work-done progress: files are written to disk,
/// progress goes to window/logMessage; an AUTOCREA.md file is an idea as a whole.
#[test]
fn minimal_client_gets_disk_writes_and_log_messages() {
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.apply_edits = ApplyEdits::Refuse;
    lsp.initialize(json!({
        "processId": null,
        "rootUri": uri(root.path()),
        "capabilities": {},
        "initializationOptions": {"runTests": false}
    }));
    let idea_file = root.path().join("AUTOCREA.md");
    std::fs::write(&idea_file, "# An inventory app\n\nwith suppliers and stock levels\n").unwrap();
    lsp.open(&uri(&idea_file), "markdown", "# An inventory app\n\nwith suppliers and stock levels\n");
    let command = idea_action(&mut lsp, &uri(&idea_file), 1);
    assert_eq!(command["arguments"][0]["idea"], "An inventory app with suppliers and stock levels");
    let started = lsp
        .request(
            "workspace/executeCommand",
            json!({"command": "autocrea.generate", "arguments": command["arguments"]}),
        )
        .unwrap();
    let summary = run_finished(&mut lsp, started["runId"].as_str().unwrap());
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    let dir = Path::new(summary["dir"].as_str().unwrap()).to_path_buf();
    check_app_on_disk(&lsp, &dir);
    assert!(!lsp.received.iter().any(|m| m["method"] == "workspace/applyEdit"));
    assert!(!lsp.received.iter().any(|m| m["method"] == "window/workDoneProgress/create"));
    let logs = lsp.notifications("window/logMessage");
    assert!(
        logs.iter().any(|m| m["params"]["message"].as_str().unwrap().contains("backend: app/")),
        "{logs:#?}"
    );
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

/// Cancelled from the progress UI while files are landing: the run stops, says so, every
/// file on disk is whole (byte-identical to an uncancelled run's), and the files of the
/// unfinished step are taken back, so the branch is at its last complete step with a clean tree.
#[test]
fn cancel_from_progress_midway_leaves_no_partial_file() {
    let root = tempfile::tempdir().unwrap();
    let reference = tempfile::tempdir().unwrap();
    let (code, _, err) = autocrea_e2e::cli(&[
        "generate",
        "a blog with comments",
        "--dir",
        reference.path().to_str().unwrap(),
        "--no-tests",
    ]);
    assert_eq!(code, 0, "{err}");
    let before_devops = planned_files(reference.path())
        .iter()
        .filter(|p| {
            !["Dockerfile", ".dockerignore", "compose.yaml", ".env.example", ".gitignore", "README.md"]
                .contains(&p.as_str())
        })
        .filter(|p| !p.starts_with(".github/") && !p.starts_with("tests/") && p.as_str() != "pytest.ini")
        .count();

    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(initialize_params("vscode", root.path()));
    let dir = root.path().join("blog");
    let token = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let hook_token = token.clone();
    // Cancel while the devops role writes its second file.
    lsp.on_apply_edit = Some(Box::new(move |n| {
        if n == before_devops + 2 {
            vec![json!({"jsonrpc": "2.0", "method": "window/workDoneProgress/cancel",
                        "params": {"token": hook_token.borrow().clone()}})]
        } else {
            vec![]
        }
    }));
    let started = lsp
        .request(
            "workspace/executeCommand",
            json!({"command": "autocrea.generate", "arguments": [{"idea": "a blog with comments", "dir": dir, "runTests": false}]}),
        )
        .unwrap();
    let run_id = started["runId"].as_str().unwrap().to_string();
    *token.borrow_mut() = format!("autocrea/run/{run_id}");
    let summary = run_finished(&mut lsp, &run_id);
    assert_eq!(summary["status"], "cancelled", "{summary:#}");
    assert_eq!(progress_kinds(&lsp, &token.borrow()).last().map(String::as_str), Some("end"));

    let written = files_below(&dir);
    let planned = planned_files(&dir);
    // The repository's first commit has a .gitignore of its own; devops' version was taken back.
    let landed: Vec<&String> =
        written.iter().filter(|f| planned.contains(f) && f.as_str() != ".gitignore").collect();
    assert_eq!(landed.len(), before_devops, "backend and frontend stay, devops is taken back: {landed:?}");
    assert_eq!(summary["filesWritten"], landed.len());
    for rel in landed {
        assert_eq!(
            std::fs::read(dir.join(rel)).unwrap(),
            std::fs::read(reference.path().join(rel)).unwrap(),
            "{rel} is not whole"
        );
    }
    assert!(written.iter().all(|f| !f.ends_with(".tmp")), "temporary files left: {written:?}");
    assert_eq!(autocrea_e2e::git(&dir, &["status", "--porcelain"]), "", "the work tree is clean");
    assert!(autocrea_e2e::git(&dir, &["log", "-1", "--format=%s"]).starts_with("frontend: "));
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

/// `$/cancelRequest` on a waiting generate cancels the run; `autocrea.cancel` cancels one
/// that is installing the app's dependencies.
#[test]
fn cancel_request_and_cancel_command() {
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(initialize_params("neovim", root.path()));

    // A waiting request, cancelled by the client while the app's install runs.
    let id = lsp.send_request(
        "workspace/executeCommand",
        json!({"command": "autocrea.generate", "arguments": [{"idea": "a notes app", "dir": root.path().join("a"), "wait": true}]}),
    );
    lsp.wait_for("the tester installing", |m| {
        m["params"]["value"]["message"].as_str().is_some_and(|s| s.starts_with("tester: installing"))
    });
    lsp.notify("$/cancelRequest", json!({"id": id}));
    let err = lsp.answer(id).expect_err("a cancelled request answers with an error");
    assert_eq!(err["code"], -32800);
    let finished = lsp.wait_for("runFinished", |m| m["method"] == "autocrea/runFinished");
    assert_eq!(finished["params"]["status"], "cancelled", "{finished:#}");

    // A run cancelled by id with the command.
    let started = lsp
        .request(
            "workspace/executeCommand",
            json!({"command": "autocrea.generate", "arguments": [{"idea": "a notes app", "dir": root.path().join("b")}]}),
        )
        .unwrap();
    let run_id = started["runId"].as_str().unwrap().to_string();
    let rid = run_id.clone();
    lsp.wait_for("the tester installing", move |m| {
        m["params"]["token"] == format!("autocrea/run/{rid}")
            && m["params"]["value"]["message"].as_str().is_some_and(|s| s.starts_with("tester: installing"))
    });
    let answer = lsp
        .request(
            "workspace/executeCommand",
            json!({"command": "autocrea.cancel", "arguments": [{"runId": run_id}]}),
        )
        .unwrap();
    assert_eq!(answer["cancelled"], true);
    assert_eq!(run_finished(&mut lsp, &run_id)["status"], "cancelled");
    let again = lsp
        .request("workspace/executeCommand", json!({"command": "autocrea.cancel", "arguments": [run_id]}))
        .unwrap();
    assert_eq!(again["cancelled"], false, "the run is over");
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

/// A user's file in the way stops the run and names it; `overwrite` replaces it.
#[test]
fn no_clobber_then_overwrite() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("README.md"), "my own notes\n").unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(initialize_params("vscode", root.path()));
    let generate = |lsp: &mut Lsp, overwrite: bool| {
        lsp.request(
            "workspace/executeCommand",
            json!({"command": "autocrea.generate", "arguments": [{"idea": "a blog", "dir": dir, "wait": true, "runTests": false, "overwrite": overwrite}]}),
        )
        .unwrap()
    };
    let summary = generate(&mut lsp, false);
    assert_eq!(summary["status"], "failed");
    let error = summary["error"].as_str().unwrap();
    assert!(error.contains("README.md") && error.contains("not written by AUTOCREA"), "{error}");
    assert_eq!(std::fs::read_to_string(dir.join("README.md")).unwrap(), "my own notes\n");
    assert_eq!(summary["filesWritten"], 0);
    assert!(
        lsp.notifications("window/showMessage").iter().any(|m| m["params"]["type"] == 1),
        "an error is shown"
    );

    let summary = generate(&mut lsp, true);
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    assert_ne!(std::fs::read_to_string(dir.join("README.md")).unwrap(), "my own notes\n");
    // A second run replaces only AUTOCREA's own files, so it needs no overwrite.
    assert_eq!(generate(&mut lsp, false)["status"], "succeeded");
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

/// Bad messages get the right JSON-RPC error and the server keeps serving.
#[test]
fn malformed_protocol_does_not_kill_the_server() {
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(initialize_params("neovim", root.path()));

    // The guard answers with the message's id when it has a usable one, else with null
    // (which the client records as -1).
    for (body, code, id) in [
        (&b"{this is not json"[..], -32700, -1),
        (&br#"{"jsonrpc":"2.0","id":91,"method":5}"#[..], -32600, 91),
        (&br#"[{"jsonrpc":"2.0","id":92,"method":"initialize"}]"#[..], -32600, -1),
        (&br#"{"id":93,"method":"shutdown"}"#[..], -32600, 93),
    ] {
        lsp.send_raw(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        lsp.send_raw(body);
        let err = lsp.answer(id).expect_err("an error answer");
        assert_eq!(err["code"], code, "{}: {err}", String::from_utf8_lossy(body));
    }
    // A header without Content-Length is skipped with a parse error.
    lsp.send_raw(b"X-Nonsense: 1\r\n\r\n");
    assert_eq!(lsp.answer(-1).expect_err("an error answer")["code"], -32700);

    // Unknown method, bad params, unknown command: proper errors, no crash.
    assert_eq!(lsp.request("autocrea/noSuchMethod", json!({})).unwrap_err()["code"], -32601);
    assert_eq!(
        lsp.request("workspace/executeCommand", json!({"command": "autocrea.generate", "arguments": [42]}))
            .unwrap_err()["code"],
        -32602
    );
    assert_eq!(
        lsp.request(
            "workspace/executeCommand",
            json!({"command": "autocrea.generate", "arguments": [{"idea": "  "}]})
        )
        .unwrap_err()["code"],
        -32602
    );
    assert_eq!(
        lsp.request("workspace/executeCommand", json!({"command": "autocrea.nope", "arguments": []}))
            .unwrap_err()["code"],
        -32602
    );
    assert_eq!(lsp.request("textDocument/codeAction", json!({"bad": true})).unwrap_err()["code"], -32602);
    // Notifications about documents never opened are ignored.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": "file:///nowhere.txt", "version": 2}, "contentChanges": [{"text": "x"}]}),
    );
    // Still serving.
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": "file:///nowhere.txt"}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": []}}),
    );
    assert_eq!(actions, Ok(Value::Null));
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

#[test]
fn exit_without_shutdown_is_code_1() {
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(initialize_params("vscode", root.path()));
    lsp.notify("exit", Value::Null);
    assert_eq!(lsp.wait_exit(), 1);
}

/// Bad settings warn and fall back to defaults; initialize never fails over them.
#[test]
fn bad_settings_warn_and_initialize_succeeds() {
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    let mut params = initialize_params("vscode", root.path());
    params["initializationOptions"] = json!({"engine": "gpt-9", "maxFileBytes": "big", "colour": 1});
    lsp.settings = json!({"runTests": "sometimes"});
    let init = lsp.initialize(params);
    assert_eq!(init["serverInfo"]["name"], "autocrea");
    let warning = |lsp: &mut Lsp, needle: &'static str| {
        lsp.wait_for(needle, move |m| {
            m["method"] == "window/showMessage"
                && m["params"]["type"] == 2
                && m["params"]["message"].as_str().unwrap().contains(needle)
        })
    };
    warning(&mut lsp, "autocrea.engine");
    warning(&mut lsp, "autocrea.maxFileBytes");
    warning(&mut lsp, "autocrea.colour");
    warning(&mut lsp, "autocrea.runTests");
    // A pushed change with a pull-capable client pulls again.
    lsp.settings = json!({"testTimeoutSecs": 0});
    lsp.notify("workspace/didChangeConfiguration", json!({"settings": null}));
    warning(&mut lsp, "autocrea.testTimeoutSecs");
    assert_eq!(lsp.shutdown_and_exit(), 0);
}
