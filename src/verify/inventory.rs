//! The inventory of one run: every listing and probe, fetched at most once and shared.
//!
//! The first check to need a listing (DescribeDBInstances, DescribeAlarms, ...) starts the
//! call and every other check needing it waits for the same answer, so a run makes each call
//! once however many items read it. Listings are paginated to the end. Kinds that probe a
//! target instead of listing resources are cached by their target.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use serde_json::Value as Json;
use tokio::sync::OnceCell;

use super::aws::{self, AwsOptions};
use super::{
    Kind, budgets, cloudformation, cloudfront, cloudtrail, cloudwatch, config_recorder, iam, logs,
    logs_insights, rds, rds_security, secrets, sns, vpc,
};
use crate::checklist::Check;
use crate::checklist::expect::Matcher;

/// What a run may reach, from the command line.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    pub aws: AwsOptions,
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
    cells: Mutex<HashMap<Listing, Arc<OnceCell<Fetched>>>>,
}

impl Inventory {
    pub fn new(settings: Settings) -> Inventory {
        Inventory {
            settings,
            aws: OnceCell::new(),
            cells: Mutex::new(HashMap::new()),
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

    /// Every resource a check could select: a kind's listing, or what probing its target found.
    pub async fn resources(&self, check: &Check) -> Fetched {
        if let Some(target) = &check.target {
            return self
                .listing(Listing::Probe(check.kind, target.to_string()))
                .await;
        }
        match check.kind {
            Kind::CloudwatchDashboard => {}
            Kind::DbParameterGroup => return self.parameter_groups(check).await,
            // Which instances use a group costs a DescribeDBInstances: only when asked.
            Kind::SecurityGroup if reads(check, "db_instances") => {
                let groups = self.listing(Listing::SecurityGroups).await?;
                let instances = self.listing(Listing::RdsInstances).await?;
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
        let mut out = Vec::new();
        for entry in entries.iter().filter(|e| super::selects(&by_name, e)) {
            let name = entry["dashboard_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let body = self.listing(Listing::Dashboard(name)).await?;
            out.extend(body.iter().cloned());
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
        let mut out = Vec::new();
        for group in groups.iter().filter(|g| super::selects(&by_group, g)) {
            let name = group["db_parameter_group_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            for mut found in self.listing(Listing::DbParameters(name)).await?.to_vec() {
                found["db_instances"] = group["db_instances"].clone();
                out.push(found);
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
                let subscriptions = Box::pin(self.listing(Listing::SnsSubscriptions)).await?;
                sns::topics(config, &subscriptions).await
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
                let account = self.account_id().await?;
                iam::account_summary(&aws::global(config), &account).await
            }
            Listing::Vpcs => vpc::vpcs(config).await,
            Listing::Subnets => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs)).await?;
                vpc::subnets(config, &vpcs).await
            }
            Listing::SecurityGroups => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs)).await?;
                vpc::security_groups(config, &vpcs).await
            }
            Listing::NatGateways => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs)).await?;
                let subnets = Box::pin(self.listing(Listing::Subnets)).await?;
                vpc::nat_gateways(config, &vpcs, &subnets).await
            }
            Listing::VpcEndpoints => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs)).await?;
                vpc::vpc_endpoints(config, &vpcs).await
            }
            Listing::FlowLogs => {
                let vpcs = Box::pin(self.listing(Listing::Vpcs)).await?;
                vpc::flow_logs(config, &vpcs).await
            }
            Listing::DbSubnetGroups => {
                let subnets = Box::pin(self.listing(Listing::Subnets)).await?;
                let instances = Box::pin(self.listing(Listing::RdsInstances)).await?;
                rds_security::subnet_groups(config, &subnets, &instances).await
            }
            Listing::DbParameterGroups => {
                let instances = Box::pin(self.listing(Listing::RdsInstances)).await?;
                Ok(rds_security::parameter_groups_in_use(&instances))
            }
            Listing::DbParameters(group) => rds_security::parameters(config, group).await,
            Listing::RdsProxies => rds_security::proxies(config).await,
            Listing::QueryDefinitions => logs_insights::query_definitions(config).await,
            Listing::Probe(..) => unreachable!("probes are fetched above"),
        }
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
