//! Loading a checklist: text to raw shapes to a validated [`Checklist`], in two steps.
//!
//! A syntax or structural error stops loading at once (serde_yaml reports the first one with
//! its position). Past that, every problem in the file is collected before stopping, each
//! pointing at `file:line:column`, so a user fixes them all in one pass.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path as FsPath, PathBuf};

use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

use super::expect::{self, Matcher};
use super::raw::{RawChecklist, RawItem, RawSection};
use super::yaml::{self, LazyTree, Path, Pos, Tree};
use super::{
    BUNDLED, BUNDLED_ORIGIN, Check, Checklist, Condition, Item, MatchMode, Phase, Section,
};
use crate::verify::Kind;

/// Variable values given on the command line, applied over the checklist's defaults.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// A YAML file of `name: value` pairs (`--vars env/prod.yaml`).
    pub vars_file: Option<PathBuf>,
    /// `--var name=value` pairs, applied after the file.
    pub vars: Vec<(String, String)>,
}

/// One problem in an input file.
#[derive(Debug, Clone)]
pub struct Problem {
    pub origin: String,
    pub pos: Option<Pos>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(pos) => write!(f, "{}:{}: {}", self.origin, pos, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

/// Every problem found in a checklist (and its variables), in file order.
#[derive(Debug)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        let n = self.problems.len();
        write!(
            f,
            "{n} problem{} found; nothing was run",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for LoadError {}

/// Loads the checklist embedded in the binary.
pub fn load_bundled(overrides: &Overrides) -> Result<Checklist, LoadError> {
    load_text(BUNDLED, BUNDLED_ORIGIN, overrides)
}

/// Loads a checklist file.
pub fn load_file(path: &FsPath, overrides: &Overrides) -> Result<Checklist, LoadError> {
    let origin = path.display().to_string();
    let text = read_text(path, &origin)?;
    load_text(&text, &origin, overrides)
}

fn read_text(path: &FsPath, origin: &str) -> Result<String, LoadError> {
    let bytes = std::fs::read(path)
        .map_err(|e| single(origin, None, format!("cannot read the file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        single(
            origin,
            None,
            format!("the file is not UTF-8 text (invalid byte at offset {offset})"),
        )
    })
}

fn single(origin: &str, pos: Option<Pos>, message: String) -> LoadError {
    LoadError {
        problems: vec![Problem {
            origin: origin.to_string(),
            pos,
            message,
        }],
    }
}

/// Parses YAML text into raw shapes and its position tree, or the first error that stops it.
fn parse<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<(T, Tree), LoadError> {
    let (raw, positions) = parse_lazily(text, origin)?;
    if let Some(stop) = stopping_problems(&positions, origin) {
        return Err(stop);
    }
    let tree = positions
        .into_tree()
        .expect("parsed without a syntax error by stopping_problems");
    Ok((raw, tree))
}

/// Parses YAML text into raw shapes, leaving its positions to be parsed when first needed,
/// or the first error that stops it.
fn parse_lazily<'t, T: serde::de::DeserializeOwned>(
    text: &'t str,
    origin: &str,
) -> Result<(T, LazyTree<'t>), LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(single(origin, None, "the file is empty".into()));
    }
    let positions = LazyTree::new(text);
    // serde_yaml's scanner slows down sharply on deeply nested flow collections (seconds at a
    // depth of tens of thousands), where the position parser stops at a depth of 255.
    if may_nest_deeper_than(text, 255)
        && let Some(stop) = stopping_problems(&positions, origin)
    {
        return Err(stop);
    }
    match serde_yaml::from_str(text) {
        Ok(raw) => Ok((raw, positions)),
        // A syntax error or a duplicate key, as the position parser words it, comes first.
        Err(e) => Err(stopping_problems(&positions, origin).unwrap_or_else(|| {
            single(
                origin,
                yaml::serde_error_pos(&e),
                yaml::serde_error_message(&e),
            )
        })),
    }
}

/// Whether `text` may open more than `limit` flow collections (`[`, `{`) inside one another;
/// brackets in quotes and comments count too, which only costs a parse that finds nothing.
fn may_nest_deeper_than(text: &str, limit: usize) -> bool {
    let mut depth = 0usize;
    for byte in text.bytes() {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Whether a mapping in the checklist's variables or checks has a key that is not text.
fn non_text_keys(raw: &RawChecklist) -> bool {
    fn in_value(value: &Value) -> bool {
        match value {
            Value::Mapping(map) => map
                .iter()
                .any(|(key, value)| !key.is_string() || in_value(value)),
            Value::Sequence(items) => items.iter().any(in_value),
            Value::Tagged(tagged) => in_value(&tagged.value),
            _ => false,
        }
    }
    fn in_item(item: &RawItem) -> bool {
        item.verify.as_ref().is_some_and(in_value) || item.items.iter().any(in_item)
    }
    fn in_section(section: &RawSection) -> bool {
        section.items.iter().any(in_item) || section.sections.iter().any(in_section)
    }
    raw.variables.keys().any(|key| !key.is_string())
        || raw.variables.values().any(in_value)
        || raw.phases.iter().any(|p| p.sections.iter().any(in_section))
}

/// The problems that make every other one untrustworthy: a syntax error, or keys given twice
/// (serde_yaml stops at the first one; every one is listed here).
fn stopping_problems(positions: &LazyTree, origin: &str) -> Option<LoadError> {
    match positions.get() {
        Ok(tree) => duplicate_keys(tree, origin),
        Err(e) => {
            let message = format!("invalid YAML: {}", e.message);
            Some(single(origin, Some(e.pos), message))
        }
    }
}

/// Every key given twice in one mapping, each where it is given again.
fn duplicate_keys(tree: &Tree, origin: &str) -> Option<LoadError> {
    if tree.duplicate_keys.is_empty() {
        return None;
    }
    let problems = tree
        .duplicate_keys
        .iter()
        .map(|(path, second, first)| Problem {
            origin: origin.to_string(),
            pos: Some(*second),
            message: format!(
                "duplicate key `{path}` (first given at line {})",
                first.line
            ),
        })
        .collect();
    Some(LoadError { problems })
}

/// Loads checklist text; `origin` names it in messages.
pub fn load_text(text: &str, origin: &str, overrides: &Overrides) -> Result<Checklist, LoadError> {
    let (raw, positions): (RawChecklist, LazyTree) = parse_lazily(text, origin)?;
    let mut cx = Context {
        origin,
        tree: &positions,
        problems: Vec::new(),
        ids: HashMap::new(),
    };

    if raw.barkcheck != 1 {
        cx.problem(
            &Path::root().join("barkcheck"),
            format!(
                "format version {} is not supported; this barkcheck reads 1",
                raw.barkcheck
            ),
        );
    }
    let variables = cx.variables(&raw.variables, overrides);
    let vars: HashMap<&str, &str> = variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    let mut phases = Vec::new();
    let mut phase_ids = HashSet::new();
    for (i, phase) in raw.phases.iter().enumerate() {
        let path = Path::root().join("phases").join(i);
        cx.check_id(&path.join("id"), &phase.id);
        if !phase_ids.insert(phase.id.clone()) {
            cx.problem(
                &path.join("id"),
                format!("phase `{}` is defined twice", phase.id),
            );
        }
        let mut sections = Vec::new();
        let mut roles = HashSet::new();
        for (j, section) in phase.sections.iter().enumerate() {
            let section = cx.section(section, &path.join("sections").join(j), &vars, true);
            for role in &section.approvals {
                // Roles are matched without regard to case on the command line.
                if !roles.insert(role.to_lowercase()) {
                    let at = path.join("sections").join(j).join("approvals");
                    cx.problem(
                        &at,
                        format!("role `{role}` approves phase `{}` twice", phase.id),
                    );
                }
            }
            sections.push(section);
        }
        let empty = sections.iter().all(|s: &Section| {
            s.items.is_empty()
                && s.approvals.is_empty()
                && s.sections.iter().all(|t| t.items.is_empty())
        });
        if empty {
            let message = format!(
                "phase `{}` has no items and no approvals, so it would always be ready",
                phase.id
            );
            cx.problem(&path.join("id"), message);
        }
        phases.push(Phase {
            id: phase.id.clone(),
            title: phase.title.clone(),
            sections,
        });
    }
    if phases.is_empty() {
        cx.problem(
            &Path::root().join("phases"),
            "a checklist needs at least one phase".into(),
        );
    }

    // Keys that serde_yaml told apart but that read the same (`1` and `"1"`) are duplicates to a
    // reader, and to the JSON a check sees: only a mapping with a key that is not text can hide
    // one, so only then (or when there are problems anyway) are the positions parsed to look.
    // Text that serde_yaml read but yaml-rust2 refuses keeps its problems, without positions.
    let suspect = !cx.problems.is_empty() || non_text_keys(&raw);
    if suspect
        && let Ok(tree) = positions.get()
        && let Some(stop) = duplicate_keys(tree, origin)
    {
        return Err(stop);
    }
    if cx.problems.is_empty() {
        Ok(Checklist {
            name: raw.name,
            version: raw.version,
            description: raw.description,
            origin: origin.to_string(),
            variables,
            phases,
        })
    } else {
        cx.problems
            .sort_by_key(|p| p.pos.map(|pos| (pos.line, pos.column)));
        Err(LoadError {
            problems: cx.problems,
        })
    }
}

/// Where a variable's value was given: in the checklist (its path, whose position is looked up
/// only if a problem needs it), or in a vars file or a `--var` (where, with an empty message).
enum GivenIn {
    Checklist(Path),
    Elsewhere(Problem),
}

/// What validation carries while it walks the raw checklist.
struct Context<'a> {
    origin: &'a str,
    /// Parsed at the first problem: a checklist without any never needs positions.
    tree: &'a LazyTree<'a>,
    problems: Vec<Problem>,
    /// Section and item ids seen so far, with where, to report duplicates.
    ids: HashMap<String, Path>,
}

impl Context<'_> {
    fn problem(&mut self, path: &Path, message: String) {
        let pos = self.tree.pos(path);
        self.problems.push(Problem {
            origin: self.origin.to_string(),
            pos,
            message,
        });
    }

    fn key_problem(&mut self, path: &Path, message: String) {
        let pos = self.tree.key_pos(path);
        self.problems.push(Problem {
            origin: self.origin.to_string(),
            pos,
            message,
        });
    }

    /// Ids are what people type on the command line: lowercase words joined by hyphens.
    fn check_id(&mut self, path: &Path, id: &str) {
        let ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !id.starts_with('-');
        if !ok {
            self.problem(
                path,
                format!("id `{id}` must be lowercase letters, digits and hyphens"),
            );
        }
    }

    fn unique_id(&mut self, path: &Path, id: &str) {
        self.check_id(path, id);
        if let Some(first) = self.ids.insert(id.to_string(), path.clone()) {
            let message = match self.tree.pos(&first) {
                Some(pos) => format!("id `{id}` is used twice (first at line {})", pos.line),
                None => format!("id `{id}` is used twice"),
            };
            self.problem(path, message);
        }
    }

    fn variables(&mut self, declared: &Mapping, overrides: &Overrides) -> Vec<(String, String)> {
        // Each value with where it came from, so a problem in it points there.
        let mut values: Vec<(String, String, GivenIn)> = Vec::new();
        let base = Path::root().join("variables");
        for (key, value) in declared {
            let Some(name) = key.as_str() else {
                self.problem(&base, "variable names are words".into());
                continue;
            };
            let at = base.join(name);
            match scalar_text(value) {
                Some(text) => values.push((name.to_string(), text, GivenIn::Checklist(at))),
                None => self.problem(
                    &at,
                    format!("variable `{name}` must be a single value (text, number or boolean)"),
                ),
            }
        }

        let mut given: Vec<(String, String, Problem)> = Vec::new();
        if let Some(file) = &overrides.vars_file {
            match read_vars_file(file) {
                Ok(pairs) => given.extend(pairs),
                Err(mut e) => self.problems.append(&mut e.problems),
            }
        }
        for (name, value) in &overrides.vars {
            let origin = Problem {
                origin: format!("--var {name}"),
                pos: None,
                message: String::new(),
            };
            given.push((name.clone(), value.clone(), origin));
        }
        for (name, value, origin) in given {
            match values.iter_mut().find(|(n, _, _)| *n == name) {
                Some(slot) => (slot.1, slot.2) = (value, GivenIn::Elsewhere(origin)),
                None => {
                    let names: Vec<&str> = values.iter().map(|(n, _, _)| n.as_str()).collect();
                    let hint = expect::suggest(&name, &names)
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    let origin = if origin.origin.starts_with("--var") {
                        Problem {
                            origin: "--var".into(),
                            ..origin
                        }
                    } else {
                        origin
                    };
                    self.problems.push(Problem {
                        message: format!("`{name}` is not a variable of this checklist{hint}"),
                        ..origin
                    });
                }
            }
        }

        // Values may refer to other variables (`app_domain: app.${domain}`): resolve each by
        // following references, refusing undefined names, unclosed `${` and cycles.
        let raw: HashMap<String, String> = values
            .iter()
            .map(|(n, v, _)| (n.clone(), v.clone()))
            .collect();
        let mut resolved = Vec::new();
        for (name, _, origin) in &values {
            match resolve(name, &raw, &mut Vec::new()) {
                Ok(value) => resolved.push((name.clone(), value)),
                Err(why) => {
                    let message = format!("variable `{name}`: {why}");
                    let problem = match origin {
                        GivenIn::Checklist(at) => Problem {
                            origin: self.origin.to_string(),
                            pos: self.tree.pos(at),
                            message,
                        },
                        GivenIn::Elsewhere(given) => Problem {
                            message,
                            ..given.clone()
                        },
                    };
                    self.problems.push(problem);
                    resolved.push((name.clone(), String::new()));
                }
            }
        }
        resolved
    }

    fn section(
        &mut self,
        raw: &RawSection,
        path: &Path,
        vars: &HashMap<&str, &str>,
        top: bool,
    ) -> Section {
        self.unique_id(&path.join("id"), &raw.id);
        if top && raw.part.is_none() && raw.title.is_none() {
            self.problem(
                path,
                format!("section `{}` needs a `part` or a `title`", raw.id),
            );
        }
        if !top && raw.title.is_none() {
            self.problem(path, format!("step `{}` needs a `title`", raw.id));
        }
        if !top && !raw.sections.is_empty() {
            let message = format!(
                "step `{}` cannot hold steps of its own; only sections do",
                raw.id
            );
            self.key_problem(&path.join("sections"), message);
        }
        if !top && !raw.approvals.is_empty() {
            let message = format!(
                "approvals belong to a section of the phase, not to step `{}`",
                raw.id
            );
            self.key_problem(&path.join("approvals"), message);
        }
        let items = raw
            .items
            .iter()
            .enumerate()
            .map(|(k, item)| self.item(item, &path.join("items").join(k), vars))
            .collect();
        let sections = raw
            .sections
            .iter()
            .enumerate()
            .map(|(k, step)| self.section(step, &path.join("sections").join(k), vars, false))
            .collect();
        for (k, role) in raw.approvals.iter().enumerate() {
            if role.trim().is_empty() {
                self.problem(
                    &path.join("approvals").join(k),
                    "a role needs a name".into(),
                );
            } else if role.trim() != role {
                let message = format!(
                    "role `{role}` has spaces around it; write `{}`",
                    role.trim()
                );
                self.problem(&path.join("approvals").join(k), message);
            }
        }
        Section {
            id: raw.id.clone(),
            part: raw.part.clone(),
            title: raw.title.clone(),
            notes: raw.notes.clone(),
            items,
            sections,
            approvals: raw.approvals.clone(),
        }
    }

    fn item(&mut self, raw: &RawItem, path: &Path, vars: &HashMap<&str, &str>) -> Item {
        self.unique_id(&path.join("id"), &raw.id);
        if raw.text.trim().is_empty() {
            self.problem(&path.join("text"), format!("item `{}` has no text", raw.id));
        }
        let check = raw
            .verify
            .as_ref()
            .and_then(|v| self.check(v, &path.join("verify"), vars));
        let when = raw.when.as_ref().and_then(|written| {
            let text = self.substitute(written, &path.join("when"), vars)?;
            match text.trim() {
                "true" | "yes" | "1" | "on" => Some(Condition {
                    written: written.clone(),
                    holds: true,
                }),
                "false" | "no" | "0" | "off" | "" => Some(Condition {
                    written: written.clone(),
                    holds: false,
                }),
                other => {
                    let message = format!("`when` must come out true or false, not `{other}`");
                    self.problem(&path.join("when"), message);
                    None
                }
            }
        });
        let valid_for =
            raw.valid_for
                .as_ref()
                .and_then(|text| match text.parse::<jiff::SignedDuration>() {
                    Ok(d) if d.is_positive() => Some(d),
                    _ => {
                        let message =
                            format!("`valid_for` is a duration like 24h or 90m, not `{text}`");
                        self.problem(&path.join("valid_for"), message);
                        None
                    }
                });
        let fix = raw
            .fix
            .as_ref()
            .and_then(|f| self.substitute(f, &path.join("fix"), vars));
        let items = raw
            .items
            .iter()
            .enumerate()
            .map(|(k, child)| self.item(child, &path.join("items").join(k), vars))
            .collect();
        Item {
            id: raw.id.clone(),
            text: raw.text.clone(),
            check,
            items,
            tags: raw.tags.clone(),
            fix,
            blocking: raw.blocking.unwrap_or(true),
            notes: raw.notes.clone(),
            when,
            valid_for,
            // An item decided by its check is never signed, so only a manual item needs one.
            digest: if raw.verify.is_none() {
                digest(raw)
            } else {
                String::new()
            },
        }
    }

    fn substitute(
        &mut self,
        text: &str,
        path: &Path,
        vars: &HashMap<&str, &str>,
    ) -> Option<String> {
        match substitute(text, &|n| vars.get(n).copied()) {
            Ok(text) => Some(text),
            Err(name) if name.starts_with("${") => {
                let fragment = name.split(" (never closed").next().unwrap_or_default();
                self.problem(
                    path,
                    format!("`{fragment}` opens a variable but never closes it with `}}`"),
                );
                None
            }
            Err(name) => {
                let names: Vec<&str> = vars.keys().copied().collect();
                let hint = expect::suggest(&name, &names)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                self.problem(
                    path,
                    format!("`${{{name}}}` is not a defined variable{hint}"),
                );
                None
            }
        }
    }

    /// Substitutes variables in every text of a YAML value; None if any was undefined.
    fn substitute_value(
        &mut self,
        value: &Value,
        path: &Path,
        vars: &HashMap<&str, &str>,
    ) -> Option<Value> {
        match value {
            Value::String(text) => self.substitute(text, path, vars).map(Value::String),
            Value::Sequence(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    out.push(self.substitute_value(item, &path.join(i), vars));
                }
                out.into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Value::Sequence)
            }
            Value::Mapping(map) => {
                let mut out = Mapping::new();
                let mut ok = true;
                for (key, item) in map {
                    let step = key.as_str().unwrap_or_default();
                    match self.substitute_value(item, &path.join(step), vars) {
                        Some(item) => {
                            out.insert(key.clone(), item);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(Value::Mapping(out))
            }
            other => Some(other.clone()),
        }
    }

    fn check(&mut self, raw: &Value, path: &Path, vars: &HashMap<&str, &str>) -> Option<Check> {
        let Value::Mapping(map) = raw else {
            let message = if raw.is_null() {
                "`verify` is empty: give a resource kind and `expect:`, or remove `verify` to make \
                 the item manual"
            } else {
                "`verify` is a mapping: a resource kind, then `expect:`"
            };
            // An empty value has no position of its own worth showing; its key has.
            self.key_problem(path, message.into());
            return None;
        };
        let mut kind = None;
        let mut expect = None;
        let mut mode = MatchMode::Any;
        let mut selected = None;
        let mut ok = true;
        for (key, value) in map {
            let Some(key) = key.as_str() else {
                self.problem(path, "keys of `verify` are words".into());
                ok = false;
                continue;
            };
            let at = path.join(key);
            match key {
                "expect" => expect = Some((value, at)),
                "selected" => selected = Some((value, at)),
                "match" => match value.as_str() {
                    Some("any") => mode = MatchMode::Any,
                    Some("all") => mode = MatchMode::All,
                    _ => {
                        self.problem(&at, "`match` is `any` or `all`".into());
                        ok = false;
                    }
                },
                name => match Kind::from_name(name) {
                    Some(k) if kind.is_none() => kind = Some((k, value, at)),
                    Some(_) => {
                        self.key_problem(&at, "a `verify` block names one resource kind".into());
                        ok = false;
                    }
                    None => {
                        let mut words: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                        words.extend(["expect", "match", "selected"]);
                        let hint = expect::suggest(name, &words)
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default();
                        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                        self.key_problem(
                            &at,
                            format!(
                                "unknown verifier `{name}`{hint} (kinds: {})",
                                kinds.join(", ")
                            ),
                        );
                        ok = false;
                    }
                },
            }
        }
        let Some((kind, selector, selector_path)) = kind else {
            if ok {
                let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                self.problem(
                    path,
                    format!("`verify` names no resource kind ({})", kinds.join(", ")),
                );
            }
            return None;
        };
        let Some((expect, expect_path)) = expect else {
            self.problem(
                path,
                "`verify` needs `expect:` with at least one field".into(),
            );
            return None;
        };

        let selector = self.substitute_value(selector, &selector_path, vars)?;
        let mut plain_key = scalar_text(&selector);
        let target = if kind.probes() {
            let target = serde_json::to_value(&selector).unwrap_or(serde_json::Value::Null);
            if let Err(problem) = kind.check_target(&target) {
                let mut at = selector_path.clone();
                for step in &problem.steps {
                    at = match step.parse::<usize>() {
                        Ok(index) => at.join(index),
                        Err(_) => at.join(step.as_str()),
                    };
                }
                let message = format!("{}: {}", kind.name(), problem.message);
                if problem.key {
                    self.key_problem(&at, message);
                } else {
                    self.problem(&at, message);
                }
                return None;
            }
            plain_key = Some(kind.describe_target(&target));
            Some(target)
        } else {
            None
        };
        let selector = if kind.probes() {
            Vec::new()
        } else {
            self.selector(kind, &selector, &selector_path)?
        };
        let selector_text = plain_key.unwrap_or_else(|| {
            let parts: Vec<String> = selector.iter().map(|(f, m)| format!("{f} {m}")).collect();
            parts.join(" and ")
        });
        let expect_value = self.substitute_value(expect, &expect_path, vars)?;
        let expect = self.fields(kind, &expect_value, &expect_path)?;
        if expect.is_empty() {
            self.problem(&expect_path, "`expect` needs at least one field".into());
            return None;
        }
        // How many resources the selector must pick, in the expectation language of numbers.
        let selected = match selected {
            None => None,
            Some((value, at)) => {
                let value = self.substitute_value(value, &at, vars)?;
                match Matcher::parse(&value, expect::FieldType::Number) {
                    Ok(matcher) => Some(matcher),
                    Err(e) => {
                        self.problem(&at, format!("selected: {}", e.message));
                        return None;
                    }
                }
            }
        };
        // A probe's target is read now, so a missing `url` points at its line, not at a run.
        if let Some(target) = &target {
            let problems = kind.check_probe_target(target, &expect);
            for problem in &problems {
                let at = problem
                    .at
                    .iter()
                    .fold(selector_path.clone(), |path, step| path.join(step.clone()));
                let message = format!("{}: {}", kind.name(), problem.message);
                // A misspelt key, or a whole mapping that lacks one, is shown at a key's name.
                if problem.key || (problem.at.is_empty() && target.is_object()) {
                    self.key_problem(&at, message);
                } else {
                    self.problem(&at, message);
                }
            }
            if !problems.is_empty() {
                return None;
            }
        }
        ok.then_some(Check {
            kind,
            selector_text,
            selector,
            target,
            expect,
            mode,
            selected,
        })
    }

    fn selector(
        &mut self,
        kind: Kind,
        value: &Value,
        path: &Path,
    ) -> Option<Vec<(String, Matcher)>> {
        match value {
            Value::Mapping(_) => self.fields(kind, value, path),
            other => match scalar_text(other) {
                Some(key) if !key.is_empty() => Some(vec![kind.key_selector(&key)]),
                _ => {
                    let message = format!(
                        "`{}` takes a {} or a mapping of field expectations",
                        kind.name(),
                        kind.key_doc()
                    );
                    self.problem(path, message);
                    None
                }
            },
        }
    }

    /// Parses `field: expectation` pairs against the kind's field catalog.
    fn fields(&mut self, kind: Kind, value: &Value, path: &Path) -> Option<Vec<(String, Matcher)>> {
        let Value::Mapping(map) = value else {
            self.problem(path, "expected a mapping of `field: expectation`".into());
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (key, expectation) in map {
            let Some(field) = key.as_str() else {
                self.problem(path, "field names are words".into());
                ok = false;
                continue;
            };
            let at = path.join(field);
            let Some(ty) = expect::field_type(kind.fields(), field) else {
                let names: Vec<&str> = kind.fields().iter().map(|f| f.name).collect();
                let hint = expect::suggest(field, &names)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                self.key_problem(
                    &at,
                    format!(
                        "`{}` has no field `{field}`{hint} (see `barkcheck fields {}`)",
                        kind.name(),
                        kind.name()
                    ),
                );
                ok = false;
                continue;
            };
            match Matcher::parse(expectation, ty) {
                Ok(matcher) => out.push((field.to_string(), matcher)),
                Err(e) => {
                    let mut deeper = at.clone();
                    for step in &e.steps {
                        deeper = deeper.join(step.as_str());
                    }
                    self.problem(&deeper, format!("{field}: {}", e.message));
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }
}

/// Reads a vars file: a mapping of names to single values.
fn read_vars_file(path: &FsPath) -> Result<Vec<(String, String, Problem)>, LoadError> {
    let origin = path.display().to_string();
    let text = read_text(path, &origin)?;
    let (map, tree): (Mapping, Tree) = parse(&text, &origin)?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (key, value) in &map {
        let name = key.as_str().map(str::to_string).unwrap_or_default();
        if name == TARGETS_KEY {
            // The accounts and regions of a multi-target run (`read_targets`), not a variable.
            continue;
        }
        let at = Path::root().join(name.as_str());
        let locate = Problem {
            origin: origin.clone(),
            pos: Some(tree.key_pos(&at)),
            message: String::new(),
        };
        match scalar_text(value) {
            Some(text) if !name.is_empty() => out.push((name, text, locate)),
            _ => problems.push(Problem {
                message: format!("`{name}` must be a name with a single value"),
                ..locate
            }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(LoadError { problems })
    }
}

/// The key of a vars file that names the targets of a multi-target run.
pub const TARGETS_KEY: &str = "targets";

/// One account and region to check in a multi-target run, from a vars file's `targets:`:
///
/// ```yaml
/// targets:
///   staging: {profile: barkbase-staging, region: eu-west-1, vars: {db_instance_id: bb-staging}}
///   production: {profile: barkbase-prod, region: us-east-1}
/// ```
///
/// A profile may itself assume a role (`role_arn` and `source_profile` in ~/.aws/config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Variables of this target, over the vars file's own.
    pub vars: Vec<(String, String)>,
}

/// The targets of a vars file, in the file's order; an empty list when it names none.
pub fn read_targets(path: &FsPath) -> Result<Vec<Target>, LoadError> {
    let origin = path.display().to_string();
    let text = read_text(path, &origin)?;
    let (map, tree): (Mapping, Tree) = parse(&text, &origin)?;
    let mut problems = Vec::new();
    let mut targets = Vec::new();
    let problem = |at: &Path, key: bool, message: String| Problem {
        origin: origin.clone(),
        pos: Some(if key { tree.key_pos(at) } else { tree.pos(at) }),
        message,
    };
    let Some(value) = map.get(TARGETS_KEY) else {
        return Ok(targets);
    };
    let root = Path::root().join(TARGETS_KEY);
    let Some(entries) = value.as_mapping().filter(|m| !m.is_empty()) else {
        return Err(LoadError {
            problems: vec![problem(
                &root,
                false,
                "`targets` must map each target's name to \
                {profile, region, vars}"
                    .into(),
            )],
        });
    };
    for (key, value) in entries {
        let name = key.as_str().unwrap_or_default().to_string();
        let at = root.join(name.as_str());
        if name.trim().is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            problems.push(problem(
                &at,
                true,
                format!("target name `{name}` may hold only letters, digits, `-`, `_` and `.`"),
            ));
            continue;
        }
        let mut target = Target {
            name: name.clone(),
            profile: None,
            region: None,
            vars: Vec::new(),
        };
        let Some(fields) = value.as_mapping() else {
            problems.push(problem(
                &at,
                false,
                format!("target `{name}` must be a mapping of profile, region and vars"),
            ));
            continue;
        };
        for (field, value) in fields {
            let field = field.as_str().unwrap_or_default();
            let here = at.join(field);
            match (field, value) {
                ("region", value) => match scalar_text(value) {
                    // An AWS region's shape, like us-east-1 or ap-southeast-2.
                    Some(text)
                        if text.split('-').count() >= 3
                            && text.split('-').all(|p| !p.is_empty())
                            && text.chars().all(|c| {
                                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
                            })
                            && text.ends_with(|c: char| c.is_ascii_digit()) =>
                    {
                        target.region = Some(text)
                    }
                    _ => problems.push(problem(
                        &here,
                        false,
                        "`region` must be an AWS region, like us-east-1".into(),
                    )),
                },
                ("profile", value) => match scalar_text(value) {
                    Some(text) if !text.trim().is_empty() => {
                        if field == "profile" {
                            target.profile = Some(text)
                        } else {
                            target.region = Some(text)
                        }
                    }
                    _ => problems.push(problem(&here, false, format!("`{field}` must be a name"))),
                },
                ("vars", Value::Mapping(vars)) => {
                    for (var, value) in vars {
                        let var = var.as_str().unwrap_or_default().to_string();
                        match scalar_text(value) {
                            Some(text) if !var.is_empty() => target.vars.push((var, text)),
                            _ => problems.push(problem(
                                &here.join(var.as_str()),
                                false,
                                format!("`{var}` must be a name with a single value"),
                            )),
                        }
                    }
                }
                ("vars", _) => problems.push(problem(
                    &here,
                    false,
                    "`vars` must be a mapping of variables".into(),
                )),
                (other, _) => problems.push(problem(
                    &here,
                    true,
                    format!(
                        "unknown field `{other}` of target `{name}` (fields: profile, region, vars)"
                    ),
                )),
            }
        }
        targets.push(target);
    }
    if problems.is_empty() {
        Ok(targets)
    } else {
        Err(LoadError { problems })
    }
}

/// A scalar as text; None for mappings, lists and null.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The value of variable `name` with every reference in it resolved; `trail` holds the names
/// being resolved, to catch a cycle.
fn resolve(
    name: &str,
    raw: &HashMap<String, String>,
    trail: &mut Vec<String>,
) -> Result<String, String> {
    if trail.iter().any(|n| n == name) {
        trail.push(name.to_string());
        return Err(format!("refers to itself through {}", trail.join(" → ")));
    }
    let Some(text) = raw.get(name) else {
        return Err(format!("`${{{name}}}` is not defined"));
    };
    trail.push(name.to_string());
    let mut failure = None;
    // Substitute reference by reference, resolving each one first.
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("`${{` at `{}` is never closed", &rest[start..]));
        };
        let inner = after[..end].trim();
        match resolve(inner, raw, trail) {
            Ok(v) => out.push_str(&v),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        rest = &after[end + 1..];
    }
    if let Some(e) = failure {
        return Err(e);
    }
    out.push_str(rest);
    trail.pop();
    Ok(out)
}

/// Replaces every `${name}` in `text`; the error is the first name that `lookup` lacks.
pub fn substitute<'v>(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<&'v str>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // An unclosed `${` is reported as the name it would have been.
            return Err(format!("{} (never closed with `}}`)", &rest[start..]));
        };
        let name = after[..end].trim();
        match lookup(name) {
            Some(value) => out.push_str(value),
            None => return Err(name.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The digest of a manual item's definition: its text, its condition and how long a sign-off
/// holds. (The empty field between the text and the condition once held the check; it stays, so
/// that sign-offs recorded before keep matching.)
fn digest(raw: &RawItem) -> String {
    let mut hasher = Sha256::new();
    hasher.update(raw.text.as_bytes());
    hasher.update([0]);
    hasher.update([0]);
    hasher.update(raw.when.as_deref().unwrap_or_default().as_bytes());
    hasher.update([0]);
    hasher.update(raw.valid_for.as_deref().unwrap_or_default().as_bytes());
    let bytes = hasher.finalize();
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_parsed_only_for_a_checklist_with_problems() {
        let overrides = Overrides::default();
        load_bundled(&overrides).unwrap();
        let (_, positions): (RawChecklist, LazyTree) = parse_lazily(BUNDLED, "b").unwrap();
        assert!(positions.into_tree().is_none());

        // serde_yaml stops at a duplicate key; the message and position come from the tree.
        let twice = "barkcheck: 1\nname: n\nname: m\nphases: []\n";
        let Err(e) = parse_lazily::<RawChecklist>(twice, "c") else {
            panic!("a duplicate key was accepted");
        };
        let problems: Vec<String> = e.problems.iter().map(Problem::to_string).collect();
        assert_eq!(
            problems,
            ["c:3:1: duplicate key `name` (first given at line 2)"]
        );
    }

    /// A one-item checklist whose item is `item` (indented to sit under `items:`).
    fn with_item(item: &str) -> String {
        format!(
            "barkcheck: 1\nname: T\nvariables:\n  domain: example.com\nphases:\n  - id: pre\n    \
             title: Pre\n    sections:\n      - id: sec\n        title: Sec\n        items:\n{item}"
        )
    }

    fn problems(text: &str) -> Vec<String> {
        match load_text(text, "c", &Overrides::default()) {
            Ok(_) => Vec::new(),
            Err(e) => e.problems.iter().map(Problem::to_string).collect(),
        }
    }

    #[test]
    fn a_manual_item_keeps_the_digest_its_sign_offs_recorded_and_a_checked_item_has_none() {
        let manual = "          - id: plan\n            text: Deployment plan reviewed\n";
        let checked = [
            "          - id: up",
            "            text: Site answers",
            "            verify:",
            "              http: {url: \"http://127.0.0.1:9/\"}",
            "              expect:",
            "                status: 200",
            "",
        ]
        .join("\n");
        let checklist = load_text(
            &with_item(&format!("{manual}{checked}")),
            "c",
            &Overrides::default(),
        )
        .unwrap();
        // sha256("Deployment plan reviewed" and three zero bytes), as sign-offs have recorded it.
        assert_eq!(
            checklist.item("plan").unwrap().1.item.digest,
            "da805ece3854f12e"
        );
        assert_eq!(checklist.item("up").unwrap().1.item.digest, "");
    }

    #[test]
    fn keys_that_read_the_same_are_duplicates_though_serde_yaml_tells_them_apart() {
        let item = "          - id: it\n            text: T\n            verify:\n              \
                    http: {url: \"http://127.0.0.1:9/\", headers: {1: a, \"1\": b}}\n              \
                    expect:\n                status: 200\n";
        assert_eq!(
            problems(&with_item(item)),
            [
                "c:15:66: duplicate key `phases[0].sections[0].items[0].verify.http.headers.1` \
              (first given at line 15)"
            ]
        );
    }

    #[test]
    fn text_only_the_position_parser_refuses_keeps_its_problems_without_positions() {
        // A tab after a colon: serde_yaml reads it, yaml-rust2 does not.
        let clean = "          - id: m\n            text:\tM\n";
        assert_eq!(problems(&with_item(clean)), Vec::<String>::new());
        let twice = format!("{clean}          - id: m\n            text: again\n");
        assert_eq!(problems(&with_item(&twice)), ["c: id `m` is used twice"]);
    }

    #[test]
    fn deeply_nested_flow_collections_are_refused_by_the_position_parser_first() {
        let deep = format!(
            "          - id: m\n            text: T\n            notes: {}{}\n",
            "[".repeat(50_000),
            "]".repeat(50_000)
        );
        let found = problems(&with_item(&deep));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("invalid YAML: recursion limit exceeded"),
            "{found:?}"
        );
    }

    #[test]
    fn substitution_replaces_known_names_and_names_the_unknown() {
        let lookup = |n: &str| (n == "domain").then_some("barkbase.com");
        assert_eq!(
            substitute("app.${domain}", &lookup).unwrap(),
            "app.barkbase.com"
        );
        assert_eq!(
            substitute("${ domain }/x", &lookup).unwrap(),
            "barkbase.com/x"
        );
        assert_eq!(substitute("${nope}", &lookup).unwrap_err(), "nope");
    }
}
