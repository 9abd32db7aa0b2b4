//! Starting the servers under test: a reference `redis-server` process and zedis (on its own
//! thread in this process), each on a free loopback port.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (bound then released; the servers bind it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Whether a tool from Debian's redis-server/redis-tools is installed.
pub fn have_tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Panics with how to install the Redis tools when they are missing.
pub fn require_redis_tools() {
    for tool in ["redis-server", "redis-cli", "redis-benchmark"] {
        assert!(
            have_tool(tool),
            "{tool} is not installed: run ./scripts/test-all.sh (it installs Debian's \
             redis-server and redis-tools), or apt-get install redis-server redis-tools"
        );
    }
}

/// Waits until something accepts connections on `port`.
fn wait_for_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A reference redis-server 7.0 process; stopped and its directory removed on drop.
pub struct RedisServer {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts `redis-server` with no persistence, its own temporary directory, the debug
    /// command enabled, and `extra` arguments.
    pub fn start(extra: &[&str]) -> RedisServer {
        require_redis_tools();
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("zedis-ref-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--dir", dir.to_str().expect("utf-8 temp dir")])
            .args(["--enable-debug-command", "yes"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        wait_for_port(port, Duration::from_secs(10));
        RedisServer { port, child, dir }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// zedis on a thread of this process, on a free port; stopped on drop.
pub struct Zedis {
    pub port: u16,
    handle: zedis::ServerHandle,
}

impl Zedis {
    /// Starts zedis with the debug command enabled and `extra` flags
    /// (`["--maxmemory", "20mb"]`).
    pub fn start(extra: &[&str]) -> Zedis {
        let mut args = vec![
            "zedis-server",
            "--port",
            "0",
            "--enable-debug-command",
            "yes",
        ];
        args.extend_from_slice(extra);
        let config = zedis::config::file::from_args(args).expect("valid flags");
        let handle = zedis::spawn(config).expect("zedis starts");
        Zedis {
            port: handle.addr.port(),
            handle,
        }
    }
}

impl Drop for Zedis {
    fn drop(&mut self) {
        self.handle.stop();
    }
}
