//! Redis 7.0's multi-part append-only file: the formats, not the server's use of them.
//!
//! An AOF is a directory (`appenddirname`) holding a base file (an RDB file, or commands when
//! `aof-use-rdb-preamble` is off), incremental files of commands in RESP, and the manifest
//! that lists them. `manifest` reads and writes the list, `commands` reads the commands of a
//! file back. The server (`server::aof`) appends, syncs and rewrites; loading runs the
//! commands through the command table (`cmd::aof_load`).

pub mod commands;
pub mod manifest;
pub mod rewrite;
