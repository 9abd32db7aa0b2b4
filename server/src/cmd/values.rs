//! Typed access to collection values for command handlers: the WRONGTYPE check, creating a
//! key on its first element, and deleting it when its last element goes (Redis never keeps an
//! empty collection).
//!
//! The functions take the keyspace rather than the whole [`Ctx`](super::Ctx) so a handler can
//! hold a value and write its reply at the same time.

use super::errors::{self, CmdError};
use crate::db::table::Slot;
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

/// The value of `key` for writing (`None` when the key is missing, WRONGTYPE when it holds
/// something else), with the slot of its record for [`changed`].
pub fn write<'a, T: Collection>(
    keyspace: &'a mut Keyspace,
    db: usize,
    key: &[u8],
) -> Result<Option<(Slot, &'a mut T)>, CmdError> {
    let Some(slot) = keyspace.lookup(db, key, Lookup::Write) else {
        return Ok(None);
    };
    match keyspace.collection_mut::<T>(db, slot) {
        Some(value) => Ok(Some((slot, value))),
        None => Err(errors::WRONG_TYPE),
    }
}

/// The value of `key` for writing, created with `create` when the key is missing, with the
/// slot of its record for [`changed`].
pub fn get_or_create<'a, T: Collection>(
    keyspace: &'a mut Keyspace,
    db: usize,
    key: &[u8],
    create: impl FnOnce() -> T,
) -> Result<(Slot, &'a mut T), CmdError> {
    let slot = match keyspace.lookup(db, key, Lookup::Write) {
        Some(slot) => slot,
        None => keyspace.add_object(db, key, create().into_object()),
    };
    match keyspace.collection_mut::<T>(db, slot) {
        Some(value) => Ok((slot, value)),
        None => Err(errors::WRONG_TYPE),
    }
}

/// Records a change to the collection of `key`, whose record is in `slot` (as [`write`] or
/// [`get_or_create`] returned it, with no key added or removed since, so the key is not
/// searched again), deleting the key if the collection is now empty. Returns whether the key
/// was deleted.
pub fn changed(keyspace: &mut Keyspace, db: usize, slot: Slot, key: &[u8]) -> bool {
    let empty = keyspace
        .object(db, slot)
        .is_some_and(|object| object.is_empty());
    if empty {
        keyspace.delete_at(db, slot, key);
    } else {
        keyspace.modified(db, key);
    }
    empty
}

/// [`changed`] for a command that announces `event` (of `class`) for its change: the event,
/// then `del` if the emptied key was deleted, the order Redis publishes them in.
pub fn changed_as(
    keyspace: &mut Keyspace,
    db: usize,
    slot: Slot,
    key: &[u8],
    (class, event): (u32, &'static str),
) -> bool {
    keyspace.notify(class, event, db, key);
    let deleted = changed(keyspace, db, slot, key);
    if deleted {
        keyspace.notify(crate::config::notify::GENERIC, "del", db, key);
    }
    deleted
}
