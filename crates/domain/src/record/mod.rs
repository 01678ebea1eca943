//! Attio record assertions and the commands that carry them.

mod assertion;
mod attribute_map;
mod command;
mod follow_up;
mod owned;
mod received_at;

pub use assertion::{AssertValue, Assertion};
pub use attribute_map::AttributeMap;
pub use command::{
    documented_assert_path, encode_path_segment, simple_assert_path, AttioCommand, Method, Plan, ATTIO_BASE_URL,
};
pub use follow_up::{FollowUp, ListEntry, Multiselect, NoteDraft, NoteFormat, WriteMode};
pub use received_at::{format_rfc3339_millis, ReceivedAt, ReceivedAtError};
