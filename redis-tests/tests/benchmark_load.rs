//! `redis-benchmark` against zedis, bounded: the default test set, then pipelined (`-P 16`)
//! and with 500 connections (`-c 500`). Every test must complete, with no error line.
//! Throughput is not judged here (see the comparison script and `docs/benchmarks.md`).

use std::process::Command;

use redis_tests::servers::Zedis;

/// The tests `redis-benchmark` runs when no `-t` is given.
const DEFAULT_TESTS: &[&str] = &[
    "PING_INLINE",
    "PING_MBULK",
    "SET",
    "GET",
    "INCR",
    "LPUSH",
    "RPUSH",
    "LPOP",
    "RPOP",
    "SADD",
    "HSET",
    "SPOP",
    "ZADD",
    "ZPOPMIN",
    "LPUSH (needed to benchmark LRANGE)",
    "LRANGE_100 (first 100 elements)",
    "LRANGE_300 (first 300 elements)",
    "LRANGE_500 (first 500 elements)",
    "LRANGE_600 (first 600 elements)",
    "MSET (10 keys)",
];

/// Runs `redis-benchmark -q` with `args` and returns the result lines, checking that each
/// default test reports a rate and nothing reports an error.
fn benchmark(port: u16, args: &[&str]) -> Vec<String> {
    let output = Command::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-q"])
        .args(args)
        .output()
        .expect("redis-benchmark runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout).replace('\r', "\n")
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        !text.contains("ERR") && !text.contains("Error") && !text.contains("error"),
        "{args:?}:\n{text}"
    );
    let results: Vec<String> = text
        .lines()
        .filter(|l| l.contains("requests per second"))
        .map(str::to_string)
        .collect();
    for test in DEFAULT_TESTS {
        assert!(
            results.iter().any(|l| l.starts_with(&format!("{test}: "))),
            "{args:?}: no result for {test}:\n{text}"
        );
    }
    results
}

#[test]
fn default_run_completes() {
    let zedis = Zedis::with_debug_command(&[]);
    assert_eq!(
        benchmark(zedis.port, &["-n", "2000"]).len(),
        DEFAULT_TESTS.len()
    );
}

#[test]
fn pipelined_run_completes() {
    let zedis = Zedis::with_debug_command(&[]);
    benchmark(zedis.port, &["-n", "20000", "-P", "16"]);
}

#[test]
fn five_hundred_clients_complete() {
    // Client and server sockets both live in this process: 1000 descriptors and more.
    let (_, hard) =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).expect("limits");
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, hard, hard)
        .expect("raise the descriptor limit");
    let zedis = Zedis::with_debug_command(&[]);
    benchmark(zedis.port, &["-n", "5000", "-c", "500"]);
}
