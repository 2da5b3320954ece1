//! The offline engine: rules and templates, no language model.
