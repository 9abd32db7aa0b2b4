//! `CLIENT` subcommands: ID, GETNAME, SETNAME, LIST, INFO, KILL, SETINFO, NO-EVICT, REPLY,
//! UNBLOCK, HELP, and the table entries of the client-side caching ones (`cmd::tracking`).

use std::time::Instant;

use super::connection::{INVALID_CLIENT_NAME, valid_client_name};
use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::client::{Client, ReplyMode};

pub static COMMANDS: &[Command] = &[Command::container("client", -2, Group::Connection, &[
    Command::new("id", 2, NOSCRIPT | LOADING | STALE, Group::Connection, id)
        .doc("5.0.0", "Returns the unique client ID of the connection.", "O(1)"),
    Command::new("getname", 2, NOSCRIPT | LOADING | STALE, Group::Connection, getname)
        .doc("2.6.9", "Returns the name of the connection.", "O(1)"),
    Command::new("setname", 3, NOSCRIPT | LOADING | STALE, Group::Connection, setname)
        .doc("2.6.9", "Sets the connection name.", "O(1)")
        .syntax("connection-name"),
    Command::new("list", -2, ADMIN | NOSCRIPT | LOADING | STALE, Group::Connection, list)
        .doc("2.4.0", "Lists open connections.", "O(N) where N is the number of client connections")
        .syntax("[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]"),
    Command::new("info", 2, NOSCRIPT | LOADING | STALE, Group::Connection, info)
        .doc("6.2.0", "Returns information about the connection.", "O(1)"),
    Command::new("kill", -3, ADMIN | NOSCRIPT | LOADING | STALE, Group::Connection, kill)
        .doc("2.4.0", "Terminates open connections.", "O(N) where N is the number of client connections")
        // Redis documents the new form as a repeated one-of of optional filters.
        .syntax("<ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME yes/no]> [<[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME yes/no]> ...]>"),
    Command::new("setinfo", 4, NOSCRIPT | LOADING | STALE, Group::Connection, setinfo)
        .doc("7.2.0", "Sets information specific to the client or connection.", "O(1)")
        .syntax("<LIB-NAME libname | LIB-VER libver>"),
    Command::new("no-evict", 3, ADMIN | NOSCRIPT | LOADING | STALE, Group::Connection, no_evict)
        .doc("7.0.0", "Sets the client eviction mode of the connection.", "O(1)")
        .syntax("<ON | OFF>"),
    Command::new("reply", 3, NOSCRIPT | LOADING | STALE, Group::Connection, reply)
        .doc("3.2.0", "Instructs the server whether to reply to commands.", "O(1)")
        .syntax("<ON | OFF | SKIP>"),
    Command::new("unblock", -3, ADMIN | NOSCRIPT | LOADING | STALE, Group::Connection, unblock)
        .doc("5.0.0", "Unblocks a client blocked by a blocking command from a different connection.", "O(log N) where N is the number of client connections")
        .syntax("client-id [TIMEOUT | ERROR]"),
    Command::new("pause", -3, ADMIN | NOSCRIPT | LOADING | STALE, Group::Connection, pause)
        .doc("3.0.0", "Suspends commands processing.", "O(1)")
        .syntax("timeout [WRITE | ALL]"),
    Command::new("unpause", 2, ADMIN | NOSCRIPT | LOADING | STALE, Group::Connection, unpause)
        .doc("6.2.0", "Resumes processing commands from paused clients.", "O(N) Where N is the number of paused clients"),
    Command::new("tracking", -3, NOSCRIPT | LOADING | STALE, Group::Connection, super::tracking::tracking)
        .doc("6.0.0", "Enable or disable server assisted client side caching support", "O(1). Some options may introduce additional complexity.")
        .syntax("status:<ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]"),
    Command::new("caching", 3, NOSCRIPT | LOADING | STALE, Group::Connection, super::tracking::caching)
        .doc("6.0.0", "Instruct the server about tracking or not keys in the next request", "O(1)")
        .syntax("mode:<YES | NO>"),
    Command::new("getredir", 2, NOSCRIPT | LOADING | STALE, Group::Connection, super::tracking::getredir)
        .doc("6.0.0", "Get tracking notifications redirection client ID if any", "O(1)"),
    Command::new("trackinginfo", 2, NOSCRIPT | LOADING | STALE, Group::Connection, super::tracking::trackinginfo)
        .doc("6.2.0", "Return information about server assisted client side caching for the current connection", "O(1)"),
    Command::new("help", 2, LOADING | STALE, Group::Connection, help)
        .doc("5.0.0", "Returns helpful text about the different subcommands.", "O(1)"),
])
.doc("2.4.0", "A container for client connection commands.", "Depends on subcommand.")];

fn id(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.reply.int(ctx.client.id as i64);
    Ok(())
}

fn getname(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    match &ctx.client.name {
        Some(name) => ctx.reply.bulk(name),
        None => ctx.reply.null(),
    }
    Ok(())
}

fn setname(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let name = args.get(2);
    if !valid_client_name(name) {
        return Err(INVALID_CLIENT_NAME);
    }
    ctx.client.name = (!name.is_empty()).then(|| name.to_vec());
    ctx.reply.ok();
    Ok(())
}

/// The name `CLIENT LIST` shows as `cmd=` for a client's last command.
fn command_name(client: &Client) -> String {
    client
        .last_command
        .map(|i| super::table().entry(i).full_name.clone())
        .unwrap_or_else(|| "NULL".to_string())
}

/// Calls `visit` with every client, the caller included (whose `RefCell` is already borrowed,
/// so it is passed in directly).
fn for_each_client(ctx: &Ctx, mut visit: impl FnMut(&Client)) {
    for (&id, other) in &ctx.server.clients {
        if id == ctx.client.id {
            visit(ctx.client);
        } else {
            visit(&other.borrow());
        }
    }
}

/// Client types of `CLIENT LIST TYPE` and `CLIENT KILL TYPE`.
fn parse_type(name: &[u8]) -> Result<&'static str, CmdError> {
    match name.to_ascii_lowercase().as_slice() {
        b"normal" => Ok("normal"),
        b"slave" | b"replica" => Ok("replica"),
        b"master" => Ok("master"),
        b"pubsub" => Ok("pubsub"),
        _ => Err(CmdError::owned(format!(
            "ERR Unknown client type '{}'",
            String::from_utf8_lossy(name)
        ))),
    }
}

fn list(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut only_type = None;
    let mut only_ids: Option<Vec<u64>> = None;
    if args.len() == 4 && args.is(2, "TYPE") {
        only_type = Some(parse_type(args.get(3))?);
    } else if args.len() > 3 && args.is(2, "ID") {
        let mut ids = Vec::new();
        for arg in args.from(3) {
            let id = crate::util::parse_i64(arg)
                .ok_or_else(|| CmdError::new("ERR Invalid client ID"))?;
            ids.push(id as u64);
        }
        only_ids = Some(ids);
    } else if args.len() != 2 {
        return Err(errors::SYNTAX);
    }
    let now = Instant::now();
    let mut text = String::new();
    for_each_client(ctx, |client| {
        if only_type.is_some_and(|t| t != client.type_name()) {
            return;
        }
        if only_ids
            .as_ref()
            .is_some_and(|ids| !ids.contains(&client.id))
        {
            return;
        }
        text.push_str(&client.info_line(&command_name(client), now));
        text.push('\n');
    });
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

fn info(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let name = command_name(ctx.client);
    let mut line = ctx.client.info_line(&name, Instant::now());
    line.push('\n');
    ctx.reply.verbatim(line.as_bytes());
    Ok(())
}

fn kill(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut id: Option<u64> = None;
    let mut only_type: Option<&str> = None;
    let mut skip_me = true;
    let old_form = args.len() == 3;
    if old_form {
        addr = Some(args.get(2));
        // With the old form a client may kill itself.
        skip_me = false;
    } else {
        let mut i = 2;
        while i < args.len() {
            let more = i + 1 < args.len();
            if args.is(i, "ID") && more {
                let value = crate::util::parse_i64(args.get(i + 1)).filter(|v| *v >= 1);
                id = Some(
                    value.ok_or_else(|| CmdError::new("ERR client-id should be greater than 0"))?
                        as u64,
                );
            } else if args.is(i, "TYPE") && more {
                only_type = Some(parse_type(args.get(i + 1))?);
            } else if args.is(i, "ADDR") && more {
                addr = Some(args.get(i + 1));
            } else if args.is(i, "LADDR") && more {
                laddr = Some(args.get(i + 1));
            } else if args.is(i, "USER") && more {
                if !args.get(i + 1).eq_ignore_ascii_case(b"default") {
                    return Err(CmdError::owned(format!(
                        "ERR No such user '{}'",
                        String::from_utf8_lossy(args.get(i + 1))
                    )));
                }
            } else if args.is(i, "SKIPME") && more {
                skip_me = match args.get(i + 1).to_ascii_lowercase().as_slice() {
                    b"yes" => true,
                    b"no" => false,
                    _ => return Err(errors::SYNTAX),
                };
            } else {
                return Err(errors::SYNTAX);
            }
            i += 2;
        }
    }
    let matches = |client: &Client| {
        addr.is_none_or(|a| client.addr.to_string().as_bytes() == a)
            && laddr.is_none_or(|a| client.laddr.to_string().as_bytes() == a)
            && id.is_none_or(|id| client.id == id)
            && only_type.is_none_or(|t| t == client.type_name())
    };
    let mut killed = 0;
    let me = ctx.client.id;
    let victims: Vec<u64> = ctx
        .server
        .clients
        .keys()
        .copied()
        .filter(|&cid| {
            if cid == me {
                !skip_me && matches(ctx.client)
            } else {
                matches(&ctx.server.clients[&cid].borrow())
            }
        })
        .collect();
    for cid in victims {
        killed += 1;
        if cid == me {
            ctx.client.close_after_reply = true;
        } else if let Some(client) = ctx.server.clients.get(&cid) {
            client.borrow_mut().kill();
        }
    }
    if old_form {
        if killed == 0 {
            return Err(CmdError::new("ERR No such client"));
        }
        ctx.reply.ok();
    } else {
        ctx.reply.int(killed);
    }
    Ok(())
}

fn setinfo(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let value = args.get(3);
    let which = if args.is(2, "LIB-NAME") {
        "lib-name"
    } else if args.is(2, "LIB-VER") {
        "lib-ver"
    } else {
        return Err(CmdError::owned(format!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(args.get(2))
        )));
    };
    if !valid_client_name(value) {
        return Err(CmdError::owned(format!(
            "ERR {which} cannot contain spaces, newlines or special characters."
        )));
    }
    let value = (!value.is_empty()).then(|| value.to_vec());
    if which == "lib-name" {
        ctx.client.lib_name = value;
    } else {
        ctx.client.lib_ver = value;
    }
    ctx.reply.ok();
    Ok(())
}

fn no_evict(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ctx.client.no_evict = match args.get(2).to_ascii_lowercase().as_slice() {
        b"on" => true,
        b"off" => false,
        _ => return Err(errors::SYNTAX),
    };
    ctx.reply.ok();
    Ok(())
}

fn reply(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match args.get(2).to_ascii_lowercase().as_slice() {
        b"on" => {
            ctx.client.reply_mode = ReplyMode::On;
            ctx.reply.ok();
        }
        b"off" => ctx.client.reply_mode = ReplyMode::Off,
        b"skip" => {
            if ctx.client.reply_mode != ReplyMode::Off {
                ctx.client.reply_mode = ReplyMode::Skip;
            }
        }
        _ => return Err(errors::SYNTAX),
    }
    Ok(())
}

fn unblock(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(errors::unknown_subcommand_or_arity(args.get(1), "client"));
    }
    let error = match args.try_get(3) {
        None => false,
        Some(reason) if reason.eq_ignore_ascii_case(b"timeout") => false,
        Some(reason) if reason.eq_ignore_ascii_case(b"error") => true,
        Some(_) => {
            return Err(CmdError::new(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    };
    let id = args.i64(2)?;
    let unblocked = id != ctx.client.id as i64
        && u64::try_from(id)
            .is_ok_and(|id| super::blocking::unblock_by_request(ctx.server, id, error));
    ctx.reply.int(unblocked as i64);
    Ok(())
}

/// `CLIENT PAUSE timeout [WRITE|ALL]`: holds back every command (`ALL`, the default) or those
/// that write or may replicate (`WRITE`) for `timeout` milliseconds.
fn pause(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(errors::unknown_subcommand_or_arity(args.get(1), "client"));
    }
    let all = match args.try_get(3) {
        None => true,
        Some(mode) if mode.eq_ignore_ascii_case(b"write") => false,
        Some(mode) if mode.eq_ignore_ascii_case(b"all") => true,
        Some(_) => return Err(CmdError::new("ERR CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let timeout = crate::util::parse_i64(args.get(2)).ok_or(CmdError::new(
        "ERR timeout is not an integer or out of range",
    ))?;
    if timeout < 0 {
        return Err(errors::TIMEOUT_NEGATIVE);
    }
    let now = ctx.server.clock.unix_ms();
    let until = match timeout {
        0 => 0,
        ms => (now as i64)
            .checked_add(ms)
            .ok_or(CmdError::new("ERR timeout is out of range"))? as u64,
    };
    ctx.server.pause_clients(all, until);
    ctx.reply.ok();
    Ok(())
}

fn unpause(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.server.pause.is_some() {
        ctx.server.unpause_clients();
    }
    ctx.reply.ok();
    Ok(())
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::introspection::reply_help(
        ctx,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <LIB-NAME|LIB-VER> <value>",
            "    Set the name or version of the client library.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    );
    Ok(())
}
