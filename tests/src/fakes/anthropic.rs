//! Anthropic Messages: `POST /v1/messages` (JSON or SSE with `event:` lines).

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use super::openai::{JSON, SSE};
use super::{Answer, Call, Ctx, Fault, Finish, Frame, Reply, Wire, estimate_tokens, js, usage_of};

pub(crate) struct Anthropic;

/// Versions the fake accepts in `anthropic-version`.
const VERSIONS: [&str; 2] = ["2023-06-01", "2023-01-01"];

/// Anthropic's error body: `{"type":"error","error":{"type","message"},"request_id"}`.
fn error(ctx: &Ctx, status: u16, kind: &str, message: &str, extra: Vec<(&'static str, String)>) -> Answer {
    let request_id = format!("req_fake{}", ctx.serial);
    let body = format!(
        r#"{{"type":"error","error":{{"type":{},"message":{}}},"request_id":"{request_id}"}}"#,
        js(kind),
        js(message)
    );
    let mut headers = vec![("request-id", request_id)];
    headers.extend(extra);
    Answer::Plain {
        status: StatusCode::from_u16(status).expect("valid status"),
        headers,
        content_type: JSON,
        body,
    }
}

fn stop_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "end_turn",
        Finish::Length => "max_tokens",
    }
}

fn event(name: &str, data: String) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

impl Wire for Anthropic {
    fn call(
        &self,
        ctx: &Ctx,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &Value,
    ) -> Result<Call, Answer> {
        if (method.as_str(), path) != ("POST", "/v1/messages") {
            return Err(error(ctx, 404, "not_found_error", "Not Found", vec![]));
        }
        if let Some(expected) = &ctx.config.api_key {
            match headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
                None => {
                    return Err(error(
                        ctx,
                        401,
                        "authentication_error",
                        "x-api-key header is required",
                        vec![],
                    ));
                }
                Some(key) if key != expected => {
                    return Err(error(ctx, 401, "authentication_error", "invalid x-api-key", vec![]));
                }
                Some(_) => {}
            }
        }
        match headers.get("anthropic-version").and_then(|v| v.to_str().ok()) {
            None => {
                return Err(error(
                    ctx,
                    400,
                    "invalid_request_error",
                    "anthropic-version: header is required",
                    vec![],
                ));
            }
            Some(v) if !VERSIONS.contains(&v) => {
                return Err(error(
                    ctx,
                    400,
                    "invalid_request_error",
                    &format!("anthropic-version: invalid version `{v}`"),
                    vec![],
                ));
            }
            Some(_) => {}
        }
        let model = body.get("model").and_then(Value::as_str).unwrap_or_default();
        if !ctx.config.models.iter().any(|m| m == model) {
            return Err(error(ctx, 404, "not_found_error", &format!("model: {model}"), vec![]));
        }
        if body.get("max_tokens").and_then(Value::as_u64).is_none() {
            return Err(error(ctx, 400, "invalid_request_error", "max_tokens: Field required", vec![]));
        }
        Ok(Call {
            route: "messages",
            stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
            model: model.to_string(),
            prompt_tokens: estimate_tokens(&serde_json::json!([body["system"], body["messages"]])),
            include_usage: false,
            details: false,
            prefix: String::new(),
        })
    }

    fn fault(&self, ctx: &Ctx, call: &Call, fault: Fault) -> Answer {
        match fault {
            Fault::Unauthorized => error(ctx, 401, "authentication_error", "invalid x-api-key", vec![]),
            Fault::UnknownModel => {
                error(ctx, 404, "not_found_error", &format!("model: {}", call.model), vec![])
            }
            Fault::RateLimited { retry_after_secs } => error(
                ctx,
                429,
                "rate_limit_error",
                "This request would exceed the rate limit for your organization. Please try again later.",
                vec![("retry-after", retry_after_secs.to_string())],
            ),
            Fault::ServerError => error(ctx, 500, "api_error", "Internal server error", vec![]),
            Fault::Loading { .. } | Fault::Overloaded => {
                error(ctx, 529, "overloaded_error", "Overloaded", vec![])
            }
        }
    }

    fn render(&self, ctx: &Ctx, call: &Call, _body: &Value, reply: &Reply) -> Answer {
        let id = format!("msg_fake{}", ctx.serial);
        let model = js(&call.model);
        let (input, output) = usage_of(call, reply);
        let stop = stop_reason(reply.finish);
        let headers = vec![("request-id", format!("req_fake{}", ctx.serial))];
        if !call.stream {
            let body = format!(
                r#"{{"id":"{id}","type":"message","role":"assistant","model":{model},"content":[{{"type":"text","text":{}}}],"stop_reason":"{stop}","stop_sequence":null,"usage":{{"input_tokens":{input},"output_tokens":{output}}}}}"#,
                js(&reply.text)
            );
            return Answer::Frames {
                content_type: JSON,
                headers,
                streaming: false,
                frames: vec![Frame::meta(body)],
            };
        }
        let mut frames = vec![
            Frame::meta(event(
                "message_start",
                format!(
                    r#"{{"type":"message_start","message":{{"id":"{id}","type":"message","role":"assistant","model":{model},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{input},"output_tokens":1}}}}}}"#
                ),
            )),
            Frame::meta(event(
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#
                    .into(),
            )),
            Frame::meta(event("ping", r#"{"type":"ping"}"#.into())),
        ];
        for piece in reply.chunks() {
            frames.push(Frame::delta(event(
                "content_block_delta",
                format!(
                    r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{}}}}}"#,
                    js(&piece)
                ),
            )));
        }
        frames.push(Frame::meta(event(
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#.into(),
        )));
        frames.push(Frame::meta(event(
            "message_delta",
            format!(
                r#"{{"type":"message_delta","delta":{{"stop_reason":"{stop}","stop_sequence":null}},"usage":{{"output_tokens":{output}}}}}"#
            ),
        )));
        frames.push(Frame::meta(event("message_stop", r#"{"type":"message_stop"}"#.into())));
        Answer::Frames { content_type: SSE, headers, streaming: true, frames }
    }

    fn stream_error(&self, _call: &Call) -> String {
        event(
            "error",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.into(),
        )
    }

    fn malformed(&self, _call: &Call) -> String {
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_del\n\n"
            .to_string()
    }
}
