//! The account end to end, against a real gateway on 127.0.0.1: device sign-in from the CLI
//! and from the editor, the sign-in shared by every server instance, a real Secret Service
//! holding the token (and the file fallback), metered generations charged in credits, a
//! balance that cannot cover a run stopping it with an upgrade offer, the user's own keys.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use autocrea::gateway::Upstream;
use autocrea::model::secret::Secret;
use autocrea_e2e::fakes::stripe::FakeStripe;
use autocrea_e2e::fakes::{FakeModel, Protocol};
use autocrea_e2e::gateway::{Backend, TestGateway};
use autocrea_e2e::scripted::scripted;
use autocrea_e2e::{
    Lsp, autocrea_bin, autocrea_command, cli_with_env, initialize_params, private_config_home,
};
use serde_json::{Value, json};

const UPSTREAM_KEY: &str = "hf_upstream_secret_for_account_tests";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A gateway whose device codes may be polled every second.
fn gateway(
    rt: &tokio::runtime::Runtime,
    tweak: impl FnOnce(&mut autocrea::gateway::GatewayConfig),
) -> TestGateway {
    rt.block_on(TestGateway::start_with(Backend::Sqlite, |c| {
        c.limits.device_interval = Duration::from_secs(1);
        tweak(c);
    }))
}

/// Reads a `login` child's stderr until it names the page and the code.
fn code_of(child: &mut Child) -> (String, String) {
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let (mut page, mut code) = (None, None);
    while page.is_none() || code.is_none() {
        let line = lines.next().expect("login printed the page and the code").unwrap();
        if let Some(p) = line.strip_prefix("To sign in, open ") {
            page = Some(p.trim().to_string());
        }
        if let Some(c) = line.strip_prefix("and confirm the code: ") {
            code = Some(c.trim().to_string());
        }
    }
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (page.unwrap(), code.unwrap())
}

fn status_with(lsp: &mut Lsp, signed_in: bool) -> Value {
    lsp.wait_for(&format!("autocrea/status signedIn={signed_in}"), move |m| {
        m["method"] == "autocrea/status" && m["params"]["signedIn"] == signed_in
    })["params"]
        .clone()
}

fn server(gw: &TestGateway) -> Lsp {
    let root = tempfile::tempdir().unwrap().keep();
    let mut lsp = Lsp::spawn_with_env(
        &["lsp"],
        &[("AUTOCREA_GATEWAY_URL", &gw.url), ("AUTOCREA_STATUS_POLL_MS", "200"), ("AUTOCREA_LOG", "trace")],
    );
    lsp.initialize(initialize_params("vscode", &root));
    lsp
}

/// `autocrea login` in a terminal; an editor already running sees the sign-in without a
/// restart; `autocrea status`; `autocrea logout` revokes the token and the editor sees that too.
#[test]
fn cli_sign_in_is_shared_with_running_editors() {
    let rt = runtime();
    let gw = gateway(&rt, |_| {});
    let (email, _) = rt.block_on(gw.account());
    let mut editor = server(&gw);
    let before = status_with(&mut editor, false);
    assert_eq!(before["gateway"], gw.url.as_str());

    // `--gateway` wins over the environment.
    let mut login = autocrea_command()
        .args(["login", "--no-browser", "--gateway", &gw.url])
        .env("AUTOCREA_GATEWAY_URL", "http://127.0.0.1:9")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (page, code) = code_of(&mut login);
    assert!(page.starts_with(&gw.url) && page.contains("/device"), "{page}");
    let approved = rt.block_on(async { gw.browser().approve_device(&page, &email, &code).await });
    assert_eq!(approved.status, 200, "{}", approved.text);
    let out = login.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(&format!("Signed in as {email}")) && stdout.contains("100 credits"), "{stdout}");

    // The running editor notices, within its poll interval.
    let now = status_with(&mut editor, true);
    assert_eq!(
        (now["email"].as_str(), now["balance"].as_i64(), now["plan"].as_str()),
        (Some(email.as_str()), Some(100), Some("trial"))
    );

    let (code, out, err) = cli_with_env(&["status", "--json"], &[]);
    assert_eq!(code, 0, "{err}");
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (status["signedIn"].as_bool(), status["balance"].as_i64()),
        (Some(true), Some(100)),
        "{status:#}"
    );
    assert_eq!(status["engine"], "joxcoder", "signed in, JoxCoder goes through the gateway");
    // The file fallback: private, versioned, and the token never printed.
    let file = private_config_home().join("autocrea/credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let token = stored["entries"]["account-token"].as_str().unwrap().to_string();
    assert_eq!(stored["version"], 1);
    assert!(!out.contains(&token) && !err.contains(&token));

    let (code, out, err) = cli_with_env(&["logout"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    status_with(&mut editor, false);
    // Revoked at the gateway, not only forgotten here.
    let me = rt.block_on(gw.get("/v1/me", Some(&token)));
    assert_eq!(me.status, 401);
    assert_eq!(editor.shutdown_and_exit(), 0);
}

/// `autocrea.signIn` from the editor: an immediate answer with the code, the page opened with
/// `window/showDocument`, the token stored when the user approves, every instance told;
/// `autocrea.setApiKey` and `autocrea.signOut`.
#[test]
fn editor_sign_in_and_sign_out_reach_every_instance() {
    let rt = runtime();
    let gw = gateway(&rt, |_| {});
    let (email, _) = rt.block_on(gw.account());
    let mut a = server(&gw);
    let mut b = server(&gw);
    status_with(&mut a, false);
    status_with(&mut b, false);

    let started = a
        .request("workspace/executeCommand", json!({"command": "autocrea.signIn", "arguments": []}))
        .unwrap();
    let code = started["userCode"].as_str().unwrap().to_string();
    let page = started["verificationUriComplete"].as_str().unwrap().to_string();
    let shown = a.wait_for("window/showDocument", |m| m["method"] == "window/showDocument");
    assert_eq!(
        (shown["params"]["uri"].as_str(), shown["params"]["external"].as_bool()),
        (Some(page.as_str()), Some(true))
    );
    assert!(
        a.notifications("window/showMessage")
            .iter()
            .any(|m| m["params"]["message"].as_str().unwrap().contains(&code)),
        "the code is shown"
    );
    let approved = rt.block_on(async { gw.browser().approve_device(&page, &email, &code).await });
    assert_eq!(approved.status, 200);
    let signed_in = status_with(&mut a, true);
    assert_eq!(signed_in["email"], email.as_str());
    assert_eq!(status_with(&mut b, true)["balance"], 100);

    let status = a
        .request("workspace/executeCommand", json!({"command": "autocrea.setApiKey", "arguments": [{"provider": "openai", "key": "sk-stored-by-the-editor"}]}))
        .unwrap();
    assert_eq!(status["keys"], json!(["openai"]));
    let status = a
        .request("workspace/executeCommand", json!({"command": "autocrea.status", "arguments": []}))
        .unwrap();
    assert_eq!((status["signedIn"].as_bool(), status["keys"].clone()), (Some(true), json!(["openai"])));
    assert!(!a.stderr().contains("sk-stored-by-the-editor"), "a key reached the trace log");
    let bad = a.request(
        "workspace/executeCommand",
        json!({"command": "autocrea.setApiKey", "arguments": [{"provider": "mistral", "key": "x"}]}),
    );
    assert_eq!(bad.unwrap_err()["code"], -32602);

    let out = a
        .request("workspace/executeCommand", json!({"command": "autocrea.signOut", "arguments": []}))
        .unwrap();
    assert_eq!(out["signedIn"], false);
    status_with(&mut b, false);
    a.request(
        "workspace/executeCommand",
        json!({"command": "autocrea.setApiKey", "arguments": [{"provider": "openai", "key": null}]}),
    )
    .unwrap();
    assert_eq!(a.shutdown_and_exit(), 0);
    assert_eq!(b.shutdown_and_exit(), 0);
}

/// The token lands in a real Secret Service (gnome-keyring in a private D-Bus session), not in
/// a file.
#[test]
fn the_token_lands_in_the_secret_service() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"] {
        assert!(
            std::process::Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap()
                .status
                .success(),
            "{tool} is missing: install gnome-keyring, dbus and libsecret-tools (scripts/test does)"
        );
    }
    let rt = runtime();
    let gw = gateway(&rt, |_| {});
    let (email, _) = rt.block_on(gw.account());
    let home = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let script = r#"echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 3
"$AUTOCREA" login --no-browser --gateway "$GATEWAY" || exit 4
"$AUTOCREA" status --json || exit 5
printf 'stored:%s\n' "$(secret-tool lookup service autocrea username account-token | wc -c)""#;
    let mut child = std::process::Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", config.path())
        .env("AUTOCREA_CREDENTIAL_STORE", "keyring")
        .env("AUTOCREA", autocrea_bin())
        .env("GATEWAY", &gw.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dbus-run-session starts");
    let (page, code) = code_of(&mut child);
    let approved = rt.block_on(async { gw.browser().approve_device(&page, &email, &code).await });
    assert_eq!(approved.status, 200);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "exit {:?}: {stdout}", out.status.code());
    assert!(stdout.contains(&format!("Signed in as {email}")), "{stdout}");
    assert!(stdout.contains("\"credentialStore\": \"the OS keyring\""), "{stdout}");
    assert!(stdout.contains("\"signedIn\": true"), "{stdout}");
    let stored: usize =
        stdout.lines().find_map(|l| l.strip_prefix("stored:")).unwrap().trim().parse().unwrap();
    assert!(stored > 20, "the Secret Service holds the token ({stored} bytes)");
    assert!(
        !config.path().join("autocrea/credentials.json").exists(),
        "no file fallback when the keyring answers"
    );
}

/// A model for the gateway's upstream that answers like the offline engine (and checks the
/// gateway's key).
fn upstream() -> FakeModel {
    scripted(Protocol::OpenAi, Some(UPSTREAM_KEY), |_, reply, _| reply)
}

/// Signed in, `--engine joxcoder` goes through the gateway: credits are held, the run is
/// charged its tokens, the balance shows as it goes, and the upstream sees only the gateway's
/// key.
#[test]
fn a_metered_generation_is_charged_its_tokens() {
    let rt = runtime();
    let model = upstream();
    // A whole generation is some 100,000 tokens: priced at 10,000 a credit it fits the trial.
    let gw = gateway(&rt, |c| {
        c.upstream = Some(Upstream { url: model.url(), key: Some(Secret::new(UPSTREAM_KEY)) });
        c.limits.tokens_per_credit = 10_000;
    });
    let (_, token) = rt.block_on(gw.account());
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = cli_with_env(
        &[
            "generate",
            "a blog with comments",
            "--dir",
            dir.path().to_str().unwrap(),
            "--engine",
            "joxcoder",
            "--no-tests",
            "--json",
        ],
        // The upstream's model name (the fake OpenAI-compatible server serves this one).
        &[("AUTOCREA_TOKEN", &token), ("AUTOCREA_GATEWAY_URL", &gw.url), ("JOXCODER_MODEL", "gpt-4o-mini")],
    );
    let summary: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(code, 0, "{summary:#}\n{err}");
    assert_eq!(summary["engine"], "joxcoder");
    let tokens = summary["tokens"]["input"].as_u64().unwrap() + summary["tokens"]["output"].as_u64().unwrap();
    let charged = summary["credits"]["charged"].as_i64().unwrap();
    assert!(charged >= 1, "{summary:#}");
    assert_eq!(summary["credits"]["balance"].as_i64(), Some(100 - charged), "{summary:#}");
    assert!(
        (charged - tokens.div_ceil(10_000) as i64).abs() <= 1,
        "charged {charged} for about {tokens} tokens as this client counted them"
    );
    assert!(err.contains("credits: balance ≈"), "the balance shows as the run goes: {err}");
    assert!(err.contains(&format!("credits: balance {}", 100 - charged)), "{err}");
    assert_eq!(rt.block_on(gw.balance(&token)), 100 - charged);
    let usage = rt.block_on(gw.ledger(&token));
    assert!(usage.iter().any(|e| e["type"] == "usage" && e["amount"] == -charged), "{usage:?}");
    let requests = model.requests();
    assert!(requests.len() >= 5);
    assert!(requests.iter().all(|r| r.header("authorization") == Some(&format!("Bearer {UPSTREAM_KEY}"))));
    assert!(
        requests.iter().all(|r| !format!("{r:?}").contains(&token)),
        "the user's token never reaches the model"
    );
    assert!(!err.contains(&token));
}

/// A balance under a generation's price: nothing starts, the message gives the balance, the
/// price and the upgrade link, and the editor's "Upgrade" opens Stripe Checkout.
#[test]
fn a_balance_that_cannot_cover_the_run_offers_the_upgrade() {
    let rt = runtime();
    let stripe = FakeStripe::start("sk_test_account_tests", &["price_basic_a", "price_pro_a"]);
    let model = upstream();
    let gw = gateway(&rt, |c| {
        c.upstream = Some(Upstream { url: model.url(), key: Some(Secret::new(UPSTREAM_KEY)) });
        c.stripe.secret_key = Some(Secret::new("sk_test_account_tests"));
        c.stripe.price_basic = Some("price_basic_a".into());
        c.stripe.price_pro = Some("price_pro_a".into());
        c.stripe.api_base = stripe.url();
    });
    let (_, token) = rt.block_on(gw.account());
    // Another editor's run holds 60 of the 100 credits.
    let held = rt.block_on(gw.post("/v1/reservations", Some(&token), json!({"credits": 60})));
    assert_eq!(held.status, 201, "{held:?}");

    let root = tempfile::tempdir().unwrap();
    let mut lsp =
        Lsp::spawn_with_env(&["lsp"], &[("AUTOCREA_TOKEN", &token), ("AUTOCREA_GATEWAY_URL", &gw.url)]);
    lsp.message_action = Some("Upgrade to Basic".into());
    lsp.initialize(initialize_params("vscode", root.path()));
    let dir = root.path().join("shop");
    let summary = lsp
        .request(
            "workspace/executeCommand",
            json!({"command": "autocrea.generate", "arguments": [{"idea": "a shop", "dir": dir, "engine": "joxcoder", "wait": true}]}),
        )
        .unwrap();
    assert_eq!(summary["status"], "failed", "{summary:#}");
    let error = summary["error"].as_str().unwrap();
    assert!(
        error.contains("40 credits") && error.contains("needs 50") && error.contains("/billing"),
        "{error}"
    );
    assert_eq!(
        (summary["credits"]["balance"].as_i64(), summary["credits"]["price"].as_i64()),
        (Some(40), Some(50))
    );
    assert!(!dir.exists() || std::fs::read_dir(&dir).unwrap().next().is_none(), "nothing was written");
    assert!(model.requests().is_empty(), "no model call was made");

    let offer = lsp.wait_for("the upgrade offer", |m| m["method"] == "window/showMessageRequest");
    let titles: Vec<&str> =
        offer["params"]["actions"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Upgrade to Basic", "Upgrade to Pro", "Not now"]);
    let opened = lsp.wait_for("Stripe Checkout opened", |m| m["method"] == "window/showDocument");
    let url = opened["params"]["uri"].as_str().unwrap();
    assert!(
        url.starts_with("https://checkout.stripe.com/")
            || url.contains(&stripe.url())
            || url.contains("checkout"),
        "{url}"
    );
    let requests = stripe.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].field("line_items[0][price]"), Some("price_basic_a"));
    assert_eq!(lsp.shutdown_and_exit(), 0);
}

/// `autocrea keys set openai` (from stdin) serves runs with that engine; `keys delete` takes
/// it back.
#[test]
fn stored_provider_keys_serve_runs() {
    let model = scripted(Protocol::OpenAi, Some("sk-from-the-keyring"), |_, reply, _| reply);
    let base = format!("{}/v1", model.url());
    let mut set = autocrea_command()
        .args(["keys", "set", "openai"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    set.stdin.take().unwrap().write_all(b"sk-from-the-keyring\n").unwrap();
    let out = set.wait_with_output().unwrap();
    assert!(out.status.success());
    let (_, list, _) = cli_with_env(&["keys", "list"], &[]);
    assert!(list.lines().any(|l| l.starts_with("openai") && l.ends_with("stored")), "{list}");
    assert!(!list.contains("sk-from-the-keyring"));

    let dir = tempfile::tempdir().unwrap();
    let args = [
        "generate",
        "a blog with comments",
        "--dir",
        dir.path().to_str().unwrap(),
        "--engine",
        "openai",
        "--no-tests",
        "--json",
    ];
    let (code, out, err) = cli_with_env(&args, &[("OPENAI_BASE_URL", &base)]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!model.requests().is_empty());

    assert_eq!(cli_with_env(&["keys", "delete", "openai"], &[]).0, 0);
    let other = tempfile::tempdir().unwrap();
    let args = [
        "generate",
        "a blog with comments",
        "--dir",
        other.path().to_str().unwrap(),
        "--engine",
        "openai",
        "--no-tests",
        "--json",
    ];
    let (code, out, _) = cli_with_env(&args, &[("OPENAI_BASE_URL", &base)]);
    assert_eq!(code, 1);
    assert!(out.contains("OPENAI_API_KEY"), "says how to configure it: {out}");
}
