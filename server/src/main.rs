//! `zedis-server [config-file] [--name value ...]`: flags and logging, then the server on one
//! thread until SIGINT, SIGTERM or `SHUTDOWN`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use zedis::config::LogLevel;

#[global_allocator]
static GLOBAL: zmalloc::Zmalloc = zmalloc::Zmalloc;

fn main() {
    let mut config = match zedis::config::file::from_args(std::env::args_os()) {
        Ok(config) => config,
        Err(error) => {
            // clap prints its own help/version/usage output.
            if let Some(clap_error) = error.downcast_ref::<clap::Error>() {
                clap_error.exit();
            }
            eprintln!("{error}");
            std::process::exit(1);
        }
    };

    // The level can change at run time (`CONFIG SET loglevel`), so the filter is reloadable.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(config.loglevel.tracing_filter()));
    let (filter, reload) = tracing_subscriber::reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    tracing_subscriber::registry().with(filter).with(fmt).init();
    let set_log_level: Box<dyn Fn(LogLevel)> = Box::new(move |level| {
        let _ = reload.modify(|filter| *filter = EnvFilter::new(level.tracing_filter()));
    });

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
            tracing::error!(
                "could not bind {} port {}: {error}",
                config.bind.join(" "),
                config.port
            );
            std::process::exit(1);
        }
    };
    let addresses: Vec<String> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .map(|a| a.to_string())
        .collect();
    tracing::info!(
        "zedis {} (Redis {} compatible) listening on {}, pid {}, allocator {}",
        env!("CARGO_PKG_VERSION"),
        zedis::version::REDIS_VERSION,
        addresses.join(", "),
        std::process::id(),
        zmalloc::allocator_name()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    let served = local.block_on(&runtime, async move {
        // Each signal names the parameter that says how to shut down on it.
        let (signals, receiver) = tokio::sync::mpsc::unbounded_channel();
        tokio::task::spawn_local(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
            let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
            // A file-size limit (`ulimit -f`) fails the write that crosses it (EFBIG: the save
            // fails and says so) instead of killing the server, SIGXFSZ's default action.
            let mut file_size = signal(SignalKind::from_raw(
                nix::sys::signal::Signal::SIGXFSZ as i32,
            ))
            .expect("SIGXFSZ handler");
            loop {
                let parameter = tokio::select! {
                    _ = file_size.recv() => {
                        tracing::warn!("Received SIGXFSZ: a write crossed the file size limit");
                        continue;
                    }
                    _ = int.recv() => {
                        tracing::info!("Received SIGINT scheduling shutdown...");
                        "shutdown-on-sigint"
                    }
                    _ = term.recv() => {
                        tracing::info!("Received SIGTERM scheduling shutdown...");
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
    if served.is_err() {
        std::process::exit(1);
    }
    tracing::info!("zedis is now ready to exit, bye bye...");
}
