//! Local secrets, git files and commands, through the binary, on env files, git repositories
//! and programs each test makes in a temporary directory (and the bundled checklist's items on
//! standin/local.py's BarkBase checkouts).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::harness::{Ran, barkcheck, closed_port_url, comparison, item, outcome, ran};
use crate::local_standin::LocalStandIn;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Runs a one-section checklist of `items` (YAML, indented for the list) in `dir`.
fn check(dir: &Path, items: &str, env: &[(&str, &str)], extra: &[&str]) -> Ran {
    let checklist = format!(
        "barkcheck: 1\nname: Local\nphases:\n  - id: local\n    title: Local\n    sections:\n      \
         - id: checks\n        title: Checks\n        items:\n{items}"
    );
    write(&dir.join("local.yaml"), &checklist);
    let mut command = barkcheck(dir, &closed_port_url());
    for (name, value) in env {
        command.env(name, value);
    }
    command.args([
        "--checklist",
        "local.yaml",
        "run",
        "--phase",
        "local",
        "--format",
        "json",
    ]);
    command.args(extra);
    ran(command.output().expect("run barkcheck"))
}

fn git(repo: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .env_remove("GIT_DIR")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

const SECRET_ITEM: &str = "          - id: jwt
            text: JWT_SECRET is 64+ characters (base64)
            verify:
              local_secret: {name: JWT_SECRET, env_file: app/.env, previous: JWT_SECRET_OLD}
              expect:
                length: '>= 64'
                is_base64: true
                decoded_bytes: '>= 48'
                differs_from_previous: true
";

#[test]
fn a_jwt_secret_is_judged_by_length_base64_and_rotation_without_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 64 bytes in base64, as `openssl rand -base64 64` makes (joined on one line).
    let good =
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";
    let old = "B".repeat(86) + "==";
    write(
        &d.join("app/.env"),
        &format!("STAGE=prod\nJWT_SECRET={good}\nJWT_SECRET_OLD='{old}'\n"),
    );
    let pass = check(d, SECRET_ITEM, &[], &[]);
    let report = pass.json();
    assert_eq!(outcome(&report, "jwt"), "PASS", "{}", item(&report, "jwt"));
    assert_eq!(comparison(&report, "jwt", "length")["observed"], "88");
    assert_eq!(
        comparison(&report, "jwt", "decoded_bytes")["observed"],
        "64"
    );
    assert_eq!(
        item(&report, "jwt")["evidence"]["resource"],
        "local_secret JWT_SECRET"
    );
    assert_eq!(pass.code, 0);

    // Short, not base64 and the same as the old one; the environment wins over the file.
    let weak = "changeme-changeme-changeme-12345";
    let fail = check(
        d,
        SECRET_ITEM,
        &[("JWT_SECRET", weak), ("JWT_SECRET_OLD", weak)],
        &[],
    );
    let report = fail.json();
    assert_eq!(outcome(&report, "jwt"), "FAIL");
    assert_eq!(comparison(&report, "jwt", "length")["observed"], "32");
    assert_eq!(comparison(&report, "jwt", "is_base64")["observed"], "false");
    assert_eq!(
        comparison(&report, "jwt", "decoded_bytes")["observed"],
        "(absent)"
    );
    assert_eq!(
        comparison(&report, "jwt", "differs_from_previous")["observed"],
        "false"
    );
    for text in [&fail.stdout, &fail.stderr, &pass.stdout] {
        assert!(!text.contains(weak) && !text.contains(good) && !text.contains(&old));
    }

    // Neither in the environment nor in a file that cannot be read: could not tell.
    std::fs::remove_file(d.join("app/.env")).unwrap();
    let error = check(d, SECRET_ITEM, &[], &[]);
    assert_eq!(error.code, 3);
    let message = item(&error.json(), "jwt")["evidence"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("reading JWT_SECRET failed: JWT_SECRET is not in the environment, and the env file app/.env cannot be read"),
        "{message}"
    );
    assert!(
        message.ends_with("set JWT_SECRET, or the path of the env file"),
        "{message}"
    );
}

const GIT_ITEM: &str = "          - id: env-untracked
            text: Never committed to Git
            verify:
              git_file: {repo: repo, path: aws/cdk/.env}
              expect:
                tracked: false
                ever_committed: false
";

#[test]
fn an_env_file_must_be_untracked_and_absent_from_history() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = d.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    write(&repo.join(".gitignore"), ".env\n");
    write(&repo.join("aws/cdk/.env"), "JWT_SECRET=x\n");
    git(&repo, &["add", ".gitignore"]);
    git(&repo, &["commit", "-q", "-m", "ignore env files"]);
    let pass = check(d, GIT_ITEM, &[], &[]).json();
    assert_eq!(
        outcome(&pass, "env-untracked"),
        "PASS",
        "{}",
        item(&pass, "env-untracked")
    );

    // Committed once, then untracked: still in history.
    git(&repo, &["add", "-f", "aws/cdk/.env"]);
    git(&repo, &["commit", "-q", "-m", "oops"]);
    let tracked = check(d, GIT_ITEM, &[], &[]).json();
    assert_eq!(
        comparison(&tracked, "env-untracked", "tracked")["observed"],
        "true"
    );
    git(&repo, &["rm", "-q", "--cached", "aws/cdk/.env"]);
    git(&repo, &["commit", "-q", "-m", "untrack"]);
    let history = check(d, GIT_ITEM, &[], &[]).json();
    assert_eq!(outcome(&history, "env-untracked"), "FAIL");
    let evidence = &item(&history, "env-untracked")["evidence"]["comparisons"];
    assert_eq!(evidence.as_array().unwrap().len(), 1, "{evidence}");
    assert_eq!(evidence[0]["field"], "ever_committed");
    assert_eq!(evidence[0]["observed"], "true");

    // Not a repository: git cannot tell.
    std::fs::remove_dir_all(repo.join(".git")).unwrap();
    let error = check(d, GIT_ITEM, &[], &[]);
    assert_eq!(error.code, 3);
    let message = item(&error.json(), "env-untracked")["evidence"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with(
            "git ls-files in repo failed: git exited 128: fatal: not a git repository"
        ),
        "{message}"
    );
}

const COMMANDS: &str = "          - id: echo
            text: echo says hello
            verify:
              command: {argv: [/bin/echo, hello, world]}
              expect:
                exit_code: 0
                stdout: {contains: hello world}
          - id: exit-false
            text: false succeeds
            verify:
              command: {argv: [/bin/false]}
              expect:
                exit_code: 0
          - id: sleep
            text: sleep is quick
            verify:
              command: {argv: [sleep, '5'], timeout: 1}
              expect:
                exit_code: 0
          - id: missing
            text: a program that is not there
            verify:
              command: {argv: [barkcheck-no-such-program]}
              expect:
                exit_code: 0
          - id: audit
            text: npm audit finds nothing high or critical
            verify:
              command: {argv: [./fake-npm, audit, --json], json: true}
              expect:
                exit_code: {one_of: [0, 1]}
                json.error: {present: false}
                json.metadata.vulnerabilities.high: 0
                json.metadata.vulnerabilities.critical: 0
          - id: environment
            text: the program sees no secret
            verify:
              command: {argv: [env], env: [PASSED_TOKEN]}
              expect:
                stdout: {contains: PASSED_TOKEN=}
";

#[test]
fn commands_run_only_when_allowed_and_are_judged_on_exit_code_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        &d.join("fake-npm"),
        "#!/bin/sh\ncat <<'JSON'\n{\"auditReportVersion\": 2, \"metadata\": {\"vulnerabilities\": \
         {\"low\": 3, \"high\": 2, \"critical\": 0, \"total\": 5}}}\nJSON\nexit 1\n",
    );
    Command::new("chmod")
        .args(["+x"])
        .arg(d.join("fake-npm"))
        .status()
        .unwrap();
    let env = [
        ("BARKCHECK_TOKEN", "hidden-Token-value-71"),
        ("PASSED_TOKEN", "passed-Token-value-72"),
    ];

    // Not allowed: every command item is SKIPPED and says how to allow it; nothing ran.
    let skipped = check(d, COMMANDS, &env, &[]);
    let report = skipped.json();
    for id in [
        "echo",
        "exit-false",
        "sleep",
        "missing",
        "audit",
        "environment",
    ] {
        assert_eq!(outcome(&report, id), "SKIPPED", "{}", item(&report, id));
    }
    assert_eq!(item(&report, "echo")["not_run"], true);
    assert_eq!(
        skipped.code, 1,
        "checks that were not run keep the phase from being ready"
    );
    let message = item(&report, "echo")["evidence"]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("barkcheck run --allow-commands")
            && message.contains("/bin/echo hello world"),
        "{message}"
    );

    let started = Instant::now();
    let result = check(d, COMMANDS, &env, &["--allow-commands"]);
    let elapsed = started.elapsed();
    let report = result.json();
    assert_eq!(
        outcome(&report, "echo"),
        "PASS",
        "{}",
        item(&report, "echo")
    );
    assert_eq!(
        item(&report, "echo")["evidence"]["resource"],
        "command /bin/echo hello world"
    );
    assert_eq!(
        comparison(&report, "exit-false", "exit_code")["observed"],
        "1"
    );

    // The timeout kills the program; the run does not wait the 5 s out.
    assert_eq!(outcome(&report, "sleep"), "ERROR");
    assert_eq!(
        item(&report, "sleep")["evidence"]["message"],
        "command `sleep 5` failed: did not finish within 1 s and was killed"
    );
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert_eq!(
        item(&report, "missing")["evidence"]["message"],
        "command `barkcheck-no-such-program` failed: barkcheck-no-such-program is not installed (or not on PATH)"
    );

    // JSON output: the counts are compared as numbers.
    assert_eq!(outcome(&report, "audit"), "FAIL");
    let high = comparison(&report, "audit", "json.metadata.vulnerabilities.high");
    assert_eq!(
        (high["expected"].as_str(), high["observed"].as_str()),
        (Some("= 0"), Some("2"))
    );

    // The program gets only the variables it names, and their values are masked.
    assert_eq!(
        outcome(&report, "environment"),
        "PASS",
        "{}",
        item(&report, "environment")
    );
    assert!(
        !result.stdout.contains("hidden-Token-value-71"),
        "{}",
        result.stdout
    );
    assert!(
        !result.stdout.contains("BARKCHECK_TOKEN"),
        "{}",
        result.stdout
    );
    assert!(
        !result.stdout.contains("passed-Token-value-72"),
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("PASSED_TOKEN=[masked]"),
        "{}",
        result.stdout
    );
    assert_eq!(
        result.code, 3,
        "the timeout and the missing program could not be verified"
    );
}

#[test]
fn a_shell_string_or_a_connection_string_is_refused_at_load_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let items = "          - id: shell
            text: a shell line
            verify:
              command: {argv: npm audit --json | grep high}
              expect:
                exit_code: 0
          - id: url
            text: a connection string in the checklist
            verify:
              postgres_table: {database_url: 'postgresql://app:Hunter2-secret@db/app', table: Pet}
              expect:
                exists: true
          - id: wrong-key
            text: a misspelt key
            verify:
              postgres_index: {database_url: 'env:DB', tabel: Pet}
              expect:
                valid: true
";
    let result = check(d, items, &[], &[]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    let err = &result.stderr;
    assert!(
        err.contains("local.yaml:13:31: command: `argv` is a list like [npm, audit, --json]"),
        "{err}"
    );
    assert!(
        err.contains(
            "local.yaml:19:46: postgres_table: `database_url` says where the connection string is"
        ),
        "{err}"
    );
    assert!(!err.contains("Hunter2-secret"), "{err}");
    assert!(
        err.contains("local.yaml:25:56: postgres_index: unknown key `tabel`"),
        "{err}"
    );
}

#[test]
fn the_bundled_secret_git_and_npm_items_decide_a_barkbase_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let ids = [
        "jwt-secret-64-characters",
        "never-committed-git",
        "dependencies-scanned",
    ];
    let mut reports: Vec<Json> = Vec::new();
    for profile in ["compliant", "gaps"] {
        let local = LocalStandIn::start(profile, "Pw-checkout-4410", true);
        let mut command = barkcheck(dir.path(), &closed_port_url());
        local.configure(&mut command);
        command.args([
            "run",
            "--phase",
            "pre-deploy",
            "--format",
            "json",
            "--allow-commands",
        ]);
        reports.push(ran(command.output().unwrap()).json());
    }
    for id in ids {
        assert_eq!(
            outcome(&reports[0], id),
            "PASS",
            "{}",
            item(&reports[0], id)
        );
        assert_eq!(
            outcome(&reports[1], id),
            "FAIL",
            "{}",
            item(&reports[1], id)
        );
    }
    assert_eq!(
        comparison(
            &reports[0],
            "dependencies-scanned",
            "json.metadata.vulnerabilities.critical"
        )["observed"],
        "0"
    );
    assert_eq!(
        comparison(&reports[1], "jwt-secret-64-characters", "length")["observed"],
        "32"
    );
    assert_eq!(
        comparison(&reports[1], "never-committed-git", "tracked")["observed"],
        "true"
    );
    assert!(
        comparison(&reports[1], "dependencies-scanned", "json.error")["observed"]
            .as_str()
            .unwrap()
            .contains("ENOLOCK")
    );
}
