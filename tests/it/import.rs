//! `barkcheck import`: the team's Markdown document becomes a checklist that lints, keeps every
//! box, places each section in the bundled checklist's phase, and imports the same twice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use barkcheck::checklist::markdown::boxes;
use barkcheck::checklist::{Checklist, Item, Overrides, load_bundled, load_file};

use crate::harness::{repo, run};

fn source() -> std::path::PathBuf {
    repo().join("checklists/barkbase-production-checklist.md")
}

fn import(dir: &Path, output: &str) -> crate::harness::Ran {
    let source = source();
    let result = run(
        dir,
        "http://127.0.0.1:9",
        &["import", source.to_str().unwrap(), "--output", output],
    );
    assert_eq!(result.code, 0, "{}", result.stderr);
    result
}

fn texts(items: &[Item], out: &mut Vec<String>) {
    for item in items {
        out.push(item.text.clone());
        texts(&item.items, out);
    }
}

/// Per phase: the item texts in order, and the roles.
fn by_phase(checklist: &Checklist) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let mut out = BTreeMap::new();
    for phase in &checklist.phases {
        let mut items = Vec::new();
        let mut roles = Vec::new();
        for section in &phase.sections {
            texts(&section.items, &mut items);
            for step in &section.sections {
                texts(&step.items, &mut items);
            }
            roles.extend(section.approvals.iter().cloned());
        }
        out.insert(phase.id.clone(), (items, roles));
    }
    out
}

fn ids(checklist: &Checklist) -> Vec<String> {
    checklist
        .all_items()
        .map(|(_, e)| e.item.id.clone())
        .collect()
}

#[test]
fn the_source_document_imports_into_a_checklist_that_lints_and_keeps_all_336_boxes() {
    let dir = tempfile::tempdir().unwrap();
    let imported = import(dir.path(), "imported.yaml");
    assert!(
        imported
            .stderr
            .contains("imported 335 items and 10 role approvals"),
        "{}",
        imported.stderr
    );

    let lint = run(
        dir.path(),
        "http://127.0.0.1:9",
        &["--checklist", "imported.yaml", "lint"],
    );
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    assert!(
        lint.stdout.contains("0 automated"),
        "every item is manual: {}",
        lint.stdout
    );

    let checklist = load_file(&dir.path().join("imported.yaml"), &Overrides::default()).unwrap();
    let approvals: usize = checklist.phases.iter().map(|p| p.approvals().count()).sum();
    let items = checklist.all_items().count();
    let criteria = checklist
        .all_items()
        .filter(|(_, e)| e.section.part.as_deref() == Some("Success Criteria"))
        .count();
    let source = std::fs::read_to_string(source()).unwrap();
    let found = boxes(&source);
    assert_eq!(
        items - criteria + approvals,
        336,
        "every checkbox, sign-offs as approvals"
    );
    assert_eq!(criteria, found.iter().filter(|b| b.criterion).count());
    assert_eq!(items + approvals, found.len());
    assert!(checklist.all_items().all(|(_, e)| e.item.check.is_none()));
    assert!(checklist.all_items().any(|(_, e)| e.item.text
        == "SMS subscriptions configured (optional)"
        && !e.item.blocking));

    // The phases hold what the bundled checklist's phases hold, in the same order.
    let bundled = load_bundled(&Overrides::default()).unwrap();
    assert_eq!(by_phase(&checklist), by_phase(&bundled));

    // The imported checklist runs: every item pending, nothing asked of AWS.
    let ran = run(
        dir.path(),
        "http://127.0.0.1:9",
        &[
            "--checklist",
            "imported.yaml",
            "run",
            "--phase",
            "deploy",
            "--format",
            "json",
        ],
    );
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let report = ran.json();
    assert!(
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["outcome"] == "PENDING")
    );
}

#[test]
fn importing_again_gives_the_same_file_and_the_same_ids() {
    let dir = tempfile::tempdir().unwrap();
    import(dir.path(), "first.yaml");
    import(dir.path(), "second.yaml");
    let first = std::fs::read_to_string(dir.path().join("first.yaml")).unwrap();
    let second = std::fs::read_to_string(dir.path().join("second.yaml")).unwrap();
    assert_eq!(first, second);

    let load = |name: &str| load_file(&dir.path().join(name), &Overrides::default()).unwrap();
    let ids_first = ids(&load("first.yaml"));
    assert_eq!(ids_first, ids(&load("second.yaml")));
    let unique: BTreeSet<&String> = ids_first.iter().collect();
    assert_eq!(unique.len(), ids_first.len());
    assert!(ids_first.contains(&"replace-wildcard-cors-54-lambda".to_string()));

    // To stdout without --output, the same text.
    let source = source();
    let printed = run(
        dir.path(),
        "http://127.0.0.1:9",
        &["import", source.to_str().unwrap()],
    );
    assert_eq!(printed.code, 0);
    assert_eq!(printed.stdout, first);
}

#[test]
fn a_document_without_boxes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.md"), "# Notes\n\nNothing to tick.\n").unwrap();
    let result = run(dir.path(), "http://127.0.0.1:9", &["import", "notes.md"]);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("has no checkbox"),
        "{}",
        result.stderr
    );
    let missing = run(dir.path(), "http://127.0.0.1:9", &["import", "nope.md"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read nope.md"),
        "{}",
        missing.stderr
    );
}
