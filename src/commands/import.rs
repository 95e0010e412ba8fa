//! `barkcheck import FILE.md [--output FILE]`: a Markdown checklist turned into a checklist
//! file (see `checklist::import` for how boxes, headings and sign-offs map), checked by the
//! loader before it is written, so what comes out always lints.

use anyhow::{Context, bail};

use crate::checklist::{Overrides, import, load};
use crate::cli::ImportArgs;
use crate::report;

pub fn run(args: &ImportArgs) -> anyhow::Result<u8> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let markdown = String::from_utf8(bytes)
        .with_context(|| format!("{} is not UTF-8 text", args.file.display()))?;
    let source = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file.display().to_string());
    let imported = import::import(&markdown, &source);
    if imported.items + imported.approvals == 0 {
        bail!(
            "{} has no checkbox (`- [ ] ...`) to import",
            args.file.display()
        );
    }
    let origin = args
        .output
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the imported checklist".into());
    load::load_text(&imported.yaml, &origin, &Overrides::default())
        .map_err(|e| anyhow::anyhow!("the import of {source} does not load:\n{e}"))?;

    match &args.output {
        // As for `run --output`, the file's folder is made when missing.
        Some(path) => report::write_file(path, &imported.yaml)?,
        None => report::print_text(imported.yaml.trim_end())?,
    }
    let phases: Vec<String> = imported
        .phases
        .iter()
        .map(|(phase, n)| format!("{phase} {n}"))
        .collect();
    eprintln!(
        "barkcheck: imported {} items and {} role approvals from {source} ({}); every item is \
         manual",
        imported.items,
        imported.approvals,
        phases.join(", ")
    );
    Ok(0)
}
