//! `barkcheck run --target/--all-targets` over the wire: two targets of one vars file, in two
//! regions of the AWS stand-in, checked at once, each result labelled with its target.

use serde_json::Value as Json;

use crate::harness::{StandIn, run};

const FLEET: &str = "\
db_instance_id: barkbase-prod
targets:
  east: {region: us-east-1}
  west: {region: us-west-2, vars: {db_instance_id: barkbase-west}}
";

fn target<'a>(report: &'a Json, name: &str) -> &'a Json {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == name)
        .unwrap_or_else(|| panic!("no target {name} in {report}"))
}

fn outcome_in(target: &Json, id: &str) -> String {
    let item = target["report"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {target}"));
    item["outcome"].as_str().unwrap().to_string()
}

#[test]
fn every_target_is_checked_in_its_own_region_and_labelled() {
    // Only us-east-1 is seeded: the west target's region has no database at all.
    let standin = StandIn::start("compliant");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("fleet.yaml"), FLEET).unwrap();
    let base = [
        "--vars",
        "fleet.yaml",
        "run",
        "--phase",
        "pre-deploy",
        "--item",
        "rds-multi-az",
    ];

    let json = run(
        d,
        &standin.url,
        &[&base[..], &["--all-targets", "--format", "json"]].concat(),
    );
    assert_eq!(json.code, 1, "west is not ready: {}", json.stderr);
    let report = json.json();
    let names: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["east", "west"], "the file's order");
    let east = target(&report, "east");
    assert_eq!(east["region"], "us-east-1");
    assert_eq!(east["exit_code"], 0);
    assert_eq!(east["report"]["environment"], "east");
    assert_eq!(outcome_in(east, "rds-multi-az"), "PASS");
    let west = target(&report, "west");
    assert_eq!(west["exit_code"], 1);
    assert_eq!(outcome_in(west, "rds-multi-az"), "FAIL");
    let evidence = west["report"]["items"][0]["evidence"].to_string();
    assert!(
        evidence.contains("barkbase-west"),
        "its own variables: {evidence}"
    );

    // The table labels each target's result, in the order the targets were given.
    let table = run(
        d,
        &standin.url,
        &[&base[..], &["--target", "west", "--target", "east"]].concat(),
    );
    assert_eq!(table.code, 1, "{}", table.stderr);
    let west_at = table.stdout.find("━━ target west (region us-west-2) ━━");
    let east_at = table.stdout.find("━━ target east (region us-east-1) ━━");
    assert!(west_at.is_some() && east_at.is_some(), "{}", table.stdout);
    assert!(west_at < east_at, "{}", table.stdout);

    // A misspelt target is an error with a suggestion, and nothing runs.
    let wrong = run(
        d,
        &standin.url,
        &[&base[..], &["--target", "wset"]].concat(),
    );
    assert_eq!(wrong.code, 2);
    assert!(
        wrong.stderr.contains("did you mean `west`?"),
        "{}",
        wrong.stderr
    );
    let no_file = run(
        d,
        &standin.url,
        &["run", "--phase", "pre-deploy", "--all-targets"],
    );
    assert_eq!(no_file.code, 2);
    assert!(
        no_file.stderr.contains("need --vars FILE"),
        "{}",
        no_file.stderr
    );
}

#[test]
fn a_bad_target_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("fleet.yaml"),
        "targets:\n  east: {region: us-east-1, acount: 1}\n  west: {region: 5}\n",
    )
    .unwrap();
    let ran = run(
        d,
        "http://127.0.0.1:9",
        &[
            "--vars",
            "fleet.yaml",
            "run",
            "--phase",
            "pre-deploy",
            "--all-targets",
        ],
    );
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("fleet.yaml:2:")
            && ran
                .stderr
                .contains("unknown field `acount` of target `east`"),
        "{}",
        ran.stderr
    );
}
