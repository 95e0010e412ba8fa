//! `command`: runs a program and tests its exit code and output (text, or JSON when asked).
//!
//! A checklist that can run programs is a script, so these checks run only with
//! `barkcheck run --allow-commands`; otherwise they are SKIPPED and say so. The program is an
//! argv list, started without a shell, with no input, in its own process group, with an
//! environment of PATH, HOME, locale and TMPDIR plus the variables the check names (so nothing
//! else of barkcheck's environment, like a database URL, can reach its output), and within a
//! timeout after which the whole group is killed and the item is an ERROR. Output is read up to
//! 1 MiB a stream; the values of the variables passed are masked in it; evidence shows at most
//! the first 2,000 characters of a field.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value as Json, json};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{FetchError, Settings, TargetProblem};
use crate::checklist::Check;
use crate::checklist::expect::FieldType::{Bool, Json as AnyJson, Number, Text};
use crate::checklist::expect::{Field, field};

/// How long a program may run unless the check or `run --command-timeout` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The most bytes of each output stream kept.
const OUTPUT_KEPT: usize = 1 << 20;

/// barkcheck's variables a program always gets: what programs need to find themselves and
/// their caches, nothing that carries a secret.
const PASSED: &[&str] = &["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER"];

/// A passed variable's value shorter than this is not masked in output: masking `1` or `prod`
/// would garble the output and hide nothing.
const MASKED_FROM: usize = 6;

pub const COMMAND_FIELDS: &[Field] = &[
    field("command", Text, "the argv, joined by spaces"),
    field(
        "exit_code",
        Number,
        "the exit code (absent when a signal ended it)",
    ),
    field("signal", Number, "the signal that ended it, if one did"),
    field("stdout", Text, "standard output (the first 1 MiB)"),
    field("stderr", Text, "standard error (the first 1 MiB)"),
    field(
        "stdout_truncated",
        Bool,
        "standard output was longer than 1 MiB",
    ),
    field(
        "json",
        AnyJson,
        "standard output parsed as JSON, with `json: true`; test members as json.a.b",
    ),
    field(
        "json_error",
        Text,
        "why standard output is not JSON, with `json: true`",
    ),
];

/// Checks a command's target: `{argv: [...], cwd, timeout, json, env}`.
pub fn check_target(target: &Json) -> Result<(), TargetProblem> {
    let Json::Object(map) = target else {
        return Err(TargetProblem::new(
            "takes {argv: [PROGRAM, ARG, ...]}: an argv list, run without a shell",
        ));
    };
    const KEYS: &[&str] = &["argv", "cwd", "timeout", "json", "env"];
    for (key, value) in map {
        let ok = match key.as_str() {
            "argv" => {
                let Json::Array(args) = value else {
                    return Err(TargetProblem::at(
                        "argv",
                        "`argv` is a list like [npm, audit, --json]; barkcheck runs no shell, so \
                         a command line in one text is not accepted",
                    ));
                };
                if args.is_empty() {
                    return Err(TargetProblem::at(
                        "argv",
                        "`argv` names at least the program",
                    ));
                }
                if let Some(i) = args.iter().position(|a| !a.is_string()) {
                    return Err(TargetProblem {
                        steps: vec!["argv".into(), i.to_string()],
                        ..TargetProblem::new("each argument is text")
                    });
                }
                args[0].as_str().is_some_and(|p| !p.is_empty())
            }
            "cwd" => value.as_str().is_some_and(|d| !d.is_empty()),
            "timeout" => seconds(value).is_some(),
            "json" => {
                value.is_boolean() || value.as_str().is_some_and(|t| t == "true" || t == "false")
            }
            "env" => value
                .as_array()
                .is_some_and(|names| names.iter().all(|n| n.as_str().is_some_and(is_name))),
            _ => {
                return Err(TargetProblem::unknown_key(key, KEYS));
            }
        };
        if !ok {
            let what = match key.as_str() {
                "argv" => "the program's name is not empty",
                "cwd" => "`cwd` is a directory",
                "timeout" => "`timeout` is a number of seconds, more than 0",
                "json" => "`json` is true or false",
                _ => "`env` lists variable names, like [NPM_TOKEN]",
            };
            return Err(TargetProblem::at(key, what));
        }
    }
    if !map.contains_key("argv") {
        return Err(TargetProblem::new(
            "needs `argv`, the program and its arguments",
        ));
    }
    Ok(())
}

fn is_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A timeout written as a number, or as text from a `${variable}`.
fn seconds(value: &Json) -> Option<Duration> {
    let number = match value {
        Json::Number(n) => n.as_f64()?,
        Json::String(text) => text.trim().parse().ok()?,
        _ => return None,
    };
    (number > 0.0 && number.is_finite()).then(|| Duration::from_secs_f64(number))
}

fn argv(target: &Json) -> Vec<String> {
    target["argv"]
        .as_array()
        .map(|args| {
            args.iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Why a command check did not run.
pub fn skip_reason(check: &Check) -> String {
    let command = check
        .target
        .as_ref()
        .map(|t| argv(t).join(" "))
        .unwrap_or_default();
    format!(
        "command checks run programs only with `barkcheck run --allow-commands` (this one runs `{command}`)"
    )
}

/// Runs the program and describes how it ended.
pub async fn run(target: &Json, settings: &Settings) -> Result<Vec<Json>, FetchError> {
    let args = argv(target);
    let shown = args.join(" ");
    let call = format!("command `{shown}`");
    let timeout = target
        .get("timeout")
        .and_then(seconds)
        .or(settings.command_timeout)
        .unwrap_or(DEFAULT_TIMEOUT);
    let wants_json = matches!(target.get("json"), Some(Json::Bool(true)))
        || target.get("json").and_then(Json::as_str) == Some("true");
    let passed: Vec<String> = target
        .get("env")
        .and_then(Json::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();

    let mut command = tokio::process::Command::new(&args[0]);
    command
        .args(&args[1..])
        .env_clear()
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(dir) = target.get("cwd").and_then(Json::as_str) {
        if !Path::new(dir).is_dir() {
            return Err(FetchError::new(
                &call,
                format!("the directory {dir} does not exist"),
            ));
        }
        command.current_dir(dir);
    }
    let mut masked = Vec::new();
    for name in PASSED
        .iter()
        .copied()
        .chain(passed.iter().map(String::as_str))
    {
        if let Some(value) = std::env::var_os(name) {
            if !PASSED.contains(&name) {
                masked.extend(value.to_str().map(str::to_string));
            }
            command.env(name, value);
        }
    }

    let mut child = command.spawn().map_err(|e| {
        let cause = match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("{} is not installed (or not on PATH)", args[0])
            }
            std::io::ErrorKind::PermissionDenied => format!("{} cannot be executed", args[0]),
            _ => e.to_string(),
        };
        FetchError::new(&call, cause)
    })?;
    let pid = child.id();
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let finished = tokio::time::timeout(timeout, async {
        tokio::join!(read_kept(stdout), read_kept(stderr), child.wait())
    })
    .await;
    let ((stdout, stdout_total), (stderr, _), status) = match finished {
        Ok(done) => done,
        Err(_) => {
            // The program may have started others: the whole group goes.
            // TODO: a descendant that made a session or group of its own (setsid) survives this.
            if let Some(group) = pid.and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
                let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            }
            let _ = child.kill().await;
            return Err(FetchError::new(
                &call,
                format!(
                    "did not finish within {} s and was killed",
                    timeout.as_secs_f64()
                ),
            ));
        }
    };
    let status = status.map_err(|e| FetchError::new(&call, e.to_string()))?;

    let mask = |text: Vec<u8>| {
        let mut text = String::from_utf8_lossy(&text).into_owned();
        for value in masked.iter().filter(|v| v.len() >= MASKED_FROM) {
            text = text.replace(value.as_str(), "[masked]");
        }
        text
    };
    let (stdout, stderr) = (mask(stdout), mask(stderr));
    let mut resource = json!({
        "command": shown,
        "exit_code": status.code(),
        "signal": std::os::unix::process::ExitStatusExt::signal(&status),
        "stdout_truncated": stdout_total > OUTPUT_KEPT,
    });
    if wants_json {
        match serde_json::from_str::<Json>(&stdout) {
            Ok(parsed) => resource["json"] = parsed,
            Err(e) => resource["json_error"] = Json::String(e.to_string()),
        }
    }
    resource["stdout"] = Json::String(stdout);
    resource["stderr"] = Json::String(stderr);
    Ok(vec![resource])
}

/// Reads a stream to its end, keeping the first [`OUTPUT_KEPT`] bytes; the total read too.
async fn read_kept(stream: Option<impl AsyncRead + Unpin>) -> (Vec<u8>, usize) {
    let Some(mut stream) = stream else {
        return (Vec::new(), 0);
    };
    let mut kept = Vec::new();
    let mut total = 0;
    let mut buffer = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        let room = OUTPUT_KEPT.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..n.min(room)]);
        total += n;
    }
    (kept, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_argv_lists() {
        let ok = json!({"argv": ["npm", "audit", "--json"], "cwd": "frontend", "timeout": 120, "json": true});
        assert!(check_target(&ok).is_ok());
        let shell = check_target(&json!({"argv": "npm audit --json"})).unwrap_err();
        assert_eq!(shell.steps, ["argv"]);
        let number = check_target(&json!({"argv": ["sleep", 5]})).unwrap_err();
        assert_eq!(number.steps, ["argv", "1"]);
        assert!(check_target(&json!({"argv": ["x"], "timeout": 0})).is_err());
        assert!(check_target(&json!({"argv": ["x"], "shell": true})).is_err());
        assert!(check_target(&json!("npm audit")).is_err());
    }
}
