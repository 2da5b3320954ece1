//! `autocrea gateway`: the account service. Sign-up and log-in, device sign-in for editors
//! (RFC 8628), a credit ledger, metered JoxCoder forwarding (the upstream key never leaves the
//! gateway), Stripe Checkout and signed, idempotent Stripe webhooks.
//!
//! # Running
//!
//! `autocrea gateway` serves on `127.0.0.1:7676` with a SQLite file in the user's data folder
//! (`$XDG_DATA_HOME/autocrea/gateway.sqlite3`, `~/Library/Application Support/autocrea/…`,
//! `%APPDATA%\autocrea\…`). `--listen ADDR:PORT`, `--database URL` (or
//! `AUTOCREA_GATEWAY_DATABASE`: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`; created
//! and migrated at start), `--public-url URL` (the base of the links it gives out; default
//! `http://<listen>`), `--upstream-url URL` (or `JOXCODER_UPSTREAM_URL`), `--basic-credits N`,
//! `--pro-credits N`, `--behind-proxy` (the client address for rate limits is the last
//! `X-Forwarded-For` entry). Secrets come only from the environment: `JOXCODER_UPSTREAM_KEY`,
//! `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`; also `STRIPE_PRICE_ID_BASIC`,
//! `STRIPE_PRICE_ID_PRO`, `STRIPE_API_BASE` (tests). Logs: stderr, filter `AUTOCREA_LOG`, one
//! span per request (method and path only); no token, key, password or cookie is ever logged.
//!
//! Every replica is stateless: sessions, tokens, device codes, CSRF tokens, rate-limit counters,
//! reservations and processed webhook ids all live in the database, so any number of gateways
//! can share one PostgreSQL.
//!
//! # API
//!
//! How a client uses it: `POST /v1/device/code`, show `user_code` and open
//! `verification_uri_complete` in a browser; poll `POST /v1/device/token` every `interval`
//! seconds (five more after each `slow_down`) until it answers a token or a final error; keep
//! the token (in the keyring); `GET /v1/me` for the status line. For each generation, `POST
//! /v1/reservations` (a `402` carries the balance, the price and the upgrade link to show), send
//! `Autocrea-Reservation: <id>` with every `/v1/joxcoder/…` call, and settle the reservation when
//! the generation ends. Signing out is `DELETE /v1/sessions/current`.
//!
//! Errors are JSON, `{"error": CODE, "message": TEXT}` (the message says what to do), with the
//! status below; every endpoint answers `400 invalid_request` to malformed JSON or a missing
//! field, `413 payload_too_large` to a body over the limit (4 MiB by default), `415
//! unsupported_media_type` to a body in another content type. Bearer endpoints answer `401
//! {"error":"invalid_token"}` (and `WWW-Authenticate: Bearer error="invalid_token"`) to a missing,
//! unknown or revoked token.
//!
//! | request | answer |
//! |---|---|
//! | `GET /healthz` | `200 {"status":"ok"}`, always |
//! | `GET /readyz` | `200 {"status":"ready"}` when the database answers, else `503 {"status":"unavailable"}` |
//! | `POST /v1/accounts {email, password}` | `201 {"status":"created"}`, also (the same answer, the same argon2 work, nothing changed) when the e-mail already has an account; `400 invalid_request` for a bad e-mail or a password under 10 characters; `429 rate_limited` (sign-ups per address) |
//! | `POST /v1/sessions {email, password}` | `200 {"access_token":"acr_…","token_type":"Bearer"}`; `401 {"error":"invalid_credentials"}` for any failure; `429 {"error":"rate_limited"}` with `Retry-After` after 5 attempts for one e-mail (or 50 from one address) in 15 minutes |
//! | `DELETE /v1/sessions/current` (Bearer) | `204`; the presented token is revoked |
//! | `POST /v1/device/code` (`client_id` optional; form or JSON or no body) | `200 {"device_code","user_code","verification_uri","verification_uri_complete","expires_in","interval"}`; the user opens `verification_uri` (`<public-url>/device`); `429 rate_limited` after 30 codes from one address in 15 minutes |
//! | `POST /v1/device/token` (`grant_type=urn:ietf:params:oauth:grant-type:device_code`, `device_code`; form or JSON) | `200 {"access_token","token_type":"Bearer"}`, or `400 {"error","error_description"}` with `error` one of `authorization_pending`, `slow_down` (polled sooner than `interval`; the interval grows by 5 s), `expired_token`, `access_denied`, `invalid_grant` (unknown or already used code), `unsupported_grant_type`, `invalid_request` |
//! | `GET /v1/me` (Bearer) | `{"email","plan":"trial"\|"basic"\|"pro","status":"active"\|"past_due"\|"canceled","balance":N}`; `balance` is what can be spent: the ledger's sum minus open reservations |
//! | `GET /v1/ledger` (Bearer) | `{"entries":[{"amount","type","description","created_at"}]}`, newest first (the last 200); `type` is `trial`, `purchase`, `subscription`, `usage` or `refund`; `created_at` is RFC 3339 UTC |
//! | `POST /v1/reservations` (Bearer; body optional `{"credits":N}` (JSON or form), default 50) | `201 {"id","reserved","balance"}` (balance after the hold); `402 {"error":"insufficient_credits","balance","price","upgrade_url","message"}`; `400` for N ≤ 0 |
//! | `POST /v1/reservations/{id}/settle` (Bearer) | `200 {"charged","released","balance","tokens"}`: charges ⌈tokens/1000⌉ credits (at most what is held) and releases the rest; a second settle answers the same and charges nothing; `404 not_found` for another account's or an unknown id |
//! | any method, `/v1/joxcoder/{path}` (Bearer; optional `Autocrea-Reservation: <id>`) | the upstream's answer to `<upstream-url>/<path>` (method, query, body, `Content-Type` and `Accept` forwarded; `Authorization: Bearer <upstream key>`; nothing else of the client's request), status and body as the upstream sent them, streamed chunk by chunk; see metering below; `402` when the balance cannot cover, before forwarding; `404 not_found` / `409 conflict` for an unknown / settled reservation; `400` for a path with `.` or `..` segments; `503 upstream_not_configured`; `502 upstream_unavailable`. `GET` and `HEAD` (model listings) are forwarded without a hold or a charge |
//! | `POST /v1/billing/checkout {"plan":"basic"\|"pro"}` (Bearer) | `200 {"id","url"}` of a Stripe Checkout Session (subscription); `503 billing_not_configured` naming the variables to set; `502 stripe_error` |
//! | `POST /v1/billing/webhook` (`Stripe-Signature`) | `200 {"received":true}` (also for a replayed event id, processed once, and for event types it ignores); `400 invalid_signature`; `400 invalid_request` for a body that is not an event |
//!
//! Pages (server-rendered HTML, no script): `GET/POST /signup`, `GET/POST /login` (`?next=` a
//! local path), `POST /logout`, `GET/POST /device` (enter or confirm a user code, approve or
//! deny; needs a logged-in page session), `GET /billing` (plan, status, balance, ledger, subscribe
//! buttons) and its form target `POST /billing/checkout` (redirects to Stripe). Page sessions are
//! a random cookie (`autocrea_session`, HttpOnly, SameSite=Lax, Secure unless the public URL is
//! `http://` on a loopback host) whose SHA-256 is in the database; every form carries a CSRF token
//! bound to that session, and a POST without it is refused (403).
//!
//! # Credits
//!
//! The ledger (`credits` table: amount, type, description, time) is the only record of money:
//! the balance is its sum minus the credits held by open reservations, never a stored number.
//! Sign-up grants exactly 100 trial credits, once per account (a unique index). `invoice.paid`
//! grants the plan's monthly credits (basic 2,000, pro 10,000 by default), once per invoice, and
//! makes the plan active; `checkout.session.completed` links the Stripe customer and sets the
//! plan; `customer.subscription.updated` / `.deleted` set the status (`active`/`trialing` →
//! active; `past_due`/`unpaid`/`incomplete`/`paused` → past_due; otherwise canceled) and the plan
//! from the price. Events find the account by the `account_id` metadata the checkout session
//! puts on the session and its subscription, else by the Stripe customer.
//!
//! A generation reserves credits (50 by default; `402` below that) and settles at its actual
//! cost, 1 credit per 1,000 tokens rounded up per settlement. Metered calls add their tokens to
//! the reservation named by `Autocrea-Reservation`, or, without the header, hold their own
//! reservation and settle it when the answer ends (or the client goes away). Tokens come from
//! the upstream's usage (OpenAI `usage`; TGI `details.generated_tokens`, or one per streamed
//! token, plus `input_length` or an estimate of the prompt), else ~4 characters a token of request
//! and answer. When a reservation's cost passes what it holds, it grows from the balance, never
//! below zero; a call on a reservation that is used up and cannot grow is refused `402` before it
//! is forwarded, and a call's overrun beyond the balance is not charged. Unsettled reservations
//! expire an hour after their last use and are settled at their cost on the account's next hold.
//!
//! Every change to what an account can spend runs in one transaction holding the account's lock
//! (`BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE` on the account row on PostgreSQL), so
//! concurrent reservations queue and cannot overspend.
//!
//! # Why `sqlx::Any`
//!
//! One pool type and one set of queries serve both databases: the SQL is written once in the
//! common subset (`$N` parameters, which SQLite also reads, `ON CONFLICT`, `RETURNING`, partial
//! unique indexes, BIGINT columns with sums cast back to BIGINT), and the two places that really
//! differ — the schema's identity columns and how a write transaction takes its lock — are a
//! match on [`db::Dialect`]. An enum of two pools would have doubled every query for no gain.

mod accounts;
mod auth;
mod billing;
pub mod db;
mod device;
pub mod error;
mod ledger;
mod meter;
mod pages;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, delete, get, post};
use serde_json::json;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::model::secret::Secret;
use db::Db;
use error::{ApiError, BodyLimit};

/// Everything the gateway needs to run; [`GatewayConfig::new`] fills in the defaults.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// `sqlite://PATH` (created when missing) or `postgres://…`; a secret, since it may hold
    /// the database's password.
    pub database_url: Secret,
    /// Base of the links the gateway gives out (verification URI, checkout return, upgrade
    /// link), without a trailing slash. Default: `http://<listen address>`.
    pub public_url: Option<String>,
    /// The JoxCoder endpoint model calls are forwarded to; `None`: forwarding answers 503.
    pub upstream: Option<Upstream>,
    pub stripe: StripeConfig,
    pub plans: Plans,
    pub limits: Limits,
    /// Take the client's address from the last `X-Forwarded-For` entry (the one the reverse
    /// proxy added) instead of the connection, for the per-address rate limits.
    pub behind_proxy: bool,
}

#[derive(Debug, Clone)]
pub struct Upstream {
    /// Base URL; a call to `/v1/joxcoder/<path>` goes to `<url>/<path>`.
    pub url: String,
    /// Sent as `Authorization: Bearer …` to the upstream only.
    pub key: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct StripeConfig {
    pub secret_key: Option<Secret>,
    pub webhook_secret: Option<Secret>,
    pub price_basic: Option<String>,
    pub price_pro: Option<String>,
    /// `https://api.stripe.com` unless overridden (tests point it at a fake on 127.0.0.1).
    pub api_base: String,
}

/// Monthly credits granted by each plan's paid invoice.
#[derive(Debug, Clone)]
pub struct Plans {
    pub basic_credits: i64,
    pub pro_credits: i64,
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted, in bytes.
    pub body_bytes: usize,
    /// Log-in attempts per e-mail address within `login_window` (the next one answers 429).
    pub login_attempts: u32,
    /// Log-in attempts per client address within `login_window`.
    pub login_attempts_per_address: u32,
    pub login_window: Duration,
    /// Sign-ups per client address per hour.
    pub signups_per_address: u32,
    /// Lifetime of a device code.
    pub device_code_ttl: Duration,
    /// Minimum time between two polls of one device code (RFC 8628 `interval`).
    pub device_interval: Duration,
    /// Credits a generation holds up front (and a reservation grows by).
    pub reservation_credits: i64,
    /// Tokens one credit pays for.
    pub tokens_per_credit: i64,
    /// An unsettled reservation expires this long after its last use.
    pub reservation_ttl: Duration,
    /// Lifetime of a logged-in page session.
    pub page_session_ttl: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: 4 * 1024 * 1024,
            login_attempts: 5,
            login_attempts_per_address: 50,
            login_window: Duration::from_secs(15 * 60),
            signups_per_address: 20,
            device_code_ttl: Duration::from_secs(15 * 60),
            device_interval: Duration::from_secs(5),
            reservation_credits: 50,
            tokens_per_credit: 1000,
            reservation_ttl: Duration::from_secs(3600),
            page_session_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl GatewayConfig {
    /// The defaults: no upstream, Stripe not configured, default plans and limits.
    pub fn new(database_url: impl Into<String>) -> GatewayConfig {
        GatewayConfig {
            database_url: Secret::new(database_url),
            public_url: None,
            upstream: None,
            stripe: StripeConfig {
                secret_key: None,
                webhook_secret: None,
                price_basic: None,
                price_pro: None,
                api_base: "https://api.stripe.com".into(),
            },
            plans: Plans { basic_credits: 2000, pro_credits: 10_000 },
            limits: Limits::default(),
            behind_proxy: false,
        }
    }

    /// Reads the secrets and Stripe settings from the environment (`STRIPE_SECRET_KEY`,
    /// `STRIPE_WEBHOOK_SECRET`, `STRIPE_PRICE_ID_BASIC`, `STRIPE_PRICE_ID_PRO`,
    /// `STRIPE_API_BASE`, and `JOXCODER_UPSTREAM_KEY` for an upstream URL).
    pub fn with_env(mut self, upstream_url: Option<String>) -> GatewayConfig {
        let var = |name: &str| Secret::from_env(name).map(|s| s.expose().to_string());
        self.upstream =
            upstream_url.map(|url| Upstream { url, key: Secret::from_env("JOXCODER_UPSTREAM_KEY") });
        self.stripe.secret_key = Secret::from_env("STRIPE_SECRET_KEY");
        self.stripe.webhook_secret = Secret::from_env("STRIPE_WEBHOOK_SECRET");
        self.stripe.price_basic = var("STRIPE_PRICE_ID_BASIC");
        self.stripe.price_pro = var("STRIPE_PRICE_ID_PRO");
        if let Some(base) = var("STRIPE_API_BASE") {
            self.stripe.api_base = base;
        }
        self
    }
}

/// Where `autocrea gateway` keeps its SQLite file by default.
pub fn default_database_path() -> Option<PathBuf> {
    let data = if cfg!(windows) {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"))
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
    };
    data.map(|d| d.join("autocrea").join("gateway.sqlite3"))
}

/// What every handler shares: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: GatewayConfig,
    /// `config.public_url` or `http://<listen address>`, without a trailing slash.
    pub public_url: String,
    /// Cookies get `Secure` unless the public URL is plain HTTP on a loopback host.
    pub secure_cookies: bool,
    pub db: Db,
    pub http: reqwest::Client,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl BodyLimit for AppState {
    fn body_limit(&self) -> usize {
        self.config.limits.body_bytes
    }
}

impl AppState {
    /// Where a user whose credits ran out can upgrade.
    pub fn upgrade_url(&self) -> String {
        format!("{}/billing", self.public_url)
    }
}

/// Opens the database (migrating it) and serves on `listener` until `shutdown` completes.
pub async fn serve(
    config: GatewayConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let public_url = public_url.trim_end_matches('/').to_string();
    let secure_cookies = !is_loopback_http(&public_url);
    let db = Db::open(config.database_url.expose()).await?;
    let http = crate::model::provider::http_client(Duration::from_secs(10));
    let state = AppState(Arc::new(Shared { config, public_url, secure_cookies, db, http }));
    let sweeper = tokio::spawn(sweep(state.clone()));
    tracing::info!(%addr, public_url = %state.public_url, dialect = ?state.db.dialect, "gateway serving");
    let served = axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    served.map_err(Into::into)
}

/// `http://127.0.0.1…`, `http://localhost…`, `http://[::1]…`: a browser keeps cookies marked
/// `Secure` only over HTTPS, except on loopback, where a local gateway runs without TLS. Anywhere
/// else the cookies are `Secure`, so a gateway reachable over plain HTTP cannot hand them out.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_string()
    };
    matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

/// Deletes expired rows every ten minutes.
async fn sweep(state: AppState) {
    let longest = state.config.limits.login_window.max(Duration::from_secs(3600));
    loop {
        if let Err(e) = state.db.sweep(longest).await {
            tracing::warn!(error = %e, "could not delete expired rows");
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

pub fn router(state: AppState) -> Router {
    let limit = state.config.limits.body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/accounts", post(accounts::create_account))
        .route("/v1/sessions", post(accounts::create_session))
        .route("/v1/sessions/current", delete(accounts::delete_session))
        .route("/v1/me", get(accounts::me))
        .route("/v1/ledger", get(ledger::list))
        .route("/v1/reservations", post(ledger::create_reservation))
        .route("/v1/reservations/{id}/settle", post(ledger::settle_reservation))
        .route("/v1/device/code", post(device::code))
        .route("/v1/device/token", post(device::token))
        .route("/v1/joxcoder/{*path}", any(meter::forward))
        .route("/v1/billing/checkout", post(billing::checkout))
        .route("/v1/billing/webhook", post(billing::webhook))
        .route("/", get(|| async { Redirect::to("/billing") }))
        .route("/signup", get(pages::signup_form).post(pages::signup))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/device", get(pages::device_form).post(pages::device))
        .route("/billing", get(pages::billing))
        .route("/billing/checkout", post(pages::checkout))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(
            // One span per request: method and path only (no query, no headers: they may hold
            // a user code, a token or a cookie).
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        account = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.db.ping().await {
        axum::Json(json!({"status": "ready"})).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({"status": "unavailable"}))).into_response()
    }
}

async fn not_found(req: Request) -> ApiError {
    ApiError::NotFound(format!("no such endpoint: {} {}", req.method(), req.uri().path()))
}

async fn method_not_allowed(req: Request) -> Response {
    let message = format!("{} is not allowed on {}", req.method(), req.uri().path());
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(json!({"error": "method_not_allowed", "message": message})))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_goes_without_secure_cookies() {
        for url in ["http://127.0.0.1:7676", "http://localhost", "http://[::1]:80/x", "http://localhost:1/"] {
            assert!(is_loopback_http(url), "{url}");
        }
        for url in [
            "https://127.0.0.1",
            "http://example.com",
            "http://127.0.0.1.example.com",
            "http://localhost.evil.test",
            "https://gw.autocrea.dev",
        ] {
            assert!(!is_loopback_http(url), "{url}");
        }
    }
}
