//! Errors as Lua's auxiliary library words them (`luaL_error`, `luaL_argerror` and the
//! "expected, got" form), for the libraries and functions written in Rust: Redis's are C
//! functions whose messages scripts see, position and function name included. Also the text
//! of an error as it comes back through mlua's wrapping.

use std::fmt::Display;

use mlua::{Lua, Value};

/// `luaL_error`: the message after the position of the Lua code that called the running
/// function ("user_script:3: "), when that caller is Lua code (nothing under `pcall`).
pub fn lua_error(lua: &Lua, message: impl Display) -> mlua::Error {
    let place = lua
        .inspect_stack(1, |caller| {
            let line = caller.current_line().filter(|&line| line > 0)?;
            let source = caller.source().short_src?.into_owned();
            Some(format!("{source}:{line}: "))
        })
        .flatten()
        .unwrap_or_default();
    mlua::Error::RuntimeError(format!("{place}{message}"))
}

/// `luaL_argerror` for the argument at 1-based `position` of the running function, named as
/// the caller spelled it: a method call does not count `self`, and a bad `self` has its own
/// wording (with the C library's "(null)" for a name it does not know).
pub fn arg_error(lua: &Lua, position: usize, message: impl Display) -> mlua::Error {
    let called = lua.inspect_stack(0, |callee| {
        let names = callee.names();
        (
            names.name.map(|name| name.into_owned()),
            names.name_what == Some("method"),
        )
    });
    let mut position = position as i64;
    let Some((name, is_method)) = called else {
        return lua_error(lua, format_args!("bad argument #{position} ({message})"));
    };
    if is_method {
        position -= 1;
        if position == 0 {
            let name = name.as_deref().unwrap_or("(null)");
            return lua_error(
                lua,
                format_args!("calling '{name}' on bad self ({message})"),
            );
        }
    }
    let name = name.as_deref().unwrap_or("?");
    lua_error(
        lua,
        format_args!("bad argument #{position} to '{name}' ({message})"),
    )
}

/// The type name Lua's messages use (`lua_typename`); `None` is an absent argument.
pub fn type_name(value: Option<&Value>) -> &'static str {
    match value {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

/// The "X expected, got Y" argument error (`luaL_typerror`).
pub fn type_error(lua: &Lua, position: usize, expected: &str, got: Option<&Value>) -> mlua::Error {
    let got = type_name(got);
    arg_error(
        lua,
        position,
        format_args!("{expected} expected, got {got}"),
    )
}

/// The message of an mlua error without mlua's decorations (its "runtime error: " prefix, the
/// callback layers and their tracebacks).
pub fn message(error: &mlua::Error) -> String {
    match root_cause(error) {
        mlua::Error::RuntimeError(message) | mlua::Error::SyntaxError { message, .. } => {
            message.clone()
        }
        mlua::Error::MemoryError(message) => message.clone(),
        mlua::Error::ExternalError(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// The innermost cause of a callback error.
pub fn root_cause(error: &mlua::Error) -> &mlua::Error {
    match error {
        mlua::Error::CallbackError { cause, .. } => root_cause(cause),
        other => other,
    }
}
