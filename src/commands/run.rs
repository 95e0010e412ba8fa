//! `barkcheck run --phase P`: verifies a phase and prints every item with its evidence.

use std::sync::Arc;

use super::{Workspace, aws_options, who};
use crate::cli::{Format, Global, RunArgs};
use crate::report;
use crate::runner::run_phase;
use crate::state::history::{Action, RunResult};
use crate::verify::{Inventory, Settings};

pub fn run(global: &Global, args: &RunArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let phase = workspace.phase(&args.phase)?;
    let state = workspace.state.read()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let automated = phase
            .entries()
            .iter()
            .any(|e| e.item.check.is_some() && e.excluded_by.is_none());
        let settings = Settings {
            aws: aws_options(global, &workspace.checklist),
        };
        let inventory = automated.then(|| Arc::new(Inventory::new(settings)));
        anyhow::Ok(run_phase(&workspace.checklist, phase, &state, inventory).await)
    })?;

    let results = report
        .items
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                RunResult {
                    outcome: i.outcome,
                    evidence: i.evidence.clone(),
                },
            )
        })
        .collect();
    let action = Action::Run {
        phase: phase.id.clone(),
        results,
    };
    workspace.state.record(&who(None), |_| Ok((action, ())))?;

    match args.format {
        Format::Table => report::print_table(&report)?,
        Format::Json => report::print_json(&report)?,
    }
    Ok(report.readiness().exit_code())
}
