//! HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST. A HyperLogLog is a string
//! value in Redis's representation (`types::hll`), so values move between Redis and zedis with
//! GET/SET or DUMP/RESTORE and count the same. The handlers follow Redis's `pf*Command`s: the
//! same lookups (read or write), checks (`isHLLObjectOrReply`), errors, and changes counted
//! (`PFCOUNT` of one key writes the cached cardinality back: a change, though the command is
//! read-only).

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::config::notify::STRING;
use crate::db::record::Value;
use crate::db::table::Slot;
use crate::db::{Lookup, Ttl};
use crate::types::hll::{self, Encoding, REGISTERS};

pub static COMMANDS: &[Command] = &[
    Command::new("pfadd", -2, WRITE | DENYOOM | FAST, Group::Hyperloglog, pfadd)
        .doc("2.8.9", "Adds the specified elements to the specified HyperLogLog.", "O(1) to add every element.")
        .syntax("key [element [element ...]]"),
    Command::new("pfcount", -2, READONLY | MAY_REPLICATE, Group::Hyperloglog, pfcount)
        .doc("2.8.9", "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.")
        .syntax("key [key ...]"),
    Command::new("pfmerge", -2, WRITE | DENYOOM, Group::Hyperloglog, pfmerge)
        .doc("2.8.9", "Merge N different HyperLogLogs into a single one.", "O(N) to merge N HyperLogLogs, but with high constant times.")
        .syntax("destkey sourcekey [sourcekey ...]"),
    Command::new("pfdebug", 3, WRITE | DENYOOM | ADMIN, Group::Hyperloglog, pfdebug)
        .doc("2.8.9", "Internal commands for debugging HyperLogLog values", "N/A")
        .syntax("subcommand key"),
    Command::new("pfselftest", 1, ADMIN, Group::Hyperloglog, pfselftest).doc(
        "2.8.9",
        "An internal command for testing HyperLogLog values",
        "N/A",
    ),
];

/// A string that is not a HyperLogLog (Redis sends this with its own `WRONGTYPE` code).
const NOT_HLL: CmdError = CmdError::new("WRONGTYPE Key is not a valid HyperLogLog string value.");
/// Sparse registers that do not decode.
const CORRUPTED: CmdError = CmdError::new("INVALIDOBJ Corrupted HLL object detected");

/// The HyperLogLog at `key`: its slot and encoding, `None` when missing, or the error
/// `isHLLObjectOrReply` replies with (integer-encoded strings are not HyperLogLogs either).
fn lookup_hll(
    ctx: &mut Ctx,
    key: &[u8],
    mode: Lookup,
) -> Result<Option<(Slot, Encoding)>, CmdError> {
    let db = ctx.client.db;
    let Some(slot) = ctx.server.keyspace.lookup(db, key, mode) else {
        return Ok(None);
    };
    match ctx.server.keyspace.record(db, slot).value() {
        Value::Object(_) => Err(errors::WRONG_TYPE),
        Value::Int(_) => Err(NOT_HLL),
        Value::Str(bytes) => hll::check(bytes)
            .map(|encoding| Some((slot, encoding)))
            .ok_or(NOT_HLL),
    }
}

/// The bytes of the HyperLogLog at `slot`.
fn value_at<'a>(ctx: &'a Ctx, slot: Slot) -> &'a [u8] {
    match ctx.server.keyspace.record(ctx.client.db, slot).value() {
        Value::Str(bytes) => bytes,
        _ => unreachable!("checked by lookup_hll"),
    }
}

/// The bytes of the HyperLogLog at `slot`, for changing in place. Makes the string `raw`, as
/// Redis's `dbUnshareStringValue` does whether or not anything changes.
fn value_mut<'a>(ctx: &'a mut Ctx<'_>, slot: Slot) -> &'a mut [u8] {
    let db = ctx.client.db;
    ctx.server
        .keyspace
        .record_mut(db, slot)
        .string_bytes_mut()
        .expect("checked by lookup_hll")
}

/// Replaces the value at `slot` (same key, same TTL) with `bytes`. A value that just became
/// dense is rebuilt at its exact size, as Redis allocates a dense value.
fn store(ctx: &mut Ctx, slot: Slot, bytes: &[u8]) -> CmdResult {
    let db = ctx.client.db;
    let keyspace = &mut ctx.server.keyspace;
    let record = keyspace.record(db, slot);
    let old_len = match record.value() {
        Value::Str(old) => old.len(),
        _ => unreachable!("checked by lookup_hll"),
    };
    if bytes.len() == hll::DENSE_SIZE && old_len != hll::DENSE_SIZE {
        let rebuilt = record.with_value(Value::Str(bytes), true)?;
        keyspace.replace_record(db, slot, rebuilt);
    } else {
        keyspace.record_mut(db, slot).try_set_string(bytes)?;
    }
    Ok(())
}

/// Stores a new HyperLogLog under the absent `key`, as Redis's `createHLLObject` makes it: a
/// `raw` string without TTL. Counts one change.
fn create(ctx: &mut Ctx, key: &[u8], bytes: &[u8]) -> CmdResult {
    let db = ctx.client.db;
    let keyspace = &mut ctx.server.keyspace;
    let slot = keyspace.set(db, key, Value::Str(bytes), Ttl::Clear)?;
    keyspace.record_mut(db, slot).string_bytes_mut();
    Ok(())
}

/// Counts `changes` changes to `key` (the dirty counter, watchers) when there are any, of
/// which `counted` were counted already.
fn count_changes(ctx: &mut Ctx, key: &[u8], changes: u64, counted: u64) {
    if changes == 0 {
        return;
    }
    if counted == 0 {
        ctx.server.keyspace.modified(ctx.client.db, key);
    }
    ctx.server.keyspace.stats.dirty += changes - counted.max(1);
}

/// PFADD's event, when a register changed or the key was created.
fn announce_pfadd(ctx: &mut Ctx, key: &[u8], updated: u64) {
    if updated > 0 {
        ctx.server
            .keyspace
            .notify(STRING, "pfadd", ctx.client.db, key);
    }
}

fn pfadd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let key = args.get(1);
    let max_bytes = ctx.server.config.hll_sparse_max_bytes;
    let found = lookup_hll(ctx, key, Lookup::Write)?;
    // A dense value is changed in place.
    if let Some((slot, Encoding::Dense)) = found {
        let bytes = value_mut(ctx, slot);
        let mut updated = 0;
        for element in args.from(2) {
            let (index, count) = hll::pattern(element);
            updated += hll::dense_raise(&mut bytes[hll::HDR_SIZE..], index, count) as u64;
        }
        if updated > 0 {
            hll::invalidate_cache(bytes);
        }
        count_changes(ctx, key, updated, 0);
        announce_pfadd(ctx, key, updated);
        ctx.reply.int((updated > 0) as i64);
        return Ok(());
    }
    // A sparse one, or a new one, is changed in a copy, stored once.
    let (mut value, slot) = match found {
        None => (hll::new_sparse(), None),
        Some((slot, _)) => (value_at(ctx, slot).to_vec(), Some(slot)),
    };
    let mut updated = slot.is_none() as u64;
    let mut corrupted = false;
    for element in args.from(2) {
        match hll::add(&mut value, element, max_bytes) {
            Ok(changed) => updated += changed as u64,
            Err(hll::Corrupted) => {
                corrupted = true;
                break;
            }
        }
    }
    if updated > 0 && !corrupted {
        hll::invalidate_cache(&mut value);
    }
    match slot {
        None => {
            create(ctx, key, &value)?;
            count_changes(ctx, key, updated, 1);
        }
        Some(slot) => {
            // What was added before a corrupted register was found stays, uncounted, as in
            // Redis, which changes the value in place.
            if updated > 0 {
                store(ctx, slot, &value)?;
            } else {
                value_mut(ctx, slot);
            }
            if corrupted {
                return Err(CORRUPTED);
            }
            count_changes(ctx, key, updated, 0);
        }
    }
    announce_pfadd(ctx, key, updated);
    ctx.reply.int((updated > 0) as i64);
    Ok(())
}

fn pfcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 2 {
        // The union, computed in registers one byte each; no key changes.
        let mut max = Box::new([0u8; REGISTERS]);
        for key in args.from(1) {
            let Some((slot, _)) = lookup_hll(ctx, key, Lookup::Read)? else {
                continue;
            };
            hll::merge_into(&mut max, value_at(ctx, slot)).map_err(|_| CORRUPTED)?;
        }
        ctx.reply.int(hll::count_registers(&max) as i64);
        return Ok(());
    }
    let key = args.get(1);
    let Some((slot, _)) = lookup_hll(ctx, key, Lookup::Read)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let bytes = value_mut(ctx, slot);
    if let Some(cached) = hll::cached_count(bytes) {
        ctx.reply.int(cached as i64);
        return Ok(());
    }
    let count = hll::count(bytes).map_err(|_| CORRUPTED)?;
    hll::set_cached_count(bytes, count);
    // The cache is part of the value: a change, signalled and counted.
    ctx.server.keyspace.modified(ctx.client.db, key);
    ctx.reply.int(count as i64);
    Ok(())
}

fn pfmerge(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let max_bytes = ctx.server.config.hll_sparse_max_bytes;
    // The destination is one of the inputs.
    let mut max = Box::new([0u8; REGISTERS]);
    let mut use_dense = false;
    for key in args.from(1) {
        let Some((slot, encoding)) = lookup_hll(ctx, key, Lookup::Read)? else {
            continue;
        };
        use_dense |= encoding == Encoding::Dense;
        hll::merge_into(&mut max, value_at(ctx, slot)).map_err(|_| CORRUPTED)?;
    }
    let dest = args.get(1);
    let found = lookup_hll(ctx, dest, Lookup::Write)?;
    let mut value = match found {
        None => hll::new_sparse(),
        Some((slot, _)) => value_at(ctx, slot).to_vec(),
    };
    if use_dense {
        hll::to_dense(&mut value).map_err(|_| CORRUPTED)?;
    }
    hll::raise_all(&mut value, &max, max_bytes);
    hll::invalidate_cache(&mut value);
    match found {
        None => create(ctx, dest, &value)?,
        Some((slot, _)) => {
            store(ctx, slot, &value)?;
            ctx.server.keyspace.modified(ctx.client.db, dest);
        }
    }
    // Redis announces a merge as an addition, whatever changed.
    ctx.server
        .keyspace
        .notify(STRING, "pfadd", ctx.client.db, dest);
    ctx.reply.ok();
    Ok(())
}

fn pfdebug(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let subcommand = args.get(1);
    let Some((slot, encoding)) = lookup_hll(ctx, args.get(2), Lookup::Write)? else {
        return Err(CmdError::new("ERR The specified key does not exist"));
    };
    value_mut(ctx, slot);
    match subcommand.to_ascii_lowercase().as_slice() {
        b"getreg" => {
            let dense;
            let bytes = match encoding {
                Encoding::Dense => value_at(ctx, slot),
                Encoding::Sparse => {
                    dense = to_dense_in_place(ctx, slot)?;
                    &dense
                }
            };
            let registers: Vec<u8> = hll::dense_registers(bytes).collect();
            ctx.reply.array(REGISTERS);
            for register in registers {
                ctx.reply.int(register as i64);
            }
        }
        b"decode" => {
            if encoding != Encoding::Sparse {
                return Err(CmdError::new("ERR HLL encoding is not sparse"));
            }
            let decoded = hll::decode_sparse(value_at(ctx, slot));
            ctx.reply.bulk(decoded.as_bytes());
        }
        b"encoding" => ctx.reply.simple(encoding.name().as_bytes()),
        b"todense" => {
            if encoding == Encoding::Sparse {
                to_dense_in_place(ctx, slot)?;
            }
            ctx.reply.int((encoding == Encoding::Sparse) as i64);
        }
        _ => {
            return Err(CmdError::owned(format!(
                "ERR Unknown PFDEBUG subcommand '{}'",
                String::from_utf8_lossy(subcommand)
            )));
        }
    }
    Ok(())
}

/// Makes the sparse value at `slot` dense, counting a change without signalling it (as
/// Redis forces the propagation of the new encoding); returns the dense bytes.
fn to_dense_in_place(ctx: &mut Ctx, slot: Slot) -> Result<Vec<u8>, CmdError> {
    let dense = hll::sparse_to_dense(value_at(ctx, slot)).map_err(|_| CORRUPTED)?;
    store(ctx, slot, &dense)?;
    ctx.server.keyspace.stats.dirty += 1;
    Ok(dense)
}

fn pfselftest(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let max_bytes = ctx.server.config.hll_sparse_max_bytes;
    let mut rng = fastrand::Rng::new();
    // `rand()`: 31 random bits.
    let mut rand = || rng.u32(..) >> 1;
    match hll::self_test(&mut rand, 1000, 10_000_000, max_bytes) {
        Ok(()) => {
            ctx.reply.ok();
            Ok(())
        }
        Err(failure) => Err(CmdError::owned(format!("ERR {failure}"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::harness::Harness;

    /// A RESP integer reply's value.
    fn int(reply: &str) -> i64 {
        reply
            .strip_prefix(':')
            .and_then(|r| r.strip_suffix("\r\n"))
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("not an integer: {reply:?}"))
    }

    #[test]
    fn pfadd_creates_and_counts_changes_like_redis() {
        let mut h = Harness::new();
        let start = h.dirty();
        assert_eq!(h.run("PFADD h"), ":1\r\n");
        assert_eq!(h.dirty(), start + 1);
        assert_eq!(h.run("OBJECT ENCODING h"), "$3\r\nraw\r\n");
        assert_eq!(
            h.run_bytes("GET h"),
            b"$18\r\nHYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\r\n"
        );
        assert_eq!(h.run("PFADD h a b c"), ":1\r\n");
        assert_eq!(h.dirty(), start + 4, "one per changed register");
        assert_eq!(h.run("PFADD h a b c"), ":0\r\n");
        assert_eq!(h.dirty(), start + 4);
        assert_eq!(h.run("PFADD new x y"), ":1\r\n");
        assert_eq!(h.dirty(), start + 7, "creation and two registers");
        assert_eq!(
            h.run("PFDEBUG DECODE h"),
            "$44\r\nZ:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\r\n"
        );
    }

    #[test]
    fn pfcount_caches_and_counts_the_write_once() {
        let mut h = Harness::new();
        h.run("PFADD h a b c d e");
        let start = h.dirty();
        assert_eq!(h.run("PFCOUNT h"), ":5\r\n");
        assert_eq!(h.dirty(), start + 1, "the cache written");
        assert_eq!(h.run("PFCOUNT h"), ":5\r\n");
        assert_eq!(h.dirty(), start + 1, "the cache read");
        assert_eq!(
            h.run("GETRANGE h 8 15"),
            "$8\r\n\x05\x00\x00\x00\x00\x00\x00\x00\r\n"
        );
        h.run("PFADD h f");
        assert_eq!(h.run_bytes("GETRANGE h 15 15"), b"$1\r\n\x80\r\n");
        assert_eq!(h.run("PFCOUNT nokey"), ":0\r\n");
        // Several keys: the union, nothing written.
        h.run("PFADD g e f g");
        let before = h.dirty();
        assert_eq!(h.run("PFCOUNT h g nokey"), ":7\r\n");
        assert_eq!(h.dirty(), before);
        assert_eq!(h.run_bytes("GETRANGE g 15 15"), b"$1\r\n\x80\r\n");
    }

    #[test]
    fn pfcount_of_one_key_invalidates_watchers() {
        let mut h = Harness::new();
        h.run("PFADD h a");
        h.run("WATCH h");
        h.run("PFCOUNT h");
        h.run("MULTI");
        h.run("PING");
        assert_eq!(h.run("EXEC"), "*-1\r\n");
    }

    #[test]
    fn wrong_types_and_corruption_have_redis_errors() {
        let mut h = Harness::new();
        let not_hll = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
        let corrupted = "-INVALIDOBJ Corrupted HLL object detected\r\n";
        h.run("SET s bar");
        h.run("SET i 12345");
        h.run("RPUSH l a");
        for line in [
            "PFADD s a",
            "PFCOUNT s",
            "PFCOUNT i",
            "PFMERGE s",
            "PFMERGE d s",
            "PFDEBUG GETREG s",
        ] {
            assert_eq!(h.run(line), not_hll, "{line}");
        }
        assert!(h.run("PFADD l a").starts_with("-WRONGTYPE Operation"));
        assert!(h.run("PFCOUNT l s").starts_with("-WRONGTYPE Operation"));
        assert_eq!(h.run("EXISTS d"), ":0\r\n");
        // A dense value of the wrong length; a sparse one with bytes past the last register.
        h.run("PFADD d a");
        h.run("PFDEBUG TODENSE d");
        h.run("APPEND d x");
        assert_eq!(h.run("PFCOUNT d"), not_hll);
        h.run("PFADD t a b c");
        h.run("APPEND t hello");
        assert_eq!(h.run("PFCOUNT t"), corrupted);
        assert_eq!(h.run("PFCOUNT t t"), corrupted);
        assert_eq!(h.run("PFMERGE m t"), corrupted);
        assert_eq!(h.run("EXISTS m"), ":0\r\n");
        assert_eq!(h.run("PFDEBUG TODENSE t"), corrupted);
        h.run("SET bad \"HYLL\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\"");
        assert_eq!(h.run("PFCOUNT bad"), not_hll);
    }

    #[test]
    fn pfmerge_writes_the_union_into_the_destination() {
        let mut h = Harness::new();
        h.run("PFADD a x y z");
        h.run("PFADD b z w");
        let start = h.dirty();
        assert_eq!(h.run("PFMERGE d a b"), "+OK\r\n");
        assert_eq!(h.dirty(), start + 1);
        assert_eq!(h.run("PFCOUNT d"), ":4\r\n");
        assert_eq!(h.run("PFDEBUG ENCODING d"), "+sparse\r\n");
        // The destination is an input; a dense input makes it dense.
        h.run("PFADD e v");
        h.run("PFDEBUG TODENSE e");
        h.run("EXPIRE d 100");
        assert_eq!(h.run("PFMERGE d e"), "+OK\r\n");
        assert_eq!(h.run("PFDEBUG ENCODING d"), "+dense\r\n");
        assert_eq!(h.run("PFCOUNT d"), ":5\r\n");
        assert_eq!(h.run("TTL d"), ":100\r\n");
        assert_eq!(h.run("STRLEN d"), ":12304\r\n");
        // Nothing to merge still creates an empty value.
        assert_eq!(h.run("PFMERGE empty"), "+OK\r\n");
        assert_eq!(h.run("PFCOUNT empty"), ":0\r\n");
    }

    #[test]
    fn pfdebug_subcommands() {
        let mut h = Harness::new();
        h.run("PFADD h a");
        assert_eq!(h.run("PFDEBUG encoding h"), "+sparse\r\n");
        assert_eq!(h.run("PFDEBUG decode h"), "$20\r\nZ:12711 v:2,1 Z:3672\r\n");
        let regs = h.run("PFDEBUG GETREG h");
        assert!(regs.starts_with("*16384\r\n"));
        assert_eq!(regs.matches(":2\r\n").count(), 1);
        assert_eq!(
            h.run("PFDEBUG ENCODING h"),
            "+dense\r\n",
            "GETREG makes it dense"
        );
        assert_eq!(
            h.run("PFDEBUG DECODE h"),
            "-ERR HLL encoding is not sparse\r\n"
        );
        assert_eq!(h.run("PFDEBUG TODENSE h"), ":0\r\n");
        h.run("PFADD s a");
        let start = h.dirty();
        assert_eq!(h.run("PFDEBUG TODENSE s"), ":1\r\n");
        assert_eq!(h.dirty(), start + 1);
        assert_eq!(
            h.run("PFDEBUG nosuch h"),
            "-ERR Unknown PFDEBUG subcommand 'nosuch'\r\n"
        );
        assert_eq!(
            h.run("PFDEBUG nosuch nokey"),
            "-ERR The specified key does not exist\r\n"
        );
        assert_eq!(
            h.run("PFDEBUG GETREG"),
            "-ERR wrong number of arguments for 'pfdebug' command\r\n"
        );
    }

    #[test]
    fn sparse_values_promote_at_the_configured_size() {
        let mut h = Harness::new();
        h.run("CONFIG SET hll-sparse-max-bytes 100");
        let mut n = 0;
        while h.run("PFDEBUG ENCODING h") != "+dense\r\n" {
            assert!(int(&h.run("STRLEN h")) <= 100 || n == 0);
            h.run(&format!("PFADD h e{n}"));
            n += 1;
        }
        assert!(n > 10, "promoted after {n} elements");
        assert_eq!(h.run("STRLEN h"), ":12304\r\n");
        let count = int(&h.run("PFCOUNT h"));
        assert!((count - n as i64).abs() <= 2, "{count} for {n}");
    }

    #[test]
    fn hyperloglog_writes_announce_pfadd() {
        let mut h = Harness::new();
        let watcher = h.watch_events("$");
        h.run("PFADD h a b");
        h.run("PFADD h a");
        h.run("PFADD e");
        h.run("PFCOUNT h");
        h.run("PFMERGE m h");
        h.run("PFMERGE m");
        assert_eq!(
            h.events(watcher),
            ["pfadd h", "pfadd e", "pfadd m", "pfadd m"]
        );
    }
}
