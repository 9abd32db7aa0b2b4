//! Background saves under a write load, zedis against Redis 7.0.15 in one run: memory of the
//! whole process tree during the save (Redis forks a child; zedis does not), the SET rate the
//! load gets during the save against the same load without one, save time, and the time a
//! fresh server takes to load the file. Printed as markdown (`scripts/snapshot-bench.sh` writes
//! it to `docs/snapshots.md`).
//!
//! Dataset: `keys` keys named as `redis-benchmark -r` names them (`key:%012d`) with 100-byte
//! values. Load: `redis-benchmark -t set -r <keys> -d 100 -P 16`, so every write overwrites an
//! existing key. Usage: `snapshot <zedis-server binary> [--quick] [--aof]`. With `--aof` the
//! servers run with `appendonly yes` (`appendfsync everysec`) and the background operation is
//! an AOF rewrite (`BGREWRITEAOF`), its load the AOF directory's.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis_tests::raw::RawConnection;
use zedis_testkit::ServerProcess;

const VALUE_LEN: usize = 100;

struct Server {
    name: &'static str,
    process: ServerProcess,
}

impl Server {
    fn start(name: &'static str, program: &str, extra: &[&str]) -> Server {
        let mut args = vec!["--save", "", "--appendonly", "no"];
        args.extend_from_slice(extra);
        Server {
            name,
            process: ServerProcess::start(program, &args),
        }
    }

    fn call(&self, args: &[&str]) -> String {
        let mut conn = RawConnection::connect(self.process.port);
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&conn.call(&args)).into_owned()
    }

    fn info_field(&self, section: &str, field: &str) -> u64 {
        let info = self.call(&["INFO", section]);
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{}: no {field} in INFO {section}", self.name))
    }
}

/// Fills `keys` keys `key:%012d` with 100-byte values, pipelined.
fn fill(server: &Server, keys: u64) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.process.port)).expect("connect");
    let value = "v".repeat(VALUE_LEN);
    let batch = 1000;
    let mut sent = 0;
    let mut buf = [0u8; 65536];
    while sent < keys {
        let n = batch.min(keys - sent);
        let mut request = Vec::new();
        for i in sent..sent + n {
            let key = format!("key:{i:012}");
            request.extend_from_slice(
                format!(
                    "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
                    key.len(),
                    value.len()
                )
                .as_bytes(),
            );
        }
        stream.write_all(&request).expect("write");
        // Every reply is `+OK\r\n`.
        let mut expected = n as usize * 5;
        while expected > 0 {
            let got = stream.read(&mut buf[..expected.min(65536)]).expect("read");
            assert!(got > 0, "{}: connection closed while filling", server.name);
            expected -= got;
        }
        sent += n;
    }
}

/// PSS of a process and its children, in bytes (`/proc/PID/smaps_rollup`).
fn tree_pss(pid: u32) -> u64 {
    let mut total = pss(pid);
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    for child in children.split_whitespace() {
        if let Ok(child) = child.parse::<u32>() {
            total += tree_pss(child);
        }
    }
    total
}

fn pss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The write load, running until killed.
fn start_load(server: &Server, keys: u64) -> Child {
    Command::new("redis-benchmark")
        .args(["-p", &server.process.port.to_string()])
        .args([
            "-t",
            "set",
            "-r",
            &keys.to_string(),
            "-d",
            "100",
            "-P",
            "16",
        ])
        .args(["-n", "1000000000", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-benchmark")
}

/// SET/s over `window` while the load runs.
fn rate_over(server: &Server, window: Duration) -> f64 {
    let before = server.info_field("stats", "total_commands_processed");
    let start = Instant::now();
    std::thread::sleep(window);
    let after = server.info_field("stats", "total_commands_processed");
    (after - before) as f64 / start.elapsed().as_secs_f64()
}

/// One measurement of a server: figures of its save under load and of loading the file.
struct Run {
    before: u64,
    peak: u64,
    save_seconds: f64,
    rate_without: f64,
    rate_during: f64,
    load_seconds: f64,
}

/// The server flags of the AOF mode: no automatic rewrite, so the one measured is the only
/// one (filling the dataset would otherwise start one).
const AOF_FLAGS: [&str; 6] = [
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--auto-aof-rewrite-percentage",
    "0",
];

fn measure(name: &'static str, program: &str, keys: u64, aof: bool) -> Run {
    let flags: &[&str] = if aof { &AOF_FLAGS } else { &[] };
    let server = Server::start(name, program, flags);
    fill(&server, keys);
    std::thread::sleep(Duration::from_millis(500));
    let pid = server.process.pid();
    let before = tree_pss(pid);

    // The load alone, after a second of warm-up.
    let mut load = start_load(&server, keys);
    std::thread::sleep(Duration::from_secs(1));
    let rate_without = rate_over(&server, Duration::from_secs(2));

    // The same load with a save.
    let commands_before = server.info_field("stats", "total_commands_processed");
    let started = Instant::now();
    let (command, started_reply, running, ok) = if aof {
        (
            "BGREWRITEAOF",
            "+Background append only file rewriting started",
            "aof_rewrite_in_progress:1",
            "aof_last_bgrewrite_status:ok",
        )
    } else {
        (
            "BGSAVE",
            "+Background saving started",
            "rdb_bgsave_in_progress:1",
            "rdb_last_bgsave_status:ok",
        )
    };
    let reply = server.call(&[command]);
    assert!(reply.starts_with(started_reply), "{name}: {reply}");
    let mut peak = before;
    let mut conn = RawConnection::connect(server.process.port);
    loop {
        peak = peak.max(tree_pss(pid));
        let info = String::from_utf8_lossy(&conn.call(&[b"INFO", b"persistence"])).into_owned();
        if !info.contains(running) {
            assert!(info.contains(ok), "{name}: {info}");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let save_seconds = started.elapsed().as_secs_f64();
    let commands_after = server.info_field("stats", "total_commands_processed");
    let rate_during = (commands_after - commands_before) as f64 / save_seconds;
    let _ = load.kill();
    let _ = load.wait();

    // Loading the file on a fresh server: from start to the first PONG.
    let dir = std::env::temp_dir().join(format!("snapshot-load-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    if aof {
        let from = server.process.dir().join("appendonlydir");
        std::fs::create_dir_all(dir.join("appendonlydir")).expect("dir");
        for entry in std::fs::read_dir(&from).expect("the AOF directory") {
            let entry = entry.expect("entry");
            std::fs::copy(
                entry.path(),
                dir.join("appendonlydir").join(entry.file_name()),
            )
            .expect("copy");
        }
    } else {
        std::fs::copy(server.process.dir().join("dump.rdb"), dir.join("dump.rdb")).expect("copy");
    }
    drop(conn);
    drop(server);
    let started = Instant::now();
    let mut flags = vec!["--dir", dir.to_str().expect("utf-8")];
    if aof {
        flags.extend(AOF_FLAGS);
    }
    let loaded = Server::start(name, program, &flags);
    loop {
        if loaded.call(&["PING"]).starts_with("+PONG") {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let load_seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        loaded.call(&["DBSIZE"]),
        format!(":{keys}\r\n"),
        "{name}: keys loaded"
    );
    drop(loaded);
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        before,
        peak,
        save_seconds,
        rate_without,
        rate_during,
        load_seconds,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let zedis = args
        .get(1)
        .expect("usage: snapshot <zedis-server binary> [--quick]")
        .clone();
    let quick = args.iter().any(|a| a == "--quick");
    let aof = args.iter().any(|a| a == "--aof");
    let (keys, runs) = if quick { (100_000, 1) } else { (1_000_000, 3) };
    let mut results: Vec<(&str, Vec<Run>)> =
        vec![("Redis 7.0.15", Vec::new()), ("zedis", Vec::new())];
    for run in 0..runs {
        // Which server goes first alternates by run.
        let order = if run % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let (name, program) = if i == 0 {
                ("redis", "redis-server")
            } else {
                ("zedis", zedis.as_str())
            };
            let figures = measure(name, program, keys, aof);
            results[i].1.push(figures);
        }
    }
    let mut out = String::new();
    let (what, command) = if aof {
        (
            "AOF rewrites (`appendonly yes`, `appendfsync everysec`)",
            "BGREWRITEAOF",
        )
    } else {
        ("Background saves", "BGSAVE")
    };
    let _ = writeln!(out, "# {what} under a write load\n");
    let _ = writeln!(
        out,
        "Produced by `scripts/snapshot-bench.sh{}` (`redis-tests/src/bin/snapshot.rs{}`): \
         {keys} keys `key:%012d` of {VALUE_LEN}-byte values; `{command}` while `redis-benchmark \
         -t set -r {keys} -d 100 -P 16` overwrites them. Memory is the PSS of the server's \
         process tree (Redis's parent and forked child summed) sampled every 50 ms; the SET \
         rate during the save is the commands processed between `{command}` and its end over that \
         time, the rate without a save the same load over 2 s just before; load time is from \
         starting a fresh server on the file to its first `PONG`. Medians of {runs} runs per \
         server, the servers alternating.\n",
        if quick { " --quick" } else { "" },
        if aof { " --aof" } else { "" }
    );
    let _ = writeln!(
        out,
        "| server | PSS before | peak PSS during save | peak / before | save s | SET/s without save | SET/s during save | during / without | load s |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, runs) in &results {
        let before = median(runs.iter().map(|r| r.before as f64).collect());
        let peak = median(runs.iter().map(|r| r.peak as f64).collect());
        let ratio = median(
            runs.iter()
                .map(|r| r.peak as f64 / r.before as f64)
                .collect(),
        );
        let save = median(runs.iter().map(|r| r.save_seconds).collect());
        let without = median(runs.iter().map(|r| r.rate_without).collect());
        let during = median(runs.iter().map(|r| r.rate_during).collect());
        let rate_ratio = median(
            runs.iter()
                .map(|r| r.rate_during / r.rate_without)
                .collect(),
        );
        let load = median(runs.iter().map(|r| r.load_seconds).collect());
        let _ = writeln!(
            out,
            "| {name} | {:.1} MB | {:.1} MB | {ratio:.2} | {save:.2} | {without:.0} | {during:.0} | {rate_ratio:.2} | {load:.2} |",
            before / 1e6,
            peak / 1e6,
        );
    }
    print!("{out}");
}
