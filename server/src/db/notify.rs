//! Keyspace notifications waiting to be published.
//!
//! The keyspace knows nothing of channels or subscribers, so a change that Redis announces
//! (`notifyKeyspaceEvent`) is recorded here, with its class, event name, database and key,
//! and the server publishes what is pending after each command and after the cron's expiry
//! and eviction work, in the order the events happened. Nothing is recorded for a class that
//! `notify-keyspace-events` leaves off, so a server without notifications pays one test per
//! event.

use crate::config::notify::{KEYEVENT, KEYSPACE};

/// One event to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    /// Its class (`config::notify`).
    pub class: u32,
    /// Redis's event name (`set`, `expired`, `lpush`…).
    pub event: &'static str,
    pub db: usize,
    pub key: Box<[u8]>,
}

/// The enabled classes and the events not yet published.
#[derive(Debug, Default)]
pub struct Notifications {
    /// `notify-keyspace-events`, copied from the configuration.
    flags: u32,
    pending: Vec<KeyEvent>,
}

impl Notifications {
    /// Takes the classes to record from `notify-keyspace-events`.
    pub fn set_flags(&mut self, flags: u32) {
        self.flags = flags;
    }

    /// Stops recording until [`Self::set_flags`] gives back the flags returned (loading a
    /// dataset announces nothing).
    pub fn suspend(&mut self) -> u32 {
        std::mem::take(&mut self.flags)
    }

    /// Whether events of `class` are published: the class is on, and a channel family is.
    #[inline]
    pub fn wants(&self, class: u32) -> bool {
        self.flags & class != 0 && self.flags & (KEYSPACE | KEYEVENT) != 0
    }

    /// The channel families enabled (`KEYSPACE`, `KEYEVENT` bits).
    pub fn channels(&self) -> u32 {
        self.flags & (KEYSPACE | KEYEVENT)
    }

    /// Records an event if its class is enabled.
    #[inline]
    pub fn push(&mut self, class: u32, event: &'static str, db: usize, key: &[u8]) {
        if self.wants(class) {
            self.pending.push(KeyEvent {
                class,
                event,
                db,
                key: key.into(),
            });
        }
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The pending events, oldest first; the queue is left empty.
    pub fn take(&mut self) -> Vec<KeyEvent> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::notify::{GENERIC, STRING, parse};

    #[test]
    fn only_enabled_classes_with_a_channel_family_are_recorded() {
        let mut n = Notifications::default();
        n.push(GENERIC, "del", 0, b"k");
        assert!(!n.has_pending());
        // A class without K or E publishes nothing, as in Redis.
        n.set_flags(parse(b"g").unwrap());
        n.push(GENERIC, "del", 0, b"k");
        assert!(!n.has_pending());
        n.set_flags(parse(b"gK").unwrap());
        n.push(STRING, "set", 0, b"k");
        n.push(GENERIC, "del", 1, b"k");
        let events = n.take();
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].event, events[0].db), ("del", 1));
        assert!(!n.has_pending());
    }
}
