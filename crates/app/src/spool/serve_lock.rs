//! One `serve` per spool: an advisory lock (`flock`) on a file beside the spool, holding
//! the pid of the process that serves it. Commands that only read or add to the spool
//! (`import`, `dead-letters`) do not take it and work beside a running `serve`.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};

/// The lock held by a running `serve`, released when dropped (or when the process ends,
/// however it ends).
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
    path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ServeLockError {
    #[error(
        "the spool {spool} is in use by another `segment-attio serve` (pid {pid}, lock file {lock}); \
         stop that process or give this one another spool.path"
    )]
    InUse { spool: String, pid: String, lock: String },
    #[error("taking the lock file {lock}: {source}")]
    Io {
        lock: String,
        #[source]
        source: std::io::Error,
    },
}

impl ServeLock {
    /// The lock file of a spool: `spool.sqlite` is locked through `spool.sqlite.lock`.
    pub fn path_for(spool: &Path) -> PathBuf {
        let mut name = spool.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock without waiting, creating the spool's directory and the lock file
    /// when missing, and writes this process's pid into it.
    pub fn acquire(spool: &Path) -> Result<ServeLock, ServeLockError> {
        let path = Self::path_for(spool);
        let io = |source: std::io::Error| ServeLockError::Io {
            lock: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        // Not truncated before the lock is held: the holder's pid must stay readable.
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                let mut holder = String::new();
                // The pid is informative: an unreadable one does not hide the refusal.
                let _ = file.read_to_string(&mut holder);
                let pid = match holder.trim() {
                    "" => "unknown".to_owned(),
                    pid => pid.to_owned(),
                };
                return Err(ServeLockError::InUse {
                    spool: spool.display().to_string(),
                    pid,
                    lock: path.display().to_string(),
                });
            }
            Err(errno) => return Err(io(errno.into())),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(ServeLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_the_first_pid_until_released() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spool = dir.path().join("data").join("spool.sqlite");
        let first = ServeLock::acquire(&spool).expect("first lock");
        let written = std::fs::read_to_string(first.path()).expect("lock file");
        assert_eq!(written.trim(), std::process::id().to_string());
        // flock locks belong to the open file: a second open in the same process conflicts.
        let error = ServeLock::acquire(&spool).expect_err("second lock");
        let message = error.to_string();
        assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
        assert!(message.contains(&spool.display().to_string()), "{message}");
        drop(first);
        ServeLock::acquire(&spool).expect("free again");
    }
}
