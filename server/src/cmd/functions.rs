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
    let (engine, libraries) = ctx.server.functions_mut().map_err(error)?;
    let name =
        functions::create(engine, libraries, args.get(code_at), replace, timeout).map_err(error)?;
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
    let (engine, libraries) = ctx.server.functions_mut().map_err(error)?;
    let mut restored = Libraries::default();
    for code in &codes {
        if let Err(e) = functions::create(engine, &mut restored, code, false, None) {
            engine.release(restored.callbacks());
            return Err(error(e));
        }
    }
    if policy == Policy::Flush {
        let old = std::mem::replace(libraries, restored);
        engine.release(old.callbacks());
    } else {
        functions::join(engine, libraries, restored, policy == Policy::Replace).map_err(error)?;
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

#[cfg(test)]
mod tests {
    use crate::cmd::harness::Harness;

    const LIB: &str = "\"#!lua name=lib\\nredis.register_function('set_it', function(keys, args) \
                       return redis.call('set', keys[1], args[1]) end)\\n\
                       redis.register_function{function_name='get_it', callback=function(keys) \
                       return redis.call('get', keys[1]) end, flags={'no-writes'}, \
                       description='reads'}\"";

    /// `bytes` as a double-quoted argument of a command line.
    fn quoted(bytes: &[u8]) -> String {
        let escaped: String = bytes.iter().map(|b| format!("\\x{b:02x}")).collect();
        format!("\"{escaped}\"")
    }

    #[test]
    fn load_call_list_and_delete() {
        let mut h = Harness::new();
        assert_eq!(h.run(&format!("FUNCTION LOAD {LIB}")), "$3\r\nlib\r\n");
        assert_eq!(h.run("FCALL set_it 1 k v"), "+OK\r\n");
        assert_eq!(h.run("FCALL GET_IT 1 k"), "$1\r\nv\r\n");
        assert_eq!(h.run("FCALL_RO get_it 1 k"), "$1\r\nv\r\n");
        assert_eq!(
            h.run("FCALL_RO set_it 1 k v"),
            "-ERR Can not execute a script with write flag using *_ro command.\r\n"
        );
        assert_eq!(
            h.run("FUNCTION LIST"),
            "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$3\r\nlib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n\
             $9\r\nfunctions\r\n*2\r\n\
             *6\r\n$4\r\nname\r\n$6\r\nset_it\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n\
             *6\r\n$4\r\nname\r\n$6\r\nget_it\r\n$11\r\ndescription\r\n$5\r\nreads\r\n\
             $5\r\nflags\r\n*1\r\n+no-writes\r\n"
        );
        assert_eq!(h.run("FUNCTION LIST LIBRARYNAME nomatch*"), "*0\r\n");
        assert_eq!(
            h.run(&format!("FUNCTION LOAD {LIB}")),
            "-ERR Library 'lib' already exists\r\n"
        );
        assert_eq!(h.run("FUNCTION DELETE lib"), "+OK\r\n");
        assert_eq!(h.run("FCALL set_it 1 k v"), "-ERR Function not found\r\n");
        assert_eq!(h.run("FUNCTION DELETE lib"), "-ERR Library not found\r\n");
    }

    #[test]
    fn a_failed_load_leaves_the_libraries_as_they_were() {
        let mut h = Harness::new();
        h.run(&format!("FUNCTION LOAD {LIB}"));
        // The replacement registers a function another library has: nothing changes.
        h.run("FUNCTION LOAD \"#!lua name=other\\nredis.register_function('f', function() return 1 end)\"");
        assert_eq!(
            h.run(
                "FUNCTION LOAD REPLACE \"#!lua name=lib\\nredis.register_function('f', \
                 function() return 2 end)\""
            ),
            "-ERR Function f already exists\r\n"
        );
        assert_eq!(h.run("FCALL set_it 1 k v"), "+OK\r\n");
        assert_eq!(
            h.run(
                "FUNCTION LOAD REPLACE \"#!lua name=lib\\nredis.register_function('g', \
                 function() return 3 end) error_here()\""
            ),
            "-ERR Error registering functions: ERR user_function:2: Script attempted to access \
             nonexistent global variable 'error_here'\r\n"
        );
        assert_eq!(h.run("FCALL g 0"), "-ERR Function not found\r\n");
        assert_eq!(h.run("FCALL get_it 1 k"), "$1\r\nv\r\n");
        assert_eq!(
            h.run("FUNCTION STATS"),
            "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n\
             $15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:3\r\n"
        );
    }

    #[test]
    fn a_load_that_runs_too_long_is_stopped() {
        let mut h = Harness::new();
        let started = std::time::Instant::now();
        assert_eq!(
            h.run("FUNCTION LOAD \"#!lua name=spin\\nlocal a = 1 while true do a = a + 1 end\""),
            "-ERR Error registering functions: ERR FUNCTION LOAD timeout\r\n"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(h.run("FUNCTION LIST"), "*0\r\n");
    }

    #[test]
    fn dump_and_restore_with_each_policy() {
        let mut h = Harness::new();
        h.run(&format!("FUNCTION LOAD {LIB}"));
        let dump = h.run_bytes("FUNCTION DUMP");
        // A bulk string: `$<len>\r\n<payload>\r\n`.
        let start = dump.iter().position(|&b| b == b'\n').expect("header") + 1;
        let payload = dump[start..dump.len() - 2].to_vec();
        assert_eq!(payload[0], crate::rdb::OP_FUNCTION2);
        let restore = format!("FUNCTION RESTORE {}", quoted(&payload));
        assert_eq!(
            h.run(&restore),
            "-ERR Library lib already exists\r\n",
            "APPEND is the default"
        );
        assert_eq!(h.run(&format!("{restore} REPLACE")), "+OK\r\n");
        h.run("FUNCTION FLUSH");
        h.run("FUNCTION LOAD \"#!lua name=x\\nredis.register_function('x', function() return 'x' end)\"");
        assert_eq!(h.run(&format!("{restore} FLUSH")), "+OK\r\n");
        assert_eq!(h.run("FCALL x 0"), "-ERR Function not found\r\n");
        assert_eq!(h.run("FCALL set_it 1 k v"), "+OK\r\n");
        let mut damaged = payload.clone();
        damaged[5] ^= 1;
        assert_eq!(
            h.run(&format!("FUNCTION RESTORE {} FLUSH", quoted(&damaged))),
            "-ERR DUMP payload version or checksum are wrong\r\n"
        );
        assert_eq!(h.run("FCALL get_it 1 k"), "$1\r\nv\r\n");
    }

    #[test]
    fn library_changes_propagate_as_sent_and_calls_as_effects() {
        let mut h = Harness::new();
        h.server.aof.state = crate::server::aof::AofState::On;
        h.server.keyspace.propagation.set_enabled(true);
        let dirty = h.dirty();
        h.run(&format!("FUNCTION LOAD {LIB}"));
        assert_eq!(h.dirty(), dirty + 1);
        let text = String::from_utf8_lossy(&h.server.aof.buf).into_owned();
        assert!(text.contains("$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"), "{text}");
        h.server.aof.buf.clear();
        h.run("FCALL set_it 1 k v");
        assert_eq!(
            String::from_utf8_lossy(&h.server.aof.buf).replace("\r\n", " "),
            "*3 $3 set $1 k $1 v "
        );
        h.server.aof.buf.clear();
        h.run("FUNCTION FLUSH");
        assert_eq!(
            String::from_utf8_lossy(&h.server.aof.buf).replace("\r\n", " "),
            "*2 $8 FUNCTION $5 FLUSH "
        );
    }

    #[test]
    fn info_memory_counts_libraries_and_flush_returns_the_heap() {
        let mut h = Harness::new();
        let field = |h: &mut Harness, name: &str| -> usize {
            let info = h.run("INFO memory");
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")))
                .expect("field")
                .trim()
                .parse()
                .expect("number")
        };
        assert_eq!(field(&mut h, "used_memory_vm_functions"), 0);
        h.run(&format!("FUNCTION LOAD {LIB}"));
        assert_eq!(field(&mut h, "number_of_libraries"), 1);
        assert_eq!(field(&mut h, "number_of_functions"), 2);
        assert!(field(&mut h, "used_memory_vm_functions") > 0);
        assert!(field(&mut h, "used_memory_functions") > LIB.len());
        h.run("FUNCTION FLUSH");
        assert_eq!(field(&mut h, "used_memory_vm_functions"), 0);
        assert_eq!(field(&mut h, "used_memory_functions"), 0);
        assert_eq!(field(&mut h, "number_of_functions"), 0);
    }
}
