use std::path::Path;

use tower_lsp_server::ls_types::*;

use crate::idea;
use crate::lsp::ext::{self, GenerateParams};
use crate::lsp::server::Server;

pub const TITLE: &str = "AUTOCREA: build an app from this idea";

pub fn kind() -> CodeActionKind {
    CodeActionKind::new("refactor.autocrea.generate")
}

/// Quick fixes for the security findings in range, and "AUTOCREA: build an app from this
/// idea" on an `autocrea:` line, a non-empty selection, or anywhere in an `AUTOCREA.md` file.
pub fn code_actions(server: &Server, params: &CodeActionParams) -> Option<CodeActionResponse> {
    let wants = |k: &CodeActionKind| {
        params
            .context
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| k.as_str().starts_with(o.as_str())))
    };
    let mut actions = if wants(&CodeActionKind::QUICKFIX) { quick_fixes(server, params) } else { Vec::new() };
    if wants(&kind())
        && let Some(idea) = idea_action(server, params)
    {
        actions.push(idea);
    }
    (!actions.is_empty()).then_some(actions)
}

/// Each finding's fix (preferred), then "ignore this finding" for each.
fn quick_fixes(server: &Server, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let uri = &params.text_document.uri;
    let version = server.documents.lock().unwrap().get(uri).map(|d| d.version);
    let entries = server.diagnostics.at(uri, params.range, version);
    let edit = |edits: Vec<TextEdit>| WorkspaceEdit {
        changes: Some([(uri.clone(), edits)].into_iter().collect()),
        ..WorkspaceEdit::default()
    };
    let mut fixes = Vec::new();
    let mut ignores = Vec::new();
    for e in entries {
        let rule = match &e.diagnostic.code {
            Some(NumberOrString::String(r)) => r.clone(),
            _ => continue,
        };
        if let Some((title, edits)) = e.fix {
            fixes.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("AUTOCREA: {title}"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![e.diagnostic.clone()]),
                edit: Some(edit(edits)),
                is_preferred: Some(true),
                ..CodeAction::default()
            }));
        }
        if let Some(ignore) = e.ignore {
            ignores.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("AUTOCREA: ignore this finding ({rule})"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![e.diagnostic]),
                edit: Some(edit(vec![ignore])),
                ..CodeAction::default()
            }));
        }
    }
    fixes.extend(ignores);
    fixes
}

fn idea_action(server: &Server, params: &CodeActionParams) -> Option<CodeActionOrCommand> {
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
        // A range sent for diagnostics (a quick-fix request) is not a selected idea.
        if range.start != range.end && params.context.diagnostics.is_empty() {
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
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: TITLE.into(),
        kind: Some(kind()),
        command: Some(command),
        ..CodeAction::default()
    }))
}
