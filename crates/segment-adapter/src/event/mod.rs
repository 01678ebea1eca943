//! The Segment event model: the six calls of the Spec (identify, track, page, screen,
//! group, alias) kept loss-free, their validation, and the server-side enrichment done
//! on receipt.

mod enrich;
mod error;
mod kind;
mod model;
pub mod time;
mod validate;

pub use enrich::{Enrichment, EnvelopeDefaults, StampMode};
pub use error::EventError;
pub use kind::EventType;
pub use model::Event;
pub use validate::MAX_MESSAGE_ID_CHARS;
