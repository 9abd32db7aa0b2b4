//! Keyspace notifications against a reference redis-server 7.0: the same long session of
//! write commands (every family, expiry, MULTI/EXEC, blocking pops served by a push, RENAME,
//! MOVE, COPY, SORT STORE…) runs on both servers with every event class on, and the messages a
//! `PSUBSCRIBE __key*__:*` client receives (in RESP2, then in RESP3) must be the same bytes, in
//! the same order.

use std::time::{Duration, Instant};

use redis_tests::raw::RawConnection;
use redis_tests::servers::{RedisServer, Zedis};

/// The session, one command per line (split on spaces: no argument holds one). A line
/// starting with `block:` is sent by a second client that blocks; the next line wakes it.
/// `{dump}` stands for the payload the last `DUMP` returned, `{target}` for the port of the
/// server `MIGRATE` sends keys to.
const SESSION: &[&str] = &[
    // Strings.
    "SET s1 v",
    "SET s1 w EX 100",
    "SET s1 x KEEPTTL",
    "SET s1 y NX",
    "SET s2 y XX",
    "SET s2 y GET",
    "SETNX s3 1",
    "SETNX s3 2",
    "SETEX s4 100 v",
    "PSETEX s5 100000 v",
    "GETSET s4 z",
    "GET nosuchkey",
    "MGET s1 nosuchkey s2",
    "STRLEN nosuchkey",
    "MSET m1 1 m2 2 m1 3",
    "MSETNX m3 1 m1 2",
    "MSETNX m3 1 m4 2",
    "APPEND a1 hello",
    "APPEND a1 world",
    "SETRANGE r1 5 x",
    "SETRANGE r1 0 y",
    "SETRANGE r2 0 \"\"",
    "INCR n1",
    "INCRBY n1 10",
    "DECR n1",
    "DECRBY n1 2",
    "INCRBYFLOAT n1 1.5",
    "INCR s1",
    "GETEX s4 EX 100",
    "GETEX s4 PERSIST",
    "GETEX s4 PERSIST",
    "GETEX s4",
    "GETEX nosuchkey EX 10",
    "GETEX s5 PXAT 1",
    "GETDEL s4",
    "GETDEL nosuchkey",
    // Bitmaps and HyperLogLogs.
    "SETBIT b1 7 1",
    "SETBIT b1 7 1",
    "SETBIT b1 100 0",
    "BITFIELD b2 SET u8 0 255 GET u8 0",
    "BITFIELD b2 GET u8 0",
    "BITOP OR b3 b1 b2",
    "BITOP AND b3 nosuchkey nosuchkey2",
    "BITCOUNT nosuchkey",
    "PFADD h1 a b c",
    "PFADD h1 a",
    "PFADD h2",
    "PFMERGE h3 h1 nosuchkey",
    "PFCOUNT h1 nosuchkey",
    // Lists.
    "LPUSH l1 a b c",
    "RPUSH l1 d",
    "LPUSHX nosuchkey a",
    "RPUSHX l1 e",
    "LINSERT l1 BEFORE a z",
    "LINSERT l1 BEFORE nothere z",
    "LSET l1 0 q",
    "LREM l1 0 nothere",
    "LREM l1 1 z",
    "LTRIM l1 0 3",
    "LPOP l1",
    "RPOP l1 2",
    "LMOVE l1 l2 LEFT RIGHT",
    "RPOPLPUSH l2 l2",
    "LRANGE nosuchkey 0 -1",
    "LLEN l1",
    "RPUSH l3 a b c",
    "LMPOP 2 nosuchkey l3 RIGHT COUNT 5",
    "LTRIM l2 5 10",
    "RPUSH l4 x",
    "LPOP l4",
    // Hashes.
    "HSET hh f1 1 f2 2",
    "HSET hh f1 1",
    "HMSET hh f3 3",
    "HSETNX hh f1 9",
    "HSETNX hh f4 4",
    "HINCRBY hh f1 5",
    "HINCRBYFLOAT hh f2 0.5",
    "HDEL hh nothere",
    "HDEL hh f1 f2",
    "HGET nosuchkey f",
    "HDEL hh f3 f4",
    // Sets.
    "SADD t1 a b c",
    "SADD t1 a",
    "SREM t1 nothere",
    "SREM t1 a",
    "SADD t2 x y",
    "SMOVE t1 t2 b",
    "SMOVE t1 t2 x",
    "SMOVE t1 t3 c",
    "SPOP t3",
    "SADD t4 1 2 3",
    "SPOP t4 1",
    "SPOP t4 5",
    "SADD t5 a b",
    "SADD t6 b c",
    "SINTERSTORE t7 t5 t6",
    "SINTERSTORE t7 t5 nosuchkey",
    "SINTERSTORE t7 t5 nosuchkey",
    "SUNIONSTORE t8 t5 t6",
    "SDIFFSTORE t9 t5 t6",
    "SDIFFSTORE t9 t5 t5",
    "SISMEMBER nosuchkey a",
    // Sorted sets.
    "ZADD z1 1 a 2 b 3 c",
    "ZADD z1 1 a",
    "ZADD z1 INCR 5 a",
    "ZINCRBY z1 1 b",
    "ZADD z1 XX 1 nothere",
    "ZREM z1 nothere",
    "ZREM z1 c",
    "ZADD z2 1 a 2 b 3 c 4 d 5 e",
    "ZREMRANGEBYRANK z2 0 0",
    "ZREMRANGEBYSCORE z2 2 2",
    "ZREMRANGEBYLEX z2 [c [c",
    "ZREMRANGEBYLEX z2 [x [y",
    "ZPOPMIN z2",
    "ZPOPMAX z2 5",
    "ZADD z3 1 a 2 b",
    "ZUNIONSTORE z4 2 z1 z3",
    "ZINTERSTORE z5 2 z1 z3",
    "ZDIFFSTORE z6 1 z1",
    "ZINTERSTORE z5 2 z1 nosuchkey",
    "ZRANGESTORE z7 z1 0 0",
    "ZRANGESTORE z7 z1 5 10",
    "ZMPOP 1 z3 MIN COUNT 10",
    "ZSCORE nosuchkey a",
    // Geo.
    "GEOADD g1 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
    "GEOADD g1 13.361389 38.115556 Palermo",
    "GEOSEARCHSTORE g2 g1 FROMLONLAT 15 37 BYRADIUS 200 km",
    "GEORADIUS g1 15 37 200 km STORE g3",
    "GEOSEARCHSTORE g2 g1 FROMLONLAT 0 0 BYRADIUS 1 km",
    "GEORADIUS nosuchkey 15 37 200 km STORE g3",
    "GEOPOS nosuchkey a",
    // Keys.
    "SET k1 v",
    "SET k2 v",
    "DEL k1 nosuchkey",
    "UNLINK k2",
    "SET k3 v",
    "EXPIRE k3 100",
    "PEXPIRE k3 100000",
    "EXPIREAT k3 99999999999",
    "PEXPIREAT k3 99999999999000",
    "EXPIRE k3 100 NX",
    "PERSIST k3",
    "PERSIST k3",
    "EXPIRE nosuchkey 100",
    "EXPIRE k3 -1",
    "SET k4 v",
    "PEXPIREAT k4 1",
    "SET k5 v",
    "RENAME k5 k6",
    "SET k7 v",
    "RENAME k6 k7",
    "RENAMENX k7 k8",
    "SET k9 v",
    "RENAMENX k8 k9",
    "MOVE k8 1",
    "COPY k9 k10",
    "COPY k9 k10",
    "COPY k9 k10 REPLACE",
    "COPY k9 k10 DB 2",
    "COPY nosuchkey k11",
    "RPUSH lst 3 1 2",
    "SORT lst STORE sorted",
    "SORT nosuchkey STORE sorted",
    "SORT lst BY nosuch_* GET nosuch_* STORE sorted2",
    "TYPE nosuchkey",
    "EXISTS nosuchkey",
    "TTL nosuchkey",
    "OBJECT ENCODING nosuchkey",
    "DUMP nosuchkey",
    "TOUCH nosuchkey k9",
    "SET mg v",
    "MIGRATE 127.0.0.1 {target} mg 0 5000 REPLACE",
    "MIGRATE 127.0.0.1 {target} nosuchkey 0 5000",
    "SET mg v",
    "MIGRATE 127.0.0.1 {target} mg 0 5000 REPLACE COPY",
    // Transactions.
    "MULTI",
    "SET x1 1",
    "INCR x1",
    "LPUSH x2 a",
    "GET nosuchkey",
    "EXEC",
    // Blocking pops served by a push.
    "block:BLPOP bl1 5",
    "RPUSH bl1 a",
    "block:BRPOP bl2 5",
    "RPUSH bl2 a b",
    "block:BLMOVE bl3 bl4 LEFT RIGHT 5",
    "LPUSH bl3 a",
    "block:BZPOPMIN bz1 5",
    "ZADD bz1 1 a",
    "block:BLMPOP 5 1 bl5 LEFT COUNT 2",
    "RPUSH bl5 a",
    // Expiry: lazy, on access.
    "SET e1 v",
    "PEXPIRE e1 1",
    "sleep",
    "GET e1",
    // A store over an expired key: the key expires, then is added anew.
    "SET d1 v PX 1",
    "sleep",
    "SETEX d1 100 w",
    "SET d2 v PX 1",
    "sleep",
    "MSET d2 x",
    "SADD d3 v",
    "PEXPIRE d3 1",
    "sleep",
    "SUNIONSTORE d3 t5 t6",
    "SET d4 v PX 1",
    "sleep",
    "BITOP OR d4 b1",
    "DUMP k9",
    "RESTORE e2 0 {dump}",
    "RESTORE e2 0 {dump}",
    "RESTORE e2 0 {dump} REPLACE",
    "RESTORE e2 1 {dump} REPLACE ABSTTL",
    "RESTORE e3 1 {dump} ABSTTL",
    "RESTORE e4 100000 {dump}",
    "FLUSHDB",
    "SWAPDB 0 1",
];

/// Splits a session line as `redis-cli` does (`sds::split_args`, Redis's `sdssplitargs`).
fn split(line: &str) -> Vec<Vec<u8>> {
    sds::split_args(line.as_bytes())
        .expect("balanced quotes")
        .iter()
        .map(|arg| arg.as_bytes().to_vec())
        .collect()
}

fn call(conn: &mut RawConnection, line: &str) -> Vec<u8> {
    call_with(conn, line, &[])
}

/// [`call`] with `{dump}` replaced by `dump`.
fn call_with(conn: &mut RawConnection, line: &str, dump: &[u8]) -> Vec<u8> {
    let args = split(line);
    let refs: Vec<&[u8]> = args
        .iter()
        .map(|a| if a == b"{dump}" { dump } else { a.as_slice() })
        .collect();
    conn.call(&refs)
}

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(conn: &mut RawConnection, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let want = format!("blocked_clients:{n}\r\n");
    while !String::from_utf8_lossy(&call(conn, "INFO clients")).contains(&want) {
        assert!(Instant::now() < deadline, "the client never blocked");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs the session on the server at `port` and returns the notification messages received
/// (by a RESP3 subscriber when `resp3`), each as its raw bytes, up to the end marker (which is
/// not included).
fn notifications(port: u16, target_port: u16, resp3: bool) -> Vec<Vec<u8>> {
    let mut subscriber = RawConnection::connect(port);
    if resp3 {
        call(&mut subscriber, "HELLO 3");
    }
    call(&mut subscriber, "PSUBSCRIBE __key*__:*");
    let mut client = RawConnection::connect(port);
    let mut blocker = RawConnection::connect(port);
    assert_eq!(
        call(&mut client, "CONFIG SET notify-keyspace-events KEAnm"),
        b"+OK\r\n"
    );
    let mut waiting = false;
    let mut dump = Vec::new();
    for line in SESSION {
        if let Some(command) = line.strip_prefix("block:") {
            let args = split(command);
            let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            blocker.send(&refs);
            wait_blocked(&mut client, 1);
            waiting = true;
            continue;
        }
        if *line == "sleep" {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let line = &line.replace("{target}", &target_port.to_string());
        let reply = call_with(&mut client, line, &dump);
        if line.starts_with("MIGRATE") && !line.contains("nosuchkey") {
            assert_eq!(reply, b"+OK\r\n", "{line}");
        }
        if line.starts_with("DUMP ") && reply != b"$-1\r\n" {
            // `$<len>\r\n<payload>\r\n`
            let start = reply
                .iter()
                .position(|&b| b == b'\n')
                .expect("a bulk reply")
                + 1;
            dump = reply[start..reply.len() - 2].to_vec();
        }
        if waiting {
            blocker.read_reply().expect("the blocked client is served");
            waiting = false;
        }
    }
    // The end marker: its event is the last message.
    call(&mut client, "SET __end__ 1");
    let mut messages = Vec::new();
    loop {
        let message = subscriber
            .read_reply()
            .expect("notifications up to the end marker");
        let text = String::from_utf8_lossy(&message);
        if text.contains("__keyevent@0__:set") && text.ends_with("$7\r\n__end__\r\n") {
            return messages;
        }
        messages.push(message);
    }
}

/// A message for a failure report: its channel and payload.
fn show(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    // `pmessage <pattern> <channel> <payload>` as an array (RESP2) or a push (RESP3).
    let fields: Vec<&str> = text
        .split("\r\n")
        .filter(|f| !f.is_empty() && !f.starts_with(['*', '>', '$']))
        .collect();
    fields[2..].join(" ")
}

#[test]
fn notifications_match_redis() {
    for resp3 in [false, true] {
        let redis = RedisServer::redis(&[]);
        let zedis = Zedis::with_debug_command(&[]);
        // Both servers migrate keys to this one (a plain Redis: only its replies matter).
        let target = RedisServer::redis(&[]);
        let expected = notifications(redis.port, target.port, resp3);
        let got = notifications(zedis.port, target.port, resp3);
        // A long session: a server ignoring notifications fails at the end marker already.
        assert!(
            expected.len() > 300,
            "{} messages from Redis",
            expected.len()
        );
        if expected != got {
            let first = expected
                .iter()
                .zip(&got)
                .position(|(e, g)| e != g)
                .unwrap_or(expected.len().min(got.len()));
            let from = first.saturating_sub(6);
            let around = |messages: &[Vec<u8>]| -> Vec<String> {
                messages[from..(first + 10).min(messages.len())]
                    .iter()
                    .map(|m| show(m))
                    .collect()
            };
            panic!(
                "RESP{}: the messages differ from number {first} on ({} from Redis, {} from \
                 zedis)\nredis: {:#?}\nzedis: {:#?}",
                if resp3 { 3 } else { 2 },
                expected.len(),
                got.len(),
                around(&expected),
                around(&got),
            );
        }
    }
}
