//! CloudWatch metric alarms and dashboards.
//!
//! Calls DescribeAlarms (IAM `cloudwatch:DescribeAlarms`), ListDashboards
//! (`cloudwatch:ListDashboards`) and, for the dashboards a check selects, GetDashboard
//! (`cloudwatch:GetDashboard`). A dashboard's view lists the metric namespaces and metrics its
//! widgets plot, read from the dashboard body, where `"."` repeats the previous entry's value.

use aws_config::SdkConfig;
use serde_json::{Map, Value as Json, json};

use super::FetchError;
use super::aws::timestamp;
use crate::checklist::expect::FieldType::{Bool, Number, Text, TextList, TextMap, Timestamp};
use crate::checklist::expect::{Field, field};

pub const ALARM_FIELDS: &[Field] = &[
    field("alarm_name", Text, "the alarm's name"),
    field("alarm_arn", Text, "the alarm's ARN"),
    field("namespace", Text, "the metric's namespace, like AWS/RDS"),
    field("metric_name", Text, "the metric, like CPUUtilization"),
    field(
        "dimensions",
        TextMap,
        "dimension name to value; test one as dimensions.NAME",
    ),
    field("statistic", Text, "Average, Sum, Maximum, ..."),
    field("extended_statistic", Text, "a percentile like p99"),
    field("period", Number, "seconds per datapoint"),
    field("evaluation_periods", Number, "datapoints evaluated"),
    field("datapoints_to_alarm", Number, "datapoints that must breach"),
    field("threshold", Number, "the threshold"),
    field(
        "comparison_operator",
        Text,
        "GreaterThanThreshold, LessThanThreshold, ...",
    ),
    field(
        "treat_missing_data",
        Text,
        "missing, breaching, notBreaching, ignore",
    ),
    field("actions_enabled", Bool, "whether the alarm's actions run"),
    field(
        "alarm_actions",
        TextList,
        "ARNs notified on ALARM (SNS topics, ...)",
    ),
    field("ok_actions", TextList, "ARNs notified on OK"),
    field(
        "insufficient_data_actions",
        TextList,
        "ARNs notified on INSUFFICIENT_DATA",
    ),
    field("state_value", Text, "OK, ALARM or INSUFFICIENT_DATA"),
    field("state_reason", Text, "why it is in its state"),
    field(
        "state_updated_timestamp",
        Timestamp,
        "when the state last changed",
    ),
];

pub const DASHBOARD_FIELDS: &[Field] = &[
    field("dashboard_name", Text, "the dashboard's name"),
    field("dashboard_arn", Text, "the dashboard's ARN"),
    field("size", Number, "the body's size in bytes"),
    field("last_modified", Timestamp, "when it was last changed"),
    field("widget_count", Number, "how many widgets it has"),
    field(
        "metric_namespaces",
        TextList,
        "namespaces its widgets plot, like AWS/Lambda",
    ),
    field(
        "metrics",
        TextList,
        "metrics its widgets plot, as NAMESPACE/METRIC",
    ),
];

/// Every metric alarm of the region.
pub async fn alarms(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cloudwatch::Client::new(config);
    let pages = client
        .describe_alarms()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page
            .map_err(|e| FetchError::from_sdk("DescribeAlarms", "cloudwatch:DescribeAlarms", e))?;
        for a in page.metric_alarms() {
            let dimensions: Map<String, Json> = a
                .dimensions()
                .iter()
                .filter_map(|d| Some((d.name()?.to_string(), json!(d.value()?))))
                .collect();
            out.push(json!({
                "alarm_name": a.alarm_name(),
                "alarm_arn": a.alarm_arn(),
                "namespace": a.namespace(),
                "metric_name": a.metric_name(),
                "dimensions": dimensions,
                "statistic": a.statistic().map(|s| s.as_str()),
                "extended_statistic": a.extended_statistic(),
                "period": a.period(),
                "evaluation_periods": a.evaluation_periods(),
                "datapoints_to_alarm": a.datapoints_to_alarm(),
                "threshold": a.threshold(),
                "comparison_operator": a.comparison_operator().map(|c| c.as_str()),
                "treat_missing_data": a.treat_missing_data(),
                "actions_enabled": a.actions_enabled(),
                "alarm_actions": a.alarm_actions(),
                "ok_actions": a.ok_actions(),
                "insufficient_data_actions": a.insufficient_data_actions(),
                "state_value": a.state_value().map(|s| s.as_str()),
                "state_reason": a.state_reason(),
                "state_updated_timestamp": timestamp(a.state_updated_timestamp()),
            }));
        }
    }
    Ok(out)
}

/// Every dashboard's name and summary; bodies come from [`dashboard`].
pub async fn dashboards(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cloudwatch::Client::new(config);
    let pages = client
        .list_dashboards()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::new();
    for page in pages {
        let page = page
            .map_err(|e| FetchError::from_sdk("ListDashboards", "cloudwatch:ListDashboards", e))?;
        for d in page.dashboard_entries() {
            out.push(json!({
                "dashboard_name": d.dashboard_name(),
                "dashboard_arn": d.dashboard_arn(),
                "size": d.size(),
                "last_modified": timestamp(d.last_modified()),
            }));
        }
    }
    Ok(out)
}

/// One dashboard with what its body plots.
pub async fn dashboard(config: &SdkConfig, name: &str) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_cloudwatch::Client::new(config);
    let answer = client
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .map_err(|e| FetchError::from_sdk("GetDashboard", "cloudwatch:GetDashboard", e))?;
    let body: Json =
        serde_json::from_str(answer.dashboard_body().unwrap_or("{}")).map_err(|e| {
            FetchError::new(
                "GetDashboard",
                format!("dashboard {name} has a body that is not JSON: {e}"),
            )
        })?;
    let (widget_count, namespaces, metrics) = plotted(&body);
    Ok(vec![json!({
        "dashboard_name": answer.dashboard_name().unwrap_or(name),
        "dashboard_arn": answer.dashboard_arn(),
        "size": answer.dashboard_body().map(str::len),
        "widget_count": widget_count,
        "metric_namespaces": namespaces,
        "metrics": metrics,
    })])
}

/// The widget count, the namespaces and the `NAMESPACE/METRIC` pairs a dashboard body plots.
fn plotted(body: &Json) -> (usize, Vec<String>, Vec<String>) {
    let widgets = body["widgets"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut namespaces: Vec<String> = Vec::new();
    let mut metrics: Vec<String> = Vec::new();
    for widget in widgets {
        let rows = widget["properties"]["metrics"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut previous: Vec<String> = Vec::new();
        for row in rows {
            let Some(row) = row.as_array() else { continue };
            // A row is [namespace, metric, dim, value, ..., {options}]; "." repeats the previous
            // row's value at that place, and a row of only an options object is an expression.
            let texts: Vec<String> = row
                .iter()
                .enumerate()
                .map_while(|(i, v)| {
                    let text = v.as_str()?;
                    Some(if text == "." {
                        previous.get(i).cloned().unwrap_or_default()
                    } else {
                        text.to_string()
                    })
                })
                .collect();
            if texts.len() >= 2 {
                if !namespaces.contains(&texts[0]) {
                    namespaces.push(texts[0].clone());
                }
                let metric = format!("{}/{}", texts[0], texts[1]);
                if !metrics.contains(&metric) {
                    metrics.push(metric);
                }
                previous = texts;
            }
        }
    }
    (widgets.len(), namespaces, metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_bodies_resolve_the_dot_shorthand() {
        let body = json!({"widgets": [{"properties": {"metrics": [
            ["AWS/Lambda", "Errors", "FunctionName", "a"],
            [".", "Duration", ".", "."],
            [{"expression": "m1 + m2"}],
        ]}}, {"properties": {"markdown": "# notes"}}]});
        let (count, namespaces, metrics) = plotted(&body);
        assert_eq!(count, 2);
        assert_eq!(namespaces, vec!["AWS/Lambda"]);
        assert_eq!(metrics, vec!["AWS/Lambda/Errors", "AWS/Lambda/Duration"]);
    }
}
