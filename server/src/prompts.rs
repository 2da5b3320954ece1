//! The role prompts: one Markdown file per role in `prompts/`, embedded at build time. A
//! workspace overrides one with `.autocrea/prompts/<role>.md`.

use std::path::Path;

use crate::spec::Role;

/// The embedded prompt of a role.
pub fn builtin(role: Role) -> &'static str {
    match role {
        Role::Architect => include_str!("../../prompts/architect.md"),
        Role::Backend => include_str!("../../prompts/backend.md"),
        Role::Frontend => include_str!("../../prompts/frontend.md"),
        Role::Devops => include_str!("../../prompts/devops.md"),
        Role::Tester => include_str!("../../prompts/tester.md"),
        Role::Security => include_str!("../../prompts/security.md"),
    }
}

/// The prompt a role runs with in `workspace`: the workspace's override when it has a
/// non-empty one, else the embedded prompt.
pub fn for_workspace(role: Role, workspace: Option<&Path>) -> String {
    workspace
        .map(|w| w.join(".autocrea/prompts").join(format!("{role}.md")))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| builtin(role).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_a_real_prompt() {
        for role in Role::ALL {
            let p = builtin(role);
            assert!(p.lines().count() > 30, "{role} prompt is too short to be real");
            assert!(p.to_lowercase().contains(role.as_str()), "{role} prompt does not name its role");
        }
        // Code roles are told the canonical file format.
        for role in [Role::Backend, Role::Frontend, Role::Devops, Role::Tester] {
            assert!(builtin(role).contains("FILE: "), "{role} prompt lacks the FILE: format");
        }
        assert!(builtin(Role::Architect).contains("```json"));
    }

    #[test]
    fn workspace_overrides() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(for_workspace(Role::Backend, Some(dir.path())), builtin(Role::Backend));
        std::fs::create_dir_all(dir.path().join(".autocrea/prompts")).unwrap();
        std::fs::write(dir.path().join(".autocrea/prompts/backend.md"), "Use Go.").unwrap();
        assert_eq!(for_workspace(Role::Backend, Some(dir.path())), "Use Go.");
        assert_eq!(for_workspace(Role::Frontend, Some(dir.path())), builtin(Role::Frontend));
    }
}
