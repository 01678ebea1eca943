//! The handlers of the command line's subcommands.

pub mod attio;
pub mod attio_info;
pub mod dead_letters;
pub mod events;
pub mod import;
pub mod schema;
pub mod serve;
pub mod simulator;
pub mod skipped;
pub mod spool_path;
pub mod test_event;
