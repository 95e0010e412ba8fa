//! The state of a checklist in one environment: sign-offs, approvals, waivers, the last run of
//! each phase and the current deployment, with the history of every change.
//!
//! The state file is JSON, one per checklist and environment, readable by people. Every change
//! is made under an exclusive lock on a sibling `.lock` file, from a fresh read: the change is
//! first appended to the history (see [`history`]) and flushed, then the state is written to a
//! temporary file, flushed and renamed over the old one. Two engineers signing at once both
//! land; a process killed mid-write leaves the previous state whole, and a history entry whose
//! state write was cut off is replayed on the next read. A state file that cannot be read as a
//! state of a known version is refused and never overwritten.

pub mod history;
pub mod s3;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::verify::Outcome;
use crate::verify::aws::AwsOptions;
use history::{Action, Entry, GENESIS};
use s3::{Document, S3Location};

/// The state format this build reads and writes.
pub const FORMAT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// The format version.
    pub barkcheck_state: u32,
    /// The checklist this state belongs to, so a state is not applied to another checklist.
    pub checklist: String,
    pub environment: String,
    /// The deployment this state records, once one was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<Deployment>,
    /// Manual items signed, by item id.
    #[serde(default)]
    pub signoffs: BTreeMap<String, SignOff>,
    /// Role approvals, by phase id and role.
    #[serde(default)]
    pub approvals: BTreeMap<String, BTreeMap<String, Approval>>,
    /// Accepted failures, by item id, each until a date.
    #[serde(default)]
    pub waivers: BTreeMap<String, Waiver>,
    /// The last run of each phase, by phase id.
    #[serde(default)]
    pub runs: BTreeMap<String, LastRun>,
    /// Deployments closed by opening a new one, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous: Vec<Archived>,
    /// Where `walk` stopped in each phase: the last item it showed. A convenience, not part of
    /// the record: it is not in the history.
    #[serde(default)]
    pub walk: BTreeMap<String, String>,
    /// How much of the history this snapshot reflects.
    #[serde(default)]
    pub history: Mark,
}

/// The last history entry a state reflects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    pub entries: u64,
    pub head: String,
}

impl Default for Mark {
    fn default() -> Mark {
        Mark {
            entries: 0,
            head: GENESIS.to_string(),
        }
    }
}

/// A deployment record, as in the document's header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    pub lead: String,
    /// The deployment date as given (a calendar date).
    pub date: String,
    pub opened_by: String,
    pub opened_at: Timestamp,
}

/// A closed deployment's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Archived {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<Deployment>,
    pub closed_at: Timestamp,
    pub signoffs: BTreeMap<String, SignOff>,
    pub approvals: BTreeMap<String, BTreeMap<String, Approval>>,
    pub runs: BTreeMap<String, LastRun>,
}

/// An engineer's word that a manual item is done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

/// A role's approval of a phase, bound to the outcomes it saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub by: String,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The phase's outcomes when it was approved; an approval holds while they are unchanged.
    #[serde(default)]
    pub outcomes: BTreeMap<String, Outcome>,
    /// Set by the first recorded run whose outcomes differ: an approval once invalidated stays
    /// so, even if the outcomes later return to what was approved, until the role approves again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalidated: Option<String>,
}

/// `n` of a noun, in words: "1 outcome", "3 outcomes".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The items whose outcome differs between an approval and now, as `id: OLD → NEW`.
pub fn changed_outcomes(
    approved: &BTreeMap<String, Outcome>,
    now: &BTreeMap<String, Outcome>,
) -> Vec<String> {
    let mut changed = Vec::new();
    for (id, outcome) in now {
        match approved.get(id) {
            Some(before) if before == outcome => {}
            Some(before) => changed.push(format!("{id}: {} → {}", before.label(), outcome.label())),
            None => changed.push(format!("{id}: new, {}", outcome.label())),
        }
    }
    for id in approved.keys().filter(|id| !now.contains_key(*id)) {
        changed.push(format!("{id}: removed"));
    }
    changed
}

/// An accepted failure: the item does not fail the gate until `until`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub by: String,
    pub at: Timestamp,
    pub reason: String,
    pub until: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// The outcomes of the last run of a phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
            deployment: None,
            signoffs: BTreeMap::new(),
            approvals: BTreeMap::new(),
            waivers: BTreeMap::new(),
            runs: BTreeMap::new(),
            previous: Vec::new(),
            walk: BTreeMap::new(),
            history: Mark::default(),
        }
    }

    /// Applies one history entry: the only way the recorded parts of a state change, so that
    /// a state is always what replaying its history gives.
    pub fn apply(&mut self, entry: &Entry) {
        let (by, at) = (entry.by.clone(), entry.at);
        match &entry.change {
            Action::Sign {
                item,
                definition,
                note,
            } => {
                let signoff = SignOff {
                    by,
                    at,
                    note: note.clone(),
                    digest: definition.clone(),
                };
                self.signoffs.insert(item.clone(), signoff);
            }
            Action::Unsign { item, .. } => {
                self.signoffs.remove(item);
            }
            Action::Approve {
                phase,
                role,
                note,
                outcomes,
            } => {
                let approval = Approval {
                    by,
                    at,
                    note: note.clone(),
                    outcomes: outcomes.clone(),
                    invalidated: None,
                };
                self.approvals
                    .entry(phase.clone())
                    .or_default()
                    .insert(role.clone(), approval);
            }
            Action::Waive {
                item,
                reason,
                until,
                ticket,
            } => {
                let waiver = Waiver {
                    by,
                    at,
                    reason: reason.clone(),
                    until: *until,
                    ticket: ticket.clone(),
                };
                self.waivers.insert(item.clone(), waiver);
            }
            Action::Unwaive { item, .. } => {
                self.waivers.remove(item);
            }
            Action::Run { phase, results } => {
                let outcomes: BTreeMap<String, Outcome> = results
                    .iter()
                    .map(|(id, r)| (id.clone(), r.outcome))
                    .collect();
                for approval in self
                    .approvals
                    .get_mut(phase)
                    .into_iter()
                    .flat_map(|a| a.values_mut())
                {
                    let changed = changed_outcomes(&approval.outcomes, &outcomes);
                    if approval.invalidated.is_none() && !changed.is_empty() {
                        approval.invalidated = Some(format!(
                            "invalidated at {at}: {} changed since {} approved ({})",
                            count(changed.len(), "outcome"),
                            approval.by,
                            changed.join(", ")
                        ));
                    }
                }
                self.runs.insert(phase.clone(), LastRun { at, outcomes });
            }
            Action::Open { lead, date } => {
                let closed = Archived {
                    deployment: self.deployment.take(),
                    closed_at: at,
                    signoffs: std::mem::take(&mut self.signoffs),
                    approvals: std::mem::take(&mut self.approvals),
                    runs: std::mem::take(&mut self.runs),
                };
                if closed.deployment.is_some()
                    || !closed.signoffs.is_empty()
                    || !closed.runs.is_empty()
                {
                    self.previous.push(closed);
                }
                self.walk.clear();
                // Waivers are risk accepted for the environment until their date, so they stay.
                self.deployment = Some(Deployment {
                    lead: lead.clone(),
                    date: date.clone(),
                    opened_by: by,
                    opened_at: at,
                });
            }
        }
        self.history = Mark {
            entries: entry.seq,
            head: entry.digest.clone(),
        };
    }

    /// The recorded parts of the state, for comparing a snapshot with a replay.
    fn recorded(&self) -> State {
        State {
            walk: BTreeMap::new(),
            ..self.clone()
        }
    }
}

/// A state file on disk, bound to one checklist and environment.
#[derive(Debug, Clone)]
pub struct StateFile {
    /// The local file; for S3, the object's URL as a path, for messages only.
    pub path: PathBuf,
    s3: Option<S3Location>,
    checklist: String,
    environment: String,
}

impl StateFile {
    pub fn new(path: PathBuf, checklist: &str, environment: &str) -> StateFile {
        StateFile {
            path,
            s3: None,
            checklist: checklist.to_string(),
            environment: environment.to_string(),
        }
    }

    /// A state at `where_`: a local path, or `s3://bucket/key` for a team's shared state.
    pub fn at(
        where_: &Path,
        aws: AwsOptions,
        checklist: &str,
        environment: &str,
    ) -> anyhow::Result<StateFile> {
        let text = where_.to_string_lossy();
        if text.trim() != text || text.is_empty() {
            bail!("state {text:?} is empty or has spaces around it; give a path or an s3:// URL");
        }
        let mut file = StateFile::new(where_.to_path_buf(), checklist, environment);
        if let Some(location) = S3Location::parse(&text, aws) {
            file.s3 = Some(location?);
        } else if text.to_ascii_lowercase().starts_with("s3:") || text.starts_with("s3//") {
            bail!("state {text} is neither s3://BUCKET/KEY nor a file's path");
        } else if where_.is_dir() {
            bail!(
                "state {} is a directory: --state takes the path of the state file, such as {}",
                where_.display(),
                where_.join("barkcheck-state.json").display()
            );
        } else if fs::symlink_metadata(where_).is_ok_and(|m| m.file_type().is_symlink()) {
            // A symlinked state file is written where it really is: its lock, its temporary
            // file and its history sit beside it there, and the link stays a link.
            file.path = fs::canonicalize(where_)
                .with_context(|| format!("state {} is a link to nothing", where_.display()))?;
        }
        Ok(file)
    }

    /// Where the state lives, for messages.
    pub fn describe(&self) -> String {
        match &self.s3 {
            Some(s3) => s3.url(),
            None => self.path.display().to_string(),
        }
    }

    /// Where the history lives, for messages.
    pub fn describe_history(&self) -> String {
        match &self.s3 {
            Some(s3) => format!("{} (in the same object)", s3.url()),
            None => self.history_path().display().to_string(),
        }
    }

    /// The history's entries.
    pub fn history(&self) -> anyhow::Result<history::Read> {
        match &self.s3 {
            Some(s3) => Ok(history::Read {
                entries: self
                    .owned_object(s3)?
                    .map(|d| d.history)
                    .unwrap_or_default(),
                torn_tail: None,
            }),
            None => history::read(&self.history_path()),
        }
    }

    /// The S3 object, refused when it is another checklist's or environment's.
    fn owned_object(&self, s3: &S3Location) -> anyhow::Result<Option<Document>> {
        let document = s3.get()?.map(|(document, _)| document);
        if let Some(document) = &document {
            self.check_owner(&document.state)?;
        }
        Ok(document)
    }

    /// Checks an S3 object before anything is read from it or recorded onto it: its owner, its
    /// history's chain, and that its history holds every entry its state counts (entries lost
    /// from it would otherwise be written over, and the loss no longer seen).
    fn check_object(&self, document: &Document) -> anyhow::Result<()> {
        self.check_owner(&document.state)?;
        let url = self.describe();
        if let Some(broken) = history::check_chain(&document.history) {
            bail!(
                "the history in {url} is broken ({broken}); nothing in it can be trusted and \
                 nothing was recorded. Run `barkcheck verify` for details"
            );
        }
        if document.state.history.entries > document.history.len() as u64 {
            bail!(
                "state {url} counts {} recorded entries but its history holds {}: entries were \
                 lost from the history after they were recorded; nothing was read or recorded. \
                 Run `barkcheck verify`, and restore the object from a backup (or an earlier \
                 version)",
                document.state.history.entries,
                document.history.len()
            );
        }
        Ok(())
    }

    /// Checks that a state read from anywhere belongs to this checklist and environment.
    fn check_owner(&self, state: &State) -> anyhow::Result<()> {
        let place = self.describe();
        if state.checklist != self.checklist {
            bail!(
                "state {place} belongs to checklist \"{}\", not \"{}\"; choose another with --state",
                state.checklist,
                self.checklist
            );
        }
        if slug(&state.environment) != slug(&self.environment) {
            bail!(
                "state {place} records environment \"{}\", not \"{}\"; choose another with \
                 --state or --env",
                state.environment,
                self.environment
            );
        }
        if state.barkcheck_state > FORMAT {
            bail!(
                "state {place} has format {}, newer than this barkcheck reads ({FORMAT}); upgrade \
                 barkcheck (it was left untouched)",
                state.barkcheck_state
            );
        }
        Ok(())
    }

    fn empty_document(&self) -> Document {
        Document {
            state: State::new(&self.checklist, &self.environment),
            history: Vec::new(),
        }
    }

    pub fn history_path(&self) -> PathBuf {
        history::path_for(&self.path)
    }

    /// The state as it is now, with any history entry its snapshot missed applied; an empty
    /// state when neither file exists yet.
    pub fn read(&self) -> anyhow::Result<State> {
        if let Some(s3) = &self.s3 {
            return match s3.get()? {
                Some((document, _)) => {
                    self.check_object(&document)?;
                    Ok(self.replayed(&document.state, &document.history, true))
                }
                None => Ok(State::new(&self.checklist, &self.environment)),
            };
        }
        let (state, _) = self.read_both()?;
        Ok(state)
    }

    fn read_both(&self) -> anyhow::Result<(State, history::Read)> {
        let snapshot = self.read_snapshot()?;
        let read = history::read(&self.history_path())?;
        // Each entry is in the history before the state counts it, so a state that counts more
        // entries than the history holds means recorded entries were lost from the history
        // afterwards (a damaged or truncated file): nothing is read or recorded over that.
        if snapshot.history.entries > read.entries.len() as u64 {
            bail!(
                "state file {} counts {} recorded entries but its history {} holds {}: entries \
                 were lost from the history after they were recorded; nothing was read or \
                 recorded. Run `barkcheck verify`, and restore the history from a backup",
                self.path.display(),
                snapshot.history.entries,
                self.history_path().display(),
                read.entries.len()
            );
        }
        if let Some(broken) = history::check_chain(&read.entries) {
            bail!(
                "the history {} is broken ({broken}); nothing in it can be trusted. Run \
                 `barkcheck verify` for details",
                self.history_path().display()
            );
        }
        let complete = snapshot.history.entries == read.entries.len() as u64;
        let state = self.replayed(&snapshot, &read.entries, complete);
        Ok((state, read))
    }

    /// The state that replaying `entries` gives, with the snapshot's walk position (which is
    /// not part of the record). The history is the record and the state its snapshot:
    /// rebuilding from the history means a state edited by hand is never trusted, and an entry
    /// whose state write was cut off or failed still counts. An empty history gives an empty
    /// record, whatever the snapshot says. The caller has checked the chain. When `complete`
    /// (the snapshot counts every entry) and the snapshot differs, a warning says so.
    fn replayed(&self, snapshot: &State, entries: &[Entry], complete: bool) -> State {
        let mut state = State::new(&self.checklist, &snapshot.environment);
        for entry in entries {
            state.apply(entry);
        }
        state.walk = snapshot.walk.clone();
        if complete && state.recorded() != snapshot.recorded() {
            eprintln!(
                "barkcheck: warning: state {} differs from its history; the history is used \
                 (see `barkcheck verify`)",
                self.describe()
            );
        }
        state
    }

    fn read_snapshot(&self) -> anyhow::Result<State> {
        let text = match read_regular_file(&self.path) {
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
                "state file {path} has format {version}, newer than this barkcheck reads \
                 ({FORMAT}); upgrade barkcheck (the file was left untouched)"
            );
        }
        let state: State = serde_json::from_str(text).with_context(|| {
            format!(
                "state file {path} is not a valid barkcheck state (the file was left untouched)"
            )
        })?;
        if state.checklist != self.checklist {
            bail!(
                "state file {path} belongs to checklist \"{}\", not \"{}\"; choose another with \
                 --state",
                state.checklist,
                self.checklist
            );
        }
        if slug(&state.environment) != slug(&self.environment) {
            bail!(
                "state file {path} records environment \"{}\", not \"{}\"; choose another with \
                 --state or --env",
                state.environment,
                self.environment
            );
        }
        Ok(state)
    }

    /// Records one change: `decide` looks at the current state (under the lock) and returns
    /// the action to record, or an error that leaves everything as it was.
    pub fn record<T>(
        &self,
        by: &str,
        mut decide: impl FnMut(&State) -> anyhow::Result<(Action, T)>,
    ) -> anyhow::Result<(State, T)> {
        if let Some(s3) = &self.s3 {
            let check = |document: &Document| self.check_object(document);
            return s3.update(
                check,
                || self.empty_document(),
                |document| {
                    document.state = self.replayed(&document.state, &document.history, true);
                    let (action, answer) = decide(&document.state)?;
                    let state = &mut document.state;
                    let entry =
                        Entry::new(state.history.entries + 1, by, action, &state.history.head);
                    state.apply(&entry);
                    document.history.push(entry);
                    Ok((document.state.clone(), answer))
                },
            );
        }
        let _lock = self.lock()?;
        // A broken history is refused by the read; an intact one is replayed whole, so the state
        // counts every entry the history holds.
        let (mut state, read) = self.read_both()?;
        let (action, answer) = decide(&state)?;
        let entry = Entry::new(state.history.entries + 1, by, action, &state.history.head);
        state.apply(&entry);
        // The entry is flushed to the history while the new state is flushed to a file of its
        // own; the state replaces the old one only once both are on disk, as when done in turn.
        let history = self.history_path();
        let (appended, staged) = std::thread::scope(|scope| {
            let appended = scope.spawn(|| history::append(&history, &read, &entry));
            let staged = self.stage(&state);
            let appended = appended
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (appended, staged)
        });
        if let Err(e) = appended {
            if let Ok(staged) = staged {
                staged.discard();
            }
            return Err(e);
        }
        // The history is the record: once the entry is in it, it counts, and the state file is
        // rebuilt from the history when next read. Recording it again would record it twice.
        staged.and_then(|staged| self.commit(staged)).map_err(|e| {
            e.context(format!(
                "entry {} is recorded in the history {}, but the state file could not be \
                     updated; it is rebuilt from the history when next read, so do not record \
                     this again",
                entry.seq,
                history.display()
            ))
        })?;
        Ok((state, answer))
    }

    /// Changes what is not part of the record (the walk position) under the lock.
    pub fn update_unrecorded(&self, change: impl Fn(&mut State)) -> anyhow::Result<()> {
        if let Some(s3) = &self.s3 {
            let check = |document: &Document| self.check_object(document);
            return s3.update(
                check,
                || self.empty_document(),
                |document| {
                    document.state = self.replayed(&document.state, &document.history, true);
                    change(&mut document.state);
                    Ok(())
                },
            );
        }
        let _lock = self.lock()?;
        let (mut state, _) = self.read_both()?;
        change(&mut state);
        self.write(&state)
    }

    /// Checks the history's chain and that the state is what replaying it gives.
    pub fn verify(&self) -> anyhow::Result<Verification> {
        let (snapshot, read) = match &self.s3 {
            Some(s3) => match self.owned_object(s3)? {
                Some(d) => (
                    d.state,
                    history::Read {
                        entries: d.history,
                        torn_tail: None,
                    },
                ),
                None => (
                    State::new(&self.checklist, &self.environment),
                    history::Read::default(),
                ),
            },
            None => (self.read_snapshot()?, history::read(&self.history_path())?),
        };
        let mut problems = Vec::new();
        if let Some(line) = read.torn_tail {
            problems.push(format!(
                "line {line} of the history is cut short (a writer was killed); it never counted \
                 and the next change removes it"
            ));
        }
        if let Some(broken) = history::check_chain(&read.entries) {
            problems.push(match broken {
                history::Break::Edited { seq, line } => format!(
                    "history entry {seq} (line {line}) does not match its digest: it was edited \
                     after it was written"
                ),
                history::Break::Unlinked {
                    seq,
                    line,
                    expected_seq,
                } => format!(
                    "history line {line} holds entry {seq} where entry {expected_seq} should \
                     follow the one before: an entry was removed, inserted or reordered"
                ),
            });
            return Ok(Verification {
                entries: read.entries.len(),
                problems,
                behind: 0,
            });
        }
        // The state file is a snapshot of the first entries it counts. It may count fewer than
        // the history holds (a state write that failed after its entry was appended: reads
        // replay the rest), never more.
        let counted = usize::try_from(snapshot.history.entries).unwrap_or(usize::MAX);
        let held = read.entries.len();
        let miscounted = if counted == 0 && held > 0 {
            Some(format!(
                "state {} is missing or counts none of the {held} entries of its history",
                self.describe()
            ))
        } else if counted > held {
            Some(format!(
                "state {} counts {counted} recorded entries but its history holds {held}: \
                 entries were lost from the history after they were recorded",
                self.describe()
            ))
        } else {
            None
        };
        if let Some(problem) = miscounted {
            problems.push(problem);
            return Ok(Verification {
                entries: held,
                problems,
                behind: 0,
            });
        }
        let mut replayed = State::new(&self.checklist, &snapshot.environment);
        for entry in &read.entries[..counted] {
            replayed.apply(entry);
        }
        if replayed.recorded() != snapshot.recorded() {
            problems.push(format!(
                "state {} differs from what its history records: {}",
                self.describe(),
                differences(&snapshot, &replayed).join("; ")
            ));
        }
        Ok(Verification {
            entries: read.entries.len(),
            problems,
            behind: read.entries.len() - counted,
        })
    }

    fn lock(&self) -> anyhow::Result<File> {
        let dir = self.dir();
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let lock_path = lock_path(&self.path);
        // Opening a FIFO for writing would wait for a reader.
        if fs::metadata(&lock_path).is_ok_and(|m| !m.is_file()) {
            bail!("lock file {} is not a regular file", lock_path.display());
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open lock file {}", lock_path.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        Ok(lock)
    }

    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn write(&self, state: &State) -> anyhow::Result<()> {
        let staged = self.stage(state)?;
        self.commit(staged)
    }

    /// Writes `state` to a temporary file beside the state file and flushes it to disk.
    fn stage(&self, state: &State) -> anyhow::Result<Staged> {
        let dir = self.dir();
        let mut text = serde_json::to_string_pretty(state).context("cannot encode the state")?;
        text.push('\n');
        let name = self
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("state");
        let temporary = dir.join(format!(".{name}.tmp{}", std::process::id()));
        // Temporary files of writers killed before their rename are of no use to anyone.
        let prefix = format!(".{name}.tmp");
        if let Ok(listing) = fs::read_dir(dir) {
            for stale in listing.flatten() {
                // `.s.json.tmp123`, never `.s.json.tmpx.tmp123` (another state file's).
                let ours = |name: &str| {
                    name.strip_prefix(&prefix).is_some_and(|pid| {
                        !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())
                    })
                };
                if stale.file_name().to_str().is_some_and(ours) {
                    let _ = fs::remove_file(stale.path());
                }
            }
        }
        let result = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(text.as_bytes())?;
            // The new state keeps the old one's permissions: one kept private stays private.
            if let Ok(old) = fs::metadata(&self.path) {
                file.set_permissions(old.permissions())?;
            }
            file.sync_all()
        })();
        let staged = Staged { temporary };
        match result {
            Ok(()) => Ok(staged),
            Err(e) => {
                staged.discard();
                Err(e).with_context(|| format!("cannot write state file {}", self.path.display()))
            }
        }
    }

    /// Puts a staged state in place of the state file.
    fn commit(&self, staged: Staged) -> anyhow::Result<()> {
        if let Err(e) = fs::rename(&staged.temporary, &self.path) {
            staged.discard();
            return Err(e)
                .with_context(|| format!("cannot write state file {}", self.path.display()));
        }
        // The rename is durable only once the directory entry is; not every platform allows it.
        if let Ok(directory) = File::open(self.dir()) {
            let _ = directory.sync_all();
        }
        Ok(())
    }
}

/// A new state on disk under a temporary name, not yet in place.
struct Staged {
    temporary: PathBuf,
}

impl Staged {
    fn discard(self) {
        let _ = fs::remove_file(&self.temporary);
    }
}

/// What `verify` found.
#[derive(Debug)]
pub struct Verification {
    pub entries: usize,
    pub problems: Vec<String>,
    /// History entries the state file does not count yet: its write failed after they were
    /// appended. Reads replay them, and the next change writes the state file whole.
    pub behind: usize,
}

/// The recorded differences between a snapshot and a replay, in words.
fn differences(snapshot: &State, replayed: &State) -> Vec<String> {
    let mut out = Vec::new();
    for (item, signoff) in &snapshot.signoffs {
        match replayed.signoffs.get(item) {
            None => out.push(format!(
                "{item} is signed by {} in the state but not in the history",
                signoff.by
            )),
            Some(r) if r != signoff => out.push(format!("the sign-off of {item} differs")),
            _ => {}
        }
    }
    for item in replayed
        .signoffs
        .keys()
        .filter(|i| !snapshot.signoffs.contains_key(*i))
    {
        out.push(format!(
            "{item} is signed in the history but not in the state"
        ));
    }
    if snapshot.approvals != replayed.approvals {
        out.push("the approvals differ".into());
    }
    if snapshot.waivers != replayed.waivers {
        out.push("the waivers differ".into());
    }
    if snapshot.runs != replayed.runs {
        out.push("the recorded runs differ".into());
    }
    if snapshot.deployment != replayed.deployment || snapshot.previous != replayed.previous {
        out.push("the deployment records differ".into());
    }
    if snapshot.history != replayed.history {
        out.push("the history mark differs".into());
    }
    out
}

/// A file's text, refusing what is not a regular file (a directory, a device, a FIFO), which
/// would otherwise be read without end or block.
pub(crate) fn read_regular_file(path: &Path) -> std::io::Result<String> {
    let regular = |metadata: fs::Metadata| {
        if metadata.is_file() {
            Ok(())
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            ))
        }
    };
    // Checked before opening (opening a FIFO waits for a writer) and on what was opened.
    regular(fs::metadata(path)?)?;
    let mut file = File::open(path)?;
    regular(file.metadata()?)?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text)?;
    Ok(text)
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
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
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

    #[test]
    fn the_history_sits_beside_its_state() {
        let path = history::path_for(Path::new(".barkcheck/x.prod.state.json"));
        assert_eq!(path, Path::new(".barkcheck/x.prod.state.history.jsonl"));
    }
}
