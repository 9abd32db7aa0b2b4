//! Redis's Simple Dynamic Strings in Rust, allocated through zmalloc.
//!
//! An [`Sds`] is one zmalloc block — a packed header of 1, 3, 5, 9 or 17 bytes chosen by length,
//! the bytes, and a NUL — behind a single pointer, so a string of up to 31 bytes costs one
//! small block plus an 8-byte handle. It is binary safe, grows with Redis's policy (double
//! below 1 MiB, then 1 MiB at a time), and takes the allocator's whole size class as capacity,
//! asked of zmalloc *before* allocating: Redis uses `malloc_usable_size` slack after the fact,
//! which Rust must not.
//!
//! The whole of Redis 7.0's `sds.h` is here under Rust names (see the crate README for the
//! table), plus `try_` forms that return [`zmalloc::AllocError`] instead of aborting, for
//! sizes a client controls.

mod format;
mod header;
mod ops;
mod repr;
mod split;
mod string;

pub use format::{FmtArg, FmtError, TemplateError};
pub use header::SdsType;
pub use split::{
    EmptySeparator, UnbalancedQuotes, join, join_sds, split_args, split_args_into, split_len,
};
pub use string::{SDS_MAX_PREALLOC, Sds};
pub use zmalloc::AllocError;
