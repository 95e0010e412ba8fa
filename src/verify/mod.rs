//! Automated verifiers: the resource kinds a checklist can test, and how a check is decided.
//!
//! Each kind has a field catalog (what a checklist may test, with types, documented in
//! `barkcheck fields`), a listing that fetches every resource of the kind once per run, and a
//! JSON view of each resource. A check selects resources from the listing and compares fields;
//! the [`Verdict`] carries the evidence. A failed call is an ERROR with its cause, and a
//! selector that matches nothing is a FAIL that says so: neither is ever a pass.

pub mod aws;
mod cloudformation;
mod cloudfront;
mod cloudwatch;
mod command;
pub mod inventory;
mod local;
mod logs;
mod postgres;
mod rds;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::checklist::expect::{self, Field, Matcher};
use crate::checklist::{Check, MatchMode};
pub use inventory::{FetchError, Inventory, Listing, Settings};

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
            Kind::PostgresServer => "endpoint",
            Kind::PostgresSchema => "schema",
            Kind::PostgresTable => "table",
            Kind::PostgresIndex | Kind::PostgresForeignKey | Kind::LocalSecret => "name",
            Kind::GitFile => "path",
            Kind::Command => "command",
        }
    }

    /// What a plain-text selector names, for messages; for a probing kind, its target's shape.
    pub fn key_doc(self) -> &'static str {
        match self {
            Kind::CloudfrontDistribution => "domain name (one of its aliases)",
            Kind::PostgresServer => "a database_url (env:NAME or secret:ID), or {database_url}",
            Kind::PostgresSchema => "a database_url, or {database_url, schema}",
            Kind::PostgresTable => "{database_url, table} or {database_url, tables: [...]}",
            Kind::PostgresIndex => "{database_url, table}",
            Kind::PostgresForeignKey => "{database_url, table}, or {database_url} for all",
            Kind::LocalSecret => "a variable's name, or {name, env_file, previous}",
            Kind::GitFile => "{repo, path}",
            Kind::Command => "{argv: [PROGRAM, ARG, ...], cwd, timeout, json, env}",
            _ => self.key_field(),
        }
    }

    /// The selector a plain text stands for.
    pub fn key_selector(self, key: &str) -> (String, Matcher) {
        let wanted = Json::String(key.to_string());
        let matcher = match self {
            Kind::CloudfrontDistribution => Matcher::Contains(wanted),
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
            | Kind::Command => Listing::Probe(self, Json::Null.to_string()),
        }
    }

    /// A one-line label of a resource of this kind for evidence.
    fn label(self, resource: &Json) -> String {
        let key = match self {
            Kind::CloudfrontDistribution => "id",
            _ => self.key_field(),
        };
        let name = resource
            .get(key)
            .map(expect::render)
            .unwrap_or_else(|| "?".into());
        format!("{} {name}", self.name())
    }
}

/// Probes the target of a kind whose selector names what to probe rather than what to pick
/// from a listing: a database, a local secret, a git repository, a program.
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
            Comparison {
                field: field.clone(),
                expected: matcher.to_string(),
                observed: observed
                    .map(|v| shorten(expect::render(v)))
                    .unwrap_or_else(|| "(absent)".into()),
                ok: matcher.check(observed),
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
