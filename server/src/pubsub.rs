//! Pub/Sub subscriptions: which clients listen to which channels, shard channels and glob
//! patterns, on both sides (the server's channel → subscribers lists, each client's own
//! sets), and the bytes of the messages Redis sends to them.
//!
//! Clients are named by id; the server state delivers to them (`server::pubsub`). Channel
//! subscribers are kept in subscription order, as Redis's lists are, so a channel's messages
//! reach its subscribers in the order they subscribed. A client's patterns are also kept in
//! order: `PUNSUBSCRIBE` without arguments answers for them in that order, as Redis does with
//! its per-client list.

use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};

use crate::protocol::reply::Protocol;

type Hasher = foldhash::fast::RandomState;

/// Global channels and patterns (`SUBSCRIBE`, `PSUBSCRIBE`), or shard channels
/// (`SSUBSCRIBE`), which have no patterns and are counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Shard,
}

impl Scope {
    /// The message type a subscriber receives (`message`, `smessage`).
    pub fn message_kind(self) -> &'static [u8] {
        match self {
            Scope::Global => b"message",
            Scope::Shard => b"smessage",
        }
    }

    pub fn subscribe_kind(self) -> &'static [u8] {
        match self {
            Scope::Global => b"subscribe",
            Scope::Shard => b"ssubscribe",
        }
    }

    pub fn unsubscribe_kind(self) -> &'static [u8] {
        match self {
            Scope::Global => b"unsubscribe",
            Scope::Shard => b"sunsubscribe",
        }
    }
}

/// One client's subscriptions: nothing but a null pointer for a client that subscribes to
/// nothing, so every client stays small and "is it subscribed" is one test on the command
/// path.
#[derive(Debug, Default)]
pub struct Subscriptions {
    /// Present while the client has at least one subscription.
    sets: Option<Box<Sets>>,
}

#[derive(Debug, Default)]
struct Sets {
    channels: IndexSet<Box<[u8]>, Hasher>,
    shard_channels: IndexSet<Box<[u8]>, Hasher>,
    patterns: IndexSet<Box<[u8]>, Hasher>,
}

impl Sets {
    fn channels_mut(&mut self, scope: Scope) -> &mut IndexSet<Box<[u8]>, Hasher> {
        match scope {
            Scope::Global => &mut self.channels,
            Scope::Shard => &mut self.shard_channels,
        }
    }
}

impl Subscriptions {
    fn sets(&mut self) -> &mut Sets {
        self.sets.get_or_insert_with(Box::default)
    }

    /// Drops the sets once they are all empty.
    fn tidy(&mut self) {
        if let Some(sets) = &self.sets
            && sets.channels.is_empty()
            && sets.shard_channels.is_empty()
            && sets.patterns.is_empty()
        {
            self.sets = None;
        }
    }

    fn len(&self, pick: fn(&Sets) -> usize) -> usize {
        self.sets.as_deref().map_or(0, pick)
    }

    pub fn channel_count(&self) -> usize {
        self.len(|s| s.channels.len())
    }

    pub fn pattern_count(&self) -> usize {
        self.len(|s| s.patterns.len())
    }

    pub fn shard_count(&self) -> usize {
        self.len(|s| s.shard_channels.len())
    }

    /// The count a (un)subscribe confirmation carries: channels and patterns for the global
    /// scope, shard channels for the shard scope (Redis's `subscriptionCount`).
    pub fn count(&self, scope: Scope) -> usize {
        match scope {
            Scope::Global => self.channel_count() + self.pattern_count(),
            Scope::Shard => self.shard_count(),
        }
    }

    /// Any subscription at all: the client is in the Pub/Sub context (Redis's
    /// `CLIENT_PUBSUB`).
    #[inline]
    pub fn any(&self) -> bool {
        self.sets.is_some()
    }

    /// Memory of the client's subscription sets (part of the client's `tot-mem`).
    pub fn memory(&self) -> usize {
        let set = |s: &IndexSet<Box<[u8]>, Hasher>| {
            s.capacity() * (size_of::<Box<[u8]>>() + 2 * size_of::<usize>())
                + s.iter().map(|c| c.len()).sum::<usize>()
        };
        self.sets.as_deref().map_or(0, |s| {
            size_of::<Sets>() + set(&s.channels) + set(&s.shard_channels) + set(&s.patterns)
        })
    }
}

/// The server's side: subscribers by channel and by pattern.
#[derive(Debug, Default)]
pub struct PubSub {
    channels: HashMap<Box<[u8]>, Vec<u64>, Hasher>,
    shard_channels: HashMap<Box<[u8]>, Vec<u64>, Hasher>,
    /// Patterns in the order first subscribed, each with its subscribers.
    patterns: IndexMap<Box<[u8]>, Vec<u64>, Hasher>,
}

impl PubSub {
    fn map_mut(&mut self, scope: Scope) -> &mut HashMap<Box<[u8]>, Vec<u64>, Hasher> {
        match scope {
            Scope::Global => &mut self.channels,
            Scope::Shard => &mut self.shard_channels,
        }
    }

    fn map(&self, scope: Scope) -> &HashMap<Box<[u8]>, Vec<u64>, Hasher> {
        match scope {
            Scope::Global => &self.channels,
            Scope::Shard => &self.shard_channels,
        }
    }

    /// Subscribes client `id` to `channel`; returns whether it was not subscribed yet.
    pub fn subscribe(
        &mut self,
        client: &mut Subscriptions,
        id: u64,
        scope: Scope,
        channel: &[u8],
    ) -> bool {
        if !client.sets().channels_mut(scope).insert(channel.into()) {
            return false;
        }
        self.map_mut(scope)
            .entry(channel.into())
            .or_default()
            .push(id);
        true
    }

    /// Unsubscribes client `id` from `channel`; returns whether it was subscribed.
    pub fn unsubscribe(
        &mut self,
        client: &mut Subscriptions,
        id: u64,
        scope: Scope,
        channel: &[u8],
    ) -> bool {
        // Channel order does not matter to Redis either (its per-client set is a dict), and a
        // swap keeps unsubscribing from many channels linear.
        let Some(sets) = client.sets.as_deref_mut() else {
            return false;
        };
        if !sets.channels_mut(scope).swap_remove(channel) {
            return false;
        }
        client.tidy();
        remove_subscriber(self.map_mut(scope), channel, id);
        true
    }

    /// Subscribes client `id` to the glob `pattern`; returns whether it was new to it.
    pub fn psubscribe(&mut self, client: &mut Subscriptions, id: u64, pattern: &[u8]) -> bool {
        if !client.sets().patterns.insert(pattern.into()) {
            return false;
        }
        self.patterns.entry(pattern.into()).or_default().push(id);
        true
    }

    /// Unsubscribes client `id` from `pattern`; returns whether it was subscribed.
    pub fn punsubscribe(&mut self, client: &mut Subscriptions, id: u64, pattern: &[u8]) -> bool {
        let Some(sets) = client.sets.as_deref_mut() else {
            return false;
        };
        if !sets.patterns.shift_remove(pattern) {
            return false;
        }
        client.tidy();
        self.remove_pattern_subscriber(pattern, id);
        true
    }

    /// Unsubscribes client `id` from every channel of `scope`; returns them in the order
    /// their confirmations go out.
    pub fn unsubscribe_all(
        &mut self,
        client: &mut Subscriptions,
        id: u64,
        scope: Scope,
    ) -> Vec<Box<[u8]>> {
        let Some(sets) = client.sets.as_deref_mut() else {
            return Vec::new();
        };
        let channels: Vec<Box<[u8]>> = std::mem::take(sets.channels_mut(scope))
            .into_iter()
            .collect();
        client.tidy();
        for channel in &channels {
            remove_subscriber(self.map_mut(scope), channel, id);
        }
        channels
    }

    /// Unsubscribes client `id` from every pattern; returns them in subscription order.
    pub fn punsubscribe_all(&mut self, client: &mut Subscriptions, id: u64) -> Vec<Box<[u8]>> {
        let Some(sets) = client.sets.as_deref_mut() else {
            return Vec::new();
        };
        let patterns: Vec<Box<[u8]>> = std::mem::take(&mut sets.patterns).into_iter().collect();
        client.tidy();
        for pattern in &patterns {
            self.remove_pattern_subscriber(pattern, id);
        }
        patterns
    }

    /// Drops every subscription of a client that leaves (no confirmations are sent).
    pub fn forget(&mut self, client: &mut Subscriptions, id: u64) {
        for scope in [Scope::Global, Scope::Shard] {
            self.unsubscribe_all(client, id, scope);
        }
        self.punsubscribe_all(client, id);
    }

    fn remove_pattern_subscriber(&mut self, pattern: &[u8], id: u64) {
        if let Some(subscribers) = self.patterns.get_mut(pattern) {
            subscribers.retain(|&s| s != id);
            if subscribers.is_empty() {
                // Order among patterns is not kept for delivery (Redis's is a dict's), and a
                // swap keeps a client with many patterns quick to leave.
                self.patterns.swap_remove(pattern);
                if self.patterns.len() < self.patterns.capacity() / SPARSE {
                    self.patterns.shrink_to_fit();
                }
            }
        }
    }

    /// The subscribers of `channel`, in subscription order.
    pub fn subscribers(&self, scope: Scope, channel: &[u8]) -> &[u64] {
        self.map(scope).get(channel).map_or(&[], Vec::as_slice)
    }

    /// The patterns matching `channel`, each with its subscribers.
    pub fn matching_patterns<'a>(
        &'a self,
        channel: &'a [u8],
    ) -> impl Iterator<Item = (&'a [u8], &'a [u64])> + 'a {
        self.patterns
            .iter()
            .filter(move |(pattern, _)| crate::util::glob_match(pattern, channel, false))
            .map(|(pattern, ids)| (&pattern[..], ids.as_slice()))
    }

    /// Whether any pattern is subscribed (publishing then has to match them).
    pub fn has_patterns(&self) -> bool {
        !self.patterns.is_empty()
    }

    /// Channels with at least one subscriber, matching `pattern` if given (`PUBSUB CHANNELS`).
    pub fn active_channels(&self, scope: Scope, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        self.map(scope)
            .keys()
            .filter(|c| pattern.is_none_or(|p| crate::util::glob_match(p, c, false)))
            .map(|c| &c[..])
            .collect()
    }

    /// Channels (global scope) or shard channels with a subscriber (`pubsub_channels`,
    /// `pubsubshard_channels`).
    pub fn channel_count(&self, scope: Scope) -> usize {
        self.map(scope).len()
    }

    /// Patterns with a subscriber (`pubsub_patterns`, `PUBSUB NUMPAT`).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }
}

/// Takes client `id` off `channel`'s subscribers, and the channel off the map once nobody
/// listens.
fn remove_subscriber(map: &mut HashMap<Box<[u8]>, Vec<u64>, Hasher>, channel: &[u8], id: u64) {
    if let Some(subscribers) = map.get_mut(channel) {
        subscribers.retain(|&s| s != id);
        if subscribers.is_empty() {
            map.remove(channel);
            if map.len() < map.capacity() / SPARSE {
                map.shrink_to_fit();
            }
        } else if subscribers.len() < subscribers.capacity() / SPARSE {
            subscribers.shrink_to_fit();
        }
    }
}

/// A table or list less than 1/8 full gives its memory back, so the server returns to its
/// size once many subscribers leave (Redis's dicts shrink the same way).
const SPARSE: usize = 8;

/// Appends one push message (`message`, `pmessage`, a subscription confirmation) in the
/// subscriber's protocol: an array in RESP2, a push in RESP3. `None` parts are nulls (an
/// unsubscription confirmation when nothing was subscribed).
pub fn encode(protocol: Protocol, parts: &[Part], out: &mut Vec<u8>) {
    out.push(match protocol {
        Protocol::Resp2 => b'*',
        Protocol::Resp3 => b'>',
    });
    out.extend_from_slice(itoa::Buffer::new().format(parts.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for part in parts {
        match part {
            Part::Bulk(bytes) => {
                out.push(b'$');
                out.extend_from_slice(itoa::Buffer::new().format(bytes.len()).as_bytes());
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(bytes);
                out.extend_from_slice(b"\r\n");
            }
            Part::Int(n) => {
                out.push(b':');
                out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Part::Null => out.extend_from_slice(match protocol {
                Protocol::Resp2 => b"$-1\r\n",
                Protocol::Resp3 => b"_\r\n",
            }),
        }
    }
}

/// One element of a push message.
#[derive(Debug, Clone, Copy)]
pub enum Part<'a> {
    Bulk(&'a [u8]),
    Int(i64),
    Null,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_are_kept_in_subscription_order_and_dropped_when_gone() {
        let mut server = PubSub::default();
        let (mut a, mut b) = (Subscriptions::default(), Subscriptions::default());
        assert!(server.subscribe(&mut b, 2, Scope::Global, b"news"));
        assert!(server.subscribe(&mut a, 1, Scope::Global, b"news"));
        assert!(!server.subscribe(&mut a, 1, Scope::Global, b"news"));
        assert_eq!(server.subscribers(Scope::Global, b"news"), &[2, 1]);
        assert_eq!(server.subscribers(Scope::Shard, b"news"), &[] as &[u64]);
        assert_eq!(a.count(Scope::Global), 1);
        assert!(server.unsubscribe(&mut b, 2, Scope::Global, b"news"));
        assert!(!server.unsubscribe(&mut b, 2, Scope::Global, b"news"));
        assert_eq!(server.subscribers(Scope::Global, b"news"), &[1]);
        server.forget(&mut a, 1);
        assert_eq!(server.channel_count(Scope::Global), 0);
        assert!(!a.any());
    }

    #[test]
    fn patterns_match_with_the_glob_matcher_and_keep_their_order() {
        let mut server = PubSub::default();
        let mut a = Subscriptions::default();
        assert!(server.psubscribe(&mut a, 1, b"n*"));
        assert!(server.psubscribe(&mut a, 1, b"x?"));
        assert!(server.psubscribe(&mut a, 1, b"ne[wx]s"));
        let matched: Vec<&[u8]> = server.matching_patterns(b"news").map(|(p, _)| p).collect();
        assert_eq!(matched, vec![&b"n*"[..], &b"ne[wx]s"[..]]);
        assert!(server.punsubscribe(&mut a, 1, b"x?"));
        assert_eq!(a.count(Scope::Global), 2);
        assert_eq!(a.count(Scope::Shard), 0);
        assert_eq!(server.pattern_count(), 2);
        let left: Vec<Box<[u8]>> = vec![b"n*".to_vec().into(), b"ne[wx]s".to_vec().into()];
        assert_eq!(server.punsubscribe_all(&mut a, 1), left);
        assert_eq!(server.pattern_count(), 0);
    }

    #[test]
    fn messages_are_arrays_in_resp2_and_pushes_in_resp3() {
        let mut out = Vec::new();
        let parts = [Part::Bulk(b"message"), Part::Bulk(b"ch"), Part::Bulk(b"hi")];
        encode(Protocol::Resp2, &parts, &mut out);
        assert_eq!(out, b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        out.clear();
        encode(
            Protocol::Resp3,
            &[Part::Bulk(b"unsubscribe"), Part::Null, Part::Int(0)],
            &mut out,
        );
        assert_eq!(out, b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
    }
}
