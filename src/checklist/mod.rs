//! The checklist model: phases of a deployment, their sections, items and role approvals.
//!
//! A [`Checklist`] is what [`load`] makes of a YAML file after every problem in it was found:
//! variables are substituted, every automated check is parsed against its resource's field
//! catalog, and ids are known to be unique. Nothing downstream re-validates.

pub mod expect;
pub mod import;
pub mod load;
pub mod markdown;
mod raw;
pub mod schema;
pub mod select;
pub mod yaml;

pub use load::{LoadError, Overrides, load_bundled, load_file};

use crate::verify::Kind;
use expect::Matcher;

/// The bundled BarkBase production checklist, embedded so that `barkcheck` runs it by default.
pub const BUNDLED: &str = include_str!("../../checklists/barkbase-production.yaml");

/// The name the bundled checklist goes by in messages.
pub const BUNDLED_ORIGIN: &str = "checklists/barkbase-production.yaml (bundled)";

#[derive(Debug)]
pub struct Checklist {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    /// Where it was read from, for messages: a path, or the bundled name.
    pub origin: String,
    /// Variables after overrides and substitution, in declaration order.
    pub variables: Vec<(String, String)>,
    pub phases: Vec<Phase>,
}

#[derive(Debug)]
pub struct Phase {
    pub id: String,
    pub title: String,
    pub sections: Vec<Section>,
}

/// A heading of the source document with the items under it; numbered steps inside a section
/// (as in "Deployment Steps") are nested sections.
#[derive(Debug)]
pub struct Section {
    pub id: String,
    /// The top-level heading this section sits under in the source document.
    pub part: Option<String>,
    /// Its own heading; None when the items sit directly under `part`.
    pub title: Option<String>,
    pub notes: Option<String>,
    pub items: Vec<Item>,
    pub sections: Vec<Section>,
    /// Roles whose approval this section collects for its phase.
    pub approvals: Vec<String>,
}

impl Section {
    /// The heading shown to people: its own title, or the part it belongs to.
    pub fn heading(&self) -> &str {
        self.title
            .as_deref()
            .or(self.part.as_deref())
            .unwrap_or(&self.id)
    }
}

#[derive(Debug)]
pub struct Item {
    pub id: String,
    /// The item's text exactly as in the source document (Markdown emphasis included).
    pub text: String,
    /// The automated check; None for an item that a person signs.
    pub check: Option<Check>,
    pub items: Vec<Item>,
    pub tags: Vec<String>,
    pub fix: Option<String>,
    /// Whether a failing or pending item stops the phase.
    pub blocking: bool,
    pub notes: Option<String>,
    /// A variable's value that must be true for the item to apply; None means always.
    pub when: Option<Condition>,
    /// How long a sign-off holds (the first-24-hours monitoring items); None means until the
    /// item changes.
    pub valid_for: Option<jiff::SignedDuration>,
    /// A digest of a manual item's definition (text, `when` and `valid_for`), which a sign-off
    /// records to detect change; empty for an item with a check, which is never signed.
    pub digest: String,
}

/// A `when:` condition after substitution: the text written and whether it holds.
#[derive(Clone, Debug)]
pub struct Condition {
    pub written: String,
    pub holds: bool,
}

/// An automated check: which resources to look at and what their fields must be.
#[derive(Clone, Debug)]
pub struct Check {
    pub kind: Kind,
    /// How the selector was written, after substitution, for evidence.
    pub selector_text: String,
    pub selector: Vec<(String, Matcher)>,
    /// For kinds that probe (HTTP, DNS, ...): the selector after substitution, saying what to
    /// probe. Every resource the probe returns is selected.
    pub target: Option<serde_json::Value>,
    pub expect: Vec<(String, Matcher)>,
    pub mode: MatchMode,
    /// How many resources the selector must pick (`selected: ">= 55"`), when that matters.
    pub selected: Option<Matcher>,
}

/// Whether one selected resource must satisfy the expectations, or all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchMode {
    Any,
    All,
}

/// A position in the checklist's tree, flattened for running and rendering.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub item: &'a Item,
    /// The sections from the phase down to the item.
    pub section: &'a Section,
    /// The nested step section, if the item sits in one.
    pub step: Option<&'a Section>,
    /// 0 for a top-level item, 1 for its sub-items, ...
    pub depth: usize,
    /// The index of the parent item in the same list of entries.
    pub parent: Option<usize>,
    /// Whether the item gates its phase: it and every item above it are blocking.
    pub blocking: bool,
    /// The first `when:` condition, on it or an item above it, that does not hold.
    pub excluded_by: Option<&'a Condition>,
}

impl Checklist {
    pub fn phase(&self, id: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.id == id)
    }

    /// Every item of the checklist with its phase, in document order.
    pub fn all_items(&self) -> impl Iterator<Item = (&Phase, Entry<'_>)> {
        self.phases
            .iter()
            .flat_map(|phase| phase.entries().into_iter().map(move |e| (phase, e)))
    }

    /// Finds an item by id anywhere in the checklist.
    pub fn item(&self, id: &str) -> Option<(&Phase, Entry<'_>)> {
        self.all_items().find(|(_, e)| e.item.id == id)
    }

    /// The variable's value, if the checklist has it.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Phase {
    /// The phase's items in document order, parents before their sub-items.
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let mut out = Vec::new();
        for section in &self.sections {
            let top = Entry {
                item: &PLACEHOLDER,
                section,
                step: None,
                depth: 0,
                parent: None,
                blocking: true,
                excluded_by: None,
            };
            push_items(&mut out, &section.items, top);
            for step in &section.sections {
                push_items(
                    &mut out,
                    &step.items,
                    Entry {
                        step: Some(step),
                        ..top
                    },
                );
            }
        }
        out
    }

    /// The roles that must approve this phase, in document order.
    pub fn approvals(&self) -> impl Iterator<Item = (&Section, &str)> {
        self.sections
            .iter()
            .flat_map(|s| s.approvals.iter().map(move |role| (s, role.as_str())))
    }
}

/// Stands in for "no parent item" while entries are built; never stored in an entry.
static PLACEHOLDER: Item = Item {
    id: String::new(),
    text: String::new(),
    check: None,
    items: Vec::new(),
    tags: Vec::new(),
    fix: None,
    blocking: true,
    notes: None,
    when: None,
    valid_for: None,
    digest: String::new(),
};

/// Appends `items` under `context`, which carries the section and what the parent passes down.
fn push_items<'a>(out: &mut Vec<Entry<'a>>, items: &'a [Item], context: Entry<'a>) {
    for item in items {
        let index = out.len();
        let excluded_by = context
            .excluded_by
            .or(item.when.as_ref().filter(|c| !c.holds));
        let entry = Entry {
            item,
            blocking: context.blocking && item.blocking,
            excluded_by,
            ..context
        };
        out.push(entry);
        let below = Entry {
            depth: context.depth + 1,
            parent: Some(index),
            ..entry
        };
        push_items(out, &item.items, below);
    }
}

/// Text without the Markdown emphasis and code marks of the source document, for display.
pub fn plain(text: &str) -> String {
    text.replace("**", "").replace('`', "")
}
