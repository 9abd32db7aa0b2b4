//! Writing a dataset as Redis 7.0.15 writes it (`rdbSaveRio`): the header and AUX fields,
//! each non-empty database with its size hints, each key with its expire time and access
//! information, and each value in the encoding Redis would give it.
//!
//! zedis's own encodings map to Redis's: a list's chunks are quicklist nodes (a chunk holding
//! one entry of `plain_threshold` bytes or more is a plain node), packed hashes and sorted sets
//! are listpacks, an intset is an intset, and a packed set of strings (Redis 7.0 has no such
//! encoding) is written as a plain set, which Redis 7.0 loads.

use std::io::{self, Write};

use super::listpack::Builder;
use super::write::RdbWriter;
use super::*;
use crate::db::Keyspace;
use crate::db::access::idle_ms;
use crate::db::snapshot::AccessClock;
use crate::store::record::{Record, Value};
use crate::types::set::{Elem, Set};
use crate::types::zset::ZSet;
use crate::types::{ObjectView, Objects};
use crate::util::format_double;
use crate::version::REDIS_VERSION;

/// Which access information each key carries, as the eviction policy decides in Redis: the
/// idle time under an LRU policy, the LFU counter under an LFU policy, nothing otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessInfo {
    None,
    Idle,
    Frequency,
}

/// What a save needs to know besides the data.
#[derive(Debug, Clone, Copy)]
pub struct SaveOptions {
    pub compression: bool,
    pub checksum: bool,
    pub access: AccessInfo,
    /// Entries of this many bytes or more are plain quicklist nodes.
    pub plain_threshold: usize,
    /// `used-mem` in the header.
    pub used_memory: u64,
    /// `ctime` in the header: Unix seconds.
    pub ctime: u64,
    /// Whether this is the base of an append-only file (`aof-base`).
    pub aof_base: bool,
}

/// Writes keys and values; keeps a listpack buffer between them.
pub struct Saver {
    pub options: SaveOptions,
    listpack: Builder,
}

impl Saver {
    pub fn new(options: SaveOptions) -> Saver {
        Saver {
            options,
            listpack: Builder::new(),
        }
    }

    /// The magic, the version and the AUX fields (`rdbSaveInfoAuxFields`).
    pub fn header<W: Write>(&mut self, w: &mut RdbWriter<W>) -> io::Result<()> {
        w.raw(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
        let mut int = itoa::Buffer::new();
        aux(w, b"redis-ver", REDIS_VERSION.as_bytes())?;
        aux(w, b"redis-bits", int.format(64).as_bytes())?;
        aux(w, b"ctime", int.format(self.options.ctime).as_bytes())?;
        aux(
            w,
            b"used-mem",
            int.format(self.options.used_memory).as_bytes(),
        )?;
        aux(
            w,
            b"aof-base",
            int.format(self.options.aof_base as u8).as_bytes(),
        )
    }

    /// The function libraries' code, after the header (`rdbSaveFunctions`).
    pub fn functions<W: Write>(
        &mut self,
        w: &mut RdbWriter<W>,
        libraries: &[&[u8]],
    ) -> io::Result<()> {
        write_functions(w, libraries)
    }

    /// `SELECTDB` and `RESIZEDB` before a database's keys.
    pub fn database<W: Write>(
        &mut self,
        w: &mut RdbWriter<W>,
        index: usize,
        keys: usize,
        expires: usize,
    ) -> io::Result<()> {
        w.byte(OP_SELECTDB)?;
        w.length(index as u64)?;
        w.byte(OP_RESIZEDB)?;
        w.length(keys as u64)?;
        w.length(expires as u64)
    }

    /// One key (`rdbSaveKeyValuePair`): expire time, access information, type, key, value.
    pub fn key<W: Write>(
        &mut self,
        w: &mut RdbWriter<W>,
        record: &Record,
        objects: &Objects,
        clock: AccessClock,
    ) -> io::Result<()> {
        if let Some((when, _)) = record.expire() {
            w.byte(OP_EXPIRETIME_MS)?;
            w.millis(when)?;
        }
        match self.options.access {
            AccessInfo::None => {}
            AccessInfo::Idle => {
                w.byte(OP_IDLE)?;
                w.length(idle_ms(record.access(), clock.lru_clock) / 1000)?;
            }
            AccessInfo::Frequency => {
                w.byte(OP_FREQ)?;
                w.byte(clock.policy.lfu_decayed(record.access()))?;
            }
        }
        w.byte(value_type(record, objects))?;
        w.string(record.key())?;
        self.value_body(w, record, objects)
    }

    /// The value's type byte and body: what `DUMP` serializes.
    pub fn value<W: Write>(
        &mut self,
        w: &mut RdbWriter<W>,
        record: &Record,
        objects: &Objects,
    ) -> io::Result<()> {
        w.byte(value_type(record, objects))?;
        self.value_body(w, record, objects)
    }

    /// A value in its encoding (`rdbSaveObject`); its length is `DEBUG OBJECT`'s
    /// `serializedlength`.
    pub fn value_body<W: Write>(
        &mut self,
        w: &mut RdbWriter<W>,
        record: &Record,
        objects: &Objects,
    ) -> io::Result<()> {
        let at = match record.value() {
            Value::Str(bytes) => return w.string(bytes),
            Value::Int(v) => return w.int_string(v),
            Value::Object(at) => at,
        };
        match objects.get(at) {
            ObjectView::List(list) => {
                let chunks = list.chunks();
                w.length(chunks.len() as u64)?;
                for chunk in chunks {
                    let only = (chunk.len() == 1).then(|| chunk.get(0)).flatten();
                    match only {
                        Some(entry) if entry.len() >= self.options.plain_threshold => {
                            w.length(CONTAINER_PLAIN)?;
                            w.string(entry)?;
                        }
                        _ => {
                            w.length(CONTAINER_PACKED)?;
                            self.listpack.clear();
                            chunk.iter().for_each(|entry| self.listpack.push(entry));
                            w.string(self.listpack.finish())?;
                        }
                    }
                }
                Ok(())
            }
            ObjectView::Set(Set::Ints(ints)) => {
                let width = ints.width();
                let mut blob = Vec::with_capacity(8 + ints.len() * width);
                blob.extend_from_slice(&(width as u32).to_le_bytes());
                blob.extend_from_slice(&(ints.len() as u32).to_le_bytes());
                for v in ints.iter() {
                    blob.extend_from_slice(&v.to_le_bytes()[..width]);
                }
                w.string(&blob)
            }
            ObjectView::Set(set) => {
                w.length(set.len() as u64)?;
                let mut buf = itoa::Buffer::new();
                for member in set.iter() {
                    match member {
                        Elem::Int(v) => w.string(buf.format(v).as_bytes())?,
                        Elem::Bytes(bytes) => w.string(bytes)?,
                    }
                }
                Ok(())
            }
            ObjectView::ZSet(zset @ ZSet::Pack(_)) => {
                self.listpack.clear();
                for (member, score) in zset.iter_from(0, true) {
                    self.listpack.push(member);
                    match score_as_integer(score) {
                        Some(v) => self.listpack.push_int(v),
                        None => self.listpack.push(format_double(score).as_bytes()),
                    }
                }
                w.string(self.listpack.finish())
            }
            ObjectView::ZSet(zset) => {
                // Highest first, as Redis walks its skiplist from the tail.
                w.length(zset.len() as u64)?;
                for (member, score) in zset.iter_from(zset.len() - 1, false) {
                    w.string(member)?;
                    w.binary_double(score)?;
                }
                Ok(())
            }
            ObjectView::Hash(hash) if hash.is_packed() => {
                self.listpack.clear();
                for (field, value) in hash.iter() {
                    self.listpack.push(field);
                    self.listpack.push(value);
                }
                w.string(self.listpack.finish())
            }
            ObjectView::Hash(hash) => {
                w.length(hash.len() as u64)?;
                for (field, value) in hash.iter() {
                    w.string(field)?;
                    w.string(value)?;
                }
                Ok(())
            }
        }
    }
}

/// The RDB type a value is saved as (`rdbSaveObjectType`).
pub fn value_type(record: &Record, objects: &Objects) -> u8 {
    match record.value() {
        Value::Str(_) | Value::Int(_) => TYPE_STRING,
        Value::Object(at) => match objects.get(at) {
            ObjectView::List(_) => TYPE_LIST_QUICKLIST_2,
            ObjectView::Set(Set::Ints(_)) => TYPE_SET_INTSET,
            ObjectView::Set(_) => TYPE_SET,
            ObjectView::ZSet(ZSet::Pack(_)) => TYPE_ZSET_LISTPACK,
            ObjectView::ZSet(_) => TYPE_ZSET_2,
            ObjectView::Hash(hash) if hash.is_packed() => TYPE_HASH_LISTPACK,
            ObjectView::Hash(_) => TYPE_HASH,
        },
    }
}

/// A score a listpack holds as an integer (Redis's `double2ll`): whole, and within half of
/// `i64`'s range. -0 becomes 0.
fn score_as_integer(score: f64) -> Option<i64> {
    const BOUND: f64 = (i64::MAX / 2) as f64;
    if !(-BOUND..=BOUND).contains(&score) {
        return None;
    }
    let v = score as i64;
    (v as f64 == score).then_some(v)
}

/// An AUX field: the opcode, then name and value as strings.
fn aux<W: Write>(w: &mut RdbWriter<W>, name: &[u8], value: &[u8]) -> io::Result<()> {
    w.byte(OP_AUX)?;
    w.string(name)?;
    w.string(value)
}

/// One `FUNCTION2` record per library: what an RDB file and `FUNCTION DUMP` hold.
pub fn write_functions<W: Write>(w: &mut RdbWriter<W>, libraries: &[&[u8]]) -> io::Result<()> {
    for code in libraries {
        w.byte(OP_FUNCTION2)?;
        w.string(code)?;
    }
    Ok(())
}

/// Writes the function `libraries` and every database of `keyspace` to `out` in one pass and
/// returns `out` after the checksum: the blocking save (`SAVE`, shutdown).
pub fn save_all<W: Write>(
    keyspace: &Keyspace,
    libraries: &[&[u8]],
    options: SaveOptions,
    out: W,
) -> io::Result<W> {
    let mut w = RdbWriter::new(out, options.checksum, options.compression);
    let mut saver = Saver::new(options);
    saver.header(&mut w)?;
    saver.functions(&mut w, libraries)?;
    for (index, db) in keyspace.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        saver.database(&mut w, index, db.len(), db.expires_len())?;
        // A batch of records at a time, prefetched before any is written: walking a table
        // is otherwise one cache miss per key.
        let mut batch: Vec<&Record> = Vec::new();
        let mut cursor = 0;
        loop {
            batch.clear();
            cursor = db.table.scan(cursor, 256, |record| batch.push(record));
            batch.iter().for_each(|record| record.prefetch());
            for record in &batch {
                saver.key(&mut w, record, &db.objects, keyspace.access_clock())?;
            }
            if cursor == 0 {
                break;
            }
        }
    }
    w.byte(OP_EOF)?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_integers_where_redis_makes_them_integers() {
        assert_eq!(score_as_integer(3.0), Some(3));
        assert_eq!(score_as_integer(-0.0), Some(0));
        assert_eq!(score_as_integer(1.5), None);
        assert_eq!(score_as_integer(f64::INFINITY), None);
        assert_eq!(score_as_integer(5e18), None);
        assert_eq!(score_as_integer(4e18), Some(4_000_000_000_000_000_000));
    }
}
