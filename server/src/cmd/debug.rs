//! `DEBUG`: the subcommands Redis's own test suite and client libraries' tests rely on, with
//! Redis 7.0's replies. Refused unless `enable-debug-command` allows it, as in Redis.
//!
//! Subcommands that need a feature zedis does not have yet (`REPLICATE` replication, `SET-DISABLE-DENY-SCRIPTS` scripting) are unknown
//! until that feature lands, as are those that exist only to crash the server.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::db::Lookup;
use crate::db::access::idle_ms;
use crate::db::record::Value;
use crate::rdb::save::Saver;
use crate::rdb::write::RdbWriter;
use crate::server::persistence::LoadMode;
use crate::types::ObjectView;

pub static COMMANDS: &[Command] = &[Command::new(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    Group::Server,
    debug,
)
.doc(
    "1.0.0",
    "A container for debugging commands.",
    "Depends on subcommand.",
)];

/// `getPositiveLongFromObjectOrReply`: both a non-integer and a negative value get this error.
fn positive(arg: &[u8]) -> Result<u64, CmdError> {
    crate::util::parse_i64(arg)
        .filter(|v| *v >= 0)
        .map(|v| v as u64)
        .ok_or_else(|| CmdError::new("ERR value is out of range, must be positive"))
}

/// C's `atoi`: leading spaces, an optional sign, digits; anything else ends the number.
fn atoi(arg: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(arg);
    let text = text.trim_start();
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    sign * digits[..end].parse::<i64>().unwrap_or(0)
}

const HELP: &[&str] = &[
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
];

fn debug(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let sub = args.get(1).to_ascii_lowercase();
    match (sub.as_slice(), args.len()) {
        (b"help", 2) => {
            super::introspection::reply_help(ctx, "DEBUG", HELP);
            Ok(())
        }
        (b"populate", 3..=5) => populate(ctx, args),
        (b"reload", _) => reload(ctx, args),
        (b"loadaof", _) => loadaof(ctx),
        (b"sleep", 3) => {
            // Redis reads the time with strtod: what does not parse is 0.
            let seconds = crate::util::strtod::prefix_value(args.get(2));
            if seconds > 0.0 && seconds.is_finite() {
                // Blocks the server, as DEBUG SLEEP does in Redis.
                std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
            }
            ctx.reply.ok();
            Ok(())
        }
        (b"log", 3) => {
            tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(args.get(2)));
            ctx.reply.ok();
            Ok(())
        }
        (b"error", 3) => {
            // Sent as given (newlines become spaces), and not counted as an error reply of
            // the server, as Redis adds it raw.
            ctx.reply.error(&String::from_utf8_lossy(args.get(2)));
            Ok(())
        }
        (b"set-active-expire", 3) => {
            ctx.server.keyspace.active_expire_enabled = atoi(args.get(2)) != 0;
            ctx.reply.ok();
            Ok(())
        }
        (b"quicklist-packed-threshold", 3) => {
            // memtoull, then Redis's bound: below 4 GiB less 1 MiB; 0 restores the default.
            let size = std::str::from_utf8(args.get(2))
                .ok()
                .and_then(crate::config::units::parse_memory)
                .filter(|size| *size <= (1u64 << 32) - (1 << 20))
                .ok_or_else(|| {
                    CmdError::new(
                        "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
                    )
                })?;
            ctx.server.list_plain_threshold = match size {
                0 => crate::types::list::DEFAULT_PLAIN_THRESHOLD,
                size => size as usize,
            };
            ctx.reply.ok();
            Ok(())
        }
        (b"client-eviction", 2) => {
            if ctx.server.config.maxmemory_clients == 0 {
                return Err(CmdError::new("ERR maxmemory-clients is disabled."));
            }
            let report = ctx.server.client_eviction_buckets(ctx.client);
            ctx.reply.verbatim(report.as_bytes());
            Ok(())
        }
        (b"set-disable-deny-scripts", 3) => {
            ctx.server.script_disable_deny = atoi(args.get(2)) != 0;
            ctx.reply.ok();
            Ok(())
        }
        (b"pause-cron", 3) => {
            ctx.server.cron_paused = atoi(args.get(2)) != 0;
            ctx.reply.ok();
            Ok(())
        }
        (b"change-repl-id", 2) => {
            tracing::warn!("Changing replication IDs after receiving DEBUG change-repl-id");
            ctx.server.replication.change_id();
            ctx.server.replication.clear_id2();
            ctx.reply.ok();
            Ok(())
        }
        (b"config-rewrite-force-all", 2) => {
            let result = match &ctx.server.config.config_file {
                Some(path) => crate::config::rewrite::rewrite_file(
                    std::path::Path::new(path),
                    &ctx.server.config,
                    true,
                ),
                // Redis hands its absent path (NULL) to fopen, which fails with EFAULT.
                None => Err(std::io::Error::from_raw_os_error(
                    nix::errno::Errno::EFAULT as i32,
                )),
            };
            result.map_err(|e| {
                CmdError::owned(format!(
                    "ERR CONFIG-REWRITE-FORCE-ALL failed: {}",
                    crate::util::strerror(&e)
                ))
            })?;
            ctx.reply.ok();
            Ok(())
        }
        (b"digest", 2) => {
            let digest = crate::db::digest::dataset(&ctx.server.keyspace);
            ctx.reply.simple(crate::db::digest::hex(&digest).as_bytes());
            Ok(())
        }
        (b"object", 3) => object(ctx, args.get(2)),
        (b"digest-value", _) => {
            let db = ctx.client.db;
            ctx.reply.array(args.len() - 2);
            for key in args.from(2) {
                let digest = crate::db::digest::value(&ctx.server.keyspace, db, key);
                ctx.reply.simple(crate::db::digest::hex(&digest).as_bytes());
            }
            Ok(())
        }
        (b"protocol", 3) => protocol(ctx, args.get(2)),
        (b"replybuffer", 4) => {
            let (what, value) = (args.get(2), args.get(3));
            if what.eq_ignore_ascii_case(b"peak-reset-time") {
                ctx.server.reply_buffer_peak_reset = if value.eq_ignore_ascii_case(b"never") {
                    None
                } else if value.eq_ignore_ascii_case(b"reset") {
                    Some(crate::server::REPLY_BUFFER_PEAK_RESET)
                } else {
                    let ms = crate::util::parse_i64(value).ok_or(errors::NOT_INTEGER)?;
                    // A negative time is never, as in Redis.
                    u64::try_from(ms).ok().map(std::time::Duration::from_millis)
                };
            } else if what.eq_ignore_ascii_case(b"resizing") {
                ctx.server.reply_buffer_resizing = atoi(value) != 0;
            } else {
                return Err(errors::unknown_subcommand_or_arity(args.get(1), "debug"));
            }
            ctx.reply.ok();
            Ok(())
        }
        (b"stringmatch-test", 2) => {
            stringmatch_test();
            ctx.reply
                .simple(b"Apparently Redis did not crash: test passed");
            Ok(())
        }
        _ => Err(errors::unknown_subcommand_or_arity(args.get(1), "debug")),
    }
}

/// `DEBUG PROTOCOL <type>`: one reply of each RESP type, as Redis's test values.
fn protocol(ctx: &mut Ctx, name: &[u8]) -> CmdResult {
    let reply = &mut *ctx.reply;
    match name.to_ascii_lowercase().as_slice() {
        b"string" => reply.bulk(b"Hello World"),
        b"integer" => reply.int(12345),
        // Redis's test value, not π.
        #[allow(clippy::approx_constant)]
        b"double" => reply.double(3.141),
        b"bignum" => reply.big_number(b"1234567999999999999999999999999999999"),
        b"null" => reply.null(),
        b"array" => {
            reply.array(3);
            (0..3).for_each(|j| reply.int(j));
        }
        b"set" => {
            reply.set(3);
            (0..3).for_each(|j| reply.int(j));
        }
        b"map" => {
            reply.map(3);
            for j in 0..3 {
                reply.int(j);
                reply.boolean(j == 1);
            }
        }
        b"attrib" => {
            if reply.is_resp3() {
                reply.attribute(1);
                reply.bulk(b"key-popularity");
                reply.array(2);
                reply.bulk(b"key:123");
                reply.int(90);
            }
            // An attribute describes the reply that follows it.
            reply.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !reply.is_resp3() {
                return Err(CmdError::new("ERR RESP2 is not supported by this command"));
            }
            reply.push(2);
            reply.bulk(b"server-cpu-usage");
            reply.int(42);
            // A push is out of band: a normal reply follows for the client waiting on one.
            reply.bulk(b"Some real reply following the push reply");
        }
        b"true" => reply.boolean(true),
        b"false" => reply.boolean(false),
        b"verbatim" => reply.verbatim_as(b"txt", b"This is a verbatim\nstring"),
        _ => {
            return Err(CmdError::new(
                "ERR Wrong protocol type name. Please use one of the following: \
                 string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ));
        }
    }
    Ok(())
}

/// `DEBUG STRINGMATCH-TEST`: random patterns against random strings, to find a pattern that
/// hangs or crashes the matcher (Redis's `stringmatchlen_fuzz_test`).
fn stringmatch_test() {
    const ALPHABET: &[u8] = b"*?[]\\^-abc";
    let mut rng = fastrand::Rng::new();
    for _ in 0..1_000_000 {
        let pattern: Vec<u8> = (0..rng.usize(0..32))
            .map(|_| ALPHABET[rng.usize(0..ALPHABET.len())])
            .collect();
        let string: Vec<u8> = (0..rng.usize(0..32))
            .map(|_| ALPHABET[rng.usize(0..ALPHABET.len())])
            .collect();
        std::hint::black_box(crate::util::glob_match(&pattern, &string, rng.bool()));
    }
}

/// `DEBUG POPULATE count [prefix] [size]`: keys `prefix:N` (default `key`), values `value:N`
/// cut or zero-padded to `size` bytes; existing keys are left alone.
fn populate(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let count = positive(args.get(2))?;
    let prefix = args.try_get(3).unwrap_or(b"key");
    let size = match args.try_get(4) {
        Some(arg) => Some(positive(arg)? as usize),
        None => None,
    };
    let db = ctx.client.db;
    ctx.server.keyspace.reserve(db, count as usize);
    let mut key = Vec::with_capacity(prefix.len() + 21);
    let mut value = Vec::new();
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        if ctx
            .server
            .keyspace
            .lookup(db, &key, Lookup::Write)
            .is_some()
        {
            continue;
        }
        value.clear();
        value.extend_from_slice(b"value:");
        value.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        if let Some(size) = size.filter(|&s| s > 0) {
            value.resize(size, 0);
        }
        ctx.server
            .keyspace
            .set(db, &key, Value::Str(&value), crate::db::Ttl::Clear)?;
    }
    ctx.reply.ok();
    Ok(())
}

/// `DEBUG OBJECT key`: the value's address, reference count, encoding, length in RDB
/// encoding, access bits and idle time, and for a list its nodes (Redis's format). Small
/// integers are reported with Redis's shared-object count.
fn object(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let db = ctx.client.db;
    let keyspace = &ctx.server.keyspace;
    let Some(slot) = keyspace.peek(db, key) else {
        return Err(CmdError::new("ERR no such key"));
    };
    let record = keyspace.record(db, slot);
    let objects = &keyspace.dbs[db].objects;
    let mut saver = Saver::new(ctx.server.save_options());
    let mut counter = RdbWriter::new(std::io::sink(), false, ctx.server.config.rdbcompression);
    saver
        .value_body(&mut counter, record, objects)
        .expect("writing to a sink cannot fail");
    let refcount = super::object::redis_refcount(&ctx.server.config, record);
    let mut extra = String::new();
    if let Some(ObjectView::List(list)) = keyspace.object(db, slot) {
        let nodes = list.chunk_count();
        let mut listpack = crate::rdb::listpack::Builder::new();
        let uncompressed: usize = list
            .chunks()
            .iter()
            .map(|chunk| {
                listpack.clear();
                chunk.iter().for_each(|entry| listpack.push(entry));
                listpack.finish().len()
            })
            .sum();
        extra = format!(
            " ql_nodes:{nodes} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{uncompressed}",
            list.len() as f64 / nodes as f64,
            ctx.server.config.list_max_listpack_size,
            (ctx.server.config.list_compress_depth != 0) as u8,
        );
    }
    let text = format!(
        "Value at:{:p} refcount:{refcount} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{extra}",
        record as *const _,
        keyspace.encoding_name(db, record),
        counter.written(),
        record.access(),
        idle_ms(record.access(), keyspace.lru_clock) / 1000,
    );
    ctx.reply.simple(text.as_bytes());
    Ok(())
}

/// `DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]`: save, empty the keyspace and load the file
/// back, each step optional as Redis's options say.
fn reload(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for option in args.from(2) {
        match option.to_ascii_lowercase().as_slice() {
            b"merge" => merge = true,
            b"noflush" => flush = false,
            b"nosave" => save = false,
            _ => {
                return Err(CmdError::new(
                    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                ));
            }
        }
    }
    if save && ctx.server.save_rdb().is_err() {
        return Err(CmdError::new("ERR"));
    }
    // Emptying the dataset takes the function libraries with it (`emptyData`).
    if flush {
        ctx.server.empty_data();
    }
    let mode = if merge {
        LoadMode::Merge
    } else {
        LoadMode::Strict
    };
    match ctx.server.load_rdb(mode) {
        Ok(Some(_)) => {
            tracing::warn!("DB reloaded by DEBUG RELOAD");
            ctx.reply.ok();
            Ok(())
        }
        Ok(None) => Err(CmdError::new("ERR Error trying to load the RDB dump")),
        Err(e) => {
            tracing::warn!("{e}");
            Err(CmdError::new("ERR Error trying to load the RDB dump"))
        }
    }
}

/// `DEBUG LOADAOF`: writes what is buffered, empties the keyspace and loads the AOF back.
/// A load that fails exits the server, as Redis's does: the dataset is gone.
fn loadaof(ctx: &mut Ctx) -> CmdResult {
    if ctx.server.aof.state != crate::server::aof::AofState::Off {
        ctx.server.flush_aof(true);
    }
    ctx.server.empty_data();
    let loaded = super::aof_load::AofLoad::begin(ctx.server).and_then(|(load, _)| {
        if let Some(mut load) = load {
            while !load.step(ctx.server, usize::MAX)? {}
        }
        Ok(())
    });
    if let Err(e) = loaded {
        tracing::error!("{e}");
        std::process::exit(1);
    }
    // What the load did is not a change to propagate or save.
    ctx.server.keyspace.stats.dirty = 0;
    tracing::warn!("Append Only File loaded by DEBUG LOADAOF");
    ctx.reply.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_like_c() {
        assert_eq!(atoi(b"0"), 0);
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b" 12abc"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"yes"), 0);
    }
}
