//! Sets: a sorted integer array (intset) while every member is an integer, a pack while small
//! (Redis 7.2's listpack sets), a key table of members otherwise. Sets never convert back.

use sds::Sds;

use zmalloc::AllocError;

use super::pack::Pack;
use crate::store::table::{KeyTable, Keyed, hash};
use crate::util::parse_i64;

/// Conversion thresholds from the config.
#[derive(Debug, Clone, Copy)]
pub struct SetLimits {
    pub intset_entries: usize,
    pub listpack_entries: usize,
    pub listpack_value: usize,
}

/// A member of a large set: its bytes in one block.
#[derive(Clone)]
pub struct Member(Sds);

impl Keyed for Member {
    #[inline]
    fn key(&self) -> &[u8] {
        &self.0
    }
}

/// Sorted distinct integers, all stored at the width of the widest (2, 4 or 8 bytes), after a
/// one-byte width header: Redis's intset.
#[derive(Clone)]
pub struct IntSet(Sds);

fn width_of(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

impl IntSet {
    fn new() -> IntSet {
        let mut s = Sds::zeroed(1);
        s.as_mut_bytes()[0] = 2;
        IntSet(s)
    }

    /// Bytes per element: 2, 4 or 8, as in Redis's intset encoding.
    pub fn width(&self) -> usize {
        self.0[0] as usize
    }

    pub fn len(&self) -> usize {
        (self.0.len() - 1) / self.width()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> i64 {
        let w = self.width();
        let at = 1 + i * w;
        let b = &self.0[at..at + w];
        match w {
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => i64::from_le_bytes(b.try_into().expect("8 bytes")),
        }
    }

    fn put(&mut self, i: usize, v: i64) {
        let w = self.width();
        let at = 1 + i * w;
        self.0.as_mut_bytes()[at..at + w].copy_from_slice(&v.to_le_bytes()[..w]);
    }

    /// Position of `v`, or where it would go.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = (low + high) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(low)
    }

    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// Adds `v`; returns whether it was new.
    pub fn insert(&mut self, v: i64) -> bool {
        if width_of(v) > self.width() {
            self.upgrade(width_of(v));
        }
        let Err(at) = self.search(v) else {
            return false;
        };
        let w = self.width();
        let old_len = self.0.len();
        self.0.make_room_for_non_greedy(w);
        self.0.grow_zero(old_len + w);
        let start = 1 + at * w;
        self.0.as_mut_bytes().copy_within(start..old_len, start + w);
        self.put(at, v);
        true
    }

    /// Rewrites every value at a wider width.
    fn upgrade(&mut self, width: usize) {
        let values: Vec<i64> = (0..self.len()).map(|i| self.get(i)).collect();
        let mut wider = Sds::with_capacity(1 + values.len() * width);
        wider.grow_zero(1 + values.len() * width);
        wider.as_mut_bytes()[0] = width as u8;
        self.0 = wider;
        for (i, v) in values.into_iter().enumerate() {
            self.put(i, v);
        }
    }

    /// Removes `v`; returns whether it was there.
    pub fn remove(&mut self, v: i64) -> bool {
        let Ok(at) = self.search(v) else {
            return false;
        };
        let w = self.width();
        let len = self.0.len();
        let start = 1 + at * w;
        self.0.as_mut_bytes().copy_within(start + w..len, start);
        self.0.truncate(len - w);
        if self.0.avail() > 64 && self.0.avail() > self.0.len() {
            self.0.remove_free_space(true);
        }
        true
    }

    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub fn alloc_size(&self) -> usize {
        self.0.alloc_size()
    }
}

/// A set member as stored: an intset's integer, or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> Elem<'a> {
    /// The member's bytes, formatting an integer into `buf`.
    pub fn bytes<'b>(&self, buf: &'b mut itoa::Buffer) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            Elem::Int(v) => buf.format(v).as_bytes(),
            Elem::Bytes(bytes) => bytes,
        }
    }

    /// The member as an owned byte string.
    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes(&mut itoa::Buffer::new()).to_vec()
    }
}

/// A set value.
#[derive(Clone)]
pub enum Set {
    Ints(IntSet),
    Pack(Pack),
    Table(Box<KeyTable<Member>>),
}

impl Set {
    /// An empty set fit for `first` and `count_hint` members (Redis 7.2's `setTypeCreate`).
    pub fn for_members(first: &[u8], count_hint: usize, limits: SetLimits) -> Set {
        if parse_i64(first).is_some() && count_hint <= limits.intset_entries {
            Set::Ints(IntSet::new())
        } else if count_hint <= limits.listpack_entries && first.len() <= limits.listpack_value {
            Set::Pack(Pack::new())
        } else {
            let mut table = KeyTable::default();
            table.reserve(count_hint);
            Set::Table(Box::new(table))
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Ints(ints) => ints.len(),
            Set::Pack(pack) => pack.len(),
            Set::Table(table) => table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `OBJECT ENCODING`'s name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Ints(_) => "intset",
            Set::Pack(_) => "listpack",
            Set::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Ints(ints) => parse_i64(member).is_some_and(|v| ints.contains(v)),
            Set::Pack(pack) => pack.iter().any(|m| m == member),
            Set::Table(table) => table.find(hash(member), member).is_some(),
        }
    }

    /// Whether an element of another set is a member.
    pub fn contains_elem(&self, elem: Elem) -> bool {
        match (self, elem) {
            (Set::Ints(ints), Elem::Int(v)) => ints.contains(v),
            (_, elem) => self.contains(elem.bytes(&mut itoa::Buffer::new())),
        }
    }

    /// Adds a member; returns whether it is new. Fails, changing nothing, when the member's
    /// bytes cannot be stored.
    pub fn add(&mut self, member: &[u8], limits: SetLimits) -> Result<bool, AllocError> {
        match self {
            Set::Ints(ints) => {
                if let Some(v) = parse_i64(member) {
                    let added = ints.insert(v);
                    if added && ints.len() > limits.intset_entries {
                        self.convert_to_table();
                    }
                    return Ok(added);
                }
                if ints.contains_none_wider_than(limits.listpack_value)
                    && ints.len() < limits.listpack_entries
                    && member.len() <= limits.listpack_value
                {
                    self.convert_to_pack();
                } else {
                    self.convert_to_table();
                }
                self.add(member, limits)
            }
            Set::Pack(pack) => {
                if pack.iter().any(|m| m == member) {
                    return Ok(false);
                }
                if pack.len() < limits.listpack_entries && member.len() <= limits.listpack_value {
                    pack.try_push_back(member)?;
                    return Ok(true);
                }
                self.convert_to_table();
                self.add(member, limits)
            }
            Set::Table(table) => {
                let h = hash(member);
                if table.find(h, member).is_some() {
                    return Ok(false);
                }
                table.insert(h, Member(Sds::try_new(member)?));
                Ok(true)
            }
        }
    }

    /// [`Set::add`] for sets the server builds itself (results of SUNION and the like), where
    /// running out of memory calls zmalloc's OOM handler.
    pub fn add_built(&mut self, member: &[u8], limits: SetLimits) -> bool {
        self.add(member, limits).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Removes a member; returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Ints(ints) => parse_i64(member).is_some_and(|v| ints.remove(v)),
            Set::Pack(pack) => {
                let mut offset = pack.first();
                while offset < pack.end() {
                    let (m, next) = pack.entry(offset);
                    if m == member {
                        pack.remove_at(offset, 1);
                        return true;
                    }
                    offset = next;
                }
                false
            }
            Set::Table(table) => match table.find(hash(member), member) {
                Some(slot) => {
                    table.remove(slot);
                    true
                }
                None => false,
            },
        }
    }

    fn convert_to_pack(&mut self) {
        if let Set::Ints(ints) = self {
            let mut pack = Pack::new();
            let mut buf = itoa::Buffer::new();
            for v in ints.iter() {
                pack.push_back(buf.format(v).as_bytes());
            }
            *self = Set::Pack(pack);
        }
    }

    fn convert_to_table(&mut self) {
        if let Set::Table(_) = self {
            return;
        }
        let mut table: KeyTable<Member> = KeyTable::default();
        table.reserve(self.len() + 1);
        let mut buf = itoa::Buffer::new();
        for elem in self.iter() {
            let bytes = elem.bytes(&mut buf);
            table.insert(hash(bytes), Member(Sds::new(bytes)));
        }
        *self = Set::Table(Box::new(table));
    }

    /// Every member: intsets in order, packs in insertion order, tables in table order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = Elem<'_>> + '_> {
        match self {
            Set::Ints(ints) => Box::new(ints.iter().map(Elem::Int)),
            Set::Pack(pack) => Box::new(pack.iter().map(Elem::Bytes)),
            Set::Table(table) => Box::new(table.iter().map(|m| Elem::Bytes(&m.0))),
        }
    }

    /// A member at random.
    pub fn random(&self, rng: &mut fastrand::Rng) -> Option<Elem<'_>> {
        if self.is_empty() {
            return None;
        }
        match self {
            Set::Ints(ints) => Some(Elem::Int(ints.get(rng.usize(0..ints.len())))),
            Set::Pack(pack) => pack.get(rng.usize(0..pack.len()) as isize).map(Elem::Bytes),
            Set::Table(table) => table
                .random(rng)
                .map(|slot| Elem::Bytes(&table.get(slot).0)),
        }
    }

    /// One `SSCAN` step: small encodings are returned whole with cursor 0.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(Elem)) -> u64 {
        match self {
            Set::Table(table) => table.scan_entries(cursor, count, |m| visit(Elem::Bytes(&m.0))),
            _ => {
                for elem in self.iter() {
                    visit(elem);
                }
                0
            }
        }
    }

    pub fn effort(&self) -> usize {
        match self {
            Set::Table(table) => table.len(),
            _ => 1,
        }
    }

    /// Bytes held; a table's members are averaged over `samples` of them (all when 0).
    pub fn memory(&self, samples: usize) -> usize {
        match self {
            Set::Ints(ints) => ints.alloc_size(),
            Set::Pack(pack) => pack.alloc_size(),
            Set::Table(table) => {
                zmalloc::size_class(size_of::<KeyTable<Member>>())
                    + table.memory()
                    + super::hash::sampled_total(
                        table.iter().map(|m| m.0.alloc_size()),
                        table.len(),
                        samples,
                    )
            }
        }
    }
}

impl IntSet {
    /// Whether every value prints in at most `max` bytes (so the set may become a pack).
    fn contains_none_wider_than(&self, max: usize) -> bool {
        let digits = |v: i64| itoa::Buffer::new().format(v).len();
        self.is_empty() || (digits(self.get(0)) <= max && digits(self.get(self.len() - 1)) <= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SetLimits = SetLimits {
        intset_entries: 4,
        listpack_entries: 6,
        listpack_value: 8,
    };

    #[test]
    fn intset_keeps_order_and_widens() {
        let mut ints = IntSet::new();
        for v in [5, -3, 70000, i64::MIN, 5, 0] {
            ints.insert(v);
        }
        assert_eq!(
            ints.iter().collect::<Vec<_>>(),
            vec![i64::MIN, -3, 0, 5, 70000]
        );
        assert_eq!(ints.width(), 8);
        assert!(ints.remove(70000));
        assert!(!ints.remove(70000));
        assert!(ints.contains(i64::MIN));
        assert_eq!(ints.len(), 4);
    }

    #[test]
    fn conversions_follow_the_limits() {
        let mut s = Set::for_members(b"1", 1, LIMITS);
        for m in ["1", "2", "3", "4"] {
            assert!(s.add(m.as_bytes(), LIMITS).unwrap());
        }
        assert_eq!(s.encoding(), "intset");
        s.add(b"5", LIMITS).unwrap();
        assert_eq!(s.encoding(), "hashtable");

        let mut s = Set::for_members(b"1", 1, LIMITS);
        s.add(b"1", LIMITS).unwrap();
        s.add(b"a", LIMITS).unwrap();
        assert_eq!(s.encoding(), "listpack");
        assert!(s.contains(b"1") && s.contains(b"a"));
        assert!(!s.add(b"a", LIMITS).unwrap());
        s.add(b"longer-than-8", LIMITS).unwrap();
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 3);
        assert!(s.contains(b"1") && s.contains(b"longer-than-8"));
        assert!(s.remove(b"1"));
        assert_eq!(s.len(), 2);
    }
}
