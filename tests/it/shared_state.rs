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
