//! A point-in-time save that runs beside commands, without fork: the dataset as it was when
//! the save began, written while clients keep reading and writing.
//!
//! Every record carries an epoch bit. Starting a snapshot flips the keyspace's epoch; a record
//! whose bit differs from it is *pending*: it still holds its value from the start of the save
//! and has not been written yet. The walk (`snapshot_step`) visits every database with SCAN
//! cursors, which reach every record present for the whole walk even across table resizes,
//! writes the pending ones and flips their bit. A command that is about to change or delete a
//! pending record writes it first (`presave`); a record created or rewritten during the save
//! enters the table with the new epoch and is not part of the save. So each key is written
//! once, with the value it had when the save began, and the save holds no copy of the data:
//! its memory is the writer's buffer (Dragonfly's scheme, at key rather than bucket level).
//!
//! The format is not known here: keys go to a [`KeySink`] (the RDB writer).

use super::Keyspace;
use super::access::AccessPolicy;
use crate::store::record::Record;
use crate::store::table::Slot;
use crate::types::Objects;

/// What a sink needs to write a key's access information as it was.
#[derive(Debug, Clone, Copy)]
pub struct AccessClock {
    pub lru_clock: u32,
    pub policy: AccessPolicy,
}

/// Where pending keys are written.
pub trait KeySink {
    /// Writes one key of database `db` with its value from `objects`. A write error is kept
    /// by the sink and reported when the save finishes; the walk goes on marking records.
    fn save(&mut self, db: usize, record: &Record, objects: &Objects, clock: AccessClock);

    /// Whether the sink can take the walk's next keys now; `false` while what it holds waits
    /// for its output (keys written before a change are taken regardless).
    fn ready(&mut self) -> bool {
        true
    }

    /// The sink itself, for its owner to finish it once the snapshot ends.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}

/// A snapshot in progress: its sink and how far the walk has come.
pub struct ActiveSnapshot {
    sink: Box<dyn KeySink>,
    /// The database being walked, and the SCAN cursor in it.
    db: usize,
    cursor: u64,
    /// Keys written so far, by the walk or before a change.
    pub keys_saved: u64,
    /// Keys in the keyspace when the save began.
    pub keys_total: u64,
}

impl Keyspace {
    /// Whether a snapshot is in progress.
    pub fn snapshot_active(&self) -> bool {
        self.snapshot.is_some()
    }

    /// The snapshot in progress, for its progress figures.
    pub fn snapshot(&self) -> Option<&ActiveSnapshot> {
        self.snapshot.as_ref()
    }

    /// Starts a snapshot of the keyspace as it is now; keys go to `sink`.
    pub fn begin_snapshot(&mut self, sink: Box<dyn KeySink>) {
        debug_assert!(self.snapshot.is_none());
        self.epoch = !self.epoch;
        self.snapshot = Some(ActiveSnapshot {
            sink,
            db: 0,
            cursor: 0,
            keys_saved: 0,
            keys_total: self.total_keys() as u64,
        });
    }

    /// Whether the snapshot's sink can take the walk's next keys now (see
    /// [`KeySink::ready`]); `true` when no snapshot is in progress.
    pub fn snapshot_ready(&mut self) -> bool {
        self.snapshot
            .as_mut()
            .is_none_or(|active| active.sink.ready())
    }

    /// Walks about `budget` table slots further, writing the pending records found. Returns
    /// `true` once every database has been walked (the sink can then be finished).
    pub fn snapshot_step(&mut self, budget: usize) -> bool {
        let epoch = self.epoch;
        let clock = self.access_clock();
        let Some(active) = self.snapshot.as_mut() else {
            return true;
        };
        let mut budget = budget.max(1);
        while active.db < self.dbs.len() {
            let db = &mut self.dbs[active.db];
            if db.table.is_empty() {
                active.db += 1;
                active.cursor = 0;
                continue;
            }
            let slots = budget.min(db.table.slots().max(1));
            let objects = &db.objects;
            let index = active.db;
            let (sink, saved) = (&mut active.sink, &mut active.keys_saved);
            active.cursor = db
                .table
                .scan_mut(active.cursor, slots, Record::prefetch, |record| {
                    if record.epoch() != epoch {
                        sink.save(index, record, objects, clock);
                        record.set_epoch(epoch);
                        *saved += 1;
                    }
                });
            budget = budget.saturating_sub(slots);
            if active.cursor == 0 {
                active.db += 1;
            }
            if budget == 0 {
                return active.db >= self.dbs.len();
            }
        }
        true
    }

    /// Ends the snapshot and hands back its sink. Every record then carries the current epoch
    /// (the walk has visited them all, or they were written before a change).
    pub fn end_snapshot(&mut self) -> Option<Box<dyn KeySink>> {
        self.snapshot.take().map(|active| active.sink)
    }

    /// Abandons a snapshot before its walk ends (`FLUSHALL`, a write error): the records not
    /// yet visited are marked with the current epoch, so the next snapshot starts clean.
    pub fn abort_snapshot(&mut self) -> Option<Box<dyn KeySink>> {
        let active = self.snapshot.take()?;
        let epoch = self.epoch;
        for db in &mut self.dbs {
            let mut cursor = 0;
            loop {
                cursor = db
                    .table
                    .scan_mut(cursor, 4096, |_| {}, |record| record.set_epoch(epoch));
                if cursor == 0 {
                    break;
                }
            }
        }
        Some(active.sink)
    }

    /// Writes the record in `slot` to the snapshot if it is still pending: called before
    /// anything changes or removes it.
    #[inline]
    pub(crate) fn presave(&mut self, db: usize, slot: Slot) {
        if self.snapshot.is_some() {
            self.presave_pending(db, slot);
        }
    }

    #[cold]
    fn presave_pending(&mut self, db: usize, slot: Slot) {
        let epoch = self.epoch;
        let clock = self.access_clock();
        let Some(active) = self.snapshot.as_mut() else {
            return;
        };
        let database = &mut self.dbs[db];
        let record = database.table.get(slot);
        if record.epoch() == epoch {
            return;
        }
        active.sink.save(db, record, &database.objects, clock);
        active.keys_saved += 1;
        database.table.get_mut(slot).set_epoch(epoch);
    }

    /// Writes every pending record of database `db` (before `FLUSHDB` or `SWAPDB` changes it
    /// as a whole).
    pub(crate) fn presave_db(&mut self, db: usize) {
        if self.snapshot.is_none() {
            return;
        }
        let epoch = self.epoch;
        let clock = self.access_clock();
        let Some(active) = self.snapshot.as_mut() else {
            return;
        };
        let database = &mut self.dbs[db];
        let objects = &database.objects;
        let (sink, saved) = (&mut active.sink, &mut active.keys_saved);
        let mut cursor = 0;
        loop {
            cursor = database
                .table
                .scan_mut(cursor, 4096, Record::prefetch, |record| {
                    if record.epoch() != epoch {
                        sink.save(db, record, objects, clock);
                        record.set_epoch(epoch);
                        *saved += 1;
                    }
                });
            if cursor == 0 {
                break;
            }
        }
    }

    /// The clocks a key's access information is written against.
    pub fn access_clock(&self) -> AccessClock {
        AccessClock {
            lru_clock: self.lru_clock,
            policy: self.access,
        }
    }
}
