//! The offline engine: rules and templates, no language model.
//!
//! [`architect`] turns a one-line idea into a validated [`AppSpec`] by rules (known domains,
//! feature words, nouns); [`render`] turns any valid spec with the python/fastapi/vanilla-js/
//! sqlite/pytest stack into the files of one role, from templates embedded in the binary.
//! Both are pure: no I/O, same input → same bytes.

mod architect;
mod naming;
mod plan;
mod render;

pub use architect::architect;
pub use render::render;

#[cfg(test)]
mod tests;
