//! The one implementation the test crates use to start servers: a free loopback port, a server
//! binary (zedis or Debian's redis-server) as a child process in its own temporary directory,
//! and, with the `in-process` feature, zedis on a thread of the test process. Each is stopped
//! and cleaned up when dropped, so a failing test leaves no process or file behind.
//!
//! `zedis-tests` and `redis-tests` use all of it; the server crate's own tests use the process
//! half with the binary cargo built for them.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting server may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A free loopback port (bound then released; the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until something accepts connections on `port` of loopback.
pub fn wait_for_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(10));
    }
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

/// A server binary running as a child process on a free loopback port, in a temporary
/// directory of its own; killed and its directory removed on drop.
pub struct ServerProcess {
    pub port: u16,
    pub child: Child,
    dir: PathBuf,
}

impl ServerProcess {
    /// Starts `program --port <free port> args…` in a new temporary directory and returns once
    /// it listens. Its output is discarded.
    pub fn start(program: &str, args: &[&str]) -> ServerProcess {
        ServerProcess::spawn(program, None, args)
    }

    /// [`ServerProcess::start`] with a config file: `program <config> --port <free port>
    /// args…`, as redis-server and zedis take their file as the first argument.
    pub fn start_with_config(
        program: &str,
        config: &std::path::Path,
        args: &[&str],
    ) -> ServerProcess {
        ServerProcess::spawn(program, Some(config), args)
    }

    fn spawn(program: &str, config: Option<&std::path::Path>, args: &[&str]) -> ServerProcess {
        let port = free_port();
        let name = std::path::Path::new(program)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("server");
        let dir = std::env::temp_dir().join(format!("{name}-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        // The child runs in its own directory, so a relative path to the binary is resolved
        // here; a bare name is still looked up in PATH.
        let program_path = if program.contains('/') {
            std::path::absolute(program).unwrap_or_else(|e| panic!("{program}: {e}"))
        } else {
            PathBuf::from(program)
        };
        let child = Command::new(&program_path)
            .args(config)
            .args(["--port", &port.to_string()])
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} starts: {e}"));
        let mut server = ServerProcess { port, child, dir };
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{program} exited before listening: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "{program} did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    /// Debian's redis-server 7.0, the reference: loopback only, no persistence, its own
    /// directory, the debug command enabled, and `extra` arguments.
    pub fn redis(extra: &[&str]) -> ServerProcess {
        require_redis_tools();
        let mut args = vec![
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--enable-debug-command",
            "yes",
        ];
        args.extend_from_slice(extra);
        ServerProcess::start("redis-server", &args)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The directory the server runs in.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// zedis on a thread of the test process, on a port the OS chose, with a `dir` of its own (so
/// no test loads or writes another's `dump.rdb`); stopped and its directory removed when
/// dropped.
#[cfg(feature = "in-process")]
pub struct InProcess {
    pub port: u16,
    handle: Option<zedis::ServerHandle>,
    dir: PathBuf,
    /// Whether `dir` is the server's own, removed on drop (not a config file's directory).
    owns_dir: bool,
}

#[cfg(feature = "in-process")]
impl InProcess {
    /// Starts zedis with `extra` flags (`["--maxmemory", "20mb"]`), parsed as the binary
    /// parses its command line. No save points unless `extra` sets them, as the reference
    /// Redis runs.
    pub fn start(extra: &[&str]) -> InProcess {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let mut args = vec!["zedis-server", "--port", "0", "--save", ""];
        args.extend_from_slice(extra);
        let mut config = zedis::config::file::from_args(args).expect("valid flags");
        let dir = std::env::temp_dir().join(format!(
            "zedis-in-process-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        // Set directly: `--dir` would change the whole test process's working directory.
        config.dir = dir.display().to_string();
        let handle = zedis::spawn(config).expect("zedis starts");
        InProcess {
            port: handle.addr.port(),
            handle: Some(handle),
            dir,
            owns_dir: true,
        }
    }

    /// Starts zedis on a free port with the config file at `config` (an absolute path) and
    /// `extra` flags after it, as `zedis-server <config> --port 0 extra…` would. Its `dir` is
    /// the directory holding the file, which the caller owns: it stays when the server
    /// stops, so a test can start a server again on a file that server rewrote. A `dir` line
    /// in the file changes this process's working directory, as it does the binary's.
    pub fn start_with_config(config: &std::path::Path, extra: &[&str]) -> InProcess {
        let path = config.to_str().expect("a UTF-8 path");
        let mut args = vec!["zedis-server", path, "--port", "0"];
        args.extend_from_slice(extra);
        let mut config_values =
            zedis::config::file::from_args(args).expect("valid config file and flags");
        let dir = config
            .parent()
            .expect("a file in a directory")
            .to_path_buf();
        config_values.dir = dir.display().to_string();
        let handle = zedis::spawn(config_values).expect("zedis starts");
        InProcess {
            port: handle.addr.port(),
            handle: Some(handle),
            dir,
            owns_dir: false,
        }
    }

    /// The server's `dir`, where its RDB file goes.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// [`InProcess::start`] with the debug command enabled, as [`ServerProcess::redis`] runs
    /// the reference, for tests that compare the two.
    pub fn with_debug_command(extra: &[&str]) -> InProcess {
        let mut args = vec!["--enable-debug-command", "yes"];
        args.extend_from_slice(extra);
        InProcess::start(&args)
    }
}

#[cfg(feature = "in-process")]
impl Drop for InProcess {
    fn drop(&mut self) {
        // Stop the server before removing its directory.
        drop(self.handle.take());
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
