//! Loading a mapping: validation (every problem is collected, each named by its JSON path)
//! and compilation into [`Node`]s. The directive arguments are checked in `directives.rs`.

use serde_json::{Map, Value};

use super::error::Problem;
use super::node::{Node, Root, Transform};
use crate::json::{Obj, Projection, Val};

/// The key of the internal root directive that reshapes the event before the mapping runs.
pub(crate) const ROOT_DIRECTIVE_KEY: &str = "__segment_internal_directive";

/// How deeply mappings may nest; deeper ones are refused rather than risking the stack.
pub(crate) const MAX_DEPTH: usize = 64;

pub(crate) struct Compiler {
    pub problems: Vec<Problem>,
    /// What of the event is read; `None` once something may read any of it.
    pub reads: Option<Projection>,
    depth: usize,
}

impl Compiler {
    pub(crate) fn new() -> Self {
        Compiler {
            problems: Vec::new(),
            reads: Some(Projection::new()),
            depth: 0,
        }
    }

    pub(crate) fn problem(&mut self, at: &str, problem: impl Into<String>) {
        self.problems.push(Problem {
            at: show(at),
            problem: problem.into(),
        });
    }

    /// Records that the event's top-level field `root` is read whole (`None`: any field may
    /// be).
    pub(crate) fn reads(&mut self, on_event: bool, root: Option<&str>) {
        if !on_event {
            return;
        }
        match (root, self.reads.as_mut()) {
            (Some(r), Some(p)) => p.read_root(r),
            (None, _) => self.reads = None,
            (Some(_), None) => {}
        }
    }

    /// Records that a lookup of `path` (a `@path` or `@arrayPath` key list) reads the
    /// event; an empty path is the whole event.
    pub(crate) fn reads_path(&mut self, on_event: bool, path: &[Box<str>]) {
        if !on_event {
            return;
        }
        match (path.is_empty(), self.reads.as_mut()) {
            (false, Some(p)) => p.read_path(path),
            (true, _) => self.reads = None,
            (false, None) => {}
        }
    }

    /// A mapping run by `transform`: the whole mapping or the `apply` of `@transform`.
    pub(crate) fn root(&mut self, v: &Value, at: &str, on_event: bool) -> Root {
        let Some(obj) = v.as_object().filter(|o| o.contains_key(ROOT_DIRECTIVE_KEY)) else {
            return Root::Plain(self.node(v, at, on_event));
        };
        let root_at = child(at, ROOT_DIRECTIVE_KEY);
        let customer: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| *k != ROOT_DIRECTIVE_KEY)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let customer = Value::Object(customer);
        let transform_args = obj[ROOT_DIRECTIVE_KEY]
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.get("@transform"));
        let Some(args) = transform_args else {
            self.problem(
                &root_at,
                "should be a single @transform directive object (the only root directive supported)",
            );
            let mapping = self.node(&customer, at, false);
            return Root::Plain(mapping);
        };
        let t_at = child(&root_at, "@transform");
        match self.transform_parts(args, &t_at, on_event, Some((&customer, at))) {
            Some(t) => Root::Reshaped(Box::new(t)),
            None => Root::Plain(Node::Raw(Val::Undefined)),
        }
    }

    /// `apply` and `mapping` of `@transform`; `injected` replaces `mapping` for the root directive.
    pub(crate) fn transform_parts(
        &mut self,
        v: &Value,
        at: &str,
        on_event: bool,
        injected: Option<(&Value, &str)>,
    ) -> Option<Transform> {
        let obj = self.expect_object(v, at)?;
        let apply = match obj.get("apply") {
            None => {
                self.problem(at, "should have field \"apply\" but it doesn't");
                None
            }
            Some(a) if type_name(a) != "object" => {
                self.problem(
                    &child(at, "apply"),
                    format!("should be an object but it is {}", a_type(a)),
                );
                None
            }
            Some(a) => Some(self.root(a, &child(at, "apply"), on_event)),
        };
        let mapping = match injected {
            Some((customer, customer_at)) => self.plain_object(customer, customer_at, "mapping"),
            None => match obj.get("mapping") {
                None => {
                    self.problem(at, "should have field \"mapping\" but it doesn't");
                    None
                }
                Some(m) => self.plain_object(m, &child(at, "mapping"), "mapping"),
            },
        };
        self.other_fields(obj, at, &["apply", "mapping"], on_event);
        Some(Transform {
            at: show(at).into(),
            apply: apply?,
            mapping: mapping?,
        })
    }

    /// A mapping that must be a plain object (run against the reshaped payload).
    fn plain_object(&mut self, v: &Value, at: &str, _what: &str) -> Option<Node> {
        if type_name(v) != "object" {
            self.problem(at, format!("should be an object but it is {}", a_type(v)));
            return None;
        }
        Some(self.node(v, at, false))
    }

    /// Any mapping value: raw JSON, arrays and objects walked for directives, or a directive.
    pub(crate) fn node(&mut self, v: &Value, at: &str, on_event: bool) -> Node {
        if self.depth >= MAX_DEPTH {
            self.problem(at, format!("is nested too deeply (more than {MAX_DEPTH} levels)"));
            return Node::Raw(Val::Undefined);
        }
        self.depth += 1;
        let node = match v {
            Value::Object(o) if o.keys().any(|k| k.starts_with('@')) => self.directive(o, at, on_event),
            Value::Object(o) => {
                let children: Vec<(Box<str>, Node)> = o
                    .iter()
                    .map(|(k, v)| (k.as_str().into(), self.node(v, &child(at, k), on_event)))
                    .collect();
                if children.iter().all(|(_, n)| matches!(n, Node::Raw(_))) {
                    let mut obj = Obj::with_capacity(children.len());
                    for (k, n) in children {
                        if let Node::Raw(val) = n {
                            obj.0.push((String::from(k).into(), val));
                        }
                    }
                    Node::Raw(Val::Obj(obj))
                } else {
                    Node::Obj(children)
                }
            }
            Value::Array(items) => {
                let children: Vec<Node> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.node(v, &child(at, &i.to_string()), on_event))
                    .collect();
                if children.iter().all(|n| matches!(n, Node::Raw(_))) {
                    let vals = children
                        .into_iter()
                        .map(|n| match n {
                            Node::Raw(v) => v,
                            _ => Val::Undefined,
                        })
                        .collect();
                    Node::Raw(Val::Arr(vals))
                } else {
                    Node::Arr(children)
                }
            }
            scalar => Node::Raw(Val::from_serde(scalar)),
        };
        self.depth -= 1;
        node
    }

    /// The argument object of a directive; reports a problem when it is something else.
    pub(crate) fn expect_object<'v>(&mut self, v: &'v Value, at: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(o) if type_name(v) == "object" => Some(o),
            _ => {
                self.problem(at, format!("should be an object but it is {}", a_type(v)));
                None
            }
        }
    }

    /// Validates fields of a directive's argument object that the directive does not use,
    /// as the reference does (they must still be valid mappings).
    pub(crate) fn other_fields(&mut self, obj: &Map<String, Value>, at: &str, known: &[&str], on_event: bool) {
        for (k, v) in obj {
            if !known.contains(&k.as_str()) {
                let _ = self.node(v, &child(at, k), on_event);
            }
        }
    }
}

/// The path of a child: `at` + `/key`.
pub(crate) fn child(at: &str, key: &str) -> String {
    let mut s = String::with_capacity(at.len() + key.len() + 1);
    s.push_str(at);
    s.push('/');
    s.push_str(key);
    s
}

/// How a path is shown in messages: `/` for the mapping itself.
pub(crate) fn show(at: &str) -> String {
    if at.is_empty() {
        "/".to_owned()
    } else {
        at.to_owned()
    }
}

/// The reference's type names, with `directive` for objects that have an `@` key.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(o) if o.keys().any(|k| k.starts_with('@')) => "directive",
        Value::Object(_) => "object",
    }
}

/// `a number`, `an object`, ...
pub(crate) fn a_type(v: &Value) -> String {
    article(type_name(v))
}

pub(crate) fn article(t: &str) -> String {
    match t.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => format!("an {t}"),
        _ => format!("a {t}"),
    }
}

/// JavaScript truthiness of an unresolved mapping value.
pub(crate) fn raw_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `String.prototype.length`: UTF-16 code units.
pub(crate) fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}
