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
use super::probe::{Network, ProbeOptions};
use super::{Kind, cloudformation, cloudfront, cloudwatch, logs, rds};
use crate::checklist::Check;
use crate::checklist::expect::Matcher;

/// What a run may reach, from the command line.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    pub aws: AwsOptions,
    pub probes: ProbeOptions,
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
    /// Built on the first probe: resolution, trust and the HTTP client of every probe.
    network: OnceCell<Result<Network, FetchError>>,
    cells: Mutex<HashMap<Listing, Arc<OnceCell<Fetched>>>>,
}

impl Inventory {
    pub fn new(settings: Settings) -> Inventory {
        Inventory {
            settings,
            aws: OnceCell::new(),
            network: OnceCell::new(),
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

    /// What probes share in this run, set up on first use.
    pub async fn network(&self) -> Result<&Network, FetchError> {
        let built = self
            .network
            .get_or_init(|| async { Network::new(&self.settings.probes) })
            .await;
        built.as_ref().map_err(Clone::clone)
    }

    /// Every resource a check could select: a kind's listing, or what probing its target found.
    pub async fn resources(&self, check: &Check) -> Fetched {
        if let Some(target) = &check.target {
            // Each target of a list is probed (and cached) on its own, so an endpoint that
            // several checks name is probed once.
            let targets: Vec<&Json> = match target {
                Json::Array(items) => items.iter().collect(),
                one => vec![one],
            };
            let mut found = Vec::new();
            for target in targets {
                let probed = self
                    .listing(Listing::Probe(check.kind, target.to_string()))
                    .await?;
                found.extend(probed.iter().cloned());
            }
            return Ok(Arc::new(found));
        }
        if check.kind != Kind::CloudwatchDashboard {
            return self.listing(check.kind.listing()).await;
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
            Listing::Probe(..) => unreachable!("probes are fetched above"),
        }
    }
}
