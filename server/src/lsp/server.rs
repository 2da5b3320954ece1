//! The `LanguageServer` implementation: thin, each method delegating to a handler.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::diagnostics::{self, Diagnostics};
use super::documents::{Document, Encoding};
use super::ext;
use super::handlers;
use super::runs::{ClientAbilities, Runs};
use crate::config::Config;

/// What `initialize` settled, plus the settings as they stand. Handlers take a snapshot.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub encoding: Encoding,
    pub root: Option<PathBuf>,
    pub config: Config,
    pub abilities: ClientAbilities,
    pub configuration_pull: bool,
    pub dynamic_configuration: bool,
    /// Raw settings from `initializationOptions`, then from the latest configuration.
    pub init_options: Value,
    pub settings: Value,
}

pub struct Server {
    pub client: Client,
    pub session: Arc<RwLock<Session>>,
    pub documents: Arc<Mutex<HashMap<Uri, Document>>>,
    /// Security findings published, with their quick fixes.
    pub diagnostics: Arc<Diagnostics>,
    /// Where credentials are kept (opened once, at `initialized`).
    pub store: std::sync::OnceLock<crate::account::Store>,
    /// The account status last pushed to the client.
    pub status: Arc<Mutex<Option<crate::account::Status>>>,
    pub runs: Arc<Runs>,
    /// Set by `shutdown`: the process then exits with 0 on `exit`, else 1.
    pub shutdown: Arc<AtomicBool>,
    /// Warnings from `initialize`, shown once the client is ready for them.
    pub pending_warnings: Mutex<Vec<String>>,
    /// True once `initialized` has pulled the settings: a run started before waits for them,
    /// so it does not run with defaults the user changed.
    pub settings_loaded: tokio::sync::watch::Sender<bool>,
}

impl Server {
    pub fn new(client: Client, shutdown: Arc<AtomicBool>, runs: Arc<Runs>) -> Server {
        Server {
            client,
            session: Arc::default(),
            documents: Arc::default(),
            diagnostics: Arc::default(),
            store: std::sync::OnceLock::new(),
            status: Arc::default(),
            runs,
            shutdown,
            pending_warnings: Mutex::default(),
            settings_loaded: tokio::sync::watch::Sender::new(false),
        }
    }

    pub fn snapshot(&self) -> Session {
        self.session.read().unwrap().clone()
    }

    /// Recomputes the config from its layers; warns about bad values.
    pub async fn apply_settings(&self, settings: Option<Value>) {
        let warnings = {
            let mut session = self.session.write().unwrap();
            if let Some(settings) = settings {
                session.settings = settings;
            }
            let (config, mut warnings) = Config::default().merged(&session.init_options);
            let (config, more) = config.merged(&session.settings);
            warnings.extend(more);
            session.config = config;
            warnings
        };
        self.warn(warnings).await;
    }

    pub async fn warn(&self, warnings: Vec<String>) {
        for w in warnings {
            tracing::warn!("{w}");
            self.client.show_message(MessageType::WARNING, format!("AUTOCREA: {w}")).await;
        }
    }

    /// Audits an open document after `delay` (typing never waits for it).
    fn audit_later(&self, uri: Uri, delay: std::time::Duration) {
        let (enc, on) = {
            let s = self.session.read().unwrap();
            (s.encoding, s.config.audit_on_change)
        };
        if on {
            diagnostics::schedule(
                self.client.clone(),
                self.documents.clone(),
                self.diagnostics.clone(),
                uri,
                enc,
                delay,
            );
        }
    }

    /// `window/workDoneProgress/cancel`: the user pressed cancel in the progress UI.
    pub async fn progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        if let NumberOrString::String(token) = &params.token {
            self.runs.cancel_by_token(token);
        }
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        Ok(handlers::initialize::initialize(self, params))
    }

    async fn initialized(&self, _: InitializedParams) {
        handlers::initialize::initialized(self).await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.shutdown.store(true, Ordering::SeqCst);
        // Files are written whole or not at all, so stopping runs here loses nothing.
        let _ = self.runs.cancel_all();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let uri = doc.uri.clone();
        self.documents
            .lock()
            .unwrap()
            .insert(doc.uri, Document::new(&doc.text, doc.version, doc.language_id));
        self.audit_later(uri, std::time::Duration::ZERO);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let enc = self.session.read().unwrap().encoding;
        let uri = params.text_document.uri.clone();
        {
            let mut docs = self.documents.lock().unwrap();
            match docs.get_mut(&params.text_document.uri) {
                Some(doc) => doc.apply_changes(params.content_changes, params.text_document.version, enc),
                None => {
                    tracing::warn!(uri = uri.as_str(), "didChange for a document that is not open");
                    return;
                }
            }
        }
        self.audit_later(uri, diagnostics::DEBOUNCE);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.documents.lock().unwrap().remove(&uri);
        let session = self.snapshot();
        if session.config.audit_on_change {
            diagnostics::closed(self.client.clone(), self.diagnostics.clone(), uri, session.encoding);
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        handlers::configuration::did_change(self, params.settings).await;
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        Ok(handlers::code_action::code_actions(self, &params))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        match params.command.as_str() {
            ext::GENERATE => handlers::generate::generate(self, params.arguments).await.map(Some),
            ext::CANCEL => handlers::generate::cancel(self, params.arguments).map(Some),
            ext::RUN_ROLE => handlers::generate::run_role(self, params.arguments).await.map(Some),
            ext::UNDO => handlers::git::undo(self, params.arguments).await.map(Some),
            ext::DEPLOY => handlers::git::deploy(self, params.arguments).await.map(Some),
            ext::AUDIT => handlers::audit::audit(self, params.arguments).await.map(Some),
            ext::SIGN_IN => handlers::account::sign_in(self, params.arguments).await.map(Some),
            ext::SIGN_OUT => handlers::account::sign_out(self).await.map(Some),
            ext::STATUS => handlers::account::status(self).await.map(Some),
            ext::SET_API_KEY => handlers::account::set_api_key(self, params.arguments).await.map(Some),
            other => Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!(
                "unknown command {other:?}; AUTOCREA's commands are {}",
                ext::COMMANDS.join(", ")
            ))),
        }
    }
}
