//! The record: history, verification, waivers, validity, approvals bound to outcomes,
//! deployments, concurrent signers and killed writers, through the binary on real files.

use std::path::{Path, PathBuf};

use crate::harness::{closed_port_url, item, outcome, run};

const CHECKLIST: &str = "\
barkcheck: 1
name: Record
phases:
  - id: pre-deploy
    title: Before
    sections:
      - id: review
        title: Review
        items:
          - id: plan
            text: Deployment plan reviewed
          - id: brief
            text: Team briefed
          - id: hour-one
            text: Monitor dashboard for anomalies
            valid_for: 2s
        approvals: [Security Lead]
";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("checklist.yaml"), CHECKLIST).unwrap();
    dir
}

fn bc(dir: &Path, args: &[&str]) -> crate::harness::Ran {
    let mut full = vec!["--checklist", "checklist.yaml"];
    full.extend_from_slice(args);
    run(dir, &closed_port_url(), &full)
}

fn history(dir: &Path) -> PathBuf {
    dir.join(".barkcheck/record.default.state.history.jsonl")
}

fn state(dir: &Path) -> PathBuf {
    dir.join(".barkcheck/record.default.state.json")
}

fn report(dir: &Path) -> serde_json::Value {
    bc(dir, &["run", "--phase", "pre-deploy", "--format", "json"]).json()
}

#[test]
fn every_change_is_in_the_history_with_who_when_where_and_why() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(
        bc(
            d,
            &["sign", "plan", "--by", "alice", "--note", "see DEPLOY-7"]
        )
        .code,
        0
    );
    assert_eq!(bc(d, &["run", "--phase", "pre-deploy"]).code, 1);
    assert_eq!(
        bc(d, &["approve", "--role", "Security Lead", "--by", "sam"]).code,
        0
    );
    let waived = bc(
        d,
        &[
            "waive",
            "brief",
            "--reason",
            "team on leave",
            "--until",
            "2099-01-31",
            "--by",
            "lee",
            "--ticket",
            "OPS-9",
        ],
    );
    assert_eq!(waived.code, 0, "{}", waived.stderr);
    assert_eq!(
        bc(
            d,
            &[
                "unsign",
                "plan",
                "--by",
                "alice",
                "--reason",
                "plan changed"
            ]
        )
        .code,
        0
    );

    let log = bc(d, &["log"]);
    assert_eq!(log.code, 0, "{}", log.stderr);
    for expected in [
        "signed plan",
        "see DEPLOY-7",
        "ran pre-deploy",
        "Security Lead approved pre-deploy",
        "waived brief until 2099-02-01T00:00:00Z",
        "team on leave [OPS-9]",
        "unsigned plan",
        "plan changed",
        "alice@",
    ] {
        assert!(
            log.stdout.contains(expected),
            "log lacks `{expected}`:\n{}",
            log.stdout
        );
    }
    let lines = std::fs::read_to_string(history(d)).unwrap();
    assert_eq!(lines.lines().count(), 5);
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["by"], "alice");
    assert!(first["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(first["prev"], "genesis");

    let verified = bc(d, &["verify"]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
    assert!(
        verified.stdout.starts_with("verified: 5 history entries"),
        "{}",
        verified.stdout
    );
}

#[test]
fn verify_finds_an_edited_or_removed_entry_and_a_state_edited_by_hand() {
    let dir = setup();
    let d = dir.path();
    for (item, by) in [("plan", "alice"), ("brief", "bob"), ("hour-one", "carol")] {
        assert_eq!(bc(d, &["sign", item, "--by", by]).code, 0);
    }
    let good = std::fs::read_to_string(history(d)).unwrap();

    std::fs::write(
        history(d),
        good.replacen("\"by\":\"bob\"", "\"by\":\"mallory\"", 1),
    )
    .unwrap();
    let edited = bc(d, &["verify"]);
    assert_eq!(edited.code, 1);
    assert!(
        edited
            .stdout
            .contains("history entry 2 (line 2) does not match its digest"),
        "{}",
        edited.stdout
    );
    let refused = bc(d, &["sign", "plan", "--by", "eve"]);
    assert_eq!(refused.code, 2, "nothing is recorded on a broken history");
    assert!(refused.stderr.contains("is broken"), "{}", refused.stderr);

    let without_second: Vec<&str> = good
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(history(d), without_second.join("\n") + "\n").unwrap();
    let removed = bc(d, &["verify"]);
    assert_eq!(removed.code, 1);
    assert!(
        removed
            .stdout
            .contains("history line 2 holds entry 3 where entry 2 should follow"),
        "{}",
        removed.stdout
    );

    std::fs::write(history(d), &good).unwrap();
    assert_eq!(bc(d, &["verify"]).code, 0);
    let snapshot = std::fs::read_to_string(state(d)).unwrap();
    let forged = snapshot.replace("\"by\": \"carol\"", "\"by\": \"the-cto\"");
    assert_ne!(forged, snapshot);
    std::fs::write(state(d), forged).unwrap();
    let hand_edited = bc(d, &["verify"]);
    assert_eq!(hand_edited.code, 1);
    assert!(
        hand_edited
            .stdout
            .contains("the sign-off of hour-one differs"),
        "{}",
        hand_edited.stdout
    );
}

#[test]
fn concurrent_signers_all_land() {
    let dir = setup();
    let d = dir.path();
    let many: String = (0..20)
        .map(|i| format!("          - id: task-{i}\n            text: Task {i}\n"))
        .collect();
    let checklist = CHECKLIST.replace("        approvals:", &format!("{many}        approvals:"));
    std::fs::write(d.join("checklist.yaml"), checklist).unwrap();
    let children: Vec<std::process::Child> = (0..20)
        .map(|i| {
            crate::harness::barkcheck(d, &closed_port_url())
                .args([
                    "--checklist",
                    "checklist.yaml",
                    "sign",
                    &format!("task-{i}"),
                    "--by",
                    &format!("signer-{i}"),
                ])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let report = report(d);
    for i in 0..20 {
        assert_eq!(
            outcome(&report, &format!("task-{i}")),
            "SIGNED",
            "task-{i} was lost"
        );
    }
    assert_eq!(
        std::fs::read_to_string(history(d)).unwrap().lines().count(),
        21,
        "20 signs and a run"
    );
    assert_eq!(bc(d, &["verify"]).code, 0);
}

#[test]
fn a_writer_killed_mid_line_loses_nothing_that_was_recorded() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(bc(d, &["sign", "plan", "--by", "alice"]).code, 0);
    // What a process killed halfway through appending leaves: a line without its end.
    let mut text = std::fs::read_to_string(history(d)).unwrap();
    text.push_str("{\"seq\":2,\"at\":\"2026-12-04T10:0");
    std::fs::write(history(d), text).unwrap();

    let verify = bc(d, &["verify"]);
    assert!(verify.stdout.contains("cut short"), "{}", verify.stdout);
    let status = bc(d, &["status"]);
    assert!(
        status.stdout.contains("1/3"),
        "the signed item still counts:\n{}",
        status.stdout
    );
    assert_eq!(bc(d, &["sign", "brief", "--by", "bob"]).code, 0);
    let after = report(d);
    assert_eq!(
        (outcome(&after, "plan"), outcome(&after, "brief")),
        ("SIGNED".into(), "SIGNED".into())
    );
    assert_eq!(
        bc(d, &["verify"]).code,
        0,
        "the next change cut the torn line off"
    );
}

#[test]
fn a_waiver_waives_until_it_expires_and_warns_ahead() {
    let dir = setup();
    let d = dir.path();
    for item in ["plan", "hour-one"] {
        assert_eq!(bc(d, &["sign", item, "--by", "alice"]).code, 0);
    }
    let tomorrow = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(26);
    let waived = bc(
        d,
        &[
            "waive",
            "brief",
            "--reason",
            "team on leave",
            "--until",
            &tomorrow.to_string(),
            "--by",
            "lee",
        ],
    );
    assert_eq!(waived.code, 0, "{}", waived.stderr);
    let report = report(d);
    assert_eq!(outcome(&report, "brief"), "WAIVED");
    assert_eq!(
        item(&report, "brief")["evidence"]["waiver"]["reason"],
        "team on leave"
    );
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("brief: the waiver by lee expires at"),
        "{warnings:?}"
    );

    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(2);
    assert_eq!(
        bc(
            d,
            &[
                "waive",
                "brief",
                "--reason",
                "one more day",
                "--until",
                &soon.to_string(),
                "--by",
                "lee"
            ]
        )
        .code,
        0
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let expired = report_of(d);
    assert_eq!(outcome(&expired, "brief"), "PENDING");
    let message = item(&expired, "brief")["evidence"]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("the waiver by lee expired at"),
        "{message}"
    );
}

fn report_of(d: &Path) -> serde_json::Value {
    report(d)
}

#[test]
fn a_waiver_needs_a_reason_and_a_real_future_date() {
    let dir = setup();
    let d = dir.path();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--reason", " ", "--until", "2099-01-01"],
            "a waiver needs a reason",
        ),
        (&["--reason", "x", "--until", "2099-02-30"], "is not a date"),
        (
            &["--reason", "x", "--until", "2099-01-01T10:00"],
            "a time needs its time zone",
        ),
        (&["--reason", "x", "--until", "2020-01-01"], "already past"),
        (&["--until", "2099-01-01"], "--reason"),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["waive", "brief", "--by", "lee"];
        args.extend_from_slice(flags);
        let result = bc(d, &args);
        assert_eq!(result.code, 2, "{flags:?}");
        assert!(
            result.stderr.contains(expected),
            "{flags:?}: {}",
            result.stderr
        );
    }
    assert!(!history(d).exists(), "nothing was recorded");
}

#[test]
fn a_sign_off_with_a_validity_expires() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(bc(d, &["sign", "hour-one", "--by", "alice"]).code, 0);
    assert_eq!(outcome(&report(d), "hour-one"), "SIGNED");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let later = report(d);
    assert_eq!(outcome(&later, "hour-one"), "PENDING");
    let message = item(&later, "hour-one")["evidence"]["message"]
        .as_str()
        .unwrap();
    assert!(message.starts_with("expired: signed by alice"), "{message}");
}

#[test]
fn an_approval_holds_only_for_the_outcomes_it_approved() {
    let dir = setup();
    let d = dir.path();
    let early = bc(d, &["approve", "--role", "Security Lead", "--by", "sam"]);
    assert_eq!(early.code, 2, "nothing to approve before a run");
    assert!(
        early.stderr.contains("has not been run yet"),
        "{}",
        early.stderr
    );

    for item in ["plan", "brief", "hour-one"] {
        assert_eq!(bc(d, &["sign", item, "--by", "alice"]).code, 0);
    }
    assert_eq!(bc(d, &["run", "--phase", "pre-deploy"]).code, 1);
    assert_eq!(
        bc(d, &["approve", "--role", "Security Lead", "--by", "sam"]).code,
        0
    );
    assert_eq!(
        bc(d, &["run", "--phase", "pre-deploy"]).code,
        0,
        "ready while nothing changed"
    );

    assert_eq!(bc(d, &["unsign", "brief"]).code, 0);
    let changed = report(d);
    let approval = &changed["approvals"][0];
    assert_eq!(approval["outcome"], "PENDING");
    assert_eq!(
        approval["invalidated"],
        "invalidated: 1 outcome changed since sam approved (brief: SIGNED → PENDING)"
    );
    assert_eq!(changed["readiness"], "not_ready");
}

#[test]
fn opening_a_deployment_archives_the_last_one_and_starts_clean() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(
        bc(d, &["open", "--lead", "dana", "--date", "2026-12-01"]).code,
        0
    );
    assert_eq!(bc(d, &["sign", "plan", "--by", "alice"]).code, 0);
    let first = bc(d, &["run", "--phase", "pre-deploy"]);
    assert!(
        first
            .stdout
            .contains("deployment of 2026-12-01 (lead dana)"),
        "{}",
        first.stdout
    );

    let opened = bc(d, &["open", "--lead", "erin", "--date", "2026-12-08"]);
    assert_eq!(opened.code, 0, "{}", opened.stderr);
    assert!(
        opened.stdout.contains("1 earlier deployment(s) archived"),
        "{}",
        opened.stdout
    );
    let report = report(d);
    assert_eq!(
        outcome(&report, "plan"),
        "PENDING",
        "the new deployment starts clean"
    );
    assert_eq!(report["deployment"]["lead"], "erin");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state(d)).unwrap()).unwrap();
    assert_eq!(saved["previous"][0]["deployment"]["lead"], "dana");
    assert_eq!(saved["previous"][0]["signoffs"]["plan"]["by"], "alice");
    assert_eq!(bc(d, &["verify"]).code, 0);

    let bad = bc(d, &["open", "--lead", "erin", "--date", "2026-02-30"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("--date `2026-02-30` is not a date"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_state_file_edited_by_hand_is_never_trusted_over_its_history() {
    let dir = setup();
    let d = dir.path();
    for item in ["plan", "brief", "hour-one"] {
        assert_eq!(bc(d, &["sign", item, "--by", "alice"]).code, 0);
    }
    assert_eq!(
        bc(d, &["run", "--phase", "pre-deploy"]).code,
        1,
        "no approval yet"
    );
    // Forge an approval in the state file only, keeping its history mark.
    let text = std::fs::read_to_string(state(d)).unwrap();
    let mut forged: serde_json::Value = serde_json::from_str(&text).unwrap();
    forged["approvals"]["pre-deploy"]["Security Lead"] = serde_json::json!({
        "by": "mallory", "at": "2026-12-04T10:00:00Z", "outcomes": {}
    });
    std::fs::write(state(d), serde_json::to_string_pretty(&forged).unwrap()).unwrap();

    let run = bc(d, &["run", "--phase", "pre-deploy", "--format", "json"]);
    assert_eq!(run.code, 1, "the forged approval does not open the gate");
    assert_eq!(run.json()["approvals"][0]["outcome"], "PENDING");
    assert!(
        run.stderr
            .contains("differs from its history; the history is used"),
        "{}",
        run.stderr
    );
    assert_eq!(
        bc(d, &["verify"]).code,
        0,
        "the next change rewrote the state from the history"
    );
}

#[test]
fn an_invalidated_approval_stays_invalidated_until_the_role_approves_again() {
    let dir = setup();
    let d = dir.path();
    for item in ["plan", "brief", "hour-one"] {
        assert_eq!(bc(d, &["sign", item, "--by", "alice"]).code, 0);
    }
    assert_eq!(bc(d, &["run", "--phase", "pre-deploy"]).code, 1);
    assert_eq!(
        bc(d, &["approve", "--role", "Security Lead", "--by", "sam"]).code,
        0
    );
    assert_eq!(bc(d, &["unsign", "brief"]).code, 0);
    assert_eq!(
        bc(d, &["run", "--phase", "pre-deploy"]).code,
        1,
        "the change invalidates"
    );
    assert_eq!(bc(d, &["sign", "brief", "--by", "alice"]).code, 0);
    let back = report(d);
    assert_eq!(
        back["approvals"][0]["outcome"], "PENDING",
        "outcomes came back; approval did not"
    );
    assert!(
        back["approvals"][0]["invalidated"]
            .as_str()
            .unwrap()
            .ends_with("approve again")
    );
    assert_eq!(
        bc(d, &["approve", "--role", "Security Lead", "--by", "sam"]).code,
        0
    );
    assert_eq!(bc(d, &["run", "--phase", "pre-deploy"]).code, 0);
}

#[test]
fn a_history_that_lost_recorded_entries_is_refused_and_the_sign_off_is_not_dropped() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(bc(d, &["sign", "plan", "--by", "ana"]).code, 0);
    assert_eq!(bc(d, &["sign", "brief", "--by", "ben"]).code, 0);
    // The last line damaged after it was recorded (a crash cannot do this: the state counts an
    // entry only once it is in the history).
    let text = std::fs::read_to_string(history(d)).unwrap();
    std::fs::write(history(d), &text[..text.len() - 30]).unwrap();
    let state_before = std::fs::read(state(d)).unwrap();
    let damaged = std::fs::read(history(d)).unwrap();

    for args in [&["status"][..], &["sign", "hour-one", "--by", "cy"][..]] {
        let refused = bc(d, args);
        assert_eq!(refused.code, 2, "{args:?}: {}", refused.stdout);
        assert!(
            refused
                .stderr
                .contains("counts 2 recorded entries but its history")
                && refused.stderr.contains("holds 1"),
            "{}",
            refused.stderr
        );
    }
    assert_eq!(
        std::fs::read(state(d)).unwrap(),
        state_before,
        "the state is untouched"
    );
    assert_eq!(
        std::fs::read(history(d)).unwrap(),
        damaged,
        "the history is untouched"
    );
}

#[test]
fn the_log_of_an_unknown_item_is_an_error_with_a_suggestion() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(bc(d, &["sign", "plan", "--by", "ana"]).code, 0);
    let known = bc(d, &["log", "--item", "plan"]);
    assert_eq!(known.code, 0);
    assert!(known.stdout.contains("ana@"), "{}", known.stdout);
    let unknown = bc(d, &["log", "--item", "plam"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("did you mean `plan`?"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_state_file_behind_its_history_verifies_and_one_edited_while_behind_does_not() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(bc(d, &["sign", "plan", "--by", "ana"]).code, 0);
    let after_first = std::fs::read_to_string(state(d)).unwrap();
    assert_eq!(bc(d, &["sign", "brief", "--by", "ben"]).code, 0);
    assert_eq!(bc(d, &["sign", "hour-one", "--by", "cy"]).code, 0);
    // What state writes that failed after their entries were appended leave behind: the state
    // file of entry 1 beside a history of 3.
    std::fs::write(state(d), &after_first).unwrap();

    let verified = bc(d, &["verify"]);
    assert_eq!(verified.code, 0, "{}", verified.stdout);
    assert!(
        verified
            .stdout
            .contains("is what the first 1 record, 2 behind"),
        "{}",
        verified.stdout
    );
    // Reads replay the rest: all three sign-offs count.
    let now = report(d);
    for id in ["plan", "brief", "hour-one"] {
        assert_eq!(outcome(&now, id), "SIGNED", "{id}");
    }

    // A snapshot edited by hand is found though it is behind.
    let forged = after_first.replace("\"by\": \"ana\"", "\"by\": \"the-cto\"");
    assert_ne!(forged, after_first);
    std::fs::write(state(d), forged).unwrap();
    let edited = bc(d, &["verify"]);
    assert_eq!(edited.code, 1, "{}", edited.stdout);
    assert!(
        edited.stdout.contains("the sign-off of plan differs"),
        "{}",
        edited.stdout
    );
}

#[test]
fn a_state_file_without_its_history_is_not_trusted() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(bc(d, &["sign", "plan", "--by", "ana"]).code, 0);
    // A state file that claims a sign-off but counts no history entry, with no history beside
    // it: what someone would write by hand.
    let mut forged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state(d)).unwrap()).unwrap();
    forged["history"]["entries"] = 0.into();
    std::fs::write(state(d), forged.to_string()).unwrap();
    std::fs::remove_file(history(d)).unwrap();

    let ran = bc(d, &["run", "--phase", "pre-deploy", "--format", "json"]);
    assert!(
        ran.stderr.contains("differs from its history"),
        "{}",
        ran.stderr
    );
    assert_eq!(outcome(&ran.json(), "plan"), "PENDING");
}

#[test]
fn a_broken_history_stops_every_read_not_only_writes() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(bc(d, &["sign", "plan", "--by", "ana"]).code, 0);
    assert_eq!(bc(d, &["sign", "brief", "--by", "ben"]).code, 0);
    let text = std::fs::read_to_string(history(d)).unwrap();
    std::fs::write(
        history(d),
        text.replacen("\"by\":\"ana\"", "\"by\":\"eve\"", 1),
    )
    .unwrap();
    for args in [&["status"][..], &["run", "--phase", "pre-deploy"][..]] {
        let refused = bc(d, args);
        assert_eq!(refused.code, 2, "{args:?}: {}", refused.stdout);
        assert!(
            refused.stderr.contains("is broken"),
            "{args:?}: {}",
            refused.stderr
        );
    }
}
