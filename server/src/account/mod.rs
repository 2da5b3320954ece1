//! The AUTOCREA account on the client side: one sign-in shared by every editor and the CLI
//! (the token in the OS keyring, see [`store`]), the user's own provider keys, and the
//! gateway's API ([`client`]). Nothing here knows LSP.
//!
//! - Signed in, the `joxcoder` engine goes through the gateway (metered: a generation holds
//!   credits first and is charged its cost at the end) unless `JOXCODER_API_URL` points it at
//!   a model directly.
//! - `AUTOCREA_TOKEN` overrides the stored token (CI); `AUTOCREA_GATEWAY_URL` the gateway.

pub mod client;
pub mod store;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::model::secret::Secret;
pub use client::{AccountError, DeviceCode, Gateway, Me, Settlement};
pub use store::Store;

/// The hosted gateway, when neither the settings nor the environment name one.
pub const DEFAULT_GATEWAY: &str = "https://gateway.autocrea.dev";

/// A signed-in account: which gateway, and the token it issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub gateway: String,
    pub token: Secret,
    /// `AUTOCREA_TOKEN` rather than the store.
    pub from_env: bool,
}

/// Everything a run may authenticate with, read once before it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub account: Option<Account>,
    pub openai: Option<Secret>,
    pub anthropic: Option<Secret>,
    pub joxcoder: Option<Secret>,
}

/// A provider whose key the user may store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyProvider {
    Openai,
    Anthropic,
    Joxcoder,
}

impl KeyProvider {
    pub const ALL: [KeyProvider; 3] = [KeyProvider::Openai, KeyProvider::Anthropic, KeyProvider::Joxcoder];

    pub fn parse(s: &str) -> Option<KeyProvider> {
        match s.to_ascii_lowercase().as_str() {
            "openai" => Some(KeyProvider::Openai),
            "anthropic" => Some(KeyProvider::Anthropic),
            "joxcoder" => Some(KeyProvider::Joxcoder),
            _ => None,
        }
    }

    /// The store entry.
    pub fn entry(self) -> &'static str {
        match self {
            KeyProvider::Openai => "openai-api-key",
            KeyProvider::Anthropic => "anthropic-api-key",
            KeyProvider::Joxcoder => "joxcoder-api-key",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyProvider::Openai => "openai",
            KeyProvider::Anthropic => "anthropic",
            KeyProvider::Joxcoder => "joxcoder",
        }
    }
}

/// The gateway to sign in at, or to show when signed out: `AUTOCREA_GATEWAY_URL`, else the
/// setting, else the hosted one. (A stored token always goes to the gateway that issued it.)
pub fn gateway_url(setting: Option<&str>) -> String {
    std::env::var("AUTOCREA_GATEWAY_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| setting.map(str::to_string))
        .unwrap_or_else(|| DEFAULT_GATEWAY.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// Reads the credentials from the store (blocking: D-Bus or disk), the environment first.
/// A store that cannot be read counts as empty, with a warning in the log.
pub fn load(store: &Store) -> Credentials {
    let get = |name: &str| match store.get(name) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("could not read `{name}` from {}: {e}", store.describe());
            None
        }
    };
    let stored_gateway = get(store::ACCOUNT_GATEWAY).map(|g| g.expose().to_string());
    // A token goes only to the gateway that issued it: settings (which a project's files may
    // set) choose where to sign in, never where an existing token is sent.
    let account = match Secret::from_env("AUTOCREA_TOKEN") {
        Some(token) => Some(Account { gateway: gateway_url(None), token, from_env: true }),
        None => get(store::ACCOUNT_TOKEN).map(|token| Account {
            gateway: stored_gateway.clone().unwrap_or_else(|| gateway_url(None)),
            token,
            from_env: false,
        }),
    };
    Credentials {
        account,
        openai: get(KeyProvider::Openai.entry()),
        anthropic: get(KeyProvider::Anthropic.entry()),
        joxcoder: get(KeyProvider::Joxcoder.entry()),
    }
}

/// A short fingerprint of the sign-in, to notice another editor signing in or out.
pub fn fingerprint(store: &Store) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for name in [store::ACCOUNT_TOKEN, store::ACCOUNT_GATEWAY] {
        store.get(name).ok().flatten().map(|s| s.expose().to_string()).hash(&mut h);
    }
    h.finish()
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    Gateway(#[from] AccountError),
    #[error("the sign-in was denied in the browser")]
    Denied,
    #[error("the code expired before it was approved; start the sign-in again")]
    Expired,
    #[error("the sign-in was cancelled")]
    Cancelled,
    #[error("the token could not be stored in {0}")]
    Store(String),
}

/// The device sign-in: asks for a code, hands it to `show` (print it, open the browser), then
/// [`complete_sign_in`].
pub async fn sign_in(
    store: &Store,
    gateway: &Gateway,
    show: impl FnOnce(&DeviceCode),
    cancel: &CancellationToken,
) -> Result<Me, SignInError> {
    let code = gateway.device_code().await?;
    show(&code);
    complete_sign_in(store, gateway, &code, cancel).await
}

/// Polls until the user approves the code (slowing down when asked), stores the token and
/// the gateway, and answers who signed in.
pub async fn complete_sign_in(
    store: &Store,
    gateway: &Gateway,
    code: &DeviceCode,
    cancel: &CancellationToken,
) -> Result<Me, SignInError> {
    let mut interval = Duration::from_secs(code.interval.max(1));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(code.expires_in.max(1));
    let token = loop {
        tokio::select! {
            () = cancel.cancelled() => return Err(SignInError::Cancelled),
            () = tokio::time::sleep(interval) => {}
        }
        if tokio::time::Instant::now() > deadline {
            return Err(SignInError::Expired);
        }
        match gateway.poll(&code.device_code).await? {
            client::Poll::Token(token) => break token,
            client::Poll::Pending => {}
            client::Poll::SlowDown => interval += Duration::from_secs(5),
            client::Poll::Denied => return Err(SignInError::Denied),
            client::Poll::Expired => return Err(SignInError::Expired),
        }
    };
    let me = gateway.me(&token).await?;
    save(store, &gateway.url, &token).await?;
    Ok(me)
}

/// Stores a token and the gateway that issued it.
pub async fn save(store: &Store, gateway: &str, token: &Secret) -> Result<(), SignInError> {
    let (store, url, value) = (store.clone(), gateway.to_string(), token.expose().to_string());
    tokio::task::spawn_blocking(move || {
        store.set(store::ACCOUNT_GATEWAY, &url)?;
        store.set(store::ACCOUNT_TOKEN, &value)
    })
    .await
    .map_err(|e| SignInError::Store(e.to_string()))?
    .map_err(|e| SignInError::Store(e.to_string()))
}

/// Signs out: the token is revoked at the gateway (if it answers) and removed from the store.
/// Returns a warning when the gateway could not be told.
pub async fn sign_out(store: &Store) -> Result<Option<String>, String> {
    let s = store.clone();
    let creds = tokio::task::spawn_blocking(move || load(&s)).await.map_err(|e| e.to_string())?;
    let mut warning = None;
    if let Some(account) = creds.account.filter(|a| !a.from_env)
        && let Err(e) = Gateway::new(&account.gateway).revoke(&account.token).await
    {
        warning = Some(format!("the gateway was not told ({e}); the token is removed here"));
    }
    let s = store.clone();
    tokio::task::spawn_blocking(move || {
        s.delete(store::ACCOUNT_TOKEN)?;
        s.delete(store::ACCOUNT_GATEWAY)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    Ok(warning)
}

/// What `autocrea status` and the editors show.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub signed_in: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// `active`, `past_due` or `canceled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<i64>,
    pub gateway: String,
    /// The engine a run would use now.
    pub engine: String,
    /// Where credentials are kept.
    pub credential_store: String,
    /// Provider keys stored (never their values).
    pub keys: Vec<KeyProvider>,
    /// Something went wrong reading the account (gateway unreachable, token revoked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The status for these credentials: the account asked at its gateway.
pub async fn status(
    store: &Store,
    creds: &Credentials,
    gateway_setting: Option<&str>,
    engine: &str,
) -> Status {
    let mut keys = Vec::new();
    for p in KeyProvider::ALL {
        let present = match p {
            KeyProvider::Openai => creds.openai.is_some(),
            KeyProvider::Anthropic => creds.anthropic.is_some(),
            KeyProvider::Joxcoder => creds.joxcoder.is_some(),
        };
        if present {
            keys.push(p);
        }
    }
    let mut status = Status {
        signed_in: false,
        gateway: creds
            .account
            .as_ref()
            .map(|a| a.gateway.clone())
            .unwrap_or_else(|| gateway_url(gateway_setting)),
        engine: engine.to_string(),
        credential_store: store.describe(),
        keys,
        ..Status::default()
    };
    if let Some(account) = &creds.account {
        match Gateway::new(&account.gateway).me(&account.token).await {
            Ok(me) => {
                status.signed_in = true;
                status.email = Some(me.email);
                status.plan = Some(me.plan);
                status.status = Some(me.status);
                status.balance = Some(me.balance);
            }
            Err(e) => status.problem = Some(e.to_string()),
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_credentials_load_and_the_token_never_prints() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::file(dir.path().join("c.json"));
        assert_eq!(load(&store), Credentials::default());
        store.set(store::ACCOUNT_TOKEN, "acr_abc").unwrap();
        store.set(store::ACCOUNT_GATEWAY, "http://127.0.0.1:9/").unwrap();
        store.set("openai-api-key", "sk-1").unwrap();
        let creds = load(&store);
        let account = creds.account.clone().unwrap();
        assert_eq!(account.token.expose(), "acr_abc");
        assert_eq!(account.gateway, "http://127.0.0.1:9/");
        // The token goes to the gateway that issued it; no setting (a project's file may set
        // one) is even asked.
        assert_eq!(creds.openai.as_ref().unwrap().expose(), "sk-1");
        assert!(!format!("{creds:?}").contains("acr_abc") && !format!("{creds:?}").contains("sk-1"));
        let before = fingerprint(&store);
        store.delete(store::ACCOUNT_TOKEN).unwrap();
        assert_ne!(fingerprint(&store), before);
    }
}
