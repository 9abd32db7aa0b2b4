//! Hash commands through the redis crate: HSET/HSETNX/HMSET and reads, HDEL, HINCRBY and
//! HINCRBYFLOAT, HRANDFIELD invariants, HSCAN, errors, WRONGTYPE, key lifecycle and the
//! listpack → hashtable conversion.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use redis::{Connection, Value};
use zedis_tests::error_tail::{NOT_INTEGER, assert_err, assert_wrongtype};
use zedis_tests::{TestServer, encoding, exists, run};

fn all(connection: &mut Connection, key: &str) -> BTreeMap<String, String> {
    run(connection, &["HGETALL", key])
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect()
}

#[test]
fn hset_hget_hmset_and_hsetnx() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let created: i64 = run(&mut c, &["HSET", "h", "f1", "v1"]);
    assert_eq!(created, 1);
    let created: i64 = run(&mut c, &["HSET", "h", "f2", "v2", "f3", "v3"]);
    assert_eq!(created, 2);
    // Only new fields count; existing ones are overwritten.
    let created: i64 = run(&mut c, &["HSET", "h", "f1", "new", "f4", "v4"]);
    assert_eq!(created, 1);
    // A field repeated in one call counts once and keeps the last value.
    let created: i64 = run(&mut c, &["HSET", "h", "f5", "a", "f5", "b"]);
    assert_eq!(created, 1);
    let got: String = run(&mut c, &["HGET", "h", "f1"]);
    assert_eq!(got, "new");
    let got: String = run(&mut c, &["HGET", "h", "f5"]);
    assert_eq!(got, "b");
    let got: Option<String> = run(&mut c, &["HGET", "h", "nosuch"]);
    assert_eq!(got, None);
    let got: Option<String> = run(&mut c, &["HGET", "nosuch", "f"]);
    assert_eq!(got, None);

    let ok: String = run(&mut c, &["HMSET", "h", "f6", "v6", "f1", "again"]);
    assert_eq!(ok, "OK");
    let got: Vec<Option<String>> = run(&mut c, &["HMGET", "h", "f1", "nosuch", "f6", "f1"]);
    assert_eq!(
        got,
        [
            Some("again".to_string()),
            None,
            Some("v6".to_string()),
            Some("again".to_string())
        ]
    );
    let got: Vec<Option<String>> = run(&mut c, &["HMGET", "nosuch", "a", "b"]);
    assert_eq!(got, [None, None]);

    let set: i64 = run(&mut c, &["HSETNX", "h", "f1", "other"]);
    assert_eq!(set, 0);
    let set: i64 = run(&mut c, &["HSETNX", "h", "fnx", "vnx"]);
    assert_eq!(set, 1);
    let set: i64 = run(&mut c, &["HSETNX", "newkey", "f", "v"]);
    assert_eq!(set, 1);
    assert_eq!(all(&mut c, "newkey"), map(&[("f", "v")]));
    assert_eq!(
        all(&mut c, "h"),
        map(&[
            ("f1", "again"),
            ("f2", "v2"),
            ("f3", "v3"),
            ("f4", "v4"),
            ("f5", "b"),
            ("f6", "v6"),
            ("fnx", "vnx"),
        ])
    );

    for (args, name) in [
        (&["HSET", "h", "f5"][..], "hset"),
        (&["HSET", "h"], "hset"),
        (&["HSET", "h", "f1", "v1", "f2"], "hset"),
        (&["HMSET", "h", "f8"], "hmset"),
        (&["HMSET", "h", "f8", "v8", "f9"], "hmset"),
        (&["HSETNX", "h", "f"], "hsetnx"),
        (&["HGET", "h"], "hget"),
        (&["HMGET", "h"], "hmget"),
    ] {
        assert_err(
            &mut c,
            args,
            &format!("wrong number of arguments for '{name}' command"),
        );
    }
    // Failed writes changed nothing.
    let len: i64 = run(&mut c, &["HLEN", "h"]);
    assert_eq!(len, 7);
    assert_eq!(exists(&mut c, "f8"), 0);
}

#[test]
fn small_hashes_reply_in_insertion_order() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["HSET", "h", "z", "1", "a", "2", "m", "3"]);
    let _: i64 = run(&mut c, &["HSET", "h", "a", "20", "b", "4"]);
    let got: Vec<String> = run(&mut c, &["HGETALL", "h"]);
    assert_eq!(got, ["z", "1", "a", "20", "m", "3", "b", "4"]);
    let got: Vec<String> = run(&mut c, &["HKEYS", "h"]);
    assert_eq!(got, ["z", "a", "m", "b"]);
    let got: Vec<String> = run(&mut c, &["HVALS", "h"]);
    assert_eq!(got, ["1", "20", "3", "4"]);
    let _: i64 = run(&mut c, &["HDEL", "h", "a"]);
    let got: Vec<String> = run(&mut c, &["HKEYS", "h"]);
    assert_eq!(got, ["z", "m", "b"]);
    for command in ["HGETALL", "HKEYS", "HVALS"] {
        let got: Value = run(&mut c, &[command, "nosuch"]);
        assert_eq!(got, Value::Array(vec![]), "{command}");
    }
}

#[test]
fn hdel_hlen_hexists_and_hstrlen() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["HSET", "h", "f1", "hello", "f2", "", "f3", "v3"]);
    let len: i64 = run(&mut c, &["HLEN", "h"]);
    assert_eq!(len, 3);
    let len: i64 = run(&mut c, &["HLEN", "nosuch"]);
    assert_eq!(len, 0);
    for (key, field, want) in [
        ("h", "f1", 1),
        ("h", "f2", 1),
        ("h", "nosuch", 0),
        ("nosuch", "f1", 0),
    ] {
        let got: i64 = run(&mut c, &["HEXISTS", key, field]);
        assert_eq!(got, want, "HEXISTS {key} {field}");
    }
    for (key, field, want) in [
        ("h", "f1", 5),
        ("h", "f2", 0),
        ("h", "nosuch", 0),
        ("nosuch", "f1", 0),
    ] {
        let got: i64 = run(&mut c, &["HSTRLEN", key, field]);
        assert_eq!(got, want, "HSTRLEN {key} {field}");
    }
    let deleted: i64 = run(&mut c, &["HDEL", "h", "f2", "f3", "nosuch", "f2"]);
    assert_eq!(deleted, 2);
    let deleted: i64 = run(&mut c, &["HDEL", "h", "f2"]);
    assert_eq!(deleted, 0);
    let deleted: i64 = run(&mut c, &["HDEL", "nosuch", "f"]);
    assert_eq!(deleted, 0);
    assert_eq!(all(&mut c, "h"), map(&[("f1", "hello")]));
    for (args, name) in [
        (&["HDEL", "h"][..], "hdel"),
        (&["HEXISTS", "h"], "hexists"),
        (&["HSTRLEN", "h"], "hstrlen"),
        (&["HLEN"], "hlen"),
    ] {
        assert_err(
            &mut c,
            args,
            &format!("wrong number of arguments for '{name}' command"),
        );
    }
    // Deleting the last field deletes the key.
    let deleted: i64 = run(&mut c, &["HDEL", "h", "f1", "other"]);
    assert_eq!(deleted, 1);
    assert_eq!(exists(&mut c, "h"), 0);
    let kind: String = run(&mut c, &["TYPE", "h"]);
    assert_eq!(kind, "none");
}

#[test]
fn hincrby_adds_and_checks_overflow() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let got: i64 = run(&mut c, &["HINCRBY", "c", "n", "5"]);
    assert_eq!(got, 5);
    let got: i64 = run(&mut c, &["HINCRBY", "c", "n", "-10"]);
    assert_eq!(got, -5);
    let got: i64 = run(&mut c, &["HINCRBY", "c", "n", "0"]);
    assert_eq!(got, -5);
    let got: String = run(&mut c, &["HGET", "c", "n"]);
    assert_eq!(got, "-5");

    assert_err(&mut c, &["HINCRBY", "c", "n", "abc"], NOT_INTEGER);
    assert_err(&mut c, &["HINCRBY", "c", "n", "1.5"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["HINCRBY", "c", "n", "9223372036854775808"],
        NOT_INTEGER,
    );

    let overflow = "increment or decrement would overflow";
    let _: i64 = run(&mut c, &["HSET", "c", "big", "9223372036854775806"]);
    let got: i64 = run(&mut c, &["HINCRBY", "c", "big", "1"]);
    assert_eq!(got, i64::MAX);
    assert_err(&mut c, &["HINCRBY", "c", "big", "1"], overflow);
    let _: i64 = run(&mut c, &["HSET", "c", "small", "-9223372036854775807"]);
    let got: i64 = run(&mut c, &["HINCRBY", "c", "small", "-1"]);
    assert_eq!(got, i64::MIN);
    assert_err(&mut c, &["HINCRBY", "c", "small", "-1"], overflow);
    let got: String = run(&mut c, &["HGET", "c", "small"]);
    assert_eq!(got, "-9223372036854775808");

    for increment in ["+5", "-0", " 5", ""] {
        assert_err(&mut c, &["HINCRBY", "c", "n", increment], NOT_INTEGER);
    }
    let not_hash_integer = "hash value is not an integer";
    for value in [
        "hello", " 1", "1 ", "1.0", "01x", "", "+1", "00", "-0", "0x10",
    ] {
        let _: i64 = run(&mut c, &["HSET", "c", "bad", value]);
        assert_err(&mut c, &["HINCRBY", "c", "bad", "1"], not_hash_integer);
        let got: String = run(&mut c, &["HGET", "c", "bad"]);
        assert_eq!(got, value);
    }
    assert_err(
        &mut c,
        &["HINCRBY", "c", "n"],
        "wrong number of arguments for 'hincrby' command",
    );
}

#[test]
fn hincrbyfloat_formats_like_redis() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let steps = [
        ("f", "1.5", "1.5"),
        ("f", "0.1", "1.6"),
        ("f", "-1.6", "0"),
        ("f", "1e3", "1000"),
        ("f", "5.0e-1", "1000.5"),
        ("g", "3.0000000000000004", "3.0000000000000004"),
        ("g", "0.2", "3.2000000000000004"),
        ("h", "0x10", "16"),
        ("i", "-0.0", "0"),
        ("j", "1e-17", "0.00000000000000001"),
        (
            "k",
            "123456789012345678901234567890",
            "123456789012345678899921813504",
        ),
    ];
    for (field, increment, want) in steps {
        let got: String = run(&mut c, &["HINCRBYFLOAT", "c", field, increment]);
        assert_eq!(got, want, "HINCRBYFLOAT c {field} {increment}");
        let stored: String = run(&mut c, &["HGET", "c", field]);
        assert_eq!(stored, want);
    }
    let len: i64 = run(&mut c, &["HSTRLEN", "c", "f"]);
    assert_eq!(len, 6);
    // Integers stored by HINCRBY are valid floats too.
    let _: i64 = run(&mut c, &["HINCRBY", "c", "n", "7"]);
    let got: String = run(&mut c, &["HINCRBYFLOAT", "c", "n", "2"]);
    assert_eq!(got, "9");

    let not_float = "value is not a valid float";
    assert_err(&mut c, &["HINCRBYFLOAT", "c", "f", "abc"], not_float);
    assert_err(&mut c, &["HINCRBYFLOAT", "c", "f", "nan"], not_float);
    for increment in ["", " 1", "1 ", ".", "1e5000", "1e-5000", "0x"] {
        assert_err(&mut c, &["HINCRBYFLOAT", "c", "f", increment], not_float);
    }
    assert_err(
        &mut c,
        &["HINCRBYFLOAT", "c", "f", "inf"],
        "value is NaN or Infinity",
    );
    assert_err(
        &mut c,
        &["HINCRBYFLOAT", "c", "f", "-inf"],
        "value is NaN or Infinity",
    );
    let _: i64 = run(&mut c, &["HSET", "c", "str", "hello", "spaced", "1 "]);
    assert_err(
        &mut c,
        &["HINCRBYFLOAT", "c", "str", "1"],
        "hash value is not a float",
    );
    assert_err(
        &mut c,
        &["HINCRBYFLOAT", "c", "spaced", "1"],
        "hash value is not a float",
    );
    let _: i64 = run(&mut c, &["HSET", "c", "y", "1e4932"]);
    assert_err(
        &mut c,
        &["HINCRBYFLOAT", "c", "y", "1e4932"],
        "increment would produce NaN or Infinity",
    );
    let got: String = run(&mut c, &["HGET", "c", "y"]);
    assert_eq!(got, "1e4932");
    assert_err(
        &mut c,
        &["HINCRBYFLOAT", "c", "f"],
        "wrong number of arguments for 'hincrbyfloat' command",
    );
    let got: String = run(&mut c, &["HGET", "c", "f"]);
    assert_eq!(got, "1000.5");
}

/// Checks HRANDFIELD's invariants on `key`, whose full contents are `fields`.
fn check_hrandfield(c: &mut Connection, key: &str, fields: &BTreeMap<String, String>) {
    let size = fields.len();
    let one: String = run(c, &["HRANDFIELD", key]);
    assert!(fields.contains_key(&one), "{one}");

    for count in [1, 2, size / 2, size - 1] {
        let got: Vec<String> = run(c, &["HRANDFIELD", key, &count.to_string()]);
        assert_eq!(got.len(), count);
        let distinct: HashSet<&String> = got.iter().collect();
        assert_eq!(
            distinct.len(),
            count,
            "positive counts are distinct: {got:?}"
        );
        assert!(got.iter().all(|f| fields.contains_key(f)), "{got:?}");

        let got: Vec<(String, String)> =
            run(c, &["HRANDFIELD", key, &count.to_string(), "WITHVALUES"]);
        assert_eq!(got.len(), count);
        let distinct: HashSet<&String> = got.iter().map(|(f, _)| f).collect();
        assert_eq!(distinct.len(), count);
        for (field, value) in &got {
            assert_eq!(fields.get(field), Some(value), "{field}");
        }
    }

    // A count of at least the size returns the whole hash.
    for count in [size, size + 1, 10 * size] {
        let got: Vec<String> = run(c, &["HRANDFIELD", key, &count.to_string()]);
        let got: BTreeMap<String, ()> = got.into_iter().map(|f| (f, ())).collect();
        assert_eq!(got.len(), size);
        assert!(got.keys().eq(fields.keys()));
        let got: BTreeMap<String, String> =
            run(c, &["HRANDFIELD", key, &count.to_string(), "WITHVALUES"]);
        assert_eq!(&got, fields);
    }

    // Negative counts: exactly that many picks, repeats allowed (and forced by pigeonhole).
    let picks = 3 * size + 1;
    let got: Vec<String> = run(c, &["HRANDFIELD", key, &format!("-{picks}")]);
    assert_eq!(got.len(), picks);
    assert!(got.iter().all(|f| fields.contains_key(f)));
    let distinct: HashSet<&String> = got.iter().collect();
    assert!(distinct.len() < picks);
    let got: Vec<(String, String)> =
        run(c, &["HRANDFIELD", key, &format!("-{picks}"), "WITHVALUES"]);
    assert_eq!(got.len(), picks);
    for (field, value) in &got {
        assert_eq!(fields.get(field), Some(value), "{field}");
    }
    let got: Vec<String> = run(c, &["HRANDFIELD", key, "-1"]);
    assert_eq!(got.len(), 1);
    assert!(fields.contains_key(&got[0]));

    let got: Value = run(c, &["HRANDFIELD", key, "0"]);
    assert_eq!(got, Value::Array(vec![]));
    let got: Value = run(c, &["HRANDFIELD", key, "0", "WITHVALUES"]);
    assert_eq!(got, Value::Array(vec![]));
}

#[test]
fn hrandfield_picks_fields_of_a_listpack_hash() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let fields: BTreeMap<String, String> = (0..9)
        .map(|i| (format!("f{i}"), format!("v{}", i * i)))
        .collect();
    let mut args = vec!["HSET".to_string(), "r".to_string()];
    for (f, v) in &fields {
        args.push(f.clone());
        args.push(v.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let _: i64 = run(&mut c, &args);
    assert_eq!(encoding(&mut c, "r"), "listpack");
    check_hrandfield(&mut c, "r", &fields);
}

#[test]
fn hrandfield_picks_fields_of_a_hashtable_hash() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let fields: BTreeMap<String, String> = (0..700)
        .map(|i| (format!("field:{i}"), format!("value:{}", i * 3)))
        .collect();
    let mut pipe = redis::pipe();
    for (f, v) in &fields {
        pipe.cmd("HSET").arg("r").arg(f).arg(v).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    assert_eq!(encoding(&mut c, "r"), "hashtable");
    check_hrandfield(&mut c, "r", &fields);
}

#[test]
fn hrandfield_on_missing_keys_and_bad_arguments() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["HSET", "r", "a", "1", "b", "2"]);
    let got: Value = run(&mut c, &["HRANDFIELD", "nosuch"]);
    assert_eq!(got, Value::Nil);
    let got: Value = run(&mut c, &["HRANDFIELD", "nosuch", "3"]);
    assert_eq!(got, Value::Array(vec![]));
    let got: Value = run(&mut c, &["HRANDFIELD", "nosuch", "-3", "WITHVALUES"]);
    assert_eq!(got, Value::Array(vec![]));
    assert_err(&mut c, &["HRANDFIELD", "r", "abc"], NOT_INTEGER);
    assert_err(&mut c, &["HRANDFIELD", "r", "1", "FOO"], "syntax error");
    assert_err(
        &mut c,
        &["HRANDFIELD", "r", "1", "WITHVALUES", "extra"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["HRANDFIELD", "r", "-9223372036854775808"],
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    assert_err(
        &mut c,
        &["HRANDFIELD", "r", "-9223372036854775807", "WITHVALUES"],
        "value is out of range",
    );
    assert_err(
        &mut c,
        &["HRANDFIELD"],
        "wrong number of arguments for 'hrandfield' command",
    );
}

#[test]
fn hscan_of_a_small_hash_and_its_errors() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &["HSET", "r", "a", "1", "b", "2", "c", "3", "e", "5"],
    );
    // A listpack hash comes back whole, in order, with cursor 0.
    let (cursor, items): (String, Vec<String>) = run(&mut c, &["HSCAN", "r", "0"]);
    assert_eq!(cursor, "0");
    assert_eq!(items, ["a", "1", "b", "2", "c", "3", "e", "5"]);
    let (cursor, items): (String, Vec<String>) = run(&mut c, &["HSCAN", "r", "0", "COUNT", "1"]);
    assert_eq!(cursor, "0");
    assert_eq!(items.len(), 8);
    let (_, items): (String, Vec<String>) = run(&mut c, &["HSCAN", "r", "0", "MATCH", "[ace]"]);
    assert_eq!(items, ["a", "1", "c", "3", "e", "5"]);
    let (_, items): (String, Vec<String>) = run(&mut c, &["HSCAN", "r", "0", "MATCH", "z*"]);
    assert!(items.is_empty());
    let (cursor, items): (String, Vec<String>) = run(&mut c, &["HSCAN", "nosuch", "0"]);
    assert_eq!(cursor, "0");
    assert!(items.is_empty());

    assert_err(&mut c, &["HSCAN", "r", "abc"], "invalid cursor");
    assert_err(&mut c, &["HSCAN", "r", "0", "COUNT", "0"], "syntax error");
    assert_err(&mut c, &["HSCAN", "r", "0", "COUNT", "-1"], "syntax error");
    assert_err(&mut c, &["HSCAN", "r", "0", "COUNT", "x"], NOT_INTEGER);
    assert_err(&mut c, &["HSCAN", "r", "0", "FOO", "bar"], "syntax error");
    assert_err(&mut c, &["HSCAN", "r", "0", "MATCH"], "syntax error");
    // NOVALUES arrived after 7.0.
    assert_err(&mut c, &["HSCAN", "r", "0", "NOVALUES"], "syntax error");
    assert_err(
        &mut c,
        &["HSCAN", "r"],
        "wrong number of arguments for 'hscan' command",
    );
}

#[test]
fn hscan_of_a_large_hash_returns_every_field() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    const N: usize = 10_000;
    let mut pipe = redis::pipe();
    for i in 0..N {
        pipe.cmd("HSET")
            .arg("big")
            .arg(format!("f{i}"))
            .arg(i)
            .ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let len: i64 = run(&mut c, &["HLEN", "big"]);
    assert_eq!(len, N as i64);
    assert_eq!(encoding(&mut c, "big"), "hashtable");

    let mut seen: HashMap<String, String> = HashMap::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, items): (String, Vec<String>) =
            run(&mut c, &["HSCAN", "big", &cursor, "COUNT", "100"]);
        assert_eq!(items.len() % 2, 0);
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        calls += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
        assert!(calls < 1_000, "HSCAN did not finish");
    }
    assert!(calls > 1, "a large hash is scanned in several steps");
    assert_eq!(seen.len(), N);
    for i in 0..N {
        assert_eq!(seen[&format!("f{i}")], i.to_string());
    }

    // MATCH filters a full iteration too.
    let mut matched: HashSet<String> = HashSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..1_000 {
        let (next, items): (String, Vec<String>) = run(
            &mut c,
            &["HSCAN", "big", &cursor, "MATCH", "f99*", "COUNT", "500"],
        );
        matched.extend(items.chunks(2).map(|pair| pair[0].clone()));
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(cursor, "0");
    let expected: HashSet<String> = (0..N)
        .map(|i| format!("f{i}"))
        .filter(|f| f.starts_with("f99"))
        .collect();
    assert_eq!(matched, expected);
}

#[test]
fn hash_commands_reject_other_types() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: () = run(&mut c, &["SET", "str", "v"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    let _: i64 = run(&mut c, &["SADD", "set", "m"]);
    let _: i64 = run(&mut c, &["ZADD", "zset", "1", "m"]);
    for key in ["str", "list", "set", "zset"] {
        let commands: &[&[&str]] = &[
            &["HSET", key, "f", "v"],
            &["HSETNX", key, "f", "v"],
            &["HMSET", key, "f", "v"],
            &["HGET", key, "f"],
            &["HMGET", key, "f"],
            &["HGETALL", key],
            &["HKEYS", key],
            &["HVALS", key],
            &["HLEN", key],
            &["HDEL", key, "f"],
            &["HEXISTS", key, "f"],
            &["HSTRLEN", key, "f"],
            &["HINCRBY", key, "f", "1"],
            &["HINCRBYFLOAT", key, "f", "1"],
            &["HRANDFIELD", key],
            &["HRANDFIELD", key, "2", "WITHVALUES"],
            &["HSCAN", key, "0"],
        ];
        for args in commands {
            assert_wrongtype(&mut c, args);
        }
    }
    let got: String = run(&mut c, &["GET", "str"]);
    assert_eq!(got, "v");
}

#[test]
fn type_scan_copy_and_rename_of_a_hash() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["HSET", "h1", "a", "1", "b", "2"]);
    let _: i64 = run(&mut c, &["HSET", "h2", "x", "y"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    let _: () = run(&mut c, &["SET", "str", "v"]);
    let kind: String = run(&mut c, &["TYPE", "h1"]);
    assert_eq!(kind, "hash");
    let (cursor, mut keys): (u64, Vec<String>) =
        run(&mut c, &["SCAN", "0", "TYPE", "hash", "COUNT", "1000"]);
    assert_eq!(cursor, 0);
    keys.sort();
    assert_eq!(keys, ["h1", "h2"]);

    let copied: i64 = run(&mut c, &["COPY", "h1", "copy"]);
    assert_eq!(copied, 1);
    assert_eq!(all(&mut c, "copy"), map(&[("a", "1"), ("b", "2")]));
    let _: i64 = run(&mut c, &["HSET", "copy", "a", "changed", "c", "3"]);
    let _: i64 = run(&mut c, &["HDEL", "copy", "b"]);
    assert_eq!(all(&mut c, "h1"), map(&[("a", "1"), ("b", "2")]));
    assert_eq!(all(&mut c, "copy"), map(&[("a", "changed"), ("c", "3")]));

    let ok: String = run(&mut c, &["RENAME", "h1", "renamed"]);
    assert_eq!(ok, "OK");
    assert_eq!(exists(&mut c, "h1"), 0);
    assert_eq!(all(&mut c, "renamed"), map(&[("a", "1"), ("b", "2")]));
    let kind: String = run(&mut c, &["TYPE", "renamed"]);
    assert_eq!(kind, "hash");

    // A hashtable copy stays a hashtable and stays independent too.
    let mut pipe = redis::pipe();
    for i in 0..600 {
        pipe.cmd("HSET").arg("large").arg(i).arg(i).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let _: i64 = run(&mut c, &["COPY", "large", "large2"]);
    assert_eq!(encoding(&mut c, "large2"), "hashtable");
    let _: i64 = run(&mut c, &["HDEL", "large2", "0", "1", "2"]);
    let len: i64 = run(&mut c, &["HLEN", "large"]);
    assert_eq!(len, 600);
    let len: i64 = run(&mut c, &["HLEN", "large2"]);
    assert_eq!(len, 597);
    let got: String = run(&mut c, &["HGET", "large", "1"]);
    assert_eq!(got, "1");
}

#[test]
fn binary_fields_and_values_round_trip() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let pairs: [(&[u8], &[u8]); 3] = [(b"a\x00b", b"\xff\x00"), (b"", b"empty"), (b"\r\n", b"")];
    let created: i64 = redis::cmd("HSET")
        .arg("bin")
        .arg(&pairs[..])
        .query(&mut c)
        .unwrap();
    assert_eq!(created, 3);
    for (field, value) in pairs {
        let got: Vec<u8> = redis::cmd("HGET")
            .arg("bin")
            .arg(field)
            .query(&mut c)
            .unwrap();
        assert_eq!(got, value);
        let len: i64 = redis::cmd("HSTRLEN")
            .arg("bin")
            .arg(field)
            .query(&mut c)
            .unwrap();
        assert_eq!(len, value.len() as i64);
    }
    let got: Vec<Vec<u8>> = run(&mut c, &["HGETALL", "bin"]);
    let expected: Vec<Vec<u8>> = pairs
        .iter()
        .flat_map(|(f, v)| [f.to_vec(), v.to_vec()])
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn listpack_converts_to_hashtable_by_entries_and_never_back() {
    let server = TestServer::start(&[
        "--hash-max-listpack-entries",
        "4",
        "--hash-max-listpack-value",
        "8",
    ]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &["HSET", "enc", "a", "1", "b", "2", "c", "3", "d", "4"],
    );
    assert_eq!(encoding(&mut c, "enc"), "listpack");
    // Overwriting does not grow the hash.
    let _: i64 = run(&mut c, &["HSET", "enc", "a", "10"]);
    assert_eq!(encoding(&mut c, "enc"), "listpack");
    let _: i64 = run(&mut c, &["HSET", "enc", "e", "5"]);
    assert_eq!(encoding(&mut c, "enc"), "hashtable");
    assert_eq!(
        all(&mut c, "enc"),
        map(&[("a", "10"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")])
    );
    let deleted: i64 = run(&mut c, &["HDEL", "enc", "a", "b", "c", "d"]);
    assert_eq!(deleted, 4);
    assert_eq!(encoding(&mut c, "enc"), "hashtable");
    assert_eq!(all(&mut c, "enc"), map(&[("e", "5")]));
    let got: Vec<String> = run(&mut c, &["HKEYS", "enc"]);
    assert_eq!(got, ["e"]);

    // One HSET/HMSET adding several fields at once converts too.
    let ok: String = run(
        &mut c,
        &[
            "HMSET", "multi", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
    );
    assert_eq!(ok, "OK");
    assert_eq!(encoding(&mut c, "multi"), "hashtable");
    // So do HSETNX and HINCRBY creating the fifth field.
    let _: i64 = run(
        &mut c,
        &["HSET", "nx", "a", "1", "b", "2", "c", "3", "d", "4"],
    );
    let _: i64 = run(&mut c, &["HSETNX", "nx", "e", "5"]);
    assert_eq!(encoding(&mut c, "nx"), "hashtable");
    let _: i64 = run(
        &mut c,
        &["HSET", "incr", "a", "1", "b", "2", "c", "3", "d", "4"],
    );
    let _: i64 = run(&mut c, &["HINCRBY", "incr", "e", "5"]);
    assert_eq!(encoding(&mut c, "incr"), "hashtable");
    let got: String = run(&mut c, &["HGET", "incr", "e"]);
    assert_eq!(got, "5");

    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "hash-max-listpack-entries"]);
    assert_eq!(config, ["hash-max-listpack-entries", "4"]);
    // The old ziplist names are aliases.
    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "hash-max-ziplist-entries"]);
    assert_eq!(config, ["hash-max-ziplist-entries", "4"]);
}

#[test]
fn listpack_converts_to_hashtable_by_field_or_value_length() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let ok: String = run(&mut c, &["CONFIG", "SET", "hash-max-listpack-value", "8"]);
    assert_eq!(ok, "OK");
    let _: i64 = run(&mut c, &["HSET", "value", "f", "12345678"]);
    assert_eq!(encoding(&mut c, "value"), "listpack");
    let _: i64 = run(&mut c, &["HSET", "value", "f", "123456789"]);
    assert_eq!(encoding(&mut c, "value"), "hashtable");
    // Shortening the value again keeps the hashtable.
    let _: i64 = run(&mut c, &["HSET", "value", "f", "1"]);
    assert_eq!(encoding(&mut c, "value"), "hashtable");
    let got: String = run(&mut c, &["HGET", "value", "f"]);
    assert_eq!(got, "1");

    let _: i64 = run(&mut c, &["HSET", "field", "12345678", "v"]);
    assert_eq!(encoding(&mut c, "field"), "listpack");
    let _: i64 = run(&mut c, &["HSET", "field", "123456789", "v"]);
    assert_eq!(encoding(&mut c, "field"), "hashtable");
    let _: i64 = run(&mut c, &["HDEL", "field", "123456789"]);
    assert_eq!(encoding(&mut c, "field"), "hashtable");
    assert_eq!(all(&mut c, "field"), map(&[("12345678", "v")]));

    let _: i64 = run(&mut c, &["HSETNX", "nx", "f", "123456789"]);
    assert_eq!(encoding(&mut c, "nx"), "hashtable");
    // HINCRBYFLOAT writing a value longer than the limit converts as well.
    let _: i64 = run(&mut c, &["HSET", "float", "f", "1"]);
    let got: String = run(&mut c, &["HINCRBYFLOAT", "float", "f", "0.123456789"]);
    assert_eq!(got, "1.123456789");
    assert_eq!(encoding(&mut c, "float"), "hashtable");
    let _: i64 = run(&mut c, &["HSET", "int", "f", "1"]);
    let _: i64 = run(&mut c, &["HINCRBY", "int", "f", "1000000000"]);
    assert_eq!(encoding(&mut c, "int"), "hashtable");
    let _: i64 = run(&mut c, &["HINCRBY", "longfield", "123456789", "1"]);
    assert_eq!(encoding(&mut c, "longfield"), "hashtable");
}

#[test]
fn a_write_to_a_listpack_over_a_lowered_limit_converts_it() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let _: String = run(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
    // The limit applies at the next write, even one that only overwrites a field.
    assert_eq!(encoding(&mut c, "h"), "listpack");
    let created: i64 = run(&mut c, &["HSET", "h", "a", "9"]);
    assert_eq!(created, 0);
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    let _: i64 = run(&mut c, &["HSET", "i", "a", "1", "b", "2"]);
    let _: String = run(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "1"]);
    let _: i64 = run(&mut c, &["HINCRBY", "i", "a", "1"]);
    assert_eq!(encoding(&mut c, "i"), "hashtable");
}

#[test]
fn hash_listpack_limits_reject_bad_config_values() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_err(
        &mut c,
        &["CONFIG", "SET", "hash-max-listpack-entries", "-1"],
        "argument must be between 0 and 9223372036854775807 inclusive",
    );
    assert_err(
        &mut c,
        &["CONFIG", "SET", "hash-max-listpack-entries", "abc"],
        "argument couldn't be parsed into an integer",
    );
    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "hash-max-listpack-*"]);
    let config: BTreeMap<String, String> = config
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect();
    assert_eq!(
        config,
        map(&[
            ("hash-max-listpack-entries", "512"),
            ("hash-max-listpack-value", "64"),
        ])
    );
}

#[test]
fn hash_max_listpack_value_takes_memory_units() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let ok: String = run(&mut c, &["CONFIG", "SET", "hash-max-listpack-value", "1kb"]);
    assert_eq!(ok, "OK");
    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "hash-max-listpack-value"]);
    assert_eq!(config, ["hash-max-listpack-value", "1024"]);
    assert_err(
        &mut c,
        &["CONFIG", "SET", "hash-max-listpack-value", "abc"],
        "argument must be a memory value",
    );
    let _: i64 = run(&mut c, &["HSET", "h", "f", &"v".repeat(1024)]);
    assert_eq!(encoding(&mut c, "h"), "listpack");
    let _: i64 = run(&mut c, &["HSET", "h", "f", &"v".repeat(1025)]);
    assert_eq!(encoding(&mut c, "h"), "hashtable");
}

/// A RESP3 connection (HELLO 3), where replies carry maps and nested pairs.
fn connect_resp3(server: &TestServer) -> Connection {
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", server.port());
    let connection = redis::Client::open(url).unwrap().get_connection().unwrap();
    connection
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    connection
}

#[test]
fn resp3_replies_use_maps_and_pairs() {
    let server = TestServer::start(&[]);
    let mut c = connect_resp3(&server);
    let _: i64 = run(&mut c, &["HSET", "h", "a", "1", "b", "2"]);
    let got: Value = run(&mut c, &["HGETALL", "h"]);
    let pair = |f: &str, v: &str| (Value::BulkString(f.into()), Value::BulkString(v.into()));
    assert_eq!(got, Value::Map(vec![pair("a", "1"), pair("b", "2")]));
    let got: Value = run(&mut c, &["HGETALL", "nosuch"]);
    assert_eq!(got, Value::Map(vec![]));
    // HRANDFIELD WITHVALUES nests each pair.
    let got: Value = run(&mut c, &["HRANDFIELD", "h", "5", "WITHVALUES"]);
    let nested = |f: &str, v: &str| {
        Value::Array(vec![
            Value::BulkString(f.into()),
            Value::BulkString(v.into()),
        ])
    };
    assert_eq!(got, Value::Array(vec![nested("a", "1"), nested("b", "2")]));
    let Value::Array(picks) = run(&mut c, &["HRANDFIELD", "h", "-3", "WITHVALUES"]) else {
        panic!("not an array");
    };
    assert_eq!(picks.len(), 3);
    for pick in picks {
        assert!(
            pick == nested("a", "1") || pick == nested("b", "2"),
            "{pick:?}"
        );
    }
    let got: Value = run(&mut c, &["HRANDFIELD", "nosuch"]);
    assert_eq!(got, Value::Nil);
    let got: Value = run(&mut c, &["HINCRBYFLOAT", "h", "a", "0.5"]);
    assert_eq!(got, Value::BulkString(b"1.5".to_vec()));
}
