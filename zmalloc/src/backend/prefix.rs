//! `PREFIX_SIZE` backend: an 8-byte size header before every explicit block, for allocators that
//! cannot report a block's size (Redis's build without `HAVE_MALLOC_SIZE`).
//!
//! [`PrefixSize`] works over any [`GlobalAlloc`]; the crate's functions use it over std's
//! [`System`] ([`Prefix`]). As in Redis, a block counts its request plus the header, the header
//! holds the request (after `MALLOC_MIN_SIZE`, as Redis unstable and Valkey store it), and user
//! pointers are 8-byte aligned. Global-allocator blocks need no header — Rust passes the size
//! back on free — so they go to [`System`] (the [`Backend`] default) and are counted by their
//! requested size.

use std::alloc::{GlobalAlloc, Layout, System};

use super::Backend;

/// Bytes of the size header in front of every explicit block.
const PREFIX_SIZE: usize = size_of::<usize>();

/// Alignment of the underlying allocation; the user pointer sits `PREFIX_SIZE` bytes in.
const BASE_ALIGN: usize = 16;

/// Blocks with a size header over any global allocator.
#[derive(Debug, Default, Clone, Copy)]
pub struct PrefixSize<A>(pub A);

impl<A: GlobalAlloc> PrefixSize<A> {
    fn layout(size: usize) -> Option<Layout> {
        Layout::from_size_align(size.checked_add(PREFIX_SIZE)?, BASE_ALIGN).ok()
    }

    /// Allocates `size` usable bytes after a header; null on failure.
    ///
    /// # Safety
    /// `size` must be non-zero.
    pub unsafe fn malloc(&self, size: usize, zeroed: bool) -> *mut u8 {
        let Some(layout) = Self::layout(size) else {
            return std::ptr::null_mut();
        };
        // SAFETY: the layout is non-zero-sized.
        let base = unsafe {
            if zeroed {
                self.0.alloc_zeroed(layout)
            } else {
                self.0.alloc(layout)
            }
        };
        if base.is_null() {
            return base;
        }
        // SAFETY: the block starts with PREFIX_SIZE bytes reserved for the header, and `base` is
        // 16-aligned, so the usize write is aligned.
        unsafe {
            base.cast::<usize>().write(size);
            base.add(PREFIX_SIZE)
        }
    }

    /// The request stored in the header of a live block.
    ///
    /// # Safety
    /// `ptr` must be a live block from this allocator.
    pub unsafe fn requested(&self, ptr: *const u8) -> usize {
        // SAFETY: the header sits PREFIX_SIZE bytes before every block and is aligned.
        unsafe { ptr.sub(PREFIX_SIZE).cast::<usize>().read() }
    }

    /// Resizes a live block; null (and the block intact) on failure.
    ///
    /// # Safety
    /// `ptr` must be a live block from this allocator; `size` non-zero.
    pub unsafe fn realloc(&self, ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        let old = unsafe { self.requested(ptr) };
        let (Some(old_layout), Some(_)) = (Self::layout(old), Self::layout(size)) else {
            return std::ptr::null_mut();
        };
        // SAFETY: the base pointer and layout are the ones the block was allocated with, and the
        // new size was checked to form a valid layout.
        unsafe {
            let base = self
                .0
                .realloc(ptr.sub(PREFIX_SIZE), old_layout, size + PREFIX_SIZE);
            if base.is_null() {
                return base;
            }
            base.cast::<usize>().write(size);
            base.add(PREFIX_SIZE)
        }
    }

    /// Frees a live block.
    ///
    /// # Safety
    /// `ptr` must be a live block from this allocator.
    pub unsafe fn free(&self, ptr: *mut u8) {
        // SAFETY: forwarded contract; the layout is rebuilt from the header as allocated.
        unsafe {
            let size = self.requested(ptr);
            let layout = Layout::from_size_align_unchecked(size + PREFIX_SIZE, BASE_ALIGN);
            self.0.dealloc(ptr.sub(PREFIX_SIZE), layout);
        }
    }
}

const BLOCKS: PrefixSize<System> = PrefixSize(System);

/// [`PrefixSize`] over std's [`System`]: the crate's backend in `prefix-size` mode.
pub(crate) struct Prefix;

impl Backend for Prefix {
    /// Bytes of the size header in front of every explicit block.
    const PREFIX_SIZE: usize = self::PREFIX_SIZE;

    /// Whether [`Self::size_class`] is exactly the usable size of the block it predicts (the header holds the request).
    const SIZE_CLASS_EXACT: bool = true;

    /// Redis has no statistics text without jemalloc.
    const HAS_STATS_TEXT: bool = false;

    /// Without a size query the only certain usable size is the request itself.
    #[inline]
    fn size_class(size: usize) -> usize {
        size
    }

    /// # Safety
    /// `size` must be non-zero.
    #[inline]
    unsafe fn malloc(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { BLOCKS.malloc(size, false) }
    }

    /// # Safety
    /// `size` must be non-zero.
    #[inline]
    unsafe fn calloc(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { BLOCKS.malloc(size, true) }
    }

    /// # Safety
    /// `ptr` must be a live block from this backend; `size` non-zero.
    #[inline]
    unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { BLOCKS.realloc(ptr, size) }
    }

    /// The header already holds the size: [`Backend::free_sized`] only checks `counted`.
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn free(ptr: *mut u8) {
        // SAFETY: forwarded contract.
        unsafe { BLOCKS.free(ptr) }
    }

    /// Request plus header, as Redis's `zmalloc_size` reports it in this mode.
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn block_size(ptr: *const u8) -> usize {
        // SAFETY: forwarded contract.
        unsafe { BLOCKS.requested(ptr) + PREFIX_SIZE }
    }

    /// The request, as Redis's `zmalloc_usable_size` reports it in this mode.
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn usable_size(ptr: *const u8) -> usize {
        // SAFETY: forwarded contract.
        unsafe { BLOCKS.requested(ptr) }
    }

    /// # Safety
    /// `ptr` must be the block just allocated for `size`.
    #[inline]
    unsafe fn new_block_size(_ptr: *const u8, size: usize) -> usize {
        size + PREFIX_SIZE
    }

    /// Global blocks carry no header: counted by their requested size.
    ///
    /// # Safety
    /// No requirement: the size comes from the layout.
    #[inline]
    unsafe fn global_block_size(_ptr: *const u8, size: usize, _align: usize) -> usize {
        size
    }
}
