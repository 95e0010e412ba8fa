//! Secrets never appear in what barkcheck writes: a known secret is planted in every place the
//! tool reads credentials from, and everything it wrote is searched for it.

use crate::harness::{StandIn, barkcheck, ran};

const SECRET_KEY: &str = "plantedSecretKey0123456789abcdefghijKLMNOP";
const SESSION_TOKEN: &str = "plantedSessionTokenZYXWVUTSRQ9876543210";
const PROFILE_SECRET: &str = "plantedProfileSecretQWERTYUIOPasdfghjkl";

#[test]
fn planted_credentials_appear_nowhere_in_output_state_or_history() {
    let standin = StandIn::start("gaps");
    // A denied call and a failing one, so that error paths are searched too.
    standin.faults(serde_json::json!([
        {"service": "monitoring", "operation": "DescribeAlarms", "status": 403, "code": "AccessDenied"},
        {"service": "rds", "operation": "DescribeDBInstances", "status": 500, "code": "InternalFailure"},
    ]));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("credentials"),
        format!("[prod]\naws_access_key_id = PRODKEY\naws_secret_access_key = {PROFILE_SECRET}\n"),
    )
    .unwrap();
    std::fs::write(d.join("config"), "[profile prod]\nregion = us-east-1\n").unwrap();

    let mut written = String::new();
    for args in [
        vec!["run", "--phase", "pre-deploy"],
        vec!["run", "--phase", "pre-deploy", "--format", "json"],
        vec![
            "--profile",
            "prod",
            "run",
            "--phase",
            "deploy",
            "--format",
            "json",
        ],
        vec!["--profile", "nope", "run", "--phase", "deploy"],
        vec![
            "sign",
            "code-freeze-implemented",
            "--by",
            "alice",
            "--note",
            "checked",
        ],
        vec!["status"],
        vec!["log"],
        vec!["verify"],
    ] {
        let result = ran(barkcheck(d, &standin.url)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
            .env("AWS_CONFIG_FILE", d.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", d.join("credentials"))
            .args(&args)
            .output()
            .unwrap());
        written.push_str(&result.stdout);
        written.push_str(&result.stderr);
    }
    for entry in std::fs::read_dir(d.join(".barkcheck")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            written.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    assert!(
        written.contains("DescribeAlarms failed"),
        "the error paths were exercised"
    );
    assert!(written.len() > 10_000, "the runs wrote their reports");
    for secret in [SECRET_KEY, SESSION_TOKEN, PROFILE_SECRET] {
        assert!(
            !written.contains(secret),
            "a planted secret leaked into barkcheck's output"
        );
        assert!(
            !written.contains(&secret[..16]),
            "part of a planted secret leaked"
        );
    }
}
