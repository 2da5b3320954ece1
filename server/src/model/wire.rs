//! The wire formats, as pure functions: request bodies, and decoders that turn a provider's
//! SSE events (or whole JSON answers) into text deltas, a finish reason and token usage.
//!
//! - OpenAI chat completions (also TGI's and the Hugging Face router's `/v1/chat/completions`,
//!   Ollama, llama.cpp, vLLM): `choices[0].delta.content`, `finish_reason`, a usage chunk
//!   (`stream_options.include_usage`), `data: [DONE]`.
//! - Anthropic Messages: `message_start` (input tokens), `content_block_delta` (`text_delta`),
//!   `message_delta` (stop reason, output tokens), `message_stop`, `error`.
//! - Text Generation Inference `/generate_stream`: `token.text` per event, the last event with
//!   `generated_text` and `details` (`finish_reason`, `generated_tokens`).
//! - The Hugging Face Inference API text-generation task (and TGI `/generate`): one JSON answer,
//!   `[{"generated_text"}]` or `{"generated_text", "details"}`.

use serde_json::{Value, json};

/// How to talk to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OpenAI-compatible `POST {base}/chat/completions`, streamed.
    OpenAiChat,
    /// Anthropic `POST {base}/v1/messages`, streamed.
    Anthropic,
    /// TGI `POST {base}/generate_stream`.
    TgiStream,
    /// TGI `POST {base}/generate` (no streaming).
    TgiGenerate,
    /// Hugging Face Inference API text-generation task: `POST {url}` with `inputs`.
    HfInference,
}

impl Protocol {
    pub fn streams(self) -> bool {
        matches!(self, Protocol::OpenAiChat | Protocol::Anthropic | Protocol::TgiStream)
    }
}

/// One call to a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub system: String,
    pub user: String,
    pub max_tokens: u32,
    pub temperature: f32,
    pub top_p: f32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The model ended its answer.
    Stop,
    /// The answer was cut by the output limit.
    Length,
    Other(String),
}

impl Finish {
    fn from_reason(reason: &str) -> Finish {
        match reason {
            "stop" | "end_turn" | "stop_sequence" | "eos_token" | "stop_token" => Finish::Stop,
            "length" | "max_tokens" | "model_length" => Finish::Length,
            other => Finish::Other(other.to_string()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    /// Not reported by the server: estimated from the text (about 4 characters a token).
    pub estimated: bool,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.input + self.output
    }

    pub fn add(&mut self, other: &Usage) {
        self.input += other.input;
        self.output += other.output;
        self.estimated |= other.estimated;
    }
}

/// A rough token count, for servers that do not report usage.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// The path (relative to the configured URL) and JSON body of a call.
pub fn request_body(protocol: Protocol, model: &str, req: &Request) -> (&'static str, Value) {
    match protocol {
        Protocol::OpenAiChat => (
            "/chat/completions",
            json!({
                "model": model,
                "messages": [
                    {"role": "system", "content": req.system},
                    {"role": "user", "content": req.user},
                ],
                "max_tokens": req.max_tokens,
                "temperature": req.temperature,
                "top_p": req.top_p,
                "stream": true,
                "stream_options": {"include_usage": true},
            }),
        ),
        Protocol::Anthropic => (
            "/v1/messages",
            json!({
                "model": model,
                "system": req.system,
                "messages": [{"role": "user", "content": req.user}],
                "max_tokens": req.max_tokens,
                "temperature": req.temperature,
                "stream": true,
            }),
        ),
        Protocol::TgiStream | Protocol::TgiGenerate | Protocol::HfInference => {
            let path = match protocol {
                Protocol::TgiStream => "/generate_stream",
                Protocol::TgiGenerate => "/generate",
                _ => "",
            };
            let mut parameters = json!({
                "max_new_tokens": req.max_tokens,
                "temperature": req.temperature.max(0.01),
                "top_p": req.top_p.clamp(0.01, 0.99),
                "do_sample": req.temperature > 0.0,
                "return_full_text": false,
            });
            if protocol != Protocol::HfInference {
                parameters["details"] = json!(true);
            }
            (path, json!({"inputs": prompt_text(req), "parameters": parameters}))
        }
    }
}

/// A single prompt for the text-generation protocols, which take no roles.
pub fn prompt_text(req: &Request) -> String {
    format!("{}\n\n### Request\n\n{}\n\n### Response\n\n", req.system.trim_end(), req.user.trim_end())
}

/// What one event contributed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    pub text: String,
    pub finish: Option<Finish>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The stream is complete (`[DONE]`, `message_stop`, TGI's last event).
    pub done: bool,
}

/// Decodes one SSE event (`event` name, may be empty, and `data`).
pub fn decode_event(protocol: Protocol, event: &str, data: &str) -> Result<Step, String> {
    let mut step = Step::default();
    if protocol == Protocol::OpenAiChat && data.trim() == "[DONE]" {
        step.done = true;
        return Ok(step);
    }
    if data.trim().is_empty() {
        return Ok(step);
    }
    let v: Value =
        serde_json::from_str(data).map_err(|e| format!("an event is not JSON ({e}): {}", clip(data)))?;
    match protocol {
        Protocol::OpenAiChat => {
            if let Some(err) = v.get("error") {
                return Err(error_message(err));
            }
            if let Some(choice) = v["choices"].get(0) {
                if let Some(t) = choice["delta"]["content"].as_str() {
                    step.text = t.to_string();
                }
                if let Some(r) = choice["finish_reason"].as_str() {
                    step.finish = Some(Finish::from_reason(r));
                }
            }
            if let Some(usage) = v.get("usage").filter(|u| u.is_object()) {
                step.input_tokens = usage["prompt_tokens"].as_u64();
                step.output_tokens = usage["completion_tokens"].as_u64();
            }
        }
        Protocol::Anthropic => {
            match if event.is_empty() { v["type"].as_str().unwrap_or("") } else { event } {
                "message_start" => step.input_tokens = v["message"]["usage"]["input_tokens"].as_u64(),
                "content_block_delta" if v["delta"]["type"] == "text_delta" => {
                    step.text = v["delta"]["text"].as_str().unwrap_or_default().to_string();
                }
                "message_delta" => {
                    step.finish = v["delta"]["stop_reason"].as_str().map(Finish::from_reason);
                    step.output_tokens = v["usage"]["output_tokens"].as_u64();
                }
                "message_stop" => step.done = true,
                "error" => return Err(error_message(&v["error"])),
                _ => {}
            }
        }
        Protocol::TgiStream => {
            if let Some(err) = v.get("error").and_then(Value::as_str) {
                return Err(err.to_string());
            }
            if v["token"]["special"] != true {
                step.text = v["token"]["text"].as_str().unwrap_or_default().to_string();
            }
            if !v["generated_text"].is_null() {
                step.done = true;
                step.finish = v["details"]["finish_reason"].as_str().map(Finish::from_reason);
                step.output_tokens = v["details"]["generated_tokens"].as_u64();
            }
        }
        Protocol::TgiGenerate | Protocol::HfInference => return Err("this protocol does not stream".into()),
    }
    Ok(step)
}

/// Decodes a whole (non-streamed) answer of TGI `/generate` or the Inference API.
pub fn decode_whole(body: &str) -> Result<Step, String> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| format!("the answer is not JSON ({e}): {}", clip(body)))?;
    let item = match &v {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let Some(text) = item["generated_text"].as_str() else {
        return Err(format!("no generated_text in the answer: {}", clip(body)));
    };
    Ok(Step {
        text: text.to_string(),
        finish: item["details"]["finish_reason"].as_str().map(Finish::from_reason),
        input_tokens: None,
        output_tokens: item["details"]["generated_tokens"].as_u64(),
        done: true,
    })
}

/// The message in a provider's error JSON (`{"error": {"message"}}`, `{"error": "…"}`, …).
pub fn error_message(v: &Value) -> String {
    let pick = |v: &Value| v["message"].as_str().or(v.as_str()).map(str::to_string);
    pick(v)
        .or_else(|| pick(&v["error"]))
        .or_else(|| v["detail"].as_str().map(str::to_string))
        .unwrap_or_else(|| clip(&v.to_string()))
}

fn clip(s: &str) -> String {
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_events() {
        let p = Protocol::OpenAiChat;
        let s =
            decode_event(p, "", r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#);
        assert_eq!(s.unwrap().text, "Hi");
        let s =
            decode_event(p, "", r#"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#).unwrap();
        assert_eq!(s.finish, Some(Finish::Length));
        let s = decode_event(p, "", r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34}}"#)
            .unwrap();
        assert_eq!((s.input_tokens, s.output_tokens), (Some(12), Some(34)));
        assert!(decode_event(p, "", "[DONE]").unwrap().done);
        assert!(decode_event(p, "", "{oops").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn anthropic_events() {
        let p = Protocol::Anthropic;
        let s = decode_event(
            p,
            "message_start",
            r#"{"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}"#,
        );
        assert_eq!(s.unwrap().input_tokens, Some(25));
        let s = decode_event(
            p,
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
        );
        assert_eq!(s.unwrap().text, "Hello");
        let s = decode_event(
            p,
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":15}}"#,
        )
        .unwrap();
        assert_eq!((s.finish, s.output_tokens), (Some(Finish::Length), Some(15)));
        assert!(decode_event(p, "message_stop", r#"{"type":"message_stop"}"#).unwrap().done);
        let e = decode_event(
            p,
            "error",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert_eq!(e.unwrap_err(), "Overloaded");
    }

    #[test]
    fn tgi_events_and_whole_answers() {
        let p = Protocol::TgiStream;
        let s = decode_event(
            p,
            "",
            r#"{"token":{"id":1,"text":" world","logprob":-0.1,"special":false},"generated_text":null,"details":null}"#,
        );
        assert_eq!(s.unwrap().text, " world");
        let s = decode_event(p, "", r#"{"token":{"id":2,"text":"</s>","logprob":0,"special":true},"generated_text":"Hello world","details":{"finish_reason":"eos_token","generated_tokens":2}}"#).unwrap();
        assert_eq!(
            (s.text.as_str(), s.done, s.finish, s.output_tokens),
            ("", true, Some(Finish::Stop), Some(2))
        );
        assert_eq!(decode_whole(r#"[{"generated_text":"abc"}]"#).unwrap().text, "abc");
        let s = decode_whole(
            r#"{"generated_text":"x","details":{"finish_reason":"length","generated_tokens":9}}"#,
        )
        .unwrap();
        assert_eq!((s.finish, s.output_tokens), (Some(Finish::Length), Some(9)));
        assert!(decode_whole(r#"{"error":"Model is loading"}"#).is_err());
    }

    #[test]
    fn bodies() {
        let req =
            Request { system: "S".into(), user: "U".into(), max_tokens: 100, temperature: 0.2, top_p: 0.95 };
        let (path, body) = request_body(Protocol::OpenAiChat, "m", &req);
        assert_eq!(path, "/chat/completions");
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["messages"][0]["role"], "system");
        let (path, body) = request_body(Protocol::Anthropic, "c", &req);
        assert_eq!((path, &body["system"], &body["max_tokens"]), ("/v1/messages", &json!("S"), &json!(100)));
        let (path, body) = request_body(Protocol::HfInference, "j", &req);
        assert_eq!(path, "");
        assert_eq!(body["parameters"]["return_full_text"], false);
        assert_eq!(body["parameters"]["max_new_tokens"], 100);
        assert!(body["inputs"].as_str().unwrap().contains("### Request\n\nU"));
    }
}
