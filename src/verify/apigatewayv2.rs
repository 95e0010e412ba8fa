//! API Gateway HTTP and WebSocket APIs (v2): the APIs with their routes and authorizers, and
//! their stages.
//!
//! Calls GetApis (IAM `apigateway:GET` on `/apis`), paginated by hand to the end; for the APIs a
//! check selects, GetRoutes and GetAuthorizer for each authorizer a route uses (`apigateway:GET`
//! on `/apis/*`); for stage checks GetStages. The authorizers are the ones routes use, which is
//! what "an authorizer is configured" means for callers. GetDomainNames and GetApiMappings
//! (`apigateway:GET` on `/domainnames*`) name the custom domains Route 53 records point at.

use std::collections::BTreeSet;

use aws_config::SdkConfig;
use futures_util::future::join_all;
use serde_json::{Map, Value as Json, json};

use super::FetchError;
use super::aws::{next_page, timestamp};
use crate::checklist::expect::FieldType::{Bool, Number, Objects, Text, TextList, Timestamp};
use crate::checklist::expect::{Field, field};

const ROUTE_FIELDS: &[Field] = &[
    field("route_key", Text, "like `POST /auth/login` or `$connect`"),
    field("authorization_type", Text, "NONE, AWS_IAM, CUSTOM or JWT"),
    field("authorizer", Text, "the name of its authorizer"),
    field("authorizer_type", Text, "JWT or REQUEST"),
    field("api_key_required", Bool, "callers must send an API key"),
];

const AUTHORIZER_FIELDS: &[Field] = &[
    field("name", Text, "the authorizer's name"),
    field("type", Text, "JWT or REQUEST (a Lambda)"),
    field(
        "issuer",
        Text,
        "the JWT issuer, like a Cognito user pool URL",
    ),
    field("audience", TextList, "accepted JWT audiences (client ids)"),
    field("identity_source", TextList, "where the token is read from"),
];

pub const API_FIELDS: &[Field] = &[
    field("id", Text, "the API's id"),
    field("name", Text, "the API's name"),
    field("protocol_type", Text, "HTTP or WEBSOCKET"),
    field("api_endpoint", Text, "its default endpoint"),
    field("description", Text, "its description"),
    field(
        "disable_execute_api_endpoint",
        Bool,
        "the default endpoint is off",
    ),
    field("created_date", Timestamp, "when it was created"),
    field(
        "cors.allow_origins",
        TextList,
        "origins CORS allows (HTTP APIs); * is any",
    ),
    field("cors.allow_methods", TextList, "methods CORS allows"),
    field("cors.allow_headers", TextList, "headers CORS allows"),
    field("cors.allow_credentials", Bool, "CORS allows credentials"),
    field("cors.max_age", Number, "seconds a preflight is cached"),
    field("routes", Objects(ROUTE_FIELDS), "its routes"),
    field(
        "authorizers",
        Objects(AUTHORIZER_FIELDS),
        "the authorizers its routes use",
    ),
];

/// The fields GetApis carries, so the per-API calls are made only for selected APIs.
pub const API_SUMMARY_FIELDS: &[&str] = &["id", "name", "protocol_type", "api_endpoint"];

const ROUTE_SETTING_FIELDS: &[Field] = &[
    field("route_key", Text, "the route, like `POST /auth/login`"),
    field("throttling_rate_limit", Number, "requests per second"),
    field("throttling_burst_limit", Number, "burst requests"),
    field("logging_level", Text, "OFF, ERROR or INFO (WebSocket)"),
    field("detailed_metrics_enabled", Bool, "per-route metrics"),
];

pub const V2_STAGE_FIELDS: &[Field] = &[
    field("api_name", Text, "the API's name"),
    field("api_id", Text, "the API's id"),
    field("protocol_type", Text, "HTTP or WEBSOCKET"),
    field(
        "stage_name",
        Text,
        "the stage's name, like prod or $default",
    ),
    field("auto_deploy", Bool, "changes deploy themselves"),
    field("deployment_id", Text, "the deployment it serves"),
    field(
        "last_deployment_status_message",
        Text,
        "why the last automatic deployment failed, if it did",
    ),
    field("created_date", Timestamp, "when it was created"),
    field("last_updated_date", Timestamp, "when it was last changed"),
    field(
        "throttling_rate_limit",
        Number,
        "the default route throttle, requests per second",
    ),
    field(
        "throttling_burst_limit",
        Number,
        "the default route burst limit",
    ),
    field(
        "detailed_metrics_enabled",
        Bool,
        "default per-route metrics",
    ),
    field(
        "route_settings",
        Objects(ROUTE_SETTING_FIELDS),
        "per-route overrides",
    ),
    field(
        "access_log_destination",
        Text,
        "the access log's destination ARN",
    ),
    field("access_log_format", Text, "the access log's format"),
];

/// The fields of a stage that its API's summary carries, under the summary's names.
pub const V2_STAGE_SUMMARY_FIELDS: &[(&str, &str)] = &[
    ("api_name", "name"),
    ("api_id", "id"),
    ("protocol_type", "protocol_type"),
];

/// Every HTTP and WebSocket API of the region, as summaries.
pub async fn apis(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_apigatewayv2::Client::new(config);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_apis()
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| FetchError::from_sdk("GetApis", "apigateway:GET", e))?;
        for api in page.items() {
            let cors = api.cors_configuration().map(|c| {
                json!({
                    "allow_origins": c.allow_origins(),
                    "allow_methods": c.allow_methods(),
                    "allow_headers": c.allow_headers(),
                    "allow_credentials": c.allow_credentials(),
                    "max_age": c.max_age(),
                })
            });
            out.push(json!({
                "id": api.api_id(),
                "name": api.name(),
                "protocol_type": api.protocol_type().map(|p| p.as_str()),
                "api_endpoint": api.api_endpoint(),
                "description": api.description(),
                "disable_execute_api_endpoint": api.disable_execute_api_endpoint(),
                "created_date": timestamp(api.created_date()),
                "cors": cors,
            }));
        }
        match next_page("GetApis", token.as_deref(), page.next_token())? {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    Ok(out)
}

/// One API in full: its summary with its routes and the authorizers they use.
pub async fn api(config: &SdkConfig, summary: &Json) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_apigatewayv2::Client::new(config);
    let id = summary["id"].as_str().unwrap_or_default().to_string();
    let mut routes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_routes()
            .api_id(&id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| FetchError::from_sdk("GetRoutes", "apigateway:GET", e))?;
        routes.extend(page.items().iter().cloned());
        match next_page("GetRoutes", token.as_deref(), page.next_token())? {
            Some(next) => token = Some(next),
            None => break,
        }
    }

    // GetAuthorizer for each authorizer in use (BTreeSet: once each, in a stable order), all at
    // the same time; the answers are read in that order.
    let used: BTreeSet<&str> = routes.iter().filter_map(|r| r.authorizer_id()).collect();
    let answers = join_all(used.iter().map(|authorizer_id| {
        Box::pin(
            client
                .get_authorizer()
                .api_id(&id)
                .authorizer_id(*authorizer_id)
                .send(),
        )
    }))
    .await;
    let mut authorizers: Vec<(String, Json)> = Vec::new();
    for (authorizer_id, a) in used.into_iter().zip(answers) {
        let a = a.map_err(|e| FetchError::from_sdk("GetAuthorizer", "apigateway:GET", e))?;
        authorizers.push((
            authorizer_id.to_string(),
            json!({
                "name": a.name(),
                "type": a.authorizer_type().map(|t| t.as_str()),
                "issuer": a.jwt_configuration().and_then(|j| j.issuer()),
                "audience": a.jwt_configuration().map(|j| j.audience()).unwrap_or_default(),
                "identity_source": a.identity_source(),
            }),
        ));
    }
    let authorizer = |id: Option<&str>| {
        id.and_then(|id| authorizers.iter().find(|(known, _)| known == id))
            .map(|(_, a)| a.clone())
    };
    let mut route_views: Vec<Json> = routes
        .iter()
        .map(|r| {
            let used = authorizer(r.authorizer_id());
            json!({
                "route_key": r.route_key(),
                "authorization_type": r.authorization_type().map(|t| t.as_str()),
                "authorizer": used.as_ref().map(|a| a["name"].clone()),
                "authorizer_type": used.as_ref().map(|a| a["type"].clone()),
                "api_key_required": r.api_key_required(),
            })
        })
        .collect();
    route_views.sort_by_key(|r| r["route_key"].to_string());

    let mut out = summary.clone();
    out["routes"] = Json::Array(route_views);
    out["authorizers"] = Json::Array(authorizers.into_iter().map(|(_, a)| a).collect());
    Ok(vec![out])
}

/// The stages of one API.
pub async fn stages(config: &SdkConfig, summary: &Json) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_apigatewayv2::Client::new(config);
    let id = summary["id"].as_str().unwrap_or_default().to_string();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_stages()
            .api_id(&id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| FetchError::from_sdk("GetStages", "apigateway:GET", e))?;
        for stage in page.items() {
            let defaults = stage.default_route_settings();
            let mut routes: Vec<Json> = stage
                .route_settings()
                .into_iter()
                .flatten()
                .map(|(key, s)| {
                    json!({
                        "route_key": key,
                        "throttling_rate_limit": s.throttling_rate_limit(),
                        "throttling_burst_limit": s.throttling_burst_limit(),
                        "logging_level": s.logging_level().map(|l| l.as_str()),
                        "detailed_metrics_enabled": s.detailed_metrics_enabled(),
                    })
                })
                .collect();
            routes.sort_by_key(|r| r["route_key"].to_string());
            out.push(json!({
                "api_name": summary["name"],
                "api_id": summary["id"],
                "protocol_type": summary["protocol_type"],
                "stage_name": stage.stage_name(),
                "auto_deploy": stage.auto_deploy(),
                "deployment_id": stage.deployment_id(),
                "last_deployment_status_message": stage.last_deployment_status_message(),
                "created_date": timestamp(stage.created_date()),
                "last_updated_date": timestamp(stage.last_updated_date()),
                "throttling_rate_limit": defaults.and_then(|d| d.throttling_rate_limit()),
                "throttling_burst_limit": defaults.and_then(|d| d.throttling_burst_limit()),
                "detailed_metrics_enabled": defaults.and_then(|d| d.detailed_metrics_enabled()),
                "route_settings": routes,
                "access_log_destination": stage.access_log_settings().and_then(|a| a.destination_arn()),
                "access_log_format": stage.access_log_settings().and_then(|a| a.format()),
            }));
        }
        match next_page("GetStages", token.as_deref(), page.next_token())? {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    Ok(out)
}

/// Every custom domain name of HTTP and WebSocket APIs with its endpoints and mapped APIs; the
/// domains' mappings are asked for at the same time, once every page of domains is read.
pub async fn domain_names(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_apigatewayv2::Client::new(config);
    // The domains of the pages before the first failed one, if any: their mappings are asked
    // for, and a failure there is returned before the page's, as when each page's domains were
    // completed before the next page was read.
    let mut domains = Vec::new();
    let mut page_error = None;
    let mut token: Option<String> = None;
    loop {
        let page = match client
            .get_domain_names()
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(page) => page,
            Err(e) => {
                page_error = Some(FetchError::from_sdk("GetDomainNames", "apigateway:GET", e));
                break;
            }
        };
        domains.extend(page.items().iter().cloned());
        match next_page("GetDomainNames", token.as_deref(), page.next_token()) {
            Ok(Some(next)) => token = Some(next),
            Ok(None) => break,
            Err(e) => {
                page_error = Some(e);
                break;
            }
        }
    }
    let mappings = join_all(domains.iter().map(|domain| {
        Box::pin(mapped_api_ids(
            &client,
            domain.domain_name().unwrap_or_default(),
        ))
    }))
    .await;
    let mut out = Vec::new();
    for (domain, api_ids) in domains.iter().zip(mappings) {
        let api_ids = api_ids?;
        let configurations = domain.domain_name_configurations();
        let endpoints: Vec<&str> = configurations
            .iter()
            .filter_map(|c| c.api_gateway_domain_name())
            .collect();
        let types: Vec<&str> = configurations
            .iter()
            .filter_map(|c| c.endpoint_type().map(|t| t.as_str()))
            .collect();
        out.push(json!({
            "name": domain.domain_name().unwrap_or_default(),
            "endpoints": endpoints,
            "endpoint_types": types,
            "api_ids": api_ids,
        }));
    }
    match page_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// The ids of the APIs mapped to a custom domain, every page of GetApiMappings.
async fn mapped_api_ids(
    client: &aws_sdk_apigatewayv2::Client,
    domain: &str,
) -> Result<Vec<String>, FetchError> {
    let mut api_ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mappings = client
            .get_api_mappings()
            .domain_name(domain)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| FetchError::from_sdk("GetApiMappings", "apigateway:GET", e))?;
        api_ids.extend(
            mappings
                .items()
                .iter()
                .filter_map(|m| m.api_id().map(str::to_string)),
        );
        match next_page("GetApiMappings", token.as_deref(), mappings.next_token())? {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    Ok(api_ids)
}

/// Custom domains of both API Gateway flavours, each with the names and protocols (REST, HTTP,
/// WEBSOCKET) of the APIs mapped to it.
pub fn domains_with_apis(
    rest_domains: &[Json],
    v2_domains: &[Json],
    rest_apis: &[Json],
    v2_apis: &[Json],
) -> Vec<Json> {
    let mut by_name: Map<String, Json> = Map::new();
    for domain in rest_domains.iter().chain(v2_domains) {
        let name = domain["name"].as_str().unwrap_or_default().to_lowercase();
        let entry = by_name.entry(name.clone()).or_insert_with(
            || json!({"name": name, "endpoints": [], "api_names": [], "protocols": []}),
        );
        for endpoint in domain["endpoints"].as_array().into_iter().flatten() {
            push_unique(&mut entry["endpoints"], endpoint.clone());
        }
        for id in domain["api_ids"].as_array().into_iter().flatten() {
            let rest = rest_apis.iter().find(|a| a["id"] == *id);
            let v2 = v2_apis.iter().find(|a| a["id"] == *id);
            if let Some(api) = rest {
                push_unique(&mut entry["api_names"], api["name"].clone());
                push_unique(&mut entry["protocols"], json!("REST"));
            }
            if let Some(api) = v2 {
                push_unique(&mut entry["api_names"], api["name"].clone());
                push_unique(&mut entry["protocols"], api["protocol_type"].clone());
            }
        }
    }
    by_name.into_iter().map(|(_, d)| d).collect()
}

fn push_unique(list: &mut Json, value: Json) {
    if let Some(items) = list.as_array_mut()
        && !value.is_null()
        && !items.contains(&value)
    {
        items.push(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_domains_name_the_protocols_of_the_apis_mapped_to_them() {
        let rest_domains = vec![json!({"name": "api.example.com",
            "endpoints": ["d-1.execute-api.us-east-1.amazonaws.com"], "api_ids": ["r1"]})];
        let v2_domains = vec![json!({"name": "WS.example.com",
            "endpoints": ["d-2.execute-api.us-east-1.amazonaws.com"], "api_ids": ["w1"]})];
        let rest_apis = vec![json!({"id": "r1", "name": "BarkBaseAPI"})];
        let v2_apis = vec![json!({"id": "w1", "name": "ws", "protocol_type": "WEBSOCKET"})];
        let domains = domains_with_apis(&rest_domains, &v2_domains, &rest_apis, &v2_apis);
        assert_eq!(domains[0]["name"], "api.example.com");
        assert_eq!(domains[0]["protocols"], json!(["REST"]));
        assert_eq!(domains[1]["name"], "ws.example.com");
        assert_eq!(domains[1]["protocols"], json!(["WEBSOCKET"]));
        assert_eq!(domains[1]["api_names"], json!(["ws"]));
    }
}
