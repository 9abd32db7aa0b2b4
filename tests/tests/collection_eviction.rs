//! `maxmemory` with collections: under `noeviction` the commands that grow memory (`denyoom`)
//! are refused once over the limit while the others run; under `allkeys-lru` collections are
//! evicted and memory stays near the limit.
//!
//! One test function per binary: `used_memory` counts the whole process.

use zedis_tests::{TestServer, run, run_err};

fn info_field(connection: &mut redis::Connection, section: &str, field: &str) -> i64 {
    let info: String = run(connection, &["INFO", section]);
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} in INFO {section}"))
        .trim()
        .parse()
        .expect("integer field")
}

/// Pushes `batches` batches of 100 100-byte elements onto lists of 50 (`prefix:0`,
/// `prefix:1`…); returns the first error's text, if any.
fn fill_lists(connection: &mut redis::Connection, prefix: &str, batches: usize) -> Option<String> {
    let element = "x".repeat(100);
    for batch in 0..batches {
        let mut pipe = redis::pipe();
        for i in 0..100 {
            pipe.cmd("RPUSH")
                .arg(format!("{prefix}:{}", (batch * 100 + i) / 50))
                .arg(&element)
                .ignore();
        }
        if let Err(error) = pipe.exec(connection) {
            return Some(error.to_string());
        }
    }
    None
}

#[test]
fn collections_obey_maxmemory() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(fill_lists(&mut connection, "full", 300), None);
    // A limit a megabyte below what is used: over it whatever the test's own buffers do.
    let used = info_field(&mut connection, "memory", "used_memory");
    let limit = used - 1024 * 1024;
    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "maxmemory", &limit.to_string()],
    );

    // noeviction: growth is refused, reads and removals still run.
    for command in [
        &["RPUSH", "full:0", "x"][..],
        &["SADD", "newset", "a"],
        &["HSET", "newhash", "f", "v"],
        &["ZADD", "newzset", "1", "m"],
        &["LINSERT", "full:0", "BEFORE", "x", "y"],
    ] {
        let refused = run_err(&mut connection, command);
        assert!(
            refused.contains("command not allowed when used memory > 'maxmemory'"),
            "{command:?}: {refused}"
        );
    }
    let len: i64 = run(&mut connection, &["LLEN", "full:0"]);
    assert_eq!(len, 50);
    let popped: String = run(&mut connection, &["LPOP", "full:0"]);
    assert_eq!(popped.len(), 100);
    let removed: i64 = run(&mut connection, &["DEL", "full:1"]);
    assert_eq!(removed, 1);
    assert_eq!(info_field(&mut connection, "stats", "evicted_keys"), 0);

    // allkeys-lru: writes go on and old lists are evicted to make room.
    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
    );
    assert_eq!(fill_lists(&mut connection, "lru", 400), None);
    let evicted = info_field(&mut connection, "stats", "evicted_keys");
    assert!(evicted > 0, "nothing was evicted");
    let used = info_field(&mut connection, "memory", "used_memory");
    assert!(
        used < limit + 512 * 1024,
        "used_memory {used} well over maxmemory {limit}"
    );
    // The most recent list is still there.
    let last: i64 = run(&mut connection, &["LLEN", "lru:799"]);
    assert_eq!(last, 50);
}
