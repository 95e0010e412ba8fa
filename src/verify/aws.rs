//! AWS access for one run: the SDK configuration and the per-run inventory of listings.
//!
//! Every listing (DescribeDBInstances, DescribeAlarms, ...) is fetched at most once per run,
//! paginated to the end, and shared by every item that needs it: the first item to ask starts
//! the call and the others wait for its answer. CloudFront is global and answers only in
//! us-east-1, so it gets a client pinned there whatever region the run uses.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_rds::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use serde_json::Value as Json;
use tokio::sync::OnceCell;

use super::{Kind, cloudformation, cloudfront, cloudwatch, logs, rds};
use crate::checklist::expect::Matcher;

/// The region where CloudFront, and the certificates and WAF ACLs it uses, live.
pub const CLOUDFRONT_REGION: &str = "us-east-1";

/// How to reach AWS, from the command line.
#[derive(Debug, Default, Clone)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// The checklist's `region` variable, used when nothing else names a region.
    pub fallback_region: Option<String>,
}

/// A listing of resources that one or more checks read.
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
}

/// A call that could not give an answer, so the items that needed it cannot be decided.
#[derive(Clone, Debug)]
pub struct FetchError {
    /// The API operation, like `DescribeDBInstances`.
    pub call: &'static str,
    /// The IAM action the call needs, like `rds:DescribeDBInstances`.
    pub action: &'static str,
    pub cause: String,
    /// Whether AWS said the caller is not allowed to make it.
    pub denied: bool,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.call, self.cause)?;
        if self.denied {
            write!(f, " (the credentials need IAM action {})", self.action)?;
        }
        Ok(())
    }
}

impl FetchError {
    /// Describes an SDK error: the service's code and message, or the transport's cause.
    pub fn from_sdk<E>(call: &'static str, action: &'static str, err: SdkError<E>) -> FetchError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let (cause, code) = match &err {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                let status = service.raw().status().as_u16();
                match inner.code() {
                    Some(code) => {
                        let message = inner.message().unwrap_or("no message");
                        (
                            format!("{code}: {message} (HTTP {status})"),
                            code.to_string(),
                        )
                    }
                    None => (
                        format!("HTTP {status}: {}", DisplayErrorContext(inner)),
                        String::new(),
                    ),
                }
            }
            SdkError::TimeoutError(_) => ("timed out".to_string(), String::new()),
            other => (DisplayErrorContext(other).to_string(), String::new()),
        };
        let denied = [
            "AccessDenied",
            "UnauthorizedOperation",
            "AccessDeniedException",
        ]
        .iter()
        .any(|c| code.starts_with(c));
        FetchError {
            call,
            action,
            cause,
            denied,
        }
    }
}

type Fetched = Result<Arc<Vec<Json>>, FetchError>;

/// The AWS side of one run: SDK configuration and the listings fetched so far.
pub struct Inventory {
    config: SdkConfig,
    cells: Mutex<HashMap<Listing, Arc<OnceCell<Fetched>>>>,
}

impl Inventory {
    /// Loads the SDK configuration through the standard chain (environment, profile, SSO, ...).
    pub async fn connect(options: &AwsOptions) -> anyhow::Result<Inventory> {
        let region = RegionProviderChain::first_try(options.region.clone().map(Region::new))
            .or_default_provider()
            .or_else(options.fallback_region.clone().map(Region::new));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(15))
                    .operation_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &options.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let config = loader.load().await;
        if config.region().is_none() {
            anyhow::bail!(
                "no AWS region: pass --region, set AWS_REGION, or give the checklist a `region` \
                 variable"
            );
        }
        Ok(Inventory {
            config,
            cells: Mutex::new(HashMap::new()),
        })
    }

    /// The regional SDK configuration.
    pub fn config(&self) -> &SdkConfig {
        &self.config
    }

    /// The region the run talks to.
    pub fn region(&self) -> String {
        self.config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_default()
    }

    /// Every resource of `kind` that a check with `selector` could select.
    pub async fn resources(&self, kind: Kind, selector: &[(String, Matcher)]) -> Fetched {
        if kind != Kind::CloudwatchDashboard {
            return self.listing(kind.listing()).await;
        }
        // Dashboards are listed by name; bodies are fetched only for the ones selected.
        let entries = self.listing(Listing::Dashboards).await?;
        let by_name: Vec<(String, Matcher)> = selector
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
        match listing {
            Listing::RdsInstances => {
                let instances = rds::instances(&self.config).await?;
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
            Listing::RdsClusters => rds::clusters(&self.config).await,
            Listing::Alarms => cloudwatch::alarms(&self.config).await,
            Listing::Dashboards => cloudwatch::dashboards(&self.config).await,
            Listing::Dashboard(name) => cloudwatch::dashboard(&self.config, name).await,
            Listing::LogGroups => logs::log_groups(&self.config).await,
            Listing::Distributions => {
                let global = self
                    .config
                    .to_builder()
                    .region(Region::new(CLOUDFRONT_REGION))
                    .build();
                cloudfront::distributions(&global).await
            }
            Listing::Stacks => cloudformation::stacks(&self.config).await,
        }
    }
}

/// An SDK timestamp as RFC 3339 text.
pub fn timestamp(t: Option<&aws_sdk_rds::primitives::DateTime>) -> Json {
    t.and_then(|t| {
        t.fmt(aws_sdk_rds::primitives::DateTimeFormat::DateTime)
            .ok()
    })
    .map(Json::String)
    .unwrap_or(Json::Null)
}
