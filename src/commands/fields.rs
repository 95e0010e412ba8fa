//! `barkcheck fields [KIND]`: the field catalog of each verifier kind, for checklist authors.

use anyhow::bail;

use crate::checklist::expect::{self, FieldType};
use crate::cli::FieldsArgs;
use crate::report;
use crate::verify::Kind;

pub fn run(args: &FieldsArgs) -> anyhow::Result<u8> {
    let kinds: Vec<Kind> = match &args.kind {
        None => Kind::ALL.to_vec(),
        Some(name) => match Kind::from_name(name) {
            Some(kind) => vec![kind],
            None => {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                let hint = expect::suggest(name, &names)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                bail!(
                    "unknown verifier kind `{name}`{hint} (kinds: {})",
                    names.join(", ")
                )
            }
        },
    };
    let mut out = String::new();
    for kind in kinds {
        let how = if kind.probes() { "probes" } else { "select by" };
        out.push_str(&format!("{} ({how} {})\n", kind.name(), kind.key_doc()));
        for field in kind.fields() {
            out.push_str(&format!(
                "  {:<48} {:<10} {}\n",
                field.name,
                type_name(field.ty),
                field.doc
            ));
            if let FieldType::Objects(inner) = field.ty {
                for f in inner {
                    out.push_str(&format!(
                        "    .{:<45} {:<10} {}\n",
                        f.name,
                        type_name(f.ty),
                        f.doc
                    ));
                }
            }
        }
        out.push('\n');
    }
    report::print_text(out.trim_end())?;
    Ok(0)
}

fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Bool => "bool",
        FieldType::Number => "number",
        FieldType::Text => "text",
        FieldType::Timestamp => "timestamp",
        FieldType::TextList => "text list",
        FieldType::Objects(_) => "objects",
        FieldType::TextMap => "map",
        FieldType::Json => "json",
    }
}
