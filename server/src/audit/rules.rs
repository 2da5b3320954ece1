//! The rules: one id per kind of problem, the same id in every language (and the same ids the
//! security prompt gives the model, so the model's findings and ours merge).

use super::Severity;

/// A rule's fixed facts. The message of each finding says what is wrong *there*; `help` is the
/// general advice, shown in SARIF and in `autocrea audit --explain`-style listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub cwe: u32,
    pub severity: Severity,
    pub name: &'static str,
    pub help: &'static str,
}

use Severity::{Error, Warning};

macro_rules! rules {
    ($($id:literal, $cwe:literal, $sev:ident, $name:literal, $help:literal;)*) => {
        /// Every rule the auditor knows.
        pub const RULES: &[Rule] = &[$(Rule { id: $id, cwe: $cwe, severity: $sev, name: $name, help: $help }),*];
    };
}

rules! {
    "sql-injection", 89, Error, "SQL built from untrusted input",
        "Pass values as query parameters (`?`, `%s`, `$1`) instead of building the SQL text with f-strings, `+`, `%` or `.format`.";
    "command-injection", 78, Error, "OS command built from untrusted input",
        "Run the program with an argument list and no shell (`subprocess.run([...])`, `execFile`), and never let input choose the program.";
    "code-injection", 95, Error, "Code evaluated from untrusted input",
        "Do not evaluate strings as code: parse data with `json`/`ast.literal_eval`, map names to functions with a dictionary, keep templates constant.";
    "path-traversal", 22, Error, "File path built from untrusted input",
        "Reduce the name to a plain file name (`secure_filename`, `path.basename`) and check the resolved path stays inside the base folder.";
    "xss", 79, Error, "Untrusted input rendered as HTML",
        "Let the template engine escape, set `textContent` instead of `innerHTML`, or sanitise with a vetted library (DOMPurify, bleach) first.";
    "open-redirect", 601, Warning, "Redirect to a URL taken from input",
        "Redirect only to relative paths or to hosts on an allow-list (`url_has_allowed_host_and_scheme`, a fixed map of targets).";
    "ssrf", 918, Warning, "Server-side request to a URL taken from input",
        "Fetch only URLs whose host is on an allow-list; never let the client choose the host.";
    "unsafe-deserialization", 502, Error, "Unsafe deserialization",
        "Deserialize untrusted data only with data-only formats: `json`, `yaml.safe_load`; never `pickle`, `marshal` or `yaml.load`.";
    "weak-hash", 328, Warning, "Weak hash function",
        "Use SHA-256 or better for integrity and tokens; pass `usedforsecurity=False` when MD5/SHA-1 is used for a non-security checksum.";
    "weak-password-hash", 916, Error, "Password hashed with a fast hash",
        "Hash passwords with a slow, salted password hash: argon2id, scrypt, bcrypt or PBKDF2 with many iterations.";
    "insecure-random", 330, Warning, "Predictable random numbers for a secret",
        "Use a cryptographically secure source for tokens, salts and codes: Python's `secrets`, Node's `crypto.randomBytes`/`randomUUID`.";
    "tls-verify-off", 295, Error, "TLS certificate verification disabled",
        "Keep certificate verification on; trust a private CA with its bundle (`verify='/path/ca.pem'`, the `ca` option) instead.";
    "jwt-misuse", 347, Error, "JWT accepted without verifying its signature",
        "Verify every token with the key and a pinned algorithm list (`algorithms=['HS256']`); never accept `none`, never use the unverified payload.";
    "cors-credentials", 942, Error, "Any origin allowed together with credentials",
        "List the allowed origins explicitly when credentials (cookies, auth headers) are allowed; never reflect the request's Origin.";
    "missing-auth", 306, Warning, "Mutating route without authentication",
        "Require the app's authentication on every route that creates, changes or deletes data (a dependency, decorator or middleware).";
    "debug-mode", 489, Warning, "Debug mode on",
        "Turn debug mode off outside development: it shows stack traces and code, and in Flask/Werkzeug allows running code.";
    "xxe", 611, Error, "XML parsed with external entities enabled",
        "Parse untrusted XML with `defusedxml`, or an lxml parser with `resolve_entities=False, no_network=True`.";
    "ldap-injection", 90, Error, "LDAP filter built from untrusted input",
        "Escape values put into LDAP filters (`escape_filter_chars`, ldapjs `EqualityFilter`) or build filters with the library's filter objects.";
    "xpath-injection", 643, Error, "XPath expression built from untrusted input",
        "Keep the XPath constant and pass input as XPath variables (`tree.xpath('//u[@n=$name]', name=name)`).";
    "insecure-cookie", 614, Warning, "Cookie without Secure or HttpOnly",
        "Set `secure=True` and `httponly=True` (Express: `secure: true, httpOnly: true`) and a SameSite policy on cookies.";
    "hardcoded-secret", 798, Error, "Secret written in the source",
        "Read secrets from the environment or a secret manager, rotate the exposed one, and keep `.env` files out of version control.";
    "env-file-committed", 538, Error, "`.env` file not ignored by git",
        "Add `.env` to `.gitignore` (and remove it from the index with `git rm --cached .env`); commit only a `.env.example` with placeholders.";
    "docker-root", 250, Warning, "Container runs as root",
        "Add a `USER` with an unprivileged account (e.g. `USER 10001`) before `CMD`/`ENTRYPOINT` in the final stage.";
    "unpinned-image", 1357, Warning, "Base image not pinned",
        "Name an explicit version tag (better: a digest) instead of `latest` or no tag, so builds are reproducible.";
    "docker-secret", 538, Error, "Secret baked into the image",
        "Do not put secrets in `ENV`/`ARG` or copy `.env` into the image; pass them at run time or with BuildKit `--mount=type=secret`.";
    "docker-curl-pipe-shell", 494, Warning, "Script downloaded and piped to a shell",
        "Download to a file, check its checksum or signature, then run it; or install from the distribution's packages.";
    "docker-add-url", 829, Warning, "`ADD` from a URL",
        "Use `ADD --checksum=sha256:…` or `RUN curl` with a checksum check instead of a bare `ADD https://…`.";
    "ci-injection", 78, Error, "Untrusted event data interpolated into a workflow script",
        "Pass `${{ github.event.… }}` values through `env:` and use them as shell variables (`\"$TITLE\"`), never inline in `run:`.";
    "ci-untrusted-checkout", 829, Error, "`pull_request_target` checks out the pull request's code",
        "Do not check out or run the head of a pull request in `pull_request_target` workflows; use `pull_request`, or keep the privileged job away from the code.";
    "ci-unpinned-action", 1357, Warning, "Third-party action not pinned to a commit",
        "Pin third-party actions to a full commit SHA (`uses: owner/repo@<40-hex sha> # vX.Y`).";
    "ci-permissions", 250, Warning, "Workflow token with write-all permissions",
        "Give the workflow token only what the jobs need: `permissions: contents: read`, and more per job where required.";
    "container-privileged", 250, Error, "Privileged container or Docker socket mounted",
        "Drop `privileged: true` and the Docker socket mount; grant only the capabilities the service needs.";
    "container-host-network", 668, Warning, "Container on the host's network",
        "Use the default bridge network and publish only the ports needed instead of `network_mode: host`.";
    "exposed-port", 668, Warning, "Database port published on every interface",
        "Bind internal services to the loopback interface (`127.0.0.1:5432:5432`) or do not publish them at all.";
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The CWE's page at MITRE.
pub fn cwe_url(cwe: u32) -> String {
    format!("https://cwe.mitre.org/data/definitions/{cwe}.html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "{} twice", r.id);
            assert!(r.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", r.id);
            assert!(r.help.ends_with('.'), "{}", r.id);
        }
    }
}
