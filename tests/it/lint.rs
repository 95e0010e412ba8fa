//! `barkcheck lint` and loading: every problem of a file reported at once, at the right place.

use crate::harness::{closed_port_url, run};

/// Writes `text` as checklist.yaml in a fresh directory and lints it.
fn lint(text: &str) -> crate::harness::Ran {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("checklist.yaml"), text).unwrap();
    run(
        dir.path(),
        &closed_port_url(),
        &["lint", "--checklist", "checklist.yaml"],
    )
}

const GOOD: &str = "\
barkcheck: 1
name: Small
variables:
  db: prod-db
phases:
  - id: pre-deploy
    title: Before
    sections:
      - id: database
        title: Database
        items:
          - id: multi-az
            text: Multi-AZ enabled
            verify:
              rds_instance: ${db}
              expect:
                multi_az: true
                backup_retention_period: '>= 30'
          - id: reviewed
            text: Rollback plan reviewed
        approvals: [CTO]
";

#[test]
fn a_good_checklist_lints_clean_and_counts_its_items() {
    let result = lint(GOOD);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(
        result.stdout.contains("2 items (1 automated, 1 manual"),
        "{}",
        result.stdout
    );
}

#[test]
fn the_bundled_checklist_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    let result = run(dir.path(), &closed_port_url(), &["lint"]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stdout.contains("4 phases"), "{}", result.stdout);
}

#[test]
fn every_semantic_problem_is_reported_at_once_with_its_line_and_column() {
    let text = "\
barkcheck: 1
name: Broken
variables:
  db: prod-db
phases:
  - id: pre-deploy
    title: Before
    sections:
      - id: database
        title: Database
        items:
          - id: multi-az
            text: Multi-AZ enabled
            verify:
              rds_instance: ${dbb}
              expect:
                multi_az: true
          - id: multi-az
            text: Same id again
          - id: class
            text: Instance class
            verify:
              rds_instanse: x
              expect:
                db_instance_class: small
          - id: retention
            text: Retention
            verify:
              rds_instance: x
              expect:
                backup_retention_period: yes please
                db_instance_class: {matches: '(['}
                multi_azz: true
";
    let result = lint(text);
    assert_eq!(result.code, 2, "{}", result.stdout);
    let err = &result.stderr;
    let expected = [
        "checklist.yaml:15:29: `${dbb}` is not a defined variable; did you mean `db`?",
        "checklist.yaml:18:17: id `multi-az` is used twice (first at line 12)",
        "checklist.yaml:23:15: unknown verifier `rds_instanse`; did you mean `rds_instance`?",
        "checklist.yaml:31:42: backup_retention_period: this field is a number, not `yes please`",
        "checklist.yaml:32:46: db_instance_class: bad regular expression `([`: unclosed character class",
        "checklist.yaml:33:17: `rds_instance` has no field `multi_azz`; did you mean `multi_az`?",
    ];
    for line in expected {
        assert!(err.contains(line), "missing `{line}` in:\n{err}");
    }
    assert!(err.contains("6 problems found; nothing was run"), "{err}");
}

#[test]
fn a_duplicate_key_is_an_error_not_a_silent_last_one_wins() {
    let text = GOOD.replace(
        "                multi_az: true\n",
        "                multi_az: true\n                multi_az: false\n",
    );
    let result = lint(&text);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains(
            "checklist.yaml:18:17: duplicate key `phases[0].sections[0].items[0].verify.expect.multi_az` \
             (first given at line 17)"
        ),
        "{}",
        result.stderr
    );
}

#[test]
fn unknown_fields_and_wrong_types_point_at_the_line() {
    let misspelt = GOOD.replace(
        "            text: Rollback plan reviewed",
        "            txt: Rollback plan reviewed",
    );
    let result = lint(&misspelt);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("checklist.yaml:20:"),
        "{}",
        result.stderr
    );
    assert!(
        result.stderr.contains("unknown field `txt`"),
        "{}",
        result.stderr
    );

    let wrong_type = GOOD.replace("barkcheck: 1", "barkcheck: one");
    let result = lint(&wrong_type);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("checklist.yaml:1:"),
        "{}",
        result.stderr
    );
}

#[test]
fn syntax_errors_and_empty_files_are_refused_with_a_position() {
    let result = lint("");
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("checklist.yaml: the file is empty"),
        "{}",
        result.stderr
    );

    let result = lint("barkcheck: 1\nname: [unclosed\nphases: []\n");
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("checklist.yaml:3:"),
        "{}",
        result.stderr
    );
    assert!(result.stderr.contains("invalid YAML"), "{}", result.stderr);
}

#[test]
fn variables_from_files_and_flags_are_checked_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("checklist.yaml"), GOOD).unwrap();
    std::fs::write(dir.path().join("prod.yaml"), "dbb: other\n").unwrap();
    let result = run(
        dir.path(),
        &closed_port_url(),
        &[
            "lint",
            "--checklist",
            "checklist.yaml",
            "--vars",
            "prod.yaml",
        ],
    );
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains(
            "prod.yaml:1:1: `dbb` is not a variable of this checklist; did you mean `db`?"
        ),
        "{}",
        result.stderr
    );
    let result = run(
        dir.path(),
        &closed_port_url(),
        &["lint", "--checklist", "checklist.yaml", "--var", "nope=1"],
    );
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("--var: `nope` is not a variable"),
        "{}",
        result.stderr
    );
}

#[test]
fn a_bom_and_crlf_line_ends_are_read_and_tabs_are_refused_at_their_line() {
    let crlf = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
    let result = lint(&crlf);
    assert_eq!(
        result.code, 0,
        "a BOM and CRLF are how some editors save: {}",
        result.stderr
    );

    let tabs = GOOD.replace(
        "            text: Rollback plan reviewed",
        "\t    text: Rollback plan reviewed",
    );
    let result = lint(&tabs);
    assert_eq!(result.code, 2);
    assert!(result.stderr.contains("invalid YAML"), "{}", result.stderr);
    assert!(
        result.stderr.contains("checklist.yaml:19:")
            || result.stderr.contains("checklist.yaml:20:"),
        "{}",
        result.stderr
    );
}
