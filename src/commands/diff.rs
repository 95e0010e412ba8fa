//! `barkcheck diff OLD.json NEW.json`: what changed between two run reports of one phase.
//! Exit 0 when nothing got worse, 1 when something did, 2 when a report cannot be read.

use crate::cli::{DiffArgs, DiffFormat};
use crate::report;
use crate::report::json::RunDocument;

pub fn run(args: &DiffArgs) -> anyhow::Result<u8> {
    let old = RunDocument::read(&args.old)?;
    let new = RunDocument::read(&args.new)?;
    let diff = report::diff::diff(&old, &new)?;
    let text = match args.format {
        DiffFormat::Table => report::diff::table(&diff),
        DiffFormat::Json => report::diff::json(&diff),
        DiffFormat::Markdown => report::diff::markdown(&diff),
    };
    report::print_text(&text)?;
    Ok(u8::from(diff.worse))
}
