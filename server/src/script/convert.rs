//! The conversions between Redis replies and Lua values, by Redis 7.0's rules.
//!
//! A command run by `redis.call` replies in RESP (2 or 3, as the script chose with
//! `redis.setresp`); [`reply_to_lua`] reads those bytes into Lua values the way Redis does
//! (status → `{ok=…}`, error → `{err=…}`, null → `false` in RESP2 and `nil` in RESP3, map →
//! `{map=…}`, …). A script's return value goes the other way through [`write_lua_value`] into the
//! caller's reply, in the caller's protocol.

use mlua::{Lua, Table, Value};

use crate::protocol::reply::Reply;

/// Lua stack slots a reply's nesting may take before the stack-limit error. Redis stops where
/// its Lua stack does (a self-referencing array after 7995 levels); this walk holds a Lua
/// reference per level and mlua keeps about 8000 at once, so it stops earlier, with the same
/// error.
const MAX_STACK_SLOTS: usize = 3000;

/// Reads one RESP reply from the start of `bytes` into a Lua value.
pub fn reply_to_lua(lua: &Lua, keys: &ReplyKeys, bytes: &[u8]) -> mlua::Result<Value> {
    let mut parser = ReplyParser { bytes, at: 0, keys };
    parser.value(lua)
}

/// The field names of the reply tables met on every command (`err`, `ok`), made once per
/// interpreter: a key made at each use is hashed into Lua's string table each time.
pub struct ReplyKeys {
    err: mlua::LuaString,
    ok: mlua::LuaString,
}

impl ReplyKeys {
    pub fn new(lua: &Lua) -> mlua::Result<ReplyKeys> {
        Ok(ReplyKeys {
            err: lua.create_string("err")?,
            ok: lua.create_string("ok")?,
        })
    }
}

/// A cursor over reply bytes the server itself encoded, so well-formed; a short or odd reply
/// reads as `nil` rather than failing the script.
struct ReplyParser<'a> {
    bytes: &'a [u8],
    at: usize,
    keys: &'a ReplyKeys,
}

impl ReplyParser<'_> {
    /// The rest of the current line, without its `\r\n`.
    fn line(&mut self) -> &[u8] {
        let rest = &self.bytes[self.at.min(self.bytes.len())..];
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(rest.len());
        self.at += end + 2;
        &rest[..end]
    }

    fn number(&mut self) -> i64 {
        crate::util::parse_i64(self.line()).unwrap_or(0)
    }

    fn blob(&mut self, len: usize) -> &[u8] {
        let start = self.at.min(self.bytes.len());
        let end = (start + len).min(self.bytes.len());
        self.at = end + 2;
        &self.bytes[start..end]
    }

    fn value(&mut self, lua: &Lua) -> mlua::Result<Value> {
        let Some(&kind) = self.bytes.get(self.at) else {
            return Ok(Value::Nil);
        };
        self.at += 1;
        Ok(match kind {
            b':' => Value::Number(self.number() as f64),
            b'$' => {
                let len = self.number();
                if len < 0 {
                    Value::Boolean(false)
                } else {
                    Value::String(lua.create_string(self.blob(len as usize))?)
                }
            }
            b'+' => {
                let table = lua.create_table()?;
                let status = lua.create_string(self.line())?;
                table.raw_set(&self.keys.ok, status)?;
                Value::Table(table)
            }
            b'-' => {
                let mut text = b"-".to_vec();
                text.extend_from_slice(self.line());
                let table = error_table(lua, &text)?;
                // The command's error was counted when it ran.
                table.raw_set("ignore_error_stats_update", true)?;
                Value::Table(table)
            }
            b'*' | b'>' => {
                let len = self.number();
                if len < 0 {
                    return Ok(Value::Boolean(false));
                }
                let table = lua.create_table_with_capacity(len as usize, 0)?;
                for i in 0..len {
                    table.raw_set(i + 1, self.value(lua)?)?;
                }
                Value::Table(table)
            }
            b'%' => {
                let len = self.number();
                let map = lua.create_table()?;
                for _ in 0..len {
                    let key = self.value(lua)?;
                    let value = self.value(lua)?;
                    if key != Value::Nil {
                        map.raw_set(key, value)?;
                    }
                }
                let table = lua.create_table()?;
                table.raw_set("map", map)?;
                Value::Table(table)
            }
            b'~' => {
                let len = self.number();
                let set = lua.create_table()?;
                for _ in 0..len {
                    let member = self.value(lua)?;
                    if member != Value::Nil {
                        set.raw_set(member, true)?;
                    }
                }
                let table = lua.create_table()?;
                table.raw_set("set", set)?;
                Value::Table(table)
            }
            b'|' => {
                // Attributes are not shown to scripts: skipped, then the reply they describe.
                let len = self.number();
                for _ in 0..len * 2 {
                    self.value(lua)?;
                }
                self.value(lua)?
            }
            b'_' => {
                self.line();
                Value::Nil
            }
            b'#' => Value::Boolean(self.line() == b"t"),
            b',' => {
                let text = self.line();
                let number = parse_double(text);
                let table = lua.create_table()?;
                table.raw_set("double", number)?;
                Value::Table(table)
            }
            b'(' => {
                let table = lua.create_table()?;
                table.raw_set("big_number", lua.create_string(self.line())?)?;
                Value::Table(table)
            }
            b'=' => {
                let len = self.number().max(0) as usize;
                let body = self.blob(len);
                let (format, text) = if body.len() >= 4 {
                    (&body[..3], &body[4..])
                } else {
                    (&b"txt"[..], body)
                };
                let verbatim = lua.create_table()?;
                verbatim.raw_set("string", lua.create_string(text)?)?;
                verbatim.raw_set("format", lua.create_string(format)?)?;
                let table = lua.create_table()?;
                table.raw_set("verbatim_string", verbatim)?;
                Value::Table(table)
            }
            _ => Value::Nil,
        })
    }
}

fn parse_double(text: &[u8]) -> f64 {
    match text {
        b"inf" => f64::INFINITY,
        b"-inf" => f64::NEG_INFINITY,
        _ => std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(f64::NAN),
    }
}

/// Redis's error table for an error text: `{err = "CODE message"}`. A text that starts with
/// `-` carries its own code (the first word); any other text gets `ERR`. Trailing line breaks
/// go.
pub fn error_table(lua: &Lua, text: &[u8]) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    table.raw_set("err", lua.create_string(error_text(text))?)?;
    Ok(table)
}

/// The `err` field's text for an error message, as [`error_table`] describes.
pub fn error_text(text: &[u8]) -> Vec<u8> {
    let (code, message) = match text.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(space) => (&rest[..space], &rest[space + 1..]),
            None => (&b"ERR"[..], rest),
        },
        None => (&b"ERR"[..], text),
    };
    let message = trim_line_breaks(message);
    let mut out = Vec::with_capacity(code.len() + 1 + message.len());
    out.extend_from_slice(code);
    out.push(b' ');
    out.extend_from_slice(message);
    out
}

/// `sdstrim(s, "\r\n")`: line breaks off both ends.
fn trim_line_breaks(mut text: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = text {
        text = rest;
    }
    while let [rest @ .., b'\r' | b'\n'] = text {
        text = rest;
    }
    text
}

/// An error written into a script's reply: its text, and whether it is counted in the error
/// statistics (an error a command already counted is not counted twice).
pub struct WrittenError {
    pub text: String,
    pub counted: bool,
}

/// Writes a Lua value as Redis replies to a script's caller (`luaReplyToRedisReply`): strings as
/// bulk strings, numbers truncated to integers, booleans as `:1`/null under RESP2 scripts and as
/// booleans under RESP3 ones, tables as errors (`err`), statuses (`ok`), doubles, big numbers,
/// verbatim strings, maps, sets, or arrays up to the first `nil`; anything else as null.
/// `resp3_script` is what the script chose with `redis.setresp`. Errors written are handed to
/// `on_error` for the statistics.
///
/// The walk keeps its own stack of the aggregates it is inside rather than recursing, so a deep
/// (or self-referencing) table costs neither native stack nor more than a few Lua references
/// per level; it stops where Redis's Lua stack would.
pub fn write_lua_value(
    lua: &Lua,
    keys: &ReplyKeys,
    reply: &mut Reply,
    value: Value,
    resp3_script: bool,
    on_error: &mut dyn FnMut(WrittenError),
) -> mlua::Result<()> {
    let mut walk = Walk {
        keys,
        reply,
        resp3_script,
        on_error,
        frames: Vec::new(),
        next: None,
    };
    walk.write(lua, value, 0)?;
    while let Some(frame) = walk.frames.last_mut() {
        let slots = frame.slots;
        let item = match &mut frame.kind {
            FrameKind::Array { table, next, len } => {
                if *next > *len {
                    None
                } else {
                    *next += 1;
                    Some(table.raw_get::<Value>(*next - 1)?)
                }
            }
            FrameKind::Map { table, key, value } => match value.take() {
                Some(v) => Some(v),
                None => {
                    let (k, v) = next_pair(lua, &mut walk.next, table, key)?;
                    if k == Value::Nil {
                        None
                    } else {
                        *key = k.clone();
                        *value = Some(v);
                        Some(k)
                    }
                }
            },
            FrameKind::Set { table, key } => {
                let (k, _) = next_pair(lua, &mut walk.next, table, key)?;
                if k == Value::Nil {
                    None
                } else {
                    *key = k.clone();
                    Some(k)
                }
            }
        };
        match item {
            Some(item) => walk.write(lua, item, slots)?,
            None => {
                walk.frames.pop();
            }
        }
    }
    Ok(())
}

/// The pair after `key` in `table` (Lua's `next`, so a walk can resume where it stopped).
fn next_pair(
    lua: &Lua,
    next: &mut Option<mlua::Function>,
    table: &Table,
    key: &Value,
) -> mlua::Result<(Value, Value)> {
    if next.is_none() {
        *next = Some(lua.globals().raw_get("next")?);
    }
    next.as_ref()
        .expect("set above")
        .call((table.clone(), key.clone()))
}

struct Walk<'a> {
    keys: &'a ReplyKeys,
    reply: &'a mut Reply,
    resp3_script: bool,
    on_error: &'a mut dyn FnMut(WrittenError),
    /// The aggregates being written, innermost last, with the Lua stack slots their nesting
    /// takes.
    frames: Vec<Frame>,
    next: Option<mlua::Function>,
}

struct Frame {
    kind: FrameKind,
    slots: usize,
}

enum FrameKind {
    Array {
        table: Table,
        next: usize,
        len: usize,
    },
    Map {
        table: Table,
        key: Value,
        value: Option<Value>,
    },
    Set {
        table: Table,
        key: Value,
    },
}

impl Walk<'_> {
    fn error(&mut self, text: String, counted: bool) {
        self.reply.error(&text);
        (self.on_error)(WrittenError { text, counted });
    }

    /// Writes a value at `slots` of nesting: a scalar or special table at once, an aggregate's
    /// header with a frame for its elements.
    fn write(&mut self, _lua: &Lua, value: Value, slots: usize) -> mlua::Result<()> {
        if slots >= MAX_STACK_SLOTS {
            self.error("ERR reached lua stack limit".to_string(), true);
            return Ok(());
        }
        let table = match value {
            Value::String(s) => {
                self.reply.bulk(&s.as_bytes());
                return Ok(());
            }
            Value::Boolean(b) => {
                if self.resp3_script {
                    self.reply.boolean(b);
                } else if b {
                    self.reply.int(1);
                } else {
                    self.reply.null();
                }
                return Ok(());
            }
            Value::Integer(i) => {
                self.reply.int(i);
                return Ok(());
            }
            Value::Number(n) => {
                self.reply.int(n as i64);
                return Ok(());
            }
            Value::Table(table) => table,
            _ => {
                self.reply.null();
                return Ok(());
            }
        };
        if let Value::String(err) = table.raw_get::<Value>(&self.keys.err)? {
            let text = String::from_utf8_lossy(&err.as_bytes()).into_owned();
            let counted = !matches!(
                table.raw_get::<Value>("ignore_error_stats_update")?,
                Value::Boolean(true)
            );
            self.error(text, counted);
            return Ok(());
        }
        if let Value::String(ok) = table.raw_get::<Value>(&self.keys.ok)? {
            self.reply.simple(&ok.as_bytes());
            return Ok(());
        }
        match table.raw_get::<Value>("double")? {
            Value::Number(n) => {
                self.reply.double(n);
                return Ok(());
            }
            Value::Integer(i) => {
                self.reply.double(i as f64);
                return Ok(());
            }
            _ => {}
        }
        if let Value::String(digits) = table.raw_get::<Value>("big_number")? {
            let digits: Vec<u8> = digits
                .as_bytes()
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect();
            self.reply.big_number(&digits);
            return Ok(());
        }
        if let Value::Table(verbatim) = table.raw_get::<Value>("verbatim_string")?
            && let Value::String(format) = verbatim.raw_get::<Value>("format")?
            && let Value::String(text) = verbatim.raw_get::<Value>("string")?
        {
            let format = format.as_bytes();
            let mut tag = *b"txt";
            for (slot, byte) in tag.iter_mut().zip(format.iter()) {
                *slot = *byte;
            }
            self.reply.verbatim_as(&tag, &text.as_bytes());
            return Ok(());
        }
        // A map or set walk holds the table and a key on the Lua stack; an array, the table.
        if let Value::Table(map) = table.raw_get::<Value>("map")? {
            let pairs = map.pairs::<Value, Value>().count();
            self.reply.map(pairs);
            self.frames.push(Frame {
                kind: FrameKind::Map {
                    table: map,
                    key: Value::Nil,
                    value: None,
                },
                slots: slots + 2,
            });
            return Ok(());
        }
        if let Value::Table(set) = table.raw_get::<Value>("set")? {
            let members = set.pairs::<Value, Value>().count();
            self.reply.set(members);
            self.frames.push(Frame {
                kind: FrameKind::Set {
                    table: set,
                    key: Value::Nil,
                },
                slots: slots + 2,
            });
            return Ok(());
        }
        let mut len = 0;
        while table.raw_get::<Value>(len + 1)? != Value::Nil {
            len += 1;
        }
        self.reply.array(len);
        self.frames.push(Frame {
            kind: FrameKind::Array {
                table,
                next: 1,
                len,
            },
            slots: slots + 1,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::reply::Protocol;

    fn lua() -> Lua {
        Lua::new_with(
            mlua::StdLib::TABLE | mlua::StdLib::STRING,
            Default::default(),
        )
        .unwrap()
    }

    /// Reads `resp` into Lua, then renders the value with a small Lua printer.
    fn read(resp: &[u8]) -> String {
        let lua = lua();
        let keys = ReplyKeys::new(&lua).unwrap();
        let value = reply_to_lua(&lua, &keys, resp).unwrap();
        let show: mlua::Function = lua
            .load(
                r#"
                local function show(v)
                  if type(v) ~= 'table' then return type(v) .. ':' .. tostring(v) end
                  local keys = {}
                  for k in pairs(v) do keys[#keys + 1] = k end
                  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
                  local out = {}
                  for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. '=' .. show(v[k]) end
                  return '{' .. table.concat(out, ',') .. '}'
                end
                return show
                "#,
            )
            .eval()
            .unwrap();
        show.call(value).unwrap()
    }

    #[test]
    fn replies_read_into_lua_as_redis_reads_them() {
        assert_eq!(read(b":42\r\n"), "number:42");
        assert_eq!(read(b"$3\r\nabc\r\n"), "string:abc");
        assert_eq!(read(b"$-1\r\n"), "boolean:false");
        assert_eq!(read(b"*-1\r\n"), "boolean:false");
        assert_eq!(read(b"_\r\n"), "nil:nil");
        assert_eq!(read(b"+OK\r\n"), "{ok=string:OK}");
        assert_eq!(
            read(b"-WRONGTYPE Operation against a key\r\n"),
            "{err=string:WRONGTYPE Operation against a key,ignore_error_stats_update=boolean:true}"
        );
        assert_eq!(
            read(b"*3\r\n:1\r\n$1\r\nx\r\n*0\r\n"),
            "{1=number:1,2=string:x,3={}}"
        );
        assert_eq!(read(b"%1\r\n$1\r\nk\r\n:7\r\n"), "{map={k=number:7}}");
        assert_eq!(
            read(b"~2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            "{set={a=boolean:true,b=boolean:true}}"
        );
        assert_eq!(read(b"#t\r\n"), "boolean:true");
        assert_eq!(read(b",3.5\r\n"), "{double=number:3.5}");
        assert_eq!(
            read(b"(12345678901234567890\r\n"),
            "{big_number=string:12345678901234567890}"
        );
        assert_eq!(
            read(b"=7\r\ntxt:abc\r\n"),
            "{verbatim_string={format=string:txt,string=string:abc}}"
        );
        assert_eq!(read(b"|1\r\n$1\r\na\r\n$1\r\nb\r\n:5\r\n"), "number:5");
    }

    #[test]
    fn error_texts_take_their_code_or_err() {
        assert_eq!(error_text(b"-WRONGTYPE bad"), b"WRONGTYPE bad");
        assert_eq!(error_text(b"-NOCODE"), b"ERR NOCODE");
        assert_eq!(error_text(b"plain words\r\n"), b"ERR plain words");
    }

    fn write(lua: &Lua, code: &str, protocol: Protocol, resp3_script: bool) -> (String, usize) {
        let value: Value = lua.load(code).eval().unwrap();
        let mut reply = Reply::new(protocol);
        let mut errors = 0;
        let keys = ReplyKeys::new(lua).unwrap();
        write_lua_value(lua, &keys, &mut reply, value, resp3_script, &mut |e| {
            errors += e.counted as usize;
        })
        .unwrap();
        (String::from_utf8_lossy(reply.bytes()).into_owned(), errors)
    }

    #[test]
    fn lua_values_write_as_redis_writes_them() {
        let lua = lua();
        let r2 = |code: &str| write(&lua, code, Protocol::Resp2, false).0;
        assert_eq!(r2("return 'x'"), "$1\r\nx\r\n");
        assert_eq!(r2("return 3.99"), ":3\r\n");
        assert_eq!(r2("return -3.99"), ":-3\r\n");
        assert_eq!(r2("return true"), ":1\r\n");
        assert_eq!(r2("return false"), "$-1\r\n");
        assert_eq!(r2("return nil"), "$-1\r\n");
        assert_eq!(r2("return {1, 'a', nil, 'b'}"), "*2\r\n:1\r\n$1\r\na\r\n");
        assert_eq!(r2("return {ok='fine\\r\\nx'}"), "+fine  x\r\n");
        assert_eq!(r2("return {double=1.5}"), "$3\r\n1.5\r\n");
        assert_eq!(r2("return {map={a=1}}"), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(r2("return {set={a=true}}"), "*1\r\n$1\r\na\r\n");
        assert_eq!(r2("return {big_number='123'}"), "$3\r\n123\r\n");
        let r3 = |code: &str| write(&lua, code, Protocol::Resp3, true).0;
        assert_eq!(r3("return false"), "#f\r\n");
        assert_eq!(r3("return {double=1.5}"), ",1.5\r\n");
        assert_eq!(r3("return {map={a=1}}"), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(r3("return {set={a=true}}"), "~1\r\n$1\r\na\r\n");
        assert_eq!(r3("return {big_number='1\\r2'}"), "(1 2\r\n");
        assert_eq!(
            r3("return {verbatim_string={format='mkd', string='# x'}}"),
            "=7\r\nmkd:# x\r\n"
        );
        // A RESP2 script's false is a RESP3 caller's null.
        assert_eq!(
            write(&lua, "return false", Protocol::Resp3, false).0,
            "_\r\n"
        );
    }

    #[test]
    fn errors_are_written_and_counted_once() {
        let lua = lua();
        let (text, counted) = write(&lua, "return {err='My Error'}", Protocol::Resp2, false);
        assert_eq!((text.as_str(), counted), ("-My Error\r\n", 1));
        let (_, counted) = write(
            &lua,
            "return {err='ERR x', ignore_error_stats_update=true}",
            Protocol::Resp2,
            false,
        );
        assert_eq!(counted, 0);
    }

    #[test]
    fn a_recursive_table_stops_at_the_stack_limit() {
        let lua = lua();
        let (text, _) = write(
            &lua,
            "local a = {}; local b = {a}; a[1] = b; return a",
            Protocol::Resp2,
            false,
        );
        assert!(text.starts_with("*1\r\n*1\r\n"));
        assert!(text.ends_with("-ERR reached lua stack limit\r\n"));
        assert_eq!(text.matches("*1\r\n").count(), MAX_STACK_SLOTS);
    }
}
