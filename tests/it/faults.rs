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

#[test]
fn a_run_that_aws_throttles_slows_down_and_finishes() {
    let standin = StandIn::start("compliant");
    // The first twelve requests of the run, whichever they are, are throttled.
    standin.faults(
        json!([{"status": 400, "code": "Throttling", "message": "Rate exceeded",
                           "times": 12}]),
    );
    standin.reset_requests();
    let (_, report) = run_json(&standin.url, &["--max-concurrency", "4"]);
    let throttled: Vec<String> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["evidence"].to_string().contains("Throttling"))
        .map(|i| i["id"].to_string())
        .collect();
    assert!(
        throttled.is_empty(),
        "retried past throttling: {throttled:?}"
    );
    for id in ["rds-multi-az", "alarm-rds-cpu", "cdk-bootstrapped"] {
        assert_eq!(outcome(&report, id), "PASS", "{}", item(&report, id));
    }
    let requests = standin.requests();
    let mut distinct = requests.clone();
    distinct.sort();
    distinct.dedup();
    assert!(
        requests.len() >= 12 + distinct.len() - 2,
        "the throttled requests were sent again: {} requests, {} distinct",
        requests.len(),
        distinct.len()
    );
}

#[test]
fn max_concurrency_one_sends_one_request_of_a_service_at_a_time() {
    let standin = StandIn::start("compliant");
    // Every RDS answer takes 300 ms: one at a time, N requests take N x 300 ms at least;
    // sent together they would take about one delay per chain.
    standin.faults(json!([{"service": "rds", "delay_ms": 300, "pass_through": true}]));
    standin.reset_requests();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "run",
        "--phase",
        "pre-deploy",
        "--section",
        "database-setup",
        "--format",
        "json",
        "--max-concurrency",
        "1",
    ];
    let started = std::time::Instant::now();
    let ran = run(dir.path(), &standin.url, &args);
    let took = started.elapsed();
    assert_ne!(ran.code, 2, "{}", ran.stderr);
    let rds = standin
        .requests()
        .iter()
        .filter(|(s, _)| s == "rds")
        .count();
    assert!(rds >= 3, "{rds} RDS requests");
    // A lower bound only: a slow machine makes it longer, never shorter.
    assert!(
        took >= std::time::Duration::from_millis(300 * rds as u64),
        "{rds} RDS requests at 300 ms each, one at a time, took only {took:?}"
    );
    let refused = run(
        dir.path(),
        &standin.url,
        &["run", "--phase", "pre-deploy", "--max-concurrency", "0"],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
}

/// The AWS client trusts the system's CAs, which barkcheck reads once for the client and the
/// probes alike: an HTTPS endpoint whose CA is in `SSL_CERT_FILE` is reached, and with the
/// system's own CAs alone the same endpoint is an ERROR that names its certificate, and is never
/// sent the request.
#[test]
fn the_aws_client_reaches_an_endpoint_only_through_a_ca_the_system_trusts() {
    let web = crate::harness::WebStandIn::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("no-ca-directory")).unwrap();
    std::fs::write(
        dir.path().join("cdn.yaml"),
        "barkcheck: 1\nname: CDN\nphases:\n  - id: check\n    title: Check\n    sections:\n      \
         - id: cdn\n        title: CDN\n        items:\n          - id: cdn-https\n            \
         text: The CDN redirects to HTTPS\n            verify:\n              \
         cloudfront_distribution: app.example.test\n              expect:\n                \
         default_cache_behavior.viewer_protocol_policy: redirect-to-https\n",
    )
    .unwrap();
    let run_with = |trusted: bool| {
        let mut command = barkcheck(dir.path(), &web.base("https"));
        if trusted {
            command
                .env("SSL_CERT_FILE", web.ca_cert())
                .env("SSL_CERT_DIR", dir.path().join("no-ca-directory"));
        }
        command.args([
            "--checklist",
            "cdn.yaml",
            "run",
            "--phase",
            "check",
            "--format",
            "json",
        ]);
        let result = ran(command.output().unwrap());
        // 3: an item could not be verified.
        assert_eq!(result.code, 3, "{}", result.stderr);
        let report = result.json();
        assert_eq!(outcome(&report, "cdn-https"), "ERROR");
        message(&report, "cdn-https").to_string()
    };
    let listed = |log: &serde_json::Value| {
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r[0] == "https" && r[2].as_str().unwrap().contains("/distribution"))
            .count()
    };

    let untrusted = run_with(false);
    assert!(
        untrusted.to_lowercase().contains("certificate"),
        "an unknown CA must be named as the cause: {untrusted}"
    );
    assert_eq!(
        listed(&web.log()),
        0,
        "the request went out over an untrusted connection"
    );

    // Trusted, the request arrives; the stand-in knows no CloudFront and answers 404, which is
    // an ERROR of its own, not one of the certificate.
    let trusted = run_with(true);
    assert!(
        listed(&web.log()) >= 1,
        "the request never arrived: {trusted}"
    );
    assert!(
        !trusted.to_lowercase().contains("certificate"),
        "a CA in SSL_CERT_FILE must be trusted: {trusted}"
    );
}

/// An empty AWS_REGION names no region: with nothing else naming one the run says so (the SDK's
/// own chain would stop at the empty value and fail every request on it), and with
/// AWS_DEFAULT_REGION set that one is used.
#[test]
fn an_empty_aws_region_counts_as_no_region() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("alarms.yaml"),
        "barkcheck: 1\nname: Alarms\nphases:\n  - id: check\n    title: Check\n    sections:\n      \
         - id: alarms\n        title: Alarms\n        items:\n          - id: cpu-alarm\n            \
         text: The CPU alarm exists\n            verify:\n              cloudwatch_alarm: \
         barkbase-prod-rds-cpu\n              expect:\n                \
         metric_name: CPUUtilization\n",
    )
    .unwrap();
    let run_with = |default_region: Option<&str>| {
        let mut command = barkcheck(dir.path(), &standin.url);
        command.env("AWS_REGION", "");
        if let Some(region) = default_region {
            command.env("AWS_DEFAULT_REGION", region);
        }
        command.args([
            "--checklist",
            "alarms.yaml",
            "run",
            "--phase",
            "check",
            "--format",
            "json",
        ]);
        ran(command.output().unwrap())
    };

    let nowhere = run_with(None);
    assert_eq!(nowhere.code, 3, "{}", nowhere.stderr);
    let report = nowhere.json();
    assert_eq!(outcome(&report, "cpu-alarm"), "ERROR");
    assert!(
        message(&report, "cpu-alarm").contains("no AWS region"),
        "{}",
        message(&report, "cpu-alarm")
    );

    let from_default = run_with(Some("us-east-1"));
    assert_eq!(
        outcome(&from_default.json(), "cpu-alarm"),
        "PASS",
        "{}",
        from_default.stderr
    );
}
