use serde::de::DeserializeOwned;
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, Result};

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::engine::EngineName;
use crate::lsp::ext::{CancelParams, CancelResult, GenerateParams, GenerateStarted, RunRoleParams};
use crate::lsp::runs;
use crate::lsp::server::{Server, Session};
use crate::pipeline::{Destination, RunRequest, new_run_id};
use crate::spec::Role;

/// `autocrea.generate`: starts a run and answers at once with its id, or with `wait: true`
/// when it ends, with its summary. Cancelling a waiting request cancels the run.
pub async fn generate(server: &Server, arguments: Vec<Value>) -> Result<Value> {
    let params: GenerateParams = first_argument(arguments)?;
    if params.idea.trim().is_empty() {
        return Err(Error::invalid_params(
            "`idea` is empty: say what the app should do, e.g. \"a blog with comments\"",
        ));
    }
    let (session, mut config) = settings(server, params.engine.as_deref(), params.overwrite).await?;
    if let Some(run_tests) = params.run_tests {
        config.run_tests = run_tests;
    }
    let destination = match (&params.dir, &config.target_folder) {
        (Some(dir), _) => Destination::Folder(in_workspace(&session, Some(dir))?),
        (None, Some(folder)) => Destination::InRoot(in_workspace(&session, Some(folder))?),
        (None, None) => Destination::InRoot(in_workspace(&session, None)?),
    };
    launch(server, &session, params.idea, destination, config, None, params.wait).await
}

/// `autocrea.runRole`: re-runs one role on an existing generation, as a new commit on its
/// branch; answers like `autocrea.generate`.
pub async fn run_role(server: &Server, arguments: Vec<Value>) -> Result<Value> {
    let params: RunRoleParams = first_argument(arguments)?;
    let (session, config) = settings(server, params.engine.as_deref(), params.overwrite).await?;
    let dir = in_workspace(&session, params.dir.as_deref())?;
    launch(server, &session, String::new(), Destination::Folder(dir), config, Some(params.role), params.wait)
        .await
}

/// The settings for a run, with the request's overrides.
async fn settings(
    server: &Server,
    engine: Option<&str>,
    overwrite: Option<bool>,
) -> Result<(Session, Config)> {
    // Settings pulled at start-up apply to the very first run too (the client may be slow to
    // answer the pull; it is not waited for forever).
    let mut loaded = server.settings_loaded.subscribe();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), loaded.wait_for(|l| *l)).await;
    let session = server.snapshot();
    let mut config = session.config.clone();
    config.credentials = super::account::credentials(server).await;
    if let Some(engine) = engine {
        config.engine = match engine {
            "auto" => None,
            name => Some(EngineName::parse(name).ok_or_else(|| {
                Error::invalid_params(format!(
                    "unknown engine {engine:?}; use auto, or one of joxcoder, openai, anthropic, local, offline"
                ))
            })?),
        };
    }
    if let Some(overwrite) = overwrite {
        config.overwrite = overwrite;
    }
    Ok((session, config))
}

/// A folder given by the client: absolute, or relative to the workspace root; none is the root.
pub fn in_workspace(session: &Session, dir: Option<&Path>) -> Result<PathBuf> {
    match (dir, &session.root) {
        (Some(p), _) if p.is_absolute() => Ok(p.to_path_buf()),
        (Some(p), Some(root)) => Ok(root.join(p)),
        (Some(p), None) => Err(Error::invalid_params(format!(
            "`dir` {} is relative and the editor opened no workspace folder; give an absolute path",
            p.display()
        ))),
        (None, Some(root)) => Ok(root.clone()),
        (None, None) => Err(Error::invalid_params(
            "no workspace folder is open and no `dir` was given: open a folder, or pass `dir`",
        )),
    }
}

/// Starts a run; answers at once, or with `wait`, with its summary.
async fn launch(
    server: &Server,
    session: &Session,
    idea: String,
    destination: Destination,
    config: Config,
    rerun: Option<Role>,
    wait: bool,
) -> Result<Value> {
    let dir = match &destination {
        Destination::Folder(p) | Destination::InRoot(p) => p.clone(),
    };
    let run_id = new_run_id();
    // The app's commands run confined by this very binary (`autocrea __confine`).
    let confine = std::env::current_exe().ok();
    let req = RunRequest { run_id: run_id.clone(), idea, destination, config, confine, rerun };
    let publish = runs::Publish {
        diagnostics: server.diagnostics.clone(),
        documents: server.documents.clone(),
        encoding: session.encoding,
        status: server.status.clone(),
    };
    let (cancel, done) =
        runs::start(server.client.clone(), server.runs.clone(), session.abilities, req, publish);
    if !wait {
        return Ok(serde_json::to_value(GenerateStarted { run_id, dir }).expect("serializes"));
    }
    // Dropped when the client cancels the request: the run goes with it.
    let guard = cancel.drop_guard();
    let summary = done.await.map_err(|_| Error::internal_error())?;
    guard.disarm();
    Ok(serde_json::to_value(summary).expect("serializes"))
}

/// `autocrea.cancel`: `[{"runId": …}]` or `["run-…"]` cancels that run; no argument cancels
/// every run (for clients that cannot pass one, such as Helix's command line).
pub fn cancel(server: &Server, arguments: Vec<Value>) -> Result<Value> {
    let cancelled = match arguments.first() {
        None | Some(Value::Null) => server.runs.cancel_all(),
        Some(Value::String(id)) => server.runs.cancel(id),
        _ => server.runs.cancel(&first_argument::<CancelParams>(arguments)?.run_id),
    };
    Ok(serde_json::to_value(CancelResult { cancelled }).expect("serializes"))
}

pub fn first_argument<T: DeserializeOwned>(arguments: Vec<Value>) -> Result<T> {
    let Some(first) = arguments.into_iter().next() else {
        return Err(Error::invalid_params("missing argument: expected one object"));
    };
    serde_json::from_value(first).map_err(|e| Error::invalid_params(format!("bad argument: {e}")))
}
