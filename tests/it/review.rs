//! Regression tests for what a fresh user found by trying to break barkcheck; each test is
//! named after the fault it pins.

use std::path::Path;

use serde_json::json;

use crate::harness::{StandIn, barkcheck, closed_port_url, outcome, ran, run};

fn lint(text: &str) -> crate::harness::Ran {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), text).unwrap();
    run(
        dir.path(),
        &closed_port_url(),
        &["lint", "--checklist", "c.yaml"],
    )
}

const HEAD: &str = "barkcheck: 1\nname: R\nvariables:\n  db: prod-db\nphases:\n  - id: pre\n    title: Pre\n    sections:\n";

#[test]
fn steps_nested_in_steps_and_step_approvals_are_refused_not_silently_dropped() {
    let text = format!(
        "{HEAD}      - id: s\n        title: S\n        sections:\n          - id: step\n            title: Step\n            approvals: [Step Approver]\n            sections:\n              - id: inner\n                title: Inner\n                items:\n                  - id: deep\n                    text: Deep\n"
    );
    let result = lint(&text);
    assert_eq!(result.code, 2);
    assert!(
        result
            .stderr
            .contains("step `step` cannot hold steps of its own"),
        "{}",
        result.stderr
    );
    assert!(
        result
            .stderr
            .contains("approvals belong to a section of the phase, not to step `step`"),
        "{}",
        result.stderr
    );
}

#[test]
fn an_emptied_verify_block_is_an_error_not_a_manual_item() {
    let text = format!(
        "{HEAD}      - id: s\n        title: S\n        items:\n          - id: enc\n            text: Encrypted\n            verify:\n"
    );
    let result = lint(&text);
    assert_eq!(result.code, 2);
    assert!(result.stderr.contains("c.yaml:14:13:"), "{}", result.stderr);
    assert!(
        result.stderr.contains("`verify` is empty"),
        "{}",
        result.stderr
    );
}

#[test]
fn variable_cycles_and_unclosed_references_are_refused_where_they_were_written() {
    let base = format!(
        "{HEAD}      - id: s\n        title: S\n        items:\n          - id: x\n            text: X\n"
    );
    let cycle = base.replace("  db: prod-db\n", "  a: \"${b}\"\n  b: \"${a}\"\n");
    let result = lint(&cycle);
    assert_eq!(result.code, 2);
    assert!(
        result
            .stderr
            .contains("c.yaml:4:6: variable `a`: refers to itself through a → b → a"),
        "{}",
        result.stderr
    );

    let unclosed = format!(
        "{HEAD}      - id: s\n        title: S\n        items:\n          - id: x\n            text: X\n            verify:\n              rds_instance: ${{db\n              expect: {{multi_az: true}}\n"
    );
    let result = lint(&unclosed);
    assert_eq!(result.code, 2);
    assert!(
        result
            .stderr
            .contains("`${db` opens a variable but never closes it"),
        "{}",
        result.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), &base).unwrap();
    let flag = run(
        dir.path(),
        &closed_port_url(),
        &["lint", "--checklist", "c.yaml", "--var", "db=${nope}"],
    );
    assert_eq!(flag.code, 2);
    assert!(
        flag.stderr
            .contains("--var db: variable `db`: `${nope}` is not defined"),
        "{}",
        flag.stderr
    );
}

#[test]
fn an_empty_phase_and_roles_that_could_never_be_approved_are_refused() {
    let empty = format!("{HEAD}      - id: s\n        title: S\n");
    let result = lint(&empty);
    assert_eq!(result.code, 2);
    assert!(
        result
            .stderr
            .contains("phase `pre` has no items and no approvals"),
        "{}",
        result.stderr
    );

    let roles = format!(
        "{HEAD}      - id: s\n        title: S\n        approvals: [Lead, lead, \"CTO \"]\n"
    );
    let result = lint(&roles);
    assert_eq!(result.code, 2);
    assert!(
        result
            .stderr
            .contains("role `lead` approves phase `pre` twice"),
        "{}",
        result.stderr
    );
    assert!(
        result.stderr.contains("role `CTO ` has spaces around it"),
        "{}",
        result.stderr
    );
}

#[test]
fn numbers_that_yaml_would_mangle_in_text_fields_must_be_quoted_and_nan_is_no_number() {
    let text = format!(
        "{HEAD}      - id: s\n        title: S\n        items:\n          - id: v\n            text: V\n            verify:\n              rds_instance: x\n              expect:\n                engine_version: 14.10\n                monitoring_interval: '!= nan'\n"
    );
    let result = lint(&text);
    assert_eq!(result.code, 2);
    assert!(
        result
            .stderr
            .contains("YAML read 14.1 as a number, so quote the value"),
        "{}",
        result.stderr
    );
    assert!(
        result
            .stderr
            .contains("monitoring_interval: this field is a number, not `!= nan`"),
        "{}",
        result.stderr
    );
}

#[test]
fn an_error_on_a_non_blocking_item_still_means_not_verified() {
    let standin = StandIn::start("compliant");
    standin.faults(json!([{"service": "monitoring", "status": 403, "code": "AccessDenied"}]));
    let text = format!(
        "{HEAD}      - id: s\n        title: S\n        items:\n          - id: alarm\n            text: Alarm\n            blocking: false\n            verify:\n              cloudwatch_alarm: barkbase-prod-rds-cpu\n              expect: {{threshold: 80}}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), text).unwrap();
    let result = run(
        dir.path(),
        &standin.url,
        &[
            "--checklist",
            "c.yaml",
            "run",
            "--phase",
            "pre",
            "--format",
            "json",
        ],
    );
    assert_eq!(outcome(&result.json(), "alarm"), "ERROR");
    assert_eq!(result.code, 3);
}

#[test]
fn an_error_shows_no_fix_for_a_gap_that_was_never_observed() {
    let dir = tempfile::tempdir().unwrap();
    let result = run(
        dir.path(),
        &closed_port_url(),
        &["run", "--phase", "pre-deploy", "--format", "json"],
    );
    let report = result.json();
    let multi_az = crate::harness::item(&report, "rds-multi-az");
    assert!(multi_az["evidence"]["fix"].is_null(), "{multi_az}");
    let message = multi_az["evidence"]["message"].as_str().unwrap();
    assert!(
        message.contains("cannot reach the endpoint") && !message.contains("DispatchFailure"),
        "{message}"
    );
}

fn aws_files(dir: &Path) {
    std::fs::write(dir.join("config"), "[profile prod]\nregion = eu-west-1\n").unwrap();
    std::fs::write(
        dir.join("credentials"),
        "[prod]\naws_access_key_id = PRODKEY\naws_secret_access_key = PRODSECRET\n",
    )
    .unwrap();
}

#[test]
fn a_named_profile_decides_credentials_and_region_and_a_misspelt_one_is_an_error() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    aws_files(d);
    let with_profile = |profile: &str| {
        ran(barkcheck(d, &standin.url)
            .env("AWS_CONFIG_FILE", d.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", d.join("credentials"))
            .env_remove("AWS_REGION")
            .args([
                "--profile",
                profile,
                "run",
                "--phase",
                "pre-deploy",
                "--format",
                "json",
            ])
            .output()
            .unwrap())
    };
    // The profile's region is eu-west-1, where the stand-in holds nothing.
    let prod = with_profile("prod");
    let message = crate::harness::item(&prod.json(), "rds-multi-az")["evidence"]["message"].clone();
    assert_eq!(message, "no rds_instance matches barkbase-prod (0 listed)");

    let misspelt = with_profile("prdo");
    assert_eq!(misspelt.code, 3);
    assert!(
        misspelt.stderr.contains("AWS is unavailable") && misspelt.stderr.contains("prdo"),
        "{}",
        misspelt.stderr
    );
}

#[test]
fn environments_with_different_names_never_share_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = closed_port_url();
    assert_eq!(
        run(
            d,
            &url,
            &[
                "--env",
                "日本",
                "sign",
                "code-freeze-implemented",
                "--by",
                "a"
            ]
        )
        .code,
        0
    );
    let other = run(
        d,
        &url,
        &["--env", "中国", "status", "--phase", "pre-deploy"],
    );
    assert!(
        other
            .stdout
            .lines()
            .any(|l| l.contains("Pre-Deployment Steps") && l.contains("0/10")),
        "{}",
        other.stdout
    );
    let blank = run(d, &url, &["--env", " ", "status"]);
    assert_eq!(blank.code, 2);
    assert!(
        blank.stderr.contains("no letters or digits"),
        "{}",
        blank.stderr
    );
}

#[test]
fn a_run_whose_state_cannot_be_written_still_shows_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A directory where the state's lock file goes: the state reads, but cannot be written.
    std::fs::create_dir(d.join("x.json.lock")).unwrap();
    let result = run(
        d,
        &closed_port_url(),
        &["--state", "x.json", "run", "--phase", "rollback"],
    );
    assert!(
        result.stdout.contains("rollback: NOT READY"),
        "{}",
        result.stdout
    );
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("could not be recorded"),
        "{}",
        result.stderr
    );
}

#[test]
fn bad_flags_are_usage_errors_and_control_characters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [
        vec![
            "--endpoint-url",
            "not a url",
            "run",
            "--phase",
            "pre-deploy",
        ],
        vec!["--region", "", "run", "--phase", "pre-deploy"],
        vec![
            "sign",
            "code-freeze-implemented",
            "--by",
            "a",
            "--note",
            "\u{1b}[31mred",
        ],
        vec!["sign", "code-freeze-implemented", "--by", "  "],
    ] {
        let result = run(d, &closed_port_url(), &args);
        assert_eq!(result.code, 2, "{args:?}: {}", result.stderr);
    }
}
