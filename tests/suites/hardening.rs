//! Hardening: a client without a key cannot take the service down, and a broken spool
//! never answers 200. Real binary, real sockets and files, loopback only; every attack is
//! bounded in time and in connections.

#[path = "hardening/net.rs"]
mod net;
#[path = "hardening/spool.rs"]
mod spool;
