//! `zedis-server [config-file] [--name value ...] [-]`: starts as redis-server does — the
//! configuration, the log, supervision or daemonizing, the pid file, the startup lines and
//! warnings — then runs the server on one thread until SIGINT, SIGTERM or `SHUTDOWN`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use zedis::config::{Config, LogLevel};
use zedis::process;

#[global_allocator]
static GLOBAL: zmalloc::Zmalloc = zmalloc::Zmalloc;

/// What redis-server's own flags do, answered before the configuration is read.
fn answer_own_flags(first: Option<&str>) {
    match first {
        Some("-v" | "--version") => {
            println!(
                "{}",
                zedis::version::version_line(zmalloc::allocator_name())
            );
            std::process::exit(0);
        }
        Some("--test-memory") => {
            eprintln!(
                "zedis-server does not test memory: use memtester or memtest86+ (redis-server \
                 --test-memory runs the same kind of test)"
            );
            std::process::exit(1);
        }
        Some("--check-system") => {
            let passed = process::check_system(&mut std::io::stdout()).unwrap_or(false);
            std::process::exit(if passed { 0 } else { 1 });
        }
        _ => {}
    }
}

/// Sets up the log as Redis writes it; returns how `CONFIG SET loglevel` changes its level.
fn start_logging(config: &Config) -> Box<dyn Fn(LogLevel)> {
    // The level can change at run time, so the filter is reloadable.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(config.loglevel.tracing_filter()));
    let (filter, reload) = tracing_subscriber::reload::Layer::new(filter);
    let lines = tracing_subscriber::fmt::layer()
        .event_format(zedis::log::RedisLineFormat)
        .with_writer(zedis::log::LogDestination::new(config));
    let syslog = if config.syslog_enabled {
        match zedis::log::SyslogLayer::open(config) {
            Ok(layer) => Some(layer),
            Err(e) => {
                eprintln!("Can't open syslog: {e}");
                std::process::exit(1);
            }
        }
    } else {
        None
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(lines)
        .with(syslog)
        .init();
    Box::new(move |level| {
        let _ = reload.modify(|filter| *filter = EnvFilter::new(level.tracing_filter()));
    })
}

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    answer_own_flags(args.get(1).and_then(|a| a.to_str()));
    let mut config = match zedis::config::file::from_args(args.iter().cloned()) {
        Ok(config) => config,
        Err(error) => {
            // clap prints its own help and usage output.
            if let Some(clap_error) = error.downcast_ref::<clap::Error>() {
                clap_error.exit();
            }
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = zedis::cmd::install_renames(&config.rename_commands) {
        eprintln!("{error}");
        std::process::exit(1);
    }

    let set_log_level = start_logging(&config);
    let supervised = process::supervise(&mut config);
    // Before any thread starts: a fork keeps only the calling thread.
    let daemonized = config.daemonize && !supervised;
    if daemonized && let Err(e) = process::daemonize() {
        tracing::warn!("Could not daemonize: {e}");
        std::process::exit(1);
    }
    tracing::warn!("oO0OoO0OoO0Oo zedis is starting oO0OoO0OoO0Oo");
    tracing::warn!(
        "zedis version={}, Redis version={}, bits={}, commit={}, modified={}, pid={}, just \
         started",
        zedis::version::ZEDIS_VERSION,
        zedis::version::REDIS_VERSION,
        usize::BITS,
        zedis::version::GIT_SHA1,
        zedis::version::GIT_DIRTY,
        std::process::id()
    );
    if args.len() == 1 {
        tracing::warn!(
            "Warning: no config file specified, using the default config. In order to specify \
             a config file use {} /path/to/redis.conf",
            args[0].to_string_lossy()
        );
    } else {
        tracing::warn!("Configuration loaded");
    }

    // Before any thread starts: see `descriptors` for why.
    match zedis::util::descriptors::reserve(config.maxclients) {
        Ok(maxclients) => config.maxclients = maxclients,
        Err(message) => {
            tracing::error!("{message}");
            std::process::exit(1);
        }
    }

    let listeners = match zedis::bind(&config) {
        Ok(listeners) => listeners,
        Err(error) => {
            tracing::warn!(
                "Warning: Could not create server TCP listening socket {}:{}: {error}",
                config.bind.join(" "),
                config.port
            );
            tracing::warn!("Failed listening on port {} (TCP), aborting.", config.port);
            std::process::exit(1);
        }
    };
    let pidfile = process::pidfile_path(&config, daemonized);
    if let Some(path) = &pidfile {
        process::write_pidfile(path);
    }
    let port = listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .map_or(config.port, |a| a.port());
    tracing::info!(
        "monotonic clock: {}",
        zedis::clock::CommandClock::new().source()
    );
    tracing::info!("Running mode=standalone, port={port}.");
    if let Some(warning) = process::tcp_backlog_warning(config.tcp_backlog) {
        tracing::warn!("{warning}");
    }
    tracing::warn!("Server initialized");
    for warning in process::startup_warnings(config.disable_thp) {
        tracing::warn!("WARNING {warning}");
    }
    if config.maxmemory > 0 && config.maxmemory < 1024 * 1024 {
        tracing::warn!(
            "WARNING: You specified a maxmemory value that is less than 1MB (current value is \
             {} bytes). Are you sure this is what you really want?",
            config.maxmemory
        );
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    let served = local.block_on(&runtime, async move {
        // Each signal names the parameter that says how to shut down on it.
        let (signals, receiver) = tokio::sync::mpsc::unbounded_channel();
        // Registered before the server starts (and logs readiness), so no signal finds the
        // default action in place.
        use tokio::signal::unix::{SignalKind, signal};
        use zedis::log::SIGNAL_TARGET;
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        // Redis ignores SIGHUP; SIGUSR1 is how Redis stops its forked child, and zedis
        // has none (Redis 7.0.15 itself dies of one when it has no child).
        let mut hangup = signal(SignalKind::hangup()).expect("SIGHUP handler");
        let mut user1 = signal(SignalKind::user_defined1()).expect("SIGUSR1 handler");
        // A file-size limit (`ulimit -f`) fails the write that crosses it (EFBIG: the save
        // fails and says so) instead of killing the server, SIGXFSZ's default action.
        let mut file_size = signal(SignalKind::from_raw(
            nix::sys::signal::Signal::SIGXFSZ as i32,
        ))
        .expect("SIGXFSZ handler");
        tokio::task::spawn_local(async move {
            loop {
                let parameter = tokio::select! {
                    _ = file_size.recv() => {
                        tracing::warn!("Received SIGXFSZ: a write crossed the file size limit");
                        continue;
                    }
                    _ = hangup.recv() => continue,
                    _ = user1.recv() => {
                        tracing::warn!(
                            target: SIGNAL_TARGET,
                            "Received SIGUSR1: there is no child process to stop, ignoring"
                        );
                        continue;
                    }
                    _ = int.recv() => {
                        tracing::warn!(target: SIGNAL_TARGET, "Received SIGINT scheduling shutdown...");
                        "shutdown-on-sigint"
                    }
                    _ = term.recv() => {
                        tracing::warn!(target: SIGNAL_TARGET, "Received SIGTERM scheduling shutdown...");
                        "shutdown-on-sigterm"
                    }
                };
                if signals.send(parameter).is_err() {
                    break;
                }
            }
        });
        zedis::serve(config, listeners, receiver, Some(set_log_level)).await
    });
    if let Some(path) = &pidfile {
        process::remove_pidfile(path);
    }
    if served.is_err() {
        std::process::exit(1);
    }
    tracing::warn!("zedis is now ready to exit, bye bye...");
}
