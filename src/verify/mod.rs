//! Automated verifiers: the resource kinds a checklist can test, and how a check is decided.
//!
//! Each kind has a field catalog (what a checklist may test, with types, documented in
//! `barkcheck fields`), a listing that fetches every resource of the kind once per run, and a
//! JSON view of each resource. A check selects resources from the listing and compares fields;
//! the [`Verdict`] carries the evidence. A failed call is an ERROR with its cause, and a
//! selector that matches nothing is a FAIL that says so: neither is ever a pass.
//!
//! `AWS_CALLS` says, kind by kind, which AWS calls a check makes and which IAM actions they
//! need; `barkcheck explain` and `barkcheck iam-policy` read it.

mod acm;
mod apigateway;
mod apigatewayv2;
pub mod aws;
mod budgets;
mod cloudformation;
mod cloudfront;
mod cloudtrail;
mod cloudwatch;
mod cognito;
mod command;
mod config_recorder;
mod dns;
mod http;
mod iam;
pub mod inventory;
mod lambda;
mod local;
mod logs;
mod logs_insights;
mod pacing;
mod postgres;
pub mod probe;
mod rds;
mod rds_security;
pub mod roots;
mod route53;
mod s3;
mod secrets;
mod sns;
mod storage;
mod tls;
mod vpc;
mod waf;
mod websocket;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::checklist::expect::{self, Field, Matcher};
use crate::checklist::{Check, MatchMode};
pub use inventory::{FetchError, Inventory, Listing, Settings};
pub use pacing::DEFAULT_MAX_CONCURRENCY;

/// A kind of resource a `verify:` block can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    RdsInstance,
    RdsCluster,
    CloudwatchAlarm,
    CloudwatchDashboard,
    LogGroup,
    CloudfrontDistribution,
    CloudformationStack,
    PostgresServer,
    PostgresSchema,
    PostgresTable,
    PostgresIndex,
    PostgresForeignKey,
    LocalSecret,
    GitFile,
    Command,
    SnsTopic,
    SnsSubscription,
    Secret,
    CloudtrailTrail,
    ConfigRecorder,
    Budget,
    IamAccount,
    Subnet,
    SecurityGroup,
    NatGateway,
    VpcEndpoint,
    FlowLog,
    DbSubnetGroup,
    DbParameterGroup,
    RdsProxy,
    LogsQueryDefinition,
    WafWebAcl,
    AcmCertificate,
    Route53HostedZone,
    Route53Record,
    CognitoUserPool,
    ApiGatewayRestApi,
    ApiGatewayRestStage,
    ApiGatewayV2Api,
    ApiGatewayV2Stage,
    LambdaFunction,
    S3Bucket,
    DataStore,
    CloudfrontInvalidations,
    Http,
    HttpLatency,
    Tls,
    Websocket,
    Dns,
}

/// How a kind whose listing holds summaries gets whole resources: the calls that complete them
/// are made only for the summaries a check's selector can pick.
#[derive(Clone, Copy, Debug)]
pub enum Summaries {
    /// Each summary is completed into one resource; these resource fields are on the summary.
    Completed(&'static [&'static str]),
    /// Each summary (an API, a hosted zone) stands for several resources (its stages, its
    /// records), which carry these of its fields as (resource field, summary field).
    Expanded(&'static [(&'static str, &'static str)]),
}

/// A target that a probing kind cannot use, found at load time: where (steps below the kind's
/// key) and why.
#[derive(Debug)]
pub struct TargetProblem {
    pub steps: Vec<String>,
    pub message: String,
    /// Whether the problem is the key itself (an unknown one), not its value.
    pub key: bool,
}

impl TargetProblem {
    pub fn new(message: impl Into<String>) -> TargetProblem {
        TargetProblem {
            steps: Vec::new(),
            message: message.into(),
            key: false,
        }
    }

    pub fn at(step: &str, message: impl Into<String>) -> TargetProblem {
        TargetProblem {
            steps: vec![step.to_string()],
            ..TargetProblem::new(message)
        }
    }

    /// An unknown key, reported where the key is written.
    pub fn unknown_key(key: &str, allowed: &[&str]) -> TargetProblem {
        TargetProblem {
            key: true,
            ..TargetProblem::at(
                key,
                format!("unknown key `{key}` (keys: {})", allowed.join(", ")),
            )
        }
    }
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::RdsInstance,
        Kind::RdsCluster,
        Kind::CloudwatchAlarm,
        Kind::CloudwatchDashboard,
        Kind::LogGroup,
        Kind::CloudfrontDistribution,
        Kind::CloudformationStack,
        Kind::PostgresServer,
        Kind::PostgresSchema,
        Kind::PostgresTable,
        Kind::PostgresIndex,
        Kind::PostgresForeignKey,
        Kind::LocalSecret,
        Kind::GitFile,
        Kind::Command,
        Kind::SnsTopic,
        Kind::SnsSubscription,
        Kind::Secret,
        Kind::CloudtrailTrail,
        Kind::ConfigRecorder,
        Kind::Budget,
        Kind::IamAccount,
        Kind::Subnet,
        Kind::SecurityGroup,
        Kind::NatGateway,
        Kind::VpcEndpoint,
        Kind::FlowLog,
        Kind::DbSubnetGroup,
        Kind::DbParameterGroup,
        Kind::RdsProxy,
        Kind::LogsQueryDefinition,
        Kind::WafWebAcl,
        Kind::AcmCertificate,
        Kind::Route53HostedZone,
        Kind::Route53Record,
        Kind::CognitoUserPool,
        Kind::ApiGatewayRestApi,
        Kind::ApiGatewayRestStage,
        Kind::ApiGatewayV2Api,
        Kind::ApiGatewayV2Stage,
        Kind::LambdaFunction,
        Kind::S3Bucket,
        Kind::DataStore,
        Kind::CloudfrontInvalidations,
        Kind::Http,
        Kind::HttpLatency,
        Kind::Tls,
        Kind::Websocket,
        Kind::Dns,
    ];

    /// The word used in checklist files.
    pub fn name(self) -> &'static str {
        match self {
            Kind::RdsInstance => "rds_instance",
            Kind::RdsCluster => "rds_cluster",
            Kind::CloudwatchAlarm => "cloudwatch_alarm",
            Kind::CloudwatchDashboard => "cloudwatch_dashboard",
            Kind::LogGroup => "log_group",
            Kind::CloudfrontDistribution => "cloudfront_distribution",
            Kind::CloudformationStack => "cloudformation_stack",
            Kind::PostgresServer => "postgres_server",
            Kind::PostgresSchema => "postgres_schema",
            Kind::PostgresTable => "postgres_table",
            Kind::PostgresIndex => "postgres_index",
            Kind::PostgresForeignKey => "postgres_foreign_key",
            Kind::LocalSecret => "local_secret",
            Kind::GitFile => "git_file",
            Kind::Command => "command",
            Kind::SnsTopic => "sns_topic",
            Kind::SnsSubscription => "sns_subscription",
            Kind::Secret => "secret",
            Kind::CloudtrailTrail => "cloudtrail_trail",
            Kind::ConfigRecorder => "config_recorder",
            Kind::Budget => "budget",
            Kind::IamAccount => "iam_account",
            Kind::Subnet => "subnet",
            Kind::SecurityGroup => "security_group",
            Kind::NatGateway => "nat_gateway",
            Kind::VpcEndpoint => "vpc_endpoint",
            Kind::FlowLog => "flow_log",
            Kind::DbSubnetGroup => "db_subnet_group",
            Kind::DbParameterGroup => "db_parameter_group",
            Kind::RdsProxy => "rds_proxy",
            Kind::LogsQueryDefinition => "logs_query_definition",
            Kind::WafWebAcl => "waf_web_acl",
            Kind::AcmCertificate => "acm_certificate",
            Kind::Route53HostedZone => "route53_hosted_zone",
            Kind::Route53Record => "route53_record",
            Kind::CognitoUserPool => "cognito_user_pool",
            Kind::ApiGatewayRestApi => "api_gateway_rest_api",
            Kind::ApiGatewayRestStage => "api_gateway_rest_stage",
            Kind::ApiGatewayV2Api => "api_gateway_v2_api",
            Kind::ApiGatewayV2Stage => "api_gateway_v2_stage",
            Kind::LambdaFunction => "lambda_function",
            Kind::S3Bucket => "s3_bucket",
            Kind::DataStore => "data_store",
            Kind::CloudfrontInvalidations => "cloudfront_invalidations",
            Kind::Http => "http",
            Kind::HttpLatency => "http_latency",
            Kind::Tls => "tls",
            Kind::Websocket => "websocket",
            Kind::Dns => "dns",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// What a checklist may test on this kind.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::RdsInstance => rds::INSTANCE_FIELDS,
            Kind::RdsCluster => rds::CLUSTER_FIELDS,
            Kind::CloudwatchAlarm => cloudwatch::ALARM_FIELDS,
            Kind::CloudwatchDashboard => cloudwatch::DASHBOARD_FIELDS,
            Kind::LogGroup => logs::LOG_GROUP_FIELDS,
            Kind::CloudfrontDistribution => cloudfront::DISTRIBUTION_FIELDS,
            Kind::CloudformationStack => cloudformation::STACK_FIELDS,
            Kind::PostgresServer => postgres::SERVER_FIELDS,
            Kind::PostgresSchema => postgres::SCHEMA_FIELDS,
            Kind::PostgresTable => postgres::TABLE_FIELDS,
            Kind::PostgresIndex => postgres::INDEX_FIELDS,
            Kind::PostgresForeignKey => postgres::FOREIGN_KEY_FIELDS,
            Kind::LocalSecret => local::SECRET_FIELDS,
            Kind::GitFile => local::GIT_FILE_FIELDS,
            Kind::Command => command::COMMAND_FIELDS,
            Kind::SnsTopic => sns::TOPIC_FIELDS,
            Kind::SnsSubscription => sns::SUBSCRIPTION_FIELDS,
            Kind::Secret => secrets::SECRET_FIELDS,
            Kind::CloudtrailTrail => cloudtrail::TRAIL_FIELDS,
            Kind::ConfigRecorder => config_recorder::RECORDER_FIELDS,
            Kind::Budget => budgets::BUDGET_FIELDS,
            Kind::IamAccount => iam::ACCOUNT_FIELDS,
            Kind::Subnet => vpc::SUBNET_FIELDS,
            Kind::SecurityGroup => vpc::SECURITY_GROUP_FIELDS,
            Kind::NatGateway => vpc::NAT_GATEWAY_FIELDS,
            Kind::VpcEndpoint => vpc::VPC_ENDPOINT_FIELDS,
            Kind::FlowLog => vpc::FLOW_LOG_FIELDS,
            Kind::DbSubnetGroup => rds_security::SUBNET_GROUP_FIELDS,
            Kind::DbParameterGroup => rds_security::PARAMETER_GROUP_FIELDS,
            Kind::RdsProxy => rds_security::PROXY_FIELDS,
            Kind::LogsQueryDefinition => logs_insights::QUERY_DEFINITION_FIELDS,
            Kind::WafWebAcl => waf::WEB_ACL_FIELDS,
            Kind::AcmCertificate => acm::CERTIFICATE_FIELDS,
            Kind::Route53HostedZone => route53::ZONE_FIELDS,
            Kind::Route53Record => route53::RECORD_FIELDS,
            Kind::CognitoUserPool => cognito::USER_POOL_FIELDS,
            Kind::ApiGatewayRestApi => apigateway::REST_API_FIELDS,
            Kind::ApiGatewayRestStage => apigateway::REST_STAGE_FIELDS,
            Kind::ApiGatewayV2Api => apigatewayv2::API_FIELDS,
            Kind::ApiGatewayV2Stage => apigatewayv2::V2_STAGE_FIELDS,
            Kind::LambdaFunction => lambda::FUNCTION_FIELDS,
            Kind::S3Bucket => s3::BUCKET_FIELDS,
            Kind::DataStore => storage::DATA_STORE_FIELDS,
            Kind::CloudfrontInvalidations => cloudfront::INVALIDATIONS_FIELDS,
            Kind::Http => http::HTTP_FIELDS,
            Kind::HttpLatency => http::LATENCY_FIELDS,
            Kind::Tls => tls::TLS_FIELDS,
            Kind::Websocket => websocket::WEBSOCKET_FIELDS,
            Kind::Dns => dns::DNS_FIELDS,
        }
    }

    /// The field a plain-text selector (`rds_instance: barkbase-prod`) is compared with.
    fn key_field(self) -> &'static str {
        match self {
            Kind::RdsInstance => "db_instance_identifier",
            Kind::RdsCluster => "db_cluster_identifier",
            Kind::CloudwatchAlarm => "alarm_name",
            Kind::CloudwatchDashboard => "dashboard_name",
            Kind::LogGroup => "log_group_name",
            Kind::CloudfrontDistribution => "aliases",
            Kind::CloudformationStack => "stack_name",
            Kind::WafWebAcl => "name",
            Kind::AcmCertificate => "domain_name",
            Kind::Route53HostedZone => "name",
            Kind::Route53Record => "name",
            Kind::CognitoUserPool => "name",
            Kind::ApiGatewayRestApi => "name",
            Kind::ApiGatewayRestStage => "api_name",
            Kind::ApiGatewayV2Api => "name",
            Kind::ApiGatewayV2Stage => "api_name",
            Kind::LambdaFunction => "function_name",
            Kind::S3Bucket => "name",
            Kind::DataStore => "name",
            Kind::CloudfrontInvalidations => "aliases",
            Kind::PostgresServer => "endpoint",
            Kind::PostgresSchema => "schema",
            Kind::PostgresTable => "table",
            Kind::PostgresIndex | Kind::PostgresForeignKey | Kind::LocalSecret => "name",
            Kind::GitFile => "path",
            Kind::Command => "command",
            Kind::SnsTopic => "topic_name",
            Kind::SnsSubscription => "subscription_arn",
            Kind::Secret => "name",
            Kind::CloudtrailTrail => "name",
            Kind::ConfigRecorder => "name",
            Kind::Budget => "budget_name",
            Kind::IamAccount => "account_id",
            Kind::Subnet => "subnet_id",
            Kind::SecurityGroup => "group_name",
            Kind::NatGateway => "nat_gateway_id",
            Kind::VpcEndpoint => "vpc_endpoint_id",
            Kind::FlowLog => "flow_log_id",
            Kind::DbSubnetGroup => "db_subnet_group_name",
            Kind::DbParameterGroup => "db_parameter_group_name",
            Kind::RdsProxy => "db_proxy_name",
            Kind::LogsQueryDefinition => "name",
            Kind::Http | Kind::HttpLatency | Kind::Websocket => "url",
            Kind::Tls => "endpoint",
            Kind::Dns => "name",
        }
    }

    /// What a plain-text selector names, for messages; for a probing kind, its target's shape.
    pub fn key_doc(self) -> &'static str {
        match self {
            Kind::PostgresServer => "a database_url (env:NAME or secret:ID), or {database_url}",
            Kind::PostgresSchema => "a database_url, or {database_url, schema}",
            Kind::PostgresTable => "{database_url, table} or {database_url, tables: [...]}",
            Kind::PostgresIndex => "{database_url, table}",
            Kind::PostgresForeignKey => "{database_url, table}, or {database_url} for all",
            Kind::LocalSecret => "a variable's name, or {name, env_file, previous}",
            Kind::GitFile => "{repo, path}",
            Kind::Command => "{argv: [PROGRAM, ARG, ...], cwd, timeout, json, env}",
            Kind::CloudfrontDistribution | Kind::CloudfrontInvalidations => {
                "domain name (one of its aliases)"
            }
            Kind::ApiGatewayRestStage | Kind::ApiGatewayV2Stage => {
                "api_name (every stage of the API; select one with {api_name, stage_name})"
            }
            Kind::Http => "URL, or {url, method, headers, follow_redirects, cors}",
            Kind::HttpLatency => "{url, requests, timeout_ms}",
            Kind::Tls => "host:port, or an https:// or wss:// URL",
            Kind::Websocket => "ws:// or wss:// URL, or {url, headers}",
            Kind::Dns => "name, or {name, type}",
            _ => self.key_field(),
        }
    }

    /// The selector a plain text stands for.
    pub fn key_selector(self, key: &str) -> (String, Matcher) {
        let wanted = Json::String(key.to_string());
        let matcher = match self {
            Kind::CloudfrontDistribution | Kind::CloudfrontInvalidations => {
                Matcher::Contains(wanted)
            }
            _ => Matcher::Equals(wanted),
        };
        (self.key_field().to_string(), matcher)
    }

    /// Whether the selector says what to probe (kept as the check's `target`) rather than which
    /// resources of a listing to pick.
    pub fn probes(self) -> bool {
        matches!(
            self,
            Kind::PostgresServer
                | Kind::PostgresSchema
                | Kind::PostgresTable
                | Kind::PostgresIndex
                | Kind::PostgresForeignKey
                | Kind::LocalSecret
                | Kind::GitFile
                | Kind::Command
                | Kind::Http
                | Kind::HttpLatency
                | Kind::Tls
                | Kind::Websocket
                | Kind::Dns
        )
    }

    /// Checks at load time that a probing kind's target (after substitution) has the shape the
    /// probe needs, so a mistake is reported with its line rather than at run time.
    pub fn check_target(self, target: &Json) -> Result<(), TargetProblem> {
        match self {
            Kind::PostgresServer
            | Kind::PostgresSchema
            | Kind::PostgresTable
            | Kind::PostgresIndex
            | Kind::PostgresForeignKey => postgres::check_target(self, target),
            Kind::LocalSecret | Kind::GitFile => local::check_target(self, target),
            Kind::Command => command::check_target(target),
            _ => Ok(()),
        }
    }

    /// How a probe's target reads in evidence: the text written, or `key value` pairs.
    pub fn describe_target(self, target: &Json) -> String {
        match target {
            Json::Object(entries) => {
                let parts: Vec<String> = entries
                    .iter()
                    .map(|(key, value)| format!("{key} {}", expect::render(value)))
                    .collect();
                parts.join(", ")
            }
            other => expect::render(other),
        }
    }

    /// Why a check of this kind is not run at all under these settings, if it is not; the item
    /// is then SKIPPED with this reason.
    fn skip_reason(self, check: &Check, settings: &Settings) -> Option<String> {
        match self {
            Kind::Command if !settings.allow_commands => Some(command::skip_reason(check)),
            _ => None,
        }
    }

    /// Problems with a web probe's target (http, http_latency, tls, websocket, dns), found when
    /// the checklist loads: its shape, and what the expectations need from it. A list of targets
    /// is checked element by element.
    pub fn check_probe_target(
        self,
        target: &Json,
        expect: &[(String, Matcher)],
    ) -> Vec<probe::TargetProblem> {
        let targets: Vec<(Option<usize>, &Json)> = match target {
            Json::Array(items) if items.is_empty() => {
                return vec![probe::TargetProblem::new(
                    "a list of targets needs one at least",
                )];
            }
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, t)| (Some(i), t))
                .collect(),
            one => vec![(None, one)],
        };
        let mut problems = Vec::new();
        for (index, target) in targets {
            let checked = match self {
                Kind::Http => http::http_target(target).and_then(|t| http::check_http(&t, expect)),
                Kind::HttpLatency => http::latency_target(target).map(drop),
                Kind::Tls => tls::tls_target(target).map(drop),
                Kind::Websocket => websocket::websocket_target(target).map(drop),
                Kind::Dns => dns::dns_target(target).map(drop),
                _ => Ok(()),
            };
            if let Err(mut problem) = checked {
                if target.is_array() {
                    problem = probe::TargetProblem::new("a target inside a list is not a list");
                }
                problems.push(match index {
                    Some(i) => problem.under(i),
                    None => problem,
                });
            }
        }
        problems
    }

    /// The listing that holds every resource of this kind.
    pub fn listing(self) -> Listing {
        match self {
            Kind::RdsInstance => Listing::RdsInstances,
            Kind::RdsCluster => Listing::RdsClusters,
            Kind::CloudwatchAlarm => Listing::Alarms,
            Kind::CloudwatchDashboard => Listing::Dashboards,
            Kind::LogGroup => Listing::LogGroups,
            Kind::CloudfrontDistribution => Listing::Distributions,
            Kind::CloudformationStack => Listing::Stacks,
            // Probing kinds are fetched by their target (Inventory::resources); never listed.
            Kind::PostgresServer
            | Kind::PostgresSchema
            | Kind::PostgresTable
            | Kind::PostgresIndex
            | Kind::PostgresForeignKey
            | Kind::LocalSecret
            | Kind::GitFile
            | Kind::Command
            | Kind::Http
            | Kind::HttpLatency
            | Kind::Tls
            | Kind::Websocket
            | Kind::Dns => Listing::Probe(self, Json::Null.to_string()),
            Kind::SnsTopic => Listing::SnsTopics,
            Kind::SnsSubscription => Listing::SnsSubscriptions,
            Kind::Secret => Listing::Secrets,
            Kind::CloudtrailTrail => Listing::Trails,
            Kind::ConfigRecorder => Listing::ConfigRecorders,
            Kind::Budget => Listing::Budgets,
            Kind::IamAccount => Listing::IamAccountSummary,
            Kind::Subnet => Listing::Subnets,
            Kind::SecurityGroup => Listing::SecurityGroups,
            Kind::NatGateway => Listing::NatGateways,
            Kind::VpcEndpoint => Listing::VpcEndpoints,
            Kind::FlowLog => Listing::FlowLogs,
            Kind::DbSubnetGroup => Listing::DbSubnetGroups,
            Kind::DbParameterGroup => Listing::DbParameterGroups,
            Kind::RdsProxy => Listing::RdsProxies,
            Kind::LogsQueryDefinition => Listing::QueryDefinitions,
            Kind::WafWebAcl => Listing::WebAcls,
            Kind::AcmCertificate => Listing::Certificates,
            Kind::Route53HostedZone | Kind::Route53Record => Listing::HostedZones,
            Kind::CognitoUserPool => Listing::UserPools,
            Kind::ApiGatewayRestApi | Kind::ApiGatewayRestStage => Listing::RestApis,
            Kind::ApiGatewayV2Api | Kind::ApiGatewayV2Stage => Listing::V2Apis,
            Kind::LambdaFunction => Listing::LambdaFunctions,
            Kind::S3Bucket => Listing::Buckets,
            Kind::DataStore => Listing::DataStores,
            Kind::CloudfrontInvalidations => Listing::Distributions,
        }
    }

    /// For kinds whose listing holds summaries, how whole resources are made of them.
    pub fn summaries(self) -> Option<Summaries> {
        use Summaries::{Completed, Expanded};
        match self {
            Kind::WafWebAcl => Some(Completed(waf::SUMMARY_FIELDS)),
            Kind::AcmCertificate => Some(Completed(acm::SUMMARY_FIELDS)),
            Kind::Route53Record => Some(Expanded(route53::RECORD_SUMMARY_FIELDS)),
            Kind::CognitoUserPool => Some(Completed(cognito::SUMMARY_FIELDS)),
            Kind::ApiGatewayRestApi => Some(Completed(apigateway::REST_API_SUMMARY_FIELDS)),
            Kind::ApiGatewayRestStage => Some(Expanded(apigateway::REST_STAGE_SUMMARY_FIELDS)),
            Kind::ApiGatewayV2Api => Some(Completed(apigatewayv2::API_SUMMARY_FIELDS)),
            Kind::ApiGatewayV2Stage => Some(Expanded(apigatewayv2::V2_STAGE_SUMMARY_FIELDS)),
            Kind::S3Bucket => Some(Completed(s3::SUMMARY_FIELDS)),
            Kind::DataStore => Some(Completed(storage::SUMMARY_FIELDS)),
            Kind::CloudfrontInvalidations => {
                Some(Completed(cloudfront::INVALIDATIONS_SUMMARY_FIELDS))
            }
            _ => None,
        }
    }

    /// A one-line label of a resource of this kind for evidence.
    fn label(self, resource: &Json) -> String {
        // A pending subscription has no ARN to name it by.
        if self == Kind::SnsSubscription {
            let text = |k: &str| resource.get(k).map(expect::render).unwrap_or_default();
            return format!(
                "sns_subscription {} {} on {}",
                text("protocol"),
                text("endpoint"),
                text("topic_name")
            );
        }
        let key = match self {
            Kind::CloudfrontDistribution | Kind::CloudfrontInvalidations => "id",
            _ => self.key_field(),
        };
        let name = resource
            .get(key)
            .map(expect::render)
            .unwrap_or_else(|| "?".into());
        match self {
            // A stage is named by its API and its own name; a record also by its type.
            Kind::ApiGatewayRestStage | Kind::ApiGatewayV2Stage => {
                let stage = resource.get("stage_name").map(expect::render);
                format!("{} {name}/{}", self.name(), stage.unwrap_or_default())
            }
            Kind::Route53Record => {
                let kind = resource.get("type").map(expect::render);
                format!("{} {name} {}", self.name(), kind.unwrap_or_default())
            }
            _ => format!("{} {name}", self.name()),
        }
    }
}

/// One AWS API call a verifier makes, with the IAM action that allows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwsCall {
    /// The service's signing name, as in a request's credential scope (`monitoring` is
    /// CloudWatch): what the local stand-in logs.
    pub service: &'static str,
    pub operation: &'static str,
    /// The IAM action that allows the call, like `rds:DescribeDBInstances`.
    pub action: &'static str,
    /// When the call is made, if not for every check of the kind.
    pub only_when: Option<&'static str>,
}

const fn aws_call(service: &'static str, operation: &'static str, action: &'static str) -> AwsCall {
    AwsCall {
        service,
        operation,
        action,
        only_when: None,
    }
}

const fn aws_call_when(
    service: &'static str,
    operation: &'static str,
    action: &'static str,
    when: &'static str,
) -> AwsCall {
    AwsCall {
        only_when: Some(when),
        ..aws_call(service, operation, action)
    }
}

/// The AWS calls each kind makes, read by `barkcheck explain` and `barkcheck iam-policy`. Adding
/// a kind? Add its row: one entry per call, every one of them read-only; a kind that probes
/// without AWS has an empty row. A unit test checks that every kind has a row.
const AWS_CALLS: &[(Kind, &[AwsCall])] = &[
    (
        Kind::RdsInstance,
        &[
            aws_call("rds", "DescribeDBInstances", "rds:DescribeDBInstances"),
            aws_call_when(
                "rds",
                "DescribeDBClusters",
                "rds:DescribeDBClusters",
                "an instance belongs to an Aurora cluster",
            ),
        ],
    ),
    (
        Kind::RdsCluster,
        &[aws_call(
            "rds",
            "DescribeDBClusters",
            "rds:DescribeDBClusters",
        )],
    ),
    (
        Kind::CloudwatchAlarm,
        &[aws_call(
            "monitoring",
            "DescribeAlarms",
            "cloudwatch:DescribeAlarms",
        )],
    ),
    (
        Kind::CloudwatchDashboard,
        &[
            aws_call("monitoring", "ListDashboards", "cloudwatch:ListDashboards"),
            aws_call_when(
                "monitoring",
                "GetDashboard",
                "cloudwatch:GetDashboard",
                "a dashboard's name is selected",
            ),
        ],
    ),
    (
        Kind::LogGroup,
        &[aws_call(
            "logs",
            "DescribeLogGroups",
            "logs:DescribeLogGroups",
        )],
    ),
    (
        Kind::CloudfrontDistribution,
        &[aws_call(
            "cloudfront",
            "ListDistributions",
            "cloudfront:ListDistributions",
        )],
    ),
    (
        Kind::CloudformationStack,
        &[aws_call(
            "cloudformation",
            "DescribeStacks",
            "cloudformation:DescribeStacks",
        )],
    ),
    (
        Kind::PostgresServer,
        &[aws_call_when(
            "secretsmanager",
            "GetSecretValue",
            "secretsmanager:GetSecretValue",
            "the database_url is secret:ID",
        )],
    ),
    (
        Kind::PostgresSchema,
        &[aws_call_when(
            "secretsmanager",
            "GetSecretValue",
            "secretsmanager:GetSecretValue",
            "the database_url is secret:ID",
        )],
    ),
    (
        Kind::PostgresTable,
        &[aws_call_when(
            "secretsmanager",
            "GetSecretValue",
            "secretsmanager:GetSecretValue",
            "the database_url is secret:ID",
        )],
    ),
    (
        Kind::PostgresIndex,
        &[aws_call_when(
            "secretsmanager",
            "GetSecretValue",
            "secretsmanager:GetSecretValue",
            "the database_url is secret:ID",
        )],
    ),
    (
        Kind::PostgresForeignKey,
        &[aws_call_when(
            "secretsmanager",
            "GetSecretValue",
            "secretsmanager:GetSecretValue",
            "the database_url is secret:ID",
        )],
    ),
    (Kind::LocalSecret, &[]),
    (Kind::GitFile, &[]),
    (Kind::Command, &[]),
    (Kind::Http, &[]),
    (Kind::HttpLatency, &[]),
    (Kind::Tls, &[]),
    (Kind::Websocket, &[]),
    (Kind::Dns, &[]),
    (
        Kind::SnsTopic,
        &[
            aws_call("sns", "ListTopics", "sns:ListTopics"),
            aws_call("sns", "ListSubscriptions", "sns:ListSubscriptions"),
        ],
    ),
    (
        Kind::SnsSubscription,
        &[aws_call(
            "sns",
            "ListSubscriptions",
            "sns:ListSubscriptions",
        )],
    ),
    (
        Kind::Secret,
        &[aws_call(
            "secretsmanager",
            "ListSecrets",
            "secretsmanager:ListSecrets",
        )],
    ),
    (
        Kind::CloudtrailTrail,
        &[
            aws_call("cloudtrail", "DescribeTrails", "cloudtrail:DescribeTrails"),
            aws_call("cloudtrail", "GetTrailStatus", "cloudtrail:GetTrailStatus"),
        ],
    ),
    (
        Kind::ConfigRecorder,
        &[
            aws_call(
                "config",
                "DescribeConfigurationRecorders",
                "config:DescribeConfigurationRecorders",
            ),
            aws_call(
                "config",
                "DescribeConfigurationRecorderStatus",
                "config:DescribeConfigurationRecorderStatus",
            ),
        ],
    ),
    (
        Kind::Budget,
        &[
            aws_call("budgets", "DescribeBudgets", "budgets:ViewBudget"),
            aws_call(
                "budgets",
                "DescribeNotificationsForBudget",
                "budgets:ViewBudget",
            ),
        ],
    ),
    (
        Kind::IamAccount,
        &[aws_call(
            "iam",
            "GetAccountSummary",
            "iam:GetAccountSummary",
        )],
    ),
    (
        Kind::Subnet,
        &[
            aws_call("ec2", "DescribeVpcs", "ec2:DescribeVpcs"),
            aws_call("ec2", "DescribeSubnets", "ec2:DescribeSubnets"),
            aws_call("ec2", "DescribeRouteTables", "ec2:DescribeRouteTables"),
        ],
    ),
    (
        Kind::SecurityGroup,
        &[
            aws_call("ec2", "DescribeVpcs", "ec2:DescribeVpcs"),
            aws_call(
                "ec2",
                "DescribeSecurityGroups",
                "ec2:DescribeSecurityGroups",
            ),
            aws_call_when(
                "rds",
                "DescribeDBInstances",
                "rds:DescribeDBInstances",
                "a check reads db_instances",
            ),
        ],
    ),
    (
        Kind::NatGateway,
        &[
            aws_call("ec2", "DescribeVpcs", "ec2:DescribeVpcs"),
            aws_call("ec2", "DescribeSubnets", "ec2:DescribeSubnets"),
            aws_call("ec2", "DescribeRouteTables", "ec2:DescribeRouteTables"),
            aws_call("ec2", "DescribeNatGateways", "ec2:DescribeNatGateways"),
        ],
    ),
    (
        Kind::VpcEndpoint,
        &[
            aws_call("ec2", "DescribeVpcs", "ec2:DescribeVpcs"),
            aws_call("ec2", "DescribeVpcEndpoints", "ec2:DescribeVpcEndpoints"),
        ],
    ),
    (
        Kind::FlowLog,
        &[
            aws_call("ec2", "DescribeVpcs", "ec2:DescribeVpcs"),
            aws_call("ec2", "DescribeFlowLogs", "ec2:DescribeFlowLogs"),
        ],
    ),
    (
        Kind::DbSubnetGroup,
        &[
            aws_call(
                "rds",
                "DescribeDBSubnetGroups",
                "rds:DescribeDBSubnetGroups",
            ),
            aws_call("rds", "DescribeDBInstances", "rds:DescribeDBInstances"),
            aws_call("ec2", "DescribeVpcs", "ec2:DescribeVpcs"),
            aws_call("ec2", "DescribeSubnets", "ec2:DescribeSubnets"),
            aws_call("ec2", "DescribeRouteTables", "ec2:DescribeRouteTables"),
        ],
    ),
    (
        Kind::DbParameterGroup,
        &[
            aws_call("rds", "DescribeDBInstances", "rds:DescribeDBInstances"),
            aws_call_when(
                "rds",
                "DescribeDBParameters",
                "rds:DescribeDBParameters",
                "a parameter group is selected",
            ),
        ],
    ),
    (
        Kind::RdsProxy,
        &[aws_call(
            "rds",
            "DescribeDBProxies",
            "rds:DescribeDBProxies",
        )],
    ),
    (
        Kind::LogsQueryDefinition,
        &[aws_call(
            "logs",
            "DescribeQueryDefinitions",
            "logs:DescribeQueryDefinitions",
        )],
    ),
    (
        Kind::WafWebAcl,
        &[
            aws_call("wafv2", "ListWebACLs", "wafv2:ListWebACLs"),
            aws_call_when(
                "wafv2",
                "GetWebACL",
                "wafv2:GetWebACL",
                "an ACL is selected",
            ),
            aws_call(
                "cloudfront",
                "ListDistributions",
                "cloudfront:ListDistributions",
            ),
        ],
    ),
    (
        Kind::AcmCertificate,
        &[
            aws_call("acm", "ListCertificates", "acm:ListCertificates"),
            aws_call_when(
                "acm",
                "DescribeCertificate",
                "acm:DescribeCertificate",
                "a certificate is selected",
            ),
            aws_call(
                "cloudfront",
                "ListDistributions",
                "cloudfront:ListDistributions",
            ),
        ],
    ),
    (
        Kind::Route53HostedZone,
        &[aws_call(
            "route53",
            "ListHostedZones",
            "route53:ListHostedZones",
        )],
    ),
    (
        Kind::Route53Record,
        &[
            aws_call("route53", "ListHostedZones", "route53:ListHostedZones"),
            aws_call_when(
                "route53",
                "ListResourceRecordSets",
                "route53:ListResourceRecordSets",
                "a zone is selected",
            ),
            aws_call(
                "cloudfront",
                "ListDistributions",
                "cloudfront:ListDistributions",
            ),
            aws_call("apigateway", "GetDomainNames", "apigateway:GET"),
            aws_call("apigateway", "GetBasePathMappings", "apigateway:GET"),
            aws_call("apigateway", "GetApiMappings", "apigateway:GET"),
            aws_call("apigateway", "GetRestApis", "apigateway:GET"),
            aws_call("apigateway", "GetApis", "apigateway:GET"),
        ],
    ),
    (
        Kind::CognitoUserPool,
        &[
            aws_call("cognito-idp", "ListUserPools", "cognito-idp:ListUserPools"),
            aws_call_when(
                "cognito-idp",
                "DescribeUserPool",
                "cognito-idp:DescribeUserPool",
                "a pool is selected",
            ),
            aws_call_when(
                "cognito-idp",
                "DescribeRiskConfiguration",
                "cognito-idp:DescribeRiskConfiguration",
                "a pool is selected",
            ),
        ],
    ),
    (
        Kind::ApiGatewayRestApi,
        &[
            aws_call("apigateway", "GetRestApis", "apigateway:GET"),
            aws_call("apigateway", "GetResources", "apigateway:GET"),
            aws_call("apigateway", "GetAuthorizers", "apigateway:GET"),
            aws_call("apigateway", "GetRequestValidators", "apigateway:GET"),
        ],
    ),
    (
        Kind::ApiGatewayRestStage,
        &[
            aws_call("apigateway", "GetRestApis", "apigateway:GET"),
            aws_call("apigateway", "GetStages", "apigateway:GET"),
            aws_call("apigateway", "GetResources", "apigateway:GET"),
            aws_call("apigateway", "GetAuthorizers", "apigateway:GET"),
            aws_call("apigateway", "GetRequestValidators", "apigateway:GET"),
            aws_call("apigateway", "GetUsagePlans", "apigateway:GET"),
            aws_call("apigateway", "GetUsagePlanKeys", "apigateway:GET"),
            aws_call("apigateway", "GetApiKeys", "apigateway:GET"),
        ],
    ),
    (
        Kind::ApiGatewayV2Api,
        &[
            aws_call("apigateway", "GetApis", "apigateway:GET"),
            aws_call("apigateway", "GetRoutes", "apigateway:GET"),
            aws_call_when(
                "apigateway",
                "GetAuthorizer",
                "apigateway:GET",
                "a route uses an authorizer",
            ),
        ],
    ),
    (
        Kind::ApiGatewayV2Stage,
        &[
            aws_call("apigateway", "GetApis", "apigateway:GET"),
            aws_call("apigateway", "GetStages", "apigateway:GET"),
        ],
    ),
    (
        Kind::LambdaFunction,
        &[aws_call("lambda", "ListFunctions", "lambda:ListFunctions")],
    ),
    (
        Kind::S3Bucket,
        &[
            aws_call("s3", "ListBuckets", "s3:ListAllMyBuckets"),
            aws_call("s3", "GetBucketEncryption", "s3:GetEncryptionConfiguration"),
            aws_call(
                "s3",
                "GetPublicAccessBlock",
                "s3:GetBucketPublicAccessBlock",
            ),
            aws_call("s3", "GetBucketVersioning", "s3:GetBucketVersioning"),
            aws_call("s3", "HeadObject", "s3:GetObject"),
        ],
    ),
    (
        Kind::DataStore,
        &[
            aws_call("rds", "DescribeDBInstances", "rds:DescribeDBInstances"),
            aws_call("rds", "DescribeDBClusters", "rds:DescribeDBClusters"),
            aws_call("s3", "ListBuckets", "s3:ListAllMyBuckets"),
            aws_call_when(
                "s3",
                "GetBucketEncryption",
                "s3:GetEncryptionConfiguration",
                "a bucket is selected",
            ),
            aws_call_when(
                "s3",
                "GetPublicAccessBlock",
                "s3:GetBucketPublicAccessBlock",
                "a bucket is selected",
            ),
            aws_call_when(
                "s3",
                "GetBucketVersioning",
                "s3:GetBucketVersioning",
                "a bucket is selected",
            ),
            aws_call_when("s3", "HeadObject", "s3:GetObject", "a bucket is selected"),
        ],
    ),
    (
        Kind::CloudfrontInvalidations,
        &[
            aws_call(
                "cloudfront",
                "ListDistributions",
                "cloudfront:ListDistributions",
            ),
            aws_call(
                "cloudfront",
                "ListInvalidations",
                "cloudfront:ListInvalidations",
            ),
        ],
    ),
];

/// The AWS calls one check may make: its kind's, less the reading of a connection string from
/// Secrets Manager when its `database_url` is not a `secret:` source.
pub fn calls_of(check: &Check) -> Vec<&'static AwsCall> {
    let secret_source = check.target.as_ref().is_some_and(|target| {
        let url = target.get("database_url").unwrap_or(target);
        url.as_str().is_some_and(|u| u.starts_with("secret:"))
    });
    check
        .kind
        .aws_calls()
        .iter()
        .filter(|call| call.operation != "GetSecretValue" || secret_source)
        .collect()
}

impl Kind {
    /// The AWS calls a check of this kind may make, with their IAM actions.
    pub fn aws_calls(self) -> &'static [AwsCall] {
        AWS_CALLS
            .iter()
            .find(|(kind, _)| *kind == self)
            .map(|(_, calls)| *calls)
            .unwrap_or_default()
    }
}

/// Probes one target of a kind whose selector names what to probe rather than what to pick
/// from a listing; every resource returned is selected.
pub async fn probe(
    kind: Kind,
    target: &Json,
    inventory: &Inventory,
) -> Result<Vec<Json>, FetchError> {
    match kind {
        Kind::PostgresServer
        | Kind::PostgresSchema
        | Kind::PostgresTable
        | Kind::PostgresIndex
        // Boxed: the database and SDK futures are deep enough to exceed the compiler's
        // layout recursion limit inside the inventory's future.
        | Kind::PostgresForeignKey => Box::pin(postgres::probe(kind, target, inventory)).await,
        Kind::LocalSecret => Box::pin(local::secret(target)).await,
        Kind::GitFile => Box::pin(local::git_file(target)).await,
        Kind::Command => Box::pin(command::run(target, inventory.settings())).await,
        Kind::Http => Box::pin(http::probe_http(inventory.network().await?, target)).await,
        Kind::HttpLatency => {
            Box::pin(http::probe_latency(inventory.network().await?, target)).await
        }
        Kind::Tls => Box::pin(tls::probe_tls(inventory.network().await?, target)).await,
        Kind::Websocket => {
            Box::pin(websocket::probe_websocket(inventory.network().await?, target)).await
        }
        Kind::Dns => Box::pin(dns::probe_dns(inventory.network().await?, target)).await,
        _ => Err(FetchError::new(
            kind.name(),
            format!("no probe for target {target}"),
        )),
    }
}

/// How one item ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Pass,
    Signed,
    Skipped,
    /// A failing or pending item whose failure was accepted until a date.
    Waived,
    Pending,
    Fail,
    Error,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Signed => "SIGNED",
            Outcome::Skipped => "SKIPPED",
            Outcome::Waived => "WAIVED",
            Outcome::Pending => "PENDING",
            Outcome::Fail => "FAIL",
            Outcome::Error => "ERROR",
        }
    }

    pub fn parse(label: &str) -> Option<Outcome> {
        [
            Outcome::Pass,
            Outcome::Signed,
            Outcome::Skipped,
            Outcome::Waived,
            Outcome::Pending,
            Outcome::Fail,
            Outcome::Error,
        ]
        .into_iter()
        .find(|o| o.label() == label)
    }
}

/// One expectation compared on one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub field: String,
    pub expected: String,
    pub observed: String,
    pub ok: bool,
}

/// What an automated check saw: the outcome and the evidence behind it.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    /// The resource the verdict is about, when one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The comparisons on that resource (for `match: all`, on every failing one).
    pub comparisons: Vec<Comparison>,
    /// A sentence for what the comparisons cannot say: nothing matched, a call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The most candidates whose comparisons a failing `match: any` check reports.
const CANDIDATES_SHOWN: usize = 3;

/// Decides a check against the run's inventory.
pub async fn decide(check: &Check, inventory: &Inventory) -> Verdict {
    if let Some(reason) = check.kind.skip_reason(check, inventory.settings()) {
        return Verdict {
            outcome: Outcome::Skipped,
            resource: None,
            comparisons: Vec::new(),
            message: Some(reason),
        };
    }
    let listing = match inventory.resources(check).await {
        Ok(resources) => resources,
        Err(err) => {
            return Verdict {
                outcome: Outcome::Error,
                resource: None,
                comparisons: Vec::new(),
                message: Some(err.to_string()),
            };
        }
    };
    let selected: Vec<&Json> = listing
        .iter()
        .filter(|r| selects(&check.selector, r))
        .collect();
    if selected.is_empty() {
        let message = if check.target.is_some() {
            format!("found no {} for {}", check.kind.name(), check.selector_text)
        } else {
            format!(
                "no {} matches {} ({} listed)",
                check.kind.name(),
                check.selector_text,
                listing.len()
            )
        };
        return Verdict {
            outcome: Outcome::Fail,
            resource: None,
            comparisons: Vec::new(),
            message: Some(message),
        };
    }

    let judged: Vec<(String, Vec<Comparison>)> = selected
        .iter()
        .map(|resource| (check.kind.label(resource), compare(&check.expect, resource)))
        .collect();
    let verdict = judge(check, &judged);
    match &check.selected {
        Some(wanted) => with_selected_count(verdict, wanted, judged.len(), check.kind),
        None => verdict,
    }
}

/// The verdict on the selected resources' comparisons, by the check's match mode.
fn judge(check: &Check, judged: &[(String, Vec<Comparison>)]) -> Verdict {
    let passes = |c: &Vec<Comparison>| c.iter().all(|c| c.ok);
    match check.mode {
        MatchMode::Any => {
            if let Some((label, comparisons)) = judged.iter().find(|(_, c)| passes(c)) {
                return Verdict {
                    outcome: Outcome::Pass,
                    resource: Some(label.clone()),
                    comparisons: comparisons.clone(),
                    message: None,
                };
            }
            let mut comparisons = Vec::new();
            let mut labels = Vec::new();
            for (label, found) in judged.iter().take(CANDIDATES_SHOWN) {
                labels.push(label.clone());
                comparisons.extend(found.iter().filter(|c| !c.ok).map(|c| Comparison {
                    field: if judged.len() > 1 {
                        format!("{label}: {}", c.field)
                    } else {
                        c.field.clone()
                    },
                    ..c.clone()
                }));
            }
            let message = (judged.len() > 1).then(|| {
                format!(
                    "none of the {} selected resources meets every expectation",
                    judged.len()
                )
            });
            Verdict {
                outcome: Outcome::Fail,
                resource: Some(labels.join(", ")),
                comparisons,
                message,
            }
        }
        MatchMode::All => {
            let failing: Vec<&(String, Vec<Comparison>)> =
                judged.iter().filter(|(_, c)| !passes(c)).collect();
            if failing.is_empty() {
                let (label, comparisons) = &judged[0];
                let resource = if judged.len() == 1 {
                    label.clone()
                } else {
                    format!("{} {} resources", judged.len(), check.kind.name())
                };
                return Verdict {
                    outcome: Outcome::Pass,
                    resource: Some(resource),
                    comparisons: comparisons.clone(),
                    message: (judged.len() > 1)
                        .then(|| format!("all {} selected resources meet it", judged.len())),
                };
            }
            let comparisons = failing
                .iter()
                .flat_map(|(label, found)| {
                    found.iter().filter(|c| !c.ok).map(move |c| Comparison {
                        field: format!("{label}: {}", c.field),
                        ..c.clone()
                    })
                })
                .collect();
            Verdict {
                outcome: Outcome::Fail,
                resource: Some(format!(
                    "{} of {} selected {} resources fall short",
                    failing.len(),
                    judged.len(),
                    check.kind.name()
                )),
                comparisons,
                message: None,
            }
        }
    }
}

/// Adds the `selected:` comparison to a verdict: too few (or too many) resources fail the check
/// whatever their fields say.
fn with_selected_count(
    mut verdict: Verdict,
    wanted: &Matcher,
    count: usize,
    kind: Kind,
) -> Verdict {
    let ok = wanted.check(Some(&Json::from(count)));
    let comparison = Comparison {
        field: "selected".into(),
        expected: wanted.to_string(),
        observed: format!("{count} {}", kind.name()),
        ok,
    };
    if !ok && verdict.outcome == Outcome::Pass {
        verdict.outcome = Outcome::Fail;
        verdict.comparisons.clear();
        verdict.message = None;
    }
    verdict.comparisons.insert(0, comparison);
    verdict
}

/// Whether a resource passes every selector expectation.
pub fn selects(selector: &[(String, Matcher)], resource: &Json) -> bool {
    selector
        .iter()
        .all(|(field, matcher)| matcher.check(expect::lookup(resource, field)))
}

/// The most characters of an observed value that evidence shows (a program's output can be
/// long); the comparison itself reads all of it.
const OBSERVED_SHOWN: usize = 2000;

fn compare(expectations: &[(String, Matcher)], resource: &Json) -> Vec<Comparison> {
    expectations
        .iter()
        .map(|(field, matcher)| {
            let observed = expect::lookup(resource, field).filter(|v| !v.is_null());
            let ok = matcher.check(observed);
            // A failed expectation on a list of objects shows the elements that fall short.
            let shown = match observed {
                Some(value) if !ok => matcher
                    .shortfall(value)
                    .unwrap_or_else(|| expect::render(value)),
                Some(value) => expect::render(value),
                None => "(absent)".into(),
            };
            Comparison {
                field: field.clone(),
                expected: matcher.to_string(),
                observed: shorten(shown),
                ok,
            }
        })
        .collect()
}

fn shorten(text: String) -> String {
    let total = text.chars().count();
    if total <= OBSERVED_SHOWN {
        return text;
    }
    let kept: String = text.chars().take(OBSERVED_SHOWN).collect();
    format!("{kept}… ({} more characters)", total - OBSERVED_SHOWN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_row_of_aws_calls_and_each_call_only_reads() {
        for kind in Kind::ALL {
            let rows = AWS_CALLS.iter().filter(|(k, _)| k == kind).count();
            assert_eq!(
                rows,
                1,
                "{} needs exactly one row in AWS_CALLS",
                kind.name()
            );
        }
        for (_, calls) in AWS_CALLS {
            for call in *calls {
                let (_, action) = call.action.split_once(':').expect("service:Action");
                assert!(
                    ["Describe", "List", "Get", "Head"]
                        .iter()
                        .any(|verb| call.operation.starts_with(verb)),
                    "{} is not a read-only call",
                    call.operation
                );
                // API Gateway allows reads by HTTP method; Budgets by ViewBudget.
                assert!(
                    ["Describe", "List", "Get", "View"]
                        .iter()
                        .any(|verb| action.starts_with(verb))
                        || action == "GET",
                    "{} is not a read-only action",
                    call.action
                );
            }
        }
    }
}
