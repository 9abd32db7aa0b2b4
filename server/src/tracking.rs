//! Client-side caching (`CLIENT TRACKING`): each tracking client's mode, and the server's
//! tables of who may hold which key.
//!
//! In the default mode the server remembers, for every key a tracking client read, the ids of
//! the clients that read it; when the key changes, those clients are told to drop it and the
//! key is forgotten until read again. In broadcast mode (`BCAST`) nothing is remembered per
//! key: clients register prefixes, and every changed key that starts with one of them is
//! announced to the prefix's clients. Clients are named by id: a client that goes away leaves
//! its id in the key table, skipped when the key next changes, as Redis does rather than
//! walking the table at every disconnection. The delivery itself is the server state's job
//! (`server::tracking`).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::ops::Bound;

use indexmap::IndexMap;

type Hasher = foldhash::fast::RandomState;

/// A client's tracking mode, from `CLIENT TRACKING ON` and `CLIENT CACHING`.
#[derive(Debug, Default)]
pub struct ClientTracking {
    /// The client that receives this client's invalidations; 0 for itself.
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// `CLIENT CACHING YES` (OPTIN) or `NO` (OPTOUT) given for the next command.
    pub caching: bool,
    /// The redirection target has gone (`R` in `CLIENT LIST`); set while delivering, where
    /// the client may be borrowed by its running command.
    pub broken_redirect: Cell<bool>,
    /// Its broadcast prefixes, sorted.
    pub prefixes: Vec<Box<[u8]>>,
}

impl ClientTracking {
    /// Whether the keys of the read-only command about to finish are remembered: always by
    /// default, after `CLIENT CACHING YES` in OPTIN mode, unless `CLIENT CACHING NO` in
    /// OPTOUT mode; never in broadcast mode.
    pub fn remembers_reads(&self) -> bool {
        let skipped = if self.optin {
            !self.caching
        } else {
            self.optout && self.caching
        };
        !self.bcast && !skipped
    }

    /// Memory of the mode and its prefixes (part of the client's `tot-mem`).
    pub fn memory(&self) -> usize {
        size_of::<ClientTracking>()
            + self.prefixes.capacity() * size_of::<Box<[u8]>>()
            + self.prefixes.iter().map(|p| p.len()).sum::<usize>()
    }
}

/// Whether two broadcast prefixes would both announce some key: one starts the other.
pub fn prefixes_overlap(a: &[u8], b: &[u8]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// One broadcast prefix: its clients, and the keys changed since the last announcement with
/// the id of the client whose command changed each last (`None` for expiry), so a NOLOOP
/// client is not told of its own changes.
#[derive(Debug, Default)]
struct Prefix {
    clients: Vec<u64>,
    changed: BTreeMap<Box<[u8]>, Option<u64>>,
}

/// Changed keys to announce to a prefix's clients.
pub struct Broadcast {
    pub clients: Vec<u64>,
    /// Sorted keys, each with the id of the client that changed it last.
    pub keys: Vec<(Box<[u8]>, Option<u64>)>,
}

/// The server's tracking state.
#[derive(Debug, Default)]
pub struct TrackingTable {
    /// Keys read by tracking clients → ids of those clients (sorted).
    keys: IndexMap<Box<[u8]>, Vec<u64>, Hasher>,
    /// Ids across all keys (`tracking_total_items`).
    items: usize,
    /// Bytes of the keys' names.
    key_bytes: usize,
    prefixes: BTreeMap<Box<[u8]>, Prefix>,
    /// Some prefix has changed keys to announce (saves a walk over the prefixes after every
    /// batch of requests).
    changed: bool,
    /// Clients with tracking on (`tracking_clients`).
    pub clients: usize,
    /// Invalidations for the client whose command runs, sent after its reply: its id and the
    /// key (`None`: every key, a flush).
    deferred: Vec<(u64, Option<Box<[u8]>>)>,
    /// Consecutive runs of the key limit that ended still over it: each run tries harder.
    over_limit_runs: u32,
}

/// Keys the first run over `tracking-table-max-keys` invalidates at most; each run that ends
/// still over the limit adds as many, as Redis's `trackingLimitUsedSlots` does.
const LIMIT_EFFORT: usize = 100;

impl TrackingTable {
    /// Remembers that client `id` may cache `key`.
    pub fn remember(&mut self, key: &[u8], id: u64) {
        let ids = match self.keys.get_mut(key) {
            Some(ids) => ids,
            None => {
                self.key_bytes += key.len();
                self.keys.entry(key.into()).or_default()
            }
        };
        if let Err(at) = ids.binary_search(&id) {
            ids.insert(at, id);
            self.items += 1;
        }
    }

    /// Forgets `key`, returning the clients that may cache it.
    pub fn take_key(&mut self, key: &[u8]) -> Option<Vec<u64>> {
        let ids = self.keys.swap_remove(key)?;
        self.items -= ids.len();
        self.key_bytes -= key.len();
        Some(ids)
    }

    /// Forgets every key (a flush: every tracking client drops its whole cache).
    pub fn clear_keys(&mut self) {
        self.keys = IndexMap::default();
        self.items = 0;
        self.key_bytes = 0;
    }

    /// Keys to invalidate now to come back under `max_keys` (0: no limit), picked at random:
    /// up to 100 on a first run over the limit, 100 more for each run that did not get under
    /// it. The caller invalidates them as if they had changed.
    pub fn keys_over_limit(&mut self, max_keys: u64, rng: &mut fastrand::Rng) -> Vec<Box<[u8]>> {
        let len = self.keys.len() as u64;
        if max_keys == 0 || len <= max_keys {
            self.over_limit_runs = 0;
            return Vec::new();
        }
        let effort = LIMIT_EFFORT * (self.over_limit_runs as usize + 1);
        let excess = (len - max_keys) as usize;
        if excess > effort {
            self.over_limit_runs += 1;
        } else {
            self.over_limit_runs = 0;
        }
        let mut picked: Vec<Box<[u8]>> = Vec::with_capacity(excess.min(effort));
        // Picking from the end of a random permutation without moving entries: swap the pick
        // to the end of the not-yet-picked range (the key table's order means nothing).
        let mut remaining = self.keys.len();
        while picked.len() < excess.min(effort) {
            let at = rng.usize(0..remaining);
            remaining -= 1;
            self.keys.swap_indices(at, remaining);
            picked.push(self.keys.get_index(remaining).expect("in range").0.clone());
        }
        picked
    }

    /// Keeps an invalidation for client `id` until the running command has replied.
    pub fn defer(&mut self, id: u64, key: Option<Box<[u8]>>) {
        self.deferred.push((id, key));
    }

    #[inline]
    pub fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// The deferred invalidations, oldest first; none are left.
    pub fn take_deferred(&mut self) -> Vec<(u64, Option<Box<[u8]>>)> {
        std::mem::take(&mut self.deferred)
    }

    /// Registers client `id` for broadcasts of keys starting with `prefix`.
    pub fn add_prefix(&mut self, prefix: &[u8], id: u64) {
        let entry = self.prefixes.entry(prefix.into()).or_default();
        if let Err(at) = entry.clients.binary_search(&id) {
            entry.clients.insert(at, id);
        }
    }

    /// Unregisters client `id` from `prefix`; a prefix without clients goes.
    pub fn remove_prefix(&mut self, prefix: &[u8], id: u64) {
        if let Some(entry) = self.prefixes.get_mut(prefix) {
            entry.clients.retain(|&c| c != id);
            if entry.clients.is_empty() {
                self.prefixes.remove(prefix);
            }
        }
    }

    #[inline]
    pub fn has_prefixes(&self) -> bool {
        !self.prefixes.is_empty()
    }

    /// Notes a changed key under every prefix it starts with, changed by client `by`.
    pub fn record_change(&mut self, key: &[u8], by: Option<u64>) {
        for (prefix, entry) in self
            .prefixes
            .range_mut::<[u8], _>((Bound::Unbounded, Bound::Included(key)))
        {
            if key.starts_with(prefix) {
                entry.changed.insert(key.into(), by);
                self.changed = true;
            }
        }
    }

    /// The announcements due, one per prefix with changed keys; those keys are forgotten.
    pub fn take_broadcasts(&mut self) -> Vec<Broadcast> {
        self.changed = false;
        self.prefixes
            .values_mut()
            .filter(|p| !p.changed.is_empty())
            .map(|p| Broadcast {
                clients: p.clients.clone(),
                keys: std::mem::take(&mut p.changed).into_iter().collect(),
            })
            .collect()
    }

    /// Whether keys changed under some prefix since the last announcement.
    #[inline]
    pub fn has_broadcasts(&self) -> bool {
        self.changed
    }

    /// `tracking_total_keys`.
    pub fn total_keys(&self) -> usize {
        self.keys.len()
    }

    /// `tracking_total_items`.
    pub fn total_items(&self) -> usize {
        self.items
    }

    /// `tracking_total_prefixes`.
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// Memory of the tables: the key index with its names and id lists, and the prefixes.
    pub fn memory(&self) -> usize {
        let entry = size_of::<Box<[u8]>>() + size_of::<Vec<u64>>() + 2 * size_of::<usize>();
        let ids: usize = self.keys.values().map(|v| v.capacity()).sum();
        self.keys.capacity() * entry
            + self.key_bytes
            + ids * size_of::<u64>()
            + self
                .prefixes
                .iter()
                .map(|(p, e)| {
                    p.len()
                        + size_of::<Prefix>()
                        + e.clients.capacity() * size_of::<u64>()
                        + e.changed.keys().map(|k| k.len() + entry).sum::<usize>()
                })
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_remember_each_client_once_and_are_forgotten_when_taken() {
        let mut table = TrackingTable::default();
        table.remember(b"k", 7);
        table.remember(b"k", 3);
        table.remember(b"k", 7);
        table.remember(b"other", 3);
        assert_eq!((table.total_keys(), table.total_items()), (2, 3));
        assert_eq!(table.take_key(b"k"), Some(vec![3, 7]));
        assert_eq!(table.take_key(b"k"), None);
        assert_eq!((table.total_keys(), table.total_items()), (1, 1));
        table.clear_keys();
        assert_eq!((table.total_keys(), table.total_items()), (0, 0));
    }

    #[test]
    fn the_key_limit_picks_distinct_keys_and_tries_harder_each_run() {
        let mut table = TrackingTable::default();
        for i in 0..350u32 {
            table.remember(i.to_string().as_bytes(), 1);
        }
        let mut rng = fastrand::Rng::with_seed(1);
        assert!(table.keys_over_limit(0, &mut rng).is_empty());
        assert!(table.keys_over_limit(350, &mut rng).is_empty());
        let first = table.keys_over_limit(10, &mut rng);
        assert_eq!(first.len(), 100);
        let mut distinct = first.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 100);
        for key in &first {
            table.take_key(key);
        }
        // 240 over the limit: the second run may take 200.
        assert_eq!(table.keys_over_limit(10, &mut rng).len(), 200);
        assert_eq!(table.keys_over_limit(300, &mut rng).len(), 0);
        assert_eq!(table.keys_over_limit(200, &mut rng).len(), 50);
    }

    #[test]
    fn changed_keys_are_broadcast_under_each_prefix_they_start_with() {
        let mut table = TrackingTable::default();
        table.add_prefix(b"", 1);
        table.add_prefix(b"user:", 2);
        table.add_prefix(b"user:", 3);
        table.record_change(b"user:1", Some(2));
        table.record_change(b"other", None);
        table.record_change(b"user:1", Some(3));
        let mut sent = table.take_broadcasts();
        assert_eq!(sent.len(), 2);
        let all = sent.remove(0);
        assert_eq!(all.clients, vec![1]);
        assert_eq!(
            all.keys,
            vec![(b"other"[..].into(), None), (b"user:1"[..].into(), Some(3))]
        );
        assert_eq!(sent[0].clients, vec![2, 3]);
        assert!(!table.has_broadcasts());
        table.remove_prefix(b"user:", 2);
        table.remove_prefix(b"user:", 3);
        assert_eq!(table.total_prefixes(), 1);
        assert!(prefixes_overlap(b"a", b"ab") && prefixes_overlap(b"", b"x"));
        assert!(!prefixes_overlap(b"ab", b"ac"));
    }

    #[test]
    fn reads_are_remembered_as_the_mode_says() {
        let mut mode = ClientTracking::default();
        assert!(mode.remembers_reads());
        mode.optin = true;
        assert!(!mode.remembers_reads());
        mode.caching = true;
        assert!(mode.remembers_reads());
        mode = ClientTracking {
            optout: true,
            ..Default::default()
        };
        assert!(mode.remembers_reads());
        mode.caching = true;
        assert!(!mode.remembers_reads());
        mode = ClientTracking {
            bcast: true,
            ..Default::default()
        };
        assert!(!mode.remembers_reads());
    }
}
