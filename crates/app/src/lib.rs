//! The segment-attio service: configuration, the durable spool, delivery and the CLI.

pub mod spool;
