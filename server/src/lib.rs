//! AUTOCREA: an autonomous full-stack developer behind the Language Server Protocol.
//!
//! Only `lsp` knows LSP and JSON-RPC; the pipeline, the engines and the workspace effects take
//! and return plain Rust types, so the CLI and tests drive them without a client.

pub mod offline;
pub mod spec;
