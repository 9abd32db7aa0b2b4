//! List commands: LPUSH RPUSH LPUSHX RPUSHX LINSERT LLEN LINDEX LSET LPOP RPOP LRANGE LTRIM
//! LREM LPOS LMOVE RPOPLPUSH LMPOP and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP.

use super::blocking::{Wait, block, parse_timeout};
use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::values::{changed, changed_as, get, get_or_create, write};
use super::{Args, Command, Ctx, Group};
use crate::client::TimeoutReply;
use crate::config::notify::LIST;
use crate::db::Lookup;
use crate::types::{End, List, ListLimit};

pub static COMMANDS: &[Command] = &[
    Command::new("lpush", -3, WRITE | DENYOOM | FAST, Group::List, lpush)
        .doc("1.0.0", "Prepends one or more elements to a list. Creates the key if it doesn't exist.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .syntax("key element [element ...]"),
    Command::new("rpush", -3, WRITE | DENYOOM | FAST, Group::List, rpush)
        .doc("1.0.0", "Appends one or more elements to a list. Creates the key if it doesn't exist.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .syntax("key element [element ...]"),
    Command::new("lpushx", -3, WRITE | DENYOOM | FAST, Group::List, lpushx)
        .doc("2.2.0", "Prepends one or more elements to a list only when the list exists.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .syntax("key element [element ...]"),
    Command::new("rpushx", -3, WRITE | DENYOOM | FAST, Group::List, rpushx)
        .doc("2.2.0", "Appends an element to a list only when the list exists.", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
        .syntax("key element [element ...]"),
    Command::new("linsert", 5, WRITE | DENYOOM, Group::List, linsert)
        .doc("2.2.0", "Inserts an element before or after another element in a list.", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).")
        .syntax("key <BEFORE | AFTER> pivot element"),
    Command::new("llen", 2, READONLY | FAST, Group::List, llen)
        .doc("1.0.0", "Returns the length of a list.", "O(1)")
        .syntax("key"),
    Command::new("lindex", 3, READONLY, Group::List, lindex)
        .doc("1.0.0", "Returns an element from a list by its index.", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).")
        .syntax("key index"),
    Command::new("lset", 4, WRITE | DENYOOM, Group::List, lset)
        .doc("1.0.0", "Sets the value of an element in a list by its index.", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).")
        .syntax("key index element"),
    Command::new("lpop", -2, WRITE | FAST, Group::List, lpop)
        .doc("1.0.0", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", "O(N) where N is the number of elements returned")
        .syntax("key [count]"),
    Command::new("rpop", -2, WRITE | FAST, Group::List, rpop)
        .doc("1.0.0", "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", "O(N) where N is the number of elements returned")
        .syntax("key [count]"),
    Command::new("lrange", 4, READONLY, Group::List, lrange)
        .doc("1.0.0", "Returns a range of elements from a list.", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.")
        .syntax("key start stop"),
    Command::new("ltrim", 4, WRITE, Group::List, ltrim)
        .doc("1.0.0", "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", "O(N) where N is the number of elements to be removed by the operation.")
        .syntax("key start stop"),
    Command::new("lrem", 4, WRITE, Group::List, lrem)
        .doc("1.0.0", "Removes elements from a list. Deletes the list if the last element was removed.", "O(N+M) where N is the length of the list and M is the number of elements removed.")
        .syntax("key count element"),
    Command::new("lpos", -3, READONLY, Group::List, lpos)
        .doc("6.0.6", "Returns the index of matching elements in a list.", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.")
        .syntax("key element [RANK rank] [COUNT num-matches] [MAXLEN len]"),
    Command::new("lmove", 5, WRITE | DENYOOM, Group::List, lmove)
        .doc("6.2.0", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", "O(1)")
        .syntax("source destination <LEFT | RIGHT> <LEFT | RIGHT>"),
    Command::new("rpoplpush", 3, WRITE | DENYOOM, Group::List, rpoplpush)
        .doc("1.2.0", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", "O(1)")
        .syntax("source destination"),
    Command::new("lmpop", -4, WRITE, Group::List, lmpop)
        .doc("7.0.0", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", "O(N+M) where N is the number of provided keys and M is the number of elements returned.")
        .syntax("numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"),
    Command::new("blpop", -3, WRITE | NOSCRIPT | BLOCKING, Group::List, blpop)
        .doc("2.0.0", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "O(N) where N is the number of provided keys.")
        .syntax("key [key ...] timeout"),
    Command::new("brpop", -3, WRITE | NOSCRIPT | BLOCKING, Group::List, brpop)
        .doc("2.0.0", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "O(N) where N is the number of provided keys.")
        .syntax("key [key ...] timeout"),
    Command::new("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, Group::List, blmove)
        .doc("6.2.0", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", "O(1)")
        .syntax("source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout"),
    Command::new("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, Group::List, brpoplpush)
        .doc("2.2.0", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", "O(1)")
        .syntax("source destination timeout"),
    Command::new("blmpop", -5, WRITE | BLOCKING, Group::List, blmpop)
        .doc("7.0.0", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", "O(N+M) where N is the number of provided keys and M is the number of elements returned.")
        .syntax("timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"),
];

fn limit(ctx: &Ctx) -> ListLimit {
    ctx.server.list_limit()
}

/// `LEFT` or `RIGHT`.
fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(End::Head)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(End::Tail)
    } else {
        Err(errors::SYNTAX)
    }
}

/// LPUSH and friends: pushes every element in order; `only_existing` for the X forms.
fn push(ctx: &mut Ctx, args: &Args, end: End, only_existing: bool) -> CmdResult {
    let db = ctx.client.db;
    let key = args.get(1);
    let limit = limit(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let (slot, list) = if only_existing {
        match write::<List>(keyspace, db, key)? {
            Some(found) => found,
            None => {
                ctx.reply.int(0);
                return Ok(());
            }
        }
    } else {
        get_or_create(keyspace, db, key, List::default)?
    };
    let mut outcome = Ok(());
    for item in args.from(2) {
        if list.push(end, item, limit).is_err() {
            // The elements pushed so far stay, each one whole.
            outcome = Err(errors::OUT_OF_MEMORY);
            break;
        }
    }
    let len = list.len();
    changed_as(keyspace, db, slot, key, (LIST, push_event(end)));
    outcome?;
    ctx.reply.int(len as i64);
    Ok(())
}

fn lpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push(ctx, args, End::Head, false)
}

fn rpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push(ctx, args, End::Tail, false)
}

fn lpushx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push(ctx, args, End::Head, true)
}

fn rpushx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push(ctx, args, End::Tail, true)
}

fn linsert(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let after = if args.is(2, "after") {
        true
    } else if args.is(2, "before") {
        false
    } else {
        return Err(errors::SYNTAX);
    };
    let db = ctx.client.db;
    let key = args.get(1);
    let limit = limit(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let Some((slot, list)) = write::<List>(keyspace, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let Some(pivot) = list.find(args.get(3)) else {
        ctx.reply.int(-1);
        return Ok(());
    };
    list.insert(pivot + after as usize, args.get(4), limit)?;
    let len = list.len();
    changed_as(keyspace, db, slot, key, (LIST, "linsert"));
    ctx.reply.int(len as i64);
    Ok(())
}

fn llen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let len = get::<List>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?
        .map_or(0, |list| list.len());
    ctx.reply.int(len as i64);
    Ok(())
}

fn lindex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let Some(list) = get::<List>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)? else {
        ctx.reply.null();
        return Ok(());
    };
    let index = args.i64(2)?;
    match list.position(index).and_then(|i| list.get(i)) {
        Some(item) => ctx.reply.bulk(item),
        None => ctx.reply.null(),
    }
    Ok(())
}

fn lset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let key = args.get(1);
    let limit = limit(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let (slot, list) = write::<List>(keyspace, db, key)?.ok_or(errors::NO_SUCH_KEY)?;
    let index = args.i64(2)?;
    let position = list.position(index).ok_or(errors::INDEX_OUT_OF_RANGE)?;
    list.set(position, args.get(3), limit)?;
    changed_as(keyspace, db, slot, key, (LIST, "lset"));
    ctx.reply.ok();
    Ok(())
}

/// The event of a push at `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

/// The event of a pop from `end`.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    }
}

/// The command that pops from `end`: `LPOP` or `RPOP`.
fn pop_command(end: End) -> &'static [u8] {
    match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    }
}

/// LPOP and RPOP: one element, or up to `count` as an array.
fn pop(ctx: &mut Ctx, args: &Args, end: End) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::wrong_arity(if end == End::Head {
            "lpop"
        } else {
            "rpop"
        }));
    }
    let count = if args.len() == 3 {
        Some(args.non_negative(2, errors::MUST_BE_POSITIVE)? as usize)
    } else {
        None
    };
    let db = ctx.client.db;
    let key = args.get(1);
    let limit = limit(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let Some((slot, list)) = write::<List>(keyspace, db, key)? else {
        match count {
            Some(_) => ctx.reply.null_array(),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    match count {
        None => {
            list.pop_with(end, |item| ctx.reply.bulk(item));
        }
        Some(0) => {
            ctx.reply.array(0);
            return Ok(());
        }
        Some(count) => pop_into_reply(list, end, count, ctx.reply),
    }
    list.shrink(limit);
    changed_as(keyspace, db, slot, key, (LIST, pop_event(end)));
    Ok(())
}

/// Pops up to `count` elements from one end, replying with them as an array.
fn pop_into_reply(
    list: &mut List,
    end: End,
    count: usize,
    reply: &mut crate::protocol::reply::Reply,
) {
    let count = count.min(list.len());
    reply.array(count);
    for _ in 0..count {
        list.pop_with(end, |item| reply.bulk(item));
    }
}

fn lpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    pop(ctx, args, End::Head)
}

fn rpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    pop(ctx, args, End::Tail)
}

/// Normalizes LRANGE/LTRIM indexes: the inclusive range they cover, if not empty.
fn index_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

fn lrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (start, stop) = (args.i64(2)?, args.i64(3)?);
    let db = ctx.client.db;
    let Some(list) = get::<List>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let Some((first, last)) = index_range(start, stop, list.len()) else {
        ctx.reply.array(0);
        return Ok(());
    };
    let count = last - first + 1;
    ctx.reply.array(count);
    for item in list.iter_from(first).take(count) {
        ctx.reply.bulk(item);
    }
    Ok(())
}

fn ltrim(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (start, stop) = (args.i64(2)?, args.i64(3)?);
    let db = ctx.client.db;
    let key = args.get(1);
    let limit = limit(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let Some((slot, list)) = write::<List>(keyspace, db, key)? else {
        ctx.reply.ok();
        return Ok(());
    };
    let len = list.len();
    match index_range(start, stop, len) {
        None => list.remove_range(0, len),
        Some((first, last)) => {
            list.remove_range(last + 1, len - last - 1);
            list.remove_range(0, first);
        }
    }
    list.shrink(limit);
    changed_as(keyspace, db, slot, key, (LIST, "ltrim"));
    ctx.reply.ok();
    Ok(())
}

fn lrem(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let count = args.i64(2)?;
    let db = ctx.client.db;
    let key = args.get(1);
    let limit = limit(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let Some((slot, list)) = write::<List>(keyspace, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let from = if count < 0 { End::Tail } else { End::Head };
    let max = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matching(args.get(3), from, max);
    if removed > 0 {
        list.shrink(limit);
        changed_as(keyspace, db, slot, key, (LIST, "lrem"));
    }
    ctx.reply.int(removed as i64);
    Ok(())
}

fn lpos(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if args.is(i, "RANK") && has_value {
            rank = args.i64(i + 1)?;
            if rank == 0 {
                return Err(CmdError::new(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if args.is(i, "COUNT") && has_value {
            count = Some(
                args.non_negative(i + 1, CmdError::new("ERR COUNT can't be negative"))? as usize,
            );
        } else if args.is(i, "MAXLEN") && has_value {
            maxlen =
                args.non_negative(i + 1, CmdError::new("ERR MAXLEN can't be negative"))? as usize;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 2;
    }
    let db = ctx.client.db;
    let Some(list) = get::<List>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)? else {
        match count {
            Some(_) => ctx.reply.array(0),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    // A negative rank searches from the tail. Redis negates it in C, where the most negative
    // value stays negative: every match then qualifies.
    let from_tail = rank < 0;
    let skip = if from_tail { rank.wrapping_neg() } else { rank };
    let len = list.len();
    let element = args.get(2);
    let scanned: Box<dyn Iterator<Item = &[u8]>> = if from_tail {
        Box::new(list.iter_rev())
    } else {
        Box::new(list.iter())
    };
    let limit = if maxlen == 0 { len } else { maxlen.min(len) };
    let mut matches: i64 = 0;
    let mut found = Vec::new();
    for (scanned_index, item) in scanned.take(limit).enumerate() {
        if item != element {
            continue;
        }
        matches += 1;
        if matches >= skip {
            let index = if from_tail {
                len - 1 - scanned_index
            } else {
                scanned_index
            };
            found.push(index as i64);
            match count {
                None => break,
                Some(count) if count != 0 && found.len() == count => break,
                _ => {}
            }
        }
    }
    match count {
        None => match found.first() {
            Some(&index) => ctx.reply.int(index),
            None => ctx.reply.null(),
        },
        Some(_) => {
            ctx.reply.array(found.len());
            for index in found {
                ctx.reply.int(index);
            }
        }
    }
    Ok(())
}

/// LMOVE's work once the source is known to hold elements: pop, push, reply with the element.
fn move_element(ctx: &mut Ctx, source: &[u8], destination: &[u8], from: End, to: End) -> CmdResult {
    let db = ctx.client.db;
    let limit = limit(ctx);
    let keyspace = &mut ctx.server.keyspace;
    // The destination's type is checked before anything moves.
    get::<List>(keyspace, db, destination, Lookup::Write)?;
    let Some((_, list)) = write::<List>(keyspace, db, source)? else {
        ctx.reply.null();
        return Ok(());
    };
    let Some(item) = list.pop(from) else {
        ctx.reply.null();
        return Ok(());
    };
    list.shrink(limit);
    // The source stays, even emptied, until the element is in the destination: the same list
    // as destination gets it back, and Redis announces the push before the pop.
    let (target_slot, target) = get_or_create(keyspace, db, destination, List::default)?;
    let pushed = target.push(to, &item, limit);
    if pushed.is_err() {
        // Put the element back where it came from rather than lose it.
        changed(keyspace, db, target_slot, destination);
        if let Some((source_slot, source_list)) = write::<List>(keyspace, db, source)? {
            let restored = source_list.push(from, &item, limit);
            changed(keyspace, db, source_slot, source);
            restored?;
        }
        return Err(errors::OUT_OF_MEMORY);
    }
    changed_as(
        keyspace,
        db,
        target_slot,
        destination,
        (LIST, push_event(to)),
    );
    let source_slot = keyspace
        .peek(db, source)
        .expect("the source list is deleted only here");
    changed_as(keyspace, db, source_slot, source, (LIST, pop_event(from)));
    ctx.reply.bulk(&item);
    Ok(())
}

fn lmove(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (from, to) = (parse_end(args.get(3))?, parse_end(args.get(4))?);
    lmove_checked(ctx, args.get(1), args.get(2), from, to)
}

/// LMOVE after argument parsing: a missing or empty source replies null.
fn lmove_checked(
    ctx: &mut Ctx,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
) -> CmdResult {
    let db = ctx.client.db;
    match get::<List>(&mut ctx.server.keyspace, db, source, Lookup::Write)? {
        Some(list) if !list.is_empty() => move_element(ctx, source, destination, from, to),
        _ => {
            ctx.reply.null();
            Ok(())
        }
    }
}

fn rpoplpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    lmove_checked(ctx, args.get(1), args.get(2), End::Tail, End::Head)
}

/// Parsed `numkeys key [key ...] <LEFT | RIGHT> [COUNT count]` from argument `at` on.
struct MultiPop<'a> {
    keys: Vec<&'a [u8]>,
    end: End,
    count: usize,
}

fn parse_multi_pop<'a>(args: &Args<'a>, at: usize) -> Result<MultiPop<'a>, CmdError> {
    let numkeys = args.i64_in(at, 1, i64::MAX, Some(errors::NUMKEYS_POSITIVE))? as usize;
    let where_at = at.saturating_add(numkeys).saturating_add(1);
    if where_at >= args.len() {
        return Err(errors::SYNTAX);
    }
    let end = parse_end(args.get(where_at))?;
    let mut count = None;
    let mut i = where_at + 1;
    while i < args.len() {
        if count.is_none() && args.is(i, "COUNT") && i + 1 < args.len() {
            count = Some(args.i64_in(
                i + 1,
                1,
                i64::MAX,
                Some(CmdError::new("ERR count should be greater than 0")),
            )? as usize);
            i += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    Ok(MultiPop {
        keys: (at + 1..where_at).map(|i| args.get(i)).collect(),
        end,
        count: count.unwrap_or(1),
    })
}

/// Pops from the first non-empty list among `keys`, replying `[key, [elements]]`. Returns
/// whether one was found (nothing is written otherwise).
fn multi_pop(ctx: &mut Ctx, request: &MultiPop) -> Result<bool, CmdError> {
    let db = ctx.client.db;
    let limit = limit(ctx);
    for key in &request.keys {
        let keyspace = &mut ctx.server.keyspace;
        let Some((slot, list)) = write::<List>(keyspace, db, key)? else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        let popped = request.count.min(list.len());
        ctx.reply.array(2);
        ctx.reply.bulk(key);
        pop_into_reply(list, request.end, request.count, ctx.reply);
        list.shrink(limit);
        changed_as(keyspace, db, slot, key, (LIST, pop_event(request.end)));
        // LMPOP and BLMPOP are propagated as the `LPOP|RPOP key count` they amount to.
        if keyspace.propagation.enabled() {
            let mut count = itoa::Buffer::new();
            let count = count.format(popped).as_bytes();
            let argv = [pop_command(request.end), key, count];
            keyspace.propagation.rewrite_command(argv.into_iter());
        }
        return Ok(true);
    }
    Ok(false)
}

fn lmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let request = parse_multi_pop(args, 1)?;
    if !multi_pop(ctx, &request)? {
        ctx.reply.null_array();
    }
    Ok(())
}

/// BLPOP and BRPOP: the last argument is the timeout, the others keys.
fn blocking_pop(ctx: &mut Ctx, args: &Args, end: End) -> CmdResult {
    let timeout = parse_timeout(args.get(args.len() - 1))?;
    let keys: Vec<&[u8]> = (1..args.len() - 1).map(|i| args.get(i)).collect();
    let db = ctx.client.db;
    let limit = limit(ctx);
    for key in &keys {
        let keyspace = &mut ctx.server.keyspace;
        let Some((slot, list)) = write::<List>(keyspace, db, key)? else {
            continue;
        };
        let Some(item) = list.pop(end) else {
            continue;
        };
        list.shrink(limit);
        changed_as(keyspace, db, slot, key, (LIST, pop_event(end)));
        // Propagated as the `LPOP|RPOP key` it amounts to, served at once or later.
        keyspace
            .propagation
            .rewrite_command([pop_command(end), key].into_iter());
        ctx.reply.array(2);
        ctx.reply.bulk(key);
        ctx.reply.bulk(&item);
        return Ok(());
    }
    block(
        ctx,
        args,
        keys.into_iter(),
        timeout,
        Wait {
            waits_for: "list",
            in_exec: TimeoutReply::NullArray,
        },
    );
    Ok(())
}

fn blpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    blocking_pop(ctx, args, End::Head)
}

fn brpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    blocking_pop(ctx, args, End::Tail)
}

/// BLMOVE and BRPOPLPUSH once parsed: moves at once if the source has elements, blocks on it
/// otherwise.
fn blocking_move(
    ctx: &mut Ctx,
    args: &Args,
    (from, to): (End, End),
    timeout: Option<std::time::Duration>,
) -> CmdResult {
    let db = ctx.client.db;
    let (source, destination) = (args.get(1), args.get(2));
    if get::<List>(&mut ctx.server.keyspace, db, source, Lookup::Write)?.is_some() {
        move_element(ctx, source, destination, from, to)?;
        // Propagated as its non-blocking form (only if it moved an element): BLMOVE as
        // `LMOVE source destination <from> <to>` with the ends as sent, BRPOPLPUSH as
        // `RPOPLPUSH source destination`.
        let propagation = &mut ctx.server.keyspace.propagation;
        if args.len() == 6 {
            let argv = [&b"LMOVE"[..], source, destination, args.get(3), args.get(4)];
            propagation.rewrite_command(argv.into_iter());
        } else {
            propagation.rewrite_command([&b"RPOPLPUSH"[..], source, destination].into_iter());
        }
        return Ok(());
    }
    block(
        ctx,
        args,
        std::iter::once(source),
        timeout,
        Wait {
            waits_for: "list",
            in_exec: TimeoutReply::Null,
        },
    );
    Ok(())
}

fn blmove(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (from, to) = (parse_end(args.get(3))?, parse_end(args.get(4))?);
    let timeout = parse_timeout(args.get(5))?;
    blocking_move(ctx, args, (from, to), timeout)
}

fn brpoplpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let timeout = parse_timeout(args.get(3))?;
    blocking_move(ctx, args, (End::Tail, End::Head), timeout)
}

fn blmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let request = parse_multi_pop(args, 2)?;
    let timeout = parse_timeout(args.get(1))?;
    if !multi_pop(ctx, &request)? {
        block(
            ctx,
            args,
            request.keys.iter().copied(),
            timeout,
            Wait {
                waits_for: "list",
                in_exec: TimeoutReply::NullArray,
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod harness_tests {
    use crate::cmd::harness::Harness;

    #[test]
    fn list_options_wrongtype_and_oom() {
        let mut h = Harness::new();
        assert_eq!(h.run("RPUSH l a b c"), ":3\r\n");
        assert_eq!(
            h.run("LPOS l b RANK 0"),
            "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"
        );
        assert_eq!(h.run("LINSERT l MIDDLE a x"), "-ERR syntax error\r\n");
        assert_eq!(
            h.run("LPOP l -1"),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            h.run("LRANGE l 0 -1"),
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        h.run("SET s v");
        assert_eq!(
            h.run("LPUSH s a"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        let mut full = Harness::over_maxmemory();
        assert_eq!(
            full.run("LPUSH l a"),
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        );
        assert_eq!(full.run("LLEN l"), ":0\r\n");
    }

    #[test]
    fn list_writes_announce_their_events_and_del_when_emptied() {
        let mut h = Harness::new();
        let watcher = h.watch_events("A");
        h.run("LPUSHX l a");
        h.run("RPUSH l a b c");
        h.run("LINSERT l AFTER a x");
        h.run("LINSERT l AFTER nothere x");
        h.run("LSET l 0 y");
        h.run("LREM l 0 nothere");
        h.run("LREM l 1 x");
        h.run("LTRIM l 0 -1");
        h.run("LPOP l 0");
        h.run("RPOP l");
        h.run("LMOVE l other RIGHT LEFT");
        h.run("RPOPLPUSH l l");
        h.run("LMPOP 1 l LEFT");
        assert_eq!(
            h.events(watcher),
            [
                "rpush l",
                "linsert l",
                "lset l",
                "lrem l",
                "ltrim l",
                "rpop l",
                "lpush other",
                "rpop l",
                "lpush l",
                "rpop l",
                "lpop l",
                "del l",
            ]
        );
    }

    #[test]
    fn served_blocking_pops_announce_after_the_push() {
        let mut h = Harness::new();
        let watcher = h.watch_events("lgn");
        let waiter = h.connect();
        assert_eq!(h.run_as(waiter, "BLMOVE src dst LEFT RIGHT 0"), "");
        h.run("LPUSH src a");
        assert_eq!(
            h.events(watcher),
            [
                "new src",
                "lpush src",
                "new dst",
                "rpush dst",
                "lpop src",
                "del src"
            ]
        );
        assert_eq!(
            h.run_as(waiter, "BRPOP dst 0"),
            "*2\r\n$3\r\ndst\r\n$1\r\na\r\n"
        );
        assert_eq!(h.events(watcher), ["rpop dst", "del dst"]);
    }
}

#[cfg(test)]
mod propagation {
    use crate::cmd::keys::propagation_tests::{propagated, propagating, resp};

    #[test]
    fn blocking_pops_served_at_once_propagate_as_plain_pops() {
        let mut h = propagating();
        h.run("RPUSH l a b c d e f g");
        assert_eq!(
            propagated(&mut h),
            resp(&["RPUSH", "l", "a", "b", "c", "d", "e", "f", "g"])
        );
        assert_eq!(h.run("BLPOP missing l 0"), "*2\r\n$1\r\nl\r\n$1\r\na\r\n");
        assert_eq!(propagated(&mut h), resp(&["LPOP", "l"]));
        assert_eq!(h.run("BRPOP l 1"), "*2\r\n$1\r\nl\r\n$1\r\ng\r\n");
        assert_eq!(propagated(&mut h), resp(&["RPOP", "l"]));
        assert_eq!(h.run("BLMOVE l dst left RIGHT 0"), "$1\r\nb\r\n");
        assert_eq!(
            propagated(&mut h),
            resp(&["LMOVE", "l", "dst", "left", "RIGHT"])
        );
        assert_eq!(h.run("BRPOPLPUSH l dst 0"), "$1\r\nf\r\n");
        assert_eq!(propagated(&mut h), resp(&["RPOPLPUSH", "l", "dst"]));
        // Plain LMOVE and LPOP go as sent.
        assert_eq!(h.run("LMOVE dst l LEFT LEFT"), "$1\r\nf\r\n");
        assert_eq!(
            propagated(&mut h),
            resp(&["LMOVE", "dst", "l", "LEFT", "LEFT"])
        );
    }

    #[test]
    fn multi_pops_propagate_as_pops_of_what_they_took() {
        let mut h = propagating();
        h.run("RPUSH l a b c d");
        propagated(&mut h);
        assert_eq!(
            h.run("LMPOP 2 missing l RIGHT COUNT 3"),
            "*2\r\n$1\r\nl\r\n*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["RPOP", "l", "3"]));
        assert_eq!(
            h.run("LMPOP 1 l LEFT"),
            "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["LPOP", "l", "1"]));
        h.run("RPUSH l x y");
        propagated(&mut h);
        assert_eq!(
            h.run("BLMPOP 0 1 l LEFT COUNT 10"),
            "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["LPOP", "l", "2"]));
        // Nothing to pop: nothing.
        assert_eq!(h.run("LMPOP 1 l LEFT"), "*-1\r\n");
        assert_eq!(propagated(&mut h), "");
    }

    #[test]
    fn blocking_pops_served_later_propagate_after_the_push() {
        let mut h = propagating();
        let waiter = h.connect();
        // Blocked: nothing.
        assert_eq!(h.run_as(waiter, "BRPOP q 0"), "");
        assert_eq!(propagated(&mut h), "");
        h.run("LPUSH q x");
        assert_eq!(
            propagated(&mut h),
            resp(&["LPUSH", "q", "x"]) + &resp(&["RPOP", "q"])
        );
        assert_eq!(h.pushed(waiter), "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
        assert_eq!(h.run_as(waiter, "BLMPOP 0 1 q RIGHT COUNT 5"), "");
        h.run("LPUSH q a b");
        assert_eq!(
            propagated(&mut h),
            resp(&["LPUSH", "q", "a", "b"]) + &resp(&["RPOP", "q", "2"])
        );
        h.pushed(waiter);
        assert_eq!(h.run_as(waiter, "BLMOVE q dst RIGHT left 0"), "");
        h.run("RPUSH q a");
        assert_eq!(
            propagated(&mut h),
            resp(&["RPUSH", "q", "a"]) + &resp(&["LMOVE", "q", "dst", "RIGHT", "left"])
        );
        h.pushed(waiter);
        assert_eq!(h.run_as(waiter, "BRPOPLPUSH q dst 0"), "");
        h.run("RPUSH q b");
        assert_eq!(
            propagated(&mut h),
            resp(&["RPUSH", "q", "b"]) + &resp(&["RPOPLPUSH", "q", "dst"])
        );
    }
}
