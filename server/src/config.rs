//! Settings, in two layers: the options as a client sends them (any JSON: every field
//! optional, camelCase, possibly nested under `autocrea`) resolve into one `Config`. A bad or
//! unknown value never fails: it becomes a warning for the user and the default is kept.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::engine::EngineName;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The engine the roles run on.
    pub engine: EngineName,
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
}

impl Default for Config {
    fn default() -> Config {
        Config {
            engine: EngineName::Offline,
            target_folder: None,
            run_tests: true,
            overwrite: false,
            max_file_bytes: 1024 * 1024,
            test_timeout_secs: 600,
        }
    }
}

const KNOWN: &[&str] =
    &["engine", "targetFolder", "runTests", "overwrite", "maxFileBytes", "testTimeoutSecs"];

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
                "engine" => match value.as_str().and_then(EngineName::parse) {
                    Some(name) => config.engine = name,
                    None => warn(key, "one of joxcoder, openai, anthropic, local, offline", value),
                },
                "targetFolder" => match value.as_str() {
                    Some("") => config.target_folder = None,
                    Some(s) => config.target_folder = Some(PathBuf::from(s)),
                    None => warn(key, "a path", value),
                },
                "runTests" => bool_into(value, &mut config.run_tests, || warn(key, "true or false", value)),
                "overwrite" => bool_into(value, &mut config.overwrite, || warn(key, "true or false", value)),
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
                Config { engine: Offline, target_folder: Some("apps"), run_tests: false, overwrite: false, max_file_bytes: 10, test_timeout_secs: 600 }
                []"#]],
        );
        check(
            json!({"overwrite": true, "testTimeoutSecs": 5}),
            expect_test::expect![[r#"
                Config { engine: Offline, target_folder: None, run_tests: true, overwrite: true, max_file_bytes: 1048576, test_timeout_secs: 5 }
                []"#]],
        );
    }

    #[test]
    fn bad_values_warn_and_keep_defaults() {
        check(
            json!({"engine": "gpt-9", "runTests": "yes", "maxFileBytes": -1, "colour": "blue"}),
            expect_test::expect![[r#"
                Config { engine: Offline, target_folder: None, run_tests: true, overwrite: false, max_file_bytes: 1048576, test_timeout_secs: 600 }
                [
                    "setting `autocrea.engine`: expected one of joxcoder, openai, anthropic, local, offline, got \"gpt-9\"; using the default",
                    "setting `autocrea.maxFileBytes`: expected a positive whole number of bytes, got -1; using the default",
                    "setting `autocrea.runTests`: expected true or false, got \"yes\"; using the default",
                    "unknown setting `autocrea.colour` ignored (known: engine, targetFolder, runTests, overwrite, maxFileBytes, testTimeoutSecs)",
                ]"#]],
        );
        check(
            json!([1, 2]),
            expect_test::expect![[r#"
                Config { engine: Offline, target_folder: None, run_tests: true, overwrite: false, max_file_bytes: 1048576, test_timeout_secs: 600 }
                [
                    "settings must be an object; using defaults",
                ]"#]],
        );
    }
}
