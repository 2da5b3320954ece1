//! Open documents, held in ropes, and the position math between LSP and the rope.
//!
//! LSP positions count lines split on `\n`, `\r\n` and `\r` only (ropey is built with
//! `cr_lines` and without `unicode_lines` for exactly that), and columns in the negotiated
//! encoding: UTF-16 code units by default, UTF-8 bytes when the client offers it. A column past
//! the end of its line means the end of the line; a line past the end means the end of the text.

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

/// How columns are counted, as negotiated in `initialize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub text: Rope,
    pub version: i32,
    pub language_id: String,
}

impl Document {
    pub fn new(text: &str, version: i32, language_id: String) -> Document {
        Document { text: Rope::from_str(text), version, language_id }
    }

    /// Applies `didChange` content changes in order: a change without a range replaces the text.
    pub fn apply_changes(
        &mut self,
        changes: impl IntoIterator<Item = TextDocumentContentChangeEvent>,
        version: i32,
        enc: Encoding,
    ) {
        for change in changes {
            match change.range {
                None => self.text = Rope::from_str(&change.text),
                Some(range) => apply_edit(&mut self.text, range, &change.text, enc),
            }
        }
        self.version = version;
    }

    /// The text of one line, without its line break (empty past the end).
    pub fn line(&self, line: u32) -> String {
        let line = line as usize;
        if line >= self.text.len_lines() {
            return String::new();
        }
        let slice = self.text.line(line);
        let end = content_end(&slice);
        slice.slice(..end).to_string()
    }

    /// The text inside `range`.
    pub fn slice(&self, range: Range, enc: Encoding) -> String {
        let start = to_char(&self.text, range.start, enc);
        let end = to_char(&self.text, range.end, enc).max(start);
        self.text.slice(start..end).to_string()
    }
}

/// Replaces the text in `range` with `new_text`. A reversed range is taken as its normal form.
pub fn apply_edit(rope: &mut Rope, range: Range, new_text: &str, enc: Encoding) {
    let a = to_char(rope, range.start, enc);
    let b = to_char(rope, range.end, enc);
    let (start, end) = if a <= b { (a, b) } else { (b, a) };
    if start < end {
        rope.remove(start..end);
    }
    if !new_text.is_empty() {
        rope.insert(start, new_text);
    }
}

/// Char index in `rope` of an LSP position.
pub fn to_char(rope: &Rope, pos: Position, enc: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let line_start = rope.line_to_char(line);
    let line_end = line_start + content_end(&rope.line(line));
    let col = pos.character as usize;
    let idx = match enc {
        Encoding::Utf16 => {
            let base = rope.char_to_utf16_cu(line_start);
            let end = rope.char_to_utf16_cu(line_end);
            // A column inside a surrogate pair rounds down to the character holding it.
            rope.utf16_cu_to_char((base + col).min(end))
        }
        Encoding::Utf8 => {
            let base = rope.char_to_byte(line_start);
            let end = rope.char_to_byte(line_end);
            rope.byte_to_char((base + col).min(end))
        }
    };
    idx.clamp(line_start, line_end)
}

/// LSP position of a char index in `rope`.
pub fn to_position(rope: &Rope, char_idx: usize, enc: Encoding) -> Position {
    let char_idx = char_idx.min(rope.len_chars());
    let line = rope.char_to_line(char_idx);
    let line_start = rope.line_to_char(line);
    let character = match enc {
        Encoding::Utf16 => rope.char_to_utf16_cu(char_idx) - rope.char_to_utf16_cu(line_start),
        Encoding::Utf8 => rope.char_to_byte(char_idx) - rope.char_to_byte(line_start),
    };
    Position::new(line as u32, character as u32)
}

/// Number of chars of a line before its line break.
fn content_end(line: &ropey::RopeSlice<'_>) -> usize {
    let mut end = line.len_chars();
    if end > 0 && line.char(end - 1) == '\n' {
        end -= 1;
    }
    if end > 0 && line.char(end - 1) == '\r' {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: positions computed on a plain `String` the slow, obvious way.
    fn naive_offset(text: &str, pos: Position, enc: Encoding) -> usize {
        // Split into lines by LSP rules, keeping byte offsets of each line's content.
        let bytes = text.as_bytes();
        let mut lines = vec![];
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    lines.push((start, i));
                    start = i + 1;
                }
                b'\r' => {
                    lines.push((start, i));
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        lines.push((start, bytes.len()));
        let Some(&(ls, le)) = lines.get(pos.line as usize) else {
            return text.len();
        };
        let mut units = 0usize;
        for (off, ch) in text[ls..le].char_indices() {
            let w = match enc {
                Encoding::Utf16 => ch.len_utf16(),
                Encoding::Utf8 => ch.len_utf8(),
            };
            if units + w > pos.character as usize {
                return ls + off;
            }
            units += w;
        }
        le
    }

    fn naive_apply(text: &str, range: Range, new: &str, enc: Encoding) -> String {
        let a = naive_offset(text, range.start, enc);
        let b = naive_offset(text, range.end, enc);
        let (s, e) = if a <= b { (a, b) } else { (b, a) };
        format!("{}{}{}", &text[..s], new, &text[e..])
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("a".to_string()),
            Just("xyz".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("\r".to_string()),
            Just("é".to_string()),
            Just("中".to_string()),
            Just("😀".to_string()),
            Just("👩‍💻".to_string()),
            Just(" ".to_string()),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    fn pos_strategy() -> impl Strategy<Value = Position> {
        (0u32..8, 0u32..14).prop_map(|(l, c)| Position::new(l, c))
    }

    fn enc_strategy() -> impl Strategy<Value = Encoding> {
        prop_oneof![Just(Encoding::Utf8), Just(Encoding::Utf16)]
    }

    proptest! {
        #[test]
        fn position_to_offset_matches_reference(text in text_strategy(), pos in pos_strategy(), enc in enc_strategy()) {
            let rope = Rope::from_str(&text);
            let got = rope.char_to_byte(to_char(&rope, pos, enc));
            prop_assert_eq!(got, naive_offset(&text, pos, enc));
        }

        #[test]
        fn edits_match_reference(
            text in text_strategy(),
            edits in proptest::collection::vec((pos_strategy(), pos_strategy(), text_strategy()), 1..6),
            enc in enc_strategy(),
        ) {
            let mut doc = Document::new(&text, 0, "plaintext".into());
            let mut expected = text.clone();
            let changes: Vec<_> = edits.iter().map(|(a, b, new)| TextDocumentContentChangeEvent {
                range: Some(Range::new(*a, *b)), range_length: None, text: new.clone(),
            }).collect();
            for (a, b, new) in &edits {
                expected = naive_apply(&expected, Range::new(*a, *b), new, enc);
            }
            doc.apply_changes(changes, 1, enc);
            prop_assert_eq!(doc.text.to_string(), expected);
        }

        #[test]
        fn position_round_trips_on_char_boundaries(text in text_strategy(), idx in 0usize..200, enc in enc_strategy()) {
            let rope = Rope::from_str(&text);
            let idx = idx.min(rope.len_chars());
            // A char between '\r' and '\n' is not a place a position can name.
            let inside_crlf = idx > 0 && idx < rope.len_chars() && rope.char(idx - 1) == '\r' && rope.char(idx) == '\n';
            prop_assume!(!inside_crlf);
            let pos = to_position(&rope, idx, enc);
            prop_assert_eq!(to_char(&rope, pos, enc), idx);
        }
    }

    #[test]
    fn emoji_and_crlf_by_hand() {
        let text = "a😀b\r\nc";
        let rope = Rope::from_str(text);
        // 😀 is 2 UTF-16 units and 4 UTF-8 bytes.
        assert_eq!(to_char(&rope, Position::new(0, 3), Encoding::Utf16), 2);
        assert_eq!(to_char(&rope, Position::new(0, 5), Encoding::Utf8), 2);
        // Inside the surrogate pair rounds down to the emoji.
        assert_eq!(to_char(&rope, Position::new(0, 2), Encoding::Utf16), 1);
        // Past the end of a line is its end, before the CRLF.
        assert_eq!(to_char(&rope, Position::new(0, 99), Encoding::Utf16), 3);
        assert_eq!(to_char(&rope, Position::new(1, 0), Encoding::Utf16), 5);
        assert_eq!(to_char(&rope, Position::new(9, 0), Encoding::Utf16), 6);

        let mut doc = Document::new(text, 1, "plaintext".into());
        doc.apply_changes(
            [TextDocumentContentChangeEvent {
                range: Some(Range::new(Position::new(0, 1), Position::new(0, 3))),
                range_length: None,
                text: "🎉!".into(),
            }],
            2,
            Encoding::Utf16,
        );
        assert_eq!(doc.text.to_string(), "a🎉!b\r\nc");
        assert_eq!(doc.line(0), "a🎉!b");
        assert_eq!(doc.version, 2);
    }
}
