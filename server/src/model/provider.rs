//! One model endpoint and how a call to it runs: streamed when the protocol streams, with
//! timeouts (connect, first token, idle between tokens), retries with backoff and jitter on
//! 429/5xx/connection errors (honouring `Retry-After`), no retry on a 4xx that cannot succeed,
//! cancellation that drops the HTTP stream at once, and errors a user can act on.

use std::sync::OnceLock;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::secret::Secret;
use super::wire::{self, Finish, Protocol, Request, Usage};
use crate::engine::EngineName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_token: Duration,
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            first_token: Duration::from_secs(120),
            idle: Duration::from_secs(60),
        }
    }
}

/// A configured endpoint.
#[derive(Debug, Clone)]
pub struct Provider {
    pub engine: EngineName,
    pub protocol: Protocol,
    /// Base URL (the protocol's path is appended), or the full URL for the Inference API.
    pub url: String,
    pub model: String,
    pub key: Option<Secret>,
    /// Where the key came from, for messages ("JOXCODER_API_KEY").
    pub key_source: String,
    pub timeouts: Timeouts,
    /// Attempts in all for a retryable failure.
    pub max_attempts: usize,
    /// Reached through the AUTOCREA gateway, which meters it in credits.
    pub metered: bool,
    /// The run's credit reservation, sent as `Autocrea-Reservation` (metered providers).
    pub reservation: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub finish: Finish,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error(
        "{engine} answered 401: the key in {key_source} was refused; set a valid key (or run `autocrea login`)"
    )]
    Unauthorized { engine: String, key_source: String },
    #[error("{engine} answered 403: {message}")]
    Forbidden { engine: String, message: String },
    #[error(
        "the AUTOCREA balance cannot cover more of this run ({message}); upgrade your plan, or run with your own key or the offline engine"
    )]
    OutOfCredits { message: String },
    #[error("model `{model}` was not found at {url} ({message})")]
    ModelNotFound { model: String, url: String, message: String },
    #[error("{engine} refused the request ({status}): {message}")]
    Rejected { engine: String, status: u16, message: String },
    #[error("{engine} is rate limiting{}; gave up after {attempts} attempts", retry_after.map(|d| format!(" (asked to wait {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited { engine: String, attempts: usize, retry_after: Option<Duration> },
    #[error("{engine} answered {status}: {message}")]
    Server { engine: String, status: u16, message: String, retry_after: Option<Duration> },
    #[error("could not reach {engine} at {url}: {detail}")]
    Unreachable { engine: String, url: String, detail: String },
    #[error("{engine} sent no answer within {} s (first-token timeout)", .after.as_secs())]
    FirstTokenTimeout { engine: String, after: Duration },
    #[error("{engine} stopped sending for {} s mid-answer (idle timeout)", .after.as_secs())]
    IdleTimeout { engine: String, after: Duration, partial: String },
    #[error("{engine}'s answer broke off: {detail}")]
    StreamCut { engine: String, detail: String, partial: String },
    #[error("{engine} sent something that is not its protocol: {detail}")]
    Protocol { engine: String, detail: String },
    #[error("cancelled")]
    Cancelled,
}

impl ModelError {
    /// Worth trying again with the same endpoint.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            ModelError::RateLimited { .. }
                | ModelError::Server { .. }
                | ModelError::Unreachable { .. }
                | ModelError::FirstTokenTimeout { .. }
        )
    }

    /// The server's `Retry-After`, when it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ModelError::RateLimited { retry_after, .. } | ModelError::Server { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Text received before the failure (a stream that broke off).
    pub fn partial(&self) -> Option<&str> {
        match self {
            ModelError::IdleTimeout { partial, .. } | ModelError::StreamCut { partial, .. } => Some(partial),
            _ => None,
        }
    }
}

/// What a call reports while it runs.
pub trait CallObserver: Send {
    /// Text as it arrives.
    fn text(&mut self, delta: &str);
    /// Something the user should know ("rate limited; retrying in 8 s").
    fn notice(&mut self, message: String);
}

/// The shared HTTP client (rustls with the ring provider: no OpenSSL, a fast build).
pub fn http_client(connect_timeout: Duration) -> reqwest::Client {
    static PROVIDER: OnceLock<()> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .user_agent(concat!("autocrea/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds")
}

impl Provider {
    /// A display name for messages.
    pub fn label(&self) -> String {
        match self.engine {
            EngineName::Joxcoder => "JoxCoder".into(),
            EngineName::Openai => "OpenAI".into(),
            EngineName::Anthropic => "Anthropic".into(),
            EngineName::Local => format!("the local server at {}", self.url),
            EngineName::Offline => "offline".into(),
        }
    }

    fn endpoint(&self) -> String {
        let (path, _) = wire::request_body(self.protocol, &self.model, &dummy());
        let base = self.url.trim_end_matches('/');
        // A URL that already names the endpoint is used as it is.
        if !path.is_empty() && base.ends_with(path) { base.to_string() } else { format!("{base}{path}") }
    }

    /// One completion, retried as the failure allows.
    pub async fn complete(
        &self,
        client: &reqwest::Client,
        req: &Request,
        observer: &mut dyn CallObserver,
        cancel: &CancellationToken,
    ) -> Result<Completion, ModelError> {
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(30))
            .with_jitter()
            .with_max_times(self.max_attempts.saturating_sub(1))
            .build();
        let mut attempt = 1;
        loop {
            let result = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(ModelError::Cancelled),
                r = self.attempt(client, req, observer) => r,
            };
            let err = match result {
                Ok(done) => return Ok(done),
                Err(err) if !err.retryable() => return Err(err),
                Err(err) => err,
            };
            let Some(delay) = backoff.next() else {
                return Err(match err {
                    ModelError::RateLimited { engine, retry_after, .. } => {
                        ModelError::RateLimited { engine, attempts: attempt, retry_after }
                    }
                    other => other,
                });
            };
            let delay = err.retry_after().map_or(delay, |asked| asked.min(Duration::from_secs(120)));
            let why = match &err {
                ModelError::RateLimited { .. } => "rate limited".to_string(),
                other => other.to_string(),
            };
            observer.notice(format!("{}: {why}; retrying in {} s", self.label(), delay.as_secs_f64().ceil()));
            tracing::info!(engine = %self.engine, attempt, ?delay, "retrying: {err}");
            tokio::select! {
                () = cancel.cancelled() => return Err(ModelError::Cancelled),
                () = tokio::time::sleep(delay) => {}
            }
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        client: &reqwest::Client,
        req: &Request,
        observer: &mut dyn CallObserver,
    ) -> Result<Completion, ModelError> {
        let url = self.endpoint();
        let (_, body) = wire::request_body(self.protocol, &self.model, req);
        tracing::trace!(url, body = %body, "model request");
        let mut builder = client.post(&url).json(&body);
        builder = match (self.protocol, &self.key) {
            (Protocol::Anthropic, key) => {
                let b = builder.header("anthropic-version", "2023-06-01");
                match key {
                    Some(k) => b.header("x-api-key", k.expose()),
                    None => b,
                }
            }
            (_, Some(key)) => builder.bearer_auth(key.expose()),
            (_, None) => builder,
        };
        if let Some(id) = &self.reservation {
            builder = builder.header("Autocrea-Reservation", id);
        }
        let engine = self.label();
        let send = builder.send();
        let response = match tokio::time::timeout(self.timeouts.first_token, send).await {
            Err(_) => return Err(ModelError::FirstTokenTimeout { engine, after: self.timeouts.first_token }),
            Ok(Err(e)) => {
                return Err(ModelError::Unreachable { engine, url, detail: reqwest_detail(&e) });
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if !status.is_success() {
            return Err(self.status_error(status.as_u16(), response).await);
        }
        if !self.protocol.streams() {
            let text = match tokio::time::timeout(self.timeouts.first_token, response.text()).await {
                Err(_) => {
                    return Err(ModelError::FirstTokenTimeout { engine, after: self.timeouts.first_token });
                }
                Ok(Err(e)) => {
                    return Err(ModelError::StreamCut {
                        engine,
                        detail: reqwest_detail(&e),
                        partial: String::new(),
                    });
                }
                Ok(Ok(t)) => t,
            };
            let step = wire::decode_whole(&text).map_err(|detail| ModelError::Protocol { engine, detail })?;
            observer.text(&step.text);
            let usage = Usage {
                input: wire::estimate_tokens(&req.system) + wire::estimate_tokens(&req.user),
                output: step.output_tokens.unwrap_or_else(|| wire::estimate_tokens(&step.text)),
                estimated: true,
            };
            return Ok(Completion { finish: step.finish.unwrap_or(Finish::Stop), text: step.text, usage });
        }

        let mut events = response.bytes_stream().eventsource();
        let mut text = String::new();
        let (mut finish, mut input, mut output, mut done) = (None, None, None, false);
        let mut first = true;
        while !done {
            let wait = if first { self.timeouts.first_token } else { self.timeouts.idle };
            let next = match tokio::time::timeout(wait, events.next()).await {
                Err(_) if first => return Err(ModelError::FirstTokenTimeout { engine, after: wait }),
                Err(_) => return Err(ModelError::IdleTimeout { engine, after: wait, partial: text }),
                Ok(next) => next,
            };
            first = false;
            let event = match next {
                None => break,
                Some(Ok(event)) => event,
                Some(Err(e)) => {
                    return Err(ModelError::StreamCut { engine, detail: e.to_string(), partial: text });
                }
            };
            let step = wire::decode_event(self.protocol, &event.event, &event.data).map_err(|detail| {
                ModelError::StreamCut { engine: engine.clone(), detail, partial: text.clone() }
            })?;
            if !step.text.is_empty() {
                observer.text(&step.text);
                text.push_str(&step.text);
            }
            finish = step.finish.or(finish);
            input = step.input_tokens.or(input);
            output = step.output_tokens.or(output);
            done = step.done;
        }
        // A stream that ends without its closing event was cut, unless the protocol's last
        // event said how it finished.
        if !done && finish.is_none() {
            return Err(ModelError::StreamCut {
                engine,
                detail: "the stream ended before the answer was complete".into(),
                partial: text,
            });
        }
        let estimated = input.is_none() || output.is_none();
        let usage = Usage {
            input: input
                .unwrap_or_else(|| wire::estimate_tokens(&req.system) + wire::estimate_tokens(&req.user)),
            output: output.unwrap_or_else(|| wire::estimate_tokens(&text)),
            estimated,
        };
        Ok(Completion { text, finish: finish.unwrap_or(Finish::Stop), usage })
    }

    async fn status_error(&self, status: u16, response: reqwest::Response) -> ModelError {
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .map(|v| wire::error_message(&v))
            .unwrap_or_else(|_| body.chars().take(200).collect());
        let engine = self.label();
        match status {
            401 => ModelError::Unauthorized { engine, key_source: self.key_source.clone() },
            402 => ModelError::OutOfCredits { message },
            403 => ModelError::Forbidden { engine, message },
            404 => ModelError::ModelNotFound { model: self.model.clone(), url: self.endpoint(), message },
            429 => ModelError::RateLimited { engine, attempts: 1, retry_after },
            500..=599 => ModelError::Server { engine, status, message, retry_after },
            _ => ModelError::Rejected { engine, status, message },
        }
    }
}

fn dummy() -> Request {
    Request { system: String::new(), user: String::new(), max_tokens: 1, temperature: 0.0, top_p: 1.0 }
}

/// A reqwest error with its causes (keys travel in headers, never in URLs).
fn reqwest_detail(e: &reqwest::Error) -> String {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    detail
}
