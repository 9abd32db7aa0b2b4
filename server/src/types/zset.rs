//! Sorted sets: member/score pairs in one pack, ordered by (score, member), while small; a
//! [`ZTree`] past `zset-max-listpack-entries` or `zset-max-listpack-value`.
//!
//! Every range command works on ranks: it counts the members before its bounds with
//! [`ZSet::count_while`] and walks from a rank, so both encodings share one implementation.

use std::cmp::Ordering;

use zmalloc::AllocError;

use super::pack::Pack;
use super::ztree::ZTree;
pub use super::ztree::compare;

/// Conversion thresholds from the config.
#[derive(Debug, Clone, Copy)]
pub struct ZSetLimits {
    pub entries: usize,
    pub value: usize,
}

/// A sorted set value.
#[derive(Clone)]
pub enum ZSet {
    /// `[member][score as 8 bytes]` pairs in order.
    Pack(Pack),
    Tree(Box<ZTree>),
}

/// A packed score: 8 bytes hold an `f64`; fewer hold a whole number as a little-endian
/// signed integer of that many bytes (a listpack also stores integral scores compactly).
fn pack_score(bytes: &[u8]) -> f64 {
    if bytes.len() == 8 {
        return f64::from_le_bytes(bytes.try_into().expect("8 bytes"));
    }
    let mut wide = [0u8; 8];
    wide[..bytes.len()].copy_from_slice(bytes);
    let shift = 64 - 8 * bytes.len() as u32;
    ((i64::from_le_bytes(wide) << shift) >> shift) as f64
}

/// Encodes a score for a pack: whole numbers below 2^55 in as few bytes as their two's
/// complement needs, anything else as 8 bytes of `f64`. Zero has one form, so -0 becomes 0,
/// as in a listpack.
fn packed(score: f64) -> ([u8; 8], usize) {
    const LIMIT: f64 = (1u64 << 55) as f64;
    if score.fract() == 0.0 && score.abs() < LIMIT {
        let v = score as i64;
        let bytes = v.to_le_bytes();
        // The shortest length whose sign extension gives `v` back.
        let len = (1..8)
            .find(|&n| {
                let shift = 64 - 8 * n as u32;
                (v << shift) >> shift == v
            })
            .unwrap_or(7);
        return (bytes, len);
    }
    (score.to_le_bytes(), 8)
}

impl ZSet {
    /// An empty sorted set for `size_hint` members whose longest is `max_len` bytes (Redis's
    /// `zsetTypeCreate`).
    pub fn for_members(size_hint: usize, max_len: usize, limits: ZSetLimits) -> ZSet {
        if size_hint <= limits.entries && max_len <= limits.value {
            ZSet::Pack(Pack::new())
        } else {
            ZSet::Tree(Box::default())
        }
    }

    /// A sorted set holding `members` (distinct), encoded as their count and length allow.
    pub fn from_members(members: &[(Vec<u8>, f64)], limits: ZSetLimits) -> ZSet {
        let max_len = members.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        let mut zset = ZSet::for_members(members.len(), max_len, limits);
        if let ZSet::Pack(pack) = &mut zset {
            let mut sorted: Vec<&(Vec<u8>, f64)> = members.iter().collect();
            sorted.sort_by(|a, b| compare(a.1, &a.0, b.1, &b.0));
            for (member, score) in sorted {
                let (bytes, len) = packed(*score);
                pack.push_back(member);
                pack.push_back(&bytes[..len]);
            }
        } else {
            for (member, score) in members {
                zset.insert(member, *score, limits)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        zset
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Pack(pack) => pack.len() / 2,
            ZSet::Tree(tree) => tree.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Pack(_) => "listpack",
            ZSet::Tree(_) => "skiplist",
        }
    }

    /// Offset of `member`'s entry in a pack.
    fn pack_find(pack: &Pack, member: &[u8]) -> Option<usize> {
        let mut offset = pack.first();
        while offset < pack.end() {
            let (m, score_at) = pack.entry(offset);
            if m == member {
                return Some(offset);
            }
            offset = pack.entry(score_at).1;
        }
        None
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Pack(pack) => {
                let offset = Self::pack_find(pack, member)?;
                let score_at = pack.entry(offset).1;
                Some(pack_score(pack.entry(score_at).0))
            }
            ZSet::Tree(tree) => tree.score(member),
        }
    }

    /// Adds a member known to be absent; fails, changing nothing, when memory runs out.
    pub fn insert(
        &mut self,
        member: &[u8],
        score: f64,
        limits: ZSetLimits,
    ) -> Result<(), AllocError> {
        if matches!(self, ZSet::Pack(_)) && member.len() > limits.value {
            self.convert();
        }
        match self {
            ZSet::Pack(pack) => {
                let offset = Self::pack_position(pack, member, score);
                let (bytes, len) = packed(score);
                pack.try_insert_at(offset, &bytes[..len])?;
                if let Err(error) = pack.try_insert_at(offset, member) {
                    pack.remove_at(offset, 1);
                    return Err(error);
                }
                if pack.len() / 2 > limits.entries {
                    self.convert();
                }
                Ok(())
            }
            ZSet::Tree(tree) => tree.insert(score, member),
        }
    }

    /// Where (member, score) goes in a pack's order.
    fn pack_position(pack: &Pack, member: &[u8], score: f64) -> usize {
        let mut offset = pack.first();
        while offset < pack.end() {
            let (m, score_at) = pack.entry(offset);
            let (s, next) = pack.entry(score_at);
            if compare(pack_score(s), m, score, member) == Ordering::Greater {
                break;
            }
            offset = next;
        }
        offset
    }

    /// Removes a member; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Pack(pack) => {
                let offset = Self::pack_find(pack, member)?;
                let score_at = pack.entry(offset).1;
                let score = pack_score(pack.entry(score_at).0);
                pack.remove_at(offset, 2);
                Some(score)
            }
            ZSet::Tree(tree) => tree.remove(member),
        }
    }

    /// Changes an existing member's score; in a pack the new entries are added before the old
    /// ones go, so running out of memory changes nothing.
    pub fn update(&mut self, member: &[u8], score: f64) -> Result<(), AllocError> {
        match self {
            ZSet::Pack(pack) => {
                let old = Self::pack_find(pack, member).expect("member present");
                let at = Self::pack_position(pack, member, score);
                let (bytes, len) = packed(score);
                pack.try_insert_at(at, &bytes[..len])?;
                if let Err(error) = pack.try_insert_at(at, member) {
                    pack.remove_at(at, 1);
                    return Err(error);
                }
                // The old pair moved back if the new one went in front of it.
                let old = if at <= old {
                    let (_, score_at) = pack.entry(at);
                    let after_new = pack.entry(score_at).1;
                    old + (after_new - at)
                } else {
                    old
                };
                pack.remove_at(old, 2);
                Ok(())
            }
            ZSet::Tree(tree) => {
                tree.set_score(member, score);
                Ok(())
            }
        }
    }

    fn convert(&mut self) {
        let ZSet::Pack(pack) = self else {
            return;
        };
        let mut tree = ZTree::default();
        let mut entries = pack.iter();
        while let (Some(member), Some(score)) = (entries.next(), entries.next()) {
            tree.insert(pack_score(score), member)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        *self = ZSet::Tree(Box::new(tree));
    }

    /// How many members, from the lowest, satisfy `pred` (true on a prefix of the order).
    pub fn count_while(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        match self {
            ZSet::Pack(_) => self
                .iter_from(0, true)
                .take_while(|(m, s)| pred(m, *s))
                .count(),
            ZSet::Tree(tree) => tree.count_while(pred),
        }
    }

    /// The 0-based rank of a member, from the lowest.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZSet::Pack(_) => self.iter_from(0, true).position(|(m, _)| m == member),
            ZSet::Tree(tree) => tree.rank(member),
        }
    }

    /// Members with their scores from rank `start` (counted from the lowest), upwards when
    /// `forward`, downwards otherwise.
    pub fn iter_from(
        &self,
        start: usize,
        forward: bool,
    ) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match self {
            ZSet::Pack(pack) => {
                let mut at = pack.offset_of(2 * start as isize);
                Box::new(std::iter::from_fn(move || {
                    let offset = at?;
                    let (member, score_at) = pack.entry(offset);
                    let (score, next) = pack.entry(score_at);
                    at = if forward {
                        (next < pack.end()).then_some(next)
                    } else {
                        pack.prev(offset).and_then(|o| pack.prev(o))
                    };
                    Some((member, pack_score(score)))
                }))
            }
            ZSet::Tree(tree) => Box::new(tree.iter_from(start, forward)),
        }
    }

    /// Scores upwards from the first at least `min`, each with its member still to be read:
    /// `visit` gets the score and a way to the member's bytes, and returns whether to go on.
    /// Range scans that test the score first (geo searches) read only the members they keep.
    pub fn scan_from_score<'a>(
        &'a self,
        min: f64,
        mut visit: impl FnMut(f64, &dyn Fn() -> &'a [u8]) -> bool,
    ) {
        match self {
            ZSet::Pack(_) => {
                for (member, score) in self.iter_from(0, true).skip_while(|(_, s)| *s < min) {
                    if !visit(score, &|| member) {
                        return;
                    }
                }
            }
            ZSet::Tree(tree) => {
                let mut entries = tree.iter_from_score(min);
                while let Some((member, score)) = entries.next_lazy() {
                    if !visit(score, &|| member.as_bytes()) {
                        return;
                    }
                }
            }
        }
    }

    /// The member at rank `rank`.
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        if rank >= self.len() {
            return None;
        }
        self.iter_from(rank, true).next()
    }

    /// Removes `count` members from rank `start` on.
    pub fn remove_ranks(&mut self, start: usize, count: usize) {
        match self {
            ZSet::Pack(pack) => {
                if let Some(offset) = pack.offset_of(2 * start as isize) {
                    pack.remove_at(offset, 2 * count);
                }
            }
            ZSet::Tree(tree) => {
                let doomed: Vec<Vec<u8>> = tree
                    .iter_from(start, true)
                    .take(count)
                    .map(|(m, _)| m.to_vec())
                    .collect();
                for member in doomed {
                    tree.remove(&member);
                }
            }
        }
    }

    /// A member at random.
    pub fn random(&self, rng: &mut fastrand::Rng) -> Option<(&[u8], f64)> {
        match self {
            ZSet::Pack(_) => self.get(rng.usize(0..self.len().max(1))),
            ZSet::Tree(tree) => tree.random(rng),
        }
    }

    /// One `ZSCAN` step: a pack is returned whole with cursor 0.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSet::Pack(_) => {
                for (member, score) in self.iter_from(0, true) {
                    visit(member, score);
                }
                0
            }
            ZSet::Tree(tree) => tree.scan(cursor, count, visit),
        }
    }

    pub fn effort(&self) -> usize {
        match self {
            ZSet::Pack(_) => 1,
            ZSet::Tree(tree) => tree.len(),
        }
    }

    pub fn memory(&self, samples: usize) -> usize {
        match self {
            ZSet::Pack(pack) => pack.alloc_size(),
            ZSet::Tree(tree) => tree.memory(samples),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ZSetLimits = ZSetLimits {
        entries: 3,
        value: 8,
    };

    fn members(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter_from(0, true).map(|(m, s)| (m.to_vec(), s)).collect()
    }

    #[test]
    fn both_encodings_order_by_score_then_member() {
        let mut z = ZSet::for_members(1, 1, LIMITS);
        z.insert(b"b", 1.0, LIMITS).unwrap();
        z.insert(b"a", 1.0, LIMITS).unwrap();
        z.insert(b"c", -2.5, LIMITS).unwrap();
        assert_eq!(z.encoding(), "listpack");
        let packed = members(&z);
        assert_eq!(
            packed,
            vec![
                (b"c".to_vec(), -2.5),
                (b"a".to_vec(), 1.0),
                (b"b".to_vec(), 1.0)
            ]
        );
        assert_eq!(z.rank(b"b"), Some(2));
        assert_eq!(z.count_while(|_, s| s < 1.0), 1);
        let back: Vec<&[u8]> = z.iter_from(2, false).map(|(m, _)| m).collect();
        assert_eq!(back, vec![&b"b"[..], b"a", b"c"]);
        z.insert(b"d", 0.0, LIMITS).unwrap();
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.rank(b"b"), Some(3));
        z.update(b"c", 9.0).unwrap();
        assert_eq!(z.get(3), Some((&b"c"[..], 9.0)));
        z.remove_ranks(0, 2);
        assert_eq!(
            members(&z),
            vec![(b"b".to_vec(), 1.0), (b"c".to_vec(), 9.0)]
        );
        assert_eq!(z.remove(b"b"), Some(1.0));
        assert_eq!(z.len(), 1);
    }

    #[test]
    fn packed_scores_round_trip() {
        for score in [
            0.0,
            1.0,
            -1.0,
            127.0,
            128.0,
            -129.0,
            1e15,
            -(2f64.powi(55)) + 1.0,
            2f64.powi(55),
            0.5,
            -2.25,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            f64::MIN_POSITIVE / 4.0,
        ] {
            let (bytes, len) = packed(score);
            assert_eq!(pack_score(&bytes[..len]), score, "{score}");
        }
        assert_eq!(packed(5.0).1, 1);
        assert_eq!(packed(300.0).1, 2);
        assert_eq!(packed(0.5).1, 8);
    }

    #[test]
    fn a_pack_stores_negative_zero_as_zero() {
        let mut z = ZSet::for_members(1, 1, LIMITS);
        z.insert(b"m", -0.0, LIMITS).unwrap();
        assert!(z.score(b"m").unwrap().is_sign_positive());
        let long = ZSet::from_members(&[(b"long-member".to_vec(), -0.0)], LIMITS);
        assert_eq!(long.encoding(), "skiplist");
        assert!(long.score(b"long-member").unwrap().is_sign_negative());
    }
}
