//! Hardening: a client without a key cannot take the service down. Real binary, real
//! sockets, loopback only; every attack is bounded in time and in connections.

#[path = "hardening/net.rs"]
mod net;
