//! The PostgreSQL kinds over the wire against a real server (standin/local.py: Debian's
//! PostgreSQL on 127.0.0.1, TLS with a CA made at test time, a SCRAM password): the bundled
//! checklist's database items PASS on the compliant schema, FAIL with evidence on the gaps
//! schema, and end in ERROR, naming only the host and port, when the database cannot be reached.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::harness::{Ran, barkcheck, closed_port_url, comparison, item, outcome, ran};
use crate::local_standin::LocalStandIn;

/// The bundled checklist's database items, by phase.
const PRE_DEPLOY: &[&str] = &[
    "verify-petowner-table-has-tenantid",
    "verify-checkin-table-has-tenantid",
    "verify-checkout-table-has-tenantid",
    "add-index-checkin",
    "add-index-checkout",
    "add-index-petowner",
    "run-analyze-update-query-planner",
];
const DEPLOY: &[&str] = &["tables-verified", "indexes-created", "foreign-keys-intact"];

/// Runs barkcheck with `url` (if any) as BARKCHECK_DATABASE_URL; AWS calls go to a closed port,
/// which the database items never need.
fn run_with(dir: &Path, url: Option<&str>, args: &[&str]) -> Ran {
    let mut command = barkcheck(dir, &closed_port_url());
    if let Some(url) = url {
        command.env("BARKCHECK_DATABASE_URL", url);
    }
    ran(command.args(args).output().expect("run barkcheck"))
}

fn phase(dir: &Path, url: Option<&str>, phase: &str) -> Json {
    run_with(dir, url, &["run", "--phase", phase, "--format", "json"]).json()
}

fn custom(dir: &Path, url: Option<&str>, checklist: &str, extra: &[&str]) -> Ran {
    std::fs::write(dir.join("db.yaml"), checklist).unwrap();
    let mut args = vec![
        "--checklist",
        "db.yaml",
        "run",
        "--phase",
        "db",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    run_with(dir, url, &args)
}

const SERVER_CHECKLIST: &str = "\
barkcheck: 1
name: Database
variables:
  database_url: env:BARKCHECK_DATABASE_URL
phases:
  - id: db
    title: Database
    sections:
      - id: tls
        title: TLS
        items:
          - id: server-tls
            text: The server speaks TLS and this session uses it
            verify:
              postgres_server: ${database_url}
              expect:
                ssl: true
                session_encrypted: true
                tls_version: {starts_with: TLSv1.}
          - id: checkout-fks
            text: CheckOut's foreign keys hold
            verify:
              postgres_foreign_key: {database_url: '${database_url}', table: CheckOut}
              match: all
              expect:
                validated: true
                referenced_table: Booking
";

#[test]
fn the_database_items_pass_on_the_compliant_schema_over_verified_tls() {
    let db = LocalStandIn::start("compliant", "Pw-compliant-71f0", false);
    let dir = tempfile::tempdir().unwrap();

    let pre = phase(dir.path(), Some(&db.url), "pre-deploy");
    for id in PRE_DEPLOY {
        assert_eq!(outcome(&pre, id), "PASS", "{}", item(&pre, id));
    }
    let index = &item(&pre, "add-index-checkin")["evidence"];
    assert_eq!(
        index["resource"],
        "postgres_index CheckIn_bookingId_checkInDate_idx"
    );
    assert_eq!(
        comparison(&pre, "add-index-checkin", "columns")["observed"],
        "[\"bookingId\",\"checkInDate\"]"
    );
    assert_eq!(
        item(&pre, "run-analyze-update-query-planner")["evidence"]["resource"],
        "3 postgres_table resources"
    );

    let deploy = phase(dir.path(), Some(&db.url), "deploy");
    for id in DEPLOY {
        assert_eq!(outcome(&deploy, id), "PASS", "{}", item(&deploy, id));
    }

    let server = custom(dir.path(), Some(&db.url), SERVER_CHECKLIST, &[]);
    let report = server.json();
    assert_eq!(
        outcome(&report, "server-tls"),
        "PASS",
        "{}",
        item(&report, "server-tls")
    );
    assert_eq!(
        item(&report, "server-tls")["evidence"]["resource"],
        format!("postgres_server 127.0.0.1:{}", db.port)
    );
    assert_eq!(
        outcome(&report, "checkout-fks"),
        "PASS",
        "{}",
        item(&report, "checkout-fks")
    );
    assert_eq!(server.code, 0, "{}", server.stderr);
}

#[test]
fn the_gaps_schema_fails_each_database_item_with_what_was_found() {
    let db = LocalStandIn::start("gaps", "Pw-gaps-0c2d", false);
    let dir = tempfile::tempdir().unwrap();
    let pre = phase(dir.path(), Some(&db.url), "pre-deploy");

    assert_eq!(outcome(&pre, "verify-petowner-table-has-tenantid"), "PASS");
    assert_eq!(
        comparison(&pre, "verify-checkout-table-has-tenantid", "columns")["observed"],
        "[\"id\",\"bookingId\",\"checkOutDate\"]"
    );
    // The index with its columns in the wrong order is shown with them.
    let checkin = &item(&pre, "add-index-checkin")["evidence"];
    assert_eq!(outcome(&pre, "add-index-checkin"), "FAIL");
    let shown = checkin["comparisons"].to_string();
    assert!(
        shown.contains("CheckIn_checkInDate_bookingId_idx: columns")
            && shown.contains("[\\\"checkInDate\\\",\\\"bookingId\\\"]"),
        "{checkin}"
    );
    assert_eq!(outcome(&pre, "add-index-checkout"), "PASS");
    assert_eq!(
        comparison(&pre, "add-index-petowner", "columns")["observed"],
        "[\"id\"]",
        "only the primary key"
    );
    // Never analyzed: every one of the three tables falls short.
    let analyze = &item(&pre, "run-analyze-update-query-planner")["evidence"];
    assert_eq!(
        analyze["resource"],
        "3 of 3 selected postgres_table resources fall short"
    );
    assert_eq!(
        comparison(
            &pre,
            "run-analyze-update-query-planner",
            "CheckIn: analyzed"
        )["observed"],
        "false"
    );

    let deploy = phase(dir.path(), Some(&db.url), "deploy");
    assert_eq!(
        comparison(
            &deploy,
            "tables-verified",
            "postgres_table CheckOut: columns"
        )["expected"],
        "contains tenantId"
    );
    assert_eq!(
        comparison(
            &deploy,
            "indexes-created",
            "indexes.PetOwner(petId, ownerId)"
        )["observed"],
        "(absent)"
    );
    assert_eq!(
        comparison(
            &deploy,
            "indexes-created",
            "indexes.CheckIn(bookingId, checkInDate)"
        )["observed"],
        "(absent)",
        "CheckIn's index is on (checkInDate, bookingId)"
    );
    let fks = &item(&deploy, "foreign-keys-intact")["evidence"];
    assert_eq!(
        fks["resource"],
        "1 of 8 selected postgres_foreign_key resources fall short"
    );
    assert_eq!(
        fks["comparisons"][0]["field"],
        "postgres_foreign_key CheckOut_bookingId_fkey: validated"
    );

    // ssl = off: the server does not offer TLS and this session is not encrypted.
    let server = custom(dir.path(), Some(&db.url), SERVER_CHECKLIST, &[]).json();
    assert_eq!(
        comparison(&server, "server-tls", "ssl")["observed"],
        "false"
    );
    assert_eq!(
        comparison(&server, "server-tls", "session_encrypted")["observed"],
        "false"
    );
    assert_eq!(outcome(&server, "checkout-fks"), "FAIL");
}

#[test]
fn without_a_database_url_every_database_item_is_an_error_that_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let says = |report: &Json, id: &str| {
        assert_eq!(outcome(report, id), "ERROR", "{}", item(report, id));
        let message = item(report, id)["evidence"]["message"].as_str().unwrap();
        assert!(
            message.contains("BARKCHECK_DATABASE_URL is not set: set BARKCHECK_DATABASE_URL"),
            "{message}"
        );
    };
    for (phase, ids) in [("pre-deploy", PRE_DEPLOY), ("deploy", DEPLOY)] {
        let result = run_with(
            dir.path(),
            None,
            &["run", "--phase", phase, "--format", "json"],
        );
        assert_eq!(result.code, 3, "could not verify");
        let report = result.json();
        for id in ids {
            says(&report, id);
        }
    }
    let server = custom(dir.path(), None, SERVER_CHECKLIST, &[]);
    assert_eq!(server.code, 3);
    says(&server.json(), "server-tls");
}

#[test]
fn an_unreachable_or_refusing_database_is_an_error_naming_only_host_and_port() {
    let db = LocalStandIn::start("compliant", "Pw-right-9a7e", false);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Nothing listens.
    let closed = closed_port_url();
    let port = closed.rsplit(':').next().unwrap();
    let url = format!("postgresql://barkcheck:Pw-right-9a7e@127.0.0.1:{port}/barkbase_prod");
    let report = phase(d, Some(&url), "deploy");
    let message = item(&report, "tables-verified")["evidence"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        message,
        format!("PostgreSQL at 127.0.0.1:{port} failed: connection refused")
    );

    // A wrong password: the login is refused, and neither password shows.
    let wrong = db.url_with_password("Pw-wrong-3b44");
    let result = run_with(
        d,
        Some(&wrong),
        &["run", "--phase", "deploy", "--format", "json"],
    );
    assert_eq!(result.code, 3);
    let message = item(&result.json(), "indexes-created")["evidence"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with(&format!(
            "PostgreSQL at 127.0.0.1:{} failed: the login was refused",
            db.port
        )),
        "{message}"
    );
    for secret in ["Pw-wrong-3b44", "Pw-right-9a7e", "barkcheck:"] {
        assert!(!result.stdout.contains(secret) && !result.stderr.contains(secret));
    }

    // The server's certificate is verified: without its CA (sslrootcert) the handshake fails.
    let unverified = db.url.split("&sslrootcert=").next().unwrap().to_string();
    let report = phase(d, Some(&unverified), "deploy");
    let message = item(&report, "foreign-keys-intact")["evidence"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("certificate"), "{message}");
    assert_eq!(outcome(&report, "foreign-keys-intact"), "ERROR");

    // A server that accepts the connection and never answers: the connect timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let url = format!("postgresql://barkcheck:x@127.0.0.1:{silent_port}/barkbase_prod");
    let started = Instant::now();
    let result = run_with(
        d,
        Some(&url),
        &[
            "run",
            "--phase",
            "deploy",
            "--format",
            "json",
            "--database-timeout",
            "1",
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let message = item(&result.json(), "tables-verified")["evidence"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.ends_with("no answer within 1 s"), "{message}");
    drop(silent);
}

#[test]
fn a_run_opens_one_connection_whatever_the_number_of_database_items() {
    let db = LocalStandIn::start("compliant", "Pw-once-e3a1", false);
    let dir = tempfile::tempdir().unwrap();
    let count = |log: &str| log.matches("connection authorized: user=barkcheck").count();
    let before = count(&db.server_log());
    let report = phase(dir.path(), Some(&db.url), "pre-deploy");
    assert_eq!(outcome(&report, "run-analyze-update-query-planner"), "PASS");
    // The server writes its log line as the session starts; give the file a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(&db.server_log()) == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        count(&db.server_log()) - before,
        1,
        "7 database items, one connection"
    );
}

#[test]
fn neither_the_database_password_nor_the_jwt_secret_appears_in_output_or_state() {
    const PASSWORD: &str = "Pw-planted-Zq81xv";
    const JWT: &str =
        "cGxhbnRlZC1qd3Qtc2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tcGFzcy1jaGVja3Mh";
    let db = LocalStandIn::start("compliant", PASSWORD, true);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let state = d.join("state.json");
    let mut outputs = Vec::new();
    for (phase, format) in [
        ("pre-deploy", "json"),
        ("pre-deploy", "table"),
        ("deploy", "json"),
    ] {
        let mut command = barkcheck(d, &closed_port_url());
        db.configure(&mut command);
        command.env("JWT_SECRET", JWT).args([
            "--state",
            state.to_str().unwrap(),
            "run",
            "--phase",
            phase,
            "--format",
            format,
            "--allow-commands",
        ]);
        let result = ran(command.output().unwrap());
        outputs.push(result.stdout.clone() + &result.stderr);
        if format == "json" && phase == "pre-deploy" {
            let report = result.json();
            assert_eq!(outcome(&report, "jwt-secret-64-characters"), "PASS");
            assert_eq!(outcome(&report, "add-index-petowner"), "PASS");
        }
    }
    // The string given where a source belongs is refused without being repeated.
    let misuse = run_with(
        d,
        None,
        &[
            "--var",
            &format!("database_url={}", db.url),
            "run",
            "--phase",
            "deploy",
        ],
    );
    assert_eq!(misuse.code, 2);
    outputs.push(misuse.stdout + &misuse.stderr);
    // And with the password wrong in the one place it is given.
    let wrong = run_with(
        d,
        Some(&db.url_with_password(JWT)),
        &["run", "--phase", "deploy"],
    );
    outputs.push(wrong.stdout + &wrong.stderr);

    let mut saved = String::new();
    std::fs::File::open(&state)
        .unwrap()
        .read_to_string(&mut saved)
        .unwrap();
    outputs.push(saved);
    for (i, text) in outputs.iter().enumerate() {
        for secret in [PASSWORD, JWT] {
            assert!(!text.contains(secret), "output {i} shows a secret:\n{text}");
        }
    }
}

/// Stores a secret in the AWS stand-in, as an operator would with `aws secretsmanager`.
fn put_secret(endpoint: &str, name: &str, value: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let credentials = aws_sdk_secretsmanager::config::Credentials::new(
            "testing", "testing", None, None, "test",
        );
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(credentials)
            .load()
            .await;
        aws_sdk_secretsmanager::Client::new(&config)
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .expect("create the secret");
    });
}

#[test]
fn a_connection_string_in_secrets_manager_is_read_once_with_the_runs_aws_settings() {
    let aws = crate::harness::StandIn::start("empty");
    let db = LocalStandIn::start("compliant", "Pw-secret-c0de", false);
    put_secret(&aws.url, "barkbase/prod/database-url", &db.url);
    // RDS's JSON form; the CA comes from PGSSLROOTCERT, as with psql.
    let rds = format!(
        r#"{{"engine":"postgres","host":"127.0.0.1","port":{},"username":"barkcheck","password":"Pw-secret-c0de","dbname":"barkbase_prod","sslmode":"verify-full"}}"#,
        db.port
    );
    put_secret(&aws.url, "barkbase/prod/rds", &rds);
    let dir = tempfile::tempdir().unwrap();

    for secret in ["barkbase/prod/database-url", "barkbase/prod/rds"] {
        aws.reset_requests();
        let mut command = barkcheck(dir.path(), &aws.url);
        command.env("PGSSLROOTCERT", &db.ca_file).args([
            "--var",
            &format!("database_url=secret:{secret}"),
            "run",
            "--phase",
            "deploy",
            "--format",
            "json",
        ]);
        let result = ran(command.output().unwrap());
        let report = result.json();
        for id in DEPLOY {
            assert_eq!(
                outcome(&report, id),
                "PASS",
                "{secret}: {}",
                item(&report, id)
            );
        }
        assert!(!result.stdout.contains("Pw-secret-c0de"));
        let reads: Vec<(String, String)> = aws
            .requests()
            .into_iter()
            .filter(|(_, op)| op == "GetSecretValue")
            .collect();
        assert_eq!(reads.len(), 1, "one read of the secret per run: {reads:?}");
    }

    let mut command = barkcheck(dir.path(), &aws.url);
    command.args([
        "--var",
        "database_url=secret:barkbase/prod/nothing",
        "run",
        "--phase",
        "deploy",
        "--format",
        "json",
    ]);
    let report = ran(command.output().unwrap()).json();
    let message = item(&report, "foreign-keys-intact")["evidence"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("GetSecretValue failed: ResourceNotFoundException"),
        "{message}"
    );
}
