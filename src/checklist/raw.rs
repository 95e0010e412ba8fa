//! The raw shapes of a checklist file, exactly as serde reads them, before validation.
//!
//! Unknown fields are refused here, so a misspelt `verfy:` cannot silently turn an automated
//! item into a manual one. The `verify` block stays an untyped YAML value: its one resource key
//! and its expectations are checked by the loader against the verifier catalogs, which gives
//! better messages than serde's enum errors and keeps line numbers right.

use serde::{Deserialize, Deserializer};
use serde_yaml::{Mapping, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChecklist {
    /// The format version; this build reads 1.
    pub barkcheck: u32,
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub variables: Mapping,
    pub phases: Vec<RawPhase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub sections: Vec<RawSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSection {
    pub id: String,
    #[serde(default)]
    pub part: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub items: Vec<RawItem>,
    #[serde(default)]
    pub sections: Vec<RawSection>,
    #[serde(default)]
    pub approvals: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawItem {
    pub id: String,
    pub text: String,
    /// Some even when written empty (`verify:`), so that an emptied check is an error rather
    /// than an item silently turned manual.
    #[serde(default, deserialize_with = "present")]
    pub verify: Option<Value>,
    #[serde(default)]
    pub items: Vec<RawItem>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub fix: Option<String>,
    #[serde(default)]
    pub blocking: Option<bool>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub when: Option<String>,
    /// How long a sign-off holds, like `24h`.
    #[serde(default)]
    pub valid_for: Option<String>,
}

/// Reads a field that was written, null included, as `Some`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}
