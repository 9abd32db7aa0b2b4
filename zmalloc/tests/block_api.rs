//! The explicit block API: sizes, contents and exact counter movements.
//!
//! This binary does not install the counting global allocator, so only explicit zmalloc calls
//! move `used_memory`; tests hold one lock so that their deltas do not mix.

use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard};

use zmalloc::{
    AllocError, MALLOC_MIN_SIZE, PREFIX_SIZE, block_size, calloc, calloc_num, calloc_usable, free,
    free_usable, free_with_size, malloc, malloc_usable, realloc, realloc_usable, size_class,
    strdup, try_calloc, try_calloc_num, try_malloc, try_malloc_usable, try_realloc, usable_size,
    used_memory,
};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A size the allocator cannot map (1 EiB) but that passes the `usize::MAX / 2` guard.
const UNMAPPABLE: usize = 1 << 60;

const SIZES: &[usize] = &[
    0,
    1,
    7,
    8,
    9,
    15,
    16,
    17,
    24,
    31,
    32,
    100,
    128,
    129,
    255,
    256,
    257,
    1000,
    4096,
    4097,
    14336,
    16384,
    20000,
    65536,
    100_000,
    1 << 20,
];

fn bytes<'a>(ptr: NonNull<u8>, len: usize) -> &'a mut [u8] {
    // SAFETY: callers pass a live block with at least `len` usable bytes, used by one test.
    unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), len) }
}

#[test]
fn malloc_counts_the_block_size_and_free_returns_it() {
    let _serial = serial();
    for &size in SIZES {
        let before = used_memory();
        let (ptr, usable) = malloc_usable(size);
        // SAFETY: `ptr` is live.
        let counted = unsafe { block_size(ptr) };
        assert!(usable >= size.max(1), "size {size}: usable {usable}");
        assert_eq!(counted, usable + PREFIX_SIZE, "size {size}");
        // SAFETY: `ptr` is live.
        assert_eq!(unsafe { usable_size(ptr) }, usable);
        assert_eq!(used_memory() - before, counted, "size {size}");
        bytes(ptr, usable).fill(0xA5);
        // SAFETY: `ptr` is live and freed once.
        assert_eq!(unsafe { free_usable(ptr.as_ptr()) }, usable);
        assert_eq!(used_memory(), before, "size {size}");
    }
}

#[test]
fn zero_byte_requests_get_malloc_min_size() {
    let _serial = serial();
    let (ptr, usable) = malloc_usable(0);
    assert!(usable >= MALLOC_MIN_SIZE);
    if cfg!(feature = "jemalloc") {
        assert_eq!(usable, 8);
    }
    if cfg!(feature = "prefix-size") {
        assert_eq!(usable, MALLOC_MIN_SIZE);
    }
    // SAFETY: live block, freed once.
    unsafe { free(ptr.as_ptr()) };
}

#[test]
fn size_class_is_known_before_allocating() {
    let _serial = serial();
    for size in (1..=70_000).step_by(7).chain(SIZES.iter().copied()) {
        let predicted = size_class(size);
        let (ptr, usable) = malloc_usable(size);
        if cfg!(any(
            feature = "jemalloc",
            feature = "tcmalloc",
            feature = "prefix-size"
        )) {
            assert_eq!(predicted, usable, "size {size}");
        } else {
            assert!(
                size.max(1) <= predicted && predicted <= usable,
                "size {size}"
            );
        }
        // SAFETY: live block, freed once with the usable size allocation reported.
        unsafe { free_with_size(ptr, usable) };
    }
}

#[test]
fn calloc_zeroes_even_reused_blocks() {
    let _serial = serial();
    let before = used_memory();
    let (dirty, usable) = malloc_usable(1000);
    bytes(dirty, usable).fill(0xFF);
    // SAFETY: live block, freed once.
    unsafe { free(dirty.as_ptr()) };
    for _ in 0..4 {
        let (ptr, usable) = calloc_usable(1000);
        assert!(bytes(ptr, usable).iter().all(|&b| b == 0));
        // SAFETY: live block, freed once.
        unsafe { free(ptr.as_ptr()) };
    }
    let ptr = calloc(3);
    assert_eq!(bytes(ptr, 3), &[0, 0, 0]);
    // SAFETY: live block, freed once.
    unsafe { free(ptr.as_ptr()) };
    assert_eq!(used_memory(), before);
}

#[test]
fn calloc_num_checks_the_product() {
    let _serial = serial();
    let before = used_memory();
    let ptr = calloc_num(10, 100);
    assert!(bytes(ptr, 1000).iter().all(|&b| b == 0));
    // SAFETY: live block, freed once.
    unsafe { free(ptr.as_ptr()) };
    let overflow = AllocError { size: usize::MAX };
    assert_eq!(try_calloc_num(usize::MAX, 2), Err(overflow));
    assert_eq!(try_calloc_num(usize::MAX / 3, 4), Err(overflow));
    // Redis treats a zero element size as an overflow too.
    assert_eq!(try_calloc_num(3, 0), Err(overflow));
    assert_eq!(used_memory(), before);
}

#[test]
fn realloc_keeps_contents_and_recounts() {
    let _serial = serial();
    let before = used_memory();
    let ptr = malloc(10);
    bytes(ptr, 10).copy_from_slice(b"0123456789");
    // SAFETY: `ptr` is live and replaced by the result.
    let (grown, usable) = unsafe { realloc_usable(Some(ptr), 5000) }.unwrap();
    assert_eq!(&bytes(grown, 10)[..], b"0123456789");
    // SAFETY: live.
    assert_eq!(used_memory() - before, unsafe { block_size(grown) });
    assert_eq!(usable + PREFIX_SIZE, unsafe { block_size(grown) });
    // SAFETY: `grown` is live and replaced by the result.
    let shrunk = unsafe { realloc(Some(grown), 4) }.unwrap();
    assert_eq!(&bytes(shrunk, 4)[..], b"0123");
    // SAFETY: live.
    assert_eq!(used_memory() - before, unsafe { block_size(shrunk) });
    // Realloc to zero frees and returns nothing.
    // SAFETY: `shrunk` is live and freed by this call.
    assert!(unsafe { realloc(Some(shrunk), 0) }.is_none());
    assert_eq!(used_memory(), before);
}

#[test]
fn realloc_of_nothing_allocates() {
    let _serial = serial();
    let before = used_memory();
    // SAFETY: no block is passed in.
    let ptr = unsafe { realloc(None, 50) }.unwrap();
    // SAFETY: live.
    assert_eq!(used_memory() - before, unsafe { block_size(ptr) });
    // SAFETY: live block, freed once.
    unsafe { free(ptr.as_ptr()) };
    assert_eq!(used_memory(), before);
}

#[test]
fn impossible_sizes_fail_without_touching_the_counter() {
    let _serial = serial();
    let before = used_memory();
    for size in [usize::MAX, usize::MAX / 2, usize::MAX / 2 + 1] {
        assert_eq!(try_malloc(size), Err(AllocError { size }));
        assert_eq!(try_malloc_usable(size).unwrap_err(), AllocError { size });
        assert_eq!(try_calloc(size), Err(AllocError { size }));
        assert_eq!(size_class(size), size);
    }
    assert_eq!(used_memory(), before);
}

#[test]
fn allocator_failure_is_an_error_not_an_abort() {
    let _serial = serial();
    let before = used_memory();
    assert_eq!(try_malloc(UNMAPPABLE), Err(AllocError { size: UNMAPPABLE }));
    assert_eq!(try_calloc(UNMAPPABLE), Err(AllocError { size: UNMAPPABLE }));
    assert_eq!(used_memory(), before);
}

#[test]
fn failed_realloc_keeps_the_block_and_its_count() {
    let _serial = serial();
    let before = used_memory();
    let ptr = malloc(64);
    bytes(ptr, 64).fill(7);
    // SAFETY: live.
    let counted = unsafe { block_size(ptr) };
    for size in [UNMAPPABLE, usize::MAX / 2, usize::MAX] {
        // SAFETY: `ptr` is live; on error it stays valid.
        let result = unsafe { try_realloc(Some(ptr), size) };
        assert_eq!(result, Err(AllocError { size }));
        assert_eq!(
            used_memory() - before,
            counted,
            "no double counting after {size}"
        );
        assert!(bytes(ptr, 64).iter().all(|&b| b == 7));
    }
    // SAFETY: still live, freed once.
    unsafe { free(ptr.as_ptr()) };
    assert_eq!(used_memory(), before);
}

#[test]
fn freeing_null_does_nothing() {
    let _serial = serial();
    let before = used_memory();
    // SAFETY: null is explicitly allowed.
    unsafe {
        free(std::ptr::null_mut());
        assert_eq!(free_usable(std::ptr::null_mut()), 0);
    }
    assert_eq!(used_memory(), before);
}

#[test]
fn sized_free_returns_the_exact_count() {
    let _serial = serial();
    let before = used_memory();
    let blocks: Vec<_> = SIZES.iter().map(|&size| malloc_usable(size)).collect();
    assert!(used_memory() > before);
    for (ptr, usable) in blocks {
        // SAFETY: live blocks with their reported usable sizes, each freed once.
        unsafe { free_with_size(ptr, usable) };
    }
    assert_eq!(used_memory(), before);
}

#[test]
fn strdup_copies_the_terminator() {
    let _serial = serial();
    let before = used_memory();
    let copy = strdup(c"hello, zmalloc");
    assert_eq!(bytes(copy, 15), b"hello, zmalloc\0");
    assert!(used_memory() > before);
    // SAFETY: live block, freed once.
    unsafe { free(copy.as_ptr()) };
    assert_eq!(used_memory(), before);
}

#[test]
fn thread_cache_bypass_is_counted() {
    let _serial = serial();
    let before = used_memory();
    let ptr = zmalloc::malloc_no_tcache(300);
    bytes(ptr, 300).fill(1);
    // SAFETY: live.
    assert_eq!(used_memory() - before, unsafe { block_size(ptr) });
    // SAFETY: live block from malloc_no_tcache, freed once.
    unsafe { zmalloc::free_no_tcache(ptr) };
    assert_eq!(used_memory(), before);
}

#[test]
fn frees_on_another_thread_balance_the_sum() {
    let _serial = serial();
    let before = used_memory();
    let (tx, rx) = std::sync::mpsc::channel::<(usize, usize)>();
    let producer = std::thread::spawn(move || {
        for size in 1..2000 {
            let (ptr, usable) = malloc_usable(size);
            tx.send((ptr.as_ptr() as usize, usable)).unwrap();
        }
    });
    let consumer = std::thread::spawn(move || {
        for (addr, usable) in rx {
            let ptr = NonNull::new(addr as *mut u8).unwrap();
            // SAFETY: each block arrives once, live, with its usable size.
            unsafe { free_with_size(ptr, usable) };
        }
    });
    producer.join().unwrap();
    consumer.join().unwrap();
    assert_eq!(used_memory(), before);
}

#[test]
#[cfg(feature = "jemalloc")]
fn madvise_dontneed_drops_whole_pages() {
    let _serial = serial();
    let size = 1 << 20;
    let (ptr, usable) = malloc_usable(size);
    bytes(ptr, usable).fill(0xAB);
    // SAFETY: live block whose contents we no longer need.
    unsafe { zmalloc::madvise_dontneed(ptr) };
    let page = 4096;
    let start = ptr.as_ptr() as usize;
    let interior = ((start + page - 1) & !(page - 1)) - start + page;
    assert_eq!(bytes(ptr, usable)[interior], 0, "page content dropped");
    // SAFETY: live block, freed once.
    unsafe { free(ptr.as_ptr()) };
}

#[test]
fn libc_free_releases_c_library_memory() {
    // SAFETY: strdup returns a malloc'ed copy that libc_free releases once.
    unsafe {
        let copy = libc::strdup(c"from libc".as_ptr());
        assert!(!copy.is_null());
        zmalloc::libc_free(copy.cast());
    }
}
