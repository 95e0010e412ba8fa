//! The JSON Schema of the checklist format, for editors' YAML support (completion, hover text,
//! validation as you type) and for other tools.
//!
//! The shapes (phases, sections, steps, items) are written here by hand after `raw.rs`, which
//! refuses unknown fields, so the schema does too. The `verify:` part is generated from the
//! verifier catalog: one branch per kind, naming its fields with their documentation, so a new
//! kind or field is in the schema without an edit here. What the loader checks beyond shapes
//! (duplicate ids, undefined `${variables}`, an expectation that cannot match its field's type)
//! stays with `barkcheck lint`.

use serde_json::{Map, Value as Json, json};

use super::expect::{FieldType, OPERATORS};
use crate::verify::Kind;

/// The schema's own address, a URN: it names the schema without pointing at any host.
pub const ID: &str = "urn:barkcheck:checklist:1";

/// The whole schema. It uses only keywords that draft 7 and draft 2020-12 read alike, so editors
/// of either kind take it without a `$schema` line.
pub fn checklist_schema() -> Json {
    let id_pattern = "^[a-z0-9][a-z0-9-]*$";
    let scalar = json!({"type": ["string", "number", "boolean"]});
    let mut defs = Map::new();
    defs.insert(
        "phase".into(),
        json!({
            "type": "object",
            "description": "A phase of the deployment: pre-deploy, deploy, post-deploy, rollback, \
                            or your own.",
            "required": ["id", "title"],
            "additionalProperties": false,
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "title": {"type": "string"},
                "sections": {"type": "array", "items": {"$ref": "#/$defs/section"}},
            },
        }),
    );
    defs.insert(
        "id".into(),
        json!({
            "type": "string",
            "pattern": id_pattern,
            "description": "Lowercase letters, digits and hyphens; unique in the file. What \
                            `sign`, `waive`, `explain` and reports use.",
        }),
    );
    defs.insert(
        "section".into(),
        json!({
            "type": "object",
            "description": "A heading of the source document and the items under it.",
            "required": ["id"],
            "anyOf": [{"required": ["part"]}, {"required": ["title"]}],
            "additionalProperties": false,
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "part": {"type": "string", "description": "The document's `##` heading."},
                "title": {"type": "string", "description": "Its `###` heading."},
                "notes": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
                "sections": {
                    "type": "array",
                    "description": "Numbered steps inside the section.",
                    "items": {"$ref": "#/$defs/step"},
                },
                "approvals": {
                    "type": "array",
                    "description": "Roles that must approve the phase: Engineering Lead, CTO, ...",
                    "items": {"type": "string", "minLength": 1},
                },
            },
        }),
    );
    defs.insert(
        "step".into(),
        json!({
            "type": "object",
            "description": "A numbered step of a section; it holds items, not steps or approvals.",
            "required": ["id", "title"],
            "additionalProperties": false,
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "title": {"type": "string"},
                "notes": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
            },
        }),
    );
    defs.insert(
        "item".into(),
        json!({
            "type": "object",
            "required": ["id", "text"],
            "additionalProperties": false,
            "properties": {
                "id": {"$ref": "#/$defs/id"},
                "text": {
                    "type": "string",
                    "description": "The item as the document says it, Markdown emphasis included.",
                },
                "verify": {"$ref": "#/$defs/verify"},
                "items": {
                    "type": "array",
                    "description": "Sub-items; the parent is as bad as the worst of them.",
                    "items": {"$ref": "#/$defs/item"},
                },
                "tags": {"type": "array", "items": {"type": "string"}},
                "fix": {
                    "type": "string",
                    "description": "What to do when the check fails; ${variables} allowed.",
                },
                "blocking": {
                    "type": "boolean",
                    "description": "false: shown, but never stops the phase (default true).",
                },
                "notes": {"type": "string"},
                "when": {
                    "type": "string",
                    "description": "A ${variable} that must be true for the item to apply.",
                },
                "valid_for": {
                    "type": "string",
                    "description": "How long a sign-off holds, like 24h or 90m.",
                },
            },
        }),
    );
    defs.insert("scalar".into(), scalar.clone());
    defs.insert("expectation".into(), expectation_schema());
    defs.insert("verify".into(), verify_schema());
    for (name, schema) in defs_for_kinds() {
        defs.insert(name, schema);
    }

    json!({
        "$id": ID,
        "title": "barkcheck checklist",
        "description": "A production deployment checklist for barkcheck: phases, sections, \
                        items, automated checks and role approvals.",
        "type": "object",
        "required": ["barkcheck", "name", "phases"],
        "additionalProperties": false,
        "properties": {
            "barkcheck": {"const": 1, "description": "The format version."},
            "name": {"type": "string"},
            "version": {"type": "string", "description": "The document's own version."},
            "description": {"type": "string"},
            "variables": {
                "type": "object",
                "description": "Defaults; override with --vars FILE and --var NAME=VALUE.",
                "additionalProperties": scalar,
            },
            "phases": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/phase"}},
        },
        "$defs": defs,
    })
}

/// An expectation: a value, a comparison like ">= 30", or one operator.
// TODO: narrow expectations by the field's type (a bool field takes no ">= 30", `matches` only
// text); the schema accepts any expectation on any field and `barkcheck lint` refuses the rest.
fn expectation_schema() -> Json {
    let expectation = json!({"$ref": "#/$defs/expectation"});
    let element = json!({"anyOf": [
        {"$ref": "#/$defs/expectation"},
        {"type": "object", "description": "Expectations on the fields of each element; `where:` \
                                           limits them to the elements meeting its own.",
         "properties": {"where": {"type": "object", "minProperties": 1,
                                  "additionalProperties": {"$ref": "#/$defs/expectation"}}},
         "additionalProperties": {"$ref": "#/$defs/expectation"}},
    ]});
    let mut operators = Map::new();
    for op in OPERATORS {
        let schema = match *op {
            "equals" | "contains" => json!({"$ref": "#/$defs/scalar"}),
            "one_of" => json!({"type": "array", "items": {"$ref": "#/$defs/scalar"}}),
            "matches" | "starts_with" | "instance_class_at_least" => json!({"type": "string"}),
            "present" => json!({"type": "boolean"}),
            "any" | "all" => element.clone(),
            _ => expectation.clone(),
        };
        operators.insert(op.to_string(), schema);
    }
    json!({
        "description": "A value the field must equal, a comparison like \">= 30\", or one \
                        operator: {equals, one_of, matches, starts_with, contains, present, \
                        instance_class_at_least, count, any, all, not}.",
        "anyOf": [
            {"$ref": "#/$defs/scalar"},
            {"type": "array", "items": {"$ref": "#/$defs/scalar"},
             "description": "Exactly these elements, in this order."},
            {"type": "object", "minProperties": 1, "maxProperties": 1,
             "additionalProperties": false, "properties": operators},
        ],
    })
}

/// `selector-KIND` and `fields-KIND` for every kind: what a selector and `expect:` may name.
fn defs_for_kinds() -> Vec<(String, Json)> {
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let mut properties = Map::new();
        let mut patterns = Map::new();
        for field in kind.fields() {
            let about = json!({
                "$ref": "#/$defs/expectation",
                "description": field.doc,
            });
            properties.insert(field.name.to_string(), about);
            if let FieldType::TextMap | FieldType::Json = field.ty {
                // `outputs.DatabaseEndpoint`, `json.error`: any key of a map or document field.
                let pattern = format!("^{}\\.", regex_escape(field.name));
                patterns.insert(pattern, json!({"$ref": "#/$defs/expectation"}));
            }
        }
        let fields = json!({
            "type": "object",
            "description": format!("Fields of {} (see `barkcheck fields {}`).",
                                   kind.name(), kind.name()),
            "additionalProperties": false,
            "properties": properties,
            "patternProperties": patterns,
        });
        let selector = if kind.probes() {
            json!({"description": "What to probe."})
        } else {
            json!({
                "description": format!("Its {}, or a mapping of field expectations.",
                                       kind.key_doc()),
                "anyOf": [
                    {"$ref": "#/$defs/scalar"},
                    {"$ref": format!("#/$defs/fields-{}", kind.name())},
                ],
            })
        };
        out.push((format!("fields-{}", kind.name()), fields));
        out.push((format!("selector-{}", kind.name()), selector));
    }
    out
}

/// `verify:`: exactly one resource kind with its selector, `expect:` and an optional `match:`.
fn verify_schema() -> Json {
    let mut properties = Map::new();
    properties.insert(
        "match".into(),
        json!({"enum": ["any", "all"], "description": "any (default): one selected resource \
               must meet every expectation; all: every selected resource must."}),
    );
    properties.insert(
        "expect".into(),
        json!({"type": "object", "minProperties": 1}),
    );
    properties.insert(
        "selected".into(),
        json!({"description": "How many resources the selector must pick: a number or a \
               comparison like \">= 2\"."}),
    );
    let mut branches = Vec::new();
    for kind in Kind::ALL {
        let name = kind.name();
        properties.insert(
            name.to_string(),
            json!({"$ref": format!("#/$defs/selector-{name}")}),
        );
        // The other kinds' keys are refused in this branch: one `verify` names one kind.
        let mut branch = Map::new();
        branch.insert(
            "expect".into(),
            json!({"$ref": format!("#/$defs/fields-{name}")}),
        );
        for other in Kind::ALL.iter().filter(|k| *k != kind) {
            branch.insert(other.name().to_string(), json!(false));
        }
        branches.push(json!({"required": [name, "expect"], "properties": branch}));
    }
    json!({
        "type": "object",
        "description": "An automated check: one resource kind with its selector, then `expect:`.",
        "additionalProperties": false,
        "properties": properties,
        "oneOf": branches,
    })
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}
