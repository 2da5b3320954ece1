//! Write confinement for the generated app's commands, with Landlock on Linux kernels that
//! support it: the command may write only inside the app's folder, the temporary folder,
//! the package managers' caches and `/dev`; reading is not restricted.
//!
//! The restriction is applied by `autocrea __confine`, a tiny wrapper that restricts itself
//! and then `exec`s the command, so the server process itself is never restricted and no
//! `unsafe` pre-exec hook is needed.

use std::path::{Path, PathBuf};

/// The folders a confined command may write to, besides the app's own.
pub fn writable_besides(app: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![app.to_path_buf(), std::env::temp_dir(), PathBuf::from("/dev")];
    if let Some(cache) = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
        dirs.push(cache);
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        dirs.push(home.join(".cache"));
    }
    dirs.retain(|d| d.exists());
    dirs
}

/// How much of the confinement the kernel enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforced {
    Fully,
    Partially,
    /// The kernel has no Landlock (or it is disabled): the command runs unconfined.
    Not,
}

/// Restricts this process (and what it executes) to writing below `writable`.
#[cfg(target_os = "linux")]
pub fn restrict_writes(writable: &[PathBuf]) -> anyhow::Result<Enforced> {
    use landlock::{
        ABI, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, path_beneath_rules,
    };
    let abi = ABI::V3;
    let status = Ruleset::default()
        .handle_access(AccessFs::from_write(abi))?
        .create()?
        .add_rules(path_beneath_rules(writable, AccessFs::from_write(abi)))?
        .restrict_self()?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => Enforced::Fully,
        RulesetStatus::PartiallyEnforced => Enforced::Partially,
        RulesetStatus::NotEnforced => Enforced::Not,
    })
}

#[cfg(not(target_os = "linux"))]
pub fn restrict_writes(_writable: &[PathBuf]) -> anyhow::Result<Enforced> {
    Ok(Enforced::Not)
}
