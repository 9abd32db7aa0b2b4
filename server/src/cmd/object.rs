//! `OBJECT` subcommands: ENCODING, FREQ, IDLETIME, REFCOUNT, HELP.

use super::errors::{CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::config::Config;
use crate::db::Lookup;
use crate::db::record::{Record, Value};

pub static COMMANDS: &[Command] = &[Command::container(
    "object",
    -2,
    Group::Generic,
    &[
        Command::new("encoding", 3, READONLY, Group::Generic, encoding)
            .doc(
                "2.2.3",
                "Returns the internal encoding of a Redis object.",
                "O(1)",
            )
            .syntax("key"),
        Command::new("freq", 3, READONLY, Group::Generic, freq)
            .doc(
                "4.0.0",
                "Returns the logarithmic access frequency counter of a Redis object.",
                "O(1)",
            )
            .syntax("key"),
        Command::new("idletime", 3, READONLY, Group::Generic, idletime)
            .doc(
                "2.2.3",
                "Returns the time since the last access to a Redis object.",
                "O(1)",
            )
            .syntax("key"),
        Command::new("refcount", 3, READONLY, Group::Generic, refcount)
            .doc(
                "2.2.3",
                "Returns the reference count of a value of a key.",
                "O(1)",
            )
            .syntax("key"),
        Command::new("help", 2, LOADING | STALE, Group::Generic, help).doc(
            "6.2.0",
            "Returns helpful text about the different subcommands.",
            "O(1)",
        ),
    ],
)
.doc(
    "2.2.3",
    "A container for object introspection commands.",
    "Depends on subcommand.",
)];

/// Integers Redis shares between keys (`OBJ_SHARED_INTEGERS`).
const SHARED_INTEGERS: i64 = 10000;

/// Looks the key up as OBJECT does; replies null and returns `None` when it is missing.
fn find(ctx: &mut Ctx, args: &Args) -> Option<crate::db::table::Slot> {
    let slot = ctx
        .server
        .keyspace
        .lookup(ctx.client.db, args.get(2), Lookup::ReadQuiet);
    if slot.is_none() {
        ctx.reply.null();
    }
    slot
}

fn encoding(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = find(ctx, args) else {
        return Ok(());
    };
    let db = ctx.client.db;
    let record = ctx.server.keyspace.record(db, slot);
    let name = ctx.server.keyspace.encoding_name(db, record);
    ctx.reply.bulk(name.as_bytes());
    Ok(())
}

fn freq(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = find(ctx, args) else {
        return Ok(());
    };
    if !ctx.server.config.maxmemory_policy.is_lfu() {
        return Err(CmdError::new(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please \
             note that when switching between policies at runtime LRU and LFU data will take \
             some time to adjust.",
        ));
    }
    let keyspace = &ctx.server.keyspace;
    let access = keyspace.record(ctx.client.db, slot).access();
    ctx.reply.int(keyspace.access.lfu_decayed(access) as i64);
    Ok(())
}

fn idletime(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = find(ctx, args) else {
        return Ok(());
    };
    if ctx.server.config.maxmemory_policy.is_lfu() {
        return Err(CmdError::new(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that \
             when switching between policies at runtime LRU and LFU data will take some time to \
             adjust.",
        ));
    }
    let keyspace = &ctx.server.keyspace;
    let access = keyspace.record(ctx.client.db, slot).access();
    ctx.reply
        .int((crate::db::access::idle_ms(access, keyspace.lru_clock) / 1000) as i64);
    Ok(())
}

fn refcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = find(ctx, args) else {
        return Ok(());
    };
    let record = ctx.server.keyspace.record(ctx.client.db, slot);
    ctx.reply.int(redis_refcount(&ctx.server.config, record));
    Ok(())
}

/// The reference count Redis would report for a value (`OBJECT REFCOUNT`, `DEBUG OBJECT`):
/// Redis shares the objects of small integers unless an LRU/LFU policy needs per-key access
/// bits; zedis stores every value in its record, but reports what Redis would.
pub fn redis_refcount(config: &Config, record: &Record) -> i64 {
    let sharing = config.maxmemory == 0
        || !(config.maxmemory_policy.is_lru() || config.maxmemory_policy.is_lfu());
    let shared = matches!(
        record.value(),
        Value::Int(v) if sharing && (0..SHARED_INTEGERS).contains(&v)
    );
    if shared { i32::MAX as i64 } else { 1 }
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::introspection::reply_help(
        ctx,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
    Ok(())
}
