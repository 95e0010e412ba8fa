//! The account, secrets, network and alerting families over the wire: SNS, Secrets Manager,
//! CloudTrail, AWS Config, Budgets, IAM, the VPC kinds, the RDS extras (subnet and parameter
//! groups, proxies) and saved Logs Insights queries. Each kind gets a PASS (the `compliant`
//! profile), a FAIL with evidence (the `gaps` profile) and an ERROR (a fault rule on its call).
//!
//! What moto cannot hold is shown through the stand-in, and each test that does so says so: an
//! unconfirmed e-mail subscription and a root user with MFA are moto answers rewritten by a
//! fault rule's `rewrite`; saved Logs Insights queries are answered by the stand-in itself.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::harness::{StandIn, comparison, item, outcome, run};

/// One item per new kind, each written as a production checklist would.
const KINDS: &str = r#"
barkcheck: 1
name: New kinds
variables:
  db: barkbase-prod
phases:
  - id: pre-deploy
    title: Before
    sections:
      - id: kinds
        title: Every new kind
        items:
          - id: sns-topic
            text: The critical topic pages the on-call engineer
            verify:
              sns_topic: barkbase-prod-critical
              expect:
                subscriptions: {any: {protocol: https, pending: false}}
                subscriptions_pending: 0
          - id: sns-subscription
            text: The on-call phone gets critical alerts by SMS
            verify:
              sns_subscription: {protocol: sms, topic_name: barkbase-prod-critical}
              expect:
                pending: false
                endpoint: "…0100"
          - id: secret
            text: The JWT secret rotates monthly
            verify:
              secret: barkbase/prod/jwt-secret
              expect:
                rotation_enabled: true
                rotation_days: "<= 30"
          - id: cloudtrail-trail
            text: A multi-region trail logs with validated files
            verify:
              cloudtrail_trail: barkbase-prod-trail
              expect:
                is_logging: true
                is_multi_region_trail: true
                log_file_validation_enabled: true
          - id: config-recorder
            text: AWS Config records everything
            verify:
              config_recorder: default
              expect:
                recording: true
                all_supported: true
          - id: budget
            text: The monthly budget alerts at 80 percent
            verify:
              budget: barkbase-prod-monthly
              expect:
                limit_amount: 500
                notifications: {any: {notification_type: ACTUAL, threshold: 80}}
          - id: iam-account
            text: The root user has no access keys
            verify:
              iam_account: {account_id: {present: true}}
              expect:
                account_id: "123456789012"
                account_access_keys_present: false
          - id: subnet
            text: The database subnets are private
            verify:
              subnet: {name: {starts_with: barkbase-prod-private-}}
              match: all
              expect:
                private: true
                default_route_target: {starts_with: nat-}
          - id: security-group
            text: The database admits only the functions
            verify:
              security_group: {db_instances: {contains: "${db}"}}
              match: all
              expect:
                ingress: {all: {source_group_name: barkbase-prod-lambda, from_port: 5432}}
          - id: nat-gateway
            text: A NAT gateway serves the private subnets
            verify:
              nat_gateway: {vpc_name: barkbase-prod}
              expect:
                state: available
                in_public_subnet: true
                routed_subnets: {count: 2}
          - id: vpc-endpoint
            text: Secrets Manager is reached through the VPC
            verify:
              vpc_endpoint: {vpc_name: barkbase-prod, service: secretsmanager}
              expect:
                state: available
                vpc_endpoint_type: Interface
          - id: flow-log
            text: The VPC's traffic is logged
            verify:
              flow_log: {vpc_name: barkbase-prod}
              expect:
                flow_log_status: ACTIVE
                traffic_type: ALL
          - id: db-subnet-group
            text: The database sits in private subnets
            verify:
              db_subnet_group: {db_instances: {contains: "${db}"}}
              expect:
                subnets: {all: {private: true}}
          - id: db-parameter-group
            text: The database refuses plain connections
            verify:
              db_parameter_group: {db_instances: {contains: "${db}"}}
              match: all
              expect:
                parameters.rds.force_ssl: "1"
          - id: rds-proxy
            text: The proxy requires TLS
            verify:
              rds_proxy: barkbase-prod-proxy
              expect:
                require_tls: true
                engine_family: POSTGRESQL
                auth: {all: {auth_scheme: SECRETS}}
          - id: logs-query-definition
            text: A saved query reads the audit log
            verify:
              logs_query_definition: {log_group_names: {contains: /barkbase/prod/audit}}
              expect:
                query_string: {matches: LOGIN_FAILED}
"#;

const KIND_ITEMS: &[&str] = &[
    "sns-topic",
    "sns-subscription",
    "secret",
    "cloudtrail-trail",
    "config-recorder",
    "budget",
    "iam-account",
    "subnet",
    "security-group",
    "nat-gateway",
    "vpc-endpoint",
    "flow-log",
    "db-subnet-group",
    "db-parameter-group",
    "rds-proxy",
    "logs-query-definition",
];

/// Runs the KINDS checklist's phase against `url`; the exit code and the JSON report.
fn run_kinds(url: &str) -> (i32, Json) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kinds.yaml"), KINDS).unwrap();
    let args = [
        "--checklist",
        "kinds.yaml",
        "run",
        "--phase",
        "pre-deploy",
        "--format",
        "json",
    ];
    let result = run(dir.path(), url, &args);
    (result.code, result.json())
}

fn run_bundled(url: &str) -> Json {
    let dir = tempfile::tempdir().unwrap();
    let args = ["run", "--phase", "pre-deploy", "--format", "json"];
    run(dir.path(), url, &args).json()
}

fn message(report: &Json, id: &str) -> String {
    item(report, id)["evidence"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{id} has no message: {}", item(report, id)))
        .to_string()
}

#[test]
fn every_new_kind_passes_against_the_compliant_profile() {
    let standin = StandIn::start("compliant");
    let (code, report) = run_kinds(&standin.url);
    for id in KIND_ITEMS {
        assert_eq!(outcome(&report, id), "PASS", "{}", item(&report, id));
    }
    assert_eq!(code, 0);
}

#[test]
fn every_new_kind_fails_with_evidence_against_the_gaps_profile() {
    let standin = StandIn::start("gaps");
    let (code, report) = run_kinds(&standin.url);
    assert_eq!(code, 1);
    for id in KIND_ITEMS {
        // The root user has no access keys in either profile.
        let expected = if *id == "iam-account" { "PASS" } else { "FAIL" };
        assert_eq!(outcome(&report, id), expected, "{}", item(&report, id));
    }

    // SNS: no HTTPS subscriber on the critical topic, no SMS subscription at all. The evidence
    // shows the subscriptions that fall short, with the fields the expectation names.
    let subscriptions = comparison(&report, "sns-topic", "subscriptions");
    let observed = subscriptions["observed"].as_str().unwrap();
    assert!(observed.contains("protocol: email"), "{observed}");
    assert!(!observed.contains("https"), "{observed}");
    assert!(
        message(&report, "sns-subscription")
            .starts_with("no sns_subscription matches protocol = sms and topic_name"),
    );

    // Secrets Manager: the JWT secret does not rotate.
    assert_eq!(
        comparison(&report, "secret", "rotation_enabled")["observed"],
        "false"
    );
    // CloudTrail and Config: there, but stopped.
    assert_eq!(
        comparison(&report, "cloudtrail-trail", "is_logging")["observed"],
        "false"
    );
    assert_eq!(
        comparison(&report, "config-recorder", "recording")["observed"],
        "false"
    );
    // Budgets: a budget without alerts.
    assert_eq!(
        comparison(&report, "budget", "notifications")["observed"],
        "no element"
    );

    // The network: one subnet of the group is public, the database admits the internet, no NAT
    // gateway (so the private subnets route nowhere), no endpoint, no flow log.
    let db_subnets = comparison(&report, "db-subnet-group", "subnets")["observed"]
        .as_str()
        .unwrap()
        .to_string();
    // The evidence names the subnet that falls short, with the field it fails on.
    assert!(
        db_subnets.contains("subnet-") && db_subnets.contains("private: false"),
        "{db_subnets}"
    );
    // The rule that falls short is shown with the fields the expectation names: it admits no
    // source group (it is the 0.0.0.0/0 rule the gap added).
    let ingress = comparison(&report, "security-group", "ingress");
    assert!(
        ingress["observed"]
            .as_str()
            .unwrap()
            .contains("source_group_name: (absent)"),
        "{ingress}"
    );
    assert_eq!(
        item(&report, "subnet")["evidence"]["resource"],
        "2 of 2 selected subnet resources fall short"
    );
    for (id, kind) in [
        ("nat-gateway", "nat_gateway"),
        ("vpc-endpoint", "vpc_endpoint"),
        ("flow-log", "flow_log"),
    ] {
        assert!(
            message(&report, id).starts_with(&format!("no {kind} matches ")),
            "{}",
            item(&report, id)
        );
    }

    // RDS extras and saved queries.
    assert_eq!(
        comparison(&report, "db-parameter-group", "parameters.rds.force_ssl")["observed"],
        "0"
    );
    assert_eq!(
        comparison(&report, "rds-proxy", "require_tls")["observed"],
        "false"
    );
    assert!(message(&report, "logs-query-definition").starts_with(
        "no logs_query_definition matches log_group_names contains /barkbase/prod/audit"
    ));
}

#[test]
fn a_stopped_trail_and_a_root_user_without_mfa_fail_the_bundled_checklist() {
    let standin = StandIn::start("gaps");
    let report = run_bundled(&standin.url);
    assert_eq!(
        comparison(&report, "cloudtrail-enabled-audit-logging", "is_logging")["observed"],
        "false"
    );
    // moto always reports AccountMFAEnabled 0: this FAIL is real, its PASS is tested below.
    assert_eq!(
        comparison(
            &report,
            "multi-factor-authentication-enabled",
            "account_mfa_enabled"
        )["observed"],
        "false"
    );
    let gaps = [
        ("aws-config-enabled-compliance", "recording"),
        ("budget-alerts-configured", "notifications"),
        ("rotation-schedule-configured", "rotation_enabled"),
        ("ssl-tls-enforcement-enabled", "parameters.rds.force_ssl"),
        ("private-subnets-rds", "subnets"),
        ("security-group-restricts-access-lambda", "ingress"),
        ("security-groups-properly-configured", "ingress"),
        ("pagerduty-integration-configured", "subscriptions"),
        (
            "master-password-stored-secrets-manager",
            "master_user_secret_arn",
        ),
    ];
    for (id, field) in gaps {
        assert_eq!(outcome(&report, id), "FAIL", "{}", item(&report, id));
        comparison(&report, id, field);
    }
    for id in [
        "password-rotation-configured",
        "sms-subscriptions-configured",
        "vpc-endpoints-enabled-production",
        "nat-gateway-lambda-internet-access",
        "vpc-flow-logs-enabled",
        "cloudwatch-insights-queries-created",
    ] {
        assert_eq!(outcome(&report, id), "FAIL", "{}", item(&report, id));
        assert!(
            message(&report, id).starts_with("no "),
            "{}",
            item(&report, id)
        );
    }
    // The optional SNS items fail without blocking; the topics and the JWT secret are there.
    assert_eq!(
        item(&report, "sms-subscriptions-configured")["blocking"],
        false
    );
    for id in [
        "critical-alerts-topic-created",
        "warning-alerts-topic-created",
        "email-subscriptions-confirmed",
        "stored-aws-secrets-manager",
    ] {
        assert_eq!(outcome(&report, id), "PASS", "{}", item(&report, id));
    }
}

#[test]
fn the_environment_file_switches_decide_whether_vpc_endpoints_are_checked() {
    let standin = StandIn::start("gaps");
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--var",
        "enable_vpc_endpoints=false",
        "run",
        "--phase",
        "pre-deploy",
        "--format",
        "json",
    ];
    let report = run(dir.path(), &standin.url, &args).json();
    assert_eq!(
        outcome(&report, "vpc-endpoints-enabled-production"),
        "SKIPPED"
    );
    let with = run_bundled(&standin.url);
    assert_eq!(outcome(&with, "vpc-endpoints-enabled-production"), "FAIL");
}

/// moto confirms e-mail subscriptions at once. The stand-in shows the unconfirmed state by
/// rewriting moto's real ListSubscriptions answer: the warning topic's subscription ARN becomes
/// `PendingConfirmation`, exactly what SNS answers for an address that has not clicked the link.
#[test]
fn an_unconfirmed_email_subscription_fails_with_the_address_it_waits_for() {
    let standin = StandIn::start("compliant");
    let before = run_bundled(&standin.url);
    assert_eq!(outcome(&before, "email-subscriptions-confirmed"), "PASS");

    standin.faults(json!([{
        "service": "sns", "operation": "ListSubscriptions",
        "rewrite": [{
            "pattern": "<SubscriptionArn>arn:aws:sns:[^<]*:barkbase-prod-warning:[^<]*</SubscriptionArn>",
            "replacement": "<SubscriptionArn>PendingConfirmation</SubscriptionArn>"
        }]
    }]));
    let report = run_bundled(&standin.url);
    let evidence = &item(&report, "email-subscriptions-confirmed")["evidence"];
    assert_eq!(outcome(&report, "email-subscriptions-confirmed"), "FAIL");
    assert_eq!(
        evidence["resource"],
        "1 of 2 selected sns_subscription resources fall short"
    );
    let pending = comparison(&report, "email-subscriptions-confirmed", "pending");
    assert_eq!(
        pending["field"],
        "sns_subscription email ops@barkbase.com on barkbase-prod-warning: pending"
    );
    assert_eq!(pending["observed"], "true");
    assert_eq!(
        outcome(&report, "critical-alerts-topic-created"),
        "PASS",
        "the critical topic's subscriptions are untouched"
    );
}

/// moto always reports AccountMFAEnabled 0, so the compliant profile cannot pass the MFA item.
/// The stand-in rewrites GetAccountSummary's real answer to 1 to show the PASS over the wire.
#[test]
fn a_root_user_with_mfa_passes_the_mfa_item() {
    let standin = StandIn::start("compliant");
    let before = run_bundled(&standin.url);
    assert_eq!(
        outcome(&before, "multi-factor-authentication-enabled"),
        "FAIL"
    );

    standin.faults(json!([{
        "service": "iam", "operation": "GetAccountSummary",
        "rewrite": [{
            "pattern": "<key>AccountMFAEnabled</key>(\\s*)<value>0</value>",
            "replacement": "<key>AccountMFAEnabled</key>\\1<value>1</value>"
        }]
    }]));
    let report = run_bundled(&standin.url);
    assert_eq!(
        outcome(&report, "multi-factor-authentication-enabled"),
        "PASS",
        "{}",
        item(&report, "multi-factor-authentication-enabled")
    );
}

#[test]
fn a_failing_call_makes_its_kinds_error_and_names_the_iam_action() {
    let standin = StandIn::start("compliant");
    let denied = |service: &str, operation: &str| {
        json!({"service": service, "operation": operation, "status": 403,
               "code": "AccessDenied", "message": "not authorized"})
    };
    // Each kind's own call fails (the signing names: sns, secretsmanager, cloudtrail, config,
    // budgets, iam, ec2, rds, logs); the kinds that read another's listing fail with it.
    standin.faults(json!([
        denied("sns", "ListTopics"),
        denied("secretsmanager", "ListSecrets"),
        denied("cloudtrail", "GetTrailStatus"),
        denied("config", "DescribeConfigurationRecorderStatus"),
        denied("budgets", "DescribeNotificationsForBudget"),
        denied("iam", "GetAccountSummary"),
        denied("ec2", "DescribeRouteTables"),
        denied("ec2", "DescribeSecurityGroups"),
        denied("ec2", "DescribeVpcEndpoints"),
        denied("ec2", "DescribeFlowLogs"),
        denied("rds", "DescribeDBParameters"),
        denied("rds", "DescribeDBProxies"),
        denied("logs", "DescribeQueryDefinitions"),
    ]));
    let (code, report) = run_kinds(&standin.url);
    assert_eq!(code, 3, "could not verify");
    let expected = [
        ("sns-topic", "ListTopics", "sns:ListTopics"),
        ("secret", "ListSecrets", "secretsmanager:ListSecrets"),
        (
            "cloudtrail-trail",
            "GetTrailStatus",
            "cloudtrail:GetTrailStatus",
        ),
        (
            "config-recorder",
            "DescribeConfigurationRecorderStatus",
            "config:DescribeConfigurationRecorderStatus",
        ),
        (
            "budget",
            "DescribeNotificationsForBudget",
            "budgets:ViewBudget",
        ),
        ("iam-account", "GetAccountSummary", "iam:GetAccountSummary"),
        ("subnet", "DescribeRouteTables", "ec2:DescribeRouteTables"),
        (
            "nat-gateway",
            "DescribeRouteTables",
            "ec2:DescribeRouteTables",
        ),
        (
            "db-subnet-group",
            "DescribeRouteTables",
            "ec2:DescribeRouteTables",
        ),
        (
            "security-group",
            "DescribeSecurityGroups",
            "ec2:DescribeSecurityGroups",
        ),
        (
            "vpc-endpoint",
            "DescribeVpcEndpoints",
            "ec2:DescribeVpcEndpoints",
        ),
        ("flow-log", "DescribeFlowLogs", "ec2:DescribeFlowLogs"),
        (
            "db-parameter-group",
            "DescribeDBParameters",
            "rds:DescribeDBParameters",
        ),
        ("rds-proxy", "DescribeDBProxies", "rds:DescribeDBProxies"),
        (
            "logs-query-definition",
            "DescribeQueryDefinitions",
            "logs:DescribeQueryDefinitions",
        ),
    ];
    for (id, call, action) in expected {
        assert_eq!(outcome(&report, id), "ERROR", "{}", item(&report, id));
        assert_eq!(
            message(&report, id),
            format!(
                "{call} failed: AccessDenied: not authorized (HTTP 403) \
                 (the credentials need IAM action {action})"
            )
        );
    }
    assert_eq!(
        outcome(&report, "sns-subscription"),
        "PASS",
        "ListSubscriptions still answers"
    );

    // The listings the first run's kinds depend on, failing with a server error this time.
    let broken = |service: &str, operation: &str| {
        json!({"service": service, "operation": operation, "status": 500,
               "code": "InternalFailure", "message": "boom"})
    };
    standin.faults(json!([
        broken("sns", "ListSubscriptions"),
        broken("sts", "GetCallerIdentity"),
        broken("cloudtrail", "DescribeTrails"),
        broken("config", "DescribeConfigurationRecorders"),
        broken("ec2", "DescribeVpcs"),
        broken("rds", "DescribeDBSubnetGroups"),
    ]));
    let (code, report) = run_kinds(&standin.url);
    assert_eq!(code, 3);
    for (id, call) in [
        ("sns-topic", "ListSubscriptions"),
        ("sns-subscription", "ListSubscriptions"),
        ("budget", "GetCallerIdentity"),
        ("iam-account", "GetCallerIdentity"),
        ("cloudtrail-trail", "DescribeTrails"),
        ("config-recorder", "DescribeConfigurationRecorders"),
        ("vpc-endpoint", "DescribeVpcs"),
        ("flow-log", "DescribeVpcs"),
        ("db-subnet-group", "DescribeVpcs"),
    ] {
        assert_eq!(
            message(&report, id),
            format!("{call} failed: InternalFailure: boom (HTTP 500)"),
            "{id}"
        );
    }
    assert_eq!(
        outcome(&report, "secret"),
        "PASS",
        "Secrets Manager answers"
    );
    assert_eq!(outcome(&report, "rds-proxy"), "PASS");

    // The subnet groups' own call: DescribeVpcs is fine again.
    standin.faults(json!([broken("rds", "DescribeDBSubnetGroups")]));
    let (_, report) = run_kinds(&standin.url);
    assert_eq!(
        message(&report, "db-subnet-group"),
        "DescribeDBSubnetGroups failed: InternalFailure: boom (HTTP 500)"
    );
    assert_eq!(outcome(&report, "subnet"), "PASS");
}

#[test]
fn the_new_listings_are_requested_once_per_run() {
    let standin = StandIn::start("compliant");
    standin.reset_requests();
    let (code, _) = run_kinds(&standin.url);
    assert_eq!(code, 0);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (service, operation) in standin.requests() {
        *counts.entry(format!("{service}:{operation}")).or_default() += 1;
    }
    // Three items read DescribeDBInstances (security and subnet groups, parameter groups), four
    // read the VPCs, three the subnets: each listing is still asked for once. Parameters are
    // read for the one group barkbase-prod uses, not for the Aurora members' groups.
    let expected: BTreeMap<String, usize> = [
        ("budgets:DescribeBudgets", 1),
        ("budgets:DescribeNotificationsForBudget", 1),
        ("cloudtrail:DescribeTrails", 1),
        ("cloudtrail:GetTrailStatus", 1),
        ("config:DescribeConfigurationRecorderStatus", 1),
        ("config:DescribeConfigurationRecorders", 1),
        ("ec2:DescribeFlowLogs", 1),
        ("ec2:DescribeNatGateways", 1),
        ("ec2:DescribeRouteTables", 1),
        ("ec2:DescribeSecurityGroups", 1),
        ("ec2:DescribeSubnets", 1),
        ("ec2:DescribeVpcEndpoints", 1),
        ("ec2:DescribeVpcs", 1),
        ("iam:GetAccountSummary", 1),
        ("logs:DescribeQueryDefinitions", 1),
        ("rds:DescribeDBClusters", 1),
        ("rds:DescribeDBInstances", 1),
        ("rds:DescribeDBParameters", 1),
        ("rds:DescribeDBProxies", 1),
        ("rds:DescribeDBSubnetGroups", 1),
        ("secretsmanager:ListSecrets", 1),
        ("sns:ListSubscriptions", 1),
        ("sns:ListTopics", 1),
        ("sts:GetCallerIdentity", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counts, expected);
}
