//! `LATENCY`: the latency monitor's events (LATEST, HISTORY, GRAPH, DOCTOR, RESET) and the
//! per-command latency histograms (HISTOGRAM). The data is kept by `crate::latency`.

use super::errors::{CmdError, CmdResult};
use super::flags::*;
use super::table::Entry;
use super::{Args, Command, Ctx, Group};
use crate::latency::{TimeSeries, graph};

const FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

pub static COMMANDS: &[Command] = &[Command::container(
    "latency",
    -2,
    Group::Server,
    &[
        Command::new("doctor", 2, FLAGS, Group::Server, doctor).doc(
            "2.8.13",
            "Return a human readable latency analysis report.",
            "O(1)",
        ),
        Command::new("graph", 3, FLAGS, Group::Server, graph_command)
            .doc("2.8.13", "Return a latency graph for the event.", "O(1)")
            .syntax("event"),
        Command::new("histogram", -2, FLAGS, Group::Server, histogram)
            .doc(
                "7.0.0",
                "Return the cumulative distribution of latencies of a subset of commands or all.",
                "O(N) where N is the number of commands with latency information being retrieved.",
            )
            .syntax("[command [command ...]]"),
        Command::new("history", 3, FLAGS, Group::Server, history)
            .doc(
                "2.8.13",
                "Return timestamp-latency samples for the event.",
                "O(1)",
            )
            .syntax("event"),
        Command::new("latest", 2, FLAGS, Group::Server, latest).doc(
            "2.8.13",
            "Return the latest latency samples for all events.",
            "O(1)",
        ),
        Command::new("reset", -2, FLAGS, Group::Server, reset)
            .doc(
                "2.8.13",
                "Reset latency data for one or more events.",
                "O(1)",
            )
            .syntax("[event [event ...]]"),
        Command::new("help", 2, LOADING | STALE, Group::Server, help).doc(
            "2.8.13",
            "Show helpful text about the different subcommands.",
            "O(1)",
        ),
    ],
)
.doc(
    "2.8.13",
    "A container for latency diagnostics commands",
    "Depends on subcommand.",
)];

fn now_secs(ctx: &Ctx) -> u64 {
    ctx.server.clock.unix_ms() / 1000
}

fn history(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some((_, series)) = ctx.server.latency.event(args.get(2)) else {
        ctx.reply.array(0);
        return Ok(());
    };
    let samples: Vec<_> = series.samples().collect();
    ctx.reply.array(samples.len());
    for sample in samples {
        ctx.reply.array(2);
        ctx.reply.int(sample.time as i64);
        ctx.reply.int(sample.latency as i64);
    }
    Ok(())
}

fn latest(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let events: Vec<(&'static str, &TimeSeries)> = ctx.server.latency.events().collect();
    ctx.reply.array(events.len());
    for (name, series) in events {
        let last = series.latest();
        ctx.reply.array(4);
        ctx.reply.bulk(name.as_bytes());
        ctx.reply.int(last.time as i64);
        ctx.reply.int(last.latency as i64);
        ctx.reply.int(series.max as i64);
    }
    Ok(())
}

fn graph_command(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = now_secs(ctx);
    let Some((name, series)) = ctx.server.latency.event(args.get(2)) else {
        return Err(CmdError::owned(format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(args.get(2))
        )));
    };
    let text = graph(name, series, now);
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

fn reset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let resets = if args.len() == 2 {
        ctx.server.latency.reset(None)
    } else {
        args.from(2)
            .map(|event| ctx.server.latency.reset(Some(event)))
            .sum()
    };
    ctx.reply.int(resets as i64);
    Ok(())
}

/// `LATENCY HISTOGRAM [command ...]`: for each command (a container stands for its
/// subcommands too) that has been called, its calls and cumulative distribution.
fn histogram(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let table = super::table();
    let mut chosen: Vec<&Entry> = Vec::new();
    if args.len() == 2 {
        chosen.extend(table.entries());
    } else {
        for name in args.from(2) {
            let Some(entry) = table.find_full(name) else {
                continue;
            };
            chosen.push(entry);
            chosen.extend(table.subcommands_of(entry));
        }
    }
    let with_data: Vec<&Entry> = chosen
        .into_iter()
        .filter(|e| ctx.server.command_latency[e.index].is_some())
        .collect();
    ctx.reply.map(with_data.len());
    for entry in with_data {
        let Some(histogram) = &ctx.server.command_latency[entry.index] else {
            continue;
        };
        let points = histogram.cumulative();
        let reply = &mut *ctx.reply;
        reply.bulk(entry.full_name.as_bytes());
        reply.map(2);
        reply.bulk(b"calls");
        reply.int(histogram.calls() as i64);
        reply.bulk(b"histogram_usec");
        reply.map(points.len());
        for (micros, calls) in points {
            reply.int(micros as i64);
            reply.int(calls as i64);
        }
    }
    Ok(())
}

/// `LATENCY DOCTOR`: a report for people on the events the monitor saw.
fn doctor(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let threshold = ctx.server.config.latency_monitor_threshold;
    let mut report = String::new();
    let events: Vec<(&'static str, &TimeSeries)> = ctx.server.latency.events().collect();
    if events.is_empty() {
        if threshold == 0 {
            report.push_str(
                "The latency monitor is off: set latency-monitor-threshold to a number of \
                 milliseconds (CONFIG SET latency-monitor-threshold 100) to record the events \
                 that take at least that long.\n",
            );
        } else {
            report.push_str(&format!(
                "No event took {threshold} milliseconds or more (latency-monitor-threshold) \
                 since the monitor was last reset: nothing to report.\n"
            ));
        }
        ctx.reply.verbatim(report.as_bytes());
        return Ok(());
    }
    report.push_str(&format!(
        "Latency events of {threshold} milliseconds or more (latency-monitor-threshold):\n\n"
    ));
    for (number, (name, series)) in events.iter().enumerate() {
        let samples: Vec<u64> = series.samples().map(|s| s.latency).collect();
        let times: Vec<u64> = series.samples().map(|s| s.time).collect();
        let count = samples.len() as u64;
        let mean = samples.iter().sum::<u64>() / count.max(1);
        let deviation = samples.iter().map(|&s| s.abs_diff(mean)).sum::<u64>() / count.max(1);
        let period = match (times.first(), times.last()) {
            (Some(first), Some(last)) if count > 1 => (last - first) / (count - 1),
            _ => 0,
        };
        report.push_str(&format!(
            "{}. {name}: {count} spike(s) in the last {} seconds recorded, {mean} ms on \
             average (mean deviation {deviation} ms, one every {period} seconds); the worst \
             was {} ms.\n",
            number + 1,
            times
                .first()
                .map_or(0, |first| now_secs(ctx).saturating_sub(*first)),
            series.max
        ));
        report.push_str(advice(name));
        report.push('\n');
    }
    ctx.reply.verbatim(report.as_bytes());
    Ok(())
}

/// What to look at for each kind of event.
fn advice(event: &str) -> &'static str {
    match event {
        "command" => {
            "   Slow commands: SLOWLOG GET shows which ones; commands over large collections \
             (KEYS, SMEMBERS, HGETALL, LRANGE of whole lists…) take time in proportion to \
             their size.\n"
        }
        "fast-command" => {
            "   Commands that should take constant time were slow: the host is likely \
             overloaded, or the process was swapped out or paused.\n"
        }
        "expire-cycle" => {
            "   Expiring keys took long: many keys expire at the same time, or large values \
             were freed; lazyfree-lazy-expire yes frees them off the command thread.\n"
        }
        "eviction-cycle" | "eviction-del" => {
            "   Evicting keys took long: maxmemory is being reached with large values; \
             lazyfree-lazy-eviction yes frees them off the command thread.\n"
        }
        _ => "",
    }
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::introspection::reply_help(
        ctx,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(())
}
