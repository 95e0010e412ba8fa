//! Local secrets and git: checks of the machine barkcheck runs on, with no network call.
//!
//! `local_secret` reads a secret from barkcheck's environment or, when the environment lacks
//! it, from an env file (`aws/cdk/.env`), as dotenv does: a variable already set wins. It shows
//! only what can be known without the value: its length, whether it is base64 and how many bytes
//! that decodes to, whether it differs from the previous secret, and a SHA-256 fingerprint (the
//! first 12 hex digits) to compare two environments by. The value itself is never kept.
//!
//! `git_file` runs the `git` program (argv only, no shell): `ls-files --error-unmatch` (tracked
//! now), `log --all` (in any commit of any ref) and `check-ignore` (covered by .gitignore). The
//! program rather than a crate, since the index has several formats (v2 to v4, split, sparse)
//! and history needs a full object reader: git is the reference for both, it is present wherever
//! a checkout is, and a library for it would be the largest dependency barkcheck has.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use super::{FetchError, Kind, TargetProblem};
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextList};
use crate::checklist::expect::{Field, field};

/// How long one git command may take: these read the index and walk history.
const GIT_TIMEOUT: Duration = Duration::from_secs(60);

/// The most commits `committed_in` lists.
const COMMITS_SHOWN: usize = 5;

pub const SECRET_FIELDS: &[Field] = &[
    field("name", Text, "the variable's name"),
    field(
        "source",
        Text,
        "where the value was found: environment, or the env file's path",
    ),
    field("present", Bool, "the variable is set and not empty"),
    field("length", Number, "the value's length in characters"),
    field(
        "is_base64",
        Bool,
        "the value is standard base64 (A-Z a-z 0-9 + /, padded with =)",
    ),
    field(
        "decoded_bytes",
        Number,
        "how many bytes the base64 decodes to (64 for `openssl rand -base64 64`)",
    ),
    field("previous_present", Bool, "the previous secret is set"),
    field(
        "differs_from_previous",
        Bool,
        "the value is not the previous secret's (true when there is none)",
    ),
    field(
        "fingerprint",
        Text,
        "sha256: and the first 12 hex digits of the value's SHA-256",
    ),
];

pub const GIT_FILE_FIELDS: &[Field] = &[
    field("path", Text, "the path, relative to the repository"),
    field("repo", Text, "the repository's directory"),
    field("exists", Bool, "the file is in the working tree"),
    field(
        "tracked",
        Bool,
        "git tracks it now (`git ls-files --error-unmatch`)",
    ),
    field(
        "ever_committed",
        Bool,
        "some commit reachable from any ref has it (`git log --all`)",
    ),
    field(
        "committed_in",
        TextList,
        "the newest commits that touched it (short hashes, at most 5)",
    ),
    field("ignored", Bool, ".gitignore covers it (`git check-ignore`)"),
];

/// Checks the target of `local_secret` or `git_file` at load time.
pub fn check_target(kind: Kind, target: &Json) -> Result<(), TargetProblem> {
    if kind == Kind::LocalSecret
        && let Json::String(name) = target
    {
        return check_variable_name(name).map_err(TargetProblem::new);
    }
    let Json::Object(map) = target else {
        return Err(TargetProblem::new(match kind {
            Kind::LocalSecret => {
                "takes a variable's name, or {name: JWT_SECRET, env_file: PATH, previous: JWT_SECRET_OLD}"
            }
            _ => "takes {repo: DIRECTORY, path: FILE}",
        }));
    };
    let (allowed, required): (&[&str], &[&str]) = match kind {
        Kind::LocalSecret => (&["name", "env_file", "previous"], &["name"]),
        _ => (&["repo", "path"], &["repo", "path"]),
    };
    for (key, value) in map {
        if !allowed.contains(&key.as_str()) {
            return Err(TargetProblem::unknown_key(key, allowed));
        }
        let Some(text) = value.as_str().filter(|t| !t.is_empty()) else {
            return Err(TargetProblem::at(key, format!("`{key}` is text")));
        };
        if matches!(key.as_str(), "name" | "previous") {
            check_variable_name(text).map_err(|m| TargetProblem::at(key, m))?;
        }
    }
    match required.iter().find(|k| !map.contains_key(**k)) {
        Some(missing) => Err(TargetProblem::new(format!("needs `{missing}`"))),
        None => Ok(()),
    }
}

fn check_variable_name(name: &str) -> Result<(), String> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err("a variable's name is letters, digits and underscores, like JWT_SECRET".into())
    }
}

/// Reads a secret and describes it without its value.
pub async fn secret(target: &Json) -> Result<Vec<Json>, FetchError> {
    let (name, env_file, previous) = match target {
        Json::String(name) => (name.as_str(), None, None),
        other => (
            other["name"].as_str().unwrap_or_default(),
            other["env_file"].as_str().map(PathBuf::from),
            other["previous"].as_str(),
        ),
    };
    let call = format!("reading {name}");

    // The env file is read only when the environment lacks a variable, as dotenv does.
    let from_env = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
    let mut file: Option<Result<Vec<(String, String)>, String>> = None;
    let mut lookup = |var: &str| -> Result<Option<(String, String)>, String> {
        if let Some(value) = from_env(var) {
            return Ok(Some((value, "environment".into())));
        }
        let Some(path) = &env_file else {
            return Ok(None);
        };
        let parsed = file.get_or_insert_with(|| read_env_file(path));
        let pairs = parsed.as_ref().map_err(Clone::clone)?;
        Ok(pairs
            .iter()
            .rev()
            .find(|(k, _)| k == var)
            .filter(|(_, v)| !v.is_empty())
            .map(|(_, v)| (v.clone(), path.display().to_string())))
    };

    let found = lookup(name).map_err(|cause| {
        FetchError::new(
            &call,
            format!(
                "{name} is not in the environment, and {cause}: set {name}, or the path of \
                     the env file"
            ),
        )
    })?;
    let previous_value = match previous {
        Some(var) => lookup(var).map_err(|cause| FetchError::new(&call, cause))?,
        None => None,
    };
    let Some((value, source)) = found else {
        return Ok(vec![json!({
            "name": name,
            "source": env_file.map(|p| p.display().to_string()).unwrap_or("environment".into()),
            "present": false,
        })]);
    };
    Ok(vec![describe(
        name,
        &value,
        &source,
        previous_value.as_ref().map(|(v, _)| v.as_str()),
    )])
}

/// What can be said of a secret without its value.
fn describe(name: &str, value: &str, source: &str, previous: Option<&str>) -> Json {
    let decoded = base64::engine::general_purpose::STANDARD.decode(value).ok();
    let digest = Sha256::digest(value.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    json!({
        "name": name,
        "source": source,
        "present": true,
        "length": value.chars().count(),
        "is_base64": decoded.is_some(),
        "decoded_bytes": decoded.map(|d| d.len()),
        "previous_present": previous.is_some(),
        "differs_from_previous": previous != Some(value),
        "fingerprint": format!("sha256:{hex}"),
    })
}

/// Reads `NAME=value` lines as dotenv does: `export ` prefixes, `#` comments, quoted values.
fn read_env_file(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("the env file {} cannot be read ({e})", path.display()))?;
    Ok(parse_env(&text))
}

fn parse_env(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let raw = raw.trim();
        let value = match raw.chars().next() {
            Some(quote @ ('"' | '\'')) => raw[1..]
                .find(quote)
                .map(|end| raw[1..1 + end].to_string())
                .unwrap_or_else(|| raw.to_string()),
            // An unquoted value ends at ` #`, which starts a comment.
            _ => raw
                .split(" #")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        pairs.push((key.trim().to_string(), value));
    }
    pairs
}

/// Where a file stands with git.
// TODO: this follows one path; a secret pasted into another file, or a history rewritten with
// the file renamed, escapes it (searching every revision for the value would need the value on
// git's command line or a full object reader).
pub async fn git_file(target: &Json) -> Result<Vec<Json>, FetchError> {
    let repo = PathBuf::from(target["repo"].as_str().unwrap_or("."));
    let path = target["path"].as_str().unwrap_or_default();

    let tracked = git(&repo, &["ls-files", "--error-unmatch", "--", path]).await?;
    let tracked = match tracked.code {
        0 => true,
        1 => false,
        _ => return Err(tracked.failure("git ls-files")),
    };
    let log = git(&repo, &["log", "--all", "--format=%h", "--", path]).await?;
    if log.code != 0 {
        return Err(log.failure("git log --all"));
    }
    let commits: Vec<&str> = log.stdout.lines().filter(|l| !l.is_empty()).collect();
    let ignored = git(&repo, &["check-ignore", "-q", "--", path]).await?;
    let ignored = match ignored.code {
        0 => true,
        1 => false,
        _ => return Err(ignored.failure("git check-ignore")),
    };
    Ok(vec![json!({
        "path": path,
        "repo": repo.display().to_string(),
        "exists": repo.join(path).exists(),
        "tracked": tracked,
        "ever_committed": !commits.is_empty(),
        "committed_in": commits.iter().take(COMMITS_SHOWN).collect::<Vec<_>>(),
        "ignored": ignored,
    })])
}

/// What a git command said.
struct GitOutput {
    code: i32,
    stdout: String,
    stderr: String,
    repo: PathBuf,
}

impl GitOutput {
    fn failure(&self, what: &str) -> FetchError {
        FetchError::new(
            format!("{what} in {}", self.repo.display()),
            format!(
                "git exited {}: {}",
                self.code,
                self.stderr.trim().lines().next().unwrap_or("no message")
            ),
        )
    }
}

/// Runs git in `repo`. The repository's hooks never run for these read-only commands; an
/// fsmonitor it configures would, so it is switched off. GIT_DIR and kin from barkcheck's
/// environment are dropped so that the repository named is the one read.
async fn git(repo: &Path, args: &[&str]) -> Result<GitOutput, FetchError> {
    let call = format!("git {} in {}", args[0], repo.display());
    let mut command = tokio::process::Command::new("git");
    command
        .arg("-C")
        .arg(repo)
        .args(["-c", "core.fsmonitor=false"])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(GIT_TIMEOUT, command.output())
        .await
        .map_err(|_| {
            FetchError::new(
                &call,
                format!("no answer within {} s", GIT_TIMEOUT.as_secs()),
            )
        })?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                FetchError::new(&call, "the git program is not installed (or not on PATH)")
            }
            _ => FetchError::new(&call, e.to_string()),
        })?;
    Ok(GitOutput {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        repo: repo.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_read_as_dotenv_reads_them() {
        let text = "# backend\nexport STAGE=prod\nJWT_SECRET=\"abc def\"\nA='x#y'\nB=plain # note\n\
                    broken line\nEMPTY=\n";
        let pairs = parse_env(text);
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("STAGE"), Some("prod"));
        assert_eq!(get("JWT_SECRET"), Some("abc def"));
        assert_eq!(get("A"), Some("x#y"));
        assert_eq!(get("B"), Some("plain"));
        assert_eq!(get("EMPTY"), Some(""));
    }

    #[test]
    fn a_secret_is_described_without_its_value() {
        let value = "A".repeat(86) + "==";
        let described = describe("JWT_SECRET", &value, "environment", Some("old"));
        let text = described.to_string();
        assert!(!text.contains(&value));
        assert_eq!(described["length"], 88);
        assert_eq!(described["is_base64"], true);
        assert_eq!(described["decoded_bytes"], 64);
        assert_eq!(described["differs_from_previous"], true);
        assert_eq!(
            described["fingerprint"].as_str().unwrap().len(),
            "sha256:".len() + 12
        );

        let same = describe("JWT_SECRET", "abc", "environment", Some("abc"));
        assert_eq!(same["differs_from_previous"], false);
        assert_eq!(same["is_base64"], false);
    }
}
