//! Replication between zedis and Redis 7.0.15, both ways: a replica of either server on either
//! server goes through a full synchronisation while a mixed write load runs (strings,
//! collections, expirations, MULTI/EXEC, scripts, several databases), continues from the
//! backlog after its link is cut (`+CONTINUE`, counted in `sync_partial_ok`), and ends with the
//! same dataset as its master by `DEBUG DIGEST` and key by key, at the same `master_repl_offset`.
//! Also: chained replicas and a promotion that keeps the chain continuing, `WAIT`, a read-only
//! replica's refusals, and links to masters that are not there or speak garbage.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use redis_tests::raw::RawConnection;
use redis_tests::servers::{RedisServer, Zedis};

fn call(conn: &mut RawConnection, args: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    conn.call(&args)
}

fn text(conn: &mut RawConnection, args: &[&str]) -> String {
    String::from_utf8_lossy(&call(conn, args)).into_owned()
}

fn ok(conn: &mut RawConnection, args: &[&str]) {
    let reply = text(conn, args);
    assert!(reply.starts_with('+'), "{args:?}: {reply}");
}

/// One field of `INFO <section>`.
fn info_field(port: u16, section: &str, field: &str) -> String {
    let mut conn = RawConnection::connect(port);
    let info = text(&mut conn, &["INFO", section]);
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .to_string()
}

/// Waits up to 20 s for `check`, panicking with `what` if it never holds.
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the replica's link is up and it has applied everything its master produced.
fn wait_caught_up(master: u16, replica: u16) {
    wait_for("the replica to catch up", || {
        info_field(replica, "replication", "master_link_status") == "up"
            && info_field(replica, "replication", "slave_repl_offset")
                == info_field(master, "replication", "master_repl_offset")
    });
}

/// Makes `replica` a replica of `master` and waits for its first synchronisation.
fn follow(replica: u16, master: u16) {
    let mut conn = RawConnection::connect(replica);
    ok(&mut conn, &["REPLICAOF", "127.0.0.1", &master.to_string()]);
    wait_caught_up(master, replica);
}

/// Rounds from here on set no short-lived keys, so the final comparison does not race their
/// expiry.
const FINAL_ROUNDS: usize = 400;

/// A write load over every family, with writes that propagate as something other than what
/// was sent: relative expirations, `SPOP`, `INCRBYFLOAT`, scripts, transactions, keys that
/// expire while the load runs.
fn write_load(conn: &mut RawConnection, round: usize) {
    let r = round.to_string();
    let key = |name: &str| format!("{name}:{}", round % 50);
    ok(conn, &["SELECT", &(round % 3).to_string()]);
    ok(conn, &["SET", &key("str"), &r]);
    ok(conn, &["SET", &key("ttl"), &r, "EX", "100"]);
    if round < FINAL_ROUNDS {
        ok(conn, &["SET", &key("gone"), &r, "PX", "30"]);
    }
    call(conn, &["INCRBYFLOAT", "float", "1.5"]);
    call(conn, &["RPUSH", &key("list"), &r, "x", "y"]);
    call(conn, &["LPOP", &key("list")]);
    call(conn, &["HSET", &key("hash"), &r, &r, "f", "v"]);
    call(conn, &["SADD", &key("set"), &r, "a", "b", "c"]);
    call(conn, &["SPOP", &key("set")]);
    call(conn, &["ZADD", &key("zset"), &r, &r, "1.5", "m"]);
    call(conn, &["PFADD", &key("hll"), &r]);
    call(conn, &["SETRANGE", &key("str"), "3", "xyz"]);
    call(conn, &["EXPIRE", &key("hash"), "1000"]);
    ok(conn, &["MULTI"]);
    call(conn, &["INCR", "counter"]);
    call(conn, &["LPUSH", "txlist", &r]);
    let exec = call(conn, &["EXEC"]);
    assert!(
        exec.starts_with(b"*2"),
        "{}",
        String::from_utf8_lossy(&exec)
    );
    call(
        conn,
        &[
            "EVAL",
            "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[2])",
            "2",
            &key("script"),
            "scripted",
            &r,
        ],
    );
    if round.is_multiple_of(10) {
        call(conn, &["DEL", &key("str")]);
    }
}

/// The keys and values of every database, as `DEBUG DIGEST-VALUE` and the TTL see them.
fn describe(port: u16) -> Vec<String> {
    let mut conn = RawConnection::connect(port);
    let mut out = Vec::new();
    for db in 0..3 {
        ok(&mut conn, &["SELECT", &db.to_string()]);
        let keys = text(&mut conn, &["KEYS", "*"]);
        let mut names: Vec<String> = keys
            .split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
            .map(str::to_string)
            .collect();
        names.sort();
        for name in names {
            let digest = text(&mut conn, &["DEBUG", "DIGEST-VALUE", &name]);
            let ttl = text(&mut conn, &["PEXPIRETIME", &name]);
            out.push(format!("{db} {name} {} {}", digest.trim(), ttl.trim()));
        }
    }
    out
}

fn digest(port: u16) -> String {
    text(&mut RawConnection::connect(port), &["DEBUG", "DIGEST"])
}

/// Runs the write load on `master` from another thread until the returned flag is cleared.
fn load_in_background(master: u16) -> (Arc<AtomicBool>, std::thread::JoinHandle<usize>) {
    let running = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&running);
    let thread = std::thread::spawn(move || {
        let mut conn = RawConnection::connect(master);
        let mut round = 1000;
        while flag.load(Ordering::Relaxed) && round < 200_000 {
            write_load(&mut conn, round);
            round += 1;
        }
        round - 1000
    });
    (running, thread)
}

/// Deletes every key past its time on a master (a full `SCAN` meets each, and a master deletes
/// what it meets expired and propagates the `DEL`).
fn expire_all(master: u16) {
    let mut conn = RawConnection::connect(master);
    for db in 0..3 {
        ok(&mut conn, &["SELECT", &db.to_string()]);
        let mut cursor = "0".to_string();
        loop {
            let reply = text(&mut conn, &["SCAN", &cursor, "COUNT", "1000"]);
            cursor = reply.split("\r\n").nth(2).unwrap_or("0").to_string();
            if cursor == "0" {
                break;
            }
        }
    }
}

/// Lets every short-lived key expire, has the master delete them, and waits for `replicas` to
/// apply the deletions: the datasets can then be compared without racing expiry.
fn settle(master: u16, replicas: &[u16]) {
    std::thread::sleep(Duration::from_millis(100));
    expire_all(master);
    for &replica in replicas {
        wait_caught_up(master, replica);
    }
}

/// The full scenario for one master/replica pair: data before the sync, a load during it, a
/// cut link and more writes, then equality.
fn full_then_partial_sync(master: u16, replica: u16) {
    let mut m = RawConnection::connect(master);
    for round in 0..200 {
        write_load(&mut m, round);
    }
    let (running, load) = load_in_background(master);
    let mut r = RawConnection::connect(replica);
    ok(&mut r, &["REPLICAOF", "127.0.0.1", &master.to_string()]);
    wait_for("the link to come up", || {
        info_field(replica, "replication", "master_link_status") == "up"
    });
    std::thread::sleep(Duration::from_millis(200));
    running.store(false, Ordering::Relaxed);
    let rounds = load.join().expect("load thread");
    assert!(rounds > 0, "the load ran during the synchronisation");
    wait_caught_up(master, replica);
    assert_eq!(info_field(master, "stats", "sync_full"), "1");

    // Cut the link from the replica's side; the master keeps writing; the replica continues.
    let killed = text(&mut r, &["CLIENT", "KILL", "TYPE", "master"]);
    assert_eq!(killed, ":1\r\n");
    for round in 300..400 {
        write_load(&mut m, round);
    }
    wait_caught_up(master, replica);
    assert_eq!(info_field(master, "stats", "sync_partial_ok"), "1");
    assert_eq!(info_field(master, "stats", "sync_full"), "1");

    // Keys that expire on the master are deleted on the replica by the master's DELs.
    for round in FINAL_ROUNDS..FINAL_ROUNDS + 20 {
        write_load(&mut m, round);
    }
    settle(master, &[replica]);
    assert_eq!(describe(replica), describe(master));
    assert_eq!(digest(replica), digest(master));
    assert_eq!(
        info_field(replica, "replication", "master_repl_offset"),
        info_field(master, "replication", "master_repl_offset")
    );
    assert_eq!(
        info_field(replica, "replication", "master_replid"),
        info_field(master, "replication", "master_replid")
    );
}

#[test]
fn redis_replicates_a_zedis_master() {
    let zedis = Zedis::with_debug_command(&[]);
    let redis = RedisServer::redis(&[]);
    full_then_partial_sync(zedis.port, redis.port);
    let mut z = RawConnection::connect(zedis.port);
    let role = text(&mut z, &["ROLE"]);
    assert!(
        role.starts_with("*3\r\n$6\r\nmaster\r\n:") && role.contains(&redis.port.to_string()),
        "{role}"
    );
}

#[test]
fn zedis_replicates_a_redis_master_streaming_its_snapshot() {
    // Redis 7.0's default: a diskless snapshot, sent as `$EOF:<mark>`.
    let redis = RedisServer::redis(&["--repl-diskless-sync-delay", "0"]);
    let zedis = Zedis::with_debug_command(&[]);
    full_then_partial_sync(redis.port, zedis.port);
    let mut z = RawConnection::connect(zedis.port);
    let role = text(&mut z, &["ROLE"]);
    assert!(
        role.starts_with(&format!(
            "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{}\r\n$9\r\nconnected\r\n:",
            redis.port
        )),
        "{role}"
    );
}

#[test]
fn zedis_replicates_a_redis_master_saving_to_disk() {
    let redis = RedisServer::redis(&["--repl-diskless-sync", "no"]);
    let zedis = Zedis::with_debug_command(&[]);
    let mut m = RawConnection::connect(redis.port);
    for round in 0..100 {
        write_load(&mut m, round);
    }
    follow(zedis.port, redis.port);
    settle(redis.port, &[zedis.port]);
    assert_eq!(digest(zedis.port), digest(redis.port));
}

#[test]
fn a_chain_continues_through_a_promotion() {
    let a = Zedis::with_debug_command(&[]);
    let b = Zedis::with_debug_command(&[]);
    let c = RedisServer::redis(&[]);
    let mut conn = RawConnection::connect(a.port);
    for round in 0..100 {
        write_load(&mut conn, round);
    }
    follow(b.port, a.port);
    // C replicates B, which passes A's stream on byte for byte.
    follow(c.port, b.port);
    for round in 100..150 {
        write_load(&mut conn, round);
    }
    settle(a.port, &[b.port]);
    wait_caught_up(b.port, c.port);
    assert_eq!(digest(c.port), digest(a.port));

    // B is promoted, A follows it: both A and C continue from B's backlog under its new ID.
    let mut b_conn = RawConnection::connect(b.port);
    ok(&mut b_conn, &["REPLICAOF", "NO", "ONE"]);
    let old_id = info_field(a.port, "replication", "master_replid");
    assert_eq!(info_field(b.port, "replication", "master_replid2"), old_id);
    follow(a.port, b.port);
    for round in 150..200 {
        write_load(&mut b_conn, round);
    }
    settle(b.port, &[a.port, c.port]);
    assert_eq!(info_field(b.port, "stats", "sync_full"), "1");
    wait_for("both replicas to continue", || {
        info_field(b.port, "stats", "sync_partial_ok") == "2"
    });
    assert_eq!(digest(a.port), digest(b.port));
    assert_eq!(digest(c.port), digest(b.port));
}

#[test]
fn wait_counts_the_replicas_that_acknowledged() {
    let master = Zedis::with_debug_command(&[]);
    let zedis_replica = Zedis::with_debug_command(&[]);
    let redis_replica = RedisServer::redis(&[]);
    follow(zedis_replica.port, master.port);
    follow(redis_replica.port, master.port);
    let mut conn = RawConnection::connect(master.port);
    ok(&mut conn, &["SET", "k", "v"]);
    assert_eq!(call(&mut conn, &["WAIT", "2", "5000"]), b":2\r\n");
    // Three cannot be reached: the timeout answers with what was.
    let started = Instant::now();
    assert_eq!(call(&mut conn, &["WAIT", "3", "200"]), b":2\r\n");
    assert!(started.elapsed() >= Duration::from_millis(200));
    let mut replica = RawConnection::connect(zedis_replica.port);
    let refused = text(&mut replica, &["WAIT", "1", "0"]);
    assert!(
        refused.starts_with("-ERR WAIT cannot be used with replica instances."),
        "{refused}"
    );
    assert_eq!(text(&mut replica, &["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn a_replica_refuses_writes_and_a_down_link_as_configured() {
    let zedis = Zedis::with_debug_command(&[]);
    let mut conn = RawConnection::connect(zedis.port);
    // Nothing listens on this port: the link stays down and the server keeps serving.
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    ok(&mut conn, &["REPLICAOF", "127.0.0.1", &dead.to_string()]);
    assert_eq!(
        text(&mut conn, &["SET", "k", "v"]),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    assert_eq!(text(&mut conn, &["GET", "k"]), "$-1\r\n");
    assert_eq!(
        info_field(zedis.port, "replication", "master_link_status"),
        "down"
    );
    ok(
        &mut conn,
        &["CONFIG", "SET", "replica-serve-stale-data", "no"],
    );
    assert_eq!(
        text(&mut conn, &["GET", "k"]),
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
    );
    // As in Redis, only commands flagged `stale` are served (PING is not one of them).
    assert!(text(&mut conn, &["INFO", "replication"]).contains("role:slave"));
    assert!(text(&mut conn, &["PING"]).starts_with("-MASTERDOWN"));
    ok(&mut conn, &["CONFIG", "SET", "replica-read-only", "no"]);
    ok(
        &mut conn,
        &["CONFIG", "SET", "replica-serve-stale-data", "yes"],
    );
    ok(&mut conn, &["SET", "k", "v"]);
    // A replica cannot serve replicas of its own while its link is down.
    assert_eq!(
        text(&mut conn, &["PSYNC", "?", "-1"]),
        "-NOMASTERLINK Can't SYNC while not connected with my master\r\n"
    );
    ok(&mut conn, &["REPLICAOF", "NO", "ONE"]);
    assert_eq!(info_field(zedis.port, "replication", "role"), "master");
    ok(&mut conn, &["SET", "k", "w"]);
}

#[test]
fn a_master_that_speaks_garbage_is_retried_while_the_replica_serves() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let zedis = Zedis::with_debug_command(&[]);
    let mut conn = RawConnection::connect(zedis.port);
    ok(&mut conn, &["SET", "kept", "1"]);
    ok(&mut conn, &["REPLICAOF", "127.0.0.1", &port.to_string()]);
    // Two attempts: a refused PING, then a handshake that ends in a snapshot cut short.
    for answer in [&b"-ERR who are you\r\n"[..], b"+PONG\r\n"] {
        let (mut socket, _) = listener.accept().expect("the replica connects");
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut request = [0u8; 256];
        let _ = socket.read(&mut request);
        socket.write_all(answer).expect("answer");
        if answer.starts_with(b"+") {
            // Then garbage for every handshake reply and the PSYNC.
            for _ in 0..2 {
                let _ = socket.read(&mut request);
                socket.write_all(b"+OK\r\n").expect("ok");
            }
            let _ = socket.read(&mut request);
            socket
                .write_all(
                    b"+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n$100\r\nREDIS",
                )
                .expect("a cut snapshot");
        }
        drop(socket);
    }
    // The replica keeps serving what it had and keeps trying.
    assert_eq!(text(&mut conn, &["GET", "kept"]), "$1\r\n1\r\n");
    let (_socket, _) = listener.accept().expect("the replica tries again");
    assert_eq!(
        info_field(zedis.port, "replication", "master_link_status"),
        "down"
    );
    assert_eq!(text(&mut conn, &["GET", "kept"]), "$1\r\n1\r\n");
}

#[test]
fn replicaof_itself_leaves_the_link_down_and_the_server_serving() {
    let zedis = Zedis::with_debug_command(&[]);
    let mut conn = RawConnection::connect(zedis.port);
    ok(&mut conn, &["SET", "kept", "1"]);
    ok(
        &mut conn,
        &["REPLICAOF", "127.0.0.1", &zedis.port.to_string()],
    );
    // It asks itself for a sync, which a replica without a link refuses; it keeps trying.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(text(&mut conn, &["GET", "kept"]), "$1\r\n1\r\n");
    assert_eq!(
        info_field(zedis.port, "replication", "master_link_status"),
        "down"
    );
    assert_eq!(info_field(zedis.port, "stats", "sync_full"), "0");
    ok(&mut conn, &["REPLICAOF", "NO", "ONE"]);
    ok(&mut conn, &["SET", "kept", "2"]);
}

/// A hand-made replica: asks for a full sync and returns the connection after the
/// `+FULLRESYNC` line.
fn fake_replica(master: u16) -> RawConnection {
    let mut replica = RawConnection::connect(master);
    ok(&mut replica, &["REPLCONF", "listening-port", "1"]);
    replica.send(&[b"PSYNC", b"?", b"-1"]);
    let line = replica.read_reply().expect("+FULLRESYNC");
    assert!(line.starts_with(b"+FULLRESYNC "), "{line:?}");
    replica
}

#[test]
fn a_replica_that_leaves_mid_transfer_is_forgotten() {
    let zedis = Zedis::with_debug_command(&[]);
    let mut conn = RawConnection::connect(zedis.port);
    // About 20 MB of snapshot, so the transfer is still going when the replica leaves.
    ok(&mut conn, &["DEBUG", "POPULATE", "20000", "key", "1000"]);
    let replica = fake_replica(zedis.port);
    drop(replica);
    wait_for("the replica to be forgotten", || {
        info_field(zedis.port, "replication", "connected_slaves") == "0"
    });
    assert_eq!(text(&mut conn, &["DBSIZE"]), ":20000\r\n");
    // A real replica then synchronises as usual.
    let redis = RedisServer::redis(&[]);
    follow(redis.port, zedis.port);
    assert_eq!(digest(redis.port), digest(zedis.port));
}

#[test]
fn a_replica_that_stops_reading_is_dropped_at_its_limit_without_evicting_anything() {
    let zedis = Zedis::with_debug_command(&[]);
    let mut conn = RawConnection::connect(zedis.port);
    ok(&mut conn, &["DEBUG", "POPULATE", "10000", "key", "100"]);
    let used: u64 = info_field(zedis.port, "memory", "used_memory")
        .parse()
        .expect("used_memory");
    // Room above the dataset for the snapshot's buffers, and a replica limit far above that
    // room: the stalled replica's stream must not count against maxmemory.
    ok(
        &mut conn,
        &[
            "CONFIG",
            "SET",
            "maxmemory",
            &(used + 16 * 1024 * 1024).to_string(),
        ],
    );
    ok(
        &mut conn,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
    );
    ok(
        &mut conn,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "replica 64mb 0 0",
        ],
    );
    let replica = fake_replica(zedis.port);
    // 80 MB of writes to one overwritten key: the dataset stays the same size, the stream to
    // the replica that reads nothing grows until its limit.
    let value = "v".repeat(64 * 1024);
    for _ in 0..1280 {
        ok(&mut conn, &["SET", "big", &value]);
    }
    wait_for("the replica to be dropped", || {
        info_field(zedis.port, "replication", "connected_slaves") == "0"
    });
    assert_eq!(info_field(zedis.port, "stats", "evicted_keys"), "0");
    assert_eq!(text(&mut conn, &["DBSIZE"]), ":10001\r\n");
    drop(replica);
    // It comes back and synchronises in full.
    let redis = RedisServer::redis(&[]);
    follow(redis.port, zedis.port);
    assert_eq!(digest(redis.port), digest(zedis.port));
}

/// Waits until `port` reports `role` in `INFO replication`.
fn wait_role(port: u16, role: &str) {
    wait_for(&format!("{port} to become {role}"), || {
        info_field(port, "replication", "role") == role
    });
}

#[test]
fn failover_hands_the_master_role_over_both_ways() {
    let zedis = Zedis::with_debug_command(&[]);
    let redis = RedisServer::redis(&[]);
    let mut z = RawConnection::connect(zedis.port);
    for round in FINAL_ROUNDS..FINAL_ROUNDS + 50 {
        write_load(&mut z, round);
    }
    follow(redis.port, zedis.port);

    // zedis hands over to the Redis replica and becomes its replica.
    ok(
        &mut z,
        &[
            "FAILOVER",
            "TO",
            "127.0.0.1",
            &redis.port.to_string(),
            "TIMEOUT",
            "10000",
        ],
    );
    wait_role(redis.port, "master");
    wait_caught_up(redis.port, zedis.port);
    assert_eq!(
        info_field(zedis.port, "replication", "master_port"),
        redis.port.to_string()
    );
    assert_eq!(
        info_field(zedis.port, "replication", "master_failover_state"),
        "no-failover"
    );
    // Neither side loaded a snapshot: the old master continued under the new master's ID.
    assert_eq!(info_field(redis.port, "stats", "sync_partial_ok"), "1");
    let mut r = RawConnection::connect(redis.port);
    for round in FINAL_ROUNDS + 50..FINAL_ROUNDS + 80 {
        write_load(&mut r, round);
    }
    wait_caught_up(redis.port, zedis.port);
    assert_eq!(digest(zedis.port), digest(redis.port));

    // And back: Redis hands over to zedis.
    ok(&mut r, &["FAILOVER"]);
    wait_role(zedis.port, "master");
    wait_caught_up(zedis.port, redis.port);
    for round in FINAL_ROUNDS + 80..FINAL_ROUNDS + 100 {
        write_load(&mut z, round);
    }
    wait_caught_up(zedis.port, redis.port);
    assert_eq!(digest(zedis.port), digest(redis.port));
    assert_eq!(info_field(zedis.port, "stats", "sync_full"), "1");
}

#[test]
fn a_failover_no_replica_catches_up_with_gives_up_at_its_timeout() {
    let zedis = Zedis::with_debug_command(&[]);
    let mut z = RawConnection::connect(zedis.port);
    assert_eq!(
        text(&mut z, &["FAILOVER", "TIMEOUT", "100"]),
        "-ERR FAILOVER requires connected replicas.\r\n"
    );
    // A replica that never acknowledges anything, and a write it never acknowledges.
    let _replica = fake_replica(zedis.port);
    ok(&mut z, &["SET", "k", "1"]);
    ok(&mut z, &["FAILOVER", "TIMEOUT", "300"]);
    assert_eq!(
        info_field(zedis.port, "replication", "master_failover_state"),
        "waiting-for-sync"
    );
    assert_eq!(
        text(&mut z, &["REPLICAOF", "NO", "ONE"]),
        "-ERR REPLICAOF not allowed while failing over.\r\n"
    );
    // Writes wait meanwhile, and go through once the failover gave up.
    let started = Instant::now();
    ok(&mut z, &["SET", "k", "2"]);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(
        info_field(zedis.port, "replication", "master_failover_state"),
        "no-failover"
    );
    assert_eq!(info_field(zedis.port, "replication", "role"), "master");
    assert_eq!(text(&mut z, &["GET", "k"]), "$1\r\n2\r\n");
    assert_eq!(
        text(&mut z, &["FAILOVER", "ABORT"]),
        "-ERR No failover in progress.\r\n"
    );
}
