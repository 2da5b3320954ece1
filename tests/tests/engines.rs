//! The model engines end to end, against fake providers on 127.0.0.1 that speak each wire
//! format. The fake "model" answers what it is asked from the offline engine's output, so a
//! generation through any engine must produce exactly the offline app, byte for byte; faults
//! are injected into chosen answers.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use autocrea_e2e::fakes::{FakeModel, Finish, Protocol, Reply};
use autocrea_e2e::scripted::{answer, plain, prompt_of, scripted, wanted_files};
use autocrea_e2e::{Lsp, cli, cli_with_env, initialize_params, planned_files};
use serde_json::{Value, json};

const IDEA: &str = "a blog with comments";

/// The offline app, as the reference every engine must reproduce.
fn reference() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) =
        cli(&["generate", IDEA, "--dir", dir.path().to_str().unwrap(), "--engine", "offline", "--no-tests"]);
    assert_eq!(code, 0, "{err}");
    dir
}

fn assert_same_app(dir: &Path, reference: &Path) {
    let planned = planned_files(dir);
    assert!(planned.len() > 10);
    for rel in &planned {
        assert_eq!(
            std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")),
            std::fs::read_to_string(reference.join(rel)).unwrap(),
            "{rel} differs from what the model wrote"
        );
    }
    let tmp: Vec<String> =
        autocrea_e2e::files_below(dir).into_iter().filter(|f| f.ends_with(".tmp")).collect();
    assert!(tmp.is_empty(), "temporary files left: {tmp:?}");
}

/// `autocrea generate` with the environment of one engine; returns (exit code, summary, stderr).
fn generate(env: &[(&str, &str)], dir: &Path, engine: &str) -> (i32, Value, String) {
    let (code, out, err) = cli_with_env(
        &["generate", IDEA, "--dir", dir.to_str().unwrap(), "--engine", engine, "--no-tests", "--json"],
        env,
    );
    let summary = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, summary, err)
}

struct EngineCase {
    name: &'static str,
    engine: &'static str,
    protocol: Protocol,
    env: fn(&str) -> Vec<(&'static str, String)>,
    key: Option<&'static str>,
    auth_header: Option<(&'static str, &'static str)>,
}

const CASES: &[EngineCase] = &[
    EngineCase {
        name: "joxcoder over TGI generate_stream",
        engine: "joxcoder",
        protocol: Protocol::Tgi,
        env: |url| vec![("JOXCODER_API_URL", url.to_string()), ("JOXCODER_API_KEY", "hf_test_key".into())],
        key: Some("hf_test_key"),
        auth_header: Some(("authorization", "Bearer hf_test_key")),
    },
    EngineCase {
        name: "joxcoder over the HF Inference API",
        engine: "joxcoder",
        protocol: Protocol::Tgi,
        env: |url| {
            vec![
                ("JOXCODER_API_URL", format!("{url}/models/joxcoder/joxcoder-7b")),
                ("JOXCODER_API_KEY", "hf_test_key".into()),
            ]
        },
        key: Some("hf_test_key"),
        auth_header: Some(("authorization", "Bearer hf_test_key")),
    },
    EngineCase {
        name: "joxcoder over the OpenAI-compatible chat route",
        engine: "joxcoder",
        protocol: Protocol::Tgi,
        env: |url| {
            vec![
                ("JOXCODER_API_URL", format!("{url}/v1")),
                ("JOXCODER_API_KEY", "hf_test_key".into()),
                ("JOXCODER_MODEL", "joxcoder/joxcoder-7b".into()),
            ]
        },
        key: Some("hf_test_key"),
        auth_header: Some(("authorization", "Bearer hf_test_key")),
    },
    EngineCase {
        name: "openai",
        engine: "openai",
        protocol: Protocol::OpenAi,
        env: |url| {
            vec![("OPENAI_API_KEY", "sk-test-openai".into()), ("OPENAI_BASE_URL", format!("{url}/v1"))]
        },
        key: Some("sk-test-openai"),
        auth_header: Some(("authorization", "Bearer sk-test-openai")),
    },
    EngineCase {
        name: "anthropic",
        engine: "anthropic",
        protocol: Protocol::Anthropic,
        env: |url| vec![("ANTHROPIC_API_KEY", "sk-ant-test".into()), ("ANTHROPIC_BASE_URL", url.to_string())],
        key: Some("sk-ant-test"),
        auth_header: Some(("x-api-key", "sk-ant-test")),
    },
    EngineCase {
        name: "a local OpenAI-compatible server",
        engine: "local",
        protocol: Protocol::OpenAi,
        env: |url| {
            vec![
                ("AUTOCREA_LOCAL_BASE_URL", format!("{url}/v1")),
                ("AUTOCREA_LOCAL_MODEL", "gpt-4o-mini".into()),
            ]
        },
        key: None,
        auth_header: None,
    },
];

/// A whole generation through each engine kind, over LSP, from scripted answers: the app is
/// the offline one byte for byte, text streams to the client, tokens are counted, the key is
/// sent where the protocol wants it and never logged.
#[test]
fn whole_generation_through_each_engine_over_lsp() {
    let reference = reference();
    for case in CASES {
        let fake = plain(case.protocol, case.key);
        let env = (case.env)(&fake.url());
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let root = tempfile::tempdir().unwrap();
        let mut env = env;
        env.push(("AUTOCREA_LOG", "trace"));
        let mut lsp = Lsp::spawn_with_env(&["lsp"], &env);
        lsp.initialize(initialize_params("vscode", root.path()));
        let dir = root.path().join("blog");
        let summary = lsp
            .request(
                "workspace/executeCommand",
                json!({"command": "autocrea.generate", "arguments": [{"idea": IDEA, "dir": dir, "wait": true, "runTests": false}]}),
            )
            .unwrap();
        assert_eq!(summary["status"], "succeeded", "{}: {summary:#}", case.name);
        assert_eq!(summary["engine"], case.engine, "{}", case.name);
        assert!(summary["tokens"]["output"].as_u64().unwrap() > 0, "{}: tokens counted", case.name);
        for role in summary["roles"].as_array().unwrap().iter().filter(|r| r["role"] != "security") {
            assert!(
                role["tokens"]["input"].as_u64().unwrap() > 0,
                "{}: tokens of {}",
                case.name,
                role["role"]
            );
        }
        assert_same_app(&dir, reference.path());
        let streamed: String = lsp
            .notifications("autocrea/stream")
            .iter()
            .filter(|n| n["params"]["role"] == "backend")
            .map(|n| n["params"]["text"].as_str().unwrap().to_string())
            .collect();
        assert!(
            streamed.contains("FILE: app/main.py"),
            "{}: the model's text streams to the client",
            case.name
        );
        let requests = fake.requests();
        assert!(requests.len() >= 5, "{}", case.name);
        if let Some((header, value)) = case.auth_header {
            assert!(requests.iter().all(|r| r.header(header) == Some(value)), "{}: {header}", case.name);
        }
        if case.protocol == Protocol::Anthropic {
            assert!(requests.iter().all(|r| r.header("anthropic-version").is_some()));
        }
        let log = lsp.stderr();
        assert!(log.contains("model request"), "{}: trace logging is on", case.name);
        if let Some(key) = case.key {
            assert!(!log.contains(key), "{}: the key reached the log", case.name);
        }
        assert_eq!(lsp.shutdown_and_exit(), 0);
    }
}

fn openai_env(fake: &FakeModel) -> Vec<(&'static str, String)> {
    vec![("OPENAI_API_KEY", "sk-test-openai".into()), ("OPENAI_BASE_URL", format!("{}/v1", fake.url()))]
}

fn run_openai(fake: &FakeModel) -> (tempfile::TempDir, i32, Value, String) {
    let env = openai_env(fake);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dir = tempfile::tempdir().unwrap();
    let (code, summary, err) = generate(&env, dir.path(), "openai");
    (dir, code, summary, err)
}

#[test]
fn refused_key_says_which_variable_and_writes_nothing() {
    let fake = plain(Protocol::Tgi, Some("the-right-key"));
    let dir = tempfile::tempdir().unwrap();
    let url = fake.url();
    let (code, summary, err) =
        generate(&[("JOXCODER_API_URL", &url), ("JOXCODER_API_KEY", "a-wrong-key")], dir.path(), "joxcoder");
    assert_eq!(code, 1);
    let error = summary["error"].as_str().unwrap();
    assert!(error.contains("JoxCoder answered 401: the key in JOXCODER_API_KEY was refused"), "{error}");
    assert!(!err.contains("a-wrong-key") && !summary.to_string().contains("a-wrong-key"));
    assert_eq!(fake.requests().len(), 1, "a 401 is not retried");
    assert!(autocrea_e2e::files_below(dir.path()).is_empty(), "nothing was written");
}

#[test]
fn unknown_model_names_model_and_url() {
    let fake = plain(Protocol::OpenAi, Some("sk-test-openai"));
    let env = openai_env(&fake);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("OPENAI_MODEL", "gpt-nonexistent"));
    let dir = tempfile::tempdir().unwrap();
    let (code, summary, _) = generate(&env, dir.path(), "openai");
    assert_eq!(code, 1);
    let error = summary["error"].as_str().unwrap();
    assert!(error.contains("model `gpt-nonexistent` was not found at http://127.0.0.1"), "{error}");
    assert!(autocrea_e2e::files_below(dir.path()).is_empty());
}

#[test]
fn rate_limits_and_server_errors_are_retried_with_the_wait_said() {
    let fake = plain(Protocol::OpenAi, Some("sk-test-openai"));
    fake.push(Reply::rate_limited(1)).push(Reply::server_error());
    let (dir, code, summary, err) = run_openai(&fake);
    assert_eq!(code, 0, "{summary:#}\n{err}");
    assert!(err.contains("rate limited; retrying in 1 s"), "{err}");
    assert!(err.contains("answered 500"), "{err}");
    let notices = summary["notices"].to_string();
    assert!(notices.contains("rate limited"), "{notices}");
    assert_same_app(dir.path(), reference().path());
}

#[test]
fn a_stream_cut_mid_file_keeps_whole_files_and_asks_for_the_rest() {
    // The frontend's three files come in one call: cut it inside the second file.
    let fake = scripted(Protocol::OpenAi, Some("sk-test-openai"), |prompt, reply, _| {
        if wanted_files(prompt).len() > 1 && !prompt.contains("repair") {
            let cut = answer(prompt).unwrap().find("FILE: static/app.js").unwrap() + 400;
            return reply.cut_after_bytes(cut * 3);
        }
        reply
    });
    let (dir, code, summary, err) = run_openai(&fake);
    assert_eq!(code, 0, "{summary:#}\n{err}");
    assert!(err.contains("broke off"), "{err}");
    assert_same_app(dir.path(), reference().path());
}

#[test]
fn truncated_by_the_output_limit_is_re_requested_one_file_per_call() {
    let fake = scripted(Protocol::Anthropic, Some("sk-ant-test"), |prompt, reply, _| {
        let wanted = wanted_files(prompt);
        if wanted.len() > 1 {
            // Stop in the middle of the last file, as a model at its max_tokens would.
            let text = answer(prompt).unwrap();
            let cut = text.rfind("FILE: ").unwrap() + 200;
            return Reply::text(&text[..cut]).finish(Finish::Length).chunk_chars(64);
        }
        reply
    });
    let url = fake.url();
    let dir = tempfile::tempdir().unwrap();
    let (code, summary, err) = generate(
        &[("ANTHROPIC_API_KEY", "sk-ant-test"), ("ANTHROPIC_BASE_URL", &url)],
        dir.path(),
        "anthropic",
    );
    assert_eq!(code, 0, "{summary:#}\n{err}");
    assert!(err.contains("cut off by the output limit"), "{err}");
    assert_same_app(dir.path(), reference().path());
}

#[test]
fn a_malformed_event_is_retried_and_nothing_half_written_lands() {
    let first = std::sync::atomic::AtomicBool::new(true);
    let fake = scripted(Protocol::OpenAi, Some("sk-test-openai"), move |prompt, reply, _| {
        if wanted_files(prompt) == ["app/main.py"] && first.swap(false, Ordering::SeqCst) {
            return reply.malformed_after(3);
        }
        reply
    });
    let (dir, code, summary, err) = run_openai(&fake);
    assert_eq!(code, 0, "{summary:#}\n{err}");
    assert!(err.contains("not JSON") && err.contains("asking for app/main.py again"), "{err}");
    let calls = fake.requests().iter().filter(|r| prompt_of(&r.body).contains("- app/main.py:")).count();
    assert_eq!(calls, 2, "the broken stream was tried once more");
    assert_same_app(dir.path(), reference().path());
}

#[test]
fn a_file_that_never_arrives_whole_stops_the_role_with_a_clear_message() {
    let fake = scripted(Protocol::OpenAi, Some("sk-test-openai"), |prompt, reply, _| {
        if wanted_files(prompt) == ["app/main.py"] {
            return reply.malformed_after(3);
        }
        reply
    });
    let (dir, code, summary, err) = run_openai(&fake);
    assert_eq!(code, 1, "{summary:#}\n{err}");
    let error = summary["error"].as_str().unwrap();
    assert!(error.contains("could not write app/main.py whole"), "{error}");
    assert!(!dir.path().join("app/main.py").exists(), "no half-written file");
}

#[test]
fn a_reply_with_no_files_is_answered_with_the_parse_error() {
    let fake = scripted(Protocol::OpenAi, Some("sk-test-openai"), |prompt, reply, _| {
        if wanted_files(prompt) == ["app/db.py"] && !prompt.contains("could not be used") {
            return Reply::text("Sure! I'd be happy to help with the database layer.").chunk_chars(16);
        }
        reply
    });
    let (dir, code, summary, err) = run_openai(&fake);
    assert_eq!(code, 0, "{summary:#}\n{err}");
    let retry = fake
        .requests()
        .into_iter()
        .map(|r| prompt_of(&r.body))
        .find(|p| p.contains("- app/db.py:") && p.contains("could not be used"))
        .expect("the parse error was sent back");
    assert!(retry.contains("FILE:"), "{retry}");
    assert_same_app(dir.path(), reference().path());
}

#[test]
fn a_path_leading_out_is_refused_and_nothing_lands_outside() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("x");
    let escape = format!("../../{}", target.display());
    let first = std::sync::atomic::AtomicBool::new(true);
    let fake = scripted(Protocol::OpenAi, Some("sk-test-openai"), move |prompt, reply, _| {
        if wanted_files(prompt) == ["app/db.py"] && first.swap(false, Ordering::SeqCst) {
            let text = answer(prompt).unwrap().replace("FILE: app/db.py", &format!("FILE: {escape}"));
            return Reply::text(text).chunk_chars(64);
        }
        reply
    });
    let (dir, code, summary, err) = run_openai(&fake);
    assert_eq!(code, 0, "{summary:#}\n{err}");
    assert!(err.contains("the plan does not give that file"), "{err}");
    assert!(!target.exists(), "a file was written outside the app");
    assert_same_app(dir.path(), reference().path());
}

#[test]
fn a_slow_first_token_times_out_and_is_retried() {
    let fake = scripted(Protocol::OpenAi, Some("sk-test-openai"), |_, reply, n| {
        if n == 0 { reply.first_byte_delay(Duration::from_secs(3)) } else { reply }
    });
    let root = tempfile::tempdir().unwrap();
    let env = openai_env(&fake);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut lsp = Lsp::spawn_with_env(&["lsp"], &env);
    let mut params = initialize_params("neovim", root.path());
    params["initializationOptions"] =
        json!({"engine": "openai", "timeouts": {"firstTokenSecs": 1}, "runTests": false});
    lsp.initialize(params);
    let dir = root.path().join("blog");
    let summary = lsp
        .request(
            "workspace/executeCommand",
            json!({"command": "autocrea.generate", "arguments": [{"idea": IDEA, "dir": dir, "wait": true}]}),
        )
        .unwrap();
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    assert!(summary["notices"].to_string().contains("first-token timeout"), "{summary:#}");
    assert_same_app(&dir, reference().path());
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

#[test]
fn a_refused_first_engine_falls_back_to_the_next_and_says_so() {
    let jox = plain(Protocol::Tgi, Some("right"));
    let anthropic = plain(Protocol::Anthropic, Some("sk-ant-test"));
    let (jurl, aurl) = (jox.url(), anthropic.url());
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = cli_with_env(
        &["generate", IDEA, "--dir", dir.path().to_str().unwrap(), "--no-tests", "--json"],
        &[
            ("JOXCODER_API_URL", &jurl),
            ("JOXCODER_API_KEY", "wrong"),
            ("ANTHROPIC_API_KEY", "sk-ant-test"),
            ("ANTHROPIC_BASE_URL", &aurl),
        ],
    );
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{summary:#}\n{err}");
    assert_eq!(summary["engine"], "anthropic", "the engine that finished the run");
    assert!(err.contains("switching to the `anthropic` engine"), "{err}");
    assert!(summary["notices"].to_string().contains("JOXCODER_API_KEY was refused"));
    assert_eq!(jox.requests().len(), 1);
    assert_same_app(dir.path(), reference().path());
}

#[test]
fn with_no_model_configured_the_offline_engine_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) =
        cli(&["generate", IDEA, "--dir", dir.path().to_str().unwrap(), "--no-tests", "--json"]);
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["engine"], "offline");
    assert!(summary.get("tokens").is_none(), "offline runs cost no tokens");
}

/// Failing tests go back to the role that owns the faulty file, with the failing output, and
/// the repaired app's tests pass; each round shows in progress.
#[test]
fn failing_tests_go_back_to_the_owning_role_and_get_repaired() {
    let broken = std::sync::atomic::AtomicBool::new(true);
    let fake = scripted(Protocol::OpenAi, Some("sk-test-openai"), move |prompt, reply, _| {
        if prompt.contains("Say which files are at fault") {
            assert!(prompt.contains("test_create_returns_201"), "the tester sees the failing output");
            return Reply::text(
                "The create route answers 200.\n\n```json\n{\"faults\": [{\"test\": \"tests/test_posts.py::test_create_returns_201_and_the_stored_row\", \
                 \"path\": \"app/routers/posts.py\", \"role\": \"backend\", \"reason\": \"POST answers 200, not 201\"}]}\n```\n",
            );
        }
        if wanted_files(prompt) == ["app/routers/posts.py"] && broken.swap(false, Ordering::SeqCst) {
            let text = answer(prompt).unwrap().replace("status.HTTP_201_CREATED", "status.HTTP_200_OK");
            return Reply::text(text).chunk_chars(64);
        }
        if prompt.contains("This is a repair round") {
            assert!(prompt.contains("FILE: app/routers/posts.py"), "the role sees the file it rewrites");
        }
        reply
    });
    let env = openai_env(&fake);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = cli_with_env(
        &["generate", IDEA, "--dir", dir.path().to_str().unwrap(), "--engine", "openai", "--json"],
        &env,
    );
    let summary: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(code, 0, "{summary:#}\n{err}");
    assert_eq!(summary["tests"]["status"], "passed", "{summary:#}");
    assert_eq!(summary["tests"]["repairRounds"], 1);
    assert!(err.contains("repair round 1/3"), "{err}");
    assert!(
        summary["roles"][4]["tokens"]["input"].as_u64().unwrap() > 0,
        "the diagnosis counts for the tester"
    );
    assert_same_app(dir.path(), reference().path());
}

/// Cancelling stops the model's stream at once, and no half file lands.
#[test]
fn cancel_stops_the_model_stream_at_once() {
    let fake = scripted(Protocol::Anthropic, Some("sk-ant-test"), |prompt, reply, _| {
        if wanted_files(prompt).len() > 1 {
            // The frontend stalls mid-answer for a minute.
            return reply.stall_after(3, Duration::from_secs(60));
        }
        reply
    });
    let url = fake.url();
    let root = tempfile::tempdir().unwrap();
    let mut lsp =
        Lsp::spawn_with_env(&["lsp"], &[("ANTHROPIC_API_KEY", "sk-ant-test"), ("ANTHROPIC_BASE_URL", &url)]);
    lsp.initialize(initialize_params("vscode", root.path()));
    let dir = root.path().join("blog");
    let started = lsp
        .request(
            "workspace/executeCommand",
            json!({"command": "autocrea.generate", "arguments": [{"idea": IDEA, "dir": dir, "runTests": false}]}),
        )
        .unwrap();
    let run_id = started["runId"].as_str().unwrap().to_string();
    lsp.wait_for("the frontend streaming", |m| {
        m["method"] == "autocrea/stream" && m["params"]["role"] == "frontend"
    });
    let asked = std::time::Instant::now();
    lsp.request(
        "workspace/executeCommand",
        json!({"command": "autocrea.cancel", "arguments": [{"runId": run_id}]}),
    )
    .unwrap();
    let id = run_id.clone();
    let finished = lsp.wait_for("runFinished", move |m| {
        m["method"] == "autocrea/runFinished" && m["params"]["runId"] == id
    });
    assert_eq!(finished["params"]["status"], "cancelled");
    assert!(asked.elapsed() < Duration::from_secs(10), "the stalled stream was dropped, not waited for");
    let reference = reference();
    for rel in autocrea_e2e::files_below(&dir).iter().filter(|f| !f.starts_with(".autocrea")) {
        assert_eq!(
            std::fs::read(dir.join(rel)).unwrap(),
            std::fs::read(reference.path().join(rel)).unwrap(),
            "{rel} is not whole"
        );
    }
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

/// An invalid spec goes back to the architect once with the errors quoted; a second invalid
/// one is reported.
#[test]
fn the_architect_gets_one_correction_round() {
    let first = std::sync::atomic::AtomicBool::new(true);
    let fake = scripted(Protocol::OpenAi, Some("sk-test-openai"), move |prompt, reply, _| {
        if prompt.contains("The user's idea:") && first.swap(false, Ordering::SeqCst) {
            let text = answer(prompt).unwrap().replace("\"name\": \"Post\"", "\"name\": \"post\"");
            return Reply::text(text).chunk_chars(64);
        }
        reply
    });
    let (dir, code, summary, err) = run_openai(&fake);
    assert_eq!(code, 0, "{summary:#}\n{err}");
    let second = prompt_of(&fake.requests()[1].body);
    assert!(
        second.contains("could not be used") && second.contains("\"post\": name must be PascalCase"),
        "{second}"
    );
    assert_same_app(dir.path(), reference().path());

    let fake = scripted(Protocol::OpenAi, Some("sk-test-openai"), |prompt, reply, _| {
        if prompt.contains("The user's idea:") {
            return Reply::text("I think a blog is a great idea! Let me know what you need.");
        }
        reply
    });
    let (dir, code, summary, _) = run_openai(&fake);
    assert_eq!(code, 1);
    let error = summary["error"].as_str().unwrap();
    assert!(error.contains("the architect's spec was not usable after a correction round"), "{error}");
    assert_eq!(fake.requests().len(), 2);
    assert!(autocrea_e2e::files_below(dir.path()).is_empty());
}
