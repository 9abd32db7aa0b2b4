//! Cluster mode: zedis with `cluster-enabled yes` answers as a one-node Redis Cluster that owns
//! every slot, compared with Redis 7.0.15 in cluster mode given all 16384 slots: `CLUSTER`
//! introspection, `CROSSSLOT` for multi-key requests (transactions and scripts included), the
//! commands cluster mode refuses, and `redis-cli -c` working through it. Without cluster mode,
//! the same commands give Redis's "cluster support disabled" error.

use std::process::Command;
use std::time::{Duration, Instant};

use redis_tests::raw::RawConnection;
use redis_tests::servers::{RedisServer, Zedis};

fn text(conn: &mut RawConnection, args: &[&str]) -> String {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    String::from_utf8_lossy(&conn.call(&args)).into_owned()
}

/// A Redis 7.0.15 cluster of one node owning every slot, once its state is `ok`.
fn redis_cluster() -> RedisServer {
    let redis = RedisServer::redis(&["--cluster-enabled", "yes"]);
    let mut conn = RawConnection::connect(redis.port);
    assert_eq!(
        text(&mut conn, &["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]),
        "+OK\r\n"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !text(&mut conn, &["CLUSTER", "INFO"]).contains("cluster_state:ok") {
        assert!(Instant::now() < deadline, "Redis's cluster state became ok");
        std::thread::sleep(Duration::from_millis(50));
    }
    redis
}

/// Requests whose replies must be the same on both servers, in order.
const SAME: &[&[&str]] = &[
    &["CLUSTER", "KEYSLOT", "{user1000}.following"],
    &["CLUSTER", "KEYSLOT", "foo{}{bar}"],
    &["CLUSTER", "KEYSLOT"],
    &["CLUSTER", "COUNTKEYSINSLOT", "20000"],
    &["CLUSTER", "COUNTKEYSINSLOT", "abc"],
    &["CLUSTER", "GETKEYSINSLOT", "1", "-1"],
    &["CLUSTER", "GETKEYSINSLOT", "1", "x"],
    &["CLUSTER", "NOSUCH"],
    &["MSET", "a", "1", "b", "2"],
    &["MSET", "{a}1", "1", "{a}2", "2"],
    &["MGET", "{a}1", "{a}2", "{a}3"],
    &["CLUSTER", "COUNTKEYSINSLOT", "15495"],
    &["DEL", "a", "{a}1"],
    &["RENAME", "{a}2", "{a}9"],
    &["SUNIONSTORE", "x", "y", "z"],
    &["SELECT", "1"],
    &["SELECT", "0"],
    &["MOVE", "{a}9", "1"],
    &["SWAPDB", "0", "1"],
    &["COPY", "{a}9", "{a}8", "DB", "1"],
    &["COPY", "{a}9", "{a}8"],
    &["REPLICAOF", "127.0.0.1", "1"],
    &["READONLY"],
    &["READWRITE"],
    &["ASKING"],
    &["EVAL", "return 1", "2", "a", "b"],
    &[
        "EVAL",
        "return redis.call('get', KEYS[1])",
        "2",
        "{a}9",
        "{a}x",
    ],
    &["MULTI"],
    &["SET", "a", "1"],
    &["SET", "b", "2"],
    &["EXEC"],
    &["MULTI"],
    &["SET", "{b}1", "1"],
    &["SET", "{b}2", "2"],
    &["EXEC"],
    &["MULTI"],
    &["GET", "{b}1"],
    &["MGET", "a", "b"],
    &["EXEC"],
    &["DBSIZE"],
    &["INFO", "cluster"],
];

#[test]
fn a_cluster_mode_node_answers_as_redis_owning_every_slot() {
    let redis = redis_cluster();
    let zedis = Zedis::with_debug_command(&["--cluster-enabled", "yes"]);
    let mut r = RawConnection::connect(redis.port);
    let mut z = RawConnection::connect(zedis.port);
    for request in SAME {
        assert_eq!(text(&mut z, request), text(&mut r, request), "{request:?}");
    }
    assert_eq!(
        text(&mut z, &["CLUSTER", "INFO"]),
        text(&mut r, &["CLUSTER", "INFO"])
    );
    // The keys of a slot come in no particular order (Redis's reply is nondeterministic too).
    let sorted_keys = |conn: &mut RawConnection| {
        let reply = text(conn, &["CLUSTER", "GETKEYSINSLOT", "15495", "10"]);
        let mut lines: Vec<String> = reply.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted_keys(&mut z), sorted_keys(&mut r));
    // The node's own ID and port are what differs between the two.
    let id = text(&mut z, &["CLUSTER", "MYID"]);
    let id = id.lines().nth(1).expect("an ID").to_string();
    assert_eq!(id.len(), 40);
    let port = zedis.port;
    assert_eq!(text(&mut z, &["CLUSTER", "NODES"]), {
        let line = format!(
            "{id} :{port}@{} myself,master - 0 0 0 connected 0-16383\n",
            port as u32 + 10000
        );
        format!("${}\r\n{line}\r\n", line.len())
    });
    let redis_id = text(&mut r, &["CLUSTER", "MYID"])
        .lines()
        .nth(1)
        .expect("id")
        .to_string();
    let swap = |reply: String, from_id: &str, from_port: u16| {
        reply
            .replace(from_id, "ID")
            .replace(&format!(":{from_port}\r\n"), ":PORT\r\n")
    };
    for request in [["CLUSTER", "SLOTS"], ["CLUSTER", "SHARDS"]] {
        assert_eq!(
            swap(text(&mut z, &request), &id, zedis.port),
            swap(text(&mut r, &request), &redis_id, redis.port),
            "{request:?}"
        );
    }
}

#[test]
fn redis_cli_in_cluster_mode_works_against_it() {
    let zedis = Zedis::with_debug_command(&["--cluster-enabled", "yes"]);
    let cli = |args: &[&str]| {
        let output = Command::new("redis-cli")
            .args(["-c", "-p", &zedis.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(cli(&["SET", "user:1", "ann"]), "OK\n");
    assert_eq!(cli(&["GET", "user:1"]), "ann\n");
    assert_eq!(
        cli(&["MSET", "x", "1", "y", "2"]).trim_end(),
        "CROSSSLOT Keys in request don't hash to the same slot"
    );
    let check = cli(&["--cluster", "check", &format!("127.0.0.1:{}", zedis.port)]);
    assert!(check.contains("[OK] All 16384 slots covered."), "{check}");
}

#[test]
fn without_cluster_mode_the_commands_are_refused_as_redis_refuses_them() {
    let redis = RedisServer::redis(&[]);
    let zedis = Zedis::with_debug_command(&[]);
    let mut r = RawConnection::connect(redis.port);
    let mut z = RawConnection::connect(zedis.port);
    for request in [
        &["CLUSTER", "INFO"][..],
        &["CLUSTER", "SLOTS"],
        &["CLUSTER", "KEYSLOT", "a"],
        &["READONLY"],
        &["READWRITE"],
        &["ASKING"],
        &["MSET", "a", "1", "b", "2"],
        &["SELECT", "1"],
        &["INFO", "cluster"],
    ] {
        assert_eq!(text(&mut z, request), text(&mut r, request), "{request:?}");
    }
}
