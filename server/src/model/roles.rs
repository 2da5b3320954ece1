//! The roles on language models.
//!
//! - The architect answers with one JSON block holding the `AppSpec`; invalid JSON or a spec
//!   that fails validation is sent back once with the errors quoted, then reported.
//! - Code roles answer with whole files. Each file is delivered as soon as its block closes in
//!   the stream. A large plan is asked for one file per call, so no answer is cut by the
//!   model's output limit; a truncated block (unclosed fence, `finish_reason: length`, a stream
//!   that broke off) is never written: the missing files are asked for again, one per call.
//!   A reply with no usable file is answered once with the parse error, then reported.
//! - Each role gets what it needs: the spec, and the files it depends on, not the whole tree.
//! - Calls go down the chain of providers: when one fails for a reason retrying cannot fix,
//!   the next is used and the user is told.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Result, anyhow, bail};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::parse::{ParseError, StreamParser, parse_json_block};
use super::provider::{CallObserver, Completion, ModelError, Provider};
use super::wire::{Finish, Request, Usage};
use crate::config::Config;
use crate::engine::EngineName;
use crate::pipeline::{Event, Events};
use crate::prompts;
use crate::spec::{AppSpec, GeneratedFile, Role};

/// Above this many files for a role, each file gets its own call.
const FILES_PER_CALL: usize = 4;

/// What a role's model calls need from the run.
pub struct RoleCtx<'a> {
    pub role: Role,
    pub events: &'a dyn Events,
    pub cancel: &'a CancellationToken,
    /// Tokens the role used, summed over its calls.
    pub usage: Mutex<Usage>,
    /// Files already in the app, for context (path → contents).
    pub files: &'a BTreeMap<String, String>,
}

impl<'a> RoleCtx<'a> {
    pub fn new(
        role: Role,
        events: &'a dyn Events,
        cancel: &'a CancellationToken,
        files: &'a BTreeMap<String, String>,
    ) -> RoleCtx<'a> {
        RoleCtx { role, events, cancel, usage: Mutex::new(Usage::default()), files }
    }

    fn notice(&self, message: String) {
        self.events.emit(Event::Notice { role: self.role, message });
    }
}

/// The model engines of a run: the providers in fallback order, the one in use.
pub struct Models {
    chain: Vec<Provider>,
    active: AtomicUsize,
    client: reqwest::Client,
    config: Config,
    workspace: Option<PathBuf>,
}

struct Observer<'a, 'b> {
    ctx: &'a RoleCtx<'b>,
    on_text: &'a mut (dyn FnMut(&str) + Send),
}

impl CallObserver for Observer<'_, '_> {
    fn text(&mut self, delta: &str) {
        self.ctx.events.emit(Event::Stream { role: self.ctx.role, text: delta.to_string() });
        (self.on_text)(delta);
    }

    fn notice(&mut self, message: String) {
        self.ctx.notice(message);
    }
}

impl Models {
    pub fn new(
        chain: Vec<Provider>,
        client: reqwest::Client,
        config: Config,
        workspace: Option<PathBuf>,
    ) -> Models {
        Models { chain, active: AtomicUsize::new(0), client, config, workspace }
    }

    /// The model a role's calls go to (its override, else the active provider's).
    pub fn model_for(&self, role: Role) -> String {
        self.config.roles.get(&role).and_then(|s| s.model.clone()).unwrap_or_else(|| {
            self.chain[self.active.load(Ordering::Relaxed).min(self.chain.len() - 1)].model.clone()
        })
    }

    pub fn active_engine(&self) -> EngineName {
        self.chain[self.active.load(Ordering::Relaxed).min(self.chain.len() - 1)].engine
    }

    fn request(&self, role: Role, user: String) -> Request {
        let settings = self.config.roles.get(&role).cloned().unwrap_or_default();
        Request {
            system: prompts::for_workspace(role, self.workspace.as_deref()),
            user,
            max_tokens: settings.max_tokens.unwrap_or(8192),
            temperature: settings.temperature.unwrap_or(0.2),
            top_p: 0.95,
        }
    }

    /// One call down the chain. A failure retrying cannot fix moves to the next provider
    /// (and stays there for the rest of the run); a stream that broke off is returned to the
    /// caller, which keeps what was whole.
    async fn call(
        &self,
        ctx: &RoleCtx<'_>,
        req: &Request,
        on_text: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Completion, ModelError> {
        loop {
            let index = self.active.load(Ordering::Relaxed);
            let mut provider = self.chain[index].clone();
            if let Some(model) = self.config.roles.get(&ctx.role).and_then(|s| s.model.clone()) {
                provider.model = model;
            }
            let mut observer = Observer { ctx, on_text: &mut *on_text };
            match provider.complete(&self.client, req, &mut observer, ctx.cancel).await {
                Ok(done) => {
                    ctx.usage.lock().unwrap().add(&done.usage);
                    return Ok(done);
                }
                Err(
                    e @ (ModelError::Cancelled
                    | ModelError::StreamCut { .. }
                    | ModelError::IdleTimeout { .. }),
                ) => {
                    return Err(e);
                }
                Err(e) if index + 1 < self.chain.len() => {
                    let next = &self.chain[index + 1];
                    ctx.notice(format!("{e}; switching to the `{}` engine", next.engine));
                    tracing::warn!(from = %provider.engine, to = %next.engine, "falling back: {e}");
                    let _ =
                        self.active.compare_exchange(index, index + 1, Ordering::Relaxed, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The architect: idea → validated spec, with one round of corrections.
    pub async fn architect(&self, idea: &str, ctx: &RoleCtx<'_>) -> Result<AppSpec> {
        let mut user = architect_message(idea);
        let mut last_problem = String::new();
        for attempt in 0..2 {
            let done = self.call(ctx, &self.request(Role::Architect, user.clone()), &mut |_| {}).await?;
            let problem = match parse_json_block(&done.text) {
                Err(e) => e.to_string(),
                Ok(json) => match AppSpec::from_json(&json) {
                    Ok(mut spec) => {
                        spec.idea = idea.to_string();
                        return Ok(spec);
                    }
                    Err(e) => e.0.join("\n- "),
                },
            };
            if attempt == 0 {
                ctx.notice("the spec was not valid; asking the architect to correct it".into());
                user = format!(
                    "{user}\n\nYour previous answer could not be used:\n- {problem}\n\nYour previous answer was:\n\n{}\n\n\
                     Answer again with the whole corrected AppSpec as one ```json block.",
                    done.text
                );
            }
            last_problem = problem;
        }
        bail!("the architect's spec was not usable after a correction round:\n- {last_problem}")
    }

    /// A code role: its planned files, each sent on `out` as soon as it is whole.
    pub async fn files(
        &self,
        spec: &AppSpec,
        role: Role,
        ctx: &RoleCtx<'_>,
        out: mpsc::UnboundedSender<GeneratedFile>,
    ) -> Result<()> {
        let planned: Vec<String> = spec.files_of(role).map(|f| f.path.clone()).collect();
        if planned.is_empty() {
            return Ok(());
        }
        let batches: Vec<Vec<String>> = if planned.len() > FILES_PER_CALL {
            planned.iter().map(|p| vec![p.clone()]).collect()
        } else {
            vec![planned.clone()]
        };
        for batch in batches {
            self.batch(spec, role, ctx, &batch, None, &out).await?;
        }
        Ok(())
    }

    /// Asks for `wanted` files. A reply cut off (output limit, broken stream) keeps what was
    /// whole and asks for the rest one file per call; a reply lacking files is asked again
    /// once; a reply without any usable file is answered once with the parse error.
    pub async fn batch(
        &self,
        spec: &AppSpec,
        role: Role,
        ctx: &RoleCtx<'_>,
        wanted: &[String],
        repair: Option<&str>,
        out: &mpsc::UnboundedSender<GeneratedFile>,
    ) -> Result<()> {
        let mut missing: Vec<String> = wanted.to_vec();
        let mut feedback: Option<String> = None;
        let mut asked_again = false;
        loop {
            if ctx.cancel.is_cancelled() {
                bail!("cancelled");
            }
            let user = user_message(spec, role, ctx.files, &missing, repair, feedback.as_deref());
            let (delivered, outcome) = self.stream_files(ctx, spec, role, &missing, user, out).await;
            missing.retain(|p| !delivered.contains(p));
            if missing.is_empty() {
                return Ok(());
            }
            let broke_off =
                matches!(outcome, Err(ModelError::StreamCut { .. } | ModelError::IdleTimeout { .. }));
            let cut = match outcome {
                Err(ModelError::Cancelled) => bail!("cancelled"),
                Err(e @ (ModelError::StreamCut { .. } | ModelError::IdleTimeout { .. })) => e.to_string(),
                Err(e) => return Err(e.into()),
                Ok(Outcome::Truncated) => "the reply was cut off by the output limit".to_string(),
                Ok(Outcome::NoFiles(why)) if feedback.is_none() && delivered.is_empty() => {
                    ctx.notice(format!("the {role} reply had no usable file; asking again"));
                    feedback = Some(format!("Your previous reply could not be used: {why}"));
                    continue;
                }
                Ok(Outcome::NoFiles(why)) => bail!("the {role} role's replies held no usable file: {why}"),
                Ok(Outcome::Whole) if !asked_again => {
                    asked_again = true;
                    ctx.notice(format!("the {role} reply lacked {}; asking for them", missing.join(", ")));
                    continue;
                }
                Ok(Outcome::Whole) => bail!("the {role} role did not write {}", missing.join(", ")),
            };
            // A broken stream is worth one more try; an output limit is not.
            if wanted.len() == 1 && broke_off && !asked_again {
                asked_again = true;
                ctx.notice(format!("{cut}; asking for {} again", missing.join(", ")));
                continue;
            }
            if wanted.len() == 1 || asked_again {
                bail!(
                    "the {role} role could not write {} whole ({cut}); raise `autocrea.roles.{role}.maxTokens` or try another engine",
                    missing.join(", ")
                );
            }
            ctx.notice(format!("{cut}; asking for {} one file at a time", missing.join(", ")));
            for path in missing {
                Box::pin(self.batch(spec, role, ctx, std::slice::from_ref(&path), repair, out)).await?;
            }
            return Ok(());
        }
    }

    /// One streamed call; files are sent as their blocks close. Returns the paths delivered.
    async fn stream_files(
        &self,
        ctx: &RoleCtx<'_>,
        spec: &AppSpec,
        role: Role,
        wanted: &[String],
        user: String,
        out: &mpsc::UnboundedSender<GeneratedFile>,
    ) -> (Vec<String>, Result<Outcome, ModelError>) {
        let parser = Mutex::new(StreamParser::new());
        let delivered = Mutex::new(Vec::<String>::new());
        let accept = |files: Vec<super::parse::ParsedFile>| {
            for f in files {
                if !wanted.contains(&f.path) {
                    let planned_for_role = spec.files_of(role).any(|p| p.path == f.path);
                    if !planned_for_role {
                        ctx.notice(format!(
                            "ignored {:?}: the plan does not give that file to the {role} role",
                            f.path
                        ));
                    }
                    continue;
                }
                delivered.lock().unwrap().push(f.path.clone());
                let _ = out.send(GeneratedFile { path: f.path, contents: f.contents });
            }
        };
        let req = self.request(role, user);
        let result = self
            .call(ctx, &req, &mut |delta| {
                let done = parser.lock().unwrap().push(delta);
                accept(done);
            })
            .await;
        let parser = parser.into_inner().unwrap();
        let outcome = match result {
            Ok(Completion { finish: Finish::Length, .. }) => {
                // Whatever closed before the cut is whole; an open block is dropped.
                if let Ok(rest) = parser.finish() {
                    accept(rest);
                }
                Ok(Outcome::Truncated)
            }
            Ok(_) => match parser.finish() {
                Ok(rest) => {
                    accept(rest);
                    Ok(Outcome::Whole)
                }
                Err(ParseError::Truncated { .. }) => Ok(Outcome::Truncated),
                Err(e) if delivered.lock().unwrap().is_empty() => Ok(Outcome::NoFiles(e.to_string())),
                Err(_) => Ok(Outcome::Whole),
            },
            Err(e) => Err(e),
        };
        (delivered.into_inner().unwrap(), outcome)
    }

    /// The tester's diagnosis of failing tests: which files, owned by which roles, are at
    /// fault. Falls back to the files named in the failure output.
    pub async fn diagnose(
        &self,
        spec: &AppSpec,
        ctx: &RoleCtx<'_>,
        failure: &str,
    ) -> Result<Vec<(Role, String)>> {
        let user = format!(
            "{}\n\nThe tests failed. Their output (the end of it):\n\n```text\n{}\n```\n\n\
             This is a repair round. Say which files are at fault as the faults JSON block described above.",
            context(spec, Role::Tester, ctx.files, &[]),
            tail(failure, 12_000)
        );
        let done = self.call(ctx, &self.request(Role::Tester, user), &mut |_| {}).await?;
        let mut faults = Vec::new();
        if let Ok(json) = parse_json_block(&done.text)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&json)
        {
            for f in v["faults"].as_array().into_iter().flatten() {
                let Some(path) = f["path"].as_str() else { continue };
                if let Some(planned) = spec.files.iter().find(|p| p.path == path) {
                    faults.push((planned.role, planned.path.clone()));
                }
            }
        }
        if faults.is_empty() {
            faults = spec
                .files
                .iter()
                .filter(|p| failure.contains(&p.path))
                .map(|p| (p.role, p.path.clone()))
                .collect();
        }
        faults.sort();
        faults.dedup();
        if faults.is_empty() {
            return Err(anyhow!("the tester could not say which files are at fault"));
        }
        Ok(faults)
    }
}

/// Above this many characters of numbered source, the review is split into several calls.
const REVIEW_CHARS_PER_CALL: usize = 60_000;

impl Models {
    /// The security role's review of the generated files: findings checked against the files
    /// (real file, real line, one-line fix), merged by the caller with the rules' findings.
    /// `known` lists what the rules already reported, so the model looks elsewhere.
    pub async fn security_review(
        &self,
        spec: &AppSpec,
        ctx: &RoleCtx<'_>,
        known: &[String],
    ) -> Result<crate::audit::review::Review> {
        let mut batches: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
        let mut size = 0;
        for (path, text) in ctx.files {
            if size > 0 && size + text.len() > REVIEW_CHARS_PER_CALL {
                batches.push(BTreeMap::new());
                size = 0;
            }
            size += text.len();
            batches.last_mut().expect("one batch").insert(path.clone(), text.clone());
        }
        let mut review = crate::audit::review::Review::default();
        let known = if known.is_empty() { "(nothing)".to_string() } else { known.join("\n") };
        for batch in batches.iter().filter(|b| !b.is_empty()) {
            let user = format!(
                "The AppSpec:\n\n```json\n{}```\n\nThe files:{}\n\nAlready reported by the rules:\n```text\n{known}\n```\n\n\
                 Answer with the findings JSON block described above.",
                spec.to_json(),
                crate::audit::review::numbered(batch)
            );
            let done = self.call(ctx, &self.request(Role::Security, user), &mut |_| {}).await?;
            let checked = parse_json_block(&done.text)
                .map_err(|e| e.to_string())
                .and_then(|json| crate::audit::review::check(&json, batch));
            match checked {
                Ok(part) => {
                    review.findings.extend(part.findings);
                    review.dropped.extend(part.dropped);
                }
                Err(e) => review.dropped.push(format!("an answer could not be read ({e})")),
            }
        }
        Ok(review)
    }
}

enum Outcome {
    /// The reply ended normally.
    Whole,
    /// The reply was cut by the output limit, or its last block never closed.
    Truncated,
    /// The reply held no usable file.
    NoFiles(String),
}

/// What a repair round tells the role that owns a faulty file.
pub fn repair_note(failure: &str) -> String {
    format!(
        "This is a repair round. The app's tests failed with this output:\n\n```text\n{}\n```\n\n\
         Rewrite the files below so the tests pass, whole.",
        tail(failure, 12_000)
    )
}

/// The user message of the architect.
pub fn architect_message(idea: &str) -> String {
    format!(
        "The user's idea:\n\n{idea}\n\nAnswer with the AppSpec as one ```json block, following the rules above."
    )
}

/// The user message of a code role: the spec, the files it depends on, what to write.
pub fn user_message(
    spec: &AppSpec,
    role: Role,
    files: &BTreeMap<String, String>,
    wanted: &[String],
    repair: Option<&str>,
    feedback: Option<&str>,
) -> String {
    let mut msg = context(spec, role, files, wanted);
    if let Some(note) = repair {
        msg.push_str("\n\n");
        msg.push_str(note);
    }
    msg.push_str("\n\nWrite these files, whole, each in the FILE: format:\n");
    for path in wanted {
        let purpose = spec.files.iter().find(|f| &f.path == path).map(|f| f.purpose.as_str()).unwrap_or("");
        msg.push_str(&format!("- {path}: {purpose}\n"));
    }
    if let Some(feedback) = feedback {
        msg.push_str(&format!(
            "\n{feedback}\nAnswer again with only the requested files, in the FILE: format.\n"
        ));
    }
    msg
}

/// The spec and the files a role depends on.
pub fn context(spec: &AppSpec, role: Role, files: &BTreeMap<String, String>, wanted: &[String]) -> String {
    let mut msg = format!("The AppSpec:\n\n```json\n{}```", spec.to_json());
    let depends_on = |path: &str| -> bool {
        let owner = spec.files.iter().find(|f| f.path == path).map(|f| f.role);
        match role {
            // The tester reads the code it tests; devops reads how the app installs and runs.
            Role::Tester => matches!(owner, Some(Role::Backend)),
            Role::Devops => path.ends_with("requirements.txt") || path.ends_with("package.json"),
            // A repair round shows the files being rewritten.
            _ => wanted.iter().any(|w| w == path),
        }
    };
    for (path, contents) in files.iter().filter(|(p, _)| depends_on(p)) {
        msg.push_str(&format!("\n\nFILE: {path}\n```\n{contents}```"));
    }
    msg
}

fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline;

    /// The prompts every role is sent, rendered for the shop: the system prompt's first line
    /// (the whole prompt is `prompts/<role>.md`) and the user message, context included.
    #[test]
    fn rendered_prompts() {
        let spec = offline::architect("an e-commerce shop with Stripe payments").unwrap();
        let mut files = BTreeMap::new();
        for role in [Role::Backend, Role::Frontend, Role::Devops, Role::Tester] {
            for f in offline::render(&spec, role).unwrap() {
                files.insert(f.path, f.contents);
            }
        }
        // What each role has when it starts: the roles before it wrote their files.
        let before = |roles: &[Role]| -> BTreeMap<String, String> {
            files
                .iter()
                .filter(|(p, _)| spec.files.iter().any(|f| &f.path == *p && roles.contains(&f.role)))
                .map(|(p, c)| (p.clone(), c.clone()))
                .collect()
        };
        let wanted =
            |role: Role| -> Vec<String> { spec.files_of(role).map(|f| f.path.clone()).take(2).collect() };
        let system = |role: Role| prompts::builtin(role).lines().next().unwrap_or("").to_string();
        let cases = [
            (
                Role::Architect,
                architect_message(&spec.idea),
                expect_test::expect_file!["snapshots/prompt.architect.txt"],
            ),
            (
                Role::Backend,
                user_message(&spec, Role::Backend, &BTreeMap::new(), &wanted(Role::Backend), None, None),
                expect_test::expect_file!["snapshots/prompt.backend.txt"],
            ),
            (
                Role::Frontend,
                user_message(&spec, Role::Frontend, &BTreeMap::new(), &wanted(Role::Frontend), None, None),
                expect_test::expect_file!["snapshots/prompt.frontend.txt"],
            ),
            (
                Role::Devops,
                user_message(
                    &spec,
                    Role::Devops,
                    &before(&[Role::Backend, Role::Frontend]),
                    &wanted(Role::Devops),
                    None,
                    None,
                ),
                expect_test::expect_file!["snapshots/prompt.devops.txt"],
            ),
            (
                Role::Tester,
                user_message(
                    &spec,
                    Role::Tester,
                    &before(&[Role::Backend, Role::Frontend, Role::Devops]),
                    &wanted(Role::Tester)[..1],
                    None,
                    None,
                ),
                expect_test::expect_file!["snapshots/prompt.tester.txt"],
            ),
            (
                Role::Backend,
                user_message(
                    &spec,
                    Role::Backend,
                    &files,
                    &["app/routers/products.py".to_string()],
                    Some(&repair_note("FAILED tests/test_products.py::test_create - assert 200 == 201")),
                    None,
                ),
                expect_test::expect_file!["snapshots/prompt.backend-repair.txt"],
            ),
        ];
        for (role, user, expect) in cases {
            expect.assert_eq(&format!("SYSTEM (prompts/{role}.md): {}\n\nUSER:\n{user}", system(role)));
        }
    }

    #[test]
    fn each_role_gets_only_the_context_it_needs() {
        let spec = offline::architect("a blog with comments").unwrap();
        let mut files = BTreeMap::new();
        for role in [Role::Backend, Role::Frontend, Role::Devops] {
            for f in offline::render(&spec, role).unwrap() {
                files.insert(f.path, f.contents);
            }
        }
        let tester = context(&spec, Role::Tester, &files, &[]);
        assert!(tester.contains("FILE: app/main.py") && !tester.contains("FILE: static/app.js"));
        let devops = context(&spec, Role::Devops, &files, &[]);
        assert!(devops.contains("FILE: requirements.txt") && !devops.contains("FILE: app/main.py"));
        let frontend = context(&spec, Role::Frontend, &files, &[]);
        assert!(!frontend.contains("FILE: "), "the frontend works from the spec alone");
        let repair = context(&spec, Role::Backend, &files, &["app/db.py".into()]);
        assert!(repair.contains("FILE: app/db.py") && !repair.contains("FILE: app/main.py"));
    }
}
