//! Cognito user pools: password policy, MFA, threat protection, Lambda triggers, verification.
//!
//! Calls ListUserPools (IAM `cognito-idp:ListUserPools`), paginated to the end, and, for the
//! pools a check selects, DescribeUserPool (`cognito-idp:DescribeUserPool`) and
//! DescribeRiskConfiguration (`cognito-idp:DescribeRiskConfiguration`). Account takeover
//! protection is the risk configuration's actions per risk level: advanced security in ENFORCED
//! mode evaluates each sign-in, the actions say what happens to a risky one.

use aws_config::SdkConfig;
use serde_json::{Value as Json, json};

use super::FetchError;
use super::aws::timestamp;
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextList, Timestamp};
use crate::checklist::expect::{Field, field};

pub const USER_POOL_FIELDS: &[Field] = &[
    field("name", Text, "the pool's name"),
    field("id", Text, "the pool's id, like us-east-1_AbCdEf"),
    field("arn", Text, "the pool's ARN"),
    field("creation_date", Timestamp, "when it was created"),
    field(
        "password_policy.minimum_length",
        Number,
        "the shortest password accepted",
    ),
    field(
        "password_policy.require_uppercase",
        Bool,
        "passwords need an upper-case letter",
    ),
    field(
        "password_policy.require_lowercase",
        Bool,
        "passwords need a lower-case letter",
    ),
    field(
        "password_policy.require_numbers",
        Bool,
        "passwords need a digit",
    ),
    field(
        "password_policy.require_symbols",
        Bool,
        "passwords need a symbol",
    ),
    field(
        "password_policy.temporary_password_validity_days",
        Number,
        "days a temporary password lasts",
    ),
    field(
        "password_policy.password_history_size",
        Number,
        "previous passwords that cannot be reused",
    ),
    field("mfa_configuration", Text, "OFF, ON or OPTIONAL"),
    field(
        "advanced_security_mode",
        Text,
        "threat protection: OFF, AUDIT (logs only) or ENFORCED",
    ),
    field("user_pool_tier", Text, "LITE, ESSENTIALS or PLUS"),
    field(
        "account_takeover.low_action",
        Text,
        "on low-risk sign-ins: NO_ACTION, MFA_IF_CONFIGURED, MFA_REQUIRED or BLOCK",
    ),
    field(
        "account_takeover.medium_action",
        Text,
        "on medium-risk sign-ins",
    ),
    field(
        "account_takeover.high_action",
        Text,
        "on high-risk sign-ins",
    ),
    field(
        "compromised_credentials_action",
        Text,
        "on sign-ins with leaked credentials: BLOCK or NO_ACTION",
    ),
    field(
        "lambda_triggers.pre_sign_up",
        Text,
        "the pre sign-up Lambda's ARN",
    ),
    field(
        "lambda_triggers.post_confirmation",
        Text,
        "the post confirmation Lambda's ARN",
    ),
    field(
        "lambda_triggers.pre_authentication",
        Text,
        "the pre authentication Lambda's ARN",
    ),
    field(
        "lambda_triggers.post_authentication",
        Text,
        "the post authentication Lambda's ARN",
    ),
    field(
        "lambda_triggers.pre_token_generation",
        Text,
        "the pre token generation Lambda's ARN",
    ),
    field(
        "lambda_triggers.custom_message",
        Text,
        "the custom message Lambda's ARN",
    ),
    field(
        "auto_verified_attributes",
        TextList,
        "attributes verified on sign-up: email, phone_number",
    ),
    field("deletion_protection", Text, "ACTIVE or INACTIVE"),
    field(
        "estimated_number_of_users",
        Number,
        "users in the pool, roughly",
    ),
    field(
        "email_sending_account",
        Text,
        "COGNITO_DEFAULT or DEVELOPER (SES)",
    ),
];

/// The fields ListUserPools carries, so the describe calls are made only for selected pools.
pub const SUMMARY_FIELDS: &[&str] = &["name", "id"];

/// Every user pool of the region, as summaries.
pub async fn user_pools(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cognitoidentityprovider::Client::new(config);
    let pages = client
        .list_user_pools()
        .max_results(60)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page
            .map_err(|e| FetchError::from_sdk("ListUserPools", "cognito-idp:ListUserPools", e))?;
        for pool in page.user_pools() {
            out.push(json!({"name": pool.name(), "id": pool.id()}));
        }
    }
    Ok(out)
}

/// One pool in full: its settings and its pool-wide risk configuration, asked for at the same
/// time; a failed DescribeUserPool is the error returned when both fail.
// TODO: app-client risk configurations override the pool's and are not read: it would take
// ListUserPoolClients and DescribeRiskConfiguration per client.
pub async fn user_pool(config: &SdkConfig, summary: &Json) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cognitoidentityprovider::Client::new(config);
    let id = summary["id"].as_str().map(str::to_string);
    let (described, risk) = tokio::join!(
        Box::pin(
            client
                .describe_user_pool()
                .set_user_pool_id(id.clone())
                .send()
        ),
        Box::pin(
            client
                .describe_risk_configuration()
                .set_user_pool_id(id)
                .send()
        ),
    );
    let described = described
        .map_err(|e| FetchError::from_sdk("DescribeUserPool", "cognito-idp:DescribeUserPool", e))?;
    let Some(pool) = described.user_pool() else {
        return Err(FetchError::new(
            "DescribeUserPool",
            format!("no user pool in the answer for {}", summary["id"]),
        ));
    };
    let risk = risk.map_err(|e| {
        FetchError::from_sdk(
            "DescribeRiskConfiguration",
            "cognito-idp:DescribeRiskConfiguration",
            e,
        )
    })?;
    let risk = risk.risk_configuration();
    let takeover = risk
        .and_then(|r| r.account_takeover_risk_configuration())
        .and_then(|t| t.actions())
        .map(|a| {
            let action = |level: Option<
                &aws_sdk_cognitoidentityprovider::types::AccountTakeoverActionType,
            >| { level.map(|l| l.event_action().as_str().to_string()) };
            json!({
                "low_action": action(a.low_action()),
                "medium_action": action(a.medium_action()),
                "high_action": action(a.high_action()),
            })
        });
    let compromised = risk
        .and_then(|r| r.compromised_credentials_risk_configuration())
        .and_then(|c| c.actions())
        .map(|a| a.event_action().as_str().to_string());

    let password = pool.policies().and_then(|p| p.password_policy()).map(|p| {
        json!({
            "minimum_length": p.minimum_length(),
            "require_uppercase": p.require_uppercase(),
            "require_lowercase": p.require_lowercase(),
            "require_numbers": p.require_numbers(),
            "require_symbols": p.require_symbols(),
            "temporary_password_validity_days": p.temporary_password_validity_days(),
            "password_history_size": p.password_history_size(),
        })
    });
    let triggers = pool.lambda_config().map(|l| {
        json!({
            "pre_sign_up": l.pre_sign_up(),
            "post_confirmation": l.post_confirmation(),
            "pre_authentication": l.pre_authentication(),
            "post_authentication": l.post_authentication(),
            "pre_token_generation": l.pre_token_generation(),
            "custom_message": l.custom_message(),
        })
    });
    let verified: Vec<&str> = pool
        .auto_verified_attributes()
        .iter()
        .map(|a| a.as_str())
        .collect();
    Ok(vec![json!({
        "name": pool.name(),
        "id": pool.id(),
        "arn": pool.arn(),
        "creation_date": timestamp(pool.creation_date()),
        "password_policy": password,
        "mfa_configuration": pool.mfa_configuration().map(|m| m.as_str()),
        "advanced_security_mode": pool.user_pool_add_ons().map(|a| a.advanced_security_mode().as_str()),
        "user_pool_tier": pool.user_pool_tier().map(|t| t.as_str()),
        "account_takeover": takeover,
        "compromised_credentials_action": compromised,
        "lambda_triggers": triggers,
        "auto_verified_attributes": verified,
        "deletion_protection": pool.deletion_protection().map(|d| d.as_str()),
        "estimated_number_of_users": pool.estimated_number_of_users(),
        "email_sending_account": pool.email_configuration()
            .and_then(|e| e.email_sending_account()).map(|a| a.as_str()),
    })])
}
