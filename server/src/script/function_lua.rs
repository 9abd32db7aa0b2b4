//! The Lua engine of Redis 7.0's functions (`function_lua.c`): an interpreter of its own in
//! which a library's code runs once, at `FUNCTION LOAD`, to register its functions with
//! `redis.register_function`, and in which `FCALL` later runs them.
//!
//! While a library loads, its code sees only a small API: a `redis` table with
//! `register_function`, `log`, the log levels and the version. When its functions run, the same
//! environment shows the full globals instead. Redis does this by swapping what its globals
//! table reads from; here library code runs in a read-only environment whose reads go through
//! a table whose `__index` is swapped the same way.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::convert::WrittenError;
use super::flags;
use super::lua_error;
use super::vm::{self, Calling, LuaVm, RedisError, ScriptHost, raise};
use crate::protocol::reply::Reply;

/// A function a library registered, its callback kept in the engine under an id.
#[derive(Debug, Clone)]
pub struct Registered {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: u32,
    pub callback: i64,
}

/// What `redis.register_function` fills while a library loads.
type Registrations = Rc<RefCell<Option<Vec<Registered>>>>;

/// Builds the two environments from the sandbox's pieces. Arguments: the scripts' environment,
/// `protect`, and the `redis` table of the load API. Returns the environment library code runs
/// in, the metatable whose `__index` decides what it reads, the load API's view, and the
/// function that runs a library's code under a handler that keeps its error as it was raised.
const ENVIRONMENT: &str = r#"
local env, protect, api_redis = ...
local error, setmetatable, tostring = error, setmetatable, tostring
local function nonexistent(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end
setmetatable(api_redis, {__index = nonexistent})
local api = setmetatable({redis = protect(api_redis)}, {__index = nonexistent})
local reads = {__index = env}
-- A library's code runs under a handler that keeps its error as raised (no traceback).
local xpcall = xpcall
local function keep(e) return e end
local function run(f) return xpcall(f, keep) end
return protect(setmetatable({}, reads)), reads, protect(api), run
"#;

pub struct FunctionEngine {
    vm: LuaVm,
    /// The environment library code runs in (a read-only view).
    env: Table,
    /// The metatable of what `env` reads: `__index` is the load API during a load and the
    /// scripts' environment otherwise.
    reads: Table,
    /// The load API's view.
    api: Table,
    /// Runs a library's code: `true`, or `false` and its error.
    run_load: Function,
    /// Registered callbacks by id, in a Lua table (Redis keeps them in the Lua registry).
    callbacks: Table,
    registrations: Registrations,
}

/// Lua instructions between two checks of a load's time.
const LOAD_HOOK_INSTRUCTIONS: u32 = 100_000;

impl FunctionEngine {
    /// A new interpreter; `random` is the state `math.random` starts from.
    pub fn new(random: u64) -> mlua::Result<FunctionEngine> {
        let vm = LuaVm::new(random)?;
        let lua = vm.lua();
        let callbacks = lua.create_table()?;
        let next_callback = Rc::new(Cell::new(1));
        let registrations: Registrations = Rc::new(RefCell::new(None));
        let api_redis = lua.create_table()?;
        api_redis.raw_set(
            "register_function",
            register_function(lua, &registrations, &callbacks, &next_callback)?,
        )?;
        api_redis.raw_set(
            "log",
            lua.create_function(|_, values: MultiValue| {
                let (level, text) = vm::log_line(&values)?;
                vm::log(level, &text);
                Ok(())
            })?,
        )?;
        vm::log_levels_and_version(&api_redis)?;
        let (env, reads, api, run_load): (Table, Table, Table, Function) = lua
            .load(ENVIRONMENT)
            .set_name(super::sandbox::INTERNAL_SOURCE)
            .call((vm.env().clone(), vm.protect_function(), api_redis))?;
        Ok(FunctionEngine {
            vm,
            env,
            reads,
            api,
            run_load,
            callbacks,
            registrations,
        })
    }

    pub fn vm(&mut self) -> &mut LuaVm {
        &mut self.vm
    }

    /// Bytes the interpreter holds (`used_memory_vm_functions`).
    pub fn lua_memory(&self) -> usize {
        self.vm.lua_memory()
    }

    /// Runs a library's code (after its shebang line) so it registers its functions
    /// (`luaEngineCreate`): the functions, or the error reply's text. A load that runs past
    /// `timeout` is stopped.
    pub fn create(
        &mut self,
        code: &[u8],
        timeout: Option<Duration>,
    ) -> Result<Vec<Registered>, String> {
        let lua = self.vm.lua();
        let chunk = lua
            .load(code)
            .set_name("@user_function")
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| format!("Error compiling function: {}", lua_error::message(&e)))?;
        let _ = self.reads.raw_set("__index", self.api.clone());
        *self.registrations.borrow_mut() = Some(Vec::new());
        if let Some(timeout) = timeout {
            set_load_hook(lua, Instant::now(), timeout);
        }
        let _ = lua.set_memory_limit(self.vm.memory_limit());
        let outcome = self.run_load.call::<(bool, Value)>(chunk);
        let _ = lua.set_memory_limit(0);
        self.vm.install_hook();
        let _ = self.reads.raw_set("__index", self.vm.env().clone());
        let registered = self.registrations.borrow_mut().take().unwrap_or_default();
        let error = match outcome {
            Ok((true, _)) => return Ok(registered),
            Ok((false, raised)) => raised_text(raised),
            Err(e) => load_error(&e),
        };
        self.release(registered.iter().map(|r| r.callback));
        Err(format!("Error registering functions: {error}"))
    }

    /// Drops registered callbacks (a library deleted or replaced, or a load that failed).
    pub fn release(&mut self, callbacks: impl IntoIterator<Item = i64>) {
        for id in callbacks {
            let _ = self.callbacks.raw_set(id, Value::Nil);
        }
    }

    /// Runs the function whose callback is `callback`, named `name` in error replies, with
    /// `keys` and `args` as its parameters (`luaEngineCall`).
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        callback: i64,
        name: &str,
        keys: &[&[u8]],
        args: &[&[u8]],
        busy_at_ms: Option<u64>,
        host: &mut dyn ScriptHost,
        reply: &mut Reply,
        on_error: &mut dyn FnMut(WrittenError),
    ) {
        let Ok(Value::Function(function)) = self.callbacks.raw_get::<Value>(callback) else {
            return vm::reply_missing("ERR Function not found", reply, on_error);
        };
        self.vm.run(
            function,
            name,
            Calling::Parameters,
            keys,
            args,
            busy_at_ms,
            host,
            reply,
            on_error,
        );
    }
}

/// Stops a load that runs past `timeout` (`luaEngineLoadHook`), and keeps stopping it at every
/// line after, so `pcall` cannot keep it going.
fn set_load_hook(lua: &Lua, started: Instant, timeout: Duration) {
    let _ = lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(LOAD_HOOK_INSTRUCTIONS),
        move |lua, _| {
            if started.elapsed() <= timeout {
                return Ok(mlua::VmState::Continue);
            }
            lua.set_hook(mlua::HookTriggers::new().every_line(), |_, _| {
                Err(raise(b"FUNCTION LOAD timeout"))
            })?;
            Err(raise(b"FUNCTION LOAD timeout"))
        },
    );
}

/// The text of a load's error (`luaExtractErrorInformation`): what the `redis` object raised as
/// it is, any other error with `ERR` before it.
fn load_error(error: &mlua::Error) -> String {
    match lua_error::root_cause(error) {
        mlua::Error::ExternalError(inner) => match inner.downcast_ref::<RedisError>() {
            Some(redis_error) => String::from_utf8_lossy(redis_error.text()).into_owned(),
            None => format!("ERR {inner}"),
        },
        other => format!("ERR {}", lua_error::message(other)),
    }
}

/// The text of what a library's code raised (`luaExtractErrorInformation`): a string with `ERR`
/// before it, a table's `err` field, an error of the `redis` object as it is.
fn raised_text(raised: Value) -> String {
    match raised {
        Value::String(s) => format!("ERR {}", String::from_utf8_lossy(&s.as_bytes())),
        Value::Integer(n) => format!("ERR {n}"),
        Value::Number(n) => format!("ERR {}", vm::lua_number_text(n)),
        Value::Table(table) => match table.raw_get::<Value>("err") {
            Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            _ => String::new(),
        },
        Value::Error(e) => load_error(&e),
        other => format!("ERR {}", other.type_name()),
    }
}

/// `redis.register_function` (`luaRegisterFunction`): positional `(name, callback)` or one
/// table of named arguments (`function_name`, `callback`, `description`, `flags`).
fn register_function(
    lua: &Lua,
    registrations: &Registrations,
    callbacks: &Table,
    next_callback: &Rc<Cell<i64>>,
) -> mlua::Result<Function> {
    let registrations = Rc::clone(registrations);
    let callbacks = callbacks.clone();
    let next_callback = Rc::clone(next_callback);
    lua.create_function(move |_, values: MultiValue| {
        if registrations.borrow().is_none() {
            return Err(raise(
                b"redis.register_function can only be called on FUNCTION LOAD command",
            ));
        }
        let (name, description, callback, function_flags) = match values.len() {
            1 => named_arguments(&values[0])?,
            2 => {
                let name = string_of(&values[0]).ok_or_else(|| {
                    raise(b"first argument to redis.register_function must be a string")
                })?;
                let Value::Function(callback) = &values[1] else {
                    return Err(raise(
                        b"second argument to redis.register_function must be a function",
                    ));
                };
                (name, None, callback.clone(), 0)
            }
            _ => {
                return Err(raise(
                    b"wrong number of arguments to redis.register_function",
                ));
            }
        };
        if !super::functions::valid_name(&name) {
            return Err(raise(super::functions::BAD_NAME.as_bytes()));
        }
        let name = String::from_utf8_lossy(&name).into_owned();
        let mut registrations = registrations.borrow_mut();
        let registered = registrations.as_mut().expect("checked above");
        if registered.iter().any(|r| r.name == name) {
            return Err(raise(b"Function already exists in the library"));
        }
        let id = next_callback.get();
        next_callback.set(id + 1);
        callbacks.raw_set(id, callback)?;
        registered.push(Registered {
            name,
            description,
            flags: function_flags,
            callback: id,
        });
        Ok(())
    })
}

/// A string argument as Lua's `lua_isstring` takes one: a string, or a number as text.
fn string_of(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        Value::Number(n) => Some(vm::lua_number_text(*n).into_bytes()),
        _ => None,
    }
}

/// A registration's name, description, callback and flags, as read from its arguments.
type Registration = (Vec<u8>, Option<Vec<u8>>, Function, u32);

/// `redis.register_function{…}`'s named arguments (`luaRegisterFunctionReadNamedArgs`).
fn named_arguments(value: &Value) -> mlua::Result<Registration> {
    let Value::Table(table) = value else {
        return Err(raise(
            b"calling redis.register_function with a single argument is only applicable to Lua \
              table (representing named arguments).",
        ));
    };
    let (mut name, mut description, mut callback, mut function_flags) = (None, None, None, 0);
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair?;
        let Some(key) = string_of(&key) else {
            return Err(raise(
                b"named argument key given to redis.register_function is not a string",
            ));
        };
        if key.eq_ignore_ascii_case(b"function_name") {
            name = Some(string_of(&value).ok_or_else(|| {
                raise(b"function_name argument given to redis.register_function must be a string")
            })?);
        } else if key.eq_ignore_ascii_case(b"description") {
            description = Some(string_of(&value).ok_or_else(|| {
                raise(b"description argument given to redis.register_function must be a string")
            })?);
        } else if key.eq_ignore_ascii_case(b"callback") {
            let Value::Function(function) = value else {
                return Err(raise(
                    b"callback argument given to redis.register_function must be a function",
                ));
            };
            callback = Some(function);
        } else if key.eq_ignore_ascii_case(b"flags") {
            let Value::Table(list) = value else {
                return Err(raise(
                    b"flags argument to redis.register_function must be a table representing \
                      function flags",
                ));
            };
            function_flags = read_flags(&list)?;
        } else {
            return Err(raise(b"unknown argument given to redis.register_function"));
        }
    }
    let Some(name) = name else {
        return Err(raise(
            b"redis.register_function must get a function name argument",
        ));
    };
    let Some(callback) = callback else {
        return Err(raise(
            b"redis.register_function must get a callback argument",
        ));
    };
    Ok((name, description, callback, function_flags))
}

/// The flags list of a registration, read up to its first nil (`luaRegisterFunctionReadFlags`).
fn read_flags(list: &Table) -> mlua::Result<u32> {
    let mut found = 0;
    for index in 1.. {
        let value: Value = list.raw_get(index)?;
        if value.is_nil() {
            break;
        }
        let flag = string_of(&value).and_then(|name| {
            flags::NAMES
                .iter()
                .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(&name))
                .map(|(_, flag)| *flag)
        });
        match flag {
            Some(flag) => found |= flag,
            None => return Err(raise(b"unknown flag given")),
        }
    }
    Ok(found)
}
