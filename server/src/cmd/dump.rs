//! `DUMP` and `RESTORE`: a value moved between servers as Redis's payload, the value in its
//! RDB encoding followed by the RDB version (2 bytes) and a CRC-64 (8 bytes), so payloads pass
//! between Redis 7.0 and zedis either way.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::config::notify::GENERIC;
use crate::db::Lookup;
use crate::rdb::load::{self, PayloadError};
use crate::rdb::save::Saver;
use crate::rdb::write::RdbWriter;
use crate::rdb::{CRC64, RDB_VERSION};

pub static COMMANDS: &[Command] = &[
    Command::new("dump", 2, READONLY, Group::Generic, dump)
        .doc("2.6.0", "Returns a serialized representation of the value stored at a key.", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).")
        .syntax("key"),
    Command::new("restore", -4, WRITE | DENYOOM, Group::Generic, restore)
        .doc("2.6.0", "Creates a key from the serialized representation of a value.", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).")
        .syntax("key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"),
];

/// The `DUMP` payload of the value in `slot` (`createDumpPayload`).
pub fn payload(ctx: &Ctx, db: usize, slot: crate::store::table::Slot) -> Vec<u8> {
    let keyspace = &ctx.server.keyspace;
    let mut saver = Saver::new(ctx.server.save_options());
    let mut w = RdbWriter::new(Vec::new(), false, ctx.server.config.rdbcompression);
    saver
        .value(&mut w, keyspace.record(db, slot), &keyspace.dbs[db].objects)
        .expect("writing to memory cannot fail");
    framed(w.into_inner())
}

/// A `DUMP` payload of `body`: the RDB version and a CRC-64 over both after it
/// (`createDumpPayload`, `functionDumpCommand`).
pub fn framed(mut body: Vec<u8>) -> Vec<u8> {
    body.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = CRC64.checksum(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

fn dump(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    match ctx.server.keyspace.lookup(db, args.get(1), Lookup::Read) {
        Some(slot) => {
            let bytes = payload(ctx, db, slot);
            ctx.reply.bulk(&bytes);
        }
        None => ctx.reply.null(),
    }
    Ok(())
}

/// `RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]`, checked in Redis's
/// order: options, an existing key, the TTL, the payload's footer, the value.
fn restore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut replace, mut absolute) = (false, false);
    let (mut idle, mut frequency): (Option<u64>, Option<u8>) = (None, None);
    let mut i = 4;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "REPLACE") {
            replace = true;
        } else if args.is(i, "ABSTTL") {
            absolute = true;
        } else if args.is(i, "IDLETIME") && more && frequency.is_none() {
            let v = args.i64(i + 1)?;
            if v < 0 {
                return Err(CmdError::new("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v as u64);
            i += 1;
        } else if args.is(i, "FREQ") && more && idle.is_none() {
            let v = args.i64(i + 1)?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::new(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            frequency = Some(v as u8);
            i += 1;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 1;
    }
    let db = ctx.client.db;
    let key = args.get(1);
    if !replace && ctx.server.keyspace.lookup(db, key, Lookup::Write).is_some() {
        return Err(CmdError::new("BUSYKEY Target key name already exists."));
    }
    let ttl = args.i64(2)?;
    if ttl < 0 {
        return Err(CmdError::new("ERR Invalid TTL value, must be >= 0"));
    }
    let payload = args.get(3);
    let bad_payload = |e| match e {
        PayloadError::VersionOrChecksum => {
            CmdError::new("ERR DUMP payload version or checksum are wrong")
        }
        PayloadError::BadFormat => CmdError::new("ERR Bad data format"),
    };
    load::verify_payload(payload).map_err(bad_payload)?;
    let value = load::payload_value(payload, &ctx.server.load_options()).map_err(bad_payload)?;
    let keyspace = &mut ctx.server.keyspace;
    let deleted =
        replace && keyspace.delete_key(db, key, ctx.server.config.lazyfree_lazy_server_del);
    let when = match (ttl, absolute) {
        (0, _) => None,
        (t, true) => Some(t as u64),
        (t, false) => Some(keyspace.now_ms.saturating_add(t as u64)),
    };
    if when.is_some_and(|t| keyspace.already_expired(t as i64)) {
        // Already expired: the key is gone, as if deleted.
        if deleted {
            keyspace.modified(db, key);
            keyspace.notify(GENERIC, "del", db, key);
            // Propagated as the deletion it amounts to.
            keyspace
                .propagation
                .rewrite_command([&b"DEL"[..], key].into_iter());
        }
        ctx.reply.ok();
        return Ok(());
    }
    load::insert(keyspace, db, key, value, when, idle, frequency)
        .map_err(|_| errors::OUT_OF_MEMORY)?;
    keyspace.modified(db, key);
    keyspace.notify(GENERIC, "restore", db, key);
    // A relative TTL is propagated as the absolute time it gave: the TTL argument replaced by
    // it and `ABSTTL` appended, as Redis does.
    if let Some(when) = when.filter(|_| !absolute)
        && keyspace.propagation.enabled()
    {
        let mut ms = itoa::Buffer::new();
        let ms = ms.format(when).as_bytes();
        let argv: Vec<&[u8]> = args
            .iter()
            .enumerate()
            .map(|(i, arg)| if i == 2 { ms } else { arg })
            .chain([&b"ABSTTL"[..]])
            .collect();
        keyspace.propagation.rewrite_command(argv.into_iter());
    }
    ctx.reply.ok();
    Ok(())
}

#[cfg(test)]
mod harness_tests {
    use crate::cmd::harness::Harness;
    use crate::config::{Config, DebugCommand, EvictionPolicy};

    fn with_debug() -> Harness {
        Harness::with_config(Config {
            enable_debug_command: DebugCommand::Yes,
            ..Config::default()
        })
    }

    /// The payload of a `$<len>\r\n<payload>\r\n` reply, quoted for a command line.
    fn quoted_payload(reply: &[u8]) -> String {
        let start = reply.iter().position(|&b| b == b'\n').expect("bulk") + 1;
        let payload = &reply[start..reply.len() - 2];
        let escaped: String = payload.iter().map(|b| format!("\\x{b:02x}")).collect();
        format!("\"{escaped}\"")
    }

    #[test]
    fn every_encoding_survives_dump_and_restore() {
        let mut h = with_debug();
        for i in 0..300 {
            h.run(&format!("HSET hash f{i} v{i}"));
            h.run(&format!("ZADD zset {i}.5 m{i}"));
            h.run(&format!("SADD strings s{i}"));
            h.run(&format!("SADD ints {}", i * 1000));
            h.run(&format!("RPUSH list item-{i}"));
        }
        h.run("HSET smallhash a 1");
        h.run("ZADD smallzset 1 a");
        h.run("SADD smallset a b");
        for key in [
            "hash",
            "zset",
            "strings",
            "ints",
            "list",
            "smallhash",
            "smallzset",
            "smallset",
        ] {
            let payload = quoted_payload(&h.run_bytes(&format!("DUMP {key}")));
            assert_eq!(h.run(&format!("RESTORE {key}:copy 0 {payload}")), "+OK\r\n");
            assert_eq!(
                h.run(&format!("DEBUG DIGEST-VALUE {key}:copy")),
                h.run(&format!("DEBUG DIGEST-VALUE {key}")),
                "{key}"
            );
            assert_eq!(
                h.run(&format!("OBJECT ENCODING {key}:copy")),
                h.run(&format!("OBJECT ENCODING {key}")),
                "{key}"
            );
        }
    }

    #[test]
    fn damaged_structures_inside_a_valid_payload_are_bad_data() {
        let mut h = Harness::new();
        // An intset whose members are out of order, with a correct checksum. Redis 7.0 accepts
        // it unless sanitize-dump-payload is on; zedis always checks.
        let unsorted = "\"\\x0b\\x0e\\x02\\x00\\x00\\x00\\x03\\x00\\x00\\x00\\x05\\x00\\x01\\x00\\x09\\x00\\x0a\\x00\\xd9\\x35\\xaa\\x6b\\x36\\x50\\x33\\x0c\"";
        assert_eq!(
            h.run(&format!("RESTORE k 0 {unsorted}")),
            "-ERR Bad data format\r\n"
        );
        assert_eq!(h.run("EXISTS k"), ":0\r\n");
    }

    #[test]
    fn freq_applies_under_an_lfu_policy_and_denyoom_refuses() {
        let mut h = Harness::with_config(Config {
            maxmemory_policy: EvictionPolicy::AllkeysLfu,
            ..Config::default()
        });
        h.server.sync_access_policy();
        let hello = "\"\\x00\\x05\\x68\\x65\\x6c\\x6c\\x6f\\x0a\\x00\\x63\\x72\\xdf\\x76\\x65\\x34\\x20\\x0a\"";
        assert_eq!(h.run(&format!("RESTORE k 0 {hello} FREQ 100")), "+OK\r\n");
        assert_eq!(h.run("OBJECT FREQ k"), ":100\r\n");
        let mut full = Harness::over_maxmemory();
        assert_eq!(
            full.run(&format!("RESTORE k 0 {hello}")),
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        );
    }

    #[test]
    fn restore_announces_new_and_restore_and_a_past_ttl_del() {
        let mut h = Harness::new();
        h.run("SET k v");
        let payload = quoted_payload(&h.run_bytes("DUMP k"));
        let watcher = h.watch_events("gn");
        h.run(&format!("RESTORE r 0 {payload}"));
        h.run(&format!("RESTORE r 0 {payload}"));
        h.run(&format!("RESTORE r 0 {payload} REPLACE"));
        h.run(&format!("RESTORE r 1 {payload} REPLACE ABSTTL"));
        h.run(&format!("RESTORE s 1 {payload} ABSTTL"));
        assert_eq!(
            h.events(watcher),
            ["new r", "restore r", "new r", "restore r", "del r"]
        );
    }

    #[test]
    fn reloading_a_dataset_announces_nothing() {
        // The reload saves and reads a file: in a directory of its own, not the working one.
        let dir = std::env::temp_dir().join(format!("zedis-notify-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut h = Harness::with_config(Config {
            enable_debug_command: DebugCommand::Yes,
            dir: dir.to_string_lossy().into_owned(),
            ..Config::default()
        });
        h.run("SET k v");
        h.run("RPUSH l a");
        let watcher = h.watch_events("A");
        assert_eq!(h.run("DEBUG RELOAD"), "+OK\r\n");
        assert!(h.events(watcher).is_empty());
        assert_eq!(h.run("DBSIZE"), ":2\r\n");
        std::fs::remove_dir_all(&dir).expect("the directory is removed");
    }
}

#[cfg(test)]
mod propagation {
    use crate::cmd::harness::Harness;
    use crate::cmd::keys::propagation_tests::{propagated, propagating, resp};

    /// The payload of `DUMP key`, raw and quoted for a command line.
    fn dumped(h: &mut Harness, key: &str) -> (Vec<u8>, String) {
        let reply = h.run_bytes(&format!("DUMP {key}"));
        let start = reply.iter().position(|&b| b == b'\n').expect("bulk") + 1;
        let payload = reply[start..reply.len() - 2].to_vec();
        let escaped: String = payload.iter().map(|b| format!("\\x{b:02x}")).collect();
        (payload, format!("\"{escaped}\""))
    }

    #[test]
    fn restore_propagates_a_relative_ttl_as_absolute() {
        let mut h = propagating();
        h.run("SET k v");
        propagated(&mut h);
        let (payload, quoted) = dumped(&mut h, "k");
        let payload = payload.as_slice();
        assert_eq!(h.run(&format!("RESTORE a 5000 {quoted}")), "+OK\r\n");
        let when = (h.server.keyspace.now_ms + 5000).to_string();
        assert_eq!(
            propagated(&mut h),
            resp(&[&b"RESTORE"[..], b"a", when.as_bytes(), payload, b"ABSTTL"])
        );
        assert_eq!(
            h.run(&format!("RESTORE a 100 {quoted} REPLACE IDLETIME 10")),
            "+OK\r\n"
        );
        let when = (h.server.keyspace.now_ms + 100).to_string();
        assert_eq!(
            propagated(&mut h),
            resp(&[
                &b"RESTORE"[..],
                b"a",
                when.as_bytes(),
                payload,
                b"REPLACE",
                b"IDLETIME",
                b"10",
                b"ABSTTL"
            ])
        );
        // No TTL, or an absolute one: as sent.
        assert_eq!(h.run(&format!("RESTORE b 0 {quoted}")), "+OK\r\n");
        assert_eq!(
            propagated(&mut h),
            resp(&[&b"RESTORE"[..], b"b", b"0", payload])
        );
        let at = (h.server.keyspace.now_ms + 9000).to_string();
        assert_eq!(h.run(&format!("RESTORE c {at} {quoted} ABSTTL")), "+OK\r\n");
        assert_eq!(
            propagated(&mut h),
            resp(&[&b"RESTORE"[..], b"c", at.as_bytes(), payload, b"ABSTTL"])
        );
        // Refused: nothing.
        assert_eq!(
            h.run(&format!("RESTORE c 0 {quoted}")),
            "-BUSYKEY Target key name already exists.\r\n"
        );
        assert_eq!(propagated(&mut h), "");
    }

    #[test]
    fn restore_already_expired_propagates_the_replaced_key_deletion() {
        let mut h = propagating();
        h.run("SET k v");
        propagated(&mut h);
        let (_, quoted) = dumped(&mut h, "k");
        assert_eq!(
            h.run(&format!("RESTORE k 1 {quoted} REPLACE ABSTTL")),
            "+OK\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["DEL", "k"]));
        // Nothing replaced: nothing.
        assert_eq!(
            h.run(&format!("RESTORE k 1 {quoted} REPLACE ABSTTL")),
            "+OK\r\n"
        );
        assert_eq!(h.run(&format!("RESTORE n 1 {quoted} ABSTTL")), "+OK\r\n");
        assert_eq!(propagated(&mut h), "");
    }
}
