//! The data directory a service runs on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A data directory: a temporary one (deleted on drop) or a path the test owns.
#[derive(Clone)]
pub struct DataDir {
    path: PathBuf,
    _temp: Option<Arc<tempfile::TempDir>>,
}

impl DataDir {
    /// A new temporary directory.
    pub fn temp() -> DataDir {
        let dir = tempfile::Builder::new()
            .prefix("segment-attio-e2e-")
            .tempdir()
            .expect("a temporary directory");
        DataDir {
            path: dir.path().to_path_buf(),
            _temp: Some(Arc::new(dir)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The spool database file.
    pub fn spool(&self) -> PathBuf {
        self.path.join("spool.sqlite")
    }
}
