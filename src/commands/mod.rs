//! One module per subcommand, and what they share: loading the checklist and its state.

pub mod approve;
pub mod completions;
pub mod diff;
pub mod explain;
pub mod fields;
pub mod iam_policy;
pub mod import;
pub mod lint;
pub mod log;
pub mod man;
pub mod open;
pub mod report;
pub mod run;
pub mod schema;
pub mod sign;
pub mod status;
pub mod targets;
pub mod verify;
pub mod waive;
pub mod walk;

use anyhow::bail;

use crate::checklist::{self, Checklist, Overrides, Phase, expect};
use crate::cli::Global;
use crate::state::{self, StateFile};
use crate::verify::aws::AwsOptions;

/// The checklist a command works on, with its state file.
pub struct Workspace {
    pub checklist: Checklist,
    pub state: StateFile,
}

impl Workspace {
    /// Loads the checklist the global options name (the bundled one by default).
    pub fn open(global: &Global) -> anyhow::Result<Workspace> {
        let checklist = load_checklist(global)?;
        let environment = environment(global);
        if state::slug(&environment).is_empty() {
            bail!("--env `{environment}` has no letters or digits to name a state file with");
        }
        let path = global
            .state
            .clone()
            .unwrap_or_else(|| state::default_path(&checklist.name, &environment));
        let state = StateFile::at(
            &path,
            aws_options(global, &checklist),
            &checklist.name,
            &environment,
        )?;
        Ok(Workspace { checklist, state })
    }

    /// A phase by id, or an error listing the phases with a suggestion.
    pub fn phase(&self, id: &str) -> anyhow::Result<&Phase> {
        if let Some(phase) = self.checklist.phase(id) {
            return Ok(phase);
        }
        let ids: Vec<&str> = self
            .checklist
            .phases
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        let hint = expect::suggest(id, &ids)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        bail!(
            "there is no phase `{id}`{hint} (phases: {})",
            ids.join(", ")
        )
    }

    /// An error for an unknown item id, with a suggestion.
    pub fn unknown_item(&self, id: &str) -> anyhow::Error {
        let ids: Vec<&str> = self
            .checklist
            .all_items()
            .map(|(_, e)| e.item.id.as_str())
            .collect();
        let hint = expect::suggest(id, &ids)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        anyhow::anyhow!("there is no item `{id}` in {}{hint}", self.checklist.origin)
    }
}

pub fn load_checklist(global: &Global) -> anyhow::Result<Checklist> {
    let overrides = Overrides {
        vars_file: global.vars_file.clone(),
        vars: global.vars.clone(),
    };
    let checklist = match &global.checklist {
        Some(path) => checklist::load_file(path, &overrides)?,
        None => checklist::load_bundled(&overrides)?,
    };
    Ok(checklist)
}

/// The environment's name: `--env`, else the vars file's stem, else "default".
fn environment(global: &Global) -> String {
    if let Some(name) = &global.environment {
        return name.clone();
    }
    global
        .vars_file
        .as_ref()
        .and_then(|p| p.file_stem())
        .and_then(|s| s.to_str())
        .map(str::to_string)
        .unwrap_or_else(|| "default".to_string())
}

/// How to reach AWS, from the global options and the checklist's `region` variable.
pub fn aws_options(global: &Global, checklist: &Checklist) -> AwsOptions {
    AwsOptions {
        profile: global.profile.clone(),
        region: global.region.clone(),
        endpoint_url: global.endpoint_url.clone(),
        fallback_region: checklist.variable("region").map(str::to_string),
        attempt_timeout: None,
        max_concurrency: None,
    }
}

/// Who is at the keyboard, for `walk`'s default signer.
pub fn current_user() -> Option<String> {
    std::env::var("USER").ok().filter(|u| !u.trim().is_empty())
}

/// The name recorded for a change: the one given, else $USER, else "unknown".
pub fn who(given: Option<&str>) -> String {
    given
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(current_user)
        .unwrap_or_else(|| "unknown".to_string())
}

/// A name given with `--by`, which must not be blank.
pub fn named(by: &str) -> anyhow::Result<String> {
    let by = by.trim();
    if by.is_empty() {
        bail!("--by needs a name");
    }
    Ok(by.to_string())
}
