//! The `bit` library that Redis preloads into its Lua 5.1 interpreter (Mike Pall's LuaBitOp 1.0.2),
//! ported to Rust on top of mlua because no crate provides it and Redis's C source is only a
//! snapshot we must not copy. Behaviour follows Redis 7.0.15 exactly: arguments are coerced like
//! `lua_tonumber` does (numeric strings included), reduced to 32 bits by adding 2^52 + 2^51 to the
//! double and keeping the low word of its representation (so fractions round half to even and
//! huge values wrap), and every result is handed back as a signed 32-bit number. Errors carry the
//! text the C library raises, position prefix included (`user_script:1: bad argument #1 to
//! 'tobit' (number expected, got nil)`).

use mlua::{Lua, MultiValue, Result, Value};

use super::lua_error::{arg_error, type_name};

/// A library function: receives the Lua state and the call's arguments, exactly as passed.
type BitFn = fn(&Lua, &MultiValue) -> Result<Value>;

/// The functions of the `bit` table, by the names scripts call them.
const FUNCTIONS: [(&str, BitFn); 12] = [
    ("tobit", tobit),
    ("bnot", bnot),
    ("band", band),
    ("bor", bor),
    ("bxor", bxor),
    ("lshift", lshift),
    ("rshift", rshift),
    ("arshift", arshift),
    ("rol", rol),
    ("ror", ror),
    ("bswap", bswap),
    ("tohex", tohex),
];

/// Creates the global `bit` table holding the library's functions, as Redis does when it sets
/// up its Lua interpreter.
pub fn register(lua: &Lua) -> Result<()> {
    let bit = lua.create_table()?;
    for (name, function) in FUNCTIONS {
        let function = lua.create_function(move |lua, args: MultiValue| function(lua, &args))?;
        bit.set(name, function)?;
    }
    lua.globals().set("bit", bit)
}

fn tobit(lua: &Lua, args: &MultiValue) -> Result<Value> {
    Ok(result(bit_arg(lua, args, 1)?))
}

fn bnot(lua: &Lua, args: &MultiValue) -> Result<Value> {
    Ok(result(!bit_arg(lua, args, 1)?))
}

fn band(lua: &Lua, args: &MultiValue) -> Result<Value> {
    fold(lua, args, |a, b| a & b)
}

fn bor(lua: &Lua, args: &MultiValue) -> Result<Value> {
    fold(lua, args, |a, b| a | b)
}

fn bxor(lua: &Lua, args: &MultiValue) -> Result<Value> {
    fold(lua, args, |a, b| a ^ b)
}

fn lshift(lua: &Lua, args: &MultiValue) -> Result<Value> {
    shift(lua, args, |b, n| b << n)
}

fn rshift(lua: &Lua, args: &MultiValue) -> Result<Value> {
    shift(lua, args, |b, n| b >> n)
}

fn arshift(lua: &Lua, args: &MultiValue) -> Result<Value> {
    shift(lua, args, |b, n| ((b as i32) >> n) as u32)
}

fn rol(lua: &Lua, args: &MultiValue) -> Result<Value> {
    shift(lua, args, u32::rotate_left)
}

fn ror(lua: &Lua, args: &MultiValue) -> Result<Value> {
    shift(lua, args, u32::rotate_right)
}

fn bswap(lua: &Lua, args: &MultiValue) -> Result<Value> {
    Ok(result(bit_arg(lua, args, 1)?.swap_bytes()))
}

/// `bit.tohex(x [, n])`: the low `|n|` hex digits of `x` (8 by default, at most 8), in upper case
/// when `n` is negative. Only an absent `n` means the default; an explicit nil is an error.
fn tohex(lua: &Lua, args: &MultiValue) -> Result<Value> {
    let value = bit_arg(lua, args, 1)?;
    let count = if args.len() < 2 {
        8
    } else {
        bit_arg(lua, args, 2)? as i32
    };
    // |i32::MIN| does not fit; LuaBitOp clamps it first, which still ends up upper case, 8 digits.
    let digits = count.max(i32::MIN + 1).unsigned_abs().min(8) as usize;
    let hex = if count < 0 {
        format!("{value:08X}")
    } else {
        format!("{value:08x}")
    };
    Ok(Value::String(lua.create_string(&hex[8 - digits..])?))
}

/// `band`/`bor`/`bxor`: the first argument combined with every other one. The others are read
/// from the last to the second, which decides which bad argument gets reported.
fn fold(lua: &Lua, args: &MultiValue, op: fn(u32, u32) -> u32) -> Result<Value> {
    let mut acc = bit_arg(lua, args, 1)?;
    for position in (2..=args.len()).rev() {
        acc = op(acc, bit_arg(lua, args, position)?);
    }
    Ok(result(acc))
}

/// Shifts and rotations: the count is the second argument's low five bits.
fn shift(lua: &Lua, args: &MultiValue, op: fn(u32, u32) -> u32) -> Result<Value> {
    let value = bit_arg(lua, args, 1)?;
    let count = bit_arg(lua, args, 2)? & 31;
    Ok(result(op(value, count)))
}

/// The argument at 1-based `position` as 32 bits, or the "number expected" error.
fn bit_arg(lua: &Lua, args: &MultiValue, position: usize) -> Result<u32> {
    let arg = args.get(position - 1);
    match to_number(lua, arg)? {
        Some(n) => Ok(to_bits(n)),
        None => Err(arg_error(
            lua,
            position,
            format!("number expected, got {}", type_name(arg)),
        )),
    }
}

/// Reduces a double to 32 bits the way LuaBitOp does: adding 2^52 + 2^51 moves the integer part
/// (rounded to nearest even) into the low bits of the mantissa, whose low word is the result.
/// Infinities and NaN have an all-zero low word and so give 0.
fn to_bits(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

/// A result as Lua sees it: the 32 bits read as a signed integer, as a number.
fn result(bits: u32) -> Value {
    Value::Number(f64::from(bits as i32))
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

#[cfg(test)]
mod tests {
    use mlua::{Error, Lua};

    fn lua() -> Lua {
        crate::script::test_lua(super::register)
    }

    /// `tostring` of the expression's value (Lua 5.1 prints numbers with "%.14g").
    fn eval(lua: &Lua, expr: &str) -> String {
        lua.load(format!("return tostring({expr})"))
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

    /// The `code => expected` lines of a table of cases; `''` stands for the empty string.
    fn cases(table: &str) -> impl Iterator<Item = (&str, &str)> {
        table
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let (code, expected) = line.split_once(" => ").expect("code => expected");
                match expected.trim() {
                    "''" => (code.trim(), ""),
                    expected => (code.trim(), expected),
                }
            })
    }

    /// `tostring` of each expression is as expected.
    fn check(table: &str) {
        let lua = lua();
        for (expr, expected) in cases(table) {
            assert_eq!(eval(&lua, expr), expected, "{expr}");
        }
    }

    // Expected values below were produced by redis-server 7.0.15.

    #[test]
    fn tobit_normalizes_like_luabitop() {
        check(
            r"
            bit.tobit(1) => 1
            bit.tobit(0xffffffff) => -1
            bit.tobit(2^31) => -2147483648
            bit.tobit(2^32+1) => 1
            bit.tobit(-1) => -1
            bit.tobit(1.5) => 2
            bit.tobit(2.5) => 2
            bit.tobit(-1.5) => -2
            bit.tobit(0.5) => 0
            bit.tobit(-0.5) => 0
            bit.tobit(2^52) => 0
            bit.tobit(2^52+1) => 0
            bit.tobit(2^53+3) => 2
            bit.tobit(1e300) => -2013235812
            bit.tobit(-1e300) => -2013235812
            bit.tobit(1/0) => 0
            bit.tobit(-1/0) => 0
            bit.tobit(0/0) => 0
            bit.tobit(1437217655) => 1437217655
            bit.tobit(1, 'ignored') => 1
            type(bit.band(1, 2)) => number
            select('#', bit.band(1, 2)) => 1
            ",
        );
    }

    #[test]
    fn numeric_strings_are_accepted() {
        check(
            r"
            bit.tobit('10') => 10
            bit.tobit('0x10') => 16
            bit.tobit(' 12 ') => 12
            bit.tobit('1e3') => 1000
            bit.tobit('0') => 0
            bit.tohex(255, '3') => 0ff
            ",
        );
    }

    #[test]
    fn logical_operations() {
        check(
            r"
            bit.bnot(0) => -1
            bit.bnot(-1) => 0
            bit.bnot(0x12345678) => -305419897
            bit.band(1) => 1
            bit.band(0xff, 0x0f, 0x3) => 3
            bit.band(-1, 2^32 + 5) => 5
            bit.bor(1, 2, 4, 8, 16, 32, 64, 128) => 255
            bit.bor(0x80000000, 1) => -2147483647
            bit.bxor(1, 2) => 3
            bit.bxor(-1, 0x0f) => -16
            bit.bxor(5, 5, 5) => 5
            ",
        );
    }

    #[test]
    fn shifts_and_rotations() {
        check(
            r"
            bit.lshift(1, 0) => 1
            bit.lshift(1, 31) => -2147483648
            bit.lshift(1, 32) => 1
            bit.lshift(1, 33) => 2
            bit.lshift(1, -1) => -2147483648
            bit.lshift(0x12345678, 4) => 591751040
            bit.rshift(-1, 1) => 2147483647
            bit.rshift(0x80000000, 31) => 1
            bit.rshift(256, 4) => 16
            bit.rshift(-1, 32) => -1
            bit.arshift(-256, 4) => -16
            bit.arshift(0x80000000, 31) => -1
            bit.arshift(-1, 0) => -1
            bit.arshift(0x7fffffff, 33) => 1073741823
            bit.rol(0x12345678, 12) => 1164411171
            bit.rol(0x12345678, 0) => 305419896
            bit.rol(0x12345678, 32) => 305419896
            bit.rol(0x87654321, 4) => 1985229336
            bit.ror(0x12345678, 12) => 1736516421
            bit.ror(1, 1) => -2147483648
            bit.ror(0x12345678, 0) => 305419896
            bit.ror(0x12345678, -4) => 591751041
            bit.bswap(0x12345678) => 2018915346
            bit.bswap(-1) => -1
            bit.bswap(0xff) => -16777216
            bit.bswap(0x80) => -2147483648
            ",
        );
    }

    #[test]
    fn tohex() {
        // -2^31 is the suite's "lua bit.tohex bug" case.
        check(
            r"
            bit.tohex(65535, -4) => FFFF
            bit.tohex(-1) => ffffffff
            bit.tohex(1) => 00000001
            bit.tohex(255, 2) => ff
            bit.tohex(0x12345678, 4) => 5678
            bit.tohex(0x12345678, 0) => ''
            bit.tohex(0x12345678, 9) => 12345678
            bit.tohex(0xabcdef, -9) => 00ABCDEF
            bit.tohex(0xabcdef, -8) => 00ABCDEF
            bit.tohex(65535, -2147483648) => 0000FFFF
            bit.tohex(65535, 2^31) => 0000FFFF
            bit.tohex(65535, 2^32) => ''
            bit.tohex(65535, 2^32 - 3) => FFF
            bit.tohex(2^40 + 0xabc) => 00000abc
            bit.tohex(-0.4) => 00000000
            ",
        );
    }

    /// The suite's "Verify minimal bitop functionality" and "Numerical sanity check" scripts.
    #[test]
    fn redis_suite_sanity_checks() {
        let lua = lua();
        lua.load(
            "assert(bit.tobit(1) == 1)
             assert(bit.band(1) == 1)
             assert(bit.bxor(1,2) == 3)
             assert(bit.bor(1,2,4,8,16,32,64,128) == 255)
             assert(0x7fffffff == 2147483647)
             assert(0xffffffff == -1 or 0xffffffff == 2^32-1)
             assert(tostring(-1) == '-1')
             assert(tostring(0xffffffff) == '-1' or tostring(0xffffffff) == '4294967295')",
        )
        .exec()
        .unwrap();
        assert_eq!(eval(&lua, "bit.tohex(65535, -2147483648)"), "0000FFFF");
    }

    #[test]
    fn argument_errors() {
        // The arguments after the first are read from the last one down.
        let lua = lua();
        for (code, expected) in cases(
            r"
            bit.tobit('abc') => bad argument #1 to 'tobit' (number expected, got string)
            bit.tobit(nil) => bad argument #1 to 'tobit' (number expected, got nil)
            bit.tobit() => bad argument #1 to 'tobit' (number expected, got no value)
            bit.tobit({}) => bad argument #1 to 'tobit' (number expected, got table)
            bit.tobit(true) => bad argument #1 to 'tobit' (number expected, got boolean)
            bit.bnot() => bad argument #1 to 'bnot' (number expected, got no value)
            bit.band() => bad argument #1 to 'band' (number expected, got no value)
            bit.band(1, 'x') => bad argument #2 to 'band' (number expected, got string)
            bit.band(1, 'x', 'y') => bad argument #3 to 'band' (number expected, got string)
            bit.band(0, 'x') => bad argument #2 to 'band' (number expected, got string)
            bit.band(1, bit) => bad argument #2 to 'band' (number expected, got table)
            bit.bor('x', 1) => bad argument #1 to 'bor' (number expected, got string)
            bit.lshift(1) => bad argument #2 to 'lshift' (number expected, got no value)
            bit.lshift(nil, 1) => bad argument #1 to 'lshift' (number expected, got nil)
            bit.bswap() => bad argument #1 to 'bswap' (number expected, got no value)
            bit.tohex(255, nil) => bad argument #2 to 'tohex' (number expected, got nil)
            bit.tohex(255, 'z') => bad argument #2 to 'tohex' (number expected, got string)
            bit.tohex() => bad argument #1 to 'tohex' (number expected, got no value)
            bit.tohex('ff') => bad argument #1 to 'tohex' (number expected, got string)
            bit:tobit() => calling 'tobit' on bad self (number expected, got table)
            bit:band(1) => calling 'band' on bad self (number expected, got table)
            ",
        ) {
            let expected = format!("user_script:1: {expected}");
            assert_eq!(error(&lua, code), expected, "{code}");
        }
    }

    #[test]
    fn error_names_follow_the_call_site() {
        let lua = lua();
        assert_eq!(
            error(&lua, "local f = bit.tobit\nreturn f('x')"),
            "user_script:2: bad argument #1 to 'f' (number expected, got string)"
        );
        // Called from C (here: from Rust) there is neither a name nor a position.
        let tobit: mlua::Function = lua.load("bit.tobit").eval().unwrap();
        let mut err = tobit.call::<()>(()).unwrap_err();
        while let Error::CallbackError { cause, .. } = err {
            err = (*cause).clone();
        }
        assert_eq!(
            err.to_string(),
            "runtime error: bad argument #1 to '?' (number expected, got no value)"
        );
    }
}
