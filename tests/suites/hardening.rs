//! Hardening: a broken spool never answers 200, one `serve` per spool, no secret in any
//! message, repeated events are stored once. Real binary, real files, loopback only.

#[path = "hardening/spool.rs"]
mod spool;
