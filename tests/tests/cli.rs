//! The command line: failures say what to do and exit non-zero; the workspace stays safe.

use autocrea_e2e::cli;

#[test]
fn empty_idea_and_unavailable_engines_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, _, err) = cli(&["generate", "   ", "--dir", d]);
    assert_eq!(code, 1);
    assert!(err.contains("the idea is empty"), "{err}");

    let (code, _, err) = cli(&["generate", "a blog", "--dir", d, "--engine", "openai"]);
    assert_eq!(code, 1);
    assert!(err.contains("`openai` engine is not configured") && err.contains("OPENAI_API_KEY"), "{err}");

    let (code, _, err) = cli(&["generate", "a blog", "--dir", d, "--engine", "gpt"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown engine \"gpt\""), "{err}");

    let (code, _, err) = cli(&[]);
    assert_eq!(code, 2);
    assert!(err.contains("autocrea lsp") && err.contains("autocrea generate"), "{err}");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing was written");
}

#[cfg(unix)]
#[test]
fn a_symlink_leading_out_stops_the_run_before_anything_is_written() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let app = root.path().join("app");
    std::fs::create_dir(&app).unwrap();
    // The generated app has an `app/` package: here it is a link to somewhere else.
    std::os::unix::fs::symlink(outside.path(), app.join("app")).unwrap();
    let (code, _, err) = cli(&["generate", "a blog", "--dir", app.to_str().unwrap(), "--no-tests"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none(), "a file landed outside");
    assert!(!app.join("README.md").exists(), "nothing is written when one path is refused");
}

#[test]
fn user_files_in_the_way_are_named_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("README.md"), "mine\n").unwrap();
    std::fs::write(dir.path().join("app/main.py"), "print('mine')\n").unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = cli(&["generate", "a blog", "--dir", d, "--no-tests", "--json"]);
    assert_eq!(code, 1);
    assert!(err.contains("README.md") && err.contains("app/main.py") && err.contains("overwrite"), "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["status"], "failed");
    assert_eq!(std::fs::read_to_string(dir.path().join("README.md")).unwrap(), "mine\n");
    assert_eq!(std::fs::read_to_string(dir.path().join("app/main.py")).unwrap(), "print('mine')\n");

    let (code, _, err) = cli(&["generate", "a blog", "--dir", d, "--no-tests", "--overwrite"]);
    assert_eq!(code, 0, "{err}");
    assert_ne!(std::fs::read_to_string(dir.path().join("README.md")).unwrap(), "mine\n");
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let (code, out, _) = cli(&["schema"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../server/schema/app-spec.schema.json"
    ))
    .unwrap();
    assert_eq!(out, committed);
}

/// The generated app's commands run under `autocrea __confine`: writes land only inside the
/// folders allowed (with Landlock, where the kernel has it; this one is probed).
#[test]
fn confined_commands_write_only_where_allowed() {
    let (code, probe, _) = cli(&["__confine", "--probe"]);
    assert_eq!(code, 0);
    // Outside every folder a confined command may write to (not under the temp folder).
    let scratch =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("confine-{}", std::process::id()));
    let (app, outside) = (scratch.join("app"), scratch.join("outside"));
    std::fs::create_dir_all(&app).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let script = format!("touch {0}/inside; touch {1}/escaped; true", app.display(), outside.display());
    let (code, _, err) = cli(&["__confine", "--write", app.to_str().unwrap(), "--", "sh", "-c", &script]);
    assert_eq!(code, 0, "{err}");
    assert!(app.join("inside").exists());
    match probe.trim() {
        "fully" | "partially" => {
            assert!(!outside.join("escaped").exists(), "a confined command wrote outside");
            assert!(err.contains("Permission denied"), "{err}");
        }
        other => {
            // FIXME: kernels without Landlock run the command unconfined.
            assert_eq!(other, "not");
            assert!(outside.join("escaped").exists());
        }
    }
    std::fs::remove_dir_all(&scratch).unwrap();
}
