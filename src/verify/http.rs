//! HTTP probes: `http` (one exchange: status, headers, redirects, security headers, CORS
//! preflights) and `http_latency` (a bounded series of timed requests).
//!
//! `http` sends the target's request (GET by default) and, unless `follow_redirects: false`,
//! follows up to 10 redirects; the first answer's `location` and `redirects_to_https` are kept
//! either way. With `cors:` it also sends a preflight (OPTIONS with `Origin` and
//! `Access-Control-Request-Method`) from the origin that must be allowed and from a foreign
//! one. `http_latency` sends `requests` requests one after the other on a kept-alive connection
//! and reports percentiles by nearest rank. No IAM action: these talk to the endpoints.
//! A refused connection, a TLS failure or a timeout is an ERROR; an answer, whatever its status,
//! is evidence. Response bodies are counted, never shown, and cookie values are hidden.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Map, Value as Json, json};

use super::FetchError;
use super::probe::{Network, Parsed, TargetMap, TargetProblem, display_url, error_chain, millis};
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextMap};
use crate::checklist::expect::{Field, Matcher, field};

pub const HTTP_FIELDS: &[Field] = &[
    field("url", Text, "the URL requested (credentials hidden)"),
    field("method", Text, "the request's method"),
    field(
        "status",
        Number,
        "the status of the answer (after redirects, if followed)",
    ),
    field(
        "headers",
        TextMap,
        "the answer's headers by lowercase name, like headers.content-type",
    ),
    field(
        "location",
        Text,
        "where the first answer redirects to, if it does",
    ),
    field(
        "redirects_to_https",
        Bool,
        "derived: the first answer redirects to an https:// URL",
    ),
    field("redirects", Number, "how many redirects were followed"),
    field("final_url", Text, "the URL of the last answer"),
    field(
        "elapsed_ms",
        Number,
        "milliseconds from sending to the end of the body",
    ),
    field(
        "body_bytes",
        Number,
        "the size of the body (counted up to 5 MiB)",
    ),
    field(
        "hsts_max_age",
        Number,
        "derived: max-age of Strict-Transport-Security, in seconds",
    ),
    field(
        "hsts_include_subdomains",
        Bool,
        "derived: Strict-Transport-Security has includeSubDomains",
    ),
    field(
        "cors.own.allowed",
        Bool,
        "derived: the preflight from `cors.own_origin` got Access-Control-Allow-Origin * or it",
    ),
    field(
        "cors.own.allow_origin",
        Text,
        "Access-Control-Allow-Origin answered to `cors.own_origin`",
    ),
    field("cors.own.status", Number, "the status of that preflight"),
    field(
        "cors.foreign.allowed",
        Bool,
        "derived: the preflight from `cors.foreign_origin` got Access-Control-Allow-Origin * or \
         that origin reflected",
    ),
    field(
        "cors.foreign.allow_origin",
        Text,
        "Access-Control-Allow-Origin answered to `cors.foreign_origin`",
    ),
    field(
        "cors.foreign.allow_credentials",
        Bool,
        "Access-Control-Allow-Credentials: true answered to the foreign origin",
    ),
    field(
        "cors.foreign.status",
        Number,
        "the status of that preflight",
    ),
];

pub const LATENCY_FIELDS: &[Field] = &[
    field("url", Text, "the URL timed (credentials hidden)"),
    field("requests", Number, "requests sent"),
    field("answered", Number, "requests answered within timeout_ms"),
    field(
        "errors",
        Number,
        "requests not answered in time, not answered at all, or answered 4xx/5xx",
    ),
    field(
        "timeouts",
        Number,
        "requests not answered within timeout_ms",
    ),
    field(
        "average_ms",
        Number,
        "mean milliseconds (a timeout counts as timeout_ms)",
    ),
    field("p50_ms", Number, "median milliseconds"),
    field("p95_ms", Number, "95th percentile, nearest rank"),
    field("p99_ms", Number, "99th percentile, nearest rank"),
    field("min_ms", Number, "fastest answer"),
    field("max_ms", Number, "slowest answer"),
    field(
        "first_error",
        Text,
        "what went wrong first, if anything did",
    ),
];

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 10;
/// Bytes of a body counted; the rest is not read.
const MAX_BODY: usize = 5 * 1024 * 1024;
/// The most requests, and the most time, one latency target may take.
const MAX_REQUESTS: u64 = 500;
const MAX_LATENCY_BUDGET_MS: u64 = 300_000;

/// What an `http` check requests.
#[derive(Debug)]
pub struct HttpTarget {
    url: Url,
    method: Method,
    headers: Vec<(String, String)>,
    follow_redirects: bool,
    cors: Option<Cors>,
}

/// The preflights of a CORS check.
#[derive(Debug)]
struct Cors {
    own_origin: Option<String>,
    foreign_origin: Option<String>,
    method: String,
    request_headers: Option<String>,
}

pub fn http_target(target: &Json) -> Parsed<HttpTarget> {
    let map = match target {
        Json::String(url) => {
            return Ok(HttpTarget {
                url: url_of(url)?,
                method: Method::GET,
                headers: Vec::new(),
                follow_redirects: true,
                cors: None,
            });
        }
        Json::Object(map) => TargetMap::new(
            map,
            &["url", "method", "headers", "follow_redirects", "cors"],
        )?,
        _ => {
            return Err(TargetProblem::new(
                "`http` takes a URL or a mapping with `url`",
            ));
        }
    };
    let url = url_of(map.required_text("url")?).map_err(|p| p.under("url"))?;
    let method = match map.text("method")? {
        None => Method::GET,
        Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
            TargetProblem::new(format!("`{m}` is not an HTTP method")).under("method")
        })?,
    };
    let cors = match map.mapping("cors")? {
        None => None,
        Some(cors) => Some(cors_of(cors).map_err(|p| p.under("cors"))?),
    };
    Ok(HttpTarget {
        url,
        method,
        headers: map.headers("headers")?,
        follow_redirects: map.boolean("follow_redirects")?.unwrap_or(true),
        cors,
    })
}

fn url_of(text: &str) -> Parsed<Url> {
    super::probe::parse_url(text, &["http", "https"]).map_err(TargetProblem::new)
}

fn cors_of(map: &Map<String, Json>) -> Parsed<Cors> {
    let map = TargetMap::new(
        map,
        &["own_origin", "foreign_origin", "method", "request_headers"],
    )?;
    let origin = |key: &str| -> Parsed<Option<String>> {
        match map.text(key)? {
            None => Ok(None),
            Some(text) => {
                // An Origin header is scheme://host[:port]; a URL's path is dropped.
                let url = super::probe::parse_url(text, &["http", "https"])
                    .map_err(|m| TargetProblem::new(m).under(key))?;
                Ok(Some(url.origin().ascii_serialization()))
            }
        }
    };
    let own_origin = origin("own_origin")?;
    let foreign_origin = origin("foreign_origin")?;
    if own_origin.is_none() && foreign_origin.is_none() {
        return Err(TargetProblem::new(
            "`cors` needs `own_origin` (must be allowed), `foreign_origin` (must not be), or both",
        ));
    }
    Ok(Cors {
        own_origin,
        foreign_origin,
        method: map.text("method")?.unwrap_or("GET").to_ascii_uppercase(),
        request_headers: map.text("request_headers")?.map(str::to_string),
    })
}

/// Load-time checks that need the expectations: a `cors.*` field needs the preflight for it.
pub fn check_http(target: &HttpTarget, expect: &[(String, Matcher)]) -> Parsed<()> {
    for (field, _) in expect {
        let needs = if field.starts_with("cors.own.") {
            target.cors.as_ref().and_then(|c| c.own_origin.as_ref())
        } else if field.starts_with("cors.foreign.") {
            target.cors.as_ref().and_then(|c| c.foreign_origin.as_ref())
        } else {
            continue;
        };
        if needs.is_none() {
            let key = if field.starts_with("cors.own.") {
                "own_origin"
            } else {
                "foreign_origin"
            };
            return Err(TargetProblem::new(format!(
                "`{field}` needs a preflight: give the target `cors: {{{key}: ...}}`"
            )));
        }
    }
    Ok(())
}

/// Sends the target's request (following redirects unless told not to) and its preflights.
pub async fn probe_http(network: &Network, target: &Json) -> Result<Vec<Json>, FetchError> {
    let target = http_target(target).map_err(|p| FetchError::new("http", p.message))?;
    let shown = display_url(&target.url);
    let call = format!("{} {shown}", target.method);
    let started = Instant::now();

    let mut url = target.url.clone();
    let mut method = target.method.clone();
    let mut first: Option<(StatusCode, Option<Url>)> = None;
    let mut redirects = 0;
    let (status, headers, body_bytes) = loop {
        // Headers the checklist gives (an Authorization, say) stay with the original host.
        let same_host = url.host_str() == target.url.host_str()
            && url.port_or_known_default() == target.url.port_or_known_default();
        let mut request = network.http().request(method.clone(), url.clone());
        if same_host {
            for (name, value) in &target.headers {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let response = within(network.timeout(), &call, request.send()).await?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url.join(l).ok());
        if first.is_none() {
            first = Some((status, location.clone()));
        }
        match location {
            Some(next) if status.is_redirection() && target.follow_redirects => {
                if redirects == MAX_REDIRECTS {
                    return Err(FetchError::new(
                        call,
                        format!(
                            "more than {MAX_REDIRECTS} redirects (last to {})",
                            display_url(&next)
                        ),
                    ));
                }
                redirects += 1;
                if status == StatusCode::SEE_OTHER {
                    method = Method::GET;
                }
                url = next;
            }
            _ => {
                let headers = response.headers().clone();
                let bytes = within(network.timeout(), &call, body_size(response)).await?;
                break (status, headers, bytes);
            }
        }
    };
    let elapsed = started.elapsed();

    let (first_status, first_location) = first.expect("one answer at least");
    let hsts = headers
        .get("strict-transport-security")
        .and_then(|v| v.to_str().ok())
        .map(Hsts::parse);
    let mut resource = json!({
        "url": shown,
        "method": target.method.as_str(),
        "status": status.as_u16(),
        "headers": header_map(&headers),
        "location": first_location.as_ref().map(display_url),
        "redirects_to_https": first_status.is_redirection()
            && first_location.as_ref().is_some_and(|l| l.scheme() == "https"),
        "redirects": redirects,
        "final_url": display_url(&url),
        "elapsed_ms": millis(elapsed),
        "body_bytes": body_bytes,
        "hsts_max_age": hsts.as_ref().and_then(|h| h.max_age),
        "hsts_include_subdomains": hsts.as_ref().map(|h| h.include_subdomains),
    });

    if let Some(cors) = &target.cors {
        let mut answers = Map::new();
        for (side, origin) in [("own", &cors.own_origin), ("foreign", &cors.foreign_origin)] {
            if let Some(origin) = origin {
                let answer = preflight(network, &target.url, origin, cors).await?;
                answers.insert(side.to_string(), answer);
            }
        }
        resource["cors"] = Json::Object(answers);
    }
    Ok(vec![resource])
}

/// One CORS preflight from `origin`, and what it allowed.
async fn preflight(
    network: &Network,
    url: &Url,
    origin: &str,
    cors: &Cors,
) -> Result<Json, FetchError> {
    let call = format!("CORS preflight OPTIONS {} from {origin}", display_url(url));
    let mut request = network
        .http()
        .request(Method::OPTIONS, url.clone())
        .header("origin", origin)
        .header("access-control-request-method", cors.method.as_str());
    if let Some(headers) = &cors.request_headers {
        request = request.header("access-control-request-headers", headers.as_str());
    }
    let response = within(network.timeout(), &call, request.send()).await?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
    };
    let allow_origin = header("access-control-allow-origin");
    let allowed = allow_origin
        .as_deref()
        .is_some_and(|a| a == "*" || a.eq_ignore_ascii_case(origin));
    Ok(json!({
        "origin": origin,
        "status": response.status().as_u16(),
        "allow_origin": allow_origin,
        "allow_credentials": header("access-control-allow-credentials")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        "allow_methods": header("access-control-allow-methods"),
        "allowed": allowed,
    }))
}

/// What `Strict-Transport-Security` says.
struct Hsts {
    max_age: Option<u64>,
    include_subdomains: bool,
}

impl Hsts {
    fn parse(value: &str) -> Hsts {
        let mut hsts = Hsts {
            max_age: None,
            include_subdomains: false,
        };
        for directive in value.split(';').map(str::trim) {
            let (name, argument) = directive.split_once('=').unwrap_or((directive, ""));
            if name.trim().eq_ignore_ascii_case("max-age") {
                hsts.max_age = argument.trim().trim_matches('"').parse().ok();
            } else if name.trim().eq_ignore_ascii_case("includesubdomains") {
                hsts.include_subdomains = true;
            }
        }
        hsts
    }
}

/// Headers by lowercase name; repeated headers joined with `, `, cookie values hidden.
fn header_map(headers: &HeaderMap) -> Json {
    let mut out = Map::new();
    for name in headers.keys() {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| shown_header(name, v))
            .collect();
        out.insert(name.as_str().to_string(), Json::String(values.join(", ")));
    }
    Json::Object(out)
}

fn shown_header(name: &HeaderName, value: &HeaderValue) -> String {
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    if name.as_str() != "set-cookie" {
        return text;
    }
    // A session cookie is a credential: keep its name and attributes, not its value.
    let mut parts = text.split(';');
    let pair = parts.next().unwrap_or_default();
    let (cookie, value) = pair.split_once('=').unwrap_or((pair, ""));
    let mut shown = format!(
        "{}=<{} characters hidden>",
        cookie.trim(),
        value.trim().len()
    );
    for attribute in parts {
        shown.push(';');
        shown.push_str(attribute);
    }
    shown
}

/// Reads a body, counting its bytes up to [`MAX_BODY`].
async fn body_size(mut response: reqwest::Response) -> Result<usize, reqwest::Error> {
    let mut size = 0;
    while let Some(chunk) = response.chunk().await? {
        size += chunk.len();
        if size >= MAX_BODY {
            return Ok(MAX_BODY);
        }
    }
    Ok(size)
}

/// Awaits a request step for at most `limit`, turning its failure into a [`FetchError`].
async fn within<T>(
    limit: Duration,
    call: &str,
    step: impl Future<Output = Result<T, reqwest::Error>>,
) -> Result<T, FetchError> {
    match tokio::time::timeout(limit, step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(FetchError::new(call, error_chain(&err))),
        Err(_) => Err(FetchError::new(
            call,
            format!("no answer within {}", seconds(limit)),
        )),
    }
}

pub fn seconds(limit: Duration) -> String {
    format!("{} s", limit.as_secs_f64())
}

/// What an `http_latency` check times.
#[derive(Debug)]
pub struct LatencyTarget {
    url: Url,
    requests: u64,
    timeout: Duration,
    headers: Vec<(String, String)>,
}

pub fn latency_target(target: &Json) -> Parsed<LatencyTarget> {
    let map = match target {
        Json::Object(map) => TargetMap::new(map, &["url", "requests", "timeout_ms", "headers"])?,
        _ => {
            return Err(TargetProblem::new(
                "`http_latency` takes a mapping: {url, requests, timeout_ms}",
            ));
        }
    };
    let url = url_of(map.required_text("url")?).map_err(|p| p.under("url"))?;
    let requests = map
        .number("requests", 1, MAX_REQUESTS)?
        .ok_or_else(|| TargetProblem::new("the target needs `requests` (how many to time)"))?;
    let timeout_ms = map.number("timeout_ms", 1, 60_000)?.ok_or_else(|| {
        TargetProblem::new("the target needs `timeout_ms` (the most one request may take)")
    })?;
    if requests * timeout_ms > MAX_LATENCY_BUDGET_MS {
        return Err(TargetProblem::new(format!(
            "{requests} requests of up to {timeout_ms} ms could take {} s; keep requests × \
             timeout_ms within {} s",
            requests * timeout_ms / 1000,
            MAX_LATENCY_BUDGET_MS / 1000
        )));
    }
    Ok(LatencyTarget {
        url,
        requests,
        timeout: Duration::from_millis(timeout_ms),
        headers: map.headers("headers")?,
    })
}

/// How many requests without any answer end a latency sample early.
const UNANSWERED_BEFORE_GIVING_UP: u64 = 3;

/// Times `requests` GETs one after the other. A timed-out request counts as `timeout_ms` (a
/// lower bound of its time); one that got no answer at all is left out of the percentiles. When
/// no request was answered, nothing was measured: an ERROR.
pub async fn probe_latency(network: &Network, target: &Json) -> Result<Vec<Json>, FetchError> {
    let target = latency_target(target).map_err(|p| FetchError::new("http_latency", p.message))?;
    let shown = display_url(&target.url);
    let mut samples: Vec<f64> = Vec::new();
    let (mut answered, mut errors, mut timeouts) = (0u64, 0u64, 0u64);
    let mut first_error: Option<String> = None;

    for sent in 0..target.requests {
        // An endpoint that answered none of the first few requests is down: sending the rest
        // would only multiply the wait by the number of requests.
        if answered == 0 && sent >= UNANSWERED_BEFORE_GIVING_UP {
            break;
        }
        let mut request = network.http().get(target.url.clone());
        for (name, value) in &target.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let started = Instant::now();
        let exchange = async {
            let response = request.send().await?;
            let status = response.status();
            body_size(response).await?;
            Ok::<StatusCode, reqwest::Error>(status)
        };
        match tokio::time::timeout(target.timeout, exchange).await {
            Ok(Ok(status)) => {
                answered += 1;
                samples.push(millis(started.elapsed()));
                if status.is_client_error() || status.is_server_error() {
                    errors += 1;
                    first_error.get_or_insert_with(|| format!("answered {status}"));
                }
            }
            Ok(Err(err)) if !err.is_timeout() => {
                errors += 1;
                first_error.get_or_insert_with(|| error_chain(&err));
            }
            // The client's own timeout (--probe-timeout) is a timeout too.
            Ok(Err(_)) | Err(_) => {
                errors += 1;
                timeouts += 1;
                samples.push(millis(target.timeout));
                first_error.get_or_insert_with(|| {
                    format!("no answer within {} ms", target.timeout.as_millis())
                });
            }
        }
    }

    if answered == 0 {
        return Err(FetchError::new(
            format!("timing GET {shown}"),
            format!(
                "none of {} requests was answered ({} timed out){}: {}",
                errors,
                timeouts,
                if errors < target.requests {
                    format!(", so the other {} were not sent", target.requests - errors)
                } else {
                    String::new()
                },
                first_error.unwrap_or_default()
            ),
        ));
    }
    let stats = Percentiles::of(&mut samples);
    Ok(vec![json!({
        "url": shown,
        "requests": target.requests,
        "answered": answered,
        "errors": errors,
        "timeouts": timeouts,
        "average_ms": stats.average,
        "p50_ms": stats.rank(50.0),
        "p95_ms": stats.rank(95.0),
        "p99_ms": stats.rank(99.0),
        "min_ms": stats.sorted.first(),
        "max_ms": stats.sorted.last(),
        "first_error": first_error,
    })])
}

/// Latency samples, sorted.
struct Percentiles {
    sorted: Vec<f64>,
    average: f64,
}

impl Percentiles {
    fn of(samples: &mut [f64]) -> Percentiles {
        samples.sort_by(f64::total_cmp);
        let average = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
        Percentiles {
            sorted: samples.to_vec(),
            average: (average * 10.0).round() / 10.0,
        }
    }

    /// The nearest-rank percentile: the smallest sample with at least `p`% of samples at or
    /// below it.
    fn rank(&self, p: f64) -> Option<f64> {
        if self.sorted.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * self.sorted.len() as f64).ceil() as usize;
        Some(self.sorted[rank.clamp(1, self.sorted.len()) - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let mut samples: Vec<f64> = (1..=20).map(f64::from).collect();
        samples.reverse();
        let stats = Percentiles::of(&mut samples);
        assert_eq!(stats.average, 10.5);
        assert_eq!(stats.rank(50.0), Some(10.0));
        assert_eq!(stats.rank(95.0), Some(19.0));
        assert_eq!(stats.rank(99.0), Some(20.0));
        let stats = Percentiles::of(&mut [7.0]);
        assert_eq!(stats.rank(99.0), Some(7.0));
        assert_eq!(stats.rank(1.0), Some(7.0));
    }

    #[test]
    fn hsts_max_age_and_subdomains_are_read_whatever_the_case() {
        let hsts = Hsts::parse("Max-Age=\"31536000\"; includeSubDomains; preload");
        assert_eq!(hsts.max_age, Some(31_536_000));
        assert!(hsts.include_subdomains);
        let broken = Hsts::parse("max-age=soon");
        assert_eq!(broken.max_age, None);
        assert!(!broken.include_subdomains);
    }

    #[test]
    fn cookie_values_are_hidden_but_their_attributes_shown() {
        let name = HeaderName::from_static("set-cookie");
        let value = HeaderValue::from_static("sid=s3cr3t-v4lue; Path=/; Secure; HttpOnly");
        assert_eq!(
            shown_header(&name, &value),
            "sid=<12 characters hidden>; Path=/; Secure; HttpOnly"
        );
    }

    #[test]
    fn targets_name_what_is_wrong_and_where() {
        let missing = http_target(&json!({"method": "GET"})).unwrap_err();
        assert_eq!(missing.message, "the target needs `url`");
        let bad = http_target(&json!({"url": "ftp://x"})).unwrap_err();
        assert_eq!(bad.at, vec!["url".into()]);
        let typo = http_target(&json!({"url": "https://x", "folow_redirects": false})).unwrap_err();
        assert!(
            typo.message.contains("did you mean `follow_redirects`?"),
            "{}",
            typo.message
        );
        let cors = http_target(&json!({"url": "https://x", "cors": {}})).unwrap_err();
        assert_eq!(cors.at, vec!["cors".into()]);
        let budget =
            latency_target(&json!({"url": "https://x", "requests": 500, "timeout_ms": 60000}))
                .unwrap_err();
        assert!(
            budget.message.contains("within 300 s"),
            "{}",
            budget.message
        );
        let numeric_text =
            latency_target(&json!({"url": "https://x", "requests": "20", "timeout_ms": "5000"}));
        assert_eq!(numeric_text.unwrap().requests, 20);
    }
}
