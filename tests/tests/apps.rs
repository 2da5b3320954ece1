//! The generated apps are real: for several ideas, the app's own tests pass when run with its
//! spec's commands in a fresh virtual environment, and the app serves its UI and API.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autocrea::spec::AppSpec;
use autocrea_e2e::{autocrea_command, planned_files};
use serde_json::Value;

/// Generates `idea` with the CLI (tests installed and run) and checks the summary.
fn generate_and_test(idea: &str, dir: &Path) -> (Value, AppSpec) {
    let out = autocrea_command()
        // Explicitly offline: the keys below would otherwise select a model engine.
        .args(["generate", idea, "--dir", dir.to_str().unwrap(), "--json", "--engine", "offline"])
        // Secrets in the user's environment must not reach the app's tests: the shop's
        // "checkout answers 503 without a key" test proves they did not.
        .env("STRIPE_SECRET_KEY", "sk_test_from_the_users_environment")
        .env("OPENAI_API_KEY", "sk-should-not-leak")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(out.status.code(), Some(0), "{summary:#}\n{stderr}");
    assert_eq!(summary["status"], "succeeded", "{summary:#}");
    assert_eq!(summary["tests"]["status"], "passed", "{summary:#}");
    // The security role audited the app, and the offline engine's apps are clean.
    assert_eq!(summary["security"]["status"], "done", "{summary:#}");
    assert_eq!(summary["findings"], serde_json::json!([]), "{summary:#}");

    let spec = AppSpec::from_json(&std::fs::read_to_string(dir.join(".autocrea/spec.json")).unwrap())
        .expect("the saved spec is valid");
    for rel in planned_files(dir) {
        assert!(dir.join(&rel).is_file(), "{rel} missing");
    }
    // At least one test per endpoint.
    let passed = summary["tests"]["passed"].as_u64().unwrap();
    assert!(passed as usize >= spec.endpoints.len(), "{passed} tests for {} endpoints", spec.endpoints.len());
    assert!(stderr.contains("tester: running the tests"), "progress on stderr: {stderr}");
    // The test run's own output streams through as it arrives.
    assert!(stderr.lines().any(|l| l.contains("│") && l.contains(" passed")), "streamed output: {stderr}");
    (summary, spec)
}

#[test]
fn shop_with_stripe_payments() {
    let dir = tempfile::tempdir().unwrap();
    let (_, spec) = generate_and_test("an e-commerce shop with Stripe payments", dir.path());
    assert!(spec.features.contains(&autocrea::spec::Feature::Payments));
    assert!(spec.env.iter().any(|v| v.name == "STRIPE_SECRET_KEY" && v.secret));
    serve_and_check(dir.path(), &spec);
}

#[test]
fn blog_with_comments() {
    let dir = tempfile::tempdir().unwrap();
    let (_, spec) = generate_and_test("a blog with comments", dir.path());
    let names: Vec<&str> = spec.entities.iter().map(|e| e.name.as_str()).collect();
    assert!(names.contains(&"Post") && names.contains(&"Comment"), "{names:?}");
}

#[test]
fn task_tracker_with_login() {
    let dir = tempfile::tempdir().unwrap();
    let (_, spec) = generate_and_test("a task tracker with login", dir.path());
    assert!(spec.features.contains(&autocrea::spec::Feature::Auth));
}

#[test]
fn unrecognised_idea_gets_a_generic_app() {
    let dir = tempfile::tempdir().unwrap();
    let (_, spec) = generate_and_test("an app to track my houseplants and when I water them", dir.path());
    assert!(!spec.entities.is_empty());
}

/// Starts the app with its run command and checks the UI and the first entity's API.
fn serve_and_check(dir: &Path, spec: &AppSpec) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new("sh")
        .args(["-c", &format!("exec {}", spec.commands.run)])
        .current_dir(dir)
        .env("PORT", port.to_string())
        .env("APP_DB_PATH", dir.join("serve.db"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let get = |path: &str| -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let home = loop {
        if let Some(answer) = get("/") {
            break answer;
        }
        assert!(Instant::now() < deadline, "the app did not start with `{}`", spec.commands.run);
        std::thread::sleep(Duration::from_millis(200));
    };
    let entity = &spec.entities[0];
    let api = get(&format!("/api/{}", entity.plural));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(home.0, 200);
    assert!(home.1.to_lowercase().contains("<html"), "the UI is served at /");
    let (status, body) = api.expect("the API answers");
    assert_eq!(status, 200, "{body}");
}
