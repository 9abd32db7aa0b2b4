//! Set commands through the redis crate: SADD/SREM and membership, SPOP/SRANDMEMBER
//! invariants, SMOVE, SINTER/SUNION/SDIFF and their STORE forms, SINTERCARD, SSCAN, errors,
//! WRONGTYPE, key lifecycle and the intset / listpack / hashtable encodings.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use redis::{Connection, Value};
use zedis_tests::error_tail::{NOT_INTEGER, assert_err, assert_wrongtype};
use zedis_tests::{TestServer, encoding, exists, run};

/// A set-valued reply (or SMEMBERS of `key`) as a sorted set, for order-free comparisons.
fn sorted(connection: &mut Connection, args: &[&str]) -> BTreeSet<String> {
    let members: Vec<String> = run(connection, args);
    let set: BTreeSet<String> = members.iter().cloned().collect();
    assert_eq!(set.len(), members.len(), "{args:?} repeated a member");
    set
}

fn members(connection: &mut Connection, key: &str) -> BTreeSet<String> {
    sorted(connection, &["SMEMBERS", key])
}

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn sadd(connection: &mut Connection, key: &str, items: &[&str]) -> i64 {
    let mut args = vec!["SADD", key];
    args.extend_from_slice(items);
    run(connection, &args)
}

#[test]
fn sadd_srem_and_membership() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_eq!(sadd(&mut c, "s", &["3", "1", "2"]), 3);
    assert_eq!(sadd(&mut c, "s", &["2", "3", "4", "4"]), 1);
    // An intset replies in numeric order.
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "s"]);
    assert_eq!(got, ["1", "2", "3", "4"]);
    let card: i64 = run(&mut c, &["SCARD", "s"]);
    assert_eq!(card, 4);
    let card: i64 = run(&mut c, &["SCARD", "nosuch"]);
    assert_eq!(card, 0);
    for (key, member, want) in [("s", "1", 1), ("s", "9", 0), ("nosuch", "1", 0)] {
        let got: i64 = run(&mut c, &["SISMEMBER", key, member]);
        assert_eq!(got, want, "SISMEMBER {key} {member}");
    }
    let got: Vec<i64> = run(&mut c, &["SMISMEMBER", "s", "1", "9", "4", "1"]);
    assert_eq!(got, [1, 0, 1, 1]);
    let got: Vec<i64> = run(&mut c, &["SMISMEMBER", "nosuch", "a", "b"]);
    assert_eq!(got, [0, 0]);
    let got: Value = run(&mut c, &["SMEMBERS", "nosuch"]);
    assert_eq!(got, Value::Array(vec![]));

    let removed: i64 = run(&mut c, &["SREM", "s", "1", "9", "1"]);
    assert_eq!(removed, 1);
    let removed: i64 = run(&mut c, &["SREM", "s", "9"]);
    assert_eq!(removed, 0);
    let removed: i64 = run(&mut c, &["SREM", "nosuch", "1"]);
    assert_eq!(removed, 0);
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "s"]);
    assert_eq!(got, ["2", "3", "4"]);

    // Members are strings: differently written numbers are different members.
    assert_eq!(sadd(&mut c, "leading", &[" 1", "1.0", "+1", "1", "01"]), 5);
    let card: i64 = run(&mut c, &["SCARD", "leading"]);
    assert_eq!(card, 5);
    let got: Vec<i64> = run(&mut c, &["SMISMEMBER", "leading", "1", "01", "001"]);
    assert_eq!(got, [1, 1, 0]);

    for (args, name) in [
        (&["SADD", "s"][..], "sadd"),
        (&["SADD"], "sadd"),
        (&["SREM", "s"], "srem"),
        (&["SCARD", "s", "extra"], "scard"),
        (&["SISMEMBER", "s"], "sismember"),
        (&["SMISMEMBER", "s"], "smismember"),
        (&["SMEMBERS", "s", "extra"], "smembers"),
    ] {
        assert_err(
            &mut c,
            args,
            &format!("wrong number of arguments for '{name}' command"),
        );
    }

    // Removing the last member deletes the key.
    let removed: i64 = run(&mut c, &["SREM", "s", "2", "3", "4"]);
    assert_eq!(removed, 3);
    assert_eq!(exists(&mut c, "s"), 0);
}

#[test]
fn integer_members_keep_their_exact_values() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let ints = [
        "-5",
        "9223372036854775807",
        "-9223372036854775808",
        "0",
        "100",
        "-100",
        "70000",
        "-2147483649",
    ];
    assert_eq!(sadd(&mut c, "ints", &ints), 8);
    assert_eq!(encoding(&mut c, "ints"), "intset");
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "ints"]);
    assert_eq!(
        got,
        [
            "-9223372036854775808",
            "-2147483649",
            "-100",
            "-5",
            "0",
            "100",
            "70000",
            "9223372036854775807"
        ]
    );
    let got: i64 = run(&mut c, &["SISMEMBER", "ints", "-9223372036854775808"]);
    assert_eq!(got, 1);
    // Just past the i64 range is a string member.
    assert_eq!(sadd(&mut c, "ints", &["9223372036854775808"]), 1);
    assert_ne!(encoding(&mut c, "ints"), "intset");
    let got: i64 = run(&mut c, &["SISMEMBER", "ints", "9223372036854775808"]);
    assert_eq!(got, 1);
    let got: i64 = run(&mut c, &["SISMEMBER", "ints", "70000"]);
    assert_eq!(got, 1);
    let mut expected = set_of(&ints);
    expected.insert("9223372036854775808".to_string());
    assert_eq!(members(&mut c, "ints"), expected);
}

#[test]
fn binary_members_round_trip() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let items: [&[u8]; 4] = [b"a\x00b", b"", b"\xff", b"\r\n"];
    let added: i64 = redis::cmd("SADD")
        .arg("bin")
        .arg(&items[..])
        .query(&mut c)
        .unwrap();
    assert_eq!(added, 4);
    for item in items {
        let got: i64 = redis::cmd("SISMEMBER")
            .arg("bin")
            .arg(item)
            .query(&mut c)
            .unwrap();
        assert_eq!(got, 1);
    }
    let got: Vec<Vec<u8>> = run(&mut c, &["SMEMBERS", "bin"]);
    let got: BTreeSet<Vec<u8>> = got.into_iter().collect();
    let expected: BTreeSet<Vec<u8>> = items.iter().map(|i| i.to_vec()).collect();
    assert_eq!(got, expected);
}

/// Checks SRANDMEMBER's invariants on `key`, whose members are `all` (at least 2).
fn check_srandmember(c: &mut Connection, key: &str, all: &BTreeSet<String>) {
    let size = all.len();
    let one: String = run(c, &["SRANDMEMBER", key]);
    assert!(all.contains(&one));
    for count in [1, 2, size / 2, size - 1] {
        let got: Vec<String> = run(c, &["SRANDMEMBER", key, &count.to_string()]);
        assert_eq!(got.len(), count);
        let distinct: HashSet<&String> = got.iter().collect();
        assert_eq!(
            distinct.len(),
            count,
            "positive counts are distinct: {got:?}"
        );
        assert!(got.iter().all(|m| all.contains(m)), "{got:?}");
    }
    for count in [size, size + 1, 10 * size] {
        assert_eq!(&sorted(c, &["SRANDMEMBER", key, &count.to_string()]), all);
    }
    let picks = 3 * size + 1;
    let got: Vec<String> = run(c, &["SRANDMEMBER", key, &format!("-{picks}")]);
    assert_eq!(got.len(), picks);
    assert!(got.iter().all(|m| all.contains(m)));
    let distinct: HashSet<&String> = got.iter().collect();
    assert!(distinct.len() < picks, "negative counts repeat members");
    let got: Value = run(c, &["SRANDMEMBER", key, "0"]);
    assert_eq!(got, Value::Array(vec![]));
    // Reading never changes the set.
    assert_eq!(&members(c, key), all);
}

#[test]
fn srandmember_on_every_encoding() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let ints: Vec<String> = (0..20).map(|i| (i * 7).to_string()).collect();
    let strings: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    let large: Vec<String> = (0..300).map(|i| format!("member:{i}")).collect();
    for (key, items, want) in [
        ("ints", &ints, "intset"),
        ("strings", &strings, "listpack"),
        ("large", &large, "hashtable"),
    ] {
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        assert_eq!(sadd(&mut c, key, &refs), items.len() as i64);
        // Small string sets are listpacks as in Redis 7.2 (7.0 says hashtable).
        assert_eq!(encoding(&mut c, key), want, "{key}");
        check_srandmember(&mut c, key, &set_of(&refs));
    }
    let got: Value = run(&mut c, &["SRANDMEMBER", "nosuch"]);
    assert_eq!(got, Value::Nil);
    for count in ["5", "-5"] {
        let got: Value = run(&mut c, &["SRANDMEMBER", "nosuch", count]);
        assert_eq!(got, Value::Array(vec![]));
    }
    // A single member set.
    let _: i64 = run(&mut c, &["SADD", "one", "x"]);
    let got: Vec<String> = run(&mut c, &["SRANDMEMBER", "one", "3"]);
    assert_eq!(got, ["x"]);
    let got: Vec<String> = run(&mut c, &["SRANDMEMBER", "one", "-3"]);
    assert_eq!(got, ["x", "x", "x"]);

    assert_err(&mut c, &["SRANDMEMBER", "ints", "abc"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["SRANDMEMBER", "ints", "-9223372036854775808"],
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    assert_err(&mut c, &["SRANDMEMBER", "ints", "1", "2"], "syntax error");
}

/// Pops from `key` (members `all`) in several ways and checks nothing is lost or repeated.
fn check_spop(c: &mut Connection, key: &str, all: &BTreeSet<String>) {
    let mut popped: Vec<String> = Vec::new();
    let one: String = run(c, &["SPOP", key]);
    popped.push(one);
    let got: Vec<String> = run(c, &["SPOP", key, "1"]);
    assert_eq!(got.len(), 1);
    popped.extend(got);
    let got: Vec<String> = run(c, &["SPOP", key, "5"]);
    assert_eq!(got.len(), 5);
    popped.extend(got);
    let got: Value = run(c, &["SPOP", key, "0"]);
    assert_eq!(got, Value::Array(vec![]));
    let left: i64 = run(c, &["SCARD", key]);
    assert_eq!(left as usize, all.len() - 7);
    for member in &popped {
        let found: i64 = run(c, &["SISMEMBER", key, member]);
        assert_eq!(found, 0, "{member} was popped");
    }
    // A count of at least the size pops the rest and deletes the key.
    let rest: Vec<String> = run(c, &["SPOP", key, &(all.len() * 2).to_string()]);
    assert_eq!(rest.len(), all.len() - 7);
    popped.extend(rest);
    assert_eq!(exists(c, key), 0);
    let distinct: BTreeSet<String> = popped.iter().cloned().collect();
    assert_eq!(distinct.len(), popped.len(), "a member was popped twice");
    assert_eq!(&distinct, all);
}

#[test]
fn spop_removes_what_it_returns_on_every_encoding() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let ints: Vec<String> = (0..30).map(|i| (i * 3 - 40).to_string()).collect();
    let strings: Vec<String> = (0..30).map(|i| format!("s{i}")).collect();
    let large: Vec<String> = (0..400).map(|i| format!("member:{i}")).collect();
    for (key, items) in [("ints", &ints), ("strings", &strings), ("large", &large)] {
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        let _: i64 = sadd(&mut c, key, &refs);
        check_spop(&mut c, key, &set_of(&refs));
    }

    let _: i64 = run(&mut c, &["SADD", "one", "x"]);
    let got: String = run(&mut c, &["SPOP", "one"]);
    assert_eq!(got, "x");
    assert_eq!(exists(&mut c, "one"), 0);
    let got: Value = run(&mut c, &["SPOP", "nosuch"]);
    assert_eq!(got, Value::Nil);
    let got: Value = run(&mut c, &["SPOP", "nosuch", "3"]);
    assert_eq!(got, Value::Array(vec![]));

    let _: i64 = run(&mut c, &["SADD", "r", "1", "2"]);
    let positive = "value is out of range, must be positive";
    assert_err(&mut c, &["SPOP", "r", "-1"], positive);
    assert_err(&mut c, &["SPOP", "r", "abc"], positive);
    assert_err(&mut c, &["SPOP", "r", "1", "2"], "syntax error");
    assert_err(
        &mut c,
        &["SPOP"],
        "wrong number of arguments for 'spop' command",
    );
    assert_eq!(members(&mut c, "r"), set_of(&["1", "2"]));
}

#[test]
fn smove_between_sets() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = sadd(&mut c, "from", &["1", "2", "a"]);
    let _: i64 = sadd(&mut c, "to", &["3"]);
    let moved: i64 = run(&mut c, &["SMOVE", "from", "to", "1"]);
    assert_eq!(moved, 1);
    let moved: i64 = run(&mut c, &["SMOVE", "from", "to", "1"]);
    assert_eq!(moved, 0);
    let moved: i64 = run(&mut c, &["SMOVE", "from", "to", "9"]);
    assert_eq!(moved, 0);
    let moved: i64 = run(&mut c, &["SMOVE", "nosuch", "to", "1"]);
    assert_eq!(moved, 0);
    assert_eq!(exists(&mut c, "nosuch"), 0);
    // Same source and destination: 1 if the member is there, and nothing changes.
    let moved: i64 = run(&mut c, &["SMOVE", "from", "from", "2"]);
    assert_eq!(moved, 1);
    let moved: i64 = run(&mut c, &["SMOVE", "from", "from", "9"]);
    assert_eq!(moved, 0);
    assert_eq!(members(&mut c, "from"), set_of(&["2", "a"]));
    // A member already in the destination still leaves the source.
    let _: i64 = sadd(&mut c, "to", &["2"]);
    let moved: i64 = run(&mut c, &["SMOVE", "from", "to", "2"]);
    assert_eq!(moved, 1);
    let moved: i64 = run(&mut c, &["SMOVE", "from", "newdst", "a"]);
    assert_eq!(moved, 1);
    assert_eq!(exists(&mut c, "from"), 0);
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "to"]);
    assert_eq!(got, ["1", "2", "3"]);
    assert_eq!(encoding(&mut c, "to"), "intset");
    assert_eq!(members(&mut c, "newdst"), set_of(&["a"]));

    let _: () = run(&mut c, &["SET", "str", "v"]);
    let _: i64 = sadd(&mut c, "okset", &["1"]);
    assert_wrongtype(&mut c, &["SMOVE", "okset", "str", "1"]);
    assert_wrongtype(&mut c, &["SMOVE", "str", "okset", "v"]);
    assert_eq!(members(&mut c, "okset"), set_of(&["1"]));
    let got: String = run(&mut c, &["GET", "str"]);
    assert_eq!(got, "v");
    assert_err(
        &mut c,
        &["SMOVE", "to", "x"],
        "wrong number of arguments for 'smove' command",
    );
}

#[test]
fn sinter_sunion_and_sdiff() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = sadd(&mut c, "s1", &["1", "2", "3", "4", "5"]);
    let _: i64 = sadd(&mut c, "s2", &["4", "5", "6", "7"]);
    let _: i64 = sadd(&mut c, "s3", &["5", "7", "9"]);
    let _: i64 = sadd(&mut c, "t1", &["a", "b", "c", "d"]);
    let _: i64 = sadd(&mut c, "t2", &["c", "d", "e"]);
    let cases: &[(&[&str], &[&str])] = &[
        (&["SINTER", "s1", "s2"], &["4", "5"]),
        (&["SINTER", "s1", "s2", "s3"], &["5"]),
        (&["SINTER", "s1", "nosuch"], &[]),
        (&["SINTER", "nosuch", "s1"], &[]),
        (&["SINTER", "s1"], &["1", "2", "3", "4", "5"]),
        (&["SINTER", "t1", "t2"], &["c", "d"]),
        (&["SINTER", "t1", "s1"], &[]),
        (&["SINTER", "s1", "s1"], &["1", "2", "3", "4", "5"]),
        (
            &["SUNION", "s1", "s2"],
            &["1", "2", "3", "4", "5", "6", "7"],
        ),
        (
            &["SUNION", "s1", "s2", "s3", "nosuch"],
            &["1", "2", "3", "4", "5", "6", "7", "9"],
        ),
        (&["SUNION", "nosuch"], &[]),
        (
            &["SUNION", "t1", "t2", "s3"],
            &["a", "b", "c", "d", "e", "5", "7", "9"],
        ),
        (&["SDIFF", "s1", "s2"], &["1", "2", "3"]),
        (&["SDIFF", "s1", "s2", "s3"], &["1", "2", "3"]),
        (&["SDIFF", "s2", "s1"], &["6", "7"]),
        (&["SDIFF", "s2", "s1", "s3"], &["6"]),
        (&["SDIFF", "s1", "nosuch"], &["1", "2", "3", "4", "5"]),
        (&["SDIFF", "nosuch", "s1"], &[]),
        (&["SDIFF", "s1", "s1"], &[]),
        (&["SDIFF", "t1", "t2"], &["a", "b"]),
        (&["SDIFF", "t1", "s1"], &["a", "b", "c", "d"]),
    ];
    for (args, want) in cases {
        assert_eq!(sorted(&mut c, args), set_of(want), "{args:?}");
    }
    // Results from intsets come out in numeric order.
    let got: Vec<String> = run(&mut c, &["SUNION", "s3", "s1"]);
    assert_eq!(got, ["1", "2", "3", "4", "5", "7", "9"]);
    for name in ["sinter", "sunion", "sdiff"] {
        assert_err(
            &mut c,
            &[name],
            &format!("wrong number of arguments for '{name}' command"),
        );
    }
}

#[test]
fn store_forms_replace_or_delete_the_destination() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = sadd(&mut c, "s1", &["1", "2", "3", "4", "5"]);
    let _: i64 = sadd(&mut c, "s2", &["4", "5", "6", "7"]);
    let _: i64 = sadd(&mut c, "s3", &["5", "7", "9"]);
    let _: i64 = sadd(&mut c, "t1", &["a", "b", "c", "d"]);
    let _: i64 = sadd(&mut c, "t2", &["c", "d", "e"]);

    let size: i64 = run(&mut c, &["SINTERSTORE", "d", "s1", "s2"]);
    assert_eq!(size, 2);
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "d"]);
    assert_eq!(got, ["4", "5"]);
    assert_eq!(encoding(&mut c, "d"), "intset");
    let size: i64 = run(&mut c, &["SINTERSTORE", "d", "t1", "t2"]);
    assert_eq!(size, 2);
    assert_eq!(members(&mut c, "d"), set_of(&["c", "d"]));
    // An empty result deletes the destination.
    let size: i64 = run(&mut c, &["SINTERSTORE", "d", "s1", "t1"]);
    assert_eq!(size, 0);
    assert_eq!(exists(&mut c, "d"), 0);
    let size: i64 = run(&mut c, &["SINTERSTORE", "s1copy", "s1"]);
    assert_eq!(size, 5);
    assert_eq!(members(&mut c, "s1copy"), members(&mut c, "s1"));

    let size: i64 = run(&mut c, &["SUNIONSTORE", "d", "s1", "s2"]);
    assert_eq!(size, 7);
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "d"]);
    assert_eq!(got, ["1", "2", "3", "4", "5", "6", "7"]);
    let size: i64 = run(&mut c, &["SUNIONSTORE", "d", "t1", "s3"]);
    assert_eq!(size, 7);
    assert_eq!(
        members(&mut c, "d"),
        set_of(&["a", "b", "c", "d", "5", "7", "9"])
    );
    let size: i64 = run(&mut c, &["SUNIONSTORE", "d", "nosuch"]);
    assert_eq!(size, 0);
    assert_eq!(exists(&mut c, "d"), 0);

    let size: i64 = run(&mut c, &["SDIFFSTORE", "d", "s1", "s2", "s3"]);
    assert_eq!(size, 3);
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "d"]);
    assert_eq!(got, ["1", "2", "3"]);
    let size: i64 = run(&mut c, &["SDIFFSTORE", "d", "s1", "s1"]);
    assert_eq!(size, 0);
    assert_eq!(exists(&mut c, "d"), 0);
    let size: i64 = run(&mut c, &["SDIFFSTORE", "d", "t1", "t2"]);
    assert_eq!(size, 2);
    assert_eq!(members(&mut c, "d"), set_of(&["a", "b"]));

    // A destination of another type is replaced; a source of another type is an error.
    let _: () = run(&mut c, &["SET", "dststr", "v"]);
    let size: i64 = run(&mut c, &["SINTERSTORE", "dststr", "s1", "s2"]);
    assert_eq!(size, 2);
    let kind: String = run(&mut c, &["TYPE", "dststr"]);
    assert_eq!(kind, "set");
    let _: () = run(&mut c, &["SET", "str", "v"]);
    assert_wrongtype(&mut c, &["SINTERSTORE", "d", "s1", "str"]);
    assert_wrongtype(&mut c, &["SUNIONSTORE", "d", "s1", "str"]);
    assert_wrongtype(&mut c, &["SDIFFSTORE", "d", "s1", "str"]);
    assert_eq!(members(&mut c, "d"), set_of(&["a", "b"]));
    // The destination may be one of the sources.
    let size: i64 = run(&mut c, &["SUNIONSTORE", "s1", "s1", "s2"]);
    assert_eq!(size, 7);
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "s1"]);
    assert_eq!(got, ["1", "2", "3", "4", "5", "6", "7"]);
    let size: i64 = run(&mut c, &["SDIFFSTORE", "s1", "s1", "s3"]);
    assert_eq!(size, 5);
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "s1"]);
    assert_eq!(got, ["1", "2", "3", "4", "6"]);

    for name in ["sinterstore", "sunionstore", "sdiffstore"] {
        assert_err(
            &mut c,
            &[name, "d"],
            &format!("wrong number of arguments for '{name}' command"),
        );
    }
}

#[test]
fn sintercard_with_limit() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = sadd(&mut c, "s1", &["1", "2", "3", "4", "5"]);
    let _: i64 = sadd(&mut c, "s2", &["3", "4", "5", "6", "7"]);
    let _: i64 = sadd(&mut c, "s3", &["5", "7", "9"]);
    let _: i64 = sadd(&mut c, "t1", &["a", "b", "c", "d"]);
    let _: i64 = sadd(&mut c, "t2", &["c", "d", "e"]);
    let cases: &[(&[&str], i64)] = &[
        (&["SINTERCARD", "2", "s1", "s2"], 3),
        (&["SINTERCARD", "3", "s1", "s2", "s3"], 1),
        (&["SINTERCARD", "2", "s1", "s2", "LIMIT", "2"], 2),
        (&["SINTERCARD", "2", "s1", "s2", "LIMIT", "0"], 3),
        (&["SINTERCARD", "2", "s1", "s2", "limit", "100"], 3),
        (&["SINTERCARD", "2", "s1", "nosuch"], 0),
        (&["SINTERCARD", "1", "t1"], 4),
        (&["SINTERCARD", "2", "t1", "t2"], 2),
        (&["SINTERCARD", "2", "t1", "t2", "LIMIT", "1"], 1),
        (&["SINTERCARD", "1", "nosuch"], 0),
        (
            &["SINTERCARD", "2", "s1", "s2", "LIMIT", "1", "LIMIT", "3"],
            3,
        ),
    ];
    for (args, want) in cases {
        let got: i64 = run(&mut c, args);
        assert_eq!(got, *want, "{args:?}");
    }
    let numkeys = "numkeys should be greater than 0";
    assert_err(&mut c, &["SINTERCARD", "0", "s1"], numkeys);
    assert_err(&mut c, &["SINTERCARD", "-1", "s1"], numkeys);
    assert_err(&mut c, &["SINTERCARD", "abc", "s1"], numkeys);
    assert_err(
        &mut c,
        &["SINTERCARD", "3", "s1", "s2"],
        "Number of keys can't be greater than number of args",
    );
    assert_err(
        &mut c,
        &["SINTERCARD", "2", "s1", "s2", "LIMIT", "-1"],
        "LIMIT can't be negative",
    );
    assert_err(
        &mut c,
        &["SINTERCARD", "2", "s1", "s2", "LIMIT", "abc"],
        "LIMIT can't be negative",
    );
    assert_err(
        &mut c,
        &["SINTERCARD", "2", "s1", "s2", "LIMIT"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["SINTERCARD", "2", "s1", "s2", "FOO", "1"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["SINTERCARD", "1"],
        "wrong number of arguments for 'sintercard' command",
    );
}

#[test]
fn sscan_of_small_sets_and_its_errors() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = sadd(&mut c, "ints", &["5", "40", "4", "6", "7"]);
    let _: i64 = sadd(&mut c, "strs", &["a", "b", "c", "ab"]);
    let (cursor, items): (String, Vec<String>) = run(&mut c, &["SSCAN", "ints", "0"]);
    assert_eq!(cursor, "0");
    assert_eq!(items, ["4", "5", "6", "7", "40"]);
    let (cursor, items): (String, Vec<String>) = run(&mut c, &["SSCAN", "ints", "0", "COUNT", "1"]);
    assert_eq!(cursor, "0");
    assert_eq!(items.len(), 5);
    let (_, items): (String, Vec<String>) = run(&mut c, &["SSCAN", "ints", "0", "MATCH", "4*"]);
    assert_eq!(items, ["4", "40"]);
    let (cursor, items): (String, Vec<String>) = run(&mut c, &["SSCAN", "strs", "0"]);
    assert_eq!(cursor, "0");
    let items: BTreeSet<String> = items.into_iter().collect();
    assert_eq!(items, set_of(&["a", "b", "c", "ab"]));
    let (_, items): (String, Vec<String>) = run(
        &mut c,
        &["SSCAN", "strs", "0", "MATCH", "[ab]", "COUNT", "1000"],
    );
    let items: BTreeSet<String> = items.into_iter().collect();
    assert_eq!(items, set_of(&["a", "b"]));
    let (cursor, items): (String, Vec<String>) = run(&mut c, &["SSCAN", "nosuch", "0"]);
    assert_eq!(cursor, "0");
    assert!(items.is_empty());

    // A whole intset of 500 members comes back in one step.
    let many: Vec<String> = (0..500).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let _: i64 = sadd(&mut c, "manyints", &refs);
    assert_eq!(encoding(&mut c, "manyints"), "intset");
    let (cursor, items): (String, Vec<String>) =
        run(&mut c, &["SSCAN", "manyints", "0", "COUNT", "10"]);
    assert_eq!(cursor, "0");
    assert_eq!(items, many);

    assert_err(&mut c, &["SSCAN", "ints", "abc"], "invalid cursor");
    assert_err(
        &mut c,
        &["SSCAN", "ints", "0", "COUNT", "0"],
        "syntax error",
    );
    assert_err(&mut c, &["SSCAN", "ints", "0", "COUNT", "x"], NOT_INTEGER);
    assert_err(&mut c, &["SSCAN", "ints", "0", "MATCH"], "syntax error");
    assert_err(&mut c, &["SSCAN", "ints", "0", "NOVALUES"], "syntax error");
    assert_err(
        &mut c,
        &["SSCAN", "ints"],
        "wrong number of arguments for 'sscan' command",
    );
}

#[test]
fn sscan_of_a_large_set_returns_every_member() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    const N: usize = 10_000;
    let mut pipe = redis::pipe();
    for i in 0..N {
        pipe.cmd("SADD").arg("big").arg(format!("m{i}")).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let card: i64 = run(&mut c, &["SCARD", "big"]);
    assert_eq!(card, N as i64);
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    let mut seen: HashSet<String> = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, items): (String, Vec<String>) =
            run(&mut c, &["SSCAN", "big", &cursor, "COUNT", "100"]);
        seen.extend(items);
        calls += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
        assert!(calls < 1_000, "SSCAN did not finish");
    }
    assert!(calls > 1);
    let expected: HashSet<String> = (0..N).map(|i| format!("m{i}")).collect();
    assert_eq!(seen, expected);

    // Large integer sets too, once they outgrow the intset.
    let mut pipe = redis::pipe();
    for chunk in (0..N as i64).collect::<Vec<_>>().chunks(1000) {
        pipe.cmd("SADD").arg("bigints").arg(chunk).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    assert_eq!(encoding(&mut c, "bigints"), "hashtable");
    let mut seen: HashSet<i64> = HashSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..1_000 {
        let (next, items): (String, Vec<i64>) =
            run(&mut c, &["SSCAN", "bigints", &cursor, "COUNT", "200"]);
        seen.extend(items);
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(cursor, "0");
    assert_eq!(seen, (0..N as i64).collect::<HashSet<_>>());
}

#[test]
fn set_commands_reject_other_types() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: () = run(&mut c, &["SET", "str", "v"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    let _: i64 = run(&mut c, &["HSET", "hash", "f", "v"]);
    let _: i64 = run(&mut c, &["ZADD", "zset", "1", "m"]);
    let _: i64 = sadd(&mut c, "s1", &["1", "2"]);
    for key in ["str", "list", "hash", "zset"] {
        let commands: &[&[&str]] = &[
            &["SADD", key, "a"],
            &["SREM", key, "a"],
            &["SMEMBERS", key],
            &["SISMEMBER", key, "a"],
            &["SMISMEMBER", key, "a"],
            &["SCARD", key],
            &["SPOP", key],
            &["SPOP", key, "2"],
            &["SRANDMEMBER", key],
            &["SRANDMEMBER", key, "-2"],
            &["SMOVE", key, "s1", "a"],
            &["SMOVE", "s1", key, "1"],
            &["SINTER", "s1", key],
            &["SINTER", "nosuch", key],
            &["SUNION", "s1", key],
            &["SDIFF", "s1", key],
            &["SDIFF", "nosuch", key],
            &["SINTERCARD", "2", "s1", key],
            &["SINTERSTORE", "d", "s1", key],
            &["SUNIONSTORE", "d", key],
            &["SDIFFSTORE", "d", "s1", key],
            &["SSCAN", key, "0"],
        ];
        for args in commands {
            assert_wrongtype(&mut c, args);
        }
    }
    assert_eq!(exists(&mut c, "d"), 0);
    assert_eq!(members(&mut c, "s1"), set_of(&["1", "2"]));
}

#[test]
fn type_scan_copy_and_rename_of_a_set() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = sadd(&mut c, "set1", &["a", "b"]);
    let _: i64 = sadd(&mut c, "set2", &["1", "2", "3"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    let _: i64 = run(&mut c, &["ZADD", "zset", "1", "a"]);
    let kind: String = run(&mut c, &["TYPE", "set1"]);
    assert_eq!(kind, "set");
    let (cursor, mut keys): (u64, Vec<String>) =
        run(&mut c, &["SCAN", "0", "TYPE", "set", "COUNT", "1000"]);
    assert_eq!(cursor, 0);
    keys.sort();
    assert_eq!(keys, ["set1", "set2"]);

    for source in ["set1", "set2"] {
        let copy = format!("{source}-copy");
        let copied: i64 = run(&mut c, &["COPY", source, &copy]);
        assert_eq!(copied, 1);
        assert_eq!(members(&mut c, &copy), members(&mut c, source));
        assert_eq!(encoding(&mut c, &copy), encoding(&mut c, source));
    }
    let _: i64 = sadd(&mut c, "set1-copy", &["c"]);
    let _: i64 = run(&mut c, &["SREM", "set1-copy", "a"]);
    let _: i64 = run(&mut c, &["SPOP", "set2-copy"]);
    assert_eq!(members(&mut c, "set1"), set_of(&["a", "b"]));
    assert_eq!(members(&mut c, "set1-copy"), set_of(&["b", "c"]));
    assert_eq!(members(&mut c, "set2"), set_of(&["1", "2", "3"]));
    let card: i64 = run(&mut c, &["SCARD", "set2-copy"]);
    assert_eq!(card, 2);

    let ok: String = run(&mut c, &["RENAME", "set2", "renamed"]);
    assert_eq!(ok, "OK");
    assert_eq!(exists(&mut c, "set2"), 0);
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "renamed"]);
    assert_eq!(got, ["1", "2", "3"]);
    assert_eq!(encoding(&mut c, "renamed"), "intset");
}

#[test]
fn intset_converts_to_hashtable_by_entries_and_never_back() {
    let server = TestServer::start(&["--set-max-intset-entries", "4"]);
    let mut c = server.connect();
    let _: i64 = sadd(&mut c, "e", &["1", "2", "3", "4"]);
    assert_eq!(encoding(&mut c, "e"), "intset");
    // Re-adding a member does not grow the set.
    assert_eq!(sadd(&mut c, "e", &["4"]), 0);
    assert_eq!(encoding(&mut c, "e"), "intset");
    let _: i64 = sadd(&mut c, "e", &["5"]);
    assert_eq!(encoding(&mut c, "e"), "hashtable");
    assert_eq!(members(&mut c, "e"), set_of(&["1", "2", "3", "4", "5"]));
    let removed: i64 = run(&mut c, &["SREM", "e", "1", "2", "3", "4"]);
    assert_eq!(removed, 4);
    assert_eq!(encoding(&mut c, "e"), "hashtable");
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "e"]);
    assert_eq!(got, ["5"]);
    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "set-max-intset-entries"]);
    assert_eq!(config, ["set-max-intset-entries", "4"]);

    // A new set sized for more integers than an intset holds starts as a listpack, as in
    // Redis 7.2 (7.0 makes a hashtable).
    let _: i64 = sadd(&mut c, "multi", &["1", "2", "3", "4", "5", "6"]);
    assert_eq!(encoding(&mut c, "multi"), "listpack");

    // Stores build a new set: a small integer result is an intset again, whatever the
    // sources' encoding.
    let size: i64 = run(&mut c, &["SINTERSTORE", "inter", "e", "multi"]);
    assert_eq!(size, 1);
    assert_eq!(encoding(&mut c, "inter"), "intset");
    let size: i64 = run(&mut c, &["SDIFFSTORE", "diff", "multi", "e"]);
    assert_eq!(size, 5);
    assert_eq!(encoding(&mut c, "diff"), "hashtable");
    let size: i64 = run(&mut c, &["SDIFFSTORE", "diff", "multi", "e", "diff"]);
    assert_eq!(size, 0);
    let _: i64 = sadd(&mut c, "small", &["7", "8"]);
    let size: i64 = run(&mut c, &["SUNIONSTORE", "union", "small", "e"]);
    assert_eq!(size, 3);
    assert_eq!(encoding(&mut c, "union"), "intset");
    let got: Vec<String> = run(&mut c, &["SMEMBERS", "union"]);
    assert_eq!(got, ["5", "7", "8"]);
    // SMOVE into a new key creates an intset for an integer member.
    let moved: i64 = run(&mut c, &["SMOVE", "multi", "moved", "6"]);
    assert_eq!(moved, 1);
    assert_eq!(encoding(&mut c, "moved"), "intset");
}

#[test]
fn a_string_member_converts_an_intset() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = sadd(&mut c, "s", &["1", "2", "3"]);
    assert_eq!(encoding(&mut c, "s"), "intset");
    let _: i64 = sadd(&mut c, "s", &["a"]);
    // Small sets of strings are listpacks, as in Redis 7.2 (7.0 says hashtable).
    assert_eq!(encoding(&mut c, "s"), "listpack");
    assert_eq!(members(&mut c, "s"), set_of(&["1", "2", "3", "a"]));
    // Removing the string does not make it an intset again.
    let _: i64 = run(&mut c, &["SREM", "s", "a"]);
    assert_eq!(encoding(&mut c, "s"), "listpack");
    let got: i64 = run(&mut c, &["SISMEMBER", "s", "2"]);
    assert_eq!(got, 1);
    let _: i64 = sadd(&mut c, "strs", &["b", "a", "c", "a"]);
    assert_eq!(encoding(&mut c, "strs"), "listpack");
}

#[test]
fn listpack_converts_to_hashtable_by_entries_or_length() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    // set-max-listpack-* exist as in Redis 7.2.
    let ok: String = run(&mut c, &["CONFIG", "SET", "set-max-listpack-entries", "4"]);
    assert_eq!(ok, "OK");
    let ok: String = run(&mut c, &["CONFIG", "SET", "set-max-listpack-value", "8"]);
    assert_eq!(ok, "OK");
    let _: i64 = sadd(&mut c, "e", &["a", "b", "c", "d"]);
    assert_eq!(encoding(&mut c, "e"), "listpack");
    let _: i64 = sadd(&mut c, "e", &["e"]);
    assert_eq!(encoding(&mut c, "e"), "hashtable");
    let _: i64 = run(&mut c, &["SREM", "e", "a", "b", "c", "d"]);
    assert_eq!(encoding(&mut c, "e"), "hashtable");
    assert_eq!(members(&mut c, "e"), set_of(&["e"]));

    let _: i64 = sadd(&mut c, "long", &["12345678"]);
    assert_eq!(encoding(&mut c, "long"), "intset");
    let _: i64 = sadd(&mut c, "long", &["abcdefgh"]);
    assert_eq!(encoding(&mut c, "long"), "listpack");
    let _: i64 = sadd(&mut c, "long", &["abcdefghi"]);
    assert_eq!(encoding(&mut c, "long"), "hashtable");
    let _: i64 = run(&mut c, &["SREM", "long", "abcdefghi"]);
    assert_eq!(encoding(&mut c, "long"), "hashtable");
    assert_eq!(members(&mut c, "long"), set_of(&["12345678", "abcdefgh"]));

    // An intset whose integers print longer than the value limit skips the listpack.
    let _: i64 = sadd(&mut c, "wide", &["123456789"]);
    let _: i64 = sadd(&mut c, "wide", &["x"]);
    assert_eq!(encoding(&mut c, "wide"), "hashtable");

    // Stores of small string results are listpacks again.
    let size: i64 = run(&mut c, &["SUNIONSTORE", "u", "e", "long"]);
    assert_eq!(size, 3);
    assert_eq!(encoding(&mut c, "u"), "listpack");
    assert_eq!(members(&mut c, "u"), set_of(&["e", "12345678", "abcdefgh"]));
    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "set-max-listpack-entries"]);
    assert_eq!(config, ["set-max-listpack-entries", "4"]);
}

#[test]
fn a_large_set_keeps_every_member() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    const N: i64 = 10_000;
    let mut pipe = redis::pipe();
    for i in 0..N {
        pipe.cmd("SADD").arg("evens").arg(i * 2).ignore();
        pipe.cmd("SADD").arg("threes").arg(i * 3).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let card: i64 = run(&mut c, &["SCARD", "evens"]);
    assert_eq!(card, N);
    let got: Vec<i64> = run(&mut c, &["SMISMEMBER", "evens", "0", "1", "19998", "20000"]);
    assert_eq!(got, [1, 0, 1, 0]);
    let evens: BTreeSet<i64> = (0..N).map(|i| i * 2).collect();
    let threes: BTreeSet<i64> = (0..N).map(|i| i * 3).collect();
    let got: Vec<i64> = run(&mut c, &["SINTER", "evens", "threes"]);
    let got: BTreeSet<i64> = got.into_iter().collect();
    assert_eq!(got, evens.intersection(&threes).copied().collect());
    let got: i64 = run(&mut c, &["SINTERCARD", "2", "evens", "threes"]);
    assert_eq!(got, evens.intersection(&threes).count() as i64);
    let got: i64 = run(&mut c, &["SUNIONSTORE", "union", "evens", "threes"]);
    assert_eq!(got, evens.union(&threes).count() as i64);
    let got: Vec<i64> = run(&mut c, &["SDIFF", "threes", "evens"]);
    let got: BTreeSet<i64> = got.into_iter().collect();
    assert_eq!(got, threes.difference(&evens).copied().collect());
    let got: Vec<i64> = run(&mut c, &["SMEMBERS", "evens"]);
    let got: BTreeSet<i64> = got.into_iter().collect();
    assert_eq!(got, evens);
}

/// A RESP3 connection (HELLO 3), where set replies are sets.
fn connect_resp3(server: &TestServer) -> Connection {
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", server.port());
    let connection = redis::Client::open(url).unwrap().get_connection().unwrap();
    connection
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    connection
}

#[test]
fn resp3_replies_use_sets() {
    let server = TestServer::start(&[]);
    let mut c = connect_resp3(&server);
    let _: i64 = sadd(&mut c, "s", &["3", "1", "2"]);
    let _: i64 = sadd(&mut c, "t", &["2", "3", "4"]);
    let int = |v: &str| Value::BulkString(v.into());
    let cases: &[(&[&str], Vec<Value>)] = &[
        (&["SMEMBERS", "s"], vec![int("1"), int("2"), int("3")]),
        (&["SINTER", "s", "t"], vec![int("2"), int("3")]),
        (
            &["SUNION", "s", "t"],
            vec![int("1"), int("2"), int("3"), int("4")],
        ),
        (&["SDIFF", "s", "t"], vec![int("1")]),
        (&["SMEMBERS", "nosuch"], vec![]),
        (&["SPOP", "nosuch", "2"], vec![]),
        (&["SPOP", "s", "0"], vec![]),
    ];
    for (args, want) in cases {
        let got: Value = run(&mut c, args);
        assert_eq!(got, Value::Set(want.clone()), "{args:?}");
    }
    let Value::Set(popped) = run(&mut c, &["SPOP", "s", "5"]) else {
        panic!("SPOP with a count replies a set");
    };
    assert_eq!(popped.len(), 3);
    assert_eq!(exists(&mut c, "s"), 0);
    // SRANDMEMBER and SMISMEMBER stay arrays.
    let got: Value = run(&mut c, &["SRANDMEMBER", "t", "-2"]);
    assert!(
        matches!(&got, Value::Array(picks) if picks.len() == 2),
        "{got:?}"
    );
    let got: Value = run(&mut c, &["SMISMEMBER", "t", "2", "9"]);
    assert_eq!(got, Value::Array(vec![Value::Int(1), Value::Int(0)]));
}
