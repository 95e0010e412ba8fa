//! `barkcheck iam-policy`: the policy holds exactly the IAM actions of the calls the checks
//! make, as the stand-in's request log shows them for a run of each phase.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::harness::{StandIn, run};

/// The IAM action of an AWS request as the stand-in logs it, as AWS's service authorization
/// reference names it: mostly the service's IAM prefix and the operation's name, except where
/// AWS names the permission otherwise. None for a call that needs no permission.
fn action(service: &str, operation: &str) -> Option<String> {
    let named = match (service, operation) {
        ("sts", "GetCallerIdentity") => return None,
        // API Gateway (both versions) allows reads by HTTP method.
        ("apigateway", _) => "apigateway:GET",
        ("budgets", _) => "budgets:ViewBudget",
        ("s3", "ListBuckets") => "s3:ListAllMyBuckets",
        ("s3", "GetBucketEncryption") => "s3:GetEncryptionConfiguration",
        ("s3", "GetPublicAccessBlock") => "s3:GetBucketPublicAccessBlock",
        ("s3", "HeadObject") => "s3:GetObject",
        ("monitoring", operation) => return Some(format!("cloudwatch:{operation}")),
        (service, operation) => return Some(format!("{service}:{operation}")),
    };
    Some(named.to_string())
}

fn policy_actions(policy: &Json) -> Vec<String> {
    assert_eq!(policy["Version"], "2012-10-17");
    let statements = policy["Statement"].as_array().expect("statements");
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["Effect"], "Allow");
    assert_eq!(statements[0]["Resource"], "*");
    statements[0]["Action"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_policy_of_each_phase_is_exactly_the_actions_its_run_calls() {
    // compliant: every resource is there, so every call a check can make is made.
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let mut everything = BTreeSet::new();
    for phase in ["pre-deploy", "deploy", "post-deploy"] {
        standin.reset_requests();
        // The probe, database and local items cannot be decided here (ERROR, exit 3); the AWS
        // calls are what this test reads.
        let ran = run(dir.path(), &standin.url, &["run", "--phase", phase]);
        assert!([0, 1, 3].contains(&ran.code), "{phase}: {}", ran.stderr);
        let called: BTreeSet<String> = standin
            .requests()
            .iter()
            .filter_map(|(service, operation)| action(service, operation))
            .collect();
        assert!(!called.is_empty(), "{phase} made no call");

        let printed = run(dir.path(), &standin.url, &["iam-policy", "--phase", phase]);
        assert_eq!(printed.code, 0, "{}", printed.stderr);
        let actions = policy_actions(&printed.json());
        let mut sorted = actions.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(actions, sorted, "sorted, without duplicates");
        assert_eq!(
            actions.iter().cloned().collect::<BTreeSet<_>>(),
            called,
            "{phase}: the policy and the calls differ"
        );
        everything.extend(called);
    }

    let all = run(dir.path(), &standin.url, &["iam-policy"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let all: BTreeSet<String> = policy_actions(&all.json()).into_iter().collect();
    assert_eq!(all, everything, "without --phase: every phase's actions");
    assert!(
        all.iter()
            .all(|a| ["Describe", "List", "Get", "View"].iter().any(|verb| a
                .split_once(':')
                .unwrap()
                .1
                .starts_with(verb))
                || a == "apigateway:GET"),
        "read-only: {all:?}"
    );
}

#[test]
fn a_selection_narrows_the_policy_and_a_phase_without_aws_checks_needs_none() {
    let dir = tempfile::tempdir().unwrap();
    let bc = |args: &[&str]| run(dir.path(), "http://127.0.0.1:9", args);
    // The app record's check is tagged cloudfront too, and reads Route 53 and API Gateway.
    let cloudfront = bc(&[
        "iam-policy",
        "--phase",
        "pre-deploy",
        "--tag",
        "cloudfront",
        "--skip",
        "app-barkbase-com-frontend",
    ]);
    assert_eq!(cloudfront.code, 0, "{}", cloudfront.stderr);
    assert_eq!(
        policy_actions(&cloudfront.json()),
        ["cloudfront:ListDistributions"]
    );
    let with_record = bc(&["iam-policy", "--phase", "pre-deploy", "--tag", "cloudfront"]);
    assert_eq!(
        policy_actions(&with_record.json()),
        [
            "apigateway:GET",
            "cloudfront:ListDistributions",
            "route53:ListHostedZones",
            "route53:ListResourceRecordSets"
        ]
    );

    let rollback = bc(&["iam-policy", "--phase", "rollback"]);
    assert_eq!(rollback.code, 2);
    assert!(
        rollback.stderr.contains("need no IAM policy"),
        "{}",
        rollback.stderr
    );
    assert_eq!(rollback.stdout, "");

    let typo = bc(&["iam-policy", "--phase", "pre-deplo"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("did you mean `pre-deploy`?"),
        "{}",
        typo.stderr
    );
}
