//! The allocator behind zmalloc, selected by cargo feature.
//!
//! Every backend is a unit struct implementing [`Backend`], and exactly one of them is [`Sys`]:
//! raw block calls (sizes already adjusted by the caller), the usable size of a block and of a
//! request, the global-allocator hooks returning the bytes they counted, and the allocator's
//! introspection. The trait's default methods hold what most backends share (std's `System` as
//! the global allocator, no thread cache, Redis's replies for an allocator without statistics);
//! calls are static, through the [`Sys`] alias.

use std::alloc::{GlobalAlloc, Layout, System};

#[cfg(feature = "jemalloc")]
pub(crate) mod jemalloc;
#[cfg(feature = "jemalloc")]
pub(crate) type Sys = jemalloc::Jemalloc;

#[cfg(feature = "libc-malloc")]
pub(crate) mod libc_malloc;
#[cfg(feature = "libc-malloc")]
pub(crate) type Sys = libc_malloc::LibcMalloc;

#[cfg(feature = "prefix-size")]
pub(crate) mod prefix;
#[cfg(feature = "prefix-size")]
pub(crate) type Sys = prefix::Prefix;
#[cfg(feature = "prefix-size")]
pub use prefix::PrefixSize;

#[cfg(feature = "tcmalloc")]
pub(crate) mod tcmalloc;
#[cfg(feature = "tcmalloc")]
pub(crate) type Sys = tcmalloc::Tcmalloc;

/// One allocator as zmalloc uses it. Implementors are unit structs; nothing is called through a
/// trait object.
pub(crate) trait Backend {
    /// Bytes of bookkeeping in front of every explicit block.
    const PREFIX_SIZE: usize;

    /// Whether [`Self::size_class`] is exactly the usable size of the block it predicts.
    const SIZE_CLASS_EXACT: bool;

    /// Whether [`Self::malloc_stats`] is the allocator's own text (`MEMORY MALLOC-STATS`).
    const HAS_STATS_TEXT: bool;

    /// The usable size a `malloc(size)` block will have, known before allocating; 0 if the
    /// allocator cannot serve the request. `size` must be non-zero.
    fn size_class(size: usize) -> usize;

    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    unsafe fn malloc(size: usize) -> *mut u8;

    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    unsafe fn calloc(size: usize) -> *mut u8;

    /// # Safety
    /// `ptr` must be a live block from this backend; `size` non-zero.
    unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8;

    /// # Safety
    /// `ptr` must be a live block from this backend.
    unsafe fn free(ptr: *mut u8);

    /// Frees a block whose [`Self::block_size`] the caller knows. Without a sized free the size
    /// is only checked.
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend and `counted` its [`Self::block_size`].
    #[inline]
    unsafe fn free_sized(ptr: *mut u8, counted: usize) {
        // SAFETY: `ptr` is a live block (caller contract).
        debug_assert_eq!(counted, unsafe { Self::block_size(ptr) });
        // SAFETY: forwarded contract.
        unsafe { Self::free(ptr) }
    }

    /// Bytes counted for a live block (Redis's `zmalloc_size`).
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    unsafe fn block_size(ptr: *const u8) -> usize;

    /// Bytes the caller may use in a live block (Redis's `zmalloc_usable_size`): without a
    /// header, the block's size.
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn usable_size(ptr: *const u8) -> usize {
        // SAFETY: forwarded contract.
        unsafe { Self::block_size(ptr) }
    }

    /// Bytes counted for a block just returned by [`Self::malloc`]/[`Self::calloc`]/
    /// [`Self::realloc`] for `size`: by default, asked of the block.
    ///
    /// # Safety
    /// `ptr` must be that block.
    #[inline]
    unsafe fn new_block_size(ptr: *const u8, _size: usize) -> usize {
        // SAFETY: forwarded contract.
        unsafe { Self::block_size(ptr) }
    }

    /// Allocates bypassing the thread cache; without a per-call bypass, plain [`Self::malloc`].
    ///
    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    unsafe fn malloc_no_tcache(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { Self::malloc(size) }
    }

    /// Frees bypassing the thread cache; without a per-call bypass, plain [`Self::free`].
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    unsafe fn free_no_tcache(ptr: *mut u8) {
        // SAFETY: forwarded contract.
        unsafe { Self::free(ptr) }
    }

    // ---- global allocator hooks: std's System allocator unless overridden -----------------

    /// # Safety
    /// As [`GlobalAlloc::alloc`].
    #[inline]
    unsafe fn global_alloc(layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    /// # Safety
    /// As [`GlobalAlloc::alloc_zeroed`].
    #[inline]
    unsafe fn global_alloc_zeroed(layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    /// # Safety
    /// As [`GlobalAlloc::dealloc`].
    #[inline]
    unsafe fn global_dealloc(ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    /// # Safety
    /// As [`GlobalAlloc::realloc`].
    #[inline]
    unsafe fn global_realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    /// Bytes counted for a live global block of `size` bytes at `align`: by default, asked of
    /// the block.
    ///
    /// # Safety
    /// `ptr` must be a live block from [`Self::global_alloc`] of that layout.
    #[inline]
    unsafe fn global_block_size(ptr: *const u8, _size: usize, _align: usize) -> usize {
        // SAFETY: forwarded contract.
        unsafe { Self::block_size(ptr) }
    }

    // ---- introspection: what Redis reports for an allocator without statistics ------------

    /// The allocator's statistics after refreshing them; all zero by default.
    fn allocator_info() -> AllocatorInfo {
        AllocatorInfo::default()
    }

    /// The allocator's name as Redis prints it in `mem_allocator`.
    fn allocator_name() -> &'static str {
        "libc"
    }

    /// Returns free pages to the OS; nothing to do by default.
    fn purge() -> Result<(), PurgeError> {
        Ok(())
    }

    /// Flushes the calling thread's cache; no cache by default.
    fn flush_thread_cache() {}

    /// Turns the background purging thread on or off; none by default.
    fn set_background_thread(_enable: bool) {}

    /// Whether the background purging thread is running.
    fn background_thread() -> bool {
        false
    }

    /// The allocator's statistics text, or Redis's sentence for an allocator without one.
    fn malloc_stats() -> String {
        "Stats not supported for the current allocator".to_string()
    }
}

/// The allocator's own view of memory, in bytes (jemalloc's `stats.*` after an epoch refresh).
///
/// Redis 7.0 reads `allocated`, `active` and `resident`; later versions add `retained`. All
/// fields are zero for allocators that keep no such statistics, as in Redis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocatorInfo {
    /// Bytes in blocks handed out to the application (including blocks parked in thread caches).
    pub allocated: usize,
    /// Bytes in active pages: `allocated` plus the unused parts of partly used pages.
    pub active: usize,
    /// Bytes of physically resident data pages mapped by the allocator, including its metadata.
    pub resident: usize,
    /// Bytes of virtual memory kept mapped but returned to the OS (not resident).
    pub retained: usize,
    /// Bytes in chunks mapped by the allocator.
    pub mapped: usize,
    /// Bytes of the allocator's own metadata.
    pub metadata: usize,
}

/// The allocator refused to purge its dirty pages (`-ERR Error purging dirty pages`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Error purging dirty pages")]
pub struct PurgeError;
