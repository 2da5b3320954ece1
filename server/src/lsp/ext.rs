//! AUTOCREA's additions to the protocol: commands run through `workspace/executeCommand`,
//! and custom notifications. Each editor client mirrors this file
//! (`editors/vscode/src/ext.ts`, `editors/nvim/lua/autocrea/init.lua`).
//!
//! Commands:
//!
//! - `autocrea.generate` `[GenerateParams]` → `GenerateStarted` at once, or with `wait: true`
//!   the `RunSummary` when the run ends. The run outlives the request either way.
//! - `autocrea.cancel` `[CancelParams]` (or `["run-id"]`, or nothing: every run) → `CancelResult`.
//! - `autocrea.runRole` `[RunRoleParams]` → like `autocrea.generate`: re-runs one role on an
//!   existing generation as a new commit on its branch.
//! - `autocrea.undo` `[DirParams]` → `UndoResult`: takes back the last AUTOCREA step.
//! - `autocrea.deploy` `[DeployParams]` → `DeployResult`: pushes the branch with the user's
//!   own git credentials.
//! - `autocrea.audit` `[DirParams]` (or nothing: the workspace) → `AuditResult`: the security
//!   rules over every file of the folder; findings are published as diagnostics too.
//!
//! Diagnostics: security findings of open documents (as they change), of generated files
//! (after each run) and of the workspace (on `autocrea.audit`), `source` "autocrea", `code` the
//! rule id, `codeDescription` the CWE page. Code actions offer each finding's quick fix and
//! "ignore this finding" (an `autocrea-ignore: <rule>` comment).
//!
//! Notifications, server → client:
//!
//! - `autocrea/stream` `StreamParams`: text a role produced, as it arrives.
//! - `autocrea/runFinished` `RunSummary`: a run ended (succeeded, failed or cancelled).
//!
//! Progress: each run has one work-done progress, token `autocrea/run/<runId>`, cancellable.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::notification::Notification;

use crate::pipeline::RunSummary;
use crate::spec::Role;

pub const GENERATE: &str = "autocrea.generate";
pub const CANCEL: &str = "autocrea.cancel";
pub const RUN_ROLE: &str = "autocrea.runRole";
pub const UNDO: &str = "autocrea.undo";
pub const DEPLOY: &str = "autocrea.deploy";
pub const AUDIT: &str = "autocrea.audit";

/// Every command, as advertised in `executeCommandProvider`.
pub const COMMANDS: &[&str] = &[GENERATE, CANCEL, RUN_ROLE, UNDO, DEPLOY, AUDIT];

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRoleParams {
    /// backend, frontend, devops or tester.
    pub role: Role,
    /// The app's folder (absolute, or relative to the workspace root); default: the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    #[serde(default)]
    pub wait: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirParams {
    /// The app's folder (absolute, or relative to the workspace root); default: the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoResult {
    /// Short id of the commit taken back.
    pub commit: String,
    pub role: Role,
    /// What the step did ("wrote 8 files"), without the role.
    pub summary: String,
    /// Files restored or removed, relative to the app's folder.
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditResult {
    pub dir: PathBuf,
    pub files_audited: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Every finding, paths relative to `dir` (the same as `autocrea audit --format json`).
    pub findings: Vec<crate::audit::Finding>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeployParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// Default: `origin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployResult {
    /// What `git push` said.
    pub output: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenerateParams {
    pub idea: String,
    /// The app's folder: absolute, or relative to the workspace root. Default: the setting
    /// `targetFolder`, else a new folder named after the app in the workspace root (the root
    /// itself when it is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// Answer with the summary when the run ends instead of at once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wait: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overwrite: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_tests: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateStarted {
    pub run_id: String,
    /// The folder given, or the workspace root the app's folder will be made in.
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelParams {
    pub run_id: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelResult {
    /// False when no such run is going.
    pub cancelled: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamParams {
    pub run_id: String,
    pub role: Role,
    pub text: String,
}

pub enum Stream {}

impl Notification for Stream {
    type Params = StreamParams;
    const METHOD: &'static str = "autocrea/stream";
}

pub enum RunFinished {}

impl Notification for RunFinished {
    type Params = RunSummary;
    const METHOD: &'static str = "autocrea/runFinished";
}

/// The progress token of a run.
pub fn progress_token(run_id: &str) -> String {
    format!("autocrea/run/{run_id}")
}
