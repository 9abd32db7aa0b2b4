//! The RDB file across restarts of the binary: what `SAVE` and `SHUTDOWN SAVE` write is what
//! the next start loads; a damaged file stops the start with a message naming the file and
//! the offset, serving nothing; a save that fails leaves the previous file as it was.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Server;

fn scratch_dir(name: &str) -> PathBuf {
    common::scratch_dir(&format!("persist-{name}"))
}

fn start_in(dir: &Path) -> Server {
    Server::start(&[
        "--dir",
        dir.to_str().expect("utf-8 path"),
        "--enable-debug-command",
        "yes",
    ])
}

/// Keys of each type, one with an expire time; returns the dataset's digest.
fn populate(server: &Server) -> String {
    let mut c = server.connect();
    c.call(&["SET", "s", "value"]);
    c.call(&["SET", "n", "42"]);
    c.call(&["RPUSH", "l", "a", "b", "c"]);
    c.call(&["HSET", "h", "f", "v"]);
    c.call(&["SADD", "set", "1", "2", "x"]);
    c.call(&["ZADD", "z", "1.5", "m"]);
    c.call(&["SELECT", "9"]);
    c.call(&["SET", "other-db", "v"]);
    c.call(&["PEXPIREAT", "other-db", "4102444800000"]);
    c.call(&["DEBUG", "DIGEST"])
}

/// Runs the binary until it exits (at most 10 s); returns its exit code and log.
fn run_to_exit(dir: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zedis-server"))
        .args(["--port", &zedis_testkit::free_port().to_string()])
        .args(["--dir", dir.to_str().expect("utf-8 path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let output = child.wait_with_output().expect("output");
            return (
                status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server kept running on a damaged file");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a server that was told to shut down; it must exit with status 0.
fn wait_exit(server: &mut Server) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.process.child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            return;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn what_save_writes_the_next_start_loads() {
    let dir = scratch_dir("restart");
    let server = start_in(&dir);
    let digest = populate(&server);
    let mut c = server.connect();
    assert_eq!(c.call(&["SAVE"]), "+OK\r\n");
    assert_eq!(
        server.info_field("persistence", "rdb_changes_since_last_save"),
        0
    );
    assert_eq!(server.info_field("persistence", "rdb_saves"), 1);
    let lastsave = c.call(&["LASTSAVE"]);
    assert_eq!(
        lastsave
            .trim_start_matches(':')
            .trim_end()
            .parse::<i64>()
            .ok(),
        Some(server.info_field("persistence", "rdb_last_save_time"))
    );
    drop(c);
    drop(server);

    let server = start_in(&dir);
    let mut c = server.connect();
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), digest);
    assert_eq!(
        server.info_field("persistence", "rdb_last_load_keys_loaded"),
        7
    );
    c.call(&["SELECT", "9"]);
    assert_eq!(c.call(&["PEXPIRETIME", "other-db"]), ":4102444800000\r\n");
    drop(c);
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn shutdown_save_writes_the_file_and_nosave_does_not() {
    let dir = scratch_dir("shutdown");
    let server = start_in(&dir);
    let digest = populate(&server);
    let mut c = server.connect();
    c.send(&[b"SHUTDOWN", b"SAVE"]);
    assert_eq!(c.read_reply(), None, "SHUTDOWN closes without a reply");
    let mut server = server;
    wait_exit(&mut server);
    assert!(
        dir.join("dump.rdb").exists(),
        "no dump.rdb after SHUTDOWN SAVE"
    );
    drop(server);
    let server = start_in(&dir);
    assert_eq!(server.connect().call(&["DEBUG", "DIGEST"]), digest);
    let mut c = server.connect();
    c.call(&["SET", "after", "restart"]);
    c.send(&[b"SHUTDOWN", b"NOSAVE"]);
    assert_eq!(c.read_reply(), None);
    let mut server = server;
    wait_exit(&mut server);
    drop(server);
    let server = start_in(&dir);
    assert_eq!(server.connect().call(&["EXISTS", "after"]), ":0\r\n");
    // A shutdown during a background save abandons it and removes its temporary file.
    let mut c = server.connect();
    c.call(&["CONFIG", "SET", "rdb-key-save-delay", "100000"]);
    assert_eq!(c.call(&["BGSAVE"]), "+Background saving started\r\n");
    c.send(&[b"SHUTDOWN", b"NOSAVE"]);
    assert_eq!(c.read_reply(), None);
    let mut server = server;
    wait_exit(&mut server);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn a_damaged_file_stops_the_start_naming_file_and_offset() {
    let dir = scratch_dir("damaged");
    let server = start_in(&dir);
    populate(&server);
    assert_eq!(server.connect().call(&["SAVE"]), "+OK\r\n");
    drop(server);
    let path = dir.join("dump.rdb");
    let good = std::fs::read(&path).expect("the saved file");

    let truncated = &good[..good.len() / 2];
    std::fs::write(&path, truncated).expect("write");
    let (code, log) = run_to_exit(&dir);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("dump.rdb"), "{log}");
    assert!(
        log.contains(&format!(
            "unexpected end of file at offset {}",
            truncated.len()
        )),
        "{log}"
    );

    // One flipped byte inside a value: only the checksum can tell.
    let mut flipped = good.clone();
    let at = flipped
        .windows(5)
        .position(|w| w == b"value")
        .expect("the string value");
    flipped[at] = b'V';
    std::fs::write(&path, &flipped).expect("write");
    let (code, log) = run_to_exit(&dir);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("Wrong RDB checksum"), "{log}");

    let mut bad_magic = good.clone();
    bad_magic[..5].copy_from_slice(b"RUBIS");
    std::fs::write(&path, &bad_magic).expect("write");
    let (code, log) = run_to_exit(&dir);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("Wrong signature"), "{log}");

    // The intact file still loads.
    std::fs::write(&path, &good).expect("write");
    let server = start_in(&dir);
    assert!(server.alive());
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Polls `INFO persistence` until no background save runs (at most 30 s).
fn wait_for_background_save(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.info_field("persistence", "rdb_bgsave_in_progress") != 0 {
        assert!(Instant::now() < deadline, "the background save did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_failed_save_keeps_the_previous_file_and_a_failed_bgsave_stops_writes() {
    let dir = scratch_dir("failed");
    let server = Server::start(&[
        "--dir",
        dir.to_str().expect("utf-8 path"),
        "--save",
        "3600 1",
    ]);
    let mut c = server.connect();
    c.call(&["SET", "k", "first"]);
    assert_eq!(c.call(&["SAVE"]), "+OK\r\n");
    let path = dir.join("dump.rdb");
    let first = std::fs::read(&path).expect("the first save");

    // A directory where a temporary file must go makes the next save fail. A failed SAVE
    // leaves the status alone, as in Redis.
    let pid = server.process.pid();
    let blocker = dir.join(format!("temp-{pid}.rdb"));
    std::fs::create_dir(&blocker).expect("blocker");
    c.call(&["SET", "k", "second"]);
    assert_eq!(c.call(&["SAVE"]), "-ERR\r\n");
    assert_eq!(std::fs::read(&path).expect("still there"), first);
    assert_eq!(
        server.info_field("persistence", "rdb_changes_since_last_save"),
        1
    );
    let status = c.call(&["INFO", "persistence"]);
    assert!(status.contains("rdb_last_bgsave_status:ok"), "{status}");
    std::fs::remove_dir(&blocker).expect("unblock");

    // A failed BGSAVE: the old file stays, writes (and PING) get MISCONF, reads go on.
    let blocker = dir.join(format!("temp-bgsave-{pid}.rdb"));
    std::fs::create_dir(&blocker).expect("blocker");
    assert_eq!(c.call(&["BGSAVE"]), "+Background saving started\r\n");
    wait_for_background_save(&server);
    let status = c.call(&["INFO", "persistence"]);
    assert!(status.contains("rdb_last_bgsave_status:err"), "{status}");
    assert_eq!(std::fs::read(&path).expect("still there"), first);
    assert!(c.call(&["SET", "k", "third"]).starts_with("-MISCONF "));
    assert!(c.call(&["PING"]).starts_with("-MISCONF "));
    assert_eq!(c.call(&["GET", "k"]), "$6\r\nsecond\r\n");
    // Without save points the error does not stop writes.
    c.call(&["CONFIG", "SET", "save", ""]);
    assert_eq!(c.call(&["SET", "k", "third"]), "+OK\r\n");
    c.call(&["CONFIG", "SET", "save", "3600 1"]);
    assert!(c.call(&["SET", "k", "fourth"]).starts_with("-MISCONF "));

    std::fs::remove_dir(&blocker).expect("unblock");
    assert_eq!(c.call(&["BGSAVE"]), "+Background saving started\r\n");
    wait_for_background_save(&server);
    let status = c.call(&["INFO", "persistence"]);
    assert!(status.contains("rdb_last_bgsave_status:ok"), "{status}");
    assert_eq!(c.call(&["SET", "k", "fifth"]), "+OK\r\n");
    assert_ne!(std::fs::read(&path).expect("the new file"), first);
    drop(c);
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// The key and expire counts of the first `RESIZEDB` after `SELECTDB db` in an RDB file
/// (lengths below 2^14, as these tests write).
fn resizedb(file: &[u8], db: u8) -> Option<(u64, u64)> {
    let mut pos = file.windows(3).position(|w| w == [0xfe, db, 0xfb])? + 3;
    let mut length = || {
        let first = file[pos];
        match first >> 6 {
            0 => {
                pos += 1;
                (first & 0x3f) as u64
            }
            1 => {
                pos += 2;
                (((first & 0x3f) as u64) << 8) | file[pos - 1] as u64
            }
            _ => panic!("a length of 2^14 or more"),
        }
    };
    let keys = length();
    Some((keys, length()))
}

/// A background save writes the dataset as it was when it began, whatever commands change
/// meanwhile: overwritten, deleted, expired-set and new keys, collections grown and shrunk.
#[test]
fn a_background_save_is_a_point_in_time_snapshot() {
    let dir = scratch_dir("snapshot");
    let server = start_in(&dir);
    let mut c = server.connect();
    for i in 0..400 {
        c.call(&["SET", &format!("s{i}"), &format!("v{i}")]);
    }
    for i in 0..300 {
        c.call(&["RPUSH", "list", &i.to_string()]);
        c.call(&["HSET", "hash", &format!("f{i}"), "x"]);
        c.call(&["ZADD", "zset", &i.to_string(), &format!("m{i}")]);
        c.call(&["SADD", "set", &format!("e{i}")]);
    }
    c.call(&["SELECT", "5"]);
    c.call(&["SET", "other", "db5"]);
    c.call(&["SELECT", "0"]);
    let before = c.call(&["DEBUG", "DIGEST"]);
    // Slow the walk down (1 ms per key) so the changes below land while it runs.
    c.call(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
    assert_eq!(c.call(&["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(
        c.call(&["BGSAVE"]),
        "-ERR Background save already in progress\r\n"
    );
    assert_eq!(
        c.call(&["SAVE"]),
        "-ERR Background save already in progress\r\n"
    );
    for i in (0..400).step_by(3) {
        c.call(&["SET", &format!("s{i}"), "changed"]);
        c.call(&["DEL", &format!("s{}", i + 1)]);
        c.call(&["SET", &format!("new{i}"), "x"]);
    }
    c.call(&["RPUSH", "list", "more"]);
    c.call(&["LPOP", "list", "100"]);
    c.call(&["HDEL", "hash", "f1", "f2"]);
    c.call(&["ZADD", "zset", "-1", "first"]);
    c.call(&["SREM", "set", "e5"]);
    c.call(&["EXPIRE", "s399", "1000"]);
    c.call(&["SELECT", "5"]);
    c.call(&["DEL", "other"]);
    c.call(&["SELECT", "0"]);
    let info = c.call(&["INFO", "persistence"]);
    assert!(
        info.contains("rdb_bgsave_in_progress:1"),
        "the save ended too soon: {info}"
    );
    assert_ne!(c.call(&["DEBUG", "DIGEST"]), before);
    c.call(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    wait_for_background_save(&server);
    let status = c.call(&["INFO", "persistence"]);
    assert!(status.contains("rdb_last_bgsave_status:ok"), "{status}");
    // Each database's section starts with its size when the save began, as Redis writes it
    // (a loader sizes its table once from it).
    let file = std::fs::read(dir.join("dump.rdb")).expect("dump.rdb");
    assert_eq!(resizedb(&file, 0), Some((404, 0)));
    assert_eq!(resizedb(&file, 5), Some((1, 0)));
    // The file holds the dataset of the moment BGSAVE was sent.
    assert_eq!(c.call(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), before);
    // And a second save after it starts from a clean state.
    c.call(&["SET", "after", "1"]);
    let second = c.call(&["DEBUG", "DIGEST"]);
    assert_eq!(c.call(&["BGSAVE"]), "+Background saving started\r\n");
    wait_for_background_save(&server);
    assert_eq!(c.call(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), second);
    // FLUSHALL abandons a running save (as Redis kills its child): the file stays as the last
    // completed save left it.
    c.call(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
    assert_eq!(c.call(&["BGSAVE"]), "+Background saving started\r\n");
    assert_eq!(c.call(&["FLUSHALL"]), "+OK\r\n");
    assert_eq!(
        server.info_field("persistence", "rdb_bgsave_in_progress"),
        0
    );
    c.call(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    assert_eq!(c.call(&["DEBUG", "RELOAD", "NOSAVE"]), "+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), second);
    drop(c);
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn save_points_start_background_saves() {
    let dir = scratch_dir("savepoints");
    let server = Server::start(&["--dir", dir.to_str().expect("utf-8 path"), "--save", "1 2"]);
    let mut c = server.connect();
    assert_eq!(
        c.call(&["CONFIG", "GET", "save"]),
        "*2\r\n$4\r\nsave\r\n$3\r\n1 2\r\n"
    );
    c.call(&["SET", "a", "1"]);
    std::thread::sleep(Duration::from_millis(2500));
    // One change is below the save point's two.
    assert_eq!(server.info_field("persistence", "rdb_saves"), 0);
    c.call(&["SET", "b", "2"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.info_field("persistence", "rdb_saves") == 0 {
        assert!(
            Instant::now() < deadline,
            "no background save from the save point"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_for_background_save(&server);
    assert_eq!(
        server.info_field("persistence", "rdb_changes_since_last_save"),
        0
    );
    assert!(dir.join("dump.rdb").exists());
    drop(c);
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// The value of `field` in `INFO persistence` text.
fn persistence_field(info: &str, field: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_string())
}

#[test]
fn a_start_answers_while_it_loads_and_serves_the_data_once_loaded() {
    let dir = scratch_dir("loading");
    let server = start_in(&dir);
    let mut c = server.connect();
    assert_eq!(c.call(&["DEBUG", "POPULATE", "2000"]), "+OK\r\n");
    assert_eq!(c.call(&["SAVE"]), "+OK\r\n");
    drop(c);
    drop(server);
    let file = std::fs::read(dir.join("dump.rdb")).expect("the dump");

    // 1 ms per key: the load takes about 2 s, key by key.
    let server = Server::start(&[
        "--dir",
        dir.to_str().expect("utf-8 path"),
        "--key-load-delay",
        "1000",
    ]);
    let mut c = server.connect();
    assert_eq!(
        c.call(&["GET", "key:1"]),
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert_eq!(
        c.call(&["PING"]),
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    // A command that needs the data is refused as it is queued, so EXEC aborts.
    assert_eq!(c.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(
        c.call(&["DBSIZE"]),
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert_eq!(
        c.call(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    let info = c.call(&["INFO", "persistence"]);
    assert_eq!(persistence_field(&info, "loading").as_deref(), Some("1"));
    assert_eq!(
        persistence_field(&info, "loading_total_bytes"),
        Some(file.len().to_string())
    );
    let loaded: u64 = persistence_field(&info, "loading_loaded_bytes")
        .and_then(|v| v.parse().ok())
        .expect("loading_loaded_bytes");
    assert!(loaded > 0 && loaded < file.len() as u64, "{info}");
    let percent: f64 = persistence_field(&info, "loading_loaded_perc")
        .and_then(|v| v.parse().ok())
        .expect("loading_loaded_perc");
    assert!(percent > 0.0 && percent < 100.0, "{info}");
    assert!(persistence_field(&info, "loading_eta_seconds").is_some());
    assert!(persistence_field(&info, "loading_start_time").is_some());

    // Once loaded: every key, and the loading fields gone.
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.call(&["PING"]) != "+PONG\r\n" {
        assert!(Instant::now() < deadline, "the load did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(c.call(&["DBSIZE"]), ":2000\r\n");
    let info = c.call(&["INFO", "persistence"]);
    assert_eq!(persistence_field(&info, "loading").as_deref(), Some("0"));
    assert_eq!(persistence_field(&info, "loading_total_bytes"), None);
    drop(c);
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn shutdown_during_a_load_never_saves_the_half_loaded_dataset() {
    let dir = scratch_dir("loading-shutdown");
    let server = start_in(&dir);
    let mut c = server.connect();
    assert_eq!(c.call(&["DEBUG", "POPULATE", "1000"]), "+OK\r\n");
    assert_eq!(c.call(&["SAVE"]), "+OK\r\n");
    drop(c);
    drop(server);
    let file = std::fs::read(dir.join("dump.rdb")).expect("the dump");

    // Save points are set, so a SHUTDOWN would save, but not during the load.
    let mut server = Server::start(&[
        "--dir",
        dir.to_str().expect("utf-8 path"),
        "--key-load-delay",
        "2000",
        "--save",
        "1 1",
    ]);
    let mut c = server.connect();
    assert_eq!(
        persistence_field(&c.call(&["INFO", "persistence"]), "loading").as_deref(),
        Some("1")
    );
    c.send(&[b"SHUTDOWN"]);
    assert_eq!(c.read_to_close(), "");
    wait_exit(&mut server);
    assert_eq!(std::fs::read(dir.join("dump.rdb")).expect("the dump"), file);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// A full disk, as a file-size limit set on the running server (`prlimit`): the save fails,
/// the previous file stays whole and no temporary file is left; writes get `MISCONF` until a
/// save succeeds again.
#[test]
fn a_save_that_runs_out_of_space_keeps_the_previous_file() {
    let dir = scratch_dir("full");
    let server = Server::start(&[
        "--dir",
        dir.to_str().expect("utf-8 path"),
        "--save",
        "3600 1",
        "--enable-debug-command",
        "yes",
    ]);
    let mut c = server.connect();
    c.call(&["SET", "k", "first"]);
    assert_eq!(c.call(&["SAVE"]), "+OK\r\n");
    let path = dir.join("dump.rdb");
    let first = std::fs::read(&path).expect("the first save");
    // About 10 MB of data against a 1 MiB limit.
    assert_eq!(
        c.call(&["DEBUG", "POPULATE", "100000", "key", "100"]),
        "+OK\r\n"
    );
    let pid = server.process.pid().to_string();
    // The soft limit only, so it can be raised again.
    let limit = |size: &str| {
        let status = Command::new("prlimit")
            .args(["--pid", &pid, &format!("--fsize={size}:")])
            .status()
            .expect("prlimit runs");
        assert!(status.success(), "prlimit: {status}");
    };
    limit("1048576");

    assert_eq!(c.call(&["BGSAVE"]), "+Background saving started\r\n");
    wait_for_background_save(&server);
    let status = c.call(&["INFO", "persistence"]);
    assert!(status.contains("rdb_last_bgsave_status:err"), "{status}");
    assert_eq!(std::fs::read(&path).expect("still there"), first);
    assert!(c.call(&["SET", "k", "second"]).starts_with("-MISCONF "));
    assert_eq!(c.call(&["SAVE"]), "-ERR\r\n");
    assert_eq!(std::fs::read(&path).expect("still there"), first);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .filter(|name| name != "dump.rdb")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Still serving reads.
    assert_eq!(c.call(&["GET", "k"]), "$5\r\nfirst\r\n");

    // Space again: the next save succeeds and writes are accepted.
    limit("unlimited");
    assert_eq!(c.call(&["BGSAVE"]), "+Background saving started\r\n");
    wait_for_background_save(&server);
    let status = c.call(&["INFO", "persistence"]);
    assert!(status.contains("rdb_last_bgsave_status:ok"), "{status}");
    assert_eq!(c.call(&["SET", "k", "second"]), "+OK\r\n");
    assert!(std::fs::metadata(&path).expect("the new file").len() > 1 << 20);
    drop(c);
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
