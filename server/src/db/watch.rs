//! WATCH bookkeeping: which clients watch which keys, and which of them a change has made
//! dirty (their next `EXEC` aborts).

use std::collections::HashMap;

/// How a watched key was touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The key itself was written, deleted or expired.
    Key,
    /// Its database was emptied (`FLUSHDB`) or swapped (`SWAPDB`): whether the key was stored
    /// in the database emptied, and whether it is in the one that replaces it, and expired
    /// there (`None`: no replacement, or the key is not in it).
    Db {
        existed: bool,
        replaced_expired: Option<bool>,
    },
}

/// A watcher a change has touched: the client, the watched key, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub client: u64,
    pub db: usize,
    pub key: Box<[u8]>,
    pub change: Change,
}

/// Watched keys per database, and the clients a change has touched.
#[derive(Default)]
pub struct Watches {
    keys: HashMap<usize, HashMap<Box<[u8]>, Vec<u64>>>,
    /// Watchers touched since the dispatcher last collected them.
    dirty: Vec<Touched>,
}

impl Watches {
    pub fn watch(&mut self, db: usize, key: &[u8], client: u64) {
        let clients = self
            .keys
            .entry(db)
            .or_default()
            .entry(key.into())
            .or_default();
        if !clients.contains(&client) {
            clients.push(client);
        }
    }

    pub fn unwatch(&mut self, db: usize, key: &[u8], client: u64) {
        let Some(keys) = self.keys.get_mut(&db) else {
            return;
        };
        if let Some(clients) = keys.get_mut(key) {
            clients.retain(|&c| c != client);
            if clients.is_empty() {
                keys.remove(key);
            }
        }
        if keys.is_empty() {
            self.keys.remove(&db);
        }
    }

    /// A key changed: its watchers become dirty.
    #[inline]
    pub fn touch(&mut self, db: usize, key: &[u8]) {
        if self.keys.is_empty() {
            return;
        }
        if let Some(clients) = self.keys.get(&db).and_then(|keys| keys.get(key)) {
            for &client in clients {
                self.dirty.push(Touched {
                    client,
                    db,
                    key: key.into(),
                    change: Change::Key,
                });
            }
        }
    }

    /// A database is emptied or swapped (Redis's `touchAllWatchedKeysInDb`): every watched key
    /// stored in it or in its replacement is touched; `state` tells, per key, whether it was
    /// stored in the emptied database and whether it is in the replacement, expired or not.
    pub fn touch_db(&mut self, db: usize, state: impl Fn(&[u8]) -> (bool, Option<bool>)) {
        if let Some(keys) = self.keys.get(&db) {
            for (key, clients) in keys {
                let (existed, replaced_expired) = state(key);
                if existed || replaced_expired.is_some() {
                    self.dirty.extend(clients.iter().map(|&client| Touched {
                        client,
                        db,
                        key: key.clone(),
                        change: Change::Db {
                            existed,
                            replaced_expired,
                        },
                    }));
                }
            }
        }
    }

    /// Watchers touched since the last call.
    pub fn take_dirty(&mut self) -> Vec<Touched> {
        std::mem::take(&mut self.dirty)
    }

    pub fn has_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }
}
