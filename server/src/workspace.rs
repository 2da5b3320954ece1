//! The target folder of a run: where paths may go, how files are written, and which files
//! are AUTOCREA's to replace.
//!
//! - Every path a role names is confined to the folder: absolute paths, `..`, drive letters,
//!   `.git/`, `.autocrea/` and symlinks that lead out are refused, and so is oversized content.
//! - Files are written atomically (a temporary file in the same folder, then a rename), so a
//!   cancelled or failed run never leaves half a file.
//! - `.autocrea/manifest.json` records the hash of every file AUTOCREA wrote. A file that is
//!   not in it, or that changed since, is the user's, and is never replaced without `overwrite`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::spec::check_relative_path;

pub const MANIFEST_PATH: &str = ".autocrea/manifest.json";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WriteError {
    #[error("refused to write {path:?}: {why}")]
    Refused { path: String, why: String },
    #[error(
        "{} already exist{} and {} not written by AUTOCREA: {}. Move {} away, or run again with `overwrite` to replace {}",
        count(.0.len()), if .0.len() == 1 { "s" } else { "" },
        if .0.len() == 1 { "was" } else { "were" }, .0.join(", "),
        if .0.len() == 1 { "it" } else { "them" }, if .0.len() == 1 { "it" } else { "them" }
    )]
    InTheWay(Vec<String>),
    #[error("could not write {path:?}: {message}")]
    Io { path: String, message: String },
}

fn count(n: usize) -> String {
    if n == 1 { "1 file".into() } else { format!("{n} files") }
}

/// The folder a run writes into.
#[derive(Debug, Clone)]
pub struct Target {
    root: PathBuf,
    max_file_bytes: u64,
}

impl Target {
    /// Creates the folder if needed. The root is canonicalised, so confinement checks compare
    /// real paths.
    pub fn open(root: &Path, max_file_bytes: u64) -> io::Result<Target> {
        fs::create_dir_all(root)?;
        Ok(Target { root: root.canonicalize()?, max_file_bytes })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path for a relative one a role named, after every confinement check that
    /// can be made before writing.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, WriteError> {
        let refuse = |why: String| WriteError::Refused { path: rel.to_string(), why };
        check_relative_path(rel).map_err(refuse)?;
        let path = self.root.join(rel);
        // The deepest part of the path that exists must really be inside the root, so a
        // symlinked folder cannot lead the write out.
        let mut existing = path.as_path();
        loop {
            match fs::symlink_metadata(existing) {
                Ok(meta) => {
                    if existing == path && meta.file_type().is_symlink() {
                        return Err(refuse("it is a symbolic link; AUTOCREA does not replace links".into()));
                    }
                    if existing == path && meta.is_dir() {
                        return Err(refuse("a folder is in the way".into()));
                    }
                    let real = existing.canonicalize().map_err(|e| refuse(e.to_string()))?;
                    if !real.starts_with(&self.root) {
                        return Err(refuse(format!(
                            "it leads out of {} through a symbolic link",
                            self.root.display()
                        )));
                    }
                    if existing != path && !real.is_dir() {
                        return Err(refuse(format!("{} is a file, not a folder", real.display())));
                    }
                    break;
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                    match existing.parent() {
                        Some(parent) => existing = parent,
                        None => break,
                    }
                }
                Err(e) => return Err(refuse(e.to_string())),
            }
        }
        Ok(path)
    }

    /// Checks a file before it is written: its path and its size.
    pub fn check(&self, rel: &str, contents: &str) -> Result<PathBuf, WriteError> {
        let path = self.resolve(rel)?;
        if contents.len() as u64 > self.max_file_bytes {
            return Err(WriteError::Refused {
                path: rel.to_string(),
                why: format!(
                    "{} bytes is over the limit of {} bytes (setting `autocrea.maxFileBytes`)",
                    contents.len(),
                    self.max_file_bytes
                ),
            });
        }
        Ok(path)
    }

    /// Writes one file atomically and records it in the manifest.
    pub fn write(&self, rel: &str, contents: &str) -> Result<(), WriteError> {
        let path = self.check(rel, contents)?;
        write_atomic(&path, contents.as_bytes()).map_err(|e| io_error(rel, e))?;
        self.record(rel, contents)
    }

    /// Whether the file on disk holds exactly `contents`.
    pub fn holds(&self, rel: &str, contents: &str) -> bool {
        fs::read(self.root.join(rel)).is_ok_and(|on_disk| on_disk == contents.as_bytes())
    }

    /// Records that AUTOCREA wrote `contents` at `rel`.
    pub fn record(&self, rel: &str, contents: &str) -> Result<(), WriteError> {
        let mut manifest = self.manifest();
        manifest.files.insert(rel.to_string(), hash(contents.as_bytes()));
        let json = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
        let path = self.root.join(MANIFEST_PATH);
        fs::create_dir_all(path.parent().expect("has a parent"))
            .and_then(|()| write_atomic(&path, json.as_bytes()))
            .map_err(|e| io_error(MANIFEST_PATH, e))
    }

    /// Writes one of AUTOCREA's own files (under `.autocrea/`), atomically.
    pub fn write_own(&self, rel: &str, contents: &str) -> Result<(), WriteError> {
        debug_assert!(rel.starts_with(".autocrea/"));
        let path = self.root.join(rel);
        fs::create_dir_all(path.parent().expect("has a parent"))
            .and_then(|()| write_atomic(&path, contents.as_bytes()))
            .map_err(|e| io_error(rel, e))
    }

    /// The files among `paths` that exist and were not written by AUTOCREA (or were changed
    /// since). A file that already holds exactly what would be written is not in the way.
    pub fn in_the_way<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let manifest = self.manifest();
        paths
            .into_iter()
            .filter(|rel| {
                let Ok(on_disk) = fs::read(self.root.join(rel)) else {
                    return false;
                };
                manifest.files.get(*rel) != Some(&hash(&on_disk))
            })
            .map(str::to_string)
            .collect()
    }

    fn manifest(&self) -> Manifest {
        fs::read(self.root.join(MANIFEST_PATH))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// Relative path → sha256 of what AUTOCREA last wrote there.
    files: BTreeMap<String, String>,
}

fn hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn io_error(rel: &str, e: io::Error) -> WriteError {
    WriteError::Io { path: rel.to_string(), message: e.to_string() }
}

/// Writes through a temporary file in the same folder, flushed, then renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("path has no parent folder"))?;
    fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".autocrea-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> (tempfile::TempDir, Target) {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::open(&dir.path().join("app"), 100).unwrap();
        (dir, t)
    }

    fn refused(t: &Target, rel: &str) -> String {
        match t.write(rel, "x") {
            Err(WriteError::Refused { why, .. }) => why,
            other => panic!("{rel:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn writes_inside_and_records() {
        let (_d, t) = target();
        t.write("app/main.py", "print(1)\n").unwrap();
        assert_eq!(fs::read_to_string(t.root().join("app/main.py")).unwrap(), "print(1)\n");
        assert!(t.in_the_way(["app/main.py"]).is_empty(), "our own file is not in the way");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(t.root().join("app/main.py")).unwrap().permissions().mode();
            // Ordinary file permissions (0644 less the umask), not the 0600 of a temp file.
            assert_eq!(mode & 0o777, 0o644 & plain_file_mode());
        }
        // No temporary file is left behind.
        let names: Vec<_> =
            fs::read_dir(t.root().join("app")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("main.py")]);
    }

    #[cfg(unix)]
    fn plain_file_mode() -> u32 {
        use std::os::unix::fs::PermissionsExt;
        let probe = tempfile::tempdir().unwrap();
        let p = probe.path().join("f");
        fs::write(&p, "").unwrap();
        fs::metadata(&p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn refuses_paths_leading_out() {
        let (dir, t) = target();
        assert!(refused(&t, "/etc/passwd").contains("relative"));
        assert!(refused(&t, "../escape.txt").contains(".."));
        assert!(refused(&t, "a/../../escape.txt").contains(".."));
        assert!(refused(&t, ".git/hooks/pre-commit").contains(".git"));
        assert!(refused(&t, "C:/Windows/x").contains("drive"));
        assert!(refused(&t, ".autocrea/manifest.json").contains(".autocrea"));
        assert!(!dir.path().join("escape.txt").exists());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_leading_out() {
        let (dir, t) = target();
        let outside = dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, t.root().join("link")).unwrap();
        assert!(refused(&t, "link/evil.py").contains("symbolic link"));
        assert!(!outside.join("evil.py").exists());
        // A symlinked file is never replaced, even one pointing inside.
        fs::write(t.root().join("real.txt"), "mine").unwrap();
        std::os::unix::fs::symlink(t.root().join("real.txt"), t.root().join("alias.txt")).unwrap();
        assert!(refused(&t, "alias.txt").contains("symbolic link"));
        assert_eq!(fs::read_to_string(t.root().join("real.txt")).unwrap(), "mine");
        // A symlinked folder that stays inside is fine.
        fs::create_dir(t.root().join("inner")).unwrap();
        std::os::unix::fs::symlink(t.root().join("inner"), t.root().join("inner-link")).unwrap();
        t.write("inner-link/ok.txt", "ok").unwrap();
        assert_eq!(fs::read_to_string(t.root().join("inner/ok.txt")).unwrap(), "ok");
    }

    #[test]
    fn refuses_oversized_content_and_folders_in_the_way() {
        let (_d, t) = target();
        let big = "x".repeat(101);
        let err = t.write("big.txt", &big).unwrap_err().to_string();
        assert!(err.contains("101 bytes is over the limit of 100"), "{err}");
        fs::create_dir_all(t.root().join("dir")).unwrap();
        assert!(refused(&t, "dir").contains("folder"));
        fs::write(t.root().join("file"), "").unwrap();
        assert!(refused(&t, "file/below.txt").contains("not a folder"));
    }

    #[test]
    fn user_files_are_in_the_way_ours_are_not() {
        let (_d, t) = target();
        fs::write(t.root().join("README.md"), "my notes").unwrap();
        t.write("app.py", "v1").unwrap();
        assert_eq!(t.in_the_way(["README.md", "app.py", "missing.txt"]), vec!["README.md"]);
        // Once the user edits our file, it is theirs.
        fs::write(t.root().join("app.py"), "v1 + my change").unwrap();
        assert_eq!(t.in_the_way(["README.md", "app.py"]), vec!["README.md", "app.py"]);
        let msg = WriteError::InTheWay(vec!["README.md".into(), "app.py".into()]).to_string();
        assert_eq!(
            msg,
            "2 files already exist and were not written by AUTOCREA: README.md, app.py. \
             Move them away, or run again with `overwrite` to replace them"
        );
    }
}
