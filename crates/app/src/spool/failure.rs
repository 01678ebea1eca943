//! Turning SQLite failures into `SpoolError::Storage` with what the spool was doing.

use domain::ports::SpoolError;

use super::health::CORRUPT;

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
        let corrupt = matches!(
            failure.source.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        );
        if corrupt {
            SpoolError::Storage(format!("{CORRUPT}: {failure}"))
        } else {
            SpoolError::Storage(failure.to_string())
        }
    }
}

/// A SQLite failure as a `SpoolError`, naming what the spool was doing.
pub(crate) fn failure(doing: &'static str, source: rusqlite::Error) -> SpoolError {
    StorageFailure { doing, source }.into()
}

/// `.doing("reading events")?` on a rusqlite result.
pub(crate) trait Doing<T> {
    fn doing(self, doing: &'static str) -> Result<T, SpoolError>;
}

impl<T> Doing<T> for Result<T, rusqlite::Error> {
    fn doing(self, doing: &'static str) -> Result<T, SpoolError> {
        self.map_err(|source| failure(doing, source))
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

    #[test]
    fn corruption_is_marked_as_such() {
        let failed: Result<(), rusqlite::Error> = Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            None,
        ));
        let SpoolError::Storage(message) = failed.doing("reading events").expect_err("failed") else {
            panic!("expected a storage error");
        };
        assert!(message.starts_with(CORRUPT), "{message}");
    }
}
