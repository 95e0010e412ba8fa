//! Automated verifiers: the resource kinds a checklist can test, and how a check is decided.
//!
//! Each kind has a field catalog (what a checklist may test, with types, documented in
//! `barkcheck fields`), a listing that fetches every resource of the kind once per run, and a
//! JSON view of each resource. A check selects resources from the listing and compares fields;
//! the [`Verdict`] carries the evidence. A failed call is an ERROR with its cause, and a
//! selector that matches nothing is a FAIL that says so: neither is ever a pass.

pub mod aws;
mod budgets;
mod cloudformation;
mod cloudfront;
mod cloudtrail;
mod cloudwatch;
mod config_recorder;
mod iam;
pub mod inventory;
mod logs;
mod logs_insights;
mod rds;
mod rds_security;
mod secrets;
mod sns;
mod vpc;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::checklist::expect::{self, Field, Matcher};
use crate::checklist::{Check, MatchMode};
pub use inventory::{FetchError, Inventory, Listing, Settings};

/// A kind of resource a `verify:` block can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    RdsInstance,
    RdsCluster,
    CloudwatchAlarm,
    CloudwatchDashboard,
    LogGroup,
    CloudfrontDistribution,
    CloudformationStack,
    SnsTopic,
    SnsSubscription,
    Secret,
    CloudtrailTrail,
    ConfigRecorder,
    Budget,
    IamAccount,
    Subnet,
    SecurityGroup,
    NatGateway,
    VpcEndpoint,
    FlowLog,
    DbSubnetGroup,
    DbParameterGroup,
    RdsProxy,
    LogsQueryDefinition,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::RdsInstance,
        Kind::RdsCluster,
        Kind::CloudwatchAlarm,
        Kind::CloudwatchDashboard,
        Kind::LogGroup,
        Kind::CloudfrontDistribution,
        Kind::CloudformationStack,
        Kind::SnsTopic,
        Kind::SnsSubscription,
        Kind::Secret,
        Kind::CloudtrailTrail,
        Kind::ConfigRecorder,
        Kind::Budget,
        Kind::IamAccount,
        Kind::Subnet,
        Kind::SecurityGroup,
        Kind::NatGateway,
        Kind::VpcEndpoint,
        Kind::FlowLog,
        Kind::DbSubnetGroup,
        Kind::DbParameterGroup,
        Kind::RdsProxy,
        Kind::LogsQueryDefinition,
    ];

    /// The word used in checklist files.
    pub fn name(self) -> &'static str {
        match self {
            Kind::RdsInstance => "rds_instance",
            Kind::RdsCluster => "rds_cluster",
            Kind::CloudwatchAlarm => "cloudwatch_alarm",
            Kind::CloudwatchDashboard => "cloudwatch_dashboard",
            Kind::LogGroup => "log_group",
            Kind::CloudfrontDistribution => "cloudfront_distribution",
            Kind::CloudformationStack => "cloudformation_stack",
            Kind::SnsTopic => "sns_topic",
            Kind::SnsSubscription => "sns_subscription",
            Kind::Secret => "secret",
            Kind::CloudtrailTrail => "cloudtrail_trail",
            Kind::ConfigRecorder => "config_recorder",
            Kind::Budget => "budget",
            Kind::IamAccount => "iam_account",
            Kind::Subnet => "subnet",
            Kind::SecurityGroup => "security_group",
            Kind::NatGateway => "nat_gateway",
            Kind::VpcEndpoint => "vpc_endpoint",
            Kind::FlowLog => "flow_log",
            Kind::DbSubnetGroup => "db_subnet_group",
            Kind::DbParameterGroup => "db_parameter_group",
            Kind::RdsProxy => "rds_proxy",
            Kind::LogsQueryDefinition => "logs_query_definition",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// What a checklist may test on this kind.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::RdsInstance => rds::INSTANCE_FIELDS,
            Kind::RdsCluster => rds::CLUSTER_FIELDS,
            Kind::CloudwatchAlarm => cloudwatch::ALARM_FIELDS,
            Kind::CloudwatchDashboard => cloudwatch::DASHBOARD_FIELDS,
            Kind::LogGroup => logs::LOG_GROUP_FIELDS,
            Kind::CloudfrontDistribution => cloudfront::DISTRIBUTION_FIELDS,
            Kind::CloudformationStack => cloudformation::STACK_FIELDS,
            Kind::SnsTopic => sns::TOPIC_FIELDS,
            Kind::SnsSubscription => sns::SUBSCRIPTION_FIELDS,
            Kind::Secret => secrets::SECRET_FIELDS,
            Kind::CloudtrailTrail => cloudtrail::TRAIL_FIELDS,
            Kind::ConfigRecorder => config_recorder::RECORDER_FIELDS,
            Kind::Budget => budgets::BUDGET_FIELDS,
            Kind::IamAccount => iam::ACCOUNT_FIELDS,
            Kind::Subnet => vpc::SUBNET_FIELDS,
            Kind::SecurityGroup => vpc::SECURITY_GROUP_FIELDS,
            Kind::NatGateway => vpc::NAT_GATEWAY_FIELDS,
            Kind::VpcEndpoint => vpc::VPC_ENDPOINT_FIELDS,
            Kind::FlowLog => vpc::FLOW_LOG_FIELDS,
            Kind::DbSubnetGroup => rds_security::SUBNET_GROUP_FIELDS,
            Kind::DbParameterGroup => rds_security::PARAMETER_GROUP_FIELDS,
            Kind::RdsProxy => rds_security::PROXY_FIELDS,
            Kind::LogsQueryDefinition => logs_insights::QUERY_DEFINITION_FIELDS,
        }
    }

    /// The field a plain-text selector (`rds_instance: barkbase-prod`) is compared with.
    fn key_field(self) -> &'static str {
        match self {
            Kind::RdsInstance => "db_instance_identifier",
            Kind::RdsCluster => "db_cluster_identifier",
            Kind::CloudwatchAlarm => "alarm_name",
            Kind::CloudwatchDashboard => "dashboard_name",
            Kind::LogGroup => "log_group_name",
            Kind::CloudfrontDistribution => "aliases",
            Kind::CloudformationStack => "stack_name",
            Kind::SnsTopic => "topic_name",
            Kind::SnsSubscription => "subscription_arn",
            Kind::Secret => "name",
            Kind::CloudtrailTrail => "name",
            Kind::ConfigRecorder => "name",
            Kind::Budget => "budget_name",
            Kind::IamAccount => "account_id",
            Kind::Subnet => "subnet_id",
            Kind::SecurityGroup => "group_name",
            Kind::NatGateway => "nat_gateway_id",
            Kind::VpcEndpoint => "vpc_endpoint_id",
            Kind::FlowLog => "flow_log_id",
            Kind::DbSubnetGroup => "db_subnet_group_name",
            Kind::DbParameterGroup => "db_parameter_group_name",
            Kind::RdsProxy => "db_proxy_name",
            Kind::LogsQueryDefinition => "name",
        }
    }

    /// What a plain-text selector names, for messages.
    pub fn key_doc(self) -> &'static str {
        match self {
            Kind::CloudfrontDistribution => "domain name (one of its aliases)",
            _ => self.key_field(),
        }
    }

    /// The selector a plain text stands for.
    pub fn key_selector(self, key: &str) -> (String, Matcher) {
        let wanted = Json::String(key.to_string());
        let matcher = match self {
            Kind::CloudfrontDistribution => Matcher::Contains(wanted),
            _ => Matcher::Equals(wanted),
        };
        (self.key_field().to_string(), matcher)
    }

    /// Whether the selector says what to probe (kept as the check's `target`) rather than which
    /// resources of a listing to pick.
    pub fn probes(self) -> bool {
        false
    }

    /// The listing that holds every resource of this kind.
    pub fn listing(self) -> Listing {
        match self {
            Kind::RdsInstance => Listing::RdsInstances,
            Kind::RdsCluster => Listing::RdsClusters,
            Kind::CloudwatchAlarm => Listing::Alarms,
            Kind::CloudwatchDashboard => Listing::Dashboards,
            Kind::LogGroup => Listing::LogGroups,
            Kind::CloudfrontDistribution => Listing::Distributions,
            Kind::CloudformationStack => Listing::Stacks,
            Kind::SnsTopic => Listing::SnsTopics,
            Kind::SnsSubscription => Listing::SnsSubscriptions,
            Kind::Secret => Listing::Secrets,
            Kind::CloudtrailTrail => Listing::Trails,
            Kind::ConfigRecorder => Listing::ConfigRecorders,
            Kind::Budget => Listing::Budgets,
            Kind::IamAccount => Listing::IamAccountSummary,
            Kind::Subnet => Listing::Subnets,
            Kind::SecurityGroup => Listing::SecurityGroups,
            Kind::NatGateway => Listing::NatGateways,
            Kind::VpcEndpoint => Listing::VpcEndpoints,
            Kind::FlowLog => Listing::FlowLogs,
            Kind::DbSubnetGroup => Listing::DbSubnetGroups,
            Kind::DbParameterGroup => Listing::DbParameterGroups,
            Kind::RdsProxy => Listing::RdsProxies,
            Kind::LogsQueryDefinition => Listing::QueryDefinitions,
        }
    }

    /// A one-line label of a resource of this kind for evidence.
    fn label(self, resource: &Json) -> String {
        // A pending subscription has no ARN to name it by.
        if self == Kind::SnsSubscription {
            let text = |k: &str| resource.get(k).map(expect::render).unwrap_or_default();
            return format!(
                "sns_subscription {} {} on {}",
                text("protocol"),
                text("endpoint"),
                text("topic_name")
            );
        }
        let key = match self {
            Kind::CloudfrontDistribution => "id",
            _ => self.key_field(),
        };
        let name = resource
            .get(key)
            .map(expect::render)
            .unwrap_or_else(|| "?".into());
        format!("{} {name}", self.name())
    }
}

/// Probes the target of a kind whose selector names what to probe rather than what to pick
/// from a listing. No kind probes yet; the hook is where HTTP, DNS and database checks plug in.
pub async fn probe(
    kind: Kind,
    target: &Json,
    _inventory: &Inventory,
) -> Result<Vec<Json>, FetchError> {
    Err(FetchError::new(
        kind.name(),
        format!("no probe for target {target}"),
    ))
}

/// How one item ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Pass,
    Signed,
    Skipped,
    Pending,
    Fail,
    Error,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Signed => "SIGNED",
            Outcome::Skipped => "SKIPPED",
            Outcome::Pending => "PENDING",
            Outcome::Fail => "FAIL",
            Outcome::Error => "ERROR",
        }
    }

    pub fn parse(label: &str) -> Option<Outcome> {
        [
            Outcome::Pass,
            Outcome::Signed,
            Outcome::Skipped,
            Outcome::Pending,
            Outcome::Fail,
            Outcome::Error,
        ]
        .into_iter()
        .find(|o| o.label() == label)
    }
}

/// One expectation compared on one resource.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub field: String,
    pub expected: String,
    pub observed: String,
    pub ok: bool,
}

/// What an automated check saw: the outcome and the evidence behind it.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    /// The resource the verdict is about, when one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The comparisons on that resource (for `match: all`, on every failing one).
    pub comparisons: Vec<Comparison>,
    /// A sentence for what the comparisons cannot say: nothing matched, a call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The most candidates whose comparisons a failing `match: any` check reports.
const CANDIDATES_SHOWN: usize = 3;

/// Decides a check against the run's inventory.
pub async fn decide(check: &Check, inventory: &Inventory) -> Verdict {
    let listing = match inventory.resources(check).await {
        Ok(resources) => resources,
        Err(err) => {
            return Verdict {
                outcome: Outcome::Error,
                resource: None,
                comparisons: Vec::new(),
                message: Some(err.to_string()),
            };
        }
    };
    let selected: Vec<&Json> = listing
        .iter()
        .filter(|r| selects(&check.selector, r))
        .collect();
    if selected.is_empty() {
        return Verdict {
            outcome: Outcome::Fail,
            resource: None,
            comparisons: Vec::new(),
            message: Some(format!(
                "no {} matches {} ({} listed)",
                check.kind.name(),
                check.selector_text,
                listing.len()
            )),
        };
    }

    let judged: Vec<(String, Vec<Comparison>)> = selected
        .iter()
        .map(|resource| (check.kind.label(resource), compare(&check.expect, resource)))
        .collect();
    let passes = |c: &Vec<Comparison>| c.iter().all(|c| c.ok);
    match check.mode {
        MatchMode::Any => {
            if let Some((label, comparisons)) = judged.iter().find(|(_, c)| passes(c)) {
                return Verdict {
                    outcome: Outcome::Pass,
                    resource: Some(label.clone()),
                    comparisons: comparisons.clone(),
                    message: None,
                };
            }
            let mut comparisons = Vec::new();
            let mut labels = Vec::new();
            for (label, found) in judged.iter().take(CANDIDATES_SHOWN) {
                labels.push(label.clone());
                comparisons.extend(found.iter().filter(|c| !c.ok).map(|c| Comparison {
                    field: if judged.len() > 1 {
                        format!("{label}: {}", c.field)
                    } else {
                        c.field.clone()
                    },
                    ..c.clone()
                }));
            }
            let message = (judged.len() > 1).then(|| {
                format!(
                    "none of the {} selected resources meets every expectation",
                    judged.len()
                )
            });
            Verdict {
                outcome: Outcome::Fail,
                resource: Some(labels.join(", ")),
                comparisons,
                message,
            }
        }
        MatchMode::All => {
            let failing: Vec<&(String, Vec<Comparison>)> =
                judged.iter().filter(|(_, c)| !passes(c)).collect();
            if failing.is_empty() {
                let (label, comparisons) = &judged[0];
                let resource = if judged.len() == 1 {
                    label.clone()
                } else {
                    format!("{} {} resources", judged.len(), check.kind.name())
                };
                return Verdict {
                    outcome: Outcome::Pass,
                    resource: Some(resource),
                    comparisons: comparisons.clone(),
                    message: (judged.len() > 1)
                        .then(|| format!("all {} selected resources meet it", judged.len())),
                };
            }
            let comparisons = failing
                .iter()
                .flat_map(|(label, found)| {
                    found.iter().filter(|c| !c.ok).map(move |c| Comparison {
                        field: format!("{label}: {}", c.field),
                        ..c.clone()
                    })
                })
                .collect();
            Verdict {
                outcome: Outcome::Fail,
                resource: Some(format!(
                    "{} of {} selected {} resources fall short",
                    failing.len(),
                    judged.len(),
                    check.kind.name()
                )),
                comparisons,
                message: None,
            }
        }
    }
}

/// Whether a resource passes every selector expectation.
pub fn selects(selector: &[(String, Matcher)], resource: &Json) -> bool {
    selector
        .iter()
        .all(|(field, matcher)| matcher.check(expect::lookup(resource, field)))
}

fn compare(expectations: &[(String, Matcher)], resource: &Json) -> Vec<Comparison> {
    expectations
        .iter()
        .map(|(field, matcher)| {
            let observed = expect::lookup(resource, field).filter(|v| !v.is_null());
            Comparison {
                field: field.clone(),
                expected: matcher.to_string(),
                observed: observed
                    .map(expect::render)
                    .unwrap_or_else(|| "(absent)".into()),
                ok: matcher.check(observed),
            }
        })
        .collect()
}
