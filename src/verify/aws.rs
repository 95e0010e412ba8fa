//! AWS access for one run: the SDK configuration, loaded once and only when a check needs AWS.
//!
//! Credentials and region come from the standard chain (environment, profiles, SSO, instance
//! roles), with the command line's `--profile`, `--region` and `--endpoint-url` on top and the
//! checklist's `region` variable as the last resort. CloudFront is global and answers only in
//! us-east-1, so its client is pinned there whatever region the run uses.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_rds::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use serde_json::Value as Json;

use super::inventory::FetchError;
use super::pacing;

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
    /// How long one attempt of one call may take.
    pub attempt_timeout: Option<Duration>,
    /// The most requests in flight to one service (`--max-concurrency`); None for the default.
    pub max_concurrency: Option<usize>,
}

/// The TLS the SDK's HTTPS client uses: rustls with aws-lc, the provider the probes use too.
pub fn tls_provider() -> tls::Provider {
    tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc)
}

/// The SDK's HTTPS client, built when the first request asks for a connection. Building it
/// needs the trusted CAs, which may still be being read on their own thread (see roots.rs);
/// loading the configuration and preparing the first requests need not wait for them.
#[derive(Debug, Default)]
struct LazyHttps(OnceLock<SharedHttpClient>);

impl HttpClient for LazyHttps {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let https = self.0.get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls_provider())
                .tls_context(super::roots::sdk_tls_context())
                .build_https()
        });
        https.http_connector(settings, components)
    }
}

/// Loads the SDK configuration; an error when no region can be found.
pub async fn load_config(options: &AwsOptions) -> Result<SdkConfig, FetchError> {
    // As with the AWS CLI: `--region`, then AWS_REGION, then the named profile's region. A
    // named profile decides the credentials ahead of AWS_ACCESS_KEY_ID (with the default chain
    // the environment would win over `--profile`, and a misspelt profile would go unnoticed).
    let mut region = RegionProviderChain::first_try(options.region.clone().map(Region::new))
        .or_else(aws_config::environment::region::EnvironmentVariableRegionProvider::new());
    if let Some(profile) = &options.profile {
        let from_profile = aws_config::profile::ProfileFileRegionProvider::builder()
            .profile_name(profile)
            .build();
        region = region.or_else(from_profile);
    }
    let region = region
        .or_default_provider()
        .or_else(options.fallback_region.clone().map(Region::new));
    let attempt = options.attempt_timeout.unwrap_or(Duration::from_secs(15));
    // The SDK's own HTTPS client (hyper 1, rustls with aws-lc), behind the per-service bound.
    let https = SharedHttpClient::new(LazyHttps::default());
    let per_service = options
        .max_concurrency
        .unwrap_or(usize::from(pacing::DEFAULT_MAX_CONCURRENCY));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .http_client(pacing::Paced::new(https, per_service))
        // Adaptive: besides retrying a throttled call, the client paces all its calls down
        // while AWS keeps throttling, so a throttled run slows down and finishes.
        .retry_config(RetryConfig::adaptive().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(attempt)
                .operation_timeout(attempt * 4)
                .build(),
        );
    if let Some(profile) = &options.profile {
        let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
            .profile_name(profile)
            .build();
        loader = loader
            .profile_name(profile)
            .credentials_provider(credentials);
    }
    if let Some(endpoint) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(FetchError::new(
            "AWS configuration",
            "no AWS region: pass --region, set AWS_REGION, or give the checklist a `region` \
             variable",
        ));
    }
    // Without credentials every call would fail the same way; finding out once, up front,
    // lets the run say so once instead of once per item.
    if let Some(provider) = config.credentials_provider() {
        use aws_sdk_rds::config::ProvideCredentials;
        if let Err(e) = provider.provide_credentials().await {
            return Err(FetchError::new(
                "AWS credentials",
                format!(
                    "no usable AWS credentials ({}); set AWS_PROFILE or pass --profile, or set \
                     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                    DisplayErrorContext(&e)
                ),
            ));
        }
    }
    Ok(config)
}

/// An error's chain of causes in words, each said once, without the SDK's debug dumps.
fn causes(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        // The SDK's outer layers say only "dispatch failure" or "io error"; the cause says more.
        let generic = [
            "dispatch failure",
            "io error",
            "service error",
            "unhandled error",
        ];
        if !text.is_empty()
            && !generic.contains(&text.as_str())
            && !parts.iter().any(|p| p.contains(&text))
        {
            parts.push(text);
        }
        next = e.source();
    }
    if parts.is_empty() {
        DisplayErrorContext(err).to_string()
    } else {
        parts.join(": ")
    }
}

/// The configuration for CloudFront: the same credentials, pinned to us-east-1.
pub fn global(config: &SdkConfig) -> SdkConfig {
    config
        .to_builder()
        .region(Region::new(CLOUDFRONT_REGION))
        .build()
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
            SdkError::DispatchFailure(failure) if failure.is_io() => (
                format!("cannot reach the endpoint: {}", causes(&err)),
                String::new(),
            ),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => (
                format!("timed out connecting: {}", causes(&err)),
                String::new(),
            ),
            _ => (causes(&err), String::new()),
        };
        if ["ExpiredToken", "ExpiredTokenException", "RequestExpired"].contains(&code.as_str()) {
            let cause =
                format!("{cause}; the credentials have expired: refresh them and run again");
            return FetchError {
                call: call.to_string(),
                action: Some(action),
                cause,
                denied: false,
            };
        }
        let denied = [
            "AccessDenied",
            "UnauthorizedOperation",
            "AccessDeniedException",
        ]
        .iter()
        .any(|c| code.starts_with(c));
        FetchError {
            call: call.to_string(),
            action: Some(action),
            cause,
            denied,
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

/// The marker of the next page of a hand-paginated listing, or None at the end. A marker that
/// comes back unchanged is an error: following it would loop forever, and stopping there would
/// pass off a truncated listing as complete.
pub fn next_page(
    call: &'static str,
    sent: Option<&str>,
    next: Option<&str>,
) -> Result<Option<String>, FetchError> {
    match next.filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(next) if Some(next) == sent => Err(FetchError::new(
            call,
            format!("the listing did not advance past page marker {next}; it would be truncated"),
        )),
        Some(next) => Ok(Some(next.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::next_page;

    #[test]
    fn a_page_marker_that_does_not_move_is_an_error_not_the_end() {
        assert_eq!(
            next_page("ListX", None, Some("m1")).unwrap().as_deref(),
            Some("m1")
        );
        assert_eq!(next_page("ListX", Some("m1"), None).unwrap(), None);
        assert_eq!(next_page("ListX", Some("m1"), Some("")).unwrap(), None);
        let stuck = next_page("ListX", Some("m1"), Some("m1")).unwrap_err();
        assert_eq!(stuck.call, "ListX");
        assert!(stuck.cause.contains("truncated"), "{}", stuck.cause);
    }
}
