//! Server configuration: the values, their Redis names, units and defaults.
//!
//! [`params`] holds the table of configuration parameters as `CONFIG GET`/`SET`, the config
//! file and the command line see them; [`file`] reads redis.conf syntax and command-line flags
//! into a [`Config`]; [`help`] says what each parameter is for.

pub mod file;
pub mod help;
pub mod notify;
pub mod params;
pub mod rewrite;
pub mod units;

/// `maxmemory-policy`: what to evict when `maxmemory` is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictionPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl EvictionPolicy {
    /// Every policy with its Redis name, in Redis's order.
    pub const ALL: [(EvictionPolicy, &'static str); 8] = [
        (EvictionPolicy::VolatileLru, "volatile-lru"),
        (EvictionPolicy::VolatileLfu, "volatile-lfu"),
        (EvictionPolicy::VolatileRandom, "volatile-random"),
        (EvictionPolicy::VolatileTtl, "volatile-ttl"),
        (EvictionPolicy::AllkeysLru, "allkeys-lru"),
        (EvictionPolicy::AllkeysLfu, "allkeys-lfu"),
        (EvictionPolicy::AllkeysRandom, "allkeys-random"),
        (EvictionPolicy::NoEviction, "noeviction"),
    ];

    /// The Redis name, e.g. `allkeys-lru`.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(p, _)| *p == self)
            .map(|(_, n)| *n)
            .unwrap_or("noeviction")
    }

    /// Whether the policy tracks access frequency (LFU) rather than recency.
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLfu | EvictionPolicy::AllkeysLfu
        )
    }

    /// Whether the policy tracks access recency (LRU).
    pub fn is_lru(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLru | EvictionPolicy::AllkeysLru
        )
    }
}

/// `loglevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl LogLevel {
    pub const ALL: [(LogLevel, &'static str); 4] = [
        (LogLevel::Debug, "debug"),
        (LogLevel::Verbose, "verbose"),
        (LogLevel::Notice, "notice"),
        (LogLevel::Warning, "warning"),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(l, _)| *l == self)
            .map(|(_, n)| *n)
            .unwrap_or("notice")
    }

    /// The tracing filter directive for this level.
    pub fn tracing_filter(self) -> &'static str {
        match self {
            LogLevel::Debug => "trace",
            LogLevel::Verbose => "debug",
            LogLevel::Notice => "info",
            LogLevel::Warning => "warn",
        }
    }
}

/// `supervised`: whether zedis tells a service manager when it is ready and stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supervised {
    No,
    Upstart,
    Systemd,
    /// Systemd when `NOTIFY_SOCKET` is set, else none.
    Auto,
}

impl Supervised {
    /// Every mode by the number `params` gives its name.
    pub const ALL: [(Supervised, &'static str); 4] = [
        (Supervised::No, "no"),
        (Supervised::Upstart, "upstart"),
        (Supervised::Systemd, "systemd"),
        (Supervised::Auto, "auto"),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("no", |(_, n)| n)
    }
}

/// A `rename-command` directive, kept with where it was read: the command table checks it
/// at startup and its errors name the line as the config file's other errors do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameCommand {
    pub line: Option<usize>,
    pub text: String,
    pub from: String,
    /// Empty: the command is removed.
    pub to: String,
}

/// `enable-debug-command`, `enable-module-command`, `enable-protected-configs`: whether a
/// protected action is allowed, and from where (Redis's `PROTECTED_ACTION_ALLOWED_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugCommand {
    No,
    Yes,
    Local,
}

impl DebugCommand {
    pub fn name(self) -> &'static str {
        match self {
            DebugCommand::No => "no",
            DebugCommand::Yes => "yes",
            DebugCommand::Local => "local",
        }
    }

    /// From the number the parameter table gives each name.
    pub fn from_number(number: i64) -> DebugCommand {
        match number {
            1 => DebugCommand::Yes,
            2 => DebugCommand::Local,
            _ => DebugCommand::No,
        }
    }

    /// Whether a client connected from `addr` may take the action.
    pub fn allows(self, addr: &std::net::SocketAddr) -> bool {
        match self {
            DebugCommand::Yes => true,
            DebugCommand::Local => addr.ip().is_loopback(),
            DebugCommand::No => false,
        }
    }
}

/// `oom-score-adj`: whether zedis sets its own OOM score, relative to the one it started
/// with or as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OomScoreAdj {
    No,
    Relative,
    Absolute,
}

impl OomScoreAdj {
    pub fn name(self) -> &'static str {
        match self {
            OomScoreAdj::No => "no",
            OomScoreAdj::Relative => "yes",
            OomScoreAdj::Absolute => "absolute",
        }
    }
}

/// One class of `client-output-buffer-limit`: a hard limit, and a soft limit that may be
/// exceeded for up to `soft_seconds`. Zero means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputBufferLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// The client classes of `client-output-buffer-limit`, in Redis's order.
pub const OUTPUT_BUFFER_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Every setting of the server. Names follow redis.conf with `_` for `-`.
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub protected_mode: bool,
    pub databases: usize,
    pub maxclients: u32,
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub tcp_backlog: u32,
    pub requirepass: Option<Vec<u8>>,
    pub hz: u32,
    pub loglevel: LogLevel,
    /// Empty: standard output.
    pub logfile: String,
    pub syslog_enabled: bool,
    pub syslog_ident: String,
    /// syslog(3) facility code (`params::SYSLOG_FACILITIES`).
    pub syslog_facility: i64,
    pub daemonize: bool,
    /// Empty: none (a daemonized server still writes Redis's default, `/var/run/redis.pid`).
    pub pidfile: String,
    pub supervised: Supervised,
    /// `disable-thp`: turn transparent huge pages off for this process.
    pub disable_thp: bool,
    /// `rename-command` directives in the order read.
    pub rename_commands: Vec<RenameCommand>,
    pub maxmemory: u64,
    /// `maxmemory-clients`: bytes, or a percentage of `maxmemory` when negative; 0 is off.
    pub maxmemory_clients: i64,
    pub maxmemory_policy: EvictionPolicy,
    pub maxmemory_samples: u32,
    pub maxmemory_eviction_tenacity: u32,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    /// Normal, replica and pub/sub classes, in that order.
    pub client_output_buffer_limit: [OutputBufferLimit; 3],
    pub enable_debug_command: DebugCommand,
    pub jemalloc_bg_thread: bool,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    pub active_expire_effort: u32,
    pub activerehashing: bool,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub latency_monitor_threshold: u64,
    /// Milliseconds a script runs before other clients get `BUSY` (`lua-time-limit`).
    pub busy_reply_threshold: u64,
    pub latency_tracking: bool,
    /// `notify-keyspace-events`: the classes published (`notify` bits).
    pub notify_keyspace_events: u32,
    /// Percentiles `INFO latencystats` prints.
    pub latency_tracking_info_percentiles: Vec<f64>,
    pub oom_score_adj: OomScoreAdj,
    /// Normal, replica and background-child values of `oom-score-adj-values`.
    pub oom_score_adj_values: [i32; 3],
    pub dynamic_hz: bool,
    pub enable_protected_configs: DebugCommand,
    pub enable_module_command: DebugCommand,
    pub dbfilename: String,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    /// Save points: (seconds, changes) pairs; a background save starts when any is reached.
    pub save_params: Vec<(u64, u64)>,
    /// Whether a config file or the command line has set `save` yet: the first `save` there
    /// replaces the defaults, later ones add to it (Redis's `save_loaded`).
    pub save_params_read: bool,
    pub stop_writes_on_bgsave_error: bool,
    /// `rdb-key-save-delay`: microseconds a background save waits after each key (tests).
    pub rdb_key_save_delay: i64,
    /// `key-load-delay`: microseconds a load waits after each key (tests).
    pub key_load_delay: i64,
    /// Bytes a load reads between two turns of answering clients.
    pub loading_process_events_interval_bytes: i64,
    pub appendfilename: String,
    pub appenddirname: String,
    pub appendonly: bool,
    /// `appendfsync`: `no` 0, `always` 1, `everysec` 2.
    pub appendfsync: i64,
    pub no_appendfsync_on_rewrite: bool,
    pub aof_load_truncated: bool,
    pub aof_use_rdb_preamble: bool,
    pub aof_timestamp_enabled: bool,
    pub aof_disable_auto_gc: bool,
    pub auto_aof_rewrite_percentage: i64,
    pub auto_aof_rewrite_min_size: i64,
    pub list_max_listpack_size: i64,
    pub list_compress_depth: u64,
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    pub set_max_intset_entries: u64,
    pub set_max_listpack_entries: u64,
    pub set_max_listpack_value: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    /// `hll-sparse-max-bytes`: a sparse HyperLogLog longer than this becomes dense.
    pub hll_sparse_max_bytes: u64,
    /// Most keys client-side caching remembers (0: no limit).
    pub tracking_table_max_keys: u64,
    pub dir: String,
    /// Path of the config file the server was started with, if any (`INFO` `config_file`).
    pub config_file: Option<String>,
    /// Parameters that tune features zedis does not have yet, as `CONFIG GET` prints them
    /// (see `params`); absent ones have Redis's default.
    pub stored: std::collections::BTreeMap<&'static str, String>,
    /// `cluster-enabled`: a single node owning all 16384 slots (no cluster bus).
    pub cluster_enabled: bool,
    /// `replica-read-only`: a replica refuses writes from its clients.
    pub replica_read_only: bool,
    /// `replica-serve-stale-data`: a replica whose link is down still answers.
    pub replica_serve_stale_data: bool,
    /// `min-replicas-to-write` / `min-replicas-max-lag`: writes need that many replicas that
    /// acknowledged within that many seconds.
    pub min_replicas_to_write: i64,
    pub min_replicas_max_lag: i64,
    /// `replicaof <host> <port>` from the config file or the command line: the master to
    /// replicate at startup.
    pub replicaof: Option<(String, u16)>,
}

impl Config {
    /// A parameter kept as text, as `CONFIG GET` prints it (its default until set).
    pub fn stored_text(&self, name: &str) -> String {
        params::lookup(name).map_or_else(String::new, |p| p.get(self))
    }

    /// A numeric parameter kept as text (memory units already expanded by `CONFIG SET`).
    pub fn stored_u64(&self, name: &str) -> u64 {
        self.stored_text(name).parse().unwrap_or(0)
    }

    /// A yes/no parameter kept as text.
    pub fn stored_bool(&self, name: &str) -> bool {
        self.stored_text(name) == "yes"
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 6380,
            bind: vec!["127.0.0.1".to_string(), "-::1".to_string()],
            protected_mode: true,
            databases: 16,
            maxclients: 10000,
            timeout: 0,
            tcp_keepalive: 300,
            tcp_backlog: 511,
            requirepass: None,
            hz: 10,
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            syslog_enabled: false,
            syslog_ident: "redis".to_string(),
            syslog_facility: 128,
            daemonize: false,
            pidfile: String::new(),
            supervised: Supervised::No,
            disable_thp: true,
            rename_commands: Vec::new(),
            maxmemory: 0,
            maxmemory_clients: 0,
            maxmemory_policy: EvictionPolicy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            client_output_buffer_limit: [
                OutputBufferLimit::default(),
                OutputBufferLimit {
                    hard: 256 * 1024 * 1024,
                    soft: 64 * 1024 * 1024,
                    soft_seconds: 60,
                },
                OutputBufferLimit {
                    hard: 32 * 1024 * 1024,
                    soft: 8 * 1024 * 1024,
                    soft_seconds: 60,
                },
            ],
            enable_debug_command: DebugCommand::No,
            jemalloc_bg_thread: true,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            active_expire_effort: 1,
            activerehashing: true,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            busy_reply_threshold: 5000,
            latency_tracking: true,
            notify_keyspace_events: 0,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            oom_score_adj: OomScoreAdj::No,
            oom_score_adj_values: [0, 200, 800],
            dynamic_hz: true,
            enable_protected_configs: DebugCommand::No,
            enable_module_command: DebugCommand::No,
            dbfilename: "dump.rdb".to_string(),
            rdbcompression: true,
            rdbchecksum: true,
            save_params: vec![(3600, 1), (300, 100), (60, 10000)],
            save_params_read: false,
            stop_writes_on_bgsave_error: true,
            rdb_key_save_delay: 0,
            key_load_delay: 0,
            loading_process_events_interval_bytes: 2 * 1024 * 1024,
            appendfilename: "appendonly.aof".to_string(),
            appenddirname: "appendonlydir".to_string(),
            appendonly: false,
            appendfsync: 2,
            no_appendfsync_on_rewrite: false,
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            aof_timestamp_enabled: false,
            aof_disable_auto_gc: false,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            hll_sparse_max_bytes: 3000,
            tracking_table_max_keys: 1_000_000,
            dir: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            config_file: None,
            stored: std::collections::BTreeMap::new(),
            replicaof: None,
            cluster_enabled: false,
            replica_read_only: true,
            replica_serve_stale_data: true,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
        }
    }
}
