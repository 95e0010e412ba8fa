//! `barkcheck walk --phase P`: an engineer goes through the pending manual items at a terminal.
//!
//! Each answer is saved before the next question, so an interrupted walk (Ctrl-C, a closed
//! terminal) keeps everything signed so far; the next walk starts after the last item shown.

use std::io::{BufRead, IsTerminal};

use anyhow::bail;

use super::{Workspace, current_user};
use crate::checklist::plain;
use crate::cli::{Global, WalkArgs};
use crate::report;
use crate::runner::section_label;
use crate::state::history::Action;

pub fn run(global: &Global, args: &WalkArgs) -> anyhow::Result<u8> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(
            "walk asks questions and needs a terminal; without one, sign items with \
             `barkcheck sign ITEM --by NAME [--note TEXT]`"
        );
    }
    let workspace = Workspace::open(global)?;
    let phase = workspace.phase(&args.phase)?;
    let by = match &args.by {
        Some(name) => super::named(name)?,
        None => current_user().ok_or_else(|| anyhow::anyhow!("who is signing? pass --by NAME"))?,
    };

    let state = workspace.state.read()?;
    let entries = phase.entries();
    let parents: std::collections::HashSet<usize> =
        entries.iter().filter_map(|e| e.parent).collect();
    let pending: Vec<usize> = (0..entries.len())
        .filter(|&i| {
            let e = &entries[i];
            let leaf = !parents.contains(&i);
            let signed = state
                .signoffs
                .get(&e.item.id)
                .is_some_and(|s| s.digest == e.item.digest);
            e.item.check.is_none() && leaf && e.excluded_by.is_none() && !signed
        })
        .collect();
    if pending.is_empty() {
        report::print_text(&format!("phase {}: no manual item is pending", phase.id))?;
        return Ok(0);
    }

    // Resume after the item the last walk stopped at, wrapping round to the start.
    let resume = state
        .walk
        .get(&phase.id)
        .and_then(|id| entries.iter().position(|e| &e.item.id == id))
        .and_then(|stop| pending.iter().position(|&i| i > stop))
        .unwrap_or(0);
    let order: Vec<usize> = pending[resume..]
        .iter()
        .chain(&pending[..resume])
        .copied()
        .collect();

    let mut input = std::io::stdin().lock();
    let (mut signed, mut skipped) = (0, 0);
    report::print_text(&format!(
        "phase {}: {} manual items pending; signing as {by}",
        phase.id,
        order.len()
    ))?;
    for (n, &i) in order.iter().enumerate() {
        let entry = &entries[i];
        report::print_text(&format!(
            "\n[{}/{}] {}\n  {} ({})",
            n + 1,
            order.len(),
            plain(&section_label(entry)),
            plain(&entry.item.text),
            entry.item.id
        ))?;
        let answer = loop {
            report::prompt("  [s]ign, s[k]ip, [q]uit? ")?;
            let Some(line) = read_line(&mut input)? else {
                break 'q';
            };
            match line.trim().to_ascii_lowercase().as_str() {
                "s" | "sign" => break 's',
                "k" | "skip" | "" => break 'k',
                "q" | "quit" => break 'q',
                _ => report::print_text("  answer s, k or q")?,
            }
        };
        if answer == 'q' {
            break;
        }
        let mut note = None;
        if answer == 's' {
            report::prompt("  note (Enter for none): ")?;
            note = read_line(&mut input)?
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty());
        }
        let id = entry.item.id.clone();
        if answer == 's' {
            workspace.state.record(&by, |_| {
                let digest = entry.item.digest.clone();
                Ok((
                    Action::Sign {
                        item: id.clone(),
                        definition: digest,
                        note: note.clone(),
                    },
                    (),
                ))
            })?;
        }
        workspace.state.update_unrecorded(|state| {
            state.walk.insert(phase.id.clone(), id.clone());
        })?;
        if answer == 's' {
            signed += 1;
            report::print_text(&format!("  signed {id}"))?;
        } else {
            skipped += 1;
        }
    }
    let left = order.len() - signed;
    report::print_text(&format!(
        "\nsigned {signed}, skipped {skipped}; {left} still pending"
    ))?;
    Ok(0)
}

/// One line from the terminal; None at end of input.
fn read_line(input: &mut impl BufRead) -> anyhow::Result<Option<String>> {
    let mut line = String::new();
    Ok((input.read_line(&mut line)? > 0).then_some(line))
}
