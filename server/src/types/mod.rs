//! Data types: the collection values (lists, hashes, sets, sorted sets) and the operations
//! that move, copy and free whole values whatever their type. Strings live inside their record
//! (see `db::record`); collections live in their database's object slab.

pub mod hash;
pub mod list;
pub mod pack;
pub mod set;
pub mod zset;
mod ztree;

use crate::db::Alloc;
use crate::db::record::{NewValue, Record, Value};
use crate::server::Server;

pub use hash::{Hash, HashLimits};
pub use list::{End, List, ListLimit};
pub use set::{Set, SetLimits};
pub use zset::{ZSet, ZSetLimits};

/// A collection value.
#[derive(Clone)]
pub enum Object {
    List(List),
    Hash(Hash),
    Set(Set),
    ZSet(ZSet),
}

impl Object {
    /// The `TYPE` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::List(_) => "list",
            Object::Hash(_) => "hash",
            Object::Set(_) => "set",
            Object::ZSet(_) => "zset",
        }
    }

    /// The `OBJECT ENCODING` name. Every list is a `quicklist`, as Redis 7.0 reports it (a
    /// small list is a quicklist of one chunk, stored without the chunk array).
    pub fn encoding(&self) -> &'static str {
        match self {
            Object::List(_) => "quicklist",
            Object::Hash(hash) if hash.is_packed() => "listpack",
            Object::Hash(_) => "hashtable",
            Object::Set(set) => set.encoding(),
            Object::ZSet(zset) => zset.encoding(),
        }
    }

    /// Parts to free: what decides whether `UNLINK` frees it on the lazy-free thread.
    pub fn effort(&self) -> usize {
        match self {
            Object::List(list) => list.chunk_count(),
            Object::Hash(hash) => hash.effort(),
            Object::Set(set) => set.effort(),
            Object::ZSet(zset) => zset.effort(),
        }
    }

    /// Bytes the value holds, its slab slot included; large collections are estimated from
    /// `samples` elements (all when 0), as `MEMORY USAGE` does.
    pub fn memory(&self, samples: usize) -> usize {
        size_of::<Object>()
            + match self {
                Object::List(list) => list.memory(samples),
                Object::Hash(hash) => hash.memory(samples),
                Object::Set(set) => set.memory(samples),
                Object::ZSet(zset) => zset.memory(samples),
            }
    }

    /// Elements held (`LLEN`, `HLEN`, `SCARD`, `ZCARD`).
    pub fn len(&self) -> usize {
        match self {
            Object::List(list) => list.len(),
            Object::Hash(hash) => hash.len(),
            Object::Set(set) => set.len(),
            Object::ZSet(zset) => zset.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `TYPE` name of a record's value.
pub fn type_name(server: &Server, db: usize, record: &Record) -> &'static str {
    match record.value() {
        Value::Str(_) | Value::Int(_) => "string",
        Value::Object(index) => server.keyspace.dbs[db].objects[index as usize].type_name(),
    }
}

/// The `OBJECT ENCODING` name of a collection's representation.
pub fn encoding_name(server: &Server, db: usize, record: &Record) -> &'static str {
    match record.value() {
        Value::Str(_) | Value::Int(_) => unreachable!("strings are named by the caller"),
        Value::Object(index) => server.keyspace.dbs[db].objects[index as usize].encoding(),
    }
}

/// Deletes a key, its value freed at once or, when `lazy`, off the command path. Returns
/// whether the key existed.
pub fn delete_key(server: &mut Server, db: usize, key: &[u8], lazy: bool) -> bool {
    if lazy {
        server.keyspace.unlink(db, key)
    } else {
        server.keyspace.delete(db, key)
    }
}

/// Moves the value (and TTL) of `from_key` in `from_db` to the absent `to_key` in `to_db`.
pub fn move_value(
    server: &mut Server,
    from_db: usize,
    from_key: &[u8],
    to_db: usize,
    to_key: &[u8],
) -> Alloc<()> {
    let keyspace = &mut server.keyspace;
    let slot = keyspace
        .peek(from_db, from_key)
        .expect("caller checked the key exists");
    let record = keyspace.record(from_db, slot);
    let expire = record.expire().map(|(when, _)| when);
    let access = record.access();
    let slot = if let Value::Object(_) = record.value() {
        let (_, object) = keyspace.take(from_db, slot);
        let object = object.expect("an object record holds an object");
        let slot = keyspace.add_object(to_db, to_key, object);
        keyspace.record_mut(to_db, slot).set_access(access);
        slot
    } else {
        let moved = Record::try_new(to_key, string_value(record), record.is_raw(), access, None)?;
        let old = keyspace.remove_slot(from_db, slot);
        drop(old);
        let hash = keyspace.hash(to_key);
        keyspace.insert_record(to_db, hash, moved)
    };
    keyspace.modified(from_db, from_key);
    if let Some(when) = expire {
        keyspace.set_expire(to_db, slot, when)?;
    }
    keyspace.modified(to_db, to_key);
    Ok(())
}

/// Copies the value (and TTL) of `from_key` to the absent `to_key`.
pub fn copy_value(
    server: &mut Server,
    from_db: usize,
    from_key: &[u8],
    to_db: usize,
    to_key: &[u8],
) -> Alloc<()> {
    let keyspace = &mut server.keyspace;
    let slot = keyspace
        .peek(from_db, from_key)
        .expect("caller checked the key exists");
    let record = keyspace.record(from_db, slot);
    let expire = record.expire().map(|(when, _)| when);
    let slot = match keyspace.object(from_db, slot) {
        Some(object) => {
            let copy = object.clone();
            keyspace.add_object(to_db, to_key, copy)
        }
        None => {
            let copy = Record::try_new(
                to_key,
                string_value(record),
                record.is_raw(),
                keyspace.new_access(),
                None,
            )?;
            let hash = keyspace.hash(to_key);
            keyspace.insert_record(to_db, hash, copy)
        }
    };
    if let Some(when) = expire {
        keyspace.set_expire(to_db, slot, when)?;
    }
    keyspace.modified(to_db, to_key);
    Ok(())
}

/// A string record's value as the input for a new record.
fn string_value(record: &Record) -> NewValue<'_> {
    match record.value() {
        Value::Str(bytes) => NewValue::Str(bytes),
        Value::Int(v) => NewValue::Int(v),
        Value::Object(_) => unreachable!("only called for strings"),
    }
}

/// Exchanges the contents of two databases (`SWAPDB`). Clients watching keys in either keep
/// their database index, so their keys may change under them: they are made dirty.
pub fn swap_dbs(server: &mut Server, a: usize, b: usize) {
    if a == b {
        return;
    }
    server.keyspace.swap_dbs(a, b);
}

/// Empties a database.
pub fn flush_db(server: &mut Server, db: usize, lazy: bool) {
    server.keyspace.flush_db(db, lazy);
}
