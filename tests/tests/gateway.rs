//! The account gateway end to end: served on 127.0.0.1 and driven over real HTTP, with a fake
//! JoxCoder upstream and a fake Stripe on loopback. Every test runs twice, on SQLite and on
//! PostgreSQL (`AUTOCREA_TEST_POSTGRES_URL`; see `suite!`), each time on a fresh database.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use autocrea::gateway::{GatewayConfig, Upstream};
use autocrea::model::secret::Secret;
use autocrea_e2e::autocrea_command;
use autocrea_e2e::fakes::stripe::{self, FakeStripe};
use autocrea_e2e::fakes::{FakeConfig, FakeModel, Protocol, Reply};
use autocrea_e2e::gateway::{Answer, Backend, PASSWORD, TestGateway, csrf, encode, http_client};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

/// Runs each named `async fn(Backend)` as two tests, `sqlite::NAME` and `postgres::NAME`.
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await
                }
            )*
        }
    };
}

suite! {
    sign_up_grants_100_trial_credits_once,
    sign_up_refuses_bad_e_mails_and_short_passwords,
    log_in_failures_are_one_generic_answer,
    log_in_is_rate_limited,
    revoked_tokens_are_refused,
    device_flow_end_to_end,
    device_flow_denied,
    device_codes_expire,
    device_codes_are_limited_per_address,
    forms_need_their_csrf_token,
    pages_sign_up_log_in_billing_log_out,
    reservations_hold_settle_and_release,
    metered_tgi_stream_passes_through_and_is_charged,
    metered_openai_stream_is_charged_from_usage,
    a_shared_reservation_grows_but_never_below_zero,
    upstream_failures_cost_nothing,
    concurrent_reservations_never_overspend,
    concurrent_metered_calls_lose_no_debit,
    stripe_checkout,
    stripe_webhooks,
    bad_input_is_refused_with_json_errors,
    readiness_follows_the_database,
}

const UPSTREAM_KEY: &str = "hf_upstream_secret_0123456789";
const STRIPE_KEY: &str = "sk_test_fake_0123456789";
const WEBHOOK_SECRET: &str = "whsec_fake_0123456789";
const PRICE_BASIC: &str = "price_basic_fake";
const PRICE_PRO: &str = "price_pro_fake";

fn upstream_of(fake: &FakeModel) -> Option<Upstream> {
    Some(Upstream { url: fake.url(), key: Some(Secret::new(UPSTREAM_KEY)) })
}

fn fake_upstream(protocol: Protocol) -> FakeModel {
    FakeModel::start_with(FakeConfig { api_key: Some(UPSTREAM_KEY.into()), ..FakeConfig::new(protocol) })
}

fn with_stripe(config: &mut GatewayConfig, stripe: &FakeStripe) {
    config.stripe.secret_key = Some(Secret::new(STRIPE_KEY));
    config.stripe.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
    config.stripe.price_basic = Some(PRICE_BASIC.into());
    config.stripe.price_pro = Some(PRICE_PRO.into());
    config.stripe.api_base = stripe.url();
}

fn token_of(answer: &Answer) -> String {
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.json["access_token"].as_str().unwrap().to_string()
}

async fn sign_up_grants_100_trial_credits_once(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let first = gw.sign_up("Ada@Example.com", PASSWORD).await;
    assert_eq!((first.status, &first.json), (201, &json!({"status": "created"})));
    // The same e-mail again, written otherwise, with another password: the same answer, and
    // nothing changes.
    let again = gw.sign_up(" ada@example.COM ", "another password").await;
    assert_eq!((again.status, again.text), (201, first.text.clone()));
    // Sign-ups of one e-mail racing each other: still one account, one grant.
    let racing =
        futures::future::join_all((0..5).map(|_| gw.sign_up("ada@example.com", "a third password"))).await;
    assert!(racing.iter().all(|a| a.status == 201 && a.text == first.text), "{racing:?}");
    assert_eq!(gw.log_in("ada@example.com", "another password").await.status, 401);
    let token = token_of(&gw.log_in("ada@example.com", PASSWORD).await);
    assert_eq!(
        gw.me(&token).await,
        json!({"email": "ada@example.com", "plan": "trial", "status": "active", "balance": 100})
    );
    let ledger = gw.ledger(&token).await;
    assert_eq!(ledger.len(), 1, "{ledger:?}");
    assert_eq!((&ledger[0]["amount"], &ledger[0]["type"]), (&json!(100), &json!("trial")));
    assert_eq!(ledger[0]["description"], "Trial credits");
    let created_at = ledger[0]["created_at"].as_str().unwrap();
    assert!(created_at.len() == 20 && created_at.ends_with('Z'), "{created_at}");
}

async fn sign_up_refuses_bad_e_mails_and_short_passwords(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let bad_email = gw.sign_up("ada.example.com", PASSWORD).await;
    assert_eq!((bad_email.status, &bad_email.json["error"]), (400, &json!("invalid_request")));
    assert!(bad_email.json["message"].as_str().unwrap().contains("not an e-mail address"), "{bad_email:?}");
    let short = gw.sign_up("ada@example.com", "123456789").await;
    assert_eq!((short.status, &short.json["error"]), (400, &json!("invalid_request")));
    assert!(short.json["message"].as_str().unwrap().contains("at least 10"), "{short:?}");
    let missing = gw.post("/v1/accounts", None, json!({"email": "ada@example.com"})).await;
    assert_eq!((missing.status, &missing.json["error"]), (400, &json!("invalid_request")));
    assert!(missing.json["message"].as_str().unwrap().contains("password"), "{missing:?}");
    // None of them made an account.
    assert_eq!(gw.log_in("ada@example.com", "123456789").await.status, 401);
    assert_eq!(gw.log_in("ada@example.com", PASSWORD).await.status, 401);
}

async fn log_in_failures_are_one_generic_answer(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let (email, _) = gw.account().await;
    let wrong = gw.log_in(&email, "wrong password!").await;
    let unknown = gw.log_in("nobody@example.com", PASSWORD).await;
    let malformed = gw.log_in("not an e-mail", PASSWORD).await;
    for answer in [&wrong, &unknown, &malformed] {
        assert_eq!(answer.status, 401, "{answer:?}");
        assert_eq!(answer.text, r#"{"error":"invalid_credentials"}"#);
    }
    let ok = gw.log_in(&email, PASSWORD).await;
    let token = token_of(&ok);
    assert_eq!(ok.json["token_type"], "Bearer");
    assert!(token.starts_with("acr_") && token.len() >= 4 + 64, "{token}");
    assert_eq!(ok.header("cache-control"), Some("no-store"));
}

async fn log_in_is_rate_limited(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let (email, _) = gw.account().await;
    for attempt in 1..=5 {
        assert_eq!(gw.log_in(&email, "wrong password!").await.status, 401, "attempt {attempt}");
    }
    let limited = gw.log_in(&email, "wrong password!").await;
    assert_eq!((limited.status, &limited.json["error"]), (429, &json!("rate_limited")));
    let retry_after: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // The right password waits too now.
    assert_eq!(gw.log_in(&email, PASSWORD).await.status, 429);
    // Other accounts are not held up.
    let (other, _) = gw.account().await;
    assert_eq!(gw.log_in(&other, PASSWORD).await.status, 200);
}

async fn revoked_tokens_are_refused(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let (email, token) = gw.account().await;
    let other = token_of(&gw.log_in(&email, PASSWORD).await);
    gw.me(&token).await;
    let revoked = gw.call(Method::DELETE, "/v1/sessions/current", Some(&token), Value::Null).await;
    assert_eq!((revoked.status, revoked.text.as_str()), (204, ""));
    for path in ["/v1/me", "/v1/ledger"] {
        let refused = gw.get(path, Some(&token)).await;
        assert_eq!((refused.status, refused.text.as_str()), (401, r#"{"error":"invalid_token"}"#), "{path}");
        assert!(refused.header("www-authenticate").unwrap().contains("invalid_token"));
    }
    let again = gw.call(Method::DELETE, "/v1/sessions/current", Some(&token), Value::Null).await;
    assert_eq!(again.status, 401);
    assert_eq!(gw.post("/v1/reservations", Some(&token), Value::Null).await.status, 401);
    assert_eq!(gw.get("/v1/me", None).await.status, 401);
    assert_eq!(gw.get("/v1/me", Some("acr_forged")).await.status, 401);
    // The account's other token still works.
    assert_eq!(gw.me(&other).await["email"], email.as_str());
}

/// `POST /v1/device/code`, form-encoded as RFC 8628 says.
async fn device_code(gw: &TestGateway) -> Value {
    let request = gw.client.post(gw.url("/v1/device/code")).form(&[("client_id", "autocrea-vscode")]);
    let answer = Answer::from(request.send().await.unwrap()).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.json
}

async fn poll(gw: &TestGateway, code: &Value) -> Answer {
    let fields = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", code["device_code"].as_str().unwrap()),
    ];
    Answer::from(gw.client.post(gw.url("/v1/device/token")).form(&fields).send().await.unwrap()).await
}

fn grant_error(answer: &Answer) -> &str {
    assert_eq!(answer.status, 400, "{answer:?}");
    answer.json["error"].as_str().unwrap()
}

/// The user opens the code's link, logs in, and presses `action` (approve or deny).
async fn decide_in_browser(gw: &TestGateway, email: &str, code: &Value, action: &str) -> Answer {
    let mut browser = gw.browser();
    let link = code["verification_uri_complete"].as_str().unwrap().strip_prefix(gw.url.as_str()).unwrap();
    let to_login = browser.get(link).await;
    assert_eq!(to_login.status, 303);
    assert_eq!(
        to_login.header("location"),
        Some(format!("/login?next={}", link.replace('?', "%3F").replace('=', "%3D")).as_str())
    );
    let before = browser.cookie.clone();
    let logged_in = browser.log_in(email, PASSWORD, link).await;
    assert_eq!((logged_in.status, logged_in.header("location")), (303, Some(link)));
    assert_ne!(browser.cookie, before, "log-in starts a new session");
    let confirm = browser.get(link).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text);
    let user_code = code["user_code"].as_str().unwrap();
    assert!(confirm.text.contains(user_code) && confirm.text.contains("autocrea-vscode"), "{}", confirm.text);
    let token = csrf(&confirm.text);
    browser.post_form("/device", &[("csrf", &token), ("user_code", user_code), ("action", action)]).await
}

async fn device_flow_end_to_end(backend: Backend) {
    let gw = TestGateway::start_with(backend, |c| c.limits.device_interval = Duration::from_secs(1)).await;
    let (email, _) = gw.account().await;
    let code = device_code(&gw).await;
    let user_code = code["user_code"].as_str().unwrap();
    assert!(
        user_code.len() == 9 && user_code.chars().enumerate().all(|(i, c)| (i == 4) == (c == '-')),
        "{user_code}"
    );
    assert_eq!(code["verification_uri"], gw.url("/device"));
    assert_eq!(code["verification_uri_complete"], format!("{}?user_code={user_code}", gw.url("/device")));
    assert_eq!((&code["interval"], &code["expires_in"]), (&json!(1), &json!(900)));
    assert!(code["device_code"].as_str().unwrap().len() >= 43);

    assert_eq!(grant_error(&poll(&gw, &code).await), "authorization_pending");
    // Polled again at once, sooner than the interval.
    let slow = poll(&gw, &code).await;
    assert_eq!(grant_error(&slow), "slow_down");
    assert_eq!(slow.header("cache-control"), Some("no-store"));

    let approved = decide_in_browser(&gw, &email, &code, "approve").await;
    assert_eq!(approved.status, 200);
    assert!(approved.text.contains("Signed in"), "{}", approved.text);
    let token = token_of(&poll(&gw, &code).await);
    assert!(token.starts_with("acr_"));
    assert_eq!(gw.me(&token).await["email"], email.as_str());
    // The code is spent.
    assert_eq!(grant_error(&poll(&gw, &code).await), "invalid_grant");
}

async fn device_flow_denied(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let (email, _) = gw.account().await;
    let code = device_code(&gw).await;
    let denied = decide_in_browser(&gw, &email, &code, "deny").await;
    assert!(denied.text.contains("Sign-in denied"), "{}", denied.text);
    assert_eq!(grant_error(&poll(&gw, &code).await), "access_denied");
    // Once decided, the code cannot be approved after all.
    let mut browser = gw.browser();
    browser.log_in(&email, PASSWORD, "/device").await;
    let page = browser.get("/device").await;
    let user_code = code["user_code"].as_str().unwrap();
    let late = browser
        .post_form("/device", &[("csrf", &csrf(&page.text)), ("user_code", user_code), ("action", "approve")])
        .await;
    assert_eq!(late.status, 400);
    assert!(late.text.contains("unknown, expired or already used"), "{}", late.text);
    assert_eq!(grant_error(&poll(&gw, &code).await), "access_denied");
}

async fn device_codes_expire(backend: Backend) {
    let gw = TestGateway::start_with(backend, |c| c.limits.device_code_ttl = Duration::from_secs(1)).await;
    let (email, _) = gw.account().await;
    let code = device_code(&gw).await;
    assert_eq!(code["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(grant_error(&poll(&gw, &code).await), "expired_token");
    let mut browser = gw.browser();
    let link = code["verification_uri_complete"].as_str().unwrap().strip_prefix(gw.url.as_str()).unwrap();
    browser.log_in(&email, PASSWORD, link).await;
    let page = browser.get(link).await;
    assert_eq!(page.status, 400);
    assert!(page.text.contains("unknown, expired or already used"), "{}", page.text);
}

async fn device_codes_are_limited_per_address(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    for n in 1..=30 {
        let answer = gw.post("/v1/device/code", None, Value::Null).await;
        assert_eq!(answer.status, 200, "code {n}: {answer:?}");
    }
    let limited = gw.post("/v1/device/code", None, Value::Null).await;
    assert_eq!((limited.status, &limited.json["error"]), (429, &json!("rate_limited")));
    assert!(limited.header("retry-after").is_some());
}

async fn forms_need_their_csrf_token(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let (email, _) = gw.account().await;
    let mut browser = gw.browser();
    let page = browser.get("/login").await;
    assert!(browser.cookie.is_some());
    let without = browser.post_form("/login", &[("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(without.status, 403, "{}", without.text);
    assert!(without.text.contains("reload the page"), "{}", without.text);
    let wrong = browser
        .post_form("/login", &[("csrf", &"0".repeat(64)), ("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(wrong.status, 403);
    // Another browser's token is not this one's.
    let mut other = gw.browser();
    let theirs = csrf(&other.get("/login").await.text);
    assert_ne!(theirs, csrf(&page.text));
    let crossed =
        browser.post_form("/login", &[("csrf", &theirs), ("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(crossed.status, 403);
    assert_eq!(browser.get("/billing").await.status, 303, "none of them logged in");

    // Logged in, an approval without the token approves nothing.
    assert_eq!(browser.log_in(&email, PASSWORD, "/billing").await.status, 303);
    let code = device_code(&gw).await;
    let user_code = code["user_code"].as_str().unwrap();
    let refused = browser.post_form("/device", &[("user_code", user_code), ("action", "approve")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(grant_error(&poll(&gw, &code).await), "authorization_pending");
    // Nor does a log-out.
    assert_eq!(browser.post_form("/logout", &[]).await.status, 403);
    assert_eq!(browser.get("/billing").await.status, 200);
}

async fn pages_sign_up_log_in_billing_log_out(backend: Backend) {
    let stripe = FakeStripe::start(STRIPE_KEY, &[PRICE_BASIC, PRICE_PRO]);
    let gw = TestGateway::start_with(backend, |c| with_stripe(c, &stripe)).await;
    let mut browser = gw.browser();
    let form = browser.get("/signup").await;
    assert_eq!(form.status, 200);
    let token = csrf(&form.text);
    let short = browser
        .post_form("/signup", &[("csrf", &token), ("email", "page@example.com"), ("password", "short")])
        .await;
    assert_eq!(short.status, 400);
    assert!(short.text.contains("at least 10"), "{}", short.text);
    let created = browser
        .post_form("/signup", &[("csrf", &token), ("email", "page@example.com"), ("password", PASSWORD)])
        .await;
    assert_eq!((created.status, created.header("location")), (303, Some("/login?signed_up=1")));

    let logged_in = browser.log_in("page@example.com", PASSWORD, "/billing").await;
    assert_eq!((logged_in.status, logged_in.header("location")), (303, Some("/billing")));
    let cookie = logged_in.header("set-cookie").unwrap();
    // HttpOnly and SameSite always; not Secure, since this gateway is plain HTTP on loopback.
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"),
        "{cookie}"
    );

    let billing = browser.get("/billing").await;
    assert_eq!(billing.status, 200);
    for expected in [
        "page@example.com",
        "<strong>trial</strong>",
        r#"<strong id="balance">100</strong>"#,
        "Trial credits",
    ] {
        assert!(billing.text.contains(expected), "{expected} missing:\n{}", billing.text);
    }
    assert_eq!(billing.header("x-frame-options"), Some("DENY"));
    assert!(billing.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    let token = csrf(&billing.text);
    let checkout = browser.post_form("/billing/checkout", &[("csrf", &token), ("plan", "pro")]).await;
    assert_eq!(checkout.status, 303, "{}", checkout.text);
    assert!(checkout.header("location").unwrap().starts_with("https://checkout.stripe.com/c/pay/cs_test_"));
    assert_eq!(stripe.requests()[0].field("line_items[0][price]"), Some(PRICE_PRO));

    let out = browser.post_form("/logout", &[("csrf", &token)]).await;
    assert_eq!((out.status, out.header("location")), (303, Some("/login")));
    assert_eq!(browser.cookie, None);
    let after = browser.get("/billing").await;
    assert_eq!((after.status, after.header("location")), (303, Some("/login?next=/billing")));
}

async fn settle(gw: &TestGateway, token: &str, id: &str) -> Answer {
    gw.post(&format!("/v1/reservations/{id}/settle"), Some(token), Value::Null).await
}

/// A model call through the gateway, whole.
async fn model_call(
    gw: &TestGateway,
    token: &str,
    reservation: Option<&str>,
    path: &str,
    body: Value,
) -> Answer {
    let mut request = gw.client.post(gw.url(&format!("/v1/joxcoder/{path}"))).bearer_auth(token).json(&body);
    if let Some(id) = reservation {
        request = request.header("autocrea-reservation", id);
    }
    Answer::from(request.send().await.unwrap()).await
}

fn chat(stream: bool) -> Value {
    json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "write hello world"}],
        "stream": stream,
        "stream_options": {"include_usage": true},
    })
}

async fn reservations_hold_settle_and_release(backend: Backend) {
    let upstream = fake_upstream(Protocol::OpenAi);
    upstream.push(Reply::text("fn main() {}").usage(1200, 900));
    let gw = TestGateway::start_with(backend, |c| c.upstream = upstream_of(&upstream)).await;
    let (_, token) = gw.account().await;
    let held = gw.post("/v1/reservations", Some(&token), json!({"credits": 60})).await;
    assert_eq!((held.status, &held.json["reserved"], &held.json["balance"]), (201, &json!(60), &json!(40)));
    let id = held.json["id"].as_str().unwrap().to_string();
    // 40 left: a default reservation (50) is refused, saying what it costs and where to upgrade.
    let refused = gw.post("/v1/reservations", Some(&token), Value::Null).await;
    assert_eq!(refused.status, 402);
    assert_eq!(
        (
            &refused.json["error"],
            &refused.json["balance"],
            &refused.json["price"],
            &refused.json["upgrade_url"]
        ),
        (&json!("insufficient_credits"), &json!(40), &json!(50), &json!(gw.url("/billing")))
    );
    assert_eq!(gw.balance(&token).await, 40);

    let call = model_call(&gw, &token, Some(&id), "v1/chat/completions", chat(false)).await;
    assert_eq!((call.status, &call.json["usage"]["total_tokens"]), (200, &json!(2100)), "{call:?}");
    assert_eq!(gw.balance(&token).await, 40, "charged at settlement, not before");
    let settled = settle(&gw, &token, &id).await;
    assert_eq!(
        (settled.status, &settled.json),
        (200, &json!({"charged": 3, "released": 57, "balance": 97, "tokens": 2100}))
    );
    let again = settle(&gw, &token, &id).await;
    assert_eq!((again.status, again.json), (200, settled.json));
    assert_eq!(gw.balance(&token).await, 97);
    let ledger = gw.ledger(&token).await;
    assert_eq!(ledger.len(), 2, "{ledger:?}");
    assert_eq!((&ledger[0]["amount"], &ledger[0]["type"]), (&json!(-3), &json!("usage")));
    assert!(ledger[0]["description"].as_str().unwrap().contains("2100 tokens"));

    // A settled reservation carries no more calls; another account cannot touch it.
    let late = model_call(&gw, &token, Some(&id), "v1/chat/completions", chat(false)).await;
    assert_eq!((late.status, &late.json["error"]), (409, &json!("conflict")));
    let (_, stranger) = gw.account().await;
    let theirs = settle(&gw, &stranger, &id).await;
    assert_eq!((theirs.status, &theirs.json["error"]), (404, &json!("not_found")));
    assert_eq!(upstream.requests().len(), 1);
}

/// Reads a streamed answer piece by piece: (status, content type, pieces).
async fn stream(gw: &TestGateway, token: &str, path: &str, body: Value) -> (u16, String, Vec<String>) {
    let response = gw
        .client
        .post(gw.url(&format!("/v1/joxcoder/{path}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    let mut pieces = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(piece) = body.next().await {
        pieces.push(String::from_utf8(piece.unwrap().to_vec()).unwrap());
    }
    (status, content_type, pieces)
}

/// The JSON of each `data:` event of an SSE body.
fn events(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter_map(|e| e.trim().strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}

/// The upstream got the gateway's key, and nothing of the user's token.
fn assert_upstream_saw_only_the_gateway_key(upstream: &FakeModel, user_token: &str) {
    for request in upstream.requests() {
        assert_eq!(request.header("authorization"), Some(format!("Bearer {UPSTREAM_KEY}").as_str()));
        assert!(
            request.headers.iter().all(|(_, v)| !v.contains(user_token) && !v.contains("acr_")),
            "{:?}",
            request.headers
        );
        assert!(request.header("autocrea-reservation").is_none());
    }
}

async fn metered_tgi_stream_passes_through_and_is_charged(backend: Backend) {
    let upstream = fake_upstream(Protocol::Tgi);
    let text = "fn main() { println!(\"hello, world\"); }";
    upstream.push(Reply::text(text).usage(1500, 2600).chunk_delay(Duration::from_millis(40)));
    let gw = TestGateway::start_with(backend, |c| c.upstream = upstream_of(&upstream)).await;
    let (_, token) = gw.account().await;
    let request =
        json!({"inputs": "write hello world", "parameters": {"details": true, "max_new_tokens": 64}});
    let (status, content_type, pieces) = stream(&gw, &token, "generate_stream", request.clone()).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/event-stream"), "{content_type}");
    // Passed on as it came, not buffered: the fake waits 40 ms between its 10 tokens.
    assert!(pieces.len() >= 5, "the stream arrived in {} piece(s)", pieces.len());
    let events = events(&pieces.concat());
    let streamed: String = events
        .iter()
        .filter(|e| e["token"]["special"] == false)
        .map(|e| e["token"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, text);
    let last = events.last().unwrap();
    assert_eq!((&last["generated_text"], &last["details"]["generated_tokens"]), (&json!(text), &json!(2600)));

    let seen = upstream.requests();
    assert_eq!((seen.len(), seen[0].path.as_str(), &seen[0].body), (1, "/generate_stream", &request));
    assert_upstream_saw_only_the_gateway_key(&upstream, &token);
    // 2600 generated + 1500 prompt tokens: 5 credits.
    assert_eq!(gw.balance(&token).await, 95);
    let ledger = gw.ledger(&token).await;
    assert_eq!((&ledger[0]["amount"], &ledger[0]["type"]), (&json!(-5), &json!("usage")));
    assert!(ledger[0]["description"].as_str().unwrap().contains("4100 tokens"), "{ledger:?}");
}

async fn metered_openai_stream_is_charged_from_usage(backend: Backend) {
    let upstream = fake_upstream(Protocol::OpenAi);
    let text = "def hello():\n    return 'hello, world'\n";
    upstream.push(Reply::text(text).usage(1200, 900).chunk_delay(Duration::from_millis(30)));
    let gw = TestGateway::start_with(backend, |c| c.upstream = upstream_of(&upstream)).await;
    let (_, token) = gw.account().await;
    let (status, content_type, pieces) = stream(&gw, &token, "v1/chat/completions", chat(true)).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/event-stream"));
    assert!(pieces.len() >= 5, "the stream arrived in {} piece(s)", pieces.len());
    let body = pieces.concat();
    assert!(body.trim_end().ends_with("data: [DONE]"), "{body}");
    let events = events(&body);
    let content: String =
        events.iter().filter_map(|e| e["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(content, text);
    assert_eq!(events.last().unwrap()["usage"]["total_tokens"], 2100);
    assert_upstream_saw_only_the_gateway_key(&upstream, &token);
    assert_eq!(upstream.requests()[0].body, chat(true));
    // 2100 tokens: 3 credits; the call's own 50-credit hold is released.
    assert_eq!(gw.balance(&token).await, 97);
    assert_eq!(gw.ledger(&token).await[0]["amount"], -3);
}

async fn a_shared_reservation_grows_but_never_below_zero(backend: Backend) {
    // Every call uses 30,000 tokens: 30 credits.
    let upstream = FakeModel::start_with(FakeConfig {
        api_key: Some(UPSTREAM_KEY.into()),
        fallback: Some(Reply::text("x").usage(20_000, 10_000)),
        ..FakeConfig::new(Protocol::OpenAi)
    });
    let gw = TestGateway::start_with(backend, |c| c.upstream = upstream_of(&upstream)).await;
    let (_, token) = gw.account().await;
    let held = gw.post("/v1/reservations", Some(&token), Value::Null).await;
    let id = held.json["id"].as_str().unwrap().to_string();
    assert_eq!(held.json["balance"], 50);
    // 30, 60, 90, 120 credits of use: the hold grows to the whole balance (100), not beyond.
    for call in 1..=4 {
        let answer = model_call(&gw, &token, Some(&id), "v1/chat/completions", chat(false)).await;
        assert_eq!(answer.status, 200, "call {call}: {answer:?}");
        assert!(gw.balance(&token).await >= 0);
    }
    assert_eq!(gw.balance(&token).await, 0);
    // Used up and nothing left to grow from: refused before it reaches the upstream.
    let refused = model_call(&gw, &token, Some(&id), "v1/chat/completions", chat(false)).await;
    assert_eq!(
        (refused.status, &refused.json["error"], &refused.json["balance"]),
        (402, &json!("insufficient_credits"), &json!(0))
    );
    let own = model_call(&gw, &token, None, "v1/chat/completions", chat(false)).await;
    assert_eq!(own.status, 402);
    assert_eq!(upstream.requests().len(), 4);
    // Listing models generates nothing: forwarded without a hold, free even now.
    let models = gw.get("/v1/joxcoder/v1/models", Some(&token)).await;
    assert_eq!((models.status, &models.json["data"][0]["id"]), (200, &json!("gpt-4o-mini")), "{models:?}");
    assert_eq!(upstream.requests().len(), 5);
    let settled = settle(&gw, &token, &id).await;
    assert_eq!(settled.json, json!({"charged": 100, "released": 0, "balance": 0, "tokens": 120_000}));
    let ledger = gw.ledger(&token).await;
    assert_eq!(ledger.iter().map(|e| e["amount"].as_i64().unwrap()).sum::<i64>(), 0, "{ledger:?}");
    assert_eq!(gw.balance(&token).await, 0);
}

async fn upstream_failures_cost_nothing(backend: Backend) {
    // No upstream configured.
    let bare = TestGateway::start(backend).await;
    let (_, token) = bare.account().await;
    let unconfigured = model_call(&bare, &token, None, "generate", json!({"inputs": "x"})).await;
    assert_eq!((unconfigured.status, &unconfigured.json["error"]), (503, &json!("upstream_not_configured")));
    let message = unconfigured.json["message"].as_str().unwrap();
    assert!(message.contains("--upstream-url") && message.contains("JOXCODER_UPSTREAM_KEY"), "{message}");
    assert_eq!(bare.balance(&token).await, 100);

    // An upstream that refuses: its answer is passed on and costs nothing.
    let upstream = fake_upstream(Protocol::Tgi);
    upstream.push(Reply::unauthorized());
    let gw = TestGateway::start_with(backend, |c| c.upstream = upstream_of(&upstream)).await;
    let (_, token) = gw.account().await;
    let refused = model_call(&gw, &token, None, "generate", json!({"inputs": "x"})).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json["error"], "Invalid credentials in Authorization header");
    assert_eq!(gw.balance(&token).await, 100);
    assert_eq!(gw.ledger(&token).await.len(), 1);

    // An upstream that is not there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let down = TestGateway::start_with(backend, |c| {
        c.upstream = Some(Upstream { url: format!("http://{closed}"), key: Some(Secret::new(UPSTREAM_KEY)) })
    })
    .await;
    let (_, token) = down.account().await;
    let unavailable = model_call(&down, &token, None, "generate", json!({"inputs": "x"})).await;
    assert_eq!((unavailable.status, &unavailable.json["error"]), (502, &json!("upstream_unavailable")));
    assert!(!unavailable.text.contains(UPSTREAM_KEY));
    assert_eq!(down.balance(&token).await, 100);
}

async fn concurrent_reservations_never_overspend(backend: Backend) {
    let gw = TestGateway::start(backend).await;
    let (_, token) = gw.account().await;
    let attempts = futures::future::join_all(
        (0..12).map(|_| gw.post("/v1/reservations", Some(&token), json!({"credits": 30}))),
    )
    .await;
    let held: Vec<&Answer> = attempts.iter().filter(|a| a.status == 201).collect();
    let refused: Vec<&Answer> = attempts.iter().filter(|a| a.status == 402).collect();
    assert_eq!((held.len(), refused.len()), (3, 9), "{attempts:?}");
    // Every refusal saw the three holds.
    assert!(refused.iter().all(|a| a.json["balance"] == 10 && a.json["price"] == 30), "{refused:?}");
    assert_eq!(gw.balance(&token).await, 10);
    let settled =
        futures::future::join_all(held.iter().map(|a| settle(&gw, &token, a.json["id"].as_str().unwrap())))
            .await;
    assert!(settled.iter().all(|s| s.status == 200 && s.json["charged"] == 0 && s.json["released"] == 30));
    assert_eq!(gw.balance(&token).await, 100);
    assert_eq!(gw.ledger(&token).await.len(), 1);
}

async fn concurrent_metered_calls_lose_no_debit(backend: Backend) {
    // Every call: 2100 tokens, 3 credits.
    let upstream = FakeModel::start_with(FakeConfig {
        api_key: Some(UPSTREAM_KEY.into()),
        fallback: Some(Reply::text("fn main() {}").usage(1200, 900).chunk_delay(Duration::from_millis(5))),
        ..FakeConfig::new(Protocol::OpenAi)
    });
    let gw = TestGateway::start_with(backend, |c| c.upstream = upstream_of(&upstream)).await;

    // Ten calls on one shared reservation: all go through, one settlement for 21,000 tokens.
    let (_, token) = gw.account().await;
    let id =
        gw.post("/v1/reservations", Some(&token), Value::Null).await.json["id"].as_str().unwrap().to_string();
    let calls = futures::future::join_all(
        (0..10).map(|_| model_call(&gw, &token, Some(&id), "v1/chat/completions", chat(false))),
    )
    .await;
    assert!(calls.iter().all(|c| c.status == 200), "{calls:?}");
    let settled = settle(&gw, &token, &id).await;
    assert_eq!(settled.json, json!({"charged": 21, "released": 29, "balance": 79, "tokens": 21_000}));

    // Ten calls racing, each with its own 50-credit hold, on a fresh account (100 credits): some
    // are refused while two hold the balance, and every one that ran is charged exactly once.
    let (_, token) = gw.account().await;
    let before = upstream.requests().len();
    let calls =
        futures::future::join_all((0..10).map(|_| stream(&gw, &token, "v1/chat/completions", chat(true))))
            .await;
    let ran = calls.iter().filter(|c| c.0 == 200).count() as i64;
    let refused = calls.iter().filter(|c| c.0 == 402).count() as i64;
    assert_eq!(ran + refused, 10, "{calls:?}");
    assert!(ran >= 1);
    for (_, _, pieces) in calls.iter().filter(|c| c.0 == 200) {
        assert!(pieces.concat().trim_end().ends_with("data: [DONE]"));
    }
    assert_eq!(upstream.requests().len() - before, ran as usize, "refused calls never reach the upstream");
    let ledger = gw.ledger(&token).await;
    assert_eq!(ledger.iter().filter(|e| e["amount"] == -3).count() as i64, ran, "{ledger:?}");
    let sum: i64 = ledger.iter().map(|e| e["amount"].as_i64().unwrap()).sum();
    assert_eq!((sum, gw.balance(&token).await), (100 - 3 * ran, 100 - 3 * ran));
}

async fn stripe_checkout(backend: Backend) {
    // Stripe not configured: 503 naming what to set.
    let bare = TestGateway::start(backend).await;
    let (_, token) = bare.account().await;
    let unconfigured = bare.post("/v1/billing/checkout", Some(&token), json!({"plan": "pro"})).await;
    assert_eq!((unconfigured.status, &unconfigured.json["error"]), (503, &json!("billing_not_configured")));
    let message = unconfigured.json["message"].as_str().unwrap();
    assert!(message.contains("STRIPE_SECRET_KEY") && message.contains("STRIPE_PRICE_ID_PRO"), "{message}");
    let webhook = bare.post("/v1/billing/webhook", None, json!({})).await;
    assert_eq!(webhook.status, 503);
    assert!(webhook.json["message"].as_str().unwrap().contains("STRIPE_WEBHOOK_SECRET"));

    let stripe = FakeStripe::start(STRIPE_KEY, &[PRICE_BASIC, PRICE_PRO]);
    let gw = TestGateway::start_with(backend, |c| with_stripe(c, &stripe)).await;
    let (email, token) = gw.account().await;
    let session = gw.post("/v1/billing/checkout", Some(&token), json!({"plan": "pro"})).await;
    assert_eq!(session.status, 200, "{session:?}");
    assert_eq!(
        session.json,
        json!({"id": "cs_test_fake0001", "url": "https://checkout.stripe.com/c/pay/cs_test_fake0001"})
    );
    let sent = &stripe.requests()[0];
    assert_eq!(sent.authorization.as_deref(), Some(format!("Bearer {STRIPE_KEY}").as_str()));
    assert_eq!(sent.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    let account = sent.field("client_reference_id").unwrap();
    assert!(account.parse::<i64>().is_ok(), "{account}");
    for (name, value) in [
        ("mode", "subscription"),
        ("line_items[0][price]", PRICE_PRO),
        ("line_items[0][quantity]", "1"),
        ("success_url", &gw.url("/billing?checkout=success")),
        ("cancel_url", &gw.url("/billing?checkout=canceled")),
        ("customer_email", &email),
        ("metadata[plan]", "pro"),
        ("subscription_data[metadata][account_id]", account),
        ("subscription_data[metadata][plan]", "pro"),
    ] {
        assert_eq!(sent.field(name), Some(value), "{name}");
    }
    let unknown = gw.post("/v1/billing/checkout", Some(&token), json!({"plan": "gold"})).await;
    assert_eq!((unknown.status, &unknown.json["error"]), (400, &json!("invalid_request")));
    assert_eq!(stripe.requests().len(), 1);

    // A key Stripe refuses.
    let refused = TestGateway::start_with(backend, |c| {
        with_stripe(c, &stripe);
        c.stripe.secret_key = Some(Secret::new("sk_test_revoked_0000"));
    })
    .await;
    let (_, token) = refused.account().await;
    let failed = refused.post("/v1/billing/checkout", Some(&token), json!({"plan": "basic"})).await;
    assert_eq!((failed.status, &failed.json["error"]), (502, &json!("stripe_error")));
    assert!(failed.json["message"].as_str().unwrap().contains("Invalid API Key"), "{failed:?}");
    assert!(!failed.text.contains("sk_test_revoked_0000"));
}

async fn stripe_webhooks(backend: Backend) {
    let stripe = FakeStripe::start(STRIPE_KEY, &[PRICE_BASIC, PRICE_PRO]);
    let gw = TestGateway::start_with(backend, |c| with_stripe(c, &stripe)).await;
    let (email, token) = gw.account().await;
    assert_eq!(gw.post("/v1/billing/checkout", Some(&token), json!({"plan": "pro"})).await.status, 200);
    let checkout = stripe.requests().remove(0);
    let send = |event: &Value, t: i64, secret: &str| {
        let payload = event.to_string();
        let request = gw
            .client
            .post(gw.url("/v1/billing/webhook"))
            .header("stripe-signature", stripe::signature(secret, t, &payload))
            .header("content-type", "application/json; charset=utf-8")
            .body(payload);
        async move { Answer::from(request.send().await.unwrap()).await }
    };
    let now = stripe::now();
    let me = |plan: &str, status: &str, balance: i64| json!({"email": email.as_str(), "plan": plan, "status": status, "balance": balance});

    let completed = stripe::checkout_completed("evt_1", &checkout, "cus_fake", "sub_fake");
    let answer = send(&completed, now, WEBHOOK_SECRET).await;
    assert_eq!((answer.status, &answer.json), (200, &json!({"received": true})));
    assert_eq!(gw.me(&token).await, me("pro", "active", 100));

    let metadata =
        json!({"account_id": checkout.field("subscription_data[metadata][account_id]"), "plan": "pro"});
    let paid = stripe::invoice_paid("evt_2", "in_1", "cus_fake", PRICE_PRO, metadata.clone());
    assert_eq!(send(&paid, now, WEBHOOK_SECRET).await.status, 200);
    assert_eq!(gw.me(&token).await, me("pro", "active", 10_100));
    let ledger = gw.ledger(&token).await;
    assert_eq!((&ledger[0]["amount"], &ledger[0]["type"]), (&json!(10_000), &json!("subscription")));
    assert!(ledger[0]["description"].as_str().unwrap().contains("pro plan"));

    // Stripe retries the event (signed anew): processed once. Another event about the same
    // invoice grants nothing more either.
    assert_eq!(send(&paid, now + 1, WEBHOOK_SECRET).await.status, 200);
    let same_invoice = stripe::invoice_paid("evt_3", "in_1", "cus_fake", PRICE_PRO, metadata.clone());
    assert_eq!(send(&same_invoice, now, WEBHOOK_SECRET).await.status, 200);
    assert_eq!(gw.balance(&token).await, 10_100);

    // Bad signatures, stale ones and tampered bodies change nothing.
    let next_month = stripe::invoice_paid("evt_4", "in_2", "cus_fake", PRICE_PRO, metadata);
    let wrong_secret = send(&next_month, now, "whsec_someone_else").await;
    assert_eq!((wrong_secret.status, &wrong_secret.json["error"]), (400, &json!("invalid_signature")));
    assert_eq!(send(&next_month, now - 600, WEBHOOK_SECRET).await.status, 400, "stale");
    let payload = next_month.to_string();
    let tampered = gw
        .client
        .post(gw.url("/v1/billing/webhook"))
        .header("stripe-signature", stripe::signature(WEBHOOK_SECRET, now, &payload))
        .body(payload.replace("in_2", "in_3"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 400);
    let unsigned = gw.client.post(gw.url("/v1/billing/webhook")).body(payload.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 400);
    assert_eq!(gw.me(&token).await, me("pro", "active", 10_100));
    // A correctly signed body that is not an event.
    assert_eq!(send(&json!({"hello": "world"}), now, WEBHOOK_SECRET).await.status, 400);

    // Event types the gateway does not handle: acknowledged, recorded, nothing changes.
    let other = stripe::event("evt_5", "customer.created", json!({"id": "cus_fake", "object": "customer"}));
    assert_eq!(send(&other, now, WEBHOOK_SECRET).await.status, 200);
    assert_eq!(gw.me(&token).await, me("pro", "active", 10_100));

    // Subscription changes, found by the customer id.
    let updated = "customer.subscription.updated";
    assert_eq!(
        send(&stripe::subscription("evt_6", updated, "cus_fake", "past_due", PRICE_PRO), now, WEBHOOK_SECRET)
            .await
            .status,
        200
    );
    assert_eq!(gw.me(&token).await, me("pro", "past_due", 10_100));
    assert_eq!(
        send(&stripe::subscription("evt_7", updated, "cus_fake", "active", PRICE_BASIC), now, WEBHOOK_SECRET)
            .await
            .status,
        200
    );
    assert_eq!(gw.me(&token).await, me("basic", "active", 10_100));
    let deleted =
        stripe::subscription("evt_8", "customer.subscription.deleted", "cus_fake", "canceled", PRICE_BASIC);
    assert_eq!(send(&deleted, now, WEBHOOK_SECRET).await.status, 200);
    assert_eq!(gw.me(&token).await, me("basic", "canceled", 10_100));
}

async fn bad_input_is_refused_with_json_errors(backend: Backend) {
    let gw = TestGateway::start_with(backend, |c| c.limits.body_bytes = 64 * 1024).await;
    let (_, token) = gw.account().await;
    let raw = |path: &str, content_type: &str, body: String| {
        let request = gw.client.post(gw.url(path)).header("content-type", content_type).body(body);
        async move { Answer::from(request.send().await.unwrap()).await }
    };
    let malformed = raw("/v1/accounts", "application/json", r#"{"email": "#.into()).await;
    assert_eq!((malformed.status, &malformed.json["error"]), (400, &json!("invalid_request")));
    assert!(malformed.json["message"].as_str().unwrap().contains("malformed JSON"), "{malformed:?}");
    let wrong_type = raw("/v1/sessions", "application/json", r#"{"email": 3, "password": []}"#.into()).await;
    assert_eq!((wrong_type.status, &wrong_type.json["error"]), (400, &json!("invalid_request")));
    let text = raw("/v1/sessions", "text/plain", r#"{"email":"a@b.co","password":"x"}"#.into()).await;
    assert_eq!((text.status, &text.json["error"]), (415, &json!("unsupported_media_type")));
    let huge = json!({"email": "big@example.com", "password": "p".repeat(100 * 1024)}).to_string();
    let too_large = raw("/v1/accounts", "application/json", huge).await;
    assert_eq!((too_large.status, &too_large.json["error"]), (413, &json!("payload_too_large")));
    let negative = gw.post("/v1/reservations", Some(&token), json!({"credits": -5})).await;
    assert_eq!(negative.status, 400);

    // The token endpoint answers as RFC 6749 §5.2 says.
    let grant =
        |body: &'static str, content_type: &'static str| raw("/v1/device/token", content_type, body.into());
    let form = "application/x-www-form-urlencoded";
    assert_eq!(
        grant("grant_type=password&username=a&password=b", form).await.json["error"],
        "unsupported_grant_type"
    );
    assert_eq!(
        grant("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code", form).await.json["error"],
        "invalid_request"
    );
    let unknown =
        grant("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=nope", form)
            .await;
    assert_eq!((unknown.status, &unknown.json["error"]), (400, &json!("invalid_grant")));
    let as_json = grant(
        r#"{"grant_type":"urn:ietf:params:oauth:grant-type:device_code","device_code":"nope"}"#,
        "application/json",
    )
    .await;
    assert_eq!(as_json.json["error"], "invalid_grant");
    assert_eq!(grant("device_code=x", "text/plain").await.status, 415);

    // Unknown endpoints and methods.
    let missing = gw.get("/v1/nothing", None).await;
    assert_eq!((missing.status, &missing.json["error"]), (404, &json!("not_found")));
    let method = gw.call(Method::PUT, "/v1/me", Some(&token), Value::Null).await;
    assert_eq!((method.status, &method.json["error"]), (405, &json!("method_not_allowed")));

    // Nothing changed.
    assert_eq!(gw.balance(&token).await, 100);
    assert_eq!(gw.ledger(&token).await.len(), 1);
    assert_eq!(gw.log_in("big@example.com", PASSWORD).await.status, 401);
}

async fn readiness_follows_the_database(backend: Backend) {
    let mut gw = TestGateway::start(backend).await;
    assert_eq!(gw.get("/healthz", None).await.json, json!({"status": "ok"}));
    assert_eq!(gw.get("/readyz", None).await.json, json!({"status": "ready"}));
    // A PostgreSQL database that goes away: not ready, though alive. (A SQLite file cannot be
    // taken from under its open connections: the gateway stays ready.)
    if gw.drop_database() {
        let not_ready = gw.get("/readyz", None).await;
        assert_eq!((not_ready.status, &not_ready.json), (503, &json!({"status": "unavailable"})));
        assert_eq!(gw.get("/healthz", None).await.status, 200);
    } else {
        assert_eq!(gw.get("/readyz", None).await.status, 200);
    }
}

/// The real binary, on its default database in the data folder, with every secret set and
/// logging at `trace`: none of them, nor a password, token or cookie, reaches its log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_and_never_logs_secrets() {
    let upstream = fake_upstream(Protocol::Tgi);
    upstream.push(Reply::text("hello").usage(10, 5));
    let data = tempfile::tempdir().unwrap();
    let mut child = autocrea_command()
        .args(["gateway", "--listen", "127.0.0.1:0", "--upstream-url", &upstream.url()])
        .env("XDG_DATA_HOME", data.path())
        .env("HOME", data.path())
        .env_remove("AUTOCREA_GATEWAY_DATABASE")
        .env("AUTOCREA_LOG", "trace")
        .env("JOXCODER_UPSTREAM_KEY", UPSTREAM_KEY)
        .env("STRIPE_SECRET_KEY", STRIPE_KEY)
        .env("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("autocrea starts");
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = log.clone();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("autocrea gateway: listening on ") {
                let _ = tx.send(url.to_string());
            }
            sink.lock().unwrap().push_str(&line);
            sink.lock().unwrap().push('\n');
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("no listening line:\n{}", log.lock().unwrap()));
    let client = http_client().build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{url}/readyz")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(Instant::now() < deadline, "not ready:\n{}", log.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let post = |path: &str, body: Value| client.post(format!("{url}{path}")).json(&body).send();
    assert_eq!(
        post("/v1/accounts", json!({"email": "bin@example.com", "password": PASSWORD}))
            .await
            .unwrap()
            .status(),
        201
    );
    let session =
        post("/v1/sessions", json!({"email": "bin@example.com", "password": PASSWORD})).await.unwrap();
    let token = session.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
    let call = client
        .post(format!("{url}/v1/joxcoder/generate_stream"))
        .bearer_auth(&token)
        .json(&json!({"inputs": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(call.status(), 200);
    call.text().await.unwrap();
    let code =
        client.post(format!("{url}/v1/device/code")).send().await.unwrap().json::<Value>().await.unwrap();
    let device_code = code["device_code"].as_str().unwrap();
    let user_code = code["user_code"].as_str().unwrap();
    let body = format!(
        "grant_type={}&device_code={device_code}",
        encode("urn:ietf:params:oauth:grant-type:device_code")
    );
    client
        .post(format!("{url}/v1/device/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let login = client.get(format!("{url}/device?user_code={user_code}")).send().await.unwrap();
    drop(login);
    let page = client.get(format!("{url}/login")).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let cookie = cookie.strip_prefix("autocrea_session=").unwrap().to_string();
    let me = client
        .get(format!("{url}/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(me["balance"], 99, "{me}");
    let _ = child.kill();
    let _ = child.wait();

    assert!(
        data.path().join("autocrea/gateway.sqlite3").is_file(),
        "the default database is in the data folder"
    );
    let log = log.lock().unwrap().clone();
    assert!(log.contains("gateway serving") && log.contains("/v1/joxcoder/generate_stream"), "{log}");
    for (what, secret) in [
        ("the upstream key", UPSTREAM_KEY),
        ("the Stripe key", STRIPE_KEY),
        ("the webhook secret", WEBHOOK_SECRET),
        ("the password", PASSWORD),
        ("the access token", token.as_str()),
        ("the device code", device_code),
        ("the user code", user_code),
        ("the session cookie", cookie.as_str()),
    ] {
        assert!(!log.contains(secret), "{what} is in the log:\n{log}");
    }
}
