//! Secrets Manager secrets: where they are and how they rotate, never what they hold.
//!
//! Calls ListSecrets (IAM `secretsmanager:ListSecrets`), paginated to the end; its entries
//! carry the rotation settings, so no DescribeSecret call is needed, and no call that reads a
//! value (GetSecretValue) is ever made. A secret that RDS manages for an instance's master
//! password is tagged `aws:rds:primaryDBInstanceArn`; `rds_db_instance` is that instance's
//! identifier, so a check can find the master secret of a named instance.

use aws_config::SdkConfig;
use serde_json::{Map, Value as Json, json};

use super::FetchError;
use super::aws::timestamp;
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextMap, Timestamp};
use crate::checklist::expect::{Field, field};

/// The tag RDS puts on the master-password secret it manages for an instance.
// TODO: a master password kept in a secret of one's own (a CDK SecretTargetAttachment) carries
// no such tag, so `rds_db_instance` cannot find it without reading the value, which we never do.
const RDS_INSTANCE_TAG: &str = "aws:rds:primaryDBInstanceArn";

pub const SECRET_FIELDS: &[Field] = &[
    field("name", Text, "the secret's name"),
    field("arn", Text, "the secret's ARN"),
    field("description", Text, "its description"),
    field(
        "kms_key_id",
        Text,
        "the KMS key encrypting it; absent means aws/secretsmanager",
    ),
    field("rotation_enabled", Bool, "automatic rotation is on"),
    field(
        "rotation_lambda_arn",
        Text,
        "the rotation function, if not managed rotation",
    ),
    field(
        "rotation_days",
        Number,
        "rotation rule: days between rotations (AutomaticallyAfterDays)",
    ),
    field(
        "rotation_schedule",
        Text,
        "rotation rule: a rate() or cron() schedule expression",
    ),
    field(
        "rotation_window",
        Text,
        "rotation rule: the window's length, like 2h",
    ),
    field("last_rotated_date", Timestamp, "when it last rotated"),
    field("next_rotation_date", Timestamp, "when it rotates next"),
    field("last_changed_date", Timestamp, "when it last changed"),
    field("created_date", Timestamp, "when it was created"),
    field(
        "owning_service",
        Text,
        "the service that manages it, like rds; absent for your own",
    ),
    field(
        "rds_db_instance",
        Text,
        "derived: the RDS instance whose master password it is",
    ),
    field("tags", TextMap, "tag key to value; test one as tags.KEY"),
];

/// Every secret of the region (not those scheduled for deletion).
pub async fn secrets(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_secretsmanager::Client::new(config);
    let pages = client
        .list_secrets()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page =
            page.map_err(|e| FetchError::from_sdk("ListSecrets", "secretsmanager:ListSecrets", e))?;
        for s in page.secret_list() {
            let tags: Map<String, Json> = s
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), json!(t.value()?))))
                .collect();
            let rds_db_instance = tags
                .get(RDS_INSTANCE_TAG)
                .and_then(Json::as_str)
                .and_then(|arn| arn.split_once(":db:"))
                .map(|(_, id)| id.to_string());
            let rules = s.rotation_rules();
            out.push(json!({
                "name": s.name(),
                "arn": s.arn(),
                "description": s.description(),
                "kms_key_id": s.kms_key_id(),
                "rotation_enabled": s.rotation_enabled().unwrap_or(false),
                // ListSecrets answers "" when there is no rotation function.
                "rotation_lambda_arn": s.rotation_lambda_arn().filter(|a| !a.is_empty()),
                "rotation_days": rules.and_then(|r| r.automatically_after_days()),
                "rotation_schedule": rules.and_then(|r| r.schedule_expression()),
                "rotation_window": rules.and_then(|r| r.duration()),
                "last_rotated_date": timestamp(s.last_rotated_date()),
                "next_rotation_date": timestamp(s.next_rotation_date()),
                "last_changed_date": timestamp(s.last_changed_date()),
                "created_date": timestamp(s.created_date()),
                "owning_service": s.owning_service(),
                "rds_db_instance": rds_db_instance,
                "tags": tags,
            }));
        }
    }
    Ok(out)
}
