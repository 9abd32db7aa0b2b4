//! Server statistics: the counters of `INFO stats`, per-command call statistics
//! (`INFO commandstats`), instantaneous rates, and the slow log.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::protocol::OwnedArgs;

/// What a redacted argument shows as.
pub const REDACTED: &[u8] = b"(redacted)";

/// Samples kept for each instantaneous rate (Redis's `STATS_METRIC_SAMPLES`).
const RATE_SAMPLES: usize = 16;

/// A rate sampled by the cron (`instantaneous_ops_per_sec` and friends).
#[derive(Debug, Clone, Default)]
pub struct Rate {
    last_value: u64,
    last_at: Option<Instant>,
    samples: VecDeque<f64>,
}

impl Rate {
    /// Records the counter's value now.
    pub fn sample(&mut self, value: u64, now: Instant) {
        if let Some(last_at) = self.last_at {
            let elapsed = now.duration_since(last_at).as_secs_f64();
            if elapsed > 0.0 {
                let per_second = value.saturating_sub(self.last_value) as f64 / elapsed;
                if self.samples.len() == RATE_SAMPLES {
                    self.samples.pop_front();
                }
                self.samples.push_back(per_second);
            }
        }
        self.last_value = value;
        self.last_at = Some(now);
    }

    /// Average of the samples, per second.
    pub fn per_second(&self) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        self.samples.iter().sum::<f64>() / self.samples.len() as f64
    }
}

/// The counters of `INFO stats`.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub rejected_connections: u64,
    /// Estimated percentage of keys already expired but not yet reclaimed.
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub expire_cycle_cpu_milliseconds: u64,
    pub evicted_keys: u64,
    /// Clients disconnected by `maxmemory-clients`.
    pub evicted_clients: u64,
    /// Milliseconds spent above `maxmemory`, not counting the current spell.
    pub total_eviction_exceeded_time: u64,
    /// When the current spell above `maxmemory` started.
    pub eviction_exceeded_since: Option<Instant>,
    pub total_error_replies: u64,
    pub total_reads_processed: u64,
    /// Reply buffers the cron shrank or grew.
    pub reply_buffer_shrinks: u64,
    pub reply_buffer_expands: u64,
    pub total_writes_processed: u64,
    pub ops_rate: Rate,
    pub input_rate: Rate,
    pub output_rate: Rate,
}

impl Stats {
    /// `CONFIG RESETSTAT`; the spell above `maxmemory` in progress keeps its start.
    pub fn reset(&mut self) {
        let since = self.eviction_exceeded_since;
        *self = Stats::default();
        self.eviction_exceeded_since = since.map(|_| Instant::now());
    }
}

/// Per-command statistics.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    /// Refused before running (arity, OOM, …).
    pub rejected_calls: u64,
    /// Ran and replied with an error.
    pub failed_calls: u64,
}

/// One slow log entry.
#[derive(Debug, Clone)]
pub struct SlowLogEntry {
    pub id: u64,
    pub unix_time: u64,
    pub duration: Duration,
    pub args: OwnedArgs,
    pub arg_count: usize,
    pub client_addr: String,
    pub client_name: String,
}

/// `SLOWLOG`: the most recent commands that took longer than `slowlog-log-slower-than`.
#[derive(Debug, Default)]
pub struct SlowLog {
    pub entries: VecDeque<SlowLogEntry>,
    next_id: u64,
}

/// Arguments and bytes per argument a slow log entry keeps (Redis's `SLOWLOG_ENTRY_MAX_*`).
const SLOWLOG_MAX_ARGC: usize = 32;
const SLOWLOG_MAX_STRING: usize = 128;

impl SlowLog {
    /// Records a command as the newest entry; the caller bounds the log with [`SlowLog::trim`]
    /// (`slowlog-max-len`).
    pub fn push(
        &mut self,
        args: &crate::protocol::Args,
        redacted: &[usize],
        duration: Duration,
        client_addr: String,
        client_name: String,
    ) {
        // Like Redis: at most 32 arguments (the last one says how many were left out), each
        // cut to 128 bytes with a note of how many more there were.
        let argc = args.len();
        let kept = argc.min(SLOWLOG_MAX_ARGC);
        let mut shown: Vec<Vec<u8>> = Vec::with_capacity(kept);
        for (i, arg) in args.iter().enumerate().take(kept) {
            if kept != argc && i == kept - 1 {
                shown.push(format!("... ({} more arguments)", argc - kept + 1).into_bytes());
            } else if redacted.contains(&i) {
                shown.push(REDACTED.to_vec());
            } else if arg.len() > SLOWLOG_MAX_STRING {
                let mut cut = arg[..SLOWLOG_MAX_STRING].to_vec();
                cut.extend_from_slice(
                    format!("... ({} more bytes)", arg.len() - SLOWLOG_MAX_STRING).as_bytes(),
                );
                shown.push(cut);
            } else {
                shown.push(arg.to_vec());
            }
        }
        let slices: Vec<&[u8]> = shown.iter().map(Vec::as_slice).collect();
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.entries.push_front(SlowLogEntry {
            id: self.next_id,
            unix_time,
            duration,
            args: OwnedArgs::from_slices(&slices),
            arg_count: slices.len(),
            client_addr,
            client_name,
        });
        self.next_id += 1;
    }

    /// Drops the oldest entries beyond `max_len`.
    pub fn trim(&mut self, max_len: usize) {
        self.entries.truncate(max_len);
    }
}
