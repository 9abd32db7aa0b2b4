//! The RDB file across restarts of the binary: what `SAVE` and `SHUTDOWN SAVE` write is what
//! the next start loads; a damaged file stops the start with a message naming the file and
//! the offset, serving nothing; a save that fails leaves the previous file as it was.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Server;

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zedis-persist-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
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
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let output = child.wait_with_output().expect("output");
            return (
                status.code(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
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

#[test]
fn a_failed_save_keeps_the_previous_file() {
    let dir = scratch_dir("failed");
    let server = start_in(&dir);
    let mut c = server.connect();
    c.call(&["SET", "k", "first"]);
    assert_eq!(c.call(&["SAVE"]), "+OK\r\n");
    let path = dir.join("dump.rdb");
    let first = std::fs::read(&path).expect("the first save");

    // A directory where the temporary file must go makes the next save fail.
    let blocker = dir.join(format!("temp-{}.rdb", server.process.pid()));
    std::fs::create_dir(&blocker).expect("blocker");
    c.call(&["SET", "k", "second"]);
    assert_eq!(c.call(&["SAVE"]), "-ERR\r\n");
    let status = c.call(&["INFO", "persistence"]);
    assert!(status.contains("rdb_last_bgsave_status:err"), "{status}");
    assert_eq!(std::fs::read(&path).expect("still there"), first);
    assert_eq!(
        server.info_field("persistence", "rdb_changes_since_last_save"),
        1
    );

    std::fs::remove_dir(&blocker).expect("unblock");
    assert_eq!(c.call(&["SAVE"]), "+OK\r\n");
    let status = c.call(&["INFO", "persistence"]);
    assert!(status.contains("rdb_last_bgsave_status:ok"), "{status}");
    assert_ne!(std::fs::read(&path).expect("the new file"), first);
    drop(c);
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
