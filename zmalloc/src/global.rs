//! [`Zmalloc`]: the counting global allocator.
//!
//! It forwards to the selected backend and adds each block's usable size to the calling thread's
//! counter (subtracting on free). With jemalloc the size comes from the layout's size class, so
//! neither path looks the block up. Nothing here allocates, locks, logs or panics.

use std::alloc::{GlobalAlloc, Layout};

use crate::backend::{Backend, Sys};
use crate::counter;

/// The counting global allocator. Install it in a binary to count every heap allocation of the
/// process in [`crate::used_memory`]:
///
/// ```
/// #[global_allocator]
/// static GLOBAL: zmalloc::Zmalloc = zmalloc::Zmalloc;
///
/// fn main() {
///     let before = zmalloc::used_memory();
///     let block = vec![0u8; 1000];
///     assert!(zmalloc::used_memory() >= before + block.len());
/// }
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Zmalloc;

/// Counts a block the backend just returned for `layout`, or nothing if it returned null. The
/// null check lives in the size lookup, which only runs when the backend does not count by
/// itself: with jemalloc the common path is a single thread-local compare.
#[inline(always)]
fn count_new(ptr: *mut u8, layout: Layout) {
    counter::add(|| {
        if ptr.is_null() {
            0
        } else {
            // SAFETY: `ptr` is a live block of `layout`, just returned by the backend.
            unsafe { Sys::global_block_size(ptr, layout.size(), layout.align()) }
        }
    });
}

// SAFETY: every method forwards to a backend that upholds the GlobalAlloc contract for the same
// arguments; the counting around it touches no memory handed to the caller.
unsafe impl GlobalAlloc for Zmalloc {
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let ptr = unsafe { Sys::global_alloc(layout) };
        count_new(ptr, layout);
        ptr
    }

    #[inline(always)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let ptr = unsafe { Sys::global_alloc_zeroed(layout) };
        count_new(ptr, layout);
        ptr
    }

    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout` until the dealloc below.
        counter::sub(|| unsafe { Sys::global_block_size(ptr, layout.size(), layout.align()) });
        // SAFETY: forwarded contract.
        unsafe { Sys::global_dealloc(ptr, layout) }
    }

    #[inline(always)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Measured before it may move, and only if the count will use it.
        let old = if counter::sizes_needed() {
            // SAFETY: `ptr` is a live block of `layout`.
            unsafe { Sys::global_block_size(ptr, layout.size(), layout.align()) }
        } else {
            0
        };
        // SAFETY: forwarded contract.
        let new = unsafe { Sys::global_realloc(ptr, layout, new_size) };
        if !new.is_null() {
            counter::sub(|| old);
            // SAFETY: `new` is a live block of `new_size` bytes at the same alignment.
            counter::add(|| unsafe { Sys::global_block_size(new, new_size, layout.align()) });
        }
        // On failure the old block is untouched and still counted.
        new
    }
}
