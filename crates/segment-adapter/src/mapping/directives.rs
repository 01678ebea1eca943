//! Validation and compilation of each directive's argument.

use serde_json::{Map, Value};

use super::compile::{a_type, child, js_len, raw_truthy, show, type_name, Compiler};
use super::node::{Arg, ArrayPath, ArrayRoot, Case, CaseOp, Flatten, If, Json, JsonMode, Merge, Node, Replace, StrArg};
use super::path::PathSpec;
use super::template::Template;

/// Longest `pattern` / `replacement` of `@replace`, in UTF-16 code units.
pub(crate) const MAX_REPLACE_LEN: usize = 10;

impl Compiler {
    pub(crate) fn directive(&mut self, o: &Map<String, Value>, at: &str, on_event: bool) -> Node {
        let names: Vec<&String> = o.keys().filter(|k| k.starts_with('@')).collect();
        if names.len() > 1 {
            self.problem(
                at,
                format!("should only have one @-prefixed key but it has {} keys", names.len()),
            );
            return Node::Raw(crate::json::Val::Undefined);
        }
        if o.keys().any(|k| !k.starts_with('@') && k != "_metadata") {
            self.problem(
                at,
                format!("should only have one @-prefixed key but it has {} keys", o.len()),
            );
            return Node::Raw(crate::json::Val::Undefined);
        }
        let name = names[0].as_str();
        let v = &o[name];
        let arg_at = child(at, name);
        let at = arg_at.as_str();
        match name {
            "@path" => match self.str_arg(v, at, on_event, PathSpec::parse_dollar) {
                Some(arg) => {
                    match &arg {
                        StrArg::Static(p) => self.reads_path(on_event, p.keys()),
                        StrArg::Dynamic { .. } => self.reads(on_event, None),
                    }
                    Node::Path(Box::new(arg))
                }
                None => Node::Raw(crate::json::Val::Undefined),
            },
            "@template" => match self.str_arg(v, at, on_event, Template::compile) {
                Some(arg) => {
                    match &arg {
                        StrArg::Static(t) => match t.roots() {
                            Some(roots) => {
                                for r in roots {
                                    self.reads(on_event, Some(r));
                                }
                            }
                            None => self.reads(on_event, None),
                        },
                        StrArg::Dynamic { .. } => self.reads(on_event, None),
                    }
                    Node::Template(Box::new(arg))
                }
                None => Node::Raw(crate::json::Val::Undefined),
            },
            "@literal" => match self.node(v, at, on_event) {
                raw @ Node::Raw(_) => raw,
                n => Node::Literal(Box::new(n)),
            },
            "@excludeWhenNull" => Node::ExcludeWhenNull(Box::new(self.node(v, at, on_event))),
            "@if" => self.if_directive(v, at, on_event),
            "@arrayPath" => self.array_path(v, at, on_event),
            "@case" => self.case(v, at, on_event),
            "@replace" => self.replace(v, at, on_event),
            "@json" => self.json(v, at, on_event),
            "@flatten" => self.flatten(v, at, on_event),
            "@merge" => self.merge(v, at, on_event),
            "@transform" => match self.transform_parts(v, at, on_event, None) {
                Some(t) => Node::Transform(Box::new(t)),
                None => Node::Raw(crate::json::Val::Undefined),
            },
            "@liquid" => {
                self.problem(
                    at,
                    "is not supported: Liquid templates cannot be used here; use @template \
                     (placeholders such as {{traits.name}}) instead",
                );
                Node::Raw(crate::json::Val::Undefined)
            }
            other => {
                let at = at.strip_suffix(other).and_then(|a| a.strip_suffix('/')).unwrap_or(at);
                self.problem(at, format!("has an invalid directive: {other}"));
                Node::Raw(crate::json::Val::Undefined)
            }
        }
    }

    /// A string known at load time, or a directive expected to resolve to one.
    fn str_arg<T>(&mut self, v: &Value, at: &str, on_event: bool, f: impl Fn(&str) -> T) -> Option<StrArg<T>> {
        match (v, type_name(v)) {
            (Value::String(s), _) => Some(StrArg::Static(f(s))),
            (_, "directive") => Some(StrArg::Dynamic {
                node: self.node(v, at, on_event),
                at: show(at).into(),
            }),
            _ => {
                self.problem(
                    at,
                    format!("should be a string or a mapping directive but it is {}", a_type(v)),
                );
                None
            }
        }
    }

    fn arg(&mut self, v: &Value, at: &str, on_event: bool) -> Arg {
        Arg {
            node: self.node(v, at, on_event),
            truthy: raw_truthy(v),
        }
    }

    fn optional_arg(&mut self, o: &Map<String, Value>, key: &str, at: &str, on_event: bool) -> Option<Arg> {
        o.get(key).map(|v| self.arg(v, &child(at, key), on_event))
    }

    fn required<'v>(&mut self, o: &'v Map<String, Value>, key: &str, at: &str) -> Option<&'v Value> {
        let v = o.get(key);
        if v.is_none() {
            self.problem(at, format!("should have field \"{key}\" but it doesn't"));
        }
        v
    }

    fn string_field<'v>(&mut self, v: &'v Value, at: &str) -> Option<&'v str> {
        match v {
            Value::String(s) => Some(s),
            _ => {
                self.problem(at, format!("should be a string but it is {}", a_type(v)));
                None
            }
        }
    }

    fn bool_field(&mut self, o: &Map<String, Value>, key: &str, at: &str, default: bool) -> bool {
        match o.get(key) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                self.problem(&child(at, key), format!("should be a boolean but it is {}", a_type(v)));
                default
            }
        }
    }

    /// A directive-or-string argument that may also be given as `""` (falsy, never resolved).
    fn directive_or_string(&mut self, v: &Value, at: &str, on_event: bool) -> Arg {
        if !matches!(type_name(v), "string" | "directive") {
            self.problem(
                at,
                format!("should be a string or a mapping directive but it is {}", a_type(v)),
            );
        }
        self.arg(v, at, on_event)
    }

    fn if_directive(&mut self, v: &Value, at: &str, on_event: bool) -> Node {
        let Some(o) = self.expect_object(v, at) else {
            return Node::Raw(crate::json::Val::Undefined);
        };
        let exists = self.optional_arg(o, "exists", at, on_event);
        let blank = self.optional_arg(o, "blank", at, on_event);
        let then = o.get("then").map(|t| self.node(t, &child(at, "then"), on_event));
        let otherwise = self.optional_arg(o, "else", at, on_event);
        self.other_fields(o, at, &["exists", "blank", "then", "else"], on_event);
        Node::If(Box::new(If {
            at: show(at).into(),
            exists,
            blank,
            then,
            otherwise,
        }))
    }

    fn array_path(&mut self, v: &Value, at: &str, on_event: bool) -> Node {
        let Value::Array(items) = v else {
            self.problem(at, format!("should be an array but it is {}", a_type(v)));
            return Node::Raw(crate::json::Val::Undefined);
        };
        let root = match items.first() {
            Some(Value::String(p)) => {
                let path = PathSpec::parse_dollar(p);
                self.reads_path(on_event, path.keys());
                Some(ArrayRoot::Path(path))
            }
            Some(d) if type_name(d) == "directive" => Some(ArrayRoot::Directive(self.node(d, at, on_event))),
            other => {
                let t = other.map_or_else(|| "an undefined".to_owned(), a_type);
                self.problem(at, format!("should be a string or a mapping directive but it is {t}"));
                None
            }
        };
        let shape = items.get(1).and_then(|s| {
            let node = self.node(s, &child(at, "1"), false);
            s.as_object().filter(|o| !o.is_empty()).map(|_| node)
        });
        match root {
            Some(root) => Node::ArrayPath(Box::new(ArrayPath { root, shape })),
            None => Node::Raw(crate::json::Val::Undefined),
        }
    }

    fn case(&mut self, v: &Value, at: &str, on_event: bool) -> Node {
        let Some(o) = self.expect_object(v, at) else {
            return Node::Raw(crate::json::Val::Undefined);
        };
        let op = match o.get("operator") {
            None => None,
            Some(op) => match self.string_field(op, &child(at, "operator")) {
                Some("") | None => None,
                Some("lower") => Some(CaseOp::Lower),
                Some("upper") => Some(CaseOp::Upper),
                Some(_) => Some(CaseOp::Other),
            },
        };
        let value = o
            .get("value")
            .map(|v| self.directive_or_string(v, &child(at, "value"), on_event));
        self.other_fields(o, at, &["operator", "value"], on_event);
        Node::Case(Box::new(Case {
            at: show(at).into(),
            op,
            value,
        }))
    }

    fn limited_string(&mut self, v: &Value, at: &str, min: usize) -> Option<Box<str>> {
        let s = self.string_field(v, at)?;
        let len = js_len(s);
        if len < min {
            self.problem(at, format!("should be a string of length {min} or greater"));
            return None;
        }
        if len > MAX_REPLACE_LEN {
            self.problem(at, format!("should be a string of length {MAX_REPLACE_LEN} or less"));
            return None;
        }
        Some(s.into())
    }

    fn replace(&mut self, v: &Value, at: &str, on_event: bool) -> Node {
        let Some(o) = self.expect_object(v, at) else {
            return Node::Raw(crate::json::Val::Undefined);
        };
        let pattern = self
            .required(o, "pattern", at)
            .and_then(|p| self.limited_string(p, &child(at, "pattern"), 1));
        let replacement = match o.get("replacement") {
            None => Some(Box::from("")),
            Some(r) => self.limited_string(r, &child(at, "replacement"), 0),
        };
        let value = self
            .required(o, "value", at)
            .map(|v| self.directive_or_string(v, &child(at, "value"), on_event));
        let ignore_case = self.bool_field(o, "ignorecase", at, false);
        let global = self.bool_field(o, "global", at, true);
        // The second pass runs only with a non-empty string pattern2 and a string (or missing/null)
        // replacement2; its lengths are checked here rather than when an event reaches it.
        let second = match (o.get("pattern2"), o.get("replacement2")) {
            (Some(Value::String(p2)), r2) if !p2.is_empty() => {
                let p2 = self.limited_string(&Value::String(p2.clone()), &child(at, "pattern2"), 1);
                let r2 = match r2 {
                    None | Some(Value::Null) => Some(Some(Box::from(""))),
                    Some(r @ Value::String(_)) => Some(self.limited_string(r, &child(at, "replacement2"), 0)),
                    Some(_) => None,
                };
                match (p2, r2) {
                    (Some(p2), Some(Some(r2))) => Some((p2, r2)),
                    _ => None,
                }
            }
            _ => None,
        };
        self.other_fields(
            o,
            at,
            &[
                "pattern",
                "replacement",
                "value",
                "ignorecase",
                "global",
                "pattern2",
                "replacement2",
            ],
            on_event,
        );
        match (pattern, replacement, value) {
            (Some(pattern), Some(replacement), Some(value)) => Node::Replace(Box::new(Replace {
                value,
                pattern,
                replacement,
                second,
                ignore_case,
                global,
            })),
            _ => Node::Raw(crate::json::Val::Undefined),
        }
    }

    fn json(&mut self, v: &Value, at: &str, on_event: bool) -> Node {
        let Some(o) = self.expect_object(v, at) else {
            return Node::Raw(crate::json::Val::Undefined);
        };
        let value = self
            .required(o, "value", at)
            .map(|v| self.arg(v, &child(at, "value"), on_event));
        let mode = self.required(o, "mode", at).and_then(|m| {
            let m_at = child(at, "mode");
            let s = self.string_field(m, &m_at)?;
            match s.to_lowercase().as_str() {
                "encode" | "decode" => Some(match s {
                    "encode" => JsonMode::Encode,
                    "decode" => JsonMode::Decode,
                    _ => JsonMode::Neither,
                }),
                _ => {
                    self.problem(&m_at, format!("should be one of encode, decode but it is {}", m));
                    None
                }
            }
        });
        self.other_fields(o, at, &["value", "mode"], on_event);
        match (value, mode) {
            (Some(value), Some(mode)) => Node::Json(Box::new(Json {
                at: show(at).into(),
                mode,
                value,
            })),
            _ => Node::Raw(crate::json::Val::Undefined),
        }
    }

    fn flatten(&mut self, v: &Value, at: &str, on_event: bool) -> Node {
        let Some(o) = self.expect_object(v, at) else {
            return Node::Raw(crate::json::Val::Undefined);
        };
        let value = self
            .required(o, "value", at)
            .map(|v| self.node(v, &child(at, "value"), on_event));
        let separator = self
            .required(o, "separator", at)
            .and_then(|s| self.string_field(s, &child(at, "separator")))
            .map(Box::<str>::from);
        let omit_arrays = o.get("omitArrays").is_some_and(raw_truthy);
        self.other_fields(o, at, &["value", "separator", "omitArrays"], on_event);
        match (value, separator) {
            (Some(value), Some(separator)) => Node::Flatten(Box::new(Flatten {
                at: show(at).into(),
                value,
                separator,
                omit_arrays,
            })),
            _ => Node::Raw(crate::json::Val::Undefined),
        }
    }

    fn merge(&mut self, v: &Value, at: &str, on_event: bool) -> Node {
        let Some(o) = self.expect_object(v, at) else {
            return Node::Raw(crate::json::Val::Undefined);
        };
        let objects = self.required(o, "objects", at).and_then(|objs| {
            let objs_at = child(at, "objects");
            let Value::Array(items) = objs else {
                self.problem(&objs_at, format!("should be an array but it is {}", a_type(objs)));
                return None;
            };
            let mut nodes = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let item_at = child(&objs_at, &i.to_string());
                if !matches!(type_name(item), "object" | "directive") {
                    self.problem(&item_at, format!("should be an object but it is {}", a_type(item)));
                }
                nodes.push(self.node(item, &item_at, on_event));
            }
            Some(nodes)
        });
        let left = self.required(o, "direction", at).and_then(|d| {
            let d_at = child(at, "direction");
            let s = self.string_field(d, &d_at)?;
            match s.to_lowercase().as_str() {
                "left" | "right" => Some(s == "left"),
                _ => {
                    self.problem(&d_at, format!("should be one of left, right but it is {}", d));
                    None
                }
            }
        });
        self.other_fields(o, at, &["objects", "direction"], on_event);
        match (objects, left) {
            (Some(objects), Some(left)) => Node::Merge(Box::new(Merge { objects, left })),
            _ => Node::Raw(crate::json::Val::Undefined),
        }
    }
}
