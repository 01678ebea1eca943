//! The Segment side of segment-attio: the event model, mapping-kit directives, FQL
//! subscriptions, the integrations object, the action pipeline that turns a mapped
//! payload into a validated action payload, and Segment-compatible HTTP ingestion.

pub mod destination;
pub mod event;
pub mod fql;
pub mod ingest;
pub mod integrations;
pub mod json;
pub mod mapping;
pub mod pipeline;
