//! AWS Config configuration recorders and whether they are recording.
//!
//! Calls DescribeConfigurationRecorders (IAM `config:DescribeConfigurationRecorders`) and
//! DescribeConfigurationRecorderStatus (`config:DescribeConfigurationRecorderStatus`); each
//! answers every recorder of the region at once (a region has at most one customer recorder).

use aws_config::SdkConfig;
use serde_json::{Value as Json, json};

use super::FetchError;
use super::aws::timestamp;
use crate::checklist::expect::FieldType::{Bool, Text, TextList, Timestamp};
use crate::checklist::expect::{Field, field};

pub const RECORDER_FIELDS: &[Field] = &[
    field("name", Text, "the recorder's name, usually default"),
    field("role_arn", Text, "the role it records with"),
    field(
        "all_supported",
        Bool,
        "it records every supported resource type",
    ),
    field(
        "include_global_resource_types",
        Bool,
        "it records global resources (IAM)",
    ),
    field(
        "resource_types",
        TextList,
        "the resource types it records, when not all",
    ),
    field("recording", Bool, "it is recording now"),
    field(
        "last_status",
        Text,
        "Pending, Success or Failure of the last delivery",
    ),
    field("last_start_time", Timestamp, "when it last started"),
    field("last_error_code", Text, "the last error, if any"),
];

/// Every configuration recorder of the region, with its status: both asked for at the same time,
/// a failed DescribeConfigurationRecorders being the error returned when both fail.
pub async fn recorders(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_config::Client::new(config);
    let (recorders, statuses) = tokio::join!(
        Box::pin(client.describe_configuration_recorders().send()),
        Box::pin(client.describe_configuration_recorder_status().send()),
    );
    let recorders = recorders.map_err(|e| {
        FetchError::from_sdk(
            "DescribeConfigurationRecorders",
            "config:DescribeConfigurationRecorders",
            e,
        )
    })?;
    let statuses = statuses.map_err(|e| {
        FetchError::from_sdk(
            "DescribeConfigurationRecorderStatus",
            "config:DescribeConfigurationRecorderStatus",
            e,
        )
    })?;
    let mut out = Vec::new();
    for r in recorders.configuration_recorders() {
        let status = statuses
            .configuration_recorders_status()
            .iter()
            .find(|s| s.name() == r.name());
        let group = r.recording_group();
        out.push(json!({
            "name": r.name(),
            "role_arn": r.role_arn(),
            "all_supported": group.map(|g| g.all_supported()),
            "include_global_resource_types": group.map(|g| g.include_global_resource_types()),
            "resource_types": group.map(|g| {
                g.resource_types().iter().map(|t| t.as_str()).collect::<Vec<_>>()
            }),
            // No status for a recorder means Config could not say: absent, not false.
            "recording": status.map(|s| s.recording()),
            "last_status": status.and_then(|s| s.last_status()).map(|s| s.as_str()),
            "last_start_time": timestamp(status.and_then(|s| s.last_start_time())),
            "last_error_code": status.and_then(|s| s.last_error_code()),
        }));
    }
    Ok(out)
}
