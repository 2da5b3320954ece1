//! Running the generated app's own commands (install, test). The code is untrusted: it runs
//! with a scrubbed environment (no API keys, no tokens: only what a build tool needs), the
//! app's folder as working directory, a time limit, a cap on the output kept, and in its own
//! process group so a timeout or a cancel stops everything it started.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

/// Variables passed through to the app's commands; everything else is dropped. Package
/// managers need their index, proxy and certificate settings; nothing here holds an API key.
const PASSED_THROUGH: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TERM",
    "TMPDIR",
    "TZ",
    "SHELL",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "XDG_CACHE_HOME",
    "PYENV_ROOT",
    "PYENV_VERSION",
];
const PASSED_PREFIXES: &[&str] = &["LC_", "PIP_", "UV_INDEX", "NPM_CONFIG_REGISTRY"];

/// Output kept per command (the tail: the end of a test run is what says what failed).
const OUTPUT_CAP: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    Signalled,
    TimedOut,
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct CommandRun {
    pub outcome: Outcome,
    /// The tail of stdout and stderr, interleaved by line as they arrived.
    pub output: String,
    pub duration: Duration,
}

impl CommandRun {
    pub fn succeeded(&self) -> bool {
        self.outcome == Outcome::Exited(0)
    }
}

/// The environment the app's commands get.
pub fn scrubbed_env() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| {
            PASSED_THROUGH.contains(&k.as_str()) || PASSED_PREFIXES.iter().any(|p| k.starts_with(p))
        })
        .filter(|(k, _)| !looks_secret(k))
        .collect()
}

fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["KEY", "TOKEN", "SECRET", "PASSWORD"].iter().any(|w| upper.contains(w))
}

/// Runs `sh -c command` in `dir`; every line of output goes to `on_line` as it arrives.
/// With `confine` (the `autocrea` binary), the command may write only inside `dir`, the
/// temporary folder and the package caches, where the kernel supports Landlock.
pub async fn run(
    command: &str,
    dir: &Path,
    timeout: Duration,
    cancel: &CancellationToken,
    confine: Option<&Path>,
    mut on_line: impl FnMut(&str),
) -> std::io::Result<CommandRun> {
    let started = std::time::Instant::now();
    let mut cmd = match confine {
        Some(autocrea) => {
            let mut cmd = Command::new(autocrea);
            cmd.arg("__confine");
            for writable in crate::confine::writable_besides(dir) {
                cmd.arg("--write").arg(writable);
            }
            cmd.args(["--", "sh"]);
            cmd
        }
        None => Command::new("sh"),
    };
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .env_clear()
        .envs(scrubbed_env())
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd.spawn()?;
    let pid = child.id();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let out = child.stdout.take().map(|s| tokio::spawn(forward_lines(s, tx.clone())));
    let err = child.stderr.take().map(|s| tokio::spawn(forward_lines(s, tx)));

    let mut output = String::new();
    let mut keep = |line: &str, output: &mut String| {
        on_line(line);
        output.push_str(line);
        output.push('\n');
        if output.len() > OUTPUT_CAP * 2 {
            let cut = output.len() - OUTPUT_CAP;
            let cut = (cut..output.len()).find(|&i| output.is_char_boundary(i)).unwrap_or(cut);
            output.drain(..cut);
        }
    };

    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut lines_open = true;
    let outcome = loop {
        tokio::select! {
            line = rx.recv(), if lines_open => match line {
                Some(line) => keep(&line, &mut output),
                None => lines_open = false,
            },
            status = child.wait() => {
                break match status?.code() {
                    Some(code) => Outcome::Exited(code),
                    None => Outcome::Signalled,
                };
            }
            () = &mut deadline => break Outcome::TimedOut,
            () = cancel.cancelled() => break Outcome::Cancelled,
        }
    };
    if matches!(outcome, Outcome::Exited(_) | Outcome::Signalled) {
        // The last lines may still be in the pipes; a process left in the background may hold
        // them open, so wait only briefly.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(line) = rx.recv().await {
                keep(&line, &mut output);
            }
        })
        .await;
    }
    // Whatever the command left running goes with it.
    kill_group(pid);
    let _ = child.kill().await;
    for task in [out, err].into_iter().flatten() {
        task.abort();
    }
    while let Ok(line) = rx.try_recv() {
        keep(&line, &mut output);
    }
    if output.len() > OUTPUT_CAP {
        let cut = output.len() - OUTPUT_CAP;
        let cut = (cut..output.len()).find(|&i| output.is_char_boundary(i)).unwrap_or(cut);
        output.replace_range(..cut, "…");
    }
    Ok(CommandRun { outcome, output, duration: started.elapsed() })
}

async fn forward_lines(stream: impl AsyncRead + Unpin, tx: tokio::sync::mpsc::UnboundedSender<String>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if tx.send(line).is_err() {
            break;
        }
    }
}

/// Stops the whole process group the command started (pip, pytest, servers it spawned).
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = pid;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn secrets_do_not_reach_the_command() {
        // SAFETY of the test: the variables are only read by the child process.
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let mut cmd_env = std::collections::HashMap::new();
        for (k, v) in scrubbed_env() {
            cmd_env.insert(k, v);
        }
        assert!(cmd_env.keys().all(|k| !looks_secret(k)));
        let run = run("env", dir.path(), Duration::from_secs(10), &cancel, None, |_| {}).await.unwrap();
        assert!(run.succeeded());
        for line in run.output.lines() {
            let name = line.split('=').next().unwrap();
            assert!(
                name == "PYTHONUNBUFFERED"
                    || name == "PWD"
                    || name == "SHLVL"
                    || name == "_"
                    || cmd_env.contains_key(name),
                "{name} reached the command"
            );
        }
    }

    #[tokio::test]
    async fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let marker = dir.path().join("survived");
        let cmd = format!("(sleep 2; touch {}) & echo started; sleep 30", marker.display());
        let run = run(&cmd, dir.path(), Duration::from_millis(500), &cancel, None, |_| {}).await.unwrap();
        assert_eq!(run.outcome, Outcome::TimedOut);
        assert!(run.output.contains("started"));
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(!marker.exists(), "a child of the command outlived the timeout");
    }

    #[tokio::test]
    async fn cancel_stops_the_command_and_lines_stream() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        let mut seen = Vec::new();
        let run = run(
            "echo one; echo two >&2; sleep 30",
            dir.path(),
            Duration::from_secs(60),
            &cancel,
            None,
            |l| {
                seen.push(l.to_string());
                if seen.len() == 2 {
                    trigger.cancel();
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(run.outcome, Outcome::Cancelled);
        seen.sort();
        assert_eq!(seen, ["one", "two"]);
        assert!(run.duration < Duration::from_secs(30));
    }

    #[tokio::test]
    async fn exit_codes_and_output_cap() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let run = run(
            "i=0; while [ $i -lt 3000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; exit 3",
            dir.path(),
            Duration::from_secs(30),
            &cancel,
            None,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(run.outcome, Outcome::Exited(3));
        assert!(run.output.len() <= OUTPUT_CAP + 4);
        assert!(run.output.trim_end().ends_with("line-2999-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
        assert!(!run.output.contains("line-0-"));
    }
}
