//! The language server: the only part of AUTOCREA that knows LSP and JSON-RPC.

pub mod diagnostics;
pub mod documents;
pub mod ext;
pub mod handlers;
pub mod progress;
pub mod runs;
pub mod server;
pub mod transport;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tower_lsp_server::LspService;

use server::Server;

/// Serves LSP on stdin/stdout until `exit` (or the end of input). Returns the process exit
/// code: 0 when `shutdown` came first, 1 otherwise.
pub async fn serve_stdio() -> i32 {
    serve(tokio::io::stdin(), tokio::io::stdout()).await
}

pub async fn serve<I, O>(input: I, output: O) -> i32
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let shutdown = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(runs::Runs::default());
    let (flag, server_runs) = (shutdown.clone(), runs.clone());
    let (service, socket) = LspService::build(move |client| Server::new(client, flag, server_runs))
        .custom_method("window/workDoneProgress/cancel", Server::progress_cancel)
        .finish();
    transport::serve(input, output, service, socket).await;
    // The client is gone (after `exit`, or its end of the pipe closed): runs stop cleanly.
    if runs.cancel_all() {
        runs.wait_idle(std::time::Duration::from_secs(3)).await;
    }
    if shutdown.load(Ordering::SeqCst) { 0 } else { 1 }
}
