//! `barkcheck explain ITEM` through the binary: an automated item's check, calls, IAM actions,
//! last observation and fix; a manual item's sign-off; an unknown item.

use crate::harness::{StandIn, run_full};

#[test]
fn an_automated_item_is_explained_with_its_calls_and_what_the_last_run_saw() {
    let standin = StandIn::start("gaps");
    let dir = tempfile::tempdir().unwrap();
    let explain = || run_full(dir.path(), &standin.url, &["explain", "rds-multi-az"]);

    let before = explain();
    assert_eq!(before.code, 0, "{}", before.stderr);
    for expected in [
        "rds-multi-az: Multi-AZ deployment enabled",
        "phase pre-deploy",
        "Automated: a `rds_instance` check.",
        "selects every rds_instance whose db_instance_identifier must equal barkbase-prod",
        "multi_az must equal true (true or false: ",
        "rds DescribeDBInstances needs IAM action rds:DescribeDBInstances",
        "rds DescribeDBClusters needs IAM action rds:DescribeDBClusters, when an instance belongs \
         to an Aurora cluster",
        "Phase pre-deploy has not been run",
        "How to fix a failure: Enable Multi-AZ",
    ] {
        assert!(
            before.stdout.contains(expected),
            "missing `{expected}` in:\n{}",
            before.stdout
        );
    }
    assert_eq!(standin.requests(), Vec::new(), "explain calls no AWS");

    let ran = run_full(dir.path(), &standin.url, &["run", "--phase", "pre-deploy"]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let after = explain();
    for expected in [
        "Last run of phase pre-deploy (",
        "): FAIL",
        "Evidence of the last recorded run (",
        "by tester on ",
        "resource: rds_instance barkbase-prod",
        "multi_az: expected = true, observed false (does not hold)",
    ] {
        assert!(
            after.stdout.contains(expected),
            "missing `{expected}` in:\n{}",
            after.stdout
        );
    }

    // Every kind of expectation reads as words: a `not` and a `one_of`.
    let stack = run_full(
        dir.path(),
        &standin.url,
        &["explain", "no-deployment-errors"],
    );
    assert!(
        stack
            .stdout
            .contains("stack_status must not match the pattern /ROLLBACK|FAILED/"),
        "{}",
        stack.stdout
    );
    let alarms = run_full(dir.path(), &standin.url, &["explain", "alarms-created"]);
    assert!(
        alarms
            .stdout
            .contains("passes when every selected resource (at least one)")
    );
    assert!(
        alarms
            .stdout
            .contains("alarm_actions must have a number of elements that must be at least 1"),
        "{}",
        alarms.stdout
    );
}

#[test]
fn a_manual_item_says_who_signed_it_and_when_or_that_it_is_pending() {
    let dir = tempfile::tempdir().unwrap();
    let bc = |args: &[&str]| run_full(dir.path(), "http://127.0.0.1:9", args);
    let pending = bc(&["explain", "backup-production-database"]);
    assert_eq!(pending.code, 0, "{}", pending.stderr);
    assert!(
        pending
            .stdout
            .contains("Manual: a person checks it and signs it")
    );
    assert!(
        pending.stdout.contains("Pending: nobody has signed it."),
        "{}",
        pending.stdout
    );
    assert!(pending.stdout.contains("under apply-database-migrations"));

    let signed = bc(&[
        "sign",
        "backup-production-database",
        "--by",
        "alice",
        "--note",
        "snapshot rds:manual-1",
    ]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let after = bc(&["explain", "backup-production-database"]);
    assert!(
        after.stdout.contains("Signed by alice at 20"),
        "{}",
        after.stdout
    );
    assert!(after.stdout.contains("note: snapshot rds:manual-1"));

    let parent = bc(&["explain", "apply-database-migrations"]);
    assert!(
        parent.stdout.contains("Sums up its 7 sub-items"),
        "{}",
        parent.stdout
    );

    let unknown = bc(&["explain", "rds-multi-azz"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("did you mean `rds-multi-az`?"),
        "{}",
        unknown.stderr
    );
}
