//! A secret (API key, account token) that never prints: `Debug` and `Display` redact it, so
//! a stray `{:?}` in a log line cannot leak it.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that needs it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A secret from an environment variable, when set and not blank.
    pub fn from_env(var: &str) -> Option<Secret> {
        std::env::var(var).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).map(Secret)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(«redacted»)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("«redacted»")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints() {
        let s = Secret::new("sk-live-abc123");
        assert!(!format!("{s:?} {s} {:?}", Some(&s)).contains("abc123"));
        assert_eq!(s.expose(), "sk-live-abc123");
    }
}
