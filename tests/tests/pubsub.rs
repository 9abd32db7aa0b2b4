//! Pub/Sub through the `redis` crate: its RESP2 Pub/Sub API and RESP3 pushes, and the server
//! under bad subscribers: one that never reads (dropped at its output limit while the
//! publisher goes on), one holding 100 000 channels or patterns, a pattern that would
//! backtrack badly, and unsubscribing from what was never subscribed. After the clients leave,
//! the server's memory is back where it started.
//!
//! The servers run in this process and `used_memory` counts every allocation of it, so the
//! tests of this file run one at a time: another test's traffic would move the figure.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use redis::{PushKind, Value};
use zedis_tests::{TestServer, run};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn used_memory(connection: &mut redis::Connection) -> i64 {
    let info: String = run(connection, &["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .expect("used_memory")
        .trim()
        .parse()
        .expect("a number")
}

fn connected_clients(connection: &mut redis::Connection) -> i64 {
    let info: String = run(connection, &["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .expect("connected_clients")
        .trim()
        .parse()
        .expect("a number")
}

/// Waits until `check` holds, for at most 10 s.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_redis_crate_pubsub_api_receives_channel_and_pattern_messages() {
    let _serial = serial();
    let server = TestServer::start(&[]);
    let mut subscriber = server.connect();
    let mut publisher = server.connect();
    let mut pubsub = subscriber.as_pubsub();
    pubsub.subscribe("orders").expect("subscribe");
    pubsub.psubscribe("order*").expect("psubscribe");
    pubsub
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");

    let receivers: i64 = run(&mut publisher, &["PUBLISH", "orders", "book"]);
    assert_eq!(receivers, 2, "one channel and one pattern subscription");
    let first = pubsub.get_message().expect("message");
    assert_eq!(first.get_channel_name(), "orders");
    assert_eq!(first.get_payload::<String>().unwrap(), "book");
    assert!(!first.from_pattern());
    let second = pubsub.get_message().expect("pmessage");
    assert!(second.from_pattern());
    assert_eq!(second.get_pattern::<String>().unwrap(), "order*");
    assert_eq!(second.get_payload::<String>().unwrap(), "book");

    let numsub: Vec<Value> = run(&mut publisher, &["PUBSUB", "NUMSUB", "orders"]);
    assert_eq!(numsub[1], Value::Int(1));
    let numpat: i64 = run(&mut publisher, &["PUBSUB", "NUMPAT"]);
    assert_eq!(numpat, 1);

    pubsub.unsubscribe("orders").expect("unsubscribe");
    pubsub.punsubscribe("order*").expect("punsubscribe");
    drop(pubsub);
    let receivers: i64 = run(&mut publisher, &["PUBLISH", "orders", "pen"]);
    assert_eq!(receivers, 0);
    // Out of the subscribed context, the connection serves commands again.
    let pong: String = run(&mut subscriber, &["PING"]);
    assert_eq!(pong, "PONG");
}

#[test]
fn a_resp3_connection_receives_messages_as_pushes_between_replies() {
    let _serial = serial();
    let server = TestServer::start(&[]);
    let mut subscriber = server.connect_resp3();
    let (pushes, received) = mpsc::channel();
    subscriber.set_push_sender(pushes);
    subscriber.subscribe_resp3("news").expect("subscribe");
    let mut publisher = server.connect();
    let receivers: i64 = run(&mut publisher, &["PUBLISH", "news", "hello"]);
    assert_eq!(receivers, 1);
    // In RESP3 a subscribed connection still runs any command; the push is read before the
    // reply that follows it.
    let value: Option<String> = run(&mut subscriber, &["GET", "missing"]);
    assert_eq!(value, None);
    let mut kinds = Vec::new();
    while let Ok(push) = received.try_recv() {
        if push.kind == PushKind::Message {
            assert_eq!(
                push.data,
                vec![
                    Value::BulkString(b"news".to_vec()),
                    Value::BulkString(b"hello".to_vec())
                ]
            );
        }
        kinds.push(push.kind);
    }
    assert!(
        kinds.contains(&PushKind::Subscribe) && kinds.contains(&PushKind::Message),
        "{kinds:?}"
    );
}

#[test]
fn a_subscriber_that_never_reads_is_dropped_and_the_publisher_never_waits() {
    let _serial = serial();
    let server = TestServer::start(&["--client-output-buffer-limit", "pubsub 1mb 0 0"]);
    let mut control = server.connect();
    let before = used_memory(&mut control);
    let mut stalled = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    stalled
        .write_all(b"*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nfeeds\r\n")
        .expect("subscribe");
    let mut confirmation = [0u8; 64];
    let n = stalled.read(&mut confirmation).expect("confirmation");
    assert!(confirmation[..n].starts_with(b"*3\r\n$9\r\nsubscribe"));
    // From here it never reads. 64 MB of messages: far past the socket's buffers and the
    // 1 MB limit.
    let payload = "p".repeat(64 * 1024);
    let mut publisher = server.connect();
    let started = Instant::now();
    let mut delivered = 0;
    for _ in 0..1024 {
        let receivers: i64 = run(&mut publisher, &["PUBLISH", "feeds", &payload]);
        delivered += receivers;
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "publishing stalled: {:?}",
        started.elapsed()
    );
    assert!(delivered < 1024, "the subscriber was never dropped");
    eventually("the stalled subscriber is closed", || {
        connected_clients(&mut control) == 2
    });
    let numsub: Vec<Value> = run(&mut control, &["PUBSUB", "NUMSUB", "feeds"]);
    assert_eq!(numsub[1], Value::Int(0));
    let after = used_memory(&mut control);
    assert!(
        after < before + 4 * 1024 * 1024,
        "memory stayed bounded: {before} -> {after}"
    );
}

fn memory_field(connection: &mut redis::Connection, field: &str) -> i64 {
    let info: String = run(connection, &["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} in INFO memory"))
        .trim()
        .parse()
        .expect("a number")
}

#[test]
fn output_held_for_a_slow_subscriber_counts_as_client_memory_until_it_leaves() {
    let _serial = serial();
    let server = TestServer::start(&["--client-output-buffer-limit", "pubsub 0 0 0"]);
    let mut control = server.connect();
    let mut stalled = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    stalled
        .write_all(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n")
        .expect("subscribe");
    let mut confirmation = [0u8; 33];
    stalled.read_exact(&mut confirmation).expect("confirmation");
    assert_eq!(
        &confirmation,
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nslow\r\n:1\r\n"
    );
    let before = memory_field(&mut control, "mem_clients_normal");
    // 32 MB for a subscriber that reads nothing: most of it waits in the server.
    let payload = "q".repeat(1024 * 1024);
    for _ in 0..32 {
        let receivers: i64 = run(&mut control, &["PUBLISH", "slow", &payload]);
        assert_eq!(
            receivers, 1,
            "no limit for this class: the subscriber stays"
        );
    }
    eventually("the held output is counted in mem_clients_normal", || {
        memory_field(&mut control, "mem_clients_normal") > before + 16 * 1024 * 1024
    });
    let list: String = run(&mut control, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    let omem: i64 = list
        .split(' ')
        .find_map(|f| f.strip_prefix("omem="))
        .expect("omem")
        .parse()
        .expect("a number");
    assert!(omem > 16 * 1024 * 1024, "CLIENT LIST omem={omem}");
    drop(stalled);
    eventually("the subscriber's memory is given back", || {
        memory_field(&mut control, "mem_clients_normal") < before + 1024 * 1024
    });
}

#[test]
fn a_hundred_thousand_subscriptions_keep_the_server_responsive_and_leave_no_memory_behind() {
    let _serial = serial();
    let server = TestServer::start(&[]);
    let mut control = server.connect();
    let before = used_memory(&mut control);
    for command in ["SUBSCRIBE", "PSUBSCRIBE"] {
        let mut subscriber = server.connect();
        let mut pubsub = subscriber.as_pubsub();
        let names: Vec<String> = (0..100_000).map(|i| format!("ch:{i}:*")).collect();
        let started = Instant::now();
        for chunk in names.chunks(10_000) {
            match command {
                "SUBSCRIBE" => pubsub.subscribe(chunk).expect("subscribe"),
                _ => pubsub.psubscribe(chunk).expect("psubscribe"),
            }
        }
        // Another client is served meanwhile, and the counts are right.
        let pong: String = run(&mut control, &["PING"]);
        assert_eq!(pong, "PONG");
        let info: String = run(&mut control, &["INFO", "stats"]);
        let field = match command {
            "SUBSCRIBE" => "pubsub_channels:100000",
            _ => "pubsub_patterns:100000",
        };
        assert!(info.contains(field), "{field} in {info}");
        let receivers: i64 = run(&mut control, &["PUBLISH", "ch:99999:*", "x"]);
        assert_eq!(receivers, 1);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{command} of 100 000 took {:?}",
            started.elapsed()
        );
        drop(pubsub);
        drop(subscriber);
        eventually("the subscriber is gone", || {
            connected_clients(&mut control) == 1
        });
    }
    let channels: Vec<String> = run(&mut control, &["PUBSUB", "CHANNELS"]);
    assert!(channels.is_empty());
    let after = used_memory(&mut control);
    assert!(
        after < before + 256 * 1024,
        "memory returned to its start: {before} -> {after}"
    );
}

#[test]
fn a_pattern_that_would_backtrack_badly_is_matched_quickly() {
    let _serial = serial();
    let server = TestServer::start(&[]);
    let mut subscriber = server.connect();
    let mut pubsub = subscriber.as_pubsub();
    let pattern = format!("{}b", "a*".repeat(500));
    pubsub.psubscribe(&pattern).expect("psubscribe");
    let mut publisher = server.connect();
    let channel = "a".repeat(20_000);
    let started = Instant::now();
    for _ in 0..10 {
        let receivers: i64 = run(&mut publisher, &["PUBLISH", &channel, "x"]);
        assert_eq!(receivers, 0);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "matching took {:?}",
        started.elapsed()
    );
    let receivers: i64 = run(&mut publisher, &["PUBLISH", &format!("{channel}b"), "x"]);
    assert_eq!(receivers, 1);
}

#[test]
fn unsubscribing_from_what_was_never_subscribed_confirms_zero_and_keeps_no_state() {
    let _serial = serial();
    let server = TestServer::start(&[]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
        .write_all(b"UNSUBSCRIBE a b\r\nPUNSUBSCRIBE p*\r\nSUNSUBSCRIBE\r\nPING\r\n")
        .expect("write");
    let expected: &[u8] = b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n\
        *3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n\
        *3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n\
        *3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n\
        +PONG\r\n";
    let mut received = Vec::new();
    let mut buf = [0u8; 512];
    while received.len() < expected.len() {
        let n = stream.read(&mut buf).expect("reply");
        assert!(n > 0, "closed early");
        received.extend_from_slice(&buf[..n]);
    }
    assert_eq!(received, expected);
    let mut control = server.connect();
    let channels: Vec<String> = run(&mut control, &["PUBSUB", "CHANNELS"]);
    assert!(channels.is_empty());
    let numpat: i64 = run(&mut control, &["PUBSUB", "NUMPAT"]);
    assert_eq!(numpat, 0);
}
