//! Hash commands: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL
//! HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::scan::scan_collection;
use super::values::{changed_as, get, get_or_create, write};
use super::{Args, Command, Ctx, Group};
use crate::config::notify::HASH;
use crate::db::Lookup;
use crate::types::{Hash, HashLimits};
use crate::util::longdouble::LongDouble;

pub static COMMANDS: &[Command] = &[
    Command::new("hset", -4, WRITE | DENYOOM | FAST, Group::Hash, hset)
        .doc("2.0.0", "Creates or modifies the value of a field in a hash.", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.")
        .syntax("key field value [field value ...]"),
    Command::new("hsetnx", 4, WRITE | DENYOOM | FAST, Group::Hash, hsetnx)
        .doc("2.0.0", "Sets the value of a field in a hash only when the field doesn't exist.", "O(1)")
        .syntax("key field value"),
    Command::new("hmset", -4, WRITE | DENYOOM | FAST, Group::Hash, hmset)
        .doc("2.0.0", "Sets the values of multiple fields.", "O(N) where N is the number of fields being set.")
        .syntax("key field value [field value ...]"),
    Command::new("hget", 3, READONLY | FAST, Group::Hash, hget)
        .doc("2.0.0", "Returns the value of a field in a hash.", "O(1)")
        .syntax("key field"),
    Command::new("hmget", -3, READONLY | FAST, Group::Hash, hmget)
        .doc("2.0.0", "Returns the values of all fields in a hash.", "O(N) where N is the number of fields being requested.")
        .syntax("key field [field ...]"),
    Command::new("hdel", -3, WRITE | FAST, Group::Hash, hdel)
        .doc("2.0.0", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", "O(N) where N is the number of fields to be removed.")
        .syntax("key field [field ...]"),
    Command::new("hlen", 2, READONLY | FAST, Group::Hash, hlen)
        .doc("2.0.0", "Returns the number of fields in a hash.", "O(1)")
        .syntax("key"),
    Command::new("hstrlen", 3, READONLY | FAST, Group::Hash, hstrlen)
        .doc("3.2.0", "Returns the length of the value of a field.", "O(1)")
        .syntax("key field"),
    Command::new("hexists", 3, READONLY | FAST, Group::Hash, hexists)
        .doc("2.0.0", "Determines whether a field exists in a hash.", "O(1)")
        .syntax("key field"),
    Command::new("hkeys", 2, READONLY, Group::Hash, hkeys)
        .doc("2.0.0", "Returns all fields in a hash.", "O(N) where N is the size of the hash.")
        .syntax("key"),
    Command::new("hvals", 2, READONLY, Group::Hash, hvals)
        .doc("2.0.0", "Returns all values in a hash.", "O(N) where N is the size of the hash.")
        .syntax("key"),
    Command::new("hgetall", 2, READONLY, Group::Hash, hgetall)
        .doc("2.0.0", "Returns all fields and values in a hash.", "O(N) where N is the size of the hash.")
        .syntax("key"),
    Command::new("hincrby", 4, WRITE | DENYOOM | FAST, Group::Hash, hincrby)
        .doc("2.0.0", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", "O(1)")
        .syntax("key field increment"),
    Command::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, Group::Hash, hincrbyfloat)
        .doc("2.6.0", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", "O(1)")
        .syntax("key field increment"),
    Command::new("hrandfield", -2, READONLY, Group::Hash, hrandfield)
        .doc("6.2.0", "Returns one or more random fields from a hash.", "O(N) where N is the number of fields returned")
        .syntax("key [count [WITHVALUES]]"),
    Command::new("hscan", -3, READONLY, Group::Hash, hscan)
        .doc("2.8.0", "Iterates over fields and values of a hash.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.")
        .syntax("key cursor [MATCH pattern] [COUNT count]"),
];

fn limits(ctx: &Ctx) -> HashLimits {
    ctx.server.hash_limits()
}

/// Sets every field/value pair; returns how many fields are new.
fn set_pairs(ctx: &mut Ctx, args: &Args) -> Result<i64, CmdError> {
    if args.len() % 2 == 1 {
        return Err(errors::wrong_arity(
            &String::from_utf8_lossy(args.get(0)).to_ascii_lowercase(),
        ));
    }
    let db = ctx.client.db;
    let key = args.get(1);
    let limits = limits(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let (slot, hash) = get_or_create(keyspace, db, key, Hash::default)?;
    let mut created = 0;
    let mut outcome = Ok(());
    for i in (2..args.len()).step_by(2) {
        match hash.set(args.get(i), args.get(i + 1), limits) {
            Ok(new) => created += new as i64,
            Err(_) => {
                // The fields set so far stay, as each one is whole.
                outcome = Err(errors::OUT_OF_MEMORY);
                break;
            }
        }
    }
    changed_as(keyspace, db, slot, key, (HASH, "hset"));
    outcome.map(|()| created)
}

fn hset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let created = set_pairs(ctx, args)?;
    ctx.reply.int(created);
    Ok(())
}

fn hmset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_pairs(ctx, args)?;
    ctx.reply.ok();
    Ok(())
}

fn hsetnx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let key = args.get(1);
    let limits = limits(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let (slot, hash) = get_or_create(keyspace, db, key, Hash::default)?;
    if hash.contains(args.get(2)) {
        ctx.reply.int(0);
        return Ok(());
    }
    let stored = hash.set(args.get(2), args.get(3), limits);
    changed_as(keyspace, db, slot, key, (HASH, "hset"));
    stored?;
    ctx.reply.int(1);
    Ok(())
}

/// The hash at `key` for reading, counting a hit or miss.
fn read<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Hash>, CmdError> {
    let db = ctx.client.db;
    get::<Hash>(&mut ctx.server.keyspace, db, key, Lookup::Read)
}

fn hget(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let hash = get::<Hash>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    match hash.and_then(|h| h.get(args.get(2))) {
        Some(value) => ctx.reply.bulk(value),
        None => ctx.reply.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let hash = get::<Hash>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    ctx.reply.array(args.len() - 2);
    for field in args.from(2) {
        match hash.as_ref().and_then(|h| h.get(field)) {
            Some(value) => ctx.reply.bulk(value),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let key = args.get(1);
    let keyspace = &mut ctx.server.keyspace;
    let Some((slot, hash)) = write::<Hash>(keyspace, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for field in args.from(2) {
        if hash.remove(field) {
            deleted += 1;
            if hash.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        changed_as(keyspace, db, slot, key, (HASH, "hdel"));
    }
    ctx.reply.int(deleted);
    Ok(())
}

fn hlen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let len = read(ctx, args.get(1))?.map_or(0, |h| h.len());
    ctx.reply.int(len as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let len = read(ctx, args.get(1))?
        .and_then(|h| h.get(args.get(2)).map(<[u8]>::len))
        .unwrap_or(0);
    ctx.reply.int(len as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let found = read(ctx, args.get(1))?.is_some_and(|h| h.contains(args.get(2)));
    ctx.reply.int(found as i64);
    Ok(())
}

/// HKEYS, HVALS, HGETALL: fields and/or values; HGETALL is a map in RESP3.
fn get_all(ctx: &mut Ctx, args: &Args, fields: bool, values: bool) -> CmdResult {
    let db = ctx.client.db;
    let hash = get::<Hash>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    let len = hash.as_ref().map_or(0, |h| h.len());
    if fields && values {
        ctx.reply.map(len);
    } else {
        ctx.reply.array(len);
    }
    if let Some(hash) = hash {
        for (field, value) in hash.iter() {
            if fields {
                ctx.reply.bulk(field);
            }
            if values {
                ctx.reply.bulk(value);
            }
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    get_all(ctx, args, true, false)
}

fn hvals(ctx: &mut Ctx, args: &Args) -> CmdResult {
    get_all(ctx, args, false, true)
}

fn hgetall(ctx: &mut Ctx, args: &Args) -> CmdResult {
    get_all(ctx, args, true, true)
}

fn hincrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let increment = args.i64(3)?;
    let db = ctx.client.db;
    let key = args.get(1);
    let limits = limits(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let (slot, hash) = get_or_create(keyspace, db, key, Hash::default)?;
    let current = match hash.get(args.get(2)) {
        Some(value) => crate::util::parse_i64(value)
            .ok_or_else(|| CmdError::new("ERR hash value is not an integer"))?,
        None => 0,
    };
    let value = current.checked_add(increment).ok_or(errors::OVERFLOW)?;
    let stored = hash.set(
        args.get(2),
        itoa::Buffer::new().format(value).as_bytes(),
        limits,
    );
    changed_as(keyspace, db, slot, key, (HASH, "hincrby"));
    stored?;
    ctx.reply.int(value);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let increment = LongDouble::parse(args.get(3)).ok_or(errors::NOT_FLOAT)?;
    if !increment.is_finite() {
        return Err(CmdError::new("ERR value is NaN or Infinity"));
    }
    let db = ctx.client.db;
    let key = args.get(1);
    let limits = limits(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let (slot, hash) = get_or_create(keyspace, db, key, Hash::default)?;
    let current = match hash.get(args.get(2)) {
        Some(value) => LongDouble::parse(value)
            .ok_or_else(|| CmdError::new("ERR hash value is not a float"))?,
        None => LongDouble::ZERO,
    };
    let sum = current.add(increment);
    if !sum.is_finite() {
        return Err(CmdError::new("ERR increment would produce NaN or Infinity"));
    }
    let text = sum.to_human_string();
    let stored = hash.set(args.get(2), text.as_bytes(), limits);
    changed_as(keyspace, db, slot, key, (HASH, "hincrbyfloat"));
    stored?;
    // Propagated as the value it stored, so float arithmetic is not redone on replay.
    keyspace
        .propagation
        .rewrite_command([&b"HSET"[..], key, args.get(2), text.as_bytes()].into_iter());
    ctx.reply.bulk(text.as_bytes());
    Ok(())
}

fn hrandfield(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() < 3 {
        let db = ctx.client.db;
        let mut rng = ctx.server.keyspace.rng.fork();
        let hash = get::<Hash>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
        match hash.and_then(|h| h.random(&mut rng)) {
            Some((field, _)) => ctx.reply.bulk(field),
            None => ctx.reply.null(),
        }
        return Ok(());
    }
    let count = args.i64_in(2, -i64::MAX, i64::MAX, None)?;
    let with_values = match args.len() {
        3 => false,
        4 if args.is(3, "withvalues") => {
            if !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
                return Err(CmdError::new("ERR value is out of range"));
            }
            true
        }
        _ => return Err(errors::SYNTAX),
    };
    let db = ctx.client.db;
    let mut rng = ctx.server.keyspace.rng.fork();
    let Some(hash) = get::<Hash>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let resp3 = ctx.reply.is_resp3();
    let reply_pairs = |reply: &mut crate::protocol::reply::Reply, n: usize| {
        if with_values && !resp3 {
            reply.array(n * 2);
        } else {
            reply.array(n);
        }
    };
    let write = |reply: &mut crate::protocol::reply::Reply, field: &[u8], value: &[u8]| {
        if with_values && resp3 {
            reply.array(2);
        }
        reply.bulk(field);
        if with_values {
            reply.bulk(value);
        }
    };
    if count == 0 {
        ctx.reply.array(0);
        return Ok(());
    }
    let size = hash.len();
    // Negative: that many picks, repeats allowed.
    if count < 0 || count == 1 {
        let picks = count.unsigned_abs() as usize;
        reply_pairs(ctx.reply, picks);
        for _ in 0..picks {
            let (field, value) = hash.random(&mut rng).expect("not empty");
            write(ctx.reply, field, value);
        }
        return Ok(());
    }
    let count = count as usize;
    if count >= size {
        reply_pairs(ctx.reply, size);
        for (field, value) in hash.iter() {
            write(ctx.reply, field, value);
        }
        return Ok(());
    }
    // Distinct picks: choose positions without repetition.
    let mut positions: Vec<usize> = (0..size).collect();
    rng.shuffle(&mut positions);
    positions.truncate(count);
    positions.sort_unstable();
    reply_pairs(ctx.reply, count);
    let mut wanted = positions.into_iter().peekable();
    for (i, (field, value)) in hash.iter().enumerate() {
        if wanted.peek() == Some(&i) {
            wanted.next();
            write(ctx.reply, field, value);
        }
    }
    Ok(())
}

fn hscan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    scan_collection::<Hash>(ctx, args, true, |hash, cursor, count, items| {
        hash.scan(cursor, count, |field, value| {
            items.push(field.to_vec());
            items.push(value.to_vec());
        })
    })
}

#[cfg(test)]
mod harness_tests {
    use crate::cmd::harness::Harness;

    #[test]
    fn hash_options_wrongtype_and_oom() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("HSET h f"),
            "-ERR wrong number of arguments for 'hset' command\r\n"
        );
        assert_eq!(h.run("HSET h f v"), ":1\r\n");
        assert_eq!(
            h.run("HINCRBY h f 1"),
            "-ERR hash value is not an integer\r\n"
        );
        assert_eq!(
            h.run("HRANDFIELD h 1 WITHVALUES x"),
            "-ERR syntax error\r\n"
        );
        h.run("SET s v");
        assert_eq!(
            h.run("HGET s f"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        let mut full = Harness::over_maxmemory();
        assert_eq!(
            full.run("HSET h f v"),
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        );
    }

    #[test]
    fn hash_writes_announce_their_events() {
        let mut h = Harness::new();
        let watcher = h.watch_events("hgn");
        h.run("HSET h a 1 b 2");
        h.run("HSET h a 1");
        h.run("HSETNX h a 2");
        h.run("HSETNX h c 3");
        h.run("HINCRBY h a 1");
        h.run("HINCRBYFLOAT h b 1.5");
        h.run("HDEL h nothere");
        h.run("HDEL h a b c");
        assert_eq!(
            h.events(watcher),
            [
                "new h",
                "hset h",
                "hset h",
                "hset h",
                "hincrby h",
                "hincrbyfloat h",
                "hdel h",
                "del h",
            ]
        );
    }
}

#[cfg(test)]
mod propagation {
    use crate::cmd::keys::propagation_tests::{propagated, propagating, resp};

    #[test]
    fn hincrbyfloat_propagates_as_hset() {
        let mut h = propagating();
        assert_eq!(h.run("HINCRBYFLOAT h f 1.5"), "$3\r\n1.5\r\n");
        assert_eq!(propagated(&mut h), resp(&["HSET", "h", "f", "1.5"]));
        assert_eq!(h.run("HINCRBYFLOAT h f 0.25"), "$4\r\n1.75\r\n");
        assert_eq!(propagated(&mut h), resp(&["HSET", "h", "f", "1.75"]));
        // Refused: nothing.
        h.run("HSET h g x");
        propagated(&mut h);
        assert_eq!(
            h.run("HINCRBYFLOAT h g 1"),
            "-ERR hash value is not a float\r\n"
        );
        assert_eq!(propagated(&mut h), "");
    }
}
