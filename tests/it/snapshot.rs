//! A small snapshot helper: rendered output is compared with a file under tests/it/snapshots/.
//!
//! Written here rather than taken from `insta`: the need is one comparison and one line diff,
//! and insta's review workflow wants its own cargo plugin, which this project does not install.
//! `BARKCHECK_UPDATE_SNAPSHOTS=1` rewrites the files; a mismatch leaves `NAME.new` beside the
//! snapshot and fails with the first lines that differ.

use std::path::PathBuf;

use regex::Regex;

fn path(name: &str) -> PathBuf {
    crate::harness::repo().join("tests/it/snapshots").join(name)
}

/// Replaces what changes from run to run: timestamps and the dates of approvals, and the table
/// padding that follows them (a timestamp's fraction has as many digits as it needs).
pub fn normalise(text: &str) -> String {
    // Years 20xx only: the fixed waiver ends in 2100 and stays as written.
    let timestamp = Regex::new(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?").unwrap();
    let minute = Regex::new(r"20\d\d-\d\d-\d\d \d\d:\d\d UTC").unwrap();
    let date = Regex::new(r"Date: 20\d\d-\d\d-\d\d").unwrap();
    let text = timestamp.replace_all(text, "[TIMESTAMP]");
    let text = minute.replace_all(&text, "[TIME] UTC");
    let text = date.replace_all(&text, "Date: [DATE]");
    let padding = Regex::new(r" +([│┆])").unwrap();
    padding.replace_all(&text, " $1").into_owned()
}

/// Fails unless `actual` equals the stored snapshot `name`.
pub fn assert_snapshot(name: &str, actual: &str) {
    let file = path(name);
    if std::env::var_os("BARKCHECK_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, actual).unwrap();
        return;
    }
    let new = file.with_file_name(format!("{name}.new"));
    let expected = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(_) => {
            std::fs::write(&new, actual).unwrap();
            panic!(
                "no snapshot {}; wrote {} to review (BARKCHECK_UPDATE_SNAPSHOTS=1 accepts it)",
                file.display(),
                new.display()
            );
        }
    };
    if expected == actual {
        let _ = std::fs::remove_file(&new);
        return;
    }
    std::fs::write(&new, actual).unwrap();
    let (want, got): (Vec<&str>, Vec<&str>) =
        (expected.lines().collect(), actual.lines().collect());
    let first = want
        .iter()
        .zip(&got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let mut diff = String::new();
    for i in first.saturating_sub(2)..(first + 8) {
        match (want.get(i), got.get(i)) {
            (Some(a), Some(b)) if a == b => diff.push_str(&format!("  {a}\n")),
            (a, b) => {
                if let Some(a) = a {
                    diff.push_str(&format!("- {a}\n"));
                }
                if let Some(b) = b {
                    diff.push_str(&format!("+ {b}\n"));
                }
            }
        }
    }
    panic!(
        "snapshot {name} differs from line {} (- stored, + now; the new output is in {}; \
         BARKCHECK_UPDATE_SNAPSHOTS=1 accepts it):\n{diff}",
        first + 1,
        new.display()
    );
}
