//! `barkcheck open --lead NAME`: opens a new deployment, as the document's header does with its
//! date and deployment lead. The last deployment's sign-offs, approvals and runs are archived in
//! the state (and stay in the history); the new one starts clean. Waivers stay: they accept a
//! risk for the environment until their date.

use anyhow::Context;
use jiff::civil::Date;

use super::{Workspace, named};
use crate::cli::{Global, OpenArgs};
use crate::report;
use crate::state::history::Action;

pub fn run(global: &Global, args: &OpenArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let lead = args.lead.trim().to_string();
    if lead.is_empty() {
        anyhow::bail!("--lead needs a name");
    }
    let date = match &args.date {
        Some(text) => text
            .trim()
            .parse::<Date>()
            .with_context(|| format!("--date `{text}` is not a date like 2026-12-31"))?,
        None => jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date(),
    };
    let by = args
        .by
        .as_deref()
        .map(named)
        .transpose()?
        .unwrap_or_else(|| lead.clone());
    let (state, _) = workspace.state.record(&by, |_| {
        Ok((
            Action::Open {
                lead: lead.clone(),
                date: date.to_string(),
            },
            (),
        ))
    })?;
    report::print_text(&format!(
        "opened the deployment of {date} (lead {lead}) in environment {}; {} earlier \
         deployment(s) archived",
        state.environment,
        state.previous.len()
    ))?;
    Ok(0)
}
