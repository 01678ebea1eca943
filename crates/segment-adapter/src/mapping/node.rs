//! The compiled form of a mapping: raw values and directives with their arguments
//! prepared (paths split, templates parsed), plus what the reference decides from the
//! unresolved mapping (JavaScript truthiness of argument values).

use super::path::PathSpec;
use super::template::Template;
use crate::json::Val;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// A value without directives, copied as is.
    Raw(Val<'static>),
    Arr(Vec<Node>),
    Obj(Vec<(Box<str>, Node)>),
    Path(Box<PathArg>),
    Template(Box<TemplateArg>),
    Literal(Box<Node>),
    If(Box<If>),
    ArrayPath(Box<ArrayPath>),
    Case(Box<Case>),
    Replace(Box<Replace>),
    Json(Box<Json>),
    Flatten(Box<Flatten>),
    Merge(Box<Merge>),
    Transform(Box<Transform>),
    ExcludeWhenNull(Box<Node>),
}

/// An argument that must resolve to a string: known at load time, or a directive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StrArg<T> {
    Static(T),
    Dynamic { node: Node, at: Box<str> },
}

pub(crate) type PathArg = StrArg<PathSpec>;
pub(crate) type TemplateArg = StrArg<Template>;

/// An argument of a directive with the truthiness of its unresolved mapping value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arg {
    pub node: Node,
    pub truthy: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct If {
    pub at: Box<str>,
    pub exists: Option<Arg>,
    pub blank: Option<Arg>,
    pub then: Option<Node>,
    pub otherwise: Option<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ArrayRoot {
    Path(PathSpec),
    Directive(Node),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArrayPath {
    pub root: ArrayRoot,
    /// The item shape, when it is a non-empty object (otherwise the root is returned as is).
    pub shape: Option<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CaseOp {
    Lower,
    Upper,
    /// Any other operator string: an error when applied to a string.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Case {
    pub at: Box<str>,
    /// `None` when the operator is missing or falsy (an error at run time).
    pub op: Option<CaseOp>,
    pub value: Option<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Replace {
    pub value: Arg,
    pub pattern: Box<str>,
    pub replacement: Box<str>,
    pub second: Option<(Box<str>, Box<str>)>,
    pub ignore_case: bool,
    pub global: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonMode {
    Encode,
    Decode,
    /// Accepted at load time (`ENCODE`) but matching neither mode at run time.
    Neither,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Json {
    pub at: Box<str>,
    pub mode: JsonMode,
    pub value: Arg,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Flatten {
    pub at: Box<str>,
    pub value: Node,
    pub separator: Box<str>,
    pub omit_arrays: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Merge {
    pub objects: Vec<Node>,
    pub left: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transform {
    pub at: Box<str>,
    pub apply: Root,
    pub mapping: Node,
}

/// A mapping run by `transform` (the whole mapping, or the `apply` stage of `@transform`):
/// optionally reshaped first by the internal root directive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Root {
    Plain(Node),
    Reshaped(Box<Transform>),
}
