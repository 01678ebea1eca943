//! Watching the spool file: a file deleted or replaced while the service runs, or found
//! corrupt, makes every later write fail with the cause (so ingestion answers 503 and
//! `/readyz` names it) instead of accepting events into a file that is gone.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::ports::SpoolError;

/// What a `SpoolError::Storage` message starts with when SQLite found the file corrupt.
pub(crate) const CORRUPT: &str = "the spool file is corrupt";

/// Device and inode of a file: a file deleted and created again has another inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    device: u64,
    inode: u64,
}

impl Identity {
    fn of(path: &Path) -> std::io::Result<Identity> {
        let meta = std::fs::metadata(path)?;
        Ok(Identity {
            device: meta.dev(),
            inode: meta.ino(),
        })
    }
}

/// The spool file and its write-ahead log, as opened, and the first fault found since.
#[derive(Debug)]
pub(crate) struct Health {
    files: Vec<(PathBuf, Identity)>,
    fault: Mutex<Option<String>>,
    /// The last failed write transaction, until a later one that stored events commits
    /// (or, without such writes, until it is `hold` old).
    write_failure: Mutex<Option<(Instant, String)>>,
    hold: Duration,
}

impl Health {
    /// Records the identity of the database file and of its `-wal` and `-shm` companions
    /// (when present): call it once every connection is open.
    pub(crate) fn watch(path: &Path, hold: Duration) -> Result<Health, SpoolError> {
        let mut files = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = PathBuf::from(name);
            match Identity::of(&file) {
                Ok(identity) => files.push((file, identity)),
                Err(error) if suffix.is_empty() => {
                    return Err(SpoolError::Storage(format!(
                        "reading the identity of the spool file {}: {error}",
                        file.display()
                    )))
                }
                Err(_) => {}
            }
        }
        Ok(Health {
            files,
            fault: Mutex::new(None),
            write_failure: Mutex::new(None),
            hold,
        })
    }

    /// The fault that stops writes, if any. Faults are kept until the process restarts:
    /// a file that disappeared does not come back by itself.
    pub(crate) fn fault(&self) -> Option<String> {
        self.lock().clone()
    }

    /// `Err` with the fault when there is one.
    pub(crate) fn check(&self) -> Result<(), SpoolError> {
        match self.fault() {
            Some(fault) => Err(SpoolError::Storage(fault)),
            None => Ok(()),
        }
    }

    /// Compares the files on disk with the ones opened; records a fault when one was
    /// deleted or replaced. Returns the fault, if any.
    pub(crate) fn check_files(&self) -> Result<(), SpoolError> {
        self.check()?;
        for (file, opened) in &self.files {
            let problem = match Identity::of(file) {
                Ok(now) if now == *opened => continue,
                Ok(_) => "was replaced by another file",
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => "was deleted",
                // Unreadable metadata (permissions, I/O) is not proof of a change.
                Err(_) => continue,
            };
            self.record(format!(
                "the spool file {} {problem} while the service ran; writes are refused so that \
                 no event is acknowledged into a file that is gone. Events still in the old file \
                 can be copied from /proc/{}/fd before this process stops; then restart on a \
                 sound spool",
                file.display(),
                std::process::id()
            ));
            return self.check();
        }
        Ok(())
    }

    /// Notes that a write transaction failed.
    pub(crate) fn write_failed(&self, error: &SpoolError) {
        let mut failure = self
            .write_failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *failure = Some((Instant::now(), error.to_string()));
    }

    /// Notes that a write transaction committed; `stored` when it stored events (a probe
    /// alone clears a failure only once the failure is `hold` old: small writes may pass
    /// where events do not).
    pub(crate) fn write_succeeded(&self, stored: bool) {
        let mut failure = self
            .write_failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if stored || failure.as_ref().is_some_and(|(at, _)| at.elapsed() >= self.hold) {
            *failure = None;
        }
    }

    /// `Err` while the last write failure has not been cleared.
    pub(crate) fn check_writes(&self) -> Result<(), SpoolError> {
        let failure = self
            .write_failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match failure.as_ref() {
            Some((at, cause)) => Err(SpoolError::Storage(format!(
                "writes are failing ({cause}, {} s ago)",
                at.elapsed().as_secs()
            ))),
            None => Ok(()),
        }
    }

    /// Notes a failure of a spool operation: a corrupt file becomes a fault.
    pub(crate) fn observe(&self, error: &SpoolError) {
        if let SpoolError::Storage(message) = error {
            if message.starts_with(CORRUPT) {
                self.record(format!(
                    "{message}; writes are refused. Stop the service and salvage the file \
                     (docs/operations.md, \"Salvaging a corrupt spool\")"
                ));
            }
        }
    }

    fn record(&self, fault: String) {
        let mut current = self.lock();
        if current.is_none() {
            tracing::error!(%fault, "the spool is unusable");
            *current = Some(fault);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.fault.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_file_is_a_lasting_fault_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("spool.sqlite");
        std::fs::write(&path, b"x").expect("write");
        let health = Health::watch(&path, Duration::from_secs(1)).expect("watch");
        assert_eq!(health.check_files(), Ok(()));
        std::fs::remove_file(&path).expect("remove");
        let Err(SpoolError::Storage(message)) = health.check_files() else {
            panic!("a deleted file must be a fault");
        };
        assert!(message.contains("was deleted"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        // Creating a file at the same path does not heal it.
        std::fs::write(&path, b"y").expect("write");
        assert!(health.check_files().is_err());
    }

    #[test]
    fn replaced_file_is_a_fault() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("spool.sqlite");
        std::fs::write(&path, b"x").expect("write");
        let health = Health::watch(&path, Duration::from_secs(1)).expect("watch");
        let other = dir.path().join("other");
        std::fs::write(&other, b"y").expect("write");
        std::fs::rename(&other, &path).expect("rename");
        let Err(SpoolError::Storage(message)) = health.check_files() else {
            panic!("a replaced file must be a fault");
        };
        assert!(message.contains("was replaced"), "{message}");
    }

    #[test]
    fn only_corruption_becomes_a_fault() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("spool.sqlite");
        std::fs::write(&path, b"x").expect("write");
        let health = Health::watch(&path, Duration::from_secs(1)).expect("watch");
        health.observe(&SpoolError::Storage("disk I/O error".to_owned()));
        health.observe(&SpoolError::Full { pending: 1 });
        assert_eq!(health.fault(), None);
        health.observe(&SpoolError::Storage(format!("{CORRUPT}: reading events: malformed")));
        assert!(health.fault().is_some_and(|fault| fault.contains("salvage")));
    }
}
