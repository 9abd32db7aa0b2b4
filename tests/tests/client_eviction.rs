//! Client eviction (`maxmemory-clients`): clients whose buffers hold memory are disconnected,
//! largest first, when all clients together reach the limit; `CLIENT NO-EVICT on` protects a
//! client; `evicted_clients` counts them. Clients grow by sending part of a large argument,
//! which the server must buffer.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use zedis_tests::{TestServer, run, run_err_reply};

/// A raw connection that has sent `*2 SET <bulk of len>` and `sent` bytes of the bulk.
struct Partial {
    stream: TcpStream,
    remaining: usize,
}

impl Partial {
    fn start(port: u16, len: usize, sent: usize) -> Partial {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let head = format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${len}\r\n");
        stream.write_all(head.as_bytes()).expect("writes");
        stream.write_all(&vec![b'x'; sent]).expect("writes");
        Partial {
            stream,
            remaining: len - sent,
        }
    }

    /// Whether the server closed the connection (within a second).
    fn is_closed(&mut self) -> bool {
        self.stream
            .set_read_timeout(Some(Duration::from_secs(1)))
            .expect("timeout");
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }

    /// Sends the rest of the argument and reads the reply.
    fn finish(mut self) -> String {
        self.stream.write_all(&vec![b'x'; self.remaining]).unwrap();
        self.stream.write_all(b"\r\n").unwrap();
        self.stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reply = [0u8; 64];
        let n = self.stream.read(&mut reply).expect("reply");
        String::from_utf8_lossy(&reply[..n]).into_owned()
    }
}

fn stat(connection: &mut redis::Connection, name: &str) -> i64 {
    let info: String = run(connection, &["INFO", "stats"]);
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in INFO stats"))
}

/// Waits until `evicted_clients` reaches `count`.
fn wait_for_evictions(connection: &mut redis::Connection, count: i64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while stat(connection, "evicted_clients") < count {
        assert!(Instant::now() < deadline, "no eviction");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn control(server: &TestServer) -> redis::Connection {
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["CLIENT", "NO-EVICT", "on"]);
    connection
}

#[test]
fn the_largest_client_is_evicted_and_the_small_one_stays() {
    let server = TestServer::start(&["--maxmemory-clients", "1mb"]);
    let mut admin = control(&server);
    let small = Partial::start(server.port(), 200_000, 150_000);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(stat(&mut admin, "evicted_clients"), 0);
    let mut big = Partial::start(server.port(), 3_000_000, 2_000_000);
    wait_for_evictions(&mut admin, 1);
    assert!(big.is_closed(), "the 2 MB client is disconnected");
    assert_eq!(small.finish(), "+OK\r\n");
    let len: i64 = run(&mut admin, &["STRLEN", "big"]);
    assert_eq!(len, 200_000);
    assert_eq!(stat(&mut admin, "evicted_clients"), 1);
}

#[test]
fn no_evict_clients_are_spared_and_others_go_instead() {
    let server = TestServer::start(&["--maxmemory-clients", "1mb"]);
    let mut admin = control(&server);
    let mut small = Partial::start(server.port(), 300_000, 200_000);
    // The big client protects itself before growing.
    let mut big = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    big.write_all(b"CLIENT NO-EVICT on\r\n").unwrap();
    let mut ok = [0u8; 5];
    big.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"+OK\r\n");
    big.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n")
        .unwrap();
    big.write_all(&vec![b'x'; 2_000_000]).unwrap();
    wait_for_evictions(&mut admin, 1);
    assert!(small.is_closed(), "the evictable client goes");
    big.write_all(&vec![b'x'; 1_000_000]).unwrap();
    big.write_all(b"\r\n").unwrap();
    let mut reply = [0u8; 5];
    big.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"+OK\r\n");
}

#[test]
fn lowering_the_limit_evicts_at_once_and_percentages_follow_maxmemory() {
    let server = TestServer::start(&[]);
    let mut admin = control(&server);
    let mut grown = Partial::start(server.port(), 1_000_000, 600_000);
    std::thread::sleep(Duration::from_millis(100));
    // Off by default: nothing happens.
    assert_eq!(stat(&mut admin, "evicted_clients"), 0);
    assert_eq!(
        run_err_reply(&mut admin, &["DEBUG", "CLIENT-EVICTION"]),
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", \
         you can run it from a local connection, otherwise you need to set this option in the \
         configuration file, and then restart the server."
    );
    // 10% of no maxmemory is still off.
    let _: () = run(&mut admin, &["CONFIG", "SET", "maxmemory-clients", "10%"]);
    let value: Vec<String> = run(&mut admin, &["CONFIG", "GET", "maxmemory-clients"]);
    assert_eq!(value, ["maxmemory-clients", "10%"]);
    let _: () = run(&mut admin, &["PING"]);
    assert_eq!(stat(&mut admin, "evicted_clients"), 0);
    // 10% of 4 MB is 400 KB, under the 600 KB client.
    let _: () = run(&mut admin, &["CONFIG", "SET", "maxmemory", "4mb"]);
    wait_for_evictions(&mut admin, 1);
    assert!(grown.is_closed());
}

#[test]
fn debug_client_eviction_shows_the_buckets() {
    let server = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut admin = server.connect();
    assert_eq!(
        run_err_reply(&mut admin, &["DEBUG", "CLIENT-EVICTION"]),
        "ERR maxmemory-clients is disabled."
    );
    let _: () = run(&mut admin, &["CONFIG", "SET", "maxmemory-clients", "100mb"]);
    let _grown = Partial::start(server.port(), 1_000_000, 100_000);
    std::thread::sleep(Duration::from_millis(100));
    let report: String = run(&mut admin, &["DEBUG", "CLIENT-EVICTION"]);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 19);
    assert!(lines[0].starts_with("bucket          0 -      32767: tot-mem: "));
    assert!(lines[18].starts_with("bucket 4294967296+            : tot-mem: "));
    let clients = |line: &str| -> usize { line.rsplit(' ').next().unwrap().parse().unwrap() };
    // Two clients: the asking one (its buffers, under 64 KiB) and the one holding 100 KB of
    // its argument (and room for the rest), from 64 KiB up.
    let total: usize = lines.iter().map(|line| clients(line)).sum();
    assert_eq!(total, 2, "{report}");
    assert_eq!(
        lines[2..].iter().map(|line| clients(line)).sum::<usize>(),
        1,
        "{report}"
    );
}
