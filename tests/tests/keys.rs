//! Generic key commands through the redis crate: DEL/UNLINK/EXISTS/TYPE, KEYS globs, SCAN
//! (options, and its guarantee while the table grows), RANDOMKEY, RENAME/RENAMENX, COPY, MOVE,
//! SWAPDB, the EXPIRE family and its options, TTL reads, PERSIST, TOUCH, OBJECT, FLUSHDB,
//! FLUSHALL, DBSIZE, SELECT, and DEBUG POPULATE.

use std::collections::HashSet;

use redis::Connection;
use zedis_tests::{TestServer, exists, run, run_err_reply};

const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const DB_RANGE: &str = "ERR DB index is out of range";
const SAME: &str = "ERR source and destination objects are the same";
const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
const NOT_COMPATIBLE: &str = "ERR NX and XX, GT or LT options at the same time are not compatible";

fn assert_err(c: &mut Connection, args: &[&str], want: &str) {
    assert_eq!(run_err_reply(c, args), want, "{args:?}");
}

fn get(c: &mut Connection, key: &str) -> Option<String> {
    run(c, &["GET", key])
}

fn ttl(c: &mut Connection, key: &str) -> i64 {
    run(c, &["TTL", key])
}

fn dbsize(c: &mut Connection) -> i64 {
    run(c, &["DBSIZE"])
}

fn select(c: &mut Connection, db: &str) {
    assert_eq!(run::<String>(c, &["SELECT", db]), "OK");
}

fn sorted(mut keys: Vec<String>) -> Vec<String> {
    keys.sort();
    keys
}

fn keys(c: &mut Connection, pattern: &str) -> Vec<String> {
    sorted(run(c, &["KEYS", pattern]))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A full SCAN iteration with `options`, bounded; returns every key it gave (with repeats).
fn scan_all(c: &mut Connection, options: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    for _ in 0..100_000 {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(options);
        let (next, batch): (String, Vec<String>) = run(c, &args);
        seen.extend(batch);
        if next == "0" {
            return seen;
        }
        cursor = next;
    }
    panic!("SCAN {options:?} did not finish");
}

fn unix_now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn del_unlink_and_exists_counting_repeats() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["MSET", "a", "1", "b", "2", "c", "3", "d", "4"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "x", "y"]);
    assert_eq!(
        run::<i64>(&mut c, &["EXISTS", "a", "a", "nosuch", "list"]),
        3
    );
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "nosuch"]), 0);
    // A key named twice is deleted once.
    assert_eq!(run::<i64>(&mut c, &["DEL", "a", "nosuch", "b", "a"]), 2);
    assert_eq!(run::<i64>(&mut c, &["DEL", "a"]), 0);
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "a", "b", "c"]), 1);
    assert_eq!(run::<i64>(&mut c, &["UNLINK", "c", "list", "nosuch"]), 2);
    assert_eq!(run::<i64>(&mut c, &["UNLINK", "c"]), 0);
    assert_eq!(keys(&mut c, "*"), strings(&["d"]));
    for command in ["DEL", "UNLINK", "EXISTS"] {
        assert_err(
            &mut c,
            &[command],
            &format!(
                "ERR wrong number of arguments for '{}' command",
                command.to_lowercase()
            ),
        );
    }
}

#[test]
fn type_names_each_kind_of_value() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "str", "v"]);
    let _: String = run(&mut c, &["SET", "int", "12"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    let _: i64 = run(&mut c, &["HSET", "hash", "f", "v"]);
    let _: i64 = run(&mut c, &["SADD", "set", "m"]);
    let _: i64 = run(&mut c, &["ZADD", "zset", "1", "m"]);
    for (key, want) in [
        ("str", "string"),
        ("int", "string"),
        ("list", "list"),
        ("hash", "hash"),
        ("set", "set"),
        ("zset", "zset"),
        ("nosuch", "none"),
    ] {
        assert_eq!(run::<String>(&mut c, &["TYPE", key]), want, "{key}");
    }
    assert_err(
        &mut c,
        &["TYPE", "a", "b"],
        "ERR wrong number of arguments for 'type' command",
    );
}

#[test]
fn keys_matches_glob_patterns() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let names = [
        "a*b", "axb", "ab", "abc", "bbc", "cbc", "dbc", "h[e", "hello", "hallo", "hxllo", "a?b",
        "\\x",
    ];
    let mut mset = vec!["MSET"];
    for name in &names {
        mset.extend([*name, "1"]);
    }
    let _: String = run(&mut c, &mset);
    assert_eq!(keys(&mut c, "*"), sorted(strings(&names)));
    let cases: &[(&str, &[&str])] = &[
        ("a\\*b", &["a*b"]),
        ("a*b", &["a*b", "a?b", "ab", "axb"]),
        ("?bc", &["abc", "bbc", "cbc", "dbc"]),
        ("[a-c]bc", &["abc", "bbc", "cbc"]),
        // A reversed range is the same range.
        ("[c-a]bc", &["abc", "bbc", "cbc"]),
        ("[^a]bc", &["bbc", "cbc", "dbc"]),
        // Only ^ negates: ! is a literal.
        ("[!a]bc", &["abc"]),
        ("h[ae]llo", &["hallo", "hello"]),
        ("h[^e]llo", &["hallo", "hxllo"]),
        ("a\\?b", &["a?b"]),
        ("h\\[e", &["h[e"]),
        ("\\\\x", &["\\x"]),
        ("*c", &["abc", "bbc", "cbc", "dbc"]),
        ("a?", &["ab"]),
        ("abc", &["abc"]),
        // An unterminated class matches nothing.
        ("h[e", &[]),
        ("ab[", &[]),
        ("nomatch*", &[]),
    ];
    for (pattern, want) in cases {
        assert_eq!(keys(&mut c, pattern), strings(want), "KEYS {pattern}");
    }
    // KEYS only looks at the selected database.
    select(&mut c, "1");
    assert_eq!(keys(&mut c, "*"), Vec::<String>::new());
}

#[test]
fn scan_iterates_to_zero_with_match_count_and_type() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let mut want = HashSet::new();
    for batch in 0..5 {
        let mut mset = vec!["MSET".to_string()];
        for i in 0..100 {
            let key = format!("str:{}", batch * 100 + i);
            mset.extend([key.clone(), "v".to_string()]);
            want.insert(key);
        }
        let args: Vec<&str> = mset.iter().map(String::as_str).collect();
        let _: String = run(&mut c, &args);
    }
    let _: i64 = run(&mut c, &["RPUSH", "list:1", "a"]);
    let _: i64 = run(&mut c, &["RPUSH", "list:2", "a"]);
    let _: i64 = run(&mut c, &["HSET", "hash:1", "f", "v"]);
    let _: i64 = run(&mut c, &["SADD", "set:1", "1", "2"]);
    let _: i64 = run(&mut c, &["ZADD", "zset:1", "1", "m"]);

    let everything: HashSet<String> = scan_all(&mut c, &[]).into_iter().collect();
    assert_eq!(everything.len(), 505);
    let strings_seen: HashSet<String> = scan_all(&mut c, &["COUNT", "7", "TYPE", "string"])
        .into_iter()
        .collect();
    assert_eq!(strings_seen, want);
    let matched: HashSet<String> = scan_all(&mut c, &["MATCH", "str:1?", "COUNT", "1000"])
        .into_iter()
        .collect();
    assert_eq!(
        matched,
        (10..20).map(|i| format!("str:{i}")).collect::<HashSet<_>>()
    );
    for (kind, want) in [
        ("list", vec!["list:1", "list:2"]),
        ("hash", vec!["hash:1"]),
        ("set", vec!["set:1"]),
        ("zset", vec!["zset:1"]),
        ("stream", vec![]),
        ("nosuch", vec![]),
    ] {
        assert_eq!(
            sorted(scan_all(&mut c, &["TYPE", kind])),
            strings(&want),
            "TYPE {kind}"
        );
    }
    assert_eq!(
        sorted(scan_all(&mut c, &["MATCH", "*:1", "TYPE", "list"])),
        strings(&["list:1"])
    );
    // With a large COUNT one call covers this small table.
    let (cursor, batch): (String, Vec<String>) =
        run(&mut c, &["SCAN", "0", "MATCH", "*:1", "COUNT", "100000"]);
    assert_eq!(cursor, "0");
    assert_eq!(
        sorted(batch),
        strings(&["hash:1", "list:1", "set:1", "str:1", "zset:1"])
    );
    // An empty database ends at once.
    select(&mut c, "5");
    let (cursor, batch): (String, Vec<String>) = run(&mut c, &["SCAN", "0"]);
    assert_eq!((cursor.as_str(), batch.len()), ("0", 0));

    assert_err(&mut c, &["SCAN", "abc"], "ERR invalid cursor");
    assert_err(
        &mut c,
        &["SCAN", "18446744073709551616"],
        "ERR invalid cursor",
    );
    assert_err(&mut c, &["SCAN", "0", "COUNT", "0"], SYNTAX);
    assert_err(&mut c, &["SCAN", "0", "COUNT", "-1"], SYNTAX);
    assert_err(&mut c, &["SCAN", "0", "COUNT", "abc"], NOT_INTEGER);
    assert_err(&mut c, &["SCAN", "0", "MATCH"], SYNTAX);
    assert_err(&mut c, &["SCAN", "0", "FOO", "bar"], SYNTAX);
    assert_err(
        &mut c,
        &["SCAN"],
        "ERR wrong number of arguments for 'scan' command",
    );
}

#[test]
fn scan_returns_every_key_present_throughout_while_another_client_grows_the_table() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let mut writer = server.connect();
    let mset = |c: &mut Connection, prefix: &str, range: std::ops::Range<usize>| {
        let mut cmd = redis::cmd("MSET");
        for i in range {
            cmd.arg(format!("{prefix}:{i}")).arg("v");
        }
        let _: () = cmd.query(c).expect("MSET");
    };
    const ORIGINAL: usize = 20_000;
    const ADDED: usize = 50_000;
    for start in (0..ORIGINAL).step_by(1000) {
        mset(&mut c, "orig", start..start + 1000);
    }
    let mut seen = HashSet::new();
    let mut added = 0;
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        calls += 1;
        assert!(calls < 10_000, "SCAN did not finish");
        let (next, batch): (String, Vec<String>) = run(&mut c, &["SCAN", &cursor, "COUNT", "100"]);
        seen.extend(batch.into_iter().filter(|k| k.starts_with("orig:")));
        if next == "0" {
            break;
        }
        cursor = next;
        // Enough new keys between calls that the table resizes (more than once) mid-scan.
        if added < ADDED {
            mset(&mut writer, "new", added..added + 500);
            added += 500;
        }
    }
    assert_eq!(
        added, ADDED,
        "the scan ended before all inserts ({calls} calls)"
    );
    assert_eq!(dbsize(&mut c), (ORIGINAL + ADDED) as i64);
    let missing: Vec<usize> = (0..ORIGINAL)
        .filter(|i| !seen.contains(&format!("orig:{i}")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} original keys never returned, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
}

#[test]
fn randomkey_returns_an_existing_key_or_nil() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_eq!(run::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
    let _: String = run(&mut c, &["SET", "only", "v"]);
    assert_eq!(
        run::<Option<String>>(&mut c, &["RANDOMKEY"]).as_deref(),
        Some("only")
    );
    let _: String = run(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]);
    let all: HashSet<&str> = ["only", "a", "b", "c"].into();
    let mut returned = HashSet::new();
    for _ in 0..200 {
        let key: String = run(&mut c, &["RANDOMKEY"]);
        assert!(all.contains(key.as_str()), "{key}");
        returned.insert(key);
    }
    // 200 draws from 4 keys miss one with probability about 4 * (3/4)^200.
    assert_eq!(returned.len(), 4);
    assert_err(
        &mut c,
        &["RANDOMKEY", "x"],
        "ERR wrong number of arguments for 'randomkey' command",
    );
}

#[test]
fn rename_and_renamenx() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["MSET", "a", "1", "b", "2"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "x", "y"]);
    assert_eq!(run::<String>(&mut c, &["RENAME", "a", "renamed"]), "OK");
    assert_eq!(exists(&mut c, "a"), 0);
    assert_eq!(get(&mut c, "renamed").as_deref(), Some("1"));
    // RENAME overwrites a destination of any type.
    assert_eq!(run::<String>(&mut c, &["RENAME", "list", "b"]), "OK");
    assert_eq!(
        run::<Vec<String>>(&mut c, &["LRANGE", "b", "0", "-1"]),
        strings(&["x", "y"])
    );
    // Renaming a key to itself is allowed and changes nothing.
    assert_eq!(run::<String>(&mut c, &["RENAME", "b", "b"]), "OK");
    assert_eq!(run::<String>(&mut c, &["TYPE", "b"]), "list");
    assert_err(&mut c, &["RENAME", "nosuch", "x"], "ERR no such key");
    assert_err(&mut c, &["RENAME", "nosuch", "nosuch"], "ERR no such key");

    assert_eq!(run::<i64>(&mut c, &["RENAMENX", "renamed", "b"]), 0);
    assert_eq!(get(&mut c, "renamed").as_deref(), Some("1"));
    assert_eq!(run::<i64>(&mut c, &["RENAMENX", "renamed", "fresh"]), 1);
    assert_eq!(get(&mut c, "fresh").as_deref(), Some("1"));
    assert_eq!(exists(&mut c, "renamed"), 0);
    assert_eq!(run::<i64>(&mut c, &["RENAMENX", "fresh", "fresh"]), 0);
    assert_err(&mut c, &["RENAMENX", "nosuch", "x"], "ERR no such key");
    assert_eq!(keys(&mut c, "*"), strings(&["b", "fresh"]));
}

#[test]
fn copy_with_db_and_replace() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "src", "v"]);
    assert_eq!(run::<i64>(&mut c, &["COPY", "src", "dst"]), 1);
    assert_eq!(get(&mut c, "dst").as_deref(), Some("v"));
    assert_eq!(get(&mut c, "src").as_deref(), Some("v"));
    // An existing destination needs REPLACE.
    let _: String = run(&mut c, &["SET", "src", "v2"]);
    assert_eq!(run::<i64>(&mut c, &["COPY", "src", "dst"]), 0);
    assert_eq!(get(&mut c, "dst").as_deref(), Some("v"));
    assert_eq!(run::<i64>(&mut c, &["COPY", "src", "dst", "REPLACE"]), 1);
    assert_eq!(get(&mut c, "dst").as_deref(), Some("v2"));
    assert_eq!(run::<i64>(&mut c, &["COPY", "nosuch", "dst"]), 0);
    assert_eq!(run::<i64>(&mut c, &["COPY", "nosuch", "x", "REPLACE"]), 0);
    assert_eq!(exists(&mut c, "x"), 0);

    // Into another database, even under the same name.
    assert_eq!(run::<i64>(&mut c, &["COPY", "src", "src", "DB", "1"]), 1);
    assert_eq!(run::<i64>(&mut c, &["COPY", "src", "src", "DB", "1"]), 0);
    assert_eq!(
        run::<i64>(&mut c, &["COPY", "src", "other", "REPLACE", "DB", "1"]),
        1
    );
    select(&mut c, "1");
    assert_eq!(keys(&mut c, "*"), strings(&["other", "src"]));
    assert_eq!(get(&mut c, "src").as_deref(), Some("v2"));
    select(&mut c, "0");

    // A copied collection is independent of its source.
    let _: i64 = run(&mut c, &["RPUSH", "list", "a", "b"]);
    assert_eq!(run::<i64>(&mut c, &["COPY", "list", "list2"]), 1);
    let _: i64 = run(&mut c, &["LPUSH", "list2", "z"]);
    assert_eq!(
        run::<Vec<String>>(&mut c, &["LRANGE", "list", "0", "-1"]),
        strings(&["a", "b"])
    );
    let _: i64 = run(&mut c, &["HSET", "hash", "f", "v"]);
    assert_eq!(run::<i64>(&mut c, &["COPY", "hash", "src", "REPLACE"]), 1);
    assert_eq!(run::<String>(&mut c, &["TYPE", "src"]), "hash");

    assert_err(&mut c, &["COPY", "src", "src"], SAME);
    assert_err(&mut c, &["COPY", "src", "src", "DB", "0"], SAME);
    assert_err(&mut c, &["COPY", "src", "x", "DB", "99"], DB_RANGE);
    assert_err(&mut c, &["COPY", "src", "x", "DB", "-1"], DB_RANGE);
    assert_err(&mut c, &["COPY", "src", "x", "DB", "abc"], NOT_INTEGER);
    assert_err(&mut c, &["COPY", "src", "x", "DB"], SYNTAX);
    assert_err(&mut c, &["COPY", "src", "x", "FOO"], SYNTAX);
    assert_err(
        &mut c,
        &["COPY", "src"],
        "ERR wrong number of arguments for 'copy' command",
    );
    assert_eq!(exists(&mut c, "x"), 0);
}

#[test]
fn move_between_databases() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "v"]);
    assert_eq!(run::<i64>(&mut c, &["MOVE", "k", "2"]), 1);
    assert_eq!(exists(&mut c, "k"), 0);
    assert_eq!(run::<i64>(&mut c, &["MOVE", "k", "2"]), 0);
    select(&mut c, "2");
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
    // An existing key in the target blocks the move and both stay.
    select(&mut c, "0");
    let _: String = run(&mut c, &["SET", "k", "here"]);
    assert_eq!(run::<i64>(&mut c, &["MOVE", "k", "2"]), 0);
    assert_eq!(get(&mut c, "k").as_deref(), Some("here"));
    assert_eq!(run::<i64>(&mut c, &["MOVE", "nosuch", "1"]), 0);

    assert_err(&mut c, &["MOVE", "k", "0"], SAME);
    assert_err(&mut c, &["MOVE", "k", "99"], DB_RANGE);
    assert_err(&mut c, &["MOVE", "k", "-1"], DB_RANGE);
    assert_err(&mut c, &["MOVE", "k", "abc"], NOT_INTEGER);
    select(&mut c, "2");
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
}

#[test]
fn swapdb_swaps_what_every_client_sees() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let mut other = server.connect();
    select(&mut other, "1");
    let _: String = run(&mut c, &["SET", "in0", "zero"]);
    let _: String = run(&mut other, &["SET", "in1", "one"]);
    assert_eq!(run::<String>(&mut c, &["SWAPDB", "0", "1"]), "OK");
    // Each client stays on its index and now sees the other database.
    assert_eq!(keys(&mut c, "*"), strings(&["in1"]));
    assert_eq!(get(&mut other, "in0").as_deref(), Some("zero"));
    assert_eq!(run::<String>(&mut c, &["SWAPDB", "1", "0"]), "OK");
    assert_eq!(keys(&mut c, "*"), strings(&["in0"]));
    assert_eq!(run::<String>(&mut c, &["SWAPDB", "0", "0"]), "OK");
    assert_eq!(keys(&mut c, "*"), strings(&["in0"]));
    assert_eq!(run::<String>(&mut c, &["SWAPDB", "0", "15"]), "OK");
    assert_eq!(dbsize(&mut c), 0);

    assert_err(&mut c, &["SWAPDB", "a", "1"], "ERR invalid first DB index");
    assert_err(&mut c, &["SWAPDB", "0", "b"], "ERR invalid second DB index");
    assert_err(&mut c, &["SWAPDB", "0", "99"], DB_RANGE);
    assert_err(&mut c, &["SWAPDB", "-1", "0"], DB_RANGE);
    assert_err(
        &mut c,
        &["SWAPDB", "0"],
        "ERR wrong number of arguments for 'swapdb' command",
    );
}

#[test]
fn expire_family_options_nx_xx_gt_lt() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "v"]);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "1000", "XX"]), 0);
    assert_eq!(ttl(&mut c, "k"), -1);
    // GT treats no expiry as infinite, LT as larger than anything.
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "100", "GT"]), 0);
    assert_eq!(ttl(&mut c, "k"), -1);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "1000", "NX"]), 1);
    assert_eq!(ttl(&mut c, "k"), 1000);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "500", "NX"]), 0);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "500", "XX"]), 1);
    assert_eq!(ttl(&mut c, "k"), 500);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "2000", "GT"]), 1);
    assert_eq!(ttl(&mut c, "k"), 2000);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "1500", "GT"]), 0);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "100", "LT"]), 1);
    assert_eq!(ttl(&mut c, "k"), 100);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "k", "200", "LT"]), 0);
    assert_eq!(ttl(&mut c, "k"), 100);
    let _: String = run(&mut c, &["SET", "n", "v"]);
    assert_eq!(run::<i64>(&mut c, &["EXPIRE", "n", "100", "LT"]), 1);
    assert_eq!(ttl(&mut c, "n"), 100);

    // The same options in every unit.
    let _: String = run(&mut c, &["SET", "p", "v"]);
    assert_eq!(run::<i64>(&mut c, &["PEXPIRE", "p", "300000", "NX"]), 1);
    assert_eq!(run::<i64>(&mut c, &["PEXPIRE", "p", "200000", "GT"]), 0);
    assert_eq!(run::<i64>(&mut c, &["PEXPIRE", "p", "200000", "lt"]), 1);
    assert_eq!(ttl(&mut c, "p"), 200);
    let at = unix_now_secs() + 1000;
    assert_eq!(
        run::<i64>(&mut c, &["EXPIREAT", "p", &at.to_string(), "XX"]),
        1
    );
    assert_eq!(run::<u64>(&mut c, &["EXPIRETIME", "p"]), at);
    assert_eq!(
        run::<i64>(&mut c, &["EXPIREAT", "p", &(at - 10).to_string(), "GT"]),
        0
    );
    let pat = (at + 10) * 1000 + 7;
    assert_eq!(
        run::<i64>(&mut c, &["PEXPIREAT", "p", &pat.to_string(), "GT"]),
        1
    );
    assert_eq!(run::<u64>(&mut c, &["PEXPIRETIME", "p"]), pat);
    assert_eq!(
        run::<i64>(&mut c, &["PEXPIREAT", "p", &pat.to_string(), "NX"]),
        0
    );

    // Nothing happens to a missing key.
    for command in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
        assert_eq!(run::<i64>(&mut c, &[command, "nosuch", "100"]), 0);
    }
    assert_eq!(exists(&mut c, "nosuch"), 0);
}

#[test]
fn expire_family_errors() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "v"]);
    assert_err(&mut c, &["EXPIRE", "k", "abc"], NOT_INTEGER);
    assert_err(&mut c, &["PEXPIRE", "k", "1.5"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["EXPIRE", "k", "10", "FOO"],
        "ERR Unsupported option FOO",
    );
    assert_err(&mut c, &["EXPIRE", "k", "10", "NX", "XX"], NOT_COMPATIBLE);
    assert_err(&mut c, &["EXPIRE", "k", "10", "NX", "GT"], NOT_COMPATIBLE);
    assert_err(&mut c, &["PEXPIRE", "k", "10", "XX", "NX"], NOT_COMPATIBLE);
    assert_err(
        &mut c,
        &["EXPIRE", "k", "10", "GT", "LT"],
        "ERR GT and LT options at the same time are not compatible",
    );
    for (command, big) in [
        ("expire", "9223372036854775807"),
        ("expire", "-9223372036854775808"),
        ("pexpire", "9223372036854775807"),
        ("expireat", "9223372036854775807"),
    ] {
        assert_err(
            &mut c,
            &[command, "k", big],
            &format!("ERR invalid expire time in '{command}' command"),
        );
    }
    assert_err(
        &mut c,
        &["EXPIRE", "k"],
        "ERR wrong number of arguments for 'expire' command",
    );
    // A failed EXPIRE leaves the key as it was.
    assert_eq!(ttl(&mut c, "k"), -1);
    // The largest PEXPIREAT is a valid (far) deadline.
    assert_eq!(
        run::<i64>(&mut c, &["PEXPIREAT", "k", "9223372036854775807"]),
        1
    );
    assert_eq!(
        run::<i64>(&mut c, &["PEXPIRETIME", "k"]),
        9223372036854775807
    );
}

#[test]
fn ttl_pttl_expiretime_and_pexpiretime() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    for command in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(run::<i64>(&mut c, &[command, "nosuch"]), -2, "{command}");
    }
    let _: String = run(&mut c, &["SET", "k", "v"]);
    for command in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(run::<i64>(&mut c, &[command, "k"]), -1, "{command}");
    }
    assert_eq!(run::<i64>(&mut c, &["PEXPIREAT", "k", "33177600000000"]), 1);
    assert_eq!(
        run::<i64>(&mut c, &["PEXPIRETIME", "k"]),
        33_177_600_000_000
    );
    assert_eq!(run::<i64>(&mut c, &["EXPIRETIME", "k"]), 33_177_600_000);
    let _: i64 = run(&mut c, &["EXPIREAT", "k", "33177600001"]);
    assert_eq!(
        run::<i64>(&mut c, &["PEXPIRETIME", "k"]),
        33_177_600_001_000
    );

    let before = unix_now_secs() as i64;
    let _: i64 = run(&mut c, &["EXPIRE", "k", "1000"]);
    assert_eq!(ttl(&mut c, "k"), 1000);
    let ms: i64 = run(&mut c, &["PTTL", "k"]);
    assert!((999_000..=1_000_000).contains(&ms), "PTTL {ms}");
    let at: i64 = run(&mut c, &["EXPIRETIME", "k"]);
    let after = unix_now_secs() as i64;
    assert!(
        (before + 1000..=after + 1001).contains(&at),
        "{at} vs {before}..{after}"
    );
    // TTL rounds to the nearest second.
    let _: i64 = run(&mut c, &["PEXPIRE", "k", "10600"]);
    assert_eq!(ttl(&mut c, "k"), 11);
    let _: i64 = run(&mut c, &["PEXPIRE", "k", "10400"]);
    assert_eq!(ttl(&mut c, "k"), 10);
}

#[test]
fn persist_and_touch() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "v", "EX", "100"]);
    let _: String = run(&mut c, &["SET", "plain", "v"]);
    assert_eq!(run::<i64>(&mut c, &["PERSIST", "k"]), 1);
    assert_eq!(ttl(&mut c, "k"), -1);
    assert_eq!(run::<i64>(&mut c, &["PERSIST", "k"]), 0);
    assert_eq!(run::<i64>(&mut c, &["PERSIST", "plain"]), 0);
    assert_eq!(run::<i64>(&mut c, &["PERSIST", "nosuch"]), 0);
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));

    assert_eq!(
        run::<i64>(&mut c, &["TOUCH", "k", "nosuch", "k", "plain"]),
        3
    );
    assert_eq!(run::<i64>(&mut c, &["TOUCH", "nosuch"]), 0);
    assert_err(
        &mut c,
        &["TOUCH"],
        "ERR wrong number of arguments for 'touch' command",
    );
}

#[test]
fn object_encoding_refcount_idletime_and_help() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(
        &mut c,
        &["MSET", "shared", "123", "int", "123456", "str", "abc"],
    );
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    let _: i64 = run(&mut c, &["HSET", "hash", "f", "v"]);
    let _: i64 = run(&mut c, &["SADD", "intset", "1", "2"]);
    let _: i64 = run(&mut c, &["SADD", "set", "a"]);
    let _: i64 = run(&mut c, &["ZADD", "zset", "1", "m"]);
    for (key, want) in [
        ("shared", "int"),
        ("str", "embstr"),
        ("list", "quicklist"),
        ("hash", "listpack"),
        ("intset", "intset"),
        ("zset", "listpack"),
    ] {
        assert_eq!(
            run::<String>(&mut c, &["OBJECT", "ENCODING", key]),
            want,
            "{key}"
        );
    }
    // Small integers are shared objects that are never freed.
    assert_eq!(
        run::<i64>(&mut c, &["OBJECT", "REFCOUNT", "shared"]),
        2147483647
    );
    assert_eq!(run::<i64>(&mut c, &["OBJECT", "REFCOUNT", "int"]), 1);
    assert_eq!(run::<i64>(&mut c, &["OBJECT", "REFCOUNT", "str"]), 1);
    assert_eq!(run::<i64>(&mut c, &["OBJECT", "REFCOUNT", "list"]), 1);
    assert_eq!(run::<i64>(&mut c, &["OBJECT", "IDLETIME", "str"]), 0);
    for sub in ["ENCODING", "REFCOUNT", "IDLETIME", "FREQ"] {
        assert_eq!(
            run::<Option<i64>>(&mut c, &["OBJECT", sub, "nosuch"]),
            None,
            "{sub}"
        );
    }
    assert_err(
        &mut c,
        &["OBJECT", "FREQ", "str"],
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    assert_err(
        &mut c,
        &["OBJECT", "FOO", "str"],
        "ERR unknown subcommand 'FOO'. Try OBJECT HELP.",
    );
    assert_err(
        &mut c,
        &["OBJECT"],
        "ERR wrong number of arguments for 'object' command",
    );
    assert_err(
        &mut c,
        &["OBJECT", "ENCODING"],
        "ERR wrong number of arguments for 'object|encoding' command",
    );
    assert_err(
        &mut c,
        &["OBJECT", "ENCODING", "a", "b"],
        "ERR wrong number of arguments for 'object|encoding' command",
    );
    assert_eq!(
        run::<Vec<String>>(&mut c, &["OBJECT", "HELP"]),
        strings(&[
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Prints this help.",
        ])
    );
}

#[test]
fn object_freq_under_an_lfu_policy_and_idletime_refused() {
    let server = TestServer::start(&["--maxmemory-policy", "allkeys-lfu"]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "v"]);
    // A new key starts at LFU_INIT_VAL, 5; the first access always counts.
    assert_eq!(run::<i64>(&mut c, &["OBJECT", "FREQ", "k"]), 5);
    let _: String = run(&mut c, &["GET", "k"]);
    assert_eq!(run::<i64>(&mut c, &["OBJECT", "FREQ", "k"]), 6);
    // OBJECT FREQ itself is not an access.
    assert_eq!(run::<i64>(&mut c, &["OBJECT", "FREQ", "k"]), 6);
    // An overwritten key keeps its counter (Redis's dbOverwrite), whether the new value fits
    // the old record or not; SET's own lookups may add to it.
    for value in ["w", "a longer value"] {
        let _: String = run(&mut c, &["SET", "k", value]);
        let freq = run::<i64>(&mut c, &["OBJECT", "FREQ", "k"]);
        assert!((6..=8).contains(&freq), "{freq} after SET k {value:?}");
    }
    assert_err(
        &mut c,
        &["OBJECT", "IDLETIME", "k"],
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
}

#[test]
fn flushdb_and_flushall_sync_and_async() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let fill = |c: &mut Connection| {
        for db in ["0", "1", "3"] {
            select(c, db);
            let _: String = run(c, &["MSET", "a", "1", "b", "2"]);
        }
        select(c, "0");
    };
    let sizes = |c: &mut Connection| -> Vec<i64> {
        let mut sizes = Vec::new();
        for db in ["0", "1", "3"] {
            select(c, db);
            sizes.push(dbsize(c));
        }
        select(c, "0");
        sizes
    };
    fill(&mut c);
    assert_eq!(sizes(&mut c), [2, 2, 2]);
    assert_eq!(run::<String>(&mut c, &["FLUSHDB"]), "OK");
    assert_eq!(sizes(&mut c), [0, 2, 2]);
    select(&mut c, "1");
    assert_eq!(run::<String>(&mut c, &["FLUSHDB", "ASYNC"]), "OK");
    select(&mut c, "0");
    assert_eq!(sizes(&mut c), [0, 0, 2]);
    select(&mut c, "3");
    assert_eq!(run::<String>(&mut c, &["flushdb", "sync"]), "OK");
    assert_eq!(sizes(&mut c), [0, 0, 0]);

    for mode in [None, Some("SYNC"), Some("ASYNC")] {
        fill(&mut c);
        let mut args = vec!["FLUSHALL"];
        args.extend(mode);
        assert_eq!(run::<String>(&mut c, &args), "OK");
        assert_eq!(sizes(&mut c), [0, 0, 0], "{mode:?}");
    }

    fill(&mut c);
    assert_err(&mut c, &["FLUSHDB", "FOO"], SYNTAX);
    assert_err(&mut c, &["FLUSHALL", "FOO"], SYNTAX);
    assert_err(&mut c, &["FLUSHDB", "ASYNC", "SYNC"], SYNTAX);
    assert_eq!(sizes(&mut c), [2, 2, 2]);
}

#[test]
fn dbsize_and_select_within_the_configured_databases() {
    let server = TestServer::start(&["--databases", "4"]);
    let mut c = server.connect();
    assert_eq!(dbsize(&mut c), 0);
    let _: String = run(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(dbsize(&mut c), 3);
    let _: i64 = run(&mut c, &["DEL", "a"]);
    assert_eq!(dbsize(&mut c), 2);
    select(&mut c, "3");
    assert_eq!(dbsize(&mut c), 0);
    let _: String = run(&mut c, &["SET", "a", "three"]);
    select(&mut c, "0");
    assert_eq!(get(&mut c, "a"), None);
    select(&mut c, "3");
    assert_eq!(get(&mut c, "a").as_deref(), Some("three"));

    assert_err(&mut c, &["SELECT", "4"], DB_RANGE);
    assert_err(&mut c, &["SELECT", "-1"], DB_RANGE);
    assert_err(&mut c, &["SELECT", "abc"], NOT_INTEGER);
    assert_err(&mut c, &["MOVE", "a", "4"], DB_RANGE);
    assert_err(&mut c, &["SWAPDB", "0", "4"], DB_RANGE);
    assert_err(&mut c, &["COPY", "a", "b", "DB", "4"], DB_RANGE);
    assert_err(
        &mut c,
        &["DBSIZE", "x"],
        "ERR wrong number of arguments for 'dbsize' command",
    );
    // A failed SELECT leaves the client where it was.
    assert_eq!(get(&mut c, "a").as_deref(), Some("three"));
}

#[test]
fn debug_populate_creates_numbered_keys() {
    let server = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = server.connect();
    assert_eq!(run::<String>(&mut c, &["DEBUG", "POPULATE", "1000"]), "OK");
    assert_eq!(dbsize(&mut c), 1000);
    assert_eq!(get(&mut c, "key:0").as_deref(), Some("value:0"));
    assert_eq!(get(&mut c, "key:999").as_deref(), Some("value:999"));
    assert_eq!(get(&mut c, "key:1000"), None);
    assert_eq!(ttl(&mut c, "key:500"), -1);
    assert_eq!(
        run::<String>(&mut c, &["OBJECT", "ENCODING", "key:500"]),
        "embstr"
    );
    assert_eq!(keys(&mut c, "key:99?").len(), 10);
    assert_eq!(run::<String>(&mut c, &["DEBUG", "POPULATE", "0"]), "OK");
    assert_eq!(dbsize(&mut c), 1000);
    // Into the selected database.
    select(&mut c, "2");
    assert_eq!(run::<String>(&mut c, &["DEBUG", "POPULATE", "3"]), "OK");
    assert_eq!(keys(&mut c, "*"), strings(&["key:0", "key:1", "key:2"]));
}

#[test]
fn debug_populate_with_prefix_and_size() {
    let server = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = server.connect();
    assert_eq!(
        run::<String>(&mut c, &["DEBUG", "POPULATE", "10", "k", "20"]),
        "OK"
    );
    assert_eq!(dbsize(&mut c), 10);
    // Padded with zero bytes to the size.
    assert_eq!(
        run::<Vec<u8>>(&mut c, &["GET", "k:3"]),
        b"value:3\0\0\0\0\0\0\0\0\0\0\0\0\0"
    );
    assert_eq!(run::<i64>(&mut c, &["STRLEN", "k:9"]), 20);
    // ... or cut to it; 0 means the plain value.
    let _: String = run(&mut c, &["DEBUG", "POPULATE", "3", "t", "3"]);
    assert_eq!(get(&mut c, "t:2").as_deref(), Some("val"));
    let _: String = run(&mut c, &["DEBUG", "POPULATE", "3", "z", "0"]);
    assert_eq!(get(&mut c, "z:1").as_deref(), Some("value:1"));
    // An empty prefix still gets its colon.
    let _: String = run(&mut c, &["DEBUG", "POPULATE", "2", ""]);
    assert_eq!(keys(&mut c, ":*"), strings(&[":0", ":1"]));
    assert_eq!(dbsize(&mut c), 18);
}

#[test]
fn debug_populate_leaves_existing_keys_alone() {
    let server = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "key:5", "mine", "EX", "100"]);
    let _: i64 = run(&mut c, &["RPUSH", "key:7", "a"]);
    let _: String = run(&mut c, &["DEBUG", "POPULATE", "10"]);
    assert_eq!(dbsize(&mut c), 10);
    assert_eq!(get(&mut c, "key:5").as_deref(), Some("mine"));
    assert_eq!(ttl(&mut c, "key:5"), 100);
    assert_eq!(run::<String>(&mut c, &["TYPE", "key:7"]), "list");
    assert_eq!(get(&mut c, "key:6").as_deref(), Some("value:6"));
    // Populating again only adds the keys past the old count.
    let _: String = run(&mut c, &["SET", "key:0", "changed"]);
    let _: String = run(&mut c, &["DEBUG", "POPULATE", "12"]);
    assert_eq!(dbsize(&mut c), 12);
    assert_eq!(get(&mut c, "key:0").as_deref(), Some("changed"));
    assert_eq!(get(&mut c, "key:11").as_deref(), Some("value:11"));
}

#[test]
fn debug_populate_errors() {
    let server = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut c = server.connect();
    for args in [
        &["DEBUG", "POPULATE", "-1"][..],
        &["DEBUG", "POPULATE", "abc"],
        &["DEBUG", "POPULATE", "3", "y", "-1"],
        &["DEBUG", "POPULATE", "3", "y", "abc"],
    ] {
        assert_err(&mut c, args, NOT_POSITIVE);
    }
    assert_err(
        &mut c,
        &["DEBUG", "POPULATE"],
        "ERR unknown subcommand or wrong number of arguments for 'POPULATE'. Try DEBUG HELP.",
    );
    assert_err(
        &mut c,
        &["DEBUG", "POPULATE", "1", "2", "3", "4"],
        "ERR unknown subcommand or wrong number of arguments for 'POPULATE'. Try DEBUG HELP.",
    );
    assert_eq!(dbsize(&mut c), 0);
}

#[test]
fn debug_is_refused_unless_enabled() {
    let refused = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_err(&mut c, &["DEBUG", "POPULATE", "10"], refused);
    assert_eq!(dbsize(&mut c), 0);
    let server = TestServer::start(&["--enable-debug-command", "no"]);
    let mut c = server.connect();
    assert_err(&mut c, &["DEBUG", "POPULATE", "10"], refused);
    // "local" allows it over loopback, which is how tests connect.
    let server = TestServer::start(&["--enable-debug-command", "local"]);
    let mut c = server.connect();
    assert_eq!(run::<String>(&mut c, &["DEBUG", "POPULATE", "10"]), "OK");
    assert_eq!(dbsize(&mut c), 10);
}

#[test]
fn expiretime_rounds_to_the_nearest_second() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "v"]);
    for (at_ms, want) in [
        ("33177600000499", 33_177_600_000),
        ("33177600000500", 33_177_600_001),
        ("33177600000999", 33_177_600_001),
    ] {
        let _: i64 = run(&mut c, &["PEXPIREAT", "k", at_ms]);
        assert_eq!(run::<i64>(&mut c, &["EXPIRETIME", "k"]), want, "{at_ms}");
    }
}
