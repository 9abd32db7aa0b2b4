//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Commands sent after `MULTI` are queued by the dispatcher. `EXEC` aborts with
//! `EXECABORT` if one was rejected while queueing, and with a null reply if a watched key
//! changed (or expired) since `WATCH`; otherwise it runs them all and replies with their
//! replies.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group, call};
use crate::client::{Client, Multi, WatchedKey};
use crate::db::watch::Change;
use crate::server::Server;

pub static COMMANDS: &[Command] = &[
    Command::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | RUNS_IN_MULTI,
        Group::Transactions,
        multi,
    )
    .doc("1.2.0", "Starts a transaction.", "O(1)"),
    Command::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | RUNS_IN_MULTI | IN_MULTI_DESPITE_OOM | EXEC,
        Group::Transactions,
        exec,
    )
    .doc(
        "1.2.0",
        "Executes all commands in a transaction.",
        "Depends on commands in the transaction",
    ),
    Command::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | RUNS_IN_MULTI | IN_MULTI_DESPITE_OOM,
        Group::Transactions,
        discard,
    )
    .doc(
        "2.0.0",
        "Discards a transaction.",
        "O(N), when N is the number of queued commands",
    ),
    Command::new(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | RUNS_IN_MULTI,
        Group::Transactions,
        watch,
    )
    .doc(
        "2.2.0",
        "Monitors changes to keys to determine the execution of a transaction.",
        "O(1) for every key.",
    )
    .syntax("key [key ...]"),
    Command::new(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        Group::Transactions,
        unwatch,
    )
    .doc(
        "2.2.0",
        "Forgets about watched keys of a transaction.",
        "O(1)",
    ),
];

fn multi(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::new("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(Multi::default());
    ctx.reply.ok();
    Ok(())
}

/// Whether a watched key that was alive when watched has expired since (Redis 7.0 aborts).
fn watched_key_expired(server: &Server, client: &Client) -> bool {
    client.watched.iter().any(|watched| {
        !watched.expired
            && server
                .keyspace
                .peek(watched.db, &watched.key)
                .is_some_and(|slot| server.keyspace.is_expired(watched.db, slot))
    })
}

fn exec(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let Some(multi) = ctx.client.multi.take() else {
        return Err(CmdError::new("ERR EXEC without MULTI"));
    };
    let aborted = multi.failed;
    let dirty = ctx.client.watch_dirty || watched_key_expired(ctx.server, ctx.client);
    unwatch_all(ctx.server, ctx.client);
    if aborted {
        return Err(errors::EXEC_ABORT);
    }
    if dirty {
        ctx.reply.null_array();
        return Ok(());
    }
    ctx.reply.array(multi.commands.len());
    let table = super::table();
    ctx.client.in_exec = true;
    for (index, args) in &multi.commands {
        // `call` sets the time the command sees.
        call(ctx, table.entry(*index), &args.args());
    }
    ctx.client.in_exec = false;
    Ok(())
}

fn discard(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.client.multi.take().is_none() {
        return Err(CmdError::new("ERR DISCARD without MULTI"));
    }
    unwatch_all(ctx.server, ctx.client);
    ctx.reply.ok();
    Ok(())
}

fn watch(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(CmdError::new("ERR WATCH inside MULTI is not allowed"));
    }
    let db = ctx.client.db;
    for key in args.from(1) {
        if ctx
            .client
            .watched
            .iter()
            .any(|w| w.db == db && &*w.key == key)
        {
            continue;
        }
        let keyspace = &ctx.server.keyspace;
        let expired = keyspace
            .peek(db, key)
            .is_some_and(|slot| keyspace.is_expired(db, slot));
        ctx.server.keyspace.watch.watch(db, key, ctx.client.id);
        ctx.client.watched.push(WatchedKey {
            db,
            key: key.into(),
            expired,
        });
    }
    ctx.reply.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    unwatch_all(ctx.server, ctx.client);
    ctx.reply.ok();
    Ok(())
}

/// Forgets every key a client watches and its dirty flag.
pub fn unwatch_all(server: &mut Server, client: &mut Client) {
    for watched in client.watched.drain(..) {
        server
            .keyspace
            .watch
            .unwatch(watched.db, &watched.key, client.id);
    }
    client.watch_dirty = false;
}

/// Marks the clients whose watched keys the last command changed, as Redis's
/// `touchWatchedKey` and `touchAllWatchedKeysInDb` do. A key that was already expired when
/// watched is no logical change when it is then deleted (its flag is cleared instead), nor
/// when it is replaced by another expired key; a missing key replaced by an expired one
/// becomes a watched expired key.
pub fn flag_dirty_watchers(ctx: &mut Ctx) {
    for touched in ctx.server.keyspace.watch.take_dirty() {
        let gone = touched.change == Change::Key
            && ctx.server.keyspace.peek(touched.db, &touched.key).is_none();
        let mark = |client: &mut Client| {
            let Some(watched) = client
                .watched
                .iter_mut()
                .find(|w| w.db == touched.db && w.key == touched.key)
            else {
                return;
            };
            match touched.change {
                Change::Key if watched.expired && gone => {
                    watched.expired = false;
                    return;
                }
                Change::Db {
                    replaced_expired, ..
                } if watched.expired => match replaced_expired {
                    None => {
                        watched.expired = false;
                        return;
                    }
                    Some(true) => return,
                    Some(false) => {}
                },
                Change::Db {
                    existed: false,
                    replaced_expired: Some(true),
                } => {
                    watched.expired = true;
                    return;
                }
                _ => {}
            }
            client.watch_dirty = true;
        };
        if touched.client == ctx.client.id {
            mark(ctx.client);
        } else if let Some(client) = ctx.server.clients.get(&touched.client)
            && let Ok(mut client) = client.try_borrow_mut()
        {
            mark(&mut client);
        }
    }
}
