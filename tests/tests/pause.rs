//! CLIENT PAUSE and UNPAUSE: which commands wait (writes under WRITE, everything under ALL,
//! an EXEC whose queue writes), that waiting commands run in order once the pause ends (by
//! UNPAUSE or by its timeout), that rejected commands answer at once, and that the dataset
//! holds still meanwhile (no expiry deletes a key).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use zedis_tests::{TestServer, run, run_err_reply};

/// A raw connection that sends a request now and reads its reply later.
struct Deferred(TcpStream);

impl Deferred {
    fn connect(server: &TestServer) -> Deferred {
        let stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        Deferred(stream)
    }

    fn send(&mut self, request: &str) {
        self.0.write_all(request.as_bytes()).expect("write");
    }

    /// Whatever the server has sent within `wait`.
    fn poll(&mut self, wait: Duration) -> Vec<u8> {
        self.0.set_read_timeout(Some(wait)).expect("timeout");
        let mut buf = [0u8; 256];
        let reply = match self.0.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(_) => Vec::new(),
        };
        self.0
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        reply
    }

    fn read(&mut self, expected: &[u8]) {
        let mut buf = vec![0u8; expected.len()];
        self.0.read_exact(&mut buf).expect("a reply");
        assert_eq!(buf, expected, "{}", String::from_utf8_lossy(&buf));
    }
}

fn info_field(connection: &mut redis::Connection, section: &str, name: &str) -> String {
    let info: String = run(connection, &["INFO", section]);
    let prefix = format!("{name}:");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {info}"))
        .to_string()
}

#[test]
fn write_pause_holds_writes_and_lets_reads_through() {
    let server = TestServer::start(&[]);
    let mut admin = server.connect();
    let _: () = run(&mut admin, &["SET", "k", "before"]);
    let _: () = run(&mut admin, &["CLIENT", "PAUSE", "60000", "WRITE"]);
    let mut writer = Deferred::connect(&server);
    writer.send("SET k after\r\nGET k\r\n");
    let mut reader = Deferred::connect(&server);
    reader.send("GET k\r\n");
    reader.read(b"$6\r\nbefore\r\n");
    assert!(writer.poll(Duration::from_millis(200)).is_empty());
    assert_eq!(info_field(&mut admin, "clients", "blocked_clients"), "1");
    let list: String = run(&mut admin, &["CLIENT", "LIST"]);
    assert!(list.contains("flags=b "), "{list}");
    // A command refused before it runs answers at once.
    assert_eq!(
        run_err_reply(&mut admin, &["SET", "k"]),
        "ERR wrong number of arguments for 'set' command"
    );
    let _: () = run(&mut admin, &["CLIENT", "UNPAUSE"]);
    // The held write runs, then what was pipelined after it.
    writer.read(b"+OK\r\n$5\r\nafter\r\n");
    assert_eq!(info_field(&mut admin, "clients", "blocked_clients"), "0");
}

#[test]
fn all_pause_holds_every_command_until_its_timeout() {
    let server = TestServer::start(&[]);
    let mut admin = server.connect();
    let started = Instant::now();
    let _: () = run(&mut admin, &["CLIENT", "PAUSE", "300", "ALL"]);
    let mut reader = Deferred::connect(&server);
    reader.send("PING\r\n");
    assert!(reader.poll(Duration::from_millis(100)).is_empty());
    reader.read(b"+PONG\r\n");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(290) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[test]
fn an_exec_that_writes_waits_and_one_that_reads_does_not() {
    let server = TestServer::start(&[]);
    let mut admin = server.connect();
    let mut reads = Deferred::connect(&server);
    reads.send("MULTI\r\nGET k\r\n");
    reads.read(b"+OK\r\n+QUEUED\r\n");
    let mut writes = Deferred::connect(&server);
    writes.send("MULTI\r\nSET k v\r\n");
    writes.read(b"+OK\r\n+QUEUED\r\n");
    let _: () = run(&mut admin, &["CLIENT", "PAUSE", "60000", "WRITE"]);
    reads.send("EXEC\r\n");
    reads.read(b"*1\r\n$-1\r\n");
    writes.send("EXEC\r\n");
    assert!(writes.poll(Duration::from_millis(200)).is_empty());
    let _: () = run(&mut admin, &["CLIENT", "UNPAUSE"]);
    writes.read(b"*1\r\n+OK\r\n");
}

#[test]
fn a_pause_started_inside_a_transaction_lets_the_transaction_finish() {
    let server = TestServer::start(&[]);
    let mut admin = server.connect();
    let _: () = run(&mut admin, &["MULTI"]);
    let _: String = run(&mut admin, &["SET", "a", "1"]);
    let _: String = run(&mut admin, &["CLIENT", "PAUSE", "60000", "WRITE"]);
    let _: String = run(&mut admin, &["SET", "b", "2"]);
    let _: Vec<String> = run(&mut admin, &["EXEC"]);
    let (a, b): (String, String) = (
        run(&mut admin, &["GET", "a"]),
        run(&mut admin, &["GET", "b"]),
    );
    assert_eq!((a.as_str(), b.as_str()), ("1", "2"));
    let mut writer = Deferred::connect(&server);
    writer.send("SET c 3\r\n");
    assert!(writer.poll(Duration::from_millis(200)).is_empty());
    let _: () = run(&mut admin, &["CLIENT", "UNPAUSE"]);
    writer.read(b"+OK\r\n");
}

#[test]
fn keys_past_their_ttl_read_as_missing_but_are_not_deleted_while_paused() {
    let server = TestServer::start(&[]);
    let mut admin = server.connect();
    let expired_before: u64 = info_field(&mut admin, "stats", "expired_keys")
        .parse()
        .unwrap();
    let _: () = run(&mut admin, &["SET", "k", "v", "PX", "20"]);
    let _: () = run(&mut admin, &["CLIENT", "PAUSE", "60000", "WRITE"]);
    std::thread::sleep(Duration::from_millis(250));
    let value: Option<String> = run(&mut admin, &["GET", "k"]);
    assert_eq!(value, None);
    let expired: u64 = info_field(&mut admin, "stats", "expired_keys")
        .parse()
        .unwrap();
    assert_eq!(expired, expired_before, "nothing expired during the pause");
    let _: () = run(&mut admin, &["CLIENT", "UNPAUSE"]);
    let _: Option<String> = run(&mut admin, &["GET", "k"]);
    let expired: u64 = info_field(&mut admin, "stats", "expired_keys")
        .parse()
        .unwrap();
    assert_eq!(expired, expired_before + 1);
}

#[test]
fn pause_arguments_are_checked_as_redis_checks_them() {
    let server = TestServer::start(&[]);
    let mut admin = server.connect();
    assert_eq!(
        run_err_reply(&mut admin, &["CLIENT", "PAUSE", "100", "READ"]),
        "ERR CLIENT PAUSE mode must be WRITE or ALL"
    );
    assert_eq!(
        run_err_reply(&mut admin, &["CLIENT", "PAUSE", "1.5"]),
        "ERR timeout is not an integer or out of range"
    );
    assert_eq!(
        run_err_reply(&mut admin, &["CLIENT", "PAUSE", "-1"]),
        "ERR timeout is negative"
    );
    // Nothing was paused by the refused requests.
    let _: () = run(&mut admin, &["SET", "k", "v"]);
}
