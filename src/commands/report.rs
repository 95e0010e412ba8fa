//! `barkcheck report`: the whole checklist, every phase, rendered from the record (the state
//! and each phase's last run in the history) as Markdown in the source document's shape or as
//! one HTML page. No AWS calls.

use super::Workspace;
use crate::cli::{DocumentFormat, Global, ReportArgs};
use crate::report;
use crate::runner::recorded_phase;
use crate::state::history;

pub fn run(global: &Global, args: &ReportArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let state = workspace.state.read()?;
    let read = workspace.state.history()?;
    let last_runs = history::last_runs(&read.entries);

    let reports: Vec<_> = workspace
        .checklist
        .phases
        .iter()
        .map(|phase| {
            // The evidence is the history's entry of the run the state records, and no other.
            let recorded = state.runs.get(&phase.id).map(|run| run.at);
            let results = match (last_runs.get(&phase.id), recorded) {
                (Some((at, results)), Some(recorded)) if *at == recorded => Some(*results),
                (_, Some(_)) => {
                    eprintln!(
                        "warning: the history has no entry for the last run of {} that the \
                         state records; run `barkcheck verify`",
                        phase.id
                    );
                    None
                }
                _ => None,
            };
            recorded_phase(&workspace.checklist, phase, &state, results)
        })
        .collect();

    let text = match args.format {
        DocumentFormat::Markdown => {
            report::document::checklist_markdown(&workspace.checklist, &state, &reports)
        }
        DocumentFormat::Html => report::html_page(
            &format!("{} — {}", workspace.checklist.name, state.environment),
            &reports,
        ),
    };
    match &args.output {
        Some(path) => {
            report::write_file(path, &text)?;
            eprintln!("barkcheck: wrote {}", path.display());
        }
        None => report::print_text(&text)?,
    }
    Ok(0)
}
