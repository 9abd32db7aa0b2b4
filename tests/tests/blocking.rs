//! Blocking pops: clients wait on keys, are served in arrival order when a key gets elements,
//! time out, and cannot block inside a transaction.

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use redis::Value;
use zedis_tests::{TestServer, run};

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(server: &TestServer, n: usize) {
    let mut connection = server.connect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info: String = run(&mut connection, &["INFO", "clients"]);
        if info.contains(&format!("blocked_clients:{n}\r\n")) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {n} blocked clients: {info}"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_push_serves_waiters_first_come_first_served() {
    let server = TestServer::start(&[]);
    let mut waiters = Vec::new();
    for i in 0..2 {
        let mut connection = server.connect();
        waiters.push(thread::spawn(move || {
            let reply: Vec<String> = run(&mut connection, &["BLPOP", "empty", "queue", "0"]);
            (i, reply)
        }));
        // Each waiter must be queued before the next one arrives.
        wait_blocked(&server, i + 1);
    }
    let mut pusher = server.connect();
    // One push with two elements: the list is [b, a]; the first waiter gets b.
    let len: i64 = run(&mut pusher, &["LPUSH", "queue", "a", "b"]);
    assert_eq!(len, 2);
    let mut results: Vec<_> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
    results.sort();
    assert_eq!(results[0].1, vec!["queue", "b"]);
    assert_eq!(results[1].1, vec!["queue", "a"]);
    let exists: i64 = run(&mut pusher, &["EXISTS", "queue"]);
    assert_eq!(
        exists, 0,
        "both elements were consumed, so the list is gone"
    );
    wait_blocked(&server, 0);
}

#[test]
fn a_timeout_replies_null_after_the_wait() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let started = Instant::now();
    let reply: Value = run(&mut connection, &["BRPOP", "nothing", "0.2"]);
    let waited = started.elapsed();
    assert_eq!(reply, Value::Nil);
    assert!(
        waited >= Duration::from_millis(190),
        "returned after {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "returned after {waited:?}");
    // The connection works normally afterwards.
    let pong: String = run(&mut connection, &["PING"]);
    assert_eq!(pong, "PONG");
}

#[test]
fn blmove_chains_into_another_waiter() {
    let server = TestServer::start(&[]);
    let mut mover = server.connect();
    let moving = thread::spawn(move || {
        let moved: String = run(&mut mover, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]);
        moved
    });
    wait_blocked(&server, 1);
    let mut popper = server.connect();
    let popping = thread::spawn(move || {
        let popped: Vec<String> = run(&mut popper, &["BLPOP", "dst", "0"]);
        popped
    });
    wait_blocked(&server, 2);
    let mut pusher = server.connect();
    let _: i64 = run(&mut pusher, &["RPUSH", "src", "x"]);
    assert_eq!(moving.join().unwrap(), "x");
    assert_eq!(popping.join().unwrap(), vec!["dst", "x"]);
    let left: i64 = run(&mut pusher, &["EXISTS", "src", "dst"]);
    assert_eq!(left, 0);
}

#[test]
fn sorted_set_pops_block_too() {
    let server = TestServer::start(&[]);
    let mut waiter = server.connect();
    let waiting = thread::spawn(move || {
        let reply: Vec<String> = run(&mut waiter, &["BZPOPMIN", "z", "0"]);
        reply
    });
    wait_blocked(&server, 1);
    let mut adder = server.connect();
    let _: i64 = run(&mut adder, &["ZADD", "z", "2", "two", "1", "one"]);
    assert_eq!(waiting.join().unwrap(), vec!["z", "one", "1"]);
    let left: Vec<String> = run(&mut adder, &["ZRANGE", "z", "0", "-1"]);
    assert_eq!(left, vec!["two"]);
}

#[test]
fn requests_pipelined_after_a_blocking_one_wait_for_it() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let waiting = thread::spawn(move || {
        let replies: (Vec<String>, i64) = redis::pipe()
            .cmd("BLPOP")
            .arg("k")
            .arg("0")
            .cmd("LLEN")
            .arg("k")
            .query(&mut connection)
            .unwrap();
        replies
    });
    wait_blocked(&server, 1);
    let mut pusher = server.connect();
    let _: i64 = run(&mut pusher, &["RPUSH", "k", "first", "second"]);
    let (popped, len) = waiting.join().unwrap();
    assert_eq!(popped, vec!["k", "first"]);
    // LLEN ran after BLPOP was served, not before.
    assert_eq!(len, 1);
}

#[test]
fn client_unblock_ends_the_wait() {
    let server = TestServer::start(&[]);
    let mut waiter = server.connect();
    let id: i64 = run(&mut waiter, &["CLIENT", "ID"]);
    let waiting = thread::spawn(move || {
        let first: Value = run(&mut waiter, &["BLPOP", "k", "0"]);
        let second = redis::cmd("BLPOP")
            .arg("k")
            .arg("0")
            .query::<Value>(&mut waiter);
        (first, second)
    });
    let mut admin = server.connect();
    wait_blocked(&server, 1);
    let unblocked: i64 = run(&mut admin, &["CLIENT", "UNBLOCK", &id.to_string()]);
    assert_eq!(unblocked, 1);
    wait_blocked(&server, 1);
    let unblocked: i64 = run(&mut admin, &["CLIENT", "UNBLOCK", &id.to_string(), "ERROR"]);
    assert_eq!(unblocked, 1);
    let (first, second) = waiting.join().unwrap();
    assert_eq!(first, Value::Nil);
    let error = second.expect_err("unblocked with an error").to_string();
    assert!(
        error.contains("client unblocked via CLIENT UNBLOCK"),
        "{error}"
    );
    let again: i64 = run(&mut admin, &["CLIENT", "UNBLOCK", &id.to_string()]);
    assert_eq!(again, 0, "not blocked any more");
}

#[test]
fn a_disconnected_waiter_is_forgotten() {
    let server = TestServer::start(&[]);
    {
        let mut waiter = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        waiter
            .write_all(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")
            .unwrap();
        wait_blocked(&server, 1);
    }
    let mut connection = server.connect();
    wait_blocked(&server, 0);
    let _: i64 = run(&mut connection, &["RPUSH", "k", "kept"]);
    let len: i64 = run(&mut connection, &["LLEN", "k"]);
    assert_eq!(len, 1, "nobody took the element");
}
