//! Data types: the value representations and the operations that move, copy and free whole
//! values whatever their type. Strings live inside their record (see `db::record`).

use crate::db::Alloc;
use crate::db::record::{Record, Value};
use crate::server::Server;

/// The `TYPE` name of a record's value.
pub fn type_name(_server: &Server, _db: usize, record: &Record) -> &'static str {
    match record.value() {
        Value::Str(_) | Value::Int(_) => "string",
        Value::Object(_) => unreachable!("no collection type is stored yet"),
    }
}

/// The `OBJECT ENCODING` name of a collection's representation.
pub fn encoding_name(_server: &Server, _db: usize, record: &Record) -> &'static str {
    match record.value() {
        Value::Str(_) | Value::Int(_) => unreachable!("strings are named by the caller"),
        Value::Object(_) => unreachable!("no collection type is stored yet"),
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
    let moved = Record::try_new(
        to_key,
        record_value(record),
        record.is_raw(),
        record.access(),
        None,
    )?;
    let old = keyspace.remove_slot(from_db, slot);
    keyspace.modified(from_db, from_key);
    keyspace.lazyfree.free_record(old);
    let hash = keyspace.hash(to_key);
    let slot = keyspace.insert_record(to_db, hash, moved);
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
    let copy = Record::try_new(
        to_key,
        record_value(record),
        record.is_raw(),
        keyspace.new_access(),
        None,
    )?;
    let hash = keyspace.hash(to_key);
    let slot = keyspace.insert_record(to_db, hash, copy);
    if let Some(when) = expire {
        keyspace.set_expire(to_db, slot, when)?;
    }
    keyspace.modified(to_db, to_key);
    Ok(())
}

/// A record's value as the input for a new record.
fn record_value(record: &Record) -> crate::db::record::NewValue<'_> {
    use crate::db::record::NewValue;
    match record.value() {
        Value::Str(bytes) => NewValue::Str(bytes),
        Value::Int(v) => NewValue::Int(v),
        Value::Object(index) => NewValue::Object(index),
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
