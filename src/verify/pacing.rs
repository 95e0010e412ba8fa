//! How fast barkcheck asks AWS: at most `--max-concurrency` requests in flight per service.
//!
//! A run starts every automated check at once, and the inventory shares listings between
//! them, so most of a run's requests are ready at the same moment. Sending them all together
//! is what makes a run as short as its longest chain of dependent calls; sending too many to
//! one service is what gets a run throttled. The bound sits in the HTTP client every SDK client
//! shares, so it holds whatever code path makes the call, retries included. Which service a
//! request is for is read from its SigV4 credential scope (`.../us-east-1/rds/aws4_request`),
//! which the SDK has signed before the request reaches the client.
//!
//! Throttling that still happens is handled by the SDK's adaptive retry mode (see aws.rs),
//! which slows the whole client down when AWS answers "slow down".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::Semaphore;

/// The requests in flight to one service when `--max-concurrency` is not given: enough for a
/// whole checklist's listings to start together, few enough not to be throttled by one service.
pub const DEFAULT_MAX_CONCURRENCY: u16 = 16;

/// One semaphore per service, made on first use.
#[derive(Debug)]
struct Limits {
    per_service: usize,
    services: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Limits {
    fn for_service(&self, service: &str) -> Arc<Semaphore> {
        let mut services = self.services.lock().expect("pacing lock poisoned");
        if let Some(slots) = services.get(service) {
            return slots.clone();
        }
        services
            .entry(service.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_service)))
            .clone()
    }
}

/// An HTTP client that holds each request until its service has a free slot.
#[derive(Debug, Clone)]
pub struct Paced {
    inner: SharedHttpClient,
    limits: Arc<Limits>,
}

impl Paced {
    /// Wraps `inner`, letting at most `per_service` requests (at least 1) of one service run.
    pub fn new(inner: SharedHttpClient, per_service: usize) -> Paced {
        Paced {
            inner,
            limits: Arc::new(Limits {
                per_service: per_service.max(1),
                services: Mutex::new(HashMap::new()),
            }),
        }
    }
}

impl HttpClient for Paced {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            limits: self.limits.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    limits: Arc<Limits>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let service = signing_service(&request).unwrap_or_else(|| "unsigned".to_string());
        let slots = self.limits.for_service(&service);
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _slot = slots.acquire_owned().await.ok();
            inner.call(request).await
        })
    }
}

/// The service a SigV4-signed request is for, from the `Credential=` scope of its
/// Authorization header: `AKID/DATE/REGION/SERVICE/aws4_request`.
fn signing_service(request: &HttpRequest) -> Option<String> {
    let authorization = request.headers().get("authorization")?;
    service_of_authorization(authorization)
}

fn service_of_authorization(authorization: &str) -> Option<String> {
    let scope = authorization.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    let parts: Vec<&str> = scope.split('/').collect();
    (parts.len() == 5 && parts[4] == "aws4_request").then(|| parts[3].to_string())
}

#[cfg(test)]
mod tests {
    use super::service_of_authorization;

    #[test]
    fn the_service_is_read_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/us-east-1/rds/aws4_request, \
                      SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(service_of_authorization(header).as_deref(), Some("rds"));
        let header = "AWS4-HMAC-SHA256 Credential=AKID/20261204/us-east-1/monitoring/aws4_request,";
        assert_eq!(
            service_of_authorization(header).as_deref(),
            Some("monitoring")
        );
        assert_eq!(service_of_authorization("Bearer token"), None);
        assert_eq!(
            service_of_authorization("AWS4-HMAC-SHA256 Credential=AKID/x/y"),
            None
        );
    }
}
