//! Soak: rounds of mixed `redis-benchmark` load on the `zedis-server` binary, each followed by
//! FLUSHALL (sync and ASYNC in turn) and MEMORY PURGE. After every flush used_memory must
//! come back to where it started, and after every purge RSS must come back within 10 % of
//! where the first cycle of value sizes left it (see `docs/robustness.md` for why that, not
//! the fresh process, is the RSS reference).
//!
//! `SOAK_SECS` sets how long the rounds go on (default 60; the documented run used 600). Needs
//! `redis-benchmark` from Debian's redis-tools (`scripts/test-all.sh` installs it).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::Server;

/// The benchmark's data types and commands, as redis-benchmark names them.
const TESTS: &str =
    "set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset";

/// Value sizes cycled through the rounds: embedded strings, raw strings, large strings (which
/// lists store in their own nodes).
const VALUE_SIZES: [usize; 4] = [3, 100, 1000, 10_000];

/// used_memory may differ from its start by this much (the measuring connection's buffers).
const USED_MEMORY_SLACK: i64 = 4 * 1024;

fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb << 10
}

/// Runs redis-benchmark against `port` and waits for it, killing it after `limit`.
fn benchmark(port: u16, requests: u64, value_size: usize, limit: Duration) {
    let mut child = Command::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-q", "-c", "50", "-P", "16"])
        .args(["-n", &requests.to_string(), "-r", "100000"])
        .args(["-d", &value_size.to_string(), "-t", TESTS])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-benchmark runs: install Debian's redis-tools");
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "redis-benchmark failed: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("redis-benchmark did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until used_memory stops changing (an ASYNC flush frees on another thread).
/// `used_memory` once it has not moved for longer than a client's buffers stay allocated
/// when it is idle (the cron frees a query buffer after two idle seconds).
fn settled_used_memory(server: &Server) -> i64 {
    const STABLE_FOR: Duration = Duration::from_millis(3500);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = server.info_field("memory", "used_memory");
    let mut since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = server.info_field("memory", "used_memory");
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= STABLE_FOR {
            return now;
        }
        assert!(Instant::now() < deadline, "used_memory never settled");
    }
}

#[test]
fn memory_returns_after_every_flush_through_a_mixed_load() {
    let soak = Duration::from_secs(
        std::env::var("SOAK_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    // A slower-than threshold nothing reaches: slow-log entries (FLUSHALL of 100k keys can take
    // over 10 ms) are memory too, kept until 128 of them.
    let server = Server::start(&["--slowlog-log-slower-than", "-1"]);
    let pid = server.process.pid();
    let fresh_rss = resident_bytes(pid);
    let mut admin = server.connect();
    // Warm up: every command once, so command statistics exist before the reference is taken.
    benchmark(server.port, 1000, 3, Duration::from_secs(120));
    assert_eq!(admin.call(&["FLUSHALL"]), "+OK\r\n");
    // The admin commands of a round too: each command's latency histogram (12 KiB) is made
    // on its first call.
    assert_eq!(admin.call(&["FLUSHALL", "SYNC"]), "+OK\r\n");
    assert_eq!(admin.call(&["DBSIZE"]), ":0\r\n");
    assert_eq!(admin.call(&["MEMORY", "PURGE"]), "+OK\r\n");
    server.wait_clients(2);
    let start_used = settled_used_memory(&server);

    let began = Instant::now();
    let mut rounds = 0usize;
    let mut first_cycle_rss = None;
    let mut highest_rss_after_purge = 0;
    let (mut peak_used, mut peak_rss) = (0, 0);
    // At least two cycles through the value sizes: the first sets the peak and the RSS
    // reference, the second is checked against it.
    while rounds < 2 * VALUE_SIZES.len() || began.elapsed() < soak {
        let value_size = VALUE_SIZES[rounds % VALUE_SIZES.len()];
        benchmark(server.port, 20_000, value_size, Duration::from_secs(300));
        peak_used = peak_used.max(server.info_field("memory", "used_memory"));
        peak_rss = peak_rss.max(resident_bytes(pid));
        let flush = if rounds.is_multiple_of(2) {
            "SYNC"
        } else {
            "ASYNC"
        };
        assert_eq!(admin.call(&["FLUSHALL", flush]), "+OK\r\n");
        assert_eq!(admin.call(&["DBSIZE"]), ":0\r\n");
        server.wait_clients(2);
        let used = settled_used_memory(&server);
        assert!(
            (used - start_used).abs() <= USED_MEMORY_SLACK,
            "round {rounds}: used_memory {used} after FLUSHALL {flush}, {start_used} at the start"
        );
        assert_eq!(admin.call(&["MEMORY", "PURGE"]), "+OK\r\n");
        let rss = resident_bytes(pid);
        // The allocator keeps metadata for the largest heap it has had (jemalloc's extent
        // records and radix tree, about 1.5 % of the peak): RSS is compared with what it was
        // once the first cycle reached the peak, which shows whether anything accumulates.
        if rounds + 1 == VALUE_SIZES.len() {
            first_cycle_rss = Some(rss);
        } else if let Some(reference) = first_cycle_rss {
            assert!(
                rss * 10 <= reference * 11,
                "round {rounds}: RSS {rss} after MEMORY PURGE, {reference} after the first cycle"
            );
        }
        highest_rss_after_purge = highest_rss_after_purge.max(rss);
        eprintln!("round {rounds}: -d {value_size}, used_memory {used}, RSS {rss} after a purge");
        rounds += 1;
    }
    eprintln!(
        "soak: {rounds} rounds in {:?}; used_memory {start_used} at the start, peak {peak_used}, \
         {} at the end; RSS {fresh_rss} fresh, peak {peak_rss} under load, {} after the first \
         cycle, at most {highest_rss_after_purge} after a purge",
        began.elapsed(),
        settled_used_memory(&server),
        first_cycle_rss.expect("a cycle ran"),
    );
    assert!(server.alive());
}
