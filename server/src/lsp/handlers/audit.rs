use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;

use super::generate::{first_argument, in_workspace};
use crate::audit::Severity;
use crate::lsp::diagnostics;
use crate::lsp::ext::{AuditResult, DirParams};
use crate::lsp::progress::ProgressGuard;
use crate::lsp::server::Server;

/// `autocrea.audit`: the security rules over a folder (default: the workspace), published as
/// diagnostics; answers with the counts and the findings.
pub async fn audit(server: &Server, arguments: Vec<Value>) -> Result<Value> {
    let params: DirParams = if arguments.first().is_none_or(Value::is_null) {
        DirParams::default()
    } else {
        first_argument(arguments)?
    };
    let session = server.snapshot();
    let dir = in_workspace(&session, params.dir.as_deref())?;
    if !dir.is_dir() {
        return Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!(
            "{} is not a folder; pass `dir` as a folder of the workspace",
            dir.display()
        )));
    }
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let token = format!("autocrea/audit/{}", COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let progress = ProgressGuard::begin_uncancellable(
        &server.client,
        session.abilities.work_done_progress,
        token,
        format!("AUTOCREA: auditing {}", dir.display()),
    )
    .await;
    let result = diagnostics::audit_workspace(
        &server.client,
        &server.diagnostics,
        &server.documents,
        dir.clone(),
        session.encoding,
    )
    .await;
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    let answer = AuditResult {
        dir,
        files_audited: result.files,
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        findings: result.findings,
    };
    // The progress's end carries the summary (a log line for clients without progress); the
    // client that asked shows the answer its own way, so no extra message pops up.
    progress
        .end(format!(
            "AUTOCREA audited {}: {}",
            crate::audit::report::count(answer.files_audited, "file"),
            crate::audit::report::tally(&answer.findings)
        ))
        .await;
    Ok(serde_json::to_value(answer).expect("serializes"))
}
