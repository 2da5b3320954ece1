//! The HTML pages: sign-up, log-in, log-out, device approval and billing. Server-rendered
//! (minijinja, auto-escaped), no script. Every form carries the page session's CSRF token and
//! every POST checks it; pages cannot be framed and send no referrer (the device page's URL
//! holds a user code).

use std::sync::LazyLock;

use axum::Form;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, context};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::AppState;
use super::accounts;
use super::auth::{
    ClientAddr, PageSession, checked_session, end_session, page_session, session_cookie, start_page_session,
};
use super::billing;
use super::db::Limit;
use super::device::{self, normalize_user_code};
use super::error::{ApiError, BodyLimit, form_rejection};
use super::ledger;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        ("layout.html", include_str!("templates/layout.html")),
        ("signup.html", include_str!("templates/signup.html")),
        ("login.html", include_str!("templates/login.html")),
        ("device.html", include_str!("templates/device.html")),
        ("billing.html", include_str!("templates/billing.html")),
        ("message.html", include_str!("templates/message.html")),
    ] {
        env.add_template(name, source).expect("the gateway's page templates parse");
    }
    env
});

/// An HTML page with the headers every page gets.
fn page(status: StatusCode, name: &str, ctx: minijinja::Value, set_cookie: Option<String>) -> Response {
    let html = TEMPLATES.get_template(name).and_then(|t| t.render(ctx)).unwrap_or_else(|e| {
        tracing::error!(template = name, error = %e, "a page failed to render");
        "<!doctype html><title>Error</title><p>This page failed to render; the gateway logged why.".into()
    });
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https://checkout.stripe.com; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Some(cookie) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}

/// A redirect after a form (303: the browser follows with GET).
fn see_other(location: &str, set_cookie: Option<String>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_string())]).into_response();
    if let Some(cookie) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// An error shown as a page.
pub struct PageError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

impl PageError {
    fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError { status, message: message.into(), retry_after: None }
    }

    fn csrf() -> PageError {
        PageError::new(
            StatusCode::FORBIDDEN,
            "This form expired or was not sent from this site. Go back, reload the page and try again.",
        )
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        let message = match &e {
            ApiError::Internal(_) => "Something went wrong on our side; try again in a moment.".to_string(),
            other => other.to_string(),
        };
        let retry_after = match e {
            ApiError::RateLimited { retry_after } => Some(retry_after),
            _ => None,
        };
        if let ApiError::Internal(cause) = &e {
            tracing::error!(%cause, "page failed");
        }
        PageError { status: e.status(), message, retry_after }
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> PageError {
        ApiError::from(e).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let ctx = context! { title, message => self.message, link => "/billing" };
        let mut response = page(self.status, "message.html", ctx, None);
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A form POST from this site: the page session whose CSRF token the form carries, and the
/// form. A missing or wrong token is refused (403) before the form is acted on; a wrong content
/// type, an oversized or malformed body is an error page.
pub struct Posted<T> {
    session: PageSession,
    form: T,
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    /// Missing is refused like wrong (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Posted<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let headers = req.headers().clone();
        let Form(posted) = Form::<WithCsrf<T>>::from_request(req, state)
            .await
            .map_err(|e| PageError::from(form_rejection(e, state.body_limit())))?;
        let session = checked_session(state, &headers, &posted.csrf).await?.ok_or_else(PageError::csrf)?;
        Ok(Posted { session, form: posted.form })
    }
}

/// What every page's template gets — its title, the session's CSRF token (for the log-out
/// button and its own forms), whether someone is logged in — and its own values.
fn ctx(title: &str, session: &PageSession, own: minijinja::Value) -> minijinja::Value {
    context! { title, csrf => session.csrf, signed_in => session.account.is_some(), ..own }
}

/// The request's page session, or a new anonymous one (with its `Set-Cookie`).
async fn session_or_new(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(PageSession, Option<String>), PageError> {
    match page_session(state, headers).await? {
        Some(session) => Ok((session, None)),
        None => {
            let (session, cookie) = start_page_session(state, None).await?;
            Ok((session, Some(cookie)))
        }
    }
}

/// The logged-in page session and its account, or a redirect to the log-in page and back.
async fn logged_in(
    state: &AppState,
    headers: &HeaderMap,
    back_to: &str,
) -> Result<(PageSession, i64), Response> {
    match page_session(state, headers).await {
        Ok(Some(session)) => match session.account {
            Some(account) => Ok((session, account)),
            None => Err(to_login(back_to)),
        },
        Ok(None) => Err(to_login(back_to)),
        Err(e) => Err(PageError::from(e).into_response()),
    }
}

fn to_login(back_to: &str) -> Response {
    let next: String = url_encode(back_to);
    see_other(&format!("/login?next={next}"), None)
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go after log-in: a path on this site, never another site (`//host`, `/\host`).
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") => p,
        _ => "/billing",
    }
}

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_up: Option<String>,
}

/// `GET /signup`.
pub async fn signup_form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let (session, cookie) = session_or_new(&state, &headers).await?;
    Ok(page(StatusCode::OK, "signup.html", ctx("Sign up", &session, context! { email => "" }), cookie))
}

/// `POST /signup`: the same answer whether the e-mail was new or not.
pub async fn signup(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Posted { session, form }: Posted<Credentials>,
) -> Result<Response, PageError> {
    match accounts::sign_up(&state, &client, &form.email, &form.password).await {
        Ok(()) => Ok(see_other("/login?signed_up=1", None)),
        Err(ApiError::InvalidRequest(error)) => {
            let own = context! { email => form.email, error };
            Ok(page(StatusCode::BAD_REQUEST, "signup.html", ctx("Sign up", &session, own), None))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let (session, cookie) = session_or_new(&state, &headers).await?;
    let notice = query.signed_up.map(|_| {
        "If this e-mail was new, its account is ready with 100 trial credits (an e-mail that already had one \
         keeps it unchanged). Log in."
    });
    let own = context! { next => local_path(query.next.as_deref()), email => "", notice };
    Ok(page(StatusCode::OK, "login.html", ctx("Log in", &session, own), cookie))
}

/// `POST /login`: a new session (never the pre-log-in one, so a planted cookie gains nothing).
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Posted { session, form }: Posted<Credentials>,
) -> Result<Response, PageError> {
    let next = local_path(form.next.as_deref()).to_string();
    match accounts::log_in(&state, &client, &form.email, &form.password).await {
        Ok(account) => {
            end_session(&state, session.id).await?;
            let (_, cookie) = start_page_session(&state, Some(account)).await?;
            tracing::info!(account, "page session started");
            Ok(see_other(&next, Some(cookie)))
        }
        Err(ApiError::InvalidCredentials) => {
            let own = context! { next, email => form.email, error => "The e-mail or the password is wrong." };
            Ok(page(StatusCode::UNAUTHORIZED, "login.html", ctx("Log in", &session, own), None))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Nothing {}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    Posted { session, .. }: Posted<Nothing>,
) -> Result<Response, PageError> {
    end_session(&state, session.id).await?;
    Ok(see_other("/login", Some(session_cookie(&state, "", 0))))
}

#[derive(Deserialize)]
pub struct DeviceQuery {
    user_code: Option<String>,
}

fn device_page(
    status: StatusCode,
    session: &PageSession,
    step: &str,
    user_code: &str,
    extra: minijinja::Value,
) -> Response {
    page(status, "device.html", ctx("Sign in a device", session, context! { step, user_code, ..extra }), None)
}

/// A code that is malformed or not pending: counted against the account (so codes cannot be
/// guessed from a logged-in session), then the entry form again.
async fn unknown_code(
    state: &AppState,
    session: &PageSession,
    account: i64,
    typed: &str,
) -> Result<Response, PageError> {
    let limits = &state.config.limits;
    let limit = Limit { max: 20, window: limits.login_window };
    let mut conn = state.db.pool.acquire().await?;
    limit
        .hit(&mut conn, &format!("device:account:{account}"))
        .await?
        .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    let error = "This code is unknown, expired or already used. Check it, or start the sign-in again from your editor.";
    Ok(device_page(StatusCode::BAD_REQUEST, session, "enter", typed, context! { error }))
}

/// `GET /device[?user_code=…]`: enter a code, or confirm the one in the link.
pub async fn device_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<DeviceQuery>,
) -> Result<Response, PageError> {
    let back_to = match &query.user_code {
        Some(code) => format!("/device?user_code={}", url_encode(code)),
        None => "/device".into(),
    };
    let (session, account) = match logged_in(&state, &headers, &back_to).await {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    let Some(typed) = query.user_code else {
        return Ok(device_page(StatusCode::OK, &session, "enter", "", context! {}));
    };
    let pending = match normalize_user_code(&typed) {
        Some(code) => device::pending(&state, &code).await?,
        None => None,
    };
    match pending {
        Some(p) => Ok(device_page(
            StatusCode::OK,
            &session,
            "confirm",
            &p.user_code,
            context! { client_id => p.client_id },
        )),
        None => unknown_code(&state, &session, account, &typed).await,
    }
}

#[derive(Deserialize)]
pub struct DeviceForm {
    user_code: String,
    /// `approve` or `deny`; absent when the code was just entered.
    action: Option<String>,
}

/// `POST /device`: a code entered (shown for confirmation), approved or denied.
pub async fn device(
    State(state): State<AppState>,
    Posted { session, form }: Posted<DeviceForm>,
) -> Result<Response, PageError> {
    let Some(account) = session.account else {
        return Ok(to_login("/device"));
    };
    let approve = match form.action.as_deref() {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            let code = normalize_user_code(&form.user_code).unwrap_or_else(|| form.user_code.clone());
            return Ok(see_other(&format!("/device?user_code={}", url_encode(&code)), None));
        }
    };
    let decided = match normalize_user_code(&form.user_code) {
        Some(code) => device::decide(&state, &code, account, approve).await?,
        None => false,
    };
    if !decided {
        return unknown_code(&state, &session, account, &form.user_code).await;
    }
    let step = if approve { "approved" } else { "denied" };
    Ok(device_page(StatusCode::OK, &session, step, "", context! {}))
}

#[derive(Deserialize)]
pub struct BillingQuery {
    checkout: Option<String>,
}

/// `GET /billing`.
pub async fn billing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<BillingQuery>,
) -> Result<Response, PageError> {
    let (session, account) = match logged_in(&state, &headers, "/billing").await {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    let standing = accounts::standing(&state, account).await?;
    let entries = ledger::entries(&mut *state.db.pool.acquire().await?, account).await?;
    let notice = match query.checkout.as_deref() {
        Some("success") => {
            Some("Thank you! Your plan and credits appear here as soon as Stripe confirms the payment.")
        }
        Some("canceled") => Some("Checkout canceled; nothing was charged."),
        _ => None,
    };
    let plans = [
        context! { id => "basic", name => "Basic", credits => state.config.plans.basic_credits },
        context! { id => "pro", name => "Pro", credits => state.config.plans.pro_credits },
    ];
    let own = context! {
        email => standing.email, plan => standing.plan, status => standing.status, balance => standing.balance,
        entries => minijinja::Value::from_serialize(&entries), plans => plans.to_vec(), notice,
    };
    Ok(page(StatusCode::OK, "billing.html", ctx("Billing", &session, own), None))
}

#[derive(Deserialize)]
pub struct CheckoutForm {
    plan: String,
}

/// `POST /billing/checkout`: the subscribe buttons; on to Stripe's hosted checkout.
pub async fn checkout(
    State(state): State<AppState>,
    Posted { session, form }: Posted<CheckoutForm>,
) -> Result<Response, PageError> {
    let Some(account) = session.account else {
        return Ok(to_login("/billing"));
    };
    let checkout = billing::create_checkout(&state, account, &form.plan).await?;
    Ok(see_other(&checkout.url, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_escape() {
        let ctx = context! { title => "<x>", message => "<script>alert(1)</script>", link => "/billing" };
        let html = TEMPLATES.get_template("message.html").unwrap().render(ctx).unwrap();
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
        for name in ["signup.html", "login.html", "device.html", "billing.html"] {
            TEMPLATES.get_template(name).unwrap();
        }
    }

    #[test]
    fn after_log_in_only_local_paths() {
        assert_eq!(local_path(Some("/device?user_code=BCDF-GHJK")), "/device?user_code=BCDF-GHJK");
        for bad in
            [None, Some("https://evil.test"), Some("//evil.test"), Some("/\\evil.test"), Some("billing")]
        {
            assert_eq!(local_path(bad), "/billing", "{bad:?}");
        }
        assert_eq!(url_encode("/device?user_code=BC DF"), "/device%3Fuser_code%3DBC%20DF");
    }
}
