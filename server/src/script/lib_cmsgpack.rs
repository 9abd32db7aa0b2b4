//! The `cmsgpack` library of Redis's Lua: MessagePack encoding and decoding of Lua values, ported
//! to Rust on mlua.
//!
//! Redis bundles lua-cmsgpack 0.4.0 and scripts depend on its exact choices, which no MessagePack
//! crate reproduces: every Lua number that is an integer takes the smallest int/uint format and any
//! other number a float32 when that loses nothing (else a float64); strings use the str formats
//! only (never bin); a table is an array when its keys are exactly 1..n and a map otherwise;
//! tables nested deeper than 16 levels (cycles included) become nil; `unpack_one`/`unpack_limit`
//! return the offset to resume from, -1 once the input is consumed. Its errors, including the
//! Lua stack overflows a long stream or a deep nesting runs into, are reproduced word for word.
//! Redis's C source is a snapshot we must not copy, so this is a port written from the behaviour
//! (checked against a real Redis 7.0.15), not a translation.
//!
//! Errors are `mlua::Error::RuntimeError` carrying the very string the C library would raise,
//! including the `chunk:line: ` prefix `luaL_error` puts in front.

use mlua::{Lua, LuaString, MultiValue, Table, Value};

use super::lua_error::{arg_error, lua_error, type_error};

const NAME: &str = "cmsgpack";
const VERSION: &str = "lua-cmsgpack 0.4.0";
const COPYRIGHT: &str = "Copyright (C) 2012, Salvatore Sanfilippo";
const DESCRIPTION: &str = "MessagePack C implementation for Lua";

/// Tables this deep (the arguments of `pack` being level 0) are encoded as nil.
const MAX_NESTING: usize = 16;

/// Lua 5.1's `LUAI_MAXCSTACK`: the stack slots a C function may use. The C library runs into it
/// when it returns many values or decodes deep nestings, and reports a stack overflow; the port
/// counts the slots the C code would hold to fail at the same point with the same message.
const LUA_MAX_C_STACK: usize = 8000;

/// The stack overflow of a decoding that returns too many values or nests too deep.
const TOO_MANY_VALUES: &str =
    "too many return values at once; use unpack_one or unpack_limit instead.";

/// Creates the global table `cmsgpack`, as Redis's `luaLoadLib` does.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let module = lua.create_table()?;
    module.raw_set("pack", lua.create_function(pack)?)?;
    module.raw_set("unpack", lua.create_function(unpack)?)?;
    module.raw_set("unpack_one", lua.create_function(unpack_one)?)?;
    module.raw_set("unpack_limit", lua.create_function(unpack_limit)?)?;
    module.raw_set("_NAME", NAME)?;
    module.raw_set("_VERSION", VERSION)?;
    module.raw_set("_COPYRIGHT", COPYRIGHT)?;
    module.raw_set("_DESCRIPTION", DESCRIPTION)?;
    lua.globals().set(NAME, module)
}

// ------------------------------------------------------------------------------------------------
// The Lua functions

/// `cmsgpack.pack(v1, v2, ...)`: the encodings of all the arguments, one after the other.
fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<LuaString> {
    let count = args.len();
    if count == 0 {
        return Err(arg_error(lua, 0, "MessagePack pack needs input."));
    }
    // The C code makes room for a string per argument beside the arguments themselves.
    if count * 2 > LUA_MAX_C_STACK {
        return Err(arg_error(
            lua,
            0,
            "Too many arguments for MessagePack pack.",
        ));
    }
    let mut encoder = Encoder::default();
    for (index, value) in args.iter().enumerate() {
        // On the stack: the arguments, the encodings so far and this value's copy.
        let held = count + index + 1;
        encoder
            .value(value, 0, held)
            .map_err(|fault| fault.into_lua_error(lua))?;
    }
    lua.create_string(encoder.out)
}

/// `cmsgpack.unpack(s)`: every value encoded in `s`.
fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let input = check_string(lua, &args, 1)?;
    // Extra arguments stay on the stack, under the results.
    unpack_from(lua, &input.as_bytes(), args.len(), Limit::All)
}

/// `cmsgpack.unpack_one(s [, offset])`: the offset to go on from (-1 at the end) and the value
/// encoded at `offset`.
fn unpack_one(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let offset = opt_integer(lua, &args, 2)?;
    let input = check_string(lua, &args, 1)?;
    unpack_from(lua, &input.as_bytes(), 1, Limit::from_request(1, offset))
}

/// `cmsgpack.unpack_limit(s, limit [, offset])`: the offset to go on from (-1 at the end) and at
/// most `limit` values from `offset`.
fn unpack_limit(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let limit = check_integer(lua, &args, 2)?;
    let offset = opt_integer(lua, &args, 3)?;
    let input = check_string(lua, &args, 1)?;
    unpack_from(
        lua,
        &input.as_bytes(),
        1,
        Limit::from_request(limit, offset),
    )
}

/// How much of the input a call decodes.
enum Limit {
    /// `unpack`, or a limit and an offset both 0: everything, and no offset returned.
    All,
    /// At most `count` values from `offset`, the next offset returned first.
    Some { count: i64, offset: i64 },
}

impl Limit {
    fn from_request(count: i64, offset: i64) -> Limit {
        if count == 0 && offset == 0 {
            Limit::All
        } else {
            Limit::Some { count, offset }
        }
    }
}

/// Decodes `input` as `limit` asks; `held` is the number of stack slots taken by the arguments.
fn unpack_from(lua: &Lua, input: &[u8], held: usize, limit: Limit) -> mlua::Result<MultiValue> {
    let (count, offset) = match limit {
        Limit::All => (i64::from(i32::MAX), 0),
        Limit::Some { count, offset } => (count, offset),
    };
    // The C library formats these with %d after casting to int, and names the input's length
    // where it means the limit.
    if offset < 0 || count < 0 {
        return Err(lua_error(
            lua,
            format_args!(
                "Invalid request to unpack with offset of {} and limit of {}.",
                offset as i32,
                input.len() as i32
            ),
        ));
    }
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    if start > input.len() {
        return Err(lua_error(
            lua,
            format_args!(
                "Start offset {} greater than input length {}.",
                offset as i32,
                input.len() as i32
            ),
        ));
    }

    let mut decoder = Decoder {
        lua,
        input,
        pos: start,
    };
    let mut values = Vec::new();
    while decoder.pos < input.len() && (values.len() as i64) < count {
        let value = decoder
            .value(held + values.len())
            .map_err(|fault| fault.into_lua_error(lua))?;
        values.push(value);
    }

    if let Limit::Some { .. } = limit {
        if held + values.len() + 1 > LUA_MAX_C_STACK {
            return Err(Fault::StackOverflow("in function mp_unpack_full").into_lua_error(lua));
        }
        let next = if decoder.pos == input.len() {
            -1
        } else {
            decoder.pos as i64
        };
        values.insert(0, Value::Integer(next));
    }
    Ok(MultiValue::from_vec(values))
}

// ------------------------------------------------------------------------------------------------
// Errors and arguments, as Lua's auxiliary library reports them

/// Why an encoding or a decoding stopped.
enum Fault {
    /// The input ends inside a value.
    Truncated,
    /// A byte that starts no value this library knows.
    BadFormat,
    /// The C code would have run out of Lua stack; the text says where.
    StackOverflow(&'static str),
    /// An error raised as is, such as a table key that Lua refuses.
    Lua(mlua::Error),
}

impl From<mlua::Error> for Fault {
    fn from(error: mlua::Error) -> Self {
        Fault::Lua(error)
    }
}

impl Fault {
    fn into_lua_error(self, lua: &Lua) -> mlua::Error {
        match self {
            Fault::Truncated => lua_error(lua, "Missing bytes in input."),
            Fault::BadFormat => lua_error(lua, "Bad data format in input."),
            Fault::StackOverflow(place) => lua_error(lua, format_args!("stack overflow ({place})")),
            Fault::Lua(error) => error,
        }
    }
}

/// Fails as the C code's `luaL_checkstack(L, extra, ...)` would with `held` slots in use.
fn reserve_stack(held: usize, extra: usize, place: &'static str) -> Result<(), Fault> {
    if held + extra > LUA_MAX_C_STACK {
        Err(Fault::StackOverflow(place))
    } else {
        Ok(())
    }
}

/// `luaL_checklstring`: a string, or a number turned into one.
fn check_string(lua: &Lua, args: &MultiValue, position: usize) -> mlua::Result<LuaString> {
    let arg = args.get(position - 1);
    match arg {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(number @ (Value::Integer(_) | Value::Number(_))) => lua
            .coerce_string(number.clone())?
            .ok_or_else(|| type_error(lua, position, "string", arg)),
        _ => Err(type_error(lua, position, "string", arg)),
    }
}

/// `luaL_checkinteger`: a number or a numeric string, truncated to an integer.
fn check_integer(lua: &Lua, args: &MultiValue, position: usize) -> mlua::Result<i64> {
    let arg = args.get(position - 1);
    let number = match arg {
        Some(Value::Integer(i)) => return Ok(*i),
        Some(Value::Number(n)) => Some(*n),
        Some(string @ Value::String(_)) => lua.coerce_number(string.clone())?,
        _ => None,
    };
    number
        .map(lua_number_to_integer)
        .ok_or_else(|| type_error(lua, position, "number", arg))
}

/// `luaL_optinteger` with 0 for an absent or nil argument.
fn opt_integer(lua: &Lua, args: &MultiValue, position: usize) -> mlua::Result<i64> {
    match args.get(position - 1) {
        None | Some(Value::Nil) => Ok(0),
        Some(_) => check_integer(lua, args, position),
    }
}

/// 2^63, the first double past the i64 range.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// A Lua number cast to an integer the way C does on x86-64: truncated, and `i64::MIN` when it
/// is NaN or out of range.
fn lua_number_to_integer(n: f64) -> i64 {
    if (-TWO_POW_63..TWO_POW_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// The integer a Lua number equals, when it survives a round trip through a C int64 (so neither
/// NaN, infinities nor 2^63 and beyond).
fn exact_integer(n: f64) -> Option<i64> {
    ((-TWO_POW_63..TWO_POW_63).contains(&n) && n.trunc() == n).then_some(n as i64)
}

// ------------------------------------------------------------------------------------------------
// Encoding

#[derive(Default)]
struct Encoder {
    out: Vec<u8>,
}

impl Encoder {
    /// Appends the encoding of `value`, found `level` tables deep, while `held` stack slots are
    /// in use (`value` included).
    fn value(&mut self, value: &Value, level: usize, held: usize) -> Result<(), Fault> {
        match value {
            Value::String(s) => self.string(&s.as_bytes()),
            Value::Boolean(b) => self.out.push(if *b { 0xc3 } else { 0xc2 }),
            Value::Integer(i) => self.integer(*i),
            Value::Number(n) => match exact_integer(*n) {
                Some(i) => self.integer(i),
                None => self.float(*n),
            },
            Value::Table(table) if level < MAX_NESTING => self.table(table, level, held)?,
            // Too deep a table, nil, and what MessagePack cannot express (functions, threads,
            // userdata) are all nil.
            _ => self.out.push(0xc0),
        }
        Ok(())
    }

    fn integer(&mut self, n: i64) {
        let out = &mut self.out;
        if n >= 0 {
            if n <= 0x7f {
                out.push(n as u8);
            } else if n <= 0xff {
                out.extend_from_slice(&[0xcc, n as u8]);
            } else if n <= 0xffff {
                out.push(0xcd);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            } else if n <= 0xffff_ffff {
                out.push(0xce);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            } else {
                out.push(0xcf);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        } else if n >= -32 {
            out.push(n as u8);
        } else if n >= i64::from(i8::MIN) {
            out.extend_from_slice(&[0xd0, n as u8]);
        } else if n >= i64::from(i16::MIN) {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        } else if n >= i64::from(i32::MIN) {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        } else {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// A float32 when it holds the number exactly (infinities included), else a float64.
    fn float(&mut self, n: f64) {
        let narrow = n as f32;
        if f64::from(narrow) == n {
            self.out.push(0xca);
            self.out.extend_from_slice(&narrow.to_be_bytes());
        } else {
            self.out.push(0xcb);
            self.out.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// Strings always take the str formats: this version knows no bin.
    fn string(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        if len < 32 {
            self.out.push(0xa0 | len as u8);
        } else if len <= 0xff {
            self.out.extend_from_slice(&[0xd9, len as u8]);
        } else if len <= 0xffff {
            self.out.push(0xda);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.out.push(0xdb);
            self.out.extend_from_slice(&(len as u32).to_be_bytes());
        }
        self.out.extend_from_slice(bytes);
    }

    fn header(&mut self, len: usize, fix: u8, marker16: u8, marker32: u8) {
        if len <= 15 {
            self.out.push(fix | len as u8);
        } else if len <= 0xffff {
            self.out.push(marker16);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.out.push(marker32);
            self.out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }

    /// An array when the keys are exactly 1..n (the empty table included), else a map.
    ///
    /// Values are read as the table is walked rather than gathered first: mlua keeps each live
    /// string or table in a slot of a stack as limited as Lua's own.
    fn table(&mut self, table: &Table, level: usize, held: usize) -> Result<(), Fault> {
        reserve_stack(held, 2, "in function table_is_an_array")?;
        let mut count = 0usize;
        let mut max = 0usize;
        let mut is_array = true;
        for pair in table.pairs::<Value, Value>() {
            let (key, _) = pair?;
            match array_index(&key) {
                Some(index) => {
                    count += 1;
                    max = max.max(index);
                }
                None => {
                    is_array = false;
                    break;
                }
            }
        }

        if is_array && count == max {
            reserve_stack(held, 1, "in function mp_encode_lua_table_as_array")?;
            self.header(count, 0x90, 0xdc, 0xdd);
            for index in 1..=count {
                let element: Value = table.raw_get(index)?;
                self.value(&element, level + 1, held + 1)?;
            }
        } else {
            reserve_stack(held, 3, "in function mp_encode_lua_table_as_map")?;
            let len = if is_array {
                count
            } else {
                table.pairs::<Value, Value>().count()
            };
            self.header(len, 0x80, 0xde, 0xdf);
            for pair in table.pairs::<Value, Value>() {
                let (key, value) = pair?;
                // While the key is encoded the C code holds the key, the value and a copy of
                // the key; then the key and the value.
                self.value(&key, level + 1, held + 3)?;
                self.value(&value, level + 1, held + 2)?;
            }
        }
        Ok(())
    }
}

/// The position a key gives in an array: a number that is a positive C int.
fn array_index(key: &Value) -> Option<usize> {
    let n = match key {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        _ => return None,
    };
    if n > 0.0 && n <= f64::from(i32::MAX) && n.trunc() == n {
        Some(n as usize)
    } else {
        None
    }
}

// ------------------------------------------------------------------------------------------------
// Decoding

/// What the bytes at the cursor start: a whole value, or a container whose elements follow.
enum Item {
    Value(Value),
    Array(usize),
    Map(usize),
}

/// A container being filled while its elements are decoded.
enum Frame {
    /// The next element goes at `next`, up to `len`.
    Array { len: usize, next: usize },
    /// `left` pairs to go; `key` is the key waiting for its value.
    Map { left: usize, key: Option<Value> },
}

/// The tables being filled, innermost last.
///
/// mlua holds every Lua value it hands out in a slot of an auxiliary Lua stack, as limited as
/// Lua's own (about 8000 slots), and a short input may nest thousands of tables. So only the
/// innermost table is held; the ones around it wait in a Lua table, by depth.
struct OpenTables<'a> {
    lua: &'a Lua,
    innermost: Option<Table>,
    outer: Option<Table>,
    depth: usize,
}

impl<'a> OpenTables<'a> {
    fn new(lua: &'a Lua) -> Self {
        OpenTables {
            lua,
            innermost: None,
            outer: None,
            depth: 0,
        }
    }

    fn innermost(&self) -> &Table {
        self.innermost.as_ref().expect("a table is open")
    }

    fn open(&mut self, table: Table) -> mlua::Result<()> {
        if let Some(enclosing) = self.innermost.replace(table) {
            let outer = match &self.outer {
                Some(outer) => outer,
                None => self.outer.insert(self.lua.create_table()?),
            };
            outer.raw_set(self.depth, enclosing)?;
        }
        self.depth += 1;
        Ok(())
    }

    /// Closes the innermost table and gives it back; the one around it becomes the innermost.
    fn close(&mut self) -> mlua::Result<Table> {
        let table = self.innermost.take().expect("a table is open");
        self.depth -= 1;
        if self.depth > 0 {
            let outer = self.outer.as_ref().expect("the enclosing tables are kept");
            self.innermost = Some(outer.raw_get(self.depth)?);
            outer.raw_set(self.depth, Value::Nil)?;
        }
        Ok(table)
    }
}

struct Decoder<'a> {
    lua: &'a Lua,
    input: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], Fault> {
        if self.input.len() - self.pos < len {
            return Err(Fault::Truncated);
        }
        let bytes = &self.input[self.pos..self.pos + len];
        self.pos += len;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Fault> {
        let mut bytes = [0; N];
        bytes.copy_from_slice(self.take(N)?);
        Ok(bytes)
    }

    fn len8(&mut self) -> Result<usize, Fault> {
        Ok(usize::from(self.array::<1>()?[0]))
    }

    fn len16(&mut self) -> Result<usize, Fault> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    fn len32(&mut self) -> Result<usize, Fault> {
        Ok(u32::from_be_bytes(self.array()?) as usize)
    }

    fn string(&mut self, len: usize) -> Result<Item, Fault> {
        let bytes = self.take(len)?;
        Ok(Item::Value(Value::String(self.lua.create_string(bytes)?)))
    }

    /// Reads the item at the cursor, which is not at the end of the input.
    fn item(&mut self) -> Result<Item, Fault> {
        let marker = self.array::<1>()?[0];
        let value = match marker {
            0x00..=0x7f => Value::Integer(i64::from(marker)),
            0x80..=0x8f => return Ok(Item::Map(usize::from(marker & 0x0f))),
            0x90..=0x9f => return Ok(Item::Array(usize::from(marker & 0x0f))),
            0xa0..=0xbf => return self.string(usize::from(marker & 0x1f)),
            0xc0 => Value::Nil,
            0xc2 => Value::Boolean(false),
            0xc3 => Value::Boolean(true),
            0xca => Value::Number(f64::from(f32::from_be_bytes(self.array()?))),
            0xcb => Value::Number(f64::from_be_bytes(self.array()?)),
            0xcc => Value::Integer(i64::from(self.array::<1>()?[0])),
            0xcd => Value::Integer(i64::from(u16::from_be_bytes(self.array()?))),
            0xce => Value::Integer(i64::from(u32::from_be_bytes(self.array()?))),
            // Lua integers are signed: the C library lets the top half wrap to negatives.
            0xcf => Value::Integer(u64::from_be_bytes(self.array()?) as i64),
            0xd0 => Value::Integer(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Value::Integer(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Value::Integer(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Value::Integer(i64::from_be_bytes(self.array()?)),
            0xd9 => {
                let len = self.len8()?;
                return self.string(len);
            }
            0xda => {
                let len = self.len16()?;
                return self.string(len);
            }
            0xdb => {
                let len = self.len32()?;
                return self.string(len);
            }
            0xdc => return Ok(Item::Array(self.len16()?)),
            0xdd => return Ok(Item::Array(self.len32()?)),
            0xde => return Ok(Item::Map(self.len16()?)),
            0xdf => return Ok(Item::Map(self.len32()?)),
            0xe0..=0xff => Value::Integer(i64::from(marker as i8)),
            // 0xc1 (never used), bin, ext and fixext.
            _ => return Err(Fault::BadFormat),
        };
        Ok(Item::Value(value))
    }

    /// Decodes the value at the cursor while `held` stack slots are in use.
    ///
    /// Containers are filled from an explicit list rather than by recursion, since a short input
    /// may nest thousands of levels deep; the slots the C code would hold are counted along.
    fn value(&mut self, held: usize) -> Result<Value, Fault> {
        let mut frames: Vec<Frame> = Vec::new();
        let mut tables = OpenTables::new(self.lua);
        let mut held = held;
        loop {
            if self.pos == self.input.len() {
                return Err(Fault::Truncated);
            }
            reserve_stack(held, 1, TOO_MANY_VALUES)?;
            let mut value = match self.item()? {
                Item::Value(value) => value,
                Item::Array(len) => {
                    let table = self.lua.create_table()?;
                    reserve_stack(held + 1, 1, "in function mp_decode_to_lua_array")?;
                    if len == 0 {
                        Value::Table(table)
                    } else {
                        // The table and the index of the element being decoded.
                        held += 2;
                        tables.open(table)?;
                        frames.push(Frame::Array { len, next: 1 });
                        continue;
                    }
                }
                Item::Map(len) => {
                    let table = self.lua.create_table()?;
                    if len == 0 {
                        Value::Table(table)
                    } else {
                        held += 1;
                        tables.open(table)?;
                        frames.push(Frame::Map {
                            left: len,
                            key: None,
                        });
                        continue;
                    }
                }
            };

            // Hand the value to the container waiting for it, and the containers it completes
            // to theirs.
            loop {
                let complete = match frames.last_mut() {
                    None => return Ok(value),
                    Some(Frame::Array { len, next }) => {
                        tables.innermost().raw_set(*next, value)?;
                        *next += 1;
                        *next > *len
                    }
                    Some(Frame::Map { left, key }) => match key.take() {
                        None => {
                            *key = Some(value);
                            held += 1;
                            false
                        }
                        Some(key) => {
                            check_key(&key)?;
                            tables.innermost().raw_set(key, value)?;
                            held -= 1;
                            *left -= 1;
                            *left == 0
                        }
                    },
                };
                if !complete {
                    break;
                }
                held -= match frames.pop() {
                    Some(Frame::Array { .. }) => 2,
                    _ => 1,
                };
                value = Value::Table(tables.close()?);
            }
        }
    }
}

/// Refuses the keys Lua refuses, with Lua's own words (and no place, as Lua gives none when a C
/// function sets the key).
fn check_key(key: &Value) -> Result<(), Fault> {
    let problem = match key {
        Value::Nil => "table index is nil",
        Value::Number(n) if n.is_nan() => "table index is NaN",
        _ => return Ok(()),
    };
    Err(Fault::Lua(mlua::Error::RuntimeError(problem.to_owned())))
}

#[cfg(test)]
mod tests {
    //! Every expected value below is what Redis 7.0.15 answered to the same Lua code (run after
    //! the same prelude, through EVAL), errors included.

    use super::*;

    /// Helpers the cases use, on one line so that a case's first line is the chunk's line 1:
    /// `hex`/`unhex` between bytes and hex text, and `show`/`showall` printing values (tables with
    /// sorted keys, numbers with 17 digits) and how many there are.
    const PRELUDE: &str = r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end local function unhex(h) return (h:gsub('%x%x', function(x) return string.char(tonumber(x, 16)) end)) end local show show = function(v) local t = type(v) if t == 'table' then local keys = {} for k in pairs(v) do keys[#keys + 1] = k end table.sort(keys, function(a, b) return tostring(a) < tostring(b) end) local parts = {} for i, k in ipairs(keys) do parts[i] = show(k) .. '=' .. show(v[k]) end return '{' .. table.concat(parts, ',') .. '}' elseif t == 'string' then return string.format('%q', v) elseif t == 'number' then return string.format('%.17g', v) else return tostring(v) end end local function showall(...) local parts = {} for i = 1, select('#', ...) do parts[i] = show((select(i, ...))) end return select('#', ...) .. ':' .. table.concat(parts, ' ') end"#;

    fn lua() -> Lua {
        crate::script::test_lua(register)
    }

    /// The text of an error raised by the library, under mlua's wrapping.
    fn message(error: &mlua::Error) -> String {
        crate::script::lua_error::message(error)
    }

    /// Runs each case in a fresh state, under the chunk name Redis gives scripts, and compares
    /// the string it returns (or the error it raises) with Redis's. An error a case caught with
    /// pcall and returned compares as the string it is in Redis.
    fn check(cases: &[(&str, Result<&str, &str>)]) {
        for (code, expected) in cases {
            let lua = lua();
            let outcome = lua
                .load(format!("{PRELUDE} {code}"))
                .set_name("@user_script")
                .eval::<Value>();
            let outcome = match outcome {
                Ok(Value::String(s)) => Ok(s.to_string_lossy()),
                Ok(Value::Error(error)) => Ok(message(&error)),
                Ok(other) => panic!("{code}\nreturned {other:?}"),
                Err(error) => Err(message(&error)),
            };
            let expected = expected.map(str::to_owned).map_err(str::to_owned);
            assert_eq!(outcome, expected, "\n{code}");
        }
    }

    /// The global table, its functions and the fields the C library sets.
    #[test]
    fn registers_the_table_redis_loads() {
        check(&[
            (
                "return table.concat({cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}, '|')",
                Ok(
                    "cmsgpack|lua-cmsgpack 0.4.0|Copyright (C) 2012, Salvatore Sanfilippo|MessagePack C implementation for Lua",
                ),
            ),
            (
                "local n = 0 for k in pairs(cmsgpack) do n = n + 1 end return tostring(n)",
                Ok("8"),
            ),
            (
                "return type(cmsgpack.pack) .. type(cmsgpack.unpack) .. type(cmsgpack.unpack_one) .. type(cmsgpack.unpack_limit)",
                Ok("functionfunctionfunctionfunction"),
            ),
        ]);
    }

    /// Integral numbers: fixints, then uint/int 8 to 64; what a C int64 cannot hold exactly is a float.
    #[test]
    fn integral_numbers_take_the_smallest_integer_format() {
        check(&[
            (
                "return hex(cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2^53))",
                Ok(
                    "00017fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000cf0020000000000000",
                ),
            ),
            (
                "return hex(cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -2^53))",
                Ok(
                    "ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffffd3ffe0000000000000",
                ),
            ),
            ("return hex(cmsgpack.pack(-0.0))", Ok("00")),
            (
                "return hex(cmsgpack.pack(2^63, -2^63, 2^64, -2^63 - 2^11))",
                Ok("ca5f000000d38000000000000000ca5f800000cbc3e0000000000001"),
            ),
            (
                "return hex(cmsgpack.pack(2^53 + 1, 2^62, 2^31, -2^31, -2^31 - 1))",
                Ok("cf0020000000000000cf4000000000000000ce80000000d280000000d3ffffffff7fffffff"),
            ),
        ]);
    }

    /// Other numbers: float32 when it keeps the value (infinities included), float64 otherwise (NaN too).
    #[test]
    fn other_numbers_are_float32_when_exact_else_float64() {
        check(&[
            (
                "return hex(cmsgpack.pack(0.1, 0.5, -1.5, 1/3, 1e300, 1e-45, 2^-149, 16777217.5, 1e38, 3.5e38))",
                Ok(
                    "cb3fb999999999999aca3f000000cabfc00000cb3fd5555555555555cb7e37e43c8800759ccb3696d601ad376ab9ca00000001cb4170000018000000cb47d2ced32a16a1b1cb47f074f8c4d3cd7b",
                ),
            ),
            (
                "return hex(cmsgpack.pack(3.4028234663852886e38, 4294967295.5, 1.25, -2.75e-3))",
                Ok("ca7f7fffffcb41effffffff00000ca3fa00000cbbf66872b020c49ba"),
            ),
            (
                "return hex(cmsgpack.pack(1/0, -1/0))",
                Ok("ca7f800000caff800000"),
            ),
            (
                "return hex(cmsgpack.pack(0/0, -(0/0)))",
                Ok("cbfff8000000000000cb7ff8000000000000"),
            ),
        ]);
    }

    /// Strings: fixstr, str8, str16, str32, never bin; numbers stay numbers.
    #[test]
    fn strings_take_the_str_formats_never_bin() {
        check(&[
            (
                "return hex(cmsgpack.pack('', 'a', 'hello', string.rep('z', 31)))",
                Ok(
                    "a0a161a568656c6c6fbf7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a",
                ),
            ),
            (
                "return hex(cmsgpack.pack(string.rep('b', 32)):sub(1, 6)) .. ' ' .. #cmsgpack.pack(string.rep('b', 32))",
                Ok("d92062626262 34"),
            ),
            (
                "return hex(cmsgpack.pack(string.rep('c', 255)):sub(1, 6)) .. ' ' .. #cmsgpack.pack(string.rep('c', 255))",
                Ok("d9ff63636363 257"),
            ),
            (
                "return hex(cmsgpack.pack(string.rep('d', 256)):sub(1, 8)) .. ' ' .. #cmsgpack.pack(string.rep('d', 256))",
                Ok("da01006464646464 259"),
            ),
            (
                "return hex(cmsgpack.pack(string.rep('e', 65535)):sub(1, 8)) .. ' ' .. #cmsgpack.pack(string.rep('e', 65535))",
                Ok("daffff6565656565 65538"),
            ),
            (
                "return hex(cmsgpack.pack(string.rep('f', 65536)):sub(1, 12)) .. ' ' .. #cmsgpack.pack(string.rep('f', 65536))",
                Ok("db0001000066666666666666 65541"),
            ),
            (
                "return hex(cmsgpack.pack(string.char(0, 255, 128, 10)))",
                Ok("a400ff800a"),
            ),
            ("return hex(cmsgpack.pack(123, '123'))", Ok("7ba3313233")),
        ]);
    }

    /// nil and booleans, and values MessagePack cannot express, encoded as nil.
    #[test]
    fn nil_booleans_and_unencodable_values() {
        check(&[
            (
                "return hex(cmsgpack.pack(nil, true, false, nil))",
                Ok("c0c3c2c0"),
            ),
            (
                "return hex(cmsgpack.pack(tostring, coroutine and 1 or 1, cmsgpack.pack))",
                Ok("c001c0"),
            ),
            (
                "return hex(cmsgpack.pack({f = tostring}, {tostring, 1}))",
                Ok("81a166c092c001"),
            ),
        ]);
    }

    /// Tables: an array when the keys are exactly 1..n (no hole), otherwise a map.
    #[test]
    fn tables_are_arrays_when_keyed_1_to_n_else_maps() {
        check(&[
            (
                "return hex(cmsgpack.pack({}, {nil}, {1, 2, 3}, {1, nil, 3}, {[1] = 1, [2] = 2}, {[2] = 2}, {[0] = 1}, {[-1] = 1}))",
                Ok("909093010203820101030392010281020281000181ff01"),
            ),
            (
                "return hex(cmsgpack.pack({[1.5] = 1}, {a = 1}, {1, 2, x = 3}, {[true] = 1}, {['1'] = 1}, {[{}] = 1}))",
                Ok("81ca3fc000000181a161018301010202a1780381c30181a13101819001"),
            ),
            (
                "return hex(cmsgpack.pack({[2^31 - 1] = 1}, {[2^31] = 1}, {[1] = 'a', [3] = 'c'}))",
                Ok("81ce7fffffff0181ce80000000018201a16103a163"),
            ),
            (
                "local t = {} for i = 1, 15 do t[i] = i end return hex(cmsgpack.pack(t))",
                Ok("9f0102030405060708090a0b0c0d0e0f"),
            ),
            (
                "local t = {} for i = 1, 16 do t[i] = i end return hex(cmsgpack.pack(t))",
                Ok("dc00100102030405060708090a0b0c0d0e0f10"),
            ),
            (
                "local t = {} for i = 1, 65535 do t[i] = true end local s = cmsgpack.pack(t) return hex(s:sub(1, 4)) .. ' ' .. #s",
                Ok("dcffffc3 65538"),
            ),
            (
                "local t = {} for i = 1, 65536 do t[i] = true end local s = cmsgpack.pack(t) return hex(s:sub(1, 6)) .. ' ' .. #s",
                Ok("dd00010000c3 65541"),
            ),
            (
                "local t = {} for i = 1, 15 do t['k' .. i] = true end local s = cmsgpack.pack(t) return hex(s:sub(1, 1)) .. ' ' .. #s",
                Ok("8f 67"),
            ),
            (
                "local t = {} for i = 1, 16 do t['k' .. i] = true end local s = cmsgpack.pack(t) return hex(s:sub(1, 3)) .. ' ' .. #s",
                Ok("de0010 74"),
            ),
            (
                "local t = {} for i = 1, 65536 do t[-i] = true end local s = cmsgpack.pack(t) return hex(s:sub(1, 5)) .. ' ' .. #s",
                Ok("df00010000 327525"),
            ),
            (
                "local t = {} for i = 1, 100 do t[i] = i end t[50] = nil return hex(cmsgpack.pack(t):sub(1, 1))",
                Ok("de"),
            ),
            (
                "local t = setmetatable({1, 2}, {__index = function() return 9 end}) return hex(cmsgpack.pack(t))",
                Ok("920102"),
            ),
            (
                "return hex(cmsgpack.pack({1, {2, {3, {a = {}}}}}))",
                Ok("92019202920381a16190"),
            ),
        ]);
    }

    /// Tables 16 levels down are nil, which is how cycles end.
    #[test]
    fn tables_deeper_than_16_levels_are_nil() {
        check(&[
            (
                "local function nest(n) local t = {} local cur = t for i = 2, n do cur[1] = {} cur = cur[1] end return t end return hex(cmsgpack.pack(nest(16)))",
                Ok("91919191919191919191919191919190"),
            ),
            (
                "local function nest(n) local t = {} local cur = t for i = 2, n do cur[1] = {} cur = cur[1] end return t end return hex(cmsgpack.pack(nest(17)))",
                Ok("91919191919191919191919191919191c0"),
            ),
            (
                "local function nest(n) local t = {} local cur = t for i = 2, n do cur[1] = {} cur = cur[1] end return t end return hex(cmsgpack.pack(nest(40)))",
                Ok("91919191919191919191919191919191c0"),
            ),
            (
                "local t = {} t[1] = t return hex(cmsgpack.pack(t))",
                Ok("91919191919191919191919191919191c0"),
            ),
            (
                "local t = {} t.a = t return hex(cmsgpack.pack(t))",
                Ok(
                    "81a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a161c0",
                ),
            ),
            (
                "local t = {} t[t] = 1 return hex(cmsgpack.pack(t))",
                Ok("81818181818181818181818181818181c001010101010101010101010101010101"),
            ),
            (
                "local t = {} t[1] = t return showall(cmsgpack.unpack(cmsgpack.pack(t)))",
                Ok("1:{1={1={1={1={1={1={1={1={1={1={1={1={1={1={1={}}}}}}}}}}}}}}}}"),
            ),
        ]);
    }

    /// Decoding every format this version knows; numbers given to unpack are read as their text.
    #[test]
    fn unpack_decodes_every_format() {
        check(&[
            (
                "return showall(cmsgpack.unpack(unhex('007fe0ffc0c2c3')))",
                Ok("7:0 127 -32 -1 nil false true"),
            ),
            (
                "return showall(cmsgpack.unpack(unhex('cc80cd8000ce80000000cf0000000100000000cfffffffffffffffffcf8000000000000000')))",
                Ok("6:128 32768 2147483648 4294967296 -1 -9.2233720368547758e+18"),
            ),
            (
                "return showall(cmsgpack.unpack(unhex('d080d18000d1ff01d280000000d3fffffffffffffffed3ffffff0000000000')))",
                Ok("6:-128 -32768 -255 -2147483648 -2 -1099511627776"),
            ),
            (
                "return showall(cmsgpack.unpack(unhex('ca3fc00000cb3fb999999999999aca7f800000caff800000ca00000001')))",
                Ok("5:1.5 0.10000000000000001 inf -inf 1.4012984643248171e-45"),
            ),
            (
                "return showall(cmsgpack.unpack(unhex('a0a3616263d90161da000162db0000000163bf') .. string.rep('x', 31)))",
                Ok(r#"6:"" "abc" "a" "b" "c" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx""#),
            ),
            (
                "return showall(cmsgpack.unpack(unhex('90809201c083a17801a161c2a102c0dc0001ffde00010102dd0000000107df00000001030492c001')))",
                Ok(r#"9:{} {} {1=1} {"a"=false,"x"=1} {1=-1} {1=2} {1=7} {3=4} {2=1}"#),
            ),
            (
                "return showall(cmsgpack.unpack(unhex('820102a16183a162c0a163c3a164c2')))",
                Ok(r#"1:{1=2,"a"={"c"=true,"d"=false}}"#),
            ),
            (
                "return showall(cmsgpack.unpack(unhex('81c301')))",
                Ok("1:{true=1}"),
            ),
            ("return showall(cmsgpack.unpack(''))", Ok("0:")),
            ("return showall(cmsgpack.unpack(123))", Ok("3:49 50 51")),
            ("return showall(cmsgpack.unpack(1.5))", Ok("3:49 46 53")),
            (
                "return showall(cmsgpack.unpack('abc', 'ignored', {}))",
                Ok("3:97 98 99"),
            ),
            (
                "return showall(cmsgpack.unpack(cmsgpack.pack({1, 2, 3}, 'x', 1.5, -129, 2^40, true, nil, {a = {b = 'c'}})))",
                Ok(r#"8:{1=1,2=2,3=3} "x" 1.5 -129 1099511627776 true nil {"a"={"b"="c"}}"#),
            ),
        ]);
    }

    /// unpack_one and unpack_limit: the offset to go on from first, -1 once the input is used up; limit and offset both 0 mean unpack.
    #[test]
    fn unpack_one_and_unpack_limit_return_the_next_offset() {
        check(&[
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s))",
                Ok("2:1 1"),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s, 1))",
                Ok(r#"2:4 "ab""#),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s, 4))",
                Ok("2:6 {1=3}"),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s, 6))",
                Ok("2:-1 true"),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s, 7))",
                Ok("1:-1"),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s, nil))",
                Ok("2:1 1"),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s, '1'))",
                Ok(r#"2:4 "ab""#),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s, 1.9))",
                Ok(r#"2:4 "ab""#),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s, -0.5))",
                Ok("2:1 1"),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_one(s, '0x1'))",
                Ok(r#"2:4 "ab""#),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_limit(s, 2))",
                Ok(r#"3:4 1 "ab""#),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_limit(s, 10))",
                Ok(r#"5:-1 1 "ab" {1=3} true"#),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_limit(s, 0))",
                Ok(r#"4:1 "ab" {1=3} true"#),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_limit(s, 0, 1))",
                Ok("1:1"),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_limit(s, 2, 1))",
                Ok(r#"3:6 "ab" {1=3}"#),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_limit(s, 2.9, '1'))",
                Ok(r#"3:6 "ab" {1=3}"#),
            ),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) return showall(cmsgpack.unpack_limit(s, 3, 1, 'extra'))",
                Ok(r#"4:-1 "ab" {1=3} true"#),
            ),
            ("return showall(cmsgpack.unpack_one(''))", Ok("1:-1")),
            ("return showall(cmsgpack.unpack_one('', 0))", Ok("1:-1")),
            ("return showall(cmsgpack.unpack_limit('', 0, 0))", Ok("0:")),
            ("return showall(cmsgpack.unpack_limit('', 5))", Ok("1:-1")),
            ("return showall(cmsgpack.unpack_one('ab', 2))", Ok("1:-1")),
            ("return showall(cmsgpack.unpack_one(12, 1))", Ok("2:-1 50")),
            (
                "local s = cmsgpack.pack(1, 'ab', {3}, true) local out, offset, v = {}, 0 repeat offset, v = cmsgpack.unpack_one(s, offset) out[#out + 1] = show(v) .. '@' .. offset until offset == -1 return table.concat(out, ' ')",
                Ok(r#"1@1 "ab"@4 {1=3}@6 true@-1"#),
            ),
        ]);
    }

    /// Malformed input: the errors, after the place of the call as luaL_error gives it, or without one for the keys Lua refuses.
    #[test]
    fn malformed_input_errors() {
        check(&[
            (
                "return cmsgpack.unpack(unhex('c1'))",
                Err("user_script:1: Bad data format in input."),
            ),
            (
                "return cmsgpack.unpack(unhex('92'))",
                Err("user_script:1: Missing bytes in input."),
            ),
            (
                "return cmsgpack.unpack_one(unhex('01c4'), 1)",
                Err("user_script:1: Bad data format in input."),
            ),
            (
                "return cmsgpack.unpack_limit(unhex('01d9'), 2)",
                Err("user_script:1: Missing bytes in input."),
            ),
            (
                "return cmsgpack.unpack(unhex('81c001'))",
                Err("table index is nil"),
            ),
            (
                "return cmsgpack.unpack(unhex('81ca7fc0000001'))",
                Err("table index is NaN"),
            ),
            (
                "return cmsgpack.unpack(unhex('81c0'))",
                Err("user_script:1: Missing bytes in input."),
            ),
        ]);
    }

    /// Called from C (pcall), an error has no place in front.
    #[test]
    fn malformed_input_errors_without_place_when_called_from_c() {
        check(&[
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('c1')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('c4')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('c5')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('c6')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('c7')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('c8')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('c9')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d4')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d5')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d6')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d7')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d8')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('c401')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('00c1')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('9301c102')))",
                Ok("Bad data format in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d9')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d902')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('da0001')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('db00000001')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('db000000')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('cc')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('cd00')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('ce000000')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('cf00000000000000')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d0')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d100')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d2000000')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('d300000000000000')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('ca000000')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('cb00000000000000')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('dc00')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('dd000000')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('de00')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('df000000')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('91')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('81')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('8101')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('a1')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('bf')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('92')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('dc0002c3')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack, unhex('9291')))",
                Ok("Missing bytes in input."),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack_one, unhex('01'), -1))",
                Ok("Invalid request to unpack with offset of -1 and limit of 1."),
            ),
        ]);
    }

    /// Argument errors, worded as luaL_argerror does, naming the function as it was called.
    #[test]
    fn argument_errors() {
        check(&[
            (
                "return cmsgpack.pack()",
                Err("user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)"),
            ),
            (
                "return cmsgpack.unpack()",
                Err("user_script:1: bad argument #1 to 'unpack' (string expected, got no value)"),
            ),
            (
                "return cmsgpack.unpack(nil)",
                Err("user_script:1: bad argument #1 to 'unpack' (string expected, got nil)"),
            ),
            (
                "return cmsgpack.unpack({})",
                Err("user_script:1: bad argument #1 to 'unpack' (string expected, got table)"),
            ),
            (
                "return cmsgpack.unpack(true)",
                Err("user_script:1: bad argument #1 to 'unpack' (string expected, got boolean)"),
            ),
            (
                "return cmsgpack:unpack()",
                Err("user_script:1: calling 'unpack' on bad self (string expected, got table)"),
            ),
            (
                "local u = cmsgpack.unpack return u(tostring)",
                Err("user_script:1: bad argument #1 to 'u' (string expected, got function)"),
            ),
            (
                "return cmsgpack.unpack_one()",
                Err(
                    "user_script:1: bad argument #1 to 'unpack_one' (string expected, got no value)",
                ),
            ),
            (
                "return cmsgpack.unpack_one(nil, 'x')",
                Err("user_script:1: bad argument #2 to 'unpack_one' (number expected, got string)"),
            ),
            (
                "return cmsgpack.unpack_one('a', 'x')",
                Err("user_script:1: bad argument #2 to 'unpack_one' (number expected, got string)"),
            ),
            (
                "return cmsgpack.unpack_one('a', {})",
                Err("user_script:1: bad argument #2 to 'unpack_one' (number expected, got table)"),
            ),
            (
                "return cmsgpack.unpack_one('a', -1)",
                Err("user_script:1: Invalid request to unpack with offset of -1 and limit of 1."),
            ),
            (
                "return cmsgpack.unpack_one('abc', 4)",
                Err("user_script:1: Start offset 4 greater than input length 3."),
            ),
            (
                "return cmsgpack.unpack_one('abc', 0/0)",
                Err("user_script:1: Invalid request to unpack with offset of 0 and limit of 3."),
            ),
            (
                "return cmsgpack.unpack_one('abc', 1/0)",
                Err("user_script:1: Invalid request to unpack with offset of 0 and limit of 3."),
            ),
            (
                "return cmsgpack.unpack_one('abc', 2^40)",
                Err("user_script:1: Start offset 0 greater than input length 3."),
            ),
            (
                "return cmsgpack.unpack_limit('abc')",
                Err(
                    "user_script:1: bad argument #2 to 'unpack_limit' (number expected, got no value)",
                ),
            ),
            (
                "return cmsgpack.unpack_limit('abc', nil)",
                Err("user_script:1: bad argument #2 to 'unpack_limit' (number expected, got nil)"),
            ),
            (
                "return cmsgpack.unpack_limit('abc', {})",
                Err(
                    "user_script:1: bad argument #2 to 'unpack_limit' (number expected, got table)",
                ),
            ),
            (
                "return cmsgpack.unpack_limit(nil, 1, 'y')",
                Err(
                    "user_script:1: bad argument #3 to 'unpack_limit' (number expected, got string)",
                ),
            ),
            (
                "return cmsgpack.unpack_limit(nil, 1)",
                Err("user_script:1: bad argument #1 to 'unpack_limit' (string expected, got nil)"),
            ),
            (
                "return cmsgpack.unpack_limit('abcdef', -1, 2)",
                Err("user_script:1: Invalid request to unpack with offset of 2 and limit of 6."),
            ),
            (
                "return cmsgpack.unpack_limit('abcdef', 1, -3000000000)",
                Err(
                    "user_script:1: Invalid request to unpack with offset of 1294967296 and limit of 6.",
                ),
            ),
            (
                "return cmsgpack.unpack_limit('abcdef', 1, 5000000000)",
                Err("user_script:1: Start offset 705032704 greater than input length 6."),
            ),
            (
                r#"
local x = 1
return cmsgpack.unpack_limit('abcdef', 1, 7)"#,
                Err("user_script:3: Start offset 7 greater than input length 6."),
            ),
        ]);
    }

    /// Called from C, the function has no name.
    #[test]
    fn argument_errors_without_name_when_called_from_c() {
        check(&[
            (
                "return select(2, pcall(cmsgpack.pack))",
                Ok("bad argument #0 to '?' (MessagePack pack needs input.)"),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack))",
                Ok("bad argument #1 to '?' (string expected, got no value)"),
            ),
            (
                "return select(2, pcall(cmsgpack.unpack_limit, 'a', 'b'))",
                Ok("bad argument #2 to '?' (number expected, got string)"),
            ),
        ]);
    }

    /// Where the C library runs out of Lua stack: values returned, nesting decoded, arguments and tables packed.
    #[test]
    fn lua_stack_limits_of_the_c_library() {
        check(&[
            (
                "return tostring(select('#', cmsgpack.unpack(string.rep(string.char(1), 7900))))",
                Ok("7900"),
            ),
            (
                "return tostring(select('#', cmsgpack.unpack_limit(string.rep(string.char(1), 8000), 7900)))",
                Ok("7901"),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x91), 3999) .. string.char(1)) return ok and 'ok' or r",
                Ok("ok"),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x91), 4000) .. string.char(1)) return ok and 'ok' or r",
                Ok("stack overflow (in function mp_decode_to_lua_array)"),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x81, 0xc3), 3999) .. string.char(1)) return ok and 'ok' or r",
                Ok("ok"),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x81, 0xc3), 4000) .. string.char(1)) return ok and 'ok' or r",
                Ok(
                    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
                ),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x81), 7998) .. string.char(1)) return ok and 'ok' or r",
                Ok("Missing bytes in input."),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x81), 7999) .. string.char(1)) return ok and 'ok' or r",
                Ok(
                    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
                ),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x81), 7997) .. string.rep(string.char(1), 7998)) return ok and 'ok' or r",
                Ok("ok"),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x81), 7998) .. string.rep(string.char(1), 7999)) return ok and 'ok' or r",
                Ok(
                    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
                ),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x81, 0xa1, 0x61), 3999) .. string.char(1)) return ok and 'ok' or r",
                Ok("ok"),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x81, 0xa1, 0x61), 4000) .. string.char(1)) return ok and 'ok' or r",
                Ok(
                    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
                ),
            ),
            (
                "local ok, r = pcall(cmsgpack.unpack, string.rep(string.char(0x81, 0xa1, 0x61), 3999) .. string.char(1)) for i = 1, 3999 do r = r.a end return tostring(r)",
                Ok("1"),
            ),
            (
                "local t = {} for i = 1, 4000 do t[i] = i end local ok, r = pcall(cmsgpack.pack, unpack(t)) return ok and tostring(#r) or r",
                Ok("11618"),
            ),
            (
                "local t = {} for i = 1, 4001 do t[i] = i end local ok, r = pcall(cmsgpack.pack, unpack(t)) return ok and tostring(#r) or r",
                Ok("bad argument #0 to '?' (Too many arguments for MessagePack pack.)"),
            ),
            (
                "local t = {} for i = 1, 3999 do t[i] = {} end local ok, r = pcall(cmsgpack.pack, unpack(t)) return ok and tostring(#r) or r",
                Ok("3999"),
            ),
            (
                "local t = {} for i = 1, 4000 do t[i] = {} end local ok, r = pcall(cmsgpack.pack, unpack(t)) return ok and tostring(#r) or r",
                Ok("stack overflow (in function table_is_an_array)"),
            ),
            (
                "local t = {} for i = 1, 3998 do t[i] = {{{}}} end local ok, r = pcall(cmsgpack.pack, unpack(t)) return ok and tostring(#r) or r",
                Ok("11994"),
            ),
            (
                "local t = {} for i = 1, 3999 do t[i] = {{{}}} end local ok, r = pcall(cmsgpack.pack, unpack(t)) return ok and tostring(#r) or r",
                Ok("stack overflow (in function table_is_an_array)"),
            ),
            (
                "local t = {} for i = 1, 3997 do t[i] = {a = {b = {}}} end local ok, r = pcall(cmsgpack.pack, unpack(t)) return ok and tostring(#r) or r",
                Ok("27979"),
            ),
            (
                "local t = {} for i = 1, 3998 do t[i] = {a = {b = {}}} end local ok, r = pcall(cmsgpack.pack, unpack(t)) return ok and tostring(#r) or r",
                Ok("stack overflow (in function table_is_an_array)"),
            ),
        ]);
    }

    /// The stack overflows raised in a chunk.
    #[test]
    fn lua_stack_overflow_errors() {
        check(&[
            (
                "return cmsgpack.unpack(string.rep(string.char(1), 8000))",
                Err(
                    "user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
                ),
            ),
            (
                "return cmsgpack.unpack(string.rep(string.char(1), 7999), 'one more argument')",
                Err(
                    "user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
                ),
            ),
            (
                "return cmsgpack.unpack_limit(string.rep(string.char(1), 8000), 7999)",
                Err("user_script:1: stack overflow (in function mp_unpack_full)"),
            ),
            (
                "return cmsgpack.unpack(string.rep(string.char(0x91), 4000) .. string.char(1))",
                Err("user_script:1: stack overflow (in function mp_decode_to_lua_array)"),
            ),
        ]);
    }

    /// The cmsgpack cases of Redis's tests/unit/scripting.tcl, written anew: packing 0.1 and a negative int64, the pack/unpack smoke test, and a cyclic table.
    #[test]
    fn cases_of_the_redis_test_suite() {
        check(&[
            ("return hex(cmsgpack.pack(0.1))", Ok("cb3fb999999999999a")),
            (
                "return hex(cmsgpack.pack(-1099511627776))",
                Ok("d3ffffff0000000000"),
            ),
            (
                r#"local big_array, big_map = {}, {}
for i = 1, 100000 do
    big_array[i] = i
    big_map[tostring(i)] = i
end
local data = {
    s1 = string.rep('x', 30), s2 = string.rep('x', 250), s3 = string.rep('x', 65530),
    s4 = string.rep('x', 100000), d1 = 0.1, i1 = 1, i2 = 250, i3 = 65530, i4 = 100000,
    i5 = 2^40, i6 = -1, i7 = -120, i8 = -32000, i9 = -100000, i10 = -3147483648,
    a1 = {1, 2, 3, 4, 5},
    a2 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18},
    a3 = big_array, m1 = {a = 1, b = 2}, m2 = big_map, b1 = false, b2 = true, n = nil,
}
local encoded = cmsgpack.pack(data)
local decoded = cmsgpack.unpack(encoded)
local offset, one = cmsgpack.unpack_one(encoded, 0)
assert(offset == -1)
for _, copy in ipairs({decoded, one}) do
    for k, v in pairs(data) do
        if type(v) == 'table' then
            for i, x in pairs(v) do assert(copy[k][i] == x, k) end
        else
            assert(copy[k] == v, k)
        end
    end
end
return #encoded .. ' ' .. show(decoded.m1) .. ' ' .. show(decoded.a2[18]) .. ' ' .. show(decoded.i10)"#,
                Ok(r#"1491977 {"a"=1,"b"=2} 18 -3147483648"#),
            ),
            (
                r#"local parts = {string.rep('x', 30), string.rep('x', 250), string.rep('x', 65530), string.rep('x', 100000)}
local encoded = cmsgpack.pack(unpack(parts))
local offset, out = 0, {}
for i = 1, 4 do
    local obj
    offset, obj = cmsgpack.unpack_limit(encoded, 1, offset)
    assert(obj == parts[i])
    out[i] = tostring(offset)
end
return table.concat(out, ' ')"#,
                Ok("31 283 65816 -1"),
            ),
            (
                r#"local a = {x = nil, y = 5}
local b = {x = a}
a['x'] = b
local encoded = cmsgpack.pack(a)
local re = cmsgpack.unpack(encoded)
assert(re.x.x.y == re.y)
assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.y == re.y)
assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x)
assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil)
return hex(encoded) .. ' ' .. tostring(re.x.x.x.x.x.x.x.x.y == re.y) .. ' ' .. tostring(re.y == 5)"#,
                Ok(
                    "82a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a178c0 true true",
                ),
            ),
        ]);
    }
}
