//! Pub/Sub fan-out, zedis against Redis 7.0.15 in one run: one publisher sends pipelined
//! `PUBLISH`es of 64-byte messages to one channel with 1, 100 and 1 000 subscribers on it,
//! and to a channel 100 subscribers match by pattern. Reported per server: messages delivered
//! per second (publish start to the last byte received by every subscriber) and server CPU per
//! delivered message. Printed as markdown (`scripts/pubsub-bench.sh` writes it to
//! `docs/pubsub.md`).
//!
//! `redis-benchmark` has no subscriber side, so the subscribers are here: non-blocking sockets
//! read by tasks of one current-thread tokio runtime (epoll), which keeps the load generator's
//! share of the two cores small and the same for both servers.
//!
//! Usage: `pubsub_bench <zedis-server binary> [--quick]`.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use redis_tests::bench::{Server, median};
use tokio::io::AsyncReadExt;

/// The bytes of each message's payload.
const PAYLOAD: usize = 64;
/// Messages delivered per measured run (publishes × subscribers).
const DELIVERIES: usize = 1_000_000;
/// Publishes in flight before the publisher reads their replies.
const PIPELINE: usize = 64;

struct Case {
    title: &'static str,
    subscribers: usize,
    /// Subscribe to `news.*` by pattern instead of `news.sport` by name.
    pattern: bool,
}

const CASES: &[Case] = &[
    Case {
        title: "1 subscriber",
        subscribers: 1,
        pattern: false,
    },
    Case {
        title: "100 subscribers",
        subscribers: 100,
        pattern: false,
    },
    Case {
        title: "1 000 subscribers",
        subscribers: 1000,
        pattern: false,
    },
    Case {
        title: "100 pattern subscribers",
        subscribers: 100,
        pattern: true,
    },
];

fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Opens `n` subscriber connections and waits for each confirmation.
fn subscribe(server: &Server, case: &Case) -> Vec<TcpStream> {
    let (verb, name): (&[u8], &[u8]) = if case.pattern {
        (b"PSUBSCRIBE", b"news.*")
    } else {
        (b"SUBSCRIBE", b"news.sport")
    };
    (0..case.subscribers)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
            stream
                .write_all(&command(&[verb, name]))
                .expect("subscribe");
            let mut confirmation = [0u8; 128];
            let n = stream.read(&mut confirmation).expect("confirmation");
            assert!(
                confirmation[..n].ends_with(b":1\r\n"),
                "{}: {}",
                server.name,
                String::from_utf8_lossy(&confirmation[..n])
            );
            stream
        })
        .collect()
}

/// The bytes one delivered message takes on a subscriber's socket.
fn message_len(case: &Case) -> usize {
    let channel = b"news.sport".len();
    let bulk = |n: usize| 1 + n.to_string().len() + 2 + n + 2;
    if case.pattern {
        4 + bulk(8) + bulk(b"news.*".len()) + bulk(channel) + bulk(PAYLOAD)
    } else {
        4 + bulk(7) + bulk(channel) + bulk(PAYLOAD)
    }
}

/// One measured run: returns (deliveries per second, server CPU ns per delivery).
fn run(server: &Server, case: &Case, deliveries: usize) -> (f64, f64) {
    let subscribers = subscribe(server, case);
    let publishes = deliveries / case.subscribers;
    let expected = publishes * message_len(case);
    let readers = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let tasks: Vec<_> = subscribers
                .into_iter()
                .map(|stream| {
                    stream.set_nonblocking(true).expect("non-blocking");
                    let mut stream = tokio::net::TcpStream::from_std(stream).expect("tokio");
                    tokio::spawn(async move {
                        let mut received = 0;
                        let mut buf = vec![0u8; 64 * 1024];
                        while received < expected {
                            let n = stream.read(&mut buf).await.expect("read");
                            assert!(n > 0, "subscriber closed after {received} bytes");
                            received += n;
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("subscriber task");
            }
        });
    });
    let payload = vec![b'm'; PAYLOAD];
    let request = command(&[b"PUBLISH", b"news.sport", &payload]);
    let reply = format!(":{}\r\n", case.subscribers).into_bytes();
    let mut publisher = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    let cpu_before = server.cpu_ns();
    let started = Instant::now();
    let mut sent = 0;
    let mut replies = vec![0u8; PIPELINE * reply.len()];
    while sent < publishes {
        let batch = PIPELINE.min(publishes - sent);
        publisher
            .write_all(&request.repeat(batch))
            .expect("publish");
        publisher
            .read_exact(&mut replies[..batch * reply.len()])
            .expect("replies");
        assert!(
            replies[..batch * reply.len()]
                .chunks(reply.len())
                .all(|r| r == reply),
            "{}: every publish reaches every subscriber",
            server.name
        );
        sent += batch;
    }
    readers.join().expect("subscribers received everything");
    let elapsed = started.elapsed();
    let cpu_ns = server.cpu_ns() - cpu_before;
    let delivered = (publishes * case.subscribers) as f64;
    (delivered / elapsed.as_secs_f64(), cpu_ns as f64 / delivered)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let zedis = args
        .get(1)
        .expect("usage: pubsub_bench <zedis-server binary> [--quick]")
        .as_str();
    let quick = args.iter().any(|a| a == "--quick");
    let runs = if quick { 1 } else { 3 };
    let deliveries = if quick { DELIVERIES / 10 } else { DELIVERIES };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Pub/Sub fan-out: zedis against Redis 7.0.15\n\n\
         Produced by `scripts/pubsub-bench.sh{}` (`redis-tests/src/bin/pubsub_bench.rs`): both \
         servers on this machine in one run, fresh processes with no persistence, zedis as the \
         release build. One publisher sends `PUBLISH news.sport <{PAYLOAD} bytes>` pipelined \
         {PIPELINE} deep until {deliveries} messages are delivered; the subscribers read on \
         one epoll thread. Delivered/s counts from the first publish to the last byte every \
         subscriber receives; CPU per message is the server's user + system time over that \
         time (`/proc/PID/task/*/schedstat`) divided by the messages delivered. Medians of \
         {runs} runs per server, fresh servers each run, the order alternating. Ratios are \
         zedis over Redis: above 1 is better for delivered/s, below 1 for CPU.\n",
        if quick { " --quick" } else { "" },
    );
    let _ = writeln!(
        out,
        "| subscribers | Redis delivered/s | zedis delivered/s | ratio | Redis CPU ns/msg | zedis CPU ns/msg | CPU ratio |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    for case in CASES {
        let (mut redis_runs, mut zedis_runs) = (Vec::new(), Vec::new());
        for run_index in 0..runs {
            let redis = Server::start("redis", "redis-server", &[]);
            let zedis = Server::start("zedis", zedis, &[]);
            // Let both settle after start (zedis loads nothing, Redis may still log).
            std::thread::sleep(Duration::from_millis(200));
            if run_index % 2 == 0 {
                redis_runs.push(run(&redis, case, deliveries));
                zedis_runs.push(run(&zedis, case, deliveries));
            } else {
                zedis_runs.push(run(&zedis, case, deliveries));
                redis_runs.push(run(&redis, case, deliveries));
            }
        }
        let rate = |runs: &[(f64, f64)]| median(runs.iter().map(|r| r.0).collect());
        let cpu = |runs: &[(f64, f64)]| median(runs.iter().map(|r| r.1).collect());
        let (redis_rate, zedis_rate) = (rate(&redis_runs), rate(&zedis_runs));
        let (redis_cpu, zedis_cpu) = (cpu(&redis_runs), cpu(&zedis_runs));
        let _ = writeln!(
            out,
            "| {} | {redis_rate:.0} | {zedis_rate:.0} | {:.2} | {redis_cpu:.0} | {zedis_cpu:.0} | {:.2} |",
            case.title,
            zedis_rate / redis_rate.max(1.0),
            zedis_cpu / redis_cpu.max(1e-9),
        );
    }
    print!("{out}");
}
