//! String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX APPEND
//! STRLEN INCR INCRBY DECR DECRBY INCRBYFLOAT GETRANGE SUBSTR SETRANGE LCS.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::keys::{TimeUnit, positive_expire_ms};
use super::{Args, Command, Ctx, Group};
use crate::config::notify::{GENERIC, STRING};
use crate::db::record::Value;
use crate::db::table::Slot;
use crate::db::{Keyspace, Lookup, Ttl, as_int_encoding};
use crate::util::longdouble::LongDouble;

pub static COMMANDS: &[Command] = &[
    Command::new("get", 2, READONLY | FAST, Group::String, get)
        .doc("1.0.0", "Returns the string value of a key.", "O(1)")
        .syntax("key"),
    Command::new("set", -3, WRITE | DENYOOM, Group::String, set)
        .doc("1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "O(1)")
        .syntax("key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"),
    Command::new("setnx", 3, WRITE | DENYOOM | FAST, Group::String, setnx)
        .doc("1.0.0", "Set the string value of a key only when the key doesn't exist.", "O(1)")
        .syntax("key value"),
    Command::new("setex", 4, WRITE | DENYOOM, Group::String, setex)
        .doc("2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "O(1)")
        .syntax("key seconds value"),
    Command::new("psetex", 4, WRITE | DENYOOM, Group::String, psetex)
        .doc("2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "O(1)")
        .syntax("key milliseconds value"),
    Command::new("getset", 3, WRITE | DENYOOM | FAST, Group::String, getset)
        .doc("1.0.0", "Returns the previous string value of a key after setting it to a new value.", "O(1)")
        .syntax("key value"),
    Command::new("getdel", 2, WRITE | FAST, Group::String, getdel)
        .doc("6.2.0", "Returns the string value of a key after deleting the key.", "O(1)")
        .syntax("key"),
    Command::new("getex", -2, WRITE | FAST, Group::String, getex)
        .doc("6.2.0", "Returns the string value of a key after setting its expiration time.", "O(1)")
        .syntax("key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]"),
    Command::new("mget", -2, READONLY | FAST, Group::String, mget)
        .doc("1.0.0", "Atomically returns the string values of one or more keys.", "O(N) where N is the number of keys to retrieve.")
        .syntax("key [key ...]"),
    Command::new("mset", -3, WRITE | DENYOOM, Group::String, mset)
        .doc("1.0.1", "Atomically creates or modifies the string values of one or more keys.", "O(N) where N is the number of keys to set.")
        .syntax("key value [key value ...]"),
    Command::new("msetnx", -3, WRITE | DENYOOM, Group::String, msetnx)
        .doc("1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "O(N) where N is the number of keys to set.")
        .syntax("key value [key value ...]"),
    Command::new("append", 3, WRITE | DENYOOM | FAST, Group::String, append)
        .doc("2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.")
        .syntax("key value"),
    Command::new("strlen", 2, READONLY | FAST, Group::String, strlen)
        .doc("2.2.0", "Returns the length of a string value.", "O(1)")
        .syntax("key"),
    Command::new("incr", 2, WRITE | DENYOOM | FAST, Group::String, incr)
        .doc("1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)")
        .syntax("key"),
    Command::new("incrby", 3, WRITE | DENYOOM | FAST, Group::String, incrby)
        .doc("1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)")
        .syntax("key increment"),
    Command::new("decr", 2, WRITE | DENYOOM | FAST, Group::String, decr)
        .doc("1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "O(1)")
        .syntax("key"),
    Command::new("decrby", 3, WRITE | DENYOOM | FAST, Group::String, decrby)
        .doc("1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "O(1)")
        .syntax("key decrement"),
    Command::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, Group::String, incrbyfloat)
        .doc("2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "O(1)")
        .syntax("key increment"),
    Command::new("getrange", 4, READONLY, Group::String, getrange)
        .doc("2.4.0", "Returns a substring of the string stored at a key.", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.")
        .syntax("key start end"),
    Command::new("substr", 4, READONLY, Group::String, getrange)
        .doc("1.0.0", "Returns a substring from a string value.", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.")
        .syntax("key start end"),
    Command::new("setrange", 4, WRITE | DENYOOM, Group::String, setrange)
        .doc("2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.")
        .syntax("key offset value"),
    Command::new("lcs", -3, READONLY, Group::String, lcs)
        .doc("7.0.0", "Finds the longest common substring.", "O(N*M) where N and M are the lengths of s1 and s2, respectively")
        .syntax("key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]"),
];

/// The string value in `slot` as bytes, or WRONGTYPE for other types. Takes only the
/// keyspace, so the caller can write the bytes straight into its reply.
fn string_at<'a>(
    keyspace: &'a Keyspace,
    db: usize,
    slot: Slot,
    buf: &'a mut itoa::Buffer,
) -> Result<&'a [u8], CmdError> {
    crate::db::string_value(keyspace.record(db, slot), buf).ok_or(errors::WRONG_TYPE)
}

/// Replies with the string value of `key` (or null), counting a hit or miss.
fn reply_value(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let db = ctx.client.db;
    let Some(slot) = ctx.server.keyspace.lookup(db, key, Lookup::Read) else {
        ctx.reply.null();
        return Ok(());
    };
    let mut buf = itoa::Buffer::new();
    let value = string_at(&ctx.server.keyspace, db, slot, &mut buf)?;
    ctx.reply.bulk(value);
    Ok(())
}

fn get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let Some(slot) = ctx.server.keyspace.lookup(db, args.get(1), Lookup::Read) else {
        ctx.reply.null();
        return Ok(());
    };
    let record = ctx.server.keyspace.record(db, slot);
    match record.value() {
        Value::Str(bytes) => ctx.reply.bulk(bytes),
        Value::Int(v) => ctx.reply.bulk_int(v),
        Value::Object(_) => return Err(errors::WRONG_TYPE),
    }
    Ok(())
}

/// The value a SET stores: an integer when the bytes are one (Redis's INT encoding).
fn new_value(bytes: &[u8]) -> Value<'_> {
    match as_int_encoding(bytes) {
        Some(v) => Value::Int(v),
        None => Value::Str(bytes),
    }
}

/// Stores a string and announces it (`set`, then `expire` with a TTL); `Err` is Redis-style
/// out of memory for a value that cannot be allocated.
fn store(ctx: &mut Ctx, key: &[u8], value: &[u8], ttl: Ttl) -> Result<Slot, CmdError> {
    let db = ctx.client.db;
    let slot = ctx
        .server
        .keyspace
        .set(db, key, new_value(value), ttl)
        .map_err(CmdError::from)?;
    announce_set(&mut ctx.server.keyspace, db, key, ttl);
    Ok(slot)
}

/// The events of a SET-like store: `set`, and `expire` when it gave the key a TTL.
fn announce_set(keyspace: &mut Keyspace, db: usize, key: &[u8], ttl: Ttl) {
    keyspace.notify(STRING, "set", db, key);
    if let Ttl::At(_) = ttl {
        keyspace.notify(GENERIC, "expire", db, key);
    }
}

/// Options of SET and GETEX, accepted and refused with Redis's rules
/// (`parseExtendedStringArgumentsOrReply`): NX and XX exclude each other, KEEPTTL and PERSIST
/// exclude any expire, and two different expire options are a syntax error while the same one
/// given twice takes the last value.
#[derive(Default)]
struct SetOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    /// The expire argument, its unit, and whether it is relative (EX/PX) or absolute.
    expire: Option<(&'a [u8], TimeUnit, bool)>,
}

impl<'a> SetOptions<'a> {
    fn parse(args: &Args<'a>, start: usize, for_set: bool) -> Result<SetOptions<'a>, CmdError> {
        let mut o = SetOptions::default();
        let mut j = start;
        while j < args.len() {
            let opt = args.get(j).to_ascii_lowercase();
            let timed = match opt.as_slice() {
                b"ex" => Some((TimeUnit::Seconds, true)),
                b"px" => Some((TimeUnit::Milliseconds, true)),
                b"exat" => Some((TimeUnit::Seconds, false)),
                b"pxat" => Some((TimeUnit::Milliseconds, false)),
                _ => None,
            };
            match (opt.as_slice(), timed) {
                (b"nx", _) if for_set && !o.xx => o.nx = true,
                (b"xx", _) if for_set && !o.nx => o.xx = true,
                (b"get", _) if for_set => o.get = true,
                (b"keepttl", _) if for_set && !o.persist && o.expire.is_none() => o.keep_ttl = true,
                (b"persist", _) if !for_set && !o.keep_ttl && o.expire.is_none() => {
                    o.persist = true
                }
                (_, Some((unit, relative)))
                    if !o.keep_ttl
                        && !o.persist
                        && j + 1 < args.len()
                        && o.expire.is_none_or(|(_, u, r)| (u, r) == (unit, relative)) =>
                {
                    o.expire = Some((args.get(j + 1), unit, relative));
                    j += 1;
                }
                _ => return Err(errors::SYNTAX),
            }
            j += 1;
        }
        Ok(o)
    }
}

fn set(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let options = SetOptions::parse(args, 3, true)?;
    let when = match options.expire {
        Some((arg, unit, relative)) => Some(positive_expire_ms(ctx, arg, unit, relative, "set")?),
        None => None,
    };
    let key = args.get(1);
    let db = ctx.client.db;
    if options.get {
        reply_value(ctx, key)?;
    }
    let found = ctx.server.keyspace.lookup(db, key, Lookup::Write);
    if (options.nx && found.is_some()) || (options.xx && found.is_none()) {
        if !options.get {
            ctx.reply.null();
        }
        return Ok(());
    }
    let ttl = match when {
        Some(when) => Ttl::At(when),
        None if options.keep_ttl => Ttl::Keep,
        None => Ttl::Clear,
    };
    ctx.server
        .keyspace
        .set_found(db, key, found, new_value(args.get(2)), ttl)?;
    announce_set(&mut ctx.server.keyspace, db, key, ttl);
    if !options.get {
        ctx.reply.ok();
    }
    match when {
        Some(when) => propagate_pxat(ctx, key, args.get(2), when),
        // Propagated without GET (every GET token after the value: it may be repeated).
        None if options.get && ctx.server.keyspace.propagation.enabled() => {
            let kept: Vec<&[u8]> = args
                .iter()
                .enumerate()
                .filter(|&(i, arg)| i < 3 || !arg.eq_ignore_ascii_case(b"get"))
                .map(|(_, arg)| arg)
                .collect();
            ctx.server
                .keyspace
                .propagation
                .rewrite_command(kept.into_iter());
        }
        None => {}
    }
    Ok(())
}

/// A SET-like command that gave the key an expire is propagated as `SET key value PXAT <ms>`,
/// its options dropped, as in Redis: replayed later, the key expires at the same time.
fn propagate_pxat(ctx: &mut Ctx, key: &[u8], value: &[u8], when: u64) {
    let propagation = &mut ctx.server.keyspace.propagation;
    if propagation.enabled() {
        let mut ms = itoa::Buffer::new();
        let ms = ms.format(when).as_bytes();
        propagation.rewrite_command([&b"SET"[..], key, value, b"PXAT", ms].into_iter());
    }
}

/// Propagates the running command as the deletion of `key`: `DEL`, or `UNLINK` when `lazy`.
fn propagate_deletion(ctx: &mut Ctx, key: &[u8], lazy: bool) {
    let command: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
    ctx.server
        .keyspace
        .propagation
        .rewrite_command([command, key].into_iter());
}

fn setnx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let key = args.get(1);
    if ctx
        .server
        .keyspace
        .lookup(ctx.client.db, key, Lookup::Write)
        .is_some()
    {
        ctx.reply.int(0);
        return Ok(());
    }
    store(ctx, key, args.get(2), Ttl::Clear)?;
    ctx.reply.int(1);
    Ok(())
}

fn setex_generic(ctx: &mut Ctx, args: &Args, unit: TimeUnit, command: &str) -> CmdResult {
    let when = positive_expire_ms(ctx, args.get(2), unit, true, command)?;
    store(ctx, args.get(1), args.get(3), Ttl::At(when))?;
    propagate_pxat(ctx, args.get(1), args.get(3), when);
    ctx.reply.ok();
    Ok(())
}

fn setex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    setex_generic(ctx, args, TimeUnit::Seconds, "setex")
}

fn psetex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    setex_generic(ctx, args, TimeUnit::Milliseconds, "psetex")
}

fn getset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    reply_value(ctx, args.get(1))?;
    store(ctx, args.get(1), args.get(2), Ttl::Clear)?;
    // Propagated as the SET it amounts to.
    ctx.server
        .keyspace
        .propagation
        .rewrite_command([&b"SET"[..], args.get(1), args.get(2)].into_iter());
    Ok(())
}

fn getdel(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let key = args.get(1);
    let db = ctx.client.db;
    let Some(slot) = ctx.server.keyspace.lookup(db, key, Lookup::Read) else {
        ctx.reply.null();
        return Ok(());
    };
    let mut buf = itoa::Buffer::new();
    let value = string_at(&ctx.server.keyspace, db, slot, &mut buf)?;
    ctx.reply.bulk(value);
    let lazy = ctx.server.config.lazyfree_lazy_user_del;
    ctx.server.keyspace.delete_key(db, key, lazy);
    ctx.server.keyspace.notify(GENERIC, "del", db, key);
    propagate_deletion(ctx, key, lazy);
    Ok(())
}

fn getex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let options = SetOptions::parse(args, 2, false)?;
    let key = args.get(1);
    let db = ctx.client.db;
    let Some(slot) = ctx.server.keyspace.lookup(db, key, Lookup::Read) else {
        ctx.reply.null();
        return Ok(());
    };
    let mut buf = itoa::Buffer::new();
    // The type is checked before the expire argument, as in Redis.
    string_at(&ctx.server.keyspace, db, slot, &mut buf)?;
    let when = match options.expire {
        Some((arg, unit, relative)) => Some((
            positive_expire_ms(ctx, arg, unit, relative, "getex")?,
            relative,
        )),
        None => None,
    };
    ctx.reply
        .bulk(string_at(&ctx.server.keyspace, db, slot, &mut buf)?);
    match when {
        // An absolute time already past deletes the key.
        Some((when, false)) if ctx.server.keyspace.already_expired(when as i64) => {
            let lazy = ctx.server.config.lazyfree_lazy_expire;
            ctx.server.keyspace.delete_key(db, key, lazy);
            ctx.server.keyspace.notify(GENERIC, "del", db, key);
            propagate_deletion(ctx, key, lazy);
        }
        // GETEX is never propagated as sent: an expire as `PEXPIREAT key <ms>`, a removed
        // TTL as `PERSIST key`, nothing otherwise.
        Some((when, _)) => {
            ctx.server.keyspace.set_expire(db, slot, when)?;
            ctx.server.keyspace.modified(db, key);
            ctx.server.keyspace.notify(GENERIC, "expire", db, key);
            let propagation = &mut ctx.server.keyspace.propagation;
            if propagation.enabled() {
                let mut ms = itoa::Buffer::new();
                let ms = ms.format(when).as_bytes();
                propagation.rewrite_command([&b"PEXPIREAT"[..], key, ms].into_iter());
            }
        }
        None if options.persist && ctx.server.keyspace.remove_expire(db, slot)? => {
            ctx.server.keyspace.modified(db, key);
            ctx.server.keyspace.notify(GENERIC, "persist", db, key);
            ctx.server
                .keyspace
                .propagation
                .rewrite_command([&b"PERSIST"[..], key].into_iter());
        }
        None => {}
    }
    Ok(())
}

fn mget(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    ctx.reply.array(args.len() - 1);
    for key in args.from(1) {
        let Some(slot) = ctx.server.keyspace.lookup(db, key, Lookup::Read) else {
            ctx.reply.null();
            continue;
        };
        match ctx.server.keyspace.record(db, slot).value() {
            Value::Str(bytes) => ctx.reply.bulk(bytes),
            Value::Int(v) => ctx.reply.bulk_int(v),
            // MGET answers null for keys of other types.
            Value::Object(_) => ctx.reply.null(),
        }
    }
    Ok(())
}

fn mset_pairs(args: &Args, command: &str) -> Result<(), CmdError> {
    if args.len().is_multiple_of(2) {
        return Err(errors::wrong_arity(command));
    }
    Ok(())
}

/// Stores every pair, or none when memory runs out.
fn store_all(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let pairs: Vec<(&[u8], Value)> = (1..args.len())
        .step_by(2)
        .map(|i| (args.get(i), new_value(args.get(i + 1))))
        .collect();
    let db = ctx.client.db;
    ctx.server
        .keyspace
        .set_many(db, &pairs)
        .map_err(CmdError::from)
}

fn mset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    mset_pairs(args, "mset")?;
    store_all(ctx, args)?;
    ctx.reply.ok();
    Ok(())
}

fn msetnx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    mset_pairs(args, "msetnx")?;
    let db = ctx.client.db;
    for pair in (1..args.len()).step_by(2) {
        if ctx
            .server
            .keyspace
            .lookup(db, args.get(pair), Lookup::Write)
            .is_some()
        {
            ctx.reply.int(0);
            return Ok(());
        }
    }
    store_all(ctx, args)?;
    ctx.reply.int(1);
    Ok(())
}

/// Refuses a string that would exceed `proto-max-bulk-len`.
fn check_string_length(ctx: &Ctx, len: u64) -> Result<(), CmdError> {
    if len > ctx.server.config.proto_max_bulk_len {
        return Err(errors::STRING_TOO_LONG);
    }
    Ok(())
}

/// Makes the value in `slot` a plain string (integers become their decimal form) so it can be
/// changed in place.
pub(super) fn make_raw_string(ctx: &mut Ctx, slot: Slot) -> CmdResult {
    let db = ctx.client.db;
    let record = ctx.server.keyspace.record(db, slot);
    match record.value() {
        Value::Str(_) => Ok(()),
        Value::Int(v) => {
            let mut digits = itoa::Buffer::new();
            let rebuilt = record.with_value(Value::Str(digits.format(v).as_bytes()), true)?;
            ctx.server.keyspace.replace_record(db, slot, rebuilt);
            Ok(())
        }
        Value::Object(_) => Err(errors::WRONG_TYPE),
    }
}

fn append(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (key, tail) = (args.get(1), args.get(2));
    let db = ctx.client.db;
    let Some(slot) = ctx.server.keyspace.lookup(db, key, Lookup::Write) else {
        // A new key stores the value as SET would, integer-encoded when it is one.
        ctx.server
            .keyspace
            .set_found(db, key, None, new_value(tail), Ttl::Clear)?;
        ctx.server.keyspace.notify(STRING, "append", db, key);
        ctx.reply.int(tail.len() as i64);
        return Ok(());
    };
    make_raw_string(ctx, slot)?;
    let Value::Str(current) = ctx.server.keyspace.record(db, slot).value() else {
        unreachable!("made a string above")
    };
    let new_len = current.len() + tail.len();
    check_string_length(ctx, new_len as u64)?;
    ctx.server.keyspace.record_mut(db, slot).try_append(tail)?;
    ctx.server.keyspace.modified(db, key);
    ctx.server.keyspace.notify(STRING, "append", db, key);
    ctx.reply.int(new_len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let len = match ctx.server.keyspace.lookup(db, args.get(1), Lookup::Read) {
        None => 0,
        Some(slot) => match ctx.server.keyspace.record(db, slot).value() {
            Value::Str(bytes) => bytes.len(),
            Value::Int(v) => itoa::Buffer::new().format(v).len(),
            Value::Object(_) => return Err(errors::WRONG_TYPE),
        },
    };
    ctx.reply.int(len as i64);
    Ok(())
}

/// INCR, DECR, INCRBY, DECRBY.
fn incr_by(ctx: &mut Ctx, key: &[u8], delta: i64) -> CmdResult {
    let db = ctx.client.db;
    let slot = ctx.server.keyspace.lookup(db, key, Lookup::Write);
    let current = match slot {
        None => 0,
        Some(slot) => match ctx.server.keyspace.record(db, slot).value() {
            Value::Int(v) => v,
            Value::Str(bytes) => as_int_encoding(bytes).ok_or(errors::NOT_INTEGER)?,
            Value::Object(_) => return Err(errors::WRONG_TYPE),
        },
    };
    let value = current.checked_add(delta).ok_or(errors::OVERFLOW)?;
    match slot {
        Some(slot)
            if ctx
                .server
                .keyspace
                .record_mut(db, slot)
                .set_int_in_place(value) =>
        {
            ctx.server.keyspace.modified(db, key);
        }
        _ => {
            ctx.server
                .keyspace
                .set(db, key, Value::Int(value), Ttl::Keep)?;
        }
    }
    ctx.server.keyspace.notify(STRING, "incrby", db, key);
    ctx.reply.int(value);
    Ok(())
}

fn incr(ctx: &mut Ctx, args: &Args) -> CmdResult {
    incr_by(ctx, args.get(1), 1)
}

fn decr(ctx: &mut Ctx, args: &Args) -> CmdResult {
    incr_by(ctx, args.get(1), -1)
}

fn incrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let delta = args.i64(2)?;
    incr_by(ctx, args.get(1), delta)
}

fn decrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let delta = args.i64(2)?;
    let delta = delta
        .checked_neg()
        .ok_or_else(|| CmdError::new("ERR decrement would overflow"))?;
    incr_by(ctx, args.get(1), delta)
}

fn incrbyfloat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let key = args.get(1);
    let db = ctx.client.db;
    let increment = LongDouble::parse(args.get(2)).ok_or(errors::NOT_FLOAT)?;
    let current = match ctx.server.keyspace.lookup(db, key, Lookup::Write) {
        None => LongDouble::ZERO,
        Some(slot) => {
            let mut buf = itoa::Buffer::new();
            let bytes = string_at(&ctx.server.keyspace, db, slot, &mut buf)?;
            LongDouble::parse(bytes).ok_or(errors::NOT_FLOAT)?
        }
    };
    let sum = current.add(increment);
    if !sum.is_finite() {
        return Err(CmdError::new("ERR increment would produce NaN or Infinity"));
    }
    let text = sum.to_human_string();
    ctx.server
        .keyspace
        .set(db, key, Value::Str(text.as_bytes()), Ttl::Keep)?;
    ctx.server.keyspace.notify(STRING, "incrbyfloat", db, key);
    // Propagated as the value it stored, so float arithmetic is not redone on replay.
    ctx.server
        .keyspace
        .propagation
        .rewrite_command([&b"SET"[..], key, text.as_bytes(), b"KEEPTTL"].into_iter());
    ctx.reply.bulk(text.as_bytes());
    Ok(())
}

fn getrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (start, end) = (args.i64(2)?, args.i64(3)?);
    let db = ctx.client.db;
    let Some(slot) = ctx.server.keyspace.lookup(db, args.get(1), Lookup::Read) else {
        ctx.reply.bulk(b"");
        return Ok(());
    };
    let mut buf = itoa::Buffer::new();
    let value = string_at(&ctx.server.keyspace, db, slot, &mut buf)?;
    let len = value.len() as i64;
    let range = if start < 0 && end < 0 && start > end {
        None
    } else {
        let start = if start < 0 {
            (len + start).max(0)
        } else {
            start
        };
        let end = if end < 0 { (len + end).max(0) } else { end }.min(len - 1);
        (start <= end && len > 0).then(|| start as usize..end as usize + 1)
    };
    ctx.reply.bulk(range.map_or(&b""[..], |r| &value[r]));
    Ok(())
}

fn setrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let offset = args.i64(2)?;
    if offset < 0 {
        return Err(CmdError::new("ERR offset is out of range"));
    }
    let (key, patch) = (args.get(1), args.get(3));
    let offset = offset as usize;
    let db = ctx.client.db;
    let (slot, created) = match ctx.server.keyspace.lookup(db, key, Lookup::Write) {
        None => {
            if patch.is_empty() {
                ctx.reply.int(0);
                return Ok(());
            }
            check_string_length(ctx, offset as u64 + patch.len() as u64)?;
            let slot = ctx
                .server
                .keyspace
                .set(db, key, Value::Str(b""), Ttl::Clear)?;
            (slot, true)
        }
        Some(slot) => {
            // Nothing to write leaves the value, and its encoding, alone.
            if patch.is_empty() {
                let len = match ctx.server.keyspace.record(db, slot).value() {
                    Value::Str(current) => current.len(),
                    Value::Int(v) => itoa::Buffer::new().format(v).len(),
                    Value::Object(_) => return Err(errors::WRONG_TYPE),
                };
                ctx.reply.int(len as i64);
                return Ok(());
            }
            make_raw_string(ctx, slot)?;
            check_string_length(ctx, offset as u64 + patch.len() as u64)?;
            (slot, false)
        }
    };
    let record = ctx.server.keyspace.record_mut(db, slot);
    let Value::Str(current) = record.value() else {
        unreachable!("a string record")
    };
    let needed = offset + patch.len();
    if needed > current.len() && record.try_grow_value_zero(needed).is_err() {
        if created {
            // The command changes nothing when it cannot be done: drop the empty string.
            ctx.server.keyspace.remove_slot(db, slot);
        }
        return Err(errors::OUT_OF_MEMORY);
    }
    let bytes = record.string_bytes_mut().expect("a string record");
    bytes[offset..offset + patch.len()].copy_from_slice(patch);
    let len = bytes.len();
    ctx.server.keyspace.modified(db, key);
    ctx.server.keyspace.notify(STRING, "setrange", db, key);
    ctx.reply.int(len as i64);
    Ok(())
}

fn lcs(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut want_len, mut want_idx, mut with_match_len, mut min_match_len) =
        (false, false, false, 0i64);
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "IDX") {
            want_idx = true;
        } else if args.is(i, "LEN") {
            want_len = true;
        } else if args.is(i, "WITHMATCHLEN") {
            with_match_len = true;
        } else if args.is(i, "MINMATCHLEN") && i + 1 < args.len() {
            min_match_len = args.i64(i + 1)?.max(0);
            i += 1;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 1;
    }
    if want_len && want_idx {
        return Err(CmdError::new(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let db = ctx.client.db;
    let mut fetch = |key: &[u8]| -> Result<Vec<u8>, CmdError> {
        match ctx.server.keyspace.lookup(db, key, Lookup::Read) {
            None => Ok(Vec::new()),
            Some(slot) => {
                let mut buf = itoa::Buffer::new();
                let record = ctx.server.keyspace.record(db, slot);
                crate::db::string_value(record, &mut buf)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| {
                        CmdError::new("ERR The specified keys must contain string values")
                    })
            }
        }
    };
    let a = fetch(args.get(1))?;
    let b = fetch(args.get(2))?;
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1) * 4;
    if cells > ctx.server.config.proto_max_bulk_len {
        return Err(CmdError::new(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let result = crate::util::lcs::lcs(&a, &b);
    if !want_idx {
        if want_len {
            ctx.reply.int(result.len as i64);
        } else {
            ctx.reply.bulk(&result.string);
        }
        return Ok(());
    }
    let matches: Vec<_> = result
        .matches
        .iter()
        .filter(|m| m.len as i64 >= min_match_len)
        .collect();
    let reply = &mut *ctx.reply;
    reply.map(2);
    reply.bulk(b"matches");
    reply.array(matches.len());
    for m in matches {
        reply.array(if with_match_len { 3 } else { 2 });
        for (start, end) in [(m.a_start, m.a_end), (m.b_start, m.b_end)] {
            reply.array(2);
            reply.int(start as i64);
            reply.int(end as i64);
        }
        if with_match_len {
            reply.int(m.len as i64);
        }
    }
    reply.bulk(b"len");
    reply.int(result.len as i64);
    Ok(())
}

#[cfg(test)]
mod harness_tests {
    use crate::cmd::harness::Harness;

    #[test]
    fn set_options_wrongtype_and_oom() {
        let mut h = Harness::new();
        assert_eq!(h.run("SET k v NX XX"), "-ERR syntax error\r\n");
        assert_eq!(
            h.run("SET k v EX 0"),
            "-ERR invalid expire time in 'set' command\r\n"
        );
        assert_eq!(h.run("SET k v EX 10 KEEPTTL"), "-ERR syntax error\r\n");
        assert_eq!(h.run("SET k v GET"), "$-1\r\n");
        assert_eq!(h.run("SET k w GET"), "$1\r\nv\r\n");
        assert_eq!(
            h.run("INCR k"),
            "-ERR value is not an integer or out of range\r\n"
        );
        h.run("RPUSH l a");
        assert_eq!(
            h.run("GET l"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        let mut full = Harness::over_maxmemory();
        assert_eq!(
            full.run("SET k v"),
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        );
        assert_eq!(full.run("GET k"), "$-1\r\n");
    }

    #[test]
    fn writes_announce_redis_events_in_redis_order() {
        let mut h = Harness::new();
        let watcher = h.watch_events("A");
        h.run("SET k 1 EX 100");
        h.run("SET k 2 KEEPTTL");
        h.run("INCRBY k 5");
        h.run("INCRBYFLOAT k 1.5");
        h.run("APPEND k x");
        h.run("SETRANGE k 0 y");
        h.run("GETEX k PERSIST");
        h.run("GETEX k PERSIST");
        h.run("GETEX k PX 5000");
        h.run("GETDEL k");
        h.run("MSET a 1 b 2");
        h.run("MSETNX a 1 c 2");
        h.run("SETEX e 10 v");
        h.run("GETSET e w");
        h.run("GETEX e EXAT 1");
        h.run("SETNX a 3");
        assert_eq!(
            h.events(watcher),
            [
                "set k",
                "expire k",
                "set k",
                "incrby k",
                "incrbyfloat k",
                "append k",
                "setrange k",
                "persist k",
                "expire k",
                "del k",
                "set a",
                "set b",
                "set e",
                "expire e",
                "set e",
                "del e",
            ]
        );
        // `new` precedes the command's event; a read that misses is `keymiss`, a write not.
        let watcher = h.watch_events("Anm");
        h.run("SET n 1");
        h.run("SET n 2");
        h.run("GET missing");
        h.run("SET missing2 1 XX");
        h.run("APPEND n2 v");
        assert_eq!(
            h.events(watcher),
            [
                "new n",
                "set n",
                "set n",
                "keymiss missing",
                "new n2",
                "append n2"
            ]
        );
        // Nothing at all when notifications are off.
        h.run("CONFIG SET notify-keyspace-events \"\"");
        h.run("SET k 1");
        h.run("GET nothing");
        assert!(h.events(watcher).is_empty());
    }
}

#[cfg(test)]
mod propagation {
    use crate::cmd::harness::Harness;
    use crate::cmd::keys::propagation_tests::{propagated, propagating, resp};

    fn now(h: &Harness) -> u64 {
        h.server.keyspace.now_ms
    }

    #[test]
    fn set_with_an_expire_propagates_as_set_pxat() {
        let mut h = propagating();
        assert_eq!(h.run("SET k v EX 100"), "+OK\r\n");
        let when = (now(&h) + 100_000).to_string();
        assert_eq!(propagated(&mut h), resp(&["SET", "k", "v", "PXAT", &when]));
        assert_eq!(h.run("SET k v2 XX GET PX 500"), "$1\r\nv\r\n");
        let when = (now(&h) + 500).to_string();
        assert_eq!(propagated(&mut h), resp(&["SET", "k", "v2", "PXAT", &when]));
        let at = now(&h) / 1000 + 60;
        assert_eq!(h.run(&format!("SET n 1 NX EXAT {at}")), "+OK\r\n");
        let when = (at * 1000).to_string();
        assert_eq!(propagated(&mut h), resp(&["SET", "n", "1", "PXAT", &when]));
        assert_eq!(h.run("SETEX k 10 v3"), "+OK\r\n");
        let when = (now(&h) + 10_000).to_string();
        assert_eq!(propagated(&mut h), resp(&["SET", "k", "v3", "PXAT", &when]));
        assert_eq!(h.run("PSETEX k 100000 v4"), "+OK\r\n");
        let when = (now(&h) + 100_000).to_string();
        assert_eq!(propagated(&mut h), resp(&["SET", "k", "v4", "PXAT", &when]));
        // Not set (NX on an existing key), or refused: nothing.
        assert_eq!(h.run("SET k v5 NX EX 10"), "$-1\r\n");
        assert_eq!(
            h.run("SET k v5 EX 0"),
            "-ERR invalid expire time in 'set' command\r\n"
        );
        assert_eq!(
            h.run("SETEX k -1 v"),
            "-ERR invalid expire time in 'setex' command\r\n"
        );
        assert_eq!(propagated(&mut h), "");
    }

    #[test]
    fn set_get_propagates_without_get() {
        let mut h = propagating();
        assert_eq!(h.run("SET k v"), "+OK\r\n");
        assert_eq!(propagated(&mut h), resp(&["SET", "k", "v"]));
        assert_eq!(h.run("SET k v2 GET KEEPTTL get"), "$1\r\nv\r\n");
        assert_eq!(propagated(&mut h), resp(&["SET", "k", "v2", "KEEPTTL"]));
        // Only options are dropped: a key or value spelled `get` stays.
        assert_eq!(h.run("SET get get GET"), "$-1\r\n");
        assert_eq!(propagated(&mut h), resp(&["SET", "get", "get"]));
        // Not set: nothing.
        assert_eq!(h.run("SET k v3 GET NX"), "$2\r\nv2\r\n");
        assert_eq!(propagated(&mut h), "");
    }

    #[test]
    fn getex_propagates_as_pexpireat_persist_or_a_deletion() {
        let mut h = propagating();
        h.run("MSET a 1 b 2");
        propagated(&mut h);
        assert_eq!(h.run("GETEX a EX 10"), "$1\r\n1\r\n");
        let when = (now(&h) + 10_000).to_string();
        assert_eq!(propagated(&mut h), resp(&["PEXPIREAT", "a", &when]));
        let at = (now(&h) + 20_000).to_string();
        assert_eq!(h.run(&format!("GETEX a PXAT {at}")), "$1\r\n1\r\n");
        assert_eq!(propagated(&mut h), resp(&["PEXPIREAT", "a", &at]));
        assert_eq!(h.run("GETEX a PERSIST"), "$1\r\n1\r\n");
        assert_eq!(propagated(&mut h), resp(&["PERSIST", "a"]));
        // No TTL to remove, no option, a missing key: nothing.
        assert_eq!(h.run("GETEX a PERSIST"), "$1\r\n1\r\n");
        assert_eq!(h.run("GETEX a"), "$1\r\n1\r\n");
        assert_eq!(h.run("GETEX missing EX 10"), "$-1\r\n");
        assert_eq!(propagated(&mut h), "");
        assert_eq!(h.run("GETEX a EXAT 1"), "$1\r\n1\r\n");
        assert_eq!(propagated(&mut h), resp(&["DEL", "a"]));
        assert_eq!(h.run("CONFIG SET lazyfree-lazy-expire yes"), "+OK\r\n");
        assert_eq!(h.run("GETEX b PXAT 1"), "$1\r\n2\r\n");
        assert_eq!(propagated(&mut h), resp(&["UNLINK", "b"]));
    }

    #[test]
    fn getdel_propagates_as_a_deletion() {
        let mut h = propagating();
        h.run("MSET a 1 b 2");
        propagated(&mut h);
        assert_eq!(h.run("GETDEL a"), "$1\r\n1\r\n");
        assert_eq!(propagated(&mut h), resp(&["DEL", "a"]));
        assert_eq!(h.run("GETDEL a"), "$-1\r\n");
        assert_eq!(propagated(&mut h), "");
        assert_eq!(h.run("CONFIG SET lazyfree-lazy-user-del yes"), "+OK\r\n");
        assert_eq!(h.run("GETDEL b"), "$1\r\n2\r\n");
        assert_eq!(propagated(&mut h), resp(&["UNLINK", "b"]));
    }

    #[test]
    fn getset_and_incrbyfloat_propagate_as_set() {
        let mut h = propagating();
        assert_eq!(h.run("GETSET k v"), "$-1\r\n");
        assert_eq!(propagated(&mut h), resp(&["SET", "k", "v"]));
        assert_eq!(h.run("INCRBYFLOAT n 10.5"), "$4\r\n10.5\r\n");
        assert_eq!(propagated(&mut h), resp(&["SET", "n", "10.5", "KEEPTTL"]));
        assert_eq!(h.run("INCRBYFLOAT n 5.0e3"), "$6\r\n5010.5\r\n");
        assert_eq!(propagated(&mut h), resp(&["SET", "n", "5010.5", "KEEPTTL"]));
        // Refused: nothing.
        assert_eq!(
            h.run("INCRBYFLOAT k 1"),
            "-ERR value is not a valid float\r\n"
        );
        h.run("LPUSH l x");
        propagated(&mut h);
        assert_eq!(
            h.run("GETSET l v"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        assert_eq!(propagated(&mut h), "");
    }
}
