//! The JSON report of a run (`--format json`): one document, versioned by its `schema` field,
//! described field by field in docs/report-json.md and by the JSON Schema docs/report-schema.json.
//! `barkcheck diff` reads these documents back.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::runner::{Evidence, PhaseReport};
use crate::verify::Outcome;

/// The version of the JSON report's shape; bumped on any change a consumer could notice, added
/// fields included (the schema file refuses fields it does not describe).
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// The report as a JSON value.
pub fn document(report: &PhaseReport) -> serde_json::Value {
    serde_json::json!({
        "schema": JSON_SCHEMA_VERSION,
        "checklist": report.checklist,
        "phase": report.phase,
        "environment": report.environment,
        "started": report.started,
        "readiness": report.readiness(),
        "summary": super::table::counts(report).into_iter()
            .map(|(o, n)| (o.label().to_string(), serde_json::json!(n)))
            .collect::<serde_json::Map<_, _>>(),
        "items": report.items,
        "approvals": report.approvals,
        "warnings": report.warnings,
        "deployment": report.deployment,
    })
}

/// The report as pretty-printed JSON text.
pub fn document_text(report: &PhaseReport) -> String {
    serde_json::to_string_pretty(&document(report)).expect("a report always encodes")
}

/// A run report read back, with the fields `diff` compares; other fields are ignored.
#[derive(Debug, Deserialize)]
pub struct RunDocument {
    pub schema: u32,
    pub checklist: String,
    pub phase: String,
    pub environment: String,
    pub started: jiff::Timestamp,
    pub readiness: String,
    pub items: Vec<DocumentItem>,
    pub approvals: Vec<DocumentApproval>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocumentItem {
    pub id: String,
    pub text: String,
    pub section: String,
    #[serde(default)]
    pub parent: Option<String>,
    pub outcome: Outcome,
    pub automated: bool,
    pub blocking: bool,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DocumentApproval {
    pub role: String,
    pub section: String,
    pub outcome: Outcome,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub at: Option<jiff::Timestamp>,
    #[serde(default)]
    pub invalidated: Option<String>,
}

impl RunDocument {
    /// Reads a report file; one of another schema version is refused with what was found.
    pub fn read(path: &Path) -> anyhow::Result<RunDocument> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not JSON; diff reads `barkcheck run --format json` reports",
                path.display()
            )
        })?;
        match value.get("schema").and_then(|s| s.as_u64()) {
            Some(v) if v == u64::from(JSON_SCHEMA_VERSION) => {}
            Some(v) => bail!(
                "{} is a report of schema {v}; this barkcheck reads schema {JSON_SCHEMA_VERSION}",
                path.display()
            ),
            None => bail!(
                "{} has no `schema` field: it is not a `barkcheck run --format json` report",
                path.display()
            ),
        }
        serde_json::from_value(value)
            .with_context(|| format!("{} is not a valid run report", path.display()))
    }

    /// Items that stand for themselves (as [`PhaseReport::counted`]), by id in report order.
    pub fn counted(&self) -> Vec<&DocumentItem> {
        let parents: std::collections::HashSet<&str> = self
            .items
            .iter()
            .filter_map(|i| i.parent.as_deref())
            .collect();
        self.items
            .iter()
            .filter(|i| i.automated || !parents.contains(i.id.as_str()))
            .collect()
    }

    /// The approvals by role and section.
    pub fn approvals_by_role(&self) -> BTreeMap<(String, String), &DocumentApproval> {
        self.approvals
            .iter()
            .map(|a| ((a.section.clone(), a.role.clone()), a))
            .collect()
    }
}
