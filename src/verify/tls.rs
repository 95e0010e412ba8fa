//! The `tls` probe: a TLS endpoint's negotiated version, its certificate, and whether it still
//! speaks TLS 1.0 or TLS 1.1.
//!
//! A normal handshake (rustls, TLS 1.2 and 1.3) gives the version, the cipher suite and the
//! certificate chain. The chain is verified against the trusted CAs (system plus `--ca-cert`)
//! and the host name, and the verdict is recorded rather than enforced, so an untrusted or
//! expired certificate is a FAIL with its reason, not an ERROR; no application data is sent.
//! rustls cannot speak TLS 1.0 or 1.1, so for each of them the probe sends a minimal ClientHello
//! offering only that version (RFC 2246 / RFC 4346 layout, CBC suites of the era) and reads the
//! first record of the answer: a ServerHello at that version (or older) means accepted; an alert
//! or a closed connection means refused. A refused connection or a timeout is an ERROR. No IAM
//! action: this talks to the endpoint.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::{Value as Json, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::FetchError;
use super::http::seconds;
use super::probe::{Network, Parsed, TargetProblem, parse_url};
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextList, Timestamp};
use crate::checklist::expect::{Field, field};

pub const TLS_FIELDS: &[Field] = &[
    field("endpoint", Text, "host:port probed"),
    field("address", Text, "the IP address connected to"),
    field("handshake", Bool, "a TLS 1.2 or 1.3 handshake succeeded"),
    field("handshake_error", Text, "why it did not"),
    field(
        "version",
        Text,
        "the version negotiated: TLSv1.2 or TLSv1.3",
    ),
    field("cipher_suite", Text, "the cipher suite negotiated"),
    field(
        "certificate_trusted",
        Bool,
        "the chain leads to a trusted CA, is within its validity and names the host",
    ),
    field(
        "certificate_error",
        Text,
        "why the certificate is not trusted",
    ),
    field(
        "days_remaining",
        Number,
        "whole days until the certificate expires (negative once expired)",
    ),
    field("not_before", Timestamp, "the certificate is valid from"),
    field("not_after", Timestamp, "the certificate is valid until"),
    field(
        "subject",
        Text,
        "the certificate's subject, like CN=app.barkbase.com",
    ),
    field("common_name", Text, "the subject's CN"),
    field(
        "sans",
        TextList,
        "the subject alternative names: DNS names and IP addresses",
    ),
    field("issuer", Text, "the issuer's name"),
    field(
        "accepts_tls1_0",
        Bool,
        "a TLS 1.0 ClientHello was answered with a ServerHello",
    ),
    field(
        "accepts_tls1_1",
        Bool,
        "a TLS 1.1 ClientHello was answered with a ServerHello",
    ),
    field(
        "tls1_0_answer",
        Text,
        "what answered the TLS 1.0 ClientHello: an alert, a ServerHello, a closed connection",
    ),
    field(
        "tls1_1_answer",
        Text,
        "what answered the TLS 1.1 ClientHello",
    ),
];

/// What a `tls` check connects to.
#[derive(Debug)]
pub struct TlsTarget {
    host: String,
    port: u16,
}

impl TlsTarget {
    fn endpoint(&self) -> String {
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(_)) => format!("[{}]:{}", self.host, self.port),
            _ => format!("{}:{}", self.host, self.port),
        }
    }
}

/// `host:port`, `host` (port 443), or an `https://` / `wss://` URL.
pub fn tls_target(target: &Json) -> Parsed<TlsTarget> {
    let Json::String(text) = target else {
        return Err(TargetProblem::new(
            "`tls` takes host:port, or an https:// or wss:// URL",
        ));
    };
    let text = text.trim();
    let url = if text.contains("://") {
        parse_url(text, &["https", "wss"]).map_err(TargetProblem::new)?
    } else {
        // Reading `host:port` as a URL's authority handles IPv6 brackets and bad ports alike.
        let url = parse_url(&format!("https://{text}"), &["https"])
            .map_err(|_| TargetProblem::new(format!("`{text}` is not host:port")))?;
        if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
            return Err(TargetProblem::new(format!("`{text}` is not host:port")));
        }
        url
    };
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    Ok(TlsTarget {
        host,
        port: url.port_or_known_default().unwrap_or(443),
    })
}

/// Handshakes with the endpoint, reads its certificate, and offers it TLS 1.0 and 1.1.
pub async fn probe_tls(network: &Network, target: &Json) -> Result<Vec<Json>, FetchError> {
    let target = tls_target(target).map_err(|p| FetchError::new("tls", p.message))?;
    let endpoint = target.endpoint();
    let server_name = match target.host.parse::<IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(target.host.clone())
            .map_err(|e| FetchError::new(format!("TLS to {endpoint}"), e.to_string()))?,
    };
    let (address, tcp) = connect_first(network, &target).await?;

    let mut resource = json!({"endpoint": endpoint, "address": address.ip().to_string()});
    let verifier = Arc::new(Recording::new(network));
    let config = rustls::ClientConfig::builder_with_provider(network.provider().clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::new("TLS set-up", e.to_string()))?
        // The recording verifier runs the full verification and keeps its verdict as
        // evidence; the connection carries no data, so nothing relies on the peer.
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let call = format!("TLS handshake with {endpoint}");
    match tokio::time::timeout(network.timeout(), connector.connect(server_name, tcp)).await {
        Err(_) => {
            return Err(FetchError::new(
                call,
                format!("no handshake within {}", seconds(network.timeout())),
            ));
        }
        Ok(Err(err)) => {
            resource["handshake"] = json!(false);
            resource["handshake_error"] = json!(handshake_error(&err));
        }
        Ok(Ok(mut stream)) => {
            let (_, connection) = stream.get_ref();
            resource["handshake"] = json!(true);
            resource["version"] = json!(connection.protocol_version().map(version_name));
            resource["cipher_suite"] = json!(
                connection
                    .negotiated_cipher_suite()
                    .and_then(|s| s.suite().as_str())
            );
            if let Some(leaf) = connection.peer_certificates().and_then(|c| c.first()) {
                describe_certificate(leaf, &mut resource);
            }
            match verifier.verdict() {
                Some(Ok(())) => resource["certificate_trusted"] = json!(true),
                Some(Err(reason)) => {
                    resource["certificate_trusted"] = json!(false);
                    resource["certificate_error"] = json!(reason);
                }
                None => {}
            }
            let _ = stream.shutdown().await;
        }
    }

    for (version, accepted, answer) in [
        (LEGACY_TLS1_0, "accepts_tls1_0", "tls1_0_answer"),
        (LEGACY_TLS1_1, "accepts_tls1_1", "tls1_1_answer"),
    ] {
        let heard = legacy_handshake(network, &target, address, version).await?;
        resource[accepted] = json!(heard.accepted(version));
        resource[answer] = json!(heard.to_string());
    }
    Ok(vec![resource])
}

/// A connection to the first address of the host that accepts one.
// TODO: only that address is probed; an endpoint behind several (CloudFront edges) may differ
// from one address to the next.
async fn connect_first(
    network: &Network,
    target: &TlsTarget,
) -> Result<(SocketAddr, TcpStream), FetchError> {
    let call = format!("connecting to {}", target.endpoint());
    let addresses = network
        .addresses(&target.host)
        .await
        .map_err(|e| FetchError::new(&call, e))?;
    let mut last = String::new();
    for ip in addresses {
        let address = SocketAddr::new(ip, target.port);
        match connect(network, address, &call).await {
            Ok(stream) => return Ok((address, stream)),
            Err(err) => last = err.cause,
        }
    }
    Err(FetchError::new(call, last))
}

async fn connect(
    network: &Network,
    address: SocketAddr,
    call: &str,
) -> Result<TcpStream, FetchError> {
    match tokio::time::timeout(network.timeout(), TcpStream::connect(address)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(err)) => Err(FetchError::new(call, format!("{address}: {err}"))),
        Err(_) => Err(FetchError::new(
            call,
            format!(
                "{address}: no connection within {}",
                seconds(network.timeout())
            ),
        )),
    }
}

/// rustls's reason, without the io wrapper around it.
fn handshake_error(err: &io::Error) -> String {
    err.get_ref()
        .map(|inner| inner.to_string())
        .unwrap_or_else(|| err.to_string())
}

fn version_name(version: rustls::ProtocolVersion) -> String {
    match u16::from(version) {
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1.0".into(),
        0x0302 => "TLSv1.1".into(),
        0x0303 => "TLSv1.2".into(),
        0x0304 => "TLSv1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// Adds the leaf certificate's names and validity to the resource.
fn describe_certificate(leaf: &CertificateDer<'_>, resource: &mut Json) {
    let Ok((_, certificate)) = X509Certificate::from_der(leaf.as_ref()) else {
        resource["certificate_error"] = json!("the certificate could not be parsed");
        return;
    };
    let validity = certificate.validity();
    let not_after = validity.not_after.timestamp();
    let now = jiff::Timestamp::now().as_second();
    let stamp = |seconds: i64| {
        jiff::Timestamp::from_second(seconds)
            .map(|t| t.to_string())
            .ok()
    };
    let sans: Vec<String> = certificate
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some(dns.to_string()),
                    GeneralName::IPAddress(bytes) => ip_text(bytes),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    resource["days_remaining"] = json!((not_after - now).div_euclid(86_400));
    resource["not_before"] = json!(stamp(validity.not_before.timestamp()));
    resource["not_after"] = json!(stamp(not_after));
    resource["subject"] = json!(certificate.subject().to_string());
    resource["common_name"] = json!(
        certificate
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
    );
    resource["sans"] = json!(sans);
    resource["issuer"] = json!(certificate.issuer().to_string());
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?).to_string()),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?).to_string()),
        _ => None,
    }
}

/// Verifies the chain as a browser would and keeps the verdict instead of aborting on it.
#[derive(Debug)]
struct Recording {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
    verdict: Mutex<Option<Result<(), String>>>,
}

impl Recording {
    fn new(network: &Network) -> Recording {
        let provider = network.provider().clone();
        // Building fails only without any trusted CA; every certificate is then untrusted.
        let webpki =
            WebPkiServerVerifier::builder_with_provider(network.roots().clone(), provider.clone())
                .build()
                .ok();
        Recording {
            webpki,
            algorithms: provider.signature_verification_algorithms,
            verdict: Mutex::new(None),
        }
    }

    fn verdict(&self) -> Option<Result<(), String>> {
        self.verdict.lock().expect("verdict lock").clone()
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.webpki {
            Some(webpki) => webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => {
                Err("no CA certificate is trusted (none in the system store, no --ca-cert)".into())
            }
        };
        *self.verdict.lock().expect("verdict lock") = Some(verdict);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The wire versions of the legacy protocols probed.
const LEGACY_TLS1_0: u16 = 0x0301;
const LEGACY_TLS1_1: u16 = 0x0302;

/// What answered a legacy ClientHello.
#[derive(Debug, PartialEq)]
enum LegacyAnswer {
    /// The server chose this version.
    ServerHello(u16),
    /// An alert: level and description.
    Alert(u8, u8),
    /// The server closed (or reset) the connection without a word.
    Closed,
}

impl LegacyAnswer {
    /// A ServerHello at the offered version, or an older one, is the server agreeing to it.
    fn accepted(&self, offered: u16) -> bool {
        matches!(self, LegacyAnswer::ServerHello(v) if *v <= offered)
    }
}

impl std::fmt::Display for LegacyAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LegacyAnswer::ServerHello(v) => {
                write!(
                    f,
                    "ServerHello {}",
                    version_name(rustls::ProtocolVersion::from(*v))
                )
            }
            LegacyAnswer::Alert(_, description) => {
                let name = match description {
                    10 => "unexpected_message",
                    40 => "handshake_failure",
                    47 => "illegal_parameter",
                    50 => "decode_error",
                    70 => "protocol_version",
                    71 => "insufficient_security",
                    80 => "internal_error",
                    112 => "unrecognized_name",
                    _ => "",
                };
                write!(f, "alert {name} ({description})")
            }
            LegacyAnswer::Closed => write!(f, "connection closed without an answer"),
        }
    }
}

/// Offers only `version` on a new connection and reads what comes back.
async fn legacy_handshake(
    network: &Network,
    target: &TlsTarget,
    address: SocketAddr,
    version: u16,
) -> Result<LegacyAnswer, FetchError> {
    let label = version_name(rustls::ProtocolVersion::from(version));
    let call = format!("{label} ClientHello to {}", target.endpoint());
    let mut stream = connect(network, address, &call).await?;
    let sni = target
        .host
        .parse::<IpAddr>()
        .is_err()
        .then_some(target.host.as_str());
    let hello = legacy_client_hello(version, network.random::<32>(), sni);
    let exchange = async {
        stream.write_all(&hello).await?;
        read_legacy_answer(&mut stream).await
    };
    match tokio::time::timeout(network.timeout(), exchange).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(err)) => Err(FetchError::new(call, err.to_string())),
        Err(_) => Err(FetchError::new(
            call,
            format!("no answer within {}", seconds(network.timeout())),
        )),
    }
}

/// A ClientHello offering only `version`: TLS 1.0/1.1 CBC suites, the renegotiation SCSV, SNI
/// for host names, and the elliptic-curve extensions servers of that era expect.
// TODO: a server that speaks TLS 1.0/1.1 only with suites not offered here (RC4, CAMELLIA,
// SEED) reads as refusing it; those suites are what the era's clients offered least.
fn legacy_client_hello(version: u16, random: [u8; 32], sni: Option<&str>) -> Vec<u8> {
    const SUITES: [u16; 10] = [
        0xc00a, 0xc009, // ECDHE-ECDSA with AES-256/128-CBC-SHA
        0xc014, 0xc013, // ECDHE-RSA with AES-256/128-CBC-SHA
        0x0039, 0x0033, // DHE-RSA with AES-256/128-CBC-SHA
        0x0035, 0x002f, // RSA with AES-256/128-CBC-SHA
        0x000a, // RSA with 3DES-EDE-CBC-SHA
        0x00ff, // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
    ];
    let mut extensions = Vec::new();
    if let Some(name) = sni {
        let name = name.as_bytes();
        let list = name.len() + 3;
        extensions.extend(0u16.to_be_bytes());
        extensions.extend(((list + 2) as u16).to_be_bytes());
        extensions.extend((list as u16).to_be_bytes());
        extensions.push(0); // host_name
        extensions.extend((name.len() as u16).to_be_bytes());
        extensions.extend(name);
    }
    // supported_groups: x25519, secp256r1, secp384r1; ec_point_formats: uncompressed.
    extensions.extend([
        0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,
    ]);
    extensions.extend([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);

    let mut hello = Vec::new();
    hello.extend(version.to_be_bytes());
    hello.extend(random);
    hello.push(0); // no session id
    hello.extend(((SUITES.len() * 2) as u16).to_be_bytes());
    for suite in SUITES {
        hello.extend(suite.to_be_bytes());
    }
    hello.extend([1, 0]); // compression: null only
    hello.extend((extensions.len() as u16).to_be_bytes());
    hello.extend(extensions);

    let mut handshake = vec![1]; // client_hello
    handshake.extend(&(hello.len() as u32).to_be_bytes()[1..]);
    handshake.extend(hello);
    // The record layer says TLS 1.0, as clients of the era did for any version.
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

/// Reads the first record of the server's answer.
async fn read_legacy_answer(stream: &mut TcpStream) -> io::Result<LegacyAnswer> {
    let mut header = [0u8; 5];
    if let Err(err) = stream.read_exact(&mut header).await {
        return match err.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Ok(LegacyAnswer::Closed),
            _ => Err(err),
        };
    }
    let length = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0u8; length.min(1 << 15)];
    stream.read_exact(&mut body).await?;
    parse_legacy_answer(header[0], &body)
}

fn parse_legacy_answer(content_type: u8, body: &[u8]) -> io::Result<LegacyAnswer> {
    let not_tls = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    match (content_type, body) {
        (0x15, [level, description, ..]) => Ok(LegacyAnswer::Alert(*level, *description)),
        (0x16, [2, _, _, _, major, minor, ..]) => {
            Ok(LegacyAnswer::ServerHello(u16::from_be_bytes([
                *major, *minor,
            ])))
        }
        (0x16, _) => Err(not_tls(
            "the answer is a handshake record but not a ServerHello",
        )),
        (other, _) => Err(not_tls(&format!(
            "the answer is not TLS (first byte 0x{other:02x})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legacy_hello_is_a_well_formed_record_offering_one_version() {
        let hello = legacy_client_hello(LEGACY_TLS1_1, [7; 32], Some("app.barkbase.com"));
        assert_eq!(&hello[..3], &[0x16, 0x03, 0x01]);
        let record_len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
        assert_eq!(record_len, hello.len() - 5);
        assert_eq!(hello[5], 1, "client_hello");
        let body_len = usize::from(hello[7]) << 8 | usize::from(hello[8]);
        assert_eq!(body_len, hello.len() - 9);
        assert_eq!(&hello[9..11], &[0x03, 0x02], "offers TLS 1.1");
        let text = String::from_utf8_lossy(&hello);
        assert!(
            text.contains("app.barkbase.com"),
            "SNI is sent for host names"
        );
        let bare = legacy_client_hello(LEGACY_TLS1_0, [7; 32], None);
        assert_eq!(&bare[9..11], &[0x03, 0x01]);
        assert_eq!(hello.len() - bare.len(), "app.barkbase.com".len() + 9);
    }

    #[test]
    fn answers_are_read_from_the_first_record() {
        assert_eq!(
            parse_legacy_answer(0x15, &[2, 70]).unwrap(),
            LegacyAnswer::Alert(2, 70)
        );
        let hello = parse_legacy_answer(0x16, &[2, 0, 0, 70, 3, 1, 0]).unwrap();
        assert_eq!(hello, LegacyAnswer::ServerHello(0x0301));
        assert!(hello.accepted(LEGACY_TLS1_0));
        assert!(
            hello.accepted(LEGACY_TLS1_1),
            "an older version is still legacy"
        );
        assert!(!LegacyAnswer::ServerHello(0x0303).accepted(LEGACY_TLS1_1));
        assert!(!LegacyAnswer::Closed.accepted(LEGACY_TLS1_0));
        assert_eq!(
            LegacyAnswer::Alert(2, 70).to_string(),
            "alert protocol_version (70)"
        );
        assert!(parse_legacy_answer(b'H', b"TTP/1.1 400").is_err());
    }

    #[test]
    fn targets_are_host_port_or_urls() {
        let t = tls_target(&json!("app.barkbase.com")).unwrap();
        assert_eq!(t.endpoint(), "app.barkbase.com:443");
        let t = tls_target(&json!("127.0.0.1:8443")).unwrap();
        assert_eq!(t.endpoint(), "127.0.0.1:8443");
        let t = tls_target(&json!("[::1]:8443")).unwrap();
        assert_eq!(t.endpoint(), "[::1]:8443");
        let t = tls_target(&json!("wss://ws.barkbase.com/prod")).unwrap();
        assert_eq!(t.endpoint(), "ws.barkbase.com:443");
        assert!(tls_target(&json!("http://app.barkbase.com")).is_err());
        assert!(tls_target(&json!("app.barkbase.com:99999")).is_err());
        assert!(tls_target(&json!({"host": "x"})).is_err());
    }
}
