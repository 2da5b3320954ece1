//! The role pipeline: architect → backend ∥ frontend → devops → tester → security.
//!
//! It knows nothing of LSP: progress and streamed text leave through [`Events`], files
//! through a [`FileSink`], and the result is a plain [`RunSummary`]. The CLI and the language
//! server drive the same function.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::engine::{Engine, EngineName};
use crate::sandbox::{self, Outcome};
use crate::spec::{AppSpec, GeneratedFile, Role, SPEC_PATH};
use crate::workspace::{Target, WriteError};

/// Where the app goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// Exactly this folder.
    Folder(PathBuf),
    /// Inside a workspace root: the root itself when it is empty, else a new folder named
    /// after the app (made unique if a non-empty folder of that name exists).
    InRoot(PathBuf),
}

#[derive(Debug, Clone)]
pub struct RunRequest {
    pub run_id: String,
    pub idea: String,
    pub destination: Destination,
    pub config: Config,
}

/// What a run reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The run moved: which role, what it is doing, how far along the whole run is (0–100).
    Progress { role: Role, message: String, percentage: u32 },
    /// Text a role produced (for the offline engine: the generated app's test output).
    Stream { role: Role, text: String },
}

pub trait Events: Send + Sync {
    fn emit(&self, event: Event);
}

/// How a checked file reaches the workspace. On success the file is on disk with exactly
/// `file.contents` and recorded as AUTOCREA's.
pub trait FileSink: Send + Sync {
    fn deliver(&self, target: &Target, file: &GeneratedFile) -> impl Future<Output = Result<()>> + Send;
}

/// Writes straight to disk (the CLI, and clients without resource operations).
pub struct DiskSink;

impl FileSink for DiskSink {
    async fn deliver(&self, target: &Target, file: &GeneratedFile) -> Result<()> {
        Ok(target.write(&file.path, &file.contents)?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RunStatus {
    Succeeded,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    Done,
    Failed,
    Cancelled,
    NotRun,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
            StepStatus::Cancelled => "cancelled",
            StepStatus::NotRun => "not run",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleReport {
    pub role: Role,
    pub status: StepStatus,
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TestStatus {
    Passed,
    Failed,
    /// Not run because the user asked so (`runTests: false`).
    Skipped,
    /// Not run because the run stopped before the tester.
    NotRun,
    /// The install or test command could not run properly (timeout, missing tool).
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestReport {
    pub status: TestStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The tail of the install/test output when something went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityReport {
    pub status: StepStatus,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub run_id: String,
    pub idea: String,
    pub dir: PathBuf,
    /// The app's name, once the architect has named it.
    pub app: Option<String>,
    pub engine: EngineName,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub roles: Vec<RoleReport>,
    pub tests: TestReport,
    pub security: SecurityReport,
    /// Security findings (the auditor is not part of this version: always empty, and
    /// `security.status` says so).
    pub findings: Vec<serde_json::Value>,
    pub files_written: usize,
    pub duration_ms: u64,
}

pub const NO_AUDIT: &str = "No security audit ran: the security auditor is not part of this version \
     of AUTOCREA, so nothing was checked. Review the code yourself before deploying it.";

impl RunSummary {
    /// One line for a notification.
    pub fn headline(&self) -> String {
        let app = self.app.as_deref().unwrap_or("the app");
        let secs = self.duration_ms as f64 / 1000.0;
        match self.status {
            RunStatus::Succeeded => {
                let tests = match self.tests.status {
                    TestStatus::Passed => format!("its {} tests pass", self.tests.passed.unwrap_or(0)),
                    TestStatus::Failed => format!("{} of its tests fail", self.tests.failed.unwrap_or(0)),
                    TestStatus::Skipped => "tests not run, as asked".into(),
                    TestStatus::NotRun => "tests not run".into(),
                    TestStatus::Error => "its tests could not run".into(),
                };
                format!(
                    "AUTOCREA built {app} in {} ({} files, {tests}; engine {}; no security audit ran) in {secs:.1} s",
                    self.dir.display(),
                    self.files_written,
                    self.engine
                )
            }
            RunStatus::Failed => format!(
                "AUTOCREA could not build {app}: {}",
                self.error.as_deref().unwrap_or("unknown error")
            ),
            RunStatus::Cancelled => format!(
                "AUTOCREA run cancelled after {} files; every file written is complete",
                self.files_written
            ),
        }
    }
}

/// A fresh, unique run id.
pub fn new_run_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("run-{:x}{:04x}", (nanos >> 8) ^ u64::from(std::process::id()) << 40, n & 0xffff)
}

/// Runs the whole pipeline. Never panics on bad input: every failure ends in the summary.
pub async fn run(
    req: RunRequest,
    sink: &impl FileSink,
    events: &impl Events,
    cancel: CancellationToken,
) -> RunSummary {
    let started = Instant::now();
    let mut run = Run {
        req: &req,
        sink,
        events,
        cancel: &cancel,
        summary: RunSummary {
            run_id: req.run_id.clone(),
            idea: req.idea.clone(),
            dir: match &req.destination {
                Destination::Folder(p) | Destination::InRoot(p) => p.clone(),
            },
            app: None,
            engine: req.config.engine,
            status: RunStatus::Succeeded,
            error: None,
            roles: Vec::new(),
            tests: TestReport {
                status: TestStatus::NotRun,
                command: None,
                passed: None,
                failed: None,
                message: None,
                output: None,
                duration_ms: 0,
            },
            security: SecurityReport { status: StepStatus::NotRun, message: NO_AUDIT.into() },
            findings: Vec::new(),
            files_written: 0,
            duration_ms: 0,
        },
        planned: 1,
        delivered: AtomicUsize::new(0),
    };
    let result = run.all().await;
    let mut summary = run.summary;
    match result {
        Ok(()) => {}
        Err(_) if cancel.is_cancelled() => {
            summary.status = RunStatus::Cancelled;
            summary.error = Some("cancelled".into());
        }
        Err(e) => {
            summary.status = RunStatus::Failed;
            summary.error = Some(format!("{e:#}"));
        }
    }
    // Every role appears in the summary, in order, even those the run never reached.
    for role in Role::ALL {
        if !summary.roles.iter().any(|r| r.role == role) {
            let status = if role == Role::Security {
                StepStatus::NotRun
            } else if summary.status == RunStatus::Cancelled {
                StepStatus::Cancelled
            } else {
                StepStatus::NotRun
            };
            let message = (role == Role::Security).then(|| NO_AUDIT.to_string());
            summary.roles.push(RoleReport { role, status, files: vec![], message });
        }
    }
    summary.roles.sort_by_key(|r| r.role);
    summary.duration_ms = started.elapsed().as_millis() as u64;
    summary
}

struct Run<'a, S, E> {
    req: &'a RunRequest,
    sink: &'a S,
    events: &'a E,
    cancel: &'a CancellationToken,
    summary: RunSummary,
    /// Files planned in all, and delivered so far by every role, for the percentage.
    planned: usize,
    delivered: AtomicUsize,
}

impl<S: FileSink, E: Events> Run<'_, S, E> {
    async fn all(&mut self) -> Result<()> {
        let idea = self.req.idea.trim();
        if idea.is_empty() {
            return Err(anyhow!(
                "the idea is empty: say what the app should do, e.g. \"a blog with comments\""
            ));
        }
        let engine = Engine::select(self.req.config.engine)?;

        // Architect.
        self.progress(Role::Architect, format!("planning the app (engine {})", engine.name()), 1);
        let spec = self.cancellable(engine.architect(idea)).await.context("the architect failed")?;
        self.summary.app = Some(spec.name.clone());
        self.planned = spec.files.len().max(1);
        let dir = destination(&self.req.destination, &spec.name);
        self.summary.dir = dir.clone();
        let target = Target::open(&dir, self.req.config.max_file_bytes)
            .with_context(|| format!("could not create {}", dir.display()))?;
        self.summary.dir = target.root().to_path_buf();

        // Every planned path is checked, and nothing the user wrote is in the way, before
        // anything is written.
        for file in &spec.files {
            target.resolve(&file.path)?;
        }
        if !self.req.config.overwrite {
            let in_the_way = target.in_the_way(spec.files.iter().map(|f| f.path.as_str()));
            if !in_the_way.is_empty() {
                return Err(WriteError::InTheWay(in_the_way).into());
            }
        }
        target.write_own(SPEC_PATH, &spec.to_json())?;
        self.summary.roles.push(RoleReport {
            role: Role::Architect,
            status: StepStatus::Done,
            files: vec![SPEC_PATH.into()],
            message: Some(format!(
                "{}: {} entities, {} endpoints, {} files planned",
                spec.title,
                spec.entities.len(),
                spec.endpoints.len(),
                spec.files.len()
            )),
        });
        self.progress(Role::Architect, format!("planned {} files for {}", spec.files.len(), spec.title), 5);

        // Backend and frontend depend only on the spec: they run together.
        let (backend, frontend) = tokio::join!(
            self.role_files(&engine, &spec, &target, Role::Backend),
            self.role_files(&engine, &spec, &target, Role::Frontend),
        );
        // Both are recorded (files written, why one stopped) before either failure ends the run.
        let backend = self.push_role(Role::Backend, backend);
        let frontend = self.push_role(Role::Frontend, frontend);
        backend.and(frontend)?;
        let devops = self.role_files(&engine, &spec, &target, Role::Devops).await;
        self.push_role(Role::Devops, devops)?;
        let tests = self.role_files(&engine, &spec, &target, Role::Tester).await;
        self.push_role(Role::Tester, tests)?;

        self.run_tests(&spec, &target).await?;

        self.progress(Role::Security, NO_AUDIT.to_string(), 100);
        self.summary.roles.push(RoleReport {
            role: Role::Security,
            status: StepStatus::NotRun,
            files: vec![],
            message: Some(NO_AUDIT.into()),
        });
        Ok(())
    }

    /// One role's files: produced by the engine, then delivered one by one.
    async fn role_files(
        &self,
        engine: &Engine,
        spec: &AppSpec,
        target: &Target,
        role: Role,
    ) -> (Vec<String>, Result<()>) {
        let mut written = Vec::new();
        let result = async {
            let done = self.delivered.load(Ordering::Relaxed);
            self.progress(role, format!("writing {} files", spec.files_of(role).count()), self.percent(done));
            let files = self
                .cancellable(engine.files(spec, role))
                .await
                .with_context(|| format!("the {role} role failed"))?;
            for file in &files {
                // A role writes only what the plan gives it.
                if !spec.files_of(role).any(|p| p.path == file.path) {
                    return Err(anyhow!(
                        "the {role} role produced {:?}, which the plan does not give it",
                        file.path
                    ));
                }
                target.check(&file.path, &file.contents)?;
            }
            for file in files {
                if self.cancel.is_cancelled() {
                    return Err(anyhow!("cancelled"));
                }
                // Not cut short by a cancel: a file being delivered is finished, so none is
                // left half-written; the run stops before the next one.
                self.sink.deliver(target, &file).await?;
                written.push(file.path.clone());
                let done = self.delivered.fetch_add(1, Ordering::Relaxed) + 1;
                self.progress(role, file.path, self.percent(done));
            }
            Ok(())
        }
        .await;
        (written, result)
    }

    fn push_role(&mut self, role: Role, (files, result): (Vec<String>, Result<()>)) -> Result<()> {
        let status = match &result {
            Ok(()) => StepStatus::Done,
            Err(_) if self.cancel.is_cancelled() => StepStatus::Cancelled,
            Err(_) => StepStatus::Failed,
        };
        self.summary.files_written += files.len();
        let message = result.as_ref().err().map(|e| format!("{e:#}"));
        self.summary.roles.push(RoleReport { role, status, files, message });
        result
    }

    /// 5–60 %: files; 60–95 %: install and tests; 95–100 %: security.
    fn percent(&self, files_done: usize) -> u32 {
        5 + (55 * files_done.min(self.planned) / self.planned) as u32
    }

    async fn run_tests(&mut self, spec: &AppSpec, target: &Target) -> Result<()> {
        let started = Instant::now();
        let report = &mut self.summary.tests;
        report.command = Some(spec.commands.test.clone());
        if !self.req.config.run_tests {
            report.status = TestStatus::Skipped;
            report.message = Some(
                "the generated tests were not run, as asked (setting `runTests: false`, or `--no-tests`)"
                    .into(),
            );
            return Ok(());
        }
        let timeout = Duration::from_secs(self.req.config.test_timeout_secs);
        for (step, command, percentage) in
            [("installing", &spec.commands.install, 60), ("running the tests", &spec.commands.test, 80)]
        {
            self.progress(Role::Tester, format!("{step}: {command}"), percentage);
            let events = self.events;
            let run = sandbox::run(command, target.root(), timeout, self.cancel, |line| {
                events.emit(Event::Stream { role: Role::Tester, text: format!("{line}\n") })
            })
            .await
            .with_context(|| format!("could not start `{command}`"))?;
            let report = &mut self.summary.tests;
            report.duration_ms = started.elapsed().as_millis() as u64;
            match run.outcome {
                Outcome::Cancelled => return Err(anyhow!("cancelled")),
                Outcome::TimedOut => {
                    report.status = TestStatus::Error;
                    report.message = Some(format!(
                        "`{command}` did not finish within {} s (setting `autocrea.testTimeoutSecs`)",
                        timeout.as_secs()
                    ));
                    report.output = Some(run.output);
                    return Ok(());
                }
                _ if command == &spec.commands.install && !run.succeeded() => {
                    report.status = TestStatus::Error;
                    report.message =
                        Some(format!("installing failed: `{command}` ended with {:?}", run.outcome));
                    report.output = Some(run.output);
                    return Ok(());
                }
                _ if command == &spec.commands.install => {}
                _ => {
                    let (passed, failed) = pytest_counts(&run.output);
                    report.passed = passed;
                    report.failed = failed;
                    if run.succeeded() {
                        report.status = TestStatus::Passed;
                    } else {
                        report.status = TestStatus::Failed;
                        report.message = Some(format!("`{command}` ended with {:?}", run.outcome));
                        report.output = Some(run.output);
                    }
                }
            }
        }
        let report = &self.summary.tests;
        let line = match report.status {
            TestStatus::Passed => format!("{} tests passed", report.passed.unwrap_or(0)),
            _ => format!("{} tests failed", report.failed.unwrap_or(0)),
        };
        self.progress(Role::Tester, line, 95);
        Ok(())
    }

    /// Awaits `fut` unless the run is cancelled first.
    async fn cancellable<T>(&self, fut: impl Future<Output = Result<T>>) -> Result<T> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(anyhow!("cancelled")),
            r = fut => r,
        }
    }

    fn progress(&self, role: Role, message: String, percentage: u32) {
        self.events.emit(Event::Progress { role, message, percentage });
    }
}

/// Pass and fail counts from pytest's closing line ("3 passed, 1 failed in 0.52s");
/// errors count as failures.
pub fn pytest_counts(output: &str) -> (Option<u32>, Option<u32>) {
    let (mut passed, mut failed) = (None, None);
    let Some(line) =
        output.lines().rev().find(|l| l.contains(" passed") || l.contains(" failed") || l.contains(" error"))
    else {
        return (None, None);
    };
    let words: Vec<&str> = line.split([',', ' ']).filter(|w| !w.is_empty()).collect();
    for pair in words.windows(2) {
        let Ok(n) = pair[0].parse::<u32>() else { continue };
        match pair[1] {
            "passed" => passed = Some(n),
            "failed" | "error" | "errors" => failed = Some(failed.unwrap_or(0) + n),
            _ => {}
        }
    }
    if passed.is_none() && failed.is_none() {
        return (None, None);
    }
    (Some(passed.unwrap_or(0)), Some(failed.unwrap_or(0)))
}

/// The folder for a destination, once the app's name is known.
pub fn destination(dest: &Destination, app: &str) -> PathBuf {
    match dest {
        Destination::Folder(dir) => dir.clone(),
        Destination::InRoot(root) if is_empty_folder(root) => root.clone(),
        Destination::InRoot(root) => {
            let mut candidate = root.join(app);
            let mut n = 2;
            while !is_empty_folder(&candidate) && !is_ours(&candidate) {
                candidate = root.join(format!("{app}-{n}"));
                n += 1;
            }
            candidate
        }
    }
}

/// Missing, or empty but for a `.git` folder.
fn is_empty_folder(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.flatten().all(|e| e.file_name() == ".git"),
        Err(_) => !dir.exists(),
    }
}

/// A folder an earlier AUTOCREA run wrote (re-running there replaces only its own files).
fn is_ours(dir: &Path) -> bool {
    dir.join(crate::workspace::MANIFEST_PATH).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytest_closing_lines() {
        assert_eq!(pytest_counts("....\n12 passed in 0.40s\n"), (Some(12), Some(0)));
        assert_eq!(pytest_counts("F.\n=== 1 failed, 3 passed, 2 warnings in 1.2s ===\n"), (Some(3), Some(1)));
        assert_eq!(pytest_counts("2 failed, 1 error in 0.1s"), (Some(0), Some(3)));
        assert_eq!(pytest_counts("no tests ran in 0.01s"), (None, None));
    }

    #[test]
    fn destinations() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path().to_path_buf();
        // An empty root (or one holding only .git) is used as it is.
        std::fs::create_dir(r.join(".git")).unwrap();
        assert_eq!(destination(&Destination::InRoot(r.clone()), "shop"), r);
        std::fs::write(r.join("notes.md"), "x").unwrap();
        assert_eq!(destination(&Destination::InRoot(r.clone()), "shop"), r.join("shop"));
        // A folder of that name holding the user's files is not reused.
        std::fs::create_dir(r.join("shop")).unwrap();
        std::fs::write(r.join("shop/mine.txt"), "x").unwrap();
        assert_eq!(destination(&Destination::InRoot(r.clone()), "shop"), r.join("shop-2"));
        // One an earlier run wrote is.
        std::fs::create_dir_all(r.join("shop/.autocrea")).unwrap();
        std::fs::write(r.join("shop/.autocrea/manifest.json"), "{}").unwrap();
        assert_eq!(destination(&Destination::InRoot(r.clone()), "shop"), r.join("shop"));
        assert_eq!(destination(&Destination::Folder(r.join("x")), "shop"), r.join("x"));
    }
}
