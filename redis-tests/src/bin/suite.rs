//! Runs Redis 7.0.15's own TCL test suite against zedis, unit by unit, each against a fresh
//! `zedis-server`, and judges the result against `redis-tests/suite-expectations.txt`: the run
//! fails on any failure the file does not list, and names the listed tests that now pass.
//!
//! `--reference` also runs every unit against Debian's redis-server 7.0.15 (interleaved, unit
//! by unit) and `--report FILE` writes both counts per unit as markdown
//! (`docs/compatibility.md`).
//!
//! Usage: `suite [--zedis target/release/zedis-server] [--reference] [--report FILE] [UNIT...]`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use redis_tests::suite::expectations::{self, UnitExpectations, Verdict};
use redis_tests::suite::runner::{self, Target, UnitRun};

#[derive(Parser)]
#[command(about = "Redis 7.0.15's TCL suite against zedis, judged by the expectations file")]
struct Cli {
    /// The zedis-server binary to test.
    #[arg(long, default_value = "target/release/zedis-server")]
    zedis: PathBuf,
    /// Which tests are expected to fail, and which units run.
    #[arg(long, default_value = "redis-tests/suite-expectations.txt")]
    expectations: PathBuf,
    /// Where the suite is unpacked and the logs go.
    #[arg(long, default_value = "target/redis-suite")]
    cache: PathBuf,
    /// Fetches the suite when it is not in the cache.
    #[arg(long, default_value = "scripts/fetch-redis-suite.sh")]
    fetch_script: PathBuf,
    /// Time limit for one unit, in seconds.
    #[arg(long, default_value_t = 600)]
    unit_timeout: u64,
    /// How long the helper waits for a test making no progress before it gives up on the unit
    /// (its `--timeout`), in seconds.
    #[arg(long, default_value_t = 60)]
    test_timeout: u64,
    /// Also run every unit against Debian's redis-server 7.0.15.
    #[arg(long)]
    reference: bool,
    /// Write the per-unit table (with `--reference`, both servers) to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Units to run (default: every unit the expectations file lists).
    units: Vec<String>,
}

/// Counts of one unit's run, for the report.
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
    seconds: f64,
}

impl Counts {
    fn of(run: &UnitRun) -> Counts {
        let unfinished = usize::from(!run.output.finished || run.killed_at_limit);
        Counts {
            passed: run.output.passed.len(),
            failed: run.output.failed.len() + unfinished + usize::from(!run.answered_ping),
            skipped: run.output.skipped,
            seconds: run.elapsed.as_secs_f64(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("suite: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<bool, String> {
    let text = std::fs::read_to_string(&cli.expectations)
        .map_err(|e| format!("{}: {e}", cli.expectations.display()))?;
    let all =
        expectations::parse(&text).map_err(|e| format!("{}: {e}", cli.expectations.display()))?;
    let chosen: Vec<&UnitExpectations> = if cli.units.is_empty() {
        all.iter().collect()
    } else {
        cli.units
            .iter()
            .map(|u| {
                all.iter()
                    .find(|e| &e.unit == u)
                    .ok_or_else(|| format!("{u} is not in {}", cli.expectations.display()))
            })
            .collect::<Result<_, _>>()?
    };
    if !cli.zedis.exists() {
        return Err(format!(
            "{} not found: cargo build --release -p zedis-server",
            cli.zedis.display()
        ));
    }
    let tree = runner::obtain_suite(&cli.cache, &cli.fetch_script)?;
    let listed: Vec<&str> = all.iter().map(|e| e.unit.as_str()).collect();
    let unlisted: Vec<String> = runner::units_in(&tree)
        .into_iter()
        .filter(|u| !listed.contains(&u.as_str()))
        .collect();
    println!(
        "Redis 7.0.15's suite from {}; not run (not listed): {}",
        tree.display(),
        if unlisted.is_empty() {
            "none".to_string()
        } else {
            unlisted.join(", ")
        }
    );

    // The server runs in a directory of its own.
    let binary =
        std::fs::canonicalize(&cli.zedis).map_err(|e| format!("{}: {e}", cli.zedis.display()))?;
    let zedis = Target::Zedis(binary);
    let limits = runner::Limits {
        unit: Duration::from_secs(cli.unit_timeout),
        stalled_test: Duration::from_secs(cli.test_timeout),
    };
    let logs = cli.cache.join("logs");
    let mut rows = Vec::new();
    let mut total_passed = 0;
    let mut total_failed = 0;
    let mut total_expected = 0;
    let mut all_ok = true;
    let mut now_passing = Vec::new();
    for &unit in &chosen {
        let reference = if cli.reference {
            let run = runner::run_unit(
                &tree,
                &Target::Redis,
                &unit.unit,
                &logs.join("redis"),
                limits,
                &[],
            )?;
            Some(Counts::of(&run))
        } else {
            None
        };
        let skip: Vec<&str> = unit.skipped.keys().map(String::as_str).collect();
        let run = runner::run_unit(
            &tree,
            &zedis,
            &unit.unit,
            &logs.join("zedis"),
            limits,
            &skip,
        )?;
        let verdict =
            expectations::judge(unit, &run.output, run.answered_ping && !run.killed_at_limit);
        let counts = Counts::of(&run);
        print_unit(&unit.unit, &counts, reference.as_ref(), &verdict, &run);
        total_passed += counts.passed;
        total_failed += counts.failed;
        total_expected += verdict.expected;
        all_ok &= verdict.ok();
        now_passing.extend(
            verdict
                .now_passing
                .iter()
                .map(|t| format!("[{}] {t}", unit.unit)),
        );
        rows.push((unit.unit.clone(), reference, counts, verdict));
    }
    println!(
        "{total_passed} passed, {total_failed} failed ({total_expected} expected, {} unexpected)",
        total_failed.saturating_sub(total_expected)
    );
    if !now_passing.is_empty() {
        println!(
            "{} listed as expected to fail now pass: remove them from {}",
            now_passing.len(),
            cli.expectations.display()
        );
        for test in &now_passing {
            println!("  {test}");
        }
    }
    if let Some(path) = &cli.report {
        std::fs::write(path, report(&rows, &chosen, cli))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    if !all_ok {
        println!(
            "FAILED: unexpected failures above (logs in {})",
            logs.display()
        );
    }
    Ok(all_ok)
}

fn print_unit(
    unit: &str,
    counts: &Counts,
    reference: Option<&Counts>,
    verdict: &Verdict,
    run: &UnitRun,
) {
    let mut line = format!(
        "{unit:<26} {:>4} passed {:>4} failed {:>3} skipped {:>6.1} s",
        counts.passed, counts.failed, counts.skipped, counts.seconds
    );
    if let Some(r) = reference {
        let _ = write!(line, "   (redis: {} passed, {} failed)", r.passed, r.failed);
    }
    println!("{line}");
    for name in &verdict.unexpected {
        let details = run
            .output
            .failed
            .iter()
            .find(|f| &f.name == name)
            .map(|f| {
                let line = f.details.lines().next().unwrap_or_default();
                line.chars().take(160).collect::<String>()
            })
            .unwrap_or_default();
        println!("    UNEXPECTED: {name}");
        if !details.is_empty() {
            println!("        {details}");
        }
    }
    if !verdict.unexpected.is_empty() {
        println!("    log: {}", run.log.display());
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the system clock (days to civil date).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The markdown report: how it was made, the per-unit counts for both servers, and the
/// expected failures grouped by reason.
fn report(
    rows: &[(String, Option<Counts>, Counts, Verdict)],
    chosen: &[&UnitExpectations],
    cli: &Cli,
) -> String {
    let mut out = String::new();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let _ = writeln!(out, "# Redis 7.0.15's own test suite: Redis and zedis\n");
    let _ = writeln!(
        out,
        "Written by `cargo run -q -p redis-tests --bin suite -- {}` on {} ({} cores). Each unit \
         of Redis 7.0.15's TCL suite (Debian's source package) runs in external-server mode \
         against a fresh server: Debian's `redis-server` 7.0.15, then zedis. A unit that stops \
         early counts one failure. \"Listed\" failures are those `{}` expects, each with its \
         reason; CI fails on any other.\n",
        args.join(" "),
        today(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cli.expectations.display()
    );
    let _ = writeln!(
        out,
        "| unit | Redis passed | Redis failed | zedis passed | zedis failed | of them listed | skipped (zedis) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let mut totals = [0usize; 6];
    for (unit, reference, counts, verdict) in rows {
        let (rp, rf) = reference.as_ref().map_or((0, 0), |r| (r.passed, r.failed));
        let _ = writeln!(
            out,
            "| `{unit}` | {rp} | {rf} | {} | {} | {} | {} |",
            counts.passed, counts.failed, verdict.expected, counts.skipped
        );
        for (total, value) in totals.iter_mut().zip([
            rp,
            rf,
            counts.passed,
            counts.failed,
            verdict.expected,
            counts.skipped,
        ]) {
            *total += value;
        }
    }
    let _ = writeln!(
        out,
        "| **all {} units** | **{}** | **{}** | **{}** | **{}** | **{}** | **{}** |",
        rows.len(),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        totals[5]
    );
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for unit in chosen {
        for reason in unit.expected_failures.values() {
            *reasons.entry(reason.as_str()).or_default() += 1;
        }
    }
    let skipped: Vec<String> = chosen
        .iter()
        .flat_map(|unit| {
            unit.skipped
                .iter()
                .map(move |(test, why)| format!("| `{}` | {test} | {why} |", unit.unit))
        })
        .collect();
    let mut reasons: Vec<(&str, usize)> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let _ = writeln!(out, "\n## Listed failures by reason\n");
    let _ = writeln!(out, "| tests | reason |");
    let _ = writeln!(out, "|---:|---|");
    for (reason, count) in reasons {
        let _ = writeln!(out, "| {count} | {reason} |");
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "\n## Tests not run against zedis\n");
        let _ = writeln!(out, "| unit | test | reason |");
        let _ = writeln!(out, "|---|---|---|");
        for line in skipped {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}
