//! Choosing part of a checklist to run: sections, items, tags, skips, automated items only.
//!
//! Every name is checked against the phases in scope: an unknown section, item or tag is an
//! error with a suggestion, and so is a selection that keeps nothing, so a typo never becomes a
//! silent empty run. Values of one flag add up (`--section a --section b`); different flags
//! narrow each other (`--section a --tag rds` keeps the rds items of section a). A selected item
//! brings its sub-items; `--skip` removes an item with its sub-items, or a whole section.

use std::collections::HashSet;

use anyhow::bail;

use super::expect::suggest;
use super::{Checklist, Entry, Phase};

/// What to keep of the phases in scope; the default keeps everything.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Section or numbered-step ids.
    pub sections: Vec<String>,
    pub items: Vec<String>,
    pub tags: Vec<String>,
    /// Item or section ids to leave out.
    pub skip: Vec<String>,
    pub only_automated: bool,
}

impl Filter {
    /// Whether the filter leaves anything out.
    pub fn narrows(&self) -> bool {
        !(self.sections.is_empty()
            && self.items.is_empty()
            && self.tags.is_empty()
            && self.skip.is_empty()
            && !self.only_automated)
    }

    /// The flags as they were given, for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (flag, values) in [
            ("--section", &self.sections),
            ("--item", &self.items),
            ("--tag", &self.tags),
            ("--skip", &self.skip),
        ] {
            parts.extend(values.iter().map(|v| format!("{flag} {v}")));
        }
        if self.only_automated {
            parts.push("--only-automated".into());
        }
        parts.join(" ")
    }
}

/// The ids of the items `filter` keeps in `phases`; an error for an unknown name or an empty
/// selection. `checklist` is searched to say where a name outside the scope lives.
pub fn select(
    checklist: &Checklist,
    phases: &[&Phase],
    filter: &Filter,
) -> anyhow::Result<HashSet<String>> {
    let scope = match phases {
        [one] => format!("phase {}", one.id),
        _ => "the checklist".to_string(),
    };
    let entries: Vec<Vec<Entry<'_>>> = phases.iter().map(|p| p.entries()).collect();

    let sections: Vec<&str> = phases
        .iter()
        .flat_map(|p| &p.sections)
        .flat_map(|s| std::iter::once(s).chain(&s.sections))
        .map(|s| s.id.as_str())
        .collect();
    let items: Vec<&str> = entries
        .iter()
        .flatten()
        .map(|e| e.item.id.as_str())
        .collect();
    let mut tags: Vec<&str> = entries
        .iter()
        .flatten()
        .flat_map(|e| e.item.tags.iter().map(String::as_str))
        .collect();
    tags.sort_unstable();
    tags.dedup();

    for name in &filter.sections {
        if !sections.contains(&name.as_str()) {
            bail!(unknown(checklist, "section", name, &sections, &scope));
        }
        let holds_items = entries
            .iter()
            .flatten()
            .any(|e| in_section(e, std::slice::from_ref(name)));
        if !holds_items {
            bail!(
                "section `{name}` holds no items, only role approvals, which only a run of the \
                 whole phase judges"
            );
        }
    }
    for name in &filter.items {
        if !items.contains(&name.as_str()) {
            bail!(unknown(checklist, "item", name, &items, &scope));
        }
    }
    for tag in &filter.tags {
        if !tags.contains(&tag.as_str()) {
            let hint = suggest(tag, &tags)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            let known = if tags.is_empty() {
                "no item there has tags".to_string()
            } else {
                format!("tags: {}", tags.join(", "))
            };
            bail!("no item of {scope} is tagged `{tag}`{hint} ({known})");
        }
    }
    for name in &filter.skip {
        if !sections.contains(&name.as_str()) && !items.contains(&name.as_str()) {
            let mut both = sections.clone();
            both.extend(&items);
            bail!(unknown(checklist, "item or section", name, &both, &scope));
        }
    }

    let mut kept = HashSet::new();
    for phase_entries in &entries {
        for (i, entry) in phase_entries.iter().enumerate() {
            let lineage = lineage(phase_entries, i);
            let wanted = (filter.sections.is_empty() || in_section(entry, &filter.sections))
                && (filter.items.is_empty()
                    || lineage.iter().any(|e| filter.items.contains(&e.item.id)))
                && (filter.tags.is_empty()
                    || lineage
                        .iter()
                        .any(|e| e.item.tags.iter().any(|t| filter.tags.contains(t))));
            let skipped = in_section(entry, &filter.skip)
                || lineage.iter().any(|e| filter.skip.contains(&e.item.id))
                || (filter.only_automated && entry.item.check.is_none());
            if wanted && !skipped {
                kept.insert(entry.item.id.clone());
            }
        }
    }
    if kept.is_empty() {
        bail!(
            "`{}` selects no item of {scope}; nothing would be checked",
            filter.describe()
        );
    }
    Ok(kept)
}

/// Whether the entry sits in one of the named sections or numbered steps.
fn in_section(entry: &Entry<'_>, names: &[String]) -> bool {
    names.contains(&entry.section.id) || entry.step.is_some_and(|s| names.contains(&s.id))
}

/// The entry at `index` and every item above it.
fn lineage<'e, 'a>(entries: &'e [Entry<'a>], index: usize) -> Vec<&'e Entry<'a>> {
    let mut out = vec![&entries[index]];
    let mut next = entries[index].parent;
    while let Some(parent) = next {
        out.push(&entries[parent]);
        next = entries[parent].parent;
    }
    out
}

/// The error for a name not in scope: where it lives instead, or the closest name in scope.
fn unknown(checklist: &Checklist, what: &str, name: &str, known: &[&str], scope: &str) -> String {
    let elsewhere = checklist.phases.iter().find(|p| {
        p.entries().iter().any(|e| e.item.id == name)
            || p.sections
                .iter()
                .flat_map(|s| std::iter::once(s).chain(&s.sections))
                .any(|s| s.id == name)
    });
    if let Some(phase) = elsewhere {
        return format!("{what} `{name}` is in phase {}, not in {scope}", phase.id);
    }
    let hint = suggest(name, known)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    format!("there is no {what} `{name}` in {scope}{hint}")
}
