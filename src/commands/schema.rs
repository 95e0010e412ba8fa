//! `barkcheck schema`: prints the JSON Schema of the checklist format (see
//! `checklist::schema`), for an editor's YAML support.

use crate::checklist::schema::checklist_schema;
use crate::report;

pub fn run() -> anyhow::Result<u8> {
    report::print_text(&serde_json::to_string_pretty(&checklist_schema())?)?;
    Ok(0)
}
