//! `MONITOR`: a client that asks for it receives every command the server runs afterwards,
//! one status line each, as Redis writes them:
//!
//! ```text
//! +1700000000.123456 [0 127.0.0.1:51234] "set" "foo" "bar"
//! ```
//!
//! A command is shown once it has run (so `EXEC` follows the commands of its transaction),
//! with the arguments it was sent with, sensitive ones replaced by `(redacted)` (`AUTH`,
//! `HELLO … AUTH`, `CONFIG SET requirepass`). Administrative commands and those flagged
//! `skip_monitor` are not shown, as in Redis.

use std::time::{SystemTime, UNIX_EPOCH};

use super::errors::{CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};

pub static COMMANDS: &[Command] = &[Command::new(
    "monitor",
    1,
    ADMIN | NOSCRIPT | LOADING | STALE,
    Group::Server,
    monitor,
)
.doc(
    "1.0.0",
    "Listens for all requests received by the server in real-time.",
    "",
)];

pub use crate::stats::REDACTED;

fn monitor(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    // Inside a transaction a client expects one reply per command, so it cannot start
    // receiving a stream.
    if ctx.client.in_exec {
        return Err(CmdError::new(
            "ERR MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    if ctx.client.monitor {
        return Ok(());
    }
    ctx.client.monitor = true;
    ctx.server.monitors.push(ctx.client.id);
    ctx.reply.ok();
    Ok(())
}

/// Stops a client's monitoring (`RESET`, disconnection).
pub fn stop(server: &mut crate::server::Server, client: &mut crate::client::Client) {
    if client.monitor {
        client.monitor = false;
        server.monitors.retain(|&id| id != client.id);
    }
}

/// Sends the command that just ran to every monitoring client.
pub fn feed(ctx: &mut Ctx, args: &Args) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // Commands a script runs show as from `lua`, as in Redis.
    let from = if ctx.client.script {
        "lua".to_string()
    } else {
        crate::client::peer_id(&ctx.client.addr)
    };
    let mut line = format!(
        "+{}.{:06} [{} {from}] ",
        now.as_secs(),
        now.subsec_micros(),
        ctx.client.db,
    )
    .into_bytes();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        let shown = if ctx.client.redacted.contains(&i) {
            REDACTED
        } else {
            arg
        };
        crate::util::repr(shown, &mut line);
    }
    line.extend_from_slice(b"\r\n");
    for &id in &ctx.server.monitors {
        if id == ctx.client.id {
            // A monitor sees its own commands, after their replies.
            ctx.reply.raw(&line);
            continue;
        }
        let Some(client) = ctx.server.clients.get(&id) else {
            continue;
        };
        if let Ok(mut client) = client.try_borrow_mut() {
            client.pending_reply.extend_from_slice(&line);
            client.wake.notify_one();
        }
    }
}
