//! The ports: what the domain needs from the outside world, as small traits.

mod attio_gateway;
mod clock;
mod event_spool;

pub use attio_gateway::{AssertReply, AttioGateway, AttioObject, AttributeDefinition};
pub use clock::{Clock, FixedClock, SystemClock};
pub use event_spool::{
    Appended, DeadLetter, DeadLetterSelection, DeadLetters, EventSpool, IdentifiedEvent, NewEvent, SpoolError,
    SpoolStats, SpooledEvent, StoredDeadLetter,
};

#[cfg(any(test, feature = "testing"))]
pub use attio_gateway::MockAttioGateway;
#[cfg(any(test, feature = "testing"))]
pub use clock::MockClock;
#[cfg(any(test, feature = "testing"))]
pub use event_spool::{MockDeadLetters, MockEventSpool};
