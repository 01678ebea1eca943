//! The open-file limit: every connection is a file descriptor, so the service raises its
//! soft limit to the hard limit at start and serves no more connections than it allows.

/// File descriptors kept for the spool, the Attio client, logs and the overflow pool.
pub const RESERVED_DESCRIPTORS: u64 = 256;

/// Linux's default `fs.nr_open`.
#[cfg(unix)]
const KERNEL_CEILING: libc::rlim_t = 1 << 20;

/// Raises the soft open-file limit to the hard limit; returns the soft limit now in force
/// (`None` where it cannot be read).
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // `rlim_t` is not `u64` on every platform.
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed by pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        // An unlimited hard limit is not a valid soft limit for open files: take the
        // kernel's usual ceiling then.
        let target = if limit.rlim_max == libc::RLIM_INFINITY {
            KERNEL_CEILING.max(limit.rlim_cur)
        } else {
            limit.rlim_max
        };
        let raised = libc::rlimit {
            rlim_cur: target,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = target;
        } else {
            tracing::warn!(
                soft = limit.rlim_cur as u64,
                hard = limit.rlim_max as u64,
                "could not raise the open-file limit"
            );
        }
    }
    Some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

/// The connections the service can serve with `open_files` descriptors, at most `wanted`.
pub fn connection_capacity(wanted: usize, open_files: Option<u64>) -> usize {
    match open_files {
        Some(files) => {
            let usable = files.saturating_sub(RESERVED_DESCRIPTORS).max(1);
            wanted.min(usize::try_from(usable).unwrap_or(usize::MAX))
        }
        None => wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unnecessary_cast)]
    fn the_limit_is_at_least_what_it_was() {
        let raised = raise_open_file_limit().expect("readable on unix");
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
        assert_eq!(raised, limit.rlim_cur as u64);
        if limit.rlim_max != libc::RLIM_INFINITY {
            assert_eq!(limit.rlim_cur, limit.rlim_max);
        }
    }

    #[test]
    fn connections_leave_room_for_the_service_own_files() {
        assert_eq!(connection_capacity(10_000, Some(1024)), 768);
        assert_eq!(connection_capacity(10_000, Some(65_536)), 10_000);
        assert_eq!(connection_capacity(10_000, None), 10_000);
        assert_eq!(connection_capacity(10_000, Some(10)), 1);
    }
}
