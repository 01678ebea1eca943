//! The pure domain of segment-attio.
//!
//! Attio records and assertions, the 17 attribute value types, the three actions
//! (`identifyUser`, `groupWorkspace`, `assertRecord`) as pure functions from a
//! validated payload to the Attio commands they issue, and the ports (traits) the
//! adapters implement. Nothing here performs I/O or depends on an async runtime.

pub mod actions;
pub mod coalesce;
pub mod error;
pub mod fingerprint;
pub mod json_text;
pub mod partition;
pub mod ports;
pub mod record;
pub mod slug;
pub mod untraced;
pub mod value;

pub use error::{GatewayError, Retryability, Retryable};
pub use json_text::JsonText;
pub use record::{
    AssertValue, Assertion, AttioCommand, AttributeMap, FollowUp, ListEntry, Multiselect, NoteDraft, NoteFormat, Plan,
    ReceivedAt, ReceivedAtError, WriteMode,
};
pub use slug::{AttributeSlug, ListSlug, ObjectSlug, SlugError};
