//! The kinds in front of the application, over the wire against the stand-in: WAF web ACLs, ACM
//! certificates, Route 53 zones and records, CloudFront invalidations, S3 buckets and the data
//! stores across RDS and S3. Each kind passes on the `compliant` profile, fails with evidence
//! on `gaps` (standin/README.md lists the gaps), and errors when its calls fail.

use serde_json::{Value as Json, json};

use crate::harness::{StandIn, comparison, item, outcome, run};

/// A checklist with one or more items per kind; the ACL is also selected by name, because in
/// the `gaps` profile no distribution uses it.
const EDGE: &str = r#"
barkcheck: 1
name: Edge
variables:
  domain: barkbase.com
  app: app.barkbase.com
phases:
  - id: check
    title: The edge
    sections:
      - id: edge
        title: Edge
        items:
          - id: waf-of-app
            text: The ACL in front of app rate-limits
            verify:
              waf_web_acl: {distribution_aliases: {contains: "${app}"}}
              expect:
                default_action: Allow
                rules: {any: {statement: rate_based, rate_limit: 2000, count_only: false}}
          - id: waf-sqli
            text: The ACL blocks SQL injection
            verify:
              waf_web_acl: barkbase-prod-cloudfront
              expect:
                rules: {any: {managed_rule_group: AWSManagedRulesSQLiRuleSet, count_only: false}}
          - id: waf-xss
            text: The ACL blocks cross-site scripting
            verify:
              waf_web_acl: barkbase-prod-cloudfront
              expect:
                rules: {any: {managed_rule_group: AWSManagedRulesCommonRuleSet, overridden_rules: {not: {any: {starts_with: CrossSiteScripting}}}}}
          - id: waf-geo-and-ip
            text: The ACL has a country allowlist and an IP blocklist
            verify:
              waf_web_acl: barkbase-prod-cloudfront
              expect:
                rules: {any: {country_codes: {contains: US}, statements: {contains: not}, action: Block}}
          - id: certificate
            text: The certificate covers the domain and its subdomains and is served
            verify:
              acm_certificate: "${domain}"
              expect:
                status: ISSUED
                subject_alternative_names: {contains: "*.${domain}"}
                days_until_expiry: "> 300"
                distribution_aliases: {contains: "${app}"}
          - id: zone
            text: The domain's public zone
            verify:
              route53_hosted_zone: "${domain}"
              expect:
                private_zone: false
                record_count: ">= 5"
          - id: records
            text: app, api and ws point at this account
            verify:
              route53_record: {zone_name: "${domain}", type: A, name: {one_of: ["${app}", "api.${domain}", "ws.${domain}"]}}
              match: all
              selected: 3
              expect:
                target.in_account: true
          - id: app-record
            text: app points at its distribution
            verify:
              route53_record: {zone_name: "${domain}", name: "${app}"}
              expect:
                target.distribution_aliases: {contains: "${app}"}
                alias_target.dns_name: {matches: "\\.cloudfront\\.net$"}
          - id: ws-record
            text: ws points at the WebSocket API's custom domain
            verify:
              route53_record: {zone_name: "${domain}", name: "ws.${domain}"}
              expect:
                target.api_domain: "ws.${domain}"
                api_domain.protocols: {contains: WEBSOCKET}
          - id: invalidated
            text: The frontend's cache was invalidated
            verify:
              cloudfront_invalidations: "${app}"
              expect:
                invalidation_count: ">= 1"
                latest.status: Completed
          - id: frontend-bucket
            text: The frontend bucket is encrypted, private, versioned and has index.html
            verify:
              s3_bucket: barkbase-frontend-prod
              expect:
                encryption.algorithm: AES256
                public_access_blocked: true
                versioning: Enabled
                index_html.size: "> 0"
                index_html.content_type: text/html
          - id: uploads-bucket
            text: The uploads bucket is encrypted with KMS
            verify:
              s3_bucket: barkbase-uploads-prod
              expect:
                encryption.algorithm: "aws:kms"
                encryption.kms_key_id: {starts_with: "arn:aws:kms:"}
          - id: stores-encrypted
            text: Encryption at rest (RDS, S3)
            verify:
              data_store: {name: {one_of: [barkbase-prod, barkbase-frontend-prod, barkbase-uploads-prod]}}
              match: all
              selected: 3
              expect:
                encrypted: true
"#;

fn run_edge(standin: &StandIn) -> (i32, Json, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("edge.yaml"), EDGE).unwrap();
    let args = ["--checklist", "edge.yaml", "run", "--phase", "check"];
    let table = run(dir.path(), &standin.url, &args);
    let json = run(
        dir.path(),
        &standin.url,
        &[&args[..], &["--format", "json"]].concat(),
    );
    (json.code, json.json(), table.stdout)
}

fn message<'a>(report: &'a Json, id: &str) -> &'a str {
    item(report, id)["evidence"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{id} has no message: {}", item(report, id)))
}

#[test]
fn edge_kinds_pass_on_the_compliant_profile() {
    let standin = StandIn::start("compliant");
    let (code, report, _) = run_edge(&standin);
    for record in report["items"].as_array().unwrap() {
        assert_eq!(record["outcome"], "PASS", "{record}");
    }
    assert_eq!(code, 0);
    // A plain-text key of cloudfront_invalidations is one of the aliases; evidence names the id.
    let invalidated = item(&report, "invalidated")["evidence"]["resource"]
        .as_str()
        .unwrap();
    let id = invalidated
        .strip_prefix("cloudfront_invalidations ")
        .unwrap();
    assert!(
        id.len() > 5 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{invalidated}"
    );
    assert_eq!(
        item(&report, "records")["evidence"]["resource"],
        "3 route53_record resources"
    );
    assert_eq!(
        comparison(&report, "records", "selected")["observed"],
        "3 route53_record"
    );
}

#[test]
fn edge_kinds_fail_on_the_gaps_profile_with_evidence() {
    let standin = StandIn::start("gaps");
    let (code, report, table) = run_edge(&standin);
    assert_eq!(code, 1);

    // No distribution uses the ACL any more: that is a FAIL that says what was looked for.
    assert_eq!(
        message(&report, "waf-of-app"),
        "no waf_web_acl matches distribution_aliases contains app.barkbase.com (1 listed)"
    );
    // Selected by name, the ACL shows its rules: the SQLi group is gone, XSS only counts.
    let sqli = comparison(&report, "waf-sqli", "rules");
    assert_eq!(
        sqli["expected"],
        "some element with managed_rule_group = AWSManagedRulesSQLiRuleSet and count_only = false"
    );
    let rules = sqli["observed"].as_str().unwrap();
    assert!(!rules.contains("SQLi"), "{sqli}");
    assert!(
        rules.contains(
            "{name: AWSManagedRulesCommonRuleSet, \
             managed_rule_group: AWSManagedRulesCommonRuleSet, count_only: false}"
        ),
        "{sqli}"
    );
    let xss = comparison(&report, "waf-xss", "rules")["observed"]
        .as_str()
        .unwrap();
    assert!(xss.contains("CrossSiteScripting_BODY"), "{xss}");
    assert_eq!(outcome(&report, "waf-geo-and-ip"), "PASS");

    let names = comparison(&report, "certificate", "subject_alternative_names");
    assert_eq!(names["expected"], "contains *.barkbase.com");
    assert!(
        !names["observed"].as_str().unwrap().contains('*'),
        "{names}"
    );
    // Without the ws record the zone holds SOA, NS, app and api.
    assert_eq!(comparison(&report, "zone", "record_count")["observed"], "4");
    let records = comparison(&report, "records", "selected");
    assert_eq!(
        (records["expected"].as_str(), records["observed"].as_str()),
        (Some("= 3"), Some("2 route53_record"))
    );
    assert!(
        message(&report, "ws-record").starts_with("no route53_record matches zone_name = "),
        "{}",
        message(&report, "ws-record")
    );
    assert_eq!(outcome(&report, "app-record"), "PASS");

    assert_eq!(
        comparison(&report, "invalidated", "invalidation_count")["observed"],
        "0"
    );
    assert_eq!(
        comparison(&report, "invalidated", "latest.status")["observed"],
        "(absent)"
    );
    assert_eq!(
        comparison(&report, "frontend-bucket", "index_html.size")["observed"],
        "(absent)"
    );
    assert_eq!(
        comparison(&report, "uploads-bucket", "encryption.algorithm")["observed"],
        "(absent)"
    );
    let stores = &item(&report, "stores-encrypted")["evidence"];
    assert_eq!(
        stores["resource"],
        "1 of 3 selected data_store resources fall short"
    );
    let store = comparison(&report, "stores-encrypted", "encrypted");
    assert_eq!(
        store["field"],
        "data_store barkbase-uploads-prod: encrypted"
    );
    assert_eq!(store["observed"], "false");

    assert!(
        table.contains("selected: expected = 3, observed 2 route53_record"),
        "{table}"
    );
}

#[test]
fn edge_kinds_error_when_their_calls_fail_and_name_the_iam_action() {
    let standin = StandIn::start("compliant");
    let denied = |service: &str, operation: &str| {
        json!({"service": service, "operation": operation, "status": 403,
               "code": "AccessDenied", "message": "not authorized"})
    };
    standin.faults(json!([
        denied("wafv2", "GetWebACL"),
        denied("acm", "DescribeCertificate"),
        denied("route53", "ListResourceRecordSets"),
        denied("cloudfront", "ListInvalidations"),
        denied("s3", "GetBucketEncryption"),
    ]));
    let (code, report, _) = run_edge(&standin);
    assert_eq!(code, 3, "could not verify");
    let cases = [
        ("waf-sqli", "GetWebACL", "wafv2:GetWebACL"),
        ("waf-of-app", "GetWebACL", "wafv2:GetWebACL"),
        (
            "certificate",
            "DescribeCertificate",
            "acm:DescribeCertificate",
        ),
        (
            "records",
            "ListResourceRecordSets",
            "route53:ListResourceRecordSets",
        ),
        (
            "invalidated",
            "ListInvalidations",
            "cloudfront:ListInvalidations",
        ),
        (
            "frontend-bucket",
            "GetBucketEncryption",
            "s3:GetEncryptionConfiguration",
        ),
        (
            "stores-encrypted",
            "GetBucketEncryption",
            "s3:GetEncryptionConfiguration",
        ),
    ];
    for (id, call, action) in cases {
        assert_eq!(outcome(&report, id), "ERROR", "{}", item(&report, id));
        assert_eq!(
            message(&report, id),
            format!(
                "{call} failed: AccessDenied: not authorized (HTTP 403) \
                 (the credentials need IAM action {action})"
            )
        );
    }
    // Listings that still answer keep deciding their own items.
    assert_eq!(outcome(&report, "zone"), "PASS");
}

#[test]
fn a_failing_listing_of_summaries_is_an_error_not_an_empty_account() {
    let standin = StandIn::start("compliant");
    standin.faults(json!([
        {"service": "wafv2", "operation": "ListWebACLs", "status": 500,
         "code": "WAFInternalErrorException", "message": "boom"},
        {"service": "s3", "operation": "ListBuckets", "status": 503,
         "code": "SlowDown", "message": "slow down"},
    ]));
    let (code, report, _) = run_edge(&standin);
    assert_eq!(code, 3);
    assert_eq!(
        message(&report, "waf-of-app"),
        "ListWebACLs failed: WAFInternalErrorException: boom (HTTP 500)"
    );
    assert_eq!(
        message(&report, "stores-encrypted"),
        "ListBuckets failed: SlowDown: slow down (HTTP 503)"
    );
    // Retried by the SDK, and still once per listing for every item reading it.
    let lists = standin
        .requests()
        .into_iter()
        .filter(|(s, o)| s == "wafv2" && o == "ListWebACLs")
        .count();
    assert_eq!(lists, 3 * 2, "three attempts in each of the two runs");
}

/// The bundled checklist's items decided by the kinds of this module and of run_aws_app.rs, and
/// how each ends on the `gaps` profile (on `compliant`, run_aws.rs proves they all pass).
#[test]
fn the_bundled_items_of_these_kinds_fail_exactly_where_the_gaps_are() {
    let standin = StandIn::start("gaps");
    let dir = tempfile::tempdir().unwrap();
    let mut outcomes = std::collections::BTreeMap::new();
    for phase in ["pre-deploy", "deploy"] {
        let ran = run(
            dir.path(),
            &standin.url,
            &["run", "--phase", phase, "--format", "json"],
        );
        let report = ran.json();
        for record in report["items"].as_array().unwrap() {
            let id = record["id"].as_str().unwrap().to_string();
            outcomes.insert(id, record["outcome"].as_str().unwrap().to_string());
        }
    }
    let expected = [
        ("dns-hosted-route-53", "PASS"),
        ("ssl-certificate-requested-acm", "FAIL"), // acm-no-wildcard
        ("ssl-certificate-validated", "FAIL"),
        ("app-barkbase-com-frontend", "PASS"),
        ("api-barkbase-com-api-gateway", "PASS"),
        ("ws-barkbase-com-websocket-api", "FAIL"), // dns-ws-missing
        // cloudfront-waf: no ACL is in front of the distribution, so no WAF item can pass.
        ("rate-limiting-rules-configured", "FAIL"),
        ("sql-injection-protection-enabled", "FAIL"),
        ("xss-protection-enabled", "FAIL"),
        ("geo-blocking-configured", "FAIL"),
        ("ip-allowlist-blocklist-configured", "FAIL"),
        ("api-gateway-rate-limiting-100", "PASS"),
        ("auth-endpoints-rate-limiting-10", "FAIL"), // api-auth-register-unthrottled
        ("jwt-authorizer-configured", "PASS"),
        ("cors-allowlist", "PENDING"),
        ("request-validation-enabled", "FAIL"), // api-pets-unvalidated
        ("api-keys-third-party-access", "PASS"),
        ("user-pool-created", "PASS"),
        ("password-policy-enforced", "FAIL"), // cognito-weak-passwords
        ("mfa-enabled", "PASS"),
        ("account-takeover-protection-enabled", "FAIL"), // cognito-audit-only
        ("advanced-security-features-enabled", "FAIL"),
        ("pre-signup-trigger", "PASS"),
        ("post-confirmation-trigger", "PASS"),
        ("email-sms-verification-configured", "PASS"),
        ("encryption-at-rest", "FAIL"), // s3-uploads-unencrypted
        ("lambda-functions-deployed", "FAIL"), // lambda-functions-missing
        ("api-gateway-deployed", "PASS"),
        ("assets-uploaded-s3", "FAIL"),           // s3-frontend-empty
        ("cloudfront-cache-invalidated", "FAIL"), // cloudfront-not-invalidated
        ("dns-records-updated", "FAIL"),          // dns-ws-missing
    ];
    for (id, wanted) in expected {
        assert_eq!(
            outcomes.get(id).map(String::as_str),
            Some(wanted),
            "item {id}"
        );
    }
}
