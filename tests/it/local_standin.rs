//! The local stand-in (standin/local.py): a real PostgreSQL server on 127.0.0.1 seeded with a
//! BarkBase schema, and optionally a BarkBase checkout (git, aws/cdk/.env, a stand-in npm).
//!
//! Each test that needs its own server starts one; tests of the bundled checklist's AWS items
//! share one compliant instance, so that the database, secret and command items of the same
//! phases are decided too rather than left in ERROR.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::harness::{repo, standin_python};

pub struct LocalStandIn {
    child: Child,
    /// Held open: local.py stops its server when its input closes, so it dies with the test.
    stdin: Option<ChildStdin>,
    /// The connection string, with the password and `sslrootcert`.
    pub url: String,
    pub port: u16,
    pub password: String,
    /// The CA that signed the server's certificate.
    pub ca_file: PathBuf,
    /// Checklist variables for the checkout (`app_repo`, `npm`), when there is one.
    pub vars: Vec<(String, String)>,
}

impl LocalStandIn {
    /// Starts a server seeded with `profile` (compliant, gaps) whose `barkcheck` user logs in
    /// with `password`; with `checkout`, a BarkBase checkout of the same profile too.
    pub fn start(profile: &str, password: &str, checkout: bool) -> LocalStandIn {
        let mut command = Command::new(standin_python());
        command
            .arg(repo().join("standin/local.py"))
            .args(["--profile", profile, "--exit-on-stdin-eof"])
            .env("BARKCHECK_PG_PASSWORD", password)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if checkout {
            command.arg("--checkout");
        }
        let mut child = command.spawn().expect("start standin/local.py");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready: Json = loop {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("READY ") => {
                    break serde_json::from_str(&line[6..]).expect("READY json");
                }
                Some(Ok(_)) => continue,
                _ => {
                    panic!("standin/local.py exited before it was ready (is PostgreSQL installed?)")
                }
            }
        };
        let text = |k: &str| ready[k].as_str().expect(k).to_string();
        let url = text("url");
        assert!(
            url.contains("@127.0.0.1:"),
            "the server must be on loopback"
        );
        let vars = ready["vars"]
            .as_object()
            .expect("vars")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        LocalStandIn {
            child,
            stdin: Some(stdin),
            url,
            port: ready["port"].as_u64().expect("port") as u16,
            password: password.to_string(),
            ca_file: PathBuf::from(text("ca_file")),
            vars,
        }
    }

    /// One compliant server and checkout shared by the tests of the bundled checklist's AWS
    /// items; it stops when the test binary exits (its input closes).
    pub fn shared() -> &'static LocalStandIn {
        static SHARED: OnceLock<LocalStandIn> = OnceLock::new();
        SHARED.get_or_init(|| LocalStandIn::start("compliant", "shared-Pw-5d1c8a", true))
    }

    /// Aims a barkcheck command at this stand-in: the connection string in the environment and
    /// `--var` flags for the checkout.
    pub fn configure(&self, command: &mut Command) {
        command.env("BARKCHECK_DATABASE_URL", &self.url);
        for (name, value) in &self.vars {
            command.arg("--var").arg(format!("{name}={value}"));
        }
    }

    /// The server's log (it logs each connection).
    pub fn server_log(&self) -> String {
        let path = self.ca_file.parent().expect("folder").join("server.log");
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The connection string with another password.
    pub fn url_with_password(&self, password: &str) -> String {
        self.url
            .replacen(&format!(":{}@", self.password), &format!(":{password}@"), 1)
    }
}

impl Drop for LocalStandIn {
    fn drop(&mut self) {
        // Closing its input (not killing it) lets local.py stop PostgreSQL and remove its folder.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
