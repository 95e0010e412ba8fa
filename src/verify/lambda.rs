//! Lambda functions: their deployment state, VPC placement and environment variable names.
//!
//! Calls ListFunctions (IAM `lambda:ListFunctions`), paginated to the end; the configurations it
//! returns carry every field checked here. Environment variable values are read only to tell
//! whether a variable whose name looks secret (SECRET, PASSWORD, TOKEN, KEY, ...) holds the
//! secret itself rather than a reference to Secrets Manager, SSM Parameter Store or KMS; the
//! views keep the variables' names, never their values.

use aws_config::SdkConfig;
use serde_json::{Value as Json, json};

use super::FetchError;
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextList};
use crate::checklist::expect::{Field, field};

pub const FUNCTION_FIELDS: &[Field] = &[
    field("function_name", Text, "the function's name"),
    field("function_arn", Text, "the function's ARN"),
    field("runtime", Text, "like nodejs20.x"),
    field("handler", Text, "the handler"),
    field("role", Text, "the execution role's ARN"),
    field("description", Text, "its description"),
    field("memory_size", Number, "MB of memory"),
    field("timeout", Number, "seconds before it is stopped"),
    field(
        "last_modified",
        Text,
        "when its code or configuration changed",
    ),
    field("state", Text, "Pending, Active, Inactive or Failed"),
    field("state_reason", Text, "why it is in its state"),
    field(
        "last_update_status",
        Text,
        "Successful, Failed or InProgress",
    ),
    field("package_type", Text, "Zip or Image"),
    field("architectures", TextList, "x86_64, arm64"),
    field("in_vpc", Bool, "derived: it runs in VPC subnets"),
    field("vpc_id", Text, "its VPC"),
    field("subnet_ids", TextList, "its subnets"),
    field("security_group_ids", TextList, "its security groups"),
    field(
        "environment_variable_names",
        TextList,
        "names of its environment variables (never their values)",
    ),
    field(
        "plaintext_secret_variables",
        TextList,
        "derived: variables named like a secret whose value is not a Secrets Manager, SSM or \
         KMS reference",
    ),
    field("tracing_mode", Text, "Active or PassThrough"),
    field(
        "kms_key_arn",
        Text,
        "the customer key encrypting its environment",
    ),
    field("dead_letter_target_arn", Text, "where failed events go"),
    field("layers", TextList, "ARNs of its layers"),
];

/// Every function of the region ($LATEST).
pub async fn functions(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_lambda::Client::new(config);
    let pages = client
        .list_functions()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page =
            page.map_err(|e| FetchError::from_sdk("ListFunctions", "lambda:ListFunctions", e))?;
        for f in page.functions() {
            let vpc = f.vpc_config();
            let subnets = vpc.map(|v| v.subnet_ids()).unwrap_or_default();
            let variables = f.environment().and_then(|e| e.variables());
            let mut names: Vec<&str> = variables
                .map(|v| v.keys().map(String::as_str).collect())
                .unwrap_or_default();
            names.sort_unstable();
            let plaintext: Vec<&str> = names
                .iter()
                .copied()
                .filter(|name| {
                    let value = variables.and_then(|v| v.get(*name)).map(String::as_str);
                    holds_plaintext_secret(name, value.unwrap_or_default())
                })
                .collect();
            let architectures: Vec<&str> = f.architectures().iter().map(|a| a.as_str()).collect();
            let layers: Vec<&str> = f.layers().iter().filter_map(|l| l.arn()).collect();
            out.push(json!({
                "function_name": f.function_name(),
                "function_arn": f.function_arn(),
                "runtime": f.runtime().map(|r| r.as_str()),
                "handler": f.handler(),
                "role": f.role(),
                "description": f.description(),
                "memory_size": f.memory_size(),
                "timeout": f.timeout(),
                "last_modified": f.last_modified(),
                "state": f.state().map(|s| s.as_str()),
                "state_reason": f.state_reason(),
                "last_update_status": f.last_update_status().map(|s| s.as_str()),
                "package_type": f.package_type().map(|p| p.as_str()),
                "architectures": architectures,
                // A function outside any VPC reports an empty subnet list (and no VPC id).
                "in_vpc": !subnets.is_empty(),
                "vpc_id": vpc.and_then(|v| v.vpc_id()).filter(|id| !id.is_empty()),
                "subnet_ids": subnets,
                "security_group_ids": vpc.map(|v| v.security_group_ids()).unwrap_or_default(),
                "environment_variable_names": names,
                "plaintext_secret_variables": plaintext,
                "tracing_mode": f.tracing_config().and_then(|t| t.mode()).map(|m| m.as_str()),
                "kms_key_arn": f.kms_key_arn(),
                "dead_letter_target_arn": f.dead_letter_config().and_then(|d| d.target_arn()),
                "layers": layers,
            }));
        }
    }
    Ok(out)
}

/// Name parts that mark a variable as holding a secret.
const SECRET_WORDS: &[&str] = &[
    "SECRET",
    "SECRETS",
    "PASSWORD",
    "PASSWD",
    "PWD",
    "TOKEN",
    "KEY",
    "APIKEY",
    "PRIVATEKEY",
    "CREDENTIAL",
    "CREDENTIALS",
];

/// Name endings that say the value names where the secret is kept, not the secret.
const REFERENCE_ENDINGS: &[&str] = &["ARN", "NAME", "ID", "PARAM", "PARAMETER", "PATH"];

/// Whether a variable named like a secret holds a value that is not a reference to one.
// TODO: a secret under an innocent name (DB_URL with a password inside) is not found: values
// are not inspected beyond telling a reference from a literal.
fn holds_plaintext_secret(name: &str, value: &str) -> bool {
    let words = words(name);
    let looks_secret = words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()));
    if !looks_secret || value.trim().is_empty() {
        return false;
    }
    let names_a_reference = words
        .last()
        .is_some_and(|w| REFERENCE_ENDINGS.contains(&w.as_str()));
    let is_reference = ["secretsmanager", "ssm", "kms"]
        .iter()
        .any(|service| value.starts_with("arn:aws") && value.split(':').nth(2) == Some(service));
    !(names_a_reference || is_reference)
}

/// A variable name's words in upper case: `JWT_SECRET` and `jwtSecret` are both JWT, SECRET.
fn words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            previous_lower = false;
            words.push(String::new());
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower {
            words.push(String::new());
        }
        if words.is_empty() {
            words.push(String::new());
        }
        if let Some(word) = words.last_mut() {
            word.push(c.to_ascii_uppercase());
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    words.retain(|w| !w.is_empty());
    words
}

#[cfg(test)]
mod tests {
    use super::holds_plaintext_secret;

    #[test]
    fn secret_looking_names_with_literal_values_are_flagged() {
        assert!(holds_plaintext_secret("JWT_SECRET", "s3cr3t"));
        assert!(holds_plaintext_secret("DB_PASSWORD", "hunter2"));
        assert!(holds_plaintext_secret("stripeApiKey", "sk_live_x"));
        assert!(holds_plaintext_secret("STRIPE_API_KEY", "sk_live_x"));
        assert!(holds_plaintext_secret("GITHUB_TOKEN", "ghp_x"));
    }

    #[test]
    fn references_and_ordinary_names_are_not() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt-AbC";
        assert!(!holds_plaintext_secret("JWT_SECRET", arn));
        assert!(!holds_plaintext_secret("JWT_SECRET_ARN", "anything"));
        assert!(!holds_plaintext_secret(
            "DB_SECRET_NAME",
            "barkbase/prod/db"
        ));
        assert!(!holds_plaintext_secret(
            "API_KEY",
            "arn:aws:ssm:us-east-1:123456789012:parameter/api-key"
        ));
        assert!(!holds_plaintext_secret("STAGE", "prod"));
        assert!(
            !holds_plaintext_secret("MONKEY_MODE", "on"),
            "KEY must be a whole word"
        );
        assert!(!holds_plaintext_secret("JWT_SECRET", ""));
    }
}
