//! The network around the database and the functions: VPCs, subnets with their routes, security
//! groups, NAT gateways, VPC endpoints and flow logs.
//!
//! Calls, each paginated to the end: DescribeVpcs (IAM `ec2:DescribeVpcs`, for the VPCs' Name
//! tags, which every kind here shows as `vpc_name`), DescribeSubnets (`ec2:DescribeSubnets`) with
//! DescribeRouteTables (`ec2:DescribeRouteTables`), DescribeSecurityGroups
//! (`ec2:DescribeSecurityGroups`), DescribeNatGateways (`ec2:DescribeNatGateways`),
//! DescribeVpcEndpoints (`ec2:DescribeVpcEndpoints`) and DescribeFlowLogs
//! (`ec2:DescribeFlowLogs`).
//!
//! A subnet is `private` when nothing in it is reachable from the internet by its own routing:
//! its route table (its explicit one, else its VPC's main table) has no active route to an
//! internet gateway (for any destination, IPv4 or IPv6), and it does not give instances public
//! IPv4 addresses on launch. The second condition is there because a subnet that hands out
//! public addresses is one route away from being public. Routes through a NAT gateway or an
//! egress-only internet gateway go out but not in, so they keep a subnet private.

use std::collections::HashMap;
use std::future::Future;

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{IpPermission, RouteState, Tag};
use serde_json::{Map, Value as Json, json};

use super::FetchError;
use super::inventory::Fetched;
use crate::checklist::expect::FieldType::{Bool, Number, Objects, Text, TextList, TextMap};
use crate::checklist::expect::{Field, field};

pub const SUBNET_FIELDS: &[Field] = &[
    field("subnet_id", Text, "the subnet's id"),
    field("name", Text, "its Name tag"),
    field("vpc_id", Text, "its VPC"),
    field("vpc_name", Text, "its VPC's Name tag"),
    field("availability_zone", Text, "its zone"),
    field("cidr_block", Text, "its IPv4 range"),
    field(
        "map_public_ip_on_launch",
        Bool,
        "instances get a public IPv4 address",
    ),
    field(
        "route_table_id",
        Text,
        "the route table it uses (its own, else the VPC's main one)",
    ),
    field(
        "internet_gateway_route",
        Bool,
        "its route table has an active route to an internet gateway",
    ),
    field(
        "default_route_target",
        Text,
        "where 0.0.0.0/0 goes: igw-..., nat-..., ...; absent if nowhere",
    ),
    field(
        "private",
        Bool,
        "derived: no internet gateway route and no public IPs on launch",
    ),
    field("tags", TextMap, "tag key to value; test one as tags.KEY"),
];

pub const RULE_FIELDS: &[Field] = &[
    field("protocol", Text, "tcp, udp, icmp, or -1 for all"),
    field(
        "from_port",
        Number,
        "the first port (absent for all protocols)",
    ),
    field("to_port", Number, "the last port"),
    field(
        "cidr",
        Text,
        "an IPv4 or IPv6 range the rule admits, like 0.0.0.0/0",
    ),
    field("source_group_id", Text, "a security group the rule admits"),
    field("source_group_name", Text, "that group's name"),
    field("prefix_list_id", Text, "a prefix list the rule admits"),
    field("description", Text, "the rule's description"),
];

pub const SECURITY_GROUP_FIELDS: &[Field] = &[
    field("group_id", Text, "the group's id"),
    field("group_name", Text, "the group's name"),
    field("name", Text, "its Name tag"),
    field("description", Text, "its description"),
    field("vpc_id", Text, "its VPC"),
    field("vpc_name", Text, "its VPC's Name tag"),
    field(
        "ingress",
        Objects(RULE_FIELDS),
        "what it admits: one entry per rule and source (cidr, source group or prefix list)",
    ),
    field(
        "egress",
        Objects(RULE_FIELDS),
        "what it lets out, the same way",
    ),
    field(
        "db_instances",
        TextList,
        "derived: RDS instances using it (reads DescribeDBInstances)",
    ),
    field("tags", TextMap, "tag key to value; test one as tags.KEY"),
];

pub const NAT_GATEWAY_FIELDS: &[Field] = &[
    field("nat_gateway_id", Text, "the gateway's id"),
    field("name", Text, "its Name tag"),
    field("vpc_id", Text, "its VPC"),
    field("vpc_name", Text, "its VPC's Name tag"),
    field("subnet_id", Text, "the subnet it sits in"),
    field(
        "state",
        Text,
        "pending, available, failed, deleting, deleted",
    ),
    field(
        "connectivity_type",
        Text,
        "public or private (moto leaves it out; public_ips tells too)",
    ),
    field("public_ips", TextList, "its public addresses"),
    field(
        "in_public_subnet",
        Bool,
        "derived: its subnet routes to an internet gateway, as a public NAT needs",
    ),
    field(
        "routed_subnets",
        TextList,
        "derived: subnets whose 0.0.0.0/0 route goes through it",
    ),
    field("tags", TextMap, "tag key to value; test one as tags.KEY"),
];

pub const VPC_ENDPOINT_FIELDS: &[Field] = &[
    field("vpc_endpoint_id", Text, "the endpoint's id"),
    field("name", Text, "its Name tag"),
    field("vpc_id", Text, "its VPC"),
    field("vpc_name", Text, "its VPC's Name tag"),
    field(
        "service_name",
        Text,
        "the service, like com.amazonaws.us-east-1.secretsmanager",
    ),
    field(
        "service",
        Text,
        "derived: the service's last part, like secretsmanager or s3",
    ),
    field(
        "vpc_endpoint_type",
        Text,
        "Interface, Gateway, GatewayLoadBalancer, ...",
    ),
    field("state", Text, "available, pending, failed, ... (lowercase)"),
    field(
        "private_dns_enabled",
        Bool,
        "private DNS names for the service",
    ),
    field("subnet_ids", TextList, "subnets of an interface endpoint"),
    field(
        "route_table_ids",
        TextList,
        "route tables of a gateway endpoint",
    ),
    field(
        "security_group_ids",
        TextList,
        "security groups of an interface endpoint",
    ),
    field("tags", TextMap, "tag key to value; test one as tags.KEY"),
];

pub const FLOW_LOG_FIELDS: &[Field] = &[
    field("flow_log_id", Text, "the flow log's id"),
    field(
        "resource_id",
        Text,
        "what it records: a VPC, subnet or interface id",
    ),
    field(
        "vpc_name",
        Text,
        "the Name tag of the VPC it records, if it records a VPC",
    ),
    field("traffic_type", Text, "ACCEPT, REJECT or ALL"),
    field(
        "log_destination_type",
        Text,
        "cloud-watch-logs, s3 or kinesis-data-firehose",
    ),
    field("log_destination", Text, "the destination's ARN"),
    field("log_group_name", Text, "the log group, for CloudWatch Logs"),
    field("flow_log_status", Text, "ACTIVE when it records"),
    field("deliver_logs_status", Text, "SUCCESS or FAILED"),
    field(
        "deliver_logs_error_message",
        Text,
        "why delivery fails, if it does",
    ),
    field("tags", TextMap, "tag key to value; test one as tags.KEY"),
];

fn tag_map(tags: &[Tag]) -> Map<String, Json> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), json!(t.value()?))))
        .collect()
}

fn name_tag(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
}

/// The Name tag of each VPC, by id.
fn vpc_names(vpcs: &[Json]) -> HashMap<&str, &str> {
    vpcs.iter()
        .filter_map(|v| Some((v["vpc_id"].as_str()?, v["name"].as_str()?)))
        .collect()
}

fn vpc_name(names: &HashMap<&str, &str>, vpc_id: Option<&str>) -> Json {
    vpc_id
        .and_then(|id| names.get(id))
        .map(|n| json!(n))
        .unwrap_or(Json::Null)
}

/// Every VPC of the region: its id, Name tag and range; the other kinds show the names.
pub async fn vpcs(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let pages = aws_sdk_ec2::Client::new(config)
        .describe_vpcs()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| FetchError::from_sdk("DescribeVpcs", "ec2:DescribeVpcs", e))?;
        for v in page.vpcs() {
            out.push(json!({
                "vpc_id": v.vpc_id(),
                "name": name_tag(v.tags()),
                "cidr_block": v.cidr_block(),
                "is_default": v.is_default(),
            }));
        }
    }
    Ok(out)
}

/// A route table as the subnet views need it.
struct Routing {
    id: String,
    vpc_id: String,
    main: bool,
    subnets: Vec<String>,
    internet_gateway: bool,
    default_target: Option<String>,
}

async fn route_tables(client: &aws_sdk_ec2::Client) -> Result<Vec<Routing>, FetchError> {
    let pages = client
        .describe_route_tables()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("DescribeRouteTables", "ec2:DescribeRouteTables", e)
        })?;
        for t in page.route_tables() {
            let active: Vec<_> = t
                .routes()
                .iter()
                .filter(|r| r.state() != Some(&RouteState::Blackhole))
                .collect();
            let default_target = active
                .iter()
                .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
                .and_then(|r| {
                    r.gateway_id()
                        .or(r.nat_gateway_id())
                        .or(r.transit_gateway_id())
                        .or(r.network_interface_id())
                        .or(r.vpc_peering_connection_id())
                        .or(r.instance_id())
                })
                .map(str::to_string);
            out.push(Routing {
                id: t.route_table_id().unwrap_or_default().to_string(),
                vpc_id: t.vpc_id().unwrap_or_default().to_string(),
                main: t.associations().iter().any(|a| a.main() == Some(true)),
                subnets: t
                    .associations()
                    .iter()
                    .filter_map(|a| a.subnet_id().map(str::to_string))
                    .collect(),
                internet_gateway: active
                    .iter()
                    .any(|r| r.gateway_id().is_some_and(|g| g.starts_with("igw-"))),
                default_target,
            });
        }
    }
    Ok(out)
}

/// Every subnet of the region, with the routing that decides whether it is private. `vpcs` (the
/// VPC listing), DescribeRouteTables and DescribeSubnets are awaited at the same time; their
/// errors are returned in that order.
// TODO: `private` reads routes and public IPv4 on launch only; network ACLs and IPv6 addresses
// assigned on creation are not weighed, since no checklist item needs them yet.
pub async fn subnets(
    config: &SdkConfig,
    vpcs: impl Future<Output = Fetched>,
) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_ec2::Client::new(config);
    let (vpcs, tables, pages) = tokio::join!(
        vpcs,
        Box::pin(route_tables(&client)),
        Box::pin(
            client
                .describe_subnets()
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
    );
    let (vpcs, tables) = (vpcs?, tables?);
    let names = vpc_names(&vpcs);
    let mut out = Vec::new();
    for page in pages {
        let page =
            page.map_err(|e| FetchError::from_sdk("DescribeSubnets", "ec2:DescribeSubnets", e))?;
        for s in page.subnets() {
            let id = s.subnet_id().unwrap_or_default();
            let vpc = s.vpc_id().unwrap_or_default();
            let table = tables
                .iter()
                .find(|t| t.subnets.iter().any(|sub| sub == id))
                .or_else(|| tables.iter().find(|t| t.main && t.vpc_id == vpc));
            let igw = table.is_some_and(|t| t.internet_gateway);
            let public_ips = s.map_public_ip_on_launch().unwrap_or(false);
            out.push(json!({
                "subnet_id": s.subnet_id(),
                "name": name_tag(s.tags()),
                "vpc_id": s.vpc_id(),
                "vpc_name": vpc_name(&names, s.vpc_id()),
                "availability_zone": s.availability_zone(),
                "cidr_block": s.cidr_block(),
                "map_public_ip_on_launch": s.map_public_ip_on_launch(),
                "route_table_id": table.map(|t| t.id.as_str()),
                "internet_gateway_route": igw,
                "default_route_target": table.and_then(|t| t.default_target.as_deref()),
                "private": !igw && !public_ips,
                "tags": tag_map(s.tags()),
            }));
        }
    }
    Ok(out)
}

/// Every security group of the region, with its rules flattened one per source; `vpcs` is awaited
/// at the same time as DescribeSecurityGroups, and its error comes first.
pub async fn security_groups(
    config: &SdkConfig,
    vpcs: impl Future<Output = Fetched>,
) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_ec2::Client::new(config);
    let (vpcs, pages) = tokio::join!(
        vpcs,
        Box::pin(
            client
                .describe_security_groups()
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
    );
    let vpcs = vpcs?;
    let mut groups = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("DescribeSecurityGroups", "ec2:DescribeSecurityGroups", e)
        })?;
        groups.extend(page.security_groups().iter().cloned());
    }
    let names = vpc_names(&vpcs);
    let group_names: HashMap<&str, &str> = groups
        .iter()
        .filter_map(|g| Some((g.group_id()?, g.group_name()?)))
        .collect();
    Ok(groups
        .iter()
        .map(|g| {
            json!({
                "group_id": g.group_id(),
                "group_name": g.group_name(),
                "name": name_tag(g.tags()),
                "description": g.description(),
                "vpc_id": g.vpc_id(),
                "vpc_name": vpc_name(&names, g.vpc_id()),
                "ingress": rules(g.ip_permissions(), &group_names),
                "egress": rules(g.ip_permissions_egress(), &group_names),
                "tags": tag_map(g.tags()),
            })
        })
        .collect())
}

/// One object per rule and source, so `{all: {source_group_name: X}}` reads as "admits only X".
fn rules(permissions: &[IpPermission], group_names: &HashMap<&str, &str>) -> Vec<Json> {
    let mut out = Vec::new();
    for p in permissions {
        let base = |source: Json| {
            let mut rule = json!({
                "protocol": p.ip_protocol(),
                "from_port": p.from_port(),
                "to_port": p.to_port(),
            });
            if let (Json::Object(rule), Json::Object(source)) = (&mut rule, source) {
                rule.extend(source);
            }
            rule
        };
        for r in p.ip_ranges() {
            out.push(base(
                json!({"cidr": r.cidr_ip(), "description": r.description()}),
            ));
        }
        for r in p.ipv6_ranges() {
            out.push(base(
                json!({"cidr": r.cidr_ipv6(), "description": r.description()}),
            ));
        }
        for pair in p.user_id_group_pairs() {
            let name = pair
                .group_id()
                .and_then(|id| group_names.get(id).copied())
                .or(pair.group_name());
            out.push(base(json!({
                "source_group_id": pair.group_id(),
                "source_group_name": name,
                "description": pair.description(),
            })));
        }
        for list in p.prefix_list_ids() {
            out.push(base(json!({
                "prefix_list_id": list.prefix_list_id(),
                "description": list.description(),
            })));
        }
    }
    out
}

/// Every NAT gateway of the region, with the subnets that route the internet through it.
/// `vpcs`, `subnets` and DescribeNatGateways are awaited at the same time; their errors are
/// returned in that order.
pub async fn nat_gateways(
    config: &SdkConfig,
    vpcs: impl Future<Output = Fetched>,
    subnets: impl Future<Output = Fetched>,
) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_ec2::Client::new(config);
    let (vpcs, subnets, pages) = tokio::join!(
        vpcs,
        subnets,
        Box::pin(
            client
                .describe_nat_gateways()
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
    );
    let (vpcs, subnets) = (vpcs?, subnets?);
    let names = vpc_names(&vpcs);
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("DescribeNatGateways", "ec2:DescribeNatGateways", e)
        })?;
        for n in page.nat_gateways() {
            let id = n.nat_gateway_id().unwrap_or_default();
            let routed: Vec<&Json> = subnets
                .iter()
                .filter(|s| s["default_route_target"] == id)
                .map(|s| &s["subnet_id"])
                .collect();
            let in_public_subnet = subnets
                .iter()
                .find(|s| s["subnet_id"].as_str() == n.subnet_id())
                .map(|s| s["internet_gateway_route"] == true);
            out.push(json!({
                "nat_gateway_id": n.nat_gateway_id(),
                "name": name_tag(n.tags()),
                "vpc_id": n.vpc_id(),
                "vpc_name": vpc_name(&names, n.vpc_id()),
                "subnet_id": n.subnet_id(),
                "state": n.state().map(|s| s.as_str()),
                "connectivity_type": n.connectivity_type().map(|c| c.as_str()),
                "public_ips": n.nat_gateway_addresses().iter()
                    .filter_map(|a| a.public_ip()).collect::<Vec<_>>(),
                "in_public_subnet": in_public_subnet,
                "routed_subnets": routed,
                "tags": tag_map(n.tags()),
            }));
        }
    }
    Ok(out)
}

/// Every VPC endpoint of the region; `vpcs` is awaited at the same time as the call, and its error
/// comes first.
pub async fn vpc_endpoints(
    config: &SdkConfig,
    vpcs: impl Future<Output = Fetched>,
) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_ec2::Client::new(config);
    let (vpcs, pages) = tokio::join!(
        vpcs,
        Box::pin(
            client
                .describe_vpc_endpoints()
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
    );
    let vpcs = vpcs?;
    let names = vpc_names(&vpcs);
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("DescribeVpcEndpoints", "ec2:DescribeVpcEndpoints", e)
        })?;
        for e in page.vpc_endpoints() {
            out.push(json!({
                "vpc_endpoint_id": e.vpc_endpoint_id(),
                "name": name_tag(e.tags()),
                "vpc_id": e.vpc_id(),
                "vpc_name": vpc_name(&names, e.vpc_id()),
                "service_name": e.service_name(),
                "service": e.service_name().and_then(|s| s.rsplit('.').next()),
                "vpc_endpoint_type": e.vpc_endpoint_type().map(|t| t.as_str()),
                // The API answers lowercase states; the SDK's enum spells them capitalised.
                "state": e.state().map(|s| s.as_str().to_ascii_lowercase()),
                "private_dns_enabled": e.private_dns_enabled(),
                "subnet_ids": e.subnet_ids(),
                "route_table_ids": e.route_table_ids(),
                "security_group_ids": e.groups().iter()
                    .filter_map(|g| g.group_id()).collect::<Vec<_>>(),
                "tags": tag_map(e.tags()),
            }));
        }
    }
    Ok(out)
}

/// Every flow log of the region; `vpcs` is awaited at the same time as the call, and its error
/// comes first.
pub async fn flow_logs(
    config: &SdkConfig,
    vpcs: impl Future<Output = Fetched>,
) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_ec2::Client::new(config);
    let (vpcs, pages) = tokio::join!(
        vpcs,
        Box::pin(
            client
                .describe_flow_logs()
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
    );
    let vpcs = vpcs?;
    let names = vpc_names(&vpcs);
    let mut out = Vec::new();
    for page in pages {
        let page =
            page.map_err(|e| FetchError::from_sdk("DescribeFlowLogs", "ec2:DescribeFlowLogs", e))?;
        for f in page.flow_logs() {
            out.push(json!({
                "flow_log_id": f.flow_log_id(),
                "resource_id": f.resource_id(),
                "vpc_name": vpc_name(&names, f.resource_id()),
                "traffic_type": f.traffic_type().map(|t| t.as_str()),
                "log_destination_type": f.log_destination_type().map(|t| t.as_str()),
                "log_destination": f.log_destination(),
                "log_group_name": f.log_group_name(),
                "flow_log_status": f.flow_log_status(),
                "deliver_logs_status": f.deliver_logs_status(),
                "deliver_logs_error_message": f.deliver_logs_error_message(),
                "tags": tag_map(f.tags()),
            }));
        }
    }
    Ok(out)
}

/// Gives each security group the RDS instances that use it.
pub fn with_db_instances(mut groups: Vec<Json>, instances: &[Json]) -> Vec<Json> {
    for group in &mut groups {
        let id = group["group_id"].clone();
        let users: Vec<Json> = instances
            .iter()
            .filter(|i| {
                i["vpc_security_groups"]
                    .as_array()
                    .is_some_and(|ids| ids.contains(&id))
            })
            .map(|i| i["db_instance_identifier"].clone())
            .collect();
        group["db_instances"] = Json::Array(users);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{IpRange, UserIdGroupPair};

    #[test]
    fn rules_are_flattened_one_object_per_source_with_group_names() {
        let permission = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(5432)
            .to_port(5432)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-lambda").build())
            .build();
        let names = HashMap::from([("sg-lambda", "barkbase-prod-lambda")]);
        let flat = rules(&[permission], &names);
        assert_eq!(flat.len(), 2);
        assert_eq!(flat[0]["cidr"], "0.0.0.0/0");
        assert_eq!(flat[0]["from_port"], 5432);
        assert_eq!(flat[1]["source_group_name"], "barkbase-prod-lambda");
        assert!(flat[1].get("cidr").is_none());
    }
}
