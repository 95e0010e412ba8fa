//! `barkcheck run --phase P`: verifies a phase and prints every item with its evidence.
//!
//! It never asks questions, so it runs the same in CI as at a terminal; only at a terminal does
//! it draw a progress line on stderr and colour outcomes. A selection (`--section`, `--item`,
//! `--tag`, `--skip`, `--only-automated`) or `--no-manual` judges part of the phase: such a run
//! gates on what it judged, and is not recorded, since the phase's last run (which approvals
//! bind to) must be a run of all of it.

use std::sync::Arc;

use anyhow::{Context, bail};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::{Workspace, aws_options, who};
use crate::checklist::select;
use crate::cli::{Format, Global, RunArgs};
use crate::report;
use crate::report::progress::ProgressLine;
use crate::runner::{PhaseReport, Progress, RunOptions, run_phase_with};
use crate::state::history::{Action, RunResult};
use crate::verify::probe::{ProbeOptions, parse_dns_server};
use crate::verify::{Inventory, Settings};

pub fn run(global: &Global, args: &RunArgs) -> anyhow::Result<u8> {
    if !args.targets.is_empty() || args.all_targets {
        return super::targets::run(global, args);
    }
    // The runtime's threads are started on another thread while the checklist is read on this
    // one. So are the trusted CAs read, when the AWS SDK's first request may need them (an
    // HTTPS endpoint, as AWS's own); against a plain HTTP endpoint only a probe or a database
    // connection needs them, which reads them when it first does: read alongside the
    // checklist, they would only slow it down on a machine with few cores.
    if crate::verify::aws::may_use_https(global.endpoint_url.as_deref()) {
        crate::verify::roots::warm_up();
    }
    let runtime = std::thread::Builder::new()
        .name("barkcheck-runtime".into())
        .spawn(start_runtime);
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
    let probes = probe_options(args)?;
    let progress = Arc::new(Progress::default());
    let options = RunOptions {
        only,
        skip_manual: args.no_manual,
        progress: Some(progress.clone()),
    };

    let runtime = match runtime {
        Ok(starting) => starting
            .join()
            .map_err(|_| anyhow::anyhow!("the thread starting the async runtime panicked"))??,
        // Without the thread, the runtime is started here.
        Err(_) => start_runtime()?,
    };
    let mut report = runtime.block_on(async {
        let automated = phase.entries().iter().any(|e| {
            e.item.check.is_some()
                && e.excluded_by.is_none()
                && options.only.as_ref().is_none_or(|o| o.contains(&e.item.id))
        });
        let mut aws = aws_options(global, &workspace.checklist);
        aws.attempt_timeout = Some(std::time::Duration::from_secs_f64(args.timeout));
        aws.max_concurrency = Some(usize::from(args.max_concurrency));
        let settings = Settings {
            aws,
            allow_commands: args.allow_commands,
            command_timeout: args.command_timeout,
            database_timeout: args.database_timeout,
            probes,
        };
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
    // Every check has finished; what is left (idle kept-alive connections) is not waited for.
    runtime.shutdown_background();
    if args.require_signed {
        // Every manual item gates, blocking or not; a waiver still accepts one.
        for item in report.items.iter_mut().filter(|i| !i.automated) {
            item.blocking = true;
        }
    }

    // The verdict is shown even when the state cannot be written; the failure to record it, or
    // to write a report file, is then an error of its own.
    let colour = report::colour_stdout(global.color.forced());
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
        let delivered = deliver(args, &report, colour);
        eprintln!(
            "barkcheck: judged part of phase {} ({}: {} shown); this run is not recorded",
            phase.id,
            partial.join(" "),
            crate::state::count(report.items.len(), "item")
        );
        delivered?;
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
    // The run is recorded (two fsyncs) while the report is written, so neither waits for the
    // other; the report is shown whether or not the record can be written.
    let (delivered, recorded) = std::thread::scope(|scope| {
        let recording = scope.spawn(|| {
            workspace
                .state
                .record(&who(None), |_| Ok((action.clone(), ())))
        });
        let delivered = deliver(args, &report, colour);
        let recorded = recording
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (delivered, recorded)
    });
    match (delivered, recorded) {
        (delivered, Ok(_)) => delivered?,
        (Ok(()), Err(e)) => {
            return Err(e.context("the run above was shown but could not be recorded"));
        }
        (Err(report_error), Err(e)) => {
            // Both failed: the report's error is printed here, the record's is returned.
            eprintln!("error: {report_error:#}");
            return Err(e.context("the run could not be recorded either"));
        }
    }
    Ok(report.readiness().exit_code())
}

/// The async runtime the checks run on, its worker threads started.
fn start_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// The probe options of the command line; a bad `--dns-server` or `--ca-cert` stops the run.
fn probe_options(args: &RunArgs) -> anyhow::Result<ProbeOptions> {
    let dns_server = match &args.dns_server {
        Some(text) => {
            Some(parse_dns_server(text).map_err(|e| anyhow::anyhow!("--dns-server: {e}"))?)
        }
        None => None,
    };
    let mut ca_certs = Vec::new();
    if let Some(path) = &args.ca_cert {
        let read = || -> anyhow::Result<Vec<CertificateDer<'static>>> {
            let certs = CertificateDer::pem_file_iter(path)?.collect::<Result<Vec<_>, _>>()?;
            Ok(certs)
        };
        ca_certs = read().with_context(|| format!("--ca-cert {}", path.display()))?;
        if ca_certs.is_empty() {
            bail!(
                "--ca-cert {}: no PEM certificate in the file",
                path.display()
            );
        }
    }
    Ok(ProbeOptions {
        dns_server,
        ca_certs,
        timeout: args.probe_timeout,
    })
}

/// Writes the report where it was asked for: stdout in `--format`, or each `--output` file in
/// its format with only the verdict line on stdout; and the job summary on GitHub Actions.
fn deliver(args: &RunArgs, report: &PhaseReport, colour: bool) -> anyhow::Result<()> {
    const STDOUT: &str = "cannot write the report to stdout";
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
    if args.outputs.is_empty() && args.format == Format::Table {
        report::print_table_styled(report, colour).context(STDOUT)?;
    } else if args.outputs.is_empty() {
        report::print_text(&report::render(args.format, report)).context(STDOUT)?;
    } else {
        report::print_text(&report::verdict_line(report)).context(STDOUT)?;
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
