//! `barkcheck run --phase P`: verifies a phase and prints every item with its evidence.

use std::sync::Arc;

use anyhow::{Context, bail};
use jiff::Timestamp;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::{Workspace, aws_options};
use crate::cli::{Format, Global, RunArgs};
use crate::report;
use crate::runner::run_phase;
use crate::state::LastRun;
use crate::verify::probe::{ProbeOptions, parse_dns_server};
use crate::verify::{Inventory, Settings};

pub fn run(global: &Global, args: &RunArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let phase = workspace.phase(&args.phase)?;
    let state = workspace.state.read()?;
    let probes = probe_options(args)?;

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
            probes,
        };
        let inventory = automated.then(|| Arc::new(Inventory::new(settings)));
        anyhow::Ok(run_phase(&workspace.checklist, phase, &state, inventory).await)
    })?;

    let outcomes = report
        .items
        .iter()
        .map(|i| (i.id.clone(), i.outcome))
        .collect();
    workspace.state.update(|state| {
        state.runs.insert(
            phase.id.clone(),
            LastRun {
                at: Timestamp::now(),
                outcomes,
            },
        );
        Ok(())
    })?;

    match args.format {
        Format::Table => report::print_table(&report)?,
        Format::Json => report::print_json(&report)?,
    }
    Ok(report.readiness().exit_code())
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
