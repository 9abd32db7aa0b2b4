//! File descriptors for `maxclients`: the open-files limit it needs, as Redis's
//! `adjustOpenFilesLimit` (at startup and on `CONFIG SET`), and a descriptor table sized for
//! it, at startup before any thread exists.
//!
//! Why the table: the kernel grows a process's descriptor table by doubling, and when the table
//! is shared by several threads every growth waits for an RCU grace period (`expand_fdtable`
//! calls `synchronize_rcu`). Measured here, the accept that returned descriptor 256 took 20.7 ms
//! (`strace -T`) and stalled every client of a fresh server in `redis-benchmark -c 500`
//! (Redis 7.0 pays the same, 9.3 ms in the same test). A table grown once while the process
//! still has one thread costs no grace period, and tables never shrink. A `CONFIG SET` that
//! raises `maxclients` grows it at once too: one grace period then, instead of during an accept.

use std::os::fd::AsFd;

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Descriptors kept beyond `maxclients` for listeners, files and the like (Redis's
/// `CONFIG_MIN_RESERVED_FDS`).
pub const RESERVED_FDS: u64 = 32;

/// Raises the open-files limit to `maxclients` + [`RESERVED_FDS`] where the system allows,
/// lowers `maxclients` to fit where it does not, and sizes the descriptor table for that many.
/// Returns the `maxclients` that fits. At startup, call before starting any thread. `Err`
/// carries Redis's message for a limit too low to start.
pub fn reserve(maxclients: u32) -> Result<u32, String> {
    let wanted = u64::from(maxclients) + RESERVED_FDS;
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(|e| e.to_string())?;
    let mut limit = soft;
    let mut refusal = None;
    if soft < wanted {
        match raise_limit(soft, hard, wanted) {
            Ok(raised) => {
                limit = raised;
                tracing::info!(
                    "Increased maximum number of open files to {wanted} (it was originally set \
                     to {soft})."
                );
            }
            Err((raised, error)) => {
                limit = raised;
                refusal = Some(error);
            }
        }
    }
    let mut effective = maxclients;
    if limit < wanted {
        if limit <= RESERVED_FDS {
            return Err(format!(
                "Your current 'ulimit -n' of {limit} is not enough for the server to start. \
                 Please increase your open file limit to at least {wanted}. Exiting."
            ));
        }
        effective = (limit - RESERVED_FDS) as u32;
        tracing::warn!(
            "You requested maxclients of {maxclients} requiring at least {wanted} max file \
             descriptors."
        );
        if let Some(error) = refusal {
            tracing::warn!(
                "Server can't set maximum open files to {wanted} because of OS error: {}.",
                error.desc()
            );
        }
        tracing::warn!(
            "Current maximum open files is {limit}. maxclients has been reduced to {effective} \
             to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
        );
    }
    presize_table(wanted.min(limit));
    Ok(effective)
}

/// Redis's search for the open-files limit: `wanted`, then `wanted` less 16 at a time while
/// above `soft`, each set as both the soft and the hard limit, the first the system takes.
/// The system takes a value up to the hard limit, or up to `fs.nr_open` with
/// `CAP_SYS_RESOURCE`, so the candidates are computed instead of tried sixteen at a time.
/// `Err` carries the limit kept (the largest candidate taken, or `soft`) and the first refusal.
fn raise_limit(soft: u64, hard: u64, wanted: u64) -> Result<u64, (u64, nix::Error)> {
    let set = |limit: u64| setrlimit(Resource::RLIMIT_NOFILE, limit, limit);
    let refusal = match set(wanted) {
        Ok(()) => return Ok(wanted),
        Err(error) => error,
    };
    // The largest of wanted, wanted - 16, wanted - 32, ... that is at most `cap`.
    let step_down = |cap: u64| wanted.checked_sub((wanted - cap.min(wanted)).div_ceil(16) * 16);
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok());
    for cap in nr_open.into_iter().chain([hard]) {
        if let Some(candidate) = step_down(cap)
            && candidate > soft
            && candidate < wanted
            && set(candidate).is_ok()
        {
            return Err((candidate, refusal));
        }
    }
    Err((soft, refusal))
}

/// Grows the descriptor table to hold `count` descriptors: a duplicate of stderr at the
/// highest of them, closed again at once.
fn presize_table(count: u64) {
    let Ok(highest) = i32::try_from(count.saturating_sub(1)) else {
        return;
    };
    let stderr = std::io::stderr();
    if let Err(error) = rustix::io::fcntl_dupfd_cloexec(stderr.as_fd(), highest) {
        // Only the first growths of the table will wait; nothing else changes.
        tracing::debug!("could not presize the descriptor table to {count}: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's table size for this process, `FDSize` in /proc/self/status.
    fn table_size() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("FDSize:")).unwrap();
        line["FDSize:".len()..].trim().parse().unwrap()
    }

    #[test]
    fn table_holds_maxclients_and_the_reserve() {
        // Within the current limit, so that this test process keeps its limits (a raise would
        // also lower the hard limit, as in Redis).
        let limits = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        let maxclients = 3000.min(limits.0.saturating_sub(RESERVED_FDS)) as u32;
        assert_eq!(reserve(maxclients).unwrap(), maxclients);
        assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap(), limits);
        assert!(
            table_size() >= u64::from(maxclients) + RESERVED_FDS,
            "FDSize {} for maxclients {maxclients}",
            table_size()
        );
        // The probe descriptor is closed again: the next descriptor is a low one.
        let file = std::fs::File::open("/proc/self/status").unwrap();
        assert!(std::os::fd::AsRawFd::as_raw_fd(&file) < 1000);
    }
}
