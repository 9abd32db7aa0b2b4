//! `EVAL`, `EVALSHA`, their `_RO` forms and `SCRIPT`: Lua scripts run atomically on the
//! command thread (Redis's `eval.c` and `script.c`).
//!
//! The interpreter ([`EvalEngine`]) is created on first use and dropped by `SCRIPT FLUSH`, so a
//! server that runs no script holds no Lua heap. Commands a script calls go through [`call`] on
//! a script client of their own, after the checks Redis's `scriptCall` makes; their effects are
//! what is propagated, the script itself is not.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group, call};
use crate::client::Client;
use crate::protocol::reply::Reply;
use crate::script::convert::WrittenError;
use crate::script::engine::EvalEngine;
use crate::script::flags as script_flags;
use crate::script::vm::ScriptHost;
use crate::server::{BusyScript, Server};

const EVAL_FLAGS: u32 =
    NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE | SCRIPT_DECLARES_FLAGS;
const EVAL_RO_FLAGS: u32 =
    NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY | SCRIPT_DECLARES_FLAGS;
const EVAL_COMPLEXITY: &str = "Depends on the script that is executed.";

pub static COMMANDS: &[Command] = &[
    Command::new("eval", -3, EVAL_FLAGS, Group::Scripting, eval)
        .doc("2.6.0", "Execute a Lua script server side", EVAL_COMPLEXITY)
        .syntax("script numkeys [key [key ...]] [arg [arg ...]]"),
    Command::new("eval_ro", -3, EVAL_RO_FLAGS, Group::Scripting, eval_ro)
        .doc(
            "7.0.0",
            "Execute a read-only Lua script server side",
            EVAL_COMPLEXITY,
        )
        .syntax("script numkeys [key [key ...]] [arg [arg ...]]"),
    Command::new("evalsha", -3, EVAL_FLAGS, Group::Scripting, evalsha)
        .doc("2.6.0", "Execute a Lua script server side", EVAL_COMPLEXITY)
        .syntax("sha1 numkeys [key [key ...]] [arg [arg ...]]"),
    Command::new(
        "evalsha_ro",
        -3,
        EVAL_RO_FLAGS,
        Group::Scripting,
        evalsha_ro,
    )
    .doc(
        "7.0.0",
        "Execute a read-only Lua script server side",
        EVAL_COMPLEXITY,
    )
    .syntax("sha1 numkeys [key [key ...]] [arg [arg ...]]"),
    Command::container(
        "script",
        -2,
        Group::Scripting,
        &[
            Command::new("exists", -3, NOSCRIPT, Group::Scripting, script_exists)
                .doc(
                    "2.6.0",
                    "Check existence of scripts in the script cache.",
                    "O(N) with N being the number of scripts to check (so checking a single \
                     script is an O(1) operation).",
                )
                .syntax("sha1 [sha1 ...]"),
            Command::new("flush", -2, NOSCRIPT, Group::Scripting, script_flush)
                .doc(
                    "2.6.0",
                    "Remove all the scripts from the script cache.",
                    "O(N) with N being the number of scripts in cache",
                )
                .syntax("[ASYNC|SYNC]"),
            Command::new("help", 2, LOADING | STALE, Group::Scripting, script_help).doc(
                "5.0.0",
                "Show helpful text about the different subcommands",
                "O(1)",
            ),
            Command::new(
                "kill",
                2,
                NOSCRIPT | ALLOW_BUSY,
                Group::Scripting,
                script_kill,
            )
            .doc("2.6.0", "Kill the script currently in execution.", "O(1)"),
            Command::new("load", 3, NOSCRIPT | STALE, Group::Scripting, script_load)
                .doc(
                    "2.6.0",
                    "Load the specified Lua script into the script cache.",
                    "O(N) with N being the length in bytes of the script body.",
                )
                .syntax("script"),
        ],
    )
    .doc(
        "2.6.0",
        "A container for Lua scripts management commands",
        "Depends on subcommand.",
    ),
];

fn eval(ctx: &mut Ctx, args: &Args) -> CmdResult {
    run(ctx, args, false, false)
}

fn eval_ro(ctx: &mut Ctx, args: &Args) -> CmdResult {
    run(ctx, args, false, true)
}

fn evalsha(ctx: &mut Ctx, args: &Args) -> CmdResult {
    run(ctx, args, true, false)
}

fn evalsha_ro(ctx: &mut Ctx, args: &Args) -> CmdResult {
    run(ctx, args, true, true)
}

const NO_SCRIPT: CmdError = CmdError::new("NOSCRIPT No matching script. Please use EVAL.");

/// The server's interpreter, created on first use.
fn engine(server: &mut Server) -> Result<&mut EvalEngine, CmdError> {
    if server.eval.is_none() {
        let engine = EvalEngine::new(server.eval_random)
            .map_err(|e| CmdError::owned(format!("ERR Lua could not start: {e}")))?;
        server.eval = Some(Box::new(engine));
    }
    Ok(server.eval.as_deref_mut().expect("created above"))
}

/// `evalGenericCommand`: resolves the script (compiling an `EVAL` body into the cache), checks
/// what its flags require, then runs it with the caller's keys and arguments.
fn run(ctx: &mut Ctx, args: &Args, by_sha: bool, read_only: bool) -> CmdResult {
    // Monitors see the script before the commands it runs (it is `skip_monitor` for `call`).
    if !ctx.server.monitors.is_empty() {
        super::monitor::feed(ctx, args);
    }
    let numkeys = args.i64(2)?;
    let numkeys = checked_numkeys(numkeys, args.len())?;
    let engine = engine(ctx.server)?;
    let created;
    let key;
    let sha = if by_sha {
        key = crate::script::engine::sha_key(args.get(1)).ok_or(NO_SCRIPT)?;
        std::str::from_utf8(&key).map_err(|_| NO_SCRIPT)?
    } else {
        created = engine
            .create(args.get(1))
            .map_err(|text| CmdError::owned(format!("ERR {text}")))?;
        created.as_str()
    };
    let flags = engine.lookup(sha).ok_or(NO_SCRIPT)?.flags;
    execute(ctx, args, Target::Script(sha), flags, read_only, numkeys)
}

/// `numkeys` checked against the arguments after it.
pub(super) fn checked_numkeys(numkeys: i64, argc: usize) -> Result<usize, CmdError> {
    if numkeys > (argc - 3) as i64 {
        return Err(CmdError::new(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(CmdError::new("ERR Number of keys can't be negative"));
    }
    Ok(numkeys as usize)
}

/// What a run executes: a cached `EVAL` script, or a function's callback.
pub(super) enum Target<'a> {
    Script(&'a str),
    Function { name: &'a str, callback: i64 },
}

/// Runs a script or function whose flags are `flags` with the request's keys and arguments
/// (`scriptPrepareForRun`, the engine's call, `scriptResetRun`).
pub(super) fn execute(
    ctx: &mut Ctx,
    args: &Args,
    target: Target,
    flags: u32,
    read_only: bool,
    numkeys: usize,
) -> CmdResult {
    prepare(ctx, flags, read_only)?;
    let keys: Vec<&[u8]> = args.iter().skip(3).take(numkeys).collect();
    let argv: Vec<&[u8]> = args.iter().skip(3 + numkeys).collect();
    let heap_limit = ctx.server.lua_heap_limit();
    let mut eval = None;
    let mut functions = None;
    match target {
        Target::Script(_) => eval = ctx.server.eval.take(),
        Target::Function { .. } => functions = ctx.server.function_engine.take(),
    }
    let vm = match (&mut eval, &mut functions) {
        (Some(engine), _) => engine.vm(),
        (_, Some(engine)) => engine.vm(),
        _ => return Err(CmdError::new("ERR the script engine is not running")),
    };
    vm.set_memory_limit(heap_limit);
    vm.set_random_state(ctx.server.eval_random);
    let mut script_client = ctx
        .server
        .script_client
        .take()
        .unwrap_or_else(|| Box::new(new_script_client()));
    script_client.db = ctx.client.db;
    let compat = flags & script_flags::EVAL_COMPAT_MODE != 0;
    let threshold = ctx.server.config.busy_reply_threshold;
    // The script is busy `threshold` after the command started (the server's cached time).
    let busy_at_ms = (threshold > 0).then(|| ctx.server.keyspace.now_ms + threshold);
    let caller = ctx.client.id;
    ctx.server.script_time_ms = Some(ctx.server.keyspace.now_ms);
    let mut errors = Vec::new();
    let reply_start = ctx.reply.end();
    let read;
    {
        let mut host = Host {
            server: ctx.server,
            client: &mut script_client,
            caller,
            request: args,
            function: match target {
                Target::Function { name, .. } => Some(name),
                Target::Script(_) => None,
            },
            read_only: read_only || (!compat && flags & script_flags::NO_WRITES != 0),
            allow_oom: !compat && flags & script_flags::ALLOW_OOM != 0,
            wrote: false,
            read: false,
            from_master: ctx.client.master,
        };
        let mut on_error = |e: WrittenError| errors.push(e);
        match (target, &mut eval, &mut functions) {
            (Target::Script(sha), Some(engine), _) => engine.run(
                sha,
                &keys,
                &argv,
                busy_at_ms,
                &mut host,
                ctx.reply,
                &mut on_error,
            ),
            (Target::Function { name, callback }, _, Some(engine)) => engine.run(
                callback,
                name,
                &keys,
                &argv,
                busy_at_ms,
                &mut host,
                ctx.reply,
                &mut on_error,
            ),
            _ => unreachable!("the engine was taken for its target"),
        }
        read = host.read;
    }
    ctx.server.busy_script = None;
    ctx.server.script_time_ms = None;
    // A caller that tracks keys remembers the script's declared keys once the script read
    // anything (Redis's `call`).
    if read
        && ctx.client.tracking.is_some()
        && let Ok(entry) = super::table().lookup(args)
    {
        super::tracking::remember_keys(ctx, entry, args);
    }
    for error in errors.iter().filter(|e| e.counted) {
        ctx.server.record_error(&error.text);
    }
    // The script failed if it replied an error, counted or not (an error a command counted as
    // it ran is not counted twice); errors its commands met under `pcall` are not its own.
    let replied_error = ctx.reply.since(reply_start).first() == Some(&b'-');
    ctx.server.command_failed = Some(replied_error || errors.iter().any(|e| e.counted));
    if let Some(engine) = eval {
        ctx.server.eval_random = engine.random_state();
        ctx.server.eval = Some(engine);
    }
    if let Some(mut engine) = functions {
        ctx.server.eval_random = engine.vm().random_state();
        ctx.server.function_engine = Some(engine);
    }
    ctx.server.script_client = Some(script_client);
    // The commands the script ran were propagated as they ran; the script is not.
    ctx.server.keyspace.propagation.prevent_command();
    Ok(())
}

/// The flags the dispatcher checks an `EVAL`- or `FCALL`-family request by
/// (`evalGetCommandFlags`, `fcallGetCommandFlags`): the command's own, or, for a script or
/// function that declares flags, those flags turned into command flags
/// (`scriptFlagsToCmdFlags`).
pub fn command_flags(server: &Server, flags: u32, args: &Args) -> u32 {
    if args.len() < 3 {
        return flags;
    }
    let name = args.get(0);
    let declared = if name.len() >= 5 && name[..5].eq_ignore_ascii_case(b"fcall") {
        super::functions::declared_flags(&server.functions, args)
    } else {
        eval_declared_flags(server, args)
    };
    let Some(declared) = declared else {
        return flags;
    };
    if declared & script_flags::EVAL_COMPAT_MODE != 0 {
        return flags;
    }
    let mut flags = flags & !(STALE | DENYOOM | WRITE | MAY_REPLICATE);
    if declared & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0 {
        flags |= DENYOOM;
    }
    if declared & script_flags::NO_WRITES == 0 {
        flags |= WRITE;
    }
    if declared & script_flags::ALLOW_STALE != 0 {
        flags |= STALE;
    }
    flags
}

/// What an `EVAL` body or `EVALSHA` script declares in its shebang, when that is known.
fn eval_declared_flags(server: &Server, args: &Args) -> Option<u32> {
    let body = args.get(1);
    let by_sha = args.get(0).len() >= 7 && args.get(0)[..7].eq_ignore_ascii_case(b"evalsha");
    // A body without a shebang declares nothing, cached or not: no need to hash it.
    if (by_sha && body.len() != 40) || (!by_sha && !body.starts_with(b"#!")) {
        return None;
    }
    let engine = server.eval.as_deref();
    let cached = if by_sha {
        engine.and_then(|e| e.lookup_sha(body))
    } else {
        engine.and_then(|e| e.lookup(&crate::script::vm::sha1hex(body)))
    }
    .map(|s| s.flags);
    match cached {
        Some(declared) => Some(declared),
        None if by_sha => None,
        None => script_flags::parse_shebang(body)
            .ok()
            .map(|(declared, _)| declared),
    }
}

/// A client of its own for the commands scripts run (Redis's `lua_client`).
fn new_script_client() -> Client {
    let addr = "0.0.0.0:0".parse().expect("address");
    let mut client = Client::new(u64::MAX - 1, addr, addr, -1, true);
    // Blocking commands answer at once, as inside a transaction.
    client.in_exec = true;
    client.script = true;
    client
}

/// `scriptPrepareForRun`: what a script's declared flags require of the server state.
pub(super) fn prepare(ctx: &mut Ctx, flags: u32, read_only: bool) -> CmdResult {
    if flags & script_flags::EVAL_COMPAT_MODE != 0 {
        return Ok(());
    }
    if flags & script_flags::NO_WRITES == 0 {
        if ctx.server.replication.is_replica()
            && ctx.server.config.replica_read_only
            && !ctx.client.master
        {
            return Err(CmdError::new(
                "READONLY Can not run script with write flag on readonly replica",
            ));
        }
        if ctx.server.writes_refused_by_disk_error() {
            return Err(CmdError::new(
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable \
                 to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for \
                 read only scripts.",
            ));
        }
        if let Some(error) = ctx.server.aof_write_refused() {
            return Err(CmdError::owned(format!(
                "MISCONF Redis is configured to persist data to AOF, but it's currently unable \
                 to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for \
                 read only scripts. AOF error: {error}"
            )));
        }
        if !ctx.server.enough_good_replicas() {
            return Err(errors::NOREPLICAS);
        }
        if read_only {
            return Err(CmdError::new(
                "ERR Can not execute a script with write flag using *_ro command.",
            ));
        }
    }
    if ctx.server.pre_command_oom
        && ctx.server.config.maxmemory > 0
        && flags & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0
    {
        return Err(CmdError::new(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > \
             'maxmemory'",
        ));
    }
    Ok(())
}

/// The server as a running script sees it (`scriptCall`'s checks, then [`call`]).
struct Host<'a> {
    server: &'a mut Server,
    client: &'a mut Client,
    /// The client running the script, and its request.
    caller: u64,
    request: &'a Args<'a>,
    /// The function running (`None` for an `EVAL` script).
    function: Option<&'a str>,
    /// `*_RO` or a `no-writes` script: write commands are refused.
    read_only: bool,
    allow_oom: bool,
    /// The script has run a write command: later checks on the server state no longer stop it
    /// half-way (`SCRIPT_WRITE_DIRTY`).
    wrote: bool,
    /// The script has run a read-only command.
    read: bool,
    /// The script runs for our master (its writes are applied even on a read-only replica).
    from_master: bool,
}

impl Host<'_> {
    /// A command the script called is refused before it runs: counted as the command's
    /// rejection and as an error reply once (the script's own error reply is not counted
    /// again), and handed back as the script sees it.
    fn refuse(&mut self, index: Option<usize>, text: &str) -> String {
        if let Some(index) = index {
            self.server.command_stats[index].rejected_calls += 1;
        }
        let counted = crate::script::convert::error_text(text.as_bytes());
        self.server.record_error(&String::from_utf8_lossy(&counted));
        text.to_string()
    }
}

impl ScriptHost for Host<'_> {
    fn call(&mut self, args: &Args, reply: &mut Reply, repl_flags: u8) -> Result<(), String> {
        let table = super::table();
        let entry = match table.lookup(args) {
            Ok(entry) if entry.command.handler.is_some() => entry,
            _ => return Err(self.refuse(None, "Unknown Redis command called from script")),
        };
        let command = entry.command;
        let refused = if !command.arity_ok(args.len()) {
            Some("Wrong number of args calling Redis command from script".to_string())
        } else if command.has(NOSCRIPT) && !self.server.script_disable_deny {
            Some("This Redis command is not allowed from script".to_string())
        } else if self.read_only && command.has(WRITE | MAY_REPLICATE) {
            Some("Write commands are not allowed from read-only scripts.".to_string())
        } else if command.has(WRITE)
            && !self.wrote
            && self.server.replication.is_replica()
            && self.server.config.replica_read_only
            && !self.from_master
        {
            Some(format!("-{}", errors::READONLY_REPLICA.text()))
        } else if command.has(WRITE) && !self.wrote && self.server.writes_refused_by_disk_error() {
            Some(format!("-{}", errors::MISCONF.text()))
        } else if let Some(error) = self
            .server
            .aof_write_refused()
            .filter(|_| command.has(WRITE) && !self.wrote)
        {
            Some(format!("-MISCONF Errors writing to the AOF file: {error}"))
        } else if command.has(WRITE) && !self.wrote && !self.server.enough_good_replicas() {
            Some(format!("-{}", errors::NOREPLICAS.text()))
        } else if !self.allow_oom
            && self.server.config.maxmemory > 0
            && !self.wrote
            && self.server.pre_command_oom
            && command.has(DENYOOM)
        {
            Some(format!("-{}", errors::OOM.text()))
        } else {
            None
        };
        if let Some(text) = refused {
            return Err(self.refuse(Some(entry.index), &text));
        }
        if command.has(WRITE) {
            self.wrote = true;
        }
        self.read |= command.has(READONLY);
        self.client.protocol = reply.protocol();
        let mark = self.server.keyspace.propagation.mark();
        let mut ctx = Ctx {
            server: self.server,
            client: self.client,
            reply,
        };
        call(&mut ctx, entry, args);
        // `redis.set_repl`: this command's effects go only where the script said (bit 1 the
        // AOF, bit 2 replicas, as Redis's `PROPAGATE_AOF` and `PROPAGATE_REPL`).
        self.server
            .keyspace
            .propagation
            .restrict_since(mark, repl_flags);
        Ok(())
    }

    fn command_exists(&mut self, args: &Args) -> bool {
        super::table()
            .lookup(args)
            .is_ok_and(|entry| entry.command.handler.is_some())
    }

    fn busy(&mut self) -> Option<String> {
        let wrote = self.wrote;
        let busy = self.server.busy_script.get_or_insert_with(|| BusyScript {
            caller: self.caller,
            wrote,
            kill: false,
            started: std::time::Instant::now(),
            function: self.function.map(|name| {
                let command = self.request.iter().map(<[u8]>::to_vec).collect();
                Box::new((name.to_string(), command))
            }),
        });
        busy.wrote = wrote;
        if let Some(serve) = self.server.serve_while_busy {
            serve(self.server);
        }
        if self.server.shutdown.is_some() {
            tracing::warn!("Lua script stopped by SHUTDOWN NOSAVE.");
            return Some("Script killed by user with SHUTDOWN NOSAVE...".to_string());
        }
        if self.server.busy_script.as_ref().is_some_and(|b| b.kill) {
            tracing::warn!("Lua script killed by user with SCRIPT KILL.");
            return Some("Script killed by user with SCRIPT KILL...".to_string());
        }
        None
    }
}

/// `SCRIPT KILL`: stops a busy script that has not written (`scriptKill`).
fn script_kill(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    kill(ctx, true)
}

/// `SCRIPT KILL` (`eval`) or `FUNCTION KILL`: each stops only its own kind of script.
pub(super) fn kill(ctx: &mut Ctx, eval: bool) -> CmdResult {
    match &mut ctx.server.busy_script {
        None => Err(CmdError::new("NOTBUSY No scripts in execution right now.")),
        Some(busy) if busy.wrote => Err(CmdError::new(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. \
             You can either wait the script termination or kill the server in a hard way using \
             the SHUTDOWN NOSAVE command.",
        )),
        Some(busy) if eval == busy.function.is_some() => Err(if eval {
            errors::BUSY_FUNCTION
        } else {
            errors::BUSY_SCRIPT
        }),
        Some(busy) => {
            busy.kill = true;
            ctx.reply.ok();
            Ok(())
        }
    }
}

fn script_exists(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let engine = ctx.server.eval.as_deref();
    ctx.reply.array(args.len() - 2);
    for sha in args.from(2) {
        let known = sha.len() == 40 && engine.is_some_and(|e| e.lookup_sha(sha).is_some());
        ctx.reply.int(known as i64);
    }
    Ok(())
}

fn script_flush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match args.len() {
        2 => {}
        3 if args.is(2, "sync") || args.is(2, "async") => {}
        _ => {
            return Err(CmdError::new(
                "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
            ));
        }
    }
    // The interpreter goes with its scripts; the next script starts a new one.
    if let Some(engine) = ctx.server.eval.take() {
        ctx.server.eval_random = engine.random_state();
    }
    ctx.reply.ok();
    Ok(())
}

fn script_load(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let sha = engine(ctx.server)?
        .create(args.get(2))
        .map_err(|text| CmdError::owned(format!("ERR {text}")))?;
    ctx.reply.bulk(sha.as_bytes());
    Ok(())
}

fn script_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::introspection::reply_help(
        ctx,
        "SCRIPT",
        &[
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cmd::harness::Harness;

    #[test]
    fn eval_runs_commands_and_converts_replies() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("EVAL \"return redis.call('set',KEYS[1],ARGV[1])\" 1 k v"),
            "+OK\r\n"
        );
        assert_eq!(h.run("GET k"), "$1\r\nv\r\n");
        assert_eq!(
            h.run("EVAL \"return {1,2,3,'ciao',{1,2}}\" 0"),
            "*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n"
        );
        assert_eq!(
            h.run("EVAL \"return redis.call('get','nokey')\" 0"),
            "$-1\r\n"
        );
        assert_eq!(
            h.run("EVAL \"return redis.call('incr',KEYS[1])\" 1 n"),
            ":1\r\n"
        );
    }

    #[test]
    fn redis_call_takes_as_many_arguments_as_the_lua_stack_holds() {
        let mut h = Harness::new();
        // mlua's first callback in a new interpreter takes a few slots of its own.
        assert_eq!(h.run("EVAL \"return redis.call('ping')\" 0"), "+PONG\r\n");
        assert_eq!(
            h.run(
                "EVAL \"local a = {} for i = 1, 7999 do a[i] = 1 end \
                 return redis.call('lpush', 'l', unpack(a))\" 0"
            ),
            ":7999\r\n"
        );
    }

    #[test]
    fn errors_read_as_redis_writes_them() {
        let mut h = Harness::new();
        let sha = crate::script::vm::sha1hex(b"return a");
        assert_eq!(
            h.run("EVAL \"return a\" 0"),
            format!(
                "-ERR user_script:1: Script attempted to access nonexistent global variable 'a' \
                 script: {sha}, on @user_script:1.\r\n"
            )
        );
        let sha = crate::script::vm::sha1hex(b"a=5");
        assert_eq!(
            h.run("EVAL \"a=5\" 0"),
            format!(
                "-ERR user_script:1: Attempt to modify a readonly table script: {sha}, on \
                 @user_script:1.\r\n"
            )
        );
        h.run("SET str x");
        let body = "redis.call('set','x','y') return redis.call('lpush','x','y')";
        let sha = crate::script::vm::sha1hex(body.as_bytes());
        assert_eq!(
            h.run(&format!("EVAL \"{body}\" 0")),
            format!(
                "-WRONGTYPE Operation against a key holding the wrong kind of value script: \
                 {sha}, on @user_script:1.\r\n"
            )
        );
        assert_eq!(
            h.run("EVAL \"local ok, e = pcall(redis.call,'lpush','x','y') return e\" 0"),
            "$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        assert_eq!(
            h.run("EVAL \"return redis.error_reply('My Error')\" 0"),
            "-My Error\r\n"
        );
        let sha = crate::script::vm::sha1hex(b"return redis.call('nosuch')");
        assert_eq!(
            h.run("EVAL \"return redis.call('nosuch')\" 0"),
            format!(
                "-ERR Unknown Redis command called from script script: {sha}, on \
                 @user_script:1.\r\n"
            )
        );
        assert_eq!(
            h.run("EVAL \"return +\" 0"),
            "-ERR Error compiling script (new function): user_script:1: unexpected symbol near \
             '+'\r\n"
        );
        assert_eq!(
            h.run("EVAL \"return 1\" -1"),
            "-ERR Number of keys can't be negative\r\n"
        );
        assert_eq!(
            h.run("EVAL \"return 1\" 2 a"),
            "-ERR Number of keys can't be greater than number of args\r\n"
        );
        assert_eq!(
            h.run("EVALSHA ffffffffffffffffffffffffffffffffffffffff 0"),
            "-NOSCRIPT No matching script. Please use EVAL.\r\n"
        );
    }

    #[test]
    fn script_load_exists_flush_and_evalsha() {
        let mut h = Harness::new();
        let sha = crate::script::vm::sha1hex(b"return 1");
        assert_eq!(sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
        assert_eq!(
            h.run("SCRIPT LOAD \"return 1\""),
            format!("$40\r\n{sha}\r\n")
        );
        assert_eq!(
            h.run(&format!(
                "SCRIPT EXISTS {sha} ffffffffffffffffffffffffffffffffffffffff"
            )),
            "*2\r\n:1\r\n:0\r\n"
        );
        assert_eq!(
            h.run(&format!("EVALSHA {} 0", sha.to_uppercase())),
            ":1\r\n"
        );
        assert_eq!(h.run("SCRIPT FLUSH"), "+OK\r\n");
        assert_eq!(h.run(&format!("SCRIPT EXISTS {sha}")), "*1\r\n:0\r\n");
        assert_eq!(
            h.run(&format!("EVALSHA {sha} 0")),
            "-NOSCRIPT No matching script. Please use EVAL.\r\n"
        );
        assert_eq!(
            h.run("SCRIPT FLUSH bogus"),
            "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"
        );
    }

    #[test]
    fn read_only_scripts_refuse_writes() {
        let mut h = Harness::new();
        let body = "return redis.call('set','k','v')";
        let sha = crate::script::vm::sha1hex(body.as_bytes());
        assert_eq!(
            h.run(&format!("EVAL_RO \"{body}\" 1 k")),
            format!(
                "-ERR Write commands are not allowed from read-only scripts. script: {sha}, on \
                 @user_script:1.\r\n"
            )
        );
        assert_eq!(
            h.run("EVAL \"#!lua flags=no-writes\nreturn redis.call('get','k')\" 0"),
            "$-1\r\n"
        );
        assert_eq!(
            h.run("EVAL_RO \"#!lua\nreturn 1\" 0"),
            "-ERR Can not execute a script with write flag using *_ro command.\r\n"
        );
        assert_eq!(
            h.run("EVAL \"#!lua flags=bogus\nreturn 1\" 0"),
            "-ERR Unexpected flag in script shebang: bogus\r\n"
        );
    }

    #[test]
    fn resp3_and_set_repl_and_random() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("EVAL \"redis.setresp(3) return redis.call('hgetall', 'nohash')\" 0"),
            "*0\r\n"
        );
        assert_eq!(
            h.run("EVAL \"return {double=3.14}\" 0"),
            "$18\r\n3.1400000000000001\r\n"
        );
        // Redis's generator: the same sequence on every machine (figures from Redis 7.0.15).
        assert_eq!(
            h.run("EVAL \"math.randomseed(1) return tostring(math.random())\" 0"),
            "$17\r\n0.041630344484761\r\n"
        );
        let sha = crate::script::vm::sha1hex(b"return math.random(0)");
        assert_eq!(
            h.run("EVAL \"return math.random(0)\" 0"),
            format!(
                "-ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: \
                 {sha}, on @user_script:1.\r\n"
            )
        );
        assert_eq!(
            h.run("EVAL \"return redis.sha1hex('Pizza & Mandolino')\" 0"),
            "$40\r\n74822d82031af7493c20eefa13bd07ec4fada82f\r\n"
        );
    }

    #[test]
    fn script_effects_are_propagated_not_the_script() {
        let mut h = Harness::new();
        h.server.aof.state = crate::server::aof::AofState::On;
        h.server.keyspace.propagation.set_enabled(true);
        h.run("EVAL \"redis.call('set','a','1') redis.call('incr','a') return 1\" 0");
        let text = String::from_utf8_lossy(&h.server.aof.buf).replace("\r\n", " ");
        assert_eq!(
            text,
            // As the script wrote them, wrapped as one transaction.
            "*2 $6 SELECT $1 0 *1 $5 MULTI *3 $3 set $1 a $1 1 *2 $4 incr $1 a *1 $4 EXEC "
        );
        h.server.aof.buf.clear();
        h.run("EVAL \"redis.set_repl(redis.REPL_NONE) redis.call('set','b','2') return 1\" 0");
        assert_eq!(String::from_utf8_lossy(&h.server.aof.buf), "");
        assert_eq!(h.run("GET b"), "$1\r\n2\r\n");
    }
}
