//! tcmalloc backend: gperftools' `libtcmalloc_minimal` (Debian's `libgoogle-perftools-dev`),
//! counted with `tc_malloc_size`, as Redis's `USE_TCMALLOC` build.
//!
//! Linking the library makes it the process's malloc. The C API is declared here by hand: the
//! crates that wrap gperftools are unmaintained, and these are ten stable C functions.

use std::alloc::Layout;
use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

use super::{Backend, PurgeError};

#[link(name = "tcmalloc_minimal")]
unsafe extern "C" {
    fn tc_malloc(size: usize) -> *mut c_void;
    fn tc_calloc(count: usize, size: usize) -> *mut c_void;
    fn tc_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn tc_free(ptr: *mut c_void);
    fn tc_memalign(align: usize, size: usize) -> *mut c_void;
    fn tc_malloc_size(ptr: *mut c_void) -> usize;
    fn tc_version(major: *mut c_int, minor: *mut c_int, patch: *mut *const c_char)
    -> *const c_char;
    fn MallocExtension_ReleaseFreeMemory();
    fn MallocExtension_GetEstimatedAllocatedSize(size: usize) -> usize;
}

/// gperftools' tcmalloc.
pub(crate) struct Tcmalloc;

/// The alignment `tc_malloc` guarantees.
const MIN_ALIGN: usize = 16;

fn plain(layout: Layout) -> bool {
    layout.align() <= MIN_ALIGN && layout.align() <= layout.size()
}

impl Backend for Tcmalloc {
    /// tcmalloc knows every block's size: no header.
    const PREFIX_SIZE: usize = 0;

    /// Whether [`Self::size_class`] is exactly the usable size of the block it predicts: not
    /// after a realloc, which keeps a block that shrinks by less than half.
    const SIZE_CLASS_EXACT: bool = false;

    /// Redis has no statistics text without jemalloc.
    const HAS_STATS_TEXT: bool = false;

    /// The usable size tcmalloc gives `malloc(size)`, computed without allocating.
    #[inline]
    fn size_class(size: usize) -> usize {
        // SAFETY: a pure size computation.
        unsafe { MallocExtension_GetEstimatedAllocatedSize(size) }
    }

    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    #[inline]
    unsafe fn malloc(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { tc_malloc(size).cast() }
    }

    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    #[inline]
    unsafe fn calloc(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { tc_calloc(1, size).cast() }
    }

    /// # Safety
    /// `ptr` must be a live block from this backend; `size` non-zero.
    #[inline]
    unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { tc_realloc(ptr.cast(), size).cast() }
    }

    /// tcmalloc offers no per-call cache bypass, so [`Backend::malloc_no_tcache`] and
    /// [`Backend::free_no_tcache`] are plain malloc and free.
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn free(ptr: *mut u8) {
        // SAFETY: forwarded contract.
        unsafe { tc_free(ptr.cast()) }
    }

    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn block_size(ptr: *const u8) -> usize {
        // SAFETY: forwarded contract.
        unsafe { tc_malloc_size(ptr.cast_mut().cast()) }
    }

    // ---- global allocator hooks ------------------------------------------------------------

    /// # Safety
    /// As [`std::alloc::GlobalAlloc::alloc`].
    #[inline]
    unsafe fn global_alloc(layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe {
            if plain(layout) {
                tc_malloc(layout.size()).cast()
            } else {
                tc_memalign(layout.align(), layout.size()).cast()
            }
        }
    }

    /// # Safety
    /// As [`std::alloc::GlobalAlloc::alloc_zeroed`].
    #[inline]
    unsafe fn global_alloc_zeroed(layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract; a memaligned block is zeroed over its requested size.
        unsafe {
            if plain(layout) {
                tc_calloc(1, layout.size()).cast()
            } else {
                let ptr: *mut u8 = tc_memalign(layout.align(), layout.size()).cast();
                if !ptr.is_null() {
                    ptr.write_bytes(0, layout.size());
                }
                ptr
            }
        }
    }

    /// # Safety
    /// As [`std::alloc::GlobalAlloc::dealloc`].
    #[inline]
    unsafe fn global_dealloc(ptr: *mut u8, _layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { tc_free(ptr.cast()) }
    }

    /// # Safety
    /// As [`std::alloc::GlobalAlloc::realloc`].
    #[inline]
    unsafe fn global_realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract; the over-aligned path copies the smaller of the two sizes.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            if plain(new_layout) {
                return tc_realloc(ptr.cast(), new_size).cast();
            }
            let new = Self::global_alloc(new_layout);
            if !new.is_null() {
                new.copy_from_nonoverlapping(ptr, layout.size().min(new_size));
                tc_free(ptr.cast());
            }
            new
        }
    }

    // ---- introspection: Redis reports no allocator statistics for tcmalloc ----------------

    fn allocator_name() -> &'static str {
        static NAME: OnceLock<String> = OnceLock::new();
        NAME.get_or_init(|| {
            let (mut major, mut minor) = (0, 0);
            // SAFETY: valid out-pointers; a null patch pointer is accepted.
            unsafe { tc_version(&mut major, &mut minor, std::ptr::null_mut()) };
            format!("tcmalloc-{major}.{minor}")
        })
    }

    /// Returns free pages to the OS. Redis's tcmalloc build does nothing here and replies `+OK`.
    fn purge() -> Result<(), PurgeError> {
        // SAFETY: no arguments.
        unsafe { MallocExtension_ReleaseFreeMemory() };
        Ok(())
    }
}
