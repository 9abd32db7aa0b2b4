//! The server's shared state: configuration, clients, statistics, and (from the keyspace and
//! memory modules) databases and memory bookkeeping. One instance per server, owned by the
//! command thread behind an `Rc<RefCell<_>>`; commands get it as `&mut Server`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Instant, SystemTime};

use crate::client::Client;
use crate::clock::CommandClock;
use crate::config::Config;
use crate::db::{AccessPolicy, Keyspace};
use crate::memory::MemoryState;
use crate::memory::evict::Evictor;
use crate::stats::{CommandStats, SlowLog, Stats};

pub mod aof;
pub mod backlog;
mod eviction;
mod functions;
pub mod migrate;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod tracking;

/// Most distinct error codes `INFO errorstats` tracks (Redis's `ERROR_STATS_NUMBER`).
const ERROR_STATS_MAX: usize = 128;

/// Listens on the configured `bind` addresses and `port` in place of the current ones;
/// returns the port bound. Set by the network layer.
pub type Rebind = Box<dyn Fn(&Config) -> std::io::Result<u16>>;

/// `CLIENT PAUSE`: which commands wait, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// Every command waits (`ALL`), or only those that write or may replicate (`WRITE`).
    pub all: bool,
    /// Unix time in ms when the pause ends by itself.
    pub until_ms: u64,
}

/// Why the server is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// `SHUTDOWN` or a signal: stop accepting, finish in-flight replies, exit 0.
    Requested,
}

/// Everything the command thread shares between connections.
pub struct Server {
    pub config: Config,
    /// Per command (by table index): calls, time, rejections, failures.
    pub command_stats: Vec<CommandStats>,
    /// Per command (by table index): its latency histogram, once it has been called with
    /// `latency-tracking` on.
    pub command_latency: Vec<Option<Box<crate::latency::CommandHistogram>>>,
    /// The latency monitor's events.
    pub latency: crate::latency::LatencyMonitor,
    /// Error replies by code, for `INFO errorstats` (sorted, as Redis's rax is).
    pub error_stats: BTreeMap<String, u64>,
    pub stats: Stats,
    pub slowlog: SlowLog,
    pub keyspace: Keyspace,
    /// The time commands run at, and how long they take.
    pub clock: CommandClock,
    pub memory: MemoryState,
    pub evictor: Evictor,
    pub clients: BTreeMap<u64, Rc<RefCell<Client>>>,
    /// The clients' memory as last measured, the sum of their `tracked_memory`
    /// (`maxmemory-clients`).
    pub clients_memory: usize,
    /// Clients in `MONITOR` mode, by id.
    pub monitors: Vec<u64>,
    /// Pub/Sub subscribers by channel and pattern.
    pub pubsub: crate::pubsub::PubSub,
    /// Client-side caching: who may cache which key, and the broadcast prefixes.
    pub tracking: crate::tracking::TrackingTable,
    /// `CLIENT PAUSE` in effect.
    pub pause: Option<Pause>,
    /// Clients whose next command waits for the pause to end, in arrival order.
    pub postponed: Vec<u64>,
    next_client_id: u64,
    pub started: Instant,
    /// When the cron last ran: the time a read stamps on its client for idle times, as Redis's
    /// cached `server.unixtime` (saves a clock read per socket read).
    pub cron_instant: Instant,
    pub started_at: SystemTime,
    /// 40 random hex digits identifying this run (`run_id`).
    pub run_id: String,
    /// This node's ID in cluster mode (`CLUSTER MYID`).
    pub cluster_node_id: String,
    /// Replication: IDs, offset, backlog, replicas, and the link to our master.
    pub replication: replication::Replication,
    /// The port actually bound (the configured one, or the one the OS chose for port 0).
    pub port: u16,
    pub shutdown: Option<Shutdown>,
    /// Wakes the main task when `SHUTDOWN` is requested.
    pub shutdown_signal: Rc<tokio::sync::Notify>,
    /// Applies a new `loglevel` to the logger, when the process has one.
    pub set_log_level: Option<Box<dyn Fn(crate::config::LogLevel)>>,
    /// Listens on a new `port` or `bind` (`CONFIG SET`).
    pub rebind: Option<Rebind>,
    /// `DEBUG PAUSE-CRON 1`: the periodic job does nothing.
    pub cron_paused: bool,
    /// How often the cron forgets a reply buffer's peak (`DEBUG REPLYBUFFER PEAK-RESET-TIME`;
    /// `None` is never).
    pub reply_buffer_peak_reset: Option<std::time::Duration>,
    /// Whether the cron resizes reply buffers (`DEBUG REPLYBUFFER RESIZING`).
    pub reply_buffer_resizing: bool,
    /// List entries of this many bytes or more get a chunk of their own
    /// (`DEBUG QUICKLIST-PACKED-THRESHOLD`; Redis keeps it outside the config too).
    pub list_plain_threshold: usize,
    /// Saves and loads of the RDB file, for `INFO persistence` and `LASTSAVE`.
    pub persistence: persistence::Persistence,
    /// The append-only file.
    pub aof: aof::Aof,
    /// `MIGRATE`'s connections to target servers.
    pub migrate_sockets: migrate::MigrateSockets,
    /// The `EVAL` interpreter and its script cache, once a script has been used (taken out
    /// while a script runs).
    pub eval: Option<Box<crate::script::engine::EvalEngine>>,
    /// The function libraries, and the interpreter their code runs in (created with the first
    /// library, dropped by `FUNCTION FLUSH`).
    pub functions: crate::script::functions::Libraries,
    pub function_engine: Option<Box<crate::script::function_lua::FunctionEngine>>,
    /// `math.random`'s state between interpreters.
    pub eval_random: u64,
    /// The client scripts run their commands as (kept between runs).
    pub script_client: Option<Box<Client>>,
    /// Memory was over `maxmemory` when the running command was checked (Redis's
    /// `pre_command_oom_state`): a script's first write that may grow memory is refused.
    pub pre_command_oom: bool,
    /// A script running past `busy-reply-threshold`: other clients get `BUSY` meanwhile.
    pub busy_script: Option<BusyScript>,
    /// Serves other clients while a script is busy (installed by the network layer, which
    /// owns the sockets; Redis's `processEventsWhileBlocked`).
    pub serve_while_busy: Option<fn(&mut Server)>,
    /// Set by a handler whose failure is not the error replies counted while it ran (a script
    /// whose commands failed inside `pcall` did not fail): read by `call` for `failed_calls`.
    pub command_failed: Option<bool>,
    /// `DEBUG SET-DISABLE-DENY-SCRIPTS 1`: scripts may call `noscript` commands.
    pub script_disable_deny: bool,
    /// The time commands see while a script runs: its start, so keys do not expire under it
    /// (Redis's `scriptTimeSnapshot`).
    pub script_time_ms: Option<u64>,
}

/// The script that keeps the server busy.
#[derive(Debug, Clone)]
pub struct BusyScript {
    /// The client that runs it (not served meanwhile).
    pub caller: u64,
    /// It has written: `SCRIPT KILL` cannot stop it.
    pub wrote: bool,
    /// `SCRIPT KILL` or `FUNCTION KILL` asked it to stop.
    pub kill: bool,
    /// When it started (`FUNCTION STATS`'s `duration_ms`).
    pub started: std::time::Instant,
    /// The function running and the request that called it; `None` for an `EVAL` script.
    pub function: Option<Box<(String, Vec<Vec<u8>>)>>,
}

/// Redis's `REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME`.
pub const REPLY_BUFFER_PEAK_RESET: std::time::Duration = std::time::Duration::from_secs(5);

impl Server {
    /// The `BUSY` error while a script runs past `busy-reply-threshold`: it names the command
    /// that can stop the script.
    pub fn busy_error(&self) -> Option<crate::protocol::errors::CmdError> {
        use crate::protocol::errors::{BUSY_FUNCTION, BUSY_SCRIPT};
        let busy = self.busy_script.as_ref()?;
        Some(if busy.function.is_some() {
            BUSY_FUNCTION
        } else {
            BUSY_SCRIPT
        })
    }

    /// A server for a command table of `command_count` entries (its per-command statistics).
    pub fn new(config: Config, command_count: usize) -> Server {
        Server {
            command_stats: vec![CommandStats::default(); command_count],
            command_latency: vec![None; command_count],
            latency: crate::latency::LatencyMonitor::default(),
            error_stats: BTreeMap::new(),
            stats: Stats::default(),
            slowlog: SlowLog::default(),
            clients: BTreeMap::new(),
            clients_memory: 0,
            monitors: Vec::new(),
            pubsub: crate::pubsub::PubSub::default(),
            tracking: crate::tracking::TrackingTable::default(),
            pause: None,
            postponed: Vec::new(),
            next_client_id: 1,
            started: Instant::now(),
            cron_instant: Instant::now(),
            started_at: SystemTime::now(),
            run_id: random_hex_id(),
            replication: replication::Replication::default(),
            cluster_node_id: random_hex_id(),
            keyspace: Keyspace::new(config.databases),
            clock: CommandClock::new(),
            memory: MemoryState::new(),
            evictor: Evictor::default(),
            port: config.port,
            shutdown: None,
            shutdown_signal: Rc::new(tokio::sync::Notify::new()),
            set_log_level: None,
            rebind: None,
            cron_paused: false,
            list_plain_threshold: crate::types::list::DEFAULT_PLAIN_THRESHOLD,
            persistence: persistence::Persistence::default(),
            aof: aof::Aof::default(),
            migrate_sockets: migrate::MigrateSockets::default(),
            eval: None,
            functions: Default::default(),
            function_engine: None,
            eval_random: crate::script::vm::LRAND48_SEED,
            script_client: None,
            pre_command_oom: false,
            busy_script: None,
            serve_while_busy: None,
            command_failed: None,
            script_disable_deny: false,
            script_time_ms: None,
            reply_buffer_peak_reset: Some(REPLY_BUFFER_PEAK_RESET),
            reply_buffer_resizing: true,
            config,
        }
    }

    /// Copies the configuration that key access, expiry and notifications depend on into the
    /// keyspace.
    pub fn sync_access_policy(&mut self) {
        self.keyspace.access = AccessPolicy {
            lfu: self.config.maxmemory_policy.is_lfu(),
            lfu_log_factor: self.config.lfu_log_factor,
            lfu_decay_time: self.config.lfu_decay_time,
        };
        self.keyspace.lazy_expire = self.config.lazyfree_lazy_expire;
        self.keyspace
            .notifications
            .set_flags(self.config.notify_keyspace_events);
    }

    /// Whether clients must authenticate (`requirepass` is set).
    pub fn auth_required(&self) -> bool {
        self.config.requirepass.is_some()
    }

    pub fn next_client_id(&mut self) -> u64 {
        let id = self.next_client_id;
        self.next_client_id += 1;
        id
    }

    /// Counts an error reply whose text starts with its code (Redis's `afterErrorReply`).
    pub fn record_error(&mut self, text: &str) {
        self.stats.total_error_replies += 1;
        let code = text
            .get(..text.len().min(32))
            .and_then(|head| head.find(' '))
            .map_or("ERR", |space| &text[..space]);
        if let Some(count) = self.error_stats.get_mut(code) {
            *count += 1;
        } else if self.error_stats.len() < ERROR_STATS_MAX {
            self.error_stats.insert(code.to_string(), 1);
        }
    }

    /// `CLIENT PAUSE`: pauses clients until `until_ms`, keeping the most restrictive mode and
    /// the latest end of this pause and any pause already in effect (Redis's `pauseClients`).
    /// While paused the dataset stays as it is: keys past their TTL read as missing but are
    /// not deleted, and nothing is evicted.
    pub fn pause_clients(&mut self, all: bool, until_ms: u64) {
        let pause = match self.pause {
            Some(p) => Pause {
                all: p.all || all,
                until_ms: p.until_ms.max(until_ms),
            },
            None => Pause { all, until_ms },
        };
        self.pause = Some(pause);
        self.keyspace.expiry_paused = true;
        self.check_pause_end();
    }

    /// `CLIENT UNPAUSE`, or the end of a pause: every postponed client runs its command again
    /// (and may be postponed again by another pause).
    pub fn unpause_clients(&mut self) {
        self.pause = None;
        // A replica never expires keys itself: its master sends the deletions.
        self.keyspace.expiry_paused = self.replication.is_replica();
        for id in std::mem::take(&mut self.postponed) {
            if let Some(client) = self.clients.get(&id)
                && let Ok(mut client) = client.try_borrow_mut()
            {
                client.postponed = false;
                client.wake.notify_one();
            }
        }
    }

    /// Ends the pause if its time has passed; returns whether clients are still paused
    /// (Redis's `checkClientPauseTimeoutAndReturnIfPaused`).
    pub fn check_pause_end(&mut self) -> bool {
        let Some(pause) = self.pause else {
            return false;
        };
        if pause.until_ms < self.clock.unix_ms() {
            self.unpause_clients();
            return false;
        }
        true
    }

    /// `CONFIG RESETSTAT`: statistics back to zero.
    pub fn reset_stats(&mut self) {
        self.stats.reset();
        let keyspace = &mut self.keyspace.stats;
        keyspace.keyspace_hits = 0;
        keyspace.keyspace_misses = 0;
        keyspace.expired_keys = 0;
        self.command_stats.fill(CommandStats::default());
        self.command_latency.fill(None);
        self.error_stats.clear();
    }

    /// Calls `f` with every client: `current` as given (its cell is borrowed by the command
    /// running), the others through their cells, skipping any borrowed elsewhere.
    pub fn for_each_client(&self, current: &Client, mut f: impl FnMut(&Client)) {
        for (&id, other) in &self.clients {
            if id == current.id {
                f(current);
            } else if let Ok(client) = other.try_borrow() {
                f(&client);
            }
        }
    }
}

/// 40 random hexadecimal digits, as Redis's run and replication IDs.
pub fn random_hex_id() -> String {
    (0..40)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).expect("digit below 16"))
        .collect()
}

/// Redis clamps `hz` to this range.
const HZ_MIN: u32 = 1;
const HZ_MAX: u32 = 500;
/// Most clients one tick serves before `dynamic-hz` doubles the rate (Redis's
/// `MAX_CLIENTS_PER_CLOCK_TICK`).
const CLIENTS_PER_TICK: usize = 200;

impl Server {
    /// `hz`, doubled while there are more than 200 clients per tick when `dynamic-hz` is on,
    /// as Redis's `serverCron` adapts it.
    pub fn effective_hz(&self) -> u32 {
        let mut hz = self.config.hz.clamp(HZ_MIN, HZ_MAX);
        if self.config.dynamic_hz {
            while self.clients.len() / hz as usize > CLIENTS_PER_TICK && hz < HZ_MAX {
                hz = (hz * 2).min(HZ_MAX);
            }
        }
        hz
    }
}
