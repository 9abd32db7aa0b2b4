//! Redis's zmalloc block API: counted malloc/calloc/realloc/free for code that manages raw memory.
//!
//! Naming follows Redis with Rust conventions: `zmalloc` is [`malloc`], `ztrymalloc_usable` is
//! [`try_malloc_usable`], Valkey's `zfree_with_size` is [`free_with_size`]. Semantics follow
//! Redis 7.0.15 (see the crate README for the two deliberate differences):
//!
//! * every request of `usize::MAX / 2` bytes or more fails before reaching the allocator;
//! * a zero-byte request becomes [`MALLOC_MIN_SIZE`] bytes;
//! * the counter moves by the block's size as the allocator reports it, and not at all when a
//!   call fails;
//! * panicking forms call the OOM handler ([`crate::set_oom_handler`]) on failure; `try_` forms
//!   return [`AllocError`].

use std::ffi::CStr;
use std::ptr::NonNull;

use crate::backend::{Backend, Sys};
use crate::counter;
use crate::oom::out_of_memory;

/// Smallest request passed to the allocator: Redis's `MALLOC_MIN_SIZE`, `sizeof(long)`.
pub const MALLOC_MIN_SIZE: usize = size_of::<std::ffi::c_long>();

/// Bytes of bookkeeping in front of every explicit block: 0, or 8 in the `prefix-size` backend.
pub const PREFIX_SIZE: usize = Sys::PREFIX_SIZE;

/// Whether [`size_class`] is exact for this backend: a block allocated or reallocated with
/// `size_class(n)` bytes then has exactly that usable size, so a caller may free it with
/// [`free_with_size`] without asking the allocator. True for jemalloc and `prefix-size`; glibc
/// may hand out a bigger chunk than predicted, and glibc and tcmalloc keep the old block when a
/// realloc shrinks it a little.
pub const SIZE_CLASS_EXACT: bool = Sys::SIZE_CLASS_EXACT;

/// Requests at or above this size fail at once (Redis's `ASSERT_NO_SIZE_OVERFLOW`).
const MAX_REQUEST: usize = usize::MAX / 2;

/// An allocation could not be satisfied: the size was impossible or the allocator had no memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("zmalloc: Out of memory trying to allocate {size} bytes")]
pub struct AllocError {
    /// The size that was asked for (`usize::MAX` for a `calloc_num` overflow).
    pub size: usize,
}

#[inline(always)]
fn request(size: usize) -> usize {
    if size == 0 { MALLOC_MIN_SIZE } else { size }
}

/// Counts a block just obtained for `request` bytes and returns its usable size.
#[inline(always)]
fn count_new(ptr: NonNull<u8>, request: usize) -> usize {
    // SAFETY: `ptr` was just returned by the backend for `request` bytes.
    let counted = unsafe { Sys::new_block_size(ptr.as_ptr(), request) };
    counter::add(|| counted);
    counted - PREFIX_SIZE
}

/// The usable size a block requested with `size` bytes will have, known before allocating.
///
/// Exact for jemalloc and tcmalloc (their size classes), a lower bound for glibc, and `size`
/// itself in `prefix-size` mode. Code that records capacity this way owns every byte it uses:
/// Redis relies on `malloc_usable_size` slack after the fact, which Rust must not.
#[inline]
pub fn size_class(size: usize) -> usize {
    if size >= MAX_REQUEST {
        return size;
    }
    match Sys::size_class(request(size)) {
        0 => size,
        class => class,
    }
}

/// Allocates `size` bytes and reports the block's usable size; `Err` on failure.
#[inline]
pub fn try_malloc_usable(size: usize) -> Result<(NonNull<u8>, usize), AllocError> {
    if size >= MAX_REQUEST {
        return Err(AllocError { size });
    }
    let request = request(size);
    // SAFETY: `request` is non-zero and below MAX_REQUEST.
    let ptr = NonNull::new(unsafe { Sys::malloc(request) }).ok_or(AllocError { size })?;
    Ok((ptr, count_new(ptr, request)))
}

/// Allocates `size` bytes; `Err` on failure (`ztrymalloc`).
#[inline]
pub fn try_malloc(size: usize) -> Result<NonNull<u8>, AllocError> {
    try_malloc_usable(size).map(|(ptr, _)| ptr)
}

/// Allocates `size` bytes and reports the usable size; calls the OOM handler on failure.
#[inline]
pub fn malloc_usable(size: usize) -> (NonNull<u8>, usize) {
    try_malloc_usable(size).unwrap_or_else(|_| out_of_memory(size))
}

/// Allocates `size` bytes; calls the OOM handler on failure (`zmalloc`).
#[inline]
pub fn malloc(size: usize) -> NonNull<u8> {
    malloc_usable(size).0
}

/// Allocates `size` zeroed bytes and reports the usable size; `Err` on failure.
#[inline]
pub fn try_calloc_usable(size: usize) -> Result<(NonNull<u8>, usize), AllocError> {
    if size >= MAX_REQUEST {
        return Err(AllocError { size });
    }
    let request = request(size);
    // SAFETY: `request` is non-zero and below MAX_REQUEST.
    let ptr = NonNull::new(unsafe { Sys::calloc(request) }).ok_or(AllocError { size })?;
    Ok((ptr, count_new(ptr, request)))
}

/// Allocates `size` zeroed bytes; `Err` on failure (`ztrycalloc`).
#[inline]
pub fn try_calloc(size: usize) -> Result<NonNull<u8>, AllocError> {
    try_calloc_usable(size).map(|(ptr, _)| ptr)
}

/// Allocates `size` zeroed bytes and reports the usable size; calls the OOM handler on failure.
#[inline]
pub fn calloc_usable(size: usize) -> (NonNull<u8>, usize) {
    try_calloc_usable(size).unwrap_or_else(|_| out_of_memory(size))
}

/// Allocates `size` zeroed bytes; calls the OOM handler on failure (`zcalloc`).
#[inline]
pub fn calloc(size: usize) -> NonNull<u8> {
    calloc_usable(size).0
}

/// Allocates `num * size` zeroed bytes; `Err` when the product overflows.
///
/// Like Redis's `zcalloc_num`, a zero `size` counts as an overflow (Redis checks by division).
pub fn try_calloc_num(num: usize, size: usize) -> Result<NonNull<u8>, AllocError> {
    match num.checked_mul(size) {
        Some(total) if size != 0 => try_calloc(total),
        _ => Err(AllocError { size: usize::MAX }),
    }
}

/// Allocates `num * size` zeroed bytes; the OOM handler is called with `usize::MAX` when the
/// product overflows or `size` is zero (`zcalloc_num`).
pub fn calloc_num(num: usize, size: usize) -> NonNull<u8> {
    match num.checked_mul(size) {
        Some(total) if size != 0 => calloc(total),
        _ => out_of_memory(usize::MAX),
    }
}

/// Resizes a block and reports the new usable size (`ztryrealloc_usable`).
///
/// * `ptr == None` allocates like [`try_malloc_usable`].
/// * `size == 0` frees the block and returns `Ok(None)`.
/// * On failure the block is left as it was, still counted, and `Err` is returned. (Redis frees
///   the block when the size fails its overflow check; here the caller keeps what it owns.)
///
/// # Safety
/// `ptr`, if given, must be a live block from this crate; on success it is no longer valid.
pub unsafe fn try_realloc_usable(
    ptr: Option<NonNull<u8>>,
    size: usize,
) -> Result<Option<(NonNull<u8>, usize)>, AllocError> {
    let Some(old) = ptr else {
        return try_malloc_usable(size).map(Some);
    };
    if size == 0 {
        // SAFETY: forwarded contract.
        unsafe { free(old.as_ptr()) };
        return Ok(None);
    }
    if size >= MAX_REQUEST {
        return Err(AllocError { size });
    }
    // Measured before it may move, and only if the count will use it.
    let old_counted = if counter::sizes_needed() {
        // SAFETY: `old` is a live block (caller contract).
        unsafe { Sys::block_size(old.as_ptr()) }
    } else {
        0
    };
    // SAFETY: `old` is live and `size` is non-zero and below MAX_REQUEST.
    let new =
        NonNull::new(unsafe { Sys::realloc(old.as_ptr(), size) }).ok_or(AllocError { size })?;
    counter::sub(|| old_counted);
    Ok(Some((new, count_new(new, size))))
}

/// Resizes a block (`ztryrealloc`); see [`try_realloc_usable`].
///
/// # Safety
/// As [`try_realloc_usable`].
pub unsafe fn try_realloc(
    ptr: Option<NonNull<u8>>,
    size: usize,
) -> Result<Option<NonNull<u8>>, AllocError> {
    // SAFETY: forwarded contract.
    unsafe { try_realloc_usable(ptr, size) }.map(|block| block.map(|(ptr, _)| ptr))
}

/// Resizes a block and reports the new usable size; calls the OOM handler on failure
/// (`zrealloc_usable`). Returns `None` only when `size == 0` freed the block.
///
/// # Safety
/// As [`try_realloc_usable`].
pub unsafe fn realloc_usable(
    ptr: Option<NonNull<u8>>,
    size: usize,
) -> Option<(NonNull<u8>, usize)> {
    // SAFETY: forwarded contract.
    unsafe { try_realloc_usable(ptr, size) }.unwrap_or_else(|_| out_of_memory(size))
}

/// Resizes a block; calls the OOM handler on failure (`zrealloc`). Returns `None` only when
/// `size == 0` freed the block.
///
/// # Safety
/// As [`try_realloc_usable`].
pub unsafe fn realloc(ptr: Option<NonNull<u8>>, size: usize) -> Option<NonNull<u8>> {
    // SAFETY: forwarded contract.
    unsafe { realloc_usable(ptr, size) }.map(|(ptr, _)| ptr)
}

/// Frees a block; null is ignored (`zfree`).
///
/// # Safety
/// `ptr` must be null or a live block from this crate.
#[inline]
pub unsafe fn free(ptr: *mut u8) {
    // SAFETY: forwarded contract.
    unsafe { free_usable(ptr) };
}

/// Frees a block and returns its usable size; null is ignored and returns 0 (`zfree_usable`).
///
/// # Safety
/// `ptr` must be null or a live block from this crate.
#[inline]
pub unsafe fn free_usable(ptr: *mut u8) -> usize {
    if ptr.is_null() {
        return 0;
    }
    // SAFETY: `ptr` is a live block (caller contract).
    let counted = unsafe { Sys::block_size(ptr) };
    counter::sub(|| counted);
    // SAFETY: as above; the size is the block's own.
    unsafe { Sys::free_sized(ptr, counted) };
    counted - PREFIX_SIZE
}

/// Frees a block whose usable size the caller already knows, without asking the allocator
/// (Valkey's `zfree_with_size`; jemalloc's sized `sdallocx`).
///
/// # Safety
/// `ptr` must be a live block from this crate and `usable` exactly the usable size that
/// allocation or [`usable_size`] reported for it.
#[inline]
pub unsafe fn free_with_size(ptr: NonNull<u8>, usable: usize) {
    let counted = usable + PREFIX_SIZE;
    counter::sub(|| counted);
    // SAFETY: forwarded contract.
    unsafe { Sys::free_sized(ptr.as_ptr(), counted) };
}

/// Usable bytes of a live block (`zmalloc_usable_size`).
///
/// # Safety
/// `ptr` must be a live block from this crate.
#[inline]
pub unsafe fn usable_size(ptr: NonNull<u8>) -> usize {
    // SAFETY: forwarded contract.
    unsafe { Sys::usable_size(ptr.as_ptr()) }
}

/// Bytes a live block counts in [`crate::used_memory`], header included (`zmalloc_size`).
///
/// # Safety
/// `ptr` must be a live block from this crate.
#[inline]
pub unsafe fn block_size(ptr: NonNull<u8>) -> usize {
    // SAFETY: forwarded contract.
    unsafe { Sys::block_size(ptr.as_ptr()) }
}

/// Copies a C string, NUL included, into a new block (`zstrdup`). Free it with [`free`].
pub fn strdup(s: &CStr) -> NonNull<u8> {
    let bytes = s.to_bytes_with_nul();
    let ptr = malloc(bytes.len());
    // SAFETY: the block has at least `bytes.len()` bytes and cannot overlap `s`.
    unsafe {
        ptr.as_ptr()
            .copy_from_nonoverlapping(bytes.as_ptr(), bytes.len())
    };
    ptr
}

/// Allocates `size` bytes bypassing the thread cache (jemalloc `MALLOCX_TCACHE_NONE`), so active
/// defragmentation neither gets back the block it is vacating nor parks the new one in a cache.
/// Calls the OOM handler on failure (`zmalloc_no_tcache`).
pub fn malloc_no_tcache(size: usize) -> NonNull<u8> {
    if size >= MAX_REQUEST {
        out_of_memory(size);
    }
    let request = request(size);
    // SAFETY: `request` is non-zero and below MAX_REQUEST.
    match NonNull::new(unsafe { Sys::malloc_no_tcache(request) }) {
        Some(ptr) => {
            count_new(ptr, request);
            ptr
        }
        None => out_of_memory(size),
    }
}

/// Frees a block bypassing the thread cache (`zfree_no_tcache`).
///
/// # Safety
/// `ptr` must be a live block from this crate.
pub unsafe fn free_no_tcache(ptr: NonNull<u8>) {
    // SAFETY: forwarded contract.
    unsafe {
        counter::sub(|| Sys::block_size(ptr.as_ptr()));
        Sys::free_no_tcache(ptr.as_ptr());
    }
}
