//! Zed extension for AUTOCREA: starts `autocrea lsp` and hands it the `lsp.autocrea` settings.
//!
//! Everything else (code actions, commands, progress) is plain LSP that Zed handles itself.

use zed_extension_api::{self as zed, serde_json::json, settings::LspSettings, LanguageServerId, Result};

/// The configuration section the server reads (see editors/vscode/src/ext.ts).
const SECTION: &str = "autocrea";

struct Autocrea;

impl Autocrea {
    fn settings(id: &LanguageServerId, worktree: &zed::Worktree) -> LspSettings {
        LspSettings::for_worktree(id.as_ref(), worktree).unwrap_or_default()
    }
}

impl zed::Extension for Autocrea {
    fn new() -> Self {
        Autocrea
    }

    fn language_server_command(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let binary = Self::settings(id, worktree).binary;
        let command = binary
            .as_ref()
            .and_then(|b| b.path.clone())
            .or_else(|| worktree.which("autocrea"))
            .ok_or_else(|| {
                "autocrea is not on PATH: install it, or set lsp.autocrea.binary.path in Zed's settings"
                    .to_string()
            })?;
        let args = binary
            .as_ref()
            .and_then(|b| b.arguments.clone())
            .unwrap_or_else(|| vec!["lsp".to_string()]);
        let mut env = worktree.shell_env();
        if let Some(extra) = binary.and_then(|b| b.env) {
            env.extend(extra);
        }
        Ok(zed::Command { command, args, env })
    }

    /// `lsp.autocrea.initialization_options`, else `lsp.autocrea.settings`: the flat section.
    fn language_server_initialization_options(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<zed::serde_json::Value>> {
        let s = Self::settings(id, worktree);
        Ok(s.initialization_options.or(s.settings))
    }

    /// Answers `workspace/configuration` pulls and is pushed in `workspace/didChangeConfiguration`;
    /// Zed looks a pulled section up inside this value, hence the `autocrea` wrapper.
    fn language_server_workspace_configuration(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<zed::serde_json::Value>> {
        let settings = Self::settings(id, worktree).settings.unwrap_or_else(|| json!({}));
        Ok(Some(json!({ SECTION: settings })))
    }
}

zed::register_extension!(Autocrea);
