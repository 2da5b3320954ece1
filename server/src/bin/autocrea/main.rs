//! The `autocrea` command: the language server, and the same pipeline from a terminal.
// The command line is the one place that talks to the terminal directly.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use autocrea::audit::Severity;
use autocrea::config::Config;
use autocrea::engine::EngineName;
use autocrea::pipeline::{self, Destination, DiskSink, Event, Events, RunRequest, RunStatus, TestStatus};
use autocrea::spec::Role;
use clap::{Parser, Subcommand};

mod account;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "autocrea", version, about = "An autonomous full-stack developer in your editor")]
struct Cli {
    /// Start the language server on stdio (same as `autocrea lsp`).
    #[arg(long)]
    stdio: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the language server on stdin/stdout.
    Lsp {
        /// Accepted for clients that pass it; stdio is the only transport.
        #[arg(long, hide = true)]
        stdio: bool,
    },
    /// Build a whole app from an idea: plan, code, tests (run), on the chosen engine.
    Generate {
        /// What the app should do, e.g. "a blog with comments".
        idea: String,
        /// The app's folder (created if needed). Default: a new folder named after the app in
        /// the current folder, or the current folder itself when it is empty.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Engine: joxcoder, openai, anthropic, local or offline. Default: the first one
        /// configured (JOXCODER_API_URL, ANTHROPIC_API_KEY, OPENAI_API_KEY, a local server), else offline.
        #[arg(long, value_parser = parse_engine)]
        engine: Option<EngineName>,
        /// Rounds of repair when the generated tests fail (model engines).
        #[arg(long, default_value_t = 3)]
        repair_rounds: u32,
        /// Print the summary as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Replace files that exist and were not written by AUTOCREA (yours are committed first).
        #[arg(long)]
        overwrite: bool,
        /// Commit your uncommitted changes first (as you) instead of refusing to start.
        #[arg(long)]
        commit_changes: bool,
        /// Write the tests but do not install and run them.
        #[arg(long)]
        no_tests: bool,
        /// Time limit in seconds for each of the app's install and test commands.
        #[arg(long, default_value_t = 600)]
        test_timeout: u64,
        /// Let the security role apply its fixes (as its own commit).
        #[arg(long)]
        auto_fix: bool,
    },
    /// Re-run one role (backend, frontend, devops, tester) on an existing generation, as a new
    /// commit on its branch.
    RunRole {
        /// backend, frontend, devops or tester.
        #[arg(value_parser = parse_role)]
        role: Role,
        /// The app's folder (default: the current folder).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        #[arg(long, value_parser = parse_engine)]
        engine: Option<EngineName>,
        /// Replace the role's files even if you changed them.
        #[arg(long)]
        overwrite: bool,
        /// Do not install and run the app's tests afterwards.
        #[arg(long)]
        no_tests: bool,
        #[arg(long)]
        json: bool,
    },
    /// Take back the last AUTOCREA step (only one AUTOCREA made, unchanged since, not pushed).
    Undo {
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Push the generation's branch with your own git credentials.
    Deploy {
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Default: origin.
        #[arg(long)]
        remote: Option<String>,
    },
    /// Run the account service: sign-in, credits, metered JoxCoder, Stripe billing.
    /// Secrets come from the environment: JOXCODER_UPSTREAM_KEY, STRIPE_SECRET_KEY,
    /// STRIPE_WEBHOOK_SECRET (also STRIPE_PRICE_ID_BASIC, STRIPE_PRICE_ID_PRO).
    Gateway {
        /// Address and port to serve on.
        #[arg(long, default_value = "127.0.0.1:7676")]
        listen: std::net::SocketAddr,
        /// sqlite://PATH or postgres://USER:PASSWORD@HOST/DB. Default: a SQLite file in your
        /// data folder.
        #[arg(long, env = "AUTOCREA_GATEWAY_DATABASE", hide_env_values = true)]
        database: Option<String>,
        /// The gateway's address as users reach it, for the links it gives out. Default:
        /// http://<listen>.
        #[arg(long)]
        public_url: Option<String>,
        /// The JoxCoder endpoint model calls are forwarded to (with JOXCODER_UPSTREAM_KEY).
        #[arg(long, env = "JOXCODER_UPSTREAM_URL")]
        upstream_url: Option<String>,
        /// Credits a month for the basic plan.
        #[arg(long, default_value_t = 2000)]
        basic_credits: i64,
        /// Credits a month for the pro plan.
        #[arg(long, default_value_t = 10_000)]
        pro_credits: i64,
        /// Behind a reverse proxy: the client's address is the last X-Forwarded-For entry.
        #[arg(long)]
        behind_proxy: bool,
    },
    /// Audit files and folders for security problems (no network): findings with rule, CWE,
    /// severity and how to fix. Exits 1 when a finding at or above --fail-on exists.
    Audit {
        /// Files or folders (recursively, honouring .gitignore). Default: the current folder.
        paths: Vec<PathBuf>,
        /// text (one line per finding), json (an array of findings) or sarif (SARIF 2.1.0).
        #[arg(long, default_value = "text", value_parser = ["text", "json", "sarif"])]
        format: String,
        /// Lowest severity that makes the exit code 1: info, warning or error.
        #[arg(long, default_value = "warning", value_parser = parse_severity)]
        fail_on: Severity,
    },
    /// Sign in to your AUTOCREA account (device code: confirm it in the browser). Every editor
    /// on this machine shares the sign-in.
    Login {
        /// The gateway to sign in at (default: AUTOCREA_GATEWAY_URL, else the hosted one).
        #[arg(long)]
        gateway: Option<String>,
        /// Print the page to open instead of opening a browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Sign out (the token is revoked and removed from the keyring).
    Logout,
    /// Signed in or not, plan, credit balance, the engine a run would use, stored keys.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Your own provider keys, kept in the OS keyring: `keys set openai [KEY]` (the key from
    /// stdin when not given), `keys delete anthropic`, `keys list`.
    Keys {
        /// set, delete or list.
        action: String,
        /// openai, anthropic or joxcoder.
        provider: Option<String>,
        key: Option<String>,
    },
    /// Print the JSON Schema of the app spec (`.autocrea/spec.json`).
    Schema,
    /// Internal: run a command that may write only below the given folders (Landlock).
    #[command(name = "__confine", hide = true)]
    Confine {
        /// A folder the command may write below (repeatable).
        #[arg(long = "write")]
        writable: Vec<PathBuf>,
        /// Print how much confinement the kernel enforces, and run nothing.
        #[arg(long)]
        probe: bool,
        /// The command and its arguments.
        #[arg(last = true)]
        command: Vec<String>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role {s:?}; use backend, frontend, devops or tester"))
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("unknown severity {s:?}; use info, warning or error"))
}

fn parse_engine(s: &str) -> Result<EngineName, String> {
    EngineName::parse(s)
        .ok_or_else(|| format!("unknown engine {s:?}; use joxcoder, openai, anthropic, local or offline"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A service logs its requests by default; the editor-side commands only warnings.
    init_logging(if matches!(cli.command, Some(Command::Gateway { .. })) { "info" } else { "warn" });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("autocrea: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        None if cli.stdio => serve(&runtime),
        Some(Command::Lsp { .. }) => serve(&runtime),
        Some(Command::Generate {
            idea,
            dir,
            engine,
            repair_rounds,
            json,
            overwrite,
            commit_changes,
            no_tests,
            test_timeout,
            auto_fix,
        }) => {
            let config = Config {
                engine,
                repair_rounds,
                overwrite,
                commit_user_changes: commit_changes,
                run_tests: !no_tests,
                test_timeout_secs: test_timeout,
                auto_fix,
                ..Config::default()
            };
            let destination = match dir {
                Some(dir) => Destination::Folder(dir),
                None => match std::env::current_dir() {
                    Ok(cwd) => Destination::InRoot(cwd),
                    Err(e) => {
                        eprintln!("autocrea: cannot read the current folder: {e}");
                        return ExitCode::FAILURE;
                    }
                },
            };
            eprintln!("autocrea: building {idea:?}");
            runtime.block_on(run(idea, destination, config, None, json))
        }
        Some(Command::RunRole { role, dir, engine, overwrite, no_tests, json }) => {
            let config = Config { engine, overwrite, run_tests: !no_tests, ..Config::default() };
            eprintln!("autocrea: re-running the {role} role in {}", dir.display());
            runtime.block_on(run(String::new(), Destination::Folder(dir), config, Some(role), json))
        }
        Some(Command::Undo { dir }) => match autocrea::git::undo(&dir) {
            Ok(undone) => {
                println!("undid {} ({}): {} file(s) restored", undone.id, undone.summary, undone.paths.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("autocrea: {e}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Deploy { dir, remote }) => match autocrea::git::deploy(&dir, remote.as_deref()) {
            Ok(output) => {
                println!("{}", output.trim());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("autocrea: {e}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Confine { writable, probe, command }) => confine(&writable, probe, &command),
        Some(Command::Gateway {
            listen,
            database,
            public_url,
            upstream_url,
            basic_credits,
            pro_credits,
            behind_proxy,
        }) => {
            let Some(database) = database.or_else(default_database_url) else {
                eprintln!(
                    "autocrea gateway: no data folder (HOME is not set); pass --database sqlite://PATH"
                );
                return ExitCode::FAILURE;
            };
            let mut config = autocrea::gateway::GatewayConfig::new(database).with_env(upstream_url);
            config.public_url = public_url;
            config.plans = autocrea::gateway::Plans { basic_credits, pro_credits };
            config.behind_proxy = behind_proxy;
            runtime.block_on(gateway(config, listen))
        }
        Some(Command::Audit { paths, format, fail_on }) => audit(paths, &format, fail_on),
        Some(Command::Login { gateway, no_browser }) => runtime.block_on(account::login(gateway, no_browser)),
        Some(Command::Logout) => runtime.block_on(account::logout()),
        Some(Command::Status { json }) => runtime.block_on(account::status(json)),
        Some(Command::Keys { action, provider, key }) => account::keys(&action, provider.as_deref(), key),
        Some(Command::Schema) => {
            print!("{}", autocrea::spec::json_schema());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!(
                "autocrea: say what to do: `autocrea lsp` for editors, `autocrea generate \"IDEA\" --dir DIR` in a terminal (see --help)"
            );
            ExitCode::from(2)
        }
    }
}

fn confine(writable: &[PathBuf], probe: bool, command: &[String]) -> ExitCode {
    use autocrea::confine::{Enforced, restrict_writes};
    let enforced = match restrict_writes(writable) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("autocrea: could not confine the command: {e}");
            return ExitCode::FAILURE;
        }
    };
    if probe {
        println!(
            "{}",
            match enforced {
                Enforced::Fully => "fully",
                Enforced::Partially => "partially",
                Enforced::Not => "not",
            }
        );
        return ExitCode::SUCCESS;
    }
    if enforced == Enforced::Not {
        tracing::debug!("this kernel has no Landlock: the command runs without write confinement");
    }
    let Some((program, args)) = command.split_first() else {
        eprintln!("autocrea: __confine needs a command after --");
        return ExitCode::from(2);
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = std::process::Command::new(program).args(args).exec();
        eprintln!("autocrea: could not run {program}: {err}");
        ExitCode::from(127)
    }
    #[cfg(not(unix))]
    match std::process::Command::new(program).args(args).status() {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1) as u8),
        Err(err) => {
            eprintln!("autocrea: could not run {program}: {err}");
            ExitCode::from(127)
        }
    }
}

/// `sqlite://` URL of the default database file, its folder created.
fn default_database_url() -> Option<String> {
    let path = autocrea::gateway::default_database_path()?;
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    Some(format!("sqlite://{}?mode=rwc", path.display()))
}

async fn gateway(config: autocrea::gateway::GatewayConfig, listen: std::net::SocketAddr) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("autocrea gateway: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => eprintln!("autocrea gateway: listening on http://{addr}"),
        Err(e) => eprintln!("autocrea gateway: listening ({e})"),
    }
    // Ctrl-C, or SIGTERM from a service manager or container runtime: finish what is in flight.
    let shutdown = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                },
                Err(_) => drop(tokio::signal::ctrl_c().await),
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    };
    match autocrea::gateway::serve(config, listener, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autocrea gateway: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `autocrea audit`: 0 clean, 1 findings at or above `fail_on`, 2 a path could not be read.
fn audit(paths: Vec<PathBuf>, format: &str, fail_on: Severity) -> ExitCode {
    let paths = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths };
    for p in &paths {
        if !p.exists() {
            eprintln!("autocrea: {} does not exist", p.display());
            return ExitCode::from(2);
        }
    }
    let base = std::env::current_dir().unwrap_or_default();
    let result = autocrea::audit::audit_paths(&paths, &base);
    for e in &result.errors {
        eprintln!("autocrea: could not read {e}");
    }
    let output = match format {
        "json" => {
            serde_json::to_string_pretty(&autocrea::audit::report::json(&result.findings)).expect("json")
                + "\n"
        }
        "sarif" => {
            serde_json::to_string_pretty(&autocrea::audit::report::sarif(&result.findings)).expect("json")
                + "\n"
        }
        _ => autocrea::audit::report::text(&result.findings, result.files),
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), output.as_bytes());
    if result.findings.iter().any(|f| f.severity >= fail_on) {
        ExitCode::FAILURE
    } else if !result.errors.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn serve(runtime: &tokio::runtime::Runtime) -> ExitCode {
    let code = runtime.block_on(autocrea::lsp::serve_stdio());
    // stdin may still be open and its reader blocked: leave without waiting for it.
    std::process::exit(code)
}

/// Logs go to stderr only (stdout is the protocol), filtered by `AUTOCREA_LOG`, else `default`.
fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AUTOCREA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default))
        // tower-lsp-server logs every message whole at trace (`autocrea.setApiKey` carries a
        // key): never below debug, whatever AUTOCREA_LOG asks.
        .add_directive("tower_lsp_server::codec=debug".parse().expect("a valid directive"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

struct Terminal;

impl Events for Terminal {
    fn emit(&self, event: Event) {
        match event {
            Event::Progress { role, message, percentage } => {
                eprintln!("[{percentage:>3}%] {role}: {message}")
            }
            Event::Stream { text, .. } => eprint!("      │ {text}"),
            Event::Notice { role, message } => eprintln!("       {role}: {message}"),
            Event::Balance { credits, estimated } => {
                eprintln!("       credits: balance {}{credits}", if estimated { "≈" } else { "" })
            }
        }
    }
}

async fn run(
    idea: String,
    destination: Destination,
    config: Config,
    rerun: Option<Role>,
    json: bool,
) -> ExitCode {
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("autocrea: cancelling; files already written are complete");
            on_ctrl_c.cancel();
        }
    });
    let confine = std::env::current_exe().ok();
    // The sign-in and stored keys, read from the credential store.
    let mut config = config;
    config.credentials = tokio::task::spawn_blocking(|| {
        let store = autocrea::account::Store::open();
        autocrea::account::load(&store)
    })
    .await
    .unwrap_or_default();
    let req = RunRequest { run_id: pipeline::new_run_id(), idea, destination, config, confine, rerun };
    let summary = pipeline::run(req, &DiskSink, &Terminal, cancel).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary).expect("summary serializes"));
    } else {
        println!("{}", summary.headline());
        for role in &summary.roles {
            let files = match role.files.len() {
                0 => String::new(),
                1 => " — 1 file".to_string(),
                n => format!(" — {n} files"),
            };
            let commits = if role.commits.is_empty() {
                String::new()
            } else {
                format!(" (commit {})", role.commits.join(", "))
            };
            println!("  {:<9} {}{files}{commits}", role.role.as_str(), role.status.as_str());
        }
        if let Some(message) = &summary.tests.message {
            println!("  tests: {message}");
        }
        if let Some(output) =
            summary.tests.output.as_ref().filter(|_| summary.tests.status != TestStatus::Passed)
        {
            let tail: Vec<&str> = output.lines().rev().take(30).collect();
            for line in tail.into_iter().rev() {
                println!("    {line}");
            }
        }
        println!("  {}", summary.security.message);
        for f in summary.findings.iter().take(20) {
            println!("    {}:{}: {}[{}] {}", f.path, f.range.start.line, f.severity, f.rule, f.message);
        }
        if summary.findings.len() > 20 {
            println!(
                "    … and {} more (`autocrea audit {}`)",
                summary.findings.len() - 20,
                summary.dir.display()
            );
        }
    }
    match (summary.status, summary.tests.status) {
        (RunStatus::Succeeded, TestStatus::Passed | TestStatus::Skipped) => ExitCode::SUCCESS,
        (RunStatus::Succeeded, _) => {
            eprintln!(
                "autocrea: the app was written to {}, but its tests did not pass",
                summary.dir.display()
            );
            ExitCode::from(2)
        }
        (RunStatus::Cancelled, _) => ExitCode::from(130),
        (RunStatus::Failed, _) => {
            eprintln!("autocrea: {}", summary.error.as_deref().unwrap_or("the run failed"));
            ExitCode::FAILURE
        }
    }
}
