//! The append-only file across crashes: writers record every write the server acknowledged,
//! the server is killed with SIGKILL at a random moment, restarted on the same directory, and
//! every acknowledged write must be there (under `everysec`, only writes acknowledged in the
//! last two seconds before the kill may be missing). The same loop runs while a rewrite is in
//! progress. Also: a cut tail is loaded or refused as `aof-load-truncated` says, damage in
//! the middle stops the start with the file and offset, `DEBUG LOADAOF` reloads the same
//! dataset, and `CONFIG SET appendonly yes` writes a base file first.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Conn, Server};

/// Writer threads per round, and the requests each pipelines before reading replies.
const WRITERS: usize = 3;
const PIPELINE: usize = 16;

fn scratch_dir(name: &str) -> PathBuf {
    common::scratch_dir(&format!("aof-{name}"))
}

fn start(dir: &Path, fsync: &str, extra: &[&str]) -> Server {
    let mut args = vec![
        "--dir",
        dir.to_str().expect("utf-8 path"),
        "--appendonly",
        "yes",
        "--appendfsync",
        fsync,
        "--enable-debug-command",
        "yes",
    ];
    args.extend_from_slice(extra);
    let server = Server::start(&args);
    // The AOF loads while clients are answered: wait until it is in.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.info_field("persistence", "loading") == 1 {
        assert!(Instant::now() < deadline, "the AOF loads");
        std::thread::sleep(Duration::from_millis(5));
    }
    server
}

/// When each acknowledged write was acknowledged: key → (value, instant).
type Acknowledged = Arc<Mutex<HashMap<String, (u64, Instant)>>>;

/// Writes `SET w<writer>:<n> <round>` with pipelining until `stop`, recording each
/// acknowledged reply. Keys are reused across rounds so later rounds overwrite earlier ones.
fn writer(port: u16, writer: usize, round: u64, stop: Arc<AtomicBool>, acked: Acknowledged) {
    let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
    };
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let keys: Vec<String> = (0..PIPELINE)
            .map(|i| format!("w{writer}:{}", (n + i as u64) % 5000))
            .collect();
        let value = round.to_string();
        for key in &keys {
            conn.send(&[b"SET", key.as_bytes(), value.as_bytes()]);
        }
        for key in &keys {
            match conn.read_reply() {
                Some(reply) if reply == "+OK\r\n" => {
                    acked
                        .lock()
                        .unwrap()
                        .insert(key.clone(), (round, Instant::now()));
                }
                _ => return,
            }
        }
        n += PIPELINE as u64;
    }
}

/// Every acknowledged key holds its value (or, when `grace` is given, was acknowledged within
/// `grace` before `killed_at`); returns how many were checked and how many were missing.
fn check(
    server: &Server,
    acked: &Acknowledged,
    killed_at: Instant,
    grace: Option<Duration>,
) -> (usize, usize) {
    let acked = acked.lock().unwrap();
    let mut conn = server.connect();
    let mut missing = 0;
    let keys: Vec<(&String, &(u64, Instant))> = acked.iter().collect();
    for batch in keys.chunks(500) {
        let mut args: Vec<&[u8]> = vec![b"MGET"];
        args.extend(batch.iter().map(|(k, _)| k.as_bytes()));
        let reply = conn.call_bytes(&args);
        assert!(reply.starts_with('*'), "{reply}");
        let mut lines = reply.split("\r\n").skip(1);
        for (key, (round, when)) in batch {
            let header = lines.next().expect("a reply per key");
            let value = if header == "$-1" { None } else { lines.next() };
            // A later round may have overwritten the key after the acknowledgement recorded
            // here was made; the value is then at least as new.
            let ok = value
                .and_then(|v| v.parse::<u64>().ok())
                .is_some_and(|v| v >= *round);
            if !ok {
                let allowed = grace.is_some_and(|g| killed_at.duration_since(*when) < g);
                assert!(
                    allowed,
                    "acknowledged write {key} = {round} lost (found {value:?})"
                );
                missing += 1;
            }
        }
    }
    (acked.len(), missing)
}

/// Kills the server `kills` times at random moments while writers run, restarting it on the
/// same directory each time and checking every acknowledged write. With `rewrite`, each
/// round starts a slowed-down `BGREWRITEAOF` first so the kill lands during it.
fn kill_loop(name: &str, fsync: &str, kills: usize, rewrite: bool) {
    let dir = scratch_dir(name);
    let acked: Acknowledged = Arc::default();
    let mut rng = fastrand::Rng::with_seed(kills as u64 * 7 + fsync.len() as u64);
    let grace = (fsync == "everysec").then_some(Duration::from_secs(2));
    let mut checked = 0;
    let mut lost = 0;
    let extra: &[&str] = if rewrite {
        &["--rdb-key-save-delay", "200"]
    } else {
        &[]
    };
    let mut killed_at = Instant::now();
    for round in 1..=kills as u64 {
        let mut server = start(&dir, fsync, extra);
        // What the previous rounds acknowledged survived their kill.
        let (n, missing) = check(&server, &acked, killed_at, grace);
        checked += n;
        lost += missing;
        if rewrite {
            if round == 1 {
                // Enough keys that the slowed-down rewrite outlasts the round.
                server.connect().call(&["DEBUG", "POPULATE", "5000"]);
            }
            let reply = server.connect().call(&["BGREWRITEAOF"]);
            assert!(
                reply.starts_with("+Background append only file rewriting"),
                "{reply}"
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (stop, acked, port) = (Arc::clone(&stop), Arc::clone(&acked), server.port);
                std::thread::spawn(move || writer(port, w, round, stop, acked))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.u64(50..400)));
        if rewrite {
            assert_eq!(
                server.info_field("persistence", "aof_rewrite_in_progress"),
                1,
                "the kill lands during the rewrite"
            );
        }
        let _ = server.process.child.kill();
        killed_at = Instant::now();
        let _ = server.process.child.wait();
        stop.store(true, Ordering::Relaxed);
        for thread in threads {
            thread.join().expect("writer");
        }
    }
    let server = start(&dir, fsync, &[]);
    let (n, missing) = check(&server, &acked, killed_at, grace);
    checked += n;
    lost += missing;
    let acknowledged = acked.lock().unwrap().len();
    println!(
        "kill loop {name}: appendfsync {fsync}, {kills} kills, {acknowledged} keys acknowledged, \
         {checked} checks, {lost} lost"
    );
    assert!(acknowledged > 1000, "the writers wrote ({acknowledged})");
    if fsync == "always" {
        assert_eq!(lost, 0);
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_acknowledged_write_is_lost_with_appendfsync_always() {
    kill_loop("always", "always", 20, false);
}

#[test]
fn with_everysec_only_the_last_two_seconds_may_be_lost() {
    kill_loop("everysec", "everysec", 20, false);
}

#[test]
fn a_kill_during_a_rewrite_loses_nothing() {
    kill_loop("rewrite", "always", 10, true);
}

/// Runs the binary on `dir` until it exits (at most 10 s); returns its exit code and log.
fn run_to_exit(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zedis-server"))
        .args(["--port", &zedis_testkit::free_port().to_string()])
        .args(["--dir", dir.to_str().expect("utf-8 path")])
        .args(["--appendonly", "yes"])
        .args(extra)
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
            panic!("the server kept running on a damaged AOF");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writes a few keys through a server and stops it; returns the incremental file's path.
fn written_aof(dir: &Path) -> PathBuf {
    let server = start(dir, "always", &[]);
    let mut c = server.connect();
    for i in 0..10 {
        c.call(&["SET", &format!("k{i}"), &format!("v{i}")]);
    }
    c.call(&["MULTI"]);
    c.call(&["SET", "t1", "a"]);
    c.call(&["SET", "t2", "b"]);
    assert_eq!(c.call(&["EXEC"]), "*2\r\n+OK\r\n+OK\r\n");
    drop(server);
    dir.join("appendonlydir").join("appendonly.aof.1.incr.aof")
}

#[test]
fn a_cut_tail_loads_or_stops_the_start_as_aof_load_truncated_says() {
    let dir = scratch_dir("truncated");
    let incr = written_aof(&dir);
    let whole = std::fs::read(&incr).unwrap();
    // Cut inside the transaction's second SET: the whole transaction goes.
    let cut = whole.len() - 20;
    std::fs::write(&incr, &whole[..cut]).unwrap();
    let (code, log) = run_to_exit(&dir, &["--aof-load-truncated", "no", "--save", ""]);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("appendonly.aof.1.incr.aof"), "{log}");
    assert!(log.contains("Unexpected end of file"), "{log}");
    assert_eq!(
        std::fs::read(&incr).unwrap().len(),
        cut,
        "the file is left alone"
    );

    let server = start(&dir, "always", &[]);
    let mut c = server.connect();
    assert_eq!(c.call(&["GET", "k9"]), "$2\r\nv9\r\n");
    assert_eq!(
        c.call(&["EXISTS", "t1", "t2"]),
        ":0\r\n",
        "no half transaction"
    );
    let len = std::fs::read(&incr).unwrap().len();
    assert!(
        len < cut,
        "cut back to the last complete command before MULTI"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damage_in_the_middle_stops_the_start_naming_file_and_offset() {
    let dir = scratch_dir("damaged");
    let incr = written_aof(&dir);
    let mut bytes = std::fs::read(&incr).unwrap();
    let at = bytes.len() / 2;
    bytes[at..at + 4].copy_from_slice(b"!!!!");
    std::fs::write(&incr, &bytes).unwrap();
    let (code, log) = run_to_exit(&dir, &["--save", ""]);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("appendonly.aof.1.incr.aof"), "{log}");
    assert!(log.contains("offset"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debug_loadaof_and_restarts_give_back_the_same_dataset() {
    let dir = scratch_dir("loadaof");
    let server = start(&dir, "everysec", &[]);
    let mut c = server.connect();
    c.call(&["RPUSH", "l", "a", "b", "c"]);
    c.call(&["HSET", "h", "f", "v", "g", "w"]);
    c.call(&["SADD", "s", "1", "2", "x"]);
    c.call(&["ZADD", "z", "1.5", "m", "-inf", "n"]);
    c.call(&["SET", "ttl", "v", "EX", "1000"]);
    c.call(&["INCRBYFLOAT", "f", "1.5"]);
    c.call(&["SELECT", "5"]);
    c.call(&["SET", "other", "db"]);
    let digest = c.call(&["DEBUG", "DIGEST"]);
    assert_eq!(c.call(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), digest);
    assert_eq!(
        c.call(&["BGREWRITEAOF"]),
        "+Background append only file rewriting started\r\n"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.info_field("persistence", "aof_rewrite_in_progress") == 1 {
        assert!(Instant::now() < deadline, "the rewrite ends");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.info_field("persistence", "aof_rewrites"), 1);
    c.call(&["SET", "after", "rewrite"]);
    let digest = c.call(&["DEBUG", "DIGEST"]);
    drop(c);
    drop(server);
    let server = start(&dir, "everysec", &[]);
    assert_eq!(server.connect().call(&["DEBUG", "DIGEST"]), digest);
    let manifest =
        std::fs::read_to_string(dir.join("appendonlydir").join("appendonly.aof.manifest")).unwrap();
    assert_eq!(
        manifest,
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
        "the old base and incremental file went to history and were deleted"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_set_appendonly_yes_writes_a_base_first() {
    let dir = scratch_dir("config-set");
    let server = Server::start(&[
        "--dir",
        dir.to_str().unwrap(),
        "--enable-debug-command",
        "yes",
    ]);
    let mut c = server.connect();
    for i in 0..100 {
        c.call(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(c.call(&["CONFIG", "SET", "appendonly", "yes"]), "+OK\r\n");
    c.call(&["SET", "during", "v"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.info_field("persistence", "aof_rewrite_in_progress") == 1 {
        assert!(Instant::now() < deadline, "the first rewrite ends");
        std::thread::sleep(Duration::from_millis(10));
    }
    c.call(&["SET", "after", "v"]);
    let digest = c.call(&["DEBUG", "DIGEST"]);
    assert_eq!(c.call(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), digest);
    assert_eq!(c.call(&["DBSIZE"]), ":102\r\n");
    assert_eq!(c.call(&["CONFIG", "SET", "appendonly", "no"]), "+OK\r\n");
    assert_eq!(server.info_field("persistence", "aof_enabled"), 0);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_aof_is_rewritten_by_itself_when_it_has_grown_enough() {
    let dir = scratch_dir("auto");
    let server = start(
        &dir,
        "everysec",
        &[
            "--auto-aof-rewrite-min-size",
            "64kb",
            "--auto-aof-rewrite-percentage",
            "100",
        ],
    );
    let mut c = server.connect();
    assert_eq!(server.info_field("persistence", "aof_rewrites"), 0);
    let value = "v".repeat(1000);
    for i in 0..200 {
        c.call(&["SET", &format!("k{}", i % 10), &value]);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.info_field("persistence", "aof_rewrites") == 0 {
        assert!(Instant::now() < deadline, "an automatic rewrite ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The rewrite made the AOF as small as its 10 keys: no second rewrite follows.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.info_field("persistence", "aof_rewrites"), 1);
    assert!(server.info_field("persistence", "aof_current_size") < 64 * 1024);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn timestamp_annotations_are_written_and_skipped_on_load() {
    let dir = scratch_dir("timestamps");
    let server = start(&dir, "always", &["--aof-timestamp-enabled", "yes"]);
    let mut c = server.connect();
    c.call(&["SET", "a", "1"]);
    drop(c);
    drop(server);
    let incr = std::fs::read_to_string(dir.join("appendonlydir").join("appendonly.aof.1.incr.aof"))
        .unwrap();
    assert!(incr.starts_with("#TS:"), "{incr:?}");
    let first = incr.lines().next().unwrap();
    let stamp: u64 = first["#TS:".len()..].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(stamp) < 60, "{stamp} is the time of the write");
    assert!(
        incr.ends_with("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"),
        "{incr:?}"
    );
    let server = start(&dir, "always", &[]);
    assert_eq!(server.connect().call(&["GET", "a"]), "$1\r\n1\r\n");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
