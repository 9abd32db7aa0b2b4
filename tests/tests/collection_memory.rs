//! Memory of collections: loading large lists, hashes, sets and sorted sets raises
//! `used_memory` by about what `MEMORY USAGE` reports, and deleting them gives it all back
//! (including values freed on the lazy-free thread).
//!
//! One test function per binary: `used_memory` counts the whole process, so nothing else
//! may run beside it.

use std::time::{Duration, Instant};

use zedis_tests::{TestServer, run};

fn info_field(connection: &mut redis::Connection, section: &str, field: &str) -> i64 {
    let info: String = run(connection, &["INFO", section]);
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} in INFO {section}"))
        .trim()
        .parse()
        .expect("integer field")
}

fn used_memory(connection: &mut redis::Connection) -> i64 {
    info_field(connection, "memory", "used_memory")
}

/// Waits until the lazy-free thread has freed everything queued.
fn wait_lazyfree(connection: &mut redis::Connection) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(connection, "memory", "lazyfree_pending_objects") > 0 {
        assert!(Instant::now() < deadline, "lazy free never finished");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn large_collections_are_accounted_and_fully_freed() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    // Warm up the connection's buffers, and each command's latency histogram (made on its
    // first call), before taking the baseline.
    let _: String = run(&mut connection, &["INFO", "memory"]);
    for command in [
        &["RPUSH", "w", "x"][..],
        &["HSET", "w2", "f", "v"],
        &["SADD", "w3", "m"],
        &["ZADD", "w4", "1", "m"],
        &["MEMORY", "USAGE", "w"],
        &["DEL", "w", "w2", "w3", "w4"],
    ] {
        let _: redis::Value = run(&mut connection, command);
    }
    let baseline = used_memory(&mut connection);
    let elements = 20_000;
    let mut load = redis::pipe();
    for i in 0..elements {
        load.cmd("RPUSH")
            .arg("list")
            .arg(format!("item:{i}"))
            .ignore();
        load.cmd("HSET")
            .arg("hash")
            .arg(format!("field:{i}"))
            .arg(i)
            .ignore();
        load.cmd("SADD")
            .arg("set")
            .arg(format!("member:{i}"))
            .ignore();
        load.cmd("ZADD")
            .arg("zset")
            .arg(i)
            .arg(format!("member:{i}"))
            .ignore();
    }
    load.exec(&mut connection).expect("load");
    // The pipeline's commands live in this process too, and so count in used_memory.
    drop(load);
    let loaded = used_memory(&mut connection);
    let mut reported = 0;
    for key in ["list", "hash", "set", "zset"] {
        let usage: i64 = run(&mut connection, &["MEMORY", "USAGE", key, "SAMPLES", "0"]);
        // Every element costs something, and no type needs 200 bytes per element.
        assert!(usage > elements * 8, "{key}: {usage}");
        assert!(usage < elements * 200, "{key}: {usage}");
        reported += usage;
    }
    let grown = loaded - baseline;
    // What MEMORY USAGE reports is what the allocator handed out, give or take the
    // key tables' own growth and connection buffers.
    assert!(
        (grown - reported).abs() < grown / 10,
        "used_memory grew by {grown}, MEMORY USAGE sums to {reported}"
    );
    let deleted: i64 = run(&mut connection, &["DEL", "list", "hash", "set", "zset"]);
    assert_eq!(deleted, 4);
    wait_lazyfree(&mut connection);
    let freed: i64 = info_field(&mut connection, "memory", "lazyfreed_objects");
    assert!(
        freed >= 3,
        "large hash, set and sorted set go to the lazy-free thread"
    );
    let after = used_memory(&mut connection);
    assert!(
        after - baseline < 64 * 1024,
        "baseline {baseline}, loaded {loaded}, after DEL {after}"
    );
}
