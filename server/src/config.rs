//! Settings, in two layers: the options as a client sends them (any JSON: every field
//! optional, camelCase, possibly nested under `autocrea`) resolve into one `Config`. A bad or
//! unknown value never fails: it becomes a warning for the user and the default is kept.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::engine::EngineName;
use crate::model::provider::Timeouts;
use crate::spec::Role;

/// Where an engine's model lives (settings win over the environment; keys come only from the
/// environment or the credential store, never from settings files).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Endpoint {
    /// Base URL (`joxcoder.url`, `openai.baseUrl`, `anthropic.baseUrl`, `local.baseUrl`).
    pub url: Option<String>,
    pub model: Option<String>,
    /// JoxCoder only: `inference`, `tgi`, `tgi-generate` or `chat`; detected from the URL when unset.
    pub protocol: Option<String>,
}

/// Per-role overrides of the model call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleSettings {
    pub model: Option<String>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The engine the roles run on; `None`: the first configured one (JoxCoder, Anthropic,
    /// OpenAI, a local server), else offline.
    pub engine: Option<EngineName>,
    /// Engines tried, in order, when the first fails for a reason retrying cannot fix.
    /// `None`: every other configured model engine.
    pub fallback: Option<Vec<EngineName>>,
    pub joxcoder: Endpoint,
    pub openai: Endpoint,
    pub anthropic: Endpoint,
    pub local: Endpoint,
    pub roles: BTreeMap<Role, RoleSettings>,
    /// Rounds of the tester's repair loop with a model engine.
    pub repair_rounds: u32,
    pub timeouts: Timeouts,
    /// Where a new app goes: absolute, or relative to the workspace root. `None`: a new folder
    /// named after the app in the workspace root, or the root itself when it is empty.
    pub target_folder: Option<PathBuf>,
    /// Whether the tester installs and runs the generated tests.
    pub run_tests: bool,
    /// Whether files the user wrote may be replaced.
    pub overwrite: bool,
    /// Largest file a role may write.
    pub max_file_bytes: u64,
    /// Time limit for each of the app's install and test commands.
    pub test_timeout_secs: u64,
    /// Commit the user's uncommitted changes (as the user) before a run instead of refusing.
    pub commit_user_changes: bool,
    /// E-mail of the AUTOCREA role authors in commits.
    pub git_email: String,
    /// The security role applies its fixes (rule fixes and the model's) as a commit.
    pub auto_fix: bool,
    /// Audit open files as they change, and publish the findings as diagnostics.
    pub audit_on_change: bool,
    /// The account service (`gatewayUrl`); `AUTOCREA_GATEWAY_URL` wins.
    pub gateway_url: Option<String>,
    /// The sign-in and the user's stored keys, read from the credential store before a run
    /// (never from settings).
    pub credentials: crate::account::Credentials,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            engine: None,
            fallback: None,
            joxcoder: Endpoint::default(),
            openai: Endpoint::default(),
            anthropic: Endpoint::default(),
            local: Endpoint::default(),
            roles: BTreeMap::new(),
            repair_rounds: 3,
            timeouts: Timeouts::default(),
            target_folder: None,
            run_tests: true,
            overwrite: false,
            max_file_bytes: 1024 * 1024,
            test_timeout_secs: 600,
            commit_user_changes: false,
            git_email: "autocrea@localhost".into(),
            auto_fix: false,
            audit_on_change: true,
            gateway_url: None,
            credentials: crate::account::Credentials::default(),
        }
    }
}

const KNOWN: &[&str] = &[
    "engine",
    "fallback",
    "joxcoder",
    "openai",
    "anthropic",
    "local",
    "roles",
    "repairRounds",
    "timeouts",
    "targetFolder",
    "runTests",
    "overwrite",
    "maxFileBytes",
    "testTimeoutSecs",
    "commitUserChanges",
    "gitEmail",
    "autoFix",
    "auditOnChange",
    "gatewayUrl",
];

impl Config {
    /// Resolves options on top of `self`; returns the new config and a warning per problem.
    pub fn merged(&self, options: &Value) -> (Config, Vec<String>) {
        let mut config = self.clone();
        let mut warnings = Vec::new();
        let options = match options {
            Value::Null => return (config, warnings),
            Value::Object(map) => match map.get("autocrea") {
                Some(Value::Object(inner)) => inner,
                Some(Value::Null) => return (config, warnings),
                Some(_) => {
                    warnings.push("settings `autocrea` must be an object; using defaults".into());
                    return (config, warnings);
                }
                None => map,
            },
            _ => {
                warnings.push("settings must be an object; using defaults".into());
                return (config, warnings);
            }
        };
        let mut warn = |key: &str, expected: &str, value: &Value| {
            warnings.push(format!(
                "setting `autocrea.{key}`: expected {expected}, got {value}; using the default"
            ));
        };
        for (key, value) in options {
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "engine" => match value.as_str() {
                    Some("auto") => config.engine = None,
                    Some(name) if EngineName::parse(name).is_some() => {
                        config.engine = EngineName::parse(name)
                    }
                    _ => warn(key, "auto, or one of joxcoder, openai, anthropic, local, offline", value),
                },
                "fallback" => {
                    let names: Option<Vec<EngineName>> = value
                        .as_array()
                        .map(|items| items.iter().map(|v| v.as_str().and_then(EngineName::parse)).collect())
                        .unwrap_or(None);
                    match names {
                        Some(names) => config.fallback = Some(names),
                        None => warn(key, "a list of engine names", value),
                    }
                }
                "joxcoder" | "openai" | "anthropic" | "local" => {
                    let slot = match key.as_str() {
                        "joxcoder" => &mut config.joxcoder,
                        "openai" => &mut config.openai,
                        "anthropic" => &mut config.anthropic,
                        _ => &mut config.local,
                    };
                    if let Err(expected) = endpoint_into(key, value, slot) {
                        warn(key, &expected, value);
                    }
                }
                "roles" => match roles_from(value) {
                    Ok(roles) => config.roles = roles,
                    Err(expected) => warn(key, &expected, value),
                },
                "repairRounds" => match value.as_u64() {
                    Some(n) if n <= 10 => config.repair_rounds = n as u32,
                    _ => warn(key, "a whole number from 0 to 10", value),
                },
                "timeouts" => {
                    let secs = |name: &str| value.get(name).and_then(Value::as_f64).filter(|s| *s > 0.0);
                    if !value.is_object() {
                        warn(key, "an object with connectSecs, firstTokenSecs, idleSecs", value);
                    } else {
                        let t = &mut config.timeouts;
                        for (name, slot) in [
                            ("connectSecs", &mut t.connect),
                            ("firstTokenSecs", &mut t.first_token),
                            ("idleSecs", &mut t.idle),
                        ] {
                            match (value.get(name), secs(name)) {
                                (None, _) => {}
                                (Some(_), Some(s)) => *slot = Duration::from_secs_f64(s),
                                (Some(v), None) => {
                                    warn(key, &format!("{name}: a positive number of seconds"), v)
                                }
                            }
                        }
                    }
                }
                "targetFolder" => match value.as_str() {
                    Some("") => config.target_folder = None,
                    Some(s) => config.target_folder = Some(PathBuf::from(s)),
                    None => warn(key, "a path", value),
                },
                "runTests" => bool_into(value, &mut config.run_tests, || warn(key, "true or false", value)),
                "overwrite" => bool_into(value, &mut config.overwrite, || warn(key, "true or false", value)),
                "commitUserChanges" => {
                    bool_into(value, &mut config.commit_user_changes, || warn(key, "true or false", value))
                }
                "autoFix" => bool_into(value, &mut config.auto_fix, || warn(key, "true or false", value)),
                "gatewayUrl" => match value.as_str().map(str::trim) {
                    Some("") => config.gateway_url = None,
                    Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                        config.gateway_url = Some(url.trim_end_matches('/').to_string())
                    }
                    _ => warn(key, "an http(s) URL", value),
                },
                "auditOnChange" => {
                    bool_into(value, &mut config.audit_on_change, || warn(key, "true or false", value))
                }
                "gitEmail" => match value.as_str() {
                    Some(e) if e.contains('@') && !e.contains(char::is_whitespace) => {
                        config.git_email = e.to_string()
                    }
                    _ => warn(key, "an e-mail address", value),
                },
                "maxFileBytes" => match value.as_u64() {
                    Some(n) if n > 0 => config.max_file_bytes = n,
                    _ => warn(key, "a positive whole number of bytes", value),
                },
                "testTimeoutSecs" => match value.as_u64() {
                    Some(n) if n > 0 => config.test_timeout_secs = n,
                    _ => warn(key, "a positive whole number of seconds", value),
                },
                _ => {}
            }
        }
        let unknown: Vec<&str> = options.keys().map(String::as_str).filter(|k| !KNOWN.contains(k)).collect();
        if !unknown.is_empty() {
            warnings.push(format!(
                "unknown setting{} {} ignored (known: {})",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.iter().map(|k| format!("`autocrea.{k}`")).collect::<Vec<_>>().join(", "),
                KNOWN.join(", ")
            ));
        }
        (config, warnings)
    }
}

fn endpoint_into(key: &str, value: &Value, slot: &mut Endpoint) -> Result<(), String> {
    let Some(map) = value.as_object() else {
        return Err("an object".into());
    };
    let url_key = if key == "joxcoder" { "url" } else { "baseUrl" };
    for (name, v) in map {
        let text = v.as_str().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        match name.as_str() {
            n if n == url_key => match &text {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => slot.url = text,
                _ => return Err(format!("`{url_key}`: an http(s) URL")),
            },
            "model" => slot.model = text,
            "protocol" if key == "joxcoder" => match text.as_deref() {
                None | Some("auto") => slot.protocol = None,
                Some("inference" | "tgi" | "tgi-generate" | "chat") => slot.protocol = text,
                _ => return Err("`protocol`: auto, inference, tgi, tgi-generate or chat".into()),
            },
            other => {
                return Err(format!(
                    "known keys {url_key}, model{}, not `{other}`",
                    if key == "joxcoder" { ", protocol" } else { "" }
                ));
            }
        }
    }
    Ok(())
}

fn roles_from(value: &Value) -> Result<BTreeMap<Role, RoleSettings>, String> {
    let expected = "an object of role → {model, temperature, maxTokens}";
    let map = value.as_object().ok_or(expected)?;
    let mut roles = BTreeMap::new();
    for (name, v) in map {
        let role = Role::parse(name).ok_or_else(|| format!("{expected}; `{name}` is not a role"))?;
        let o = v.as_object().ok_or(expected)?;
        let mut settings = RoleSettings::default();
        for (k, v) in o {
            match k.as_str() {
                "model" => settings.model = v.as_str().map(str::to_string),
                "temperature" => {
                    settings.temperature = Some(
                        v.as_f64().filter(|t| (0.0..=2.0).contains(t)).ok_or("temperature from 0 to 2")?
                            as f32,
                    )
                }
                "maxTokens" => {
                    settings.max_tokens = Some(
                        v.as_u64()
                            .filter(|n| *n > 0 && *n <= 1_000_000)
                            .ok_or("maxTokens: a positive number")? as u32,
                    )
                }
                other => return Err(format!("{expected}; unknown key `{other}`")),
            }
        }
        roles.insert(role, settings);
    }
    Ok(roles)
}

fn bool_into(value: &Value, slot: &mut bool, on_error: impl FnOnce()) {
    match value.as_bool() {
        Some(b) => *slot = b,
        None => on_error(),
    }
}

/// Options as one JSON object, for callers that build them from parts (the CLI, tests).
pub fn options(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(options: Value, expect: expect_test::Expect) {
        let (config, warnings) = Config::default().merged(&options);
        expect.assert_eq(&format!("{config:?}\n{warnings:#?}"));
    }

    #[test]
    fn good_values_nested_or_flat() {
        check(
            json!({"autocrea": {"engine": "offline", "runTests": false, "targetFolder": "apps", "maxFileBytes": 10}}),
            expect_test::expect![[r#"
                Config { engine: Some(Offline), fallback: None, joxcoder: Endpoint { url: None, model: None, protocol: None }, openai: Endpoint { url: None, model: None, protocol: None }, anthropic: Endpoint { url: None, model: None, protocol: None }, local: Endpoint { url: None, model: None, protocol: None }, roles: {}, repair_rounds: 3, timeouts: Timeouts { connect: 10s, first_token: 120s, idle: 60s }, target_folder: Some("apps"), run_tests: false, overwrite: false, max_file_bytes: 10, test_timeout_secs: 600, commit_user_changes: false, git_email: "autocrea@localhost", auto_fix: false, audit_on_change: true, gateway_url: None, credentials: Credentials { account: None, openai: None, anthropic: None, joxcoder: None } }
                []"#]],
        );
        check(
            json!({"overwrite": true, "testTimeoutSecs": 5}),
            expect_test::expect![[r#"
                Config { engine: None, fallback: None, joxcoder: Endpoint { url: None, model: None, protocol: None }, openai: Endpoint { url: None, model: None, protocol: None }, anthropic: Endpoint { url: None, model: None, protocol: None }, local: Endpoint { url: None, model: None, protocol: None }, roles: {}, repair_rounds: 3, timeouts: Timeouts { connect: 10s, first_token: 120s, idle: 60s }, target_folder: None, run_tests: true, overwrite: true, max_file_bytes: 1048576, test_timeout_secs: 5, commit_user_changes: false, git_email: "autocrea@localhost", auto_fix: false, audit_on_change: true, gateway_url: None, credentials: Credentials { account: None, openai: None, anthropic: None, joxcoder: None } }
                []"#]],
        );
    }

    #[test]
    fn bad_values_warn_and_keep_defaults() {
        check(
            json!({"engine": "gpt-9", "runTests": "yes", "maxFileBytes": -1, "colour": "blue"}),
            expect_test::expect![[r#"
                Config { engine: None, fallback: None, joxcoder: Endpoint { url: None, model: None, protocol: None }, openai: Endpoint { url: None, model: None, protocol: None }, anthropic: Endpoint { url: None, model: None, protocol: None }, local: Endpoint { url: None, model: None, protocol: None }, roles: {}, repair_rounds: 3, timeouts: Timeouts { connect: 10s, first_token: 120s, idle: 60s }, target_folder: None, run_tests: true, overwrite: false, max_file_bytes: 1048576, test_timeout_secs: 600, commit_user_changes: false, git_email: "autocrea@localhost", auto_fix: false, audit_on_change: true, gateway_url: None, credentials: Credentials { account: None, openai: None, anthropic: None, joxcoder: None } }
                [
                    "setting `autocrea.engine`: expected auto, or one of joxcoder, openai, anthropic, local, offline, got \"gpt-9\"; using the default",
                    "setting `autocrea.maxFileBytes`: expected a positive whole number of bytes, got -1; using the default",
                    "setting `autocrea.runTests`: expected true or false, got \"yes\"; using the default",
                    "unknown setting `autocrea.colour` ignored (known: engine, fallback, joxcoder, openai, anthropic, local, roles, repairRounds, timeouts, targetFolder, runTests, overwrite, maxFileBytes, testTimeoutSecs, commitUserChanges, gitEmail, autoFix, auditOnChange, gatewayUrl)",
                ]"#]],
        );
        check(
            json!([1, 2]),
            expect_test::expect![[r#"
                Config { engine: None, fallback: None, joxcoder: Endpoint { url: None, model: None, protocol: None }, openai: Endpoint { url: None, model: None, protocol: None }, anthropic: Endpoint { url: None, model: None, protocol: None }, local: Endpoint { url: None, model: None, protocol: None }, roles: {}, repair_rounds: 3, timeouts: Timeouts { connect: 10s, first_token: 120s, idle: 60s }, target_folder: None, run_tests: true, overwrite: false, max_file_bytes: 1048576, test_timeout_secs: 600, commit_user_changes: false, git_email: "autocrea@localhost", auto_fix: false, audit_on_change: true, gateway_url: None, credentials: Credentials { account: None, openai: None, anthropic: None, joxcoder: None } }
                [
                    "settings must be an object; using defaults",
                ]"#]],
        );
    }
}
