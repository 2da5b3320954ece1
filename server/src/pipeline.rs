//! The role pipeline: architect → backend ∥ frontend → devops → tester → security.
//!
//! It knows nothing of LSP: progress and streamed text leave through [`Events`], files
//! through a [`FileSink`], and the result is a plain [`RunSummary`]. The CLI and the language
//! server drive the same function.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::engine::{Engine, EngineName};
use crate::git;
use crate::model::roles::RoleCtx;
use crate::model::wire::Usage;
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
    /// The `autocrea` binary, to run the app's commands under `autocrea __confine` (write
    /// confinement with Landlock); `None` runs them unconfined.
    pub confine: Option<PathBuf>,
    /// Re-run one role on the existing generation in the destination folder (a new commit on
    /// its branch), instead of generating from the idea.
    pub rerun: Option<Role>,
}

/// What a run reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The run moved: which role, what it is doing, how far along the whole run is (0–100).
    Progress { role: Role, message: String, percentage: u32 },
    /// Text a role produced as it arrives (a model's answer; the app's test output).
    Stream { role: Role, text: String },
    /// Something the user should know that does not move the run (a retry, a fallback).
    Notice { role: Role, message: String },
    /// The account's credit balance after a role's step (estimated from the tokens used so
    /// far until the run is charged at its end).
    Balance { credits: i64, estimated: bool },
}

pub trait Events: Send + Sync {
    fn emit(&self, event: Event);
}

/// Passes events on and keeps the notices for the summary.
struct Tap<'a, E> {
    inner: &'a E,
    notices: std::sync::Mutex<Vec<String>>,
}

impl<E: Events> Events for Tap<'_, E> {
    fn emit(&self, event: Event) {
        if let Event::Notice { role, message } = &event {
            self.notices.lock().unwrap().push(format!("{role}: {message}"));
        }
        self.inner.emit(event);
    }
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
    /// Tokens the role's model calls used (absent for the offline engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
    /// Short ids of the commits of the role's steps (repair rounds add more), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<String>,
}

/// Token usage, as the servers reported it (or estimated where they did not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    /// Some figures were estimated (about 4 characters a token).
    pub estimated: bool,
}

impl Tokens {
    fn from_usage(u: &Usage) -> Tokens {
        Tokens { input: u.input, output: u.output, estimated: u.estimated }
    }

    pub fn total(&self) -> u64 {
        self.input + self.output
    }
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
    /// Repair rounds run (failures sent back to the roles that own the files).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repair_rounds: u32,
    pub duration_ms: u64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityReport {
    pub status: StepStatus,
    pub message: String,
    /// Files the rules checked.
    #[serde(default)]
    pub files_audited: usize,
    /// Whether a model reviewed the code too (model engines).
    #[serde(default)]
    pub model_review: bool,
    /// Fixes applied (setting `autoFix`).
    #[serde(default, skip_serializing_if = "is_zero_usize")]
    pub fixed: usize,
}

fn is_zero_usize(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub run_id: String,
    pub idea: String,
    pub dir: PathBuf,
    /// The app's name, once the architect has named it.
    pub app: Option<String>,
    /// The git branch the run commits to (`autocrea/<slug>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    pub engine: EngineName,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub roles: Vec<RoleReport>,
    pub tests: TestReport,
    pub security: SecurityReport,
    /// Security findings in the app's files (paths relative to `dir`), from the rules and,
    /// with a model engine, the model's checked review.
    pub findings: Vec<crate::audit::Finding>,
    pub files_written: usize,
    /// Tokens of every model call of the run (absent for the offline engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
    /// Retries, fallbacks and other things the user was told during the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// Credits, for runs metered by the AUTOCREA gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Credits>,
    pub duration_ms: u64,
}

/// What a metered run cost, or why it could not start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credits {
    /// Credits charged (absent when the run did not start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charged: Option<i64>,
    /// The balance after the run (or when it was refused).
    pub balance: i64,
    /// What a generation needs, when the balance could not cover it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// Where to buy more, when the balance could not cover it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_url: Option<String>,
    pub gateway: String,
}

/// The run's hold on the account's credits.
struct Meter {
    account: crate::account::Account,
    reservation: String,
    /// The balance before the hold.
    start: i64,
}

pub const NO_AUDIT: &str = "No security audit ran: the run stopped before the security step, so nothing was checked. Run `autocrea audit` on the app.";

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
                let tokens = match self.tokens {
                    Some(t) => format!(
                        ", {}{:.1}k tokens",
                        if t.estimated { "~" } else { "" },
                        t.total() as f64 / 1000.0
                    ),
                    None => String::new(),
                };
                let branch = self.branch.as_ref().map(|b| format!(" on branch {b}")).unwrap_or_default();
                let security = match (self.security.status, self.findings.len()) {
                    (StepStatus::Done, 0) => "security audit clean".to_string(),
                    (StepStatus::Done, n) => {
                        let errors = self
                            .findings
                            .iter()
                            .filter(|f| f.severity == crate::audit::Severity::Error)
                            .count();
                        format!("{n} security finding{} ({errors} error{})", plural(n), plural(errors))
                    }
                    _ => "no security audit ran".to_string(),
                };
                let credits = match &self.credits {
                    Some(Credits { charged: Some(c), balance, .. }) => {
                        format!("; {c} credit{} charged, {balance} left", plural(*c as usize))
                    }
                    _ => String::new(),
                };
                format!(
                    "AUTOCREA built {app} in {}{branch} ({} files, {tests}; engine {}{tokens}{credits}; {security}) in {secs:.1} s",
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

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
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
        events: Tap { inner: events, notices: std::sync::Mutex::new(Vec::new()) },
        cancel: &cancel,
        summary: RunSummary {
            run_id: req.run_id.clone(),
            idea: req.idea.clone(),
            dir: match &req.destination {
                Destination::Folder(p) | Destination::InRoot(p) => p.clone(),
            },
            app: None,
            branch: None,
            engine: req.config.engine.unwrap_or(EngineName::Offline),
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
                repair_rounds: 0,
                duration_ms: 0,
            },
            security: SecurityReport {
                status: StepStatus::NotRun,
                message: NO_AUDIT.into(),
                files_audited: 0,
                model_review: false,
                fixed: 0,
            },
            findings: Vec::new(),
            files_written: 0,
            tokens: None,
            notices: Vec::new(),
            credits: None,
            duration_ms: 0,
        },
        planned: 1,
        delivered: AtomicUsize::new(0),
        written: std::sync::Mutex::new(Vec::new()),
        branch: None,
        uncommitted: std::sync::Mutex::new(Vec::new()),
        dir: None,
        meter: None,
    };
    let result = run.all().await;
    // A metered run is charged what it used, whether it finished or not.
    if let Some(meter) = run.meter.take() {
        let gateway = crate::account::Gateway::new(&meter.account.gateway);
        match gateway.settle(&meter.account.token, &meter.reservation).await {
            Ok(settled) => {
                run.events.emit(Event::Balance { credits: settled.balance, estimated: false });
                run.summary.credits = Some(Credits {
                    charged: Some(settled.charged),
                    balance: settled.balance,
                    price: None,
                    upgrade_url: None,
                    gateway: gateway.url.clone(),
                });
            }
            Err(e) => run.events.emit(Event::Notice {
                role: Role::Security,
                message: format!("could not settle the run's credits ({e}); the gateway settles them itself within the hour"),
            }),
        }
    }
    // A run that stops mid-step leaves the branch at its last complete step, the tree clean.
    if result.is_err()
        && let (Some(branch), Some(dir)) = (&run.branch, &run.dir)
    {
        let pending: Vec<String> =
            std::mem::take(&mut *run.uncommitted.lock().unwrap()).into_iter().map(|(_, p)| p).collect();
        // The manifest goes back with the files it records.
        let mut discard = pending.clone();
        discard.push(crate::workspace::MANIFEST_PATH.into());
        match git::discard_uncommitted(branch, dir, &discard) {
            Ok(()) if !pending.is_empty() => {
                // What was taken back is no longer written.
                for report in &mut run.summary.roles {
                    report.files.retain(|f| !pending.contains(f));
                }
                run.summary.files_written = run
                    .summary
                    .roles
                    .iter()
                    .filter(|r| r.role != Role::Architect)
                    .map(|r| r.files.len())
                    .sum();
                run.events.emit(Event::Notice {
                    role: Role::Architect,
                    message: format!(
                        "took back {} file(s) of the unfinished step; {} is at its last complete step",
                        pending.len(),
                        branch.branch
                    ),
                });
            }
            Ok(()) => {}
            Err(e) => tracing::warn!("could not put the work tree back to the last step: {e}"),
        }
    }
    let mut summary = run.summary;
    summary.notices = run.events.notices.into_inner().unwrap();
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
            summary.roles.push(RoleReport {
                role,
                status,
                files: vec![],
                message,
                tokens: None,
                commits: vec![],
            });
        }
    }
    summary.roles.sort_by_key(|r| r.role);
    summary.duration_ms = started.elapsed().as_millis() as u64;
    summary
}

struct Run<'a, S, E> {
    req: &'a RunRequest,
    sink: &'a S,
    events: Tap<'a, E>,
    cancel: &'a CancellationToken,
    summary: RunSummary,
    /// Files planned in all, and delivered so far by every role, for the percentage.
    planned: usize,
    delivered: AtomicUsize,
    /// Paths written in this run, in order.
    written: std::sync::Mutex<Vec<String>>,
    /// The run's git branch, once prepared.
    branch: Option<git::RunBranch>,
    /// Files written since the last commit (discarded if the run stops before its step ends).
    uncommitted: std::sync::Mutex<Vec<(Role, String)>>,
    /// The app's folder, once known.
    dir: Option<PathBuf>,
    /// The credits held for a metered run.
    meter: Option<Meter>,
}

impl<S: FileSink, E: Events> Run<'_, S, E> {
    /// A metered engine holds credits before anything runs: a balance that cannot cover a
    /// generation stops the run here, saying the balance, the price and where to upgrade.
    async fn hold_credits(&mut self, engine: &mut Engine) -> Result<()> {
        let Some(account) = engine.metered_account(&self.req.config) else { return Ok(()) };
        self.progress(Role::Architect, "holding credits for this run".into(), 1);
        let gateway = crate::account::Gateway::new(&account.gateway);
        match self.cancellable(async { Ok(gateway.reserve(&account.token).await) }).await? {
            Ok(r) => {
                engine.set_reservation(&r.id);
                self.events.emit(Event::Balance { credits: r.balance, estimated: true });
                self.meter = Some(Meter { account, reservation: r.id, start: r.balance + r.reserved });
                Ok(())
            }
            Err(e) => {
                if let crate::account::AccountError::InsufficientCredits { balance, price, upgrade_url } = &e
                {
                    self.summary.credits = Some(Credits {
                        charged: None,
                        balance: *balance,
                        price: Some(*price),
                        upgrade_url: Some(upgrade_url.clone()),
                        gateway: gateway.url.clone(),
                    });
                }
                Err(e.into())
            }
        }
    }

    /// After a step of a metered run: the balance as it will be once the tokens used so far
    /// are charged.
    fn report_balance(&self) {
        let Some(meter) = &self.meter else { return };
        let tokens: u64 = self.summary.roles.iter().filter_map(|r| r.tokens).map(|t| t.total()).sum();
        let used = tokens.div_ceil(1000) as i64;
        self.events.emit(Event::Balance { credits: meter.start - used, estimated: true });
    }

    async fn all(&mut self) -> Result<()> {
        if let Some(role) = self.req.rerun {
            return self.rerun(role).await;
        }
        let idea = self.req.idea.trim();
        if idea.is_empty() {
            return Err(anyhow!(
                "the idea is empty: say what the app should do, e.g. \"a blog with comments\""
            ));
        }
        let workspace = match &self.req.destination {
            Destination::Folder(p) | Destination::InRoot(p) => p.clone(),
        };
        let mut engine = Engine::select(&self.req.config, Some(workspace))?;
        self.summary.engine = engine.name();
        self.hold_credits(&mut engine).await?;

        // Architect.
        self.progress(Role::Architect, format!("planning the app (engine {})", engine.name()), 1);
        let no_files = BTreeMap::new();
        let ctx = RoleCtx::new(Role::Architect, &self.events, self.cancel, &no_files);
        let spec = self.cancellable(engine.architect(idea, &ctx)).await.context("the architect failed")?;
        let tokens = self.tokens_of(&engine, &ctx);
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
        // The run's own branch, the user's work safe first.
        let user_changes = if self.req.config.commit_user_changes || self.req.config.overwrite {
            git::UserChanges::CommitFirst
        } else {
            git::UserChanges::Refuse
        };
        self.dir = Some(target.root().to_path_buf());
        let branch = git::prepare(target.root(), idea, &self.req.run_id, gitignore_for(&spec), user_changes)?;
        self.summary.branch = Some(branch.branch.clone());
        self.progress(Role::Architect, format!("working on branch {}", branch.branch), 4);
        self.branch = Some(branch);
        target.write_own(SPEC_PATH, &spec.to_json())?;
        self.uncommitted.lock().unwrap().push((Role::Architect, SPEC_PATH.into()));
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
            tokens,
            commits: vec![],
        });
        self.commit(
            &engine,
            Role::Architect,
            format!("planned {} files for {}", spec.files.len(), spec.title),
        )?;
        self.progress(Role::Architect, format!("planned {} files for {}", spec.files.len(), spec.title), 5);

        // Backend and frontend depend only on the spec: they run together.
        let (backend, frontend) = tokio::join!(
            self.role_files(&engine, &spec, &target, Role::Backend, &[], None),
            self.role_files(&engine, &spec, &target, Role::Frontend, &[], None),
        );
        // Both are recorded (files written, why one stopped) before either failure ends the run.
        let backend = self.push_role(Role::Backend, backend);
        let frontend = self.push_role(Role::Frontend, frontend);
        backend.and(frontend)?;
        // One commit per role, each with exactly its own files.
        self.commit_role(&engine, Role::Backend)?;
        self.commit_role(&engine, Role::Frontend)?;
        let devops = self.role_files(&engine, &spec, &target, Role::Devops, &[], None).await;
        self.push_role(Role::Devops, devops)?;
        self.commit_role(&engine, Role::Devops)?;
        let tests = self.role_files(&engine, &spec, &target, Role::Tester, &[], None).await;
        self.push_role(Role::Tester, tests)?;
        self.commit_role(&engine, Role::Tester)?;

        self.run_tests(&engine, &spec, &target).await?;

        self.security(&engine, &spec, &target).await?;
        let total =
            self.summary.roles.iter().filter_map(|r| r.tokens).fold(None, |acc: Option<Tokens>, t| {
                let mut sum = acc.unwrap_or_default();
                sum.input += t.input;
                sum.output += t.output;
                sum.estimated |= t.estimated;
                Some(sum)
            });
        self.summary.tokens = total.or(self.summary.tokens);
        // The engine that finished the run (after any fallback).
        self.summary.engine = engine.name();
        Ok(())
    }

    /// Re-runs one role on an existing generation: the spec from `.autocrea/spec.json`, the
    /// role's previous files given to the model, one new commit on the generation's branch.
    async fn rerun(&mut self, role: Role) -> Result<()> {
        let dir = match &self.req.destination {
            Destination::Folder(p) | Destination::InRoot(p) => p.clone(),
        };
        let spec_text = std::fs::read_to_string(dir.join(SPEC_PATH)).map_err(|_| {
            anyhow!("{} holds no AUTOCREA app ({SPEC_PATH} is missing); generate one first", dir.display())
        })?;
        let spec = AppSpec::from_json(&spec_text)?;
        self.summary.idea = spec.idea.clone();
        self.summary.app = Some(spec.name.clone());
        if matches!(role, Role::Architect | Role::Security) {
            return Err(anyhow!(
                "the {role} role writes no app files to re-run; re-run backend, frontend, devops or tester"
            ));
        }
        let mut engine = Engine::select(&self.req.config, Some(dir.clone()))?;
        self.summary.engine = engine.name();
        self.hold_credits(&mut engine).await?;
        let target = Target::open(&dir, self.req.config.max_file_bytes)?;
        self.summary.dir = target.root().to_path_buf();
        let branch = git::current_run_branch(target.root())?;
        self.summary.branch = Some(branch.branch.clone());
        let paths: Vec<String> = spec.files_of(role).map(|f| f.path.clone()).collect();
        if !self.req.config.overwrite {
            let in_the_way = target.in_the_way(paths.iter().map(String::as_str));
            if !in_the_way.is_empty() {
                return Err(WriteError::InTheWay(in_the_way).into());
            }
        }
        self.dir = Some(target.root().to_path_buf());
        self.branch = Some(branch);
        self.planned = paths.len().max(1);
        self.progress(role, format!("re-running the {role} role (engine {})", engine.name()), 5);
        let previous = format!(
            "Re-run of the {role} role: its previous output is shown above. Write the files again, whole, \
             keeping what works and improving what falls short."
        );
        let repair = matches!(engine, Engine::Models(_)).then_some(previous.as_str());
        let result = self.role_files(&engine, &spec, &target, role, &paths, repair).await;
        self.push_role(role, result)?;
        self.commit(&engine, role, "re-run".into())?;
        self.run_tests(&engine, &spec, &target).await?;
        self.security(&engine, &spec, &target).await?;
        self.progress(role, "re-run done".into(), 100);
        Ok(())
    }

    /// The security role: the rules over every file of the app, the model's review on top with
    /// a model engine, and with `autoFix` the fixes applied as the role's commit.
    async fn security(&mut self, engine: &Engine, spec: &AppSpec, target: &Target) -> Result<()> {
        self.progress(Role::Security, "auditing the app's files".into(), 96);
        let audited = audit_folder(target.root().to_path_buf()).await?;
        let files_audited = audited.files;
        let mut findings = audited.findings;
        let mut tokens = None;
        let mut model_review = false;
        if let Engine::Models(models) = engine {
            self.progress(Role::Security, "asking the model to review the code".into(), 97);
            let context = self.written_files(target);
            let ctx = RoleCtx::new(Role::Security, &self.events, self.cancel, &context);
            let known: Vec<String> =
                findings.iter().map(|f| format!("{}:{} {}", f.path, f.range.start.line, f.rule)).collect();
            match self.cancellable(models.security_review(spec, &ctx, &known)).await {
                Ok(review) => {
                    model_review = true;
                    if !review.dropped.is_empty() {
                        self.events.emit(Event::Notice {
                            role: Role::Security,
                            message: format!(
                                "dropped {} of the model's findings that did not check out: {}",
                                review.dropped.len(),
                                review.dropped.join("; ")
                            ),
                        });
                    }
                    crate::audit::review::merge(&mut findings, review.findings);
                }
                Err(_) if self.cancel.is_cancelled() => return Err(anyhow!("cancelled")),
                Err(e) => self.events.emit(Event::Notice {
                    role: Role::Security,
                    message: format!("the model's review failed ({e:#}); the rules' audit stands alone"),
                }),
            }
            tokens = self.tokens_of(engine, &ctx);
        }
        // The role's report, before its commit (which reads the tokens and adds its id).
        self.summary.roles.push(RoleReport {
            role: Role::Security,
            status: StepStatus::Done,
            files: vec![],
            message: None,
            tokens,
            commits: vec![],
        });
        let mut fixed = 0;
        if self.req.config.auto_fix && findings.iter().any(|f| f.fix.is_some()) {
            let fixed_files;
            (fixed, fixed_files) = self.apply_fixes(target, &findings).await?;
            if let Some(report) = self.summary.roles.iter_mut().find(|r| r.role == Role::Security) {
                report.files = fixed_files;
            }
            if fixed > 0 {
                self.commit(engine, Role::Security, format!("fixed {fixed} finding{}", plural(fixed)))?;
                // What the fixes did not settle, as the rules now see it; the model's findings
                // that had no fix stay.
                let model_left: Vec<_> = findings
                    .into_iter()
                    .filter(|f| f.origin == crate::audit::Origin::Model && f.fix.is_none())
                    .collect();
                let again = audit_folder(target.root().to_path_buf()).await?;
                findings = again.findings;
                crate::audit::review::merge(&mut findings, model_left);
            }
        }
        let by = if model_review { "the rules and the model's review" } else { "the rules" };
        let files = crate::audit::report::count(files_audited, "file");
        let message = if findings.is_empty() {
            format!("No findings: {files} checked by {by}.")
        } else {
            format!(
                "{} in {files} checked by {by}; they show as diagnostics in the editor, or run `autocrea audit {}`.",
                crate::audit::report::tally(&findings),
                target.root().display()
            )
        };
        let message = if fixed > 0 { format!("Fixed {fixed}. {message}") } else { message };
        if let Some(report) = self.summary.roles.iter_mut().find(|r| r.role == Role::Security) {
            report.message = Some(message.clone());
        }
        self.summary.security = SecurityReport {
            status: StepStatus::Done,
            message: message.clone(),
            files_audited,
            model_review,
            fixed,
        };
        self.summary.findings = findings;
        self.progress(Role::Security, message, 100);
        Ok(())
    }

    /// Applies every finding's fix, file by file; returns how many applied and the files changed.
    async fn apply_fixes(
        &self,
        target: &Target,
        findings: &[crate::audit::Finding],
    ) -> Result<(usize, Vec<String>)> {
        let mut by_file: BTreeMap<&str, Vec<crate::audit::Edit>> = BTreeMap::new();
        for f in findings {
            if let Some(fix) = &f.fix {
                by_file.entry(f.path.as_str()).or_default().extend(fix.edits.iter().cloned());
            }
        }
        let (mut fixed, mut files) = (0, Vec::new());
        for (path, edits) in by_file {
            let Ok(text) = std::fs::read_to_string(target.root().join(path)) else { continue };
            let (contents, applied) = crate::audit::apply_edits(&text, &edits);
            if applied == 0 || contents == text {
                continue;
            }
            let file = GeneratedFile { path: path.to_string(), contents };
            self.sink.deliver(target, &file).await?;
            self.uncommitted.lock().unwrap().push((Role::Security, file.path.clone()));
            fixed += applied;
            files.push(file.path);
        }
        Ok((fixed, files))
    }

    /// Tokens a role used, for model engines.
    fn tokens_of(&self, engine: &Engine, ctx: &RoleCtx<'_>) -> Option<Tokens> {
        match engine {
            Engine::Offline => None,
            Engine::Models(_) => Some(Tokens::from_usage(&ctx.usage.lock().unwrap())),
        }
    }

    /// The files the run has written so far, as the roles' context.
    fn written_files(&self, target: &Target) -> BTreeMap<String, String> {
        let paths: Vec<String> = self.written.lock().unwrap().clone();
        paths
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(target.root().join(&p)).ok().map(|c| (p, c)))
            .collect()
    }

    /// One role's files: each delivered as soon as the engine has it whole. `only` limits the
    /// role to some of its files and `repair` carries failing test output (repair rounds).
    async fn role_files(
        &self,
        engine: &Engine,
        spec: &AppSpec,
        target: &Target,
        role: Role,
        only: &[String],
        repair: Option<&str>,
    ) -> (Vec<String>, Option<Tokens>, Result<()>) {
        let mut written = Vec::new();
        let mut context = self.written_files(target);
        // A repair or a re-run shows the role the files it rewrites.
        for path in only {
            if let Ok(text) = std::fs::read_to_string(target.root().join(path)) {
                context.insert(path.clone(), text);
            }
        }
        // A refused file stops the role's model calls too.
        let role_cancel = self.cancel.child_token();
        let ctx = RoleCtx::new(role, &self.events, &role_cancel, &context);
        let (tx, mut rx) = mpsc::unbounded_channel::<GeneratedFile>();
        let count = if only.is_empty() { spec.files_of(role).count() } else { only.len() };
        self.progress(
            role,
            format!("writing {count} files"),
            self.percent(self.delivered.load(Ordering::Relaxed)),
        );
        let produce = async {
            let tx = tx;
            match (engine, repair) {
                (Engine::Models(models), Some(note)) => {
                    models.batch(spec, role, &ctx, only, Some(note), &tx).await
                }
                _ => engine.files(spec, role, &ctx, tx.clone()).await,
            }
            .with_context(|| format!("the {role} role failed"))
        };
        let consume = async {
            while let Some(file) = rx.recv().await {
                // A role writes only what the plan gives it.
                if !spec.files_of(role).any(|p| p.path == file.path) {
                    role_cancel.cancel();
                    return Err(anyhow!(
                        "the {role} role produced {:?}, which the plan does not give it",
                        file.path
                    ));
                }
                if let Err(e) = target.check(&file.path, &file.contents) {
                    role_cancel.cancel();
                    return Err(e.into());
                }
                if self.cancel.is_cancelled() {
                    return Err(anyhow!("cancelled"));
                }
                // Not cut short by a cancel: a file being delivered is finished, so none is
                // left half-written; the run stops before the next one.
                if let Err(e) = self.sink.deliver(target, &file).await {
                    role_cancel.cancel();
                    return Err(e);
                }
                self.written.lock().unwrap().push(file.path.clone());
                self.uncommitted.lock().unwrap().push((role, file.path.clone()));
                written.push(file.path.clone());
                let done = self.delivered.fetch_add(1, Ordering::Relaxed) + 1;
                self.progress(role, file.path, self.percent(done));
            }
            Ok(())
        };
        let (produced, consumed) = tokio::join!(produce, consume);
        let tokens = self.tokens_of(engine, &ctx);
        // The delivery error explains a producer stopped by it.
        let result = consumed.and(produced);
        (written, tokens, result)
    }

    fn push_role(
        &mut self,
        role: Role,
        (files, tokens, result): (Vec<String>, Option<Tokens>, Result<()>),
    ) -> Result<()> {
        let status = match &result {
            Ok(()) => StepStatus::Done,
            Err(_) if self.cancel.is_cancelled() => StepStatus::Cancelled,
            Err(_) => StepStatus::Failed,
        };
        self.summary.files_written += files.len();
        let message = result.as_ref().err().map(|e| format!("{e:#}"));
        self.summary.roles.push(RoleReport { role, status, files, message, tokens, commits: vec![] });
        result
    }

    /// 5–60 %: files; 60–95 %: install and tests; 95–100 %: security.
    fn percent(&self, files_done: usize) -> u32 {
        5 + (55 * files_done.min(self.planned) / self.planned) as u32
    }

    /// Installs and runs the app's tests; with a model engine, failures go back to the roles
    /// that own the faulty files, at most `repairRounds` times.
    async fn run_tests(&mut self, engine: &Engine, spec: &AppSpec, target: &Target) -> Result<()> {
        let started = Instant::now();
        self.summary.tests.command = Some(spec.commands.test.clone());
        if !self.req.config.run_tests {
            self.summary.tests.status = TestStatus::Skipped;
            self.summary.tests.message = Some(
                "the generated tests were not run, as asked (setting `runTests: false`, or `--no-tests`)"
                    .into(),
            );
            return Ok(());
        }
        self.progress(Role::Tester, format!("installing: {}", spec.commands.install), 60);
        let install = self.command(&spec.commands.install, target).await?;
        self.summary.tests.duration_ms = started.elapsed().as_millis() as u64;
        if let Some(problem) = self.command_problem(&spec.commands.install, &install) {
            self.summary.tests.status = TestStatus::Error;
            self.summary.tests.message = Some(format!("installing failed: {problem}"));
            self.summary.tests.output = Some(install.output);
            return Ok(());
        }
        let rounds = match engine {
            Engine::Models(_) => self.req.config.repair_rounds,
            Engine::Offline => 0,
        };
        let mut round = 0;
        loop {
            self.progress(Role::Tester, format!("running the tests: {}", spec.commands.test), 80);
            let run = self.command(&spec.commands.test, target).await?;
            self.summary.tests.duration_ms = started.elapsed().as_millis() as u64;
            if run.outcome == Outcome::TimedOut {
                let problem = self.command_problem(&spec.commands.test, &run);
                let report = &mut self.summary.tests;
                report.status = TestStatus::Error;
                report.message = problem;
                report.output = Some(run.output);
                return Ok(());
            }
            let (passed, failed) = pytest_counts(&run.output);
            let report = &mut self.summary.tests;
            report.passed = passed;
            report.failed = failed;
            if run.succeeded() {
                report.status = TestStatus::Passed;
                report.message = None;
                report.output = None;
                self.progress(Role::Tester, format!("{} tests passed", passed.unwrap_or(0)), 95);
                return Ok(());
            }
            report.status = TestStatus::Failed;
            report.message = Some(format!("`{}` ended with {:?}", spec.commands.test, run.outcome));
            report.output = Some(run.output.clone());
            if round >= rounds {
                self.progress(Role::Tester, format!("{} tests failed", failed.unwrap_or(0)), 95);
                return Ok(());
            }
            round += 1;
            self.summary.tests.repair_rounds = round;
            self.repair(engine, spec, target, &run.output, round, rounds).await?;
        }
    }

    /// One repair round: the tester names the faulty files, their roles rewrite them.
    async fn repair(
        &mut self,
        engine: &Engine,
        spec: &AppSpec,
        target: &Target,
        failure: &str,
        round: u32,
        rounds: u32,
    ) -> Result<()> {
        let Engine::Models(models) = engine else { return Ok(()) };
        self.progress(Role::Tester, format!("repair round {round}/{rounds}: finding the faulty files"), 85);
        let context = self.written_files(target);
        let ctx = RoleCtx::new(Role::Tester, &self.events, self.cancel, &context);
        let faults = self.cancellable(models.diagnose(spec, &ctx, failure)).await?;
        self.add_tokens(Role::Tester, self.tokens_of(engine, &ctx));
        let mut by_role: BTreeMap<Role, Vec<String>> = BTreeMap::new();
        for (role, path) in faults {
            by_role.entry(role).or_default().push(path);
        }
        for (role, paths) in by_role {
            self.progress(role, format!("repair round {round}/{rounds}: rewriting {}", paths.join(", ")), 85);
            let note = crate::model::roles::repair_note(failure);
            let (files, tokens, result) =
                self.role_files(engine, spec, target, role, &paths, Some(&note)).await;
            self.add_tokens(role, tokens);
            if let Some(report) = self.summary.roles.iter_mut().find(|r| r.role == role) {
                for f in &files {
                    if !report.files.contains(f) {
                        report.files.push(f.clone());
                    }
                }
            }
            result?;
            self.commit(engine, role, format!("repair round {round}: rewrote {}", files.join(", ")))?;
        }
        Ok(())
    }

    /// Commits a role's step: its files written since the last commit.
    fn commit_role(&mut self, engine: &Engine, role: Role) -> Result<()> {
        let count = self.uncommitted.lock().unwrap().iter().filter(|(r, _)| *r == role).count();
        let summary = match count {
            0 => "wrote no files".to_string(),
            1 => "wrote 1 file".to_string(),
            n => format!("wrote {n} files"),
        };
        self.commit(engine, role, summary)
    }

    /// One commit of everything written since the last one, as `role`.
    fn commit(&mut self, engine: &Engine, role: Role, summary: String) -> Result<()> {
        let (Some(branch), Some(dir)) = (&self.branch, &self.dir) else { return Ok(()) };
        // Exactly this role's files: roles running together commit one after the other.
        let mut paths: Vec<String> = {
            let mut pending = self.uncommitted.lock().unwrap();
            let (mine, others): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(r, _)| *r == role);
            *pending = others;
            mine.into_iter().map(|(_, p)| p).collect()
        };
        if dir.join(crate::workspace::MANIFEST_PATH).exists() {
            paths.push(crate::workspace::MANIFEST_PATH.into());
        }
        let report = self.summary.roles.iter().find(|r| r.role == role);
        let step = git::Step {
            role,
            summary,
            engine: engine.name().to_string(),
            model: engine.model(role),
            tokens: report.and_then(|r| r.tokens).map(|t| t.total()),
            run_id: self.req.run_id.clone(),
        };
        let id = git::commit_step(branch, dir, &paths, &step, &self.req.config.git_email)?;
        self.report_balance();
        if let Some(id) = id {
            let id = git::short(id);
            self.events.emit(Event::Notice { role, message: format!("committed {id} on {}", branch.branch) });
            if let Some(report) = self.summary.roles.iter_mut().find(|r| r.role == role) {
                report.commits.push(id);
            }
        }
        Ok(())
    }

    fn add_tokens(&mut self, role: Role, tokens: Option<Tokens>) {
        let (Some(t), Some(report)) = (tokens, self.summary.roles.iter_mut().find(|r| r.role == role)) else {
            return;
        };
        let sum = report.tokens.get_or_insert_with(Tokens::default);
        sum.input += t.input;
        sum.output += t.output;
        sum.estimated |= t.estimated;
    }

    /// Runs one of the app's commands, its output streamed.
    async fn command(&self, command: &str, target: &Target) -> Result<sandbox::CommandRun> {
        let timeout = Duration::from_secs(self.req.config.test_timeout_secs);
        let events = &self.events;
        let confine = self.req.confine.as_deref();
        let run = sandbox::run(command, target.root(), timeout, self.cancel, confine, |line| {
            events.emit(Event::Stream { role: Role::Tester, text: format!("{line}\n") })
        })
        .await
        .with_context(|| format!("could not start `{command}`"))?;
        if run.outcome == Outcome::Cancelled {
            return Err(anyhow!("cancelled"));
        }
        Ok(run)
    }

    /// What went wrong with a command, if anything.
    fn command_problem(&self, command: &str, run: &sandbox::CommandRun) -> Option<String> {
        match &run.outcome {
            Outcome::Exited(0) => None,
            Outcome::TimedOut => Some(format!(
                "`{command}` did not finish within {} s (setting `autocrea.testTimeoutSecs`)",
                self.req.config.test_timeout_secs
            )),
            other => Some(format!("`{command}` ended with {other:?}")),
        }
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

/// The rules over every file of an app folder, off the async threads.
async fn audit_folder(root: PathBuf) -> Result<crate::audit::Audit> {
    tokio::task::spawn_blocking(move || crate::audit::audit_paths(std::slice::from_ref(&root), &root))
        .await
        .map_err(|e| anyhow!("the audit stopped unexpectedly: {e}"))
}

/// The `.gitignore` a new repository starts with, for the app's stack (the devops role writes
/// the app's own later).
fn gitignore_for(spec: &AppSpec) -> &'static str {
    match spec.stack.language.to_ascii_lowercase().as_str() {
        "javascript" | "typescript" | "node" => "node_modules/\ndist/\n.env\n*.db\n",
        _ => ".venv/\n__pycache__/\n*.py[cod]\n.pytest_cache/\n*.db\n*.db-journal\n.env\nuploads/\n",
    }
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
    fn the_headline_says_what_a_metered_run_cost() {
        let summary: RunSummary = serde_json::from_value(serde_json::json!({
            "runId": "run-1", "idea": "a blog", "dir": "/tmp/blog", "app": "blog", "engine": "joxcoder",
            "status": "succeeded", "roles": [], "findings": [], "filesWritten": 23, "durationMs": 1500,
            "tests": {"status": "skipped", "durationMs": 0},
            "security": {"status": "done", "message": "No findings", "filesAudited": 25},
            "credits": {"charged": 13, "balance": 87, "gateway": "http://gw"}
        }))
        .unwrap();
        let headline = summary.headline();
        assert!(headline.contains("13 credits charged, 87 left"), "{headline}");
        assert!(headline.contains("security audit clean"), "{headline}");
    }

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
