//! The ports: what the domain needs from the outside world, as small traits.

mod attio_gateway;
mod clock;
mod delivery_journal;
mod event_spool;

pub use attio_gateway::{AssertReply, AttioGateway, AttioObject, AttributeDefinition, NoteSummary};
pub use clock::{Clock, FixedClock, SystemClock};
pub use delivery_journal::{DeliveryJournal, NoteAttempt};
pub use event_spool::{
    DeadLetter, DeadLetterSelection, DeadLetters, EventSpool, NewEvent, SpoolError, SpoolStats, SpooledEvent,
    StoredDeadLetter,
};

#[cfg(any(test, feature = "testing"))]
pub use attio_gateway::MockAttioGateway;
#[cfg(any(test, feature = "testing"))]
pub use clock::MockClock;
#[cfg(any(test, feature = "testing"))]
pub use delivery_journal::MockDeliveryJournal;
#[cfg(any(test, feature = "testing"))]
pub use event_spool::{MockDeadLetters, MockEventSpool};
