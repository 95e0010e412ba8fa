//! The application's kinds over the wire against the stand-in: Cognito user pools, API Gateway
//! REST APIs and stages, HTTP/WebSocket APIs and stages, and Lambda functions. Each passes on the
//! `compliant` profile, fails with evidence on `gaps`, and errors when its calls fail. Secrets
//! found in Lambda environments are named, never shown.

use serde_json::{Value as Json, json};

use crate::harness::{StandIn, comparison, item, outcome, run};

const APP: &str = r#"
barkcheck: 1
name: App
variables:
  prefix: barkbase-
phases:
  - id: check
    title: The application
    sections:
      - id: app
        title: App
        items:
          - id: pool
            text: The user pool's passwords, threat protection and triggers
            verify:
              cognito_user_pool: barkbase-prod-users
              expect:
                password_policy.minimum_length: ">= 8"
                password_policy.require_symbols: true
                mfa_configuration: OPTIONAL
                advanced_security_mode: ENFORCED
                account_takeover.high_action: BLOCK
                lambda_triggers.post_confirmation: {starts_with: "arn:aws:lambda:"}
                auto_verified_attributes: {contains: email}
          - id: rest-api
            text: Cognito JWTs are checked and bodies validated
            verify:
              api_gateway_rest_api: BarkBaseAPI
              expect:
                authorizers: {any: {type: COGNITO_USER_POOLS}}
                methods: {all: {where: {http_method: {one_of: [POST, PUT, PATCH]}}, validates_body: true}}
          - id: partner-keys
            text: The partners' method needs an API key
            verify:
              api_gateway_rest_api: BarkBaseAPI
              expect:
                methods: {any: {path: /partners/availability, api_key_required: true}}
          - id: rest-stage
            text: The prod stage throttles /auth, logs, and has a per-key plan
            verify:
              api_gateway_rest_stage: {api_name: BarkBaseAPI, stage_name: prod}
              expect:
                deployment_id: {present: true}
                throttling_rate_limit: 1000
                methods: {all: {where: {path: {starts_with: /auth}}, throttling_rate_limit: "<= 10"}}
                access_log_destination: {matches: "barkbase-prod-access$"}
                usage_plans: {any: {rate_limit: 100, enabled_api_key_count: ">= 1"}}
          - id: ws-api
            text: The WebSocket API authorizes connections
            verify:
              api_gateway_v2_api: barkbase-ws-prod
              expect:
                protocol_type: WEBSOCKET
                routes: {any: {route_key: "$connect", authorization_type: CUSTOM, authorizer_type: REQUEST}}
          - id: ws-stage
            text: The WebSocket stage is throttled
            verify:
              api_gateway_v2_stage: {api_name: barkbase-ws-prod, stage_name: prod}
              expect:
                throttling_rate_limit: 100
                throttling_burst_limit: 200
          - id: functions
            text: All 55 functions are active, in the VPC, without plaintext secrets
            verify:
              lambda_function: {function_name: {starts_with: "${prefix}"}}
              match: all
              selected: ">= 55"
              expect:
                state: Active
                in_vpc: true
                plaintext_secret_variables: {count: 0}
"#;

/// The plain-text value the `gaps` profile puts in barkbase-auth-api-prod's JWT_SECRET.
const PLAINTEXT_SECRET: &str = "not-a-real-secret-but-plain-text";

fn run_app(standin: &StandIn) -> (i32, Json, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.yaml"), APP).unwrap();
    let args = ["--checklist", "app.yaml", "run", "--phase", "check"];
    let table = run(dir.path(), &standin.url, &args);
    let json = run(
        dir.path(),
        &standin.url,
        &[&args[..], &["--format", "json"]].concat(),
    );
    (json.code, json.json(), table.stdout + &table.stderr)
}

#[test]
fn app_kinds_pass_on_the_compliant_profile() {
    let standin = StandIn::start("compliant");
    let (code, report, _) = run_app(&standin);
    for record in report["items"].as_array().unwrap() {
        assert_eq!(record["outcome"], "PASS", "{record}");
    }
    assert_eq!(code, 0);
    assert_eq!(
        item(&report, "rest-stage")["evidence"]["resource"],
        "api_gateway_rest_stage BarkBaseAPI/prod"
    );
    assert_eq!(
        item(&report, "functions")["evidence"]["resource"],
        "55 lambda_function resources"
    );
    assert_eq!(
        comparison(&report, "functions", "selected")["expected"],
        ">= 55"
    );
}

#[test]
fn app_kinds_fail_on_the_gaps_profile_with_evidence_and_no_secret_value() {
    let standin = StandIn::start("gaps");
    let (code, report, table) = run_app(&standin);
    assert_eq!(code, 1);

    assert_eq!(
        comparison(&report, "pool", "minimum_length")["observed"],
        "6"
    );
    assert_eq!(
        comparison(&report, "pool", "require_symbols")["observed"],
        "false"
    );
    assert_eq!(
        comparison(&report, "pool", "advanced_security_mode")["observed"],
        "AUDIT"
    );
    assert_eq!(
        comparison(&report, "pool", "account_takeover.high_action")["observed"],
        "(absent)"
    );

    // POST /pets lost its validator; the evidence names the method that falls short.
    let methods = comparison(&report, "rest-api", "methods");
    assert_eq!(
        methods["expected"],
        "every element where http_method one of POST, PUT, PATCH with validates_body = true"
    );
    assert_eq!(
        methods["observed"],
        "[{path: /pets, http_method: POST, validates_body: false}]"
    );
    assert_eq!(outcome(&report, "partner-keys"), "PASS");
    // POST /auth/register has no throttle of its own, so the stage-wide 1000/s applies.
    assert_eq!(
        comparison(&report, "rest-stage", "methods")["observed"],
        "[{path: /auth/register, throttling_rate_limit: 1000.0}]"
    );
    let connect = comparison(&report, "ws-api", "routes")["observed"]
        .as_str()
        .unwrap();
    assert!(
        connect
            .contains("{route_key: $connect, authorization_type: NONE, authorizer_type: (absent)}"),
        "{connect}"
    );
    assert_eq!(
        comparison(&report, "ws-stage", "throttling_rate_limit")["observed"],
        "(absent)"
    );

    // Two functions are missing and one holds a secret in plain text: named, never shown.
    let functions = &item(&report, "functions")["evidence"];
    let selected = comparison(&report, "functions", "selected");
    assert_eq!(selected["observed"], "53 lambda_function");
    let secret = comparison(
        &report,
        "functions",
        "barkbase-auth-api-prod: plaintext_secret_variables",
    );
    assert_eq!(secret["observed"], r#"["JWT_SECRET"]"#);
    assert!(functions.to_string().contains("JWT_SECRET"));
    let everything = format!("{report}{table}");
    assert!(
        !everything.contains(PLAINTEXT_SECRET),
        "a secret's value reached the output"
    );
}

#[test]
fn app_kinds_error_when_their_calls_fail_and_name_the_iam_action() {
    let standin = StandIn::start("compliant");
    let denied = |service: &str, operation: &str| {
        json!({"service": service, "operation": operation, "status": 403,
               "code": "AccessDeniedException", "message": "not authorized"})
    };
    standin.faults(json!([
        denied("cognito-idp", "DescribeRiskConfiguration"),
        denied("apigateway", "GetRestApis"),
        denied("apigateway", "GetApis"),
        denied("lambda", "ListFunctions"),
    ]));
    let (code, report, _) = run_app(&standin);
    assert_eq!(code, 3);
    let cases = [
        (
            "pool",
            "DescribeRiskConfiguration",
            "cognito-idp:DescribeRiskConfiguration",
        ),
        ("rest-api", "GetRestApis", "apigateway:GET"),
        ("rest-stage", "GetRestApis", "apigateway:GET"),
        ("ws-api", "GetApis", "apigateway:GET"),
        ("ws-stage", "GetApis", "apigateway:GET"),
        ("functions", "ListFunctions", "lambda:ListFunctions"),
    ];
    for (id, call, action) in cases {
        let evidence = &item(&report, id)["evidence"];
        assert_eq!(outcome(&report, id), "ERROR", "{evidence}");
        assert_eq!(
            evidence["message"],
            format!(
                "{call} failed: AccessDeniedException: not authorized (HTTP 403) \
                 (the credentials need IAM action {action})"
            )
        );
    }
}

#[test]
fn each_summary_is_completed_once_per_run_for_the_resources_selected() {
    let standin = StandIn::start("compliant");
    standin.reset_requests();
    let (code, _, _) = run_app(&standin);
    assert_eq!(code, 0);
    let count = |service: &str, operation: &str| {
        standin
            .requests()
            .iter()
            .filter(|(s, o)| s == service && o == operation)
            .count()
    };
    // Two runs (table and JSON). Two items read the REST API, whose stage also needs its
    // methods: still one GetResources per run. One user pool of one is described.
    assert_eq!(count("apigateway", "GetRestApis"), 2);
    assert_eq!(count("apigateway", "GetResources"), 2);
    assert_eq!(count("apigateway", "GetUsagePlans"), 2);
    assert_eq!(count("cognito-idp", "DescribeUserPool"), 2);
    assert_eq!(count("cognito-idp", "DescribeRiskConfiguration"), 2);
    // 55 functions take two pages of ListFunctions (50 a page).
    assert_eq!(count("lambda", "ListFunctions"), 2 * 2);
}

#[test]
fn expectations_on_a_count_of_resources_are_checked_when_the_checklist_loads() {
    let dir = tempfile::tempdir().unwrap();
    let bad = APP.replace(r#"selected: ">= 55""#, "selected: many");
    std::fs::write(dir.path().join("app.yaml"), bad).unwrap();
    let result = run(
        dir.path(),
        "http://127.0.0.1:9",
        &["--checklist", "app.yaml", "lint"],
    );
    assert_eq!(result.code, 2, "{}", result.stdout);
    let line = APP
        .lines()
        .position(|l| l.contains(r#"selected: ">= 55""#))
        .unwrap()
        + 1;
    assert!(
        result.stderr.contains(&format!(
            "app.yaml:{line}:25: selected: this field is a number, not `many`"
        )),
        "{}",
        result.stderr
    );
}
