//! The data-driven rule test: every rule has vulnerable (`*.bad.*`) and safe (`*.good.*`)
//! fixtures in `fixtures/<rule>/`. In a bad fixture each line that must be reported carries
//! `expect: <rule>` (or the line before it `expect-next: <rule>`); the findings must be
//! exactly those. A good fixture must have no finding at all. Every fix, applied, must make
//! its finding go away and leave a file that still parses.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Edit, Finding, RULES, audit_text};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/audit/fixtures")
}

/// The path the auditor is told, which decides the language.
fn virtual_path(file: &Path) -> PathBuf {
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let stem = name.split('.').next().unwrap().to_string();
    let rest = name.split_once('.').map(|(_, r)| r).unwrap_or("");
    let ext = rest.trim_start_matches("bad.").trim_start_matches("good.");
    match ext {
        "Dockerfile" => PathBuf::from("Dockerfile"),
        "workflow.yml" => PathBuf::from(format!(".github/workflows/{stem}.yml")),
        "compose.yml" => PathBuf::from("compose.yaml"),
        "env" => PathBuf::from(".env.production"),
        "html" => PathBuf::from(format!("templates/{stem}.html")),
        other => PathBuf::from(format!("{stem}.{other}")),
    }
}

/// (1-based line, rule) for every marker.
fn expected(text: &str) -> BTreeSet<(u32, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        for (marker, offset) in [("expect-next:", 2), ("expect:", 1)] {
            let mut rest = line;
            while let Some(at) = rest.find(marker) {
                // `expect:` is also the tail of `expect-next:`.
                if marker == "expect:" && rest[..at].ends_with("expect-") {
                    rest = &rest[at + marker.len()..];
                    continue;
                }
                let after = &rest[at + marker.len()..];
                let rule: String =
                    after.trim_start().chars().take_while(|c| c.is_ascii_lowercase() || *c == '-').collect();
                out.insert((i as u32 + offset, rule));
                rest = after;
            }
        }
    }
    out
}

fn fixture_files() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(fixtures_dir()).expect("fixtures folder") {
        let dir = dir.unwrap().path();
        let rule = dir.file_name().unwrap().to_string_lossy().to_string();
        for f in std::fs::read_dir(&dir).unwrap() {
            out.push((rule.clone(), f.unwrap().path()));
        }
    }
    out.sort();
    out
}

fn audit_fixture(rule: &str, file: &Path) -> (String, Vec<Finding>) {
    let text = std::fs::read_to_string(file).unwrap();
    if rule == "env-file-committed" {
        // Needs a real repository: the file is reported only when git does not ignore it.
        let repo = tempfile::tempdir().unwrap();
        git2::Repository::init(repo.path()).unwrap();
        if file.to_string_lossy().contains(".good.") {
            std::fs::write(repo.path().join(".gitignore"), ".env\n").unwrap();
        }
        let env = repo.path().join(".env");
        std::fs::write(&env, &text).unwrap();
        return (text.clone(), audit_text(&env, &text));
    }
    let findings = audit_text(&virtual_path(file), &text);
    (text, findings)
}

#[test]
fn every_rule_has_bad_and_good_fixtures() {
    let files = fixture_files();
    let mut missing = Vec::new();
    for rule in RULES {
        let of = |kind: &str| files.iter().any(|(r, f)| r == rule.id && f.to_string_lossy().contains(kind));
        if !of(".bad.") || !of(".good.") {
            missing.push(rule.id);
        }
    }
    assert!(missing.is_empty(), "rules without a bad and a good fixture: {missing:?}");
    for (rule, _) in &files {
        assert!(super::rule(rule).is_some(), "fixtures for an unknown rule {rule}");
    }
}

#[test]
fn fixtures_report_exactly_what_they_mark() {
    let mut failures = Vec::new();
    for (rule, file) in fixture_files() {
        let (text, findings) = audit_fixture(&rule, &file);
        let got: BTreeSet<(u32, String)> =
            findings.iter().map(|f| (f.range.start.line, f.rule.clone())).collect();
        let want = if file.to_string_lossy().contains(".good.") { BTreeSet::new() } else { expected(&text) };
        if file.to_string_lossy().contains(".bad.") && !want.iter().any(|(_, r)| *r == rule) {
            failures.push(format!("{}: marks no `{rule}` finding", file.display()));
        }
        if got != want {
            let detail: Vec<String> = findings
                .iter()
                .map(|f| {
                    format!("  {}:{} {} — {}", f.range.start.line, f.range.start.column, f.rule, f.message)
                })
                .collect();
            failures.push(format!(
                "{}:\n want {want:?}\n got  {got:?}\n{}",
                file.display(),
                detail.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{} fixture(s) failed:\n{}", failures.len(), failures.join("\n"));
}

fn apply(text: &str, edits: &[Edit]) -> String {
    super::apply_edits(text, edits).0
}

#[test]
fn fixes_remove_their_finding_and_keep_the_file_valid() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (rule, file) in fixture_files() {
        if rule == "env-file-committed" {
            continue;
        }
        let (text, findings) = audit_fixture(&rule, &file);
        let path = virtual_path(&file);
        for f in findings.iter().filter(|f| f.fix.is_some()) {
            let fix = f.fix.as_ref().unwrap();
            let fixed = apply(&text, &fix.edits);
            checked += 1;
            let after = audit_text(&path, &fixed);
            if after.iter().any(|g| g.rule == f.rule && g.range.start.line == f.range.start.line) {
                failures.push(format!(
                    "{}:{}: fix `{}` leaves the finding",
                    file.display(),
                    f.range.start.line,
                    fix.title
                ));
            }
            if let Some(lang) = super::Lang::of(&path)
                && let Some(tree) = lang.parse(&fixed)
                && tree.root_node().has_error()
            {
                failures.push(format!(
                    "{}:{}: fix `{}` breaks the syntax:\n{fixed}",
                    file.display(),
                    f.range.start.line,
                    fix.title
                ));
            }
        }
        // The ignore comment silences the finding and keeps the syntax.
        for f in &findings {
            let ignore = f.ignore.as_ref().expect("every finding can be ignored");
            let silenced = apply(&text, std::slice::from_ref(ignore));
            let after = audit_text(&path, &silenced);
            // The comment is a new line above: the finding would now be one line lower.
            if after.iter().any(|g| g.rule == f.rule && g.range.start.line == f.range.start.line + 1) {
                failures.push(format!(
                    "{}:{}: the ignore comment does not silence `{}`",
                    file.display(),
                    f.range.start.line,
                    f.rule
                ));
            }
            if let Some(lang) = super::Lang::of(&path)
                && let Some(tree) = lang.parse(&silenced)
                && tree.root_node().has_error()
            {
                failures.push(format!(
                    "{}:{}: the ignore comment breaks the syntax",
                    file.display(),
                    f.range.start.line
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 10, "only {checked} fixes were exercised");
}

#[test]
fn markers_parse() {
    let t = "a # expect: xss\n# expect-next: debug-mode\nb\n";
    let want: BTreeSet<(u32, String)> = [(1, "xss".to_string()), (3, "debug-mode".to_string())].into();
    assert_eq!(expected(t), want);
}
