//! The durable spool: SQLite (WAL) behind the EventSpool and DeadLetters ports.
