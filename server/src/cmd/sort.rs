//! SORT and SORT_RO: the elements of a list, set or sorted set, ordered by their own value or
//! by keys named after them (`BY weight_*`, `BY obj_*->field`), with other keys fetched
//! alongside (`GET`), a window (`LIMIT`), and the result stored as a list (`STORE`).
//!
//! The rules are Redis's, including the ones an application can observe: options are parsed
//! before the key is looked up; `BY` without `*` skips sorting (native order, but a set being
//! stored is sorted as strings so the result is deterministic); a missing weight counts as 0
//! (or sorts first with `ALPHA`); equal numeric weights fall back to the elements' bytes; a
//! weight that is not a number fails the whole command only after every weight was read.

use std::cmp::Ordering;

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::config::notify::{GENERIC, LIST};
use crate::db::{Keyspace, Lookup};
use crate::types::{End, List, Object, ObjectView};
use crate::util::pqsort::partial_sort;
use crate::util::strtod;

const SYNTAX: &str =
    "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]";
const COMPLEXITY: &str = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";

pub static COMMANDS: &[Command] = &[
    Command::new("sort", -2, WRITE | DENYOOM, Group::Generic, sort)
        .doc("1.0.0", "Sort the elements in a list, set or sorted set", COMPLEXITY)
        .syntax("key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]"),
    Command::new("sort_ro", -2, READONLY, Group::Generic, sort_ro)
        .doc("7.0.0", "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", COMPLEXITY)
        .syntax(SYNTAX),
];

const NOT_DOUBLE: CmdError = CmdError::new("ERR One or more scores can't be converted into double");

/// The options of one SORT call.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    /// `BY` a pattern without `*`: every weight would be the same, so nothing is sorted.
    dont_sort: bool,
    gets: Vec<&'a [u8]>,
}

fn parse<'a>(args: &Args<'a>, readonly: bool) -> Result<Options<'a>, CmdError> {
    let mut options = Options {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dont_sort: false,
        gets: Vec::new(),
    };
    let mut i = 2;
    while i < args.len() {
        let left = args.len() - i - 1;
        if args.is(i, "ASC") {
            options.desc = false;
        } else if args.is(i, "DESC") {
            options.desc = true;
        } else if args.is(i, "ALPHA") {
            options.alpha = true;
        } else if args.is(i, "LIMIT") && left >= 2 {
            options.limit_start = args.i64(i + 1)?;
            options.limit_count = args.i64(i + 2)?;
            i += 2;
        } else if !readonly && args.is(i, "STORE") && left >= 1 {
            options.store = Some(args.get(i + 1));
            i += 1;
        } else if args.is(i, "BY") && left >= 1 {
            let pattern = args.get(i + 1);
            options.by = Some(pattern);
            options.dont_sort = !c_string(pattern).contains(&b'*');
            i += 1;
        } else if args.is(i, "GET") && left >= 1 {
            options.gets.push(args.get(i + 1));
            i += 1;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 1;
    }
    Ok(options)
}

/// One element being sorted, with its weight.
struct Item {
    element: Vec<u8>,
    score: f64,
    /// The `ALPHA` weight read through `BY`; `None` when the key is missing.
    weight: Option<Vec<u8>>,
}

impl Item {
    fn new(element: Vec<u8>) -> Item {
        Item {
            element,
            score: 0.0,
            weight: None,
        }
    }
}

fn sort(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sort_generic(ctx, args, true)
}

fn sort_generic(ctx: &mut Ctx, args: &Args, readonly: bool) -> CmdResult {
    let mut options = parse(args, readonly)?;
    let db = ctx.client.db;
    let keyspace = &mut ctx.server.keyspace;
    let source = match keyspace.lookup(db, args.get(1), Lookup::Read) {
        Some(slot) => Some(keyspace.object(db, slot).ok_or(errors::WRONG_TYPE)?),
        None => None,
    };
    let is_set = matches!(source, Some(ObjectView::Set(_)));
    if options.dont_sort && is_set && (options.store.is_some() || ctx.client.script) {
        // A set has no order of its own: what is stored, or given to a script, must not
        // depend on its layout.
        options.dont_sort = false;
        options.alpha = true;
        options.by = None;
    }
    let len = source.map_or(0, |object| object.len()) as i64;

    // The window, clamped as Redis clamps it.
    let mut start = options.limit_start.clamp(0, len);
    let count = options.limit_count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);

    let mut items: Vec<Item> = Vec::new();
    match source {
        Some(ObjectView::List(list)) if options.dont_sort => {
            let take = (end - start + 1).max(0) as usize;
            let skip = start.max(0) as usize;
            let elements: Box<dyn Iterator<Item = &[u8]>> = if options.desc {
                Box::new(list.iter_rev().skip(skip))
            } else {
                Box::new(list.iter_from(skip))
            };
            items.extend(elements.take(take).map(|e| Item::new(e.to_vec())));
            end -= start;
            start = 0;
        }
        Some(ObjectView::ZSet(zset)) if options.dont_sort => {
            let take = if start != 0 || end != len - 1 {
                (end - start + 1).max(0) as usize
            } else {
                len as usize
            };
            let (rank, forward) = if options.desc {
                ((len - 1 - start).max(0) as usize, false)
            } else {
                (start.max(0) as usize, true)
            };
            if take > 0 {
                items.extend(
                    zset.iter_from(rank, forward)
                        .take(take)
                        .map(|(member, _)| Item::new(member.to_vec())),
                );
            }
            end -= start;
            start = 0;
        }
        Some(ObjectView::List(list)) => items.extend(list.iter().map(|e| Item::new(e.to_vec()))),
        Some(ObjectView::Set(set)) => items.extend(set.iter().map(|e| Item::new(e.to_vec()))),
        Some(ObjectView::ZSet(zset)) => {
            items.extend(zset.iter_from(0, true).map(|(m, _)| Item::new(m.to_vec())))
        }
        Some(ObjectView::Hash(_)) => return Err(errors::WRONG_TYPE),
        None => {}
    }

    if !options.dont_sort {
        let mut not_a_number = false;
        for item in &mut items {
            let weight = match options.by {
                Some(pattern) => match lookup_by_pattern(keyspace, db, pattern, &item.element) {
                    Some(value) => value,
                    None => continue,
                },
                None => item.element.clone(),
            };
            if options.alpha {
                if options.by.is_some() {
                    item.weight = Some(weight);
                }
            } else {
                match strtod::sort_score(&weight) {
                    Some(score) => item.score = score,
                    None => not_a_number = true,
                }
            }
        }
        if not_a_number {
            return Err(NOT_DOUBLE);
        }
        let by_pattern = options.by.is_some();
        let storing = options.store.is_some();
        let alpha = options.alpha;
        let desc = options.desc;
        let order = |a: &Item, b: &Item| {
            let order = compare(a, b, alpha, by_pattern, storing);
            if desc { order.reverse() } else { order }
        };
        let len = items.len();
        if by_pattern && end >= start && (start != 0 || end as usize != len - 1) {
            // Redis sorts only the window then, and equal `ALPHA` weights end where its
            // partial quicksort leaves them.
            let order_as_c = |a: &Item, b: &Item| order(a, b) as i32;
            partial_sort(
                &mut items,
                &order_as_c,
                start as usize,
                end as usize,
                0,
                len,
            );
        } else {
            // glibc's qsort is a merge sort: equal elements keep their order, as here.
            items.sort_by(order);
        }
    }

    let window = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    let output_len = window.len() * options.gets.len().max(1);
    let Some(destination) = options.store else {
        ctx.reply.array(output_len);
        for item in window {
            if options.gets.is_empty() {
                ctx.reply.bulk(&item.element);
            }
            for pattern in &options.gets {
                match lookup_by_pattern(keyspace, db, pattern, &item.element) {
                    Some(value) => ctx.reply.bulk(&value),
                    None => ctx.reply.null(),
                }
            }
        }
        return Ok(());
    };

    let limit = ctx.server.list_limit();
    let keyspace = &mut ctx.server.keyspace;
    let mut list = List::default();
    for item in window {
        if options.gets.is_empty() {
            list.push(End::Tail, &item.element, limit)?;
        }
        for pattern in &options.gets {
            let value = lookup_by_pattern(keyspace, db, pattern, &item.element);
            list.push(End::Tail, value.as_deref().unwrap_or_default(), limit)?;
        }
    }
    if output_len > 0 {
        keyspace.set_object(db, destination, Object::List(list));
        // Redis counts one change per stored element; storing counted one.
        keyspace.stats.dirty += output_len as u64 - 1;
        keyspace.notify(LIST, "sortstore", db, destination);
    } else if keyspace.delete(db, destination) {
        keyspace.notify(GENERIC, "del", db, destination);
    }
    ctx.reply.int(output_len as i64);
    Ok(())
}

/// Redis's order of two items (before `DESC` reverses it).
fn compare(a: &Item, b: &Item, alpha: bool, by_pattern: bool, storing: bool) -> Ordering {
    if !alpha {
        return a
            .score
            .partial_cmp(&b.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.element.cmp(&b.element));
    }
    let (left, right) = if by_pattern {
        match (&a.weight, &b.weight) {
            (Some(left), Some(right)) => (left, right),
            // A missing weight sorts first; two missing ones are equal.
            (left, right) => return left.is_some().cmp(&right.is_some()),
        }
    } else {
        (&a.element, &b.element)
    };
    if storing {
        // Stored results must not depend on the locale: plain byte order.
        left.cmp(right)
    } else {
        // Redis collates with `strcoll`, which reads C strings; in the C locale that is
        // byte order up to the first NUL.
        c_string(left).cmp(c_string(right))
    }
}

/// The bytes before the first NUL: what C string functions see of a value.
fn c_string(bytes: &[u8]) -> &[u8] {
    bytes.split(|b| *b == 0).next().unwrap_or_default()
}

/// The value a `BY` or `GET` pattern names for `element`: the element itself for `#`; else
/// the string at the key made by replacing the pattern's first `*` with the element, or with
/// `->field` after the `*`, that field of the hash at that key. `None` when the pattern has no
/// `*`, the key is missing or holds another type, or the field is missing.
fn lookup_by_pattern(
    keyspace: &mut Keyspace,
    db: usize,
    pattern: &[u8],
    element: &[u8],
) -> Option<Vec<u8>> {
    let visible = c_string(pattern);
    if visible == b"#" {
        return Some(element.to_vec());
    }
    let star = visible.iter().position(|&b| b == b'*')?;
    let field_at = visible[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|at| star + 1 + at + 2)
        .filter(|&at| at < visible.len());
    let key_end = field_at.map_or(pattern.len(), |at| at - 2);
    let mut key = Vec::with_capacity(key_end - 1 + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(&pattern[star + 1..key_end]);

    let slot = keyspace.lookup(db, &key, Lookup::Read)?;
    match field_at {
        Some(at) => match keyspace.object(db, slot)? {
            ObjectView::Hash(hash) => hash.get(&pattern[at..]).map(<[u8]>::to_vec),
            _ => None,
        },
        None => {
            let mut buf = itoa::Buffer::new();
            crate::db::string_value(keyspace.record(db, slot), &mut buf).map(<[u8]>::to_vec)
        }
    }
}

/// The keys of a SORT or SORT_RO command line for `COMMAND GETKEYS`, as Redis's own rule finds
/// them (the key specifications cannot: `STORE` may come anywhere): the sorted key, and for
/// SORT the last `STORE` destination. Each with whether it is the destination.
pub fn sort_keys(args: &[&[u8]], readonly: bool) -> Vec<(usize, bool)> {
    let mut keys = vec![(1, false)];
    if readonly {
        return keys;
    }
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let word = args[i];
        if word.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if word.eq_ignore_ascii_case(b"store") && i + 1 < args.len() {
            // Redis does not step over the destination: it is read as an option next.
            store = Some(i + 1);
        } else if word.eq_ignore_ascii_case(b"get") || word.eq_ignore_ascii_case(b"by") {
            i += 1;
        }
        i += 1;
    }
    keys.extend(store.map(|at| (at, true)));
    keys
}

#[cfg(test)]
mod tests {
    use super::sort_keys;
    use crate::cmd::harness::Harness;

    #[test]
    fn numeric_alpha_desc_and_limit() {
        let mut h = Harness::new();
        h.run("RPUSH l 3 10 1 2 2.5");
        assert_eq!(
            h.run("SORT l"),
            "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$3\r\n2.5\r\n$1\r\n3\r\n$2\r\n10\r\n"
        );
        assert_eq!(
            h.run("SORT l ALPHA DESC LIMIT 1 2"),
            "*2\r\n$3\r\n2.5\r\n$1\r\n2\r\n"
        );
        assert_eq!(h.run("SORT l LIMIT 4 100"), "*1\r\n$2\r\n10\r\n");
        assert_eq!(h.run("SORT l LIMIT 5 1"), "*0\r\n");
        assert_eq!(h.run("SORT l LIMIT -3 1"), "*1\r\n$1\r\n1\r\n");
        h.run("RPUSH bad 1 x");
        assert_eq!(
            h.run("SORT bad"),
            "-ERR One or more scores can't be converted into double\r\n"
        );
        h.run("RPUSH huge 1 1e400");
        assert_eq!(
            h.run("SORT huge"),
            "-ERR One or more scores can't be converted into double\r\n"
        );
        assert_eq!(h.run("SORT nokey"), "*0\r\n");
        h.run("SET s v");
        assert_eq!(
            h.run("SORT s"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        // Options are read before the key's type is checked.
        assert_eq!(
            h.run("SORT s LIMIT 0 x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(h.run("SORT l FOO"), "-ERR syntax error\r\n");
        assert_eq!(h.run("SORT_RO l STORE d"), "-ERR syntax error\r\n");
    }

    #[test]
    fn equal_scores_fall_back_to_the_elements() {
        let mut h = Harness::new();
        h.run("RPUSH l b a c");
        h.run("MSET w_a 1 w_b 1 w_c 0");
        assert_eq!(
            h.run("SORT l BY w_*"),
            "*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            h.run("SORT l BY w_* DESC"),
            "*3\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n"
        );
        // A missing weight is 0.
        h.run("DEL w_c");
        h.run("SET w_a -1");
        assert_eq!(
            h.run("SORT l BY w_*"),
            "*3\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nb\r\n"
        );
    }

    #[test]
    fn by_and_get_read_strings_and_hash_fields() {
        let mut h = Harness::new();
        h.run("RPUSH l 1 2 3");
        h.run("HSET h_1 f 30 name one");
        h.run("HSET h_2 f 10 name two");
        h.run("HSET h_3 f 20");
        assert_eq!(
            h.run("SORT l BY h_*->f GET # GET h_*->name"),
            "*6\r\n$1\r\n2\r\n$3\r\ntwo\r\n$1\r\n3\r\n$-1\r\n$1\r\n1\r\n$3\r\none\r\n"
        );
        // `->` with nothing after it is part of the key name.
        h.run("SET k_1-> 5");
        assert_eq!(h.run("SORT l LIMIT 0 1 GET k_*->"), "*1\r\n$1\r\n5\r\n");
        // No `*`: nothing is sorted and GET finds nothing.
        assert_eq!(
            h.run("SORT l BY nosort GET nostar"),
            "*3\r\n$-1\r\n$-1\r\n$-1\r\n"
        );
    }

    #[test]
    fn nosort_keeps_native_order_within_the_window() {
        let mut h = Harness::new();
        h.run("RPUSH l 5 1 4 2 3");
        assert_eq!(
            h.run("SORT l BY nosort LIMIT 1 2"),
            "*2\r\n$1\r\n1\r\n$1\r\n4\r\n"
        );
        assert_eq!(
            h.run("SORT l BY nosort DESC LIMIT 1 2"),
            "*2\r\n$1\r\n2\r\n$1\r\n4\r\n"
        );
        h.run("ZADD z 1 a 2 b 3 c 4 d");
        assert_eq!(
            h.run("SORT z BY nosort DESC LIMIT 1 2"),
            "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            h.run("SORT z BY nosort"),
            "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
        );
        // A set stored BY nosort is sorted as strings.
        h.run("SADD s c a b");
        assert_eq!(h.run("SORT s BY nosort STORE d"), ":3\r\n");
        assert_eq!(
            h.run("LRANGE d 0 -1"),
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
    }

    #[test]
    fn store_writes_a_list_counts_changes_and_deletes_when_empty() {
        let mut h = Harness::new();
        h.run("RPUSH l 2 1");
        h.run("SET d old");
        h.run("EXPIRE d 100");
        let before = h.dirty();
        assert_eq!(h.run("SORT l GET # GET missing_* STORE d"), ":4\r\n");
        assert_eq!(h.dirty(), before + 4);
        assert_eq!(
            h.run("LRANGE d 0 -1"),
            "*4\r\n$1\r\n1\r\n$0\r\n\r\n$1\r\n2\r\n$0\r\n\r\n"
        );
        assert_eq!(h.run("TTL d"), ":-1\r\n");
        assert_eq!(h.run("SORT nokey STORE d"), ":0\r\n");
        assert_eq!(h.run("EXISTS d"), ":0\r\n");
        assert_eq!(h.dirty(), before + 5);
    }

    #[test]
    fn getkeys_follows_redis() {
        let args: Vec<&[u8]> = vec![
            b"sort", b"k", b"LIMIT", b"store", b"x", b"STORE", b"d1", b"GET", b"store", b"STORE",
            b"d2",
        ];
        assert_eq!(sort_keys(&args, false), vec![(1, false), (10, true)]);
        assert_eq!(sort_keys(&args, true), vec![(1, false)]);
        assert_eq!(
            sort_keys(&[b"sort", b"k", b"store"], false),
            vec![(1, false)]
        );
    }

    #[test]
    fn sort_store_announces_sortstore_or_del() {
        let mut h = Harness::new();
        h.run("RPUSH l 3 1 2");
        let watcher = h.watch_events("lgn");
        h.run("SORT l STORE d");
        h.run("SORT l STORE d");
        h.run("SORT missing STORE d");
        h.run("SORT missing STORE d");
        assert_eq!(
            h.events(watcher),
            ["new d", "sortstore d", "sortstore d", "del d"]
        );
    }
}
