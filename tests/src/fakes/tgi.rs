//! Hugging Face: TGI's `/generate` and `/generate_stream`, the Inference API text-generation
//! task at `/models/<model>` and `/`, and TGI's OpenAI-compatible `/v1/chat/completions`.
//!
//! TGI writes SSE as `data:{json}` with no space after the colon (both forms are valid SSE; its
//! documentation shows this one), so clients must not expect `data: `.

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use super::openai::{JSON, OpenAi};
use super::{Answer, Call, Ctx, Fault, Finish, Frame, Reply, Wire, bearer, estimate_tokens, js, usage_of};

pub(crate) struct Tgi;

/// TGI's own OpenAI-compatible route ignores the model name.
const CHAT: OpenAi = OpenAi { any_model: true };

fn plain(status: u16, body: String, extra: Vec<(&'static str, String)>) -> Answer {
    Answer::Plain {
        status: StatusCode::from_u16(status).expect("valid status"),
        headers: extra,
        content_type: JSON,
        body,
    }
}

/// The Inference API's error body: `{"error": "..."}`.
fn hf_error(status: u16, message: &str, extra: Vec<(&'static str, String)>) -> Answer {
    plain(status, format!(r#"{{"error":{}}}"#, js(message)), extra)
}

/// TGI's error body: `{"error": "...", "error_type": "..."}`.
fn tgi_error(status: u16, message: &str, kind: &str, extra: Vec<(&'static str, String)>) -> Answer {
    plain(status, format!(r#"{{"error":{},"error_type":{}}}"#, js(message), js(kind)), extra)
}

fn loading(model: &str, estimated_secs: f32) -> Answer {
    plain(
        503,
        format!(
            r#"{{"error":{},"estimated_time":{estimated_secs:?}}}"#,
            js(&format!("Model {model} is currently loading"))
        ),
        vec![],
    )
}

fn finish_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "eos_token",
        Finish::Length => "length",
    }
}

fn token(index: usize, text: &str) -> String {
    format!(r#"{{"id":{},"text":{},"logprob":-0.5,"special":false}}"#, 1000 + index, js(text))
}

const EOS: &str = r#"{"id":2,"text":"</s>","logprob":-0.1,"special":true}"#;

impl Wire for Tgi {
    fn call(
        &self,
        ctx: &Ctx,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &Value,
    ) -> Result<Call, Answer> {
        if path.starts_with("/v1/") {
            return CHAT.call(ctx, method, path, headers, body);
        }
        let first = ctx.config.models[0].clone();
        let (route, model, stream) = match (method.as_str(), path) {
            ("POST", "/generate") => ("generate", first, false),
            ("POST", "/generate_stream") => ("generate_stream", first, true),
            ("POST", "/") => ("task", first, body.get("stream").and_then(Value::as_bool) == Some(true)),
            ("POST", p) if p.starts_with("/models/") => (
                "task",
                p["/models/".len()..].to_string(),
                body.get("stream").and_then(Value::as_bool) == Some(true),
            ),
            _ => return Err(hf_error(404, "Not Found", vec![])),
        };
        if let Some(expected) = &ctx.config.api_key
            && bearer(headers) != Some(expected.as_str())
        {
            return Err(hf_error(401, "Invalid credentials in Authorization header", vec![]));
        }
        if !ctx.config.models.contains(&model) {
            return Err(hf_error(404, &format!("Model {model} does not exist"), vec![]));
        }
        let Some(inputs) = body.get("inputs").and_then(Value::as_str) else {
            return Err(tgi_error(
                422,
                "Failed to deserialize the JSON body: missing field `inputs`",
                "validation",
                vec![],
            ));
        };
        let params = &body["parameters"];
        let full_text = params.get("return_full_text").and_then(Value::as_bool) == Some(true);
        Ok(Call {
            route,
            stream,
            model,
            prompt_tokens: estimate_tokens(&Value::String(inputs.to_string())),
            include_usage: false,
            details: params.get("details").and_then(Value::as_bool) == Some(true),
            prefix: if full_text { inputs.to_string() } else { String::new() },
        })
    }

    fn fault(&self, ctx: &Ctx, call: &Call, fault: Fault) -> Answer {
        if call.route == "chat" {
            return match fault {
                Fault::Loading { estimated_secs } => loading(&call.model, estimated_secs),
                _ => CHAT.fault(ctx, call, fault),
            };
        }
        let tgi = call.route != "task";
        match fault {
            Fault::Unauthorized => hf_error(401, "Invalid credentials in Authorization header", vec![]),
            Fault::UnknownModel => hf_error(404, &format!("Model {} does not exist", call.model), vec![]),
            Fault::Loading { estimated_secs } => loading(&call.model, estimated_secs),
            Fault::RateLimited { retry_after_secs } => {
                let retry = vec![("retry-after", retry_after_secs.to_string())];
                match tgi {
                    true => tgi_error(429, "Model is overloaded", "overloaded", retry),
                    false => hf_error(
                        429,
                        "Rate limit reached. You reached free usage limit (reset hourly). Please subscribe to a plan \
                         at https://huggingface.co/pricing to use the API at this rate",
                        retry,
                    ),
                }
            }
            Fault::ServerError => match tgi {
                true => tgi_error(500, "Incomplete generation", "incomplete_generation", vec![]),
                false => hf_error(500, "Internal Server Error", vec![]),
            },
            Fault::Overloaded => match tgi {
                true => tgi_error(429, "Model is overloaded", "overloaded", vec![]),
                false => hf_error(503, "Service Unavailable", vec![]),
            },
        }
    }

    fn render(&self, ctx: &Ctx, call: &Call, body: &Value, reply: &Reply) -> Answer {
        if call.route == "chat" {
            return CHAT.render(ctx, call, body, reply);
        }
        let chunks = reply.chunks();
        let (prompt, completion) = usage_of(call, reply);
        let finish = finish_reason(reply.finish);
        let generated = js(&format!("{}{}", call.prefix, reply.text));
        if !call.stream {
            let details = if call.details {
                let mut tokens: Vec<String> = chunks.iter().enumerate().map(|(i, c)| token(i, c)).collect();
                if reply.finish == Finish::Stop {
                    tokens.push(EOS.to_string());
                }
                format!(
                    r#","details":{{"finish_reason":"{finish}","generated_tokens":{completion},"seed":null,"prefill":[],"tokens":[{}]}}"#,
                    tokens.join(",")
                )
            } else {
                String::new()
            };
            let object = format!(r#"{{"generated_text":{generated}{details}}}"#);
            let body = if call.route == "task" { format!("[{object}]") } else { object };
            return Answer::Frames {
                content_type: JSON,
                headers: vec![],
                streaming: false,
                frames: vec![Frame::meta(body)],
            };
        }
        let details = if call.details {
            format!(
                r#"{{"finish_reason":"{finish}","generated_tokens":{completion},"seed":null,"input_length":{prompt}}}"#
            )
        } else {
            "null".to_string()
        };
        let event = |index: usize, token: &str, last: bool| {
            let (text, details) =
                if last { (generated.as_str(), details.as_str()) } else { ("null", "null") };
            format!(r#"data:{{"index":{index},"token":{token},"generated_text":{text},"details":{details}}}"#)
                + "\n\n"
        };
        let eos = reply.finish == Finish::Stop;
        let mut frames: Vec<Frame> = chunks
            .iter()
            .enumerate()
            .map(|(i, c)| Frame::delta(event(i + 1, &token(i, c), !eos && i + 1 == chunks.len())))
            .collect();
        if eos || chunks.is_empty() {
            frames.push(Frame::meta(event(chunks.len() + 1, EOS, true)));
        }
        Answer::Frames { content_type: "text/event-stream", headers: vec![], streaming: true, frames }
    }

    fn stream_error(&self, call: &Call) -> String {
        if call.route == "chat" {
            return CHAT.stream_error(call);
        }
        "data:{\"error\":\"Request failed during generation: Server error: Model is overloaded\",\"error_type\":\"generation\"}\n\n"
            .to_string()
    }

    fn malformed(&self, call: &Call) -> String {
        if call.route == "chat" {
            return CHAT.malformed(call);
        }
        "data:{\"index\":1,\"token\":{\"id\":\n\n".to_string()
    }
}
