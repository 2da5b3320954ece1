//! A scripted model for the fake providers: it answers what each call asks for from the
//! offline engine's output (the architect's spec, a role's files), so a generation through
//! any engine must produce the offline app byte for byte. Tests inject faults into chosen
//! answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use autocrea::offline;
use autocrea::spec::AppSpec;
use serde_json::Value;

use crate::fakes::{FakeConfig, FakeModel, Protocol, Reply, Responder};

/// The text a call asked for: the user message (chat protocols) or the prompt (TGI, HF).
pub fn prompt_of(body: &Value) -> String {
    if let Some(inputs) = body["inputs"].as_str() {
        return inputs.to_string();
    }
    body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string()
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let to = s[from..].find(end)? + from;
    Some(&s[from..to])
}

/// The files a code-role call asks for.
pub fn wanted_files(prompt: &str) -> Vec<String> {
    let Some(list) = prompt.split("Write these files, whole, each in the FILE: format:\n").nth(1) else {
        return vec![];
    };
    list.lines()
        .take_while(|l| l.starts_with("- "))
        .filter_map(|l| l[2..].split(':').next().map(str::to_string))
        .collect()
}

/// A reply holding `paths` in the canonical format, rendered by the offline engine.
pub fn files_reply(spec: &AppSpec, paths: &[String]) -> String {
    let mut out = String::from("Here are the files.\n\n");
    for path in paths {
        let role = spec.files.iter().find(|f| &f.path == path).map(|f| f.role).expect("planned");
        let file = offline::render(spec, role).unwrap().into_iter().find(|f| &f.path == path).unwrap();
        let fence = if file.contents.contains("```") { "````" } else { "```" };
        out.push_str(&format!("FILE: {path}\n{fence}\n{}{fence}\n\n", file.contents));
    }
    out
}

/// What the scripted model answers for a call, before any fault.
pub fn answer(prompt: &str) -> Option<String> {
    if let Some(idea) = between(prompt, "The user's idea:\n\n", "\n\nAnswer with the AppSpec") {
        let spec = offline::architect(idea).ok()?;
        return Some(format!("Here is the plan.\n\n```json\n{}```\n", spec.to_json()));
    }
    // The security role's review: the offline app has nothing the rules missed.
    if prompt.contains("Already reported by the rules:") {
        return Some("Reviewed.\n\n```json\n{\"findings\": []}\n```\n".to_string());
    }
    let spec = AppSpec::from_json(between(prompt, "The AppSpec:\n\n```json\n", "```")?).ok()?;
    let wanted = wanted_files(prompt);
    if !wanted.is_empty() {
        return Some(files_reply(&spec, &wanted));
    }
    None
}

/// A fake whose model answers from the offline engine; `tweak` may change an answer (the
/// call's prompt, the reply, how many calls so far) to inject a fault.
pub fn scripted(
    protocol: Protocol,
    key: Option<&str>,
    tweak: impl Fn(&str, Reply, usize) -> Reply + Send + Sync + 'static,
) -> FakeModel {
    let calls = AtomicUsize::new(0);
    let responder = Responder(Arc::new(move |body: &Value| {
        let prompt = prompt_of(body);
        // A call the scripted model has no answer for gets an empty reply, unless `tweak` gives one.
        let text = answer(&prompt).unwrap_or_default();
        let n = calls.fetch_add(1, Ordering::SeqCst);
        Some(tweak(&prompt, Reply::text(text).chunk_chars(64), n))
    }));
    let mut config = FakeConfig::new(protocol);
    config.api_key = key.map(str::to_string);
    config.responder = Some(responder);
    FakeModel::start_with(config)
}

pub fn plain(protocol: Protocol, key: Option<&str>) -> FakeModel {
    scripted(protocol, key, |_, reply, _| reply)
}
