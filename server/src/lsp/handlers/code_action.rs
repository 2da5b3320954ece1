use std::path::Path;

use tower_lsp_server::ls_types::*;

use crate::idea;
use crate::lsp::ext::{self, GenerateParams};
use crate::lsp::server::Server;

pub const TITLE: &str = "AUTOCREA: build an app from this idea";

pub fn kind() -> CodeActionKind {
    CodeActionKind::new("refactor.autocrea.generate")
}

/// "AUTOCREA: build an app from this idea" on an `autocrea:` line, a non-empty selection, or
/// anywhere in an `AUTOCREA.md` file.
pub fn code_actions(server: &Server, params: &CodeActionParams) -> Option<CodeActionResponse> {
    if let Some(only) = &params.context.only
        && !only.iter().any(|k| kind().as_str().starts_with(k.as_str()))
    {
        return None;
    }
    let enc = server.session.read().unwrap().encoding;
    let found = {
        let docs = server.documents.lock().unwrap();
        let doc = docs.get(&params.text_document.uri)?;
        let range = params.range;
        let is_idea_file = params
            .text_document
            .uri
            .to_file_path()
            .and_then(|p| Path::new(p.as_ref()).file_name().map(|n| n.eq_ignore_ascii_case("AUTOCREA.md")))
            .unwrap_or(false);
        if range.start != range.end {
            idea::in_selection(&doc.slice(range, enc))
        } else if let Some(found) = idea::on_line(&doc.line(range.start.line)) {
            Some(found)
        } else if is_idea_file {
            idea::in_file(&doc.text.to_string())
        } else {
            None
        }
    }?;
    let args = GenerateParams { idea: found, ..GenerateParams::default() };
    let command = Command {
        title: TITLE.into(),
        command: ext::GENERATE.into(),
        arguments: Some(vec![serde_json::to_value(args).expect("params serialize")]),
    };
    Some(vec![CodeActionOrCommand::CodeAction(CodeAction {
        title: TITLE.into(),
        kind: Some(kind()),
        command: Some(command),
        ..CodeAction::default()
    })])
}
