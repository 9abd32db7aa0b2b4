//! Persistence commands: `SAVE`, `BGSAVE` and `LASTSAVE`, over the server's RDB file
//! (`server::persistence`).

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
];

/// `SAVE`: a blocking save; Redis answers a failure with a bare `-ERR`.
fn save(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.server.persistence.background.is_some() {
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
    if ctx.server.persistence.background.is_some() {
        return Err(CmdError::new("ERR Background save already in progress"));
    }
    if ctx.client.in_exec {
        ctx.server.persistence.background_scheduled = true;
        ctx.reply.simple(b"Background saving scheduled");
        return Ok(());
    }
    ctx.server.start_background_save();
    ctx.reply.simple(b"Background saving started");
    Ok(())
}
