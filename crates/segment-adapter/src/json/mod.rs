//! A borrowed JSON value with JavaScript semantics, the data model that mapping-kit
//! directives and FQL subscriptions work on.
//!
//! Strings are borrowed from the input where they contain no escapes; objects keep
//! their key order in a vector (no hashing); `Undefined` models JavaScript's
//! `undefined`, which the reference produces for missing paths.

mod fast;
mod parse;
mod projection;
mod value;

pub use projection::Projection;
pub use value::{js_number_to_string, Obj, Val};
