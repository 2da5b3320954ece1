//! A fake Stripe API on 127.0.0.1: `POST /v1/checkout/sessions` checked as Stripe checks it
//! (Bearer secret key, form-encoded parameters, known prices) and answered with a Checkout
//! Session object; plus signed webhook events as Stripe sends them.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::Served;

/// One checkout request as the fake received it.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    /// The form fields, in order.
    pub form: Vec<(String, String)>,
}

impl CheckoutRequest {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

struct Shared {
    secret_key: String,
    prices: Vec<String>,
    requests: Mutex<Vec<CheckoutRequest>>,
}

/// The `metadata[…]` fields of a form, as the object Stripe returns.
fn metadata(form: &[(String, String)]) -> serde_json::Map<String, Value> {
    form.iter()
        .filter_map(|(n, v)| Some((n.strip_prefix("metadata[")?.strip_suffix(']')?.to_string(), json!(v))))
        .collect()
}

/// Stripe's error body.
fn error(status: StatusCode, message: &str, param: Option<&str>, code: Option<&str>) -> Response {
    let body =
        json!({"error": {"type": "invalid_request_error", "message": message, "param": param, "code": code}});
    (status, axum::Json(body)).into_response()
}

async fn create_session(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let request = CheckoutRequest {
        authorization: header("authorization"),
        content_type: header("content-type"),
        form: form.clone(),
    };
    shared.requests.lock().unwrap().push(request.clone());
    match request.authorization.as_deref().and_then(|a| a.strip_prefix("Bearer ")) {
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                "You did not provide an API key. You need to provide your API key in the Authorization header, \
                 using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                None,
                None,
            );
        }
        Some(key) if key != shared.secret_key => {
            let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            return error(
                StatusCode::UNAUTHORIZED,
                &format!("Invalid API Key provided: sk_test_****{tail}"),
                None,
                Some("api_key_invalid"),
            );
        }
        Some(_) => {}
    }
    if !request.content_type.as_deref().unwrap_or("").starts_with("application/x-www-form-urlencoded") {
        return error(StatusCode::BAD_REQUEST, "Invalid request: the body must be form-encoded.", None, None);
    }
    let field = |name: &str| request.field(name);
    match field("mode") {
        Some("payment" | "setup" | "subscription") => {}
        Some(other) => {
            return error(StatusCode::BAD_REQUEST, &format!("Invalid mode: {other}"), Some("mode"), None);
        }
        None => return error(StatusCode::BAD_REQUEST, "Missing required param: mode.", Some("mode"), None),
    }
    let Some(price) = field("line_items[0][price]") else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing required param: line_items[0][price].",
            Some("line_items[0][price]"),
            Some("parameter_missing"),
        );
    };
    if !shared.prices.iter().any(|p| p == price) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("No such price: '{price}'"),
            Some("line_items[0][price]"),
            Some("resource_missing"),
        );
    }
    if field("line_items[0][quantity]").and_then(|q| q.parse::<u32>().ok()).is_none_or(|q| q == 0) {
        return error(
            StatusCode::BAD_REQUEST,
            "Quantity is required for each line item.",
            Some("line_items[0][quantity]"),
            None,
        );
    }
    let Some(success_url) = field("success_url") else {
        return error(
            StatusCode::BAD_REQUEST,
            "Missing required param: success_url.",
            Some("success_url"),
            None,
        );
    };
    let serial = shared.requests.lock().unwrap().len();
    let id = format!("cs_test_fake{serial:04}");
    let metadata = metadata(&form);
    axum::Json(json!({
        "id": id,
        "object": "checkout.session",
        "mode": field("mode"),
        "status": "open",
        "payment_status": "unpaid",
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
        "success_url": success_url,
        "cancel_url": field("cancel_url"),
        "client_reference_id": field("client_reference_id"),
        "customer": field("customer"),
        "customer_email": field("customer_email"),
        "metadata": metadata,
        "livemode": false,
    }))
    .into_response()
}

/// The fake, on its own thread and runtime; stops when dropped.
pub struct FakeStripe {
    server: Served,
    shared: Arc<Shared>,
}

impl FakeStripe {
    /// A Stripe account with this secret key and these price ids.
    pub fn start(secret_key: &str, prices: &[&str]) -> FakeStripe {
        let shared = Arc::new(Shared {
            secret_key: secret_key.to_string(),
            prices: prices.iter().map(|p| p.to_string()).collect(),
            requests: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .route("/v1/checkout/sessions", axum::routing::post(create_session))
            .fallback(|| async { error(StatusCode::NOT_FOUND, "Unrecognized request URL.", None, None) })
            .with_state(shared.clone());
        FakeStripe { server: Served::start("fake-stripe", app), shared }
    }

    /// The API base, e.g. `http://127.0.0.1:41234` (what `STRIPE_API_BASE` points at).
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    pub fn requests(&self) -> Vec<CheckoutRequest> {
        self.shared.requests.lock().unwrap().clone()
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The `Stripe-Signature` header Stripe sends with `payload` at time `t`.
pub fn signature(secret: &str, t: i64, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.{payload}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// An event as Stripe posts it to a webhook endpoint.
pub fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": now(),
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": kind,
    })
}

/// `checkout.session.completed` for a session the gateway created (its recorded form).
pub fn checkout_completed(id: &str, request: &CheckoutRequest, customer: &str, subscription: &str) -> Value {
    event(
        id,
        "checkout.session.completed",
        json!({
            "id": "cs_test_fake0001",
            "object": "checkout.session",
            "mode": "subscription",
            "status": "complete",
            "payment_status": "paid",
            "client_reference_id": request.field("client_reference_id"),
            "customer": customer,
            "customer_email": request.field("customer_email"),
            "subscription": subscription,
            "metadata": metadata(&request.form),
        }),
    )
}

/// `invoice.paid` in the 2025 ("basil") shape: the price under `pricing.price_details`, the
/// subscription's metadata under `parent.subscription_details`.
pub fn invoice_paid(
    id: &str,
    invoice: &str,
    customer: &str,
    price: &str,
    subscription_metadata: Value,
) -> Value {
    event(
        id,
        "invoice.paid",
        json!({
            "id": invoice,
            "object": "invoice",
            "customer": customer,
            "status": "paid",
            "amount_paid": 1900,
            "billing_reason": "subscription_cycle",
            "lines": {"object": "list", "data": [{
                "id": "il_fake",
                "object": "line_item",
                "pricing": {"type": "price_details", "price_details": {"price": price, "product": "prod_fake"}},
                "quantity": 1,
            }]},
            "parent": {"type": "subscription_details", "subscription_details": {
                "metadata": subscription_metadata,
                "subscription": "sub_fake",
            }},
        }),
    )
}

/// `customer.subscription.updated` / `.deleted`.
pub fn subscription(id: &str, kind: &str, customer: &str, status: &str, price: &str) -> Value {
    event(
        id,
        kind,
        json!({
            "id": "sub_fake",
            "object": "subscription",
            "customer": customer,
            "status": status,
            "items": {"object": "list", "data": [{"id": "si_fake", "price": {"id": price, "object": "price"}}]},
            "metadata": {},
        }),
    )
}
