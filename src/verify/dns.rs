//! The `dns` probe: what a name resolves to, CNAME chain included.
//!
//! Queries the resolver of the run (`--dns-server`, or the system's configured name servers;
//! never /etc/hosts) for one record type, A by default. A name that does not exist (NXDOMAIN)
//! or has no record of the type is an answer, so a FAIL with that evidence; a SERVFAIL, a
//! REFUSED or a timeout means nobody could say, so an ERROR. No IAM action: this asks DNS.

use std::str::FromStr;

use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use serde_json::{Value as Json, json};

use super::FetchError;
use super::probe::{Network, Parsed, TargetMap, TargetProblem, fqdn};
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextList};
use crate::checklist::expect::{Field, field};

pub const DNS_FIELDS: &[Field] = &[
    field("name", Text, "the name asked for"),
    field(
        "type",
        Text,
        "the record type asked for: A, AAAA, CNAME, TXT, MX, NS, CAA",
    ),
    field("response_code", Text, "NOERROR or NXDOMAIN"),
    field(
        "resolves",
        Bool,
        "derived: at least one record of the type came back (after CNAMEs)",
    ),
    field(
        "addresses",
        TextList,
        "the IPv4 and IPv6 addresses answered",
    ),
    field("cnames", TextList, "the CNAME chain followed, in order"),
    field(
        "records",
        TextList,
        "every record of the asked type, as text",
    ),
    field("ttl", Number, "the smallest TTL of the answer, in seconds"),
];

/// Record types a check may ask for.
const TYPES: &[&str] = &["A", "AAAA", "CNAME", "TXT", "MX", "NS", "CAA"];

/// What a `dns` check asks.
#[derive(Debug)]
pub struct DnsTarget {
    name: String,
    record_type: RecordType,
}

/// A name, or `{name, type}`.
pub fn dns_target(target: &Json) -> Parsed<DnsTarget> {
    let (name, record_type) = match target {
        Json::String(name) => (name.trim(), "A"),
        Json::Object(map) => {
            let map = TargetMap::new(map, &["name", "type"])?;
            (map.required_text("name")?, map.text("type")?.unwrap_or("A"))
        }
        _ => return Err(TargetProblem::new("`dns` takes a name, or {name, type}")),
    };
    let upper = record_type.to_ascii_uppercase();
    if !TYPES.contains(&upper.as_str()) {
        return Err(TargetProblem::new(format!(
            "record type `{record_type}` is not one of {}",
            TYPES.join(", ")
        ))
        .under("type"));
    }
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if !valid {
        let problem = TargetProblem::new(format!("`{name}` is not a domain name"));
        return Err(if target.is_object() {
            problem.under("name")
        } else {
            problem
        });
    }
    Ok(DnsTarget {
        name: name.trim_end_matches('.').to_ascii_lowercase(),
        record_type: RecordType::from_str(&upper).expect("a listed type"),
    })
}

/// Asks for the target's records.
pub async fn probe_dns(network: &Network, target: &Json) -> Result<Vec<Json>, FetchError> {
    let target = dns_target(target).map_err(|p| FetchError::new("dns", p.message))?;
    let call = format!("DNS lookup of {} {}", target.name, target.record_type);
    let resolver = network.records().await?;
    let lookup = tokio::time::timeout(
        network.timeout(),
        resolver.lookup(fqdn(&target.name), target.record_type),
    )
    .await;
    let limit = network.timeout().as_secs_f64();
    let answer = match lookup {
        // The resolver's own timeout, the same limit, can end the wait a moment first.
        Err(_) | Ok(Err(NetError::Timeout)) => {
            return Err(FetchError::new(call, format!("no answer within {limit} s")));
        }
        Ok(Ok(lookup)) => lookup,
        Ok(Err(NetError::Dns(DnsError::NoRecordsFound(none)))) => {
            return Ok(vec![resource(
                &target,
                none.response_code,
                Vec::new(),
                Vec::new(),
                None,
            )]);
        }
        Ok(Err(err)) => return Err(FetchError::new(call, err.to_string())),
    };

    let mut cnames = Vec::new();
    let mut records = Vec::new();
    let mut ttl: Option<u32> = None;
    for record in answer.answers() {
        ttl = Some(ttl.map_or(record.ttl, |t| t.min(record.ttl)));
        let data = &record.data;
        if record.record_type() == target.record_type {
            records.push(data.clone());
        } else if let RData::CNAME(cname) = data {
            cnames.push(bare(&cname.0.to_string()));
        }
    }
    Ok(vec![resource(
        &target,
        ResponseCode::NoError,
        cnames,
        records,
        ttl,
    )])
}

fn resource(
    target: &DnsTarget,
    code: ResponseCode,
    cnames: Vec<String>,
    records: Vec<RData>,
    ttl: Option<u32>,
) -> Json {
    let addresses: Vec<String> = records
        .iter()
        .filter_map(|r| match r {
            RData::A(a) => Some(a.0.to_string()),
            RData::AAAA(a) => Some(a.0.to_string()),
            _ => None,
        })
        .collect();
    let texts: Vec<String> = records.iter().map(|r| bare(&r.to_string())).collect();
    json!({
        "name": target.name,
        "type": target.record_type.to_string(),
        "response_code": code_name(code),
        "resolves": !records.is_empty(),
        "addresses": addresses,
        "cnames": cnames,
        "records": texts,
        "ttl": ttl,
    })
}

/// A name without its final dot, as people write it.
fn bare(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_string()
}

fn code_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::Refused => "REFUSED".into(),
        other => format!("{other:?}").to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_names_with_an_optional_type() {
        let t = dns_target(&json!("App.BarkBase.com.")).unwrap();
        assert_eq!(
            (t.name.as_str(), t.record_type),
            ("app.barkbase.com", RecordType::A)
        );
        let t = dns_target(&json!({"name": "barkbase.com", "type": "txt"})).unwrap();
        assert_eq!(t.record_type, RecordType::TXT);
        let problem = dns_target(&json!({"name": "barkbase.com", "type": "SRV"})).unwrap_err();
        assert_eq!(problem.at, vec!["type".into()]);
        assert!(dns_target(&json!("https://app.barkbase.com")).is_err());
        assert!(dns_target(&json!({"type": "A"})).is_err());
    }
}
