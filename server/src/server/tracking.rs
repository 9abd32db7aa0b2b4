//! Client-side caching on the server state: turning tracking on and off for a client, and
//! delivering invalidations.
//!
//! Changed keys come from the keyspace's queue (`db::invalidate`) after each command and
//! after the cron's expiry and eviction work; each is looked up in the tracking table and its
//! clients are sent an invalidation, as Redis does: a RESP3 push `invalidate` with the keys
//! (a null for a flush), or, for a RESP2 client subscribed to `__redis__:invalidate` that
//! another client redirects to, a Pub/Sub message on that channel. A client that redirects to
//! a client that has gone gets `tracking-redir-broken` instead (RESP3 only). Messages for the
//! client whose command runs follow its reply, since the queue is read once the command ends.

use super::Server;
use super::pubsub::Current;
use crate::client::Client;
use crate::db::invalidate::Invalidated;
use crate::protocol::reply::Protocol;
use crate::tracking::{Broadcast, ClientTracking};

/// The channel a RESP2 redirection target receives invalidations on.
pub const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

/// What an invalidation says: these keys (a RESP array, already encoded), or every key.
#[derive(Clone, Copy)]
enum Invalidation<'a> {
    Keys(&'a [u8]),
    All,
}

/// The RESP array of `keys`, the same in both protocols.
fn key_array<'a>(keys: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(b'*');
    out.extend_from_slice(itoa::Buffer::new().format(keys.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for key in keys {
        out.push(b'$');
        out.extend_from_slice(itoa::Buffer::new().format(key.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(key);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The options of `CLIENT TRACKING ON` other than prefixes and redirection.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrackingOptions {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
}

impl Server {
    /// Calls `f` with client `id`: the running one as given, another through its cell.
    fn with_client<R>(
        &self,
        current: Option<&Current>,
        id: u64,
        f: impl FnOnce(&Client) -> R,
    ) -> Option<R> {
        if let Some(current) = current
            && current.client.id == id
        {
            return Some(f(current.client));
        }
        let client = self.clients.get(&id)?.try_borrow().ok()?;
        Some(f(&client))
    }

    /// `CLIENT TRACKING ON` with options already checked (Redis's `enableTracking`):
    /// redirection and mode are replaced, the `CLIENT CACHING` choice is kept, and broadcast
    /// prefixes add to those the client has (none given registers the empty prefix).
    pub fn enable_tracking(
        &mut self,
        client: &mut Client,
        redirect: u64,
        options: TrackingOptions,
        prefixes: &[&[u8]],
    ) {
        if client.tracking.is_none() {
            self.tracking.clients += 1;
            self.keyspace.invalidations.set_active(true);
        }
        let tracking = client.tracking.get_or_insert_with(Box::default);
        tracking.redirect = redirect;
        tracking.broken_redirect.set(false);
        tracking.bcast = options.bcast;
        tracking.optin = options.optin;
        tracking.optout = options.optout;
        tracking.noloop = options.noloop;
        if options.bcast {
            let empty: &[&[u8]] = &[b""];
            let prefixes = if prefixes.is_empty() { empty } else { prefixes };
            for &prefix in prefixes {
                self.tracking.add_prefix(prefix, client.id);
                if let Err(at) = tracking.prefixes.binary_search_by(|p| (**p).cmp(prefix)) {
                    tracking.prefixes.insert(at, prefix.into());
                }
            }
        }
        if redirect == client.id {
            client.push_target = true;
        } else if redirect != 0
            && let Some(target) = self.clients.get(&redirect)
            && let Ok(mut target) = target.try_borrow_mut()
        {
            target.push_target = true;
        }
    }

    /// `CLIENT TRACKING OFF`, `RESET` and disconnection (Redis's `disableTracking`): the
    /// client leaves its prefixes; its id stays in the key table until those keys change. Once
    /// nobody tracks, the table is emptied and the keyspace stops recording changes.
    pub fn disable_tracking(&mut self, client: &mut Client) {
        let Some(tracking) = client.tracking.take() else {
            return;
        };
        for prefix in &tracking.prefixes {
            self.tracking.remove_prefix(prefix, client.id);
        }
        self.tracking.clients -= 1;
        if self.tracking.clients == 0 {
            self.tracking = crate::tracking::TrackingTable::default();
            self.keyspace.invalidations.set_active(false);
        }
    }

    /// Sends the invalidations for the keys changed since the last call (the keyspace's
    /// queue), and notes them for the broadcast prefixes. With `defer_current` (a command
    /// is running), the running client's own invalidations wait for
    /// [`Self::send_deferred_invalidations`], so they follow its reply whole, as Redis's
    /// `tracking_pending_keys`.
    pub fn deliver_invalidations(
        &mut self,
        mut current: Option<&mut Current>,
        defer_current: bool,
    ) {
        let current_id = current.as_ref().map(|c| c.client.id);
        let defer = if defer_current { current_id } else { None };
        for change in self.keyspace.invalidations.take() {
            match change {
                Invalidated::Key { key, by_command } => {
                    if self.tracking.has_prefixes() {
                        let by = if by_command { current_id } else { None };
                        self.tracking.record_change(&key, by);
                    }
                    self.invalidate_key(current.as_deref_mut(), &key, defer);
                }
                Invalidated::Flush => self.invalidate_all(current.as_deref_mut(), defer),
            }
        }
    }

    /// Sends the invalidations deferred for the client whose command ran, after its reply.
    pub fn send_deferred_invalidations(&mut self, mut current: Option<&mut Current>) {
        for (id, key) in self.tracking.take_deferred() {
            let message;
            let invalidation = match &key {
                Some(key) => {
                    message = key_array(std::iter::once(&**key));
                    Invalidation::Keys(&message)
                }
                None => Invalidation::All,
            };
            self.send_invalidation(current.as_deref_mut(), id, invalidation);
        }
    }

    /// Announces the keys changed under broadcast prefixes since the last announcement, one
    /// message per prefix and client (Redis's `trackingBroadcastInvalidationMessages`, run
    /// before the event loop sleeps: here after a connection's batch of requests and after
    /// the cron's work).
    pub fn send_broadcasts(&mut self, mut current: Option<&mut Current>) {
        for broadcast in self.tracking.take_broadcasts() {
            self.send_broadcast(current.as_deref_mut(), &broadcast);
        }
    }

    /// The cron's part, after its expiry and eviction work: sends the invalidations for what
    /// they removed and the broadcasts, and keeps the table within `tracking-table-max-keys`
    /// even while no command runs.
    pub fn invalidate_in_background(&mut self, limit: bool) {
        if self.keyspace.invalidations.has_pending() {
            self.deliver_invalidations(None, false);
        }
        if limit {
            self.limit_tracked_keys(None);
        }
        if self.tracking.has_broadcasts() {
            self.send_broadcasts(None);
        }
    }

    /// Invalidates keys at random while the table holds more than `tracking-table-max-keys`
    /// (Redis's `trackingLimitUsedSlots`), before each command and from the cron.
    pub fn limit_tracked_keys(&mut self, mut current: Option<&mut Current>) {
        if self.tracking.clients == 0 {
            return;
        }
        let max_keys = self.config.tracking_table_max_keys;
        let keys = self
            .tracking
            .keys_over_limit(max_keys, &mut self.keyspace.rng);
        for key in keys {
            self.invalidate_key(current.as_deref_mut(), &key, None);
        }
    }

    /// Sends an invalidation of `key` to the clients that may cache it, and forgets it. A
    /// client now in broadcast mode is skipped (it had read the key before switching), and so
    /// is the running client in NOLOOP mode. The message for client `defer` waits.
    fn invalidate_key(
        &mut self,
        mut current: Option<&mut Current>,
        key: &[u8],
        defer: Option<u64>,
    ) {
        let Some(ids) = self.tracking.take_key(key) else {
            return;
        };
        let current_id = current.as_ref().map(|c| c.client.id);
        let message = key_array(std::iter::once(key));
        for id in ids {
            let wants = self
                .with_client(current.as_deref(), id, |c| {
                    c.tracking
                        .as_ref()
                        .is_some_and(|t| !(t.bcast || t.noloop && Some(id) == current_id))
                })
                .unwrap_or(false);
            if wants && defer == Some(id) {
                self.tracking.defer(id, Some(key.into()));
            } else if wants {
                self.send_invalidation(current.as_deref_mut(), id, Invalidation::Keys(&message));
            }
        }
    }

    /// Tells every tracking client that all keys are invalid (a flush), and forgets them. The
    /// message for client `defer` waits.
    fn invalidate_all(&mut self, mut current: Option<&mut Current>, defer: Option<u64>) {
        let mut ids = Vec::new();
        for (&id, cell) in &self.clients {
            let tracking = match current.as_deref() {
                Some(c) if c.client.id == id => c.client.tracking.is_some(),
                _ => cell.try_borrow().is_ok_and(|c| c.tracking.is_some()),
            };
            if tracking {
                ids.push(id);
            }
        }
        for id in ids {
            if defer == Some(id) {
                self.tracking.defer(id, None);
            } else {
                self.send_invalidation(current.as_deref_mut(), id, Invalidation::All);
            }
        }
        self.tracking.clear_keys();
    }

    /// Announces a prefix's changed keys to its clients; a NOLOOP client is not told of the
    /// keys it changed itself, and nothing when that leaves none.
    fn send_broadcast(&mut self, mut current: Option<&mut Current>, broadcast: &Broadcast) {
        let all = key_array(broadcast.keys.iter().map(|(k, _)| &**k));
        for &id in &broadcast.clients {
            let noloop = self
                .with_client(current.as_deref(), id, |c| {
                    c.tracking.as_ref().is_some_and(|t| t.noloop)
                })
                .unwrap_or(false);
            if !noloop {
                self.send_invalidation(current.as_deref_mut(), id, Invalidation::Keys(&all));
                continue;
            }
            let others: Vec<&[u8]> = broadcast
                .keys
                .iter()
                .filter(|(_, by)| *by != Some(id))
                .map(|(k, _)| &**k)
                .collect();
            if !others.is_empty() {
                let message = key_array(others.into_iter());
                self.send_invalidation(current.as_deref_mut(), id, Invalidation::Keys(&message));
            }
        }
    }

    /// Sends one invalidation on behalf of tracking client `id` (Redis's
    /// `sendTrackingMessage`), to it or to the client it redirects to.
    fn send_invalidation(
        &mut self,
        mut current: Option<&mut Current>,
        id: u64,
        invalidation: Invalidation,
    ) {
        let Some(Some((redirect, protocol))) = self.with_client(current.as_deref(), id, |c| {
            c.tracking.as_ref().map(|t| (t.redirect, c.protocol))
        }) else {
            return;
        };
        let null: &[u8] = match protocol {
            Protocol::Resp2 => b"$-1\r\n",
            Protocol::Resp3 => b"_\r\n",
        };
        let value = match invalidation {
            Invalidation::Keys(array) => array,
            Invalidation::All => null,
        };
        if redirect == 0 {
            if protocol == Protocol::Resp3 {
                self.deliver_encoded(current, id, |_, out| push_invalidate(out, value));
            }
            return;
        }
        let target = self.with_client(current.as_deref(), redirect, |c| {
            (c.protocol, c.subscriptions.any())
        });
        match target {
            None => {
                self.with_client(current.as_deref(), id, |c| {
                    c.tracking
                        .as_deref()
                        .map(|t: &ClientTracking| t.broken_redirect.set(true))
                });
                if protocol == Protocol::Resp3 {
                    self.deliver_encoded(current.as_deref_mut(), id, |_, out| {
                        out.extend_from_slice(b">2\r\n$21\r\ntracking-redir-broken\r\n:");
                        out.extend_from_slice(itoa::Buffer::new().format(redirect).as_bytes());
                        out.extend_from_slice(b"\r\n");
                    });
                }
            }
            Some((Protocol::Resp3, _)) => {
                self.deliver_encoded(current, redirect, |_, out| push_invalidate(out, value));
            }
            // RESP2 has no pushes: a subscriber gets a Pub/Sub message instead.
            Some((Protocol::Resp2, true)) => {
                self.deliver_encoded(current, redirect, |_, out| {
                    out.extend_from_slice(b"*3\r\n$7\r\nmessage\r\n$20\r\n");
                    out.extend_from_slice(INVALIDATE_CHANNEL);
                    out.extend_from_slice(b"\r\n");
                    out.extend_from_slice(value);
                });
            }
            Some((Protocol::Resp2, false)) => {}
        }
    }
}

/// The RESP3 push `invalidate` carrying `value`.
fn push_invalidate(out: &mut Vec<u8>, value: &[u8]) {
    out.extend_from_slice(b">2\r\n$10\r\ninvalidate\r\n");
    out.extend_from_slice(value);
}
