//! Redis's RDB format, version 10 (Redis 7.0.15): what `SAVE` writes and a restart loads, so a
//! dataset moves between Redis and zedis in either direction. It sits above the keyspace and
//! the data types, which it walks and builds, and below clients and commands, which it knows
//! nothing of.
//!
//! `write` and `read` hold the format's primitives, `listpack` and `legacy` the blob
//! encodings inside values, `lzf` Redis's compression of long strings, `save` and `load` the file's structure, `snapshot` the sink of a background save, `file` the crash-safe
//! write to disk.

pub mod file;
pub mod legacy;
pub mod listpack;
pub mod load;
pub mod lzf;
pub mod read;
pub mod save;
pub mod snapshot;
pub mod write;

/// The version Redis 7.0 writes.
pub const RDB_VERSION: u16 = 10;

/// Redis's CRC-64 (Jones polynomial, reflected), which ends files and `DUMP` payloads.
pub static CRC64: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS);

// Opcodes (`RDB_OPCODE_*`).
pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION: u8 = 246;
pub const OP_MODULE_AUX: u8 = 247;
pub const OP_IDLE: u8 = 248;
pub const OP_FREQ: u8 = 249;
pub const OP_AUX: u8 = 250;
pub const OP_RESIZEDB: u8 = 251;
pub const OP_EXPIRETIME_MS: u8 = 252;
pub const OP_EXPIRETIME: u8 = 253;
pub const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

// Value types (`RDB_TYPE_*`).
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;

// Special string encodings (`RDB_ENC_*`), after the `11` length marker.
pub const ENC_INT8: u8 = 0;
pub const ENC_INT16: u8 = 1;
pub const ENC_INT32: u8 = 2;
pub const ENC_LZF: u8 = 3;

// Quicklist node containers.
pub const CONTAINER_PLAIN: u64 = 1;
pub const CONTAINER_PACKED: u64 = 2;
