//! FQL subscriptions (`subscribe` of an action) as the reference evaluates them.
//!
//! The reference (`@segment/destination-subscriptions`) parses a small, quirky subset of
//! FQL. [`Subscription::parse`] accepts the part of that subset that the reference reads
//! as written, builds the same AST, and [`Subscription::matches`] gives the reference's
//! answer for every event. Everything the reference would misread is refused with an
//! [`FqlError`] that says what is wrong and how to write it instead:
//!
//! * `and` and `or` mixed at one level (the reference has no precedence: the last one wins);
//!   more than one level of parentheses; `contains(`/`match(` before the last condition of a
//!   parenthesised group (the reference closes the group at the call's `)`); `!` before
//!   anything but `contains(` / `match(`;
//! * fields other than `type`, `event`, `name`, `userId`, `properties.*`, `traits.*`,
//!   `context.*` (the reference silently drops them), sub-fields of the first four, a
//!   root without a key, `type` inside `contains`/`match`;
//! * keys it cannot address: brackets, a segment starting with a digit (escape it:
//!   `items.\0.sku`), an unescaped segment spelled `and`/`or`/`null`, and keys naming
//!   built-in JavaScript members (`constructor`, `toString`, ...);
//! * lexical traps: `\r`, single quotes, upper-case `AND`/`OR`, `==`, `&&`, `||`, a
//!   two-character operator or a closing quote not followed by a separator, words not
//!   followed by one (`userId!=null`, `total>50`, `café`), malformed numbers;
//! * structural errors: empty text, missing or dangling conjunctions, missing operator or
//!   value, dotted unquoted values, unbalanced or empty parentheses;
//! * ordering (`<`, `<=`, `>`, `>=`) against something that is not a number (never matches).
//!
//! Kept as the reference reads them: `type="identify"` (no spaces around `=`), unquoted
//! single-word values (`properties.plan = pro` compares with the string `"pro"`),
//! `event = null` (compares with the string `"null"`), `match(f, "Order")` (ends with
//! `"rder"`: the reference drops the first character of a pattern without a trailing `*`),
//! and `\.` in keys (still a separator).

mod ast;
mod error;
mod eval;
mod js;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

pub use ast::{Combinator, Condition, Field, Group, Node, Test};
pub use error::{FqlError, Location, Problem};
pub use parser::MAX_LEN;

use crate::json::Val;

/// A parsed `subscribe` expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    text: String,
    root: Group,
}

impl Subscription {
    /// Parses an FQL `subscribe` string, refusing everything the reference would misread.
    pub fn parse(text: &str) -> Result<Subscription, FqlError> {
        let root = parser::parse(text)?;
        Ok(Subscription {
            text: text.to_owned(),
            root,
        })
    }

    /// Whether the event matches, with the reference's semantics.
    pub fn matches(&self, event: &Val<'_>) -> bool {
        eval::matches(event, &self.root)
    }

    /// The top-level event keys the conditions read (`type`, `traits`, ...): an event
    /// holding only these keys matches exactly when the full event does.
    pub fn referenced_roots(&self) -> std::collections::BTreeSet<&'static str> {
        let mut out = std::collections::BTreeSet::new();
        self.root.collect_roots(&mut out);
        out
    }

    /// What the conditions read of the event: an event parsed with it
    /// ([`Val::parse_with`](crate::json::Val::parse_with)) matches exactly when the full
    /// event does.
    pub fn projection(&self) -> crate::json::Projection {
        let mut out = crate::json::Projection::new();
        self.root.collect_reads(&mut out);
        out
    }

    /// The original text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed conditions: always one group at the top, as in the reference.
    pub fn root(&self) -> &Group {
        &self.root
    }
}

impl std::fmt::Display for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Subscription {
    type Err = FqlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Subscription::parse(s)
    }
}
