//! `barkcheck lint`: loads a checklist, reports every problem with file:line:column, and on
//! success how many items are automated and how many manual.

use super::load_checklist;
use crate::cli::Global;
use crate::report;

pub fn run(global: &Global) -> anyhow::Result<u8> {
    let checklist = load_checklist(global)?;
    let mut automated = 0;
    let mut manual = 0;
    let mut approvals = 0;
    for phase in &checklist.phases {
        approvals += phase.approvals().count();
    }
    for (_, entry) in checklist.all_items() {
        if entry.item.check.is_some() {
            automated += 1;
        } else if entry.item.items.is_empty() {
            manual += 1;
        }
    }
    let items = checklist.all_items().count();
    report::print_text(&format!(
        "{}: ok — {} phases, {items} items ({automated} automated, {manual} manual, {} that sum up \
         sub-items), {approvals} role approvals",
        checklist.origin,
        checklist.phases.len(),
        items - automated - manual
    ))?;
    Ok(0)
}
