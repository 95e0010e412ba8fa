//! ACM certificates of us-east-1, where CloudFront's certificates must live.
//!
//! Calls ListCertificates (IAM `acm:ListCertificates`), paginated to the end and asking for
//! every key type (by default ACM lists RSA_2048 certificates only), and DescribeCertificate
//! (`acm:DescribeCertificate`) only for the certificates a check selects, for their alternative
//! names, validations and users. Each certificate also carries the aliases of the CloudFront
//! distributions serving it (from ListDistributions), which is how "active" is told apart from
//! "issued": ACM's own in-use list lags behind and is not kept by every implementation.

use aws_config::SdkConfig;
use aws_sdk_acm::types::{Filters, KeyAlgorithm};
use serde_json::{Value as Json, json};

use super::FetchError;
use super::aws::timestamp;
use crate::checklist::expect::FieldType::{Number, Objects, Text, TextList, Timestamp};
use crate::checklist::expect::{Field, field};

const VALIDATION_FIELDS: &[Field] = &[
    field("domain_name", Text, "the name validated"),
    field(
        "validation_status",
        Text,
        "PENDING_VALIDATION, SUCCESS or FAILED",
    ),
    field("validation_method", Text, "DNS or EMAIL"),
];

pub const CERTIFICATE_FIELDS: &[Field] = &[
    field("arn", Text, "the certificate's ARN"),
    field("domain_name", Text, "its primary name"),
    field(
        "subject_alternative_names",
        TextList,
        "every name it covers, the primary one included",
    ),
    field(
        "status",
        Text,
        "PENDING_VALIDATION, ISSUED, INACTIVE, EXPIRED, VALIDATION_TIMED_OUT, REVOKED, FAILED",
    ),
    field(
        "type",
        Text,
        "AMAZON_ISSUED (requested from ACM), IMPORTED or PRIVATE",
    ),
    field("key_algorithm", Text, "RSA_2048, EC_prime256v1, ..."),
    field(
        "validations",
        Objects(VALIDATION_FIELDS),
        "the validation of each name",
    ),
    field("not_before", Timestamp, "start of validity"),
    field("not_after", Timestamp, "end of validity"),
    field(
        "days_until_expiry",
        Number,
        "derived: whole days from the run to not_after",
    ),
    field("in_use_by", TextList, "ARNs of what ACM says uses it"),
    field(
        "distribution_aliases",
        TextList,
        "aliases of the CloudFront distributions serving it",
    ),
    field("renewal_eligibility", Text, "ELIGIBLE or INELIGIBLE"),
    field(
        "renewal_status",
        Text,
        "PENDING_AUTO_RENEWAL, PENDING_VALIDATION, SUCCESS, FAILED",
    ),
];

/// The fields ListCertificates carries, so DescribeCertificate is called only for selected ones.
pub const SUMMARY_FIELDS: &[&str] = &[
    "arn",
    "domain_name",
    "status",
    "type",
    "key_algorithm",
    "distribution_aliases",
];

/// Every certificate, as summaries; `config` decides the region (us-east-1 for CloudFront).
// TODO: certificates of regional API custom domains live in the API's region; when that is not
// us-east-1 they are not listed, since the kind reads CloudFront's region only.
pub async fn certificates(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_acm::Client::new(config);
    let mut every_key_type = Filters::builder();
    for name in KeyAlgorithm::values() {
        every_key_type = every_key_type.key_types(KeyAlgorithm::from(*name));
    }
    let pages = client
        .list_certificates()
        .includes(every_key_type.build())
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page =
            page.map_err(|e| FetchError::from_sdk("ListCertificates", "acm:ListCertificates", e))?;
        for c in page.certificate_summary_list() {
            out.push(json!({
                "arn": c.certificate_arn(),
                "domain_name": c.domain_name(),
                "status": c.status().map(|s| s.as_str()),
                "type": c.r#type().map(|t| t.as_str()),
                "key_algorithm": c.key_algorithm().map(|k| k.as_str()),
            }));
        }
    }
    Ok(out)
}

/// Gives each certificate the aliases of the distributions whose viewer certificate it is.
pub fn with_distributions(mut certificates: Vec<Json>, distributions: &[Json]) -> Vec<Json> {
    for certificate in &mut certificates {
        let aliases: Vec<Json> = distributions
            .iter()
            .filter(|d| {
                let arn = &d["viewer_certificate"]["acm_certificate_arn"];
                !arn.is_null() && *arn == certificate["arn"]
            })
            .flat_map(|d| d["aliases"].as_array().cloned().unwrap_or_default())
            .collect();
        certificate["distribution_aliases"] = Json::Array(aliases);
    }
    certificates
}

/// One certificate in full: its summary with names, validations, validity and users.
pub async fn certificate(config: &SdkConfig, summary: &Json) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_acm::Client::new(config);
    let answer = client
        .describe_certificate()
        .set_certificate_arn(summary["arn"].as_str().map(str::to_string))
        .send()
        .await
        .map_err(|e| FetchError::from_sdk("DescribeCertificate", "acm:DescribeCertificate", e))?;
    let Some(c) = answer.certificate() else {
        return Err(FetchError::new(
            "DescribeCertificate",
            format!("no certificate in the answer for {}", summary["arn"]),
        ));
    };
    let validations: Vec<Json> = c
        .domain_validation_options()
        .iter()
        .map(|v| {
            json!({
                "domain_name": v.domain_name(),
                "validation_status": v.validation_status().map(|s| s.as_str()),
                "validation_method": v.validation_method().map(|m| m.as_str()),
            })
        })
        .collect();
    let now = jiff::Timestamp::now().as_second();
    let days_left = c.not_after().map(|t| (t.secs() - now).div_euclid(86_400));
    let mut out = summary.clone();
    out["subject_alternative_names"] = json!(c.subject_alternative_names());
    out["status"] = json!(c.status().map(|s| s.as_str()));
    out["validations"] = Json::Array(validations);
    out["not_before"] = timestamp(c.not_before());
    out["not_after"] = timestamp(c.not_after());
    out["days_until_expiry"] = json!(days_left);
    out["in_use_by"] = json!(c.in_use_by());
    out["renewal_eligibility"] = json!(c.renewal_eligibility().map(|r| r.as_str()));
    out["renewal_status"] = json!(
        c.renewal_summary()
            .map(|r| r.renewal_status().as_str().to_string())
    );
    Ok(vec![out])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_carry_the_aliases_of_the_distributions_serving_them() {
        let certificates = vec![
            json!({"arn": "arn:aws:acm:us-east-1:1:certificate/a"}),
            json!({"arn": "arn:aws:acm:us-east-1:1:certificate/b"}),
        ];
        let distributions = vec![
            json!({"aliases": ["app.example.com"],
                   "viewer_certificate": {"acm_certificate_arn": "arn:aws:acm:us-east-1:1:certificate/a"}}),
            json!({"aliases": ["x.cloudfront.net"], "viewer_certificate": {"acm_certificate_arn": null}}),
        ];
        let joined = with_distributions(certificates, &distributions);
        assert_eq!(
            joined[0]["distribution_aliases"],
            json!(["app.example.com"])
        );
        assert_eq!(joined[1]["distribution_aliases"], json!([]));
    }
}
