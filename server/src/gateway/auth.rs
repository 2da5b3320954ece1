//! Secrets the gateway hands out — API access tokens, page-session cookies, CSRF tokens, device
//! codes — and how requests present them. Only SHA-256 hashes of tokens and cookies are stored.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use super::AppState;
use super::db::now_ms;
use super::error::ApiError;
use crate::model::secret::Secret;

/// `n` bytes from the operating system's generator, hex-encoded.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system's random generator works");
    hex::encode(bytes)
}

/// How a secret is stored: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time that depends only on their lengths.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new API access token for `account`: `acr_` and 32 random bytes.
pub async fn issue_token(conn: &mut AnyConnection, account: i64) -> Result<Secret, sqlx::Error> {
    let token = format!("acr_{}", random_hex(32));
    sqlx::query("INSERT INTO sessions (token_hash, kind, account_id, created_at) VALUES ($1, 'api', $2, $3)")
        .bind(token_hash(&token))
        .bind(account)
        .bind(now_ms())
        .execute(conn)
        .await?;
    Ok(Secret::new(token))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The account behind a request's `Authorization: Bearer` token.
pub struct Caller {
    pub account: i64,
    /// The token's row, for revoking it.
    pub session: i64,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let token = bearer(&parts.headers).ok_or(ApiError::InvalidToken)?;
        let row = sqlx::query(
            "SELECT id, account_id FROM sessions
             WHERE token_hash = $1 AND kind = 'api' AND account_id IS NOT NULL
               AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(token_hash(token))
        .bind(now_ms())
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(ApiError::InvalidToken)?;
        let caller = Caller { session: row.try_get(0)?, account: row.try_get(1)? };
        tracing::Span::current().record("account", caller.account);
        Ok(caller)
    }
}

/// The client's address, for per-address rate limits: the connection's peer, or behind a
/// reverse proxy (`--behind-proxy`) the last `X-Forwarded-For` entry, the one the proxy added.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ClientAddr, ApiError> {
        let forwarded = || {
            let value = parts.headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
            Some(value.rsplit(',').next()?.trim().to_string()).filter(|v| !v.is_empty())
        };
        let peer = || parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        let addr = if state.config.behind_proxy { forwarded().or_else(peer) } else { peer() };
        Ok(ClientAddr(addr.unwrap_or_else(|| "unknown".into())))
    }
}

pub const SESSION_COOKIE: &str = "autocrea_session";

/// A browser's page session: before log-in (`account` empty) it still carries the CSRF token
/// the sign-up and log-in forms need.
#[derive(Debug, Clone)]
pub struct PageSession {
    pub id: i64,
    pub account: Option<i64>,
    pub csrf: String,
}

/// A page session that does not exist yet lives this long before log-in.
const ANONYMOUS_TTL_MS: i64 = 3600 * 1000;

/// The page session named by the request's cookie, if it is live.
pub async fn page_session(state: &AppState, headers: &HeaderMap) -> Result<Option<PageSession>, ApiError> {
    let Some(cookie) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    let row = sqlx::query(
        "SELECT id, account_id, csrf_token FROM sessions
         WHERE token_hash = $1 AND kind = 'page' AND expires_at > $2",
    )
    .bind(token_hash(&cookie))
    .bind(now_ms())
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(match row {
        Some(row) => {
            Some(PageSession { id: row.try_get(0)?, account: row.try_get(1)?, csrf: row.try_get(2)? })
        }
        None => None,
    })
}

/// Starts a page session (a fresh cookie and CSRF token); returns it and its `Set-Cookie`.
pub async fn start_page_session(
    state: &AppState,
    account: Option<i64>,
) -> Result<(PageSession, String), ApiError> {
    let token = random_hex(32);
    let csrf = random_hex(32);
    let ttl = match account {
        Some(_) => state.config.limits.page_session_ttl.as_millis() as i64,
        None => ANONYMOUS_TTL_MS,
    };
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sessions (token_hash, kind, account_id, csrf_token, created_at, expires_at)
         VALUES ($1, 'page', $2, $3, $4, $5) RETURNING id",
    )
    .bind(token_hash(&token))
    .bind(account)
    .bind(&csrf)
    .bind(now)
    .bind(now + ttl)
    .fetch_one(&state.db.pool)
    .await?;
    let cookie = session_cookie(state, &token, ttl / 1000);
    Ok((PageSession { id, account, csrf }, cookie))
}

/// Deletes a session (log-out, or the anonymous one replaced at log-in).
pub async fn end_session(state: &AppState, id: i64) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&state.db.pool).await?;
    Ok(())
}

/// `Set-Cookie` for the session cookie; `max_age` 0 deletes it.
pub fn session_cookie(state: &AppState, token: &str, max_age: i64) -> String {
    // Secure unless the gateway is reached over plain HTTP on loopback (see `is_loopback_http`).
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// A cookie's value from the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

/// The page session of a form POST, when the form carries that session's CSRF token.
pub async fn checked_session(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Option<PageSession>, ApiError> {
    Ok(page_session(state, headers).await?.filter(|s| same(&s.csrf, csrf)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_and_cookies_are_read_exactly() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "bearer  acr_x ".parse().unwrap());
        assert_eq!(bearer(&headers), Some("acr_x"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&headers), None);
        headers.insert(header::COOKIE, "a=1; autocrea_session=s3; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("s3"));
        assert_eq!(cookie(&headers, "autocrea"), None);
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let (a, b) = (random_hex(32), random_hex(32));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
