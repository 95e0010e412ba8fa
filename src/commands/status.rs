//! `barkcheck status`: progress per phase and section from the state file; no AWS calls.

use super::Workspace;
use crate::cli::{Global, StatusArgs};
use crate::report;

pub fn run(global: &Global, args: &StatusArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    if let Some(phase) = &args.phase {
        workspace.phase(phase)?;
    }
    let state = workspace.state.read()?;
    let text = report::status_table(&workspace.checklist, &state, args.phase.as_deref());
    report::print_text(&format!("state: {}\n{text}", workspace.state.describe()))?;
    Ok(0)
}
