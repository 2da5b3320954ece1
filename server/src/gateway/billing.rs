//! Stripe: Checkout Sessions for the basic and pro plans, and the webhook that keeps accounts in
//! step — verified (`Stripe-Signature`), processed once per event id, inside one transaction.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::Row;

use super::auth::Caller;
use super::db::{Tx, now_ms};
use super::error::{ApiError, ApiJson, RawBody};
use super::ledger::{self, Kind};
use super::{AppState, StripeConfig};

/// Stripe's own tolerance for a signature's timestamp.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Basic,
    Pro,
}

impl Plan {
    pub fn parse(s: &str) -> Option<Plan> {
        match s {
            "basic" => Some(Plan::Basic),
            "pro" => Some(Plan::Pro),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Basic => "basic",
            Plan::Pro => "pro",
        }
    }

    fn price(self, stripe: &StripeConfig) -> Option<&str> {
        match self {
            Plan::Basic => stripe.price_basic.as_deref(),
            Plan::Pro => stripe.price_pro.as_deref(),
        }
    }

    fn monthly_credits(self, state: &AppState) -> i64 {
        match self {
            Plan::Basic => state.config.plans.basic_credits,
            Plan::Pro => state.config.plans.pro_credits,
        }
    }

    /// The plan a Stripe price id stands for.
    fn of_price(stripe: &StripeConfig, price: &str) -> Option<Plan> {
        [Plan::Basic, Plan::Pro].into_iter().find(|p| p.price(stripe) == Some(price))
    }
}

#[derive(Deserialize)]
pub struct CheckoutRequest {
    plan: String,
}

/// A Checkout Session's id and the URL to send the user to.
pub struct Checkout {
    pub id: String,
    pub url: String,
}

fn not_configured(missing: &[&str]) -> ApiError {
    ApiError::NotConfigured {
        error: "billing_not_configured",
        message: format!(
            "Stripe is not configured on this gateway: set {} (STRIPE_SECRET_KEY, STRIPE_PRICE_ID_BASIC, \
             STRIPE_PRICE_ID_PRO and STRIPE_WEBHOOK_SECRET make billing work)",
            missing.join(", ")
        ),
    }
}

/// Creates a subscription Checkout Session for `account`.
pub async fn create_checkout(state: &AppState, account: i64, plan: &str) -> Result<Checkout, ApiError> {
    let plan = Plan::parse(plan)
        .ok_or_else(|| ApiError::InvalidRequest(format!("unknown plan {plan:?}; choose basic or pro")))?;
    let stripe = &state.config.stripe;
    let price_var = match plan {
        Plan::Basic => "STRIPE_PRICE_ID_BASIC",
        Plan::Pro => "STRIPE_PRICE_ID_PRO",
    };
    let (key, price) = match (&stripe.secret_key, plan.price(stripe)) {
        (Some(key), Some(price)) => (key, price),
        (None, None) => return Err(not_configured(&["STRIPE_SECRET_KEY", price_var])),
        (None, _) => return Err(not_configured(&["STRIPE_SECRET_KEY"])),
        (_, None) => return Err(not_configured(&[price_var])),
    };
    let row = sqlx::query("SELECT email, stripe_customer_id FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_one(&state.db.pool)
        .await?;
    let (email, customer): (String, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
    let account_id = account.to_string();
    let mut form = vec![
        ("mode", "subscription".to_string()),
        ("line_items[0][price]", price.to_string()),
        ("line_items[0][quantity]", "1".to_string()),
        ("success_url", format!("{}/billing?checkout=success", state.public_url)),
        ("cancel_url", format!("{}/billing?checkout=canceled", state.public_url)),
        ("client_reference_id", account_id.clone()),
        ("metadata[account_id]", account_id.clone()),
        ("metadata[plan]", plan.as_str().to_string()),
        // Invoices and subscription events carry these, whatever order the events come in.
        ("subscription_data[metadata][account_id]", account_id),
        ("subscription_data[metadata][plan]", plan.as_str().to_string()),
    ];
    match customer {
        Some(customer) => form.push(("customer", customer)),
        None => form.push(("customer_email", email)),
    }
    let url = format!("{}/v1/checkout/sessions", stripe.api_base.trim_end_matches('/'));
    let stripe_error = |message: String| ApiError::BadGateway { error: "stripe_error", message };
    let answer =
        state.http.post(url).bearer_auth(key.expose()).form(&form).send().await.map_err(|e| {
            stripe_error(format!("Stripe did not answer ({}); try again later", e.without_url()))
        })?;
    let status = answer.status();
    let body: Value = answer.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let message = body["error"]["message"].as_str().unwrap_or("no message");
        tracing::error!(status = status.as_u16(), message, "Stripe refused the checkout session");
        return Err(stripe_error(format!("Stripe answered {status}: {message}")));
    }
    match (body["id"].as_str(), body["url"].as_str()) {
        (Some(id), Some(url)) => {
            tracing::info!(account, plan = plan.as_str(), session = id, "checkout session created");
            Ok(Checkout { id: id.to_string(), url: url.to_string() })
        }
        _ => Err(stripe_error("Stripe's answer has no session id or url".into())),
    }
}

/// `POST /v1/billing/checkout`.
pub async fn checkout(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CheckoutRequest>,
) -> Result<Json<Value>, ApiError> {
    let session = create_checkout(&state, caller.account, &req.plan).await?;
    Ok(Json(json!({"id": session.id, "url": session.url})))
}

/// Why a `Stripe-Signature` was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    Malformed,
    Stale,
    Mismatch,
}

/// Verifies a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`): some `v1` must be the HMAC-SHA256
/// of `{t}.{body}` under the endpoint's secret (compared in constant time), and `t` within the
/// tolerance of `now`.
pub fn verify_signature(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.extend(hex::decode(sig)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::Malformed)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    if !signatures.iter().any(|sig| mac.clone().verify_slice(sig).is_ok()) {
        return Err(SignatureError::Mismatch);
    }
    if (now_secs - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// `POST /v1/billing/webhook`.
pub async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<Value>, ApiError> {
    let secret = state
        .config
        .stripe
        .webhook_secret
        .as_ref()
        .ok_or_else(|| not_configured(&["STRIPE_WEBHOOK_SECRET"]))?;
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if let Err(why) = verify_signature(secret.expose().as_bytes(), signature, &body, now_ms() / 1000) {
        tracing::warn!(?why, "webhook refused: bad Stripe-Signature");
        return Err(ApiError::InvalidSignature);
    }
    let event: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidRequest(format!("the webhook body is not JSON: {e}")))?;
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Err(ApiError::InvalidRequest(
            "the webhook body is not a Stripe event (no id or type)".into(),
        ));
    };
    let mut tx = state.db.write().await?;
    let fresh = sqlx::query(
        "INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(kind)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        tracing::info!(event = id, kind, "webhook event already processed");
        return Ok(Json(json!({"received": true})));
    }
    let object = &event["data"]["object"];
    match kind {
        "checkout.session.completed" => checkout_completed(&mut tx, object).await?,
        "invoice.paid" => invoice_paid(&state, &mut tx, object).await?,
        "customer.subscription.updated" | "customer.subscription.deleted" => {
            subscription_changed(&state, &mut tx, object, kind.ends_with("deleted")).await?
        }
        _ => tracing::info!(event = id, kind, "webhook event ignored"),
    }
    tx.commit().await?;
    Ok(Json(json!({"received": true})))
}

fn text(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

/// The account a Stripe object is about: our id in its metadata (set at checkout), else its
/// customer.
async fn account_of(tx: &mut Tx, object: &Value, metadata: &Value) -> Result<Option<i64>, sqlx::Error> {
    let ours = text(&object["client_reference_id"])
        .or_else(|| text(&metadata["account_id"]))
        .and_then(|id| id.parse::<i64>().ok());
    if let Some(id) = ours {
        return sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await;
    }
    let Some(customer) = text(&object["customer"]) else { return Ok(None) };
    sqlx::query_scalar("SELECT id FROM accounts WHERE stripe_customer_id = $1")
        .bind(customer)
        .fetch_optional(&mut **tx)
        .await
}

async fn checkout_completed(tx: &mut Tx, session: &Value) -> Result<(), ApiError> {
    let Some(account) = account_of(tx, session, &session["metadata"]).await? else {
        tracing::warn!("checkout.session.completed for no known account; ignored");
        return Ok(());
    };
    let plan = text(&session["metadata"]["plan"]).and_then(Plan::parse);
    sqlx::query(
        "UPDATE accounts SET plan = COALESCE($1, plan), status = 'active',
           stripe_customer_id = COALESCE($2, stripe_customer_id),
           stripe_subscription_id = COALESCE($3, stripe_subscription_id)
         WHERE id = $4",
    )
    .bind(plan.map(Plan::as_str))
    .bind(text(&session["customer"]))
    .bind(text(&session["subscription"]))
    .bind(account)
    .execute(&mut **tx)
    .await?;
    tracing::info!(account, plan = plan.map(Plan::as_str), "checkout completed");
    Ok(())
}

/// The subscription metadata an invoice carries (older and newer API versions).
fn invoice_metadata(invoice: &Value) -> &Value {
    let newer = &invoice["parent"]["subscription_details"]["metadata"];
    if newer.is_object() { newer } else { &invoice["subscription_details"]["metadata"] }
}

/// The price ids of an invoice's lines (older and newer API versions).
fn invoice_prices(invoice: &Value) -> Vec<&str> {
    let lines = invoice["lines"]["data"].as_array().map(Vec::as_slice).unwrap_or_default();
    lines
        .iter()
        .filter_map(|line| {
            text(&line["price"]["id"]).or_else(|| text(&line["pricing"]["price_details"]["price"]))
        })
        .collect()
}

async fn invoice_paid(state: &AppState, tx: &mut Tx, invoice: &Value) -> Result<(), ApiError> {
    let metadata = invoice_metadata(invoice);
    let Some(account) = account_of(tx, invoice, metadata).await? else {
        tracing::warn!("invoice.paid for no known account; ignored");
        return Ok(());
    };
    let stripe = &state.config.stripe;
    let plan = invoice_prices(invoice)
        .into_iter()
        .find_map(|price| Plan::of_price(stripe, price))
        .or_else(|| text(&metadata["plan"]).and_then(Plan::parse));
    let current: String = sqlx::query_scalar("SELECT plan FROM accounts WHERE id = $1")
        .bind(account)
        .fetch_one(&mut **tx)
        .await?;
    let Some(plan) = plan.or_else(|| Plan::parse(&current)) else {
        tracing::warn!(account, "invoice.paid for no known plan; no credits granted");
        return Ok(());
    };
    let credits = plan.monthly_credits(state);
    let invoice_id = text(&invoice["id"]).unwrap_or("unknown");
    let description = format!("{} plan: monthly credits", plan.as_str());
    let booked = ledger::book(
        tx,
        account,
        credits,
        Kind::Subscription,
        &description,
        Some(&format!("invoice:{invoice_id}")),
    )
    .await?;
    sqlx::query(
        "UPDATE accounts SET plan = $1, status = 'active', stripe_customer_id = COALESCE(stripe_customer_id, $2)
         WHERE id = $3",
    )
    .bind(plan.as_str())
    .bind(text(&invoice["customer"]))
    .bind(account)
    .execute(&mut **tx)
    .await?;
    tracing::info!(account, plan = plan.as_str(), credits, booked, "invoice paid");
    Ok(())
}

/// Stripe's subscription status in our three words.
fn status_of(stripe_status: &str) -> &'static str {
    match stripe_status {
        "active" | "trialing" => "active",
        "past_due" | "unpaid" | "incomplete" | "paused" => "past_due",
        _ => "canceled",
    }
}

async fn subscription_changed(
    state: &AppState,
    tx: &mut Tx,
    sub: &Value,
    deleted: bool,
) -> Result<(), ApiError> {
    let Some(account) = account_of(tx, sub, &sub["metadata"]).await? else {
        tracing::warn!("subscription event for no known account; ignored");
        return Ok(());
    };
    let status = if deleted { "canceled" } else { status_of(text(&sub["status"]).unwrap_or("canceled")) };
    let items = sub["items"]["data"].as_array().map(Vec::as_slice).unwrap_or_default();
    let plan =
        items.iter().find_map(|item| Plan::of_price(&state.config.stripe, text(&item["price"]["id"])?));
    sqlx::query(
        "UPDATE accounts SET status = $1, plan = COALESCE($2, plan),
           stripe_subscription_id = COALESCE($3, stripe_subscription_id)
         WHERE id = $4",
    )
    .bind(status)
    .bind(plan.map(Plan::as_str))
    .bind(text(&sub["id"]))
    .bind(account)
    .execute(&mut **tx)
    .await?;
    tracing::info!(account, status, plan = plan.map(Plan::as_str), "subscription changed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{body}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn signatures_are_checked_like_stripe_does() {
        let (secret, body, now) = ("whsec_test", r#"{"id":"evt_1"}"#, 1_700_000_000);
        let good = sign(secret, now, body);
        let check = |header: &str, at: i64| verify_signature(secret.as_bytes(), header, body.as_bytes(), at);
        assert_eq!(check(&format!("t={now},v1={good}"), now), Ok(()));
        // Several v1 signatures (a rolled secret): one match is enough; v0 is ignored.
        assert_eq!(check(&format!("t={now},v1={},v1={good},v0=abc", "00".repeat(32)), now + 10), Ok(()));
        assert_eq!(
            check(&format!("t={now},v1={good}"), now + TOLERANCE_SECS + 1),
            Err(SignatureError::Stale)
        );
        assert_eq!(check(&format!("t={},v1={good}", now + 1), now), Err(SignatureError::Mismatch));
        assert_eq!(
            check(&format!("t={now},v1={}", sign("other", now, body)), now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(check(&format!("v1={good}"), now), Err(SignatureError::Malformed));
        assert_eq!(check(&format!("t={now}"), now), Err(SignatureError::Malformed));
        assert_eq!(check("", now), Err(SignatureError::Malformed));
    }

    #[test]
    fn stripe_statuses_map_to_three() {
        assert_eq!(status_of("trialing"), "active");
        assert_eq!(status_of("unpaid"), "past_due");
        assert_eq!(status_of("incomplete_expired"), "canceled");
    }
}
