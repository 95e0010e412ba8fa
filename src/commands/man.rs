//! `barkcheck man [COMMAND]`: the man page (roff), generated from the clap definitions in
//! `cli.rs`: barkcheck's own page, or one command's (`barkcheck man run`).

use anyhow::bail;
use clap::CommandFactory;

use crate::checklist::expect;
use crate::cli::{Cli, ManArgs};
use crate::report;

pub fn run(args: &ManArgs) -> anyhow::Result<u8> {
    let mut top = Cli::command();
    // Building names each command's page after its parents: barkcheck-run(1) for `run`.
    top.build();
    let command = match &args.command {
        None => top,
        Some(name) => {
            let names: Vec<String> = top
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let Some(sub) = top.find_subcommand(name) else {
                let words: Vec<&str> = names.iter().map(String::as_str).collect();
                let hint = expect::suggest(name, &words)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                bail!(
                    "there is no command `{name}`{hint} (commands: {})",
                    names.join(", ")
                );
            };
            sub.clone()
        }
    };
    let mut page = Vec::new();
    let source = format!("barkcheck {}", env!("CARGO_PKG_VERSION"));
    clap_mangen::Man::new(command)
        .source(source)
        .render(&mut page)?;
    report::print_text(String::from_utf8(page)?.trim_end())?;
    Ok(0)
}
