//! The Attio side of segment-attio: Attio's wire format ([`wire`]: paths, bodies, error
//! bodies and their meaning) and the production HTTP transport ([`http`]: an
//! [`AttioGateway`](domain::ports::AttioGateway) over reqwest, rate limiting, error
//! classification, schema-aware validation). The simulator (crate
//! `segment-attio-simulator`) answers in the same wire format.

pub mod http;
pub mod wire;
