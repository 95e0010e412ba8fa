//! What barkcheck generates about itself: shell completions and man pages from the clap
//! definitions, and the JSON Schema of the checklist format, which must agree with the loader.

use barkcheck::verify::Kind;
use serde_json::Value as Json;

use crate::harness::{repo, run};

const COMMANDS: &[&str] = &[
    "run",
    "status",
    "sign",
    "walk",
    "approve",
    "waive",
    "explain",
    "iam-policy",
    "completions",
    "man",
    "schema",
    "import",
];

fn bc(args: &[&str]) -> crate::harness::Ran {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), "http://127.0.0.1:9", args)
}

#[test]
fn completions_for_each_shell_know_every_command_and_run_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let result = bc(&["completions", shell]);
        assert_eq!(result.code, 0, "{shell}: {}", result.stderr);
        for word in COMMANDS
            .iter()
            .chain(&["--require-signed", "--no-manual", "--only-automated"])
        {
            let word = word.trim_start_matches('-');
            assert!(result.stdout.contains(word), "{shell}: no `{word}`");
        }
    }
    let bash = bc(&["completions", "bash"]);
    assert!(
        bash.stdout.contains("complete -F"),
        "a bash completion function"
    );
    assert_eq!(
        bc(&["completions", "tcsh"]).code,
        2,
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_man_pages_are_roff_and_name_the_commands_and_flags() {
    let page = bc(&["man"]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    assert!(
        page.stdout.contains(".TH barkcheck 1"),
        "{}",
        &page.stdout[..200]
    );
    for command in COMMANDS {
        // roff writes hyphens as `\-`.
        let roff = command.replace('-', "\\-");
        assert!(page.stdout.contains(&roff), "no `{command}` on the page");
    }
    let run_page = bc(&["man", "run"]);
    assert_eq!(run_page.code, 0, "{}", run_page.stderr);
    assert!(
        run_page
            .stdout
            .contains(".TH barkcheck-run 1  \"barkcheck 0."),
        "{}",
        &run_page.stdout[..200]
    );
    assert!(run_page.stdout.contains("\\-\\-require\\-signed"));
    let typo = bc(&["man", "rnu"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("did you mean `run`?"),
        "{}",
        typo.stderr
    );
}

fn schema() -> Json {
    let printed = bc(&["schema"]);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    printed.json()
}

fn validator(schema: &Json) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema).expect("the schema is a valid draft 2020-12 schema")
}

/// A YAML checklist as the JSON value an editor's YAML support validates.
fn as_json(yaml: &str) -> Json {
    serde_yaml::from_str(yaml).expect("YAML")
}

#[test]
fn the_schema_accepts_the_bundled_checklist_and_names_every_kind_and_field() {
    let schema = schema();
    let bundled = std::fs::read_to_string(repo().join("checklists/barkbase-production.yaml"));
    let bundled = as_json(&bundled.unwrap());
    let validator = validator(&schema);
    let errors: Vec<String> = validator
        .iter_errors(&bundled)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "the bundled checklist is refused: {errors:?}"
    );
    // Draft 7 reads it alike: what editors that stop at draft 7 see.
    let draft7 = jsonschema::draft7::new(&schema).expect("a valid draft 7 schema");
    assert!(draft7.is_valid(&bundled));

    for kind in Kind::ALL {
        let fields = &schema["$defs"][format!("fields-{}", kind.name())]["properties"];
        for field in kind.fields() {
            assert_eq!(
                fields[field.name]["description"],
                field.doc,
                "{}",
                kind.name()
            );
        }
        assert!(schema["$defs"]["verify"]["properties"][kind.name()].is_object());
    }
}

const GOOD: &str = r#"
barkcheck: 1
name: Small
variables:
  db: barkbase-prod
phases:
  - id: pre-deploy
    title: Before
    sections:
      - id: database
        part: Infrastructure
        items:
          - id: multi-az
            text: Multi-AZ
            tags: [rds]
            verify:
              rds_instance: ${db}
              match: any
              expect:
                multi_az: true
                backup_retention_period: ">= 30"
                enabled_cloudwatch_logs_exports: {contains: postgresql}
          - id: stack-ok
            text: Stack deployed
            verify:
              cloudformation_stack: {stack_name: {starts_with: Bark}}
              expect:
                stack_status: {not: {matches: FAILED}}
                outputs.DatabaseEndpoint: {present: true}
        sections:
          - id: step-one
            title: "**Step**"
            items:
              - id: signed-by-hand
                text: Somebody looked
                blocking: false
                valid_for: 24h
        approvals: [CTO]
"#;

#[test]
fn the_schema_and_the_loader_refuse_the_same_broken_checklists() {
    let validator = validator(&schema());
    let dir = tempfile::tempdir().unwrap();
    let lint = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap();
        run(
            dir.path(),
            "http://127.0.0.1:9",
            &["--checklist", name, "lint"],
        )
    };
    assert!(
        validator.is_valid(&as_json(GOOD)),
        "{:?}",
        validator.validate(&as_json(GOOD))
    );
    assert_eq!(
        lint("good.yaml", GOOD).code,
        0,
        "{}",
        lint("good.yaml", GOOD).stderr
    );

    let broken = [
        (
            "a misspelt field",
            "            verify:\n",
            "            verfy:\n",
        ),
        (
            "an unknown kind",
            "rds_instance: ${db}",
            "rds_instanc: ${db}",
        ),
        ("an unknown field", "multi_az: true", "multi_azz: true"),
        (
            "two kinds",
            "              match: any\n",
            "              log_group: x\n",
        ),
        ("a bad match", "match: any", "match: some"),
        ("an id with capitals", "id: multi-az", "id: Multi-AZ"),
        (
            "an unknown operator",
            "{contains: postgresql}",
            "{includes: postgresql}",
        ),
        ("a missing text", "            text: Stack deployed\n", ""),
        (
            "a step with approvals",
            "                valid_for: 24h\n",
            "                valid_for: 24h\n            approvals: [CEO]\n",
        ),
        (
            "a blocking that is not a boolean",
            "blocking: false",
            "blocking: sometimes",
        ),
        (
            "no phases",
            "phases:\n  - id: pre-deploy",
            "stages:\n  - id: pre-deploy",
        ),
        ("another format version", "barkcheck: 1", "barkcheck: 2"),
    ];
    for (what, from, to) in broken {
        assert!(
            GOOD.contains(from),
            "{what}: `{from}` is not in the example"
        );
        let text = GOOD.replacen(from, to, 1);
        assert!(
            !validator.is_valid(&as_json(&text)),
            "the schema accepts {what}"
        );
        let linted = lint("broken.yaml", &text);
        assert_eq!(
            linted.code, 2,
            "the loader accepts {what}: {}",
            linted.stdout
        );
    }
}
