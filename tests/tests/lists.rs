//! List commands through the redis crate: pushes, pops with counts, ranges, LINSERT/LSET/LREM/
//! LTRIM/LPOS, LMOVE/RPOPLPUSH/LMPOP, blocking pops when data is present, errors, WRONGTYPE,
//! key lifecycle, encodings and large lists.

use redis::{Connection, Value};
use zedis_tests::error_tail::{NOT_INTEGER, assert_err, assert_wrongtype};
use zedis_tests::{TestServer, exists, run};

fn range(connection: &mut Connection, key: &str) -> Vec<String> {
    run(connection, &["LRANGE", key, "0", "-1"])
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

#[test]
fn pushes_return_the_new_length_and_keep_order() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let len: i64 = run(&mut c, &["LPUSH", "l", "c", "b", "a"]);
    assert_eq!(len, 3);
    let len: i64 = run(&mut c, &["RPUSH", "l", "d", "e"]);
    assert_eq!(len, 5);
    assert_eq!(range(&mut c, "l"), ["a", "b", "c", "d", "e"]);
    let len: i64 = run(&mut c, &["LPUSHX", "l", "z"]);
    assert_eq!(len, 6);
    let len: i64 = run(&mut c, &["RPUSHX", "l", "y", "x"]);
    assert_eq!(len, 8);
    assert_eq!(range(&mut c, "l"), ["z", "a", "b", "c", "d", "e", "y", "x"]);
    // The X forms never create the key.
    let len: i64 = run(&mut c, &["LPUSHX", "nosuch", "a"]);
    assert_eq!(len, 0);
    let len: i64 = run(&mut c, &["RPUSHX", "nosuch", "a", "b"]);
    assert_eq!(len, 0);
    assert_eq!(exists(&mut c, "nosuch"), 0);
    // Duplicates are kept.
    let len: i64 = run(&mut c, &["RPUSH", "dup", "a", "a", "a"]);
    assert_eq!(len, 3);
    assert_eq!(range(&mut c, "dup"), ["a", "a", "a"]);

    assert_err(
        &mut c,
        &["LPUSH", "l"],
        "wrong number of arguments for 'lpush' command",
    );
    assert_err(
        &mut c,
        &["RPUSH"],
        "wrong number of arguments for 'rpush' command",
    );
    assert_err(
        &mut c,
        &["LPUSHX", "l"],
        "wrong number of arguments for 'lpushx' command",
    );
    assert_err(
        &mut c,
        &["RPUSHX", "l"],
        "wrong number of arguments for 'rpushx' command",
    );
}

#[test]
fn llen_and_lrange_normalise_indexes() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
    let len: i64 = run(&mut c, &["LLEN", "l"]);
    assert_eq!(len, 5);
    let len: i64 = run(&mut c, &["LLEN", "nosuch"]);
    assert_eq!(len, 0);
    let cases: &[(&str, &str, &[&str])] = &[
        ("0", "-1", &["a", "b", "c", "d", "e"]),
        ("0", "0", &["a"]),
        ("-2", "-1", &["d", "e"]),
        ("-100", "100", &["a", "b", "c", "d", "e"]),
        ("1", "-2", &["b", "c", "d"]),
        ("3", "1", &[]),
        ("5", "10", &[]),
        ("-1", "-5", &[]),
        ("4", "4", &["e"]),
        ("0", "99999999999999999", &["a", "b", "c", "d", "e"]),
    ];
    for (start, stop, expected) in cases {
        let got: Vec<String> = run(&mut c, &["LRANGE", "l", start, stop]);
        assert_eq!(&got, expected, "LRANGE l {start} {stop}");
    }
    let got: Vec<String> = run(&mut c, &["LRANGE", "nosuch", "0", "-1"]);
    assert!(got.is_empty());

    assert_err(&mut c, &["LRANGE", "l", "a", "1"], NOT_INTEGER);
    assert_err(&mut c, &["LRANGE", "l", "0", "1.5"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["LRANGE", "l", "0", "99999999999999999999"],
        NOT_INTEGER,
    );
    // Indexes are parsed before the key is looked up.
    assert_err(&mut c, &["LRANGE", "nosuch", "x", "1"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["LRANGE", "l", "0"],
        "wrong number of arguments for 'lrange' command",
    );
    assert_err(
        &mut c,
        &["LLEN", "l", "extra"],
        "wrong number of arguments for 'llen' command",
    );
}

#[test]
fn lindex_and_lset_by_positive_and_negative_index() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
    let expected = [
        ("0", Some("a")),
        ("-1", Some("e")),
        ("4", Some("e")),
        ("-5", Some("a")),
        ("2", Some("c")),
        ("5", None),
        ("-6", None),
    ];
    for (index, want) in expected {
        let got: Option<String> = run(&mut c, &["LINDEX", "l", index]);
        assert_eq!(got.as_deref(), want, "LINDEX l {index}");
    }
    let got: Option<String> = run(&mut c, &["LINDEX", "nosuch", "0"]);
    assert_eq!(got, None);
    assert_err(&mut c, &["LINDEX", "l", "x"], NOT_INTEGER);

    let ok: String = run(&mut c, &["LSET", "l", "0", "first"]);
    assert_eq!(ok, "OK");
    let _: String = run(&mut c, &["LSET", "l", "-1", "last"]);
    let _: String = run(&mut c, &["LSET", "l", "2", "middle"]);
    assert_eq!(range(&mut c, "l"), ["first", "b", "middle", "d", "last"]);
    assert_err(&mut c, &["LSET", "l", "5", "x"], "index out of range");
    assert_err(&mut c, &["LSET", "l", "-6", "x"], "index out of range");
    assert_err(&mut c, &["LSET", "nosuch", "0", "x"], "no such key");
    // The key is looked up before the index is parsed.
    assert_err(&mut c, &["LSET", "nosuch", "abc", "x"], "no such key");
    assert_err(&mut c, &["LSET", "l", "abc", "x"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["LSET", "l", "0"],
        "wrong number of arguments for 'lset' command",
    );
    assert_eq!(exists(&mut c, "nosuch"), 0);
}

#[test]
fn linsert_before_and_after_the_first_matching_pivot() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "l", "a", "c", "e", "c"]);
    let len: i64 = run(&mut c, &["LINSERT", "l", "BEFORE", "c", "b"]);
    assert_eq!(len, 5);
    let len: i64 = run(&mut c, &["LINSERT", "l", "after", "c", "d"]);
    assert_eq!(len, 6);
    let len: i64 = run(&mut c, &["LINSERT", "l", "AFTER", "c", "x"]);
    assert_eq!(len, 7);
    assert_eq!(range(&mut c, "l"), ["a", "b", "c", "x", "d", "e", "c"]);
    let len: i64 = run(&mut c, &["LINSERT", "l", "AFTER", "e", "tail-side"]);
    assert_eq!(len, 8);
    let len: i64 = run(&mut c, &["LINSERT", "l", "BEFORE", "a", "head"]);
    assert_eq!(len, 9);
    assert_eq!(
        range(&mut c, "l"),
        ["head", "a", "b", "c", "x", "d", "e", "tail-side", "c"]
    );
    // A missing pivot replies -1, a missing key 0 (and creates nothing).
    let len: i64 = run(&mut c, &["LINSERT", "l", "BEFORE", "missing", "y"]);
    assert_eq!(len, -1);
    let len: i64 = run(&mut c, &["LINSERT", "nosuch", "BEFORE", "a", "b"]);
    assert_eq!(len, 0);
    assert_eq!(exists(&mut c, "nosuch"), 0);
    assert_err(
        &mut c,
        &["LINSERT", "l", "MIDDLE", "c", "x"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["LINSERT", "l", "BEFORE", "c"],
        "wrong number of arguments for 'linsert' command",
    );
    let len: i64 = run(&mut c, &["LLEN", "l"]);
    assert_eq!(len, 9);
}

#[test]
fn lpop_and_rpop_with_and_without_count() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "l", "a", "b", "c", "d", "e", "f", "g"]);
    let got: String = run(&mut c, &["LPOP", "l"]);
    assert_eq!(got, "a");
    let got: String = run(&mut c, &["RPOP", "l"]);
    assert_eq!(got, "g");
    let got: Vec<String> = run(&mut c, &["LPOP", "l", "2"]);
    assert_eq!(got, ["b", "c"]);
    let got: Vec<String> = run(&mut c, &["RPOP", "l", "2"]);
    assert_eq!(got, ["f", "e"]);
    // A count of 0 is an empty array on an existing list, a null array on a missing key.
    let got: Value = run(&mut c, &["LPOP", "l", "0"]);
    assert_eq!(got, Value::Array(vec![]));
    let got: Value = run(&mut c, &["RPOP", "nosuch", "0"]);
    assert_eq!(got, Value::Nil);
    let got: Value = run(&mut c, &["LPOP", "nosuch", "2"]);
    assert_eq!(got, Value::Nil);
    let got: Value = run(&mut c, &["LPOP", "nosuch"]);
    assert_eq!(got, Value::Nil);
    let got: Value = run(&mut c, &["RPOP", "nosuch"]);
    assert_eq!(got, Value::Nil);

    let out_of_range = "value is out of range, must be positive";
    assert_err(&mut c, &["LPOP", "l", "-1"], out_of_range);
    assert_err(&mut c, &["RPOP", "l", "-5"], out_of_range);
    assert_err(&mut c, &["LPOP", "l", "abc"], out_of_range);
    assert_err(&mut c, &["LPOP", "l", "9223372036854775808"], out_of_range);
    assert_err(
        &mut c,
        &["LPOP", "l", "1", "2"],
        "wrong number of arguments for 'lpop' command",
    );
    assert_err(
        &mut c,
        &["RPOP"],
        "wrong number of arguments for 'rpop' command",
    );

    // A count larger than the list pops everything and deletes the key.
    let got: Vec<String> = run(&mut c, &["LPOP", "l", "100"]);
    assert_eq!(got, ["d"]);
    assert_eq!(exists(&mut c, "l"), 0);
    let _: i64 = run(&mut c, &["RPUSH", "one", "x"]);
    let got: Vec<String> = run(&mut c, &["RPOP", "one", "1"]);
    assert_eq!(got, ["x"]);
    assert_eq!(exists(&mut c, "one"), 0);
}

#[test]
fn lrem_counts_from_head_tail_or_all() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "r", "a", "b", "a", "c", "a", "b", "a"]);
    let removed: i64 = run(&mut c, &["LREM", "r", "2", "a"]);
    assert_eq!(removed, 2);
    assert_eq!(range(&mut c, "r"), ["b", "c", "a", "b", "a"]);
    let removed: i64 = run(&mut c, &["LREM", "r", "-1", "a"]);
    assert_eq!(removed, 1);
    assert_eq!(range(&mut c, "r"), ["b", "c", "a", "b"]);
    let removed: i64 = run(&mut c, &["LREM", "r", "0", "b"]);
    assert_eq!(removed, 2);
    assert_eq!(range(&mut c, "r"), ["c", "a"]);
    let removed: i64 = run(&mut c, &["LREM", "r", "0", "missing"]);
    assert_eq!(removed, 0);
    let removed: i64 = run(&mut c, &["LREM", "r", "-100", "a"]);
    assert_eq!(removed, 1);
    let removed: i64 = run(&mut c, &["LREM", "nosuch", "0", "a"]);
    assert_eq!(removed, 0);
    assert_err(&mut c, &["LREM", "r", "x", "a"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["LREM", "r", "0"],
        "wrong number of arguments for 'lrem' command",
    );
    let removed: i64 = run(&mut c, &["LREM", "r", "1", "c"]);
    assert_eq!(removed, 1);
    assert_eq!(exists(&mut c, "r"), 0);
}

#[test]
fn ltrim_keeps_the_range_and_deletes_an_emptied_list() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let digits: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let mut args = vec!["RPUSH", "t"];
    args.extend(digits.iter().map(String::as_str));
    let _: i64 = run(&mut c, &args);
    let ok: String = run(&mut c, &["LTRIM", "t", "1", "-2"]);
    assert_eq!(ok, "OK");
    assert_eq!(range(&mut c, "t"), ["1", "2", "3", "4", "5", "6", "7", "8"]);
    let _: String = run(&mut c, &["LTRIM", "t", "-3", "100"]);
    assert_eq!(range(&mut c, "t"), ["6", "7", "8"]);
    let _: String = run(&mut c, &["LTRIM", "t", "-100", "1"]);
    assert_eq!(range(&mut c, "t"), ["6", "7"]);
    let _: String = run(&mut c, &["LTRIM", "t", "0", "0"]);
    assert_eq!(range(&mut c, "t"), ["6"]);
    // An empty range removes everything.
    let _: String = run(&mut c, &["LTRIM", "t", "5", "1"]);
    assert_eq!(exists(&mut c, "t"), 0);
    let ok: String = run(&mut c, &["LTRIM", "nosuch", "0", "1"]);
    assert_eq!(ok, "OK");
    assert_eq!(exists(&mut c, "nosuch"), 0);
    assert_err(&mut c, &["LTRIM", "t", "a", "1"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["LTRIM", "t", "0"],
        "wrong number of arguments for 'ltrim' command",
    );
}

#[test]
fn lpos_rank_count_and_maxlen() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &["RPUSH", "p", "a", "b", "c", "1", "2", "3", "c", "c"],
    );
    let single = |c: &mut Connection, extra: &[&str]| -> Option<i64> {
        let mut args = vec!["LPOS", "p", "c"];
        args.extend_from_slice(extra);
        run(c, &args)
    };
    assert_eq!(single(&mut c, &[]), Some(2));
    assert_eq!(single(&mut c, &["RANK", "2"]), Some(6));
    assert_eq!(single(&mut c, &["RANK", "-1"]), Some(7));
    assert_eq!(single(&mut c, &["RANK", "-3"]), Some(2));
    assert_eq!(single(&mut c, &["RANK", "4"]), None);
    assert_eq!(single(&mut c, &["MAXLEN", "2"]), None);
    assert_eq!(single(&mut c, &["MAXLEN", "3"]), Some(2));
    assert_eq!(single(&mut c, &["MAXLEN", "0"]), Some(2));
    assert_eq!(single(&mut c, &["RANK", "-1", "MAXLEN", "1"]), Some(7));
    assert_eq!(single(&mut c, &["RANK", "-2", "MAXLEN", "1"]), None);

    let many = |c: &mut Connection, extra: &[&str]| -> Vec<i64> {
        let mut args = vec!["LPOS", "p", "c"];
        args.extend_from_slice(extra);
        run(c, &args)
    };
    assert_eq!(many(&mut c, &["COUNT", "0"]), [2, 6, 7]);
    assert_eq!(many(&mut c, &["COUNT", "2"]), [2, 6]);
    assert_eq!(many(&mut c, &["COUNT", "10"]), [2, 6, 7]);
    assert_eq!(many(&mut c, &["COUNT", "0", "RANK", "-1"]), [7, 6, 2]);
    assert_eq!(many(&mut c, &["COUNT", "1", "RANK", "2"]), [6]);
    assert_eq!(many(&mut c, &["COUNT", "1", "MAXLEN", "3"]), [2]);
    assert_eq!(many(&mut c, &["COUNT", "0", "MAXLEN", "7"]), [2, 6]);
    assert_eq!(
        many(&mut c, &["RANK", "4", "COUNT", "0"]),
        Vec::<i64>::new()
    );

    // Missing elements and keys: null without COUNT, an empty array with it.
    let got: Value = run(&mut c, &["LPOS", "p", "missing"]);
    assert_eq!(got, Value::Nil);
    let got: Value = run(&mut c, &["LPOS", "p", "missing", "COUNT", "0"]);
    assert_eq!(got, Value::Array(vec![]));
    let got: Value = run(&mut c, &["LPOS", "nosuch", "a"]);
    assert_eq!(got, Value::Nil);
    let got: Value = run(&mut c, &["LPOS", "nosuch", "a", "COUNT", "0"]);
    assert_eq!(got, Value::Array(vec![]));

    assert_err(
        &mut c,
        &["LPOS", "p", "c", "RANK", "0"],
        "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    );
    assert_err(&mut c, &["LPOS", "p", "c", "RANK", "abc"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["LPOS", "p", "c", "COUNT", "-1"],
        "COUNT can't be negative",
    );
    assert_err(
        &mut c,
        &["LPOS", "p", "c", "MAXLEN", "-1"],
        "MAXLEN can't be negative",
    );
    assert_err(&mut c, &["LPOS", "p", "c", "COUNT"], "syntax error");
    assert_err(&mut c, &["LPOS", "p", "c", "FOO", "1"], "syntax error");
    // Options are parsed before the key is looked up.
    assert_err(&mut c, &["LPOS", "nosuch", "c", "FOO", "1"], "syntax error");
    assert_err(
        &mut c,
        &["LPOS", "p"],
        "wrong number of arguments for 'lpos' command",
    );
}

#[test]
fn lmove_in_every_direction_and_rpoplpush() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "src", "1", "2", "3", "4"]);
    let moved: String = run(&mut c, &["LMOVE", "src", "dst", "LEFT", "RIGHT"]);
    assert_eq!(moved, "1");
    let moved: String = run(&mut c, &["LMOVE", "src", "dst", "RIGHT", "LEFT"]);
    assert_eq!(moved, "4");
    let moved: String = run(&mut c, &["LMOVE", "src", "dst", "left", "left"]);
    assert_eq!(moved, "2");
    let moved: String = run(&mut c, &["LMOVE", "src", "dst", "RIGHT", "RIGHT"]);
    assert_eq!(moved, "3");
    assert_eq!(range(&mut c, "dst"), ["2", "4", "1", "3"]);
    // The source went with its last element; a missing source moves nothing.
    assert_eq!(exists(&mut c, "src"), 0);
    let got: Value = run(&mut c, &["LMOVE", "src", "dst", "LEFT", "RIGHT"]);
    assert_eq!(got, Value::Nil);
    assert_eq!(exists(&mut c, "src"), 0);

    // Same source and destination rotates the list.
    let moved: String = run(&mut c, &["LMOVE", "dst", "dst", "LEFT", "RIGHT"]);
    assert_eq!(moved, "2");
    assert_eq!(range(&mut c, "dst"), ["4", "1", "3", "2"]);
    let moved: String = run(&mut c, &["LMOVE", "dst", "dst", "RIGHT", "LEFT"]);
    assert_eq!(moved, "2");
    assert_eq!(range(&mut c, "dst"), ["2", "4", "1", "3"]);

    let moved: String = run(&mut c, &["RPOPLPUSH", "dst", "rp"]);
    assert_eq!(moved, "3");
    let moved: String = run(&mut c, &["RPOPLPUSH", "dst", "dst"]);
    assert_eq!(moved, "1");
    assert_eq!(range(&mut c, "dst"), ["1", "2", "4"]);
    assert_eq!(range(&mut c, "rp"), ["3"]);
    let got: Value = run(&mut c, &["RPOPLPUSH", "nosuch", "rp"]);
    assert_eq!(got, Value::Nil);

    assert_err(
        &mut c,
        &["LMOVE", "dst", "other", "UP", "DOWN"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["LMOVE", "dst", "other", "LEFT", "UP"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["LMOVE", "dst", "other", "LEFT"],
        "wrong number of arguments for 'lmove' command",
    );
    assert_err(
        &mut c,
        &["RPOPLPUSH", "dst"],
        "wrong number of arguments for 'rpoplpush' command",
    );
    assert_eq!(exists(&mut c, "other"), 0);
}

#[test]
fn lmove_to_a_wrong_type_destination_moves_nothing() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "src", "a", "b"]);
    let _: () = run(&mut c, &["SET", "str", "v"]);
    assert_wrongtype(&mut c, &["LMOVE", "src", "str", "LEFT", "LEFT"]);
    assert_wrongtype(&mut c, &["RPOPLPUSH", "src", "str"]);
    assert_eq!(range(&mut c, "src"), ["a", "b"]);
    assert_wrongtype(&mut c, &["LMOVE", "str", "src", "LEFT", "LEFT"]);
    let got: String = run(&mut c, &["GET", "str"]);
    assert_eq!(got, "v");
    // An empty source replies null before the destination's type is looked at.
    let got: Value = run(&mut c, &["LMOVE", "nosuch", "str", "LEFT", "LEFT"]);
    assert_eq!(got, Value::Nil);
}

#[test]
fn lmpop_pops_from_the_first_non_empty_list() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "m1", "a", "b", "c", "d", "e"]);
    let _: i64 = run(&mut c, &["RPUSH", "m2", "x", "y"]);
    let got: (String, Vec<String>) = run(&mut c, &["LMPOP", "2", "nosuch", "m1", "LEFT"]);
    assert_eq!(got, ("m1".to_string(), vec!["a".to_string()]));
    let got: (String, Vec<String>) =
        run(&mut c, &["LMPOP", "2", "m1", "m2", "RIGHT", "COUNT", "2"]);
    assert_eq!(got.0, "m1");
    assert_eq!(got.1, ["e", "d"]);
    let got: (String, Vec<String>) = run(&mut c, &["LMPOP", "1", "m2", "left", "count", "10"]);
    assert_eq!(got.0, "m2");
    assert_eq!(got.1, ["x", "y"]);
    assert_eq!(exists(&mut c, "m2"), 0);
    let got: Value = run(&mut c, &["LMPOP", "2", "nosuch", "m2", "LEFT"]);
    assert_eq!(got, Value::Nil);
    assert_eq!(range(&mut c, "m1"), ["b", "c"]);

    let numkeys = "numkeys should be greater than 0";
    assert_err(&mut c, &["LMPOP", "0", "m1", "LEFT"], numkeys);
    assert_err(&mut c, &["LMPOP", "-1", "m1", "LEFT"], numkeys);
    assert_err(&mut c, &["LMPOP", "abc", "m1", "LEFT"], numkeys);
    assert_err(&mut c, &["LMPOP", "3", "m1", "LEFT"], "syntax error");
    assert_err(&mut c, &["LMPOP", "1", "m1", "UP"], "syntax error");
    let count = "count should be greater than 0";
    assert_err(&mut c, &["LMPOP", "1", "m1", "LEFT", "COUNT", "0"], count);
    assert_err(&mut c, &["LMPOP", "1", "m1", "LEFT", "COUNT", "-1"], count);
    assert_err(&mut c, &["LMPOP", "1", "m1", "LEFT", "COUNT", "abc"], count);
    assert_err(
        &mut c,
        &["LMPOP", "1", "m1", "LEFT", "COUNT", "1", "COUNT", "2"],
        "syntax error",
    );
    assert_err(&mut c, &["LMPOP", "1", "m1", "LEFT", "FOO"], "syntax error");
    assert_err(
        &mut c,
        &["LMPOP", "1", "m1"],
        "wrong number of arguments for 'lmpop' command",
    );
    assert_eq!(range(&mut c, "m1"), ["b", "c"]);
}

#[test]
fn blocking_pops_return_at_once_when_data_is_present() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "b1", "a", "b", "c", "d"]);
    let got: Vec<String> = run(&mut c, &["BLPOP", "nosuch", "b1", "0"]);
    assert_eq!(got, ["b1", "a"]);
    let got: Vec<String> = run(&mut c, &["BRPOP", "b1", "nosuch", "1"]);
    assert_eq!(got, ["b1", "d"]);
    // Any valid timeout form is accepted when nothing has to wait.
    let got: Vec<String> = run(&mut c, &["BLPOP", "b1", "0.5"]);
    assert_eq!(got, ["b1", "b"]);
    let got: Vec<String> = run(&mut c, &["BRPOP", "b1", "1e-5"]);
    assert_eq!(got, ["b1", "c"]);
    assert_eq!(exists(&mut c, "b1"), 0);

    let _: i64 = run(&mut c, &["RPUSH", "b1", "a", "b", "c"]);
    let got: String = run(&mut c, &["BLMOVE", "b1", "bdst", "LEFT", "RIGHT", "0"]);
    assert_eq!(got, "a");
    let got: String = run(&mut c, &["BLMOVE", "b1", "bdst", "RIGHT", "LEFT", "0.01"]);
    assert_eq!(got, "c");
    let got: String = run(&mut c, &["BRPOPLPUSH", "b1", "bdst", "0"]);
    assert_eq!(got, "b");
    assert_eq!(range(&mut c, "bdst"), ["b", "c", "a"]);
    assert_eq!(exists(&mut c, "b1"), 0);

    let _: i64 = run(&mut c, &["RPUSH", "b2", "1", "2", "3", "4"]);
    let got: (String, Vec<String>) = run(
        &mut c,
        &["BLMPOP", "0", "2", "nosuch", "b2", "LEFT", "COUNT", "3"],
    );
    assert_eq!(got.0, "b2");
    assert_eq!(got.1, ["1", "2", "3"]);
    let got: (String, Vec<String>) = run(&mut c, &["BLMPOP", "0", "1", "b2", "RIGHT"]);
    assert_eq!(got.0, "b2");
    assert_eq!(got.1, ["4"]);
    assert_eq!(exists(&mut c, "b2"), 0);
}

#[test]
fn blocking_pop_argument_errors() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "b1", "a"]);
    let negative = "timeout is negative";
    let not_float = "timeout is not a float or out of range";
    assert_err(&mut c, &["BLPOP", "b1", "-1"], negative);
    assert_err(&mut c, &["BLPOP", "b1", "abc"], not_float);
    assert_err(&mut c, &["BRPOP", "b1", "x"], not_float);
    assert_err(
        &mut c,
        &["BLMOVE", "b1", "d", "LEFT", "RIGHT", "-1"],
        negative,
    );
    assert_err(
        &mut c,
        &["BLMOVE", "b1", "d", "UP", "LEFT", "0"],
        "syntax error",
    );
    assert_err(&mut c, &["BRPOPLPUSH", "b1", "d", "x"], not_float);
    assert_err(&mut c, &["BLMPOP", "-1", "1", "b1", "LEFT"], negative);
    assert_err(
        &mut c,
        &["BLMPOP", "0", "0", "b1", "LEFT"],
        "numkeys should be greater than 0",
    );
    assert_err(&mut c, &["BLMPOP", "abc", "1", "b1", "LEFT"], not_float);
    assert_err(
        &mut c,
        &["BLPOP", "b1"],
        "wrong number of arguments for 'blpop' command",
    );
    assert_err(
        &mut c,
        &["BLMOVE", "b1", "d", "LEFT", "RIGHT"],
        "wrong number of arguments for 'blmove' command",
    );
    assert_err(
        &mut c,
        &["BLMPOP", "0", "1", "b1"],
        "wrong number of arguments for 'blmpop' command",
    );
    // Nothing was popped by the failed commands.
    assert_eq!(range(&mut c, "b1"), ["a"]);
}

#[test]
fn blocking_timeouts_too_large_for_milliseconds_are_rejected() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "b1", "a"]);
    let negative = "timeout is negative";
    for timeout in ["inf", "+inf", "1e16", "9223372036854775807", "1e308"] {
        assert_err(&mut c, &["BLPOP", "b1", timeout], negative);
        assert_err(&mut c, &["BRPOP", "b1", timeout], negative);
        assert_err(
            &mut c,
            &["BLMOVE", "b1", "d", "LEFT", "LEFT", timeout],
            negative,
        );
        assert_err(&mut c, &["BRPOPLPUSH", "b1", "d", timeout], negative);
        assert_err(&mut c, &["BLMPOP", timeout, "1", "b1", "LEFT"], negative);
    }
    assert_eq!(range(&mut c, "b1"), ["a"]);
    // Just below the overflow is fine.
    let got: Vec<String> = run(&mut c, &["BLPOP", "b1", "9.2e15"]);
    assert_eq!(got, ["b1", "a"]);
}

#[test]
fn blocking_pops_inside_multi_reply_nil_on_empty_keys() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let replies: Vec<Value> = redis::pipe()
        .atomic()
        .cmd("BLPOP")
        .arg("empty1")
        .arg("0")
        .cmd("BRPOP")
        .arg("empty1")
        .arg("0")
        .cmd("BLMOVE")
        .arg(&["empty1", "empty2", "LEFT", "LEFT", "0"])
        .cmd("BRPOPLPUSH")
        .arg(&["empty1", "empty2", "0"])
        .cmd("BLMPOP")
        .arg(&["0", "1", "empty1", "LEFT"])
        .cmd("RPUSH")
        .arg("empty1")
        .arg("v")
        .cmd("BLPOP")
        .arg("empty1")
        .arg("0")
        .query(&mut c)
        .unwrap();
    assert_eq!(
        replies,
        vec![
            Value::Nil,
            Value::Nil,
            Value::Nil,
            Value::Nil,
            Value::Nil,
            Value::Int(1),
            Value::Array(vec![bulk("empty1"), bulk("v")]),
        ]
    );
    assert_eq!(exists(&mut c, "empty1"), 0);
    assert_eq!(exists(&mut c, "empty2"), 0);
}

#[test]
fn list_commands_reject_other_types() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: () = run(&mut c, &["SET", "str", "v"]);
    let _: i64 = run(&mut c, &["HSET", "hash", "f", "v"]);
    let _: i64 = run(&mut c, &["SADD", "set", "m"]);
    let _: i64 = run(&mut c, &["ZADD", "zset", "1", "m"]);
    for key in ["str", "hash", "set", "zset"] {
        let commands: &[&[&str]] = &[
            &["LPUSH", key, "a"],
            &["RPUSH", key, "a"],
            &["LPUSHX", key, "a"],
            &["RPUSHX", key, "a"],
            &["LPOP", key],
            &["RPOP", key, "2"],
            &["LLEN", key],
            &["LRANGE", key, "0", "-1"],
            &["LINDEX", key, "0"],
            &["LSET", key, "0", "a"],
            &["LINSERT", key, "BEFORE", "a", "b"],
            &["LREM", key, "0", "a"],
            &["LTRIM", key, "0", "1"],
            &["LPOS", key, "a"],
            &["LMOVE", key, "dst", "LEFT", "LEFT"],
            &["RPOPLPUSH", key, "dst"],
            &["LMPOP", "1", key, "LEFT"],
            &["LMPOP", "2", "nosuch", key, "LEFT"],
            &["BLPOP", key, "0"],
            &["BRPOP", "nosuch", key, "0"],
            &["BLMOVE", key, "dst", "LEFT", "LEFT", "0"],
            &["BLMPOP", "0", "2", "nosuch", key, "LEFT"],
        ];
        for args in commands {
            assert_wrongtype(&mut c, args);
        }
    }
    let types: Vec<String> = ["str", "hash", "set", "zset", "dst"]
        .iter()
        .map(|key| run(&mut c, &["TYPE", key]))
        .collect();
    assert_eq!(types, ["string", "hash", "set", "zset", "none"]);
}

#[test]
fn type_scan_copy_and_rename_of_a_list() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "l1", "a", "b", "c"]);
    let _: i64 = run(&mut c, &["RPUSH", "l2", "x"]);
    let _: () = run(&mut c, &["SET", "str", "v"]);
    let _: i64 = run(&mut c, &["SADD", "set", "m"]);
    let kind: String = run(&mut c, &["TYPE", "l1"]);
    assert_eq!(kind, "list");
    let (cursor, mut keys): (u64, Vec<String>) =
        run(&mut c, &["SCAN", "0", "TYPE", "list", "COUNT", "1000"]);
    assert_eq!(cursor, 0);
    keys.sort();
    assert_eq!(keys, ["l1", "l2"]);

    let copied: i64 = run(&mut c, &["COPY", "l1", "copy"]);
    assert_eq!(copied, 1);
    assert_eq!(range(&mut c, "copy"), ["a", "b", "c"]);
    // The copy is independent of its source.
    let _: i64 = run(&mut c, &["RPUSH", "copy", "d"]);
    let _: String = run(&mut c, &["LSET", "copy", "0", "A"]);
    assert_eq!(range(&mut c, "l1"), ["a", "b", "c"]);
    assert_eq!(range(&mut c, "copy"), ["A", "b", "c", "d"]);
    let copied: i64 = run(&mut c, &["COPY", "l1", "copy"]);
    assert_eq!(copied, 0);
    let copied: i64 = run(&mut c, &["COPY", "l1", "copy", "REPLACE"]);
    assert_eq!(copied, 1);
    assert_eq!(range(&mut c, "copy"), ["a", "b", "c"]);

    let ok: String = run(&mut c, &["RENAME", "l1", "renamed"]);
    assert_eq!(ok, "OK");
    assert_eq!(exists(&mut c, "l1"), 0);
    assert_eq!(range(&mut c, "renamed"), ["a", "b", "c"]);
    let kind: String = run(&mut c, &["TYPE", "renamed"]);
    assert_eq!(kind, "list");
    let encoding: String = run(&mut c, &["OBJECT", "ENCODING", "renamed"]);
    assert_eq!(encoding, "quicklist");
}

#[test]
fn binary_and_numeric_elements_round_trip() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let elements: [&[u8]; 4] = [b"a\x00b", b"\xff", b"", b"\r\n"];
    let len: i64 = redis::cmd("RPUSH")
        .arg("bin")
        .arg(&elements[..])
        .query(&mut c)
        .unwrap();
    assert_eq!(len, 4);
    let got: Vec<Vec<u8>> = run(&mut c, &["LRANGE", "bin", "0", "-1"]);
    assert_eq!(got, elements);
    let removed: i64 = redis::cmd("LREM")
        .arg("bin")
        .arg(0)
        .arg(&b"a\x00b"[..])
        .query(&mut c)
        .unwrap();
    assert_eq!(removed, 1);
    let got: Option<i64> = redis::cmd("LPOS")
        .arg("bin")
        .arg(&b"\r\n"[..])
        .query(&mut c)
        .unwrap();
    assert_eq!(got, Some(2));

    // Integer-looking elements come back exactly as pushed.
    let nums = [
        "1",
        "-2",
        "9223372036854775807",
        "-9223372036854775808",
        "123456789012345678901",
        "1.5",
        "0x10",
        "01",
        " 1",
    ];
    let mut args = vec!["RPUSH", "nums"];
    args.extend(nums);
    let _: i64 = run(&mut c, &args);
    assert_eq!(range(&mut c, "nums"), nums);
    let found: Option<i64> = run(&mut c, &["LPOS", "nums", "01"]);
    assert_eq!(found, Some(7));
    let removed: i64 = run(&mut c, &["LREM", "nums", "0", "1"]);
    assert_eq!(removed, 1);
    let len: i64 = run(
        &mut c,
        &["LINSERT", "nums", "AFTER", "9223372036854775807", "mid"],
    );
    assert_eq!(len, 9);
    let got: String = run(&mut c, &["LINDEX", "nums", "2"]);
    assert_eq!(got, "mid");
}

#[test]
fn lists_always_report_quicklist() {
    let server = TestServer::start(&["--list-max-listpack-size", "4"]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["RPUSH", "small", "a"]);
    let encoding: String = run(&mut c, &["OBJECT", "ENCODING", "small"]);
    assert_eq!(encoding, "quicklist");
    let _: i64 = run(
        &mut c,
        &["RPUSH", "small", "b", "c", "d", "e", "f", "g", "h", "i"],
    );
    let encoding: String = run(&mut c, &["OBJECT", "ENCODING", "small"]);
    assert_eq!(encoding, "quicklist");
    let big = "x".repeat(10_000);
    let _: i64 = run(&mut c, &["RPUSH", "small", &big]);
    let encoding: String = run(&mut c, &["OBJECT", "ENCODING", "small"]);
    assert_eq!(encoding, "quicklist");
    let got: String = run(&mut c, &["LINDEX", "small", "-1"]);
    assert_eq!(got, big);
    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "list-max-listpack-size"]);
    assert_eq!(config, ["list-max-listpack-size", "4"]);
    // Shrinking back down keeps the encoding.
    let _: String = run(&mut c, &["LTRIM", "small", "0", "0"]);
    let encoding: String = run(&mut c, &["OBJECT", "ENCODING", "small"]);
    assert_eq!(encoding, "quicklist");
    let ok: String = run(&mut c, &["CONFIG", "SET", "list-max-listpack-size", "-2"]);
    assert_eq!(ok, "OK");
    assert_err(
        &mut c,
        &["CONFIG", "SET", "list-max-listpack-size", "abc"],
        "argument couldn't be parsed into an integer",
    );
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn edits_across_small_nodes_match_a_model() {
    // Four elements per node, so most edits cross or split nodes.
    let server = TestServer::start(&["--list-max-listpack-size", "4"]);
    let mut c = server.connect();
    let mut model: Vec<String> = Vec::new();
    let mut rng = Lcg(7);
    for step in 0..600 {
        let value = format!("v{}", rng.below(20));
        let len = model.len();
        match rng.below(9) {
            0 => {
                let _: i64 = run(&mut c, &["LPUSH", "l", &value]);
                model.insert(0, value);
            }
            1 | 2 => {
                let _: i64 = run(&mut c, &["RPUSH", "l", &value]);
                model.push(value);
            }
            3 if len > 0 => {
                let index = rng.below(len);
                let _: String = run(&mut c, &["LSET", "l", &index.to_string(), &value]);
                model[index] = value;
            }
            4 if len > 0 => {
                let pivot = model[rng.below(len)].clone();
                let at = model.iter().position(|v| *v == pivot).unwrap();
                let got: i64 = run(&mut c, &["LINSERT", "l", "AFTER", &pivot, &value]);
                model.insert(at + 1, value);
                assert_eq!(got, model.len() as i64);
            }
            5 => {
                let count = rng.below(5) as i64 - 2;
                let got: i64 = run(&mut c, &["LREM", "l", &count.to_string(), &value]);
                let matching: Vec<usize> = (0..len).filter(|&i| model[i] == value).collect();
                let chosen: Vec<usize> = match count {
                    0 => matching,
                    n if n > 0 => matching.into_iter().take(n as usize).collect(),
                    n => matching
                        .into_iter()
                        .rev()
                        .take(n.unsigned_abs() as usize)
                        .collect(),
                };
                assert_eq!(got, chosen.len() as i64, "step {step}");
                let mut i = 0;
                model.retain(|_| {
                    i += 1;
                    !chosen.contains(&(i - 1))
                });
            }
            6 if len > 4 => {
                let start = rng.below(3);
                let stop = len - 1 - rng.below(3);
                let _: String = run(
                    &mut c,
                    &["LTRIM", "l", &start.to_string(), &stop.to_string()],
                );
                model = model[start..=stop].to_vec();
            }
            7 if len > 0 => {
                let got: String = run(&mut c, &["LPOP", "l"]);
                assert_eq!(got, model.remove(0));
            }
            _ => {
                let _: i64 = run(&mut c, &["RPUSH", "l", &value, "tail"]);
                model.push(value);
                model.push("tail".to_string());
            }
        }
        if step % 50 == 0 {
            assert_eq!(range(&mut c, "l"), model, "step {step}");
        }
    }
    assert_eq!(range(&mut c, "l"), model);
    let len: i64 = run(&mut c, &["LLEN", "l"]);
    assert_eq!(len, model.len() as i64);
    for index in (0..model.len()).step_by(7) {
        let got: String = run(&mut c, &["LINDEX", "l", &index.to_string()]);
        assert_eq!(got, model[index]);
    }
}

#[test]
fn a_ten_thousand_element_list_keeps_every_element_in_order() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    const N: usize = 10_000;
    let values: Vec<String> = (0..N).map(|i| format!("element:{i}")).collect();
    let mut pipe = redis::pipe();
    for value in &values {
        pipe.cmd("RPUSH").arg("big").arg(value).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let len: i64 = run(&mut c, &["LLEN", "big"]);
    assert_eq!(len, N as i64);
    assert_eq!(range(&mut c, "big"), values);

    for start in (0..N).step_by(997) {
        let stop = (start + 25).min(N - 1);
        let got: Vec<String> = run(
            &mut c,
            &["LRANGE", "big", &start.to_string(), &stop.to_string()],
        );
        assert_eq!(got, values[start..=stop]);
        let got: String = run(&mut c, &["LINDEX", "big", &start.to_string()]);
        assert_eq!(got, values[start]);
        let negative = start as i64 - N as i64;
        let got: String = run(&mut c, &["LINDEX", "big", &negative.to_string()]);
        assert_eq!(got, values[start]);
    }
    let got: Vec<String> = run(&mut c, &["LRANGE", "big", "-3", "-1"]);
    assert_eq!(got, values[N - 3..]);
    let found: i64 = run(&mut c, &["LPOS", "big", "element:7777"]);
    assert_eq!(found, 7777);
    let found: Option<i64> = run(&mut c, &["LPOS", "big", "element:7777", "MAXLEN", "7777"]);
    assert_eq!(found, None);

    // Edits in the middle shift everything after them by one.
    let len: i64 = run(
        &mut c,
        &["LINSERT", "big", "BEFORE", "element:5000", "inserted"],
    );
    assert_eq!(len, N as i64 + 1);
    let got: Vec<String> = run(&mut c, &["LRANGE", "big", "4999", "5001"]);
    assert_eq!(got, ["element:4999", "inserted", "element:5000"]);
    let got: String = run(&mut c, &["LINDEX", "big", "-1"]);
    assert_eq!(got, values[N - 1]);
    let removed: i64 = run(&mut c, &["LREM", "big", "0", "inserted"]);
    assert_eq!(removed, 1);
    let _: String = run(&mut c, &["LTRIM", "big", "1000", "8999"]);
    assert_eq!(range(&mut c, "big"), values[1000..9000]);
    let popped: Vec<String> = run(&mut c, &["RPOP", "big", "3000"]);
    let expected: Vec<String> = values[6000..9000].iter().rev().cloned().collect();
    assert_eq!(popped, expected);
    assert_eq!(range(&mut c, "big"), values[1000..6000]);
}
