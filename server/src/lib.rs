//! zedis: a Redis-compatible in-memory key-value server on zmalloc and sds.
//!
//! The modules form a one-way chain, bottom to top (each imports only those below it; checked
//! by `tests/layers.rs`): [`util`], [`version`], [`clock`], [`config`] → [`log`], [`process`] (log lines,
//! daemonizing, supervision) → [`protocol`]
//! (arguments, reply encoder, errors, buffers) → [`store`] (records, the key table) →
//! [`types`] (collections) → [`db`] (the keyspace) → [`latency`], [`stats`], [`oom_score`],
//! [`pubsub`], [`tracking`], [`client`] → [`memory`] (zmalloc readings, key and client eviction) → [`server`] (the shared
//! state) → [`cmd`] (the command table, handlers, INFO) → [`net`], [`cron`] (the tasks that
//! drive them). One thread runs all commands, as in Redis.

pub mod aof;
pub mod client;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod cron;
pub mod db;
pub mod latency;
pub mod log;
pub mod memory;
pub mod net;
pub mod oom_score;
pub mod process;
pub mod protocol;
pub mod pubsub;
pub mod rdb;
pub mod script;
pub mod server;
pub mod stats;
pub mod store;
pub mod tracking;
pub mod types;
pub mod util;
pub mod version;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::oneshot;

use config::Config;
use server::{Server, Shutdown};

/// How long a shutdown waits for clients to receive their pending replies.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The dataset loaded at startup: the AOF when `appendonly yes`, else the RDB file.
enum StartupLoad {
    Rdb(Box<server::persistence::RdbLoad>),
    Aof(Box<cmd::aof_load::AofLoad>),
}

/// Loads the dataset a step at a time (`loading-process-events-interval-bytes` each, or one
/// key and a `key-load-delay` pause each when that is set), answering clients between steps
/// as Redis does while it loads.
async fn load_at_startup(server: Rc<RefCell<Server>>, mut load: StartupLoad) -> Result<(), String> {
    loop {
        let delay = {
            let mut server = server.borrow_mut();
            let delay = server.config.key_load_delay;
            let done = match &mut load {
                StartupLoad::Rdb(load) => {
                    let bytes = server.config.loading_process_events_interval_bytes.max(1) as u64;
                    let keys = if delay != 0 { 1 } else { u64::MAX };
                    server.load_step(load, keys, bytes)?.is_some()
                }
                StartupLoad::Aof(load) => {
                    let commands = if delay != 0 {
                        1
                    } else {
                        cmd::aof_load::COMMANDS_PER_STEP
                    };
                    load.step(&mut server, commands)?
                }
            };
            if done {
                return Ok(());
            }
            // `key-load-delay` is slept inside the AOF's steps, as Redis's `debugDelay`.
            if matches!(load, StartupLoad::Aof(_)) {
                0
            } else {
                delay
            }
        };
        if delay > 0 {
            tokio::time::sleep(Duration::from_micros(delay as u64)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
}

/// Starts loading the dataset: the AOF when `appendonly yes` (the RDB file is then not read,
/// as in Redis), else the RDB file. `None` when there is nothing to load.
fn begin_startup_load(server: &mut Server) -> Result<Option<StartupLoad>, String> {
    if server.config.appendonly {
        let (load, _) = cmd::aof_load::AofLoad::begin(server)?;
        return Ok(load.map(|load| StartupLoad::Aof(Box::new(load))));
    }
    Ok(server
        .begin_load(server::persistence::LoadMode::Strict)?
        .map(|load| StartupLoad::Rdb(Box::new(load))))
}

/// Binds the configured addresses (the port of the first one bound is used for the others,
/// so port 0 picks one free port for all).
pub fn bind(config: &Config) -> std::io::Result<Vec<std::net::TcpListener>> {
    net::listener::bind_all(&config.bind, config.port, config.tcp_backlog)
}

/// Runs the server on already-bound listeners until a client sends `SHUTDOWN`, a signal
/// arrives on `signals` (the name of its config parameter, `shutdown-on-sigterm` or
/// `shutdown-on-sigint`: the server saves first if that parameter or the save points say so,
/// and keeps running if that save fails, as Redis does) or `signals` closes (a stop without
/// saving). Must run inside a `LocalSet` on a current-thread runtime. The RDB file in `dir`
/// loads while clients are already answered (`-LOADING` for what needs the data, `INFO`
/// reports the progress); if it cannot be loaded the server stops with the error and serves
/// none of it.
pub async fn serve(
    config: Config,
    listeners: Vec<std::net::TcpListener>,
    mut signals: UnboundedReceiver<&'static str>,
    set_log_level: Option<Box<dyn Fn(config::LogLevel)>>,
) -> Result<(), String> {
    let mut server = Server::new(config, cmd::table().len());
    server.sync_access_policy();
    server.serve_while_busy = Some(net::busy::serve);
    let load = match begin_startup_load(&mut server) {
        Ok(load) => load,
        Err(e) => {
            tracing::error!("Fatal error loading the DB: {e}. Exiting.");
            return Err(e);
        }
    };
    let sockets = Rc::new(net::listener::Listeners::default());
    match sockets.replace(listeners) {
        // `port 0` picks a free port: CONFIG GET and INFO report the one bound.
        Ok(port) => {
            server.port = port;
            server.config.port = port;
        }
        Err(e) => tracing::error!("cannot listen: {e}"),
    }
    server.rebind = Some(rebinder(Rc::clone(&sockets)));
    server.set_log_level = set_log_level;
    zmalloc::set_background_thread(server.config.jemalloc_bg_thread);
    if let Err(e) = oom_score::apply(&server.config) {
        tracing::warn!("{e}");
    }
    let signal = Rc::clone(&server.shutdown_signal);
    let server = Rc::new(RefCell::new(server));

    let mut tasks = vec![tokio::task::spawn_local(net::listener::accept_loop(
        Rc::clone(&server),
        sockets,
    ))];

    // Tokio's `LocalSet` polls the future it drives again after every batch of ready tasks, so
    // that future only waits on a channel; the shutdown sources are awaited by a task of their
    // own, polled only when one of them fires.
    let (stopped_tx, mut stopped_rx) = oneshot::channel::<()>();
    let state = Rc::clone(&server);
    tasks.push(tokio::task::spawn_local(async move {
        loop {
            tokio::select! {
                cause = signals.recv() => match cause {
                    None => break,
                    Some(parameter) => {
                        if state.borrow_mut().prepare_signal_shutdown(parameter) {
                            break;
                        }
                    }
                },
                _ = signal.notified() => break,
            }
        }
        let _ = stopped_tx.send(());
    }));

    let mut stopped = false;
    if let Some(load) = load {
        tokio::select! {
            loaded = load_at_startup(Rc::clone(&server), load) => {
                if let Err(e) = loaded {
                    tracing::error!("Fatal error loading the DB: {e}. Exiting.");
                    for task in &tasks {
                        task.abort();
                    }
                    return Err(e);
                }
            }
            _ = &mut stopped_rx => stopped = true,
        }
    }
    let appendonly = server.borrow().config.appendonly;
    if !stopped && appendonly {
        let opened = server.borrow_mut().open_aof_at_startup();
        if let Err(e) = opened {
            tracing::error!("{e}");
            for task in &tasks {
                task.abort();
            }
            return Err(e);
        }
    }
    if !stopped {
        tracing::info!("Ready to accept connections");
        process::notify_supervisor("STATUS=Ready to accept connections\nREADY=1");
        tasks.push(tokio::task::spawn_local(cron::run(Rc::clone(&server))));
        tasks.push(tokio::task::spawn_local(cron::evict_in_background(
            Rc::clone(&server),
        )));
        tasks.push(tokio::task::spawn_local(cron::save_in_background(
            Rc::clone(&server),
        )));
        tasks.push(tokio::task::spawn_local(cron::flush_aof(Rc::clone(
            &server,
        ))));
        tasks.push(tokio::task::spawn_local(net::master_link::run(Rc::clone(
            &server,
        ))));
        let replicaof = server.borrow().config.replicaof.clone();
        if let Some((host, port)) = replicaof {
            server.borrow_mut().set_master(host, port);
        }
        server.borrow_mut().memory.mark_startup();
        let _ = stopped_rx.await;
    }
    // A background save still running is abandoned and its temporary file removed, as Redis
    // kills its child at shutdown.
    server.borrow_mut().abort_background_save();
    server.borrow_mut().aof_before_exit();
    server.borrow_mut().shutdown = Some(Shutdown::Requested);
    for task in &tasks {
        task.abort();
    }
    // Stop reading from every client: each delivers its pending replies and closes.
    for client in server.borrow().clients.values() {
        if let Ok(client) = client.try_borrow() {
            client.stop_reading();
        }
    }
    let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
    while !server.borrow().clients.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(())
}

/// What `CONFIG SET port|bind` calls: listen on the new addresses instead of the old ones, or
/// listen again on the old ones and fail, as Redis's `changeListenPort`/`changeBindAddr`.
fn rebinder(sockets: Rc<net::listener::Listeners>) -> server::Rebind {
    Box::new(move |config: &Config| {
        let old = sockets.local_addrs();
        // The old sockets close first: the new ones may overlap them.
        sockets.close_all();
        let bound = net::listener::bind_all(&config.bind, config.port, config.tcp_backlog)
            .and_then(|new| sockets.replace(new));
        match bound {
            Ok(port) => Ok(port),
            Err(error) => {
                tracing::warn!(
                    "could not listen on {} port {}: {error}",
                    config.bind.join(" "),
                    config.port
                );
                let again: std::io::Result<Vec<_>> = old
                    .iter()
                    .map(|a| {
                        std::net::TcpListener::bind(a)
                            .and_then(|l| l.set_nonblocking(true).map(|_| l))
                    })
                    .collect();
                if let Err(e) = again.and_then(|l| sockets.replace(l)) {
                    tracing::warn!("could not listen again on the previous addresses: {e}");
                }
                Err(error)
            }
        }
    })
}

/// A server running on its own thread, for tests and embedding.
pub struct ServerHandle {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// Stops the server and waits for its thread.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts a server with `config` on a new thread (port 0 picks a free port) and returns once
/// it is listening.
pub fn spawn(config: Config) -> std::io::Result<ServerHandle> {
    let listeners = bind(&config)?;
    let addr = listeners[0].local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(format!("zedis-{}", addr.port()))
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                // Closing the signal channel stops the server without a save.
                let (signals, receiver) = tokio::sync::mpsc::unbounded_channel();
                tokio::task::spawn_local(async move {
                    let _ = stop_rx.await;
                    drop(signals);
                });
                // The error is logged; the listeners close with the thread.
                let _ = serve(config, listeners, receiver, None).await;
            });
        })?;
    Ok(ServerHandle {
        addr,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}
