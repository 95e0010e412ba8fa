//! RDS settings that live outside the instance: the subnet groups that place it, the parameter
//! groups that configure it (`rds.force_ssl`), and the proxies in front of it.
//!
//! Calls DescribeDBSubnetGroups (IAM `rds:DescribeDBSubnetGroups`), DescribeDBParameters
//! (`rds:DescribeDBParameters`) for each parameter group a selected instance uses, and
//! DescribeDBProxies (`rds:DescribeDBProxies`), each paginated to the end. Subnet groups show
//! their subnets as the `subnet` kind sees them (routes, `private`), and both kinds of group
//! name the instances that use them, read from DescribeDBInstances.
//!
//! Parameters are asked for without a Source filter: PostgreSQL 15 and later set
//! `rds.force_ssl` to 1 as an engine default, which a `user`-only listing would miss.
//! `user_parameters` is the same list filtered on Source client-side (moto ignores the filter).

use std::future::Future;

use aws_config::SdkConfig;
use serde_json::{Map, Value as Json, json};

use super::FetchError;
use super::inventory::Fetched;
use super::vpc::SUBNET_FIELDS;
use crate::checklist::expect::FieldType::{Bool, Number, Objects, Text, TextList, TextMap};
use crate::checklist::expect::{Field, field};

pub const SUBNET_GROUP_FIELDS: &[Field] = &[
    field("db_subnet_group_name", Text, "the group's name"),
    field("description", Text, "its description"),
    field("vpc_id", Text, "its VPC"),
    field("status", Text, "Complete, ..."),
    field("subnet_ids", TextList, "its subnets"),
    field(
        "subnets",
        Objects(SUBNET_FIELDS),
        "its subnets with the subnet fields (private, routes, ...)",
    ),
    field(
        "db_instances",
        TextList,
        "derived: RDS instances placed by it",
    ),
];

pub const PARAMETER_GROUP_FIELDS: &[Field] = &[
    field("db_parameter_group_name", Text, "the group's name"),
    field("db_instances", TextList, "derived: RDS instances using it"),
    field(
        "parameters",
        TextMap,
        "every parameter with a value; test one as parameters.rds.force_ssl",
    ),
    field(
        "user_parameters",
        TextMap,
        "the parameters set by the user (Source user)",
    ),
];

pub const AUTH_FIELDS: &[Field] = &[
    field("auth_scheme", Text, "SECRETS"),
    field(
        "secret_arn",
        Text,
        "the Secrets Manager secret it logs in with",
    ),
    field("iam_auth", Text, "DISABLED, REQUIRED or ENABLED"),
    field(
        "client_password_auth_type",
        Text,
        "POSTGRES_SCRAM_SHA_256, ...",
    ),
];

pub const PROXY_FIELDS: &[Field] = &[
    field("db_proxy_name", Text, "the proxy's name"),
    field("db_proxy_arn", Text, "the proxy's ARN"),
    field("status", Text, "available, creating, ..."),
    field("engine_family", Text, "POSTGRESQL, MYSQL or SQLSERVER"),
    field("require_tls", Bool, "clients must connect with TLS"),
    field("vpc_id", Text, "its VPC"),
    field("vpc_subnet_ids", TextList, "its subnets"),
    field("vpc_security_group_ids", TextList, "its security groups"),
    field("endpoint", Text, "the host name clients connect to"),
    field("role_arn", Text, "the role it reads secrets with"),
    field(
        "idle_client_timeout",
        Number,
        "seconds before an idle client is dropped",
    ),
    field(
        "debug_logging",
        Bool,
        "SQL statements are logged (may log secrets)",
    ),
    field(
        "auth",
        Objects(AUTH_FIELDS),
        "how it logs in to the database",
    ),
];

/// The instances whose `field` (a name or a list of names) holds `name`.
fn users_of(instances: &[Json], field: &str, name: &str) -> Vec<Json> {
    instances
        .iter()
        .filter(|i| match &i[field] {
            Json::String(s) => s == name,
            Json::Array(names) => names.iter().any(|n| n == name),
            _ => false,
        })
        .map(|i| i["db_instance_identifier"].clone())
        .collect()
}

/// Every DB subnet group of the region, with its subnets' routing. `subnets`, `instances` (the
/// listings) and DescribeDBSubnetGroups are awaited at the same time; their errors are returned
/// in that order.
pub async fn subnet_groups(
    config: &SdkConfig,
    subnets: impl Future<Output = Fetched>,
    instances: impl Future<Output = Fetched>,
) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_rds::Client::new(config);
    let (subnets, instances, pages) = tokio::join!(
        subnets,
        instances,
        Box::pin(
            client
                .describe_db_subnet_groups()
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
    );
    let (subnets, instances) = (subnets?, instances?);
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("DescribeDBSubnetGroups", "rds:DescribeDBSubnetGroups", e)
        })?;
        for g in page.db_subnet_groups() {
            let ids: Vec<&str> = g
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier())
                .collect();
            // A subnet EC2 does not list stays as a bare id, which fails `private: true`.
            let views: Vec<Json> = ids
                .iter()
                .map(|id| {
                    subnets
                        .iter()
                        .find(|s| s["subnet_id"] == *id)
                        .cloned()
                        .unwrap_or_else(|| json!({"subnet_id": id}))
                })
                .collect();
            let name = g.db_subnet_group_name().unwrap_or_default();
            out.push(json!({
                "db_subnet_group_name": g.db_subnet_group_name(),
                "description": g.db_subnet_group_description(),
                "vpc_id": g.vpc_id(),
                "status": g.subnet_group_status(),
                "subnet_ids": ids,
                "subnets": views,
                "db_instances": users_of(&instances, "db_subnet_group", name),
            }));
        }
    }
    Ok(out)
}

/// The parameter groups the region's instances use, without their parameters: what a check
/// selects from before [`parameters`] is asked for the groups it picked.
pub fn parameter_groups_in_use(instances: &[Json]) -> Vec<Json> {
    let mut names: Vec<&str> = instances
        .iter()
        .filter_map(|i| i["db_parameter_groups"].as_array())
        .flatten()
        .filter_map(Json::as_str)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            json!({
                "db_parameter_group_name": name,
                "db_instances": users_of(instances, "db_parameter_groups", name),
            })
        })
        .collect()
}

/// One parameter group's parameters.
pub async fn parameters(config: &SdkConfig, group: &str) -> Result<Vec<Json>, FetchError> {
    let pages = aws_sdk_rds::Client::new(config)
        .describe_db_parameters()
        .db_parameter_group_name(group)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut all = Map::new();
    let mut user = Map::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("DescribeDBParameters", "rds:DescribeDBParameters", e)
        })?;
        for p in page.parameters() {
            let (Some(name), Some(value)) = (p.parameter_name(), p.parameter_value()) else {
                continue;
            };
            all.insert(name.to_string(), json!(value));
            if p.source() == Some("user") {
                user.insert(name.to_string(), json!(value));
            }
        }
    }
    Ok(vec![json!({
        "db_parameter_group_name": group,
        "parameters": all,
        "user_parameters": user,
    })])
}

/// Every RDS proxy of the region.
pub async fn proxies(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let pages = aws_sdk_rds::Client::new(config)
        .describe_db_proxies()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page
            .map_err(|e| FetchError::from_sdk("DescribeDBProxies", "rds:DescribeDBProxies", e))?;
        for p in page.db_proxies() {
            let auth: Vec<Json> = p
                .auth()
                .iter()
                .map(|a| {
                    json!({
                        "auth_scheme": a.auth_scheme().map(|s| s.as_str()),
                        "secret_arn": a.secret_arn(),
                        "iam_auth": a.iam_auth().map(|s| s.as_str()),
                        "client_password_auth_type":
                            a.client_password_auth_type().map(|s| s.as_str()),
                    })
                })
                .collect();
            out.push(json!({
                "db_proxy_name": p.db_proxy_name(),
                "db_proxy_arn": p.db_proxy_arn(),
                "status": p.status().map(|s| s.as_str()),
                "engine_family": p.engine_family(),
                "require_tls": p.require_tls(),
                "vpc_id": p.vpc_id(),
                "vpc_subnet_ids": p.vpc_subnet_ids(),
                "vpc_security_group_ids": p.vpc_security_group_ids(),
                "endpoint": p.endpoint(),
                "role_arn": p.role_arn(),
                "idle_client_timeout": p.idle_client_timeout(),
                "debug_logging": p.debug_logging(),
                "auth": auth,
            }));
        }
    }
    Ok(out)
}
