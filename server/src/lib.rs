//! AUTOCREA: an autonomous full-stack developer behind the Language Server Protocol.
//!
//! Only `lsp` knows LSP and JSON-RPC; the pipeline, the engines and the workspace effects take
//! and return plain Rust types, so the CLI and tests drive them without a client.

pub mod account;
pub mod audit;
pub mod config;
pub mod confine;
pub mod engine;
pub mod gateway;
pub mod git;
pub mod idea;
pub mod lsp;
pub mod model;
pub mod offline;
pub mod pipeline;
pub mod prompts;
pub mod sandbox;
pub mod spec;
pub mod workspace;
