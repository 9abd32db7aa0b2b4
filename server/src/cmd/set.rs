//! Set commands: SADD SREM SISMEMBER SMISMEMBER SCARD SMEMBERS SRANDMEMBER SPOP SMOVE SINTER
//! SINTERSTORE SINTERCARD SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::scan::scan_collection;
use super::values::{changed, changed_as, get, get_or_create, peek, write};
use super::{Args, Command, Ctx, Group};
use crate::config::notify::{GENERIC, SET};
use crate::db::Lookup;
use crate::protocol::reply::Reply;
use crate::types::set::Elem;
use crate::types::{Object, Set, SetLimits};

pub static COMMANDS: &[Command] = &[
    Command::new("sadd", -3, WRITE | DENYOOM | FAST, Group::Set, sadd)
        .doc("1.0.0", "Adds one or more members to a set. Creates the key if it doesn't exist.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .syntax("key member [member ...]"),
    Command::new("srem", -3, WRITE | FAST, Group::Set, srem)
        .doc("1.0.0", "Removes one or more members from a set. Deletes the set if the last member was removed.", "O(N) where N is the number of members to be removed.")
        .syntax("key member [member ...]"),
    Command::new("sismember", 3, READONLY | FAST, Group::Set, sismember)
        .doc("1.0.0", "Determines whether a member belongs to a set.", "O(1)")
        .syntax("key member"),
    Command::new("smismember", -3, READONLY | FAST, Group::Set, smismember)
        .doc("6.2.0", "Determines whether multiple members belong to a set.", "O(N) where N is the number of elements being checked for membership")
        .syntax("key member [member ...]"),
    Command::new("scard", 2, READONLY | FAST, Group::Set, scard)
        .doc("1.0.0", "Returns the number of members in a set.", "O(1)")
        .syntax("key"),
    Command::new("smembers", 2, READONLY, Group::Set, smembers)
        .doc("1.0.0", "Returns all members of a set.", "O(N) where N is the set cardinality.")
        .syntax("key"),
    Command::new("srandmember", -2, READONLY, Group::Set, srandmember)
        .doc("1.0.0", "Get one or multiple random members from a set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.")
        .syntax("key [count]"),
    Command::new("spop", -2, WRITE | FAST, Group::Set, spop)
        .doc("1.0.0", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.")
        .syntax("key [count]"),
    Command::new("smove", 4, WRITE | FAST, Group::Set, smove)
        .doc("1.0.0", "Moves a member from one set to another.", "O(1)")
        .syntax("source destination member"),
    Command::new("sinter", -2, READONLY, Group::Set, sinter)
        .doc("1.0.0", "Returns the intersect of multiple sets.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")
        .syntax("key [key ...]"),
    Command::new("sinterstore", -3, WRITE | DENYOOM, Group::Set, sinterstore)
        .doc("1.0.0", "Stores the intersect of multiple sets in a key.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")
        .syntax("destination key [key ...]"),
    Command::new("sintercard", -3, READONLY, Group::Set, sintercard)
        .doc("7.0.0", "Returns the number of members of the intersect of multiple sets.", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.")
        .syntax("numkeys key [key ...] [LIMIT limit]"),
    Command::new("sunion", -2, READONLY, Group::Set, sunion)
        .doc("1.0.0", "Returns the union of multiple sets.", "O(N) where N is the total number of elements in all given sets.")
        .syntax("key [key ...]"),
    Command::new("sunionstore", -3, WRITE | DENYOOM, Group::Set, sunionstore)
        .doc("1.0.0", "Stores the union of multiple sets in a key.", "O(N) where N is the total number of elements in all given sets.")
        .syntax("destination key [key ...]"),
    Command::new("sdiff", -2, READONLY, Group::Set, sdiff)
        .doc("1.0.0", "Returns the difference of multiple sets.", "O(N) where N is the total number of elements in all given sets.")
        .syntax("key [key ...]"),
    Command::new("sdiffstore", -3, WRITE | DENYOOM, Group::Set, sdiffstore)
        .doc("1.0.0", "Stores the difference of multiple sets in a key.", "O(N) where N is the total number of elements in all given sets.")
        .syntax("destination key [key ...]"),
    Command::new("sscan", -3, READONLY, Group::Set, sscan)
        .doc("2.0.0", "Iterates over members of a set.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.")
        .syntax("key cursor [MATCH pattern] [COUNT count]"),
];

fn limits(ctx: &Ctx) -> SetLimits {
    ctx.server.set_limits()
}

fn reply_elem(reply: &mut Reply, elem: Elem) {
    match elem {
        Elem::Int(v) => reply.bulk_int(v),
        Elem::Bytes(bytes) => reply.bulk(bytes),
    }
}

fn sadd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let key = args.get(1);
    let limits = limits(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let (slot, set) = get_or_create(keyspace, db, key, || {
        Set::for_members(args.get(2), args.len() - 2, limits)
    })?;
    let mut added = 0;
    let mut outcome = Ok(());
    for member in args.from(2) {
        match set.add(member, limits) {
            Ok(new) => added += new as i64,
            Err(_) => {
                // The members added so far stay, each one whole.
                outcome = Err(errors::OUT_OF_MEMORY);
                break;
            }
        }
    }
    if added > 0 {
        changed_as(keyspace, db, slot, key, (SET, "sadd"));
    } else if set.is_empty() {
        // Created, then nothing could be added: the key goes, unannounced.
        changed(keyspace, db, slot, key);
    }
    outcome?;
    ctx.reply.int(added);
    Ok(())
}

fn srem(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let key = args.get(1);
    let keyspace = &mut ctx.server.keyspace;
    let Some((slot, set)) = write::<Set>(keyspace, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let mut removed = 0;
    for member in args.from(2) {
        if set.remove(member) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    if removed > 0 {
        changed_as(keyspace, db, slot, key, (SET, "srem"));
    }
    ctx.reply.int(removed);
    Ok(())
}

fn sismember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let set = get::<Set>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    ctx.reply
        .int(set.is_some_and(|s| s.contains(args.get(2))) as i64);
    Ok(())
}

fn smismember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let set = get::<Set>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    ctx.reply.array(args.len() - 2);
    for member in args.from(2) {
        let found = set.as_ref().is_some_and(|s| s.contains(member));
        ctx.reply.int(found as i64);
    }
    Ok(())
}

fn scard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let set = get::<Set>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    ctx.reply.int(set.map_or(0, |s| s.len()) as i64);
    Ok(())
}

fn smembers(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let set = get::<Set>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    let Some(set) = set else {
        ctx.reply.set(0);
        return Ok(());
    };
    ctx.reply.set(set.len());
    for elem in set.iter() {
        reply_elem(ctx.reply, elem);
    }
    Ok(())
}

fn srandmember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::SYNTAX);
    }
    let db = ctx.client.db;
    let mut rng = ctx.server.keyspace.rng.fork();
    if args.len() == 2 {
        let set = get::<Set>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
        match set.and_then(|s| s.random(&mut rng)) {
            Some(elem) => reply_elem(ctx.reply, elem),
            None => ctx.reply.null(),
        }
        return Ok(());
    }
    let count = args.i64_in(2, -i64::MAX, i64::MAX, None)?;
    let Some(set) = get::<Set>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.array(0);
        return Ok(());
    }
    // Negative: that many picks, repeats allowed.
    if count < 0 || count == 1 {
        let picks = count.unsigned_abs() as usize;
        ctx.reply.array(picks);
        for _ in 0..picks {
            reply_elem(ctx.reply, set.random(&mut rng).expect("not empty"));
        }
        return Ok(());
    }
    let size = set.len();
    let count = (count as usize).min(size);
    ctx.reply.array(count);
    if count == size {
        for elem in set.iter() {
            reply_elem(ctx.reply, elem);
        }
        return Ok(());
    }
    let mut wanted = distinct_positions(&mut rng, size, count)
        .into_iter()
        .peekable();
    for (i, elem) in set.iter().enumerate() {
        if wanted.peek() == Some(&i) {
            wanted.next();
            reply_elem(ctx.reply, elem);
        }
    }
    Ok(())
}

/// `count` distinct positions below `size`, in increasing order.
fn distinct_positions(rng: &mut fastrand::Rng, size: usize, count: usize) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..size).collect();
    rng.shuffle(&mut positions);
    positions.truncate(count);
    positions.sort_unstable();
    positions
}

fn spop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::SYNTAX);
    }
    let count = if args.len() == 3 {
        Some(args.non_negative(2, errors::MUST_BE_POSITIVE)? as usize)
    } else {
        None
    };
    let db = ctx.client.db;
    let key = args.get(1);
    let mut rng = ctx.server.keyspace.rng.fork();
    let keyspace = &mut ctx.server.keyspace;
    let Some((slot, set)) = write::<Set>(keyspace, db, key)? else {
        match count {
            Some(_) => ctx.reply.set(0),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    let Some(count) = count else {
        let member = set.random(&mut rng).expect("not empty").to_vec();
        set.remove(&member);
        changed_as(keyspace, db, slot, key, (SET, "spop"));
        // Propagated as the SREM it amounts to (the random choice is not redone on replay).
        keyspace
            .propagation
            .rewrite_command([&b"SREM"[..], key, &member].into_iter());
        ctx.reply.bulk(&member);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.set(0);
        return Ok(());
    }
    let whole = count >= set.len();
    let popped: Vec<Vec<u8>> = if whole {
        set.iter().map(|elem| elem.to_vec()).collect()
    } else {
        (0..count)
            .map(|_| {
                let member = set.random(&mut rng).expect("not empty").to_vec();
                set.remove(&member);
                member
            })
            .collect()
    };
    keyspace.notify(SET, "spop", db, key);
    if whole {
        keyspace.delete_at(db, slot, key);
        keyspace.notify(GENERIC, "del", db, key);
        // The whole set popped is propagated as its deletion.
        keyspace
            .propagation
            .rewrite_command([&b"DEL"[..], key].into_iter());
    } else {
        changed(keyspace, db, slot, key);
        // Propagated as one SREM per member popped, in place of the command (Redis's
        // `alsoPropagate` of each and `preventCommandPropagation`).
        if keyspace.propagation.enabled() {
            for member in &popped {
                keyspace
                    .propagation
                    .push(db, [&b"SREM"[..], key, member].into_iter());
            }
        }
        keyspace.propagation.prevent_command();
    }
    ctx.reply.set(popped.len());
    for member in &popped {
        ctx.reply.bulk(member);
    }
    Ok(())
}

fn smove(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let (source, destination, member) = (args.get(1), args.get(2), args.get(3));
    let limits = limits(ctx);
    let keyspace = &mut ctx.server.keyspace;
    // Both types are checked (a missing source first answers 0) before anything changes.
    let source_found = get::<Set>(keyspace, db, source, Lookup::Write).map(|s| s.is_some());
    let destination_found = get::<Set>(keyspace, db, destination, Lookup::Write).map(|_| ());
    if source_found == Ok(false) {
        ctx.reply.int(0);
        return Ok(());
    }
    source_found?;
    destination_found?;
    let (source_slot, set) = write::<Set>(keyspace, db, source)?.expect("checked above");
    if source == destination {
        let found = set.contains(member);
        ctx.reply.int(found as i64);
        return Ok(());
    }
    if !set.remove(member) {
        ctx.reply.int(0);
        return Ok(());
    }
    changed_as(keyspace, db, source_slot, source, (SET, "srem"));
    let (target_slot, target) = get_or_create(keyspace, db, destination, || {
        Set::for_members(member, 1, limits)
    })?;
    match target.add(member, limits) {
        Ok(true) => {
            changed_as(keyspace, db, target_slot, destination, (SET, "sadd"));
        }
        Ok(false) => {}
        Err(_) => {
            // Put the member back rather than lose it.
            changed(keyspace, db, target_slot, destination);
            let (source_slot, source_set) =
                get_or_create(keyspace, db, source, || Set::for_members(member, 1, limits))?;
            let restored = source_set.add(member, limits);
            changed(keyspace, db, source_slot, source);
            restored?;
            return Err(errors::OUT_OF_MEMORY);
        }
    }
    ctx.reply.int(1);
    Ok(())
}

/// Looks up every key as a set (counting hits and misses, expiring), failing with WRONGTYPE
/// if any holds another type. Returns which keys exist.
fn check_sets(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Vec<bool>, CmdError> {
    let db = ctx.client.db;
    keys.iter()
        .map(|key| get::<Set>(&mut ctx.server.keyspace, db, key, Lookup::Read).map(|s| s.is_some()))
        .collect()
}

/// The members of the intersection, in the smallest set's order, stopping at `limit` (0: no
/// limit). A missing key makes it empty.
fn intersection(ctx: &mut Ctx, keys: &[&[u8]], limit: usize) -> Result<Vec<Vec<u8>>, CmdError> {
    let present = check_sets(ctx, keys)?;
    if present.contains(&false) {
        return Ok(Vec::new());
    }
    let db = ctx.client.db;
    let keyspace = &ctx.server.keyspace;
    let mut sets: Vec<&Set> = keys
        .iter()
        .map(|key| peek::<Set>(keyspace, db, key).map(|s| s.expect("checked")))
        .collect::<Result<_, _>>()?;
    sets.sort_by_key(|s| s.len());
    let mut members = Vec::new();
    for elem in sets[0].iter() {
        if sets[1..].iter().all(|other| other.contains_elem(elem)) {
            members.push(elem.to_vec());
            if limit != 0 && members.len() == limit {
                break;
            }
        }
    }
    Ok(members)
}

/// Union (`diff == false`) or difference of the sets at `keys`, as a new set built as Redis
/// builds it (from an intset, adding members in order), so its order matches.
fn union_or_diff(ctx: &mut Ctx, keys: &[&[u8]], diff: bool) -> Result<Set, CmdError> {
    let present = check_sets(ctx, keys)?;
    let limits = limits(ctx);
    let db = ctx.client.db;
    let keyspace = &ctx.server.keyspace;
    let sets: Vec<Option<&Set>> = keys
        .iter()
        .zip(&present)
        .map(|(key, present)| match present {
            true => peek::<Set>(keyspace, db, key),
            false => Ok(None),
        })
        .collect::<Result<_, _>>()?;
    let mut result = Set::for_members(b"0", 0, limits);
    let mut buf = itoa::Buffer::new();
    if !diff {
        for set in sets.iter().flatten() {
            for elem in set.iter() {
                result.add_built(elem.bytes(&mut buf), limits);
            }
        }
        return Ok(result);
    }
    // A key repeating the first makes the difference empty.
    if keys[1..].contains(&keys[0]) {
        return Ok(result);
    }
    if let Some(first) = sets[0] {
        for elem in first.iter() {
            if !sets[1..]
                .iter()
                .flatten()
                .any(|other| other.contains_elem(elem))
            {
                result.add_built(elem.bytes(&mut buf), limits);
            }
        }
    }
    Ok(result)
}

fn reply_members(reply: &mut Reply, members: &[Vec<u8>]) {
    reply.set(members.len());
    for member in members {
        reply.bulk(member);
    }
}

fn reply_set(reply: &mut Reply, set: &Set) {
    reply.set(set.len());
    for elem in set.iter() {
        reply_elem(reply, elem);
    }
}

/// Stores `set` at `destination` (replacing any value) and announces it as `event`, or
/// deletes it when empty (announced as `del` if it existed); replies with the size.
fn store(ctx: &mut Ctx, destination: &[u8], set: Set, event: &'static str) {
    let db = ctx.client.db;
    let len = set.len();
    let keyspace = &mut ctx.server.keyspace;
    if len == 0 {
        if keyspace.delete(db, destination) {
            keyspace.notify(GENERIC, "del", db, destination);
        }
    } else {
        keyspace.set_object(db, destination, Object::Set(set));
        keyspace.notify(SET, event, db, destination);
    }
    ctx.reply.int(len as i64);
}

fn keys_from<'a>(args: &Args<'a>, start: usize) -> Vec<&'a [u8]> {
    args.from(start).collect()
}

fn sinter(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let members = intersection(ctx, &keys_from(args, 1), 0)?;
    reply_members(ctx.reply, &members);
    Ok(())
}

fn sinterstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let members = intersection(ctx, &keys_from(args, 2), 0)?;
    let limits = limits(ctx);
    let mut set = Set::for_members(b"0", 0, limits);
    for member in &members {
        set.add_built(member, limits);
    }
    store(ctx, args.get(1), set, "sinterstore");
    Ok(())
}

fn sintercard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let numkeys = args.i64_in(1, 1, i64::MAX, Some(errors::NUMKEYS_POSITIVE))? as usize;
    if numkeys > args.len() - 2 {
        return Err(CmdError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if args.is(i, "LIMIT") && i + 1 < args.len() {
            limit =
                args.non_negative(i + 1, CmdError::new("ERR LIMIT can't be negative"))? as usize;
            i += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| args.get(i)).collect();
    let members = intersection(ctx, &keys, limit)?;
    ctx.reply.int(members.len() as i64);
    Ok(())
}

fn sunion(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let set = union_or_diff(ctx, &keys_from(args, 1), false)?;
    reply_set(ctx.reply, &set);
    Ok(())
}

fn sunionstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let set = union_or_diff(ctx, &keys_from(args, 2), false)?;
    store(ctx, args.get(1), set, "sunionstore");
    Ok(())
}

fn sdiff(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let set = union_or_diff(ctx, &keys_from(args, 1), true)?;
    reply_set(ctx.reply, &set);
    Ok(())
}

fn sdiffstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let set = union_or_diff(ctx, &keys_from(args, 2), true)?;
    store(ctx, args.get(1), set, "sdiffstore");
    Ok(())
}

fn sscan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    scan_collection::<Set>(ctx, args, false, |set, cursor, count, items| {
        set.scan(cursor, count, |elem| items.push(elem.to_vec()))
    })
}

#[cfg(test)]
mod harness_tests {
    use crate::cmd::harness::Harness;

    #[test]
    fn set_family_options_wrongtype_and_oom() {
        let mut h = Harness::new();
        assert_eq!(h.run("SADD s a b"), ":2\r\n");
        assert_eq!(
            h.run("SINTERCARD 0 s"),
            "-ERR numkeys should be greater than 0\r\n"
        );
        assert_eq!(
            h.run("SINTERCARD 1 s LIMIT -1"),
            "-ERR LIMIT can't be negative\r\n"
        );
        assert_eq!(
            h.run("SPOP s -1"),
            "-ERR value is out of range, must be positive\r\n"
        );
        h.run("SET k v");
        assert_eq!(
            h.run("SMEMBERS k"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        let mut full = Harness::over_maxmemory();
        assert_eq!(
            full.run("SADD s a"),
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        );
    }

    #[test]
    fn set_writes_announce_their_events_and_no_ops_nothing() {
        let mut h = Harness::new();
        let watcher = h.watch_events("sg");
        h.run("SADD s a b c");
        h.run("SADD s a");
        h.run("SREM s nothere");
        h.run("SREM s a");
        h.run("SMOVE s t b");
        h.run("SMOVE s t nothere");
        h.run("SPOP s");
        h.run("SADD u 1 2 3");
        h.run("SPOP u 2");
        h.run("SPOP u 2");
        h.run("SINTERSTORE d t missing");
        h.run("SUNIONSTORE d t t");
        h.run("SDIFFSTORE d t t");
        h.run("SINTERSTORE d t t");
        assert_eq!(
            h.events(watcher),
            [
                "sadd s",
                "srem s",
                "srem s",
                "sadd t",
                "spop s",
                "del s",
                "sadd u",
                "spop u",
                "spop u",
                "del u",
                "sunionstore d",
                "del d",
                "sinterstore d",
            ]
        );
    }
}

#[cfg(test)]
mod propagation {
    use crate::cmd::keys::propagation_tests::{propagated, propagating, resp, transaction};

    /// The members of a RESP2 array reply of bulk strings, in order.
    fn members(reply: &str) -> Vec<String> {
        reply
            .split("\r\n")
            .filter(|line| !line.is_empty() && !line.starts_with(['*', '$']))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn spop_propagates_as_srem_or_del() {
        let mut h = propagating();
        h.run("SADD s a b c d e");
        propagated(&mut h);
        let popped = members(&h.run("SPOP s"));
        assert_eq!(propagated(&mut h), resp(&["SREM", "s", &popped[0]]));
        // One member: one SREM, on its own.
        let popped = members(&h.run("SPOP s 1"));
        assert_eq!(propagated(&mut h), resp(&["SREM", "s", &popped[0]]));
        // Several: one SREM each, in the order popped, in a transaction.
        let popped = members(&h.run("SPOP s 2"));
        assert_eq!(popped.len(), 2);
        assert_eq!(
            propagated(&mut h),
            transaction(&[
                resp(&["SREM", "s", &popped[0]]),
                resp(&["SREM", "s", &popped[1]]),
            ])
        );
        // The whole set: its deletion.
        assert_eq!(members(&h.run("SPOP s 5")).len(), 1);
        assert_eq!(propagated(&mut h), resp(&["DEL", "s"]));
        // Nothing popped: nothing.
        h.run("SADD t x");
        propagated(&mut h);
        assert_eq!(h.run("SPOP t 0"), "*0\r\n");
        assert_eq!(h.run("SPOP s"), "$-1\r\n");
        assert_eq!(h.run("SPOP s 3"), "*0\r\n");
        assert_eq!(propagated(&mut h), "");
    }
}
