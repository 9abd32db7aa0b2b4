//! The `zedis-server` binary: flags and config files parsed as redis-server parses them, the
//! startup line, and a clean exit on SIGTERM, SIGINT and SHUTDOWN.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zedis_testkit::free_port;

/// The server process; killed on drop if a test fails before stopping it.
struct Server {
    child: Child,
    port: u16,
    /// What it logged up to and including its "Ready to accept connections" line (all of it if
    /// it exited).
    startup: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], port: u16) -> Server {
    start_under(&[], args, port)
}

/// Starts the binary through `wrapper` (`["prlimit", "--nofile=100:100"]`), or directly when
/// it is empty; returns once it listens or has exited.
fn start_under(wrapper: &[&str], args: &[&str], port: u16) -> Server {
    let binary = env!("CARGO_BIN_EXE_zedis-server");
    let mut command = match wrapper.split_first() {
        Some((program, wrapper_args)) => {
            let mut command = Command::new(program);
            command.args(wrapper_args).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    // No save points: a shutdown must not leave a dump.rdb in the working directory.
    let mut child = command
        .args(args)
        .args(["--save", ""])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    // As redis-server, it logs to standard output when `logfile` is empty.
    let mut log = BufReader::new(child.stdout.take().expect("stdout"));
    let mut startup = String::new();
    while !startup.contains("Ready to accept connections") {
        if log.read_line(&mut startup).expect("a log line") == 0 {
            break;
        }
    }
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = log.read_to_end(&mut sink);
    });
    Server {
        child,
        port,
        startup,
    }
}

/// Sends inline commands and reads the replies (one read after a short wait).
fn call(port: u16, commands: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.write_all(commands.as_bytes()).expect("write");
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&reply).into_owned()
}

fn wait_exit(server: &mut Server) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            return status.code().expect("exited, not killed");
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("zedis-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn flags_use_redis_names_and_units_and_sigterm_exits_cleanly() {
    let port = free_port();
    let mut server = start(
        &[
            "--port",
            &port.to_string(),
            "--maxmemory",
            "100mb",
            "--maxmemory-policy",
            "allkeys-lru",
            "--databases",
            "4",
        ],
        port,
    );
    // Redis's startup lines, in Redis's line format (`pid:M dd Mon yyyy hh:mm:ss.mmm * …`).
    let pid = server.child.id();
    for line in [
        format!("pid={pid}, just started"),
        format!("* Running mode=standalone, port={port}."),
        "# Server initialized".to_string(),
        "* Ready to accept connections".to_string(),
    ] {
        assert!(server.startup.contains(&line), "{line}\n{}", server.startup);
    }
    assert!(
        server
            .startup
            .lines()
            .all(|l| l.starts_with(&format!("{pid}:M "))),
        "{}",
        server.startup
    );
    let reply = call(
        server.port,
        "CONFIG GET maxmemory\r\nCONFIG GET maxmemory-policy\r\nSELECT 4\r\n",
    );
    assert_eq!(
        reply,
        "*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n\
         *2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n\
         -ERR DB index is out of range\r\n"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("signal");
    assert_eq!(wait_exit(&mut server), 0);
}

#[test]
fn a_config_file_is_read_and_flags_override_it() {
    let port = free_port();
    let file = temp_file(
        "ok.conf",
        &format!("# comment\nport {port}\nmaxmemory 1gb\n\nhz 20\nmaxmemory-samples 7\n"),
    );
    let mut server = start(&[file.to_str().unwrap(), "--hz", "15"], port);
    let reply = call(
        server.port,
        "CONFIG GET maxmemory\r\nCONFIG GET hz\r\nCONFIG GET maxmemory-samples\r\n",
    );
    assert_eq!(
        reply,
        "*2\r\n$9\r\nmaxmemory\r\n$10\r\n1073741824\r\n\
         *2\r\n$2\r\nhz\r\n$2\r\n15\r\n\
         *2\r\n$17\r\nmaxmemory-samples\r\n$1\r\n7\r\n"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("signal");
    assert_eq!(wait_exit(&mut server), 0);
    let _ = std::fs::remove_file(file);
}

#[test]
fn shutdown_command_exits_zero() {
    let port = free_port();
    let mut server = start(&["--port", &port.to_string()], port);
    // As in Redis, the process exits inside the command: replies still queued are not sent.
    let reply = call(server.port, "SET k v\r\nSHUTDOWN NOSAVE\r\n");
    assert_eq!(reply, "");
    assert_eq!(wait_exit(&mut server), 0);
}

#[test]
fn bad_config_is_fatal_with_the_line() {
    let file = temp_file("bad.conf", "port 7001\nfoo bar\n");
    let output = Command::new(env!("CARGO_BIN_EXE_zedis-server"))
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("*** FATAL CONFIG FILE ERROR"), "{stderr}");
    assert!(
        stderr.contains("at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments"),
        "{stderr}"
    );
    let bad_unit = Command::new(env!("CARGO_BIN_EXE_zedis-server"))
        .args(["--port", "0", "--maxmemory", "1.5gb"])
        .output()
        .expect("runs");
    assert_eq!(bad_unit.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad_unit.stderr);
    assert!(
        stderr.contains("argument must be a memory value"),
        "{stderr}"
    );
    let _ = std::fs::remove_file(file);
}

/// Starts the binary under `prlimit --nofile=<soft:hard>`, without the capability to raise a
/// hard limit when running as root, so the limits hold.
fn start_under_nofile(limits: &str, args: &[&str], port: u16) -> Server {
    let nofile = format!("--nofile={limits}");
    let mut wrapper = Vec::new();
    // /proc/self belongs to the effective user.
    let euid =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc"));
    if euid == 0 {
        wrapper.extend(["setpriv", "--bounding-set=-sys_resource"]);
    }
    wrapper.extend(["prlimit", nofile.as_str()]);
    start_under(&wrapper, args, port)
}

/// The soft and hard open-files limits of a process (`unlimited` as `u64::MAX`).
fn open_files_limits(pid: u32) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .expect("Max open files");
    let mut values = line
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(u64::MAX));
    (values.next().expect("soft"), values.next().expect("hard"))
}

fn status_field(pid: u32, name: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
}

/// As Redis 7.0.15 under the same limit (measured: `maxclients` 68 for 100 descriptors, and
/// these three warnings), `maxclients` shrinks to fit the open-files limit less 32 reserved
/// descriptors; the descriptor table is sized for them before any thread starts.
#[test]
fn maxclients_shrinks_to_the_open_files_limit() {
    let port = free_port();
    let server = start_under_nofile(
        "100:100",
        &["--port", &port.to_string(), "--maxclients", "3000"],
        port,
    );
    for warning in [
        "You requested maxclients of 3000 requiring at least 3032 max file descriptors.",
        "Server can't set maximum open files to 3032 because of OS error: Operation not \
         permitted.",
        "Current maximum open files is 100. maxclients has been reduced to 68 to compensate \
         for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
    ] {
        assert!(server.startup.contains(warning), "{}", server.startup);
    }
    assert_eq!(
        call(port, "CONFIG GET maxclients\r\n"),
        "*2\r\n$10\r\nmaxclients\r\n$2\r\n68\r\n"
    );
    assert!(status_field(server.child.id(), "FDSize:") >= 100);
    // At run time too, as Redis's CONFIG SET (same replies from Redis 7.0.15 under this limit).
    assert_eq!(
        call(
            port,
            "CONFIG SET maxclients 200\r\nCONFIG SET maxclients 60\r\nCONFIG GET maxclients\r\n"
        ),
        "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating \
         system is not able to handle the specified number of clients, try with 68\r\n\
         +OK\r\n*2\r\n$10\r\nmaxclients\r\n$2\r\n60\r\n"
    );
}

#[test]
fn an_open_files_limit_below_the_reserve_is_fatal() {
    let port = free_port();
    let mut server = start_under_nofile("20:20", &["--port", &port.to_string()], port);
    assert_eq!(wait_exit(&mut server), 1);
    assert!(
        server.startup.contains(
            "Your current 'ulimit -n' of 20 is not enough for the server to start. Please \
             increase your open file limit to at least 10032. Exiting."
        ),
        "{}",
        server.startup
    );
}

/// With room for `maxclients`, the table holds them all from the start: no client's accept
/// waits for the table to grow (see `net::descriptors`).
#[test]
fn descriptor_table_is_presized_for_maxclients() {
    let port = free_port();
    let server = start(&["--port", &port.to_string(), "--maxclients", "3000"], port);
    let pid = server.child.id();
    let limits = open_files_limits(pid);
    assert!(limits.0 >= 3032, "{limits:?}");
    assert!(status_field(pid, "FDSize:") >= 3032);
    assert_eq!(
        call(port, "CONFIG GET maxclients\r\n"),
        "*2\r\n$10\r\nmaxclients\r\n$4\r\n3000\r\n"
    );
}

/// Redis looks for the highest limit the system grants from `maxclients` + 32 down in steps of
/// 16 and sets it as both the soft and the hard limit. Each figure here is what Redis 7.0.15
/// did under the same limits.
#[test]
fn open_files_limit_is_chosen_as_redis_chooses_it() {
    for (nofile, maxclients, limits, refused) in [
        // 10032 - 16 * 65 = 992, the first step under the hard limit.
        ("100:1005", "960", (992, 992), "960"),
        // Room for the default 10 000 clients: the hard limit comes down to what was asked.
        ("1024:15000", "10000", (10032, 10032), "10000"),
    ] {
        // prlimit may only lower the hard limit this test runs under.
        let asked_hard: u64 = nofile.split(':').nth(1).unwrap().parse().unwrap();
        let (_, own_hard) = open_files_limits(std::process::id());
        if own_hard < asked_hard {
            eprintln!("skipping nofile {nofile}: this process's hard limit is {own_hard}");
            continue;
        }
        let port = free_port();
        let server = start_under_nofile(nofile, &["--port", &port.to_string()], port);
        assert_eq!(
            call(port, "CONFIG GET maxclients\r\n"),
            format!(
                "*2\r\n$10\r\nmaxclients\r\n${}\r\n{maxclients}\r\n",
                maxclients.len()
            ),
            "{nofile}"
        );
        assert_eq!(open_files_limits(server.child.id()), limits, "{nofile}");
        assert_eq!(
            call(port, "CONFIG SET maxclients 50000\r\n"),
            format!(
                "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The \
                 operating system is not able to handle the specified number of clients, try \
                 with {refused}\r\n"
            ),
            "{nofile}"
        );
    }
}
