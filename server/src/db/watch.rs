//! WATCH bookkeeping: which clients watch which keys, and which of them a change has made
//! dirty (their next `EXEC` aborts).

use std::collections::HashMap;

/// A watcher a change has touched: the client, and the key when one key changed (a whole
/// database flushed or swapped has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub client: u64,
    pub key: Option<(usize, Box<[u8]>)>,
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
                    key: Some((db, key.into())),
                });
            }
        }
    }

    /// A database is emptied or swapped: watchers of keys for which `existed` says yes become
    /// dirty (Redis's `touchAllWatchedKeysInDb`).
    pub fn touch_db(&mut self, db: usize, existed: impl Fn(&[u8]) -> bool) {
        if let Some(keys) = self.keys.get(&db) {
            for (key, clients) in keys {
                if existed(key) {
                    self.dirty
                        .extend(clients.iter().map(|&client| Touched { client, key: None }));
                }
            }
        }
    }

    /// Keys watched in a database.
    pub fn keys_of(&self, db: usize) -> impl Iterator<Item = &[u8]> {
        self.keys
            .get(&db)
            .into_iter()
            .flat_map(|keys| keys.keys().map(|k| &k[..]))
    }

    /// Watchers touched since the last call.
    pub fn take_dirty(&mut self) -> Vec<Touched> {
        std::mem::take(&mut self.dirty)
    }

    pub fn has_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }
}
