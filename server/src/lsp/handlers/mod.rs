//! One handler per request or notification; the `LanguageServer` impl only delegates.

pub mod account;
pub mod audit;
pub mod code_action;
pub mod configuration;
pub mod generate;
pub mod git;
pub mod initialize;
