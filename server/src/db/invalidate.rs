//! Keys whose cached copies client-side caching must invalidate, waiting to be delivered.
//!
//! The keyspace knows nothing of clients, so while some client tracks keys (`CLIENT
//! TRACKING`), every change to a key (a write, an expiry, an eviction) and every flush is
//! recorded here in order, and the server looks the keys up in its tracking table and sends
//! the invalidation messages after the command or the cron's expiry and eviction work. While
//! nobody tracks, nothing is recorded: a change costs one test.

/// One change to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidated {
    /// A key changed; `by_command` says the running command changed it (a write), rather
    /// than expiry, which Redis attributes to no client (NOLOOP in broadcast mode).
    Key { key: Box<[u8]>, by_command: bool },
    /// A database was emptied: every tracking client drops its whole cache.
    Flush,
}

/// Whether changes are recorded, and those not yet delivered.
#[derive(Debug, Default)]
pub struct Invalidations {
    active: bool,
    pending: Vec<Invalidated>,
}

impl Invalidations {
    /// Starts or stops recording (some client tracks keys, or none does any more).
    pub fn set_active(&mut self, active: bool) {
        self.active = active;
        if !active {
            self.pending = Vec::new();
        }
    }

    #[inline]
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Records a changed key while tracking is in use.
    #[inline]
    pub fn key(&mut self, key: &[u8], by_command: bool) {
        if self.active {
            self.pending.push(Invalidated::Key {
                key: key.into(),
                by_command,
            });
        }
    }

    /// Marks the change just recorded as made on no client's behalf: eviction deletes through
    /// the ordinary path, but Redis attributes its deletions to no client.
    pub fn last_by_nobody(&mut self) {
        if let Some(Invalidated::Key { by_command, .. }) = self.pending.last_mut() {
            *by_command = false;
        }
    }

    /// Records a flush while tracking is in use; a flush of several databases at once
    /// (`FLUSHALL`) is one.
    pub fn flush(&mut self) {
        if self.active && self.pending.last() != Some(&Invalidated::Flush) {
            self.pending.push(Invalidated::Flush);
        }
    }

    #[inline]
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The pending changes, oldest first; the queue is left empty.
    pub fn take(&mut self) -> Vec<Invalidated> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_only_while_active_and_merges_adjacent_flushes() {
        let mut queue = Invalidations::default();
        queue.key(b"a", true);
        queue.flush();
        assert!(!queue.has_pending());
        queue.set_active(true);
        queue.key(b"a", true);
        queue.flush();
        queue.flush();
        queue.key(b"b", true);
        queue.last_by_nobody();
        assert_eq!(
            queue.take(),
            vec![
                Invalidated::Key {
                    key: b"a"[..].into(),
                    by_command: true
                },
                Invalidated::Flush,
                Invalidated::Key {
                    key: b"b"[..].into(),
                    by_command: false
                },
            ]
        );
        assert!(!queue.has_pending());
        queue.key(b"c", true);
        queue.set_active(false);
        assert!(!queue.has_pending());
    }
}
