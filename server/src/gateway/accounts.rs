//! Accounts: sign-up (100 trial credits, once), log-in with argon2id, access tokens, `/v1/me`.
//!
//! Nothing tells whether an e-mail has an account: signing up with one that exists answers like
//! a new sign-up after the same argon2 work and changes nothing, and every log-in failure is the
//! same `invalid_credentials` after the same argon2 work (an unknown e-mail is checked against a
//! dummy hash).

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::Row;

use super::AppState;
use super::auth::{Caller, ClientAddr, issue_token, random_hex};
use super::db::{Limit, now_ms};
use super::error::{ApiError, ApiJson};
use super::ledger::{self, Kind};
use crate::model::secret::Secret;

/// Credits every new account starts with.
pub const TRIAL_CREDITS: i64 = 100;
pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 1024;

#[derive(Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// The e-mail, trimmed and lower-cased, when it looks like one.
pub fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.contains('@') && domain.contains('.')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid { Ok(email) } else { Err(ApiError::InvalidRequest(format!("{raw:?} is not an e-mail address"))) }
}

pub fn check_password(password: &str) -> Result<(), ApiError> {
    match password.chars().count() {
        n if n < MIN_PASSWORD_CHARS => Err(ApiError::InvalidRequest(format!(
            "the password has {n} characters; use at least {MIN_PASSWORD_CHARS}"
        ))),
        n if n > MAX_PASSWORD_CHARS => Err(ApiError::InvalidRequest(format!(
            "the password is longer than {MAX_PASSWORD_CHARS} characters"
        ))),
        _ => Ok(()),
    }
}

/// Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

fn hash_blocking(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random generator works");
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(format!("salt: {e}")))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
}

/// Hashes off the async threads (argon2 takes tens of milliseconds on purpose).
async fn hash_password(password: Secret) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_blocking(password.expose()))
        .await
        .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))?
}

/// Checks `password` against `hash`, or against a dummy hash when there is no account, so both
/// cases cost the same.
async fn verify_password(password: Secret, hash: Option<String>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let found = hash.is_some();
        let hash = hash.unwrap_or_else(|| {
            DUMMY.get_or_init(|| hash_blocking(&random_hex(16)).expect("hashing works")).clone()
        });
        let ok = PasswordHash::new(&hash)
            .map(|parsed| argon2().verify_password(password.expose().as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        found && ok
    })
    .await
    .unwrap_or(false)
}

/// Creates the account with its trial credits — or, for an e-mail that has one, does the same
/// work and changes nothing. The caller cannot tell which.
pub async fn sign_up(state: &AppState, client: &str, email: &str, password: &str) -> Result<(), ApiError> {
    let email = normalize_email(email)?;
    check_password(password)?;
    let per_hour =
        Limit { max: state.config.limits.signups_per_address, window: std::time::Duration::from_secs(3600) };
    let mut conn = state.db.pool.acquire().await?;
    per_hour
        .hit(&mut conn, &format!("signup:addr:{client}"))
        .await?
        .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    drop(conn);
    let hash = hash_password(Secret::new(password)).await?;
    let mut tx = state.db.write().await?;
    let created: Option<i64> = sqlx::query_scalar(
        "INSERT INTO accounts (email, password_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(&email)
    .bind(&hash)
    .bind(now_ms())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(account) = created {
        ledger::book(&mut tx, account, TRIAL_CREDITS, Kind::Trial, "Trial credits", None).await?;
        tracing::info!(account, "account created");
    }
    tx.commit().await?;
    Ok(())
}

/// The account whose e-mail and password these are. Every attempt counts against the e-mail's
/// and the client address's limits (a success clears the e-mail's).
pub async fn log_in(state: &AppState, client: &str, email: &str, password: &str) -> Result<i64, ApiError> {
    let limits = &state.config.limits;
    let email = email.trim().to_lowercase();
    let mut conn = state.db.pool.acquire().await?;
    let email_key = format!("login:email:{email}");
    let checks = [
        (Limit { max: limits.login_attempts, window: limits.login_window }, email_key.clone()),
        (
            Limit { max: limits.login_attempts_per_address, window: limits.login_window },
            format!("login:addr:{client}"),
        ),
    ];
    for (limit, key) in &checks {
        limit.hit(&mut conn, key).await?.map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    }
    let row = sqlx::query("SELECT id, password_hash FROM accounts WHERE email = $1")
        .bind(&email)
        .fetch_optional(&mut *conn)
        .await?;
    let (account, hash) = match row {
        Some(row) => (Some(row.try_get::<i64, _>(0)?), Some(row.try_get::<String, _>(1)?)),
        None => (None, None),
    };
    if !verify_password(Secret::new(password), hash).await {
        return Err(ApiError::InvalidCredentials);
    }
    let account = account.ok_or(ApiError::InvalidCredentials)?;
    Limit::clear(&mut conn, &email_key).await?;
    Ok(account)
}

/// `POST /v1/accounts`.
pub async fn create_account(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    sign_up(&state, &client, &body.email, &body.password).await?;
    Ok((StatusCode::CREATED, Json(json!({"status": "created"}))).into_response())
}

/// An access token answer (`/v1/sessions`, `/v1/device/token`).
pub fn token_response(token: &Secret) -> Response {
    let body = Json(json!({"access_token": token.expose(), "token_type": "Bearer"}));
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// `POST /v1/sessions`.
pub async fn create_session(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    let account = log_in(&state, &client, &body.email, &body.password).await?;
    let token = issue_token(&mut *state.db.pool.acquire().await?, account).await?;
    tracing::info!(account, "access token issued (log-in)");
    Ok(token_response(&token))
}

/// `DELETE /v1/sessions/current`: revokes the presented token.
pub async fn delete_session(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(caller.session).execute(&state.db.pool).await?;
    tracing::info!(account = caller.account, "access token revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Plan, status and balance of an account.
pub struct Standing {
    pub email: String,
    pub plan: String,
    pub status: String,
    pub balance: i64,
}

pub async fn standing(state: &AppState, account: i64) -> Result<Standing, ApiError> {
    let mut conn = state.db.pool.acquire().await?;
    let row = sqlx::query("SELECT email, plan, status FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let balance = ledger::balance(&mut conn, account).await?;
    Ok(Standing { email: row.try_get(0)?, plan: row.try_get(1)?, status: row.try_get(2)?, balance })
}

/// `GET /v1/me`.
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    let s = standing(&state, caller.account).await?;
    Ok(Json(json!({"email": s.email, "plan": s.plan, "status": s.status, "balance": s.balance})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(normalize_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in
            ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "a@b@c.d", "ada@.com"]
        {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(check_password("123456789").unwrap_err().to_string().contains("at least 10"));
        assert!(check_password("ééééééééé").is_err(), "characters, not bytes");
        assert!(check_password("1234567890").is_ok());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash_password(Secret::new("correct horse")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password(Secret::new("correct horse"), Some(hash.clone())).await);
        assert!(!verify_password(Secret::new("wrong horse!"), Some(hash)).await);
        assert!(!verify_password(Secret::new("anything at all"), None).await);
    }
}
