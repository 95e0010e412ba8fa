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
        if !(args.timeout > 0.0 && args.timeout.is_finite()) {
            anyhow::bail!("--timeout must be a positive number of seconds");
        }
        let mut aws = aws_options(global, &workspace.checklist);
        aws.attempt_timeout = Some(std::time::Duration::from_secs_f64(args.timeout));
        let settings = Settings { aws };
        let inventory = automated.then(|| Arc::new(Inventory::new(settings)));
        let report = run_phase(&workspace.checklist, phase, &state, inventory.clone()).await;
        if let Some(inventory) = inventory
            && let Some(why) = inventory.aws_unavailable().await
        {
            eprintln!(
                "barkcheck: AWS is unavailable, so every AWS item is ERROR: {}",
                why.cause
            );
        }
        anyhow::Ok(report)
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
    // The verdict is shown first, so a state that cannot be written does not hide it; the
    // failure to record it is then an error of its own.
    match args.format {
        Format::Table => report::print_table(&report)?,
        Format::Json => report::print_json(&report)?,
    }
    workspace
        .state
        .record(&who(None), |_| Ok((action.clone(), ())))
        .map_err(|e| e.context("the run above was shown but could not be recorded"))?;
    Ok(report.readiness().exit_code())
}
