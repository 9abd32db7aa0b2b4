//! `maxmemory` and eviction, as Redis 7.0's `evict.c` does it.
//!
//! Before every command while `maxmemory` is set, [`Evictor::evict`] compares `used_memory`
//! with the limit and deletes keys chosen by `maxmemory-policy` until enough memory is freed,
//! measuring what each deletion freed as the drop in `used_memory`. LRU, LFU and TTL policies
//! keep a 16-entry pool of the best candidates seen so far, fed by sampling
//! `maxmemory-samples` keys per database and kept across calls, which approximates true LRU
//! far better than evicting the best of one sample. Random policies take random keys,
//! round-robin over the databases. Each call is bounded in time by
//! `maxmemory-eviction-tenacity`; the rest continues in a background task between commands.
//! It sees only the keyspace, the settings and a memory reading, and reports what it did for
//! the server to fold into its statistics (`server/eviction.rs`).

use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::config::{Config, EvictionPolicy};
use crate::db::Keyspace;
use crate::db::access::idle_ms;
use crate::db::table::Slot;

/// Candidates kept between calls (`EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;
/// Evictions between checks of the time budget.
const CHECK_EVERY: usize = 16;

/// What a round of eviction achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evict {
    /// Under the limit (or no limit).
    Ok,
    /// Still over, but keys were freed and the background task carries on.
    Running,
    /// Over the limit with nothing left to evict.
    Fail,
}

/// A candidate for eviction: the higher the score, the better to evict.
#[derive(Debug, Clone)]
struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// Eviction state kept across commands.
#[derive(Debug)]
pub struct Evictor {
    /// Best candidates seen, sorted by ascending score.
    pool: Vec<Candidate>,
    /// Next database for the random policies.
    next_db: usize,
    /// The background task is evicting.
    pub running: bool,
    /// Wakes the background task.
    pub wake: Rc<tokio::sync::Notify>,
}

impl Default for Evictor {
    fn default() -> Self {
        Evictor {
            pool: Vec::with_capacity(POOL_SIZE),
            next_db: 0,
            running: false,
            wake: Rc::new(tokio::sync::Notify::new()),
        }
    }
}

/// What eviction needs of the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub maxmemory: usize,
    pub policy: EvictionPolicy,
    pub samples: usize,
    pub tenacity: u32,
    pub lazy: bool,
}

impl Settings {
    pub fn of(config: &Config) -> Settings {
        Settings {
            maxmemory: config.maxmemory as usize,
            policy: config.maxmemory_policy,
            samples: config.maxmemory_samples as usize,
            tenacity: config.maxmemory_eviction_tenacity,
            lazy: config.lazyfree_lazy_eviction,
        }
    }

    /// Bytes over the limit for a `used` reading, if any (Redis's `getMaxmemoryState`).
    fn over(&self, used: usize) -> Option<usize> {
        (self.maxmemory != 0 && used > self.maxmemory).then(|| used - self.maxmemory)
    }
}

/// What a round of eviction did, for the caller to fold into statistics and the latency
/// monitor (as the active expire cycle reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub result: Evict,
    pub evicted: u64,
    pub elapsed: Duration,
}

/// The time budget of one call, from `maxmemory-eviction-tenacity`.
fn time_budget(tenacity: u32) -> Option<Duration> {
    match tenacity {
        0..=10 => Some(Duration::from_micros(50 * tenacity as u64)),
        11..=99 => Some(Duration::from_micros(
            (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        )),
        _ => None,
    }
}

impl Evictor {
    /// Deletes keys chosen by the policy until `used` reads under the limit, the time budget
    /// runs out (the background task then carries on), or nothing is left to evict. Needs
    /// only the keyspace, the settings and a memory reading, so it is tested without a server.
    pub fn evict(
        &mut self,
        keyspace: &mut Keyspace,
        settings: &Settings,
        used: &dyn Fn(&Keyspace) -> usize,
    ) -> Report {
        let started = Instant::now();
        let mut evicted = 0u64;
        let result = self.evict_inner(keyspace, settings, used, started, &mut evicted);
        if result == Evict::Running {
            self.running = true;
        }
        Report {
            result,
            evicted,
            elapsed: started.elapsed(),
        }
    }

    fn evict_inner(
        &mut self,
        keyspace: &mut Keyspace,
        settings: &Settings,
        used: &dyn Fn(&Keyspace) -> usize,
        started: Instant,
        evicted: &mut u64,
    ) -> Evict {
        let Some(to_free) = settings.over(used(keyspace)) else {
            return Evict::Ok;
        };
        if settings.policy == EvictionPolicy::NoEviction {
            return Evict::Fail;
        }
        let budget = time_budget(settings.tenacity);
        let mut freed = 0usize;
        while freed < to_free {
            let Some((db, key)) = self.pick_victim(keyspace, settings) else {
                return Evict::Fail;
            };
            let before = used(keyspace);
            let removed = if settings.lazy {
                keyspace.unlink(db, &key)
            } else {
                keyspace.delete(db, &key)
            };
            if !removed {
                continue;
            }
            keyspace.invalidations.last_by_nobody();
            keyspace.propagation.deletion(db, &key, settings.lazy);
            keyspace.notify(crate::config::notify::EVICTED, "evicted", db, &key);
            freed += before.saturating_sub(used(keyspace));
            *evicted += 1;
            if (*evicted as usize).is_multiple_of(CHECK_EVERY)
                && budget.is_some_and(|b| started.elapsed() > b)
            {
                if settings.over(used(keyspace)).is_some() {
                    return Evict::Running;
                }
                return Evict::Ok;
            }
        }
        Evict::Ok
    }

    /// The key to evict next, by policy.
    fn pick_victim(
        &mut self,
        keyspace: &mut Keyspace,
        settings: &Settings,
    ) -> Option<(usize, Vec<u8>)> {
        match settings.policy {
            EvictionPolicy::AllkeysRandom | EvictionPolicy::VolatileRandom => {
                self.pick_random(keyspace, settings.policy == EvictionPolicy::AllkeysRandom)
            }
            _ => self.pick_from_pool(keyspace, settings),
        }
    }

    /// A random key, taking databases round-robin.
    fn pick_random(&mut self, keyspace: &mut Keyspace, all_keys: bool) -> Option<(usize, Vec<u8>)> {
        let dbs = keyspace.dbs.len();
        for _ in 0..dbs {
            let db = self.next_db % dbs;
            self.next_db = self.next_db.wrapping_add(1);
            let slot = if all_keys {
                keyspace.dbs[db].table.random(&mut keyspace.rng)
            } else {
                let len = keyspace.dbs[db].expires_len();
                if len == 0 {
                    None
                } else {
                    let index = keyspace.rng.usize(0..len);
                    keyspace.expires_slot(db, index)
                }
            };
            if let Some(slot) = slot {
                return Some((db, keyspace.record(db, slot).key().to_vec()));
            }
        }
        None
    }

    /// Samples every database into the pool, then takes the best candidate that still exists.
    fn pick_from_pool(
        &mut self,
        keyspace: &mut Keyspace,
        settings: &Settings,
    ) -> Option<(usize, Vec<u8>)> {
        let volatile = matches!(
            settings.policy,
            EvictionPolicy::VolatileLru | EvictionPolicy::VolatileLfu | EvictionPolicy::VolatileTtl
        );
        loop {
            let mut sampled_any = false;
            for db in 0..keyspace.dbs.len() {
                sampled_any |= self.populate_pool(keyspace, settings, db, volatile);
            }
            if !sampled_any && self.pool.is_empty() {
                return None;
            }
            // Best candidates are at the end; stale ones (deleted since) are ghosts to skip.
            while let Some(candidate) = self.pool.pop() {
                let alive = keyspace
                    .peek(candidate.db, &candidate.key)
                    .is_some_and(|slot| {
                        !volatile || keyspace.record(candidate.db, slot).expire().is_some()
                    });
                if alive {
                    return Some((candidate.db, candidate.key));
                }
            }
            if !sampled_any {
                return None;
            }
        }
    }

    /// Adds `maxmemory-samples` keys of one database to the pool. Returns whether it sampled
    /// any.
    fn populate_pool(
        &mut self,
        keyspace: &mut Keyspace,
        settings: &Settings,
        db: usize,
        volatile: bool,
    ) -> bool {
        let samples = settings.samples;
        let mut slots = std::mem::take(&mut keyspace.sample_buf);
        slots.clear();
        if volatile {
            let len = keyspace.dbs[db].expires_len();
            for _ in 0..samples.min(len) {
                let index = keyspace.rng.usize(0..len);
                if let Some(slot) = keyspace.expires_slot(db, index) {
                    slots.push(slot);
                }
            }
        } else {
            keyspace.dbs[db]
                .table
                .sample(samples, &mut keyspace.rng, &mut slots);
        }
        let sampled = !slots.is_empty();
        // The sampled records lie at random addresses: start all their cache misses at once
        // before reading any (perf: reading them one by one was most of an overfilled SET's
        // time).
        for &slot in &slots {
            keyspace.record(db, slot).prefetch();
        }
        for &slot in &slots {
            let score = score(keyspace, settings.policy, db, slot);
            let key = keyspace.record(db, slot).key();
            insert_candidate(&mut self.pool, score, db, key);
        }
        keyspace.sample_buf = slots;
        sampled
    }
}

/// The score of a key under an LRU, LFU or TTL policy: higher means evict sooner.
fn score(keyspace: &Keyspace, policy: EvictionPolicy, db: usize, slot: Slot) -> u64 {
    let record = keyspace.record(db, slot);
    match policy {
        EvictionPolicy::VolatileTtl => {
            u64::MAX - record.expire().map_or(u64::MAX, |(when, _)| when)
        }
        _ if policy.is_lfu() => 255 - keyspace.access.lfu_decayed(record.access()) as u64,
        _ => idle_ms(record.access(), keyspace.lru_clock),
    }
}

/// Inserts a candidate into the pool kept sorted by ascending score; when full, the worst
/// candidate (lowest score) makes room, and a candidate worse than all is not added.
fn insert_candidate(pool: &mut Vec<Candidate>, score: u64, db: usize, key: &[u8]) {
    // A key sampled again has the same score: compare the cheap fields first.
    if pool
        .iter()
        .any(|c| c.score == score && c.db == db && c.key == key)
    {
        return;
    }
    let position = pool.partition_point(|c| c.score < score);
    if pool.len() == POOL_SIZE {
        if position == 0 {
            return;
        }
        let mut evicted = pool.remove(0);
        evicted.key.clear();
        evicted.key.extend_from_slice(key);
        evicted.score = score;
        evicted.db = db;
        pool.insert(position - 1, evicted);
    } else {
        pool.insert(
            position,
            Candidate {
                score,
                db,
                key: key.to_vec(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::db::record::Value;

    /// A keyspace of `keys` string keys in database 0, the even ones with a TTL.
    fn keyspace(keys: usize) -> Keyspace {
        let mut keyspace = Keyspace::new(1);
        for i in 0..keys {
            let key = format!("key:{i}");
            let slot = keyspace
                .set(0, key.as_bytes(), Value::Str(b"v"), crate::db::Ttl::Clear)
                .unwrap();
            if i % 2 == 0 {
                keyspace
                    .set_expire(0, slot, u64::MAX / 2 + i as u64)
                    .unwrap();
            }
        }
        keyspace
    }

    /// 1000 bytes per key: a reading eviction can be checked against exactly.
    fn fake_used(keyspace: &Keyspace) -> usize {
        keyspace.dbs.iter().map(|db| db.len()).sum::<usize>() * 1000
    }

    fn settings(policy: EvictionPolicy) -> Settings {
        Settings {
            maxmemory: 50_000,
            policy,
            samples: 5,
            tenacity: 100,
            lazy: false,
        }
    }

    #[test]
    fn each_evicted_key_is_announced_when_evicted_events_are_on() {
        let mut keys = keyspace(100);
        keys.notifications
            .set_flags(crate::config::notify::parse(b"Ee").unwrap());
        let mut evictor = Evictor::default();
        let report = evictor.evict(
            &mut keys,
            &settings(EvictionPolicy::AllkeysRandom),
            &fake_used,
        );
        let events = keys.notifications.take();
        assert_eq!(report.evicted, 50);
        assert_eq!(events.len(), 50);
        for event in &events {
            assert_eq!((event.event, event.db), ("evicted", 0));
            // The key is gone from the database.
            assert!(keys.peek(0, &event.key).is_none());
        }
    }

    #[test]
    fn evicts_down_to_the_limit_by_each_policy() {
        for policy in [
            EvictionPolicy::AllkeysLru,
            EvictionPolicy::AllkeysLfu,
            EvictionPolicy::AllkeysRandom,
        ] {
            let mut keys = keyspace(100);
            let mut evictor = Evictor::default();
            let report = evictor.evict(&mut keys, &settings(policy), &fake_used);
            assert_eq!(report.result, Evict::Ok, "{policy:?}");
            assert_eq!(report.evicted, 50, "{policy:?}");
            assert_eq!(keys.dbs[0].len(), 50);
        }
    }

    #[test]
    fn volatile_policies_take_only_keys_with_a_ttl_then_fail() {
        for policy in [
            EvictionPolicy::VolatileLru,
            EvictionPolicy::VolatileTtl,
            EvictionPolicy::VolatileRandom,
        ] {
            let mut keys = keyspace(100);
            let mut evictor = Evictor::default();
            // 20 000 bytes: the 50 keys with a TTL go, and it is still not enough.
            let tight = Settings {
                maxmemory: 20_000,
                ..settings(policy)
            };
            let report = evictor.evict(&mut keys, &tight, &fake_used);
            assert_eq!(report.result, Evict::Fail, "{policy:?}");
            assert_eq!(report.evicted, 50, "{policy:?}");
            assert_eq!(keys.dbs[0].expires_len(), 0);
            assert_eq!(keys.dbs[0].len(), 50);
        }
    }

    #[test]
    fn noeviction_fails_and_under_the_limit_does_nothing() {
        let mut keys = keyspace(100);
        let mut evictor = Evictor::default();
        let report = evictor.evict(&mut keys, &settings(EvictionPolicy::NoEviction), &fake_used);
        assert_eq!((report.result, report.evicted), (Evict::Fail, 0));
        let roomy = Settings {
            maxmemory: 1_000_000,
            ..settings(EvictionPolicy::AllkeysLru)
        };
        let report = evictor.evict(&mut keys, &roomy, &fake_used);
        assert_eq!((report.result, report.evicted), (Evict::Ok, 0));
    }

    use super::*;

    #[test]
    fn pool_keeps_the_best_sixteen_sorted() {
        let mut pool = Vec::new();
        for score in [5u64, 1, 9, 3, 7] {
            insert_candidate(&mut pool, score, 0, format!("k{score}").as_bytes());
        }
        let scores: Vec<u64> = pool.iter().map(|c| c.score).collect();
        assert_eq!(scores, [1, 3, 5, 7, 9]);
        for score in 10..40u64 {
            insert_candidate(&mut pool, score, 0, format!("k{score}").as_bytes());
        }
        assert_eq!(pool.len(), POOL_SIZE);
        assert_eq!(pool.first().unwrap().score, 24);
        assert_eq!(pool.last().unwrap().score, 39);
        insert_candidate(&mut pool, 2, 0, b"too-young");
        assert!(pool.iter().all(|c| c.key != b"too-young"));
        insert_candidate(&mut pool, 39, 0, b"k39");
        assert_eq!(pool.len(), POOL_SIZE);
    }

    #[test]
    fn tenacity_budgets_match_redis() {
        assert_eq!(time_budget(10), Some(Duration::from_micros(500)));
        assert_eq!(time_budget(0), Some(Duration::from_micros(0)));
        assert_eq!(time_budget(11), Some(Duration::from_micros(575)));
        assert_eq!(time_budget(100), None);
    }
}
