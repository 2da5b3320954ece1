//! Where a value came from, followed through the assignments of one function.
//!
//! The analysis is intra-procedural and walks a function's statements in order: an assignment
//! gives its target the taint of its value; an unconditional assignment of a clean value
//! takes the taint away, one inside a branch or loop only adds (either branch may have run).
//! A value checked by a validator in an `if` (`startswith`, `is_safe_url`, `in ALLOWED`) counts
//! as clean from then on.

use std::collections::HashMap;

/// How much a value is controlled by whoever sends the request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    #[default]
    None,
    /// A parameter of a helper function: unknown provenance, possibly the request's.
    Weak,
    /// Request data: query, form, JSON body, path parameters, headers, cookies.
    Strong,
}

/// Kinds of sinks, as bits: a value escaped for one kind (HTML-escaped) is still dangerous
/// for another (a shell command).
pub mod sink {
    pub const SQL: u16 = 1;
    pub const COMMAND: u16 = 2;
    pub const PATH: u16 = 4;
    pub const HTML: u16 = 8;
    pub const URL: u16 = 16;
    pub const LDAP: u16 = 32;
    pub const XPATH: u16 = 64;
    pub const CODE: u16 = 128;
    pub const ALL: u16 = 0xff;
}

const KINDS: usize = 8;

/// What is known of an expression's value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// The strongest taint for any kind of sink.
    pub level: Level,
    /// The taint each kind of sink sees (a value HTML-escaped is still dangerous in a shell),
    /// and the name that carried it there.
    pub(crate) per: [(Level, Option<std::sync::Arc<str>>); KINDS],
    /// Literal parts of it look like HTML markup.
    pub markup: bool,
    /// A string assembled at run time (f-string, template, `+`, `%`, `.format`, `join`).
    pub built: bool,
    /// The value *starts* with tainted text (so it decides a URL's scheme and host).
    pub head: bool,
    /// A literal, or made only of literals.
    pub constant: bool,
    /// The name that carried the taint, for messages.
    pub via: Option<String>,
}

impl Info {
    fn tainted_as(level: Level, via: String) -> Info {
        let shared: std::sync::Arc<str> = via.as_str().into();
        Info {
            level,
            per: std::array::from_fn(|_| (level, Some(shared.clone()))),
            head: true,
            via: Some(via),
            ..Info::default()
        }
    }

    pub fn strong(via: impl Into<String>) -> Info {
        Info::tainted_as(Level::Strong, via.into())
    }

    pub fn weak(via: impl Into<String>) -> Info {
        Info::tainted_as(Level::Weak, via.into())
    }

    pub fn constant() -> Info {
        Info { constant: true, ..Info::default() }
    }

    pub fn is_strong(&self) -> bool {
        self.level == Level::Strong
    }

    pub fn tainted(&self) -> bool {
        self.level > Level::None
    }

    fn refresh(&mut self) {
        self.level = self.per.iter().map(|p| p.0).max().unwrap_or_default();
    }

    /// The value as a sink of kind `sink` sees it (one `sink::*` bit).
    pub fn against(mut self, sink: u16) -> Info {
        let k = sink.trailing_zeros() as usize;
        if k < KINDS {
            let (level, via) = self.per[k].clone();
            self.level = level;
            if let Some(v) = via {
                self.via = Some(v.to_string());
            }
        }
        self
    }

    /// Escaped or reduced for the sinks in `mask` (what a sanitizer returns).
    pub fn cleaned(mut self, mask: u16) -> Info {
        if mask == sink::ALL {
            return Info { markup: self.markup, ..Info::constant() };
        }
        for (k, p) in self.per.iter_mut().enumerate() {
            if mask & (1 << k) != 0 {
                *p = (Level::None, None);
            }
        }
        self.refresh();
        self
    }

    /// A value a function computed from this one (not the same text): weaker evidence.
    pub fn derived(mut self) -> Info {
        for p in &mut self.per {
            p.0 = p.0.min(Level::Weak);
        }
        self.refresh();
        self.built = false;
        self.constant = false;
        self
    }

    /// Two values combined (arguments of a call, items of a list): for each kind of sink the
    /// stronger taint wins.
    pub fn join(self, other: Info) -> Info {
        let head_level = self.level.max(other.level);
        let head = (self.head && self.level == head_level && self.tainted())
            || (other.head && other.level == head_level && other.tainted());
        let via = if other.level > self.level {
            other.via.clone().or(self.via.clone())
        } else {
            self.via.clone().or(other.via.clone())
        };
        let per = std::array::from_fn(|k| {
            let (a, b) = (&self.per[k], &other.per[k]);
            if b.0 > a.0 { b.clone() } else { a.clone() }
        });
        let mut joined = Info {
            level: Level::None,
            per,
            markup: self.markup || other.markup,
            built: self.built || other.built,
            head,
            constant: self.constant && other.constant,
            via,
        };
        joined.refresh();
        joined
    }

    /// Two values concatenated, `left` first.
    pub fn concat(left: Info, right: Info) -> Info {
        let head = left.head;
        let constant = left.constant && right.constant;
        let mut joined = left.join(right);
        joined.head = head;
        joined.constant = constant;
        joined.built = !constant;
        joined
    }

    /// Words for a message: "`next`, which comes from the request".
    pub fn describe(&self) -> String {
        let via = self.via.as_deref().unwrap_or("a value");
        let via = if via.chars().count() > 40 {
            format!("{}…", via.chars().take(40).collect::<String>())
        } else {
            via.to_string()
        };
        match self.level {
            Level::Strong => format!("`{via}`, which comes from the request"),
            Level::Weak => format!("`{via}`, a parameter whose value callers choose"),
            Level::None => format!("`{via}`"),
        }
    }
}

/// One function's variables.
#[derive(Debug, Default)]
pub struct Scope {
    vars: HashMap<String, Info>,
    /// Inside how many branches or loops the walk is.
    pub depth: usize,
    /// Names a validator checked.
    validated: std::collections::HashSet<String>,
    /// Booleans that hold the result of a validation (`is_local = url.startswith("/") and …`).
    flags: std::collections::HashSet<String>,
}

/// The functions being walked, innermost last (closures read their parents' variables).
#[derive(Debug, Default)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn push(&mut self) {
        self.0.push(Scope::default());
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }

    pub fn in_function(&self) -> bool {
        !self.0.is_empty()
    }

    pub fn lookup(&self, name: &str) -> Option<Info> {
        for scope in self.0.iter().rev() {
            if scope.validated.contains(name) {
                return Some(Info::default());
            }
            if let Some(info) = scope.vars.get(name) {
                let mut info = info.clone();
                if info.tainted() {
                    info.via = Some(name.to_string());
                }
                return Some(info);
            }
        }
        None
    }

    /// `name = value`.
    pub fn bind(&mut self, name: &str, info: Info) {
        let Some(scope) = self.0.last_mut() else { return };
        if info.tainted() {
            scope.validated.remove(name);
            let merged = match scope.vars.get(name) {
                Some(old) if scope.depth > 0 => old.clone().join(info),
                _ => info,
            };
            scope.vars.insert(name.to_string(), merged);
        } else if scope.depth == 0 || !scope.vars.contains_key(name) {
            scope.vars.insert(name.to_string(), info);
        }
    }

    /// A validator checked `name`: clean from here on.
    pub fn validate(&mut self, name: &str) {
        if let Some(scope) = self.0.last_mut() {
            scope.validated.insert(name.to_string());
        }
    }

    /// `name` holds the result of a validation.
    pub fn flag(&mut self, name: &str) {
        if let Some(scope) = self.0.last_mut() {
            scope.flags.insert(name.to_string());
        }
    }

    pub fn is_flag(&self, name: &str) -> bool {
        self.0.iter().rev().any(|s| s.flags.contains(name))
    }

    pub fn enter_branch(&mut self) {
        if let Some(s) = self.0.last_mut() {
            s.depth += 1;
        }
    }

    pub fn leave_branch(&mut self) {
        if let Some(s) = self.0.last_mut() {
            s.depth = s.depth.saturating_sub(1);
        }
    }
}

/// What a function's result is safe for, when it escapes, reduces or converts its input:
/// `sink::ALL` for numbers, booleans and fixed-alphabet names; one kind for escapers.
pub fn sanitizer(name: &str) -> Option<u16> {
    use sink::*;
    let last = name.rsplit('.').next().unwrap_or(name);
    let lower = last.to_ascii_lowercase();
    if name == "shlex.quote" || lower == "shellescape" || lower == "shell_quote" {
        return Some(COMMAND);
    }
    if name.starts_with("re.") {
        return None;
    }
    Some(match last {
        "int" | "float" | "bool" | "len" | "abs" | "round" | "max" | "min" | "sum" | "hash"
        | "isinstance" | "id" | "type" | "ord" | "parseInt" | "parseFloat" | "Number" | "Boolean"
        | "uuid4" | "UUID" | "literal_eval" | "sha256" | "hexdigest" | "digest" | "count" | "exists"
        | "isdigit" | "isalnum" | "isalpha" | "startswith" | "endswith" | "startsWith" | "endsWith"
        | "includes" | "test" | "has" | "is_file" | "is_dir" | "secure_filename" | "sanitize_filename"
        | "encodeURIComponent" | "urlencode" | "token_hex" | "token_urlsafe" | "randomUUID" => ALL,
        "quote" | "quote_plus" => ALL & !PATH,
        "basename" => PATH,
        "escape" | "escapeHtml" | "escapeHTML" | "escape_html" | "purify" | "clean" | "encodeURI"
        | "markdown_escape" => HTML,
        "escape_filter_chars" | "escape_rdn" | "filter_format" | "escapeDN" | "escapeFilter" => LDAP,
        "escape_string" | "escape_literal" | "escapeId" => SQL,
        _ if lower.contains("sanitiz") || lower.starts_with("safe") => ALL,
        _ => return None,
    })
}

/// Whether a call in a condition checks a value (so the value is trusted after the check).
pub fn validator(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    last == "startswith"
        || last == "is_relative_to"
        || last == "commonpath"
        || last == "commonprefix"
        || last.contains("safe")
        || last.contains("allowed")
        || last.contains("valid")
        || last.contains("whitelist")
        || last.contains("allowlist")
        || last == "match"
        || last == "fullmatch"
        || last == "test"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_in_order_and_in_branches() {
        let mut s = Scopes::default();
        s.push();
        s.bind("x", Info::strong("request.args"));
        assert!(s.lookup("x").unwrap().is_strong());
        // Unconditionally replaced by a clean value: clean.
        s.bind("x", Info::constant());
        assert!(!s.lookup("x").unwrap().tainted());
        // In a branch, a clean value does not clean: the other path may have run.
        s.bind("y", Info::strong("q"));
        s.enter_branch();
        s.bind("y", Info::constant());
        s.leave_branch();
        assert!(s.lookup("y").unwrap().is_strong());
        // A validator cleans; a new tainted value taints again.
        s.validate("y");
        assert!(!s.lookup("y").unwrap().tainted());
        s.bind("y", Info::strong("q"));
        assert!(s.lookup("y").unwrap().is_strong());
        // Closures see their parents' variables.
        s.push();
        assert!(s.lookup("y").unwrap().is_strong());
        s.pop();
    }

    #[test]
    fn concatenation_keeps_the_head() {
        let fixed = Info::constant();
        let input = Info::strong("next");
        assert!(!Info::concat(fixed.clone(), input.clone()).head, "a fixed prefix decides the host");
        assert!(Info::concat(input.clone(), fixed.clone()).head);
        let both = Info::concat(fixed.clone(), fixed);
        assert!(both.constant && !both.built);
        assert!(Info::concat(Info::constant(), input).built);
    }
}
