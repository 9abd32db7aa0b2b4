//! The real `redis-cli` against zedis: `INFO memory` fields in Redis's order, `--bigkeys`,
//! `--memkeys`, `--stat` and `--lru-test` (bounded) running cleanly, and the interactive
//! hints, which `redis-cli` builds from `COMMAND DOCS`.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use redis_protocol::resp2::decode::decode;
use redis_protocol::resp2::types::OwnedFrame;
use redis_tests::raw::RawConnection;
use redis_tests::servers::{RedisServer, Zedis};

fn redis_cli(port: u16, args: &[&str]) -> std::process::Output {
    Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs")
}

/// Runs a never-ending `redis-cli` mode for `duration`, then stops it; returns its output.
/// `stdbuf` makes its stdout line-buffered, so nothing is lost in a buffer when it is killed.
fn redis_cli_for(port: u16, args: &[&str], duration: Duration) -> String {
    let mut child = Command::new("stdbuf")
        .args(["-oL", "redis-cli", "-p", &port.to_string()])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("redis-cli runs");
    std::thread::sleep(duration);
    let _ = child.kill();
    let output = child.wait_with_output().expect("output");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text
}

fn field_names(info: &str) -> Vec<String> {
    info.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split(':').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn info_memory_has_every_field_in_order() {
    let redis = RedisServer::redis(&[]);
    let zedis = Zedis::with_debug_command(&[]);
    let expected = String::from_utf8(redis_cli(redis.port, &["INFO", "memory"]).stdout).unwrap();
    let actual = String::from_utf8(redis_cli(zedis.port, &["INFO", "memory"]).stdout).unwrap();
    let expected = field_names(&expected);
    assert_eq!(expected.len(), 51, "Redis 7.0.15 prints 51 fields");
    assert_eq!(field_names(&actual), expected);
}

/// Loads the same keys into a server: one clearly biggest key of each type.
fn load_keys(port: u16) {
    let mut connection = RawConnection::connect(port);
    for i in 0..50 {
        let n = i.to_string();
        connection.call(&[b"SET", format!("string:{n}").as_bytes(), n.as_bytes()]);
        connection.call(&[b"RPUSH", b"list:small", n.as_bytes()]);
    }
    let big = vec![b'x'; 10_000];
    connection.call(&[b"SET", b"string:big", &big]);
    for i in 0..1000 {
        let member = format!("member:{i}");
        connection.call(&[b"RPUSH", b"list:big", member.as_bytes()]);
        connection.call(&[b"HSET", b"hash:big", member.as_bytes(), b"v"]);
        connection.call(&[b"SADD", b"set:big", member.as_bytes()]);
        connection.call(&[b"ZADD", b"zset:big", b"1", member.as_bytes()]);
    }
    connection.call(&[b"HSET", b"hash:small", b"f", b"v"]);
    connection.call(&[b"SADD", b"set:small", b"m"]);
    connection.call(&[b"ZADD", b"zset:small", b"1", b"m"]);
}

/// The "Biggest <type> found '<key>'" lines of a `--bigkeys`/`--memkeys` report.
fn biggest(report: &str) -> Vec<String> {
    let mut lines: Vec<String> = report
        .lines()
        .filter(|l| l.starts_with("Biggest"))
        .map(|l| l.split(" has ").next().unwrap_or(l).to_string())
        .collect();
    lines.sort();
    lines
}

#[test]
fn bigkeys_and_memkeys_find_the_same_keys_as_on_redis() {
    let redis = RedisServer::redis(&[]);
    let zedis = Zedis::with_debug_command(&[]);
    load_keys(redis.port);
    load_keys(zedis.port);
    for mode in ["--bigkeys", "--memkeys"] {
        let expected = redis_cli(redis.port, &[mode]);
        let actual = redis_cli(zedis.port, &[mode]);
        assert!(actual.status.success(), "{mode}: {actual:?}");
        let expected = String::from_utf8_lossy(&expected.stdout).into_owned();
        let actual = String::from_utf8_lossy(&actual.stdout).into_owned();
        assert_eq!(biggest(&actual), biggest(&expected), "{mode}:\n{actual}");
        assert_eq!(biggest(&actual).len(), 5, "{mode}:\n{actual}");
        assert!(
            actual.contains("Sampled 59 keys in the keyspace!"),
            "{mode}:\n{actual}"
        );
        assert!(!actual.contains("ERR"), "{mode}:\n{actual}");
    }
}

#[test]
fn stat_prints_lines_of_numbers() {
    let zedis = Zedis::with_debug_command(&[]);
    load_keys(zedis.port);
    let output = redis_cli_for(
        zedis.port,
        &["--stat", "-i", "0.2"],
        Duration::from_millis(1200),
    );
    let lines: Vec<&str> = output.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("keys") && l.contains("mem")),
        "{output}"
    );
    // Each sample line starts with the key count: 59 keys loaded.
    let samples: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.trim_start().starts_with("59 "))
        .collect();
    assert!(samples.len() >= 3, "{output}");
    assert!(!output.contains("ERR"), "{output}");
}

#[test]
fn lru_test_runs_against_a_maxmemory_server() {
    let zedis =
        Zedis::with_debug_command(&["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"]);
    let output = redis_cli_for(
        zedis.port,
        &["--lru-test", "20000"],
        Duration::from_millis(2500),
    );
    let reports: Vec<&str> = output.lines().filter(|l| l.contains("Gets/sec")).collect();
    assert!(!reports.is_empty(), "{output}");
    for report in &reports {
        assert!(
            report.contains("Hits:") && report.contains("Misses:"),
            "{report}"
        );
    }
    assert!(!output.contains("ERR"), "{output}");
}

/// Reads a whole RESP2 reply from a connection's call.
fn frame(bytes: &[u8]) -> OwnedFrame {
    decode(bytes).expect("valid RESP").expect("complete").0
}

fn text(frame: &OwnedFrame) -> String {
    match frame {
        OwnedFrame::BulkString(b) | OwnedFrame::SimpleString(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        other => panic!("not a string: {other:?}"),
    }
}

fn pairs(frame: &OwnedFrame) -> Vec<(String, &OwnedFrame)> {
    match frame {
        OwnedFrame::Array(items) => items
            .chunks(2)
            .map(|pair| (text(&pair[0]), &pair[1]))
            .collect(),
        other => panic!("not a map: {other:?}"),
    }
}

/// `redis-cli`'s rendering of one argument (`cliAddArgument`).
fn render_argument(arg: &OwnedFrame) -> String {
    let (mut name, mut kind, mut token) = (String::new(), String::new(), String::new());
    let (mut optional, mut multiple, mut multiple_token) = (false, false, false);
    let mut children: Vec<String> = Vec::new();
    for (key, value) in pairs(arg) {
        match key.as_str() {
            "name" => name = text(value),
            "type" => kind = text(value),
            "token" => token = text(value),
            "flags" => {
                if let OwnedFrame::Array(flags) = value {
                    for flag in flags {
                        match text(flag).as_str() {
                            "optional" => optional = true,
                            "multiple" => multiple = true,
                            "multiple_token" => multiple_token = true,
                            _ => {}
                        }
                    }
                }
            }
            "arguments" => {
                if let OwnedFrame::Array(args) = value {
                    children = args.iter().map(render_argument).collect();
                }
            }
            _ => {}
        }
    }
    let repeat = match kind.as_str() {
        "oneof" => children.join("|"),
        "block" => children.join(" "),
        "pure-token" => String::new(),
        _ => name,
    };
    if !token.is_empty() && kind != "pure-token" {
        token.push(' ');
    }
    let mut out = String::new();
    if optional {
        out.push('[');
    }
    out.push_str(&token);
    out.push_str(&repeat);
    if multiple {
        out.push_str(" [");
        if multiple_token {
            out.push_str(&token);
        }
        out.push_str(&repeat);
        out.push_str(" ...]");
    }
    if optional {
        out.push(']');
    }
    out
}

/// Every command's (and subcommand's) hint as `redis-cli` would show it.
fn hints(port: u16) -> BTreeMap<String, String> {
    let mut connection = RawConnection::connect(port);
    let docs = frame(&connection.call(&[b"COMMAND", b"DOCS"]));
    let mut out = BTreeMap::new();
    fn collect(name: String, spec: &OwnedFrame, out: &mut BTreeMap<String, String>) {
        let mut hint = String::new();
        for (key, value) in pairs(spec) {
            if key == "arguments"
                && let OwnedFrame::Array(args) = value
            {
                hint = args
                    .iter()
                    .map(render_argument)
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            if key == "subcommands" {
                for (sub, sub_spec) in pairs(value) {
                    collect(sub, sub_spec, out);
                }
            }
        }
        out.insert(name, hint);
    }
    for (name, spec) in pairs(&docs) {
        collect(name, spec, &mut out);
    }
    out
}

#[test]
fn command_docs_give_redis_cli_the_same_hints() {
    let redis = RedisServer::redis(&[]);
    let zedis = Zedis::with_debug_command(&[]);
    let expected = hints(redis.port);
    let actual = hints(zedis.port);
    let mut differences = Vec::new();
    for (name, hint) in &actual {
        // CLIENT SETINFO is Redis 7.2's: nothing to compare with.
        let Some(reference) = expected.get(name) else {
            assert_eq!(name, "client|setinfo", "Redis 7.0 has no command {name}");
            continue;
        };
        if hint != reference {
            differences.push(format!("{name}:\n  redis: {reference}\n  zedis: {hint}"));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Types `typed` into an interactive `redis-cli` on a pseudo-terminal and returns what it
/// drew, answering its cursor-position queries as a 200-column terminal would.
fn interactive(port: u16, typed: &str) -> String {
    use std::io::{Read, Write};
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let slave = std::fs::File::from(pty.slave);
    let mut child = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .env("TERM", "xterm")
        .stdin(slave.try_clone().expect("dup"))
        .stdout(slave.try_clone().expect("dup"))
        .stderr(slave)
        .spawn()
        .expect("redis-cli runs");
    let mut master = std::fs::File::from(pty.master);
    let flags = nix::fcntl::fcntl(&master, nix::fcntl::FcntlArg::F_GETFL).expect("flags");
    nix::fcntl::fcntl(
        &master,
        nix::fcntl::FcntlArg::F_SETFL(
            nix::fcntl::OFlag::from_bits_truncate(flags) | nix::fcntl::OFlag::O_NONBLOCK,
        ),
    )
    .expect("non-blocking");
    let pump = |master: &mut std::fs::File, millis: u64| -> String {
        let mut drawn = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_millis(millis);
        let mut buf = [0u8; 4096];
        while std::time::Instant::now() < deadline {
            match master.read(&mut buf) {
                Ok(n) if n > 0 => {
                    let chunk = &buf[..n];
                    for _ in 0..chunk.windows(4).filter(|w| w == b"\x1b[6n").count() {
                        master.write_all(b"\x1b[1;200R").expect("answer");
                    }
                    drawn.extend_from_slice(chunk);
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        String::from_utf8_lossy(&drawn).into_owned()
    };
    pump(&mut master, 500);
    master.write_all(typed.as_bytes()).expect("type");
    let drawn = pump(&mut master, 500);
    let _ = child.kill();
    let _ = child.wait();
    drawn
}

/// The last hint drawn (grey text after the typed command).
fn last_hint(drawn: &str) -> String {
    drawn
        .rsplit("\x1b[0;90;49m")
        .next()
        .and_then(|rest| rest.split("\x1b[0m").next())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn interactive_hints_match_redis() {
    let redis = RedisServer::redis(&[]);
    let zedis = Zedis::with_debug_command(&[]);
    for typed in ["zadd ", "set ", "client kill ", "lpos "] {
        let expected = last_hint(&interactive(redis.port, typed));
        let actual = last_hint(&interactive(zedis.port, typed));
        assert!(!expected.is_empty(), "no hint from Redis for {typed:?}");
        assert_eq!(actual, expected, "{typed:?}");
    }
}
