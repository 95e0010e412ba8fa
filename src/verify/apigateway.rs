//! API Gateway REST APIs (v1): the APIs with their methods, and their stages.
//!
//! Calls GetRestApis (IAM `apigateway:GET` on `/restapis`), paginated to the end; for the APIs
//! a check selects, GetResources with embedded methods, GetAuthorizers and GetRequestValidators
//! (`apigateway:GET` on `/restapis/*`); for stage checks GetStages, and once per run
//! GetUsagePlans, GetUsagePlanKeys and GetApiKeys (`apigateway:GET` on `/usageplans*` and
//! `/apikeys`) to tell which usage plans (per-key throttles and quotas) cover a stage. API key
//! values are never asked for (GetApiKeys without includeValues) and never kept: only counts.
//! GetDomainNames and GetBasePathMappings (`apigateway:GET` on `/domainnames*`) name the custom
//! domains, which Route 53 records are matched against.
//!
//! A method's throttle is what API Gateway applies to it: the stage's override for the method,
//! else the stage's `*/*` setting; a rate of 0 or below is read as "not set", since the SDK
//! reports an unset limit as 0.

use std::collections::HashMap;

use aws_config::SdkConfig;
use futures_util::future::join_all;
use serde_json::{Value as Json, json};

use super::FetchError;
use super::aws::{next_page, timestamp};
use crate::checklist::expect::FieldType::{Bool, Number, Objects, Text, TextList, Timestamp};
use crate::checklist::expect::{Field, field};

const VALIDATOR_FIELDS: &[Field] = &[
    field("name", Text, "the validator's name"),
    field(
        "validate_request_body",
        Bool,
        "it validates bodies against models",
    ),
    field(
        "validate_request_parameters",
        Bool,
        "it validates required parameters",
    ),
];

const AUTHORIZER_FIELDS: &[Field] = &[
    field("name", Text, "the authorizer's name"),
    field(
        "type",
        Text,
        "COGNITO_USER_POOLS (checks Cognito JWTs), TOKEN or REQUEST (a Lambda)",
    ),
    field(
        "provider_arns",
        TextList,
        "the user pools of a COGNITO_USER_POOLS authorizer",
    ),
    field("identity_source", Text, "where the token is read from"),
];

const METHOD_FIELDS: &[Field] = &[
    field("path", Text, "the resource path, like /auth/login"),
    field("http_method", Text, "GET, POST, ..., ANY"),
    field(
        "authorization_type",
        Text,
        "NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS",
    ),
    field("authorizer", Text, "the name of its authorizer"),
    field("authorizer_type", Text, "the type of its authorizer"),
    field(
        "request_validator",
        Text,
        "the name of its request validator",
    ),
    field(
        "validates_body",
        Bool,
        "derived: its validator checks bodies",
    ),
    field(
        "validates_parameters",
        Bool,
        "derived: its validator checks parameters",
    ),
    field("api_key_required", Bool, "callers must send an API key"),
];

pub const REST_API_FIELDS: &[Field] = &[
    field("id", Text, "the API's id"),
    field("name", Text, "the API's name"),
    field("description", Text, "its description"),
    field("endpoint_types", TextList, "EDGE, REGIONAL or PRIVATE"),
    field("api_key_source", Text, "HEADER or AUTHORIZER"),
    field(
        "disable_execute_api_endpoint",
        Bool,
        "the default execute-api endpoint is off",
    ),
    field("created_date", Timestamp, "when it was created"),
    field(
        "request_validators",
        Objects(VALIDATOR_FIELDS),
        "its request validators",
    ),
    field("authorizers", Objects(AUTHORIZER_FIELDS), "its authorizers"),
    field(
        "methods",
        Objects(METHOD_FIELDS),
        "every method of every resource",
    ),
];

/// The fields GetRestApis carries, so the per-API calls are made only for selected APIs.
pub const REST_API_SUMMARY_FIELDS: &[&str] = &["id", "name", "description"];

const METHOD_SETTING_FIELDS: &[Field] = &[
    field("path", Text, "the resource path, or * for every resource"),
    field("http_method", Text, "the method, or * for every method"),
    field("throttling_rate_limit", Number, "requests per second"),
    field("throttling_burst_limit", Number, "burst requests"),
    field("logging_level", Text, "OFF, ERROR or INFO"),
    field("metrics_enabled", Bool, "detailed CloudWatch metrics"),
    field("caching_enabled", Bool, "responses are cached"),
];

const STAGE_METHOD_FIELDS: &[Field] = &[
    field("path", Text, "the resource path, like /auth/login"),
    field("http_method", Text, "GET, POST, ..., ANY"),
    field(
        "throttling_rate_limit",
        Number,
        "the requests per second the stage allows it; absent when unthrottled",
    ),
    field("throttling_burst_limit", Number, "the burst it allows"),
    field("api_key_required", Bool, "callers must send an API key"),
    field("authorization_type", Text, "NONE, AWS_IAM, CUSTOM, ..."),
];

const USAGE_PLAN_FIELDS: &[Field] = &[
    field("name", Text, "the usage plan's name"),
    field("id", Text, "the usage plan's id"),
    field(
        "rate_limit",
        Number,
        "requests per second allowed to each API key",
    ),
    field("burst_limit", Number, "burst allowed to each API key"),
    field("quota_limit", Number, "requests per quota period and key"),
    field("quota_period", Text, "DAY, WEEK or MONTH"),
    field("api_key_count", Number, "API keys in the plan"),
    field(
        "enabled_api_key_count",
        Number,
        "enabled API keys in the plan",
    ),
];

pub const REST_STAGE_FIELDS: &[Field] = &[
    field("api_name", Text, "the API's name"),
    field("api_id", Text, "the API's id"),
    field("stage_name", Text, "the stage's name, like prod"),
    field(
        "deployment_id",
        Text,
        "the deployment it serves; absent when never deployed",
    ),
    field("description", Text, "its description"),
    field("created_date", Timestamp, "when it was created"),
    field("last_updated_date", Timestamp, "when it was last changed"),
    field(
        "throttling_rate_limit",
        Number,
        "the stage-wide rate limit (*/*), requests per second",
    ),
    field(
        "throttling_burst_limit",
        Number,
        "the stage-wide burst limit (*/*)",
    ),
    field(
        "logging_level",
        Text,
        "the stage-wide execution logging: OFF, ERROR, INFO",
    ),
    field(
        "metrics_enabled",
        Bool,
        "stage-wide detailed CloudWatch metrics",
    ),
    field(
        "method_settings",
        Objects(METHOD_SETTING_FIELDS),
        "the stage's settings, stage-wide (* and *) and per method",
    ),
    field(
        "methods",
        Objects(STAGE_METHOD_FIELDS),
        "each method of the API with the throttle this stage applies to it",
    ),
    field(
        "usage_plans",
        Objects(USAGE_PLAN_FIELDS),
        "the usage plans covering this stage",
    ),
    field(
        "access_log_destination",
        Text,
        "the access log's destination ARN",
    ),
    field("access_log_format", Text, "the access log's format"),
    field("tracing_enabled", Bool, "X-Ray tracing"),
    field("web_acl_arn", Text, "the regional WAF web ACL on the stage"),
    field("cache_cluster_enabled", Bool, "a cache cluster runs"),
];

/// The fields of a stage that its API's summary carries, under the summary's names.
pub const REST_STAGE_SUMMARY_FIELDS: &[(&str, &str)] = &[("api_name", "name"), ("api_id", "id")];

/// Every REST API of the region, as summaries.
pub async fn rest_apis(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_apigateway::Client::new(config);
    let pages = client
        .get_rest_apis()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| FetchError::from_sdk("GetRestApis", "apigateway:GET", e))?;
        for api in page.items() {
            let types: Vec<&str> = api
                .endpoint_configuration()
                .map(|c| c.types().iter().map(|t| t.as_str()).collect())
                .unwrap_or_default();
            out.push(json!({
                "id": api.id(),
                "name": api.name(),
                "description": api.description(),
                "endpoint_types": types,
                "api_key_source": api.api_key_source().map(|s| s.as_str()),
                "disable_execute_api_endpoint": api.disable_execute_api_endpoint(),
                "created_date": timestamp(api.created_date()),
            }));
        }
    }
    Ok(out)
}

/// One REST API in full: its summary with validators, authorizers and methods. The three
/// listings are fetched at the same time; their errors are returned in that order.
pub async fn rest_api(config: &SdkConfig, summary: &Json) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_apigateway::Client::new(config);
    let id = summary["id"].as_str().unwrap_or_default().to_string();
    let (validators, authorizers, pages) = tokio::join!(
        Box::pin(request_validators(&client, &id)),
        Box::pin(authorizers(&client, &id)),
        Box::pin(
            client
                .get_resources()
                .rest_api_id(&id)
                .embed("methods")
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
    );
    let (validators, authorizers) = (validators?, authorizers?);
    let validator_by_id: HashMap<&str, &Json> =
        validators.iter().map(|(id, v)| (id.as_str(), v)).collect();
    let authorizer_by_id: HashMap<&str, &Json> =
        authorizers.iter().map(|(id, a)| (id.as_str(), a)).collect();
    let mut methods = Vec::new();
    for page in pages {
        let page = page.map_err(|e| FetchError::from_sdk("GetResources", "apigateway:GET", e))?;
        for resource in page.items() {
            let path = resource.path().unwrap_or_default();
            for (verb, method) in resource.resource_methods().into_iter().flatten() {
                let validator = method
                    .request_validator_id()
                    .and_then(|v| validator_by_id.get(v));
                let authorizer = method.authorizer_id().and_then(|a| authorizer_by_id.get(a));
                methods.push(json!({
                    "path": path,
                    "http_method": method.http_method().unwrap_or(verb.as_str()),
                    "authorization_type": method.authorization_type(),
                    "authorizer": authorizer.map(|a| &a["name"]),
                    "authorizer_type": authorizer.map(|a| &a["type"]),
                    "request_validator": validator.map(|v| &v["name"]),
                    "validates_body": validator
                        .is_some_and(|v| v["validate_request_body"] == true),
                    "validates_parameters": validator
                        .is_some_and(|v| v["validate_request_parameters"] == true),
                    "api_key_required": method.api_key_required().unwrap_or(false),
                }));
            }
        }
    }
    methods.sort_by_key(|m| (m["path"].to_string(), m["http_method"].to_string()));

    let mut out = summary.clone();
    out["request_validators"] = Json::Array(validators.into_iter().map(|(_, v)| v).collect());
    out["authorizers"] = Json::Array(authorizers.into_iter().map(|(_, a)| a).collect());
    out["methods"] = Json::Array(methods);
    Ok(vec![out])
}

/// A REST API's request validators with their ids, every page.
async fn request_validators(
    client: &aws_sdk_apigateway::Client,
    id: &str,
) -> Result<Vec<(String, Json)>, FetchError> {
    let mut validators = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = client
            .get_request_validators()
            .rest_api_id(id)
            .set_position(position.clone())
            .send()
            .await
            .map_err(|e| FetchError::from_sdk("GetRequestValidators", "apigateway:GET", e))?;
        validators.extend(page.items().iter().map(|v| {
            (
                v.id().unwrap_or_default().to_string(),
                json!({
                    "name": v.name(),
                    "validate_request_body": v.validate_request_body(),
                    "validate_request_parameters": v.validate_request_parameters(),
                }),
            )
        }));
        match next_page("GetRequestValidators", position.as_deref(), page.position())? {
            Some(next) => position = Some(next),
            None => break,
        }
    }
    Ok(validators)
}

/// A REST API's authorizers with their ids, every page.
async fn authorizers(
    client: &aws_sdk_apigateway::Client,
    id: &str,
) -> Result<Vec<(String, Json)>, FetchError> {
    let mut authorizers = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = client
            .get_authorizers()
            .rest_api_id(id)
            .set_position(position.clone())
            .send()
            .await
            .map_err(|e| FetchError::from_sdk("GetAuthorizers", "apigateway:GET", e))?;
        authorizers.extend(page.items().iter().map(|a| {
            (
                a.id().unwrap_or_default().to_string(),
                json!({
                    "name": a.name(),
                    "type": a.r#type().map(|t| t.as_str()),
                    "provider_arns": a.provider_arns(),
                    "identity_source": a.identity_source(),
                }),
            )
        }));
        match next_page("GetAuthorizers", position.as_deref(), page.position())? {
            Some(next) => position = Some(next),
            None => break,
        }
    }
    Ok(authorizers)
}

/// The stages of one REST API, as API Gateway reports them.
pub async fn rest_stages(config: &SdkConfig, summary: &Json) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_apigateway::Client::new(config);
    let answer = client
        .get_stages()
        .set_rest_api_id(summary["id"].as_str().map(str::to_string))
        .send()
        .await
        .map_err(|e| FetchError::from_sdk("GetStages", "apigateway:GET", e))?;
    let mut out = Vec::new();
    for stage in answer.item() {
        let mut settings: Vec<Json> = stage
            .method_settings()
            .into_iter()
            .flatten()
            .map(|(key, s)| {
                let (path, verb) = setting_target(key);
                json!({
                    "path": path,
                    "http_method": verb,
                    "throttling_rate_limit": positive(s.throttling_rate_limit()),
                    "throttling_burst_limit": positive(f64::from(s.throttling_burst_limit())),
                    "logging_level": s.logging_level(),
                    "metrics_enabled": s.metrics_enabled(),
                    "caching_enabled": s.caching_enabled(),
                })
            })
            .collect();
        settings.sort_by_key(|s| (s["path"].to_string(), s["http_method"].to_string()));
        let stage_wide = settings
            .iter()
            .find(|s| s["path"] == "*" && s["http_method"] == "*");
        let wide = |key: &str| stage_wide.map(|s| s[key].clone()).unwrap_or(Json::Null);
        out.push(json!({
            "api_name": summary["name"],
            "api_id": summary["id"],
            "stage_name": stage.stage_name(),
            "deployment_id": stage.deployment_id(),
            "description": stage.description(),
            "created_date": timestamp(stage.created_date()),
            "last_updated_date": timestamp(stage.last_updated_date()),
            "throttling_rate_limit": wide("throttling_rate_limit"),
            "throttling_burst_limit": wide("throttling_burst_limit"),
            "logging_level": wide("logging_level"),
            "metrics_enabled": wide("metrics_enabled"),
            "method_settings": settings,
            "access_log_destination": stage.access_log_settings().and_then(|a| a.destination_arn()),
            "access_log_format": stage.access_log_settings().and_then(|a| a.format()),
            "tracing_enabled": stage.tracing_enabled(),
            "web_acl_arn": stage.web_acl_arn(),
            "cache_cluster_enabled": stage.cache_cluster_enabled(),
        }));
    }
    Ok(out)
}

/// A stage's method setting key as (path, method): `*/*` is every method, and
/// `~1auth~1login/POST` is POST on /auth/login (`~1` escapes `/`, `~0` escapes `~`).
fn setting_target(key: &str) -> (String, String) {
    let (resource, verb) = key.rsplit_once('/').unwrap_or((key, "*"));
    let path = if resource == "*" {
        "*".to_string()
    } else {
        resource.replace("~1", "/").replace("~0", "~")
    };
    (path, verb.to_string())
}

fn positive(value: f64) -> Json {
    if value > 0.0 {
        json!(value)
    } else {
        Json::Null
    }
}

/// Completes stages with what they apply to each method of their API and with the usage plans
/// that cover them.
pub fn stage_views(mut stages: Vec<Json>, api: &Json, plans: &[Json]) -> Vec<Json> {
    let methods = api["methods"].as_array().cloned().unwrap_or_default();
    for stage in &mut stages {
        let settings = stage["method_settings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let applied: Vec<Json> = methods
            .iter()
            .map(|m| {
                let path = m["path"].as_str().unwrap_or_default();
                let verb = m["http_method"].as_str().unwrap_or_default();
                let limit = |key: &str| effective(&settings, path, verb, key);
                json!({
                    "path": path,
                    "http_method": verb,
                    "throttling_rate_limit": limit("throttling_rate_limit"),
                    "throttling_burst_limit": limit("throttling_burst_limit"),
                    "api_key_required": m["api_key_required"],
                    "authorization_type": m["authorization_type"],
                })
            })
            .collect();
        let covering: Vec<Json> = plans
            .iter()
            .filter(|p| {
                p["api_stages"].as_array().is_some_and(|s| {
                    s.iter().any(|s| {
                        s["api_id"] == stage["api_id"] && s["stage"] == stage["stage_name"]
                    })
                })
            })
            .map(|p| {
                let mut plan = p.clone();
                if let Some(fields) = plan.as_object_mut() {
                    fields.remove("api_stages");
                }
                plan
            })
            .collect();
        stage["methods"] = Json::Array(applied);
        stage["usage_plans"] = Json::Array(covering);
    }
    stages
}

/// The limit the stage applies to one method: its own override first, then the stage-wide one.
fn effective(settings: &[Json], path: &str, verb: &str, key: &str) -> Json {
    let order = [(path, verb), (path, "*"), ("*", "*")];
    order
        .iter()
        .find_map(|(p, v)| {
            settings
                .iter()
                .find(|s| s["path"] == *p && s["http_method"] == *v)
                .map(|s| s[key].clone())
                .filter(|value| !value.is_null())
        })
        .unwrap_or(Json::Null)
}

/// Every usage plan of the region with its throttle, quota, stages and key counts. GetApiKeys and
/// GetUsagePlans are made at the same time, then GetUsagePlanKeys for every plan at once; the
/// error returned is the one that calls made in turn would have met first.
pub async fn usage_plans(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_apigateway::Client::new(config);
    let (key_pages, plan_pages) = tokio::join!(
        // Which keys are enabled; values are not requested.
        Box::pin(
            client
                .get_api_keys()
                .include_values(false)
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
        Box::pin(
            client
                .get_usage_plans()
                .into_paginator()
                .send()
                .collect::<Vec<_>>()
        ),
    );
    let mut enabled: HashMap<String, bool> = HashMap::new();
    for page in key_pages {
        let page = page.map_err(|e| FetchError::from_sdk("GetApiKeys", "apigateway:GET", e))?;
        for key in page.items() {
            enabled.insert(key.id().unwrap_or_default().to_string(), key.enabled());
        }
    }

    let (plans, page_error) = items_until_error(plan_pages, |page| page.items().to_vec());
    let page_error = page_error.map(|e| FetchError::from_sdk("GetUsagePlans", "apigateway:GET", e));
    let plan_keys = join_all(
        plans
            .iter()
            .map(|plan| Box::pin(usage_plan_keys(&client, plan.id()))),
    )
    .await;
    let mut out = Vec::new();
    for (plan, keys) in plans.iter().zip(plan_keys) {
        let keys = keys?;
        let enabled_keys = keys
            .iter()
            .filter(|k| enabled.get(*k) == Some(&true))
            .count();
        let stages: Vec<Json> = plan
            .api_stages()
            .iter()
            .map(|s| json!({"api_id": s.api_id(), "stage": s.stage()}))
            .collect();
        out.push(json!({
            "name": plan.name(),
            "id": plan.id(),
            "rate_limit": plan.throttle().map(|t| positive(t.rate_limit())),
            "burst_limit": plan.throttle().map(|t| positive(f64::from(t.burst_limit()))),
            "quota_limit": plan.quota().map(|q| q.limit()),
            "quota_period": plan.quota().and_then(|q| q.period()).map(|p| p.as_str()),
            "api_key_count": keys.len(),
            "enabled_api_key_count": enabled_keys,
            "api_stages": stages,
        }));
    }
    match page_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// The ids of a usage plan's keys, every page. Only the id is kept: the answer also carries the
/// key's value, a secret.
async fn usage_plan_keys(
    client: &aws_sdk_apigateway::Client,
    plan_id: Option<&str>,
) -> Result<Vec<String>, FetchError> {
    let pages = client
        .get_usage_plan_keys()
        .set_usage_plan_id(plan_id.map(str::to_string))
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut keys = Vec::new();
    for page in pages {
        let page =
            page.map_err(|e| FetchError::from_sdk("GetUsagePlanKeys", "apigateway:GET", e))?;
        keys.extend(
            page.items()
                .iter()
                .filter_map(|k| k.id().map(str::to_string)),
        );
    }
    Ok(keys)
}

/// The items of the pages before the first failed one, and that failure. The per-item calls are
/// then made for those items only, and a failure of theirs is returned before the page's, as
/// when each page's items were completed before the next page was read.
fn items_until_error<P, E, T>(
    pages: Vec<Result<P, E>>,
    items: impl Fn(&P) -> Vec<T>,
) -> (Vec<T>, Option<E>) {
    let mut out = Vec::new();
    for page in pages {
        match page {
            Ok(page) => out.extend(items(&page)),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

/// Every custom domain name of REST APIs with its endpoints and the APIs mapped to it; the
/// domains' mappings are asked for at the same time.
pub async fn domain_names(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_apigateway::Client::new(config);
    let pages = client
        .get_domain_names()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let (domains, page_error) = items_until_error(pages, |page| page.items().to_vec());
    let page_error =
        page_error.map(|e| FetchError::from_sdk("GetDomainNames", "apigateway:GET", e));
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
        let endpoints: Vec<&str> = [
            domain.regional_domain_name(),
            domain.distribution_domain_name(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let types: Vec<&str> = domain
            .endpoint_configuration()
            .map(|c| c.types().iter().map(|t| t.as_str()).collect())
            .unwrap_or_default();
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

/// The ids of the REST APIs mapped to a custom domain, every page of GetBasePathMappings.
async fn mapped_api_ids(
    client: &aws_sdk_apigateway::Client,
    domain: &str,
) -> Result<Vec<String>, FetchError> {
    let pages = client
        .get_base_path_mappings()
        .domain_name(domain)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut api_ids = Vec::new();
    for page in pages {
        let page =
            page.map_err(|e| FetchError::from_sdk("GetBasePathMappings", "apigateway:GET", e))?;
        api_ids.extend(
            page.items()
                .iter()
                .filter_map(|m| m.rest_api_id().map(str::to_string)),
        );
    }
    Ok(api_ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_items_of_the_pages_before_a_failed_page_are_kept_with_its_error() {
        let pages: Vec<Result<Vec<u8>, &str>> = vec![
            Ok(vec![1, 2]),
            Ok(vec![3]),
            Err("boom"),
            Ok(vec![4]),
            Err("later"),
        ];
        assert_eq!(
            items_until_error(pages, Clone::clone),
            (vec![1, 2, 3], Some("boom"))
        );
        let pages: Vec<Result<Vec<u8>, &str>> = vec![Ok(vec![1]), Ok(vec![2])];
        assert_eq!(items_until_error(pages, Clone::clone), (vec![1, 2], None));
    }

    #[test]
    fn method_setting_keys_name_a_path_and_a_method() {
        assert_eq!(setting_target("*/*"), ("*".into(), "*".into()));
        assert_eq!(
            setting_target("~1auth~1login/POST"),
            ("/auth/login".into(), "POST".into())
        );
    }

    #[test]
    fn a_method_gets_its_own_throttle_else_the_stage_wide_one() {
        let stages = vec![
            json!({"api_id": "a1", "stage_name": "prod", "method_settings": [
                {"path": "*", "http_method": "*", "throttling_rate_limit": 1000.0},
                {"path": "/auth/login", "http_method": "POST", "throttling_rate_limit": 10.0},
            ]}),
        ];
        let api = json!({"methods": [
            {"path": "/auth/login", "http_method": "POST", "api_key_required": false},
            {"path": "/bookings", "http_method": "GET", "api_key_required": true},
        ]});
        let plans = vec![
            json!({"name": "partners", "rate_limit": 100.0,
                   "api_stages": [{"api_id": "a1", "stage": "prod"}]}),
            json!({"name": "other", "api_stages": [{"api_id": "a2", "stage": "prod"}]}),
        ];
        let views = stage_views(stages, &api, &plans);
        let methods = views[0]["methods"].as_array().unwrap();
        assert_eq!(methods[0]["throttling_rate_limit"], 10.0);
        assert_eq!(methods[1]["throttling_rate_limit"], 1000.0);
        let covering = views[0]["usage_plans"].as_array().unwrap();
        assert_eq!(covering.len(), 1);
        assert_eq!(covering[0]["name"], "partners");
        assert!(covering[0].get("api_stages").is_none());
    }
}
