//! Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::client::ReplyMode;
use crate::protocol::reply::Protocol;

/// The version zedis reports as `redis_version` and in `HELLO`: the Redis it is compatible with.
pub use crate::version::REDIS_VERSION;

pub static COMMANDS: &[Command] = &[
    Command::new(
        "ping",
        -1,
        FAST | SENTINEL | DENIED_ON_DISK_ERROR | SUBSCRIBED_CONTEXT,
        Group::Connection,
        ping,
    )
    .doc("1.0.0", "Returns the server's liveliness response.", "O(1)")
    .syntax("[message]"),
    Command::new("echo", 2, LOADING | STALE | FAST, Group::Connection, echo)
        .doc("1.0.0", "Returns the given string.", "O(1)")
        .syntax("message"),
    Command::new(
        "quit",
        -1,
        ALLOW_BUSY
            | NOSCRIPT
            | LOADING
            | STALE
            | FAST
            | NO_AUTH
            | RUNS_IN_MULTI
            | IN_MULTI_DESPITE_OOM
            | SUBSCRIBED_CONTEXT,
        Group::Connection,
        quit,
    )
    .doc("1.0.0", "Closes the connection.", "O(1)"),
    Command::new(
        "reset",
        1,
        NOSCRIPT
            | LOADING
            | STALE
            | FAST
            | NO_AUTH
            | ALLOW_BUSY
            | RUNS_IN_MULTI
            | IN_MULTI_DESPITE_OOM
            | SUBSCRIBED_CONTEXT,
        Group::Connection,
        reset,
    )
    .doc("6.2.0", "Resets the connection.", "O(1)"),
    Command::new(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        Group::Connection,
        hello,
    )
    .doc("6.0.0", "Handshakes with the Redis server.", "O(1)")
    .syntax("[protover [AUTH username password] [SETNAME clientname]]"),
    Command::new(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        Group::Connection,
        auth,
    )
    .doc(
        "1.0.0",
        "Authenticates the connection.",
        "O(N) where N is the number of passwords defined for the user",
    )
    .syntax("[username] password"),
    Command::new(
        "select",
        2,
        LOADING | STALE | FAST,
        Group::Connection,
        select,
    )
    .doc("1.0.0", "Changes the selected database.", "O(1)")
    .syntax("index"),
];

fn ping(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 2 {
        return Err(errors::wrong_arity("ping"));
    }
    if super::pubsub::in_subscribed_context(ctx.client) {
        let message = if args.len() == 2 { args.get(1) } else { b"" };
        super::pubsub::subscribed_ping(ctx, message);
    } else if args.len() == 2 {
        ctx.reply.bulk(args.get(1));
    } else {
        ctx.reply.simple(b"PONG");
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ctx.reply.bulk(args.get(1));
    Ok(())
}

fn quit(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.reply.ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

fn reset(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::monitor::stop(ctx.server, ctx.client);
    super::pubsub::leave_all(ctx.server, ctx.client);
    ctx.server.disable_tracking(ctx.client);
    let client = &mut *ctx.client;
    client.multi = None;
    client.db = 0;
    client.protocol = Protocol::Resp2;
    client.name = None;
    client.reply_mode = ReplyMode::On;
    // Redis 7.0 keeps CLIENT NO-EVICT across RESET (7.2 clears it).
    client.authenticated = !ctx.server.auth_required();
    ctx.reply.set_protocol(Protocol::Resp2);
    ctx.reply.simple(b"RESET");
    Ok(())
}

/// Checks a password for `username` against `requirepass` (the only user is `default`).
fn password_ok(ctx: &Ctx, username: &[u8], password: &[u8]) -> bool {
    if !username.eq_ignore_ascii_case(b"default") {
        return false;
    }
    match &ctx.server.config.requirepass {
        // The default user without a password accepts any.
        None => true,
        Some(required) => required.as_slice() == password,
    }
}

fn auth(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(errors::SYNTAX);
    }
    // Passwords (and user names) never reach the slow log or MONITOR.
    ctx.redact(1);
    let (username, password) = match args.len() {
        2 => (&b"default"[..], args.get(1)),
        _ => {
            ctx.redact(2);
            (args.get(1), args.get(2))
        }
    };
    if args.len() == 2 && !ctx.server.auth_required() {
        return Err(CmdError::new(
            "ERR AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?",
        ));
    }
    if !password_ok(ctx, username, password) {
        return Err(errors::WRONG_PASS);
    }
    ctx.client.authenticated = true;
    ctx.reply.ok();
    Ok(())
}

/// Client names (and library names) must be printable ASCII without spaces.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

pub const INVALID_CLIENT_NAME: CmdError =
    CmdError::new("ERR Client names cannot contain spaces, newlines or special characters.");

fn hello(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut protocol = None;
    let mut next = 1;
    if args.len() >= 2 {
        let version = args
            .i64(1)
            .map_err(|_| CmdError::new("ERR Protocol version is not an integer or out of range"))?;
        protocol = Some(match version {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Err(CmdError::new("NOPROTO unsupported protocol version")),
        });
        next = 2;
    }
    let mut credentials = None;
    let mut name = None;
    while next < args.len() {
        let remaining = args.len() - next - 1;
        if args.is(next, "AUTH") && remaining >= 2 {
            ctx.redact(next + 1);
            ctx.redact(next + 2);
            credentials = Some((args.get(next + 1), args.get(next + 2)));
            next += 3;
        } else if args.is(next, "SETNAME") && remaining >= 1 {
            name = Some(args.get(next + 1));
            next += 2;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(args.get(next))
            )));
        }
    }
    if let Some((username, password)) = credentials {
        if !password_ok(ctx, username, password) {
            return Err(errors::WRONG_PASS);
        }
        ctx.client.authenticated = true;
    }
    if ctx.server.auth_required() && !ctx.client.authenticated {
        return Err(CmdError::new(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
             the RESP protocol version at the same time",
        ));
    }
    if let Some(name) = name {
        if !valid_client_name(name) {
            return Err(INVALID_CLIENT_NAME);
        }
        ctx.client.name = (!name.is_empty()).then(|| name.to_vec());
    }
    if let Some(protocol) = protocol {
        // The switch happens before the reply, so `HELLO 3` is answered in RESP3.
        ctx.client.protocol = protocol;
        ctx.reply.set_protocol(protocol);
    }
    let reply = &mut *ctx.reply;
    reply.map(7);
    reply.bulk(b"server");
    reply.bulk(b"redis");
    reply.bulk(b"version");
    reply.bulk(REDIS_VERSION.as_bytes());
    reply.bulk(b"proto");
    reply.int(if reply.is_resp3() { 3 } else { 2 });
    reply.bulk(b"id");
    reply.int(ctx.client.id as i64);
    reply.bulk(b"mode");
    reply.bulk(b"standalone");
    reply.bulk(b"role");
    reply.bulk(b"master");
    reply.bulk(b"modules");
    reply.array(0);
    Ok(())
}

fn select(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let index = args.i64(1)?;
    if ctx.server.config.cluster_enabled && index != 0 {
        return Err(CmdError::new("ERR SELECT is not allowed in cluster mode"));
    }
    if index < 0 || index >= ctx.server.config.databases as i64 {
        return Err(errors::DB_INDEX_OUT_OF_RANGE);
    }
    ctx.client.db = index as usize;
    ctx.reply.ok();
    Ok(())
}
