//! `barkcheck log`: the history of the state, one line per change.

use comfy_table::Cell;

use super::Workspace;
use crate::cli::{Global, LogArgs};
use crate::report;
use crate::state::history::{self, Action};

pub fn run(global: &Global, args: &LogArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    if let Some(id) = args.item.as_deref()
        && workspace.checklist.item(id).is_none()
    {
        return Err(workspace.unknown_item(id));
    }
    if args.limit == Some(0) {
        anyhow::bail!("--limit needs a number of entries greater than 0");
    }
    let read = workspace.state.history()?;
    let entries: Vec<&history::Entry> = read
        .entries
        .iter()
        .filter(|e| {
            args.item
                .as_deref()
                .is_none_or(|item| about(&e.change, item))
        })
        .collect();
    let skip = args.limit.map_or(0, |n| entries.len().saturating_sub(n));
    let mut table = report::new_table(&["#", "When (UTC)", "Who", "What", "Why / note"]);
    for entry in &entries[skip..] {
        let (what, why) = describe(&entry.change);
        table.add_row(vec![
            Cell::new(entry.seq),
            Cell::new(entry.at.strftime("%Y-%m-%d %H:%M:%S")),
            Cell::new(format!("{}@{}", entry.by, entry.host)),
            Cell::new(what),
            Cell::new(why),
        ]);
    }
    report::print_text(&format!(
        "history: {} ({} entries)\n{table}",
        workspace.state.describe_history(),
        read.entries.len()
    ))?;
    Ok(0)
}

fn about(action: &Action, id: &str) -> bool {
    match action {
        Action::Sign { item, .. }
        | Action::Unsign { item, .. }
        | Action::Waive { item, .. }
        | Action::Unwaive { item, .. } => item == id,
        Action::Run { results, .. } => results.contains_key(id),
        Action::Approve { .. } | Action::Open { .. } => false,
    }
}

/// What an entry did, and why, in words.
fn describe(action: &Action) -> (String, String) {
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    match action {
        Action::Sign { item, note, .. } => (format!("signed {item}"), text(note)),
        Action::Unsign { item, reason } => (format!("unsigned {item}"), text(reason)),
        Action::Approve {
            phase, role, note, ..
        } => (format!("{role} approved {phase}"), text(note)),
        Action::Waive {
            item,
            reason,
            until,
            ticket,
        } => {
            let ticket = ticket
                .as_ref()
                .map(|t| format!(" [{t}]"))
                .unwrap_or_default();
            (
                format!("waived {item} until {until}"),
                format!("{reason}{ticket}"),
            )
        }
        Action::Unwaive { item, reason } => {
            (format!("withdrew the waiver of {item}"), text(reason))
        }
        Action::Run { phase, results } => {
            let mut counts = std::collections::BTreeMap::new();
            for result in results.values() {
                *counts.entry(result.outcome.label()).or_insert(0) += 1;
            }
            let parts: Vec<String> = counts.iter().map(|(o, n)| format!("{n} {o}")).collect();
            (format!("ran {phase}"), parts.join(", "))
        }
        Action::Open { lead, date } => (
            format!("opened the deployment of {date}"),
            format!("lead {lead}"),
        ),
    }
}
