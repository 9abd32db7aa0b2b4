//! Sorted-set commands through the redis crate: ZADD and its options, ZINCRBY, score parsing
//! and formatting, ranks, every ZRANGE form and the legacy range commands, counts, pops
//! (including the blocking ones when data is present), ZREMRANGEBY*, ZUNION/ZINTER/ZDIFF and
//! their STORE forms, ZINTERCARD, ZRANGESTORE, ZRANDMEMBER invariants, ZSCAN, errors,
//! WRONGTYPE, key lifecycle, listpack ↔ skiplist encodings and large sorted sets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use redis::{Connection, Value};
use zedis_tests::error_tail::{NOT_INTEGER, assert_err, assert_wrongtype};
use zedis_tests::{TestServer, encoding, exists, run};

const NOT_FLOAT: &str = "value is not a valid float";
const SCORE_RANGE: &str = "min or max is not a float";
const LEX_RANGE: &str = "min or max not valid string range item";

/// `ZRANGE key 0 -1 WITHSCORES` as a flat list of members and scores.
fn all(connection: &mut Connection, key: &str) -> Vec<String> {
    run(connection, &["ZRANGE", key, "0", "-1", "WITHSCORES"])
}

fn strings(connection: &mut Connection, args: &[&str]) -> Vec<String> {
    run(connection, args)
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

/// The RESP2 shape of ZMPOP/BZMPOP: `[key, [[member, score], ...]]`.
fn mpop_reply(key: &str, pairs: &[(&str, &str)]) -> Value {
    Value::Array(vec![
        bulk(key),
        Value::Array(
            pairs
                .iter()
                .map(|(m, s)| Value::Array(vec![bulk(m), bulk(s)]))
                .collect(),
        ),
    ])
}

#[test]
fn zadd_adds_and_updates_members() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let added: i64 = run(&mut c, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(added, 3);
    // Updates are not counted; a repeated member takes its last score.
    let added: i64 = run(&mut c, &["ZADD", "z", "1.5", "a", "4", "d", "5", "d"]);
    assert_eq!(added, 1);
    let added: i64 = run(&mut c, &["ZADD", "z", "2", "b"]);
    assert_eq!(added, 0);
    assert_eq!(all(&mut c, "z"), ["a", "1.5", "b", "2", "c", "3", "d", "5"]);
    let card: i64 = run(&mut c, &["ZCARD", "z"]);
    assert_eq!(card, 4);
    let card: i64 = run(&mut c, &["ZCARD", "nosuch"]);
    assert_eq!(card, 0);

    assert_err(&mut c, &["ZADD", "z", "1", "a", "2"], "syntax error");
    assert_err(&mut c, &["ZADD", "z", "NX", "1"], "syntax error");
    assert_err(
        &mut c,
        &["ZADD", "z", "1"],
        "wrong number of arguments for 'zadd' command",
    );
    for score in [
        "abc", "nan", "1e400", "-2e308", "1e-400", " 1", "1 ", "", "1,5", "1_0", "0b1", "1e",
    ] {
        assert_err(&mut c, &["ZADD", "z", score, "a"], NOT_FLOAT);
    }
    // A bad score anywhere rejects the whole command.
    assert_err(&mut c, &["ZADD", "z", "7", "x", "bad", "y"], NOT_FLOAT);
    assert_err(
        &mut c,
        &["ZADD", "z"],
        "wrong number of arguments for 'zadd' command",
    );
    assert_err(
        &mut c,
        &["ZCARD", "z", "extra"],
        "wrong number of arguments for 'zcard' command",
    );
    assert_eq!(all(&mut c, "z"), ["a", "1.5", "b", "2", "c", "3", "d", "5"]);
}

#[test]
fn zadd_nx_xx_gt_lt_and_ch() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["ZADD", "z", "1", "a", "2", "b"]);
    let cases: &[(&[&str], i64)] = &[
        // NX only adds.
        (&["NX", "10", "a", "5", "e"], 1),
        // XX only updates.
        (&["XX", "10", "a", "6", "f"], 0),
        // CH counts updates as well.
        (&["XX", "CH", "10", "a", "10", "b"], 1),
        (&["CH", "10", "a", "11", "b", "7", "g"], 2),
        // GT/LT update only upwards/downwards, and still add new members.
        (&["GT", "5", "a"], 0),
        (&["GT", "CH", "20", "a"], 1),
        (&["LT", "CH", "30", "a", "1", "b"], 1),
        (&["GT", "XX", "CH", "25", "a", "99", "nosuchmember"], 1),
        (&["GT", "CH", "8", "h"], 1),
        (&["LT", "1", "h"], 0),
        (&["ch", "nx", "3", "a", "3", "i"], 1),
    ];
    for (options, want) in cases {
        let mut args = vec!["ZADD", "z"];
        args.extend_from_slice(options);
        let got: i64 = run(&mut c, &args);
        assert_eq!(got, *want, "{args:?}");
    }
    assert_eq!(
        all(&mut c, "z"),
        ["b", "1", "h", "1", "i", "3", "e", "5", "g", "7", "a", "25"]
    );
    // XX on a missing key creates nothing.
    let got: i64 = run(&mut c, &["ZADD", "nosuch", "XX", "1", "a"]);
    assert_eq!(got, 0);
    assert_eq!(exists(&mut c, "nosuch"), 0);

    let xx_nx = "XX and NX options at the same time are not compatible";
    let gt_lt_nx = "GT, LT, and/or NX options at the same time are not compatible";
    assert_err(&mut c, &["ZADD", "z", "NX", "XX", "1", "a"], xx_nx);
    assert_err(&mut c, &["ZADD", "z", "GT", "LT", "1", "a"], gt_lt_nx);
    assert_err(&mut c, &["ZADD", "z", "NX", "GT", "1", "a"], gt_lt_nx);
    assert_err(&mut c, &["ZADD", "z", "NX", "LT", "1", "a"], gt_lt_nx);
    // An unknown option is read as a score.
    assert_err(&mut c, &["ZADD", "z", "FOO", "a"], NOT_FLOAT);
    assert_err(&mut c, &["ZADD", "z", "FOO", "1", "a"], "syntax error");
    assert_err(&mut c, &["ZADD", "z", "CH", "XX"], "syntax error");
}

#[test]
fn zadd_incr_and_zincrby() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["ZADD", "z", "1", "a"]);
    let cases: &[(&[&str], Option<&str>)] = &[
        (&["INCR", "2", "a"], Some("3")),
        (&["INCR", "2.5", "new"], Some("2.5")),
        // NX/XX/GT/LT that prevent the change reply nil.
        (&["INCR", "NX", "1", "a"], None),
        (&["INCR", "XX", "1", "newm"], None),
        (&["INCR", "GT", "-100", "a"], None),
        (&["INCR", "LT", "-1", "a"], Some("2")),
        (&["INCR", "GT", "1", "a"], Some("3")),
        (&["INCR", "XX", "-3", "a"], Some("0")),
    ];
    for (options, want) in cases {
        let mut args = vec!["ZADD", "z"];
        args.extend_from_slice(options);
        let got: Option<String> = run(&mut c, &args);
        assert_eq!(got.as_deref(), *want, "{args:?}");
    }
    assert_eq!(exists(&mut c, "newm"), 0);
    let score: Option<String> = run(&mut c, &["ZSCORE", "z", "newm"]);
    assert_eq!(score, None);
    assert_err(
        &mut c,
        &["ZADD", "z", "INCR", "2", "a", "3", "b"],
        "INCR option supports a single increment-element pair",
    );
    assert_err(&mut c, &["ZADD", "z", "INCR", "abc", "a"], NOT_FLOAT);

    let got: String = run(&mut c, &["ZINCRBY", "z", "0.5", "a"]);
    assert_eq!(got, "0.5");
    let got: String = run(&mut c, &["ZINCRBY", "z", "-2", "a"]);
    assert_eq!(got, "-1.5");
    let got: String = run(&mut c, &["ZINCRBY", "newkey", "2.5", "m"]);
    assert_eq!(got, "2.5");
    assert_eq!(all(&mut c, "newkey"), ["m", "2.5"]);
    let got: String = run(&mut c, &["ZINCRBY", "z", "inf", "new"]);
    assert_eq!(got, "inf");
    let got: String = run(&mut c, &["ZINCRBY", "z", "1", "new"]);
    assert_eq!(got, "inf");
    let nan = "resulting score is not a number (NaN)";
    assert_err(&mut c, &["ZINCRBY", "z", "-inf", "new"], nan);
    assert_err(&mut c, &["ZADD", "z", "INCR", "-inf", "new"], nan);
    let got: String = run(&mut c, &["ZSCORE", "z", "new"]);
    assert_eq!(got, "inf");
    assert_err(&mut c, &["ZINCRBY", "z", "nan", "a"], NOT_FLOAT);
    assert_err(&mut c, &["ZINCRBY", "z", "abc", "a"], NOT_FLOAT);
    assert_err(
        &mut c,
        &["ZINCRBY", "z", "1"],
        "wrong number of arguments for 'zincrby' command",
    );
}

#[test]
fn scores_are_parsed_and_formatted_like_redis() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let pairs = [
        ("1e3", "e3", "1000"),
        ("0x10", "hex", "16"),
        ("inf", "pinf", "inf"),
        ("-inf", "minf", "-inf"),
        ("+inf", "plus", "inf"),
        // A listpack keeps no negative zero.
        ("-0", "negzero", "0"),
        (".5", "half", "0.5"),
        ("5.", "five", "5"),
        ("0.1", "tenth", "0.10000000000000001"),
        ("1e17", "e17", "1e+17"),
        ("123456789012345678", "long", "1.2345678901234568e+17"),
        ("1.5e308", "huge", "1.5e+308"),
        ("1e-320", "denorm", "9.9998886718268301e-321"),
        ("-1e-7", "small", "-9.9999999999999995e-08"),
        ("12345.678", "frac", "12345.678"),
        ("-1.5e-5", "neg", "-1.5e-05"),
        ("INFINITY", "upper", "inf"),
        ("0X1A", "upperhex", "26"),
        ("1.5e-310", "subnormal", "1.5000000000000201e-310"),
    ];
    let mut args = vec!["ZADD", "f"];
    for (score, member, _) in &pairs {
        args.push(score);
        args.push(member);
    }
    let added: i64 = run(&mut c, &args);
    assert_eq!(added, pairs.len() as i64);
    for (_, member, want) in &pairs {
        let got: String = run(&mut c, &["ZSCORE", "f", member]);
        assert_eq!(got, *want, "ZSCORE f {member}");
    }
    let got: Vec<Option<String>> = run(&mut c, &["ZMSCORE", "f", "e3", "nosuch", "hex", "minf"]);
    assert_eq!(
        got,
        [
            Some("1000".to_string()),
            None,
            Some("16".to_string()),
            Some("-inf".to_string())
        ]
    );
    let got: Vec<Option<String>> = run(&mut c, &["ZMSCORE", "nosuch", "a", "b"]);
    assert_eq!(got, [None, None]);
    let got: Option<String> = run(&mut c, &["ZSCORE", "nosuch", "a"]);
    assert_eq!(got, None);
    assert_err(
        &mut c,
        &["ZMSCORE", "f"],
        "wrong number of arguments for 'zmscore' command",
    );
    // Ordered by score; -0 and 0 tie and order by member.
    let _: i64 = run(&mut c, &["ZADD", "f", "0", "zero"]);
    let members = strings(&mut c, &["ZRANGE", "f", "0", "-1"]);
    assert_eq!(
        members,
        [
            "minf",
            "neg",
            "small",
            "negzero",
            "zero",
            "denorm",
            "subnormal",
            "tenth",
            "half",
            "five",
            "hex",
            "upperhex",
            "e3",
            "frac",
            "e17",
            "long",
            "huge",
            "pinf",
            "plus",
            "upper"
        ]
    );
    let got: String = run(&mut c, &["ZINCRBY", "f", "0.2", "tenth"]);
    assert_eq!(got, "0.30000000000000004");
    let got: String = run(&mut c, &["ZINCRBY", "f", "1", "e17"]);
    assert_eq!(got, "1e+17");
    // Overflowing to infinity is allowed, unlike NaN.
    let got: String = run(&mut c, &["ZINCRBY", "f", "1e308", "huge"]);
    assert_eq!(got, "inf");

    // A skiplist does keep it.
    let long_member = "x".repeat(100);
    let _: i64 = run(&mut c, &["ZADD", "sk", "1", &long_member]);
    assert_eq!(encoding(&mut c, "sk"), "skiplist");
    let _: i64 = run(&mut c, &["ZADD", "sk", "-0", "negzero", "1e-320", "denorm"]);
    let got: String = run(&mut c, &["ZSCORE", "sk", "negzero"]);
    assert_eq!(got, "-0");
    let got: String = run(&mut c, &["ZINCRBY", "sk", "-0", "other"]);
    assert_eq!(got, "-0");
    let got: String = run(&mut c, &["ZSCORE", "sk", "denorm"]);
    assert_eq!(got, "9.9998886718268301e-321");
}

#[test]
fn zrem_and_the_key_lifecycle() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["ZADD", "r", "1", "a", "2", "b", "3", "c"]);
    let removed: i64 = run(&mut c, &["ZREM", "r", "a", "nosuch", "a"]);
    assert_eq!(removed, 1);
    let removed: i64 = run(&mut c, &["ZREM", "r", "a"]);
    assert_eq!(removed, 0);
    let removed: i64 = run(&mut c, &["ZREM", "nosuch", "a"]);
    assert_eq!(removed, 0);
    assert_err(
        &mut c,
        &["ZREM", "r"],
        "wrong number of arguments for 'zrem' command",
    );
    let kind: String = run(&mut c, &["TYPE", "r"]);
    assert_eq!(kind, "zset");
    let removed: i64 = run(&mut c, &["ZREM", "r", "b", "c"]);
    assert_eq!(removed, 2);
    assert_eq!(exists(&mut c, "r"), 0);
    let kind: String = run(&mut c, &["TYPE", "r"]);
    assert_eq!(kind, "none");
}

#[test]
fn zrank_and_zrevrank_break_ties_by_member() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &["ZADD", "k", "1", "a", "2", "c", "2", "b", "3", "d"],
    );
    for (member, rank, revrank) in [("a", 0, 3), ("b", 1, 2), ("c", 2, 1), ("d", 3, 0)] {
        let got: i64 = run(&mut c, &["ZRANK", "k", member]);
        assert_eq!(got, rank, "ZRANK {member}");
        let got: i64 = run(&mut c, &["ZREVRANK", "k", member]);
        assert_eq!(got, revrank, "ZREVRANK {member}");
    }
    for args in [
        ["ZRANK", "k", "nosuch"],
        ["ZRANK", "nosuch", "a"],
        ["ZREVRANK", "nosuch", "a"],
    ] {
        let got: Value = run(&mut c, &args);
        assert_eq!(got, Value::Nil, "{args:?}");
    }
    // WITHSCORE arrived after 7.0.
    assert_err(
        &mut c,
        &["ZRANK", "k", "a", "WITHSCORE"],
        "wrong number of arguments for 'zrank' command",
    );
    assert_err(
        &mut c,
        &["ZRANK", "k"],
        "wrong number of arguments for 'zrank' command",
    );
}

#[test]
fn zrange_by_rank_with_rev_and_withscores() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &[
            "ZADD", "s", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
    );
    let cases: &[(&[&str], &[&str])] = &[
        (&["ZRANGE", "s", "0", "-1"], &["a", "b", "c", "d", "e"]),
        (
            &["ZRANGE", "s", "1", "2", "WITHSCORES"],
            &["b", "2", "c", "3"],
        ),
        (&["ZRANGE", "s", "-2", "-1"], &["d", "e"]),
        (&["ZRANGE", "s", "-100", "100"], &["a", "b", "c", "d", "e"]),
        (&["ZRANGE", "s", "3", "1"], &[]),
        (&["ZRANGE", "s", "5", "10"], &[]),
        (
            &["ZRANGE", "s", "0", "-1", "REV"],
            &["e", "d", "c", "b", "a"],
        ),
        (
            &["ZRANGE", "s", "0", "1", "rev", "withscores"],
            &["e", "5", "d", "4"],
        ),
        (&["ZRANGE", "nosuch", "0", "-1"], &[]),
        (&["ZREVRANGE", "s", "0", "1"], &["e", "d"]),
        (
            &["ZREVRANGE", "s", "-2", "-1", "WITHSCORES"],
            &["b", "2", "a", "1"],
        ),
        (&["ZREVRANGE", "s", "0", "-1"], &["e", "d", "c", "b", "a"]),
        // LIMIT -1 means no limit, so it is allowed with a rank range.
        (&["ZRANGE", "s", "0", "1", "LIMIT", "0", "-1"], &["a", "b"]),
    ];
    for (args, want) in cases {
        assert_eq!(strings(&mut c, args), *want, "{args:?}");
    }
    assert_err(&mut c, &["ZRANGE", "s", "a", "1"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["ZRANGE", "s", "0", "1", "LIMIT", "0", "1"],
        "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
    assert_err(&mut c, &["ZRANGE", "s", "0", "1", "FOO"], "syntax error");
    assert_err(
        &mut c,
        &["ZRANGE", "s", "0", "1", "REV", "REV"],
        "syntax error",
    );
    assert_err(&mut c, &["ZREVRANGE", "s", "0", "1", "REV"], "syntax error");
    assert_err(&mut c, &["ZREVRANGE", "s", "0", "1", "FOO"], "syntax error");
    assert_err(
        &mut c,
        &["ZRANGE", "s", "0"],
        "wrong number of arguments for 'zrange' command",
    );
}

#[test]
fn zrange_by_score_with_limit_and_rev() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &[
            "ZADD", "s", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
    );
    let cases: &[(&[&str], &[&str])] = &[
        (&["ZRANGE", "s", "2", "4", "BYSCORE"], &["b", "c", "d"]),
        (
            &["ZRANGE", "s", "(2", "4", "BYSCORE", "WITHSCORES"],
            &["c", "3", "d", "4"],
        ),
        (&["ZRANGE", "s", "(2", "(4", "BYSCORE"], &["c"]),
        (&["ZRANGE", "s", "(2", "(2", "BYSCORE"], &[]),
        (&["ZRANGE", "s", "2", "2", "BYSCORE"], &["b"]),
        (
            &["ZRANGE", "s", "-inf", "+inf", "BYSCORE"],
            &["a", "b", "c", "d", "e"],
        ),
        (
            &["ZRANGE", "s", "-inf", "inf", "BYSCORE", "LIMIT", "1", "2"],
            &["b", "c"],
        ),
        (
            &["ZRANGE", "s", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"],
            &["b", "c", "d", "e"],
        ),
        (
            &["ZRANGE", "s", "-inf", "+inf", "BYSCORE", "LIMIT", "10", "1"],
            &[],
        ),
        (
            &["ZRANGE", "s", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
            &[],
        ),
        (
            &["ZRANGE", "s", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"],
            &[],
        ),
        (
            &["ZRANGE", "s", "4", "2", "BYSCORE", "REV"],
            &["d", "c", "b"],
        ),
        (
            &[
                "ZRANGE",
                "s",
                "(4",
                "-inf",
                "BYSCORE",
                "REV",
                "WITHSCORES",
                "LIMIT",
                "0",
                "2",
            ],
            &["c", "3", "b", "2"],
        ),
        (&["ZRANGE", "s", "2", "4", "BYSCORE", "REV"], &[]),
        (&["ZRANGE", "s", "4", "2", "BYSCORE"], &[]),
        (&["ZRANGE", "s", "2.5", "1e1", "BYSCORE"], &["c", "d", "e"]),
        // A bare "(" is an exclusive 0, as strtod reads an empty string.
        (&["ZRANGE", "s", "(", "4", "BYSCORE"], &["a", "b", "c", "d"]),
        (&["ZRANGE", "s", "0x1", "(0x3", "BYSCORE"], &["a", "b"]),
        (&["ZRANGEBYSCORE", "s", "2", "4"], &["b", "c", "d"]),
        (
            &[
                "ZRANGEBYSCORE",
                "s",
                "(1",
                "+inf",
                "WITHSCORES",
                "LIMIT",
                "1",
                "2",
            ],
            &["c", "3", "d", "4"],
        ),
        (&["ZRANGEBYSCORE", "s", "4", "2"], &[]),
        (&["ZRANGEBYSCORE", "nosuch", "-inf", "+inf"], &[]),
        (&["ZREVRANGEBYSCORE", "s", "4", "2"], &["d", "c", "b"]),
        (
            &["ZREVRANGEBYSCORE", "s", "+inf", "(3", "WITHSCORES"],
            &["e", "5", "d", "4"],
        ),
        (
            &["ZREVRANGEBYSCORE", "s", "+inf", "-inf", "LIMIT", "1", "1"],
            &["d"],
        ),
        (&["ZREVRANGEBYSCORE", "s", "2", "4"], &[]),
    ];
    for (args, want) in cases {
        assert_eq!(strings(&mut c, args), *want, "{args:?}");
    }
    let counts: &[(&str, &str, i64)] = &[
        ("2", "4", 3),
        ("(2", "(4", 1),
        ("-inf", "+inf", 5),
        ("4", "2", 0),
        ("(5", "+inf", 0),
        ("5", "5", 1),
    ];
    for (min, max, want) in counts {
        let got: i64 = run(&mut c, &["ZCOUNT", "s", min, max]);
        assert_eq!(got, *want, "ZCOUNT s {min} {max}");
    }
    let got: i64 = run(&mut c, &["ZCOUNT", "nosuch", "0", "1"]);
    assert_eq!(got, 0);

    for args in [
        &["ZRANGE", "s", "abc", "4", "BYSCORE"][..],
        &["ZRANGE", "s", "nan", "4", "BYSCORE"],
        &["ZRANGE", "s", "1", "[2", "BYSCORE"],
        &["ZRANGEBYSCORE", "s", "a", "b"],
        &["ZREVRANGEBYSCORE", "s", "1", "x"],
        &["ZCOUNT", "s", "a", "1"],
        &["ZCOUNT", "nosuch", "a", "1"],
    ] {
        assert_err(&mut c, args, SCORE_RANGE);
    }
    assert_err(
        &mut c,
        &["ZRANGE", "s", "1", "2", "BYSCORE", "LIMIT", "1"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZRANGE", "s", "1", "2", "BYSCORE", "LIMIT", "a", "b"],
        NOT_INTEGER,
    );
    assert_err(
        &mut c,
        &["ZRANGE", "s", "1", "2", "BYSCORE", "BYLEX"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZRANGEBYSCORE", "s", "1", "2", "LIMIT", "0"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZRANGEBYSCORE", "s", "1", "2", "FOO"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZRANGEBYSCORE", "s", "1"],
        "wrong number of arguments for 'zrangebyscore' command",
    );
    assert_err(
        &mut c,
        &["ZCOUNT", "s", "1"],
        "wrong number of arguments for 'zcount' command",
    );
}

#[test]
fn zrange_by_lex_and_the_lex_commands() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &[
            "ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f",
        ],
    );
    let cases: &[(&[&str], &[&str])] = &[
        (&["ZRANGE", "lex", "[b", "[d", "BYLEX"], &["b", "c", "d"]),
        (&["ZRANGE", "lex", "(b", "(d", "BYLEX"], &["c"]),
        (
            &["ZRANGE", "lex", "-", "+", "BYLEX"],
            &["a", "b", "c", "d", "e", "f"],
        ),
        (&["ZRANGE", "lex", "-", "(c", "BYLEX"], &["a", "b"]),
        (
            &["ZRANGE", "lex", "[d", "+", "BYLEX", "LIMIT", "1", "5"],
            &["e", "f"],
        ),
        (
            &["ZRANGE", "lex", "+", "-", "BYLEX", "REV"],
            &["f", "e", "d", "c", "b", "a"],
        ),
        (
            &[
                "ZRANGE", "lex", "[d", "[b", "BYLEX", "REV", "LIMIT", "0", "2",
            ],
            &["d", "c"],
        ),
        (&["ZRANGE", "lex", "+", "-", "BYLEX"], &[]),
        (&["ZRANGE", "lex", "[", "[", "BYLEX"], &[]),
        (
            &["ZRANGE", "lex", "[", "+", "BYLEX", "LIMIT", "0", "1"],
            &["a"],
        ),
        (&["ZRANGE", "lex", "(a", "(+", "BYLEX"], &[]),
        (&["ZRANGE", "lex", "[bb", "[dd", "BYLEX"], &["c", "d"]),
        (&["ZRANGEBYLEX", "lex", "[b", "(e"], &["b", "c", "d"]),
        (
            &["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "2", "2"],
            &["c", "d"],
        ),
        (&["ZRANGEBYLEX", "nosuch", "-", "+"], &[]),
        (
            &["ZREVRANGEBYLEX", "lex", "+", "-"],
            &["f", "e", "d", "c", "b", "a"],
        ),
        (
            &["ZREVRANGEBYLEX", "lex", "(e", "[b", "LIMIT", "1", "10"],
            &["c", "b"],
        ),
        (&["ZREVRANGEBYLEX", "lex", "[b", "(e"], &[]),
    ];
    for (args, want) in cases {
        assert_eq!(strings(&mut c, args), *want, "{args:?}");
    }
    for (min, max, want) in [
        ("-", "+", 6),
        ("[b", "(e", 3),
        ("(e", "[b", 0),
        ("[c", "[c", 1),
    ] {
        let got: i64 = run(&mut c, &["ZLEXCOUNT", "lex", min, max]);
        assert_eq!(got, want, "ZLEXCOUNT lex {min} {max}");
    }
    let got: i64 = run(&mut c, &["ZLEXCOUNT", "nosuch", "-", "+"]);
    assert_eq!(got, 0);

    for args in [
        &["ZRANGE", "lex", "b", "d", "BYLEX"][..],
        &["ZRANGE", "lex", "[b", "d", "BYLEX"],
        &["ZRANGEBYLEX", "lex", "a", "b"],
        &["ZREVRANGEBYLEX", "lex", "+", "a"],
        &["ZLEXCOUNT", "lex", "b", "e"],
        &["ZREMRANGEBYLEX", "lex", "b", "e"],
    ] {
        assert_err(&mut c, args, LEX_RANGE);
    }
    assert_err(
        &mut c,
        &["ZRANGE", "lex", "[b", "[d", "BYLEX", "WITHSCORES"],
        "syntax error, WITHSCORES not supported in combination with BYLEX",
    );
    assert_err(
        &mut c,
        &["ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"],
        "syntax error, WITHSCORES not supported in combination with BYLEX",
    );
    assert_err(
        &mut c,
        &["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "2"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZLEXCOUNT", "lex", "-"],
        "wrong number of arguments for 'zlexcount' command",
    );
}

#[test]
fn zpopmin_and_zpopmax_with_count() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &[
            "ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
        ],
    );
    assert_eq!(strings(&mut c, &["ZPOPMIN", "p"]), ["a", "1"]);
    assert_eq!(strings(&mut c, &["ZPOPMAX", "p"]), ["f", "6"]);
    assert_eq!(
        strings(&mut c, &["ZPOPMIN", "p", "2"]),
        ["b", "2", "c", "3"]
    );
    assert_eq!(strings(&mut c, &["ZPOPMAX", "p", "1"]), ["e", "5"]);
    let got: Value = run(&mut c, &["ZPOPMIN", "p", "0"]);
    assert_eq!(got, Value::Array(vec![]));
    for args in [&["ZPOPMIN", "nosuch"][..], &["ZPOPMAX", "nosuch", "2"]] {
        let got: Value = run(&mut c, args);
        assert_eq!(got, Value::Array(vec![]), "{args:?}");
    }
    let positive = "value is out of range, must be positive";
    assert_err(&mut c, &["ZPOPMIN", "p", "-1"], positive);
    assert_err(&mut c, &["ZPOPMAX", "p", "abc"], positive);
    assert_err(&mut c, &["ZPOPMIN", "p", "1", "2"], "syntax error");
    assert_err(
        &mut c,
        &["ZPOPMIN"],
        "wrong number of arguments for 'zpopmin' command",
    );
    assert_eq!(strings(&mut c, &["ZPOPMAX", "p", "10"]), ["d", "4"]);
    assert_eq!(exists(&mut c, "p"), 0);
}

#[test]
fn zmpop_and_blocking_pops_return_at_once_when_data_is_present() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &["ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d"],
    );
    let got: Vec<String> = run(&mut c, &["BZPOPMIN", "nosuch", "p", "0"]);
    assert_eq!(got, ["p", "a", "1"]);
    let got: Vec<String> = run(&mut c, &["BZPOPMAX", "p", "nosuch", "0.5"]);
    assert_eq!(got, ["p", "d", "4"]);
    let got: Value = run(&mut c, &["ZMPOP", "2", "nosuch", "p", "MIN"]);
    assert_eq!(got, mpop_reply("p", &[("b", "2")]));
    let got: Value = run(&mut c, &["ZMPOP", "1", "p", "MAX", "COUNT", "5"]);
    assert_eq!(got, mpop_reply("p", &[("c", "3")]));
    assert_eq!(exists(&mut c, "p"), 0);
    let got: Value = run(&mut c, &["ZMPOP", "1", "p", "MIN"]);
    assert_eq!(got, Value::Nil);

    let _: i64 = run(&mut c, &["ZADD", "p", "1", "a", "2", "b", "3", "c"]);
    let got: Value = run(&mut c, &["BZMPOP", "0", "1", "p", "MIN", "COUNT", "2"]);
    assert_eq!(got, mpop_reply("p", &[("a", "1"), ("b", "2")]));
    let got: Value = run(&mut c, &["BZMPOP", "0.01", "2", "nosuch", "p", "max"]);
    assert_eq!(got, mpop_reply("p", &[("c", "3")]));
    assert_eq!(exists(&mut c, "p"), 0);

    let _: i64 = run(&mut c, &["ZADD", "p", "1", "a"]);
    let numkeys = "numkeys should be greater than 0";
    let count = "count should be greater than 0";
    assert_err(&mut c, &["ZMPOP", "0", "p", "MIN"], numkeys);
    assert_err(&mut c, &["ZMPOP", "-1", "p", "MIN"], numkeys);
    assert_err(&mut c, &["ZMPOP", "1", "p", "UP"], "syntax error");
    assert_err(&mut c, &["ZMPOP", "1", "p", "MIN", "COUNT", "0"], count);
    assert_err(&mut c, &["ZMPOP", "1", "p", "MIN", "COUNT", "abc"], count);
    assert_err(
        &mut c,
        &["ZMPOP", "1", "p", "MIN", "COUNT", "1", "COUNT", "1"],
        "syntax error",
    );
    assert_err(&mut c, &["ZMPOP", "2", "p", "MIN"], "syntax error");
    assert_err(
        &mut c,
        &["ZMPOP", "1", "p"],
        "wrong number of arguments for 'zmpop' command",
    );
    assert_err(&mut c, &["BZPOPMIN", "p", "-1"], "timeout is negative");
    assert_err(
        &mut c,
        &["BZPOPMAX", "p", "abc"],
        "timeout is not a float or out of range",
    );
    assert_err(
        &mut c,
        &["BZPOPMIN", "p"],
        "wrong number of arguments for 'bzpopmin' command",
    );
    assert_err(
        &mut c,
        &["BZMPOP", "-1", "1", "p", "MIN"],
        "timeout is negative",
    );
    assert_err(&mut c, &["BZMPOP", "0", "0", "p", "MIN"], numkeys);
    assert_err(
        &mut c,
        &["BZMPOP", "0", "1", "p"],
        "wrong number of arguments for 'bzmpop' command",
    );
    assert_eq!(all(&mut c, "p"), ["a", "1"]);
}

#[test]
fn blocking_zset_timeouts_too_large_for_milliseconds_are_rejected() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["ZADD", "p", "1", "a"]);
    let negative = "timeout is negative";
    for timeout in ["inf", "1e16", "9223372036854775807"] {
        assert_err(&mut c, &["BZPOPMIN", "p", timeout], negative);
        assert_err(&mut c, &["BZPOPMAX", "p", timeout], negative);
        assert_err(&mut c, &["BZMPOP", timeout, "1", "p", "MIN"], negative);
    }
    assert_eq!(all(&mut c, "p"), ["a", "1"]);
}

#[test]
fn blocking_zset_pops_inside_multi_reply_nil_on_empty_keys() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let replies: Vec<Value> = redis::pipe()
        .atomic()
        .cmd("BZPOPMIN")
        .arg(&["p", "0"])
        .cmd("BZPOPMAX")
        .arg(&["p", "0"])
        .cmd("BZMPOP")
        .arg(&["0", "1", "p", "MIN"])
        .cmd("ZADD")
        .arg(&["p", "7", "x"])
        .cmd("BZPOPMAX")
        .arg(&["p", "0"])
        .query(&mut c)
        .unwrap();
    assert_eq!(
        replies,
        vec![
            Value::Nil,
            Value::Nil,
            Value::Nil,
            Value::Int(1),
            Value::Array(vec![bulk("p"), bulk("x"), bulk("7")]),
        ]
    );
    assert_eq!(exists(&mut c, "p"), 0);
}

#[test]
fn zremrangebyrank_score_and_lex() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &[
            "ZADD", "rr", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
        ],
    );
    let cases: &[(&[&str], i64)] = &[
        (&["ZREMRANGEBYRANK", "rr", "0", "1"], 2),
        (&["ZREMRANGEBYRANK", "rr", "-1", "-1"], 1),
        (&["ZREMRANGEBYRANK", "rr", "5", "10"], 0),
        (&["ZREMRANGEBYRANK", "rr", "2", "1"], 0),
        (&["ZREMRANGEBYSCORE", "rr", "(3", "4"], 1),
        (&["ZREMRANGEBYSCORE", "rr", "10", "20"], 0),
        (&["ZREMRANGEBYSCORE", "rr", "5", "3"], 0),
        (&["ZREMRANGEBYRANK", "nosuch", "0", "-1"], 0),
        (&["ZREMRANGEBYSCORE", "nosuch", "-inf", "+inf"], 0),
        (&["ZREMRANGEBYLEX", "nosuch", "-", "+"], 0),
    ];
    for (args, want) in cases {
        let got: i64 = run(&mut c, args);
        assert_eq!(got, *want, "{args:?}");
    }
    assert_eq!(all(&mut c, "rr"), ["c", "3", "e", "5"]);
    assert_err(&mut c, &["ZREMRANGEBYRANK", "rr", "a", "1"], NOT_INTEGER);
    assert_err(&mut c, &["ZREMRANGEBYSCORE", "rr", "a", "1"], SCORE_RANGE);
    assert_err(
        &mut c,
        &["ZREMRANGEBYSCORE", "rr", "1"],
        "wrong number of arguments for 'zremrangebyscore' command",
    );
    let removed: i64 = run(&mut c, &["ZREMRANGEBYRANK", "rr", "0", "-1"]);
    assert_eq!(removed, 2);
    assert_eq!(exists(&mut c, "rr"), 0);

    let _: i64 = run(
        &mut c,
        &["ZADD", "rl", "0", "a", "0", "b", "0", "c", "0", "d"],
    );
    let removed: i64 = run(&mut c, &["ZREMRANGEBYLEX", "rl", "[b", "(d"]);
    assert_eq!(removed, 2);
    assert_eq!(strings(&mut c, &["ZRANGE", "rl", "0", "-1"]), ["a", "d"]);
    let removed: i64 = run(&mut c, &["ZREMRANGEBYLEX", "rl", "(d", "+"]);
    assert_eq!(removed, 0);
    let removed: i64 = run(&mut c, &["ZREMRANGEBYLEX", "rl", "-", "+"]);
    assert_eq!(removed, 2);
    assert_eq!(exists(&mut c, "rl"), 0);
    let _: i64 = run(&mut c, &["ZADD", "rs", "1", "a", "2", "b"]);
    let removed: i64 = run(&mut c, &["ZREMRANGEBYSCORE", "rs", "-inf", "+inf"]);
    assert_eq!(removed, 2);
    assert_eq!(exists(&mut c, "rs"), 0);
}

#[test]
fn zunion_zinter_and_zdiff_with_weights_and_aggregate() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["ZADD", "za", "1", "a", "2", "b", "3", "c"]);
    let _: i64 = run(&mut c, &["ZADD", "zb", "10", "b", "20", "c", "30", "d"]);
    let _: i64 = run(&mut c, &["SADD", "plain", "c", "d", "e"]);
    let cases: &[(&[&str], &[&str])] = &[
        (&["ZUNION", "2", "za", "zb"], &["a", "b", "c", "d"]),
        (
            &["ZUNION", "2", "za", "zb", "WITHSCORES"],
            &["a", "1", "b", "12", "c", "23", "d", "30"],
        ),
        (
            &[
                "ZUNION",
                "2",
                "za",
                "zb",
                "WEIGHTS",
                "2",
                "0.5",
                "WITHSCORES",
            ],
            &["a", "2", "b", "9", "d", "15", "c", "16"],
        ),
        (
            &["ZUNION", "2", "za", "zb", "AGGREGATE", "MIN", "WITHSCORES"],
            &["a", "1", "b", "2", "c", "3", "d", "30"],
        ),
        (
            &["ZUNION", "2", "za", "zb", "aggregate", "max", "withscores"],
            &["a", "1", "b", "10", "c", "20", "d", "30"],
        ),
        // Plain sets take part with score 1.
        (
            &["ZUNION", "3", "za", "zb", "plain", "WITHSCORES"],
            &["a", "1", "e", "1", "b", "12", "c", "24", "d", "31"],
        ),
        (
            &["ZUNION", "2", "za", "nosuch", "WITHSCORES"],
            &["a", "1", "b", "2", "c", "3"],
        ),
        (
            &[
                "ZUNION",
                "2",
                "za",
                "zb",
                "WEIGHTS",
                "1",
                "inf",
                "WITHSCORES",
            ],
            &["a", "1", "b", "inf", "c", "inf", "d", "inf"],
        ),
        // inf + -inf is NaN, which aggregates as 0.
        (
            &[
                "ZUNION",
                "2",
                "za",
                "zb",
                "WEIGHTS",
                "inf",
                "-inf",
                "WITHSCORES",
            ],
            &["d", "-inf", "b", "0", "c", "0", "a", "inf"],
        ),
        (
            &["ZINTER", "2", "za", "zb", "WITHSCORES"],
            &["b", "12", "c", "23"],
        ),
        (
            &["ZINTER", "2", "za", "zb", "AGGREGATE", "MAX", "WITHSCORES"],
            &["b", "10", "c", "20"],
        ),
        (
            &["ZINTER", "2", "zb", "plain", "WITHSCORES"],
            &["c", "21", "d", "31"],
        ),
        (&["ZINTER", "2", "za", "nosuch"], &[]),
        (
            &["ZINTER", "2", "za", "zb", "WEIGHTS", "0", "0", "WITHSCORES"],
            &["b", "0", "c", "0"],
        ),
        (
            &["ZINTER", "2", "za", "za", "WITHSCORES"],
            &["a", "2", "b", "4", "c", "6"],
        ),
        (&["ZDIFF", "2", "za", "zb", "WITHSCORES"], &["a", "1"]),
        (&["ZDIFF", "2", "zb", "za"], &["d"]),
        (
            &["ZDIFF", "2", "za", "plain", "WITHSCORES"],
            &["a", "1", "b", "2"],
        ),
        (&["ZDIFF", "1", "za"], &["a", "b", "c"]),
        (&["ZDIFF", "2", "za", "za"], &[]),
        (&["ZDIFF", "2", "nosuch", "za"], &[]),
    ];
    for (args, want) in cases {
        assert_eq!(strings(&mut c, args), *want, "{args:?}");
    }
    assert_err(
        &mut c,
        &["ZUNION", "2", "za", "zb", "WEIGHTS", "1"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZUNION", "2", "za", "zb", "WEIGHTS", "1", "abc"],
        "weight value is not a float",
    );
    assert_err(
        &mut c,
        &["ZUNION", "2", "za", "zb", "AGGREGATE", "AVG"],
        "syntax error",
    );
    assert_err(&mut c, &["ZUNION", "2", "za", "zb", "FOO"], "syntax error");
    assert_err(
        &mut c,
        &["ZUNION", "0", "za"],
        "at least 1 input key is needed for 'zunion' command",
    );
    assert_err(
        &mut c,
        &["ZINTER", "-1", "za"],
        "at least 1 input key is needed for 'zinter' command",
    );
    assert_err(
        &mut c,
        &["ZDIFF", "0", "za"],
        "at least 1 input key is needed for 'zdiff' command",
    );
    assert_err(&mut c, &["ZUNION", "3", "za", "zb"], "syntax error");
    assert_err(&mut c, &["ZUNION", "abc", "za"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["ZDIFF", "2", "za", "zb", "WEIGHTS", "1", "1"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZDIFF", "2", "za", "zb", "AGGREGATE", "MIN"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZUNION", "1"],
        "wrong number of arguments for 'zunion' command",
    );
}

#[test]
fn store_forms_of_set_operations() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["ZADD", "za", "1", "a", "2", "b", "3", "c"]);
    let _: i64 = run(&mut c, &["ZADD", "zb", "10", "b", "20", "c", "30", "d"]);
    let size: i64 = run(&mut c, &["ZUNIONSTORE", "dst", "2", "za", "zb"]);
    assert_eq!(size, 4);
    assert_eq!(
        all(&mut c, "dst"),
        ["a", "1", "b", "12", "c", "23", "d", "30"]
    );
    let size: i64 = run(
        &mut c,
        &[
            "ZUNIONSTORE",
            "dst",
            "2",
            "za",
            "zb",
            "WEIGHTS",
            "1",
            "2",
            "AGGREGATE",
            "SUM",
        ],
    );
    assert_eq!(size, 4);
    assert_eq!(
        all(&mut c, "dst"),
        ["a", "1", "b", "22", "c", "43", "d", "60"]
    );
    let size: i64 = run(&mut c, &["ZINTERSTORE", "dst", "2", "za", "zb"]);
    assert_eq!(size, 2);
    assert_eq!(all(&mut c, "dst"), ["b", "12", "c", "23"]);
    // An empty result deletes the destination.
    let size: i64 = run(&mut c, &["ZINTERSTORE", "dst", "2", "za", "nosuch"]);
    assert_eq!(size, 0);
    assert_eq!(exists(&mut c, "dst"), 0);
    let size: i64 = run(&mut c, &["ZDIFFSTORE", "dst", "2", "za", "zb"]);
    assert_eq!(size, 1);
    assert_eq!(all(&mut c, "dst"), ["a", "1"]);
    let size: i64 = run(&mut c, &["ZDIFFSTORE", "dst", "1", "nosuch"]);
    assert_eq!(size, 0);
    assert_eq!(exists(&mut c, "dst"), 0);
    // A destination of another type is replaced.
    let _: () = run(&mut c, &["SET", "dst", "string"]);
    let size: i64 = run(&mut c, &["ZINTERSTORE", "dst", "1", "za"]);
    assert_eq!(size, 3);
    let kind: String = run(&mut c, &["TYPE", "dst"]);
    assert_eq!(kind, "zset");
    // The destination may be a source.
    let size: i64 = run(&mut c, &["ZUNIONSTORE", "za", "2", "za", "zb"]);
    assert_eq!(size, 4);
    assert_eq!(
        all(&mut c, "za"),
        ["a", "1", "b", "12", "c", "23", "d", "30"]
    );

    assert_err(
        &mut c,
        &["ZUNIONSTORE", "dst", "2", "za", "zb", "WITHSCORES"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZUNIONSTORE", "dst", "0", "za"],
        "at least 1 input key is needed for 'zunionstore' command",
    );
    assert_err(
        &mut c,
        &["ZDIFFSTORE", "dst", "0", "za"],
        "at least 1 input key is needed for 'zdiffstore' command",
    );
    assert_err(&mut c, &["ZINTERSTORE", "dst", "2", "za"], "syntax error");
    assert_err(
        &mut c,
        &["ZUNIONSTORE", "dst", "1"],
        "wrong number of arguments for 'zunionstore' command",
    );
    let kind: String = run(&mut c, &["TYPE", "dst"]);
    assert_eq!(kind, "zset");
}

#[test]
fn zintercard_with_limit() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["ZADD", "za", "1", "a", "2", "b", "3", "c"]);
    let _: i64 = run(&mut c, &["ZADD", "zb", "10", "b", "20", "c", "30", "d"]);
    let _: i64 = run(&mut c, &["SADD", "plain", "c", "d", "e"]);
    let cases: &[(&[&str], i64)] = &[
        (&["ZINTERCARD", "2", "za", "zb"], 2),
        (&["ZINTERCARD", "2", "za", "zb", "LIMIT", "1"], 1),
        (&["ZINTERCARD", "2", "za", "zb", "LIMIT", "0"], 2),
        (&["ZINTERCARD", "2", "za", "plain"], 1),
        (&["ZINTERCARD", "3", "za", "zb", "plain"], 1),
        (&["ZINTERCARD", "1", "nosuch"], 0),
        (&["ZINTERCARD", "1", "za"], 3),
    ];
    for (args, want) in cases {
        let got: i64 = run(&mut c, args);
        assert_eq!(got, *want, "{args:?}");
    }
    assert_err(
        &mut c,
        &["ZINTERCARD", "0", "za"],
        "at least 1 input key is needed for 'zintercard' command",
    );
    assert_err(&mut c, &["ZINTERCARD", "2", "za"], "syntax error");
    assert_err(
        &mut c,
        &["ZINTERCARD", "2", "za", "zb", "LIMIT", "-1"],
        "LIMIT can't be negative",
    );
    assert_err(
        &mut c,
        &["ZINTERCARD", "2", "za", "zb", "WEIGHTS", "1", "1"],
        "syntax error",
    );
}

#[test]
fn zrangestore_by_rank_score_and_lex() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &[
            "ZADD", "s", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
    );
    let _: i64 = run(
        &mut c,
        &["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"],
    );
    let size: i64 = run(&mut c, &["ZRANGESTORE", "rs", "s", "0", "1"]);
    assert_eq!(size, 2);
    assert_eq!(all(&mut c, "rs"), ["a", "1", "b", "2"]);
    let size: i64 = run(
        &mut c,
        &[
            "ZRANGESTORE",
            "rs",
            "s",
            "(2",
            "+inf",
            "BYSCORE",
            "LIMIT",
            "0",
            "2",
        ],
    );
    assert_eq!(size, 2);
    assert_eq!(all(&mut c, "rs"), ["c", "3", "d", "4"]);
    let size: i64 = run(&mut c, &["ZRANGESTORE", "rs", "s", "0", "1", "REV"]);
    assert_eq!(size, 2);
    assert_eq!(all(&mut c, "rs"), ["d", "4", "e", "5"]);
    let size: i64 = run(
        &mut c,
        &["ZRANGESTORE", "rs", "lex", "[c", "+", "BYLEX", "REV"],
    );
    assert_eq!(size, 0);
    assert_eq!(exists(&mut c, "rs"), 0);
    let size: i64 = run(
        &mut c,
        &["ZRANGESTORE", "rs", "lex", "+", "[c", "BYLEX", "REV"],
    );
    assert_eq!(size, 2);
    assert_eq!(all(&mut c, "rs"), ["c", "0", "d", "0"]);
    let size: i64 = run(&mut c, &["ZRANGESTORE", "rs", "s", "10", "20"]);
    assert_eq!(size, 0);
    assert_eq!(exists(&mut c, "rs"), 0);
    let size: i64 = run(&mut c, &["ZRANGESTORE", "rs", "nosuch", "0", "-1"]);
    assert_eq!(size, 0);
    assert_eq!(exists(&mut c, "rs"), 0);
    let _: () = run(&mut c, &["SET", "str", "v"]);
    let size: i64 = run(&mut c, &["ZRANGESTORE", "str", "s", "0", "0"]);
    assert_eq!(size, 1);
    assert_eq!(all(&mut c, "str"), ["a", "1"]);
    assert_err(
        &mut c,
        &["ZRANGESTORE", "rs", "s", "0", "-1", "WITHSCORES"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZRANGESTORE", "rs", "s", "a", "b", "BYSCORE"],
        SCORE_RANGE,
    );
    assert_err(
        &mut c,
        &["ZRANGESTORE", "rs", "s", "0"],
        "wrong number of arguments for 'zrangestore' command",
    );
}

/// Checks ZRANDMEMBER's invariants on `key`, whose members and scores are `scores`.
fn check_zrandmember(c: &mut Connection, key: &str, scores: &BTreeMap<String, String>) {
    let size = scores.len();
    let one: String = run(c, &["ZRANDMEMBER", key]);
    assert!(scores.contains_key(&one));
    for count in [1, 2, size / 2, size - 1] {
        let got: Vec<String> = run(c, &["ZRANDMEMBER", key, &count.to_string()]);
        assert_eq!(got.len(), count);
        let distinct: HashSet<&String> = got.iter().collect();
        assert_eq!(
            distinct.len(),
            count,
            "positive counts are distinct: {got:?}"
        );
        assert!(got.iter().all(|m| scores.contains_key(m)));
        let got: Vec<(String, String)> =
            run(c, &["ZRANDMEMBER", key, &count.to_string(), "WITHSCORES"]);
        assert_eq!(got.len(), count);
        let distinct: HashSet<&String> = got.iter().map(|(m, _)| m).collect();
        assert_eq!(distinct.len(), count);
        for (member, score) in &got {
            assert_eq!(scores.get(member), Some(score), "{member}");
        }
    }
    for count in [size, size + 1, 10 * size] {
        let got: Vec<(String, String)> =
            run(c, &["ZRANDMEMBER", key, &count.to_string(), "WITHSCORES"]);
        let got: BTreeMap<String, String> = got.into_iter().collect();
        assert_eq!(&got, scores);
        let got: Vec<String> = run(c, &["ZRANDMEMBER", key, &count.to_string()]);
        assert_eq!(got.len(), size);
    }
    let picks = 3 * size + 1;
    let got: Vec<(String, String)> =
        run(c, &["ZRANDMEMBER", key, &format!("-{picks}"), "WITHSCORES"]);
    assert_eq!(got.len(), picks);
    for (member, score) in &got {
        assert_eq!(scores.get(member), Some(score), "{member}");
    }
    let distinct: HashSet<&String> = got.iter().map(|(m, _)| m).collect();
    assert!(distinct.len() < picks, "negative counts repeat members");
    let got: Vec<String> = run(c, &["ZRANDMEMBER", key, "-2"]);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| scores.contains_key(m)));
    let got: Value = run(c, &["ZRANDMEMBER", key, "0"]);
    assert_eq!(got, Value::Array(vec![]));
    let got: Value = run(c, &["ZRANDMEMBER", key, "0", "WITHSCORES"]);
    assert_eq!(got, Value::Array(vec![]));
}

#[test]
fn zrandmember_on_listpack_and_skiplist() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    for (key, n, want) in [("small", 9, "listpack"), ("large", 300, "skiplist")] {
        let scores: BTreeMap<String, String> = (0..n)
            .map(|i| (format!("m{i}"), format!("{}", i as f64 * 1.5)))
            .collect();
        let mut pipe = redis::pipe();
        for (member, score) in &scores {
            pipe.cmd("ZADD").arg(key).arg(score).arg(member).ignore();
        }
        let _: () = pipe.query(&mut c).unwrap();
        assert_eq!(encoding(&mut c, key), want);
        check_zrandmember(&mut c, key, &scores);
    }
    let got: Value = run(&mut c, &["ZRANDMEMBER", "nosuch"]);
    assert_eq!(got, Value::Nil);
    let got: Value = run(&mut c, &["ZRANDMEMBER", "nosuch", "2"]);
    assert_eq!(got, Value::Array(vec![]));
    assert_err(&mut c, &["ZRANDMEMBER", "small", "abc"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["ZRANDMEMBER", "small", "1", "FOO"],
        "syntax error",
    );
    assert_err(
        &mut c,
        &["ZRANDMEMBER", "small", "-9223372036854775808"],
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    assert_err(
        &mut c,
        &["ZRANDMEMBER", "small", "-9223372036854775807", "WITHSCORES"],
        "value is out of range",
    );
}

#[test]
fn zscan_of_a_small_sorted_set_and_its_errors() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &[
            "ZADD", "s", "1", "a", "2.5", "b", "3", "c", "-4", "d", "inf", "e",
        ],
    );
    let (cursor, items): (String, Vec<String>) = run(&mut c, &["ZSCAN", "s", "0"]);
    assert_eq!(cursor, "0");
    assert_eq!(
        items,
        ["d", "-4", "a", "1", "b", "2.5", "c", "3", "e", "inf"]
    );
    let (cursor, items): (String, Vec<String>) =
        run(&mut c, &["ZSCAN", "s", "0", "MATCH", "[ace]", "COUNT", "1"]);
    assert_eq!(cursor, "0");
    assert_eq!(items, ["a", "1", "c", "3", "e", "inf"]);
    let (cursor, items): (String, Vec<String>) = run(&mut c, &["ZSCAN", "nosuch", "0"]);
    assert_eq!(cursor, "0");
    assert!(items.is_empty());
    assert_err(&mut c, &["ZSCAN", "s", "abc"], "invalid cursor");
    assert_err(&mut c, &["ZSCAN", "s", "0", "COUNT", "0"], "syntax error");
    assert_err(&mut c, &["ZSCAN", "s", "0", "FOO"], "syntax error");
    assert_err(
        &mut c,
        &["ZSCAN", "s"],
        "wrong number of arguments for 'zscan' command",
    );
}

#[test]
fn zscan_of_a_large_sorted_set_returns_every_member() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    const N: usize = 10_000;
    let mut pipe = redis::pipe();
    for i in 0..N {
        pipe.cmd("ZADD")
            .arg("big")
            .arg(i as f64 / 4.0)
            .arg(format!("m{i}"))
            .ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    assert_eq!(encoding(&mut c, "big"), "skiplist");
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, items): (String, Vec<String>) =
            run(&mut c, &["ZSCAN", "big", &cursor, "COUNT", "100"]);
        assert_eq!(items.len() % 2, 0);
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        calls += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
        assert!(calls < 1_000, "ZSCAN did not finish");
    }
    assert!(calls > 1);
    assert_eq!(seen.len(), N);
    for i in 0..N {
        assert_eq!(seen[&format!("m{i}")], format!("{}", i as f64 / 4.0));
    }
}

#[test]
fn sorted_set_commands_reject_other_types() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: () = run(&mut c, &["SET", "str", "v"]);
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    let _: i64 = run(&mut c, &["HSET", "hash", "f", "v"]);
    let _: i64 = run(&mut c, &["ZADD", "za", "1", "a"]);
    for key in ["str", "list", "hash"] {
        let commands: &[&[&str]] = &[
            &["ZADD", key, "1", "a"],
            &["ZINCRBY", key, "1", "a"],
            &["ZREM", key, "a"],
            &["ZCARD", key],
            &["ZSCORE", key, "a"],
            &["ZMSCORE", key, "a"],
            &["ZRANK", key, "a"],
            &["ZREVRANK", key, "a"],
            &["ZRANGE", key, "0", "-1"],
            &["ZRANGE", key, "0", "1", "BYSCORE"],
            &["ZREVRANGE", key, "0", "-1"],
            &["ZRANGEBYSCORE", key, "0", "1"],
            &["ZREVRANGEBYSCORE", key, "1", "0"],
            &["ZRANGEBYLEX", key, "-", "+"],
            &["ZREVRANGEBYLEX", key, "+", "-"],
            &["ZCOUNT", key, "0", "1"],
            &["ZLEXCOUNT", key, "-", "+"],
            &["ZPOPMIN", key],
            &["ZPOPMAX", key, "2"],
            &["BZPOPMIN", key, "0"],
            &["BZPOPMAX", "nosuch", key, "0"],
            &["ZMPOP", "1", key, "MIN"],
            &["BZMPOP", "0", "2", "nosuch", key, "MAX"],
            &["ZREMRANGEBYRANK", key, "0", "1"],
            &["ZREMRANGEBYSCORE", key, "0", "1"],
            &["ZREMRANGEBYLEX", key, "-", "+"],
            &["ZUNION", "2", "za", key],
            &["ZINTER", "2", key, "za"],
            &["ZDIFF", "2", "za", key],
            &["ZINTERCARD", "1", key],
            &["ZUNIONSTORE", "dst", "2", "za", key],
            &["ZINTERSTORE", "dst", "2", key, "za"],
            &["ZDIFFSTORE", "dst", "2", "za", key],
            &["ZRANGESTORE", "dst", key, "0", "1"],
            &["ZRANDMEMBER", key],
            &["ZRANDMEMBER", key, "2", "WITHSCORES"],
            &["ZSCAN", key, "0"],
        ];
        for args in commands {
            assert_wrongtype(&mut c, args);
        }
    }
    assert_eq!(exists(&mut c, "dst"), 0);
    let kinds: Vec<String> = ["str", "list", "hash", "za"]
        .iter()
        .map(|key| run(&mut c, &["TYPE", key]))
        .collect();
    assert_eq!(kinds, ["string", "list", "hash", "zset"]);
}

#[test]
fn type_scan_copy_and_rename_of_a_sorted_set() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: i64 = run(&mut c, &["ZADD", "z1", "1", "a", "2", "b"]);
    let _: i64 = run(&mut c, &["ZADD", "z2", "3", "c"]);
    let _: i64 = run(&mut c, &["SADD", "set", "a"]);
    let _: i64 = run(&mut c, &["HSET", "hash", "a", "1"]);
    let kind: String = run(&mut c, &["TYPE", "z1"]);
    assert_eq!(kind, "zset");
    let (cursor, mut keys): (u64, Vec<String>) =
        run(&mut c, &["SCAN", "0", "TYPE", "zset", "COUNT", "1000"]);
    assert_eq!(cursor, 0);
    keys.sort();
    assert_eq!(keys, ["z1", "z2"]);

    let copied: i64 = run(&mut c, &["COPY", "z1", "copy"]);
    assert_eq!(copied, 1);
    assert_eq!(all(&mut c, "copy"), ["a", "1", "b", "2"]);
    let _: i64 = run(&mut c, &["ZADD", "copy", "5", "a", "0", "z"]);
    let _: i64 = run(&mut c, &["ZREM", "copy", "b"]);
    assert_eq!(all(&mut c, "z1"), ["a", "1", "b", "2"]);
    assert_eq!(all(&mut c, "copy"), ["z", "0", "a", "5"]);

    let ok: String = run(&mut c, &["RENAME", "z1", "renamed"]);
    assert_eq!(ok, "OK");
    assert_eq!(exists(&mut c, "z1"), 0);
    assert_eq!(all(&mut c, "renamed"), ["a", "1", "b", "2"]);

    // A skiplist copy is a skiplist, independent of its source.
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("ZADD").arg("large").arg(i).arg(i).ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let _: i64 = run(&mut c, &["COPY", "large", "large2"]);
    assert_eq!(encoding(&mut c, "large2"), "skiplist");
    let _: i64 = run(&mut c, &["ZREMRANGEBYRANK", "large2", "0", "99"]);
    let card: i64 = run(&mut c, &["ZCARD", "large"]);
    assert_eq!(card, 200);
    let card: i64 = run(&mut c, &["ZCARD", "large2"]);
    assert_eq!(card, 100);
    let rank: i64 = run(&mut c, &["ZRANK", "large", "150"]);
    assert_eq!(rank, 150);
    let rank: i64 = run(&mut c, &["ZRANK", "large2", "150"]);
    assert_eq!(rank, 50);
}

#[test]
fn listpack_converts_to_skiplist_by_entries_and_never_back() {
    let server = TestServer::start(&[
        "--zset-max-listpack-entries",
        "4",
        "--zset-max-listpack-value",
        "8",
    ]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &["ZADD", "enc", "1", "a", "2", "b", "3", "c", "4", "d"],
    );
    assert_eq!(encoding(&mut c, "enc"), "listpack");
    // Updating scores does not grow the set.
    let _: i64 = run(&mut c, &["ZADD", "enc", "10", "a"]);
    let _: String = run(&mut c, &["ZINCRBY", "enc", "1", "b"]);
    assert_eq!(encoding(&mut c, "enc"), "listpack");
    let _: i64 = run(&mut c, &["ZADD", "enc", "5", "e"]);
    assert_eq!(encoding(&mut c, "enc"), "skiplist");
    assert_eq!(
        all(&mut c, "enc"),
        ["b", "3", "c", "3", "d", "4", "e", "5", "a", "10"]
    );
    let removed: i64 = run(&mut c, &["ZREM", "enc", "a", "b", "c"]);
    assert_eq!(removed, 3);
    assert_eq!(encoding(&mut c, "enc"), "skiplist");
    let _: Vec<String> = run(&mut c, &["ZPOPMIN", "enc"]);
    assert_eq!(encoding(&mut c, "enc"), "skiplist");
    assert_eq!(all(&mut c, "enc"), ["e", "5"]);

    // ZINCRBY adding the fifth member converts too, and so does one ZADD of five.
    let _: i64 = run(
        &mut c,
        &["ZADD", "incr", "1", "a", "2", "b", "3", "c", "4", "d"],
    );
    let _: String = run(&mut c, &["ZINCRBY", "incr", "5", "e"]);
    assert_eq!(encoding(&mut c, "incr"), "skiplist");
    let _: i64 = run(
        &mut c,
        &[
            "ZADD", "multi", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
    );
    assert_eq!(encoding(&mut c, "multi"), "skiplist");
    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "zset-max-listpack-entries"]);
    assert_eq!(config, ["zset-max-listpack-entries", "4"]);
    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "zset-max-ziplist-entries"]);
    assert_eq!(config, ["zset-max-ziplist-entries", "4"]);
}

#[test]
fn listpack_converts_to_skiplist_by_member_length() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let ok: String = run(&mut c, &["CONFIG", "SET", "zset-max-listpack-value", "8"]);
    assert_eq!(ok, "OK");
    let _: i64 = run(&mut c, &["ZADD", "long", "1", "12345678"]);
    assert_eq!(encoding(&mut c, "long"), "listpack");
    let _: i64 = run(&mut c, &["ZADD", "long", "2", "123456789"]);
    assert_eq!(encoding(&mut c, "long"), "skiplist");
    let _: i64 = run(&mut c, &["ZREM", "long", "123456789"]);
    assert_eq!(encoding(&mut c, "long"), "skiplist");
    assert_eq!(all(&mut c, "long"), ["12345678", "1"]);
    let _: String = run(&mut c, &["ZINCRBY", "incr", "1", "123456789"]);
    assert_eq!(encoding(&mut c, "incr"), "skiplist");
    let _: i64 = run(&mut c, &["ZADD", "first", "1", "123456789", "2", "a"]);
    assert_eq!(encoding(&mut c, "first"), "skiplist");
    // Scores have no length limit.
    let _: i64 = run(&mut c, &["ZADD", "score", "1.2345678901234567", "a"]);
    assert_eq!(encoding(&mut c, "score"), "listpack");
}

#[test]
fn stored_results_small_enough_become_listpacks_again() {
    let server = TestServer::start(&[
        "--zset-max-listpack-entries",
        "4",
        "--zset-max-listpack-value",
        "8",
    ]);
    let mut c = server.connect();
    let _: i64 = run(
        &mut c,
        &[
            "ZADD", "big", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
        ],
    );
    assert_eq!(encoding(&mut c, "big"), "skiplist");
    let _: i64 = run(&mut c, &["ZADD", "few", "10", "a", "20", "b"]);
    assert_eq!(encoding(&mut c, "few"), "listpack");

    let size: i64 = run(&mut c, &["ZRANGESTORE", "rs", "big", "0", "1"]);
    assert_eq!(size, 2);
    assert_eq!(encoding(&mut c, "rs"), "listpack");
    assert_eq!(all(&mut c, "rs"), ["a", "1", "b", "2"]);
    let size: i64 = run(&mut c, &["ZINTERSTORE", "inter", "2", "big", "few"]);
    assert_eq!(size, 2);
    assert_eq!(encoding(&mut c, "inter"), "listpack");
    assert_eq!(all(&mut c, "inter"), ["a", "11", "b", "22"]);
    let size: i64 = run(&mut c, &["ZUNIONSTORE", "union", "1", "few"]);
    assert_eq!(size, 2);
    assert_eq!(encoding(&mut c, "union"), "listpack");
    let _: i64 = run(&mut c, &["ZADD", "most", "0", "a", "0", "b", "0", "c"]);
    let size: i64 = run(&mut c, &["ZDIFFSTORE", "diff", "2", "big", "most"]);
    assert_eq!(size, 3);
    assert_eq!(encoding(&mut c, "diff"), "listpack");
    assert_eq!(all(&mut c, "diff"), ["d", "4", "e", "5", "f", "6"]);

    // Results past either limit are skiplists.
    let size: i64 = run(&mut c, &["ZUNIONSTORE", "union", "2", "big", "few"]);
    assert_eq!(size, 6);
    assert_eq!(encoding(&mut c, "union"), "skiplist");
    let size: i64 = run(&mut c, &["ZRANGESTORE", "rs", "big", "0", "4"]);
    assert_eq!(size, 5);
    assert_eq!(encoding(&mut c, "rs"), "skiplist");
    let _: i64 = run(&mut c, &["ZADD", "longm", "1", "123456789"]);
    let size: i64 = run(&mut c, &["ZUNIONSTORE", "union", "1", "longm"]);
    assert_eq!(size, 1);
    assert_eq!(encoding(&mut c, "union"), "skiplist");
}

#[test]
fn a_five_thousand_member_sorted_set_ranks_and_ranges_correctly() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    const N: usize = 5_000;
    // Scores repeat (five members each) so ties are ordered by member.
    let score_of = |i: usize| ((i * 7919) % 1000) as f64 / 2.0;
    let mut pipe = redis::pipe();
    for i in 0..N {
        pipe.cmd("ZADD")
            .arg("big")
            .arg(score_of(i))
            .arg(format!("member:{i}"))
            .ignore();
    }
    let _: () = pipe.query(&mut c).unwrap();
    let mut expected: Vec<(f64, String)> = (0..N)
        .map(|i| (score_of(i), format!("member:{i}")))
        .collect();
    expected.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let card: i64 = run(&mut c, &["ZCARD", "big"]);
    assert_eq!(card, N as i64);
    assert_eq!(encoding(&mut c, "big"), "skiplist");

    let members = strings(&mut c, &["ZRANGE", "big", "0", "-1"]);
    let want: Vec<&String> = expected.iter().map(|(_, m)| m).collect();
    assert_eq!(members.iter().collect::<Vec<_>>(), want);
    for rank in (0..N).step_by(251) {
        let member = &expected[rank].1;
        let got: i64 = run(&mut c, &["ZRANK", "big", member]);
        assert_eq!(got, rank as i64, "{member}");
        let got: i64 = run(&mut c, &["ZREVRANK", "big", member]);
        assert_eq!(got, (N - 1 - rank) as i64, "{member}");
        let got: String = run(&mut c, &["ZSCORE", "big", member]);
        assert_eq!(got, format!("{}", expected[rank].0));
        let got = strings(
            &mut c,
            &["ZRANGE", "big", &rank.to_string(), &rank.to_string()],
        );
        assert_eq!(got, [member.as_str()]);
    }
    for (min, max) in [
        (0.0, 10.0),
        (100.5, 101.0),
        (250.0, 499.5),
        (499.5, 600.0),
        (-5.0, 0.0),
    ] {
        let want: Vec<&String> = expected
            .iter()
            .filter(|(s, _)| *s >= min && *s <= max)
            .map(|(_, m)| m)
            .collect();
        let (min, max) = (min.to_string(), max.to_string());
        let got = strings(&mut c, &["ZRANGE", "big", &min, &max, "BYSCORE"]);
        assert_eq!(got.iter().collect::<Vec<_>>(), want, "{min}..{max}");
        let count: i64 = run(&mut c, &["ZCOUNT", "big", &min, &max]);
        assert_eq!(count, want.len() as i64);
        let got = strings(&mut c, &["ZRANGE", "big", &max, &min, "BYSCORE", "REV"]);
        let reversed: Vec<&String> = want.iter().rev().copied().collect();
        assert_eq!(got.iter().collect::<Vec<_>>(), reversed);
        let got = strings(
            &mut c,
            &["ZRANGE", "big", &min, &max, "BYSCORE", "LIMIT", "3", "4"],
        );
        let window: Vec<&String> = want.iter().skip(3).take(4).copied().collect();
        assert_eq!(got.iter().collect::<Vec<_>>(), window);
    }
    let exclusive: i64 = run(&mut c, &["ZCOUNT", "big", "(100", "(200"]);
    let want = expected
        .iter()
        .filter(|(s, _)| *s > 100.0 && *s < 200.0)
        .count();
    assert_eq!(exclusive, want as i64);
    let got = strings(&mut c, &["ZRANGE", "big", "-10", "-1", "WITHSCORES"]);
    let want: Vec<String> = expected[N - 10..]
        .iter()
        .flat_map(|(s, m)| [m.clone(), s.to_string()])
        .collect();
    assert_eq!(got, want);

    // Removing a score range shifts the ranks of everything above it.
    let removed: i64 = run(&mut c, &["ZREMRANGEBYSCORE", "big", "-inf", "(250"]);
    let below = expected.iter().filter(|(s, _)| *s < 250.0).count();
    assert_eq!(removed, below as i64);
    let member = &expected[N - 1].1;
    let got: i64 = run(&mut c, &["ZRANK", "big", member]);
    assert_eq!(got, (N - 1 - below) as i64);
    let card: i64 = run(&mut c, &["ZCARD", "big"]);
    assert_eq!(card, (N - below) as i64);
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
fn edits_on_a_skiplist_match_a_model() {
    let server = TestServer::start(&["--zset-max-listpack-entries", "8"]);
    let mut c = server.connect();
    let mut model: BTreeMap<String, f64> = BTreeMap::new();
    let mut rng = Lcg(11);
    for step in 0..800 {
        let member = format!("m{}", rng.below(60));
        let score = rng.below(40) as f64 / 2.0 - 5.0;
        match rng.below(5) {
            0 | 1 => {
                let added: i64 = run(&mut c, &["ZADD", "z", &score.to_string(), &member]);
                assert_eq!(
                    added,
                    i64::from(!model.contains_key(&member)),
                    "step {step}"
                );
                model.insert(member, score);
            }
            2 => {
                let got: String = run(&mut c, &["ZINCRBY", "z", &score.to_string(), &member]);
                let total = model.get(&member).copied().unwrap_or(0.0) + score;
                assert_eq!(got, total.to_string(), "step {step}");
                model.insert(member, total);
            }
            3 => {
                let removed: i64 = run(&mut c, &["ZREM", "z", &member]);
                assert_eq!(removed, i64::from(model.remove(&member).is_some()));
            }
            _ => {
                let got: Option<i64> = run(&mut c, &["ZRANK", "z", &member]);
                let mut order: Vec<(&String, &f64)> = model.iter().collect();
                order.sort_by(|a, b| a.1.total_cmp(b.1).then_with(|| a.0.cmp(b.0)));
                let want = order.iter().position(|(m, _)| **m == member);
                assert_eq!(got, want.map(|r| r as i64), "step {step}");
            }
        }
        if step % 100 == 99 {
            let mut order: Vec<(&String, &f64)> = model.iter().collect();
            order.sort_by(|a, b| a.1.total_cmp(b.1).then_with(|| a.0.cmp(b.0)));
            let want: Vec<String> = order
                .iter()
                .flat_map(|(m, s)| [m.to_string(), s.to_string()])
                .collect();
            assert_eq!(all(&mut c, "z"), want, "step {step}");
        }
    }
    assert_eq!(encoding(&mut c, "z"), "skiplist");
}

#[test]
fn zset_max_listpack_value_takes_memory_units() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let ok: String = run(&mut c, &["CONFIG", "SET", "zset-max-listpack-value", "1kb"]);
    assert_eq!(ok, "OK");
    let config: Vec<String> = run(&mut c, &["CONFIG", "GET", "zset-max-listpack-value"]);
    assert_eq!(config, ["zset-max-listpack-value", "1024"]);
    assert_err(
        &mut c,
        &["CONFIG", "SET", "zset-max-listpack-value", "abc"],
        "argument must be a memory value",
    );
    let _: i64 = run(&mut c, &["ZADD", "z", "1", &"m".repeat(1024)]);
    assert_eq!(encoding(&mut c, "z"), "listpack");
    let _: i64 = run(&mut c, &["ZADD", "z", "1", &"m".repeat(1025)]);
    assert_eq!(encoding(&mut c, "z"), "skiplist");
}

#[test]
fn zadd_sizes_a_new_key_by_the_members_it_ends_up_with() {
    let server = TestServer::start(&["--zset-max-listpack-entries", "4"]);
    let mut c = server.connect();
    let mut args = vec!["ZADD", "z"];
    for score in ["1", "2", "3", "4", "5", "6"] {
        args.push(score);
        args.push("same");
    }
    let added: i64 = run(&mut c, &args);
    assert_eq!(added, 1);
    assert_eq!(all(&mut c, "z"), ["same", "6"]);
    assert_eq!(encoding(&mut c, "z"), "listpack");
}

/// A RESP3 connection (HELLO 3), where scores are doubles and pairs are nested.
fn connect_resp3(server: &TestServer) -> Connection {
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", server.port());
    let connection = redis::Client::open(url).unwrap().get_connection().unwrap();
    connection
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    connection
}

#[test]
fn resp3_replies_use_doubles_and_nested_pairs() {
    let server = TestServer::start(&[]);
    let mut c = connect_resp3(&server);
    let _: i64 = run(&mut c, &["ZADD", "z", "1", "a", "2.5", "b", "inf", "c"]);
    let pair = |m: &str, s: f64| Value::Array(vec![bulk(m), Value::Double(s)]);
    let cases: &[(&[&str], Value)] = &[
        (&["ZSCORE", "z", "b"], Value::Double(2.5)),
        (&["ZSCORE", "z", "c"], Value::Double(f64::INFINITY)),
        (&["ZSCORE", "z", "nosuch"], Value::Nil),
        (
            &["ZMSCORE", "z", "a", "nosuch"],
            Value::Array(vec![Value::Double(1.0), Value::Nil]),
        ),
        (&["ZINCRBY", "z", "1", "a"], Value::Double(2.0)),
        (&["ZADD", "z", "INCR", "-1", "a"], Value::Double(1.0)),
        (&["ZADD", "z", "NX", "INCR", "1", "a"], Value::Nil),
        (
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
            Value::Array(vec![
                pair("a", 1.0),
                pair("b", 2.5),
                pair("c", f64::INFINITY),
            ]),
        ),
        (
            &["ZRANGE", "z", "0", "1"],
            Value::Array(vec![bulk("a"), bulk("b")]),
        ),
        (
            &["ZUNION", "2", "z", "z", "WITHSCORES"],
            Value::Array(vec![
                pair("a", 2.0),
                pair("b", 5.0),
                pair("c", f64::INFINITY),
            ]),
        ),
        (&["ZRANK", "z", "b"], Value::Int(1)),
        // Without a count ZPOPMIN is flat; with one it nests.
        (
            &["ZPOPMIN", "z"],
            Value::Array(vec![bulk("a"), Value::Double(1.0)]),
        ),
        (
            &["ZPOPMAX", "z", "1"],
            Value::Array(vec![pair("c", f64::INFINITY)]),
        ),
    ];
    for (args, want) in cases {
        let got: Value = run(&mut c, args);
        assert_eq!(&got, want, "{args:?}");
    }
    let _: i64 = run(&mut c, &["ZADD", "z", "3", "c", "4", "d"]);
    let got: Value = run(&mut c, &["BZPOPMIN", "z", "0"]);
    assert_eq!(
        got,
        Value::Array(vec![bulk("z"), bulk("b"), Value::Double(2.5)])
    );
    let got: Value = run(&mut c, &["ZMPOP", "1", "z", "MIN"]);
    assert_eq!(
        got,
        Value::Array(vec![bulk("z"), Value::Array(vec![pair("c", 3.0)])])
    );
    let got: Value = run(&mut c, &["ZRANDMEMBER", "z", "-2", "WITHSCORES"]);
    assert_eq!(got, Value::Array(vec![pair("d", 4.0), pair("d", 4.0)]));
    // ZSCAN keeps its scores as strings.
    let got: Value = run(&mut c, &["ZSCAN", "z", "0"]);
    assert_eq!(
        got,
        Value::Array(vec![bulk("0"), Value::Array(vec![bulk("d"), bulk("4")])])
    );
}
