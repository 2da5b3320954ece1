//! What the models answer, turned into plain Rust values: whole files out of a role's reply and the
//! architect's JSON object. No I/O and no LSP here; paths come back as written and are confined by
//! the workspace layer.

pub mod parse;
