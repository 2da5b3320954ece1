//! Fake model servers on 127.0.0.1 that speak the providers' real wire formats, so end-to-end
//! tests and the bench never reach the internet.
//!
//! ```no_run
//! use autocrea_e2e::fakes::{FakeConfig, FakeModel, Protocol, Reply};
//!
//! let fake = FakeModel::start_with(FakeConfig { api_key: Some("sk-test".into()), ..FakeConfig::new(Protocol::OpenAi) });
//! fake.push(Reply::text("fn main() {}").usage(12, 340));
//! fake.push(Reply::rate_limited(2));
//! fake.push(Reply::text("partial answer").cut_after_bytes(200));
//! // point the code under test at fake.url() …
//! assert_eq!(fake.requests()[0].path, "/v1/chat/completions");
//! ```
//!
//! The core (this file) owns the script, the request log, timing and the byte-level faults; each
//! protocol module only maps a request to a [`Call`] and renders a reply or a fault as frames.
//! Adding a protocol means adding one module implementing [`Wire`].

mod anthropic;
mod openai;
pub mod stripe;
mod tgi;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;

/// Which provider API the fake speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OpenAI chat completions (`/v1/chat/completions`, `/v1/models`); also what Ollama,
    /// llama.cpp, vLLM and the HF router serve.
    OpenAi,
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
    /// Hugging Face: TGI (`/generate`, `/generate_stream`, and its OpenAI-compatible
    /// `/v1/chat/completions`) and the Inference API text-generation task (`/models/<model>`, `/`).
    Tgi,
}

/// How the fake is set up; every field has a default from [`FakeConfig::new`].
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub protocol: Protocol,
    /// Models the fake serves; a request naming another gets the protocol's "unknown model" 404.
    /// The first one is reported in responses and listings.
    pub models: Vec<String>,
    /// When set, requests must carry this key (Bearer, or `x-api-key` for Anthropic).
    pub api_key: Option<String>,
    /// Answer used whenever the script is empty. Without it an empty script answers 500.
    pub fallback: Option<Reply>,
    /// Answers computed from the request body, consulted when the script is empty (before
    /// `fallback`): a scripted model that answers what it is asked, whatever the call order.
    pub responder: Option<Responder>,
}

/// A function from a request's JSON body to a reply (`None`: fall through to `fallback`).
pub type Respond = dyn Fn(&Value) -> Option<Reply> + Send + Sync;

/// A shared [`Respond`] function.
#[derive(Clone)]
pub struct Responder(pub Arc<Respond>);

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Responder(..)")
    }
}

impl FakeConfig {
    pub fn new(protocol: Protocol) -> FakeConfig {
        let model = match protocol {
            Protocol::OpenAi => "gpt-4o-mini",
            Protocol::Anthropic => "claude-sonnet-4-5",
            Protocol::Tgi => "joxcoder/joxcoder-7b",
        };
        FakeConfig {
            protocol,
            models: vec![model.to_string()],
            api_key: None,
            fallback: None,
            responder: None,
        }
    }
}

/// How a reply ends, mapped to each protocol's own word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// OpenAI `stop`, Anthropic `end_turn`, TGI `eos_token`.
    Stop,
    /// Truncated by the token limit: OpenAI `length`, Anthropic `max_tokens`, TGI `length`.
    Length,
}

/// An HTTP-level fault, answered instead of a reply (each protocol renders its own error body).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// 401 with the protocol's authentication error.
    Unauthorized,
    /// 404 with the protocol's unknown-model error.
    UnknownModel,
    /// 429 with `Retry-After: secs`.
    RateLimited { retry_after_secs: u32 },
    /// 500 with the protocol's internal error.
    ServerError,
    /// Model still loading: HF 503 with `estimated_time`; OpenAI-style 503; Anthropic 529.
    Loading { estimated_secs: f32 },
    /// Provider overloaded: Anthropic 529 `overloaded_error`, OpenAI 503, TGI 429 `overloaded`.
    Overloaded,
}

/// One scripted answer: text to stream (with timing and stream faults) or an HTTP fault.
#[derive(Debug, Clone)]
pub struct Reply {
    pub(crate) fault: Option<Fault>,
    pub(crate) text: String,
    pub(crate) usage: Option<(u32, u32)>,
    pub(crate) finish: Finish,
    pub(crate) chunk_chars: usize,
    pub(crate) chunk_delay: Duration,
    pub(crate) first_byte_delay: Duration,
    pub(crate) stall: Option<(usize, Duration)>,
    pub(crate) cut_after_bytes: Option<usize>,
    pub(crate) malformed_after: Option<usize>,
    pub(crate) error_after: Option<usize>,
}

impl Reply {
    /// A successful reply with this text, sent in chunks of 4 characters (≈ one token each).
    pub fn text(text: impl Into<String>) -> Reply {
        Reply {
            fault: None,
            text: text.into(),
            usage: None,
            finish: Finish::Stop,
            chunk_chars: 4,
            chunk_delay: Duration::ZERO,
            first_byte_delay: Duration::ZERO,
            stall: None,
            cut_after_bytes: None,
            malformed_after: None,
            error_after: None,
        }
    }

    pub fn fault(fault: Fault) -> Reply {
        Reply { fault: Some(fault), ..Reply::text("") }
    }
    pub fn unauthorized() -> Reply {
        Reply::fault(Fault::Unauthorized)
    }
    pub fn unknown_model() -> Reply {
        Reply::fault(Fault::UnknownModel)
    }
    pub fn rate_limited(retry_after_secs: u32) -> Reply {
        Reply::fault(Fault::RateLimited { retry_after_secs })
    }
    pub fn server_error() -> Reply {
        Reply::fault(Fault::ServerError)
    }
    pub fn loading(estimated_secs: f32) -> Reply {
        Reply::fault(Fault::Loading { estimated_secs })
    }
    pub fn overloaded() -> Reply {
        Reply::fault(Fault::Overloaded)
    }

    /// Token counts reported in the usage fields. Without it: prompt ≈ request text / 4,
    /// completion = number of chunks.
    pub fn usage(mut self, prompt_tokens: u32, completion_tokens: u32) -> Reply {
        self.usage = Some((prompt_tokens, completion_tokens));
        self
    }
    pub fn finish(mut self, finish: Finish) -> Reply {
        self.finish = finish;
        self
    }
    /// Characters per streamed chunk (at least 1).
    pub fn chunk_chars(mut self, chars: usize) -> Reply {
        self.chunk_chars = chars.max(1);
        self
    }
    /// Delay before every chunk after the first (a non-streamed reply waits the sum).
    pub fn chunk_delay(mut self, delay: Duration) -> Reply {
        self.chunk_delay = delay;
        self
    }
    /// Streams at a fixed rate of `chunks_per_sec` chunks (tokens) per second.
    pub fn rate(self, chunks_per_sec: u32) -> Reply {
        self.chunk_delay(Duration::from_secs(1) / chunks_per_sec.max(1))
    }
    /// Slow first token: the status line and headers go out at once, the body's first byte after
    /// `delay` (a non-streamed reply sends nothing until then).
    pub fn first_byte_delay(mut self, delay: Duration) -> Reply {
        self.first_byte_delay = delay;
        self
    }
    /// Idle stall: waits `delay` after the `chunks`-th chunk, then goes on.
    pub fn stall_after(mut self, chunks: usize, delay: Duration) -> Reply {
        self.stall = Some((chunks, delay));
        self
    }
    /// Drops the connection after `bytes` bytes of body: no final event, no terminating chunk.
    pub fn cut_after_bytes(mut self, bytes: usize) -> Reply {
        self.cut_after_bytes = Some(bytes);
        self
    }
    /// Inserts one malformed SSE event (truncated JSON) after the `chunks`-th chunk.
    pub fn malformed_after(mut self, chunks: usize) -> Reply {
        self.malformed_after = Some(chunks);
        self
    }
    /// Ends the stream after the `chunks`-th chunk with the protocol's in-stream error event
    /// (Anthropic `event: error` with `overloaded_error`) and no final event.
    pub fn error_after(mut self, chunks: usize) -> Reply {
        self.error_after = Some(chunks);
        self
    }

    /// The text split into streamed chunks, on character boundaries.
    pub(crate) fn chunks(&self) -> Vec<String> {
        let chars: Vec<char> = self.text.chars().collect();
        chars.chunks(self.chunk_chars).map(|c| c.iter().collect()).collect()
    }
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON, `Value::Null` when it is not JSON.
    pub body: Value,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

struct State {
    config: FakeConfig,
    script: VecDeque<Reply>,
    requests: Vec<RecordedRequest>,
    served: u64,
}

/// A fake provider listening on `127.0.0.1:<ephemeral>` (see [`Served`]). Stops when dropped.
pub struct FakeModel {
    server: Served,
    state: Arc<Mutex<State>>,
}

/// An axum app served on `127.0.0.1:<ephemeral>` from its own thread and runtime (usable from
/// synchronous and async tests alike); stops when dropped.
pub(crate) struct Served {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    pub fn start(name: &str, app: axum::Router) -> Served {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = stopped => {}
                    }
                });
                // Streams still open (stalls, slow replies) are dropped, not awaited.
                rt.shutdown_timeout(Duration::from_millis(50));
            })
            .expect("spawn fake server thread");
        Served { addr, stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl FakeModel {
    pub fn start(protocol: Protocol) -> FakeModel {
        FakeModel::start_with(FakeConfig::new(protocol))
    }

    pub fn start_with(config: FakeConfig) -> FakeModel {
        let state =
            Arc::new(Mutex::new(State { config, script: VecDeque::new(), requests: Vec::new(), served: 0 }));
        let server =
            Served::start("fake-model", axum::Router::new().fallback(handle).with_state(state.clone()));
        FakeModel { server, state }
    }

    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// Appends a reply to the script; replies are consumed in order, one per model call.
    pub fn push(&self, reply: Reply) -> &FakeModel {
        self.state.lock().unwrap().script.push_back(reply);
        self
    }

    /// Every request received so far, rejected ones included.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Scripted replies not consumed yet.
    pub fn pending_replies(&self) -> usize {
        self.state.lock().unwrap().script.len()
    }
}

/// What a protocol made of a request that passed its checks.
pub(crate) struct Call {
    /// Protocol-specific route name (e.g. `chat`, `messages`, `generate`).
    pub route: &'static str,
    pub stream: bool,
    /// The model the answer names.
    pub model: String,
    /// Prompt tokens to report when the reply sets none.
    pub prompt_tokens: u32,
    /// OpenAI `stream_options.include_usage`.
    pub include_usage: bool,
    /// Parameters that change the body's shape (TGI `details`, `return_full_text`'s prompt).
    pub details: bool,
    pub prefix: String,
}

/// A rendered answer, before timing and byte faults are applied.
pub(crate) enum Answer {
    /// Sent as is, without consuming a reply (listings, auth and validation errors, faults).
    Plain {
        status: StatusCode,
        headers: Vec<(&'static str, String)>,
        content_type: &'static str,
        body: String,
    },
    /// A reply: frames in order; `delta` marks the frames that carry a chunk of text.
    Frames {
        content_type: &'static str,
        headers: Vec<(&'static str, String)>,
        streaming: bool,
        frames: Vec<Frame>,
    },
}

pub(crate) struct Frame {
    pub bytes: String,
    pub delta: bool,
}

impl Frame {
    pub fn meta(bytes: String) -> Frame {
        Frame { bytes, delta: false }
    }
    pub fn delta(bytes: String) -> Frame {
        Frame { bytes, delta: true }
    }
}

/// Context a protocol needs to render.
pub(crate) struct Ctx<'a> {
    pub config: &'a FakeConfig,
    /// 1-based number of this answer, for ids.
    pub serial: u64,
}

pub(crate) trait Wire: Sync {
    /// Checks route, auth and parameters. `Err` is sent as is and consumes no reply (auth and
    /// validation errors, and routes such as model listings that answer without one).
    fn call(
        &self,
        ctx: &Ctx,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &Value,
    ) -> Result<Call, Answer>;
    fn fault(&self, ctx: &Ctx, call: &Call, fault: Fault) -> Answer;
    fn render(&self, ctx: &Ctx, call: &Call, body: &Value, reply: &Reply) -> Answer;
    /// The in-stream error event (`error_after`).
    fn stream_error(&self, call: &Call) -> String;
    /// One malformed event (`malformed_after`).
    fn malformed(&self, call: &Call) -> String;
}

fn wire(protocol: Protocol) -> &'static dyn Wire {
    match protocol {
        Protocol::OpenAi => &openai::OpenAi { any_model: false },
        Protocol::Anthropic => &anthropic::Anthropic,
        Protocol::Tgi => &tgi::Tgi,
    }
}

async fn handle(
    axum::extract::State(state): axum::extract::State<Arc<Mutex<State>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // Decide everything under the lock, then release it before any waiting.
    let (answer, reply, call_stream_error, call_malformed) = {
        let mut st = state.lock().unwrap();
        st.requests.push(RecordedRequest {
            method: method.to_string(),
            path: path.clone(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
            body: json.clone(),
        });
        st.served += 1;
        let ctx = Ctx { config: &st.config, serial: st.served };
        let w = wire(st.config.protocol);
        let call = match w.call(&ctx, &method, uri.path(), &headers, &json) {
            Ok(call) => call,
            Err(answer) => return respond(answer, None, String::new(), String::new()),
        };
        let reply = match st.script.front().is_some() {
            true => st.script.pop_front(),
            false => {
                st.config.responder.as_ref().and_then(|r| (r.0)(&json)).or_else(|| st.config.fallback.clone())
            }
        };
        let ctx = Ctx { config: &st.config, serial: st.served };
        let answer = match &reply {
            None => w.fault(&ctx, &call, Fault::ServerError),
            Some(r) => match r.fault {
                Some(fault) => w.fault(&ctx, &call, fault),
                None => w.render(&ctx, &call, &json, r),
            },
        };
        (answer, reply, w.stream_error(&call), w.malformed(&call))
    };
    respond(answer, reply, call_stream_error, call_malformed)
}

/// One step of a body: wait, then send bytes; or drop the connection.
enum Step {
    Send(Duration, Bytes),
    Drop,
}

fn respond(answer: Answer, reply: Option<Reply>, stream_error: String, malformed: String) -> Response {
    let (status, content_type, headers, steps, length) = match answer {
        Answer::Plain { status, headers, content_type, body } => {
            let delay = reply.as_ref().map(|r| r.first_byte_delay).unwrap_or_default();
            let len = body.len();
            (status, content_type, headers, vec![Step::Send(delay, Bytes::from(body))], Some(len))
        }
        Answer::Frames { content_type, headers, streaming, frames } => {
            let reply = reply.expect("frames come from a reply");
            let (steps, length) = shape(&reply, frames, streaming, stream_error, malformed);
            (StatusCode::OK, content_type, headers, steps, length)
        }
    };
    let mut builder = Response::builder().status(status).header("content-type", content_type);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if let Some(len) = length {
        builder = builder.header("content-length", len);
    }
    let body = futures::stream::unfold(steps.into_iter(), |mut steps| async move {
        match steps.next()? {
            Step::Send(delay, bytes) => {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Some((Ok(bytes), steps))
            }
            Step::Drop => {
                // Let hyper flush what was sent before the error makes it drop the connection.
                tokio::time::sleep(Duration::from_millis(10)).await;
                Some((Err(std::io::Error::other("fake: connection cut")), steps))
            }
        }
    });
    builder.body(Body::from_stream(body)).expect("valid response")
}

/// Applies a reply's timing and byte faults to rendered frames. Returns the body steps and, for a
/// non-streamed body, its full length (sent as `content-length` even when the body is cut).
fn shape(
    reply: &Reply,
    frames: Vec<Frame>,
    streaming: bool,
    stream_error: String,
    malformed: String,
) -> (Vec<Step>, Option<usize>) {
    let mut timed: Vec<(Duration, String)> = Vec::new();
    let mut deltas = 0usize;
    let mut pending = Duration::ZERO;
    for frame in frames {
        if frame.delta {
            if deltas > 0 {
                pending += reply.chunk_delay;
            }
            if let Some((after, stall)) = reply.stall
                && after == deltas
                && deltas > 0
            {
                pending += stall;
            }
            if reply.malformed_after == Some(deltas) && deltas > 0 && streaming {
                timed.push((std::mem::take(&mut pending), malformed.clone()));
            }
            if reply.error_after == Some(deltas) && streaming {
                timed.push((std::mem::take(&mut pending), stream_error.clone()));
                break;
            }
            deltas += 1;
        } else if deltas > 0 && reply.error_after == Some(deltas) && streaming {
            // The error comes right after the last allowed chunk, before any closing frame.
            timed.push((std::mem::take(&mut pending), stream_error.clone()));
            break;
        }
        timed.push((std::mem::take(&mut pending), frame.bytes));
    }
    if let Some(first) = timed.first_mut() {
        first.0 += reply.first_byte_delay;
    }
    let (timed, length) = if streaming {
        (timed, None)
    } else {
        // A whole JSON body: one write after the full generation time.
        let chunks = reply.chunks().len().saturating_sub(1) as u32;
        let total = reply.first_byte_delay
            + reply.chunk_delay * chunks
            + reply.stall.map(|s| s.1).unwrap_or_default();
        let body: String = timed.into_iter().map(|(_, b)| b).collect();
        let len = body.len();
        (vec![(total, body)], Some(len))
    };
    let mut steps = Vec::new();
    let mut budget = reply.cut_after_bytes;
    for (delay, bytes) in timed {
        let bytes = Bytes::from(bytes);
        match budget {
            Some(left) if bytes.len() >= left => {
                if left > 0 {
                    steps.push(Step::Send(delay, bytes.slice(..left)));
                }
                steps.push(Step::Drop);
                return (steps, length);
            }
            Some(left) => budget = Some(left - bytes.len()),
            None => {}
        }
        steps.push(Step::Send(delay, bytes));
    }
    (steps, length)
}

/// A JSON string literal for `text`.
pub(crate) fn js(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

/// Bearer token of an `Authorization` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))
}

/// Rough prompt size in tokens (characters of the JSON body / 4), at least 1.
pub(crate) fn estimate_tokens(body: &Value) -> u32 {
    (body.to_string().len() / 4).max(1) as u32
}

/// `(prompt, completion)` token counts for a reply.
pub(crate) fn usage_of(call: &Call, reply: &Reply) -> (u32, u32) {
    reply.usage.unwrap_or((call.prompt_tokens, reply.chunks().len() as u32))
}

/// A fixed creation time, so answers are reproducible.
pub(crate) const CREATED: u64 = 1_700_000_000;
