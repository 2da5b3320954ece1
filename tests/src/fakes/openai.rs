//! OpenAI chat completions: `POST /v1/chat/completions` (JSON or SSE) and `GET /v1/models`.

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use super::{
    Answer, CREATED, Call, Ctx, Fault, Finish, Frame, Reply, Wire, bearer, estimate_tokens, js, usage_of,
};

pub(crate) const SSE: &str = "text/event-stream; charset=utf-8";
pub(crate) const JSON: &str = "application/json";

/// `any_model`: accept whatever model is named (TGI's own OpenAI route ignores it).
pub(crate) struct OpenAi {
    pub any_model: bool,
}

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`.
pub(crate) fn error(
    ctx: &Ctx,
    status: StatusCode,
    message: &str,
    kind: &str,
    code: Option<&str>,
    extra: Vec<(&'static str, String)>,
) -> Answer {
    let code = code.map(js).unwrap_or_else(|| "null".into());
    let body = format!(
        r#"{{"error":{{"message":{},"type":{},"param":null,"code":{code}}}}}"#,
        js(message),
        js(kind)
    );
    let mut headers = vec![("x-request-id", format!("req_fake{}", ctx.serial))];
    headers.extend(extra);
    Answer::Plain { status, headers, content_type: JSON, body }
}

fn redacted(key: &str) -> String {
    let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{}{}{tail}", key.chars().take(3).collect::<String>(), "*".repeat(key.len().saturating_sub(7)))
}

/// Bearer auth as OpenAI answers it.
fn check_bearer(ctx: &Ctx, headers: &HeaderMap) -> Result<(), Answer> {
    let Some(expected) = &ctx.config.api_key else { return Ok(()) };
    match bearer(headers) {
        None => Err(error(
            ctx,
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an Authorization header \
             using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error",
            None,
            vec![],
        )),
        Some(key) if key != expected => Err(error(
            ctx,
            StatusCode::UNAUTHORIZED,
            &format!("Incorrect API key provided: {}.", redacted(key)),
            "invalid_request_error",
            Some("invalid_api_key"),
            vec![],
        )),
        Some(_) => Ok(()),
    }
}

fn model_not_found(ctx: &Ctx, model: &str) -> Answer {
    error(
        ctx,
        StatusCode::NOT_FOUND,
        &format!("The model `{model}` does not exist or you do not have access to it."),
        "invalid_request_error",
        Some("model_not_found"),
        vec![],
    )
}

fn finish_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "stop",
        Finish::Length => "length",
    }
}

impl Wire for OpenAi {
    fn call(
        &self,
        ctx: &Ctx,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &Value,
    ) -> Result<Call, Answer> {
        match (method.as_str(), path) {
            ("GET", "/v1/models") => {
                check_bearer(ctx, headers)?;
                let data: Vec<String> = ctx
                    .config
                    .models
                    .iter()
                    .map(|m| {
                        format!(
                            r#"{{"id":{},"object":"model","created":{CREATED},"owned_by":"fake"}}"#,
                            js(m)
                        )
                    })
                    .collect();
                let body = format!(r#"{{"object":"list","data":[{}]}}"#, data.join(","));
                Err(Answer::Plain { status: StatusCode::OK, headers: vec![], content_type: JSON, body })
            }
            ("POST", "/v1/chat/completions") => {
                check_bearer(ctx, headers)?;
                let Some(model) = body.get("model").and_then(Value::as_str) else {
                    return Err(error(
                        ctx,
                        StatusCode::BAD_REQUEST,
                        "you must provide a model parameter",
                        "invalid_request_error",
                        None,
                        vec![],
                    ));
                };
                if !self.any_model && !ctx.config.models.iter().any(|m| m == model) {
                    return Err(model_not_found(ctx, model));
                }
                Ok(Call {
                    route: "chat",
                    stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
                    model: model.to_string(),
                    prompt_tokens: estimate_tokens(&body["messages"]),
                    include_usage: body.pointer("/stream_options/include_usage").and_then(Value::as_bool)
                        == Some(true),
                    details: false,
                    prefix: String::new(),
                })
            }
            _ => Err(error(
                ctx,
                StatusCode::NOT_FOUND,
                &format!("Invalid URL ({method} {path})"),
                "invalid_request_error",
                None,
                vec![],
            )),
        }
    }

    fn fault(&self, ctx: &Ctx, call: &Call, fault: Fault) -> Answer {
        let e = |status, message: &str, kind, code, extra| error(ctx, status, message, kind, code, extra);
        match fault {
            Fault::Unauthorized => e(
                StatusCode::UNAUTHORIZED,
                "Incorrect API key provided: sk-***********fake.",
                "invalid_request_error",
                Some("invalid_api_key"),
                vec![],
            ),
            Fault::UnknownModel => model_not_found(ctx, &call.model),
            Fault::RateLimited { retry_after_secs } => e(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Rate limit reached for requests. Please try again in {retry_after_secs}s."),
                "requests",
                Some("rate_limit_exceeded"),
                vec![("retry-after", retry_after_secs.to_string())],
            ),
            Fault::ServerError => e(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
                vec![],
            ),
            Fault::Loading { .. } => e(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("Model {} is currently loading", call.model),
                "server_error",
                None,
                vec![],
            ),
            Fault::Overloaded => e(
                StatusCode::SERVICE_UNAVAILABLE,
                "The engine is currently overloaded, please try again later",
                "server_error",
                None,
                vec![],
            ),
        }
    }

    fn render(&self, ctx: &Ctx, call: &Call, _body: &Value, reply: &Reply) -> Answer {
        let id = format!("chatcmpl-fake{}", ctx.serial);
        let model = js(&call.model);
        let (prompt, completion) = usage_of(call, reply);
        let usage = format!(
            r#"{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{}}}"#,
            prompt + completion
        );
        let finish = finish_reason(reply.finish);
        let headers = vec![("x-request-id", format!("req_fake{}", ctx.serial))];
        if !call.stream {
            let body = format!(
                r#"{{"id":"{id}","object":"chat.completion","created":{CREATED},"model":{model},"choices":[{{"index":0,"message":{{"role":"assistant","content":{},"refusal":null}},"logprobs":null,"finish_reason":"{finish}"}}],"usage":{usage},"system_fingerprint":null}}"#,
                js(&reply.text)
            );
            return Answer::Frames {
                content_type: JSON,
                headers,
                streaming: false,
                frames: vec![Frame::meta(body)],
            };
        }
        // With include_usage every chunk carries `"usage":null`, and one more chunk with empty
        // choices carries the totals before `[DONE]`.
        let usage_null = if call.include_usage { r#","usage":null"# } else { "" };
        let chunk = |delta: &str, finish: &str| {
            format!(
                "data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"created\":{CREATED},\"model\":{model},\"system_fingerprint\":null,\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":{finish}}}]{usage_null}}}\n\n"
            )
        };
        let mut frames = vec![Frame::meta(chunk(r#"{"role":"assistant","content":""}"#, "null"))];
        for piece in reply.chunks() {
            frames.push(Frame::delta(chunk(&format!(r#"{{"content":{}}}"#, js(&piece)), "null")));
        }
        frames.push(Frame::meta(chunk("{}", &format!("\"{finish}\""))));
        if call.include_usage {
            frames.push(Frame::meta(format!(
                "data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"created\":{CREATED},\"model\":{model},\"system_fingerprint\":null,\"choices\":[],\"usage\":{usage}}}\n\n"
            )));
        }
        frames.push(Frame::meta("data: [DONE]\n\n".to_string()));
        Answer::Frames { content_type: SSE, headers, streaming: true, frames }
    }

    fn stream_error(&self, _call: &Call) -> String {
        "data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n".to_string()
    }

    fn malformed(&self, _call: &Call) -> String {
        "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chu\n\n".to_string()
    }
}
