//! A key and its value in one `Sds`: the unit the key table stores.
//!
//! Redis spends four blocks on a small string key — dictEntry (32 B), key sds (16 B), robj with
//! the embedded value (32 B), and a bucket pointer. Here the whole entry is the bytes of one
//! `Sds`, so the table holds a single 8-byte handle per key:
//!
//! ```text
//! [flags u8][lru/lfu 24 bits][expire_ms u64, expires_index u32 | if EXPIRE][key len varint][key][value]
//! ```
//!
//! * `flags`: value kind (string, integer, object), and the `EXPIRE`, `RAW` and snapshot
//!   `EPOCH` bits;
//! * the 24 access bits Redis keeps in `robj.lru`: an LRU clock, or an LFU time + counter;
//! * an expire time, and the key's position in the database's list of keys with a TTL;
//! * the value: string bytes to the end of the record, a zigzag varint integer, or the index of
//!   a collection in the database's object slab.
//!
//! A string value is the record's tail, so `APPEND` grows the record in place with sds's growth
//! policy, and `SETRANGE`/`INCR` rewrite it in place.

use sds::Sds;
use zmalloc::AllocError;

use crate::util::varint::{get as get_varint, len as varint_len, put as put_varint};

const KIND_MASK: u8 = 0b11;
const KIND_STRING: u8 = 0;
const KIND_INT: u8 = 1;
const KIND_OBJECT: u8 = 2;
/// The record carries an expire time.
const FLAG_EXPIRE: u8 = 1 << 2;
/// The string was modified in place (`APPEND`, `SETRANGE`), which Redis reports as `raw`.
const FLAG_RAW: u8 = 1 << 3;
/// The snapshot epoch the record belongs to (see `db::snapshot`).
const FLAG_EPOCH: u8 = 1 << 6;
/// For a collection: which kind (two bits).
const OBJECT_KIND_SHIFT: u8 = 4;
const OBJECT_KIND_MASK: u8 = 0b11 << OBJECT_KIND_SHIFT;

/// Offset of the access bits.
const LRU_AT: usize = 1;
/// Offset of the expire time when present.
const EXPIRE_AT: usize = 4;
const EXPIRE_LEN: usize = 12;

/// Longest string Redis stores as `embstr` (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_MAX: usize = 44;

/// The kinds of collection; each has its own slab in a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    List,
    Hash,
    Set,
    ZSet,
}

impl ObjectKind {
    const ALL: [ObjectKind; 4] = [
        ObjectKind::List,
        ObjectKind::Hash,
        ObjectKind::Set,
        ObjectKind::ZSet,
    ];
}

/// Where a record's collection lives: its kind and its index in that kind's slab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    pub index: u32,
}

/// A record's value: what a record holds, and what a new record is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Str(&'a [u8]),
    Int(i64),
    Object(ObjectRef),
}

/// A key, its metadata and its value in one zmalloc block.
#[derive(Clone)]
pub struct Record(Sds);

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

impl Record {
    /// Builds a record. `expire` is `(unix ms, position in the expires list)`.
    pub fn try_new(
        key: &[u8],
        value: Value,
        raw: bool,
        lru: u32,
        expire: Option<(u64, u32)>,
    ) -> Result<Record, AllocError> {
        let (kind, value_len) = match value {
            Value::Str(bytes) => (KIND_STRING, bytes.len()),
            Value::Int(v) => (KIND_INT, varint_len(zigzag(v))),
            Value::Object(object) => (
                KIND_OBJECT | (object.kind as u8) << OBJECT_KIND_SHIFT,
                varint_len(object.index as u64),
            ),
        };
        let head = 1 + 3 + if expire.is_some() { EXPIRE_LEN } else { 0 };
        let key_len_len = varint_len(key.len() as u64);
        let total = head + key_len_len + key.len() + value_len;
        let mut record = Sds::try_zeroed(total)?;
        let bytes = record.as_mut_bytes();
        bytes[0] = kind
            | if expire.is_some() { FLAG_EXPIRE } else { 0 }
            | if raw && kind == KIND_STRING {
                FLAG_RAW
            } else {
                0
            };
        bytes[LRU_AT..LRU_AT + 3].copy_from_slice(&lru.to_le_bytes()[..3]);
        if let Some((when, index)) = expire {
            bytes[EXPIRE_AT..EXPIRE_AT + 8].copy_from_slice(&when.to_le_bytes());
            bytes[EXPIRE_AT + 8..EXPIRE_AT + 12].copy_from_slice(&index.to_le_bytes());
        }
        let mut at = head + put_varint(&mut bytes[head..], key.len() as u64);
        bytes[at..at + key.len()].copy_from_slice(key);
        at += key.len();
        match value {
            Value::Str(v) => bytes[at..].copy_from_slice(v),
            Value::Int(v) => {
                put_varint(&mut bytes[at..], zigzag(v));
            }
            Value::Object(object) => {
                put_varint(&mut bytes[at..], object.index as u64);
            }
        }
        Ok(Record(record))
    }

    /// Like [`Record::try_new`], but panics if memory runs out: only for records whose size
    /// the server controls (tests, small fixed values), never for a client's data.
    pub fn new(
        key: &[u8],
        value: Value,
        raw: bool,
        lru: u32,
        expire: Option<(u64, u32)>,
    ) -> Record {
        Record::try_new(key, value, raw, lru, expire).unwrap_or_else(|e| panic!("{e}"))
    }

    fn flags(&self) -> u8 {
        self.0[0]
    }

    fn head_len(&self) -> usize {
        if self.flags() & FLAG_EXPIRE != 0 {
            EXPIRE_AT + EXPIRE_LEN
        } else {
            EXPIRE_AT
        }
    }

    /// Offset of the key and its length.
    fn key_span(&self) -> (usize, usize) {
        let head = self.head_len();
        let (len, len_len) = get_varint(&self.0[head..]);
        (head + len_len, len as usize)
    }

    /// Offset where the value starts.
    fn value_at(&self) -> usize {
        let (at, len) = self.key_span();
        at + len
    }

    #[inline]
    pub fn key(&self) -> &[u8] {
        let (at, len) = self.key_span();
        &self.0[at..at + len]
    }

    pub fn value(&self) -> Value<'_> {
        let at = self.value_at();
        match self.flags() & KIND_MASK {
            KIND_STRING => Value::Str(&self.0[at..]),
            KIND_INT => Value::Int(unzigzag(get_varint(&self.0[at..]).0)),
            _ => Value::Object(ObjectRef {
                kind: ObjectKind::ALL
                    [((self.flags() & OBJECT_KIND_MASK) >> OBJECT_KIND_SHIFT) as usize],
                index: get_varint(&self.0[at..]).0 as u32,
            }),
        }
    }

    /// Whether the value is a string (including integer-encoded strings).
    pub fn is_string(&self) -> bool {
        self.flags() & KIND_MASK != KIND_OBJECT
    }

    /// Whether a string value was modified in place (`OBJECT ENCODING` `raw`).
    pub fn is_raw(&self) -> bool {
        self.flags() & FLAG_RAW != 0
    }

    /// The snapshot epoch bit (`db::snapshot`).
    #[inline]
    pub fn epoch(&self) -> bool {
        self.flags() & FLAG_EPOCH != 0
    }

    #[inline]
    pub fn set_epoch(&mut self, epoch: bool) {
        let flags = self.flags();
        if (flags & FLAG_EPOCH != 0) != epoch {
            self.0[0] ^= FLAG_EPOCH;
        }
    }

    /// The 24 access bits (LRU clock, or LFU minutes and counter).
    #[inline]
    pub fn access(&self) -> u32 {
        let b = &self.0[LRU_AT..LRU_AT + 3];
        u32::from_le_bytes([b[0], b[1], b[2], 0])
    }

    #[inline]
    pub fn set_access(&mut self, value: u32) {
        self.0[LRU_AT..LRU_AT + 3].copy_from_slice(&value.to_le_bytes()[..3]);
    }

    /// The expire time (unix ms) and the key's position in the expires list.
    pub fn expire(&self) -> Option<(u64, u32)> {
        if self.flags() & FLAG_EXPIRE == 0 {
            return None;
        }
        let b = &self.0[EXPIRE_AT..EXPIRE_AT + EXPIRE_LEN];
        let when = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
        let index = u32::from_le_bytes(b[8..].try_into().expect("4 bytes"));
        Some((when, index))
    }

    /// Updates an existing expire in place.
    pub fn set_expire_in_place(&mut self, when: u64, index: u32) {
        debug_assert!(self.flags() & FLAG_EXPIRE != 0);
        self.0[EXPIRE_AT..EXPIRE_AT + 8].copy_from_slice(&when.to_le_bytes());
        self.0[EXPIRE_AT + 8..EXPIRE_AT + 12].copy_from_slice(&index.to_le_bytes());
    }

    /// A copy of this record with the expire added, changed or removed.
    pub fn with_expire(&self, expire: Option<(u64, u32)>) -> Result<Record, AllocError> {
        if let (Some((when, index)), Some(_)) = (expire, self.expire()) {
            let mut copy = self.clone();
            copy.set_expire_in_place(when, index);
            return Ok(copy);
        }
        let value = self.value();
        Record::try_new(self.key(), value, self.is_raw(), self.access(), expire)
    }

    /// A record with the same key and metadata and a new value.
    pub fn with_value(&self, value: Value, raw: bool) -> Result<Record, AllocError> {
        Record::try_new(self.key(), value, raw, self.access(), self.expire())
    }

    /// Replaces a string or integer value with another in place when the record would come
    /// out exactly as [`Record::try_new`] builds it, in the same block (same key, no TTL or one
    /// kept by `keep_expire`, a value of the same encoded length); `false` if the record must
    /// be rebuilt. `SET` over a same-sized value then allocates nothing.
    pub fn overwrite_in_place(
        &mut self,
        value: Value,
        raw: bool,
        access: u32,
        keep_expire: bool,
    ) -> bool {
        let flags = self.flags();
        let has_expire = flags & FLAG_EXPIRE != 0;
        if flags & KIND_MASK == KIND_OBJECT || (has_expire && !keep_expire) || !self.0.is_tight() {
            return false;
        }
        let at = self.value_at();
        let (kind, len) = match value {
            Value::Str(bytes) => (KIND_STRING, bytes.len()),
            Value::Int(v) => (KIND_INT, varint_len(zigzag(v))),
            Value::Object(_) => return false,
        };
        if len != self.0.len() - at {
            return false;
        }
        let bytes = self.0.as_mut_bytes();
        bytes[0] = kind
            | (flags & (FLAG_EXPIRE | FLAG_EPOCH))
            | if raw && kind == KIND_STRING {
                FLAG_RAW
            } else {
                0
            };
        bytes[LRU_AT..LRU_AT + 3].copy_from_slice(&access.to_le_bytes()[..3]);
        match value {
            Value::Str(v) => bytes[at..].copy_from_slice(v),
            Value::Int(v) => {
                put_varint(&mut bytes[at..], zigzag(v));
            }
            Value::Object(_) => unreachable!("refused above"),
        }
        true
    }

    /// Replaces an integer value in place when its encoding keeps its length; `false` if the
    /// record must be rebuilt.
    pub fn set_int_in_place(&mut self, value: i64) -> bool {
        let at = self.value_at();
        let encoded = zigzag(value);
        if self.flags() & KIND_MASK != KIND_INT || varint_len(encoded) != self.0.len() - at {
            return false;
        }
        put_varint(&mut self.0.as_mut_bytes()[at..], encoded);
        true
    }

    /// The string value's bytes, writable in place (`SETRANGE`), which makes it `raw` as Redis
    /// unshares the value; `None` for other kinds.
    pub fn string_bytes_mut(&mut self) -> Option<&mut [u8]> {
        if self.flags() & KIND_MASK != KIND_STRING {
            return None;
        }
        self.0[0] |= FLAG_RAW;
        let at = self.value_at();
        Some(&mut self.0.as_mut_bytes()[at..])
    }

    /// Appends to a string value in place (the value is the record's tail), with sds's greedy
    /// growth; marks the string `raw`.
    pub fn try_append(&mut self, bytes: &[u8]) -> Result<(), AllocError> {
        debug_assert_eq!(self.flags() & KIND_MASK, KIND_STRING);
        self.0.try_cat(bytes)?;
        self.0[0] |= FLAG_RAW;
        Ok(())
    }

    /// Extends a string value with zero bytes to `len` bytes of value; marks it `raw`.
    pub fn try_grow_value_zero(&mut self, len: usize) -> Result<(), AllocError> {
        let at = self.value_at();
        self.0.try_grow_zero(at + len)?;
        self.0[0] |= FLAG_RAW;
        Ok(())
    }

    /// Like [`Record::try_grow_value_zero`], but to exactly `len` bytes of value with no room
    /// to spare: for a value created at its size (a new bitmap, as Redis's `sdsnewlen`), where
    /// greedy growth would double what a small key holds.
    pub fn try_grow_value_zero_exact(&mut self, len: usize) -> Result<(), AllocError> {
        let total = self.value_at() + len;
        let current = self.0.len();
        if total > current {
            self.0.try_make_room_for_non_greedy(total - current)?;
        }
        self.try_grow_value_zero(len)
    }

    /// Replaces a string value with `bytes` in place, keeping the key and metadata: growth is
    /// greedy as `sdsMakeRoomFor`, a shorter value keeps the block. Marks the string `raw`.
    /// Fails, changing nothing, when the growth cannot be allocated.
    pub fn try_set_string(&mut self, bytes: &[u8]) -> Result<(), AllocError> {
        debug_assert_eq!(self.flags() & KIND_MASK, KIND_STRING);
        let at = self.value_at();
        let total = at + bytes.len();
        if total > self.0.len() {
            self.0.try_grow_zero(total)?;
        } else {
            self.0.truncate(total);
        }
        self.0.as_mut_bytes()[at..].copy_from_slice(bytes);
        self.0[0] |= FLAG_RAW;
        Ok(())
    }

    /// Starts loading the record's head into cache (see [`Sds::prefetch`]).
    pub fn prefetch(&self) {
        self.0.prefetch();
    }

    /// Bytes of the record's block, the handle excluded.
    pub fn alloc_size(&self) -> usize {
        self.0.alloc_size()
    }
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("key", &String::from_utf8_lossy(self.key()))
            .field("value", &self.value())
            .field("expire", &self.expire())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_growth_leaves_no_room() {
        let mut exact = Record::new(b"k", Value::Str(b""), false, 0, None);
        exact.try_grow_value_zero_exact(100).unwrap();
        let mut greedy = Record::new(b"k", Value::Str(b""), false, 0, None);
        greedy.try_grow_value_zero(100).unwrap();
        assert_eq!(exact.value(), Value::Str(&[0; 100]));
        assert_eq!(greedy.value(), exact.value());
        assert!(exact.alloc_size() < greedy.alloc_size());
    }

    #[test]
    fn a_string_is_replaced_in_place_longer_or_shorter() {
        let mut r = Record::new(b"k", Value::Str(b"abc"), false, 7, Some((5, 6)));
        r.try_set_string(b"abcdefgh").unwrap();
        assert_eq!(r.value(), Value::Str(b"abcdefgh"));
        assert!(r.is_raw());
        r.try_set_string(b"xy").unwrap();
        assert_eq!(r.value(), Value::Str(b"xy"));
        assert_eq!(
            (r.key(), r.access(), r.expire()),
            (&b"k"[..], 7, Some((5, 6)))
        );
    }

    #[test]
    fn fields_round_trip() {
        let r = Record::new(b"key:1", Value::Str(b"hello"), false, 0xABCDEF, None);
        assert_eq!(r.key(), b"key:1");
        assert_eq!(r.value(), Value::Str(b"hello"));
        assert_eq!(r.access(), 0xABCDEF);
        assert_eq!(r.expire(), None);
        assert!(!r.is_raw());

        let r = r.with_expire(Some((1_700_000_000_000, 42))).unwrap();
        assert_eq!(r.key(), b"key:1");
        assert_eq!(r.value(), Value::Str(b"hello"));
        assert_eq!(r.expire(), Some((1_700_000_000_000, 42)));
        assert_eq!(r.access(), 0xABCDEF);
        let r = r.with_expire(None).unwrap();
        assert_eq!(r.expire(), None);
        assert_eq!(r.value(), Value::Str(b"hello"));

        for v in [0, 1, -1, 63, -64, 64, i64::MAX, i64::MIN, 123_456_789] {
            let r = Record::new(b"n", Value::Int(v), false, 0, Some((5, 6)));
            assert_eq!(r.value(), Value::Int(v));
            assert_eq!(r.key(), b"n");
        }
        for kind in ObjectKind::ALL {
            let object = ObjectRef {
                kind,
                index: 300_000,
            };
            let r = Record::new(b"obj", Value::Object(object), false, 0, None);
            assert_eq!(r.value(), Value::Object(object));
            assert!(!r.is_string());
        }
    }

    #[test]
    fn long_keys_use_a_longer_length_prefix() {
        let key = vec![b'k'; 1000];
        let r = Record::new(&key, Value::Str(b"v"), false, 1, None);
        assert_eq!(r.key(), key.as_slice());
        assert_eq!(r.value(), Value::Str(b"v"));
    }

    #[test]
    fn in_place_updates() {
        let mut r = Record::new(b"n", Value::Int(10), false, 0, None);
        assert!(r.set_int_in_place(20));
        assert_eq!(r.value(), Value::Int(20));
        assert!(
            !r.set_int_in_place(1_000_000),
            "a longer encoding needs a new record"
        );

        let mut r = Record::new(b"s", Value::Str(b"ab"), false, 7, None);
        r.try_append(b"cd").unwrap();
        assert_eq!(r.value(), Value::Str(b"abcd"));
        assert!(r.is_raw());
        r.try_grow_value_zero(6).unwrap();
        assert_eq!(r.value(), Value::Str(b"abcd\0\0"));
        r.string_bytes_mut().unwrap()[5] = b'!';
        assert_eq!(r.value(), Value::Str(b"abcd\0!"));
        assert_eq!(r.key(), b"s");
        assert_eq!(r.access(), 7);
    }

    #[test]
    fn overwrites_in_place_only_what_a_new_record_would_match() {
        let mut r = Record::new(b"k", Value::Str(b"abc"), false, 1, None);
        assert!(r.overwrite_in_place(Value::Str(b"xyz"), false, 2, false));
        let fresh = Record::new(b"k", Value::Str(b"xyz"), false, 2, None);
        assert_eq!(r.0.as_bytes(), fresh.0.as_bytes());
        assert_eq!(r.alloc_size(), fresh.alloc_size());
        // A value of another encoded length needs a new record; one of the same length, even
        // of another kind, does not.
        assert!(!r.overwrite_in_place(Value::Str(b"wxyz"), false, 2, false));
        assert!(!r.overwrite_in_place(Value::Int(-1), false, 2, false));
        assert_eq!(varint_len(zigzag(10_000)), 3);
        assert!(r.overwrite_in_place(Value::Int(10_000), false, 3, false));
        assert_eq!(r.value(), Value::Int(10_000));
        assert_eq!(r.access(), 3);
        // A TTL stays only when kept; dropping it changes the record's layout.
        let mut timed = Record::new(b"t", Value::Str(b"abc"), false, 1, Some((99, 4)));
        assert!(!timed.overwrite_in_place(Value::Str(b"def"), false, 1, false));
        assert!(timed.overwrite_in_place(Value::Str(b"def"), false, 1, true));
        assert_eq!(timed.expire(), Some((99, 4)));
        assert_eq!(timed.value(), Value::Str(b"def"));
        // Growth slack from APPEND is not carried into a value SET replaces.
        let mut grown = Record::new(b"g", Value::Str(b"ab"), false, 1, None);
        grown.try_append(b"cd").unwrap();
        assert!(!grown.overwrite_in_place(Value::Str(b"wxyz"), false, 1, false));
        // Collections are never overwritten here.
        let list = ObjectRef {
            kind: ObjectKind::List,
            index: 3,
        };
        let mut object = Record::new(b"o", Value::Object(list), false, 1, None);
        assert!(!object.overwrite_in_place(Value::Int(3), false, 1, false));
    }

    #[test]
    fn a_typical_small_key_is_one_32_byte_block() {
        if !cfg!(feature = "jemalloc") {
            return;
        }
        // DEBUG POPULATE's key:NNNNNN with a 10-byte value: 1 + 3 + 1 + 10 + 10 = 25 bytes of
        // record, a 1-byte header and the NUL: 27 bytes in a 32-byte class.
        let r = Record::new(b"key:123456", Value::Str(b"value:1234"), false, 0, None);
        assert_eq!(r.alloc_size(), 32);
    }
}
