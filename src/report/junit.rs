//! JUnit XML of a run, the test-report format CI systems render: one `<testsuite>` per section,
//! one `<testcase>` per counted item (classname = the section, name = "id: text"), and the role
//! approvals as a suite of their own.
//!
//! FAIL is a `<failure>` whose body holds the evidence, ERROR an `<error>`, a blocking PENDING
//! item a `<failure>` ("pending sign-off"), SKIPPED, WAIVED and non-blocking PENDING are
//! `<skipped>`. The XML is written here rather than with an XML crate: the shape is fixed and
//! small, and the one thing a library would add, escaping, is [`escape`] below, which also
//! replaces the characters XML 1.0 cannot carry at all (which quick-xml's escaping passes on).

use std::fmt::Write;

use crate::checklist::plain;
use crate::runner::{ApprovalResult, ItemResult, PhaseReport};
use crate::verify::Outcome;

/// What a testcase reports beyond passing.
enum Verdict {
    Passed,
    Failure { message: String, kind: &'static str },
    Error { message: String },
    Skipped { message: String },
}

struct Case {
    name: String,
    verdict: Verdict,
    /// The evidence, shown by CI systems as the failure's body or the case's output.
    body: String,
}

struct Suite {
    name: String,
    cases: Vec<Case>,
}

impl Suite {
    fn count(&self, wanted: fn(&Verdict) -> bool) -> usize {
        self.cases.iter().filter(|c| wanted(&c.verdict)).count()
    }
}

pub fn junit(report: &PhaseReport) -> String {
    let mut suites: Vec<Suite> = super::by_section(report)
        .into_iter()
        .map(|(section, items)| Suite {
            name: plain(section),
            cases: items.into_iter().map(item_case).collect(),
        })
        .collect();
    if !report.approvals.is_empty() {
        suites.push(Suite {
            name: "Approvals".to_string(),
            cases: report.approvals.iter().map(approval_case).collect(),
        });
    }

    let timestamp = report.started.strftime("%Y-%m-%dT%H:%M:%S");
    let failures = |v: &Verdict| matches!(v, Verdict::Failure { .. });
    let errors = |v: &Verdict| matches!(v, Verdict::Error { .. });
    let skipped = |v: &Verdict| matches!(v, Verdict::Skipped { .. });
    let total = |f: fn(&Verdict) -> bool| suites.iter().map(|s| s.count(f)).sum::<usize>();
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" \
         skipped=\"{}\" timestamp=\"{timestamp}\">",
        escape(&format!(
            "{} — {} ({})",
            report.checklist, report.phase, report.environment
        )),
        total(failures),
        total(errors),
        total(skipped),
    );
    for (index, suite) in suites.iter().enumerate() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" id=\"{index}\" package=\"{}\" tests=\"{}\" failures=\"{}\" \
             errors=\"{}\" skipped=\"{}\" timestamp=\"{timestamp}\">",
            escape(&suite.name),
            escape(&report.phase),
            suite.cases.len(),
            suite.count(failures),
            suite.count(errors),
            suite.count(skipped),
        );
        for case in &suite.cases {
            write_case(&mut out, &suite.name, case);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

// TODO: testcases carry no `time`: the runner does not time each check, so there is none to give.
fn write_case(out: &mut String, classname: &str, case: &Case) {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\"",
        escape(classname),
        escape(&case.name)
    );
    let body = escape_text(&case.body);
    match &case.verdict {
        Verdict::Passed if case.body.is_empty() => {
            let _ = writeln!(out, "{open}/>");
        }
        Verdict::Passed => {
            let _ = writeln!(
                out,
                "{open}>\n      <system-out>{body}</system-out>\n    </testcase>"
            );
        }
        Verdict::Failure { message, kind } => {
            let _ = writeln!(
                out,
                "{open}>\n      <failure message=\"{}\" type=\"{kind}\">{body}</failure>\n    \
                 </testcase>",
                escape(message)
            );
        }
        Verdict::Error { message } => {
            let _ = writeln!(
                out,
                "{open}>\n      <error message=\"{}\" type=\"ERROR\">{body}</error>\n    \
                 </testcase>",
                escape(message)
            );
        }
        Verdict::Skipped { message } if case.body.is_empty() => {
            let _ = writeln!(
                out,
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape(message)
            );
        }
        Verdict::Skipped { message } => {
            let _ = writeln!(
                out,
                "{open}>\n      <skipped message=\"{}\"/>\n      <system-out>{body}</system-out>\n    \
                 </testcase>",
                escape(message)
            );
        }
    }
}

fn item_case(item: &ItemResult) -> Case {
    let evidence = super::evidence_lines(item);
    // The first line that says what went wrong, for the one-line message CI systems show.
    let headline = item
        .evidence
        .comparisons
        .iter()
        .find(|c| !c.ok)
        .map(|c| {
            format!(
                "{}: expected {}, observed {}",
                c.field, c.expected, c.observed
            )
        })
        .or_else(|| item.evidence.message.clone());
    let qualifier = if item.blocking { "" } else { " (non-blocking)" };
    let verdict = match item.outcome {
        Outcome::Pass | Outcome::Signed => Verdict::Passed,
        Outcome::Fail => Verdict::Failure {
            message: format!(
                "FAIL{qualifier}: {}",
                headline.unwrap_or_else(|| "the check failed".into())
            ),
            kind: "FAIL",
        },
        Outcome::Error => Verdict::Error {
            message: format!(
                "could not verify: {}",
                headline.unwrap_or_else(|| "unknown".into())
            ),
        },
        Outcome::Pending if item.blocking => Verdict::Failure {
            message: match &item.evidence.message {
                Some(why) => format!("pending sign-off: {why}"),
                None => "pending sign-off".into(),
            },
            kind: "PENDING",
        },
        Outcome::Pending => Verdict::Skipped {
            message: "pending sign-off (non-blocking)".into(),
        },
        Outcome::Waived => Verdict::Skipped {
            message: match &item.evidence.waiver {
                Some(w) => format!("WAIVED by {} until {}: {}", w.by, w.until, w.reason),
                None => "WAIVED".into(),
            },
        },
        Outcome::Skipped => Verdict::Skipped {
            message: format!(
                "SKIPPED: {}",
                item.evidence.message.as_deref().unwrap_or("does not apply")
            ),
        },
    };
    Case {
        name: format!("{}: {}", item.id, plain(&item.text)),
        verdict,
        body: evidence.join("\n"),
    }
}

fn approval_case(approval: &ApprovalResult) -> Case {
    let name = format!("{} ({})", approval.role, approval.section);
    let approved = match (&approval.by, approval.at) {
        (Some(by), Some(at)) => Some(format!(
            "approved by {by}, {}",
            at.strftime("%Y-%m-%d %H:%M UTC")
        )),
        _ => None,
    };
    let mut body: Vec<String> = approved.iter().cloned().collect();
    body.extend(approval.note.iter().map(|n| format!("note: {n}")));
    let verdict = match (approval.outcome, &approval.invalidated) {
        (Outcome::Signed, _) => Verdict::Passed,
        (_, Some(why)) => Verdict::Failure {
            message: format!("approval {why}"),
            kind: "PENDING",
        },
        _ => {
            body.push(format!(
                "barkcheck approve --role \"{}\" --by NAME",
                approval.role
            ));
            Verdict::Failure {
                message: "pending approval".into(),
                kind: "PENDING",
            }
        }
    };
    Case {
        name,
        verdict,
        body: body.join("\n"),
    }
}

/// Text made safe for XML attributes and content: markup characters become entities, line
/// breaks in attributes stay line breaks, and characters XML 1.0 forbids (most control
/// characters) become U+FFFD, so the document always parses.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Text made safe for element content: as [`escape`], but line breaks and quotes stay as they
/// are, so the evidence reads as lines in the raw file too.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, escape_text};

    #[test]
    fn markup_and_forbidden_characters_are_escaped() {
        assert_eq!(
            escape("a<b>&\"c'\u{1b}[31m]]>\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}[31m]]&gt;&#10;"
        );
        assert_eq!(escape("naïve 🐕"), "naïve 🐕");
        assert_eq!(escape_text("a\n\"b\"\u{0}"), "a\n\"b\"\u{FFFD}");
    }
}
