//! AWS faults through the stand-in's fault injector: throttling is retried, and what cannot be
//! decided ends in ERROR with its cause, never in PASS, while the other items still run.

use serde_json::json;

use crate::harness::{StandIn, barkcheck, item, outcome, ran, run};

fn run_json(url: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["run", "--phase", "pre-deploy", "--format", "json"];
    args.extend_from_slice(extra);
    let result = run(dir.path(), url, &args);
    (result.code, result.json())
}

fn message<'a>(report: &'a serde_json::Value, id: &str) -> &'a str {
    item(report, id)["evidence"]["message"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn throttling_is_retried_with_backoff_and_then_succeeds() {
    let standin = StandIn::start("compliant");
    standin.faults(
        json!([{"service": "rds", "operation": "DescribeDBInstances", "status": 400,
                           "code": "Throttling", "message": "Rate exceeded", "times": 2}]),
    );
    standin.reset_requests();
    let (_, report) = run_json(&standin.url, &[]);
    assert_eq!(outcome(&report, "rds-multi-az"), "PASS");
    let calls = standin
        .requests()
        .iter()
        .filter(|(s, o)| s == "rds" && o == "DescribeDBInstances")
        .count();
    assert_eq!(
        calls, 3,
        "two throttled attempts, then the one that succeeded"
    );
}

#[test]
fn persistent_throttling_is_an_error_with_its_cause() {
    let standin = StandIn::start("compliant");
    standin.faults(
        json!([{"service": "rds", "operation": "DescribeDBInstances", "status": 400,
                           "code": "Throttling", "message": "Rate exceeded"}]),
    );
    let (code, report) = run_json(&standin.url, &[]);
    assert_eq!(code, 3);
    assert_eq!(outcome(&report, "rds-multi-az"), "ERROR");
    assert_eq!(
        message(&report, "rds-multi-az"),
        "DescribeDBInstances failed: Throttling: Rate exceeded (HTTP 400)"
    );
    assert_eq!(outcome(&report, "alarm-rds-cpu"), "PASS");
}

#[test]
fn a_call_that_times_out_is_an_error() {
    let standin = StandIn::start("compliant");
    standin.faults(
        json!([{"service": "monitoring", "operation": "DescribeAlarms",
                           "delay_ms": 2500, "pass_through": true}]),
    );
    let (code, report) = run_json(&standin.url, &["--timeout", "0.5"]);
    assert_eq!(code, 3);
    assert_eq!(outcome(&report, "alarm-rds-cpu"), "ERROR");
    assert_eq!(
        message(&report, "alarm-rds-cpu"),
        "DescribeAlarms failed: timed out"
    );
    assert_eq!(outcome(&report, "rds-multi-az"), "PASS");
}

#[test]
fn expired_credentials_say_so() {
    let standin = StandIn::start("compliant");
    standin.faults(json!([{"service": "cloudformation", "operation": "DescribeStacks", "status": 403,
                           "code": "ExpiredToken", "message": "The security token included in the request is expired"}]));
    let (code, report) = run_json(&standin.url, &[]);
    assert_eq!(code, 3);
    assert_eq!(outcome(&report, "cdk-bootstrapped"), "ERROR");
    assert!(
        message(&report, "cdk-bootstrapped")
            .ends_with("the credentials have expired: refresh them and run again")
    );
}

#[test]
fn a_listing_cut_off_after_its_first_page_is_an_error_not_a_partial_pass() {
    let standin = StandIn::start("compliant");
    // The first page of log groups passes every check; the second page fails.
    standin.faults(
        json!([{"service": "logs", "operation": "DescribeLogGroups", "status": 500,
                           "code": "InternalFailure", "message": "page two lost", "after": 1}]),
    );
    let (code, report) = run_json(&standin.url, &[]);
    assert_eq!(code, 3);
    for id in [
        "lambda-log-groups",
        "log-retention-90-days",
        "audit-log-retention",
    ] {
        assert_eq!(outcome(&report, id), "ERROR", "{id}");
        assert!(
            message(&report, id).contains("page two lost"),
            "{}",
            message(&report, id)
        );
    }
}

#[test]
fn a_run_without_credentials_says_so_once() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let result = ran(barkcheck(dir.path(), &standin.url)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["run", "--phase", "pre-deploy", "--format", "json"])
        .output()
        .unwrap());
    assert_eq!(result.code, 3);
    let said: Vec<&str> = result
        .stderr
        .lines()
        .filter(|l| l.contains("AWS is unavailable"))
        .collect();
    assert_eq!(said.len(), 1, "{}", result.stderr);
    assert!(said[0].contains("no usable AWS credentials"), "{}", said[0]);
    let report = result.json();
    let automated: Vec<&serde_json::Value> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["automated"] == true)
        .collect();
    // AWS items are ERROR; the database, secret and command items have no AWS in them and
    // end as they may without it, but none of them passes here either.
    assert!(
        automated.iter().all(|i| i["outcome"] != "PASS"),
        "nothing passes"
    );
    assert_eq!(crate::harness::outcome(&report, "rds-multi-az"), "ERROR");
    assert_eq!(crate::harness::outcome(&report, "alarm-rds-cpu"), "ERROR");
    assert!(
        standin.requests().is_empty(),
        "no call was attempted without credentials"
    );
}
