//! `autocrea login | logout | status | keys`: the account from a terminal, the same store and
//! gateway the editors use.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use autocrea::account::{self, Gateway, KeyProvider, Store};
use autocrea::config::Config;
use autocrea::engine::Engine;
use tokio_util::sync::CancellationToken;

/// The store; `writing` tells where credentials are about to go when that is the file.
fn open_store(writing: bool) -> Store {
    let store = Store::open();
    if let (true, Some(w)) = (writing, &store.warning) {
        eprintln!("autocrea: {w}");
    }
    store
}

/// Device sign-in: prints the code and the page (and opens it unless `no_browser`), waits.
pub async fn login(gateway: Option<String>, no_browser: bool) -> ExitCode {
    let store = tokio::task::spawn_blocking(|| open_store(true)).await.expect("store opens");
    // `--gateway` names it outright; else the environment or the hosted one.
    let gateway = Gateway::new(&gateway.unwrap_or_else(|| account::gateway_url(None)));
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let show = |code: &account::DeviceCode| {
        let page = code.verification_uri_complete.clone().unwrap_or_else(|| code.verification_uri.clone());
        eprintln!("To sign in, open {page}");
        eprintln!("and confirm the code: {}", code.user_code);
        eprintln!("(waiting for you to approve; Ctrl-C to give up)");
        if !no_browser && std::io::stderr().is_terminal() && opener::open_browser(&page).is_err() {
            eprintln!("(could not open a browser here; open the page yourself)");
        }
    };
    match account::sign_in(&store, &gateway, show, &cancel).await {
        Ok(me) => {
            println!(
                "Signed in as {} ({} plan, {}, {} credits), in {}",
                me.email,
                me.plan,
                me.status,
                me.balance,
                store.describe()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("autocrea: sign-in failed: {e}");
            ExitCode::FAILURE
        }
    }
}

pub async fn logout() -> ExitCode {
    let store = tokio::task::spawn_blocking(|| open_store(false)).await.expect("store opens");
    match account::sign_out(&store).await {
        Ok(warning) => {
            if let Some(w) = warning {
                eprintln!("autocrea: {w}");
            }
            println!("Signed out (the token is removed from {})", store.describe());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("autocrea: could not sign out: {e}");
            ExitCode::FAILURE
        }
    }
}

pub async fn status(json: bool) -> ExitCode {
    let store = tokio::task::spawn_blocking(|| open_store(false)).await.expect("store opens");
    let s = store.clone();
    let creds = tokio::task::spawn_blocking(move || account::load(&s)).await.unwrap_or_default();
    let config = Config { credentials: creds.clone(), ..Config::default() };
    let engine =
        Engine::select(&config, None).map(|e| e.name().to_string()).unwrap_or_else(|e| format!("none ({e})"));
    let status = account::status(&store, &creds, None, &engine).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&status).expect("serializes"));
    } else {
        match (&status.email, status.balance) {
            (Some(email), Some(balance)) => println!(
                "Signed in as {email}: {} plan ({}), {balance} credits, at {}",
                status.plan.as_deref().unwrap_or("?"),
                status.status.as_deref().unwrap_or("?"),
                status.gateway
            ),
            _ => println!("Not signed in (`autocrea login` to sign in at {})", status.gateway),
        }
        if let Some(problem) = &status.problem {
            println!("  {problem}");
        }
        println!("  engine a run would use: {}", status.engine);
        let keys: Vec<&str> = status.keys.iter().map(|k| k.as_str()).collect();
        println!(
            "  your own keys stored: {}",
            if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
        );
        println!("  credentials are kept in {}", status.credential_store);
    }
    if status.problem.is_some() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// `autocrea keys set PROVIDER [KEY]` (the key from stdin when not given, so it stays out of
/// the shell's history), `keys delete PROVIDER`, `keys list`.
pub fn keys(action: &str, provider: Option<&str>, key: Option<String>) -> ExitCode {
    let store = open_store(action == "set");
    let provider = match (action, provider.map(KeyProvider::parse)) {
        ("list", _) => {
            for p in KeyProvider::ALL {
                let set = store.get(p.entry()).ok().flatten().is_some();
                println!("{:<9} {}", p.as_str(), if set { "stored" } else { "-" });
            }
            return ExitCode::SUCCESS;
        }
        (_, Some(Some(p))) => p,
        _ => {
            eprintln!("autocrea: name the provider: openai, anthropic or joxcoder");
            return ExitCode::from(2);
        }
    };
    let result = match action {
        "set" => {
            // From a terminal: one line, not echoed. Piped: the whole input.
            let key = match key {
                Some(k) => k,
                None if std::io::stdin().is_terminal() => {
                    match rpassword::prompt_password(format!(
                        "Paste the {} key and press Enter: ",
                        provider.as_str()
                    )) {
                        Ok(k) => k,
                        Err(e) => {
                            eprintln!("autocrea: could not read the key: {e}");
                            return ExitCode::FAILURE;
                        }
                    }
                }
                None => {
                    let mut s = String::new();
                    let _ = std::io::stdin().read_to_string(&mut s);
                    s
                }
            };
            let key = key.trim();
            if key.is_empty() {
                eprintln!("autocrea: no key given");
                return ExitCode::from(2);
            }
            store
                .set(provider.entry(), key)
                .map(|()| format!("Stored the {} key in {}", provider.as_str(), store.describe()))
        }
        "delete" => store.delete(provider.entry()).map(|()| format!("Removed the {} key", provider.as_str())),
        other => {
            eprintln!("autocrea: unknown action {other:?}; use set, delete or list");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("autocrea: {e}");
            ExitCode::FAILURE
        }
    }
}
