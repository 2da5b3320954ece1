//! Model replies → whole files, and the architect's reply → its JSON object.
//!
//! The prompts ask for one block per file:
//!
//! ````text
//! FILE: relative/path.ext
//! ```lang
//! ...the complete file...
//! ```
//! ````
//!
//! Models drift, so the parser also places a file when its path comes from:
//!
//! - a line before the fence: `### path`, `## File: path`, `**path**`, `` `path` ``, `File: path`,
//!   `FILE: `path``, a bare `path` or `1. path` line (a path-looking token, optionally followed by
//!   `:` or a description after ` (`, ` - `, ` — `). Blank lines may separate it from the fence; any
//!   other line cancels it, so "Add this to `app/main.py`:" followed by a snippet is not a file;
//! - the fence's info string: ```` ```python app/main.py ````, ```` ```app/main.py ````,
//!   ```` ```python:app/main.py ````, ```` ```python title="app/main.py" ````;
//! - a comment on the fence's first line: `# path`, `// path`, `<!-- path -->`, `/* path */`,
//!   `-- path` (then that line is not part of the file);
//! - a `<file path="...">…</file>` element, its contents raw or wrapped in one fence.
//!
//! When several are present, the line before the fence wins, then the info string, then the
//! comment (which then stays in the file as written).
//!
//! Fences are 3+ backticks or tildes. A longer fence encloses shorter ones; inside a fence, a
//! fence line of the same kind *with* an info string opens a nested block that the next bare fence
//! line closes, so a README written in a ```` ```markdown ```` fence may hold ```` ```sh ```` blocks
//! (models rarely lengthen the outer fence). In a markdown file, a bare fence may also open an inner
//! block: it closed the file only if a `FILE:` label, a `<file>` tag or a labelled fence comes before
//! the next bare fence, or the reply ends (so such a file is emitted when the next one starts).
//! A block without a path is skipped, never saved, except that a path-less unlabelled or markdown
//! block wrapping file blocks is read for them (one level).
//!
//! Cut-off replies: an open block at the end, or a `FILE:` label as the last line, is
//! [`ParseError::Truncated`]; a lone bare fence with nothing after it is a stray closing fence.
//!
//! Contents: CRLF becomes LF, trailing blank lines go, and a non-empty file ends with exactly one
//! newline. Paths come back as written, trimmed and without a leading `./`; confinement is the
//! workspace's job, so `../x` is returned for the caller to refuse.
//!
//! A path that comes twice: the last contents win, at the first one's place in the list
//! ([`parse_files`]); [`StreamParser`] emits both in order, so writing them in order ends the same.

use std::collections::HashMap;

/// One whole file of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFile {
    pub path: String,
    pub contents: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Nothing in the reply could be placed as a file.
    #[error("no file in the reply: {detail}")]
    NoFiles { detail: String },
    /// A block was opened and never closed: the reply was cut off.
    #[error("{}", truncated_message(.path))]
    Truncated { path: Option<String> },
    /// The architect's reply holds no JSON object.
    #[error("no JSON object in the reply: {detail}")]
    NoJson { detail: String },
    /// The architect's JSON block does not parse as an object.
    #[error("the JSON block does not parse: {detail}")]
    BadJson { detail: String },
}

fn truncated_message(path: &Option<String>) -> String {
    let what = match path {
        Some(path) => format!("the block of `{path}`"),
        None => "a code block".to_string(),
    };
    format!(
        "the reply was cut off: {what} was opened and never closed (output limit or stream ended); \
         answer again with fewer or shorter files per reply"
    )
}

const EXPECTED: &str =
    "expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence";

/// All whole files of a finished reply, in reply order (see the module docs for the accepted forms).
///
/// Errors: [`ParseError::Truncated`] when a block is left open at the end (even if earlier files
/// were complete), [`ParseError::NoFiles`] when no block names its file.
pub fn parse_files(reply: &str) -> Result<Vec<ParsedFile>, ParseError> {
    let mut parser = StreamParser::new();
    let mut files = parser.push(reply);
    files.extend(parser.finish()?);
    Ok(dedup_last_wins(files))
}

fn dedup_last_wins(files: Vec<ParsedFile>) -> Vec<ParsedFile> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<ParsedFile> = Vec::with_capacity(files.len());
    for file in files {
        match index.get(&file.path) {
            Some(&i) => out[i] = file,
            None => {
                index.insert(file.path.clone(), out.len());
                out.push(file);
            }
        }
    }
    out
}

/// Incremental [`parse_files`]: push text as it streams in, get each file when its block closes.
///
/// Over any split of a reply, the files pushed out plus those of [`StreamParser::finish`] are
/// those of `parse_files` on the whole text, except that a repeated path is emitted each time.
#[derive(Default)]
pub struct StreamParser {
    scanner: Scanner,
    /// The reply's first characters after leading whitespace, quoted in `NoFiles`.
    head: String,
    emitted: usize,
    pathless: usize,
}

const HEAD_CHARS: usize = 100;

impl StreamParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next piece of the reply; returns the files completed by it.
    pub fn push(&mut self, chunk: &str) -> Vec<ParsedFile> {
        self.remember_head(chunk);
        let mut blocks = Vec::new();
        self.scanner.push(chunk, &mut blocks);
        self.files(blocks)
    }

    /// Ends the reply: the files completed by its last line, or why the reply is unusable.
    pub fn finish(mut self) -> Result<Vec<ParsedFile>, ParseError> {
        let mut blocks = Vec::new();
        let open = std::mem::take(&mut self.scanner).finish(&mut blocks);
        let files = self.files(blocks);
        if let Some(path) = open {
            return Err(ParseError::Truncated { path });
        }
        if self.emitted == 0 {
            return Err(ParseError::NoFiles { detail: self.no_files_detail() });
        }
        Ok(files)
    }

    /// How many files were emitted so far (a repeated path counts each time).
    pub fn files_so_far(&self) -> usize {
        self.emitted
    }

    fn files(&mut self, blocks: Vec<Block>) -> Vec<ParsedFile> {
        let mut files = Vec::new();
        for block in blocks {
            match block.path {
                Some(path) => files.push(ParsedFile { path, contents: block.contents }),
                None => self.pathless += 1,
            }
        }
        self.emitted += files.len();
        files
    }

    fn remember_head(&mut self, chunk: &str) {
        let mut have = self.head.chars().count();
        for c in chunk.chars() {
            if have >= HEAD_CHARS {
                break;
            }
            if self.head.is_empty() && c.is_whitespace() {
                continue;
            }
            self.head.push(c);
            have += 1;
        }
    }

    fn no_files_detail(&self) -> String {
        if self.head.is_empty() {
            return format!("the reply is empty; {EXPECTED}");
        }
        let mut excerpt = self.head.clone();
        if excerpt.chars().count() >= HEAD_CHARS {
            excerpt.push('…');
        }
        match self.pathless {
            0 => format!("the reply holds no code block; {EXPECTED}; the reply begins {excerpt:?}"),
            n => format!(
                "{n} code block{} but none says which file it is; {EXPECTED}; the reply begins {excerpt:?}",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

/// The one JSON object of an architect reply, as text (checked with serde_json).
///
/// Looks at fenced blocks labelled `json` and unlabelled ones starting with `{`, in reply order,
/// and returns the first that parses as an object; without any such block, at a bare object
/// starting a line (the whole reply, or with prose around it).
pub fn parse_json_block(reply: &str) -> Result<String, ParseError> {
    let mut scanner = Scanner { nested: true, ..Scanner::default() };
    let mut blocks = Vec::new();
    scanner.push(reply, &mut blocks);
    let open = scanner.finish(&mut blocks);

    let candidates = blocks.iter().filter(|b| match &b.lang {
        Some(lang) => lang.eq_ignore_ascii_case("json") || lang.eq_ignore_ascii_case("jsonc"),
        None => b.contents.trim_start().starts_with('{'),
    });
    let mut first_error = None;
    for block in candidates {
        let text = block.contents.trim();
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(_)) => return Ok(text.to_string()),
            Ok(other) => {
                first_error.get_or_insert(format!("the json block holds {}, not an object", kind(&other)))
            }
            Err(e) => first_error.get_or_insert(format!("{e} (in the json block)")),
        };
    }
    if let Some(path) = open {
        return Err(ParseError::Truncated { path });
    }
    if let Some(detail) = first_error {
        return Err(ParseError::BadJson { detail });
    }
    bare_json_object(reply)
}

fn bare_json_object(reply: &str) -> Result<String, ParseError> {
    let mut first_error = None;
    let mut offset = 0;
    for line in reply.split_inclusive('\n') {
        let start = offset + (line.len() - line.trim_start().len());
        offset += line.len();
        if !reply[start..].starts_with('{') {
            continue;
        }
        let mut values = serde_json::Deserializer::from_str(&reply[start..]).into_iter::<serde_json::Value>();
        match values.next() {
            Some(Ok(serde_json::Value::Object(_))) => {
                return Ok(reply[start..start + values.byte_offset()].to_string());
            }
            Some(Err(e)) => {
                let line_no = reply[..start].matches('\n').count() + 1;
                first_error.get_or_insert(format!("{e} (in the object starting on line {line_no})"));
            }
            _ => {}
        }
    }
    Err(match first_error {
        Some(detail) => ParseError::BadJson { detail },
        None => ParseError::NoJson {
            detail: format!("expected one ```json block holding the spec object; the reply begins {:?}", {
                let head: String = reply.trim_start().chars().take(HEAD_CHARS).collect();
                head
            }),
        },
    })
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------
// The line scanner shared by all three entry points.

/// A closed block, with or without a path.
#[derive(Debug)]
struct Block {
    path: Option<String>,
    lang: Option<String>,
    contents: String,
}

#[derive(Debug, Clone, Copy)]
struct Fence {
    ch: u8,
    len: usize,
    indent: usize,
}

#[derive(Debug)]
struct Pending {
    path: String,
    /// Named by a `FILE:`-style label: a reply ending right after it was cut off.
    strong: bool,
}

#[derive(Debug)]
struct FencedBlock {
    fence: Fence,
    path: Option<String>,
    lang: Option<String>,
    bare: bool,
    body: String,
    depth: usize,
    first_seen: bool,
    /// Markdown only: a bare fence at depth 0 was seen; it closed the block or opened an inner one.
    speculation: Option<Speculation>,
}

/// Where a markdown block ends if the bare fence at `body_len` was its closing fence.
#[derive(Debug)]
struct Speculation {
    body_len: usize,
    /// The lines after that fence, to be read again outside the block if it was.
    since: Vec<String>,
}

impl FencedBlock {
    fn is_markdown(&self) -> bool {
        let lang = self.lang.as_deref().unwrap_or("").to_ascii_lowercase();
        let path = self.path.as_deref().unwrap_or("").to_ascii_lowercase();
        matches!(lang.as_str(), "md" | "markdown")
            || [".md", ".markdown", ".mdx"].iter().any(|ext| path.ends_with(ext))
    }
}

#[derive(Debug)]
struct TaggedBlock {
    path: Option<String>,
    lines: Vec<String>,
}

#[derive(Debug)]
enum State {
    Outside(Option<Pending>),
    Fenced(FencedBlock),
    Tagged(TaggedBlock),
}

impl Default for State {
    fn default() -> Self {
        State::Outside(None)
    }
}

/// Splits text into lines (whatever the chunking) and runs the block state machine over them.
#[derive(Debug, Default)]
struct Scanner {
    state: State,
    partial: String,
    /// Inside a wrapper block already: do not look for files in path-less blocks.
    nested: bool,
    /// Lines to read again after a markdown block turned out to have ended earlier.
    replay: Vec<String>,
}

impl Scanner {
    fn push(&mut self, chunk: &str, out: &mut Vec<Block>) {
        let mut rest = chunk;
        while let Some(i) = rest.find('\n') {
            if self.partial.is_empty() {
                self.line(&rest[..i], out);
            } else {
                self.partial.push_str(&rest[..i]);
                let line = std::mem::take(&mut self.partial);
                self.line(&line, out);
            }
            rest = &rest[i + 1..];
        }
        self.partial.push_str(rest);
    }

    /// Processes the last, unterminated line; returns `Some(path)` when a block is left open.
    fn finish(mut self, out: &mut Vec<Block>) -> Option<Option<String>> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, out);
        }
        while let State::Fenced(b) = &mut self.state
            && b.speculation.is_some()
        {
            let State::Fenced(b) = std::mem::take(&mut self.state) else { unreachable!() };
            self.state = self.settle(b, None, out);
        }
        match self.state {
            State::Outside(Some(Pending { path, strong: true })) => Some(Some(path)),
            State::Outside(_) => None,
            // A lone bare fence with nothing after it is a stray closing fence, not a cut-off file.
            State::Fenced(b) if b.path.is_none() && b.bare && b.body.trim().is_empty() => None,
            State::Fenced(b) => Some(b.path),
            State::Tagged(t) => Some(t.path),
        }
    }

    fn line(&mut self, raw: &str, out: &mut Vec<Block>) {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        self.state = match std::mem::take(&mut self.state) {
            State::Outside(pending) => self.outside(pending, line, out),
            State::Fenced(block) => self.fenced(block, line, out),
            State::Tagged(block) => tagged(block, line, out),
        };
        for line in std::mem::take(&mut self.replay) {
            self.line(&line, out);
        }
    }

    fn outside(&self, pending: Option<Pending>, line: &str, out: &mut Vec<Block>) -> State {
        if let Some((fence, info)) = fence_open(line) {
            let (lang, info_path) = parse_info(info);
            return State::Fenced(FencedBlock {
                fence,
                path: pending.map(|p| p.path).or(info_path),
                lang,
                bare: info.is_empty(),
                body: String::new(),
                depth: 0,
                first_seen: false,
                speculation: None,
            });
        }
        if let Some(tag) = file_tag_open(line) {
            let path = tag.path.or(pending.map(|p| p.path));
            return match tag.body {
                TagBody::SelfClosing => State::Outside(None),
                TagBody::Whole(contents) => {
                    out.push(tagged_block(path, vec![contents.to_string()]));
                    State::Outside(None)
                }
                TagBody::Open(first) => State::Tagged(TaggedBlock {
                    path,
                    lines: first.into_iter().map(str::to_string).collect(),
                }),
            };
        }
        if let Some(pending) = header_path(line) {
            return State::Outside(Some(pending));
        }
        if line.trim().is_empty() { State::Outside(pending) } else { State::Outside(None) }
    }

    fn fenced(&mut self, mut b: FencedBlock, line: &str, out: &mut Vec<Block>) -> State {
        let opener = fence_open(line);
        if let Some(speculation) = &mut b.speculation {
            // The bare fence closed the block if what follows starts another file; it opened an
            // inner block if another bare fence comes first.
            let next_file = header_path(line).is_some_and(|p| p.strong)
                || file_tag_open(line).is_some()
                || opener.is_some_and(|(_, info)| !info.is_empty());
            if next_file {
                return self.settle(b, Some(line), out);
            }
            if opener.is_some_and(|(f, info)| info.is_empty() && closes(f, b.fence)) {
                b.speculation = None;
            } else {
                speculation.since.push(line.to_string());
            }
            b.body.push_str(deindent(line, b.fence.indent));
            b.body.push('\n');
            return State::Fenced(b);
        }
        let mut fence_line = false;
        if let Some((f, info)) = opener
            && closes(f, b.fence)
        {
            fence_line = true;
            if info.is_empty() {
                if b.depth == 0 {
                    if b.is_markdown() {
                        b.speculation = Some(Speculation { body_len: b.body.len(), since: Vec::new() });
                        b.body.push_str(deindent(line, b.fence.indent));
                        b.body.push('\n');
                        return State::Fenced(b);
                    }
                    self.close_fenced(b, out);
                    return State::Outside(None);
                }
                b.depth -= 1;
            } else {
                b.depth += 1;
            }
        }
        let content = deindent(line, b.fence.indent);
        let first = !b.first_seen;
        b.first_seen = true;
        if first
            && !fence_line
            && b.path.is_none()
            && let Some(path) = comment_path(content)
        {
            b.path = Some(path);
            return State::Fenced(b);
        }
        b.body.push_str(content);
        b.body.push('\n');
        State::Fenced(b)
    }

    /// Ends a markdown block at its speculative closing fence and reads the lines after it again.
    fn settle(&mut self, mut b: FencedBlock, next: Option<&str>, out: &mut Vec<Block>) -> State {
        let Some(speculation) = b.speculation.take() else { return State::Fenced(b) };
        b.body.truncate(speculation.body_len);
        self.close_fenced(b, out);
        self.replay = speculation.since;
        self.replay.extend(next.map(str::to_string));
        State::Outside(None)
    }

    fn close_fenced(&self, b: FencedBlock, out: &mut Vec<Block>) {
        let contents = finish_contents(&b.body);
        let wrapper = matches!(b.lang.as_deref(), None | Some("markdown" | "md" | "text" | "txt"));
        if b.path.is_none() && wrapper && !self.nested && contents.contains("\n") {
            let mut inner = Scanner { nested: true, ..Scanner::default() };
            let mut blocks = Vec::new();
            inner.push(&contents, &mut blocks);
            // An inner block left open means this was no wrapper; keep only what closed.
            let _ = inner.finish(&mut blocks);
            if blocks.iter().any(|b| b.path.is_some()) {
                out.extend(blocks.into_iter().filter(|b| b.path.is_some()));
                return;
            }
        }
        out.push(Block { path: b.path, lang: b.lang, contents });
    }
}

fn tagged(mut t: TaggedBlock, line: &str, out: &mut Vec<Block>) -> State {
    if let Some(before) = line.trim_end().strip_suffix("</file>") {
        if !before.trim().is_empty() {
            t.lines.push(before.to_string());
        }
        out.push(tagged_block(t.path, t.lines));
        return State::Outside(None);
    }
    t.lines.push(line.to_string());
    State::Tagged(t)
}

fn tagged_block(path: Option<String>, lines: Vec<String>) -> Block {
    if let Some((lang, contents)) = unwrap_fence(&lines) {
        return Block { path, lang, contents };
    }
    let mut body = lines.join("\n");
    body.push('\n');
    Block { path, lang: None, contents: finish_contents(&body) }
}

/// `Some` when the lines are exactly one fenced block (blank lines around allowed).
fn unwrap_fence(lines: &[String]) -> Option<(Option<String>, String)> {
    let first = lines.iter().position(|l| !l.trim().is_empty())?;
    let last = lines.iter().rposition(|l| !l.trim().is_empty())?;
    let (fence, info) = fence_open(&lines[first])?;
    let mut depth = 0usize;
    for (i, line) in lines.iter().enumerate().take(last + 1).skip(first + 1) {
        let Some((f, inner_info)) = fence_open(line) else { continue };
        if !closes(f, fence) {
            continue;
        }
        if !inner_info.is_empty() {
            depth += 1;
        } else if depth > 0 {
            depth -= 1;
        } else if i == last {
            let mut body = String::new();
            for line in &lines[first + 1..last] {
                body.push_str(deindent(line, fence.indent));
                body.push('\n');
            }
            return Some((parse_info(info).0, finish_contents(&body)));
        } else {
            return None;
        }
    }
    None
}

/// Drops trailing blank lines; a non-empty result ends with exactly one newline.
fn finish_contents(body: &str) -> String {
    let mut end = 0;
    let mut pos = 0;
    for line in body.split_inclusive('\n') {
        pos += line.len();
        if !line.trim().is_empty() {
            end = pos;
        }
    }
    let mut contents = body[..end].trim_end_matches('\n').to_string();
    if !contents.is_empty() {
        contents.push('\n');
    }
    contents
}

fn deindent(line: &str, indent: usize) -> &str {
    let spaces = line.bytes().take(indent).take_while(|&b| b == b' ').count();
    &line[spaces..]
}

/// Whether fence line `f` is of the same kind as the block's `fence` (closes it when bare).
fn closes(f: Fence, fence: Fence) -> bool {
    f.ch == fence.ch && f.len >= fence.len && f.indent <= fence.indent + 3
}

/// A fence line: optional spaces, 3+ backticks or tildes, an info string (no backtick in it for a
/// backtick fence).
fn fence_open(line: &str) -> Option<(Fence, &str)> {
    let rest = line.trim_start_matches(' ');
    let indent = line.len() - rest.len();
    let ch = *rest.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|&b| b == ch).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    if ch == b'`' && info.contains('`') {
        return None;
    }
    Some((Fence { ch, len, indent }, info))
}

/// The language and the path an info string carries.
fn parse_info(info: &str) -> (Option<String>, Option<String>) {
    let mut lang = None;
    let mut path = None;
    for (i, token) in info.split_whitespace().enumerate() {
        if let Some((key, value)) = token.split_once('=') {
            if matches!(key.to_ascii_lowercase().as_str(), "title" | "file" | "filename" | "path" | "name") {
                path = path.or_else(|| clean_path(value.trim_matches(['"', '\''])));
            }
            continue;
        }
        if i == 0 {
            if let Some((l, p)) = token.split_once(':')
                && !token.contains("://")
                && looks_like_path(p, false)
            {
                lang = Some(l.to_string());
                path = path.or_else(|| clean_path(p));
            } else if looks_like_path(token, false) {
                path = path.or_else(|| clean_path(token));
            } else {
                lang = Some(token.to_string());
            }
        } else if path.is_none() && looks_like_path(token, false) {
            path = clean_path(token);
        }
    }
    (lang, path)
}

/// The path a line before a fence announces, if the whole line is such an announcement.
fn header_path(line: &str) -> Option<Pending> {
    let mut s = line.trim();
    let after_hashes = s.trim_start_matches('#');
    if after_hashes.len() != s.len() {
        if s.len() - after_hashes.len() > 6 || !after_hashes.starts_with(' ') {
            return None;
        }
        s = after_hashes;
    }
    s = strip_list_marker(s.trim_start());
    s = strip_decoration(s);
    let (rest, strong) = match strip_label(s) {
        Some(rest) => (strip_decoration(rest), true),
        None => (s, false),
    };
    let end = rest.find(|c: char| c.is_whitespace() || matches!(c, '`' | '*' | '"')).unwrap_or(rest.len());
    let raw = &rest[..end];
    let raw = raw.strip_suffix(':').unwrap_or(raw);
    let tail =
        rest[end..].trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '`' | '*' | '"' | ':'));
    if !(tail.is_empty() || tail.starts_with(['(', '-', '—', '–'])) {
        return None;
    }
    let ok = if strong { !raw.is_empty() && !raw.contains("://") } else { looks_like_path(raw, true) };
    if !ok {
        return None;
    }
    clean_path(raw).map(|path| Pending { path, strong })
}

fn strip_list_marker(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix(['-', '*', '+'])
        && rest.starts_with(' ')
    {
        return rest.trim_start();
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && let Some(rest) = s[digits..].strip_prefix(['.', ')'])
        && rest.starts_with(' ')
    {
        return rest.trim_start();
    }
    s
}

fn strip_decoration(mut s: &str) -> &str {
    loop {
        s = s.trim_start();
        match s.strip_prefix(['*', '`', '"']) {
            Some(rest) => s = rest,
            None => return s,
        }
    }
}

/// `File:`, `FILE:`, `Filename:`, `Path:` (case-insensitive, `**File**:` included): what follows.
fn strip_label(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let label = s[..colon].trim_end_matches('*').trim();
    let known = ["file", "filename", "file name", "path", "file path"];
    known.iter().any(|k| label.eq_ignore_ascii_case(k)).then(|| &s[colon + 1..])
}

/// A path named by a comment on a fence's first line.
fn comment_path(line: &str) -> Option<String> {
    let t = line.trim();
    let inner = if let Some(r) = t.strip_prefix("<!--") {
        r.strip_suffix("-->")?
    } else if let Some(r) = t.strip_prefix("/*") {
        r.strip_suffix("*/")?
    } else if let Some(r) = t.strip_prefix("//") {
        r
    } else if t.starts_with("#!") {
        return None;
    } else if let Some(r) = t.strip_prefix('#') {
        r
    } else {
        t.strip_prefix("--")?
    };
    let inner = inner.trim();
    let inner = strip_label(inner).unwrap_or(inner).trim().trim_matches(['`', '"', '\'']);
    if looks_like_path(inner, true) { clean_path(inner) } else { None }
}

const EXTENSIONLESS: [&str; 11] = [
    "Dockerfile",
    "Containerfile",
    "Makefile",
    "Procfile",
    "Gemfile",
    "Rakefile",
    "Jenkinsfile",
    "Vagrantfile",
    "Caddyfile",
    "LICENSE",
    "CODEOWNERS",
];

/// A single token that reads as a file path: has a `/`, or a name with an extension (`main.py`,
/// `.env`), or (when `known_names`) a well-known extensionless name such as `Dockerfile`.
fn looks_like_path(s: &str, known_names: bool) -> bool {
    if s.is_empty()
        || s.len() > 512
        || s.contains("://")
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '`' | '*' | '<' | '>' | '"' | '|'))
    {
        return false;
    }
    let name = s.rsplit(['/', '\\']).next().unwrap_or(s);
    if name.is_empty() || !s.chars().any(char::is_alphanumeric) {
        return false;
    }
    if s.contains('/') {
        return true;
    }
    if let Some((stem, ext)) = name.rsplit_once('.') {
        let ext_ok = !ext.is_empty()
            && ext.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !ext.chars().all(|c| c.is_ascii_digit());
        return ext_ok && (!stem.is_empty() || name.starts_with('.'));
    }
    known_names && EXTENSIONLESS.contains(&name)
}

/// Trimmed, without leading `./`; `None` when nothing is left.
fn clean_path(raw: &str) -> Option<String> {
    let mut p = raw.trim();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    (!p.is_empty()).then(|| p.to_string())
}

enum TagBody<'a> {
    SelfClosing,
    /// `<file path="x">contents</file>` on one line.
    Whole(&'a str),
    /// Text after `>` on the opening line, if any.
    Open(Option<&'a str>),
}

struct TagOpen<'a> {
    path: Option<String>,
    body: TagBody<'a>,
}

/// `<file path="...">` (also `name=`, `filename=`; quotes optional).
fn file_tag_open(line: &str) -> Option<TagOpen<'_>> {
    let rest = line.trim_start().strip_prefix("<file")?;
    if !rest.starts_with(|c: char| c.is_whitespace() || c == '>') {
        return None;
    }
    let gt = rest.find('>')?;
    let attrs = &rest[..gt];
    let after = &rest[gt + 1..];
    let path = tag_attr(attrs, &["path", "filename", "name"]).and_then(|p| clean_path(&p));
    let body = if attrs.trim_end().ends_with('/') {
        TagBody::SelfClosing
    } else if let Some(end) = after.find("</file>") {
        TagBody::Whole(&after[..end])
    } else if after.trim().is_empty() {
        TagBody::Open(None)
    } else {
        TagBody::Open(Some(after))
    };
    Some(TagOpen { path, body })
}

fn tag_attr(attrs: &str, names: &[&str]) -> Option<String> {
    for name in names {
        let mut search = attrs;
        while let Some(at) = search.find(name) {
            let before_ok = search[..at].ends_with(char::is_whitespace);
            let value = search[at + name.len()..].trim_start();
            search = &search[at + name.len()..];
            let Some(value) = value.strip_prefix('=').map(str::trim_start) else { continue };
            if !before_ok {
                continue;
            }
            return Some(match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or("").to_string(),
                _ => {
                    let token = value.split_whitespace().next().unwrap_or("");
                    token.strip_suffix('/').unwrap_or(token).to_string()
                }
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn render(result: Result<Vec<ParsedFile>, ParseError>) -> String {
        match result {
            Ok(files) => files
                .iter()
                .map(|f| match f.contents.as_str() {
                    "" => format!("=== {} (empty)\n", f.path),
                    contents => format!("=== {}\n{contents}", f.path),
                })
                .collect(),
            Err(e) => format!("{e:?}\n{e}\n"),
        }
    }

    /// Parses `reply` whole and streamed one char at a time; both must agree with `expect`.
    fn check(reply: &str, expect: Expect) {
        let whole = render(parse_files(reply));
        let mut parser = StreamParser::new();
        let mut streamed = Vec::new();
        let mut buf = [0u8; 4];
        for c in reply.chars() {
            streamed.extend(parser.push(c.encode_utf8(&mut buf)));
        }
        let streamed =
            parser.finish().map(|rest| dedup_last_wins(streamed.into_iter().chain(rest).collect()));
        assert_eq!(render(streamed), whole, "streamed parse differs");
        expect.assert_eq(&whole);
    }

    fn check_json(reply: &str, expect: Expect) {
        let actual = match parse_json_block(reply) {
            Ok(json) => format!("ok: {json}\n"),
            Err(e) => format!("{e:?}\n{e}\n"),
        };
        expect.assert_eq(&actual);
    }

    /// The test's reply text: the common indentation and the first line break removed.
    fn reply(text: &str) -> String {
        let text = text.strip_prefix('\n').unwrap_or(text);
        let indent = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start_matches(' ').len())
            .min()
            .unwrap_or(0);
        text.split_inclusive('\n').map(|l| l.get(indent..).unwrap_or(l.trim_start_matches(' '))).collect()
    }

    #[test]
    fn canonical() {
        check(
            &reply(
                r#"
                FILE: app/main.py
                ```python
                from fastapi import FastAPI

                app = FastAPI()
                ```

                FILE: requirements.txt
                ```
                fastapi==0.115.0
                ```
                "#,
            ),
            expect![[r#"
                === app/main.py
                from fastapi import FastAPI

                app = FastAPI()
                === requirements.txt
                fastapi==0.115.0
            "#]],
        );
    }

    #[test]
    fn canonical_with_prose_between_and_around() {
        check(
            &reply(
                r#"
                Here is the backend.

                FILE: app/__init__.py
                ```python
                ```
                Next, the database module:
                FILE: app/db.py
                ```python
                import sqlite3


                ```
                That's all: run `uvicorn app.main:app`.
                "#,
            ),
            expect![[r#"
                === app/__init__.py (empty)
                === app/db.py
                import sqlite3
            "#]],
        );
    }

    #[test]
    fn heading_variants() {
        check(
            &reply(
                r#"
                ### app/main.py
                ```python
                a = 1
                ```
                ## `app/db.py`
                ```python
                b = 2
                ```
                **static/app.js**
                ```js
                c = 3;
                ```
                `static/style.css`:
                ```css
                body {}
                ```
                ### File: `tests/test_api.py` (API tests)
                ```python
                d = 4
                ```
                **File:** `Dockerfile`
                ```dockerfile
                FROM python:3.12-slim
                ```
                1. **`.env.example`**
                ```
                PORT=8000
                ```
                compose.yaml
                ```yaml
                services: {}
                ```
                "#,
            ),
            expect![[r#"
                === app/main.py
                a = 1
                === app/db.py
                b = 2
                === static/app.js
                c = 3;
                === static/style.css
                body {}
                === tests/test_api.py
                d = 4
                === Dockerfile
                FROM python:3.12-slim
                === .env.example
                PORT=8000
                === compose.yaml
                services: {}
            "#]],
        );
    }

    #[test]
    fn file_label_variants() {
        check(
            &reply(
                r#"
                File: app/main.py
                ```python
                a = 1
                ```
                FILE: `app/db.py`
                ```python
                b = 2
                ```
                file: ./app/auth.py

                ```python
                c = 3
                ```
                Filename: "Makefile"
                ```make
                all:
                ```
                "#,
            ),
            expect![[r#"
                === app/main.py
                a = 1
                === app/db.py
                b = 2
                === app/auth.py
                c = 3
                === Makefile
                all:
            "#]],
        );
    }

    #[test]
    fn path_comment_on_first_line() {
        check(
            &reply(
                r#"
                ```python
                # app/main.py
                import os
                ```
                ```js
                // static/app.js
                let x = 1;
                ```
                ```html
                <!-- static/index.html -->
                <!doctype html>
                ```
                ```css
                /* static/style.css */
                body {}
                ```
                ```sql
                -- db/schema.sql
                CREATE TABLE t (id INTEGER);
                ```
                ```python
                # File: app/db.py
                x = 2
                ```
                "#,
            ),
            expect![[r#"
                === app/main.py
                import os
                === static/app.js
                let x = 1;
                === static/index.html
                <!doctype html>
                === static/style.css
                body {}
                === db/schema.sql
                CREATE TABLE t (id INTEGER);
                === app/db.py
                x = 2
            "#]],
        );
    }

    #[test]
    fn comment_that_is_not_a_path_leaves_the_block_pathless() {
        check(
            &reply(
                r#"
                ```python
                #!/usr/bin/env python3
                print("hi")
                ```
                ```python
                # -*- coding: utf-8 -*-
                ```
                ```js
                // see https://example.com/app.js
                ```
                "#,
            ),
            expect![[r#"
                NoFiles { detail: "3 code blocks but none says which file it is; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence; the reply begins \"```python\\n#!/usr/bin/env python3\\nprint(\\\"hi\\\")\\n```\\n```python\\n# -*- coding: utf-8 -*-\\n```\\n```js\\n// see …\"" }
                no file in the reply: 3 code blocks but none says which file it is; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence; the reply begins "```python\n#!/usr/bin/env python3\nprint(\"hi\")\n```\n```python\n# -*- coding: utf-8 -*-\n```\n```js\n// see …"
            "#]],
        );
    }

    #[test]
    fn heading_wins_over_comment_which_stays() {
        check(
            &reply(
                r#"
                FILE: app/main.py
                ```python
                # app/other.py
                x = 1
                ```
                "#,
            ),
            expect![[r#"
                === app/main.py
                # app/other.py
                x = 1
            "#]],
        );
    }

    #[test]
    fn path_in_info_string() {
        check(
            &reply(
                r#"
                ```python app/main.py
                a = 1
                ```
                ```app/db.py
                b = 2
                ```
                ```js:static/app.js
                c = 3;
                ```
                ```python title="app/auth.py"
                d = 4
                ```
                ```python
                not a file
                ```
                "#,
            ),
            expect![[r#"
                === app/main.py
                a = 1
                === app/db.py
                b = 2
                === static/app.js
                c = 3;
                === app/auth.py
                d = 4
            "#]],
        );
    }

    #[test]
    fn heading_wins_over_info_string() {
        check(
            &reply(
                r#"
                ### app/main.py
                ```python app/elsewhere.py
                a = 1
                ```
                "#,
            ),
            expect![[r#"
                === app/main.py
                a = 1
            "#]],
        );
    }

    #[test]
    fn file_tags() {
        check(
            &reply(
                r#"
                <file path="app/main.py">
                import os
                </file>
                <file path='static/app.js'>
                ```js
                let x = 1;
                ```
                </file>
                <file path="README.md">
                ```sh
                make
                ```
                More text after the block, so the fence is part of the file.
                </file>
                <file path=app/empty.py></file>
                <file path="one.txt">one line</file>
                <file path="tail.txt">
                last line</file>
                "#,
            ),
            expect![[r#"
                === app/main.py
                import os
                === static/app.js
                let x = 1;
                === README.md
                ```sh
                make
                ```
                More text after the block, so the fence is part of the file.
                === app/empty.py (empty)
                === one.txt
                one line
                === tail.txt
                last line
            "#]],
        );
    }

    #[test]
    fn nested_fences_longer_outer() {
        check(
            &reply(
                r#"
                FILE: README.md
                ````markdown
                # App

                ```sh
                make run
                ```
                ````
                "#,
            ),
            expect![[r#"
                === README.md
                # App

                ```sh
                make run
                ```
            "#]],
        );
    }

    #[test]
    fn nested_fences_same_length_with_labelled_inner_blocks() {
        check(
            &reply(
                r#"
                FILE: README.md
                ```markdown
                # App

                ```sh
                make install
                ```

                Then:

                ```bash
                make run
                ```
                ```
                FILE: Makefile
                ```make
                run:
                ```
                "#,
            ),
            expect![[r#"
                === README.md
                # App

                ```sh
                make install
                ```

                Then:

                ```bash
                make run
                ```
                === Makefile
                run:
            "#]],
        );
    }

    #[test]
    fn markdown_with_bare_inner_fences() {
        // In a markdown file, a bare fence at depth 0 may close the file or open an inner block;
        // it closed the file when a `FILE:` label, a `<file>` tag or a labelled fence follows
        // before the next bare fence, or when the reply ends.
        check(
            &reply(
                r#"
                FILE: README.md
                ```markdown
                # App
                ```
                make run
                ```
                Configure `.env` first.
                ```
                Next, the Makefile:
                FILE: Makefile
                ```make
                run:
                ```
                FILE: docs/usage.md
                ```
                plain block, closed by the end of the reply
                ```
                "#,
            ),
            expect![[r#"
                === README.md
                # App
                ```
                make run
                ```
                Configure `.env` first.
                === Makefile
                run:
                === docs/usage.md
                plain block, closed by the end of the reply
            "#]],
        );
    }

    #[test]
    fn markdown_with_unbalanced_bare_fences_is_truncated() {
        check(
            "FILE: README.md\n```md\n# App\n```\nmake run\n```\n",
            expect![[r#"
            Truncated { path: Some("README.md") }
            the reply was cut off: the block of `README.md` was opened and never closed (output limit or stream ended); answer again with fewer or shorter files per reply
        "#]],
        );
    }

    #[test]
    fn tildes() {
        check(
            &reply(
                r#"
                FILE: app/main.py
                ~~~python
                s = """
                ```
                """
                ~~~
                FILE: a.txt
                ~~~~
                ~~~
                ~~~~
                "#,
            ),
            expect![[r#"
                === app/main.py
                s = """
                ```
                """
                === a.txt
                ~~~
            "#]],
        );
    }

    #[test]
    fn crlf() {
        check(
            &reply(
                r#"
                FILE: app/main.py
                ```python
                a = 1
                b = 2
                ```
                "#,
            )
            .replace('\n', "\r\n"),
            expect![[r#"
                === app/main.py
                a = 1
                b = 2
            "#]],
        );
    }

    #[test]
    fn indented_fences_in_a_list() {
        check(
            &reply(
                r#"
                1. FILE: app/main.py
                   ```python
                   def f():
                       return 1
                   ```
                "#,
            ),
            expect![[r#"
                === app/main.py
                def f():
                    return 1
            "#]],
        );
    }

    #[test]
    fn wrapper_block_holding_file_blocks() {
        check(
            &reply(
                r#"
                ````
                FILE: app/main.py
                ```python
                a = 1
                ```
                FILE: app/db.py
                ```python
                b = 2
                ```
                ````
                "#,
            ),
            expect![[r#"
                === app/main.py
                a = 1
                === app/db.py
                b = 2
            "#]],
        );
    }

    #[test]
    fn block_without_path_is_skipped() {
        check(
            &reply(
                r#"
                Install with:
                ```sh
                pip install -r requirements.txt
                ```
                FILE: requirements.txt
                ```
                fastapi==0.115.0
                ```
                Add this to `app/main.py`:
                ```python
                app.include_router(router)
                ```
                "#,
            ),
            expect![[r#"
                === requirements.txt
                fastapi==0.115.0
            "#]],
        );
    }

    #[test]
    fn duplicate_path_last_wins_at_first_place() {
        check(
            &reply(
                r#"
                FILE: a.py
                ```python
                first = 1
                ```
                FILE: b.py
                ```python
                b = 1
                ```
                FILE: a.py
                ```python
                second = 2
                ```
                "#,
            ),
            expect![[r#"
                === a.py
                second = 2
                === b.py
                b = 1
            "#]],
        );
        let mut parser = StreamParser::new();
        let pushed = parser.push("FILE: a.py\n```\n1\n```\nFILE: a.py\n```\n2\n```\n");
        assert_eq!(pushed.len(), 2, "the stream emits both, in order");
        assert_eq!(pushed[1].contents, "2\n");
        assert_eq!(parser.files_so_far(), 2);
    }

    #[test]
    fn paths_as_written() {
        check(
            &reply(
                r#"
                FILE: ../../etc/passwd
                ```
                x
                ```
                FILE: /abs/path.txt
                ```
                y
                ```
                FILE: app\win.py
                ```
                z
                ```
                FILE: .git/config
                ```
                w
                ```
                "#,
            ),
            expect![[r#"
                === ../../etc/passwd
                x
                === /abs/path.txt
                y
                === app\win.py
                z
                === .git/config
                w
            "#]],
        );
    }

    #[test]
    fn truncated_final_block() {
        check(
            &reply(
                r#"
                FILE: app/main.py
                ```python
                a = 1
                ```
                FILE: app/db.py
                ```python
                def conn
                "#,
            ),
            expect![[r#"
                Truncated { path: Some("app/db.py") }
                the reply was cut off: the block of `app/db.py` was opened and never closed (output limit or stream ended); answer again with fewer or shorter files per reply
            "#]],
        );
    }

    #[test]
    fn truncated_inside_a_pathless_block_and_after_a_file_label() {
        check(
            "FILE: a.py\n```\na\n```\n```python\nimport o",
            expect![[r#"
            Truncated { path: None }
            the reply was cut off: a code block was opened and never closed (output limit or stream ended); answer again with fewer or shorter files per reply
        "#]],
        );
        check(
            "FILE: a.py\n```\na\n```\nFILE: b.py\n",
            expect![[r#"
            Truncated { path: Some("b.py") }
            the reply was cut off: the block of `b.py` was opened and never closed (output limit or stream ended); answer again with fewer or shorter files per reply
        "#]],
        );
        check(
            "<file path=\"a.py\">\nimport os\n",
            expect![[r#"
            Truncated { path: Some("a.py") }
            the reply was cut off: the block of `a.py` was opened and never closed (output limit or stream ended); answer again with fewer or shorter files per reply
        "#]],
        );
    }

    #[test]
    fn stray_bare_fence_at_the_end_is_ignored() {
        check(
            "FILE: a.py\n```\na\n```\n```\n",
            expect![[r#"
            === a.py
            a
        "#]],
        );
    }

    #[test]
    fn all_prose_is_no_files() {
        check(
            "Sure! I would build this with FastAPI and SQLite.\nLet me know if you want the code.",
            expect![[r#"
            NoFiles { detail: "the reply holds no code block; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence; the reply begins \"Sure! I would build this with FastAPI and SQLite.\\nLet me know if you want the code.\"" }
            no file in the reply: the reply holds no code block; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence; the reply begins "Sure! I would build this with FastAPI and SQLite.\nLet me know if you want the code."
        "#]],
        );
        check(
            "  \n\n",
            expect![[r#"
            NoFiles { detail: "the reply is empty; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence" }
            no file in the reply: the reply is empty; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence
        "#]],
        );
        check(
            "```python\nprint('no path')\n```\n",
            expect![[r#"
            NoFiles { detail: "1 code block but none says which file it is; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence; the reply begins \"```python\\nprint('no path')\\n```\\n\"" }
            no file in the reply: 1 code block but none says which file it is; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence; the reply begins "```python\nprint('no path')\n```\n"
        "#]],
        );
    }

    #[test]
    fn prose_lines_that_are_not_headers() {
        check(
            &reply(
                r#"
                ### Backend
                ```python
                a = 1
                ```
                Done.
                ```text
                b
                ```
                "#,
            ),
            expect![[r####"
                NoFiles { detail: "2 code blocks but none says which file it is; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence; the reply begins \"### Backend\\n```python\\na = 1\\n```\\nDone.\\n```text\\nb\\n```\\n\"" }
                no file in the reply: 2 code blocks but none says which file it is; expected each file as a line `FILE: relative/path` followed by the whole file in a ``` fence; the reply begins "### Backend\n```python\na = 1\n```\nDone.\n```text\nb\n```\n"
            "####]],
        );
    }

    #[test]
    fn contents_normalised() {
        check(
            "FILE: a.txt\n```\n\n  x  \n\n   \n```\nFILE: b.txt\n```\n\n\n```\nFILE: c.txt\n```\nno newline at end\n```",
            expect![[r#"
            === a.txt

              x  
            === b.txt (empty)
            === c.txt
            no newline at end
        "#]],
        );
    }

    #[test]
    fn unicode_and_mixed_variants() {
        check(
            &reply(
                r#"
                Voilà — les fichiers :
                FILE: app/main.py
                ```python
                msg = "héllo 世界 🚀"
                ```
                <file path="static/app.js">
                console.log("ok");
                </file>
                ```css
                /* static/style.css */
                body { color: #333; }
                ```
                "#,
            ),
            expect![[r#"
                === app/main.py
                msg = "héllo 世界 🚀"
                === static/app.js
                console.log("ok");
                === static/style.css
                body { color: #333; }
            "#]],
        );
    }

    #[test]
    fn json_fenced() {
        check_json(
            "```json\n{\"version\": 1, \"name\": \"x\"}\n```\n",
            expect![[r#"
            ok: {"version": 1, "name": "x"}
        "#]],
        );
    }

    #[test]
    fn json_unlabelled_fence() {
        check_json(
            "```\n{\"version\": 1}\n```",
            expect![[r#"
            ok: {"version": 1}
        "#]],
        );
    }

    #[test]
    fn json_bare() {
        check_json(
            "  {\"version\": 1,\n \"name\": \"x\"}\n",
            expect![[r#"
            ok: {"version": 1,
             "name": "x"}
        "#]],
        );
    }

    #[test]
    fn json_prose_around() {
        check_json(
            "Here is the spec:\n\n```json\n{\"a\": [1, 2]}\n```\n\nI hope it helps.",
            expect![[r#"
            ok: {"a": [1, 2]}
        "#]],
        );
        check_json(
            "Here is the spec:\n{\"a\": {\"b\": \"}\"}}\nThanks!",
            expect![[r#"
            ok: {"a": {"b": "}"}}
        "#]],
        );
    }

    #[test]
    fn json_first_object_wins() {
        check_json(
            "```json\n[1, 2]\n```\n```json\n{\"a\": 1,}\n```\n```json\n{\"b\": 2}\n```\n```json\n{\"c\": 3}\n```",
            expect![[r#"
                ok: {"b": 2}
            "#]],
        );
    }

    #[test]
    fn json_invalid() {
        check_json(
            "```json\n{\n  \"version\": 1,\n  \"name\": \"x\",\n}\n```\n",
            expect![[r#"
            BadJson { detail: "trailing comma at line 4 column 1 (in the json block)" }
            the JSON block does not parse: trailing comma at line 4 column 1 (in the json block)
        "#]],
        );
        check_json(
            "```json\n[\"not\", \"an object\"]\n```\n",
            expect![[r#"
            BadJson { detail: "the json block holds an array, not an object" }
            the JSON block does not parse: the json block holds an array, not an object
        "#]],
        );
        check_json(
            "Spec:\n{\"version\": 1 \"name\": 2}\n",
            expect![[r#"
            BadJson { detail: "expected `,` or `}` at line 1 column 15 (in the object starting on line 2)" }
            the JSON block does not parse: expected `,` or `}` at line 1 column 15 (in the object starting on line 2)
        "#]],
        );
    }

    #[test]
    fn json_none() {
        check_json(
            "I cannot plan this app.",
            expect![[r#"
            NoJson { detail: "expected one ```json block holding the spec object; the reply begins \"I cannot plan this app.\"" }
            no JSON object in the reply: expected one ```json block holding the spec object; the reply begins "I cannot plan this app."
        "#]],
        );
        check_json(
            "```python\nprint(1)\n```",
            expect![[r#"
            NoJson { detail: "expected one ```json block holding the spec object; the reply begins \"```python\\nprint(1)\\n```\"" }
            no JSON object in the reply: expected one ```json block holding the spec object; the reply begins "```python\nprint(1)\n```"
        "#]],
        );
    }

    #[test]
    fn json_truncated() {
        check_json(
            "```json\n{\"version\": 1,\n\"name\": \"rec",
            expect![[r#"
            Truncated { path: None }
            the reply was cut off: a code block was opened and never closed (output limit or stream ended); answer again with fewer or shorter files per reply
        "#]],
        );
    }

    #[test]
    fn markdown_then_weak_heading_and_bare_fence() {
        // FIXME: after a markdown file, a `### path` heading with a bare fence is read as the
        // README's next inner block, so both files become one. Only `FILE:` labels, `<file>` tags
        // and labelled fences end a markdown file reliably (the prompts ask for `FILE:`).
        check(
            &reply(
                r#"
                FILE: README.md
                ```markdown
                # App
                ```
                ### Makefile
                ```
                run:
                ```
                "#,
            ),
            expect![[r#"
                === README.md
                # App
                ```
                ### Makefile
                ```
                run:
            "#]],
        );
    }

    #[test]
    fn stream_emits_each_file_at_its_closing_fence() {
        let mut parser = StreamParser::new();
        assert_eq!(parser.push("FILE: a.py\n```py\nx = 1\n``"), vec![]);
        let done = parser.push("`\nFILE: b.py\n");
        assert_eq!(done, vec![ParsedFile { path: "a.py".into(), contents: "x = 1\n".into() }]);
        assert_eq!(parser.files_so_far(), 1);
        assert_eq!(parser.push("```py\ny = "), vec![]);
        expect![[r#"Truncated { path: Some("b.py") }"#]]
            .assert_eq(&format!("{:?}", parser.finish().unwrap_err()));
    }

    mod props {
        use proptest::prelude::*;

        use super::super::*;

        const VARIANTS: usize = 10;

        fn render_file(path: &str, lang: &str, contents: &str, variant: usize) -> String {
            match variant {
                0 => format!("FILE: {path}\n```{lang}\n{contents}```\n"),
                1 => format!("### {path}\n```{lang}\n{contents}```\n"),
                2 => format!("**{path}**\n```{lang}\n{contents}```\n"),
                3 => format!("`{path}`:\n~~~{lang}\n{contents}~~~\n"),
                4 => format!("File: `./{path}`\n\n````{lang}\n{contents}````\n"),
                5 => format!("```{lang} {path}\n{contents}```\n"),
                6 => format!("<file path=\"{path}\">\n{contents}</file>\n"),
                7 => format!("<file path=\"{path}\">\n```{lang}\n{contents}```\n</file>\n"),
                8 => format!("{path}\n```{lang}\n{contents}```\n"),
                _ => format!("```{lang}\n# {path}\n{contents}```\n"),
            }
        }

        fn is_fence_like(line: &str) -> bool {
            let t = line.trim_start_matches(' ');
            t.starts_with("```") || t.starts_with("~~~")
        }

        fn contents() -> impl Strategy<Value = String> {
            prop::collection::vec("[ -~\t\u{e9}\u{4e16}\u{1f680}]{0,24}", 0..8).prop_map(|mut lines| {
                lines.retain(|l| !is_fence_like(l) && !l.trim_end().ends_with("</file>"));
                while lines.last().is_some_and(|l| l.trim().is_empty()) {
                    lines.pop();
                }
                if lines.is_empty() { String::new() } else { lines.join("\n") + "\n" }
            })
        }

        fn files() -> impl Strategy<Value = Vec<(ParsedFile, &'static str, usize, &'static str)>> {
            let file = (
                "[a-z]{1,6}(/[a-z_]{1,6}){0,2}\\.[a-z]{1,3}",
                prop::sample::select(vec!["", "python", "js", "toml", "sh"]),
                contents(),
                0..VARIANTS,
                prop::sample::select(vec!["", "", "Here is the next file.", "Next:", "Done."]),
            )
                // A markdown file followed by a weak header is ambiguous (see the FIXME of
                // `markdown_then_weak_heading_and_bare_fence`); markdown has its own tests.
                .prop_filter("not markdown", |(path, ..)| !path.ends_with(".md"))
                .prop_map(|(path, lang, contents, variant, prose)| {
                    (ParsedFile { path, contents }, lang, variant, prose)
                });
            prop::collection::vec(file, 1..6).prop_map(|mut files| {
                let mut seen = std::collections::HashSet::new();
                files.retain(|(f, ..)| seen.insert(f.path.clone()));
                files
            })
        }

        fn render_reply(files: &[(ParsedFile, &str, usize, &str)]) -> String {
            let mut reply = String::new();
            for (file, lang, variant, prose) in files {
                if !prose.is_empty() {
                    reply.push_str(prose);
                    reply.push('\n');
                }
                reply.push_str(&render_file(&file.path, lang, &file.contents, *variant));
            }
            reply
        }

        /// The reply cut at the given byte offsets (moved back to char boundaries).
        fn split(reply: &str, cuts: &[usize]) -> Vec<String> {
            let mut cuts: Vec<usize> = cuts
                .iter()
                .map(|&c| {
                    let mut c = c % (reply.len() + 1);
                    while !reply.is_char_boundary(c) {
                        c -= 1;
                    }
                    c
                })
                .collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut last = 0;
            for c in cuts.into_iter().chain([reply.len()]) {
                pieces.push(reply[last..c].to_string());
                last = c;
            }
            pieces
        }

        fn stream(pieces: &[String]) -> Result<Vec<ParsedFile>, ParseError> {
            let mut parser = StreamParser::new();
            let mut files = Vec::new();
            for piece in pieces {
                files.extend(parser.push(piece));
                assert_eq!(parser.files_so_far(), files.len());
            }
            files.extend(parser.finish()?);
            Ok(files)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn rendered_files_come_back(files in files(), crlf in any::<bool>()) {
                let mut reply = render_reply(&files);
                if crlf {
                    reply = reply.replace('\n', "\r\n");
                }
                let expected: Vec<ParsedFile> = files.into_iter().map(|(f, ..)| f).collect();
                let parsed = parse_files(&reply);
                prop_assert!(parsed.is_ok(), "{parsed:?}\nreply:\n{reply}");
                prop_assert_eq!(parsed.unwrap(), expected, "reply:\n{}", reply);
            }

            #[test]
            fn stream_matches_whole(files in files(), cuts in prop::collection::vec(any::<usize>(), 0..12)) {
                let reply = render_reply(&files);
                let whole = parse_files(&reply).expect("rendered reply parses");
                let streamed = stream(&split(&reply, &cuts)).expect("streamed reply parses");
                prop_assert_eq!(streamed, whole);
            }

            #[test]
            fn cut_short_reply_is_never_a_wrong_file(files in files(), cut in any::<usize>()) {
                // Any prefix of a reply gives either a prefix of its files, the last one possibly
                // reported as truncated, or NoFiles: never a file with contents that were not written.
                let reply = render_reply(&files);
                let prefix = &split(&reply, &[cut])[0];
                if let Ok(parsed) = parse_files(prefix) {
                    let expected: Vec<&ParsedFile> = files.iter().map(|(f, ..)| f).collect();
                    prop_assert!(parsed.len() <= expected.len());
                    for (got, want) in parsed.iter().zip(expected) {
                        prop_assert_eq!(got, want, "prefix:\n{}", prefix);
                    }
                }
            }

            #[test]
            fn any_text_streams_like_whole(
                tokens in prop::collection::vec(prop::sample::select(vec![
                    "```", "````", "~~~", "```python", "```md", "FILE: a.py", "### `b.md`", "c.txt",
                    "<file path=\"d.py\">", "</file>", "# e.py", "<!-- f.html -->", "x", " ", "  ",
                    "\n", "\n", "\n", "\r\n", "é", "世", "{\"a\": 1}", "```json",
                ]), 0..60),
                cuts in prop::collection::vec(any::<usize>(), 0..12),
            ) {
                let reply: String = tokens.concat();
                let render = |r: Result<Vec<ParsedFile>, ParseError>| format!("{:?}", r.map(dedup_last_wins));
                let whole = render(parse_files(&reply));
                let streamed = render(stream(&split(&reply, &cuts)));
                prop_assert_eq!(streamed, whole);
                let _ = parse_json_block(&reply);
            }
        }
    }
}
