//! Figures for the string- and sorted-set-based families (bitmaps, HyperLogLog, geo), zedis
//! against Redis 7.0.15 in one run: `redis-benchmark` requests per second and server CPU per
//! request for `BITCOUNT` over a 1 MB bitmap, `PFADD` of 10 elements, `PFCOUNT` over 3 keys
//! and `GEOSEARCH` radius queries over 1M members; and bytes per key for 100 000 small bitmaps
//! and HyperLogLogs. Printed as markdown (`scripts/types-bench.sh` writes it to
//! `docs/data-types.md`).
//!
//! Usage: `types_bench <zedis-server binary> [--quick]`.

use std::fmt::Write as _;

use redis_tests::bench::{Result, Server, median, run_benchmark};
use redis_tests::raw::RawConnection;

/// Sends `commands` pipelined in batches and checks no reply is an error.
fn pipeline(server: &Server, commands: impl Iterator<Item = Vec<Vec<u8>>>) {
    let mut connection = RawConnection::connect(server.port);
    let mut pending = 0;
    let drain = |connection: &mut RawConnection, pending: &mut usize| {
        for _ in 0..*pending {
            let reply = connection.read_reply().expect("a reply");
            assert!(
                !reply.starts_with(b"-"),
                "{}: {}",
                server.name,
                String::from_utf8_lossy(&reply)
            );
        }
        *pending = 0;
    };
    for command in commands {
        let args: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
        connection.send(&args);
        pending += 1;
        if pending == 500 {
            drain(&mut connection, &mut pending);
        }
    }
    drain(&mut connection, &mut pending);
}

fn words(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

/// A deterministic pseudo-random sequence (xorshift), the same for both servers.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One throughput load: what it stores first, then `requests` of `command` from 50 clients.
struct Load {
    title: String,
    setup: fn(&Server, u64),
    size: u64,
    requests: u64,
    command: String,
}

impl Load {
    /// The `redis-benchmark` arguments.
    fn args(&self) -> Vec<String> {
        format!("-n {} -c 50 {}", self.requests, self.command)
            .split(' ')
            .map(String::from)
            .collect()
    }
}

fn setup_bitmap(server: &Server, bytes: u64) {
    let mut sequence = Sequence(0x9e37_79b9_7f4a_7c15);
    let value: Vec<u8> = (0..bytes).map(|_| sequence.next() as u8).collect();
    let mut connection = RawConnection::connect(server.port);
    let reply = connection.call(&[b"SET", b"bitmap", &value]);
    assert_eq!(reply, b"+OK\r\n", "{}", server.name);
}

fn setup_nothing(_: &Server, _: u64) {}

/// Three HyperLogLogs of `elements` elements each, overlapping by half.
fn setup_hyperloglogs(server: &Server, elements: u64) {
    let commands = (0..3u64).flat_map(|key| {
        (0..elements / 100).map(move |batch| {
            let mut command = words(&format!("PFADD hll{key}"));
            let first = key * elements / 2 + batch * 100;
            command.extend((first..first + 100).map(|e| format!("e{e}").into_bytes()));
            command
        })
    });
    pipeline(server, commands);
}

/// `members` members named as `redis-benchmark` names `__rand_int__` (`%012d`), spread over a
/// box of 1° by 1° around Berlin (about 111 by 68 km).
fn setup_geo(server: &Server, members: u64) {
    let mut sequence = Sequence(0x2545_f491_4f6c_dd1d);
    let points: Vec<(f64, f64)> = (0..members)
        .map(|_| (13.0 + sequence.unit(), 52.0 + sequence.unit()))
        .collect();
    let commands = (0..members.div_ceil(100)).map(move |batch| {
        let mut command = words("GEOADD geo");
        for i in batch * 100..((batch + 1) * 100).min(members) {
            let (lon, lat) = points[i as usize];
            command.push(format!("{lon:.6}").into_bytes());
            command.push(format!("{lat:.6}").into_bytes());
            command.push(format!("{i:012}").into_bytes());
        }
        command
    });
    pipeline(server, commands);
}

fn loads(quick: bool) -> Vec<Load> {
    let scale = |full: u64, small: u64| if quick { small } else { full };
    let geo_members = scale(1_000_000, 100_000);
    let ten_random = ["__rand_int__"; 10].join(" ");
    vec![
        Load {
            title: "BITCOUNT over a 1 MB bitmap".into(),
            setup: setup_bitmap,
            size: 1 << 20,
            requests: scale(20_000, 2_000),
            command: "BITCOUNT bitmap".into(),
        },
        Load {
            title: "PFADD of 10 random elements to one key".into(),
            setup: setup_nothing,
            size: 0,
            requests: scale(200_000, 20_000),
            command: format!("-r 100000000 PFADD hll {ten_random}"),
        },
        Load {
            title: "PFCOUNT over 3 keys of 100 000 elements each".into(),
            setup: setup_hyperloglogs,
            size: 100_000,
            requests: scale(20_000, 2_000),
            command: "PFCOUNT hll0 hll1 hll2".into(),
        },
        Load {
            title: format!(
                "GEOSEARCH within 200 m of a random member, nearest first, over {geo_members} members"
            ),
            setup: setup_geo,
            size: geo_members,
            requests: scale(100_000, 10_000),
            command: format!(
                "-r {geo_members} GEOSEARCH geo FROMMEMBER __rand_int__ BYRADIUS 200 m ASC"
            ),
        },
    ]
}

/// The command line that stores key number `i`.
type CommandFor = fn(u64) -> Vec<Vec<u8>>;

/// Bytes of `used_memory` per key after storing `keys` keys with `command(i)`.
fn bytes_per_key(server: &Server, keys: u64, command: CommandFor) -> f64 {
    let before = server.info_field("memory", "used_memory");
    pipeline(server, (0..keys).map(command));
    let after = server.info_field("memory", "used_memory");
    (after as f64 - before as f64) / keys as f64
}

/// A small bitmap: one bit set below offset 1024 (a string of up to 128 bytes).
fn small_bitmap(i: u64) -> Vec<Vec<u8>> {
    words(&format!("SETBIT bitmap:{i} {} 1", (i * 7919) % 1024))
}

/// A small HyperLogLog: five elements (the sparse encoding).
fn small_hyperloglog(i: u64) -> Vec<Vec<u8>> {
    words(&format!("PFADD hll:{i} a{i} b{i} c{i} d{i} e{i}"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let zedis = args
        .get(1)
        .expect("usage: types_bench <zedis-server binary> [--quick]")
        .as_str();
    let quick = args.iter().any(|a| a == "--quick");
    let runs = if quick { 1 } else { 3 };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Bitmaps, HyperLogLog and geo: zedis against Redis 7.0.15\n\n\
         Produced by `scripts/types-bench.sh{}` (`redis-tests/src/bin/types_bench.rs`): both \
         servers on this machine in one run, fresh processes with no persistence, zedis as the \
         release build. Each figure is the median of {runs} runs per server; in each run both \
         servers are started, given the same data, and measured one after the other (which \
         goes first alternates). Ratios are zedis over Redis: above 1 is better for ops/s, \
         below 1 for CPU. CPU per request is the server's user + system time over the load \
         (from `/proc/PID/task/*/schedstat`) divided by its requests.\n",
        if quick { " --quick" } else { "" },
    );
    let _ = writeln!(
        out,
        "| load | Redis ops/s | zedis ops/s | ops/s ratio | Redis CPU µs/req | zedis CPU µs/req | CPU ratio |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    for load in loads(quick) {
        let owned_args = load.args();
        let args: Vec<&str> = owned_args.iter().map(String::as_str).collect();
        let (mut redis_results, mut zedis_results): (Vec<Result>, Vec<Result>) =
            (Vec::new(), Vec::new());
        for run in 0..runs {
            let redis = Server::start("redis", "redis-server", &[]);
            let zedis = Server::start("zedis", zedis, &[]);
            (load.setup)(&redis, load.size);
            (load.setup)(&zedis, load.size);
            let order: [(&Server, &mut Vec<Result>); 2] = if run % 2 == 0 {
                [(&redis, &mut redis_results), (&zedis, &mut zedis_results)]
            } else {
                [(&zedis, &mut zedis_results), (&redis, &mut redis_results)]
            };
            for (server, results) in order {
                let result = run_benchmark(server, &args, load.requests as f64)
                    .unwrap_or_else(|| panic!("{}: redis-benchmark gave no result", server.name));
                results.push(result);
            }
        }
        let figure =
            |results: &[Result], f: fn(&Result) -> f64| median(results.iter().map(f).collect());
        let (redis_rps, zedis_rps) = (
            figure(&redis_results, |r| r.rps),
            figure(&zedis_results, |r| r.rps),
        );
        let (redis_cpu, zedis_cpu) = (
            figure(&redis_results, |r| r.cpu_us),
            figure(&zedis_results, |r| r.cpu_us),
        );
        let _ = writeln!(
            out,
            "| {}: `redis-benchmark {}` | {redis_rps:.0} | {zedis_rps:.0} | {:.2} | {redis_cpu:.2} | {zedis_cpu:.2} | {:.2} |",
            load.title,
            owned_args.join(" "),
            zedis_rps / redis_rps.max(1.0),
            zedis_cpu / redis_cpu.max(1e-9),
        );
    }

    let keys = if quick { 10_000 } else { 100_000 };
    let _ = writeln!(
        out,
        "\n### Memory: {keys} small values\n\n\
         Growth of `used_memory` over the keys, divided by the keys; medians of {runs} fills on \
         fresh servers.\n"
    );
    let _ = writeln!(
        out,
        "| values | Redis bytes/key | zedis bytes/key | ratio |\n|---|---:|---:|---:|"
    );
    let kinds: [(&str, CommandFor); 2] = [
        (
            "bitmaps: `SETBIT bitmap:<i> <offset below 1024> 1`",
            small_bitmap,
        ),
        (
            "HyperLogLogs: `PFADD hll:<i>` of 5 elements (sparse)",
            small_hyperloglog,
        ),
    ];
    for (title, command) in kinds {
        let (mut redis_sizes, mut zedis_sizes) = (Vec::new(), Vec::new());
        for run in 0..runs {
            let redis = Server::start("redis", "redis-server", &[]);
            let zedis = Server::start("zedis", zedis, &[]);
            if run % 2 == 0 {
                redis_sizes.push(bytes_per_key(&redis, keys, command));
                zedis_sizes.push(bytes_per_key(&zedis, keys, command));
            } else {
                zedis_sizes.push(bytes_per_key(&zedis, keys, command));
                redis_sizes.push(bytes_per_key(&redis, keys, command));
            }
        }
        let (redis_size, zedis_size) = (median(redis_sizes), median(zedis_sizes));
        let _ = writeln!(
            out,
            "| {title} | {redis_size:.1} | {zedis_size:.1} | {:.2} |",
            zedis_size / redis_size
        );
    }
    print!("{out}");
}
