use serde_json::Value;
use tower_lsp_server::ls_types::ConfigurationItem;

use crate::lsp::server::Server;

/// `workspace/didChangeConfiguration`: pull the `autocrea` section when the client supports
/// pulls (the pushed settings are often empty then), else take what was pushed. Some clients
/// (Helix) answer the pull with null and push flat settings: then the push counts.
pub async fn did_change(server: &Server, settings: Value) {
    if !pull(server).await && !settings.is_null() {
        server.apply_settings(Some(settings)).await;
    }
}

/// `workspace/configuration` for the `autocrea` section. Returns whether it gave settings.
pub async fn pull(server: &Server) -> bool {
    if !server.snapshot().configuration_pull {
        return false;
    }
    let item = ConfigurationItem { scope_uri: None, section: Some("autocrea".into()) };
    match server.client.configuration(vec![item]).await {
        Ok(mut values) => match values.pop().unwrap_or_default() {
            Value::Null => false,
            // The pulled value is the `autocrea` section itself.
            value => {
                server.apply_settings(Some(serde_json::json!({ "autocrea": value }))).await;
                true
            }
        },
        Err(e) => {
            tracing::warn!("workspace/configuration failed: {}", e.message);
            false
        }
    }
}
