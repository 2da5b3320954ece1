//! A small LSP client that drives the real `autocrea` binary over stdio, answers the server's
//! requests as an editor would, records everything, and checks that no request went
//! unanswered.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub mod fakes;
pub mod gateway;
pub mod scripted;

/// Model settings from the environment of whoever runs the tests; every spawned `autocrea`
/// starts without them, so a test gets the engine it asks for and nothing else.
pub const MODEL_ENV: &[&str] = &[
    "JOXCODER_API_URL",
    "JOXCODER_API_KEY",
    "JOXCODER_MODEL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "AUTOCREA_LOCAL_BASE_URL",
    "AUTOCREA_LOCAL_MODEL",
    "AUTOCREA_TOKEN",
    "AUTOCREA_GATEWAY_URL",
    "AUTOCREA_CREDENTIAL_STORE",
];

/// A command for the `autocrea` binary with a clean model environment, and credentials kept
/// in a file of this test process (never the developer's keyring or sign-in).
pub fn autocrea_command() -> Command {
    let mut cmd = Command::new(autocrea_bin());
    for var in MODEL_ENV {
        cmd.env_remove(var);
    }
    cmd.env("AUTOCREA_CREDENTIAL_STORE", "file").env("XDG_CONFIG_HOME", private_config_home());
    cmd
}

/// A config folder for this test process, so credentials written by one test process never
/// reach another.
pub fn private_config_home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("a temp dir")).path()
}

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// The `autocrea` binary, built (once per test process) from the workspace.
pub fn autocrea_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // The same profile as the caller: a release bench measures a release server.
        let profile: &[&str] = if cfg!(debug_assertions) { &[] } else { &["--release"] };
        let out = Command::new(env!("CARGO"))
            .args(["build", "-p", "autocrea", "--bin", "autocrea", "--message-format=json"])
            .args(profile)
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "building autocrea failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "autocrea")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the autocrea executable")
    })
}

/// Path of a fixture file in `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(rel)
}

/// The `initialize` params a real editor sends, with its workspace root set to `root`.
pub fn initialize_params(editor: &str, root: &Path) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("initialize/{editor}.json")))
        .unwrap_or_else(|e| panic!("fixture initialize/{editor}.json: {e}"));
    let root = root.to_str().expect("utf-8 path");
    let mut params: Value = serde_json::from_str(&text.replace("${ROOT}", root)).expect("fixture is JSON");
    params["processId"] = json!(std::process::id());
    params
}

/// How the client answers `workspace/applyEdit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyEdits {
    /// Like an editor: apply to in-memory buffers (not saved to disk) and say applied.
    Buffers,
    /// Refuse every edit.
    Refuse,
}

pub struct Lsp {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    next_id: i64,
    /// Ids of our requests that have no answer yet.
    unanswered: HashSet<i64>,
    /// Answers that arrived while waiting for something else.
    answers: HashMap<i64, Value>,
    /// Every notification and request the server sent, in order.
    pub received: Vec<Value>,
    /// Settings returned for `workspace/configuration` pulls of the `autocrea` section.
    pub settings: Value,
    pub apply_edits: ApplyEdits,
    /// Buffers created or changed by `workspace/applyEdit`, by URI.
    pub buffers: BTreeMap<String, String>,
    /// Called with each `workspace/applyEdit` request before it is answered; may return
    /// messages to send first (e.g. a cancel).
    pub on_apply_edit: Option<Box<dyn FnMut(usize) -> Vec<Value>>>,
    /// The action chosen in answer to `window/showMessageRequest` (none: dismissed).
    pub message_action: Option<String>,
    apply_edit_count: usize,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Lsp {
    pub fn spawn(args: &[&str]) -> Lsp {
        Lsp::spawn_with_env(args, &[])
    }

    pub fn spawn_with_env(args: &[&str], env: &[(&str, &str)]) -> Lsp {
        let mut child = autocrea_command()
            .args(args)
            .env("AUTOCREA_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("autocrea starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut reader) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Lsp {
            stdin: child.stdin.take(),
            child,
            rx,
            next_id: 1,
            unanswered: HashSet::new(),
            answers: HashMap::new(),
            received: Vec::new(),
            settings: Value::Null,
            apply_edits: ApplyEdits::Buffers,
            buffers: BTreeMap::new(),
            on_apply_edit: None,
            message_action: None,
            apply_edit_count: 0,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server logged so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    pub fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its id without waiting.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.unanswered.insert(id);
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a request and waits for its answer: `Ok(result)` or `Err(error)`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.send_request(method, params);
        self.answer(id)
    }

    /// Waits for the answer to request `id`.
    pub fn answer(&mut self, id: i64) -> Result<Value, Value> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(msg) = self.answers.remove(&id) {
                return match msg.get("error") {
                    Some(err) => Err(err.clone()),
                    None => Ok(msg["result"].clone()),
                };
            }
            self.pump(deadline, &format!("the answer to request {id}"));
        }
    }

    /// Waits until the server sends a notification or request for which `pred` holds.
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        let mut seen = 0;
        loop {
            if let Some(found) = self.received[seen..].iter().find(|m| pred(m)) {
                return found.clone();
            }
            seen = self.received.len();
            self.pump(deadline, what);
        }
    }

    /// Notifications with this method received so far.
    pub fn notifications(&self, method: &str) -> Vec<Value> {
        self.received.iter().filter(|m| m["method"] == method && m.get("id").is_none()).cloned().collect()
    }

    /// Reads one message and handles it.
    fn pump(&mut self, deadline: Instant, what: &str) {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = match self.rx.recv_timeout(left) {
            Ok(msg) => msg,
            Err(RecvTimeoutError::Timeout) => {
                panic!("timed out waiting for {what}; server log:\n{}", self.stderr())
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!(
                    "the server closed its output while waiting for {what}; server log:\n{}",
                    self.stderr()
                )
            }
        };
        if msg.get("method").is_none() {
            // An answer to one of ours.
            let id = msg["id"].as_i64().unwrap_or(-1);
            self.unanswered.remove(&id);
            self.answers.insert(id, msg);
            return;
        }
        self.received.push(msg.clone());
        if let Some(id) = msg.get("id").cloned() {
            let result = self.answer_server_request(&msg);
            self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
        }
    }

    fn answer_server_request(&mut self, msg: &Value) -> Value {
        match msg["method"].as_str().unwrap_or_default() {
            "workspace/configuration" => {
                let items = msg["params"]["items"].as_array().cloned().unwrap_or_default();
                Value::Array(items.iter().map(|_| self.settings.clone()).collect())
            }
            "workspace/applyEdit" => {
                self.apply_edit_count += 1;
                let n = self.apply_edit_count;
                if let Some(hook) = self.on_apply_edit.as_mut() {
                    for extra in hook(n) {
                        self.send(&extra);
                    }
                }
                match self.apply_edits {
                    ApplyEdits::Buffers => {
                        apply_workspace_edit(&mut self.buffers, &msg["params"]["edit"]);
                        json!({"applied": true})
                    }
                    ApplyEdits::Refuse => {
                        json!({"applied": false, "failureReason": "the test refuses edits"})
                    }
                }
            }
            "window/showMessageRequest" => match &self.message_action {
                Some(title) => json!({"title": title}),
                None => Value::Null,
            },
            "window/showDocument" => json!({"success": true}),
            // window/workDoneProgress/create, client/registerCapability, …
            _ => Value::Null,
        }
    }

    /// `initialize` with a real editor's params, then `initialized`. Returns the result.
    pub fn initialize(&mut self, params: Value) -> Value {
        let result = self.request("initialize", params).expect("initialize succeeds");
        self.notify("initialized", json!({}));
        result
    }

    pub fn open(&mut self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
    }

    /// `shutdown` then `exit`; returns the exit code after checking nothing went unanswered.
    pub fn shutdown_and_exit(mut self) -> i32 {
        self.request("shutdown", Value::Null).expect("shutdown succeeds");
        self.notify("exit", Value::Null);
        self.assert_all_answered();
        self.wait_exit()
    }

    /// Waits for the process to end and returns its exit code.
    pub fn wait_exit(mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit; log:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every request we sent has been answered.
    pub fn assert_all_answered(&mut self) {
        // Answers may still be in flight: drain briefly.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.unanswered.is_empty() && Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Ok(msg) = self.rx.recv_timeout(left) {
                if msg.get("method").is_none() {
                    let id = msg["id"].as_i64().unwrap_or(-1);
                    self.unanswered.remove(&id);
                    self.answers.insert(id, msg);
                } else {
                    self.received.push(msg);
                }
            }
        }
        assert!(self.unanswered.is_empty(), "requests never answered: {:?}", self.unanswered);
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one framed message; `None` at the end of the stream.
pub fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// Applies a `WorkspaceEdit` with `documentChanges` (create + whole-text inserts) to buffers.
fn apply_workspace_edit(buffers: &mut BTreeMap<String, String>, edit: &Value) {
    for change in edit["documentChanges"].as_array().into_iter().flatten() {
        if change["kind"] == "create" {
            buffers.insert(change["uri"].as_str().unwrap().to_string(), String::new());
        } else if let Some(edits) = change["edits"].as_array() {
            let uri = change["textDocument"]["uri"].as_str().unwrap().to_string();
            let buffer = buffers.entry(uri).or_default();
            for e in edits {
                // The server only inserts a whole file at 0:0 into an empty buffer.
                assert_eq!(e["range"]["start"], json!({"line": 0, "character": 0}), "unexpected edit {e}");
                buffer.insert_str(0, e["newText"].as_str().unwrap());
            }
        }
    }
}

/// A `file://` URI for a path.
pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Every file below `dir` (relative paths, sorted), skipping `.git`, `.venv` and caches.
pub fn files_below(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if matches!(name.as_str(), ".venv" | "__pycache__" | ".pytest_cache" | ".git") {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The planned files of the spec saved in an app's folder.
pub fn planned_files(dir: &Path) -> Vec<String> {
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(".autocrea/spec.json")).expect("spec saved"))
            .expect("spec is JSON");
    spec["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
}

/// Runs `autocrea` and returns (exit code, stdout, stderr).
pub fn cli(args: &[&str]) -> (i32, String, String) {
    cli_with_env(args, &[])
}

/// Runs `autocrea` with extra environment variables.
pub fn cli_with_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = autocrea_command().args(args).envs(env.iter().copied()).output().expect("autocrea runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `git` in `dir` and returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
