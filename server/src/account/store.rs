//! Where credentials live: the OS keyring (Secret Service, Keychain, Credential Manager),
//! service `autocrea`, one entry per name; where no keyring answers, a versioned JSON file in
//! the user's config folder (folder 0700, file 0600), written atomically. Every editor's
//! server and the CLI read the same store.
//!
//! `AUTOCREA_CREDENTIAL_STORE=keyring|file` forces one (default: the keyring when it answers).
//! The calls block (D-Bus, disk): async callers run them on the blocking pool.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::secret::Secret;

/// The keyring service all entries are under.
pub const SERVICE: &str = "autocrea";
/// Version of the credentials file this build writes.
const FILE_VERSION: u32 = 1;

/// Entry names.
pub const ACCOUNT_TOKEN: &str = "account-token";
pub const ACCOUNT_GATEWAY: &str = "account-gateway";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the keyring refused: {0}")]
    Keyring(String),
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Keyring,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Store {
    pub backend: Backend,
    /// Why the file is used, when it is (to tell the user once).
    pub warning: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CredentialsFile {
    version: u32,
    #[serde(default)]
    entries: BTreeMap<String, String>,
}

impl Store {
    /// The keyring when it answers, else the file (with a warning saying so).
    pub fn open() -> Store {
        let file = || Backend::File(default_file());
        match std::env::var("AUTOCREA_CREDENTIAL_STORE").as_deref() {
            Ok("file") => return Store { backend: file(), warning: None },
            Ok("keyring") => return Store { backend: Backend::Keyring, warning: None },
            _ => {}
        }
        match keyring::Entry::new(SERVICE, ACCOUNT_TOKEN).and_then(|e| e.get_password()) {
            Ok(_) | Err(keyring::Error::NoEntry) => Store { backend: Backend::Keyring, warning: None },
            Err(e) => {
                let backend = file();
                let Backend::File(path) = &backend else { unreachable!() };
                let warning = format!(
                    "no OS keyring answered ({e}); credentials are kept in {} instead, readable only by you",
                    path.display()
                );
                Store { backend, warning: Some(warning) }
            }
        }
    }

    /// A store in this file (tests, and `AUTOCREA_CREDENTIAL_STORE=file`).
    pub fn file(path: PathBuf) -> Store {
        Store { backend: Backend::File(path), warning: None }
    }

    /// Words for the user: where credentials are.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Keyring => "the OS keyring".into(),
            Backend::File(p) => format!("the file {}", p.display()),
        }
    }

    pub fn get(&self, name: &str) -> Result<Option<Secret>, StoreError> {
        match &self.backend {
            Backend::Keyring => match entry(name)?.get_password() {
                Ok(v) => Ok(Some(Secret::new(v))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(StoreError::Keyring(e.to_string())),
            },
            Backend::File(path) => Ok(read_file(path)?.entries.get(name).map(|v| Secret::new(v.clone()))),
        }
    }

    pub fn set(&self, name: &str, value: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Keyring => {
                entry(name)?.set_password(value).map_err(|e| StoreError::Keyring(e.to_string()))
            }
            Backend::File(path) => {
                let mut file = read_file(path)?;
                file.entries.insert(name.to_string(), value.to_string());
                write_file(path, &file)
            }
        }
    }

    /// Removes an entry (absent is fine).
    pub fn delete(&self, name: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Keyring => match entry(name)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(StoreError::Keyring(e.to_string())),
            },
            Backend::File(path) => {
                let mut file = read_file(path)?;
                if file.entries.remove(name).is_some() {
                    write_file(path, &file)?;
                }
                Ok(())
            }
        }
    }
}

fn entry(name: &str) -> Result<keyring::Entry, StoreError> {
    keyring::Entry::new(SERVICE, name).map_err(|e| StoreError::Keyring(e.to_string()))
}

/// `$XDG_CONFIG_HOME/autocrea/credentials.json` (or the platform's config folder).
pub fn default_file() -> PathBuf {
    dirs::config_dir().unwrap_or_else(|| PathBuf::from(".")).join("autocrea").join("credentials.json")
}

fn read_file(path: &Path) -> Result<CredentialsFile, StoreError> {
    let err = |message: String| StoreError::File { path: path.to_path_buf(), message };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(CredentialsFile { version: FILE_VERSION, entries: BTreeMap::new() });
        }
        Err(e) => return Err(err(format!("cannot read it: {e}"))),
    };
    let file: CredentialsFile = serde_json::from_str(&text)
        .map_err(|e| err(format!("it is not a credentials file ({e}); move it away and sign in again")))?;
    if file.version > FILE_VERSION {
        return Err(err(format!(
            "it was written by a newer AUTOCREA (format {}, this one reads {FILE_VERSION}); update autocrea",
            file.version
        )));
    }
    Ok(file)
}

/// Writes the file whole (a temporary file renamed over it), folder 0700, file 0600.
fn write_file(path: &Path, file: &CredentialsFile) -> Result<(), StoreError> {
    let err = |message: String| StoreError::File { path: path.to_path_buf(), message };
    let dir = path.parent().ok_or_else(|| err("has no folder".into()))?;
    std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create its folder: {e}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| err(format!("cannot make its folder private: {e}")))?;
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| err(format!("cannot write: {e}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| err(format!("cannot make it private: {e}")))?;
    }
    let body = CredentialsFile { version: FILE_VERSION, entries: file.entries.clone() };
    let text = serde_json::to_string_pretty(&body).expect("serializes");
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| err(format!("cannot write: {e}")))?;
    tmp.persist(path).map_err(|e| err(format!("cannot replace it: {}", e.error)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trips_privately_and_refuses_newer_formats() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conf/autocrea/credentials.json");
        let store = Store::file(path.clone());
        assert_eq!(store.get(ACCOUNT_TOKEN).unwrap().map(|s| s.expose().to_string()), None);
        store.set(ACCOUNT_TOKEN, "acr_secret").unwrap();
        store.set("openai-api-key", "sk-x").unwrap();
        assert_eq!(store.get(ACCOUNT_TOKEN).unwrap().unwrap().expose(), "acr_secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(
                std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        store.delete(ACCOUNT_TOKEN).unwrap();
        store.delete(ACCOUNT_TOKEN).unwrap();
        assert!(store.get(ACCOUNT_TOKEN).unwrap().is_none());
        assert_eq!(store.get("openai-api-key").unwrap().unwrap().expose(), "sk-x");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);

        std::fs::write(&path, r#"{"version": 9, "entries": {}}"#).unwrap();
        let e = store.get(ACCOUNT_TOKEN).unwrap_err().to_string();
        assert!(e.contains("newer AUTOCREA"), "{e}");
        std::fs::write(&path, "garbage").unwrap();
        assert!(store.set(ACCOUNT_TOKEN, "x").unwrap_err().to_string().contains("not a credentials file"));
    }
}
