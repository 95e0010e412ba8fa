//! What the probing kinds (http, http_latency, tls, websocket, dns) share: the run's probe
//! options, name resolution, TLS trust, and reading targets.
//!
//! Probes reach public endpoints instead of AWS APIs, so they need no IAM action. Names resolve
//! through the system resolver, or only through `--dns-server` when one is given: every probe
//! then uses it, so one run sees one view of DNS. TLS trusts the operating system's CAs plus
//! `--ca-cert`. Every network step waits at most `--probe-timeout`. Proxies are not used: a
//! probe reports what the endpoint itself answers. A target is checked when the checklist loads
//! ([`super::Kind::check_target`]), so a missing `url` points at its line; probing parses it
//! again from the same JSON.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use reqwest::Url;
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use serde_json::{Map, Value as Json};
use tokio::sync::OnceCell;

use super::FetchError;
use crate::checklist::expect;
use crate::checklist::yaml::Step;

/// How probes reach the network, from the command line.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Resolve every name through this server instead of the system resolver.
    pub dns_server: Option<SocketAddr>,
    /// CAs trusted on top of the operating system's (`--ca-cert`).
    pub ca_certs: Vec<CertificateDer<'static>>,
    /// The longest wait for a connection, a handshake or an answer.
    pub timeout: Duration,
}

impl Default for ProbeOptions {
    fn default() -> ProbeOptions {
        ProbeOptions {
            dns_server: None,
            ca_certs: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// `--probe-timeout` when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads `--dns-server`: an IP address, with a port after it (`127.0.0.1:5353`, `[::1]:53`).
pub fn parse_dns_server(text: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    text.trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("`{text}` is not an IP address or IP:PORT"))
}

/// The network side of one run, built on the first probe and shared by all of them.
pub struct Network {
    options: ProbeOptions,
    provider: Arc<CryptoProvider>,
    roots: Arc<RootCertStore>,
    names: Arc<Names>,
    http: reqwest::Client,
    /// The resolver of the dns kind: the `--dns-server` one, or the system's configuration.
    records: OnceCell<Result<TokioResolver, FetchError>>,
}

impl Network {
    pub fn new(options: &ProbeOptions) -> Result<Network, FetchError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        // Unreadable system certificates only shrink what is trusted; the TLS probe reports an
        // untrusted certificate as such.
        let mut roots = super::roots::native().clone();
        roots.add_parsable_certificates(options.ca_certs.iter().cloned());
        let roots = Arc::new(roots);

        let names = Arc::new(match options.dns_server {
            Some(server) => Names::Server {
                resolver: Box::new(dns_resolver(Some(server), options.timeout)?),
                server,
                // Within the connection's own timeout, so a silent server is named as such.
                budget: options.timeout * 2 / 3,
            },
            None => Names::System,
        });

        let mut tls = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| FetchError::new("TLS set-up", e.to_string()))?
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        // HTTP/1.1 only: the WebSocket handshake is an HTTP/1.1 upgrade.
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(options.timeout)
            .dns_resolver(NameLookup(names.clone()))
            .user_agent(concat!("barkcheck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::new("HTTP client set-up", error_chain(&e)))?;

        Ok(Network {
            options: options.clone(),
            provider,
            roots,
            names,
            http,
            records: OnceCell::new(),
        })
    }

    pub fn timeout(&self) -> Duration {
        self.options.timeout
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn provider(&self) -> &Arc<CryptoProvider> {
        &self.provider
    }

    pub fn roots(&self) -> &Arc<RootCertStore> {
        &self.roots
    }

    /// The addresses of a host name (or the address an IP literal is).
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        self.names.lookup(host).await
    }

    /// The resolver the dns kind queries.
    pub async fn records(&self) -> Result<&TokioResolver, FetchError> {
        let resolver = self
            .records
            .get_or_init(|| async { dns_resolver(self.options.dns_server, self.options.timeout) })
            .await;
        resolver.as_ref().map_err(Clone::clone)
    }

    /// Random bytes from the TLS provider, for WebSocket keys and ClientHello randoms.
    pub fn random<const N: usize>(&self) -> [u8; N] {
        let mut bytes = [0u8; N];
        // The provider's generator only fails when the operating system has no randomness; a
        // fixed value then still makes a valid (if predictable) probe.
        let _ = self.provider.secure_random.fill(&mut bytes);
        bytes
    }
}

/// A hickory resolver asking `server`, or the servers of the system's configuration.
fn dns_resolver(
    server: Option<SocketAddr>,
    timeout: Duration,
) -> Result<TokioResolver, FetchError> {
    let mut builder = match server {
        Some(server) => {
            let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
            for connection in &mut name_server.connections {
                connection.port = server.port();
            }
            let config = ResolverConfig::from_name_servers(vec![name_server]);
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => TokioResolver::builder_tokio().map_err(|e| {
            FetchError::new(
                "DNS set-up",
                format!("cannot read the system resolver: {e}"),
            )
        })?,
    };
    let options = builder.options_mut();
    // A probe asks DNS, not /etc/hosts; the callers bound the whole lookup by the probe timeout.
    options.use_hosts_file = ResolveHosts::Never;
    options.timeout = (timeout / 3).max(Duration::from_millis(200));
    options.attempts = 2;
    builder
        .build()
        .map_err(|e| FetchError::new("DNS set-up", e.to_string()))
}

/// How probes turn host names into addresses.
enum Names {
    /// getaddrinfo, as every other program on the machine.
    System,
    /// Only the `--dns-server`, for at most `budget` a name.
    Server {
        resolver: Box<TokioResolver>,
        server: SocketAddr,
        budget: Duration,
    },
}

impl Names {
    async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let found: Vec<IpAddr> = match self {
            Names::System => tokio::net::lookup_host((host, 0))
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .map(|a| a.ip())
                .collect(),
            Names::Server {
                resolver,
                server,
                budget,
            } => match tokio::time::timeout(*budget, resolver.lookup_ip(fqdn(host))).await {
                Ok(found) => found
                    .map_err(|e| format!("cannot resolve {host}: {e}"))?
                    .iter()
                    .collect(),
                Err(_) => {
                    return Err(format!(
                        "cannot resolve {host}: the DNS server {server} did not answer within {} s",
                        budget.as_secs_f64()
                    ));
                }
            },
        };
        if found.is_empty() {
            return Err(format!("{host} has no address"));
        }
        Ok(found)
    }
}

/// A name with its final dot, so no search domain is appended to it.
pub fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

/// reqwest's name resolution, through [`Names`].
struct NameLookup(Arc<Names>);

impl reqwest::dns::Resolve for NameLookup {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let names = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let ips = names.lookup(&host).await?;
            // Port 0 is replaced by the URL's port.
            let addresses: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addresses)
        })
    }
}

/// An error's causes, innermost last, without repeating a cause that contains the next one.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = err.source();
    while let Some(cause) = current {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = cause.source();
    }
    if parts.is_empty() {
        parts.push(err.to_string());
    }
    parts.join(": ")
}

/// Milliseconds with one decimal, as fields show them.
pub fn millis(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 10_000.0).round() / 10.0
}

/// A URL as evidence shows it: no password, and no value of a query parameter that looks like
/// a credential.
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("****"));
    }
    if shown.query().is_some() {
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let secret = SECRET_WORDS
                    .iter()
                    .any(|w| k.to_ascii_lowercase().contains(w));
                let v = if secret {
                    "****".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// Query parameter names whose values are not shown.
const SECRET_WORDS: &[&str] = &[
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "signature",
    "sig",
    "auth",
    "credential",
    "session",
    "code",
];

/// A problem with a probe target found at load time: where inside the target, and what.
#[derive(Debug)]
pub struct TargetProblem {
    pub at: Vec<Step>,
    pub message: String,
    /// The problem is the key at `at` itself (a misspelt key), not its value.
    pub key: bool,
}

impl TargetProblem {
    pub fn new(message: impl Into<String>) -> TargetProblem {
        TargetProblem {
            at: Vec::new(),
            message: message.into(),
            key: false,
        }
    }

    fn about_key(mut self) -> TargetProblem {
        self.key = true;
        self
    }

    pub fn under(mut self, step: impl Into<Step>) -> TargetProblem {
        self.at.insert(0, step.into());
        self
    }
}

pub type Parsed<T> = Result<T, TargetProblem>;

/// A target mapping, read key by key; unknown keys are refused with a suggestion.
pub struct TargetMap<'a> {
    map: &'a Map<String, Json>,
}

impl<'a> TargetMap<'a> {
    pub fn new(map: &'a Map<String, Json>, known: &[&str]) -> Parsed<TargetMap<'a>> {
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let hint = expect::suggest(key, known)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(TargetProblem::new(format!(
                    "unknown key `{key}`{hint} (keys: {})",
                    known.join(", ")
                ))
                .under(key.as_str())
                .about_key());
            }
        }
        Ok(TargetMap { map })
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    pub fn text(&self, key: &str) -> Parsed<Option<&'a str>> {
        match self.map.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(text)) if !text.trim().is_empty() => Ok(Some(text.trim())),
            Some(_) => Err(TargetProblem::new(format!("`{key}` is a text")).under(key)),
        }
    }

    pub fn required_text(&self, key: &str) -> Parsed<&'a str> {
        self.text(key)?
            .ok_or_else(|| TargetProblem::new(format!("the target needs `{key}`")))
    }

    /// A whole number within bounds; text from a `${variable}` counts when it is one.
    pub fn number(&self, key: &str, min: u64, max: u64) -> Parsed<Option<u64>> {
        let value = match self.map.get(key) {
            None | Some(Json::Null) => return Ok(None),
            Some(Json::Number(n)) => n.as_u64(),
            Some(Json::String(s)) => s.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        match value {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(
                TargetProblem::new(format!("`{key}` is a whole number from {min} to {max}"))
                    .under(key),
            ),
        }
    }

    pub fn boolean(&self, key: &str) -> Parsed<Option<bool>> {
        match self.map.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(Json::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(_) => Err(TargetProblem::new(format!("`{key}` is true or false")).under(key)),
        }
    }

    /// A mapping of header names to values.
    pub fn headers(&self, key: &str) -> Parsed<Vec<(String, String)>> {
        let Some(value) = self.map.get(key).filter(|v| !v.is_null()) else {
            return Ok(Vec::new());
        };
        let Json::Object(map) = value else {
            return Err(
                TargetProblem::new(format!("`{key}` maps header names to values")).under(key),
            );
        };
        let mut out = Vec::new();
        for (name, value) in map {
            let text = match value {
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                _ => {
                    return Err(TargetProblem::new("a header value is a single text")
                        .under(name.as_str())
                        .under(key));
                }
            };
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
                || reqwest::header::HeaderValue::from_str(&text).is_err()
            {
                return Err(
                    TargetProblem::new(format!("`{name}` is not a valid HTTP header"))
                        .under(name.as_str())
                        .under(key),
                );
            }
            out.push((name.clone(), text));
        }
        Ok(out)
    }

    pub fn mapping(&self, key: &str) -> Parsed<Option<&'a Map<String, Json>>> {
        match self.map.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Object(map)) => Ok(Some(map)),
            Some(_) => Err(TargetProblem::new(format!("`{key}` is a mapping")).under(key)),
        }
    }
}

/// Parses a URL whose scheme is one of `schemes`, with a host.
pub fn parse_url(text: &str, schemes: &[&str]) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !schemes.contains(&url.scheme()) {
        return Err(format!(
            "`{text}` must start with {}",
            schemes
                .iter()
                .map(|s| format!("{s}://"))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{text}` has no host"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dns_server_is_an_address_with_an_optional_port() {
        assert_eq!(
            parse_dns_server("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("10.0.0.2").unwrap(),
            "10.0.0.2:53".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("[::1]:5353").unwrap(),
            "[::1]:5353".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("::1").unwrap(),
            "[::1]:53".parse().unwrap()
        );
        assert!(parse_dns_server("ns1.barkbase.com:53").is_err());
    }

    #[test]
    fn urls_in_evidence_hide_passwords_and_credential_parameters() {
        let url = Url::parse("https://ops:hunter2@api.barkbase.com/ws?token=abc&room=7").unwrap();
        assert_eq!(
            display_url(&url),
            "https://ops:****@api.barkbase.com/ws?token=****&room=7"
        );
    }

    #[test]
    fn milliseconds_keep_one_decimal() {
        assert_eq!(millis(Duration::from_micros(12_345)), 12.3);
    }
}
