//! Property tests: generated and mutated checklists and state files thrown at the loaders.
//! They must never panic, and never accept what they should refuse.

use std::collections::HashSet;

use barkcheck::checklist::load::load_text;
use barkcheck::checklist::{BUNDLED, Overrides};
use barkcheck::state::StateFile;
use proptest::prelude::*;

fn load(text: &str) -> Result<barkcheck::checklist::Checklist, barkcheck::checklist::LoadError> {
    load_text(text, "mutated.yaml", &Overrides::default())
}

fn lines() -> Vec<&'static str> {
    BUNDLED.lines().collect()
}

/// A line that holds a mapping key (`  text: ...`, `- id: ...`), outside comments.
fn is_key_line(line: &str) -> bool {
    let t = line.trim_start().trim_start_matches("- ");
    !line.trim_start().starts_with('#')
        && t.split_once(':').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_loaded_or_refused_without_panicking(text in ".{0,400}") {
        let _ = load(&text);
    }

    #[test]
    fn yaml_shaped_noise_is_loaded_or_refused_without_panicking(
        text in "(barkcheck: 1\nname: x\n)?(phases:\n)?(  - id: [a-z-]{1,8}\n    title: [a-z ]{0,8}\n    sections:\n      - id: [a-z]{1,5}\n        title: t\n        items:\n          - id: [a-z]{1,5}\n            text: [a-z ]{0,10}\n){0,3}[ :\\-\\[\\]{}a-z\n]{0,40}"
    ) {
        if let Ok(checklist) = load(&text) {
            let ids: Vec<&str> = checklist.all_items().map(|(_, e)| e.item.id.as_str()).collect();
            let unique: HashSet<&&str> = ids.iter().collect();
            prop_assert_eq!(unique.len(), ids.len());
        }
    }

    #[test]
    fn a_duplicated_key_line_of_the_bundled_checklist_is_always_refused(index in 0usize..2000) {
        let lines = lines();
        let keys: Vec<usize> = (0..lines.len()).filter(|&i| is_key_line(lines[i])).collect();
        let at = keys[index % keys.len()];
        let mut mutated: Vec<&str> = lines.clone();
        mutated.insert(at, lines[at]);
        let text = mutated.join("\n");
        prop_assert!(load(&text).is_err(), "accepted a duplicate of line {}: {}", at + 1, lines[at]);
    }

    #[test]
    fn a_removed_line_is_refused_or_leaves_a_sound_checklist(index in 0usize..2000) {
        let lines = lines();
        let at = index % lines.len();
        let mut mutated = lines.clone();
        let removed = mutated.remove(at);
        match load(&mutated.join("\n")) {
            Err(_) => {}
            Ok(checklist) => {
                // Only lines that carry no required field can go without notice.
                let t = removed.trim_start().trim_start_matches("- ");
                let required = ["id:", "text:", "barkcheck:", "name:"];
                prop_assert!(!required.iter().any(|r| t.starts_with(r)), "lost `{}` silently", removed);
                // A section may go by its part alone; phases and steps need their title.
                let indent = removed.len() - removed.trim_start().len();
                prop_assert!(!(t.starts_with("title:") && indent != 8), "lost `{}` silently", removed);
                let ids: Vec<&str> = checklist.all_items().map(|(_, e)| e.item.id.as_str()).collect();
                prop_assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
                prop_assert!(checklist.all_items().all(|(_, e)| !e.item.text.trim().is_empty()));
            }
        }
    }

    #[test]
    fn a_changed_character_never_panics_the_loader(index in 0usize..100_000, c in any::<char>()) {
        let mut chars: Vec<char> = BUNDLED.chars().collect();
        let at = index % chars.len();
        chars[at] = c;
        let _ = load(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn mutated_state_files_are_read_or_refused_never_half_read(
        cut in 0usize..2000,
        garbage in "[ -~]{0,12}",
        version in 2u32..1000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let file = StateFile::new(path.clone(), "Record", "default");
        let good = "{\"barkcheck_state\": 1, \"checklist\": \"Record\", \"environment\": \"default\", \
             \"signoffs\": {\"plan\": {\"by\": \"alice\", \"at\": \"2026-12-04T10:00:00Z\", \
             \"digest\": \"abc\"}}}"
            .to_string();
        std::fs::write(&path, &good).unwrap();
        prop_assert!(file.read().is_ok());

        let at = cut % good.len();
        let damaged = format!("{}{}{}", &good[..at], garbage, &good[at..]);
        std::fs::write(&path, &damaged).unwrap();
        if let Ok(state) = file.read() {
            // Whatever was accepted is a whole state of this checklist.
            prop_assert_eq!(state.checklist.as_str(), "Record");
        }
        prop_assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged, "reading never writes");

        let newer = good.replace("\"barkcheck_state\": 1", &format!("\"barkcheck_state\": {version}"));
        std::fs::write(&path, newer).unwrap();
        let refused = file.read();
        prop_assert!(refused.is_err());
        let message = format!("{:#}", refused.unwrap_err());
        prop_assert!(message.contains("newer than this barkcheck reads"), "{}", message);
    }
}
