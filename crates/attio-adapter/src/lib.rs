//! The Attio side of segment-attio: the production HTTP transport (an
//! [`AttioGateway`](domain::ports::AttioGateway) over reqwest), rate limiting, error
//! classification, schema-aware validation, and a faithful Attio simulator.

pub mod http;
pub mod simulator;
