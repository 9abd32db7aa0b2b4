//! The comparison report: the same `redis-benchmark` loads, a `DEBUG POPULATE` memory fill and
//! an overfilled `maxmemory` run against the reference redis-server 7.0 and zedis, one after
//! the other in one run, printed as markdown (`scripts/compare.sh` writes it to
//! `docs/benchmarks.md`).
//!
//! Usage: `compare <path to a release zedis-server> [--quick]`. `--quick` uses small counts,
//! to check the script itself.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redis_tests::bench::{Result, Server, median, run_benchmark};
use redis_tests::raw::RawConnection;

/// Runs each test of `tests` on its own so the server's CPU time can be attributed to it.
fn bench(server: &Server, tests: &[&str], args: &[&str]) -> Vec<Result> {
    let requests = arg_value(args, "-n") as f64;
    tests
        .iter()
        .filter_map(|test| {
            let mut run_args = vec!["-t", test];
            run_args.extend_from_slice(args);
            run_benchmark(server, &run_args, requests)
        })
        .collect()
}

fn arg_value(args: &[&str], flag: &str) -> u64 {
    args.iter()
        .position(|a| *a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Per test, the median of each figure over several runs.
fn medians(runs: &[Vec<Result>]) -> Vec<Result> {
    let first = runs.first().map_or(&[][..], |r| r.as_slice());
    first
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let pick = |f: fn(&Result) -> f64| median(runs.iter().map(|run| f(&run[i])).collect());
            Result {
                test: r.test.clone(),
                rps: pick(|r| r.rps),
                p50: pick(|r| r.p50),
                p99: pick(|r| r.p99),
                cpu_us: pick(|r| r.cpu_us),
            }
        })
        .collect()
}

fn table(out: &mut String, title: &str, redis: &[Result], zedis: &[Result]) {
    let _ = writeln!(out, "\n### {title}\n");
    let _ = writeln!(
        out,
        "| test | Redis ops/s | zedis ops/s | ops/s ratio | Redis p50/p99 ms | zedis p50/p99 ms | Redis CPU µs/req | zedis CPU µs/req | CPU ratio |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (r, z) in redis.iter().zip(zedis) {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {:.2} | {:.3} / {:.3} | {:.3} / {:.3} | {:.2} | {:.2} | {:.2} |",
            r.test,
            r.rps,
            z.rps,
            z.rps / r.rps.max(1.0),
            r.p50,
            r.p99,
            z.p50,
            z.p99,
            r.cpu_us,
            z.cpu_us,
            z.cpu_us / r.cpu_us.max(1e-9)
        );
    }
}

/// `DEBUG POPULATE n key 10` on a fresh server: bytes of used_memory and RSS per key.
fn populate(server: &Server, keys: u64) -> (f64, f64, u64, u64) {
    let used_before = server.info_field("memory", "used_memory");
    let reply = server.call(&["DEBUG", "POPULATE", &keys.to_string(), "key", "10"]);
    assert!(reply.starts_with("+OK"), "{}: {reply}", server.name);
    std::thread::sleep(Duration::from_millis(300));
    let used = server.info_field("memory", "used_memory");
    let rss = server.info_field("memory", "used_memory_rss");
    (
        (used - used_before) as f64 / keys as f64,
        rss as f64 / keys as f64,
        used,
        rss,
    )
}

/// What an overfill run saw.
struct Overfill {
    /// used_memory sampled every 100 ms.
    samples: Vec<u64>,
    evicted: u64,
    sets_per_second: f64,
}

/// Writes far more than `maxmemory` under allkeys-lru while sampling used_memory every 100 ms.
fn overfill(server: &Server, requests: u64) -> Overfill {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let port = server.port;
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            let mut connection = RawConnection::connect(port);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let reply = connection.call(&[b"INFO", b"memory"]);
                let text = String::from_utf8_lossy(&reply);
                if let Some(used) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("used_memory:"))
                    .and_then(|v| v.trim().parse::<u64>().ok())
                {
                    samples.push(used);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            samples
        })
    };
    let started = Instant::now();
    let output = Command::new("redis-benchmark")
        .args([
            "-p",
            &port.to_string(),
            "-q",
            "-t",
            "set",
            "-d",
            "100",
            "-r",
            "5000000",
        ])
        .args(["-n", &requests.to_string(), "-P", "16"])
        .output()
        .expect("redis-benchmark runs");
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let samples = sampler.join().expect("sampler");
    assert!(output.status.success());
    Overfill {
        samples,
        evicted: server.info_field("stats", "evicted_keys"),
        sets_per_second: requests as f64 / elapsed,
    }
}

/// `redis-cli --lru-test keys` for `seconds`: the mean Gets/sec and hit ratio over the last
/// five one-second reports (the first ones are warm-up).
fn lru_test(server: &Server, keys: u64, seconds: u64) -> (f64, f64) {
    let mut child = Command::new("stdbuf")
        .args([
            "-oL",
            "redis-cli",
            "-p",
            &server.port.to_string(),
            "--lru-test",
            &keys.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-cli runs");
    std::thread::sleep(Duration::from_secs(seconds));
    let _ = child.kill();
    let output = child.wait_with_output().expect("output");
    let text = String::from_utf8_lossy(&output.stdout);
    let reports: Vec<(f64, f64)> = text
        .lines()
        .filter_map(|line| {
            let gets = line.split_whitespace().next()?.parse::<f64>().ok()?;
            let hits = line
                .split('(')
                .nth(1)?
                .split('%')
                .next()?
                .parse::<f64>()
                .ok()?;
            Some((gets, hits))
        })
        .collect();
    let last = &reports[reports.len().saturating_sub(5)..];
    let n = last.len().max(1) as f64;
    (
        last.iter().map(|r| r.0).sum::<f64>() / n,
        last.iter().map(|r| r.1).sum::<f64>() / n,
    )
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = Command::new("uname")
        .arg("-r")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let redis = Command::new("redis-server")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, Linux {kernel}; {redis}")
}

/// Starts `program` fresh, measures with `run`, and stops it.
fn measure<T>(name: &'static str, program: &str, extra: &[&str], run: impl Fn(&Server) -> T) -> T {
    let server = Server::start(name, program, extra);
    run(&server)
}

/// Runs `run` on a fresh Redis and a fresh zedis `runs` times each, alternating which goes
/// first, so slow drift of the machine falls on both.
fn alternate<T>(
    runs: usize,
    zedis: &str,
    extra: &[&str],
    run: impl Fn(&Server) -> T,
) -> (Vec<T>, Vec<T>) {
    let (mut redis_runs, mut zedis_runs) = (Vec::new(), Vec::new());
    for i in 0..runs {
        if i % 2 == 0 {
            redis_runs.push(measure("redis", "redis-server", extra, &run));
            zedis_runs.push(measure("zedis", zedis, extra, &run));
        } else {
            zedis_runs.push(measure("zedis", zedis, extra, &run));
            redis_runs.push(measure("redis", "redis-server", extra, &run));
        }
    }
    (redis_runs, zedis_runs)
}

/// The function library of the `FCALL` load: one function that runs the same `SET`.
const BENCH_LIBRARY: &str = "#!lua name=bench\nredis.register_function('set_it', \
                             function(keys, args) return redis.call('set', keys[1], args[1]) end)";

/// The scripting loads: `EVAL` of a script that runs one `SET`, `EVALSHA` of the same script
/// (loaded first with `SCRIPT LOAD`), and `FCALL` of a function that runs it, alternating by
/// run which server goes first.
fn alternate_scripts(
    runs: usize,
    zedis: &str,
    script: &str,
    config: &[&str],
) -> (Vec<Vec<Result>>, Vec<Vec<Result>>) {
    let requests = arg_value(config, "-n") as f64;
    let measure = |server: &Server| -> Vec<Result> {
        // The reply is a bulk string: `$40`, then the SHA1.
        let reply = server.call(&["SCRIPT", "LOAD", script]);
        let sha = reply.lines().nth(1).unwrap_or_default().to_string();
        assert_eq!(sha.len(), 40, "SCRIPT LOAD on {}: {reply}", server.name);
        let loaded = server.call(&["FUNCTION", "LOAD", BENCH_LIBRARY]);
        assert!(
            loaded.contains("bench"),
            "FUNCTION LOAD on {}: {loaded}",
            server.name
        );
        let mut results = Vec::new();
        for (label, command) in [("EVAL", "eval"), ("EVALSHA", "evalsha"), ("FCALL", "fcall")] {
            let body = match command {
                "eval" => script,
                "evalsha" => sha.as_str(),
                _ => "set_it",
            };
            let mut args: Vec<&str> = config.to_vec();
            args.extend([command, body, "1", "key:__rand_int__", "v"]);
            if let Some(mut result) = run_benchmark(server, &args, requests) {
                result.test = label.to_string();
                results.push(result);
            }
        }
        results
    };
    let (mut redis_runs, mut zedis_runs) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let redis = Server::start("redis", "redis-server", &[]);
        let zedis = Server::start("zedis", zedis, &[]);
        if i % 2 == 0 {
            redis_runs.push(measure(&redis));
            zedis_runs.push(measure(&zedis));
        } else {
            zedis_runs.push(measure(&zedis));
            redis_runs.push(measure(&redis));
        }
    }
    (redis_runs, zedis_runs)
}

/// Waits until `replica` is linked to its master and has applied everything the master
/// produced.
fn wait_caught_up(master: &Server, replica: &Server) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let up = replica.call(&["INFO", "replication"]);
        let offset = master.info_field("replication", "master_repl_offset");
        if up.contains("master_link_status:up")
            && up.contains(&format!("slave_repl_offset:{offset}\r\n"))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} replica caught up",
            replica.name
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What one replication run measured: the master's loads with a replica attached, and the
/// seconds a full synchronisation of the filled master took.
struct ReplicationRun {
    results: Vec<Result>,
    sync_seconds: f64,
}

/// A master with one replica of its own kind (Redis's diskless transfer starting at once, its
/// 7.0 default save for the delay): `tests` against the master, then `keys` keys of 100 bytes
/// filled and a full synchronisation timed from `REPLICAOF` to the replica having applied the
/// whole stream.
fn replication_run(
    name: &'static str,
    program: &str,
    tests: &[&str],
    config: &[&str],
    keys: u64,
) -> ReplicationRun {
    let extra = ["--repl-diskless-sync-delay", "0"];
    let master = Server::start(name, program, &extra);
    let replica = Server::start(name, program, &extra);
    let port = master.port.to_string();
    assert!(
        replica
            .call(&["REPLICAOF", "127.0.0.1", &port])
            .starts_with("+OK")
    );
    wait_caught_up(&master, &replica);
    let results = bench(&master, tests, config);
    wait_caught_up(&master, &replica);
    let filled = master.call(&["DEBUG", "POPULATE", &keys.to_string(), "key", "100"]);
    assert!(filled.starts_with("+OK"), "{name}: {filled}");
    // A replica that was promoted has a history of its own: following again is a full sync.
    assert!(replica.call(&["REPLICAOF", "NO", "ONE"]).starts_with("+OK"));
    let started = Instant::now();
    assert!(
        replica
            .call(&["REPLICAOF", "127.0.0.1", &port])
            .starts_with("+OK")
    );
    wait_caught_up(&master, &replica);
    let sync_seconds = started.elapsed().as_secs_f64();
    assert_eq!(replica.call(&["DBSIZE"]), master.call(&["DBSIZE"]));
    ReplicationRun {
        results,
        sync_seconds,
    }
}

/// Runs each of `tests` on a fresh Redis and a fresh zedis `runs` times, both servers started
/// together for a run and the tests interleaved one by one (which server goes first alternates
/// by test and by run), so that the two figures of a test are taken seconds apart: this
/// machine's speed drifts by 10–15 % over tens of seconds, longer than one test and shorter
/// than a run of nineteen.
fn alternate_tests(
    runs: usize,
    zedis: &str,
    tests: &[&str],
    config: &[&str],
    server_args: &[&str],
) -> (Vec<Vec<Result>>, Vec<Vec<Result>>) {
    let (mut redis_runs, mut zedis_runs) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let redis = Server::start("redis", "redis-server", server_args);
        let zedis = Server::start("zedis", zedis, server_args);
        let (mut redis_results, mut zedis_results) = (Vec::new(), Vec::new());
        for (j, test) in tests.iter().enumerate() {
            if (i + j) % 2 == 0 {
                redis_results.extend(bench(&redis, &[*test], config));
                zedis_results.extend(bench(&zedis, &[*test], config));
            } else {
                zedis_results.extend(bench(&zedis, &[*test], config));
                redis_results.extend(bench(&redis, &[*test], config));
            }
        }
        redis_runs.push(redis_results);
        zedis_runs.push(zedis_results);
    }
    (redis_runs, zedis_runs)
}

/// Like [`alternate_tests`], but on one Redis and one zedis kept running across every run, as
/// servers live in production: one discarded pass of every test warms them first (allocator
/// caches, table sizes, page faults), then the runs follow on the same two processes.
fn warm_tests(
    runs: usize,
    zedis: &str,
    tests: &[&str],
    config: &[&str],
) -> (Vec<Vec<Result>>, Vec<Vec<Result>>) {
    let redis = Server::start("redis", "redis-server", &[]);
    let zedis = Server::start("zedis", zedis, &[]);
    bench(&redis, tests, config);
    bench(&zedis, tests, config);
    let (mut redis_runs, mut zedis_runs) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let (mut redis_results, mut zedis_results) = (Vec::new(), Vec::new());
        for (j, test) in tests.iter().enumerate() {
            if (i + j) % 2 == 0 {
                redis_results.extend(bench(&redis, &[*test], config));
                zedis_results.extend(bench(&zedis, &[*test], config));
            } else {
                zedis_results.extend(bench(&zedis, &[*test], config));
                redis_results.extend(bench(&redis, &[*test], config));
            }
        }
        redis_runs.push(redis_results);
        zedis_runs.push(zedis_results);
    }
    (redis_runs, zedis_runs)
}

const ALL_TESTS: [&str; 19] = [
    "ping_inline",
    "ping_mbulk",
    "set",
    "get",
    "incr",
    "lpush",
    "rpush",
    "lpop",
    "rpop",
    "sadd",
    "hset",
    "spop",
    "zadd",
    "zpopmin",
    "lrange_100",
    "lrange_300",
    "lrange_500",
    "lrange_600",
    "mset",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let zedis = args
        .get(1)
        .expect("usage: compare <zedis-server binary> [--quick]")
        .as_str();
    let quick = args.iter().any(|a| a == "--quick");
    // (runs per server of the redis-benchmark loads and of the other measurements, requests of
    // the default-test loads, pipelined requests, keys filled, overfill requests, lru-test
    // seconds)
    let (bench_runs, runs, n, n_pipelined, keys, overfill_requests, lru_seconds) = if quick {
        (2, 2, "10000", "40000", 100_000u64, 300_000u64, 4u64)
    } else {
        (6, 4, "100000", "400000", 1_000_000, 3_000_000, 10)
    };
    // Runs and requests of the AOF loads (as the AOF issue's yardstick: 200 000 requests).
    let (aof_runs, n_aof) = if quick { (1, "10000") } else { (6, "200000") };
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks: zedis against Redis 7.0.15\n");
    let _ = writeln!(
        out,
        "Produced by `scripts/compare.sh{}` (`redis-tests/src/bin/compare.rs`): both servers \
         on this machine in one run, each measurement on a fresh process with no persistence \
         except the warm table, whose two processes live across its runs; zedis as the release \
         build. Machine: {}.\n",
        if quick { " --quick" } else { "" },
        machine()
    );
    let _ = writeln!(
        out,
        "Every figure is the **median of {bench_runs} runs per server** for the \
         `redis-benchmark` loads and of {runs} for the other measurements. For the \
         `redis-benchmark` loads both servers are started fresh for each run and the tests \
         alternate one by one \
         (which server goes first alternates by test and by run), so that the two figures of a \
         test are taken seconds apart; the other measurements alternate run by run, each on a \
         fresh process. Ratios are zedis over \
         Redis: above 1 is better for ops/s, below 1 is better for CPU. CPU per request is the \
         server's user + system time over the test divided by its requests, read in nanoseconds \
         from the scheduler (`/proc/PID/task/*/schedstat`) rather than in the 10 ms ticks of \
         `/proc/PID/stat` (LRANGE tests include the LPUSH that fills their list). Without \
         pipelining `redis-benchmark` itself saturates one of the two cores, so there CPU per \
         request is the fair yardstick."
    );

    let loads: [(&str, Vec<&str>, Vec<&str>); 4] = [
        (
            "Pipelined SET/GET",
            vec!["set", "get"],
            vec!["-n", n_pipelined, "-c", "50", "-P", "16"],
        ),
        (
            "SET/GET without pipelining",
            vec!["set", "get"],
            vec!["-n", n, "-c", "50"],
        ),
        (
            "Every default test",
            ALL_TESTS.to_vec(),
            vec!["-n", n, "-c", "50"],
        ),
        (
            "500 clients",
            vec!["set", "get"],
            vec!["-n", n, "-c", "500"],
        ),
    ];
    for (title, tests, config) in &loads {
        let (redis_runs, zedis_runs) = alternate_tests(bench_runs, zedis, tests, config, &[]);
        table(
            &mut out,
            &format!(
                "{title}: `redis-benchmark -t {} {}`",
                tests.join(","),
                config.join(" ")
            ),
            &medians(&redis_runs),
            &medians(&zedis_runs),
        );
    }

    // The same pipelined loads on long-lived servers: a fresh process pays for first-touch
    // page faults and growing tables that a server in production paid for long ago.
    let warm_tests_list = ["set", "get", "lpush", "hset"];
    let warm_config = ["-n", n_pipelined, "-c", "50", "-P", "16"];
    let (redis_runs, zedis_runs) = warm_tests(bench_runs, zedis, &warm_tests_list, &warm_config);
    table(
        &mut out,
        &format!(
            "Pipelined, warm (the same two processes across all {bench_runs} runs, after one \
             discarded pass): `redis-benchmark -t {} {}`",
            warm_tests_list.join(","),
            warm_config.join(" ")
        ),
        &medians(&redis_runs),
        &medians(&zedis_runs),
    );

    // The append-only file on: every write reaches the file before its reply (and under
    // `always` the disk), so the disk's sync time is part of what is measured.
    let aof_tests = ["set", "incr", "lpush"];
    let aof_config = ["-n", n_aof, "-c", "50"];
    for fsync in ["everysec", "always"] {
        let server_args = ["--appendonly", "yes", "--appendfsync", fsync];
        let (redis_runs, zedis_runs) =
            alternate_tests(aof_runs, zedis, &aof_tests, &aof_config, &server_args);
        table(
            &mut out,
            &format!(
                "AOF, `appendfsync {fsync}` (median of {aof_runs} runs per server): \
                 `redis-benchmark -t {} {}`",
                aof_tests.join(","),
                aof_config.join(" ")
            ),
            &medians(&redis_runs),
            &medians(&zedis_runs),
        );
    }

    // Scripts: the interpreter's cost per call on top of the command it runs.
    let script = "return redis.call('set',KEYS[1],ARGV[1])";
    let script_config = ["-n", n_aof, "-c", "50"];
    let (redis_runs, zedis_runs) = alternate_scripts(bench_runs, zedis, script, &script_config);
    table(
        &mut out,
        &format!(
            "Scripts (median of {bench_runs} runs per server): `redis-benchmark {} eval \"{script}\" 1 \
             key:__rand_int__ v`, the same with `evalsha`, and `fcall set_it 1 key:__rand_int__ v` \
             of a function running the same `SET`",
            script_config.join(" ")
        ),
        &medians(&redis_runs),
        &medians(&zedis_runs),
    );

    // Replication: the cost of feeding a replica, and a full synchronisation.
    let repl_config = ["-n", n_aof, "-c", "50"];
    let repl_tests = ["set", "lpush"];
    let (mut redis_repl, mut zedis_repl) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let redis = || replication_run("redis", "redis-server", &repl_tests, &repl_config, keys);
        let ours = || replication_run("zedis", zedis, &repl_tests, &repl_config, keys);
        if i % 2 == 0 {
            redis_repl.push(redis());
            zedis_repl.push(ours());
        } else {
            zedis_repl.push(ours());
            redis_repl.push(redis());
        }
    }
    let results = |runs: &[ReplicationRun]| {
        medians(&runs.iter().map(|r| r.results.clone()).collect::<Vec<_>>())
    };
    table(
        &mut out,
        &format!(
            "Replication (median of {runs} runs per server): a master with one replica of its own \
             kind, `redis-benchmark -t {} {}` against the master (the master's CPU)",
            repl_tests.join(","),
            repl_config.join(" ")
        ),
        &results(&redis_repl),
        &results(&zedis_repl),
    );
    let sync = |runs: &[ReplicationRun]| median(runs.iter().map(|r| r.sync_seconds).collect());
    let (redis_sync, zedis_sync) = (sync(&redis_repl), sync(&zedis_repl));
    let _ = writeln!(
        out,
        "\nFull synchronisation of `DEBUG POPULATE {keys} key 100`, from `REPLICAOF` to the \
         replica having applied the master's whole stream (median of {runs}; Redis sends its \
         snapshot diskless with `repl-diskless-sync-delay 0`, zedis saves it to disk first): \
         Redis {redis_sync:.2} s, zedis {zedis_sync:.2} s, ratio {:.2}.",
        zedis_sync / redis_sync
    );

    let _ = writeln!(out, "\n### Memory: `DEBUG POPULATE {keys} key 10`\n");
    let _ = writeln!(
        out,
        "used_memory per key counts the growth over the empty server; RSS per key is the whole \
         process's RSS over the keys. Medians of {runs} fills.\n"
    );
    let _ = writeln!(
        out,
        "| server | used_memory_startup | used_memory | bytes/key (used_memory) | RSS | bytes/key (RSS) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    let (redis_fills, zedis_fills) = alternate(runs, zedis, &[], |server| {
        let startup = server.info_field("memory", "used_memory_startup") as f64;
        let (per_key, rss_per_key, used, rss) = populate(server, keys);
        [startup, used as f64, per_key, rss as f64, rss_per_key]
    });
    let mut memory = Vec::new();
    for (name, fills) in [("Redis 7.0.15", &redis_fills), ("zedis", &zedis_fills)] {
        let figure = |i: usize| median(fills.iter().map(|f| f[i]).collect());
        memory.push([figure(0), figure(2), figure(4)]);
        let _ = writeln!(
            out,
            "| {name} | {:.0} | {:.0} | {:.1} | {:.0} | {:.1} |",
            figure(0),
            figure(1),
            figure(2),
            figure(3),
            figure(4)
        );
    }
    let _ = writeln!(
        out,
        "\nRatios: used_memory_startup {:.2}, used_memory per key {:.2}, RSS per key {:.2}.",
        memory[1][0] / memory[0][0],
        memory[1][1] / memory[0][1],
        memory[1][2] / memory[0][2]
    );

    let maxmemory: u64 = 50 << 20;
    let limits = ["--maxmemory", "50mb", "--maxmemory-policy", "allkeys-lru"];
    let _ = writeln!(
        out,
        "\n### Overfilled maxmemory: `--maxmemory 50mb --maxmemory-policy allkeys-lru`, \
         `redis-benchmark -t set -r 5000000 -d 100 -P 16 -n {overfill_requests}`\n"
    );
    let _ = writeln!(
        out,
        "used_memory sampled every 100 ms over every run; SET/s is the median.\n"
    );
    let _ = writeln!(
        out,
        "| server | samples | highest used_memory | highest / maxmemory | samples above maxmemory × 1.01 | evicted_keys (median) | SET/s |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let (redis_fills, zedis_fills) = alternate(runs, zedis, &limits, |server| {
        overfill(server, overfill_requests)
    });
    let mut rates = Vec::new();
    for (name, fills) in [("Redis 7.0.15", &redis_fills), ("zedis", &zedis_fills)] {
        let samples: Vec<u64> = fills.iter().flat_map(|f| f.samples.clone()).collect();
        let highest = samples.iter().copied().max().unwrap_or(0);
        let over = samples
            .iter()
            .filter(|&&s| s as f64 > maxmemory as f64 * 1.01)
            .count();
        let rate = median(fills.iter().map(|f| f.sets_per_second).collect());
        rates.push(rate);
        let _ = writeln!(
            out,
            "| {name} | {} | {highest} | {:.4} | {over} | {:.0} | {rate:.0} |",
            samples.len(),
            highest as f64 / maxmemory as f64,
            median(fills.iter().map(|f| f.evicted as f64).collect()),
        );
    }
    let _ = writeln!(out, "\nSET/s ratio: {:.2}.", rates[1] / rates[0]);

    let lru_keys = if quick { 100_000 } else { 1_000_000 };
    let _ = writeln!(
        out,
        "\n### `redis-cli --lru-test {lru_keys}` for {lru_seconds} s, \
         `--maxmemory 50mb --maxmemory-policy allkeys-lru`, maxmemory-samples 5 (both defaults)\n"
    );
    let _ = writeln!(
        out,
        "Each run's figure is the mean of its last five one-second reports; the table gives \
         medians over runs.\n"
    );
    let _ = writeln!(out, "| server | Gets/s | hit ratio |");
    let _ = writeln!(out, "|---|---:|---:|");
    let (redis_lru, zedis_lru) = alternate(runs, zedis, &limits, |server| {
        lru_test(server, lru_keys, lru_seconds)
    });
    for (name, results) in [("Redis 7.0.15", &redis_lru), ("zedis", &zedis_lru)] {
        let _ = writeln!(
            out,
            "| {name} | {:.0} | {:.2}% |",
            median(results.iter().map(|r| r.0).collect()),
            median(results.iter().map(|r| r.1).collect())
        );
    }
    print!("{out}");
}
