//! Attio record assertions and the commands that carry them.

mod assertion;
mod attribute_map;
mod follow_up;
mod owned;
mod plan;
mod received_at;

pub use assertion::{AssertValue, Assertion};
pub use attribute_map::AttributeMap;
pub use follow_up::{FollowUp, ListEntry, Multiselect, NoteDraft, NoteFormat, WriteMode};
pub use plan::{AttioCommand, Plan};
pub use received_at::{format_rfc3339_millis, ReceivedAt, ReceivedAtError};
