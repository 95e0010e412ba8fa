//! The test harness: the AWS stand-in (a moto server behind barkcheck's bridge, on loopback),
//! a builder for barkcheck command lines, and small helpers to read what barkcheck printed.
//!
//! Network safety: every barkcheck process gets dummy credentials, a loopback endpoint and
//! `AWS_EC2_METADATA_DISABLED=true`, a HOME of its own (so no real ~/.aws is read), a DNS
//! server on loopback for its probes, and an environment cleared of anything else; nothing here
//! talks to a host other than 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value as Json;

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python of the stand-in's venv (`scripts/standin-venv` makes it; `scripts/test` runs it).
pub fn standin_python() -> PathBuf {
    if let Some(python) = std::env::var_os("BARKCHECK_STANDIN_PYTHON") {
        return PathBuf::from(python);
    }
    let python = repo().join(".venv/standin/bin/python");
    assert!(
        python.exists(),
        "the AWS stand-in's venv is missing: run scripts/standin-venv (scripts/test does it)"
    );
    python
}

/// A running stand-in: moto in server mode behind barkcheck's CBOR bridge and fault injector.
pub struct StandIn {
    child: Child,
    /// Held open: the stand-in exits when it sees end of input, so it dies with the test.
    _stdin: ChildStdin,
    pub url: String,
    port: u16,
}

impl StandIn {
    /// Starts a stand-in on a free loopback port, seeded with `profile` (compliant, gaps, empty).
    pub fn start(profile: &str) -> StandIn {
        let mut child = Command::new(standin_python())
            .arg(repo().join("standin/standin.py"))
            .args(["--port", "0", "--seed", profile, "--exit-on-stdin-eof"])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the stand-in");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("READY ") => break line[6..].trim().to_string(),
                Some(Ok(_)) => continue,
                _ => panic!("the stand-in exited before it was ready"),
            }
        };
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "stand-in must be on loopback: {url}"
        );
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        StandIn {
            child,
            _stdin: stdin,
            url,
            port,
        }
    }

    /// Resets the stand-in and seeds another profile.
    pub fn seed(&self, profile: &str) {
        let (status, body) =
            self.request("POST", &format!("/barkcheck/seed?profile={profile}"), "");
        assert_eq!(status, 200, "seeding {profile}: {body}");
    }

    /// Replaces the fault rules (see standin/README.md).
    pub fn faults(&self, rules: Json) {
        let body = serde_json::json!({ "rules": rules }).to_string();
        let (status, answer) = self.request("POST", "/barkcheck/faults", &body);
        assert_eq!(status, 200, "setting faults: {answer}");
    }

    /// Every AWS request seen since the last reset, as (service, operation).
    pub fn requests(&self) -> Vec<(String, String)> {
        let (status, body) = self.request("GET", "/barkcheck/requests", "");
        assert_eq!(status, 200, "{body}");
        let list: Json = serde_json::from_str(&body).expect("requests JSON");
        list.as_array()
            .expect("a list")
            .iter()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                (text("service"), text("operation"))
            })
            .collect()
    }

    pub fn reset_requests(&self) {
        let (status, body) = self.request("POST", "/barkcheck/requests/reset", "");
        assert_eq!(status, 200, "{body}");
    }

    /// A minimal HTTP/1.1 exchange with the stand-in's control endpoints.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to stand-in");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("timeout");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read answer");
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The web stand-in (standin/web.py): BarkBase's public endpoints on loopback for the probe
/// kinds, with a CA made at start-up, a TLS 1.0-accepting server, a silent port and a DNS
/// server. Its READY line says where everything is, and which variables aim the bundled
/// checklist's probes at it for each profile (compliant, gaps).
pub struct WebStandIn {
    child: Child,
    _stdin: ChildStdin,
    _dir: tempfile::TempDir,
    ready: Json,
}

impl WebStandIn {
    pub fn start() -> WebStandIn {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(standin_python())
            .arg(repo().join("standin/web.py"))
            .arg("--dir")
            .arg(dir.path())
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the web stand-in");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready: Json = loop {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("READY ") => {
                    break serde_json::from_str(&line[6..]).expect("READY JSON");
                }
                Some(Ok(_)) => continue,
                _ => panic!("the web stand-in exited before it was ready"),
            }
        };
        assert!(
            ready["dns_server"]
                .as_str()
                .unwrap()
                .starts_with("127.0.0.1:"),
            "the web stand-in must be on loopback: {ready}"
        );
        WebStandIn {
            child,
            _stdin: stdin,
            _dir: dir,
            ready,
        }
    }

    /// One compliant web stand-in for the tests of this process that only need the bundled
    /// checklist's probes to have somewhere to go; it exits with the process (stdin EOF).
    pub fn shared() -> &'static WebStandIn {
        static SHARED: std::sync::OnceLock<WebStandIn> = std::sync::OnceLock::new();
        SHARED.get_or_init(WebStandIn::start)
    }

    /// The port of one of its servers: https, legacy, http, silent, dns.
    pub fn port(&self, server: &str) -> u16 {
        self.ready["ports"][server].as_u64().expect("a port") as u16
    }

    /// `https://127.0.0.1:PORT` of a server, or `http://` for the plain one.
    pub fn base(&self, server: &str) -> String {
        let scheme = if server == "http" { "http" } else { "https" };
        format!("{scheme}://127.0.0.1:{}", self.port(server))
    }

    pub fn ca_cert(&self) -> String {
        self.ready["ca_cert"].as_str().expect("ca_cert").to_string()
    }

    pub fn dns_server(&self) -> String {
        self.ready["dns_server"]
            .as_str()
            .expect("dns_server")
            .to_string()
    }

    /// The `--var` flags that aim the bundled checklist's probes here, and `--ca-cert`.
    pub fn args(&self, profile: &str) -> Vec<String> {
        let mut args = Vec::new();
        for (name, value) in self.ready["profiles"][profile]
            .as_object()
            .unwrap_or_else(|| panic!("no web profile {profile}"))
        {
            args.push("--var".to_string());
            args.push(format!("{name}={}", value.as_str().expect("text")));
        }
        args.extend(["--ca-cert".to_string(), self.ca_cert()]);
        args
    }

    /// What it saw: `{"requests": [[server, method, path]], "dns": [[name, type]]}`.
    pub fn log(&self) -> Json {
        let mut stream =
            TcpStream::connect(("127.0.0.1", self.port("http"))).expect("connect to web stand-in");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        write!(
            stream,
            "GET /_log HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read answer");
        let body = answer.split_once("\r\n\r\n").expect("a body").1;
        serde_json::from_str(body).expect("log JSON")
    }
}

impl Drop for WebStandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `--var` flags that aim the bundled checklist's probes at a closed loopback port.
pub fn closed_probe_args() -> Vec<String> {
    let closed = closed_port_url().replace("http://", "");
    [
        format!("app_url=https://{closed}"),
        format!("api_url=https://{closed}"),
        format!("ws_url=wss://{closed}"),
    ]
    .into_iter()
    .flat_map(|var| ["--var".to_string(), var])
    .collect()
}

/// A port on loopback that nothing listens on, for "the endpoint is down" cases.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A barkcheck command in `dir`, with a safe environment aimed at `endpoint`.
pub fn barkcheck(dir: &Path, endpoint: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_barkcheck"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", endpoint)
        // Probes resolve names only through a loopback server that knows no name, unless a test
        // names its own: a checklist's real host names never reach a real resolver, and a probe
        // of one fails at once instead of waiting out a silent port.
        .env("BARKCHECK_DNS_SERVER", nxdomain_dns_server())
        .env("USER", "tester")
        .stdin(Stdio::null());
    command
}

/// A DNS server on loopback that answers every query "no such name" (NXDOMAIN), shared by the
/// tests of this process.
pub fn nxdomain_dns_server() -> String {
    static SERVER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SERVER
        .get_or_init(|| {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a DNS socket");
            let address = socket.local_addr().expect("DNS address").to_string();
            std::thread::spawn(move || {
                let mut buffer = [0u8; 1500];
                while let Ok((size, peer)) = socket.recv_from(&mut buffer) {
                    if size < 12 {
                        continue;
                    }
                    // The query itself, turned into an answer: QR set, opcode and RD kept,
                    // RA set, RCODE 3; no answer, authority or additional records.
                    // Header and the question only (an EDNS record of the query is dropped).
                    let mut end = 12;
                    while end < size && buffer[end] != 0 {
                        end += 1 + usize::from(buffer[end]);
                    }
                    let end = (end + 5).min(size);
                    let mut answer = buffer[..end].to_vec();
                    answer[2] = 0x80 | (buffer[2] & 0x79);
                    answer[3] = 0x80 | 0x03;
                    answer[4..6].copy_from_slice(&[0, 1]);
                    answer[6..12].fill(0);
                    let _ = socket.send_to(&answer, peer);
                }
            });
            address
        })
        .clone()
}

/// Runs barkcheck like `run`, with the bundled checklist's non-AWS parts aimed at compliant
/// local stand-ins: the database and checkout of the shared local stand-in, and for a `run`
/// command the shared web stand-in's endpoints and `--allow-commands` (its npm is a stand-in).
/// What these tests then see of a phase is AWS's doing.
pub fn run_full(dir: &Path, endpoint: &str, args: &[&str]) -> Ran {
    let mut command = barkcheck(dir, endpoint);
    crate::local_standin::LocalStandIn::shared().configure(&mut command);
    command.args(args);
    if args.first() == Some(&"run") {
        command.args(WebStandIn::shared().args("compliant"));
        command.arg("--allow-commands");
    }
    ran(command.output().expect("run barkcheck"))
}

/// What a finished barkcheck process said.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn ran(output: Output) -> Ran {
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs barkcheck with `args` in `dir` against `endpoint`.
pub fn run(dir: &Path, endpoint: &str, args: &[&str]) -> Ran {
    ran(barkcheck(dir, endpoint)
        .args(args)
        .output()
        .expect("run barkcheck"))
}

/// The record of item `id` in a JSON run report.
pub fn item<'a>(report: &'a Json, id: &str) -> &'a Json {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in the report"))
}

/// The outcome label of item `id` in a JSON run report.
pub fn outcome(report: &Json, id: &str) -> String {
    item(report, id)["outcome"]
        .as_str()
        .expect("outcome")
        .to_string()
}

/// The comparison of `field` in item `id`'s evidence.
pub fn comparison<'a>(report: &'a Json, id: &str, field: &str) -> &'a Json {
    item(report, id)["evidence"]["comparisons"]
        .as_array()
        .unwrap_or_else(|| panic!("item {id} has no comparisons: {}", item(report, id)))
        .iter()
        .find(|c| c["field"].as_str().is_some_and(|f| f.ends_with(field)))
        .unwrap_or_else(|| panic!("item {id} compared no {field}: {}", item(report, id)))
}
