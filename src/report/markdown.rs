//! The Markdown of a run, for a pull-request comment or GitHub's job summary
//! (`$GITHUB_STEP_SUMMARY`): the verdict, a table of counts with a row per section, then each
//! failing, erroring or pending-blocking item with its evidence in a collapsible `<details>`.
//!
//! Everything that comes from outside barkcheck (item text aside, which is the checklist's own
//! Markdown) is escaped: table cells for `|`, HTML blocks for `<`, `>` and `&`, code spans with
//! a fence longer than any backtick run inside.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::checklist::plain;
use crate::runner::{ItemResult, PhaseReport, Readiness};
use crate::verify::Outcome;

use super::OUTCOMES_WORST_FIRST;

pub fn run_summary(report: &PhaseReport) -> String {
    let readiness = report.readiness();
    let icon = match readiness {
        Readiness::Ready => "✅",
        Readiness::NotReady => "❌",
        Readiness::Unverified => "⚠️",
    };
    let mut out = format!(
        "## {icon} barkcheck: {} — {}\n\n",
        report.phase,
        super::table::verdict_words(readiness)
    );
    let _ = writeln!(
        out,
        "{} · phase **{}** ({}) · environment **{}** · run {}\n",
        md_plain(&report.checklist),
        md_plain(&report.phase),
        md_plain(&report.phase_title),
        md_plain(&report.environment),
        report.started.strftime("%Y-%m-%d %H:%M UTC")
    );
    if let Some(d) = &report.deployment {
        let _ = writeln!(
            out,
            "Deployment of {} (lead {})\n",
            md_plain(&d.date),
            md_plain(&d.lead)
        );
    }

    // Only the outcomes that occur get a column, so the table stays narrow in a comment.
    let groups = super::by_section(report);
    let mut rows: Vec<(String, BTreeMap<Outcome, usize>)> = groups
        .iter()
        .map(|(section, items)| {
            let mut counts = BTreeMap::new();
            for item in items {
                *counts.entry(item.outcome).or_insert(0) += 1;
            }
            (plain(section), counts)
        })
        .collect();
    if !report.approvals.is_empty() {
        let mut counts = BTreeMap::new();
        for approval in &report.approvals {
            *counts.entry(approval.outcome).or_insert(0) += 1;
        }
        rows.push(("Approvals".into(), counts));
    }
    let columns: Vec<Outcome> = OUTCOMES_WORST_FIRST
        .into_iter()
        .filter(|o| rows.iter().any(|(_, c)| c.contains_key(o)))
        .collect();
    out.push_str("| Section |");
    for o in &columns {
        let _ = write!(out, " {} |", o.label());
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(columns.len()));
    out.push('\n');
    let mut totals: BTreeMap<Outcome, usize> = BTreeMap::new();
    for (section, counts) in &rows {
        let _ = write!(out, "| {} |", cell(section));
        for o in &columns {
            let n = counts.get(o).copied().unwrap_or(0);
            *totals.entry(*o).or_insert(0) += n;
            let _ = write!(
                out,
                " {} |",
                if n == 0 { String::new() } else { n.to_string() }
            );
        }
        out.push('\n');
    }
    out.push_str("| **Total** |");
    for o in &columns {
        let _ = write!(out, " **{}** |", totals.get(o).copied().unwrap_or(0));
    }
    out.push_str("\n\n");

    let attention: Vec<&ItemResult> = report
        .counted()
        .filter(|i| {
            matches!(i.outcome, Outcome::Fail | Outcome::Error)
                || (i.outcome == Outcome::Pending && i.blocking)
        })
        .collect();
    let (broken, pending): (Vec<&ItemResult>, Vec<&ItemResult>) = attention
        .into_iter()
        .partition(|i| i.outcome != Outcome::Pending);
    if !broken.is_empty() {
        let _ = writeln!(out, "### Failing and unverified ({})\n", broken.len());
        for item in broken {
            item_details(&mut out, item);
        }
    }
    if !pending.is_empty() {
        let _ = writeln!(out, "### Pending sign-off ({})\n", pending.len());
        out.push_str("<details><summary>Manual items nobody has signed</summary>\n\n");
        for item in pending {
            let _ = writeln!(
                out,
                "- {} — {} ({})",
                code(&item.id),
                md_line(&item.text),
                md_line(&plain(&item.section))
            );
        }
        out.push_str("\n</details>\n\n");
    }
    let unapproved: Vec<String> = report
        .approvals
        .iter()
        .filter(|a| a.outcome != Outcome::Signed)
        .map(|a| match &a.invalidated {
            Some(why) => format!("- **{}**: {}", md_plain(&a.role), md_plain(why)),
            None => format!("- **{}**: not approved", md_plain(&a.role)),
        })
        .collect();
    if !unapproved.is_empty() {
        let _ = writeln!(out, "### Approvals missing ({})\n", unapproved.len());
        out.push_str(&unapproved.join("\n"));
        out.push_str("\n\n");
    }
    if !report.warnings.is_empty() {
        out.push_str("### Warnings\n\n");
        for warning in &report.warnings {
            let _ = writeln!(out, "- {}", md_plain(warning));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", md_plain(&super::verdict_line(report)));
    out
}

/// A failing item: a one-line summary that opens onto its evidence.
fn item_details(out: &mut String, item: &ItemResult) {
    let blocking = if item.blocking { "" } else { " (non-blocking)" };
    let _ = writeln!(
        out,
        "<details><summary><b>{}</b> <code>{}</code> {}{blocking} — {}</summary>\n",
        item.outcome.label(),
        html(&item.id),
        html(&plain(&item.text)),
        html(&plain(&item.section))
    );
    let e = &item.evidence;
    if let Some(resource) = &e.resource {
        let _ = writeln!(out, "- resource: {}", code(resource));
    }
    for c in e.comparisons.iter().filter(|c| !c.ok) {
        let _ = writeln!(
            out,
            "- {}: expected {}, observed {}",
            code(&c.field),
            code(&c.expected),
            code(&c.observed)
        );
    }
    if let Some(message) = &e.message {
        let _ = writeln!(out, "- {}", md_plain(message));
    }
    if let Some(fix) = &e.fix {
        // The fix is the checklist's own text, Markdown included.
        let _ = writeln!(out, "- **fix**: {}", md_line(fix));
    }
    out.push_str("\n</details>\n\n");
}

/// Text for HTML inside Markdown (`<summary>` lines) and for Markdown text: a `<` that could
/// open a tag and an `&` that could start an entity become entities; every other character
/// stays as written (`< 200ms`, `Domain & SSL`), so the raw file reads as the source did.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied().unwrap_or(' ');
        match c {
            '<' if next.is_ascii_alphabetic() || matches!(next, '/' | '!' | '?') => {
                out.push_str("&lt;")
            }
            '&' if next.is_ascii_alphanumeric() || next == '#' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// The checklist's own Markdown (item text) on one line: its emphasis and code marks stay,
/// HTML characters are escaped, line breaks folded.
pub fn md_line(text: &str) -> String {
    html(&text.replace(['\r', '\n'], " "))
}

/// Text from outside the checklist (messages, names, evidence) on one line, shown as written:
/// Markdown's marks are escaped too, so `arn:*` or `a_b_c` do not turn into emphasis.
pub fn md_plain(text: &str) -> String {
    let chars: Vec<char> = md_line(text).chars().collect();
    let mut out = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        // An underscore inside a word (rds_instance) never makes emphasis; one at its edge can.
        let edge = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_none_or(|c| !c.is_alphanumeric())
        };
        let escape = match c {
            '\\' | '*' | '[' | ']' | '`' | '~' => true,
            '_' => edge(i.checked_sub(1)) || edge(Some(i + 1)),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A table cell of the checklist's Markdown: one line, with `|` escaped (GFM splits cells on
/// it even in code spans).
pub fn cell(text: &str) -> String {
    md_line(text).replace('|', "\\|")
}

/// A code span that holds any text: the fence is longer than any backtick run inside.
pub fn code(text: &str) -> String {
    let text = text.replace(['\r', '\n'], " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_backticks_and_pipes() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(md_plain("arn:*_x rds_instance"), "arn:\\*\\_x rds_instance");
    }

    #[test]
    fn cells_stay_on_one_line_and_escape_markup() {
        assert_eq!(cell("a|b\n<c>"), "a\\|b &lt;c>");
        assert_eq!(
            html("< 200ms & <b>&amp; &#1;"),
            "< 200ms & &lt;b>&amp;amp; &amp;#1;"
        );
    }
}
