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
    handle: zedis::ServerHandle,
}

impl TestServer {
    /// Starts zedis on a free port with `extra` flags (`["--maxmemory", "10mb"]`).
    pub fn start(extra: &[&str]) -> TestServer {
        let mut args = vec!["zedis-server", "--port", "0"];
        args.extend_from_slice(extra);
        let config = zedis::config::file::from_args(args).expect("valid flags");
        TestServer {
            handle: zedis::spawn(config).expect("zedis starts"),
        }
    }

    pub fn port(&self) -> u16 {
        self.handle.addr.port()
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
