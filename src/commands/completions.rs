//! `barkcheck completions SHELL`: a completion script for the shell, generated from the clap
//! definitions in `cli.rs`, so it always knows every command and flag of this build.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::report;

pub fn run(args: &CompletionsArgs) -> anyhow::Result<u8> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "barkcheck", &mut script);
    report::print_text(String::from_utf8(script)?.trim_end())?;
    Ok(0)
}
