//! The inventory of one run: every listing and probe, fetched at most once and shared.
//!
//! The first check to need a listing (DescribeDBInstances, DescribeAlarms, ...) starts the
//! call and every other check needing it waits for the same answer, so a run makes each call
//! once however many items read it. Listings are paginated to the end. Kinds that probe a
//! target instead of listing resources are cached by their target. Kinds whose listing holds
//! summaries (web ACLs, user pools, REST APIs, buckets, ...) complete only the summaries a check
//! can select, each once.
//!
//! Calls that do not need each other's answers are made at the same time, so a run takes about
//! as many round trips as its longest chain of dependent calls. Such groups are joined, never
//! try-joined: every member runs to its end (a shared listing's fetch is never dropped half-way,
//! which would make the next reader start it again), and the results are read in the order the
//! calls were once awaited in, so the output and the error returned are those of one-by-one calls.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use futures_util::future::join_all;
use serde_json::Value as Json;
use tokio::sync::OnceCell;

use super::aws::{self, AwsOptions};
use super::probe::{Network, ProbeOptions};
use super::{
    Kind, Summaries, acm, apigateway, apigatewayv2, budgets, cloudformation, cloudfront,
    cloudtrail, cloudwatch, cognito, config_recorder, iam, lambda, logs, logs_insights, postgres,
    rds, rds_security, route53, s3, secrets, sns, storage, vpc, waf,
};
use crate::checklist::Check;
use crate::checklist::expect::Matcher;

/// What a run may reach, from the command line.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    pub aws: AwsOptions,
    /// Whether `command` checks may run programs (`run --allow-commands`); otherwise SKIPPED.
    pub allow_commands: bool,
    /// How long a `command` check's program may run unless its target says otherwise.
    pub command_timeout: Option<Duration>,
    /// How long connecting to a database, and each query, may take.
    pub database_timeout: Option<Duration>,
    /// Name resolution, trust and timeout of the web probes (http, tls, websocket, dns).
    pub probes: ProbeOptions,
}

impl Inventory {
    /// Why AWS could not be used at all (no region, no credentials), if that is the case: said
    /// once by the caller rather than once per item.
    pub async fn aws_unavailable(&self) -> Option<FetchError> {
        match self.aws.get() {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }
}

/// Something fetched once per run and shared by the checks that read it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Listing {
    RdsInstances,
    RdsClusters,
    Alarms,
    Dashboards,
    /// One dashboard's body, fetched only for dashboards a check selects.
    Dashboard(String),
    LogGroups,
    Distributions,
    Stacks,
    SnsTopics,
    SnsSubscriptions,
    Secrets,
    Trails,
    ConfigRecorders,
    /// The account id of the credentials (STS GetCallerIdentity).
    AccountId,
    Budgets,
    IamAccountSummary,
    Vpcs,
    /// Subnets with their route tables.
    Subnets,
    SecurityGroups,
    NatGateways,
    VpcEndpoints,
    FlowLogs,
    DbSubnetGroups,
    /// The parameter groups instances use, by name, without their parameters.
    DbParameterGroups,
    /// One parameter group's parameters, fetched only for the groups a check selects.
    DbParameters(String),
    RdsProxies,
    QueryDefinitions,
    /// A probe of a target (kinds whose selector says what to probe), by its JSON text.
    Probe(Kind, String),
    /// CloudFront-scope WAF web ACLs (us-east-1), with the distributions using them.
    WebAcls,
    /// ACM certificates of us-east-1, with the distributions serving them.
    Certificates,
    HostedZones,
    UserPools,
    RestApis,
    UsagePlans,
    /// HTTP and WebSocket APIs.
    V2Apis,
    /// API Gateway custom domains of both flavours, with the APIs mapped to them.
    ApiDomains,
    RestDomains,
    V2Domains,
    LambdaFunctions,
    Buckets,
    /// RDS instances, Aurora clusters and S3 buckets, as data stores.
    DataStores,
    /// The whole resources a kind's summary stands for, by the summary's JSON text.
    Detail(Kind, String),
}

/// A call that could not give an answer, so the items that needed it cannot be decided.
#[derive(Clone, Debug)]
pub struct FetchError {
    /// What was attempted: an API operation like `DescribeDBInstances`, or a probe.
    pub call: String,
    /// The IAM action an AWS call needs, like `rds:DescribeDBInstances`.
    pub action: Option<&'static str>,
    pub cause: String,
    /// Whether the other side said the caller is not allowed to make it.
    pub denied: bool,
}

impl FetchError {
    pub fn new(call: impl Into<String>, cause: impl Into<String>) -> FetchError {
        FetchError {
            call: call.into(),
            action: None,
            cause: cause.into(),
            denied: false,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.call, self.cause)?;
        if let (true, Some(action)) = (self.denied, self.action) {
            write!(f, " (the credentials need IAM action {action})")?;
        }
        Ok(())
    }
}

pub type Fetched = Result<Arc<Vec<Json>>, FetchError>;

/// The listings and probes of one run.
pub struct Inventory {
    settings: Settings,
    /// Loaded on the first AWS call, so a run without AWS checks needs no AWS set-up.
    aws: OnceCell<Result<SdkConfig, FetchError>>,
    /// Built on the first probe: resolution, trust and the HTTP client of every probe.
    network: OnceCell<Result<Network, FetchError>>,
    cells: Mutex<HashMap<Listing, Arc<OnceCell<Fetched>>>>,
    /// Database connections, one per connection source, opened on first use.
    pub(super) databases: postgres::Connections,
}

impl Inventory {
    pub fn new(settings: Settings) -> Inventory {
        Inventory {
            settings,
            aws: OnceCell::new(),
            network: OnceCell::new(),
            cells: Mutex::new(HashMap::new()),
            databases: postgres::Connections::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The AWS SDK configuration, loaded on first use.
    pub async fn aws(&self) -> Result<&SdkConfig, FetchError> {
        let loaded = self
            .aws
            .get_or_init(|| aws::load_config(&self.settings.aws))
            .await;
        loaded.as_ref().map_err(Clone::clone)
    }

    /// What probes share in this run, set up on first use.
    pub async fn network(&self) -> Result<&Network, FetchError> {
        let built = self
            .network
            .get_or_init(|| async {
                // Setting up may read the trusted CAs: on a thread of its own, so that the
                // runtime's threads go on sending the AWS requests meanwhile.
                let options = self.settings.probes.clone();
                tokio::task::spawn_blocking(move || Network::new(&options))
                    .await
                    .unwrap_or_else(|e| Err(FetchError::new("probe set-up", e.to_string())))
            })
            .await;
        built.as_ref().map_err(Clone::clone)
    }

    /// Every resource a check could select: a kind's listing, or what probing its target found.
    pub async fn resources(&self, check: &Check) -> Fetched {
        if let Some(target) = &check.target {
            // Each target of a list is probed (and cached) on its own, so an endpoint that
            // several checks name is probed once; the targets are probed at the same time, and
            // their results (or the first error) are taken in the list's order.
            let targets: Vec<&Json> = match target {
                Json::Array(items) => items.iter().collect(),
                one => vec![one],
            };
            let probed = join_all(targets.into_iter().map(|target| {
                Box::pin(self.listing(Listing::Probe(check.kind, target.to_string())))
            }))
            .await;
            let mut found = Vec::new();
            for resources in probed {
                found.extend(resources?.iter().cloned());
            }
            return Ok(Arc::new(found));
        }
        if let Some(summaries) = check.kind.summaries() {
            return self.completed(check, summaries).await;
        }
        match check.kind {
            Kind::CloudwatchDashboard => {}
            Kind::DbParameterGroup => return self.parameter_groups(check).await,
            // Which instances use a group costs a DescribeDBInstances: only when asked.
            Kind::SecurityGroup if reads(check, "db_instances") => {
                let (groups, instances) = tokio::join!(
                    Box::pin(self.listing(Listing::SecurityGroups)),
                    Box::pin(self.listing(Listing::RdsInstances)),
                );
                let (groups, instances) = (groups?, instances?);
                return Ok(Arc::new(vpc::with_db_instances(
                    groups.to_vec(),
                    &instances,
                )));
            }
            _ => return self.listing(check.kind.listing()).await,
        }
        // Dashboards are listed by name; bodies are fetched only for the ones selected.
        let entries = self.listing(Listing::Dashboards).await?;
        let by_name: Vec<(String, Matcher)> = check
            .selector
            .iter()
            .filter(|(field, _)| field == "dashboard_name")
            .cloned()
            .collect();
        let bodies = join_all(entries.iter().filter(|e| super::selects(&by_name, e)).map(
            |entry| {
                let name = entry["dashboard_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                Box::pin(self.listing(Listing::Dashboard(name)))
            },
        ))
        .await;
        let mut out = Vec::new();
        for body in bodies {
            out.extend(body?.iter().cloned());
        }
        Ok(Arc::new(out))
    }

    /// The parameter groups a check selects, each with its parameters, which are fetched only
    /// for those groups (an account has many, and each takes several pages).
    async fn parameter_groups(&self, check: &Check) -> Fetched {
        let groups = self.listing(Listing::DbParameterGroups).await?;
        let by_group: Vec<(String, Matcher)> = check
            .selector
            .iter()
            .filter(|(field, _)| field == "db_parameter_group_name" || field == "db_instances")
            .cloned()
            .collect();
        let selected: Vec<&Json> = groups
            .iter()
            .filter(|g| super::selects(&by_group, g))
            .collect();
        let parameters = join_all(selected.iter().map(|group| {
            let name = group["db_parameter_group_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            Box::pin(self.listing(Listing::DbParameters(name)))
        }))
        .await;
        let mut out = Vec::new();
        for (group, parameters) in selected.into_iter().zip(parameters) {
            for mut found in parameters?.to_vec() {
                found["db_instances"] = group["db_instances"].clone();
                out.push(found);
            }
        }
        Ok(Arc::new(out))
    }

    /// The resources of a kind whose listing holds summaries: the summaries the check's selector
    /// can pick (judged on the fields they carry) are completed; a summary completed into one
    /// resource that cannot be picked stays as it is, so that it still counts as listed.
    ///
    /// The listings every completion of the kind reads besides its own calls (see
    /// [`read_by_details`]) do not depend on the summaries: they are started with the summary
    /// listing rather than one round trip after it. Their answers are only cached here; a
    /// completion that reads a failed one returns its error, as before.
    async fn completed(&self, check: &Check, summaries: Summaries) -> Fetched {
        let side = join_all(
            read_by_details(check.kind)
                .into_iter()
                .map(|listing| Box::pin(self.listing(listing))),
        );
        let (completed, _) =
            tokio::join!(Box::pin(self.complete(check, summaries)), Box::pin(side));
        completed
    }

    /// [`Inventory::completed`] without the listings started alongside.
    async fn complete(&self, check: &Check, summaries: Summaries) -> Fetched {
        let listed = self.listing(check.kind.listing()).await?;
        let on_summary: Vec<(String, Matcher)> = check
            .selector
            .iter()
            .filter_map(|(field, matcher)| {
                let summary_field = match summaries {
                    Summaries::Completed(fields) => {
                        *fields.iter().find(|f| **f == field.as_str())?
                    }
                    Summaries::Expanded(fields) => {
                        fields
                            .iter()
                            .find(|(resource, _)| *resource == field.as_str())?
                            .1
                    }
                };
                Some((summary_field.to_string(), matcher.clone()))
            })
            .collect();
        let selected: Vec<bool> = listed
            .iter()
            .map(|summary| super::selects(&on_summary, summary))
            .collect();
        // The selected summaries are completed at the same time; the results are read back in
        // the listing's order, so the output and the first error are those of one-by-one calls.
        let wholes = join_all(
            listed
                .iter()
                .zip(&selected)
                .filter(|(_, selected)| **selected)
                .map(|(summary, _)| {
                    Box::pin(self.listing(Listing::Detail(check.kind, summary.to_string())))
                }),
        )
        .await;
        let mut wholes = wholes.into_iter();
        let mut out = Vec::new();
        for (summary, selected) in listed.iter().zip(selected) {
            if selected {
                let whole = wholes
                    .next()
                    .expect("one completion per selected summary")?;
                out.extend(whole.iter().cloned());
            } else if let Summaries::Completed(_) = summaries {
                out.push(summary.clone());
            }
        }
        Ok(Arc::new(out))
    }

    /// A listing, fetched on first use and shared afterwards.
    pub async fn listing(&self, listing: Listing) -> Fetched {
        let cell = {
            let mut cells = self.cells.lock().expect("inventory lock poisoned");
            cells.entry(listing.clone()).or_default().clone()
        };
        cell.get_or_init(|| async { self.fetch(&listing).await.map(Arc::new) })
            .await
            .clone()
    }

    /// The account id of the credentials, asked of STS once per run.
    async fn account_id(&self) -> Result<String, FetchError> {
        let found = Box::pin(self.listing(Listing::AccountId)).await?;
        let account = found.first().and_then(|a| a["account_id"].as_str());
        Ok(account.unwrap_or_default().to_string())
    }

    async fn fetch(&self, listing: &Listing) -> Result<Vec<Json>, FetchError> {
        if let Listing::Probe(kind, target) = listing {
            let target: Json = serde_json::from_str(target).unwrap_or(Json::Null);
            return super::probe(*kind, &target, self).await;
        }
        let config = self.aws().await?;
        match listing {
            Listing::RdsInstances => {
                let instances = rds::instances(config).await?;
                // Aurora keeps Multi-AZ, backups and encryption on the cluster, not the instance.
                if instances
                    .iter()
                    .any(|i| i["db_cluster_identifier"].is_string())
                {
                    let clusters = Box::pin(self.listing(Listing::RdsClusters)).await?;
                    return Ok(rds::with_cluster_settings(instances, &clusters));
                }
                Ok(instances)
            }
            Listing::RdsClusters => rds::clusters(config).await,
            Listing::Alarms => cloudwatch::alarms(config).await,
            Listing::Dashboards => cloudwatch::dashboards(config).await,
            Listing::Dashboard(name) => cloudwatch::dashboard(config, name).await,
            Listing::LogGroups => logs::log_groups(config).await,
            Listing::Distributions => cloudfront::distributions(&aws::global(config)).await,
            Listing::Stacks => cloudformation::stacks(config).await,
            Listing::SnsSubscriptions => sns::subscriptions(config).await,
            Listing::SnsTopics => {
                let subscriptions = Box::pin(self.listing(Listing::SnsSubscriptions));
                Box::pin(sns::topics(config, subscriptions)).await
            }
            Listing::Secrets => secrets::secrets(config).await,
            Listing::Trails => cloudtrail::trails(config).await,
            Listing::ConfigRecorders => config_recorder::recorders(config).await,
            Listing::AccountId => iam::account_id(config).await,
            // TODO: China and GovCloud sign Budgets and IAM in their own partition's region, not
            // us-east-1; aws::global pins us-east-1 for every partition.
            Listing::Budgets => {
                let account = self.account_id().await?;
                budgets::budgets(&aws::global(config), &account).await
            }
            Listing::IamAccountSummary => {
                let account = Box::pin(self.account_id());
                Box::pin(iam::account_summary(&aws::global(config), account)).await
            }
            Listing::Vpcs => vpc::vpcs(config).await,
            // The EC2 listings need the VPCs (and subnets) only to name them in their answers:
            // each takes the listings it reads as futures and awaits them with its own calls.
            Listing::Subnets => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs));
                Box::pin(vpc::subnets(config, vpcs)).await
            }
            Listing::SecurityGroups => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs));
                Box::pin(vpc::security_groups(config, vpcs)).await
            }
            Listing::NatGateways => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs));
                let subnets = Box::pin(self.listing(Listing::Subnets));
                Box::pin(vpc::nat_gateways(config, vpcs, subnets)).await
            }
            Listing::VpcEndpoints => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs));
                Box::pin(vpc::vpc_endpoints(config, vpcs)).await
            }
            Listing::FlowLogs => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs));
                Box::pin(vpc::flow_logs(config, vpcs)).await
            }
            Listing::DbSubnetGroups => {
                let subnets = Box::pin(self.listing(Listing::Subnets));
                let instances = Box::pin(self.listing(Listing::RdsInstances));
                Box::pin(rds_security::subnet_groups(config, subnets, instances)).await
            }
            Listing::DbParameterGroups => {
                let instances = Box::pin(self.listing(Listing::RdsInstances)).await?;
                Ok(rds_security::parameter_groups_in_use(&instances))
            }
            Listing::DbParameters(group) => rds_security::parameters(config, group).await,
            Listing::RdsProxies => rds_security::proxies(config).await,
            Listing::QueryDefinitions => logs_insights::query_definitions(config).await,
            Listing::Probe(..) => unreachable!("probes are fetched above"),
            // The listings below box their calls' futures: held inline, the SDK futures of all
            // these arms made this one large enough to overflow a worker's stack in debug builds.
            Listing::WebAcls => {
                let global = aws::global(config);
                let (acls, distributions) = tokio::join!(
                    Box::pin(waf::web_acls(&global)),
                    Box::pin(self.listing(Listing::Distributions)),
                );
                let (acls, distributions) = (acls?, distributions?);
                Ok(waf::with_distributions(acls, &distributions))
            }
            Listing::Certificates => {
                let global = aws::global(config);
                let (certificates, distributions) = tokio::join!(
                    Box::pin(acm::certificates(&global)),
                    Box::pin(self.listing(Listing::Distributions)),
                );
                let (certificates, distributions) = (certificates?, distributions?);
                Ok(acm::with_distributions(certificates, &distributions))
            }
            Listing::HostedZones => Box::pin(route53::hosted_zones(&aws::global(config))).await,
            Listing::UserPools => Box::pin(cognito::user_pools(config)).await,
            Listing::RestApis => Box::pin(apigateway::rest_apis(config)).await,
            Listing::UsagePlans => Box::pin(apigateway::usage_plans(config)).await,
            Listing::V2Apis => Box::pin(apigatewayv2::apis(config)).await,
            Listing::RestDomains => Box::pin(apigateway::domain_names(config)).await,
            Listing::V2Domains => Box::pin(apigatewayv2::domain_names(config)).await,
            Listing::ApiDomains => {
                let (rest, v2, rest_apis, v2_apis) = tokio::join!(
                    Box::pin(self.listing(Listing::RestDomains)),
                    Box::pin(self.listing(Listing::V2Domains)),
                    Box::pin(self.listing(Listing::RestApis)),
                    Box::pin(self.listing(Listing::V2Apis)),
                );
                let (rest, v2, rest_apis, v2_apis) = (rest?, v2?, rest_apis?, v2_apis?);
                Ok(apigatewayv2::domains_with_apis(
                    &rest, &v2, &rest_apis, &v2_apis,
                ))
            }
            Listing::LambdaFunctions => Box::pin(lambda::functions(config)).await,
            Listing::Buckets => Box::pin(s3::buckets(config)).await,
            Listing::DataStores => {
                let (instances, clusters, buckets) = tokio::join!(
                    Box::pin(self.listing(Listing::RdsInstances)),
                    Box::pin(self.listing(Listing::RdsClusters)),
                    Box::pin(self.listing(Listing::Buckets)),
                );
                let (instances, clusters, buckets) = (instances?, clusters?, buckets?);
                Ok(storage::stores(&instances, &clusters, &buckets))
            }
            Listing::Detail(kind, summary) => {
                let summary: Json = serde_json::from_str(summary).unwrap_or(Json::Null);
                Box::pin(self.detail(*kind, &summary, config)).await
            }
        }
    }

    /// The whole resources one summary of `kind` stands for.
    async fn detail(
        &self,
        kind: Kind,
        summary: &Json,
        config: &SdkConfig,
    ) -> Result<Vec<Json>, FetchError> {
        match kind {
            Kind::WafWebAcl => Box::pin(waf::web_acl(&aws::global(config), summary)).await,
            Kind::AcmCertificate => Box::pin(acm::certificate(&aws::global(config), summary)).await,
            Kind::Route53Record => {
                let global = aws::global(config);
                let (records, distributions, api_domains) = tokio::join!(
                    Box::pin(route53::records(&global, summary)),
                    Box::pin(self.listing(Listing::Distributions)),
                    Box::pin(self.listing(Listing::ApiDomains)),
                );
                let (records, distributions, api_domains) =
                    (records?, distributions?, api_domains?);
                Ok(route53::with_targets(records, &distributions, &api_domains))
            }
            Kind::CognitoUserPool => Box::pin(cognito::user_pool(config, summary)).await,
            Kind::ApiGatewayRestApi => Box::pin(apigateway::rest_api(config, summary)).await,
            Kind::ApiGatewayRestStage => {
                let (stages, api, plans) = tokio::join!(
                    Box::pin(apigateway::rest_stages(config, summary)),
                    Box::pin(self.listing(Listing::Detail(
                        Kind::ApiGatewayRestApi,
                        summary.to_string(),
                    ))),
                    Box::pin(self.listing(Listing::UsagePlans)),
                );
                let (stages, api, plans) = (stages?, api?, plans?);
                let api = api.first().cloned().unwrap_or(Json::Null);
                Ok(apigateway::stage_views(stages, &api, &plans))
            }
            Kind::ApiGatewayV2Api => Box::pin(apigatewayv2::api(config, summary)).await,
            Kind::ApiGatewayV2Stage => Box::pin(apigatewayv2::stages(config, summary)).await,
            Kind::S3Bucket => Box::pin(s3::bucket(config, summary)).await,
            Kind::DataStore if summary["type"] == "s3_bucket" => {
                // The bucket's own summary, so its detail is shared with `s3_bucket` checks.
                let buckets = Box::pin(self.listing(Listing::Buckets)).await?;
                let Some(bucket) = buckets.iter().find(|b| b["name"] == summary["name"]) else {
                    return Ok(vec![summary.clone()]);
                };
                let whole =
                    Box::pin(self.listing(Listing::Detail(Kind::S3Bucket, bucket.to_string())))
                        .await?;
                Ok(whole.iter().map(storage::from_bucket).collect())
            }
            Kind::DataStore => Ok(vec![summary.clone()]),
            Kind::CloudfrontInvalidations => {
                Box::pin(cloudfront::invalidations(&aws::global(config), summary)).await
            }
            other => Err(FetchError::new(
                other.name(),
                "this kind's listing holds whole resources; there is nothing to complete",
            )),
        }
    }
}

/// The listings that [`Inventory::detail`] reads for every summary of `kind`, whichever it is
/// (the kind's `AWS_CALLS` row names their calls without a condition).
fn read_by_details(kind: Kind) -> Vec<Listing> {
    match kind {
        Kind::Route53Record => vec![Listing::Distributions, Listing::ApiDomains],
        Kind::ApiGatewayRestStage => vec![Listing::UsagePlans],
        _ => Vec::new(),
    }
}

/// Whether a check's selector or expectations name `field`.
fn reads(check: &Check, field: &str) -> bool {
    check
        .selector
        .iter()
        .chain(&check.expect)
        .any(|(name, _)| name == field)
}
