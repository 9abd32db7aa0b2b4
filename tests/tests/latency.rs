//! The latency monitor (LATENCY LATEST, HISTORY, RESET, GRAPH, `latency-monitor-threshold`)
//! and per-command latency tracking (LATENCY HISTOGRAM, INFO latencystats,
//! `latency-tracking`).

use redis::Value;
use zedis_tests::{TestServer, run, run_err_reply};

#[test]
fn slow_commands_are_recorded_only_past_the_threshold() {
    let server = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["DEBUG", "SLEEP", "0.12"]);
    let latest: Vec<Value> = run(&mut connection, &["LATENCY", "LATEST"]);
    assert!(
        latest.is_empty(),
        "the monitor is off by default: {latest:?}"
    );

    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "latency-monitor-threshold", "100"],
    );
    let _: () = run(&mut connection, &["DEBUG", "SLEEP", "0.05"]);
    let _: () = run(&mut connection, &["DEBUG", "SLEEP", "0.15"]);
    let latest: Vec<(String, i64, i64, i64)> = run(&mut connection, &["LATENCY", "LATEST"]);
    assert_eq!(latest.len(), 1, "{latest:?}");
    let (event, time, latency, max) = &latest[0];
    assert_eq!(event, "command");
    assert!(
        *latency >= 150 && *latency < 1000 && max == latency,
        "{latest:?}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - time).abs() <= 2);
    let history: Vec<(i64, i64)> = run(&mut connection, &["LATENCY", "HISTORY", "command"]);
    assert_eq!(history, [(*time, *latency)]);
    let graph: String = run(&mut connection, &["LATENCY", "GRAPH", "command"]);
    assert!(graph.starts_with(&format!("command - high {latency} ms, low {latency} ms")));
    assert_eq!(
        run_err_reply(&mut connection, &["LATENCY", "GRAPH", "nosuch"]),
        "ERR No samples available for event 'nosuch'"
    );
    let doctor: String = run(&mut connection, &["LATENCY", "DOCTOR"]);
    assert!(doctor.contains("command"), "{doctor}");
    let resets: i64 = run(&mut connection, &["LATENCY", "RESET"]);
    assert_eq!(resets, 1);
    let latest: Vec<Value> = run(&mut connection, &["LATENCY", "LATEST"]);
    assert!(latest.is_empty());
}

#[test]
fn every_call_lands_in_its_command_histogram() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["CONFIG", "RESETSTAT"]);
    for _ in 0..3 {
        let _: () = run(&mut connection, &["SET", "k", "v"]);
    }
    let _: i64 = run(&mut connection, &["CLIENT", "ID"]);
    let histogram: Value = run(
        &mut connection,
        &["LATENCY", "HISTOGRAM", "set", "client", "nosuch"],
    );
    let text = format!("{histogram:?}");
    assert!(
        text.contains("\"set\"") && text.contains("\"client|id\""),
        "{text}"
    );
    assert!(!text.contains("nosuch"));
    let info: String = run(&mut connection, &["INFO", "latencystats"]);
    let set_line = info
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap_or_else(|| panic!("{info}"));
    assert!(
        set_line.contains(":p50=") && set_line.contains(",p99=") && set_line.contains(",p99.9=")
    );

    // Off: calls are no longer recorded, and RESETSTAT clears what was.
    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "latency-tracking", "no"],
    );
    let _: () = run(&mut connection, &["CONFIG", "RESETSTAT"]);
    let _: () = run(&mut connection, &["SET", "k", "v"]);
    let info: String = run(&mut connection, &["INFO", "latencystats"]);
    assert!(!info.contains("latency_percentiles_usec_set"), "{info}");
}
