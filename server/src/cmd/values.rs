//! Typed access to collection values for command handlers: the WRONGTYPE check, creating a
//! key on its first element, and deleting it when its last element goes (Redis never keeps an
//! empty collection).
//!
//! The functions take the keyspace rather than the whole [`Ctx`](super::Ctx) so a handler can
//! hold a value and write its reply at the same time.

use super::errors::{self, CmdError};
use crate::db::{Keyspace, Lookup};
use crate::types::Collection;

/// The value of `key` as a `T`: `None` when the key is missing, WRONGTYPE when it holds
/// something else.
pub fn get<'a, T: Collection>(
    keyspace: &'a mut Keyspace,
    db: usize,
    key: &[u8],
    mode: Lookup,
) -> Result<Option<&'a mut T>, CmdError> {
    let Some(slot) = keyspace.lookup(db, key, mode) else {
        return Ok(None);
    };
    keyspace
        .collection_mut::<T>(db, slot)
        .map(Some)
        .ok_or(errors::WRONG_TYPE)
}

/// Like [`get`] without touching statistics or access bits, and without expiring: for
/// checking a type before acting (`SMOVE`'s destination, store commands' sources).
pub fn peek<'a, T: Collection>(
    keyspace: &'a Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<&'a T>, CmdError> {
    let Some(slot) = keyspace.peek(db, key) else {
        return Ok(None);
    };
    if keyspace.is_expired(db, slot) {
        return Ok(None);
    }
    keyspace
        .collection::<T>(db, slot)
        .map(Some)
        .ok_or(errors::WRONG_TYPE)
}

/// The value of `key` for writing, created with `create` when the key is missing.
pub fn get_or_create<'a, T: Collection>(
    keyspace: &'a mut Keyspace,
    db: usize,
    key: &[u8],
    create: impl FnOnce() -> T,
) -> Result<&'a mut T, CmdError> {
    let slot = match keyspace.lookup(db, key, Lookup::Write) {
        Some(slot) => slot,
        None => keyspace.add_object(db, key, create().into_object()),
    };
    keyspace
        .collection_mut::<T>(db, slot)
        .ok_or(errors::WRONG_TYPE)
}

/// Records a change to `key`'s collection, deleting the key if the collection is now empty.
/// Returns whether the key was deleted.
pub fn changed(keyspace: &mut Keyspace, db: usize, key: &[u8]) -> bool {
    let empty = keyspace
        .peek(db, key)
        .and_then(|slot| keyspace.object(db, slot))
        .is_some_and(|object| object.is_empty());
    if empty {
        keyspace.delete(db, key);
    } else {
        keyspace.modified(db, key);
    }
    empty
}
