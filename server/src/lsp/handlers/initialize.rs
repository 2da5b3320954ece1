use tower_lsp_server::ls_types::*;

use crate::lsp::documents::Encoding;
use crate::lsp::ext;
use crate::lsp::runs::ClientAbilities;
use crate::lsp::server::Server;

pub fn initialize(server: &Server, params: InitializeParams) -> InitializeResult {
    let caps = &params.capabilities;
    let offers_utf8 = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|encs| encs.contains(&PositionEncodingKind::UTF8));
    let encoding = if offers_utf8 { Encoding::Utf8 } else { Encoding::Utf16 };

    let workspace = caps.workspace.as_ref();
    let edit = workspace.and_then(|w| w.workspace_edit.as_ref());
    let create_files = workspace.and_then(|w| w.apply_edit).unwrap_or(false)
        && edit.and_then(|e| e.document_changes).unwrap_or(false)
        && edit
            .and_then(|e| e.resource_operations.as_ref())
            .is_some_and(|ops| ops.contains(&ResourceOperationKind::Create));
    let abilities = ClientAbilities {
        work_done_progress: caps.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false),
        create_files,
    };

    #[allow(deprecated)]
    let root = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .and_then(|f| f.uri.to_file_path().map(|p| p.into_owned()))
        .or_else(|| params.root_uri.as_ref().and_then(|u| u.to_file_path().map(|p| p.into_owned())))
        .or_else(|| params.root_path.as_ref().map(Into::into));

    let warnings = {
        let mut session = server.session.write().unwrap();
        session.encoding = encoding;
        session.root = root;
        session.abilities = abilities;
        session.configuration_pull = workspace.and_then(|w| w.configuration).unwrap_or(false);
        session.dynamic_configuration = workspace
            .and_then(|w| w.did_change_configuration.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        session.init_options = params.initialization_options.clone().unwrap_or_default();
        let (config, warnings) = session.config.merged(&session.init_options);
        session.config = config;
        warnings
    };
    server.pending_warnings.lock().unwrap().extend(warnings);
    tracing::info!(?encoding, ?abilities, client = ?params.client_info.as_ref().map(|c| &c.name), "initialize");

    InitializeResult {
        server_info: Some(ServerInfo {
            name: "autocrea".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        capabilities: ServerCapabilities {
            position_encoding: Some(match encoding {
                Encoding::Utf8 => PositionEncodingKind::UTF8,
                Encoding::Utf16 => PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..TextDocumentSyncOptions::default()
            })),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![
                    CodeActionKind::QUICKFIX,
                    crate::lsp::handlers::code_action::kind(),
                ]),
                ..CodeActionOptions::default()
            })),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: ext::COMMANDS.iter().map(|c| c.to_string()).collect(),
                ..ExecuteCommandOptions::default()
            }),
            ..ServerCapabilities::default()
        },
        offset_encoding: None,
    }
}

pub async fn initialized(server: &Server) {
    let warnings = std::mem::take(&mut *server.pending_warnings.lock().unwrap());
    server.warn(warnings).await;
    let session = server.snapshot();
    if session.dynamic_configuration {
        let registration = Registration {
            id: "autocrea-configuration".into(),
            method: "workspace/didChangeConfiguration".into(),
            register_options: None,
        };
        if let Err(e) = server.client.register_capability(vec![registration]).await {
            tracing::warn!("could not register for configuration changes: {}", e.message);
        }
    }
    super::configuration::pull(server).await;
    server.settings_loaded.send_replace(true);
    // The account: its status once, then whenever the store changes (another editor, the CLI).
    let store = super::account::store(server).await;
    super::account::watch(server, store);
}
