//! The allocator behind zmalloc, selected by cargo feature.
//!
//! Every backend module exposes the same functions under `sys`: raw block calls (sizes already
//! adjusted by the caller), the usable size of a block and of a request, the global-allocator
//! hooks returning the bytes they counted, and the allocator's introspection.

#[cfg(feature = "jemalloc")]
pub(crate) mod jemalloc;
#[cfg(feature = "jemalloc")]
pub(crate) use jemalloc as sys;

#[cfg(feature = "libc-malloc")]
pub(crate) mod libc_malloc;
#[cfg(feature = "libc-malloc")]
pub(crate) use libc_malloc as sys;

#[cfg(feature = "prefix-size")]
pub(crate) mod prefix;
#[cfg(feature = "prefix-size")]
pub(crate) use prefix as sys;
#[cfg(feature = "prefix-size")]
pub use prefix::PrefixSize;

#[cfg(feature = "tcmalloc")]
pub(crate) mod tcmalloc;
#[cfg(feature = "tcmalloc")]
pub(crate) use tcmalloc as sys;

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
