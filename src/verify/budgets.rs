//! AWS Budgets budgets and their alert notifications.
//!
//! Calls DescribeBudgets (IAM `budgets:ViewBudget`) for the account of the credentials, and
//! DescribeNotificationsForBudget (also `budgets:ViewBudget`) for each budget, both paginated to
//! the end. Budgets is global: its client is pinned to us-east-1, where its one endpoint signs.
//! Subscribers are not read: AWS refuses a notification without one and deletes a notification
//! with its last subscriber, so every notification listed alerts someone.

use aws_config::SdkConfig;
use futures_util::future::join_all;
use serde_json::{Value as Json, json};

use super::FetchError;
use crate::checklist::expect::FieldType::{Number, Objects, Text};
use crate::checklist::expect::{Field, field};

pub const NOTIFICATION_FIELDS: &[Field] = &[
    field("notification_type", Text, "ACTUAL or FORECASTED spend"),
    field(
        "comparison_operator",
        Text,
        "GREATER_THAN, LESS_THAN or EQUAL_TO",
    ),
    field("threshold", Number, "the threshold"),
    field(
        "threshold_type",
        Text,
        "PERCENTAGE (of the limit) or ABSOLUTE_VALUE",
    ),
    field(
        "notification_state",
        Text,
        "ALARM when it has fired, else OK",
    ),
];

pub const BUDGET_FIELDS: &[Field] = &[
    field("budget_name", Text, "the budget's name"),
    field("budget_type", Text, "COST, USAGE, RI_UTILIZATION, ..."),
    field("time_unit", Text, "DAILY, MONTHLY, QUARTERLY or ANNUALLY"),
    field("limit_amount", Number, "the limit"),
    field("limit_unit", Text, "the limit's unit, like USD"),
    field("actual_spend", Number, "spend so far in the period"),
    field("forecasted_spend", Number, "spend forecast for the period"),
    field(
        "notifications",
        Objects(NOTIFICATION_FIELDS),
        "its alerts, each with a subscriber",
    ),
];

/// Every budget of the account, with its notifications (asked for every budget at once, read back
/// in the budgets' order; budgets of pages after a failed page are not asked about).
pub async fn budgets(global: &SdkConfig, account_id: &str) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_budgets::Client::new(global);
    let pages = client
        .describe_budgets()
        .account_id(account_id)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut budgets = Vec::new();
    let mut page_error = None;
    for page in pages {
        match page {
            Ok(page) => budgets.extend(page.budgets().iter().cloned()),
            Err(e) => {
                page_error = Some(FetchError::from_sdk(
                    "DescribeBudgets",
                    "budgets:ViewBudget",
                    e,
                ));
                break;
            }
        }
    }
    let all_notifications = join_all(
        budgets
            .iter()
            .map(|b| Box::pin(notifications(&client, account_id, b.budget_name()))),
    )
    .await;
    let mut out = Vec::new();
    for (b, notifications) in budgets.iter().zip(all_notifications) {
        let notifications = notifications?;
        let amount = |s: Option<&aws_sdk_budgets::types::Spend>| {
            s.and_then(|s| s.amount().parse::<f64>().ok())
        };
        let spend = b.calculated_spend();
        out.push(json!({
            "budget_name": b.budget_name(),
            "budget_type": b.budget_type().as_str(),
            "time_unit": b.time_unit().as_str(),
            "limit_amount": amount(b.budget_limit()),
            "limit_unit": b.budget_limit().map(|s| s.unit()),
            "actual_spend": amount(spend.and_then(|s| s.actual_spend())),
            "forecasted_spend": amount(spend.and_then(|s| s.forecasted_spend())),
            "notifications": notifications,
        }));
    }
    match page_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

async fn notifications(
    client: &aws_sdk_budgets::Client,
    account_id: &str,
    budget: &str,
) -> Result<Vec<Json>, FetchError> {
    let pages = client
        .describe_notifications_for_budget()
        .account_id(account_id)
        .budget_name(budget)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page.map_err(|e| {
            FetchError::from_sdk("DescribeNotificationsForBudget", "budgets:ViewBudget", e)
        })?;
        for n in page.notifications() {
            out.push(json!({
                "notification_type": n.notification_type().as_str(),
                "comparison_operator": n.comparison_operator().as_str(),
                "threshold": n.threshold(),
                "threshold_type": n.threshold_type().map(|t| t.as_str()),
                "notification_state": n.notification_state().map(|s| s.as_str()),
            }));
        }
    }
    Ok(out)
}
