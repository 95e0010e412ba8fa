//! SNS topics and their subscriptions.
//!
//! Calls ListTopics (IAM `sns:ListTopics`) and ListSubscriptions (`sns:ListSubscriptions`), both
//! paginated to the end. A topic's view carries its subscriptions, joined from the one
//! subscription listing, so a topic check needs no GetTopicAttributes call per topic: the
//! confirmed and pending counts are counted from the subscriptions themselves. SNS reports an
//! unconfirmed subscription with the ARN `PendingConfirmation`, which is what `pending` reads.
//!
//! Endpoints can carry secrets (an alerting service's URL often holds its integration key), so an
//! HTTP(S)
//! endpoint is shown as its scheme and host with a fingerprint of the whole URL, and a phone
//! number by its last four digits; `endpoint_host` is there for checks on where it points.

use std::future::Future;

use aws_config::SdkConfig;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use super::FetchError;
use super::inventory::Fetched;
use crate::checklist::expect::FieldType::{Bool, Number, Objects, Text};
use crate::checklist::expect::{Field, field};

/// What SNS says instead of an ARN for a subscription nobody has confirmed yet.
const PENDING: &str = "PendingConfirmation";

pub const SUBSCRIPTION_FIELDS: &[Field] = &[
    field(
        "subscription_arn",
        Text,
        "the subscription's ARN, or PendingConfirmation",
    ),
    field("topic_arn", Text, "the topic's ARN"),
    field("topic_name", Text, "the topic's name (the ARN's last part)"),
    field(
        "protocol",
        Text,
        "email, email-json, sms, https, http, lambda, sqs, ...",
    ),
    field(
        "endpoint",
        Text,
        "where it delivers, redacted: e-mail address, last digits of a phone, URL host",
    ),
    field(
        "endpoint_host",
        Text,
        "the host of an HTTP(S) endpoint or the domain of an e-mail address",
    ),
    field("pending", Bool, "not confirmed yet (PendingConfirmation)"),
    field("owner", Text, "the account that owns it"),
];

pub const TOPIC_FIELDS: &[Field] = &[
    field("topic_name", Text, "the topic's name"),
    field("topic_arn", Text, "the topic's ARN"),
    field(
        "subscriptions",
        Objects(SUBSCRIPTION_FIELDS),
        "its subscriptions, each with the sns_subscription fields",
    ),
    field(
        "subscriptions_confirmed",
        Number,
        "derived: subscriptions confirmed",
    ),
    field(
        "subscriptions_pending",
        Number,
        "derived: subscriptions waiting for confirmation",
    ),
];

/// Every topic of the region, with its subscriptions from [`subscriptions`]: that listing is
/// awaited at the same time as ListTopics, and its error comes first.
// TODO: no GetTopicAttributes per topic, so no encryption (KmsMasterKeyId) or delivery-policy
// fields; no checklist item asks for them, and they would cost one call per topic.
pub async fn topics(
    config: &SdkConfig,
    subscriptions: impl Future<Output = Fetched>,
) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_sns::Client::new(config);
    let (subscriptions, pages) = tokio::join!(
        subscriptions,
        Box::pin(
            client
                .list_topics()
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
    );
    let subscriptions = subscriptions?;
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| FetchError::from_sdk("ListTopics", "sns:ListTopics", e))?;
        for topic in page.topics() {
            let Some(arn) = topic.topic_arn() else {
                continue;
            };
            out.push(topic_view(arn, &subscriptions));
        }
    }
    Ok(out)
}

fn topic_view(arn: &str, subscriptions: &[Json]) -> Json {
    let own: Vec<&Json> = subscriptions
        .iter()
        .filter(|s| s["topic_arn"] == arn)
        .collect();
    let pending = own.iter().filter(|s| s["pending"] == true).count();
    json!({
        "topic_name": resource_name(arn),
        "topic_arn": arn,
        "subscriptions_confirmed": own.len() - pending,
        "subscriptions_pending": pending,
        "subscriptions": own,
    })
}

/// Every subscription of the region, confirmed or not.
pub async fn subscriptions(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_sns::Client::new(config);
    let pages = client
        .list_subscriptions()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page
            .map_err(|e| FetchError::from_sdk("ListSubscriptions", "sns:ListSubscriptions", e))?;
        out.extend(page.subscriptions().iter().map(subscription_view));
    }
    Ok(out)
}

fn subscription_view(s: &aws_sdk_sns::types::Subscription) -> Json {
    let protocol = s.protocol().unwrap_or_default();
    let endpoint = s.endpoint().unwrap_or_default();
    json!({
        "subscription_arn": s.subscription_arn(),
        "topic_arn": s.topic_arn(),
        "topic_name": s.topic_arn().map(resource_name),
        "protocol": s.protocol(),
        "endpoint": s.endpoint().map(|_| redacted_endpoint(protocol, endpoint)),
        "endpoint_host": endpoint_host(protocol, endpoint),
        "pending": s.subscription_arn() == Some(PENDING),
        "owner": s.owner(),
    })
}

/// The last part of an ARN: a topic's name.
fn resource_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// An endpoint as evidence may show it.
fn redacted_endpoint(protocol: &str, endpoint: &str) -> String {
    match protocol {
        "http" | "https" => {
            let digest = Sha256::digest(endpoint.as_bytes());
            let print: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
            match endpoint_host(protocol, endpoint) {
                Some(host) => format!("{protocol}://{host}/… (sha256:{print})"),
                None => format!("(sha256:{print})"),
            }
        }
        "sms" => {
            let digits: Vec<char> = endpoint.chars().filter(char::is_ascii_digit).collect();
            let shown: String = digits[digits.len().saturating_sub(4)..].iter().collect();
            format!("…{shown}")
        }
        _ => endpoint.to_string(),
    }
}

fn endpoint_host(protocol: &str, endpoint: &str) -> Option<String> {
    match protocol {
        "http" | "https" => {
            let rest = endpoint.split_once("://")?.1;
            let authority = rest.split(['/', '?', '#']).next()?;
            // Userinfo before `@` could hold credentials; the port is not part of the host.
            let host = authority.rsplit('@').next()?.split(':').next()?;
            Some(host.to_ascii_lowercase())
        }
        "email" | "email-json" => Some(endpoint.rsplit_once('@')?.1.to_ascii_lowercase()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconfirmed_subscription_is_pending_and_counted_on_its_topic() {
        let topic = "arn:aws:sns:us-east-1:123456789012:barkbase-prod-warning";
        let subscriptions: Vec<Json> = [
            aws_sdk_sns::types::Subscription::builder()
                .subscription_arn(PENDING)
                .topic_arn(topic)
                .protocol("email")
                .endpoint("ops@barkbase.com")
                .build(),
            aws_sdk_sns::types::Subscription::builder()
                .subscription_arn(format!("{topic}:1b2c"))
                .topic_arn(topic)
                .protocol("sms")
                .endpoint("+15555550100")
                .build(),
        ]
        .iter()
        .map(subscription_view)
        .collect();
        assert_eq!(subscriptions[0]["pending"], true);
        assert_eq!(subscriptions[1]["pending"], false);
        let view = topic_view(topic, &subscriptions);
        assert_eq!(view["topic_name"], "barkbase-prod-warning");
        assert_eq!(view["subscriptions_pending"], 1);
        assert_eq!(view["subscriptions_confirmed"], 1);
    }

    #[test]
    fn endpoints_never_show_an_integration_key_or_a_whole_phone_number() {
        let url = "https://hooks.barkbase.com/integration/0123456789abcdef/enqueue";
        let shown = redacted_endpoint("https", url);
        assert!(
            shown.starts_with("https://hooks.barkbase.com/… (sha256:"),
            "{shown}"
        );
        assert!(!shown.contains("0123456789abcdef"));
        assert_eq!(
            endpoint_host("https", "https://user:pw@Hooks.BarkBase.com:443/x"),
            Some("hooks.barkbase.com".into())
        );
        assert_eq!(redacted_endpoint("sms", "+1-555-555-0100"), "…0100");
        assert_eq!(
            redacted_endpoint("email", "ops@barkbase.com"),
            "ops@barkbase.com"
        );
    }
}
