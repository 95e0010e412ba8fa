//! `barkcheck sign ITEM` and `barkcheck unsign ITEM`: sign-offs of manual items.

use anyhow::bail;

use super::{Workspace, named, who};
use crate::checklist::Item;
use crate::cli::{Global, SignArgs, UnsignArgs};
use crate::report;
use crate::state::history::Action;

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
    let by = named(&args.by)?;
    let note = args.note.clone().filter(|n| !n.trim().is_empty());
    workspace.state.record(&by, |_| {
        let action = Action::Sign {
            item: item.id.clone(),
            definition: item.digest.clone(),
            note: note.clone(),
        };
        Ok((action, ()))
    })?;
    report::print_text(&format!("signed {} by {by}", item.id))?;
    Ok(0)
}

pub fn unsign(global: &Global, args: &UnsignArgs) -> anyhow::Result<u8> {
    let workspace = Workspace::open(global)?;
    // A sign-off of an item that was since renamed or removed can still be withdrawn.
    let id = match signable(&workspace, &args.item) {
        Ok(item) => item.id.clone(),
        Err(e) if workspace.state.read()?.signoffs.contains_key(&args.item) => {
            let _ = e;
            args.item.clone()
        }
        Err(e) => return Err(e),
    };
    let by = who(args.by.as_deref());
    let (_, old) = workspace.state.record(&by, |state| {
        let Some(old) = state.signoffs.get(&id) else {
            bail!("item `{id}` is not signed");
        };
        let action = Action::Unsign {
            item: id.clone(),
            reason: args.reason.clone(),
        };
        Ok((action, old.clone()))
    })?;
    report::print_text(&format!(
        "unsigned {id} (was signed by {} at {})",
        old.by, old.at
    ))?;
    Ok(0)
}
