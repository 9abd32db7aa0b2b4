//! RDB files move both ways between zedis and Redis 7.0.15: a dataset with every type and
//! encoding, in several databases, with expire times, is saved by one server and loaded by
//! the other, then compared key by key (type, value digest, expire time, encoding where the
//! two servers share it) and by `DEBUG DIGEST`, and so are the function libraries saved
//! beside them. `redis-check-rdb` must accept every file zedis writes, and a value `DUMP`ed by
//! Redis must match the bytes zedis writes for it.

use std::path::Path;
use std::process::Command;

use redis_tests::raw::RawConnection;
use redis_tests::servers::{RedisServer, Zedis};

fn call(conn: &mut RawConnection, args: &[&str]) -> Vec<u8> {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    conn.call(&args)
}

fn ok(conn: &mut RawConnection, args: &[&str]) {
    let reply = call(conn, args);
    assert!(
        !reply.starts_with(b"-"),
        "{args:?}: {}",
        String::from_utf8_lossy(&reply)
    );
}

/// Keys of every type and encoding: (db, key) pairs, created by commands so both servers
/// hold the same data.
fn populate(conn: &mut RawConnection) -> Vec<(usize, String)> {
    let mut keys = Vec::new();
    let mut rng = fastrand::Rng::with_seed(7);
    ok(conn, &["SELECT", "0"]);
    let strings: Vec<(&str, String)> = vec![
        ("str:int", "12345".into()),
        ("str:neg", "-7".into()),
        ("str:i64", "9223372036854775807".into()),
        ("str:wide", "12345678901234567890".into()),
        ("str:zero-led", "0123".into()),
        ("str:empty", String::new()),
        ("str:short", "hello world".into()),
        ("str:lzf", "abcabcabc".repeat(40)),
        (
            "str:noise",
            (0..300).map(|_| rng.alphanumeric()).collect::<String>(),
        ),
        ("str:big", "z".repeat(70_000)),
    ];
    for (key, value) in &strings {
        ok(conn, &["SET", key, value]);
        keys.push((0, key.to_string()));
    }
    // Strings around LZF's thresholds: lengths 19 to 2000, from highly to barely
    // compressible, so the choice between LZF and plain and the compressed bytes are compared.
    for i in 0..60 {
        let len = [19, 20, 21, 22, 25, 30, 40, 64, 100, 500, 2000][i % 11];
        let alphabet = [1u8, 2, 4, 8, 26][i % 5];
        let value: String = (0..len)
            .map(|_| (b'a' + rng.u8(0..alphabet)) as char)
            .collect();
        let key = format!("str:lzf:{i}");
        ok(conn, &["SET", &key, &value]);
        keys.push((0, key));
    }
    // Lists: small, many nodes with mixed entries, integers.
    ok(conn, &["RPUSH", "list:small", "a", "b", "c"]);
    for i in 0..2000 {
        let item = match i % 4 {
            0 => i.to_string(),
            1 => format!("item-{i}"),
            2 => "y".repeat(i % 300),
            _ => (-(i as i64) * 100_000).to_string(),
        };
        ok(conn, &["RPUSH", "list:big", &item]);
    }
    ok(
        conn,
        &[
            "LPUSH",
            "list:ints",
            "1",
            "-1",
            "300",
            "70000",
            "5000000000",
        ],
    );
    // Hashes: listpack, hashtable by count, hashtable by value length.
    ok(
        conn,
        &["HSET", "hash:small", "a", "1", "b", "two", "c", "-3"],
    );
    for i in 0..600 {
        ok(
            conn,
            &["HSET", "hash:big", &format!("f{i}"), &format!("v{}", i * 7)],
        );
    }
    ok(conn, &["HSET", "hash:longvalue", "k", &"L".repeat(100)]);
    // Sets: intset, intset too big, small strings, many strings.
    ok(
        conn,
        &["SADD", "set:ints", "5", "-20", "70000", "3000000000"],
    );
    for i in 0..600 {
        ok(conn, &["SADD", "set:bigints", &(i * 3).to_string()]);
    }
    ok(conn, &["SADD", "set:strings", "x", "y", "z"]);
    for i in 0..300 {
        ok(conn, &["SADD", "set:bigstrings", &format!("member-{i}")]);
    }
    // Sorted sets: listpack with integer, fractional and infinite scores; skiplist.
    ok(
        conn,
        &[
            "ZADD",
            "zset:small",
            "1",
            "one",
            "2.5",
            "two-and-half",
            "-0",
            "zero",
            "inf",
            "top",
            "-inf",
            "bottom",
            "1e20",
            "huge",
            "0.1",
            "tenth",
        ],
    );
    for i in 0..300 {
        ok(
            conn,
            &[
                "ZADD",
                "zset:big",
                &format!("{}.25", i % 50),
                &format!("m{i}"),
            ],
        );
    }
    ok(conn, &["ZADD", "zset:longmember", "3", &"M".repeat(100)]);
    for key in [
        "list:small",
        "list:big",
        "list:ints",
        "hash:small",
        "hash:big",
        "hash:longvalue",
        "set:ints",
        "set:bigints",
        "set:strings",
        "set:bigstrings",
        "zset:small",
        "zset:big",
        "zset:longmember",
    ] {
        keys.push((0, key.to_string()));
    }
    // Expire times, far in the future so no key expires during the test.
    ok(conn, &["PEXPIREAT", "str:short", "4102444800123"]);
    ok(conn, &["PEXPIREAT", "hash:big", "4102444800456"]);
    ok(conn, &["PEXPIREAT", "zset:small", "4102444800789"]);
    // Other databases.
    for db in [3usize, 15] {
        ok(conn, &["SELECT", &db.to_string()]);
        ok(conn, &["SET", "same-name", &format!("in db {db}")]);
        ok(conn, &["RPUSH", "db-list", &db.to_string()]);
        keys.push((db, "same-name".into()));
        keys.push((db, "db-list".into()));
    }
    ok(conn, &["SELECT", "0"]);
    keys
}

/// Two function libraries, which an RDB file carries before the databases.
const LIBRARIES: [&str; 2] = [
    "#!lua name=counters\nredis.register_function{function_name='bump', callback=function(keys, \
     args) return redis.call('incrby', keys[1], args[1]) end, description='adds'}",
    "#!lua name=readers\nredis.register_function{function_name='peek', callback=function(keys) \
     return redis.call('get', keys[1]) end, flags={'no-writes', 'allow-stale'}}",
];

fn load_libraries(conn: &mut RawConnection) {
    for code in LIBRARIES {
        ok(conn, &["FUNCTION", "LOAD", code]);
    }
}

/// The libraries a server holds, each as `FUNCTION LIST` gives it with its code, and what
/// calling their functions gives.
fn describe_functions(conn: &mut RawConnection) -> Vec<String> {
    let mut out = vec![String::from_utf8_lossy(&call(conn, &["FUNCTION", "STATS"])).into_owned()];
    for name in ["counters", "readers"] {
        let list = call(conn, &["FUNCTION", "LIST", "LIBRARYNAME", name, "WITHCODE"]);
        out.push(String::from_utf8_lossy(&list).into_owned());
    }
    out.push(String::from_utf8_lossy(&call(conn, &["FCALL", "peek", "1", "str:int"])).into_owned());
    out
}

/// What each key looks like on a server: type, value digest, expire time, encoding (sets of
/// strings left out: Redis 7.0 has no listpack set, zedis keeps small ones packed).
fn describe(conn: &mut RawConnection, keys: &[(usize, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (db, key) in keys {
        call(conn, &["SELECT", &db.to_string()]);
        let mut line = format!("{db} {key}");
        for command in ["TYPE", "PEXPIRETIME"] {
            let reply = call(conn, &[command, key]);
            line += &format!(" {command}={}", String::from_utf8_lossy(&reply).trim_end());
        }
        let digest = call(conn, &["DEBUG", "DIGEST-VALUE", key]);
        line += &format!(" digest={}", String::from_utf8_lossy(&digest).trim_end());
        if key != "set:strings" {
            let encoding = call(conn, &["OBJECT", "ENCODING", key]);
            line += &format!(" enc={}", String::from_utf8_lossy(&encoding).trim_end());
        }
        out.push(line);
    }
    call(conn, &["SELECT", "0"]);
    out
}

fn dataset_digest(conn: &mut RawConnection) -> String {
    String::from_utf8_lossy(&call(conn, &["DEBUG", "DIGEST"])).into_owned()
}

fn check_rdb(path: &Path) {
    let output = Command::new("redis-check-rdb")
        .arg(path)
        .output()
        .expect("redis-check-rdb runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && text.contains("RDB looks OK!"),
        "redis-check-rdb refused {}:\n{text}{}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zedis-rdb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn a_file_zedis_saves_loads_in_redis_with_the_same_data() {
    let zedis = Zedis::with_debug_command(&[]);
    let mut z = RawConnection::connect(zedis.port);
    let keys = populate(&mut z);
    load_libraries(&mut z);
    assert_eq!(call(&mut z, &["SAVE"]), b"+OK\r\n");
    let file = zedis.dir().join("dump.rdb");
    check_rdb(&file);

    let dir = scratch_dir("to-redis");
    std::fs::copy(&file, dir.join("dump.rdb")).expect("copy");
    let redis = RedisServer::redis(&["--dir", dir.to_str().expect("utf-8 path")]);
    let mut r = RawConnection::connect(redis.port);
    let loaded = String::from_utf8_lossy(&call(&mut r, &["INFO", "persistence"])).into_owned();
    assert!(
        loaded.contains(&format!("rdb_last_load_keys_loaded:{}", keys.len())),
        "{loaded}"
    );
    assert_eq!(describe(&mut r, &keys), describe(&mut z, &keys));
    assert_eq!(dataset_digest(&mut r), dataset_digest(&mut z));
    assert_eq!(describe_functions(&mut r), describe_functions(&mut z));
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_redis_saves_loads_in_zedis_with_the_same_data() {
    let redis = RedisServer::redis(&[]);
    let mut r = RawConnection::connect(redis.port);
    let keys = populate(&mut r);
    load_libraries(&mut r);
    assert_eq!(call(&mut r, &["SAVE"]), b"+OK\r\n");

    let zedis = Zedis::with_debug_command(&[]);
    let mut z = RawConnection::connect(zedis.port);
    std::fs::copy(redis.dir().join("dump.rdb"), zedis.dir().join("dump.rdb")).expect("copy");
    assert_eq!(call(&mut z, &["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
    let info = String::from_utf8_lossy(&call(&mut z, &["INFO", "persistence"])).into_owned();
    assert!(
        info.contains(&format!("rdb_last_load_keys_loaded:{}", keys.len())),
        "{info}"
    );
    assert_eq!(describe(&mut z, &keys), describe(&mut r, &keys));
    assert_eq!(dataset_digest(&mut z), dataset_digest(&mut r));
    assert_eq!(describe_functions(&mut z), describe_functions(&mut r));

    // And back: what zedis saves of Redis's data passes redis-check-rdb.
    assert_eq!(call(&mut z, &["SAVE"]), b"+OK\r\n");
    check_rdb(&zedis.dir().join("dump.rdb"));
}

/// Byte-for-byte: the value part of Redis's `DUMP` payload (type byte and encoding, before the
/// version and checksum) is what zedis writes for the same value, for every key whose
/// encoding the two servers share and whose iteration order is fixed.
#[test]
fn values_serialize_to_the_bytes_redis_dumps() {
    let redis = RedisServer::redis(&[]);
    let mut r = RawConnection::connect(redis.port);
    let zedis = Zedis::with_debug_command(&[]);
    let mut z = RawConnection::connect(zedis.port);
    let keys = populate(&mut r);
    populate(&mut z);
    assert_eq!(call(&mut z, &["SAVE"]), b"+OK\r\n");
    let file = std::fs::read(zedis.dir().join("dump.rdb")).expect("zedis's file");
    // Ordered values: strings, packed hashes and sorted sets, intsets. (Lists are quicklists
    // whose node boundaries differ; hashtables iterate in table order.)
    let ordered = [
        "str:int",
        "str:neg",
        "str:i64",
        "str:wide",
        "str:zero-led",
        "str:empty",
        "str:short",
        "str:lzf",
        "str:noise",
        "str:big",
        "hash:small",
        "set:ints",
        "zset:small",
        "zset:longmember",
    ];
    let lzf_keys = keys
        .iter()
        .map(|(_, k)| k.as_str())
        .filter(|k| k.starts_with("str:lzf:"));
    for key in ordered.into_iter().chain(lzf_keys) {
        assert!(keys.iter().any(|(_, k)| k == key));
        let dump = call(&mut r, &["DUMP", key]);
        // `$<len>\r\n<payload>\r\n`; the payload ends with 2 bytes of version, 8 of CRC.
        let start = dump.iter().position(|&b| b == b'\n').expect("bulk header") + 1;
        let payload = &dump[start..dump.len() - 2];
        let value = &payload[..payload.len() - 10];
        // In the file the key sits between the type byte and the value.
        let mut key_bytes = Vec::new();
        key_bytes.push(key.len() as u8);
        key_bytes.extend_from_slice(key.as_bytes());
        let mut expected = vec![value[0]];
        expected.extend_from_slice(&key_bytes);
        expected.extend_from_slice(&value[1..]);
        assert!(
            file.windows(expected.len())
                .any(|w| w == expected.as_slice()),
            "{key}: Redis's encoding {:02x?} is not in zedis's file",
            &value[..value.len().min(64)]
        );
    }
}

/// Restores every key's `DUMP` payload from `from` on `to` under another name and compares
/// the value digests.
fn restore_all(
    from: &mut RawConnection,
    to: &mut RawConnection,
    keys: &[(usize, String)],
    direction: &str,
) {
    for (db, key) in keys {
        let db = db.to_string();
        call(from, &["SELECT", &db]);
        call(to, &["SELECT", &db]);
        let dump = from.call(&[b"DUMP", key.as_bytes()]);
        let start = dump.iter().position(|&b| b == b'\n').expect("bulk header") + 1;
        let payload = &dump[start..dump.len() - 2];
        let copy = format!("{key}:copy");
        // The expire time goes along (value digests include whether a key expires).
        let expire = String::from_utf8_lossy(&call(from, &["PEXPIRETIME", key]))
            .trim_start_matches(':')
            .trim_end()
            .parse::<i64>()
            .expect("PEXPIRETIME");
        let ttl = expire.max(0).to_string();
        let mut restore: Vec<&[u8]> = vec![b"RESTORE", copy.as_bytes(), ttl.as_bytes(), payload];
        if expire > 0 {
            restore.push(b"ABSTTL");
        }
        let reply = to.call(&restore);
        assert_eq!(reply, b"+OK\r\n", "{direction}: {key}");
        assert_eq!(
            call(to, &["DEBUG", "DIGEST-VALUE", &copy]),
            call(from, &["DEBUG", "DIGEST-VALUE", key]),
            "{direction}: {key}"
        );
        call(to, &["DEL", &copy]);
    }
    call(from, &["SELECT", "0"]);
    call(to, &["SELECT", "0"]);
}

/// Every key's `DUMP` payload restores on the other server with the same value digest, in
/// both directions.
#[test]
fn dump_payloads_restore_on_the_other_server() {
    let redis = RedisServer::redis(&[]);
    let mut r = RawConnection::connect(redis.port);
    let zedis = Zedis::with_debug_command(&[]);
    let mut z = RawConnection::connect(zedis.port);
    let keys = populate(&mut r);
    populate(&mut z);
    restore_all(&mut r, &mut z, &keys, "Redis to zedis");
    restore_all(&mut z, &mut r, &keys, "zedis to Redis");
}

/// `MIGRATE` from Redis and from zedis, the same commands to the same kind of target: the
/// replies match, the keys arrive with their values, and leave the source unless `COPY`.
#[test]
fn migrate_moves_keys_as_redis_does() {
    let target = RedisServer::redis(&["--requirepass", "secret"]);
    let zedis_target = Zedis::with_debug_command(&["--requirepass", "secret"]);
    let redis = RedisServer::redis(&[]);
    let zedis = Zedis::with_debug_command(&[]);
    let mut sources = [
        ("Redis", RawConnection::connect(redis.port), "1"),
        ("zedis", RawConnection::connect(zedis.port), "2"),
    ];
    let mut checks = [
        RawConnection::connect(target.port),
        RawConnection::connect(zedis_target.port),
    ];
    for check in checks.iter_mut() {
        call(check, &["AUTH", "secret"]);
    }
    for (target_port, check) in [target.port, zedis_target.port]
        .into_iter()
        .zip(checks.iter_mut())
    {
        let port = target_port.to_string();
        let mut replies: Vec<Vec<String>> = Vec::new();
        for (name, conn, db) in sources.iter_mut() {
            call(conn, &["FLUSHALL"]);
            populate(conn);
            let digests: Vec<Vec<u8>> = ["str:lzf", "hash:big", "zset:small", "list:big"]
                .iter()
                .map(|k| call(conn, &["DEBUG", "DIGEST-VALUE", k]))
                .collect();
            let mut run = |args: &[&str]| String::from_utf8_lossy(&call(conn, args)).into_owned();
            let host = "127.0.0.1";
            let got = vec![
                run(&[
                    "MIGRATE", host, &port, "str:lzf", db, "5000", "AUTH", "secret",
                ]),
                run(&[
                    "MIGRATE",
                    host,
                    &port,
                    "",
                    db,
                    "5000",
                    "AUTH2",
                    "default",
                    "secret",
                    "KEYS",
                    "hash:big",
                    "zset:small",
                    "nosuch",
                ]),
                run(&[
                    "MIGRATE", host, &port, "list:big", db, "5000", "COPY", "AUTH", "secret",
                ]),
                run(&["EXISTS", "str:lzf", "hash:big", "zset:small", "list:big"]),
                // Already there: the target's BUSYKEY comes back; REPLACE overwrites.
                run(&[
                    "MIGRATE", host, &port, "list:big", db, "5000", "COPY", "AUTH", "secret",
                ]),
                run(&[
                    "MIGRATE", host, &port, "list:big", db, "5000", "REPLACE", "AUTH", "secret",
                ]),
                run(&["EXISTS", "list:big"]),
                run(&[
                    "MIGRATE", host, &port, "nosuch", db, "5000", "AUTH", "secret",
                ]),
                run(&[
                    "MIGRATE", host, &port, "str:int", db, "5000", "AUTH", "wrong",
                ]),
                run(&["MIGRATE", host, &port, "str:int", db, "5000"]),
                run(&["MIGRATE", host, &port, "str:int", db, "5000", "KEYS", "x"]),
                run(&["MIGRATE", host, &port, "str:int", db, "5000", "AUTH"]),
                run(&["MIGRATE", host, &port, "str:int", db, "abc"]),
                run(&["MIGRATE", host, "1", "str:int", db, "500"]),
            ];
            // The values arrived intact.
            call(check, &["SELECT", db]);
            for (k, digest) in ["str:lzf", "hash:big", "zset:small", "list:big"]
                .iter()
                .zip(&digests)
            {
                assert_eq!(
                    &call(check, &["DEBUG", "DIGEST-VALUE", k]),
                    digest,
                    "{name} → {target_port}: {k}"
                );
            }
            replies.push(got);
        }
        assert_eq!(replies[0], replies[1], "MIGRATE replies to {target_port}");
        assert_eq!(replies[0][0], "+OK\r\n");
        assert_eq!(replies[0][3], ":1\r\n");
        assert_eq!(replies[0][7], "+NOKEY\r\n");
    }
}

/// `DEBUG OBJECT`'s fields other than the address and the clock: encoding, reference count
/// and the value's serialized length, for values whose encoding the servers share.
#[test]
fn debug_object_reports_redis_s_serialized_length() {
    let redis = RedisServer::redis(&[]);
    let mut r = RawConnection::connect(redis.port);
    let zedis = Zedis::with_debug_command(&[]);
    let mut z = RawConnection::connect(zedis.port);
    populate(&mut r);
    populate(&mut z);
    let fields = |conn: &mut RawConnection, key: &str| -> Vec<String> {
        let text = String::from_utf8_lossy(&call(conn, &["DEBUG", "OBJECT", key])).into_owned();
        text.trim_end()
            .split(' ')
            .filter(|f| {
                [
                    "refcount:",
                    "encoding:",
                    "serializedlength:",
                    "ql_nodes:",
                    "ql_avg_node:",
                ]
                .iter()
                .any(|p| f.starts_with(p))
            })
            .map(str::to_string)
            .collect()
    };
    for key in [
        "str:int",
        "str:neg",
        "str:i64",
        "str:wide",
        "str:empty",
        "str:short",
        "str:lzf",
        "str:big",
        "hash:small",
        "set:ints",
        "zset:small",
        "list:small",
        "list:ints",
    ] {
        let expected = fields(&mut r, key);
        assert!(expected.len() >= 3, "{key}: {expected:?}");
        assert_eq!(fields(&mut z, key), expected, "{key}");
    }
    assert_eq!(
        call(&mut z, &["DEBUG", "OBJECT", "nosuch"]),
        call(&mut r, &["DEBUG", "OBJECT", "nosuch"])
    );
}
