//! The key table: one database's records, hand-written because no crate gives all of few bytes
//! per key, O(1) random sampling, incremental resizing and a SCAN cursor with Redis's guarantee.
//!
//! * **Layout**: open addressing with linear probing. Each slot is an 8-byte `Option<Record>`
//!   plus a one-byte tag (empty, or 7 bits of the hash), so a probe compares tags and touches a
//!   record only on a likely match. Deletion shifts the rest of the cluster back instead of
//!   leaving a tombstone, so churn (eviction, expiry) never degrades probes or forces a
//!   rebuild. Redis's chained dict spends a 32-byte
//!   dictEntry plus an 8-byte bucket per key.
//! * **Any size**: the home slot of hash `h` in a table of `n` slots is `h * n >> 64`, so tables
//!   grow by 1.6× rather than doubling, keeping the load between 0.5 and 0.8.
//! * **Incremental resize**: a resize allocates the new table and moves at most
//!   [`MIGRATE_STEP`] old slots per operation (and more from the cron), as Redis rehashes
//!   incrementally; lookups check both tables meanwhile. Old slots are emptied in index order
//!   (after the leading run, which may hold a cluster wrapped around the end, moved at once), so
//!   a lookup in the old table starts at the migration cursor at the earliest.
//! * **Sampling**: a random slot, then the next occupied one.
//! * **SCAN**: home slots are monotonic in the hash, so the cursor is a position in hash space;
//!   each call covers a hash interval in every table, and a key present for the whole scan is
//!   returned exactly once, even across resizes.

use super::record::Record;

/// The hash of every table: foldhash with a random per-process seed, so that clients cannot
/// choose keys that collide.
#[inline]
pub fn hash(key: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    use std::sync::OnceLock;
    static STATE: OnceLock<foldhash::fast::FixedState> = OnceLock::new();
    STATE
        .get_or_init(|| foldhash::fast::FixedState::with_seed(fastrand::u64(..)))
        .hash_one(key)
}

/// What a table stores: something that knows the hash it is placed by.
pub trait Hashed {
    fn table_hash(&self) -> u64;
}

/// An entry that carries its own key (a record, a hash field, a set member), placed by
/// [`hash`] of that key. Entries that only refer to their key elsewhere (a sorted set's index
/// into its tree) implement [`Hashed`] alone and are found with [`KeyTable::find_by`].
pub trait Keyed {
    fn key(&self) -> &[u8];
}

impl<T: Keyed> Hashed for T {
    #[inline]
    fn table_hash(&self) -> u64 {
        hash(self.key())
    }
}

impl Keyed for Record {
    #[inline]
    fn key(&self) -> &[u8] {
        Record::key(self)
    }
}

/// Bytes one slot of the database table takes: the record handle and its tag.
pub const SLOT_BYTES: usize = size_of::<Option<Record>>() + 1;

const EMPTY: u8 = 0;
/// Grow above this load: records / slots.
const MAX_LOAD_NUM: usize = 4;
const MAX_LOAD_DEN: usize = 5;
/// Slots moved from the old table per operation during a resize.
const MIGRATE_STEP: usize = 16;
const MIN_SLOTS: usize = 8;

#[inline]
fn tag(hash: u64) -> u8 {
    0x80 | (hash as u8 & 0x7f)
}

/// Home slot of `hash` in a table of `n` slots (Lemire's multiply-shift range reduction).
/// Linear probing goes from there; a resize empties old slots in index order, which keeps
/// every unmoved record at or after the migration cursor (clusters that wrapped around the end
/// sit at the start and are moved first).
#[inline]
fn home(hash: u64, n: usize) -> usize {
    ((hash as u128 * n as u128) >> 64) as usize
}

/// The smallest hash whose home slot is at least `slot` in a table of `n` slots.
fn first_hash_of(slot: usize, n: usize) -> u128 {
    ((slot as u128) << 64).div_ceil(n as u128)
}

/// One array of slots.
#[derive(Clone)]
struct Slots<R> {
    tags: Vec<u8>,
    records: Vec<Option<R>>,
    /// Records stored.
    full: usize,
}

impl<R> Default for Slots<R> {
    fn default() -> Self {
        Slots {
            tags: Vec::new(),
            records: Vec::new(),
            full: 0,
        }
    }
}

impl<R: Hashed> Slots<R> {
    fn with_capacity(n: usize) -> Slots<R> {
        Slots {
            tags: vec![EMPTY; n],
            records: std::iter::repeat_with(|| None).take(n).collect(),
            full: 0,
        }
    }

    fn len(&self) -> usize {
        self.tags.len()
    }

    /// The slot of the record with this hash that satisfies `matches`. Probing starts at the
    /// home slot, or at `floor` if that is further: in a table being migrated, every slot below
    /// the migration cursor has been moved and emptied.
    #[inline]
    fn find_by(&self, hash: u64, floor: usize, matches: impl Fn(&R) -> bool) -> Option<usize> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let wanted = tag(hash);
        let mut i = home(hash, n).max(floor);
        if i >= n {
            return None;
        }
        loop {
            let t = self.tags[i];
            if t == EMPTY {
                return None;
            }
            if t == wanted
                && matches(
                    self.records[i]
                        .as_ref()
                        .expect("tagged slot holds a record"),
                )
            {
                return Some(i);
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
    }

    /// Stores a record known to be absent; the table must have a free slot.
    fn insert(&mut self, hash: u64, record: R) -> usize {
        let n = self.len();
        let mut i = home(hash, n);
        while self.tags[i] >= 0x80 {
            i += 1;
            if i == n {
                i = 0;
            }
        }
        self.tags[i] = tag(hash);
        self.records[i] = Some(record);
        self.full += 1;
        i
    }

    /// Takes the record out of `slot` and closes the gap: each following record of the
    /// cluster that may sit earlier (its home is not between the gap and itself) moves back
    /// into it, so every record stays reachable from its home without tombstones.
    fn remove(&mut self, slot: usize) -> R {
        let record = self.records[slot].take().expect("removing a live slot");
        self.full -= 1;
        let n = self.len();
        let distance = |from: usize, to: usize| (to + n - from) % n;
        let mut hole = slot;
        let mut j = slot;
        loop {
            j = if j + 1 == n { 0 } else { j + 1 };
            if self.tags[j] == EMPTY || j == slot {
                break;
            }
            let home = home(
                self.records[j]
                    .as_ref()
                    .expect("tagged slot holds a record")
                    .table_hash(),
                n,
            );
            if distance(home, hole) < distance(home, j) {
                self.tags[hole] = self.tags[j];
                self.records[hole] = self.records[j].take();
                hole = j;
            }
        }
        self.tags[hole] = EMPTY;
        record
    }

    /// Empties a slot being migrated away, returning its record if it held one.
    fn evacuate(&mut self, slot: usize) -> Option<R> {
        match self.tags[slot] {
            EMPTY => None,
            _ => {
                self.tags[slot] = EMPTY;
                self.full -= 1;
                self.records[slot].take()
            }
        }
    }

    fn over_load(&self, extra: usize) -> bool {
        (self.full + extra) * MAX_LOAD_DEN > self.len() * MAX_LOAD_NUM
    }

    fn memory(&self) -> usize {
        self.tags.capacity() + self.records.capacity() * size_of::<Option<R>>()
    }
}

/// Where a record is: in the current table or the one being migrated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    old: bool,
    index: usize,
}

/// Entries keyed by their key: a database's records, or a large collection's elements.
#[derive(Clone)]
pub struct KeyTable<R = Record> {
    current: Slots<R>,
    /// The table being emptied into `current`, and the next slot to move.
    old: Option<(Slots<R>, usize)>,
}

impl<R> Default for KeyTable<R> {
    fn default() -> Self {
        KeyTable {
            current: Slots::default(),
            old: None,
        }
    }
}

impl<R: Keyed> KeyTable<R> {
    pub fn find(&self, hash: u64, key: &[u8]) -> Option<Slot> {
        self.find_by(hash, |record| record.key() == key)
    }
}

impl<R: Hashed> KeyTable<R> {
    pub fn len(&self) -> usize {
        self.current.full + self.old.as_ref().map_or(0, |(old, _)| old.full)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots allocated in both tables (the bucket count `MEMORY STATS` reports).
    pub fn slots(&self) -> usize {
        self.current.len() + self.old.as_ref().map_or(0, |(old, _)| old.len())
    }

    /// Bytes of the slot arrays (the table overhead, records excluded).
    pub fn memory(&self) -> usize {
        self.current.memory() + self.old.as_ref().map_or(0, |(old, _)| old.memory())
    }

    /// Whether a resize is in progress.
    pub fn is_rehashing(&self) -> bool {
        self.old.is_some()
    }

    /// Finds the record with this hash that satisfies `matches` (a key comparison, or a key's
    /// position in the expires list).
    pub fn find_by(&self, hash: u64, matches: impl Fn(&R) -> bool + Copy) -> Option<Slot> {
        if let Some(index) = self.current.find_by(hash, 0, matches) {
            return Some(Slot { old: false, index });
        }
        let (old, cursor) = self.old.as_ref()?;
        old.find_by(hash, *cursor, matches)
            .map(|index| Slot { old: true, index })
    }

    fn slots_of(&self, slot: Slot) -> &Slots<R> {
        if slot.old {
            &self.old.as_ref().expect("slot in the old table").0
        } else {
            &self.current
        }
    }

    pub fn get(&self, slot: Slot) -> &R {
        self.slots_of(slot).records[slot.index]
            .as_ref()
            .expect("slot holds a record")
    }

    pub fn get_mut(&mut self, slot: Slot) -> &mut R {
        let slots = if slot.old {
            &mut self.old.as_mut().expect("slot in the old table").0
        } else {
            &mut self.current
        };
        slots.records[slot.index]
            .as_mut()
            .expect("slot holds a record")
    }

    /// Replaces the record in a slot (same key), returning the previous one.
    pub fn replace(&mut self, slot: Slot, record: R) -> R {
        std::mem::replace(self.get_mut(slot), record)
    }

    pub fn remove(&mut self, slot: Slot) -> R {
        if slot.old {
            self.old
                .as_mut()
                .expect("slot in the old table")
                .0
                .remove(slot.index)
        } else {
            self.current.remove(slot.index)
        }
    }

    /// Inserts a record whose key is absent; `hash` is the key's hash. Grows the table first
    /// if it is too full, and moves a step of an ongoing resize. Returns the record's slot.
    pub fn insert(&mut self, hash: u64, record: R) -> Slot {
        self.step();
        if self.current.len() == 0 || self.current.over_load(1) {
            self.start_resize();
        }
        let index = self.current.insert(hash, record);
        Slot { old: false, index }
    }

    /// Starts moving into a table sized for the records plus growth room.
    fn start_resize(&mut self) {
        let records = self.len() + 1;
        self.resize_to((records * 2).max(MIN_SLOTS));
    }

    /// Starts moving into a table of `n` slots. A resize still in progress is finished first,
    /// so at most two tables exist.
    fn resize_to(&mut self, n: usize) {
        self.finish_resize();
        let previous = std::mem::replace(&mut self.current, Slots::with_capacity(n));
        if previous.full > 0 {
            // The run of records at the very start may hold a cluster that wrapped around the
            // end: move it at once, so that no record is left behind an emptied slot it is
            // reached through (the cursor then rests on an empty slot).
            let head = previous
                .tags
                .iter()
                .position(|&t| t == EMPTY)
                .unwrap_or(previous.len());
            self.old = Some((previous, 0));
            self.migrate(head);
        }
    }

    /// Grows, in one step, to hold `additional` more records at the highest load allowed.
    pub fn reserve(&mut self, additional: usize) {
        let wanted = self.len() + additional;
        let n = (wanted * MAX_LOAD_DEN).div_ceil(MAX_LOAD_NUM) + 1;
        if n > self.current.len() {
            self.resize_to(n);
            self.finish_resize();
        }
    }

    fn finish_resize(&mut self) {
        while self.old.is_some() {
            self.migrate(usize::MAX);
        }
    }

    /// Moves up to `slots` slots of an ongoing resize. Returns whether work remains.
    pub fn migrate(&mut self, slots: usize) -> bool {
        let Some((old, cursor)) = &mut self.old else {
            return false;
        };
        let end = old.len().min(cursor.saturating_add(slots));
        while *cursor < end {
            if let Some(record) = old.evacuate(*cursor) {
                let hash = record.table_hash();
                self.current.insert(hash, record);
            }
            *cursor += 1;
        }
        if *cursor >= old.len() || old.full == 0 {
            self.old = None;
            return false;
        }
        true
    }

    fn step(&mut self) {
        if self.old.is_some() {
            self.migrate(MIGRATE_STEP);
        }
    }

    /// Drops every record, giving back the slot arrays.
    pub fn clear(&mut self) -> Vec<R> {
        let mut records: Vec<R> = Vec::with_capacity(self.len());
        for slots in std::iter::once(&mut self.current).chain(self.old.as_mut().map(|(s, _)| s)) {
            records.extend(slots.records.iter_mut().filter_map(Option::take));
        }
        self.current = Slots::default();
        self.old = None;
        records
    }

    /// Every record, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &R> {
        self.current
            .records
            .iter()
            .chain(self.old.iter().flat_map(|(old, _)| old.records.iter()))
            .flatten()
    }

    /// The slot arrays with, for each, the first index that may hold a record (a table being
    /// migrated from is empty below its cursor).
    fn tables(&self) -> impl Iterator<Item = (bool, &Slots<R>, usize)> {
        std::iter::once((false, &self.current, 0))
            .chain(self.old.as_ref().map(|(old, cursor)| (true, old, *cursor)))
    }

    /// A record chosen uniformly at random: random slots until one is occupied (as Redis
    /// retries random buckets); after a run of misses in a sparse table, the k-th record for
    /// a random k. Taking the next occupied slot after a random one would favour records that
    /// follow a gap, which Redis's suite detects (`HRANDFIELD`'s chi-square tests).
    pub fn random(&self, rng: &mut fastrand::Rng) -> Option<Slot> {
        let total = self.len();
        if total == 0 {
            return None;
        }
        // Pick the table in proportion to its records.
        let in_old = self
            .old
            .as_ref()
            .is_some_and(|(old, _)| rng.usize(0..total) < old.full);
        let (_, slots, floor) = self.tables().find(|(old, _, _)| *old == in_old)?;
        let span = slots.len() - floor;
        const PROBES: usize = 32;
        let occupied = |i: &usize| slots.tags[*i] >= 0x80;
        if let Some(index) = (0..PROBES)
            .map(|_| floor + rng.usize(0..span))
            .find(occupied)
        {
            return Some(Slot { old: in_old, index });
        }
        let k = rng.usize(0..slots.full);
        (floor..slots.len())
            .filter(occupied)
            .nth(k)
            .map(|index| Slot { old: in_old, index })
    }

    /// Up to `count` records from random starting slots onward (Redis's `dictGetSomeKeys`):
    /// each table gives its share in proportion to its records, and the walk gives up after
    /// ten slots per record wanted, so a table that is still nearly empty (just after a
    /// resize started) costs little. May return fewer than `count`.
    pub fn sample(&self, count: usize, rng: &mut fastrand::Rng, out: &mut Vec<Slot>) {
        out.clear();
        let total = self.len();
        if total == 0 {
            return;
        }
        for (old, slots, floor) in self.tables() {
            if slots.full == 0 {
                continue;
            }
            let span = slots.len() - floor;
            let want = (count * slots.full).div_ceil(total).min(slots.full);
            let start = rng.usize(0..span);
            let mut taken = 0;
            for k in 0..span.min(want * 10) {
                if taken == want {
                    break;
                }
                let index = floor + (start + k) % span;
                if slots.tags[index] >= 0x80 {
                    out.push(Slot { old, index });
                    taken += 1;
                }
            }
        }
    }

    /// One step of SCAN from `cursor` returning about `count` entries: the slots to visit are
    /// scaled by the table's load.
    pub fn scan_entries(&self, cursor: u64, count: usize, visit: impl FnMut(&R)) -> u64 {
        let slots = if self.is_empty() {
            count
        } else {
            (count * self.slots()).div_ceil(self.len()).max(1)
        };
        self.scan(cursor, slots, visit)
    }

    /// One step of SCAN from `cursor`: visits about `count` home slots of the current table
    /// and the matching hash range of the old one, calling `visit` with every record whose
    /// hash lies in the range. Returns the next cursor, 0 when the scan is complete.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut visit: impl FnMut(&'a R)) -> u64 {
        let Some((low, high, next)) = self.scan_bounds(cursor, count) else {
            return 0;
        };
        for (_, slots, floor) in self.tables() {
            scan_range(slots, floor, low, high, &mut |i| {
                visit(
                    slots.records[i]
                        .as_ref()
                        .expect("tagged slot holds a record"),
                )
            });
        }
        next
    }

    /// [`KeyTable::scan`] with mutable access to each record (a snapshot marks what it saved).
    /// `ahead` sees every record of the step before `visit` sees the first, so their cache
    /// misses can overlap (a record prefetch).
    pub fn scan_mut(
        &mut self,
        cursor: u64,
        count: usize,
        mut ahead: impl FnMut(&R),
        mut visit: impl FnMut(&mut R),
    ) -> u64 {
        let Some((low, high, next)) = self.scan_bounds(cursor, count) else {
            return 0;
        };
        let mut hits = Vec::new();
        scan_range(&self.current, 0, low, high, &mut |i| hits.push(i));
        let mut old_hits = Vec::new();
        if let Some((old, floor)) = &self.old {
            scan_range(old, *floor, low, high, &mut |i| old_hits.push(i));
        }
        for &i in &hits {
            ahead(
                self.current.records[i]
                    .as_ref()
                    .expect("tagged slot holds a record"),
            );
        }
        if let Some((old, _)) = &self.old {
            for &i in &old_hits {
                ahead(old.records[i].as_ref().expect("tagged slot holds a record"));
            }
        }
        for &i in &hits {
            visit(
                self.current.records[i]
                    .as_mut()
                    .expect("tagged slot holds a record"),
            );
        }
        if let Some((old, _)) = &mut self.old {
            for &i in &old_hits {
                visit(old.records[i].as_mut().expect("tagged slot holds a record"));
            }
        }
        next
    }

    /// The hash interval `[low, high)` a SCAN step from `cursor` over about `count` home
    /// slots covers, aligned to current-table slots, and the cursor after it (0 at the end);
    /// `None` for an empty table.
    fn scan_bounds(&self, cursor: u64, count: usize) -> Option<(u128, u128, u64)> {
        let n = self.current.len();
        if n == 0 && self.old.is_none() {
            return None;
        }
        let low = cursor as u128;
        let (high, done) = if n == 0 {
            (1u128 << 64, true)
        } else {
            let first = home(cursor, n);
            let last = first.saturating_add(count.max(1)).min(n);
            let high = first_hash_of(last, n);
            (high, last >= n)
        };
        Some((low, high, if done { 0 } else { high as u64 }))
    }
}

/// Calls `visit` with the index of every record of `slots` whose hash is in `[low, high)`. In a table being
/// migrated from, slots below `floor` are empty: the walk starts there at the earliest, as a
/// lookup does, or it would stop at the emptied head of a cluster whose tail still holds
/// records of the range.
fn scan_range<R: Hashed>(
    slots: &Slots<R>,
    floor: usize,
    low: u128,
    high: u128,
    visit: &mut impl FnMut(usize),
) {
    let n = slots.len();
    if n == 0 || slots.full == 0 {
        return;
    }
    let first = home(low as u64, n);
    let last_home = if high >= 1 << 64 {
        n - 1
    } else {
        home((high - 1) as u64, n)
    };
    // Homes are monotonic in the hash, so `first <= last_home`. Records of these homes sit
    // from their home onward, before the next empty slot: walk from the first home, wrapping
    // at the end, until an empty slot past the last home.
    let start = first.max(floor);
    let span = (last_home + 1).saturating_sub(start);
    // A record's hash is only needed where its home could lie outside the range: before the
    // first empty slot of the walk (its cluster may have started before `first`) and past the
    // last home. Between them every record's home is in range, so the range test (which reads
    // and hashes the key, a cache miss per record) is skipped. This holds when the range
    // starts exactly at `first`'s first hash and no migrated-out prefix (`floor`) hides the
    // slots before it.
    let aligned = floor == 0 && low == first_hash_of(first, n);
    let mut clean = aligned && slots.tags[(start + n - 1) % n] == EMPTY;
    for step in 0..n {
        let i = (start + step) % n;
        let t = slots.tags[i];
        if t == EMPTY {
            if step >= span {
                break;
            }
            clean = aligned;
            continue;
        }
        if t >= 0x80 {
            if clean && step < span {
                visit(i);
                continue;
            }
            let record = slots.records[i]
                .as_ref()
                .expect("tagged slot holds a record");
            let h = record.table_hash() as u128;
            if h >= low && h < high {
                visit(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::Value;
    use std::collections::{BTreeSet, HashMap};

    fn hasher() -> impl Fn(&[u8]) -> u64 {
        hash
    }

    fn record(key: &str) -> Record {
        Record::new(key.as_bytes(), Value::Str(b"v"), false, 0, None)
    }

    fn keys(table: &KeyTable<Record>) -> BTreeSet<String> {
        table
            .iter()
            .map(|r| String::from_utf8(r.key().to_vec()).unwrap())
            .collect()
    }

    /// Chi-square of `random`'s picks over the table's records, dense and after most
    /// records were removed (where the probes miss and the fallback picks).
    #[test]
    fn random_picks_are_uniform() {
        let h = hasher();
        let mut rng = fastrand::Rng::with_seed(7);
        for (size, keep) in [(10, 10), (2000, 10)] {
            let mut table = KeyTable::default();
            for i in 0..size {
                let key = format!("k{i}");
                table.insert(h(key.as_bytes()), record(&key));
            }
            for i in keep..size {
                let key = format!("k{i}");
                let slot = table.find(h(key.as_bytes()), key.as_bytes()).unwrap();
                table.remove(slot);
            }
            let picks = 100_000;
            let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
            for _ in 0..picks {
                let slot = table.random(&mut rng).unwrap();
                *counts.entry(table.get(slot).key().to_vec()).or_default() += 1;
            }
            assert_eq!(counts.len(), keep);
            let expected = picks as f64 / keep as f64;
            let chi_square: f64 = counts
                .values()
                .map(|&n| (n as f64 - expected).powi(2) / expected)
                .sum();
            // 9 degrees of freedom: 40 has a probability of about 1e-5 (the suite's bound).
            assert!(
                chi_square < 40.0,
                "chi-square {chi_square} for {size}/{keep}"
            );
        }
    }

    #[test]
    fn insert_find_remove_through_resizes() {
        let h = hasher();
        let mut table = KeyTable::default();
        let mut model = HashMap::new();
        for i in 0..20_000 {
            let key = format!("key:{i}");
            table.insert(h(key.as_bytes()), record(&key));
            model.insert(key, ());
            if i % 3 == 0 {
                let victim = format!("key:{}", i / 2);
                if let Some(slot) = table.find(h(victim.as_bytes()), victim.as_bytes()) {
                    assert_eq!(table.remove(slot).key(), victim.as_bytes());
                    model.remove(&victim);
                }
            }
        }
        assert_eq!(table.len(), model.len());
        for key in model.keys() {
            let slot = table.find(h(key.as_bytes()), key.as_bytes()).expect(key);
            assert_eq!(table.get(slot).key(), key.as_bytes());
        }
        assert!(table.find(h(b"absent"), b"absent").is_none());
        let load = table.len() as f64 / table.slots() as f64;
        assert!(load > 0.3, "load {load}");
    }

    #[test]
    fn a_cluster_wrapped_around_the_end_stays_reachable_during_a_resize() {
        let h = hasher();
        let mut table = KeyTable::default();
        table.reserve(20);
        let n = table.slots();
        // Keys whose home is the last slot: the second and third wrap to slots 0 and 1.
        let wrapped: Vec<String> = (0..)
            .map(|i| format!("w{i}"))
            .filter(|k| home(h(k.as_bytes()), n) == n - 1)
            .take(3)
            .collect();
        for key in &wrapped {
            table.insert(h(key.as_bytes()), record(key));
        }
        assert!(table.current.tags[0] >= 0x80 && table.current.tags[1] >= 0x80);
        table.resize_to(n * 2);
        while table.is_rehashing() {
            for key in &wrapped {
                assert!(
                    table.find(h(key.as_bytes()), key.as_bytes()).is_some(),
                    "{key}"
                );
            }
            let mut seen = 0;
            let mut cursor = 0;
            loop {
                cursor = table.scan(cursor, 1, |_| seen += 1);
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(seen, 3);
            table.migrate(1);
        }
    }

    #[test]
    fn resizes_are_incremental() {
        let h = hasher();
        let mut table = KeyTable::default();
        let mut saw_rehash = false;
        for i in 0..5000 {
            let key = format!("k{i}");
            table.insert(h(key.as_bytes()), record(&key));
            saw_rehash |= table.is_rehashing();
            // Every key stays reachable while two tables exist.
            let probe = format!("k{}", i / 2);
            assert!(table.find(h(probe.as_bytes()), probe.as_bytes()).is_some());
            if table.is_rehashing() && i < 2000 {
                for j in 0..=i {
                    let key = format!("k{j}");
                    assert!(
                        table.find(h(key.as_bytes()), key.as_bytes()).is_some(),
                        "{key}"
                    );
                }
            }
        }
        assert!(saw_rehash);
        while table.migrate(100) {}
        assert!(!table.is_rehashing());
        assert_eq!(table.len(), 5000);
    }

    #[test]
    fn scan_returns_every_present_key_once_across_resizes() {
        // Thirty rounds of different keys: where clusters fall relative to a migration cursor
        // depends on the hashes.
        for round in 0..30 {
            scan_round(round);
        }
    }

    fn scan_round(round: usize) {
        let h = hasher();
        let mut table = KeyTable::default();
        let stable: Vec<String> = (0..500).map(|i| format!("stable:{round}:{i}")).collect();
        for key in &stable {
            table.insert(h(key.as_bytes()), record(key));
        }
        let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut cursor = 0;
        let mut extra = 0;
        let mut resizes = 0;
        loop {
            cursor = table.scan(cursor, 10, |r| {
                *seen.entry(r.key().to_vec()).or_default() += 1
            });
            // Grow the table between calls, forcing resizes mid-scan.
            let slots_before = table.slots();
            for _ in 0..10 {
                let key = format!("new:{round}:{extra}");
                extra += 1;
                table.insert(h(key.as_bytes()), record(&key));
            }
            resizes += (table.slots() != slots_before) as usize;
            if cursor == 0 {
                break;
            }
        }
        assert!(resizes >= 2, "the scan crossed {resizes} resizes");
        for key in &stable {
            assert_eq!(seen.get(key.as_bytes()), Some(&1), "{key}");
        }
        assert!(seen.values().all(|&c| c == 1));
    }

    #[test]
    fn sampling_finds_records() {
        let h = hasher();
        let mut table = KeyTable::default();
        let mut rng = fastrand::Rng::with_seed(1);
        assert!(table.random(&mut rng).is_none());
        for i in 0..100 {
            let key = format!("s{i}");
            table.insert(h(key.as_bytes()), record(&key));
        }
        let mut seen = BTreeSet::new();
        for _ in 0..2000 {
            let slot = table.random(&mut rng).unwrap();
            seen.insert(table.get(slot).key().to_vec());
        }
        assert!(
            seen.len() > 80,
            "random picks reach most keys: {}",
            seen.len()
        );
        let mut out = Vec::new();
        table.sample(5, &mut rng, &mut out);
        assert_eq!(out.len(), 5);
        let cleared = table.clear();
        assert_eq!(cleared.len(), 100);
        assert!(table.is_empty());
        assert!(keys(&table).is_empty());
    }
}
