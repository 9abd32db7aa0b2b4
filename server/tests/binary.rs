//! The `zedis-server` binary: flags and config files parsed as redis-server parses them, the
//! startup line, and a clean exit on SIGTERM, SIGINT and SHUTDOWN.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::free_port;

/// The server process; killed on drop if a test fails before stopping it.
struct Server {
    child: Child,
    port: u16,
    /// The first line it logged.
    startup: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], port: u16) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zedis-server"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut startup = String::new();
    stderr.read_line(&mut startup).expect("a startup line");
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = stderr.read_to_end(&mut sink);
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
    assert!(
        server
            .startup
            .contains(&format!("listening on 127.0.0.1:{port}")),
        "{}",
        server.startup
    );
    assert!(
        server
            .startup
            .contains(&format!("pid {}", server.child.id())),
        "{}",
        server.startup
    );
    assert!(
        server.startup.contains("allocator jemalloc"),
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
