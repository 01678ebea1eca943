//! Coalescing (`[delivery] coalesce`): several waiting assertions for one record sent as
//! one assertion equivalent to applying them in order.
//!
//! [`coalesce`] merges the longest prefix of a run that one assertion can stand for:
//! - a later value of an attribute replaces an earlier one (so a clear followed by
//!   values keeps the values, and values followed by a clear keep the clear);
//! - with `append` multiselect behaviour, a multiselect attribute's values are the union
//!   of the values written, in order (an exact repeat is written once); a clear of it
//!   followed by values cannot be one `append` write, so the run stops before them
//!   (`null` and `[]` both clear);
//! - with `replace` multiselect behaviour, the last values win;
//! - `create_only` writes only missing records, so a run of it is its first assertion;
//!   `update_only` and `upsert` merge alike (each write finds the record, or none does);
//! - a record reference replaced by another value would lose the person that writing it
//!   creates, so the run stops there unless the two are equal;
//! - nested assertions (batch mode) merge when they name the same record.
//!
//! The run stops at an assertion for another record, with other multiselect behaviour,
//! with a value only known once sent (the record id of a previous reply), or writing an
//! attribute whose kind is unknown and that an earlier assertion of the run wrote with
//! another value (the same value written again always merges).

mod merge;

pub use merge::{coalesce, AttributeKind, Coalesced};

#[cfg(test)]
mod tests;
