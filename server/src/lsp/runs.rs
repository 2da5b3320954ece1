//! Runs started from the editor: each one a spawned task with a cancellation token, its own
//! work-done progress, files delivered through `workspace/applyEdit` when the client can
//! create files, and an `autocrea/runFinished` notification at the end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, bail};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{
    CreateFile, CreateFileOptions, DocumentChangeOperation, DocumentChanges, MessageType, OneOf,
    OptionalVersionedTextDocumentIdentifier, Position, Range, ResourceOp, TextDocumentEdit, TextEdit, Uri,
    WorkspaceEdit,
};
use tracing::Instrument;

use super::ext::{self, RunFinished, Stream, StreamParams};
use super::progress::ProgressGuard;
use crate::pipeline::{self, DiskSink, Event, Events, FileSink, RunRequest, RunStatus, RunSummary};
use crate::spec::GeneratedFile;
use crate::workspace::Target;

/// How long an editor may take to apply one file before it is written to disk directly.
const APPLY_EDIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The runs going on, by id.
#[derive(Default)]
pub struct Runs {
    going: Mutex<HashMap<String, CancellationToken>>,
}

impl Runs {
    pub fn cancel(&self, run_id: &str) -> bool {
        match self.going.lock().unwrap().get(run_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Cancels the run a progress token belongs to.
    pub fn cancel_by_token(&self, token: &str) -> bool {
        token.strip_prefix("autocrea/run/").is_some_and(|id| self.cancel(id))
    }

    /// Waits (at most `limit`) until no run is going: cancelled runs finish the file they are
    /// writing and stop the app's commands they started.
    pub async fn wait_idle(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.going.lock().unwrap().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Cancels every run going; says whether there was one.
    pub fn cancel_all(&self) -> bool {
        let going = self.going.lock().unwrap();
        for token in going.values() {
            token.cancel();
        }
        !going.is_empty()
    }
}

/// What the client can do, as far as runs care.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientAbilities {
    pub work_done_progress: bool,
    /// `workspace/applyEdit` with `documentChanges` and the `create` resource operation.
    pub create_files: bool,
}

/// Starts a run; the receiver gets its summary when it ends.
pub fn start(
    client: Client,
    runs: Arc<Runs>,
    abilities: ClientAbilities,
    req: RunRequest,
    publish: Publish,
) -> (CancellationToken, oneshot::Receiver<RunSummary>) {
    let cancel = CancellationToken::new();
    runs.going.lock().unwrap().insert(req.run_id.clone(), cancel.clone());
    let (done_tx, done_rx) = oneshot::channel();
    let token = cancel.clone();
    let span = tracing::info_span!("run", id = %req.run_id);
    let account = req.config.credentials.account.clone();
    tokio::spawn(async move {
        let run_id = req.run_id.clone();
        let title = format!("AUTOCREA: {}", short(&req.idea, 60));
        let progress = ProgressGuard::begin(&client, abilities.work_done_progress, ext::progress_token(&run_id), title).await;

        // Events leave in order through one task, which also owns the progress.
        let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
        let forward_client = client.clone();
        let forward_id = run_id.clone();
        let forward_status = publish.status.clone();
        let forwarder = tokio::spawn(async move {
            let mut last = 0;
            while let Some(event) = rx.recv().await {
                match event {
                    Event::Progress { role, message, percentage } => {
                        last = percentage;
                        progress.report(format!("{role}: {message}"), percentage).await;
                    }
                    Event::Notice { role, message } => {
                        progress.report(format!("{role}: {message}"), last).await;
                        forward_client.log_message(MessageType::WARNING, format!("AUTOCREA {role}: {message}")).await;
                    }
                    Event::Stream { role, text } => {
                        forward_client
                            .send_notification::<Stream>(StreamParams { run_id: forward_id.clone(), role, text })
                            .await;
                    }
                    Event::Balance { credits, estimated } => {
                        let approx = if estimated { "≈" } else { "" };
                        progress.report(format!("credits: balance {approx}{credits}"), last).await;
                        // The status is pushed only once the client has had one to update.
                        let status = forward_status.lock().unwrap().as_mut().map(|known| {
                            known.balance = Some(credits);
                            known.clone()
                        });
                        if let Some(status) = status {
                            forward_client.send_notification::<ext::StatusChanged>(status).await;
                        }
                    }
                }
            }
            progress
        });

        let summary = if abilities.create_files {
            pipeline::run(req, &EditorSink { client: client.clone() }, &ChannelEvents(tx), token).await
        } else {
            pipeline::run(req, &DiskSink, &ChannelEvents(tx), token).await
        };
        if let Ok(progress) = forwarder.await {
            progress.end(summary.headline()).await;
        }
        runs.going.lock().unwrap().remove(&run_id);
        // The security role's findings show in the editor, and files now clean are cleared.
        if summary.security.status == pipeline::StepStatus::Done {
            let written: Vec<String> = summary.roles.iter().flat_map(|r| r.files.iter().cloned()).collect();
            super::diagnostics::publish_folder(
                &client,
                &publish.diagnostics,
                &publish.documents,
                &summary.dir,
                &summary.findings,
                &written,
                publish.encoding,
            )
            .await;
        }
        tracing::info!(status = ?summary.status, files = summary.files_written, ms = summary.duration_ms, "run ended");
        let kind = match summary.status {
            RunStatus::Succeeded => MessageType::INFO,
            RunStatus::Cancelled => MessageType::WARNING,
            RunStatus::Failed => MessageType::ERROR,
        };
        // A balance that could not cover the run: offer the upgrade instead of a plain error.
        match summary.credits.as_ref().and_then(|c| c.upgrade_url.clone()) {
            Some(upgrade_url) if summary.status == RunStatus::Failed => {
                let (client, message) = (client.clone(), summary.headline());
                tokio::spawn(super::handlers::account::offer_upgrade(client, message, account, upgrade_url));
            }
            _ => client.show_message(kind, summary.headline()).await,
        }
        // Last: a client that waits for runFinished has everything else by then.
        client.send_notification::<RunFinished>(summary.clone()).await;
        let _ = done_tx.send(summary);
    }.instrument(span));
    (cancel, done_rx)
}

/// Where a run's findings go when it ends.
pub struct Publish {
    pub diagnostics: Arc<super::diagnostics::Diagnostics>,
    pub documents: Arc<Mutex<HashMap<Uri, super::documents::Document>>>,
    pub encoding: super::documents::Encoding,
    /// The account status last pushed to the client (the balance moves during metered runs).
    pub status: Arc<Mutex<Option<crate::account::Status>>>,
}

struct ChannelEvents(mpsc::UnboundedSender<Event>);

impl Events for ChannelEvents {
    fn emit(&self, event: Event) {
        let _ = self.0.send(event);
    }
}

/// Delivers files through the editor (`workspace/applyEdit`: create the file, insert its
/// text), so open buffers and the editor's undo see them, then makes sure the disk holds
/// exactly the file: editors apply edits to buffers and may leave them unsaved, and the
/// tester, git and the user's tools read the disk.
struct EditorSink {
    client: Client,
}

impl FileSink for EditorSink {
    async fn deliver(&self, target: &Target, file: &GeneratedFile) -> Result<()> {
        let path = target.root().join(&file.path);
        let Some(uri) = Uri::from_file_path(&path) else {
            bail!("cannot make a URI of {}", path.display());
        };
        let edit = WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(vec![
                DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                    uri: uri.clone(),
                    options: Some(CreateFileOptions { overwrite: Some(true), ignore_if_exists: None }),
                    annotation_id: None,
                })),
                DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
                    edits: vec![OneOf::Left(TextEdit {
                        range: Range::new(Position::new(0, 0), Position::new(0, 0)),
                        new_text: file.contents.clone(),
                    })],
                }),
            ])),
            ..WorkspaceEdit::default()
        };
        match tokio::time::timeout(APPLY_EDIT_TIMEOUT, self.client.apply_edit(edit)).await {
            Ok(Ok(answer)) if answer.applied => {}
            Ok(Ok(answer)) => bail!(
                "the editor refused to create {}: {}",
                file.path,
                answer.failure_reason.unwrap_or_else(|| "no reason given".into())
            ),
            Ok(Err(e)) => bail!("the editor failed to create {}: {}", file.path, e.message),
            Err(_) => tracing::warn!(
                path = file.path,
                "the editor did not answer workspace/applyEdit in {} s; writing the file to disk",
                APPLY_EDIT_TIMEOUT.as_secs()
            ),
        }
        if target.holds(&file.path, &file.contents) {
            target.record(&file.path, &file.contents)?;
        } else {
            target.write(&file.path, &file.contents)?;
        }
        Ok(())
    }
}

fn short(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max { s } else { format!("{}…", s.chars().take(max - 1).collect::<String>()) }
}
