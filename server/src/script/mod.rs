//! Lua scripting as Redis 7.0 embeds it: the Lua 5.1 interpreter (mlua, vendored), the libraries
//! Redis bundles beside Lua's own (`bit`, `struct`, `cjson`, `cmsgpack`), the sandbox, and the
//! conversions between Lua values and RESP replies.
//!
//! This layer knows nothing of commands or clients: `redis.call` reaches the server through a
//! callback that takes a command's arguments and gives back its reply as RESP bytes, which is
//! what Redis converts to Lua too. The commands that run scripts live in `cmd`.

pub mod convert;
pub mod engine;
pub mod flags;
pub mod function_lua;
pub mod functions;
pub mod lib_bit;
pub mod lib_cjson;
pub mod lib_cmsgpack;
pub mod lib_struct;
pub mod lua_error;
pub mod sandbox;
pub mod vm;

/// An interpreter with Lua's own table, string and math libraries and the library `register`
/// installs, as the library tests run them.
#[cfg(test)]
pub(crate) fn test_lua(register: fn(&mlua::Lua) -> mlua::Result<()>) -> mlua::Lua {
    let lua = mlua::Lua::new_with(
        mlua::StdLib::TABLE | mlua::StdLib::STRING | mlua::StdLib::MATH,
        mlua::LuaOptions::default(),
    )
    .expect("a Lua state");
    register(&lua).expect("the library registers");
    lua
}
