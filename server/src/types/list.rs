//! Lists: one pack while small, a quicklist of packs once past `list-max-listpack-size`
//! (Redis 7.2's conversions; 7.0 names both `quicklist`, and so do we).
//!
//! Positions are plain indexes; a list is walked chunk by chunk from its nearer end, so an
//! access costs O(chunks + entries of one chunk), as in Redis's quicklist.

use zmalloc::AllocError;

use super::pack::{Pack, entry_size};

/// One end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

/// Redis's `SIZE_SAFETY_LIMIT`: the byte bound of a chunk when the limit is a count.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Byte bounds for `list-max-listpack-size` -1 … -5.
const SIZE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// Redis's default `packed_threshold`: entries of 1 GiB or more get a chunk of their own.
pub const DEFAULT_PLAIN_THRESHOLD: usize = 1 << 30;

/// The bound on one chunk: `size` is `list-max-listpack-size` (positive counts entries,
/// negative picks a byte size); an entry of `plain_threshold` bytes or more is a "plain node"
/// in Redis's terms, alone in its chunk (`DEBUG QUICKLIST-PACKED-THRESHOLD` moves it).
#[derive(Debug, Clone, Copy)]
pub struct ListLimit {
    pub size: i64,
    pub plain_threshold: usize,
}

impl ListLimit {
    pub fn new(size: i64) -> ListLimit {
        ListLimit {
            size,
            plain_threshold: DEFAULT_PLAIN_THRESHOLD,
        }
    }

    /// Whether an entry of `len` bytes lives alone in its chunk (Redis's `isLargeElement`).
    fn is_large(self, len: usize) -> bool {
        len >= self.plain_threshold
    }

    /// Whether `chunk` is a plain node: its one entry is large. Only a chunk of at least
    /// `plain_threshold` bytes can be, which keeps the check free at the default threshold.
    fn is_plain(self, chunk: &Pack) -> bool {
        chunk.len() == 1
            && chunk.bytes_len() >= self.plain_threshold
            && chunk.get(0).is_some_and(|entry| self.is_large(entry.len()))
    }

    /// Whether `chunk` must be split: over the bounds, or holding a large entry among others.
    fn overflows(self, chunk: &Pack) -> bool {
        chunk.len() > 1
            && (self.exceeds(chunk.bytes_len(), chunk.len())
                || (chunk.bytes_len() >= self.plain_threshold
                    && chunk.iter().any(|entry| self.is_large(entry.len()))))
    }

    /// (bytes, entries) a chunk may hold.
    fn bounds(self) -> (usize, usize) {
        if self.size >= 0 {
            (SIZE_SAFETY_LIMIT, self.size as usize)
        } else {
            let level = (self.size.unsigned_abs() - 1).min(4) as usize;
            (SIZE_LIMITS[level], usize::MAX)
        }
    }

    fn exceeds(self, bytes: usize, entries: usize) -> bool {
        let (max_bytes, max_entries) = self.bounds();
        bytes > max_bytes || entries > max_entries
    }

    /// Whether a chunk can take one more entry of `len` bytes. An empty chunk takes anything
    /// small; a large entry or a plain chunk takes nothing more.
    fn fits(self, chunk: &Pack, len: usize) -> bool {
        if self.is_large(len) {
            return false;
        }
        chunk.is_empty()
            || (!self.exceeds(chunk.bytes_len() + entry_size(len), chunk.len() + 1)
                && !self.is_plain(chunk))
    }
}

/// A list value.
#[derive(Clone)]
pub enum List {
    Pack(Pack),
    Quick(Box<QuickList>),
}

/// Chunks of a large list, each within the limit.
#[derive(Clone)]
pub struct QuickList {
    chunks: Vec<Pack>,
    len: usize,
}

impl Default for List {
    fn default() -> Self {
        List::Pack(Pack::new())
    }
}

impl List {
    pub fn len(&self) -> usize {
        match self {
            List::Pack(pack) => pack.len(),
            List::Quick(quick) => quick.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The list's chunks in order (Redis's quicklist nodes).
    pub fn chunks(&self) -> &[Pack] {
        match self {
            List::Pack(pack) => std::slice::from_ref(pack),
            List::Quick(quick) => &quick.chunks,
        }
    }

    fn chunks_mut(&mut self) -> &mut [Pack] {
        match self {
            List::Pack(pack) => std::slice::from_mut(pack),
            List::Quick(quick) => &mut quick.chunks,
        }
    }

    /// Chunks in use (the lazy-free effort of the value).
    pub fn chunk_count(&self) -> usize {
        self.chunks().len()
    }

    /// Bytes held: the chunks, and the quicklist's own blocks. With `samples > 0` the chunk
    /// sizes are averaged over the first `samples` chunks, as `MEMORY USAGE` does.
    pub fn memory(&self, samples: usize) -> usize {
        match self {
            List::Pack(pack) => pack.alloc_size(),
            List::Quick(quick) => {
                let chunks = &quick.chunks;
                let sampled = if samples == 0 {
                    chunks.len()
                } else {
                    samples.min(chunks.len())
                };
                let sum: usize = chunks[..sampled].iter().map(Pack::alloc_size).sum();
                let estimate = (sum as f64 / sampled.max(1) as f64 * chunks.len() as f64) as usize;
                zmalloc::size_class(size_of::<QuickList>())
                    + zmalloc::size_class(chunks.capacity() * size_of::<Pack>())
                    + estimate
            }
        }
    }

    /// Switches to chunks so an insertion can split.
    fn make_quick(&mut self) -> &mut QuickList {
        if let List::Pack(pack) = self {
            let pack = std::mem::take(pack);
            let len = pack.len();
            // An empty list has no chunk: every chunk of a quicklist holds an entry.
            let chunks = if pack.is_empty() {
                Vec::new()
            } else {
                vec![pack]
            };
            *self = List::Quick(Box::new(QuickList { chunks, len }));
        }
        match self {
            List::Quick(quick) => quick,
            List::Pack(_) => unreachable!("converted above"),
        }
    }

    /// Goes back to a single pack when one chunk is left at half the limit or less (Redis
    /// 7.2's shrinking conversion, so a list that grew and shrank pays no chunk overhead).
    pub fn shrink(&mut self, limit: ListLimit) {
        let List::Quick(quick) = self else {
            return;
        };
        let single = match quick.chunks.len() {
            0 => Pack::new(),
            1 => {
                let (max_bytes, max_entries) = limit.bounds();
                let chunk = &quick.chunks[0];
                if chunk.bytes_len() > max_bytes / 2 || chunk.len() > max_entries / 2 {
                    return;
                }
                quick.chunks.pop().expect("one chunk")
            }
            _ => return,
        };
        *self = List::Pack(single);
    }

    /// Adds an entry at one end; fails, changing nothing, when memory runs out.
    pub fn push(&mut self, end: End, item: &[u8], limit: ListLimit) -> Result<(), AllocError> {
        if let List::Pack(pack) = self
            && limit.fits(pack, item.len())
        {
            return match end {
                End::Head => pack.try_push_front(item),
                End::Tail => pack.try_push_back(item),
            };
        }
        let quick = self.make_quick();
        let chunks = &mut quick.chunks;
        match end {
            End::Head => match chunks.first_mut() {
                Some(chunk) if limit.fits(chunk, item.len()) => chunk.try_push_front(item)?,
                _ => {
                    let chunk = new_chunk(chunks, item)?;
                    chunks.insert(0, chunk);
                }
            },
            End::Tail => match chunks.last_mut() {
                Some(chunk) if limit.fits(chunk, item.len()) => chunk.try_push_back(item)?,
                _ => {
                    let chunk = new_chunk(chunks, item)?;
                    chunks.push(chunk);
                }
            },
        }
        quick.len += 1;
        Ok(())
    }

    /// Removes the entry at one end, calling `take` with it first.
    pub fn pop_with<T>(&mut self, end: End, take: impl FnOnce(&[u8]) -> T) -> Option<T> {
        let c = match end {
            End::Head => 0,
            End::Tail => self.chunks().len().checked_sub(1)?,
        };
        let chunk = &mut self.chunks_mut()[c];
        let offset = match end {
            End::Head if !chunk.is_empty() => chunk.first(),
            End::Head => return None,
            End::Tail => chunk.last()?,
        };
        let taken = take(chunk.entry(offset).0);
        chunk.remove_at(offset, 1);
        self.after_removal(c, 1);
        Some(taken)
    }

    /// Removes the entry at one end and returns it.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        self.pop_with(end, <[u8]>::to_vec)
    }

    /// Bookkeeping after `removed` entries left chunk `c`: drops it if empty.
    fn after_removal(&mut self, c: usize, removed: usize) {
        if let List::Quick(quick) = self {
            quick.len -= removed;
            if quick.chunks[c].is_empty() {
                quick.chunks.remove(c);
            }
        }
    }

    /// An index from the head, or from the tail when negative, as a position if in range.
    pub fn position(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let index = if index < 0 { len + index } else { index };
        (0..len).contains(&index).then_some(index as usize)
    }

    /// The chunk holding entry `index` and the entry's index inside it.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        let len = self.len();
        if index >= len {
            return None;
        }
        let chunks = self.chunks();
        if index < len / 2 {
            let mut rest = index;
            for (c, chunk) in chunks.iter().enumerate() {
                if rest < chunk.len() {
                    return Some((c, rest));
                }
                rest -= chunk.len();
            }
        } else {
            let mut rest = len - 1 - index;
            for (c, chunk) in chunks.iter().enumerate().rev() {
                if rest < chunk.len() {
                    return Some((c, chunk.len() - 1 - rest));
                }
                rest -= chunk.len();
            }
        }
        None
    }

    /// The entry at position `index` (from the head).
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let (c, i) = self.locate(index)?;
        self.chunks()[c].get(i as isize)
    }

    /// Replaces the entry at `index` (which must be in range).
    pub fn set(&mut self, index: usize, item: &[u8], limit: ListLimit) -> Result<(), AllocError> {
        let (c, i) = self.locate(index).expect("index in range");
        if let List::Pack(pack) = self {
            let old = pack.get(i as isize).map_or(0, <[u8]>::len);
            let bytes = pack.bytes_len() - entry_size(old) + entry_size(item.len());
            if !limit.exceeds(bytes, pack.len()) && (pack.len() == 1 || !limit.is_large(item.len()))
            {
                let offset = pack.offset_of(i as isize).expect("located");
                return pack.try_replace_at(offset, item);
            }
        }
        let quick = self.make_quick();
        let offset = quick.chunks[c].offset_of(i as isize).expect("located");
        quick.chunks[c].try_replace_at(offset, item)?;
        quick.rebalance(c, limit);
        Ok(())
    }

    /// Inserts `item` so that it ends up at position `index` (`index == len` appends).
    pub fn insert(
        &mut self,
        index: usize,
        item: &[u8],
        limit: ListLimit,
    ) -> Result<(), AllocError> {
        let len = self.len();
        if index == 0 {
            return self.push(End::Head, item, limit);
        }
        if index >= len {
            return self.push(End::Tail, item, limit);
        }
        let (c, i) = self.locate(index).expect("inside the list");
        if let List::Pack(pack) = self
            && limit.fits(pack, item.len())
        {
            let offset = pack.offset_of(i as isize).expect("located");
            return pack.try_insert_at(offset, item);
        }
        let quick = self.make_quick();
        let offset = quick.chunks[c].offset_of(i as isize).expect("located");
        quick.chunks[c].try_insert_at(offset, item)?;
        quick.len += 1;
        quick.rebalance(c, limit);
        Ok(())
    }

    /// Removes `count` entries from position `start` on.
    pub fn remove_range(&mut self, start: usize, count: usize) {
        let count = count.min(self.len().saturating_sub(start));
        let Some((mut c, mut i)) = self.locate(start) else {
            return;
        };
        let mut left = count;
        while left > 0 {
            let chunk = &mut self.chunks_mut()[c];
            let n = left.min(chunk.len() - i);
            let offset = chunk.offset_of(i as isize).expect("inside the chunk");
            chunk.remove_at(offset, n);
            let emptied = chunk.is_empty();
            self.after_removal(c, n);
            if !emptied || matches!(self, List::Pack(_)) {
                c += 1;
            }
            left -= n;
            i = 0;
        }
    }

    /// Removes up to `limit` entries equal to `item` (all when 0), from the head or from the
    /// tail; returns how many (`LREM`).
    pub fn remove_matching(&mut self, item: &[u8], from: End, limit: usize) -> usize {
        let mut removed = 0;
        let chunk_count = self.chunks().len();
        let order: Box<dyn Iterator<Item = usize>> = match from {
            End::Head => Box::new(0..chunk_count),
            End::Tail => Box::new((0..chunk_count).rev()),
        };
        let mut emptied = Vec::new();
        for c in order {
            if limit != 0 && removed == limit {
                break;
            }
            let chunk = &mut self.chunks_mut()[c];
            let before = chunk.len();
            match from {
                End::Head => {
                    let mut offset = chunk.first();
                    while offset < chunk.end() && (limit == 0 || removed < limit) {
                        let (entry, next) = chunk.entry(offset);
                        if entry == item {
                            offset = chunk.remove_at(offset, 1);
                            removed += 1;
                        } else {
                            offset = next;
                        }
                    }
                }
                End::Tail => {
                    let mut at = chunk.last();
                    while let Some(offset) = at {
                        if limit != 0 && removed == limit {
                            break;
                        }
                        let prev = chunk.prev(offset);
                        if chunk.entry(offset).0 == item {
                            chunk.remove_at(offset, 1);
                            removed += 1;
                        }
                        at = prev;
                    }
                }
            }
            let gone = before - chunk.len();
            if chunk.is_empty() {
                emptied.push(c);
            }
            if let List::Quick(quick) = self {
                quick.len -= gone;
            }
        }
        if let List::Quick(quick) = self {
            emptied.sort_unstable();
            for c in emptied.into_iter().rev() {
                quick.chunks.remove(c);
            }
        }
        removed
    }

    /// Position of the first entry equal to `item`.
    pub fn find(&self, item: &[u8]) -> Option<usize> {
        self.iter().position(|entry| entry == item)
    }

    /// Entries from the head.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.iter_from(0)
    }

    /// Entries from position `start` to the tail.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let chunks = self.chunks();
        let (first, skip) = self.locate(start).unwrap_or((chunks.len(), 0));
        chunks[first..]
            .iter()
            .enumerate()
            .flat_map(move |(k, chunk)| {
                if k == 0 {
                    chunk.iter_from(chunk.offset_of(skip as isize).unwrap_or(chunk.end()))
                } else {
                    chunk.iter()
                }
            })
    }

    /// Entries from the tail to the head.
    pub fn iter_rev(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.chunks().iter().rev().flat_map(Pack::iter_rev)
    }
}

/// A chunk holding `item`, with room made for it in `chunks`.
fn new_chunk(chunks: &mut Vec<Pack>, item: &[u8]) -> Result<Pack, AllocError> {
    chunks.try_reserve(1).map_err(|_| AllocError {
        size: (chunks.len() + 1) * size_of::<Pack>(),
    })?;
    let mut chunk = Pack::new();
    chunk.try_push_back(item)?;
    Ok(chunk)
}

impl QuickList {
    /// Splits chunk `c` until every part is within the limit (or holds one entry): a large
    /// entry is cut out into a plain chunk of its own, an oversized chunk is halved.
    fn rebalance(&mut self, c: usize, limit: ListLimit) {
        let chunk = &self.chunks[c];
        if !limit.overflows(chunk) {
            return;
        }
        if let Some(k) = chunk.iter().position(|entry| limit.is_large(entry.len())) {
            // [left | large | right]: each non-empty part becomes a chunk.
            let after = chunk.offset_of(k as isize + 1).unwrap_or(chunk.end());
            let right = self.chunks[c].split_off(after);
            let at = self.chunks[c]
                .offset_of(k as isize)
                .expect("inside the chunk");
            let large = self.chunks[c].split_off(at);
            let mut next = c + 1;
            if self.chunks[c].is_empty() {
                self.chunks[c] = large;
                next = c;
            } else {
                self.chunks.insert(next, large);
            }
            if !right.is_empty() {
                self.chunks.insert(next + 1, right);
                self.rebalance(next + 1, limit);
            }
            self.rebalance(c, limit);
            return;
        }
        let middle = chunk
            .offset_of((chunk.len() / 2) as isize)
            .expect("inside the chunk");
        let right = self.chunks[c].split_off(middle);
        self.chunks.insert(c + 1, right);
        self.rebalance(c + 1, limit);
        self.rebalance(c, limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    fn check(list: &List, model: &VecDeque<Vec<u8>>) {
        assert_eq!(list.len(), model.len());
        let forward: Vec<&[u8]> = list.iter().collect();
        assert_eq!(forward, model.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let backward: Vec<&[u8]> = list.iter_rev().collect();
        assert_eq!(
            backward,
            model.iter().rev().map(Vec::as_slice).collect::<Vec<_>>()
        );
        if let List::Quick(quick) = list {
            assert_eq!(quick.chunks.iter().map(Pack::len).sum::<usize>(), quick.len);
            assert!(quick.chunks.iter().all(|c| !c.is_empty()));
        }
    }

    /// Random operations against a `VecDeque`, with limits small enough that chunks split,
    /// empty and convert both ways.
    #[test]
    fn matches_a_deque_model() {
        let plain = |size, plain_threshold| ListLimit {
            size,
            plain_threshold,
        };
        for limit in [
            ListLimit::new(3),
            ListLimit::new(-1),
            plain(3, 4),
            plain(-1, 500),
        ] {
            let fill = limit.size;
            let mut rng =
                fastrand::Rng::with_seed(fill.unsigned_abs() + limit.plain_threshold as u64);
            let mut list = List::default();
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            for _ in 0..20_000 {
                let item = vec![b'a' + rng.u8(0..4); rng.usize(0..if fill < 0 { 900 } else { 6 })];
                match rng.u8(0..9) {
                    0 => {
                        list.push(End::Head, &item, limit).unwrap();
                        model.push_front(item);
                    }
                    1 | 2 => {
                        list.push(End::Tail, &item, limit).unwrap();
                        model.push_back(item);
                    }
                    3 => {
                        assert_eq!(list.pop(End::Head), model.pop_front());
                        list.shrink(limit);
                    }
                    4 => {
                        assert_eq!(list.pop(End::Tail), model.pop_back());
                        list.shrink(limit);
                    }
                    5 => {
                        let index = rng.usize(0..=model.len());
                        list.insert(index, &item, limit).unwrap();
                        model.insert(index, item);
                    }
                    6 if !model.is_empty() => {
                        let index = rng.usize(0..model.len());
                        list.set(index, &item, limit).unwrap();
                        model[index] = item;
                        assert_eq!(list.get(index), Some(model[index].as_slice()));
                    }
                    7 if !model.is_empty() => {
                        let start = rng.usize(0..model.len());
                        let count = rng.usize(0..4);
                        list.remove_range(start, count);
                        let end = (start + count).min(model.len());
                        model.drain(start..end);
                        list.shrink(limit);
                    }
                    8 => {
                        let from = if rng.bool() { End::Head } else { End::Tail };
                        let max = rng.usize(0..3);
                        let removed = list.remove_matching(&item, from, max);
                        let mut expected = 0;
                        let positions: Vec<usize> = match from {
                            End::Head => (0..model.len()).collect(),
                            End::Tail => (0..model.len()).rev().collect(),
                        };
                        let mut doomed = Vec::new();
                        for i in positions {
                            if (max == 0 || expected < max) && model[i] == item {
                                doomed.push(i);
                                expected += 1;
                            }
                        }
                        doomed.sort_unstable();
                        for i in doomed.into_iter().rev() {
                            model.remove(i);
                        }
                        assert_eq!(removed, expected);
                        list.shrink(limit);
                    }
                    _ => {}
                }
                check(&list, &model);
                if let List::Quick(quick) = &list {
                    // A large entry is always alone in its chunk.
                    assert!(
                        quick
                            .chunks
                            .iter()
                            .all(|c| c.len() == 1 || !limit.overflows(c))
                    );
                }
                if !model.is_empty() {
                    let start = rng.usize(0..model.len());
                    assert_eq!(list.iter_from(start).next(), Some(model[start].as_slice()));
                }
            }
        }
    }
}
