//! Sharding behind twemproxy (Debian's `nutcracker` 0.5): three zedis servers behind one
//! proxy. `redis-benchmark` runs through the proxy, keys written through it spread over the
//! three servers and read back through it, and multi-key commands the proxy splits
//! (`MGET`, `DEL`) answer as from one server.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Conn, Server};

/// A nutcracker process, killed on drop.
struct Proxy {
    child: Child,
    port: u16,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proxy(backends: &[u16]) -> Proxy {
    assert!(
        zedis_testkit::have_tool("nutcracker"),
        "nutcracker is not installed: run ./scripts/test-all.sh (it installs Debian's \
         nutcracker), or apt-get install nutcracker"
    );
    let dir = common::scratch_dir("twemproxy");
    let port = zedis_testkit::free_port();
    let servers: String = backends
        .iter()
        .map(|p| format!("   - 127.0.0.1:{p}:1\n"))
        .collect();
    let config = dir.join("nutcracker.yml");
    std::fs::write(
        &config,
        format!(
            "zedis:\n  listen: 127.0.0.1:{port}\n  hash: fnv1a_64\n  distribution: ketama\n  \
             redis: true\n  auto_eject_hosts: false\n  timeout: 2000\n  servers:\n{servers}"
        ),
    )
    .expect("proxy config");
    let child = Command::new("nutcracker")
        .arg("-c")
        .arg(&config)
        .arg("-o")
        .arg(dir.join("nutcracker.log"))
        .arg("-s")
        .arg(zedis_testkit::free_port().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nutcracker starts");
    zedis_testkit::wait_for_port(port, Duration::from_secs(10));
    Proxy { child, port }
}

fn dbsize(port: u16) -> u64 {
    Conn::new(port)
        .call(&["DBSIZE"])
        .trim_start_matches(':')
        .trim()
        .parse()
        .expect("DBSIZE")
}

#[test]
fn keys_spread_over_three_servers_behind_twemproxy() {
    let servers = [Server::start(&[]), Server::start(&[]), Server::start(&[])];
    let ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    let proxy = proxy(&ports);

    // redis-benchmark through the proxy: every request answered.
    let started = Instant::now();
    let output = Command::new("redis-benchmark")
        .args(["-p", &proxy.port.to_string()])
        .args([
            "-t", "set,get", "-n", "20000", "-r", "100000", "-c", "20", "-q",
        ])
        .output()
        .expect("redis-benchmark runs");
    assert!(output.status.success(), "redis-benchmark failed");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains("SET: ") && report.contains("GET: "),
        "{report}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    let benchmark_keys: u64 = ports.iter().map(|&p| dbsize(p)).sum();
    assert!(
        benchmark_keys > 1000,
        "the benchmark's SETs reached the servers"
    );
    for &port in &ports {
        assert!(dbsize(port) > 0, "every server received keys");
    }

    // Keys written through the proxy land on one server each, about a third on each.
    for &port in &ports {
        assert_eq!(Conn::new(port).call(&["FLUSHALL"]), "+OK\r\n");
    }
    let mut conn = Conn::new(proxy.port);
    let keys = 3000;
    for i in 0..keys {
        let reply = conn.call(&["SET", &format!("user:{i}"), &i.to_string()]);
        assert_eq!(reply, "+OK\r\n");
    }
    let sizes: Vec<u64> = ports.iter().map(|&p| dbsize(p)).collect();
    assert_eq!(sizes.iter().sum::<u64>(), keys as u64, "{sizes:?}");
    for size in &sizes {
        assert!(
            *size > keys as u64 / 6,
            "keys spread over the servers: {sizes:?}"
        );
    }
    for i in (0..keys).step_by(7) {
        let value = i.to_string();
        assert_eq!(
            conn.call(&["GET", &format!("user:{i}")]),
            format!("${}\r\n{value}\r\n", value.len())
        );
    }
    // The proxy splits these over the servers and joins the replies.
    assert_eq!(
        conn.call(&["MGET", "user:1", "user:2", "user:3", "nosuch"]),
        "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n"
    );
    assert_eq!(
        conn.call(&["DEL", "user:1", "user:2", "user:3", "nosuch"]),
        ":3\r\n"
    );
    let left: u64 = ports.iter().map(|&p| dbsize(p)).sum();
    assert_eq!(left, keys as u64 - 3);
}
