//! Turning a Markdown checklist into a checklist file (`barkcheck import`).
//!
//! Every `- [ ]` box (and `- ✅` success criterion) found by [`markdown::boxes`] becomes a
//! manual item with its text verbatim (mis-decoded emoji repaired), nested as in the document,
//! under a section for its `##`/`###` headings and a step for its numbered step. A sign-off box
//! (`**Engineering Lead**: ______ Date: ____`) becomes a role approval of its section. Text
//! marked "(optional", "(if applicable)" or "(if needed)" makes a non-blocking item.
//!
//! Phases follow the headings: one that says rollback goes to `rollback`; post-deploy(ment),
//! "after deploy" or "success criteria" to `post-deploy`; pre-deploy(ment) or "before deploy"
//! to `pre-deploy`; any other mention of deploy(ment) to `deploy`. The `###` heading decides,
//! else the `###` heading before it under the same `##` heading, else the `##` heading; a
//! section whose headings name no phase lands in [`DEFAULT_PHASE`], since what a deployment
//! checklist does not place during or after the deployment is preparation for it.
//!
//! Ids come from the text, so they stay the same when the document is imported again and when
//! other items are added or moved; only a text that repeats one already seen gets its parent's
//! or section's id in front (then a number), in document order.

use std::collections::HashSet;
use std::fmt::Write;

use super::markdown::{self, Box as MarkdownBox};

/// Where a section whose headings name no phase goes.
pub const DEFAULT_PHASE: &str = "pre-deploy";

/// The phases an import can produce, in order, with their titles.
const PHASES: &[(&str, &str)] = &[
    ("pre-deploy", "Before the deployment starts"),
    ("deploy", "The deployment"),
    ("post-deploy", "After the deployment"),
    ("rollback", "The rollback plan"),
];

/// The most words of an item's text kept in its id.
const ID_WORDS: usize = 5;

/// Words left out of ids.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "with", "is", "are", "be", "at",
    "by", "from",
];

/// What an import produced.
pub struct Imported {
    pub yaml: String,
    pub items: usize,
    pub approvals: usize,
    /// Each phase produced, with its number of items and approvals.
    pub phases: Vec<(String, usize)>,
}

struct Node {
    id: String,
    text: String,
    items: Vec<Node>,
}

struct Step {
    id: String,
    title: String,
    items: Vec<Node>,
}

struct Section {
    id: String,
    part: Option<String>,
    title: Option<String>,
    phase: &'static str,
    items: Vec<Node>,
    steps: Vec<Step>,
    approvals: Vec<String>,
}

// TODO: keep the paragraphs and code blocks under a heading as the section's or step's `notes`,
// as the bundled checklist does by hand; the import keeps the boxes only.
/// Imports `markdown`; `source` names the document in the file's header comment.
pub fn import(markdown: &str, source: &str) -> Imported {
    let repaired = markdown::repair(markdown);
    let name = repaired
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(|t| t.trim().to_string())
        .unwrap_or_else(|| "Imported checklist".to_string());
    let version = repaired.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("**Version**:")?;
        Some(rest.trim().to_string()).filter(|v| !v.is_empty())
    });

    let mut ids = Ids::default();
    let mut sections: Vec<Section> = Vec::new();
    // The path of item indices from the section (or step) down to the last box placed.
    let mut open: Vec<usize> = Vec::new();
    let (mut items, mut approvals) = (0, 0);
    for b in markdown::boxes(markdown) {
        let at = match sections
            .iter()
            .position(|s| s.part == b.part && s.title == b.title)
        {
            Some(at) if at + 1 == sections.len() => at,
            _ => {
                // A heading seen again after another one is a section of its own.
                let phase = phase_of(&b, &sections);
                let heading = b
                    .title
                    .as_deref()
                    .or(b.part.as_deref())
                    .unwrap_or("checklist");
                let base = slug(heading, usize::MAX);
                let id = ids.claim(&base, b.part.as_deref().map(|p| slug(p, usize::MAX)));
                sections.push(Section {
                    id,
                    part: b
                        .part
                        .clone()
                        .or_else(|| b.title.is_none().then(|| name.clone())),
                    title: b.title.clone(),
                    phase,
                    items: Vec::new(),
                    steps: Vec::new(),
                    approvals: Vec::new(),
                });
                open.clear();
                sections.len() - 1
            }
        };
        let section = &mut sections[at];

        if let Some(role) = sign_off_role(&b.text) {
            section.approvals.push(role);
            approvals += 1;
            continue;
        }
        if let Some(step) = &b.step
            && section.steps.last().is_none_or(|s| &s.title != step)
        {
            let id = ids.claim(&slug(step, ID_WORDS), Some(section.id.clone()));
            section.steps.push(Step {
                id,
                title: step.clone(),
                items: Vec::new(),
            });
            open.clear();
        }
        let (mut parent_id, mut siblings) = match &b.step {
            None => (section.id.clone(), &mut section.items),
            Some(_) => {
                let step = section.steps.last_mut().expect("a step was just pushed");
                (step.id.clone(), &mut step.items)
            }
        };
        // The box goes under the last open box one level up, as deep as the document allows.
        open.truncate(b.depth);
        for &index in &open {
            parent_id = siblings[index].id.clone();
            siblings = &mut siblings[index].items;
        }
        let id = ids.claim(&slug(&b.text, ID_WORDS), Some(parent_id));
        siblings.push(Node {
            id,
            text: b.text.clone(),
            items: Vec::new(),
        });
        open.push(siblings.len() - 1);
        items += 1;
    }

    let mut yaml = String::new();
    let _ = writeln!(
        yaml,
        "# Imported by `barkcheck import` from {source}:\n# {items} items and {approvals} role \
         approvals, every item manual. Add `verify:` blocks where a\n# machine can decide (see \
         `barkcheck fields`) and check the file with `barkcheck lint`.\n"
    );
    let _ = writeln!(yaml, "barkcheck: 1");
    let _ = writeln!(yaml, "name: {}", quote(&name));
    if let Some(version) = &version {
        let _ = writeln!(yaml, "version: {}", quote(version));
    }
    let _ = writeln!(yaml, "\nphases:");
    let mut phases = Vec::new();
    for (phase, title) in PHASES {
        let mine: Vec<&Section> = sections.iter().filter(|s| s.phase == *phase).collect();
        if mine.is_empty() {
            continue;
        }
        let count = mine
            .iter()
            .map(|s| {
                s.approvals.len()
                    + count(&s.items)
                    + s.steps.iter().map(|t| count(&t.items)).sum::<usize>()
            })
            .sum();
        phases.push((phase.to_string(), count));
        let _ = writeln!(
            yaml,
            "  - id: {phase}\n    title: {}\n    sections:",
            quote(title)
        );
        for section in mine {
            write_section(&mut yaml, section);
        }
    }
    Imported {
        yaml,
        items,
        approvals,
        phases,
    }
}

fn count(items: &[Node]) -> usize {
    items.iter().map(|n| 1 + count(&n.items)).sum()
}

fn write_section(yaml: &mut String, section: &Section) {
    let _ = writeln!(yaml, "      - id: {}", section.id);
    if let Some(part) = &section.part {
        let _ = writeln!(yaml, "        part: {}", quote(part));
    }
    if let Some(title) = &section.title {
        let _ = writeln!(yaml, "        title: {}", quote(title));
    }
    if !section.items.is_empty() {
        let _ = writeln!(yaml, "        items:");
        write_items(yaml, &section.items, 10);
    }
    if !section.steps.is_empty() {
        let _ = writeln!(yaml, "        sections:");
        for step in &section.steps {
            let _ = writeln!(yaml, "          - id: {}", step.id);
            let _ = writeln!(yaml, "            title: {}", quote(&step.title));
            let _ = writeln!(yaml, "            items:");
            write_items(yaml, &step.items, 14);
        }
    }
    if !section.approvals.is_empty() {
        let roles: Vec<String> = section.approvals.iter().map(|r| quote(r)).collect();
        let _ = writeln!(yaml, "        approvals: [{}]", roles.join(", "));
    }
}

fn write_items(yaml: &mut String, items: &[Node], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        let _ = writeln!(yaml, "{pad}- id: {}", item.id);
        let _ = writeln!(yaml, "{pad}  text: {}", quote(&item.text));
        if optional(&item.text) {
            let _ = writeln!(yaml, "{pad}  blocking: false");
        }
        if !item.items.is_empty() {
            let _ = writeln!(yaml, "{pad}  items:");
            write_items(yaml, &item.items, indent + 4);
        }
    }
}

/// A YAML double-quoted scalar; JSON's string syntax is a subset of it.
fn quote(text: &str) -> String {
    serde_json::to_string(text).expect("a string always encodes")
}

/// Whether the text marks the item as not always needed.
fn optional(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["(optional", "(if applicable)", "(if needed)"]
        .iter()
        .any(|mark| lower.contains(mark))
}

/// The role of a sign-off box, `**Engineering Lead**: _______ Date: ____`.
fn sign_off_role(text: &str) -> Option<String> {
    let rest = text.strip_prefix("**")?;
    let (role, after) = rest.split_once("**")?;
    let blank = after.strip_prefix(':')?.trim_start().starts_with("__");
    (blank && !role.trim().is_empty()).then(|| role.trim().to_string())
}

/// The phase a heading names, if it names one.
fn phase_named(heading: &str) -> Option<&'static str> {
    let h = heading.to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if any(&["rollback", "roll back"]) {
        Some("rollback")
    } else if any(&[
        "post-deploy",
        "post deploy",
        "after deploy",
        "success criteria",
    ]) {
        Some("post-deploy")
    } else if any(&["pre-deploy", "pre deploy", "before deploy"]) {
        Some("pre-deploy")
    } else if h.contains("deploy") {
        Some("deploy")
    } else {
        None
    }
}

/// The phase of a new section for box `b`, given the sections before it.
fn phase_of(b: &MarkdownBox, before: &[Section]) -> &'static str {
    if let Some(phase) = b.title.as_deref().and_then(phase_named) {
        return phase;
    }
    if b.title.is_some()
        && let Some(previous) = before.iter().rev().find(|s| s.part == b.part)
    {
        return previous.phase;
    }
    b.part
        .as_deref()
        .and_then(phase_named)
        .unwrap_or(DEFAULT_PHASE)
}

/// Lowercase words of the text joined by hyphens: at most `words` of them, stop words left out
/// (unless nothing else is left), Markdown marks and anything but ASCII letters and digits
/// dropped.
fn slug(text: &str, words: usize) -> String {
    // A bold lead (`**Implement File Upload** (8 hours)`) names the item; so does the text
    // before a parenthesis (an estimate, an example, a list of what it covers).
    let named = text
        .strip_prefix("**")
        .and_then(|rest| rest.split_once("**"))
        .map(|(lead, _)| lead)
        .unwrap_or(text);
    let named = match named.split_once('(') {
        Some((before, _)) if before.chars().any(|c| c.is_ascii_alphanumeric()) => before,
        _ => named,
    };
    let lower = super::plain(named).to_lowercase();
    let all: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let kept: Vec<&str> = all
        .iter()
        .copied()
        .filter(|w| !STOP_WORDS.contains(w))
        .collect();
    let chosen = if kept.is_empty() { all } else { kept };
    let id = chosen.into_iter().take(words).collect::<Vec<_>>().join("-");
    if id.is_empty() {
        "item".to_string()
    } else {
        id
    }
}

/// The ids given so far: every section, step and item id is unique in the file.
#[derive(Default)]
struct Ids {
    taken: HashSet<String>,
}

impl Ids {
    /// `base` if it is free, else `context-base`, else `base-2`, `base-3`, ...
    fn claim(&mut self, base: &str, context: Option<String>) -> String {
        let mut candidates = vec![base.to_string()];
        if let Some(context) = context.filter(|c| c != base) {
            candidates.push(format!("{context}-{base}"));
        }
        let chosen = candidates
            .into_iter()
            .find(|c| !self.taken.contains(c))
            .unwrap_or_else(|| {
                (2..)
                    .map(|n| format!("{base}-{n}"))
                    .find(|c| !self.taken.contains(c))
                    .expect("some number is free")
            });
        self.taken.insert(chosen.clone());
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_text_and_stay_when_other_items_are_added() {
        assert_eq!(
            slug("Replace wildcard CORS in 54 Lambda functions", ID_WORDS),
            "replace-wildcard-cors-54-lambda"
        );
        assert_eq!(slug("**Engineering Lead**", ID_WORDS), "engineering-lead");
        assert_eq!(
            slug("**Implement File Upload** (8 hours)", ID_WORDS),
            "implement-file-upload"
        );
        assert_eq!(
            slug(
                "Add security headers (CSP, HSTS, X-Frame-Options)",
                ID_WORDS
            ),
            "add-security-headers"
        );
        assert_eq!(slug("(optional) extras", ID_WORDS), "optional-extras");
        assert_eq!(slug("🔴 ✅", ID_WORDS), "item");

        let before = import("## Setup\n- [ ] Alpha check\n- [ ] Beta check\n", "a.md");
        let after = import(
            "## Setup\n- [ ] New first\n- [ ] Alpha check\n- [ ] Beta check\n",
            "a.md",
        );
        for id in ["alpha-check", "beta-check"] {
            assert!(
                before.yaml.contains(&format!("- id: {id}\n")),
                "{}",
                before.yaml
            );
            assert!(
                after.yaml.contains(&format!("- id: {id}\n")),
                "{}",
                after.yaml
            );
        }
    }

    #[test]
    fn headings_choose_phases_and_sign_off_boxes_become_approvals() {
        let md = "## Checks\n### Database\n- [ ] Backups on\n\
                  ## Deployment Execution\n### Pre-Deployment Steps\n- [ ] Code freeze\n\
                  ### Deployment Steps\n1. **Backend**\n   - [ ] Deployed\n\
                  ## Rollback Plan\n### Procedure\n- [ ] Notify customers\n\
                  ## Sign-Off\n### Post-Deployment Verification\n- [ ] **CTO**: ____ Date: __\n\
                  ### Final Sign-Off\n- [ ] **CEO**: ____ Date: __\n";
        let imported = import(md, "doc.md");
        let phases: Vec<&str> = imported.phases.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(phases, ["pre-deploy", "deploy", "post-deploy", "rollback"]);
        assert_eq!((imported.items, imported.approvals), (4, 2));
        assert!(
            imported.yaml.contains("approvals: [\"CTO\"]"),
            "{}",
            imported.yaml
        );
        assert!(
            imported.yaml.contains("approvals: [\"CEO\"]"),
            "{}",
            imported.yaml
        );
        assert_eq!(
            sign_off_role("**Security Lead**: ___ Date: ___").as_deref(),
            Some("Security Lead")
        );
        assert_eq!(sign_off_role("**Bold** text: not a sign-off"), None);
    }
}
