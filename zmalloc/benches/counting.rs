//! Cost of one alloc+free pair of 16–256 bytes, on 1 and 2 threads, for three allocators:
//! bare jemalloc, jemalloc counted in one shared atomic (Redis 7.0's design), and zmalloc's
//! per-thread counters.
//!
//! Each thread's own CPU time is measured, not wall time: on a small, shared machine a thread
//! that is descheduled for a moment would otherwise count its wait as allocator cost, while
//! time lost to cache-line contention still shows (a stalled core is a busy core).
//!
//! Criterion measures each allocator for seconds before the next; the table printed at the end
//! measures the three back to back in each of many short rounds, so a slow spell of the machine
//! hits all three alike. `-- interleaved` (a filter no criterion benchmark matches) prints only
//! the table.
//!
//! ```text
//! cargo bench -p zmalloc --bench counting [-- interleaved]
//! ```

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use tikv_jemallocator::Jemalloc;

/// Redis 7.0's counter: every allocation on every thread updates one atomic.
struct SharedAtomic;

static SHARED_USED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to jemalloc; the counter touches no caller memory.
unsafe impl GlobalAlloc for SharedAtomic {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let ptr = unsafe { Jemalloc.alloc(layout) };
        if !ptr.is_null() {
            SHARED_USED.fetch_add(zmalloc::size_class(layout.size()), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        SHARED_USED.fetch_sub(zmalloc::size_class(layout.size()), Ordering::Relaxed);
        // SAFETY: forwarded contract.
        unsafe { Jemalloc.dealloc(ptr, layout) }
    }
}

/// `pairs` alloc+free pairs cycling through sizes 16..=256.
fn alloc_free_pairs<A: GlobalAlloc>(allocator: &A, pairs: u64) {
    for i in 0..pairs {
        let size = 16 + (i as usize * 40) % 241;
        let layout = Layout::from_size_align(size, 8).unwrap();
        // SAFETY: non-zero layout; the block is freed with the same layout.
        unsafe {
            let ptr = allocator.alloc(layout);
            black_box(ptr);
            allocator.dealloc(ptr, layout);
        }
    }
}

/// CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid out-pointer for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0);
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Mean CPU time per thread for `threads` threads each doing `pairs` pairs at the same time.
fn timed_on_threads<A: GlobalAlloc + Sync + 'static>(
    allocator: &'static A,
    threads: usize,
    pairs: u64,
) -> Duration {
    let start = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                alloc_free_pairs(allocator, 64);
                start.wait();
                let began = thread_cpu_time();
                alloc_free_pairs(allocator, pairs);
                thread_cpu_time() - began
            })
        })
        .collect();
    start.wait();
    let mut total = Duration::ZERO;
    for worker in workers {
        total += worker.join().unwrap();
    }
    total / threads as u32
}

static BARE: Jemalloc = Jemalloc;
static SHARED: SharedAtomic = SharedAtomic;
static PER_THREAD: zmalloc::Zmalloc = zmalloc::Zmalloc;

fn bench(c: &mut Criterion) {
    for threads in [1, 2] {
        let mut group = c.benchmark_group(format!("alloc_free_pair/{threads}_thread"));
        group.bench_function("jemalloc", |b| {
            b.iter_custom(|n| timed_on_threads(&BARE, threads, n))
        });
        group.bench_function("shared_atomic", |b| {
            b.iter_custom(|n| timed_on_threads(&SHARED, threads, n))
        });
        group.bench_function("zmalloc_per_thread", |b| {
            b.iter_custom(|n| timed_on_threads(&PER_THREAD, threads, n))
        });
        group.finish();
    }
}

fn ns_per_pair<A: GlobalAlloc + Sync + 'static>(
    allocator: &'static A,
    threads: usize,
    pairs: u64,
) -> f64 {
    timed_on_threads(allocator, threads, pairs).as_secs_f64() * 1e9 / pairs as f64
}

/// Medians over rounds that measure the three allocators back to back, and of the per-round
/// ratios to bare jemalloc, as a markdown table.
fn interleaved_ratios() {
    const ROUNDS: usize = 21;
    const PAIRS: u64 = 4_000_000;
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    println!(
        "\ninterleaved: {ROUNDS} rounds of {PAIRS} pairs per thread; medians of CPU time per pair \
         and of each round's ratio to bare jemalloc\n"
    );
    println!(
        "| threads | bare jemalloc ns | one shared atomic (Redis 7.0) ns | zmalloc ns \
         | shared / bare | zmalloc / bare |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for threads in [1, 2] {
        let (mut bare, mut shared, mut counted) = (Vec::new(), Vec::new(), Vec::new());
        let (mut shared_ratio, mut counted_ratio) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let b = ns_per_pair(&BARE, threads, PAIRS);
            let s = ns_per_pair(&SHARED, threads, PAIRS);
            let z = ns_per_pair(&PER_THREAD, threads, PAIRS);
            bare.push(b);
            shared.push(s);
            counted.push(z);
            shared_ratio.push(s / b);
            counted_ratio.push(z / b);
        }
        println!(
            "| {threads} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            median(bare),
            median(shared),
            median(counted),
            median(shared_ratio),
            median(counted_ratio)
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    interleaved_ratios();
}
