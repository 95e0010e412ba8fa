//! `barkcheck run --phase P`: verifies a phase and prints every item with its evidence.
//!
//! It never asks questions, so it runs the same in CI as at a terminal; only at a terminal does
//! it draw a progress line on stderr and colour outcomes. A selection (`--section`, `--item`,
//! `--tag`, `--skip`, `--only-automated`) or `--no-manual` judges part of the phase: such a run
//! gates on what it judged, and is not recorded, since the phase's last run (which approvals
//! bind to) must be a run of all of it.

use std::sync::Arc;

use super::{Workspace, aws_options, who};
use crate::checklist::select;
use crate::cli::{Format, Global, RunArgs};
use crate::report;
use crate::report::progress::ProgressLine;
use crate::runner::{Progress, RunOptions, run_phase_with};
use crate::state::history::{Action, RunResult};
use crate::verify::{Inventory, Settings};

pub fn run(global: &Global, args: &RunArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let phase = workspace.phase(&args.phase)?;
    let filter = args.selection.filter();
    let only = if filter.narrows() {
        Some(select::select(&workspace.checklist, &[phase], &filter)?)
    } else {
        None
    };
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        anyhow::bail!("--timeout must be a positive number of seconds");
    }
    let state = workspace.state.read()?;
    let progress = Arc::new(Progress::default());
    let options = RunOptions {
        only,
        skip_manual: args.no_manual,
        progress: Some(progress.clone()),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut report = runtime.block_on(async {
        let automated = phase.entries().iter().any(|e| {
            e.item.check.is_some()
                && e.excluded_by.is_none()
                && options.only.as_ref().is_none_or(|o| o.contains(&e.item.id))
        });
        let mut aws = aws_options(global, &workspace.checklist);
        aws.attempt_timeout = Some(std::time::Duration::from_secs_f64(args.timeout));
        let settings = Settings { aws };
        let inventory = automated.then(|| Arc::new(Inventory::new(settings)));
        let line = ProgressLine::start(progress);
        let report = run_phase_with(
            &workspace.checklist,
            phase,
            &state,
            inventory.clone(),
            &options,
        )
        .await;
        if let Some(line) = line {
            line.finish();
        }
        if let Some(inventory) = inventory
            && let Some(why) = inventory.aws_unavailable().await
        {
            eprintln!(
                "barkcheck: AWS is unavailable, so every AWS item is ERROR: {}",
                why.cause
            );
        }
        report
    });
    if args.require_signed {
        // Every manual item gates, blocking or not; a waiver still accepts one.
        for item in report.items.iter_mut().filter(|i| !i.automated) {
            item.blocking = true;
        }
    }

    // The verdict is shown first, so a state that cannot be written does not hide it; the
    // failure to record it is then an error of its own.
    match args.format {
        Format::Table => {
            report::print_table_styled(&report, report::colour_stdout(global.color.forced()))?
        }
        Format::Json => report::print_json(&report)?,
    }
    let partial = [
        (filter.narrows(), filter.describe()),
        (args.no_manual, "--no-manual".to_string()),
    ];
    let partial: Vec<String> = partial
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, flag)| flag)
        .collect();
    if !partial.is_empty() {
        eprintln!(
            "barkcheck: judged part of phase {} ({}: {} items shown); this run is not recorded",
            phase.id,
            partial.join(" "),
            report.items.len()
        );
        return Ok(report.readiness().exit_code());
    }

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
    workspace
        .state
        .record(&who(None), |_| Ok((action, ())))
        .map_err(|e| e.context("the run above was shown but could not be recorded"))?;
    Ok(report.readiness().exit_code())
}
