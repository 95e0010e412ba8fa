//! The append-only history of a state: every change, with who, when, from which host and why.
//!
//! One JSON object per line in `NAME.history.jsonl` beside the state file. Each entry carries
//! the digest of the entry before it and its own digest over its content, so an entry edited,
//! removed or reordered by hand breaks the chain at a place [`verify`] names. The state file is
//! a snapshot of replaying the history ([`super::State::apply`]), which `verify` also checks.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::runner::Evidence;
use crate::verify::Outcome;

/// The `prev` of the first entry.
pub const GENESIS: &str = "genesis";

/// A change to the state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// `definition`: the digest of the item's definition that was signed.
    Sign {
        item: String,
        definition: String,
        note: Option<String>,
    },
    Unsign {
        item: String,
        reason: Option<String>,
    },
    Approve {
        phase: String,
        role: String,
        note: Option<String>,
        outcomes: BTreeMap<String, Outcome>,
    },
    Waive {
        item: String,
        reason: String,
        until: Timestamp,
        ticket: Option<String>,
    },
    Unwaive {
        item: String,
        reason: Option<String>,
    },
    Run {
        phase: String,
        results: BTreeMap<String, RunResult>,
    },
    /// A new deployment: the previous one's record is archived and the next starts clean.
    Open { lead: String, date: String },
}

/// One item's outcome in a recorded run, with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResult {
    pub outcome: Outcome,
    pub evidence: Evidence,
}

/// One line of the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// 1 for the first entry, then one more each time.
    pub seq: u64,
    pub at: Timestamp,
    pub by: String,
    pub host: String,
    /// What changed.
    pub change: Action,
    /// The digest of the entry before, or [`GENESIS`].
    pub prev: String,
    /// SHA-256 over this entry's other fields.
    pub digest: String,
}

/// The fields an entry's digest covers, in a fixed order.
#[derive(Serialize)]
struct Sealed<'a> {
    seq: u64,
    at: &'a Timestamp,
    by: &'a str,
    host: &'a str,
    change: &'a Action,
    prev: &'a str,
}

impl Entry {
    /// A new entry after `prev`, sealed with its digest.
    pub fn new(seq: u64, by: &str, action: Action, prev: &str) -> Entry {
        let mut entry = Entry {
            seq,
            at: Timestamp::now(),
            by: by.to_string(),
            host: host_name(),
            change: action,
            prev: prev.to_string(),
            digest: String::new(),
        };
        entry.digest = entry.computed_digest();
        entry
    }

    pub fn computed_digest(&self) -> String {
        let sealed = Sealed {
            seq: self.seq,
            at: &self.at,
            by: &self.by,
            host: &self.host,
            change: &self.change,
            prev: &self.prev,
        };
        let bytes = serde_json::to_vec(&sealed).expect("an entry always encodes");
        hex(&Sha256::digest(bytes))
    }
}

/// The last recorded run of each phase in the current deployment, with when it was recorded:
/// opening a deployment archives the runs before it, as it does in the state.
pub fn last_runs(entries: &[Entry]) -> BTreeMap<String, (Timestamp, &BTreeMap<String, RunResult>)> {
    let mut runs = BTreeMap::new();
    for entry in entries {
        match &entry.change {
            Action::Run { phase, results } => {
                runs.insert(phase.clone(), (entry.at, results));
            }
            Action::Open { .. } => runs.clear(),
            _ => {}
        }
    }
    runs
}

/// The history file that belongs to a state file.
pub fn path_for(state: &Path) -> PathBuf {
    let name = state
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("state.json");
    let stem = name.strip_suffix(".json").unwrap_or(name);
    state.with_file_name(format!("{stem}.history.jsonl"))
}

/// What reading a history found.
#[derive(Debug, Default)]
pub struct Read {
    pub entries: Vec<Entry>,
    /// A last line cut short by a killed writer: not part of the history.
    pub torn_tail: Option<usize>,
}

/// Reads every entry; a line that is not an entry is an error naming its line, except a last
/// line without its newline, which a killed writer left and which never counted.
pub fn read(path: &Path) -> anyhow::Result<Read> {
    let text = match super::read_regular_file(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::default()),
        Err(e) => return Err(e).with_context(|| format!("cannot read history {}", path.display())),
    };
    let mut read = Read::default();
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        // A last line without its newline was cut short by a killed writer: it never counted.
        if i + 1 == lines.len() && !complete {
            read.torn_tail = Some(i + 1);
            break;
        }
        let entry = serde_json::from_str::<Entry>(line).with_context(|| {
            format!(
                "history {} line {}: not a history entry; run `barkcheck verify`",
                path.display(),
                i + 1
            )
        })?;
        read.entries.push(entry);
    }
    Ok(read)
}

/// Appends one entry and flushes it to disk; a torn last line is cut off first.
pub fn append(path: &Path, read: &Read, entry: &Entry) -> anyhow::Result<()> {
    let context = || format!("cannot append to history {}", path.display());
    if read.torn_tail.is_some() {
        let text = fs::read_to_string(path).with_context(context)?;
        let keep = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
        fs::write(path, &text[..keep]).with_context(context)?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(context)?;
    let mut line = serde_json::to_string(entry).with_context(context)?;
    line.push('\n');
    file.write_all(line.as_bytes()).with_context(context)?;
    file.sync_all().with_context(context)
}

/// Where a history's chain breaks, if it does.
#[derive(Debug, PartialEq, Eq)]
pub enum Break {
    /// The entry's content no longer matches its digest: edited by hand.
    Edited { seq: u64, line: usize },
    /// The entry does not follow the one before: an entry removed, inserted or reordered.
    Unlinked {
        seq: u64,
        line: usize,
        expected_seq: u64,
    },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Edited { seq, line } => {
                write!(
                    f,
                    "entry {seq} on line {line} was changed after it was recorded"
                )
            }
            Break::Unlinked {
                seq,
                line,
                expected_seq,
            } => write!(
                f,
                "line {line} holds entry {seq} where entry {expected_seq} should follow: an \
                 entry was removed, inserted or moved"
            ),
        }
    }
}

/// Checks the chain from the first entry; the first break found.
pub fn check_chain(entries: &[Entry]) -> Option<Break> {
    let mut prev = GENESIS.to_string();
    for (i, entry) in entries.iter().enumerate() {
        let line = i + 1;
        if entry.seq != line as u64 || entry.prev != prev {
            return Some(Break::Unlinked {
                seq: entry.seq,
                line,
                expected_seq: line as u64,
            });
        }
        if entry.computed_digest() != entry.digest {
            return Some(Break::Edited {
                seq: entry.seq,
                line,
            });
        }
        prev = entry.digest.clone();
    }
    None
}

/// The name of this machine, for the record; "unknown" when it cannot be read.
fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> Vec<Entry> {
        let a = Entry::new(
            1,
            "alice",
            Action::Unsign {
                item: "x".into(),
                reason: None,
            },
            GENESIS,
        );
        let b = Entry::new(
            2,
            "bob",
            Action::Unsign {
                item: "y".into(),
                reason: None,
            },
            &a.digest,
        );
        let c = Entry::new(
            3,
            "carol",
            Action::Unsign {
                item: "z".into(),
                reason: None,
            },
            &b.digest,
        );
        vec![a, b, c]
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(check_chain(&chain()), None);
    }

    #[test]
    fn an_edited_entry_is_found() {
        let mut entries = chain();
        entries[1].by = "mallory".into();
        assert_eq!(
            check_chain(&entries),
            Some(Break::Edited { seq: 2, line: 2 })
        );
    }

    #[test]
    fn a_removed_entry_is_found() {
        let mut entries = chain();
        entries.remove(1);
        assert_eq!(
            check_chain(&entries),
            Some(Break::Unlinked {
                seq: 3,
                line: 2,
                expected_seq: 2
            })
        );
    }
}
