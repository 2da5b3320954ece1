//! Device sign-in for editors and the CLI (OAuth 2.0 Device Authorization Grant, RFC 8628).
//!
//! The editor asks for a code, shows the user code and the verification URI, and polls the token
//! endpoint no faster than `interval`; the user approves (or denies) on the `/device` page while
//! logged in. Everything is in the `device_codes` table; only the device code's hash is kept.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;

use super::AppState;
use super::accounts::token_response;
use super::auth::{ClientAddr, issue_token, random_hex, token_hash};
use super::db::{Limit, now_ms};
use super::error::{ApiError, FormOrJson};

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.5: each `slow_down` adds five seconds to the interval.
const SLOW_DOWN_MS: i64 = 5000;
/// Letters that cannot be confused or spell words (RFC 8628 §6.1): 20^8 ≈ 2.6·10^10 codes.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

#[derive(Default, Deserialize)]
pub struct CodeRequest {
    client_id: Option<String>,
}

#[derive(Default, Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    device_code: Option<String>,
}

fn new_user_code() -> String {
    let mut letters = String::new();
    while letters.len() < 8 {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random generator works");
        // 240 = 12 × 20: dropping the bytes above keeps every letter equally likely.
        let missing = 8 - letters.len();
        letters.extend(
            bytes
                .iter()
                .filter(|&&b| b < 240)
                .map(|&b| USER_CODE_ALPHABET[usize::from(b) % USER_CODE_ALPHABET.len()] as char)
                .take(missing),
        );
    }
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// A user code as typed (any case, with or without the dash or spaces) in its stored form.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let letters: String =
        typed.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    (letters.len() == 8 && letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &letters[..4], &letters[4..]))
}

/// `POST /v1/device/code`.
pub async fn code(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormOrJson(req): FormOrJson<CodeRequest>,
) -> Result<Json<Value>, ApiError> {
    let limits = &state.config.limits;
    // Every live code is one more a guessed user code could hit: at most 30 per address per
    // 15 minutes.
    let per_address = Limit { max: 30, window: std::time::Duration::from_secs(15 * 60) };
    per_address
        .hit(&mut *state.db.pool.acquire().await?, &format!("device:addr:{client}"))
        .await?
        .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    let client_id = req.client_id.map(|c| c.chars().take(100).collect::<String>());
    let device_code = random_hex(32);
    let now = now_ms();
    let expires_in = limits.device_code_ttl.as_secs().max(1);
    // A user code may collide with a live one: draw again.
    let mut attempts = 0;
    let user_code = loop {
        let user_code = new_user_code();
        let inserted = sqlx::query(
            "INSERT INTO device_codes (device_code_hash, user_code, client_id, interval_ms, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(token_hash(&device_code))
        .bind(&user_code)
        .bind(&client_id)
        .bind(limits.device_interval.as_millis() as i64)
        .bind(now)
        .bind(now + limits.device_code_ttl.as_millis() as i64)
        .execute(&state.db.pool)
        .await?;
        attempts += 1;
        if inserted.rows_affected() == 1 {
            break user_code;
        }
        if attempts == 5 {
            return Err(ApiError::Internal("no free user code after 5 draws".into()));
        }
    };
    let uri = format!("{}/device", state.public_url);
    Ok(Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": uri,
        "verification_uri_complete": format!("{uri}?user_code={user_code}"),
        "expires_in": expires_in,
        "interval": limits.device_interval.as_secs().max(1),
    })))
}

fn grant_error(error: &'static str, description: &str) -> ApiError {
    ApiError::Grant { error, description: description.to_string() }
}

/// `POST /v1/device/token`.
pub async fn token(
    State(state): State<AppState>,
    FormOrJson(req): FormOrJson<TokenRequest>,
) -> Result<Response, ApiError> {
    match req.grant_type.as_deref() {
        Some(GRANT_TYPE) => {}
        None => {
            return Err(grant_error("invalid_request", &format!("grant_type is missing; use {GRANT_TYPE}")));
        }
        Some(_) => {
            return Err(grant_error("unsupported_grant_type", &format!("only {GRANT_TYPE} is supported")));
        }
    }
    let device_code =
        req.device_code.ok_or_else(|| grant_error("invalid_request", "device_code is missing"))?;
    let hash = token_hash(&device_code);
    let now = now_ms();
    // One statement records the poll and decides whether it came too soon, so replicas agree
    // (the CASE expressions read the row as it was before this poll).
    let row = sqlx::query(
        "UPDATE device_codes SET
           too_soon = CASE WHEN last_polled_at IS NOT NULL AND $2 - last_polled_at < interval_ms THEN 1 ELSE 0 END,
           interval_ms = CASE WHEN last_polled_at IS NOT NULL AND $2 - last_polled_at < interval_ms
                              THEN interval_ms + $3 ELSE interval_ms END,
           last_polled_at = $2
         WHERE device_code_hash = $1
         RETURNING status, expires_at, too_soon, interval_ms",
    )
    .bind(&hash)
    .bind(now)
    .bind(SLOW_DOWN_MS)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| grant_error("invalid_grant", "unknown device_code; request a new one"))?;
    let status: String = row.try_get(0)?;
    let (expires_at, too_soon, interval_ms): (i64, i64, i64) =
        (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
    if now >= expires_at {
        return Err(grant_error("expired_token", "the device code expired; start the sign-in again"));
    }
    match status.as_str() {
        // RFC 8628 §3.5: slow_down is a variant of authorization_pending.
        "pending" if too_soon == 1 => Err(grant_error(
            "slow_down",
            &format!("polled too soon; wait {} seconds between polls", (interval_ms + 999) / 1000),
        )),
        "pending" => Err(grant_error("authorization_pending", "the user has not approved the sign-in yet")),
        "denied" => Err(grant_error("access_denied", "the user denied the sign-in")),
        "approved" => {
            let mut tx = state.db.write().await?;
            let account: Option<i64> = sqlx::query_scalar(
                "UPDATE device_codes SET status = 'used' WHERE device_code_hash = $1 AND status = 'approved' RETURNING account_id",
            )
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
            let account =
                account.ok_or_else(|| grant_error("invalid_grant", "the device code was already used"))?;
            let token = issue_token(&mut tx, account).await?;
            tx.commit().await?;
            tracing::info!(account, "access token issued (device code)");
            Ok(token_response(&token))
        }
        _ => Err(grant_error("invalid_grant", "the device code was already used; request a new one")),
    }
}

/// A code waiting for the user's decision: the client that asked for it.
pub struct PendingCode {
    pub user_code: String,
    pub client_id: Option<String>,
}

/// The pending, unexpired request with this user code.
pub async fn pending(state: &AppState, user_code: &str) -> Result<Option<PendingCode>, ApiError> {
    let row = sqlx::query(
        "SELECT user_code, client_id FROM device_codes WHERE user_code = $1 AND status = 'pending' AND expires_at > $2",
    )
    .bind(user_code)
    .bind(now_ms())
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(match row {
        Some(row) => Some(PendingCode { user_code: row.try_get(0)?, client_id: row.try_get(1)? }),
        None => None,
    })
}

/// Approves (for `account`) or denies a pending request; false when it is no longer pending.
pub async fn decide(
    state: &AppState,
    user_code: &str,
    account: i64,
    approve: bool,
) -> Result<bool, ApiError> {
    let done = sqlx::query(
        "UPDATE device_codes SET status = $1, account_id = $2
         WHERE user_code = $3 AND status = 'pending' AND expires_at > $4",
    )
    .bind(if approve { "approved" } else { "denied" })
    .bind(account)
    .bind(user_code)
    .bind(now_ms())
    .execute(&state.db.pool)
    .await?;
    let decided = done.rows_affected() == 1;
    if decided {
        tracing::info!(account, approve, "device sign-in decided");
    }
    Ok(decided)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_eight_unambiguous_letters() {
        for _ in 0..200 {
            let code = new_user_code();
            assert_eq!(code.len(), 9, "{code}");
            assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
        }
        assert_eq!(normalize_user_code(" bcdf ghjk ").as_deref(), Some("BCDF-GHJK"));
        assert_eq!(normalize_user_code("BCDF-GHJ"), None);
        assert_eq!(normalize_user_code("ABCD-EFGH"), None, "vowels are not in the alphabet");
    }
}
