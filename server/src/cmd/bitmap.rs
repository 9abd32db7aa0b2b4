//! Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO. A bitmap is a
//! string value; the bit arithmetic is `types::bits`, this file parses arguments in Redis's
//! order (so the same bad input gets the same error) and reads or grows the string in place.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::string::make_raw_string;
use super::{Args, Command, Ctx, Group};
use crate::db::record::Value;
use crate::db::table::Slot;
use crate::db::{Lookup, Ttl, string_value};
use crate::types::bits::{self, BitOp, BitRange, Overflow};
use crate::util::parse_i64;

pub static COMMANDS: &[Command] = &[
    Command::new("setbit", 4, WRITE | DENYOOM, Group::Bitmap, setbit)
        .doc("2.2.0", "Sets or clears the bit at offset in the string value stored at key", "O(1)")
        .syntax("key offset value"),
    Command::new("getbit", 3, READONLY | FAST, Group::Bitmap, getbit)
        .doc("2.2.0", "Returns the bit value at offset in the string value stored at key", "O(1)")
        .syntax("key offset"),
    Command::new("bitcount", -2, READONLY, Group::Bitmap, bitcount)
        .doc("2.6.0", "Count set bits in a string", "O(N)")
        .syntax("key [start end [BYTE | BIT]]"),
    Command::new("bitpos", -3, READONLY, Group::Bitmap, bitpos)
        .doc("2.8.7", "Find first bit set or clear in a string", "O(N)")
        .syntax("key bit [start [end [BYTE | BIT]]]"),
    Command::new("bitop", -4, WRITE | DENYOOM, Group::Bitmap, bitop)
        .doc("2.6.0", "Perform bitwise operations between strings", "O(N)")
        .syntax("operation destkey key [key ...]"),
    Command::new("bitfield", -2, WRITE | DENYOOM, Group::Bitmap, bitfield)
        .doc("3.2.0", "Perform arbitrary bitfield integer operations on strings", "O(1) for each subcommand specified")
        .syntax("key [<GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment>> [<GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment>> ...]]"),
    Command::new("bitfield_ro", -2, READONLY | FAST, Group::Bitmap, bitfield_ro)
        .doc("6.0.0", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", "O(1) for each subcommand specified")
        .syntax("key [GET encoding offset [GET encoding offset ...]]"),
];

const BAD_OFFSET: CmdError = CmdError::new("ERR bit offset is not an integer or out of range");
const BAD_BIT_VALUE: CmdError = CmdError::new("ERR bit is not an integer or out of range");
const BAD_BIT_ARGUMENT: CmdError = CmdError::new("ERR The bit argument must be 1 or 0.");
const BAD_FIELD_TYPE: CmdError = CmdError::new(
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
);

/// A bit offset argument: at most `proto-max-bulk-len` bytes in. With `field_bits`, `#n`
/// means the `n`-th field of that width (`BITFIELD`).
fn bit_offset(ctx: &Ctx, arg: &[u8], field_bits: Option<u32>) -> Result<u64, CmdError> {
    let (digits, scale) = match field_bits {
        Some(bits) if arg.first() == Some(&b'#') => (&arg[1..], bits as i64),
        _ => (arg, 1),
    };
    let offset = parse_i64(digits)
        .and_then(|n| n.checked_mul(scale))
        .ok_or(BAD_OFFSET)?;
    if offset < 0 || (offset as u64 >> 3) >= ctx.server.config.proto_max_bulk_len {
        return Err(BAD_OFFSET);
    }
    Ok(offset as u64)
}

/// Makes the string at `key` long enough to hold bit `max_bit`, creating it (without a TTL)
/// when missing. Returns its slot and whether it was created, or grown (a change even when
/// no bit changes). Growth the allocator cannot give is Redis's out-of-memory error.
fn bits_for_write(ctx: &mut Ctx, key: &[u8], max_bit: u64) -> Result<(Slot, Growth), CmdError> {
    let db = ctx.client.db;
    let needed = (max_bit >> 3) as usize + 1;
    let Some(slot) = ctx.server.keyspace.lookup(db, key, Lookup::Write) else {
        let keyspace = &mut ctx.server.keyspace;
        let slot = keyspace.set(db, key, Value::Str(b""), Ttl::Clear)?;
        if keyspace
            .record_mut(db, slot)
            .try_grow_value_zero_exact(needed)
            .is_err()
        {
            keyspace.remove_slot(db, slot);
            return Err(errors::OUT_OF_MEMORY);
        }
        return Ok((slot, Growth::Created));
    };
    make_raw_string(ctx, slot)?;
    let record = ctx.server.keyspace.record_mut(db, slot);
    let len = match record.value() {
        Value::Str(bytes) => bytes.len(),
        _ => unreachable!("made a raw string above"),
    };
    if needed <= len {
        return Ok((slot, Growth::None));
    }
    record
        .try_grow_value_zero(needed)
        .map_err(|_| errors::OUT_OF_MEMORY)?;
    Ok((slot, Growth::Grown))
}

/// What [`bits_for_write`] did to the string's length.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Growth {
    None,
    Grown,
    /// Created: the keyspace already counted the change and told watchers.
    Created,
}

/// The string bytes at `slot`, for changing in place.
fn bytes_mut<'c>(ctx: &'c mut Ctx<'_>, slot: Slot) -> &'c mut [u8] {
    let db = ctx.client.db;
    ctx.server
        .keyspace
        .record_mut(db, slot)
        .string_bytes_mut()
        .expect("a string record")
}

/// Counts `changes` changes to `key` (the dirty counter, watchers), as Redis does once per
/// changed bit or field; a created key was counted once already. Any change is announced as
/// one `setbit`.
fn count_changes(ctx: &mut Ctx, key: &[u8], growth: Growth, changes: u64) {
    let db = ctx.client.db;
    if changes > 0 {
        ctx.server
            .keyspace
            .notify(crate::config::notify::STRING, "setbit", db, key);
    }
    let counted = match growth {
        Growth::Created => 1,
        Growth::None | Growth::Grown if changes > 0 => {
            ctx.server.keyspace.modified(db, key);
            1
        }
        _ => return,
    };
    ctx.server.keyspace.stats.dirty += changes.saturating_sub(counted);
}

fn setbit(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let key = args.get(1);
    let offset = bit_offset(ctx, args.get(2), None)?;
    let on = match parse_i64(args.get(3)) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(BAD_BIT_VALUE),
    };
    let (slot, growth) = bits_for_write(ctx, key, offset)?;
    let bytes = bytes_mut(ctx, slot);
    let old = bits::get_bit(bytes, offset);
    let changed = growth != Growth::None || old != on;
    if changed {
        bits::set_bit(bytes, offset, on);
    }
    count_changes(ctx, key, growth, changed as u64);
    ctx.reply.int(old as i64);
    Ok(())
}

fn getbit(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let offset = bit_offset(ctx, args.get(2), None)?;
    let db = ctx.client.db;
    let Some(slot) = ctx.server.keyspace.lookup(db, args.get(1), Lookup::Read) else {
        ctx.reply.int(0);
        return Ok(());
    };
    let mut digits = itoa::Buffer::new();
    let bytes = string_value(ctx.server.keyspace.record(db, slot), &mut digits)
        .ok_or(errors::WRONG_TYPE)?;
    ctx.reply.int(bits::get_bit(bytes, offset) as i64);
    Ok(())
}

/// `BYTE` or `BIT`: whether a range counts bits.
fn range_unit(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(errors::SYNTAX)
    }
}

fn bitcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    // The key is looked up before the range is parsed: a missing key is 0 whatever follows.
    let Some(slot) = ctx.server.keyspace.lookup(db, args.get(1), Lookup::Read) else {
        ctx.reply.int(0);
        return Ok(());
    };
    let mut digits = itoa::Buffer::new();
    let bytes = string_value(ctx.server.keyspace.record(db, slot), &mut digits)
        .ok_or(errors::WRONG_TYPE)?;
    let count = match args.len() {
        2 => bits::count_ones(bytes),
        4 | 5 => {
            let (start, end) = (args.i64(2)?, args.i64(3)?);
            // Both from the end and in the wrong order: empty before any clamping.
            if start < 0 && end < 0 && start > end {
                ctx.reply.int(0);
                return Ok(());
            }
            let in_bits = args.len() == 5 && range_unit(args.get(4))?;
            BitRange::resolve(bytes.len(), start, end, in_bits)
                .map_or(0, |range| range.count_ones(bytes))
        }
        _ => return Err(errors::SYNTAX),
    };
    ctx.reply.int(count as i64);
    Ok(())
}

fn bitpos(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let bit = match args.i64(2)? {
        0 => false,
        1 => true,
        _ => return Err(BAD_BIT_ARGUMENT),
    };
    let db = ctx.client.db;
    // A missing key is an endless run of clear bits.
    let Some(slot) = ctx.server.keyspace.lookup(db, args.get(1), Lookup::Read) else {
        ctx.reply.int(if bit { -1 } else { 0 });
        return Ok(());
    };
    let mut digits = itoa::Buffer::new();
    let bytes = string_value(ctx.server.keyspace.record(db, slot), &mut digits)
        .ok_or(errors::WRONG_TYPE)?;
    // Redis parses the start, then the unit, then the end.
    let (start, end, end_given, in_bits) = match args.len() {
        3 => (0, -1, false, false),
        4..=6 => {
            let start = args.i64(3)?;
            let in_bits = args.len() == 6 && range_unit(args.get(5))?;
            match args.len() {
                4 => (start, -1, false, in_bits),
                _ => (start, args.i64(4)?, true, in_bits),
            }
        }
        _ => return Err(errors::SYNTAX),
    };
    let position = match BitRange::resolve(bytes.len(), start, end, in_bits) {
        None => -1,
        Some(range) => match range.position(bytes, bit) {
            Some(position) => position as i64,
            None if bit || end_given => -1,
            // Looking for a clear bit with no end: the bits after the string are clear.
            None => ((range.last as i64) + 1) << 3,
        },
    };
    ctx.reply.int(position);
    Ok(())
}

fn bitop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let op = match args.get(1).to_ascii_lowercase().as_slice() {
        b"and" => BitOp::And,
        b"or" => BitOp::Or,
        b"xor" => BitOp::Xor,
        b"not" => BitOp::Not,
        _ => return Err(errors::SYNTAX),
    };
    if op == BitOp::Not && args.len() != 4 {
        return Err(CmdError::new(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let (db, dest) = (ctx.client.db, args.get(2));
    let keyspace = &mut ctx.server.keyspace;
    // Look every source up first (expiring it, counting hits), then read them all at once.
    for key in args.from(3) {
        if let Some(slot) = keyspace.lookup(db, key, Lookup::Read)
            && matches!(keyspace.record(db, slot).value(), Value::Object(_))
        {
            return Err(errors::WRONG_TYPE);
        }
    }
    let mut digits: Vec<itoa::Buffer> = args.from(3).map(|_| itoa::Buffer::new()).collect();
    let sources: Vec<&[u8]> = args
        .from(3)
        .zip(digits.iter_mut())
        .map(|(key, buf)| match keyspace.peek(db, key) {
            Some(slot) => string_value(keyspace.record(db, slot), buf).expect("checked above"),
            None => &[],
        })
        .collect();
    let longest = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    if longest == 0 {
        drop(sources);
        // An empty result deletes the destination (`delete` counts the change).
        if keyspace.delete(db, dest) {
            keyspace.notify(crate::config::notify::GENERIC, "del", db, dest);
        }
        ctx.reply.int(0);
        return Ok(());
    }
    let mut result = Vec::new();
    result
        .try_reserve_exact(longest)
        .map_err(|_| errors::OUT_OF_MEMORY)?;
    result.resize(longest, 0);
    bits::bitop(op, &sources, &mut result);
    drop(sources);
    let slot = keyspace.set(db, dest, Value::Str(&result), Ttl::Clear)?;
    // Stored as Redis stores a computed string: raw, never integer-encoded.
    keyspace.record_mut(db, slot).string_bytes_mut();
    keyspace.notify(crate::config::notify::STRING, "set", db, dest);
    ctx.reply.int(longest as i64);
    Ok(())
}

/// One `BITFIELD` operation, parsed before any is run.
struct FieldOp {
    kind: FieldKind,
    offset: u64,
    bits: u32,
    signed: bool,
    overflow: Overflow,
}

#[derive(Clone, Copy)]
enum FieldKind {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// A field type: `i1`..`i64` or `u1`..`u63`.
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(BAD_FIELD_TYPE),
    };
    match parse_i64(&arg[1..]) {
        Some(bits) if bits >= 1 && bits <= if signed { 64 } else { 63 } => {
            Ok((signed, bits as u32))
        }
        _ => Err(BAD_FIELD_TYPE),
    }
}

fn bitfield(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bitfield_generic(ctx, args, false)
}

fn bitfield_ro(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bitfield_generic(ctx, args, true)
}

fn bitfield_generic(ctx: &mut Ctx, args: &Args, read_only_command: bool) -> CmdResult {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut highest_written: Option<u64> = None;
    let mut j = 2;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let name = args.get(j);
        let is = |word: &str| name.eq_ignore_ascii_case(word.as_bytes());
        let writes = if is("get") && remaining >= 2 {
            false
        } else if (is("set") || is("incrby")) && remaining >= 3 {
            true
        } else if is("overflow") && remaining >= 1 {
            overflow = match args.get(j + 1).to_ascii_lowercase().as_slice() {
                b"wrap" => Overflow::Wrap,
                b"sat" => Overflow::Sat,
                b"fail" => Overflow::Fail,
                _ => return Err(CmdError::new("ERR Invalid OVERFLOW type specified")),
            };
            j += 2;
            continue;
        } else {
            return Err(errors::SYNTAX);
        };
        let (signed, bits) = field_type(args.get(j + 1))?;
        let offset = bit_offset(ctx, args.get(j + 2), Some(bits))?;
        let kind = if writes {
            let last = offset + bits as u64 - 1;
            highest_written = Some(highest_written.map_or(last, |h| h.max(last)));
            let value = args.i64(j + 3)?;
            if is("set") {
                FieldKind::Set(value)
            } else {
                FieldKind::IncrBy(value)
            }
        } else {
            FieldKind::Get
        };
        ops.push(FieldOp {
            kind,
            offset,
            bits,
            signed,
            overflow,
        });
        j += if writes { 4 } else { 3 };
    }

    let db = ctx.client.db;
    let key = args.get(1);
    let Some(highest_written) = highest_written else {
        // Only reads: a missing key reads as zeros.
        let slot = ctx.server.keyspace.lookup(db, key, Lookup::Read);
        let mut digits = itoa::Buffer::new();
        let bytes = match slot {
            None => &[][..],
            Some(slot) => string_value(ctx.server.keyspace.record(db, slot), &mut digits)
                .ok_or(errors::WRONG_TYPE)?,
        };
        ctx.reply.array(ops.len());
        for op in &ops {
            ctx.reply.int(read_field(bytes, op));
        }
        return Ok(());
    };
    if read_only_command {
        return Err(CmdError::new(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let (slot, growth) = bits_for_write(ctx, key, highest_written)?;
    let bytes = ctx
        .server
        .keyspace
        .record_mut(db, slot)
        .string_bytes_mut()
        .expect("a string record");
    ctx.reply.array(ops.len());
    let mut changes = 0;
    for op in &ops {
        let (value, increment) = match op.kind {
            FieldKind::Get => {
                ctx.reply.int(read_field(bytes, op));
                continue;
            }
            FieldKind::Set(value) => (value, None),
            FieldKind::IncrBy(increment) => (0, Some(increment)),
        };
        // Old and new field contents as raw bits, and the number to reply with.
        let written = if op.signed {
            let old = bits::get_signed(bytes, op.offset, op.bits);
            let (base, add) = increment.map_or((value, 0), |inc| (old, inc));
            bits::add_signed(base, add, op.bits, op.overflow)
                .unwrap_or(Some(base.wrapping_add(add)))
                .map(|new| {
                    let reply = if increment.is_some() { new } else { old };
                    (old as u64, new as u64, reply)
                })
        } else {
            let old = bits::get_unsigned(bytes, op.offset, op.bits);
            let (base, add) = increment.map_or((value as u64, 0), |inc| (old, inc));
            bits::add_unsigned(base, add, op.bits, op.overflow)
                .unwrap_or(Some(base.wrapping_add(add as u64)))
                .map(|new| {
                    let reply = if increment.is_some() { new } else { old };
                    (old, new, reply as i64)
                })
        };
        match written {
            // FAIL on overflow: nothing written, null answered.
            None => ctx.reply.null(),
            Some((old, new, reply)) => {
                ctx.reply.int(reply);
                bits::set_field(bytes, op.offset, op.bits, new);
                if growth != Growth::None || old != new {
                    changes += 1;
                }
            }
        }
    }
    count_changes(ctx, key, growth, changes);
    Ok(())
}

/// A `GET` operation's value.
fn read_field(bytes: &[u8], op: &FieldOp) -> i64 {
    if op.signed {
        bits::get_signed(bytes, op.offset, op.bits)
    } else {
        bits::get_unsigned(bytes, op.offset, op.bits) as i64
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::harness::Harness;

    #[test]
    fn a_new_bitmap_is_allocated_at_its_size() {
        // Redis creates it with `sdsnewlen`: no room to spare, unlike later growth.
        let mut h = Harness::new();
        h.run("SETBIT k 8191 1");
        let usage = h.run("MEMORY USAGE k");
        let bytes: usize = usage[1..usage.len() - 2].parse().expect("an integer");
        // Greedy growth would take the 2048-byte size class.
        assert!((1024..1536).contains(&bytes), "{bytes}");
    }

    #[test]
    fn setbit_getbit_grow_and_answer_the_old_bit() {
        let mut h = Harness::new();
        assert_eq!(h.run("SETBIT k 7 1"), ":0\r\n");
        assert_eq!(h.run("GET k"), "$1\r\n\x01\r\n");
        assert_eq!(h.run("SETBIT k 7 0"), ":1\r\n");
        assert_eq!(h.run("SETBIT k 17 1"), ":0\r\n");
        assert_eq!(h.run("STRLEN k"), ":3\r\n");
        assert_eq!(h.run("GETBIT k 17"), ":1\r\n");
        assert_eq!(h.run("GETBIT k 1000000"), ":0\r\n");
        assert_eq!(h.run("GETBIT nokey 0"), ":0\r\n");
        // Integer-encoded strings are read as their digits ("1" is 0x31).
        h.run("SET n 1");
        assert_eq!(h.run("GETBIT n 2"), ":1\r\n");
        assert_eq!(h.run("GETBIT n 4"), ":0\r\n");
        assert_eq!(h.run("SETBIT n 6 1"), ":0\r\n");
        assert_eq!(h.run("GET n"), "$1\r\n3\r\n");
        assert_eq!(
            h.run("SETBIT k -1 1"),
            "-ERR bit offset is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run("SETBIT k 4294967296 1"),
            "-ERR bit offset is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run("SETBIT k 0 2"),
            "-ERR bit is not an integer or out of range\r\n"
        );
        h.run("LPUSH l a");
        assert!(h.run("SETBIT l 0 1").starts_with("-WRONGTYPE"));
        assert!(h.run("GETBIT l 0").starts_with("-WRONGTYPE"));
    }

    #[test]
    fn setbit_counts_a_change_only_when_something_changed() {
        let mut h = Harness::new();
        let start = h.dirty();
        h.run("SETBIT k 0 0");
        assert_eq!(h.dirty(), start + 1, "creating is a change");
        h.run("SETBIT k 0 0");
        assert_eq!(h.dirty(), start + 1, "same bit");
        h.run("SETBIT k 0 1");
        h.run("SETBIT k 100 0");
        assert_eq!(h.dirty(), start + 3, "a flip and a growth");
        h.run("BITFIELD f SET i5 0 0");
        h.run("BITFIELD f SET i5 0 0");
        assert_eq!(h.dirty(), start + 4);
        h.run("BITFIELD f SET i5 0 1 SET i5 5 1 GET u8 0");
        assert_eq!(h.dirty(), start + 6, "one per changed field");
    }

    #[test]
    fn bitcount_and_bitpos_ranges() {
        let mut h = Harness::new();
        h.run("SET s foobar");
        assert_eq!(h.run("BITCOUNT s"), ":26\r\n");
        assert_eq!(h.run("BITCOUNT s 1 1"), ":6\r\n");
        assert_eq!(h.run("BITCOUNT s 5 30 BIT"), ":17\r\n");
        assert_eq!(h.run("BITCOUNT s -10 -20"), ":0\r\n");
        assert_eq!(h.run("BITCOUNT s 0"), "-ERR syntax error\r\n");
        assert_eq!(h.run("BITCOUNT s 0 1 bits"), "-ERR syntax error\r\n");
        assert_eq!(
            h.run("BITCOUNT s a 1"),
            "-ERR value is not an integer or out of range\r\n"
        );
        // A missing key answers 0 before its arguments are looked at.
        assert_eq!(h.run("BITCOUNT nokey 0"), ":0\r\n");
        h.run("SET p \"\\xff\\xf0\\x00\"");
        assert_eq!(h.run("BITPOS p 0"), ":12\r\n");
        assert_eq!(h.run("BITPOS p 1 2 -1 BYTE"), ":-1\r\n");
        assert_eq!(h.run("BITPOS p 0 7 15 BIT"), ":12\r\n");
        h.run("SET q \"\\xff\\xff\"");
        assert_eq!(h.run("BITPOS q 0"), ":16\r\n");
        assert_eq!(h.run("BITPOS q 0 0"), ":16\r\n");
        assert_eq!(h.run("BITPOS q 0 0 -1"), ":-1\r\n");
        assert_eq!(h.run("BITPOS nokey 0"), ":0\r\n");
        assert_eq!(h.run("BITPOS nokey 1"), ":-1\r\n");
        assert_eq!(
            h.run("BITPOS q 2"),
            "-ERR The bit argument must be 1 or 0.\r\n"
        );
        assert_eq!(h.run("BITPOS q 1 0 1 2"), "-ERR syntax error\r\n");
    }

    #[test]
    fn bitop_pads_stores_raw_and_deletes_on_empty() {
        let mut h = Harness::new();
        h.run("SET a \"\\xf0\\xff\"");
        h.run("SET b \"\\x3c\"");
        assert_eq!(h.run("BITOP AND d a b"), ":2\r\n");
        assert_eq!(h.run("GET d"), "$2\r\n0\x00\r\n");
        assert_eq!(h.run("BITOP or d a b nokey"), ":2\r\n");
        assert_eq!(h.run("BITOP NOT d b"), ":1\r\n");
        assert_eq!(h.run_bytes("GET d"), b"$1\r\n\xc3\r\n");
        // Sources may include the destination.
        assert_eq!(h.run("BITOP XOR d d d"), ":1\r\n");
        assert_eq!(h.run("GET d"), "$1\r\n\x00\r\n");
        h.run("SET ten 10");
        assert_eq!(h.run("BITOP AND i ten ten"), ":2\r\n");
        assert_eq!(h.run("OBJECT ENCODING i"), "$3\r\nraw\r\n");
        assert_eq!(h.run("BITOP AND d nokey other"), ":0\r\n");
        assert_eq!(h.run("EXISTS d"), ":0\r\n");
        assert_eq!(
            h.run("BITOP NOT d a b"),
            "-ERR BITOP NOT must be called with a single source key.\r\n"
        );
        assert_eq!(h.run("BITOP NAND d a b"), "-ERR syntax error\r\n");
        h.run("LPUSH l x");
        assert!(h.run("BITOP OR d a l").starts_with("-WRONGTYPE"));
    }

    #[test]
    fn bitfield_operations_overflow_and_errors() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("BITFIELD k SET i8 0 -100 GET i8 0 GET u8 0"),
            "*3\r\n:0\r\n:-100\r\n:156\r\n"
        );
        assert_eq!(
            h.run("BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1"),
            "*2\r\n:1\r\n:1\r\n"
        );
        assert_eq!(
            h.run("BITFIELD k OVERFLOW FAIL INCRBY u2 100 3 INCRBY u2 100 2"),
            "*2\r\n$-1\r\n:3\r\n"
        );
        assert_eq!(h.run("BITFIELD k GET u2 #50"), "*1\r\n:3\r\n");
        assert_eq!(
            h.run("BITFIELD k OVERFLOW WRAP INCRBY i8 0 -100"),
            "*1\r\n:56\r\n"
        );
        assert_eq!(h.run("BITFIELD k"), "*0\r\n");
        assert_eq!(h.run("BITFIELD nokey GET i64 0"), "*1\r\n:0\r\n");
        assert_eq!(h.run("BITFIELD_RO k GET i8 0"), "*1\r\n:56\r\n");
        assert_eq!(
            h.run("BITFIELD_RO k SET i8 0 1"),
            "-ERR BITFIELD_RO only supports the GET subcommand\r\n"
        );
        let bad_type = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";
        assert_eq!(h.run("BITFIELD k GET u64 0"), bad_type);
        assert_eq!(h.run("BITFIELD k GET i65 0"), bad_type);
        assert_eq!(h.run("BITFIELD k GET x8 0"), bad_type);
        assert_eq!(
            h.run("BITFIELD k OVERFLOW DOWN"),
            "-ERR Invalid OVERFLOW type specified\r\n"
        );
        assert_eq!(h.run("BITFIELD k GET i8"), "-ERR syntax error\r\n");
        assert_eq!(
            h.run("BITFIELD k SET i8 -1 0"),
            "-ERR bit offset is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run("BITFIELD k SET i8 0 x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        h.run("LPUSH l x");
        assert!(h.run("BITFIELD l GET i8 0").starts_with("-WRONGTYPE"));
    }

    #[test]
    fn bitmap_writes_announce_setbit_and_bitop_set_or_del() {
        let mut h = Harness::new();
        let watcher = h.watch_events("$gn");
        h.run("SETBIT b 3 1");
        h.run("SETBIT b 3 1");
        h.run("SETBIT b 2 0");
        h.run("BITFIELD b GET u8 0");
        h.run("BITFIELD b SET u8 0 1");
        h.run("BITOP NOT d b");
        h.run("BITOP AND d missing");
        h.run("BITOP AND d missing");
        assert_eq!(
            h.events(watcher),
            ["new b", "setbit b", "setbit b", "new d", "set d", "del d"]
        );
    }
}
