//! The keyspace: databases of records, expiry, access tracking and WATCH.
//!
//! A [`Db`] is a [`KeyTable`] of records plus the list of keys that have a TTL (so the active
//! expire cycle and the `volatile-*` policies sample only those). [`Keyspace`] holds the
//! databases and what every key operation needs around them: the command's time snapshot, the
//! LRU clock, hit/miss and expiry statistics, the dirty counter, and watched keys.

pub mod access;
pub mod blocking;
mod copy;
pub mod digest;
pub mod expire;
pub mod info;
pub mod invalidate;
pub mod lazyfree;
pub mod notify;
pub mod propagate;
pub use crate::store::record;
pub use crate::store::table;
pub mod snapshot;
pub mod watch;

use record::{Record, Value};
use table::{KeyTable, Slot};
use zmalloc::AllocError;

use crate::types::{Collection, Object, ObjectView, Objects};

pub use access::AccessPolicy;

/// One database.
#[derive(Default)]
pub struct Db {
    pub table: KeyTable,
    /// Hashes of the keys that have an expire time; a record stores its position here.
    pub(crate) expires: Vec<u64>,
    /// Average TTL of keys with an expire, estimated by the active expire cycle (ms).
    pub avg_ttl: u64,
    /// The collections (lists, hashes, sets, sorted sets) of this database's keys; a record
    /// holds its value's kind and index here.
    pub objects: Objects,
}

impl Db {
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Keys with an expire time.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }
}

/// How a key is looked up (Redis's `LOOKUP_*` flags).
/// What a string write does to the key's TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    /// Drop any TTL (plain `SET`).
    Clear,
    /// Keep the TTL the key has (`KEEPTTL`, `SETRANGE`, `INCR`).
    Keep,
    /// Expire at this Unix time in ms (`SET EX`, `SETEX`).
    At(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// A read: counts a keyspace hit or miss, updates the access bits, and announces a miss
    /// (`keymiss`).
    Read,
    /// A read that leaves the access bits alone (`TYPE`, `TTL`, `EXISTS`); a miss is
    /// announced.
    ReadNoTouch,
    /// A read that neither touches nor announces a miss (`OBJECT`: Redis's
    /// `LOOKUP_NOTOUCH|LOOKUP_NONOTIFY`).
    ReadQuiet,
    /// A write: updates the access bits, counts nothing.
    Write,
}

/// Keyspace counters shown in `INFO stats` and `INFO persistence`.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyspaceStats {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    /// Changes since start (`rdb_changes_since_last_save`).
    pub dirty: u64,
}

/// All databases and their shared bookkeeping.
pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// Unix time in milliseconds at which the current command runs (Redis's command time
    /// snapshot); expiry is judged against it.
    pub now_ms: u64,
    /// Redis's LRU clock (seconds, 24 bits), refreshed by the cron.
    pub lru_clock: u32,
    pub access: AccessPolicy,
    pub stats: KeyspaceStats,
    pub(crate) watch: watch::Watches,
    /// Clients blocked on keys, and the keys that changed under them.
    pub blocking: blocking::Blocking,
    /// Keyspace notifications to publish.
    pub notifications: notify::Notifications,
    /// Changed keys for client-side caching to invalidate (recorded only while some client
    /// tracks).
    pub invalidations: invalidate::Invalidations,
    /// Operations to propagate to the AOF (recorded only while it is on).
    pub propagation: propagate::Pending,
    pub rng: fastrand::Rng,
    pub lazyfree: lazyfree::LazyFree,
    /// `lazyfree-lazy-expire`: expired keys' values are freed on the lazy-free thread.
    pub lazy_expire: bool,
    /// The cron's active expire cycle runs (`DEBUG SET-ACTIVE-EXPIRE 0` stops it).
    pub active_expire_enabled: bool,
    /// `CLIENT PAUSE` in effect: expired keys read as missing but are not deleted.
    pub expiry_paused: bool,
    /// Commands are replayed from an AOF: no key reads as expired and an expire time already
    /// past does not delete at once (Redis does not expire while loading), so the file's
    /// commands meet the keys they met when they were written.
    pub replaying: bool,
    /// Samples reused by eviction and expiry.
    pub(crate) sample_buf: Vec<Slot>,
    /// The epoch a record entering a table gets; flipped when a snapshot starts.
    pub(crate) epoch: bool,
    /// The snapshot in progress, if any (`snapshot.rs`).
    pub(crate) snapshot: Option<snapshot::ActiveSnapshot>,
}

/// The result of an operation that may need memory a client asked for.
pub type Alloc<T> = Result<T, AllocError>;

impl Keyspace {
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            now_ms: access::unix_ms(),
            lru_clock: access::lru_clock_now(),
            access: AccessPolicy::default(),
            stats: KeyspaceStats::default(),
            watch: watch::Watches::default(),
            blocking: blocking::Blocking::default(),
            notifications: notify::Notifications::default(),
            invalidations: invalidate::Invalidations::default(),
            propagation: propagate::Pending::default(),
            rng: fastrand::Rng::new(),
            lazyfree: lazyfree::LazyFree::start(),
            lazy_expire: false,
            active_expire_enabled: true,
            expiry_paused: false,
            replaying: false,
            sample_buf: Vec::new(),
            epoch: false,
            snapshot: None,
        }
    }

    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        table::hash(key)
    }

    /// Finds a live key: an expired one is deleted on the way (lazy expiry) and reported
    /// absent. Updates statistics and access bits per `mode`.
    pub fn lookup(&mut self, db: usize, key: &[u8], mode: Lookup) -> Option<Slot> {
        let hash = self.hash(key);
        let found = self.dbs[db].table.find(hash, key);
        let slot = match found {
            Some(slot) if self.is_expired(db, slot) => {
                if !self.expiry_paused {
                    self.expire_now(db, slot);
                }
                None
            }
            other => other,
        };
        match (slot, mode) {
            (Some(slot), Lookup::Read | Lookup::Write) => {
                if mode == Lookup::Read {
                    self.stats.keyspace_hits += 1;
                }
                let clock = self.lru_clock;
                let access = self.access;
                let record = self.dbs[db].table.get_mut(slot);
                record.set_access(access.touch(record.access(), clock));
            }
            (Some(_), Lookup::ReadNoTouch | Lookup::ReadQuiet) => self.stats.keyspace_hits += 1,
            (None, Lookup::Read | Lookup::ReadNoTouch) => {
                self.stats.keyspace_misses += 1;
                self.notifications
                    .push(crate::config::notify::KEY_MISS, "keymiss", db, key);
            }
            (None, Lookup::ReadQuiet) => self.stats.keyspace_misses += 1,
            (None, Lookup::Write) => {}
        }
        slot
    }

    /// Deletes `key` if it has expired (unless expiry is paused), without touching statistics
    /// or access bits (Redis's `expireIfNeeded`); returns whether the key is gone or absent.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        match self.dbs[db].table.find(self.hash(key), key) {
            Some(slot) if self.is_expired(db, slot) => {
                if !self.expiry_paused {
                    self.expire_now(db, slot);
                }
                true
            }
            found => found.is_none(),
        }
    }

    /// Finds a key without expiring it or touching anything (`MEMORY USAGE`, `DEBUG OBJECT`,
    /// `SCAN`'s filters).
    pub fn peek(&self, db: usize, key: &[u8]) -> Option<Slot> {
        self.dbs[db].table.find(self.hash(key), key)
    }

    pub fn record(&self, db: usize, slot: Slot) -> &Record {
        self.dbs[db].table.get(slot)
    }

    /// A record for changing in place: a snapshot in progress writes it first.
    pub fn record_mut(&mut self, db: usize, slot: Slot) -> &mut Record {
        self.presave(db, slot);
        self.dbs[db].table.get_mut(slot)
    }

    /// Whether the record in `slot` has expired at the command's time.
    pub fn is_expired(&self, db: usize, slot: Slot) -> bool {
        !self.replaying
            && self.dbs[db]
                .table
                .get(slot)
                .expire()
                .is_some_and(|(when, _)| self.now_ms > when)
    }

    /// Whether an expire time a command sets is already past, so the command deletes the key
    /// instead (Redis's `checkAlreadyExpired`); never while replaying an AOF.
    pub fn already_expired(&self, when_ms: i64) -> bool {
        !self.replaying && when_ms <= self.now_ms as i64
    }

    /// Deletes an expired key, counts it and announces it (`expired`).
    fn expire_now(&mut self, db: usize, slot: Slot) {
        self.stats.expired_keys += 1;
        let (record, object) = self.take(db, slot);
        self.watch.touch(db, record.key());
        self.notifications
            .push(crate::config::notify::EXPIRED, "expired", db, record.key());
        self.invalidations.key(record.key(), false);
        self.propagation
            .deletion(db, record.key(), self.lazy_expire);
        self.lazyfree.free_value(record, object, self.lazy_expire);
    }

    /// Records a keyspace notification (Redis's `notifyKeyspaceEvent`); published after the
    /// command by the server.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &'static str, db: usize, key: &[u8]) {
        self.notifications.push(class, event, db, key);
    }

    /// Access bits for a new key: the current LRU clock, or a fresh LFU counter.
    pub fn new_access(&self) -> u32 {
        self.access.initial(self.lru_clock)
    }

    /// Stores a string value under `key` (Redis's `setKey`): replaces any value, its TTL set
    /// as `ttl` says. Returns the slot. Fails without changing anything if the record cannot
    /// be allocated.
    pub fn set(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl) -> Alloc<Slot> {
        let hash = self.hash(key);
        let existing = self.find_for_write(db, hash, key);
        self.store_string(db, key, Some(hash), existing, value, ttl)
    }

    /// The record a store is about to replace: an expired one is deleted first (announced
    /// `expired`), so the store adds the key anew, as Redis's `setKey` does through its write
    /// lookup.
    fn find_for_write(&mut self, db: usize, hash: u64, key: &[u8]) -> Option<Slot> {
        match self.dbs[db].table.find(hash, key) {
            Some(slot) if !self.expiry_paused && self.is_expired(db, slot) => {
                self.expire_now(db, slot);
                None
            }
            found => found,
        }
    }

    /// [`Self::set`] for a key the caller has just looked up with [`Lookup::Write`] and not
    /// changed since: `existing` is what that lookup returned, so the key is not searched again
    /// (Redis's `setKey` with `SETKEY_ALREADY_EXIST`/`SETKEY_DOESNT_EXIST`).
    pub fn set_found(
        &mut self,
        db: usize,
        key: &[u8],
        existing: Option<Slot>,
        value: Value,
        ttl: Ttl,
    ) -> Alloc<Slot> {
        debug_assert_eq!(existing, self.dbs[db].table.find(self.hash(key), key));
        self.store_string(db, key, None, existing, value, ttl)
    }

    /// [`Self::set`] once `existing` is known; `hash` is the key's, if already computed. The
    /// record is built once, with its TTL: in place when the old one has room for the value
    /// and the TTL, otherwise new.
    fn store_string(
        &mut self,
        db: usize,
        key: &[u8],
        hash: Option<u64>,
        existing: Option<Slot>,
        value: Value,
        ttl: Ttl,
    ) -> Alloc<Slot> {
        // An overwritten key keeps its LFU counter, as in Redis's `dbOverwrite`; under LRU it
        // is a fresh value, accessed now.
        let access = match existing {
            Some(slot) if self.access.lfu => self.dbs[db].table.get(slot).access(),
            _ => self.new_access(),
        };
        let old_expire = existing.and_then(|slot| self.dbs[db].table.get(slot).expire());
        if let Some(slot) = existing {
            let record = self.record_mut(db, slot);
            // A new TTL fits in place only where the old record already has one; clearing a
            // TTL needs a record without the field (`overwrite_in_place` refuses otherwise).
            let (fits, keep_field) = match ttl {
                Ttl::Keep => (true, true),
                Ttl::Clear => (true, false),
                Ttl::At(_) => (old_expire.is_some(), true),
            };
            if fits && record.overwrite_in_place(value, is_raw(&value), access, keep_field) {
                if let (Ttl::At(when), Some((_, index))) = (ttl, old_expire) {
                    record.set_expire_in_place(when, index);
                }
                self.modified(db, key);
                return Ok(slot);
            }
        }
        // A new TTL takes the old one's entry in the expires list, or a new entry at its end.
        let (expire, new_entry) = match (ttl, old_expire) {
            (Ttl::Keep, old) => (old, false),
            (Ttl::Clear, _) => (None, false),
            (Ttl::At(when), Some((_, index))) => (Some((when, index)), false),
            (Ttl::At(when), None) => (Some((when, self.dbs[db].expires.len() as u32)), true),
        };
        let record = Record::try_new(key, value, is_raw(&value), access, expire)?;
        let hash = hash.unwrap_or_else(|| self.hash(key));
        let slot = self.place(db, hash, key, existing, record);
        if new_entry {
            self.dbs[db].expires.push(hash);
        }
        Ok(slot)
    }

    /// Stores several string values at once (`MSET`): every record is built before any is
    /// stored, so when memory runs out nothing changes.
    pub fn set_many(&mut self, db: usize, pairs: &[(&[u8], Value)]) -> Alloc<()> {
        let mut records = Vec::new();
        records
            .try_reserve_exact(pairs.len())
            .map_err(|_| AllocError {
                size: pairs.len() * size_of::<Record>(),
            })?;
        for (key, value) in pairs {
            records.push(Record::try_new(
                key,
                *value,
                is_raw(value),
                self.new_access(),
                None,
            )?);
        }
        for ((key, _), record) in pairs.iter().zip(records) {
            let hash = self.hash(key);
            let existing = self.find_for_write(db, hash, key);
            self.place(db, hash, key, existing, record);
            // MSET announces each key as it is stored, after its `new`.
            self.notifications
                .push(crate::config::notify::STRING, "set", db, key);
        }
        Ok(())
    }

    /// Puts a new string record for its key, replacing the record in `existing` (whose TTL the
    /// new record either carries over or drops) and freeing its value.
    fn place(
        &mut self,
        db: usize,
        hash: u64,
        key: &[u8],
        existing: Option<Slot>,
        record: Record,
    ) -> Slot {
        let slot = match existing {
            Some(slot) => {
                let keeps_ttl = record.expire().is_some();
                let old = self.replace_record(db, slot, record);
                if let (Some((_, index)), false) = (old.expire(), keeps_ttl) {
                    self.drop_expire_entry(db, index);
                }
                let object = self.take_object(db, &old);
                self.lazyfree.free_value(old, object, false);
                slot
            }
            None => self.insert_record(db, hash, record),
        };
        self.modified(db, key);
        slot
    }

    /// Stores a collection under `key`, replacing any value and dropping its TTL (the store
    /// commands' `setKey`). Returns the slot.
    pub fn set_object(&mut self, db: usize, key: &[u8], object: Object) -> Slot {
        let hash = self.hash(key);
        let existed = self.find_for_write(db, hash, key).map(|slot| {
            let (record, old) = self.take(db, slot);
            self.lazyfree.free_value(record, old, false);
        });
        // Overwriting a key is not adding one (Redis's `dbOverwrite`): no `new` event.
        let slot = self.insert_object(db, key, object, existed.is_none());
        self.modified(db, key);
        slot
    }

    /// Stores a collection under an absent key (not counted as a change: the caller signals
    /// it once its command is done).
    pub fn add_object(&mut self, db: usize, key: &[u8], object: Object) -> Slot {
        self.insert_object(db, key, object, true)
    }

    fn insert_object(&mut self, db: usize, key: &[u8], object: Object, announce: bool) -> Slot {
        let at = self.dbs[db].objects.insert(object);
        let record = Record::new(key, Value::Object(at), false, self.new_access(), None);
        let hash = self.hash(key);
        self.insert_announced(db, hash, record, announce)
    }

    /// The collection a record holds, if it holds one.
    pub fn object(&self, db: usize, slot: Slot) -> Option<ObjectView<'_>> {
        match self.record(db, slot).value() {
            Value::Object(at) => Some(self.dbs[db].objects.get(at)),
            _ => None,
        }
    }

    /// The record's collection if it is a `T`; `None` for a string or another type.
    pub fn collection<T: Collection>(&self, db: usize, slot: Slot) -> Option<&T> {
        match self.record(db, slot).value() {
            Value::Object(at) => self.dbs[db].objects.typed(at),
            _ => None,
        }
    }

    /// The record's collection for changing: a snapshot in progress writes the key first.
    pub fn collection_mut<T: Collection>(&mut self, db: usize, slot: Slot) -> Option<&mut T> {
        self.presave(db, slot);
        match self.record(db, slot).value() {
            Value::Object(at) => self.dbs[db].objects.typed_mut(at),
            _ => None,
        }
    }

    /// Takes a record's collection out of the database's objects.
    fn take_object(&mut self, db: usize, record: &Record) -> Option<Object> {
        match record.value() {
            Value::Object(at) => Some(self.dbs[db].objects.remove(at)),
            _ => None,
        }
    }

    /// Takes a key out of its database: its record and its collection, if any.
    pub fn take(&mut self, db: usize, slot: Slot) -> (Record, Option<Object>) {
        let record = self.remove_slot(db, slot);
        let object = self.take_object(db, &record);
        (record, object)
    }

    /// Inserts a record for an absent key, announcing it (`new`, Redis's `dbAdd`).
    pub fn insert_record(&mut self, db: usize, hash: u64, record: Record) -> Slot {
        self.insert_announced(db, hash, record, true)
    }

    fn insert_announced(
        &mut self,
        db: usize,
        hash: u64,
        mut record: Record,
        announce: bool,
    ) -> Slot {
        if announce {
            self.notifications
                .push(crate::config::notify::NEW, "new", db, record.key());
        }
        record.set_epoch(self.epoch);
        self.dbs[db].table.insert(hash, record)
    }

    /// Puts `record` in `slot` in place of the record there (same key), which it returns; a
    /// snapshot in progress writes the old one first.
    pub fn replace_record(&mut self, db: usize, slot: Slot, mut record: Record) -> Record {
        self.presave(db, slot);
        record.set_epoch(self.epoch);
        self.dbs[db].table.replace(slot, record)
    }

    /// Makes room for `additional` more keys in a database in one step (as Redis's
    /// `dictTryExpand` does before a bulk insertion).
    pub fn reserve(&mut self, db: usize, additional: usize) {
        self.dbs[db].table.reserve(additional);
    }

    /// Deletes a key if present (not checking expiry); returns whether it existed.
    pub fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        self.remove_key(db, key, false)
    }

    /// Deletes a key, freeing a large value on the lazy-free thread (`UNLINK`).
    pub fn unlink(&mut self, db: usize, key: &[u8]) -> bool {
        self.remove_key(db, key, true)
    }

    fn remove_key(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        let Some(slot) = self.peek(db, key) else {
            return false;
        };
        self.remove_at(db, slot, key, lazy);
        true
    }

    /// Deletes `key`, whose record the caller has just found in `slot`.
    pub fn delete_at(&mut self, db: usize, slot: Slot, key: &[u8]) {
        self.remove_at(db, slot, key, false);
    }

    fn remove_at(&mut self, db: usize, slot: Slot, key: &[u8], lazy: bool) {
        let (record, object) = self.take(db, slot);
        self.lazyfree.free_value(record, object, lazy);
        self.modified(db, key);
    }

    /// Takes a record out of its table, removing its expires entry (its collection, if any,
    /// stays in the database's objects: see [`Keyspace::take`]).
    pub fn remove_slot(&mut self, db: usize, slot: Slot) -> Record {
        self.presave(db, slot);
        let record = self.dbs[db].table.remove(slot);
        if let Some((_, index)) = record.expire() {
            self.drop_expire_entry(db, index);
        }
        record
    }

    /// Records a change to `key`: the dirty counter, WATCH (Redis's `signalModifiedKey`), and
    /// clients blocked on it (`signalKeyAsReady`).
    pub fn modified(&mut self, db: usize, key: &[u8]) {
        self.stats.dirty += 1;
        self.watch.touch(db, key);
        self.blocking.signal(db, key);
        self.invalidations.key(key, true);
    }

    /// Sets or changes the expire time of the key in `slot`.
    pub fn set_expire(&mut self, db: usize, slot: Slot, when_ms: u64) -> Alloc<()> {
        self.presave(db, slot);
        let record = self.dbs[db].table.get(slot);
        match record.expire() {
            Some((_, index)) => {
                self.dbs[db]
                    .table
                    .get_mut(slot)
                    .set_expire_in_place(when_ms, index);
            }
            None => {
                let hash = self.hash(record.key());
                let index = self.dbs[db].expires.len() as u32;
                let updated = record.with_expire(Some((when_ms, index)))?;
                self.replace_record(db, slot, updated);
                self.dbs[db].expires.push(hash);
            }
        }
        Ok(())
    }

    /// Removes the expire time of the key in `slot`; returns whether it had one.
    pub fn remove_expire(&mut self, db: usize, slot: Slot) -> Alloc<bool> {
        let record = self.dbs[db].table.get(slot);
        let Some((_, index)) = record.expire() else {
            return Ok(false);
        };
        let updated = record.with_expire(None)?;
        self.replace_record(db, slot, updated);
        self.drop_expire_entry(db, index);
        Ok(true)
    }

    /// Removes position `index` of the expires list, moving the last entry into it and fixing
    /// that key's record.
    fn drop_expire_entry(&mut self, db: usize, index: u32) {
        let db = &mut self.dbs[db];
        let last = db.expires.len() as u32 - 1;
        db.expires.swap_remove(index as usize);
        if index != last {
            let moved_hash = db.expires[index as usize];
            let slot = db
                .table
                .find_by(moved_hash, |r| r.expire().is_some_and(|(_, i)| i == last))
                .expect("every expires entry has its record");
            let record = db.table.get_mut(slot);
            let (when, _) = record.expire().expect("found by its expire");
            record.set_expire_in_place(when, index);
        }
    }

    /// The slot of the key at position `index` of the expires list.
    pub fn expires_slot(&self, db: usize, index: usize) -> Option<Slot> {
        let hash = *self.dbs[db].expires.get(index)?;
        self.dbs[db].table.find_by(hash, |r| {
            r.expire().is_some_and(|(_, i)| i as usize == index)
        })
    }

    /// Empties a database; values are freed on the lazy-free thread when `lazy`. Returns the
    /// number of keys removed.
    pub fn flush_db(&mut self, db: usize, lazy: bool) -> usize {
        self.presave_db(db);
        let table = &self.dbs[db].table;
        self.watch.touch_db(db, |key| {
            (table.find(table::hash(key), key).is_some(), None)
        });
        let records = self.dbs[db].table.clear();
        let objects = std::mem::take(&mut self.dbs[db].objects);
        self.dbs[db].expires = Vec::new();
        self.dbs[db].avg_ttl = 0;
        let removed = records.len();
        self.stats.dirty += removed as u64;
        self.invalidations.flush();
        if lazy {
            self.lazyfree.free_db_async(records, objects);
        } else {
            drop(records);
            drop(objects);
        }
        removed
    }

    /// Exchanges two databases' contents (`SWAPDB`). Clients watching keys in either keep
    /// their database index, so keys may change under them: watchers of keys existing in
    /// either become dirty.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        if a == b {
            return;
        }
        self.presave_db(a);
        self.presave_db(b);
        let now_ms = self.now_ms;
        for (watched_db, other) in [(a, b), (b, a)] {
            let (this, that) = (&self.dbs[watched_db].table, &self.dbs[other].table);
            self.watch.touch_db(watched_db, |key| {
                let hash = table::hash(key);
                let replacement = that.find(hash, key).map(|slot| {
                    that.get(slot)
                        .expire()
                        .is_some_and(|(when, _)| now_ms > when)
                });
                (this.find(hash, key).is_some(), replacement)
            });
        }
        self.dbs.swap(a, b);
        self.stats.dirty += 1;
        self.blocking.signal_db(a);
        self.blocking.signal_db(b);
    }

    /// Moves a resize forward by up to `slots` slots in every database (the cron's
    /// `activerehashing`). Returns whether any database is still resizing.
    pub fn rehash_step(&mut self, slots: usize) -> bool {
        let mut busy = false;
        for db in &mut self.dbs {
            busy |= db.table.migrate(slots);
        }
        busy
    }

    /// Keys in all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }
}

/// Whether a new string value is stored `raw` rather than `embstr`, as Redis decides by length.
fn is_raw(value: &Value) -> bool {
    matches!(value, Value::Str(v) if v.len() > record::EMBSTR_MAX)
}

/// The string value of a record as bytes: the bytes themselves, or an integer's decimal form
/// written into `buf`.
pub fn string_value<'a>(record: &'a Record, buf: &'a mut itoa::Buffer) -> Option<&'a [u8]> {
    match record.value() {
        Value::Str(bytes) => Some(bytes),
        Value::Int(v) => Some(buf.format(v).as_bytes()),
        Value::Object(_) => None,
    }
}

/// Integer encoding of a string value, as Redis's `tryObjectEncoding` decides it: the strict
/// decimal form of an `i64` of at most 20 bytes.
pub fn as_int_encoding(value: &[u8]) -> Option<i64> {
    if value.len() > 20 {
        return None;
    }
    crate::util::parse_i64(value)
}
