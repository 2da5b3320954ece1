//! The credit ledger and reservations.
//!
//! The `credits` table is the only record of money; the balance an account can spend is its sum
//! minus what open reservations hold. Every change to either runs inside
//! [`Db::lock_account`](super::db::Db::lock_account), and never lets the balance go below zero:
//! a hold is taken only from what is free, grows only by what is free, and a settlement charges
//! at most what is held.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::AppState;
use super::auth::{Caller, random_hex};
use super::db::{Tx, now_ms};
use super::error::{ApiError, FormOrJson};

/// The type of an entry the gateway books. The table also takes `purchase` and `refund`, for
/// one-off purchases and refunds booked by hand; nothing here books them yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Trial,
    Subscription,
    Usage,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Trial => "trial",
            Kind::Subscription => "subscription",
            Kind::Usage => "usage",
        }
    }
}

/// Books an entry; `reference` (an invoice, a reservation) makes it happen once. Returns whether
/// it was booked (false: that reference, or the account's trial, was booked before).
pub async fn book(
    conn: &mut AnyConnection,
    account: i64,
    amount: i64,
    kind: Kind,
    description: &str,
    reference: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO credits (account_id, amount, type, description, reference, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(account)
    .bind(amount)
    .bind(kind.as_str())
    .bind(description)
    .bind(reference)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the account can spend: the ledger's sum minus the open reservations' holds.
pub async fn balance(conn: &mut AnyConnection, account: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST((SELECT COALESCE(SUM(amount), 0) FROM credits WHERE account_id = $1)
                   - (SELECT COALESCE(SUM(held), 0) FROM reservations WHERE account_id = $1 AND settled_at IS NULL)
                AS BIGINT)",
    )
    .bind(account)
    .fetch_one(conn)
    .await
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub amount: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// The account's last 200 entries, newest first.
pub async fn entries(conn: &mut AnyConnection, account: i64) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT amount, type, description, created_at FROM credits WHERE account_id = $1 ORDER BY id DESC LIMIT 200",
    )
    .bind(account)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                amount: r.try_get(0)?,
                kind: r.try_get(1)?,
                description: r.try_get(2)?,
                created_at: rfc3339(r.try_get(3)?),
            })
        })
        .collect()
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `GET /v1/ledger`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let entries = entries(&mut *state.db.pool.acquire().await?, caller.account).await?;
    Ok(Json(json!({"entries": entries})))
}

/// Credits held for a generation.
#[derive(Debug, Clone)]
pub struct Reservation {
    pub id: String,
    pub held: i64,
    pub tokens: i64,
    /// Set once settled.
    pub charged: Option<i64>,
}

/// The outcome of a settlement.
#[derive(Debug, Serialize)]
pub struct Settlement {
    pub charged: i64,
    pub released: i64,
    pub balance: i64,
    pub tokens: i64,
}

/// Credits `tokens` cost: one per `tokens_per_credit`, rounded up.
fn cost(state: &AppState, tokens: i64) -> i64 {
    let per = state.config.limits.tokens_per_credit.max(1);
    (tokens.max(0) + per - 1) / per
}

fn expiry(state: &AppState) -> i64 {
    now_ms() + state.config.limits.reservation_ttl.as_millis() as i64
}

fn insufficient(state: &AppState, balance: i64, price: i64) -> ApiError {
    ApiError::InsufficientCredits { balance: balance.max(0), price, upgrade_url: state.upgrade_url() }
}

async fn load(tx: &mut Tx, account: i64, id: &str) -> Result<Reservation, ApiError> {
    let row =
        sqlx::query("SELECT id, held, tokens, charged FROM reservations WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no reservation {id:?} on this account")))?;
    Ok(Reservation {
        id: row.try_get(0)?,
        held: row.try_get(1)?,
        tokens: row.try_get(2)?,
        charged: row.try_get(3)?,
    })
}

/// Charges the reservation its cost (at most what it holds) and releases the rest.
async fn settle_in(
    state: &AppState,
    tx: &mut Tx,
    account: i64,
    r: &mut Reservation,
) -> Result<(), sqlx::Error> {
    let charged = cost(state, r.tokens).min(r.held);
    if charged > 0 {
        let description = format!("JoxCoder: {} tokens", r.tokens);
        let reference = format!("reservation:{}", r.id);
        book(tx, account, -charged, Kind::Usage, &description, Some(&reference)).await?;
    }
    sqlx::query("UPDATE reservations SET charged = $1, settled_at = $2 WHERE id = $3")
        .bind(charged)
        .bind(now_ms())
        .bind(&r.id)
        .execute(&mut **tx)
        .await?;
    r.charged = Some(charged);
    Ok(())
}

/// Holds `credits` for a generation, when the balance covers them.
pub async fn reserve(state: &AppState, account: i64, credits: i64) -> Result<(Reservation, i64), ApiError> {
    let mut tx = state.db.lock_account(account).await?;
    // Reservations abandoned by their client are settled at their cost first.
    let expired: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM reservations WHERE account_id = $1 AND settled_at IS NULL AND expires_at < $2",
    )
    .bind(account)
    .bind(now_ms())
    .fetch_all(&mut *tx)
    .await?;
    for id in expired {
        let mut r = load(&mut tx, account, &id).await?;
        settle_in(state, &mut tx, account, &mut r).await?;
    }
    let balance = balance(&mut tx, account).await?;
    if balance < credits {
        return Err(insufficient(state, balance, credits));
    }
    let r = Reservation { id: format!("res_{}", random_hex(16)), held: credits, tokens: 0, charged: None };
    sqlx::query(
        "INSERT INTO reservations (id, account_id, held, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&r.id)
    .bind(account)
    .bind(credits)
    .bind(now_ms())
    .bind(expiry(state))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(account, reservation = %r.id, credits, "credits reserved");
    Ok((r, balance - credits))
}

/// Before a call on a shared reservation: when what it holds is used up, it grows from the
/// balance by up to one reservation's worth; `402` when nothing is free.
pub async fn ensure_headroom(state: &AppState, account: i64, id: &str) -> Result<(), ApiError> {
    let mut tx = state.db.lock_account(account).await?;
    let r = load(&mut tx, account, id).await?;
    if r.charged.is_some() {
        return Err(ApiError::Conflict(format!("reservation {id} is settled; make a new one")));
    }
    if r.held > cost(state, r.tokens) {
        return Ok(());
    }
    let free = balance(&mut tx, account).await?;
    let step = state.config.limits.reservation_credits;
    if free <= 0 {
        return Err(insufficient(state, free, step));
    }
    sqlx::query("UPDATE reservations SET held = held + $1, expires_at = $2 WHERE id = $3")
        .bind(free.min(step))
        .bind(expiry(state))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a call's tokens to a reservation, growing it from the balance when its cost passes what
/// it holds (never below zero), and settles it when `settle`. A call that ended after its
/// reservation was settled is charged on its own, within the balance.
pub async fn record_usage(
    state: &AppState,
    account: i64,
    id: &str,
    tokens: i64,
    settle: bool,
) -> Result<(), ApiError> {
    let mut tx = state.db.lock_account(account).await?;
    let mut r = load(&mut tx, account, id).await?;
    if r.charged.is_some() {
        let charged = cost(state, tokens).min(balance(&mut tx, account).await?.max(0));
        if charged > 0 {
            book(&mut tx, account, -charged, Kind::Usage, &format!("JoxCoder: {tokens} tokens (late)"), None)
                .await?;
        }
        return Ok(tx.commit().await?);
    }
    r.tokens += tokens;
    let due = cost(state, r.tokens);
    if due > r.held {
        r.held += (due - r.held).min(balance(&mut tx, account).await?.max(0));
    }
    sqlx::query("UPDATE reservations SET tokens = $1, held = $2, expires_at = $3 WHERE id = $4")
        .bind(r.tokens)
        .bind(r.held)
        .bind(expiry(state))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if settle {
        settle_in(state, &mut tx, account, &mut r).await?;
    }
    tx.commit().await?;
    tracing::info!(account, reservation = %id, tokens, settled = settle, "usage recorded");
    Ok(())
}

/// Settles a reservation; settling it again answers the same and charges nothing.
pub async fn settle(state: &AppState, account: i64, id: &str) -> Result<Settlement, ApiError> {
    let mut tx = state.db.lock_account(account).await?;
    let mut r = load(&mut tx, account, id).await?;
    if r.charged.is_none() {
        settle_in(state, &mut tx, account, &mut r).await?;
    }
    let balance = balance(&mut tx, account).await?;
    tx.commit().await?;
    let charged = r.charged.unwrap_or(0);
    Ok(Settlement { charged, released: r.held - charged, balance, tokens: r.tokens })
}

#[derive(Default, Deserialize)]
pub struct ReservationRequest {
    credits: Option<i64>,
}

/// `POST /v1/reservations`.
pub async fn create_reservation(
    State(state): State<AppState>,
    caller: Caller,
    FormOrJson(body): FormOrJson<ReservationRequest>,
) -> Result<Response, ApiError> {
    let credits = body.credits.unwrap_or(state.config.limits.reservation_credits);
    if credits <= 0 {
        return Err(ApiError::InvalidRequest(format!("credits must be a positive number, not {credits}")));
    }
    let (r, balance) = reserve(&state, caller.account, credits).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": r.id, "reserved": r.held, "balance": balance})))
        .into_response())
}

/// `POST /v1/reservations/{id}/settle`.
pub async fn settle_reservation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Settlement>, ApiError> {
    Ok(Json(settle(&state, caller.account, &id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_599_999), "2025-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_107_542_400_000), "2100-03-01T00:00:00Z");
    }
}
