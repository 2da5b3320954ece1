//! `AppSpec`: the architect's plan for an application.
//!
//! Every later role, a re-run, the preview and other tools read it from `.autocrea/spec.json`
//! in the generated app. The JSON Schema committed at `server/schema/app-spec.schema.json` is
//! generated from these types (`autocrea schema` prints it; a test keeps the file in sync).

use std::collections::BTreeSet;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where the spec is saved, relative to the app's folder.
pub const SPEC_PATH: &str = ".autocrea/spec.json";

/// The current version of the spec format.
pub const SPEC_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppSpec {
    /// Version of this format; currently 1.
    pub version: u32,
    /// Machine name of the app: lowercase letters, digits and dashes ("pet-shop").
    pub name: String,
    /// Human title ("Pet Shop").
    pub title: String,
    /// One or two sentences on what the app does.
    pub summary: String,
    /// The idea the user wrote, verbatim.
    pub idea: String,
    pub stack: Stack,
    pub entities: Vec<Entity>,
    pub endpoints: Vec<Endpoint>,
    pub screens: Vec<Screen>,
    pub features: Vec<Feature>,
    /// Every file the roles will write, each owned by exactly one role.
    pub files: Vec<PlannedFile>,
    pub commands: Commands,
    /// Environment variables the app reads.
    pub env: Vec<EnvVar>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Stack {
    /// Language of the backend ("python").
    pub language: String,
    /// Backend framework ("fastapi").
    pub backend: String,
    /// Frontend technology ("vanilla-js": static pages served by the backend, no build step).
    pub frontend: String,
    /// Database ("sqlite").
    pub database: String,
    /// Test framework ("pytest").
    pub tests: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entity {
    /// PascalCase singular name ("Product").
    pub name: String,
    /// snake_case plural used for tables and URLs ("products").
    pub plural: String,
    /// Fields besides the implicit `id` (integer primary key) and `created_at`.
    pub fields: Vec<Field>,
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// Creating, changing and deleting need a signed-in user (only with the `auth` feature).
    #[serde(default)]
    pub requires_auth: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Field {
    /// snake_case name ("price").
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub unique: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Short text (a name, a title).
    String,
    /// Long text (a description, a body).
    Text,
    Integer,
    /// A decimal number (a price, a quantity with fractions).
    Number,
    Boolean,
    /// ISO 8601 date.
    Date,
    /// ISO 8601 date and time.
    Datetime,
    Email,
    Url,
}

/// A many-to-one link: this entity holds `field`, the id of a `target` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Relation {
    /// Name of the target entity ("Post").
    pub target: String,
    /// snake_case foreign key field, not listed among `fields` ("post_id").
    pub field: String,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    pub method: HttpMethod,
    /// Path starting with `/`, with `{id}`-style parameters.
    pub path: String,
    pub summary: String,
    /// The entity it serves, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Needs a signed-in user.
    #[serde(default)]
    pub auth: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Screen {
    /// Title shown to the user ("Products").
    pub name: String,
    /// Route in the web UI ("#/products").
    pub route: String,
    pub kind: ScreenKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScreenKind {
    Home,
    List,
    Login,
    Checkout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Feature {
    /// Sign-up and log-in with hashed passwords and bearer tokens.
    Auth,
    /// Stripe Checkout.
    Payments,
    /// Text search over entities.
    Search,
    /// File uploads.
    Uploads,
}

/// The roles of the team, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Architect,
    Backend,
    Frontend,
    Devops,
    Tester,
    Security,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Architect, Role::Backend, Role::Frontend, Role::Devops, Role::Tester, Role::Security];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Architect => "architect",
            Role::Backend => "backend",
            Role::Frontend => "frontend",
            Role::Devops => "devops",
            Role::Tester => "tester",
            Role::Security => "security",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannedFile {
    /// Relative path with `/` separators ("app/main.py").
    pub path: String,
    /// The role that writes it.
    pub role: Role,
    /// What the file is for.
    pub purpose: String,
}

/// Shell commands, run with `sh -c` in the app's folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Commands {
    /// Installs dependencies (creates a virtual environment, etc.).
    pub install: String,
    /// Runs the test suite; exit code 0 means every test passed.
    pub test: String,
    /// Starts the app; it listens on `$PORT` (default 8000).
    pub run: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    /// UPPER_SNAKE_CASE name.
    pub name: String,
    pub description: String,
    /// The app refuses the features that need it when it is unset.
    #[serde(default)]
    pub required: bool,
    /// Holds a secret: never written anywhere but the user's own `.env`.
    #[serde(default)]
    pub secret: bool,
    /// Value shown in `.env.example` (never a real secret).
    #[serde(default)]
    pub example: String,
}

impl AppSpec {
    pub fn has(&self, feature: Feature) -> bool {
        self.features.contains(&feature)
    }

    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    pub fn files_of(&self, role: Role) -> impl Iterator<Item = &PlannedFile> {
        self.files.iter().filter(move |f| f.role == role)
    }

    /// Parses and validates a spec from JSON.
    pub fn from_json(text: &str) -> Result<AppSpec, SpecError> {
        let spec: AppSpec =
            serde_json::from_str(text).map_err(|e| SpecError(vec![format!("not a valid AppSpec: {e}")]))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Pretty JSON, as saved in `.autocrea/spec.json`.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("AppSpec always serializes");
        s.push('\n');
        s
    }

    /// Checks everything serde cannot: names, references between parts, paths, commands.
    /// Returns every problem at once, so a model can be told all of them in one go.
    pub fn validate(&self) -> Result<(), SpecError> {
        let mut errors = Vec::new();
        let mut err = |msg: String| errors.push(msg);

        if self.version != SPEC_VERSION {
            err(format!("version is {}, expected {SPEC_VERSION}", self.version));
        }
        if !is_slug(&self.name) {
            err(format!(
                "name {:?} must be lowercase letters, digits and single dashes, starting with a letter",
                self.name
            ));
        }
        if self.title.trim().is_empty() {
            err("title is empty".into());
        }
        if self.summary.trim().is_empty() {
            err("summary is empty".into());
        }
        for (what, value) in [
            ("stack.language", &self.stack.language),
            ("stack.backend", &self.stack.backend),
            ("stack.frontend", &self.stack.frontend),
            ("stack.database", &self.stack.database),
            ("stack.tests", &self.stack.tests),
        ] {
            if value.trim().is_empty() {
                err(format!("{what} is empty"));
            }
        }

        if self.entities.is_empty() {
            err("entities is empty: an app needs at least one entity".into());
        }
        let mut names = BTreeSet::new();
        let mut plurals = BTreeSet::new();
        for entity in &self.entities {
            let e = &entity.name;
            if !is_pascal(e) {
                err(format!("entity {e:?}: name must be PascalCase (\"OrderItem\")"));
            }
            if !names.insert(e.as_str()) {
                err(format!("entity {e:?} is declared twice"));
            }
            if !is_snake(&entity.plural) {
                err(format!("entity {e}: plural {:?} must be snake_case", entity.plural));
            } else if RESERVED_TABLES.contains(&entity.plural.as_str()) {
                err(format!("entity {e}: plural {:?} is reserved", entity.plural));
            }
            if !plurals.insert(entity.plural.as_str()) {
                err(format!("entity {e}: plural {:?} is used twice", entity.plural));
            }
            if entity.fields.is_empty() {
                err(format!("entity {e} has no fields"));
            }
            if entity.requires_auth && !self.has(Feature::Auth) {
                err(format!("entity {e} requires auth but the auth feature is not enabled"));
            }
            let mut fields = BTreeSet::new();
            for field in &entity.fields {
                let f = &field.name;
                if !is_snake(f) {
                    err(format!("entity {e}: field {f:?} must be snake_case"));
                } else if RESERVED_FIELDS.contains(&f.as_str()) {
                    err(format!("entity {e}: field {f:?} is implicit or reserved; remove it"));
                }
                if !fields.insert(f.as_str()) {
                    err(format!("entity {e}: field {f:?} is declared twice"));
                }
            }
            for rel in &entity.relations {
                if RESERVED_FIELDS.contains(&rel.field.as_str()) {
                    err(format!("entity {e}: relation field {:?} is implicit or reserved", rel.field));
                }
                if !is_snake(&rel.field) || !rel.field.ends_with("_id") {
                    err(format!(
                        "entity {e}: relation field {:?} must be snake_case and end in _id",
                        rel.field
                    ));
                }
                if !fields.insert(rel.field.as_str()) {
                    err(format!("entity {e}: relation field {:?} clashes with a field", rel.field));
                }
            }
        }
        for entity in &self.entities {
            for rel in &entity.relations {
                if !names.contains(rel.target.as_str()) {
                    err(format!(
                        "entity {}: relation target {:?} is not a declared entity",
                        entity.name, rel.target
                    ));
                }
            }
        }

        let mut routes = BTreeSet::new();
        for ep in &self.endpoints {
            if !ep.path.starts_with('/') || ep.path.contains(char::is_whitespace) {
                err(format!("endpoint {:?}: path must start with / and hold no spaces", ep.path));
            }
            // `/x/{id}` and `/x/{x_id}` are the same route.
            if !routes.insert((ep.method, route_shape(&ep.path))) {
                err(format!("endpoint {:?} {} is declared twice", ep.method, ep.path));
            }
            if let Some(entity) = &ep.entity
                && !names.contains(entity.as_str())
            {
                err(format!("endpoint {}: entity {entity:?} is not declared", ep.path));
            }
            if ep.auth && !self.has(Feature::Auth) {
                err(format!("endpoint {} needs auth but the auth feature is not enabled", ep.path));
            }
        }
        for screen in &self.screens {
            if let Some(entity) = &screen.entity
                && !names.contains(entity.as_str())
            {
                err(format!("screen {:?}: entity {entity:?} is not declared", screen.name));
            }
        }
        let mut features = BTreeSet::new();
        for f in &self.features {
            if !features.insert(*f) {
                err(format!("feature {f:?} is listed twice"));
            }
        }

        if self.files.is_empty() {
            err("files is empty: plan every file the roles will write".into());
        }
        let mut paths = BTreeSet::new();
        for file in &self.files {
            if let Err(why) = check_relative_path(&file.path) {
                err(format!("file {:?}: {why}", file.path));
            }
            if !paths.insert(file.path.as_str()) {
                err(format!("file {:?} is planned twice", file.path));
            }
            if matches!(file.role, Role::Architect | Role::Security) {
                err(format!(
                    "file {:?}: role {} does not write files; use backend, frontend, devops or tester",
                    file.path, file.role
                ));
            }
        }

        for (what, cmd) in [
            ("commands.install", &self.commands.install),
            ("commands.test", &self.commands.test),
            ("commands.run", &self.commands.run),
        ] {
            if cmd.trim().is_empty() {
                err(format!("{what} is empty"));
            }
        }
        let mut vars = BTreeSet::new();
        for var in &self.env {
            if !is_env_name(&var.name) {
                err(format!("env {:?}: name must be UPPER_SNAKE_CASE", var.name));
            }
            if !vars.insert(var.name.as_str()) {
                err(format!("env {:?} is declared twice", var.name));
            }
        }

        if errors.is_empty() { Ok(()) } else { Err(SpecError(errors)) }
    }
}

/// The JSON Schema of `AppSpec`, pretty-printed with a trailing newline.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(AppSpec);
    let mut s = serde_json::to_string_pretty(&schema).expect("schema serializes");
    s.push('\n');
    s
}

/// A whole file a role produced, before it is applied to the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedFile {
    /// Relative path with `/` separators.
    pub path: String,
    pub contents: String,
}

/// Every problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub Vec<String>);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the app spec is invalid: {}", self.0.join("; "))
    }
}

impl std::error::Error for SpecError {}

const RESERVED_FIELDS: &[&str] = &["id", "created_at", "owner_id"];
/// Tables and URL segments the app itself uses (auth, uploads, its own routes).
const RESERVED_TABLES: &[&str] = &[
    "users",
    "sessions",
    "uploads",
    "sqlite_master",
    "sqlite_sequence",
    "auth",
    "health",
    "search",
    "checkout",
    "static",
    "api",
];

/// A path with its parameter names erased.
fn route_shape(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') && seg.ends_with('}') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn is_slug(s: &str) -> bool {
    s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_pascal(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

pub(crate) fn is_snake(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.contains("__")
        && !s.ends_with('_')
}

fn is_env_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A planned path must be relative, normalised and stay out of `.git` and `.autocrea`.
/// (Writing re-checks confinement against the real folder, symlinks included.)
pub fn check_relative_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("path is empty".into());
    }
    if path.starts_with('/') || path.starts_with('\\') || path.contains('\\') {
        return Err("path must be relative and use / separators".into());
    }
    if path.len() >= 2 && path.as_bytes()[1] == b':' {
        return Err("path must not name a drive".into());
    }
    for part in path.split('/') {
        match part {
            "" | "." => return Err("path has an empty or `.` component".into()),
            ".." => return Err("path must not contain `..`".into()),
            ".git" => return Err("path must not touch .git/".into()),
            _ if part.contains('\0') => return Err("path holds a NUL byte".into()),
            _ => {}
        }
    }
    if path == ".autocrea" || path.starts_with(".autocrea/") {
        return Err(".autocrea/ is AUTOCREA's own folder".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_schema_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/app-spec.schema.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        let current = json_schema();
        if committed != current {
            if std::env::var_os("UPDATE_SCHEMA").is_some() {
                std::fs::write(path, &current).unwrap();
            } else {
                panic!(
                    "{path} is out of date; run `UPDATE_SCHEMA=1 cargo test -p autocrea spec` to regenerate it"
                );
            }
        }
    }

    #[test]
    fn relative_paths() {
        for ok in ["app/main.py", "README.md", ".github/workflows/ci.yml", "a/.gitignore"] {
            assert_eq!(check_relative_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "..",
            "a/../b",
            "./a",
            "a//b",
            ".git/config",
            "x/.git/hooks",
            "C:/x",
            "a\\b",
            ".autocrea/spec.json",
        ] {
            assert!(check_relative_path(bad).is_err(), "{bad:?} accepted");
        }
    }
}
