//! `MEMORY` subcommands: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP, all driven by
//! zmalloc's counters and the allocator's own statistics.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::info_memory::{Overhead, overhead};
use super::{Args, Command, Ctx, Group};
use crate::protocol::reply::Reply;

pub static COMMANDS: &[Command] = &[Command::container(
    "memory",
    -2,
    Group::Server,
    &[
        Command::new("doctor", 2, 0, Group::Server, doctor).doc(
            "4.0.0",
            "Outputs a memory problems report.",
            "O(1)",
        ),
        Command::new("malloc-stats", 2, 0, Group::Server, malloc_stats).doc(
            "4.0.0",
            "Returns the allocator statistics.",
            "Depends on how much memory is allocated, could be slow",
        ),
        Command::new("purge", 2, 0, Group::Server, purge).doc(
            "4.0.0",
            "Asks the allocator to release memory.",
            "Depends on how much memory is allocated, could be slow",
        ),
        Command::new("stats", 2, 0, Group::Server, stats).doc(
            "4.0.0",
            "Returns details about memory usage.",
            "O(1)",
        ),
        Command::new("usage", -3, READONLY, Group::Server, usage)
            .doc(
                "4.0.0",
                "Estimates the memory usage of a key.",
                "O(N) where N is the number of samples.",
            )
            .syntax("key [SAMPLES count]"),
        Command::new("help", 2, LOADING | STALE, Group::Server, help).doc(
            "4.0.0",
            "Returns helpful text about the different subcommands.",
            "O(1)",
        ),
    ],
)
.doc(
    "4.0.0",
    "A container for memory diagnostics commands.",
    "Depends on subcommand.",
)];

/// Elements sampled by default (`OBJ_COMPUTE_SIZE_DEF_SAMPLES`).
const DEFAULT_SAMPLES: usize = 5;

/// `MEMORY USAGE key [SAMPLES count]`: the bytes of the key's record (key, metadata and
/// string value in one block), its slot in the key table, and its collection if any. Found
/// without expiring or touching the key, as Redis does.
fn usage(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "samples") && i + 1 < args.len() {
            let n = args.i64(i + 1)?;
            if n < 0 {
                return Err(errors::SYNTAX);
            }
            // 0 samples everything.
            samples = n as usize;
            i += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    let db = ctx.client.db;
    let keyspace = &ctx.server.keyspace;
    let Some(slot) = keyspace.peek(db, args.get(2)) else {
        ctx.reply.null();
        return Ok(());
    };
    let record = keyspace.record(db, slot);
    let object = keyspace.object(db, slot).map_or(0, |o| o.memory(samples));
    let bytes = record.alloc_size() + crate::db::table::SLOT_BYTES + object;
    ctx.reply.int(bytes as i64);
    Ok(())
}

fn int(reply: &mut Reply, name: &str, value: i64) {
    reply.bulk(name.as_bytes());
    reply.int(value);
}

/// A ratio: Redis keeps them in C `float`, and prints them widened to double.
fn ratio(reply: &mut Reply, name: &str, value: f32) {
    reply.bulk(name.as_bytes());
    reply.double(value as f64);
}

/// `MEMORY STATS`: Redis 7.0's 27 fields plus one map per non-empty database.
fn stats(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let mh = overhead(ctx.server, ctx.client);
    let samples = ctx.server.memory.samples;
    let reply = &mut *ctx.reply;
    reply.map(27 + mh.dbs.len());
    int(reply, "peak.allocated", mh.peak as i64);
    int(reply, "total.allocated", mh.used as i64);
    int(reply, "startup.allocated", mh.startup as i64);
    int(reply, "replication.backlog", mh.repl_backlog as i64);
    int(reply, "clients.slaves", mh.clients_replicas as i64);
    int(reply, "clients.normal", mh.clients_normal as i64);
    int(reply, "cluster.links", 0);
    int(reply, "aof.buffer", mh.aof_buffer as i64);
    int(reply, "lua.caches", mh.lua_caches as i64);
    int(reply, "functions.caches", mh.functions_caches as i64);
    for db in &mh.dbs {
        reply.bulk(format!("db.{}", db.index).as_bytes());
        reply.map(3);
        int(reply, "overhead.hashtable.main", db.main as i64);
        int(reply, "overhead.hashtable.expires", db.expires as i64);
        int(reply, "overhead.hashtable.slot-to-keys", 0);
    }
    int(reply, "overhead.total", mh.total as i64);
    int(reply, "keys.count", mh.keys as i64);
    int(reply, "keys.bytes-per-key", mh.bytes_per_key as i64);
    int(reply, "dataset.bytes", mh.dataset as i64);
    ratio(reply, "dataset.percentage", mh.dataset_perc);
    ratio(reply, "peak.percentage", mh.peak_perc);
    int(
        reply,
        "allocator.allocated",
        samples.allocator_allocated as i64,
    );
    int(reply, "allocator.active", samples.allocator_active as i64);
    int(
        reply,
        "allocator.resident",
        samples.allocator_resident as i64,
    );
    ratio(reply, "allocator-fragmentation.ratio", mh.allocator_frag);
    int(
        reply,
        "allocator-fragmentation.bytes",
        mh.allocator_frag_bytes as i64,
    );
    ratio(reply, "allocator-rss.ratio", mh.allocator_rss);
    int(reply, "allocator-rss.bytes", mh.allocator_rss_bytes as i64);
    ratio(reply, "rss-overhead.ratio", mh.rss_extra);
    int(reply, "rss-overhead.bytes", mh.rss_extra_bytes as i64);
    ratio(reply, "fragmentation", mh.total_frag);
    int(reply, "fragmentation.bytes", mh.total_frag_bytes as i64);
    Ok(())
}

const DOCTOR_NOTHING: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_HEADER: &str =
    "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const DOCTOR_FOOTER: &str = "I'm here to keep you safe, Sam. I want to help you.\n";
const DOCTOR_PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
const DOCTOR_ALLOCATOR_FRAG: &str = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n";
const DOCTOR_ALLOCATOR_RSS: &str = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
const DOCTOR_PROCESS_RSS: &str = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n";
const DOCTOR_CLIENT_BUFFERS: &str = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n";

/// The `High total RSS` finding, which names the allocator.
fn doctor_total_rss() -> String {
    format!(
        " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"{}\".\n\n",
        zmalloc::allocator_name()
    )
}

/// Redis's `getMemoryDoctorReport`: the same findings, thresholds and words.
pub fn doctor_report(mh: &Overhead, clients: usize) -> String {
    const MIB: usize = 1024 * 1024;
    const TEN_MIB: u64 = 10 * 1024 * 1024;
    if mh.used < 5 * MIB {
        return DOCTOR_EMPTY.to_string();
    }
    let mut findings: Vec<String> = Vec::new();
    if mh.peak as f64 / mh.used as f64 > 1.5 {
        findings.push(DOCTOR_PEAK.to_string());
    }
    if mh.total_frag > 1.4 && mh.total_frag_bytes as i64 > TEN_MIB as i64 {
        findings.push(doctor_total_rss());
    }
    if mh.allocator_frag > 1.1 && mh.allocator_frag_bytes > TEN_MIB {
        findings.push(DOCTOR_ALLOCATOR_FRAG.to_string());
    }
    if mh.allocator_rss > 1.1 && mh.allocator_rss_bytes as i64 > TEN_MIB as i64 {
        findings.push(DOCTOR_ALLOCATOR_RSS.to_string());
    }
    if mh.rss_extra > 1.1 && mh.rss_extra_bytes as i64 > TEN_MIB as i64 {
        findings.push(DOCTOR_PROCESS_RSS.to_string());
    }
    if mh.clients_normal / clients.max(1) > 200 * 1024 {
        findings.push(DOCTOR_CLIENT_BUFFERS.to_string());
    }
    if findings.is_empty() {
        return DOCTOR_NOTHING.to_string();
    }
    let mut report = DOCTOR_HEADER.to_string();
    for finding in findings {
        report.push_str(&finding);
    }
    report.push_str(DOCTOR_FOOTER);
    report
}

fn doctor(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let mh = overhead(ctx.server, ctx.client);
    let report = doctor_report(&mh, ctx.server.clients.len());
    ctx.reply.verbatim(report.as_bytes());
    Ok(())
}

fn malloc_stats(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if zmalloc::has_malloc_stats() {
        ctx.reply.verbatim(zmalloc::malloc_stats().as_bytes());
    } else {
        ctx.reply
            .bulk(b"Stats not supported for the current allocator");
    }
    Ok(())
}

fn purge(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    zmalloc::purge().map_err(|_| CmdError::new("ERR Error purging dirty pages"))?;
    // So the next INFO or MEMORY STATS shows what the purge gave back.
    ctx.server.memory.resample();
    ctx.reply.ok();
    Ok(())
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::introspection::reply_help(
        ctx,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overhead_with(used: usize, peak: usize) -> Overhead {
        Overhead {
            used,
            peak,
            startup: 1 << 20,
            clients_normal: 0,
            clients_replicas: 0,
            repl_backlog: 0,
            aof_buffer: 0,
            lua_caches: 0,
            functions_caches: 0,
            dbs: Vec::new(),
            total: 1 << 20,
            keys: 0,
            dataset: 0,
            dataset_perc: 0.0,
            peak_perc: 0.0,
            bytes_per_key: 0,
            allocator_frag: 1.0,
            allocator_frag_bytes: 0,
            allocator_rss: 1.0,
            allocator_rss_bytes: 0,
            rss_extra: 1.0,
            rss_extra_bytes: 0,
            total_frag: 1.0,
            total_frag_bytes: 0,
        }
    }

    #[test]
    fn doctor_findings_follow_redis_thresholds() {
        let small = overhead_with(4 << 20, 4 << 20);
        assert_eq!(doctor_report(&small, 1), DOCTOR_EMPTY);
        let healthy = overhead_with(50 << 20, 60 << 20);
        assert_eq!(doctor_report(&healthy, 1), DOCTOR_NOTHING);
        let mut troubled = overhead_with(50 << 20, 100 << 20);
        troubled.total_frag = 1.5;
        troubled.total_frag_bytes = 20 << 20;
        let report = doctor_report(&troubled, 1);
        assert!(report.starts_with(DOCTOR_HEADER));
        assert!(report.contains(" * Peak memory:"));
        assert!(report.contains(" * High total RSS:"));
        assert!(!report.contains("allocator fragmentation"));
        assert!(report.ends_with(DOCTOR_FOOTER));
    }
}
