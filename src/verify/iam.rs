//! The AWS account itself: which account the credentials are in, and its IAM summary.
//!
//! Calls STS GetCallerIdentity (needs no IAM permission) for the account id, which Budgets also
//! needs, and IAM GetAccountSummary (IAM `iam:GetAccountSummary`). IAM is global: its client is
//! pinned to us-east-1, where the global endpoint signs (see `aws::global`). The summary says
//! whether the root user has MFA (`AccountMFAEnabled`) and access keys
//! (`AccountAccessKeysPresent`); it says nothing of IAM users' MFA.

use std::collections::HashMap;
use std::future::Future;

use aws_config::SdkConfig;
use aws_sdk_iam::types::SummaryKeyType;
use serde_json::{Value as Json, json};

use super::FetchError;
use crate::checklist::expect::FieldType::{Bool, Number, Text};
use crate::checklist::expect::{Field, field};

pub const ACCOUNT_FIELDS: &[Field] = &[
    field(
        "account_id",
        Text,
        "the account the credentials are in (STS GetCallerIdentity)",
    ),
    field(
        "account_mfa_enabled",
        Bool,
        "the root user has an MFA device",
    ),
    field(
        "account_access_keys_present",
        Bool,
        "the root user has access keys",
    ),
    field(
        "account_signing_certificates_present",
        Bool,
        "the root user has signing certificates",
    ),
    field("users", Number, "IAM users"),
    field("roles", Number, "IAM roles"),
    field("groups", Number, "IAM groups"),
    field("policies", Number, "customer managed policies"),
    field("mfa_devices", Number, "MFA devices, assigned or not"),
    field(
        "mfa_devices_in_use",
        Number,
        "MFA devices assigned to a user",
    ),
    field("providers", Number, "SAML and OIDC identity providers"),
];

/// The account id of the credentials in use.
pub async fn account_id(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let answer = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| FetchError::from_sdk("GetCallerIdentity", "sts:GetCallerIdentity", e))?;
    match answer.account() {
        Some(account) => Ok(vec![json!({"account_id": account})]),
        None => Err(FetchError::new(
            "GetCallerIdentity",
            "the answer names no account",
        )),
    }
}

/// The account's IAM summary, as one resource; `global` is the us-east-1 configuration. The
/// account id is awaited at the same time as GetAccountSummary, and its error comes first.
pub async fn account_summary(
    global: &SdkConfig,
    account_id: impl Future<Output = Result<String, FetchError>>,
) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_iam::Client::new(global);
    let (account_id, answer) =
        tokio::join!(account_id, Box::pin(client.get_account_summary().send()),);
    let account_id = account_id?;
    let answer = answer
        .map_err(|e| FetchError::from_sdk("GetAccountSummary", "iam:GetAccountSummary", e))?;
    let Some(summary) = answer.summary_map() else {
        return Err(FetchError::new(
            "GetAccountSummary",
            "the answer has no SummaryMap",
        ));
    };
    Ok(vec![summary_view(&account_id, summary)])
}

/// The fields of an account summary; moto always reports AccountMFAEnabled 0, so the enabled
/// branch is pinned by a unit test here and an over-the-wire test with a rewritten answer.
fn summary_view(account_id: &str, summary: &HashMap<SummaryKeyType, i32>) -> Json {
    let count = |key: SummaryKeyType| summary.get(&key).copied();
    // The flags are counts of 0 or 1; a missing one is unknown (absent), never false.
    let flag = |key: SummaryKeyType| count(key).map(|n| n > 0);
    json!({
        "account_id": account_id,
        "account_mfa_enabled": flag(SummaryKeyType::AccountMfaEnabled),
        "account_access_keys_present": flag(SummaryKeyType::AccountAccessKeysPresent),
        "account_signing_certificates_present":
            flag(SummaryKeyType::AccountSigningCertificatesPresent),
        "users": count(SummaryKeyType::Users),
        "roles": count(SummaryKeyType::Roles),
        "groups": count(SummaryKeyType::Groups),
        "policies": count(SummaryKeyType::Policies),
        "mfa_devices": count(SummaryKeyType::MfaDevices),
        "mfa_devices_in_use": count(SummaryKeyType::MfaDevicesInUse),
        "providers": count(SummaryKeyType::Providers),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_mfa_and_keys_read_from_the_summary_counts() {
        let summary = HashMap::from([
            (SummaryKeyType::from("AccountMFAEnabled"), 1),
            (SummaryKeyType::from("AccountAccessKeysPresent"), 0),
            (SummaryKeyType::from("Users"), 4),
        ]);
        let view = summary_view("123456789012", &summary);
        assert_eq!(view["account_mfa_enabled"], true);
        assert_eq!(view["account_access_keys_present"], false);
        assert_eq!(view["users"], 4);
        assert!(
            view["account_signing_certificates_present"].is_null(),
            "unknown, not false"
        );
    }
}
