//! CloudTrail trails and whether they are logging.
//!
//! Calls DescribeTrails (IAM `cloudtrail:DescribeTrails`), which answers every trail of the
//! region in one page, multi-region trails of other home regions included, then GetTrailStatus
//! (`cloudtrail:GetTrailStatus`) for each. A trail of this region is asked for by name and one
//! from another home region by ARN, which is how CloudTrail wants each (moto accepts only names).

use aws_config::SdkConfig;
use futures_util::future::join_all;
use serde_json::{Value as Json, json};

use super::FetchError;
use super::aws::timestamp;
use crate::checklist::expect::FieldType::{Bool, Text, Timestamp};
use crate::checklist::expect::{Field, field};

pub const TRAIL_FIELDS: &[Field] = &[
    field("name", Text, "the trail's name"),
    field("trail_arn", Text, "the trail's ARN"),
    field("home_region", Text, "the region it was created in"),
    field("is_multi_region_trail", Bool, "it records every region"),
    field(
        "include_global_service_events",
        Bool,
        "it records global services (IAM, STS, CloudFront)",
    ),
    field(
        "is_organization_trail",
        Bool,
        "it records the whole organization",
    ),
    field(
        "log_file_validation_enabled",
        Bool,
        "log files are signed with digests",
    ),
    field("s3_bucket_name", Text, "the bucket it delivers to"),
    field(
        "kms_key_id",
        Text,
        "the KMS key encrypting its logs, if any",
    ),
    field(
        "cloud_watch_logs_log_group_arn",
        Text,
        "the CloudWatch Logs group it also delivers to",
    ),
    field("is_logging", Bool, "it is recording now (GetTrailStatus)"),
    field(
        "latest_delivery_time",
        Timestamp,
        "when it last delivered logs",
    ),
    field(
        "latest_delivery_error",
        Text,
        "the last delivery error, if any",
    ),
];

/// Every trail the region reports, with its logging status (GetTrailStatus for every trail at
/// once, read back in the trails' order).
pub async fn trails(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cloudtrail::Client::new(config);
    let region = config.region().map(|r| r.as_ref().to_string());
    let answer = client
        .describe_trails()
        .send()
        .await
        .map_err(|e| FetchError::from_sdk("DescribeTrails", "cloudtrail:DescribeTrails", e))?;
    // A trail of this region is named by its name, another region's by its ARN; a trail
    // without either is left out.
    let trails: Vec<_> = answer
        .trail_list()
        .iter()
        .filter_map(|t| {
            let here = t.home_region().map(str::to_string) == region;
            let id = if here { t.name() } else { t.trail_arn() };
            Some((t, id?))
        })
        .collect();
    let statuses = join_all(
        trails
            .iter()
            .map(|(_, id)| Box::pin(client.get_trail_status().name(*id).send())),
    )
    .await;
    let mut out = Vec::new();
    for ((t, _), status) in trails.into_iter().zip(statuses) {
        let status = status
            .map_err(|e| FetchError::from_sdk("GetTrailStatus", "cloudtrail:GetTrailStatus", e))?;
        out.push(json!({
            "name": t.name(),
            "trail_arn": t.trail_arn(),
            "home_region": t.home_region(),
            "is_multi_region_trail": t.is_multi_region_trail(),
            "include_global_service_events": t.include_global_service_events(),
            "is_organization_trail": t.is_organization_trail(),
            "log_file_validation_enabled": t.log_file_validation_enabled(),
            "s3_bucket_name": t.s3_bucket_name(),
            "kms_key_id": t.kms_key_id(),
            "cloud_watch_logs_log_group_arn": t.cloud_watch_logs_log_group_arn(),
            "is_logging": status.is_logging(),
            "latest_delivery_time": timestamp(status.latest_delivery_time()),
            "latest_delivery_error": status.latest_delivery_error(),
        }));
    }
    Ok(out)
}
