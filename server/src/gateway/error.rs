//! The one place where the gateway's errors become HTTP answers, and the body extractors whose
//! rejections (malformed JSON, wrong content type, over-long body) become the same JSON errors.

use axum::extract::rejection::{BytesRejection, FormRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Every error a gateway handler can answer. Each variant has one status and one JSON body.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("the e-mail or the password is wrong")]
    InvalidCredentials,
    #[error("the access token is missing, unknown or revoked; sign in again")]
    InvalidToken,
    #[error("too many attempts; try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    #[error("the balance ({balance} credits) does not cover {price} credits; upgrade at {upgrade_url}")]
    InsufficientCredits { balance: i64, price: i64, upgrade_url: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// RFC 6749 §5.2 / RFC 8628 §3.5 error of the token endpoint (400).
    #[error("{description}")]
    Grant { error: &'static str, description: String },
    #[error("the Stripe signature is missing, wrong or too old")]
    InvalidSignature,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A feature whose configuration is missing; the message names what to set.
    #[error("{message}")]
    NotConfigured { error: &'static str, message: String },
    /// An upstream service (JoxCoder, Stripe) failed; the message says which and how.
    #[error("{message}")]
    BadGateway { error: &'static str, message: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest(_) | ApiError::Grant { .. } | ApiError::InvalidSignature => {
                StatusCode::BAD_REQUEST
            }
            ApiError::InvalidCredentials | ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::InsufficientCredits { .. } => StatusCode::PAYMENT_REQUIRED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotConfigured { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway { .. } => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code (`error` field).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::InvalidToken => "invalid_token",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::InsufficientCredits { .. } => "insufficient_credits",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Grant { error, .. } => error,
            ApiError::InvalidSignature => "invalid_signature",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::NotConfigured { error, .. } | ApiError::BadGateway { error, .. } => error,
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn body(&self) -> Value {
        let mut body = json!({"error": self.code()});
        match self {
            // Nothing more: the generic answer is the point.
            ApiError::InvalidCredentials | ApiError::InvalidToken => {}
            ApiError::InsufficientCredits { balance, price, upgrade_url } => {
                body["balance"] = json!(balance);
                body["price"] = json!(price);
                body["upgrade_url"] = json!(upgrade_url);
                body["message"] = json!(self.to_string());
            }
            ApiError::Grant { description, .. } => body["error_description"] = json!(description),
            // Details stay in the log.
            ApiError::Internal(_) => body["message"] = json!("internal error; the gateway logged the cause"),
            _ => body["message"] = json!(self.to_string()),
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            ApiError::InvalidToken => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            ApiError::Grant { .. } => {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            _ => {}
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        ApiError::Internal(format!("database: {e}"))
    }
}

fn bytes_rejection(e: BytesRejection, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge { limit }
    } else {
        ApiError::InvalidRequest(format!("could not read the body: {}", e.body_text()))
    }
}

/// The body limit the router applies (`GatewayConfig::body_limit`), for messages.
pub trait BodyLimit {
    fn body_limit(&self) -> usize;
}

/// A JSON body; every rejection becomes an [`ApiError`].
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: BodyLimit + Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(e) => Err(json_rejection(e, state.body_limit())),
        }
    }
}

fn json_rejection(e: JsonRejection, limit: usize) -> ApiError {
    match e {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".into())
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::InvalidRequest(format!("malformed JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => ApiError::InvalidRequest(e.body_text()),
        JsonRejection::BytesRejection(e) => bytes_rejection(e, limit),
        other => ApiError::InvalidRequest(other.body_text()),
    }
}

/// A form body's rejection (wrong content type, over-long, malformed) as an [`ApiError`].
pub fn form_rejection(e: FormRejection, limit: usize) -> ApiError {
    match e {
        FormRejection::InvalidFormContentType(_) => {
            ApiError::UnsupportedMediaType("send the form as application/x-www-form-urlencoded".into())
        }
        FormRejection::BytesRejection(e) => bytes_rejection(e, limit),
        other => ApiError::InvalidRequest(other.body_text()),
    }
}

/// A body that may be form-encoded (as RFC 8628 and RFC 6749 specify) or JSON. No body at all
/// (empty, without a content type) is `T::default()`.
pub struct FormOrJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: BodyLimit + Send + Sync> FromRequest<S> for FormOrJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let mime = content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        match mime.as_deref() {
            Some("application/x-www-form-urlencoded") => Form::<T>::from_request(req, state)
                .await
                .map(|Form(v)| FormOrJson(v))
                .map_err(|e| form_rejection(e, state.body_limit())),
            Some("application/json") => ApiJson::<T>::from_request(req, state).await.map(|j| FormOrJson(j.0)),
            _ => {
                let body = RawBody::from_request(req, state).await?;
                if body.0.is_empty() {
                    Ok(FormOrJson(T::default()))
                } else {
                    Err(ApiError::UnsupportedMediaType(
                        "send the body as application/x-www-form-urlencoded or application/json".into(),
                    ))
                }
            }
        }
    }
}

/// The raw body, within the body limit.
pub struct RawBody(pub bytes::Bytes);

impl<S: BodyLimit + Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        bytes::Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| bytes_rejection(e, state.body_limit()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_errors_say_nothing_more() {
        assert_eq!(ApiError::InvalidCredentials.body(), json!({"error": "invalid_credentials"}));
        assert_eq!(ApiError::InvalidToken.body(), json!({"error": "invalid_token"}));
        let internal = ApiError::Internal("database: password authentication failed".into()).body();
        assert!(!internal.to_string().contains("password"), "{internal}");
    }

    #[test]
    fn payment_required_names_balance_price_and_link() {
        let e =
            ApiError::InsufficientCredits { balance: 12, price: 50, upgrade_url: "http://gw/billing".into() };
        assert_eq!(e.status(), StatusCode::PAYMENT_REQUIRED);
        let body = e.body();
        assert_eq!((body["balance"].as_i64(), body["price"].as_i64()), (Some(12), Some(50)));
        assert_eq!(body["upgrade_url"], "http://gw/billing");
    }
}
