//! WAF (WAFv2) web ACLs of CloudFront scope, with their rules.
//!
//! Calls ListWebACLs with Scope=CLOUDFRONT in us-east-1 (IAM `wafv2:ListWebACLs`), paginated by
//! hand to the end, and GetWebACL (`wafv2:GetWebACL`) only for the ACLs a check selects. Each
//! ACL carries the aliases of the CloudFront distributions that use it (from ListDistributions),
//! so a checklist can name "the ACL in front of app.example.com". Rules are objects: what their
//! statements are (rate-based, a managed rule group, geo match, IP set, ...), whether they only
//! count, and which rules of a managed group are overridden.

use aws_config::SdkConfig;
use aws_sdk_wafv2::types::{Scope, Statement};
use serde_json::{Value as Json, json};

use super::FetchError;
use super::aws::next_page;
use crate::checklist::expect::FieldType::{Bool, Number, Objects, Text, TextList};
use crate::checklist::expect::{Field, field};

const RULE_FIELDS: &[Field] = &[
    field("name", Text, "the rule's name"),
    field("priority", Number, "lower runs first"),
    field(
        "statement",
        Text,
        "the top statement: rate_based, managed_rule_group, geo_match, ip_set_reference, ...",
    ),
    field(
        "statements",
        TextList,
        "every statement in the rule, nested ones (not, and, scope-down) included",
    ),
    field(
        "action",
        Text,
        "Block, Allow, Count, Captcha or Challenge (rules with their own statement)",
    ),
    field(
        "override_action",
        Text,
        "None or Count (rule groups: None keeps the group's own actions)",
    ),
    field(
        "count_only",
        Bool,
        "derived: the rule only counts matches (action or override Count)",
    ),
    field(
        "managed_rule_group",
        Text,
        "the managed group's name, like AWSManagedRulesSQLiRuleSet",
    ),
    field("vendor_name", Text, "the managed group's vendor, like AWS"),
    field(
        "overridden_rules",
        TextList,
        "rules of the group excluded or overridden to another action",
    ),
    field("rule_group_arn", Text, "the rule group it references"),
    field(
        "rate_limit",
        Number,
        "requests allowed per window and key (rate-based rules)",
    ),
    field(
        "rate_window_seconds",
        Number,
        "the rate-based rule's window in seconds",
    ),
    field(
        "rate_aggregate_key",
        Text,
        "what the rate is counted per: IP, FORWARDED_IP, CUSTOM_KEYS, CONSTANT",
    ),
    field(
        "country_codes",
        TextList,
        "countries of its geo-match statements",
    ),
    field("ip_set_arns", TextList, "IP sets it references"),
];

pub const WEB_ACL_FIELDS: &[Field] = &[
    field("name", Text, "the web ACL's name"),
    field("id", Text, "the web ACL's id"),
    field("arn", Text, "the web ACL's ARN"),
    field("description", Text, "its description"),
    field(
        "distribution_aliases",
        TextList,
        "aliases of the CloudFront distributions that use it",
    ),
    field("default_action", Text, "Allow or Block"),
    field("capacity", Number, "web ACL capacity units used"),
    field("rules", Objects(RULE_FIELDS), "its rules"),
];

/// The fields a summary from ListWebACLs carries, so GetWebACL is called only for selected ACLs.
pub const SUMMARY_FIELDS: &[&str] = &["name", "id", "arn", "description", "distribution_aliases"];

/// Every CloudFront-scope web ACL, as summaries; `config` must be pinned to us-east-1.
// TODO: REGIONAL ACLs (on API Gateway stages, load balancers) are not listed; a REST stage's
// `web_acl_arn` names its ACL, but its rules cannot be checked yet.
pub async fn web_acls(config: &SdkConfig) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_wafv2::Client::new(config);
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_web_acls()
            .scope(Scope::Cloudfront)
            .set_next_marker(marker.clone())
            .send()
            .await
            .map_err(|e| FetchError::from_sdk("ListWebACLs", "wafv2:ListWebACLs", e))?;
        for acl in page.web_acls() {
            out.push(json!({
                "name": acl.name(),
                "id": acl.id(),
                "arn": acl.arn(),
                "description": acl.description(),
            }));
        }
        // WAF may answer a marker with an empty last page; an empty page ends the listing.
        if page.web_acls().is_empty() {
            break;
        }
        match next_page("ListWebACLs", marker.as_deref(), page.next_marker())? {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    Ok(out)
}

/// Gives each ACL the aliases of the distributions whose `web_acl_id` names it. CloudFront
/// holds a WAFv2 ACL by its ARN (and a WAF Classic one by its id).
pub fn with_distributions(mut acls: Vec<Json>, distributions: &[Json]) -> Vec<Json> {
    for acl in &mut acls {
        let aliases: Vec<Json> = distributions
            .iter()
            .filter(|d| {
                let used = &d["web_acl_id"];
                !used.is_null() && (*used == acl["arn"] || *used == acl["id"])
            })
            .flat_map(|d| d["aliases"].as_array().cloned().unwrap_or_default())
            .collect();
        acl["distribution_aliases"] = Json::Array(aliases);
    }
    acls
}

/// One ACL in full: its summary with the default action, capacity and rules.
pub async fn web_acl(config: &SdkConfig, summary: &Json) -> Result<Vec<Json>, FetchError> {
    let client = aws_sdk_wafv2::Client::new(config);
    let answer = client
        .get_web_acl()
        .scope(Scope::Cloudfront)
        .set_name(summary["name"].as_str().map(str::to_string))
        .set_id(summary["id"].as_str().map(str::to_string))
        .send()
        .await
        .map_err(|e| FetchError::from_sdk("GetWebACL", "wafv2:GetWebACL", e))?;
    let Some(acl) = answer.web_acl() else {
        return Err(FetchError::new(
            "GetWebACL",
            format!("no web ACL in the answer for {}", summary["name"]),
        ));
    };
    let default_action = acl.default_action().map(|a| {
        if a.block().is_some() {
            "Block"
        } else {
            "Allow"
        }
    });
    let rules: Vec<Json> = acl.rules().iter().map(rule).collect();
    let mut out = summary.clone();
    out["default_action"] = json!(default_action);
    out["capacity"] = json!(acl.capacity());
    out["rules"] = Json::Array(rules);
    Ok(vec![out])
}

fn rule(rule: &aws_sdk_wafv2::types::Rule) -> Json {
    let action = rule.action().map(|a| {
        if a.block().is_some() {
            "Block"
        } else if a.allow().is_some() {
            "Allow"
        } else if a.count().is_some() {
            "Count"
        } else if a.captcha().is_some() {
            "Captcha"
        } else if a.challenge().is_some() {
            "Challenge"
        } else {
            "Other"
        }
    });
    let override_action = rule
        .override_action()
        .map(|o| if o.count().is_some() { "Count" } else { "None" });
    let mut found = Found::default();
    if let Some(statement) = rule.statement() {
        found.walk(statement);
    }
    let mut view = json!({
        "name": rule.name(),
        "priority": rule.priority(),
        "statement": found.kinds.first(),
        "statements": found.kinds,
        "action": action,
        "override_action": override_action,
        "count_only": action == Some("Count") || override_action == Some("Count"),
        "managed_rule_group": found.managed_group,
        "vendor_name": found.vendor,
        "overridden_rules": found.overridden,
        "rule_group_arn": found.rule_group_arn,
        "rate_limit": found.rate_limit,
        "rate_window_seconds": found.rate_window,
        "rate_aggregate_key": found.rate_key,
        "country_codes": found.countries,
        "ip_set_arns": found.ip_sets,
    });
    // Absent rather than null keeps evidence about a list of rules short.
    if let Some(fields) = view.as_object_mut() {
        fields.retain(|_, v| !v.is_null());
    }
    view
}

/// What a rule's statement tree holds, gathered in one walk.
#[derive(Default)]
struct Found {
    kinds: Vec<&'static str>,
    managed_group: Option<String>,
    vendor: Option<String>,
    overridden: Vec<String>,
    rule_group_arn: Option<String>,
    rate_limit: Option<i64>,
    rate_window: Option<i64>,
    rate_key: Option<String>,
    countries: Vec<String>,
    ip_sets: Vec<String>,
}

impl Found {
    fn walk(&mut self, s: &Statement) {
        if let Some(rate) = s.rate_based_statement() {
            self.kinds.push("rate_based");
            self.rate_limit = Some(rate.limit());
            // 0 means the default window of 300 seconds.
            self.rate_window = Some(match rate.evaluation_window_sec() {
                0 => 300,
                n => n,
            });
            self.rate_key = Some(rate.aggregate_key_type().as_str().to_string());
            if let Some(inner) = rate.scope_down_statement() {
                self.walk(inner);
            }
        }
        if let Some(group) = s.managed_rule_group_statement() {
            self.kinds.push("managed_rule_group");
            self.managed_group = Some(group.name().to_string());
            self.vendor = Some(group.vendor_name().to_string());
            self.overridden
                .extend(group.excluded_rules().iter().map(|r| r.name().to_string()));
            self.overridden.extend(
                group
                    .rule_action_overrides()
                    .iter()
                    .map(|r| r.name().to_string()),
            );
            if let Some(inner) = group.scope_down_statement() {
                self.walk(inner);
            }
        }
        if let Some(group) = s.rule_group_reference_statement() {
            self.kinds.push("rule_group_reference");
            self.rule_group_arn = Some(group.arn().to_string());
            self.overridden
                .extend(group.excluded_rules().iter().map(|r| r.name().to_string()));
            self.overridden.extend(
                group
                    .rule_action_overrides()
                    .iter()
                    .map(|r| r.name().to_string()),
            );
        }
        if let Some(geo) = s.geo_match_statement() {
            self.kinds.push("geo_match");
            self.countries
                .extend(geo.country_codes().iter().map(|c| c.as_str().to_string()));
        }
        if let Some(ip_set) = s.ip_set_reference_statement() {
            self.kinds.push("ip_set_reference");
            self.ip_sets.push(ip_set.arn().to_string());
        }
        if let Some(not) = s.not_statement() {
            self.kinds.push("not");
            if let Some(inner) = not.statement() {
                self.walk(inner);
            }
        }
        if let Some(and) = s.and_statement() {
            self.kinds.push("and");
            and.statements().iter().for_each(|inner| self.walk(inner));
        }
        if let Some(or) = s.or_statement() {
            self.kinds.push("or");
            or.statements().iter().for_each(|inner| self.walk(inner));
        }
        let leaves = [
            (s.byte_match_statement().is_some(), "byte_match"),
            (s.sqli_match_statement().is_some(), "sqli_match"),
            (s.xss_match_statement().is_some(), "xss_match"),
            (s.size_constraint_statement().is_some(), "size_constraint"),
            (
                s.regex_pattern_set_reference_statement().is_some(),
                "regex_pattern_set_reference",
            ),
            (s.label_match_statement().is_some(), "label_match"),
            (s.regex_match_statement().is_some(), "regex_match"),
            (s.asn_match_statement().is_some(), "asn_match"),
        ];
        self.kinds
            .extend(leaves.iter().filter(|(set, _)| *set).map(|(_, kind)| *kind));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acls_carry_the_aliases_of_the_distributions_using_them_by_arn_or_id() {
        let acls = vec![
            json!({"name": "a", "id": "1", "arn": "arn:aws:wafv2:us-east-1:1:global/webacl/a/1"}),
            json!({"name": "b", "id": "2", "arn": "arn:aws:wafv2:us-east-1:1:global/webacl/b/2"}),
        ];
        let distributions = vec![
            json!({"aliases": ["app.example.com"],
                   "web_acl_id": "arn:aws:wafv2:us-east-1:1:global/webacl/a/1"}),
            json!({"aliases": ["old.example.com"], "web_acl_id": "2"}),
            json!({"aliases": ["bare.example.com"], "web_acl_id": null}),
        ];
        let joined = with_distributions(acls, &distributions);
        assert_eq!(
            joined[0]["distribution_aliases"],
            json!(["app.example.com"])
        );
        assert_eq!(
            joined[1]["distribution_aliases"],
            json!(["old.example.com"])
        );
    }

    #[test]
    fn a_rate_rule_scoped_down_to_a_country_allowlist_reports_every_statement() {
        use aws_sdk_wafv2::types::{
            CountAction, CountryCode, GeoMatchStatement, NotStatement, RateBasedStatement,
            RateBasedStatementAggregateKeyType, RuleAction,
        };
        let geo = Statement::builder()
            .geo_match_statement(
                GeoMatchStatement::builder()
                    .country_codes(CountryCode::Us)
                    .country_codes(CountryCode::Ca)
                    .build(),
            )
            .build();
        let not_allowed = Statement::builder()
            .not_statement(NotStatement::builder().statement(geo).build())
            .build();
        let rate = RateBasedStatement::builder()
            .limit(2000)
            .aggregate_key_type(RateBasedStatementAggregateKeyType::Ip)
            .scope_down_statement(not_allowed)
            .build()
            .unwrap();
        let built = aws_sdk_wafv2::types::Rule::builder()
            .name("limit")
            .priority(0)
            .statement(Statement::builder().rate_based_statement(rate).build())
            .action(
                RuleAction::builder()
                    .count(CountAction::builder().build())
                    .build(),
            )
            .build()
            .unwrap();
        let view = rule(&built);
        assert_eq!(view["statement"], "rate_based");
        assert_eq!(
            view["statements"],
            json!(["rate_based", "not", "geo_match"])
        );
        assert_eq!(view["country_codes"], json!(["US", "CA"]));
        assert_eq!(view["rate_window_seconds"], 300);
        assert_eq!(view["count_only"], true);
        assert!(view.get("managed_rule_group").is_none());
    }
}
