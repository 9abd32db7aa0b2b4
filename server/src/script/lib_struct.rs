//! The `struct` library that Redis preloads into its Lua 5.1 interpreter (Roberto Ierusalimschy's
//! struct, as bundled with Redis), ported to Rust on top of mlua because no crate provides it and
//! Redis's C source is only a snapshot we must not copy. It converts between Lua values and binary
//! strings laid out by a format: `struct.pack(fmt, ...)`, `struct.unpack(fmt, data [, pos])` and
//! `struct.size(fmt)`.
//!
//! Behaviour follows Redis 7.0.15 on a 64-bit little-endian host, quirks included: `l`, `L` and
//! `T` are 8 bytes, `i`/`I` default to 4 and go up to 32 bytes but carry at most 64 bits (packing
//! pads with zero bytes, unpacking keeps the last 64 bits read), `!` alone aligns to 8, numbers
//! out of range convert as the x86-64 C conversions do, a format ends at its first NUL byte, and
//! errors carry the text the C library raises, position prefix included.
//!
//! Format options: `>` big endian, `<` little endian, `![n]` maximum alignment (a power of 2),
//! `x` one padding byte, `b`/`B` signed/unsigned char, `h`/`H` short, `l`/`L` long, `T` size_t,
//! `i[n]`/`I[n]` integers of `n` bytes, `f` float, `d` double, `s` zero-terminated string,
//! `c[n]` `n` chars (`c0`: the whole string when packing, the previous value's length when
//! unpacking), and spaces, which are ignored.

use mlua::{Lua, LuaString, MultiValue, Result, Value};

use super::lua_error::{arg_error, lua_error};

/// The largest integer size `i`/`I` accept.
const MAX_INT_SIZE: usize = 32;
/// What `!` without a number aligns to: a double's alignment.
const MAX_ALIGN: usize = 8;
/// `sizeof(int)`, the default size of `i`/`I`.
const INT_SIZE: usize = 4;
/// `sizeof(long)` and `sizeof(size_t)` on the 64-bit hosts Redis runs on.
const LONG_SIZE: usize = 8;
/// How many stack slots a C function may use: results beyond that fail as in Lua.
const MAX_C_STACK: usize = 8000;

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Creates the global `struct` table holding `pack`, `unpack` and `size`, as Redis does when it
/// sets up its Lua interpreter.
pub fn register(lua: &Lua) -> Result<()> {
    let library = lua.create_table()?;
    library.set(
        "pack",
        lua.create_function(|lua, args: MultiValue| pack(lua, &args))?,
    )?;
    library.set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| unpack(lua, &args))?,
    )?;
    library.set(
        "size",
        lua.create_function(|lua, args: MultiValue| size(lua, &args))?,
    )?;
    lua.globals().set("struct", library)
}

/// `struct.pack(fmt, v1, v2, ...)`: the values laid out as the format says.
fn pack(lua: &Lua, args: &MultiValue) -> Result<LuaString> {
    let fmt = string_arg(lua, args, 1)?;
    let fmt = fmt.as_bytes();
    let mut format = Format::new(&fmt);
    // The C library pushes a nil after the arguments before it starts, so a missing value is
    // reported as nil rather than as no value.
    let mut args = args.clone();
    args.push_back(Value::Nil);
    let args = &args;
    let mut out = Vec::new();
    let mut arg = 2;
    while let Some(option) = format.next_option() {
        let size = format.option_size(lua, option)?;
        let padding = format.padding(out.len(), option, size);
        out.resize(out.len() + padding, 0);
        match option {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = number_arg(lua, args, arg)?;
                arg += 1;
                let value = if n < 0.0 {
                    c_double_to_long(n) as u64
                } else {
                    c_double_to_ulong(n)
                };
                // Sizes past 8 bytes are padded with zeros, whatever the sign.
                let mut bytes = value.to_le_bytes().to_vec();
                bytes.resize(size, 0);
                if !format.little_endian {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            b'x' => out.push(0),
            b'f' => {
                let n = number_arg(lua, args, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&format.bytes_of(n.to_le_bytes(), n.to_be_bytes()));
            }
            b'd' => {
                let n = number_arg(lua, args, arg)?;
                arg += 1;
                out.extend_from_slice(&format.bytes_of(n.to_le_bytes(), n.to_be_bytes()));
            }
            b'c' | b's' => {
                let string = string_arg(lua, args, arg)?;
                let string = string.as_bytes();
                arg += 1;
                let wanted = if size == 0 { string.len() } else { size };
                if string.len() < wanted {
                    // The C library reports the argument after the short one.
                    return Err(arg_error(lua, arg, "string too short"));
                }
                out.extend_from_slice(&string[..wanted]);
                if option == b's' {
                    out.push(0);
                }
            }
            _ => format.control(lua, option)?,
        }
    }
    lua.create_string(out)
}

/// `struct.unpack(fmt, data [, pos])`: the values read from `data` starting at byte `pos`
/// (1-based), followed by the position just past the last byte read.
fn unpack(lua: &Lua, args: &MultiValue) -> Result<MultiValue> {
    let fmt = string_arg(lua, args, 1)?;
    let fmt = fmt.as_bytes();
    let mut format = Format::new(&fmt);
    let data = string_arg(lua, args, 2)?;
    let data = data.as_bytes();
    let start = match args.get(2) {
        None | Some(Value::Nil) => 1,
        Some(_) => integer_arg(lua, args, 3)?,
    };
    // The position is a C size_t: a negative start wraps around, so it passes this check and
    // then fails (or, with nothing to read, comes back unchanged).
    let mut pos = start as u64 as usize;
    if pos == 0 {
        return Err(arg_error(lua, 3, "offset must be 1 or greater"));
    }
    pos -= 1;
    let fits = |pos: usize, size: usize| pos.checked_add(size).is_some_and(|end| end <= data.len());
    let mut results: Vec<Value> = Vec::new();
    while let Some(option) = format.next_option() {
        let mut size = format.option_size(lua, option)?;
        pos = pos.wrapping_add(format.padding(pos, option, size));
        if !fits(pos, size) {
            return Err(arg_error(lua, 2, "data string too short"));
        }
        if args.len() + results.len() + 2 > MAX_C_STACK {
            return Err(lua_error(lua, "stack overflow (too many results)"));
        }
        match option {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let bytes = &data[pos..pos + size];
                let signed = option.is_ascii_lowercase();
                results.push(Value::Number(read_integer(
                    bytes,
                    format.little_endian,
                    signed,
                )));
            }
            b'x' => {}
            b'f' => {
                let bytes = data[pos..pos + size].try_into().expect("4 bytes");
                let n = if format.little_endian {
                    f32::from_le_bytes(bytes)
                } else {
                    f32::from_be_bytes(bytes)
                };
                results.push(Value::Number(f64::from(n)));
            }
            b'd' => {
                let bytes = data[pos..pos + size].try_into().expect("8 bytes");
                let n = if format.little_endian {
                    f64::from_le_bytes(bytes)
                } else {
                    f64::from_be_bytes(bytes)
                };
                results.push(Value::Number(n));
            }
            b'c' => {
                if size == 0 {
                    // `c0` takes its length from the value just read, which it replaces.
                    let length = match results.last() {
                        Some(previous) => to_number(lua, Some(previous))?,
                        None => None,
                    };
                    let Some(length) = length else {
                        return Err(lua_error(lua, "format 'c0' needs a previous size"));
                    };
                    results.pop();
                    size = c_double_to_ulong(length) as usize;
                    if !fits(pos, size) {
                        return Err(arg_error(lua, 2, "data string too short"));
                    }
                }
                results.push(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(length) = data[pos..].iter().position(|&byte| byte == 0) else {
                    return Err(lua_error(lua, "unfinished string in data"));
                };
                results.push(Value::String(lua.create_string(&data[pos..pos + length])?));
                size = length + 1;
            }
            _ => format.control(lua, option)?,
        }
        pos = pos.wrapping_add(size);
    }
    results.push(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(MultiValue::from_vec(results))
}

/// `struct.size(fmt)`: how many bytes `struct.pack(fmt, ...)` produces. Unknown letters and
/// digits count for nothing here (they are only rejected by `pack` and `unpack`).
fn size(lua: &Lua, args: &MultiValue) -> Result<f64> {
    let fmt = string_arg(lua, args, 1)?;
    let fmt = fmt.as_bytes();
    let mut format = Format::new(&fmt);
    let mut total: usize = 0;
    while let Some(option) = format.next_option() {
        let size = format.option_size(lua, option)?;
        total = total.wrapping_add(format.padding(total, option, size));
        if option == b's' {
            return Err(arg_error(lua, 1, "option 's' has no fixed size"));
        }
        if option == b'c' && size == 0 {
            return Err(arg_error(lua, 1, "option 'c0' has no fixed size"));
        }
        if !option.is_ascii_alphanumeric() {
            format.control(lua, option)?;
        }
        total = total.wrapping_add(size);
    }
    Ok(total as i64 as f64)
}

/// A format being walked through, with the byte order and alignment its options set so far.
struct Format<'a> {
    rest: &'a [u8],
    little_endian: bool,
    max_align: usize,
}

impl<'a> Format<'a> {
    /// The format is read as a C string: it ends at its first NUL byte.
    fn new(format: &'a [u8]) -> Self {
        let end = format
            .iter()
            .position(|&byte| byte == 0)
            .unwrap_or(format.len());
        Format {
            rest: &format[..end],
            little_endian: cfg!(target_endian = "little"),
            max_align: 1,
        }
    }

    fn next_option(&mut self) -> Option<u8> {
        let (&option, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(option)
    }

    /// The size of the data an option stands for, reading its count if it takes one; 0 for
    /// options that stand for no fixed-size data.
    fn option_size(&mut self, lua: &Lua, option: u8) -> Result<usize> {
        Ok(match option {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'f' => 4,
            b'l' | b'L' | b'T' | b'd' => LONG_SIZE,
            b'c' => self.count(lua, 1)?,
            b'i' | b'I' => {
                let size = self.count(lua, INT_SIZE)?;
                if size > MAX_INT_SIZE {
                    return Err(lua_error(
                        lua,
                        format!("integral size {size} is larger than limit of {MAX_INT_SIZE}"),
                    ));
                }
                size
            }
            _ => 0,
        })
    }

    /// The decimal number at the current position, or `default` when there is none. It must
    /// fit a C int.
    fn count(&mut self, lua: &Lua, default: usize) -> Result<usize> {
        let digits = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Ok(default);
        }
        let (number, rest) = self.rest.split_at(digits);
        self.rest = rest;
        number
            .iter()
            .try_fold(0i32, |n, digit| {
                n.checked_mul(10)?.checked_add(i32::from(digit - b'0'))
            })
            .map(|n| n as usize)
            .ok_or_else(|| lua_error(lua, "integral size overflow"))
    }

    /// The padding bytes that align an item of `size` bytes at `offset`, no more than the
    /// current maximum alignment. Chars are never aligned. (An item whose size is not a power
    /// of 2 gets the same odd padding the C library computes.)
    fn padding(&self, offset: usize, option: u8, size: usize) -> usize {
        if size == 0 || option == b'c' {
            return 0;
        }
        let align = size.min(self.max_align);
        (align - (offset & (align - 1))) & (align - 1)
    }

    /// The options that only steer the layout: byte order, alignment and spaces. Anything
    /// else that got here is not a valid option.
    fn control(&mut self, lua: &Lua, option: u8) -> Result<()> {
        match option {
            b' ' => {}
            b'>' => self.little_endian = false,
            b'<' => self.little_endian = true,
            b'!' => {
                let align = self.count(lua, MAX_ALIGN)?;
                if !align.is_power_of_two() {
                    return Err(lua_error(
                        lua,
                        format!("alignment {align} is not a power of 2"),
                    ));
                }
                self.max_align = align;
            }
            _ => {
                let option = String::from_utf8_lossy(&[option]).into_owned();
                return Err(arg_error(
                    lua,
                    1,
                    format!("invalid format option '{option}'"),
                ));
            }
        }
        Ok(())
    }

    /// A float's bytes in the current byte order.
    fn bytes_of<const N: usize>(&self, little: [u8; N], big: [u8; N]) -> [u8; N] {
        if self.little_endian { little } else { big }
    }
}

/// An integer of `bytes.len()` bytes, as a Lua number. Only the last 64 bits read are kept;
/// a signed value is sign-extended from its top bit, and past 8 bytes the sign test uses
/// the bit the x86-64 shift lands on (bit `(8 * size - 1) mod 64`), as in Redis.
fn read_integer(bytes: &[u8], little_endian: bool, signed: bool) -> f64 {
    let accumulate = |acc: u64, &byte: &u8| (acc << 8) | u64::from(byte);
    let mut value = if little_endian {
        bytes.iter().rev().fold(0, accumulate)
    } else {
        bytes.iter().fold(0, accumulate)
    };
    if !signed {
        return value as f64;
    }
    let sign_bit = (bytes.len() * 8).wrapping_sub(1) & 63;
    let mask = u64::MAX << sign_bit;
    if value & mask != 0 {
        value |= mask;
    }
    value as i64 as f64
}

/// `(long)n` as x86-64 computes it: truncation, and `i64::MIN` for NaN and values out of range.
fn c_double_to_long(n: f64) -> i64 {
    if (-TWO_POW_63..TWO_POW_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// `(unsigned long)n` as x86-64 code compiled by GCC computes it: values from 2^63 up are
/// converted less 2^63 and get the top bit back, so 2^64 and beyond (and infinity) wrap to 0,
/// while NaN and negative values go through the signed conversion.
fn c_double_to_ulong(n: f64) -> u64 {
    if n >= TWO_POW_63 {
        (c_double_to_long(n - TWO_POW_63) as u64) ^ (1 << 63)
    } else {
        c_double_to_long(n) as u64
    }
}

/// `luaL_checklstring`: strings, and numbers converted to strings; anything else is an error.
fn string_arg(lua: &Lua, args: &MultiValue, position: usize) -> Result<LuaString> {
    let arg = args.get(position - 1);
    let string = match arg {
        Some(Value::String(string)) => Some(string.clone()),
        Some(number @ (Value::Number(_) | Value::Integer(_))) => {
            lua.coerce_string(number.clone())?
        }
        _ => None,
    };
    string.ok_or_else(|| type_error(lua, args, position, "string"))
}

/// `luaL_checknumber`: numbers, and strings that spell one.
fn number_arg(lua: &Lua, args: &MultiValue, position: usize) -> Result<f64> {
    to_number(lua, args.get(position - 1))?.ok_or_else(|| type_error(lua, args, position, "number"))
}

/// `luaL_checkinteger`: a number truncated as C's `(ptrdiff_t)n` does.
fn integer_arg(lua: &Lua, args: &MultiValue, position: usize) -> Result<i64> {
    number_arg(lua, args, position).map(c_double_to_long)
}

/// `lua_tonumber`: numbers as they are, strings that spell a number converted, anything else
/// (or a missing argument) `None`.
fn to_number(lua: &Lua, value: Option<&Value>) -> Result<Option<f64>> {
    Ok(match value {
        Some(Value::Number(n)) => Some(*n),
        Some(Value::Integer(i)) => Some(*i as f64),
        Some(string @ Value::String(_)) => lua.coerce_number(string.clone())?,
        _ => None,
    })
}

/// The "X expected, got Y" error for the argument at 1-based `position`.
fn type_error(lua: &Lua, args: &MultiValue, position: usize, expected: &str) -> mlua::Error {
    super::lua_error::type_error(lua, position, expected, args.get(position - 1))
}

#[cfg(test)]
mod tests {
    use mlua::Lua;

    fn lua() -> Lua {
        let lua = crate::script::test_lua(super::register);
        // Renders every value an expression returns: strings in hex, numbers with 17 digits.
        lua.load(
            r#"
            local function render(v)
              if type(v) == 'string' then
                return 's:' .. v:gsub('.', function(c) return string.format('%02x', c:byte()) end)
              elseif type(v) == 'number' then
                return 'n:' .. string.format('%.17g', v)
              end
              return type(v) .. ':' .. tostring(v)
            end
            function render_all(...)
              local out = {}
              for i = 1, select('#', ...) do out[i] = render((select(i, ...))) end
              return table.concat(out, ' ')
            end
            "#,
        )
        .exec()
        .unwrap();
        lua
    }

    fn eval(lua: &Lua, expr: &str) -> String {
        lua.load(format!("return render_all({expr})"))
            .set_name("@user_script")
            .eval()
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    /// The message of the error the chunk raises.
    fn error(lua: &Lua, code: &str) -> String {
        let err = lua
            .load(code)
            .set_name("@user_script")
            .exec()
            .expect_err(code);
        crate::script::lua_error::message(&err)
    }

    /// The `code => expected` lines of a table of cases.
    fn cases(table: &str) -> impl Iterator<Item = (&str, &str)> {
        table
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let (code, expected) = line.split_once(" => ").expect("code => expected");
                (code.trim(), expected.trim())
            })
    }

    /// Each expression renders (see `lua`) as expected.
    fn check(table: &str) {
        let lua = lua();
        for (expr, expected) in cases(table) {
            assert_eq!(eval(&lua, expr), expected, "{expr}");
        }
    }

    /// Each chunk fails with the expected message, positioned at its line 1.
    fn check_errors(table: &str) {
        let lua = lua();
        for (code, expected) in cases(table) {
            let expected = format!("user_script:1: {expected}");
            assert_eq!(error(&lua, code), expected, "{code}");
        }
    }

    // Expected values below were produced by redis-server 7.0.15 (x86-64).

    #[test]
    fn pack_integers() {
        check(
            r"
            struct.pack('b', 1) => s:01
            struct.pack('b', -1) => s:ff
            struct.pack('B', 255) => s:ff
            struct.pack('B', 256) => s:00
            struct.pack('b', 200) => s:c8
            struct.pack('h', 1) => s:0100
            struct.pack('>h', 1) => s:0001
            struct.pack('<h', -2) => s:feff
            struct.pack('H', 65535) => s:ffff
            struct.pack('>H', 0x1234) => s:1234
            struct.pack('l', 1) => s:0100000000000000
            struct.pack('>l', -1) => s:ffffffffffffffff
            struct.pack('L', 2^53) => s:0000000000002000
            struct.pack('>T', 5) => s:0000000000000005
            struct.pack('i', 1) => s:01000000
            struct.pack('>i', 1) => s:00000001
            struct.pack('<i3', 0x123456) => s:563412
            struct.pack('>i3', 0x123456) => s:123456
            struct.pack('<i16', -1) => s:ffffffffffffffff0000000000000000
            struct.pack('>i16', -1) => s:0000000000000000ffffffffffffffff
            struct.pack('>I16', 1) => s:00000000000000000000000000000001
            struct.pack('i0', 5) => s:
            struct.pack('i', 1.9) => s:01000000
            struct.pack('i', -1.9) => s:ffffffff
            struct.pack('>I', -1) => s:ffffffff
            struct.pack('>i', 2^32 + 7) => s:00000007
            struct.pack('b', '12') => s:0c
            struct.pack('b', 1, 2, 3) => s:01
            ",
        );
        let lua = lua();
        assert_eq!(
            eval(&lua, "struct.pack('i32', 1)"),
            format!("s:01{}", "0".repeat(62))
        );
    }

    #[test]
    fn pack_out_of_range_numbers() {
        check(
            r"
            struct.pack('>i8', 2^63) => s:8000000000000000
            struct.pack('>I8', 2^64) => s:0000000000000000
            struct.pack('>I8', 2^63 + 2^20) => s:8000000000100000
            struct.pack('>i8', -2^63) => s:8000000000000000
            struct.pack('>i8', -2^64) => s:8000000000000000
            struct.pack('>i8', 1e30) => s:0000000000000000
            struct.pack('>i8', -1e30) => s:8000000000000000
            struct.pack('>i8', 0/0) => s:8000000000000000
            struct.pack('>i8', -(0/0)) => s:8000000000000000
            struct.pack('>i8', 1/0) => s:0000000000000000
            struct.pack('>i8', -1/0) => s:8000000000000000
            ",
        );
    }

    #[test]
    fn pack_floats() {
        check(
            r"
            struct.pack('f', 1.5) => s:0000c03f
            struct.pack('>f', 1.5) => s:3fc00000
            struct.pack('<f', 0.1) => s:cdcccc3d
            struct.pack('>f', 1e40) => s:7f800000
            struct.pack('>f', 0/0) => s:ffc00000
            struct.pack('>f', -(0/0)) => s:7fc00000
            struct.pack('>f', 1e-50) => s:00000000
            struct.pack('d', 1.5) => s:000000000000f83f
            struct.pack('>d', -0.0) => s:8000000000000000
            struct.pack('>d', 0/0) => s:fff8000000000000
            struct.pack('>d', '2.5') => s:4004000000000000
            ",
        );
    }

    #[test]
    fn pack_strings_and_padding() {
        // A format is a C string: it stops at the first NUL.
        check(
            r"
            struct.pack('x') => s:00
            struct.pack('xb', 1) => s:0001
            struct.pack('bxb', 1, 2) => s:010002
            struct.pack('s', 'abc') => s:61626300
            struct.pack('s', 'a\0b') => s:61006200
            struct.pack('s', '') => s:00
            struct.pack('c', 'abc') => s:61
            struct.pack('c3', 'abc') => s:616263
            struct.pack('c0', 'hello') => s:68656c6c6f
            struct.pack('c0', '') => s:
            struct.pack('c2', 12) => s:3132
            struct.pack('s', 1.5) => s:312e3500
            struct.pack('s', -0.0) => s:2d3000
            struct.pack('s', 1e100) => s:31652b31303000
            struct.pack('', 1) => s:
            struct.pack('< > b', 1) => s:01
            struct.pack('b\0b', 1, 2) => s:01
            ",
        );
    }

    #[test]
    fn pack_alignment() {
        check(
            r"
            struct.pack('!4 b i', 1, 2) => s:0100000002000000
            struct.pack('!bi', 1, 2) => s:0100000002000000
            struct.pack('!bd', 1, 2) => s:01000000000000000000000000000040
            struct.pack('!8 b d', 1, 2) => s:01000000000000000000000000000040
            struct.pack('!2 b i', 1, 2) => s:010002000000
            struct.pack('!16 b d', 1, 2) => s:01000000000000000000000000000040
            struct.pack('!4 b h b l', 1, 2, 3, 4) => s:01000200030000000400000000000000
            struct.pack('!4 b c3', 1, 'abc') => s:01616263
            struct.pack('!4 b s', 1, 'x') => s:017800
            struct.pack('!4 b x i', 1, 2) => s:0100000002000000
            struct.pack('!8 b i3', 1, 2) => s:010000020000
            struct.pack('!8 bbb i3', 1, 2, 3, 4) => s:010203040000
            struct.pack('!8 b i5', 1, 2) => s:01000000000200000000
            struct.pack('!8 b i6', 1, 2) => s:010000000000020000000000
            struct.pack('!8 bb i6', 1, 2, 3) => s:010200000000030000000000
            struct.pack('!8 b i12', 1, 2) => s:0100000000000000020000000000000000000000
            struct.pack('!8 b f', 1, 2) => s:0100000000000040
            struct.pack('b!4i', 1, 2) => s:0100000002000000
            ",
        );
    }

    #[test]
    fn pack_errors() {
        // The short-string error names the argument after the short string, and missing values
        // are reported as nil, both as in the C library.
        check_errors(
            r"
            struct.pack('i0') => bad argument #2 to 'pack' (number expected, got nil)
            struct.pack('i33', 1) => integral size 33 is larger than limit of 32
            struct.pack('>d', 'x') => bad argument #2 to 'pack' (number expected, got string)
            struct.pack('c5', 'abc') => bad argument #3 to 'pack' (string too short)
            struct.pack('b c5', 1, 'abc') => bad argument #4 to 'pack' (string too short)
            struct.pack('c', {}) => bad argument #2 to 'pack' (string expected, got table)
            struct.pack('s') => bad argument #2 to 'pack' (string expected, got nil)
            struct.pack('b', 'x') => bad argument #2 to 'pack' (number expected, got string)
            struct.pack('b') => bad argument #2 to 'pack' (number expected, got nil)
            struct.pack('bb', 1) => bad argument #3 to 'pack' (number expected, got nil)
            struct.pack('i0i0', 1) => bad argument #3 to 'pack' (number expected, got nil)
            struct.pack('!3 b', 1) => alignment 3 is not a power of 2
            struct.pack('!0b', 1) => alignment 0 is not a power of 2
            struct.pack('b2', 1) => bad argument #1 to 'pack' (invalid format option '2')
            struct.pack('z', 1) => bad argument #1 to 'pack' (invalid format option 'z')
            struct.pack('%', 1) => bad argument #1 to 'pack' (invalid format option '%')
            struct.pack('i99999999999', 1) => integral size overflow
            struct.pack('c99999999999', 'x') => integral size overflow
            struct.pack('!99999999999') => integral size overflow
            struct.pack('i2147483648', 1) => integral size overflow
            struct.pack(12) => bad argument #1 to 'pack' (invalid format option '1')
            struct.pack() => bad argument #1 to 'pack' (string expected, got no value)
            struct.pack({}) => bad argument #1 to 'pack' (string expected, got table)
            struct:pack('b', 1) => calling 'pack' on bad self (string expected, got table)
            ",
        );
        check_errors(
            r"
            struct.pack('c0c0', ('a'):rep(10000)) => bad argument #3 to 'pack' (string expected, got nil)
            struct.pack('i2147483647', 1) => integral size 2147483647 is larger than limit of 32
            ",
        );
        let lua = lua();
        assert_eq!(
            error(&lua, r"struct.pack('\t', 1)"),
            "user_script:1: bad argument #1 to 'pack' (invalid format option '\t')"
        );
    }

    #[test]
    fn unpack_integers() {
        check(
            r"
            struct.unpack('b', '\255') => n:-1 n:2
            struct.unpack('B', '\255') => n:255 n:2
            struct.unpack('<h', '\1\2') => n:513 n:3
            struct.unpack('>h', '\1\2') => n:258 n:3
            struct.unpack('>H', '\255\254') => n:65534 n:3
            struct.unpack('>h', '\255\254') => n:-2 n:3
            struct.unpack('<i3', '\255\255\255') => n:-1 n:4
            struct.unpack('<I3', '\255\255\255') => n:16777215 n:4
            struct.unpack('<i', '\255\255\255\127') => n:2147483647 n:5
            struct.unpack('<i', '\0\0\0\128') => n:-2147483648 n:5
            struct.unpack('<L', ('\255'):rep(8)) => n:1.8446744073709552e+19 n:9
            struct.unpack('<l', ('\255'):rep(8)) => n:-1 n:9
            struct.unpack('<l', '\1\0\0\0\0\0\0\128') => n:-9.2233720368547758e+18 n:9
            struct.unpack('<L', '\1\0\0\0\0\0\0\128') => n:9.2233720368547758e+18 n:9
            struct.unpack('<L', '\255\3\0\0\0\0\32\0') => n:9007199254742016 n:9
            struct.unpack('<T', '\1\0\0\0\0\0\0\0') => n:1 n:9
            struct.unpack('i0', '') => n:0 n:1
            struct.unpack('I0', '') => n:0 n:1
            struct.unpack('>I2', struct.pack('>I2', 0xbeef)) => n:48879 n:3
            struct.unpack('b', 5) => n:53 n:2
            struct.unpack('b\0b', 'ab') => n:97 n:2
            ",
        );
    }

    #[test]
    fn unpack_wide_integers() {
        // Only the last 64 bits read count; the sign bit past 8 bytes is Redis's (x86-64) one.
        check(
            r"
            struct.unpack('<i16', ('\255'):rep(16)) => n:-1 n:17
            struct.unpack('<I16', ('\255'):rep(16)) => n:1.8446744073709552e+19 n:17
            struct.unpack('<i16', ('\255'):rep(8) .. ('\0'):rep(8)) => n:-1 n:17
            struct.unpack('>i16', ('\0'):rep(8) .. ('\255'):rep(8)) => n:-1 n:17
            struct.unpack('>i9', '\0\0\0\0\0\0\0\0\128') => n:-128 n:10
            struct.unpack('>i9', '\0\0\0\0\0\0\0\0\127') => n:127 n:10
            struct.unpack('>i9', '\0\0\0\0\0\0\0\0\1') => n:1 n:10
            struct.unpack('<i9', '\128\0\0\0\0\0\0\0\0') => n:-128 n:10
            struct.unpack('<i9', '\0\1\0\0\0\0\0\0\0') => n:-128 n:10
            struct.unpack('<i9', '\1\0\0\0\0\0\0\0\255') => n:1 n:10
            struct.unpack('<i12', '\1\0\0\0\0\0\0\0\255\0\0\0') => n:1 n:13
            struct.unpack('<i12', '\1\0\0\0\0\0\0\128\255\0\0\0') => n:-2147483647 n:13
            struct.unpack('<i15', '\0\0\0\0\0\0\1\0\255\0\0\0\0\0\0') => n:281474976710656 n:16
            struct.unpack('<i32', ('\255'):rep(32)) => n:-1 n:33
            struct.unpack('<I9', ('\255'):rep(9)) => n:1.8446744073709552e+19 n:10
            ",
        );
    }

    #[test]
    fn unpack_floats() {
        check(
            r"
            struct.unpack('f', '\0\0\192\63') => n:1.5 n:5
            struct.unpack('>f', '\63\192\0\0') => n:1.5 n:5
            struct.unpack('<f', '\205\204\204\61') => n:0.10000000149011612 n:5
            struct.unpack('>f', '\127\128\0\0') => n:inf n:5
            struct.unpack('>d', '\64\4\0\0\0\0\0\0') => n:2.5 n:9
            struct.unpack('<d', '\0\0\0\0\0\0\248\63') => n:1.5 n:9
            struct.unpack('>d', '\128\0\0\0\0\0\0\0') => n:-0 n:9
            struct.unpack('<d>d', struct.pack('<d>d', 1.25, -3.5)) => n:1.25 n:-3.5 n:17
            ",
        );
        // Redis shows these NaNs as -nan, -nan and nan: widened to doubles, they keep their sign.
        check(
            r"
            struct.pack('>d', struct.unpack('>f', '\255\192\0\0')) => s:fff8000000000000
            struct.pack('>d', struct.unpack('>d', '\255\248\0\0\0\0\0\0')) => s:fff8000000000000
            struct.pack('>d', struct.unpack('>d', '\127\248\0\0\0\0\0\0')) => s:7ff8000000000000
            ",
        );
    }

    #[test]
    fn unpack_strings() {
        // An infinite c0 length converts to 0 on x86-64.
        check(
            r"
            struct.unpack('s', 'abc\0def') => s:616263 n:5
            struct.unpack('ss', 'a\0b\0') => s:61 s:62 n:5
            struct.unpack('s', '\0') => s: n:2
            struct.unpack('c3', 'abcdef') => s:616263 n:4
            struct.unpack('c', 'abc') => s:61 n:2
            struct.unpack('bc0', '\3abcd') => s:616263 n:5
            struct.unpack('c1c0', '3abcd') => s:616263 n:5
            struct.unpack('Bc0b', '\0\5') => s: n:5 n:3
            struct.unpack('bxc0', '\2\0ab') => s:6162 n:5
            struct.unpack('>d c0', '\64\5\153\153\153\153\153\154abc') => s:6162 n:11
            struct.unpack('>d c0', '\127\240\0\0\0\0\0\0abc') => s: n:9
            ",
        );
    }

    #[test]
    fn unpack_positions_and_alignment() {
        // Starts are C size_t values: a negative one wraps around and comes back unchanged.
        check(
            r"
            struct.unpack('b', 'abc', 2) => n:98 n:3
            struct.unpack('b', 'abc', 3) => n:99 n:4
            struct.unpack('', 'abc', -5) => n:-5
            struct.unpack('', 'abc', 10) => n:10
            struct.unpack('<', 'abc', 4) => n:4
            struct.unpack('b', 'abc', 2.9) => n:98 n:3
            struct.unpack('b', 'abc', '2') => n:98 n:3
            struct.unpack('b', 'abc', nil) => n:97 n:2
            struct.unpack('', 'abc', 1e30) => n:-9.2233720368547758e+18
            struct.unpack('', 'abc', -1e30) => n:-9.2233720368547758e+18
            struct.unpack('', 'abc', 0/0) => n:-9.2233720368547758e+18
            struct.unpack('', 'abc', 2^53) => n:9007199254740992
            struct.unpack('!4 bi', '\1\0\0\0\2\0\0\0') => n:1 n:2 n:9
            struct.unpack('!8 b d', '\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\64') => n:1 n:2 n:17
            struct.unpack('x b', '\1\2') => n:2 n:3
            ",
        );
    }

    #[test]
    fn unpack_errors() {
        check_errors(
            r"
            struct.unpack('s', 'abc') => unfinished string in data
            struct.unpack('ss', 'a\0b') => unfinished string in data
            struct.unpack('c0', 'abc') => format 'c0' needs a previous size
            struct.unpack('c1c0', 'xabcd') => format 'c0' needs a previous size
            struct.unpack('b', 'abc', 0) => bad argument #3 to 'unpack' (offset must be 1 or greater)
            struct.unpack('b', 'abc', -0.5) => bad argument #3 to 'unpack' (offset must be 1 or greater)
            struct.unpack('b', 'abc', 'x') => bad argument #3 to 'unpack' (number expected, got string)
            struct.unpack('b', 'abc', {}) => bad argument #3 to 'unpack' (number expected, got table)
            struct.unpack('z', 'abc') => bad argument #1 to 'unpack' (invalid format option 'z')
            struct.unpack('b z', '\1') => bad argument #1 to 'unpack' (invalid format option 'z')
            struct.unpack('b2', '\1\2') => bad argument #1 to 'unpack' (invalid format option '2')
            struct.unpack('i33', 'abc') => integral size 33 is larger than limit of 32
            struct.unpack('!3', 'abc') => alignment 3 is not a power of 2
            struct.unpack() => bad argument #1 to 'unpack' (string expected, got no value)
            struct.unpack('b') => bad argument #2 to 'unpack' (string expected, got no value)
            struct.unpack(5, 'abc') => bad argument #1 to 'unpack' (invalid format option '5')
            struct.unpack('b', {}) => bad argument #2 to 'unpack' (string expected, got table)
            struct:unpack('b', 'x') => calling 'unpack' on bad self (string expected, got table)
            ",
        );
        // All of these run out of data: lengths (c0 from -1, NaN, NaN, 2^63), starts, alignment.
        let short = "bad argument #2 to 'unpack' (data string too short)";
        let lua = lua();
        for code in [
            r"struct.unpack('c4', 'abc')",
            r"struct.unpack('bc0', '\9abc')",
            r"struct.unpack('>d c0', '\191\240\0\0\0\0\0\0abc')",
            r"struct.unpack('>d c0', '\255\248\0\0\0\0\0\0abc')",
            r"struct.unpack('>d c0', '\127\248\0\0\0\0\0\0abc')",
            r"struct.unpack('>d c0', '\67\224\0\0\0\0\0\0abc')",
            r"struct.unpack('b', 'abc', 4)",
            r"struct.unpack('b', 'abc', -1)",
            r"struct.unpack('<', 'abc', 10)",
            r"struct.unpack('!4 bi', '\1\0\0\0\2\0\0')",
            r"struct.unpack('!4 bi', '\1\0\0')",
            r"struct.unpack('!4 i', 'x\1\0\0\0', 2)",
            r"struct.unpack('!4 i', 'xxx\1\0\0\0', 4)",
            r"struct.unpack('b', '')",
            r"struct.unpack('i4', 'abc')",
            r"struct.unpack('bb', 'a\0b', 3)",
        ] {
            assert_eq!(
                error(&lua, code),
                format!("user_script:1: {short}"),
                "{code}"
            );
        }
    }

    #[test]
    fn unpack_result_limit() {
        // A C function gets 8000 stack slots: its arguments, its results and 2 spare.
        check(
            r"
            select('#', struct.unpack(('b'):rep(7000), ('a'):rep(8000))) => n:7001
            select('#', struct.unpack(('x'):rep(9000), ('a'):rep(9000))) => n:1
            ",
        );
        check_errors(
            r"
            struct.unpack(('b'):rep(7998), ('a'):rep(8000)) => stack overflow (too many results)
            struct.unpack(('b'):rep(7997), ('a'):rep(8000), 1) => stack overflow (too many results)
            struct.unpack(('b'):rep(7996), ('a'):rep(8000), 1, 2) => stack overflow (too many results)
            ",
        );
    }

    #[test]
    fn size() {
        // Letters and digits that are no option count for nothing here.
        check(
            r"
            struct.size('b') => n:1
            struct.size('h') => n:2
            struct.size('l') => n:8
            struct.size('T') => n:8
            struct.size('i') => n:4
            struct.size('i7') => n:7
            struct.size('f') => n:4
            struct.size('d') => n:8
            struct.size('x') => n:1
            struct.size('c') => n:1
            struct.size('c10') => n:10
            struct.size('!4 b i') => n:8
            struct.size('!bd') => n:16
            struct.size('bd') => n:9
            struct.size('!4 b i3') => n:6
            struct.size('!8 b i5 b i6') => n:22
            struct.size('<>') => n:0
            struct.size('') => n:0
            struct.size('z') => n:0
            struct.size('Q') => n:0
            struct.size('b2') => n:1
            struct.size(12) => n:0
            struct.size('b\0b') => n:1
            ",
        );
        check_errors(
            r"
            struct.size('s') => bad argument #1 to 'size' (option 's' has no fixed size)
            struct.size('bs') => bad argument #1 to 'size' (option 's' has no fixed size)
            struct.size('c0') => bad argument #1 to 'size' (option 'c0' has no fixed size)
            struct.size('#') => bad argument #1 to 'size' (invalid format option '#')
            struct.size('b#') => bad argument #1 to 'size' (invalid format option '#')
            struct.size('_') => bad argument #1 to 'size' (invalid format option '_')
            struct.size(1.5) => bad argument #1 to 'size' (invalid format option '.')
            struct.size('!3') => alignment 3 is not a power of 2
            struct.size('!0') => alignment 0 is not a power of 2
            struct.size('i33') => integral size 33 is larger than limit of 32
            struct.size('i99999999999') => integral size overflow
            struct.size() => bad argument #1 to 'size' (string expected, got no value)
            struct.size({}) => bad argument #1 to 'size' (string expected, got table)
            struct:size('b') => calling 'size' on bad self (string expected, got table)
            ",
        );
    }

    #[test]
    fn round_trip() {
        let format = "'!4 <b B h H i I l L T f d s c3 x >i3 I5'";
        let values = "-5, 250, -300, 60000, -70000, 70000, -2^40, 2^40, 12345, 0.5, 1/3, \
                      'zero', 'xyz', -3, 2^33";
        let packed = format!("struct.pack({format}, {values})");
        let lua = lua();
        assert_eq!(
            eval(&lua, &packed),
            "s:fbfad4fe60ea000090eefeff701101000000000000ffffff000000000001000039300000\
             000000000000003f555555555555d53f7a65726f0078797a000000fffffd00000200000000"
        );
        assert_eq!(
            eval(&lua, &format!("struct.unpack({format}, {packed})")),
            "n:-5 n:250 n:-300 n:60000 n:-70000 n:70000 n:-1099511627776 n:1099511627776 \
             n:12345 n:0.5 n:0.33333333333333331 s:7a65726f s:78797a n:-3 n:8589934592 n:74"
        );
    }
}
