//! The sandbox scripts run in, as Redis 7.0 builds it: the globals and every library table are
//! read-only, reading an undefined global is an error, and what could reach the host (files,
//! `print`, bytecode, function environments) is gone.
//!
//! Redis patches its Lua with a read-only flag on tables; stock Lua 5.1 has none, so the same
//! behaviour is built from what 5.1 offers: scripts see each protected table through an empty
//! proxy whose metatable reads from the table and refuses writes, `setmetatable` and `rawset`
//! refuse proxies, and `getmetatable` shows only read-only views. The chunk below runs once per
//! interpreter, before any script; it is internal, so error positions skip its frames.

use mlua::{Function, Lua, Table};

/// The chunk name of internal code: the error handler skips frames from it when it looks for
/// the script line an error comes from.
pub const INTERNAL_SOURCE: &str = "=[zedis]";

/// Builds the protected environment. Arguments: the real globals, the names of the global
/// library tables to protect, and `error_message` (how `pcall` turns an error object into the
/// message scripts see). Returns the environment scripts run in and `protect`.
const SANDBOX: &str = r#"
local G, libraries, error_message = ...
local error, type, rawset, rawget, setmetatable, getmetatable, pcall, setfenv, loadstring, tostring =
      error, type, rawset, rawget, setmetatable, getmetatable, pcall, setfenv, loadstring, tostring

local readonly = {}
local function refuse() error('Attempt to modify a readonly table', 2) end

-- A read-only view of `t`: reads go to `t`, writes fail, its metatable is a view too.
local function protect(t)
  local view_of_meta = {}
  local meta = {__index = t, __newindex = refuse, __metatable = view_of_meta}
  setmetatable(view_of_meta, {__index = meta, __newindex = refuse, __metatable = false})
  local proxy = setmetatable({}, meta)
  readonly[proxy] = true
  readonly[view_of_meta] = true
  return proxy
end

-- Scripts must not reach what Redis leaves out.
for _, name in ipairs({'dofile', 'loadfile', 'print', 'setfenv', 'getfenv', 'newproxy', 'module', 'require', 'package', 'debug', 'os', 'io'}) do
  rawset(G, name, nil)
end

-- Redis's pcall gives the message of an error table, not the table.
local function finish_pcall(ok, ...)
  if ok then return true, ... end
  return false, error_message((...))
end
rawset(G, 'pcall', function(f, ...) return finish_pcall(pcall(f, ...)) end)

-- Stock Lua 5.1's unpack computes its result count in a C int: a range of 2^31 or more
-- wraps, and the stack it then fills crashes the process. Redis's Lua refuses such ranges; so
-- does this, with the same limit the C stack check applies (results plus arguments).
local unpack, select, tonumber = unpack, select, tonumber
rawset(G, 'unpack', function(...)
  local t, i, j = ...
  if type(t) == 'table' then
    i = (i == nil) and 1 or tonumber(i)
    j = (j == nil) and #t or tonumber(j)
    if i and j and i <= j and (j - i + 1) + select('#', ...) > 8000 then
      error('too many results to unpack', 2)
    end
  end
  return unpack(...)
end)

rawset(G, 'setmetatable', function(t, meta)
  if readonly[t] then error('Attempt to modify a readonly table', 2) end
  return setmetatable(t, meta)
end)
rawset(G, 'rawset', function(t, k, v)
  if readonly[t] then error('Attempt to modify a readonly table', 2) end
  return rawset(t, k, v)
end)

local env
-- Code loaded by a script runs in the scripts' environment, and bytecode is refused.
local function load_text(chunk, name)
  if type(chunk) == 'string' and chunk:byte(1) == 27 then
    return nil, 'binary chunks are not allowed'
  end
  local f, err = loadstring(chunk, name)
  if f then setfenv(f, env) end
  return f, err
end
rawset(G, 'loadstring', load_text)
rawset(G, 'load', function(source, name)
  if type(source) == 'string' then return load_text(source, name) end
  local parts = {}
  while true do
    local piece = source()
    if piece == nil or piece == '' then break end
    parts[#parts + 1] = piece
  end
  return load_text(table.concat(parts), name or '=(load)')
end)

for _, name in ipairs(libraries) do
  rawset(G, name, protect(rawget(G, name)))
end
-- The string metatable is reachable from any string: scripts see a view of it whose
-- __index is the protected string table.
local string_meta = getmetatable('')
string_meta.__index = rawget(G, 'string')
string_meta.__metatable = protect({__index = rawget(G, 'string')})

env = protect(G)
rawset(G, '_G', env)
-- Reading an undefined global is an error; a new global cannot be created.
setmetatable(G, {
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
  __newindex = refuse,
})
return env, protect
"#;

/// Protects the interpreter's globals and the library tables named in `libraries`; returns the
/// environment scripts run in (a read-only view of the globals) and the function that makes a
/// read-only view of a table.
pub fn install(
    lua: &Lua,
    libraries: &[&str],
    error_message: Function,
) -> mlua::Result<(Table, Function)> {
    let names = lua.create_sequence_from(libraries.iter().copied())?;
    lua.load(SANDBOX)
        .set_name(INTERNAL_SOURCE)
        .call((lua.globals(), names, error_message))
}
