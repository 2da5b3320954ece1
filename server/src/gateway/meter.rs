//! Metered JoxCoder: `/v1/joxcoder/{path}` forwards a model call to the upstream with the
//! gateway's key, streams the answer back as it comes, counts its tokens and charges them.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream, StreamExt};
use serde_json::Value;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, RawBody};
use super::ledger;

/// Names the reservation a call is charged to.
pub const RESERVATION_HEADER: &str = "autocrea-reservation";

/// `/v1/joxcoder/{*path}`, any method.
pub async fn forward(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let upstream = state.config.upstream.clone().ok_or_else(|| ApiError::NotConfigured {
        error: "upstream_not_configured",
        message:
            "this gateway has no JoxCoder upstream; start it with --upstream-url (or JOXCODER_UPSTREAM_URL) \
                  and JOXCODER_UPSTREAM_KEY"
                .into(),
    })?;
    if path.split('/').any(|segment| segment == ".." || segment == ".") || path.contains('\\') {
        return Err(ApiError::InvalidRequest(format!("the path {path:?} may not contain . or .. segments")));
    }
    // Reads (model listings) generate nothing: forwarded without a hold or a charge.
    let charge = match method {
        Method::GET | Method::HEAD => None,
        _ => Some(hold(&state, caller.account, &headers).await?),
    };

    let mut url = format!("{}/{}", upstream.url.trim_end_matches('/'), path);
    if let Some(query) = query {
        url = format!("{url}?{query}");
    }
    let mut request = state.http.request(method, url).body(body.clone());
    for name in [header::CONTENT_TYPE, header::ACCEPT] {
        if let Some(value) = headers.get(&name) {
            request = request.header(name, value);
        }
    }
    if let Some(key) = &upstream.key {
        request = request.bearer_auth(key.expose());
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(e) => {
            if let Some(charge) = charge {
                charge.run(0).await;
            }
            return Err(ApiError::BadGateway {
                error: "upstream_unavailable",
                message: format!("JoxCoder did not answer ({}); try again later", e.without_url()),
            });
        }
    };
    let status = answer.status();
    tracing::info!(status = status.as_u16(), "upstream answered");
    let mut response = Response::builder().status(status.as_u16());
    for name in [header::CONTENT_TYPE, header::RETRY_AFTER, header::CACHE_CONTROL] {
        if let Some(value) = answer.headers().get(&name) {
            response = response.header(name, value);
        }
    }
    let sse = answer
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if sse {
        // Reverse proxies in front of the gateway must not buffer the stream either.
        response = response.header("x-accel-buffering", HeaderValue::from_static("no"));
    }
    // Failed calls cost nothing.
    let counter = Counter::new(&body, sse, status.is_success());
    let stream = Metered {
        inner: answer.bytes_stream().boxed(),
        counter,
        charge,
        settling: None,
        error: None,
        ended: false,
    };
    response
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::Internal(format!("building the answer: {e}")))
}

/// What a call is charged to: the reservation named by `Autocrea-Reservation` (grown first when
/// it is used up), or a reservation of its own, settled when the call ends.
async fn hold(state: &AppState, account: i64, headers: &HeaderMap) -> Result<Charge, ApiError> {
    let (reservation, settle) = match headers.get(RESERVATION_HEADER) {
        Some(value) => {
            let id = value
                .to_str()
                .map_err(|_| ApiError::InvalidRequest("the Autocrea-Reservation header is not text".into()))?
                .trim()
                .to_string();
            ledger::ensure_headroom(state, account, &id).await?;
            (id, false)
        }
        None => (ledger::reserve(state, account, state.config.limits.reservation_credits).await?.0.id, true),
    };
    Ok(Charge { state: state.clone(), account, reservation, settle })
}

/// Charges a call's tokens to its reservation once the answer ends.
struct Charge {
    state: AppState,
    account: i64,
    reservation: String,
    /// The call's own reservation: settle it too.
    settle: bool,
}

impl Charge {
    async fn run(self, tokens: i64) {
        if let Err(e) =
            ledger::record_usage(&self.state, self.account, &self.reservation, tokens, self.settle).await
        {
            tracing::error!(account = self.account, reservation = %self.reservation, tokens, error = %e,
                "could not charge a model call");
        }
    }
}

/// The upstream's body, passed on chunk by chunk while a [`Counter`] reads it. When it ends the
/// charge is booked before the end reaches the client (so a client that has read the whole
/// answer sees it in its ledger); when the client goes away first, it is booked in the
/// background.
struct Metered {
    inner: BoxStream<'static, reqwest::Result<Bytes>>,
    counter: Counter,
    /// Taken when the charge starts (`None` for calls that are not charged).
    charge: Option<Charge>,
    settling: Option<BoxFuture<'static, ()>>,
    /// The upstream's error, passed on once the charge is booked.
    error: Option<std::io::Error>,
    ended: bool,
}

impl Metered {
    fn end(&mut self) {
        match self.charge.take() {
            Some(charge) => self.settling = Some(Box::pin(charge.run(self.counter.tokens()))),
            None => self.ended = true,
        }
    }
}

impl Stream for Metered {
    type Item = std::io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(settling) = this.settling.as_mut() {
                ready!(settling.as_mut().poll(cx));
                this.settling = None;
                this.ended = true;
            }
            if this.ended {
                return Poll::Ready(this.error.take().map(Err));
            }
            match ready!(this.inner.poll_next_unpin(cx)) {
                Some(Ok(chunk)) => {
                    this.counter.feed(&chunk);
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Some(Err(e)) => {
                    let e = e.without_url();
                    tracing::warn!(error = %e, "the upstream's answer broke off");
                    this.error = Some(std::io::Error::other(e));
                    this.end();
                }
                None => this.end(),
            }
        }
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        let pending = match self.charge.take() {
            Some(charge) => Some(Box::pin(charge.run(self.counter.tokens())) as BoxFuture<'static, ()>),
            None => self.settling.take(),
        };
        if let Some(pending) = pending {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => drop(handle.spawn(pending)),
                Err(_) => tracing::error!("a model call ended outside the runtime; its charge is lost"),
            }
        }
    }
}

/// Counts a call's tokens from what the upstream reports, else estimates them.
#[derive(Debug, Default)]
pub struct Counter {
    metered: bool,
    sse: bool,
    /// Characters of the prompt (`inputs`, or the messages' contents), else of the whole request.
    prompt_chars: u64,
    request_chars: u64,
    /// A partial SSE line.
    line: Vec<u8>,
    /// A non-SSE body, kept (up to a limit) to read at the end.
    body: Vec<u8>,
    /// OpenAI-style `usage` (prompt + completion).
    usage: Option<u64>,
    /// TGI `details.generated_tokens` and `details.input_length`.
    generated: Option<u64>,
    input_length: Option<u64>,
    /// Streamed TGI events, one token each.
    token_events: u64,
    /// Characters of generated text seen.
    text_chars: u64,
}

/// How much of a non-streamed answer is kept to read its usage.
const MAX_BODY_KEPT: usize = 8 * 1024 * 1024;

fn estimate(chars: u64) -> u64 {
    chars.div_ceil(4)
}

impl Counter {
    pub fn new(request: &[u8], sse: bool, metered: bool) -> Counter {
        let json: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
        let chars = |v: &Value| v.as_str().map(|s| s.chars().count() as u64);
        let prompt_chars = chars(&json["inputs"])
            .or_else(|| {
                json["messages"]
                    .as_array()
                    .map(|messages| messages.iter().filter_map(|m| chars(&m["content"])).sum())
            })
            .or_else(|| chars(&json["prompt"]))
            .unwrap_or(request.len() as u64);
        Counter { metered, sse, prompt_chars, request_chars: request.len() as u64, ..Counter::default() }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        if !self.metered {
            return;
        }
        if !self.sse {
            let room = MAX_BODY_KEPT.saturating_sub(self.body.len());
            self.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.text_chars += chunk.len().saturating_sub(room) as u64;
            return;
        }
        self.line.extend_from_slice(chunk);
        while let Some(end) = self.line.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.line.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            if let Some(data) = line.trim_end().strip_prefix("data:")
                && let Ok(event) = serde_json::from_str::<Value>(data.trim())
            {
                self.observe(&event, true);
            }
        }
    }

    fn observe(&mut self, v: &Value, streamed: bool) {
        if let Some(items) = v.as_array() {
            return items.iter().for_each(|item| self.observe(item, streamed));
        }
        let n = |v: &Value| v.as_u64();
        let usage = &v["usage"];
        if let Some(total) = n(&usage["total_tokens"])
            .or_else(|| Some(n(&usage["prompt_tokens"])? + n(&usage["completion_tokens"]).unwrap_or(0)))
        {
            self.usage = Some(total);
        }
        if let Some(generated) = n(&v["details"]["generated_tokens"]) {
            self.generated = Some(generated);
            self.input_length = n(&v["details"]["input_length"]).or(self.input_length);
        }
        let len = |v: &Value| v.as_str().map(|s| s.chars().count() as u64).unwrap_or(0);
        if v["token"].is_object() {
            self.token_events += 1;
            if v["token"]["special"] != Value::Bool(true) {
                self.text_chars += len(&v["token"]["text"]);
            }
        }
        for choice in v["choices"].as_array().into_iter().flatten() {
            self.text_chars +=
                len(&choice["delta"]["content"]) + len(&choice["message"]["content"]) + len(&choice["text"]);
        }
        if !streamed {
            self.text_chars += len(&v["generated_text"]);
        }
    }

    /// The call's tokens: the upstream's usage when it reported it (OpenAI `usage`; TGI's
    /// generated tokens plus the prompt's), else ~4 characters a token of request and answer.
    pub fn tokens(&mut self) -> i64 {
        if !self.metered {
            return 0;
        }
        if !self.body.is_empty() {
            let body = std::mem::take(&mut self.body);
            match serde_json::from_slice::<Value>(&body) {
                Ok(v) => self.observe(&v, false),
                Err(_) => self.text_chars += String::from_utf8_lossy(&body).chars().count() as u64,
            }
        }
        let generated = self.generated.or((self.token_events > 0).then_some(self.token_events));
        let tokens = match (self.usage, generated) {
            (Some(usage), _) => usage,
            (None, Some(generated)) => {
                generated + self.input_length.unwrap_or_else(|| estimate(self.prompt_chars))
            }
            (None, None) => estimate(self.request_chars + self.text_chars),
        };
        i64::try_from(tokens).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(request: &str, sse: bool, chunks: &[&str]) -> i64 {
        let mut counter = Counter::new(request.as_bytes(), sse, true);
        for chunk in chunks {
            counter.feed(chunk.as_bytes());
        }
        counter.tokens()
    }

    #[test]
    fn openai_usage_wins_even_split_across_chunks() {
        let chunks = [
            "data: {\"choices\":[{\"delta\":{\"content\":\"hello\"}}],\"usage\":null}\n\ndata: {\"choices\":[],\"us",
            "age\":{\"prompt_tokens\":1200,\"completion_tokens\":900,\"total_tokens\":2100}}\n\n",
            "data: [DONE]\n\n",
        ];
        assert_eq!(count(r#"{"messages":[{"role":"user","content":"hi"}]}"#, true, &chunks), 2100);
        let whole =
            r#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":7,"completion_tokens":5}}"#;
        assert_eq!(count("{}", false, &[whole]), 12);
    }

    #[test]
    fn tgi_counts_details_or_token_events_plus_the_prompt() {
        let request = r#"{"inputs":"12345678","parameters":{}}"#; // 8 characters: 2 tokens
        let events = [
            "data:{\"index\":1,\"token\":{\"id\":1,\"text\":\"ab\",\"special\":false},\"details\":null}\n\n",
            "data:{\"index\":2,\"token\":{\"id\":2,\"text\":\"</s>\",\"special\":true},\"generated_text\":\"ab\",\"details\":null}\n\n",
        ];
        assert_eq!(count(request, true, &events), 2 + 2);
        let detailed = "data:{\"token\":{\"id\":2,\"text\":\"\",\"special\":true},\"details\":{\"generated_tokens\":2600,\"input_length\":1500}}\n\n";
        assert_eq!(count(request, true, &[detailed]), 4100);
        let generate = r#"{"generated_text":"abcd","details":{"generated_tokens":30}}"#;
        assert_eq!(count(request, false, &[generate]), 32);
    }

    #[test]
    fn without_usage_four_characters_make_a_token() {
        let request = r#"{"inputs":"abcd"}"#; // 17 characters
        assert_eq!(
            count(request, false, &[r#"[{"generated_text":"abcdefgh"}]"#]),
            (17 + 8_u64).div_ceil(4) as i64
        );
        assert_eq!(count("x", false, &["plain text!"]), 3);
    }

    #[test]
    fn failed_calls_cost_nothing() {
        let mut counter = Counter::new(b"{}", false, false);
        counter.feed(br#"{"usage":{"total_tokens":99}}"#);
        assert_eq!(counter.tokens(), 0);
    }
}
