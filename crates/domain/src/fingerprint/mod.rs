//! Skipping writes that would change nothing in Attio (`[delivery] skip_unchanged`).
//!
//! Each record an assertion writes (object and matching value, so an identify's Person
//! and User are two records) gets a [`Fingerprint`] of what the assertion writes to it:
//! one hash per attribute, over the value in canonical form (object members in any
//! order, numbers by value) and the write's multiselect behaviour. What is not in an
//! assertion's `values` is not in its fingerprint: the batch `received_at`, the one mapped
//! field that changes with every event and carries no record data in the default
//! mappings, is left out. A nested record counts as a link (its object and matching
//! value) in the outer record, and has a fingerprint of its own.
//!
//! Delivery reads the stored states ([`crate::ports::WriteFingerprints`]), calls
//! [`decide`], and after a successful write stores [`after_write`]'s states; a 4xx or
//! an unknown outcome forgets the records.

mod canonical;
mod decision;
mod records;
mod values;

pub use decision::{after_write, decide, WriteDecision, WriteReason, SKIP_REASON};
pub(crate) use records::record_key;
pub use records::{assertion_writes, plan_writes, RecordKey, RecordWrite};
pub use values::Fingerprint;
