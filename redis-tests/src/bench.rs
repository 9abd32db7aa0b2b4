//! What the benchmark reports share: a server process under measurement with its CPU time
//! read from the scheduler, one `redis-benchmark` run turned into a result line with the
//! server's CPU per request, and medians.

use std::process::Command;

use crate::raw::RawConnection;
use zedis_testkit::ServerProcess;

/// A server process under comparison (started by the shared test kit, in its own temporary
/// directory, stopped on drop).
pub struct Server {
    pub name: &'static str,
    pub process: ServerProcess,
    pub port: u16,
}

impl Server {
    pub fn start(name: &'static str, program: &str, extra: &[&str]) -> Server {
        let mut args = vec![
            "--save",
            "",
            "--appendonly",
            "no",
            "--enable-debug-command",
            "yes",
        ];
        args.extend_from_slice(extra);
        let process = ServerProcess::start(program, &args);
        Server {
            name,
            port: process.port,
            process,
        }
    }

    /// CPU time the process's threads have used so far, in nanoseconds: the scheduler's own
    /// account (`/proc/PID/task/*/schedstat`), which is the user + system time `/proc/PID/stat`
    /// reports in 10 ms ticks. A pipelined test of 400 000 requests uses about 20 ticks, so
    /// ticks alone would quantise each figure by 5 %.
    pub fn cpu_ns(&self) -> u64 {
        let tasks = format!("/proc/{}/task", self.process.pid());
        std::fs::read_dir(&tasks)
            .expect("task list")
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
            .map(|line| {
                let on_cpu = line.split_whitespace().next().expect("schedstat field");
                on_cpu.parse::<u64>().expect("schedstat ns")
            })
            .sum()
    }

    pub fn info_field(&self, section: &str, field: &str) -> u64 {
        let mut connection = RawConnection::connect(self.port);
        let reply = connection.call(&[b"INFO", section.as_bytes()]);
        let text = String::from_utf8_lossy(&reply);
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{} has no {field}", self.name))
    }

    pub fn call(&self, args: &[&str]) -> String {
        let mut connection = RawConnection::connect(self.port);
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&connection.call(&args)).into_owned()
    }
}

/// One `redis-benchmark` result line (`--csv`).
#[derive(Debug, Clone)]
pub struct Result {
    pub test: String,
    pub rps: f64,
    pub p50: f64,
    pub p99: f64,
    /// Server CPU per request, microseconds.
    pub cpu_us: f64,
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// One `redis-benchmark --csv` run of `args` (a `-t` test list or a command line after the
/// options), each of whose result lines stands for `requests_per_line` requests: its last line
/// (an LRANGE test first reports the LPUSH filling its list), with the server's CPU time over
/// the whole run divided by all the requests.
pub fn run_benchmark(server: &Server, args: &[&str], requests_per_line: f64) -> Option<Result> {
    let before = server.cpu_ns();
    let output = Command::new("redis-benchmark")
        .args(["-p", &server.port.to_string(), "--csv"])
        .args(args)
        .output()
        .expect("redis-benchmark runs");
    let cpu_ns = server.cpu_ns() - before;
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().skip(1).collect();
    let requests = lines.len() as f64 * requests_per_line;
    let Some(last) = lines.last() else {
        eprintln!(
            "{}: redis-benchmark {}: {}{}",
            server.name,
            args.join(" "),
            text,
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    };
    // Every field is quoted; a test named after its command line may hold commas.
    let fields: Vec<String> = last
        .trim()
        .trim_matches('"')
        .split("\",\"")
        .map(str::to_string)
        .collect();
    Some(Result {
        test: fields[0].clone(),
        rps: fields[1].parse().unwrap_or(0.0),
        p50: fields[4].parse().unwrap_or(0.0),
        p99: fields[6].parse().unwrap_or(0.0),
        cpu_us: cpu_ns as f64 / 1e3 / requests,
    })
}
