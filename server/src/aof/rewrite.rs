//! The command form of an append-only file's base: the dataset written as the commands that
//! rebuild it, as Redis 7.0.15 writes a base file when `aof-use-rdb-preamble` is off
//! (`rewriteAppendOnlyFileRio`). A rewrite replaces the history of every change with this
//! shortest replay, so the AOF stops growing without bound.
//!
//! Each non-empty database starts with `SELECT <db>`; a string is `SET key value`; a
//! collection is `RPUSH`, `SADD`, `ZADD score member …` or `HMSET key field value …`, at most
//! [`ITEMS_PER_CMD`] elements a command so the loader never meets a huge argument vector; a key
//! with an expire time is followed by `PEXPIREAT key <unix ms>`. Every command is a RESP array
//! of bulk strings. Like Redis, keys whose time has passed but that are still present are
//! written with their (past) expire time: the loader keeps them and they expire afterwards.
//!
//! Two ways in, one encoding of a key: [`write_commands`] walks a whole keyspace at once (a
//! blocking rewrite), and [`CommandSink`] takes the keys of a keyspace snapshot
//! (`db::snapshot`) one by one while clients keep running. The snapshot hands over keys in
//! walk order interleaved with keys written just before a command changes them, possibly
//! from another database, so the sink writes a `SELECT` whenever the database changes, which
//! the loader accepts anywhere. Before the databases come the optional `#TS:` annotation
//! ([`write_timestamp`]) and one `FUNCTION LOAD` per function library ([`write_functions`]).

use std::any::Any;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::db::Keyspace;
use crate::db::snapshot::{AccessClock, KeySink};
use crate::store::record::{Record, Value};
use crate::types::set::Elem;
use crate::types::{ObjectView, Objects};
use crate::util::format_double;

/// Elements of a collection per command (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
pub const ITEMS_PER_CMD: usize = 64;

/// The output buffer in front of the file.
const FILE_BUFFER: usize = 1 << 20;

/// Writes the `#TS:<unix seconds>` annotation Redis puts first in a rewritten file when
/// `aof-timestamp-enabled` is on; call it before [`write_commands`] or [`CommandSink::start`].
pub fn write_timestamp(out: &mut impl Write, unix_secs: u64) -> io::Result<()> {
    let mut int = itoa::Buffer::new();
    out.write_all(b"#TS:")?;
    out.write_all(int.format(unix_secs).as_bytes())?;
    out.write_all(b"\r\n")
}

/// Writes one `FUNCTION LOAD <code>` per function library (`rewriteFunctions`); call it
/// after [`write_timestamp`] and before the keys.
pub fn write_functions(out: &mut impl Write, libraries: &[&[u8]]) -> io::Result<()> {
    let mut command = Vec::new();
    for code in libraries {
        command.clear();
        crate::db::propagate::encode_command(
            &mut command,
            [b"FUNCTION".as_slice(), b"LOAD", code].into_iter(),
        );
        out.write_all(&command)?;
    }
    Ok(())
}

/// Writes every database of `keyspace` to `out` as commands, in one pass: the blocking
/// rewrite. The output is buffered here; `out` is flushed before returning.
pub fn write_commands(keyspace: &Keyspace, out: &mut impl Write) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(FILE_BUFFER, out);
    let mut batch: Vec<&Record> = Vec::new();
    for (index, db) in keyspace.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        write_select(&mut w, index)?;
        // A batch of records at a time, prefetched before any is written, as the RDB save
        // walks: otherwise each key is a cache miss.
        let mut cursor = 0;
        loop {
            batch.clear();
            cursor = db.table.scan(cursor, 256, |record| batch.push(record));
            batch.iter().for_each(|record| record.prefetch());
            for record in &batch {
                write_key(&mut w, record, &db.objects)?;
            }
            if cursor == 0 {
                break;
            }
        }
    }
    w.flush()
}

/// Writes a snapshot's keys to a file as commands (see the module documentation). Encoding
/// and writing happen on the calling thread, through a 1 MiB buffer.
pub struct CommandSink {
    out: BufWriter<File>,
    /// The database of the last `SELECT` written.
    db: Option<usize>,
    /// The first write error; later keys are skipped.
    error: Option<io::Error>,
}

impl CommandSink {
    /// A sink writing to `file` from its current position.
    pub fn start(file: File) -> io::Result<CommandSink> {
        Ok(CommandSink {
            out: BufWriter::with_capacity(FILE_BUFFER, file),
            db: None,
            error: None,
        })
    }

    /// Writes out what is buffered and returns the file, to be synced and renamed by the
    /// caller; or the first error met while writing, in which case the file is incomplete.
    pub fn finish(self) -> io::Result<File> {
        if let Some(error) = self.error {
            // What is still buffered is dropped, not written after the error.
            drop(self.out.into_parts());
            return Err(error);
        }
        self.out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
    }

    fn write(&mut self, db: usize, record: &Record, objects: &Objects) -> io::Result<()> {
        if self.db != Some(db) {
            write_select(&mut self.out, db)?;
            self.db = Some(db);
        }
        write_key(&mut self.out, record, objects)
    }
}

impl KeySink for CommandSink {
    fn save(&mut self, db: usize, record: &Record, objects: &Objects, _clock: AccessClock) {
        if self.error.is_some() {
            return;
        }
        if let Err(error) = self.write(db, record, objects) {
            self.error = Some(error);
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `SELECT <db>`.
fn write_select<W: Write>(w: &mut W, db: usize) -> io::Result<()> {
    let mut int = itoa::Buffer::new();
    write_command(w, &[b"SELECT", int.format(db).as_bytes()])
}

/// The commands that rebuild one key: its value, then its expire time if it has one.
fn write_key<W: Write>(w: &mut W, record: &Record, objects: &Objects) -> io::Result<()> {
    let key = record.key();
    let mut int = itoa::Buffer::new();
    match record.value() {
        Value::Str(bytes) => write_command(w, &[b"SET", key, bytes])?,
        Value::Int(v) => write_command(w, &[b"SET", key, int.format(v).as_bytes()])?,
        Value::Object(at) => write_collection(w, key, objects.get(at))?,
    }
    if let Some((when, _)) = record.expire() {
        write_command(w, &[b"PEXPIREAT", key, int.format(when).as_bytes()])?;
    }
    Ok(())
}

/// A collection as variadic commands, in the order Redis's encodings give: lists from the
/// head, intsets ascending, sorted sets by ascending score (a skiplist-encoded one comes from
/// Redis's dict in no particular order; any order rebuilds the same set).
fn write_collection<W: Write>(w: &mut W, key: &[u8], value: ObjectView) -> io::Result<()> {
    match value {
        ObjectView::List(list) => {
            let mut batches = Batches::new(b"RPUSH", key, list.len(), 1);
            for item in list.iter() {
                batches.item(w)?;
                write_bulk(w, item)?;
            }
            batches.end()
        }
        ObjectView::Set(set) => {
            let mut batches = Batches::new(b"SADD", key, set.len(), 1);
            let mut int = itoa::Buffer::new();
            for member in set.iter() {
                batches.item(w)?;
                match member {
                    Elem::Int(v) => write_bulk(w, int.format(v).as_bytes())?,
                    Elem::Bytes(bytes) => write_bulk(w, bytes)?,
                }
            }
            batches.end()
        }
        ObjectView::ZSet(zset) => {
            let mut batches = Batches::new(b"ZADD", key, zset.len(), 2);
            let mut int = itoa::Buffer::new();
            for (member, score) in zset.iter_from(0, true) {
                batches.item(w)?;
                match whole_score(score) {
                    Some(v) => write_bulk(w, int.format(v).as_bytes())?,
                    None => write_bulk(w, format_double(score).as_bytes())?,
                }
                write_bulk(w, member)?;
            }
            batches.end()
        }
        ObjectView::Hash(hash) => {
            let mut batches = Batches::new(b"HMSET", key, hash.len(), 2);
            for (field, value) in hash.iter() {
                batches.item(w)?;
                write_bulk(w, field)?;
                write_bulk(w, value)?;
            }
            batches.end()
        }
    }
}

/// A score `%.17g` prints as a plain integer, as that integer: whole, below 10^17 in
/// magnitude (17 significant digits hold it exactly, without an exponent), and not -0 (which
/// prints as `-0`). Spares the general formatting for the common whole scores.
fn whole_score(score: f64) -> Option<i64> {
    const LIMIT: f64 = 1e17;
    let whole = score.fract() == 0.0 && score.abs() < LIMIT;
    (whole && !(score == 0.0 && score.is_sign_negative())).then_some(score as i64)
}

/// One collection's elements cut into commands `NAME key e1 … e64`, `NAME key e65 …`: each
/// command's argument count is known before its first element is written.
struct Batches<'a> {
    name: &'static [u8],
    key: &'a [u8],
    /// Arguments per element (2 for score and member, field and value).
    args_per_item: usize,
    /// Elements not yet written.
    left: usize,
    /// Elements written in the current command.
    in_command: usize,
}

impl<'a> Batches<'a> {
    fn new(name: &'static [u8], key: &'a [u8], items: usize, args_per_item: usize) -> Self {
        Batches {
            name,
            key,
            args_per_item,
            left: items,
            in_command: 0,
        }
    }

    /// Called before each element's arguments: starts a command when the last one is full.
    fn item<W: Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.left == 0 {
            return Err(length_mismatch());
        }
        if self.in_command == 0 {
            let items = self.left.min(ITEMS_PER_CMD);
            write_count(w, b'*', 2 + items * self.args_per_item)?;
            write_bulk(w, self.name)?;
            write_bulk(w, self.key)?;
        }
        self.left -= 1;
        self.in_command = (self.in_command + 1) % ITEMS_PER_CMD;
        Ok(())
    }

    /// Checks that the collection had as many elements as its length said: a command whose
    /// announced arguments are missing would make the rest of the file unreadable.
    fn end(self) -> io::Result<()> {
        if self.left == 0 {
            Ok(())
        } else {
            Err(length_mismatch())
        }
    }
}

fn length_mismatch() -> io::Error {
    io::Error::other("a collection's elements disagree with its length")
}

/// A command with all its arguments at hand.
fn write_command<W: Write>(w: &mut W, argv: &[&[u8]]) -> io::Result<()> {
    write_count(w, b'*', argv.len())?;
    argv.iter().try_for_each(|arg| write_bulk(w, arg))
}

/// `$<len>\r\n<bytes>\r\n`.
fn write_bulk<W: Write>(w: &mut W, bytes: &[u8]) -> io::Result<()> {
    write_count(w, b'$', bytes.len())?;
    w.write_all(bytes)?;
    w.write_all(b"\r\n")
}

/// `<prefix><n>\r\n` in one write.
fn write_count<W: Write>(w: &mut W, prefix: u8, n: usize) -> io::Result<()> {
    let mut int = itoa::Buffer::new();
    let digits = int.format(n).as_bytes();
    let mut line = [0u8; 24];
    line[0] = prefix;
    line[1..1 + digits.len()].copy_from_slice(digits);
    line[1 + digits.len()..3 + digits.len()].copy_from_slice(b"\r\n");
    w.write_all(&line[..3 + digits.len()])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::{Read, Write as _};
    use std::net::TcpStream;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::db::Ttl;
    use crate::types::Object;
    use crate::types::hash::{Hash, HashLimits};
    use crate::types::list::{End, List, ListLimit};
    use crate::types::set::{Set, SetLimits};
    use crate::types::zset::{ZSet, ZSetLimits};

    type Argv = Vec<Vec<u8>>;

    const SET_LIMITS: SetLimits = SetLimits {
        intset_entries: 512,
        listpack_entries: 128,
        listpack_value: 64,
    };
    const ZSET_LIMITS: ZSetLimits = ZSetLimits {
        entries: 128,
        value: 64,
    };
    const HASH_LIMITS: HashLimits = HashLimits {
        entries: 128,
        value: 64,
    };
    /// 2100-01-01 plus 123 ms: far enough ahead for a real server not to expire the key.
    const WHEN: u64 = 4_102_444_800_123;

    fn list_items() -> Vec<Vec<u8>> {
        (0..150)
            .map(|i| {
                if i % 5 == 0 {
                    (i * 1000).to_string().into_bytes()
                } else {
                    format!("item-{i:03}-{}", "x".repeat(60)).into_bytes()
                }
            })
            .collect()
    }

    /// Intset members, ascending as the intset holds them.
    fn int_members() -> Vec<i64> {
        let mut all: Vec<i64> = (0..97).map(|i| i * 7 - 300).collect();
        all.extend([1 << 40, -(1 << 40), i64::MAX]);
        all.sort_unstable();
        all
    }

    /// The small sorted set's members with the score text `%.17g` gives each.
    fn scored() -> Vec<(&'static str, f64, &'static str)> {
        vec![
            ("a", 1.5, "1.5"),
            ("b", 0.1, "0.10000000000000001"),
            ("c", 3.0, "3"),
            ("d", -2.0, "-2"),
            ("e", f64::INFINITY, "inf"),
            ("f", f64::NEG_INFINITY, "-inf"),
            ("g", 1e20, "1e+20"),
            ("h", 0.00001, "1.0000000000000001e-05"),
            ("i", 1e16, "10000000000000000"),
            ("j", 123456789.25, "123456789.25"),
        ]
    }

    fn hash_fields() -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..100)
            .map(|i| {
                let value = if i == 50 {
                    vec![b'v'; 100]
                } else {
                    i.to_string().into_bytes()
                };
                (format!("f{i}").into_bytes(), value)
            })
            .collect()
    }

    /// Every type and encoding, a key with a TTL, and two databases (0 and 3).
    fn dataset() -> Keyspace {
        let mut ks = Keyspace::new(16);
        ks.set(0, b"str", Value::Str(b"hello world"), Ttl::Clear)
            .unwrap();
        ks.set(0, b"int", Value::Int(-12345), Ttl::Clear).unwrap();
        ks.set(0, b"empty", Value::Str(b""), Ttl::Clear).unwrap();
        ks.set(0, b"ttl", Value::Str(b"v"), Ttl::At(WHEN)).unwrap();

        let limit = ListLimit::new(-2);
        let mut list = List::default();
        for item in list_items() {
            list.push(End::Tail, &item, limit).unwrap();
        }
        assert!(list.chunks().len() > 1, "a list of several chunks");
        ks.add_object(0, b"list", Object::List(list));

        let mut short = List::default();
        short.push(End::Tail, b"only", limit).unwrap();
        let slot = ks.add_object(0, b"short", Object::List(short));
        ks.set_expire(0, slot, WHEN + 1).unwrap();

        let mut ints = Set::for_members(b"1", 100, SET_LIMITS);
        for v in int_members() {
            ints.add(v.to_string().as_bytes(), SET_LIMITS).unwrap();
        }
        assert_eq!(ints.encoding(), "intset");
        ks.add_object(0, b"ints", Object::Set(ints));

        let mut words = Set::for_members(b"m0", 200, SET_LIMITS);
        for i in 0..200 {
            words.add(format!("m{i}").as_bytes(), SET_LIMITS).unwrap();
        }
        assert_eq!(words.encoding(), "hashtable");
        ks.add_object(0, b"words", Object::Set(words));

        let mut small = Set::for_members(b"x", 3, SET_LIMITS);
        for member in [&b"x"[..], b"y", b"12"] {
            small.add(member, SET_LIMITS).unwrap();
        }
        ks.add_object(0, b"small", Object::Set(small));

        let mut members: Vec<(Vec<u8>, f64)> = scored()
            .iter()
            .map(|(m, s, _)| (m.as_bytes().to_vec(), *s))
            .collect();
        members.extend((0..70).map(|i| (format!("z{i}").into_bytes(), f64::from(i))));
        let zset = ZSet::from_members(&members, ZSET_LIMITS);
        assert_eq!(zset.encoding(), "listpack");
        ks.add_object(0, b"zset", Object::ZSet(zset));

        let members: Vec<(Vec<u8>, f64)> = (0..200)
            .map(|i| (format!("t{i}").into_bytes(), f64::from(i) * 0.25 - 10.0))
            .collect();
        let tree = ZSet::from_members(&members, ZSET_LIMITS);
        assert_eq!(tree.encoding(), "skiplist");
        ks.add_object(0, b"tree", Object::ZSet(tree));

        let mut hash = Hash::default();
        for (field, value) in hash_fields() {
            hash.set(&field, &value, HASH_LIMITS).unwrap();
        }
        assert!(!hash.is_packed());
        ks.add_object(0, b"hash", Object::Hash(hash));

        let mut packed = Hash::default();
        packed.set(b"name", b"zedis", HASH_LIMITS).unwrap();
        packed.set(b"port", b"6380", HASH_LIMITS).unwrap();
        ks.add_object(3, b"packed", Object::Hash(packed));
        ks.set(3, b"other", Value::Str(b"x"), Ttl::Clear).unwrap();
        ks
    }

    /// Splits RESP arrays of bulk strings, insisting on exact framing. `#` lines are skipped,
    /// as the loader skips them.
    fn parse(mut bytes: &[u8]) -> Vec<Argv> {
        fn line<'a>(bytes: &mut &'a [u8]) -> &'a [u8] {
            let end = bytes
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("a CRLF-terminated line");
            let line = &bytes[..end];
            *bytes = &bytes[end + 2..];
            line
        }
        fn count(line: &[u8], prefix: u8) -> usize {
            assert_eq!(line[0], prefix, "{:?}", String::from_utf8_lossy(line));
            std::str::from_utf8(&line[1..]).unwrap().parse().unwrap()
        }
        let mut commands = Vec::new();
        while !bytes.is_empty() {
            if bytes[0] == b'#' {
                line(&mut bytes);
                continue;
            }
            let argc = count(line(&mut bytes), b'*');
            let mut argv = Vec::with_capacity(argc);
            for _ in 0..argc {
                let len = count(line(&mut bytes), b'$');
                argv.push(bytes[..len].to_vec());
                assert_eq!(&bytes[len..len + 2], b"\r\n");
                bytes = &bytes[len + 2..];
            }
            commands.push(argv);
        }
        commands
    }

    fn argv(args: &[&[u8]]) -> Argv {
        args.iter().map(|a| a.to_vec()).collect()
    }

    /// The commands of each key by database: keys' commands must not interleave, and each
    /// database's keys must follow its one `SELECT`.
    fn group(commands: &[Argv]) -> BTreeMap<usize, BTreeMap<Vec<u8>, Vec<Argv>>> {
        let mut dbs: BTreeMap<usize, BTreeMap<Vec<u8>, Vec<Argv>>> = BTreeMap::new();
        let mut db = None;
        let mut last: Option<Vec<u8>> = None;
        for command in commands {
            if command[0] == b"SELECT" {
                assert_eq!(command.len(), 2);
                let index: usize = std::str::from_utf8(&command[1]).unwrap().parse().unwrap();
                assert!(!dbs.contains_key(&index), "a second SELECT {index}");
                db = Some(index);
                last = None;
                continue;
            }
            let db = db.expect("a SELECT before the first key");
            let key = command[1].clone();
            let keys = dbs.entry(db).or_default();
            if last.as_ref() != Some(&key) {
                assert!(!keys.contains_key(&key), "commands of {key:?} interleaved");
            }
            keys.entry(key.clone()).or_default().push(command.clone());
            last = Some(key);
        }
        dbs
    }

    /// A collection's elements from its commands, checking the name, the key and the cut: as
    /// many elements as fit in each command, the last command holding the rest.
    fn elements(commands: &[Argv], name: &[u8], key: &[u8], per_item: usize) -> Vec<Argv> {
        let total: usize = commands.iter().map(|c| (c.len() - 2) / per_item).sum();
        let mut left = total;
        let mut all = Vec::new();
        for command in commands {
            assert_eq!(command[0], name);
            assert_eq!(command[1], key);
            assert_eq!((command.len() - 2) % per_item, 0);
            let items = (command.len() - 2) / per_item;
            assert_eq!(items, left.min(ITEMS_PER_CMD), "batch sizes of {key:?}");
            left -= items;
            all.extend(command[2..].chunks(per_item).map(|c| c.to_vec()));
        }
        all
    }

    fn write(ks: &Keyspace) -> Vec<u8> {
        let mut out = Vec::new();
        write_commands(ks, &mut out).unwrap();
        out
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("zedis-aof-rewrite-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn every_type_becomes_the_commands_redis_writes() {
        let ks = dataset();
        let out = write(&ks);
        let commands = parse(&out);
        // SELECT first, then exactly one per non-empty database, in order.
        assert_eq!(commands[0], argv(&[b"SELECT", b"0"]));
        let selects: Vec<&Argv> = commands.iter().filter(|c| c[0] == b"SELECT").collect();
        assert_eq!(
            selects,
            [&argv(&[b"SELECT", b"0"]), &argv(&[b"SELECT", b"3"])]
        );
        let dbs = group(&commands);
        assert_eq!(dbs.keys().copied().collect::<Vec<_>>(), [0, 3]);
        let db0 = &dbs[&0];
        assert_eq!(db0.len(), 12);

        assert_eq!(db0[&b"str"[..]], [argv(&[b"SET", b"str", b"hello world"])]);
        assert_eq!(db0[&b"int"[..]], [argv(&[b"SET", b"int", b"-12345"])]);
        assert_eq!(db0[&b"empty"[..]], [argv(&[b"SET", b"empty", b""])]);
        // The expire time right after the value, in milliseconds.
        let when = WHEN.to_string();
        assert_eq!(
            db0[&b"ttl"[..]],
            [
                argv(&[b"SET", b"ttl", b"v"]),
                argv(&[b"PEXPIREAT", b"ttl", when.as_bytes()])
            ]
        );
        let when = (WHEN + 1).to_string();
        assert_eq!(
            db0[&b"short"[..]],
            [
                argv(&[b"RPUSH", b"short", b"only"]),
                argv(&[b"PEXPIREAT", b"short", when.as_bytes()])
            ]
        );

        // 150 list elements: 64 + 64 + 22, head to tail.
        let list = &db0[&b"list"[..]];
        assert_eq!(list.iter().map(Vec::len).collect::<Vec<_>>(), [66, 66, 24]);
        let items: Vec<Vec<u8>> = elements(list, b"RPUSH", b"list", 1)
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(items, list_items());

        // An intset in ascending order: 64 + 36.
        let ints = &db0[&b"ints"[..]];
        assert_eq!(ints.len(), 2);
        let members: Vec<Vec<u8>> = elements(ints, b"SADD", b"ints", 1)
            .into_iter()
            .flatten()
            .collect();
        let expected: Vec<Vec<u8>> = int_members()
            .iter()
            .map(|v| v.to_string().into_bytes())
            .collect();
        assert_eq!(members, expected);

        // A hashtable set in table order: 64 + 64 + 64 + 8.
        let words = &db0[&b"words"[..]];
        assert_eq!(words.len(), 4);
        let mut members: Vec<Vec<u8>> = elements(words, b"SADD", b"words", 1)
            .into_iter()
            .flatten()
            .collect();
        members.sort();
        let mut expected: Vec<Vec<u8>> = (0..200).map(|i| format!("m{i}").into_bytes()).collect();
        expected.sort();
        assert_eq!(members, expected);

        let small = &db0[&b"small"[..]];
        assert_eq!(small.len(), 1);
        let mut members = small[0][2..].to_vec();
        members.sort();
        assert_eq!(members, [&b"12"[..], b"x", b"y"]);

        // Score then member, ascending; scores as `%.17g` prints them: 80 = 64 + 16 pairs.
        let zset = &db0[&b"zset"[..]];
        assert_eq!(zset.iter().map(Vec::len).collect::<Vec<_>>(), [130, 34]);
        let pairs = elements(zset, b"ZADD", b"zset", 2);
        let mut expected: Vec<(f64, Vec<u8>, Vec<u8>)> = scored()
            .iter()
            .map(|(m, s, text)| (*s, m.as_bytes().to_vec(), text.as_bytes().to_vec()))
            .collect();
        expected.extend((0..70).map(|i| {
            (
                f64::from(i),
                format!("z{i}").into_bytes(),
                i.to_string().into_bytes(),
            )
        }));
        expected.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let expected: Vec<Argv> = expected
            .into_iter()
            .map(|(_, member, text)| vec![text, member])
            .collect();
        assert_eq!(pairs, expected);

        let tree = &db0[&b"tree"[..]];
        let pairs = elements(tree, b"ZADD", b"tree", 2);
        let expected: Vec<Argv> = (0..200)
            .map(|i| {
                let score = f64::from(i) * 0.25 - 10.0;
                vec![score.to_string().into_bytes(), format!("t{i}").into_bytes()]
            })
            .collect();
        assert_eq!(pairs, expected);

        // HMSET field value pairs: 100 = 64 + 36.
        let hash = &db0[&b"hash"[..]];
        assert_eq!(hash.iter().map(Vec::len).collect::<Vec<_>>(), [130, 74]);
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = elements(hash, b"HMSET", b"hash", 2)
            .into_iter()
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
        pairs.sort();
        let mut expected = hash_fields();
        expected.sort();
        assert_eq!(pairs, expected);

        let db3 = &dbs[&3];
        assert_eq!(db3.len(), 2);
        assert_eq!(db3[&b"other"[..]], [argv(&[b"SET", b"other", b"x"])]);
        assert_eq!(
            db3[&b"packed"[..]],
            [argv(&[
                b"HMSET", b"packed", b"name", b"zedis", b"port", b"6380"
            ])]
        );
    }

    #[test]
    fn the_framing_is_byte_exact() {
        let mut ks = Keyspace::new(16);
        ks.set(2, b"k", Value::Str(b"v\r\n"), Ttl::At(1_000))
            .unwrap();
        let out = write(&ks);
        // A key whose time has passed is still written, as Redis 7.0 writes it.
        assert_eq!(
            out,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n\
              *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n\
              *3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$4\r\n1000\r\n"
        );
        let mut ts = Vec::new();
        write_timestamp(&mut ts, 1_700_000_000).unwrap();
        assert_eq!(ts, b"#TS:1700000000\r\n");
        assert!(write(&Keyspace::new(4)).is_empty());
    }

    #[test]
    fn whole_scores_print_as_percent_17g_prints_them() {
        for score in [
            0.0,
            -0.0,
            1.0,
            -7.0,
            4503599627370497.0,
            9007199254740994.0,
            99999999999999984.0,
            1e17,
            -1e17,
            1e300,
            0.5,
            f64::INFINITY,
        ] {
            let fast = whole_score(score).map(|v| v.to_string());
            if let Some(text) = fast {
                assert_eq!(text, format_double(score), "{score}");
            }
        }
        assert_eq!(whole_score(-0.0), None);
        assert_eq!(whole_score(1e17), None);
        assert_eq!(whole_score(99999999999999984.0), Some(99999999999999984));
    }

    /// What the snapshot sink writes for the whole walk is what the blocking rewrite writes,
    /// key for key.
    #[test]
    fn the_snapshot_sink_writes_what_the_blocking_rewrite_writes() {
        let mut ks = dataset();
        let dir = scratch("sink");
        let path = dir.join("base.aof");
        let sink = CommandSink::start(File::create(&path).unwrap()).unwrap();
        ks.begin_snapshot(Box::new(sink));
        while !ks.snapshot_step(16) {}
        let sink = ks.end_snapshot().unwrap().into_any();
        let sink = sink.downcast::<CommandSink>().unwrap();
        drop(sink.finish().unwrap());
        let written = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(group(&parse(&written)), group(&parse(&write(&ks))));
    }

    /// Keys saved before a change arrive from any database: each change of database gets
    /// its `SELECT`, and a run of keys of one database only one.
    #[test]
    fn the_sink_selects_whenever_the_database_changes() {
        let ks = dataset();
        let dir = scratch("select");
        let path = dir.join("base.aof");
        let mut sink = CommandSink::start(File::create(&path).unwrap()).unwrap();
        let clock = ks.access_clock();
        for (db, key) in [(3, &b"other"[..]), (0, b"str"), (0, b"ttl"), (3, b"packed")] {
            let record = ks.record(db, ks.peek(db, key).unwrap());
            sink.save(db, record, &ks.dbs[db].objects, clock);
        }
        drop(sink.finish().unwrap());
        let written = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let when = WHEN.to_string();
        assert_eq!(
            parse(&written),
            [
                argv(&[b"SELECT", b"3"]),
                argv(&[b"SET", b"other", b"x"]),
                argv(&[b"SELECT", b"0"]),
                argv(&[b"SET", b"str", b"hello world"]),
                argv(&[b"SET", b"ttl", b"v"]),
                argv(&[b"PEXPIREAT", b"ttl", when.as_bytes()]),
                argv(&[b"SELECT", b"3"]),
                argv(&[b"HMSET", b"packed", b"name", b"zedis", b"port", b"6380"]),
            ]
        );
    }

    #[test]
    fn the_first_write_error_is_returned_by_finish() {
        let mut ks = Keyspace::new(1);
        let big = vec![b'x'; 2 * FILE_BUFFER];
        ks.set(0, b"big", Value::Str(&big), Ttl::Clear).unwrap();
        ks.set(0, b"small", Value::Str(b"s"), Ttl::Clear).unwrap();
        let dir = scratch("error");
        let path = dir.join("base.aof");
        File::create(&path).unwrap();
        // Opened for reading only: every write fails.
        let mut sink = CommandSink::start(File::open(&path).unwrap()).unwrap();
        let clock = ks.access_clock();
        for key in [&b"big"[..], b"small"] {
            let record = ks.record(0, ks.peek(0, key).unwrap());
            sink.save(0, record, &ks.dbs[0].objects, clock);
            assert!(sink.error.is_some());
        }
        assert!(sink.finish().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The file as Redis's own tools see it: `redis-check-aof` accepts it, and redis-server
    /// 7.0 loads it (as an old-style AOF it upgrades) into the same dataset, by `DEBUG
    /// DIGEST`. Each part is skipped where its binary is missing.
    #[test]
    fn redis_accepts_and_loads_the_file() {
        let ks = dataset();
        let dir = scratch("redis");
        let path = dir.join("base.aof");
        let mut file = File::create(&path).unwrap();
        write_timestamp(&mut file, 1_700_000_000).unwrap();
        write_commands(&ks, &mut file).unwrap();
        drop(file);

        let check = Path::new("/usr/bin/redis-check-aof");
        if check.exists() {
            let output = Command::new(check).arg(&path).output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "redis-check-aof: {stdout}");
            assert!(stdout.contains("is valid"), "redis-check-aof: {stdout}");
        }

        if zedis_testkit::have_tool("redis-server") {
            let expected = crate::db::digest::hex(&crate::db::digest::dataset(&ks));
            let dir_arg = dir.to_str().unwrap();
            let server = zedis_testkit::ServerProcess::redis(&[
                "--appendonly",
                "yes",
                "--appendfilename",
                "base.aof",
                "--dir",
                dir_arg,
            ]);
            // Redis answers some commands (DEBUG among them) between the first commands of
            // a load: wait until every key is in.
            let deadline = Instant::now() + Duration::from_secs(10);
            while ask(server.port, "DBSIZE") != ":12" {
                assert!(Instant::now() < deadline, "Redis loads the file");
                std::thread::sleep(Duration::from_millis(10));
            }
            assert_eq!(ask(server.port, "DEBUG DIGEST"), format!("+{expected}"));
            assert_eq!(ask(server.port, "PEXPIRETIME ttl"), format!(":{WHEN}"));
            assert_eq!(ask(server.port, "DBSIZE"), ":12");
            drop(server);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// One inline command's one-line reply, waiting out `-LOADING`.
    fn ask(port: u16, command: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            stream
                .write_all(format!("{command}\r\n").as_bytes())
                .unwrap();
            let mut reply = Vec::new();
            let mut byte = [0u8];
            while !reply.ends_with(b"\r\n") {
                stream.read_exact(&mut byte).unwrap();
                reply.push(byte[0]);
            }
            let reply = String::from_utf8(reply).unwrap().trim_end().to_string();
            if !reply.starts_with("-LOADING") || Instant::now() > deadline {
                return reply;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
