//! Running a phase: decides every item, concurrently, and returns the results in order.
//!
//! Automated items run as concurrent tasks sharing one [`Inventory`], so each AWS listing is
//! fetched once whatever the number of items reading it. Manual items take their outcome from
//! the state's sign-offs. A parent item rolls up its sub-items: it is as bad as the worst of
//! them (ERROR, then FAIL, then PENDING), and its own check if it has one.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::checklist::{Checklist, Entry, Item, Phase, plain};
use crate::state::history::RunResult;
use crate::state::{Deployment, State, Waiver, changed_outcomes, count};
use crate::verify::{Comparison, Inventory, Outcome, Verdict, decide};

/// The result of one item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    pub id: String,
    pub text: String,
    /// The section's heading, and the numbered step's after a `/` when there is one.
    pub section: String,
    #[serde(skip)]
    pub section_id: String,
    pub depth: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub outcome: Outcome,
    pub automated: bool,
    pub blocking: bool,
    /// An automated check that applies but was not run (a `command` check without
    /// `--allow-commands`): SKIPPED, yet not verified, so a blocking one keeps the phase from
    /// being ready.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_run: bool,
    pub evidence: Evidence,
}

/// What an outcome rests on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comparisons: Vec<Comparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What to do about a FAIL or an ERROR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The waiver that turned a FAIL or PENDING into WAIVED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Waiver>,
}

/// A role's approval of the phase.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalResult {
    pub role: String,
    pub section: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why an approval no longer holds: the outcomes it approved have changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalidated: Option<String>,
}

/// Everything a run of one phase found.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    pub checklist: String,
    pub phase: String,
    pub phase_title: String,
    pub environment: String,
    pub started: Timestamp,
    pub items: Vec<ItemResult>,
    pub approvals: Vec<ApprovalResult>,
    /// Things to know that are not outcomes: waivers about to expire.
    pub warnings: Vec<String>,
    /// The deployment the state records, if one was opened.
    pub deployment: Option<Deployment>,
}

/// The verdict on a phase and the exit code it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// Every blocking item passed, was signed or skipped, and every role approved.
    Ready,
    /// A blocking item failed or is pending, or a role has not approved.
    NotReady,
    /// Some item could not be verified.
    Unverified,
}

impl Readiness {
    pub fn exit_code(self) -> u8 {
        match self {
            Readiness::Ready => 0,
            Readiness::NotReady => 1,
            Readiness::Unverified => 3,
        }
    }
}

impl PhaseReport {
    /// Items that stand for themselves: leaves, and parents with a check of their own. Parents
    /// without one only sum up their sub-items and are not counted again.
    pub fn counted(&self) -> impl Iterator<Item = &ItemResult> {
        let parents: std::collections::HashSet<&str> = self
            .items
            .iter()
            .filter_map(|c| c.parent.as_deref())
            .collect();
        self.items
            .iter()
            .filter(move |r| r.automated || !parents.contains(r.id.as_str()))
    }

    pub fn readiness(&self) -> Readiness {
        // Any item that could not be verified makes the verdict incomplete, blocking or not.
        if self.counted().any(|r| r.outcome == Outcome::Error) {
            return Readiness::Unverified;
        }
        let gating: Vec<&ItemResult> = self.counted().filter(|r| r.blocking).collect();
        let open = gating
            .iter()
            .any(|r| r.not_run || matches!(r.outcome, Outcome::Fail | Outcome::Pending));
        // An approval not judged in this run (`--no-manual`) is SKIPPED and does not gate.
        let unapproved = self
            .approvals
            .iter()
            .any(|a| !matches!(a.outcome, Outcome::Signed | Outcome::Skipped));
        if open || unapproved {
            Readiness::NotReady
        } else {
            Readiness::Ready
        }
    }
}

/// How far a run has got, for a progress indicator: how many checks it runs, how many are done.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: AtomicUsize,
    pub done: AtomicUsize,
}

/// What a run judges, beyond the defaults of a whole phase.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    /// Only these items (from [`crate::checklist::select`]); the others are neither run nor
    /// shown, and neither are the role approvals, which approve the whole phase.
    pub only: Option<HashSet<String>>,
    /// Judge automated items only: manual items and approvals are SKIPPED, "not judged".
    pub skip_manual: bool,
    /// Counted as checks finish.
    pub progress: Option<Arc<Progress>>,
}

/// Why a manual item or an approval is SKIPPED under `--no-manual`.
pub const NOT_JUDGED: &str = "not judged: --no-manual";

/// Decides every item of `phase`; `inventory` is None when the phase has no automated item.
pub async fn run_phase(
    checklist: &Checklist,
    phase: &Phase,
    state: &State,
    inventory: Option<Arc<Inventory>>,
) -> PhaseReport {
    run_phase_with(checklist, phase, state, inventory, &RunOptions::default()).await
}

/// Decides the items of `phase` that `options` select.
pub async fn run_phase_with(
    checklist: &Checklist,
    phase: &Phase,
    state: &State,
    inventory: Option<Arc<Inventory>>,
    options: &RunOptions,
) -> PhaseReport {
    let started = Timestamp::now();
    let all = phase.entries();
    let selected: Vec<usize> = (0..all.len())
        .filter(|&i| {
            options
                .only
                .as_ref()
                .is_none_or(|only| only.contains(&all[i].item.id))
        })
        .collect();

    if let (Some(progress), Some(_)) = (&options.progress, &inventory) {
        let checks = selected
            .iter()
            .filter(|&&i| all[i].item.check.is_some() && all[i].excluded_by.is_none());
        progress.total.store(checks.count(), Ordering::Relaxed);
    }

    // Start every automated check at once; the inventory shares the calls between them. The
    // checks that call AWS start first: their round trips are the long ones, and the local work
    // of the others (probes' TLS handshakes, commands) would otherwise run ahead of sending them.
    let mut tasks: Vec<Option<JoinHandle<Verdict>>> = selected.iter().map(|_| None).collect();
    for calls_aws in [true, false] {
        for (task, &i) in tasks.iter_mut().zip(&selected) {
            let entry = &all[i];
            let (Some(check), Some(inventory), None) =
                (&entry.item.check, &inventory, entry.excluded_by)
            else {
                continue;
            };
            if check.kind.aws_calls().is_empty() == calls_aws {
                continue;
            }
            let (check, inventory) = (check.clone(), inventory.clone());
            let progress = options.progress.clone();
            *task = Some(tokio::spawn(async move {
                let verdict = decide(&check, &inventory).await;
                if let Some(progress) = progress {
                    progress.done.fetch_add(1, Ordering::Relaxed);
                }
                verdict
            }));
        }
    }

    let now = Timestamp::now();
    let mut items = Vec::with_capacity(selected.len());
    for (&i, task) in selected.iter().zip(tasks) {
        let verdict = match task {
            Some(task) => Some(task.await.unwrap_or_else(|e| Verdict {
                outcome: Outcome::Error,
                resource: None,
                comparisons: Vec::new(),
                message: Some(format!("the check stopped unexpectedly: {e}")),
            })),
            None => None,
        };
        let mut result = item_result(&all, &all[i], verdict, state, now);
        // Parents are left to sum up their sub-items below.
        let leaf = all[i].item.items.is_empty();
        if options.skip_manual && leaf && !result.automated && result.outcome != Outcome::Skipped {
            result.outcome = Outcome::Skipped;
            result.evidence = Evidence {
                message: Some(NOT_JUDGED.into()),
                ..Evidence::default()
            };
        }
        items.push(result);
    }
    let warnings = apply_waivers(&mut items, state, now);
    roll_up(&mut items);

    let approvals = approval_results(phase, state, &items, options);

    PhaseReport {
        checklist: checklist.name.clone(),
        phase: phase.id.clone(),
        phase_title: phase.title.clone(),
        environment: state.environment.clone(),
        started,
        items,
        approvals,
        warnings,
        deployment: state.deployment.clone(),
    }
}

/// The phase's role approvals, each checked against the outcomes of `items`: an approval holds
/// while the outcomes it approved are unchanged.
fn approval_results(
    phase: &Phase,
    state: &State,
    items: &[ItemResult],
    options: &RunOptions,
) -> Vec<ApprovalResult> {
    let outcomes: BTreeMap<String, Outcome> =
        items.iter().map(|i| (i.id.clone(), i.outcome)).collect();
    // Approvals approve the whole phase: a run of part of it does not show them.
    let whole_phase = options.only.is_none();
    phase
        .approvals()
        .filter(|_| whole_phase)
        .map(|(section, role)| {
            let approval = state
                .approvals
                .get(&phase.id)
                .and_then(|roles| roles.get(role));
            let mut result = ApprovalResult {
                role: role.to_string(),
                section: section.heading().to_string(),
                outcome: Outcome::Pending,
                by: approval.map(|a| a.by.clone()),
                at: approval.map(|a| a.at),
                note: approval.and_then(|a| a.note.clone()),
                invalidated: None,
            };
            if options.skip_manual {
                result = ApprovalResult {
                    outcome: Outcome::Skipped,
                    by: None,
                    at: None,
                    note: Some(NOT_JUDGED.into()),
                    ..result
                };
            } else if let Some(approval) = approval {
                let changed = changed_outcomes(&approval.outcomes, &outcomes);
                if let Some(why) = &approval.invalidated {
                    result.invalidated = Some(format!("{why}; approve again"));
                } else if changed.is_empty() {
                    result.outcome = Outcome::Signed;
                } else {
                    result.invalidated = Some(format!(
                        "invalidated: {} changed since {} approved ({})",
                        count(changed.len(), "outcome"),
                        approval.by,
                        changed.join(", ")
                    ));
                }
            }
            result
        })
        .collect()
}

/// A phase as the record has it, without calling anything: automated items take the outcome
/// and evidence of the phase's last recorded run (`last_run`, from the history), manual items
/// their sign-offs as they are now, waivers and approvals apply as they would to a run now.
/// An automated item the last run did not decide is PENDING ("no recorded run").
pub fn recorded_phase(
    checklist: &Checklist,
    phase: &Phase,
    state: &State,
    last_run: Option<&BTreeMap<String, RunResult>>,
) -> PhaseReport {
    let now = Timestamp::now();
    let entries = phase.entries();
    let mut items = Vec::with_capacity(entries.len());
    for entry in &entries {
        let mut item = item_result(&entries, entry, None, state, now);
        if item.automated && item.outcome != Outcome::Skipped {
            match last_run.and_then(|r| r.get(&item.id)) {
                Some(recorded) => {
                    item.evidence = recorded.evidence.clone();
                    // The run applied the waivers of its day; today's apply below, to the FAIL
                    // it observed (an automated item is never PENDING in a run).
                    item.outcome = match recorded.outcome {
                        Outcome::Waived => Outcome::Fail,
                        other => other,
                    };
                    item.evidence.waiver = None;
                }
                None => {
                    item.outcome = Outcome::Pending;
                    item.evidence = Evidence {
                        message: Some(format!("no recorded run of phase {}", phase.id)),
                        ..Evidence::default()
                    };
                }
            }
        }
        items.push(item);
    }
    let warnings = apply_waivers(&mut items, state, now);
    // TODO: a run records an automated parent's rolled-up outcome, not its own check's, so a
    // sub-item signed since that run does not lift the parent here until the next run.
    roll_up(&mut items);
    let approvals = approval_results(phase, state, &items, &RunOptions::default());
    PhaseReport {
        checklist: checklist.name.clone(),
        phase: phase.id.clone(),
        phase_title: phase.title.clone(),
        environment: state.environment.clone(),
        started: state.runs.get(&phase.id).map_or(now, |r| r.at),
        items,
        approvals,
        warnings,
        deployment: state.deployment.clone(),
    }
}

/// How long ahead of its expiry a waiver is announced.
const WAIVER_NOTICE: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);

/// Turns FAIL and PENDING into WAIVED where a waiver holds, and says which waivers expire soon
/// or have expired. ERROR is never waived: a waiver accepts a known failure, not an unknown.
fn apply_waivers(items: &mut [ItemResult], state: &State, now: Timestamp) -> Vec<String> {
    let mut warnings = Vec::new();
    for item in items.iter_mut() {
        let Some(waiver) = state.waivers.get(&item.id) else {
            continue;
        };
        if waiver.until <= now {
            let note = format!("the waiver by {} expired at {}", waiver.by, waiver.until);
            item.evidence.message = Some(
                item.evidence
                    .message
                    .take()
                    .map_or(note.clone(), |m| format!("{m}; {note}")),
            );
            warnings.push(format!("{}: {note}", item.id));
            continue;
        }
        if now.duration_until(waiver.until) < WAIVER_NOTICE {
            warnings.push(format!(
                "{}: the waiver by {} expires at {} ({})",
                item.id, waiver.by, waiver.until, waiver.reason
            ));
        }
        if matches!(item.outcome, Outcome::Fail | Outcome::Pending) {
            item.outcome = Outcome::Waived;
            item.evidence.waiver = Some(waiver.clone());
        }
    }
    warnings
}

/// The section label of an entry: its heading, and the step's when it sits in one.
pub fn section_label(entry: &Entry<'_>) -> String {
    match entry.step {
        Some(step) => format!("{} / {}", entry.section.heading(), plain(step.heading())),
        None => entry.section.heading().to_string(),
    }
}

fn item_result(
    entries: &[Entry<'_>],
    entry: &Entry<'_>,
    verdict: Option<Verdict>,
    state: &State,
    now: Timestamp,
) -> ItemResult {
    let item = entry.item;
    let mut evidence = Evidence::default();
    let mut not_run = false;
    let outcome = if let Some(condition) = entry.excluded_by {
        evidence.message = Some(format!(
            "does not apply: `when: {}` is false",
            condition.written
        ));
        Outcome::Skipped
    } else if let Some(verdict) = verdict {
        evidence.resource = verdict.resource;
        evidence.comparisons = verdict.comparisons;
        evidence.message = verdict.message;
        // The fix is for a gap that was observed; an ERROR observed nothing.
        if verdict.outcome == Outcome::Fail {
            evidence.fix = item.fix.clone();
        }
        not_run = verdict.outcome == Outcome::Skipped;
        verdict.outcome
    } else if item.check.is_some() {
        evidence.message = Some("not run".into());
        Outcome::Error
    } else {
        let (outcome, signed) = signoff_outcome(item, state, now);
        evidence = signed;
        outcome
    };
    ItemResult {
        id: item.id.clone(),
        text: item.text.clone(),
        section: section_label(entry),
        section_id: entry.section.id.clone(),
        depth: entry.depth,
        parent: entry.parent.map(|p| entries[p].item.id.clone()),
        outcome,
        automated: item.check.is_some(),
        blocking: entry.blocking,
        not_run,
        evidence,
    }
}

/// A manual item's outcome from the state's sign-offs: SIGNED, or PENDING (never signed, stale
/// because the item changed since, or past its `valid_for`), with the evidence of which.
pub fn signoff_outcome(item: &Item, state: &State, now: Timestamp) -> (Outcome, Evidence) {
    let mut evidence = Evidence::default();
    let outcome = match state.signoffs.get(&item.id) {
        Some(signoff)
            if signoff.digest == item.digest
                && item.valid_for.is_some_and(|valid| signoff.at + valid < now) =>
        {
            evidence.message = Some(format!(
                "expired: signed by {} at {}, valid for {}; sign it again",
                signoff.by,
                signoff.at,
                item.valid_for.map(|v| format!("{v:#}")).unwrap_or_default()
            ));
            Outcome::Pending
        }
        Some(signoff) if signoff.digest == item.digest => {
            evidence.signed_by = Some(signoff.by.clone());
            evidence.signed_at = Some(signoff.at);
            evidence.note = signoff.note.clone();
            Outcome::Signed
        }
        Some(signoff) => {
            evidence.message = Some(format!(
                "stale: signed by {} at {}, but the item changed since; sign it again",
                signoff.by, signoff.at
            ));
            Outcome::Pending
        }
        None => Outcome::Pending,
    };
    (outcome, evidence)
}

/// How bad an outcome is when summing up sub-items.
fn severity(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Error => 5,
        Outcome::Fail => 4,
        Outcome::Pending => 3,
        Outcome::Waived => 2,
        Outcome::Signed => 2,
        Outcome::Pass => 1,
        Outcome::Skipped => 0,
    }
}

/// Gives each parent the worst outcome among itself and its sub-items, deepest first.
fn roll_up(items: &mut [ItemResult]) {
    let index: std::collections::HashMap<String, usize> = items
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    let mut children_of: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    for (i, item) in items.iter().enumerate() {
        if let Some(parent) = item.parent.as_ref().and_then(|p| index.get(p)) {
            children_of[*parent].push(i);
        }
    }
    for i in (0..items.len()).rev() {
        let children: Vec<Outcome> = children_of[i].iter().map(|&c| items[c].outcome).collect();
        if children.is_empty() {
            continue;
        }
        let own = items[i].automated.then_some(items[i].outcome);
        let worst = children
            .iter()
            .copied()
            .chain(own)
            .max_by_key(|o| severity(*o))
            .unwrap_or(Outcome::Skipped);
        if !items[i].automated && items[i].outcome != Outcome::Skipped {
            items[i].evidence = Evidence {
                message: Some(format!("sums up {} sub-items", children.len())),
                ..Evidence::default()
            };
        }
        if items[i].outcome != Outcome::Skipped {
            items[i].outcome = worst;
        }
    }
}
