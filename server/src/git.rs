//! The git layer of a run: each role's step is one commit on a branch of its own, so the user
//! sees exactly what each role did, keeps it or takes it back.
//!
//! - [`prepare`] puts the app folder in a repository, saves or refuses the user's uncommitted
//!   work, and checks out a fresh `autocrea/<slug>` branch from HEAD.
//! - [`commit_step`] commits exactly the files one role wrote, with the role as author and the
//!   engine, model, tokens and run id as trailers.
//! - [`undo`] takes back the last step, only when that loses nothing: the commit is AUTOCREA's,
//!   its files are unchanged since, and it was never pushed.
//! - [`discard_uncommitted`] puts a cancelled step's files back as the last commit has them.
//! - [`deploy`] pushes with the `git` command line, so the user's credential helpers and ssh
//!   agent do the talking (git2 is built without https/ssh here).
//!
//! Nothing here resets the whole work tree: every write touches only the paths of a step, and
//! only after checking that the user has no changes there.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use git2::build::{CheckoutBuilder, TreeUpdateBuilder};
use git2::{
    BranchType, Commit, ErrorCode, FileMode, IndexAddOption, Oid, Repository, RepositoryState, Signature,
    Status, StatusOptions,
};

use crate::spec::Role;

/// The identity used when git config has none.
pub const FALLBACK_NAME: &str = "AUTOCREA user";
pub const FALLBACK_EMAIL: &str = "autocrea@localhost";

const RUN_TRAILER: &str = "Autocrea-Run";
const AUTHOR_PREFIX: &str = "AUTOCREA ";
const BRANCH_PREFIX: &str = "autocrea/";
const SLUG_MAX: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not {action}: {message}")]
    Git { action: String, message: String },
    #[error("could not {action} {path:?}: {message}")]
    Io { action: &'static str, path: PathBuf, message: String },
    #[error("{0:?} is inside a bare repository, which has no work tree; choose a folder outside it")]
    Bare(PathBuf),
    #[error("a {state} is in progress in {root:?}; finish or abort it, then run again")]
    Busy { state: String, root: PathBuf },
    #[error(
        "you have uncommitted changes in {}: {}. Commit or stash them, or let AUTOCREA commit them first \
         (setting `autocrea.commitUserChanges`, or `--commit-changes`)",
        files_count(.0.len()), .0.join(", ")
    )]
    UserChanges(Vec<String>),
    #[error(
        "the run's branch {expected} is no longer checked out (HEAD is {actual}); switch back with `git switch {expected}`"
    )]
    NotOnRunBranch { expected: String, actual: String },
    #[error("{path:?} is not a relative path inside the app folder")]
    BadPath { path: String },
    #[error("the last commit {id} ({summary:?}) was not made by AUTOCREA; nothing was undone")]
    NotAutocrea { id: String, summary: String },
    #[error("the last commit {id} has {parents} parents; only a step with exactly one parent can be undone")]
    NotUndoable { id: String, parents: usize },
    #[error(
        "{} of step {id} changed since: {}. Commit or discard your edits first; nothing was undone",
        files_count(.files.len()), .files.join(", ")
    )]
    EditedSince { id: String, files: Vec<String> },
    #[error(
        "step {id} was already pushed (it is on {remote_ref}); take it back with `git revert {id}` instead"
    )]
    Pushed { id: String, remote_ref: String },
    #[error("HEAD is detached; switch to a branch to push it")]
    Detached,
    #[error("the `git` command could not be run ({message}); install git, or push the branch yourself")]
    GitMissing { message: String },
    #[error("`git push` of {branch} to {remote} was refused: {message}")]
    Push { remote: String, branch: String, message: String },
    #[error(
        "{actual} is not a generation's branch; check out the autocrea/… branch of the app to re-run a role on it"
    )]
    NotARunBranch { actual: String },
}

fn files_count(n: usize) -> String {
    if n == 1 { "1 file".into() } else { format!("{n} files") }
}

fn git_err(action: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let action = action.into();
    move |e| GitError::Git { action, message: e.message().to_string() }
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> GitError {
    let path = path.to_path_buf();
    move |e| GitError::Io { action, path, message: e.to_string() }
}

/// One role's step, as recorded in its commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub role: Role,
    /// "wrote 8 files" (a leading "backend: " is accepted and not repeated).
    pub summary: String,
    pub engine: String,
    pub model: Option<String>,
    pub tokens: Option<u64>,
    pub run_id: String,
}

/// What [`prepare`] does with uncommitted changes of the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChanges {
    Refuse,
    CommitFirst,
}

/// The branch a run commits to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunBranch {
    /// The work tree of the repository.
    pub repo_root: PathBuf,
    /// "autocrea/todo-app".
    pub branch: String,
    /// The user's HEAD before the run (after saving their work in progress), `None` when the
    /// repository had no commit before (created or unborn). The branch starts there.
    pub base: Option<Oid>,
}

/// What [`undo`] took back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undone {
    /// Short id of the commit taken back.
    pub id: String,
    pub role: Role,
    /// The commit's first line.
    pub summary: String,
    /// The paths the step touched, relative to the app folder, sorted.
    pub paths: Vec<String>,
}

/// The generation branch checked out around `dir` (`autocrea/…`), to add a step to it.
pub fn current_run_branch(dir: &Path) -> Result<RunBranch, GitError> {
    let repo = open(dir)?;
    let head = repo.head().map_err(git_err("read HEAD"))?;
    let name = if head.is_branch() {
        head.shorthand().unwrap_or_default().to_string()
    } else {
        "a detached HEAD".into()
    };
    if !name.starts_with("autocrea/") {
        return Err(GitError::NotARunBranch { actual: name });
    }
    Ok(RunBranch { repo_root: work_tree(&repo, dir)?, branch: name, base: head.target() })
}

/// The short id of a commit, for summaries.
pub fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

/// Puts the app folder `dir` in a repository on a fresh run branch. See the module docs.
pub fn prepare(
    dir: &Path,
    idea: &str,
    run_id: &str,
    gitignore: &str,
    user_changes: UserChanges,
) -> Result<RunBranch, GitError> {
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    // `wrote_gitignore`: ours to commit; a .gitignore already there is the user's.
    let (repo, created, wrote_gitignore) = match Repository::discover(dir) {
        Ok(repo) => (repo, false, false),
        Err(e) if e.code() == ErrorCode::NotFound => {
            let repo = Repository::init(dir).map_err(git_err(format!("create a repository in {dir:?}")))?;
            let path = dir.join(".gitignore");
            let write = !path.exists();
            if write {
                fs::write(&path, gitignore).map_err(io_err("write", &path))?;
            }
            (repo, true, write)
        }
        Err(e) => return Err(git_err(format!("open the repository around {dir:?}"))(e)),
    };
    let root = work_tree(&repo, dir)?;
    if repo.state() != RepositoryState::Clean {
        let state = match repo.state() {
            RepositoryState::Merge => "merge",
            RepositoryState::Revert | RepositoryState::RevertSequence => "revert",
            RepositoryState::CherryPick | RepositoryState::CherryPickSequence => "cherry-pick",
            RepositoryState::Bisect => "bisect",
            _ => "rebase or patch",
        };
        return Err(GitError::Busy { state: state.to_string(), root });
    }
    let user = identity(&repo);

    let unborn = match repo.head() {
        Ok(_) => false,
        Err(e) if e.code() == ErrorCode::UnbornBranch => true,
        Err(e) => return Err(git_err("read HEAD")(e)),
    };
    if unborn {
        // A new repository commits AUTOCREA's .gitignore; an empty one of the user's commits
        // nothing, so their files stay theirs to commit or refuse below.
        let tree = if wrote_gitignore {
            let mut index = repo.index().map_err(git_err("read the index"))?;
            index.add_path(Path::new(".gitignore")).map_err(git_err("stage .gitignore"))?;
            index.write().map_err(git_err("write the index"))?;
            index.write_tree().map_err(git_err("write a tree"))?
        } else {
            repo.treebuilder(None).and_then(|b| b.write()).map_err(git_err("write an empty tree"))?
        };
        let tree = repo.find_tree(tree).map_err(git_err("read a tree"))?;
        let message = format!("Initial commit\n\nCreated for AUTOCREA run {run_id}.\n");
        repo.commit(Some("HEAD"), &user, &user, &message, &tree, &[])
            .map_err(git_err("make the initial commit"))?;
    }

    let changed = user_changes_in(&repo)?;
    if !changed.is_empty() {
        match user_changes {
            UserChanges::Refuse => return Err(GitError::UserChanges(changed)),
            UserChanges::CommitFirst => {
                let mut index = repo.index().map_err(git_err("read the index"))?;
                index
                    .add_all(["*"], IndexAddOption::DEFAULT, None)
                    .and_then(|()| index.update_all(["*"], None))
                    .map_err(git_err("stage your changes"))?;
                index.write().map_err(git_err("write the index"))?;
                let tree =
                    index.write_tree().and_then(|t| repo.find_tree(t)).map_err(git_err("write a tree"))?;
                let head = head_commit(&repo)?;
                let message = format!("Save work in progress before AUTOCREA run {run_id}\n");
                repo.commit(Some("HEAD"), &user, &user, &message, &tree, &[&head])
                    .map_err(git_err("commit your work in progress"))?;
            }
        }
    }

    let head = head_commit(&repo)?;
    let base = if created || unborn { None } else { Some(head.id()) };
    let slug = slug(idea);
    let mut name = format!("{BRANCH_PREFIX}{slug}");
    let mut n = 2;
    while repo.find_branch(&name, BranchType::Local).is_ok() {
        name = format!("{BRANCH_PREFIX}{slug}-{n}");
        n += 1;
    }
    repo.branch(&name, &head, false).map_err(git_err(format!("create the branch {name}")))?;
    // The branch points at HEAD's commit and the work tree is clean: moving HEAD is the checkout.
    repo.set_head(&format!("refs/heads/{name}")).map_err(git_err(format!("check out {name}")))?;
    Ok(RunBranch { repo_root: root, branch: name, base })
}

/// Commits exactly `paths` (relative to `dir`) as one role's step. See the module docs.
///
/// A path that is git-ignored and not tracked is left out, as `git add` would (so a `.env` a
/// role writes is never committed). A path that no longer exists is committed as deleted.
pub fn commit_step(
    run: &RunBranch,
    dir: &Path,
    paths: &[String],
    step: &Step,
    email: &str,
) -> Result<Option<Oid>, GitError> {
    let repo = open(&run.repo_root)?;
    on_run_branch(&repo, run)?;
    let prefix = prefix(&repo, dir)?;
    let head = head_commit(&repo)?;
    let head_tree = head.tree().map_err(git_err("read HEAD's tree"))?;

    let mut update = TreeUpdateBuilder::new();
    let mut staged = Vec::new();
    for rel in paths {
        let path = repo_path(&prefix, rel)?;
        let abs = run.repo_root.join(&path);
        let tracked = head_tree.get_path(Path::new(&path)).is_ok();
        match fs::symlink_metadata(&abs) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if tracked {
                    update.remove(path.as_str());
                    staged.push((path, false));
                }
            }
            Err(e) => return Err(io_err("read", &abs)(e)),
            Ok(meta) => {
                if !tracked && repo.is_path_ignored(&path).map_err(git_err("read .gitignore"))? {
                    continue;
                }
                let id = repo.blob_path(&abs).map_err(git_err(format!("store {path}")))?;
                update.upsert(path.as_str(), id, file_mode(&meta));
                staged.push((path, true));
            }
        }
    }
    let tree = update.create_updated(&repo, &head_tree).map_err(git_err("build the step's tree"))?;
    if tree == head_tree.id() {
        return Ok(None);
    }
    let tree = repo.find_tree(tree).map_err(git_err("read the step's tree"))?;
    let author = Signature::now(&format!("{AUTHOR_PREFIX}{}", step.role), email)
        .map_err(git_err("make the author's signature"))?;
    let id = repo
        .commit(Some("HEAD"), &author, &identity(&repo), &message(step), &tree, &[&head])
        .map_err(git_err(format!("commit the {} step", step.role)))?;

    // Keep the index in step for these paths only; the user's other staged changes stay staged.
    let mut index = repo.index().map_err(git_err("read the index"))?;
    for (path, exists) in &staged {
        let r = if *exists { index.add_path(Path::new(path)) } else { index.remove_path(Path::new(path)) };
        r.map_err(git_err(format!("update the index for {path}")))?;
    }
    index.write().map_err(git_err("write the index"))?;
    Ok(Some(id))
}

/// The commit message of a step: `<role>: <summary>`, a blank line, then the trailers.
pub fn message(step: &Step) -> String {
    let role = step.role.as_str();
    let summary = one_line(&step.summary);
    let summary = summary.strip_prefix(&format!("{role}: ")).unwrap_or(&summary);
    // All four trailers on every step, so `git log --format=%(trailers:key=…)` reads the same
    // for every commit: the offline engine has no model and spends no tokens.
    let model = step.model.as_deref().map(one_line).unwrap_or_else(|| "none".into());
    format!(
        "{role}: {summary}\n\nAutocrea-Engine: {}\nAutocrea-Model: {model}\nAutocrea-Tokens: {}\n{RUN_TRAILER}: {}\n",
        one_line(&step.engine),
        step.tokens.unwrap_or(0),
        one_line(&step.run_id)
    )
}

/// Takes back the last AUTOCREA step on the current branch. See the module docs.
pub fn undo(dir: &Path) -> Result<Undone, GitError> {
    let repo = open(dir)?;
    let prefix = prefix(&repo, dir)?;
    let head = head_commit(&repo)?;
    let id = short(head.id());
    let summary = head.summary().ok().flatten().unwrap_or_default().to_string();
    let Some(role) = autocrea_role(&head) else {
        return Err(GitError::NotAutocrea { id, summary });
    };
    if head.parent_count() != 1 {
        return Err(GitError::NotUndoable { id, parents: head.parent_count() });
    }
    let parent = head.parent(0).map_err(git_err("read the step's parent"))?;

    let tree = head.tree().map_err(git_err("read the step's tree"))?;
    let parent_tree = parent.tree().map_err(git_err("read the parent's tree"))?;
    let diff = repo
        .diff_tree_to_tree(Some(&parent_tree), Some(&tree), None)
        .map_err(git_err("compare the step with its parent"))?;
    let touched: Vec<String> = diff
        .deltas()
        .filter_map(|d| d.new_file().path().or(d.old_file().path()))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();

    let edited: Vec<String> = changes_in(&repo, &touched)?.into_iter().map(|(p, _)| p).collect();
    if !edited.is_empty() {
        return Err(GitError::EditedSince { id, files: edited });
    }
    for r in repo.references_glob("refs/remotes/*").map_err(git_err("list remote-tracking branches"))? {
        let r = r.map_err(git_err("read a remote-tracking branch"))?;
        let Some(target) = r.peel_to_commit().ok().map(|c| c.id()) else { continue };
        if target == head.id() || repo.graph_descendant_of(target, head.id()).unwrap_or(false) {
            let remote_ref = r.shorthand().unwrap_or("a remote branch").to_string();
            return Err(GitError::Pushed { id, remote_ref });
        }
    }

    // HEAD (the step) is the checkout's baseline: files only the step has are removed, the
    // others get the parent's content. Only the step's paths are touched.
    let mut checkout = CheckoutBuilder::new();
    checkout.force().disable_pathspec_match(true);
    for p in &touched {
        checkout.path(p.as_str());
    }
    repo.checkout_tree(parent.as_object(), Some(&mut checkout))
        .map_err(git_err(format!("restore the files of {id}")))?;
    for p in &touched {
        remove_empty_parents(&repo, &prefix, p);
    }
    // Checkout removes folders it leaves empty, up to the work tree; the app folder stays.
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    move_head(&repo, parent.id(), &format!("autocrea: undo {id}"))?;

    let mut paths: Vec<String> =
        touched.iter().map(|p| p.strip_prefix(&prefix).unwrap_or(p).to_string()).collect();
    paths.sort();
    Ok(Undone { id, role, summary, paths })
}

/// After a cancelled or failed step: puts `paths` (relative to `dir`) back as the run branch's
/// last commit has them; files it does not have are removed.
pub fn discard_uncommitted(run: &RunBranch, dir: &Path, paths: &[String]) -> Result<(), GitError> {
    let repo = open(&run.repo_root)?;
    on_run_branch(&repo, run)?;
    let prefix = prefix(&repo, dir)?;
    let head_tree = head_commit(&repo)?.tree().map_err(git_err("read HEAD's tree"))?;
    let mut restore = CheckoutBuilder::new();
    restore.force().disable_pathspec_match(true);
    let mut any = false;
    for rel in paths {
        let path = repo_path(&prefix, rel)?;
        if head_tree.get_path(Path::new(&path)).is_ok() {
            restore.path(path.as_str());
            any = true;
            continue;
        }
        let abs = run.repo_root.join(&path);
        match fs::remove_file(&abs) {
            Ok(()) => remove_empty_parents(&repo, &prefix, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("remove", &abs)(e)),
        }
        let mut index = repo.index().map_err(git_err("read the index"))?;
        if index.get_path(Path::new(&path), 0).is_some() {
            index
                .remove_path(Path::new(&path))
                .and_then(|()| index.write())
                .map_err(git_err("update the index"))?;
        }
    }
    if any {
        repo.checkout_head(Some(&mut restore)).map_err(git_err("restore the step's files"))?;
    }
    Ok(())
}

/// Pushes the current branch to `remote` (default "origin") with `git push --set-upstream`.
/// Returns what git said.
pub fn deploy(dir: &Path, remote: Option<&str>) -> Result<String, GitError> {
    let repo = open(dir)?;
    let remote = remote.unwrap_or("origin");
    let head = repo.head().map_err(git_err("read HEAD"))?;
    if !head.is_branch() {
        return Err(GitError::Detached);
    }
    let branch = head.shorthand().map_err(git_err("read the branch name"))?.to_string();
    let root = work_tree(&repo, dir)?;
    let out = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["push", "--porcelain", "--set-upstream", remote, &branch])
        // Never wait for a password on a terminal nobody watches; helpers and agents still work.
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| GitError::GitMissing { message: e.to_string() })?;
    let said = [String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if out.status.success() {
        Ok(said)
    } else {
        Err(GitError::Push { remote: remote.to_string(), branch, message: said })
    }
}

/// "Build a TODO app, with tags!" → "build-a-todo-app-with-tags", at most 40 characters.
pub fn slug(idea: &str) -> String {
    let mut s = String::new();
    for c in idea.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    if s.len() > SLUG_MAX {
        // Cut at a word's end when there is one.
        let cut_mid_word = s.as_bytes()[SLUG_MAX] != b'-';
        s.truncate(SLUG_MAX);
        if let Some(end) = s.rfind('-').filter(|_| cut_mid_word) {
            s.truncate(end);
        }
    }
    let s = s.trim_end_matches('-');
    if s.is_empty() { "app".to_string() } else { s.to_string() }
}

/// The user's identity from git config, else the fallback.
pub fn identity(repo: &Repository) -> Signature<'static> {
    repo.config().ok().and_then(|c| identity_from(&c)).unwrap_or_else(fallback)
}

fn identity_from(config: &git2::Config) -> Option<Signature<'static>> {
    let name = config.get_string("user.name").ok()?;
    let email = config.get_string("user.email").ok()?;
    Signature::now(&name, &email).ok()
}

fn fallback() -> Signature<'static> {
    Signature::now(FALLBACK_NAME, FALLBACK_EMAIL).expect("a valid fallback signature")
}

fn open(dir: &Path) -> Result<Repository, GitError> {
    let repo = Repository::discover(dir).map_err(git_err(format!("open the repository around {dir:?}")))?;
    work_tree(&repo, dir)?;
    Ok(repo)
}

fn work_tree(repo: &Repository, dir: &Path) -> Result<PathBuf, GitError> {
    repo.workdir().map(Path::to_path_buf).ok_or_else(|| GitError::Bare(dir.to_path_buf()))
}

fn head_commit(repo: &Repository) -> Result<Commit<'_>, GitError> {
    repo.head().and_then(|h| h.peel_to_commit()).map_err(git_err("read HEAD's commit"))
}

fn on_run_branch(repo: &Repository, run: &RunBranch) -> Result<(), GitError> {
    let head = repo.head().map_err(git_err("read HEAD"))?;
    let actual = if head.is_branch() {
        head.shorthand().unwrap_or_default().to_string()
    } else {
        format!("detached at {}", head.target().map(short).unwrap_or_default())
    };
    if actual != run.branch {
        return Err(GitError::NotOnRunBranch { expected: run.branch.clone(), actual });
    }
    Ok(())
}

/// The app folder's path inside the work tree, "" or ending with '/'.
fn prefix(repo: &Repository, dir: &Path) -> Result<String, GitError> {
    let root = work_tree(repo, dir)?;
    let root = root.canonicalize().map_err(io_err("resolve", &root))?;
    let canonical = dir.canonicalize().map_err(io_err("resolve", dir))?;
    let rel =
        canonical.strip_prefix(&root).map_err(|_| GitError::BadPath { path: dir.display().to_string() })?;
    let mut prefix = String::new();
    for part in rel.components() {
        prefix += &part.as_os_str().to_string_lossy();
        prefix.push('/');
    }
    Ok(prefix)
}

/// `rel` (relative to the app folder, `/` separators) as a path relative to the work tree.
fn repo_path(prefix: &str, rel: &str) -> Result<String, GitError> {
    let bad = rel.is_empty()
        || rel.starts_with('/')
        || rel.contains('\\')
        || rel.split('/').any(|part| matches!(part, "" | "." | ".." | ".git"));
    if bad {
        return Err(GitError::BadPath { path: rel.to_string() });
    }
    Ok(format!("{prefix}{rel}"))
}

fn file_mode(meta: &fs::Metadata) -> FileMode {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 != 0 {
            return FileMode::BlobExecutable;
        }
    }
    let _ = meta;
    FileMode::Blob
}

/// Every change of the user's: staged, modified, deleted, untracked (not ignored), conflicted.
fn user_changes_in(repo: &Repository) -> Result<Vec<String>, GitError> {
    Ok(changes_in(repo, &[])?.into_iter().map(|(p, _)| p).collect())
}

/// The changed paths among `paths` (all when empty), relative to the work tree.
fn changes_in(repo: &Repository, paths: &[String]) -> Result<Vec<(String, Status)>, GitError> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(false);
    if !paths.is_empty() {
        opts.disable_pathspec_match(true);
        for p in paths {
            opts.pathspec(p.as_str());
        }
    }
    let statuses = repo.statuses(Some(&mut opts)).map_err(git_err("read the status of the work tree"))?;
    Ok(statuses
        .iter()
        .filter(|e| !e.status().is_ignored() && e.status() != Status::CURRENT)
        .map(|e| (String::from_utf8_lossy(e.path_bytes()).into_owned(), e.status()))
        .collect())
}

/// The role of a commit AUTOCREA made: an "AUTOCREA <role>" author and an `Autocrea-Run` trailer.
fn autocrea_role(commit: &Commit<'_>) -> Option<Role> {
    let author = commit.author();
    let role = Role::parse(author.name().ok()?.strip_prefix(AUTHOR_PREFIX)?)?;
    let trailers = git2::message_trailers_strs(commit.message().ok()?).ok()?;
    trailers.iter().any(|(k, _)| k == RUN_TRAILER).then_some(role)
}

/// Moves the current branch (or a detached HEAD) to `to`.
fn move_head(repo: &Repository, to: Oid, reflog: &str) -> Result<(), GitError> {
    let head = repo.head().map_err(git_err("read HEAD"))?;
    if head.is_branch() {
        let mut head = head;
        head.set_target(to, reflog).map_err(git_err("move the branch back"))?;
    } else {
        repo.set_head_detached(to).map_err(git_err("move HEAD back"))?;
    }
    Ok(())
}

/// Removes the folders of `path` that are left empty, up to the app folder (`prefix`).
fn remove_empty_parents(repo: &Repository, prefix: &str, path: &str) {
    let Some(root) = repo.workdir() else { return };
    let app = Path::new(prefix);
    let mut dir = Path::new(path).parent();
    while let Some(d) = dir.filter(|d| d.starts_with(app) && *d != app && !d.as_os_str().is_empty()) {
        // Fails, and stops, on the first folder that is not empty.
        if fs::remove_dir(root.join(d)).is_err() {
            break;
        }
        dir = d.parent();
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for Undone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "undid {} ({}): {}", self.id, self.summary, self.paths.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const USER: &str = "Ada User";
    const USER_EMAIL: &str = "ada@example.com";
    const BOT_EMAIL: &str = "autocrea@example.com";

    /// The `git` command line, isolated from the machine's and the user's config.
    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", USER)
            .env("GIT_AUTHOR_EMAIL", USER_EMAIL)
            .env("GIT_COMMITTER_NAME", USER)
            .env("GIT_COMMITTER_EMAIL", USER_EMAIL)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn write(dir: &Path, rel: &str, contents: &str) {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    /// A repository of the user's at `dir`, with identity in its own config and one commit.
    fn user_repo(dir: &Path) -> Repository {
        fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "-q", "-b", "main"]);
        set_identity(dir);
        write(dir, "README.md", "mine\n");
        write(dir, ".gitignore", "*.log\n.env\n");
        git(dir, &["add", "."]);
        git(dir, &["commit", "-q", "-m", "first"]);
        Repository::open(dir).unwrap()
    }

    fn set_identity(dir: &Path) {
        git(dir, &["config", "user.name", USER]);
        git(dir, &["config", "user.email", USER_EMAIL]);
    }

    fn step(role: Role, summary: &str) -> Step {
        Step {
            role,
            summary: summary.into(),
            engine: "joxcoder".into(),
            model: Some("jox-1".into()),
            tokens: Some(1234),
            run_id: "r1".into(),
        }
    }

    fn head(repo: &Repository) -> Commit<'_> {
        repo.head().unwrap().peel_to_commit().unwrap()
    }

    fn branch(repo: &Repository) -> String {
        repo.head().unwrap().shorthand().unwrap().to_string()
    }

    fn tree_files(commit: &Commit<'_>) -> Vec<String> {
        let mut files = Vec::new();
        commit
            .tree()
            .unwrap()
            .walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                if entry.kind() == Some(git2::ObjectType::Blob) {
                    files.push(format!("{dir}{}", entry.name().unwrap()));
                }
                git2::TreeWalkResult::Ok
            })
            .unwrap();
        files.sort();
        files
    }

    /// Every file and folder under `dir` but `.git`, with the files' contents.
    fn snapshot(dir: &Path) -> BTreeMap<String, Option<String>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<String>>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                if rel == ".git" {
                    continue;
                }
                if path.is_dir() {
                    out.insert(format!("{rel}/"), None);
                    walk(root, &path, out);
                } else {
                    out.insert(rel, Some(fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(dir, dir, &mut out);
        out
    }

    fn clean(repo: &Repository) -> Vec<String> {
        user_changes_in(repo).unwrap()
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Build a TODO app, with tags!"), "build-a-todo-app-with-tags");
        assert_eq!(slug("  --Café  crème-- "), "caf-cr-me");
        assert_eq!(slug("!!!"), "app");
        let long = slug("an app that tracks every single book I ever read and lent to friends");
        assert_eq!(long, "an-app-that-tracks-every-single-book-i");
        assert!(long.len() <= SLUG_MAX);
    }

    #[test]
    fn identity_falls_back_when_config_has_none() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config");
        fs::write(&path, "[core]\n\tbare = false\n").unwrap();
        let config = git2::Config::open(&path).unwrap();
        assert!(identity_from(&config).is_none());
        let f = fallback();
        assert_eq!((f.name(), f.email()), (Ok("AUTOCREA user"), Ok("autocrea@localhost")));
        fs::write(&path, "[user]\n\tname = Ada User\n\temail = ada@example.com\n").unwrap();
        let config = git2::Config::open(&path).unwrap();
        let s = identity_from(&config).unwrap();
        assert_eq!((s.name(), s.email()), (Ok(USER), Ok(USER_EMAIL)));
    }

    #[test]
    fn prepare_initialises_a_fresh_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("todo");
        let run = prepare(&dir, "A todo app", "r1", "node_modules/\n.env\n", UserChanges::Refuse).unwrap();
        assert_eq!(run.repo_root.canonicalize().unwrap(), dir.canonicalize().unwrap());
        assert_eq!(run.branch, "autocrea/a-todo-app");
        assert_eq!(run.base, None);
        assert_eq!(fs::read_to_string(dir.join(".gitignore")).unwrap(), "node_modules/\n.env\n");
        let repo = Repository::open(&dir).unwrap();
        assert_eq!(branch(&repo), "autocrea/a-todo-app");
        let first = head(&repo);
        assert_eq!(first.parent_count(), 0);
        assert_eq!(tree_files(&first), [".gitignore"]);
        assert_eq!(clean(&repo), Vec::<String>::new());
    }

    #[test]
    fn prepare_treats_files_already_in_a_fresh_folder_as_the_users() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write(dir, ".gitignore", "mine\n");
        write(dir, "notes.txt", "n\n");
        let err = prepare(dir, "Todo", "r1", "x\n", UserChanges::Refuse).unwrap_err();
        assert!(
            matches!(&err, GitError::UserChanges(files) if files == &[".gitignore", "notes.txt"]),
            "{err}"
        );
        assert_eq!(fs::read_to_string(dir.join(".gitignore")).unwrap(), "mine\n", "the user's ignores stay");
        set_identity(dir);
        prepare(dir, "Todo", "r1", "x\n", UserChanges::CommitFirst).unwrap();
        let repo = Repository::open(dir).unwrap();
        let saved = head(&repo);
        assert_eq!(saved.author().name(), Ok(USER));
        assert_eq!(tree_files(&saved), [".gitignore", "notes.txt"]);
        assert_eq!(tree_files(&saved.parent(0).unwrap()), Vec::<String>::new());
    }

    #[test]
    fn prepare_gives_an_empty_repository_an_initial_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        set_identity(dir);
        let run = prepare(dir, "notes", "r1", "x\n", UserChanges::Refuse).unwrap();
        assert_eq!(run.base, None);
        assert!(!dir.join(".gitignore").exists(), "the user's repository keeps its own ignores");
        let repo = Repository::open(dir).unwrap();
        assert_eq!(branch(&repo), "autocrea/notes");
        let first = head(&repo);
        assert_eq!(first.parent_count(), 0);
        assert_eq!(tree_files(&first), Vec::<String>::new());
        assert_eq!(first.author().name(), Ok(USER));
        // The user's `main` now exists and holds the same commit.
        assert_eq!(repo.find_branch("main", BranchType::Local).unwrap().get().target(), Some(first.id()));
    }

    #[test]
    fn prepare_branches_from_head_of_a_repository_with_history() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = user_repo(tmp.path());
        let old = head(&repo).id();
        let run = prepare(tmp.path(), "Shop", "r1", "x\n", UserChanges::Refuse).unwrap();
        assert_eq!(run.base, Some(old));
        assert_eq!(branch(&repo), "autocrea/shop");
        assert_eq!(head(&repo).id(), old, "the branch starts at the old HEAD");
        assert_eq!(fs::read_to_string(tmp.path().join(".gitignore")).unwrap(), "*.log\n.env\n");
    }

    #[test]
    fn prepare_refuses_or_commits_the_users_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let repo = user_repo(dir);
        let old = head(&repo).id();
        write(dir, "README.md", "edited\n");
        write(dir, "staged.txt", "s\n");
        git(dir, &["add", "staged.txt"]);
        write(dir, "notes/untracked.txt", "u\n");
        write(dir, "debug.log", "ignored\n");

        let err = prepare(dir, "Shop", "r7", "x\n", UserChanges::Refuse).unwrap_err();
        let GitError::UserChanges(files) = &err else { panic!("{err}") };
        assert_eq!(files, &["README.md", "notes/untracked.txt", "staged.txt"]);
        assert_eq!(
            err.to_string(),
            "you have uncommitted changes in 3 files: README.md, notes/untracked.txt, staged.txt. \
             Commit or stash them, or let AUTOCREA commit them first \
             (setting `autocrea.commitUserChanges`, or `--commit-changes`)"
        );
        assert_eq!(branch(&repo), "main", "nothing happened");
        assert_eq!(head(&repo).id(), old);

        let run = prepare(dir, "Shop", "r7", "x\n", UserChanges::CommitFirst).unwrap();
        let saved = head(&repo);
        assert_eq!(run.base, Some(saved.id()));
        assert_eq!(saved.parent_id(0).unwrap(), old);
        assert_eq!(saved.message(), Ok("Save work in progress before AUTOCREA run r7\n"));
        assert_eq!(saved.author().name(), Ok(USER));
        assert_eq!(saved.author().email(), Ok(USER_EMAIL));
        assert_eq!(saved.committer().name(), Ok(USER));
        assert_eq!(tree_files(&saved), [".gitignore", "README.md", "notes/untracked.txt", "staged.txt"]);
        assert_eq!(branch(&repo), "autocrea/shop");
        assert_eq!(clean(&repo), Vec::<String>::new());
        assert_eq!(fs::read_to_string(dir.join("debug.log")).unwrap(), "ignored\n");
        // The user's own branch holds their saved work too.
        assert_eq!(repo.find_branch("main", BranchType::Local).unwrap().get().target(), Some(saved.id()));
    }

    #[test]
    fn prepare_works_from_a_detached_head() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = user_repo(tmp.path());
        let first = head(&repo).id();
        write(tmp.path(), "second.txt", "2\n");
        git(tmp.path(), &["add", "."]);
        git(tmp.path(), &["commit", "-q", "-m", "second"]);
        git(tmp.path(), &["checkout", "-q", "--detach", "HEAD~1"]);
        let run = prepare(tmp.path(), "Shop", "r1", "x\n", UserChanges::Refuse).unwrap();
        assert_eq!(run.base, Some(first));
        assert_eq!(branch(&repo), "autocrea/shop");
        assert!(!repo.head_detached().unwrap());
        assert_eq!(head(&repo).id(), first);
    }

    #[test]
    fn prepare_numbers_a_taken_branch_name() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = user_repo(tmp.path());
        let names: Vec<String> = (0..3)
            .map(|_| prepare(tmp.path(), "Shop", "r1", "x\n", UserChanges::Refuse).unwrap().branch)
            .collect();
        assert_eq!(names, ["autocrea/shop", "autocrea/shop-2", "autocrea/shop-3"]);
        assert_eq!(branch(&repo), "autocrea/shop-3");
    }

    #[test]
    fn app_folder_inside_an_existing_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = user_repo(tmp.path());
        let dir = tmp.path().join("apps/todo");
        let run = prepare(&dir, "Todo", "r1", "x\n", UserChanges::Refuse).unwrap();
        assert_eq!(run.repo_root.canonicalize().unwrap(), tmp.path().canonicalize().unwrap());
        assert!(!dir.join(".git").exists() && !dir.join(".gitignore").exists());

        write(&dir, "app/main.py", "print()\n");
        let id =
            commit_step(&run, &dir, &["app/main.py".into()], &step(Role::Backend, "wrote 1 file"), BOT_EMAIL)
                .unwrap()
                .unwrap();
        assert_eq!(head(&repo).id(), id);
        assert_eq!(tree_files(&head(&repo)), [".gitignore", "README.md", "apps/todo/app/main.py"]);
        let undone = undo(&dir).unwrap();
        assert_eq!(undone.paths, ["app/main.py"]);
        assert!(!dir.join("app").exists());
        assert!(dir.is_dir(), "the app folder itself stays");
    }

    #[test]
    fn commit_step_records_the_role_and_exactly_its_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let repo = user_repo(dir);
        let run = prepare(dir, "Shop", "r1", "x\n", UserChanges::Refuse).unwrap();
        write(dir, "api/main.py", "app = 1\n");
        write(dir, "api/models.py", "class A: ...\n");
        write(dir, ".env", "SECRET=1\n");
        write(dir, "mine.txt", "the user's\n");
        write(dir, "staged-by-user.txt", "s\n");
        git(dir, &["add", "staged-by-user.txt"]);

        let paths: Vec<String> = ["api/main.py", "api/models.py", ".env"].map(String::from).into();
        let s = step(Role::Backend, "backend: wrote 2 files");
        let id = commit_step(&run, dir, &paths, &s, BOT_EMAIL).unwrap().unwrap();
        let c = repo.find_commit(id).unwrap();
        assert_eq!(c.author().name(), Ok("AUTOCREA backend"));
        assert_eq!(c.author().email(), Ok(BOT_EMAIL));
        assert_eq!(c.committer().name(), Ok(USER));
        assert_eq!(c.committer().email(), Ok(USER_EMAIL));
        assert_eq!(
            c.message().unwrap(),
            "backend: wrote 2 files\n\nAutocrea-Engine: joxcoder\nAutocrea-Model: jox-1\n\
             Autocrea-Tokens: 1234\nAutocrea-Run: r1\n"
        );
        let trailers = git2::message_trailers_strs(c.message().unwrap()).unwrap();
        let trailers: Vec<(&str, &str)> = trailers.iter().collect();
        assert_eq!(
            trailers,
            [
                ("Autocrea-Engine", "joxcoder"),
                ("Autocrea-Model", "jox-1"),
                ("Autocrea-Tokens", "1234"),
                ("Autocrea-Run", "r1")
            ]
        );
        assert_eq!(c.parent_id(0).unwrap(), run.base.unwrap());
        assert_eq!(tree_files(&c), [".gitignore", "README.md", "api/main.py", "api/models.py"]);
        assert_eq!(autocrea_role(&c), Some(Role::Backend));
        // The user's files stay as they were: untracked, and staged.
        let status = changes_in(&repo, &[]).unwrap();
        assert_eq!(
            status,
            [("mine.txt".to_string(), Status::WT_NEW), ("staged-by-user.txt".to_string(), Status::INDEX_NEW)]
        );

        assert_eq!(commit_step(&run, dir, &paths, &s, BOT_EMAIL).unwrap(), None, "nothing changed");

        let mut bare = step(Role::Tester, "wrote tests");
        bare.model = None;
        bare.tokens = None;
        write(dir, "api/main.py", "app = 2\n");
        let id = commit_step(&run, dir, &["api/main.py".into()], &bare, BOT_EMAIL).unwrap().unwrap();
        assert_eq!(
            repo.find_commit(id).unwrap().message().unwrap(),
            // No model and no tokens (the offline engine): the same four trailers.
            "tester: wrote tests\n\nAutocrea-Engine: joxcoder\nAutocrea-Model: none\nAutocrea-Tokens: 0\n\
             Autocrea-Run: r1\n"
        );
    }

    #[test]
    fn commit_step_refuses_another_branch_and_bad_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        user_repo(dir);
        let run = prepare(dir, "Shop", "r1", "x\n", UserChanges::Refuse).unwrap();
        let s = step(Role::Backend, "wrote");
        let err = commit_step(&run, dir, &["../x".into()], &s, BOT_EMAIL).unwrap_err();
        assert!(matches!(err, GitError::BadPath { .. }), "{err}");
        git(dir, &["switch", "-q", "main"]);
        write(dir, "a.py", "\n");
        let err = commit_step(&run, dir, &["a.py".into()], &s, BOT_EMAIL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the run's branch autocrea/shop is no longer checked out (HEAD is main); \
             switch back with `git switch autocrea/shop`"
        );
    }

    #[test]
    fn undo_refuses_the_users_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = user_repo(tmp.path());
        let err = undo(tmp.path()).unwrap_err();
        let id = short(head(&repo).id());
        assert_eq!(
            err.to_string(),
            format!("the last commit {id} (\"first\") was not made by AUTOCREA; nothing was undone")
        );
    }

    #[test]
    fn undo_refuses_a_commit_whose_files_changed_since() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let repo = user_repo(dir);
        let run = prepare(dir, "Shop", "r1", "x\n", UserChanges::Refuse).unwrap();
        write(dir, "a.py", "a\n");
        write(dir, "b.py", "b\n");
        let id =
            commit_step(&run, dir, &["a.py".into(), "b.py".into()], &step(Role::Backend, "w"), BOT_EMAIL)
                .unwrap()
                .unwrap();
        write(dir, "b.py", "my edit\n");
        let err = undo(dir).unwrap_err();
        let GitError::EditedSince { files, .. } = &err else { panic!("{err}") };
        assert_eq!(files, &["b.py"]);
        assert_eq!(head(&repo).id(), id);
        assert_eq!(fs::read_to_string(dir.join("b.py")).unwrap(), "my edit\n");
    }

    #[test]
    fn undo_refuses_a_pushed_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("work");
        let remote = tmp.path().join("remote.git");
        let repo = user_repo(&dir);
        git(tmp.path(), &["init", "-q", "--bare", remote.to_str().unwrap()]);
        git(&dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
        let run = prepare(&dir, "Shop", "r1", "x\n", UserChanges::Refuse).unwrap();
        write(&dir, "a.py", "a\n");
        let id =
            commit_step(&run, &dir, &["a.py".into()], &step(Role::Backend, "w"), BOT_EMAIL).unwrap().unwrap();
        deploy(&dir, None).unwrap();
        let err = undo(&dir).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "step {0} was already pushed (it is on origin/autocrea/shop); take it back with `git revert {0}` instead",
                short(id)
            )
        );
        assert_eq!(head(&repo).id(), id);
    }

    #[test]
    fn undo_restores_the_tree_as_before_the_step() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let repo = user_repo(dir);
        let run = prepare(dir, "Shop", "r1", "x\n", UserChanges::Refuse).unwrap();
        let before_all = snapshot(dir);

        write(dir, "api/main.py", "v1\n");
        let first = commit_step(&run, dir, &["api/main.py".into()], &step(Role::Backend, "w"), BOT_EMAIL)
            .unwrap()
            .unwrap();
        let before = snapshot(dir);

        write(dir, "api/main.py", "v2\n");
        write(dir, "web/src/pages/[id].tsx", "page\n");
        write(dir, "README.md", "rewritten by the role\n");
        let paths: Vec<String> =
            ["api/main.py", "web/src/pages/[id].tsx", "README.md"].map(String::from).into();
        commit_step(&run, dir, &paths, &step(Role::Frontend, "wrote 3 files"), BOT_EMAIL).unwrap().unwrap();
        write(dir, "scratch.txt", "the user's, untouched\n");

        let undone = undo(dir).unwrap();
        assert_eq!(undone.role, Role::Frontend);
        assert_eq!(undone.summary, "frontend: wrote 3 files");
        assert_eq!(undone.paths, ["README.md", "api/main.py", "web/src/pages/[id].tsx"]);
        assert_eq!(head(&repo).id(), first);
        assert_eq!(branch(&repo), "autocrea/shop");
        let mut expected = before;
        expected.insert("scratch.txt".into(), Some("the user's, untouched\n".into()));
        assert_eq!(snapshot(dir), expected);
        assert_eq!(clean(&repo), ["scratch.txt"]);

        let undone = undo(dir).unwrap();
        assert_eq!((undone.role, undone.paths), (Role::Backend, vec!["api/main.py".to_string()]));
        let mut expected = before_all;
        expected.insert("scratch.txt".into(), Some("the user's, untouched\n".into()));
        assert_eq!(snapshot(dir), expected);
        assert_eq!(head(&repo).id(), run.base.unwrap());
        assert!(matches!(undo(dir), Err(GitError::NotAutocrea { .. })));
    }

    #[test]
    fn a_cancelled_step_is_discarded_back_to_the_last_complete_one() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shop");
        let run = prepare(&dir, "Shop", "r1", ".env\n", UserChanges::Refuse).unwrap();
        let repo = Repository::open(&dir).unwrap();
        set_identity(&dir);
        write(&dir, "spec.json", "{}\n");
        commit_step(&run, &dir, &["spec.json".into()], &step(Role::Architect, "w"), BOT_EMAIL)
            .unwrap()
            .unwrap();
        write(&dir, "api/main.py", "v1\n");
        let second = commit_step(&run, &dir, &["api/main.py".into()], &step(Role::Backend, "w"), BOT_EMAIL)
            .unwrap()
            .unwrap();
        let done = snapshot(&dir);

        // The third step was cancelled half-way through its files.
        write(&dir, "api/main.py", "v2, half done\n");
        write(&dir, "web/src/app.tsx", "new\n");
        write(&dir, ".env", "SECRET=1\n");
        let paths: Vec<String> =
            ["api/main.py", "web/src/app.tsx", ".env", "web/never-written.css"].map(String::from).into();
        discard_uncommitted(&run, &dir, &paths).unwrap();
        assert_eq!(head(&repo).id(), second);
        assert_eq!(snapshot(&dir), done);
        assert_eq!(clean(&repo), Vec::<String>::new());
    }

    #[test]
    fn deploy_pushes_the_branch_and_sets_its_upstream() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("work");
        let remote = tmp.path().join("remote.git");
        let repo = user_repo(&dir);
        git(tmp.path(), &["init", "-q", "--bare", remote.to_str().unwrap()]);
        git(&dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
        let run = prepare(&dir, "Shop", "r1", "x\n", UserChanges::Refuse).unwrap();
        write(&dir, "a.py", "a\n");
        let id =
            commit_step(&run, &dir, &["a.py".into()], &step(Role::Backend, "w"), BOT_EMAIL).unwrap().unwrap();
        let said = deploy(&dir, Some("origin")).unwrap();
        assert!(said.contains("refs/heads/autocrea/shop"), "{said}");
        let pushed = Repository::open_bare(&remote).unwrap();
        assert_eq!(pushed.refname_to_id("refs/heads/autocrea/shop").unwrap(), id);
        let config = repo.config().unwrap().snapshot().unwrap();
        assert_eq!(config.get_str("branch.autocrea/shop.remote").unwrap(), "origin");
    }

    #[test]
    fn deploy_quotes_a_refusal() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("work");
        let remote = tmp.path().join("remote.git");
        user_repo(&dir);
        git(tmp.path(), &["init", "-q", "--bare", remote.to_str().unwrap()]);
        let hook = remote.join("hooks/pre-receive");
        fs::write(&hook, "#!/bin/sh\necho 'pushes are frozen today' >&2\nexit 1\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();
        }
        git(&dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
        git(&dir, &["remote", "add", "nowhere", tmp.path().join("missing.git").to_str().unwrap()]);
        prepare(&dir, "Shop", "r1", "x\n", UserChanges::Refuse).unwrap();

        let err = deploy(&dir, None).unwrap_err();
        let GitError::Push { remote, branch, message } = &err else { panic!("{err}") };
        assert_eq!((remote.as_str(), branch.as_str()), ("origin", "autocrea/shop"));
        assert!(message.contains("pushes are frozen today"), "{message}");
        assert!(err.to_string().starts_with("`git push` of autocrea/shop to origin was refused: "));

        let err = deploy(&dir, Some("nowhere")).unwrap_err();
        assert!(err.to_string().contains("does not appear to be a git repository"), "{err}");
    }
}
