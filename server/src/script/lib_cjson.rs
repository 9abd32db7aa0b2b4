//! The `cjson` library that Redis 7.0 puts in every script's globals: `cjson.encode` and
//! `cjson.decode` plus the configuration functions of Lua CJSON 2.1.0, written in Rust on mlua.
//! Scripts compare its output byte for byte (hashes of encoded payloads, error strings caught with
//! `pcall`), and no JSON crate reproduces cjson's choices: `%.14g` numbers, `"\/"` for a slash,
//! tables classified as arrays or objects by their keys, the sparse-array rules, and its exact
//! error messages with their character positions. Redis's C source is only a snapshot of the
//! behaviour to match, not code to copy, so this is a fresh implementation of that behaviour.
//!
//! The nesting limits of the C version come partly from the Lua stack rather than from the
//! configuration: a C function may use at most 8000 stack slots, so nesting deep enough to exhaust
//! them fails with the nesting errors even when the configured maximum depth is higher. Both walks
//! here count the slots the C version would have used, so they fail at the same depth. Neither
//! lets the depth of the data grow the native stack or the number of live mlua references (which
//! Lua 5.1 also caps near 8000): decoding keeps its open containers in a Lua table, and encoding
//! recurses only for the first levels, then does the same.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

use mlua::{Error, IntoLua, IntoLuaMulti, Lua, LuaString, MultiValue, Result, Table, Value};

use super::lua_error::{arg_error, lua_error};

const MODULE_NAME: &str = "cjson";
const MODULE_VERSION: &str = "2.1.0";

/// Stack slots a Lua 5.1 C function may use (`LUAI_MAXCSTACK`); nesting fails beyond it.
const LUA_C_STACK_SLOTS: i32 = 8000;

/// The two values of an on/off option, as `luaL_checkoption` matches them.
const ON_OFF: &[&str] = &["off", "on"];
/// `encode_invalid_numbers` also accepts "null": encode NaN and infinities as `null`.
const ON_OFF_NULL: &[&str] = &["off", "on", "null"];

/// `encode_invalid_numbers` settings.
const INVALID_OFF: i32 = 0;
const INVALID_ON: i32 = 1;

/// Registers the global `cjson` table, as Redis's `luaLoadLib(lua, "cjson", luaopen_cjson)` does
/// (Redis builds Lua CJSON with `ENABLE_CJSON_GLOBAL`; it does not load `cjson.safe`).
pub fn register(lua: &Lua) -> Result<()> {
    let module = new_module(lua)?;
    lua.globals().set(MODULE_NAME, module)
}

/// One `cjson` table with its own configuration: the global one, or one made by `cjson.new()`.
#[derive(Debug)]
struct Config {
    sparse_convert: i32,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    encode_invalid_numbers: i32,
    decode_invalid_numbers: i32,
    number_precision: i32,
    keep_buffer: i32,
    /// The output buffer kept between calls while `encode_keep_buffer` is on.
    buffer: Vec<u8>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: 0,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: INVALID_OFF,
            decode_invalid_numbers: 1,
            number_precision: 14,
            keep_buffer: 1,
            buffer: Vec::new(),
        }
    }
}

/// A kept buffer larger than this is dropped rather than held until the next call.
const KEPT_BUFFER_MAX: usize = 1 << 20;

type Shared = Rc<RefCell<Config>>;

fn new_module(lua: &Lua) -> Result<Table> {
    let cfg: Shared = Rc::default();
    let module = lua.create_table()?;
    // The same insertion order as the C module, so `pairs(cjson)` walks it in the same order.
    add_function(lua, &module, &cfg, "encode", encode)?;
    add_function(lua, &module, &cfg, "decode", decode)?;
    add_function(
        lua,
        &module,
        &cfg,
        "encode_sparse_array",
        encode_sparse_array,
    )?;
    add_function(lua, &module, &cfg, "encode_max_depth", encode_max_depth)?;
    add_function(lua, &module, &cfg, "decode_max_depth", decode_max_depth)?;
    add_function(
        lua,
        &module,
        &cfg,
        "encode_number_precision",
        encode_number_precision,
    )?;
    add_function(lua, &module, &cfg, "encode_keep_buffer", encode_keep_buffer)?;
    add_function(
        lua,
        &module,
        &cfg,
        "encode_invalid_numbers",
        encode_invalid_numbers,
    )?;
    add_function(
        lua,
        &module,
        &cfg,
        "decode_invalid_numbers",
        decode_invalid_numbers,
    )?;
    add_function(lua, &module, &cfg, "new", |lua, _, _| new_module(lua))?;
    module.raw_set("null", Value::NULL)?;
    module.raw_set("_NAME", MODULE_NAME)?;
    module.raw_set("_VERSION", MODULE_VERSION)?;
    Ok(module)
}

fn add_function<R: IntoLuaMulti + 'static>(
    lua: &Lua,
    module: &Table,
    cfg: &Shared,
    name: &str,
    handler: fn(&Lua, &RefCell<Config>, MultiValue) -> Result<R>,
) -> Result<()> {
    let cfg = Rc::clone(cfg);
    let function = lua.create_function(move |lua, args: MultiValue| handler(lua, &cfg, args))?;
    module.raw_set(name, function)
}

// ---------------------------------------------------------------------------------------------
// Errors as the Lua auxiliary library words them.
// ---------------------------------------------------------------------------------------------

fn type_error(lua: &Lua, arg: usize, expected: &str, got: &Value) -> Error {
    super::lua_error::type_error(lua, arg, expected, Some(got))
}

fn type_name(value: &Value) -> &'static str {
    super::lua_error::type_name(Some(value))
}

// ---------------------------------------------------------------------------------------------
// Configuration functions.
// ---------------------------------------------------------------------------------------------

/// Checks that at most `count` arguments were given and pads the missing ones with nil.
fn option_args(lua: &Lua, args: MultiValue, count: usize) -> Result<Vec<Value>> {
    if args.len() > count {
        return Err(arg_error(lua, count + 1, "found too many arguments"));
    }
    let mut args = args.into_vec();
    args.resize(count, Value::Nil);
    Ok(args)
}

/// Selects one setting of a configuration.
type Field = fn(&mut Config) -> &mut i32;

/// An integer setting: a number (or numeric string) truncated as C truncates a double to `int`,
/// then checked against its range (the range error always names argument 1, as cjson does).
/// Replies with the setting. No borrow of the configuration is held while Lua is called.
fn integer_option(
    lua: &Lua,
    cfg: &RefCell<Config>,
    field: Field,
    args: &[Value],
    index: usize,
    (min, max): (i32, i32),
) -> Result<Value> {
    let arg = &args[index - 1];
    if !arg.is_nil() {
        let Some(number) = lua.coerce_number(arg.clone())? else {
            return Err(type_error(lua, index, "number", arg));
        };
        let value = c_double_to_i64(number) as i32;
        if value < min || value > max {
            let message = format_args!("expected integer between {min} and {max}");
            return Err(arg_error(lua, 1, message));
        }
        *field(&mut cfg.borrow_mut()) = value;
    }
    let setting = *field(&mut cfg.borrow_mut());
    Ok(Value::Integer(i64::from(setting)))
}

/// An enumerated setting: a boolean, or one of `options` by name. Replies with the setting as a
/// boolean while it is off or on, by name otherwise.
fn enum_option(
    lua: &Lua,
    cfg: &RefCell<Config>,
    field: Field,
    args: &[Value],
    index: usize,
    options: &[&str],
) -> Result<Value> {
    let value = match &args[index - 1] {
        Value::Nil => None,
        Value::Boolean(on) => Some(i32::from(*on)),
        arg => {
            let Some(name) = lua.coerce_string(arg.clone())? else {
                return Err(type_error(lua, index, "string", arg));
            };
            let bytes = name.as_bytes();
            // C compares NUL-terminated strings: whatever follows a NUL is not seen.
            let name = bytes.split(|&b| b == 0).next().unwrap_or_default();
            match options.iter().position(|option| option.as_bytes() == name) {
                Some(position) => Some(position as i32),
                None => {
                    let name = String::from_utf8_lossy(name);
                    return Err(arg_error(
                        lua,
                        index,
                        format_args!("invalid option '{name}'"),
                    ));
                }
            }
        }
    };
    if let Some(value) = value {
        *field(&mut cfg.borrow_mut()) = value;
    }
    let setting = *field(&mut cfg.borrow_mut());
    Ok(match setting {
        0 | 1 => Value::Boolean(setting == 1),
        other => Value::String(lua.create_string(options[other as usize])?),
    })
}

/// The range of `encode_sparse_array`'s ratio and safe limit, and of the depth limits.
const NON_NEGATIVE: (i32, i32) = (0, i32::MAX);
const POSITIVE: (i32, i32) = (1, i32::MAX);

fn encode_sparse_array(
    lua: &Lua,
    cfg: &RefCell<Config>,
    args: MultiValue,
) -> Result<(Value, Value, Value)> {
    let args = option_args(lua, args, 3)?;
    let convert = enum_option(lua, cfg, |c| &mut c.sparse_convert, &args, 1, ON_OFF)?;
    let ratio = integer_option(lua, cfg, |c| &mut c.sparse_ratio, &args, 2, NON_NEGATIVE)?;
    let safe = integer_option(lua, cfg, |c| &mut c.sparse_safe, &args, 3, NON_NEGATIVE)?;
    Ok((convert, ratio, safe))
}

fn encode_max_depth(lua: &Lua, cfg: &RefCell<Config>, args: MultiValue) -> Result<Value> {
    let args = option_args(lua, args, 1)?;
    integer_option(lua, cfg, |c| &mut c.encode_max_depth, &args, 1, POSITIVE)
}

fn decode_max_depth(lua: &Lua, cfg: &RefCell<Config>, args: MultiValue) -> Result<Value> {
    let args = option_args(lua, args, 1)?;
    integer_option(lua, cfg, |c| &mut c.decode_max_depth, &args, 1, POSITIVE)
}

fn encode_number_precision(lua: &Lua, cfg: &RefCell<Config>, args: MultiValue) -> Result<Value> {
    let args = option_args(lua, args, 1)?;
    integer_option(lua, cfg, |c| &mut c.number_precision, &args, 1, (1, 14))
}

fn encode_keep_buffer(lua: &Lua, cfg: &RefCell<Config>, args: MultiValue) -> Result<Value> {
    let args = option_args(lua, args, 1)?;
    let reply = enum_option(lua, cfg, |c| &mut c.keep_buffer, &args, 1, ON_OFF)?;
    let cfg = &mut *cfg.borrow_mut();
    if cfg.keep_buffer == 0 {
        cfg.buffer = Vec::new();
    }
    Ok(reply)
}

fn encode_invalid_numbers(lua: &Lua, cfg: &RefCell<Config>, args: MultiValue) -> Result<Value> {
    let args = option_args(lua, args, 1)?;
    enum_option(
        lua,
        cfg,
        |c| &mut c.encode_invalid_numbers,
        &args,
        1,
        ON_OFF_NULL,
    )
}

fn decode_invalid_numbers(lua: &Lua, cfg: &RefCell<Config>, args: MultiValue) -> Result<Value> {
    let args = option_args(lua, args, 1)?;
    enum_option(
        lua,
        cfg,
        |c| &mut c.decode_invalid_numbers,
        &args,
        1,
        ON_OFF,
    )
}

/// A double converted to a 64-bit integer as x86-64 does it: truncation, with NaN and values out
/// of range giving `i64::MIN`.
fn c_double_to_i64(number: f64) -> i64 {
    let min = i64::MIN as f64;
    if (min..-min).contains(&number) {
        number as i64
    } else {
        i64::MIN
    }
}

/// A double of at least 1 converted to a 32-bit `int` as x86-64 does it (`INT_MIN` when too big).
fn c_double_to_i32(number: f64) -> i32 {
    if number < 2_147_483_648.0 {
        number as i32
    } else {
        i32::MIN
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding.
// ---------------------------------------------------------------------------------------------

/// The settings an encode call reads, copied so that no borrow of the configuration is held.
#[derive(Clone, Copy)]
struct EncodeSettings {
    sparse_convert: bool,
    sparse_ratio: i32,
    sparse_safe: i32,
    max_depth: i32,
    invalid_numbers: i32,
    precision: usize,
}

fn encode(lua: &Lua, cfg: &RefCell<Config>, args: MultiValue) -> Result<LuaString> {
    if args.len() != 1 {
        return Err(arg_error(lua, 1, "expected 1 argument"));
    }
    let (settings, keep, mut out) = {
        let cfg = &mut *cfg.borrow_mut();
        let settings = EncodeSettings {
            sparse_convert: cfg.sparse_convert != 0,
            sparse_ratio: cfg.sparse_ratio,
            sparse_safe: cfg.sparse_safe,
            max_depth: cfg.encode_max_depth,
            invalid_numbers: cfg.encode_invalid_numbers,
            precision: cfg.number_precision.clamp(1, 14) as usize,
        };
        let keep = cfg.keep_buffer != 0;
        let out = if keep {
            std::mem::take(&mut cfg.buffer)
        } else {
            Vec::new()
        };
        (settings, keep, out)
    };
    out.clear();
    let value = args.into_iter().next().unwrap_or(Value::Nil);
    let mut encoder = Encoder {
        lua,
        settings,
        out,
        scratch: String::new(),
        depth: 0,
        frames: Vec::new(),
        current: None,
        stash: None,
    };
    let result = encoder
        .value(value, 1)
        .and_then(|()| lua.create_string(&encoder.out));
    if keep && encoder.out.capacity() <= KEPT_BUFFER_MAX {
        cfg.borrow_mut().buffer = encoder.out;
    }
    result
}

/// Tables nested up to this depth are written by plain recursion, which is the fastest way; deeper
/// ones by an explicit stack of frames, which bounds the native stack and the mlua references
/// however deep the nesting goes (tables can nest until the 8000 Lua stack slots run out).
const RECURSION_DEPTH: usize = 32;

/// A table written by the explicit stack, innermost last. Its Lua table is `Encoder::current` for
/// the innermost one and sits in `Encoder::stash` for the others.
#[derive(Clone, Copy)]
enum EncodeFrame {
    /// An array: writes `t[next]` up to `t[len]` of the table itself.
    Array { next: i64, len: i64, slots: i32 },
    /// An object: writes the pairs of a list `{k1, v1, k2, v2, ...}` holding the table's entries
    /// from the first table-valued one on (those before it were written as they were found).
    Object {
        next: i64,
        count: i64,
        comma: bool,
        slots: i32,
    },
}

struct Encoder<'a> {
    lua: &'a Lua,
    settings: EncodeSettings,
    out: Vec<u8>,
    scratch: String,
    /// Tables being written by recursion.
    depth: usize,
    /// Tables being written by the explicit stack, below the recursive ones.
    frames: Vec<EncodeFrame>,
    current: Option<Table>,
    /// The Lua tables of the outer frames, frame `i` at index `i + 1`. Keeping them in one Lua
    /// table (instead of one mlua reference each) bounds the references however deep the nesting.
    stash: Option<Table>,
}

impl Encoder<'_> {
    /// Writes a value which the C encoder would reach using `slots` Lua stack slots.
    fn value(&mut self, value: Value, slots: i32) -> Result<()> {
        match value {
            Value::Table(table) => self.table(table, slots),
            value => self.scalar(&value),
        }
    }

    fn table(&mut self, table: Table, slots: i32) -> Result<()> {
        let depth = self.depth + self.frames.len() + 1;
        if depth as i64 > i64::from(self.settings.max_depth) || slots + 3 > LUA_C_STACK_SLOTS {
            return Err(lua_error(
                self.lua,
                format_args!("Cannot serialise, excessive nesting ({depth})"),
            ));
        }
        let len = self.array_length(&table)?;
        if !self.frames.is_empty() {
            // Inside the explicit stack: its loop writes the table.
            return self.open_frame(table, len, slots);
        }
        if self.depth >= RECURSION_DEPTH {
            self.open_frame(table, len, slots)?;
            return self.run_frames();
        }
        self.depth += 1;
        if len > 0 {
            self.out.push(b'[');
            for index in 1..=i64::from(len) {
                if index > 1 {
                    self.out.push(b',');
                }
                self.value(table.raw_get(index)?, slots + 1)?;
            }
            self.out.push(b']');
        } else {
            self.out.push(b'{');
            // `pairs` steps with `lua_next` as the C encoder does, so the keys come in the same
            // order (and unlike `for_each` it needs no protected call, which allocates in Lua 5.1).
            for (i, entry) in table.pairs::<Value, Value>().enumerate() {
                let (key, value) = entry?;
                if i > 0 {
                    self.out.push(b',');
                }
                self.key(&key)?;
                self.value(value, slots + 2)?;
            }
            self.out.push(b'}');
        }
        self.depth -= 1;
        Ok(())
    }

    /// Writes the tables of the explicit stack until it is empty.
    fn run_frames(&mut self) -> Result<()> {
        while let Some(&frame) = self.frames.last() {
            match frame {
                EncodeFrame::Array { next, len, slots } => {
                    if next > len {
                        self.out.push(b']');
                        self.close_frame()?;
                        continue;
                    }
                    if let Some(EncodeFrame::Array { next, .. }) = self.frames.last_mut() {
                        *next += 1;
                    }
                    if next > 1 {
                        self.out.push(b',');
                    }
                    let value: Value = self.current_table().raw_get(next)?;
                    self.value(value, slots + 1)?;
                }
                EncodeFrame::Object {
                    next,
                    count,
                    comma,
                    slots,
                } => {
                    if next >= count {
                        self.out.push(b'}');
                        self.close_frame()?;
                        continue;
                    }
                    if let Some(EncodeFrame::Object { next, .. }) = self.frames.last_mut() {
                        *next += 1;
                    }
                    if comma || next > 0 {
                        self.out.push(b',');
                    }
                    let list = self.current_table();
                    let key: Value = list.raw_get(2 * next + 1)?;
                    let value: Value = list.raw_get(2 * next + 2)?;
                    self.key(&key)?;
                    self.value(value, slots + 2)?;
                }
            }
        }
        Ok(())
    }

    fn current_table(&self) -> &Table {
        self.current
            .as_ref()
            .expect("an open frame has a current table")
    }

    /// Starts writing a table on the explicit stack, given its array length (0 for an object).
    fn open_frame(&mut self, table: Table, len: i32, slots: i32) -> Result<()> {
        if len > 0 {
            self.out.push(b'[');
            self.push_frame(
                EncodeFrame::Array {
                    next: 1,
                    len: i64::from(len),
                    slots,
                },
                table,
            )
        } else {
            self.out.push(b'{');
            match self.object_entries(&table)? {
                None => {
                    self.out.push(b'}');
                    Ok(())
                }
                Some((list, count, comma)) => self.push_frame(
                    EncodeFrame::Object {
                        next: 0,
                        count,
                        comma,
                        slots,
                    },
                    list,
                ),
            }
        }
    }

    fn push_frame(&mut self, frame: EncodeFrame, table: Table) -> Result<()> {
        if let Some(outer) = self.current.replace(table) {
            let stash = match &self.stash {
                Some(stash) => stash,
                None => self.stash.insert(self.lua.create_table()?),
            };
            stash.raw_set(self.frames.len(), outer)?;
        }
        self.frames.push(frame);
        Ok(())
    }

    fn close_frame(&mut self) -> Result<()> {
        self.frames.pop();
        self.current = match (&self.stash, self.frames.len()) {
            (_, 0) | (None, _) => None,
            (Some(stash), depth) => Some(stash.raw_get(depth)?),
        };
        Ok(())
    }

    /// The length of the array a table is, or -1 when it is an object: arrays have only positive
    /// integer keys and are not excessively sparse (which is an error unless converting is on).
    fn array_length(&self, table: &Table) -> Result<i32> {
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        for entry in table.pairs::<Value, bool>() {
            let index = match entry?.0 {
                Value::Integer(i) => i as f64,
                Value::Number(n) => n,
                _ => return Ok(-1),
            };
            if index < 1.0 || index.floor() != index {
                return Ok(-1);
            }
            if index > f64::from(max) {
                max = c_double_to_i32(index);
            }
            items = items.wrapping_add(1);
        }
        let EncodeSettings {
            sparse_ratio,
            sparse_safe,
            sparse_convert,
            ..
        } = self.settings;
        if sparse_ratio > 0 && max > items.wrapping_mul(sparse_ratio) && max > sparse_safe {
            if !sparse_convert {
                return Err(self.exception("table", "excessively sparse array"));
            }
            return Ok(-1);
        }
        Ok(max)
    }

    /// Writes an object's entries while their values are not tables. From the first table-valued
    /// one on, collects the entries in a list instead, for a frame to write: returns that list, its
    /// entry count, and whether an entry was written already.
    fn object_entries(&mut self, table: &Table) -> Result<Option<(Table, i64, bool)>> {
        let mut rest: Option<(Table, i64)> = None;
        let mut written = false;
        for entry in table.pairs::<Value, Value>() {
            let (key, value) = entry?;
            if rest.is_none() && !matches!(value, Value::Table(_)) {
                if written {
                    self.out.push(b',');
                }
                written = true;
                self.key(&key)?;
                self.scalar(&value)?;
                continue;
            }
            let (list, count) = match &mut rest {
                Some(rest) => rest,
                None => rest.insert((self.lua.create_table()?, 0)),
            };
            list.raw_set(2 * *count + 1, key)?;
            list.raw_set(2 * *count + 2, value)?;
            *count += 1;
        }
        Ok(rest.map(|(list, count)| (list, count, written)))
    }

    fn key(&mut self, key: &Value) -> Result<()> {
        match key {
            Value::String(s) => {
                append_string(&mut self.out, &s.as_bytes());
                self.out.push(b':');
            }
            Value::Integer(_) | Value::Number(_) => {
                self.out.push(b'"');
                self.number(key)?;
                self.out.extend_from_slice(b"\":");
            }
            other => {
                return Err(
                    self.exception(type_name(other), "table key must be a number or string")
                );
            }
        }
        Ok(())
    }

    /// Writes any value but a table.
    fn scalar(&mut self, value: &Value) -> Result<()> {
        match value {
            Value::String(s) => append_string(&mut self.out, &s.as_bytes()),
            Value::Integer(_) | Value::Number(_) => self.number(value)?,
            Value::Boolean(true) => self.out.extend_from_slice(b"true"),
            Value::Boolean(false) => self.out.extend_from_slice(b"false"),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(ud) if ud.0.is_null() => self.out.extend_from_slice(b"null"),
            other => return Err(self.exception(type_name(other), "type not supported")),
        }
        Ok(())
    }

    fn number(&mut self, value: &Value) -> Result<()> {
        let number = match *value {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => unreachable!("number() is given numbers"),
        };
        if !number.is_finite() {
            match self.settings.invalid_numbers {
                INVALID_OFF => return Err(self.exception("number", "must not be NaN or Inf")),
                // NaN is spelt "nan" whatever its sign; infinities as printf spells them.
                INVALID_ON if number.is_nan() => {
                    self.out.extend_from_slice(b"nan");
                    return Ok(());
                }
                INVALID_ON => {}
                _ => {
                    self.out.extend_from_slice(b"null");
                    return Ok(());
                }
            }
        }
        format_g(
            &mut self.out,
            &mut self.scratch,
            number,
            self.settings.precision,
        );
        Ok(())
    }

    fn exception(&self, type_name: &str, reason: &str) -> Error {
        lua_error(
            self.lua,
            format_args!("Cannot serialise {type_name}: {reason}"),
        )
    }
}

/// How each control character is escaped (the rest of the bytes below 0x20).
const CONTROL_ESCAPES: [&str; 32] = [
    "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007", "\\b",
    "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012",
    "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a",
    "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
];

/// Writes a string in quotes, escaping control characters, DEL, `"`, `\` and `/`. Other bytes,
/// UTF-8 or not, are copied as they are.
fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut copied = 0;
    for (i, &byte) in s.iter().enumerate() {
        let escape: &[u8] = match byte {
            0..=0x1f => CONTROL_ESCAPES[usize::from(byte)].as_bytes(),
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'/' => b"\\/",
            0x7f => b"\\u007f",
            _ => continue,
        };
        out.extend_from_slice(&s[copied..i]);
        out.extend_from_slice(escape);
        copied = i + 1;
    }
    out.extend_from_slice(&s[copied..]);
    out.push(b'"');
}

/// Writes a number as C's `printf("%.<precision>g")` does (precision 1 to 14).
fn format_g(out: &mut Vec<u8>, scratch: &mut String, number: f64, precision: usize) {
    if number.is_nan() {
        let text: &[u8] = if number.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        };
        out.extend_from_slice(text);
        return;
    }
    if number.is_infinite() {
        let text: &[u8] = if number < 0.0 { b"-inf" } else { b"inf" };
        out.extend_from_slice(text);
        return;
    }
    if number == 0.0 {
        let text: &[u8] = if number.is_sign_negative() {
            b"-0"
        } else {
            b"0"
        };
        out.extend_from_slice(text);
        return;
    }
    // Integers with at most `precision` digits print as themselves.
    if number.fract() == 0.0 && number.abs() < 10f64.powi(precision as i32) {
        scratch.clear();
        let _ = write!(scratch, "{}", number as i64);
        out.extend_from_slice(scratch.as_bytes());
        return;
    }
    // Round to `precision` significant digits, then lay them out: Rust's exact formatting rounds
    // ties to even on the binary value, as glibc does.
    scratch.clear();
    let _ = write!(scratch, "{:.*e}", precision - 1, number);
    let (mantissa, exponent) = scratch.split_once('e').expect("{:e} writes an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} writes a decimal exponent");
    let negative = mantissa.starts_with('-');
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    if negative {
        out.push(b'-');
    }
    if exponent < -4 || exponent >= precision as i32 {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        scratch.clear();
        let _ = write!(scratch, "e{sign}{:02}", exponent.unsigned_abs());
        out.extend_from_slice(scratch.as_bytes());
    } else if exponent >= 0 {
        let whole = exponent as usize + 1;
        if digits.len() <= whole {
            out.extend_from_slice(&digits);
            out.resize(out.len() + whole - digits.len(), b'0');
        } else {
            out.extend_from_slice(&digits[..whole]);
            out.push(b'.');
            out.extend_from_slice(&digits[whole..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-exponent - 1) as usize, b'0');
        out.extend_from_slice(&digits);
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding.
// ---------------------------------------------------------------------------------------------

fn decode(lua: &Lua, cfg: &RefCell<Config>, args: MultiValue) -> Result<Value> {
    if args.len() != 1 {
        return Err(arg_error(lua, 1, "expected 1 argument"));
    }
    let (max_depth, invalid_numbers) = {
        let cfg = cfg.borrow();
        (cfg.decode_max_depth, cfg.decode_invalid_numbers != 0)
    };
    let arg = args.into_iter().next().unwrap_or(Value::Nil);
    let Some(json) = lua.coerce_string(arg.clone())? else {
        return Err(type_error(lua, 1, "string", &arg));
    };
    let json = json.as_bytes();
    let data: &[u8] = &json;
    // Text in UTF-16 or UTF-32 has a NUL among its first two bytes.
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return Err(lua_error(
            lua,
            "JSON parser does not support UTF-16 or UTF-32",
        ));
    }
    Decoder {
        lua,
        lexer: Lexer {
            data,
            pos: 0,
            invalid_numbers,
            text: Vec::new(),
        },
        max_depth,
        frames: Vec::new(),
        current: None,
        stash: None,
    }
    .decode()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Token {
    ObjectBegin,
    ObjectEnd,
    ArrayBegin,
    ArrayEnd,
    /// A string, its text in `Lexer::text`.
    String,
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    /// What is wrong with the text at the token's position.
    Error(&'static str),
}

impl Token {
    /// How parse errors name what they found.
    fn describe(self) -> &'static str {
        match self {
            Token::ObjectBegin => "T_OBJ_BEGIN",
            Token::ObjectEnd => "T_OBJ_END",
            Token::ArrayBegin => "T_ARR_BEGIN",
            Token::ArrayEnd => "T_ARR_END",
            Token::String => "T_STRING",
            Token::Number(_) => "T_NUMBER",
            Token::Boolean(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(reason) => reason,
        }
    }
}

struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    invalid_numbers: bool,
    text: Vec<u8>,
}

impl Lexer<'_> {
    /// The byte at `i`; the text ends at its first NUL, or where it ends.
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn starts_with(&self, word: &[u8]) -> bool {
        self.data[self.pos..].starts_with(word)
    }

    /// The next token and the offset where it starts.
    fn next(&mut self) -> (Token, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let single = match self.at(start) {
            0 => return (Token::End, start),
            b'{' => Token::ObjectBegin,
            b'}' => Token::ObjectEnd,
            b'[' => Token::ArrayBegin,
            b']' => Token::ArrayEnd,
            b',' => Token::Comma,
            b':' => Token::Colon,
            b'"' => {
                // A bad string is reported where the problem is, not where the string starts.
                let token = self.string();
                let at = if matches!(token, Token::Error(_)) {
                    self.pos
                } else {
                    start
                };
                return (token, at);
            }
            b'-' | b'0'..=b'9' => {
                if !self.invalid_numbers && self.non_json_number() {
                    return (Token::Error("invalid number"), start);
                }
                return (self.number(), start);
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => return (self.word(), start),
            _ => return (Token::Error("invalid token"), start),
        };
        self.pos += 1;
        (single, start)
    }

    /// `true`, `false`, `null`, or (when allowed) a number that JSON does not allow, such as
    /// `+1`, `inf` or `NaN`.
    fn word(&mut self) -> Token {
        for (word, token) in [
            (&b"true"[..], Token::Boolean(true)),
            (b"false", Token::Boolean(false)),
            (b"null", Token::Null),
        ] {
            if self.starts_with(word) {
                self.pos += word.len();
                return token;
            }
        }
        if self.invalid_numbers && self.non_json_number() {
            return self.number();
        }
        Token::Error("invalid token")
    }

    /// Whether the number here is one JSON forbids but C's `strtod` reads: a leading `+`, a
    /// leading zero, hexadecimal, infinity or NaN.
    fn non_json_number(&self) -> bool {
        let mut i = self.pos;
        match self.at(i) {
            b'+' => return true,
            b'-' => i += 1,
            _ => {}
        }
        match self.at(i) {
            b'0' => {
                let next = self.at(i + 1);
                next | 0x20 == b'x' || next.is_ascii_digit()
            }
            // Bytes up to '9' (and bytes above 0x7f, negative as C chars) make ordinary numbers.
            c if c <= b'9' || c >= 0x80 => false,
            _ => {
                let rest = &self.data[i..];
                starts_with_ignore_case(rest, b"inf") || starts_with_ignore_case(rest, b"nan")
            }
        }
    }

    fn number(&mut self) -> Token {
        match strtod(&self.data[self.pos..]) {
            Some((value, len)) => {
                self.pos += len;
                Token::Number(value)
            }
            None => Token::Error("invalid number"),
        }
    }

    /// A string token; on an error `pos` is left where the error is.
    fn string(&mut self) -> Token {
        self.pos += 1;
        self.text.clear();
        loop {
            let byte = self.at(self.pos);
            match byte {
                b'"' => break,
                0 => return Token::Error("unexpected end of string"),
                b'\\' => {
                    let unescaped = match self.at(self.pos + 1) {
                        b'u' => {
                            if self.unicode_escape() {
                                continue;
                            }
                            return Token::Error("invalid unicode escape code");
                        }
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        _ => return Token::Error("invalid escape code"),
                    };
                    self.text.push(unescaped);
                    self.pos += 2;
                }
                _ => {
                    self.text.push(byte);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Token::String
    }

    /// Reads `\uXXXX`, or a surrogate pair `\uD8XX\uDCXX`, at `pos` and appends it as UTF-8.
    fn unicode_escape(&mut self) -> bool {
        let Some(mut code) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut len = 6;
        if code & 0xF800 == 0xD800 {
            // A surrogate: it must be a high one, followed by an escaped low one.
            if code & 0x400 != 0 || self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u'
            {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            code = (((code & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let c = char::from_u32(code).expect("no surrogate is left");
        let mut utf8 = [0; 4];
        self.text
            .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        self.pos += len;
        true
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        (at..at + 4).try_fold(0, |code, i| {
            Some(code << 4 | char::from(self.at(i)).to_digit(16)?)
        })
    }
}

fn starts_with_ignore_case(text: &[u8], word: &[u8]) -> bool {
    text.len() >= word.len() && text[..word.len()].eq_ignore_ascii_case(word)
}

/// Reads a number at the start of `text` as glibc's `strtod` does: an optional sign, then a
/// decimal number, a hexadecimal one (`0x1.8p3`), `inf`/`infinity` or `nan`/`nan(...)`, any case.
/// Returns the value and the bytes read, or `None` when no number starts there.
fn strtod(text: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let (negative, start) = match at(0) {
        b'-' => (true, 1),
        b'+' => (false, 1),
        _ => (false, 0),
    };
    let signed = |value: f64| if negative { -value } else { value };
    let rest = &text[start..];
    if starts_with_ignore_case(rest, b"inf") {
        let len = if starts_with_ignore_case(rest, b"infinity") {
            8
        } else {
            3
        };
        return Some((signed(f64::INFINITY), start + len));
    }
    if starts_with_ignore_case(rest, b"nan") {
        let (value, len) = nan_with_payload(&rest[3..]);
        return Some((signed(value), start + 3 + len));
    }
    // "0x" without hex digits is read as just the zero.
    if at(start) == b'0'
        && at(start + 1) | 0x20 == b'x'
        && let Some((value, len)) = hex_float(&rest[2..])
    {
        return Some((signed(value), start + 2 + len));
    }
    let digits = |from: usize| (from..).take_while(|&i| at(i).is_ascii_digit()).count();
    let mut end = start;
    let whole = digits(end);
    end += whole;
    let mut fraction = 0;
    if at(end) == b'.' {
        fraction = digits(end + 1);
        if whole + fraction > 0 {
            end += 1 + fraction;
        }
    }
    if whole + fraction == 0 {
        return None;
    }
    if at(end) | 0x20 == b'e' {
        let sign = usize::from(matches!(at(end + 1), b'+' | b'-'));
        let exponent = digits(end + 1 + sign);
        if exponent > 0 {
            end += 1 + sign + exponent;
        }
    }
    let number = std::str::from_utf8(&text[..end]).ok()?;
    Some((number.parse().ok()?, end))
}

/// glibc's NaN, with the payload given as `nan(number)`: reads the optional parenthesised part
/// after "nan" and returns the NaN and the bytes of that part it took.
fn nan_with_payload(text: &[u8]) -> (f64, usize) {
    const QUIET_NAN: u64 = 0x7ff8_0000_0000_0000;
    const PAYLOAD_BITS: u64 = (1 << 51) - 1;
    if text.first() != Some(&b'(') {
        return (f64::from_bits(QUIET_NAN), 0);
    }
    let inner = text[1..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
        .count();
    if text.get(1 + inner) != Some(&b')') {
        return (f64::from_bits(QUIET_NAN), 0);
    }
    let payload = strtoull_base0(&text[1..1 + inner]).unwrap_or(0) & PAYLOAD_BITS;
    (f64::from_bits(QUIET_NAN | payload), inner + 2)
}

/// `strtoull(text, &end, 0)` when it reads all of `text` (saturating as it does), else `None`.
fn strtoull_base0(text: &[u8]) -> Option<u64> {
    let (radix, digits) = match text {
        [b'0', x, rest @ ..]
            if x | 0x20 == b'x' && rest.first().is_some_and(u8::is_ascii_hexdigit) =>
        {
            (16, rest)
        }
        [b'0', rest @ ..] => (8, rest),
        _ => (10, text),
    };
    if digits.is_empty() && radix != 8 {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &b| {
        let digit = char::from(b).to_digit(radix)?;
        Some(
            value
                .checked_mul(u64::from(radix))
                .and_then(|v| v.checked_add(u64::from(digit)))
                .unwrap_or(u64::MAX),
        )
    })
}

/// A hexadecimal float after its "0x": hex digits with an optional point, then an optional binary
/// exponent `p[+-]digits`. Rounds to nearest, ties to even, like glibc.
fn hex_float(text: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    let hex = |i: usize| char::from(at(i)).to_digit(16);
    let mut mantissa: u64 = 0;
    let mut exponent: i64 = 0;
    // Whether digits too far down to keep in `mantissa` were not all zero.
    let mut sticky = false;
    let mut any_digit = false;
    let mut i = 0;
    while let Some(digit) = hex(i) {
        any_digit = true;
        if mantissa >> 60 == 0 {
            mantissa = mantissa << 4 | u64::from(digit);
        } else {
            exponent += 4;
            sticky |= digit != 0;
        }
        i += 1;
    }
    if at(i) == b'.' {
        let mut j = i + 1;
        while let Some(digit) = hex(j) {
            any_digit = true;
            if mantissa >> 60 == 0 {
                mantissa = mantissa << 4 | u64::from(digit);
                exponent -= 4;
            } else {
                sticky |= digit != 0;
            }
            j += 1;
        }
        if any_digit {
            i = j;
        }
    }
    if !any_digit {
        return None;
    }
    if at(i) | 0x20 == b'p' {
        let (negative, sign) = match at(i + 1) {
            b'-' => (true, 1),
            b'+' => (false, 1),
            _ => (false, 0),
        };
        let mut j = i + 1 + sign;
        let mut power: i64 = 0;
        while at(j).is_ascii_digit() {
            power = (power * 10 + i64::from(at(j) - b'0')).min(1 << 40);
            j += 1;
        }
        if j > i + 1 + sign {
            exponent += if negative { -power } else { power };
            i = j;
        }
    }
    Some((binary_float(mantissa, exponent, sticky), i))
}

/// The double nearest `mantissa * 2^exponent` (plus a little more when `sticky`), ties to even.
fn binary_float(mantissa: u64, exponent: i64, sticky: bool) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let bits = i64::from(64 - mantissa.leading_zeros());
    let top = exponent + bits - 1;
    if top > 1023 {
        return f64::INFINITY;
    }
    // Significant bits available at this magnitude: 53, fewer for subnormals.
    let precision = if top >= -1022 { 53 } else { top + 1075 };
    if precision < 0 {
        return 0.0;
    }
    let (mut value, mut exponent) = (u128::from(mantissa), exponent);
    let drop = bits - precision;
    if drop > 0 {
        let dropped = value & ((1 << drop) - 1);
        let half = 1 << (drop - 1);
        value >>= drop;
        exponent += drop;
        if dropped > half || (dropped == half && (sticky || value & 1 == 1)) {
            value += 1;
        }
    }
    if value == 0 {
        return 0.0;
    }
    let bits = i64::from(128 - value.leading_zeros());
    let top = exponent + bits - 1;
    if top > 1023 {
        return f64::INFINITY;
    }
    if top >= -1022 {
        let significand = if bits > 53 {
            value >> (bits - 53)
        } else {
            value << (53 - bits)
        };
        let fraction = significand as u64 & ((1 << 52) - 1);
        f64::from_bits(((top + 1023) as u64) << 52 | fraction)
    } else {
        f64::from_bits((value << (exponent + 1074)) as u64)
    }
}

/// A decoded value not yet stored: strings stay in the lexer's buffer until then.
enum Item {
    /// The string in `Lexer::text`.
    Text,
    Number(f64),
    Boolean(bool),
    Null,
    Table(Table),
}

impl Item {
    fn into_value(self, lua: &Lua, text: &[u8]) -> Result<Value> {
        Ok(match self {
            Item::Text => Value::String(lua.create_string(text)?),
            Item::Number(n) => Value::Number(n),
            Item::Boolean(b) => Value::Boolean(b),
            Item::Null => Value::NULL,
            Item::Table(table) => Value::Table(table),
        })
    }

    /// Sets `table[key]` to the value. Strings that are UTF-8 go to Lua as `&str`, which mlua
    /// pushes straight onto the Lua stack instead of holding a reference for each.
    fn store(self, lua: &Lua, table: &Table, key: impl IntoLua, text: &[u8]) -> Result<()> {
        match self {
            Item::Text => match std::str::from_utf8(text) {
                Ok(text) => table.raw_set(key, text),
                Err(_) => table.raw_set(key, lua.create_string(text)?),
            },
            Item::Number(n) => table.raw_set(key, n),
            Item::Boolean(b) => table.raw_set(key, b),
            Item::Null => table.raw_set(key, Value::NULL),
            Item::Table(child) => table.raw_set(key, child),
        }
    }
}

/// An array or object being filled, innermost last. Its Lua table is `Decoder::current` for the
/// innermost one and sits in `Decoder::stash` for the others.
enum DecodeFrame {
    Array {
        next: i64,
        slots: i32,
    },
    /// An object, with the key whose value is being read.
    Object {
        key: Vec<u8>,
        slots: i32,
    },
}

impl DecodeFrame {
    /// The stack slots the C decoder would be using inside this container.
    fn inner_slots(&self) -> i32 {
        match self {
            DecodeFrame::Array { slots, .. } => slots + 1,
            DecodeFrame::Object { slots, .. } => slots + 2,
        }
    }
}

struct Decoder<'a, 'j> {
    lua: &'a Lua,
    lexer: Lexer<'j>,
    max_depth: i32,
    frames: Vec<DecodeFrame>,
    current: Option<Table>,
    /// The tables of the outer frames, frame `i` at index `i + 1` (see `Encoder::stash`).
    stash: Option<Table>,
}

impl Decoder<'_, '_> {
    fn decode(mut self) -> Result<Value> {
        let mut token = self.lexer.next();
        'value: loop {
            let mut item = match token.0 {
                Token::String => Item::Text,
                Token::Number(n) => Item::Number(n),
                Token::Boolean(b) => Item::Boolean(b),
                Token::Null => Item::Null,
                Token::ArrayBegin | Token::ObjectBegin => {
                    let object = token.0 == Token::ObjectBegin;
                    let table = self.open(object)?;
                    token = self.lexer.next();
                    let end = if object {
                        Token::ObjectEnd
                    } else {
                        Token::ArrayEnd
                    };
                    if token.0 == end {
                        Item::Table(table)
                    } else {
                        let slots = self.frames.last().map_or(1, DecodeFrame::inner_slots);
                        let frame = if object {
                            DecodeFrame::Object {
                                key: Vec::new(),
                                slots,
                            }
                        } else {
                            DecodeFrame::Array { next: 1, slots }
                        };
                        self.push_frame(frame, table)?;
                        if object {
                            token = self.object_key(token)?;
                        }
                        continue 'value;
                    }
                }
                _ => return Err(self.parse_error("value", token)),
            };
            // Store the value in its container, closing the containers it completes.
            loop {
                let Some(frame) = self.frames.last_mut() else {
                    let token = self.lexer.next();
                    if token.0 != Token::End {
                        return Err(self.parse_error("the end", token));
                    }
                    return item.into_value(self.lua, &self.lexer.text);
                };
                let table = self
                    .current
                    .as_ref()
                    .expect("an open frame has a current table");
                let text = &self.lexer.text;
                let (end, expected) = match frame {
                    DecodeFrame::Array { next, .. } => {
                        item.store(self.lua, table, *next, text)?;
                        *next += 1;
                        (Token::ArrayEnd, "comma or array end")
                    }
                    DecodeFrame::Object { key, .. } => {
                        match std::str::from_utf8(key) {
                            Ok(key) => item.store(self.lua, table, key, text)?,
                            Err(_) => {
                                item.store(self.lua, table, self.lua.create_string(&key)?, text)?
                            }
                        }
                        (Token::ObjectEnd, "comma or object end")
                    }
                };
                token = self.lexer.next();
                if token.0 == end {
                    item = Item::Table(self.close_frame()?);
                } else if token.0 == Token::Comma {
                    token = self.lexer.next();
                    if end == Token::ObjectEnd {
                        token = self.object_key(token)?;
                    }
                    continue 'value;
                } else {
                    return Err(self.parse_error(expected, token));
                }
            }
        }
    }

    /// Checks the nesting limits on entering an array or object (with the lexer just past its
    /// bracket) and makes its table.
    fn open(&self, object: bool) -> Result<Table> {
        let depth = self.frames.len() + 1;
        let slots = self.frames.last().map_or(1, DecodeFrame::inner_slots);
        let needed = if object { 3 } else { 2 };
        if depth as i64 > i64::from(self.max_depth) || slots + needed > LUA_C_STACK_SLOTS {
            return Err(lua_error(
                self.lua,
                format_args!(
                    "Found too many nested data structures ({depth}) at character {}",
                    self.lexer.pos
                ),
            ));
        }
        self.lua.create_table()
    }

    /// Reads `"key":` into the innermost frame, given the key's token; returns the token after.
    fn object_key(&mut self, token: (Token, usize)) -> Result<(Token, usize)> {
        if token.0 != Token::String {
            return Err(self.parse_error("object key string", token));
        }
        if let Some(DecodeFrame::Object { key, .. }) = self.frames.last_mut() {
            key.clear();
            key.extend_from_slice(&self.lexer.text);
        }
        let colon = self.lexer.next();
        if colon.0 != Token::Colon {
            return Err(self.parse_error("colon", colon));
        }
        Ok(self.lexer.next())
    }

    fn push_frame(&mut self, frame: DecodeFrame, table: Table) -> Result<()> {
        if let Some(outer) = self.current.replace(table) {
            let stash = match &self.stash {
                Some(stash) => stash,
                None => self.stash.insert(self.lua.create_table()?),
            };
            stash.raw_set(self.frames.len(), outer)?;
        }
        self.frames.push(frame);
        Ok(())
    }

    /// Closes the innermost frame and returns its table.
    fn close_frame(&mut self) -> Result<Table> {
        self.frames.pop();
        let outer = match (&self.stash, self.frames.len()) {
            (_, 0) | (None, _) => None,
            (Some(stash), depth) => Some(stash.raw_get(depth)?),
        };
        let closed = std::mem::replace(&mut self.current, outer);
        Ok(closed.expect("an open frame has a current table"))
    }

    fn parse_error(&self, expected: &str, (token, at): (Token, usize)) -> Error {
        lua_error(
            self.lua,
            format_args!(
                "Expected {expected} but found {} at character {}",
                token.describe(),
                at + 1
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    //! Expected values were captured from Redis 7.0.15 (`EVAL` of the same snippets, errors caught
    //! with `pcall`). Errors raised with no Lua caller (calls from Rust here, `pcall(cjson.f, ...)`
    //! in Redis) carry no position; errors raised by a call in a script start with the position.

    use super::*;
    use mlua::{Function, LightUserData};

    fn lua() -> Lua {
        crate::script::test_lua(register)
    }

    fn eval(lua: &Lua, code: &str) -> Value {
        lua.load(code).set_name("@user_script").eval().unwrap()
    }

    fn bytes(lua: &Lua, code: &str) -> Vec<u8> {
        match eval(lua, code) {
            Value::String(s) => s.as_bytes().to_vec(),
            other => panic!("{code}: expected a string, got {other:?}"),
        }
    }

    fn text(lua: &Lua, code: &str) -> String {
        String::from_utf8(bytes(lua, code)).unwrap()
    }

    fn number(lua: &Lua, code: &str) -> f64 {
        match eval(lua, code) {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            other => panic!("{code}: expected a number, got {other:?}"),
        }
    }

    fn message(error: &Error) -> String {
        crate::script::lua_error::message(error)
    }

    /// The error a script gets, prefixed with where in the script it was raised.
    fn script_error(lua: &Lua, code: &str) -> String {
        let error = lua.load(code).set_name("@user_script").exec().unwrap_err();
        message(&error)
    }

    fn function(lua: &Lua, name: &str) -> Function {
        let cjson: Table = lua.globals().get("cjson").unwrap();
        cjson.get(name).unwrap()
    }

    /// The error of a call with no Lua caller, as `pcall(cjson.<name>, ...)` gets it in Redis.
    fn call_error(lua: &Lua, name: &str, args: impl IntoLuaMulti) -> String {
        message(&function(lua, name).call::<Value>(args).unwrap_err())
    }

    fn encode_error(lua: &Lua, value: &str) -> String {
        let value: Value = lua.load(format!("return {value}")).eval().unwrap();
        call_error(lua, "encode", value)
    }

    fn decode_error(lua: &Lua, json: &str) -> String {
        call_error(lua, "decode", json)
    }

    fn decoded_number(lua: &Lua, json: &str) -> f64 {
        match function(lua, "decode").call::<Value>(json).unwrap() {
            Value::Number(n) => n,
            Value::Integer(i) => i as f64,
            other => panic!("{json}: expected a number, got {other:?}"),
        }
    }

    /// A value as Lua's `string.format('%.17g')` shows it.
    fn g17(lua: &Lua, value: f64) -> String {
        let format: Function = lua
            .load("return function(x) return string.format('%.17g', x) end")
            .eval()
            .unwrap();
        format.call(value).unwrap()
    }

    #[test]
    fn module_table_matches_redis() {
        let lua = lua();
        let cjson: Table = lua.globals().get("cjson").unwrap();
        let mut keys: Vec<String> = cjson
            .pairs::<String, Value>()
            .map(|pair| pair.unwrap().0)
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "_NAME",
                "_VERSION",
                "decode",
                "decode_invalid_numbers",
                "decode_max_depth",
                "encode",
                "encode_invalid_numbers",
                "encode_keep_buffer",
                "encode_max_depth",
                "encode_number_precision",
                "encode_sparse_array",
                "new",
                "null",
            ]
        );
        assert_eq!(text(&lua, "return cjson._NAME"), "cjson");
        assert_eq!(text(&lua, "return cjson._VERSION"), "2.1.0");
        assert_eq!(eval(&lua, "return cjson.null"), Value::NULL);
        assert_eq!(eval(&lua, "return cjson.safe"), Value::Nil);
        assert_eq!(
            eval(&lua, "return cjson.null == nil"),
            Value::Boolean(false)
        );
    }

    #[test]
    fn new_makes_an_independent_module() {
        let lua = lua();
        let code = "local c = cjson.new() c.encode_max_depth(2) return c";
        let Value::Table(other) = eval(&lua, code) else {
            panic!("new returns a table")
        };
        let encode: Function = other.get("encode").unwrap();
        let error = message(
            &encode
                .call::<Value>(eval(&lua, "return {{{}}}"))
                .unwrap_err(),
        );
        assert_eq!(error, "Cannot serialise, excessive nesting (3)");
        assert_eq!(text(&lua, "return cjson.encode({{{}}})"), "[[{}]]");
        assert_eq!(other.get::<Value>("null").unwrap(), Value::NULL);
        assert_eq!(text(&lua, "return cjson.new()._NAME"), "cjson");
        assert_eq!(
            eval(&lua, "return cjson.new().decode('null') == cjson.null"),
            Value::Boolean(true)
        );
        assert_eq!(
            eval(&lua, "return cjson.new() == cjson"),
            Value::Boolean(false)
        );
    }

    #[test]
    fn encodes_scalars_and_tables() {
        let lua = lua();
        let cases = [
            ("{1,2,'x',{a=1.5}}", "[1,2,\"x\",{\"a\":1.5}]"),
            ("true", "true"),
            ("false", "false"),
            ("nil", "null"),
            ("cjson.null", "null"),
            ("{}", "{}"),
            ("{{},{{}}}", "[{},[{}]]"),
            ("{[1]=1,[2]=2,[4]=4}", "[1,2,null,4]"),
            (
                "{[1]=1,[10]=10}",
                "[1,null,null,null,null,null,null,null,null,10]",
            ),
            ("{[2]=2}", "[null,2]"),
            ("{nil, 2}", "[null,2]"),
            ("{[0]=1}", "{\"0\":1}"),
            ("{[-1]=1}", "{\"-1\":1}"),
            ("{[1.5]=1}", "{\"1.5\":1}"),
            ("{['1']=1}", "{\"1\":1}"),
            ("{[2^31]=1}", "{\"2147483648\":1}"),
            ("{[2^40]=1}", "{\"1099511627776\":1}"),
            ("{[-2^31]=1}", "{\"-2147483648\":1}"),
            ("{[1]=1,[2^31]=1}", "{\"1\":1,\"2147483648\":1}"),
            ("{[3]=1,[2^31]=1,[2]=1}", "[null,1]"),
            ("{[2^31]=1,[1]=1,[2]=1}", "[1,1]"),
            ("{[2]=1,[1]=2,[3]={}}", "[2,1,{}]"),
            (
                "{1,2,3,n={x=1}}",
                "{\"1\":1,\"2\":2,\"3\":3,\"n\":{\"x\":1}}",
            ),
            ("{['a/b']='c\"d'}", "{\"a\\/b\":\"c\\\"d\"}"),
            (
                "{{1,{2,{3}}},{a={b={c={}}}}}",
                "[[1,[2,[3]]],{\"a\":{\"b\":{\"c\":{}}}}]",
            ),
            ("''", "\"\""),
            ("'a\\0b'", "\"a\\u0000b\""),
            ("123", "123"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                text(&lua, &format!("return cjson.encode({value})")),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn encodes_strings_with_the_cjson_escapes() {
        let lua = lua();
        let code = r#"return cjson.encode("a/b\"c\\d\1\2\8\9\10\11\12\13\31\127\128\255 é")"#;
        let expected =
            b"\"a\\/b\\\"c\\\\d\\u0001\\u0002\\b\\t\\n\\u000b\\f\\r\\u001f\\u007f\x80\xff \xc3\xa9\"";
        assert_eq!(bytes(&lua, code), expected);
        let all: String = (0..32).map(|c| format!("\\{c}")).collect();
        let escaped = text(&lua, &format!("return cjson.encode(\"{all}\")"));
        assert_eq!(
            escaped,
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\
             \\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\
             \\u001d\\u001e\\u001f\""
        );
    }

    #[test]
    fn encodes_numbers_as_printf_g() {
        let lua = lua();
        let code = "return cjson.encode({0.1, 1/3, -0.0, 0, 100, 1e14, 1e15, 123456789012345, \
                    1234567890123456, 1e-4, 1e-5, 0.00012345678901234567, 3.14159265358979, 2^53, \
                    -2^63, 1e300, 5e-324, 1.5e-7})";
        assert_eq!(
            text(&lua, code),
            "[0.1,0.33333333333333,-0,-0,100,1e+14,1e+15,1.2345678901234e+14,1.2345678901235e+15,\
             0.0001,1e-05,0.00012345678901235,3.1415926535898,9.007199254741e+15,\
             -9.2233720368548e+18,1e+300,4.9406564584125e-324,1.5e-07]"
        );
        let code = "return cjson.encode({1e100, 123.456, -1.25e-10, 99999999999999.5, 9.99999999999995e14})";
        assert_eq!(text(&lua, code), "[1e+100,123.456,-1.25e-10,1e+14,1e+15]");
        assert_eq!(
            text(&lua, "return cjson.encode(12345678901234567890)"),
            "1.2345678901235e+19"
        );
        assert_eq!(text(&lua, "return cjson.encode(-123.5)"), "-123.5");
        assert_eq!(text(&lua, "return cjson.encode(1e-300)"), "1e-300");
        assert_eq!(text(&lua, "return cjson.encode(0.1 + 0.2)"), "0.3");
        let code = "local z = 0 return cjson.encode({-0.0, -z, {[-z] = 1}, cjson.decode('-0')})";
        assert_eq!(text(&lua, code), "[0,-0,{\"-0\":1},-0]");
        let code = "return cjson.encode({1e15, -1e15, 999999999999999, 123456789012345.6})";
        assert_eq!(text(&lua, code), "[1e+15,-1e+15,1e+15,1.2345678901235e+14]");
        assert_eq!(text(&lua, "return cjson.encode({[1.5]=1})"), "{\"1.5\":1}");
    }

    #[test]
    fn number_precision_is_configurable() {
        let lua = lua();
        assert_eq!(number(&lua, "return cjson.encode_number_precision()"), 14.0);
        assert_eq!(number(&lua, "return cjson.encode_number_precision(3)"), 3.0);
        let code = "return cjson.encode({1/3, 12345, 1234.5, 0.0001234, 1e-5})";
        assert_eq!(text(&lua, code), "[0.333,1.23e+04,1.23e+03,0.000123,1e-05]");
        assert_eq!(number(&lua, "return cjson.encode_number_precision(1)"), 1.0);
        let code = "return cjson.encode({1/3, 12345, 15, 25, 0.5, 95})";
        assert_eq!(text(&lua, code), "[0.3,1e+04,2e+01,2e+01,0.5,1e+02]");
        assert_eq!(
            number(&lua, "return cjson.encode_number_precision('7')"),
            7.0
        );
        assert_eq!(
            number(&lua, "return cjson.encode_number_precision(7.9)"),
            7.0
        );
        assert_eq!(
            number(&lua, "return cjson.encode_number_precision(14.9)"),
            14.0
        );
        for bad in [15, 0] {
            assert_eq!(
                call_error(&lua, "encode_number_precision", bad),
                "bad argument #1 to '?' (expected integer between 1 and 14)"
            );
        }
        assert_eq!(
            call_error(&lua, "encode_number_precision", "x"),
            "bad argument #1 to '?' (number expected, got string)"
        );
        let table = lua.create_table().unwrap();
        assert_eq!(
            call_error(&lua, "encode_number_precision", table),
            "bad argument #1 to '?' (number expected, got table)"
        );
    }

    #[test]
    fn encode_errors() {
        let lua = lua();
        assert_eq!(
            encode_error(&lua, "{[true]=1}"),
            "Cannot serialise boolean: table key must be a number or string"
        );
        assert_eq!(
            encode_error(&lua, "{[{}]=1}"),
            "Cannot serialise table: table key must be a number or string"
        );
        assert_eq!(
            encode_error(&lua, "{[{}]=1, [1]=2}"),
            "Cannot serialise table: table key must be a number or string"
        );
        for sparse in [
            "{[1]=1,[11]=11}",
            "{[1]=1,[2]=2,[3]=3,[20]=20}",
            "{[1]=1,[100]=2}",
            "{[2^31-1]=1}",
        ] {
            assert_eq!(
                encode_error(&lua, sparse),
                "Cannot serialise table: excessively sparse array"
            );
        }
        let function_error = "Cannot serialise function: type not supported";
        for value in [
            "function() end",
            "{a=function() end}",
            "{1, function() end}",
            "{[1]=1, [2]={}, x=function() end}",
            "{a={b=function() end}}",
        ] {
            assert_eq!(encode_error(&lua, value), function_error, "{value}");
        }
        let thread = lua
            .create_thread(lua.create_function(|_, ()| Ok(())).unwrap())
            .unwrap();
        assert_eq!(
            call_error(&lua, "encode", thread),
            "Cannot serialise thread: type not supported"
        );
        let userdata = lua.create_any_userdata(7u8).unwrap();
        assert_eq!(
            call_error(&lua, "encode", userdata),
            "Cannot serialise userdata: type not supported"
        );
        let pointer = std::ptr::NonNull::<u8>::dangling().as_ptr().cast();
        let light = Value::LightUserData(LightUserData(pointer));
        assert_eq!(
            call_error(&lua, "encode", light),
            "Cannot serialise userdata: type not supported"
        );
        for value in ["0/0", "1/0", "-1/0", "{[1/0]=1}", "{x=0/0}"] {
            assert_eq!(
                encode_error(&lua, value),
                "Cannot serialise number: must not be NaN or Inf"
            );
        }
        // Inside a script the error carries the script position.
        assert_eq!(
            script_error(&lua, "return cjson.encode({[1]=1,[11]=11})"),
            "user_script:1: Cannot serialise table: excessively sparse array"
        );
        assert_eq!(
            script_error(&lua, "return cjson.encode(function() end)"),
            "user_script:1: Cannot serialise function: type not supported"
        );
    }

    #[test]
    fn argument_errors_name_the_function_as_called() {
        let lua = lua();
        assert_eq!(
            call_error(&lua, "encode", ()),
            "bad argument #1 to '?' (expected 1 argument)"
        );
        assert_eq!(
            call_error(&lua, "encode", (1, 2)),
            "bad argument #1 to '?' (expected 1 argument)"
        );
        assert_eq!(
            script_error(&lua, "return cjson.encode()"),
            "user_script:1: bad argument #1 to 'encode' (expected 1 argument)"
        );
        assert_eq!(
            script_error(&lua, "local x = cjson.encode(1, 2)"),
            "user_script:1: bad argument #1 to 'encode' (expected 1 argument)"
        );
        assert_eq!(
            script_error(&lua, "local f = cjson.encode; local x = f() return x"),
            "user_script:1: bad argument #1 to 'f' (expected 1 argument)"
        );
        assert_eq!(
            script_error(&lua, "return cjson:encode(1)"),
            "user_script:1: calling 'encode' on bad self (expected 1 argument)"
        );
        assert_eq!(
            script_error(&lua, "return cjson:decode()"),
            "user_script:1: calling 'decode' on bad self (string expected, got table)"
        );
        assert_eq!(
            script_error(&lua, "return cjson:encode_max_depth(1)"),
            "user_script:1: bad argument #1 to 'encode_max_depth' (found too many arguments)"
        );
        assert_eq!(
            script_error(&lua, "return cjson.decode('[')"),
            "user_script:1: Expected value but found T_END at character 2"
        );
    }

    #[test]
    fn invalid_numbers_can_be_encoded() {
        let lua = lua();
        let code = "return {cjson.encode_invalid_numbers(true), cjson.encode(0/0), cjson.encode(1/0), \
                    cjson.encode(-1/0), cjson.encode({[1/0]=1})}";
        let Value::Table(results) = eval(&lua, code) else {
            panic!("a table")
        };
        assert_eq!(results.get::<Value>(1).unwrap(), Value::Boolean(true));
        let encoded: Vec<String> = (2..=5).map(|i| results.get(i).unwrap()).collect();
        assert_eq!(encoded, ["nan", "inf", "-inf", "{\"inf\":1}"]);
        assert_eq!(text(&lua, "return cjson.encode(-(0/0))"), "nan");

        assert_eq!(
            text(&lua, "return cjson.encode_invalid_numbers('null')"),
            "null"
        );
        assert_eq!(
            text(&lua, "return cjson.encode({0/0, 1/0, -1/0})"),
            "[null,null,null]"
        );
        assert_eq!(text(&lua, "return cjson.encode({[1/0]=1})"), "{\"null\":1}");
        assert_eq!(text(&lua, "return cjson.encode_invalid_numbers()"), "null");
        assert_eq!(
            eval(&lua, "return cjson.encode_invalid_numbers('off')"),
            Value::Boolean(false)
        );
        assert_eq!(
            eval(&lua, "return cjson.encode_invalid_numbers('on')"),
            Value::Boolean(true)
        );
        assert_eq!(
            eval(&lua, "return cjson.encode_invalid_numbers(false)"),
            Value::Boolean(false)
        );
        assert_eq!(
            call_error(&lua, "encode_invalid_numbers", "yes"),
            "bad argument #1 to '?' (invalid option 'yes')"
        );
        assert_eq!(
            call_error(&lua, "encode_invalid_numbers", 1),
            "bad argument #1 to '?' (invalid option '1')"
        );
        assert_eq!(
            call_error(&lua, "encode_invalid_numbers", lua.create_table().unwrap()),
            "bad argument #1 to '?' (string expected, got table)"
        );
        assert_eq!(
            call_error(&lua, "encode_invalid_numbers", (1, 2)),
            "bad argument #2 to '?' (found too many arguments)"
        );
        // C compares option names up to a NUL.
        assert_eq!(
            eval(&lua, "return cjson.encode_invalid_numbers('on\\0x')"),
            Value::Boolean(true)
        );
    }

    #[test]
    fn sparse_array_settings() {
        let lua = lua();
        let Value::Table(defaults) = eval(&lua, "return {cjson.encode_sparse_array()}") else {
            panic!("a table")
        };
        assert_eq!(defaults.get::<Value>(1).unwrap(), Value::Boolean(false));
        assert_eq!(defaults.get::<i64>(2).unwrap(), 2);
        assert_eq!(defaults.get::<i64>(3).unwrap(), 10);

        let code = "cjson.encode_sparse_array(true) return cjson.encode({[1]=1,[100]=2})";
        assert_eq!(text(&lua, code), "{\"1\":1,\"100\":2}");
        let code = "cjson.encode_sparse_array(nil, 0) return cjson.encode({[1]=1,[30]=2})";
        let expected = format!("[1,{}2]", "null,".repeat(28));
        assert_eq!(text(&lua, code), expected);
        let code = "return {cjson.encode_sparse_array(false, 3, 5)}";
        let Value::Table(set) = eval(&lua, code) else {
            panic!("a table")
        };
        assert_eq!(set.get::<Value>(1).unwrap(), Value::Boolean(false));
        assert_eq!(
            (set.get::<i64>(2).unwrap(), set.get::<i64>(3).unwrap()),
            (3, 5)
        );
        assert_eq!(
            eval(&lua, "return cjson.encode_sparse_array('on')"),
            Value::Boolean(true)
        );

        // The ratio test multiplies in C `int`s, which wrap.
        for ratio in ["2147483647", "1073741824"] {
            let code = format!("cjson.encode_sparse_array(false, {ratio}, 0) return {{1, 2}}");
            let value = eval(&lua, &code);
            let error = call_error(&lua, "encode", value);
            assert_eq!(error, "Cannot serialise table: excessively sparse array");
        }

        let range = "bad argument #1 to '?' (expected integer between 0 and 2147483647)";
        assert_eq!(call_error(&lua, "encode_sparse_array", (false, -1)), range);
        assert_eq!(
            call_error(&lua, "encode_sparse_array", (false, 2, -1)),
            range
        );
        assert_eq!(
            call_error(&lua, "encode_sparse_array", (false, 2, 10, 1)),
            "bad argument #4 to '?' (found too many arguments)"
        );
        assert_eq!(
            call_error(&lua, "encode_sparse_array", "maybe"),
            "bad argument #1 to '?' (invalid option 'maybe')"
        );
        assert_eq!(
            call_error(&lua, "encode_sparse_array", (true, "x")),
            "bad argument #2 to '?' (number expected, got string)"
        );
        // Settings before the bad argument stick.
        let code = "cjson.encode_sparse_array(true, 5, 10) return cjson.encode_sparse_array()";
        assert_eq!(eval(&lua, code), Value::Boolean(true));
        let _ = call_error(&lua, "encode_sparse_array", (false, -5, 9));
        let Value::Table(after) = eval(&lua, "return {cjson.encode_sparse_array()}") else {
            panic!("a table")
        };
        assert_eq!(after.get::<Value>(1).unwrap(), Value::Boolean(false));
        assert_eq!(
            (after.get::<i64>(2).unwrap(), after.get::<i64>(3).unwrap()),
            (5, 10)
        );
    }

    #[test]
    fn integer_options_convert_like_c() {
        let lua = lua();
        assert_eq!(number(&lua, "return cjson.encode_max_depth()"), 1000.0);
        assert_eq!(number(&lua, "return cjson.decode_max_depth()"), 1000.0);
        assert_eq!(number(&lua, "return cjson.encode_max_depth(2^32 + 5)"), 5.0);
        assert_eq!(
            number(&lua, "return cjson.encode_max_depth(-2^32 + 3)"),
            3.0
        );
        assert_eq!(number(&lua, "return cjson.encode_max_depth('0x10')"), 16.0);
        assert_eq!(number(&lua, "return cjson.encode_max_depth(' 12 ')"), 12.0);
        let range = "bad argument #1 to '?' (expected integer between 1 and 2147483647)";
        for bad in [0.0, 2f64.powi(63), f64::NAN] {
            assert_eq!(call_error(&lua, "encode_max_depth", bad), range);
        }
        assert_eq!(call_error(&lua, "decode_max_depth", 0), range);
        assert_eq!(
            call_error(&lua, "encode_max_depth", true),
            "bad argument #1 to '?' (number expected, got boolean)"
        );
    }

    #[test]
    fn keep_buffer_setting() {
        let lua = lua();
        assert_eq!(
            eval(&lua, "return cjson.encode_keep_buffer()"),
            Value::Boolean(true)
        );
        assert_eq!(
            eval(&lua, "return cjson.encode_keep_buffer('off')"),
            Value::Boolean(false)
        );
        assert_eq!(text(&lua, "return cjson.encode({1})"), "[1]");
        assert_eq!(
            eval(&lua, "return cjson.encode_keep_buffer(true)"),
            Value::Boolean(true)
        );
        assert_eq!(text(&lua, "return cjson.encode({2})"), "[2]");
        assert_eq!(text(&lua, "return cjson.encode('x')"), "\"x\"");
        assert_eq!(
            call_error(&lua, "encode_keep_buffer", "maybe"),
            "bad argument #1 to '?' (invalid option 'maybe')"
        );
        assert_eq!(
            call_error(&lua, "encode_keep_buffer", (1, 2)),
            "bad argument #2 to '?' (found too many arguments)"
        );
    }

    #[test]
    fn encode_nesting_limits() {
        let lua = lua();
        assert_eq!(
            text(
                &lua,
                "cjson.encode_max_depth(3) return cjson.encode({{{}}})"
            ),
            "[[{}]]"
        );
        assert_eq!(
            encode_error(&lua, "{{{{}}}}"),
            "Cannot serialise, excessive nesting (4)"
        );
        eval(&lua, "cjson.encode_max_depth(1000)");

        let nested = |count: usize, field: &str| {
            format!(
                "local t = {{}} local c = t for i = 1, {count} do c.{field} = {{}} c = c.{field} end return t"
            )
        };
        let arrays = |count| nested(count, "x").replace(".x", "[1]");
        assert_eq!(
            encode_error(&lua, &format!("(function() {} end)()", arrays(1000))),
            "Cannot serialise, excessive nesting (1001)"
        );
        let code = format!("return #cjson.encode((function() {} end)())", arrays(999));
        assert_eq!(number(&lua, &code), 2000.0);
        let code = format!("(function() {} end)()", nested(1000, "a"));
        assert_eq!(
            encode_error(&lua, &code),
            "Cannot serialise, excessive nesting (1001)"
        );

        // Past the configured depth, the 8000 slots of the Lua C stack bound the nesting: one
        // slot per array level, two per object level.
        eval(&lua, "cjson.encode_max_depth(100000)");
        let code = format!("return #cjson.encode((function() {} end)())", arrays(7996));
        assert_eq!(number(&lua, &code), 15994.0);
        let code = format!("(function() {} end)()", arrays(7997));
        assert_eq!(
            encode_error(&lua, &code),
            "Cannot serialise, excessive nesting (7998)"
        );
        let code = format!("(function() {} end)()", arrays(9000));
        assert_eq!(
            encode_error(&lua, &code),
            "Cannot serialise, excessive nesting (7998)"
        );
        let code = format!(
            "return string.sub(cjson.encode((function() {} end)()), 1, 12)",
            nested(3998, "a")
        );
        assert_eq!(text(&lua, &code), "{\"a\":{\"a\":{\"");
        let code = format!("(function() {} end)()", nested(9000, "a"));
        assert_eq!(
            encode_error(&lua, &code),
            "Cannot serialise, excessive nesting (4000)"
        );
        // Alternating arrays and objects, and objects with entries after the nested one.
        let code = "(function() local t = {} local c = t for i = 1, 3000 do local o = {} c[1] = {a = o} c = o end return t end)()";
        assert_eq!(
            encode_error(&lua, code),
            "Cannot serialise, excessive nesting (5333)"
        );
        let code = "local t = {} local c = t for i = 1, 2600 do local o = {} c[1] = {a = o, b = 'x'} c = o end \
                    local s = cjson.encode(t) return #s .. ' ' .. string.sub(s, 1, 30) .. ' ' .. string.sub(s, -30)";
        assert_eq!(
            text(&lua, code),
            "41602 [{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\": ,\"b\":\"x\"}],\"b\":\"x\"}],\"b\":\"x\"}]"
        );
    }

    #[test]
    fn redis_json_smoke_test() {
        // The cases of "EVAL - JSON smoke test" in Redis's tests/unit/scripting.tcl.
        let lua = lua();
        let code = r#"
            local some_map = {s1="Some string", n1=100, a1={"Some","String","Array"}, nil1=nil,
                              b1=true, b2=false}
            local decoded = cjson.decode(cjson.encode(some_map))
            return decoded.s1 == "Some string" and decoded.n1 == 100 and decoded.a1[3] == "Array"
                and #decoded.a1 == 3 and decoded.nil1 == nil and decoded.b1 == true
                and decoded.b2 == false
        "#;
        assert_eq!(eval(&lua, code), Value::Boolean(true));
        eval(&lua, "cjson.encode_keep_buffer(false)");
        assert_eq!(eval(&lua, code), Value::Boolean(true));

        let code = r#"local t = cjson.decode(cjson.encode({one="one", [1]="one"}))
                      return t.one == "one" and t["1"] == "one" and t[1] == nil"#;
        assert_eq!(eval(&lua, code), Value::Boolean(true));
        let code = r#"return table.concat(cjson.decode(cjson.encode({[1]="one", [2]="two"})))"#;
        assert_eq!(text(&lua, code), "onetwo");
        let code = "(function() local t = {} t[false] = 'false' return t end)()";
        assert_eq!(
            encode_error(&lua, code),
            "Cannot serialise boolean: table key must be a number or string"
        );

        let some_map =
            "{s1='Some string', n1=100, a1={'Some','String','Array'}, b1=true, b2=false}";
        eval(&lua, "cjson.encode_max_depth(1)");
        assert_eq!(
            encode_error(&lua, some_map),
            "Cannot serialise, excessive nesting (2)"
        );
        eval(&lua, "cjson.decode_max_depth(1)");
        assert_eq!(
            decode_error(&lua, r#"{"obj": {"array": [1,2,3,4]}}"#),
            "Found too many nested data structures (2) at character 9"
        );
        eval(
            &lua,
            "cjson.encode_max_depth(1000) cjson.decode_max_depth(1000)",
        );
        assert_eq!(
            encode_error(&lua, "{num1=0/0}"),
            "Cannot serialise number: must not be NaN or Inf"
        );
        eval(&lua, "cjson.encode_invalid_numbers(true)");
        assert_eq!(
            text(&lua, "return cjson.encode({num1=0/0})"),
            "{\"num1\":nan}"
        );
    }

    #[test]
    fn decodes_values() {
        let lua = lua();
        // "EVAL - JSON numeric decoding" and "EVAL - JSON string decoding" in scripting.tcl.
        let code =
            r#"return table.concat(cjson.decode("[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]"), " ")"#;
        assert_eq!(text(&lua, code), "0 -5000 -1 0.0003 1023.2 0");
        let code =
            r#"local d = cjson.decode('{"keya": "a", "keyb": "b"}') return d.keya .. d.keyb"#;
        assert_eq!(text(&lua, code), "ab");

        let code = r#"return cjson.decode('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\tz"')"#;
        assert_eq!(bytes(&lua, code), b"a\"b\\c/d\x08\x0c\n\r\tz");
        let code = r#"return cjson.decode('"\\u0041\\u00e9\\u20AC\\uD83D\\uDE00\\u0000x"')"#;
        assert_eq!(bytes(&lua, code), "Aé€😀\0x".as_bytes());
        let code = r#"return cjson.encode(cjson.decode('"\\u0041\\u00e9\\u20AC\\uD83D\\uDE00"'))"#;
        assert_eq!(text(&lua, code), "\"Aé€😀\"");
        assert_eq!(
            bytes(&lua, r#"return cjson.decode('"\\u00ff"')"#),
            b"\xc3\xbf"
        );
        assert_eq!(
            bytes(&lua, r#"return cjson.decode('"\\uFFFF"')"#),
            b"\xef\xbf\xbf"
        );
        assert_eq!(
            bytes(&lua, r#"return cjson.decode('"\\uDBFF\\uDFFF"')"#),
            b"\xf4\x8f\xbf\xbf"
        );
        assert_eq!(
            bytes(&lua, r#"return cjson.decode('"\1\2\255"')"#),
            b"\x01\x02\xff"
        );

        assert_eq!(
            eval(&lua, "return cjson.decode('null') == cjson.null"),
            Value::Boolean(true)
        );
        assert_eq!(
            eval(&lua, "return cjson.decode('true')"),
            Value::Boolean(true)
        );
        assert_eq!(
            eval(&lua, "return cjson.decode('false')"),
            Value::Boolean(false)
        );
        let code = "return cjson.encode(cjson.decode('[null, true, false, {\"a\":null}]'))";
        assert_eq!(text(&lua, code), "[null,true,false,{\"a\":null}]");
        let code = r#"return cjson.encode(cjson.decode('{"a":[1,2,{"b":"c"}],"d":{}}').a)"#;
        assert_eq!(text(&lua, code), "[1,2,{\"b\":\"c\"}]");
        let code = r#"local t = cjson.decode('{"a":[1,2,{"b":"c"}],"d":{}}') return t.d"#;
        let Value::Table(empty) = eval(&lua, code) else {
            panic!("{{}} decodes to a table")
        };
        assert!(empty.is_empty());
        assert_eq!(number(&lua, "return #cjson.decode('[]')"), 0.0);
        assert_eq!(
            number(&lua, r#"return cjson.decode('{"a":1,"a":2}').a"#),
            2.0
        );
        let code = r#"local t = cjson.decode('[1,[2,3],{"x":[4]}]') return t[1] + t[2][2] * 10 + t[3].x[1] * 100 + #t * 1000"#;
        assert_eq!(number(&lua, code), 3431.0);
        assert_eq!(
            number(&lua, "return cjson.decode('  \\t\\r\\n [ 1 ] \\n ')[1]"),
            1.0
        );
        assert_eq!(number(&lua, "return #cjson.decode('[1 , 2 ]')"), 2.0);
        assert_eq!(text(&lua, r#"return cjson.decode('{"1":"x"}')["1"]"#), "x");
        assert_eq!(
            eval(&lua, r#"return cjson.decode('{"1":"x"}')[1]"#),
            Value::Nil
        );
        // The text ends at a NUL, as a C string would.
        assert_eq!(number(&lua, "return cjson.decode('[1]\\0garbage')[1]"), 1.0);
        // Numbers are accepted as text, as luaL_checklstring does.
        assert_eq!(number(&lua, "return cjson.decode(123)"), 123.0);
        assert_eq!(number(&lua, "return #cjson.decode('\"\\\\u0000x\"')"), 2.0);
    }

    #[test]
    fn decode_errors() {
        let lua = lua();
        let cases = [
            ("", "Expected value but found T_END at character 1"),
            ("   ", "Expected value but found T_END at character 4"),
            ("x", "Expected value but found invalid token at character 1"),
            ("[1,]", "Expected value but found T_ARR_END at character 4"),
            (
                "[1 2]",
                "Expected comma or array end but found T_NUMBER at character 4",
            ),
            (
                "{1:2}",
                "Expected object key string but found T_NUMBER at character 2",
            ),
            (
                "{\"a\" 1}",
                "Expected colon but found T_NUMBER at character 6",
            ),
            (
                "{\"a\":1 \"b\"}",
                "Expected comma or object end but found T_STRING at character 8",
            ),
            (
                "{\"a\":1,}",
                "Expected object key string but found T_OBJ_END at character 8",
            ),
            (
                "[1] x",
                "Expected the end but found invalid token at character 5",
            ),
            (
                "[1] [",
                "Expected the end but found T_ARR_BEGIN at character 5",
            ),
            (
                "\"abc",
                "Expected value but found unexpected end of string at character 5",
            ),
            (
                "\"a\\qb\"",
                "Expected value but found invalid escape code at character 3",
            ),
            (
                "\"a\\u12\"",
                "Expected value but found invalid unicode escape code at character 3",
            ),
            (
                "\"a\\uD800\"",
                "Expected value but found invalid unicode escape code at character 3",
            ),
            (
                "\"a\\uDC00\\uD800\"",
                "Expected value but found invalid unicode escape code at character 3",
            ),
            (
                "\"a\\uD800\\u0041\"",
                "Expected value but found invalid unicode escape code at character 3",
            ),
            (
                "\"\\uD800\\uDBFF\"",
                "Expected value but found invalid unicode escape code at character 2",
            ),
            (
                "\"\\uD800\\\"",
                "Expected value but found invalid unicode escape code at character 2",
            ),
            (
                "\"\\uD800\"  ",
                "Expected value but found invalid unicode escape code at character 2",
            ),
            (
                "\"\\uzzzz\"",
                "Expected value but found invalid unicode escape code at character 2",
            ),
            (
                "\"abc\\",
                "Expected value but found invalid escape code at character 5",
            ),
            (
                "\"a\0b\"",
                "Expected value but found unexpected end of string at character 3",
            ),
            (
                "tru",
                "Expected value but found invalid token at character 1",
            ),
            (
                "nul",
                "Expected value but found invalid token at character 1",
            ),
            (
                "fals",
                "Expected value but found invalid token at character 1",
            ),
            (
                "truex",
                "Expected the end but found invalid token at character 5",
            ),
            (
                "[true,nullx]",
                "Expected comma or array end but found invalid token at character 11",
            ),
            (
                "-",
                "Expected value but found invalid number at character 1",
            ),
            (
                "-abc",
                "Expected value but found invalid number at character 1",
            ),
            (
                "1.5.3",
                "Expected the end but found invalid token at character 4",
            ),
            (
                "[1,2",
                "Expected comma or array end but found T_END at character 5",
            ),
            ("{\"a\":", "Expected value but found T_END at character 6"),
            (
                "{",
                "Expected object key string but found T_END at character 2",
            ),
            ("{\"a\"", "Expected colon but found T_END at character 5"),
            (
                "[\"a\":1]",
                "Expected comma or array end but found T_COLON at character 5",
            ),
            ("}", "Expected value but found T_OBJ_END at character 1"),
            (":", "Expected value but found T_COLON at character 1"),
            (",", "Expected value but found T_COMMA at character 1"),
            (
                "{\"a\":1}}",
                "Expected the end but found T_OBJ_END at character 8",
            ),
            ("[]]", "Expected the end but found T_ARR_END at character 3"),
            (
                "\x0c1",
                "Expected value but found invalid token at character 1",
            ),
            (
                "[1]\x0b",
                "Expected the end but found invalid token at character 4",
            ),
            (
                ".5",
                "Expected value but found invalid token at character 1",
            ),
            (
                ".5e1",
                "Expected value but found invalid token at character 1",
            ),
            (
                "Nope",
                "Expected value but found invalid token at character 1",
            ),
            (
                "inq",
                "Expected value but found invalid token at character 1",
            ),
            ("\0a", "JSON parser does not support UTF-16 or UTF-32"),
            ("a\0", "JSON parser does not support UTF-16 or UTF-32"),
        ];
        for (json, expected) in cases {
            assert_eq!(decode_error(&lua, json), expected, "{json:?}");
        }
        assert_eq!(
            call_error(&lua, "decode", ()),
            "bad argument #1 to '?' (expected 1 argument)"
        );
        assert_eq!(
            call_error(&lua, "decode", ("a", "b")),
            "bad argument #1 to '?' (expected 1 argument)"
        );
        assert_eq!(
            call_error(&lua, "decode", lua.create_table().unwrap()),
            "bad argument #1 to '?' (string expected, got table)"
        );
        assert_eq!(
            call_error(&lua, "decode", Value::Nil),
            "bad argument #1 to '?' (string expected, got nil)"
        );
        assert_eq!(
            script_error(&lua, "local x = cjson.decode()"),
            "user_script:1: bad argument #1 to 'decode' (expected 1 argument)"
        );
    }

    #[test]
    fn decodes_numbers_like_strtod() {
        let lua = lua();
        // Decoded by the default configuration, which accepts what strtod accepts; shown as
        // string.format('%.17g') shows them.
        let cases = [
            ("inf", "inf"),
            ("-inf", "-inf"),
            ("Infinity", "inf"),
            ("-Infinity", "-inf"),
            ("INF", "inf"),
            ("inFinity", "inf"),
            ("nan", "nan"),
            ("NaN", "nan"),
            ("-nan", "-nan"),
            ("nan(123)", "nan"),
            ("nan()", "nan"),
            ("+5", "5"),
            ("+inf", "inf"),
            ("+.5", "0.5"),
            ("+0x10", "16"),
            ("0x10", "16"),
            ("-0x1p4", "-16"),
            ("0x1.8p1", "3"),
            ("0xAbC.8", "2748.5"),
            ("0x1.", "1"),
            ("0x1.p1", "2"),
            ("0X.8P+1", "1"),
            ("0x1e", "30"),
            ("007", "7"),
            ("00", "0"),
            ("-00.5", "-0.5"),
            ("1e400", "inf"),
            ("-.5", "-0.5"),
            ("5.", "5"),
            ("0.e1", "0"),
            ("1E2", "100"),
            ("1e+5", "100000"),
            ("1e-5", "1.0000000000000001e-05"),
            ("1.5E+3", "1500"),
            ("-0", "-0"),
            ("123456789012345678901234567890", "1.2345678901234568e+29"),
            ("4.9e-324", "4.9406564584124654e-324"),
            ("2.5e-324", "4.9406564584124654e-324"),
            ("1e-400", "0"),
            ("[1.]", "1"),
            ("[1.e3]", "1000"),
            ("[0x.8]", "0.5"),
            ("[0x1P-2]", "0.25"),
            ("[0X1.fffffffffffff8p1023]", "inf"),
            ("[0x1.00000000000008p0]", "1"),
            ("[0x1.00000000000018p0]", "1.0000000000000004"),
            ("[0x1.000000000000080000001p0]", "1.0000000000000002"),
            ("[0x1p-1074]", "4.9406564584124654e-324"),
            ("[0x1p-1075]", "0"),
            ("[0x1.8p-1074]", "9.8813129168249309e-324"),
            ("[0x1p-1076]", "0"),
            ("[0x3p-1076]", "4.9406564584124654e-324"),
            ("[0x1p1024]", "inf"),
            ("[0x0.0000000000001p-1022]", "4.9406564584124654e-324"),
            ("[0x00000000000000000000000000000001p0]", "1"),
            ("[0x123456789abcdef123456789p0]", "5.6340026676810196e+27"),
            ("[-0x1p-1074]", "-4.9406564584124654e-324"),
            ("[1e99999999999999999999999]", "inf"),
            ("[1e-99999999999999999999999]", "0"),
            ("[0.1e1]", "1"),
            ("[1.7976931348623157e308]", "1.7976931348623157e+308"),
            ("[1.7976931348623159e308]", "inf"),
            ("[2.2250738585072011e-308]", "2.2250738585072009e-308"),
            ("[nan()]", "nan"),
            ("[-nan]", "-nan"),
            ("[-Infinity]", "-inf"),
        ];
        let decode = function(&lua, "decode");
        for (json, expected) in cases {
            let value = match decode.call::<Value>(json).unwrap() {
                Value::Table(t) => t.get::<f64>(1).unwrap(),
                Value::Number(n) => n,
                Value::Integer(i) => i as f64,
                other => panic!("{json}: {other:?}"),
            };
            assert_eq!(g17(&lua, value), expected, "{json}");
        }
        // NaN payloads, as glibc's strtod sets them (bits checked through struct.pack in Redis).
        let payloads = [
            ("nan(123)", 0x7ff8_0000_0000_007b_u64),
            ("-nan(0x7b)", 0xfff8_0000_0000_007b),
            ("nan(0173)", 0x7ff8_0000_0000_007b),
            ("nan(abc)", 0x7ff8_0000_0000_0000),
            ("nan(99999999999999999999999)", 0x7fff_ffff_ffff_ffff),
            ("nan", 0x7ff8_0000_0000_0000),
            ("-nan", 0xfff8_0000_0000_0000),
            ("nan(0x8000000000000)", 0x7ff8_0000_0000_0000),
            ("nan(0xfffffffffffff)", 0x7fff_ffff_ffff_ffff),
            ("nan(0)", 0x7ff8_0000_0000_0000),
            ("nan(09)", 0x7ff8_0000_0000_0000),
            ("+nan(5)", 0x7ff8_0000_0000_0005),
        ];
        for (json, bits) in payloads {
            assert_eq!(decoded_number(&lua, json).to_bits(), bits, "{json}");
        }
        let cases = [
            (
                "[1e]",
                "Expected comma or array end but found invalid token at character 3",
            ),
            (
                "[0x]",
                "Expected comma or array end but found invalid token at character 3",
            ),
            (
                "[infinit]",
                "Expected comma or array end but found invalid token at character 5",
            ),
            (
                "[nan(1]",
                "Expected comma or array end but found invalid token at character 5",
            ),
            (
                "[nan(abc_1)x]",
                "Expected comma or array end but found invalid token at character 12",
            ),
            (
                "[nan(a-b)]",
                "Expected comma or array end but found invalid token at character 5",
            ),
            (
                "[infinityx]",
                "Expected comma or array end but found invalid token at character 10",
            ),
            (
                "[-]",
                "Expected value but found invalid number at character 2",
            ),
            (
                "[--1]",
                "Expected value but found invalid number at character 2",
            ),
            (
                "[+]",
                "Expected value but found invalid number at character 2",
            ),
            (
                "[+-1]",
                "Expected value but found invalid number at character 2",
            ),
            (
                "[-+1]",
                "Expected value but found invalid number at character 2",
            ),
            (
                "[0x1g]",
                "Expected comma or array end but found invalid token at character 5",
            ),
            (
                "[1e3.5]",
                "Expected comma or array end but found invalid token at character 5",
            ),
            (
                "[0x.]",
                "Expected comma or array end but found invalid token at character 3",
            ),
            (
                "[0x1p]",
                "Expected comma or array end but found invalid token at character 5",
            ),
            (
                "0x",
                "Expected the end but found invalid token at character 2",
            ),
            (
                "1e",
                "Expected the end but found invalid token at character 2",
            ),
            (
                "1e+",
                "Expected the end but found invalid token at character 2",
            ),
            (
                "nan(",
                "Expected the end but found invalid token at character 4",
            ),
            (
                "infinit",
                "Expected the end but found invalid token at character 4",
            ),
            (
                "0x1p",
                "Expected the end but found invalid token at character 4",
            ),
            (
                "0x1p+",
                "Expected the end but found invalid token at character 4",
            ),
            (
                "-0x",
                "Expected the end but found invalid token at character 3",
            ),
            (
                "1.5e+",
                "Expected the end but found invalid token at character 4",
            ),
            (
                "0e",
                "Expected the end but found invalid token at character 2",
            ),
            (
                "+",
                "Expected value but found invalid number at character 1",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(decode_error(&lua, json), expected, "{json}");
        }
    }

    #[test]
    fn strict_numbers_when_invalid_numbers_are_off() {
        let lua = lua();
        assert_eq!(
            eval(&lua, "return cjson.decode_invalid_numbers()"),
            Value::Boolean(true)
        );
        assert_eq!(
            eval(&lua, "return cjson.decode_invalid_numbers(false)"),
            Value::Boolean(false)
        );
        let token = "Expected value but found invalid token at character 1";
        let number = "Expected value but found invalid number at character 1";
        let cases = [
            ("inf", token),
            ("-inf", number),
            ("nan", token),
            ("NaN", token),
            ("-nan", number),
            ("+5", token),
            ("0x10", number),
            ("-0x10", number),
            ("007", number),
            ("-007", number),
        ];
        for (json, expected) in cases {
            assert_eq!(decode_error(&lua, json), expected, "{json}");
        }
        for (json, expected) in [
            ("1e5", "100000"),
            ("-.5", "-0.5"),
            ("0", "0"),
            ("-0", "-0"),
            ("0.5", "0.5"),
        ] {
            assert_eq!(g17(&lua, decoded_number(&lua, json)), expected, "{json}");
        }
        assert_eq!(
            eval(&lua, "return cjson.decode_invalid_numbers('on')"),
            Value::Boolean(true)
        );
        assert_eq!(
            call_error(&lua, "decode_invalid_numbers", "null"),
            "bad argument #1 to '?' (invalid option 'null')"
        );
    }

    #[test]
    fn decode_nesting_limits() {
        let lua = lua();
        let decode = |json: String| decode_error(&lua, &json);
        eval(&lua, "cjson.decode_max_depth(2)");
        assert_eq!(
            decode_error(&lua, "[[[1]]]"),
            "Found too many nested data structures (3) at character 3"
        );
        eval(&lua, "cjson.decode_max_depth(1000)");
        assert_eq!(
            decode(format!("{}{}", "[".repeat(1001), "]".repeat(1001))),
            "Found too many nested data structures (1001) at character 1001"
        );
        let deepest = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert!(function(&lua, "decode").call::<Table>(deepest).is_ok());
        assert_eq!(
            decode("{\"a\":".repeat(1001)),
            "Found too many nested data structures (1001) at character 5001"
        );

        // Past the configured depth, the 8000 slots of the Lua C stack bound the nesting: one
        // slot per array level, two per object level.
        eval(&lua, "cjson.decode_max_depth(100000)");
        assert_eq!(
            decode("[".repeat(9000)),
            "Found too many nested data structures (7999) at character 7999"
        );
        let deepest = format!("{}{}", "[".repeat(7998), "]".repeat(7998));
        assert!(function(&lua, "decode").call::<Table>(deepest).is_ok());
        assert_eq!(
            decode("{\"a\":".repeat(9000)),
            "Found too many nested data structures (4000) at character 19996"
        );
        let deepest = format!("{}1{}", "{\"a\":".repeat(3998), "}".repeat(3998));
        assert!(function(&lua, "decode").call::<Table>(deepest).is_ok());
        assert_eq!(
            decode("[{\"a\":".repeat(3000)),
            "Found too many nested data structures (5333) at character 15997"
        );
        // The deep result is whole.
        let json = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let code = format!(
            "local t = cjson.decode('{json}') local n = 0 while t[1] do n = n + 1 t = t[1] end return n"
        );
        assert_eq!(number(&lua, &code), 4999.0);
    }

    #[test]
    fn round_trips_deep_mixed_structures() {
        let lua = lua();
        let code = r#"
            local t = {}
            local c = t
            for i = 1, 900 do
                c.k = {i, "s" .. i, {}, x = {y = i}}
                c = c.k
            end
            local d = cjson.decode(cjson.encode(t)).k
            local n = 0
            while d do
                n = n + 1
                if d["1"] ~= n or d["2"] ~= "s" .. n or next(d["3"]) ~= nil or d.x.y ~= n then
                    return -n
                end
                d = d.k
            end
            return n
        "#;
        assert_eq!(number(&lua, code), 900.0);
    }
}
