//! The reports, through the binary against the stand-in: every format of `run` and of `report`
//! on a fixed small checklist and state (snapshots), JUnit files CI systems read, the JSON
//! report against its published schema, `diff` and its exit codes, the job summary, and the
//! HTML page as headless Chromium renders it.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value as Json, json};

use crate::harness::{Ran, StandIn, run, run_full};
use crate::snapshot::{assert_snapshot, normalise};

/// A small checklist with a bit of everything: parts, a numbered step, sub-items, automated
/// items that pass, fail, are waived or cannot be verified, manual items signed or not, a
/// skipped and a non-blocking item, approvals, and text that needs escaping in every format.
const CHECKLIST: &str = r#"barkcheck: 1
name: Reports Fixture
version: "2.1"
variables:
  db: barkbase-prod
  enable_proxy: "false"
phases:
  - id: pre-deploy
    title: Before the deployment
    sections:
      - id: database
        part: Infrastructure Preparation
        title: "Database Setup ✅"
        notes: "Status: <in progress> & tracked\nOwner: the *DBA* team"
        items:
          - id: rds-configuration
            text: "**RDS Configuration**"
            items:
              - id: rds-multi-az
                text: Multi-AZ deployment enabled
                verify:
                  rds_instance: ${db}
                  expect:
                    multi_az: true
                fix: Enable Multi-AZ and redeploy.
              - id: rds-backup-retention
                text: Automated backups enabled (30-day retention)
                verify:
                  rds_instance: ${db}
                  expect:
                    backup_retention_period: ">= 30"
                fix: "Set `BACKUP_RETENTION_DAYS` to 30."
              - id: rds-encryption
                text: Encryption at rest enabled
                verify:
                  rds_instance: ${db}
                  expect:
                    storage_encrypted: true
          - id: audit-log-retention
            text: "Audit logs kept `365` days"
            verify:
              log_group: /barkbase/prod/audit
              expect:
                retention_in_days: ">= 365"
            fix: Set the retention to 365 days.
      - id: review
        part: Deployment Execution
        title: "Pre-Deployment Steps ✅"
        items:
          - id: plan-reviewed
            text: "Deployment plan reviewed <with the team> & \"signed\" | twice"
          - id: rollback-documented
            text: Rollback plan documented
          - id: sms-alerts
            text: SMS alerts configured (optional)
            blocking: false
          - id: rds-proxy
            text: RDS Proxy in front of the database
            when: ${enable_proxy}
      - id: pre-approval
        part: Sign-Off
        title: Pre-Deployment Approval
        approvals: [Security Lead, CTO]
  - id: deploy
    title: The deployment
    sections:
      - id: steps
        part: Deployment Execution
        title: "Deployment Steps ✅"
        sections:
          - id: backend
            title: "**Backend Deployment**"
            notes: "cd aws/cdk; cdk deploy\naws cloudformation describe-stacks"
            items:
              - id: stack-complete
                text: CDK deployment completed successfully
                verify:
                  cloudformation_stack: BarkBaseCdkStack
                  expect:
                    stack_status: {one_of: [CREATE_COMPLETE, UPDATE_COMPLETE]}
              - id: lambdas-deployed
                text: All Lambda functions deployed
"#;

/// The stand-in's answer to the audit log listing: a denied call, so that item is ERROR.
fn deny_logs(standin: &StandIn) {
    standin.faults(json!([{
        "service": "logs", "operation": "DescribeLogGroups", "status": 400,
        "code": "AccessDeniedException",
        "message": "User is not authorized to perform: logs:DescribeLogGroups"
    }]));
}

fn bc(dir: &Path, standin: &StandIn, args: &[&str]) -> Ran {
    let mut full = vec!["--checklist", "checklist.yaml", "--env", "prod"];
    full.extend_from_slice(args);
    run(dir, &standin.url, &full)
}

fn ok(ran: Ran) -> Ran {
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    ran
}

/// The fixed state: a deployment, a sign-off, a waiver, runs of both phases, an approval that a
/// later sign-off invalidated (Security Lead) and one that holds (CTO).
fn fixture(standin: &StandIn) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("checklist.yaml"), CHECKLIST).unwrap();
    deny_logs(standin);
    ok(bc(
        d,
        standin,
        &["open", "--lead", "Dana Lead", "--date", "2025-01-15"],
    ));
    ok(bc(
        d,
        standin,
        &[
            "sign",
            "plan-reviewed",
            "--by",
            "alice",
            "--note",
            "see <DEPLOY-7> & \"notes\" | *all*",
        ],
    ));
    ok(bc(
        d,
        standin,
        &[
            "waive",
            "rds-multi-az",
            "--reason",
            "single AZ until Q3 | budget",
            "--until",
            "2099-12-31",
            "--by",
            "bob",
            "--ticket",
            "OPS-1",
        ],
    ));
    assert_eq!(bc(d, standin, &["run", "--phase", "pre-deploy"]).code, 3);
    let deploy = bc(d, standin, &["run", "--phase", "deploy"]);
    assert_eq!(deploy.code, 1, "a pending item: {}", deploy.stderr);
    ok(bc(
        d,
        standin,
        &[
            "approve",
            "--role",
            "Security Lead",
            "--by",
            "carol",
            "--note",
            "ok with OPS-1",
        ],
    ));
    ok(bc(
        d,
        standin,
        &["sign", "rollback-documented", "--by", "alice"],
    ));
    assert_eq!(bc(d, standin, &["run", "--phase", "pre-deploy"]).code, 3);
    ok(bc(
        d,
        standin,
        &["approve", "--role", "CTO", "--by", "erin"],
    ));
    dir
}

#[test]
fn every_format_renders_the_fixed_checklist_as_its_snapshot() {
    let standin = StandIn::start("gaps");
    let dir = fixture(&standin);
    let d = dir.path();

    for (format, file) in [
        ("table", "run.table.txt"),
        ("json", "run.json"),
        ("junit", "run.junit.xml"),
        ("markdown", "run.md"),
        ("html", "run.html"),
    ] {
        let ran = bc(
            d,
            &standin,
            &["run", "--phase", "pre-deploy", "--format", format],
        );
        assert_eq!(ran.code, 3, "an ERROR item: exit 3\n{}", ran.stderr);
        assert_snapshot(file, &normalise(&ran.stdout));
    }
    for (format, file) in [("markdown", "report.md"), ("html", "report.html")] {
        let ran = ok(bc(d, &standin, &["report", "--format", format]));
        assert_snapshot(file, &normalise(&ran.stdout));
    }
}

/// The testcases of a JUnit document by name: (classname, verdict element, its message, body).
fn junit_cases(xml: &str) -> BTreeMap<String, (String, String, String, String)> {
    let doc = roxmltree::Document::parse(xml).expect("the JUnit report is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let mut cases = BTreeMap::new();
    for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
        let count = |what: &str| {
            suite
                .children()
                .filter(|c| c.has_tag_name("testcase"))
                .filter(|c| c.children().any(|v| v.has_tag_name(what)))
                .count()
                .to_string()
        };
        // The counts in the suite's attributes are those of its testcases.
        for what in ["failure", "error", "skipped"] {
            let attribute = match what {
                "failure" => "failures",
                "error" => "errors",
                _ => "skipped",
            };
            assert_eq!(suite.attribute(attribute), Some(count(what).as_str()));
        }
        for case in suite.children().filter(|n| n.has_tag_name("testcase")) {
            let verdict = case.children().find(|v| {
                ["failure", "error", "skipped"]
                    .iter()
                    .any(|t| v.has_tag_name(*t))
            });
            let (kind, message, body) = match verdict {
                Some(v) => (
                    v.tag_name().name().to_string(),
                    v.attribute("message").unwrap_or_default().to_string(),
                    v.text().unwrap_or_default().to_string(),
                ),
                None => ("passed".into(), String::new(), String::new()),
            };
            let output = case
                .children()
                .find(|v| v.has_tag_name("system-out"))
                .and_then(|v| v.text())
                .unwrap_or_default();
            cases.insert(
                case.attribute("name").unwrap().to_string(),
                (
                    case.attribute("classname").unwrap().to_string(),
                    kind,
                    message,
                    format!("{body}{output}"),
                ),
            );
        }
    }
    cases
}

#[test]
fn junit_to_a_file_holds_the_seeded_gaps_as_failures_with_their_evidence() {
    let standin = StandIn::start("gaps");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // The issue's own example, plus a JSON copy of the same run to compare with.
    let ran = run_full(
        d,
        &standin.url,
        &[
            "run",
            "--phase",
            "pre-deploy",
            "--format",
            "junit",
            "--output",
            "report.xml",
            "--output",
            "same-run.json",
        ],
    );
    assert_eq!(ran.code, 1, "gaps: not ready\n{}", ran.stderr);
    assert_eq!(
        ran.stdout.lines().count(),
        1,
        "only the verdict: {}",
        ran.stdout
    );
    assert!(
        ran.stdout.starts_with("pre-deploy: NOT READY — "),
        "{}",
        ran.stdout
    );

    let report: Json =
        serde_json::from_str(&std::fs::read_to_string(d.join("same-run.json")).unwrap()).unwrap();
    let cases = junit_cases(&std::fs::read_to_string(d.join("report.xml")).unwrap());
    let case = |id: &str| {
        cases
            .iter()
            .find(|(name, _)| name.starts_with(&format!("{id}: ")))
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| panic!("no testcase for {id}"))
    };

    // The seeded gaps of this phase (standin/seed.py GAPS) fail, with expected and observed.
    for (id, evidence) in [
        ("rds-instance-class", "observed db.t4g.micro"),
        ("rds-multi-az", "multi_az: expected = true, observed false"),
        ("rds-backup-retention", "expected >= 30, observed 7"),
        (
            "rds-enhanced-monitoring",
            "monitoring_interval: expected > 0, observed 0",
        ),
        ("rds-not-public", "publicly_accessible"),
        ("rds-backup-window", "observed 12:00-13:00"),
        (
            "cdk-bootstrapped",
            "no cloudformation_stack matches CDKToolkit",
        ),
        ("cloudfront-spa-fallback", "custom_error_responses"),
    ] {
        let (classname, kind, message, body) = case(id);
        assert_eq!(kind, "failure", "{id}: {message}");
        assert!(message.starts_with("FAIL"), "{id}: {message}");
        assert!(body.contains(evidence), "{id}: {body}");
        let section = crate::harness::item(&report, id)["section"]
            .as_str()
            .unwrap();
        assert_eq!(classname, section.replace("**", "").replace('`', ""));
    }
    assert!(case("rds-multi-az").3.contains("fix: Enable Multi-AZ"));
    assert_eq!(case("rds-encryption-at-rest").1, "passed");

    // Every counted item is a testcase, in the verdict the JSON report gives it.
    let parents: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["parent"].as_str())
        .collect();
    let mut counted = 0;
    for item in report["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        if item["automated"] == false && parents.contains(&id) {
            continue;
        }
        counted += 1;
        let expected = match (item["outcome"].as_str().unwrap(), item["blocking"] == true) {
            ("PASS" | "SIGNED", _) => "passed",
            ("FAIL", _) | ("PENDING", true) => "failure",
            ("ERROR", _) => "error",
            _ => "skipped",
        };
        assert_eq!(case(id).1, expected, "{id}");
    }
    let approvals = report["approvals"].as_array().unwrap().len();
    assert_eq!(cases.len(), counted + approvals);
    let pending = cases
        .values()
        .filter(|c| c.0 == "Approvals" && c.2 == "pending approval")
        .count();
    assert_eq!(pending, approvals, "no role approved");
}

#[test]
fn outputs_take_their_format_from_a_prefix_or_the_extension_and_the_job_summary_grows() {
    let standin = StandIn::start("gaps");
    let dir = fixture(&standin);
    let d = dir.path();
    let summary = d.join("step-summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();

    let ran = crate::harness::ran(
        crate::harness::barkcheck(d, &standin.url)
            .args([
                "--checklist",
                "checklist.yaml",
                "--env",
                "prod",
                "run",
                "--phase",
                "pre-deploy",
                "--format",
                "json",
                "--output",
                "out/a.xml",
                "--output",
                "markdown:out/b.txt",
                "--output",
                "out/c.html",
                "--output",
                "out/d.unknown",
                "--output",
                "out/e.md",
            ])
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .unwrap(),
    );
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert_eq!(
        ran.stdout.lines().count(),
        1,
        "only the verdict: {}",
        ran.stdout
    );
    assert!(
        ran.stdout.trim().starts_with("pre-deploy: NOT VERIFIED"),
        "{}",
        ran.stdout
    );
    let read = |name: &str| std::fs::read_to_string(d.join("out").join(name)).unwrap();
    assert!(read("a.xml").starts_with("<?xml"));
    assert!(read("b.txt").starts_with("## ⚠️ barkcheck: pre-deploy"));
    assert!(read("c.html").starts_with("<!DOCTYPE html>"));
    let fallback: Json = serde_json::from_str(&read("d.unknown")).expect("--format json");
    assert_eq!(fallback["phase"], "pre-deploy");
    assert_eq!(read("e.md"), read("b.txt"));

    // GitHub's job summary gets the Markdown appended, whatever the formats asked for.
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# earlier step\n## ⚠️ barkcheck: pre-deploy"),
        "{text}"
    );
    assert!(text.contains("<details><summary><b>ERROR</b> <code>audit-log-retention</code>"));
    assert!(text.contains("- `backup_retention_period`: expected `>= 30`, observed `7`"));

    // An unknown FORMAT: prefix is a usage error before anything runs.
    let bad = bc(
        d,
        &standin,
        &["run", "--phase", "pre-deploy", "--output", "pdf:x.pdf"],
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("`pdf` is not a format"),
        "{}",
        bad.stderr
    );

    // A file that cannot be written: the verdict is still shown and recorded, then exit 2.
    std::fs::write(d.join("blocker"), "a file, not a directory").unwrap();
    let blocked = bc(
        d,
        &standin,
        &["run", "--phase", "pre-deploy", "--output", "blocker/r.xml"],
    );
    assert_eq!(blocked.code, 2, "{}", blocked.stderr);
    assert!(
        blocked.stdout.starts_with("pre-deploy: NOT VERIFIED"),
        "{}",
        blocked.stdout
    );
    assert!(blocked.stderr.contains("blocker"), "{}", blocked.stderr);
}

#[test]
fn the_json_report_follows_its_published_schema() {
    let standin = StandIn::start("gaps");
    let dir = fixture(&standin);
    let schema: Json = serde_json::from_str(
        &std::fs::read_to_string(crate::harness::repo().join("docs/report-schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("the schema compiles");

    // The fixture's report holds every shape: evidence of each outcome, a waiver, a signer,
    // an invalidated and a valid approval, a deployment...
    let report = bc(
        dir.path(),
        &standin,
        &["run", "--phase", "pre-deploy", "--format", "json"],
    )
    .json();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let outcomes: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["outcome"].as_str().unwrap())
        .collect();
    for wanted in [
        "PASS", "FAIL", "ERROR", "WAIVED", "SIGNED", "PENDING", "SKIPPED",
    ] {
        assert!(outcomes.contains(&wanted), "the fixture lacks {wanted}");
    }
    assert!(
        report["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["invalidated"].is_string())
    );
    assert!(report["deployment"].is_object());

    // ...and the bundled checklist's, as a real run against the gaps profile gives it.
    let bundled = tempfile::tempdir().unwrap();
    let ran = run_full(
        bundled.path(),
        &standin.url,
        &["run", "--phase", "pre-deploy", "--format", "json"],
    );
    assert!(validator.iter_errors(&ran.json()).next().is_none());

    // The schema is strict: a field it does not describe, or a wrong type, is refused.
    let mut extra = report.clone();
    extra["items"][0]["colour"] = json!("red");
    assert!(!validator.is_valid(&extra));
    let mut wrong = report.clone();
    wrong["readiness"] = json!("maybe");
    assert!(!validator.is_valid(&wrong));
}

/// The Chromium that renders the HTML report: `$BARKCHECK_CHROMIUM`, else `chromium` on PATH.
/// scripts/test installs Debian's package when it is missing; only where that was impossible
/// does the test skip, saying so loudly (and never when `BARKCHECK_REQUIRE_CHROMIUM` is set,
/// which scripts/test sets once Chromium is there).
fn chromium() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("BARKCHECK_CHROMIUM") {
        return Some(path.into());
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("BARKCHECK_REQUIRE_CHROMIUM").is_none(),
            "BARKCHECK_REQUIRE_CHROMIUM is set but no chromium is on PATH"
        );
        eprintln!(
            "\n##########################################################################\n\
             SKIPPED: the HTML report was NOT rendered in a browser: no chromium on PATH.\n\
             Install Debian's `chromium` package (scripts/test does it as root).\n\
             ##########################################################################\n"
        );
    }
    found
}

/// The page as headless Chromium renders it from a file:// URL, after its script ran. Every
/// name lookup fails and every request goes to a closed loopback port, so nothing leaves.
fn rendered_dom(browser: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        dom.contains("</html>"),
        "chromium rendered nothing: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

/// The number the page's script wrote into the element with this id.
fn count_in(dom: &str, id: &str) -> usize {
    let pattern =
        regex::Regex::new(&format!(r#"id="{}"[^>]*>([^<]*)<"#, regex::escape(id))).unwrap();
    let text = pattern
        .captures(dom)
        .unwrap_or_else(|| panic!("no element #{id} in the rendered page"))[1]
        .to_string();
    text.parse()
        .unwrap_or_else(|_| panic!("#{id} holds {text:?}, not a count: the script did not run"))
}

#[test]
fn the_html_report_renders_in_a_browser_with_the_counts_of_the_run() {
    let Some(browser) = chromium() else {
        return;
    };
    let standin = StandIn::start("gaps");
    let dir = fixture(&standin);
    let d = dir.path();
    let ran = bc(
        d,
        &standin,
        &[
            "run",
            "--phase",
            "pre-deploy",
            "--output",
            "page.html",
            "--output",
            "same.json",
        ],
    );
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let report: Json =
        serde_json::from_str(&std::fs::read_to_string(d.join("same.json")).unwrap()).unwrap();

    // The file holds no counts: only the script fills them in.
    let file = std::fs::read_to_string(d.join("page.html")).unwrap();
    assert!(file.contains(r#"id="count-pre-deploy-FAIL"></td>"#));
    assert!(file.contains(r#"data-rendered="false""#));

    let dom = rendered_dom(&browser, &d.join("page.html"));
    assert!(
        dom.contains(r#"data-rendered="true""#),
        "the page's script did not finish"
    );
    for outcome in [
        "ERROR", "FAIL", "PENDING", "WAIVED", "SKIPPED", "SIGNED", "PASS",
    ] {
        let expected = report["summary"][outcome].as_u64().unwrap_or(0) as usize;
        assert_eq!(
            count_in(&dom, &format!("count-pre-deploy-{outcome}")),
            expected,
            "{outcome}"
        );
    }
    assert!(dom.contains(r#"id="verdict-pre-deploy">NOT VERIFIED"#));

    // The whole record as one page: per-phase and overall counts.
    let whole = ok(bc(
        d,
        &standin,
        &["report", "--format", "html", "--output", "all.html"],
    ));
    assert!(whole.stdout.is_empty());
    let dom = rendered_dom(&browser, &d.join("all.html"));
    let pending_deploy = count_in(&dom, "count-deploy-PENDING");
    assert_eq!(pending_deploy, 1, "lambdas-deployed is not signed");
    assert_eq!(
        count_in(&dom, "count-deploy-PASS"),
        1,
        "the stack is complete"
    );
    let total: usize = [
        "ERROR", "FAIL", "PENDING", "WAIVED", "SKIPPED", "SIGNED", "PASS",
    ]
    .iter()
    .map(|o| count_in(&dom, &format!("total-{o}")))
    .sum();
    // 8 counted items and 2 approvals in pre-deploy (the RDS parent only sums up), 2 in deploy.
    assert_eq!(total, 12);
}

#[test]
fn diff_names_what_got_worse_and_what_got_better_and_exits_accordingly() {
    let standin = StandIn::start("gaps");
    let dir = fixture(&standin);
    let d = dir.path();
    let save = |name: &str| {
        let ran = bc(
            d,
            &standin,
            &["run", "--phase", "pre-deploy", "--output", name],
        );
        assert!(ran.code == 1 || ran.code == 3, "{}", ran.stderr);
    };
    save("before.json");

    // Worse: the waiver goes, so the multi-AZ gap fails again; better: the logs are readable
    // again (ERROR to FAIL is still better: the gate can tell), and an item is signed.
    ok(bc(d, &standin, &["unwaive", "rds-multi-az"]));
    standin.faults(json!([]));
    ok(bc(d, &standin, &["sign", "sms-alerts", "--by", "frank"]));
    save("after.json");

    let ran = bc(
        d,
        &standin,
        &["diff", "before.json", "after.json", "--format", "json"],
    );
    assert_eq!(
        ran.code, 1,
        "something got worse\n{}\n{}",
        ran.stdout, ran.stderr
    );
    let diff = ran.json();
    let change = |id: &str| {
        diff["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no change for {id}: {diff:#}"))
            .clone()
    };
    let multi_az = change("rds-multi-az");
    assert_eq!(
        (
            &multi_az["change"],
            &multi_az["old"],
            &multi_az["new"],
            &multi_az["worse"]
        ),
        (
            &json!("newly_failing"),
            &json!("WAIVED"),
            &json!("FAIL"),
            &json!(true)
        )
    );
    assert!(
        multi_az["detail"]
            .as_str()
            .unwrap()
            .contains("observed false")
    );
    let logs = change("audit-log-retention");
    assert_eq!(
        (&logs["old"], &logs["new"], &logs["worse"]),
        (&json!("ERROR"), &json!("FAIL"), &json!(false))
    );
    let signed = change("sms-alerts");
    assert_eq!(
        (&signed["change"], &signed["worse"]),
        (&json!("newly_signed"), &json!(false))
    );
    assert!(
        signed["detail"]
            .as_str()
            .unwrap()
            .contains("signed by frank")
    );
    // The CTO's approval, bound to the old outcomes, no longer holds.
    assert_eq!(change("approval:CTO")["change"], "approval_lost");
    assert_eq!(diff["worse"], true);

    // Read the other way round, the ERROR comes back: worse again. A report against itself
    // has nothing worse.
    let back = bc(d, &standin, &["diff", "after.json", "before.json"]);
    assert_eq!(back.code, 1, "FAIL to ERROR is worse: {}", back.stdout);
    let same = bc(
        d,
        &standin,
        &["diff", "after.json", "after.json", "--format", "markdown"],
    );
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert!(same.stdout.contains("nothing got worse"), "{}", same.stdout);
    let table = bc(d, &standin, &["diff", "before.json", "after.json"]);
    assert_eq!(table.code, 1);
    assert!(table.stdout.contains("newly failing ▼"), "{}", table.stdout);

    // Items added and removed between checklist versions.
    let mut edited: Json =
        serde_json::from_str(&std::fs::read_to_string(d.join("after.json")).unwrap()).unwrap();
    let items = edited["items"].as_array_mut().unwrap();
    let removed = items
        .iter()
        .position(|i| i["id"] == "rollback-documented")
        .unwrap();
    items.remove(removed);
    let mut added = items[0].clone();
    added["id"] = json!("new-check");
    added["outcome"] = json!("PASS");
    added["parent"] = Json::Null;
    items.push(added);
    std::fs::write(d.join("edited.json"), edited.to_string()).unwrap();
    let ran = bc(
        d,
        &standin,
        &["diff", "after.json", "edited.json", "--format", "json"],
    );
    assert_eq!(
        ran.code, 0,
        "a passing item added and a signed one removed: not worse"
    );
    let kinds: Vec<(String, String)> = ran.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap().into(),
                c["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("added".into(), "new-check".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("removed".into(), "rollback-documented".into())),
        "{kinds:?}"
    );

    // Reports of different phases, or not reports at all, are usage errors.
    let deploy = bc(
        d,
        &standin,
        &["run", "--phase", "deploy", "--output", "deploy.json"],
    );
    assert_eq!(deploy.code, 1, "{}", deploy.stderr);
    let ran = bc(d, &standin, &["diff", "after.json", "deploy.json"]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("different phases"), "{}", ran.stderr);
    let ran = bc(d, &standin, &["diff", "after.json", "checklist.yaml"]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("is not JSON"), "{}", ran.stderr);
}

/// The `barkcheck` command line of the README's GitHub Actions example, between its markers.
fn readme_ci_command() -> Vec<String> {
    let readme = std::fs::read_to_string(crate::harness::repo().join("README.md")).unwrap();
    let (_, rest) = readme
        .split_once("<!-- ci-example:begin -->")
        .expect("README has the ci-example:begin marker");
    let (example, _) = rest
        .split_once("<!-- ci-example:end -->")
        .expect("README has the ci-example:end marker");
    let lines: Vec<&str> = example
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("barkcheck "))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "one barkcheck command in the example: {lines:?}"
    );
    // The example uses no quoting, so words are split on white space as the shell would.
    assert!(!lines[0].contains(['"', '\'', '\\', '$']), "{}", lines[0]);
    lines[0]
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// A vars file that aims every variable naming a host or a URL at loopback, and a guard: no
/// check that probes (HTTP, DNS, ...) may target anything but loopback once it is applied.
fn loopback_vars(dir: &Path) -> std::path::PathBuf {
    use barkcheck::checklist::{Overrides, load_bundled};
    let domain = regex::Regex::new(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$").unwrap();
    let defaults = load_bundled(&Overrides::default()).expect("the bundled checklist loads");
    let mut vars = String::new();
    // A name ending in a common top-level domain; `db.t4g.small` is an instance class.
    let host = |v: &str| {
        domain.is_match(v)
            && ["com", "net", "org", "io", "dev", "app", "co", "cloud"]
                .contains(&v.rsplit('.').next().unwrap_or_default())
    };
    for (name, value) in &defaults.variables {
        if let Some((scheme, _)) = value.split_once("://") {
            // The same scheme, so a TLS or WebSocket check still reads its target.
            vars.push_str(&format!("{name}: \"{scheme}://127.0.0.1:9\"\n"));
        } else if host(value) {
            vars.push_str(&format!("{name}: \"127.0.0.1\"\n"));
        }
    }
    let path = dir.join("env/production.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, vars).unwrap();

    let aimed = load_bundled(&Overrides {
        vars_file: Some(path.clone()),
        vars: Vec::new(),
    })
    .expect("the bundled checklist loads with the loopback vars");
    for (_, entry) in aimed.all_items() {
        let Some(target) = entry.item.check.as_ref().and_then(|c| c.target.as_ref()) else {
            continue;
        };
        let mut texts = Vec::new();
        strings(target, &mut texts);
        for text in texts {
            let host = match text.split_once("://") {
                Some((_, rest)) => rest.split(['/', ':', '?']).next().unwrap_or_default(),
                None if domain.is_match(&text) => text.as_str(),
                None => continue,
            };
            assert!(
                ["127.0.0.1", "localhost", "[::1]", ""].contains(&host),
                "item {} would probe {host}: give its variable a loopback value in this test",
                entry.item.id
            );
        }
    }
    path
}

fn strings(value: &Json, out: &mut Vec<String>) {
    match value {
        Json::String(s) => out.push(s.clone()),
        Json::Array(list) => list.iter().for_each(|v| strings(v, out)),
        Json::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn the_readme_github_actions_example_runs_as_written() {
    let command = readme_ci_command();
    for wanted in ["--format", "junit", "--output", "run"] {
        assert!(
            command.iter().any(|w| w == wanted),
            "{command:?} lacks {wanted}"
        );
    }
    let standin = StandIn::start("gaps");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    loopback_vars(d);
    let summary = d.join("summary.md");

    let ran = crate::harness::ran(
        crate::harness::barkcheck(d, &standin.url)
            .args(&command)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .unwrap(),
    );
    // Every file the example names exists and is of its format.
    let outputs: Vec<&String> = command
        .windows(2)
        .filter(|w| w[0] == "--output")
        .map(|w| &w[1])
        .collect();
    assert!(!outputs.is_empty());
    let json = outputs
        .iter()
        .find(|o| o.ends_with(".json"))
        .expect("the example keeps a JSON report");
    let report: Json =
        serde_json::from_str(&std::fs::read_to_string(d.join(json)).unwrap()).unwrap();
    let expected_code = match report["readiness"].as_str().unwrap() {
        "ready" => 0,
        "not_ready" => 1,
        _ => 3,
    };
    assert_eq!(ran.code, expected_code, "{}\n{}", ran.stdout, ran.stderr);
    // Not ready: the seeded gaps FAIL; the probes, aimed at a closed loopback port, and the
    // database items, without a connection string, cannot be verified here (ERROR, exit 3).
    assert!([1, 3].contains(&ran.code), "the gaps profile is not ready");
    for output in outputs {
        let text = std::fs::read_to_string(d.join(output)).unwrap();
        if output.ends_with(".xml") {
            let cases = junit_cases(&text);
            assert!(cases.values().any(|c| c.1 == "failure"));
            let multi_az = cases
                .iter()
                .find(|(n, _)| n.starts_with("rds-multi-az: "))
                .unwrap();
            assert_eq!(multi_az.1.1, "failure");
        } else if output.ends_with(".html") {
            assert!(text.starts_with("<!DOCTYPE html>"));
        }
    }
    let summary = std::fs::read_to_string(&summary).unwrap();
    let heading = match ran.code {
        1 => "## ❌ barkcheck: pre-deploy — NOT READY",
        _ => "## ⚠️ barkcheck: pre-deploy — NOT VERIFIED",
    };
    assert!(summary.starts_with(heading), "{summary}");
    assert!(summary.contains("<code>rds-multi-az</code>"));
}

#[test]
fn report_writes_the_bundled_checklist_back_in_the_source_documents_shape() {
    use barkcheck::checklist::markdown::boxes;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let endpoint = crate::harness::closed_port_url();
    let signed = run(
        d,
        &endpoint,
        &["sign", "rollback-plan-documented", "--by", "alice"],
    );
    assert_eq!(signed.code, 0, "{}", signed.stderr);

    // No AWS call is made: the endpoint is a closed port, and the report still renders.
    let ran = run(d, &endpoint, &["report", "--output", "DEPLOYMENT.md"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let rendered = std::fs::read_to_string(d.join("DEPLOYMENT.md")).unwrap();
    let source_path = crate::harness::repo().join("checklists/barkbase-production-checklist.md");
    let source = std::fs::read_to_string(&source_path).unwrap();

    // Every box of the source sits under the same `##`, `###` and numbered step, at the same
    // depth, with the same text, in the same order; the sign-off lines read as the source's
    // until someone approves. (The source's success criteria are ✅ bullets; here, boxes.)
    type Place = (Option<String>, Option<String>, Option<String>);
    let by_place = |markdown: &str| {
        let mut places: BTreeMap<Place, Vec<(usize, String)>> = BTreeMap::new();
        for b in boxes(markdown) {
            places
                .entry((b.part, b.title, b.step))
                .or_default()
                .push((b.depth, b.text));
        }
        places
    };
    let (want, got) = (by_place(&source), by_place(&rendered));
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>()
    );
    for (place, items) in &want {
        assert_eq!(&got[place], items, "{place:?}");
    }

    // Ticked from the state: the one item signed, with who signed it under it.
    let ticked: Vec<String> = boxes(&rendered)
        .into_iter()
        .filter(|b| b.ticked)
        .map(|b| b.text)
        .collect();
    assert_eq!(ticked, ["Rollback plan documented"]);
    assert!(
        rendered.contains("- [x] Rollback plan documented\n    > **SIGNED** — signed by alice, ")
    );
}
