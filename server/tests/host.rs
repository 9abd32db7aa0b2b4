//! zedis on a host in place of redis-server: the config files Redis users have start it
//! unchanged (Debian's stock `/etc/redis/redis.conf`, and Redis 7.0.15's own `redis.conf`), each
//! of their commented-out directives is read as Redis reads it, `daemonize` writes and removes
//! the pid file, the log is Redis's, a `Type=notify` service manager hears readiness and
//! shutdown, and the signals redis-server ignores do not stop it.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Conn;
use zedis_testkit::{ServerProcess, free_port, require_redis_tools};

const ZEDIS: &str = env!("CARGO_BIN_EXE_zedis-server");
const DEBIAN_CONF: &str = "/etc/redis/redis.conf";

/// The lines Debian's packaging changes in Redis's `redis.conf` (its patch
/// `debian-packaging/0001-Set-Debian-configuration-defaults.patch`): Debian's, then Redis's.
const DEBIAN_DEFAULTS: [(&str, &str); 4] = [
    ("daemonize yes", "daemonize no"),
    (
        "pidfile /run/redis/redis-server.pid",
        "pidfile /var/run/redis_6379.pid",
    ),
    ("logfile /var/log/redis/redis-server.log", "logfile \"\""),
    ("dir /var/lib/redis", "dir ./"),
];

fn scratch_dir(name: &str) -> PathBuf {
    common::scratch_dir(&format!("host-{name}"))
}

/// A service manager's notification socket in `dir`: its path (for `NOTIFY_SOCKET`) and the
/// socket, which waits up to 10 s for each message.
fn notify_listener(dir: &Path) -> (PathBuf, UnixDatagram) {
    let path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&path).expect("notify socket");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    (path, socket)
}

fn debian_conf() -> String {
    require_redis_tools();
    std::fs::read_to_string(DEBIAN_CONF)
        .unwrap_or_else(|e| panic!("{DEBIAN_CONF} (from Debian's redis-server package): {e}"))
}

/// Redis 7.0.15's own `redis.conf`: Debian's with its four changed defaults put back.
fn upstream_conf() -> String {
    let mut text = debian_conf();
    for (debian, upstream) in DEBIAN_DEFAULTS {
        assert_eq!(
            text.matches(&format!("\n{debian}\n")).count(),
            1,
            "{debian}"
        );
        text = text.replace(&format!("\n{debian}\n"), &format!("\n{upstream}\n"));
    }
    text
}

/// `SHUTDOWN NOSAVE`: as in Redis, the connection closes without a reply.
fn shutdown_nosave(conn: &mut Conn) {
    conn.send(&[b"SHUTDOWN", b"NOSAVE"]);
    assert_eq!(conn.read_to_close(), "");
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Whether process `pid` still runs (a zombie has finished).
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Kills a daemonized server if the test fails before stopping it (it is nobody's child).
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if running(self.0) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.0),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// A foreground server whose log (standard output) is read up to its readiness line.
struct Foreground {
    child: Child,
    startup: String,
}

impl Drop for Foreground {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_foreground(command: &mut Command) -> Foreground {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zedis-server starts");
    let mut log = BufReader::new(child.stdout.take().expect("stdout"));
    let mut startup = String::new();
    while !startup.contains("Ready to accept connections") {
        if log.read_line(&mut startup).expect("a log line") == 0 {
            let mut errors = String::new();
            let _ =
                std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr"), &mut errors);
            panic!("zedis-server exited before it was ready:\n{startup}{errors}");
        }
    }
    std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
    Foreground { child, startup }
}

#[test]
fn debians_stock_redis_conf_starts_zedis_as_a_daemon() {
    let text = debian_conf();
    assert!(text.contains("\ndaemonize yes\n"));
    let dir = scratch_dir("debian");
    let port = free_port();
    let pidfile = dir.join("redis-server.pid");
    let logfile = dir.join("redis-server.log");
    // The file as Debian ships it; the flags only move the port off 6379 and the files into
    // this test's directory.
    let status = Command::new(ZEDIS)
        .arg(DEBIAN_CONF)
        .args(["--port", &port.to_string()])
        .args(["--pidfile", path_str(&pidfile)])
        .args(["--logfile", path_str(&logfile)])
        .args(["--dir", path_str(&dir)])
        .status()
        .expect("zedis-server runs");
    // The process that was started returns at once; the daemon goes on.
    assert!(status.success(), "{status}");
    wait_until("the pid file", || {
        std::fs::read_to_string(&pidfile).is_ok_and(|t| t.ends_with('\n'))
    });
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .expect("a pid");
    let _daemon = KillOnDrop(pid);
    assert!(running(pid));
    wait_until("the readiness line", || {
        std::fs::read_to_string(&logfile).is_ok_and(|l| l.contains("Ready to accept connections"))
    });
    let mut conn = Conn::new(port);
    assert_eq!(conn.call(&["PING"]), "+PONG\r\n");
    let info = conn.call(&["INFO", "server"]);
    assert!(info.contains(&format!("process_id:{pid}\r\n")), "{info}");
    assert!(
        info.contains(&format!("config_file:{DEBIAN_CONF}\r\n")),
        "{info}"
    );
    // Debian's values, as the file sets them.
    assert_eq!(
        conn.call(&["CONFIG", "GET", "daemonize"]),
        "*2\r\n$9\r\ndaemonize\r\n$3\r\nyes\r\n"
    );
    assert_eq!(
        conn.call(&["CONFIG", "GET", "bind"]),
        "*2\r\n$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n"
    );

    // The daemon is in a session of its own, and not the session leader (two forks).
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    let (session, group) = (fields[3], fields[2]);
    assert_ne!(session, pid.to_string(), "{stat}");
    assert_eq!(session, group, "{stat}");

    shutdown_nosave(&mut conn);
    wait_until("the daemon to exit", || !running(pid));
    assert!(!pidfile.exists(), "the pid file outlived the server");
    let log = std::fs::read_to_string(&logfile).unwrap();
    for line in [
        format!("{pid}:M "),
        "# Configuration loaded\n".to_string(),
        "# Server initialized\n".to_string(),
        "* Ready to accept connections\n".to_string(),
        "# User requested shutdown...\n".to_string(),
        "* Removing the pid file.\n".to_string(),
    ] {
        assert!(log.contains(&line), "{line:?} not in the log:\n{log}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn redis_own_redis_conf_starts_zedis_in_the_foreground() {
    let dir = scratch_dir("upstream");
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, upstream_conf()).unwrap();
    let port = free_port();
    let pidfile = dir.join("redis.pid");
    let server = start_foreground(
        Command::new(ZEDIS)
            .arg(&conf)
            .args(["--port", &port.to_string()])
            .args(["--pidfile", path_str(&pidfile)])
            .current_dir(&dir),
    );
    let pid = server.child.id();
    assert!(
        server.startup.contains(&format!("pid={pid}, just started")),
        "{}",
        server.startup
    );
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap(),
        format!("{pid}\n")
    );
    let mut conn = Conn::new(port);
    assert_eq!(
        conn.call(&["CONFIG", "GET", "dir"]),
        format!(
            "*2\r\n$3\r\ndir\r\n${}\r\n{}\r\n",
            path_str(&dir.canonicalize().unwrap()).len(),
            path_str(&dir.canonicalize().unwrap())
        )
    );
    let mut server = server;
    shutdown_nosave(&mut conn);
    assert!(server.child.wait().unwrap().success());
    assert!(!pidfile.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// How a server took one config file: accepted, or refused with the reason it printed.
#[derive(Debug)]
enum Verdict {
    Accepted,
    Refused(String),
}

/// Starts `program` on `conf` with overrides that keep it on a free loopback port and off
/// fixed files (they come after the file, so each line is still read and checked), and judges
/// it: refused when it exits before logging readiness.
fn verdict(program: &str, conf: &Path, dir: &Path) -> Verdict {
    let child = Command::new(program)
        .arg(conf)
        .args(["--port", &free_port().to_string(), "--tls-port", "0"])
        .args(["--bind", "127.0.0.1"])
        .args(["--daemonize", "no", "--supervised", "no", "--pidfile", ""])
        .args(["--logfile", "", "--dir", path_str(dir), "--save", ""])
        .args([
            "--cluster-enabled",
            "no",
            "--appendonly",
            "no",
            "--unixsocket",
            "",
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    // Killed (if still running) and reaped on every path out, a panic included.
    let mut server = Foreground {
        child,
        startup: String::new(),
    };
    let mut log = BufReader::new(server.child.stdout.take().expect("stdout"));
    loop {
        let mut line = String::new();
        // A read error ends the log as its end does.
        if log.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = server.child.wait();
            let mut errors = String::new();
            if let Some(stderr) = server.child.stderr.as_mut() {
                let _ = std::io::Read::read_to_string(stderr, &mut errors);
            }
            return Verdict::Refused(format!("{}{errors}", server.startup));
        }
        if line.contains("Ready to accept connections") {
            return Verdict::Accepted;
        }
        server.startup.push_str(&line);
    }
}

/// The reason line of a zedis refusal (the last line it printed).
fn reason(output: &str) -> &str {
    output.trim_end().lines().last().unwrap_or("")
}

/// Every commented-out directive of redis.conf (each `# name value` line whose name is a
/// Redis parameter or directive), uncommented alone: where Redis 7.0.15 accepts it, zedis
/// accepts it or refuses it naming the feature it lacks (a reason starting with "zedis");
/// where Redis refuses it, zedis does too.
#[test]
fn each_commented_out_directive_is_read_as_redis_reads_it() {
    let text = debian_conf();
    let redis = ServerProcess::redis(&[]);
    let reply = Conn::new(redis.port).call(&["CONFIG", "GET", "*"]);
    let lines: Vec<&str> = reply.split("\r\n").collect();
    // Each bulk string is the line after its `$<length>` header; names and values alternate.
    let mut names: Vec<String> = lines
        .windows(2)
        .filter(|pair| pair[0].starts_with('$'))
        .map(|pair| pair[1].to_string())
        .step_by(2)
        .collect();
    drop(redis);
    assert!(names.len() >= 190, "{names:?}");
    names.extend(
        [
            "include",
            "rename-command",
            "loadmodule",
            "user",
            "sentinel",
        ]
        .map(String::from),
    );
    let candidates: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .map(str::trim)
        .filter(|line| {
            line.split_once(' ')
                .is_some_and(|(name, _)| names.iter().any(|n| n == name))
        })
        .collect();
    assert!(candidates.len() > 120, "{}", candidates.len());

    let dir = scratch_dir("directives");
    let conf = dir.join("one.conf");
    let mut mismatches = Vec::new();
    let (mut accepted, mut refused_as_missing) = (0, 0);
    for line in &candidates {
        std::fs::write(&conf, format!("{line}\n")).unwrap();
        let reference = verdict("redis-server", &conf, &dir);
        let zedis = verdict(ZEDIS, &conf, &dir);
        match (&reference, &zedis) {
            (Verdict::Accepted, Verdict::Accepted) => accepted += 1,
            (Verdict::Accepted, Verdict::Refused(out)) if reason(out).starts_with("zedis ") => {
                refused_as_missing += 1
            }
            (Verdict::Refused(_), Verdict::Refused(_)) => {}
            _ => mismatches.push(format!(
                "{line}\n  redis: {reference:?}\n  zedis: {zedis:?}"
            )),
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Most of them are features zedis has.
    assert!(
        accepted > 100,
        "{accepted} accepted, {refused_as_missing} refused"
    );
}

/// `supervised systemd` under a `Type=notify` manager: a listener on a Unix datagram socket
/// named by `NOTIFY_SOCKET` hears the loading status, readiness, and the stop; a supervised
/// server does not daemonize, as redis-server.
#[test]
fn a_notify_service_manager_hears_readiness_and_stopping() {
    let dir = scratch_dir("notify");
    let (socket_path, socket) = notify_listener(&dir);
    let port = free_port();
    let mut server = start_foreground(
        Command::new(ZEDIS)
            .args(["--port", &port.to_string(), "--save", ""])
            .args(["--supervised", "systemd", "--daemonize", "yes"])
            .env("NOTIFY_SOCKET", &socket_path)
            .current_dir(&dir),
    );
    let mut heard = Vec::new();
    let receive = || {
        let mut buf = [0u8; 512];
        let n = socket.recv(&mut buf).expect("a notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    heard.push(receive());
    heard.push(receive());
    assert_eq!(heard[0].trim_end(), "STATUS=Redis is loading...");
    assert_eq!(
        heard[1].trim_end(),
        "STATUS=Ready to accept connections\nREADY=1"
    );
    assert!(
        server.startup.contains("* Supervised by systemd."),
        "{}",
        server.startup
    );
    let mut conn = Conn::new(port);
    let info = conn.call(&["INFO", "server"]);
    assert!(info.contains("process_supervised:systemd\r\n"), "{info}");
    assert!(
        info.contains(&format!("process_id:{}\r\n", server.child.id())),
        "a supervised server must not daemonize: {info}"
    );
    shutdown_nosave(&mut conn);
    assert_eq!(receive().trim_end(), "STOPPING=1");
    assert!(server.child.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// redis-server ignores SIGHUP; SIGUSR1 stops a forked child there, and zedis has none.
#[test]
fn sighup_and_sigusr1_do_not_stop_the_server() {
    let dir = scratch_dir("signals");
    let port = free_port();
    let logfile = dir.join("zedis.log");
    let mut server = start_foreground(
        Command::new(ZEDIS)
            .args(["--port", &port.to_string(), "--save", ""])
            .current_dir(&dir),
    );
    let pid = nix::unistd::Pid::from_raw(server.child.id() as i32);
    for signal in [
        nix::sys::signal::Signal::SIGHUP,
        nix::sys::signal::Signal::SIGUSR1,
    ] {
        nix::sys::signal::kill(pid, signal).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(Conn::new(port).call(&["PING"]), "+PONG\r\n", "{signal}");
    }
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert!(server.child.wait().unwrap().success());
    assert!(!logfile.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `logfile`: Redis's line format, appended to what the file held.
#[test]
fn the_log_file_receives_redis_format_lines() {
    let dir = scratch_dir("logfile");
    let logfile = dir.join("zedis.log");
    std::fs::write(&logfile, "an earlier line\n").unwrap();
    let port = free_port();
    let mut child = Command::new(ZEDIS)
        .args(["--port", &port.to_string(), "--save", ""])
        .args(["--logfile", path_str(&logfile)])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the readiness line", || {
        std::fs::read_to_string(&logfile).is_ok_and(|l| l.contains("Ready to accept connections"))
    });
    shutdown_nosave(&mut Conn::new(port));
    assert!(child.wait().unwrap().success());
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    assert_eq!(
        stdout, "",
        "with a log file nothing goes to standard output"
    );
    let log = std::fs::read_to_string(&logfile).unwrap();
    let mut lines = log.lines();
    assert_eq!(lines.next(), Some("an earlier line"));
    let pid = child.id();
    for line in lines {
        // `pid:M dd Mon yyyy hh:mm:ss.mmm <level> message`
        let (head, rest) = line.split_once(' ').unwrap();
        assert_eq!(head, format!("{pid}:M"), "{line}");
        let words: Vec<&str> = rest.splitn(6, ' ').collect();
        assert_eq!(words.len(), 6, "{line}");
        assert!(
            words[0].len() == 2 && words[0].parse::<u8>().is_ok(),
            "{line}"
        );
        assert!(
            [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
            ]
            .contains(&words[1]),
            "{line}"
        );
        assert!(
            words[2].len() == 4 && words[2].parse::<u16>().is_ok(),
            "{line}"
        );
        assert_eq!(words[3].len(), "04:13:30.009".len(), "{line}");
        assert!(["#", "*", "-", "."].contains(&words[4]), "{line}");
    }
    assert!(log.contains("* Ready to accept connections\n"), "{log}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `-v`: redis-server's version line, with zedis's version at the end; `--help` describes
/// every parameter.
#[test]
fn version_and_help_answer_as_redis_server() {
    let output = Command::new(ZEDIS).arg("-v").output().unwrap();
    assert!(output.status.success());
    let line = String::from_utf8(output.stdout).unwrap();
    assert!(line.starts_with("Redis server v=7.0.15 sha="), "{line}");
    assert!(line.contains(" malloc=jemalloc-"), "{line}");
    assert!(
        line.trim_end()
            .ends_with(&format!("zedis={}", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );

    let output = Command::new(ZEDIS).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--maxmemory <VALUE>",
        "--daemonize <VALUE>",
        "--supervised <VALUE>",
    ] {
        let at = help.find(flag).unwrap_or_else(|| panic!("{flag}\n{help}"));
        let description = help[at + flag.len()..].trim_start().lines().next().unwrap();
        assert!(
            description.len() > 20 && !description.starts_with("[default"),
            "{flag}: {description}"
        );
    }

    let output = Command::new(ZEDIS)
        .args(["--test-memory", "16"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not test memory"));
}

/// The directives around the parameters: `include` reads another file (line numbers in errors
/// are the included file's), `rename-command` renames or removes, and their errors are
/// Redis's.
#[test]
fn include_and_rename_command_as_redis() {
    let dir = scratch_dir("include");
    let port = free_port();
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(dir.join("conf.d/a.conf"), "maxmemory 10mb\n").unwrap();
    std::fs::write(dir.join("conf.d/b.conf"), "maxmemory-samples 9\n").unwrap();
    let main = dir.join("main.conf");
    std::fs::write(
        &main,
        format!(
            "port {port}\ninclude {}/conf.d/*.conf\ninclude {}/none/*.conf\n\
             rename-command CONFIG b840fc02d524045429941cc15f59e41cb7be6c52\n\
             rename-command FLUSHALL \"\"\nlist-max-ziplist-entries 512\n",
            path_str(&dir),
            path_str(&dir)
        ),
    )
    .unwrap();
    let mut server = start_foreground(
        Command::new(ZEDIS)
            .arg(&main)
            .args(["--save", ""])
            .current_dir(&dir),
    );
    let mut conn = Conn::new(port);
    assert!(
        conn.call(&["CONFIG", "GET", "maxmemory"])
            .starts_with("-ERR unknown command 'CONFIG'")
    );
    assert_eq!(
        conn.call(&[
            "b840fc02d524045429941cc15f59e41cb7be6c52",
            "GET",
            "maxmemory-samples"
        ]),
        "*2\r\n$17\r\nmaxmemory-samples\r\n$1\r\n9\r\n"
    );
    assert!(
        conn.call(&["FLUSHALL"])
            .starts_with("-ERR unknown command 'FLUSHALL'")
    );
    shutdown_nosave(&mut conn);
    assert!(server.child.wait().unwrap().success());

    for (text, line, reason) in [
        (
            "port 0\nrename-command NOSUCH x\n",
            2,
            "No such command in rename-command",
        ),
        (
            "rename-command GET SET\n",
            1,
            "Target command name already exists",
        ),
        (
            "include /nonexistent/zedis.conf\n",
            1,
            "Fatal error, can't open config file '/nonexistent/zedis.conf': No such file or directory",
        ),
        (
            "\n\nfoo bar\n",
            3,
            "Bad directive or wrong number of arguments",
        ),
        ("loadmodule /x.so\n", 1, "zedis does not load Redis modules"),
    ] {
        std::fs::write(&main, text).unwrap();
        let output = Command::new(ZEDIS).arg(&main).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{text}");
        let errors = String::from_utf8_lossy(&output.stderr);
        assert!(
            errors.contains(&format!("at line {line}\n>>> '"))
                && errors.trim_end().ends_with(reason),
            "{text}: {errors}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `contrib/zedis.service` starts zedis as systemd would: its `ExecStart` command (with the
/// installed path replaced by this build, and the port and files moved into this test's
/// directory) under `Type=notify` reaches `READY=1`.
#[test]
fn the_contrib_systemd_unit_starts_zedis() {
    debian_conf();
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contrib/zedis.service"
    ))
    .expect("contrib/zedis.service");
    assert!(unit.lines().any(|l| l == "Type=notify"), "{unit}");
    let exec_start = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let words: Vec<&str> = exec_start.split(' ').collect();
    assert_eq!(words[0], "/usr/local/bin/zedis-server");
    assert!(
        unit.contains(&format!("ExecPaths={} ", words[0])),
        "the sandbox must let the unit run its own binary"
    );

    let dir = scratch_dir("unit");
    let (socket_path, socket) = notify_listener(&dir);
    let port = free_port();
    let pidfile = dir.join("redis-server.pid");
    let logfile = dir.join("redis-server.log");
    let mut server = Command::new(ZEDIS)
        .args(&words[1..])
        .args(["--port", &port.to_string()])
        .args(["--pidfile", path_str(&pidfile)])
        .args(["--logfile", path_str(&logfile)])
        .args(["--dir", path_str(&dir)])
        .env("NOTIFY_SOCKET", &socket_path)
        .spawn()
        .expect("zedis-server starts");
    let mut notifications = String::new();
    while !notifications.contains("READY=1") {
        let mut buf = [0u8; 512];
        let n = socket.recv(&mut buf).expect("a notification");
        notifications.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // Supervised: in the foreground, whatever the file says about daemonizing.
    assert!(server.try_wait().unwrap().is_none());
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap(),
        format!("{}\n", server.id())
    );
    shutdown_nosave(&mut Conn::new(port));
    assert!(server.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `zedis-server -`: the configuration read from standard input, as
/// `echo 'maxmemory 128mb' | redis-server -`.
#[test]
fn a_dash_reads_the_configuration_from_standard_input() {
    let dir = scratch_dir("stdin");
    let port = free_port();
    let mut child = Command::new(ZEDIS)
        .arg("-")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        format!("port {port}\nmaxmemory 128mb\nsave \"\"\n").as_bytes(),
    )
    .unwrap();
    drop(child.stdin.take());
    let _guard = KillOnDrop(child.id() as i32);
    zedis_testkit::wait_for_port(port, Duration::from_secs(10));
    let mut conn = Conn::new(port);
    assert_eq!(
        conn.call(&["CONFIG", "GET", "maxmemory"]),
        "*2\r\n$9\r\nmaxmemory\r\n$9\r\n134217728\r\n"
    );
    shutdown_nosave(&mut conn);
    assert!(child.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `syslog-enabled yes`: each log line also goes to syslog under `syslog-ident` with the pid,
/// at `syslog-facility` and the level's priority (notice for `*` lines). glibc's syslog(3)
/// writes to `/dev/log`; where no syslog daemon holds it, the test listens there itself.
#[test]
fn syslog_receives_the_log_lines() {
    /// The socket this test made at /dev/log, removed however the test ends.
    struct OwnDevLog(UnixDatagram);
    impl Drop for OwnDevLog {
        fn drop(&mut self) {
            let _ = std::fs::remove_file("/dev/log");
        }
    }
    let dev_log = Path::new("/dev/log");
    let listener = if dev_log.exists() {
        None
    } else {
        UnixDatagram::bind(dev_log).ok().map(OwnDevLog)
    };
    let dir = scratch_dir("syslog");
    let port = free_port();
    let mut server = start_foreground(
        Command::new(ZEDIS)
            .args(["--port", &port.to_string(), "--save", ""])
            .args([
                "--syslog-enabled",
                "yes",
                "--syslog-ident",
                "zedis-host-test",
            ])
            .args(["--syslog-facility", "local3"])
            .current_dir(&dir),
    );
    shutdown_nosave(&mut Conn::new(port));
    assert!(server.child.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
    let Some(OwnDevLog(listener)) = &listener else {
        // A syslog daemon holds /dev/log (or it could not be made): the lines went there,
        // and the server ran with syslog on.
        eprintln!("/dev/log is not this test's: the messages were not captured");
        return;
    };
    listener
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut messages = Vec::new();
    let mut buf = [0u8; 2048];
    while let Ok(n) = listener.recv(&mut buf) {
        messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        if messages.last().unwrap().contains("ready to exit") {
            break;
        }
    }
    let pid = server.child.id();
    // local3 is 19 << 3; notice is 5, warning 4.
    let ready = format!("zedis-host-test[{pid}]: Ready to accept connections");
    let line = messages
        .iter()
        .find(|m| m.ends_with(&ready))
        .unwrap_or_else(|| panic!("{ready:?} in {messages:?}"));
    assert!(line.starts_with("<157>"), "{line}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("<156>") && m.ends_with("]: Server initialized")),
        "{messages:?}"
    );
}
