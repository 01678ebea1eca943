//! The parsed form of a subscription. It mirrors the reference's AST: one group of
//! conditions (at most one level of child groups), each condition a field and a test.

/// How the children of a group combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combinator {
    /// Every child matches.
    And,
    /// Some child matches.
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub combinator: Combinator,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Condition(Condition),
    Group(Group),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: Field,
    pub test: Test,
}

/// Where the tested value is read from. Keys are the steps of the reference's
/// property walk (`a.b` is `["a", "b"]`).
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// `type` (the reference's `event-type`).
    Type,
    /// `event`.
    Event,
    /// `name`.
    Name,
    /// `userId`.
    UserId,
    /// `properties.<key>`: reads `event.properties`.
    Property(Vec<String>),
    /// `traits.<key>`: reads the top-level `event.traits` only.
    Trait(Vec<String>),
    /// `context.<key>`: reads `event.context`.
    Context(Vec<String>),
}

impl Field {
    /// The top-level event key the field is read from.
    pub fn root(&self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Event => "event",
            Field::Name => "name",
            Field::UserId => "userId",
            Field::Property(_) => "properties",
            Field::Trait(_) => "traits",
            Field::Context(_) => "context",
        }
    }
}

impl Field {
    /// The keys walked below the root (empty for `type`, `event`, `name`, `userId`).
    pub fn keys(&self) -> &[String] {
        match self {
            Field::Property(keys) | Field::Trait(keys) | Field::Context(keys) => keys,
            Field::Type | Field::Event | Field::Name | Field::UserId => &[],
        }
    }
}

impl Group {
    /// Adds what the group's conditions read of the event to `out`.
    pub fn collect_reads(&self, out: &mut crate::json::Projection) {
        for child in &self.children {
            match child {
                Node::Condition(c) => match c.field.keys().first() {
                    Some(first) => out.read_path(&[c.field.root(), first.as_str()]),
                    None => out.read_root(c.field.root()),
                },
                Node::Group(g) => g.collect_reads(out),
            }
        }
    }

    /// Adds the top-level event keys that the group's conditions read to `out`.
    pub fn collect_roots(&self, out: &mut std::collections::BTreeSet<&'static str>) {
        for child in &self.children {
            match child {
                Node::Condition(c) => {
                    out.insert(c.field.root());
                }
                Node::Group(g) => g.collect_roots(out),
            }
        }
    }
}

/// The reference's operators, with their expected values already converted the way
/// the reference converts them (`String(v)` or `Number(v)`).
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `=`: the actual value is a string equal to this one.
    Equals(String),
    /// `!=`: the actual value is not a string equal to this one (true when missing).
    NotEquals(String),
    /// `<`, `<=`, `>`, `>=`: the actual value is a number and compares so.
    Less(f64),
    LessOrEqual(f64),
    Greater(f64),
    GreaterOrEqual(f64),
    /// `= <number>` on a property, trait or context key: the actual value is that number.
    NumberEquals(f64),
    /// `!= <number>` on a property, trait or context key: the actual value is a different number
    /// (false when missing).
    NumberNotEquals(f64),
    Contains(String),
    NotContains(String),
    StartsWith(String),
    NotStartsWith(String),
    EndsWith(String),
    NotEndsWith(String),
    /// `!= null`.
    Exists,
    /// `= null`.
    NotExists,
    /// `= true`: the actual value is the boolean `true`.
    IsTrue,
    /// `= false`: the actual value is the boolean `false`.
    IsFalse,
}
