//! `barkcheck verify`: proves the record was not edited by hand. Checks the history's chain of
//! digests entry by entry, and that the state file is exactly what replaying the history gives.
//! Exits 0 when both hold, 1 when the record does not verify, saying where it breaks.

use super::Workspace;
use crate::cli::Global;
use crate::report;

pub fn run(global: &Global) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let verification = workspace.state.verify()?;
    let history = workspace.state.describe_history();
    if verification.problems.is_empty() {
        let state = workspace.state.describe();
        let snapshot = match verification.behind {
            0 => format!("{state} is what they record"),
            behind => format!(
                "{state} is what the first {} record, {behind} behind: its write failed after \
                 the history's; every read replays the rest, and the next change brings it up \
                 to date",
                verification.entries - behind
            ),
        };
        report::print_text(&format!(
            "verified: {} history entries in {} chain intact, and {snapshot}",
            verification.entries, history
        ))?;
        return Ok(0);
    }
    let mut text = format!("NOT VERIFIED: {}", history);
    for problem in &verification.problems {
        text.push_str(&format!("\n- {problem}"));
    }
    report::print_text(&text)?;
    Ok(1)
}
