//! Sorted set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT
//! ZLEXCOUNT, the ZRANGE family (ZRANGE ZRANGESTORE ZREVRANGE Z[REV]RANGEBYSCORE
//! Z[REV]RANGEBYLEX), ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN ZPOPMAX ZMPOP and the blocking
//! BZPOPMIN BZPOPMAX BZMPOP, ZRANDMEMBER, ZUNION ZINTER ZDIFF (and STORE forms) ZINTERCARD,
//! ZSCAN.

use std::collections::HashMap;

use super::blocking::{Wait, block, parse_timeout};
use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::scan::scan_collection;
use super::values::{changed, changed_as, get, get_or_create, write};
use super::{Args, Command, Ctx, Group};
use crate::client::TimeoutReply;
use crate::config::notify::{GENERIC, ZSET};
use crate::db::Lookup;
use crate::protocol::reply::Reply;
use crate::types::{Object, ObjectView, ZSet, ZSetLimits};
use crate::util::strtod::{string2d, strtod_whole};

pub static COMMANDS: &[Command] = &[
    Command::new("zadd", -4, WRITE | DENYOOM | FAST, Group::SortedSet, zadd)
        .doc("1.2.0", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", "O(log(N)) for each item added, where N is the number of elements in the sorted set.")
        .syntax("key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]"),
    Command::new("zincrby", 4, WRITE | DENYOOM | FAST, Group::SortedSet, zincrby)
        .doc("1.2.0", "Increments the score of a member in a sorted set.", "O(log(N)) where N is the number of elements in the sorted set.")
        .syntax("key increment member"),
    Command::new("zrem", -3, WRITE | FAST, Group::SortedSet, zrem)
        .doc("1.2.0", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.")
        .syntax("key member [member ...]"),
    Command::new("zcard", 2, READONLY | FAST, Group::SortedSet, zcard)
        .doc("1.2.0", "Returns the number of members in a sorted set.", "O(1)")
        .syntax("key"),
    Command::new("zscore", 3, READONLY | FAST, Group::SortedSet, zscore)
        .doc("1.2.0", "Returns the score of a member in a sorted set.", "O(1)")
        .syntax("key member"),
    Command::new("zmscore", -3, READONLY | FAST, Group::SortedSet, zmscore)
        .doc("6.2.0", "Returns the score of one or more members in a sorted set.", "O(N) where N is the number of members being requested.")
        .syntax("key member [member ...]"),
    Command::new("zrank", 3, READONLY | FAST, Group::SortedSet, zrank)
        .doc("2.0.0", "Returns the index of a member in a sorted set ordered by ascending scores.", "O(log(N))")
        .syntax("key member"),
    Command::new("zrevrank", 3, READONLY | FAST, Group::SortedSet, zrevrank)
        .doc("2.0.0", "Returns the index of a member in a sorted set ordered by descending scores.", "O(log(N))")
        .syntax("key member"),
    Command::new("zcount", 4, READONLY | FAST, Group::SortedSet, zcount)
        .doc("2.0.0", "Returns the count of members in a sorted set that have scores within a range.", "O(log(N)) with N being the number of elements in the sorted set.")
        .syntax("key min max"),
    Command::new("zlexcount", 4, READONLY | FAST, Group::SortedSet, zlexcount)
        .doc("2.8.9", "Returns the number of members in a sorted set within a lexicographical range.", "O(log(N)) with N being the number of elements in the sorted set.")
        .syntax("key min max"),
    Command::new("zrange", -4, READONLY, Group::SortedSet, zrange)
        .doc("1.2.0", "Returns members in a sorted set within a range of indexes.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
        .syntax("key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"),
    Command::new("zrangestore", -5, WRITE | DENYOOM, Group::SortedSet, zrangestore)
        .doc("6.2.0", "Stores a range of members from sorted set in a key.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.")
        .syntax("dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]"),
    Command::new("zrevrange", -4, READONLY, Group::SortedSet, zrevrange)
        .doc("1.2.0", "Returns members in a sorted set within a range of indexes in reverse order.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
        .syntax("key start stop [WITHSCORES]"),
    Command::new("zrangebyscore", -4, READONLY, Group::SortedSet, zrangebyscore)
        .doc("1.0.5", "Returns members in a sorted set within a range of scores.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .syntax("key min max [WITHSCORES] [LIMIT offset count]"),
    Command::new("zrevrangebyscore", -4, READONLY, Group::SortedSet, zrevrangebyscore)
        .doc("2.2.0", "Returns members in a sorted set within a range of scores in reverse order.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .syntax("key max min [WITHSCORES] [LIMIT offset count]"),
    Command::new("zrangebylex", -4, READONLY, Group::SortedSet, zrangebylex)
        .doc("2.8.9", "Returns members in a sorted set within a lexicographical range.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .syntax("key min max [LIMIT offset count]"),
    Command::new("zrevrangebylex", -4, READONLY, Group::SortedSet, zrevrangebylex)
        .doc("2.8.9", "Returns members in a sorted set within a lexicographical range in reverse order.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .syntax("key max min [LIMIT offset count]"),
    Command::new("zremrangebyrank", 4, WRITE, Group::SortedSet, zremrangebyrank)
        .doc("2.0.0", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
        .syntax("key start stop"),
    Command::new("zremrangebyscore", 4, WRITE, Group::SortedSet, zremrangebyscore)
        .doc("1.2.0", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
        .syntax("key min max"),
    Command::new("zremrangebylex", 4, WRITE, Group::SortedSet, zremrangebylex)
        .doc("2.8.9", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
        .syntax("key min max"),
    Command::new("zpopmin", -2, WRITE | FAST, Group::SortedSet, zpopmin)
        .doc("5.0.0", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
        .syntax("key [count]"),
    Command::new("zpopmax", -2, WRITE | FAST, Group::SortedSet, zpopmax)
        .doc("5.0.0", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
        .syntax("key [count]"),
    Command::new("zmpop", -4, WRITE, Group::SortedSet, zmpop)
        .doc("7.0.0", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
        .syntax("numkeys key [key ...] <MIN | MAX> [COUNT count]"),
    Command::new("bzpopmin", -3, WRITE | NOSCRIPT | FAST | BLOCKING, Group::SortedSet, bzpopmin)
        .doc("5.0.0", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", "O(log(N)) with N being the number of elements in the sorted set.")
        .syntax("key [key ...] timeout"),
    Command::new("bzpopmax", -3, WRITE | NOSCRIPT | FAST | BLOCKING, Group::SortedSet, bzpopmax)
        .doc("5.0.0", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", "O(log(N)) with N being the number of elements in the sorted set.")
        .syntax("key [key ...] timeout"),
    Command::new("bzmpop", -5, WRITE | BLOCKING, Group::SortedSet, bzmpop)
        .doc("7.0.0", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
        .syntax("timeout numkeys key [key ...] <MIN | MAX> [COUNT count]"),
    Command::new("zrandmember", -2, READONLY, Group::SortedSet, zrandmember)
        .doc("6.2.0", "Returns one or more random members from a sorted set.", "O(N) where N is the number of members returned")
        .syntax("key [count [WITHSCORES]]"),
    Command::new("zunion", -3, READONLY, Group::SortedSet, zunion)
        .doc("6.2.0", "Returns the union of multiple sorted sets.", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
        .syntax("numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]"),
    Command::new("zunionstore", -4, WRITE | DENYOOM, Group::SortedSet, zunionstore)
        .doc("2.0.0", "Stores the union of multiple sorted sets in a key.", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
        .syntax("destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]"),
    Command::new("zinter", -3, READONLY, Group::SortedSet, zinter)
        .doc("6.2.0", "Returns the intersect of multiple sorted sets.", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
        .syntax("numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]"),
    Command::new("zinterstore", -4, WRITE | DENYOOM, Group::SortedSet, zinterstore)
        .doc("2.0.0", "Stores the intersect of multiple sorted sets in a key.", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
        .syntax("destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]"),
    Command::new("zintercard", -3, READONLY, Group::SortedSet, zintercard)
        .doc("7.0.0", "Returns the number of members of the intersect of multiple sorted sets.", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.")
        .syntax("numkeys key [key ...] [LIMIT limit]"),
    Command::new("zdiff", -3, READONLY, Group::SortedSet, zdiff)
        .doc("6.2.0", "Returns the difference between multiple sorted sets.", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
        .syntax("numkeys key [key ...] [WITHSCORES]"),
    Command::new("zdiffstore", -4, WRITE | DENYOOM, Group::SortedSet, zdiffstore)
        .doc("6.2.0", "Stores the difference of multiple sorted sets in a key.", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
        .syntax("destination numkeys key [key ...]"),
    Command::new("zscan", -3, READONLY, Group::SortedSet, zscan)
        .doc("2.8.0", "Iterates over members and scores of a sorted set.", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.")
        .syntax("key cursor [MATCH pattern] [COUNT count]"),
];

fn limits(ctx: &Ctx) -> ZSetLimits {
    ctx.server.zset_limits()
}

/// Members with their scores, owned.
type Scored = Vec<(Vec<u8>, f64)>;

const NOT_A_NUMBER: CmdError = CmdError::new("ERR resulting score is not a number (NaN)");
const SCORE_RANGE: CmdError = CmdError::new("ERR min or max is not a float");
const LEX_RANGE: CmdError = CmdError::new("ERR min or max not valid string range item");

/// A member and its score as some replies carry them: a nested pair in RESP3 when `nested`,
/// two flat items otherwise.
fn reply_scored(reply: &mut Reply, member: &[u8], score: f64, with_score: bool, nested: bool) {
    if with_score && nested {
        reply.array(2);
    }
    reply.bulk(member);
    if with_score {
        reply.double(score);
    }
}

/// The array header for `n` members, doubled in RESP2 when scores follow each member.
fn reply_scored_len(reply: &mut Reply, n: usize, with_scores: bool) {
    if with_scores && !reply.is_resp3() {
        reply.array(n * 2);
    } else {
        reply.array(n);
    }
}

// ---- ZADD, ZINCRBY ----

fn zadd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zadd_generic(ctx, args, false)
}

fn zincrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zadd_generic(ctx, args, true)
}

fn zadd_generic(ctx: &mut Ctx, args: &Args, zincrby: bool) -> CmdResult {
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) =
        (false, false, false, false, false, zincrby);
    let mut at = 2;
    while at < args.len() {
        let option = args.get(at).to_ascii_lowercase();
        match option.as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"gt" => gt = true,
            b"lt" => lt = true,
            b"ch" => ch = true,
            b"incr" => incr = true,
            _ => break,
        }
        at += 1;
    }
    let elements = args.len() - at;
    if elements == 0 || elements % 2 == 1 {
        return Err(errors::SYNTAX);
    }
    let elements = elements / 2;
    if nx && xx {
        return Err(CmdError::new(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if ((gt || lt) && nx) || (gt && lt) {
        return Err(CmdError::new(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && elements > 1 {
        return Err(CmdError::new(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores: Vec<f64> = (0..elements)
        .map(|j| string2d(args.get(at + 2 * j)).ok_or(errors::NOT_FLOAT))
        .collect::<Result<_, _>>()?;
    let db = ctx.client.db;
    let key = args.get(1);
    let limits = limits(ctx);
    let keyspace = &mut ctx.server.keyspace;
    let exists = get::<ZSet>(keyspace, db, key, Lookup::Write)?.is_some();
    if !exists && xx {
        match incr {
            true => ctx.reply.null(),
            false => ctx.reply.int(0),
        }
        return Ok(());
    }
    // Redis 7.0 picks the encoding of a new key from its first member alone.
    let first_len = args.get(at + 1).len();
    let (slot, zset) = get_or_create(keyspace, db, key, || {
        ZSet::for_members(1, first_len, limits)
    })?;
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut last_score = 0.0;
    let mut failed = None;
    for (j, &score) in scores.iter().enumerate() {
        let member = args.get(at + 2 * j + 1);
        match zset.score(member) {
            Some(current) => {
                if nx {
                    continue;
                }
                let score = if incr { score + current } else { score };
                if score.is_nan() {
                    failed = Some(NOT_A_NUMBER);
                    break;
                }
                if (lt && score >= current) || (gt && score <= current) {
                    continue;
                }
                last_score = score;
                processed += 1;
                if score != current {
                    if zset.update(member, score).is_err() {
                        failed = Some(errors::OUT_OF_MEMORY);
                        break;
                    }
                    updated += 1;
                }
            }
            None if !xx => {
                if zset.insert(member, score, limits).is_err() {
                    failed = Some(errors::OUT_OF_MEMORY);
                    break;
                }
                added += 1;
                processed += 1;
                last_score = score;
            }
            None => {}
        }
    }
    // A new key whose first member could not be stored is empty: `changed` removes it.
    if added + updated > 0 {
        changed_as(
            keyspace,
            db,
            slot,
            key,
            (ZSET, if incr { "zincr" } else { "zadd" }),
        );
    } else if zset.is_empty() {
        changed(keyspace, db, slot, key);
    }
    if let Some(error) = failed {
        return Err(error);
    }
    if incr {
        if processed > 0 {
            ctx.reply.double(last_score);
        } else {
            ctx.reply.null();
        }
    } else {
        ctx.reply.int(if ch { added + updated } else { added });
    }
    Ok(())
}

// ---- Simple reads and removal ----

fn zrem(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let key = args.get(1);
    let keyspace = &mut ctx.server.keyspace;
    let Some((slot, zset)) = write::<ZSet>(keyspace, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let mut removed = 0;
    for member in args.from(2) {
        if zset.remove(member).is_some() {
            removed += 1;
            if zset.is_empty() {
                break;
            }
        }
    }
    if removed > 0 {
        changed_as(keyspace, db, slot, key, (ZSET, "zrem"));
    }
    ctx.reply.int(removed);
    Ok(())
}

/// The sorted set at `key` for reading, counting a hit or miss.
fn read<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut ZSet>, CmdError> {
    let db = ctx.client.db;
    get::<ZSet>(&mut ctx.server.keyspace, db, key, Lookup::Read)
}

fn zcard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let len = read(ctx, args.get(1))?.map_or(0, |z| z.len());
    ctx.reply.int(len as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let zset = get::<ZSet>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    match zset.and_then(|z| z.score(args.get(2))) {
        Some(score) => ctx.reply.double(score),
        None => ctx.reply.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let zset = get::<ZSet>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    ctx.reply.array(args.len() - 2);
    for member in args.from(2) {
        match zset.as_ref().and_then(|z| z.score(member)) {
            Some(score) => ctx.reply.double(score),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

fn rank_generic(ctx: &mut Ctx, args: &Args, reverse: bool) -> CmdResult {
    let db = ctx.client.db;
    let zset = get::<ZSet>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    let rank = zset.and_then(|z| {
        z.rank(args.get(2))
            .map(|r| if reverse { z.len() - 1 - r } else { r })
    });
    match rank {
        Some(rank) => ctx.reply.int(rank as i64),
        None => ctx.reply.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
    rank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
    rank_generic(ctx, args, true)
}

// ---- Ranges ----

/// A score interval (`zrangespec`).
#[derive(Debug, Clone, Copy)]
struct ScoreRange {
    min: f64,
    max: f64,
    min_exclusive: bool,
    max_exclusive: bool,
}

impl ScoreRange {
    /// Parses bounds as `zslParseRange`: `(` makes a bound exclusive; the number is read by
    /// plain `strtod`.
    fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
        let bound = |arg: &[u8]| -> Result<(f64, bool), CmdError> {
            match arg.split_first() {
                Some((b'(', rest)) => strtod_whole(rest).map(|v| (v, true)),
                _ => strtod_whole(arg).map(|v| (v, false)),
            }
            .ok_or(SCORE_RANGE)
        };
        let (min, min_exclusive) = bound(min)?;
        let (max, max_exclusive) = bound(max)?;
        Ok(ScoreRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        })
    }

    fn above_min(&self, score: f64) -> bool {
        if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        }
    }

    fn below_max(&self, score: f64) -> bool {
        if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        }
    }

    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_exclusive || self.max_exclusive))
    }
}

/// One end of a lexicographical range.
#[derive(Debug, Clone)]
enum LexBound {
    /// `-`: before everything.
    Lowest,
    /// `+`: after everything.
    Highest,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

impl LexBound {
    fn parse(arg: &[u8]) -> Result<LexBound, CmdError> {
        match arg {
            b"-" => Ok(LexBound::Lowest),
            b"+" => Ok(LexBound::Highest),
            [b'(', rest @ ..] => Ok(LexBound::Exclusive(rest.to_vec())),
            [b'[', rest @ ..] => Ok(LexBound::Inclusive(rest.to_vec())),
            _ => Err(LEX_RANGE),
        }
    }

    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Inclusive(_))
    }

    /// Redis's `sdscmplex`: the infinities compare outside every string, and equal to
    /// themselves.
    fn cmp(&self, other: &LexBound) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match (self, other) {
            (LexBound::Lowest, LexBound::Lowest) | (LexBound::Highest, LexBound::Highest) => Equal,
            (LexBound::Lowest, _) | (_, LexBound::Highest) => Less,
            (LexBound::Highest, _) | (_, LexBound::Lowest) => Greater,
            (
                LexBound::Inclusive(a) | LexBound::Exclusive(a),
                LexBound::Inclusive(b) | LexBound::Exclusive(b),
            ) => a.cmp(b),
        }
    }
}

#[derive(Debug, Clone)]
struct LexRange {
    min: LexBound,
    max: LexBound,
}

impl LexRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, CmdError> {
        Ok(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    fn above_min(&self, member: &[u8]) -> bool {
        match &self.min {
            LexBound::Lowest => true,
            LexBound::Highest => false,
            LexBound::Inclusive(min) => member >= min.as_slice(),
            LexBound::Exclusive(min) => member > min.as_slice(),
        }
    }

    fn below_max(&self, member: &[u8]) -> bool {
        match &self.max {
            LexBound::Lowest => false,
            LexBound::Highest => true,
            LexBound::Inclusive(max) => member <= max.as_slice(),
            LexBound::Exclusive(max) => member < max.as_slice(),
        }
    }

    fn is_empty(&self) -> bool {
        match self.min.cmp(&self.max) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => self.min.exclusive() || self.max.exclusive(),
            std::cmp::Ordering::Less => false,
        }
    }
}

/// What a range command selects.
#[derive(Debug, Clone)]
enum RangeSpec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

impl RangeSpec {
    fn above_min(&self, member: &[u8], score: f64) -> bool {
        match self {
            RangeSpec::Rank(..) => true,
            RangeSpec::Score(range) => range.above_min(score),
            RangeSpec::Lex(range) => range.above_min(member),
        }
    }

    fn below_max(&self, member: &[u8], score: f64) -> bool {
        match self {
            RangeSpec::Rank(..) => true,
            RangeSpec::Score(range) => range.below_max(score),
            RangeSpec::Lex(range) => range.below_max(member),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            RangeSpec::Rank(..) => false,
            RangeSpec::Score(range) => range.is_empty(),
            RangeSpec::Lex(range) => range.is_empty(),
        }
    }
}

/// The ranks `[start, end]` of a rank range after Redis's index rules, if not empty.
fn rank_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// The members a range selects, in reply order. `offset` and `limit` apply to score and lex
/// ranges (a negative offset selects nothing, a negative limit means no limit).
fn select<'a>(
    zset: &'a ZSet,
    spec: &RangeSpec,
    reverse: bool,
    offset: i64,
    limit: i64,
) -> Vec<(&'a [u8], f64)> {
    let len = zset.len();
    if let RangeSpec::Rank(start, end) = *spec {
        let Some((start, end)) = rank_bounds(start, end, len) else {
            return Vec::new();
        };
        let count = end - start + 1;
        return if reverse {
            zset.iter_from(len - 1 - start, false).take(count).collect()
        } else {
            zset.iter_from(start, true).take(count).collect()
        };
    }
    if (offset > 0 && offset as usize >= len) || offset < 0 || spec.is_empty() {
        return Vec::new();
    }
    let take = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    let walk: Box<dyn Iterator<Item = (&[u8], f64)>> = if reverse {
        let end = zset.count_while(|m, s| spec.below_max(m, s));
        if end == 0 {
            return Vec::new();
        }
        Box::new(
            zset.iter_from(end - 1, false)
                .take_while(|(m, s)| spec.above_min(m, *s)),
        )
    } else {
        let start = zset.count_while(|m, s| !spec.above_min(m, s));
        if start >= len {
            return Vec::new();
        }
        Box::new(
            zset.iter_from(start, true)
                .take_while(|(m, s)| spec.below_max(m, *s)),
        )
    };
    walk.skip(offset as usize).take(take).collect()
}

/// How a ZRANGE-family command was called: fixed range kind and direction for the legacy
/// commands, chosen by options for ZRANGE and ZRANGESTORE.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

/// The ZRANGE family (`zrangeGenericCommand`): `key_at` is the source key's position; `store`
/// is the destination for ZRANGESTORE.
fn zrange_generic(
    ctx: &mut Ctx,
    args: &Args,
    key_at: usize,
    store: Option<&[u8]>,
    mut kind: Kind,
    mut reverse: Option<bool>,
) -> CmdResult {
    let (mut with_scores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut i = key_at + 3;
    while i < args.len() {
        let left = args.len() - i - 1;
        if store.is_none() && args.is(i, "withscores") {
            with_scores = true;
        } else if args.is(i, "limit") && left >= 2 {
            offset = args.i64(i + 1)?;
            limit = args.i64(i + 2)?;
            i += 2;
        } else if reverse.is_none() && args.is(i, "rev") {
            reverse = Some(true);
        } else if kind == Kind::Auto && args.is(i, "bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && args.is(i, "byscore") {
            kind = Kind::Score;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 1;
    }
    let reverse = reverse.unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if limit != -1 && kind == Kind::Rank {
        return Err(CmdError::new(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if with_scores && kind == Kind::Lex {
        return Err(CmdError::new(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut min, mut max) = (args.get(key_at + 1), args.get(key_at + 2));
    if reverse && kind != Kind::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let spec = match kind {
        Kind::Score => RangeSpec::Score(ScoreRange::parse(min, max)?),
        Kind::Lex => RangeSpec::Lex(LexRange::parse(min, max)?),
        _ => RangeSpec::Rank(args.i64(key_at + 1)?, args.i64(key_at + 2)?),
    };
    let db = ctx.client.db;
    let limits = limits(ctx);
    let key = args.get(key_at);
    let zset = get::<ZSet>(&mut ctx.server.keyspace, db, key, Lookup::Read)?;
    let Some(destination) = store else {
        let Some(zset) = zset else {
            ctx.reply.array(0);
            return Ok(());
        };
        let selected = select(zset, &spec, reverse, offset, limit);
        reply_scored_len(ctx.reply, selected.len(), with_scores);
        let nested = ctx.reply.is_resp3();
        for (member, score) in selected {
            reply_scored(ctx.reply, member, score, with_scores, nested);
        }
        return Ok(());
    };
    let members: Scored = zset.map_or_else(Vec::new, |zset| {
        select(zset, &spec, reverse, offset, limit)
            .into_iter()
            .map(|(m, s)| (m.to_vec(), s))
            .collect()
    });
    store_result(ctx, destination, &members, limits, "zrangestore");
    Ok(())
}

/// Stores a result at `destination` (replacing any value) and announces it as `event`, or
/// deletes it when empty (announced as `del` if it existed); replies with the size.
fn store_result(
    ctx: &mut Ctx,
    destination: &[u8],
    members: &[(Vec<u8>, f64)],
    limits: ZSetLimits,
    event: &'static str,
) {
    let db = ctx.client.db;
    let keyspace = &mut ctx.server.keyspace;
    if members.is_empty() {
        if keyspace.delete(db, destination) {
            keyspace.notify(GENERIC, "del", db, destination);
        }
    } else {
        let zset = ZSet::from_members(members, limits);
        keyspace.set_object(db, destination, Object::ZSet(zset));
        keyspace.notify(ZSET, event, db, destination);
    }
    ctx.reply.int(members.len() as i64);
}

fn zrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, None, Kind::Auto, None)
}

fn zrangestore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 2, Some(args.get(1)), Kind::Auto, None)
}

fn zrevrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, None, Kind::Rank, Some(true))
}

fn zrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, None, Kind::Score, Some(false))
}

fn zrevrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, None, Kind::Score, Some(true))
}

fn zrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, None, Kind::Lex, Some(false))
}

fn zrevrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, None, Kind::Lex, Some(true))
}

/// ZCOUNT and ZLEXCOUNT: members between the bounds.
fn count_in(ctx: &mut Ctx, args: &Args, spec: RangeSpec) -> CmdResult {
    let Some(zset) = read(ctx, args.get(1))? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let count = if spec.is_empty() {
        0
    } else {
        let below = zset.count_while(|m, s| !spec.above_min(m, s));
        let upto = zset.count_while(|m, s| spec.below_max(m, s));
        upto.saturating_sub(below)
    };
    ctx.reply.int(count as i64);
    Ok(())
}

fn zcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let range = ScoreRange::parse(args.get(2), args.get(3))?;
    count_in(ctx, args, RangeSpec::Score(range))
}

fn zlexcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let range = LexRange::parse(args.get(2), args.get(3))?;
    count_in(ctx, args, RangeSpec::Lex(range))
}

/// ZREMRANGEBYRANK/SCORE/LEX: removes what the range selects.
fn remove_range(ctx: &mut Ctx, args: &Args, spec: RangeSpec) -> CmdResult {
    let db = ctx.client.db;
    let key = args.get(1);
    let keyspace = &mut ctx.server.keyspace;
    let Some((slot, zset)) = write::<ZSet>(keyspace, db, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let (start, count) = match &spec {
        RangeSpec::Rank(start, end) => match rank_bounds(*start, *end, zset.len()) {
            Some((start, end)) => (start, end - start + 1),
            None => (0, 0),
        },
        _ if spec.is_empty() => (0, 0),
        _ => {
            let start = zset.count_while(|m, s| !spec.above_min(m, s));
            let count = zset
                .iter_from(start, true)
                .take_while(|(m, s)| spec.below_max(m, *s))
                .count();
            (start, count)
        }
    };
    if count > 0 {
        zset.remove_ranks(start, count);
        let event = match spec {
            RangeSpec::Rank(..) => "zremrangebyrank",
            RangeSpec::Score(_) => "zremrangebyscore",
            RangeSpec::Lex(_) => "zremrangebylex",
        };
        changed_as(keyspace, db, slot, key, (ZSET, event));
    }
    ctx.reply.int(count as i64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let spec = RangeSpec::Rank(args.i64(2)?, args.i64(3)?);
    remove_range(ctx, args, spec)
}

fn zremrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let spec = RangeSpec::Score(ScoreRange::parse(args.get(2), args.get(3))?);
    remove_range(ctx, args, spec)
}

fn zremrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let spec = RangeSpec::Lex(LexRange::parse(args.get(2), args.get(3))?);
    remove_range(ctx, args, spec)
}

// ---- Pops ----

/// How a pop replies (`genericZpopCommand`'s shapes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum PopShape {
    /// ZPOPMIN/ZPOPMAX: flat member, score pairs, nested in RESP3 when a count was given.
    Plain { nested: bool },
    /// BZPOPMIN/BZPOPMAX: `[key, member, score]`.
    WithKey,
    /// ZMPOP/BZMPOP: `[key, [[member, score], ...]]`.
    Multi,
}

/// Pops up to `count` members from the lowest (`max == false`) or highest end of the first
/// existing sorted set among `keys`. Returns that key and how many members it popped, or
/// `None`, writing nothing, when none exists.
fn pop_first<'k>(
    ctx: &mut Ctx,
    keys: &[&'k [u8]],
    max: bool,
    count: usize,
    shape: PopShape,
) -> Result<Option<(&'k [u8], usize)>, CmdError> {
    let db = ctx.client.db;
    for key in keys {
        let keyspace = &mut ctx.server.keyspace;
        let Some((slot, zset)) = write::<ZSet>(keyspace, db, key)? else {
            continue;
        };
        let n = count.min(zset.len());
        let reply = &mut *ctx.reply;
        match shape {
            PopShape::Plain { nested } => {
                reply.array(if nested { n } else { n * 2 });
            }
            PopShape::WithKey => {
                reply.array(n * 2 + 1);
                reply.bulk(key);
            }
            PopShape::Multi => {
                reply.array(2);
                reply.bulk(key);
                reply.array(n);
            }
        }
        let nested = match shape {
            PopShape::Plain { nested } => nested,
            PopShape::WithKey => false,
            PopShape::Multi => true,
        };
        let start = if max { zset.len() - n } else { 0 };
        for (member, score) in zset
            .iter_from(if max { zset.len() - 1 } else { 0 }, !max)
            .take(n)
        {
            if nested {
                reply.array(2);
            }
            reply.bulk(member);
            reply.double(score);
        }
        zset.remove_ranks(start, n);
        let event = if max { "zpopmax" } else { "zpopmin" };
        changed_as(keyspace, db, slot, key, (ZSET, event));
        return Ok(Some((key, n)));
    }
    Ok(None)
}

/// Propagates the running command as the `ZPOPMIN|ZPOPMAX key [count]` it amounts to.
fn propagate_zpop(ctx: &mut Ctx, key: &[u8], max: bool, count: Option<usize>) {
    let propagation = &mut ctx.server.keyspace.propagation;
    let command: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    match count {
        None => propagation.rewrite_command([command, key].into_iter()),
        Some(count) if propagation.enabled() => {
            let mut text = itoa::Buffer::new();
            let text = text.format(count).as_bytes();
            propagation.rewrite_command([command, key, text].into_iter());
        }
        Some(_) => {}
    }
}

fn zpop(ctx: &mut Ctx, args: &Args, max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::SYNTAX);
    }
    let count = match args.len() {
        3 => Some(args.non_negative(2, errors::MUST_BE_POSITIVE)? as usize),
        _ => None,
    };
    let db = ctx.client.db;
    let key = args.get(1);
    let exists = get::<ZSet>(&mut ctx.server.keyspace, db, key, Lookup::Write)?.is_some();
    if !exists || count == Some(0) {
        ctx.reply.array(0);
        return Ok(());
    }
    let nested = count.is_some() && ctx.reply.is_resp3();
    pop_first(
        ctx,
        &[key],
        max,
        count.unwrap_or(1),
        PopShape::Plain { nested },
    )?;
    Ok(())
}

fn zpopmin(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zpop(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zpop(ctx, args, true)
}

/// Parsed `numkeys key [key ...] <MIN | MAX> [COUNT count]` from argument `at` on.
struct MultiPop<'a> {
    keys: Vec<&'a [u8]>,
    max: bool,
    count: usize,
}

fn parse_multi_pop<'a>(args: &Args<'a>, at: usize) -> Result<MultiPop<'a>, CmdError> {
    let numkeys = args.i64_in(at, 1, i64::MAX, Some(errors::NUMKEYS_POSITIVE))? as usize;
    let where_at = at.saturating_add(numkeys).saturating_add(1);
    if where_at >= args.len() {
        return Err(errors::SYNTAX);
    }
    let max = if args.is(where_at, "min") {
        false
    } else if args.is(where_at, "max") {
        true
    } else {
        return Err(errors::SYNTAX);
    };
    let mut count = None;
    let mut i = where_at + 1;
    while i < args.len() {
        if count.is_none() && args.is(i, "count") && i + 1 < args.len() {
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
        max,
        count: count.unwrap_or(1),
    })
}

fn zmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let request = parse_multi_pop(args, 1)?;
    match pop_first(
        ctx,
        &request.keys,
        request.max,
        request.count,
        PopShape::Multi,
    )? {
        Some((key, popped)) => propagate_zpop(ctx, key, request.max, Some(popped)),
        None => ctx.reply.null_array(),
    }
    Ok(())
}

fn bzpop(ctx: &mut Ctx, args: &Args, max: bool) -> CmdResult {
    let timeout = parse_timeout(args.get(args.len() - 1))?;
    let keys: Vec<&[u8]> = (1..args.len() - 1).map(|i| args.get(i)).collect();
    if let Some((key, _)) = pop_first(ctx, &keys, max, 1, PopShape::WithKey)? {
        // Served at once or later, propagated as the ZPOPMIN/ZPOPMAX it amounts to.
        propagate_zpop(ctx, key, max, None);
    } else {
        block(
            ctx,
            args,
            keys.into_iter(),
            timeout,
            Wait {
                waits_for: "zset",
                in_exec: TimeoutReply::NullArray,
            },
        );
    }
    Ok(())
}

fn bzpopmin(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bzpop(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bzpop(ctx, args, true)
}

fn bzmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let request = parse_multi_pop(args, 2)?;
    let timeout = parse_timeout(args.get(1))?;
    if let Some((key, popped)) = pop_first(
        ctx,
        &request.keys,
        request.max,
        request.count,
        PopShape::Multi,
    )? {
        propagate_zpop(ctx, key, request.max, Some(popped));
    } else {
        block(
            ctx,
            args,
            request.keys.iter().copied(),
            timeout,
            Wait {
                waits_for: "zset",
                in_exec: TimeoutReply::NullArray,
            },
        );
    }
    Ok(())
}

// ---- ZRANDMEMBER ----

fn zrandmember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let mut rng = ctx.server.keyspace.rng.fork();
    if args.len() < 3 {
        let zset = get::<ZSet>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
        match zset.and_then(|z| z.random(&mut rng)) {
            Some((member, _)) => ctx.reply.bulk(member),
            None => ctx.reply.null(),
        }
        return Ok(());
    }
    let count = args.i64_in(2, -i64::MAX, i64::MAX, None)?;
    let with_scores = match args.len() {
        3 => false,
        4 if args.is(3, "withscores") => {
            if !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
                return Err(CmdError::new("ERR value is out of range"));
            }
            true
        }
        _ => return Err(errors::SYNTAX),
    };
    let Some(zset) = get::<ZSet>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.array(0);
        return Ok(());
    }
    let nested = ctx.reply.is_resp3();
    if count < 0 || count == 1 {
        let picks = count.unsigned_abs() as usize;
        reply_scored_len(ctx.reply, picks, with_scores);
        for _ in 0..picks {
            let (member, score) = zset.random(&mut rng).expect("not empty");
            reply_scored(ctx.reply, member, score, with_scores, nested);
        }
        return Ok(());
    }
    let size = zset.len();
    let count = (count as usize).min(size);
    let mut positions: Vec<usize> = (0..size).collect();
    if count < size {
        rng.shuffle(&mut positions);
        positions.truncate(count);
        positions.sort_unstable();
    }
    reply_scored_len(ctx.reply, count, with_scores);
    let mut wanted = positions.into_iter().peekable();
    for (i, (member, score)) in zset.iter_from(0, true).enumerate() {
        if wanted.peek() == Some(&i) {
            wanted.next();
            reply_scored(ctx.reply, member, score, with_scores, nested);
        }
    }
    Ok(())
}

// ---- ZUNION, ZINTER, ZDIFF ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// `zunionInterAggregate`: a NaN sum (inf + -inf) counts as 0.
    fn apply(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if value < *target {
                    *target = value
                }
            }
            Aggregate::Max => {
                if value > *target {
                    *target = value
                }
            }
        }
    }
}

/// An input of ZUNION and friends: a sorted set, or a set whose members score 1.
enum Source<'a> {
    Missing,
    Set(&'a crate::types::Set),
    ZSet(&'a ZSet),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Set(set) => set.len(),
            Source::ZSet(zset) => zset.len(),
        }
    }

    fn for_each(&self, mut visit: impl FnMut(&[u8], f64) -> bool) {
        match self {
            Source::Missing => {}
            Source::Set(set) => {
                let mut buf = itoa::Buffer::new();
                for elem in set.iter() {
                    if !visit(elem.bytes(&mut buf), 1.0) {
                        break;
                    }
                }
            }
            Source::ZSet(zset) => {
                for (member, score) in zset.iter_from(0, true) {
                    if !visit(member, score) {
                        break;
                    }
                }
            }
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Set(set) => set.contains(member).then_some(1.0),
            Source::ZSet(zset) => zset.score(member),
        }
    }
}

/// The parsed form of `numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]
/// [LIMIT ...]` (`zunionInterDiffGenericCommand`).
struct SetOpRequest<'a> {
    keys: Vec<&'a [u8]>,
    weights: Vec<f64>,
    aggregate: Aggregate,
    with_scores: bool,
    limit: usize,
}

fn parse_set_op<'a>(
    args: &Args<'a>,
    numkeys_at: usize,
    op: SetOp,
    store: bool,
    cardinality: bool,
) -> Result<SetOpRequest<'a>, CmdError> {
    let numkeys = args.i64(numkeys_at)?;
    if numkeys < 1 {
        let name = String::from_utf8_lossy(args.get(0)).to_ascii_lowercase();
        return Err(CmdError::owned(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    let numkeys = numkeys as usize;
    if numkeys > args.len() - numkeys_at - 1 {
        return Err(errors::SYNTAX);
    }
    let mut request = SetOpRequest {
        keys: (numkeys_at + 1..numkeys_at + 1 + numkeys)
            .map(|i| args.get(i))
            .collect(),
        weights: vec![1.0; numkeys],
        aggregate: Aggregate::Sum,
        with_scores: false,
        limit: 0,
    };
    let mut j = numkeys_at + 1 + numkeys;
    while j < args.len() {
        let remaining = args.len() - j;
        if op != SetOp::Diff && !cardinality && remaining > numkeys && args.is(j, "weights") {
            for i in 0..numkeys {
                request.weights[i] = string2d(args.get(j + 1 + i))
                    .ok_or_else(|| CmdError::new("ERR weight value is not a float"))?;
            }
            j += 1 + numkeys;
        } else if op != SetOp::Diff && !cardinality && remaining >= 2 && args.is(j, "aggregate") {
            request.aggregate = match args.get(j + 1).to_ascii_lowercase().as_slice() {
                b"sum" => Aggregate::Sum,
                b"min" => Aggregate::Min,
                b"max" => Aggregate::Max,
                _ => return Err(errors::SYNTAX),
            };
            j += 2;
        } else if !store && !cardinality && args.is(j, "withscores") {
            request.with_scores = true;
            j += 1;
        } else if cardinality && remaining >= 2 && args.is(j, "limit") {
            request.limit =
                args.non_negative(j + 1, CmdError::new("ERR LIMIT can't be negative"))? as usize;
            j += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    Ok(request)
}

/// Runs a set operation over the inputs; the result is sorted by score then member. With
/// `limit_count`, only counts the intersection (up to `limit`, 0 for no limit).
fn run_set_op(
    ctx: &mut Ctx,
    request: &SetOpRequest,
    op: SetOp,
    count_only: bool,
) -> Result<(Scored, usize), CmdError> {
    let db = ctx.client.db;
    // Look every key up first (expiring, counting, checking types), then read them together.
    for key in &request.keys {
        let keyspace = &mut ctx.server.keyspace;
        if let Some(slot) = keyspace.lookup(db, key, Lookup::Read) {
            match keyspace.object(db, slot) {
                Some(ObjectView::Set(_) | ObjectView::ZSet(_)) => {}
                _ => return Err(errors::WRONG_TYPE),
            }
        }
    }
    let keyspace = &ctx.server.keyspace;
    let mut sources: Vec<(Source, f64, &[u8])> = request
        .keys
        .iter()
        .zip(&request.weights)
        .map(|(key, &weight)| {
            let source = match keyspace.peek(db, key).and_then(|s| keyspace.object(db, s)) {
                Some(ObjectView::Set(set)) => Source::Set(set),
                Some(ObjectView::ZSet(zset)) => Source::ZSet(zset),
                _ => Source::Missing,
            };
            (source, weight, *key)
        })
        .collect();
    if op != SetOp::Diff {
        sources.sort_by_key(|(source, _, _)| source.len());
    }
    let aggregate = request.aggregate;
    let mut result: Scored = Vec::new();
    let mut cardinality = 0usize;
    match op {
        SetOp::Inter => {
            let (first, first_weight, first_key) = &sources[0];
            first.for_each(|member, score| {
                let mut total = first_weight * score;
                if total.is_nan() {
                    total = 0.0;
                }
                for (source, weight, key) in &sources[1..] {
                    let value = if key == first_key {
                        Some(score)
                    } else {
                        source.score(member)
                    };
                    match value {
                        Some(value) => aggregate.apply(&mut total, value * weight),
                        None => return true,
                    }
                }
                if count_only {
                    cardinality += 1;
                    return request.limit == 0 || cardinality < request.limit;
                }
                result.push((member.to_vec(), total));
                true
            });
        }
        SetOp::Union => {
            let mut totals: HashMap<Vec<u8>, f64> = HashMap::new();
            for (source, weight, _) in &sources {
                source.for_each(|member, score| {
                    let mut value = weight * score;
                    if value.is_nan() {
                        value = 0.0;
                    }
                    match totals.get_mut(member) {
                        Some(total) => aggregate.apply(total, value),
                        None => {
                            totals.insert(member.to_vec(), value);
                        }
                    }
                    true
                });
            }
            result = totals.into_iter().collect();
        }
        SetOp::Diff => {
            let (first, _, first_key) = &sources[0];
            let repeated = sources[1..].iter().any(|(_, _, key)| key == first_key);
            if !repeated {
                first.for_each(|member, score| {
                    if sources[1..]
                        .iter()
                        .all(|(s, _, _)| s.score(member).is_none())
                    {
                        result.push((member.to_vec(), score));
                    }
                    true
                });
            }
        }
    }
    result.sort_by(|a, b| crate::types::zset::compare(a.1, &a.0, b.1, &b.0));
    Ok((result, cardinality))
}

fn set_op_command(ctx: &mut Ctx, args: &Args, op: SetOp, store: bool) -> CmdResult {
    let numkeys_at = if store { 2 } else { 1 };
    let request = parse_set_op(args, numkeys_at, op, store, false)?;
    let limits = limits(ctx);
    let (result, _) = run_set_op(ctx, &request, op, false)?;
    if store {
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        store_result(ctx, args.get(1), &result, limits, event);
        return Ok(());
    }
    reply_scored_len(ctx.reply, result.len(), request.with_scores);
    let nested = ctx.reply.is_resp3();
    for (member, score) in &result {
        reply_scored(ctx.reply, member, *score, request.with_scores, nested);
    }
    Ok(())
}

fn zunion(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_command(ctx, args, SetOp::Union, false)
}

fn zunionstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_command(ctx, args, SetOp::Union, true)
}

fn zinter(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_command(ctx, args, SetOp::Inter, false)
}

fn zinterstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_command(ctx, args, SetOp::Inter, true)
}

fn zdiff(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_command(ctx, args, SetOp::Diff, false)
}

fn zdiffstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_command(ctx, args, SetOp::Diff, true)
}

fn zintercard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let request = parse_set_op(args, 1, SetOp::Inter, false, true)?;
    let (_, cardinality) = run_set_op(ctx, &request, SetOp::Inter, true)?;
    ctx.reply.int(cardinality as i64);
    Ok(())
}

fn zscan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    scan_collection::<ZSet>(ctx, args, true, |zset, cursor, count, items| {
        zset.scan(cursor, count, |member, score| {
            items.push(member.to_vec());
            items.push(crate::util::format_double(score).into_bytes());
        })
    })
}

#[cfg(test)]
mod harness_tests {
    use crate::cmd::harness::Harness;

    #[test]
    fn zset_options_wrongtype_and_oom() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("ZADD z NX XX 1 a"),
            "-ERR XX and NX options at the same time are not compatible\r\n"
        );
        assert_eq!(
            h.run("ZADD z GT LT 1 a"),
            "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
        );
        assert_eq!(h.run("ZADD z nan a"), "-ERR value is not a valid float\r\n");
        assert_eq!(h.run("ZADD z 1 a 2 b"), ":2\r\n");
        assert_eq!(
            h.run("ZRANGE z 0 -1 BYLEX"),
            "-ERR min or max not valid string range item\r\n"
        );
        h.run("SET k v");
        assert_eq!(
            h.run("ZCARD k"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        let mut full = Harness::over_maxmemory();
        assert_eq!(
            full.run("ZADD z 1 a"),
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        );
    }

    #[test]
    fn sorted_set_writes_announce_their_events() {
        let mut h = Harness::new();
        let watcher = h.watch_events("zg");
        h.run("ZADD z 1 a 2 b 3 c 4 d 5 e 6 f");
        h.run("ZADD z 1 a");
        h.run("ZADD z INCR 1 a");
        h.run("ZINCRBY z 0 a");
        h.run("ZREM z nothere");
        h.run("ZREM z a");
        h.run("ZREMRANGEBYRANK z 0 0");
        h.run("ZREMRANGEBYSCORE z 3 3");
        h.run("ZREMRANGEBYLEX z [d [d");
        h.run("ZREMRANGEBYLEX z [x [y");
        h.run("ZUNIONSTORE u 1 z");
        h.run("ZINTERSTORE i 2 z missing");
        h.run("ZDIFFSTORE u 2 z z");
        h.run("ZRANGESTORE r z 0 0");
        h.run("ZPOPMIN z");
        h.run("ZMPOP 1 z MAX COUNT 5");
        assert_eq!(
            h.events(watcher),
            [
                "zadd z",
                "zincr z",
                "zrem z",
                "zremrangebyrank z",
                "zremrangebyscore z",
                "zremrangebylex z",
                "zunionstore u",
                "del u",
                "zrangestore r",
                "zpopmin z",
                "zpopmax z",
                "del z",
            ]
        );
        // A served BZPOPMIN pops after the ZADD that woke it.
        let waiter = h.connect();
        h.run_as(waiter, "BZPOPMIN q 0");
        h.run("ZADD q 1 a");
        assert_eq!(h.events(watcher), ["zadd q", "zpopmin q", "del q"]);
    }
}

#[cfg(test)]
mod propagation {
    use crate::cmd::keys::propagation_tests::{propagated, propagating, resp};

    #[test]
    fn blocking_and_multi_pops_propagate_as_zpop() {
        let mut h = propagating();
        h.run("ZADD z 1 a 2 b 3 c 4 d 5 e");
        propagated(&mut h);
        assert_eq!(
            h.run("BZPOPMIN missing z 0"),
            "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["ZPOPMIN", "z"]));
        assert_eq!(
            h.run("BZPOPMAX z 0"),
            "*3\r\n$1\r\nz\r\n$1\r\ne\r\n$1\r\n5\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["ZPOPMAX", "z"]));
        assert_eq!(
            h.run("BZMPOP 0 1 z MAX COUNT 1"),
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nd\r\n$1\r\n4\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["ZPOPMAX", "z", "1"]));
        assert_eq!(
            h.run("ZMPOP 2 missing z MIN COUNT 10"),
            "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["ZPOPMIN", "z", "2"]));
        // ZPOPMIN goes as sent; nothing popped propagates nothing.
        h.run("ZADD z 1 a");
        propagated(&mut h);
        assert_eq!(h.run("ZPOPMIN z 3"), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
        assert_eq!(propagated(&mut h), resp(&["ZPOPMIN", "z", "3"]));
        assert_eq!(h.run("ZMPOP 1 z MIN"), "*-1\r\n");
        assert_eq!(propagated(&mut h), "");
    }

    #[test]
    fn blocking_pops_served_later_propagate_as_zpop() {
        let mut h = propagating();
        let waiter = h.connect();
        assert_eq!(h.run_as(waiter, "BZPOPMAX z 0"), "");
        assert_eq!(propagated(&mut h), "");
        h.run("ZADD z 1 a 2 b");
        assert_eq!(
            propagated(&mut h),
            resp(&["ZADD", "z", "1", "a", "2", "b"]) + &resp(&["ZPOPMAX", "z"])
        );
        h.pushed(waiter);
        h.run("DEL z");
        propagated(&mut h);
        assert_eq!(h.run_as(waiter, "BZMPOP 0 1 z MIN COUNT 3"), "");
        h.run("ZADD z 1 a 2 b");
        assert_eq!(
            propagated(&mut h),
            resp(&["ZADD", "z", "1", "a", "2", "b"]) + &resp(&["ZPOPMIN", "z", "2"])
        );
    }
}
