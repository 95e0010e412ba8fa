//! `barkcheck approve --role R --by NAME`: a role's approval of a phase.

use super::{Workspace, named};
use crate::checklist::expect;
use crate::cli::{ApproveArgs, Global};
use crate::report;
use crate::state::history::Action;
use anyhow::bail;

pub fn run(global: &Global, args: &ApproveArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let checklist = &workspace.checklist;
    if let Some(phase) = &args.phase {
        workspace.phase(phase)?;
    }
    let role = args.role.trim();
    let phases: Vec<&str> = checklist
        .phases
        .iter()
        .filter(|p| args.phase.as_deref().is_none_or(|only| only == p.id))
        .filter(|p| p.approvals().any(|(_, r)| r.eq_ignore_ascii_case(role)))
        .map(|p| p.id.as_str())
        .collect();
    let phase = match phases.as_slice() {
        [one] => one.to_string(),
        [] => {
            let roles: Vec<&str> = checklist
                .phases
                .iter()
                .filter(|p| args.phase.as_deref().is_none_or(|only| only == p.id))
                .flat_map(|p| p.approvals().map(|(_, r)| r))
                .fold(Vec::new(), |mut seen, role| {
                    // A role that approves several phases is named once.
                    if !seen.contains(&role) {
                        seen.push(role);
                    }
                    seen
                });
            let hint = expect::suggest(role, &roles)
                .map(|s| format!("; did you mean \"{s}\"?"))
                .unwrap_or_default();
            let scope = args
                .phase
                .as_deref()
                .map(|p| format!(" of phase {p}"))
                .unwrap_or_default();
            bail!(
                "no approval by role \"{role}\"{scope}{hint} (roles: {})",
                roles.join(", ")
            )
        }
        many => bail!(
            "role \"{role}\" approves phases {}; choose one with --phase",
            many.join(", ")
        ),
    };
    let canonical = checklist
        .phase(&phase)
        .and_then(|p| {
            p.approvals()
                .map(|(_, r)| r)
                .find(|r| r.eq_ignore_ascii_case(role))
        })
        .unwrap_or(role)
        .to_string();
    let by = named(&args.by)?;
    let note = args.note.clone().filter(|n| !n.trim().is_empty());
    workspace.state.record(&by, |state| {
        // An approval binds to what the approver saw: the outcomes of the phase's last run.
        let Some(run) = state.runs.get(&phase) else {
            bail!(
                "phase {phase} has not been run yet; run it first (`barkcheck run --phase \
                 {phase}`), since an approval holds for the outcomes it approved"
            );
        };
        let action = Action::Approve {
            phase: phase.clone(),
            role: canonical.clone(),
            note: note.clone(),
            outcomes: run.outcomes.clone(),
        };
        Ok((action, ()))
    })?;
    report::print_text(&format!(
        "{canonical} approved phase {phase} (by {})",
        args.by.trim()
    ))?;
    Ok(0)
}
