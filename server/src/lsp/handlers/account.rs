//! The account in the editor: sign in (device code, the page opened with
//! `window/showDocument`), sign out, status, the user's own keys; `autocrea/status` pushed when
//! the sign-in changes here or anywhere else (the store is watched).

use std::time::Duration;

use serde_json::Value;
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

use super::generate::first_argument;
use crate::account::{self, Credentials, Gateway, Status, Store};
use crate::engine::Engine;
use crate::lsp::ext::{SetApiKeyParams, SignInParams, SignInStarted, StatusChanged};
use crate::lsp::progress::ProgressGuard;
use crate::lsp::server::Server;

/// How often the store is checked for a sign-in or sign-out made elsewhere.
fn watch_interval() -> Duration {
    let ms = std::env::var("AUTOCREA_STATUS_POLL_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    Duration::from_millis(ms)
}

fn failed(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::ServerError(2), message: message.into().into(), data: None }
}

/// The store, opened (a keyring probe) on first use.
pub async fn store(server: &Server) -> Store {
    if let Some(s) = server.store.get() {
        return s.clone();
    }
    let opened = tokio::task::spawn_blocking(Store::open)
        .await
        .unwrap_or_else(|_| Store::file(account::store::default_file()));
    server.store.get_or_init(|| opened).clone()
}

/// Says where a credential was just kept, when that is the file rather than the keyring.
async fn tell_if_file(server: &Server, store: &Store) {
    if let Some(warning) = &store.warning {
        server.client.show_message(MessageType::WARNING, format!("AUTOCREA: {warning}")).await;
    }
}

/// The credentials as they are now (blocking reads, off the async threads).
pub async fn credentials(server: &Server) -> Credentials {
    let store = store(server).await;
    tokio::task::spawn_blocking(move || account::load(&store)).await.unwrap_or_default()
}

/// The status for the client, remembered as the last one pushed.
pub async fn current_status(server: &Server) -> Status {
    let store = store(server).await;
    fresh_status(&store, server.snapshot().config, &server.status).await
}

/// Reads the credentials, asks the gateway, and remembers the answer as the last status.
async fn fresh_status(
    store: &Store,
    mut config: crate::config::Config,
    last: &std::sync::Mutex<Option<Status>>,
) -> Status {
    let s = store.clone();
    config.credentials = tokio::task::spawn_blocking(move || account::load(&s)).await.unwrap_or_default();
    let engine = engine_label(&config);
    let status = account::status(store, &config.credentials, config.gateway_url.as_deref(), &engine).await;
    *last.lock().unwrap() = Some(status.clone());
    status
}

/// The engine a run would use with this configuration, or why none can run.
fn engine_label(config: &crate::config::Config) -> String {
    match Engine::select(config, None) {
        Ok(e) => e.name().to_string(),
        Err(e) => format!("none ({e})"),
    }
}

async fn push(client: &Client, status: Status) {
    client.send_notification::<StatusChanged>(status).await;
}

fn value(status: Status) -> Value {
    serde_json::to_value(status).expect("serializes")
}

/// `autocrea.status`.
pub async fn status(server: &Server) -> Result<Value> {
    Ok(value(current_status(server).await))
}

/// `autocrea.signIn`: shows the code, opens the page, and signs in in the background (or,
/// with `wait`, answers once signed in).
pub async fn sign_in(server: &Server, arguments: Vec<Value>) -> Result<Value> {
    let params: SignInParams = if arguments.first().is_none_or(Value::is_null) {
        SignInParams::default()
    } else {
        first_argument(arguments)?
    };
    let store = store(server).await;
    let session = server.snapshot();
    // The command's `gateway` names it outright; else the environment, the setting, the hosted one.
    let url =
        params.gateway.clone().unwrap_or_else(|| account::gateway_url(session.config.gateway_url.as_deref()));
    let gateway = Gateway::new(&url);
    let code = gateway.device_code().await.map_err(|e| failed(e.to_string()))?;
    let started = SignInStarted {
        user_code: code.user_code.clone(),
        verification_uri: code.verification_uri.clone(),
        verification_uri_complete: code.verification_uri_complete.clone(),
        expires_in: code.expires_in,
    };
    let page = code.verification_uri_complete.clone().unwrap_or_else(|| code.verification_uri.clone());
    server
        .client
        .show_message(
            MessageType::INFO,
            format!("AUTOCREA: to sign in, open {page} and confirm the code {}", code.user_code),
        )
        .await;
    open_in_browser(&server.client, &page).await;

    // Polling outlives the request: the user may take minutes in the browser.
    let client = server.client.clone();
    let abilities = session.abilities;
    let cancel = tokio_util::sync::CancellationToken::new();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let poll_cancel = cancel.clone();
    let poll_code = code.clone();
    tokio::spawn(async move {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let token = format!("autocrea/signin/{}", COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let progress = ProgressGuard::begin(
            &client,
            abilities.work_done_progress,
            token,
            format!("AUTOCREA: waiting for sign-in (code {})", poll_code.user_code),
        )
        .await;
        let result = account::complete_sign_in(&store, &gateway, &poll_code, &poll_cancel).await;
        if result.is_ok()
            && let Some(warning) = &store.warning
        {
            client.show_message(MessageType::WARNING, format!("AUTOCREA: {warning}")).await;
        }
        let message = match &result {
            Ok(me) => {
                format!("AUTOCREA: signed in as {} ({} plan, {} credits)", me.email, me.plan, me.balance)
            }
            Err(e) => format!("AUTOCREA: sign-in failed: {e}"),
        };
        progress.end(message.clone()).await;
        let kind = if result.is_ok() { MessageType::INFO } else { MessageType::ERROR };
        client.show_message(kind, message).await;
        let _ = done_tx.send(result.map_err(|e| e.to_string()));
    });
    if !params.wait {
        return Ok(serde_json::to_value(started).expect("serializes"));
    }
    // A cancelled request cancels the sign-in.
    let guard = cancel.drop_guard();
    let result = done_rx.await.map_err(|_| Error::internal_error())?;
    guard.disarm();
    result.map_err(failed)?;
    let status = current_status(server).await;
    push(&server.client, status.clone()).await;
    Ok(value(status))
}

/// `autocrea.signOut`.
pub async fn sign_out(server: &Server) -> Result<Value> {
    let store = store(server).await;
    if let Some(warning) = account::sign_out(&store).await.map_err(failed)? {
        server.client.show_message(MessageType::WARNING, format!("AUTOCREA: {warning}")).await;
    }
    let status = current_status(server).await;
    server.client.show_message(MessageType::INFO, "AUTOCREA: signed out").await;
    push(&server.client, status.clone()).await;
    Ok(value(status))
}

/// `autocrea.setApiKey`.
pub async fn set_api_key(server: &Server, arguments: Vec<Value>) -> Result<Value> {
    let params: SetApiKeyParams = first_argument(arguments)?;
    let store = store(server).await;
    let name = params.provider.entry();
    let key = params.key.map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
    tokio::task::spawn_blocking(move || match key {
        Some(k) => store.set(name, &k),
        None => store.delete(name),
    })
    .await
    .map_err(|_| Error::internal_error())?
    .map_err(|e| failed(e.to_string()))?;
    tell_if_file(server, server.store.get().expect("opened above")).await;
    let status = current_status(server).await;
    push(&server.client, status.clone()).await;
    Ok(value(status))
}

/// Watches the store: a sign-in or sign-out in another editor or the CLI reaches this client
/// as `autocrea/status` without a restart.
pub fn watch(server: &Server, store: Store) {
    let client = server.client.clone();
    let session = server.session.clone();
    let status = server.status.clone();
    tokio::spawn(async move {
        let fingerprint = |s: Store| async move {
            tokio::task::spawn_blocking(move || account::fingerprint(&s)).await.unwrap_or(0)
        };
        // The first status goes out at once; later ones when the sign-in changes.
        let mut last = None;
        loop {
            let now = fingerprint(store.clone()).await;
            if last == Some(now) {
                tokio::time::sleep(watch_interval()).await;
                continue;
            }
            last = Some(now);
            // The settings as they are now, not as they were when the watch began.
            let config = session.read().unwrap().config.clone();
            push(&client, fresh_status(&store, config, &status).await).await;
            tokio::time::sleep(watch_interval()).await;
        }
    });
}

/// After a run the balance could not cover: offer to upgrade, and open Stripe Checkout.
pub async fn offer_upgrade(
    client: Client,
    message: String,
    account: Option<account::Account>,
    upgrade_url: String,
) {
    let actions = vec![
        MessageActionItem { title: "Upgrade to Basic".into(), properties: Default::default() },
        MessageActionItem { title: "Upgrade to Pro".into(), properties: Default::default() },
        MessageActionItem { title: "Not now".into(), properties: Default::default() },
    ];
    let choice = match client.show_message_request(MessageType::WARNING, message.clone(), Some(actions)).await
    {
        Ok(Some(choice)) => choice,
        Ok(None) => return,
        // A client that cannot ask still tells the user why the run did not start.
        Err(_) => return client.show_message(MessageType::WARNING, message).await,
    };
    let plan = match choice.title.as_str() {
        "Upgrade to Basic" => "basic",
        "Upgrade to Pro" => "pro",
        _ => return,
    };
    // Straight to Stripe Checkout; the billing page if checkout cannot be created here.
    let url = match account {
        Some(a) => match Gateway::new(&a.gateway).checkout(&a.token, plan).await {
            Ok(url) => url,
            Err(e) => {
                client
                    .show_message(
                        MessageType::WARNING,
                        format!("AUTOCREA: {e}; opening the billing page instead"),
                    )
                    .await;
                upgrade_url
            }
        },
        None => upgrade_url,
    };
    open_in_browser(&client, &url).await;
}

/// Asks the editor to open a page in the user's browser.
async fn open_in_browser(client: &Client, url: &str) {
    if let Ok(uri) = url.parse::<Uri>() {
        let params =
            ShowDocumentParams { uri, external: Some(true), take_focus: Some(true), selection: None };
        if let Err(e) = client.show_document(params).await {
            tracing::warn!("the editor could not open {url}: {}", e.message);
        }
    }
}
