//! Memory bookkeeping driven by zmalloc: startup and peak usage and the cron's samples of RSS
//! and allocator statistics; key eviction (`evict`) and client eviction (`client_eviction`)
//! over narrow contexts. The server folds their results into its statistics
//! (`server/eviction.rs`); `INFO memory` renders them (`cmd/info_memory.rs`).

pub mod client_eviction;
pub mod evict;

use std::time::{Duration, Instant};

use zmalloc::AllocatorInfo;

/// The cron samples RSS and allocator statistics at most this often (Redis's
/// `run_with_period(100)`).
pub const SAMPLE_PERIOD: Duration = Duration::from_millis(100);

/// RSS, allocator statistics and `used_memory`, sampled together so that their ratios mean
/// something (Redis's `cron_malloc_stats`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Samples {
    pub process_rss: usize,
    pub zmalloc_used: usize,
    pub allocator_allocated: usize,
    pub allocator_active: usize,
    pub allocator_resident: usize,
}

impl Samples {
    /// Takes a sample now, filling in what the allocator does not report as Redis does, so
    /// that the ratios still show something.
    pub fn take() -> Samples {
        let info: AllocatorInfo = zmalloc::allocator_info();
        let mut samples = Samples {
            process_rss: zmalloc::rss(),
            zmalloc_used: zmalloc::used_memory(),
            allocator_allocated: info.allocated,
            allocator_active: info.active,
            allocator_resident: info.resident,
        };
        if samples.allocator_resident == 0 {
            // No scripting VM lives outside used_memory here, so nothing is deducted from RSS.
            samples.allocator_resident = samples.process_rss;
        }
        if samples.allocator_active == 0 {
            samples.allocator_active = samples.allocator_resident;
        }
        if samples.allocator_allocated == 0 {
            samples.allocator_allocated = samples.zmalloc_used;
        }
        samples
    }
}

/// What the server tracks about its own memory.
#[derive(Debug)]
pub struct MemoryState {
    /// `used_memory` when initialisation ended (`used_memory_startup`).
    pub startup: usize,
    /// Highest `used_memory` seen (`used_memory_peak`).
    pub peak: usize,
    pub samples: Samples,
    sampled_at: Option<Instant>,
    /// Physical memory of the host, read at startup (`total_system_memory`).
    pub total_system_memory: usize,
}

impl MemoryState {
    pub fn new() -> MemoryState {
        let used = zmalloc::used_memory();
        MemoryState {
            startup: used,
            peak: used,
            samples: Samples::take(),
            sampled_at: Some(Instant::now()),
            total_system_memory: zmalloc::physical_memory(),
        }
    }

    /// Records the end of initialisation.
    pub fn mark_startup(&mut self) {
        self.startup = zmalloc::used_memory();
        self.update_peak(self.startup);
    }

    /// Raises the peak to `used` if higher.
    #[inline]
    pub fn update_peak(&mut self, used: usize) {
        if used > self.peak {
            self.peak = used;
        }
    }

    /// The cron's job: new samples if the last ones are older than [`SAMPLE_PERIOD`], and the
    /// peak.
    pub fn cron(&mut self) {
        let now = Instant::now();
        if self
            .sampled_at
            .is_none_or(|at| now.duration_since(at) >= SAMPLE_PERIOD)
        {
            self.samples = Samples::take();
            self.sampled_at = Some(now);
        }
        self.update_peak(zmalloc::used_memory());
    }

    /// Forces fresh samples (after a purge, so the next report reflects it).
    pub fn resample(&mut self) {
        self.samples = Samples::take();
        self.sampled_at = Some(Instant::now());
    }
}

impl Default for MemoryState {
    fn default() -> Self {
        MemoryState::new()
    }
}
