//! Turning SQLite failures into `SpoolError::Storage` with what the spool was doing.

use domain::ports::SpoolError;

/// A SQLite failure and the operation it interrupted.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub(crate) struct StorageFailure {
    doing: &'static str,
    #[source]
    source: rusqlite::Error,
}

impl From<StorageFailure> for SpoolError {
    fn from(failure: StorageFailure) -> Self {
        SpoolError::Storage(failure.to_string())
    }
}

/// `.doing("reading events")?` on a rusqlite result.
pub(crate) trait Doing<T> {
    fn doing(self, doing: &'static str) -> Result<T, SpoolError>;
}

impl<T> Doing<T> for Result<T, rusqlite::Error> {
    fn doing(self, doing: &'static str) -> Result<T, SpoolError> {
        self.map_err(|source| StorageFailure { doing, source }.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_error_names_the_operation_and_the_cause() {
        let failed: Result<(), rusqlite::Error> = Err(rusqlite::Error::QueryReturnedNoRows);
        let SpoolError::Storage(message) = failed.doing("reading the schema version").expect_err("failed") else {
            panic!("expected a storage error");
        };
        assert!(message.starts_with("reading the schema version: "), "{message}");
        assert!(message.contains("no rows"), "{message}");
    }
}
