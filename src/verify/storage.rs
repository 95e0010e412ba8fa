//! Data at rest across services: RDS instances, Aurora clusters and S3 buckets as one kind,
//! so that one check can say "every store named here is encrypted".
//!
//! Makes no calls of its own: it reads the `rds_instance`, `rds_cluster` and `s3_bucket`
//! listings (DescribeDBInstances, DescribeDBClusters, ListBuckets) and, for the buckets a check
//! selects, the bucket's GetBucketEncryption and companions, all shared with those kinds. The
//! IAM actions are theirs.

use serde_json::{Value as Json, json};

use crate::checklist::expect::FieldType::{Bool, Text};
use crate::checklist::expect::{Field, field};

pub const DATA_STORE_FIELDS: &[Field] = &[
    field("name", Text, "the instance, cluster or bucket name"),
    field("type", Text, "rds_instance, rds_cluster or s3_bucket"),
    field("encrypted", Bool, "its data is encrypted at rest"),
    field(
        "encryption",
        Text,
        "how: KMS for RDS; AES256, aws:kms or aws:kms:dsse for S3",
    ),
    field("kms_key_id", Text, "the KMS key, when one is named"),
];

/// The fields every store's summary carries before a bucket's encryption is read.
pub const SUMMARY_FIELDS: &[&str] = &["name", "type"];

/// One summary per store: RDS ones complete, buckets by name until their detail is read.
pub fn stores(instances: &[Json], clusters: &[Json], buckets: &[Json]) -> Vec<Json> {
    let rds = |r: &Json, name_field: &str, kind: &str| {
        let encrypted = r["storage_encrypted"] == true;
        json!({
            "name": r[name_field],
            "type": kind,
            "encrypted": encrypted,
            "encryption": encrypted.then_some("KMS"),
            "kms_key_id": r["kms_key_id"],
        })
    };
    instances
        .iter()
        .map(|i| rds(i, "db_instance_identifier", "rds_instance"))
        .chain(
            clusters
                .iter()
                .map(|c| rds(c, "db_cluster_identifier", "rds_cluster")),
        )
        .chain(
            buckets
                .iter()
                .map(|b| json!({"name": b["name"], "type": "s3_bucket"})),
        )
        .collect()
}

/// A bucket's store view from its `s3_bucket` view.
pub fn from_bucket(bucket: &Json) -> Json {
    json!({
        "name": bucket["name"],
        "type": "s3_bucket",
        "encrypted": bucket["encrypted"],
        "encryption": bucket["encryption"]["algorithm"],
        "kms_key_id": bucket["encryption"]["kms_key_id"],
    })
}
