//! Figures for the closing notes, printed, never asserted:
//!
//! - cold start to the `initialize` answer, and idle memory (RSS) of the server;
//! - an offline generation (the generated tests not installed);
//! - 10,000 small edits to a 1 MB document: over the protocol, and in process against a
//!   plain `String` peer doing the same edits (the ratio is what to watch).
//!
//! Run: `cargo run --release -p autocrea-e2e --bin autocrea-bench`

use std::time::{Duration, Instant};

use std::collections::BTreeMap;

use autocrea::config::{Config, Endpoint};
use autocrea::engine::{Engine, EngineName};
use autocrea::lsp::documents::{Document, Encoding};
use autocrea::model::roles::RoleCtx;
use autocrea::offline;
use autocrea::pipeline::{Event, Events};
use autocrea::spec::Role;
use autocrea_e2e::fakes::Protocol;
use autocrea_e2e::scripted::{answer, prompt_of, scripted};
use autocrea_e2e::{Lsp, autocrea_bin, cli, cli_with_env};
use serde_json::json;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

const EDITS: usize = 10_000;

fn main() {
    println!("autocrea bench — binary {}", autocrea_bin().display());
    cold_start_and_idle_memory();
    offline_generation();
    edits();
    model_engine();
    audit();
}

/// A 10,000-line Python module with a sink every 50 lines.
fn big_python() -> String {
    let mut text = String::from(
        "import os\nimport sqlite3\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n",
    );
    let mut i = 0;
    while text.lines().count() < 10_000 {
        text.push_str(&format!(
            "\n@app.get(\"/items/{i}\")\ndef item_{i}():\n    name = request.args.get(\"name\", \"\")\n    total = {i} * 2 + len(name)\n    if total > 10:\n        total -= 1\n    db = sqlite3.connect(\"app.db\")\n    rows = db.execute(\"SELECT * FROM items WHERE name = ?\", (name,)).fetchall()\n    return {{\"rows\": rows, \"total\": total}}\n"
        ));
        if i % 5 == 0 {
            text.push_str(&format!("\n\ndef unsafe_{i}(db, term):\n    return db.execute(f\"SELECT * FROM t WHERE x = '{{term}}'\")\n"));
        }
        i += 1;
    }
    text
}

/// The auditor: one 10,000-line file in process; typing into it over the protocol with the
/// audit on and off (the ratio is what to watch); the generated apps audited.
fn audit() {
    let text = big_python();
    let path = std::path::Path::new("big.py");
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..7 {
        let started = Instant::now();
        found = autocrea::audit::audit_text(path, &text).len();
        times.push(started.elapsed());
    }
    println!(
        "audit of a {}-line Python file in process: median {} ({found} findings)",
        text.lines().count(),
        ms(median(times))
    );

    // Typing: 300 single-character edits, each followed by a request the server can only
    // answer after applying it; with the audit on, audits run in the background meanwhile.
    let mut per_edit = Vec::new();
    for on in [false, true] {
        let root = tempfile::tempdir().unwrap();
        let mut lsp = Lsp::spawn(&["lsp"]);
        lsp.initialize(json!({
            "processId": null,
            "rootUri": autocrea_e2e::uri(root.path()),
            "capabilities": {},
            "initializationOptions": {"auditOnChange": on}
        }));
        let uri = autocrea_e2e::uri(&root.path().join("big.py"));
        lsp.open(&uri, "python", &text);
        let lines = text.lines().count() as u32;
        let mut latencies = Vec::new();
        for i in 0..300u32 {
            let line = (i * 7919) % lines;
            let started = Instant::now();
            lsp.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": " "}]}),
            );
            lsp.request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "context": {"diagnostics": []}}),
            )
            .unwrap();
            latencies.push(started.elapsed());
            // A typist's pace: about 8 characters a second, so the debounced audit runs too.
            if i % 20 == 19 && i != 299 {
                std::thread::sleep(Duration::from_millis(300));
            }
        }
        // After the last edit: how long until its diagnostics arrive.
        let started = Instant::now();
        let last = 301;
        let u = uri.clone();
        if on {
            lsp.wait_for("the last version's diagnostics", move |m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == u.as_str()
                    && m["params"]["version"] == last
            });
        }
        let settle = started.elapsed();
        latencies.sort();
        let p50 = latencies[latencies.len() / 2];
        let p99 = latencies[latencies.len() * 99 / 100];
        per_edit.push(p50);
        if on {
            println!(
                "typing into it over stdio, audit on: edit+request p50 {} p99 {}; diagnostics {} after the last edit (debounce {} ms)",
                ms(p50),
                ms(p99),
                ms(settle),
                autocrea::lsp::diagnostics::DEBOUNCE.as_millis()
            );
        } else {
            println!("typing into it over stdio, audit off: edit+request p50 {} p99 {}", ms(p50), ms(p99));
        }
        lsp.shutdown_and_exit();
    }
    println!(
        "typing latency with the audit on / off: {:.2}×",
        per_edit[1].as_secs_f64() / per_edit[0].as_secs_f64()
    );

    // The generated apps, whole, from the command line.
    let dir = tempfile::tempdir().unwrap();
    for idea in
        ["an e-commerce shop with Stripe payments", "a blog with comments", "a task tracker with login"]
    {
        let app = dir.path().join(idea.split_whitespace().last().unwrap());
        let (code, _, err) = cli(&["generate", idea, "--dir", app.to_str().unwrap(), "--no-tests"]);
        assert_eq!(code, 0, "{err}");
    }
    let mut times = Vec::new();
    let mut out = String::new();
    for _ in 0..7 {
        let started = Instant::now();
        let (_, o, _) = cli(&["audit", dir.path().to_str().unwrap()]);
        times.push(started.elapsed());
        out = o;
    }
    println!(
        "autocrea audit of three generated apps: median {} (process start included): {}",
        ms(median(times)),
        out.lines().last().unwrap_or("")
    );
    println!("side by side with bandit and ruff on a labeled corpus: tests/audit-bench/run --corpus all");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn cold_start_and_idle_memory() {
    let root = tempfile::tempdir().unwrap();
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..15 {
        let started = Instant::now();
        let mut lsp = Lsp::spawn(&["lsp"]);
        lsp.request(
            "initialize",
            json!({"processId": null, "rootUri": autocrea_e2e::uri(root.path()), "capabilities": {}}),
        )
        .unwrap();
        times.push(started.elapsed());
        lsp.notify("initialized", json!({}));
        std::thread::sleep(Duration::from_millis(300));
        rss.push(rss_kib(lsp.pid()));
        lsp.shutdown_and_exit();
    }
    println!(
        "cold start to initialize answer: median {} (min {}, max {}) over {} starts",
        ms(median(times.clone())),
        ms(*times.iter().min().unwrap()),
        ms(*times.iter().max().unwrap()),
        times.len()
    );
    rss.sort();
    println!("idle RSS after initialize: median {:.1} MiB", rss[rss.len() / 2] as f64 / 1024.0);
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn offline_generation() {
    for idea in
        ["an e-commerce shop with Stripe payments", "a blog with comments", "a task tracker with login"]
    {
        let mut times = Vec::new();
        let mut files = 0;
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let started = Instant::now();
            let (code, out, err) =
                cli(&["generate", idea, "--dir", dir.path().to_str().unwrap(), "--no-tests", "--json"]);
            times.push(started.elapsed());
            assert_eq!(code, 0, "{err}");
            files =
                serde_json::from_str::<serde_json::Value>(&out).unwrap()["filesWritten"].as_u64().unwrap();
        }
        println!(
            "offline generation, {idea:?}: median {} for {files} files (process start included)",
            ms(median(times))
        );
    }
}

/// A 1 MB document of code-like lines with some non-ASCII, and edits spread over it.
fn document() -> String {
    let line = "    let value = compute(\"naïve 😀\", 42); // a comment\n";
    line.repeat(1024 * 1024 / line.len())
}

fn edit(i: usize, lines: u32) -> TextDocumentContentChangeEvent {
    let line = (i as u32 * 7919) % lines;
    let start = Position::new(line, 4 + (i % 3) as u32);
    TextDocumentContentChangeEvent {
        range: Some(Range::new(start, Position::new(line, start.character + 1))),
        range_length: None,
        text: ["x", "y😀", "zz"][i % 3].into(),
    }
}

fn edits() {
    let text = document();
    let lines = text.lines().count() as u32;
    let changes: Vec<_> = (0..EDITS).map(|i| edit(i, lines)).collect();

    // In process: the rope against a plain String doing the same edits.
    let started = Instant::now();
    let mut doc = Document::new(&text, 0, "rust".into());
    for (i, c) in changes.iter().enumerate() {
        doc.apply_changes([c.clone()], i as i32, Encoding::Utf16);
    }
    let rope = started.elapsed();
    let started = Instant::now();
    let mut plain = text.clone();
    for c in &changes {
        let range = c.range.unwrap();
        let (a, b) = (naive_offset(&plain, range.start), naive_offset(&plain, range.end));
        plain.replace_range(a..b, &c.text);
    }
    let naive = started.elapsed();
    assert_eq!(doc.text.to_string(), plain, "the rope and the peer agree");
    println!(
        "{EDITS} edits to a {:.1} MB document in process: rope {} ({:.1} µs/edit), plain String peer {} — peer/rope = {:.1}×",
        text.len() as f64 / 1e6,
        ms(rope),
        rope.as_secs_f64() * 1e6 / EDITS as f64,
        ms(naive),
        naive.as_secs_f64() / rope.as_secs_f64()
    );

    // Over the protocol: didOpen, 10,000 didChange, then a request that can only be answered
    // after all of them were applied.
    let root = tempfile::tempdir().unwrap();
    let mut lsp = Lsp::spawn(&["lsp"]);
    lsp.initialize(json!({"processId": null, "rootUri": autocrea_e2e::uri(root.path()), "capabilities": {}}));
    let uri = autocrea_e2e::uri(&root.path().join("big.rs"));
    lsp.open(&uri, "rust", &text);
    let started = Instant::now();
    for (i, c) in changes.iter().enumerate() {
        lsp.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [c]}),
        );
    }
    lsp.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": []}}),
    )
    .unwrap();
    let wire = started.elapsed();
    println!(
        "{EDITS} didChange notifications over stdio, then a code action: {} ({:.1} µs/edit); server RSS {:.1} MiB",
        ms(wire),
        wire.as_secs_f64() * 1e6 / EDITS as f64,
        rss_kib(lsp.pid()) as f64 / 1024.0
    );
    lsp.shutdown_and_exit();
}

/// Byte offset of a UTF-16 position in a String, the obvious way.
fn naive_offset(text: &str, pos: Position) -> usize {
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n as u32 == pos.line {
            let mut units = 0;
            for (i, ch) in line.char_indices() {
                if units >= pos.character as usize || ch == '\n' {
                    return offset + i;
                }
                units += ch.len_utf16();
            }
            return offset + line.len();
        }
        offset += line.len();
    }
    text.len()
}

const SHOP: &str = "an e-commerce shop with Stripe payments";

struct Quiet;

impl Events for Quiet {
    fn emit(&self, _: Event) {}
}

/// The role a recorded call was for: the first line of its system prompt ("# Role: backend").
fn role_of(body: &serde_json::Value) -> String {
    let system = body["messages"][0]["content"].as_str().unwrap_or("");
    system.lines().next().unwrap_or("").trim_start_matches("# Role: ").to_string()
}

/// Model engines against a fake OpenAI-compatible local server: orchestration overhead, the
/// gain of running backend and frontend together, tokens sent per role.
fn model_engine() {
    const RATE: u32 = 2_000; // chunks of 64 characters a second (≈ 32,000 tokens/s)
    for (label, rate) in [("an instant model", None), ("a model streaming 2,000 chunks/s", Some(RATE))] {
        let fake = scripted(Protocol::OpenAi, None, move |_, reply, _| match rate {
            Some(r) => reply.rate(r),
            None => reply,
        });
        let dir = tempfile::tempdir().unwrap();
        let url = format!("{}/v1", fake.url());
        let started = Instant::now();
        let (code, out, err) = cli_with_env(
            &[
                "generate",
                SHOP,
                "--dir",
                dir.path().to_str().unwrap(),
                "--engine",
                "local",
                "--no-tests",
                "--json",
            ],
            &[("AUTOCREA_LOCAL_BASE_URL", &url), ("AUTOCREA_LOCAL_MODEL", "gpt-4o-mini")],
        );
        let wall = started.elapsed();
        assert_eq!(code, 0, "{err}");
        let requests = fake.requests();
        // Time the model itself needs on the critical path: architect, then the longer of
        // backend and frontend, then devops, then tester (calls within a role are sequential).
        let mut per_role: BTreeMap<String, (usize, u64, f64)> = BTreeMap::new();
        for r in &requests {
            let reply_chars = answer(&prompt_of(&r.body)).map(|t| t.chars().count()).unwrap_or(0);
            let model_secs = rate.map_or(0.0, |r| reply_chars.div_ceil(64) as f64 / r as f64);
            let sent = serde_json::to_string(&r.body["messages"]).unwrap().len() as u64 / 4;
            let e = per_role.entry(role_of(&r.body)).or_default();
            e.0 += 1;
            e.1 += sent;
            e.2 += model_secs;
        }
        let secs = |role: &str| per_role.get(role).map_or(0.0, |e| e.2);
        let critical =
            secs("architect") + secs("backend").max(secs("frontend")) + secs("devops") + secs("tester");
        let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
        println!(
            "model engine, shop, {label}: {} calls, wall {} (process start included); model time on the critical path {:.0} ms; orchestration overhead {:.0} ms ({} files)",
            requests.len(),
            ms(wall),
            critical * 1000.0,
            wall.as_secs_f64() * 1000.0 - critical * 1000.0,
            summary["filesWritten"]
        );
        if rate.is_none() {
            println!("  tokens sent per role (≈ characters / 4 of the messages), calls:");
            for (role, (calls, sent, _)) in &per_role {
                println!("    {role:<10} {sent:>7} tokens in {calls:>2} calls");
            }
        }
    }

    // Backend and frontend one after the other, then together, in process.
    let fake = scripted(Protocol::OpenAi, None, |_, reply, _| reply.rate(RATE));
    let config = Config {
        engine: Some(EngineName::Local),
        local: Endpoint {
            url: Some(format!("{}/v1", fake.url())),
            model: Some("gpt-4o-mini".into()),
            protocol: None,
        },
        ..Config::default()
    };
    let engine = Engine::select(&config, None).unwrap();
    let spec = offline::architect(SHOP).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let files = BTreeMap::new();
    let role = |role: Role| {
        let (engine, spec, cancel, files) = (&engine, &spec, &cancel, &files);
        async move {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let ctx = RoleCtx::new(role, &Quiet, cancel, files);
            engine.files(spec, role, &ctx, tx).await.unwrap();
            let mut n = 0;
            while rx.recv().await.is_some() {
                n += 1;
            }
            n
        }
    };
    let started = Instant::now();
    let sequential = rt.block_on(async { role(Role::Backend).await + role(Role::Frontend).await });
    let one_after_other = started.elapsed();
    let started = Instant::now();
    let together = rt.block_on(async {
        let (b, f) = tokio::join!(role(Role::Backend), role(Role::Frontend));
        b + f
    });
    let concurrent = started.elapsed();
    assert_eq!(sequential, together);
    println!(
        "backend and frontend ({together} files, a model at 2,000 chunks/s): one after the other {}, together {} — {:.2}× faster",
        ms(one_after_other),
        ms(concurrent),
        one_after_other.as_secs_f64() / concurrent.as_secs_f64()
    );
}
