//! `barkcheck run --phase P`: verifies a phase and prints every item with its evidence.

use std::sync::Arc;

use super::{Workspace, aws_options, who};
use crate::cli::{Format, Global, RunArgs};
use crate::report;
use crate::runner::{PhaseReport, run_phase};
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
    // failure to record it, or to write a report file, is then an error of its own.
    let delivered = deliver(args, &report);
    workspace
        .state
        .record(&who(None), |_| Ok((action, ())))
        .map_err(|e| e.context("the run above was shown but could not be recorded"))?;
    delivered?;
    Ok(report.readiness().exit_code())
}

/// Writes the report where it was asked for: stdout in `--format`, or each `--output` file in
/// its format with only the verdict line on stdout; and the job summary on GitHub Actions.
fn deliver(args: &RunArgs, report: &PhaseReport) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    for output in &args.outputs {
        let format = output.format_or(args.format);
        match report::write_file(&output.path, &report::render(format, report)) {
            Ok(()) => eprintln!(
                "barkcheck: wrote the {} report to {}",
                format_name(format),
                output.path.display()
            ),
            Err(e) => {
                eprintln!("error: {e:#}");
                failed.push(output.path.display().to_string());
            }
        }
    }
    if args.outputs.is_empty() {
        report::print_text(&report::render(args.format, report))?;
    } else {
        report::print_text(&report::verdict_line(report))?;
    }
    // GitHub Actions shows this file on the run's page; failing to add to it must not change
    // the gate's verdict, so it is a warning.
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
        && let Err(e) = report::append_file(summary.as_ref(), &report::step_summary(report))
    {
        eprintln!("warning: GITHUB_STEP_SUMMARY: {e:#}");
    }
    if !failed.is_empty() {
        anyhow::bail!("could not write {}", failed.join(", "));
    }
    Ok(())
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Table => "table",
        Format::Json => "JSON",
        Format::Junit => "JUnit",
        Format::Markdown => "Markdown",
        Format::Html => "HTML",
    }
}
