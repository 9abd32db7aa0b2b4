//! The used-memory counter: per-thread totals in per-thread slots, summed on read.
//!
//! Redis 7.0 kept `used_memory` in one atomic, so every allocation on every thread did a locked
//! read-modify-write on the same cache line. Redis unstable and Valkey split it per thread; this
//! module does the same. Like jemalloc's `thread.allocated`/`thread.deallocated`, a thread's
//! count is two monotonic totals, bytes allocated and bytes freed, rather than one balance.
//!
//! Where those totals come from depends on the backend:
//!
//! * **jemalloc** (64-bit): jemalloc already adds every block's usable size to per-thread
//!   totals on its own fast path. A slot records where they live (`thread.allocatedp`,
//!   `thread.deallocatedp`) and readers read them there, so counting costs the allocation path
//!   only a check that the thread has a slot: 1.05–1.08× bare jemalloc, against 1.29–1.35× when
//!   zmalloc kept totals of its own beside jemalloc's (`benches/counting.rs`). Every jemalloc call in
//!   the process goes through this crate, so a thread's jemalloc totals are exactly its zmalloc
//!   totals. Because readers dereference another thread's thread-local memory, a thread that
//!   exits waits until no reader is inside [`used_memory`] before its slot is released.
//! * **other backends**: the slot holds the totals itself. It has exactly one writer, its
//!   thread, which updates them with a relaxed load and store: plain moves, no `lock` prefix.
//!
//! Each slot has its own 128-byte line (two 64-byte lines, because of the adjacent-line
//! prefetcher), and readers only sum slots up to the highest one ever taken. A thread that exits
//! folds its totals into a shared pair and frees its slot, so short-lived threads neither leak
//! slots nor end up on the slow shared path; threads beyond [`SLOT_COUNT`], and a thread past its
//! exit hook, count into the shared pair with atomic adds. The exit hook is a pthread key
//! destructor: registering it neither allocates nor takes a lock (keys below 32 live in the
//! thread descriptor), unlike a Rust `thread_local!` destructor.
//!
//! A thread may free what another thread allocated, so one slot's freed total can exceed its
//! allocated total; only the difference of the sums means anything. The totals wrap rather than
//! overflow, and the difference is computed with wrapping arithmetic.
//!
//! Nothing here allocates, locks, logs or panics: it runs inside the global allocator.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// Number of per-thread slots. Threads beyond this share one atomic pair.
pub const SLOT_COUNT: usize = 64;

/// Slot states. Only `ACTIVE` slots are read through their owner's totals.
const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const ACTIVE: u8 = 2;
const RETIRING: u8 = 3;

/// One thread's totals (or where to find them), alone on their cache lines.
#[repr(align(128))]
struct Slot {
    state: AtomicU8,
    totals: source::Totals,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            state: AtomicU8::new(FREE),
            totals: source::Totals::new(),
        }
    }
}

static SLOTS: [Slot; SLOT_COUNT] = [const { Slot::new() }; SLOT_COUNT];

/// Counts of threads without a slot, plus the totals that exited threads folded in.
static SHARED_ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static SHARED_FREED: AtomicUsize = AtomicUsize::new(0);

/// One past the highest slot index ever taken: readers sum `SLOTS[..SLOTS_IN_USE]`.
static SLOTS_IN_USE: AtomicUsize = AtomicUsize::new(0);

/// Thread state in `MY_SLOT` besides a slot index.
const UNREGISTERED: usize = usize::MAX;
/// Use the shared pair: no free slot was left, or the thread is past its exit hook.
const SHARED_ONLY: usize = usize::MAX - 1;

thread_local! {
    // `const`-initialised and without a destructor: access is a plain TLS load, never lazy
    // initialisation, and it stays usable while the thread is being torn down.
    static MY_SLOT: Cell<usize> = const { Cell::new(UNREGISTERED) };
}

/// Which of a thread's two totals an update goes to.
#[derive(Clone, Copy)]
enum Total {
    Allocated,
    Freed,
}

/// Counts a block of `size()` bytes the calling thread just got. `size` is only called when the
/// backend does not count by itself or the thread has no slot, so callers pass the size lookup
/// rather than its result.
#[inline(always)]
pub(crate) fn add(size: impl FnOnce() -> usize) {
    count(Total::Allocated, size);
}

/// Counts a block of `size()` bytes the calling thread frees (see [`add`]).
#[inline(always)]
pub(crate) fn sub(size: impl FnOnce() -> usize) {
    count(Total::Freed, size);
}

/// Whether [`add`] and [`sub`] would use the size they are given on this thread, so that a caller
/// who must measure a block before it moves (realloc) can skip measuring it when not.
#[inline(always)]
pub(crate) fn sizes_needed() -> bool {
    !source::COUNTS_ITSELF || MY_SLOT.with(Cell::get) >= SLOT_COUNT
}

#[inline(always)]
fn count(total: Total, size: impl FnOnce() -> usize) {
    let index = MY_SLOT.with(Cell::get);
    if index >= SLOT_COUNT {
        // The slow path reads the slot again rather than taking `index`, so that this check
        // compiles to one compare against thread-local memory.
        count_slow(total, size());
    } else if !source::COUNTS_ITSELF {
        SLOTS[index].totals.bump(total, size());
    }
}

#[cold]
#[inline(never)]
fn count_slow(total: Total, n: usize) {
    let index = MY_SLOT.with(Cell::get);
    if index == UNREGISTERED
        && let Some(slot) = register()
    {
        if !source::COUNTS_ITSELF {
            SLOTS[slot].totals.bump(total, n);
        }
        return;
    }
    match total {
        Total::Allocated => SHARED_ALLOCATED.fetch_add(n, Ordering::Relaxed),
        Total::Freed => SHARED_FREED.fetch_add(n, Ordering::Relaxed),
    };
}

/// Claims a free slot for the calling thread and arms its exit hook.
fn register() -> Option<usize> {
    for (index, slot) in SLOTS.iter().enumerate() {
        if slot.state.load(Ordering::Relaxed) != FREE
            || slot
                .state
                .compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            continue;
        }
        if !slot.totals.attach() || !exit_hook::arm(index) {
            slot.state.store(FREE, Ordering::Release);
            break;
        }
        // Release: a reader that sees ACTIVE sees what `attach` stored.
        slot.state.store(ACTIVE, Ordering::SeqCst);
        SLOTS_IN_USE.fetch_max(index + 1, Ordering::Relaxed);
        MY_SLOT.with(|s| s.set(index));
        return Some(index);
    }
    MY_SLOT.with(|s| s.set(SHARED_ONLY));
    None
}

/// Called once per registered thread as it exits: moves the slot's totals into the shared pair
/// and frees the slot for the next thread.
fn retire(index: usize) {
    // From here on this thread counts into the shared pair, so the totals read below are final.
    MY_SLOT.with(|s| s.set(SHARED_ONLY));
    let slot = &SLOTS[index];
    slot.state.store(RETIRING, Ordering::SeqCst);
    source::wait_for_readers();
    let (allocated, freed) = slot.totals.detach();
    SHARED_ALLOCATED.fetch_add(allocated, Ordering::Relaxed);
    SHARED_FREED.fetch_add(freed, Ordering::Relaxed);
    slot.state.store(FREE, Ordering::Release);
}

#[cfg(all(feature = "jemalloc", target_pointer_width = "64"))]
mod source {
    //! jemalloc's own per-thread totals, read where jemalloc keeps them.

    use std::ffi::c_void;
    use std::ptr;
    use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

    use super::Total;
    use tikv_jemalloc_sys as ffi;

    /// jemalloc counts every block itself; slots only say where.
    pub(super) const COUNTS_ITSELF: bool = true;

    /// Threads inside [`super::used_memory`]. A thread that exits waits for zero before its
    /// thread-local totals can go away.
    static READERS: AtomicUsize = AtomicUsize::new(0);

    /// Where jemalloc keeps the owning thread's totals; null while the slot is unowned.
    pub(super) struct Totals {
        allocated_at: AtomicPtr<u64>,
        freed_at: AtomicPtr<u64>,
    }

    impl Totals {
        pub(super) const fn new() -> Totals {
            Totals {
                allocated_at: AtomicPtr::new(ptr::null_mut()),
                freed_at: AtomicPtr::new(ptr::null_mut()),
            }
        }

        /// Nothing to do: jemalloc has counted the block already.
        #[inline(always)]
        pub(super) fn bump(&self, _total: Total, _n: usize) {}

        /// Records where the calling thread's totals live. Called by the new owner only.
        pub(super) fn attach(&self) -> bool {
            let (Some(allocated), Some(freed)) = (
                thread_total(b"thread.allocatedp\0"),
                thread_total(b"thread.deallocatedp\0"),
            ) else {
                return false;
            };
            self.allocated_at.store(allocated, Ordering::Relaxed);
            self.freed_at.store(freed, Ordering::Relaxed);
            true
        }

        /// The owner's final totals; the slot forgets where they live. Called by the owner,
        /// once no reader can still be reading them.
        pub(super) fn detach(&self) -> (usize, usize) {
            let allocated = self.allocated_at.swap(ptr::null_mut(), Ordering::Relaxed);
            let freed = self.freed_at.swap(ptr::null_mut(), Ordering::Relaxed);
            // SAFETY: both point into the calling thread's own jemalloc thread data, which
            // lives until the thread is gone.
            unsafe { (*allocated as usize, *freed as usize) }
        }

        /// The totals of an `active` slot; `None` for any other.
        #[inline]
        pub(super) fn read(&self, active: bool) -> Option<(usize, usize)> {
            if !active {
                return None;
            }
            let allocated = self.allocated_at.load(Ordering::Relaxed);
            let freed = self.freed_at.load(Ordering::Relaxed);
            // SAFETY: the slot was seen ACTIVE after this reader joined READERS, so its owner has
            // not passed `wait_for_readers` and its thread data is still there (the stores of
            // both pointers happened before ACTIVE was stored). The words are 8-byte aligned
            // `uint64_t`s that only their owner writes, with single 64-bit stores, which are
            // single-copy atomic on 64-bit targets; the volatile loads are not split, merged or
            // cached. A stale value is fine: the owner may be allocating right now.
            Some(unsafe {
                (
                    ptr::read_volatile(allocated) as usize,
                    ptr::read_volatile(freed) as usize,
                )
            })
        }
    }

    /// Asks jemalloc where the calling thread's `thread.allocated`/`thread.deallocated` total lives.
    fn thread_total(name: &[u8]) -> Option<*mut u64> {
        debug_assert_eq!(name.last(), Some(&0));
        let mut at: *mut u64 = ptr::null_mut();
        let mut len = size_of::<*mut u64>();
        // SAFETY: `name` is NUL-terminated; the output buffer is a pointer-sized variable of
        // the type jemalloc's table gives these controls (`uint64_t *`). The call allocates
        // nothing through the public interface, so it cannot re-enter this counter.
        let rc = unsafe {
            ffi::mallctl(
                name.as_ptr().cast(),
                (&raw mut at).cast::<c_void>(),
                &mut len,
                ptr::null_mut(),
                0,
            )
        };
        (rc == 0 && !at.is_null()).then_some(at)
    }

    /// Marks the calling thread as reading other threads' totals until dropped.
    pub(super) struct Reading(());

    impl Reading {
        #[inline]
        pub(super) fn enter() -> Reading {
            // SeqCst with `retire`'s SeqCst store of RETIRING and load of READERS: either the
            // exiting thread sees this reader, or this reader sees the slot RETIRING.
            READERS.fetch_add(1, Ordering::SeqCst);
            Reading(())
        }
    }

    impl Drop for Reading {
        #[inline]
        fn drop(&mut self) {
            READERS.fetch_sub(1, Ordering::Release);
        }
    }

    /// Waits until no thread is inside [`super::used_memory`] (readers are a few loads long).
    pub(super) fn wait_for_readers() {
        let mut spins = 0u32;
        while READERS.load(Ordering::SeqCst) != 0 {
            if spins < 100 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }
}

#[cfg(not(all(feature = "jemalloc", target_pointer_width = "64")))]
mod source {
    //! Totals kept in the slot itself, by its owner.

    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::Total;

    /// The backend does not count per thread: the slot does.
    pub(super) const COUNTS_ITSELF: bool = false;

    /// The owning thread's totals.
    pub(super) struct Totals {
        allocated: AtomicUsize,
        freed: AtomicUsize,
    }

    impl Totals {
        pub(super) const fn new() -> Totals {
            Totals {
                allocated: AtomicUsize::new(0),
                freed: AtomicUsize::new(0),
            }
        }

        /// Adds to one total. Only the owning thread calls this.
        #[inline(always)]
        pub(super) fn bump(&self, total: Total, n: usize) {
            let total = match total {
                Total::Allocated => &self.allocated,
                Total::Freed => &self.freed,
            };
            // Single writer: a load and a store instead of a locked read-modify-write.
            total.store(
                total.load(Ordering::Relaxed).wrapping_add(n),
                Ordering::Relaxed,
            );
        }

        /// Totals start at zero: `detach` left them there.
        pub(super) fn attach(&self) -> bool {
            true
        }

        /// The owner's final totals, reset for the next owner.
        pub(super) fn detach(&self) -> (usize, usize) {
            (
                self.allocated.swap(0, Ordering::Relaxed),
                self.freed.swap(0, Ordering::Relaxed),
            )
        }

        /// The totals, whatever the slot's state: they are plain atomics in static memory.
        #[inline]
        pub(super) fn read(&self, _active: bool) -> Option<(usize, usize)> {
            Some((
                self.allocated.load(Ordering::Relaxed),
                self.freed.load(Ordering::Relaxed),
            ))
        }
    }

    /// Reading needs no coordination: nothing a reader touches ever goes away.
    pub(super) struct Reading(());

    impl Reading {
        #[inline(always)]
        pub(super) fn enter() -> Reading {
            Reading(())
        }
    }

    pub(super) fn wait_for_readers() {}
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
/// The sum of every thread's totals, read without stopping them: a concurrent allocation on
/// another thread may or may not be included, as with Redis's own per-thread counters. The
/// calling thread's own allocations are always included exactly.
pub fn used_memory() -> usize {
    let _reading = source::Reading::enter();
    let in_use = SLOTS_IN_USE.load(Ordering::Relaxed);
    let mut allocated = SHARED_ALLOCATED.load(Ordering::Relaxed);
    let mut freed = SHARED_FREED.load(Ordering::Relaxed);
    for slot in &SLOTS[..in_use] {
        // SeqCst pairs with `retire`'s store of RETIRING (see `source::Reading`).
        let state = slot.state.load(Ordering::SeqCst);
        if let Some((slot_allocated, slot_freed)) = slot.totals.read(state == ACTIVE) {
            allocated = allocated.wrapping_add(slot_allocated);
            freed = freed.wrapping_add(slot_freed);
        }
    }
    // A racing read may see a free before its allocation: clamp at zero.
    (allocated.wrapping_sub(freed) as isize).max(0) as usize
}

/// Number of threads that currently own a slot (for tests and diagnostics).
pub fn registered_threads() -> usize {
    SLOTS
        .iter()
        .filter(|slot| slot.state.load(Ordering::Relaxed) != FREE)
        .count()
}

/// Whether the calling thread counts into a slot of its own rather than the shared pair.
pub fn thread_has_slot() -> bool {
    MY_SLOT.with(Cell::get) < SLOT_COUNT
}
