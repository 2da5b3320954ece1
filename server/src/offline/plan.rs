//! What the offline templates build for a given data model and feature set: the stack, the
//! commands, the endpoints, the screens, the environment variables and the file plan.
//!
//! The architect fills a spec with these; the renderer derives the same lists from any spec, so
//! an edited spec keeps its README, tests and code in agreement.

use crate::spec::{
    Commands, Endpoint, Entity, EnvVar, Feature, Field, FieldType, HttpMethod, PlannedFile, Role, Screen,
    ScreenKind, Stack,
};

use super::naming;

pub(crate) const INSTALL: &str = ".venv/bin/python -m pip install -q -r requirements.txt";
pub(crate) const TEST: &str = ".venv/bin/python -m pytest -q";
pub(crate) const RUN: &str = ".venv/bin/python -m uvicorn app.main:app --host 127.0.0.1 --port ${PORT:-8000}";

pub(crate) fn stack() -> Stack {
    Stack {
        language: "python".into(),
        backend: "fastapi".into(),
        frontend: "vanilla-js".into(),
        database: "sqlite".into(),
        tests: "pytest".into(),
    }
}

pub(crate) fn commands() -> Commands {
    Commands { install: format!("python3 -m venv .venv && {INSTALL}"), test: TEST.into(), run: RUN.into() }
}

/// Entity fields that name a price, in order of preference.
const PRICE_NAMES: &[&str] = &["price", "unit_price", "amount", "cost", "fee"];

/// The entity Stripe Checkout sells: the first with a numeric price-like field, with that field
/// and the field that names a row (its first short text field).
pub(crate) fn priced(entities: &[Entity]) -> Option<(&Entity, &Field, Option<&Field>)> {
    for wanted in PRICE_NAMES {
        for e in entities {
            if let Some(price) = e
                .fields
                .iter()
                .find(|f| f.name == *wanted && matches!(f.kind, FieldType::Number | FieldType::Integer))
            {
                return Some((e, price, label_field(e)));
            }
        }
    }
    None
}

/// The field that names a row in lists and selects: the first short text field.
pub(crate) fn label_field(e: &Entity) -> Option<&Field> {
    e.fields
        .iter()
        .find(|f| f.kind == FieldType::String)
        .or_else(|| e.fields.iter().find(|f| matches!(f.kind, FieldType::Email | FieldType::Text)))
}

pub(crate) fn is_text(kind: FieldType) -> bool {
    matches!(kind, FieldType::String | FieldType::Text | FieldType::Email | FieldType::Url)
}

/// Python module of an entity's router under `app/routers/`.
pub(crate) fn router_module(plural: &str) -> String {
    if PY_KEYWORDS.contains(&plural) { format!("{plural}_api") } else { plural.to_string() }
}

/// Test file of an entity's endpoints (apart from the feature tests' names).
pub(crate) fn entity_test_file(plural: &str) -> String {
    if ["app", "auth", "checkout", "search", "uploads"].contains(&plural) {
        format!("tests/test_{plural}_api.py")
    } else {
        format!("tests/test_{plural}.py")
    }
}

pub(crate) const PY_KEYWORDS: &[&str] = &[
    "false", "none", "true", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
    "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

pub(crate) fn endpoints(entities: &[Entity], features: &[Feature]) -> Vec<Endpoint> {
    let has = |f| features.contains(&f);
    let ep = |method, path: String, summary: String, entity: Option<&str>, auth| Endpoint {
        method,
        path,
        summary,
        entity: entity.map(str::to_string),
        auth,
    };
    let mut out = vec![ep(HttpMethod::Get, "/api/health".into(), "Health check".into(), None, false)];
    if has(Feature::Auth) {
        out.push(ep(
            HttpMethod::Post,
            "/api/auth/signup".into(),
            "Create an account and get a bearer token".into(),
            None,
            false,
        ));
        out.push(ep(
            HttpMethod::Post,
            "/api/auth/login".into(),
            "Log in with email and password and get a bearer token".into(),
            None,
            false,
        ));
        out.push(ep(HttpMethod::Get, "/api/auth/me".into(), "The signed-in user".into(), None, true));
        out.push(ep(
            HttpMethod::Post,
            "/api/auth/logout".into(),
            "Revoke the current token".into(),
            None,
            true,
        ));
    }
    for e in entities {
        let base = format!("/api/{}", e.plural);
        let item = format!("{base}/{{id}}");
        let human = naming::sentence(&e.plural).to_lowercase();
        let one = naming::with_article(&naming::sentence(&e.name).to_lowercase());
        let auth = e.requires_auth && has(Feature::Auth);
        let name = Some(e.name.as_str());
        let list = if has(Feature::Search) && e.fields.iter().any(|f| is_text(f.kind)) {
            format!("List {human} (limit, offset, q)")
        } else {
            format!("List {human} (limit, offset)")
        };
        out.push(ep(HttpMethod::Get, base.clone(), list, name, false));
        out.push(ep(HttpMethod::Post, base, format!("Create {one}"), name, auth));
        out.push(ep(HttpMethod::Get, item.clone(), format!("Get {one}"), name, false));
        out.push(ep(HttpMethod::Put, item.clone(), format!("Replace {one}"), name, auth));
        out.push(ep(HttpMethod::Delete, item, format!("Delete {one}"), name, auth));
    }
    if has(Feature::Search) {
        out.push(ep(
            HttpMethod::Get,
            "/api/search".into(),
            "Search every entity's text fields (q)".into(),
            None,
            false,
        ));
    }
    if has(Feature::Payments) {
        out.push(ep(
            HttpMethod::Post,
            "/api/checkout".into(),
            "Start a Stripe Checkout session".into(),
            priced(entities).map(|(e, _, _)| e.name.as_str()),
            false,
        ));
    }
    if has(Feature::Uploads) {
        let auth = has(Feature::Auth);
        out.push(ep(
            HttpMethod::Post,
            "/api/uploads".into(),
            "Upload a file (multipart field `file`)".into(),
            None,
            auth,
        ));
        out.push(ep(HttpMethod::Get, "/api/uploads".into(), "List uploaded files".into(), None, false));
        out.push(ep(
            HttpMethod::Get,
            "/api/uploads/{id}".into(),
            "Download an uploaded file".into(),
            None,
            false,
        ));
        out.push(ep(
            HttpMethod::Delete,
            "/api/uploads/{id}".into(),
            "Delete an uploaded file".into(),
            None,
            auth,
        ));
    }
    out
}

pub(crate) fn screens(entities: &[Entity], features: &[Feature]) -> Vec<Screen> {
    let mut out =
        vec![Screen { name: "Home".into(), route: "#/".into(), kind: ScreenKind::Home, entity: None }];
    for e in entities {
        out.push(Screen {
            name: naming::title(&e.plural),
            route: format!("#/{}", e.plural),
            kind: ScreenKind::List,
            entity: Some(e.name.clone()),
        });
    }
    if features.contains(&Feature::Payments) {
        out.push(Screen {
            name: "Checkout".into(),
            route: "#/checkout".into(),
            kind: ScreenKind::Checkout,
            entity: priced(entities).map(|(e, _, _)| e.name.clone()),
        });
    }
    if features.contains(&Feature::Auth) {
        out.push(Screen {
            name: "Log in".into(),
            route: "#/login".into(),
            kind: ScreenKind::Login,
            entity: None,
        });
    }
    out
}

pub(crate) fn env_vars(entities: &[Entity], features: &[Feature]) -> Vec<EnvVar> {
    let var = |name: &str, description: &str, example: &str, required, secret| EnvVar {
        name: name.into(),
        description: description.into(),
        required,
        secret,
        example: example.into(),
    };
    let mut out = vec![
        var("PORT", "Port the server listens on", "8000", false, false),
        var("APP_DB_PATH", "Path of the SQLite database file (created at startup)", "app.db", false, false),
    ];
    if features.contains(&Feature::Payments) {
        out.push(var(
            "STRIPE_SECRET_KEY",
            "Stripe secret API key; checkout answers 503 while it is unset",
            "",
            true,
            true,
        ));
        if priced(entities).is_some() {
            out.push(var(
                "STRIPE_CURRENCY",
                "Three-letter ISO currency code of the prices",
                "usd",
                false,
                false,
            ));
        } else {
            out.push(var(
                "STRIPE_PRICE_ID",
                "The Stripe Price that checkout sells (price_...)",
                "",
                true,
                false,
            ));
            out.push(var(
                "STRIPE_MODE",
                "Checkout mode: payment (one-time price) or subscription (recurring price)",
                "payment",
                false,
                false,
            ));
        }
        out.push(var(
            "APP_BASE_URL",
            "Public URL of the app, for Stripe's return links",
            "http://127.0.0.1:8000",
            false,
            false,
        ));
        out.push(var(
            "STRIPE_API_BASE",
            "Base URL of the Stripe API (override for proxies and tests)",
            "https://api.stripe.com",
            false,
            false,
        ));
    }
    if features.contains(&Feature::Uploads) {
        out.push(var("APP_UPLOAD_DIR", "Folder where uploaded files are stored", "uploads", false, false));
        out.push(var("APP_MAX_UPLOAD_BYTES", "Largest accepted upload, in bytes", "5242880", false, false));
    }
    out
}

/// Every file the offline templates write, in pipeline order (backend, frontend, devops, tester).
pub(crate) fn files(entities: &[Entity], features: &[Feature]) -> Vec<PlannedFile> {
    let has = |f| features.contains(&f);
    let mut out = Vec::new();
    let mut add = |path: &str, role, purpose: &str| {
        out.push(PlannedFile { path: path.into(), role, purpose: purpose.into() })
    };
    use Role::*;
    add("requirements.txt", Backend, "Pinned Python dependencies");
    add("app/__init__.py", Backend, "Marks the app package");
    add("app/main.py", Backend, "FastAPI application: routers, security headers, static frontend at /");
    add("app/db.py", Backend, "SQLite connection per request and the schema, created at startup");
    add("app/schemas.py", Backend, "Pydantic models: what each endpoint accepts and returns");
    add("app/routers/__init__.py", Backend, "Marks the routers package");
    for e in entities {
        add(
            &format!("app/routers/{}.py", router_module(&e.plural)),
            Backend,
            &format!("CRUD endpoints for {}", naming::sentence(&e.plural).to_lowercase()),
        );
    }
    if has(Feature::Auth) {
        add("app/auth.py", Backend, "Sign-up, log-in, hashed passwords and bearer tokens");
    }
    if has(Feature::Search) {
        add("app/search.py", Backend, "Search across every entity's text fields");
    }
    if has(Feature::Payments) {
        add("app/checkout.py", Backend, "Stripe Checkout sessions");
    }
    if has(Feature::Uploads) {
        add("app/uploads.py", Backend, "File uploads with a size limit and generated file names");
    }
    add("static/index.html", Frontend, "The single page of the web UI");
    add("static/app.js", Frontend, "Screens, forms and API calls of the web UI");
    add("static/style.css", Frontend, "Styles of the web UI");
    add("Dockerfile", Devops, "Container image: slim Python, non-root user");
    add(".dockerignore", Devops, "Keeps local files out of the image");
    add("compose.yaml", Devops, "Runs the app with a persistent data volume");
    add(".github/workflows/ci.yml", Devops, "CI: install and run the tests on every push");
    add(".env.example", Devops, "Environment variables, with placeholders");
    add(".gitignore", Devops, "Files git must not track");
    add("README.md", Devops, "What the app is and how to install, run and test it");
    add("pytest.ini", Tester, "pytest settings");
    add("tests/conftest.py", Tester, "Fixtures: a fresh database per test, sample data, signed-in users");
    add("tests/test_app.py", Tester, "Health check and the served frontend");
    for e in entities {
        add(&entity_test_file(&e.plural), Tester, &format!("Tests of the /api/{} endpoints", e.plural));
    }
    if has(Feature::Auth) {
        add("tests/test_auth.py", Tester, "Tests of sign-up, log-in and tokens");
    }
    if has(Feature::Search) {
        add("tests/test_search.py", Tester, "Tests of search");
    }
    if has(Feature::Payments) {
        add("tests/test_checkout.py", Tester, "Tests of checkout, with a fake Stripe transport");
    }
    if has(Feature::Uploads) {
        add("tests/test_uploads.py", Tester, "Tests of file uploads");
    }
    out
}
