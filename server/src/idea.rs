//! Finding an idea in the text of a document: after an `autocrea:` marker in any comment
//! syntax, in a selection, or as the whole of an `AUTOCREA.md` file.

/// Longest idea taken from a document.
const MAX_IDEA_CHARS: usize = 2000;

/// The idea after an `autocrea:` marker on a line (`# autocrea: a blog`, `// AUTOCREA: …`,
/// `<!-- autocrea: … -->`, `/* autocrea: … */`, `-- autocrea: …`).
pub fn on_line(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let at = lower.find("autocrea:")?;
    // The marker must start a word: `myautocrea:` is not one.
    if lower[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let rest = &line[at + "autocrea:".len()..];
    let rest = strip_comment_closers(rest.trim());
    non_empty(rest)
}

/// The idea in a selection: comment markers at line starts removed, whitespace folded.
pub fn in_selection(text: &str) -> Option<String> {
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let l = strip_comment_openers(l.trim());
            match on_line(l) {
                Some(idea) => idea,
                None => strip_comment_closers(l).to_string(),
            }
        })
        .collect();
    non_empty(&lines.join(" "))
}

/// The idea in an `AUTOCREA.md` file: its text, without Markdown heading markers, list
/// bullets and comment markers.
pub fn in_file(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim_start_matches(['-', '*', '>']).trim())
        .collect();
    in_selection(&lines.join("\n"))
}

fn strip_comment_openers(line: &str) -> &str {
    for opener in ["<!--", "/*", "//", "--", "#", ";;", ";", "*", "%", "'", "\"\"\""] {
        if let Some(rest) = line.strip_prefix(opener) {
            return rest.trim_start();
        }
    }
    line
}

fn strip_comment_closers(s: &str) -> &str {
    let mut s = s.trim_end();
    for closer in ["-->", "*/", "#}", "--}}", "\"\"\"", "%>"] {
        if let Some(rest) = s.strip_suffix(closer) {
            s = rest.trim_end();
        }
    }
    s
}

fn non_empty(s: &str) -> Option<String> {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().any(char::is_alphanumeric) {
        Some(folded.chars().take(MAX_IDEA_CHARS).collect())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_in_any_comment_syntax() {
        let idea = Some("a blog with comments".to_string());
        for line in [
            "# autocrea: a blog with comments",
            "// AUTOCREA: a blog with comments",
            "  /* autocrea:  a blog   with comments */",
            "<!-- autocrea: a blog with comments -->",
            "-- Autocrea: a blog with comments",
            "autocrea: a blog with comments",
            "{# autocrea: a blog with comments #}",
        ] {
            assert_eq!(on_line(line), idea, "{line:?}");
        }
        assert_eq!(on_line("# autocrea:"), None);
        assert_eq!(on_line("# autocrea: -->"), None);
        assert_eq!(on_line("let myautocrea: u8 = 1;"), None);
        assert_eq!(on_line("just text"), None);
    }

    #[test]
    fn selections_and_files() {
        assert_eq!(
            in_selection("// a shop\n// with Stripe payments\n"),
            Some("a shop with Stripe payments".into())
        );
        assert_eq!(in_selection("  \n "), None);
        assert_eq!(
            in_file("# My app\n\nA task tracker\n- with login\n"),
            Some("My app A task tracker with login".into())
        );
    }
}
