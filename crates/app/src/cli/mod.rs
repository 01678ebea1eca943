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
    /// Validate the configuration (and check it against the workspace) and exit.
    CheckConfig(CheckConfigArgs),
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
    DeadLetters(DeadLettersArgs),
    /// What happened to an event: its trace (state, subscriptions, Attio requests).
    Events(EventsArgs),
    /// Backfill events from a JSON Lines file (e.g. a Segment export) through the pipeline.
    Import(ImportArgs),
    /// List the events a subscription skipped (its write_mode), newest first, with why.
    Skipped {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        spool: SpoolArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CheckConfigArgs {
    /// Do not check the subscriptions against the workspace (no request is made).
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Start even when the subscriptions do not fit the workspace (overrides
    /// attio.allow_schema_errors); the refused subscriptions' events are dead-lettered.
    #[arg(long)]
    pub allow_schema_errors: bool,
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
    /// Lay --mapping over the action's default mapping (whether --mapping is empty or not;
    /// without --mapping the default mapping is used).
    #[arg(long)]
    pub default_mapping: bool,
    /// Treat --action as batching (batch requests of the mapping's batch_size events).
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

/// `--data-dir` of the commands that open the spool.
#[derive(Debug, Clone, Args)]
pub struct SpoolArgs {
    /// Directory of the spool database (overrides spool.path to DIR/spool.sqlite).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DeadLettersArgs {
    #[command(flatten)]
    pub spool: SpoolArgs,
    #[command(subcommand)]
    pub command: DeadLetterCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum DeadLetterCommand {
    /// List dead letters, newest first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Only those of this subscription.
        #[arg(long)]
        subscription: Option<String>,
        /// Only those of this destination (`default`, the `[attio]` workspace, or a
        /// `[[destinations]]` name).
        #[arg(long)]
        destination: Option<String>,
        /// Only those whose reason contains this text.
        #[arg(long)]
        reason: Option<String>,
        /// Only those that failed since: an RFC 3339 time or an age (90s, 15m, 2h, 7d).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show the dead letters of one event (ID = its event id or its messageId).
    Show { id: String },
    /// Move dead letters back into the spool to be delivered again.
    Replay {
        #[command(flatten)]
        selection: Selection,
        /// Say what would be replayed, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete dead letters (without --yes, only say what would be deleted).
    Purge {
        #[command(flatten)]
        selection: Selection,
        /// Really delete.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Selection {
    /// Every dead letter.
    #[arg(long)]
    pub all: bool,
    /// The dead letters of these events (event id or messageId; repeatable).
    #[arg(long = "id")]
    pub ids: Vec<String>,
    /// Those of one subscription.
    #[arg(long)]
    pub subscription: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub spool: SpoolArgs,
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum EventsCommand {
    /// One event's trace (ID = its messageId or its event id).
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Traced events, newest first.
    List {
        #[command(flatten)]
        filter: EventFilterArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct EventFilterArgs {
    /// waiting, in_flight, delivered, skipped, rejected or dead_lettered.
    #[arg(long)]
    pub state: Option<String>,
    /// Event type (identify, group, track, ...).
    #[arg(long = "type")]
    pub event_type: Option<String>,
    #[arg(long)]
    pub user_id: Option<String>,
    /// Received since: an RFC 3339 time or an age (90s, 15m, 2h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Matched this subscription.
    #[arg(long)]
    pub subscription: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// JSON Lines file of Segment events (one event per line).
    pub file: PathBuf,
    /// Events appended to the spool per transaction.
    #[arg(long, default_value_t = 500)]
    pub chunk: usize,
    #[command(flatten)]
    pub spool: SpoolArgs,
}
