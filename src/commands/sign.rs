//! `barkcheck sign ITEM` and `barkcheck unsign ITEM`: sign-offs of manual items.

use anyhow::bail;
use jiff::Timestamp;

use super::Workspace;
use crate::checklist::Item;
use crate::cli::{Global, SignArgs, UnsignArgs};
use crate::report;
use crate::state::SignOff;

/// The item `id` if a person can sign it: it exists, has no check, and has no sub-items.
pub fn signable<'a>(workspace: &'a Workspace, id: &str) -> anyhow::Result<&'a Item> {
    let Some((_, entry)) = workspace.checklist.item(id) else {
        return Err(workspace.unknown_item(id));
    };
    let item = entry.item;
    if item.check.is_some() {
        bail!("item `{id}` is decided by its automated check, not signed; run its phase instead");
    }
    if !item.items.is_empty() {
        bail!(
            "item `{id}` sums up its {} sub-items; sign those instead",
            item.items.len()
        );
    }
    Ok(item)
}

pub fn sign(global: &Global, args: &SignArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let item = signable(&workspace, &args.item)?;
    if args.by.trim().is_empty() {
        bail!("--by needs a name");
    }
    let signoff = SignOff {
        by: args.by.trim().to_string(),
        at: Timestamp::now(),
        note: args.note.clone().filter(|n| !n.trim().is_empty()),
        digest: item.digest.clone(),
    };
    workspace.state.update(|state| {
        state.signoffs.insert(item.id.clone(), signoff);
        Ok(())
    })?;
    report::print_text(&format!("signed {} by {}", item.id, args.by.trim()))?;
    Ok(0)
}

pub fn unsign(global: &Global, args: &UnsignArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    let item = signable(&workspace, &args.item)?;
    let removed = workspace
        .state
        .update(|state| Ok(state.signoffs.remove(&item.id)))?;
    match removed {
        Some(old) => {
            report::print_text(&format!(
                "unsigned {} (was signed by {} at {})",
                item.id, old.by, old.at
            ))?;
            Ok(0)
        }
        None => bail!("item `{}` is not signed", item.id),
    }
}
