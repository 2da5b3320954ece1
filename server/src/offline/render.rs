//! The offline renderer: a spec becomes a complete FastAPI + SQLite + vanilla JS application.
//!
//! Everything the templates need is computed here, once, into a plain context (names, Python
//! annotations, SQL statements with quoted identifiers, test data); the templates only lay it
//! out. Identifiers in a valid spec are ASCII `[A-Za-z0-9_]`, so they are safe inside quoted SQL
//! identifiers and Python string literals; every value that reaches generated code goes through
//! [`py_lit`] or `serde_json`.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};
use serde::Serialize;
use serde_json::{Value, json};

use crate::spec::{AppSpec, Entity, Feature, FieldType, GeneratedFile, HttpMethod, Role};

use super::{naming, plan};

/// Templates, by name. Per-entity templates are rendered once per entity.
const TEMPLATES: &[(&str, &str)] = &[
    ("requirements.txt", include_str!("templates/requirements.txt.j2")),
    ("app/__init__.py", include_str!("templates/app/__init__.py.j2")),
    ("app/main.py", include_str!("templates/app/main.py.j2")),
    ("app/db.py", include_str!("templates/app/db.py.j2")),
    ("app/schemas.py", include_str!("templates/app/schemas.py.j2")),
    ("app/routers/__init__.py", include_str!("templates/app/routers/__init__.py.j2")),
    ("router", include_str!("templates/app/routers/entity.py.j2")),
    ("app/auth.py", include_str!("templates/app/auth.py.j2")),
    ("app/search.py", include_str!("templates/app/search.py.j2")),
    ("app/checkout.py", include_str!("templates/app/checkout.py.j2")),
    ("app/uploads.py", include_str!("templates/app/uploads.py.j2")),
    ("static/index.html", include_str!("templates/static/index.html.j2")),
    ("static/app.js", include_str!("templates/static/app.js.j2")),
    ("static/style.css", include_str!("templates/static/style.css.j2")),
    ("Dockerfile", include_str!("templates/Dockerfile.j2")),
    (".dockerignore", include_str!("templates/dockerignore.j2")),
    ("compose.yaml", include_str!("templates/compose.yaml.j2")),
    (".github/workflows/ci.yml", include_str!("templates/ci.yml.j2")),
    (".env.example", include_str!("templates/env.example.j2")),
    (".gitignore", include_str!("templates/gitignore.j2")),
    ("README.md", include_str!("templates/README.md.j2")),
    ("pytest.ini", include_str!("templates/pytest.ini.j2")),
    ("tests/conftest.py", include_str!("templates/tests/conftest.py.j2")),
    ("tests/test_app.py", include_str!("templates/tests/test_app.py.j2")),
    ("entity_test", include_str!("templates/tests/test_entity.py.j2")),
    ("tests/test_auth.py", include_str!("templates/tests/test_auth.py.j2")),
    ("tests/test_search.py", include_str!("templates/tests/test_search.py.j2")),
    ("tests/test_checkout.py", include_str!("templates/tests/test_checkout.py.j2")),
    ("tests/test_uploads.py", include_str!("templates/tests/test_uploads.py.j2")),
];

/// Renders the files of one role, exactly the spec's planned files for that role, in order.
pub fn render(spec: &AppSpec, role: Role) -> anyhow::Result<Vec<GeneratedFile>> {
    if matches!(role, Role::Architect | Role::Security) {
        return Ok(Vec::new());
    }
    check_stack(spec)?;
    spec.validate().context("the offline engine renders only a valid spec")?;
    check_routes(spec)?;
    check_endpoints(spec)?;
    let app = app_context(spec);

    // Which template writes each path the offline plan knows, for this spec.
    let mut known: BTreeMap<String, (&str, Option<usize>)> = BTreeMap::new();
    for file in plan::files(&spec.entities, &spec.features) {
        let entity = spec
            .entities
            .iter()
            .position(|e| file.path == format!("app/routers/{}.py", plan::router_module(&e.plural)))
            .map(|i| ("router", i))
            .or_else(|| {
                spec.entities
                    .iter()
                    .position(|e| file.path == plan::entity_test_file(&e.plural))
                    .map(|i| ("entity_test", i))
            });
        let (template, index) = match entity {
            Some((t, i)) => (t, Some(i)),
            None => (
                TEMPLATES
                    .iter()
                    .find(|(name, _)| *name == file.path)
                    .map(|(name, _)| *name)
                    .expect("every planned path has a template"),
                None,
            ),
        };
        known.insert(file.path, (template, index));
    }

    let env = environment()?;
    let mut out = Vec::new();
    for file in spec.files_of(role) {
        let Some((template, index)) = known.get(&file.path) else {
            bail!(
                "the offline engine cannot write {:?} (planned for the {} role): its templates \
                 write only {}. Remove the file from the spec, re-plan the spec \
                 (offline::replan) or use a model engine.",
                file.path,
                role,
                known.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        };
        let entity = index.map(|i| &app.entities[i]);
        let contents = env
            .get_template(template)?
            .render(context! { app => &app, entity => entity })
            .with_context(|| format!("rendering {} (a bug in AUTOCREA's templates)", file.path))?;
        out.push(GeneratedFile { path: file.path.clone(), contents });
    }
    Ok(out)
}

fn check_stack(spec: &AppSpec) -> anyhow::Result<()> {
    let s = &spec.stack;
    let norm = |v: &str| v.trim().to_ascii_lowercase();
    let checks: [(&str, &str, &[&str]); 5] = [
        ("language", &s.language, &["python", "python3"]),
        ("backend", &s.backend, &["fastapi"]),
        ("frontend", &s.frontend, &["vanilla-js", "vanilla", "vanillajs", "html", "javascript"]),
        ("database", &s.database, &["sqlite", "sqlite3"]),
        ("tests", &s.tests, &["pytest"]),
    ];
    let wrong: Vec<String> = checks
        .iter()
        .filter(|(_, value, ok)| !ok.contains(&norm(value).as_str()))
        .map(|(what, value, ok)| format!("stack.{what} is {value:?} (expected {:?})", ok[0]))
        .collect();
    if !wrong.is_empty() {
        bail!(
            "the offline engine renders only python/fastapi/vanilla-js/sqlite/pytest apps: {}; \
             use a model engine for this stack or change the spec's stack",
            wrong.join(", ")
        );
    }
    Ok(())
}

/// Entity URLs must not take the routes of the app's own endpoints, nor relations the implicit
/// `owner_id` column (`validate` knows neither).
fn check_routes(spec: &AppSpec) -> anyhow::Result<()> {
    for e in &spec.entities {
        if let Some(r) = e.relations.iter().find(|r| r.field == "owner_id") {
            bail!(
                "entity {}: relation field \"owner_id\" (to {}) is reserved for the signed-in \
                 owner of a row; rename it (e.g. \"{}_id\")",
                e.name,
                r.target,
                naming::snake(&r.target)
            );
        }
        let taken = match e.plural.as_str() {
            "health" => Some("the health check"),
            "auth" if spec.has(Feature::Auth) => Some("the auth feature"),
            "search" if spec.has(Feature::Search) => Some("the search feature"),
            "checkout" if spec.has(Feature::Payments) => Some("the payments feature"),
            _ => None,
        };
        if let Some(owner) = taken {
            bail!(
                "entity {}: its plural {:?} would serve /api/{}, which {owner} uses; \
                 rename the plural (e.g. {:?})",
                e.name,
                e.plural,
                e.plural,
                format!("{}_items", e.plural)
            );
        }
    }
    Ok(())
}

/// Every endpoint the spec lists must be one the templates implement (and test).
fn check_endpoints(spec: &AppSpec) -> anyhow::Result<()> {
    // `{id}`, `{product_id}`, ... all name the one path parameter.
    let shape = |path: &str| {
        let mut out = String::new();
        let mut in_param = false;
        for c in path.trim_end_matches('/').chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                c if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    };
    let implemented: Vec<_> = plan::endpoints(&spec.entities, &spec.features)
        .into_iter()
        .map(|ep| (ep.method, shape(&ep.path)))
        .collect();
    let missing: Vec<String> = spec
        .endpoints
        .iter()
        .filter(|ep| !implemented.contains(&(ep.method, shape(&ep.path))))
        .map(|ep| format!("{} {}", method_str(ep.method), ep.path))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the offline templates do not implement {}: they serve CRUD per entity and the \
             auth, search, checkout and uploads endpoints of the spec's features; remove these \
             endpoints or re-plan the spec (offline::replan)",
            missing.join(", ")
        );
    }
    Ok(())
}

fn method_str(m: HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Delete => "DELETE",
    }
}

fn environment() -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    // A JSON string literal, which YAML also reads as a double-quoted string.
    env.add_filter("json_str", |v: String| serde_json::to_string(&v).expect("a string serializes"));
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

#[derive(Serialize)]
struct AppCtx {
    name: String,
    title: String,
    summary: String,
    auth: bool,
    payments: bool,
    search: bool,
    uploads: bool,
    /// Some field is a date or a date-time.
    uses_dates: bool,
    entities: Vec<EntityCtx>,
    endpoints: Vec<EndpointCtx>,
    env: Vec<EnvCtx>,
    checkout: Option<CheckoutCtx>,
    install: String,
    test: String,
    run: String,
    /// The web UI's configuration, a JSON object.
    frontend_json: String,
    /// The test data model, a Python literal.
    test_entities: String,
    /// `title` and `summary` as Python string literals.
    title_py: String,
    summary_py: String,
}

#[derive(Serialize)]
struct EndpointCtx {
    method: String,
    path: String,
    summary: String,
    auth: bool,
}

#[derive(Serialize)]
struct EnvCtx {
    name: String,
    description: String,
    /// Never a secret: empty for secret variables.
    example: String,
    required: bool,
    secret: bool,
}

#[derive(Serialize)]
struct CheckoutCtx {
    /// Sells rows of an entity with a price; else a fixed Stripe Price (`STRIPE_PRICE_ID`).
    priced: bool,
    plural: String,
    module: String,
    entity: String,
    price: String,
    price_integer: bool,
    label: Option<String>,
    select_sql: String,
}

#[derive(Serialize)]
struct EntityCtx {
    name: String,
    plural: String,
    module: String,
    /// "Order Items".
    label: String,
    /// "order item", and "an order item".
    one: String,
    a_one: String,
    requires_auth: bool,
    searchable: bool,
    fields: Vec<FieldCtx>,
    relations: Vec<RelationCtx>,
    /// Writable columns, in insert order (fields, then relation fields).
    columns: Vec<String>,
    /// `columns` and the boolean columns as Python tuples.
    columns_py: String,
    bool_columns_py: String,
    ddl: Vec<String>,
    sql_get: String,
    sql_list: String,
    sql_search: String,
    sql_insert: String,
    sql_update: String,
    sql_delete: String,
    test: TestCtx,
}

#[derive(Serialize)]
struct FieldCtx {
    name: String,
    /// The pydantic class line of the input model, and of the output model.
    in_line: String,
    out_line: String,
}

#[derive(Serialize)]
struct RelationCtx {
    field: String,
    target: String,
    target_plural: String,
    required: bool,
    exists_sql: String,
}

/// What an entity's tests need, as Python literals where they are values.
#[derive(Serialize)]
struct TestCtx {
    /// A field and a value of the wrong type for it.
    invalid_field: String,
    invalid_value: String,
    /// A required key to leave out, if any.
    missing_required: Option<String>,
    emails: Vec<String>,
    urls: Vec<String>,
    unique: Option<String>,
    /// Field and value carrying the search marker.
    search_field: Option<String>,
    search_value: String,
}

/// The marker the generated search tests look for.
const MARKER: &str = "qxzvmarker";

fn app_context(spec: &AppSpec) -> AppCtx {
    let has = |f| spec.has(f);
    let required_relations = acyclic_required(&spec.entities);
    let entities: Vec<EntityCtx> = spec
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| entity_context(spec, e, &required_relations[i]))
        .collect();

    let endpoints = plan::endpoints(&spec.entities, &spec.features)
        .into_iter()
        .map(|ep| EndpointCtx {
            method: method_str(ep.method).to_string(),
            path: ep.path,
            summary: ep.summary,
            auth: ep.auth,
        })
        .collect();

    // The variables the code reads, described by the spec where it describes them, then any
    // others the spec lists.
    let derived = plan::env_vars(&spec.entities, &spec.features);
    let mut env: Vec<EnvCtx> = derived
        .iter()
        .map(|d| {
            let s = spec.env.iter().find(|v| v.name == d.name).unwrap_or(d);
            EnvCtx {
                name: d.name.clone(),
                description: one_line(&s.description),
                example: if d.secret || s.secret { String::new() } else { one_line(&s.example) },
                required: d.required,
                secret: d.secret || s.secret,
            }
        })
        .collect();
    for v in &spec.env {
        if !derived.iter().any(|d| d.name == v.name) {
            env.push(EnvCtx {
                name: v.name.clone(),
                description: one_line(&v.description),
                example: if v.secret { String::new() } else { one_line(&v.example) },
                required: v.required,
                secret: v.secret,
            });
        }
    }

    let checkout = has(Feature::Payments).then(|| match plan::priced(&spec.entities) {
        Some((e, price, label)) => {
            let mut cols = vec![quote(&price.name)];
            if let Some(l) = label {
                cols.push(quote(&l.name));
            }
            CheckoutCtx {
                priced: true,
                plural: e.plural.clone(),
                module: plan::router_module(&e.plural),
                entity: e.name.clone(),
                price: price.name.clone(),
                price_integer: price.kind == FieldType::Integer,
                label: label.map(|l| l.name.clone()),
                select_sql: format!("SELECT {} FROM {} WHERE \"id\" = ?", cols.join(", "), quote(&e.plural)),
            }
        }
        None => CheckoutCtx {
            priced: false,
            plural: String::new(),
            module: String::new(),
            entity: String::new(),
            price: String::new(),
            price_integer: false,
            label: None,
            select_sql: String::new(),
        },
    });

    let frontend = frontend_config(spec, &required_relations);
    let test_entities = test_model(spec, &required_relations);
    AppCtx {
        name: spec.name.clone(),
        title: one_line(&spec.title),
        summary: one_line(&spec.summary),
        auth: has(Feature::Auth),
        payments: has(Feature::Payments),
        search: has(Feature::Search),
        uploads: has(Feature::Uploads),
        uses_dates: spec
            .entities
            .iter()
            .flat_map(|e| &e.fields)
            .any(|f| matches!(f.kind, FieldType::Date | FieldType::Datetime)),
        entities,
        endpoints,
        env,
        checkout,
        install: spec.commands.install.clone(),
        test: spec.commands.test.clone(),
        run: spec.commands.run.clone(),
        frontend_json: serde_json::to_string_pretty(&frontend).expect("JSON serializes"),
        test_entities: py_lit(&test_entities, 0),
        title_py: py_lit(&json!(one_line(&spec.title)), 0),
        summary_py: py_lit(&json!(one_line(&spec.summary)), 0),
    }
}

/// For each entity, which of its relations stay required: a required relation that would close
/// a cycle of required relations (an entity needing itself, directly or not) could never be
/// satisfied by a first row, so the templates treat it as optional.
fn acyclic_required(entities: &[Entity]) -> Vec<Vec<bool>> {
    let index = |name: &str| entities.iter().position(|e| e.name == name);
    let mut kept: Vec<Vec<usize>> = vec![Vec::new(); entities.len()];
    let mut out = Vec::new();
    for (i, e) in entities.iter().enumerate() {
        let mut flags = Vec::new();
        for r in &e.relations {
            let keep = match index(&r.target) {
                Some(t) if r.required => {
                    // Adding i → t closes a cycle when t already reaches i.
                    let mut stack = vec![t];
                    let mut seen = vec![false; entities.len()];
                    let mut cycle = false;
                    while let Some(n) = stack.pop() {
                        if n == i {
                            cycle = true;
                            break;
                        }
                        if !std::mem::replace(&mut seen[n], true) {
                            stack.extend(&kept[n]);
                        }
                    }
                    if !cycle {
                        kept[i].push(t);
                    }
                    !cycle
                }
                _ => false,
            };
            flags.push(keep);
        }
        out.push(flags);
    }
    out
}

fn quote(ident: &str) -> String {
    format!("\"{ident}\"")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Field names a pydantic model cannot use as attributes: Python keywords, `BaseModel`'s own
/// attributes, and the names the models' annotations use.
const UNSAFE_ATTRS: &[&str] = &[
    "construct",
    "copy",
    "dict",
    "from_orm",
    "json",
    "model_computed_fields",
    "model_config",
    "model_construct",
    "model_copy",
    "model_dump",
    "model_dump_json",
    "model_extra",
    "model_fields",
    "model_fields_set",
    "model_json_schema",
    "model_parametrized_name",
    "model_post_init",
    "model_rebuild",
    "model_validate",
    "model_validate_json",
    "model_validate_strings",
    "parse_file",
    "parse_obj",
    "parse_raw",
    "schema",
    "schema_json",
    "update_forward_refs",
    "validate",
    "int",
    "float",
    "str",
    "bool",
    "list",
    "dict",
    "optional",
    "annotated",
    "field",
];

/// Numeric fields that cannot be negative, by name.
fn non_negative(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "price",
        "unit_price",
        "amount",
        "cost",
        "fee",
        "total",
        "quantity",
        "stock",
        "capacity",
        "servings",
        "sets",
        "reps",
        "weight",
        "duration",
        "age",
    ];
    NAMES.contains(&name)
        || ["_minutes", "_count", "_price", "_hours", "_seconds"].iter().any(|s| name.ends_with(s))
}

fn entity_context(spec: &AppSpec, e: &Entity, required_rel: &[bool]) -> EntityCtx {
    let auth = e.requires_auth && spec.has(Feature::Auth);
    let table = quote(&e.plural);

    let mut fields = Vec::new();
    let mut ddl = vec!["\"id\" INTEGER PRIMARY KEY AUTOINCREMENT".to_string()];
    for fd in &e.fields {
        let unsafe_attr =
            plan::PY_KEYWORDS.contains(&fd.name.as_str()) || UNSAFE_ATTRS.contains(&fd.name.as_str());
        let attr = if unsafe_attr { format!("{}_", fd.name) } else { fd.name.clone() };
        let nonneg = non_negative(&fd.name);
        let base = match fd.kind {
            FieldType::String => "_Short".to_string(),
            FieldType::Text => "_Long".to_string(),
            FieldType::Integer if nonneg => "Annotated[int, Field(ge=0)]".to_string(),
            FieldType::Integer => "int".to_string(),
            FieldType::Number if nonneg => "Annotated[float, Field(ge=0)]".to_string(),
            FieldType::Number => "float".to_string(),
            FieldType::Boolean => "bool".to_string(),
            FieldType::Date => "_dt.date".to_string(),
            FieldType::Datetime => "_dt.datetime".to_string(),
            FieldType::Email => "_Email".to_string(),
            FieldType::Url => "_Url".to_string(),
        };
        let (ann, default) = if fd.required {
            (base, None)
        } else if fd.kind == FieldType::Boolean {
            (base, Some("False"))
        } else {
            (format!("Optional[{base}]"), Some("None"))
        };
        let out_ann = match fd.kind {
            FieldType::Integer => "Optional[int]",
            FieldType::Number => "Optional[float]",
            FieldType::Boolean => "Optional[bool]",
            _ => "Optional[str]",
        };
        let in_line = match (unsafe_attr, default) {
            (false, None) => format!("{attr}: {ann}"),
            (false, Some(d)) => format!("{attr}: {ann} = {d}"),
            (true, None) => format!("{attr}: {ann} = Field(alias=\"{}\")", fd.name),
            (true, Some(d)) => format!("{attr}: {ann} = Field(default={d}, alias=\"{}\")", fd.name),
        };
        let out_line = if unsafe_attr {
            format!("{attr}: {out_ann} = Field(default=None, alias=\"{}\")", fd.name)
        } else {
            format!("{attr}: {out_ann} = None")
        };
        fields.push(FieldCtx { name: fd.name.clone(), in_line, out_line });
        let sql_type = match fd.kind {
            FieldType::Integer | FieldType::Boolean => "INTEGER",
            FieldType::Number => "REAL",
            _ => "TEXT",
        };
        let mut col = format!("{} {sql_type}", quote(&fd.name));
        if fd.required {
            col.push_str(" NOT NULL");
        }
        if fd.unique {
            col.push_str(" UNIQUE");
        }
        ddl.push(col);
    }

    let mut relations = Vec::new();
    for (r, &required) in e.relations.iter().zip(required_rel) {
        let target = spec.entity(&r.target).expect("validated relation target");
        relations.push(RelationCtx {
            field: r.field.clone(),
            target: r.target.clone(),
            target_plural: target.plural.clone(),
            required,
            exists_sql: format!("SELECT 1 FROM {} WHERE \"id\" = ?", quote(&target.plural)),
        });
        ddl.push(format!(
            "{} INTEGER{} REFERENCES {}(\"id\") ON DELETE {}",
            quote(&r.field),
            if required { " NOT NULL" } else { "" },
            quote(&target.plural),
            if required { "CASCADE" } else { "SET NULL" }
        ));
    }
    if auth {
        ddl.push("\"owner_id\" INTEGER REFERENCES \"users\"(\"id\") ON DELETE CASCADE".into());
    }
    ddl.push("\"created_at\" TEXT NOT NULL".into());

    let columns: Vec<String> =
        e.fields.iter().map(|f| f.name.clone()).chain(e.relations.iter().map(|r| r.field.clone())).collect();
    let mut select: Vec<String> = vec![quote("id")];
    select.extend(columns.iter().map(|c| quote(c)));
    if auth {
        select.push(quote("owner_id"));
    }
    select.push(quote("created_at"));
    let select = select.join(", ");
    let mut insert_cols: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    if auth {
        insert_cols.push(quote("owner_id"));
    }
    insert_cols.push(quote("created_at"));
    let placeholders = vec!["?"; insert_cols.len()].join(", ");
    let text_columns: Vec<&str> =
        e.fields.iter().filter(|f| plan::is_text(f.kind)).map(|f| f.name.as_str()).collect();
    let searchable = !text_columns.is_empty() && spec.has(Feature::Search);
    let sql_search = if searchable {
        format!(
            "SELECT {select} FROM {table} WHERE {} ORDER BY \"id\" LIMIT :limit OFFSET :offset",
            text_columns
                .iter()
                .map(|c| format!("{} LIKE :pattern ESCAPE :escape", quote(c)))
                .collect::<Vec<_>>()
                .join(" OR ")
        )
    } else {
        String::new()
    };

    EntityCtx {
        name: e.name.clone(),
        plural: e.plural.clone(),
        module: plan::router_module(&e.plural),
        label: naming::title(&e.plural),
        one: naming::sentence(&e.name).to_lowercase(),
        a_one: naming::with_article(&naming::sentence(&e.name).to_lowercase()),
        requires_auth: auth,
        searchable,
        fields,
        relations,
        columns_py: py_tuple(columns.iter()),
        bool_columns_py: py_tuple(e.fields.iter().filter(|f| f.kind == FieldType::Boolean).map(|f| &f.name)),
        ddl,
        sql_get: format!("SELECT {select} FROM {table} WHERE \"id\" = ?"),
        sql_list: format!("SELECT {select} FROM {table} ORDER BY \"id\" LIMIT ? OFFSET ?"),
        sql_search,
        sql_insert: format!("INSERT INTO {table} ({}) VALUES ({placeholders})", insert_cols.join(", ")),
        sql_update: format!(
            "UPDATE {table} SET {} WHERE \"id\" = ?",
            columns.iter().map(|c| format!("{} = ?", quote(c))).collect::<Vec<_>>().join(", ")
        ),
        sql_delete: format!("DELETE FROM {table} WHERE \"id\" = ?"),
        columns,
        test: test_context(e, required_rel),
    }
}

fn test_context(e: &Entity, required_rel: &[bool]) -> TestCtx {
    let first = &e.fields[0];
    let invalid = match first.kind {
        FieldType::String | FieldType::Text | FieldType::Email | FieldType::Url => json!(12345),
        FieldType::Integer | FieldType::Number => json!("not a number"),
        FieldType::Boolean => json!("not a boolean"),
        FieldType::Date | FieldType::Datetime => json!("not a date"),
    };
    let missing_required = e.fields.iter().find(|f| f.required).map(|f| f.name.clone()).or_else(|| {
        e.relations.iter().zip(required_rel).find(|(_, req)| **req).map(|(r, _)| r.field.clone())
    });
    let of_kind = |k| e.fields.iter().filter(|f| f.kind == k).map(|f| f.name.clone()).collect::<Vec<_>>();
    let search = e
        .fields
        .iter()
        .find(|f| matches!(f.kind, FieldType::String | FieldType::Text))
        .or_else(|| e.fields.iter().find(|f| plan::is_text(f.kind)));
    let search_value = match search.map(|f| f.kind) {
        Some(FieldType::Email) => format!("{MARKER}@example.com"),
        Some(FieldType::Url) => format!("https://example.com/{MARKER}"),
        _ => format!("Find {MARKER} here"),
    };
    TestCtx {
        invalid_field: first.name.clone(),
        invalid_value: py_lit(&invalid, 0),
        missing_required,
        emails: of_kind(FieldType::Email),
        urls: of_kind(FieldType::Url),
        unique: e.fields.iter().find(|f| f.unique).map(|f| f.name.clone()),
        search_field: search.map(|f| f.name.clone()),
        search_value: py_lit(&json!(search_value), 0),
    }
}

fn kind_name(k: FieldType) -> &'static str {
    match k {
        FieldType::String => "string",
        FieldType::Text => "text",
        FieldType::Integer => "integer",
        FieldType::Number => "number",
        FieldType::Boolean => "boolean",
        FieldType::Date => "date",
        FieldType::Datetime => "datetime",
        FieldType::Email => "email",
        FieldType::Url => "url",
    }
}

/// The data model as the generated tests see it: per plural, field types, parents, auth.
fn test_model(spec: &AppSpec, required_rel: &[Vec<bool>]) -> Value {
    let mut out = serde_json::Map::new();
    for (e, req) in spec.entities.iter().zip(required_rel) {
        let fields: serde_json::Map<String, Value> =
            e.fields.iter().map(|f| (f.name.clone(), json!(kind_name(f.kind)))).collect();
        let parents: serde_json::Map<String, Value> = e
            .relations
            .iter()
            .zip(req)
            .map(|(r, required)| {
                let plural = spec.entity(&r.target).map(|t| t.plural.clone());
                (r.field.clone(), json!({"plural": plural, "required": required}))
            })
            .collect();
        out.insert(
            e.plural.clone(),
            json!({
                "fields": fields,
                "parents": parents,
                "auth": e.requires_auth && spec.has(Feature::Auth),
            }),
        );
    }
    Value::Object(out)
}

/// The web UI's configuration: screens, entities and their fields, features.
fn frontend_config(spec: &AppSpec, required_rel: &[Vec<bool>]) -> Value {
    let plural_of = |name: &str| spec.entity(name).map(|e| e.plural.clone());
    let screens: Vec<Value> = spec
        .screens
        .iter()
        .map(|s| {
            json!({
                "name": one_line(&s.name),
                "route": s.route,
                "kind": s.kind,
                "entity": s.entity.as_deref().and_then(plural_of),
            })
        })
        .collect();
    let entities: Vec<Value> = spec
        .entities
        .iter()
        .zip(required_rel)
        .map(|(e, req)| {
            json!({
                "name": e.name,
                "plural": e.plural,
                "label": naming::title(&e.plural),
                "one": naming::sentence(&e.name).to_lowercase(),
                "requiresAuth": e.requires_auth && spec.has(Feature::Auth),
                "labelField": plan::label_field(e).map(|f| f.name.clone()),
                "searchable": e.fields.iter().any(|f| plan::is_text(f.kind)),
                "fields": e.fields.iter().map(|f| json!({
                    "name": f.name,
                    "label": naming::sentence(&f.name),
                    "type": kind_name(f.kind),
                    "required": f.required,
                })).collect::<Vec<_>>(),
                "relations": e.relations.iter().zip(req).map(|(r, required)| json!({
                    "field": r.field,
                    "label": naming::sentence(r.field.trim_end_matches("_id")),
                    "target": plural_of(&r.target),
                    "required": required,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let checkout = if spec.has(Feature::Payments) {
        match plan::priced(&spec.entities) {
            Some((e, price, label)) => json!({
                "plural": e.plural,
                "priceField": price.name,
                "labelField": label.map(|l| l.name.clone()),
            }),
            None => json!({ "plural": null }),
        }
    } else {
        Value::Null
    };
    json!({
        "title": one_line(&spec.title),
        "summary": one_line(&spec.summary),
        "features": {
            "auth": spec.has(Feature::Auth),
            "payments": spec.has(Feature::Payments),
            "search": spec.has(Feature::Search),
            "uploads": spec.has(Feature::Uploads),
        },
        "screens": screens,
        "entities": entities,
        "checkout": checkout,
    })
}

/// A Python literal for a JSON value (dicts, lists, strings, numbers, True/False/None).
/// Nested containers are laid out one item per line, indented from `indent`.
pub(crate) fn py_lit(v: &Value, indent: usize) -> String {
    let pad = "    ".repeat(indent + 1);
    let end = "    ".repeat(indent);
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => py_str(s),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => format!(
            "[\n{}{end}]",
            items.iter().map(|i| format!("{pad}{},\n", py_lit(i, indent + 1))).collect::<String>()
        ),
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => format!(
            "{{\n{}{end}}}",
            map.iter()
                .map(|(k, v)| format!("{pad}{}: {},\n", py_str(k), py_lit(v, indent + 1)))
                .collect::<String>()
        ),
    }
}

/// A Python tuple of strings: `()`, `("a",)`, `("a", "b")`.
fn py_tuple<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let items: Vec<String> = items.map(|s| py_str(s)).collect();
    match items.len() {
        0 => "()".into(),
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

/// A Python string literal, double-quoted, with escapes for anything unusual.
fn py_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals() {
        assert_eq!(py_lit(&json!("a\"b\\c\n"), 0), r#""a\"b\\c\n""#);
        assert_eq!(
            py_lit(&json!({"a": [1, true, null]}), 0),
            "{\n    \"a\": [\n        1,\n        True,\n        None,\n    ],\n}"
        );
    }
}
