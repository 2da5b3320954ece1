//! A guard in front of tower-lsp-server's transport.
//!
//! tower-lsp-server 0.23 answers a message it cannot decode with -32700 and then stops reading,
//! which ends the session: one bad message from a client would kill the server. So every
//! message is framed and checked here first. What the server would choke on gets the right
//! JSON-RPC error from the guard (-32700 for a body that is not JSON, -32600 for JSON that is
//! not a JSON-RPC message), and the session goes on; everything else is passed through
//! unchanged. The server's output is framed too, so the guard's own answers never land in the
//! middle of one of the server's messages.

use bytes::{Buf, Bytes, BytesMut};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::codec::{Decoder, FramedRead};
use tower_lsp_server::jsonrpc::{Request, Response};

/// Largest body accepted; anything bigger is skipped with an error.
const MAX_BODY: usize = 64 * 1024 * 1024;
/// How long the server may take to stop after `exit`.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(1);
/// Longest header block accepted.
const MAX_HEADER: usize = 8 * 1024;

/// One framed item read from a stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Body(Bytes),
    /// A header block that makes no sense; it has been skipped.
    BadHeader(String),
}

/// `Content-Length` framing that reports bad headers as items instead of ending the stream.
#[derive(Debug, Default)]
pub struct FrameCodec {
    /// Bytes of an over-large body still to skip.
    skip: usize,
}

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Self::Error> {
        if self.skip > 0 {
            let n = self.skip.min(src.len());
            src.advance(n);
            self.skip -= n;
            if self.skip > 0 {
                return Ok(None);
            }
        }
        // Stray line breaks between messages are harmless.
        while src.first().is_some_and(|b| *b == b'\r' || *b == b'\n') {
            src.advance(1);
        }
        let Some(end) = src.windows(4).position(|w| w == b"\r\n\r\n") else {
            if src.len() > MAX_HEADER {
                src.clear();
                return Ok(Some(Frame::BadHeader("header block too long".into())));
            }
            return Ok(None);
        };
        let header = String::from_utf8_lossy(&src[..end]).into_owned();
        let mut length = None;
        for line in header.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                src.advance(end + 4);
                return Ok(Some(Frame::BadHeader(format!("malformed header line {line:?}"))));
            };
            if name.trim().eq_ignore_ascii_case("content-length") {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => {
                        src.advance(end + 4);
                        return Ok(Some(Frame::BadHeader(format!("bad Content-Length {:?}", value.trim()))));
                    }
                }
            }
        }
        let Some(length) = length else {
            src.advance(end + 4);
            return Ok(Some(Frame::BadHeader("missing Content-Length header".into())));
        };
        if length > MAX_BODY {
            src.advance(end + 4);
            self.skip = length;
            return self
                .decode(src)
                .map(|_| Some(Frame::BadHeader(format!("message of {length} bytes is too large"))));
        }
        if src.len() < end + 4 + length {
            src.reserve(end + 4 + length - src.len());
            return Ok(None);
        }
        src.advance(end + 4);
        Ok(Some(Frame::Body(src.split_to(length).freeze())))
    }
}

/// Frames a body for the wire.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// What to do with one body a client sent.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Forward,
    /// Answer with this error response instead.
    Reject(Value),
}

/// Checks a body the way tower-lsp-server will decode it.
pub fn check(body: &[u8]) -> Verdict {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Verdict::Reject(error(Value::Null, -32700, &format!("Parse error: {e}"))),
    };
    let id = value.get("id").cloned().filter(|id| id.is_string() || id.is_i64() || id.is_null());
    let ok = value.is_object()
        && (serde_json::from_value::<Request>(value.clone()).is_ok()
            || serde_json::from_value::<Response>(value.clone()).is_ok());
    if ok {
        return Verdict::Forward;
    }
    let why = match &value {
        Value::Array(_) => "batches are not supported by the Language Server Protocol".to_string(),
        Value::Object(map) if map.get("jsonrpc") != Some(&json!("2.0")) => {
            "missing \"jsonrpc\": \"2.0\"".into()
        }
        Value::Object(map) if map.get("method").is_some_and(|m| !m.is_string()) => {
            "\"method\" must be a string".into()
        }
        Value::Object(map) if map.contains_key("id") && id.is_none() => {
            "\"id\" must be a number or a string".into()
        }
        Value::Object(_) => "not a request, a notification or a response".into(),
        _ => "a message must be a JSON object".into(),
    };
    Verdict::Reject(error(id.unwrap_or(Value::Null), -32600, &format!("Invalid Request: {why}")))
}

fn is_exit(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| v.get("method").is_some_and(|m| m == "exit"))
}

fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Serves `service` on `input`/`output` behind the guard. Returns when the server ends
/// (after `exit`, or when the input closes).
pub async fn serve<I, O, S>(input: I, output: O, service: S, socket: tower_lsp_server::ClientSocket)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<Request, Response = Option<Response>> + Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Future: Send,
{
    let (mut to_server, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, from_server) = tokio::io::duplex(1 << 16);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();

    // The only writer of the real output.
    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(bytes) = out_rx.recv().await {
            if output.write_all(&bytes).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    });

    // Client → guard → server. `exit` is watched for: tower-lsp-server waits for requests it
    // sent the client to be answered before it stops, and a client that sends `exit` answers
    // nothing more.
    let exit_seen = std::sync::Arc::new(tokio::sync::Notify::new());
    let on_exit = exit_seen.clone();
    let guard_tx = out_tx.clone();
    let reader = tokio::spawn(async move {
        let mut frames = FramedRead::new(input, FrameCodec::default());
        while let Some(Ok(item)) = frames.next().await {
            match item {
                Frame::Body(body) => match check(&body) {
                    Verdict::Forward => {
                        if to_server.write_all(&frame(&body)).await.is_err() {
                            break;
                        }
                        if is_exit(&body) {
                            on_exit.notify_one();
                        }
                    }
                    Verdict::Reject(answer) => {
                        tracing::warn!("answered a bad message: {answer}");
                        let _ = guard_tx.send(frame(answer.to_string().as_bytes()));
                    }
                },
                Frame::BadHeader(why) => {
                    tracing::warn!("skipped a bad header: {why}");
                    let answer = error(Value::Null, -32700, &format!("Parse error: {why}"));
                    let _ = guard_tx.send(frame(answer.to_string().as_bytes()));
                }
            }
        }
        // The client closed its side: let the server see the end of input.
        let _ = to_server.shutdown().await;
    });

    // Server → output, one whole message at a time.
    let pump = tokio::spawn(async move {
        let mut frames = FramedRead::new(from_server, FrameCodec::default());
        while let Some(Ok(Frame::Body(body))) = frames.next().await {
            if out_tx.send(frame(&body)).is_err() {
                break;
            }
        }
    });

    let server =
        tower_lsp_server::Server::new(server_in, server_out, socket).concurrency_level(64).serve(service);
    tokio::select! {
        () = server => {}
        () = async {
            exit_seen.notified().await;
            tokio::time::sleep(EXIT_GRACE).await;
        } => tracing::info!("stopping after `exit` although requests to the client are still open"),
    }
    // The server dropped its output: everything it wrote gets written before we return.
    let _ = pump.await;
    reader.abort();
    let _ = writer.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8]) -> Vec<Frame> {
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::from(bytes);
        let mut out = vec![];
        while let Some(f) = codec.decode(&mut buf).unwrap() {
            out.push(f);
        }
        out
    }

    #[test]
    fn frames_and_bad_headers() {
        let mut input = frame(b"{}");
        input.extend_from_slice(b"Content-Type: x\r\n\r\n");
        input.extend_from_slice(b"Content-Length: abc\r\n\r\n");
        input.extend_from_slice(b"garbage\r\n\r\n");
        input.extend_from_slice(&frame("{\"é\":1}".as_bytes()));
        input.extend_from_slice(b"Content-Length: 5\r\n\r\nab");
        assert_eq!(
            decode_all(&input),
            vec![
                Frame::Body(Bytes::from_static(b"{}")),
                Frame::BadHeader("missing Content-Length header".into()),
                Frame::BadHeader("bad Content-Length \"abc\"".into()),
                Frame::BadHeader("malformed header line \"garbage\"".into()),
                Frame::Body(Bytes::from("{\"é\":1}".as_bytes())),
            ]
        );
    }

    #[test]
    fn verdicts() {
        let code = |body: &str| match check(body.as_bytes()) {
            Verdict::Forward => 0,
            Verdict::Reject(v) => v["error"]["code"].as_i64().unwrap(),
        };
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#), 0);
        assert_eq!(code(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#), 0);
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"result":null}"#), 0);
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":"a","method":"x/unknown"}"#), 0);
        assert_eq!(code("{not json"), -32700);
        assert_eq!(code(r#"[{"jsonrpc":"2.0","id":1,"method":"a"}]"#), -32600);
        assert_eq!(code(r#"{"id":1,"method":"a"}"#), -32600);
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":5}"#), -32600);
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":{"x":1},"method":"a"}"#), -32600);
        assert_eq!(code("42"), -32600);
        // The id of an invalid request is kept when it is usable.
        let Verdict::Reject(v) = check(br#"{"jsonrpc":"2.0","id":7,"method":5}"#) else { panic!() };
        assert_eq!(v["id"], 7);
    }
}
