//! Sign-offs, approvals and the state file, through the binary, across processes.

use std::path::Path;

use crate::harness::{closed_port_url, outcome, run};

const MANUAL: &str = "\
barkcheck: 1
name: Manual only
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
            text: '**Team briefed**'
            items:
              - id: brief-ops
                text: Ops briefed
              - id: brief-support
                text: Support briefed
          - id: sms
            text: SMS subscriptions configured (optional)
            blocking: false
        approvals: [Security Lead, CTO]
  - id: post-deploy
    title: After
    sections:
      - id: signoff
        title: Production Sign-Off
        approvals: [CTO]
";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("checklist.yaml"), MANUAL).unwrap();
    dir
}

fn bc(dir: &Path, args: &[&str]) -> crate::harness::Ran {
    let mut full = vec!["--checklist", "checklist.yaml"];
    full.extend_from_slice(args);
    run(dir, &closed_port_url(), &full)
}

#[test]
fn signing_and_approving_turn_a_phase_ready_across_processes() {
    let dir = setup();
    let d = dir.path();

    let first = bc(d, &["run", "--phase", "pre-deploy", "--format", "json"]);
    assert_eq!(
        first.code, 1,
        "pending items make the phase not ready: {}",
        first.stderr
    );
    let report = first.json();
    assert_eq!(outcome(&report, "plan"), "PENDING");
    assert_eq!(
        outcome(&report, "brief"),
        "PENDING",
        "a parent sums up its pending sub-items"
    );

    for (item, note) in [
        ("plan", "reviewed in DEPLOY-42"),
        ("brief-ops", ""),
        ("brief-support", ""),
    ] {
        let mut args = vec!["sign", item, "--by", "alice"];
        if !note.is_empty() {
            args.extend(["--note", note]);
        }
        let signed = bc(d, &args);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
    }
    let after_signing = bc(d, &["run", "--phase", "pre-deploy", "--format", "json"]);
    assert_eq!(after_signing.code, 1, "roles have not approved yet");
    let report = after_signing.json();
    assert_eq!(outcome(&report, "plan"), "SIGNED");
    assert_eq!(outcome(&report, "brief"), "SIGNED");
    assert_eq!(report["items"][0]["evidence"]["signed_by"], "alice");
    assert_eq!(
        report["items"][0]["evidence"]["note"],
        "reviewed in DEPLOY-42"
    );
    assert_eq!(
        outcome(&report, "sms"),
        "PENDING",
        "shown pending, but it does not block"
    );

    for role in ["Security Lead", "cto"] {
        let approved = bc(
            d,
            &[
                "approve",
                "--role",
                role,
                "--by",
                "bob",
                "--phase",
                "pre-deploy",
            ],
        );
        assert_eq!(approved.code, 0, "{}", approved.stderr);
    }
    let ready = bc(d, &["run", "--phase", "pre-deploy"]);
    assert_eq!(ready.code, 0, "{}\n{}", ready.stdout, ready.stderr);
    assert!(
        ready.stdout.contains("pre-deploy: READY"),
        "{}",
        ready.stdout
    );
    assert!(ready.stdout.contains("approved by bob"), "{}", ready.stdout);

    let status = bc(d, &["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains("3/4"),
        "3 of 4 manual leaves signed:\n{}",
        status.stdout
    );
    assert!(status.stdout.contains("approvals 2/2"), "{}", status.stdout);
    assert!(
        status.stdout.contains("approvals 0/1"),
        "post-deploy's CTO is separate:\n{}",
        status.stdout
    );

    let unsigned = bc(d, &["unsign", "plan"]);
    assert_eq!(unsigned.code, 0, "{}", unsigned.stderr);
    let again = bc(d, &["run", "--phase", "pre-deploy", "--format", "json"]);
    assert_eq!(again.code, 1);
    assert_eq!(outcome(&again.json(), "plan"), "PENDING");
}

#[test]
fn a_sign_off_goes_stale_when_the_item_changes() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(bc(d, &["sign", "plan", "--by", "alice"]).code, 0);
    let changed = MANUAL.replace(
        "Deployment plan reviewed",
        "Deployment plan reviewed by two people",
    );
    std::fs::write(d.join("checklist.yaml"), changed).unwrap();
    let report = bc(d, &["run", "--phase", "pre-deploy", "--format", "json"]).json();
    assert_eq!(outcome(&report, "plan"), "PENDING");
    let message = crate::harness::item(&report, "plan")["evidence"]["message"]
        .as_str()
        .unwrap();
    assert!(message.starts_with("stale: signed by alice"), "{message}");
}

#[test]
fn the_wrong_item_role_or_phase_is_refused_with_a_suggestion() {
    let dir = setup();
    let d = dir.path();
    let unknown = bc(d, &["sign", "plann", "--by", "alice"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no item `plann`")
            && unknown.stderr.contains("did you mean `plan`"),
        "{}",
        unknown.stderr
    );

    let parent = bc(d, &["sign", "brief", "--by", "alice"]);
    assert_eq!(parent.code, 2);
    assert!(
        parent.stderr.contains("sums up its 2 sub-items"),
        "{}",
        parent.stderr
    );

    let ambiguous = bc(d, &["approve", "--role", "CTO", "--by", "carol"]);
    assert_eq!(ambiguous.code, 2);
    assert!(
        ambiguous
            .stderr
            .contains("approves phases pre-deploy, post-deploy"),
        "{}",
        ambiguous.stderr
    );

    let role = bc(
        d,
        &[
            "approve",
            "--role",
            "Security Led",
            "--by",
            "carol",
            "--phase",
            "pre-deploy",
        ],
    );
    assert_eq!(role.code, 2);
    assert!(
        role.stderr.contains("did you mean \"Security Lead\""),
        "{}",
        role.stderr
    );

    let phase = bc(d, &["run", "--phase", "predeploy"]);
    assert_eq!(phase.code, 2);
    assert!(
        phase.stderr.contains("did you mean `pre-deploy`"),
        "{}",
        phase.stderr
    );
    assert!(
        !d.join(".barkcheck").exists() || bc(d, &["status"]).stdout.contains("0/"),
        "nothing recorded"
    );
}

#[test]
fn a_corrupt_state_file_is_refused_and_left_untouched() {
    let dir = setup();
    let d = dir.path();
    assert_eq!(bc(d, &["sign", "plan", "--by", "alice"]).code, 0);
    let path = d.join(".barkcheck/manual-only.default.state.json");
    let good = std::fs::read_to_string(&path).expect("the default state path");
    let truncated = &good[..good.len() / 2];
    std::fs::write(&path, truncated).unwrap();

    let refused = bc(d, &["sign", "brief-ops", "--by", "alice"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("is not a valid barkcheck state"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        truncated,
        "the file was not overwritten"
    );

    let newer = good.replace("\"barkcheck_state\": 1", "\"barkcheck_state\": 9");
    std::fs::write(&path, &newer).unwrap();
    let refused = bc(d, &["status"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("newer than this barkcheck reads"),
        "{}",
        refused.stderr
    );
}

#[test]
fn walk_without_a_terminal_says_to_use_sign() {
    let dir = setup();
    let result = bc(dir.path(), &["walk", "--phase", "pre-deploy"]);
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("barkcheck sign ITEM --by NAME"),
        "{}",
        result.stderr
    );
}

#[test]
fn walk_signs_at_a_terminal_and_resumes_where_it_stopped() {
    use std::io::Write;
    let dir = setup();
    let d = dir.path();
    // `script` gives barkcheck a pseudo-terminal; the answers are typed on its input.
    let walk = |answers: &str| {
        let command = format!(
            "{} --checklist checklist.yaml walk --phase pre-deploy --by dana",
            env!("CARGO_BIN_EXE_barkcheck")
        );
        let mut process = in_terminal(d, &command);
        process
            .stdin
            .take()
            .unwrap()
            .write_all(answers.as_bytes())
            .unwrap();
        let output = process.wait_with_output().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    // Sign the first item with a note, skip the second, quit at the third.
    let first = walk("s\nchecked with ops\nk\nq\n");
    assert!(first.contains("signed plan"), "{first}");
    let report = bc(d, &["run", "--phase", "pre-deploy", "--format", "json"]).json();
    assert_eq!(outcome(&report, "plan"), "SIGNED");
    assert_eq!(
        crate::harness::item(&report, "plan")["evidence"]["note"],
        "checked with ops"
    );
    assert_eq!(outcome(&report, "brief-ops"), "PENDING");

    // The next walk starts after the last item shown (brief-ops), at brief-support.
    let second = walk("s\n\nq\n");
    assert!(second.contains("signed brief-support"), "{second}");
    let report = bc(d, &["run", "--phase", "pre-deploy", "--format", "json"]).json();
    assert_eq!(outcome(&report, "brief-support"), "SIGNED");
    assert_eq!(outcome(&report, "brief-ops"), "PENDING");
}

#[test]
fn an_interrupted_walk_keeps_what_was_signed() {
    use std::io::Write;
    let dir = setup();
    let d = dir.path();
    let command = format!(
        "{} --checklist checklist.yaml walk --phase pre-deploy --by dana",
        env!("CARGO_BIN_EXE_barkcheck")
    );
    let mut process = in_terminal(d, &command);
    let mut input = process.stdin.take().unwrap();
    // Sign the first item, then press Ctrl-C at the second question.
    input.write_all(b"s\n\n").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    input.write_all(b"\x03").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(input);
    let output = process.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("signed plan"), "{screen}");
    let report = bc(d, &["run", "--phase", "pre-deploy", "--format", "json"]).json();
    assert_eq!(outcome(&report, "plan"), "SIGNED");
    assert_eq!(
        bc(d, &["verify"]).code,
        0,
        "the record is whole after the interruption"
    );
}

/// Runs `command` under `script(1)`, which gives it a pseudo-terminal; the test types on its
/// input and reads the screen from its output. The environment is the harness's safe one.
fn in_terminal(d: &Path, command: &str) -> std::process::Child {
    std::process::Command::new("script")
        .args(["-q", "-e", "-c", command, "/dev/null"])
        .current_dir(d)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", d)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", closed_port_url())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) runs")
}

#[test]
fn a_write_clears_only_its_own_state_files_leftover_temporary_files() {
    let dir = setup();
    let d = dir.path();
    // What killed writers leave behind: one of this state file's, and one of another state
    // file whose name starts with this one's.
    let own = d.join(".s.json.tmp4242");
    let other = d.join(".s.json.tmpx.tmp4242");
    std::fs::write(&own, "partial").unwrap();
    std::fs::write(&other, "another file's write in progress").unwrap();

    let signed = bc(d, &["--state", "s.json", "sign", "plan", "--by", "ana"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    assert!(!own.exists(), "the state file's own leftover is removed");
    assert!(
        other.exists(),
        "another state file's temporary file is left alone"
    );
}

#[test]
fn a_state_path_that_is_a_directory_is_refused_and_nothing_is_created() {
    let dir = setup();
    let d = dir.path();
    std::fs::create_dir(d.join("records")).unwrap();
    let before: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();

    let signed = bc(d, &["--state", "records", "sign", "plan", "--by", "ana"]);
    assert_eq!(signed.code, 2, "{}", signed.stderr);
    assert!(
        signed.stderr.contains("records is a directory"),
        "says which path and what is wrong with it: {}",
        signed.stderr
    );
    let after: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(before, after, "no lock or state file was left beside it");
    assert_eq!(std::fs::read_dir(d.join("records")).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn a_history_that_is_not_a_regular_file_is_refused_not_read() {
    let dir = setup();
    let d = dir.path();
    // A history that is a directory (a symlink to a device or a FIFO is refused the same way,
    // before anything is read from it).
    std::fs::create_dir(d.join("s.history.jsonl")).unwrap();
    let signed = bc(d, &["--state", "s.json", "sign", "plan", "--by", "ana"]);
    assert_eq!(signed.code, 2, "{}", signed.stderr);
    assert!(
        signed.stderr.contains("s.history.jsonl") && signed.stderr.contains("not a regular file"),
        "{}",
        signed.stderr
    );
    assert!(!d.join("s.json").exists(), "nothing was recorded");
}

#[cfg(unix)]
#[test]
fn the_state_file_keeps_its_permissions_when_it_is_rewritten() {
    use std::os::unix::fs::PermissionsExt;
    let dir = setup();
    let d = dir.path();
    let state = d.join("s.json");
    let signed = bc(d, &["--state", "s.json", "sign", "plan", "--by", "ana"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o600)).unwrap();

    let signed = bc(d, &["--state", "s.json", "sign", "sms", "--by", "ana"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a private state file stays private");
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(text.contains("\"sms\""), "the second sign-off is in it");
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_state_file_is_refused_without_waiting_for_a_writer() {
    let dir = setup();
    let d = dir.path();
    // The state file, which is read, and a lock file, which is opened for writing.
    for (fifo, args) in [
        ("s.json", &["--state", "s.json", "status"][..]),
        (
            "t.json.lock",
            &["--state", "t.json", "sign", "plan", "--by", "ana"][..],
        ),
    ] {
        let made = std::process::Command::new("mkfifo")
            .arg(d.join(fifo))
            .status()
            .unwrap();
        assert!(made.success());
        let refused = bc(d, args);
        assert_eq!(refused.code, 2, "{}", refused.stderr);
        assert!(
            refused.stderr.contains("not a regular file"),
            "{}",
            refused.stderr
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_state_file_is_written_where_it_really_is_and_stays_a_link() {
    let dir = setup();
    let d = dir.path();
    std::fs::create_dir(d.join("real")).unwrap();
    std::fs::create_dir(d.join("work")).unwrap();
    let signed = bc(
        d,
        &["--state", "real/s.json", "sign", "plan", "--by", "ana"],
    );
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    std::os::unix::fs::symlink(d.join("real/s.json"), d.join("work/s.json")).unwrap();

    let signed = bc(d, &["--state", "work/s.json", "sign", "sms", "--by", "ben"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let link = std::fs::symlink_metadata(d.join("work/s.json")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is still a link");
    assert!(
        !d.join("work/s.history.jsonl").exists() && !d.join("work/s.json.lock").exists(),
        "history and lock sit beside the real file"
    );
    let log = bc(d, &["--state", "real/s.json", "log"]);
    assert!(log.stdout.contains("(2 entries)"), "{}", log.stdout);
    assert_eq!(bc(d, &["--state", "work/s.json", "verify"]).code, 0);
}

#[test]
fn a_mistyped_s3_url_is_refused_rather_than_taken_for_a_path() {
    let dir = setup();
    let d = dir.path();
    for mistyped in [
        "s3:/team-state/x.json",
        "S3://team-state/x.json",
        "s3//team-state/x",
    ] {
        let signed = bc(d, &["--state", mistyped, "sign", "plan", "--by", "a"]);
        assert_eq!(signed.code, 2, "{mistyped}: {}", signed.stderr);
        assert!(
            signed.stderr.contains("neither s3://BUCKET/KEY nor"),
            "{}",
            signed.stderr
        );
    }
    let spaced = bc(
        d,
        &[
            "--state",
            " s3://team-state/x.json",
            "sign",
            "plan",
            "--by",
            "a",
        ],
    );
    assert_eq!(spaced.code, 2, "{}", spaced.stderr);
    assert!(
        spaced.stderr.contains("spaces around it"),
        "{}",
        spaced.stderr
    );
    assert_eq!(
        std::fs::read_dir(d).unwrap().count(),
        1,
        "nothing was created beside the checklist"
    );
}

#[test]
fn verify_reports_a_state_file_missing_beside_its_history() {
    let dir = setup();
    let d = dir.path();
    for item in ["plan", "sms"] {
        let signed = bc(d, &["--state", "s.json", "sign", item, "--by", "ana"]);
        assert_eq!(signed.code, 0, "{}", signed.stderr);
    }
    std::fs::remove_file(d.join("s.json")).unwrap();
    let verify = bc(d, &["--state", "s.json", "verify"]);
    assert_eq!(verify.code, 1, "{}", verify.stdout);
    assert!(
        verify
            .stdout
            .contains("is missing or counts none of the 2 entries"),
        "{}",
        verify.stdout
    );
}
