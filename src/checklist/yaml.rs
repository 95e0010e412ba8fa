//! The one place that knows which YAML libraries barkcheck uses.
//!
//! serde_yaml reads the raw shapes of a file; it reports the first structural error with its
//! position but exposes no positions afterwards. So when a file has a problem, the same text is
//! also parsed into a light [`Tree`] of node positions (with yaml-rust2's event parser), which
//! lets validation point every problem at `file:line:column`, and which lists every duplicate
//! key in the file (a silent last-one-wins would drop a check). A checklist without problems
//! is parsed once ([`LazyTree`]).

use std::cell::OnceCell;
use std::fmt;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A position in a source file, both 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn from_marker(mark: Marker) -> Pos {
        // yaml-rust2 counts lines from 1 and columns from 0.
        Pos {
            line: mark.line(),
            column: mark.col() + 1,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One step of a path into a document: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

impl From<&str> for Step {
    fn from(key: &str) -> Step {
        Step::Key(key.to_string())
    }
}

impl From<usize> for Step {
    fn from(index: usize) -> Step {
        Step::Index(index)
    }
}

/// A path into a document, rendered like `phases[0].sections[2].items[1].verify`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path(pub Vec<Step>);

impl Path {
    pub fn root() -> Path {
        Path(Vec::new())
    }

    /// This path with one more step.
    pub fn join(&self, step: impl Into<Step>) -> Path {
        let mut steps = self.0.clone();
        steps.push(step.into());
        Path(steps)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if i == 0 => write!(f, "{key}")?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The shape of a parsed document with the position of every node and key.
#[derive(Debug)]
pub struct Tree {
    root: Option<Node>,
    /// Keys that appear twice in one mapping: the path of the second and where the first was.
    pub duplicate_keys: Vec<(Path, Pos, Pos)>,
}

#[derive(Debug)]
struct Node {
    pos: Pos,
    kind: NodeKind,
}

#[derive(Debug)]
enum NodeKind {
    Scalar,
    Sequence(Vec<Node>),
    /// Entries in file order: key, the key's position, the value.
    Mapping(Vec<(String, Pos, Node)>),
}

/// A document's [`Tree`], parsed from its text only when a position is first asked for.
///
/// serde_yaml has already read the text, refusing duplicate keys in every mapping, so a
/// checklist without problems never needs positions, and most runs skip the second parse.
pub struct LazyTree<'t> {
    text: &'t str,
    tree: OnceCell<Result<Tree, SyntaxError>>,
}

impl<'t> LazyTree<'t> {
    pub fn new(text: &'t str) -> LazyTree<'t> {
        LazyTree {
            text,
            tree: OnceCell::new(),
        }
    }

    /// The tree, parsed now if it was not yet; the parser's error if it refuses the text.
    pub fn get(&self) -> Result<&Tree, &SyntaxError> {
        self.tree.get_or_init(|| Tree::parse(self.text)).as_ref()
    }

    /// The tree if it was parsed and the parser accepted the text.
    pub fn into_tree(self) -> Option<Tree> {
        self.tree.into_inner().and_then(Result::ok)
    }

    /// [`Tree::pos`]; none if the position parser refuses text that serde_yaml read (yaml-rust2
    /// is stricter about a few things, such as a tab after a colon).
    pub fn pos(&self, path: &Path) -> Option<Pos> {
        self.get().ok().map(|tree| tree.pos(path))
    }

    /// [`Tree::key_pos`]; none if the position parser refuses the text.
    pub fn key_pos(&self, path: &Path) -> Option<Pos> {
        self.get().ok().map(|tree| tree.key_pos(path))
    }
}

/// A syntax error, with where the parser stopped.
#[derive(Debug)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

impl Tree {
    /// Parses `text`; a syntax error stops everything, as no later position could be trusted.
    pub fn parse(text: &str) -> Result<Tree, SyntaxError> {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        parser
            .load(&mut builder, false)
            .map_err(|err| SyntaxError {
                pos: Pos::from_marker(*err.marker()),
                message: err.info().to_string(),
            })?;
        let root = builder.finished.pop();
        Ok(Tree {
            root,
            duplicate_keys: builder.duplicates,
        })
    }

    /// Whether the document has any content at all.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The position of the node at `path`, or of its nearest ancestor that exists.
    pub fn pos(&self, path: &Path) -> Pos {
        self.find(path, false)
    }

    /// Like [`Tree::pos`], but for a mapping entry the position of its key, which is where a
    /// reader looks for an unknown or misplaced field.
    pub fn key_pos(&self, path: &Path) -> Pos {
        self.find(path, true)
    }

    fn find(&self, path: &Path, want_key: bool) -> Pos {
        let Some(mut node) = self.root.as_ref() else {
            return Pos { line: 1, column: 1 };
        };
        let mut pos = node.pos;
        for (i, step) in path.0.iter().enumerate() {
            let last = i + 1 == path.0.len();
            let next = match (&node.kind, step) {
                (NodeKind::Mapping(entries), Step::Key(key)) => entries
                    .iter()
                    .find(|(k, _, _)| k == key)
                    .map(|(_, key_pos, value)| {
                        if last && want_key {
                            pos = *key_pos;
                        }
                        value
                    }),
                (NodeKind::Sequence(items), Step::Index(index)) => items.get(*index),
                _ => None,
            };
            match next {
                Some(child) => {
                    node = child;
                    if !(last && want_key && matches!(step, Step::Key(_))) {
                        pos = child.pos;
                    }
                }
                None => break,
            }
        }
        pos
    }
}

/// Builds a [`Tree`] from parser events with a stack of open collections.
#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    finished: Vec<Node>,
    duplicates: Vec<(Path, Pos, Pos)>,
}

enum Open {
    Sequence(Pos, Vec<Node>),
    /// Entries so far, and a key waiting for its value.
    Mapping(Pos, Vec<(String, Pos, Node)>, Option<(String, Pos)>),
}

impl Builder {
    fn path_here(&self) -> Path {
        let mut steps = Vec::new();
        for open in &self.stack {
            match open {
                Open::Sequence(_, items) => steps.push(Step::Index(items.len())),
                Open::Mapping(_, _, Some((key, _))) => steps.push(Step::Key(key.clone())),
                Open::Mapping(_, _, None) => {}
            }
        }
        Path(steps)
    }

    fn push_node(&mut self, node: Node, scalar_text: Option<String>) {
        let path_of_key = self.path_here();
        match self.stack.last_mut() {
            None => self.finished.push(node),
            Some(Open::Sequence(_, items)) => items.push(node),
            Some(Open::Mapping(_, entries, pending)) => match pending.take() {
                Some((key, key_pos)) => entries.push((key, key_pos, node)),
                None => {
                    // This node is a key. Complex keys and aliases are rare in checklists; their
                    // text is kept empty, never taken for a duplicate, and serde_yaml reports
                    // them if they matter.
                    let text = scalar_text.is_some();
                    let key = scalar_text.unwrap_or_default();
                    let first = entries.iter().find(|(k, _, _)| text && *k == key);
                    if let Some((_, first, _)) = first {
                        let path = path_of_key.join(key.as_str());
                        self.duplicates.push((path, node.pos, *first));
                    }
                    *pending = Some((key, node.pos));
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let pos = Pos::from_marker(mark);
        match event {
            Event::Scalar(text, ..) => {
                self.push_node(
                    Node {
                        pos,
                        kind: NodeKind::Scalar,
                    },
                    Some(text),
                );
            }
            Event::Alias(_) => self.push_node(
                Node {
                    pos,
                    kind: NodeKind::Scalar,
                },
                None,
            ),
            Event::SequenceStart(..) => self.stack.push(Open::Sequence(pos, Vec::new())),
            Event::MappingStart(..) => self.stack.push(Open::Mapping(pos, Vec::new(), None)),
            Event::SequenceEnd => {
                if let Some(Open::Sequence(start, items)) = self.stack.pop() {
                    self.push_node(
                        Node {
                            pos: start,
                            kind: NodeKind::Sequence(items),
                        },
                        None,
                    );
                }
            }
            Event::MappingEnd => {
                if let Some(Open::Mapping(start, entries, _)) = self.stack.pop() {
                    self.push_node(
                        Node {
                            pos: start,
                            kind: NodeKind::Mapping(entries),
                        },
                        None,
                    );
                }
            }
            _ => {}
        }
    }
}

/// Where a serde_yaml error happened, when it knows.
pub fn serde_error_pos(err: &serde_yaml::Error) -> Option<Pos> {
    err.location().map(|loc| Pos {
        line: loc.line(),
        column: loc.column(),
    })
}

/// serde_yaml's message without its own " at line L column C" suffix, which barkcheck replaces
/// with a `file:line:column` prefix.
pub fn serde_error_message(err: &serde_yaml::Error) -> String {
    let text = err.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    };
    match near_miss(&text) {
        Some(hint) => format!("{text}; did you mean `{hint}`?"),
        None => text,
    }
}

/// For serde's "unknown field `txt`, expected one of `id`, `text`, ..." the field meant.
fn near_miss(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("unknown field `")?;
    let (word, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    crate::checklist::expect::suggest(word, &expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_point_at_nodes_and_keys() {
        let text = "a: 1\nlist:\n  - x: 2\n    y: [3, 4]\n";
        let tree = Tree::parse(text).unwrap();
        let y = Path::root().join("list").join(0).join("y");
        assert_eq!(tree.key_pos(&y), Pos { line: 4, column: 5 });
        assert_eq!(
            tree.pos(&y.join(1)),
            Pos {
                line: 4,
                column: 12
            }
        );
        assert_eq!(
            tree.pos(&Path::root().join("a")),
            Pos { line: 1, column: 4 }
        );
    }

    #[test]
    fn a_missing_path_falls_back_to_the_nearest_ancestor() {
        let tree = Tree::parse("a:\n  b: 1\n").unwrap();
        let path = Path::root().join("a").join("nope").join(3);
        // The mapping under `a` starts on line 2; the parser marks a block mapping's start
        // around its first key, so only the line is pinned here.
        assert_eq!(tree.pos(&path).line, 2);
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_positions() {
        let tree = Tree::parse("items:\n  - id: a\n    id: b\n").unwrap();
        assert_eq!(tree.duplicate_keys.len(), 1);
        let (path, second, first) = &tree.duplicate_keys[0];
        assert_eq!(path.to_string(), "items[0].id");
        assert_eq!((second.line, first.line), (3, 2));
    }

    #[test]
    fn unknown_fields_get_the_field_meant() {
        let message = "phases[0]: unknown field `txt`, expected one of `id`, `text`, `verify`";
        assert_eq!(near_miss(message), Some("text"));
        assert_eq!(near_miss("missing field `id`"), None);
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = Tree::parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1, "{err:?}");
    }
}
