//! Hashes: field/value pairs in one pack (insertion order) while small, a key table of
//! field+value blocks past `hash-max-listpack-entries` or `hash-max-listpack-value`. Like
//! Redis, a hash never converts back.

use sds::Sds;
use zmalloc::AllocError;

use super::pack::Pack;
use crate::store::table::{KeyTable, Keyed, hash};
use crate::util::varint;

/// Conversion thresholds from the config.
#[derive(Debug, Clone, Copy)]
pub struct HashLimits {
    pub entries: usize,
    pub value: usize,
}

/// One field and its value in one block: `[field len varint][field][value]`. Redis spends a
/// dictEntry and two sds strings on it.
#[derive(Clone)]
pub struct Field(Sds);

impl Field {
    fn try_new(field: &[u8], value: &[u8]) -> Result<Field, AllocError> {
        let mut len_buf = [0u8; 10];
        let len_len = varint::put(&mut len_buf, field.len() as u64);
        let mut block = Sds::try_zeroed(len_len + field.len() + value.len())?;
        let bytes = block.as_mut_bytes();
        bytes[..len_len].copy_from_slice(&len_buf[..len_len]);
        bytes[len_len..len_len + field.len()].copy_from_slice(field);
        bytes[len_len + field.len()..].copy_from_slice(value);
        Ok(Field(block))
    }

    /// For the server's own rebuilding (conversions): out of memory calls the OOM handler.
    fn new(field: &[u8], value: &[u8]) -> Field {
        Field::try_new(field, value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn split(&self) -> (&[u8], &[u8]) {
        let (len, len_len) = varint::get(&self.0);
        self.0[len_len..].split_at(len as usize)
    }

    pub fn field(&self) -> &[u8] {
        self.split().0
    }

    pub fn value(&self) -> &[u8] {
        self.split().1
    }

    fn alloc_size(&self) -> usize {
        self.0.alloc_size()
    }
}

impl Keyed for Field {
    #[inline]
    fn key(&self) -> &[u8] {
        self.field()
    }
}

/// A hash value.
#[derive(Clone)]
pub enum Hash {
    Pack(Pack),
    Table(Box<KeyTable<Field>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Pack(Pack::new())
    }
}

/// Offset of `field`'s entry in a packed hash.
fn pack_find(pack: &Pack, field: &[u8]) -> Option<usize> {
    let mut offset = pack.first();
    while offset < pack.end() {
        let (name, value_at) = pack.entry(offset);
        if name == field {
            return Some(offset);
        }
        offset = pack.entry(value_at).1;
    }
    None
}

impl Hash {
    pub fn len(&self) -> usize {
        match self {
            Hash::Pack(pack) => pack.len() / 2,
            Hash::Table(table) => table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_packed(&self) -> bool {
        matches!(self, Hash::Pack(_))
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Pack(pack) => {
                let offset = pack_find(pack, field)?;
                let value_at = pack.entry(offset).1;
                Some(pack.entry(value_at).0)
            }
            Hash::Table(table) => table
                .find(hash(field), field)
                .map(|slot| table.get(slot).value()),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets a field; returns whether it is new. Fails, changing nothing, when memory runs out.
    pub fn set(
        &mut self,
        field: &[u8],
        value: &[u8],
        limits: HashLimits,
    ) -> Result<bool, AllocError> {
        if let Hash::Pack(_) = self
            && (field.len() > limits.value || value.len() > limits.value)
        {
            self.convert();
        }
        match self {
            Hash::Pack(pack) => {
                let created = match pack_find(pack, field) {
                    Some(offset) => {
                        let value_at = pack.entry(offset).1;
                        pack.try_replace_at(value_at, value)?;
                        false
                    }
                    None => {
                        pack.try_push_back(field)?;
                        if let Err(error) = pack.try_push_back(value) {
                            let last = pack.last().expect("the field just pushed");
                            pack.remove_at(last, 1);
                            return Err(error);
                        }
                        true
                    }
                };
                // Any write checks the limit, which may have been lowered since.
                if pack.len() / 2 > limits.entries {
                    self.convert();
                }
                Ok(created)
            }
            Hash::Table(table) => {
                let h = hash(field);
                let entry = Field::try_new(field, value)?;
                match table.find(h, field) {
                    Some(slot) => {
                        table.replace(slot, entry);
                        Ok(false)
                    }
                    None => {
                        table.insert(h, entry);
                        Ok(true)
                    }
                }
            }
        }
    }

    /// Removes a field; returns whether it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Pack(pack) => match pack_find(pack, field) {
                Some(offset) => {
                    pack.remove_at(offset, 2);
                    true
                }
                None => false,
            },
            Hash::Table(table) => match table.find(hash(field), field) {
                Some(slot) => {
                    table.remove(slot);
                    true
                }
                None => false,
            },
        }
    }

    fn convert(&mut self) {
        let Hash::Pack(pack) = self else {
            return;
        };
        let mut table: KeyTable<Field> = KeyTable::default();
        table.reserve(pack.len() / 2 + 1);
        let mut entries = pack.iter();
        while let (Some(field), Some(value)) = (entries.next(), entries.next()) {
            table.insert(hash(field), Field::new(field, value));
        }
        *self = Hash::Table(Box::new(table));
    }

    /// Every field and value: insertion order when packed, table order otherwise.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Pack(pack) => {
                let mut entries = pack.iter();
                Box::new(std::iter::from_fn(move || {
                    Some((entries.next()?, entries.next()?))
                }))
            }
            Hash::Table(table) => Box::new(table.iter().map(|f| f.split())),
        }
    }

    /// A field and value at random.
    pub fn random(&self, rng: &mut fastrand::Rng) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Pack(pack) => {
                let i = rng.usize(0..self.len().max(1)) as isize;
                let offset = pack.offset_of(2 * i)?;
                let (field, value_at) = pack.entry(offset);
                Some((field, pack.entry(value_at).0))
            }
            Hash::Table(table) => table.random(rng).map(|slot| table.get(slot).split()),
        }
    }

    /// One `HSCAN` step: a packed hash is returned whole with cursor 0.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            Hash::Pack(_) => {
                for (field, value) in self.iter() {
                    visit(field, value);
                }
                0
            }
            Hash::Table(table) => table.scan_entries(cursor, count, |f| {
                let (field, value) = f.split();
                visit(field, value)
            }),
        }
    }

    /// Parts to free (the lazy-free effort).
    pub fn effort(&self) -> usize {
        match self {
            Hash::Pack(_) => 1,
            Hash::Table(table) => table.len(),
        }
    }

    /// Bytes held; a table's entries are averaged over `samples` of them (all when 0).
    pub fn memory(&self, samples: usize) -> usize {
        match self {
            Hash::Pack(pack) => pack.alloc_size(),
            Hash::Table(table) => {
                let base = zmalloc::size_class(size_of::<KeyTable<Field>>()) + table.memory();
                base + sampled_total(table.iter().map(Field::alloc_size), table.len(), samples)
            }
        }
    }
}

/// Redis's estimate for a collection: the average size of the first `samples` elements (all
/// when 0) times the element count.
pub fn sampled_total(sizes: impl Iterator<Item = usize>, len: usize, samples: usize) -> usize {
    let take = if samples == 0 { len } else { samples.min(len) };
    if take == 0 {
        return 0;
    }
    let sum: usize = sizes.take(take).sum();
    (sum as f64 / take as f64 * len as f64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HashLimits = HashLimits {
        entries: 4,
        value: 8,
    };

    #[test]
    fn packed_until_a_limit_then_a_table() {
        let mut h = Hash::default();
        assert!(h.set(b"a", b"1", LIMITS).unwrap());
        assert!(!h.set(b"a", b"2", LIMITS).unwrap());
        assert!(h.set(b"b", b"3", LIMITS).unwrap());
        assert_eq!(h.get(b"a"), Some(&b"2"[..]));
        assert!(h.is_packed());
        let order: Vec<&[u8]> = h.iter().map(|(f, _)| f).collect();
        assert_eq!(order, vec![&b"a"[..], b"b"]);
        for f in [b"c", b"d"] {
            h.set(f, b"v", LIMITS).unwrap();
        }
        assert!(h.is_packed());
        h.set(b"e", b"v", LIMITS).unwrap();
        assert!(!h.is_packed());
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"a"), Some(&b"2"[..]));
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(h.len(), 4);

        let mut long = Hash::default();
        long.set(b"f", b"123456789", LIMITS).unwrap();
        assert!(!long.is_packed());
        assert_eq!(long.get(b"f"), Some(&b"123456789"[..]));
    }

    #[test]
    fn field_block_splits_field_and_value() {
        let long_field = vec![b'x'; 200];
        let f = Field::new(&long_field, b"value");
        assert_eq!(f.field(), &long_field[..]);
        assert_eq!(f.value(), b"value");
        let empty = Field::new(b"", b"");
        assert_eq!(empty.split(), (&b""[..], &b""[..]));
    }
}
