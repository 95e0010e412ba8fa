//! CloudWatch Logs Insights saved queries (query definitions).
//!
//! Calls DescribeQueryDefinitions (IAM `logs:DescribeQueryDefinitions`), following `nextToken`
//! to the end (the SDK has no paginator for it).

use std::collections::HashSet;

use aws_config::SdkConfig;
use serde_json::{Value as Json, json};

use super::FetchError;
use crate::checklist::expect::FieldType::{Text, TextList};
use crate::checklist::expect::{Field, field};

pub const QUERY_DEFINITION_FIELDS: &[Field] = &[
    field(
        "name",
        Text,
        "the saved query's name (folders are part of it: audit/failed-logins)",
    ),
    field("query_definition_id", Text, "its id"),
    field("query_string", Text, "the query"),
    field("log_group_names", TextList, "the log groups it runs on"),
    field("query_language", Text, "CWLI, SQL or PPL"),
];

/// Every saved query of the region.
pub async fn query_definitions(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cloudwatchlogs::Client::new(config);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = HashSet::new();
    loop {
        let page = client
            .describe_query_definitions()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| {
                FetchError::from_sdk(
                    "DescribeQueryDefinitions",
                    "logs:DescribeQueryDefinitions",
                    e,
                )
            })?;
        for q in page.query_definitions() {
            out.push(json!({
                "name": q.name(),
                "query_definition_id": q.query_definition_id(),
                "query_string": q.query_string(),
                "log_group_names": q.log_group_names(),
                "query_language": q.query_language().map(|l| l.as_str()),
            }));
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => {
                // A token that does not move on would loop forever over a truncated listing.
                if seen.contains(next) {
                    return Err(FetchError::new(
                        "DescribeQueryDefinitions",
                        format!("the listing repeats its page token {next}; it was cut short"),
                    ));
                }
                seen.insert(next.to_string());
                token = Some(next.to_string());
            }
            _ => break,
        }
    }
    Ok(out)
}
