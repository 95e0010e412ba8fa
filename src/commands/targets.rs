//! `barkcheck run --target NAME... | --all-targets`: one phase checked in several accounts or
//! regions at once, the targets named in the --vars file's `targets:` (see
//! `checklist::load::Target`).
//!
//! Each target runs as a barkcheck process of its own, all started together, so the targets'
//! AWS settings (profile, region, credentials) can never mix, and each keeps the state and
//! history of an environment named after it. Their results are printed in the order the
//! targets were given, each labelled with the target, its region and its profile.

use std::ffi::OsString;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde_json::{Value as Json, json};

use crate::checklist::expect::suggest;
use crate::checklist::load::{Target, read_targets};
use crate::cli::{Format, Global, RunArgs};
use crate::report;

/// What one target's process ended with.
struct Finished {
    target: Target,
    code: i32,
    stdout: String,
    stderr: String,
}

pub fn run(global: &Global, args: &RunArgs) -> anyhow::Result<u8> {
    let Some(file) = &global.vars_file else {
        bail!("--target and --all-targets need --vars FILE, whose `targets:` names them");
    };
    for (given, flag) in [
        (global.state.is_some(), "--state"),
        (global.environment.is_some(), "--env"),
        (global.profile.is_some(), "--profile"),
        (global.region.is_some(), "--region"),
        (!args.outputs.is_empty(), "--output"),
    ] {
        if given {
            bail!(
                "{flag} cannot be used with several targets: each target names its own profile \
                 and region, and keeps the state of an environment named after it"
            );
        }
    }
    if !matches!(args.format, Format::Table | Format::Json | Format::Markdown) {
        bail!("with several targets, --format is table, json or markdown");
    }
    let known = read_targets(file).map_err(|e| anyhow::anyhow!("{e}"))?;
    if known.is_empty() {
        bail!("{} has no `targets:`", file.display());
    }
    let chosen = choose(&known, args)?;

    let program = std::env::current_exe().context("cannot find barkcheck's own program")?;
    let shared = arguments_for_each();
    let mut running = Vec::new();
    for target in chosen {
        let mut command = Command::new(&program);
        // The target's variables first: a --var of the command line still wins over them.
        for (name, value) in &target.vars {
            command.arg("--var").arg(format!("{name}={value}"));
        }
        command.args(&shared).arg("--env").arg(&target.name);
        if let Some(region) = &target.region {
            command.arg("--region").arg(region);
        }
        if let Some(profile) = &target.profile {
            command.arg("--profile").arg(profile);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start the run of target {}", target.name))?;
        running.push((target, child));
    }
    let mut finished = Vec::new();
    for (target, child) in running {
        let output = child
            .wait_with_output()
            .with_context(|| format!("the run of target {} did not finish", target.name))?;
        finished.push(Finished {
            target,
            code: output.status.code().unwrap_or(2),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }

    for run in &finished {
        for line in run.stderr.lines() {
            eprintln!("[{}] {line}", run.target.name);
        }
    }
    match args.format {
        Format::Json => report::print_text(&serde_json::to_string_pretty(&as_json(&finished))?)?,
        _ => {
            let markdown = args.format == Format::Markdown;
            let mut text = String::new();
            for run in &finished {
                let label = label(&run.target);
                if markdown {
                    text.push_str(&format!("# Target {label}\n\n{}\n", run.stdout));
                } else {
                    text.push_str(&format!("━━ target {label} ━━\n{}\n", run.stdout));
                }
            }
            report::print_text(&text)?;
        }
    }
    Ok(worst(finished.iter().map(|r| r.code)))
}

/// The targets asked for, in the order given; an unknown name is an error with a suggestion.
fn choose(known: &[Target], args: &RunArgs) -> anyhow::Result<Vec<Target>> {
    if args.all_targets {
        return Ok(known.to_vec());
    }
    let names: Vec<&str> = known.iter().map(|t| t.name.as_str()).collect();
    let mut chosen: Vec<Target> = Vec::new();
    for name in &args.targets {
        let Some(target) = known.iter().find(|t| &t.name == name) else {
            let hint = suggest(name, &names)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            bail!(
                "there is no target `{name}`{hint} (targets: {})",
                names.join(", ")
            );
        };
        if !chosen.contains(target) {
            chosen.push(target.clone());
        }
    }
    Ok(chosen)
}

/// The command line of this process without its target flags, for every target's run.
fn arguments_for_each() -> Vec<OsString> {
    let mut out = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "--target" {
            args.next();
        } else if !(text.starts_with("--target=") || text == "--all-targets") {
            out.push(arg);
        }
    }
    out
}

fn label(target: &Target) -> String {
    let mut parts = Vec::new();
    if let Some(region) = &target.region {
        parts.push(format!("region {region}"));
    }
    if let Some(profile) = &target.profile {
        parts.push(format!("profile {profile}"));
    }
    if parts.is_empty() {
        target.name.clone()
    } else {
        format!("{} ({})", target.name, parts.join(", "))
    }
}

/// `{"targets": [{target, region, profile, exit_code, report}]}`; a target whose run printed
/// no report (it could not start) carries its error instead.
fn as_json(finished: &[Finished]) -> Json {
    let targets: Vec<Json> = finished
        .iter()
        .map(|run| {
            let mut entry = json!({
                "target": run.target.name,
                "region": run.target.region,
                "profile": run.target.profile,
                "exit_code": run.code,
            });
            match serde_json::from_str::<Json>(&run.stdout) {
                Ok(report) => entry["report"] = report,
                Err(_) => entry["error"] = json!(run.stderr.trim()),
            }
            entry
        })
        .collect();
    json!({ "targets": targets })
}

/// The exit code of the whole: a usage or input error (2) first, then could not verify (3),
/// then not ready (1), then ready (0).
fn worst(codes: impl Iterator<Item = i32>) -> u8 {
    let rank = |code: i32| match code {
        0 => 0,
        1 => 1,
        3 => 2,
        _ => 3,
    };
    match codes.max_by_key(|c| rank(*c)) {
        Some(0) | None => 0,
        Some(1) => 1,
        Some(3) => 3,
        Some(_) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::worst;

    #[test]
    fn the_worst_exit_code_wins() {
        assert_eq!(worst([0, 1, 0].into_iter()), 1);
        assert_eq!(worst([1, 3, 0].into_iter()), 3);
        assert_eq!(worst([3, 2, 1].into_iter()), 2);
        assert_eq!(worst([0, 0].into_iter()), 0);
    }
}
