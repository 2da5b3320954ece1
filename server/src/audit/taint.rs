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

/// What is known of an expression's value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    pub level: Level,
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
    pub fn strong(via: impl Into<String>) -> Info {
        Info { level: Level::Strong, head: true, via: Some(via.into()), ..Info::default() }
    }

    pub fn weak(via: impl Into<String>) -> Info {
        Info { level: Level::Weak, head: true, via: Some(via.into()), ..Info::default() }
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

    /// Two values combined (arguments of a call, items of a list): the stronger taint wins.
    pub fn join(self, other: Info) -> Info {
        let (hi, lo) = if other.level > self.level { (other, self) } else { (self, other) };
        Info {
            level: hi.level,
            built: hi.built || lo.built,
            head: hi.head || (lo.head && lo.level == hi.level),
            constant: hi.constant && lo.constant,
            via: hi.via.or(lo.via),
        }
    }

    /// Two values concatenated, `left` first.
    pub fn concat(left: Info, right: Info) -> Info {
        let head = left.head;
        let constant = left.constant && right.constant;
        let mut joined = left.clone().join(right);
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

/// Names of functions that return a value the input cannot steer (numbers, booleans,
/// escaped or reduced text).
pub fn sanitizer(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    matches!(
        last,
        "int"
            | "float"
            | "bool"
            | "len"
            | "abs"
            | "round"
            | "hash"
            | "isinstance"
            | "id"
            | "type"
            | "ord"
            | "secure_filename"
            | "basename"
            | "escape"
            | "quote"
            | "quote_plus"
            | "escape_filter_chars"
            | "escape_rdn"
            | "filter_format"
            | "clean"
            | "sanitize"
            | "escapeHtml"
            | "escapeHTML"
            | "encodeURIComponent"
            | "encodeURI"
            | "parseInt"
            | "parseFloat"
            | "Number"
            | "Boolean"
            | "uuid4"
            | "UUID"
            | "literal_eval"
            | "urlencode"
            | "sha256"
            | "hexdigest"
            | "digest"
            | "count"
            | "exists"
            | "isdigit"
            | "isalnum"
            | "isalpha"
            | "startswith"
            | "endswith"
            | "startsWith"
            | "endsWith"
            | "includes"
            | "test"
            | "has"
            | "is_file"
            | "is_dir"
            | "sanitize_filename"
            | "escape_string"
            | "purify"
            | "DOMPurify"
            | "markdown_escape"
    ) || name == "path.basename"
        || name.ends_with("DOMPurify.sanitize")
        || name == "html.escape"
        || name == "shlex.quote"
        || name == "validator.escape"
}

/// Whether a call in a condition checks a value (so the value is trusted after the check).
pub fn validator(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    last == "startswith"
        || last == "is_relative_to"
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
