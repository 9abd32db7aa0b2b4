//! Persistence commands: `SAVE` and `LASTSAVE`, over the server's RDB file
//! (`server::persistence`).

use super::errors::{CmdError, CmdResult};
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
