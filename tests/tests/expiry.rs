//! Key expiry through the redis crate: lazy expiry on access, the active expire cycle,
//! `expired_keys` / `keyspace_hits` / `keyspace_misses` and the INFO keyspace line, which
//! writes keep or clear a TTL, TTLs carried by RENAME/COPY/MOVE/SWAPDB, and EXPIRE into the
//! past. TTLs are short (tens of milliseconds) and every wait is bounded.

use std::time::{Duration, Instant};

use redis::Connection;
use zedis_tests::{TestServer, run, run_err_reply};

fn get(c: &mut Connection, key: &str) -> Option<String> {
    run(c, &["GET", key])
}

fn exists(c: &mut Connection, key: &str) -> i64 {
    run(c, &["EXISTS", key])
}

fn ttl(c: &mut Connection, key: &str) -> i64 {
    run(c, &["TTL", key])
}

fn pexpiretime(c: &mut Connection, key: &str) -> i64 {
    run(c, &["PEXPIRETIME", key])
}

fn select(c: &mut Connection, db: &str) {
    assert_eq!(run::<String>(c, &["SELECT", db]), "OK");
}

/// The value of `field` in `INFO section`.
fn info_field(c: &mut Connection, section: &str, field: &str) -> String {
    let info: String = run(c, &["INFO", section]);
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}:\n{info}"))
        .to_string()
}

fn stat(c: &mut Connection, field: &str) -> u64 {
    info_field(c, "stats", field).parse().expect("a number")
}

/// The `dbN:...` lines of INFO keyspace.
fn keyspace_lines(c: &mut Connection) -> Vec<String> {
    let info: String = run(c, &["INFO", "keyspace"]);
    info.lines()
        .filter(|line| line.starts_with("db"))
        .map(str::to_string)
        .collect()
}

/// Polls `done` every 10 ms until it holds, failing after `limit`.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sets `count` keys `prefix:N` with a TTL of `px` milliseconds, in one pipeline.
fn set_with_px(c: &mut Connection, prefix: &str, count: usize, px: u64) {
    let mut pipe = redis::pipe();
    for i in 0..count {
        pipe.cmd("SET")
            .arg(format!("{prefix}:{i}"))
            .arg("v")
            .arg("PX")
            .arg(px)
            .ignore();
    }
    let _: () = pipe.query(c).expect("pipeline");
}

#[test]
fn expired_keys_vanish_on_access() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    for key in [
        "get", "exists", "ttl", "incr", "append", "setnx", "rename", "getset",
    ] {
        let _: String = run(&mut c, &["SET", key, "7", "PX", "50"]);
    }
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    let _: i64 = run(&mut c, &["PEXPIRE", "list", "50"]);
    let _: String = run(&mut c, &["SET", "live", "v"]);
    let ms: i64 = run(&mut c, &["PTTL", "get"]);
    assert!((1..=50).contains(&ms), "PTTL {ms}");
    assert_eq!(get(&mut c, "get").as_deref(), Some("7"));
    std::thread::sleep(Duration::from_millis(120));

    assert_eq!(get(&mut c, "get"), None);
    assert_eq!(exists(&mut c, "exists"), 0);
    assert_eq!(ttl(&mut c, "ttl"), -2);
    assert_eq!(run::<i64>(&mut c, &["PTTL", "ttl"]), -2);
    // Writes see a missing key, not the stale value.
    assert_eq!(run::<i64>(&mut c, &["INCR", "incr"]), 1);
    assert_eq!(run::<i64>(&mut c, &["APPEND", "append", "x"]), 1);
    assert_eq!(run::<i64>(&mut c, &["SETNX", "setnx", "new"]), 1);
    assert_eq!(ttl(&mut c, "setnx"), -1);
    assert_eq!(
        run_err_reply(&mut c, &["RENAME", "rename", "x"]),
        "ERR no such key"
    );
    assert_eq!(
        run::<Option<String>>(&mut c, &["GETSET", "getset", "g"]),
        None
    );
    assert_eq!(run::<i64>(&mut c, &["LLEN", "list"]), 0);
    assert_eq!(run::<String>(&mut c, &["TYPE", "list"]), "none");
    assert_eq!(get(&mut c, "live").as_deref(), Some("v"));
    assert_eq!(stat(&mut c, "expired_keys"), 9);
}

#[test]
fn expired_keys_are_hidden_from_keys_scan_randomkey_and_mget() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    set_with_px(&mut c, "dying", 20, 50);
    let _: String = run(&mut c, &["SET", "live", "v"]);
    assert_eq!(run::<Vec<String>>(&mut c, &["KEYS", "*"]).len(), 21);
    std::thread::sleep(Duration::from_millis(120));

    assert_eq!(run::<Vec<String>>(&mut c, &["KEYS", "*"]), ["live"]);
    let (cursor, keys): (String, Vec<String>) = run(&mut c, &["SCAN", "0", "COUNT", "1000"]);
    assert_eq!((cursor.as_str(), keys), ("0", vec!["live".to_string()]));
    for _ in 0..20 {
        assert_eq!(run::<String>(&mut c, &["RANDOMKEY"]), "live");
    }
    assert_eq!(
        run::<Vec<Option<String>>>(&mut c, &["MGET", "dying:0", "live", "dying:19"]),
        [None, Some("v".to_string()), None]
    );
    assert_eq!(
        run::<i64>(&mut c, &["EXISTS", "dying:1", "dying:2", "live"]),
        1
    );
    wait_until(Duration::from_secs(3), "DBSIZE 1", || {
        run::<i64>(&mut c, &["DBSIZE"]) == 1
    });
}

#[test]
fn active_expire_cycle_removes_keys_nobody_touches() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "persistent", "v"]);
    let _: String = run(&mut c, &["SET", "later", "v", "EX", "100"]);
    let later = pexpiretime(&mut c, "later");
    set_with_px(&mut c, "short", 1000, 300);
    select(&mut c, "1");
    set_with_px(&mut c, "other", 100, 300);
    select(&mut c, "0");
    let lines = keyspace_lines(&mut c);
    assert!(
        lines[0].starts_with("db0:keys=1002,expires=1001,avg_ttl="),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("db1:keys=100,expires=100,avg_ttl="),
        "{lines:?}"
    );

    // Nothing reads these keys: only the server's own cycle can remove them.
    wait_until(
        Duration::from_secs(5),
        "the cycle to remove 1100 keys",
        || run::<i64>(&mut c, &["DBSIZE"]) == 2 && keyspace_lines(&mut c).len() == 1,
    );
    let lines = keyspace_lines(&mut c);
    assert!(
        lines[0].starts_with("db0:keys=2,expires=1,avg_ttl="),
        "{lines:?}"
    );
    assert_eq!(stat(&mut c, "expired_keys"), 1100);
    assert_eq!(get(&mut c, "persistent").as_deref(), Some("v"));
    assert_eq!(pexpiretime(&mut c, "later"), later);
}

#[test]
fn info_keyspace_lines_count_keys_expires_and_average_ttl() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let info: String = run(&mut c, &["INFO", "keyspace"]);
    assert_eq!(info, "# Keyspace\r\n");
    let _: String = run(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]);
    let _: i64 = run(&mut c, &["EXPIRE", "a", "100"]);
    select(&mut c, "2");
    let _: String = run(&mut c, &["SET", "x", "v"]);
    let lines = keyspace_lines(&mut c);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("db0:keys=3,expires=1,avg_ttl="),
        "{lines:?}"
    );
    assert_eq!(lines[1], "db2:keys=1,expires=0,avg_ttl=0");

    // avg_ttl is estimated by the expire cycle from the keys it samples.
    let mut avg_ttl = 0;
    wait_until(Duration::from_secs(3), "avg_ttl to be estimated", || {
        let line = keyspace_lines(&mut c).remove(0);
        avg_ttl = line
            .rsplit_once("avg_ttl=")
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        avg_ttl != 0
    });
    assert!((95_000..=100_000).contains(&avg_ttl), "avg_ttl {avg_ttl}");

    select(&mut c, "0");
    let _: i64 = run(&mut c, &["PERSIST", "a"]);
    assert!(
        keyspace_lines(&mut c)[0].starts_with("db0:keys=3,expires=0,"),
        "{:?}",
        keyspace_lines(&mut c)
    );
}

#[test]
fn keyspace_hits_misses_and_expired_keys_in_info_stats() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let counts = |c: &mut Connection| {
        (
            stat(c, "keyspace_hits"),
            stat(c, "keyspace_misses"),
            stat(c, "expired_keys"),
        )
    };
    assert_eq!(counts(&mut c), (0, 0, 0));
    // Writes count nothing.
    let _: String = run(&mut c, &["SET", "k", "v"]);
    let _: i64 = run(&mut c, &["INCR", "n"]);
    let _: i64 = run(&mut c, &["APPEND", "n", "1"]);
    let _: i64 = run(&mut c, &["DEL", "nosuch"]);
    assert_eq!(counts(&mut c), (0, 0, 0));
    let _: Option<String> = run(&mut c, &["GET", "k"]);
    assert_eq!(counts(&mut c), (1, 0, 0));
    let _: Option<String> = run(&mut c, &["GET", "nosuch"]);
    assert_eq!(counts(&mut c), (1, 1, 0));
    let _: Vec<Option<String>> = run(&mut c, &["MGET", "k", "nosuch", "n"]);
    assert_eq!(counts(&mut c), (3, 2, 0));
    // Reads that do not touch the key still count.
    let _: i64 = run(&mut c, &["EXISTS", "k", "nosuch"]);
    let _: i64 = run(&mut c, &["TTL", "k"]);
    let _: String = run(&mut c, &["TYPE", "k"]);
    let _: Option<String> = run(&mut c, &["OBJECT", "ENCODING", "nosuch"]);
    assert_eq!(counts(&mut c), (6, 4, 0));
    let _: i64 = run(&mut c, &["STRLEN", "n"]);
    let _: Option<String> = run(&mut c, &["GETDEL", "n"]);
    assert_eq!(counts(&mut c), (8, 4, 0));

    let _: String = run(&mut c, &["SET", "z", "v", "PX", "20"]);
    std::thread::sleep(Duration::from_millis(60));
    // An expired key is a miss.
    let _: Option<String> = run(&mut c, &["GET", "z"]);
    assert_eq!(counts(&mut c), (8, 5, 1));
}

#[test]
fn config_resetstat_zeroes_keyspace_counters() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "v", "PX", "20"]);
    let _: Option<String> = run(&mut c, &["GET", "k"]);
    let _: Option<String> = run(&mut c, &["GET", "nosuch"]);
    std::thread::sleep(Duration::from_millis(60));
    let _: Option<String> = run(&mut c, &["GET", "k"]);
    assert_eq!(stat(&mut c, "keyspace_hits"), 1);
    assert_eq!(stat(&mut c, "keyspace_misses"), 2);
    assert_eq!(stat(&mut c, "expired_keys"), 1);
    assert_eq!(run::<String>(&mut c, &["CONFIG", "RESETSTAT"]), "OK");
    assert_eq!(stat(&mut c, "keyspace_hits"), 0);
    assert_eq!(stat(&mut c, "keyspace_misses"), 0);
    assert_eq!(stat(&mut c, "expired_keys"), 0);
}

#[test]
fn writes_without_keepttl_clear_the_ttl_and_in_place_changes_keep_it() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let clearing: &[&[&str]] = &[
        &["SET", "k", "w"],
        &["SET", "k", "w", "GET"],
        &["SET", "k", "w", "XX"],
        &["GETSET", "k", "w"],
        &["MSET", "k", "w"],
        &["GETEX", "k", "PERSIST"],
    ];
    for command in clearing {
        let _: String = run(&mut c, &["SET", "k", "v", "EX", "100"]);
        let _: redis::Value = run(&mut c, command);
        assert_eq!(ttl(&mut c, "k"), -1, "{command:?}");
    }
    let keeping: &[&[&str]] = &[
        &["SET", "k", "w", "KEEPTTL"],
        &["SET", "k", "w", "XX", "KEEPTTL", "GET"],
        &["APPEND", "k", "x"],
        &["SETRANGE", "k", "0", "x"],
        &["INCR", "k"],
        &["DECRBY", "k", "5"],
        &["INCRBYFLOAT", "k", "1.5"],
        &["GETEX", "k"],
        &["GET", "k"],
        &["SETNX", "k", "w"],
        &["MSETNX", "k", "w"],
    ];
    for command in keeping {
        let _: String = run(&mut c, &["SET", "k", "5", "EX", "100"]);
        let _: redis::Value = run(&mut c, command);
        assert_eq!(ttl(&mut c, "k"), 100, "{command:?}");
    }
    // A collection keeps its TTL through changes, and loses it with its last element.
    let _: i64 = run(&mut c, &["RPUSH", "list", "a", "b"]);
    let _: i64 = run(&mut c, &["EXPIRE", "list", "100"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "c"]);
    let _: i64 = run(&mut c, &["LREM", "list", "0", "a"]);
    assert_eq!(ttl(&mut c, "list"), 100);
    let _: i64 = run(&mut c, &["DEL", "list"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_eq!(ttl(&mut c, "list"), -1);
    // SETEX replaces one TTL with another.
    let _: String = run(&mut c, &["SETEX", "k", "50", "w"]);
    assert_eq!(ttl(&mut c, "k"), 50);
}

#[test]
fn rename_copy_move_and_swapdb_carry_the_ttl() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let at = "33177600000123";
    let _: String = run(&mut c, &["SET", "k", "v"]);
    let _: i64 = run(&mut c, &["PEXPIREAT", "k", at]);
    let _: String = run(&mut c, &["RENAME", "k", "renamed"]);
    assert_eq!(pexpiretime(&mut c, "renamed").to_string(), at);
    assert_eq!(run::<i64>(&mut c, &["RENAMENX", "renamed", "k"]), 1);
    assert_eq!(pexpiretime(&mut c, "k").to_string(), at);
    // A persistent source makes a persistent destination.
    let _: String = run(&mut c, &["SET", "plain", "v"]);
    let _: String = run(&mut c, &["SET", "dst", "v", "EX", "100"]);
    let _: String = run(&mut c, &["RENAME", "plain", "dst"]);
    assert_eq!(ttl(&mut c, "dst"), -1);

    assert_eq!(run::<i64>(&mut c, &["COPY", "k", "copy"]), 1);
    assert_eq!(pexpiretime(&mut c, "copy").to_string(), at);
    assert_eq!(pexpiretime(&mut c, "k").to_string(), at);
    let _: String = run(&mut c, &["SET", "plain", "v"]);
    assert_eq!(run::<i64>(&mut c, &["COPY", "plain", "copy", "REPLACE"]), 1);
    assert_eq!(ttl(&mut c, "copy"), -1);
    assert_eq!(run::<i64>(&mut c, &["COPY", "k", "k", "DB", "3"]), 1);

    assert_eq!(run::<i64>(&mut c, &["MOVE", "k", "1"]), 1);
    select(&mut c, "1");
    assert_eq!(pexpiretime(&mut c, "k").to_string(), at);
    select(&mut c, "3");
    assert_eq!(pexpiretime(&mut c, "k").to_string(), at);
    assert_eq!(run::<String>(&mut c, &["SWAPDB", "3", "4"]), "OK");
    select(&mut c, "4");
    assert_eq!(pexpiretime(&mut c, "k").to_string(), at);

    // The carried TTL still fires.
    select(&mut c, "0");
    let _: String = run(&mut c, &["SET", "short", "v", "PX", "50"]);
    let _: String = run(&mut c, &["RENAME", "short", "short2"]);
    let _: i64 = run(&mut c, &["COPY", "short2", "short3"]);
    std::thread::sleep(Duration::from_millis(120));
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "short2", "short3"]), 0);
}

#[test]
fn expire_into_the_past_deletes_the_key() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let deleting: &[&[&str]] = &[
        &["EXPIRE", "k", "0"],
        &["EXPIRE", "k", "-10"],
        &["PEXPIRE", "k", "-1"],
        &["EXPIREAT", "k", "1"],
        &["PEXPIREAT", "k", "-1"],
        &["EXPIREAT", "k", "100", "NX"],
        &["PEXPIRE", "k", "0", "LT"],
    ];
    for command in deleting {
        let _: String = run(&mut c, &["SET", "k", "v"]);
        assert_eq!(run::<i64>(&mut c, command), 1, "{command:?}");
        assert_eq!(exists(&mut c, "k"), 0, "{command:?}");
        assert_eq!(ttl(&mut c, "k"), -2, "{command:?}");
    }
    // A condition that fails keeps the key even with a past time.
    let _: String = run(&mut c, &["SET", "k", "v"]);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "-1", "XX"]), 0);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "-1", "GT"]), 0);
    let _: i64 = run(&mut c, &["EXPIRE", "k", "100"]);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "-1", "GT"]), 0);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "-1", "NX"]), 0);
    assert_eq!(ttl(&mut c, "k"), 100);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "-1", "XX"]), 1);
    assert_eq!(exists(&mut c, "k"), 0);
    // These are deletions, not expirations.
    assert_eq!(stat(&mut c, "expired_keys"), 0);
}

#[test]
fn ttl_is_minus_one_without_expiry_and_minus_two_when_missing_or_expired() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "plain", "v"]);
    let _: String = run(&mut c, &["SET", "short", "v", "PX", "40"]);
    let _: i64 = run(&mut c, &["HSET", "hash", "f", "v"]);
    for key in ["plain", "hash"] {
        assert_eq!(ttl(&mut c, key), -1, "{key}");
        assert_eq!(run::<i64>(&mut c, &["PTTL", key]), -1, "{key}");
    }
    assert_eq!(ttl(&mut c, "nosuch"), -2);
    let ms: i64 = run(&mut c, &["PTTL", "short"]);
    assert!((1..=40).contains(&ms), "PTTL {ms}");
    // Under a second left rounds to 0 seconds, not -1.
    assert_eq!(ttl(&mut c, "short"), 0);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(ttl(&mut c, "short"), -2);
    assert_eq!(run::<i64>(&mut c, &["PTTL", "short"]), -2);
    assert_eq!(run::<i64>(&mut c, &["EXPIRETIME", "short"]), -2);
    assert_eq!(run::<i64>(&mut c, &["PEXPIRETIME", "short"]), -2);
}
