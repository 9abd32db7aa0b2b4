//! The large sorted set: a treap ordered by (score, member) with subtree sizes, in one array of
//! 32-byte nodes, plus a key table from member to node.
//!
//! Redis pairs a skiplist (a 32-to-80-byte node per member, plus the member sds) with a dict
//! (a 24-byte entry and a bucket per member). Here a member costs a 32-byte node holding its
//! score, one block for its bytes and about 20 bytes of index. Subtree sizes give ranks in
//! O(log n); the index's hash order gives `ZSCAN` the same cursor guarantee as `SCAN`.

use std::cmp::Ordering;

use sds::Sds;
use zmalloc::AllocError;

use crate::store::table::{Hashed, KeyTable, hash};

const NIL: u32 = u32::MAX;

/// A member and its score.
#[derive(Clone)]
struct Entry {
    member: Sds,
    score: f64,
}

impl Entry {
    fn try_new(score: f64, member: &[u8]) -> Result<Entry, AllocError> {
        Ok(Entry {
            member: Sds::try_new(member)?,
            score,
        })
    }

    fn score(&self) -> f64 {
        self.score
    }

    fn member(&self) -> &[u8] {
        &self.member
    }
}

#[derive(Clone)]
struct Node {
    entry: Entry,
    left: u32,
    right: u32,
    /// Nodes in this subtree.
    size: u32,
    /// Heap priority: a parent's is at least its children's.
    priority: u32,
}

/// The index's entry: a node and the upper half of its member's hash (the table places it by
/// that half, spread over 64 bits).
#[derive(Clone, Copy)]
struct NodeRef {
    node: u32,
    hash: u32,
}

fn spread(h: u32) -> u64 {
    ((h as u64) << 32) | h as u64
}

fn member_hash(member: &[u8]) -> u32 {
    (hash(member) >> 32) as u32
}

impl Hashed for NodeRef {
    #[inline]
    fn table_hash(&self) -> u64 {
        spread(self.hash)
    }
}

/// Orders (score, member) pairs as Redis's skiplist does: by score (with -0 equal to 0), then
/// by member bytes.
pub fn compare(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    if a_score < b_score {
        Ordering::Less
    } else if a_score > b_score {
        Ordering::Greater
    } else {
        a_member.cmp(b_member)
    }
}

/// A large sorted set.
#[derive(Clone)]
pub struct ZTree {
    nodes: Vec<Node>,
    root: u32,
    index: KeyTable<NodeRef>,
}

impl Default for ZTree {
    fn default() -> Self {
        ZTree {
            nodes: Vec::new(),
            root: NIL,
            index: KeyTable::default(),
        }
    }
}

impl ZTree {
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn size(&self, n: u32) -> u32 {
        if n == NIL {
            0
        } else {
            self.nodes[n as usize].size
        }
    }

    fn update(&mut self, n: u32) {
        let node = &self.nodes[n as usize];
        let size = 1 + self.size(node.left) + self.size(node.right);
        self.nodes[n as usize].size = size;
    }

    fn entry(&self, n: u32) -> &Entry {
        &self.nodes[n as usize].entry
    }

    fn cmp_node(&self, n: u32, score: f64, member: &[u8]) -> Ordering {
        let entry = self.entry(n);
        compare(entry.score(), entry.member(), score, member)
    }

    /// The index slot of `member`.
    fn find_ref(&self, member: &[u8]) -> Option<crate::store::table::Slot> {
        let h = member_hash(member);
        let nodes = &self.nodes;
        self.index.find_by(spread(h), |r: &NodeRef| {
            r.hash == h && nodes[r.node as usize].entry.member() == member
        })
    }

    fn find_node(&self, member: &[u8]) -> Option<u32> {
        self.find_ref(member).map(|slot| self.index.get(slot).node)
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find_node(member).map(|n| self.entry(n).score())
    }

    /// Splits subtree `t` into the nodes ordered before (score, member) and the rest.
    fn split(&mut self, t: u32, score: f64, member: &[u8]) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        if self.cmp_node(t, score, member) == Ordering::Less {
            let right = self.nodes[t as usize].right;
            let (l, r) = self.split(right, score, member);
            self.nodes[t as usize].right = l;
            self.update(t);
            (t, r)
        } else {
            let left = self.nodes[t as usize].left;
            let (l, r) = self.split(left, score, member);
            self.nodes[t as usize].left = r;
            self.update(t);
            (l, t)
        }
    }

    /// Joins two subtrees, every node of `a` ordered before every node of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].priority >= self.nodes[b as usize].priority {
            let right = self.nodes[a as usize].right;
            let merged = self.merge(right, b);
            self.nodes[a as usize].right = merged;
            self.update(a);
            a
        } else {
            let left = self.nodes[b as usize].left;
            let merged = self.merge(a, left);
            self.nodes[b as usize].left = merged;
            self.update(b);
            b
        }
    }

    /// Inserts node `n`, holding (score, member), into subtree `t`; returns the new root.
    fn insert_node(&mut self, t: u32, n: u32, score: f64, member: &[u8]) -> u32 {
        if t == NIL {
            return n;
        }
        if self.nodes[n as usize].priority > self.nodes[t as usize].priority {
            let (l, r) = self.split(t, score, member);
            let node = &mut self.nodes[n as usize];
            node.left = l;
            node.right = r;
            self.update(n);
            return n;
        }
        if self.cmp_node(t, score, member) == Ordering::Greater {
            let left = self.nodes[t as usize].left;
            let child = self.insert_node(left, n, score, member);
            self.nodes[t as usize].left = child;
        } else {
            let right = self.nodes[t as usize].right;
            let child = self.insert_node(right, n, score, member);
            self.nodes[t as usize].right = child;
        }
        self.update(t);
        t
    }

    /// Adds a member known to be absent; fails, changing nothing, when memory runs out.
    pub fn insert(&mut self, score: f64, member: &[u8]) -> Result<(), AllocError> {
        assert!(self.nodes.len() < NIL as usize, "sorted set is full");
        let n = self.nodes.len() as u32;
        if self.nodes.len() == self.nodes.capacity() {
            // Grow by a quarter rather than doubling: less idle room in a large set.
            let more = (self.nodes.len() / 4).max(4);
            self.nodes.try_reserve_exact(more).map_err(|_| AllocError {
                size: (self.nodes.len() + more) * size_of::<Node>(),
            })?;
        }
        let entry = Entry::try_new(score, member)?;
        self.nodes.push(Node {
            entry,
            left: NIL,
            right: NIL,
            size: 1,
            priority: fastrand::u32(..),
        });
        self.root = self.insert_node(self.root, n, score, member);
        self.index.insert(
            spread(member_hash(member)),
            NodeRef {
                node: n,
                hash: member_hash(member),
            },
        );
        Ok(())
    }

    /// Changes a member's score: its node is taken out of the tree and put back at its new
    /// place, so nothing is allocated.
    pub fn set_score(&mut self, member: &[u8], score: f64) {
        let n = self.find_node(member).expect("member present");
        let old = self.entry(n).score();
        self.root = self.remove_node(self.root, old, member);
        let node = &mut self.nodes[n as usize];
        node.entry.score = score;
        node.left = NIL;
        node.right = NIL;
        node.size = 1;
        self.root = self.insert_node(self.root, n, score, member);
    }

    fn remove_node(&mut self, t: u32, score: f64, member: &[u8]) -> u32 {
        match self.cmp_node(t, score, member) {
            Ordering::Equal => {
                let node = &self.nodes[t as usize];
                let (left, right) = (node.left, node.right);
                self.merge(left, right)
            }
            Ordering::Greater => {
                let left = self.nodes[t as usize].left;
                let child = self.remove_node(left, score, member);
                self.nodes[t as usize].left = child;
                self.update(t);
                t
            }
            Ordering::Less => {
                let right = self.nodes[t as usize].right;
                let child = self.remove_node(right, score, member);
                self.nodes[t as usize].right = child;
                self.update(t);
                t
            }
        }
    }

    /// Removes a member; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let slot = self.find_ref(member)?;
        let n = self.index.get(slot).node;
        self.index.remove(slot);
        let score = self.entry(n).score();
        self.root = self.remove_node(self.root, score, member);
        self.release(n);
        Some(score)
    }

    /// Frees node `n`, unlinked from the tree and the index, by moving the last node into it.
    fn release(&mut self, n: u32) {
        let last = self.nodes.len() as u32 - 1;
        self.nodes.swap_remove(n as usize);
        if n != last {
            let (score, member) = {
                let entry = self.entry(n);
                (entry.score(), entry.member().to_vec())
            };
            // Repoint the moved node's parent.
            if self.root == last {
                self.root = n;
            } else {
                let mut t = self.root;
                loop {
                    let node = &mut self.nodes[t as usize];
                    let child =
                        match compare(node.entry.score(), node.entry.member(), score, &member) {
                            Ordering::Greater => &mut node.left,
                            _ => &mut node.right,
                        };
                    if *child == last {
                        *child = n;
                        break;
                    }
                    t = *child;
                }
            }
            let h = member_hash(&member);
            let slot = self
                .index
                .find_by(spread(h), |r: &NodeRef| r.node == last)
                .expect("every node is indexed");
            self.index.get_mut(slot).node = n;
        }
        if self.nodes.capacity() > 64 && self.nodes.len() < self.nodes.capacity() / 4 {
            self.nodes.shrink_to(self.nodes.len() * 2);
        }
    }

    /// How many members, from the lowest, satisfy `pred` (which must hold for a prefix of the
    /// order).
    pub fn count_while(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        let mut count = 0;
        let mut t = self.root;
        while t != NIL {
            let node = &self.nodes[t as usize];
            if pred(node.entry.member(), node.entry.score()) {
                count += self.size(node.left) as usize + 1;
                t = node.right;
            } else {
                t = node.left;
            }
        }
        count
    }

    /// The 0-based rank of a member.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.count_while(|m, s| compare(s, m, score, member) == Ordering::Less))
    }

    /// Members upwards from the first scoring at least `min`: one descent by score, keeping
    /// the ancestors still to visit (a range walk without a rank: half the node visits of
    /// counting the rank, then descending to it).
    pub fn iter_from_score(&self, min: f64) -> RankIter<'_> {
        let mut iter = RankIter {
            tree: self,
            stack: Vec::new(),
            forward: true,
        };
        let mut t = self.root;
        while t != NIL {
            let node = &self.nodes[t as usize];
            if node.entry.score() >= min {
                iter.stack.push(t);
                t = node.left;
            } else {
                t = node.right;
            }
        }
        iter
    }

    /// Members from rank `start`, upwards when `forward`, downwards otherwise.
    pub fn iter_from(&self, start: usize, forward: bool) -> RankIter<'_> {
        let mut iter = RankIter {
            tree: self,
            stack: Vec::new(),
            forward,
        };
        let mut rank = start as u32;
        let mut t = self.root;
        while t != NIL {
            let node = &self.nodes[t as usize];
            let left = self.size(node.left);
            match rank.cmp(&left) {
                Ordering::Less => {
                    if forward {
                        iter.stack.push(t);
                    }
                    t = node.left;
                }
                Ordering::Equal => {
                    iter.stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    if !forward {
                        iter.stack.push(t);
                    }
                    rank -= left + 1;
                    t = node.right;
                }
            }
        }
        iter
    }

    /// A member at random.
    pub fn random(&self, rng: &mut fastrand::Rng) -> Option<(&[u8], f64)> {
        let slot = self.index.random(rng)?;
        let entry = self.entry(self.index.get(slot).node);
        Some((entry.member(), entry.score()))
    }

    /// One `ZSCAN` step over the index.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        self.index.scan_entries(cursor, count, |r| {
            let entry = self.entry(r.node);
            visit(entry.member(), entry.score())
        })
    }

    /// Bytes held; entries averaged over `samples` of them (all when 0).
    pub fn memory(&self, samples: usize) -> usize {
        zmalloc::size_class(size_of::<ZTree>())
            + zmalloc::size_class(self.nodes.capacity() * size_of::<Node>())
            + self.index.memory()
            + super::hash::sampled_total(
                self.nodes.iter().map(|n| n.entry.member.alloc_size()),
                self.len(),
                samples,
            )
    }

    /// Checks the treap's invariants (tests).
    #[cfg(test)]
    fn check(&self) {
        fn walk(tree: &ZTree, t: u32, out: &mut Vec<(f64, Vec<u8>)>) -> u32 {
            if t == NIL {
                return 0;
            }
            let node = &tree.nodes[t as usize];
            for child in [node.left, node.right] {
                if child != NIL {
                    assert!(tree.nodes[child as usize].priority <= node.priority);
                }
            }
            let left = walk(tree, node.left, out);
            out.push((node.entry.score(), node.entry.member().to_vec()));
            let right = walk(tree, node.right, out);
            assert_eq!(node.size, left + right + 1);
            node.size
        }
        let mut order = Vec::new();
        assert_eq!(walk(self, self.root, &mut order) as usize, self.len());
        for pair in order.windows(2) {
            assert_eq!(
                compare(pair[0].0, &pair[0].1, pair[1].0, &pair[1].1),
                Ordering::Less
            );
        }
        assert_eq!(self.index.len(), self.len());
        for (_, member) in &order {
            assert!(self.find_node(member).is_some());
        }
    }
}

/// In-order walk from a rank, with an explicit stack of pending ancestors.
pub struct RankIter<'a> {
    tree: &'a ZTree,
    stack: Vec<u32>,
    forward: bool,
}

impl<'a> RankIter<'a> {
    /// The next entry's score and member block, without reading the member's bytes (a
    /// range scan that tests scores first saves a cache miss per rejected member).
    pub fn next_lazy(&mut self) -> Option<(&'a Sds, f64)> {
        let node = self.next_node()?;
        Some((&node.entry.member, node.entry.score()))
    }

    fn next_node(&mut self) -> Option<&'a Node> {
        let n = self.stack.pop()?;
        let node = &self.tree.nodes[n as usize];
        let mut t = if self.forward { node.right } else { node.left };
        while t != NIL {
            self.stack.push(t);
            let child = &self.tree.nodes[t as usize];
            t = if self.forward {
                child.left
            } else {
                child.right
            };
        }
        Some(node)
    }
}

impl<'a> Iterator for RankIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        let node = self.next_node()?;
        Some((node.entry.member(), node.entry.score()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn matches_a_sorted_model() {
        let mut tree = ZTree::default();
        let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
        let mut rng = fastrand::Rng::with_seed(7);
        for step in 0..4000 {
            let member = format!("m{}", rng.u32(0..500)).into_bytes();
            let score = rng.i32(-50..50) as f64 / 4.0;
            if rng.u8(0..3) == 0 {
                assert_eq!(tree.remove(&member), model.remove(&member));
            } else if let Some(old) = model.insert(member.clone(), score) {
                assert_eq!(tree.score(&member), Some(old));
                tree.set_score(&member, score);
            } else {
                tree.insert(score, &member).unwrap();
            }
            if step % 500 == 0 {
                tree.check();
            }
        }
        tree.check();
        let mut sorted: Vec<(f64, Vec<u8>)> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
        sorted.sort_by(|a, b| compare(a.0, &a.1, b.0, &b.1));
        let walked: Vec<(f64, Vec<u8>)> = tree
            .iter_from(0, true)
            .map(|(m, s)| (s, m.to_vec()))
            .collect();
        assert_eq!(walked, sorted);
        for min in [-13.0, -2.25, 0.0, 0.1, 12.25, 13.0] {
            let from_score: Vec<(f64, Vec<u8>)> = tree
                .iter_from_score(min)
                .map(|(m, s)| (s, m.to_vec()))
                .collect();
            let expected: Vec<(f64, Vec<u8>)> =
                sorted.iter().filter(|(s, _)| *s >= min).cloned().collect();
            assert_eq!(from_score, expected, "from {min}");
        }
        for (rank, (score, member)) in sorted.iter().enumerate() {
            assert_eq!(tree.rank(member), Some(rank));
            assert_eq!(tree.score(member), Some(*score));
            let from: Vec<&[u8]> = tree
                .iter_from(rank, false)
                .map(|(m, _)| m)
                .take(3)
                .collect();
            let expected: Vec<&[u8]> = sorted[..=rank]
                .iter()
                .rev()
                .take(3)
                .map(|(_, m)| &m[..])
                .collect();
            assert_eq!(from, expected);
        }
        let below_zero = tree.count_while(|_, s| s < 0.0);
        assert_eq!(below_zero, sorted.iter().filter(|(s, _)| *s < 0.0).count());
        let mut seen = 0;
        let mut cursor = 0;
        loop {
            cursor = tree.scan(cursor, 10, |_, _| seen += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen, tree.len());
    }
}
