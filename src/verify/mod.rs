//! Automated verifiers: the resource kinds a checklist can test, and how a check is decided.
//!
//! Each kind has a field catalog (what a checklist may test, with types, documented in
//! `barkcheck fields`), a listing that fetches every resource of the kind once per run, and a
//! JSON view of each resource. A check selects resources from the listing and compares fields;
//! the [`Verdict`] carries the evidence. A failed call is an ERROR with its cause, and a
//! selector that matches nothing is a FAIL that says so: neither is ever a pass.
//!
//! `AWS_CALLS` says, kind by kind, which AWS calls a check makes and which IAM actions they
//! need; `barkcheck explain` and `barkcheck iam-policy` read it.

pub mod aws;
mod cloudformation;
mod cloudfront;
mod cloudwatch;
pub mod inventory;
mod logs;
mod rds;

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
        }
    }

    /// A one-line label of a resource of this kind for evidence.
    fn label(self, resource: &Json) -> String {
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

/// One AWS API call a verifier makes, with the IAM action that allows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwsCall {
    /// The service's signing name, as in a request's credential scope (`monitoring` is
    /// CloudWatch): what the local stand-in logs.
    pub service: &'static str,
    pub operation: &'static str,
    /// The IAM action that allows the call, like `rds:DescribeDBInstances`.
    pub action: &'static str,
    /// When the call is made, if not for every check of the kind.
    pub only_when: Option<&'static str>,
}

const fn aws_call(service: &'static str, operation: &'static str, action: &'static str) -> AwsCall {
    AwsCall {
        service,
        operation,
        action,
        only_when: None,
    }
}

const fn aws_call_when(
    service: &'static str,
    operation: &'static str,
    action: &'static str,
    when: &'static str,
) -> AwsCall {
    AwsCall {
        only_when: Some(when),
        ..aws_call(service, operation, action)
    }
}

/// The AWS calls each kind makes, read by `barkcheck explain` and `barkcheck iam-policy`. Adding
/// a kind? Add its row: one entry per call, every one of them read-only; a kind that probes
/// without AWS has an empty row. A unit test checks that every kind has a row.
const AWS_CALLS: &[(Kind, &[AwsCall])] = &[
    (
        Kind::RdsInstance,
        &[
            aws_call("rds", "DescribeDBInstances", "rds:DescribeDBInstances"),
            aws_call_when(
                "rds",
                "DescribeDBClusters",
                "rds:DescribeDBClusters",
                "an instance belongs to an Aurora cluster",
            ),
        ],
    ),
    (
        Kind::RdsCluster,
        &[aws_call(
            "rds",
            "DescribeDBClusters",
            "rds:DescribeDBClusters",
        )],
    ),
    (
        Kind::CloudwatchAlarm,
        &[aws_call(
            "monitoring",
            "DescribeAlarms",
            "cloudwatch:DescribeAlarms",
        )],
    ),
    (
        Kind::CloudwatchDashboard,
        &[
            aws_call("monitoring", "ListDashboards", "cloudwatch:ListDashboards"),
            aws_call_when(
                "monitoring",
                "GetDashboard",
                "cloudwatch:GetDashboard",
                "a dashboard's name is selected",
            ),
        ],
    ),
    (
        Kind::LogGroup,
        &[aws_call(
            "logs",
            "DescribeLogGroups",
            "logs:DescribeLogGroups",
        )],
    ),
    (
        Kind::CloudfrontDistribution,
        &[aws_call(
            "cloudfront",
            "ListDistributions",
            "cloudfront:ListDistributions",
        )],
    ),
    (
        Kind::CloudformationStack,
        &[aws_call(
            "cloudformation",
            "DescribeStacks",
            "cloudformation:DescribeStacks",
        )],
    ),
];

impl Kind {
    /// The AWS calls a check of this kind may make, with their IAM actions.
    pub fn aws_calls(self) -> &'static [AwsCall] {
        AWS_CALLS
            .iter()
            .find(|(kind, _)| *kind == self)
            .map(|(_, calls)| *calls)
            .unwrap_or_default()
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
    /// A failing or pending item whose failure was accepted until a date.
    Waived,
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
            Outcome::Waived => "WAIVED",
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
            Outcome::Waived,
            Outcome::Pending,
            Outcome::Fail,
            Outcome::Error,
        ]
        .into_iter()
        .find(|o| o.label() == label)
    }
}

/// One expectation compared on one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_row_of_aws_calls_and_each_call_only_reads() {
        for kind in Kind::ALL {
            let rows = AWS_CALLS.iter().filter(|(k, _)| k == kind).count();
            assert_eq!(
                rows,
                1,
                "{} needs exactly one row in AWS_CALLS",
                kind.name()
            );
        }
        for (_, calls) in AWS_CALLS {
            for call in *calls {
                let (_, operation) = call.action.split_once(':').expect("service:Operation");
                assert_eq!(operation, call.operation, "{call:?}");
                assert!(
                    ["Describe", "List", "Get"]
                        .iter()
                        .any(|verb| operation.starts_with(verb)),
                    "{} is not a read-only action",
                    call.action
                );
            }
        }
    }
}
