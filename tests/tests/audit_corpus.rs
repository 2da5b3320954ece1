//! The tuned benchmark corpus as a regression test: every vulnerable program is reported on a
//! line it marks, and no safe program gets any finding. (The held-out corpus is measured by
//! `tests/audit-bench/run`, never asserted, so that it stays a fair measure.)

use std::path::{Path, PathBuf};

fn marked_lines(text: &str) -> Vec<u32> {
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.contains("expect-next-line: CWE-") {
            lines.push(i as u32 + 2);
        } else if line.contains("expect: CWE-") {
            lines.push(i as u32 + 1);
        }
    }
    lines
}

#[test]
fn the_tuned_corpus_is_reported_exactly() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("audit-bench/corpus");
    let audit = autocrea::audit::audit_paths(std::slice::from_ref(&corpus), &corpus);
    let files: Vec<PathBuf> = autocrea::audit::collect_files(std::slice::from_ref(&corpus));
    assert!(files.len() >= 190, "the corpus is there: {} files", files.len());
    let mut failures = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&corpus).unwrap().to_string_lossy().replace('\\', "/");
        let found: Vec<_> = audit.findings.iter().filter(|f| f.path == rel).collect();
        // A case is a folder holding `vulnerable*` and `safe*` (workflows: folders of that name).
        let vulnerable = rel.split('/').any(|part| part.starts_with("vulnerable"));
        let safe = rel.split('/').any(|part| part.starts_with("safe"));
        if vulnerable {
            let marks = marked_lines(&std::fs::read_to_string(&file).unwrap());
            if !found
                .iter()
                .any(|f| marks.iter().any(|m| (f.range.start.line..=f.range.end.line).contains(m)))
            {
                failures.push(format!(
                    "missed {rel} (marked lines {marks:?}; found {:?})",
                    found.iter().map(|f| (f.range.start.line, &f.rule)).collect::<Vec<_>>()
                ));
            }
        } else if safe && !found.is_empty() {
            failures.push(format!(
                "false positive in {rel}: {:?}",
                found.iter().map(|f| (f.range.start.line, &f.rule, &f.message)).collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
