//! The `EVAL` engine: an interpreter of its own and its script cache (SHA1 → flags, compiled
//! function), as Redis's `eval.c` keeps them.

use mlua::{Table, Value};

use super::convert::WrittenError;
use super::flags;
use super::lua_error;
use super::vm::{Calling, LuaVm, ScriptHost};
use crate::protocol::reply::Reply;

/// A script in the cache.
pub struct CachedScript {
    pub flags: u32,
    /// Where its compiled function is in the engine's table.
    id: i64,
}

pub struct EvalEngine {
    vm: LuaVm,
    /// The compiled scripts by id, in a Lua table: mlua can hold only about 8000 values from
    /// Rust at once, and a cache has no such bound. Integer keys, so a run finds its script
    /// without making its SHA1 a Lua string.
    functions: Table,
    scripts: foldhash::HashMap<String, CachedScript>,
    next_id: i64,
}

/// `sha` lowercased, if it has the length of a SHA1 in hex (`EVALSHA` takes either case).
pub fn sha_key(sha: &[u8]) -> Option<[u8; SHA1_HEX_LEN]> {
    let mut key: [u8; SHA1_HEX_LEN] = sha.try_into().ok()?;
    key.make_ascii_lowercase();
    Some(key)
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
            scripts: foldhash::HashMap::default(),
            next_id: 1,
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

    /// The cached script `sha` names, in either case.
    pub fn lookup_sha(&self, sha: &[u8]) -> Option<&CachedScript> {
        let key = sha_key(sha)?;
        self.scripts.get(std::str::from_utf8(&key).ok()?)
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
        let id = self.next_id;
        self.functions
            .raw_set(id, function)
            .map_err(|e| lua_error::message(&e))?;
        self.next_id += 1;
        self.scripts.insert(
            sha.clone(),
            CachedScript {
                flags: script_flags,
                id,
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
        busy_at_ms: Option<u64>,
        host: &mut dyn ScriptHost,
        reply: &mut Reply,
        on_error: &mut dyn FnMut(WrittenError),
    ) {
        let function = match self.scripts.get(sha) {
            Some(script) => self.functions.raw_get::<Value>(script.id),
            None => Ok(Value::Nil),
        };
        let Ok(Value::Function(function)) = function else {
            let text = "NOSCRIPT No matching script. Please use EVAL.";
            return super::vm::reply_missing(text, reply, on_error);
        };
        self.vm.run(
            function,
            sha,
            Calling::Globals,
            keys,
            args,
            busy_at_ms,
            host,
            reply,
            on_error,
        );
    }
}
