//! CloudFront distributions.
//!
//! Calls ListDistributions (IAM `cloudfront:ListDistributions`) in us-east-1, paginated to the
//! end; the summaries it returns carry every field checked here, so no GetDistribution call is
//! needed. An origin counts as S3 when it has an S3 origin config or an S3 website host name.
//!
//! `cloudfront_invalidations` checks call ListInvalidations (`cloudfront:ListInvalidations`),
//! paginated to the end, for the distributions they select: a distribution's invalidation
//! history, with its newest invalidation, says whether the cache was invalidated and finished.

use aws_config::SdkConfig;
use serde_json::{Value as Json, json};

use super::FetchError;
use super::aws::timestamp;
use crate::checklist::expect::FieldType::{Bool, Number, Objects, Text, TextList, Timestamp};
use crate::checklist::expect::{Field, field};
use aws_sdk_cloudfront::primitives::DateTime;

const ORIGIN_FIELDS: &[Field] = &[
    field("id", Text, "the origin's id"),
    field("domain_name", Text, "the origin's host name"),
    field("origin_path", Text, "the path prefix"),
    field("s3", Bool, "an S3 bucket or S3 website endpoint"),
];

const ERROR_RESPONSE_FIELDS: &[Field] = &[
    field(
        "error_code",
        Number,
        "the HTTP status it replaces, like 404",
    ),
    field(
        "response_page_path",
        Text,
        "the page served instead, like /index.html",
    ),
    field(
        "response_code",
        Text,
        "the status answered instead, like 200",
    ),
    field(
        "error_caching_min_ttl",
        Number,
        "seconds the error is cached",
    ),
];

pub const DISTRIBUTION_FIELDS: &[Field] = &[
    field("id", Text, "the distribution's id"),
    field("arn", Text, "the distribution's ARN"),
    field("domain_name", Text, "its cloudfront.net host name"),
    field("status", Text, "Deployed or InProgress"),
    field("enabled", Bool, "it serves traffic"),
    field("aliases", TextList, "its custom domain names"),
    field("origins", Objects(ORIGIN_FIELDS), "its origins"),
    field(
        "default_cache_behavior.viewer_protocol_policy",
        Text,
        "allow-all, redirect-to-https, https-only",
    ),
    field(
        "default_cache_behavior.cache_policy_id",
        Text,
        "the cache policy of the default behavior",
    ),
    field(
        "default_cache_behavior.target_origin_id",
        Text,
        "the origin of the default behavior",
    ),
    field("default_cache_behavior.compress", Bool, "compression is on"),
    field(
        "custom_error_responses",
        Objects(ERROR_RESPONSE_FIELDS),
        "error pages",
    ),
    field(
        "viewer_certificate.acm_certificate_arn",
        Text,
        "the ACM certificate served",
    ),
    field(
        "viewer_certificate.ssl_support_method",
        Text,
        "sni-only, vip, static-ip",
    ),
    field(
        "viewer_certificate.minimum_protocol_version",
        Text,
        "like TLSv1.2_2021",
    ),
    field(
        "viewer_certificate.cloudfront_default_certificate",
        Bool,
        "the *.cloudfront.net certificate",
    ),
    field("web_acl_id", Text, "the WAF web ACL; empty when none"),
    field("http_version", Text, "http1.1, http2, http2and3, http3"),
    field("price_class", Text, "PriceClass_All, ..."),
    field("is_ipv6_enabled", Bool, "IPv6 is on"),
    field("comment", Text, "the distribution's comment"),
    field("last_modified_time", Timestamp, "when it was last changed"),
];

/// Every distribution of the account.
pub async fn distributions(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cloudfront::Client::new(config);
    let pages = client
        .list_distributions()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("ListDistributions", "cloudfront:ListDistributions", e)
        })?;
        let Some(list) = page.distribution_list() else {
            continue;
        };
        for d in list.items() {
            let origins: Vec<Json> = d
                .origins()
                .map(|o| o.items())
                .unwrap_or_default()
                .iter()
                .map(|o| {
                    let host = o.domain_name();
                    let s3 = o.s3_origin_config().is_some()
                        || host.contains(".s3.")
                        || host.contains(".s3-website");
                    json!({"id": o.id(), "domain_name": host, "origin_path": o.origin_path(), "s3": s3})
                })
                .collect();
            let errors: Vec<Json> = d
                .custom_error_responses()
                .map(|e| e.items())
                .unwrap_or_default()
                .iter()
                .map(|e| {
                    json!({
                        "error_code": e.error_code(),
                        "response_page_path": e.response_page_path(),
                        "response_code": e.response_code(),
                        "error_caching_min_ttl": e.error_caching_min_ttl(),
                    })
                })
                .collect();
            let behavior = d.default_cache_behavior().map(|b| {
                json!({
                    "viewer_protocol_policy": b.viewer_protocol_policy().as_str(),
                    "cache_policy_id": b.cache_policy_id(),
                    "target_origin_id": b.target_origin_id(),
                    "compress": b.compress(),
                })
            });
            let certificate = d.viewer_certificate().map(|c| {
                json!({
                    "acm_certificate_arn": c.acm_certificate_arn(),
                    "ssl_support_method": c.ssl_support_method().map(|m| m.as_str()),
                    "minimum_protocol_version": c.minimum_protocol_version().map(|m| m.as_str()),
                    "cloudfront_default_certificate": c.cloud_front_default_certificate(),
                })
            });
            let web_acl = Some(d.web_acl_id()).filter(|id| !id.is_empty());
            out.push(json!({
                "id": d.id(),
                "arn": d.arn(),
                "domain_name": d.domain_name(),
                "status": d.status(),
                "enabled": d.enabled(),
                "aliases": d.aliases().map(|a| a.items()).unwrap_or_default(),
                "origins": origins,
                "default_cache_behavior": behavior,
                "custom_error_responses": errors,
                "viewer_certificate": certificate,
                "web_acl_id": web_acl,
                "http_version": d.http_version().as_str(),
                "price_class": d.price_class().as_str(),
                "is_ipv6_enabled": d.is_ipv6_enabled(),
                "comment": d.comment(),
                "last_modified_time": timestamp(Some(d.last_modified_time())),
            }));
        }
    }
    Ok(out)
}

pub const INVALIDATIONS_FIELDS: &[Field] = &[
    field("id", Text, "the distribution's id"),
    field(
        "aliases",
        TextList,
        "the distribution's custom domain names",
    ),
    field("invalidation_count", Number, "invalidations in its history"),
    field(
        "in_progress_count",
        Number,
        "invalidations still in progress",
    ),
    field("latest.id", Text, "the newest invalidation's id"),
    field(
        "latest.status",
        Text,
        "the newest invalidation's status: InProgress or Completed",
    ),
    field(
        "latest.create_time",
        Timestamp,
        "when the newest invalidation was made",
    ),
];

/// The fields a distribution summary carries, so ListInvalidations is called only for the
/// distributions a check selects.
pub const INVALIDATIONS_SUMMARY_FIELDS: &[&str] = &["id", "aliases"];

/// The invalidation history of one distribution; `config` must be pinned to us-east-1.
// TODO: whether the newest invalidation came after the last upload to the origin bucket is not
// compared: it would join this with the bucket's objects' upload times.
pub async fn invalidations(
    config: &SdkConfig,
    distribution: &Json,
) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cloudfront::Client::new(config);
    let pages = client
        .list_invalidations()
        .set_distribution_id(distribution["id"].as_str().map(str::to_string))
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut all: Vec<(DateTime, String, String)> = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("ListInvalidations", "cloudfront:ListInvalidations", e)
        })?;
        for i in page
            .invalidation_list()
            .map(|l| l.items())
            .unwrap_or_default()
        {
            all.push((
                *i.create_time(),
                i.id().to_string(),
                invalidation_status(i.status()),
            ));
        }
    }
    all.sort_by_key(|(created, _, _)| std::cmp::Reverse((created.secs(), created.subsec_nanos())));
    let latest = all.first().map(|(created, id, status)| {
        json!({"id": id, "status": status, "create_time": timestamp(Some(created))})
    });
    Ok(vec![json!({
        "id": distribution["id"],
        "aliases": distribution["aliases"],
        "invalidation_count": all.len(),
        "in_progress_count": all.iter().filter(|(_, _, s)| s == "InProgress").count(),
        "latest": latest,
    })])
}

/// CloudFront's status words as AWS writes them: some implementations answer COMPLETED.
fn invalidation_status(status: &str) -> String {
    match status.to_ascii_lowercase().replace(['_', ' '], "").as_str() {
        "completed" => "Completed".into(),
        "inprogress" => "InProgress".into(),
        _ => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::invalidation_status;

    #[test]
    fn invalidation_statuses_read_as_aws_writes_them() {
        assert_eq!(invalidation_status("COMPLETED"), "Completed");
        assert_eq!(invalidation_status("Completed"), "Completed");
        assert_eq!(invalidation_status("InProgress"), "InProgress");
    }
}
