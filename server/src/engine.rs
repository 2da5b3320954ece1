//! Engines: what the roles run on. One name per engine everywhere (settings, `--engine`,
//! summaries): `joxcoder`, `openai`, `anthropic`, `local`, `offline`.
//!
//! `offline` renders from rules and templates. The others are model engines: a chain of
//! providers (the chosen one first, then the fallbacks), each reached over its own protocol.

use std::fmt;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::config::{Config, Endpoint};
use crate::model::provider::{Provider, http_client};
use crate::model::roles::{Models, RoleCtx};
use crate::model::secret::Secret;
use crate::model::wire::Protocol;
use crate::offline;
use crate::spec::{AppSpec, GeneratedFile, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
pub enum Engine {
    Offline,
    Models(Box<Models>),
}

/// Order in which configured model engines are picked when none is chosen.
const AUTO_ORDER: [EngineName; 4] =
    [EngineName::Joxcoder, EngineName::Anthropic, EngineName::Openai, EngineName::Local];

impl Engine {
    /// The engine for the settings and the environment, or an error saying what is missing.
    pub fn select(config: &Config, workspace: Option<PathBuf>) -> Result<Engine> {
        let primary = match config.engine {
            Some(EngineName::Offline) => return Ok(Engine::Offline),
            Some(name) => provider(name, config)?.ok_or_else(|| {
                anyhow!("the `{name}` engine is not configured: {}", how_to_configure(name))
            })?,
            None => match AUTO_ORDER.iter().find_map(|name| provider(*name, config).transpose()) {
                Some(p) => p?,
                None => return Ok(Engine::Offline),
            },
        };
        let mut chain = vec![primary];
        let fallbacks: Vec<EngineName> = match &config.fallback {
            Some(list) => list.clone(),
            None => AUTO_ORDER.to_vec(),
        };
        for name in fallbacks {
            if chain.iter().any(|p| p.engine == name) || name == EngineName::Offline {
                continue;
            }
            match provider(name, config) {
                Ok(Some(p)) => chain.push(p),
                // A fallback that is not configured is simply not in the chain, unless it
                // was asked for by name.
                Ok(None) if config.fallback.is_some() => {
                    bail!("fallback `{name}` is not configured: {}", how_to_configure(name))
                }
                Ok(None) => {}
                Err(e) => return Err(e),
            }
        }
        let client = http_client(config.timeouts.connect);
        Ok(Engine::Models(Box::new(Models::new(chain, client, config.clone(), workspace))))
    }

    /// The signed-in account whose credits this engine spends, if any of its providers goes
    /// through the gateway.
    pub fn metered_account(&self, config: &Config) -> Option<crate::account::Account> {
        match self {
            Engine::Models(m) if m.metered() => config.credentials.account.clone(),
            _ => None,
        }
    }

    /// Sends the run's credit reservation with every metered call.
    pub fn set_reservation(&mut self, id: &str) {
        if let Engine::Models(m) = self {
            m.set_reservation(id);
        }
    }

    /// The engine in use (after any fallback).
    pub fn name(&self) -> EngineName {
        match self {
            Engine::Offline => EngineName::Offline,
            Engine::Models(m) => m.active_engine(),
        }
    }

    /// The model a role runs on, for commit trailers (`None` offline).
    pub fn model(&self, role: Role) -> Option<String> {
        match self {
            Engine::Offline => None,
            Engine::Models(m) => Some(m.model_for(role)),
        }
    }

    /// The architect's step: an idea becomes a validated spec.
    pub async fn architect(&self, idea: &str, ctx: &RoleCtx<'_>) -> Result<AppSpec> {
        match self {
            Engine::Offline => offline::architect(idea),
            Engine::Models(m) => m.architect(idea, ctx).await,
        }
    }

    /// The files one role writes for a spec, sent on `out` as soon as each is whole.
    pub async fn files(
        &self,
        spec: &AppSpec,
        role: Role,
        ctx: &RoleCtx<'_>,
        out: mpsc::UnboundedSender<GeneratedFile>,
    ) -> Result<()> {
        match self {
            Engine::Offline => {
                for file in offline::render(spec, role)? {
                    let _ = out.send(file);
                }
                Ok(())
            }
            Engine::Models(m) => m.files(spec, role, ctx, out).await,
        }
    }
}

/// The provider of a model engine, when it is configured.
fn provider(name: EngineName, config: &Config) -> Result<Option<Provider>> {
    let env = |var: &str| std::env::var(var).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let base = |endpoint: &Endpoint, var: &str, default: &str| {
        endpoint.url.clone().or_else(|| env(var)).unwrap_or_else(|| default.to_string())
    };
    let make = |protocol, url: String, model: String, key: Option<Secret>, key_source: &str| Provider {
        engine: name,
        protocol,
        url,
        model,
        key,
        key_source: key_source.to_string(),
        timeouts: config.timeouts,
        max_attempts: 4,
        metered: false,
        reservation: None,
    };
    let creds = &config.credentials;
    // A key from the environment wins over one stored with `autocrea keys set`.
    let key = |var: &str, stored: &Option<Secret>| -> Option<(Secret, String)> {
        Secret::from_env(var)
            .map(|k| (k, var.to_string()))
            .or_else(|| stored.clone().map(|k| (k, "the key stored with `autocrea keys set`".to_string())))
    };
    Ok(match name {
        EngineName::Offline => None,
        EngineName::Joxcoder => {
            let model =
                config.joxcoder.model.clone().or_else(|| env("JOXCODER_MODEL")).unwrap_or("joxcoder".into());
            match config.joxcoder.url.clone().or_else(|| env("JOXCODER_API_URL")) {
                // A model reached directly, with the user's own key.
                Some(url) => {
                    let (protocol, url) = joxcoder_protocol(&url, config.joxcoder.protocol.as_deref())?;
                    let (k, source) = key("JOXCODER_API_KEY", &creds.joxcoder).unzip();
                    Some(make(protocol, url, model, k, source.as_deref().unwrap_or("JOXCODER_API_KEY")))
                }
                // Signed in: through the gateway, metered in credits (its OpenAI-compatible route
                // unless a protocol is set).
                None => match &creds.account {
                    Some(account) => {
                        // `<gateway>/v1/joxcoder/<path>` reaches `<upstream>/<path>`.
                        let base = format!("{}/v1/joxcoder", account.gateway);
                        let (protocol, url) = match config.joxcoder.protocol.as_deref().unwrap_or("chat") {
                            "chat" => (Protocol::OpenAiChat, format!("{base}/v1")),
                            other => joxcoder_protocol(&base, Some(other))?,
                        };
                        let mut p =
                            make(protocol, url, model, Some(account.token.clone()), "your AUTOCREA sign-in");
                        p.metered = true;
                        Some(p)
                    }
                    None => return Ok(None),
                },
            }
        }
        EngineName::Openai => {
            let Some((key, source)) = key("OPENAI_API_KEY", &creds.openai) else { return Ok(None) };
            let url = base(&config.openai, "OPENAI_BASE_URL", "https://api.openai.com/v1");
            let model =
                config.openai.model.clone().or_else(|| env("OPENAI_MODEL")).unwrap_or("gpt-4o-mini".into());
            Some(make(Protocol::OpenAiChat, url, model, Some(key), &source))
        }
        EngineName::Anthropic => {
            let Some((key, source)) = key("ANTHROPIC_API_KEY", &creds.anthropic) else { return Ok(None) };
            let url = base(&config.anthropic, "ANTHROPIC_BASE_URL", "https://api.anthropic.com");
            // The Messages path is /v1/messages: a base given with /v1 is the same base.
            let url = url.trim_end_matches('/').trim_end_matches("/v1").to_string();
            let model = config
                .anthropic
                .model
                .clone()
                .or_else(|| env("ANTHROPIC_MODEL"))
                .unwrap_or("claude-sonnet-4-5".into());
            Some(make(Protocol::Anthropic, url, model, Some(key), &source))
        }
        EngineName::Local => {
            let url = config.local.url.clone().or_else(|| env("AUTOCREA_LOCAL_BASE_URL"));
            let model = config.local.model.clone().or_else(|| env("AUTOCREA_LOCAL_MODEL"));
            match (url, model) {
                (None, _) => None,
                (Some(_), None) => bail!(
                    "the local engine needs a model name: set `autocrea.local.model` or AUTOCREA_LOCAL_MODEL"
                ),
                (Some(url), Some(model)) => Some(make(Protocol::OpenAiChat, url, model, None, "(no key)")),
            }
        }
    })
}

/// JoxCoder's protocol: as configured, or recognised from the URL.
pub fn joxcoder_protocol(url: &str, configured: Option<&str>) -> Result<(Protocol, String)> {
    let trimmed = url.trim_end_matches('/');
    let protocol = match configured {
        Some("inference") => Protocol::HfInference,
        Some("tgi") => Protocol::TgiStream,
        Some("tgi-generate") => Protocol::TgiGenerate,
        Some("chat") => Protocol::OpenAiChat,
        Some(other) => bail!("unknown JoxCoder protocol {other:?}: use inference, tgi, tgi-generate or chat"),
        None if trimmed.ends_with("/chat/completions")
            || trimmed.ends_with("/v1")
            || trimmed.contains("/v1/") =>
        {
            Protocol::OpenAiChat
        }
        None if trimmed.contains("/models/") || trimmed.contains("api-inference.huggingface.co") => {
            Protocol::HfInference
        }
        None if trimmed.ends_with("/generate") => Protocol::TgiGenerate,
        None => Protocol::TgiStream,
    };
    let url = match protocol {
        Protocol::OpenAiChat if !trimmed.contains("/v1") => format!("{trimmed}/v1"),
        Protocol::TgiStream => trimmed.trim_end_matches("/generate_stream").to_string(),
        Protocol::TgiGenerate => trimmed.trim_end_matches("/generate").to_string(),
        _ => trimmed.to_string(),
    };
    Ok((protocol, url))
}

fn how_to_configure(name: EngineName) -> &'static str {
    match name {
        EngineName::Joxcoder => {
            "sign in (`autocrea login`, or AUTOCREA: Sign in in the editor), or set JOXCODER_API_URL (and JOXCODER_API_KEY) / `autocrea.joxcoder.url`"
        }
        EngineName::Openai => "set OPENAI_API_KEY (and OPENAI_BASE_URL for another endpoint)",
        EngineName::Anthropic => "set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for another endpoint)",
        EngineName::Local => {
            "set `autocrea.local.baseUrl` and `autocrea.local.model` (or AUTOCREA_LOCAL_BASE_URL and AUTOCREA_LOCAL_MODEL)"
        }
        EngineName::Offline => "always available",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joxcoder_protocols_from_urls() {
        let p = |url: &str| joxcoder_protocol(url, None).unwrap();
        assert_eq!(
            p("https://router.huggingface.co/v1"),
            (Protocol::OpenAiChat, "https://router.huggingface.co/v1".into())
        );
        assert_eq!(p("http://tgi:8080/v1/chat/completions").0, Protocol::OpenAiChat);
        assert_eq!(
            p("https://api-inference.huggingface.co/models/autocrea/joxcoder").0,
            Protocol::HfInference
        );
        assert_eq!(p("http://127.0.0.1:8080/"), (Protocol::TgiStream, "http://127.0.0.1:8080".into()));
        assert_eq!(
            p("http://127.0.0.1:8080/generate"),
            (Protocol::TgiGenerate, "http://127.0.0.1:8080".into())
        );
        assert_eq!(
            joxcoder_protocol("http://h:1", Some("chat")).unwrap(),
            (Protocol::OpenAiChat, "http://h:1/v1".into())
        );
        assert!(joxcoder_protocol("http://h", Some("grpc")).is_err());
    }
}
