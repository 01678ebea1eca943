//! Opening connections (pragmas) and bringing the schema up to date (`PRAGMA user_version`).

use std::path::Path;

use domain::ports::SpoolError;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::config::SpoolConfig;
use super::failure::Doing;
use super::health::CORRUPT;

/// Schema versions, in order: `MIGRATIONS[n]` brings version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: events, dead letters, and the persisted counts (so that opening a spool with a
    // million events waiting does not scan them).
    "CREATE TABLE events (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         received_at TEXT NOT NULL,
         payload TEXT NOT NULL,
         only_subscription TEXT
     );
     CREATE TABLE dead_letters (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         event_id INTEGER NOT NULL,
         received_at TEXT NOT NULL,
         payload TEXT NOT NULL,
         subscription TEXT NOT NULL,
         reason TEXT NOT NULL,
         attempts INTEGER NOT NULL,
         last_error TEXT,
         failed_at TEXT NOT NULL
     );
     CREATE INDEX dead_letters_by_subscription ON dead_letters (subscription);
     CREATE TABLE spool_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
     INSERT INTO spool_counters (name, value) VALUES ('pending_events', 0), ('dead_letters', 0);",
    // 2: the message ids stored recently (de-duplication), with when they were seen
    // (Unix seconds); the index lets old ids be pruned without a scan.
    "CREATE TABLE message_ids (message_id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL) WITHOUT ROWID;
     CREATE INDEX message_ids_by_time ON message_ids (seen_at);",
    // 3: the event trace (one row per accepted event, bounded by age and count), and the
    // dead letters findable by their event's messageId and spool id.
    "CREATE TABLE event_trace (
         event_id INTEGER PRIMARY KEY,
         message_id TEXT,
         type TEXT,
         user_id TEXT,
         received_at TEXT NOT NULL,
         state TEXT NOT NULL,
         subscriptions TEXT NOT NULL,
         detail TEXT NOT NULL
     );
     CREATE INDEX event_trace_by_message_id ON event_trace (message_id);
     ALTER TABLE dead_letters ADD COLUMN message_id TEXT;
     UPDATE dead_letters SET message_id = json_extract(payload, '$.messageId') WHERE json_valid(payload);
     CREATE INDEX dead_letters_by_message_id ON dead_letters (message_id);
     CREATE INDEX dead_letters_by_event_id ON dead_letters (event_id);",
    // 4: the delivery journal: notes being or already created (one per event and
    // subscription, so that a lost answer never makes a second note) and skipped events.
    "CREATE TABLE note_journal (
         key TEXT PRIMARY KEY,
         started_at TEXT NOT NULL,
         note_id TEXT
     ) WITHOUT ROWID;
     CREATE TABLE skipped_events (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         event_id INTEGER NOT NULL,
         subscription TEXT NOT NULL,
         reason TEXT NOT NULL,
         skipped_at TEXT NOT NULL
     );",
    // 5: what delivery last wrote to each Attio record (`[delivery] skip_unchanged`): the
    // record's destination, object and matching value, an opaque fingerprint, and when
    // (Unix microseconds; the index lets the oldest be pruned without a scan).
    "CREATE TABLE write_fingerprints (
         destination TEXT NOT NULL,
         object TEXT NOT NULL,
         matching TEXT NOT NULL,
         fingerprint TEXT NOT NULL,
         written_at INTEGER NOT NULL,
         PRIMARY KEY (destination, object, matching)
     ) WITHOUT ROWID;
     CREATE INDEX write_fingerprints_by_time ON write_fingerprints (written_at);",
    // 6: dead letters per destination. Each letter records the destination its subscription
    // delivered to when it failed, looked up in `subscription_destinations`, which `serve`
    // fills from the configuration at start. Letters from before are the `default`
    // destination's (the only one there was).
    "ALTER TABLE dead_letters ADD COLUMN destination TEXT NOT NULL DEFAULT 'default';
     CREATE INDEX dead_letters_by_destination ON dead_letters (destination);
     CREATE TABLE subscription_destinations (
         subscription TEXT PRIMARY KEY,
         destination TEXT NOT NULL
     ) WITHOUT ROWID;",
    // 7: an event from a source limited to some destinations (`[[ingest.sources]]`) names
    // them (a JSON array); NULL = every destination.
    "ALTER TABLE events ADD COLUMN only_destinations TEXT;",
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(crate) const PENDING_COUNTER: &str = "pending_events";
pub(crate) const DEAD_LETTER_COUNTER: &str = "dead_letters";

/// Opens the writer's connection: WAL, the configured sync level, and the schema migrated.
pub(crate) fn open_writer(config: &SpoolConfig) -> Result<Connection, SpoolError> {
    let mut conn = open(&config.path, config, true).doing("opening the spool file for writing")?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .doing("enabling WAL")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(SpoolError::Storage(format!(
            "the spool file {} cannot use write-ahead logging (journal mode stayed {mode:?})",
            config.path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", config.synchronous.pragma_value())
        .doing("setting synchronous")?;
    // Keeps the log file from staying large after a burst once it has been checkpointed.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
        .doing("setting journal_size_limit")?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a read-write connection beside the writer's, for the rare writes of the
/// delivery journal (the busy timeout makes it wait for the writer's transactions). Like
/// a reader's, it never creates the file.
pub(crate) fn open_side_writer(config: &SpoolConfig) -> Result<Connection, SpoolError> {
    open(&config.path, config, false).doing("opening the spool file for the delivery journal")
}

/// Opens a connection for queries only. It never creates the file: a spool deleted while
/// the service runs must not be replaced by an empty one.
pub(crate) fn open_reader(config: &SpoolConfig) -> Result<Connection, SpoolError> {
    let conn = open(&config.path, config, false).doing("opening the spool file for reading")?;
    conn.pragma_update(None, "query_only", true)
        .doing("making a read connection query-only")?;
    Ok(conn)
}

fn open(path: &Path, config: &SpoolConfig, create: bool) -> Result<Connection, rusqlite::Error> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(config.busy_timeout())?;
    // A negative cache_size is in KiB.
    conn.pragma_update(None, "cache_size", -i64::from(config.cache_size_kib))?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// Runs SQLite's integrity check (`PRAGMA quick_check`) on an existing spool file, on a
/// connection of its own that is closed afterwards. A missing file passes (it is created).
pub(crate) fn verify_integrity(config: &SpoolConfig) -> Result<(), SpoolError> {
    if !config.path.exists() {
        return Ok(());
    }
    let conn = open(&config.path, config, false).doing("opening the spool file to check it")?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA quick_check(5)")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .doing("checking the spool file's integrity")?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(SpoolError::Storage(format!(
        "{CORRUPT}: {} failed SQLite's integrity check ({}); it was not opened. Stop every process \
         using it and salvage what can be read as described in docs/operations.md \
         (\"Salvaging a corrupt spool\"): sqlite3 {} .recover | sqlite3 recovered.sqlite",
        config.path.display(),
        problems.join("; "),
        config.path.display()
    )))
}

/// Applies the missing migrations, each in its own transaction with its version bump.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), SpoolError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .doing("reading the schema version")?;
    if version > SCHEMA_VERSION {
        return Err(SpoolError::Storage(format!(
            "the spool file has schema version {version}, newer than the {SCHEMA_VERSION} this build knows; \
             use a newer segment-attio or another spool.path"
        )));
    }
    if version < 0 {
        return Err(SpoolError::Storage(format!(
            "the spool file has an invalid schema version {version}"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().doing("starting a schema migration")?;
        tx.execute_batch(sql).doing("migrating the spool schema")?;
        tx.pragma_update(None, "user_version", index as i64 + 1)
            .doing("recording the schema version")?;
        tx.commit().doing("committing a schema migration")?;
    }
    Ok(())
}

/// Reads a persisted count.
pub(crate) fn read_counter(conn: &Connection, name: &'static str) -> Result<u64, SpoolError> {
    let value: Option<i64> = conn
        .query_row("SELECT value FROM spool_counters WHERE name = ?1", [name], |row| {
            row.get(0)
        })
        .optional()
        .doing("reading the spool counters")?;
    let value = value.ok_or_else(|| SpoolError::Storage(format!("the spool counter {name} is missing")))?;
    u64::try_from(value).map_err(|_| SpoolError::Storage(format!("the spool counter {name} is negative ({value})")))
}

/// Stores a count (inside the caller's transaction).
pub(crate) fn write_counter(conn: &Connection, name: &'static str, value: u64) -> Result<(), SpoolError> {
    let value = i64::try_from(value)
        .map_err(|_| SpoolError::Storage(format!("the spool counter {name} overflowed ({value})")))?;
    conn.prepare_cached("UPDATE spool_counters SET value = ?1 WHERE name = ?2")
        .and_then(|mut statement| statement.execute(rusqlite::params![value, name]))
        .doing("updating the spool counters")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_names(conn: &Connection) -> Vec<String> {
        let mut statement = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("query");
        let names = statement.query_map([], |row| row.get(0)).expect("rows");
        names.collect::<Result<_, _>>().expect("names")
    }

    #[test]
    fn fresh_file_is_migrated_to_the_current_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open_writer(&SpoolConfig::at(dir.path().join("spool.sqlite"))).expect("open");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .expect("version");
        assert_eq!(version, SCHEMA_VERSION);
        let tables = table_names(&conn);
        for table in ["dead_letters", "event_trace", "events", "spool_counters"] {
            assert!(
                tables.iter().any(|name| name == table),
                "{table} missing from {tables:?}"
            );
        }
        assert_eq!(read_counter(&conn, PENDING_COUNTER), Ok(0));
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = SpoolConfig::at(dir.path().join("spool.sqlite"));
        let mut conn = open_writer(&config).expect("open");
        write_counter(&conn, PENDING_COUNTER, 42).expect("write");
        migrate(&mut conn).expect("second migration");
        assert_eq!(read_counter(&conn, PENDING_COUNTER), Ok(42));
    }

    #[test]
    fn newer_schema_is_refused_with_its_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("spool.sqlite");
        let conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5)
            .expect("bump");
        drop(conn);
        let Err(SpoolError::Storage(message)) = open_writer(&SpoolConfig::at(&path)) else {
            panic!("a newer schema must be refused");
        };
        assert!(
            message.contains(&format!("schema version {}", SCHEMA_VERSION + 5)),
            "{message}"
        );
    }

    #[test]
    fn synchronous_setting_is_applied() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = SpoolConfig {
            synchronous: super::super::config::Synchronous::Normal,
            ..SpoolConfig::at(dir.path().join("spool.sqlite"))
        };
        let conn = open_writer(&config).expect("open");
        let level: i64 = conn
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .expect("level");
        assert_eq!(level, 1, "NORMAL is 1");
        let full = open_writer(&SpoolConfig::at(dir.path().join("full.sqlite"))).expect("open");
        let level: i64 = full
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .expect("level");
        assert_eq!(level, 2, "FULL is 2");
    }
}
