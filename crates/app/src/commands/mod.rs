//! The handlers of the command line's subcommands.

pub mod attio;
pub mod attio_info;
pub mod dead_letters;
pub mod import;
pub mod serve;
pub mod simulator;
pub mod skipped;
pub mod test_event;
