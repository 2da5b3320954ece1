//! Language models: the wire formats, the HTTP providers, and parsing what they answer.

pub mod parse;
pub mod provider;
pub mod roles;
pub mod secret;
pub mod wire;
