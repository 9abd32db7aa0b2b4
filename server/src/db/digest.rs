//! `DEBUG DIGEST` and `DEBUG DIGEST-VALUE`: a SHA-1 signature of the dataset or of single
//! values, computed as Redis computes it, so a dataset has the same digest in Redis and in
//! zedis and tests can compare values before and after an operation.
//!
//! Unordered collections (the keys of a database, set members, hash fields, sorted-set
//! members) are combined by XOR of their elements' digests; ordered ones (list elements, the
//! parts of one element) by feeding each digest back into SHA-1 (Redis's `mixDigest`).

use sha1_smol::Sha1;

use super::Keyspace;
use super::record::{Record, Value};
use crate::types::{ObjectView, set::Elem};
use crate::util::format_double;

/// Redis's object type numbers, which enter every value's digest.
const TYPE_STRING: u32 = 0;
const TYPE_LIST: u32 = 1;
const TYPE_SET: u32 = 2;
const TYPE_ZSET: u32 = 3;
const TYPE_HASH: u32 = 4;

type Digest = [u8; 20];

fn sha1(data: &[u8]) -> Digest {
    Sha1::from(data).digest().bytes()
}

/// `digest ^= SHA1(data)`: order does not matter.
fn xor(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// `digest = SHA1(digest ^ SHA1(data))`: order matters.
fn mix(digest: &mut Digest, data: &[u8]) {
    xor(digest, data);
    *digest = sha1(digest);
}

/// Mixes one value (its type, contents and whether it expires) into `digest`.
fn value_digest(keyspace: &Keyspace, db: usize, record: &Record, digest: &mut Digest) {
    let mut buf = itoa::Buffer::new();
    let kind = match record.value() {
        Value::Str(_) | Value::Int(_) => TYPE_STRING,
        Value::Object(at) => match keyspace.dbs[db].objects.get(at) {
            ObjectView::List(_) => TYPE_LIST,
            ObjectView::Set(_) => TYPE_SET,
            ObjectView::ZSet(_) => TYPE_ZSET,
            ObjectView::Hash(_) => TYPE_HASH,
        },
    };
    mix(digest, &kind.to_be_bytes());
    match record.value() {
        Value::Str(bytes) => mix(digest, bytes),
        Value::Int(v) => mix(digest, buf.format(v).as_bytes()),
        Value::Object(at) => match keyspace.dbs[db].objects.get(at) {
            ObjectView::List(list) => list.iter().for_each(|item| mix(digest, item)),
            ObjectView::Set(set) => {
                for member in set.iter() {
                    match member {
                        Elem::Int(v) => xor(digest, buf.format(v).as_bytes()),
                        Elem::Bytes(bytes) => xor(digest, bytes),
                    }
                }
            }
            ObjectView::ZSet(zset) => {
                for (member, score) in zset.iter_from(0, true) {
                    let mut element = [0u8; 20];
                    mix(&mut element, member);
                    mix(&mut element, format_double(score).as_bytes());
                    xor(digest, &element);
                }
            }
            ObjectView::Hash(hash) => {
                for (field, value) in hash.iter() {
                    let mut element = [0u8; 20];
                    mix(&mut element, field);
                    mix(&mut element, value);
                    xor(digest, &element);
                }
            }
        },
    }
    if record.expire().is_some() {
        xor(digest, b"!!expire!!");
    }
}

/// `DEBUG DIGEST-VALUE`: the digest of one key's value (zeros for a missing key). Like Redis,
/// a logically expired key still counts.
pub fn value(keyspace: &Keyspace, db: usize, key: &[u8]) -> Digest {
    let mut digest = [0u8; 20];
    if let Some(slot) = keyspace.peek(db, key) {
        value_digest(keyspace, db, keyspace.record(db, slot), &mut digest);
    }
    digest
}

/// `DEBUG DIGEST`: the digest of every key and value of every database (zeros when empty).
pub fn dataset(keyspace: &Keyspace) -> Digest {
    let mut total = [0u8; 20];
    for (db, database) in keyspace.dbs.iter().enumerate() {
        if database.is_empty() {
            continue;
        }
        mix(&mut total, &(db as u32).to_be_bytes());
        for record in database.table.iter() {
            let mut digest = [0u8; 20];
            mix(&mut digest, record.key());
            value_digest(keyspace, db, record, &mut digest);
            xor(&mut total, &digest);
        }
    }
    total
}

/// Lower-case hexadecimal, as Redis prints a digest.
pub fn hex(digest: &Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
