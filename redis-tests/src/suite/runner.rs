//! Running one unit of Redis's TCL suite in external-server mode against a fresh server: the
//! suite is obtained once (`scripts/fetch-redis-suite.sh`), each unit gets its own server
//! process on a free port, the helper gets a free port of its own and a time limit, and the
//! server must still answer `PING` afterwards.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use super::output::{self, UnitOutput};
use crate::servers::free_port;

/// The unpacked source tree the suite runs from.
pub const SOURCE_DIR: &str = "redis-7.0.15";

/// The server a unit runs against.
#[derive(Debug, Clone)]
pub enum Target {
    /// A `zedis-server` binary.
    Zedis(PathBuf),
    /// Debian's `redis-server` 7.0.15, the reference.
    Redis,
}

impl Target {
    pub fn name(&self) -> &'static str {
        match self {
            Target::Zedis(_) => "zedis",
            Target::Redis => "redis",
        }
    }

    fn command(&self, port: u16, dir: &Path) -> Command {
        let port = port.to_string();
        match self {
            // As a user runs it, with only what the suite's external mode needs.
            Target::Zedis(binary) => {
                let mut command = Command::new(binary);
                command.args(["--port", &port, "--enable-debug-command", "yes"]);
                command.current_dir(dir);
                command
            }
            Target::Redis => {
                let mut command = Command::new("redis-server");
                command.args(["--port", &port, "--bind", "127.0.0.1"]);
                command.args(["--save", "", "--appendonly", "no"]);
                command.arg("--dir").arg(dir);
                command.args(["--enable-debug-command", "yes"]);
                command
            }
        }
    }
}

/// Makes sure the suite is unpacked under `cache`, fetching it from Debian's source package
/// when it is not. Returns the source tree.
pub fn obtain_suite(cache: &Path, fetch_script: &Path) -> Result<PathBuf, String> {
    let tree = cache.join(SOURCE_DIR);
    if !tree.join("tests/test_helper.tcl").exists() {
        let status = Command::new("bash")
            .arg(fetch_script)
            .arg(cache)
            .status()
            .map_err(|e| format!("{}: {e}", fetch_script.display()))?;
        if !status.success() {
            return Err(format!("{} failed ({status})", fetch_script.display()));
        }
    }
    unpatch_function_flush(&tree)?;
    Ok(tree)
}

/// The suite runs as Debian ships it. Runners from before zedis served functions wrapped the
/// helper's `r function flush` in `catch` in their copy; a copy they patched is put back.
fn unpatch_function_flush(tree: &Path) -> Result<(), String> {
    let path = tree.join("tests/support/server.tcl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    const ORIGINAL: &str = "\n    r function flush\n";
    const PATCHED: &str = "\n    catch {r function flush}\n";
    if !text.contains(PATCHED) {
        return Ok(());
    }
    std::fs::write(&path, text.replacen(PATCHED, ORIGINAL, 1))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Every unit of `tests/unit` and `tests/unit/type` in the tree, as `--single` names them.
pub fn units_in(tree: &Path) -> Vec<String> {
    let mut units = Vec::new();
    for dir in ["unit", "unit/type"] {
        if let Ok(entries) = std::fs::read_dir(tree.join("tests").join(dir)) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(stem) = name.strip_suffix(".tcl") {
                    units.push(format!("{dir}/{stem}"));
                }
            }
        }
    }
    units.sort();
    units
}

/// Time limits of a unit's run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The whole unit: the helper is killed past it.
    pub unit: Duration,
    /// One test making no progress: the helper gives up on the unit (its `--timeout`).
    pub stalled_test: Duration,
}

/// A unit's run.
#[derive(Debug)]
pub struct UnitRun {
    pub output: UnitOutput,
    /// The server answered `PING` after the unit.
    pub answered_ping: bool,
    /// The runner's own time limit stopped the helper.
    pub killed_at_limit: bool,
    pub elapsed: Duration,
    /// Where the helper's output was written.
    pub log: PathBuf,
}

/// A server process for one unit; killed and its directory removed on drop.
struct ServerProcess {
    child: Child,
    dir: PathBuf,
}

impl ServerProcess {
    fn start(
        target: &Target,
        port: u16,
        dir: PathBuf,
        log: &Path,
    ) -> Result<ServerProcess, String> {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let log = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let stderr = log.try_clone().map_err(|e| e.to_string())?;
        let child = target
            .command(port, &dir)
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("{}: {e}", target.name()))?;
        let server = ServerProcess { child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !answers_ping(port) {
            if Instant::now() > deadline {
                return Err(format!("{} did not start on port {port}", target.name()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// SIGTERM, then SIGKILL if it has not exited within a few seconds.
    fn stop(&mut self) {
        let pid = Pid::from_raw(self.child.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether something on `port` answers `PING` with `+PONG` within two seconds.
pub fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// Runs `unit` against a fresh server of `target`, writing the helper's output and the
/// server's log under `logs`; the tests named in `skip` are not run.
pub fn run_unit(
    tree: &Path,
    target: &Target,
    unit: &str,
    logs: &Path,
    limits: Limits,
    skip: &[&str],
) -> Result<UnitRun, String> {
    std::fs::create_dir_all(logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let stem = unit.replace('/', "_");
    let log = logs.join(format!("{stem}.log"));
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("zedis-suite-{}-{port}", std::process::id()));
    let mut server =
        ServerProcess::start(target, port, dir, &logs.join(format!("{stem}.server.log")))?;

    // The helper listens on the first free port of `baseport - 32 .. baseport`.
    let helper_port = free_port();
    let started = Instant::now();
    let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut helper = Command::new("tclsh")
        .arg("tests/test_helper.tcl")
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--single", unit, "--clients", "1", "--durable"])
        .args(["--baseport", &(u32::from(helper_port) + 32).to_string()])
        // The helper's own limit on a test making no progress.
        .args(["--timeout", &limits.stalled_test.as_secs().to_string()])
        .args(skip.iter().flat_map(|name| ["--skiptest", name]))
        .current_dir(tree)
        .env("TERM", "dumb")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        // Its own process group: the helper starts a test client, and both go on a timeout.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("tclsh: {e}"))?;
    let mut killed_at_limit = false;
    loop {
        match helper.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > limits.unit => {
                let _ = killpg(Pid::from_raw(helper.id() as i32), Signal::SIGKILL);
                let _ = helper.wait();
                killed_at_limit = true;
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("tclsh: {e}")),
        }
    }
    // The test client the helper started may outlive it.
    let _ = killpg(Pid::from_raw(helper.id() as i32), Signal::SIGKILL);
    let elapsed = started.elapsed();
    let answered_ping = answers_ping(port);
    server.stop();
    let text = std::fs::read(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    Ok(UnitRun {
        output: output::parse(&String::from_utf8_lossy(&text)),
        answered_ping,
        killed_at_limit,
        elapsed,
        log,
    })
}
