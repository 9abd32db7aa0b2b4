//! String commands through the redis crate: GET/SET and every SET option, SETNX/SETEX/PSETEX,
//! GETSET/GETDEL/GETEX, MGET/MSET/MSETNX, APPEND/STRLEN, the INCR family and INCRBYFLOAT,
//! GETRANGE/SUBSTR/SETRANGE, LCS, the proto-max-bulk-len limit, errors and OBJECT ENCODING.

use redis::{Connection, Value};
use zedis_tests::{TestServer, encoding, exists, run, run_err_reply};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const SYNTAX: &str = "ERR syntax error";
const OVERFLOW: &str = "ERR increment or decrement would overflow";
const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

fn assert_err(c: &mut Connection, args: &[&str], want: &str) {
    assert_eq!(run_err_reply(c, args), want, "{args:?}");
}

fn get(c: &mut Connection, key: &str) -> Option<String> {
    run(c, &["GET", key])
}

fn ttl(c: &mut Connection, key: &str) -> i64 {
    run(c, &["TTL", key])
}

fn pttl(c: &mut Connection, key: &str) -> i64 {
    run(c, &["PTTL", key])
}

fn unix_now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A reply written compactly (`[matches,[[[4,7],[5,8]]],len,6]`), to compare nested arrays.
fn render(value: &Value) -> String {
    match value {
        Value::Nil => "nil".to_string(),
        Value::Int(n) => n.to_string(),
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", items.join(","))
        }
        other => panic!("unexpected reply {other:?}"),
    }
}

#[test]
fn set_and_get_with_nx_xx_and_get_options() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_eq!(run::<String>(&mut c, &["SET", "k", "v"]), "OK");
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
    assert_eq!(get(&mut c, "nosuch"), None);

    assert_eq!(run::<String>(&mut c, &["SET", "k", "v2", "XX"]), "OK");
    assert_eq!(get(&mut c, "k").as_deref(), Some("v2"));
    // A condition that does not hold gives a nil reply and writes nothing.
    assert_eq!(
        run::<Option<String>>(&mut c, &["SET", "k", "v3", "NX"]),
        None
    );
    assert_eq!(get(&mut c, "k").as_deref(), Some("v2"));
    assert_eq!(
        run::<Option<String>>(&mut c, &["SET", "new", "v", "NX"]).as_deref(),
        Some("OK")
    );
    assert_eq!(
        run::<Option<String>>(&mut c, &["SET", "missing", "v", "XX"]),
        None
    );
    assert_eq!(exists(&mut c, "missing"), 0);

    // GET returns the old value (nil when there was none), also combined with NX.
    assert_eq!(
        run::<Option<String>>(&mut c, &["SET", "k", "v", "GET"]).as_deref(),
        Some("v2")
    );
    assert_eq!(
        run::<Option<String>>(&mut c, &["SET", "k", "v4", "GET", "NX"]).as_deref(),
        Some("v")
    );
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
    assert_eq!(
        run::<Option<String>>(&mut c, &["SET", "nokey", "v", "GET"]),
        None
    );
    assert_eq!(get(&mut c, "nokey").as_deref(), Some("v"));
    assert_eq!(
        run::<Option<String>>(&mut c, &["SET", "k", "v5", "GET", "XX"]).as_deref(),
        Some("v")
    );
    assert_eq!(
        run::<Option<String>>(&mut c, &["set", "k", "lower", "xx", "get"]).as_deref(),
        Some("v5")
    );

    assert_err(&mut c, &["SET", "k", "v", "NX", "XX"], SYNTAX);
    assert_err(&mut c, &["SET", "k", "v", "XX", "NX"], SYNTAX);
    assert_err(&mut c, &["SET", "k", "v", "FOO"], SYNTAX);
    assert_err(
        &mut c,
        &["SET", "k"],
        "ERR wrong number of arguments for 'set' command",
    );

    // SET GET on another type fails and leaves the key alone.
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_err(&mut c, &["SET", "list", "v", "GET"], WRONGTYPE);
    assert_eq!(run::<String>(&mut c, &["TYPE", "list"]), "list");
    // Plain SET overwrites any type.
    assert_eq!(run::<String>(&mut c, &["SET", "list", "v"]), "OK");
    assert_eq!(get(&mut c, "list").as_deref(), Some("v"));
}

#[test]
fn set_expiry_options_ex_px_exat_pxat_keepttl() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(ttl(&mut c, "k"), 100);
    let _: String = run(&mut c, &["SET", "k", "v", "PX", "100000"]);
    let ms = pttl(&mut c, "k");
    assert!((99_000..=100_000).contains(&ms), "PTTL {ms}");
    // KEEPTTL keeps the deadline; a plain SET drops it.
    let _: String = run(&mut c, &["SET", "k", "v2", "KEEPTTL"]);
    assert_eq!(ttl(&mut c, "k"), 100);
    assert_eq!(get(&mut c, "k").as_deref(), Some("v2"));
    let _: String = run(&mut c, &["SET", "k", "v3"]);
    assert_eq!(ttl(&mut c, "k"), -1);
    // The last of repeated options wins.
    let _: String = run(&mut c, &["SET", "k", "v", "EX", "10", "EX", "20"]);
    assert_eq!(ttl(&mut c, "k"), 20);

    let at = (unix_now_secs() + 200).to_string();
    let _: String = run(&mut c, &["SET", "k", "v", "EXAT", &at]);
    let t = ttl(&mut c, "k");
    assert!((198..=200).contains(&t), "TTL {t}");
    assert_eq!(run::<String>(&mut c, &["EXPIRETIME", "k"]), at);
    let pxat = format!("{}123", unix_now_secs() + 300);
    let _: String = run(&mut c, &["SET", "k", "v", "PXAT", &pxat]);
    assert_eq!(run::<String>(&mut c, &["PEXPIRETIME", "k"]), pxat);
    // A deadline already past leaves nothing behind.
    let _: String = run(&mut c, &["SET", "past", "v", "EXAT", "1"]);
    assert_eq!(exists(&mut c, "past"), 0);
    let _: String = run(&mut c, &["SET", "past", "v", "PXAT", "1000"]);
    assert_eq!(get(&mut c, "past"), None);
    // SET with NX/XX and an expiry.
    let _: String = run(&mut c, &["SET", "n", "v", "NX", "PX", "50000"]);
    let ms = pttl(&mut c, "n");
    assert!((49_000..=50_000).contains(&ms), "PTTL {ms}");
    let _: String = run(&mut c, &["SET", "n", "w", "XX", "KEEPTTL"]);
    assert_eq!(ttl(&mut c, "n"), 50);

    for bad in ["0", "-1", "9223372036854775807"] {
        assert_err(
            &mut c,
            &["SET", "k", "v", "EX", bad],
            "ERR invalid expire time in 'set' command",
        );
    }
    for (option, bad) in [("PX", "0"), ("EXAT", "0"), ("EXAT", "-1"), ("PXAT", "-1")] {
        assert_err(
            &mut c,
            &["SET", "k", "v", option, bad],
            "ERR invalid expire time in 'set' command",
        );
    }
    assert_err(&mut c, &["SET", "k", "v", "EX", "abc"], NOT_INTEGER);
    assert_err(&mut c, &["SET", "k", "v", "PX", "1.5"], NOT_INTEGER);
    assert_err(&mut c, &["SET", "k", "v", "EX", "10", "PX", "100"], SYNTAX);
    assert_err(
        &mut c,
        &["SET", "k", "v", "EXAT", "10", "PXAT", "100"],
        SYNTAX,
    );
    assert_err(&mut c, &["SET", "k", "v", "KEEPTTL", "EX", "10"], SYNTAX);
    assert_err(&mut c, &["SET", "k", "v", "PX", "10", "KEEPTTL"], SYNTAX);
    assert_err(&mut c, &["SET", "k", "v", "EX"], SYNTAX);
    // A failed SET changes nothing.
    assert_eq!(run::<String>(&mut c, &["PEXPIRETIME", "k"]), pxat);
}

#[test]
fn setnx_setex_and_psetex() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_eq!(run::<i64>(&mut c, &["SETNX", "k", "first"]), 1);
    assert_eq!(run::<i64>(&mut c, &["SETNX", "k", "second"]), 0);
    assert_eq!(get(&mut c, "k").as_deref(), Some("first"));

    assert_eq!(run::<String>(&mut c, &["SETEX", "sx", "100", "val"]), "OK");
    assert_eq!(ttl(&mut c, "sx"), 100);
    assert_eq!(get(&mut c, "sx").as_deref(), Some("val"));
    // SETEX overwrites, including the deadline.
    let _: String = run(&mut c, &["SETEX", "sx", "50", "val2"]);
    assert_eq!(ttl(&mut c, "sx"), 50);
    assert_eq!(get(&mut c, "sx").as_deref(), Some("val2"));
    for bad in ["0", "-5"] {
        assert_err(
            &mut c,
            &["SETEX", "sx", bad, "val"],
            "ERR invalid expire time in 'setex' command",
        );
    }
    assert_err(&mut c, &["SETEX", "sx", "abc", "val"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["SETEX", "sx", "10"],
        "ERR wrong number of arguments for 'setex' command",
    );

    assert_eq!(
        run::<String>(&mut c, &["PSETEX", "psx", "100000", "val"]),
        "OK"
    );
    let ms = pttl(&mut c, "psx");
    assert!((99_000..=100_000).contains(&ms), "PTTL {ms}");
    assert_err(
        &mut c,
        &["PSETEX", "psx", "0", "val"],
        "ERR invalid expire time in 'psetex' command",
    );
    assert_err(&mut c, &["PSETEX", "psx", "1x", "val"], NOT_INTEGER);
    assert_eq!(ttl(&mut c, "sx"), 50);
}

#[test]
fn getset_and_getdel() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "old", "EX", "100"]);
    assert_eq!(
        run::<Option<String>>(&mut c, &["GETSET", "k", "new"]).as_deref(),
        Some("old")
    );
    assert_eq!(get(&mut c, "k").as_deref(), Some("new"));
    // GETSET is a SET: the TTL is gone.
    assert_eq!(ttl(&mut c, "k"), -1);
    assert_eq!(
        run::<Option<String>>(&mut c, &["GETSET", "fresh", "v"]),
        None
    );
    assert_eq!(get(&mut c, "fresh").as_deref(), Some("v"));

    assert_eq!(
        run::<Option<String>>(&mut c, &["GETDEL", "k"]).as_deref(),
        Some("new")
    );
    assert_eq!(exists(&mut c, "k"), 0);
    assert_eq!(run::<Option<String>>(&mut c, &["GETDEL", "k"]), None);

    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_err(&mut c, &["GETSET", "list", "v"], WRONGTYPE);
    assert_err(&mut c, &["GETDEL", "list"], WRONGTYPE);
    assert_eq!(run::<i64>(&mut c, &["LLEN", "list"]), 1);
}

#[test]
fn getex_sets_or_removes_the_expiry() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "k", "v"]);
    // Without options GETEX is a GET.
    assert_eq!(
        run::<Option<String>>(&mut c, &["GETEX", "k"]).as_deref(),
        Some("v")
    );
    assert_eq!(ttl(&mut c, "k"), -1);
    assert_eq!(
        run::<Option<String>>(&mut c, &["GETEX", "k", "EX", "100"]).as_deref(),
        Some("v")
    );
    assert_eq!(ttl(&mut c, "k"), 100);
    assert_eq!(
        run::<Option<String>>(&mut c, &["GETEX", "k", "PERSIST"]).as_deref(),
        Some("v")
    );
    assert_eq!(ttl(&mut c, "k"), -1);
    let _: Option<String> = run(&mut c, &["GETEX", "k", "PX", "100000"]);
    let ms = pttl(&mut c, "k");
    assert!((99_000..=100_000).contains(&ms), "PTTL {ms}");
    let at = (unix_now_secs() + 500).to_string();
    let _: Option<String> = run(&mut c, &["GETEX", "k", "EXAT", &at]);
    assert_eq!(run::<String>(&mut c, &["EXPIRETIME", "k"]), at);
    let pxat = format!("{}042", unix_now_secs() + 600);
    let _: Option<String> = run(&mut c, &["GETEX", "k", "PXAT", &pxat]);
    assert_eq!(run::<String>(&mut c, &["PEXPIRETIME", "k"]), pxat);

    assert_eq!(
        run::<Option<String>>(&mut c, &["GETEX", "nosuch", "EX", "10"]),
        None
    );
    assert_eq!(exists(&mut c, "nosuch"), 0);

    for (option, bad) in [
        ("EX", "0"),
        ("PX", "-1"),
        ("EXAT", "0"),
        ("PXAT", "0"),
        ("EX", "9223372036854775807"),
    ] {
        assert_err(
            &mut c,
            &["GETEX", "k", option, bad],
            "ERR invalid expire time in 'getex' command",
        );
    }
    assert_err(&mut c, &["GETEX", "k", "EX", "ten"], NOT_INTEGER);
    assert_err(&mut c, &["GETEX", "k", "EX", "10", "PX", "10"], SYNTAX);
    assert_err(&mut c, &["GETEX", "k", "PERSIST", "EX", "10"], SYNTAX);
    assert_err(&mut c, &["GETEX", "k", "EX"], SYNTAX);
    assert_err(&mut c, &["GETEX", "k", "FOO"], SYNTAX);
    assert_eq!(run::<String>(&mut c, &["PEXPIRETIME", "k"]), pxat);

    // A past absolute time returns the value and deletes the key.
    assert_eq!(
        run::<Option<String>>(&mut c, &["GETEX", "k", "EXAT", "1"]).as_deref(),
        Some("v")
    );
    assert_eq!(exists(&mut c, "k"), 0);

    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_err(&mut c, &["GETEX", "list", "PERSIST"], WRONGTYPE);
}

#[test]
fn mget_mset_and_msetnx() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_eq!(
        run::<String>(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"]),
        "OK"
    );
    let _: i64 = run(&mut c, &["RPUSH", "list", "x"]);
    // Missing keys and keys of another type are nil in MGET.
    assert_eq!(
        run::<Vec<Option<String>>>(&mut c, &["MGET", "a", "b", "nosuch", "list", "c"]),
        vec![
            Some("1".into()),
            Some("2".into()),
            None,
            None,
            Some("3".into())
        ]
    );
    // MSET overwrites, drops TTLs, and the last of repeated keys wins.
    let _: i64 = run(&mut c, &["EXPIRE", "a", "100"]);
    let _: String = run(&mut c, &["MSET", "a", "x", "a", "y", "list", "z"]);
    assert_eq!(get(&mut c, "a").as_deref(), Some("y"));
    assert_eq!(ttl(&mut c, "a"), -1);
    assert_eq!(get(&mut c, "list").as_deref(), Some("z"));
    assert_err(
        &mut c,
        &["MSET", "a", "1", "b"],
        "ERR wrong number of arguments for 'mset' command",
    );
    assert_err(
        &mut c,
        &["MGET"],
        "ERR wrong number of arguments for 'mget' command",
    );

    // MSETNX writes all or nothing.
    assert_eq!(run::<i64>(&mut c, &["MSETNX", "a", "9", "z", "9"]), 0);
    assert_eq!(exists(&mut c, "z"), 0);
    assert_eq!(get(&mut c, "a").as_deref(), Some("y"));
    assert_eq!(run::<i64>(&mut c, &["MSETNX", "y", "1", "z", "2"]), 1);
    assert_eq!(
        run::<Vec<Option<String>>>(&mut c, &["MGET", "y", "z"]),
        vec![Some("1".into()), Some("2".into())]
    );
    assert_err(
        &mut c,
        &["MSETNX", "q", "1", "r"],
        "ERR wrong number of arguments for 'msetnx' command",
    );
}

#[test]
fn append_and_strlen() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_eq!(run::<i64>(&mut c, &["APPEND", "ap", "hello"]), 5);
    assert_eq!(run::<i64>(&mut c, &["APPEND", "ap", " world"]), 11);
    assert_eq!(get(&mut c, "ap").as_deref(), Some("hello world"));
    assert_eq!(run::<i64>(&mut c, &["STRLEN", "ap"]), 11);
    assert_eq!(run::<i64>(&mut c, &["STRLEN", "nosuch"]), 0);
    assert_eq!(run::<i64>(&mut c, &["APPEND", "ap", ""]), 11);
    // Appending to an integer-encoded value works on its decimal text.
    let _: String = run(&mut c, &["SET", "num", "10"]);
    assert_eq!(run::<i64>(&mut c, &["STRLEN", "num"]), 2);
    assert_eq!(run::<i64>(&mut c, &["APPEND", "num", "5"]), 3);
    assert_eq!(get(&mut c, "num").as_deref(), Some("105"));
    assert_eq!(run::<i64>(&mut c, &["INCR", "num"]), 106);
    // Binary-safe.
    assert_eq!(run::<i64>(&mut c, &["APPEND", "bin", "a\0b"]), 3);
    assert_eq!(run::<i64>(&mut c, &["APPEND", "bin", "\r\n"]), 5);
    assert_eq!(run::<Vec<u8>>(&mut c, &["GET", "bin"]), b"a\0b\r\n");
    // APPEND keeps the TTL.
    let _: String = run(&mut c, &["SET", "t", "v", "EX", "100"]);
    let _: i64 = run(&mut c, &["APPEND", "t", "x"]);
    assert_eq!(ttl(&mut c, "t"), 100);

    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_err(&mut c, &["APPEND", "list", "x"], WRONGTYPE);
    assert_err(&mut c, &["STRLEN", "list"], WRONGTYPE);
}

#[test]
fn incr_decr_incrby_decrby_and_their_errors() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_eq!(run::<i64>(&mut c, &["INCR", "counter"]), 1);
    assert_eq!(run::<i64>(&mut c, &["INCR", "counter"]), 2);
    assert_eq!(run::<i64>(&mut c, &["INCRBY", "counter", "10"]), 12);
    assert_eq!(run::<i64>(&mut c, &["DECR", "counter"]), 11);
    assert_eq!(run::<i64>(&mut c, &["DECRBY", "counter", "5"]), 6);
    assert_eq!(run::<i64>(&mut c, &["INCRBY", "counter", "-10"]), -4);
    assert_eq!(run::<i64>(&mut c, &["DECRBY", "counter", "-4"]), 0);
    assert_eq!(get(&mut c, "counter").as_deref(), Some("0"));
    assert_eq!(run::<i64>(&mut c, &["DECR", "fresh"]), -1);
    assert_eq!(run::<i64>(&mut c, &["DECRBY", "fresh2", "5"]), -5);
    let _: String = run(&mut c, &["SET", "neg", "-17"]);
    assert_eq!(run::<i64>(&mut c, &["INCR", "neg"]), -16);
    // The TTL survives an increment.
    let _: String = run(&mut c, &["SET", "t", "5", "EX", "100"]);
    assert_eq!(run::<i64>(&mut c, &["INCR", "t"]), 6);
    assert_eq!(ttl(&mut c, "t"), 100);

    assert_err(&mut c, &["INCRBY", "counter", "abc"], NOT_INTEGER);
    assert_err(&mut c, &["INCRBY", "counter", "1.5"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["INCRBY", "counter", "99999999999999999999"],
        NOT_INTEGER,
    );
    assert_err(&mut c, &["DECRBY", "counter", "x"], NOT_INTEGER);
    for bad in ["hello", " 1", "1 ", "01", "-0", "+1", "1.0", ""] {
        let _: String = run(&mut c, &["SET", "notnum", bad]);
        assert_err(&mut c, &["INCR", "notnum"], NOT_INTEGER);
        assert_eq!(get(&mut c, "notnum").as_deref(), Some(bad));
    }

    let _: String = run(&mut c, &["SET", "big", "9223372036854775807"]);
    assert_eq!(run::<i64>(&mut c, &["INCRBY", "big", "0"]), i64::MAX);
    assert_err(&mut c, &["INCR", "big"], OVERFLOW);
    assert_err(&mut c, &["INCRBY", "big", "1"], OVERFLOW);
    assert_eq!(
        run::<i64>(&mut c, &["INCRBY", "big", "-9223372036854775808"]),
        -1
    );
    let _: String = run(&mut c, &["SET", "small", "-9223372036854775808"]);
    assert_err(&mut c, &["DECR", "small"], OVERFLOW);
    assert_err(&mut c, &["INCRBY", "small", "-1"], OVERFLOW);
    // DECRBY cannot negate i64::MIN.
    assert_err(
        &mut c,
        &["DECRBY", "small", "-9223372036854775808"],
        "ERR decrement would overflow",
    );
    assert_eq!(
        get(&mut c, "small").as_deref(),
        Some("-9223372036854775808")
    );

    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_err(&mut c, &["INCR", "list"], WRONGTYPE);
    assert_err(&mut c, &["DECRBY", "list", "2"], WRONGTYPE);
}

#[test]
fn incrbyfloat_formats_like_long_double_and_rejects_nan_and_infinity() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let incr =
        |c: &mut Connection, key: &str, by: &str| -> String { run(c, &["INCRBYFLOAT", key, by]) };
    let _: String = run(&mut c, &["SET", "f", "10.50"]);
    assert_eq!(incr(&mut c, "f", "0.1"), "10.6");
    assert_eq!(get(&mut c, "f").as_deref(), Some("10.6"));
    assert_eq!(incr(&mut c, "f", "-5"), "5.6");
    assert_eq!(incr(&mut c, "f", "2.0e2"), "205.60000000000000001");
    let _: String = run(&mut c, &["SET", "f", "5.0e3"]);
    assert_eq!(incr(&mut c, "f", "2.0e2"), "5200");
    assert_eq!(incr(&mut c, "new", "3"), "3");
    assert_eq!(incr(&mut c, "new", "0.1"), "3.1");
    assert_eq!(incr(&mut c, "new", "0.2"), "3.3");
    assert_eq!(incr(&mut c, "b", "0.1"), "0.1");
    assert_eq!(incr(&mut c, "b", "0.2"), "0.3");
    assert_eq!(incr(&mut c, "small", "1.5e-5"), "0.000015");
    assert_eq!(incr(&mut c, "tiny", "1e-20"), "0");
    assert_eq!(incr(&mut c, "zero", "-2.5"), "-2.5");
    assert_eq!(incr(&mut c, "zero", "2.5"), "0");
    assert_eq!(incr(&mut c, "large", "1e20"), "100000000000000000000");
    // strtold accepts hexadecimal.
    let _: String = run(&mut c, &["SET", "h", "3"]);
    assert_eq!(incr(&mut c, "h", "0x10"), "19");
    let _: String = run(&mut c, &["SET", "one", "1"]);
    assert_eq!(
        incr(&mut c, "one", "1e300"),
        "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144"
    );
    // The TTL survives.
    let _: String = run(&mut c, &["SET", "t", "1.5", "EX", "100"]);
    assert_eq!(incr(&mut c, "t", "1"), "2.5");
    assert_eq!(ttl(&mut c, "t"), 100);

    for bad in ["abc", "", "1.0e", " 1", "1 ", "nan"] {
        assert_err(&mut c, &["INCRBYFLOAT", "f", bad], NOT_FLOAT);
    }
    for bad in [" 1.5", "1.5 ", "hello"] {
        let _: String = run(&mut c, &["SET", "notnum", bad]);
        assert_err(&mut c, &["INCRBYFLOAT", "notnum", "1"], NOT_FLOAT);
    }
    assert_err(
        &mut c,
        &["INCRBYFLOAT", "f", "inf"],
        "ERR increment would produce NaN or Infinity",
    );
    assert_err(
        &mut c,
        &["INCRBYFLOAT", "f", "-inf"],
        "ERR increment would produce NaN or Infinity",
    );
    // Beyond a long double's range.
    assert_err(&mut c, &["INCRBYFLOAT", "f", "1e4933"], NOT_FLOAT);
    assert_eq!(get(&mut c, "f").as_deref(), Some("5200"));

    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_err(&mut c, &["INCRBYFLOAT", "list", "1"], WRONGTYPE);
}

#[test]
fn getrange_and_substr() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "r", "Hello World"]);
    let range = |c: &mut Connection, start: &str, end: &str| -> String {
        run(c, &["GETRANGE", "r", start, end])
    };
    assert_eq!(range(&mut c, "0", "4"), "Hello");
    assert_eq!(range(&mut c, "-5", "-1"), "World");
    assert_eq!(range(&mut c, "0", "-1"), "Hello World");
    assert_eq!(range(&mut c, "3", "100"), "lo World");
    assert_eq!(range(&mut c, "100", "200"), "");
    assert_eq!(range(&mut c, "-100", "-50"), "H");
    assert_eq!(range(&mut c, "-100", "2"), "Hel");
    assert_eq!(range(&mut c, "-1", "-5"), "");
    assert_eq!(range(&mut c, "5", "3"), "");
    assert_eq!(range(&mut c, "10", "10"), "d");
    assert_eq!(
        run::<String>(&mut c, &["GETRANGE", "nosuch", "0", "-1"]),
        ""
    );
    assert_eq!(run::<String>(&mut c, &["SUBSTR", "r", "0", "4"]), "Hello");
    assert_eq!(run::<String>(&mut c, &["SUBSTR", "r", "-3", "-1"]), "rld");
    // Integer-encoded values are ranged over their decimal text.
    let _: String = run(&mut c, &["SET", "intval", "12345"]);
    assert_eq!(
        run::<String>(&mut c, &["GETRANGE", "intval", "1", "2"]),
        "23"
    );
    assert_eq!(
        run::<String>(&mut c, &["GETRANGE", "intval", "-2", "-1"]),
        "45"
    );

    assert_err(&mut c, &["GETRANGE", "r", "a", "1"], NOT_INTEGER);
    assert_err(&mut c, &["SUBSTR", "r", "0", "x"], NOT_INTEGER);
    assert_err(
        &mut c,
        &["GETRANGE", "r", "0"],
        "ERR wrong number of arguments for 'getrange' command",
    );
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_err(&mut c, &["GETRANGE", "list", "0", "1"], WRONGTYPE);
}

#[test]
fn setrange_pads_with_zero_bytes() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    assert_eq!(run::<i64>(&mut c, &["SETRANGE", "sr", "5", "hi"]), 7);
    assert_eq!(run::<Vec<u8>>(&mut c, &["GET", "sr"]), b"\0\0\0\0\0hi");
    assert_eq!(run::<i64>(&mut c, &["SETRANGE", "sr", "0", "HELLO"]), 7);
    assert_eq!(get(&mut c, "sr").as_deref(), Some("HELLOhi"));
    assert_eq!(run::<i64>(&mut c, &["SETRANGE", "sr", "6", "IGH"]), 9);
    assert_eq!(get(&mut c, "sr").as_deref(), Some("HELLOhIGH"));
    // An empty value changes nothing and does not create a missing key.
    assert_eq!(run::<i64>(&mut c, &["SETRANGE", "sr", "2", ""]), 9);
    assert_eq!(run::<i64>(&mut c, &["SETRANGE", "sr", "100", ""]), 9);
    assert_eq!(run::<i64>(&mut c, &["SETRANGE", "emptykey", "0", ""]), 0);
    assert_eq!(exists(&mut c, "emptykey"), 0);
    // On an integer value.
    let _: String = run(&mut c, &["SET", "n", "12345"]);
    assert_eq!(run::<i64>(&mut c, &["SETRANGE", "n", "1", "9"]), 5);
    assert_eq!(get(&mut c, "n").as_deref(), Some("19345"));
    // The TTL survives.
    let _: String = run(&mut c, &["SET", "t", "abc", "EX", "100"]);
    let _: i64 = run(&mut c, &["SETRANGE", "t", "1", "X"]);
    assert_eq!(get(&mut c, "t").as_deref(), Some("aXc"));
    assert_eq!(ttl(&mut c, "t"), 100);

    assert_err(
        &mut c,
        &["SETRANGE", "sr", "-1", "x"],
        "ERR offset is out of range",
    );
    assert_err(&mut c, &["SETRANGE", "sr", "x", "x"], NOT_INTEGER);
    // The default limit, 512mb, without allocating anything.
    assert_err(&mut c, &["SETRANGE", "sr", "536870912", "x"], TOO_BIG);
    assert_eq!(run::<i64>(&mut c, &["SETRANGE", "sr", "536870912", ""]), 9);
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_err(&mut c, &["SETRANGE", "list", "0", "x"], WRONGTYPE);
    assert_err(&mut c, &["SETRANGE", "list", "0", ""], WRONGTYPE);
}

#[test]
fn setrange_and_append_refuse_to_grow_past_proto_max_bulk_len() {
    let server = TestServer::start(&["--proto-max-bulk-len", "1mb"]);
    let mut c = server.connect();
    const LIMIT: usize = 1024 * 1024;
    // Exactly the limit is allowed, one more byte is not.
    assert_eq!(
        run::<i64>(&mut c, &["SETRANGE", "s", &(LIMIT - 1).to_string(), "x"]),
        LIMIT as i64
    );
    assert_err(
        &mut c,
        &["SETRANGE", "s2", &LIMIT.to_string(), "x"],
        TOO_BIG,
    );
    assert_eq!(exists(&mut c, "s2"), 0);
    assert_err(
        &mut c,
        &["SETRANGE", "s", &(LIMIT - 1).to_string(), "xy"],
        TOO_BIG,
    );
    assert_err(&mut c, &["APPEND", "s", "y"], TOO_BIG);
    assert_eq!(run::<i64>(&mut c, &["STRLEN", "s"]), LIMIT as i64);

    let half = "a".repeat(LIMIT / 2);
    assert_eq!(
        run::<i64>(&mut c, &["APPEND", "a", &half]),
        (LIMIT / 2) as i64
    );
    assert_eq!(run::<i64>(&mut c, &["APPEND", "a", &half]), LIMIT as i64);
    assert_err(&mut c, &["APPEND", "a", "b"], TOO_BIG);
    assert_eq!(run::<i64>(&mut c, &["APPEND", "a", ""]), LIMIT as i64);
    assert_eq!(run::<i64>(&mut c, &["STRLEN", "a"]), LIMIT as i64);

    // LCS's table, (len + 1)² × 4 bytes, is held to the same limit: 501² × 4 fits, 601² × 4
    // does not.
    let (x, y) = ("x".repeat(500), "x".repeat(600));
    let _: String = run(&mut c, &["MSET", "x1", &x, "x2", &x, "y1", &y, "y2", &y]);
    assert_eq!(run::<i64>(&mut c, &["LCS", "x1", "x2", "LEN"]), 500);
    assert_err(
        &mut c,
        &["LCS", "y1", "y2", "LEN"],
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
    );
}

#[test]
fn lcs_with_len_idx_minmatchlen_and_withmatchlen() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["MSET", "a", "ohmytext", "b", "mynewtext"]);
    let lcs = |c: &mut Connection, extra: &[&str]| -> String {
        let mut args = vec!["LCS", "a", "b"];
        args.extend_from_slice(extra);
        render(&run::<Value>(c, &args))
    };
    assert_eq!(lcs(&mut c, &[]), "mytext");
    assert_eq!(lcs(&mut c, &["LEN"]), "6");
    assert_eq!(
        lcs(&mut c, &["IDX"]),
        "[matches,[[[4,7],[5,8]],[[2,3],[0,1]]],len,6]"
    );
    assert_eq!(
        lcs(&mut c, &["IDX", "MINMATCHLEN", "4"]),
        "[matches,[[[4,7],[5,8]]],len,6]"
    );
    assert_eq!(
        lcs(&mut c, &["IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
        "[matches,[[[4,7],[5,8],4]],len,6]"
    );
    assert_eq!(
        lcs(&mut c, &["idx", "withmatchlen"]),
        "[matches,[[[4,7],[5,8],4],[[2,3],[0,1],2]],len,6]"
    );
    // MINMATCHLEN only filters IDX output; a negative one is zero.
    assert_eq!(lcs(&mut c, &["MINMATCHLEN", "-1"]), "mytext");
    assert_eq!(lcs(&mut c, &["LEN", "MINMATCHLEN", "10"]), "6");

    assert_eq!(render(&run(&mut c, &["LCS", "a", "nosuch"])), "");
    assert_eq!(render(&run(&mut c, &["LCS", "a", "nosuch", "LEN"])), "0");
    assert_eq!(
        render(&run(&mut c, &["LCS", "nosuch1", "nosuch2", "IDX"])),
        "[matches,[],len,0]"
    );
    let _: String = run(&mut c, &["MSET", "x", "12345", "y", "0234"]);
    assert_eq!(render(&run(&mut c, &["LCS", "x", "y"])), "234");

    assert_err(
        &mut c,
        &["LCS", "a", "b", "LEN", "IDX"],
        "ERR If you want both the length and indexes, please just use IDX.",
    );
    assert_err(&mut c, &["LCS", "a", "b", "FOO"], SYNTAX);
    assert_err(&mut c, &["LCS", "a", "b", "MINMATCHLEN"], SYNTAX);
    assert_err(&mut c, &["LCS", "a", "b", "MINMATCHLEN", "x"], NOT_INTEGER);
    let _: i64 = run(&mut c, &["RPUSH", "list", "a"]);
    assert_err(
        &mut c,
        &["LCS", "list", "a"],
        "ERR The specified keys must contain string values",
    );
    assert_err(
        &mut c,
        &["LCS", "a", "list"],
        "ERR The specified keys must contain string values",
    );
}

#[test]
fn values_are_binary_safe() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let value = "a\0b\r\nc\u{7f}";
    let _: String = run(&mut c, &["SET", "bin\0key", value]);
    assert_eq!(
        run::<Vec<u8>>(&mut c, &["GET", "bin\0key"]),
        value.as_bytes()
    );
    assert_eq!(run::<i64>(&mut c, &["STRLEN", "bin\0key"]), 7);
    assert_eq!(exists(&mut c, "bin"), 0);
    let _: String = run(&mut c, &["SET", "empty", ""]);
    assert_eq!(get(&mut c, "empty").as_deref(), Some(""));
    assert_eq!(run::<i64>(&mut c, &["STRLEN", "empty"]), 0);
    assert_eq!(exists(&mut c, "empty"), 1);
}

#[test]
fn object_encoding_moves_between_int_embstr_and_raw() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let cases = [
        ("12345", "int"),
        ("123", "int"),
        ("-5", "int"),
        ("9223372036854775807", "int"),
        ("-9223372036854775808", "int"),
        ("9223372036854775808", "embstr"),
        ("12345678901234567890", "embstr"),
        ("0123", "embstr"),
        (" 1", "embstr"),
        ("hello", "embstr"),
        ("", "embstr"),
    ];
    for (value, want) in cases {
        let _: String = run(&mut c, &["SET", "k", value]);
        assert_eq!(encoding(&mut c, "k"), want, "{value:?}");
    }
    // 44 bytes is the largest embedded string.
    let _: String = run(&mut c, &["SET", "k", &"x".repeat(44)]);
    assert_eq!(encoding(&mut c, "k"), "embstr");
    let _: String = run(&mut c, &["SET", "k", &"x".repeat(45)]);
    assert_eq!(encoding(&mut c, "k"), "raw");
    let _: String = run(&mut c, &["SET", "k", &"1".repeat(45)]);
    assert_eq!(encoding(&mut c, "k"), "raw");

    // Modifying a string in place makes it raw, however short.
    let _: String = run(&mut c, &["SET", "short", "hello"]);
    let _: i64 = run(&mut c, &["APPEND", "short", "!"]);
    assert_eq!(encoding(&mut c, "short"), "raw");
    // APPEND to a missing key stores the value as SET would.
    let _: i64 = run(&mut c, &["APPEND", "fresh", "42"]);
    assert_eq!(encoding(&mut c, "fresh"), "int");
    let _: i64 = run(&mut c, &["APPEND", "fresh2", "abc"]);
    assert_eq!(encoding(&mut c, "fresh2"), "embstr");
    let _: String = run(&mut c, &["SET", "n", "10"]);
    let _: i64 = run(&mut c, &["APPEND", "n", "5"]);
    assert_eq!(encoding(&mut c, "n"), "raw");
    // ... and INCR turns a numeric value back into an integer.
    let _: i64 = run(&mut c, &["INCR", "n"]);
    assert_eq!(encoding(&mut c, "n"), "int");
    let _: i64 = run(&mut c, &["INCR", "newint"]);
    assert_eq!(encoding(&mut c, "newint"), "int");
    // INCRBYFLOAT stores a string even when the result is whole.
    let _: String = run(&mut c, &["INCRBYFLOAT", "fl", "3"]);
    assert_eq!(encoding(&mut c, "fl"), "embstr");
    let _: String = run(&mut c, &["MSET", "m1", "7", "m2", "x"]);
    assert_eq!(encoding(&mut c, "m1"), "int");
    assert_eq!(encoding(&mut c, "m2"), "embstr");
    let _: String = run(&mut c, &["SETEX", "sx", "100", "77"]);
    assert_eq!(encoding(&mut c, "sx"), "int");
}

#[test]
fn setrange_makes_a_string_raw() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let _: String = run(&mut c, &["SET", "short", "hello"]);
    let _: i64 = run(&mut c, &["SETRANGE", "short", "0", "J"]);
    assert_eq!(encoding(&mut c, "short"), "raw");
    // An empty patch changes nothing, encoding included.
    let _: String = run(&mut c, &["SET", "e", "hello"]);
    let _: i64 = run(&mut c, &["SETRANGE", "e", "0", ""]);
    assert_eq!(encoding(&mut c, "e"), "embstr");
    let _: i64 = run(&mut c, &["SETRANGE", "new", "0", "abc"]);
    assert_eq!(encoding(&mut c, "new"), "raw");
    let _: String = run(&mut c, &["SET", "i", "123"]);
    let _: i64 = run(&mut c, &["SETRANGE", "i", "0", "9"]);
    assert_eq!(encoding(&mut c, "i"), "raw");
    assert_eq!(get(&mut c, "i").as_deref(), Some("923"));
}
