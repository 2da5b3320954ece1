//! The security role's model review: what it is shown, and how its answer is checked before
//! any of it reaches the user. A finding must name a file it was shown and a line that exists
//! there; its fix must be one line. Everything else is dropped and counted.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Edit, Finding, Fix, LineIndex, Origin, Point, Severity, Span};

/// The files for the model, each line numbered (`  12 | code`), as the prompt describes.
pub fn numbered(files: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (path, text) in files {
        out.push_str(&format!("\n\nFILE: {path}\n```\n"));
        for (i, line) in text.lines().enumerate() {
            out.push_str(&format!("{:>4} | {line}\n", i + 1));
        }
        out.push_str("```");
    }
    out
}

#[derive(Debug, Deserialize)]
struct Raw {
    #[serde(default)]
    findings: Vec<RawFinding>,
}

#[derive(Debug, Deserialize)]
struct RawFinding {
    file: Option<String>,
    line: Option<u64>,
    cwe: Option<serde_json::Value>,
    severity: Option<String>,
    rule: Option<String>,
    message: Option<String>,
    fix: Option<String>,
}

/// What the review yielded: checked findings, and how many were dropped and why.
#[derive(Debug, Default)]
pub struct Review {
    pub findings: Vec<Finding>,
    pub dropped: Vec<String>,
}

/// Checks the model's `{"findings": [...]}` against the files it was shown.
pub fn check(json: &str, files: &BTreeMap<String, String>) -> Result<Review, String> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| format!("the review is not the findings JSON described: {e}"))?;
    if !value.get("findings").is_some_and(serde_json::Value::is_array) {
        return Err("the review is not an object with a `findings` array".into());
    }
    let raw: Raw = serde_json::from_value(value)
        .map_err(|e| format!("the review is not the findings JSON described: {e}"))?;
    let mut review = Review::default();
    for (i, f) in raw.findings.into_iter().enumerate() {
        let n = i + 1;
        let Some(file) = f.file else {
            review.dropped.push(format!("finding {n} names no file"));
            continue;
        };
        let Some(text) = files.get(&file) else {
            review.dropped.push(format!("finding {n} names `{file}`, which it was not shown"));
            continue;
        };
        let lines = LineIndex::new(text);
        let count = text.lines().count();
        let line = match f.line {
            Some(l) if l >= 1 && (l as usize) <= count => l as usize,
            other => {
                review.dropped.push(format!(
                    "finding {n} points at line {other:?} of `{file}`, which has {count} lines"
                ));
                continue;
            }
        };
        let cwe = match &f.cwe {
            Some(serde_json::Value::Number(v)) => v.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim_start_matches("CWE-").parse().ok(),
            _ => None,
        };
        let Some(cwe) = cwe.filter(|c| *c > 0 && *c < 10_000).map(|c| c as u32) else {
            review.dropped.push(format!("finding {n} has no CWE number"));
            continue;
        };
        let message = f.message.unwrap_or_default();
        if message.trim().is_empty() {
            review.dropped.push(format!("finding {n} says nothing"));
            continue;
        }
        let severity = f.severity.as_deref().and_then(Severity::parse).unwrap_or(Severity::Warning);
        let rule = f
            .rule
            .filter(|r| {
                !r.is_empty() && r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
            .or_else(|| super::RULES.iter().find(|r| r.cwe == cwe).map(|r| r.id.to_string()))
            .unwrap_or_else(|| format!("cwe-{cwe}"));
        let line_text = lines.line(line - 1);
        let indent = line_text.chars().take_while(|c| c.is_whitespace()).count() as u32;
        let range = Span {
            start: Point { line: line as u32, column: indent + 1 },
            end: Point { line: line as u32, column: line_text.chars().count() as u32 + 1 },
        };
        let fix = f
            .fix
            .filter(|fix| !fix.contains('\n') && fix.trim() != line_text.trim() && !fix.trim().is_empty())
            .map(|fix| Fix {
                title: "Apply the security review's fix".into(),
                edits: vec![Edit {
                    range: Span { start: Point { line: line as u32, column: 1 }, end: range.end },
                    new_text: fix,
                }],
            });
        review.findings.push(Finding {
            path: file,
            range,
            rule,
            cwe,
            severity,
            message: message.trim().to_string(),
            fix,
            origin: Origin::Model,
            ignore: None,
        });
    }
    Ok(review)
}

/// Adds the model's findings that the rules did not already make (same file and line, same
/// rule or CWE).
pub fn merge(rules: &mut Vec<Finding>, model: Vec<Finding>) -> usize {
    let mut added = 0;
    for m in model {
        let duplicate = rules.iter().any(|r| {
            r.path == m.path
                && r.range.start.line == m.range.start.line
                && (r.rule == m.rule || r.cwe == m.cwe)
        });
        if !duplicate {
            rules.push(m);
            added += 1;
        }
    }
    rules.sort_by(|a, b| (&a.path, a.range.start, &a.rule).cmp(&(&b.path, b.range.start, &b.rule)));
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> BTreeMap<String, String> {
        [("app/main.py".to_string(), "import os\n\n    x = eval(data)\n".to_string())].into()
    }

    #[test]
    fn findings_must_point_at_real_lines_of_shown_files() {
        let json = r#"{"findings": [
            {"file": "app/main.py", "line": 3, "cwe": 95, "severity": "error", "rule": "code-injection", "message": "eval of data", "fix": "    x = json.loads(data)"},
            {"file": "app/main.py", "line": 40, "cwe": 89, "message": "made up line"},
            {"file": "app/other.py", "line": 1, "cwe": 89, "message": "never shown"},
            {"file": "app/main.py", "line": 1, "cwe": "CWE-798", "message": "string cwe", "fix": "a\nb"},
            {"file": "app/main.py", "line": 1, "message": "no cwe"}
        ]}"#;
        let review = check(json, &files()).unwrap();
        assert_eq!(review.findings.len(), 2, "{:?}", review.dropped);
        assert_eq!(review.dropped.len(), 3);
        let first = &review.findings[0];
        assert_eq!((first.range.start.line, first.range.start.column, first.range.end.column), (3, 5, 19));
        assert_eq!(first.origin, Origin::Model);
        assert_eq!(first.fix.as_ref().unwrap().edits[0].new_text, "    x = json.loads(data)");
        let second = &review.findings[1];
        assert_eq!(
            (second.cwe, second.rule.as_str(), second.severity),
            (798, "hardcoded-secret", Severity::Warning)
        );
        assert!(second.fix.is_none(), "a multi-line fix is not a one-line replacement");
        assert!(check("[]", &files()).is_err());
    }

    #[test]
    fn merge_keeps_one_finding_per_place() {
        let review = check(r#"{"findings": [{"file": "app/main.py", "line": 3, "cwe": 95, "message": "eval"}, {"file": "app/main.py", "line": 1, "cwe": 22, "message": "other"}]}"#, &files()).unwrap();
        let mut rules = vec![Finding {
            origin: Origin::Rules,
            rule: "code-injection".into(),
            ..review.findings[0].clone()
        }];
        assert_eq!(merge(&mut rules, review.findings), 1);
        assert_eq!(rules.len(), 2);
    }
}
