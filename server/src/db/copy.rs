//! Keyspace operations that move a value between keys or databases (`RENAME`, `MOVE`, `COPY`)
//! and name a record's type and encoding. They work on the keyspace alone: a collection moves
//! with its object, a string is rebuilt under its new key.

use super::record::{EMBSTR_MAX, Record, Value};
use super::{Alloc, Keyspace};

impl Keyspace {
    /// The `TYPE` name of a record's value.
    pub fn type_name(&self, db: usize, record: &Record) -> &'static str {
        match record.value() {
            Value::Str(_) | Value::Int(_) => "string",
            Value::Object(at) => self.dbs[db].objects.get(at).type_name(),
        }
    }

    /// The `OBJECT ENCODING` name of a record's value: `int`, `embstr` (a string Redis keeps in
    /// one block with its object) or `raw` for strings, the collection's representation
    /// otherwise.
    pub fn encoding_name(&self, db: usize, record: &Record) -> &'static str {
        match record.value() {
            Value::Int(_) => "int",
            Value::Str(bytes) if !record.is_raw() && bytes.len() <= EMBSTR_MAX => "embstr",
            Value::Str(_) => "raw",
            Value::Object(at) => self.dbs[db].objects.get(at).encoding(),
        }
    }

    /// Deletes a key, its value freed at once or, when `lazy`, off the command path. Returns
    /// whether the key existed.
    pub fn delete_key(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        if lazy {
            self.unlink(db, key)
        } else {
            self.delete(db, key)
        }
    }

    /// Moves the value (and TTL) of `from_key` in `from_db` to the absent `to_key` in `to_db`.
    pub fn move_value(
        &mut self,
        from_db: usize,
        from_key: &[u8],
        to_db: usize,
        to_key: &[u8],
    ) -> Alloc<()> {
        let slot = self
            .peek(from_db, from_key)
            .expect("caller checked the key exists");
        let record = self.record(from_db, slot);
        let expire = record.expire().map(|(when, _)| when);
        let access = record.access();
        let slot = if let Value::Object(_) = record.value() {
            let (_, object) = self.take(from_db, slot);
            let object = object.expect("an object record holds an object");
            let slot = self.add_object(to_db, to_key, object);
            self.record_mut(to_db, slot).set_access(access);
            slot
        } else {
            let moved = Record::try_new(to_key, record.value(), record.is_raw(), access, None)?;
            let old = self.remove_slot(from_db, slot);
            drop(old);
            let hash = self.hash(to_key);
            self.insert_record(to_db, hash, moved)
        };
        self.modified(from_db, from_key);
        if let Some(when) = expire {
            self.set_expire(to_db, slot, when)?;
        }
        self.modified(to_db, to_key);
        Ok(())
    }

    /// Copies the value (and TTL) of `from_key` to the absent `to_key`.
    pub fn copy_value(
        &mut self,
        from_db: usize,
        from_key: &[u8],
        to_db: usize,
        to_key: &[u8],
    ) -> Alloc<()> {
        let slot = self
            .peek(from_db, from_key)
            .expect("caller checked the key exists");
        let record = self.record(from_db, slot);
        let expire = record.expire().map(|(when, _)| when);
        let slot = match record.value() {
            Value::Object(at) => {
                let copy = self.dbs[from_db].objects.clone_of(at);
                self.add_object(to_db, to_key, copy)
            }
            _ => {
                let copy = Record::try_new(
                    to_key,
                    record.value(),
                    record.is_raw(),
                    self.new_access(),
                    None,
                )?;
                let hash = self.hash(to_key);
                self.insert_record(to_db, hash, copy)
            }
        };
        if let Some(when) = expire {
            self.set_expire(to_db, slot, when)?;
        }
        self.modified(to_db, to_key);
        Ok(())
    }
}
