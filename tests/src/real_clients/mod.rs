//! Support for the suite that points Segment's own client libraries (which this project
//! did not write) at a running `segment-attio serve`: locating the installed clients,
//! running a client program, and reading the simulator's records.
//!
//! The clients live under `tests/clients/` and are installed by
//! `scripts/install-test-deps.sh`; a missing one makes the suite fail, never skip.

pub mod deps;
pub mod program;
pub mod records;
pub mod snapshot;
