//! `barkcheck run` with the probe kinds (http, http_latency, tls, websocket, dns) over the wire
//! against the web stand-in (standin/web.py) on loopback: for each kind a PASS, a FAIL with the
//! evidence, and an ERROR (a closed port, a silent port, a DNS server that does not answer),
//! then the bundled checklist's probe items against the stand-in's `gaps` endpoints.
//!
//! Every target is 127.0.0.1 or a barkbase.com name that only the stand-in's DNS server is
//! asked about (`--dns-server`); the harness aims every other lookup at a closed loopback port.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::harness::{Ran, StandIn, WebStandIn, closed_port_url, comparison, item, outcome, run};

/// A checklist with one phase, `check`, holding `items` (YAML, indented for `items:`).
fn write_checklist(dir: &Path, items: &str) {
    let text = format!(
        "barkcheck: 1\nname: Probes\nphases:\n  - id: check\n    title: Check\n    sections:\n      \
         - id: probes\n        title: Probes\n        items:\n{items}"
    );
    std::fs::write(dir.join("probes.yaml"), text).unwrap();
}

/// Runs the `check` phase of probes.yaml with `extra` run options.
fn run_check(dir: &Path, extra: &[&str]) -> Ran {
    let mut args = vec![
        "--checklist",
        "probes.yaml",
        "run",
        "--phase",
        "check",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    run(dir, &closed_port_url(), &args)
}

fn outcomes(report: &Json) -> BTreeMap<String, String> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn observed(report: &Json, id: &str, field: &str) -> String {
    comparison(report, id, field)["observed"]
        .as_str()
        .unwrap()
        .to_string()
}

fn message(report: &Json, id: &str) -> String {
    item(report, id)["evidence"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{id} has no message: {}", item(report, id)))
        .to_string()
}

fn silent_port(web: &WebStandIn) -> String {
    format!("127.0.0.1:{}", web.port("silent"))
}

fn closed() -> String {
    closed_port_url().replace("http://", "")
}

#[test]
fn http_probes_read_status_headers_redirects_and_cors() {
    let web = WebStandIn::start();
    let (https, legacy, http) = (web.base("https"), web.base("legacy"), web.base("http"));
    let dir = tempfile::tempdir().unwrap();
    let headers = "
                headers.content-type: {starts_with: text/html}
                headers.content-security-policy: {present: true}
                hsts_max_age: '>= 31536000'
                hsts_include_subdomains: true
                headers.x-frame-options: {matches: '(?i)^(DENY|SAMEORIGIN)$'}";
    let items = format!(
        "
          - id: headers-good
            text: Security headers on the frontend
            verify:
              http: {https}/
              expect:
                status: 200
{headers}
          - id: headers-weak
            text: Security headers on the weak page
            verify:
              http: {legacy}/weak
              expect:
                status: 200
{headers}
          - id: redirect-first-answer
            text: Plain HTTP redirects to HTTPS
            verify:
              http: {{url: '{http}/', follow_redirects: false}}
              expect:
                status: 301
                redirects_to_https: true
                location: {https}/
          - id: redirect-followed
            text: Plain HTTP ends on the HTTPS frontend
            verify:
              http: {http}/
              expect:
                status: 200
                redirects: 1
                redirects_to_https: true
                final_url: {https}/
          - id: no-redirect
            text: A plain page that stays plain
            verify:
              http: {{url: '{http}/stay', follow_redirects: false}}
              expect:
                redirects_to_https: true
          - id: cors-allowlist
            text: CORS from an allowlist
            verify:
              http: {{url: '{https}/health', cors: {{own_origin: '{https}', foreign_origin: 'https://foreign-origin.invalid'}}}}
              expect:
                cors.own.allowed: true
                cors.foreign.allowed: false
          - id: cors-reflected
            text: CORS reflecting any origin
            verify:
              http: {{url: '{https}/open/health', cors: {{foreign_origin: 'https://foreign-origin.invalid'}}}}
              expect:
                cors.foreign.allowed: false
                cors.foreign.allow_credentials: false
          - id: cors-wildcard
            text: CORS with a wildcard
            verify:
              http: {{url: '{https}/star/health', cors: {{foreign_origin: 'https://foreign-origin.invalid'}}}}
              expect:
                cors.foreign.allowed: false
          - id: redirect-loop
            text: A redirect loop
            verify:
              http: {https}/redirect-loop
              expect:
                status: 200
          - id: down
            text: Nothing listens
            verify:
              http: https://{closed}/
              expect:
                status: 200
          - id: silent
            text: Accepts but never answers
            verify:
              http: http://{silent}/
              expect:
                status: 200
",
        closed = closed(),
        silent = silent_port(&web),
    );
    write_checklist(dir.path(), &items);
    let ca = web.ca_cert();
    let started = Instant::now();
    let result = run_check(dir.path(), &["--ca-cert", &ca, "--probe-timeout", "1"]);
    let report = result.json();
    assert_eq!(
        result.code, 3,
        "some items could not be verified: {}",
        result.stderr
    );

    let expected: BTreeMap<String, String> = [
        ("headers-good", "PASS"),
        ("headers-weak", "FAIL"),
        ("redirect-first-answer", "PASS"),
        ("redirect-followed", "PASS"),
        ("no-redirect", "FAIL"),
        ("cors-allowlist", "PASS"),
        ("cors-reflected", "FAIL"),
        ("cors-wildcard", "FAIL"),
        ("redirect-loop", "ERROR"),
        ("down", "ERROR"),
        ("silent", "ERROR"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(outcomes(&report), expected, "{report}");

    // The evidence says what the weak page sent.
    assert_eq!(observed(&report, "headers-weak", "hsts_max_age"), "300");
    assert_eq!(
        observed(&report, "headers-weak", "headers.content-security-policy"),
        "(absent)"
    );
    assert_eq!(
        observed(&report, "headers-weak", "headers.x-frame-options"),
        "ALLOWALL"
    );
    assert_eq!(
        item(&report, "headers-weak")["evidence"]["resource"],
        format!("http {legacy}/weak")
    );
    assert_eq!(
        observed(&report, "no-redirect", "redirects_to_https"),
        "false"
    );
    assert_eq!(
        observed(&report, "cors-reflected", "cors.foreign.allowed"),
        "true"
    );
    assert_eq!(
        observed(&report, "cors-reflected", "cors.foreign.allow_credentials"),
        "true"
    );
    assert_eq!(
        observed(&report, "cors-wildcard", "cors.foreign.allowed"),
        "true"
    );

    // Could not tell: why, with the call that failed.
    assert!(
        message(&report, "redirect-loop").contains("more than 10 redirects"),
        "{}",
        message(&report, "redirect-loop")
    );
    let down = message(&report, "down");
    assert!(down.starts_with("GET https://127.0.0.1:"), "{down}");
    assert!(
        down.contains(" failed: ") && down.contains("refused"),
        "{down}"
    );
    let silent = message(&report, "silent");
    assert!(silent.ends_with("failed: no answer within 1 s"), "{silent}");
    assert!(started.elapsed() < Duration::from_secs(60));

    // The preflights went out with the foreign origin and the request method.
    let log = web.log();
    let options: Vec<&Json> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[1] == "OPTIONS")
        .collect();
    assert_eq!(
        options.len(),
        4,
        "two preflights for the allowlist, one each after: {log}"
    );
}

#[test]
fn an_untrusted_certificate_makes_an_https_probe_an_error_that_says_so() {
    let web = WebStandIn::start();
    let dir = tempfile::tempdir().unwrap();
    write_checklist(
        dir.path(),
        &format!(
            "
          - id: site
            text: Website loads
            verify:
              http: {}/
              expect:
                status: 200
",
            web.base("https")
        ),
    );
    // No --ca-cert: the stand-in's CA is trusted by nobody.
    let result = run_check(dir.path(), &[]);
    let report = result.json();
    assert_eq!(outcome(&report, "site"), "ERROR");
    let message = message(&report, "site");
    assert!(message.contains("UnknownIssuer"), "{message}");
}

#[test]
fn tls_probe_reads_versions_certificates_and_whether_tls_1_0_and_1_1_are_refused() {
    let web = WebStandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let expect = "
                handshake: true
                version: {one_of: [TLSv1.2, TLSv1.3]}
                accepts_tls1_0: false
                accepts_tls1_1: false
                certificate_trusted: true
                days_remaining: '>= 30'";
    let items = format!(
        "
          - id: modern
            text: The API refuses old TLS and has a fresh certificate
            verify:
              tls: 127.0.0.1:{https}
              expect:
{expect}
                tls1_0_answer: {{starts_with: alert}}
                sans: {{contains: 127.0.0.1}}
                common_name: app.barkbase.com
                issuer: {{contains: barkcheck test CA}}
          - id: legacy
            text: The frontend refuses old TLS and has a fresh certificate
            verify:
              tls: https://127.0.0.1:{legacy}/weak
              expect:
{expect}
          - id: down
            text: Nothing listens
            verify:
              tls: {closed}
              expect:
                handshake: true
          - id: silent
            text: Accepts but never answers
            verify:
              tls: {silent}
              expect:
                handshake: true
",
        https = web.port("https"),
        legacy = web.port("legacy"),
        closed = closed(),
        silent = silent_port(&web),
    );
    write_checklist(dir.path(), &items);
    let ca = web.ca_cert();
    let result = run_check(dir.path(), &["--ca-cert", &ca, "--probe-timeout", "1"]);
    let report = result.json();
    assert_eq!(
        outcome(&report, "modern"),
        "PASS",
        "{}",
        item(&report, "modern")
    );
    assert_eq!(outcome(&report, "legacy"), "FAIL");
    assert_eq!(observed(&report, "legacy", "accepts_tls1_0"), "true");
    assert_eq!(observed(&report, "legacy", "accepts_tls1_1"), "true");
    // The stand-in's legacy certificate ends 10 days and an hour from its start.
    assert_eq!(observed(&report, "legacy", "days_remaining"), "10");
    let comparisons = item(&report, "legacy")["evidence"]["comparisons"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        comparisons,
        3,
        "only what failed is shown: {}",
        item(&report, "legacy")
    );

    assert_eq!(outcome(&report, "down"), "ERROR");
    assert!(
        message(&report, "down").contains("refused"),
        "{}",
        message(&report, "down")
    );
    assert_eq!(outcome(&report, "silent"), "ERROR");
    assert!(
        message(&report, "silent").ends_with("no handshake within 1 s"),
        "{}",
        message(&report, "silent")
    );
    assert_eq!(result.code, 3);

    // Without the test CA the same endpoint's certificate is not trusted: a FAIL with why.
    let untrusted = run_check(dir.path(), &["--probe-timeout", "1"]).json();
    assert_eq!(outcome(&untrusted, "modern"), "FAIL");
    assert_eq!(
        observed(&untrusted, "modern", "certificate_trusted"),
        "false"
    );
}

#[test]
fn websocket_probe_completes_the_handshake_or_reports_the_status() {
    let web = WebStandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let items = format!(
        "
          - id: wss
            text: WebSocket over TLS
            verify:
              websocket: wss://127.0.0.1:{https}/ws
              expect:
                connected: true
                status: 101
          - id: ws
            text: WebSocket in the clear
            verify:
              websocket: ws://127.0.0.1:{http}/ws
              expect:
                connected: true
          - id: refused
            text: An authorizer refuses
            verify:
              websocket: wss://127.0.0.1:{https}/ws-refuse
              expect:
                connected: true
                status: 101
          - id: not-websocket
            text: A web page is no WebSocket
            verify:
              websocket: wss://127.0.0.1:{https}/
              expect:
                connected: true
                status: 101
          - id: wrong-accept
            text: A 101 whose accept value does not match the key
            verify:
              websocket: wss://127.0.0.1:{https}/ws-wrong-accept
              expect:
                connected: true
          - id: down
            text: Nothing listens
            verify:
              websocket: ws://{closed}/
              expect:
                connected: true
          - id: silent
            text: Accepts but never answers
            verify:
              websocket: ws://{silent}/
              expect:
                connected: true
",
        https = web.port("https"),
        http = web.port("http"),
        closed = closed(),
        silent = silent_port(&web),
    );
    write_checklist(dir.path(), &items);
    let ca = web.ca_cert();
    let result = run_check(dir.path(), &["--ca-cert", &ca, "--probe-timeout", "1"]);
    let report = result.json();
    assert_eq!(outcome(&report, "wss"), "PASS", "{}", item(&report, "wss"));
    assert_eq!(outcome(&report, "ws"), "PASS", "{}", item(&report, "ws"));
    assert_eq!(outcome(&report, "refused"), "FAIL");
    assert_eq!(outcome(&report, "not-websocket"), "FAIL");
    assert_eq!(outcome(&report, "down"), "ERROR");
    assert_eq!(outcome(&report, "silent"), "ERROR");
    assert!(
        message(&report, "silent").ends_with("no answer within 1 s"),
        "{}",
        message(&report, "silent")
    );
    // The evidence of a refusal: no connection, and the status that said so.
    assert_eq!(observed(&report, "refused", "connected"), "false");
    assert_eq!(observed(&report, "refused", "status"), "403");
    assert_eq!(observed(&report, "not-websocket", "status"), "200");
    assert_eq!(outcome(&report, "wrong-accept"), "FAIL");
    assert_eq!(
        item(&report, "refused")["evidence"]["resource"],
        format!("websocket wss://127.0.0.1:{}/ws-refuse", web.port("https"))
    );
}

#[test]
fn latency_probe_sends_a_bounded_number_of_requests_and_judges_their_percentiles() {
    let web = WebStandIn::start();
    let https = web.base("https");
    let dir = tempfile::tempdir().unwrap();
    let items = format!(
        "
          - id: fast
            text: A fast API answers within a second at p99
            verify:
              http_latency: {{url: '{https}/health', requests: 5, timeout_ms: 5000}}
              expect:
                requests: 5
                answered: 5
                errors: 0
                p99_ms: '< 1000'
          - id: slow
            text: A slow API does not
            verify:
              http_latency: {{url: '{https}/slow?ms=1500', requests: 2, timeout_ms: 5000}}
              expect:
                errors: 0
                p99_ms: '< 1000'
          - id: failing
            text: An API answering 503
            verify:
              http_latency: {{url: '{https}/status/503', requests: 3, timeout_ms: 5000}}
              expect:
                errors: 0
          - id: hanging
            text: An API that answers after the timeout
            verify:
              http_latency: {{url: '{https}/slow?ms=3000', requests: 2, timeout_ms: 300}}
              expect:
                p99_ms: '< 1000'
          - id: down
            text: Nothing listens
            verify:
              http_latency: {{url: 'https://{closed}/', requests: 20, timeout_ms: 1000}}
              expect:
                p99_ms: '< 1000'
",
        closed = closed(),
    );
    write_checklist(dir.path(), &items);
    let ca = web.ca_cert();
    let started = Instant::now();
    let result = run_check(dir.path(), &["--ca-cert", &ca]);
    let elapsed = started.elapsed();
    let report = result.json();
    assert_eq!(
        outcome(&report, "fast"),
        "PASS",
        "{}",
        item(&report, "fast")
    );
    assert_eq!(outcome(&report, "slow"), "FAIL");
    let p99: f64 = observed(&report, "slow", "p99_ms").parse().unwrap();
    assert!(p99 >= 1500.0, "the stand-in slept 1.5 s: {p99}");
    assert_eq!(outcome(&report, "failing"), "FAIL");
    assert_eq!(observed(&report, "failing", "errors"), "3");
    assert_eq!(outcome(&report, "hanging"), "ERROR");
    assert!(
        message(&report, "hanging").contains("none of 2 requests was answered (2 timed out)"),
        "{}",
        message(&report, "hanging")
    );
    assert_eq!(outcome(&report, "down"), "ERROR");
    // A target that answers none of the first three is down: the other 17 are not sent.
    assert!(
        message(&report, "down").contains(
            "none of 3 requests was answered (0 timed out), so the other 17 were not sent"
        ),
        "{}",
        message(&report, "down")
    );
    assert_eq!(result.code, 3);
    // Bounded: the slowest target is two requests of 1.5 s; generous for a loaded machine.
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");

    // Exactly the requests asked for reached the server.
    let log = web.log();
    let count = |path: &str| {
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r[1] == "GET" && r[2] == path)
            .count()
    };
    assert_eq!(count("/health"), 5);
    assert_eq!(count("/slow?ms=1500"), 2);
    assert_eq!(count("/status/503"), 3);
    assert_eq!(count("/slow?ms=3000"), 2);
}

#[test]
fn dns_probe_asks_only_the_given_server_and_so_do_the_other_probes() {
    let web = WebStandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let items = format!(
        "
          - id: app
            text: The frontend's name follows its CNAME to an address
            verify:
              dns: app.barkbase.com
              expect:
                resolves: true
                cnames: {{contains: edge.barkbase.com}}
                addresses: {{contains: 127.0.0.1}}
          - id: api-v6
            text: The API has an IPv6 address
            verify:
              dns: {{name: api.barkbase.com, type: AAAA}}
              expect:
                addresses: {{contains: \"::1\"}}
          - id: txt
            text: The zone's TXT record
            verify:
              dns: {{name: barkbase.com, type: TXT}}
              expect:
                records: {{any: {{contains: barkcheck-test-zone}}}}
          - id: missing
            text: A name that was never created
            verify:
              dns: missing.barkbase.com
              expect:
                resolves: true
                response_code: NOERROR
          - id: servfail
            text: A name the server cannot answer for
            verify:
              dns: servfail.barkbase.com
              expect:
                resolves: true
          - id: silent
            text: A name the server never answers
            verify:
              dns: timeout.barkbase.com
              expect:
                resolves: true
          - id: site-by-name
            text: The frontend, reached by its name through the same DNS server
            verify:
              http: https://app.barkbase.com:{https}/
              expect:
                status: 200
",
        https = web.port("https"),
    );
    write_checklist(dir.path(), &items);
    let ca = web.ca_cert();
    let dns = web.dns_server();
    let result = run_check(
        dir.path(),
        &[
            "--dns-server",
            &dns,
            "--ca-cert",
            &ca,
            "--probe-timeout",
            "2",
        ],
    );
    let report = result.json();
    assert_eq!(outcome(&report, "app"), "PASS", "{}", item(&report, "app"));
    assert_eq!(
        outcome(&report, "api-v6"),
        "PASS",
        "{}",
        item(&report, "api-v6")
    );
    assert_eq!(outcome(&report, "txt"), "PASS", "{}", item(&report, "txt"));
    assert_eq!(outcome(&report, "missing"), "FAIL");
    assert_eq!(observed(&report, "missing", "response_code"), "NXDOMAIN");
    assert_eq!(observed(&report, "missing", "resolves"), "false");
    assert_eq!(outcome(&report, "servfail"), "ERROR");
    assert!(message(&report, "servfail").contains("DNS lookup of servfail.barkbase.com A failed"));
    assert_eq!(outcome(&report, "silent"), "ERROR");
    let silent = message(&report, "silent");
    assert!(
        silent.ends_with("A failed: no answer within 2 s"),
        "{silent}"
    );
    assert_eq!(
        outcome(&report, "site-by-name"),
        "PASS",
        "{}",
        item(&report, "site-by-name")
    );
    assert_eq!(result.code, 3);

    // The stand-in's server was asked every name, the http probe's included.
    let asked: Vec<String> = web.log()["dns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| format!("{} {}", q[0].as_str().unwrap(), q[1].as_str().unwrap()))
        .collect();
    for query in [
        "app.barkbase.com A",
        "api.barkbase.com AAAA",
        "barkbase.com TXT",
        "missing.barkbase.com A",
    ] {
        assert!(asked.iter().any(|q| q == query), "{query} not in {asked:?}");
    }
    assert!(
        asked
            .iter()
            .filter(|q| q.starts_with("app.barkbase.com "))
            .count()
            >= 2,
        "the dns probe and the http probe both asked: {asked:?}"
    );

    // A DNS server that is not there: nobody could say, so an ERROR.
    let nobody = closed();
    let down = run_check(
        dir.path(),
        &["--dns-server", &nobody, "--probe-timeout", "1"],
    )
    .json();
    assert_eq!(outcome(&down, "app"), "ERROR");
    assert_eq!(outcome(&down, "site-by-name"), "ERROR");
    let unresolved = message(&down, "site-by-name");
    assert!(
        unresolved.contains("cannot resolve app.barkbase.com"),
        "{unresolved}"
    );
}

#[test]
fn probe_targets_are_checked_when_the_checklist_loads() {
    let dir = tempfile::tempdir().unwrap();
    let items = "
          - id: no-url
            text: A target without its URL
            verify:
              http:
                method: GET
              expect:
                status: 200
          - id: bad-scheme
            text: A URL that is not HTTP
            verify:
              http:
                url: ftp://files.barkbase.com/
              expect:
                status: 200
          - id: typo
            text: A misspelt key
            verify:
              http:
                url: https://app.barkbase.com
                folow_redirects: false
              expect:
                status: 301
          - id: cors-without-preflight
            text: A CORS field without a preflight
            verify:
              http: https://api.barkbase.com/health
              expect:
                cors.foreign.allowed: false
          - id: unbounded
            text: Too many requests
            verify:
              http_latency: {url: 'https://api.barkbase.com/health', requests: 500, timeout_ms: 60000}
              expect:
                p99_ms: '< 1000'
          - id: no-requests
            text: A latency target without its count
            verify:
              http_latency: {url: 'https://api.barkbase.com/health', timeout_ms: 1000}
              expect:
                p99_ms: '< 1000'
          - id: bad-type
            text: A record type the probe does not ask
            verify:
              dns:
                name: barkbase.com
                type: SRV
              expect:
                resolves: true
          - id: bad-list
            text: A list with a bad endpoint
            verify:
              tls: [app.barkbase.com, 'http://api.barkbase.com']
              match: all
              expect:
                handshake: true
          - id: ws-scheme
            text: A WebSocket URL that is HTTP
            verify:
              websocket: https://ws.barkbase.com
              expect:
                connected: true
";
    write_checklist(dir.path(), items);
    let result = run(
        dir.path(),
        &closed_port_url(),
        &["--checklist", "probes.yaml", "lint"],
    );
    assert_eq!(result.code, 2, "{}", result.stdout);
    let lines: Vec<&str> = result.stderr.lines().collect();
    let expected = [
        // A mapping without its url: at the kind's key.
        "probes.yaml:14:15: http: the target needs `url`",
        "probes.yaml:22:22: http: `ftp://files.barkbase.com/` must start with http:// or https://",
        // A misspelt key: at the key.
        "probes.yaml:30:17: http: unknown key `folow_redirects`; did you mean `follow_redirects`?",
        "probes.yaml:36:21: http: `cors.foreign.allowed` needs a preflight: give the target `cors: \
         {foreign_origin: ...}`",
        "probes.yaml:42:15: http_latency: 500 requests of up to 60000 ms could take 30000 s; keep \
         requests × timeout_ms within 300 s",
        "probes.yaml:48:15: http_latency: the target needs `requests` (how many to time)",
        "probes.yaml:56:23: dns: record type `SRV` is not one of A, AAAA, CNAME, TXT, MX, NS, CAA",
        // The second element of a list.
        "probes.yaml:62:39: tls: `http://api.barkbase.com` must start with https:// or wss://",
        "probes.yaml:69:26: websocket: `https://ws.barkbase.com` must start with ws:// or wss://",
    ];
    for line in expected {
        assert!(
            lines.iter().any(|l| l.starts_with(line)),
            "missing `{line}` in:\n{}",
            result.stderr
        );
    }
    assert_eq!(
        lines.len(),
        expected.len() + 1,
        "one line per problem and a summary:\n{}",
        result.stderr
    );
}

#[test]
fn the_bundled_probe_items_fail_on_the_gaps_endpoints_with_evidence() {
    let standin = StandIn::start("compliant");
    let web = WebStandIn::start();
    let probe_args = web.args("gaps");
    let phase = |phase: &str| -> Json {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["run", "--phase", phase, "--format", "json"];
        args.extend(probe_args.iter().map(String::as_str));
        run(dir.path(), &standin.url, &args).json()
    };

    let pre = phase("pre-deploy");
    assert_eq!(outcome(&pre, "encryption-transit"), "FAIL");
    let transit = &item(&pre, "encryption-transit")["evidence"];
    assert_eq!(
        transit["resource"], "1 of 3 selected tls resources fall short",
        "only the frontend's endpoint accepts old TLS: {transit}"
    );
    let legacy = web.port("legacy");
    assert_eq!(
        comparison(&pre, "encryption-transit", "accepts_tls1_0")["field"],
        format!("tls 127.0.0.1:{legacy}: accepts_tls1_0")
    );
    // The gaps API answers in 250 ms: over the 200 ms average, within the p95 and p99 limits.
    assert_eq!(outcome(&pre, "api-response-time-200ms"), "FAIL");
    let average: f64 = observed(&pre, "api-response-time-200ms", "average_ms")
        .parse()
        .unwrap();
    assert!(average >= 250.0, "{average}");
    // Whether 250 ms stays under 500 ms at p95 depends on this machine's load: not asserted.
    for id in ["api-response-time-500ms", "api-response-time-1000ms"] {
        assert_ne!(outcome(&pre, id), "ERROR", "{}", item(&pre, id));
    }
    let timed = web.log()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[2] == "/slow?ms=250")
        .count();
    assert_eq!(
        timed, 20,
        "the three benchmark items share one series of 20 requests"
    );

    let deploy = phase("deploy");
    assert_eq!(outcome(&deploy, "ssl-certificates-active"), "FAIL");
    assert_eq!(
        comparison(&deploy, "ssl-certificates-active", "days_remaining")["observed"],
        "10"
    );

    let post = phase("post-deploy");
    assert_eq!(outcome(&post, "website-loads-https-app-barkbase"), "PASS");
    assert_eq!(outcome(&post, "api-endpoints-responding"), "PASS");
    assert_eq!(outcome(&post, "websocket-connections-working"), "FAIL");
    assert_eq!(outcome(&post, "api-response-times-normal"), "FAIL");
    assert_eq!(outcome(&post, "security-headers-present"), "FAIL");
    assert_eq!(outcome(&post, "cors-configuration-correct"), "FAIL");
    assert_eq!(
        observed(&post, "cors-configuration-correct", "cors.foreign.allowed"),
        "true"
    );
    let headers = item(&post, "security-headers-present")["evidence"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(
        headers.iter().any(|f| f.ends_with("/weak: hsts_max_age"))
            && headers
                .iter()
                .any(|f| f.ends_with("/open/health: headers.content-security-policy")),
        "both the frontend and the API fall short: {headers:?}"
    );
    assert_eq!(
        item(&post, "websocket-connections-working")["evidence"]["fix"]
            .as_str()
            .map(|f| f.contains("$connect")),
        Some(true)
    );
}
