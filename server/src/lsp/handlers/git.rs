use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

use super::generate::{first_argument, in_workspace};
use crate::git;
use crate::lsp::documents::to_position;
use crate::lsp::ext::{DeployParams, DeployResult, DirParams, UndoResult};
use crate::lsp::server::Server;

fn optional<T: serde::de::DeserializeOwned + Default>(arguments: Vec<Value>) -> Result<T> {
    if arguments.is_empty() || arguments[0].is_null() { Ok(T::default()) } else { first_argument(arguments) }
}

fn refused(e: git::GitError) -> Error {
    Error {
        code: tower_lsp_server::jsonrpc::ErrorCode::ServerError(1),
        message: e.to_string().into(),
        data: None,
    }
}

/// `autocrea.undo`: takes back the last AUTOCREA step, then brings open buffers in line with
/// the disk (applyEdit where the client can, else a reload notice).
pub async fn undo(server: &Server, arguments: Vec<Value>) -> Result<Value> {
    let params: DirParams = optional(arguments)?;
    let session = server.snapshot();
    let dir = in_workspace(&session, params.dir.as_deref())?;
    let undo_dir = dir.clone();
    let undone = tokio::task::spawn_blocking(move || git::undo(&undo_dir))
        .await
        .map_err(|_| Error::internal_error())?
        .map_err(refused)?;

    // Open documents among the step's files: replace their text with the disk's, or delete
    // them when the step had created them.
    let mut changes = Vec::new();
    let mut reload = Vec::new();
    {
        let docs = server.documents.lock().unwrap();
        for rel in &undone.paths {
            let path = dir.join(rel);
            let Some(uri) = Uri::from_file_path(&path) else { continue };
            let Some(doc) = docs.get(&uri) else { continue };
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let end = to_position(&doc.text, doc.text.len_chars(), session.encoding);
                    changes.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                        text_document: OptionalVersionedTextDocumentIdentifier {
                            uri,
                            version: Some(doc.version),
                        },
                        edits: vec![OneOf::Left(TextEdit {
                            range: Range::new(Position::new(0, 0), end),
                            new_text: text,
                        })],
                    }));
                }
                Err(_) if session.abilities.create_files => {
                    changes.push(DocumentChangeOperation::Op(ResourceOp::Delete(DeleteFile {
                        uri,
                        options: Some(DeleteFileOptions {
                            recursive: None,
                            ignore_if_not_exists: Some(true),
                        }),
                        annotation_id: None,
                    })));
                }
                Err(_) => reload.push(rel.clone()),
            }
        }
    }
    if !changes.is_empty() {
        let edit = WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(changes)),
            ..WorkspaceEdit::default()
        };
        match server.client.apply_edit(edit).await {
            Ok(answer) if answer.applied => {}
            _ => reload.push("open files".into()),
        }
    }
    let mut message =
        format!("AUTOCREA undid {} ({}): {} file(s) restored", undone.id, undone.summary, undone.paths.len());
    if !reload.is_empty() {
        message.push_str(&format!("; reload {} from disk", reload.join(", ")));
    }
    server.client.show_message(MessageType::INFO, message).await;
    // The commit's first line names the role; the result has it in its own field.
    let summary =
        undone.summary.strip_prefix(&format!("{}: ", undone.role)).unwrap_or(&undone.summary).to_string();
    Ok(serde_json::to_value(UndoResult {
        commit: undone.id,
        role: undone.role,
        summary,
        paths: undone.paths,
    })
    .expect("serializes"))
}

/// `autocrea.deploy`: pushes the current branch with the user's own git credentials.
pub async fn deploy(server: &Server, arguments: Vec<Value>) -> Result<Value> {
    let params: DeployParams = optional(arguments)?;
    let dir = in_workspace(&server.snapshot(), params.dir.as_deref())?;
    let remote = params.remote.clone();
    let output = tokio::task::spawn_blocking(move || git::deploy(&dir, remote.as_deref()))
        .await
        .map_err(|_| Error::internal_error())?
        .map_err(refused)?;
    server
        .client
        .show_message(MessageType::INFO, format!("AUTOCREA pushed the branch: {}", output.trim()))
        .await;
    Ok(serde_json::to_value(DeployResult { output }).expect("serializes"))
}
