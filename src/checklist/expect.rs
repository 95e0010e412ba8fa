//! Expectations: what a checklist says a resource's field must look like.
//!
//! An expectation is written in YAML next to the field it tests (`multi_az: true`,
//! `backup_retention_period: ">= 30"`, `aliases: {contains: app.example.com}`), parsed once at
//! load time against the field's declared type, and evaluated against the JSON view of a
//! resource. An expectation that can never match its field's type is a load error, not a
//! silent FAIL at run time.

use std::fmt;

use regex::Regex;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

/// The type of a field in a resource's JSON view, as the verifier catalogs declare it.
#[derive(Clone, Copy, Debug)]
pub enum FieldType {
    Bool,
    Number,
    Text,
    /// An RFC 3339 timestamp, compared as text.
    Timestamp,
    TextList,
    /// A list of objects, each with the fields given.
    Objects(&'static [Field]),
    /// An object with free keys and text values (stack outputs, tags, dimensions).
    TextMap,
    /// A JSON document of any shape (a program's parsed output); its members are tested as
    /// `field.member.member`, with any expectation.
    Json,
}

/// One field of a resource's JSON view.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// A dotted path into the JSON view, like `viewer_certificate.ssl_support_method`.
    pub name: &'static str,
    pub ty: FieldType,
    pub doc: &'static str,
}

/// A catalog entry; a `const fn` so that catalogs are static tables.
pub const fn field(name: &'static str, ty: FieldType, doc: &'static str) -> Field {
    Field { name, ty, doc }
}

/// Looks `path` up in a field catalog; `outputs.DatabaseEndpoint` finds the text map `outputs`.
pub fn field_type(catalog: &[Field], path: &str) -> Option<FieldType> {
    if let Some(field) = catalog.iter().find(|f| f.name == path) {
        return Some(field.ty);
    }
    catalog.iter().find_map(|f| match f.ty {
        FieldType::TextMap if path.strip_prefix(f.name)?.starts_with('.') => Some(FieldType::Text),
        FieldType::Json if path.strip_prefix(f.name)?.starts_with('.') => Some(FieldType::Json),
        _ => None,
    })
}

/// A comparison operator of the `">= 30"` form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Compare {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
}

impl Compare {
    fn symbol(self) -> &'static str {
        match self {
            Compare::Ge => ">=",
            Compare::Gt => ">",
            Compare::Le => "<=",
            Compare::Lt => "<",
            Compare::Eq => "==",
            Compare::Ne => "!=",
        }
    }

    fn holds(self, observed: f64, expected: f64) -> bool {
        match self {
            Compare::Ge => observed >= expected,
            Compare::Gt => observed > expected,
            Compare::Le => observed <= expected,
            Compare::Lt => observed < expected,
            Compare::Eq => observed == expected,
            Compare::Ne => observed != expected,
        }
    }
}

/// A parsed expectation on one field.
#[derive(Clone, Debug)]
pub enum Matcher {
    Equals(Json),
    Compare(Compare, f64),
    OneOf(Vec<Json>),
    Matches(Regex),
    Contains(Json),
    StartsWith(String),
    Present(bool),
    /// An RDS instance class at least as large as the one given, whatever its family.
    InstanceClassAtLeast(String),
    /// The number of elements of a list or entries of a map.
    Count(Box<Matcher>),
    /// Some element satisfies the inner expectation.
    Any(Box<Element>),
    /// Every element satisfies the inner expectation (and there is at least one).
    All(Box<Element>),
    Not(Box<Matcher>),
}

/// What `any` and `all` test on each element of a list.
#[derive(Clone, Debug)]
pub enum Element {
    Value(Matcher),
    /// Expectations on named fields of each object in a list of objects.
    Fields(Vec<(String, Matcher)>),
    /// The same, for only the objects that meet `filter` (written `where:`): `all` then needs
    /// at least one such object and every one of them to meet `fields`.
    Filtered {
        filter: Vec<(String, Matcher)>,
        fields: Vec<(String, Matcher)>,
    },
}

/// The operator words an expectation mapping can use.
pub const OPERATORS: &[&str] = &[
    "equals",
    "one_of",
    "matches",
    "contains",
    "starts_with",
    "present",
    "instance_class_at_least",
    "count",
    "any",
    "all",
    "not",
];

/// A problem found while parsing an expectation: a message and, when it is deeper than the
/// expectation itself, the extra path steps to it.
#[derive(Debug)]
pub struct ExpectError {
    pub steps: Vec<String>,
    pub message: String,
}

impl ExpectError {
    fn new(message: impl Into<String>) -> ExpectError {
        ExpectError {
            steps: Vec::new(),
            message: message.into(),
        }
    }

    fn under(mut self, step: &str) -> ExpectError {
        self.steps.insert(0, step.to_string());
        self
    }
}

type Parsed<T> = Result<T, ExpectError>;

impl Matcher {
    /// Parses the YAML written for a field of type `ty`.
    pub fn parse(yaml: &Yaml, ty: FieldType) -> Parsed<Matcher> {
        match yaml {
            Yaml::Mapping(map) if map.len() == 1 => {
                let (key, value) = map.iter().next().expect("one entry");
                let Some(op) = key.as_str() else {
                    return Err(ExpectError::new("an expectation's operator must be a word"));
                };
                Self::parse_operator(op, value, ty).map_err(|e| e.under(op))
            }
            Yaml::Mapping(_) => Err(ExpectError::new(format!(
                "an expectation mapping has exactly one operator ({})",
                OPERATORS.join(", ")
            ))),
            Yaml::String(text) => match parse_comparison(text) {
                Some((op, number)) => {
                    require_number(ty, op.symbol())?;
                    Ok(Matcher::Compare(op, number))
                }
                None => Ok(Matcher::Equals(scalar_for(yaml, ty)?)),
            },
            // A list of text equals the field's list exactly, in order (an index's columns).
            Yaml::Sequence(items) if matches!(ty, FieldType::TextList) => {
                Ok(Matcher::Equals(text_list(items)?))
            }
            Yaml::Sequence(_) => Err(ExpectError::new(
                "a list is not an expectation; use `one_of: [...]` or `contains: ...`",
            )),
            _ => Ok(Matcher::Equals(scalar_for(yaml, ty)?)),
        }
    }

    fn parse_operator(op: &str, value: &Yaml, ty: FieldType) -> Parsed<Matcher> {
        match op {
            "equals" => match (value, ty) {
                (Yaml::Sequence(items), FieldType::TextList) => {
                    Ok(Matcher::Equals(text_list(items)?))
                }
                _ => Ok(Matcher::Equals(scalar_for(value, ty)?)),
            },
            "one_of" => {
                let Yaml::Sequence(options) = value else {
                    return Err(ExpectError::new("`one_of` takes a list of values"));
                };
                let options = options
                    .iter()
                    .map(|o| scalar_for(o, ty))
                    .collect::<Parsed<_>>()?;
                Ok(Matcher::OneOf(options))
            }
            "matches" => {
                require_text(ty, "matches")?;
                let pattern = text_of(value, "matches")?;
                let regex = Regex::new(&pattern).map_err(|e| {
                    // The regex crate draws the pattern with a caret over several lines; the
                    // last line is the reason, which is what fits after file:line:column.
                    let text = e.to_string();
                    let reason = text
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim_start_matches("error: ");
                    ExpectError::new(format!("bad regular expression `{pattern}`: {reason}"))
                })?;
                Ok(Matcher::Matches(regex))
            }
            "starts_with" => {
                require_text(ty, "starts_with")?;
                Ok(Matcher::StartsWith(text_of(value, "starts_with")?))
            }
            "contains" => match ty {
                FieldType::Text => Ok(Matcher::Contains(Json::String(text_of(value, op)?))),
                FieldType::TextList => Ok(Matcher::Contains(scalar_for(value, FieldType::Text)?)),
                FieldType::Json => Ok(Matcher::Contains(scalar_for(value, ty)?)),
                _ => Err(mismatch("contains", ty)),
            },
            "present" => match value {
                Yaml::Bool(wanted) => Ok(Matcher::Present(*wanted)),
                _ => Err(ExpectError::new("`present` takes true or false")),
            },
            "instance_class_at_least" => {
                require_text(ty, op)?;
                let class = text_of(value, op)?;
                if size_rank(&class).is_none() {
                    return Err(ExpectError::new(format!(
                        "`{class}` is not an instance class like db.t4g.small"
                    )));
                }
                Ok(Matcher::InstanceClassAtLeast(class))
            }
            "count" => match ty {
                FieldType::TextList
                | FieldType::Objects(_)
                | FieldType::TextMap
                | FieldType::Json => Ok(Matcher::Count(Box::new(Matcher::parse(
                    value,
                    FieldType::Number,
                )?))),
                _ => Err(mismatch("count", ty)),
            },
            "any" | "all" => {
                let element = match ty {
                    FieldType::TextList => Element::Value(Matcher::parse(value, FieldType::Text)?),
                    FieldType::Json => Element::Value(Matcher::parse(value, FieldType::Json)?),
                    FieldType::Objects(fields) => parse_fields(value, fields)?,
                    _ => return Err(mismatch(op, ty)),
                };
                Ok(if op == "any" {
                    Matcher::Any(Box::new(element))
                } else {
                    Matcher::All(Box::new(element))
                })
            }
            "not" => Ok(Matcher::Not(Box::new(Matcher::parse(value, ty)?))),
            other => {
                let hint = suggest(other, OPERATORS)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                Err(ExpectError::new(format!(
                    "unknown operator `{other}`{hint} (operators: {})",
                    OPERATORS.join(", ")
                )))
            }
        }
    }

    /// Whether `observed` (None when the field is absent) satisfies this expectation.
    pub fn check(&self, observed: Option<&Json>) -> bool {
        let observed = observed.filter(|v| !v.is_null());
        match self {
            Matcher::Present(wanted) => observed.is_some() == *wanted,
            Matcher::Not(inner) => !inner.check(observed),
            _ => observed.is_some_and(|value| self.check_value(value)),
        }
    }

    fn check_value(&self, value: &Json) -> bool {
        match self {
            Matcher::Equals(expected) => same(value, expected),
            Matcher::Compare(op, expected) => {
                value.as_f64().is_some_and(|v| op.holds(v, *expected))
            }
            Matcher::OneOf(options) => options.iter().any(|o| same(value, o)),
            Matcher::Matches(regex) => value.as_str().is_some_and(|s| regex.is_match(s)),
            Matcher::StartsWith(prefix) => value.as_str().is_some_and(|s| s.starts_with(prefix)),
            Matcher::Contains(needle) => match value {
                Json::String(s) => needle.as_str().is_some_and(|n| s.contains(n)),
                Json::Array(items) => items.iter().any(|item| same(item, needle)),
                _ => false,
            },
            Matcher::InstanceClassAtLeast(minimum) => value
                .as_str()
                .and_then(size_rank)
                .zip(size_rank(minimum))
                .is_some_and(|(observed, wanted)| observed >= wanted),
            Matcher::Count(inner) => {
                let count = match value {
                    Json::Array(items) => items.len(),
                    Json::Object(entries) => entries.len(),
                    _ => return false,
                };
                inner.check(Some(&Json::from(count)))
            }
            Matcher::Any(element) => {
                elements(value).any(|item| element.considers(item) && element.check(item))
            }
            Matcher::All(element) => {
                let mut items = elements(value)
                    .filter(|item| element.considers(item))
                    .peekable();
                items.peek().is_some() && items.all(|item| element.check(item))
            }
            Matcher::Present(_) | Matcher::Not(_) => self.check(Some(value)),
        }
    }
}

/// The most elements a shortfall lists before it says how many more there are.
const ELEMENTS_SHOWN: usize = 5;

impl Matcher {
    /// For a failed `any` or `all` on a list of objects, what fell short, in a few words: the
    /// elements considered (for `any`) or the ones that failed (for `all`), each with its first
    /// field (what names it) and the fields the expectation names. None for other expectations,
    /// which show the value itself.
    pub fn shortfall(&self, observed: &Json) -> Option<String> {
        let (element, every) = match self {
            Matcher::Any(element) => (element, false),
            Matcher::All(element) => (element, true),
            _ => return None,
        };
        let named = element.field_names()?;
        let considered: Vec<&Json> = elements(observed)
            .filter(|item| element.considers(item))
            .collect();
        if considered.is_empty() {
            return Some(match element.as_ref() {
                Element::Filtered { filter, .. } => {
                    format!("no element where {}", describe_fields(filter))
                }
                _ => "no element".into(),
            });
        }
        let shown: Vec<&Json> = if every {
            considered
                .into_iter()
                .filter(|item| !element.check(item))
                .collect()
        } else {
            considered
        };
        let mut parts: Vec<String> = shown
            .iter()
            .take(ELEMENTS_SHOWN)
            .map(|item| {
                // An object's first field names it (a path, a name, a route): shown first.
                let first = item
                    .as_object()
                    .and_then(|o| o.keys().next())
                    .map(String::as_str);
                let mut names: Vec<&str> = first.into_iter().collect();
                names.extend(named.iter().filter(|n| Some(**n) != first));
                let fields: Vec<String> = names
                    .iter()
                    .map(|name| {
                        let value = lookup(item, name).filter(|v| !v.is_null());
                        let value = value.map(render).unwrap_or_else(|| "(absent)".into());
                        format!("{name}: {value}")
                    })
                    .collect();
                format!("{{{}}}", fields.join(", "))
            })
            .collect();
        if shown.len() > ELEMENTS_SHOWN {
            parts.push(format!("and {} more", shown.len() - ELEMENTS_SHOWN));
        }
        Some(format!("[{}]", parts.join(", ")))
    }
}

impl Element {
    /// The fields an expectation on objects names, `where` first; None for plain values.
    fn field_names(&self) -> Option<Vec<&str>> {
        let named: Vec<&(String, Matcher)> = match self {
            Element::Value(_) => return None,
            Element::Fields(fields) => fields.iter().collect(),
            Element::Filtered { filter, fields } => filter.iter().chain(fields).collect(),
        };
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in named {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        Some(names)
    }

    /// Whether the element is one that `any` and `all` look at (every one, without `where:`).
    fn considers(&self, item: &Json) -> bool {
        match self {
            Element::Filtered { filter, .. } => fields_hold(filter, item),
            _ => true,
        }
    }

    fn check(&self, item: &Json) -> bool {
        match self {
            Element::Value(matcher) => matcher.check(Some(item)),
            Element::Fields(fields) | Element::Filtered { fields, .. } => fields_hold(fields, item),
        }
    }
}

fn fields_hold(fields: &[(String, Matcher)], item: &Json) -> bool {
    fields
        .iter()
        .all(|(name, matcher)| matcher.check(lookup(item, name)))
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Equals(value) => write!(f, "= {}", render(value)),
            Matcher::Compare(op, number) => write!(f, "{} {}", op.symbol(), number),
            Matcher::OneOf(options) => {
                let options: Vec<String> = options.iter().map(render).collect();
                write!(f, "one of {}", options.join(", "))
            }
            Matcher::Matches(regex) => write!(f, "matches /{}/", regex.as_str()),
            Matcher::Contains(value) => write!(f, "contains {}", render(value)),
            Matcher::StartsWith(prefix) => write!(f, "starts with {prefix}"),
            Matcher::Present(true) => write!(f, "present"),
            Matcher::Present(false) => write!(f, "absent"),
            Matcher::InstanceClassAtLeast(class) => write!(f, "{class} or larger"),
            Matcher::Count(inner) => write!(f, "count {inner}"),
            Matcher::Any(element) => write!(f, "some element {element}"),
            Matcher::All(element) => write!(f, "every element {element}"),
            Matcher::Not(inner) => write!(f, "not ({inner})"),
        }
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::Value(matcher) => write!(f, "{matcher}"),
            Element::Fields(fields) => write!(f, "with {}", describe_fields(fields)),
            Element::Filtered { filter, fields } if fields.is_empty() => {
                write!(f, "where {}", describe_fields(filter))
            }
            Element::Filtered { filter, fields } => write!(
                f,
                "where {} with {}",
                describe_fields(filter),
                describe_fields(fields)
            ),
        }
    }
}

fn describe_fields(fields: &[(String, Matcher)]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|(name, matcher)| format!("{name} {matcher}"))
        .collect();
    parts.join(" and ")
}

/// Finds a dotted field path in a resource's JSON view.
pub fn lookup<'a>(value: &'a Json, path: &str) -> Option<&'a Json> {
    if let Some(direct) = value.get(path) {
        return Some(direct);
    }
    let (head, rest) = path.split_once('.')?;
    lookup(value.get(head)?, rest)
}

/// A value as an engineer reads it in evidence: text without quotes, the rest as JSON.
pub fn render(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The closest of `candidates` to a misspelt `word`, if one is close enough to be meant.
pub fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // Nothing typed that long is a near miss, and comparing it would take long.
    if word.len() > 100 {
        return None;
    }
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(distance, c)| *distance <= (c.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

fn elements(value: &Json) -> Box<dyn Iterator<Item = &Json> + '_> {
    match value {
        Json::Array(items) => Box::new(items.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

fn same(observed: &Json, expected: &Json) -> bool {
    match (observed.as_f64(), expected.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => observed == expected,
    }
}

/// `{field: expectation, ...}` for the elements of a list of objects, with an optional
/// `where: {field: expectation, ...}` that picks the elements considered.
fn parse_fields(value: &Yaml, fields: &'static [Field]) -> Parsed<Element> {
    let Yaml::Mapping(map) = value else {
        return Err(ExpectError::new(
            "each element is an object: give `{field: expectation}`",
        ));
    };
    let mut filter = None;
    let mut rest = serde_yaml::Mapping::new();
    for (key, expectation) in map {
        if key.as_str() == Some("where") {
            let Yaml::Mapping(_) = expectation else {
                return Err(
                    ExpectError::new("`where` takes `{field: expectation, ...}`").under("where"),
                );
            };
            filter = Some(field_matchers(expectation, fields).map_err(|e| e.under("where"))?);
        } else {
            rest.insert(key.clone(), expectation.clone());
        }
    }
    let parsed = field_matchers(&Yaml::Mapping(rest), fields)?;
    Ok(match filter {
        Some(filter) => Element::Filtered {
            filter,
            fields: parsed,
        },
        None => Element::Fields(parsed),
    })
}

fn field_matchers(value: &Yaml, fields: &'static [Field]) -> Parsed<Vec<(String, Matcher)>> {
    let Yaml::Mapping(map) = value else {
        return Err(ExpectError::new(
            "each element is an object: give `{field: expectation}`",
        ));
    };
    let mut parsed = Vec::new();
    for (key, expectation) in map {
        let Some(name) = key.as_str() else {
            return Err(ExpectError::new("field names are words"));
        };
        if name == "where" {
            return Err(ExpectError::new(
                "`where` goes once, beside the element's fields",
            ));
        }
        let Some(ty) = field_type(fields, name) else {
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            let hint = suggest(name, &names).map(|s| format!("; did you mean `{s}`?"));
            return Err(ExpectError::new(format!(
                "unknown field `{name}`{} (fields: {})",
                hint.unwrap_or_default(),
                names.join(", ")
            )));
        };
        let matcher = Matcher::parse(expectation, ty).map_err(|e| e.under(name))?;
        parsed.push((name.to_string(), matcher));
    }
    Ok(parsed)
}

/// Reads `">= 30"` and its kin; None for any other text.
fn parse_comparison(text: &str) -> Option<(Compare, f64)> {
    let text = text.trim();
    let ops = [
        (">=", Compare::Ge),
        ("<=", Compare::Le),
        ("==", Compare::Eq),
        ("!=", Compare::Ne),
        (">", Compare::Gt),
        ("<", Compare::Lt),
    ];
    let (rest, op) = ops
        .iter()
        .find_map(|(sym, op)| Some((text.strip_prefix(sym)?, *op)))?;
    let number: f64 = rest.trim().parse().ok()?;
    number.is_finite().then_some((op, number))
}

/// The YAML scalar as the JSON value a field of type `ty` would hold; variables substituted
/// into text make numbers and booleans arrive as text, so text is read back per type.
fn scalar_for(yaml: &Yaml, ty: FieldType) -> Parsed<Json> {
    let text = match yaml {
        Yaml::Bool(b) => b.to_string(),
        // YAML reads 14.10 as the number 14.1: text fields must get such values quoted.
        Yaml::Number(n) if n.is_f64() && matches!(ty, FieldType::Text | FieldType::Timestamp) => {
            return Err(ExpectError::new(format!(
                "this field is text; YAML read {n} as a number, so quote the value as written"
            )));
        }
        Yaml::Number(n) => n.to_string(),
        Yaml::String(s) => s.clone(),
        Yaml::Null => return Err(ExpectError::new("an empty expectation; give a value")),
        _ => return Err(ExpectError::new("expected a single value here")),
    };
    match ty {
        FieldType::Bool => match text.as_str() {
            "true" => Ok(Json::Bool(true)),
            "false" => Ok(Json::Bool(false)),
            _ => Err(ExpectError::new(format!(
                "this field is true or false, not `{text}`"
            ))),
        },
        // Whole numbers stay integers, so evidence reads `= 90`, not `= 90.0`.
        FieldType::Number => (text.parse::<i64>().ok().map(serde_json::Number::from))
            .or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
            })
            .map(Json::Number)
            .ok_or_else(|| ExpectError::new(format!("this field is a number, not `{text}`"))),
        FieldType::Text | FieldType::Timestamp => Ok(Json::String(text)),
        // Any JSON: YAML's own reading decides (a number stays a number, `"3"` stays text).
        FieldType::Json => Ok(match yaml {
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Number(n) => serde_json::to_value(n).unwrap_or(Json::String(text)),
            _ => Json::String(text),
        }),
        other => Err(mismatch("a single value", other)),
    }
}

/// A YAML list of text as a JSON list, for exact, ordered equality with a list field.
fn text_list(items: &[Yaml]) -> Parsed<Json> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| scalar_for(item, FieldType::Text).map_err(|e| e.under(&i.to_string())))
        .collect::<Parsed<Vec<Json>>>()
        .map(Json::Array)
}

fn text_of(yaml: &Yaml, op: &str) -> Parsed<String> {
    match yaml {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Number(n) => Ok(n.to_string()),
        _ => Err(ExpectError::new(format!("`{op}` takes text"))),
    }
}

fn require_number(ty: FieldType, op: &str) -> Parsed<()> {
    match ty {
        FieldType::Number | FieldType::Json => Ok(()),
        other => Err(mismatch(op, other)),
    }
}

fn require_text(ty: FieldType, op: &str) -> Parsed<()> {
    match ty {
        FieldType::Text | FieldType::Timestamp | FieldType::Json => Ok(()),
        other => Err(mismatch(op, other)),
    }
}

fn mismatch(op: &str, ty: FieldType) -> ExpectError {
    let kind = match ty {
        FieldType::Bool => "true or false",
        FieldType::Number => "a number",
        FieldType::Text => "text",
        FieldType::Timestamp => "a timestamp",
        FieldType::TextList => "a list of text (use contains, any, all or count)",
        FieldType::Objects(_) => "a list of objects (use any, all or count)",
        FieldType::TextMap => "a map (test one entry as `field.key`, or use count)",
        FieldType::Json => "a JSON document (test a member as `field.member`)",
    };
    ExpectError::new(format!(
        "`{op}` can never match this field, which is {kind}"
    ))
}

/// The size of an instance class (`db.r6g.2xlarge` → rank of `2xlarge`), ignoring family.
fn size_rank(class: &str) -> Option<u32> {
    let size = class.rsplit('.').next()?;
    let named = ["nano", "micro", "small", "medium", "large", "xlarge"];
    if let Some(rank) = named.iter().position(|n| *n == size) {
        return Some(rank as u32);
    }
    let multiple: u32 = size.strip_suffix("xlarge")?.parse().ok()?;
    Some(named.len() as u32 + multiple)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(yaml: &str, ty: FieldType) -> Matcher {
        Matcher::parse(&serde_yaml::from_str(yaml).unwrap(), ty).unwrap()
    }

    fn error(yaml: &str, ty: FieldType) -> String {
        Matcher::parse(&serde_yaml::from_str(yaml).unwrap(), ty)
            .unwrap_err()
            .message
    }

    #[test]
    fn a_pattern_too_large_to_compile_is_refused_when_read() {
        // Past regex's compiled-size limit: refused at load, never left to fail (or, under
        // `not:`, to pass) at run time.
        let message = error(r"{matches: '^[\w.-]{1,255}$'}", FieldType::Text);
        assert!(message.starts_with("bad regular expression"), "{message}");
        assert!(message.contains("size limit"), "{message}");
    }

    #[test]
    fn comparisons_read_numbers_and_fail_on_absent_fields() {
        let at_least_30 = matcher("'>= 30'", FieldType::Number);
        assert!(at_least_30.check(Some(&Json::from(30))));
        assert!(!at_least_30.check(Some(&Json::from(7))));
        assert!(!at_least_30.check(None));
        assert_eq!(at_least_30.to_string(), ">= 30");
    }

    #[test]
    fn text_from_variables_is_read_back_as_the_field_type() {
        assert!(matcher("'true'", FieldType::Bool).check(Some(&Json::Bool(true))));
        assert!(matcher("'80'", FieldType::Number).check(Some(&Json::from(80.0))));
        assert!(matcher("200", FieldType::Text).check(Some(&Json::from("200"))));
    }

    #[test]
    fn instance_classes_compare_by_size_across_families() {
        let m = matcher("{instance_class_at_least: db.t4g.small}", FieldType::Text);
        assert!(m.check(Some(&Json::from("db.t4g.medium"))));
        assert!(m.check(Some(&Json::from("db.r6g.2xlarge"))));
        assert!(m.check(Some(&Json::from("db.t4g.small"))));
        assert!(!m.check(Some(&Json::from("db.t4g.micro"))));
    }

    #[test]
    fn any_with_fields_tests_objects_in_a_list() {
        const ERR: &[Field] = &[
            Field {
                name: "error_code",
                ty: FieldType::Number,
                doc: "",
            },
            Field {
                name: "response_page_path",
                ty: FieldType::Text,
                doc: "",
            },
        ];
        let m = matcher(
            "{any: {error_code: 404, response_page_path: /index.html}}",
            FieldType::Objects(ERR),
        );
        let good = serde_json::json!([{"error_code": 404, "response_page_path": "/index.html"}]);
        let bad = serde_json::json!([{"error_code": 404, "response_page_path": "/404.html"}]);
        assert!(m.check(Some(&good)));
        assert!(!m.check(Some(&bad)));
        assert!(!m.check(Some(&serde_json::json!([]))));
    }

    #[test]
    fn where_picks_the_elements_that_all_and_any_consider() {
        const METHOD: &[Field] = &[
            Field {
                name: "path",
                ty: FieldType::Text,
                doc: "",
            },
            Field {
                name: "rate",
                ty: FieldType::Number,
                doc: "",
            },
        ];
        let auth_limited = matcher(
            "{all: {where: {path: {starts_with: /auth}}, rate: '<= 10'}}",
            FieldType::Objects(METHOD),
        );
        let limited = serde_json::json!([
            {"path": "/auth/login", "rate": 10},
            {"path": "/bookings", "rate": 100},
        ]);
        let unlimited = serde_json::json!([
            {"path": "/auth/login", "rate": 10},
            {"path": "/auth/register"},
        ]);
        let no_auth = serde_json::json!([{"path": "/bookings", "rate": 1}]);
        assert!(auth_limited.check(Some(&limited)));
        assert!(
            !auth_limited.check(Some(&unlimited)),
            "an absent rate is not <= 10"
        );
        assert!(
            !auth_limited.check(Some(&no_auth)),
            "all needs one element where it holds"
        );
        assert_eq!(
            auth_limited.to_string(),
            "every element where path starts with /auth with rate <= 10"
        );

        let any = matcher(
            "{any: {where: {path: /bookings}, rate: '> 50'}}",
            FieldType::Objects(METHOD),
        );
        assert!(any.check(Some(&limited)));
        assert!(!any.check(Some(&no_auth)));
        assert_eq!(
            auth_limited.shortfall(&unlimited).as_deref(),
            Some("[{path: /auth/register, rate: (absent)}]")
        );
        assert_eq!(
            auth_limited.shortfall(&no_auth).as_deref(),
            Some("no element where path starts with /auth")
        );
        assert_eq!(
            any.shortfall(&no_auth).as_deref(),
            Some("[{path: /bookings, rate: 1}]")
        );
        assert_eq!(
            matcher("{any: {rate: 5}}", FieldType::Objects(METHOD))
                .shortfall(&limited)
                .as_deref(),
            Some("[{path: /auth/login, rate: 10}, {path: /bookings, rate: 100}]")
        );
        assert_eq!(at_least_one_text().shortfall(&serde_json::json!([])), None);
        let nested = Matcher::parse(
            &serde_yaml::from_str("{all: {where: {where: {path: x}}}}").unwrap(),
            FieldType::Objects(METHOD),
        )
        .unwrap_err();
        assert_eq!(nested.steps, ["all", "where"]);
    }

    fn at_least_one_text() -> Matcher {
        matcher("{any: {starts_with: a}}", FieldType::TextList)
    }

    #[test]
    fn all_needs_at_least_one_element() {
        let m = matcher("{all: {starts_with: 'arn:aws:sns:'}}", FieldType::TextList);
        assert!(!m.check(Some(&serde_json::json!([]))));
        assert!(m.check(Some(&serde_json::json!(["arn:aws:sns:us-east-1:1:t"]))));
    }

    #[test]
    fn expectations_that_can_never_match_are_refused() {
        assert!(error("'>= 3'", FieldType::Text).contains("can never match"));
        assert!(error("true", FieldType::Number).contains("is a number"));
        assert!(error("{matches: '(['}", FieldType::Text).contains("bad regular expression"));
        assert!(error("{contians: x}", FieldType::TextList).contains("did you mean `contains`"));
        assert!(error("x", FieldType::TextList).contains("list of text"));
    }
}
