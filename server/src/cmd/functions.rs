//! `FUNCTION` and `FCALL`/`FCALL_RO`: Redis 7.0's function libraries (`functions.c`). A library
//! is Lua code that registers named functions when it loads; `FCALL` runs one of them as
//! `EVAL` runs a script, through the same run (`scripting::execute`). Libraries are part of the
//! dataset: `FUNCTION LOAD`, `DELETE`, `FLUSH` and `RESTORE` count as changes and propagate as
//! sent, and the RDB and an AOF rewrite carry them.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::scripting::{self, Target};
use super::{Args, Command, Ctx, Group};
use crate::rdb::save::write_functions;
use crate::rdb::write::RdbWriter;
use crate::script::flags as script_flags;
use crate::script::functions::{self, ENGINE_NAME, LOAD_TIMEOUT, Libraries};

const FCALL_FLAGS: u32 =
    NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE | SCRIPT_DECLARES_FLAGS;
const FCALL_RO_FLAGS: u32 =
    NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY | SCRIPT_DECLARES_FLAGS;

pub static COMMANDS: &[Command] = &[
    Command::new("fcall", -3, FCALL_FLAGS, Group::Scripting, fcall)
        .doc(
            "7.0.0",
            "Invoke a function",
            "Depends on the function that is executed.",
        )
        .syntax("function numkeys [key [key ...]] [arg [arg ...]]"),
    Command::new("fcall_ro", -3, FCALL_RO_FLAGS, Group::Scripting, fcall_ro)
        .doc(
            "7.0.0",
            "Invoke a read-only function",
            "Depends on the function that is executed.",
        )
        .syntax("function numkeys [key [key ...]] [arg [arg ...]]"),
    Command::container(
        "function",
        -2,
        Group::Scripting,
        &[
            Command::new("delete", 3, NOSCRIPT | WRITE, Group::Scripting, delete)
                .doc("7.0.0", "Delete a function by name", "O(1)")
                .syntax("library-name"),
            Command::new("dump", 2, NOSCRIPT, Group::Scripting, dump).doc(
                "7.0.0",
                "Dump all functions into a serialized binary payload",
                "O(N) where N is the number of functions",
            ),
            Command::new("flush", -2, NOSCRIPT | WRITE, Group::Scripting, flush)
                .doc(
                    "7.0.0",
                    "Deleting all functions",
                    "O(N) where N is the number of functions deleted",
                )
                .syntax("[ASYNC|SYNC]"),
            Command::new("help", 2, LOADING | STALE, Group::Scripting, help).doc(
                "7.0.0",
                "Show helpful text about the different subcommands",
                "O(1)",
            ),
            Command::new("kill", 2, NOSCRIPT | ALLOW_BUSY, Group::Scripting, kill).doc(
                "7.0.0",
                "Kill the function currently in execution.",
                "O(1)",
            ),
            Command::new("list", -2, NOSCRIPT, Group::Scripting, list)
                .doc(
                    "7.0.0",
                    "List information about all the functions",
                    "O(N) where N is the number of functions",
                )
                .syntax("[LIBRARYNAME library-name-pattern] [WITHCODE]"),
            Command::new(
                "load",
                -3,
                NOSCRIPT | WRITE | DENYOOM,
                Group::Scripting,
                load,
            )
            .doc(
                "7.0.0",
                "Create a function with the given arguments (name, code, description)",
                "O(1) (considering compilation time is redundant)",
            )
            .syntax("[REPLACE] function-code"),
            Command::new(
                "restore",
                -3,
                NOSCRIPT | WRITE | DENYOOM,
                Group::Scripting,
                restore,
            )
            .doc(
                "7.0.0",
                "Restore all the functions on the given payload",
                "O(N) where N is the number of functions on the payload",
            )
            .syntax("serialized-value policy:[FLUSH|APPEND|REPLACE]"),
            Command::new("stats", 2, NOSCRIPT | ALLOW_BUSY, Group::Scripting, stats).doc(
                "7.0.0",
                "Return information about the function currently running (name, description, \
                 duration)",
                "O(1)",
            ),
        ],
    )
    .doc(
        "7.0.0",
        "A container for function commands",
        "Depends on subcommand.",
    ),
];

fn fcall(ctx: &mut Ctx, args: &Args) -> CmdResult {
    call_function(ctx, args, false)
}

fn fcall_ro(ctx: &mut Ctx, args: &Args) -> CmdResult {
    call_function(ctx, args, true)
}

/// `fcallCommandGeneric`: finds the function, checks the key count, runs it.
fn call_function(ctx: &mut Ctx, args: &Args, read_only: bool) -> CmdResult {
    // Monitors see the call before the commands it runs (it is `skip_monitor` for `call`).
    if !ctx.server.monitors.is_empty() {
        super::monitor::feed(ctx, args);
    }
    let Some(function) = ctx.server.functions.function(args.get(1)) else {
        return Err(CmdError::new("ERR Function not found"));
    };
    let (name, callback, flags) = (function.name.clone(), function.callback, function.flags);
    let numkeys = args
        .i64(2)
        .map_err(|_| CmdError::new("ERR Bad number of keys provided"))?;
    let numkeys = scripting::checked_numkeys(numkeys, args.len())?;
    scripting::execute(
        ctx,
        args,
        Target::Function {
            name: &name,
            callback,
        },
        flags,
        read_only,
        numkeys,
    )
}

/// The declared flags of the function an `FCALL` names (`fcallGetCommandFlags`).
pub fn declared_flags(libraries: &Libraries, args: &Args) -> Option<u32> {
    libraries.function(args.try_get(1)?).map(|f| f.flags)
}

/// A change to the libraries: counted and propagated as sent, as Redis's `server.dirty++`.
fn changed(ctx: &mut Ctx) {
    ctx.server.keyspace.stats.dirty += 1;
}

/// `FUNCTION LOAD [REPLACE] <code>`.
fn load(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut replace = false;
    let code_at = args.len() - 1;
    for option in args.iter().take(code_at).skip(2) {
        if option.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(option)
            )));
        }
    }
    // What the AOF replays is loaded whatever it takes (`mustObeyClient`).
    let timeout = (ctx.client.id != super::aof_load::AOF_CLIENT_ID).then_some(LOAD_TIMEOUT);
    let server = &mut *ctx.server;
    server.function_engine().map_err(error)?;
    let engine = server
        .function_engine
        .as_deref_mut()
        .expect("created above");
    let name = functions::create(
        engine,
        &mut server.functions,
        args.get(code_at),
        replace,
        timeout,
    )
    .map_err(error)?;
    changed(ctx);
    ctx.reply.bulk(name.as_bytes());
    Ok(())
}

/// An engine's error text as the reply Redis gives it (`addReplyErrorSds`).
fn error(text: String) -> CmdError {
    CmdError::owned(format!("ERR {text}"))
}

/// `FUNCTION DELETE <library>`.
fn delete(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let name = String::from_utf8_lossy(args.get(2));
    let server = &mut *ctx.server;
    let deleted = match server.function_engine.as_deref_mut() {
        Some(engine) => functions::delete(engine, &mut server.functions, &name),
        None => false,
    };
    if !deleted {
        return Err(CmdError::new("ERR Library not found"));
    }
    changed(ctx);
    ctx.reply.ok();
    Ok(())
}

/// `FUNCTION FLUSH [ASYNC|SYNC]`: the libraries go with their interpreter.
fn flush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match args.len() {
        2 => {}
        3 if args.is(2, "sync") || args.is(2, "async") => {}
        3 => {
            return Err(CmdError::new(
                "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
            ));
        }
        _ => return Err(errors::unknown_subcommand_or_arity(args.get(1), "function")),
    }
    ctx.server.clear_functions();
    changed(ctx);
    ctx.reply.ok();
    Ok(())
}

/// `FUNCTION KILL`: stops a busy function that has not written.
fn kill(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    scripting::kill(ctx, false)
}

/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`.
fn list(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut with_code, mut pattern): (bool, Option<&[u8]>) = (false, None);
    let mut i = 2;
    while i < args.len() {
        let arg = args.get(i);
        if !with_code && arg.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && arg.eq_ignore_ascii_case(b"libraryname") {
            if i + 1 >= args.len() {
                return Err(CmdError::new("ERR library name argument was not given"));
            }
            i += 1;
            pattern = Some(args.get(i));
        } else {
            return Err(CmdError::owned(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(arg)
            )));
        }
        i += 1;
    }
    let reply = &mut *ctx.reply;
    let libraries: Vec<_> = ctx
        .server
        .functions
        .iter()
        .filter(|l| pattern.is_none_or(|p| crate::util::glob_match(p, l.name.as_bytes(), true)))
        .collect();
    reply.array(libraries.len());
    for library in libraries {
        reply.map(if with_code { 4 } else { 3 });
        reply.bulk(b"library_name");
        reply.bulk(library.name.as_bytes());
        reply.bulk(b"engine");
        reply.bulk(ENGINE_NAME.as_bytes());
        reply.bulk(b"functions");
        reply.array(library.functions.len());
        for function in &library.functions {
            reply.map(3);
            reply.bulk(b"name");
            reply.bulk(function.name.as_bytes());
            reply.bulk(b"description");
            match &function.description {
                Some(description) => reply.bulk(description),
                None => reply.null(),
            }
            reply.bulk(b"flags");
            let declared: Vec<&str> = script_flags::NAMES
                .iter()
                .filter(|(_, flag)| function.flags & flag != 0)
                .map(|(name, _)| *name)
                .collect();
            reply.set(declared.len());
            for name in declared {
                reply.simple(name.as_bytes());
            }
        }
        if with_code {
            reply.bulk(b"library_code");
            reply.bulk(&library.code);
        }
    }
    Ok(())
}

/// `FUNCTION STATS`: the function running, if any, and the libraries and functions per
/// engine. While an `EVAL` script is busy it is Redis's `BUSY` error.
fn stats(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if let Some(busy) = &ctx.server.busy_script
        && busy.function.is_none()
    {
        return Err(errors::BUSY_SCRIPT);
    }
    let reply = &mut *ctx.reply;
    reply.map(2);
    reply.bulk(b"running_script");
    match ctx
        .server
        .busy_script
        .as_ref()
        .and_then(|b| Some((b, b.function.as_ref()?)))
    {
        None => reply.null(),
        Some((busy, function)) => {
            let (name, command) = &**function;
            reply.map(3);
            reply.bulk(b"name");
            reply.bulk(name.as_bytes());
            reply.bulk(b"command");
            reply.array(command.len());
            for arg in command {
                reply.bulk(arg);
            }
            reply.bulk(b"duration_ms");
            reply.int(busy.started.elapsed().as_millis() as i64);
        }
    }
    reply.bulk(b"engines");
    reply.map(1);
    reply.bulk(ENGINE_NAME.as_bytes());
    reply.map(2);
    reply.bulk(b"libraries_count");
    reply.int(ctx.server.functions.len() as i64);
    reply.bulk(b"functions_count");
    reply.int(ctx.server.functions.function_count() as i64);
    Ok(())
}

/// `FUNCTION DUMP`: one `FUNCTION2` record per library, the RDB version and a CRC-64, as
/// `DUMP` frames a value.
fn dump(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let mut w = RdbWriter::new(Vec::new(), false, ctx.server.config.rdbcompression);
    write_functions(&mut w, &ctx.server.functions.codes()).expect("writing to memory");
    let payload = super::dump::framed(w.into_inner());
    ctx.reply.bulk(&payload);
    Ok(())
}

/// How `FUNCTION RESTORE` treats the libraries already there.
#[derive(PartialEq, Eq)]
enum Policy {
    Flush,
    Append,
    Replace,
}

/// `FUNCTION RESTORE <payload> [FLUSH|APPEND|REPLACE]`: the payload's libraries are loaded
/// apart first, so a bad payload or a name collision leaves the libraries as they were.
fn restore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(errors::unknown_subcommand_or_arity(args.get(1), "function"));
    }
    let policy = match args.try_get(3) {
        None => Policy::Append,
        Some(p) if p.eq_ignore_ascii_case(b"append") => Policy::Append,
        Some(p) if p.eq_ignore_ascii_case(b"replace") => Policy::Replace,
        Some(p) if p.eq_ignore_ascii_case(b"flush") => Policy::Flush,
        Some(_) => {
            return Err(CmdError::new(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    };
    let payload = args.get(2);
    if crate::rdb::load::verify_payload(payload).is_err() {
        return Err(CmdError::new(
            "ERR DUMP payload version or checksum are wrong",
        ));
    }
    let codes = crate::rdb::load::function_payloads(payload).map_err(error)?;
    let server = &mut *ctx.server;
    server.function_engine().map_err(error)?;
    let engine = server
        .function_engine
        .as_deref_mut()
        .expect("created above");
    let mut restored = Libraries::default();
    for code in &codes {
        if let Err(e) = functions::create(engine, &mut restored, code, false, None) {
            engine.release(restored.callbacks());
            return Err(error(e));
        }
    }
    if policy == Policy::Flush {
        let old = std::mem::replace(&mut server.functions, restored);
        engine.release(old.callbacks());
    } else {
        functions::join(
            engine,
            &mut server.functions,
            restored,
            policy == Policy::Replace,
        )
        .map_err(error)?;
    }
    changed(ctx);
    ctx.reply.ok();
    Ok(())
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::introspection::reply_help(
        ctx,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME \
             argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored \
             using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a \
             restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, \
             abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On \
             collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a \
             chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}
