//! Redis's zmalloc in Rust: counted allocation, Redis's block API, and memory introspection.
//!
//! Three things live here, as they do in Redis's `zmalloc.c`:
//!
//! * **Counting.** Every block is counted by its *usable size* — the allocator's size class, not the
//!   request — so [`used_memory`] matches what the allocator really handed out. The counts are
//!   per thread ([`counter`]): with jemalloc they are jemalloc's own per-thread totals, so the hot
//!   path adds one thread-local compare; with other backends a plain load and store on a cache line
//!   that only the owning thread writes. Readers sum the threads. A binary counts *every* heap
//!   allocation of the process by installing [`Zmalloc`] as its `#[global_allocator]`.
//! * **The block API** ([`malloc`], [`try_malloc`], [`realloc`], [`free_with_size`], …) for code that
//!   manages raw memory itself, such as the `sds` crate. Panicking forms call the OOM handler
//!   ([`set_oom_handler`]); `try_` forms return [`AllocError`] and never abort.
//! * **Introspection**: process RSS, the allocator's own statistics, purging, the allocator's
//!   statistics text, smaps fields and physical memory — what `INFO memory` and `MEMORY` report.
//!
//! The allocator behind all of it is chosen by cargo feature, exactly one of:
//! `jemalloc` (default; usable size from jemalloc's size classes), `libc-malloc` (glibc's malloc
//! with `malloc_usable_size`), `prefix-size` (Redis's `PREFIX_SIZE` mode: an 8-byte size header
//! before each explicit block, over any [`GlobalAlloc`](std::alloc::GlobalAlloc)) and `tcmalloc`
//! (gperftools' `libtcmalloc_minimal`).

#[cfg(not(any(
    feature = "jemalloc",
    feature = "libc-malloc",
    feature = "prefix-size",
    feature = "tcmalloc"
)))]
compile_error!(
    "zmalloc needs one backend feature: jemalloc (default), libc-malloc, prefix-size or tcmalloc"
);

#[cfg(any(
    all(feature = "jemalloc", feature = "libc-malloc"),
    all(feature = "jemalloc", feature = "prefix-size"),
    all(feature = "jemalloc", feature = "tcmalloc"),
    all(feature = "libc-malloc", feature = "prefix-size"),
    all(feature = "libc-malloc", feature = "tcmalloc"),
    all(feature = "prefix-size", feature = "tcmalloc"),
))]
compile_error!(
    "zmalloc backends are exclusive: use --no-default-features with one of libc-malloc, prefix-size, tcmalloc"
);

mod backend;
mod block;
pub mod counter;
mod global;
mod oom;
mod os;

/// Held by unit tests that change or measure the whole process's resident memory, which the
/// test harness would otherwise run at the same time.
#[cfg(test)]
pub(crate) static PROCESS_MEMORY_TEST: std::sync::Mutex<()> = std::sync::Mutex::new(());

use backend::{Backend, Sys};

#[cfg(feature = "prefix-size")]
pub use backend::PrefixSize;
pub use backend::{AllocatorInfo, PurgeError};
pub use block::{
    AllocError, MALLOC_MIN_SIZE, PREFIX_SIZE, SIZE_CLASS_EXACT, block_size, calloc, calloc_num,
    calloc_usable, free, free_no_tcache, free_usable, free_with_size, malloc, malloc_no_tcache,
    malloc_usable, realloc, realloc_usable, size_class, strdup, try_calloc, try_calloc_num,
    try_calloc_usable, try_malloc, try_malloc_usable, try_realloc, try_realloc_usable, usable_size,
};
pub use counter::used_memory;
pub use global::Zmalloc;
pub use oom::{default_oom_handler, set_oom_handler};
pub use os::{
    libc_free, madvise_dontneed, physical_memory, private_dirty, proc_stat_field, rss,
    smap_bytes_by_field,
};

/// The allocator's name and version as Redis prints it in `mem_allocator`:
/// `jemalloc-5.3.1`, `libc`, `tcmalloc-2.10`.
pub fn allocator_name() -> &'static str {
    Sys::allocator_name()
}

/// The allocator's statistics after refreshing them (jemalloc's `epoch`): allocated, active,
/// resident, retained, mapped and metadata bytes. All zero for allocators without such statistics,
/// as Redis's `zmalloc_get_allocator_info` reports them.
pub fn allocator_info() -> AllocatorInfo {
    Sys::allocator_info()
}

/// Returns dirty pages of every arena to the operating system (`MEMORY PURGE`).
///
/// jemalloc: the calling thread's cache flushed (unlike Redis: cached blocks pin their slabs),
/// then `arena.<all>.purge`, repeated while a background decay pass holds an arena. glibc: `malloc_trim(0)`. tcmalloc: `ReleaseFreeMemory`.
/// `prefix-size`: nothing to do.
pub fn purge() -> Result<(), PurgeError> {
    Sys::purge()
}

/// Turns the allocator's background purging thread on or off (Redis's `jemalloc-bg-thread`).
/// A no-op for allocators without one.
pub fn set_background_thread(enable: bool) {
    Sys::set_background_thread(enable)
}

/// Whether the allocator's background purging thread is running.
pub fn background_thread() -> bool {
    Sys::background_thread()
}

/// The allocator's statistics text (`MEMORY MALLOC-STATS`): jemalloc's `malloc_stats_print`
/// output, or Redis's `Stats not supported for the current allocator` for other allocators.
pub fn malloc_stats() -> String {
    Sys::malloc_stats()
}

/// Whether [`malloc_stats`] is the allocator's own text (jemalloc) rather than Redis's
/// "not supported" sentence; Redis replies with a verbatim string only in the first case.
pub fn has_malloc_stats() -> bool {
    Sys::HAS_STATS_TEXT
}

/// Flushes the calling thread's allocator cache so that freed blocks no longer count as
/// allocated in [`allocator_info`] (jemalloc's `thread.tcache.flush`; a no-op elsewhere).
pub fn flush_thread_cache() {
    Sys::flush_thread_cache()
}
