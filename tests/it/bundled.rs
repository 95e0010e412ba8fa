//! The bundled checklist against its source document: nothing lost, nothing reworded.

use std::collections::BTreeMap;

use barkcheck::checklist::markdown::{self, boxes};
use barkcheck::checklist::{Item, Overrides, load_bundled};

use crate::harness::repo;

/// Where a box sits: the `##` heading, the `###` heading, the numbered step.
type Place = (Option<String>, Option<String>, Option<String>);

fn source() -> String {
    let path = repo().join("checklists/barkbase-production-checklist.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn walk(items: &[Item], depth: usize, out: &mut Vec<(usize, String)>) {
    for item in items {
        out.push((depth, item.text.clone()));
        walk(&item.items, depth + 1, out);
    }
}

#[test]
fn every_checkbox_of_the_source_is_in_the_bundled_checklist_verbatim_and_in_order() {
    let source = source();
    let found = boxes(&source);
    let checkboxes = found.iter().filter(|b| !b.criterion).count();
    assert_eq!(checkboxes, 336, "the source document has 336 checkboxes");

    // The document, grouped by place; sign-off boxes become role names.
    let mut expected_items: BTreeMap<Place, Vec<(usize, String)>> = BTreeMap::new();
    let mut expected_roles: BTreeMap<Place, Vec<String>> = BTreeMap::new();
    for b in &found {
        let place = (b.part.clone(), b.title.clone(), b.step.clone());
        if b.part.as_deref() == Some("Sign-Off") {
            let role = b
                .text
                .trim_start_matches("**")
                .split("**")
                .next()
                .unwrap()
                .to_string();
            expected_roles.entry(place).or_default().push(role);
        } else {
            expected_items
                .entry(place)
                .or_default()
                .push((b.depth, b.text.clone()));
        }
    }

    let checklist = load_bundled(&Overrides::default()).expect("the bundled checklist loads");
    let mut actual_items: BTreeMap<Place, Vec<(usize, String)>> = BTreeMap::new();
    let mut actual_roles: BTreeMap<Place, Vec<String>> = BTreeMap::new();
    for phase in &checklist.phases {
        for section in &phase.sections {
            let place = (section.part.clone(), section.title.clone(), None);
            let mut items = Vec::new();
            walk(&section.items, 0, &mut items);
            if !items.is_empty() {
                actual_items.insert(place.clone(), items);
            }
            if !section.approvals.is_empty() {
                actual_roles.insert(place.clone(), section.approvals.clone());
            }
            for step in &section.sections {
                let mut items = Vec::new();
                walk(&step.items, 0, &mut items);
                if !items.is_empty() {
                    let place = (
                        section.part.clone(),
                        section.title.clone(),
                        step.title.clone(),
                    );
                    actual_items.insert(place, items);
                }
            }
        }
    }

    for (place, items) in &expected_items {
        assert_eq!(
            actual_items.get(place),
            Some(items),
            "items under {place:?} differ"
        );
    }
    assert_eq!(
        actual_items.len(),
        expected_items.len(),
        "the YAML has places the document lacks"
    );
    assert_eq!(actual_roles, expected_roles, "the sign-off roles differ");

    let total: usize = actual_items.values().map(Vec::len).sum::<usize>()
        + actual_roles.values().map(Vec::len).sum::<usize>();
    assert_eq!(
        total,
        found.len(),
        "336 checkboxes and the success criteria, no more, no less"
    );
}

#[test]
fn phases_hold_the_documents_sections_in_document_order() {
    let source = markdown::repair(&source());
    let checklist = load_bundled(&Overrides::default()).unwrap();
    let ids: Vec<&str> = checklist.phases.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["pre-deploy", "deploy", "post-deploy", "rollback"]);
    for phase in &checklist.phases {
        let mut last = 0;
        for section in &phase.sections {
            // A `###` heading is looked for after its `##` part: two parts share a title.
            let part = format!("\n## {}\n", section.part.as_deref().unwrap());
            let part_at = source
                .find(&part)
                .unwrap_or_else(|| panic!("{part} not in the source"));
            let heading = match &section.title {
                Some(title) => format!("\n### {title}\n"),
                None => part.clone(),
            };
            let at = part_at
                + source[part_at..]
                    .find(&heading)
                    .unwrap_or_else(|| panic!("{heading} not in the source"));
            assert!(at > last, "{heading} is out of order in phase {}", phase.id);
            last = at;
        }
    }
}

#[test]
fn the_repaired_text_has_no_mojibake_left() {
    let yaml = std::fs::read_to_string(repo().join("checklists/barkbase-production.yaml")).unwrap();
    for garbled in ["â", "ðŸ", "Ã"] {
        assert!(
            !yaml.contains(garbled),
            "the bundled checklist still contains {garbled}"
        );
    }
    assert!(yaml.contains("RDS CPU > 80% → SNS alert"));
    assert!(yaml.contains("(BLOCKING) 🔴"));
}

#[test]
fn the_header_states_how_many_items_are_automated() {
    let yaml = std::fs::read_to_string(repo().join("checklists/barkbase-production.yaml")).unwrap();
    let checklist = load_bundled(&Overrides::default()).unwrap();
    let automated = checklist
        .all_items()
        .filter(|(_, e)| e.item.check.is_some())
        .count();
    let manual = checklist
        .all_items()
        .filter(|(_, e)| e.item.check.is_none() && e.item.items.is_empty())
        .count();
    let line = format!("# Automated: {automated} items; manual: {manual} items");
    assert!(yaml.contains(&line), "the header should say `{line}`");
}
