//! The language server: the only part of AUTOCREA that knows LSP and JSON-RPC.

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
    let flag = shutdown.clone();
    let (service, socket) = LspService::build(move |client| Server::new(client, flag))
        .custom_method("window/workDoneProgress/cancel", Server::progress_cancel)
        .finish();
    transport::serve(input, output, service, socket).await;
    if shutdown.load(Ordering::SeqCst) { 0 } else { 1 }
}
