//! The used-memory counter: one cache-line-padded slot per thread, summed on read.
//!
//! Redis 7.0 kept `used_memory` in one atomic, so every allocation on every thread did a locked
//! read-modify-write on the same cache line. Redis unstable and Valkey split it per thread; this
//! module does the same, with three refinements:
//!
//! * A slot has exactly one writer, its thread, which updates it with a relaxed load and a relaxed
//!   store: plain moves, no `lock` prefix, yet defined behaviour in Rust.
//! * Like jemalloc's `thread.allocated`/`thread.deallocated`, a slot keeps two monotonic totals,
//!   bytes allocated and bytes freed, rather than one balance: an alloc+free pair then updates two
//!   independent words, and the free does not wait for the alloc's store to be forwarded (measured
//!   in `benches/counting.rs`).
//! * Each slot has its own 128-byte line (two 64-byte lines, because of the adjacent-line
//!   prefetcher), and readers only sum slots up to the highest one ever taken, so with the few
//!   threads of a server a read touches a handful of lines.
//! * A thread that exits folds its count into a shared total and frees its slot, so short-lived
//!   threads neither leak slots nor end up on the slow shared path. The exit hook is a pthread
//!   key destructor: registering it neither allocates nor takes a lock (keys below 32 live in the
//!   thread descriptor), unlike a Rust `thread_local!` destructor.
//!
//! A thread may free what another thread allocated, so one slot's freed total can exceed its
//! allocated total; only the difference of the sums means anything. The totals wrap rather than
//! overflow, and the difference is computed with wrapping arithmetic.
//!
//! Nothing here allocates, locks, logs or panics: it runs inside the global allocator.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Number of per-thread slots. Threads beyond this share one atomic slot.
pub const SLOT_COUNT: usize = 64;

/// One thread's totals, alone on their cache lines.
#[repr(align(128))]
struct Slot {
    allocated: AtomicUsize,
    freed: AtomicUsize,
    taken: AtomicBool,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            allocated: AtomicUsize::new(0),
            freed: AtomicUsize::new(0),
            taken: AtomicBool::new(false),
        }
    }

    /// Adds to one of this slot's totals. Only the owning thread calls this.
    #[inline(always)]
    fn bump(total: &AtomicUsize, n: usize) {
        // Single writer: a load and a store instead of a locked read-modify-write.
        total.store(
            total.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }
}

static SLOTS: [Slot; SLOT_COUNT] = [const { Slot::new() }; SLOT_COUNT];

/// Counts of threads without a slot, plus the totals that exited threads folded in.
static SHARED: Slot = Slot::new();

/// One past the highest slot index ever taken: readers sum `SLOTS[..SLOTS_IN_USE]`.
static SLOTS_IN_USE: AtomicUsize = AtomicUsize::new(0);

/// Thread state in `MY_SLOT` besides a slot index.
const UNREGISTERED: usize = usize::MAX;
/// Use the shared slot: no free slot was left, or the thread is past its exit hook.
const SHARED_ONLY: usize = usize::MAX - 1;

thread_local! {
    // `const`-initialised and without a destructor: access is a plain TLS load, never lazy
    // initialisation, and it stays usable while the thread is being torn down.
    static MY_SLOT: Cell<usize> = const { Cell::new(UNREGISTERED) };
}

/// Adds `n` bytes to the calling thread's allocated total.
#[inline(always)]
pub(crate) fn add(n: usize) {
    let index = MY_SLOT.with(Cell::get);
    if index < SLOT_COUNT {
        Slot::bump(&SLOTS[index].allocated, n);
    } else {
        add_slow(index, n, |slot| &slot.allocated);
    }
}

/// Adds `n` bytes to the calling thread's freed total.
#[inline(always)]
pub(crate) fn sub(n: usize) {
    let index = MY_SLOT.with(Cell::get);
    if index < SLOT_COUNT {
        Slot::bump(&SLOTS[index].freed, n);
    } else {
        add_slow(index, n, |slot| &slot.freed);
    }
}

#[cold]
#[inline(never)]
fn add_slow(index: usize, n: usize, total: fn(&Slot) -> &AtomicUsize) {
    if index == UNREGISTERED
        && let Some(slot) = register()
    {
        Slot::bump(total(&SLOTS[slot]), n);
        return;
    }
    total(&SHARED).fetch_add(n, Ordering::Relaxed);
}

/// Claims a free slot for the calling thread and arms its exit hook.
fn register() -> Option<usize> {
    for (index, slot) in SLOTS.iter().enumerate() {
        if slot.taken.load(Ordering::Relaxed)
            || slot
                .taken
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            continue;
        }
        if !exit_hook::arm(index) {
            slot.taken.store(false, Ordering::Release);
            break;
        }
        SLOTS_IN_USE.fetch_max(index + 1, Ordering::Relaxed);
        MY_SLOT.with(|s| s.set(index));
        return Some(index);
    }
    MY_SLOT.with(|s| s.set(SHARED_ONLY));
    None
}

/// Called once per registered thread as it exits: moves the slot's totals into the shared ones
/// and frees the slot for the next thread.
fn retire(index: usize) {
    MY_SLOT.with(|s| s.set(SHARED_ONLY));
    let slot = &SLOTS[index];
    let allocated = slot.allocated.swap(0, Ordering::Relaxed);
    let freed = slot.freed.swap(0, Ordering::Relaxed);
    SHARED.allocated.fetch_add(allocated, Ordering::Relaxed);
    SHARED.freed.fetch_add(freed, Ordering::Relaxed);
    slot.taken.store(false, Ordering::Release);
}

#[cfg(unix)]
mod exit_hook {
    //! Thread-exit notification through a pthread key destructor.
    use std::sync::OnceLock;

    static KEY: OnceLock<Option<libc::pthread_key_t>> = OnceLock::new();

    extern "C" fn on_thread_exit(value: *mut libc::c_void) {
        super::retire(value as usize - 1);
    }

    /// Arranges for `retire(index)` to run when the calling thread exits.
    pub(super) fn arm(index: usize) -> bool {
        let key = KEY.get_or_init(|| {
            let mut key: libc::pthread_key_t = 0;
            // SAFETY: `key` is a valid out-pointer and `on_thread_exit` has the destructor ABI.
            let rc = unsafe { libc::pthread_key_create(&mut key, Some(on_thread_exit)) };
            (rc == 0).then_some(key)
        });
        let Some(key) = *key else { return false };
        // The value is index + 1 because glibc only runs destructors for non-null values.
        // SAFETY: `key` was created above and is never deleted.
        unsafe { libc::pthread_setspecific(key, (index + 1) as *const libc::c_void) == 0 }
    }
}

#[cfg(not(unix))]
mod exit_hook {
    //! Thread-exit notification through a thread-local destructor.
    use std::cell::Cell;

    struct Guard(Cell<usize>);

    impl Drop for Guard {
        fn drop(&mut self) {
            if self.0.get() != usize::MAX {
                super::retire(self.0.get());
            }
        }
    }

    thread_local! {
        static GUARD: Guard = const { Guard(Cell::new(usize::MAX)) };
    }

    pub(super) fn arm(index: usize) -> bool {
        GUARD.try_with(|g| g.0.set(index)).is_ok()
    }
}

/// Bytes currently allocated through zmalloc, by usable size: Redis's `used_memory`.
///
/// The sum of every thread's slot, read without synchronisation: a concurrent allocation on
/// another thread may or may not be included, as with Redis's own per-thread counters.
pub fn used_memory() -> usize {
    let in_use = SLOTS_IN_USE.load(Ordering::Relaxed);
    let (mut allocated, mut freed) = (
        SHARED.allocated.load(Ordering::Relaxed),
        SHARED.freed.load(Ordering::Relaxed),
    );
    for slot in &SLOTS[..in_use] {
        allocated = allocated.wrapping_add(slot.allocated.load(Ordering::Relaxed));
        freed = freed.wrapping_add(slot.freed.load(Ordering::Relaxed));
    }
    // A racing read may see a free before its allocation: clamp at zero.
    (allocated.wrapping_sub(freed) as isize).max(0) as usize
}

/// Number of threads that currently own a slot (for tests and diagnostics).
pub fn registered_threads() -> usize {
    SLOTS
        .iter()
        .filter(|slot| slot.taken.load(Ordering::Relaxed))
        .count()
}

/// Whether the calling thread counts into a slot of its own rather than the shared one.
pub fn thread_has_slot() -> bool {
    MY_SLOT.with(Cell::get) < SLOT_COUNT
}
