//! The [`Sds`] handle: ownership of one zmalloc block, capacity planning, growth and freeing.
//!
//! Invariants of every live `Sds` (the `unsafe` code below relies on them, the tests check them):
//!
//! 1. `buf` points `header_len(type)` bytes into a live zmalloc block, just after a valid header.
//! 2. The block has at least `header_len + alloc + 1` bytes that this string may use, where
//!    `alloc >= len` (type 5: `alloc == len`); bytes `[0, len)` are initialised and
//!    `buf[len] == 0`.
//! 3. Except for type 5, the block was requested with exactly `header_len + alloc + 1` bytes, so
//!    where zmalloc's size classes are exact the block's size is `size_class` of that, and it is
//!    freed with a sized free without asking the allocator.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use zmalloc::AllocError;

use crate::header::{self, SdsType};

/// Above this length greedy growth adds this much instead of doubling (`SDS_MAX_PREALLOC`).
pub const SDS_MAX_PREALLOC: usize = 1024 * 1024;

/// A binary-safe string in one zmalloc block: packed header, bytes, NUL. The handle is one
/// pointer, so `size_of::<Sds>() == 8` and `Option<Sds>` is 8 bytes too.
pub struct Sds {
    buf: NonNull<u8>,
}

// SAFETY: an Sds uniquely owns its block (no interior sharing); moving it between threads moves
// that ownership, and shared references only read.
unsafe impl Send for Sds {}
// SAFETY: `&Sds` gives read-only access to initialised bytes.
unsafe impl Sync for Sds {}

/// Whether a failed allocation calls zmalloc's OOM handler or comes back as an error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnOom {
    Handler,
    Error,
}

/// The error for a size that cannot be represented (length arithmetic overflowed).
const TOO_LARGE: AllocError = AllocError { size: usize::MAX };

/// The request and capacity of a block for a string of type `ty` that must hold `capacity`
/// bytes. Types 8 and above take the whole size class as capacity, capped at what the header
/// can record; type 5 records no capacity, so it asks for just what it holds.
fn plan(ty: SdsType, capacity: usize) -> Result<(usize, usize), AllocError> {
    let header = ty.header_len();
    let total = header
        .checked_add(capacity)
        .and_then(|n| n.checked_add(1))
        .ok_or(TOO_LARGE)?;
    if ty == SdsType::Type5 {
        return Ok((total, capacity));
    }
    let class = zmalloc::size_class(total).max(total);
    let alloc = (class - header - 1).min(ty.max_len());
    Ok((header + alloc + 1, alloc))
}

fn allocate(request: usize, on_oom: OnOom) -> Result<NonNull<u8>, AllocError> {
    match on_oom {
        OnOom::Handler => Ok(zmalloc::malloc(request)),
        OnOom::Error => zmalloc::try_malloc(request),
    }
}

impl Sds {
    /// Builds a string of `len` bytes, copied from `init` or zero-filled.
    fn build(init: Option<&[u8]>, len: usize, on_oom: OnOom) -> Result<Sds, AllocError> {
        let mut ty = SdsType::for_len(len);
        if ty == SdsType::Type5 && len == 0 {
            // An empty string is usually created to be appended to.
            ty = SdsType::Type8;
        }
        let (request, alloc) = plan(ty, len)?;
        let block = allocate(request, on_oom)?;
        // SAFETY: the block has `request = header + alloc + 1` bytes with alloc >= len; we write
        // the header, then `len` bytes and the NUL inside it.
        unsafe {
            let buf = header::init_header(block.as_ptr(), ty, len, alloc);
            match init {
                Some(bytes) => buf.copy_from_nonoverlapping(bytes.as_ptr(), len),
                None => buf.write_bytes(0, len),
            }
            *buf.add(len) = 0;
            Ok(Sds {
                buf: NonNull::new_unchecked(buf),
            })
        }
    }

    /// A copy of `bytes` (`sdsnewlen`); calls the OOM handler if memory runs out.
    pub fn new(bytes: &[u8]) -> Sds {
        Sds::build(Some(bytes), bytes.len(), OnOom::Handler).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A copy of `bytes`, or an error if it cannot be allocated (`sdstrynewlen`).
    pub fn try_new(bytes: &[u8]) -> Result<Sds, AllocError> {
        Sds::build(Some(bytes), bytes.len(), OnOom::Error)
    }

    /// `len` zero bytes (`sdsnewlen(NULL, len)`).
    pub fn zeroed(len: usize) -> Sds {
        Sds::build(None, len, OnOom::Handler).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `len` zero bytes, or an error if they cannot be allocated.
    pub fn try_zeroed(len: usize) -> Result<Sds, AllocError> {
        Sds::build(None, len, OnOom::Error)
    }

    /// The empty string (`sdsempty`), with a type 8 header ready to grow.
    pub fn empty() -> Sds {
        Sds::new(b"")
    }

    /// An empty string with room for at least `capacity` bytes without reallocating.
    pub fn with_capacity(capacity: usize) -> Sds {
        let mut s = Sds::empty();
        s.make_room_for_non_greedy(capacity);
        s
    }

    /// Length in bytes (`sdslen`).
    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: invariant 1.
        unsafe { header::read_len(self.buf.as_ptr()) }
    }

    /// Whether the string has no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Capacity: how many bytes the string can hold without reallocating (`sdsalloc`).
    #[inline]
    pub fn alloc(&self) -> usize {
        // SAFETY: invariant 1.
        unsafe { header::read_alloc(self.buf.as_ptr()) }
    }

    /// Bytes that can be appended without reallocating (`sdsavail`).
    #[inline]
    pub fn avail(&self) -> usize {
        self.alloc() - self.len()
    }

    /// Whether the block is exactly the one a new string of this length gets: no slack from
    /// growth and no larger header. Whoever rewrites a string in place instead of replacing it
    /// can check that the memory is what a replacement would cost.
    pub fn is_tight(&self) -> bool {
        let len = self.len();
        let mut ty = SdsType::for_len(len);
        if ty == SdsType::Type5 && len == 0 {
            ty = SdsType::Type8;
        }
        ty == self.header_type() && plan(ty, len).is_ok_and(|(_, alloc)| alloc == self.alloc())
    }

    /// The header variant in use.
    #[inline]
    pub fn header_type(&self) -> SdsType {
        // SAFETY: invariant 1.
        unsafe { header::sds_type(self.buf.as_ptr()) }
    }

    /// Start of the block: the header.
    #[inline]
    fn block(&self) -> NonNull<u8> {
        // SAFETY: invariant 1: the header occupies the bytes before `buf` within the block.
        unsafe { self.buf.sub(self.header_type().header_len()) }
    }

    /// The block's size, known without asking the allocator where invariant 3 allows it.
    #[inline]
    fn known_block_size(&self) -> Option<usize> {
        let ty = self.header_type();
        if ty == SdsType::Type5 || !zmalloc::SIZE_CLASS_EXACT {
            return None;
        }
        Some(zmalloc::size_class(ty.header_len() + self.alloc() + 1))
    }

    /// Usable bytes of the whole block (header, capacity, NUL and any size-class slack): what
    /// the string costs in `used_memory`, less zmalloc's `PREFIX_SIZE` (Redis's `sdsAllocSize`,
    /// corrected for type 5 as Valkey does).
    pub fn alloc_size(&self) -> usize {
        match self.known_block_size() {
            Some(size) => size,
            // SAFETY: the block is live (invariant 1).
            None => unsafe { zmalloc::usable_size(self.block()) },
        }
    }

    /// Frees the block; the handle must not be used afterwards.
    ///
    /// # Safety
    /// Called once, from `Drop` or just before `buf` is replaced.
    #[inline]
    unsafe fn free_block(&mut self) {
        let block = self.block();
        // SAFETY: the block is live and freed once; with a known size it is exactly the usable
        // size the allocation reported (invariant 3).
        unsafe {
            match self.known_block_size() {
                Some(size) => zmalloc::free_with_size(block, size),
                None => zmalloc::free(block.as_ptr()),
            }
        }
    }

    /// The string's bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: invariant 2: `len` initialised bytes at `buf`, borrowed with `self`.
        unsafe { std::slice::from_raw_parts(self.buf.as_ptr(), self.len()) }
    }

    /// Asks the CPU to start loading the string's first bytes and its header into cache, so
    /// that a caller about to read many strings at random places (eviction sampling) waits for
    /// their cache misses together rather than one after another. Only a hint.
    #[inline]
    pub fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch reads nothing and cannot fault, whatever the address; SSE, which
        // it needs, is part of the x86_64 baseline.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(self.buf.as_ptr().cast::<i8>().wrapping_sub(1));
        }
    }

    /// The string's bytes, mutable in place (the length cannot change through this).
    #[inline]
    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        let len = self.len();
        // SAFETY: invariant 2, borrowed mutably with `self`.
        unsafe { std::slice::from_raw_parts_mut(self.buf.as_ptr(), len) }
    }

    /// The free space after the string, to be written before [`Sds::incr_len`].
    pub fn spare_capacity_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        let (len, avail) = (self.len(), self.avail());
        // SAFETY: invariant 2: `avail` bytes of owned capacity follow the string (the first
        // holds the NUL, which callers may overwrite before incr_len rewrites it).
        unsafe { std::slice::from_raw_parts_mut(self.buf.as_ptr().add(len).cast(), avail) }
    }

    /// Sets the length to `len` and writes the terminator.
    ///
    /// # Safety
    /// `len <= alloc()` and bytes `[0, len)` are initialised.
    #[inline]
    unsafe fn set_len(&mut self, len: usize) {
        // SAFETY: forwarded contract; the NUL goes in the byte reserved after the capacity.
        unsafe {
            header::write_len(self.buf.as_ptr(), len);
            *self.buf.as_ptr().add(len) = 0;
        }
    }

    /// Moves the end of the string by `incr` bytes after writing into the spare capacity
    /// (`sdsIncrLen`). Panics if the new length is outside `0..=alloc()`.
    ///
    /// # Safety
    /// For `incr > 0`, the first `incr` bytes of [`Sds::spare_capacity_mut`] must have been
    /// initialised.
    pub unsafe fn incr_len(&mut self, incr: isize) {
        let len = self.len();
        let new_len = len
            .checked_add_signed(incr)
            .expect("sds: incr_len below zero");
        assert!(new_len <= self.alloc(), "sds: incr_len past the capacity");
        // SAFETY: new_len <= alloc; bytes up to it are initialised (caller contract for growth).
        unsafe { self.set_len(new_len) }
    }

    /// Shortens the string to `len` bytes; longer `len` is ignored.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            // SAFETY: a shorter length keeps all bytes initialised.
            unsafe { self.set_len(len) }
        }
    }

    /// Empties the string, keeping its capacity (`sdsclear`).
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Sets the length to the position of the first NUL byte, as `strlen` would (`sdsupdatelen`).
    pub fn update_len(&mut self) {
        if let Some(nul) = self.as_bytes().iter().position(|&b| b == 0) {
            self.truncate(nul);
        }
    }

    /// Makes room for `addlen` more bytes (`_sdsMakeRoomFor`): nothing if they fit; otherwise
    /// greedy growth doubles the needed length below [`SDS_MAX_PREALLOC`] and adds that much
    /// above it, non-greedy growth takes exactly what is needed. Type 5 becomes type 8.
    fn grow(&mut self, addlen: usize, greedy: bool, on_oom: OnOom) -> Result<(), AllocError> {
        if self.avail() >= addlen {
            return Ok(());
        }
        let len = self.len();
        let needed = len.checked_add(addlen).ok_or(TOO_LARGE)?;
        let target = match (greedy, needed < SDS_MAX_PREALLOC) {
            (true, true) => needed * 2,
            (true, false) => needed.saturating_add(SDS_MAX_PREALLOC),
            (false, _) => needed,
        };
        let old_type = self.header_type();
        let ty = match SdsType::for_len(target) {
            SdsType::Type5 => SdsType::Type8,
            ty => ty,
        };
        let (request, alloc) = plan(ty, target)?;
        if ty == old_type {
            // Same header: let the allocator move the block only if it must.
            // SAFETY: the block is live; on success it is replaced by the result.
            let block = unsafe {
                match on_oom {
                    OnOom::Handler => zmalloc::realloc(Some(self.block()), request),
                    OnOom::Error => zmalloc::try_realloc(Some(self.block()), request)?,
                }
            }
            .expect("realloc to a non-zero size returns a block");
            // SAFETY: the block has `request` bytes and starts with the old header, whose type can
            // record `alloc`; the string and its NUL were carried over.
            unsafe {
                self.buf = block.add(ty.header_len());
                header::init_header(block.as_ptr(), ty, len, alloc);
            }
        } else {
            let block = allocate(request, on_oom)?;
            // SAFETY: the new block holds the new header plus `alloc >= len` bytes and the NUL;
            // the old block is freed after its bytes are copied and then never used again.
            unsafe {
                let buf = header::init_header(block.as_ptr(), ty, len, alloc);
                buf.copy_from_nonoverlapping(self.buf.as_ptr(), len + 1);
                self.free_block();
                self.buf = NonNull::new_unchecked(buf);
            }
        }
        Ok(())
    }

    /// Makes room for `addlen` more bytes with greedy growth (`sdsMakeRoomFor`).
    pub fn make_room_for(&mut self, addlen: usize) {
        self.grow(addlen, true, OnOom::Handler)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Like [`Sds::make_room_for`], but returns an error instead of calling the OOM handler.
    pub fn try_make_room_for(&mut self, addlen: usize) -> Result<(), AllocError> {
        self.grow(addlen, true, OnOom::Error)
    }

    /// Makes room for exactly `addlen` more bytes (`sdsMakeRoomForNonGreedy`).
    pub fn make_room_for_non_greedy(&mut self, addlen: usize) {
        self.grow(addlen, false, OnOom::Handler)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Like [`Sds::make_room_for_non_greedy`], but returns an error instead of calling the OOM
    /// handler.
    pub fn try_make_room_for_non_greedy(&mut self, addlen: usize) -> Result<(), AllocError> {
        self.grow(addlen, false, OnOom::Error)
    }

    /// Reallocates to a capacity of `size` bytes, truncating the string if it is longer
    /// (`sdsResize`). The header becomes the smallest type for `size` — type 5 only if
    /// `would_regrow` is false — so the type follows the length down as well as up. (Redis keeps
    /// a larger header above type 8 to let the allocator shrink in place; here a string always
    /// gets its smallest header.) The block is kept when its size would not change.
    pub fn resize(&mut self, size: usize, would_regrow: bool) {
        let len = self.len().min(size);
        let old_type = self.header_type();
        let mut ty = SdsType::for_len(size);
        if would_regrow && ty == SdsType::Type5 {
            ty = SdsType::Type8;
        }
        if ty == old_type && self.alloc() == size {
            return;
        }
        let (request, alloc) = plan(ty, size).unwrap_or_else(|e| panic!("{e}"));
        let alloc = if ty == SdsType::Type5 { len } else { alloc };
        if ty == old_type {
            if let Some(current) = self.known_block_size()
                && zmalloc::size_class(request) == current
            {
                // Same block size: nothing to give back (Redis's `alloc_already_optimal`).
                self.truncate(len);
                return;
            }
            // SAFETY: the block is live and replaced by the result; it keeps the header, and
            // realloc preserves the first `len` bytes.
            unsafe {
                let block = zmalloc::realloc(Some(self.block()), request)
                    .expect("realloc to a non-zero size returns a block");
                self.buf = block.add(ty.header_len());
                header::init_header(block.as_ptr(), ty, len, alloc);
                *self.buf.as_ptr().add(len) = 0;
            }
        } else {
            let block = zmalloc::malloc(request);
            // SAFETY: the new block holds the new header, `len <= alloc` bytes and the NUL; the
            // old block is freed after the copy and never used again.
            unsafe {
                let buf = header::init_header(block.as_ptr(), ty, len, alloc);
                buf.copy_from_nonoverlapping(self.buf.as_ptr(), len);
                *buf.add(len) = 0;
                self.free_block();
                self.buf = NonNull::new_unchecked(buf);
            }
        }
    }

    /// Gives back the free space after the string (`sdsRemoveFreeSpace`).
    pub fn remove_free_space(&mut self, would_regrow: bool) {
        self.resize(self.len(), would_regrow);
    }

    /// Appends `bytes`, growing greedily (`sdscatlen`).
    #[inline]
    pub fn cat(&mut self, bytes: &[u8]) {
        self.cat_with(bytes, OnOom::Handler)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Appends `bytes`, or returns an error (leaving the string unchanged) if memory runs out.
    pub fn try_cat(&mut self, bytes: &[u8]) -> Result<(), AllocError> {
        self.cat_with(bytes, OnOom::Error)
    }

    /// The append path decodes the header once when the bytes fit, which is the common case.
    #[inline]
    fn cat_with(&mut self, bytes: &[u8], on_oom: OnOom) -> Result<(), AllocError> {
        // SAFETY: invariant 1.
        let (mut ty, len, alloc) = unsafe { header::read_all(self.buf.as_ptr()) };
        if alloc - len < bytes.len() {
            self.grow(bytes.len(), true, on_oom)?;
            ty = self.header_type();
        }
        // SAFETY: the capacity now holds `len + bytes.len()` bytes (growth keeps `len`);
        // `bytes` cannot alias our block because `&mut self` is exclusive; the NUL goes in the
        // byte reserved after the capacity.
        unsafe {
            let end = self.buf.as_ptr().add(len);
            end.copy_from_nonoverlapping(bytes.as_ptr(), bytes.len());
            *end.add(bytes.len()) = 0;
            header::write_len_typed(self.buf.as_ptr(), ty, len + bytes.len());
        }
        Ok(())
    }

    /// Appends another string (`sdscatsds`).
    pub fn cat_sds(&mut self, other: &Sds) {
        self.cat(other.as_bytes());
    }

    /// Replaces the contents with `bytes` (`sdscpylen`).
    pub fn cpy(&mut self, bytes: &[u8]) {
        if self.alloc() < bytes.len() {
            self.make_room_for(bytes.len() - self.len());
        }
        // SAFETY: the capacity holds `bytes.len()` bytes; no aliasing as above.
        unsafe {
            self.buf
                .as_ptr()
                .copy_from_nonoverlapping(bytes.as_ptr(), bytes.len());
            self.set_len(bytes.len());
        }
    }

    /// Grows the string to `len` bytes, zero-filling the new ones (`sdsgrowzero`); nothing if
    /// it is already that long.
    pub fn grow_zero(&mut self, len: usize) {
        self.try_grow_zero_with(len, OnOom::Handler)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Like [`Sds::grow_zero`], but returns an error instead of calling the OOM handler.
    pub fn try_grow_zero(&mut self, len: usize) -> Result<(), AllocError> {
        self.try_grow_zero_with(len, OnOom::Error)
    }

    fn try_grow_zero_with(&mut self, len: usize, on_oom: OnOom) -> Result<(), AllocError> {
        let current = self.len();
        if len <= current {
            return Ok(());
        }
        self.grow(len - current, true, on_oom)?;
        // SAFETY: the capacity holds `len` bytes; the new ones are zeroed before the length grows.
        unsafe {
            self.buf.as_ptr().add(current).write_bytes(0, len - current);
            self.set_len(len);
        }
        Ok(())
    }

    /// Keeps `len` bytes starting at `start`, moved to the front, clamped to the string
    /// (`sdssubstr`). The capacity is kept.
    pub fn substr(&mut self, start: usize, len: usize) {
        let old = self.len();
        let (start, len) = if start >= old {
            (0, 0)
        } else {
            (start, len.min(old - start))
        };
        self.as_mut_bytes().copy_within(start..start + len, 0);
        self.truncate(len);
    }
}

impl Drop for Sds {
    fn drop(&mut self) {
        // SAFETY: dropped once; the handle is gone afterwards.
        unsafe { self.free_block() }
    }
}

impl Clone for Sds {
    /// A copy with a header sized for its length (`sdsdup`).
    fn clone(&self) -> Sds {
        Sds::new(self.as_bytes())
    }
}

impl Deref for Sds {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl DerefMut for Sds {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_bytes()
    }
}

impl AsRef<[u8]> for Sds {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Sds {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Sds {
    fn eq(&self, other: &Sds) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Sds {}

impl PartialEq<[u8]> for Sds {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Sds {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl PartialEq<str> for Sds {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Sds {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialOrd for Sds {
    fn partial_cmp(&self, other: &Sds) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sds {
    /// Bytewise on the common prefix, then the longer string is greater (`sdscmp`).
    fn cmp(&self, other: &Sds) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for Sds {
    /// Hashes like `[u8]`, so maps keyed by `Sds` can be searched with `&[u8]`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl From<&[u8]> for Sds {
    fn from(bytes: &[u8]) -> Sds {
        Sds::new(bytes)
    }
}

impl From<&str> for Sds {
    fn from(text: &str) -> Sds {
        Sds::new(text.as_bytes())
    }
}

impl Default for Sds {
    fn default() -> Sds {
        Sds::empty()
    }
}

impl fmt::Debug for Sds {
    /// Redis's quoted representation (`sdscatrepr`), e.g. `"a\x00b\n"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::repr::write_repr(f, self.as_bytes())
    }
}

impl fmt::Write for Sds {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.cat(text.as_bytes());
        Ok(())
    }
}

impl std::io::Write for Sds {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.try_cat(bytes).map_err(std::io::Error::other)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_is_one_pointer() {
        assert_eq!(size_of::<Sds>(), 8);
        assert_eq!(size_of::<Option<Sds>>(), 8);
    }

    #[test]
    fn terminator_follows_the_bytes() {
        let mut s = Sds::new(b"abc");
        // SAFETY: invariant 2 puts a NUL at buf[len].
        assert_eq!(unsafe { *s.buf.as_ptr().add(3) }, 0);
        s.cat(b"defg");
        // SAFETY: as above.
        assert_eq!(unsafe { *s.buf.as_ptr().add(7) }, 0);
        s.truncate(2);
        // SAFETY: as above.
        assert_eq!(unsafe { *s.buf.as_ptr().add(2) }, 0);
    }

    #[test]
    fn prefetch_leaves_the_string_as_it_was() {
        for len in [0, 5, 300, 70_000] {
            let s = Sds::new(&vec![b'p'; len]);
            s.prefetch();
            assert_eq!(s.as_bytes(), vec![b'p'; len].as_slice());
        }
    }

    #[test]
    fn new_strings_are_tight_and_grown_ones_are_not() {
        for len in [0, 1, 31, 32, 100, 255, 256, 70_000] {
            assert!(Sds::zeroed(len).is_tight(), "len {len}");
        }
        let mut grown = Sds::new(b"abc");
        grown.cat(&[b'x'; 100]);
        assert!(!grown.is_tight());
        grown.remove_free_space(true);
        assert!(grown.is_tight());
        let mut shrunk = Sds::new(&[b'y'; 300]);
        shrunk.truncate(10);
        assert!(!shrunk.is_tight(), "a type 16 header for 10 bytes");
    }
}
