//! libc backend: the C library's malloc, counted with `malloc_usable_size` (Redis's `libc` build).
//!
//! glibc cannot tell the usable size of a request before allocating, so counting asks the block
//! (`malloc_usable_size`) after allocating and before freeing. [`size_class`] is a lower bound of
//! the usable size: exact for small chunks unless glibc hands out a whole free chunk rather than
//! split off a remainder too small to use, and the request itself above that. Callers that size
//! their capacity by it never touch bytes they were not given.

use std::alloc::{GlobalAlloc, Layout, System};

use super::{AllocatorInfo, PurgeError};

/// glibc knows every block's size: no header.
pub(crate) const PREFIX_SIZE: usize = 0;

/// Whether [`size_class`] is exactly the usable size of the block it predicts (glibc may hand out a bigger chunk).
pub(crate) const SIZE_CLASS_EXACT: bool = false;

/// Redis has no statistics text for libc.
pub(crate) const HAS_STATS_TEXT: bool = false;

/// Requests below this are served from glibc's heap chunks (the lowest mmap threshold is
/// 128 KiB), whose usable size follows from the request alone.
const PREDICTABLE_MAX: usize = 64 * 1024;

/// A lower bound of the usable size glibc gives `malloc(size)`.
///
/// A 64-bit glibc chunk is the request plus an 8-byte size field rounded up to 16, at least 32
/// bytes, and the caller may use all but that size field.
#[inline]
pub(crate) fn size_class(size: usize) -> usize {
    if cfg!(all(target_env = "gnu", target_pointer_width = "64")) && size <= PREDICTABLE_MAX {
        ((size + 8 + 15) & !15).max(32) - 8
    } else {
        size
    }
}

/// # Safety
/// `size` must be non-zero and below `usize::MAX / 2`.
#[inline]
pub(crate) unsafe fn malloc(size: usize) -> *mut u8 {
    // SAFETY: forwarded contract.
    unsafe { libc::malloc(size).cast() }
}

/// # Safety
/// `size` must be non-zero and below `usize::MAX / 2`.
#[inline]
pub(crate) unsafe fn calloc(size: usize) -> *mut u8 {
    // SAFETY: forwarded contract.
    unsafe { libc::calloc(1, size).cast() }
}

/// # Safety
/// `ptr` must be a live block from this backend; `size` non-zero.
#[inline]
pub(crate) unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
    // SAFETY: forwarded contract.
    unsafe { libc::realloc(ptr.cast(), size).cast() }
}

/// # Safety
/// `ptr` must be a live block from this backend.
#[inline]
pub(crate) unsafe fn free(ptr: *mut u8) {
    // SAFETY: forwarded contract.
    unsafe { libc::free(ptr.cast()) }
}

/// glibc has no sized free; the size is only checked.
///
/// # Safety
/// `ptr` must be a live block from this backend and `counted` its [`block_size`].
#[inline]
pub(crate) unsafe fn free_sized(ptr: *mut u8, counted: usize) {
    debug_assert_eq!(counted, unsafe { block_size(ptr) });
    // SAFETY: forwarded contract.
    unsafe { libc::free(ptr.cast()) }
}

/// # Safety
/// `ptr` must be a live block from this backend.
#[inline]
pub(crate) unsafe fn block_size(ptr: *const u8) -> usize {
    // SAFETY: forwarded contract.
    unsafe { libc::malloc_usable_size(ptr.cast_mut().cast()) }
}

/// # Safety
/// `ptr` must be a live block from this backend.
#[inline]
pub(crate) unsafe fn usable_size(ptr: *const u8) -> usize {
    // SAFETY: forwarded contract.
    unsafe { block_size(ptr) }
}

/// # Safety
/// `ptr` must be a block just returned by this backend.
#[inline]
pub(crate) unsafe fn new_block_size(ptr: *const u8, _size: usize) -> usize {
    // SAFETY: forwarded contract.
    unsafe { block_size(ptr) }
}

/// No thread cache to bypass: plain malloc.
///
/// # Safety
/// `size` must be non-zero and below `usize::MAX / 2`.
pub(crate) unsafe fn malloc_no_tcache(size: usize) -> *mut u8 {
    // SAFETY: forwarded contract.
    unsafe { malloc(size) }
}

/// # Safety
/// `ptr` must be a live block from this backend.
pub(crate) unsafe fn free_no_tcache(ptr: *mut u8) {
    // SAFETY: forwarded contract.
    unsafe { free(ptr) }
}

// ---- global allocator hooks: std's System allocator is glibc's malloc -------------------

/// # Safety
/// As [`GlobalAlloc::alloc`].
#[inline]
pub(crate) unsafe fn global_alloc(layout: Layout) -> *mut u8 {
    // SAFETY: forwarded contract.
    unsafe { System.alloc(layout) }
}

/// # Safety
/// As [`GlobalAlloc::alloc_zeroed`].
#[inline]
pub(crate) unsafe fn global_alloc_zeroed(layout: Layout) -> *mut u8 {
    // SAFETY: forwarded contract.
    unsafe { System.alloc_zeroed(layout) }
}

/// # Safety
/// As [`GlobalAlloc::dealloc`].
#[inline]
pub(crate) unsafe fn global_dealloc(ptr: *mut u8, layout: Layout) {
    // SAFETY: forwarded contract.
    unsafe { System.dealloc(ptr, layout) }
}

/// # Safety
/// As [`GlobalAlloc::realloc`].
#[inline]
pub(crate) unsafe fn global_realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    // SAFETY: forwarded contract.
    unsafe { System.realloc(ptr, layout, new_size) }
}

/// # Safety
/// `ptr` must be a live block from [`global_alloc`] (System uses malloc or posix_memalign, both
/// of which `malloc_usable_size` understands).
#[inline]
pub(crate) unsafe fn global_block_size(ptr: *const u8, _size: usize, _align: usize) -> usize {
    // SAFETY: forwarded contract.
    unsafe { block_size(ptr) }
}

// ---- introspection: what Redis reports for libc ------------------------------------------

pub(crate) fn allocator_info() -> AllocatorInfo {
    AllocatorInfo::default()
}

pub(crate) fn allocator_name() -> &'static str {
    "libc"
}

/// `malloc_trim(0)`: glibc's way of returning free heap pages. Redis's libc build does nothing
/// here and replies `+OK`; trimming gives the same reply and actually lowers RSS.
pub(crate) fn purge() -> Result<(), PurgeError> {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
    Ok(())
}

pub(crate) fn flush_thread_cache() {}

pub(crate) fn set_background_thread(_enable: bool) {}

pub(crate) fn background_thread() -> bool {
    false
}

pub(crate) fn malloc_stats() -> String {
    "Stats not supported for the current allocator".to_string()
}
