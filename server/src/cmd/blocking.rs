//! Blocking commands' shared machinery: timeouts, parking a client on keys, and serving it
//! when one of them changes.
//!
//! A blocking command that finds nothing to take calls [`block`] instead of replying: the
//! client is queued on its keys and its connection stops processing requests. After every
//! command, [`serve_ready`] runs the waiting commands again for the keys that changed, oldest
//! waiter first, as Redis 7.2 re-executes them; a command that now finds data replies into the
//! client's pending output and its connection is woken. A waiter that still finds nothing
//! keeps its place. Timeouts are handled by the blocked connection itself.

use std::time::{Duration, Instant};

use super::errors::{self, CmdError};
use super::{Args, Ctx};
use crate::client::{Blocked, Client, TimeoutReply};
use crate::db::Keyspace;
use crate::protocol::reply::Reply;
use crate::server::Server;
use crate::util::longdouble::LongDouble;

/// Parses a timeout in seconds as Redis's `getTimeoutFromObjectOrReply` does (a `long double`,
/// truncated to milliseconds). `None` means wait forever.
pub fn parse_timeout(arg: &[u8]) -> Result<Option<Duration>, CmdError> {
    let seconds = LongDouble::parse(arg)
        .ok_or(errors::TIMEOUT_NOT_FLOAT)?
        .to_f64();
    // C's conversion to `long long` of a value out of its range gives the x86 "integer
    // indefinite", the most negative value: Redis then calls the timeout negative.
    let ms_float = seconds * 1000.0;
    let ms = if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&ms_float) {
        ms_float as i64
    } else {
        i64::MIN
    };
    match ms {
        ..0 => Err(errors::TIMEOUT_NEGATIVE),
        0 => Ok(None),
        ms => Ok(Some(Duration::from_millis(ms as u64))),
    }
}

/// How a blocking command waits: for which type of value, what it replies inside `EXEC`
/// (where it cannot block). The command runs again as itself: the one `call` is running.
#[derive(Clone, Copy)]
pub struct Wait {
    pub waits_for: &'static str,
    pub in_exec: TimeoutReply,
}

/// Parks the client on `keys` until one of them holds a value of the type it waits for, or
/// `timeout` passes; the command will run again with the same arguments. Inside `EXEC` a
/// client cannot block, so it gets its empty reply at once; a command being retried stays
/// where it is in the queues.
pub fn block<'k>(
    ctx: &mut Ctx,
    args: &Args,
    keys: impl Iterator<Item = &'k [u8]>,
    timeout: Option<Duration>,
    wait: Wait,
) {
    if ctx.client.in_exec {
        return timeout_reply(ctx.reply, wait.in_exec);
    }
    if ctx.client.blocked.is_some() {
        return;
    }
    let db = ctx.client.db;
    let keys: Vec<Box<[u8]>> = keys.map(Box::from).collect();
    for key in &keys {
        ctx.server.keyspace.blocking.wait(db, key, ctx.client.id);
    }
    ctx.server.keyspace.blocking.clients += 1;
    ctx.client.blocked = Some(Blocked {
        db,
        keys,
        // Beyond what a clock can count, the wait is endless.
        deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
        command: ctx
            .client
            .last_command
            .expect("call names the running command"),
        args: args.to_owned(),
        waits_for: wait.waits_for,
    });
}

/// Writes what a blocking command replies when it cannot wait.
pub fn timeout_reply(reply: &mut Reply, kind: TimeoutReply) {
    match kind {
        TimeoutReply::NullArray => reply.null_array(),
        TimeoutReply::Null => reply.null(),
    }
}

/// Takes the client off every queue it waits in.
pub fn unblock(keyspace: &mut Keyspace, client: &mut Client) -> Option<Blocked> {
    let blocked = client.blocked.take()?;
    for key in &blocked.keys {
        keyspace.blocking.stop_waiting(blocked.db, key, client.id);
    }
    keyspace.blocking.clients -= 1;
    Some(blocked)
}

/// Serves the clients blocked on keys that changed, until no changed key is left (serving one
/// may change another: `BLMOVE` pushes to its destination).
pub fn serve_ready(server: &mut Server) {
    while let Some((db, key)) = server.keyspace.blocking.next_ready() {
        // As Redis 7.0: only a key that exists, holding the type a waiter waits for, serves it;
        // one found expired is deleted here, and its deletion propagated on its own.
        if server.keyspace.expire_if_needed(db, &key) {
            server.propagate_pending(false);
            continue;
        }
        let Some(ready_type) = server.keyspace.peek(db, &key).map(|slot| {
            server
                .keyspace
                .type_name(db, server.keyspace.record(db, slot))
        }) else {
            continue;
        };
        for id in server.keyspace.blocking.waiters(db, &key) {
            let Some(client) = server.clients.get(&id).cloned() else {
                continue;
            };
            // The client running the current command is never blocked.
            let Ok(mut client) = client.try_borrow_mut() else {
                continue;
            };
            let Some(blocked) = &client.blocked else {
                continue;
            };
            if blocked.waits_for != ready_type {
                continue;
            }
            let handler = super::table()
                .entry(blocked.command)
                .command
                .handler
                .expect("a blocking command has a handler");
            let args = blocked.args.clone();
            let mut reply = Reply::new(client.protocol);
            server.keyspace.now_ms = server.clock.unix_ms();
            let mut ctx = Ctx {
                server,
                client: &mut client,
                reply: &mut reply,
            };
            let dirty_before = ctx.server.keyspace.stats.dirty;
            if let Err(error) = handler(&mut ctx, &args.args()) {
                ctx.error(&error);
            }
            // Each client served is an execution unit of its own.
            let changed = ctx.server.keyspace.stats.dirty > dirty_before;
            let db = ctx.client.db;
            ctx.server
                .keyspace
                .propagation
                .finish_command(db, changed, args.args().iter());
            ctx.server.propagate_pending(false);
            if ctx.server.keyspace.watch.has_dirty() {
                super::tx::flag_dirty_watchers(&mut ctx);
            }
            if reply.is_empty() {
                continue;
            }
            unblock(&mut server.keyspace, &mut client);
            client.pending_reply.extend_from_slice(reply.bytes());
            client.wake.notify_one();
        }
    }
}

/// `CLIENT UNBLOCK`: ends a client's wait with its timeout reply, or with an error when
/// `error`. Returns whether the client was blocked.
pub fn unblock_by_request(server: &mut Server, id: u64, error: bool) -> bool {
    let Some(client) = server.clients.get(&id).cloned() else {
        return false;
    };
    let Ok(mut client) = client.try_borrow_mut() else {
        return false;
    };
    if unblock(&mut server.keyspace, &mut client).is_none() {
        return false;
    }
    let mut reply = Reply::new(client.protocol);
    if error {
        let text = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
        server.record_error(text);
        reply.error(text);
    } else {
        // A timeout, as Redis 7.0 replies it to every blocking command.
        reply.null_array();
    }
    client.pending_reply.extend_from_slice(reply.bytes());
    client.wake.notify_one();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_redis_does() {
        assert_eq!(parse_timeout(b"0"), Ok(None));
        assert_eq!(parse_timeout(b"1.5"), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(parse_timeout(b"0x10"), Ok(Some(Duration::from_secs(16))));
        // Truncated to whole milliseconds: a tiny negative timeout is 0, wait forever.
        assert_eq!(parse_timeout(b"-0.0001"), Ok(None));
        assert_eq!(parse_timeout(b"-1"), Err(errors::TIMEOUT_NEGATIVE));
        assert_eq!(parse_timeout(b" 1"), Err(errors::TIMEOUT_NOT_FLOAT));
        assert_eq!(parse_timeout(b"abc"), Err(errors::TIMEOUT_NOT_FLOAT));
        for huge in [&b"inf"[..], b"1e16", b"9223372036854775807", b"1e308"] {
            assert_eq!(parse_timeout(huge), Err(errors::TIMEOUT_NEGATIVE));
        }
    }
}
