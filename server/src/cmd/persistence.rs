//! Persistence commands: `SAVE`, `BGSAVE` and `LASTSAVE` over the server's RDB file
//! (`server::persistence`), `BGREWRITEAOF` over its append-only file (`server::aof`).

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};

pub static COMMANDS: &[Command] = &[
    Command::new(
        "save",
        1,
        NO_ASYNC_LOADING | ADMIN | NOSCRIPT | NO_MULTI,
        Group::Server,
        save,
    )
    .doc(
        "1.0.0",
        "Synchronously saves the database(s) to disk.",
        "O(N) where N is the total number of keys in all databases",
    ),
    Command::new(
        "bgsave",
        -1,
        NO_ASYNC_LOADING | ADMIN | NOSCRIPT,
        Group::Server,
        bgsave,
    )
    .doc(
        "1.0.0",
        "Asynchronously saves the database(s) to disk.",
        "O(1)",
    )
    .syntax("[SCHEDULE]"),
    Command::new(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        Group::Server,
        lastsave,
    )
    .doc(
        "1.0.0",
        "Returns the Unix timestamp of the last successful save to disk.",
        "O(1)",
    ),
    Command::new(
        "bgrewriteaof",
        1,
        NO_ASYNC_LOADING | ADMIN | NOSCRIPT,
        Group::Server,
        bgrewriteaof,
    )
    .doc(
        "1.0.0",
        "Asynchronously rewrites the append-only file to disk.",
        "O(1)",
    ),
];

/// `SAVE`: a blocking save; Redis answers a failure with a bare `-ERR`.
fn save(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.server.rdb_save_in_progress() {
        return Err(CmdError::new("ERR Background save already in progress"));
    }
    match ctx.server.save_rdb() {
        Ok(()) => {
            ctx.reply.ok();
            Ok(())
        }
        Err(_) => Err(CmdError::new("ERR")),
    }
}

fn lastsave(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.reply.int(ctx.server.persistence.last_save as i64);
    Ok(())
}

/// `BGSAVE [SCHEDULE]`: starts a background save; inside `EXEC` it is scheduled for the cron
/// instead, as Redis does.
fn bgsave(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 2 || (args.len() == 2 && !args.is(1, "SCHEDULE")) {
        return Err(errors::SYNTAX);
    }
    if ctx.server.rdb_save_in_progress() {
        return Err(CmdError::new("ERR Background save already in progress"));
    }
    // An AOF rewrite uses the one snapshot there is, as Redis's child would be busy.
    if ctx.server.persistence.background.is_some() || ctx.client.in_exec {
        if args.len() == 2 || ctx.client.in_exec {
            ctx.server.persistence.background_scheduled = true;
            ctx.reply.simple(b"Background saving scheduled");
            return Ok(());
        }
        return Err(CmdError::new(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE \
             SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ));
    }
    ctx.server.start_background_save();
    ctx.reply.simple(b"Background saving started");
    Ok(())
}

/// `BGREWRITEAOF`: starts a rewrite, or schedules one while a background save runs (or inside
/// `EXEC`), with Redis's replies.
fn bgrewriteaof(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.server.aof.rewrite.is_some() {
        return Err(CmdError::new(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if ctx.server.persistence.background.is_some() || ctx.client.in_exec {
        ctx.server.aof.rewrite_scheduled = true;
        ctx.server.aof.rewrite_failures = 0;
        ctx.reply
            .simple(b"Background append only file rewriting scheduled");
        return Ok(());
    }
    match ctx.server.start_aof_rewrite() {
        Ok(()) => {
            ctx.reply
                .simple(b"Background append only file rewriting started");
            Ok(())
        }
        Err(e) => {
            tracing::warn!("{e}");
            Err(CmdError::new(
                "ERR Can't execute an AOF background rewriting. Please check the server logs \
                 for more information.",
            ))
        }
    }
}
