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

use crate::spec::AppSpec;

/// The spec with everything the offline templates derive from its entities and features
/// recomputed: stack, endpoints, screens, environment variables, file plan and commands.
/// Name, title, summary, idea, entities and features are kept. Use it after editing a spec's
/// data model, or on a model-written spec, before [`render`]ing it with the offline engine.
pub fn replan(spec: &AppSpec) -> AppSpec {
    AppSpec {
        stack: plan::stack(),
        endpoints: plan::endpoints(&spec.entities, &spec.features),
        screens: plan::screens(&spec.entities, &spec.features),
        env: plan::env_vars(&spec.entities, &spec.features),
        files: plan::files(&spec.entities, &spec.features),
        commands: plan::commands(),
        ..spec.clone()
    }
}

#[cfg(test)]
mod tests;
