//! Loading an RDB file (versions 1 to 10) into a keyspace (`rdbLoadRio`): every type and
//! encoding Redis 7.0 loads, converted to zedis's encodings under the configured limits.
//! Function libraries are read as their code, which the caller loads into its engine. Streams
//! and modules, which zedis does not have yet, stop the load with an error naming them. Any error leaves the caller to discard what was loaded: a half-read file is
//! never served.

use std::io::Read;

use super::legacy::{ziplist_for_each, zipmap_for_each};
use super::listpack::{self, Entry};
use super::read::{RdbReader, ReadError, ReadResult};
use super::*;
use crate::db::access::{LRU_CLOCK_MAX, lfu_minutes_now};
use crate::db::{Keyspace, Ttl, as_int_encoding};
use crate::store::record::Value;
use crate::types::Object;
use crate::types::hash::{Hash, HashLimits};
use crate::types::list::{End, List, ListLimit};
use crate::types::set::{Set, SetLimits};
use crate::types::zset::{ZSet, ZSetLimits};
use crate::util::strtod::strtod_whole;

/// The limits and clocks a load converts values under.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    pub list: ListLimit,
    pub hash: HashLimits,
    pub set: SetLimits,
    pub zset: ZSetLimits,
    /// Unix milliseconds: keys whose expire time is before it are dropped (a master's load).
    pub now_ms: u64,
    /// Whether keys already expired are dropped rather than loaded.
    pub drop_expired: bool,
    /// Whether a key already in memory is replaced (`DEBUG RELOAD MERGE`) rather than an
    /// error.
    pub replace_existing: bool,
}

/// What a load found.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    pub keys_loaded: u64,
    pub keys_expired: u64,
    /// The AUX fields, in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    pub version: u32,
}

/// A value as read, before it becomes a record.
pub enum Loaded {
    Str(Vec<u8>),
    Object(Object),
}

/// Reads a whole RDB file from `input` into `keyspace`, which should be empty.
pub fn load<R: Read>(
    input: R,
    keyspace: &mut Keyspace,
    options: &LoadOptions,
) -> Result<LoadReport, ReadError> {
    let mut loader = Loader::start(input)?;
    while !loader.step(keyspace, options, u64::MAX, u64::MAX)? {}
    Ok(loader.into_report())
}

/// A load in progress, advanced a step at a time so a server can answer its clients between
/// steps (`-LOADING`, `INFO`), as Redis processes events while it loads.
pub struct Loader<R: Read> {
    r: RdbReader<R>,
    report: LoadReport,
    /// The database `SELECTDB` chose.
    db: usize,
    /// What the opcodes before the next key said about it.
    expire: Option<u64>,
    idle: Option<u64>,
    frequency: Option<u8>,
    /// The code of each function library read, for the caller to load.
    libraries: Vec<Vec<u8>>,
}

impl<R: Read> Loader<R> {
    /// Reads and checks the magic and version.
    pub fn start(input: R) -> Result<Loader<R>, ReadError> {
        let mut r = RdbReader::new(input);
        let magic: [u8; 9] = r.exact()?;
        if &magic[..5] != b"REDIS" {
            return Err(ReadError {
                offset: 0,
                message: "Wrong signature trying to load DB from file".into(),
            });
        }
        let version = std::str::from_utf8(&magic[5..])
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|v| (1..=RDB_VERSION as u32).contains(v));
        let Some(version) = version else {
            return Err(ReadError {
                offset: 5,
                message: format!(
                    "Can't handle RDB format version {}",
                    String::from_utf8_lossy(&magic[5..])
                ),
            });
        };
        Ok(Loader {
            r,
            report: LoadReport {
                version,
                ..LoadReport::default()
            },
            db: 0,
            expire: None,
            idle: None,
            frequency: None,
            libraries: Vec::new(),
        })
    }

    /// Bytes read so far.
    pub fn offset(&self) -> u64 {
        self.r.offset()
    }

    /// What the load has found so far.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    /// The code of the function libraries read so far, taken: the caller loads them once the
    /// file is in (the engine that runs them is above this layer).
    pub fn take_libraries(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.libraries)
    }

    pub fn into_report(self) -> LoadReport {
        self.report
    }

    /// Loads keys until `keys` more keys are in, `bytes` more bytes are read, or the file
    /// ends. Returns true once the whole file is in and its checksum verified.
    pub fn step(
        &mut self,
        keyspace: &mut Keyspace,
        options: &LoadOptions,
        keys: u64,
        bytes: u64,
    ) -> Result<bool, ReadError> {
        let (start_keys, start_offset) = (self.report.keys_loaded, self.r.offset());
        let r = &mut self.r;
        loop {
            if self.report.keys_loaded - start_keys >= keys || r.offset() - start_offset >= bytes {
                return Ok(false);
            }
            let kind = r.byte()?;
            match kind {
                OP_EXPIRETIME => self.expire = Some(r.seconds()? as u64 * 1000),
                OP_EXPIRETIME_MS => self.expire = Some(r.millis()?),
                OP_FREQ => self.frequency = Some(r.byte()?),
                OP_IDLE => self.idle = Some(r.length()?),
                OP_EOF => break,
                OP_SELECTDB => {
                    let index = r.length()?;
                    if index >= keyspace.dbs.len() as u64 {
                        return r.error(format!(
                            "FATAL: Data file was created with a Redis server configured to \
                             handle more than {} databases",
                            keyspace.dbs.len()
                        ));
                    }
                    self.db = index as usize;
                }
                OP_RESIZEDB => {
                    let keys = r.length()?;
                    let _expires = r.length()?;
                    // A hint only: a damaged one must not reserve memory the file does not
                    // back.
                    keyspace.reserve(self.db, keys.min(1 << 24) as usize);
                }
                OP_AUX => {
                    let name = r.string()?;
                    let value = r.string()?;
                    self.report.aux.push((name, value));
                }
                OP_MODULE_AUX => {
                    return r.error("the file holds module data, which zedis cannot load");
                }
                OP_FUNCTION | OP_FUNCTION2 => match read_function(r, kind) {
                    Ok(code) => self.libraries.push(code),
                    Err(e) => return r.error(format!("Failed loading library, {e}")),
                },
                _ => {
                    let db = self.db;
                    let key = r.string()?;
                    let value = read_value(r, kind, options)?;
                    let when = self.expire.take();
                    let (idle, frequency) = (self.idle.take(), self.frequency.take());
                    if options.drop_expired && when.is_some_and(|t| t < options.now_ms) {
                        self.report.keys_expired += 1;
                        continue;
                    }
                    if keyspace.peek(db, &key).is_some() {
                        if !options.replace_existing {
                            return r.error(format!(
                                "RDB has duplicated key '{}' in DB {db}",
                                String::from_utf8_lossy(&key)
                            ));
                        }
                        keyspace.delete(db, &key);
                    }
                    // A key read from a file is not announced as new (Redis's `dbAddRDBLoad`).
                    let flags = keyspace.notifications.suspend();
                    let stored = insert(keyspace, db, &key, value, when, idle, frequency);
                    keyspace.notifications.set_flags(flags);
                    stored.or_else(|e| r.error(e))?;
                    self.report.keys_loaded += 1;
                }
            }
        }
        if self.report.version >= 5 {
            let computed = r.checksum();
            let stored = u64::from_le_bytes(r.exact()?);
            // Zero means the file was saved with rdbchecksum off.
            if stored != 0 && stored != computed {
                return r.error("Wrong RDB checksum");
            }
        }
        Ok(true)
    }
}

/// Stores a loaded value under an absent key with its expire time and access information
/// (`dbAdd`, `setExpire`, `objectSetLRUOrLFU`): an idle time applies under an LRU-clock
/// policy, a frequency under an LFU one.
pub fn insert(
    keyspace: &mut Keyspace,
    db: usize,
    key: &[u8],
    value: Loaded,
    when: Option<u64>,
    idle: Option<u64>,
    frequency: Option<u8>,
) -> Result<(), String> {
    let ttl = when.map_or(Ttl::Clear, Ttl::At);
    let slot = match value {
        Loaded::Str(bytes) => {
            let value = match as_int_encoding(&bytes) {
                Some(v) => Value::Int(v),
                None => Value::Str(&bytes),
            };
            keyspace
                .set(db, key, value, ttl)
                .map_err(|e| e.to_string())?
        }
        Loaded::Object(object) => {
            let slot = keyspace.add_object(db, key, object);
            if let Some(when) = when {
                keyspace
                    .set_expire(db, slot, when)
                    .map_err(|e| e.to_string())?;
            }
            slot
        }
    };
    let bits = if keyspace.access.lfu {
        frequency.map(|f| (lfu_minutes_now() << 8) | f as u32)
    } else {
        idle.map(|seconds| {
            let clock = keyspace.lru_clock as u64;
            let seconds = seconds % (LRU_CLOCK_MAX as u64 + 1);
            ((clock + LRU_CLOCK_MAX as u64 + 1 - seconds) & LRU_CLOCK_MAX as u64) as u32
        })
    };
    if let Some(bits) = bits {
        keyspace.record_mut(db, slot).set_access(bits);
    }
    Ok(())
}

/// Reads a value of RDB type `kind` (`rdbLoadObject`).
fn read_value<R: Read>(
    r: &mut RdbReader<R>,
    kind: u8,
    options: &LoadOptions,
) -> ReadResult<Loaded> {
    let start = r.offset();
    let object = match kind {
        TYPE_STRING => return Ok(Loaded::Str(r.string()?)),
        TYPE_LIST => {
            let n = r.length()?;
            let mut list = List::default();
            for _ in 0..n {
                let item = r.string()?;
                push(&mut list, &item, options);
            }
            non_empty(r, Object::List(list), n == 0)?
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = r.length()?;
            let mut list = List::default();
            for _ in 0..nodes {
                let container = if kind == TYPE_LIST_QUICKLIST_2 {
                    r.length()?
                } else {
                    CONTAINER_PACKED
                };
                let blob = r.string()?;
                match container {
                    CONTAINER_PLAIN => push(&mut list, &blob, options),
                    CONTAINER_PACKED => {
                        let mut items = Vec::new();
                        let walked = if kind == TYPE_LIST_QUICKLIST_2 {
                            listpack::for_each(&blob, |e| items.push(entry_bytes(e)))
                        } else {
                            ziplist_for_each(&blob, |e| items.push(entry_bytes(e)))
                        };
                        walked.or_else(|e| r.error(e))?;
                        for item in items {
                            push(&mut list, &item, options);
                        }
                    }
                    other => return r.error(format!("unknown quicklist container {other}")),
                }
            }
            non_empty(r, Object::List(list), false)?
        }
        TYPE_LIST_ZIPLIST => {
            let blob = r.string()?;
            let mut list = List::default();
            let mut items = Vec::new();
            ziplist_for_each(&blob, |e| items.push(entry_bytes(e))).or_else(|e| r.error(e))?;
            for item in items {
                push(&mut list, &item, options);
            }
            non_empty(r, Object::List(list), false)?
        }
        TYPE_SET => {
            let n = r.length()?;
            let mut set: Option<Set> = None;
            for _ in 0..n {
                let member = r.string()?;
                let set = set.get_or_insert_with(|| {
                    Set::for_members(&member, n.min(1 << 24) as usize, options.set)
                });
                if !add_member(set, &member, options) {
                    return r.error("Duplicate set members detected");
                }
            }
            match set {
                Some(set) => Object::Set(set),
                None => return r.error("empty set"),
            }
        }
        TYPE_SET_INTSET => {
            let blob = r.string()?;
            let members = intset_members(&blob).or_else(|e| r.error(e))?;
            let mut set = Set::for_members(b"0", members.len(), options.set);
            let mut buf = itoa::Buffer::new();
            for v in members {
                add_member(&mut set, buf.format(v).as_bytes(), options);
            }
            Object::Set(set)
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.length()?;
            let mut zset = ZSet::for_members(n.min(1 << 24) as usize, 0, options.zset);
            for _ in 0..n {
                let member = r.string()?;
                let score = if kind == TYPE_ZSET_2 {
                    r.binary_double()?
                } else {
                    r.text_double()?
                };
                zadd(r, &mut zset, &member, score, options)?;
            }
            non_empty(r, Object::ZSet(zset), n == 0)?
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = r.string()?;
            let mut entries = Vec::new();
            let walked = if kind == TYPE_ZSET_LISTPACK {
                listpack::for_each(&blob, |e| entries.push(entry_bytes(e)))
            } else {
                ziplist_for_each(&blob, |e| entries.push(entry_bytes(e)))
            };
            walked.or_else(|e| r.error(e))?;
            if entries.is_empty() || entries.len() % 2 != 0 {
                return r.error("sorted set blob without whole member/score pairs");
            }
            let mut zset = ZSet::for_members(entries.len() / 2, 0, options.zset);
            for pair in entries.chunks(2) {
                let Some(score) = strtod_whole(&pair[1]).filter(|s| !s.is_nan()) else {
                    return r.error("invalid score in a sorted set");
                };
                zadd(r, &mut zset, &pair[0], score, options)?;
            }
            Object::ZSet(zset)
        }
        TYPE_HASH => {
            let n = r.length()?;
            let mut hash = Hash::default();
            for _ in 0..n {
                let field = r.string()?;
                let value = r.string()?;
                hset(r, &mut hash, &field, &value, options)?;
            }
            non_empty(r, Object::Hash(hash), n == 0)?
        }
        TYPE_HASH_ZIPMAP | TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = r.string()?;
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            let walked = match kind {
                TYPE_HASH_ZIPMAP => {
                    zipmap_for_each(&blob, |f, v| pairs.push((f.to_vec(), v.to_vec())))
                }
                _ => {
                    let mut flat = Vec::new();
                    let walked = if kind == TYPE_HASH_LISTPACK {
                        listpack::for_each(&blob, |e| flat.push(entry_bytes(e)))
                    } else {
                        ziplist_for_each(&blob, |e| flat.push(entry_bytes(e)))
                    };
                    if flat.len() % 2 != 0 {
                        return r.error("hash blob without whole field/value pairs");
                    }
                    let mut flat = flat.into_iter();
                    while let (Some(f), Some(v)) = (flat.next(), flat.next()) {
                        pairs.push((f, v));
                    }
                    walked
                }
            };
            walked.or_else(|e| r.error(e))?;
            if pairs.is_empty() {
                return r.error("empty hash blob");
            }
            let mut hash = Hash::default();
            for (field, value) in &pairs {
                hset(r, &mut hash, field, value, options)?;
            }
            Object::Hash(hash)
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => {
            return Err(ReadError {
                offset: start,
                message: format!("stream keys (RDB type {kind}) are not supported by zedis yet"),
            });
        }
        TYPE_MODULE | TYPE_MODULE_2 => {
            return Err(ReadError {
                offset: start,
                message: format!("module keys (RDB type {kind}) cannot be loaded by zedis"),
            });
        }
        _ => {
            return Err(ReadError {
                offset: start.saturating_sub(1),
                message: format!("unknown RDB type {kind}"),
            });
        }
    };
    Ok(Loaded::Object(object))
}

fn non_empty<R: Read>(r: &RdbReader<R>, object: Object, empty: bool) -> ReadResult<Object> {
    let empty = empty
        || match &object {
            Object::List(l) => l.is_empty(),
            Object::Hash(h) => h.is_empty(),
            Object::Set(s) => s.is_empty(),
            Object::ZSet(z) => z.is_empty(),
        };
    if empty {
        return r.error("empty collection");
    }
    Ok(object)
}

fn entry_bytes(entry: Entry) -> Vec<u8> {
    match entry {
        Entry::Int(v) => itoa::Buffer::new().format(v).as_bytes().to_vec(),
        Entry::Bytes(b) => b.to_vec(),
    }
}

fn push(list: &mut List, item: &[u8], options: &LoadOptions) {
    list.push(End::Tail, item, options.list)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Adds a set member; false if it was already there.
fn add_member(set: &mut Set, member: &[u8], options: &LoadOptions) -> bool {
    set.add_built(member, options.set)
}

fn zadd<R: Read>(
    r: &RdbReader<R>,
    zset: &mut ZSet,
    member: &[u8],
    score: f64,
    options: &LoadOptions,
) -> ReadResult<()> {
    if score.is_nan() {
        return r.error("sorted set score is NaN");
    }
    if zset.score(member).is_some() {
        return r.error("Duplicate zset fields detected");
    }
    zset.insert(member, score, options.zset)
        .unwrap_or_else(|e| panic!("{e}"));
    Ok(())
}

fn hset<R: Read>(
    r: &RdbReader<R>,
    hash: &mut Hash,
    field: &[u8],
    value: &[u8],
    options: &LoadOptions,
) -> ReadResult<()> {
    let created = hash
        .set(field, value, options.hash)
        .unwrap_or_else(|e| panic!("{e}"));
    if !created {
        return r.error("Duplicate hash fields detected");
    }
    Ok(())
}

/// The members of an intset blob: encoding (2, 4 or 8) and count as u32 LE, then the members
/// ascending.
fn intset_members(blob: &[u8]) -> Result<Vec<i64>, String> {
    if blob.len() < 8 {
        return Err("intset shorter than its header".into());
    }
    let width = u32::from_le_bytes(blob[..4].try_into().expect("4")) as usize;
    let count = u32::from_le_bytes(blob[4..8].try_into().expect("4")) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(format!("intset with encoding {width}"));
    }
    if count == 0 || Some(blob.len() - 8) != count.checked_mul(width) {
        return Err("intset whose size does not match its count".into());
    }
    let members: Vec<i64> = blob[8..]
        .chunks_exact(width)
        .map(|c| match width {
            2 => i16::from_le_bytes([c[0], c[1]]) as i64,
            4 => i32::from_le_bytes(c.try_into().expect("4")) as i64,
            _ => i64::from_le_bytes(c.try_into().expect("8")),
        })
        .collect();
    if members.windows(2).any(|w| w[0] >= w[1]) {
        return Err("intset members out of order or repeated".into());
    }
    Ok(members)
}

/// Reads one function library after its opcode (`rdbFunctionLoad`): the library's code, or
/// Redis's message for what failed. The record Redis 7.0's release candidates wrote
/// (`FUNCTION`: name, engine, description, code) becomes the code with the shebang line Redis
/// makes of it.
pub fn read_function<R: Read>(r: &mut RdbReader<R>, kind: u8) -> Result<Vec<u8>, String> {
    if kind == OP_FUNCTION2 {
        return r
            .string()
            .map_err(|_| "Failed loading library payload".to_string());
    }
    let name = r
        .string()
        .map_err(|_| "Failed loading library name".to_string())?;
    let engine = r
        .string()
        .map_err(|_| "Failed loading engine name".to_string())?;
    let has_description = r
        .length()
        .map_err(|_| "Failed loading library description indicator".to_string())?;
    if has_description != 0 {
        r.string()
            .map_err(|_| "Failed loading library description".to_string())?;
    }
    let body = r
        .string()
        .map_err(|_| "Failed loading library blob".to_string())?;
    let mut code = Vec::with_capacity(body.len() + name.len() + engine.len() + 9);
    code.extend_from_slice(b"#!");
    code.extend_from_slice(&engine);
    code.extend_from_slice(b" name=");
    code.extend_from_slice(&name);
    code.push(b'\n');
    code.extend_from_slice(&body);
    Ok(code)
}

/// The libraries of a verified `FUNCTION DUMP` payload (`functionRestoreCommand`), or the
/// error `FUNCTION RESTORE` replies.
pub fn function_payloads(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let body_end = payload.len().saturating_sub(10) as u64;
    let mut r = RdbReader::new(payload);
    let mut libraries = Vec::new();
    while r.offset() < body_end {
        let kind = r.byte().map_err(|_| "can not read data type".to_string())?;
        if kind != OP_FUNCTION && kind != OP_FUNCTION2 {
            return Err("given type is not a function".into());
        }
        libraries.push(read_function(&mut r, kind)?);
    }
    Ok(libraries)
}

/// Why a `DUMP` payload cannot be restored, as `RESTORE` tells the two apart.
#[derive(Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, a newer RDB version, or a wrong CRC-64.
    VersionOrChecksum,
    /// The value itself does not decode.
    BadFormat,
}

/// Checks a `DUMP` payload's footer (`verifyDumpPayload`): at least the 2 bytes of RDB
/// version (at most ours) and the 8 of CRC-64 over everything before it.
pub fn verify_payload(payload: &[u8]) -> Result<(), PayloadError> {
    if payload.len() < 10 {
        return Err(PayloadError::VersionOrChecksum);
    }
    let (body, crc) = payload.split_at(payload.len() - 8);
    let version = u16::from_le_bytes([body[body.len() - 2], body[body.len() - 1]]);
    if version > RDB_VERSION || CRC64.checksum(body).to_le_bytes() != crc {
        return Err(PayloadError::VersionOrChecksum);
    }
    Ok(())
}

/// Decodes the value of a verified `DUMP` payload: its type byte and body. As in Redis the
/// reader sees the whole payload, footer included, so a body cut short reads into the footer
/// rather than failing.
pub fn payload_value(payload: &[u8], options: &LoadOptions) -> Result<Loaded, PayloadError> {
    let mut r = RdbReader::new(payload);
    let kind = r.byte().map_err(|_| PayloadError::BadFormat)?;
    if !is_value_type(kind) {
        return Err(PayloadError::BadFormat);
    }
    read_value(&mut r, kind, options).map_err(|_| PayloadError::BadFormat)
}

/// Whether `kind` is a value type rather than an opcode (`rdbIsObjectType`).
fn is_value_type(kind: u8) -> bool {
    matches!(kind, 0..=7 | 9..=19)
}
