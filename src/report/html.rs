//! The HTML report: one self-contained page (inline CSS and JavaScript, no request to anything:
//! its Content-Security-Policy forbids every load) that opens from a file without a server.
//!
//! Each phase shows its verdict and a table of counts per section; below it every item with
//! its outcome, and its evidence one click away in a `<details>`. The counts are filled in by
//! the page's script from the items' `data-outcome` attributes, so what the tables say is what
//! the page lists; the totals carry ids (`count-PHASE-OUTCOME`, `total-OUTCOME`) that the tests
//! read from the rendered page.

use std::fmt::Write;

use crate::checklist::plain;
use crate::runner::{ApprovalResult, ItemResult, PhaseReport};
use crate::verify::Outcome;

use super::OUTCOMES_WORST_FIRST;

const STYLE: &str = r#"
:root { --pass:#1a7f37; --fail:#cf222e; --error:#9a6700; --pending:#6e7781; --signed:#0969da;
  --waived:#8250df; --skipped:#afb8c1; font-family: system-ui, sans-serif; color:#1f2328; }
body { margin: 1.5rem auto; max-width: 70rem; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { margin-top: 2.5rem; }
.meta { color: #57606a; margin: .2rem 0; }
.verdict { font-size: .9rem; padding: .15rem .5rem; border-radius: 1rem; color: #fff;
  vertical-align: middle; }
.verdict.ready { background: var(--pass); } .verdict.not_ready { background: var(--fail); }
.verdict.unverified { background: var(--error); }
table.counts { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; }
table.counts th, table.counts td { border: 1px solid #d0d7de; padding: .25rem .6rem; }
table.counts td.n { text-align: right; min-width: 3rem; }
table.counts tr.total td { font-weight: 600; }
ul.items { list-style: none; padding-left: 0; margin: .3rem 0; }
li.item { margin: .15rem 0; padding-left: calc(var(--depth, 0) * 1.5rem); }
li.item summary { cursor: pointer; }
li.item code { color: #57606a; font-size: .85em; }
.badge { display: inline-block; min-width: 4.8rem; text-align: center; font-size: .75rem;
  font-weight: 700; color: #fff; border-radius: .3rem; padding: .05rem .3rem; }
.PASS { background: var(--pass); } .FAIL { background: var(--fail); }
.ERROR { background: var(--error); } .PENDING { background: var(--pending); }
.SIGNED { background: var(--signed); } .WAIVED { background: var(--waived); }
.SKIPPED { background: var(--skipped); }
ul.evidence { margin: .3rem 0 .6rem 5.5rem; padding-left: 1rem; font-size: .9rem;
  color: #3d444d; white-space: pre-wrap; }
.filter { margin: 1rem 0; }
body.attention li.item[data-attention="false"] { display: none; }
"#;

/// Counts the items of each phase and section by their `data-outcome`, fills the count cells,
/// and wires the filter; `data-rendered` on the body says it ran.
const SCRIPT: &str = r#"
(function () {
  var outcomes = ["ERROR", "FAIL", "PENDING", "WAIVED", "SKIPPED", "SIGNED", "PASS"];
  function tally(items) {
    var counts = {};
    outcomes.forEach(function (o) { counts[o] = 0; });
    items.forEach(function (li) { counts[li.dataset.outcome] += 1; });
    return counts;
  }
  var totals = tally(Array.prototype.slice.call(
    document.querySelectorAll('li.item[data-counted="true"]')));
  outcomes.forEach(function (o) {
    var cell = document.getElementById("total-" + o);
    if (cell) { cell.textContent = String(totals[o]); }
  });
  document.querySelectorAll("section.phase").forEach(function (phase) {
    var all = Array.prototype.slice.call(
      phase.querySelectorAll('li.item[data-counted="true"]'));
    var counts = tally(all);
    outcomes.forEach(function (o) {
      var cell = document.getElementById("count-" + phase.dataset.phase + "-" + o);
      if (cell) { cell.textContent = String(counts[o]); }
    });
    phase.querySelectorAll("tr[data-section]").forEach(function (row) {
      var group = document.getElementById(row.dataset.section);
      var items = group ? Array.prototype.slice.call(
        group.querySelectorAll('li.item[data-counted="true"]')) : [];
      var c = tally(items);
      row.querySelectorAll("td[data-outcome]").forEach(function (cell) {
        var n = c[cell.dataset.outcome];
        cell.textContent = n ? String(n) : "";
      });
    });
  });
  var filter = document.getElementById("attention-only");
  if (filter) {
    filter.addEventListener("change", function () {
      document.body.classList.toggle("attention", filter.checked);
    });
  }
  document.body.dataset.rendered = "true";
})();
"#;

/// A page showing `reports` (one per phase) under `title`.
pub fn html_page(title: &str, reports: &[PhaseReport]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // Nothing may be loaded from anywhere: the page is everything it needs.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(
        out,
        "<style>{STYLE}</style>\n</head>\n<body data-rendered=\"false\">"
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(title));
    if let Some(first) = reports.first() {
        let _ = writeln!(
            out,
            "<p class=\"meta\">environment <b>{}</b>{}</p>",
            escape(&first.environment),
            first
                .deployment
                .as_ref()
                .map(|d| format!(
                    " · deployment of {} (lead {})",
                    escape(&d.date),
                    escape(&d.lead)
                ))
                .unwrap_or_default()
        );
    }
    if reports.len() > 1 {
        out.push_str("<table class=\"counts\" id=\"totals\"><tr><th>All phases</th>");
        for o in OUTCOMES_WORST_FIRST {
            let _ = write!(out, "<th>{}</th>", o.label());
        }
        out.push_str("</tr><tr class=\"total\"><td>items</td>");
        for o in OUTCOMES_WORST_FIRST {
            let _ = write!(out, "<td class=\"n\" id=\"total-{}\"></td>", o.label());
        }
        out.push_str("</tr></table>\n");
    }
    out.push_str(
        "<noscript><p>The counts are filled in by the page's script; every item is listed \
         below.</p></noscript>\n<p class=\"filter\"><label><input type=\"checkbox\" \
         id=\"attention-only\"> only items that need attention (ERROR, FAIL, PENDING)</label>\
         </p>\n",
    );
    for report in reports {
        phase_section(&mut out, report);
    }
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

fn phase_section(out: &mut String, report: &PhaseReport) {
    let phase = &report.phase;
    let readiness = report.readiness();
    let readiness_key = serde_json::to_value(readiness)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<section class=\"phase\" id=\"phase-{0}\" data-phase=\"{0}\" data-readiness=\"{1}\">",
        escape(phase),
        readiness_key
    );
    let _ = writeln!(
        out,
        "<h2>{} <small>{}</small> <span class=\"verdict {readiness_key}\" id=\"verdict-{}\">{}\
         </span></h2>",
        escape(phase),
        escape(&report.phase_title),
        escape(phase),
        super::table::verdict_words(readiness)
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{}</p>",
        escape(&format!(
            "{} · run {}",
            report.checklist,
            report.started.strftime("%Y-%m-%d %H:%M UTC")
        ))
    );

    // The table of counts: a row per section, and the phase's totals, filled in by the script.
    let groups = group_items(report);
    out.push_str("<table class=\"counts\"><thead><tr><th>Section</th>");
    for o in OUTCOMES_WORST_FIRST {
        let _ = write!(out, "<th>{}</th>", o.label());
    }
    out.push_str("</tr></thead><tbody>\n");
    for (index, (label, _)) in groups.iter().enumerate() {
        let _ = write!(
            out,
            "<tr data-section=\"{}\"><td>{}</td>",
            group_id(phase, index),
            escape(&plain(label))
        );
        for o in OUTCOMES_WORST_FIRST {
            let _ = write!(out, "<td class=\"n\" data-outcome=\"{}\"></td>", o.label());
        }
        out.push_str("</tr>\n");
    }
    out.push_str("<tr class=\"total\"><td>Total</td>");
    for o in OUTCOMES_WORST_FIRST {
        let _ = write!(
            out,
            "<td class=\"n\" id=\"count-{}-{}\"></td>",
            escape(phase),
            o.label()
        );
    }
    out.push_str("</tr></tbody></table>\n");

    for warning in &report.warnings {
        let _ = writeln!(out, "<p class=\"meta\">warning: {}</p>", escape(warning));
    }
    for (index, (label, entries)) in groups.iter().enumerate() {
        let _ = writeln!(
            out,
            "<section class=\"section\" id=\"{}\">\n<h3>{}</h3>\n<ul class=\"items\">",
            group_id(phase, index),
            escape(&plain(label))
        );
        for entry in entries {
            match entry {
                Entry::Item(item, counted) => item_line(out, item, *counted),
                Entry::Approval(approval) => approval_line(out, approval),
            }
        }
        out.push_str("</ul>\n</section>\n");
    }
    out.push_str("</section>\n");
}

enum Entry<'a> {
    /// An item, and whether it counts (a parent without a check only sums up its sub-items).
    Item(&'a ItemResult, bool),
    Approval(&'a ApprovalResult),
}

/// Every item and approval by section label, in order.
fn group_items(report: &PhaseReport) -> Vec<(String, Vec<Entry<'_>>)> {
    let counted: std::collections::HashSet<&str> =
        report.counted().map(|i| i.id.as_str()).collect();
    let entries = report
        .items
        .iter()
        .map(|item| {
            let entry = Entry::Item(item, counted.contains(item.id.as_str()));
            (item.section.as_str(), entry)
        })
        .chain(
            report
                .approvals
                .iter()
                .map(|a| (a.section.as_str(), Entry::Approval(a))),
        );
    let mut groups: Vec<(String, Vec<Entry<'_>>)> = Vec::new();
    for (label, entry) in entries {
        match groups.iter_mut().find(|(l, _)| l == label) {
            Some((_, list)) => list.push(entry),
            None => groups.push((label.to_string(), vec![entry])),
        }
    }
    groups
}

fn group_id(phase: &str, index: usize) -> String {
    format!("{}-section-{index}", escape(phase))
}

fn needs_attention(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Error | Outcome::Fail | Outcome::Pending)
}

fn item_line(out: &mut String, item: &ItemResult, counted: bool) {
    let blocking = if item.blocking {
        ""
    } else {
        " <i>(non-blocking)</i>"
    };
    let _ = write!(
        out,
        "<li class=\"item\" data-id=\"{}\" data-outcome=\"{}\" data-counted=\"{counted}\" \
         data-attention=\"{}\" style=\"--depth:{}\"><details><summary><span class=\"badge {}\">{}\
         </span> {}{blocking} <code>{}</code></summary>",
        escape(&item.id),
        item.outcome.label(),
        needs_attention(item.outcome),
        item.depth,
        item.outcome.label(),
        item.outcome.label(),
        escape(&plain(&item.text)),
        escape(&item.id)
    );
    let lines = super::evidence_lines(item);
    out.push_str("<ul class=\"evidence\">");
    if lines.is_empty() {
        let empty = match (item.outcome, item.automated) {
            (Outcome::Pending, false) => "nobody has signed it yet",
            _ => "no evidence recorded",
        };
        let _ = write!(out, "<li>{empty}</li>");
    }
    for line in lines {
        let _ = write!(out, "<li>{}</li>", escape(&line));
    }
    out.push_str("</ul></details></li>\n");
}

fn approval_line(out: &mut String, approval: &ApprovalResult) {
    let mut lines = Vec::new();
    if let (Some(by), Some(at)) = (&approval.by, approval.at) {
        lines.push(format!(
            "approved by {by}, {}",
            at.strftime("%Y-%m-%d %H:%M UTC")
        ));
    }
    lines.extend(approval.note.iter().map(|n| format!("note: {n}")));
    lines.extend(approval.invalidated.iter().cloned());
    if approval.outcome != Outcome::Signed && approval.invalidated.is_none() {
        lines.push(format!(
            "barkcheck approve --role \"{}\" --by NAME",
            approval.role
        ));
    }
    let _ = write!(
        out,
        "<li class=\"item approval\" data-id=\"approval:{}\" data-outcome=\"{}\" \
         data-counted=\"true\" data-attention=\"{}\"><details><summary><span class=\"badge {}\">\
         {}</span> {} (approval)</summary><ul class=\"evidence\">",
        escape(&approval.role),
        approval.outcome.label(),
        needs_attention(approval.outcome),
        approval.outcome.label(),
        approval.outcome.label(),
        escape(&approval.role)
    );
    for line in lines {
        let _ = write!(out, "<li>{}</li>", escape(&line));
    }
    out.push_str("</ul></details></li>\n");
}

/// Text made safe for HTML content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
