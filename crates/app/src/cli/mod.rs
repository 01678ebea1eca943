//! The command line of `segment-attio`.

pub mod test_event;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// segment-attio: turns Segment events into Attio records.
#[derive(Debug, Parser)]
#[command(name = "segment-attio", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Environment variables SEGMENT_ATTIO__SECTION__KEY override it.
    #[arg(long, short = 'c', global = true, env = "SEGMENT_ATTIO_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: ingestion, spool and delivery (on the built-in Attio simulator
    /// when no Attio token is configured).
    Serve(ServeArgs),
    /// Run the Attio simulator on its own.
    Simulator(SimulatorArgs),
    /// Validate the configuration and exit.
    CheckConfig,
    /// Show the Attio requests some events would cause, without sending anything.
    TestEvent(TestEventArgs),
    /// List the workspace's objects (the "Attio Object" dropdown).
    Objects(OutputArgs),
    /// List an object's attributes.
    Attributes {
        /// Object slug, e.g. people.
        object: String,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Check the Attio credentials.
    CheckAuth(OutputArgs),
    /// Inspect and re-drive events that could not be delivered.
    #[command(subcommand)]
    DeadLetters(DeadLetterCommand),
    /// Backfill events from a JSON Lines file (e.g. a Segment export) through the pipeline.
    Import(ImportArgs),
    /// List the events a subscription skipped (its write_mode), newest first, with why.
    Skipped {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides server.listen).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Directory of the spool database (overrides spool.path to DIR/spool.sqlite).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SimulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// Writes per second answered before 429s (0 = no limit).
    #[arg(long, default_value_t = 25)]
    pub write_rate: u32,
    /// Reads per second answered before 429s (0 = no limit).
    #[arg(long, default_value_t = 100)]
    pub read_rate: u32,
    /// Accepted bearer token (repeatable); none = any token is accepted.
    #[arg(long = "token")]
    pub tokens: Vec<String>,
    /// Custom objects and attributes (TOML or JSON).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct TestEventArgs {
    /// Use this configured subscription (by name); default: every configured subscription.
    #[arg(long)]
    pub subscription: Option<String>,
    /// Inline action instead of the configuration: identifyUser, groupWorkspace, assertRecord,
    /// upsertListEntry, removeListEntry or createNote.
    #[arg(long)]
    pub action: Option<String>,
    /// Inline mapping (Segment's mapping JSON) for --action.
    #[arg(long)]
    pub mapping: Option<String>,
    /// Inline FQL subscription for --action.
    #[arg(long)]
    pub subscribe: Option<String>,
    /// Lay --mapping over the action's default mapping.
    #[arg(long)]
    pub default_mapping: bool,
    /// Treat --action as batching (one batch request for all events).
    #[arg(long)]
    pub batch: bool,
    /// A JSON Lines file of events ("-" = standard input).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// The current time for received_at fallbacks (RFC 3339).
    #[arg(long)]
    pub now: Option<String>,
    #[arg(long)]
    pub json: bool,
    /// One event as JSON.
    pub event: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum DeadLetterCommand {
    /// List dead letters, newest first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        #[arg(long)]
        json: bool,
    },
    /// Show one dead letter with its event.
    Show { id: i64 },
    /// Move dead letters back into the spool to be delivered again.
    Replay(Selection),
    /// Delete dead letters.
    Purge(Selection),
}

#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Selection {
    /// Every dead letter.
    #[arg(long)]
    pub all: bool,
    /// These ids.
    #[arg(long = "id")]
    pub ids: Vec<i64>,
    /// Those of one subscription.
    #[arg(long)]
    pub subscription: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// JSON Lines file of Segment events (one event per line).
    pub file: PathBuf,
    /// Events appended to the spool per transaction.
    #[arg(long, default_value_t = 500)]
    pub chunk: usize,
}
