//! Failover under Debian's Redis Sentinel 7.0.15: three sentinels watch a zedis master with two
//! zedis replicas; a writer records every write that `WAIT 1` confirmed reached a replica; the
//! master is killed with SIGKILL mid-load. The sentinels must promote a replica, point the other
//! one at it, and every confirmed write must be on the new master (and, once it caught up, on
//! the other replica).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Conn;
use zedis_testkit::ServerProcess;

/// A zedis process with a config file of its own, so Sentinel's `CONFIG REWRITE` works.
fn zedis(name: &str) -> ServerProcess {
    let dir = common::scratch_dir(&format!("sentinel-{name}"));
    let config = dir.join("zedis.conf");
    std::fs::write(&config, "save \"\"\nloglevel notice\n").expect("config file");
    ServerProcess::start_with_config(
        env!("CARGO_BIN_EXE_zedis-server"),
        &config,
        &["--bind", "127.0.0.1"],
    )
}

/// A sentinel watching the master on `master_port`: quorum 2, down after one second.
fn sentinel(name: &str, master_port: u16) -> ServerProcess {
    assert!(
        zedis_testkit::have_tool("redis-sentinel"),
        "redis-sentinel is not installed: run ./scripts/test-all.sh (it installs Debian's \
         redis-sentinel), or apt-get install redis-sentinel"
    );
    let dir = common::scratch_dir(&format!("sentinel-{name}"));
    let config = dir.join("sentinel.conf");
    std::fs::write(
        &config,
        format!(
            "bind 127.0.0.1\n\
             sentinel monitor zm 127.0.0.1 {master_port} 2\n\
             sentinel down-after-milliseconds zm 1000\n\
             sentinel failover-timeout zm 10000\n\
             sentinel parallel-syncs zm 1\n"
        ),
    )
    .expect("sentinel config");
    ServerProcess::start_with_config("redis-sentinel", &config, &[])
}

fn info_field(port: u16, section: &str, field: &str) -> String {
    let info = Conn::new(port).call(&["INFO", section]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn wait_for(what: &str, seconds: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The master's port as a sentinel reports it.
fn master_port(sentinel: u16) -> Option<u16> {
    let reply = Conn::new(sentinel).call(&["SENTINEL", "get-master-addr-by-name", "zm"]);
    reply.lines().last()?.trim().parse().ok()
}

#[test]
fn sentinels_promote_a_replica_holding_every_confirmed_write() {
    let master = zedis("master");
    let replicas = [zedis("replica1"), zedis("replica2")];
    for replica in &replicas {
        let reply =
            Conn::new(replica.port).call(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
        assert_eq!(reply, "+OK\r\n");
    }
    wait_for("both replicas online", 20, || {
        let info = Conn::new(master.port).call(&["INFO", "replication"]);
        info.matches("state=online").count() == 2
    });
    let sentinels: Vec<ServerProcess> = (0..3)
        .map(|i| sentinel(&format!("s{i}"), master.port))
        .collect();
    wait_for(
        "the sentinels to know the replicas and each other",
        30,
        || {
            sentinels.iter().all(|s| {
                let reply = Conn::new(s.port).call(&["SENTINEL", "master", "zm"]);
                let lines: Vec<&str> = reply.lines().collect();
                let field = |name: &str| {
                    lines
                        .iter()
                        .position(|l| *l == name)
                        .and_then(|i| lines.get(i + 2))
                        .map(|v| v.to_string())
                };
                field("num-slaves").as_deref() == Some("2")
                    && field("num-other-sentinels").as_deref() == Some("2")
            })
        },
    );

    // Writes confirmed on a replica by WAIT 1, until the master dies.
    let confirmed = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (confirmed, stop, port) = (Arc::clone(&confirmed), Arc::clone(&stop), master.port);
        std::thread::spawn(move || {
            let mut conn = Conn::new(port);
            let _ = conn.stream.set_read_timeout(Some(Duration::from_secs(3)));
            for i in 0..1_000_000u64 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let key = format!("k{i}");
                conn.send(&[b"SET", key.as_bytes(), i.to_string().as_bytes()]);
                conn.send(&[b"WAIT", b"1", b"1000"]);
                let (Some(set), Some(wait)) = (conn.read_reply(), conn.read_reply()) else {
                    break;
                };
                if set == "+OK\r\n" && wait != ":0\r\n" && wait.starts_with(':') {
                    confirmed.lock().expect("lock").push(key);
                }
            }
        })
    };
    wait_for("writes confirmed by a replica", 20, || {
        confirmed.lock().expect("lock").len() >= 50
    });
    let old_port = master.port;
    drop(master);
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    let confirmed = confirmed.lock().expect("lock").clone();
    assert!(
        confirmed.len() > 10,
        "writes were confirmed before the kill"
    );

    // The sentinels agree on a promoted replica.
    let mut promoted = 0;
    wait_for("a failover", 60, || {
        let ports: Vec<Option<u16>> = sentinels.iter().map(|s| master_port(s.port)).collect();
        match ports[0] {
            Some(port) if port != old_port && ports.iter().all(|p| *p == Some(port)) => {
                promoted = port;
                info_field(port, "replication", "role") == "master"
            }
            _ => false,
        }
    });
    let other = replicas
        .iter()
        .find(|r| r.port != promoted)
        .expect("the other replica")
        .port;
    wait_for("the other replica to follow the new master", 60, || {
        info_field(other, "replication", "master_port") == promoted.to_string()
            && info_field(other, "replication", "master_link_status") == "up"
            && info_field(other, "replication", "slave_repl_offset")
                == info_field(promoted, "replication", "master_repl_offset")
    });
    let mut new_master = Conn::new(promoted);
    let mut follower = Conn::new(other);
    for key in &confirmed {
        let value = key.trim_start_matches('k');
        let expected = format!("${}\r\n{value}\r\n", value.len());
        assert_eq!(
            new_master.call(&["GET", key]),
            expected,
            "{key} on the new master"
        );
        assert_eq!(
            follower.call(&["GET", key]),
            expected,
            "{key} on the other replica"
        );
    }
    // The new master takes writes and its replica follows.
    assert_eq!(new_master.call(&["SET", "after", "failover"]), "+OK\r\n");
    assert_eq!(new_master.call(&["WAIT", "1", "5000"]), ":1\r\n");
    assert_eq!(follower.call(&["GET", "after"]), "$8\r\nfailover\r\n");
}
