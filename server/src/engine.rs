//! Engines: what the roles run on. One name per engine everywhere (settings, `--engine`,
//! summaries): `joxcoder`, `openai`, `anthropic`, `local`, `offline`.
//!
//! This version ships the `offline` engine (rules and templates, no language model); the model
//! engines plug in here.

use std::fmt;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::offline;
use crate::spec::{AppSpec, GeneratedFile, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineName {
    Joxcoder,
    Openai,
    Anthropic,
    Local,
    Offline,
}

impl EngineName {
    pub const ALL: [EngineName; 5] = [
        EngineName::Joxcoder,
        EngineName::Openai,
        EngineName::Anthropic,
        EngineName::Local,
        EngineName::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EngineName::Joxcoder => "joxcoder",
            EngineName::Openai => "openai",
            EngineName::Anthropic => "anthropic",
            EngineName::Local => "local",
            EngineName::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<EngineName> {
        EngineName::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

impl fmt::Display for EngineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A ready engine.
#[derive(Debug, Clone)]
pub enum Engine {
    Offline,
}

impl Engine {
    /// The engine for a configured name, or an error saying what to use instead.
    pub fn select(name: EngineName) -> Result<Engine> {
        match name {
            EngineName::Offline => Ok(Engine::Offline),
            other => bail!(
                "the `{other}` engine is not available in this version of AUTOCREA; \
                 use `offline` (set `autocrea.engine` or pass `--engine offline`)"
            ),
        }
    }

    pub fn name(&self) -> EngineName {
        match self {
            Engine::Offline => EngineName::Offline,
        }
    }

    /// The architect's step: an idea becomes a validated spec.
    pub async fn architect(&self, idea: &str) -> Result<AppSpec> {
        match self {
            Engine::Offline => offline::architect(idea),
        }
    }

    /// The files one role writes for a spec.
    pub async fn files(&self, spec: &AppSpec, role: Role) -> Result<Vec<GeneratedFile>> {
        match self {
            Engine::Offline => offline::render(spec, role),
        }
    }
}
