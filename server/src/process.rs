//! zedis as a host process, behaving as redis-server does: detaching (`daemonize`), the pid
//! file, telling systemd when it is ready or stopping (`supervised`), and the startup warnings
//! about kernel settings that operators grep for.
//!
//! Supervision is process-wide, as the process has one service manager: [`supervise`] records
//! it once at startup and [`notify_supervisor`] may then be called from anywhere (a shutdown
//! from a signal or from `SHUTDOWN`).

use std::sync::OnceLock;

use crate::config::{Config, Supervised};

/// Whether systemd is told about readiness and shutdown (set once by [`supervise`]).
static SYSTEMD: OnceLock<bool> = OnceLock::new();

/// Detaches from the terminal: two forks with a new session between them (so the daemon is
/// not a session leader and can never acquire a terminal), standard input and output on
/// `/dev/null`, the working directory kept (`dir` decides it). Only the daemon returns; must
/// run before any thread starts.
pub fn daemonize() -> std::io::Result<()> {
    match fork::daemon(true, false)? {
        fork::Fork::Child => Ok(()),
        // `fork::daemon` exits the intermediate processes itself.
        fork::Fork::Parent(_) => std::process::exit(0),
    }
}

/// Redis's default pid file, written when a daemonized server has none configured.
pub const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

/// The pid file to write, if any: the configured one, or the default when daemonized (Redis's
/// `createPidFile`).
pub fn pidfile_path(config: &Config, daemonized: bool) -> Option<String> {
    match (config.pidfile.is_empty(), daemonized) {
        (false, _) => Some(config.pidfile.clone()),
        (true, true) => Some(DEFAULT_PIDFILE.to_string()),
        (true, false) => None,
    }
}

/// Writes the pid file, best effort as Redis does: a failure is logged and the server runs.
pub fn write_pidfile(path: &str) {
    if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
        tracing::warn!("Failed to write PID file: {}", crate::util::strerror(&e));
    }
}

/// Removes the pid file at shutdown.
pub fn remove_pidfile(path: &str) {
    tracing::info!("Removing the pid file.");
    let _ = std::fs::remove_file(path);
}

/// Resolves `supervised` (auto: systemd when `NOTIFY_SOCKET` is set) and, for systemd, tells
/// it the server is loading. Returns whether the server is supervised (a supervised server
/// does not daemonize) and records it for [`notify_supervisor`]. `config.supervised` becomes
/// the mode detected (`auto` stays when nothing is), as `INFO`'s `process_supervised`
/// reports it.
pub fn supervise(config: &mut Config) -> bool {
    let has_socket = std::env::var_os("NOTIFY_SOCKET").is_some();
    if config.supervised == Supervised::Auto && has_socket {
        tracing::debug!("Systemd supervision detected.");
        config.supervised = Supervised::Systemd;
    }
    let systemd = config.supervised == Supervised::Systemd;
    let _ = SYSTEMD.set(systemd);
    if !systemd {
        return false;
    }
    if !notify_supervisor("STATUS=Redis is loading...") {
        return false;
    }
    tracing::info!(
        "Supervised by systemd. Please make sure you set appropriate values for \
         TimeoutStartSec and TimeoutStopSec in your service unit."
    );
    true
}

/// A shutdown begins (`SHUTDOWN` or a signal): logged as Redis logs it, and systemd told.
pub fn shutdown_requested() {
    tracing::warn!("User requested shutdown...");
    notify_supervisor("STOPPING=1");
}

/// Sends newline-separated `KEY=value` assignments to systemd when supervised by it; returns
/// whether they were sent. Errors are logged as Redis logs them.
pub fn notify_supervisor(assignments: &str) -> bool {
    if SYSTEMD.get() != Some(&true) {
        return false;
    }
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        tracing::warn!("systemd supervision error: NOTIFY_SOCKET not found!");
        return false;
    }
    let states: Vec<sd_notify::NotifyState> = assignments
        .lines()
        .filter_map(|line| line.split_once('=').map(|pair| (line, pair)))
        .map(|(line, pair)| match pair {
            ("READY", "1") => sd_notify::NotifyState::Ready,
            ("STOPPING", "1") => sd_notify::NotifyState::Stopping,
            ("STATUS", status) => sd_notify::NotifyState::Status(status),
            _ => sd_notify::NotifyState::Custom(line),
        })
        .collect();
    match sd_notify::notify(false, &states) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!("systemd supervision error: sd_notify: {e}");
            false
        }
    }
}

/// `vm.overcommit_memory` is 0: the warning Redis logs (its first words are Redis's, which
/// people grep for; the reason is zedis's, as it saves without forking).
fn overcommit_warning() -> Option<String> {
    let mode = std::fs::read_to_string("/proc/sys/vm/overcommit_memory").ok()?;
    (mode.trim() == "0").then(|| {
        "Memory overcommit must be enabled! zedis saves without forking, but jemalloc can \
         still fail allocations with it disabled even when memory is available (see \
         https://github.com/jemalloc/jemalloc/issues/1328). To fix this issue add \
         'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command \
         'sysctl vm.overcommit_memory=1' for this to take effect."
            .to_string()
    })
}

/// Transparent huge pages are on for every mapping (`[always]`).
fn thp_warning() -> Option<String> {
    let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok()?;
    mode.contains("[always]").then(|| {
        "You have Transparent Huge Pages (THP) support enabled in your kernel. This makes the \
         memory zedis reports (used_memory_rss) grow in 2 MB steps and adds latency. To fix \
         this issue run the command 'echo madvise > \
         /sys/kernel/mm/transparent_hugepage/enabled' as root, and add it to your \
         /etc/rc.local in order to retain the setting after a reboot."
            .to_string()
    })
}

/// The kernel keeps time with Xen's clock source, whose reads are slow system calls.
fn xen_clocksource_warning() -> Option<String> {
    let source =
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .ok()?;
    (source.trim() == "xen").then(|| {
        "Your system is configured to use the 'xen' clocksource, whose time reads are system \
         calls: this can degrade performance. Consider the 'tsc' clocksource (see \
         /sys/devices/system/clocksource/clocksource0/available_clocksource)."
            .to_string()
    })
}

/// The warnings Redis logs at startup about the kernel (each without its `WARNING ` prefix);
/// with `disable-thp` transparent huge pages are turned off for the process instead of warned
/// about, as Redis does.
pub fn startup_warnings(disable_thp: bool) -> Vec<String> {
    let thp = thp_warning()
        .filter(|_| !(disable_thp && rustix::thread::disable_transparent_huge_pages(true).is_ok()));
    [overcommit_warning(), thp, xen_clocksource_warning()]
        .into_iter()
        .flatten()
        .collect()
}

/// A check of the system: the warning, if it fails.
type SystemCheck = fn() -> Option<String>;

/// `--check-system`: each check as redis-server prints it (`[name]...OK`, or `WARNING:` and
/// the reason on the next line); returns whether all passed.
pub fn check_system(out: &mut impl std::io::Write) -> std::io::Result<bool> {
    let checks: [(&str, SystemCheck); 3] = [
        ("xen-clocksource", xen_clocksource_warning),
        ("overcommit", overcommit_warning),
        ("THP", thp_warning),
    ];
    let mut passed = true;
    for (name, check) in checks {
        match check() {
            None => writeln!(out, "[{name}]...OK")?,
            Some(warning) => {
                passed = false;
                writeln!(out, "[{name}]...WARNING:\n{warning}")?;
            }
        }
    }
    Ok(passed)
}

/// Redis's warning when `tcp-backlog` exceeds what the kernel allows (`somaxconn`).
pub fn tcp_backlog_warning(backlog: u32) -> Option<String> {
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (somaxconn < backlog).then(|| {
        format!(
            "WARNING: The TCP backlog setting of {backlog} cannot be enforced because \
             /proc/sys/net/core/somaxconn is set to the lower value of {somaxconn}."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pidfile_is_written_when_configured_or_daemonized() {
        let mut config = Config::default();
        assert_eq!(pidfile_path(&config, false), None);
        assert_eq!(
            pidfile_path(&config, true).as_deref(),
            Some("/var/run/redis.pid")
        );
        config.pidfile = "/tmp/x.pid".to_string();
        assert_eq!(pidfile_path(&config, false).as_deref(), Some("/tmp/x.pid"));
    }

    #[test]
    fn check_system_prints_each_check() {
        let mut out = Vec::new();
        let passed = check_system(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("[xen-clocksource]..."), "{text}");
        assert!(text.contains("\n[overcommit]..."), "{text}");
        let overcommit = std::fs::read_to_string("/proc/sys/vm/overcommit_memory").unwrap();
        assert_eq!(
            text.contains("[overcommit]...WARNING:\nMemory overcommit must be enabled!"),
            overcommit.trim() == "0"
        );
        assert_eq!(passed, !text.contains("WARNING"));
    }

    #[test]
    fn the_backlog_warning_names_both_numbers() {
        assert_eq!(tcp_backlog_warning(0), None);
        let Ok(somaxconn) = std::fs::read_to_string("/proc/sys/net/core/somaxconn") else {
            return;
        };
        let somaxconn = somaxconn.trim();
        assert_eq!(
            tcp_backlog_warning(u32::MAX).as_deref(),
            Some(
                format!(
                    "WARNING: The TCP backlog setting of 4294967295 cannot be enforced because \
                     /proc/sys/net/core/somaxconn is set to the lower value of {somaxconn}."
                )
                .as_str()
            )
        );
    }
}
