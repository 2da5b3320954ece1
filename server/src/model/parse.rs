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
//! (models rarely lengthen the outer fence). A block without a path is skipped, never saved, except
//! that a path-less unlabelled or markdown block wrapping file blocks is read for them (one level).
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

    fn fenced(&self, mut b: FencedBlock, line: &str, out: &mut Vec<Block>) -> State {
        let mut fence_line = false;
        if let Some((f, info)) = fence_open(line)
            && f.ch == b.fence.ch
            && f.len >= b.fence.len
            && f.indent <= b.fence.indent + 3
        {
            fence_line = true;
            if info.is_empty() {
                if b.depth == 0 {
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
        if f.ch != fence.ch || f.len < fence.len || f.indent > fence.indent + 3 {
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
    } else if let Some(r) = t.strip_prefix("--") {
        r
    } else {
        return None;
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
