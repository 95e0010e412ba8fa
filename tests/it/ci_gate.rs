//! `run` as a CI gate and at a terminal: selections that run only what they name (and call
//! AWS only for it), names that do not exist, `--no-manual`, `--require-signed`, and the
//! progress line and colours that appear only at a terminal.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use barkcheck::checklist::{Overrides, load_bundled};
use serde_json::Value as Json;

use crate::harness::{Ran, StandIn, barkcheck, item, outcome, ran, run, run_full};

fn ids(report: &Json) -> BTreeSet<String> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// The ids of the bundled checklist's items in a section or step of a phase.
fn bundled_ids(
    phase: &str,
    keep: impl Fn(&barkcheck::checklist::Entry<'_>) -> bool,
) -> BTreeSet<String> {
    let checklist = load_bundled(&Overrides::default()).unwrap();
    checklist
        .phase(phase)
        .unwrap()
        .entries()
        .iter()
        .filter(|e| keep(e))
        .map(|e| e.item.id.clone())
        .collect()
}

/// An item of the bundled checklist and every item under it.
fn subtree(id: &str) -> BTreeSet<String> {
    fn walk(item: &barkcheck::checklist::Item, out: &mut BTreeSet<String>) {
        out.insert(item.id.clone());
        for child in &item.items {
            walk(child, out);
        }
    }
    let checklist = load_bundled(&Overrides::default()).unwrap();
    let (_, entry) = checklist.item(id).unwrap();
    let mut out = BTreeSet::new();
    walk(entry.item, &mut out);
    out
}

fn services(standin: &StandIn) -> BTreeSet<String> {
    standin.requests().into_iter().map(|(s, _)| s).collect()
}

/// How many runs the history in `dir` records.
fn recorded_runs(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir.join(".barkcheck")) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".history.jsonl"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .map(|text| {
            text.lines()
                .filter(|l| l.contains(r#""action":"run""#))
                .count()
        })
        .sum()
}

#[test]
fn a_section_selection_runs_and_shows_only_that_section_and_calls_only_its_services() {
    let standin = StandIn::start("gaps");
    standin.reset_requests();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "run",
        "--phase",
        "pre-deploy",
        "--section",
        "database-setup",
    ];
    let result = run_full(
        dir.path(),
        &standin.url,
        &[&args[..], &["--format", "json"]].concat(),
    );
    assert_eq!(result.code, 1, "the RDS gaps fail: {}", result.stderr);
    let report = result.json();
    assert_eq!(
        ids(&report),
        bundled_ids("pre-deploy", |e| e.section.id == "database-setup")
    );
    assert_eq!(
        report["approvals"].as_array().unwrap().len(),
        0,
        "approvals approve the whole phase"
    );
    assert_eq!(outcome(&report, "rds-multi-az"), "FAIL");
    // Only the services of the database section's checks were asked (RDS, the VPC around the
    // database, the master password's secret): the alarms, logs, CloudFront and stacks of
    // other sections were not.
    assert_eq!(
        services(&standin),
        BTreeSet::from(["ec2", "rds", "secretsmanager"].map(String::from))
    );
    assert!(result.stderr.contains("not recorded"), "{}", result.stderr);
    assert_eq!(
        recorded_runs(dir.path()),
        0,
        "a selected run is not recorded"
    );
}

#[test]
fn items_tags_and_skips_select_and_combine() {
    let standin = StandIn::start("gaps");
    let dir = tempfile::tempdir().unwrap();
    let json = |extra: &[&str]| {
        let mut args = vec!["run", "--phase", "pre-deploy", "--format", "json"];
        args.extend(extra);
        let result = run_full(dir.path(), &standin.url, &args);
        assert!(result.code == 0 || result.code == 1, "{}", result.stderr);
        result.json()
    };

    // An item brings its sub-items; two --item flags add up.
    let report = json(&["--item", "rds-configuration", "--item", "cdk-bootstrapped"]);
    let mut expected = subtree("rds-configuration");
    expected.extend(subtree("cdk-bootstrapped"));
    assert!(expected.len() > 5, "{expected:?}");
    assert_eq!(ids(&report), expected);

    // A tag selects the items tagged with it; a different flag narrows it.
    standin.reset_requests();
    let report = json(&["--tag", "cloudfront"]);
    let tagged = bundled_ids("pre-deploy", |e| {
        e.item.tags.iter().any(|t| t == "cloudfront")
    });
    assert_eq!(ids(&report), tagged);
    // The app record's check (tagged route53 and cloudfront) reads Route 53 and the API
    // Gateway custom domains as well.
    assert_eq!(
        services(&standin),
        BTreeSet::from(["apigateway", "cloudfront", "route53"].map(String::from))
    );
    let report = json(&["--tag", "cloudfront", "--section", "domain-and-ssl"]);
    let narrowed = bundled_ids("pre-deploy", |e| {
        e.section.id == "domain-and-ssl" && e.item.tags.iter().any(|t| t == "cloudfront")
    });
    assert!(!narrowed.is_empty() && narrowed.len() < tagged.len());
    assert_eq!(ids(&report), narrowed);

    // --skip leaves out a section; --only-automated leaves out every manual item.
    standin.reset_requests();
    let report = json(&["--skip", "monitoring-and-alerting", "--only-automated"]);
    let expected = bundled_ids("pre-deploy", |e| {
        e.section.id != "monitoring-and-alerting" && e.item.check.is_some()
    });
    assert_eq!(ids(&report), expected);
    assert!(
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["automated"] == true)
    );
    assert!(
        !services(&standin).contains("monitoring"),
        "alarms and dashboards were skipped"
    );
}

#[test]
fn an_unknown_name_is_an_error_with_a_suggestion_and_nothing_runs() {
    let standin = StandIn::start("empty");
    standin.reset_requests();
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--section", "databse-setup"],
            "did you mean `database-setup`?",
        ),
        (&["--item", "rds-multi-azz"], "did you mean `rds-multi-az`?"),
        (&["--tag", "cloudfrnt"], "did you mean `cloudfront`?"),
        (
            &["--skip", "no-such-thing"],
            "there is no item or section `no-such-thing`",
        ),
        (
            &["--item", "cdk-deploy-complete"],
            "item `cdk-deploy-complete` is in phase deploy",
        ),
        (
            &["--section", "security-standardization", "--only-automated"],
            "selects no item of phase pre-deploy",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["run", "--phase", "pre-deploy"];
        args.extend(flags);
        let result = run_full(dir.path(), &standin.url, &args);
        assert_eq!(result.code, 2, "{flags:?}: {}", result.stderr);
        assert!(
            result.stderr.contains(expected),
            "{flags:?}: {}",
            result.stderr
        );
        assert_eq!(result.stdout, "", "{flags:?} printed a report");
    }
    let result = run_full(
        dir.path(),
        &standin.url,
        &[
            "run",
            "--phase",
            "pre-deploy",
            "--section",
            "pre-deployment-approval",
        ],
    );
    assert_eq!(result.code, 2);
    assert!(
        result.stderr.contains("only role approvals"),
        "{}",
        result.stderr
    );
    assert_eq!(
        standin.requests(),
        Vec::new(),
        "no AWS call for a refused selection"
    );
}

#[test]
fn no_manual_judges_only_automated_items_and_approvals_do_not_gate() {
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    // moto cannot show Performance Insights (shared/moto-notes.md): its FAIL is waived here.
    let waive = [
        "waive",
        "rds-performance-insights",
        "--reason",
        "moto has no Performance Insights",
        "--until",
        "2999-01-01",
        "--by",
        "tester",
    ];
    assert_eq!(run_full(dir.path(), &standin.url, &waive).code, 0);
    // Nor root MFA, which moto always reports off.
    let mut mfa = waive;
    mfa[1] = "multi-factor-authentication-enabled";
    mfa[3] = "moto always reports root MFA off";
    assert_eq!(run_full(dir.path(), &standin.url, &mfa).code, 0);
    let whole = run_full(dir.path(), &standin.url, &["run", "--phase", "pre-deploy"]);
    assert_eq!(
        whole.code, 1,
        "manual items pending and approvals missing: not ready"
    );
    assert_eq!(recorded_runs(dir.path()), 1);

    let args = [
        "run",
        "--phase",
        "pre-deploy",
        "--no-manual",
        "--format",
        "json",
    ];
    let result = run_full(dir.path(), &standin.url, &args);
    assert_eq!(
        result.code, 0,
        "every automated item passes: {}",
        result.stdout
    );
    let report = result.json();
    let manual = item(&report, "replace-wildcard-cors-54-lambda");
    assert_eq!(manual["outcome"], "SKIPPED");
    assert_eq!(manual["evidence"]["message"], "not judged: --no-manual");
    assert_eq!(outcome(&report, "rds-multi-az"), "PASS");
    assert_eq!(outcome(&report, "rds-performance-insights"), "WAIVED");
    let approvals = report["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 5);
    for approval in approvals {
        assert_eq!(approval["outcome"], "SKIPPED", "{approval}");
        assert_eq!(approval["note"], "not judged: --no-manual");
    }
    assert_eq!(report["readiness"], "ready");

    // The table says why; a failing automated item still fails the gate.
    let table = run_full(
        dir.path(),
        &standin.url,
        &["run", "--phase", "pre-deploy", "--no-manual"],
    );
    assert_eq!(table.code, 0, "{}", table.stdout);
    assert!(
        table.stdout.contains("not judged: --no-manual"),
        "{}",
        table.stdout
    );
    assert_eq!(
        run_full(
            dir.path(),
            &standin.url,
            &["unwaive", "rds-performance-insights"]
        )
        .code,
        0
    );
    let failing = run_full(
        dir.path(),
        &standin.url,
        &["run", "--phase", "pre-deploy", "--no-manual"],
    );
    assert_eq!(failing.code, 1, "{}", failing.stdout);
    assert_eq!(
        recorded_runs(dir.path()),
        1,
        "--no-manual runs are not recorded"
    );
}

const SMALL: &str = r#"
barkcheck: 1
name: Small
phases:
  - id: ship
    title: Shipping
    sections:
      - id: checks
        title: Checks
        items:
          - id: tests-green
            text: Tests are green
          - id: blog-post
            text: Blog post written (optional)
            blocking: false
"#;

#[test]
fn require_signed_makes_every_manual_item_gate_blocking_or_not() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.yaml"), SMALL).unwrap();
    let bc = |args: &[&str]| {
        let mut all = vec!["--checklist", "small.yaml"];
        all.extend(args);
        run(dir.path(), "http://127.0.0.1:9", &all)
    };
    assert_eq!(bc(&["sign", "tests-green", "--by", "alice"]).code, 0);
    assert_eq!(
        bc(&["run", "--phase", "ship"]).code,
        0,
        "the optional item does not block"
    );

    let strict = bc(&[
        "run",
        "--phase",
        "ship",
        "--require-signed",
        "--format",
        "json",
    ]);
    assert_eq!(strict.code, 1, "{}", strict.stdout);
    let report = strict.json();
    assert_eq!(item(&report, "blog-post")["outcome"], "PENDING");
    assert_eq!(item(&report, "blog-post")["blocking"], true);

    // A waiver still accepts a pending item; a signature satisfies the gate.
    let waived = bc(&[
        "waive",
        "blog-post",
        "--reason",
        "after launch",
        "--until",
        "2999-01-01",
        "--by",
        "bo",
    ]);
    assert_eq!(waived.code, 0, "{}", waived.stderr);
    assert_eq!(bc(&["run", "--phase", "ship", "--require-signed"]).code, 0);
    assert_eq!(bc(&["unwaive", "blog-post"]).code, 0);
    assert_eq!(bc(&["sign", "blog-post", "--by", "carol"]).code, 0);
    assert_eq!(bc(&["run", "--phase", "ship", "--require-signed"]).code, 0);

    let both = bc(&["run", "--phase", "ship", "--require-signed", "--no-manual"]);
    assert_eq!(
        both.code, 2,
        "the two contradict each other: {}",
        both.stderr
    );
}

/// Runs barkcheck inside a pseudo-terminal (util-linux `script`), as a person at a terminal
/// would, with the harness's safe environment; returns everything the terminal showed.
fn at_terminal(dir: &Path, endpoint: &str, env: &[(&str, &str)], args: &[&str]) -> Ran {
    let template = barkcheck(dir, endpoint);
    let mut line = format!(
        "stty cols 160 rows 50; exec '{}'",
        template.get_program().to_string_lossy()
    );
    for arg in args {
        line.push_str(&format!(" '{arg}'"));
    }
    let mut command = Command::new("script");
    command
        .args(["-qec", &line, "/dev/null"])
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::null());
    for (name, value) in template.get_envs() {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    ran(command.output().expect("run script(1)"))
}

/// The start of the escape sequence that colours text (comfy-table's, through crossterm).
const COLOUR: &str = "\u{1b}[38;5;";

#[test]
fn a_terminal_gets_a_progress_line_and_colours_and_a_pipe_gets_neither() {
    let standin = StandIn::start("gaps");
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "run",
        "--phase",
        "pre-deploy",
        "--section",
        "database-setup",
    ];
    let checks = bundled_ids("pre-deploy", |e| {
        e.section.id == "database-setup" && e.item.check.is_some()
    })
    .len();

    let terminal = at_terminal(dir.path(), &standin.url, &[], &args);
    assert_eq!(terminal.code, 1, "{}", terminal.stdout);
    assert!(
        terminal
            .stdout
            .contains(&format!("checking {checks}/{checks} …")),
        "no progress line in:\n{}",
        terminal.stdout
    );
    assert!(terminal.stdout.contains(COLOUR), "no colour at a terminal");
    assert!(terminal.stdout.contains("FAIL"));

    let no_color = at_terminal(dir.path(), &standin.url, &[("NO_COLOR", "1")], &args);
    assert!(!no_color.stdout.contains(COLOUR), "NO_COLOR is respected");
    assert!(
        no_color.stdout.contains("checking "),
        "progress is not colour"
    );
    let never = at_terminal(
        dir.path(),
        &standin.url,
        &[],
        &[&args[..], &["--color", "never"]].concat(),
    );
    assert!(!never.stdout.contains(COLOUR), "--color never");

    let piped = run_full(dir.path(), &standin.url, &args);
    assert_eq!(piped.code, 1);
    assert!(
        !piped.stderr.contains("checking"),
        "no progress into a pipe: {}",
        piped.stderr
    );
    assert!(!piped.stdout.contains('\u{1b}'), "no escapes into a pipe");
    let forced = run_full(
        dir.path(),
        &standin.url,
        &[&args[..], &["--color", "always"]].concat(),
    );
    assert!(
        forced.stdout.contains(COLOUR),
        "--color always colours a pipe too"
    );
    let json = run_full(
        dir.path(),
        &standin.url,
        &[&args[..], &["--format", "json", "--color", "always"]].concat(),
    );
    json.json();
}
