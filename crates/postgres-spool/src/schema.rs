//! Versioned migrations, applied at open under an advisory lock (so that instances
//! starting together apply each once), each in its own transaction with its version.
//! Append-only: a change is a new entry at the end.

use domain::ports::SpoolError;
use tokio_postgres::Client;

use crate::error::Doing;

/// The advisory lock key of migrations (any constant unlikely to collide).
const MIGRATION_LOCK: i64 = 0x5e67_a771_0001;

/// `MIGRATIONS[n]` brings version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: events (with the partition of their identity), dead letters, counts kept in
    // step with them, recent message ids, the event trace, the delivery journal, and the
    // partition leases with the instances that hold them. Times are RFC 3339 text
    // compared in byte order (COLLATE "C"), as in the SQLite spool.
    "CREATE TABLE events (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         partition INTEGER NOT NULL,
         received_at TEXT COLLATE \"C\" NOT NULL,
         payload TEXT NOT NULL,
         only_subscription TEXT,
         message_id TEXT
     );
     CREATE INDEX events_by_partition ON events (partition, id);
     CREATE INDEX events_by_message_id ON events (message_id);
     CREATE TABLE dead_letters (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         event_id BIGINT NOT NULL,
         received_at TEXT COLLATE \"C\" NOT NULL,
         payload TEXT NOT NULL,
         subscription TEXT NOT NULL,
         reason TEXT NOT NULL,
         attempts BIGINT NOT NULL,
         last_error TEXT,
         failed_at TEXT COLLATE \"C\" NOT NULL,
         message_id TEXT
     );
     CREATE INDEX dead_letters_by_subscription ON dead_letters (subscription);
     CREATE INDEX dead_letters_by_message_id ON dead_letters (message_id);
     CREATE INDEX dead_letters_by_event_id ON dead_letters (event_id);
     CREATE TABLE spool_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
     INSERT INTO spool_counters (name, value) VALUES ('pending_events', 0), ('dead_letters', 0);
     CREATE TABLE spool_settings (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
     CREATE TABLE message_ids (message_id TEXT PRIMARY KEY, seen_at BIGINT NOT NULL);
     CREATE INDEX message_ids_by_time ON message_ids (seen_at);
     CREATE TABLE event_trace (
         event_id BIGINT PRIMARY KEY,
         message_id TEXT,
         type TEXT,
         user_id TEXT,
         received_at TEXT COLLATE \"C\" NOT NULL,
         state TEXT NOT NULL,
         subscriptions TEXT NOT NULL,
         detail TEXT NOT NULL
     );
     CREATE INDEX event_trace_by_message_id ON event_trace (message_id);
     CREATE TABLE note_journal (key TEXT PRIMARY KEY, started_at TEXT NOT NULL, note_id TEXT);
     CREATE TABLE skipped_events (
         id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         event_id BIGINT NOT NULL,
         subscription TEXT NOT NULL,
         reason TEXT NOT NULL,
         skipped_at TEXT NOT NULL
     );
     CREATE TABLE spool_instances (id TEXT PRIMARY KEY, seen_until TIMESTAMPTZ NOT NULL);
     CREATE TABLE partition_leases (
         partition INTEGER PRIMARY KEY,
         owner TEXT,
         lease_until TIMESTAMPTZ NOT NULL
     );",
    // 2: what delivery last wrote to each Attio record (`[delivery] skip_unchanged`), with
    // when (Unix microseconds; the index lets the oldest be pruned without a scan).
    "CREATE TABLE write_fingerprints (
         destination TEXT NOT NULL,
         object TEXT NOT NULL,
         matching TEXT NOT NULL,
         fingerprint TEXT NOT NULL,
         written_at BIGINT NOT NULL,
         PRIMARY KEY (destination, object, matching)
     );
     CREATE INDEX write_fingerprints_by_time ON write_fingerprints (written_at);",
    // 3: sources limited to some destinations (`[[ingest.sources]]`): an event names them
    // (a JSON array; NULL = every destination); dead letters per destination, looked up in
    // `subscription_destinations`, which `serve` fills from the configuration at start
    // (letters from before are the `default` destination's).
    "ALTER TABLE events ADD COLUMN only_destinations TEXT;
     ALTER TABLE dead_letters ADD COLUMN destination TEXT NOT NULL DEFAULT 'default';
     CREATE INDEX dead_letters_by_destination ON dead_letters (destination);
     CREATE TABLE subscription_destinations (
         subscription TEXT PRIMARY KEY,
         destination TEXT NOT NULL
     );",
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Brings the schema up to date, then records (or checks) the partition count and makes
/// sure every partition has its lease row.
pub(crate) async fn migrate(client: &mut Client, partitions: u32) -> Result<(), SpoolError> {
    let tx = client.transaction().await.doing("starting the schema migration")?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .doing("waiting for the migration lock")?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS spool_schema (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await
    .doing("creating the schema version table")?;
    let version: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM spool_schema", &[])
        .await
        .doing("reading the schema version")?
        .get(0);
    if version > SCHEMA_VERSION {
        return Err(SpoolError::Storage(format!(
            "the spool database has schema version {version}, newer than the {SCHEMA_VERSION} this build knows; \
             use a newer segment-attio or another spool.url"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql).await.doing("migrating the spool schema")?;
        let next = index as i32 + 1;
        tx.execute("INSERT INTO spool_schema (version) VALUES ($1)", &[&next])
            .await
            .doing("recording the schema version")?;
        tracing::info!(version = next, "spool schema migrated");
    }
    let wanted = i64::from(partitions);
    let stored: i64 = tx
        .query_one(
            "INSERT INTO spool_settings (name, value) VALUES ('partitions', $1)
             ON CONFLICT (name) DO UPDATE SET value = spool_settings.value
             RETURNING value",
            &[&wanted],
        )
        .await
        .doing("recording the partition count")?
        .get(0);
    if stored != wanted {
        return Err(SpoolError::Storage(format!(
            "spool.partitions is {partitions} but the spool database was created with {stored}; \
             set spool.partitions = {stored} (every instance must use the same count)"
        )));
    }
    tx.execute(
        "INSERT INTO partition_leases (partition, owner, lease_until)
         SELECT p, NULL, '-infinity' FROM generate_series(0, $1 - 1) AS p
         ON CONFLICT (partition) DO NOTHING",
        &[&(partitions as i32)],
    )
    .await
    .doing("creating the partition leases")?;
    tx.commit().await.doing("committing the schema migration")
}
