//! The ports: what the domain needs from the outside world, as small traits.

mod attio_gateway;
mod clock;

pub use attio_gateway::{AssertReply, AttioGateway, AttioObject, AttributeDefinition};
pub use clock::{Clock, FixedClock, SystemClock};

#[cfg(any(test, feature = "testing"))]
pub use attio_gateway::MockAttioGateway;
#[cfg(any(test, feature = "testing"))]
pub use clock::MockClock;
