//! `maxmemory` and eviction, as Redis 7.0's `evict.c` does it.
//!
//! Before every command while `maxmemory` is set, [`perform_evictions`] compares `used_memory`
//! with the limit and deletes keys chosen by `maxmemory-policy` until enough memory is freed,
//! measuring what each deletion freed as the drop in `used_memory`. LRU, LFU and TTL policies
//! keep a 16-entry pool of the best candidates seen so far, fed by sampling
//! `maxmemory-samples` keys per database and kept across calls, which approximates true LRU
//! far better than evicting the best of one sample. Random policies take random keys,
//! round-robin over the databases. Each call is bounded in time by
//! `maxmemory-eviction-tenacity`; the rest continues in a background task between commands.

use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::config::EvictionPolicy;
use crate::db::access::idle_ms;
use crate::db::table::Slot;
use crate::server::Server;

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

/// Memory that does not count towards `maxmemory` (replica buffers beyond the backlog and the
/// AOF buffer in Redis; zedis has neither).
pub fn not_counted_memory(_server: &Server) -> usize {
    0
}

/// Bytes over the limit, if any (Redis's `getMaxmemoryState`).
pub fn over_limit(server: &Server) -> Option<usize> {
    let limit = server.config.maxmemory as usize;
    if limit == 0 {
        return None;
    }
    let used = zmalloc::used_memory().saturating_sub(not_counted_memory(server));
    (used > limit).then(|| used - limit)
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

/// Frees memory until under `maxmemory`, within the time budget.
pub fn perform_evictions(server: &mut Server) -> Evict {
    // During CLIENT PAUSE the dataset stays as it is, and nothing is refused for memory.
    if server.check_pause_end() {
        return Evict::Ok;
    }
    let (started, evicted_before) = (Instant::now(), server.stats.evicted_keys);
    let result = evict(server);
    if server.stats.evicted_keys != evicted_before {
        let now = server.clock.unix_ms() / 1000;
        server.latency.add_if_needed(
            server.config.latency_monitor_threshold,
            "eviction-cycle",
            started.elapsed().as_millis() as u64,
            now,
        );
    }
    let stats = &mut server.stats;
    match result {
        Evict::Running | Evict::Fail => {
            stats
                .eviction_exceeded_since
                .get_or_insert_with(Instant::now);
        }
        Evict::Ok => {
            if let Some(since) = stats.eviction_exceeded_since.take() {
                stats.total_eviction_exceeded_time += since.elapsed().as_millis() as u64;
            }
        }
    }
    result
}

fn evict(server: &mut Server) -> Evict {
    let Some(to_free) = over_limit(server) else {
        return Evict::Ok;
    };
    let policy = server.config.maxmemory_policy;
    if policy == EvictionPolicy::NoEviction {
        return Evict::Fail;
    }
    let budget = time_budget(server.config.maxmemory_eviction_tenacity);
    let started = Instant::now();
    let mut freed = 0usize;
    let mut evicted = 0usize;
    while freed < to_free {
        let Some((db, key)) = pick_victim(server, policy) else {
            return Evict::Fail;
        };
        let before = zmalloc::used_memory();
        let removed = if server.config.lazyfree_lazy_eviction {
            server.keyspace.unlink(db, &key)
        } else {
            server.keyspace.delete(db, &key)
        };
        if !removed {
            continue;
        }
        freed += before.saturating_sub(zmalloc::used_memory());
        server.stats.evicted_keys += 1;
        evicted += 1;
        if evicted.is_multiple_of(CHECK_EVERY) && budget.is_some_and(|b| started.elapsed() > b) {
            if over_limit(server).is_some() {
                server.evictor.running = true;
                server.evictor.wake.notify_one();
                return Evict::Running;
            }
            return Evict::Ok;
        }
    }
    Evict::Ok
}

/// The key to evict next, by policy.
fn pick_victim(server: &mut Server, policy: EvictionPolicy) -> Option<(usize, Vec<u8>)> {
    match policy {
        EvictionPolicy::AllkeysRandom | EvictionPolicy::VolatileRandom => {
            pick_random(server, policy == EvictionPolicy::AllkeysRandom)
        }
        _ => pick_from_pool(server, policy),
    }
}

/// A random key, taking databases round-robin.
fn pick_random(server: &mut Server, all_keys: bool) -> Option<(usize, Vec<u8>)> {
    let keyspace = &mut server.keyspace;
    let dbs = keyspace.dbs.len();
    for _ in 0..dbs {
        let db = server.evictor.next_db % dbs;
        server.evictor.next_db = server.evictor.next_db.wrapping_add(1);
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

/// The score of a key under an LRU, LFU or TTL policy: higher means evict sooner.
fn score(server: &Server, policy: EvictionPolicy, db: usize, slot: Slot) -> u64 {
    let record = server.keyspace.record(db, slot);
    match policy {
        EvictionPolicy::VolatileTtl => {
            u64::MAX - record.expire().map_or(u64::MAX, |(when, _)| when)
        }
        _ if policy.is_lfu() => 255 - server.keyspace.access.lfu_decayed(record.access()) as u64,
        _ => idle_ms(record.access(), server.keyspace.lru_clock),
    }
}

/// Samples every database into the pool, then takes the best candidate that still exists.
fn pick_from_pool(server: &mut Server, policy: EvictionPolicy) -> Option<(usize, Vec<u8>)> {
    let volatile = matches!(
        policy,
        EvictionPolicy::VolatileLru | EvictionPolicy::VolatileLfu | EvictionPolicy::VolatileTtl
    );
    loop {
        let mut sampled_any = false;
        for db in 0..server.keyspace.dbs.len() {
            sampled_any |= populate_pool(server, policy, db, volatile);
        }
        if !sampled_any && server.evictor.pool.is_empty() {
            return None;
        }
        // Best candidates are at the end; stale ones (deleted since) are ghosts to skip.
        while let Some(candidate) = server.evictor.pool.pop() {
            let keyspace = &server.keyspace;
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

/// Adds `maxmemory-samples` keys of one database to the pool. Returns whether it sampled any.
fn populate_pool(server: &mut Server, policy: EvictionPolicy, db: usize, volatile: bool) -> bool {
    let samples = server.config.maxmemory_samples as usize;
    let keyspace = &mut server.keyspace;
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
    // before reading any (perf: reading them one by one was most of an overfilled SET's time).
    for &slot in &slots {
        server.keyspace.record(db, slot).prefetch();
    }
    for &slot in &slots {
        let score = score(server, policy, db, slot);
        let key = server.keyspace.record(db, slot).key();
        insert_candidate(&mut server.evictor.pool, score, db, key);
    }
    server.keyspace.sample_buf = slots;
    sampled
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

/// The background continuation: evicts between commands while over the limit.
pub async fn background(server: Rc<std::cell::RefCell<Server>>) {
    let wake = Rc::clone(&server.borrow().evictor.wake);
    loop {
        wake.notified().await;
        loop {
            let result = {
                let mut server = server.borrow_mut();
                let result = perform_evictions(&mut server);
                server.evictor.running = result == Evict::Running;
                result
            };
            if result != Evict::Running {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

#[cfg(test)]
mod tests {
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
