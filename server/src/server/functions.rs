//! The server's function libraries (`FUNCTION LOAD`, the RDB's `FUNCTION2` records) and the
//! interpreter their code runs in, which exists only while there is a library to run: a server
//! without functions holds no second Lua heap.

use super::Server;
use crate::script::function_lua::FunctionEngine;
use crate::script::functions::{self, Libraries};

impl Server {
    /// The most a Lua heap may take. Redis leaves it unbounded; here a runaway script fails
    /// with Lua's "not enough memory" instead of taking the host's: it may use as much again
    /// as `maxmemory` (at least 64 MiB), or without `maxmemory` half the machine's memory.
    pub fn lua_heap_limit(&self) -> usize {
        const FLOOR: usize = 64 << 20;
        match self.config.maxmemory {
            0 => self.memory.total_system_memory / 2,
            limit => (limit as usize).max(FLOOR),
        }
    }

    /// The functions' interpreter (created on first use, its heap capped for what runs next)
    /// and the libraries, to change together.
    pub fn functions_mut(&mut self) -> Result<(&mut FunctionEngine, &mut Libraries), String> {
        if self.function_engine.is_none() {
            let engine = FunctionEngine::new(self.eval_random)
                .map_err(|e| format!("Lua could not start: {e}"))?;
            self.function_engine = Some(Box::new(engine));
        }
        let limit = self.lua_heap_limit();
        let engine = self.function_engine.as_deref_mut().expect("created above");
        engine.vm().set_memory_limit(limit);
        Ok((engine, &mut self.functions))
    }

    /// Loads libraries from their code as a file holds them (`rdbFunctionLoad`); with `replace`
    /// a library of the same name is replaced (`DEBUG RELOAD MERGE`), else it is an error. All
    /// or nothing: on an error the libraries are as they were.
    pub fn load_libraries(&mut self, codes: Vec<Vec<u8>>, replace: bool) -> Result<(), String> {
        if codes.is_empty() {
            return Ok(());
        }
        let (engine, libraries) = self.functions_mut()?;
        let mut loaded = Libraries::default();
        for code in codes {
            if let Err(e) = functions::create(engine, &mut loaded, &code, replace, None) {
                engine.release(loaded.callbacks());
                return Err(e);
            }
        }
        functions::join(engine, libraries, loaded, replace)
    }

    /// Drops every library and the interpreter with them (`FUNCTION FLUSH`, a reload).
    pub fn clear_functions(&mut self) {
        self.functions = Default::default();
        self.function_engine = None;
    }

    /// Empties every database and the function libraries with them, before a dataset is
    /// loaded in their place (Redis's `emptyData`: `DEBUG RELOAD`, `DEBUG LOADAOF`, a
    /// replica's full synchronisation).
    pub fn empty_data(&mut self) {
        for db in 0..self.keyspace.dbs.len() {
            self.keyspace.flush_db(db, false);
        }
        self.clear_functions();
    }
}
