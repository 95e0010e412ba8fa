//! CloudFormation stacks (the application stack and CDK's bootstrap stack).
//!
//! Calls DescribeStacks (IAM `cloudformation:DescribeStacks`), paginated to the end; deleted
//! stacks are not listed by it. Outputs and tags are maps, tested as `outputs.NAME`.

use aws_config::SdkConfig;
use serde_json::{Map, Value as Json, json};

use super::FetchError;
use super::aws::timestamp;
use crate::checklist::expect::FieldType::{Bool, Text, TextMap, Timestamp};
use crate::checklist::expect::{Field, field};

pub const STACK_FIELDS: &[Field] = &[
    field("stack_name", Text, "the stack's name"),
    field("stack_id", Text, "the stack's ARN"),
    field(
        "stack_status",
        Text,
        "CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, ...",
    ),
    field("stack_status_reason", Text, "why it is in its status"),
    field("creation_time", Timestamp, "when it was created"),
    field("last_updated_time", Timestamp, "when it was last updated"),
    field(
        "outputs",
        TextMap,
        "output key to value; test one as outputs.KEY",
    ),
    field("tags", TextMap, "tag key to value; test one as tags.KEY"),
    field(
        "termination_protection",
        Bool,
        "termination protection is on",
    ),
    field(
        "drift_status",
        Text,
        "DRIFTED, IN_SYNC, NOT_CHECKED, UNKNOWN",
    ),
];

/// Every live stack of the region.
pub async fn stacks(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cloudformation::Client::new(config);
    let pages = client
        .describe_stacks()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("DescribeStacks", "cloudformation:DescribeStacks", e)
        })?;
        for s in page.stacks() {
            let outputs: Map<String, Json> = s
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_string(), json!(o.output_value()?))))
                .collect();
            let tags: Map<String, Json> = s
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), json!(t.value()?))))
                .collect();
            out.push(json!({
                "stack_name": s.stack_name(),
                "stack_id": s.stack_id(),
                "stack_status": s.stack_status().map(|x| x.as_str()),
                "stack_status_reason": s.stack_status_reason(),
                "creation_time": timestamp(s.creation_time()),
                "last_updated_time": timestamp(s.last_updated_time()),
                "outputs": outputs,
                "tags": tags,
                "termination_protection": s.enable_termination_protection(),
                "drift_status": s.drift_information()
                    .and_then(|d| d.stack_drift_status()).map(|x| x.as_str()),
            }));
        }
    }
    Ok(out)
}
