//! PostgreSQL errors as the ports' `SpoolError`, naming what was being done.

use std::error::Error as _;

use domain::ports::SpoolError;

/// Adds what was being done to a driver error.
pub(crate) trait Doing<T> {
    fn doing(self, what: &str) -> Result<T, SpoolError>;
}

impl<T> Doing<T> for Result<T, tokio_postgres::Error> {
    fn doing(self, what: &str) -> Result<T, SpoolError> {
        self.map_err(|error| SpoolError::Storage(format!("{what}: {}", describe(&error))))
    }
}

impl<T> Doing<T> for Result<T, deadpool_postgres::PoolError> {
    fn doing(self, what: &str) -> Result<T, SpoolError> {
        self.map_err(|error| match error {
            deadpool_postgres::PoolError::Closed => SpoolError::Closed,
            deadpool_postgres::PoolError::Backend(error) => {
                SpoolError::Storage(format!("{what}: {}", describe(&error)))
            }
            other => SpoolError::Storage(format!("{what}: no database connection ({other})")),
        })
    }
}

/// The driver's message with its cause ("db error" alone says nothing).
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    match error.source() {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}
