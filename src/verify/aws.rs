//! AWS access for one run: the SDK configuration, loaded once and only when a check needs AWS.
//!
//! Credentials and region come from the standard chain (environment, profiles, SSO, instance
//! roles), with the command line's `--profile`, `--region` and `--endpoint-url` on top and the
//! checklist's `region` variable as the last resort. CloudFront is global and answers only in
//! us-east-1, so its client is pinned there whatever region the run uses.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::imds::region::ImdsRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_rds::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
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

/// The SDK's HTTP clients, each built by the first request that needs it: plain HTTP for an
/// `http://` endpoint (a local stand-in of AWS), HTTPS for every other. Building the HTTPS one
/// needs the trusted CAs, which may still be being read on their own thread (see roots.rs), and
/// turns them into a TLS configuration; a run whose AWS endpoint is plain HTTP needs neither,
/// and loading the configuration or preparing the first requests never waits for them.
#[derive(Debug, Default)]
struct SdkHttp {
    plain: OnceLock<SharedHttpClient>,
    https: OnceLock<SharedHttpClient>,
}

impl SdkHttp {
    fn for_uri(&self, uri: &str) -> &SharedHttpClient {
        if is_plain_http(uri) {
            // Public, though left out of the crate's documentation; Cargo.lock pins the version.
            self.plain
                .get_or_init(|| aws_smithy_http_client::Builder::new().build_http())
        } else {
            self.https.get_or_init(|| {
                aws_smithy_http_client::Builder::new()
                    .tls_provider(tls_provider())
                    .tls_context(super::roots::sdk_tls_context())
                    .build_https()
            })
        }
    }
}

/// Whether a URL (or endpoint) is plain `http://`, in any case.
fn is_plain_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// The HTTP client given to the SDK: it passes each request to [`SdkHttp`]'s client for its
/// scheme. Each of those keeps its connections, one pool per connection settings.
#[derive(Debug, Default, Clone)]
struct ByScheme(Arc<SdkHttp>);

impl HttpClient for ByScheme {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(SchemeConnector {
            clients: self.0.clone(),
            settings: settings.clone(),
            components: components.clone(),
        })
    }
}

/// [`ByScheme`]'s connector for one request's settings, which picks the client when called.
#[derive(Debug)]
struct SchemeConnector {
    clients: Arc<SdkHttp>,
    settings: HttpConnectorSettings,
    components: RuntimeComponents,
}

impl HttpConnector for SchemeConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.clients
            .for_uri(request.uri())
            .http_connector(&self.settings, &self.components)
            .call(request)
    }
}

/// Whether the SDK's requests may go over HTTPS, and so need the trusted CAs: unless the endpoint
/// given (`--endpoint-url`), or else AWS_ENDPOINT_URL, is plain HTTP and no service's own
/// endpoint variable (AWS_ENDPOINT_URL_<SERVICE>) names HTTPS. Only a guess for when to read the
/// CAs (an endpoint in the AWS config file is not looked at): the HTTPS client, when it is
/// needed, reads them itself if they have not been.
pub fn may_use_https(endpoint_url: Option<&str>) -> bool {
    // A variable that is not Unicode is one the SDK does not read either.
    let environment = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)));
    may_use_https_in(endpoint_url, environment)
}

/// [`may_use_https`] with the environment given.
fn may_use_https_in(
    endpoint_url: Option<&str>,
    environment: impl IntoIterator<Item = (String, String)>,
) -> bool {
    let environment: Vec<(String, String)> = environment
        .into_iter()
        .filter(|(name, _)| name.starts_with("AWS_ENDPOINT_URL") || name.starts_with("AWS_IGNORE"))
        .collect();
    let variable = |wanted: &str| {
        environment
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.as_str())
    };
    let ignored = variable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let given = match endpoint_url {
        Some(url) => Some(url),
        None if ignored => None,
        None => variable("AWS_ENDPOINT_URL"),
    };
    if !given.is_some_and(is_plain_http) {
        return true;
    }
    !ignored
        && environment.iter().any(|(name, value)| {
            name.starts_with("AWS_ENDPOINT_URL_") && !value.is_empty() && !is_plain_http(value)
        })
}

/// Whether the environment holds an access key and its secret, which the SDK's default chain of
/// credential providers would take first.
fn keys_in_environment() -> bool {
    ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .iter()
        .all(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

/// Loads the SDK configuration; an error when no region can be found.
pub async fn load_config(options: &AwsOptions) -> Result<SdkConfig, FetchError> {
    // As with the AWS CLI: `--region`, then AWS_REGION, then the named profile's region. A
    // named profile decides the credentials ahead of AWS_ACCESS_KEY_ID (with the default chain
    // the environment would win over `--profile`, and a misspelt profile would go unnoticed).
    // An empty value counts as none, wherever it comes from (the SDK's own providers would stop
    // at an empty AWS_REGION and fail every request on its empty region).
    let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty()).map(Region::new);
    let from_environment = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(|name| given(std::env::var(name).ok()));
    let region = match given(options.region.clone()).or(from_environment) {
        // The providers after it (the profile files, the instance metadata client) would not be
        // asked, so they are not even built.
        Some(known) => Some(known),
        None => {
            // The SDK's default chain without its environment step, which was read above.
            let from_profile = match &options.profile {
                Some(profile) => ProfileFileRegionProvider::builder().profile_name(profile),
                None => ProfileFileRegionProvider::builder(),
            };
            let chain = RegionProviderChain::first_try(from_profile.build())
                .or_else(ImdsRegionProvider::builder().build());
            chain
                .region()
                .await
                .filter(|r| !r.as_ref().trim().is_empty())
                .or_else(|| given(options.fallback_region.clone()))
        }
    };
    let attempt = options.attempt_timeout.unwrap_or(Duration::from_secs(15));
    // The SDK's own HTTP clients (hyper 1; rustls with aws-lc for HTTPS), behind the per-service
    // bound.
    let http = SharedHttpClient::new(ByScheme::default());
    let per_service = options
        .max_concurrency
        .unwrap_or(usize::from(pacing::DEFAULT_MAX_CONCURRENCY));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .http_client(pacing::Paced::new(http, per_service))
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
    if options.profile.is_none() && keys_in_environment() {
        // The default chain takes keys in the environment before anything else; given that
        // provider alone, the loader does not build the rest (web identity with its STS client,
        // the container and instance metadata providers), which cost about 0.4 ms of CPU.
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
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
    use super::{is_plain_http, may_use_https_in, next_page};

    fn environment(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn only_a_plain_http_endpoint_for_every_service_needs_no_trusted_cas() {
        let local = "http://127.0.0.1:4566";
        // AWS itself, and an HTTPS endpoint, need them.
        assert!(may_use_https_in(None, environment(&[])));
        assert!(may_use_https_in(
            Some("https://aws.example"),
            environment(&[])
        ));
        // A plain HTTP endpoint, given or from the environment, does not.
        assert!(!may_use_https_in(Some(local), environment(&[])));
        assert!(!may_use_https_in(
            None,
            environment(&[("AWS_ENDPOINT_URL", local)])
        ));
        assert!(!may_use_https_in(
            Some("HTTP://127.0.0.1:9"),
            environment(&[])
        ));
        // The command line's endpoint goes before the environment's.
        let https_in_environment = environment(&[("AWS_ENDPOINT_URL", "https://aws.example")]);
        assert!(!may_use_https_in(Some(local), https_in_environment));
        // One service over HTTPS, or endpoints from the environment ignored, need them.
        let one_service = environment(&[
            ("AWS_ENDPOINT_URL", local),
            ("AWS_ENDPOINT_URL_S3", "https://s3.example"),
        ]);
        assert!(may_use_https_in(None, one_service));
        let ignored = environment(&[
            ("AWS_ENDPOINT_URL", local),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        assert!(may_use_https_in(None, ignored));
        assert!(is_plain_http("http://x") && !is_plain_http("https://x") && !is_plain_http("http"));
    }

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
