//! The wire protocol, byte for byte against Redis 7.0: inline commands, pipelining, every
//! protocol error (reply, then close), pre-authentication limits, requests arriving in pieces,
//! and the connection limits (query buffer, output buffer, maxclients, idle timeout).
//!
//! Each case sends the same bytes to a reference redis-server and to zedis, reads until the
//! server closes or stays quiet, and compares what came back and whether it closed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use redis_tests::raw::RawConnection;
use redis_tests::servers::{RedisServer, Zedis};

/// What a server sent back, and whether it then closed the connection.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    bytes: String,
    closed: bool,
}

/// Sends `chunks` (pausing briefly between them) and collects the replies until the server
/// closes or is quiet for `quiet`.
fn exchange(port: u16, chunks: &[&[u8]], quiet: Duration) -> Outcome {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        if stream.write_all(chunk).is_err() {
            break;
        }
    }
    collect(&mut stream, quiet)
}

fn collect(stream: &mut TcpStream, quiet: Duration) -> Outcome {
    stream.set_read_timeout(Some(quiet)).expect("timeout");
    let mut bytes = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    Outcome {
        bytes: String::from_utf8_lossy(&bytes).into_owned(),
        closed,
    }
}

/// Runs every case against both servers and reports all differences at once.
fn compare_cases(redis_port: u16, zedis_port: u16, cases: &[(&str, Vec<Vec<u8>>)]) {
    let quiet = Duration::from_millis(300);
    let mut failures = Vec::new();
    for (name, chunks) in cases {
        let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let expected = exchange(redis_port, &chunks, quiet);
        let actual = exchange(zedis_port, &chunks, quiet);
        if expected != actual {
            failures.push(format!(
                "{name}:\n  redis: {expected:?}\n  zedis: {actual:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn bytes(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

#[test]
fn requests_and_protocol_errors_match_redis() {
    let redis = RedisServer::redis(&[]);
    let zedis = Zedis::with_debug_command(&[]);
    let big_inline = vec![b'a'; 70 * 1024];
    let mut big_count = b"*".to_vec();
    big_count.extend(vec![b'1'; 70 * 1024]);
    let mut big_bulk_count = b"*1\r\n$".to_vec();
    big_bulk_count.extend(vec![b'1'; 70 * 1024]);
    let value = vec![b'v'; 1 << 20];
    let mut split_set =
        format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n", value.len()).into_bytes();
    split_set.extend_from_slice(&value);
    split_set.extend_from_slice(b"\r\n*2\r\n$6\r\nSTRLEN\r\n$3\r\nbig\r\n");
    let pieces: Vec<Vec<u8>> = split_set.chunks(100 * 1024).map(<[u8]>::to_vec).collect();
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        (
            "inline commands",
            vec![bytes(
                "PING\r\nECHO hi\nSET \"a b\" 'c d'\r\nGET \"a b\"\r\n",
            )],
        ),
        (
            "inline escapes",
            vec![bytes(
                "SET k \"\\x41\\n\\t\"\r\nGET k\r\nECHO \"\\\"q\\\"\"\r\n",
            )],
        ),
        (
            "empty inline lines do nothing",
            vec![bytes("\r\n\r\n\nPING\r\n")],
        ),
        (
            "pipelined multibulk and inline",
            vec![bytes(
                "*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
            )],
        ),
        (
            "empty multibulk counts are skipped",
            vec![bytes("*0\r\n*-1\r\n*-10\r\nPING\r\n")],
        ),
        (
            "unbalanced quotes",
            vec![bytes("PING\r\nSET \"a\r\nPING\r\n")],
        ),
        (
            "invalid multibulk length",
            vec![bytes("PING\r\n*abc\r\nPING\r\n")],
        ),
        (
            "multibulk length above INT_MAX",
            vec![bytes("*2147483648\r\n")],
        ),
        (
            "multibulk length with a plus",
            vec![bytes("*+1\r\n$4\r\nPING\r\n")],
        ),
        ("expected dollar", vec![bytes("*1\r\nPING\r\n")]),
        ("invalid bulk length", vec![bytes("*1\r\n$abc\r\n")]),
        ("negative bulk length", vec![bytes("*1\r\n$-1\r\n")]),
        (
            "bulk length above proto-max-bulk-len",
            vec![bytes("*1\r\n$536870913\r\n")],
        ),
        ("too big inline request", vec![big_inline]),
        ("too big mbulk count string", vec![big_count]),
        ("too big bulk count string", vec![big_bulk_count]),
        ("a request in many pieces", pieces),
        (
            "a request split inside its headers",
            vec![
                bytes("*2\r"),
                bytes("\n$4\r\nEC"),
                bytes("HO\r\n$2"),
                bytes("\r\nhi\r"),
                bytes("\n"),
            ],
        ),
        (
            "QUIT after pipelined replies",
            vec![bytes("PING\r\nQUIT\r\nPING\r\n")],
        ),
        (
            "errors do not close",
            vec![bytes("NOSUCH\r\nGET\r\nPING\r\n")],
        ),
        ("RESP3 replies", vec![bytes("HELLO 3\r\nPING\r\n")]), // compared below without the map
    ];
    // HELLO's map carries the server version and client id; compare everything after it.
    let (hello, rest): (Vec<_>, Vec<_>) =
        cases.into_iter().partition(|(n, _)| n.starts_with("RESP3"));
    compare_cases(redis.port, zedis.port, &rest);
    assert_eq!(hello.len(), 1);
    for port in [redis.port, zedis.port] {
        let mut connection = RawConnection::connect(port);
        connection.call(&[b"HELLO", b"3"]);
        assert_eq!(connection.call(&[b"PING"]), b"+PONG\r\n");
        assert_eq!(connection.call(&[b"GET", b"nosuch"]), b"_\r\n");
        assert_eq!(
            connection.call(&[b"CONFIG", b"GET", b"maxclients"]),
            b"%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
        );
    }
}

#[test]
fn limits_before_authentication_match_redis() {
    let redis = RedisServer::redis(&["--requirepass", "secret"]);
    let zedis = Zedis::with_debug_command(&["--requirepass", "secret"]);
    let mut big_bulk = b"*2\r\n$4\r\nAUTH\r\n$16385\r\n".to_vec();
    big_bulk.extend(vec![b'x'; 16385]);
    big_bulk.extend_from_slice(b"\r\n");
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("NOAUTH", vec![bytes("GET k\r\nPING\r\n")]),
        (
            "no-auth commands run",
            vec![bytes("HELLO 2 AUTH default wrong\r\nQUIT\r\n")],
        ),
        ("too many arguments before AUTH", vec![bytes("*11\r\n")]),
        (
            "ten arguments are fine",
            vec![bytes("*10\r\n$4\r\nECHO\r\n")],
        ),
        ("too big a bulk before AUTH", vec![big_bulk]),
        (
            "after AUTH the limits lift",
            vec![bytes("AUTH secret\r\n*11\r\n$4\r\nMSET\r\n")],
        ),
    ];
    compare_cases(redis.port, zedis.port, &cases);
}

/// Opens connections until one is refused; returns what the refused one received.
fn refused_connection(port: u16, keep: &mut Vec<TcpStream>) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "no connection was refused");
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.write_all(b"PING\r\n").expect("write");
        let outcome = collect(&mut stream, Duration::from_millis(300));
        if outcome.closed {
            return outcome;
        }
        assert_eq!(outcome.bytes, "+PONG\r\n");
        keep.push(stream);
    }
}

#[test]
fn maxclients_refuses_with_redis_error() {
    let redis = RedisServer::redis(&["--maxclients", "3"]);
    let zedis = Zedis::with_debug_command(&["--maxclients", "3"]);
    for port in [redis.port, zedis.port] {
        let mut kept = Vec::new();
        let refused = refused_connection(port, &mut kept);
        assert_eq!(
            refused,
            Outcome {
                bytes: "-ERR max number of clients reached\r\n".into(),
                closed: true
            },
            "port {port}"
        );
        assert_eq!(kept.len(), 3, "port {port}");
        let mut admin = kept.pop().expect("a kept connection");
        admin.write_all(b"INFO stats\r\n").expect("write");
        let info = collect(&mut admin, Duration::from_millis(300));
        assert!(
            info.bytes.contains("rejected_connections:1\r\n"),
            "port {port}: {info:?}"
        );
    }
}

#[test]
fn query_buffer_limit_closes_without_reply() {
    let redis = RedisServer::redis(&["--client-query-buffer-limit", "1mb"]);
    let zedis = Zedis::with_debug_command(&["--client-query-buffer-limit", "1mb"]);
    let mut request = b"PING\r\n*2\r\n$4\r\nECHO\r\n$3000000\r\n".to_vec();
    request.extend(vec![b'x'; 2 << 20]);
    let cases = vec![("query buffer over 1mb", vec![request])];
    compare_cases(redis.port, zedis.port, &cases);
}

#[test]
fn output_buffer_hard_limit_closes_the_client() {
    let redis = RedisServer::redis(&["--client-output-buffer-limit", "normal 100kb 0 0"]);
    let zedis = Zedis::with_debug_command(&["--client-output-buffer-limit", "normal 100kb 0 0"]);
    for port in [redis.port, zedis.port] {
        let mut setup = RawConnection::connect(port);
        let value = vec![b'v'; 300 * 1024];
        assert_eq!(setup.call(&[b"SET", b"big", &value]), b"+OK\r\n");
    }
    // The reply alone is over the hard limit: the connection closes with nothing written.
    let cases = vec![("a 300kb reply", vec![bytes("GET big\r\n")])];
    compare_cases(redis.port, zedis.port, &cases);
}

#[test]
fn idle_timeout_closes_quiet_clients() {
    let redis = RedisServer::redis(&["--timeout", "1"]);
    let zedis = Zedis::with_debug_command(&["--timeout", "1"]);
    for port in [redis.port, zedis.port] {
        let mut idle = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        idle.write_all(b"PING\r\n").expect("write");
        let started = Instant::now();
        let outcome = collect(&mut idle, Duration::from_secs(5));
        let waited = started.elapsed();
        assert_eq!(
            outcome,
            Outcome {
                bytes: "+PONG\r\n".into(),
                closed: true
            },
            "port {port}"
        );
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(4),
            "port {port}: closed after {waited:?}"
        );
    }
}
