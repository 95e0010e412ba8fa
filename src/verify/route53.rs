//! Route 53 hosted zones and their records.
//!
//! Calls ListHostedZones (IAM `route53:ListHostedZones`), paginated to the end, and, for the
//! zones a record check selects, ListResourceRecordSets (`route53:ListResourceRecordSets`),
//! paginated by hand by record name, type and identifier. Names are compared without the
//! trailing dot and in lower case (AWS adds the dot to alias targets, some implementations do
//! not). A record's `target` is the host it sends resolvers to (an alias's DNS name or a CNAME's
//! value) with what that host is in this account: a CloudFront distribution (and its aliases)
//! or an API Gateway custom domain's endpoint; a record named like a custom domain also carries
//! that domain's APIs.

use aws_config::SdkConfig;
use aws_sdk_route53::types::RrType;
use serde_json::{Value as Json, json};

use super::FetchError;
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextList};
use crate::checklist::expect::{Field, field};

pub const ZONE_FIELDS: &[Field] = &[
    field("name", Text, "the zone's domain, like example.com"),
    field("id", Text, "the zone's id, like Z0123456789ABC"),
    field("private_zone", Bool, "a private zone (VPC-only)"),
    field(
        "record_count",
        Number,
        "records in the zone, SOA and NS included",
    ),
    field("comment", Text, "the zone's comment"),
];

pub const RECORD_FIELDS: &[Field] = &[
    field("zone_name", Text, "the zone's domain"),
    field("zone_id", Text, "the zone's id"),
    field("name", Text, "the record's name, like app.example.com"),
    field("type", Text, "A, AAAA, CNAME, MX, TXT, NS, SOA, ..."),
    field("ttl", Number, "seconds; absent for alias records"),
    field("values", TextList, "the record's values (not for aliases)"),
    field("set_identifier", Text, "the routing policy's identifier"),
    field(
        "alias_target.dns_name",
        Text,
        "the alias target's host name",
    ),
    field(
        "alias_target.hosted_zone_id",
        Text,
        "the alias target's zone",
    ),
    field(
        "alias_target.evaluate_target_health",
        Bool,
        "the target's health is evaluated",
    ),
    field(
        "target.host",
        Text,
        "the host it points at: the alias target, or the CNAME's value",
    ),
    field(
        "target.distribution_aliases",
        TextList,
        "aliases of this account's CloudFront distribution it points at",
    ),
    field(
        "target.api_domain",
        Text,
        "this account's API Gateway custom domain whose endpoint it points at",
    ),
    field(
        "target.in_account",
        Bool,
        "derived: it points at a distribution or custom domain of this account",
    ),
    field(
        "api_domain.protocols",
        TextList,
        "REST, HTTP, WEBSOCKET: the APIs of the custom domain named like the record",
    ),
    field(
        "api_domain.api_names",
        TextList,
        "names of the APIs mapped to that custom domain",
    ),
];

/// The fields of a record its zone's summary carries, under the summary's names.
pub const RECORD_SUMMARY_FIELDS: &[(&str, &str)] = &[("zone_name", "name"), ("zone_id", "id")];

/// A DNS name as compared: lower case, no trailing dot, `\052` (how Route 53 writes `*`) as `*`.
pub fn normalize(name: &str) -> String {
    name.trim_end_matches('.')
        .replace("\\052", "*")
        .to_lowercase()
}

/// Every hosted zone of the account.
// TODO: whether the registrar delegates the domain to the zone's name servers is not checked:
// it needs GetHostedZone's delegation set and a DNS lookup of the domain's NS records.
pub async fn hosted_zones(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_route53::Client::new(config);
    let pages = client
        .list_hosted_zones()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page
            .map_err(|e| FetchError::from_sdk("ListHostedZones", "route53:ListHostedZones", e))?;
        for zone in page.hosted_zones() {
            out.push(json!({
                "name": normalize(zone.name()),
                "id": zone.id().trim_start_matches("/hostedzone/"),
                "private_zone": zone.config().map(|c| c.private_zone()),
                "record_count": zone.resource_record_set_count(),
                "comment": zone.config().and_then(|c| c.comment()),
            }));
        }
    }
    Ok(out)
}

/// Every record of one zone.
pub async fn records(config: &SdkConfig, zone: &Json) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_route53::Client::new(config);
    let zone_id = zone["id"].as_str().unwrap_or_default().to_string();
    let mut out = Vec::new();
    let mut start: Option<(String, RrType, Option<String>)> = None;
    loop {
        let mut request = client.list_resource_record_sets().hosted_zone_id(&zone_id);
        if let Some((name, kind, identifier)) = &start {
            request = request
                .start_record_name(name)
                .start_record_type(kind.clone())
                .set_start_record_identifier(identifier.clone());
        }
        let page = request.send().await.map_err(|e| {
            FetchError::from_sdk(
                "ListResourceRecordSets",
                "route53:ListResourceRecordSets",
                e,
            )
        })?;
        for record in page.resource_record_sets() {
            let values: Vec<&str> = record
                .resource_records()
                .iter()
                .map(|r| r.value())
                .collect();
            let alias = record.alias_target().map(|a| {
                json!({
                    "dns_name": normalize(a.dns_name()),
                    "hosted_zone_id": a.hosted_zone_id(),
                    "evaluate_target_health": a.evaluate_target_health(),
                })
            });
            out.push(json!({
                "zone_name": zone["name"],
                "zone_id": zone_id,
                "name": normalize(record.name()),
                "type": record.r#type().as_str(),
                "ttl": record.ttl(),
                "values": values,
                "set_identifier": record.set_identifier(),
                "alias_target": alias,
            }));
        }
        if !page.is_truncated() {
            break;
        }
        let next = (
            page.next_record_name().unwrap_or_default().to_string(),
            page.next_record_type().cloned(),
            page.next_record_identifier().map(str::to_string),
        );
        let (name, Some(kind), identifier) = next else {
            return Err(FetchError::new(
                "ListResourceRecordSets",
                format!("zone {zone_id}: a truncated page named no next record"),
            ));
        };
        let next = (name, kind, identifier);
        if start.as_ref() == Some(&next) {
            return Err(FetchError::new(
                "ListResourceRecordSets",
                format!(
                    "zone {zone_id}: the listing did not advance past {}",
                    next.0
                ),
            ));
        }
        start = Some(next);
    }
    Ok(out)
}

/// Tells what each record points at in this account: `distributions` from ListDistributions,
/// `api_domains` from [`super::apigatewayv2::domains_with_apis`].
pub fn with_targets(
    mut records: Vec<Json>,
    distributions: &[Json],
    api_domains: &[Json],
) -> Vec<Json> {
    for record in &mut records {
        let name = record["name"].as_str().unwrap_or_default().to_string();
        if let Some(domain) = api_domains.iter().find(|d| d["name"] == name.as_str()) {
            record["api_domain"] = json!({
                "protocols": domain["protocols"],
                "api_names": domain["api_names"],
            });
        }
        let cname = record["values"]
            .as_array()
            .filter(|_| record["type"] == "CNAME")
            .and_then(|v| v.first())
            .and_then(Json::as_str)
            .map(normalize);
        let Some(target) = record["alias_target"]["dns_name"]
            .as_str()
            .map(str::to_string)
            .or(cname)
        else {
            continue;
        };
        let distribution = distributions.iter().find(|d| {
            d["domain_name"]
                .as_str()
                .is_some_and(|host| normalize(host) == target)
        });
        let api_domain = api_domains.iter().find(|d| {
            d["endpoints"].as_array().is_some_and(|e| {
                e.iter()
                    .any(|e| e.as_str().map(normalize) == Some(target.clone()))
            })
        });
        record["target"] = json!({
            "host": target,
            "distribution_aliases": distribution.map(|d| d["aliases"].clone()),
            "api_domain": api_domain.map(|d| d["name"].clone()),
            "in_account": distribution.is_some() || api_domain.is_some(),
        });
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_the_trailing_dot_and_case() {
        assert_eq!(normalize("App.Example.com."), "app.example.com");
        assert_eq!(normalize("\\052.example.com."), "*.example.com");
    }

    #[test]
    fn alias_records_know_the_distribution_or_custom_domain_they_point_at() {
        let records = vec![
            json!({"name": "app.example.com", "alias_target": {"dns_name": "d111.cloudfront.net"}}),
            json!({"name": "api.example.com",
                   "alias_target": {"dns_name": "d-1.execute-api.us-east-1.amazonaws.com"}}),
            json!({"name": "old.example.com", "alias_target": {"dns_name": "gone.cloudfront.net"}}),
            json!({"name": "mail.example.com", "type": "MX", "values": ["10 mx.example.com"]}),
            json!({"name": "www.example.com", "type": "CNAME", "values": ["d111.cloudfront.net."]}),
        ];
        let distributions = vec![json!({"domain_name": "D111.cloudfront.net.",
                                        "aliases": ["app.example.com"]})];
        let api_domains = vec![json!({"name": "api.example.com",
            "endpoints": ["d-1.execute-api.us-east-1.amazonaws.com."],
            "protocols": ["REST"], "api_names": ["BarkBaseAPI"]})];
        let joined = with_targets(records, &distributions, &api_domains);
        assert_eq!(
            joined[0]["target"]["distribution_aliases"],
            json!(["app.example.com"])
        );
        assert_eq!(joined[1]["target"]["api_domain"], "api.example.com");
        assert_eq!(joined[1]["api_domain"]["protocols"], json!(["REST"]));
        assert_eq!(joined[2]["target"]["in_account"], false);
        assert!(joined[3]["target"].is_null(), "an MX record points nowhere");
        assert_eq!(joined[4]["target"]["host"], "d111.cloudfront.net");
        assert_eq!(joined[4]["target"]["in_account"], true);
    }
}
