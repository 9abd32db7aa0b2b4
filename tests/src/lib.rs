//! Shared by the integration tests: zedis started in this process on a free loopback port,
//! and connections to it through the `redis` crate.
//!
//! The test binaries count their allocations with zmalloc, as the server binary does, so
//! `INFO memory` means the same thing here.

use std::time::Duration;

#[global_allocator]
static ALLOCATOR: zmalloc::Zmalloc = zmalloc::Zmalloc;

/// A zedis server on its own thread; stopped when dropped.
pub struct TestServer {
    handle: Option<zedis::ServerHandle>,
    reference: Option<(std::process::Child, u16)>,
}

// TEMPORARY-REFERENCE-MODE
static NEXT_PORT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
fn start_reference(extra: &[&str]) -> TestServer {
    let port = loop {
        let n = NEXT_PORT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let port = 7801 + (n % 99);
        if port == 7841 || port == 7842 || port == 7851 || port == 7852 {
            continue;
        }
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            break port;
        }
    };
    let child = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/tmp",
            "--logfile",
            "/dev/null",
        ])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server");
    for _ in 0..500 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    TestServer {
        handle: None,
        reference: Some((child, port)),
    }
}
impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some((child, _)) = &mut self.reference {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
// END-TEMPORARY-REFERENCE-MODE

impl TestServer {
    /// Starts zedis on a free port with `extra` flags (`["--maxmemory", "10mb"]`).
    pub fn start(extra: &[&str]) -> TestServer {
        if std::env::var_os("AGAINST_REDIS").is_some() {
            return start_reference(extra);
        }
        let mut args = vec!["zedis-server", "--port", "0"];
        args.extend_from_slice(extra);
        let config = zedis::config::file::from_args(args).expect("valid flags");
        TestServer {
            handle: Some(zedis::spawn(config).expect("zedis starts")),
            reference: None,
        }
    }

    pub fn port(&self) -> u16 {
        match &self.reference {
            Some((_, port)) => *port,
            None => self.handle.as_ref().unwrap().addr.port(),
        }
    }

    /// A new connection, with a read timeout so a test that waits wrongly fails instead of
    /// hanging.
    pub fn connect(&self) -> redis::Connection {
        let client =
            redis::Client::open(format!("redis://127.0.0.1:{}/", self.port())).expect("valid URL");
        let connection = client.get_connection().expect("connects");
        connection
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        connection
    }
}

/// Runs a command and returns its reply as `T`, panicking on an error reply.
pub fn run<T: redis::FromRedisValue>(connection: &mut redis::Connection, args: &[&str]) -> T {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command
        .query(connection)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Runs a command expected to fail and returns the error's text.
pub fn run_err(connection: &mut redis::Connection, args: &[&str]) -> String {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    match command.query::<redis::Value>(connection) {
        Ok(value) => panic!("{args:?} succeeded with {value:?}"),
        Err(e) => e.to_string(),
    }
}

/// Runs a command expected to fail and returns the error reply as the server sent it, code
/// included (`ERR unknown command ...`, `WRONGPASS invalid ...`).
pub fn run_err_reply(connection: &mut redis::Connection, args: &[&str]) -> String {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    match command.query::<redis::Value>(connection) {
        Ok(value) => panic!("{args:?} succeeded with {value:?}"),
        Err(e) => match (e.code(), e.detail()) {
            (Some(code), Some(detail)) => format!("{code} {detail}"),
            (Some(code), None) => code.to_string(),
            _ => panic!("{args:?} failed without an error reply: {e}"),
        },
    }
}
