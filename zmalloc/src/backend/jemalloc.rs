//! jemalloc backend (tikv-jemallocator): usable sizes from jemalloc's size classes.
//!
//! jemalloc reports the usable size of a request without a block (`nallocx`), so counting needs
//! no pointer lookup and frees are sized (`sdallocx`, Valkey's `zfree_with_size`). For the common
//! case the size class is computed inline; tests check it against `nallocx` for every size up to
//! 1 MiB and a sample beyond.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;
use std::ptr;
use std::sync::OnceLock;

use tikv_jemalloc_ctl::{background_thread as bg, epoch, stats};
use tikv_jemalloc_sys as ffi;
use tikv_jemallocator::Jemalloc as TikvJemalloc;

use super::{AllocatorInfo, Backend, PurgeError};

/// jemalloc through tikv-jemallocator.
pub(crate) struct Jemalloc;

/// The alignment plain `malloc` guarantees (`_Alignof(max_align_t)`), as tikv-jemallocator
/// assumes when it decides between `malloc` and `mallocx`.
const MIN_ALIGN: usize = if cfg!(any(
    target_arch = "arm",
    target_arch = "mips",
    target_arch = "powerpc"
)) {
    8
} else {
    16
};

/// Largest request whose size class is computed inline rather than asked of jemalloc.
const INLINE_CLASS_MAX: usize = 1 << 32;

/// Largest small size class (with 4 KiB pages); larger requests are page runs.
const SMALL_MAX: usize = 14336;

/// Page size jemalloc was configured with on x86_64.
const PAGE: usize = 4096;

/// Requests up to this size find their class in [`SMALL_CLASSES`].
const TABLE_MAX: usize = 4096;

/// Size class of every request up to [`TABLE_MAX`], by `(size + 7) / 8`: one L1-resident load
/// instead of the arithmetic below (jemalloc looks small sizes up the same way).
static SMALL_CLASSES: [u16; TABLE_MAX / 8 + 1] = {
    let mut table = [0u16; TABLE_MAX / 8 + 1];
    let mut i = 0;
    while i < table.len() {
        table[i] = computed_class(if i == 0 { 1 } else { i * 8 }) as u16;
        i += 1;
    }
    table
};

/// jemalloc 5.3's size classes with a 16-byte quantum and 4 KiB pages: 8, then multiples of 16
/// up to 128, then four classes per power of two up to 14 KiB (for a size in (2^k, 2^(k+1)],
/// steps of 2^(k-2)); a larger request gets whole pages. `size` must be non-zero.
const fn computed_class(size: usize) -> usize {
    if size <= 8 {
        8
    } else if size <= 128 {
        (size + 15) & !15
    } else if size <= SMALL_MAX {
        let lg_floor = usize::BITS - 1 - (size - 1).leading_zeros();
        let step = 1usize << (lg_floor - 2);
        (size + step - 1) & !(step - 1)
    } else {
        (size + PAGE - 1) & !(PAGE - 1)
    }
}

/// `nallocx` itself, for tests that check [`Jemalloc::size_class`] against jemalloc.
pub(crate) fn jemalloc_nallocx(size: usize, align: usize) -> usize {
    let flags = if align <= MIN_ALIGN && align <= size {
        0
    } else {
        ffi::MALLOCX_ALIGN(align)
    };
    // SAFETY: nallocx only computes.
    unsafe { ffi::nallocx(size, flags) }
}

/// Usable size of a block tikv-jemallocator allocates for `(size, align)`: plain `malloc` classes
/// when the alignment is implied, `mallocx` with an alignment flag otherwise.
#[inline(always)]
fn layout_class(size: usize, align: usize) -> usize {
    if align <= MIN_ALIGN && align <= size {
        Jemalloc::size_class(size)
    } else {
        jemalloc_nallocx(size, align)
    }
}

// ---- introspection -----------------------------------------------------------------------

/// jemalloc's `MALLCTL_ARENAS_ALL`: an arena index meaning "every arena".
const PURGE_ALL_ARENAS: &[u8] = b"arena.4096.purge\0";
const TCACHE_FLUSH: &[u8] = b"thread.tcache.flush\0";

/// Management-interface names resolved once, so a refresh is a few table lookups.
struct StatMibs {
    epoch: tikv_jemalloc_ctl::epoch_mib,
    allocated: stats::allocated_mib,
    active: stats::active_mib,
    resident: stats::resident_mib,
    retained: stats::retained_mib,
    mapped: stats::mapped_mib,
    metadata: stats::metadata_mib,
}

fn stat_mibs() -> Option<&'static StatMibs> {
    static MIBS: OnceLock<Option<StatMibs>> = OnceLock::new();
    MIBS.get_or_init(|| {
        Some(StatMibs {
            epoch: epoch::mib().ok()?,
            allocated: stats::allocated::mib().ok()?,
            active: stats::active::mib().ok()?,
            resident: stats::resident::mib().ok()?,
            retained: stats::retained::mib().ok()?,
            mapped: stats::mapped::mib().ok()?,
            metadata: stats::metadata::mib().ok()?,
        })
    })
    .as_ref()
}

/// Calls a "void" mallctl: jemalloc insists that all four buffer arguments are null.
fn mallctl_void(name: &[u8]) -> bool {
    debug_assert_eq!(name.last(), Some(&0));
    // SAFETY: `name` is NUL-terminated; null buffers are what a void control expects.
    let rc = unsafe {
        ffi::mallctl(
            name.as_ptr().cast(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut::<c_void>(),
            0,
        )
    };
    rc == 0
}

/// Dirty and muzzy pages of every arena together, as jemalloc last counted them.
const MERGED_DIRTY_PAGES: &[u8] = b"stats.arenas.4096.pdirty\0";
const MERGED_MUZZY_PAGES: &[u8] = b"stats.arenas.4096.pmuzzy\0";

/// Freed pages a finished purge may leave behind: what other threads free meanwhile.
const PURGE_SLACK_PAGES: usize = 256;

/// How long a purge keeps retrying while jemalloc's background thread holds an arena's decay.
const PURGE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

/// Pages freed but not yet returned to the system, or `None` without statistics.
fn unpurged_pages() -> Option<usize> {
    stat_mibs()?.epoch.advance().ok()?;
    // SAFETY: both statistics are `size_t` in jemalloc's mallctl table, and the names are
    // NUL-terminated.
    let (dirty, muzzy) = unsafe {
        (
            tikv_jemalloc_ctl::raw::read::<usize>(MERGED_DIRTY_PAGES).ok()?,
            tikv_jemalloc_ctl::raw::read::<usize>(MERGED_MUZZY_PAGES).ok()?,
        )
    };
    Some(dirty + muzzy)
}

impl Backend for Jemalloc {
    /// jemalloc knows every block's size: no header.
    const PREFIX_SIZE: usize = 0;

    /// Whether [`Self::size_class`] is exactly the usable size of the block it predicts (jemalloc size classes).
    const SIZE_CLASS_EXACT: bool = true;

    /// `MEMORY MALLOC-STATS` returns jemalloc's own text.
    const HAS_STATS_TEXT: bool = true;

    /// The usable size jemalloc gives a `malloc(size)` block: its size class. `size` must be
    /// non-zero.
    #[inline(always)]
    fn size_class(size: usize) -> usize {
        if cfg!(target_arch = "x86_64") && size <= INLINE_CLASS_MAX {
            if size <= TABLE_MAX {
                SMALL_CLASSES[(size + 7) >> 3] as usize
            } else {
                computed_class(size)
            }
        } else {
            // SAFETY: nallocx only computes; a zero return (size too large) is passed on.
            unsafe { ffi::nallocx(size, 0) }
        }
    }

    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    #[inline]
    unsafe fn malloc(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { ffi::malloc(size).cast() }
    }

    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    #[inline]
    unsafe fn calloc(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { ffi::calloc(1, size).cast() }
    }

    /// # Safety
    /// `ptr` must be a live block from this backend; `size` non-zero.
    #[inline]
    unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { ffi::realloc(ptr.cast(), size).cast() }
    }

    /// Unsized free; the crate frees with [`Self::free_sized`] or [`Self::free_no_tcache`].
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn free(ptr: *mut u8) {
        // SAFETY: forwarded contract.
        unsafe { ffi::free(ptr.cast()) }
    }

    /// # Safety
    /// `ptr` must be a live block from this backend and `counted` its [`Self::block_size`].
    #[inline]
    unsafe fn free_sized(ptr: *mut u8, counted: usize) {
        // SAFETY: `ptr` is a live block (caller contract).
        debug_assert_eq!(counted, unsafe { Self::block_size(ptr) });
        // SAFETY: `counted` is the block's usable size, which sdallocx accepts.
        unsafe { ffi::sdallocx(ptr.cast(), counted, 0) }
    }

    /// Bytes counted for a live block (Redis's `zmalloc_size`).
    ///
    /// # Safety
    /// `ptr` must be a live block from this backend.
    #[inline]
    unsafe fn block_size(ptr: *const u8) -> usize {
        // SAFETY: forwarded contract.
        unsafe { ffi::malloc_usable_size(ptr.cast()) }
    }

    /// Bytes counted for a block just returned by [`Self::malloc`]/[`Self::calloc`]/
    /// [`Self::realloc`] for `size`: its size class, without touching the block.
    ///
    /// # Safety
    /// `ptr` must be that block.
    #[inline(always)]
    unsafe fn new_block_size(_ptr: *const u8, size: usize) -> usize {
        Self::size_class(size)
    }

    /// # Safety
    /// `size` must be non-zero and below `usize::MAX / 2`.
    unsafe fn malloc_no_tcache(size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { ffi::mallocx(size, ffi::MALLOCX_TCACHE_NONE).cast() }
    }

    /// # Safety
    /// `ptr` must be a live block from this backend.
    unsafe fn free_no_tcache(ptr: *mut u8) {
        // SAFETY: forwarded contract.
        unsafe { ffi::dallocx(ptr.cast(), ffi::MALLOCX_TCACHE_NONE) }
    }

    // ---- global allocator hooks ------------------------------------------------------------

    /// # Safety
    /// As [`GlobalAlloc::alloc`].
    #[inline(always)]
    unsafe fn global_alloc(layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { TikvJemalloc.alloc(layout) }
    }

    /// # Safety
    /// As [`GlobalAlloc::alloc_zeroed`].
    #[inline(always)]
    unsafe fn global_alloc_zeroed(layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { TikvJemalloc.alloc_zeroed(layout) }
    }

    /// # Safety
    /// As [`GlobalAlloc::dealloc`].
    #[inline(always)]
    unsafe fn global_dealloc(ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { TikvJemalloc.dealloc(ptr, layout) }
    }

    /// # Safety
    /// As [`GlobalAlloc::realloc`].
    #[inline(always)]
    unsafe fn global_realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        unsafe { TikvJemalloc.realloc(ptr, layout, new_size) }
    }

    /// Bytes counted for a live global block of `size` bytes at `align`: its size class, computed
    /// without touching the block.
    ///
    /// # Safety
    /// `ptr` must be a live global block of that layout (unused here).
    #[inline(always)]
    unsafe fn global_block_size(_ptr: *const u8, size: usize, align: usize) -> usize {
        layout_class(size, align)
    }

    // ---- introspection ---------------------------------------------------------------------

    fn allocator_info() -> AllocatorInfo {
        let Some(mibs) = stat_mibs() else {
            return AllocatorInfo::default();
        };
        // jemalloc caches its statistics; advancing the epoch refreshes them.
        if mibs.epoch.advance().is_err() {
            return AllocatorInfo::default();
        }
        AllocatorInfo {
            allocated: mibs.allocated.read().unwrap_or(0),
            active: mibs.active.read().unwrap_or(0),
            resident: mibs.resident.read().unwrap_or(0),
            retained: mibs.retained.read().unwrap_or(0),
            mapped: mibs.mapped.read().unwrap_or(0),
            metadata: mibs.metadata.read().unwrap_or(0),
        }
    }

    fn allocator_name() -> &'static str {
        static NAME: OnceLock<String> = OnceLock::new();
        NAME.get_or_init(|| {
            // "5.3.1-0-g81034ce…" → "jemalloc-5.3.1", as Redis's ZMALLOC_LIB.
            let full = tikv_jemalloc_ctl::version::read().unwrap_or("unknown");
            let release = full.split('-').next().unwrap_or(full);
            format!("jemalloc-{release}")
        })
    }

    fn purge() -> Result<(), PurgeError> {
        // `arena.<all>.purge` does nothing for an arena whose background thread is part-way
        // through a decay pass (jemalloc's `pac_decay_to_limit` returns when `decay->purging` is
        // set), and that pass releases only a step of the decay curve: the rest would go back
        // over `dirty_decay_ms`. Repeat until the pages are gone.
        // Blocks cached by this thread keep their slabs from emptying: return them first.
        Self::flush_thread_cache();
        let deadline = std::time::Instant::now() + PURGE_PATIENCE;
        loop {
            if !mallctl_void(PURGE_ALL_ARENAS) {
                return Err(PurgeError);
            }
            match unpurged_pages() {
                Some(pages)
                    if pages > PURGE_SLACK_PAGES && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                _ => return Ok(()),
            }
        }
    }

    fn flush_thread_cache() {
        mallctl_void(TCACHE_FLUSH);
    }

    fn set_background_thread(enable: bool) {
        let _ = bg::write(enable);
    }

    fn background_thread() -> bool {
        bg::read().unwrap_or(false)
    }

    fn malloc_stats() -> String {
        let mut out = Vec::with_capacity(32 * 1024);
        let options = tikv_jemalloc_ctl::stats_print::Options::default();
        match tikv_jemalloc_ctl::stats_print::stats_print(&mut out, options) {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            Err(_) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_leaves_no_freed_pages() {
        let _alone = crate::PROCESS_MEMORY_TEST
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Straight from jemalloc: this test binary's global allocator is the system's.
        // SAFETY: a non-zero size; each block is written within its size, then freed once
        // with its own usable size.
        unsafe {
            let blocks: Vec<*mut u8> = (0..4096).map(|_| Jemalloc::malloc(10_000)).collect();
            for &block in &blocks {
                assert!(!block.is_null());
                block.write_bytes(1, 10_000);
            }
            for block in blocks {
                Jemalloc::free_sized(block, Jemalloc::block_size(block));
            }
        }
        Jemalloc::flush_thread_cache();
        assert!(unpurged_pages().expect("jemalloc statistics") > PURGE_SLACK_PAGES);
        Jemalloc::purge().expect("purge");
        // Other tests run beside this one, so allow what they may free meanwhile.
        assert!(unpurged_pages().expect("jemalloc statistics") <= 4 * PURGE_SLACK_PAGES);
    }

    #[test]
    fn inline_size_classes_match_nallocx() {
        for size in 1..=(1 << 20) {
            assert_eq!(
                Jemalloc::size_class(size),
                jemalloc_nallocx(size, 1),
                "size {size}"
            );
        }
        let mut size = 1usize << 20;
        while size <= INLINE_CLASS_MAX {
            for probe in [size - 1, size, size + 1, size + size / 3] {
                assert_eq!(
                    Jemalloc::size_class(probe),
                    jemalloc_nallocx(probe, 1),
                    "size {probe}"
                );
            }
            size <<= 1;
        }
    }

    #[test]
    fn layout_classes_match_nallocx_for_every_alignment() {
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 4096] {
            for size in (1..=5000).chain([8192, 16384, 20000, 1 << 20]) {
                let flags = if align <= MIN_ALIGN && align <= size {
                    0
                } else {
                    ffi::MALLOCX_ALIGN(align)
                };
                // SAFETY: nallocx only computes.
                let expected = unsafe { ffi::nallocx(size, flags) };
                assert_eq!(
                    layout_class(size, align),
                    expected,
                    "size {size} align {align}"
                );
            }
        }
    }
}
