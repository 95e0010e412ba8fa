//! Automated verifiers: the resource kinds a checklist can test, and how a check is decided.
//!
//! Each kind has a field catalog (what a checklist may test, with types, documented in
//! `barkcheck fields`), a listing that fetches every resource of the kind once per run, and a
//! JSON view of each resource. A check selects resources from the listing and compares fields;
//! the [`Verdict`] carries the evidence. A failed call is an ERROR with its cause, and a
//! selector that matches nothing is a FAIL that says so: neither is ever a pass.

mod acm;
mod apigateway;
mod apigatewayv2;
pub mod aws;
mod cloudformation;
mod cloudfront;
mod cloudwatch;
mod cognito;
pub mod inventory;
mod lambda;
mod logs;
mod rds;
mod route53;
mod s3;
mod storage;
mod waf;

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
    WafWebAcl,
    AcmCertificate,
    Route53HostedZone,
    Route53Record,
    CognitoUserPool,
    ApiGatewayRestApi,
    ApiGatewayRestStage,
    ApiGatewayV2Api,
    ApiGatewayV2Stage,
    LambdaFunction,
    S3Bucket,
    DataStore,
    CloudfrontInvalidations,
}

/// How a kind whose listing holds summaries gets whole resources: the calls that complete them
/// are made only for the summaries a check's selector can pick.
#[derive(Clone, Copy, Debug)]
pub enum Summaries {
    /// Each summary is completed into one resource; these resource fields are on the summary.
    Completed(&'static [&'static str]),
    /// Each summary (an API, a hosted zone) stands for several resources (its stages, its
    /// records), which carry these of its fields as (resource field, summary field).
    Expanded(&'static [(&'static str, &'static str)]),
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
        Kind::WafWebAcl,
        Kind::AcmCertificate,
        Kind::Route53HostedZone,
        Kind::Route53Record,
        Kind::CognitoUserPool,
        Kind::ApiGatewayRestApi,
        Kind::ApiGatewayRestStage,
        Kind::ApiGatewayV2Api,
        Kind::ApiGatewayV2Stage,
        Kind::LambdaFunction,
        Kind::S3Bucket,
        Kind::DataStore,
        Kind::CloudfrontInvalidations,
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
            Kind::WafWebAcl => "waf_web_acl",
            Kind::AcmCertificate => "acm_certificate",
            Kind::Route53HostedZone => "route53_hosted_zone",
            Kind::Route53Record => "route53_record",
            Kind::CognitoUserPool => "cognito_user_pool",
            Kind::ApiGatewayRestApi => "api_gateway_rest_api",
            Kind::ApiGatewayRestStage => "api_gateway_rest_stage",
            Kind::ApiGatewayV2Api => "api_gateway_v2_api",
            Kind::ApiGatewayV2Stage => "api_gateway_v2_stage",
            Kind::LambdaFunction => "lambda_function",
            Kind::S3Bucket => "s3_bucket",
            Kind::DataStore => "data_store",
            Kind::CloudfrontInvalidations => "cloudfront_invalidations",
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
            Kind::WafWebAcl => waf::WEB_ACL_FIELDS,
            Kind::AcmCertificate => acm::CERTIFICATE_FIELDS,
            Kind::Route53HostedZone => route53::ZONE_FIELDS,
            Kind::Route53Record => route53::RECORD_FIELDS,
            Kind::CognitoUserPool => cognito::USER_POOL_FIELDS,
            Kind::ApiGatewayRestApi => apigateway::REST_API_FIELDS,
            Kind::ApiGatewayRestStage => apigateway::REST_STAGE_FIELDS,
            Kind::ApiGatewayV2Api => apigatewayv2::API_FIELDS,
            Kind::ApiGatewayV2Stage => apigatewayv2::V2_STAGE_FIELDS,
            Kind::LambdaFunction => lambda::FUNCTION_FIELDS,
            Kind::S3Bucket => s3::BUCKET_FIELDS,
            Kind::DataStore => storage::DATA_STORE_FIELDS,
            Kind::CloudfrontInvalidations => cloudfront::INVALIDATIONS_FIELDS,
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
            Kind::WafWebAcl => "name",
            Kind::AcmCertificate => "domain_name",
            Kind::Route53HostedZone => "name",
            Kind::Route53Record => "name",
            Kind::CognitoUserPool => "name",
            Kind::ApiGatewayRestApi => "name",
            Kind::ApiGatewayRestStage => "api_name",
            Kind::ApiGatewayV2Api => "name",
            Kind::ApiGatewayV2Stage => "api_name",
            Kind::LambdaFunction => "function_name",
            Kind::S3Bucket => "name",
            Kind::DataStore => "name",
            Kind::CloudfrontInvalidations => "aliases",
        }
    }

    /// What a plain-text selector names, for messages.
    pub fn key_doc(self) -> &'static str {
        match self {
            Kind::CloudfrontDistribution | Kind::CloudfrontInvalidations => {
                "domain name (one of its aliases)"
            }
            Kind::ApiGatewayRestStage | Kind::ApiGatewayV2Stage => {
                "api_name (every stage of the API; select one with {api_name, stage_name})"
            }
            _ => self.key_field(),
        }
    }

    /// The selector a plain text stands for.
    pub fn key_selector(self, key: &str) -> (String, Matcher) {
        let wanted = Json::String(key.to_string());
        let matcher = match self {
            Kind::CloudfrontDistribution | Kind::CloudfrontInvalidations => {
                Matcher::Contains(wanted)
            }
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
            Kind::WafWebAcl => Listing::WebAcls,
            Kind::AcmCertificate => Listing::Certificates,
            Kind::Route53HostedZone | Kind::Route53Record => Listing::HostedZones,
            Kind::CognitoUserPool => Listing::UserPools,
            Kind::ApiGatewayRestApi | Kind::ApiGatewayRestStage => Listing::RestApis,
            Kind::ApiGatewayV2Api | Kind::ApiGatewayV2Stage => Listing::V2Apis,
            Kind::LambdaFunction => Listing::LambdaFunctions,
            Kind::S3Bucket => Listing::Buckets,
            Kind::DataStore => Listing::DataStores,
            Kind::CloudfrontInvalidations => Listing::Distributions,
        }
    }

    /// For kinds whose listing holds summaries, how whole resources are made of them.
    pub fn summaries(self) -> Option<Summaries> {
        use Summaries::{Completed, Expanded};
        match self {
            Kind::WafWebAcl => Some(Completed(waf::SUMMARY_FIELDS)),
            Kind::AcmCertificate => Some(Completed(acm::SUMMARY_FIELDS)),
            Kind::Route53Record => Some(Expanded(route53::RECORD_SUMMARY_FIELDS)),
            Kind::CognitoUserPool => Some(Completed(cognito::SUMMARY_FIELDS)),
            Kind::ApiGatewayRestApi => Some(Completed(apigateway::REST_API_SUMMARY_FIELDS)),
            Kind::ApiGatewayRestStage => Some(Expanded(apigateway::REST_STAGE_SUMMARY_FIELDS)),
            Kind::ApiGatewayV2Api => Some(Completed(apigatewayv2::API_SUMMARY_FIELDS)),
            Kind::ApiGatewayV2Stage => Some(Expanded(apigatewayv2::V2_STAGE_SUMMARY_FIELDS)),
            Kind::S3Bucket => Some(Completed(s3::SUMMARY_FIELDS)),
            Kind::DataStore => Some(Completed(storage::SUMMARY_FIELDS)),
            Kind::CloudfrontInvalidations => {
                Some(Completed(cloudfront::INVALIDATIONS_SUMMARY_FIELDS))
            }
            _ => None,
        }
    }

    /// A one-line label of a resource of this kind for evidence.
    fn label(self, resource: &Json) -> String {
        let key = match self {
            Kind::CloudfrontDistribution | Kind::CloudfrontInvalidations => "id",
            _ => self.key_field(),
        };
        let name = resource
            .get(key)
            .map(expect::render)
            .unwrap_or_else(|| "?".into());
        match self {
            // A stage is named by its API and its own name; a record also by its type.
            Kind::ApiGatewayRestStage | Kind::ApiGatewayV2Stage => {
                let stage = resource.get("stage_name").map(expect::render);
                format!("{} {name}/{}", self.name(), stage.unwrap_or_default())
            }
            Kind::Route53Record => {
                let kind = resource.get("type").map(expect::render);
                format!("{} {name} {}", self.name(), kind.unwrap_or_default())
            }
            _ => format!("{} {name}", self.name()),
        }
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
    let verdict = judge(check, &judged);
    match &check.selected {
        Some(wanted) => with_selected_count(verdict, wanted, judged.len(), check.kind),
        None => verdict,
    }
}

/// The verdict on the selected resources' comparisons, by the check's match mode.
fn judge(check: &Check, judged: &[(String, Vec<Comparison>)]) -> Verdict {
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

/// Adds the `selected:` comparison to a verdict: too few (or too many) resources fail the check
/// whatever their fields say.
fn with_selected_count(
    mut verdict: Verdict,
    wanted: &Matcher,
    count: usize,
    kind: Kind,
) -> Verdict {
    let ok = wanted.check(Some(&Json::from(count)));
    let comparison = Comparison {
        field: "selected".into(),
        expected: wanted.to_string(),
        observed: format!("{count} {}", kind.name()),
        ok,
    };
    if !ok && verdict.outcome == Outcome::Pass {
        verdict.outcome = Outcome::Fail;
        verdict.comparisons.clear();
        verdict.message = None;
    }
    verdict.comparisons.insert(0, comparison);
    verdict
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
            let ok = matcher.check(observed);
            // A failed expectation on a list of objects shows the elements that fall short.
            let shown = match observed {
                Some(value) if !ok => matcher
                    .shortfall(value)
                    .unwrap_or_else(|| expect::render(value)),
                Some(value) => expect::render(value),
                None => "(absent)".into(),
            };
            Comparison {
                field: field.clone(),
                expected: matcher.to_string(),
                observed: shown,
                ok,
            }
        })
        .collect()
}
