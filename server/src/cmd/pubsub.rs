//! Pub/Sub: `SUBSCRIBE`, `UNSUBSCRIBE`, `PSUBSCRIBE`, `PUNSUBSCRIBE`, `PUBLISH`, the sharded
//! `SSUBSCRIBE`, `SUNSUBSCRIBE`, `SPUBLISH`, and `PUBSUB` (CHANNELS, NUMSUB, NUMPAT,
//! SHARDCHANNELS, SHARDNUMSUB, HELP).
//!
//! Each (un)subscription is confirmed with its own message (`[subscribe, channel, count]`),
//! an array in RESP2 and a push in RESP3, as Redis confirms them; a RESP2 client with any
//! subscription is in the subscribed context, where the dispatcher lets only these commands,
//! `PING`, `QUIT` and `RESET` through. Without a cluster, shard channels behave as channels of
//! their own namespace, without patterns.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::pubsub::{Part, Scope};
use crate::server::pubsub::Current;

/// Flags every (un)subscribe command has.
const SUBSCRIBER: u32 = PUBSUB | NOSCRIPT | LOADING | STALE | SUBSCRIBED_CONTEXT;

pub static COMMANDS: &[Command] = &[
    Command::new(
        "subscribe",
        -2,
        SUBSCRIBER | SENTINEL,
        Group::PubSub,
        subscribe,
    )
    .doc(
        "2.0.0",
        "Listen for messages published to the given channels",
        "O(N) where N is the number of channels to subscribe to.",
    )
    .syntax("channel [channel ...]"),
    Command::new(
        "unsubscribe",
        -1,
        SUBSCRIBER | SENTINEL,
        Group::PubSub,
        unsubscribe,
    )
    .doc(
        "2.0.0",
        "Stop listening for messages posted to the given channels",
        "O(N) where N is the number of clients already subscribed to a channel.",
    )
    .syntax("[channel [channel ...]]"),
    Command::new(
        "psubscribe",
        -2,
        SUBSCRIBER | SENTINEL,
        Group::PubSub,
        psubscribe,
    )
    .doc(
        "2.0.0",
        "Listen for messages published to channels matching the given patterns",
        "O(N) where N is the number of patterns the client is already subscribed to.",
    )
    .syntax("pattern [pattern ...]"),
    Command::new(
        "punsubscribe",
        -1,
        SUBSCRIBER | SENTINEL,
        Group::PubSub,
        punsubscribe,
    )
    .doc(
        "2.0.0",
        "Stop listening for messages posted to channels matching the given patterns",
        "O(N+M) where N is the number of patterns the client is already subscribed and M is \
         the number of total patterns subscribed in the system (by any client).",
    )
    .syntax("[pattern [pattern ...]]"),
    Command::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE | SENTINEL,
        Group::PubSub,
        publish,
    )
    .doc(
        "2.0.0",
        "Post a message to a channel",
        "O(N+M) where N is the number of clients subscribed to the receiving channel and M is \
         the total number of subscribed patterns (by any client).",
    )
    .syntax("channel message"),
    Command::new("ssubscribe", -2, SUBSCRIBER, Group::PubSub, ssubscribe)
        .doc(
            "7.0.0",
            "Listen for messages published to the given shard channels",
            "O(N) where N is the number of shard channels to subscribe to.",
        )
        .syntax("shardchannel [shardchannel ...]"),
    Command::new("sunsubscribe", -1, SUBSCRIBER, Group::PubSub, sunsubscribe)
        .doc(
            "7.0.0",
            "Stop listening for messages posted to the given shard channels",
            "O(N) where N is the number of clients already subscribed to a shard channel.",
        )
        .syntax("[shardchannel [shardchannel ...]]"),
    Command::new(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        Group::PubSub,
        spublish,
    )
    .doc(
        "7.0.0",
        "Post a message to a shard channel",
        "O(N) where N is the number of clients subscribed to the receiving shard channel.",
    )
    .syntax("shardchannel message"),
    Command::container(
        "pubsub",
        -2,
        Group::PubSub,
        &[
            Command::new("help", 2, LOADING | STALE, Group::PubSub, help).doc(
                "6.2.0",
                "Show helpful text about the different subcommands",
                "O(1)",
            ),
            Command::new("numpat", 2, PUBSUB | LOADING | STALE, Group::PubSub, numpat).doc(
                "2.8.0",
                "Get the count of unique patterns pattern subscriptions",
                "O(1)",
            ),
            Command::new(
                "channels",
                -2,
                PUBSUB | LOADING | STALE,
                Group::PubSub,
                channels,
            )
            .doc(
                "2.8.0",
                "List active channels",
                "O(N) where N is the number of active channels, and assuming constant \
                     time pattern matching (relatively short channels and patterns)",
            )
            .syntax("[pattern]"),
            Command::new(
                "numsub",
                -2,
                PUBSUB | LOADING | STALE,
                Group::PubSub,
                numsub,
            )
            .doc(
                "2.8.0",
                "Get the count of subscribers for channels",
                "O(N) for the NUMSUB subcommand, where N is the number of requested \
                     channels",
            )
            .syntax("[channel [channel ...]]"),
            Command::new(
                "shardnumsub",
                -2,
                PUBSUB | LOADING | STALE,
                Group::PubSub,
                shardnumsub,
            )
            .doc(
                "7.0.0",
                "Get the count of subscribers for shard channels",
                "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested \
                 shard channels",
            )
            .syntax("[shardchannel [shardchannel ...]]"),
            Command::new(
                "shardchannels",
                -2,
                PUBSUB | LOADING | STALE,
                Group::PubSub,
                shardchannels,
            )
            .doc(
                "7.0.0",
                "List active shard channels",
                "O(N) where N is the number of active shard channels, and assuming constant \
                 time pattern matching (relatively short shard channels).",
            )
            .syntax("[pattern]"),
        ],
    )
    .doc(
        "2.8.0",
        "A container for Pub/Sub commands",
        "Depends on subcommand.",
    ),
];

/// Writes one confirmation (`subscribe`, `unsubscribe`…) to the calling client: a push, sent
/// even under `CLIENT REPLY OFF`.
fn confirm(ctx: &mut Ctx, kind: &[u8], channel: Option<&[u8]>, count: usize) {
    let channel = channel.map_or(Part::Null, Part::Bulk);
    let mut bytes = Vec::new();
    let parts = [Part::Bulk(kind), channel, Part::Int(count as i64)];
    crate::pubsub::encode(ctx.reply.protocol(), &parts, &mut bytes);
    ctx.reply.push_message(&bytes);
}

fn subscribe_channels(ctx: &mut Ctx, args: &Args, scope: Scope) {
    for channel in args.from(1) {
        let client = &mut *ctx.client;
        ctx.server
            .pubsub
            .subscribe(&mut client.subscriptions, client.id, scope, channel);
        let count = client.subscriptions.count(scope);
        confirm(ctx, scope.subscribe_kind(), Some(channel), count);
    }
}

/// Unsubscribes from the channels named, or from all of them: confirms each, or once with a
/// null channel when there was nothing to leave.
fn unsubscribe_channels(ctx: &mut Ctx, args: &Args, scope: Scope) {
    let kind = scope.unsubscribe_kind();
    if args.len() > 1 {
        for channel in args.from(1) {
            let client = &mut *ctx.client;
            ctx.server
                .pubsub
                .unsubscribe(&mut client.subscriptions, client.id, scope, channel);
            let count = client.subscriptions.count(scope);
            confirm(ctx, kind, Some(channel), count);
        }
        return;
    }
    let client = &mut *ctx.client;
    let left = ctx
        .server
        .pubsub
        .unsubscribe_all(&mut client.subscriptions, client.id, scope);
    confirm_all(ctx, kind, scope, &left);
}

/// Confirms leaving each of `left`, the count falling to what remains of `scope`, or once
/// with a null channel when `left` is empty.
fn confirm_all(ctx: &mut Ctx, kind: &[u8], scope: Scope, left: &[Box<[u8]>]) {
    let remaining = ctx.client.subscriptions.count(scope);
    if left.is_empty() {
        confirm(ctx, kind, None, remaining);
    }
    for (i, name) in left.iter().enumerate() {
        confirm(ctx, kind, Some(name), remaining + left.len() - i - 1);
    }
}

fn subscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    subscribe_channels(ctx, args, Scope::Global);
    Ok(())
}

fn unsubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    unsubscribe_channels(ctx, args, Scope::Global);
    Ok(())
}

fn ssubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // Redis refuses it wherever blocking is denied, a transaction included (where SUBSCRIBE
    // is let through).
    if ctx.client.in_exec {
        return Err(CmdError::new(
            "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    subscribe_channels(ctx, args, Scope::Shard);
    Ok(())
}

fn sunsubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    unsubscribe_channels(ctx, args, Scope::Shard);
    Ok(())
}

fn psubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    for pattern in args.from(1) {
        let client = &mut *ctx.client;
        ctx.server
            .pubsub
            .psubscribe(&mut client.subscriptions, client.id, pattern);
        let count = client.subscriptions.count(Scope::Global);
        confirm(ctx, b"psubscribe", Some(pattern), count);
    }
    Ok(())
}

fn punsubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 1 {
        for pattern in args.from(1) {
            let client = &mut *ctx.client;
            ctx.server
                .pubsub
                .punsubscribe(&mut client.subscriptions, client.id, pattern);
            let count = client.subscriptions.count(Scope::Global);
            confirm(ctx, b"punsubscribe", Some(pattern), count);
        }
        return Ok(());
    }
    let client = &mut *ctx.client;
    let left = ctx
        .server
        .pubsub
        .punsubscribe_all(&mut client.subscriptions, client.id);
    confirm_all(ctx, b"punsubscribe", Scope::Global, &left);
    Ok(())
}

fn publish_in(ctx: &mut Ctx, args: &Args, scope: Scope) -> CmdResult {
    let at = ctx.reply.end();
    let mut current = Current {
        client: &*ctx.client,
        reply: &mut *ctx.reply,
        at,
    };
    let receivers = ctx
        .server
        .publish(Some(&mut current), scope, args.get(1), args.get(2));
    // Replicas publish it to their own subscribers (Redis, outside cluster mode).
    ctx.server.keyspace.propagation.force_command_to_replicas();
    ctx.reply.int(receivers as i64);
    Ok(())
}

fn publish(ctx: &mut Ctx, args: &Args) -> CmdResult {
    publish_in(ctx, args, Scope::Global)
}

fn spublish(ctx: &mut Ctx, args: &Args) -> CmdResult {
    publish_in(ctx, args, Scope::Shard)
}

/// `PUBSUB CHANNELS|SHARDCHANNELS [pattern]`.
fn list_channels(ctx: &mut Ctx, args: &Args, scope: Scope) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::unknown_subcommand_or_arity(args.get(1), "PUBSUB"));
    }
    let pattern = (args.len() == 3).then(|| args.get(2));
    let channels = ctx.server.pubsub.active_channels(scope, pattern);
    ctx.reply.array(channels.len());
    for channel in channels {
        ctx.reply.bulk(channel);
    }
    Ok(())
}

/// `PUBSUB NUMSUB|SHARDNUMSUB [channel ...]`: each channel with its subscriber count.
fn count_subscribers(ctx: &mut Ctx, args: &Args, scope: Scope) -> CmdResult {
    // A flat array in RESP3 too, as Redis replies.
    ctx.reply.array(2 * (args.len() - 2));
    for channel in args.from(2) {
        ctx.reply.bulk(channel);
        let count = ctx.server.pubsub.subscribers(scope, channel).len();
        ctx.reply.int(count as i64);
    }
    Ok(())
}

fn channels(ctx: &mut Ctx, args: &Args) -> CmdResult {
    list_channels(ctx, args, Scope::Global)
}

fn shardchannels(ctx: &mut Ctx, args: &Args) -> CmdResult {
    list_channels(ctx, args, Scope::Shard)
}

fn numsub(ctx: &mut Ctx, args: &Args) -> CmdResult {
    count_subscribers(ctx, args, Scope::Global)
}

fn shardnumsub(ctx: &mut Ctx, args: &Args) -> CmdResult {
    count_subscribers(ctx, args, Scope::Shard)
}

fn numpat(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.reply.int(ctx.server.pubsub.pattern_count() as i64);
    Ok(())
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::introspection::reply_help(
        ctx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}

/// Leaves every subscription without confirming (`RESET`, disconnection).
pub fn leave_all(server: &mut crate::server::Server, client: &mut crate::client::Client) {
    if client.subscriptions.any() {
        server.pubsub.forget(&mut client.subscriptions, client.id);
    }
}

/// Redis's reply to `PING` in RESP2's subscribed context: `["pong", message or ""]`.
pub fn subscribed_ping(ctx: &mut Ctx, message: &[u8]) {
    ctx.reply.array(2);
    ctx.reply.bulk(b"pong");
    ctx.reply.bulk(message);
}

/// Whether a RESP2 client is in the subscribed context, where only commands flagged
/// `SUBSCRIBED_CONTEXT` run.
pub fn in_subscribed_context(client: &crate::client::Client) -> bool {
    client.protocol == crate::protocol::reply::Protocol::Resp2 && client.subscriptions.any()
}

/// The error for any other command there.
pub fn not_in_subscribed_context(full_name: &str) -> CmdError {
    CmdError::owned(format!(
        "ERR Can't execute '{full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / \
         QUIT / RESET are allowed in this context"
    ))
}

#[cfg(test)]
mod tests {
    use crate::cmd::harness::Harness;

    #[test]
    fn subscribers_receive_messages_and_patterns_in_their_protocol() {
        let mut h = Harness::new();
        let a = h.connect();
        let b = h.connect();
        assert_eq!(
            h.run_as(a, "SUBSCRIBE news sport"),
            "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n"
        );
        h.run_as(b, "HELLO 3");
        assert_eq!(
            h.run_as(b, "PSUBSCRIBE n*"),
            ">3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:1\r\n"
        );
        // A channel subscriber and a pattern subscriber: two receivers.
        assert_eq!(h.run("PUBLISH news hello"), ":2\r\n");
        assert_eq!(h.run("PUBLISH weather hello"), ":0\r\n");
        assert_eq!(
            h.pushed(a),
            "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
        );
        assert_eq!(
            h.pushed(b),
            ">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
        );
        assert_eq!(
            h.run("PUBSUB NUMSUB news sport none"),
            "*6\r\n$4\r\nnews\r\n:1\r\n$5\r\nsport\r\n:1\r\n$4\r\nnone\r\n:0\r\n"
        );
        assert_eq!(h.run("PUBSUB NUMPAT"), ":1\r\n");
        assert_eq!(h.run("PUBSUB CHANNELS s*"), "*1\r\n$5\r\nsport\r\n");
        assert_eq!(
            h.run("PUBSUB CHANNELS a b"),
            "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"
        );
    }

    #[test]
    fn resp2_subscribed_context_allows_only_subscription_commands_and_ping() {
        let mut h = Harness::new();
        h.run("SUBSCRIBE ch");
        assert_eq!(
            h.run("GET k"),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET are allowed in this context\r\n"
        );
        assert_eq!(h.run("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        assert_eq!(h.run("PING hi"), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
        assert!(
            h.run("CLIENT INFO")
                .starts_with("-ERR Can't execute 'client|info'")
        );
        assert_eq!(
            h.run("UNSUBSCRIBE"),
            "*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n"
        );
        assert_eq!(h.run("PING"), "+PONG\r\n");
        // With nothing subscribed, one confirmation with a null channel.
        assert_eq!(
            h.run("PUNSUBSCRIBE"),
            "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n"
        );
    }

    #[test]
    fn shard_channels_are_apart_and_refused_inside_a_transaction() {
        let mut h = Harness::new();
        let a = h.connect();
        h.run_as(a, "HELLO 3");
        h.run_as(a, "SSUBSCRIBE orders");
        h.run_as(a, "SUBSCRIBE orders");
        assert_eq!(h.run("SPUBLISH orders x"), ":1\r\n");
        assert_eq!(
            h.pushed(a),
            ">3\r\n$8\r\nsmessage\r\n$6\r\norders\r\n$1\r\nx\r\n"
        );
        assert_eq!(
            h.run("PUBSUB SHARDNUMSUB orders"),
            "*2\r\n$6\r\norders\r\n:1\r\n"
        );
        assert!(
            h.run("INFO stats")
                .contains("pubsub_channels:1\r\npubsub_patterns:0\r\npubsubshard_channels:1\r\n")
        );
        h.run("MULTI");
        h.run("SSUBSCRIBE x");
        assert_eq!(
            h.run("EXEC"),
            "*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"
        );
        // RESET leaves every subscription without confirming.
        assert_eq!(h.run_as(a, "RESET"), "+RESET\r\n");
        assert_eq!(
            h.run("PUBSUB SHARDNUMSUB orders"),
            "*2\r\n$6\r\norders\r\n:0\r\n"
        );
        assert_eq!(h.run("PUBSUB CHANNELS"), "*0\r\n");
    }

    #[test]
    fn confirmations_and_own_messages_are_pushes_that_client_reply_off_keeps() {
        let mut h = Harness::new();
        h.run("HELLO 3");
        h.run("CLIENT REPLY OFF");
        assert_eq!(
            h.run("SUBSCRIBE ch"),
            ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        );
        // The message to itself is kept, the integer reply dropped.
        assert_eq!(
            h.run("PUBLISH ch hi"),
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
        h.run("CLIENT REPLY ON");
        // With replies on, the message comes before the count, as Redis writes it.
        assert_eq!(
            h.run("PUBLISH ch yo"),
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nyo\r\n:1\r\n"
        );
    }

    #[test]
    fn a_subscriber_over_the_pubsub_hard_limit_is_closed_and_its_output_dropped() {
        let mut h = Harness::new();
        h.run("CONFIG SET client-output-buffer-limit \"pubsub 1000 0 0\"");
        let a = h.connect();
        h.run_as(a, "SUBSCRIBE ch");
        let message = "x".repeat(300);
        for _ in 0..3 {
            assert_eq!(h.run(&format!("PUBLISH ch {message}")), ":1\r\n");
        }
        assert_eq!(h.run(&format!("PUBLISH ch {message}")), ":1\r\n");
        let client = h.server.clients[&a].borrow();
        assert!(client.close_asap);
        assert!(client.pending_reply.is_empty());
    }
}
