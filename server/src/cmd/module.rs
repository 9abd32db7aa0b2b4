//! `MODULE`: zedis loads no Redis modules (they are C shared objects written against Redis's
//! own structures), so `LIST` is empty and a load fails with the error Redis gives for a module
//! that does not load. `LOAD`, `LOADEX` and `UNLOAD` are protected by `enable-module-command`
//! (`no` by default), as in Redis.

use super::errors::{CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};

const LOADING_FLAGS: u32 = NO_ASYNC_LOADING | ADMIN | NOSCRIPT | PROTECTED;

pub static COMMANDS: &[Command] = &[Command::container(
    "module",
    -2,
    Group::Server,
    &[
        Command::new("help", 2, LOADING | STALE, Group::Server, help).doc(
            "5.0.0",
            "Show helpful text about the different subcommands",
            "O(1)",
        ),
        Command::new("list", 2, ADMIN | NOSCRIPT, Group::Server, list).doc(
            "4.0.0",
            "List all modules loaded by the server",
            "O(N) where N is the number of loaded modules.",
        ),
        Command::new("load", -3, LOADING_FLAGS, Group::Server, load)
            .doc("4.0.0", "Load a module", "O(1)")
            .syntax("path [arg [arg ...]]"),
        Command::new("loadex", -3, LOADING_FLAGS, Group::Server, load)
            .doc("7.0.0", "Load a module with extended parameters", "O(1)")
            .syntax("path [CONFIG name value [CONFIG name value ...]] [ARGS arg [arg ...]]"),
        Command::new("unload", 3, LOADING_FLAGS, Group::Server, unload)
            .doc("4.0.0", "Unload a module", "O(1)")
            .syntax("name"),
    ],
)
.doc(
    "4.0.0",
    "A container for module commands",
    "Depends on subcommand.",
)];

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::introspection::reply_help(
        ctx,
        "MODULE",
        &[
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ],
    );
    Ok(())
}

/// No module is ever loaded.
fn list(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.reply.array(0);
    Ok(())
}

/// Redis logs why a module did not load and replies this; zedis logs that it loads none.
fn load(_ctx: &mut Ctx, args: &Args) -> CmdResult {
    tracing::warn!(
        "Module {} failed to load: zedis does not load Redis modules",
        String::from_utf8_lossy(args.get(2))
    );
    Err(CmdError::new(
        "ERR Error loading the extension. Please check the server logs.",
    ))
}

fn unload(_ctx: &mut Ctx, _args: &Args) -> CmdResult {
    Err(CmdError::new(
        "ERR Error unloading module: no such module with that name",
    ))
}
