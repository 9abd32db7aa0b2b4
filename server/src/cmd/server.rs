//! Server commands: INFO, TIME, SHUTDOWN.

use std::time::{SystemTime, UNIX_EPOCH};

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::server::Shutdown;

pub static COMMANDS: &[Command] = &[
    Command::new("info", -1, LOADING | STALE | SENTINEL, Group::Server, info)
        .doc("1.0.0", "Returns information and statistics about the server.", "O(1)")
        .syntax("[section [section ...]]"),
    Command::new("time", 1, LOADING | STALE | FAST, Group::Server, time)
        .doc("2.6.0", "Returns the server time.", "O(1)"),
    Command::new("shutdown", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | SENTINEL | ALLOW_BUSY, Group::Server, shutdown)
        .doc("1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)")
        .syntax("[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"),
];

fn info(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let requested: Vec<&[u8]> = args.from(1).collect();
    let sections = super::info::select(&requested);
    let text = super::info::render(ctx.server, ctx.client, &sections);
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

fn time(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    ctx.reply.array(2);
    ctx.reply.bulk_int(now.as_secs() as i64);
    ctx.reply.bulk_int(now.subsec_micros() as i64);
    Ok(())
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`. With `SAVE`, or with save points set and
/// no `NOSAVE`, the RDB file is written first (a background save in progress is abandoned); a
/// failed save stops the shutdown unless forced, as in Redis.
fn shutdown(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut save, mut nosave, mut force, mut abort) = (false, false, false, false);
    for arg in args.from(1) {
        match arg.to_ascii_lowercase().as_slice() {
            b"nosave" => nosave = true,
            b"save" => save = true,
            b"now" => {}
            b"force" => force = true,
            b"abort" => abort = true,
            _ => return Err(errors::SYNTAX),
        }
    }
    if (save && nosave) || (abort && args.len() > 2) {
        return Err(errors::SYNTAX);
    }
    if abort {
        return Err(CmdError::new("ERR No shutdown in progress."));
    }
    // A busy script stops only a shutdown that does not save.
    if !nosave && let Some(busy) = ctx.server.busy_error() {
        return Err(busy);
    }
    crate::process::shutdown_requested();
    let save = save || (!nosave && !ctx.server.config.save_params.is_empty());
    // During a load the dataset is half-read: never saved over the file.
    if save && ctx.server.persistence.loading.is_none() {
        ctx.server.abort_background_save();
        tracing::info!("Saving the final RDB snapshot before exiting.");
        crate::process::notify_supervisor("STATUS=Saving the final RDB snapshot");
        if let Err(e) = ctx.server.save_rdb() {
            tracing::warn!("Error trying to save the DB, can't exit: {e}");
            crate::process::notify_supervisor("STATUS=Error trying to save the DB, can't exit.");
            if !force {
                return Err(CmdError::new("ERR Errors trying to SHUTDOWN. Check logs."));
            }
        }
    }
    ctx.server.shutdown = Some(Shutdown::Requested);
    ctx.server.shutdown_signal.notify_one();
    // Redis closes the connection without a reply.
    ctx.client.close_asap = true;
    Ok(())
}
