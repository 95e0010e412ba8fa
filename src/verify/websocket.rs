//! The `websocket` probe: whether a `ws://` or `wss://` endpoint completes the WebSocket opening
//! handshake (RFC 6455).
//!
//! The probe sends the HTTP/1.1 Upgrade request with a random Sec-WebSocket-Key; a 101 answer
//! whose Sec-WebSocket-Accept is base64(SHA-1(key + the RFC's GUID)) is a connection, which it
//! then closes with a Close frame (1000). Any other answer is evidence (its status). A refused
//! connection, a TLS failure or a timeout is an ERROR. No IAM action: this talks to the endpoint.

use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::Url;
use serde_json::{Value as Json, json};
use sha1::{Digest, Sha1};
use tokio::io::AsyncWriteExt;

use super::FetchError;
use super::http::seconds;
use super::probe::{Network, Parsed, TargetMap, TargetProblem, display_url, error_chain, millis};
use crate::checklist::expect::FieldType::{Bool, Number, Text};
use crate::checklist::expect::{Field, field};

pub const WEBSOCKET_FIELDS: &[Field] = &[
    field("url", Text, "the URL probed (credentials hidden)"),
    field(
        "connected",
        Bool,
        "the handshake completed: 101 Switching Protocols with a valid Sec-WebSocket-Accept",
    ),
    field(
        "status",
        Number,
        "the status of the answer to the Upgrade request",
    ),
    field(
        "accept_valid",
        Bool,
        "Sec-WebSocket-Accept matches the key sent",
    ),
    field("protocol", Text, "the subprotocol the server chose, if any"),
    field(
        "elapsed_ms",
        Number,
        "milliseconds until the handshake's answer",
    ),
];

/// The GUID RFC 6455 appends to the key.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What a `websocket` check opens.
#[derive(Debug)]
pub struct WebSocketTarget {
    url: Url,
    headers: Vec<(String, String)>,
}

/// A `ws://` or `wss://` URL, or `{url, headers}` (an `Origin` or `Sec-WebSocket-Protocol`).
pub fn websocket_target(target: &Json) -> Parsed<WebSocketTarget> {
    let (url, headers) = match target {
        Json::String(url) => (url.as_str(), Vec::new()),
        Json::Object(map) => {
            let map = TargetMap::new(map, &["url", "headers"])?;
            (map.required_text("url")?, map.headers("headers")?)
        }
        _ => {
            return Err(TargetProblem::new(
                "`websocket` takes a ws:// or wss:// URL",
            ));
        }
    };
    let url = super::probe::parse_url(url, &["ws", "wss"]).map_err(|m| {
        let problem = TargetProblem::new(m);
        if target.is_object() {
            problem.under("url")
        } else {
            problem
        }
    })?;
    Ok(WebSocketTarget { url, headers })
}

/// Opens the WebSocket and closes it again.
pub async fn probe_websocket(network: &Network, target: &Json) -> Result<Vec<Json>, FetchError> {
    let target = websocket_target(target).map_err(|p| FetchError::new("websocket", p.message))?;
    let shown = display_url(&target.url);
    let call = format!("WebSocket handshake with {shown}");
    // The handshake is plain HTTP/1.1 (TLS for wss), so the HTTP client carries it.
    let mut http_url = target.url.clone();
    let scheme = if target.url.scheme() == "wss" {
        "https"
    } else {
        "http"
    };
    http_url
        .set_scheme(scheme)
        .map_err(|_| FetchError::new(&call, "cannot map the URL to HTTP"))?;

    let key = BASE64.encode(network.random::<16>());
    let mut request = network
        .http()
        .get(http_url)
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", key.as_str());
    for (name, value) in &target.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let started = Instant::now();
    let response = match tokio::time::timeout(network.timeout(), request.send()).await {
        Ok(Ok(response)) => response,
        Ok(Err(err)) => return Err(FetchError::new(call, error_chain(&err))),
        Err(_) => {
            return Err(FetchError::new(
                call,
                format!("no answer within {}", seconds(network.timeout())),
            ));
        }
    };
    let elapsed = started.elapsed();
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
    };
    let accept_valid = header("sec-websocket-accept").as_deref() == Some(&accept_for(&key));
    let protocol = header("sec-websocket-protocol");
    let connected = status.as_u16() == 101 && accept_valid;
    if connected {
        // A clean goodbye: a masked Close frame with status 1000, then end the stream.
        if let Ok(Ok(mut upgraded)) =
            tokio::time::timeout(network.timeout(), response.upgrade()).await
        {
            let mask = network.random::<4>();
            let code = 1000u16.to_be_bytes();
            let frame = [
                0x88,
                0x82,
                mask[0],
                mask[1],
                mask[2],
                mask[3],
                code[0] ^ mask[0],
                code[1] ^ mask[1],
            ];
            let _ = tokio::time::timeout(network.timeout(), async {
                upgraded.write_all(&frame).await?;
                upgraded.shutdown().await
            })
            .await;
        }
    }
    Ok(vec![json!({
        "url": shown,
        "connected": connected,
        "status": status.as_u16(),
        "accept_valid": accept_valid,
        "protocol": protocol,
        "elapsed_ms": millis(elapsed),
    })])
}

/// The Sec-WebSocket-Accept a server must answer to `key`.
fn accept_for(key: &str) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(GUID.as_bytes());
    BASE64.encode(sha1.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_value_is_the_one_rfc_6455_gives_for_its_sample_key() {
        assert_eq!(
            accept_for("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn only_websocket_urls_are_targets() {
        assert!(websocket_target(&json!("wss://ws.barkbase.com")).is_ok());
        let problem = websocket_target(&json!({"url": "https://ws.barkbase.com"})).unwrap_err();
        assert_eq!(problem.at, vec!["url".into()]);
        assert!(websocket_target(&json!({"headers": {}})).is_err());
    }
}
