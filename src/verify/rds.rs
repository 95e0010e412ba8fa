//! RDS instances and Aurora clusters.
//!
//! Calls DescribeDBInstances (IAM `rds:DescribeDBInstances`) and, for instances that belong to
//! an Aurora cluster or for `rds_cluster` checks, DescribeDBClusters (`rds:DescribeDBClusters`),
//! both paginated to the end. `point_in_time_recovery` is derived: RDS offers it exactly when
//! automated backups are kept (a retention of one day or more).

use aws_config::SdkConfig;
use serde_json::{Value as Json, json};

use super::FetchError;
use super::aws::timestamp;
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextList, Timestamp};
use crate::checklist::expect::{Field, field};

pub const INSTANCE_FIELDS: &[Field] = &[
    field("db_instance_identifier", Text, "the instance's name"),
    field("db_instance_class", Text, "like db.t4g.small"),
    field("engine", Text, "postgres, aurora-postgresql, ..."),
    field("engine_version", Text, "the engine's version"),
    field("db_instance_status", Text, "available, modifying, ..."),
    field(
        "multi_az",
        Bool,
        "a standby in another zone (the cluster's setting for Aurora)",
    ),
    field(
        "backup_retention_period",
        Number,
        "days of automated backups; 0 means none",
    ),
    field(
        "point_in_time_recovery",
        Bool,
        "derived: automated backups are kept",
    ),
    field(
        "latest_restorable_time",
        Timestamp,
        "the latest point in time it can restore to",
    ),
    field(
        "monitoring_interval",
        Number,
        "enhanced monitoring interval in seconds; 0 is off",
    ),
    field("monitoring_role_arn", Text, "the enhanced monitoring role"),
    field(
        "performance_insights_enabled",
        Bool,
        "Performance Insights is on",
    ),
    field(
        "performance_insights_retention_period",
        Number,
        "days Performance Insights keeps",
    ),
    field("storage_encrypted", Bool, "encryption at rest"),
    field("kms_key_id", Text, "the KMS key of the encryption at rest"),
    field("publicly_accessible", Bool, "reachable from the internet"),
    field("preferred_backup_window", Text, "hh24:mi-hh24:mi, UTC"),
    field(
        "preferred_maintenance_window",
        Text,
        "ddd:hh24:mi-ddd:hh24:mi, UTC",
    ),
    field("deletion_protection", Bool, "deletion protection is on"),
    field(
        "enabled_cloudwatch_logs_exports",
        TextList,
        "log types exported to CloudWatch Logs",
    ),
    field(
        "iam_database_authentication_enabled",
        Bool,
        "IAM database authentication",
    ),
    field(
        "auto_minor_version_upgrade",
        Bool,
        "minor versions are applied automatically",
    ),
    field(
        "db_cluster_identifier",
        Text,
        "the Aurora cluster it belongs to",
    ),
    field("endpoint.address", Text, "the endpoint's host name"),
    field("endpoint.port", Number, "the endpoint's port"),
    field(
        "db_parameter_groups",
        TextList,
        "names of its parameter groups",
    ),
    field(
        "vpc_security_groups",
        TextList,
        "ids of its security groups",
    ),
    field("db_subnet_group", Text, "name of its subnet group"),
    field(
        "ca_certificate_identifier",
        Text,
        "the CA of its server certificate",
    ),
    field(
        "master_user_secret_arn",
        Text,
        "the Secrets Manager secret RDS manages, if any",
    ),
];

pub const CLUSTER_FIELDS: &[Field] = &[
    field("db_cluster_identifier", Text, "the cluster's name"),
    field("engine", Text, "aurora-postgresql, ..."),
    field("engine_version", Text, "the engine's version"),
    field("status", Text, "available, ..."),
    field("multi_az", Bool, "instances in more than one zone"),
    field(
        "backup_retention_period",
        Number,
        "days of automated backups",
    ),
    field(
        "point_in_time_recovery",
        Bool,
        "derived: automated backups are kept",
    ),
    field("storage_encrypted", Bool, "encryption at rest"),
    field("kms_key_id", Text, "the KMS key of the encryption at rest"),
    field("deletion_protection", Bool, "deletion protection is on"),
    field("preferred_backup_window", Text, "hh24:mi-hh24:mi, UTC"),
    field(
        "preferred_maintenance_window",
        Text,
        "ddd:hh24:mi-ddd:hh24:mi, UTC",
    ),
    field(
        "iam_database_authentication_enabled",
        Bool,
        "IAM database authentication",
    ),
    field(
        "enabled_cloudwatch_logs_exports",
        TextList,
        "log types exported to CloudWatch Logs",
    ),
    field("endpoint", Text, "the writer endpoint"),
    field("reader_endpoint", Text, "the reader endpoint"),
    field("members", TextList, "identifiers of its instances"),
    field("writers", TextList, "identifiers of its writer instances"),
];

/// Every DB instance of the region.
pub async fn instances(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_rds::Client::new(config);
    let pages = client
        .describe_db_instances()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("DescribeDBInstances", "rds:DescribeDBInstances", e)
        })?;
        for db in page.db_instances() {
            let retention = db.backup_retention_period().unwrap_or(0);
            out.push(json!({
                "db_instance_identifier": db.db_instance_identifier(),
                "db_instance_class": db.db_instance_class(),
                "engine": db.engine(),
                "engine_version": db.engine_version(),
                "db_instance_status": db.db_instance_status(),
                "multi_az": db.multi_az(),
                "backup_retention_period": db.backup_retention_period(),
                "point_in_time_recovery": retention > 0,
                "latest_restorable_time": timestamp(db.latest_restorable_time()),
                "monitoring_interval": db.monitoring_interval(),
                "monitoring_role_arn": db.monitoring_role_arn(),
                "performance_insights_enabled": db.performance_insights_enabled(),
                "performance_insights_retention_period": db.performance_insights_retention_period(),
                "storage_encrypted": db.storage_encrypted(),
                "kms_key_id": db.kms_key_id(),
                "publicly_accessible": db.publicly_accessible(),
                "preferred_backup_window": db.preferred_backup_window(),
                "preferred_maintenance_window": db.preferred_maintenance_window(),
                "deletion_protection": db.deletion_protection(),
                "enabled_cloudwatch_logs_exports": db.enabled_cloudwatch_logs_exports(),
                "iam_database_authentication_enabled": db.iam_database_authentication_enabled(),
                "auto_minor_version_upgrade": db.auto_minor_version_upgrade(),
                "db_cluster_identifier": db.db_cluster_identifier(),
                "endpoint": db.endpoint().map(|e| json!({"address": e.address(), "port": e.port()})),
                "db_parameter_groups": db.db_parameter_groups().iter()
                    .filter_map(|g| g.db_parameter_group_name()).collect::<Vec<_>>(),
                "vpc_security_groups": db.vpc_security_groups().iter()
                    .filter_map(|g| g.vpc_security_group_id()).collect::<Vec<_>>(),
                "db_subnet_group": db.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
                "ca_certificate_identifier": db.ca_certificate_identifier(),
                "master_user_secret_arn": db.master_user_secret().and_then(|s| s.secret_arn()),
            }));
        }
    }
    Ok(out)
}

/// Every DB cluster (Aurora, Multi-AZ clusters) of the region.
pub async fn clusters(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_rds::Client::new(config);
    let pages = client
        .describe_db_clusters()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page
            .map_err(|e| FetchError::from_sdk("DescribeDBClusters", "rds:DescribeDBClusters", e))?;
        for c in page.db_clusters() {
            let members: Vec<&str> = c
                .db_cluster_members()
                .iter()
                .filter_map(|m| m.db_instance_identifier())
                .collect();
            let writers: Vec<&str> = c
                .db_cluster_members()
                .iter()
                .filter(|m| m.is_cluster_writer() == Some(true))
                .filter_map(|m| m.db_instance_identifier())
                .collect();
            out.push(json!({
                "db_cluster_identifier": c.db_cluster_identifier(),
                "engine": c.engine(),
                "engine_version": c.engine_version(),
                "status": c.status(),
                "multi_az": c.multi_az(),
                "backup_retention_period": c.backup_retention_period(),
                "point_in_time_recovery": c.backup_retention_period().unwrap_or(0) > 0,
                "storage_encrypted": c.storage_encrypted(),
                "kms_key_id": c.kms_key_id(),
                "deletion_protection": c.deletion_protection(),
                "preferred_backup_window": c.preferred_backup_window(),
                "preferred_maintenance_window": c.preferred_maintenance_window(),
                "iam_database_authentication_enabled": c.iam_database_authentication_enabled(),
                "enabled_cloudwatch_logs_exports": c.enabled_cloudwatch_logs_exports(),
                "endpoint": c.endpoint(),
                "reader_endpoint": c.reader_endpoint(),
                "members": members,
                "writers": writers,
            }));
        }
    }
    Ok(out)
}

/// Fields that an Aurora instance inherits from its cluster.
const CLUSTER_LEVEL: &[&str] = &[
    "multi_az",
    "backup_retention_period",
    "point_in_time_recovery",
    "storage_encrypted",
    "kms_key_id",
    "deletion_protection",
    "preferred_backup_window",
    "iam_database_authentication_enabled",
];

/// Gives each instance of a cluster the cluster's value of the settings Aurora keeps there.
pub fn with_cluster_settings(mut instances: Vec<Json>, clusters: &[Json]) -> Vec<Json> {
    for instance in &mut instances {
        let Some(id) = instance["db_cluster_identifier"]
            .as_str()
            .map(str::to_string)
        else {
            continue;
        };
        let Some(cluster) = clusters
            .iter()
            .find(|c| c["db_cluster_identifier"] == id.as_str())
        else {
            continue;
        };
        for key in CLUSTER_LEVEL {
            if !cluster[*key].is_null() {
                instance[*key] = cluster[*key].clone();
            }
        }
    }
    instances
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aurora_instances_take_multi_az_and_backups_from_their_cluster() {
        let instances = vec![
            json!({"db_instance_identifier": "a-1", "db_cluster_identifier": "a",
                   "multi_az": false, "backup_retention_period": 1}),
            json!({"db_instance_identifier": "plain", "multi_az": false}),
        ];
        let clusters = vec![json!({"db_cluster_identifier": "a", "multi_az": true,
                                   "backup_retention_period": 30})];
        let merged = with_cluster_settings(instances, &clusters);
        assert_eq!(merged[0]["multi_az"], true);
        assert_eq!(merged[0]["backup_retention_period"], 30);
        assert_eq!(merged[1]["multi_az"], false);
    }
}
