//! `maxmemory` eviction for every policy: memory stays at the limit while writes go on, the
//! right keys go (volatile policies spare keys without a TTL, volatile-ttl takes the nearest
//! expiry, LRU and LFU keep a hot set), `evicted_keys` counts them, and `noeviction` refuses
//! writes with Redis's error while reads and deletes still work.
//!
//! One test function in this binary: `used_memory` counts the whole process, so nothing else
//! may run beside it. Each policy gets a fresh server.

use std::time::Duration;

use zedis_tests::{TestServer, run, run_err};

/// Values of 1000 bytes: 20 MB is about 20 000 keys.
const VALUE_LEN: usize = 1000;
const LIMIT_ABOVE_START: i64 = 20 << 20;

fn info_field(connection: &mut redis::Connection, section: &str, field: &str) -> i64 {
    let info: String = run(connection, &["INFO", section]);
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} in INFO {section}"))
        .trim()
        .parse()
        .expect("integer field")
}

/// A fresh server with `policy` and a limit 20 MB above what it uses now; returns it, a
/// connection and the limit.
fn server_with(policy: &str) -> (TestServer, redis::Connection, i64) {
    let server = TestServer::start(&["--lfu-log-factor", "0"]);
    let mut connection = server.connect();
    let limit = info_field(&mut connection, "memory", "used_memory") + LIMIT_ABOVE_START;
    let _: () = run(
        &mut connection,
        &[
            "CONFIG",
            "SET",
            "maxmemory",
            &limit.to_string(),
            "maxmemory-policy",
            policy,
        ],
    );
    (server, connection, limit)
}

/// Writes `count` keys `prefix:i` (with a TTL of `ttl` seconds plus i when given) in batches,
/// checking after each batch that used_memory stays within a batch of the limit. Returns the
/// first error, if a write was refused.
fn fill(
    connection: &mut redis::Connection,
    prefix: &str,
    count: usize,
    ttl: Option<u64>,
    limit: i64,
) -> Option<String> {
    let value = "v".repeat(VALUE_LEN);
    for batch in (0..count).step_by(100) {
        let mut pipe = redis::pipe();
        for i in batch..(batch + 100).min(count) {
            let key = format!("{prefix}:{i}");
            match ttl {
                Some(ttl) => pipe
                    .cmd("SET")
                    .arg(&key)
                    .arg(&value)
                    .arg("EX")
                    .arg(ttl + i as u64),
                None => pipe.cmd("SET").arg(&key).arg(&value),
            }
            .ignore();
        }
        if let Err(error) = pipe.exec(connection) {
            return Some(error.to_string());
        }
        let used = info_field(connection, "memory", "used_memory");
        // A batch of 100 writes is 100 kB of values plus its own buffers.
        assert!(
            used < limit + 512 * 1024,
            "used_memory {used} over the limit {limit}"
        );
    }
    None
}

fn exists(
    connection: &mut redis::Connection,
    prefix: &str,
    range: std::ops::Range<usize>,
) -> usize {
    let mut pipe = redis::pipe();
    for i in range {
        pipe.cmd("EXISTS").arg(format!("{prefix}:{i}"));
    }
    let found: Vec<i64> = pipe.query(connection).expect("EXISTS");
    found.iter().filter(|&&f| f == 1).count()
}

fn read_all(connection: &mut redis::Connection, prefix: &str, count: usize, times: usize) {
    let mut pipe = redis::pipe();
    for _ in 0..times {
        for i in 0..count {
            pipe.cmd("GET").arg(format!("{prefix}:{i}")).ignore();
        }
    }
    pipe.exec(connection).expect("GET");
}

fn check_noeviction() {
    let (_server, mut connection, limit) = server_with("noeviction");
    let error = fill(&mut connection, "k", 40_000, None, limit).expect("writes are refused");
    assert!(
        error.contains("command not allowed when used memory > 'maxmemory'"),
        "{error}"
    );
    // Over the limit for sure: lower it under what is used.
    let used = info_field(&mut connection, "memory", "used_memory");
    let _: () = run(
        &mut connection,
        &[
            "CONFIG",
            "SET",
            "maxmemory",
            &(used - (1 << 20)).to_string(),
        ],
    );
    let refused = run_err(&mut connection, &["SET", "another", "v"]);
    assert!(
        refused.contains("command not allowed when used memory > 'maxmemory'."),
        "{refused}"
    );
    let value: String = run(&mut connection, &["GET", "k:0"]);
    assert_eq!(value.len(), VALUE_LEN);
    let deleted: i64 = run(&mut connection, &["DEL", "k:0"]);
    assert_eq!(deleted, 1);
    assert_eq!(info_field(&mut connection, "stats", "evicted_keys"), 0);
}

fn check_random(policy: &str) {
    let (_server, mut connection, limit) = server_with(policy);
    let ttl = policy.starts_with("volatile").then_some(10_000);
    assert_eq!(
        fill(&mut connection, "k", 40_000, ttl, limit),
        None,
        "{policy}"
    );
    let evicted = info_field(&mut connection, "stats", "evicted_keys");
    assert!(evicted > 10_000, "{policy}: evicted {evicted}");
    let keys: i64 = run(&mut connection, &["DBSIZE"]);
    assert_eq!(keys + evicted, 40_000, "{policy}");
}

/// Volatile policies never take keys without a TTL; with only those left, writes fail.
fn check_volatile_spares_persistent_keys(policy: &str) {
    let (_server, mut connection, limit) = server_with(policy);
    assert_eq!(
        fill(&mut connection, "persistent", 8_000, None, limit),
        None
    );
    assert_eq!(
        fill(&mut connection, "volatile", 20_000, Some(10_000), limit),
        None,
        "{policy}"
    );
    assert_eq!(
        exists(&mut connection, "persistent", 0..8_000),
        8_000,
        "{policy}"
    );
    assert!(
        info_field(&mut connection, "stats", "evicted_keys") > 5_000,
        "{policy}"
    );
    // Only keys without a TTL could make room now.
    let error = fill(&mut connection, "more", 20_000, None, limit).expect("refused");
    assert!(error.contains("maxmemory"), "{policy}: {error}");
    assert_eq!(
        exists(&mut connection, "persistent", 0..8_000),
        8_000,
        "{policy}"
    );
}

fn check_volatile_ttl() {
    let (_server, mut connection, limit) = server_with("volatile-ttl");
    // ttl:i expires in 10000 + i seconds: the lowest numbers expire first.
    assert_eq!(
        fill(&mut connection, "ttl", 30_000, Some(10_000), limit),
        None
    );
    let evicted = info_field(&mut connection, "stats", "evicted_keys");
    assert!(evicted > 5_000, "evicted {evicted}");
    let soonest = exists(&mut connection, "ttl", 0..2_000);
    let latest = exists(&mut connection, "ttl", 28_000..30_000);
    assert!(
        soonest < 200,
        "{soonest} of the 2000 nearest expiries survived"
    );
    assert_eq!(latest, 2_000, "the latest expiries must all survive");
}

/// A hot set read repeatedly survives; `wait_for_clock` lets the LRU clock (1 s resolution)
/// separate it from the cold keys.
fn check_hot_set_survives(policy: &str) {
    let (_server, mut connection, limit) = server_with(policy);
    let ttl = policy.starts_with("volatile").then_some(10_000);
    assert_eq!(fill(&mut connection, "hot", 500, ttl, limit), None);
    assert_eq!(fill(&mut connection, "cold", 12_000, ttl, limit), None);
    if policy.ends_with("lru") {
        std::thread::sleep(Duration::from_millis(2100));
    }
    read_all(
        &mut connection,
        "hot",
        500,
        if policy.ends_with("lfu") { 20 } else { 1 },
    );
    // About 18 000 keys fit: this evicts some 6 000, fewer than the cold keys, so an
    // approximate LRU/LFU has cold candidates to take all along.
    assert_eq!(
        fill(&mut connection, "new", 12_000, ttl, limit),
        None,
        "{policy}"
    );
    let evicted = info_field(&mut connection, "stats", "evicted_keys");
    assert!(evicted > 3_000, "{policy}: evicted {evicted}");
    let hot = exists(&mut connection, "hot", 0..500);
    assert!(hot >= 490, "{policy}: only {hot} of 500 hot keys survived");
    let cold = exists(&mut connection, "cold", 0..12_000);
    assert!(
        cold as i64 <= 12_000 - evicted * 9 / 10,
        "{policy}: {cold} of 12000 cold keys survived {evicted} evictions"
    );
}

#[test]
fn every_policy_keeps_memory_at_the_limit_and_evicts_the_right_keys() {
    check_noeviction();
    check_random("allkeys-random");
    check_random("volatile-random");
    for policy in ["volatile-lru", "volatile-lfu", "volatile-random"] {
        check_volatile_spares_persistent_keys(policy);
    }
    check_volatile_ttl();
    for policy in ["allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu"] {
        check_hot_set_survives(policy);
    }
}
