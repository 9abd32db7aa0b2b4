//! `DEBUG`: POPULATE (bulk key creation for memory tests), SLEEP and HELP. Refused unless
//! `enable-debug-command` allows it, as in Redis.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::db::Lookup;
use crate::db::record::NewValue;

pub static COMMANDS: &[Command] = &[Command::new(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    Group::Server,
    debug,
)
.doc(
    "1.0.0",
    "A container for debugging commands.",
    "Depends on subcommand.",
)];

/// `getPositiveLongFromObjectOrReply`: both a non-integer and a negative value get this error.
fn positive(arg: &[u8]) -> Result<u64, CmdError> {
    crate::util::parse_i64(arg)
        .filter(|v| *v >= 0)
        .map(|v| v as u64)
        .ok_or_else(|| CmdError::new("ERR value is out of range, must be positive"))
}

fn debug(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let sub = args.get(1);
    match sub.to_ascii_lowercase().as_slice() {
        b"populate" if (3..=5).contains(&args.len()) => populate(ctx, args),
        b"sleep" if args.len() == 3 => {
            // Redis reads the time with strtod: what does not parse is 0.
            let seconds: f64 = std::str::from_utf8(args.get(2))
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .filter(|s: &f64| s.is_finite())
                .unwrap_or(0.0);
            if seconds > 0.0 {
                // Blocks the server, as DEBUG SLEEP does in Redis.
                std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
            }
            ctx.reply.ok();
            Ok(())
        }
        b"help" if args.len() == 2 => {
            super::introspection::reply_help(
                ctx,
                "DEBUG",
                &[
                    "POPULATE <count> [<prefix>] [<size>]",
                    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
                    "    it is used instead of the 'key' prefix. These are not propagated to",
                    "    replicas. Cluster slots are not respected so keys not belonging to the",
                    "    current node can be created in cluster mode.",
                    "SLEEP <seconds>",
                    "    Stop the server for <seconds>. Decimals allowed.",
                ],
            );
            Ok(())
        }
        _ => Err(errors::unknown_subcommand_or_arity(sub, "debug")),
    }
}

/// `DEBUG POPULATE count [prefix] [size]`: keys `prefix:N` (default `key`), values `value:N`
/// cut or zero-padded to `size` bytes; existing keys are left alone.
fn populate(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let count = positive(args.get(2))?;
    let prefix = args.try_get(3).unwrap_or(b"key");
    let size = match args.try_get(4) {
        Some(arg) => Some(positive(arg)? as usize),
        None => None,
    };
    let db = ctx.client.db;
    ctx.server.keyspace.reserve(db, count as usize);
    let mut key = Vec::with_capacity(prefix.len() + 21);
    let mut value = Vec::new();
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        if ctx
            .server
            .keyspace
            .lookup(db, &key, Lookup::Write)
            .is_some()
        {
            continue;
        }
        value.clear();
        value.extend_from_slice(b"value:");
        value.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        if let Some(size) = size.filter(|&s| s > 0) {
            value.resize(size, 0);
        }
        ctx.server
            .keyspace
            .set(db, &key, NewValue::Str(&value), false)
            .map_err(|_| errors::OUT_OF_MEMORY)?;
    }
    ctx.reply.ok();
    Ok(())
}
