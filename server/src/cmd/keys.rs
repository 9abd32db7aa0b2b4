//! Generic key commands: DEL UNLINK EXISTS TYPE KEYS SCAN RANDOMKEY RENAME RENAMENX COPY MOVE
//! SWAPDB EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST TOUCH
//! DBSIZE FLUSHDB FLUSHALL, and the expire-time arithmetic SET and GETEX share.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::scan::{ScanOptions, parse_cursor};
use super::{Args, Command, Ctx, Group};
use crate::config::notify::GENERIC;
use crate::db::Lookup;
use crate::db::record::Record;
use crate::util::glob_match;

pub static COMMANDS: &[Command] = &[
    Command::new("del", -2, WRITE, Group::Generic, del)
        .doc("1.0.0", "Deletes one or more keys.", "O(N) where N is the number of keys that will be removed.")
        .syntax("key [key ...]"),
    Command::new("unlink", -2, WRITE | FAST, Group::Generic, del)
        .doc("4.0.0", "Asynchronously deletes one or more keys.", "O(1) for each key removed regardless of its size.")
        .syntax("key [key ...]"),
    Command::new("exists", -2, READONLY | FAST, Group::Generic, exists)
        .doc("1.0.0", "Determines whether one or more keys exist.", "O(N) where N is the number of keys to check.")
        .syntax("key [key ...]"),
    Command::new("type", 2, READONLY | FAST, Group::Generic, key_type)
        .doc("1.0.0", "Determines the type of value stored at a key.", "O(1)")
        .syntax("key"),
    Command::new("keys", 2, READONLY, Group::Generic, keys)
        .doc("1.0.0", "Returns all key names that match a pattern.", "O(N) with N being the number of keys in the database")
        .syntax("pattern"),
    Command::new("scan", -2, READONLY | TOUCHES_ARBITRARY_KEYS, Group::Generic, scan)
        .doc("2.8.0", "Iterates over the key names in the database.", "O(1) for every call. O(N) for a complete iteration.")
        .syntax("cursor [MATCH pattern] [COUNT count] [TYPE type]"),
    Command::new("randomkey", 1, READONLY | TOUCHES_ARBITRARY_KEYS, Group::Generic, randomkey)
        .doc("1.0.0", "Returns a random key name from the database.", "O(1)"),
    Command::new("rename", 3, WRITE, Group::Generic, rename)
        .doc("1.0.0", "Renames a key and overwrites the destination.", "O(1)")
        .syntax("key newkey"),
    Command::new("renamenx", 3, WRITE | FAST, Group::Generic, renamenx)
        .doc("1.0.0", "Renames a key only when the target key name doesn't exist.", "O(1)")
        .syntax("key newkey"),
    Command::new("copy", -3, WRITE | DENYOOM, Group::Generic, copy)
        .doc("6.2.0", "Copies the value of a key to a new key.", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.")
        .syntax("source destination [DB destination-db] [REPLACE]"),
    Command::new("move", 3, WRITE | FAST, Group::Generic, move_key)
        .doc("1.0.0", "Moves a key to another database.", "O(1)")
        .syntax("key db"),
    Command::new("swapdb", 3, WRITE | FAST, Group::Server, swapdb)
        .doc("4.0.0", "Swaps two Redis databases.", "O(N) where N is the count of clients watching or blocking on keys from both databases.")
        .syntax("index1 index2"),
    Command::new("expire", -3, WRITE | FAST, Group::Generic, expire)
        .doc("1.0.0", "Sets the expiration time of a key in seconds.", "O(1)")
        .syntax("key seconds [NX | XX | GT | LT]"),
    Command::new("pexpire", -3, WRITE | FAST, Group::Generic, pexpire)
        .doc("2.6.0", "Sets the expiration time of a key in milliseconds.", "O(1)")
        .syntax("key milliseconds [NX | XX | GT | LT]"),
    Command::new("expireat", -3, WRITE | FAST, Group::Generic, expireat)
        .doc("1.2.0", "Sets the expiration time of a key to a Unix timestamp.", "O(1)")
        .syntax("key unix-time-seconds [NX | XX | GT | LT]"),
    Command::new("pexpireat", -3, WRITE | FAST, Group::Generic, pexpireat)
        .doc("2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp.", "O(1)")
        .syntax("key unix-time-milliseconds [NX | XX | GT | LT]"),
    Command::new("ttl", 2, READONLY | FAST, Group::Generic, ttl)
        .doc("1.0.0", "Returns the expiration time in seconds of a key.", "O(1)")
        .syntax("key"),
    Command::new("pttl", 2, READONLY | FAST, Group::Generic, pttl)
        .doc("2.6.0", "Returns the expiration time in milliseconds of a key.", "O(1)")
        .syntax("key"),
    Command::new("expiretime", 2, READONLY | FAST, Group::Generic, expiretime)
        .doc("7.0.0", "Returns the expiration time of a key as a Unix timestamp.", "O(1)")
        .syntax("key"),
    Command::new("pexpiretime", 2, READONLY | FAST, Group::Generic, pexpiretime)
        .doc("7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp.", "O(1)")
        .syntax("key"),
    Command::new("persist", 2, WRITE | FAST, Group::Generic, persist)
        .doc("2.2.0", "Removes the expiration time of a key.", "O(1)")
        .syntax("key"),
    Command::new("touch", -2, READONLY | FAST, Group::Generic, touch)
        .doc("3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "O(N) where N is the number of keys that will be touched.")
        .syntax("key [key ...]"),
    Command::new("dbsize", 1, READONLY | FAST, Group::Server, dbsize)
        .doc("1.0.0", "Returns the number of keys in the database.", "O(1)"),
    Command::new("flushdb", -1, WRITE, Group::Server, flushdb)
        .doc("1.0.0", "Removes all keys from the current database.", "O(N) where N is the number of keys in the selected database")
        .syntax("[ASYNC | SYNC]"),
    Command::new("flushall", -1, WRITE, Group::Server, flushall)
        .doc("1.0.0", "Removes all keys from all databases.", "O(N) where N is the total number of keys in all databases")
        .syntax("[ASYNC | SYNC]"),
];

/// The `TYPE` name of a record's value.
pub fn type_name(ctx: &Ctx, record: &Record) -> &'static str {
    ctx.server.keyspace.type_name(ctx.client.db, record)
}

/// DEL and UNLINK. Both free a collection of more than 64 parts on the lazy-free thread, so a
/// DEL of a large collection does not stall other clients (Redis does that for DEL only with
/// `lazyfree-lazy-user-del yes`; a deliberate difference, see the README).
fn del(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let mut deleted = 0;
    for key in args.from(1) {
        // An expired key is reclaimed by the lookup and does not count as deleted.
        if ctx.server.keyspace.lookup(db, key, Lookup::Write).is_some()
            && ctx.server.keyspace.delete_key(db, key, true)
        {
            ctx.server.keyspace.notify(GENERIC, "del", db, key);
            deleted += 1;
        }
    }
    ctx.reply.int(deleted);
    Ok(())
}

fn exists(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let count = args
        .from(1)
        .filter(|key| {
            ctx.server
                .keyspace
                .lookup(db, key, Lookup::ReadNoTouch)
                .is_some()
        })
        .count();
    ctx.reply.int(count as i64);
    Ok(())
}

fn key_type(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let name = match ctx
        .server
        .keyspace
        .lookup(db, args.get(1), Lookup::ReadNoTouch)
    {
        Some(slot) => type_name(ctx, ctx.server.keyspace.record(db, slot)),
        None => "none",
    };
    ctx.reply.simple(name.as_bytes());
    Ok(())
}

fn keys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let pattern = args.get(1);
    let all = pattern == b"*";
    let keyspace = &ctx.server.keyspace;
    let now = keyspace.now_ms;
    let matching: Vec<&[u8]> = keyspace.dbs[db]
        .table
        .iter()
        .filter(|r| r.expire().is_none_or(|(when, _)| now <= when))
        .map(Record::key)
        .filter(|key| all || glob_match(pattern, key, false))
        .collect();
    ctx.reply.array(matching.len());
    for key in matching {
        ctx.reply.bulk(key);
    }
    Ok(())
}

fn scan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cursor = parse_cursor(args.get(1))?;
    let options = ScanOptions::parse(args, 2, true)?;
    let db = ctx.client.db;
    let (next, found) = scan_keys(ctx, db, cursor, &options);
    ctx.reply.array(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array(found.len());
    for key in found {
        ctx.reply.bulk(&key);
    }
    Ok(())
}

/// One SCAN step over a database: the next cursor and the keys found. Expired keys met on the
/// way are reclaimed, as Redis does.
fn scan_keys(ctx: &mut Ctx, db: usize, cursor: u64, options: &ScanOptions) -> (u64, Vec<Vec<u8>>) {
    let keyspace = &ctx.server.keyspace;
    let table = &keyspace.dbs[db].table;
    let mut found = Vec::new();
    let mut expired = Vec::new();
    let now = keyspace.now_ms;
    let next = table.scan_entries(cursor, options.count, |record| {
        if record.expire().is_some_and(|(when, _)| now > when) {
            expired.push(record.key().to_vec());
        } else {
            found.push(record.key().to_vec());
        }
    });
    for key in expired {
        // The lookup sees the key expired and deletes it.
        ctx.server.keyspace.lookup(db, &key, Lookup::Write);
    }
    found.retain(|key| options.pattern.is_none_or(|p| glob_match(p, key, false)));
    if let Some(wanted) = options.type_filter {
        found.retain(|key| {
            let keyspace = &ctx.server.keyspace;
            keyspace.peek(db, key).is_some_and(|slot| {
                let name = type_name(ctx, keyspace.record(db, slot));
                name.as_bytes().eq_ignore_ascii_case(wanted)
            })
        });
    }
    (next, found)
}

fn randomkey(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let db = ctx.client.db;
    // Keys with a TTL may be expired: reclaim and retry, a bounded number of times when every
    // key is volatile (Redis gives up after 100 tries and returns such a key).
    for attempt in 0.. {
        let keyspace = &mut ctx.server.keyspace;
        let Some(slot) = keyspace.dbs[db].table.random(&mut keyspace.rng) else {
            ctx.reply.null();
            return Ok(());
        };
        let key = keyspace.record(db, slot).key().to_vec();
        let all_volatile = keyspace.dbs[db].expires_len() == keyspace.dbs[db].len();
        if keyspace.is_expired(db, slot) && !(all_volatile && attempt >= 100) {
            keyspace.lookup(db, &key, Lookup::Write);
            continue;
        }
        ctx.reply.bulk(&key);
        break;
    }
    Ok(())
}

/// RENAME and RENAMENX: moves the value (and TTL) of `key` to `newkey`.
fn rename_generic(ctx: &mut Ctx, args: &Args, nx: bool) -> CmdResult {
    let db = ctx.client.db;
    let (from, to) = (args.get(1), args.get(2));
    if ctx
        .server
        .keyspace
        .lookup(db, from, Lookup::Write)
        .is_none()
    {
        return Err(errors::NO_SUCH_KEY);
    }
    if from == to {
        if nx {
            ctx.reply.int(0);
        } else {
            ctx.reply.ok();
        }
        return Ok(());
    }
    if ctx.server.keyspace.lookup(db, to, Lookup::Write).is_some() {
        if nx {
            ctx.reply.int(0);
            return Ok(());
        }
        ctx.server.keyspace.delete_key(db, to, false);
    }
    ctx.server.keyspace.move_value(db, from, db, to)?;
    ctx.server.keyspace.notify(GENERIC, "rename_from", db, from);
    ctx.server.keyspace.notify(GENERIC, "rename_to", db, to);
    if nx {
        ctx.reply.int(1);
    } else {
        ctx.reply.ok();
    }
    Ok(())
}

fn rename(ctx: &mut Ctx, args: &Args) -> CmdResult {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    rename_generic(ctx, args, true)
}

/// Parses a database index argument with Redis's two errors.
fn db_index(ctx: &Ctx, arg: &[u8], not_integer: CmdError) -> Result<usize, CmdError> {
    let index = crate::util::parse_i64(arg).ok_or(not_integer)?;
    if index < 0 || index >= ctx.server.config.databases as i64 {
        return Err(errors::DB_INDEX_OUT_OF_RANGE);
    }
    Ok(index as usize)
}

fn copy(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let source_db = ctx.client.db;
    let mut target_db = source_db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if args.is(i, "REPLACE") {
            replace = true;
        } else if args.is(i, "DB") && i + 1 < args.len() {
            target_db = db_index(ctx, args.get(i + 1), errors::NOT_INTEGER)?;
            i += 1;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 1;
    }
    if ctx.server.config.cluster_enabled && (source_db != 0 || target_db != 0) {
        return Err(CmdError::new(
            "ERR Copying to another database is not allowed in cluster mode",
        ));
    }
    let (from, to) = (args.get(1), args.get(2));
    if source_db == target_db && from == to {
        return Err(CmdError::new(
            "ERR source and destination objects are the same",
        ));
    }
    // The source is read (a miss is a `keymiss`), as in Redis.
    if ctx
        .server
        .keyspace
        .lookup(source_db, from, Lookup::Read)
        .is_none()
    {
        ctx.reply.int(0);
        return Ok(());
    }
    if ctx
        .server
        .keyspace
        .lookup(target_db, to, Lookup::Write)
        .is_some()
    {
        if !replace {
            ctx.reply.int(0);
            return Ok(());
        }
        ctx.server.keyspace.delete_key(target_db, to, false);
    }
    ctx.server
        .keyspace
        .copy_value(source_db, from, target_db, to)?;
    ctx.server
        .keyspace
        .notify(GENERIC, "copy_to", target_db, to);
    ctx.reply.int(1);
    Ok(())
}

fn move_key(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if ctx.server.config.cluster_enabled {
        return Err(CmdError::new("ERR MOVE is not allowed in cluster mode"));
    }
    let source_db = ctx.client.db;
    let target_db = db_index(ctx, args.get(2), errors::NOT_INTEGER)?;
    if source_db == target_db {
        return Err(CmdError::new(
            "ERR source and destination objects are the same",
        ));
    }
    let key = args.get(1);
    if ctx
        .server
        .keyspace
        .lookup(source_db, key, Lookup::Write)
        .is_none()
        || ctx
            .server
            .keyspace
            .lookup(target_db, key, Lookup::Write)
            .is_some()
    {
        ctx.reply.int(0);
        return Ok(());
    }
    ctx.server
        .keyspace
        .move_value(source_db, key, target_db, key)?;
    ctx.server
        .keyspace
        .notify(GENERIC, "move_from", source_db, key);
    ctx.server
        .keyspace
        .notify(GENERIC, "move_to", target_db, key);
    ctx.reply.int(1);
    Ok(())
}

fn swapdb(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if ctx.server.config.cluster_enabled {
        return Err(CmdError::new("ERR SWAPDB is not allowed in cluster mode"));
    }
    let a = db_index(
        ctx,
        args.get(1),
        CmdError::new("ERR invalid first DB index"),
    )?;
    let b = db_index(
        ctx,
        args.get(2),
        CmdError::new("ERR invalid second DB index"),
    )?;
    ctx.server.keyspace.swap_dbs(a, b);
    ctx.reply.ok();
    Ok(())
}

/// `NX | XX | GT | LT` of the EXPIRE family.
#[derive(Default)]
struct ExpireCondition {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireCondition {
    fn parse(args: &Args) -> Result<ExpireCondition, CmdError> {
        let mut c = ExpireCondition::default();
        for option in args.from(3) {
            match option.to_ascii_lowercase().as_slice() {
                b"nx" => c.nx = true,
                b"xx" => c.xx = true,
                b"gt" => c.gt = true,
                b"lt" => c.lt = true,
                _ => {
                    return Err(CmdError::owned(format!(
                        "ERR Unsupported option {}",
                        String::from_utf8_lossy(option)
                    )));
                }
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(CmdError::new(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if c.gt && c.lt {
            return Err(CmdError::new(
                "ERR GT and LT options at the same time are not compatible",
            ));
        }
        Ok(c)
    }

    /// Whether the new expire `when` may replace `current` (`None`: no expire, an infinite TTL).
    fn allows(&self, when: i64, current: Option<u64>) -> bool {
        let current = current.map(|c| c as i64);
        !((self.nx && current.is_some())
            || (self.xx && current.is_none())
            || (self.gt && current.is_none_or(|c| when <= c))
            || (self.lt && current.is_some_and(|c| when >= c)))
    }
}

/// Seconds or milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Milliseconds,
}

/// `invalid expire time in '<command>' command`.
pub fn invalid_expire_time(command: &str) -> CmdError {
    CmdError::owned(format!("ERR invalid expire time in '{command}' command"))
}

/// The absolute expire time (unix ms) of SET/GETEX/SETEX/PSETEX: the value must be positive;
/// `relative` times are added to the command's time (Redis's `getExpireMillisecondsOrReply`).
pub fn positive_expire_ms(
    ctx: &Ctx,
    arg: &[u8],
    unit: TimeUnit,
    relative: bool,
    command: &str,
) -> Result<u64, CmdError> {
    let value = crate::util::parse_i64(arg).ok_or(errors::NOT_INTEGER)?;
    if value <= 0 || (unit == TimeUnit::Seconds && value > i64::MAX / 1000) {
        return Err(invalid_expire_time(command));
    }
    let mut when = if unit == TimeUnit::Seconds {
        value * 1000
    } else {
        value
    };
    if relative {
        when = when.wrapping_add(ctx.server.keyspace.now_ms as i64);
    }
    if when <= 0 {
        return Err(invalid_expire_time(command));
    }
    Ok(when as u64)
}

/// The EXPIRE family (Redis's `expireGenericCommand`): negative times are allowed and expire
/// the key at once; overflow is an error.
fn expire_generic(
    ctx: &mut Ctx,
    args: &Args,
    unit: TimeUnit,
    relative: bool,
    command: &str,
) -> CmdResult {
    let condition = ExpireCondition::parse(args)?;
    let mut when = args.i64(2)?;
    if unit == TimeUnit::Seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(invalid_expire_time(command));
        }
        when *= 1000;
    }
    let base = if relative {
        ctx.server.keyspace.now_ms as i64
    } else {
        0
    };
    if when > i64::MAX - base {
        return Err(invalid_expire_time(command));
    }
    when += base;
    let db = ctx.client.db;
    let key = args.get(1);
    let Some(slot) = ctx.server.keyspace.lookup(db, key, Lookup::Write) else {
        ctx.reply.int(0);
        return Ok(());
    };
    let current = ctx
        .server
        .keyspace
        .record(db, slot)
        .expire()
        .map(|(w, _)| w);
    if !condition.allows(when, current) {
        ctx.reply.int(0);
        return Ok(());
    }
    if ctx.server.keyspace.already_expired(when) {
        let lazy = ctx.server.config.lazyfree_lazy_expire;
        ctx.server.keyspace.delete_key(db, key, lazy);
        ctx.server.keyspace.notify(GENERIC, "del", db, key);
        // Propagated as the deletion it amounts to.
        let command: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
        ctx.server
            .keyspace
            .propagation
            .rewrite_command([command, key].into_iter());
    } else {
        ctx.server.keyspace.set_expire(db, slot, when as u64)?;
        ctx.server.keyspace.modified(db, key);
        ctx.server.keyspace.notify(GENERIC, "expire", db, key);
        // Propagated as `PEXPIREAT key <ms> [options as sent]`, so a replay expires the key at
        // the same time (PEXPIREAT itself goes as sent).
        let propagation = &mut ctx.server.keyspace.propagation;
        if command != "pexpireat" && propagation.enabled() {
            let mut ms = itoa::Buffer::new();
            let ms = ms.format(when).as_bytes();
            let head = [&b"PEXPIREAT"[..], key, ms].into_iter();
            let argv: Vec<&[u8]> = head.chain(args.from(3)).collect();
            propagation.rewrite_command(argv.into_iter());
        }
    }
    ctx.reply.int(1);
    Ok(())
}

fn expire(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, TimeUnit::Seconds, true, "expire")
}

fn pexpire(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, TimeUnit::Milliseconds, true, "pexpire")
}

fn expireat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, TimeUnit::Seconds, false, "expireat")
}

fn pexpireat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, TimeUnit::Milliseconds, false, "pexpireat")
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without an expire.
fn ttl_generic(ctx: &mut Ctx, args: &Args, unit: TimeUnit, absolute: bool) -> CmdResult {
    let db = ctx.client.db;
    let Some(slot) = ctx
        .server
        .keyspace
        .lookup(db, args.get(1), Lookup::ReadNoTouch)
    else {
        ctx.reply.int(-2);
        return Ok(());
    };
    let Some((when, _)) = ctx.server.keyspace.record(db, slot).expire() else {
        ctx.reply.int(-1);
        return Ok(());
    };
    let value = if absolute {
        when as i64
    } else {
        (when as i64 - ctx.server.keyspace.now_ms as i64).max(0)
    };
    ctx.reply.int(match unit {
        TimeUnit::Milliseconds => value,
        // TTL and EXPIRETIME both round to the nearest second.
        TimeUnit::Seconds => (value + 500) / 1000,
    });
    Ok(())
}

fn ttl(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, TimeUnit::Seconds, false)
}

fn pttl(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, TimeUnit::Milliseconds, false)
}

fn expiretime(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, TimeUnit::Seconds, true)
}

fn pexpiretime(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, TimeUnit::Milliseconds, true)
}

fn persist(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let key = args.get(1);
    let removed = match ctx.server.keyspace.lookup(db, key, Lookup::Write) {
        Some(slot) => ctx.server.keyspace.remove_expire(db, slot)?,
        None => false,
    };
    if removed {
        ctx.server.keyspace.modified(db, key);
        ctx.server.keyspace.notify(GENERIC, "persist", db, key);
    }
    ctx.reply.int(removed as i64);
    Ok(())
}

fn touch(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let count = args
        .from(1)
        .filter(|key| ctx.server.keyspace.lookup(db, key, Lookup::Read).is_some())
        .count();
    ctx.reply.int(count as i64);
    Ok(())
}

fn dbsize(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.reply
        .int(ctx.server.keyspace.dbs[ctx.client.db].len() as i64);
    Ok(())
}

/// `[ASYNC | SYNC]` of FLUSHDB and FLUSHALL; without it, `lazyfree-lazy-user-flush` decides.
fn flush_mode(ctx: &Ctx, args: &Args) -> Result<bool, CmdError> {
    match args.len() {
        1 => Ok(ctx.server.config.lazyfree_lazy_user_flush),
        2 if args.is(1, "ASYNC") => Ok(true),
        2 if args.is(1, "SYNC") => Ok(false),
        _ => Err(errors::SYNTAX),
    }
}

fn flushdb(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let lazy = flush_mode(ctx, args)?;
    ctx.server.keyspace.flush_db(ctx.client.db, lazy);
    // Propagated even when the database was already empty, as in Redis.
    ctx.server.keyspace.propagation.force_command();
    if !lazy {
        // As Redis does after a synchronous flush: give the freed pages back.
        let _ = zmalloc::purge();
    }
    ctx.reply.ok();
    Ok(())
}

/// `FLUSHALL`: a background save in progress is abandoned, and with save points set the
/// empty dataset is saved at once (`flushAllDataAndResetRDB`), the change counter kept so
/// the flush still counts as a change.
fn flushall(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let lazy = flush_mode(ctx, args)?;
    // A rewrite goes on: the flush reaches the AOF after it, in the new incremental file.
    if ctx.server.rdb_save_in_progress() {
        ctx.server.abort_background_save();
    }
    for db in 0..ctx.server.keyspace.dbs.len() {
        ctx.server.keyspace.flush_db(db, lazy);
    }
    // Propagated even when every database was already empty, as in Redis.
    ctx.server.keyspace.propagation.force_command();
    if !ctx.server.config.save_params.is_empty() {
        let dirty = ctx.server.keyspace.stats.dirty;
        let _ = ctx.server.save_rdb();
        ctx.server.keyspace.stats.dirty = dirty;
    }
    if !lazy {
        let _ = zmalloc::purge();
    }
    ctx.reply.ok();
    Ok(())
}

#[cfg(test)]
mod harness_tests {
    use crate::cmd::harness::Harness;

    #[test]
    fn key_command_options_and_errors() {
        let mut h = Harness::new();
        h.run("SET k v");
        assert_eq!(
            h.run("EXPIRE k 10 NX XX"),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
        );
        assert_eq!(
            h.run("EXPIRE k abc"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(h.run("RENAME nosuch x"), "-ERR no such key\r\n");
        assert_eq!(
            h.run("COPY k k"),
            "-ERR source and destination objects are the same\r\n"
        );
        assert_eq!(h.run("SCAN 0 COUNT 0"), "-ERR syntax error\r\n");
        assert_eq!(h.run("SELECT 16"), "-ERR DB index is out of range\r\n");
        assert_eq!(h.run("TYPE k"), "+string\r\n");
    }

    #[test]
    fn key_commands_announce_generic_events() {
        let mut h = Harness::new();
        let watcher = h.watch_events("gn");
        h.run("MSET a 1 b 2 c 3");
        assert_eq!(h.events(watcher), ["new a", "new b", "new c"]);
        h.run("DEL a missing");
        h.run("UNLINK b");
        h.run("EXPIRE c 100");
        h.run("EXPIRE c 50 GT");
        h.run("PERSIST c");
        h.run("PERSIST c");
        h.run("RENAME c d");
        h.run("RENAME d d");
        h.run("SET e 1");
        h.run("RENAMENX d e");
        // The replaced key is deleted unannounced, the moved one added anew.
        h.run("RENAME d e");
        h.run("COPY e f");
        h.run("COPY e f");
        h.run("MOVE f 3");
        h.run("PEXPIRE e -1");
        h.run("FLUSHDB");
        assert_eq!(
            h.events(watcher),
            [
                "del a",
                "del b",
                "expire c",
                "persist c",
                "new d",
                "rename_from c",
                "rename_to d",
                "new e",
                "new e",
                "rename_from d",
                "rename_to e",
                "new f",
                "copy_to f",
                "new@3 f",
                "move_from f",
                "move_to@3 f",
                "del e",
            ]
        );
    }

    #[test]
    fn read_misses_announce_keymiss_but_object_and_writes_do_not() {
        let mut h = Harness::new();
        let watcher = h.watch_events("m");
        h.run("GET a");
        h.run("TYPE b");
        h.run("EXISTS c");
        h.run("TTL d");
        h.run("OBJECT ENCODING e");
        h.run("DEL f");
        h.run("EXPIRE g 10");
        h.run("COPY h i");
        h.run("LPUSHX j x");
        assert_eq!(
            h.events(watcher),
            [
                "keymiss a",
                "keymiss b",
                "keymiss c",
                "keymiss d",
                "keymiss h"
            ]
        );
    }

    #[test]
    fn expiry_announces_expired_before_the_miss() {
        let mut h = Harness::new();
        let watcher = h.watch_events("xgm");
        h.run("SET k v PX 1");
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.run("GET k");
        assert_eq!(h.events(watcher), ["expire k", "expired k", "keymiss k"]);
    }
}

/// What the command families' tests read their commands' propagated forms with: a harness
/// whose AOF is on collects each execution unit's operations in its AOF buffer, as the file
/// would receive them.
#[cfg(test)]
pub(crate) mod propagation_tests {
    use crate::cmd::harness::Harness;

    /// A harness feeding its AOF buffer (no file), the buffer empty and database 0 already
    /// selected in it.
    pub fn propagating() -> Harness {
        let mut h = Harness::new();
        h.server.aof.state = crate::server::aof::AofState::On;
        h.server.keyspace.propagation.set_enabled(true);
        // FLUSHALL propagates even on an empty server, after the first operation's SELECT.
        assert_eq!(h.run("FLUSHALL"), "+OK\r\n");
        assert_eq!(
            propagated(&mut h),
            "*2\\r\\n$6\\r\\nSELECT\\r\\n$1\\r\\n0\\r\\n*1\\r\\n$8\\r\\nFLUSHALL\\r\\n"
        );
        h
    }

    /// The bytes propagated since last asked, escaped (`\r` as `\\r`, other bytes outside
    /// printable ASCII as `\\xNN`) so a mismatch reads well and binary compares exactly.
    pub fn propagated(h: &mut Harness) -> String {
        std::mem::take(&mut h.server.aof.buf)
            .escape_ascii()
            .to_string()
    }

    /// One command as RESP, escaped as [`propagated`] escapes it.
    pub fn resp<A: AsRef<[u8]>>(argv: &[A]) -> String {
        let mut out = format!("*{}\r\n", argv.len()).into_bytes();
        for arg in argv {
            let arg = arg.as_ref();
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        out.escape_ascii().to_string()
    }

    /// Operations propagated together, wrapped in `MULTI`/`EXEC`.
    pub fn transaction(ops: &[String]) -> String {
        format!("{}{}{}", resp(&["MULTI"]), ops.concat(), resp(&["EXEC"]))
    }
}

#[cfg(test)]
mod propagation {
    use super::propagation_tests::{propagated, propagating, resp};

    #[test]
    fn the_expire_family_propagates_as_pexpireat() {
        let mut h = propagating();
        h.run("SET k v");
        propagated(&mut h);
        assert_eq!(h.run("EXPIRE k 100"), ":1\r\n");
        let when = h.server.keyspace.now_ms + 100_000;
        assert_eq!(
            propagated(&mut h),
            resp(&["PEXPIREAT", "k", &when.to_string()])
        );
        assert_eq!(h.run("PEXPIRE k 200000 gt"), ":1\r\n");
        let when = h.server.keyspace.now_ms + 200_000;
        assert_eq!(
            propagated(&mut h),
            resp(&["PEXPIREAT", "k", &when.to_string(), "gt"])
        );
        let at = h.server.keyspace.now_ms / 1000 + 100;
        assert_eq!(h.run(&format!("EXPIREAT k {at} XX LT")), ":1\r\n");
        assert_eq!(
            propagated(&mut h),
            resp(&["PEXPIREAT", "k", &(at * 1000).to_string(), "XX", "LT"])
        );
        // PEXPIREAT goes as sent.
        let at = h.server.keyspace.now_ms + 50_000;
        assert_eq!(h.run(&format!("PEXPIREAT k {at} lt")), ":1\r\n");
        assert_eq!(
            propagated(&mut h),
            resp(&["PEXPIREAT", "k", &at.to_string(), "lt"])
        );
        // Refused by its condition, or on a missing key: nothing.
        assert_eq!(h.run("EXPIRE k 1000 NX"), ":0\r\n");
        assert_eq!(h.run("EXPIRE missing 10"), ":0\r\n");
        assert_eq!(propagated(&mut h), "");
    }

    #[test]
    fn an_expire_in_the_past_propagates_as_a_deletion() {
        let mut h = propagating();
        h.run("MSET a 1 b 2 c 3");
        propagated(&mut h);
        assert_eq!(h.run("EXPIRE a -1"), ":1\r\n");
        assert_eq!(propagated(&mut h), resp(&["DEL", "a"]));
        assert_eq!(h.run("PEXPIREAT b 1"), ":1\r\n");
        assert_eq!(propagated(&mut h), resp(&["DEL", "b"]));
        assert_eq!(h.run("CONFIG SET lazyfree-lazy-expire yes"), "+OK\r\n");
        assert_eq!(h.run("PEXPIRE c 0"), ":1\r\n");
        assert_eq!(propagated(&mut h), resp(&["UNLINK", "c"]));
        assert_eq!(h.run("EXPIRE c -1"), ":0\r\n");
        assert_eq!(propagated(&mut h), "");
    }

    #[test]
    fn flushes_propagate_even_on_empty_databases() {
        let mut h = propagating();
        assert_eq!(h.run("FLUSHDB"), "+OK\r\n");
        assert_eq!(propagated(&mut h), resp(&["FLUSHDB"]));
        h.run("SELECT 1");
        assert_eq!(h.run("FLUSHDB ASYNC"), "+OK\r\n");
        assert_eq!(
            propagated(&mut h),
            resp(&["SELECT", "1"]) + &resp(&["FLUSHDB", "ASYNC"])
        );
        assert_eq!(h.run("FLUSHALL SYNC"), "+OK\r\n");
        assert_eq!(propagated(&mut h), resp(&["FLUSHALL", "SYNC"]));
        // Refused: nothing.
        assert_eq!(h.run("FLUSHALL NOW"), "-ERR syntax error\r\n");
        assert_eq!(propagated(&mut h), "");
    }
}
