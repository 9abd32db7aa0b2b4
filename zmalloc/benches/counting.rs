//! Cost of one alloc+free pair of 16–256 bytes, on 1 and 2 threads, for three allocators:
//! bare jemalloc, jemalloc counted in one shared atomic (Redis 7.0's design), and zmalloc's
//! per-thread counters.
//!
//! ```text
//! cargo bench -p zmalloc --bench counting
//! ```

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
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

/// Wall time for `threads` threads each doing `pairs` pairs at the same time.
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
                alloc_free_pairs(allocator, pairs);
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    for worker in workers {
        worker.join().unwrap();
    }
    began.elapsed()
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

criterion_group!(benches, bench);
criterion_main!(benches);
