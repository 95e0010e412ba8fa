//! Team state in S3 (`--state s3://bucket/key`) against the stand-in's S3: concurrent signers
//! from many processes all land, the record verifies, and a bad object is refused untouched.

use crate::harness::{StandIn, barkcheck, run};

/// A bucket the `compliant` profile seeds.
const STATE: &str = "s3://barkbase-frontend-prod/barkcheck/prod.json";

#[test]
fn many_concurrent_signers_share_one_state_in_s3_and_none_is_lost() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let items = [
        "code-freeze-implemented",
        "deployment-plan-reviewed",
        "rollback-plan-documented",
        "team-briefed-deployment",
        "customer-communication-drafted",
        "blockers-resolved",
        "database-backup-completed",
        "current-infrastructure-documented",
        "current-environment-variables-documented",
        "rollback-instructions-verified",
    ];
    let children: Vec<std::process::Child> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            barkcheck(d, &standin.url)
                .args([
                    "--state",
                    STATE,
                    "sign",
                    item,
                    "--by",
                    &format!("engineer-{i}"),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let status = run(
        d,
        &standin.url,
        &["--state", STATE, "status", "--phase", "pre-deploy"],
    );
    let steps = status
        .stdout
        .lines()
        .find(|l| l.contains("Pre-Deployment Steps"))
        .unwrap();
    assert!(
        steps.contains("10/10"),
        "every sign-off landed:\n{}",
        status.stdout
    );
    let log = run(d, &standin.url, &["--state", STATE, "log"]);
    assert!(log.stdout.contains("(10 entries)"), "{}", log.stdout);
    let verify = run(d, &standin.url, &["--state", STATE, "verify"]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    assert!(
        !d.join(".barkcheck").exists(),
        "nothing was written locally"
    );
}

#[test]
fn a_state_object_of_another_checklist_is_refused_and_left_alone() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("other.yaml"),
        "barkcheck: 1\nname: Other\nphases:\n  - id: p\n    title: P\n    sections:\n      - id: s\n        title: S\n        items:\n          - id: x\n            text: X\n",
    )
    .unwrap();
    let key = "s3://barkbase-frontend-prod/barkcheck/other.json";
    assert_eq!(
        run(
            d,
            &standin.url,
            &[
                "--checklist",
                "other.yaml",
                "--state",
                key,
                "sign",
                "x",
                "--by",
                "a"
            ]
        )
        .code,
        0
    );
    let refused = run(
        d,
        &standin.url,
        &[
            "--state",
            key,
            "sign",
            "code-freeze-implemented",
            "--by",
            "b",
        ],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("belongs to checklist \"Other\""),
        "{}",
        refused.stderr
    );
    let still = run(
        d,
        &standin.url,
        &["--checklist", "other.yaml", "--state", key, "verify"],
    );
    assert_eq!(
        still.code, 0,
        "the other checklist's state is untouched: {}",
        still.stdout
    );

    let bad_url = run(
        d,
        &standin.url,
        &["--state", "s3://only-a-bucket", "status"],
    );
    assert_eq!(bad_url.code, 2);
    assert!(
        bad_url.stderr.contains("is not s3://BUCKET/KEY"),
        "{}",
        bad_url.stderr
    );
}

#[test]
fn a_write_whose_answer_is_lost_is_recorded_once() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let state = "s3://barkbase-frontend-prod/barkcheck/lost.json";
    let bc = |args: &[&str]| {
        let mut full = vec!["--state", state];
        full.extend_from_slice(args);
        run(d, &standin.url, &full)
    };
    assert_eq!(bc(&["sign", "blockers-resolved", "--by", "ana"]).code, 0);
    // The next write reaches S3 but its answer does not come back: the SDK sends it again and
    // S3 refuses that, since the object has changed (by the write itself).
    let lose_one_answer = serde_json::json!([
        {"service": "s3", "operation": "PutObject", "drop_answer": true, "times": 1}
    ]);
    standin.faults(lose_one_answer.clone());
    let signed = bc(&["sign", "code-freeze-implemented", "--by", "ben"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    standin.faults(lose_one_answer);
    let unsigned = bc(&["unsign", "blockers-resolved", "--by", "ana"]);
    assert_eq!(unsigned.code, 0, "the unsign landed: {}", unsigned.stderr);

    // Every attempt's answer lost: a fresh read finds the entry, so it is not reported as
    // failed (and recorded again when the engineer retries).
    standin.faults(serde_json::json!([
        {"service": "s3", "operation": "PutObject", "drop_answer": true, "times": 3}
    ]));
    let signed = bc(&["sign", "blockers-resolved", "--by", "ana"]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let puts = standin
        .requests()
        .iter()
        .filter(|(service, operation)| service == "s3" && operation == "PutObject")
        .count();
    assert_eq!(puts, 8, "four writes: two sent twice, one three times");
    let log = bc(&["log"]);
    assert!(
        log.stdout.contains("(4 entries)"),
        "each change once:\n{}",
        log.stdout
    );
    assert_eq!(bc(&["verify"]).code, 0);
}

#[test]
fn an_s3_state_edited_by_hand_is_not_trusted_over_its_history() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (bucket, key) = ("barkbase-frontend-prod", "barkcheck/forged.json");
    let state = format!("s3://{bucket}/{key}");
    let signed = run(
        d,
        &standin.url,
        &[
            "--state",
            &state,
            "sign",
            "blockers-resolved",
            "--by",
            "ana",
        ],
    );
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    // A sign-off added to the object's state by hand, copied from the real one.
    edit_object(
        &standin,
        bucket,
        key,
        "signoffs = doc['state']['signoffs']\n\
         signoffs['code-freeze-implemented'] = dict(signoffs['blockers-resolved'], by='mallory')\n",
    );

    let verify = run(d, &standin.url, &["--state", &state, "verify"]);
    assert_eq!(verify.code, 1, "verify finds the edit: {}", verify.stdout);

    let report = run(
        d,
        &standin.url,
        &[
            "--state",
            &state,
            "run",
            "--phase",
            "pre-deploy",
            "--format",
            "json",
        ],
    );
    assert!(
        report.stderr.contains("differs from its history"),
        "{}",
        report.stderr
    );
    let report = report.json();
    assert_eq!(
        crate::harness::outcome(&report, "blockers-resolved"),
        "SIGNED"
    );
    assert_eq!(
        crate::harness::outcome(&report, "code-freeze-implemented"),
        "PENDING",
        "the forged sign-off does not count"
    );
    // The run's record wrote the state rebuilt from the history: the edit is gone.
    let verify = run(d, &standin.url, &["--state", &state, "verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
}

#[test]
fn report_reads_a_shared_states_runs_from_its_object() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let state = "s3://barkbase-frontend-prod/barkcheck/report.json";
    let ran = run(
        d,
        &standin.url,
        &[
            "--state",
            state,
            "run",
            "--phase",
            "post-deploy",
            "--format",
            "json",
        ],
    );
    // Probes without a web stand-in are ERROR (3); what matters is that the run is recorded.
    assert_ne!(ran.code, 2, "{}", ran.stderr);
    let report = run(d, &standin.url, &["--state", state, "report"]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert!(
        !report.stderr.contains("no entry for the last run"),
        "the run is in the object's history: {}",
        report.stderr
    );
    assert!(!d.join("s3:").exists(), "nothing local was read or made");
}

#[test]
fn an_s3_history_cut_short_is_refused_and_not_written_over() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (bucket, key) = ("barkbase-frontend-prod", "barkcheck/cut.json");
    let state = format!("s3://{bucket}/{key}");
    for (item, by) in [
        ("blockers-resolved", "ana"),
        ("code-freeze-implemented", "ben"),
    ] {
        let signed = run(
            d,
            &standin.url,
            &["--state", &state, "sign", item, "--by", by],
        );
        assert_eq!(signed.code, 0, "{}", signed.stderr);
    }
    edit_object(&standin, bucket, key, "doc['history'].pop()\n");

    for args in [
        &["sign", "team-briefed-deployment", "--by", "cy"][..],
        &["status"][..],
    ] {
        let mut full = vec!["--state", state.as_str()];
        full.extend_from_slice(args);
        let refused = run(d, &standin.url, &full);
        assert_eq!(refused.code, 2, "{args:?}: {}", refused.stdout);
        assert!(
            refused
                .stderr
                .contains("counts 2 recorded entries but its history holds 1"),
            "{}",
            refused.stderr
        );
    }
    let verify = run(d, &standin.url, &["--state", &state, "verify"]);
    assert_eq!(verify.code, 1, "the loss is still seen: {}", verify.stdout);
}

/// Edits a state object as someone with write access to the bucket could: `edit` is Python that
/// changes `doc`, the object's JSON, which is then written back.
fn edit_object(standin: &StandIn, bucket: &str, key: &str, edit: &str) {
    let script = format!(
        "import boto3, json\n\
         s3 = boto3.client('s3', endpoint_url='{url}', region_name='us-east-1',\n\
         \x20   aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         doc = json.loads(s3.get_object(Bucket='{bucket}', Key='{key}')['Body'].read())\n\
         {edit}\
         s3.put_object(Bucket='{bucket}', Key='{key}', Body=json.dumps(doc).encode())\n",
        url = standin.url
    );
    let done = std::process::Command::new(crate::harness::standin_python())
        .args(["-c", &script])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}
