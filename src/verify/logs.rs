//! CloudWatch Logs log groups.
//!
//! Calls DescribeLogGroups (IAM `logs:DescribeLogGroups`), paginated to the end. A group
//! without `retention_in_days` keeps its events forever, which never equals a set retention.

use aws_config::SdkConfig;
use serde_json::{Value as Json, json};

use super::FetchError;
use crate::checklist::expect::FieldType::{Number, Text};
use crate::checklist::expect::{Field, field};

pub const LOG_GROUP_FIELDS: &[Field] = &[
    field(
        "log_group_name",
        Text,
        "the group's name, like /aws/lambda/NAME",
    ),
    field(
        "retention_in_days",
        Number,
        "days events are kept; absent means forever",
    ),
    field("stored_bytes", Number, "bytes stored"),
    field("metric_filter_count", Number, "metric filters on the group"),
    field("kms_key_id", Text, "the KMS key encrypting it, if any"),
    field("log_group_class", Text, "STANDARD or INFREQUENT_ACCESS"),
    field("arn", Text, "the group's ARN"),
];

/// Every log group of the region.
pub async fn log_groups(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cloudwatchlogs::Client::new(config);
    let pages = client
        .describe_log_groups()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page
            .map_err(|e| FetchError::from_sdk("DescribeLogGroups", "logs:DescribeLogGroups", e))?;
        for g in page.log_groups() {
            out.push(json!({
                "log_group_name": g.log_group_name(),
                "retention_in_days": g.retention_in_days(),
                "stored_bytes": g.stored_bytes(),
                "metric_filter_count": g.metric_filter_count(),
                "kms_key_id": g.kms_key_id(),
                "log_group_class": g.log_group_class().map(|c| c.as_str()),
                "arn": g.arn(),
            }));
        }
    }
    Ok(out)
}
