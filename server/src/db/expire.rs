//! The active expire cycle: run by the cron at `hz`, it samples keys that have a TTL and deletes
//! the expired ones, so that keys nobody reads again do not hold memory forever.
//!
//! Redis's documented algorithm: test 20 random keys with a TTL, delete the expired ones, and
//! start again while more than 25 % were expired, within a time budget (25 % of a cron period).
//! `active-expire-effort` (1–10) raises the sample size and budget and lowers the threshold,
//! as in Redis.

use std::time::{Duration, Instant};

use super::Keyspace;

/// What one cycle did, for `INFO stats`.
#[derive(Debug, Default, Clone, Copy)]
pub struct CycleReport {
    pub sampled: u64,
    pub expired: u64,
    pub time_cap_reached: bool,
    pub elapsed: Duration,
}

impl Keyspace {
    /// Runs one active expire cycle with the given effort (1–10) and cron frequency.
    pub fn active_expire_cycle(&mut self, effort: u32, hz: u32) -> CycleReport {
        let effort = effort.clamp(1, 10) - 1;
        let keys_per_loop = 20 + 5 * effort as usize;
        let acceptable_stale = 25u64.saturating_sub(2 * effort as u64);
        let budget =
            Duration::from_micros(1_000_000 * (25 + 2 * effort as u64) / hz.max(1) as u64 / 100);
        let started = Instant::now();
        let mut report = CycleReport::default();
        'dbs: for db in 0..self.dbs.len() {
            loop {
                let candidates = self.dbs[db].expires.len();
                if candidates == 0 {
                    break;
                }
                let (mut sampled, mut expired, mut ttl_sum, mut ttl_count) =
                    (0u64, 0u64, 0u64, 0u64);
                for _ in 0..keys_per_loop.min(candidates) {
                    let len = self.dbs[db].expires.len();
                    if len == 0 {
                        break;
                    }
                    let index = self.rng.usize(0..len);
                    let Some(slot) = self.expires_slot(db, index) else {
                        continue;
                    };
                    sampled += 1;
                    if self.is_expired(db, slot) {
                        self.expire_now(db, slot);
                        expired += 1;
                    } else if let Some((when, _)) = self.record(db, slot).expire() {
                        ttl_sum += when.saturating_sub(self.now_ms);
                        ttl_count += 1;
                    }
                }
                report.sampled += sampled;
                report.expired += expired;
                if let Some(avg) = ttl_sum.checked_div(ttl_count) {
                    // Redis's running estimate: 2 % of the new average, 98 % of the old.
                    let old = self.dbs[db].avg_ttl;
                    self.dbs[db].avg_ttl = if old == 0 {
                        avg
                    } else {
                        (old / 50) * 49 + avg / 50
                    };
                }
                if started.elapsed() > budget {
                    report.time_cap_reached = true;
                    break 'dbs;
                }
                if sampled == 0 || expired * 100 / sampled <= acceptable_stale {
                    break;
                }
            }
        }
        report.elapsed = started.elapsed();
        report
    }
}
