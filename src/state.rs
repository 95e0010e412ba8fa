//! The local state file: sign-offs, role approvals, the last run of each phase.
//!
//! One JSON file per checklist and environment, readable by people and diffable in review.
//! Every change is made under an exclusive lock on a sibling `.lock` file, from a fresh read,
//! and written to a temporary file that is flushed and renamed over the old one, so two
//! engineers signing at once both land and a killed process leaves the previous state whole.
//! A file that cannot be read as a state of a known version is refused and never overwritten.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::verify::Outcome;

/// The state format this build reads and writes.
pub const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// The format version.
    pub barkcheck_state: u32,
    /// The checklist this state belongs to, so a state is not applied to another checklist.
    pub checklist: String,
    pub environment: String,
    /// Manual items signed, by item id.
    #[serde(default)]
    pub signoffs: BTreeMap<String, SignOff>,
    /// Role approvals, by phase id and role.
    #[serde(default)]
    pub approvals: BTreeMap<String, BTreeMap<String, Approval>>,
    /// The last run of each phase, by phase id.
    #[serde(default)]
    pub runs: BTreeMap<String, LastRun>,
    /// Where `walk` stopped in each phase: the last item it showed.
    #[serde(default)]
    pub walk: BTreeMap<String, String>,
}

/// An engineer's word that a manual item is done.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignOff {
    pub by: String,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The digest of the item's definition when it was signed; a different digest now means
    /// the item changed and the sign-off is stale.
    pub digest: String,
}

/// A role's approval of a phase.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub by: String,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The outcomes of the last run of a phase.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastRun {
    pub at: Timestamp,
    pub outcomes: BTreeMap<String, Outcome>,
}

impl State {
    fn new(checklist: &str, environment: &str) -> State {
        State {
            barkcheck_state: FORMAT,
            checklist: checklist.to_string(),
            environment: environment.to_string(),
            signoffs: BTreeMap::new(),
            approvals: BTreeMap::new(),
            runs: BTreeMap::new(),
            walk: BTreeMap::new(),
        }
    }
}

/// A state file on disk, bound to one checklist and environment.
#[derive(Debug, Clone)]
pub struct StateFile {
    pub path: PathBuf,
    checklist: String,
    environment: String,
}

impl StateFile {
    pub fn new(path: PathBuf, checklist: &str, environment: &str) -> StateFile {
        StateFile {
            path,
            checklist: checklist.to_string(),
            environment: environment.to_string(),
        }
    }

    /// The state as it is now; an empty state when the file does not exist yet.
    pub fn read(&self) -> anyhow::Result<State> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(State::new(&self.checklist, &self.environment));
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read state file {}", self.path.display()));
            }
        };
        self.parse(&text)
    }

    fn parse(&self, text: &str) -> anyhow::Result<State> {
        let path = self.path.display();
        // Read the version first, so a newer file is named as such rather than as corrupt.
        let version = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("barkcheck_state").and_then(|n| n.as_u64()));
        if let Some(version) = version.filter(|v| *v > u64::from(FORMAT)) {
            bail!(
                "state file {path} has format {version}, newer than this barkcheck reads ({FORMAT}); \
                 upgrade barkcheck (the file was left untouched)"
            );
        }
        let state: State = serde_json::from_str(text).with_context(|| {
            format!(
                "state file {path} is not a valid barkcheck state (the file was left untouched)"
            )
        })?;
        if state.checklist != self.checklist {
            bail!(
                "state file {path} belongs to checklist \"{}\", not \"{}\"; choose another with --state",
                state.checklist,
                self.checklist
            );
        }
        Ok(state)
    }

    /// Applies `change` to the current state under the lock and writes the result atomically.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut State) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let lock_path = lock_path(&self.path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open lock file {}", lock_path.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;

        let mut state = self.read()?;
        let answer = change(&mut state)?;
        self.write(&state, dir)?;
        drop(lock);
        Ok(answer)
    }

    fn write(&self, state: &State, dir: &Path) -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(state).context("cannot encode the state")?;
        text.push('\n');
        let name = self
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("state");
        let temporary = dir.join(format!(".{name}.tmp{}", std::process::id()));
        let result = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            fs::rename(&temporary, &self.path)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&temporary);
            return Err(e)
                .with_context(|| format!("cannot write state file {}", self.path.display()));
        }
        // The rename is durable only once the directory entry is; not every platform allows it.
        if let Ok(directory) = File::open(dir) {
            let _ = directory.sync_all();
        }
        Ok(())
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The default state path: one file per checklist and environment under `.barkcheck/`.
pub fn default_path(checklist_name: &str, environment: &str) -> PathBuf {
    PathBuf::from(".barkcheck").join(format!(
        "{}.{}.state.json",
        slug(checklist_name),
        slug(environment)
    ))
}

/// Lowercase words joined by hyphens, for file names.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_make_file_names() {
        assert_eq!(
            slug("BarkBase Production Deployment Checklist"),
            "barkbase-production-deployment-checklist"
        );
        assert_eq!(slug("  prod/eu "), "prod-eu");
    }
}
