//! barkcheck: a deployment checklist as a gate. `main` parses the command line, runs the
//! command, and maps the result to an exit code (see `cli::EXIT_CODES`).

use std::process::ExitCode;

use barkcheck::cli::{Cli, Command};
use barkcheck::{checklist, commands};
use clap::Parser;

/// mimalloc rather than the system's malloc: see its line in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // clap keeps only the last level's values of a global flag (`--var` before and after the
    // command); every `--var` counts, in the order given.
    cli.global.vars = barkcheck::cli::var_flags(std::env::args_os().skip(1));
    let result = match &cli.command {
        Command::Run(args) => commands::run::run(&cli.global, args),
        Command::Status(args) => commands::status::run(&cli.global, args),
        Command::Sign(args) => commands::sign::sign(&cli.global, args),
        Command::Unsign(args) => commands::sign::unsign(&cli.global, args),
        Command::Walk(args) => commands::walk::run(&cli.global, args),
        Command::Approve(args) => commands::approve::run(&cli.global, args),
        Command::Waive(args) => commands::waive::waive(&cli.global, args),
        Command::Unwaive(args) => commands::waive::unwaive(&cli.global, args),
        Command::Open(args) => commands::open::run(&cli.global, args),
        Command::Log(args) => commands::log::run(&cli.global, args),
        Command::Verify => commands::verify::run(&cli.global),
        Command::Lint => commands::lint::run(&cli.global),
        Command::Fields(args) => commands::fields::run(args),
        Command::Report(args) => commands::report::run(&cli.global, args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Explain(args) => commands::explain::run(&cli.global, args),
        Command::IamPolicy(args) => commands::iam_policy::run(&cli.global, args),
        Command::Completions(args) => commands::completions::run(args),
        Command::Man(args) => commands::man::run(args),
        Command::Schema => commands::schema::run(),
        Command::Import(args) => commands::import::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A checklist's problems are a list already; other errors print their cause chain.
            match err.downcast_ref::<checklist::LoadError>() {
                Some(load) => eprintln!("{load}"),
                None => eprintln!("error: {err:#}"),
            }
            ExitCode::from(2)
        }
    }
}
