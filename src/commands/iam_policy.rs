//! `barkcheck iam-policy [--phase P]`: the least-privilege, read-only IAM policy that the
//! selected checks need, as a JSON document ready to attach.
//!
//! The actions come from each kind's row of AWS calls (`verify::Kind::aws_calls`), for the
//! automated items that would run with the variables given: an item whose `when:` is false
//! makes no call and adds no action. Makes no AWS call itself.

use std::collections::BTreeSet;

use anyhow::bail;

use super::Workspace;
use crate::checklist::{Phase, select};
use crate::cli::{Global, IamPolicyArgs};
use crate::report;

pub fn run(global: &Global, args: &IamPolicyArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let checklist = &workspace.checklist;
    let phases: Vec<&Phase> = match &args.phase {
        Some(id) => vec![workspace.phase(id)?],
        None => checklist.phases.iter().collect(),
    };
    let filter = args.selection.filter();
    let only = if filter.narrows() {
        Some(select::select(checklist, &phases, &filter)?)
    } else {
        None
    };

    let mut actions = BTreeSet::new();
    for phase in &phases {
        for entry in phase.entries() {
            let selected = only.as_ref().is_none_or(|o| o.contains(&entry.item.id));
            if let (Some(check), true, None) = (&entry.item.check, selected, entry.excluded_by) {
                actions.extend(crate::verify::calls_of(check).iter().map(|c| c.action));
            }
        }
    }
    if actions.is_empty() {
        bail!("the selected checks make no AWS call, so they need no IAM policy");
    }
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "BarkcheckReadOnly",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*",
        }],
    });
    report::print_text(&serde_json::to_string_pretty(&policy)?)?;
    Ok(0)
}
