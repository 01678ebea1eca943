//! Mapping-kit: Segment's mapping directives (`@path`, `@if`, `@template`, ...).
//!
//! A mapping is any JSON value. Objects whose keys are one `@`-prefixed key (plus an optional
//! `_metadata`) are directives; everything else is copied, with arrays and objects walked for
//! directives at any depth. [`Mapping::parse`] validates and compiles a mapping once, when the
//! configuration is loaded; [`Mapping::apply`] resolves it against each event, reproducing the
//! reference (`@segment/actions-core`) including its quirks: the falsy short-circuit of paths,
//! the falsy `else` of `@if`, `@replace` giving `""` for a missing value, `undefined` array
//! elements serialised as `null`.
//!
//! `@liquid` is refused at load time: Liquid templates are not supported.

mod compile;
mod directives;
mod error;
mod node;
mod ops;
mod path;
mod replace;
mod resolve;
mod template;

use std::collections::BTreeSet;

pub use error::{MappingError, Problem};

use crate::json::{Projection, Val};

/// A validated, compiled mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    root: node::Root,
    reads: Option<Projection>,
}

impl Mapping {
    /// Validates a mapping (any JSON value) when configuration is loaded. Every problem found
    /// is reported with the JSON path of the offending value, e.g.
    /// `/user_attributes/x has an invalid directive: @foo` or
    /// `/x/@replace/pattern should be a string of length 10 or less`.
    pub fn parse(mapping: &serde_json::Value) -> Result<Mapping, MappingError> {
        let mut c = compile::Compiler::new();
        let root = c.root(mapping, "", true);
        if !c.problems.is_empty() {
            return Err(MappingError::Invalid(c.problems));
        }
        Ok(Mapping { root, reads: c.reads })
    }

    /// Resolves the mapping against an event (which must be an object). Keys that resolve to
    /// `undefined` are removed from objects at every depth; inside arrays they stay as
    /// [`Val::Undefined`], which serialises as `null`. A mapping that is itself a directive
    /// returns what it resolves to. The result borrows from the event and from the mapping
    /// (its keys and constant values), so neither is copied.
    pub fn apply<'a>(&'a self, event: &Val<'a>) -> Result<Val<'a>, MappingError> {
        resolve::transform(&self.root, event, "/")
    }

    /// The top-level event fields the mapping can read, or `None` when it may read any of
    /// them (a path computed at run time, a path to the whole event, `{{ }}`, ...). An event
    /// holding only these fields resolves exactly like the full event.
    pub fn referenced_roots(&self) -> Option<BTreeSet<String>> {
        self.reads.as_ref().map(|p| p.roots().map(str::to_owned).collect())
    }

    /// What of the event the mapping can read — its top-level fields, narrowed to the keys
    /// of their objects that paths go on to — or `None` when it may read anything. An event
    /// parsed with it ([`Val::parse_with`]) resolves exactly like the full event.
    pub fn projection(&self) -> Option<&Projection> {
        self.reads.as_ref()
    }
}

#[cfg(test)]
mod tests;
