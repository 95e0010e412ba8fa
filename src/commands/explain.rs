//! `barkcheck explain ITEM`: one item in words, for whoever has to act on it.
//!
//! What it checks (kind, selector, every expectation), which AWS calls that takes and which IAM
//! actions they need (from `verify::Kind::aws_calls`), what the last recorded run of its phase
//! observed (the state, and the run's evidence from the history), how to fix a failure; for a
//! manual item, who signed it and when, or that it is pending. Makes no AWS call.

use std::fmt::Write;

use jiff::Timestamp;

use super::Workspace;
use crate::checklist::expect::{Compare, Element, Field, FieldType, Matcher, render};
use crate::checklist::{Check, Entry, MatchMode, Phase, plain};
use crate::cli::{ExplainArgs, Global};
use crate::report;
use crate::runner::{Evidence, section_label, signoff_outcome};
use crate::state::State;
use crate::state::history::{self, Action};
use crate::verify::{Kind, Outcome};

pub fn run(global: &Global, args: &ExplainArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let Some((phase, entry)) = workspace.checklist.item(&args.item) else {
        return Err(workspace.unknown_item(&args.item));
    };
    let state = workspace.state.read()?;
    let history = workspace.state.history()?;
    let item = entry.item;
    let entries = phase.entries();

    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", item.id, plain(&item.text));
    let _ = writeln!(
        out,
        "  phase {} ({}), {}",
        phase.id,
        phase.title,
        plain(&section_label(&entry))
    );
    if let Some(parent) = entry.parent {
        let _ = writeln!(out, "  under {}", entries[parent].item.id);
    }
    let _ = writeln!(
        out,
        "  {}",
        if entry.blocking {
            "blocking: a FAIL or PENDING stops the phase"
        } else {
            "non-blocking: shown, but never stops the phase (unless run with --require-signed)"
        }
    );
    if !item.tags.is_empty() {
        let _ = writeln!(out, "  tags: {}", item.tags.join(", "));
    }
    if let Some(when) = &item.when {
        let now = if when.holds {
            "true now"
        } else {
            "false now: SKIPPED"
        };
        let _ = writeln!(out, "  applies when `{}` is true ({now})", when.written);
    } else if let Some(when) = entry.excluded_by {
        let _ = writeln!(
            out,
            "  does not apply now: an item above it has `when: {}`, which is false",
            when.written
        );
    }
    if let Some(notes) = &item.notes {
        let _ = writeln!(out, "  notes: {notes}");
    }
    out.push('\n');

    match &item.check {
        Some(check) => explain_check(&mut out, check),
        None if !item.items.is_empty() => {
            let _ = writeln!(
                out,
                "Sums up its {} sub-items: it is as bad as the worst of them.",
                item.items.len()
            );
        }
        None => explain_signoff(&mut out, &entry, &state),
    }
    if !item.items.is_empty() {
        let ids: Vec<&str> = item.items.iter().map(|i| i.id.as_str()).collect();
        let _ = writeln!(out, "Sub-items: {}", ids.join(", "));
    }
    if let Some(waiver) = state.waivers.get(&item.id) {
        let ticket = waiver
            .ticket
            .as_ref()
            .map(|t| format!(" [{t}]"))
            .unwrap_or_default();
        let ended = if waiver.until <= Timestamp::now() {
            " (expired)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "Waived by {} until {}{ended}: {}{ticket}",
            waiver.by, waiver.until, waiver.reason
        );
    }
    out.push('\n');
    last_observed(&mut out, phase, &item.id, &state, &history.entries);

    out.push('\n');
    match &item.fix {
        Some(fix) => {
            let _ = writeln!(out, "How to fix a failure: {fix}");
        }
        None if item.check.is_some() => {
            let _ = writeln!(
                out,
                "How to fix a failure: the checklist gives no `fix:` here."
            );
        }
        None => {}
    }
    report::print_text(out.trim_end())?;
    Ok(0)
}

/// The automated check in words, with its AWS calls.
fn explain_check(out: &mut String, check: &Check) {
    let kind = check.kind;
    let _ = writeln!(out, "Automated: a `{}` check.", kind.name());
    match &check.target {
        Some(target) => {
            let _ = writeln!(out, "  probes {target}");
        }
        None => {
            let conditions: Vec<String> = check
                .selector
                .iter()
                .map(|(field, matcher)| format!("{field} must {}", words(matcher)))
                .collect();
            let _ = writeln!(
                out,
                "  selects every {} whose {}",
                kind.name(),
                conditions.join(", and whose ")
            );
            let _ = writeln!(out, "  (no match is a FAIL that says so, never a pass)");
        }
    }
    let _ = writeln!(
        out,
        "  {}",
        match check.mode {
            MatchMode::Any => "passes when one selected resource meets every expectation:",
            MatchMode::All =>
                "passes when every selected resource (at least one) meets every expectation:",
        }
    );
    for (field, matcher) in &check.expect {
        let about = field_of(kind, field)
            .map(|f| format!(" ({}: {})", type_word(f.ty), f.doc))
            .unwrap_or_default();
        let _ = writeln!(out, "    {field} must {}{about}", words(matcher));
    }

    // The same calls `iam-policy` grants for this check.
    let calls = crate::verify::calls_of(check);
    if calls.is_empty() {
        let _ = writeln!(out, "AWS calls: none.");
        return;
    }
    let _ = writeln!(
        out,
        "AWS calls (read-only, each made once per run and shared by every item that needs it):"
    );
    for call in calls {
        let when = call
            .only_when
            .map(|w| format!(", when {w}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {} needs IAM action {}{when}",
            call.service, call.operation, call.action
        );
    }
    let _ = writeln!(
        out,
        "An API error, a denied call or a timeout makes the item ERROR, never PASS."
    );
}

/// A manual item's sign-off: who and when, or that it is pending and why.
fn explain_signoff(out: &mut String, entry: &Entry<'_>, state: &State) {
    let item = entry.item;
    let _ = writeln!(
        out,
        "Manual: a person checks it and signs it (`barkcheck sign {} --by NAME`).",
        item.id
    );
    if let Some(valid) = item.valid_for {
        let _ = writeln!(out, "  a sign-off holds for {valid:#}");
    }
    let (outcome, evidence) = signoff_outcome(item, state, Timestamp::now());
    match (outcome, &evidence.signed_by, evidence.signed_at) {
        (Outcome::Signed, Some(by), Some(at)) => {
            let _ = writeln!(out, "Signed by {by} at {}.", when(at));
            if let Some(note) = &evidence.note {
                let _ = writeln!(out, "  note: {note}");
            }
        }
        _ => match &evidence.message {
            Some(why) => {
                let _ = writeln!(out, "Pending: {why}.");
            }
            None => {
                let _ = writeln!(out, "Pending: nobody has signed it.");
            }
        },
    }
}

/// What the last recorded run of the phase observed for the item.
fn last_observed(out: &mut String, phase: &Phase, id: &str, state: &State, log: &[history::Entry]) {
    match state.runs.get(&phase.id) {
        Some(run) => match run.outcomes.get(id) {
            Some(outcome) => {
                let _ = writeln!(
                    out,
                    "Last run of phase {} ({}): {}",
                    phase.id,
                    when(run.at),
                    outcome.label()
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "The last run of phase {} ({}) did not have this item; run it again.",
                    phase.id,
                    when(run.at)
                );
            }
        },
        None => {
            let _ = writeln!(
                out,
                "Phase {} has not been run in this deployment and environment (`barkcheck run \
                 --phase {}`).",
                phase.id, phase.id
            );
        }
    }
    // The evidence is in the history: the last recorded run of the phase that had the item.
    let mut found = None;
    let mut opened_after = false;
    for entry in log {
        match &entry.change {
            Action::Run { phase: p, results } if *p == phase.id => {
                if let Some(result) = results.get(id) {
                    found = Some((entry, result));
                    opened_after = false;
                }
            }
            Action::Open { .. } => opened_after = true,
            _ => {}
        }
    }
    let Some((entry, result)) = found else {
        return;
    };
    let before = if opened_after {
        ", before the current deployment was opened"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "Evidence of the last recorded run ({}, by {} on {}, history entry {}{before}): {}",
        when(entry.at),
        entry.by,
        entry.host,
        entry.seq,
        result.outcome.label()
    );
    evidence_lines(out, &result.evidence);
}

fn evidence_lines(out: &mut String, evidence: &Evidence) {
    if let Some(resource) = &evidence.resource {
        let _ = writeln!(out, "  resource: {resource}");
    }
    for c in &evidence.comparisons {
        let mark = if c.ok { "holds" } else { "does not hold" };
        let _ = writeln!(
            out,
            "  {}: expected {}, observed {} ({mark})",
            c.field, c.expected, c.observed
        );
    }
    if let Some(message) = &evidence.message {
        let _ = writeln!(out, "  {message}");
    }
    if let (Some(by), Some(at)) = (&evidence.signed_by, evidence.signed_at) {
        let _ = writeln!(out, "  signed by {by} at {}", when(at));
    }
    if let Some(waiver) = &evidence.waiver {
        let _ = writeln!(
            out,
            "  waived by {} until {}: {}",
            waiver.by, waiver.until, waiver.reason
        );
    }
}

fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The catalog entry of a field, also for a key of a map field (`outputs.DatabaseEndpoint`).
fn field_of(kind: Kind, name: &str) -> Option<&'static Field> {
    let fields = kind.fields();
    fields.iter().find(|f| f.name == name).or_else(|| {
        fields.iter().find(|f| {
            matches!(f.ty, FieldType::TextMap)
                && name
                    .strip_prefix(f.name)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    })
}

fn type_word(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Bool => "true or false",
        FieldType::Number => "a number",
        FieldType::Text => "text",
        FieldType::Timestamp => "a time",
        FieldType::TextList => "a list of text",
        FieldType::Objects(_) => "a list of objects",
        FieldType::TextMap => "a map of text",
        FieldType::Json => "a JSON document",
    }
}

/// An expectation in words, after "must": "be at least 30", "not match /FAILED/".
pub fn words(matcher: &Matcher) -> String {
    match matcher {
        Matcher::Equals(value) => format!("equal {}", render(value)),
        Matcher::Compare(op, number) => {
            let relation = match op {
                Compare::Ge => "be at least",
                Compare::Gt => "be more than",
                Compare::Le => "be at most",
                Compare::Lt => "be less than",
                Compare::Eq => "be",
                Compare::Ne => "not be",
            };
            format!("{relation} {number}")
        }
        Matcher::OneOf(options) => {
            let options: Vec<String> = options.iter().map(render).collect();
            format!("be one of {}", options.join(", "))
        }
        Matcher::Matches(regex) => format!("match the pattern /{}/", regex.as_str()),
        Matcher::Contains(value) => format!("contain {}", render(value)),
        Matcher::StartsWith(prefix) => format!("start with {prefix}"),
        Matcher::Present(true) => "be present".into(),
        Matcher::Present(false) => "be absent".into(),
        Matcher::InstanceClassAtLeast(class) => {
            format!("be an instance class of size {class} or larger")
        }
        Matcher::Count(inner) => format!("have a number of elements that must {}", words(inner)),
        Matcher::Any(element) => match element.as_ref() {
            Element::Value(inner) => format!("have some element that must {}", words(inner)),
            Element::Fields(fields) => {
                format!(
                    "have some element whose {}",
                    field_words(fields, " and whose ")
                )
            }
            Element::Filtered { filter, fields } => format!(
                "have some element whose {} and whose {}",
                field_words(filter, " and whose "),
                field_words(fields, " and whose ")
            ),
        },
        Matcher::All(element) => match element.as_ref() {
            Element::Value(inner) => {
                format!(
                    "have at least one element, each of which must {}",
                    words(inner)
                )
            }
            Element::Fields(fields) => format!(
                "have at least one element, and in every element {}",
                field_words(fields, " and ")
            ),
            Element::Filtered { filter, fields } => format!(
                "have at least one element where {}, and in every such element {}",
                field_words(filter, " and "),
                field_words(fields, " and ")
            ),
        },
        Matcher::Not(inner) => format!("not {}", words(inner)),
    }
}

/// Expectations on the fields of an element: "port must equal 443 and protocol must ...".
fn field_words(fields: &[(String, Matcher)], joint: &str) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|(name, matcher)| format!("{name} must {}", words(matcher)))
        .collect();
    parts.join(joint)
}
