//! The comparison report: the same `redis-benchmark` loads, a `DEBUG POPULATE` memory fill and
//! an overfilled `maxmemory` run against the reference redis-server 7.0 and zedis, one after
//! the other in one run, printed as markdown (`scripts/compare.sh` writes it to
//! `docs/benchmarks.md`).
//!
//! Usage: `compare <path to a release zedis-server> [--quick]`. `--quick` uses small counts,
//! to check the script itself.

use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis_tests::raw::RawConnection;
use redis_tests::servers::free_port;

/// A server process under comparison.
struct Server {
    name: &'static str,
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Server {
    fn start(name: &'static str, program: &str, extra: &[&str]) -> Server {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("zedis-compare-{name}-{port}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut args: Vec<String> = vec![
            "--port".into(),
            port.to_string(),
            "--save".into(),
            "".into(),
            "--appendonly".into(),
            "no".into(),
            "--dir".into(),
            dir.to_string_lossy().into_owned(),
            "--enable-debug-command".into(),
            "yes".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(program)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "{name} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server {
            name,
            child,
            port,
            dir,
        }
    }

    /// User plus system CPU time of the process so far (from /proc, in clock ticks).
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("process stat");
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let fields: Vec<&str> = stat[stat.rfind(')').expect("comm") + 2..]
            .split_whitespace()
            .collect();
        // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after `state`.
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
    }

    fn info_field(&self, section: &str, field: &str) -> u64 {
        let mut connection = RawConnection::connect(self.port);
        let reply = connection.call(&[b"INFO", section.as_bytes()]);
        let text = String::from_utf8_lossy(&reply);
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{} has no {field}", self.name))
    }

    fn call(&self, args: &[&str]) -> String {
        let mut connection = RawConnection::connect(self.port);
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&connection.call(&args)).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One `redis-benchmark` result line (`--csv`).
#[derive(Debug, Clone)]
struct Result {
    test: String,
    rps: f64,
    p50: f64,
    p99: f64,
    /// Server CPU per request, microseconds.
    cpu_us: f64,
}

/// Runs each test of `tests` on its own so the server's CPU time can be attributed to it.
fn bench(server: &Server, tests: &[&str], args: &[&str]) -> Vec<Result> {
    let ticks_per_second = nix_ticks();
    let mut results = Vec::new();
    for test in tests {
        let before = server.cpu_ticks();
        let output = Command::new("redis-benchmark")
            .args(["-p", &server.port.to_string(), "--csv", "-t", test])
            .args(args)
            .output()
            .expect("redis-benchmark runs");
        let ticks = server.cpu_ticks() - before;
        let text = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<Vec<String>> = text
            .lines()
            .skip(1)
            .map(|l| {
                l.split(',')
                    .map(|f| f.trim_matches('"').to_string())
                    .collect()
            })
            .collect();
        let requests: f64 = lines.len() as f64 * arg_value(args, "-n") as f64;
        // LRANGE tests first fill a list: its line is reported but CPU goes to the test.
        if let Some(fields) = lines.last() {
            results.push(Result {
                test: fields[0].clone(),
                rps: fields[1].parse().unwrap_or(0.0),
                p50: fields[4].parse().unwrap_or(0.0),
                p99: fields[6].parse().unwrap_or(0.0),
                cpu_us: ticks as f64 / ticks_per_second * 1e6 / requests,
            });
        }
    }
    results
}

fn arg_value(args: &[&str], flag: &str) -> u64 {
    args.iter()
        .position(|a| *a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
fn nix_ticks() -> f64 {
    let output = Command::new("getconf").arg("CLK_TCK").output();
    output
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn table(out: &mut String, title: &str, redis: &[Result], zedis: &[Result]) {
    let _ = writeln!(out, "\n### {title}\n");
    let _ = writeln!(
        out,
        "| test | Redis ops/s | zedis ops/s | ratio | Redis p50/p99 ms | zedis p50/p99 ms | Redis CPU µs/req | zedis CPU µs/req |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (r, z) in redis.iter().zip(zedis) {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {:.2} | {:.3} / {:.3} | {:.3} / {:.3} | {:.2} | {:.2} |",
            r.test,
            r.rps,
            z.rps,
            z.rps / r.rps.max(1.0),
            r.p50,
            r.p99,
            z.p50,
            z.p99,
            r.cpu_us,
            z.cpu_us
        );
    }
    let (rs, zs): (f64, f64) = (
        redis.iter().map(|r| r.rps).sum(),
        zedis.iter().map(|r| r.rps).sum(),
    );
    let _ = writeln!(out, "\nSum of ops/s ratio: {:.2}.", zs / rs.max(1.0));
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

/// Writes far more than `maxmemory` under allkeys-lru while sampling used_memory every 100 ms.
fn overfill(server: &Server, maxmemory: u64, requests: u64) -> (u64, f64, u64, f64) {
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
            "100000000",
        ])
        .args(["-n", &requests.to_string(), "-P", "16"])
        .output()
        .expect("redis-benchmark runs");
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let samples = sampler.join().expect("sampler");
    assert!(output.status.success());
    let peak = samples.iter().copied().max().unwrap_or(0);
    let over =
        samples.iter().filter(|&&s| s > maxmemory).count() as f64 / samples.len().max(1) as f64;
    let evicted = server.info_field("stats", "evicted_keys");
    (peak, over, evicted, requests as f64 / elapsed)
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let zedis_binary = args
        .get(1)
        .expect("usage: compare <zedis-server binary> [--quick]");
    let quick = args.iter().any(|a| a == "--quick");
    let (n, n_pipelined, keys, overfill_requests) = if quick {
        ("20000", "200000", 100_000, 200_000)
    } else {
        ("200000", "2000000", 1_000_000, 3_000_000)
    };
    let all_tests = [
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
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks: zedis against Redis 7.0.15\n");
    let _ = writeln!(
        out,
        "Produced by `scripts/compare.sh{}` (`redis-tests/src/bin/compare.rs`), both servers \
         on this machine in one run, one after the other, each a fresh process with no \
         persistence; zedis is the release build. Machine: {}.\n",
        if quick { " --quick" } else { "" },
        machine()
    );
    let _ = writeln!(
        out,
        "Ratios are zedis over Redis (above 1: zedis is faster). CPU per request is the \
         server's user + system time from `/proc/PID/stat` divided by the requests of that \
         test (10 ms ticks; LRANGE tests include the LPUSH that fills their list)."
    );

    let configs: [(&str, Vec<&str>); 3] = [
        ("Default tests, 50 clients (`-n N`)", vec!["-n", n]),
        (
            "Pipelined, 50 clients (`-P 16`)",
            vec!["-n", n_pipelined, "-P", "16"],
        ),
        ("500 clients (`-c 500`)", vec!["-n", n, "-c", "500"]),
    ];
    for (title, config) in &configs {
        let redis = Server::start("redis", "redis-server", &[]);
        let redis_results = bench(&redis, &all_tests, config);
        drop(redis);
        let zedis = Server::start("zedis", zedis_binary, &[]);
        let zedis_results = bench(&zedis, &all_tests, config);
        drop(zedis);
        table(
            &mut out,
            &format!("{title}: `redis-benchmark {}`", config.join(" ")),
            &redis_results,
            &zedis_results,
        );
    }

    let _ = writeln!(out, "\n### Memory: `DEBUG POPULATE {keys} key 10`\n");
    let _ = writeln!(
        out,
        "| server | used_memory | bytes/key (used_memory) | RSS | bytes/key (RSS) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for (name, program) in [
        ("Redis 7.0.15", "redis-server"),
        ("zedis", zedis_binary.as_str()),
    ] {
        let server = Server::start("populate", program, &[]);
        let (per_key, rss_per_key, used, rss) = populate(&server, keys);
        let _ = writeln!(
            out,
            "| {name} | {used} | {per_key:.1} | {rss} | {rss_per_key:.1} |"
        );
    }

    let maxmemory: u64 = if quick { 20 << 20 } else { 100 << 20 };
    let _ = writeln!(
        out,
        "\n### Overfilled maxmemory: {} MiB, allkeys-lru, {overfill_requests} SETs of 100-byte values on random keys (`-P 16`)\n",
        maxmemory >> 20
    );
    let _ = writeln!(
        out,
        "| server | peak used_memory (sampled every 100 ms) | peak / maxmemory | samples above maxmemory | evicted_keys | SET/s |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for (name, program) in [
        ("Redis 7.0.15", "redis-server"),
        ("zedis", zedis_binary.as_str()),
    ] {
        let limit = maxmemory.to_string();
        let server = Server::start(
            "overfill",
            program,
            &["--maxmemory", &limit, "--maxmemory-policy", "allkeys-lru"],
        );
        let (peak, over, evicted, rate) = overfill(&server, maxmemory, overfill_requests);
        let _ = writeln!(
            out,
            "| {name} | {peak} | {:.3} | {:.0}% | {evicted} | {rate:.0} |",
            peak as f64 / maxmemory as f64,
            over * 100.0
        );
    }
    let (lru_keys, lru_seconds) = if quick { (100_000, 4) } else { (1_000_000, 12) };
    let _ = writeln!(
        out,
        "\n### `redis-cli --lru-test {lru_keys}` for {lru_seconds} s, maxmemory {} MiB, allkeys-lru\n",
        maxmemory >> 20
    );
    let _ = writeln!(out, "| server | Gets/s (last 5 s) | hit ratio (last 5 s) |");
    let _ = writeln!(out, "|---|---:|---:|");
    for (name, program) in [
        ("Redis 7.0.15", "redis-server"),
        ("zedis", zedis_binary.as_str()),
    ] {
        let limit = maxmemory.to_string();
        let server = Server::start(
            "lru",
            program,
            &["--maxmemory", &limit, "--maxmemory-policy", "allkeys-lru"],
        );
        let (gets, hits) = lru_test(&server, lru_keys, lru_seconds);
        let _ = writeln!(out, "| {name} | {gets:.0} | {hits:.2}% |");
    }
    print!("{out}");
}
