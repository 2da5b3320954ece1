//! The fake model servers, checked byte by byte with a raw HTTP/1.1 client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use autocrea_e2e::fakes::{FakeConfig, FakeModel, Finish, Protocol, Reply};
use serde_json::{Value, json};

/// What came back on the wire.
struct Wire {
    status: u16,
    headers: Vec<(String, String)>,
    /// The body with any chunked framing removed.
    body: String,
    /// The body ended as its framing says (terminating chunk, or full content-length).
    complete: bool,
    /// Time from sending the request to the first byte of the body.
    first_body_byte: Option<Duration>,
    /// Time from sending the request to the end of the head.
    head: Duration,
}

impl Wire {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Wire {
    let mut stream = TcpStream::connect(addr).expect("fake listens");
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let sent = Instant::now();
    stream.write_all(format!("{head}{body}").as_bytes()).unwrap();

    let mut raw = Vec::new();
    let mut head_end = None;
    let mut head_at = Duration::ZERO;
    let mut first_body_byte = None;
    let mut buf = [0u8; 8192];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            // A cut connection may end in a reset.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the answer: {e}"),
        };
        raw.extend_from_slice(&buf[..n]);
        if head_end.is_none()
            && let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n")
        {
            head_end = Some(i + 4);
            head_at = sent.elapsed();
        }
        if let Some(end) = head_end
            && first_body_byte.is_none()
            && raw.len() > end
        {
            first_body_byte = Some(sent.elapsed());
        }
    }
    let end = head_end.expect("a complete head");
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect();
    let rest = &raw[end..];
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let (body, complete) = if chunked {
        dechunk(rest)
    } else {
        let length =
            headers.iter().find(|(n, _)| n == "content-length").map(|(_, v)| v.parse::<usize>().unwrap());
        (rest.to_vec(), length.is_none_or(|l| l == rest.len()))
    };
    Wire {
        status,
        headers,
        body: String::from_utf8(body).expect("utf-8 body"),
        complete,
        first_body_byte,
        head: head_at,
    }
}

/// Removes chunked framing; `complete` when the terminating zero-size chunk arrived.
fn dechunk(mut rest: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else { return (body, false) };
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16).unwrap();
        rest = &rest[eol + 2..];
        if size == 0 {
            return (body, true);
        }
        if rest.len() < size {
            body.extend_from_slice(rest);
            return (body, false);
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

fn post(fake: &FakeModel, path: &str, headers: &[(&str, &str)], body: Value) -> Wire {
    request(fake.addr(), "POST", path, headers, Some(&body))
}

/// The `event:` names of an SSE body, in order.
fn events(body: &str) -> Vec<&str> {
    body.lines().filter_map(|l| l.strip_prefix("event: ")).collect()
}

fn chat(stream: bool) -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": stream,
           "stream_options": {"include_usage": true}})
}

fn with_key(protocol: Protocol, key: &str) -> FakeModel {
    FakeModel::start_with(FakeConfig { api_key: Some(key.into()), ..FakeConfig::new(protocol) })
}

// ---------------------------------------------------------------- OpenAI

#[test]
fn openai_stream_is_the_documented_sse() {
    let fake = with_key(Protocol::OpenAi, "sk-test");
    fake.push(Reply::text("Hello world").chunk_chars(5).usage(12, 340));
    let wire = post(&fake, "/v1/chat/completions", &[("Authorization", "Bearer sk-test")], chat(true));
    assert_eq!(wire.status, 200);
    assert_eq!(wire.header("content-type"), Some("text/event-stream; charset=utf-8"));
    assert!(wire.complete);
    let head = r#"{"id":"chatcmpl-fake1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":null,"choices":"#;
    let expected = [
        format!(r#"data: {head}[{{"index":0,"delta":{{"role":"assistant","content":""}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#),
        format!(r#"data: {head}[{{"index":0,"delta":{{"content":"Hello"}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#),
        format!(r#"data: {head}[{{"index":0,"delta":{{"content":" worl"}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#),
        format!(r#"data: {head}[{{"index":0,"delta":{{"content":"d"}},"logprobs":null,"finish_reason":null}}],"usage":null}}"#),
        format!(r#"data: {head}[{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":"stop"}}],"usage":null}}"#),
        format!(r#"data: {head}[],"usage":{{"prompt_tokens":12,"completion_tokens":340,"total_tokens":352}}}}"#),
        "data: [DONE]".to_string(),
    ]
    .map(|event| event + "\n\n")
    .concat();
    assert_eq!(wire.body, expected);
    let seen = &fake.requests()[0];
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("POST", "/v1/chat/completions"));
    assert_eq!(seen.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(seen.body["messages"][0]["content"], "hi");
}

#[test]
fn openai_json_reply_and_stream_without_usage_option() {
    let fake = FakeModel::start(Protocol::OpenAi);
    fake.push(Reply::text("cut short").finish(Finish::Length).usage(3, 2));
    fake.push(Reply::text("ok"));
    let wire = post(&fake, "/v1/chat/completions", &[], chat(false));
    let v = wire.json();
    assert_eq!(wire.header("content-type"), Some("application/json"));
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], "cut short");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(v["usage"], json!({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}));

    let body = json!({"model": "gpt-4o-mini", "messages": [], "stream": true});
    let wire = post(&fake, "/v1/chat/completions", &[], body);
    assert!(!wire.body.contains("usage"), "no usage without include_usage: {}", wire.body);
    assert!(wire.body.ends_with("\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"));

    // A JSON body cut short: the full content-length is announced, 20 bytes arrive.
    fake.push(Reply::text("a longer answer").cut_after_bytes(20));
    let cut = post(&fake, "/v1/chat/completions", &[], chat(false));
    assert!(cut.header("content-length").is_some_and(|l| l.parse::<usize>().unwrap() > 20));
    assert_eq!((cut.body.len(), cut.complete), (20, false));
}

#[test]
fn openai_auth_models_and_unknown_model() {
    let fake = with_key(Protocol::OpenAi, "sk-test");
    fake.push(Reply::text("never sent"));
    let none = post(&fake, "/v1/chat/completions", &[], chat(false));
    assert_eq!(none.status, 401);
    assert_eq!(none.json()["error"]["type"], "invalid_request_error");
    assert_eq!(none.json()["error"]["code"], Value::Null);
    let wrong = post(&fake, "/v1/chat/completions", &[("Authorization", "Bearer sk-wrong-key")], chat(false));
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["error"]["code"], "invalid_api_key");
    assert!(!wrong.body.contains("sk-wrong-key"), "the key is not echoed whole");

    let auth = [("Authorization", "Bearer sk-test")];
    let models = request(fake.addr(), "GET", "/v1/models", &auth, None);
    assert_eq!(models.json()["data"][0]["id"], "gpt-4o-mini");
    let mut other = chat(false);
    other["model"] = json!("gpt-9");
    let missing = post(&fake, "/v1/chat/completions", &auth, other);
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({"error": {"message": "The model `gpt-9` does not exist or you do not have access to it.",
                         "type": "invalid_request_error", "param": null, "code": "model_not_found"}})
    );
    assert_eq!(fake.pending_replies(), 1, "rejected requests consume no reply");
    assert_eq!(fake.requests().len(), 4, "rejected requests are recorded too");
}

#[test]
fn openai_http_faults() {
    let fake = FakeModel::start(Protocol::OpenAi);
    fake.push(Reply::rate_limited(7)).push(Reply::server_error()).push(Reply::unauthorized());
    fake.push(Reply::unknown_model()).push(Reply::loading(20.0));
    let limited = post(&fake, "/v1/chat/completions", &[], chat(true));
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert_eq!(limited.json()["error"]["code"], "rate_limit_exceeded");
    let failed = post(&fake, "/v1/chat/completions", &[], chat(true));
    assert_eq!((failed.status, failed.json()["error"]["type"].clone()), (500, json!("server_error")));
    assert_eq!(post(&fake, "/v1/chat/completions", &[], chat(true)).status, 401);
    assert_eq!(
        post(&fake, "/v1/chat/completions", &[], chat(true)).json()["error"]["code"],
        "model_not_found"
    );
    assert_eq!(post(&fake, "/v1/chat/completions", &[], chat(true)).status, 503);
    // An empty script answers 500 rather than hanging.
    assert_eq!(post(&fake, "/v1/chat/completions", &[], chat(true)).status, 500);
}

#[test]
fn openai_stream_faults_on_the_wire() {
    let fake = FakeModel::start(Protocol::OpenAi);
    fake.push(Reply::text("abcdefghijklmnop").cut_after_bytes(300));
    fake.push(Reply::text("abcdefgh").malformed_after(1));
    fake.push(Reply::text("abcdefgh").error_after(1));
    let cut = post(&fake, "/v1/chat/completions", &[], chat(true));
    assert_eq!(cut.status, 200);
    assert!(!cut.complete, "no terminating chunk after a cut");
    assert_eq!(cut.body.len(), 300);
    assert!(!cut.body.contains("[DONE]") && !cut.body.contains("\"finish_reason\":\"stop\""));

    let bad = post(&fake, "/v1/chat/completions", &[], chat(true));
    let lines: Vec<&str> = bad.body.split("\n\n").collect();
    assert!(lines[1].contains(r#"{"content":"abcd"}"#));
    assert_eq!(lines[2], r#"data: {"id":"chatcmpl-fake","object":"chat.completion.chu"#);
    assert!(serde_json::from_str::<Value>(&lines[2]["data: ".len()..]).is_err());
    assert!(bad.complete && bad.body.ends_with("data: [DONE]\n\n"), "the stream goes on after it");

    let errored = post(&fake, "/v1/chat/completions", &[], chat(true));
    assert!(errored.complete);
    assert!(errored.body.ends_with("data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"));
    assert!(!errored.body.contains("[DONE]"));
}

#[test]
fn slow_first_byte_and_stall_are_real_delays() {
    let fake = FakeModel::start(Protocol::OpenAi);
    let delay = Duration::from_millis(200);
    fake.push(Reply::text("abcdefgh").first_byte_delay(delay));
    fake.push(Reply::text("abcdefghijkl").stall_after(1, delay).chunk_delay(Duration::from_millis(20)));
    let slow = post(&fake, "/v1/chat/completions", &[], chat(true));
    let first = slow.first_body_byte.expect("a body");
    assert!(first >= delay, "first body byte after {first:?}");
    assert!(slow.head < delay, "headers go out at once ({:?})", slow.head);
    assert!(slow.complete);

    let start = Instant::now();
    let stalled = post(&fake, "/v1/chat/completions", &[], chat(true));
    assert!(start.elapsed() >= delay + Duration::from_millis(40), "stall + 2 chunk delays");
    assert!(stalled.complete && stalled.body.ends_with("data: [DONE]\n\n"));
}

// ---------------------------------------------------------------- Anthropic

fn messages(stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": stream,
           "messages": [{"role": "user", "content": "hi"}]})
}

const ANTHROPIC: [(&str, &str); 2] = [("x-api-key", "sk-ant-test"), ("anthropic-version", "2023-06-01")];

#[test]
fn anthropic_stream_is_the_documented_sse() {
    let fake = with_key(Protocol::Anthropic, "sk-ant-test");
    fake.push(Reply::text("Hello!").chunk_chars(5).usage(25, 15).finish(Finish::Length));
    let wire = post(&fake, "/v1/messages", &ANTHROPIC, messages(true));
    assert_eq!(wire.status, 200);
    assert_eq!(wire.header("content-type"), Some("text/event-stream; charset=utf-8"));
    assert!(wire.header("request-id").is_some_and(|id| id.starts_with("req_")));
    assert_eq!(
        events(&wire.body),
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let expected = concat!(
        "event: message_start\n",
        r#"data: {"type":"message_start","message":{"id":"msg_fake1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#,
        "\n\nevent: content_block_start\n",
        r#"data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        "\n\nevent: ping\n",
        r#"data: {"type":"ping"}"#,
        "\n\nevent: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
        "\n\nevent: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}"#,
        "\n\nevent: content_block_stop\n",
        r#"data: {"type":"content_block_stop","index":0}"#,
        "\n\nevent: message_delta\n",
        r#"data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":15}}"#,
        "\n\nevent: message_stop\n",
        r#"data: {"type":"message_stop"}"#,
        "\n\n"
    );
    assert_eq!(wire.body, expected);
}

#[test]
fn anthropic_json_reply_auth_and_version() {
    let fake = with_key(Protocol::Anthropic, "sk-ant-test");
    fake.push(Reply::text("fine").usage(9, 1));
    let wrong = post(
        &fake,
        "/v1/messages",
        &[("x-api-key", "nope"), ("anthropic-version", "2023-06-01")],
        messages(false),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["type"], "error");
    assert_eq!(wrong.json()["error"]["type"], "authentication_error");
    let versionless = post(&fake, "/v1/messages", &ANTHROPIC[..1], messages(false));
    assert_eq!(versionless.status, 400);
    assert_eq!(versionless.json()["error"]["type"], "invalid_request_error");
    let mut other = messages(false);
    other["model"] = json!("claude-0");
    assert_eq!(post(&fake, "/v1/messages", &ANTHROPIC, other).json()["error"]["type"], "not_found_error");

    let ok = post(&fake, "/v1/messages", &ANTHROPIC, messages(false)).json();
    assert_eq!(ok["content"], json!([{"type": "text", "text": "fine"}]));
    assert_eq!(ok["stop_reason"], "end_turn");
    assert_eq!(ok["usage"], json!({"input_tokens": 9, "output_tokens": 1}));
}

#[test]
fn anthropic_faults_on_the_wire() {
    let fake = FakeModel::start(Protocol::Anthropic);
    let version = [("anthropic-version", "2023-06-01")];
    fake.push(Reply::text("Hello there").error_after(1));
    fake.push(Reply::overloaded()).push(Reply::rate_limited(3));
    fake.push(Reply::text("Hello there, friend").cut_after_bytes(400));
    let errored = post(&fake, "/v1/messages", &version, messages(true));
    assert_eq!(
        events(&errored.body),
        ["message_start", "content_block_start", "ping", "content_block_delta", "error"]
    );
    assert!(errored.body.ends_with(
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
    ));
    let overloaded = post(&fake, "/v1/messages", &version, messages(true));
    assert_eq!(
        (overloaded.status, overloaded.json()["error"]["type"].clone()),
        (529, json!("overloaded_error"))
    );
    let limited = post(&fake, "/v1/messages", &version, messages(true));
    assert_eq!((limited.status, limited.header("retry-after")), (429, Some("3")));
    assert_eq!(limited.json()["error"]["type"], "rate_limit_error");
    let cut = post(&fake, "/v1/messages", &version, messages(true));
    assert!(!cut.complete && cut.body.len() == 400);
    assert!(!events(&cut.body).contains(&"message_stop"));
}

// ---------------------------------------------------------------- TGI and the HF Inference API

fn generate(details: bool) -> Value {
    json!({"inputs": "def add(a, b):", "parameters": {"max_new_tokens": 20, "details": details}})
}

#[test]
fn tgi_generate_stream_is_the_documented_sse() {
    let fake = with_key(Protocol::Tgi, "hf_test");
    let auth = [("Authorization", "Bearer hf_test")];
    fake.push(Reply::text("return a+b").chunk_chars(6).usage(5, 2).finish(Finish::Length));
    fake.push(Reply::text("ok").chunk_chars(2).usage(5, 2));
    let wire = post(&fake, "/generate_stream", &auth, generate(true));
    assert_eq!(wire.header("content-type"), Some("text/event-stream"));
    let expected = concat!(
        r#"data:{"index":1,"token":{"id":1000,"text":"return","logprob":-0.5,"special":false},"generated_text":null,"details":null}"#,
        "\n\n",
        r#"data:{"index":2,"token":{"id":1001,"text":" a+b","logprob":-0.5,"special":false},"generated_text":"return a+b","details":{"finish_reason":"length","generated_tokens":2,"seed":null,"input_length":5}}"#,
        "\n\n"
    );
    assert_eq!(wire.body, expected);
    // Ending on the model's own end-of-sequence token: one more, special, event.
    let eos = post(&fake, "/generate_stream", &auth, generate(false));
    assert!(eos.body.ends_with(concat!(
        r#"data:{"index":2,"token":{"id":2,"text":"</s>","logprob":-0.1,"special":true},"generated_text":"ok","details":null}"#,
        "\n\n"
    )));
    assert_eq!(post(&fake, "/generate_stream", &[], generate(true)).status, 401);
}

#[test]
fn tgi_generate_and_inference_api_task() {
    let fake = FakeModel::start(Protocol::Tgi);
    fake.push(Reply::text("return a + b").usage(5, 3).finish(Finish::Length));
    fake.push(Reply::text("return a + b"));
    fake.push(Reply::text(" return a + b"));
    let v = post(&fake, "/generate", &[], generate(true)).json();
    assert_eq!(v["generated_text"], "return a + b");
    assert_eq!(v["details"]["finish_reason"], "length");
    assert_eq!(v["details"]["generated_tokens"], 3);
    assert_eq!(v["details"]["tokens"].as_array().unwrap().len(), 3);

    let task = post(&fake, "/models/joxcoder/joxcoder-7b", &[], json!({"inputs": "x"}));
    assert_eq!(task.json(), json!([{"generated_text": "return a + b"}]));
    let full = json!({"inputs": "def f():", "parameters": {"return_full_text": true}});
    assert_eq!(post(&fake, "/", &[], full).json(), json!([{"generated_text": "def f(): return a + b"}]));

    let unknown = post(&fake, "/models/nobody/nothing", &[], json!({"inputs": "x"}));
    assert_eq!(
        (unknown.status, unknown.json()),
        (404, json!({"error": "Model nobody/nothing does not exist"}))
    );
}

#[test]
fn tgi_faults_and_chat_route() {
    let fake = FakeModel::start(Protocol::Tgi);
    fake.push(Reply::loading(20.5)).push(Reply::rate_limited(4));
    fake.push(Reply::text("abcdefghijkl").cut_after_bytes(150));
    fake.push(Reply::text("abcdefgh").malformed_after(1));
    fake.push(Reply::text("hello").usage(4, 2));
    let loading = post(&fake, "/models/joxcoder/joxcoder-7b", &[], json!({"inputs": "x"}));
    assert_eq!(
        (loading.status, loading.json()),
        (503, json!({"error": "Model joxcoder/joxcoder-7b is currently loading", "estimated_time": 20.5}))
    );
    let limited = post(&fake, "/generate", &[], generate(false));
    assert_eq!((limited.status, limited.header("retry-after")), (429, Some("4")));
    assert_eq!(limited.json(), json!({"error": "Model is overloaded", "error_type": "overloaded"}));
    let cut = post(&fake, "/generate_stream", &[], generate(true));
    assert!(!cut.complete && cut.body.len() == 150 && !cut.body.contains("\"generated_text\":\""));
    let bad = post(&fake, "/generate_stream", &[], generate(false));
    assert!(bad.body.contains("\n\ndata:{\"index\":1,\"token\":{\"id\":\n\n"));
    // TGI serves OpenAI chat completions too, whatever the model is called.
    let body =
        json!({"model": "tgi", "messages": [], "stream": true, "stream_options": {"include_usage": true}});
    let chat = post(&fake, "/v1/chat/completions", &[], body);
    assert!(chat.body.contains(r#""usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}"#));
    assert!(chat.body.ends_with("data: [DONE]\n\n"));
}

// ---------------------------------------------------------------- lifecycle

#[test]
fn fallback_rate_and_stop_on_drop() {
    let fake = FakeModel::start_with(FakeConfig {
        fallback: Some(Reply::text("again").rate(100)),
        ..FakeConfig::new(Protocol::OpenAi)
    });
    for _ in 0..2 {
        let wire = post(&fake, "/v1/chat/completions", &[], chat(false));
        assert_eq!(wire.json()["choices"][0]["message"]["content"], "again");
    }
    let addr = fake.addr();
    drop(fake);
    assert!(TcpStream::connect(addr).is_err(), "the port is closed after drop");
}
