//! A packed sequence of byte strings in one `Sds`: the compact encoding of small lists,
//! hashes, sets and sorted sets, and the chunks of large lists (Redis's listpack idea, in a
//! format of our own).
//!
//! ```text
//! [count u32 LE] [entry]*      entry = [len varint][bytes][backlen]
//! ```
//!
//! `backlen` is the size of `len` and `bytes` as a varint written backwards, so the pack can
//! be walked from its end as well as from its start. An entry of up to 127 bytes costs two
//! bytes of framing. Growth is exact (non-greedy), as listpacks reallocate to size.

use sds::Sds;
use zmalloc::AllocError;

const HEADER: usize = 4;

use crate::util::varint;

fn varint_len(v: usize) -> usize {
    varint::len(v as u64)
}

fn put_varint(out: &mut [u8], v: usize) -> usize {
    varint::put(out, v as u64)
}

/// Reads a varint forwards at `at`: (value, bytes used).
fn get_varint(bytes: &[u8], at: usize) -> (usize, usize) {
    let (v, n) = varint::get(&bytes[at..]);
    (v as usize, n)
}

/// Writes `v` as a backwards varint ending just before `end`; returns its length.
fn put_backlen(out: &mut [u8], end: usize, v: usize) -> usize {
    let mut buf = [0u8; 10];
    let n = put_varint(&mut buf, v);
    for i in 0..n {
        out[end - 1 - i] = buf[i];
    }
    n
}

/// Reads a backwards varint ending just before `end`: (value, bytes used).
fn get_backlen(bytes: &[u8], end: usize) -> (usize, usize) {
    let mut v = 0usize;
    let mut i = 0;
    loop {
        let b = bytes[end - 1 - i];
        v |= ((b & 0x7f) as usize) << (7 * i);
        i += 1;
        if b < 0x80 {
            return (v, i);
        }
    }
}

/// Total bytes an entry of `len` data bytes takes.
pub fn entry_size(len: usize) -> usize {
    let body = varint_len(len) + len;
    body + varint_len(body)
}

/// A packed sequence of byte strings.
#[derive(Clone)]
pub struct Pack(Sds);

impl Default for Pack {
    fn default() -> Self {
        Pack::new()
    }
}

impl Pack {
    pub fn new() -> Pack {
        Pack(Sds::zeroed(HEADER))
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        u32::from_le_bytes(self.0[..HEADER].try_into().expect("header")) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn set_count(&mut self, count: usize) {
        self.0.as_mut_bytes()[..HEADER].copy_from_slice(&(count as u32).to_le_bytes());
    }

    /// Bytes used by header and entries.
    pub fn bytes_len(&self) -> usize {
        self.0.len()
    }

    /// Bytes of the block holding the pack.
    pub fn alloc_size(&self) -> usize {
        self.0.alloc_size()
    }

    /// Offset of the first entry (equal to [`Pack::end`] when empty).
    pub fn first(&self) -> usize {
        HEADER
    }

    /// Offset just past the last entry.
    pub fn end(&self) -> usize {
        self.0.len()
    }

    /// The entry at `offset`: its bytes and the offset of the next entry.
    #[inline]
    pub fn entry(&self, offset: usize) -> (&[u8], usize) {
        let (len, len_len) = get_varint(&self.0, offset);
        let start = offset + len_len;
        let body = len_len + len;
        (
            &self.0[start..start + len],
            offset + body + varint_len(body),
        )
    }

    /// Offset of the entry before the one at `offset`, if any.
    #[inline]
    pub fn prev(&self, offset: usize) -> Option<usize> {
        if offset <= HEADER {
            return None;
        }
        let (body, back_len) = get_backlen(&self.0, offset);
        Some(offset - back_len - body)
    }

    /// Offset of the last entry, if any.
    pub fn last(&self) -> Option<usize> {
        self.prev(self.end())
    }

    /// Offset of entry `index` (negative counts from the end), walking from the nearer end.
    pub fn offset_of(&self, index: isize) -> Option<usize> {
        let len = self.len() as isize;
        let index = if index < 0 { len + index } else { index };
        if index < 0 || index >= len {
            return None;
        }
        if index < len / 2 {
            let mut offset = self.first();
            for _ in 0..index {
                offset = self.entry(offset).1;
            }
            Some(offset)
        } else {
            let mut offset = self.last()?;
            for _ in 0..(len - 1 - index) {
                offset = self.prev(offset)?;
            }
            Some(offset)
        }
    }

    /// Entry `index` (negative counts from the end).
    pub fn get(&self, index: isize) -> Option<&[u8]> {
        self.offset_of(index).map(|offset| self.entry(offset).0)
    }

    /// Entries from the first.
    pub fn iter(&self) -> PackIter<'_> {
        self.iter_from(self.first())
    }

    /// Entries from the one at `offset`.
    pub fn iter_from(&self, offset: usize) -> PackIter<'_> {
        PackIter { pack: self, offset }
    }

    /// Entries from the last backwards.
    pub fn iter_rev(&self) -> PackRevIter<'_> {
        PackRevIter {
            pack: self,
            next: self.last(),
        }
    }

    /// Inserts an entry before the one at `offset` (or at the end when `offset == end()`);
    /// fails, changing nothing, when the pack cannot grow.
    pub fn try_insert_at(&mut self, offset: usize, data: &[u8]) -> Result<(), AllocError> {
        let size = entry_size(data.len());
        let old_len = self.0.len();
        self.0.try_make_room_for_non_greedy(size)?;
        self.0.try_grow_zero(old_len + size)?;
        let bytes = self.0.as_mut_bytes();
        bytes.copy_within(offset..old_len, offset + size);
        let mut at = offset + put_varint(&mut bytes[offset..], data.len());
        bytes[at..at + data.len()].copy_from_slice(data);
        at += data.len();
        put_backlen(bytes, offset + size, at - offset);
        let count = self.len();
        self.set_count(count + 1);
        Ok(())
    }

    pub fn try_push_back(&mut self, data: &[u8]) -> Result<(), AllocError> {
        self.try_insert_at(self.end(), data)
    }

    pub fn try_push_front(&mut self, data: &[u8]) -> Result<(), AllocError> {
        self.try_insert_at(self.first(), data)
    }

    /// [`Pack::try_insert_at`] for the server's own rebuilding of values (conversions), where
    /// running out of memory calls zmalloc's OOM handler, as in Redis.
    pub fn insert_at(&mut self, offset: usize, data: &[u8]) {
        self.try_insert_at(offset, data)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn push_back(&mut self, data: &[u8]) {
        self.insert_at(self.end(), data)
    }

    /// Moves the entries from `offset` on into a new pack.
    pub fn split_off(&mut self, offset: usize) -> Pack {
        let moved = self.entries_between(offset, self.end());
        let mut tail = Pack(Sds::with_capacity(HEADER + self.end() - offset));
        tail.0.grow_zero(HEADER);
        tail.0.cat(&self.0[offset..]);
        tail.set_count(moved);
        let left = self.len() - moved;
        self.0.truncate(offset);
        self.set_count(left);
        self.shrink();
        tail
    }

    /// Appends every entry of `other`.
    pub fn append(&mut self, other: &Pack) {
        let count = self.len() + other.len();
        self.0.make_room_for_non_greedy(other.end() - HEADER);
        self.0.cat(&other.0[HEADER..]);
        self.set_count(count);
    }

    /// Removes `count` entries starting at `offset`; returns the offset that now holds what
    /// followed them.
    pub fn remove_at(&mut self, offset: usize, count: usize) -> usize {
        let mut end = offset;
        for _ in 0..count {
            if end >= self.end() {
                break;
            }
            end = self.entry(end).1;
        }
        let removed = self.entries_between(offset, end);
        let old_len = self.0.len();
        self.0.as_mut_bytes().copy_within(end..old_len, offset);
        self.0.truncate(old_len - (end - offset));
        let left = self.len() - removed;
        self.set_count(left);
        self.shrink();
        offset
    }

    fn entries_between(&self, from: usize, to: usize) -> usize {
        let mut n = 0;
        let mut offset = from;
        while offset < to {
            offset = self.entry(offset).1;
            n += 1;
        }
        n
    }

    /// Replaces the entry at `offset` with `data`.
    pub fn try_replace_at(&mut self, offset: usize, data: &[u8]) -> Result<(), AllocError> {
        if self.entry(offset).0.len() == data.len() {
            // Same length, same framing: overwrite the bytes in place.
            let start = offset + varint_len(data.len());
            self.0.as_mut_bytes()[start..start + data.len()].copy_from_slice(data);
            return Ok(());
        }
        self.try_insert_at(offset, data)?;
        let next = self.entry(offset).1;
        self.remove_at(next, 1);
        Ok(())
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.0.truncate(HEADER);
        self.set_count(0);
        self.shrink();
    }

    /// Gives back unused room once it is a quarter of the block, as listpacks stay exact.
    fn shrink(&mut self) {
        if self.0.avail() > 16 && self.0.avail() * 4 > self.0.len() {
            self.0.remove_free_space(true);
        }
    }
}

/// Forward iterator over a pack's entries.
pub struct PackIter<'a> {
    pack: &'a Pack,
    offset: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.offset >= self.pack.end() {
            return None;
        }
        let (data, next) = self.pack.entry(self.offset);
        self.offset = next;
        Some(data)
    }
}

/// Backward iterator over a pack's entries.
pub struct PackRevIter<'a> {
    pack: &'a Pack,
    next: Option<usize>,
}

impl<'a> Iterator for PackRevIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let offset = self.next?;
        self.next = self.pack.prev(offset);
        Some(self.pack.entry(offset).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_remove_both_ends() {
        let mut pack = Pack::new();
        pack.push_back(b"b");
        pack.try_push_front(b"a").unwrap();
        pack.push_back(&[b'x'; 300]);
        pack.push_back(b"");
        assert_eq!(pack.len(), 4);
        assert_eq!(pack.get(0), Some(&b"a"[..]));
        assert_eq!(pack.get(1), Some(&b"b"[..]));
        assert_eq!(pack.get(2).unwrap().len(), 300);
        assert_eq!(pack.get(-1), Some(&b""[..]));
        assert_eq!(pack.get(4), None);
        assert_eq!(pack.get(-5), None);
        let collected: Vec<&[u8]> = pack.iter().collect();
        assert_eq!(collected.len(), 4);
        // Walking backwards visits the same entries.
        let mut offset = pack.last();
        let mut back = Vec::new();
        while let Some(o) = offset {
            back.push(pack.entry(o).0.to_vec());
            offset = pack.prev(o);
        }
        back.reverse();
        assert_eq!(
            back,
            collected.iter().map(|e| e.to_vec()).collect::<Vec<_>>()
        );
        let mut reversed: Vec<&[u8]> = pack.iter_rev().collect();
        reversed.reverse();
        assert_eq!(reversed, collected);
        let second = pack.offset_of(1).unwrap();
        pack.remove_at(second, 2);
        assert_eq!(pack.iter().collect::<Vec<_>>(), vec![&b"a"[..], &b""[..]]);
        let first = pack.first();
        pack.try_replace_at(first, b"replaced").unwrap();
        pack.try_replace_at(first, b"REPLACED").unwrap();
        assert_eq!(pack.get(0), Some(&b"REPLACED"[..]));
        pack.try_replace_at(first, b"replaced").unwrap();
        assert_eq!(pack.get(0), Some(&b"replaced"[..]));
        assert_eq!(pack.len(), 2);
        pack.clear();
        assert!(pack.is_empty());
        assert_eq!(pack.iter().count(), 0);
    }

    #[test]
    fn split_off_and_append_round_trip() {
        let mut pack = Pack::new();
        for i in 0..10 {
            pack.push_back(format!("e{i}").as_bytes());
        }
        let at = pack.offset_of(4).unwrap();
        let tail = pack.split_off(at);
        assert_eq!(pack.len(), 4);
        assert_eq!(tail.len(), 6);
        assert_eq!(tail.get(0), Some(&b"e4"[..]));
        assert_eq!(tail.get(-1), Some(&b"e9"[..]));
        pack.append(&tail);
        let all: Vec<Vec<u8>> = pack.iter().map(<[u8]>::to_vec).collect();
        let expected: Vec<Vec<u8>> = (0..10).map(|i| format!("e{i}").into_bytes()).collect();
        assert_eq!(all, expected);
        assert_eq!(pack.last().map(|o| pack.entry(o).0), Some(&b"e9"[..]));
    }

    #[test]
    fn framing_is_two_bytes_for_short_entries() {
        assert_eq!(entry_size(0), 2);
        assert_eq!(entry_size(10), 12);
        assert_eq!(entry_size(127), 130);
        assert_eq!(entry_size(200), 204);
    }
}
