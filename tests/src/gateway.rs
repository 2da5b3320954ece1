//! The gateway under test: served in-process on 127.0.0.1 over a fresh database — a SQLite file
//! in a temporary folder, or a new database in the PostgreSQL named by
//! `AUTOCREA_TEST_POSTGRES_URL` — and driven over real HTTP; plus a browser that keeps the page
//! session cookie and reads CSRF tokens out of forms.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use autocrea::gateway::GatewayConfig;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

/// An HTTP client builder (rustls with the ring provider, as the server builds its own).
pub fn http_client() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// Where a test's gateway keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The variable naming the PostgreSQL server the suite also runs against.
pub const POSTGRES_VAR: &str = "AUTOCREA_TEST_POSTGRES_URL";

/// The PostgreSQL URL (of a database the role may connect to, with CREATEDB), or a failure that
/// says how to get one.
pub fn postgres_url() -> String {
    std::env::var(POSTGRES_VAR).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| {
        panic!(
            "{POSTGRES_VAR} is not set, so the gateway's PostgreSQL tests cannot run. scripts/test installs \
             PostgreSQL from Debian, starts it and sets it; by hand: start a PostgreSQL server, create a role with \
             CREATEDB (e.g. `CREATE ROLE autocrea LOGIN CREATEDB PASSWORD 'autocrea'`) and export \
             {POSTGRES_VAR}=postgres://autocrea:autocrea@127.0.0.1:5432/postgres"
        )
    })
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, Some(q))).unwrap_or((url, None));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out = format!("{out}?{q}");
    }
    out
}

/// A database of its own for one test, dropped with it.
struct Database {
    url: String,
    /// PostgreSQL: the server's URL and the database to drop at the end.
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((server, name)) = self.postgres.take() {
            drop_postgres_database(&server, &name);
        }
    }
}

async fn fresh_database(backend: Backend) -> Database {
    let dir = tempfile::tempdir().unwrap();
    match backend {
        Backend::Sqlite => Database {
            url: format!("sqlite://{}?mode=rwc", dir.path().join("gateway.sqlite3").display()),
            postgres: None,
            _dir: dir,
        },
        Backend::Postgres => {
            static SERIAL: AtomicU32 = AtomicU32::new(0);
            let server = postgres_url();
            let nanos =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
            let name = format!(
                "autocrea_test_{}_{}_{nanos}",
                std::process::id(),
                SERIAL.fetch_add(1, Ordering::Relaxed)
            );
            let mut admin = sqlx::PgConnection::connect(&server)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_VAR}: {e}"));
            sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap_or_else(|e| {
                panic!("cannot create a test database (does the role have CREATEDB?): {e}")
            });
            Database { url: with_database(&server, &name), postgres: Some((server, name)), _dir: dir }
        }
    }
}

/// Drops a test's PostgreSQL database (its connections too).
pub fn drop_postgres_database(server: &str, name: &str) {
    let (server, name) = (server.to_string(), name.to_string());
    // Drop may run on the test's runtime: connect from a thread of its own.
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
            }
        });
    })
    .join();
}

/// A gateway served in-process for one test; stops (and its database is dropped) when dropped.
pub struct TestGateway {
    pub url: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    database: Database,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestGateway {
    pub async fn start(backend: Backend) -> TestGateway {
        TestGateway::start_with(backend, |_| {}).await
    }

    /// Starts a gateway with its configuration changed by `tweak` (short lifetimes, Stripe, an
    /// upstream), and waits until it answers.
    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut GatewayConfig)) -> TestGateway {
        let database = fresh_database(backend).await;
        let mut config = GatewayConfig::new(database.url.clone());
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(autocrea::gateway::serve(config, listener, async {
            let _ = stopped.await;
        }));
        let client = http_client().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let gateway = TestGateway { url, client, backend, database, stop: Some(stop), task: Some(task) };
        gateway.wait_ready().await;
        gateway
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = self.client.get(self.url("/readyz")).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            if self.task.as_ref().is_some_and(|t| t.is_finished()) {
                panic!("the gateway stopped before it was ready (see the error above)");
            }
            assert!(Instant::now() < deadline, "the gateway was not ready within 60 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The database URL the gateway uses.
    pub fn database_url(&self) -> &str {
        &self.database.url
    }

    /// Sends a request; a `Value::Null` body sends none.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Answer {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if !body.is_null() {
            request = request.json(&body);
        }
        Answer::from(request.send().await.expect("the gateway answers")).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, token, body).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, Value::Null).await
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Answer {
        self.post("/v1/accounts", None, json!({"email": email, "password": password})).await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Answer {
        self.post("/v1/sessions", None, json!({"email": email, "password": password})).await
    }

    /// A new account (signed up, logged in): its e-mail and access token.
    pub async fn account(&self) -> (String, String) {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let email = format!("user{}@example.com", SERIAL.fetch_add(1, Ordering::Relaxed));
        assert_eq!(self.sign_up(&email, PASSWORD).await.status, 201);
        let answer = self.log_in(&email, PASSWORD).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        (email, answer.json["access_token"].as_str().unwrap().to_string())
    }

    pub async fn me(&self, token: &str) -> Value {
        let answer = self.get("/v1/me", Some(token)).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.json
    }

    pub async fn balance(&self, token: &str) -> i64 {
        self.me(token).await["balance"].as_i64().unwrap()
    }

    /// The ledger, newest first.
    pub async fn ledger(&self, token: &str) -> Vec<Value> {
        let answer = self.get("/v1/ledger", Some(token)).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.json["entries"].as_array().unwrap().clone()
    }

    /// Drops the PostgreSQL database under the running gateway (a database that stops
    /// answering); false for SQLite.
    pub fn drop_database(&mut self) -> bool {
        match self.database.postgres.take() {
            Some((server, name)) => {
                drop_postgres_database(&server, &name);
                true
            }
            None => false,
        }
    }

    /// A browser on this gateway's pages.
    pub fn browser(&self) -> Browser {
        Browser { base: self.url.clone(), client: self.client.clone(), cookie: None }
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
        // Then `database` drops, and with it a PostgreSQL database.
    }
}

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery";

/// A whole answer: status, headers, body (and the body as JSON when it is).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    pub async fn from(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a whole body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, text, json }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A browser: follows no redirect by itself, keeps the page session cookie.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    pub cookie: Option<String>,
}

impl Browser {
    fn keep_cookie(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let Some(pair) = value.split(';').next() else { continue };
            if let Some(token) = pair.strip_prefix("autocrea_session=") {
                self.cookie = if value.contains("Max-Age=0") { None } else { Some(token.to_string()) };
            }
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let request = match &self.cookie {
            Some(cookie) => request.header("cookie", format!("autocrea_session={cookie}")),
            None => request,
        };
        let answer = Answer::from(request.send().await.expect("the gateway answers")).await;
        self.keep_cookie(&answer.headers);
        answer
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body: String =
            fields.iter().map(|(n, v)| format!("{}={}", encode(n), encode(v))).collect::<Vec<_>>().join("&");
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// The user opens a device sign-in page (`page`, as the client was told), logs in as
    /// `email` when asked, and approves `user_code`.
    pub async fn approve_device(&mut self, page: &str, email: &str, user_code: &str) -> Answer {
        let link = page.strip_prefix(self.base.as_str()).unwrap_or(page).to_string();
        let first = self.get(&link).await;
        if first.status == 303 {
            let logged_in = self.log_in(email, PASSWORD, &link).await;
            assert_eq!(logged_in.status, 303, "{}", logged_in.text);
        }
        let confirm = self.get(&link).await;
        assert_eq!(confirm.status, 200, "{}", confirm.text);
        assert!(confirm.text.contains(user_code), "the page shows the code: {}", confirm.text);
        let token = csrf(&confirm.text);
        self.post_form("/device", &[("csrf", &token), ("user_code", user_code), ("action", "approve")]).await
    }

    /// Opens the log-in page and logs in; returns where it was sent next.
    pub async fn log_in(&mut self, email: &str, password: &str, next: &str) -> Answer {
        let form = self.get(&format!("/login?next={}", encode(next))).await;
        assert_eq!(form.status, 200, "{}", form.text);
        let csrf = csrf(&form.text);
        self.post_form("/login", &[("csrf", &csrf), ("email", email), ("password", password), ("next", next)])
            .await
    }
}

/// Percent-encodes a form value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The CSRF token of the first form in a page.
pub fn csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).unwrap_or_else(|| panic!("no CSRF field in:\n{html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}
