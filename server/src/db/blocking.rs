//! Which clients wait on which keys (`BLPOP` and friends), in arrival order, and which of those
//! keys changed since they were last served (Redis's `blocking_keys` and `ready_keys`).

use std::collections::{HashMap, HashSet, VecDeque};

type DbKey = (usize, Box<[u8]>);

#[derive(Default)]
pub struct Blocking {
    waiting: HashMap<DbKey, VecDeque<u64>, foldhash::fast::RandomState>,
    ready: VecDeque<DbKey>,
    ready_set: HashSet<DbKey, foldhash::fast::RandomState>,
    /// Clients blocked on keys.
    pub clients: usize,
}

impl Blocking {
    /// Queues `client` behind the clients already waiting on `key`.
    pub fn wait(&mut self, db: usize, key: &[u8], client: u64) {
        self.waiting
            .entry((db, key.into()))
            .or_default()
            .push_back(client);
    }

    /// Removes `client` from `key`'s queue.
    pub fn stop_waiting(&mut self, db: usize, key: &[u8], client: u64) {
        let id = (db, Box::<[u8]>::from(key));
        if let Some(queue) = self.waiting.get_mut(&id) {
            queue.retain(|c| *c != client);
            if queue.is_empty() {
                self.waiting.remove(&id);
            }
        }
    }

    /// Marks `key` ready if anyone waits on it (called for every change to a key).
    #[inline]
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.waiting.is_empty() {
            return;
        }
        let id = (db, Box::<[u8]>::from(key));
        if self.waiting.contains_key(&id) && !self.ready_set.contains(&id) {
            self.ready_set.insert(id.clone());
            self.ready.push_back(id);
        }
    }

    /// Marks every waited-on key of database `db` ready (`SWAPDB` changed them all).
    pub fn signal_db(&mut self, db: usize) {
        let keys: Vec<Box<[u8]>> = self
            .waiting
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect();
        for key in keys {
            self.signal(db, &key);
        }
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The next ready key, oldest first.
    pub fn next_ready(&mut self) -> Option<(usize, Box<[u8]>)> {
        let id = self.ready.pop_front()?;
        self.ready_set.remove(&id);
        Some(id)
    }

    /// Clients waiting on `key`, first come first.
    pub fn waiters(&self, db: usize, key: &[u8]) -> Vec<u64> {
        self.waiting
            .get(&(db, Box::<[u8]>::from(key)))
            .map(|queue| queue.iter().copied().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_keys_are_signalled_once_and_in_order() {
        let mut blocking = Blocking::default();
        blocking.signal(0, b"k");
        assert!(!blocking.has_ready(), "nobody waits on k");
        blocking.wait(0, b"k", 1);
        blocking.wait(0, b"k", 2);
        blocking.wait(0, b"j", 2);
        blocking.signal(0, b"j");
        blocking.signal(0, b"k");
        blocking.signal(0, b"j");
        assert_eq!(blocking.next_ready(), Some((0, b"j"[..].into())));
        assert_eq!(blocking.next_ready(), Some((0, b"k"[..].into())));
        assert_eq!(blocking.next_ready(), None);
        assert_eq!(blocking.waiters(0, b"k"), vec![1, 2]);
        blocking.stop_waiting(0, b"k", 1);
        assert_eq!(blocking.waiters(0, b"k"), vec![2]);
        blocking.stop_waiting(0, b"k", 2);
        blocking.signal(0, b"k");
        assert!(!blocking.has_ready());
    }
}
