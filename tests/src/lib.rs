//! Shared by the integration tests: zedis started in this process on a free loopback port
//! (through `zedis-testkit`, which every test crate starts its servers with), and connections
//! to it through the `redis` crate.
//!
//! The test binaries count their allocations with zmalloc, as the server binary does, so
//! `INFO memory` means the same thing here.

use std::time::Duration;

#[global_allocator]
static ALLOCATOR: zmalloc::Zmalloc = zmalloc::Zmalloc;

/// A zedis server on its own thread (started by the shared test kit); stopped when dropped.
pub struct TestServer {
    server: zedis_testkit::InProcess,
}

impl TestServer {
    /// Starts zedis on a free port with `extra` flags (`["--maxmemory", "10mb"]`).
    pub fn start(extra: &[&str]) -> TestServer {
        TestServer {
            server: zedis_testkit::InProcess::start(extra),
        }
    }

    /// Starts zedis on a free port with the config file at `config` (an absolute path) and
    /// `extra` flags; its `dir` is the file's directory, left in place when it stops.
    pub fn start_with_config(config: &std::path::Path, extra: &[&str]) -> TestServer {
        TestServer {
            server: zedis_testkit::InProcess::start_with_config(config, extra),
        }
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// A new connection, with a read timeout so a test that waits wrongly fails instead of
    /// hanging.
    pub fn connect(&self) -> redis::Connection {
        let client =
            redis::Client::open(format!("redis://127.0.0.1:{}/", self.port())).expect("valid URL");
        let connection = client.get_connection().expect("connects");
        connection
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        connection
    }

    /// [`TestServer::connect`] speaking RESP3 (`HELLO 3` on connect).
    pub fn connect_resp3(&self) -> redis::Connection {
        let url = format!("redis://127.0.0.1:{}/?protocol=resp3", self.port());
        let client = redis::Client::open(url).expect("valid URL");
        let connection = client.get_connection().expect("connects");
        connection
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        connection
    }
}

/// Runs a command and returns its reply as `T`, panicking on an error reply.
pub fn run<T: redis::FromRedisValue>(connection: &mut redis::Connection, args: &[&str]) -> T {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command
        .query(connection)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Runs a command expected to fail and returns the error's text.
pub fn run_err(connection: &mut redis::Connection, args: &[&str]) -> String {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    match command.query::<redis::Value>(connection) {
        Ok(value) => panic!("{args:?} succeeded with {value:?}"),
        Err(e) => e.to_string(),
    }
}

/// Runs a command expected to fail and returns the error reply as the server sent it, code
/// included (`ERR unknown command ...`, `WRONGPASS invalid ...`).
pub fn run_err_reply(connection: &mut redis::Connection, args: &[&str]) -> String {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    match command.query::<redis::Value>(connection) {
        Ok(value) => panic!("{args:?} succeeded with {value:?}"),
        Err(e) => match (e.code(), e.detail()) {
            (Some(code), Some(detail)) => format!("{code} {detail}"),
            (Some(code), None) => code.to_string(),
            _ => panic!("{args:?} failed without an error reply: {e}"),
        },
    }
}

/// The fields of Redis 7.0.15's `# Memory` section, in order.
pub const INFO_MEMORY_FIELDS: [&str; 51] = [
    "used_memory",
    "used_memory_human",
    "used_memory_rss",
    "used_memory_rss_human",
    "used_memory_peak",
    "used_memory_peak_human",
    "used_memory_peak_perc",
    "used_memory_overhead",
    "used_memory_startup",
    "used_memory_dataset",
    "used_memory_dataset_perc",
    "allocator_allocated",
    "allocator_active",
    "allocator_resident",
    "total_system_memory",
    "total_system_memory_human",
    "used_memory_lua",
    "used_memory_vm_eval",
    "used_memory_lua_human",
    "used_memory_scripts_eval",
    "number_of_cached_scripts",
    "number_of_functions",
    "number_of_libraries",
    "used_memory_vm_functions",
    "used_memory_vm_total",
    "used_memory_vm_total_human",
    "used_memory_functions",
    "used_memory_scripts",
    "used_memory_scripts_human",
    "maxmemory",
    "maxmemory_human",
    "maxmemory_policy",
    "allocator_frag_ratio",
    "allocator_frag_bytes",
    "allocator_rss_ratio",
    "allocator_rss_bytes",
    "rss_overhead_ratio",
    "rss_overhead_bytes",
    "mem_fragmentation_ratio",
    "mem_fragmentation_bytes",
    "mem_not_counted_for_evict",
    "mem_replication_backlog",
    "mem_total_replication_buffers",
    "mem_clients_slaves",
    "mem_clients_normal",
    "mem_cluster_links",
    "mem_aof_buffer",
    "mem_allocator",
    "active_defrag_running",
    "lazyfree_pending_objects",
    "lazyfreed_objects",
];

/// `EXISTS key`.
pub fn exists(connection: &mut redis::Connection, key: &str) -> i64 {
    run(connection, &["EXISTS", key])
}

/// `OBJECT ENCODING key`.
pub fn encoding(connection: &mut redis::Connection, key: &str) -> String {
    run(connection, &["OBJECT", "ENCODING", key])
}

/// Error checks by the text after the error code, as the collection tests make them.
pub mod error_tail {
    use super::run_err;

    pub const WRONGTYPE: &str = "Operation against a key holding the wrong kind of value";
    pub const NOT_INTEGER: &str = "value is not an integer or out of range";

    /// Asserts that `args` fails with an error whose text ends with `message` (the part after
    /// the error code, e.g. `syntax error`).
    pub fn assert_err(connection: &mut redis::Connection, args: &[&str], message: &str) {
        let error = run_err(connection, args);
        assert!(
            error.ends_with(message),
            "{args:?}: got {error:?}, want one ending with {message:?}"
        );
    }

    /// Asserts that `args` fails with `WRONGTYPE`.
    pub fn assert_wrongtype(connection: &mut redis::Connection, args: &[&str]) {
        let error = run_err(connection, args);
        assert!(
            error.contains("WRONGTYPE") && error.ends_with(WRONGTYPE),
            "{args:?}: got {error:?}"
        );
    }
}
