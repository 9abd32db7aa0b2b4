//! Publishing: delivers a message to the subscribers of a channel and of the patterns that
//! match it, and turns the keyspace's pending notifications into messages on the
//! `__keyspace@<db>__:` and `__keyevent@<db>__:` channels.
//!
//! A message for the client whose command is running goes into that command's reply; for any
//! other client it is appended to the output its connection sends next, and the connection is
//! woken. Output for a subscriber is bounded as Redis bounds it: once its pending output
//! passes its class's hard limit, or stays past the soft limit for the soft seconds, the
//! client is closed and its output dropped, so a subscriber that stops reading cannot grow
//! the server's memory and never slows the publisher.

use super::Server;
use crate::client::Client;
use crate::config::notify::{KEYEVENT, KEYSPACE};
use crate::protocol::reply::{Protocol, Reply};
use crate::pubsub::{Part, Scope, encode};

/// The client whose command is running: its cell is borrowed, so its messages go straight
/// into its reply, at `at` (before the command's own reply, where Redis writes them).
/// `None` where no command runs (the cron's expiry and eviction).
pub struct Current<'a> {
    pub client: &'a Client,
    pub reply: &'a mut Reply,
    pub at: usize,
}

impl Server {
    /// Publishes `message` on `channel` (`PUBLISH`, `SPUBLISH`); returns how many
    /// subscriptions received it (a client subscribed by channel and by a pattern counts
    /// twice, as in Redis).
    pub fn publish(
        &mut self,
        mut current: Option<&mut Current>,
        scope: Scope,
        channel: &[u8],
        message: &[u8],
    ) -> usize {
        let mut receivers = 0;
        let kind = scope.message_kind();
        let subscribers = self.pubsub.subscribers(scope, channel).to_vec();
        for id in subscribers {
            self.deliver(
                current.as_deref_mut(),
                id,
                &[Part::Bulk(kind), Part::Bulk(channel), Part::Bulk(message)],
            );
            receivers += 1;
        }
        if scope == Scope::Global && self.pubsub.has_patterns() {
            let matching: Vec<(Box<[u8]>, Vec<u64>)> = self
                .pubsub
                .matching_patterns(channel)
                .map(|(pattern, ids)| (pattern.into(), ids.to_vec()))
                .collect();
            for (pattern, ids) in matching {
                for id in ids {
                    self.deliver(
                        current.as_deref_mut(),
                        id,
                        &[
                            Part::Bulk(b"pmessage"),
                            Part::Bulk(&pattern),
                            Part::Bulk(channel),
                            Part::Bulk(message),
                        ],
                    );
                    receivers += 1;
                }
            }
        }
        receivers
    }

    /// Publishes the keyspace notifications recorded since the last call, in order.
    pub fn publish_notifications(&mut self, mut current: Option<&mut Current>) {
        if !self.keyspace.notifications.has_pending() {
            return;
        }
        let families = self.keyspace.notifications.channels();
        for event in self.keyspace.notifications.take() {
            let db = itoa::Buffer::new().format(event.db).to_owned();
            if families & KEYSPACE != 0 {
                let channel = [b"__keyspace@", db.as_bytes(), b"__:", &event.key].concat();
                self.publish(
                    current.as_deref_mut(),
                    Scope::Global,
                    &channel,
                    event.event.as_bytes(),
                );
            }
            if families & KEYEVENT != 0 {
                let channel = [
                    b"__keyevent@",
                    db.as_bytes(),
                    b"__:",
                    event.event.as_bytes(),
                ]
                .concat();
                self.publish(current.as_deref_mut(), Scope::Global, &channel, &event.key);
            }
        }
    }

    /// Sends one push message to client `id`.
    fn deliver(&mut self, current: Option<&mut Current>, id: u64, parts: &[Part]) {
        self.deliver_encoded(current, id, |protocol, out| encode(protocol, parts, out));
    }

    /// Hands output to client `id`, written by `write` for the client's protocol: into the
    /// running client's reply, or onto another client's pending output within its output
    /// buffer limits, waking its connection. Nothing happens for a client that is gone or
    /// closing.
    pub fn deliver_encoded(
        &mut self,
        current: Option<&mut Current>,
        id: u64,
        write: impl Fn(Protocol, &mut Vec<u8>),
    ) {
        if let Some(current) = current
            && id == current.client.id
        {
            let mut bytes = Vec::new();
            write(current.client.protocol, &mut bytes);
            current.reply.insert_push(current.at, &bytes);
            current.at += bytes.len();
            return;
        }
        let Some(cell) = self.clients.get(&id) else {
            return;
        };
        let Ok(mut client) = cell.try_borrow_mut() else {
            return;
        };
        if client.close_asap {
            return;
        }
        let protocol = client.protocol;
        write(protocol, &mut client.pending_reply);
        let limit = self.config.client_output_buffer_limit[client.output_class()];
        let pending = client.buffers.output_len + client.pending_reply.len();
        if limit.hard > 0 && pending as u64 >= limit.hard {
            client.log_over_output_limit(pending);
            client.pending_reply = Vec::new();
            client.kill();
        } else {
            client.check_soft_output_limit(limit, pending);
            if client.close_asap {
                client.pending_reply = Vec::new();
                client.kill();
            }
        }
        client.wake.notify_one();
    }
}
