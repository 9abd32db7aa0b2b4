//! One Lua interpreter as Redis sets one up for scripts (`script_lua.c`): the sandbox, the
//! `redis` object, Redis's `math.random`, the error handler, and a run of one script function.
//! The `EVAL` engine and the functions engine each own one, as Redis gives each its own.
//!
//! A run reaches the server only through a [`ScriptHost`], so this layer stays below the
//! commands: `redis.call` hands the host the command's arguments and reads the reply it writes
//! as RESP, as Redis reads its script client's output buffer.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

use super::convert::{self, WrittenError};
use super::lua_error;
use super::sandbox;
use crate::protocol::args::{Args, OwnedArgs};
use crate::protocol::reply::{Protocol, Reply};

/// The server side of a script run.
pub trait ScriptHost {
    /// Runs one command for the script (Redis's `scriptCall`), its reply written to `reply`;
    /// or the error that refused it before it ran, as Redis words it (with or without a leading
    /// `-CODE`), already counted in the error statistics.
    /// `repl_flags` are the script's `redis.set_repl` flags (bit 0: the AOF, bit 1: replicas).
    fn call(&mut self, args: &Args, reply: &mut Reply, repl_flags: u8) -> Result<(), String>;
    /// Whether `args` name a command (`redis.acl_check_cmd`).
    fn command_exists(&mut self, args: &Args) -> bool;
    /// The script has run past `busy-reply-threshold` (called again every
    /// [`HOOK_INSTRUCTIONS`] instructions): serve other clients; `Some(error)` stops the script
    /// with that error (`SCRIPT KILL`, `FUNCTION KILL`, `SHUTDOWN NOSAVE`).
    fn busy(&mut self) -> Option<String>;
}

/// Writes a `redis.log` line at Redis's `level` (debug `.`, verbose `-`, notice `*`, warning
/// `#` in the log).
pub fn log(level: u8, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    match level {
        0 => tracing::trace!("{text}"),
        1 => tracing::debug!("{text}"),
        2 => tracing::info!("{text}"),
        _ => tracing::warn!("{text}"),
    }
}

/// What the run's `redis.call` is asked: the script's command, or on behalf of
/// `redis.acl_check_cmd` or the time hook.
const OP_CALL: i64 = 1;
const OP_ACL: i64 = 2;
const OP_BUSY: i64 = 3;

/// Made with the globals and the error handler; runs a script function under the handler. With
/// `listed`, `nkeys` and the keys and arguments after it become the key and argument tables;
/// without, `nkeys` and the value after it are those tables. With `globals`, they are the
/// globals `KEYS` and `ARGV` (`EVAL`); without, the function's two parameters (`FCALL`).
const RUNNER: &str = r#"
local G, h = ...
local xpcall, rawset, select = xpcall, rawset, select
return function(f, globals, listed, nkeys, ...)
  local keys, argv
  if listed then
    keys, argv = {...}, {select(nkeys + 1, ...)}
    for i = #keys, nkeys + 1, -1 do keys[i] = nil end
  else
    keys, argv = nkeys, ...
  end
  if globals then
    rawset(G, 'KEYS', keys)
    rawset(G, 'ARGV', argv)
    return xpcall(f, h)
  end
  return xpcall(function() return f(keys, argv) end, h)
end
"#;

/// Builds `redis.pcall` from the `redis` table and the function that marks the next call as a
/// `pcall`.
const PCALL: &str = r#"
local redis, mark = ...
local rawget = rawget
return function(...)
  mark()
  return rawget(redis, 'call')(...)
end
"#;

/// Keys and arguments passed on the Lua stack to the runner at most (the stack holds 8000).
const RUNNER_MAX_ARGS: usize = 4000;

/// Lua instructions between two checks of a running script's time (Redis's count hook).
pub const HOOK_INSTRUCTIONS: u32 = 100_000;

/// How a script function receives its keys and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calling {
    /// As the globals `KEYS` and `ARGV` (`EVAL`).
    Globals,
    /// As its two parameters (`FCALL`).
    Parameters,
}

/// An error raised by the `redis` object: Redis raises these as `{err = …}` tables.
#[derive(Debug)]
pub(super) struct RedisError {
    text: Vec<u8>,
    /// Already counted in the error statistics (the command that failed counted it).
    counted: bool,
}

impl RedisError {
    pub(super) fn text(&self) -> &[u8] {
        &self.text
    }
}

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.text))
    }
}

impl std::error::Error for RedisError {}

/// Raises `text` as Redis's `luaPushError` does: a `-CODE text` keeps its code, other text
/// gets `ERR`.
pub(super) fn raise(text: &[u8]) -> mlua::Error {
    mlua::Error::external(RedisError {
        text: convert::error_text(text),
        counted: false,
    })
}

/// State the static functions of the `redis` object share with a run.
struct RunState {
    running: Cell<bool>,
    resp3: Cell<bool>,
    repl_flags: Cell<u8>,
    /// `redisLrand48`'s 48-bit state: the same sequence on every machine.
    random: Cell<u64>,
    /// When (Unix ms) the running script becomes busy; `u64::MAX` for never.
    busy_at_ms: Cell<u64>,
    /// The run's `redis.call`, which `redis.acl_check_cmd` and the time hook reach the host
    /// through; `None` between runs.
    host: RefCell<Option<Function>>,
    /// What that call is for when it is not the script's own `redis.call` ([`OP_ACL`],
    /// [`OP_BUSY`]), and the command `redis.acl_check_cmd` checks.
    op: Cell<i64>,
    pending: RefCell<OwnedArgs>,
    /// The next call is `redis.pcall`'s: errors are returned as tables, not raised.
    pcall: Cell<bool>,
    keys: convert::ReplyKeys,
    /// The heap cap while the script's own code runs (lifted while the host runs a command).
    heap_limit: Cell<usize>,
    /// The time hook was replaced to stop a killed script: put it back after the run.
    hook_replaced: Cell<bool>,
}

/// Global library tables scripts see read-only.
const LIBRARIES: [&str; 9] = [
    "string",
    "table",
    "math",
    "coroutine",
    "redis",
    "cjson",
    "bit",
    "struct",
    "cmsgpack",
];

pub struct LuaVm {
    lua: Lua,
    /// The environment scripts run in: a read-only view of the globals.
    env: Table,
    /// The sandbox's `protect`: a read-only view of a table.
    protect: Function,
    /// Runs a script function under the error handler (see [`RUNNER`]).
    runner: Function,
    /// The `redis` table, its `call` key, and what its `call` is between runs.
    redis: Table,
    call_key: mlua::LuaString,
    outside: Function,
    state: Rc<RunState>,
    /// Runs since the collector last took a step.
    runs: u32,
}

/// The lowercase hex SHA1 of `bytes`, as `SCRIPT LOAD` names scripts.
pub fn sha1hex(bytes: &[u8]) -> String {
    // Spelled out rather than through `Display`: `EVAL` names its body this way on every call.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = sha1_smol::Sha1::from(bytes).digest().bytes();
    let mut hex = String::with_capacity(2 * digest.len());
    for byte in digest {
        hex.push(HEX[(byte >> 4) as usize] as char);
        hex.push(HEX[(byte & 15) as usize] as char);
    }
    hex
}

/// Runs between two collector steps (`LUA_GC_CYCLE_PERIOD`).
const GC_STEP_PERIOD: u32 = 50;

impl LuaVm {
    /// A new interpreter; `random` is the state `math.random` goes on from (it survives
    /// `SCRIPT FLUSH`, as Redis's generator does).
    pub fn new(random: u64) -> mlua::Result<LuaVm> {
        let lua = Lua::new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH,
            LuaOptions::default(),
        )?;
        let state = Rc::new(RunState {
            running: Cell::new(false),
            resp3: Cell::new(false),
            repl_flags: Cell::new(3),
            random: Cell::new(random),
            busy_at_ms: Cell::new(u64::MAX),
            host: RefCell::new(None),
            op: Cell::new(OP_CALL),
            pending: RefCell::new(OwnedArgs::default()),
            pcall: Cell::new(false),
            keys: convert::ReplyKeys::new(&lua)?,
            heap_limit: Cell::new(0),
            hook_replaced: Cell::new(false),
        });
        super::lib_cjson::register(&lua)?;
        super::lib_struct::register(&lua)?;
        super::lib_cmsgpack::register(&lua)?;
        super::lib_bit::register(&lua)?;
        let redis = redis_object(&lua, &state)?;
        lua.globals().raw_set("redis", redis.clone())?;
        install_random(&lua, &state)?;
        let error_message = lua.create_function(|lua, value: Value| pcall_message(lua, value))?;
        let (env, protect) = sandbox::install(&lua, &LIBRARIES, error_message)?;
        let handler = lua.create_function(|lua, value: Value| error_handler(lua, value))?;
        let runner: Function = lua
            .load(RUNNER)
            .set_name(sandbox::INTERNAL_SOURCE)
            .call((lua.globals(), handler))?;
        // Between runs `redis.call` refuses as Redis's does without a run; a run binds its own
        // (see `call_script`). `redis.pcall` marks the call as a `pcall`, then makes it:
        // `pcall` raises nothing, so being a Lua function (whose `return` is a tail call) hides
        // no error position. `redis.acl_check_cmd` and the time hook reach the run's
        // `redis.call` with no arguments and the request in the run state.
        let outside = lua.create_function(|_, _: MultiValue| -> mlua::Result<()> {
            Err(raise(
                b"redis.call/pcall can only be called inside a script invocation",
            ))
        })?;
        let call_key = lua.create_string("call")?;
        redis.raw_set(&call_key, outside.clone())?;
        let pcall_state = Rc::clone(&state);
        let mark_pcall = lua.create_function(move |_, ()| {
            pcall_state.pcall.set(true);
            Ok(())
        })?;
        let pcall: Function = lua
            .load(PCALL)
            .set_name(sandbox::INTERNAL_SOURCE)
            .call((redis.clone(), mark_pcall))?;
        redis.raw_set("pcall", pcall)?;
        let acl_state = Rc::clone(&state);
        redis.raw_set(
            "acl_check_cmd",
            lua.create_function(move |_, values: MultiValue| {
                let host = acl_state.host.borrow().clone();
                let Some(host) = host else {
                    return Err(raise(
                        b"redis.acl_check_cmd can only be called inside a script invocation",
                    ));
                };
                *acl_state.pending.borrow_mut() = command_args(&values)?;
                acl_state.op.set(OP_ACL);
                host.call::<Value>(())
            })?,
        )?;
        let log_state = Rc::clone(&state);
        redis.raw_set(
            "log",
            lua.create_function(move |_, values: MultiValue| {
                if log_state.host.borrow().is_none() {
                    return Err(raise(
                        b"redis.log can only be called inside a script invocation",
                    ));
                }
                let (level, text) = log_line(&values)?;
                log(level, &text);
                Ok(())
            })?,
        )?;
        let vm = LuaVm {
            lua,
            env,
            protect,
            runner,
            redis,
            call_key,
            outside,
            state,
            runs: 0,
        };
        vm.install_hook();
        Ok(vm)
    }

    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// The environment scripts run in.
    pub fn env(&self) -> &Table {
        &self.env
    }

    /// The sandbox's `protect`: makes a read-only view of a table.
    pub fn protect_function(&self) -> Function {
        self.protect.clone()
    }

    /// The generator's state, to carry over to the next interpreter.
    pub fn random_state(&self) -> u64 {
        self.state.random.get()
    }

    /// Goes on from a generator state (both engines share one sequence, as Redis's
    /// interpreters share its generator).
    pub fn set_random_state(&mut self, state: u64) {
        self.state.random.set(state);
    }

    /// Caps the interpreter's heap: a script that allocates past it fails with Lua's
    /// "not enough memory" instead of taking the host's memory.
    pub fn set_memory_limit(&mut self, bytes: usize) {
        self.state.heap_limit.set(bytes);
    }

    /// The cap [`Self::set_memory_limit`] set.
    pub fn memory_limit(&self) -> usize {
        self.state.heap_limit.get()
    }

    /// Bytes the interpreter holds (`used_memory_lua`, `used_memory_vm_functions`).
    pub fn lua_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Runs the script function `function`, named `name` in error replies, with `keys` and
    /// `args`, writing its reply (or error) to `reply` in the caller's protocol. Errors written
    /// go to `on_error` for the statistics. Past `busy_at_ms` (Unix ms) the script is busy: the
    /// time hook lets the host serve other clients.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        function: Function,
        name: &str,
        calling: Calling,
        keys: &[&[u8]],
        args: &[&[u8]],
        busy_at_ms: Option<u64>,
        host: &mut dyn ScriptHost,
        reply: &mut Reply,
        on_error: &mut dyn FnMut(WrittenError),
    ) {
        self.state.running.set(true);
        self.state.pcall.set(false);
        self.state.resp3.set(false);
        self.state.repl_flags.set(3);
        self.state.busy_at_ms.set(busy_at_ms.unwrap_or(u64::MAX));
        let outcome = self.call_script(function, calling, keys, args, host);
        self.state.running.set(false);
        if self.state.hook_replaced.replace(false) {
            self.install_hook();
        }
        match outcome {
            Ok(value) => {
                if let Err(e) = convert::write_lua_value(
                    &self.lua,
                    &self.state.keys,
                    reply,
                    value,
                    self.state.resp3.get(),
                    on_error,
                ) {
                    let text = format!("ERR {}", lua_error::message(&e));
                    reply.error(&text);
                    on_error(WrittenError {
                        text,
                        counted: true,
                    });
                }
            }
            Err(error) => {
                let (text, counted) = self.error_reply(name, error);
                reply.error(&text);
                on_error(WrittenError { text, counted });
            }
        }
        // Redis steps the collector every 50 runs rather than letting a full cycle hit one run.
        self.runs += 1;
        if self.runs == GC_STEP_PERIOD {
            self.runs = 0;
            self.lua.gc_step().ok();
        }
    }

    /// Sets `KEYS` and `ARGV`, binds the run's host function (what `redis.call`, `pcall`,
    /// `log`, `acl_check_cmd` and the time hook reach), and calls the script under the error
    /// handler: its return value, or the error object.
    fn call_script(
        &self,
        function: Function,
        calling: Calling,
        keys: &[&[u8]],
        args: &[&[u8]],
        host: &mut dyn ScriptHost,
    ) -> Result<Value, Value> {
        let lua = &self.lua;
        // Few arguments travel on the Lua stack and the runner builds the tables (one call);
        // many would overflow that stack, so those tables are built here.
        let small = keys.len() + args.len() <= RUNNER_MAX_ARGS;
        let tables = if small {
            None
        } else {
            let table = |items: &[&[u8]]| -> mlua::Result<Table> {
                let table = lua.create_table_with_capacity(items.len(), 0)?;
                for (i, item) in items.iter().enumerate() {
                    table.raw_set(i + 1, lua.create_string(item)?)?;
                }
                Ok(table)
            };
            match table(keys).and_then(|k| Ok((k, table(args)?))) {
                Ok(tables) => Some(tables),
                Err(e) => return Err(Value::Error(Box::new(e))),
            }
        };
        let globals = Value::Boolean(calling == Calling::Globals);
        // The arguments become Lua strings before the heap cap is set: mlua makes each of its
        // own calls a protected call while a cap is set.
        let mut call_args = MultiValue::with_capacity(5 + keys.len() + args.len());
        call_args.push_back(Value::Function(function));
        call_args.push_back(globals);
        call_args.push_back(Value::Boolean(tables.is_none()));
        match tables {
            None => {
                call_args.push_back(Value::Integer(keys.len() as i64));
                for item in keys.iter().chain(args) {
                    match lua.create_string(item) {
                        Ok(s) => call_args.push_back(Value::String(s)),
                        Err(e) => return Err(Value::Error(Box::new(e))),
                    }
                }
            }
            Some((keys, args)) => {
                call_args.push_back(Value::Table(keys));
                call_args.push_back(Value::Table(args));
            }
        }
        let host = RefCell::new(host);
        let state = &self.state;
        let result = lua.scope(|scope| {
            // The run's `redis.call`, bound to its host. It takes its arguments straight from
            // the script: a call may pass as many as the Lua stack holds, so nothing else can
            // pass them on.
            let host = &host;
            let call = scope.create_function(move |lua, values: MultiValue| {
                // The cap is for the script's own code: the command and its reply's conversion
                // run without it (and without mlua's protected calls).
                let _ = lua.set_memory_limit(0);
                let result = match state.op.replace(OP_CALL) {
                    OP_ACL => {
                        let args = state.pending.take();
                        if host.borrow_mut().command_exists(&args.args()) {
                            Ok(Value::Boolean(true))
                        } else {
                            Err(raise(b"Invalid command passed to redis.acl_check_cmd()"))
                        }
                    }
                    OP_BUSY => match host.borrow_mut().busy() {
                        Some(text) => lua.create_string(text).map(Value::String),
                        None => Ok(Value::Nil),
                    },
                    _ => {
                        let raise_errors = !state.pcall.replace(false);
                        match command_args(&values) {
                            Ok(args) => run_command(lua, state, host, args, raise_errors),
                            Err(e) if raise_errors => Err(e),
                            // `pcall` returns even a bad argument list as an error table.
                            Err(e) => error_value(lua, &e),
                        }
                    }
                };
                let _ = lua.set_memory_limit(state.heap_limit.get());
                result
            })?;
            self.redis.raw_set(&self.call_key, &call)?;
            *state.host.borrow_mut() = Some(call);
            lua.set_memory_limit(state.heap_limit.get())?;
            self.runner.call::<MultiValue>(call_args)
        });
        let _ = lua.set_memory_limit(0);
        *self.state.host.borrow_mut() = None;
        let _ = self.redis.raw_set(&self.call_key, &self.outside);
        let mut values = match result {
            Ok(values) => values,
            Err(e) => return Err(Value::Error(Box::new(e))),
        };
        match values.pop_front() {
            Some(Value::Boolean(true)) => Ok(values.pop_front().unwrap_or(Value::Nil)),
            _ => Err(values.pop_front().unwrap_or(Value::Nil)),
        }
    }

    /// Checks a running script's time every [`HOOK_INSTRUCTIONS`] (installed once, as it
    /// costs nothing between checks); once the script is busy, lets the host serve other
    /// clients, and stops the script when the host says so. A stopped script is stopped again
    /// at every line, so `pcall` cannot keep it going (Redis re-arms its hook the same way);
    /// the run puts the count hook back when it ends.
    pub(super) fn install_hook(&self) {
        let state = Rc::clone(&self.state);
        let _ = self.lua.set_hook(
            mlua::HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS),
            move |lua, _| {
                if !state.running.get() || crate::db::access::unix_ms() < state.busy_at_ms.get() {
                    return Ok(mlua::VmState::Continue);
                }
                let host = state.host.borrow().clone();
                let Some(host) = host else {
                    return Ok(mlua::VmState::Continue);
                };
                state.op.set(OP_BUSY);
                let stop: Option<String> = host.call(())?;
                let Some(text) = stop else {
                    return Ok(mlua::VmState::Continue);
                };
                let again = text.clone();
                state.hook_replaced.set(true);
                lua.set_hook(mlua::HookTriggers::new().every_line(), move |_, _| {
                    Err(raise(again.as_bytes()))
                })?;
                Err(raise(text.as_bytes()))
            },
        );
    }

    /// The error reply for a failed run (`luaCallFunction`): the error text, with the script
    /// and line when known, and whether it still needs counting.
    fn error_reply(&self, name: &str, error: Value) -> (String, bool) {
        match error {
            Value::Table(table) => {
                let text = match table.raw_get::<Value>("err") {
                    Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                    Ok(Value::Number(n)) => format!("{n}"),
                    Ok(Value::Integer(n)) => format!("{n}"),
                    _ => String::new(),
                };
                let counted = !matches!(
                    table.raw_get::<Value>("ignore_error_stats_update"),
                    Ok(Value::Boolean(true))
                );
                let source = table.raw_get::<Value>("source").ok();
                let line = table.raw_get::<Value>("line").ok();
                let mut out = text;
                if let (
                    Some(Value::String(source)),
                    Some(line @ (Value::Integer(_) | Value::Number(_))),
                ) = (source, line)
                {
                    let line = match line {
                        Value::Integer(n) => n,
                        Value::Number(n) => n as i64,
                        _ => 0,
                    };
                    out.push_str(&format!(
                        " script: {name}, on {}:{line}.",
                        String::from_utf8_lossy(&source.as_bytes())
                    ));
                }
                (out, counted)
            }
            Value::Error(e) => (
                // Redis's format ends in a line feed, which the reply turns into a space.
                format!(
                    "ERR Error running script {name}, {} ",
                    truncate(&lua_error::message(&e), 100)
                ),
                false,
            ),
            other => {
                let message = match &other {
                    Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                    _ => "execution failure".to_string(),
                };
                (
                    format!(
                        "ERR Error running script {name}, {} ",
                        truncate(&message, 100)
                    ),
                    false,
                )
            }
        }
    }
}

fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Redis's error handler (`__redis__err__handler`): makes every error an `{err = …}` table and
/// adds the script source and line it was raised at.
fn error_handler(lua: &Lua, error: Value) -> mlua::Result<Table> {
    let table = match error {
        Value::Table(table) => table,
        Value::Error(e) => match lua_error::root_cause(&e) {
            mlua::Error::ExternalError(inner) => match inner.downcast_ref::<RedisError>() {
                Some(redis_error) => {
                    let table = lua.create_table()?;
                    table.raw_set("err", lua.create_string(&redis_error.text)?)?;
                    if redis_error.counted {
                        table.raw_set("ignore_error_stats_update", true)?;
                    }
                    table
                }
                None => error_table_with_text(lua, &format!("ERR {inner}"))?,
            },
            // Library functions put the caller's position in their messages, as `luaL_error`.
            mlua::Error::RuntimeError(message) => {
                error_table_with_text(lua, &format!("ERR {message}"))?
            }
            other => error_table_with_text(lua, &format!("ERR {}", lua_error::message(other)))?,
        },
        other => {
            let text = match &other {
                Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                Value::Nil => "nil".to_string(),
                Value::Boolean(b) => b.to_string(),
                Value::Integer(n) => n.to_string(),
                Value::Number(n) => lua_number_text(*n),
                _ => other.type_name().to_string(),
            };
            error_table_with_text(lua, &format!("ERR {text}"))?
        }
    };
    if let Some((source, line)) = script_frame(lua) {
        table.raw_set("source", source)?;
        table.raw_set("line", line)?;
    }
    Ok(table)
}

fn error_table_with_text(lua: &Lua, text: &str) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    table.raw_set("err", text)?;
    Ok(table)
}

/// `tostring` of a Lua number (`%.14g`).
pub(super) fn lua_number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Inside the handler: level 1 raised the error; the first frame above it that is script code
/// (not C, not internal) is where the error is reported.
fn script_frame(lua: &Lua) -> Option<(String, i64)> {
    for level in 1..16 {
        let frame = lua.inspect_stack(level, |debug| {
            let source = debug.source();
            (
                source.what,
                source.source.map(|s| s.into_owned()),
                debug.current_line(),
            )
        })?;
        let (what, source, line) = frame;
        if what == "C" || source.as_deref() == Some(sandbox::INTERNAL_SOURCE) {
            continue;
        }
        return Some((source?, line.map_or(-1, |l| l as i64)));
    }
    None
}

/// What Redis's `pcall` returns for an error object: the `err` text of an error table (or of
/// an error the `redis` object raised), the message of a library error, else the object.
fn pcall_message(lua: &Lua, error: Value) -> mlua::Result<Value> {
    Ok(match error {
        Value::Table(table) => match table.raw_get::<Value>("err")? {
            s @ (Value::String(_) | Value::Number(_) | Value::Integer(_)) => s,
            _ => Value::Table(table),
        },
        Value::Error(e) => match lua_error::root_cause(&e) {
            mlua::Error::ExternalError(inner) => match inner.downcast_ref::<RedisError>() {
                Some(redis_error) => Value::String(lua.create_string(&redis_error.text)?),
                None => Value::String(lua.create_string(inner.to_string())?),
            },
            other => Value::String(lua.create_string(lua_error::message(other))?),
        },
        other => other,
    })
}

/// `redis.call` (raising the command's error) or `redis.pcall` (returning it as a table): runs
/// the command through the host and reads its reply into Lua (`luaRedisGenericCommand`).
fn run_command(
    lua: &Lua,
    state: &RunState,
    host: &RefCell<&mut dyn ScriptHost>,
    args: OwnedArgs,
    raise_errors: bool,
) -> mlua::Result<Value> {
    let protocol = if state.resp3.get() {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    };
    let mut out = Reply::new(protocol);
    let outcome = host
        .borrow_mut()
        .call(&args.args(), &mut out, state.repl_flags.get());
    match outcome {
        // The host counted the refusal already.
        Err(text) => {
            if raise_errors {
                return Err(mlua::Error::external(RedisError {
                    text: convert::error_text(text.as_bytes()),
                    counted: true,
                }));
            }
            let table = convert::error_table(lua, text.as_bytes())?;
            table.raw_set("ignore_error_stats_update", true)?;
            Ok(Value::Table(table))
        }
        Ok(()) => {
            let bytes = out.bytes();
            if raise_errors && bytes.first() == Some(&b'-') {
                let line_end = bytes
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .unwrap_or(bytes.len());
                return Err(mlua::Error::external(RedisError {
                    text: convert::error_text(&bytes[..line_end]),
                    counted: true,
                }));
            }
            convert::reply_to_lua(lua, &state.keys, bytes)
        }
    }
}

/// An error the `redis` object raised, as the `{err = …}` table `redis.pcall` returns.
fn error_value(lua: &Lua, error: &mlua::Error) -> mlua::Result<Value> {
    let text = match lua_error::root_cause(error) {
        mlua::Error::ExternalError(inner) => match inner.downcast_ref::<RedisError>() {
            Some(redis_error) => redis_error.text.clone(),
            None => format!("ERR {inner}").into_bytes(),
        },
        other => format!("ERR {}", lua_error::message(other)).into_bytes(),
    };
    let table = lua.create_table()?;
    table.raw_set("err", lua.create_string(&text)?)?;
    Ok(Value::Table(table))
}

/// A command's arguments from Lua values: strings as they are, numbers as `%.17g`
/// (`luaArgsToRedisArgv`).
fn command_args(values: &MultiValue) -> mlua::Result<OwnedArgs> {
    if values.is_empty() {
        return Err(raise(
            b"Please specify at least one argument for this redis lib call",
        ));
    }
    let mut args = OwnedArgs::with_capacity(values.len(), 64);
    let mut int = itoa::Buffer::new();
    for value in values {
        match value {
            Value::String(s) => args.push(&s.as_bytes()),
            Value::Integer(n) => args.push(int.format(*n).as_bytes()),
            Value::Number(n) => args.push(crate::util::format_double(*n).as_bytes()),
            _ => {
                return Err(raise(
                    b"Lua redis lib command arguments must be strings or integers",
                ));
            }
        }
    }
    Ok(args)
}

/// `redis.log(level, ...)`'s level and text (`luaLogCommand`).
pub(super) fn log_line(values: &MultiValue) -> mlua::Result<(u8, Vec<u8>)> {
    if values.len() < 2 {
        return Err(raise(b"redis.log() requires two arguments or more."));
    }
    let level = match &values[0] {
        Value::Integer(n) => *n as f64,
        Value::Number(n) => *n,
        Value::String(s) => match std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
        {
            Some(n) => n,
            None => return Err(raise(b"First argument must be a number (log level).")),
        },
        _ => return Err(raise(b"First argument must be a number (log level).")),
    };
    let level = level as i64;
    if !(0..=3).contains(&level) {
        return Err(raise(b"Invalid debug level."));
    }
    let mut text = Vec::new();
    for (i, value) in values.iter().skip(1).enumerate() {
        let piece = match value {
            Value::String(s) => s.as_bytes().to_vec(),
            Value::Integer(n) => n.to_string().into_bytes(),
            Value::Number(n) => lua_number_text(*n).into_bytes(),
            _ => continue,
        };
        if i > 0 {
            text.push(b' ');
        }
        text.extend_from_slice(&piece);
    }
    Ok((level as u8, text))
}

/// The `redis` table with the functions that need no host (the host-bound ones are set per
/// run).
fn redis_object(lua: &Lua, state: &Rc<RunState>) -> mlua::Result<Table> {
    let redis = lua.create_table()?;
    redis.raw_set(
        "sha1hex",
        lua.create_function(|_, values: MultiValue| {
            if values.len() != 1 {
                return Err(raise(b"wrong number of arguments"));
            }
            let bytes = match &values[0] {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Integer(n) => n.to_string().into_bytes(),
                Value::Number(n) => lua_number_text(*n).into_bytes(),
                _ => Vec::new(),
            };
            Ok(sha1hex(&bytes))
        })?,
    )?;
    let single_field = |field: &'static str| {
        lua.create_function(move |lua, values: MultiValue| {
            let text = match (values.len(), values.front()) {
                (1, Some(Value::String(s))) => s.as_bytes().to_vec(),
                _ => {
                    return convert::error_table(lua, b"wrong number or type of arguments");
                }
            };
            let table = lua.create_table()?;
            if field == "err" {
                let text = if text.starts_with(b"-") {
                    text
                } else {
                    [b"-".as_slice(), &text].concat()
                };
                table.raw_set("err", lua.create_string(convert::error_text(&text))?)?;
            } else {
                table.raw_set(field, lua.create_string(&text)?)?;
            }
            Ok(table)
        })
    };
    redis.raw_set("error_reply", single_field("err")?)?;
    redis.raw_set("status_reply", single_field("ok")?)?;
    let resp_state = Rc::clone(state);
    redis.raw_set(
        "setresp",
        lua.create_function(move |_, values: MultiValue| {
            if !resp_state.running.get() {
                return Err(raise(
                    b"redis.setresp can only be called inside a script invocation",
                ));
            }
            if values.len() != 1 {
                return Err(raise(b"redis.setresp() requires one argument."));
            }
            match number_of(&values[0]).map(|n| n as i64) {
                Some(2) => resp_state.resp3.set(false),
                Some(3) => resp_state.resp3.set(true),
                _ => return Err(raise(b"RESP version must be 2 or 3.")),
            }
            Ok(())
        })?,
    )?;
    let repl_state = Rc::clone(state);
    redis.raw_set(
        "set_repl",
        lua.create_function(move |_, values: MultiValue| {
            if !repl_state.running.get() {
                return Err(raise(
                    b"redis.set_repl can only be called inside a script invocation",
                ));
            }
            if values.len() != 1 {
                return Err(raise(b"redis.set_repl() requires two arguments."));
            }
            let flags = values.front().and_then(number_of).unwrap_or(0.0) as i64;
            if flags & !3 != 0 {
                return Err(raise(
                    b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                ));
            }
            repl_state.repl_flags.set(flags as u8);
            Ok(())
        })?,
    )?;
    // Redis 7.0 always replicates effects; the call stays for old scripts.
    redis.raw_set(
        "replicate_commands",
        lua.create_function(|_, _: MultiValue| Ok(true))?,
    )?;
    // The debugger is not running: a breakpoint is not taken, debug output goes nowhere.
    redis.raw_set(
        "breakpoint",
        lua.create_function(|_, _: MultiValue| Ok(false))?,
    )?;
    redis.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    log_levels_and_version(&redis)?;
    for (name, value) in [
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        redis.raw_set(name, value)?;
    }
    Ok(redis)
}

/// The log levels and the version, which both the script `redis` object and the one a library
/// sees while it loads carry.
pub(super) fn log_levels_and_version(redis: &Table) -> mlua::Result<()> {
    for (name, value) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
    ] {
        redis.raw_set(name, value)?;
    }
    redis.raw_set("REDIS_VERSION", crate::version::REDIS_VERSION)?;
    redis.raw_set(
        "REDIS_VERSION_NUM",
        version_num(crate::version::REDIS_VERSION),
    )
}

/// Replies `text` for a script or function that is not there (and hands it to `on_error`).
pub(super) fn reply_missing(text: &str, reply: &mut Reply, on_error: &mut dyn FnMut(WrittenError)) {
    reply.error(text);
    on_error(WrittenError {
        text: text.to_string(),
        counted: true,
    });
}

/// `0x00MMmmpp` of a `major.minor.patch` version (`REDIS_VERSION_NUM`).
fn version_num(version: &str) -> i64 {
    let mut parts = version.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
    let (major, minor, patch) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (major << 16) | (minor << 8) | patch
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse().ok()),
        _ => None,
    }
}

/// `srand48`'s default state (`X2 X1 X0` = 0x1234 0xABCD 0x330E), where a server's first
/// interpreter starts.
pub const LRAND48_SEED: u64 = 0x1234_ABCD_330E;
const LRAND48_MAX: i64 = i32::MAX as i64;

/// One step of the 48-bit linear congruential generator (`redisLrand48`): 31 random bits.
fn lrand48(state: &Cell<u64>) -> i64 {
    let next = (state.get().wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB)) & ((1 << 48) - 1);
    state.set(next);
    (next >> 17) as i64
}

/// `luaL_checkint`: a number or a numeric string, truncated; else Lua's argument error.
fn check_int(lua: &Lua, values: &MultiValue, index: usize) -> mlua::Result<i64> {
    let value = values.get(index);
    match value.and_then(number_of) {
        Some(n) => Ok(n as i64),
        None => Err(lua_error::type_error(lua, index + 1, "number", value)),
    }
}

/// Replaces `math.random` and `math.randomseed` with Redis's: the same sequence on every machine
/// for the same seed, whatever the C library.
fn install_random(lua: &Lua, state: &Rc<RunState>) -> mlua::Result<()> {
    let math: Table = lua.globals().raw_get("math")?;
    let random_state = Rc::clone(state);
    math.raw_set(
        "random",
        lua.create_function(move |lua, values: MultiValue| {
            let r = (lrand48(&random_state.random) % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
            match values.len() {
                0 => Ok(r),
                1 => {
                    let upper = check_int(lua, &values, 0)?;
                    if upper < 1 {
                        return Err(lua_error::arg_error(lua, 1, "interval is empty"));
                    }
                    Ok((r * upper as f64).floor() + 1.0)
                }
                2 => {
                    let lower = check_int(lua, &values, 0)?;
                    let upper = check_int(lua, &values, 1)?;
                    if lower > upper {
                        return Err(lua_error::arg_error(lua, 2, "interval is empty"));
                    }
                    Ok((r * (upper - lower + 1) as f64).floor() + lower as f64)
                }
                _ => Err(lua_error::lua_error(lua, "wrong number of arguments")),
            }
        })?,
    )?;
    let seed_state = Rc::clone(state);
    math.raw_set(
        "randomseed",
        lua.create_function(move |lua, values: MultiValue| {
            let seed = check_int(lua, &values, 0)? as i32 as u32 as u64;
            seed_state.random.set((seed << 16) | 0x330E);
            Ok(())
        })?,
    )?;
    Ok(())
}
