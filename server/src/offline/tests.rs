//! Tests of the whole engine: ideas → specs → rendered apps.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use expect_test::expect_file;

use crate::spec::{AppSpec, Feature, FieldType, Role};

use super::{architect, render, replan};

fn names(spec: &AppSpec) -> Vec<&str> {
    spec.entities.iter().map(|e| e.name.as_str()).collect()
}

/// `check(idea, slug, entities, features)`: what the architect makes of an idea.
fn check(idea: &str, slug: &str, entities: &[&str], features: &[Feature]) {
    let spec = architect(idea).unwrap_or_else(|e| panic!("{idea:?}: {e:#}"));
    spec.validate().unwrap();
    assert_eq!(spec.name, slug, "{idea:?}");
    assert_eq!(names(&spec), entities, "{idea:?}");
    assert_eq!(spec.features, features, "{idea:?}");
    assert_eq!(spec.idea, idea);
}

#[test]
fn known_domains() {
    use Feature::*;
    check(
        "an e-commerce shop with Stripe payments",
        "shop",
        &["Category", "Product", "Order", "OrderItem"],
        &[Payments],
    );
    check("a blog with comments", "blog", &["Post", "Comment"], &[]);
    check("a task tracker with login", "task-tracker", &["Project", "Task"], &[Auth]);
    check("a simple to-do list", "task-tracker", &["Project", "Task"], &[]);
    check("a CRM for my sales team with search", "crm", &["Company", "Contact", "Deal"], &[Search]);
    check(
        "appointment booking for a hair salon, customers pay online",
        "bookings",
        &["Service", "Booking"],
        &[Payments],
    );
    check(
        "warehouse inventory with suppliers and stock movements",
        "inventory",
        &["Supplier", "Item", "StockMovement"],
        &[],
    );
    check("a note-taking app with file attachments", "notes", &["Notebook", "Note"], &[Uploads]);
    check("a community forum with user accounts", "forum", &["Thread", "Reply"], &[Auth]);
    check("event registration for our conference", "events", &["Event", "Registration"], &[]);
    check("a recipe collection with photos", "recipes", &["Recipe", "Ingredient"], &[Uploads]);
    check("a library to lend books", "library", &["Author", "Book", "Loan"], &[]);
    check("a gym workout log", "fitness", &["Workout", "Exercise"], &[]);
    check("track my monthly expenses and budget", "expenses", &["Category", "Expense"], &[]);
}

#[test]
fn domains_combine_and_qualify() {
    check(
        "a blog with a shop",
        "blog-shop",
        &["Post", "Comment", "Category", "Product", "Order", "OrderItem"],
        &[],
    );
    let spec = architect("a pet shop").unwrap();
    assert_eq!((spec.name.as_str(), spec.title.as_str()), ("pet-shop", "Pet Shop"));
    // "to store" is a verb, not a shop.
    let spec = architect("an app to store my recipes").unwrap();
    assert_eq!(spec.name, "recipes");
    let spec = architect("a CRM").unwrap();
    assert_eq!(spec.title, "CRM");
}

#[test]
fn features_from_words() {
    use Feature::*;
    for (idea, features) in [
        ("a blog where users sign up and log in", &[Auth][..]),
        ("a shop with checkout", &[Payments]),
        ("a searchable note app", &[Search]),
        ("a recipe site where people upload images", &[Uploads]),
        (
            "a members-only forum with paid subscriptions, search and attachments",
            &[Auth, Payments, Search, Uploads],
        ),
    ] {
        assert_eq!(architect(idea).unwrap().features, features, "{idea:?}");
    }
}

#[test]
fn auth_marks_owned_entities() {
    let spec = architect("a blog with comments and accounts").unwrap();
    let owned: Vec<_> = spec.entities.iter().map(|e| (e.name.as_str(), e.requires_auth)).collect();
    assert_eq!(owned, [("Post", true), ("Comment", false)]);
    assert!(spec.endpoints.iter().any(|e| e.path == "/api/posts" && e.auth));
    assert!(spec.endpoints.iter().any(|e| e.path == "/api/auth/me" && e.auth));
    let without = architect("a blog with comments").unwrap();
    assert!(without.entities.iter().all(|e| !e.requires_auth));
}

#[test]
fn payments_imply_an_order() {
    let spec = architect("a newsletter with paid subscriptions").unwrap();
    assert!(spec.entity("Order").is_some(), "{:?}", names(&spec));
    // Nothing has a price: checkout sells a fixed Stripe Price.
    assert!(spec.env.iter().any(|v| v.name == "STRIPE_PRICE_ID" && v.required));
    let mode = spec.env.iter().find(|v| v.name == "STRIPE_MODE").unwrap();
    assert_eq!(mode.example, "subscription");
    let booking = architect("appointment bookings with payments").unwrap();
    assert!(booking.entity("Order").is_none());
}

#[test]
fn generic_fallback_uses_the_nouns() {
    let spec = architect("an app to track my houseplants and when I water them").unwrap();
    assert_eq!(spec.name, "houseplant-tracker");
    assert_eq!(names(&spec), ["Houseplant", "Watering"]);
    let watering = spec.entity("Watering").unwrap();
    assert_eq!(watering.plural, "waterings");
    assert_eq!(watering.relations[0].field, "houseplant_id");
    assert!(watering.fields.iter().any(|f| f.kind == FieldType::Date));

    let spec = architect("Vinyl albums, turntables & cassettes!").unwrap();
    assert_eq!(names(&spec), ["Vinyl", "Album", "Turntable", "Cassette"]);
    assert_eq!(spec.name, "vinyl-app");

    // A verb after "I" with no noun to attach to is a log of its own.
    let spec = architect("log how often I meditate").unwrap();
    assert_eq!(names(&spec), ["Meditating"]);
    assert!(spec.entities[0].relations.is_empty());

    // Accented letters fold to ASCII; compounds stay whole; verbs in -ing are not nouns.
    let spec = architect("a café menu with crêpes").unwrap();
    assert_eq!(names(&spec), ["Cafe", "Menu", "Crepe"]);
    let spec = architect("a real estate listing site, no online ordering").unwrap();
    assert_eq!(names(&spec), ["Property", "Listing"]);

    let spec = architect("a website with login").unwrap();
    assert_eq!(names(&spec), ["Item"]);

    let spec = architect("keep a list of my users and sessions and classes").unwrap();
    let plurals: Vec<_> = spec.entities.iter().map(|e| e.plural.as_str()).collect();
    assert_eq!(plurals, ["my_sessions", "classes"]);
}

#[test]
fn plural_naming() {
    let spec = architect("a shop and an inventory and a forum and a library").unwrap();
    let plurals: BTreeSet<_> = spec.entities.iter().map(|e| e.plural.as_str()).collect();
    for p in ["categories", "order_items", "stock_movements", "replies", "books"] {
        assert!(plurals.contains(p), "{p} in {plurals:?}");
    }
    assert!(spec.endpoints.iter().any(|e| e.path == "/api/order_items/{id}"));
    assert!(spec.screens.iter().any(|s| s.route == "#/stock_movements" && s.name == "Stock Movements"));
}

#[test]
fn meaningless_ideas_are_refused() {
    for idea in ["", "   ", "!!! ???", "42", "an app", "make me something"] {
        let err = architect(idea).unwrap_err().to_string();
        assert!(err.contains("e.g."), "{idea:?}: {err}");
    }
}

#[test]
fn shop_spec_snapshot() {
    let spec = architect("an e-commerce shop with Stripe payments").unwrap();
    expect_file!["snapshots/shop.spec.json"].assert_eq(&spec.to_json());
}

#[test]
fn shop_router_snapshot() {
    let spec = architect("an e-commerce shop with Stripe payments and search").unwrap();
    let backend = render(&spec, Role::Backend).unwrap();
    let router = backend.iter().find(|f| f.path == "app/routers/products.py").unwrap();
    expect_file!["snapshots/shop.products.py"].assert_eq(&router.contents);
}

/// A dozen varied ideas, covering every domain, every feature and the fallback.
const IDEAS: &[&str] = &[
    "an e-commerce shop with Stripe payments",
    "a blog with comments",
    "a task tracker with login",
    "an app to track my houseplants and when I water them, with login, photo uploads and search",
    "a CRM with search, file attachments and user accounts, paid by subscription",
    "appointment booking for a salon with online payment and accounts",
    "warehouse inventory with search",
    "a forum with accounts and image uploads",
    "event registration with Stripe checkout",
    "a recipe blog with search",
    "a library with books and loans, members log in",
    "a fitness workout log and expense tracker",
    "notes",
    "a newsletter with paid subscriptions",
];

#[test]
fn every_idea_renders_a_complete_app() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, idea) in IDEAS.iter().enumerate() {
        let spec = architect(idea).unwrap();
        let dir = tmp.path().join(format!("app{i}"));
        let written = write_app(&spec, &dir);
        let planned: Vec<&str> = spec.files.iter().map(|f| f.path.as_str()).collect();
        let mut sorted_written = written.clone();
        sorted_written.sort();
        let mut sorted_planned = planned.clone();
        sorted_planned.sort();
        assert_eq!(sorted_written, sorted_planned, "{idea:?}: planned files, once each");
        for role in Role::ALL {
            let files = render(&spec, role).unwrap();
            let order: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            let expected: Vec<&str> = spec.files_of(role).map(|f| f.path.as_str()).collect();
            assert_eq!(order, expected, "{idea:?} {role}: the spec's order");
            assert_eq!(files, render(&spec, role).unwrap(), "deterministic");
            for f in &files {
                for marker in ["{{", "{%", "%}", "{#"] {
                    assert!(!f.contents.contains(marker), "{idea:?}: {} holds {marker}", f.path);
                }
                assert!(f.contents.ends_with('\n'), "{}", f.path);
            }
        }
        compile_python(&dir);
        check_js(&dir.join("static/app.js"));

        // Every endpoint is exercised by some test.
        let tests: String = render(&spec, Role::Tester).unwrap().into_iter().map(|f| f.contents).collect();
        for ep in &spec.endpoints {
            let base = ep.path.split("/{").next().unwrap();
            assert!(tests.contains(&format!("\"{base}")), "{idea:?}: no test calls {}", ep.path);
            let method = format!("{:?}", ep.method).to_lowercase();
            assert!(tests.contains(&format!("client.{method}(")), "{idea:?}: no {method} call");
        }
    }
}

/// A spec a user could write: Python keywords and `BaseModel` attributes as field names, SQL
/// keywords as names, a required self-relation and a cycle of required relations, a plural that
/// is a Python keyword, a plural clashing with a test file, a title full of quotes and markup.
fn edge_spec() -> AppSpec {
    let raw: AppSpec = serde_json::from_str(include_str!("snapshots/edge-cases.input.json")).unwrap();
    replan(&raw)
}

#[test]
fn edge_cases_render_and_compile() {
    let spec = edge_spec();
    spec.validate().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let written = write_app(&spec, tmp.path());
    assert_eq!(written.len(), spec.files.len());
    assert!(written.contains(&"app/routers/pass_api.py".to_string()));
    assert!(written.contains(&"tests/test_app_api.py".to_string()));
    compile_python(tmp.path());
    check_js(&tmp.path().join("static/app.js"));
    let schemas = std::fs::read_to_string(tmp.path().join("app/schemas.py")).unwrap();
    assert!(schemas.contains(r#"class_: _Short = Field(alias="class")"#));
    assert!(schemas.contains(r#"model_config_: Optional[int] = Field(default=None, alias="model_config")"#));
    // The self-relation and the relation closing the cycle cannot be required.
    assert!(schemas.contains("    parent_id: Optional[_Id] = None\n"));
    assert!(schemas.contains("    pass_id: _Id\n"));
    assert!(schemas.contains("    group_id: Optional[_Id] = None\n"));
    let index = std::fs::read_to_string(tmp.path().join("static/index.html")).unwrap();
    assert!(index.contains("<title>Tricky &quot;quoted&quot; &lt;b&gt;app"));
}

#[test]
fn render_refuses_what_it_cannot_build() {
    let shop = architect("an e-commerce shop with Stripe payments").unwrap();
    for role in [Role::Architect, Role::Security] {
        assert_eq!(render(&shop, role).unwrap(), []);
    }

    let mut node = shop.clone();
    node.stack.backend = "express".into();
    node.stack.language = "typescript".into();
    let err = render(&node, Role::Backend).unwrap_err().to_string();
    assert!(err.contains(r#"stack.language is "typescript""#), "{err}");
    assert!(err.contains(r#"stack.backend is "express""#), "{err}");

    let mut extra = shop.clone();
    extra.files.push(crate::spec::PlannedFile {
        path: "app/stats.py".into(),
        role: Role::Backend,
        purpose: "Statistics".into(),
    });
    let err = render(&extra, Role::Backend).unwrap_err().to_string();
    assert!(err.contains(r#"cannot write "app/stats.py""#), "{err}");
    // Other roles do not plan it, so they still render.
    assert!(render(&extra, Role::Frontend).is_ok());

    let mut endpoint = shop.clone();
    endpoint.endpoints.push(crate::spec::Endpoint {
        method: crate::spec::HttpMethod::Patch,
        path: "/api/products/{product_id}".into(),
        summary: "Change a product".into(),
        entity: Some("Product".into()),
        auth: false,
    });
    let err = render(&endpoint, Role::Tester).unwrap_err().to_string();
    assert!(err.contains("PATCH /api/products/{product_id}"), "{err}");
    // A different parameter name is the same route: the spec itself is refused.
    endpoint.endpoints.last_mut().unwrap().method = crate::spec::HttpMethod::Put;
    let err = format!("{:#}", render(&endpoint, Role::Tester).unwrap_err());
    assert!(err.contains("is declared twice"), "{err}");

    // A plural that would take one of the app's own routes is refused by validation.
    let mut clash = architect("a blog with search").unwrap();
    clash.entities[0].plural = "search".into();
    let err = format!("{:#}", render(&clash, Role::Backend).unwrap_err());
    assert!(err.contains(r#"plural "search" is reserved"#), "{err}");

    let mut owner = architect("a blog with comments").unwrap();
    owner.entities[1].relations[0].field = "owner_id".into();
    let err = format!("{:#}", render(&replan(&owner), Role::Backend).unwrap_err());
    assert!(err.contains(r#"relation field "owner_id" is implicit or reserved"#), "{err}");

    let mut invalid = shop.clone();
    invalid.entities[0].fields.clear();
    let err = format!("{:#}", render(&invalid, Role::Backend).unwrap_err());
    assert!(err.contains("entity Category has no fields"), "{err}");
}

#[test]
fn a_spec_without_some_planned_files_renders_the_rest() {
    let mut spec = architect("a blog with comments").unwrap();
    spec.files.retain(|f| f.path != "README.md");
    let devops: Vec<_> = render(&spec, Role::Devops).unwrap().into_iter().map(|f| f.path).collect();
    assert!(!devops.contains(&"README.md".to_string()));
    assert!(devops.contains(&"Dockerfile".to_string()));
}

/// Writes every role's files of `spec` under `dir`; returns their paths.
fn write_app(spec: &AppSpec, dir: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    for role in Role::ALL {
        for file in render(spec, role).unwrap() {
            let path = dir.join(&file.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &file.contents).unwrap();
            paths.push(file.path);
        }
    }
    paths
}

fn compile_python(dir: &Path) {
    let out = Command::new("python3")
        .args(["-m", "compileall", "-q", "-f"])
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python does not compile in {}: {}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check_js(path: &Path) {
    let Ok(out) = Command::new("node").arg("--check").arg(path).output() else {
        return; // no Node on this machine: the Python checks still ran
    };
    assert!(
        out.status.success(),
        "{} does not parse: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Words that steer the rules: domains, features, verbs, stop words, reserved names.
    const VOCABULARY: &[&str] = &[
        "shop",
        "blog",
        "tasks",
        "crm",
        "booking",
        "inventory",
        "notes",
        "forum",
        "events",
        "recipes",
        "library",
        "workout",
        "expenses",
        "login",
        "stripe",
        "search",
        "upload",
        "photos",
        "I",
        "we",
        "water",
        "run",
        "track",
        "my",
        "the",
        "and",
        "with",
        "to",
        "store",
        "users",
        "sessions",
        "uploads",
        "class",
        "from",
        "import",
        "data",
        "people",
        "boxes",
        "plants",
        "a",
        "app",
        "when",
        "them",
        "pass",
        "select",
        "order",
        "health",
        "auth",
    ];

    fn idea_from_words() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(VOCABULARY), 0..12).prop_map(|w| w.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// Any text: a clear error or a valid spec that renders.
        #[test]
        fn any_text_gives_an_error_or_a_renderable_spec(idea in "\\PC{0,60}") {
            check_idea(&idea);
        }

        #[test]
        fn any_mix_of_known_words_gives_a_renderable_spec(idea in idea_from_words()) {
            check_idea(&idea);
        }
    }

    fn check_idea(idea: &str) {
        match architect(idea) {
            Ok(spec) => {
                spec.validate().unwrap();
                assert!(!spec.entities.is_empty());
                for role in [Role::Backend, Role::Frontend, Role::Devops, Role::Tester] {
                    let files = render(&spec, role).unwrap();
                    assert_eq!(files.len(), spec.files_of(role).count());
                }
            }
            Err(e) => assert!(e.to_string().contains("e.g."), "{idea:?}: {e}"),
        }
    }
}
