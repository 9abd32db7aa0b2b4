//! The log as redis-server writes it, so log watchers and people grepping keep working:
//! `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message` lines (level `.` debug, `-` verbose,
//! `*` notice, `#` warning), appended to `logfile` (opened for each line, as Redis does, so a
//! rotated file is picked up) or written to standard output when `logfile` is empty, and
//! copied to syslog with `syslog-enabled`.
//!
//! zedis logs through `tracing`; this module is the formatter and writers that make tracing's
//! events Redis's lines. Redis's `loglevel` names map to tracing levels as
//! [`crate::config::LogLevel::tracing_filter`] says.

use std::fmt;
use std::io::Write;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::config::Config;

/// The tracing target of lines logged on a signal's arrival, which Redis writes in its own
/// shape (`pid:signal-handler (unix-seconds) message`).
pub const SIGNAL_TARGET: &str = "signal-handler";

/// Whether this server is a replica: its lines carry role `S` instead of `M`.
static REPLICA_ROLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets the role lines are written with (`REPLICAOF`).
pub fn set_replica_role(replica: bool) {
    REPLICA_ROLE.store(replica, std::sync::atomic::Ordering::Relaxed);
}

/// The level character Redis writes for a tracing level.
pub fn level_char(level: &Level) -> char {
    match *level {
        Level::TRACE => '.',
        Level::DEBUG => '-',
        Level::INFO => '*',
        _ => '#',
    }
}

/// Formats each event as one Redis log line.
#[derive(Default)]
pub struct RedisLineFormat;

impl<S, N> FormatEvent<S, N> for RedisLineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        // Read per line: a daemonized server forked after logging was set up.
        let pid = std::process::id();
        if metadata.target() == SIGNAL_TARGET {
            write!(
                writer,
                "{pid}:signal-handler ({}) ",
                chrono::Utc::now().timestamp()
            )?;
        } else {
            // Redis's roles are M (master), S (replica) and C (a child, which zedis never has).
            let role = if REPLICA_ROLE.load(std::sync::atomic::Ordering::Relaxed) {
                'S'
            } else {
                'M'
            };
            write!(
                writer,
                "{pid}:{role} {} {} ",
                chrono::Local::now().format("%d %b %Y %H:%M:%S%.3f"),
                level_char(metadata.level())
            )?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Where log lines go: the log file, reopened for each line, or standard output.
#[derive(Clone)]
pub struct LogDestination {
    logfile: Option<std::path::PathBuf>,
}

impl LogDestination {
    pub fn new(config: &Config) -> LogDestination {
        LogDestination {
            logfile: (!config.logfile.is_empty()).then(|| config.logfile.clone().into()),
        }
    }
}

/// One line's writer; a log file that cannot be opened loses the line, as in Redis.
pub enum LineWriter {
    File(Option<std::fs::File>),
    Stdout(std::io::Stdout),
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            LineWriter::File(Some(file)) => file.write(buf),
            LineWriter::File(None) => Ok(buf.len()),
            LineWriter::Stdout(out) => out.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            LineWriter::File(Some(file)) => file.flush(),
            LineWriter::File(None) => Ok(()),
            LineWriter::Stdout(out) => out.flush(),
        }
    }
}

impl<'a> MakeWriter<'a> for LogDestination {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        match &self.logfile {
            Some(path) => LineWriter::File(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .ok(),
            ),
            None => LineWriter::Stdout(std::io::stdout()),
        }
    }
}

/// The syslog priority Redis gives each level.
fn syslog_severity(level: &Level) -> nix::syslog::Severity {
    use nix::syslog::Severity;
    match *level {
        Level::TRACE => Severity::LOG_DEBUG,
        Level::DEBUG => Severity::LOG_INFO,
        Level::INFO => Severity::LOG_NOTICE,
        _ => Severity::LOG_WARNING,
    }
}

/// The syslog(3) facility of a `syslog-facility` code.
fn syslog_facility(code: i64) -> nix::syslog::Facility {
    use nix::syslog::Facility;
    match code {
        8 => Facility::LOG_USER,
        136 => Facility::LOG_LOCAL1,
        144 => Facility::LOG_LOCAL2,
        152 => Facility::LOG_LOCAL3,
        160 => Facility::LOG_LOCAL4,
        168 => Facility::LOG_LOCAL5,
        176 => Facility::LOG_LOCAL6,
        184 => Facility::LOG_LOCAL7,
        _ => Facility::LOG_LOCAL0,
    }
}

/// Copies each event's message to syslog (`syslog-enabled yes`), under `syslog-ident` with
/// the pid, at `syslog-facility`, as Redis's `openlog` (its `LOG_NOWAIT` does nothing on Linux).
pub struct SyslogLayer;

impl SyslogLayer {
    /// Opens the system log with the configured identity and facility.
    pub fn open(config: &Config) -> std::io::Result<SyslogLayer> {
        use nix::syslog::LogFlags;
        // openlog(3) keeps the pointer: the identity lives as long as the process.
        let ident: &'static std::ffi::CStr = Box::leak(
            std::ffi::CString::new(config.syslog_ident.clone())
                .map_err(std::io::Error::other)?
                .into_boxed_c_str(),
        );
        nix::syslog::openlog(
            Some(ident),
            LogFlags::LOG_PID | LogFlags::LOG_NDELAY,
            syslog_facility(config.syslog_facility),
        )?;
        Ok(SyslogLayer)
    }
}

/// Collects an event's `message` field (and any others, as `name=value`).
struct MessageText(String);

impl tracing::field::Visit for MessageText {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        use std::fmt::Write as _;
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
}

impl<S: Subscriber> tracing_subscriber::Layer<S> for SyslogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: tracing_subscriber::layer::Context<'_, S>) {
        let mut text = MessageText(String::new());
        event.record(&mut text);
        let _ = nix::syslog::syslog(syslog_severity(event.metadata().level()), &text.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    /// Captures formatted lines in memory.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn events_become_redis_log_lines() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .event_format(RedisLineFormat)
                .with_writer(move || sink.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("Server initialized");
            tracing::warn!("WARNING something");
            tracing::debug!("a verbose line");
            tracing::warn!(target: SIGNAL_TARGET, "Received SIGTERM scheduling shutdown...");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        let pid = std::process::id();
        for (line, (level, message)) in lines.iter().zip([
            ('*', "Server initialized"),
            ('#', "WARNING something"),
            ('-', "a verbose line"),
        ]) {
            // `1234:M 07 Dec 2026 04:13:30.009 * message`
            let (head, rest) = line.split_once(' ').unwrap();
            assert_eq!(head, format!("{pid}:M"));
            let date: Vec<&str> = rest.splitn(5, ' ').collect();
            assert_eq!(date[0].len(), 2, "{line}");
            assert!(date[0].bytes().all(|b| b.is_ascii_digit()), "{line}");
            assert_eq!(date[1].len(), 3, "{line}");
            assert_eq!(date[2].len(), 4, "{line}");
            let time = date[3].as_bytes();
            assert_eq!(time.len(), 12, "{line}");
            assert_eq!((time[2], time[5], time[8]), (b':', b':', b'.'), "{line}");
            assert_eq!(date[4], format!("{level} {message}"));
        }
        let (head, rest) = lines[3].split_once(' ').unwrap();
        assert_eq!(head, format!("{pid}:signal-handler"));
        assert!(
            rest.starts_with('(') && rest.ends_with(") Received SIGTERM scheduling shutdown...")
        );
    }

    #[test]
    fn a_log_file_is_appended_to_line_by_line() {
        let dir = std::env::temp_dir().join(format!("zedis-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("zedis.log");
        std::fs::write(&path, "earlier\n").unwrap();
        let config = Config {
            logfile: path.display().to_string(),
            ..Config::default()
        };
        let destination = LogDestination::new(&config);
        destination.make_writer().write_all(b"one\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "earlier\none\n");
        // A rotated-away file is recreated by the next line.
        std::fs::remove_file(&path).unwrap();
        destination.make_writer().write_all(b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
