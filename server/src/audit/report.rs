//! Findings as text for a terminal, JSON, or SARIF 2.1.0 for code-scanning tools.

use serde_json::{Value, json};

use super::{Finding, RULES, Severity, cwe_url, rule};

/// One line per finding (`path:line:col: severity[rule] message (CWE-n)`), then a count.
pub fn text(findings: &[Finding], files: usize) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {} (CWE-{})\n",
            f.path, f.range.start.line, f.range.start.column, f.severity, f.rule, f.message, f.cwe
        ));
    }
    out.push_str(&format!("{} in {}\n", tally(findings), count(files, "file")));
    out
}

/// "1 file", "3 files".
pub fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// "no findings", or "3 findings (1 error, 2 warnings)".
pub fn tally(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no findings".into();
    }
    let of = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let parts: Vec<String> =
        [(Severity::Error, "error"), (Severity::Warning, "warning"), (Severity::Info, "info")]
            .into_iter()
            .filter(|(s, _)| of(*s) > 0)
            .map(|(s, w)| if w == "info" { format!("{} info", of(s)) } else { count(of(s), w) })
            .collect();
    format!("{} ({})", count(findings.len(), "finding"), parts.join(", "))
}

/// An array of findings: `path`, `range` (1-based lines and columns), `rule`, `cwe`,
/// `severity`, `message`, and `fix` where there is one.
pub fn json(findings: &[Finding]) -> Value {
    serde_json::to_value(findings).expect("findings serialize")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A SARIF 2.1.0 log with one run.
pub fn sarif(findings: &[Finding]) -> Value {
    let mut rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.name},
                "fullDescription": {"text": r.help},
                "help": {"text": r.help},
                "helpUri": cwe_url(r.cwe),
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"tags": ["security", format!("CWE-{}", r.cwe)], "precision": "high"},
            })
        })
        .collect();
    // Rules only the model named.
    for f in findings {
        if rule(&f.rule).is_none() && !rules.iter().any(|r| r["id"] == f.rule.as_str()) {
            rules.push(json!({
                "id": f.rule,
                "shortDescription": {"text": f.rule},
                "helpUri": cwe_url(f.cwe),
                "defaultConfiguration": {"level": level(f.severity)},
                "properties": {"tags": ["security", format!("CWE-{}", f.cwe)], "precision": "medium"},
            }));
        }
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = rules.iter().position(|r| r["id"] == f.rule.as_str()).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path},
                        "region": {
                            "startLine": f.range.start.line,
                            "startColumn": f.range.start.column,
                            "endLine": f.range.end.line,
                            "endColumn": f.range.end.column,
                        }
                    }
                }],
                "properties": {"cwe": format!("CWE-{}", f.cwe)},
            });
            if let Some(fix) = &f.fix {
                result["fixes"] = json!([{
                    "description": {"text": fix.title},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": f.path},
                        "replacements": fix.edits.iter().map(|e| json!({
                            "deletedRegion": {
                                "startLine": e.range.start.line,
                                "startColumn": e.range.start.column,
                                "endLine": e.range.end.line,
                                "endColumn": e.range.end.column,
                            },
                            "insertedContent": {"text": e.new_text},
                        })).collect::<Vec<_>>(),
                    }],
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "autocrea",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/autocrea/autocrea",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}
