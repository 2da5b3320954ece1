//! The security auditor: deterministic rules over tree-sitter syntax trees, no network.
//!
//! - Python, JavaScript, TypeScript/TSX: sinks (SQL, shell, eval, files, HTML, redirects, …)
//!   checked against where their values came from, followed through assignments inside each
//!   function (intra-procedural taint): request data → variable → f-string → sink.
//! - Go and Rust: the common sinks, with strings built by formatting.
//! - Dockerfiles, GitHub Actions workflows, compose files: configuration rules.
//! - Every file: hard-coded secrets (known key formats, high-entropy assignments), and `.env`
//!   files git does not ignore.
//!
//! Findings carry a rule id (the same in every language, see [`rules`]), a CWE, a severity, a
//! message saying what is wrong there and how to fix it, and a fix where one is safe. A comment
//! `autocrea-ignore: <rule>` on the finding's line or the line above silences it.
//!
//! Like the pipeline, this module knows nothing of LSP: positions are 1-based lines and
//! columns in Unicode code points; the LSP layer converts them to the negotiated encoding.

mod compiled;
mod docker;
mod javascript;
mod lang;
mod python;
pub mod report;
pub mod review;
pub mod rules;
mod secrets;
mod syntax;
mod taint;
mod workflow;

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use lang::Lang;
pub use rules::{RULES, Rule, cwe_url, rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Hardening: worth doing, not exploitable as written.
    Info,
    /// Exploitable under plausible conditions, or a missing defence.
    Warning,
    /// Exploitable as written.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" | "note" | "low" => Some(Severity::Info),
            "warning" | "medium" => Some(Severity::Warning),
            "error" | "high" | "critical" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A position: 1-based line, 1-based column counted in Unicode code points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Point {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: Point,
    pub end: Point,
}

/// A text replacement in the finding's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Edit {
    pub range: Span,
    pub new_text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// What applying it does, as a code action title ("Use yaml.safe_load").
    pub title: String,
    pub edits: Vec<Edit>,
}

/// Who found it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    #[default]
    Rules,
    /// The security role's model review, checked against the file.
    Model,
}

impl Origin {
    fn is_rules(&self) -> bool {
        *self == Origin::Rules
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The file, as it was named to the auditor (relative to the audited folder where there
    /// is one).
    pub path: String,
    pub range: Span,
    pub rule: String,
    pub cwe: u32,
    pub severity: Severity,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    #[serde(default, skip_serializing_if = "Origin::is_rules")]
    pub origin: Origin,
    /// The comment that silences this finding, inserted where the language allows it.
    #[serde(skip)]
    pub ignore: Option<Edit>,
}

/// Files larger than this are not audited (generated bundles, data).
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;

/// Audits one file's text. `path` decides the language (and is what findings name); the
/// file system is read only to ask git whether a `.env` file is ignored.
pub fn audit_text(path: &Path, text: &str) -> Vec<Finding> {
    if text.len() > MAX_FILE_BYTES || text.contains('\0') {
        return Vec::new();
    }
    let lang = Lang::of(path);
    let mut cx = Cx::new(path, text, lang);
    match lang {
        Some(Lang::Python) => python::check(&mut cx),
        Some(l @ (Lang::JavaScript | Lang::TypeScript | Lang::Tsx)) => javascript::check(&mut cx, l),
        Some(Lang::Dockerfile) => docker::check(&mut cx),
        Some(Lang::Workflow) => workflow::check_actions(&mut cx),
        Some(Lang::Compose) => workflow::check_compose(&mut cx),
        Some(Lang::Template) => python::check_template(&mut cx),
        Some(Lang::Go) => compiled::check_go(&mut cx),
        Some(Lang::Rust) => compiled::check_rust(&mut cx),
        Some(Lang::Yaml | Lang::Env) | None => {}
    }
    if lang == Some(Lang::Env) {
        // Secrets belong in `.env`; the risk is committing it.
        secrets::check_env_ignored(&mut cx);
    } else {
        secrets::check(&mut cx);
    }
    cx.finish()
}

/// What an audit of files and folders found.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub findings: Vec<Finding>,
    /// Files read and checked.
    pub files: usize,
    /// Paths that could not be read, with why.
    pub errors: Vec<String>,
}

/// Audits files and folders (recursively, honouring `.gitignore`, skipping `.git`,
/// dependency and build folders). Findings name paths relative to `base` when under it.
pub fn audit_paths(paths: &[PathBuf], base: &Path) -> Audit {
    let files = collect_files(paths);
    // Each thread reads and audits its share of the files.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = files.len().div_ceil(threads).max(1);
    let parts: Vec<Audit> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut audit = Audit::default();
                    for path in part {
                        match std::fs::read_to_string(path) {
                            Ok(text) => {
                                audit.files += 1;
                                let shown = display_path(path, base);
                                audit.findings.extend(audit_text(path, &text).into_iter().map(|mut f| {
                                    f.path = shown.clone();
                                    f
                                }));
                            }
                            // Not UTF-8: a binary file, nothing to audit.
                            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {}
                            Err(e) => audit.errors.push(format!("{}: {e}", path.display())),
                        }
                    }
                    audit
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut audit = Audit::default();
    for part in parts {
        audit.files += part.files;
        audit.findings.extend(part.findings);
        audit.errors.extend(part.errors);
    }
    audit.findings.sort_by(|a, b| (&a.path, a.range.start, &a.rule).cmp(&(&b.path, b.range.start, &b.rule)));
    audit
}

/// Folders never worth auditing: dependencies, virtual environments, build output.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    "target",
    "dist",
    "build",
    ".mypy_cache",
    ".pytest_cache",
];

/// The files below `paths`, sorted, deduplicated.
pub fn collect_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(false)
            .parents(true)
            .git_ignore(true)
            .git_exclude(true)
            .require_git(false)
            .filter_entry(|e| {
                !(e.file_type().is_some_and(|t| t.is_dir())
                    && SKIPPED_DIRS.contains(&e.file_name().to_string_lossy().as_ref()))
            })
            .build();
        for entry in walker.flatten() {
            if entry.file_type().is_some_and(|t| t.is_file())
                && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES as u64)
            {
                files.push(entry.into_path());
            }
        }
    }
    files.sort();
    files.dedup();
    files
}

fn display_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// Applies edits (1-based lines, code-point columns) to a text. Overlapping edits after the
/// first are skipped; the result says how many applied.
pub fn apply_edits(text: &str, edits: &[Edit]) -> (String, usize) {
    let idx = LineIndex::new(text);
    let offset = |p: Point| {
        let line = (p.line as usize).saturating_sub(1);
        if line >= idx.lines() {
            return text.len();
        }
        let start = idx.line_start(line);
        let content = idx.line(line);
        start
            + content
                .char_indices()
                .nth((p.column as usize).saturating_sub(1))
                .map_or(content.len(), |(b, _)| b)
    };
    let mut spans: Vec<(usize, usize, &str)> =
        edits.iter().map(|e| (offset(e.range.start), offset(e.range.end), e.new_text.as_str())).collect();
    spans.sort_by_key(|s| (s.0, s.1));
    let mut kept: Vec<(usize, usize, &str)> = Vec::new();
    for s in spans {
        if kept.last().is_none_or(|k| k.1 <= s.0 && (k.0 != s.0 || k.1 != k.0)) {
            kept.push(s);
        }
    }
    let mut out = text.to_string();
    for (start, end, new) in kept.iter().rev() {
        out.replace_range(*start..*end, new);
    }
    (out, kept.len())
}

/// Line starts of a text, to turn byte offsets into [`Point`]s.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, byte: usize) -> usize {
        self.starts.partition_point(|&s| s <= byte).saturating_sub(1)
    }

    pub fn point(&self, byte: usize) -> Point {
        let byte = byte.min(self.text.len());
        let line = self.line_of(byte);
        let start = self.starts[line];
        let column = self.text.get(start..byte).map_or(byte - start, |s| s.chars().count());
        Point { line: line as u32 + 1, column: column as u32 + 1 }
    }

    pub fn span(&self, bytes: Range<usize>) -> Span {
        Span { start: self.point(bytes.start), end: self.point(bytes.end) }
    }

    /// The text of a 0-based line, without its line break.
    pub fn line(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line) else { return "" };
        let end = self.starts.get(line + 1).map_or(self.text.len(), |&e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// Byte offset where a 0-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.text.len())
    }

    pub fn lines(&self) -> usize {
        self.starts.len()
    }
}

/// How a comment is written where a finding is, for the ignore action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommentStyle {
    Hash,
    Slashes,
    /// Inside JSX children: `{/* … */}`.
    Jsx,
    /// Jinja and Django templates: `{# … #}`.
    Jinja,
}

/// What analysers share: the file, its lines, and the findings so far.
pub(crate) struct Cx<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub lines: LineIndex<'a>,
    pub lang: Option<Lang>,
    found: Vec<(Range<usize>, Finding, CommentStyle)>,
}

impl<'a> Cx<'a> {
    fn new(path: &'a Path, text: &'a str, lang: Option<Lang>) -> Cx<'a> {
        Cx { path, text, lines: LineIndex::new(text), lang, found: Vec::new() }
    }

    /// Reports `rule` at `bytes` with a message saying what is wrong there.
    pub fn report(&mut self, rule_id: &str, bytes: Range<usize>, message: impl Into<String>) -> &mut Finding {
        self.report_with(rule_id, None, None, bytes, message)
    }

    /// Like [`Cx::report`], overriding the rule's CWE or severity for this finding.
    pub fn report_with(
        &mut self,
        rule_id: &str,
        cwe: Option<u32>,
        severity: Option<Severity>,
        bytes: Range<usize>,
        message: impl Into<String>,
    ) -> &mut Finding {
        let rule = rule(rule_id).unwrap_or_else(|| panic!("unknown rule {rule_id}"));
        let style = match self.lang {
            Some(
                Lang::Python | Lang::Dockerfile | Lang::Workflow | Lang::Compose | Lang::Yaml | Lang::Env,
            )
            | None => CommentStyle::Hash,
            Some(Lang::Template) => CommentStyle::Jinja,
            Some(_) => CommentStyle::Slashes,
        };
        let finding = Finding {
            path: self.path.to_string_lossy().replace('\\', "/"),
            range: self.lines.span(bytes.clone()),
            rule: rule.id.to_string(),
            cwe: cwe.unwrap_or(rule.cwe),
            severity: severity.unwrap_or(rule.severity),
            message: message.into(),
            fix: None,
            origin: Origin::Rules,
            ignore: None,
        };
        self.found.push((bytes, finding, style));
        &mut self.found.last_mut().expect("just pushed").1
    }

    /// The last finding's comment style (JSX children need `{/* */}`).
    pub fn set_comment_style(&mut self, style: CommentStyle) {
        if let Some(last) = self.found.last_mut() {
            last.2 = style;
        }
    }

    /// Attaches a fix to the last finding.
    pub fn set_fix(&mut self, title: &str, edits: Vec<Edit>) {
        if let Some(last) = self.found.last_mut()
            && !edits.is_empty()
        {
            last.1.fix = Some(Fix { title: title.to_string(), edits });
        }
    }

    /// An edit replacing `bytes` with `new_text`.
    pub fn edit(&self, bytes: Range<usize>, new_text: impl Into<String>) -> Edit {
        Edit { range: self.lines.span(bytes), new_text: new_text.into() }
    }

    /// Drops what an `autocrea-ignore` comment silences and duplicates, adds the ignore edits.
    fn finish(self) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::new();
        for (bytes, mut finding, style) in self.found {
            let line = self.lines.line_of(bytes.start);
            if ignored(&self.lines, line, &finding.rule) {
                continue;
            }
            if out.iter().any(|f| f.rule == finding.rule && f.range.start.line == finding.range.start.line) {
                continue;
            }
            finding.ignore = Some(ignore_edit(&self.lines, line, &finding.rule, style));
            out.push(finding);
        }
        out.sort_by(|a, b| (a.range.start, &a.rule).cmp(&(b.range.start, &b.rule)));
        out
    }
}

/// The marker that silences findings.
pub const IGNORE_MARKER: &str = "autocrea-ignore:";

/// Whether line `line` (0-based) or the one above carries `autocrea-ignore: <rule>`.
fn ignored(lines: &LineIndex<'_>, line: usize, rule: &str) -> bool {
    let names = |l: &str| -> bool {
        let Some(at) = l.find(IGNORE_MARKER) else { return false };
        l[at + IGNORE_MARKER.len()..]
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|w| w.trim_end_matches(['*', '/', '}', '-', '>', '#']))
            .take_while(|w| w.is_empty() || w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
            .any(|w| w == rule)
    };
    names(lines.line(line)) || (line > 0 && names(lines.line(line - 1)))
}

/// A comment line above `line` that silences `rule`, indented like the line.
fn ignore_edit(lines: &LineIndex<'_>, line: usize, rule: &str, style: CommentStyle) -> Edit {
    let text = lines.line(line);
    let indent: String = text.chars().take_while(|c| c.is_whitespace()).collect();
    let comment = match style {
        CommentStyle::Hash => format!("# {IGNORE_MARKER} {rule}"),
        CommentStyle::Slashes => format!("// {IGNORE_MARKER} {rule}"),
        CommentStyle::Jsx => format!("{{/* {IGNORE_MARKER} {rule} */}}"),
        CommentStyle::Jinja => format!("{{# {IGNORE_MARKER} {rule} #}}"),
    };
    let at = lines.point(lines.line_start(line));
    Edit { range: Span { start: at, end: at }, new_text: format!("{indent}{comment}\n") }
}

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_count_code_points() {
        let text = "a = 1\nb = \"é😀\" + x\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(idx.point(x), Point { line: 2, column: 12 });
        assert_eq!(idx.point(0), Point { line: 1, column: 1 });
        assert_eq!(idx.line(1), "b = \"é😀\" + x");
        assert_eq!(idx.line_of(text.len()), 2);
    }

    #[test]
    fn ignore_comments_name_rules() {
        let text = "x\n# autocrea-ignore: sql-injection, xss\ny\nz // autocrea-ignore: debug-mode\n";
        let idx = LineIndex::new(text);
        assert!(ignored(&idx, 2, "sql-injection"));
        assert!(ignored(&idx, 2, "xss"));
        assert!(!ignored(&idx, 2, "debug-mode"));
        assert!(ignored(&idx, 3, "debug-mode"));
        assert!(!ignored(&idx, 0, "sql-injection"));
        let jsx = "{/* autocrea-ignore: xss */}\n<div/>";
        assert!(ignored(&LineIndex::new(jsx), 1, "xss"));
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!(Severity::parse("HIGH"), Some(Severity::Error));
        assert_eq!(Severity::parse("note"), Some(Severity::Info));
        assert_eq!(Severity::parse("bad"), None);
    }
}
