//! libc backend: the C library's malloc, counted with `malloc_usable_size` (Redis's `libc` build).
//!
//! glibc cannot tell the usable size of a request before allocating, so counting asks the block
//! (`malloc_usable_size`) after allocating and before freeing. [`size_class`] is a lower bound of
//! the usable size: exact for small chunks unless glibc hands out a whole free chunk rather than
//! split off a remainder too small to use, and the request itself above that. Callers that size
//! their capacity by it never touch bytes they were not given. Everything else is [`Backend`]'s
//! default: std's `System` (glibc's malloc) for the global allocator, no thread cache, and what
//! Redis reports for libc.
//!
//! [`size_class`]: Backend::size_class

use super::{Backend, PurgeError};

/// glibc's malloc.
pub(crate) struct LibcMalloc;

/// Requests below this are served from glibc's heap chunks (the lowest mmap threshold is
/// 128 KiB), whose usable size follows from the request alone.
const PREDICTABLE_MAX: usize = 64 * 1024;

impl Backend for LibcMalloc {
    /// glibc knows every block's size: no header.
    const PREFIX_SIZE: usize = 0;

    /// Whether [`Self::size_class`] is exactly the usable size of the block it predicts (glibc may hand out a bigger chunk).
    const SIZE_CLASS_EXACT: bool = false;

    /// Redis has no statistics text for libc.
    const HAS_STATS_TEXT: bool = false;

    /// A lower bound of the usable size glibc gives `malloc(size)`.
    ///
    /// A 64-bit glibc chunk is the request plus an 8-byte size field rounded up to 16, at least 32
    /// bytes, and the caller may use all but that size field.
    #[inline]
    fn size_class(size: usize) -> usize {
        if cfg!(all(target_env = "gnu", target_pointer_width = "64")) && size <= PREDICTABLE_MAX {
            ((size + 8 + 15) & !15).max(32) - 8
        } else {
            size
        }
    }

    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    #[inline]
    unsafe fn malloc(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { libc::malloc(size).cast() }
    }

    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    #[inline]
    unsafe fn calloc(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { libc::calloc(1, size).cast() }
    }

    /// # Safety
    /// `ptr` must be a live block from this backend; `size` non-zero.
    #[inline]
    unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { libc::realloc(ptr.cast(), size).cast() }
    }

    /// glibc has no sized free: [`Backend::free_sized`] only checks the size.
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn free(ptr: *mut u8) {
        // SAFETY: forwarded contract.
        unsafe { libc::free(ptr.cast()) }
    }

    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn block_size(ptr: *const u8) -> usize {
        // SAFETY: forwarded contract.
        unsafe { libc::malloc_usable_size(ptr.cast_mut().cast()) }
    }

    // Global blocks: std's System uses malloc or posix_memalign, both of which
    // `malloc_usable_size` understands, so the default `global_block_size` asks the block.

    /// `malloc_trim(0)`: glibc's way of returning free heap pages. Redis's libc build does nothing
    /// here and replies `+OK`; trimming gives the same reply and actually lowers RSS.
    fn purge() -> Result<(), PurgeError> {
        #[cfg(target_env = "gnu")]
        // SAFETY: malloc_trim takes no pointers.
        unsafe {
            libc::malloc_trim(0);
        }
        Ok(())
    }
}
