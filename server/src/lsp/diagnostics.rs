//! Security findings as diagnostics: published for open documents as they change (debounced,
//! audited off the async threads, dropped when a newer change arrives), for generated files
//! after a run, and for the whole workspace on `autocrea.audit`. The quick fixes of what was
//! published are kept, so code actions answer from them.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ropey::Rope;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::*;

use super::documents::{Document, Encoding, to_position};
use crate::audit::{self, Finding, Severity};

/// How long typing must pause before an open document is audited again.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// A published diagnostic and what can be done about it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub diagnostic: Diagnostic,
    pub fix: Option<(String, Vec<TextEdit>)>,
    pub ignore: Option<TextEdit>,
}

#[derive(Debug, Default)]
struct Published {
    /// The document version the entries were computed for (`None`: from disk).
    version: Option<i32>,
    entries: Vec<Entry>,
}

#[derive(Default)]
pub struct Diagnostics {
    published: Mutex<HashMap<Uri, Published>>,
    /// Bumped on every change of a document: an audit started for an older one is dropped.
    generations: Mutex<HashMap<Uri, u64>>,
    /// Files the last workspace audit reported on (cleared if clean next time).
    workspace: Mutex<HashSet<Uri>>,
}

impl Diagnostics {
    pub fn bump(&self, uri: &Uri) -> u64 {
        let mut g = self.generations.lock().unwrap();
        let n = g.entry(uri.clone()).or_default();
        *n += 1;
        *n
    }

    fn current(&self, uri: &Uri) -> u64 {
        self.generations.lock().unwrap().get(uri).copied().unwrap_or(0)
    }

    /// Converts, stores and publishes one file's findings (an empty list clears it).
    pub async fn publish(
        &self,
        client: &Client,
        uri: Uri,
        version: Option<i32>,
        text: &Rope,
        findings: &[Finding],
        enc: Encoding,
    ) {
        let entries: Vec<Entry> = findings.iter().map(|f| entry(&uri, text, f, enc)).collect();
        let diagnostics = entries.iter().map(|e| e.diagnostic.clone()).collect();
        self.published.lock().unwrap().insert(uri.clone(), Published { version, entries });
        client.publish_diagnostics(uri, diagnostics, version).await;
    }

    /// The entries whose range meets `range`, if they were computed for `version`.
    pub fn at(&self, uri: &Uri, range: Range, version: Option<i32>) -> Vec<Entry> {
        let published = self.published.lock().unwrap();
        let Some(p) = published.get(uri) else { return Vec::new() };
        if p.version.is_some() && version.is_some() && p.version != version {
            return Vec::new();
        }
        p.entries
            .iter()
            .filter(|e| e.diagnostic.range.start <= range.end && range.start <= e.diagnostic.range.end)
            .cloned()
            .collect()
    }

    /// Remembers the files an audit of `dir` reported; returns those below `dir` reported
    /// last time and not this time (to clear). Files of other folders keep their findings.
    fn replace_workspace(&self, dir: &Path, now: HashSet<Uri>) -> Vec<Uri> {
        let mut ws = self.workspace.lock().unwrap();
        let below = |uri: &Uri| uri.to_file_path().is_some_and(|p| p.starts_with(dir));
        let stale: Vec<Uri> = ws.iter().filter(|u| below(u) && !now.contains(*u)).cloned().collect();
        ws.retain(|u| !below(u));
        ws.extend(now);
        stale
    }
}

/// The file path to audit a document as: its own, or one made from its language for
/// documents not on disk.
pub fn audit_path(uri: &Uri, language_id: &str) -> Option<PathBuf> {
    if let Some(p) = uri.to_file_path() {
        return Some(p.into_owned());
    }
    let ext = match language_id {
        "python" => "py",
        "javascript" | "javascriptreact" => "js",
        "typescript" => "ts",
        "typescriptreact" => "tsx",
        "go" => "go",
        "rust" => "rs",
        "dockerfile" => return Some(PathBuf::from("Dockerfile")),
        "yaml" => "yaml",
        _ => return None,
    };
    Some(PathBuf::from(format!("untitled.{ext}")))
}

/// Audits an open document after a pause in typing, unless it changed again meanwhile.
pub fn schedule(
    client: Client,
    documents: Arc<Mutex<HashMap<Uri, Document>>>,
    diagnostics: Arc<Diagnostics>,
    uri: Uri,
    enc: Encoding,
    delay: Duration,
) {
    let generation = diagnostics.bump(&uri);
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        if diagnostics.current(&uri) != generation {
            return;
        }
        let Some((rope, version, path)) = documents.lock().unwrap().get(&uri).and_then(|d| {
            let path = audit_path(&uri, &d.language_id)?;
            Some((d.text.clone(), d.version, path))
        }) else {
            return;
        };
        if audit::Lang::of(&path).is_none() {
            return;
        }
        let text = rope.to_string();
        let Ok(findings) = tokio::task::spawn_blocking(move || audit::audit_text(&path, &text)).await else {
            return;
        };
        if diagnostics.current(&uri) != generation {
            return;
        }
        diagnostics.publish(&client, uri, Some(version), &rope, &findings, enc).await;
    });
}

/// A closed document: its findings as the file on disk stands (none if it is gone).
pub fn closed(client: Client, diagnostics: Arc<Diagnostics>, uri: Uri, enc: Encoding) {
    let generation = diagnostics.bump(&uri);
    tokio::spawn(async move {
        let Some(path) = uri.to_file_path().map(|p| p.into_owned()) else {
            diagnostics.publish(&client, uri, None, &Rope::new(), &[], enc).await;
            return;
        };
        let read = path.clone();
        let Ok(Some((text, findings))) = tokio::task::spawn_blocking(move || {
            let text = std::fs::read_to_string(&read).ok()?;
            let findings = audit::audit_text(&read, &text);
            Some((text, findings))
        })
        .await
        .map_err(|_| ()) else {
            diagnostics.publish(&client, uri, None, &Rope::new(), &[], enc).await;
            return;
        };
        if diagnostics.current(&uri) == generation {
            diagnostics.publish(&client, uri, None, &Rope::from_str(&text), &findings, enc).await;
        }
    });
}

/// Publishes findings of files below `root` (paths relative to it), reading each file (or its
/// open buffer) for positions. Files in `also` with no finding are cleared.
pub async fn publish_folder(
    client: &Client,
    diagnostics: &Diagnostics,
    documents: &Mutex<HashMap<Uri, Document>>,
    root: &Path,
    findings: &[Finding],
    also: &[String],
    enc: Encoding,
) -> HashSet<Uri> {
    let mut by_file: HashMap<&str, Vec<Finding>> = HashMap::new();
    for f in findings {
        by_file.entry(f.path.as_str()).or_default().push(f.clone());
    }
    for path in also {
        by_file.entry(path.as_str()).or_default();
    }
    let mut reported = HashSet::new();
    for (rel, list) in by_file {
        let path = root.join(rel);
        let Some(uri) = Uri::from_file_path(&path) else { continue };
        let open = documents.lock().unwrap().get(&uri).map(|d| (d.text.clone(), d.version));
        let (rope, version) = match open {
            Some((rope, version)) => (rope, Some(version)),
            None => (Rope::from_str(&std::fs::read_to_string(&path).unwrap_or_default()), None),
        };
        if !list.is_empty() {
            reported.insert(uri.clone());
        }
        diagnostics.bump(&uri);
        diagnostics.publish(client, uri, version, &rope, &list, enc).await;
    }
    reported
}

/// `autocrea.audit`: the rules over a folder; open documents are audited as the editor holds
/// them. Files reported by the previous workspace audit and clean now are cleared.
pub async fn audit_workspace(
    client: &Client,
    diagnostics: &Diagnostics,
    documents: &Arc<Mutex<HashMap<Uri, Document>>>,
    dir: PathBuf,
    enc: Encoding,
) -> audit::Audit {
    let base = dir.clone();
    let open: Vec<(PathBuf, String)> = documents
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(uri, d)| {
            let p = uri.to_file_path()?.into_owned();
            p.starts_with(&base).then(|| (p, d.text.to_string()))
        })
        .collect();
    let mut result = tokio::task::spawn_blocking(move || {
        let mut result = audit::audit_paths(std::slice::from_ref(&base), &base);
        // Open buffers win over the disk.
        for (path, text) in open {
            let shown = path.strip_prefix(&base).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            result.findings.retain(|f| f.path != shown);
            let mut found = audit::audit_text(&path, &text);
            for f in &mut found {
                f.path = shown.clone();
            }
            result.findings.extend(found);
        }
        result.findings.sort_by(|a, b| (&a.path, a.range.start).cmp(&(&b.path, b.range.start)));
        result
    })
    .await
    .unwrap_or_default();
    let reported = publish_folder(client, diagnostics, documents, &dir, &result.findings, &[], enc).await;
    for uri in diagnostics.replace_workspace(&dir, reported) {
        diagnostics.publish(client, uri, None, &Rope::new(), &[], enc).await;
    }
    result.findings.iter_mut().for_each(|f| f.ignore = None);
    result
}

fn range(text: &Rope, span: audit::Span, enc: Encoding) -> Range {
    let point = |p: audit::Point| {
        let line = (p.line as usize).saturating_sub(1);
        if line >= text.len_lines() {
            return to_position(text, text.len_chars(), enc);
        }
        let start = text.line_to_char(line);
        let len = text.line(line).len_chars();
        to_position(text, start + ((p.column as usize).saturating_sub(1)).min(len), enc)
    };
    Range::new(point(span.start), point(span.end))
}

fn entry(uri: &Uri, text: &Rope, f: &Finding, enc: Encoding) -> Entry {
    let severity = match f.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    };
    let origin = match f.origin {
        audit::Origin::Rules => "",
        audit::Origin::Model => " (model review)",
    };
    let diagnostic = Diagnostic {
        range: range(text, f.range, enc),
        severity: Some(severity),
        code: Some(NumberOrString::String(f.rule.clone())),
        code_description: audit::cwe_url(f.cwe).parse().ok().map(|href| CodeDescription { href }),
        source: Some("autocrea".into()),
        message: format!("{}{origin} [CWE-{}]", f.message, f.cwe),
        data: Some(serde_json::json!({"rule": f.rule, "cwe": f.cwe, "uri": uri.as_str()})),
        ..Diagnostic::default()
    };
    let edit = |e: &audit::Edit| TextEdit { range: range(text, e.range, enc), new_text: e.new_text.clone() };
    Entry {
        diagnostic,
        fix: f.fix.as_ref().map(|fix| (fix.title.clone(), fix.edits.iter().map(edit).collect())),
        ignore: f.ignore.as_ref().map(edit),
    }
}
