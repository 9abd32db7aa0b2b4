//! The `EVAL` engine: an interpreter of its own and its script cache (SHA1 → flags, compiled
//! function), as Redis's `eval.c` keeps them.

use std::collections::HashMap;

use mlua::{Table, Value};

use super::convert::WrittenError;
use super::flags;
use super::lua_error;
use super::vm::{Calling, LuaVm, ScriptHost};
use crate::protocol::reply::Reply;

/// A script in the cache.
pub struct CachedScript {
    pub flags: u32,
}

pub struct EvalEngine {
    vm: LuaVm,
    /// The compiled scripts by SHA1, in a Lua table: mlua can hold only about 8000 values from
    /// Rust at once, and a cache has no such bound.
    functions: Table,
    scripts: HashMap<String, CachedScript>,
}

/// Characters of a script's name.
const SHA1_HEX_LEN: usize = 40;

impl EvalEngine {
    /// A new interpreter; `random` is the state `math.random` goes on from (it survives
    /// `SCRIPT FLUSH`, as Redis's generator does).
    pub fn new(random: u64) -> mlua::Result<EvalEngine> {
        let vm = LuaVm::new(random)?;
        let functions = vm.lua().create_table()?;
        Ok(EvalEngine {
            vm,
            functions,
            scripts: HashMap::new(),
        })
    }

    pub fn vm(&mut self) -> &mut LuaVm {
        &mut self.vm
    }

    /// The generator's state, to carry over to the next interpreter.
    pub fn random_state(&self) -> u64 {
        self.vm.random_state()
    }

    pub fn lookup(&self, sha: &str) -> Option<&CachedScript> {
        self.scripts.get(sha)
    }

    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// Bytes the cache holds outside the Lua heap (`used_memory_scripts_eval`): the SHA1 names
    /// and the table's entries. The compiled scripts are in the heap (`used_memory_lua`); the
    /// bodies are not kept, since scripts propagate their effects, never themselves.
    pub fn scripts_memory(&self) -> usize {
        self.scripts.len() * SHA1_HEX_LEN
            + self.scripts.capacity()
                * (std::mem::size_of::<String>() + std::mem::size_of::<CachedScript>())
    }

    /// Bytes the interpreter holds (`used_memory_lua`).
    pub fn lua_memory(&self) -> usize {
        self.vm.lua_memory()
    }

    /// Compiles `body` into the cache (Redis's `luaCreateFunction`): its SHA1, or the error
    /// reply's text.
    pub fn create(&mut self, body: &[u8]) -> Result<String, String> {
        let sha = super::vm::sha1hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (script_flags, shebang_len) = flags::parse_shebang(body)?;
        let function = self
            .vm
            .lua()
            .load(&body[shebang_len..])
            .set_name("@user_script")
            .set_environment(self.vm.env().clone())
            .into_function()
            .map_err(|e| {
                format!(
                    "Error compiling script (new function): {}",
                    lua_error::message(&e)
                )
            })?;
        self.functions
            .raw_set(sha.as_str(), function)
            .map_err(|e| lua_error::message(&e))?;
        self.scripts.insert(
            sha.clone(),
            CachedScript {
                flags: script_flags,
            },
        );
        Ok(sha)
    }

    /// Runs the cached script `sha` with `KEYS` and `ARGV`, writing its reply (or error) to
    /// `reply` in the caller's protocol. Errors written go to `on_error` for the statistics.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        sha: &str,
        keys: &[&[u8]],
        args: &[&[u8]],
        busy_after: Option<std::time::Duration>,
        host: &mut dyn ScriptHost,
        reply: &mut Reply,
        on_error: &mut dyn FnMut(WrittenError),
    ) {
        let Ok(Value::Function(function)) = self.functions.raw_get::<Value>(sha) else {
            let text = "NOSCRIPT No matching script. Please use EVAL.";
            reply.error(text);
            on_error(WrittenError {
                text: text.to_string(),
                counted: true,
            });
            return;
        };
        self.vm.run(
            function,
            sha,
            Calling::Globals,
            keys,
            args,
            busy_after,
            host,
            reply,
            on_error,
        );
    }
}
