//! The append-only file against Redis 7.0.15: the same commands append the same bytes to the
//! incremental file on both servers; each server loads the other's AOF directory (RDB-preamble
//! base and command base) to the same `DEBUG DIGEST`; `redis-check-aof` accepts what zedis
//! writes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use redis_tests::raw::RawConnection;
use redis_tests::servers::{RedisServer, Zedis, require_redis_tools};

fn call(conn: &mut RawConnection, args: &[&str]) -> String {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    String::from_utf8_lossy(&conn.call(&args)).into_owned()
}

/// Commands whose propagated form is deterministic (no relative times, no randomness), over
/// every family and the forms Redis rewrites.
const SCRIPT: &[&[&str]] = &[
    &["SET", "s", "v"],
    &["SET", "s", "v2", "GET"],
    &["SET", "s", "v3", "XX", "PXAT", "4102444800000"],
    &["SET", "nx", "v", "NX"],
    &["SET", "nx", "v", "NX"],
    &["SETNX", "nx", "v"],
    &["GETSET", "s", "g"],
    &["INCR", "n"],
    &["INCRBY", "n", "10"],
    &["INCRBYFLOAT", "f", "1.5"],
    &["INCRBYFLOAT", "f", "0.1"],
    &["APPEND", "s", "tail"],
    &["GETDEL", "nx"],
    &["MSET", "a", "1", "b", "2"],
    &["EXPIREAT", "a", "4102444800"],
    &["PEXPIREAT", "b", "4102444800000"],
    &["PERSIST", "b"],
    &["GETEX", "a", "PERSIST"],
    &["GETEX", "b", "EXAT", "4102444800"],
    &["EXPIREAT", "b", "1"],
    &["RPUSH", "l", "a", "b", "c", "d", "e"],
    &["LPOP", "l"],
    &["BLPOP", "l", "0"],
    &["BRPOP", "nolist", "l", "0"],
    &["LMPOP", "1", "l", "LEFT", "COUNT", "10"],
    &["RPUSH", "l", "x", "y"],
    &["BLMOVE", "l", "l2", "LEFT", "RIGHT", "0"],
    &["BRPOPLPUSH", "l", "l2", "0"],
    &["HSET", "h", "f", "v", "g", "1"],
    &["HINCRBYFLOAT", "h", "g", "2.5"],
    &["HDEL", "h", "f", "missing"],
    &["SADD", "set", "1", "2", "3"],
    &["SREM", "set", "2", "9"],
    &["SMOVE", "set", "set2", "3"],
    &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
    &["ZINCRBY", "z", "1.5", "a"],
    &["ZPOPMIN", "z"],
    &["BZPOPMAX", "z", "0"],
    &["ZMPOP", "1", "z", "MIN"],
    &["DEL", "missing"],
    &["RENAME", "s", "s2"],
    &["SELECT", "3"],
    &["SET", "db3", "v"],
    &["MULTI"],
    &["SET", "t1", "1"],
    &["SET", "t2", "2"],
    &["EXEC"],
    &["MULTI"],
    &["SET", "t3", "3"],
    &["GET", "t1"],
    &["EXEC"],
    &["MULTI"],
    &["GET", "t1"],
    &["EXEC"],
    &["FLUSHDB"],
    &["SELECT", "0"],
    &["SWAPDB", "0", "5"],
    &["FLUSHALL"],
];

/// The incremental file of an AOF started empty.
fn incr_file(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("appendonlydir").join("appendonly.aof.1.incr.aof"))
        .expect("the incremental file")
}

#[test]
fn the_same_commands_append_the_same_bytes() {
    require_redis_tools();
    let args = ["--appendonly", "yes", "--appendfsync", "always"];
    let redis = RedisServer::redis(&args);
    let zedis = Zedis::with_debug_command(&args);
    let mut r = RawConnection::connect(redis.port);
    let mut z = RawConnection::connect(zedis.port);
    for command in SCRIPT {
        let from_redis = call(&mut r, command);
        let from_zedis = call(&mut z, command);
        assert_eq!(from_zedis, from_redis, "{command:?}");
    }
    // `always`: both files hold everything acknowledged.
    let (redis_aof, zedis_aof) = (incr_file(redis.dir()), incr_file(zedis.dir()));
    assert!(redis_aof.len() > 500, "Redis appended the script");
    assert_eq!(
        String::from_utf8_lossy(&zedis_aof),
        String::from_utf8_lossy(&redis_aof)
    );
}

/// Keys of every type, in two databases, some with expire times; returns the digest.
fn populate(conn: &mut RawConnection) -> String {
    for db in ["0", "7"] {
        call(conn, &["SELECT", db]);
        call(conn, &["SET", "s", "value"]);
        call(conn, &["SET", "int", "12345"]);
        call(conn, &["SET", "ttl", "v", "PXAT", "4102444800000"]);
        call(
            conn,
            &["DEBUG", "POPULATE", "300", &format!("key{db}"), "20"],
        );
        let items: Vec<String> = (0..300).map(|i| format!("item-{i}")).collect();
        let mut rpush = vec!["RPUSH", "list"];
        rpush.extend(items.iter().map(String::as_str));
        call(conn, &rpush);
        call(conn, &["RPUSH", "small-list", "a", "1", "b"]);
        let mut hset = vec!["HSET", "big-hash"];
        for item in &items {
            hset.extend([item.as_str(), "v"]);
        }
        call(conn, &hset);
        call(conn, &["HSET", "hash", "f", "v", "n", "1"]);
        call(conn, &["SADD", "intset", "1", "2", "3"]);
        let mut sadd = vec!["SADD", "big-set"];
        sadd.extend(items.iter().map(String::as_str));
        call(conn, &sadd);
        call(conn, &["ZADD", "zset", "1.5", "a", "-inf", "b", "3", "c"]);
        let mut zadd = vec!["ZADD", "big-zset"];
        let scores: Vec<String> = (0..300).map(|i| format!("{}.25", i)).collect();
        for (score, item) in scores.iter().zip(&items) {
            zadd.extend([score.as_str(), item.as_str()]);
        }
        call(conn, &zadd);
    }
    call(conn, &["SELECT", "0"]);
    call(conn, &["FUNCTION", "LOAD", BASE_LIBRARY]);
    call(conn, &["DEBUG", "DIGEST"])
}

/// A function library loaded before the rewrite (in the base file) and one after it (in the
/// incremental file, as the `FUNCTION LOAD` command).
const BASE_LIBRARY: &str = "#!lua name=base\nredis.register_function('base_f', function(keys) return redis.call('get', keys[1]) end)";
const INCR_LIBRARY: &str = "#!lua name=incr\nredis.register_function{function_name='incr_f', callback=function() return 1 end, flags={'no-writes'}}";

/// The libraries a server holds and what one of them answers.
fn functions(conn: &mut RawConnection) -> Vec<String> {
    let mut out = vec![call(conn, &["FUNCTION", "STATS"])];
    for name in ["base", "incr"] {
        out.push(call(
            conn,
            &["FUNCTION", "LIST", "LIBRARYNAME", name, "WITHCODE"],
        ));
    }
    out.push(call(conn, &["FCALL", "base_f", "1", "s"]));
    out
}

fn wait_rewrite(conn: &mut RawConnection) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = call(conn, &["INFO", "persistence"]);
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0") {
            return;
        }
        assert!(Instant::now() < deadline, "the rewrite ends");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A copy of `from`'s AOF directory in a fresh directory.
fn copy_aof(from: &Path, name: &str) -> PathBuf {
    let to = std::env::temp_dir().join(format!("zedis-aof-copy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(to.join("appendonlydir")).unwrap();
    for entry in std::fs::read_dir(from.join("appendonlydir")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            to.join("appendonlydir").join(entry.file_name()),
        )
        .unwrap();
    }
    to
}

fn wait_loaded(conn: &mut RawConnection) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while call(conn, &["INFO", "persistence"]).contains("loading:1") {
        assert!(Instant::now() < deadline, "the AOF loads");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Writes a dataset through `writer` (a base file then writes after it), copies its AOF
/// directory, and checks that the other server loads it to the same digest.
fn moves_across(preamble: &str) {
    require_redis_tools();
    let args = [
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--aof-use-rdb-preamble",
        preamble,
    ];
    // zedis → Redis.
    let zedis = Zedis::with_debug_command(&args);
    let mut z = RawConnection::connect(zedis.port);
    populate(&mut z);
    assert!(call(&mut z, &["BGREWRITEAOF"]).starts_with("+Background append only file"));
    wait_rewrite(&mut z);
    call(&mut z, &["SET", "after-rewrite", "1"]);
    call(&mut z, &["FUNCTION", "LOAD", INCR_LIBRARY]);
    call(&mut z, &["SELECT", "7"]);
    call(&mut z, &["LPUSH", "list", "new"]);
    let digest = call(&mut z, &["DEBUG", "DIGEST"]);
    let libraries = functions(&mut z);
    let copy = copy_aof(zedis.dir(), &format!("z{preamble}"));
    let manifest = copy.join("appendonlydir").join("appendonly.aof.manifest");
    let check = Command::new("redis-check-aof")
        .arg(&manifest)
        .output()
        .expect("redis-check-aof runs");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{report}");
    assert!(
        report.contains("All AOF files and manifest are valid"),
        "{report}"
    );
    let copy_dir = copy.to_str().unwrap();
    let redis = RedisServer::redis(&[&args[..], &["--dir", copy_dir]].concat());
    let mut r = RawConnection::connect(redis.port);
    wait_loaded(&mut r);
    assert_eq!(
        call(&mut r, &["DEBUG", "DIGEST"]),
        digest,
        "Redis loads zedis's AOF"
    );
    assert_eq!(functions(&mut r), libraries, "with zedis's libraries");
    drop(redis);

    // Redis → zedis.
    let redis = RedisServer::redis(&args);
    let mut r = RawConnection::connect(redis.port);
    populate(&mut r);
    assert!(call(&mut r, &["BGREWRITEAOF"]).starts_with("+Background append only file"));
    wait_rewrite(&mut r);
    call(&mut r, &["SET", "after-rewrite", "1"]);
    call(&mut r, &["FUNCTION", "LOAD", INCR_LIBRARY]);
    call(&mut r, &["MULTI"]);
    call(&mut r, &["INCR", "counter"]);
    call(&mut r, &["SADD", "intset", "4"]);
    call(&mut r, &["EXEC"]);
    let digest = call(&mut r, &["DEBUG", "DIGEST"]);
    let libraries = functions(&mut r);
    // zedis runs in this process, whose working directory a `--dir` would move: Redis's
    // directory is copied into zedis's own and loaded with `DEBUG LOADAOF` (the loader a
    // start uses).
    let zedis = Zedis::with_debug_command(&[]);
    let from = copy_aof(redis.dir(), &format!("r{preamble}"));
    std::fs::rename(
        from.join("appendonlydir"),
        zedis.dir().join("appendonlydir"),
    )
    .unwrap();
    let mut z = RawConnection::connect(zedis.port);
    assert_eq!(call(&mut z, &["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(
        call(&mut z, &["DEBUG", "DIGEST"]),
        digest,
        "zedis loads Redis's AOF"
    );
    assert_eq!(functions(&mut z), libraries, "with Redis's libraries");
    drop(zedis);
    let _ = std::fs::remove_dir_all(&from);
    let _ = std::fs::remove_dir_all(&copy);
}

#[test]
fn each_server_loads_the_others_aof_with_an_rdb_base() {
    moves_across("yes");
}

#[test]
fn each_server_loads_the_others_aof_with_a_command_base() {
    moves_across("no");
}

/// An AOF written over time replays as it was written: a key whose expire time has passed
/// since is still there for the commands after it (Redis expires nothing while loading), so
/// `INCR` meets the old key and keeps its expire time, and the key is gone once loaded; a base
/// file's expired keys are loaded for the same reason.
#[test]
fn a_replay_meets_expired_keys_as_they_were() {
    require_redis_tools();
    let resp = |args: &[&str]| {
        let mut out = format!("*{}\r\n", args.len());
        for arg in args {
            out.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        out
    };
    let mut incr = String::new();
    for command in [
        &["SELECT", "0"][..],
        &["SET", "k", "1"],
        &["PEXPIREAT", "k", "1000"],
        &["INCR", "k"],
        &["SET", "alive", "1"],
        &["RPUSH", "l", "a"],
        &["PEXPIREAT", "l", "2000"],
        &["RPUSH", "l", "b"],
        &["LLEN", "l"],
        &["RPOPLPUSH", "l", "moved"],
    ] {
        incr.push_str(&resp(command));
    }
    let write_dir = |dir: &Path| {
        let aof = dir.join("appendonlydir");
        std::fs::create_dir_all(&aof).unwrap();
        std::fs::write(
            aof.join("appendonly.aof.manifest"),
            "file appendonly.aof.1.incr.aof seq 1 type i\n",
        )
        .unwrap();
        std::fs::write(aof.join("appendonly.aof.1.incr.aof"), &incr).unwrap();
    };
    let redis_dir = std::env::temp_dir().join(format!("zedis-aof-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&redis_dir);
    write_dir(&redis_dir);
    let redis = RedisServer::redis(&["--appendonly", "yes", "--dir", redis_dir.to_str().unwrap()]);
    let mut r = RawConnection::connect(redis.port);
    wait_loaded(&mut r);
    let zedis = Zedis::with_debug_command(&[]);
    write_dir(zedis.dir());
    let mut z = RawConnection::connect(zedis.port);
    assert_eq!(call(&mut z, &["DEBUG", "LOADAOF"]), "+OK\r\n");
    for keys in [&["k"][..], &["alive"], &["l"], &["moved"]] {
        let mut args = vec!["EXISTS"];
        args.extend_from_slice(keys);
        assert_eq!(call(&mut z, &args), call(&mut r, &args), "{keys:?}");
    }
    assert_eq!(call(&mut z, &["EXISTS", "k", "l"]), ":0\r\n");
    assert_eq!(
        call(&mut z, &["LRANGE", "moved", "0", "-1"]),
        "*1\r\n$1\r\nb\r\n"
    );
    assert_eq!(
        call(&mut z, &["DEBUG", "DIGEST"]),
        call(&mut r, &["DEBUG", "DIGEST"])
    );
    drop(redis);
    let _ = std::fs::remove_dir_all(&redis_dir);
}
