//! CLIENT subcommands (ID, SETNAME/GETNAME, LIST, INFO, KILL, SETINFO, NO-EVICT, REPLY,
//! UNBLOCK) and the client count of `INFO clients`.

use std::thread;
use std::time::{Duration, Instant};

use redis::Value;
use zedis_tests::{TestServer, run, run_err_reply};

/// The fields of a `CLIENT LIST` line, in the order Redis 7.0 prints them.
const CLIENT_FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
];

/// A `CLIENT LIST` / `CLIENT INFO` line as (field, value) pairs.
fn fields(line: &str) -> Vec<(String, String)> {
    line.trim_end()
        .split(' ')
        .map(|field| {
            let (name, value) = field.split_once('=').expect("name=value");
            (name.to_string(), value.to_string())
        })
        .collect()
}

fn field(line: &str, name: &str) -> String {
    fields(line)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        .1
}

fn client_info(connection: &mut redis::Connection) -> String {
    run(connection, &["CLIENT", "INFO"])
}

/// Sends commands without waiting for replies (for `CLIENT REPLY OFF|SKIP`).
fn send(connection: &mut redis::Connection, args: &[&str]) {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    connection
        .send_packed_command(&command.get_packed_command())
        .expect("sent");
}

/// Whether a connection was closed by the server: the next command fails without a reply.
fn is_closed(connection: &mut redis::Connection) -> bool {
    match redis::cmd("PING").query::<String>(connection) {
        Ok(_) => false,
        Err(e) => e.is_unrecoverable_error(),
    }
}

/// Waits until `INFO clients` shows `field:value`.
fn wait_for_info(connection: &mut redis::Connection, field: &str, value: usize) {
    let wanted = format!("{field}:{value}\r\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info: String = run(connection, &["INFO", "clients"]);
        if info.contains(&wanted) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {wanted:?}: {info}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn client_ids_are_unique_and_increasing() {
    let server = TestServer::start(&[]);
    let mut first = server.connect();
    let mut second = server.connect();
    let id1: i64 = run(&mut first, &["CLIENT", "ID"]);
    let id2: i64 = run(&mut second, &["CLIENT", "ID"]);
    assert!(id1 >= 1, "{id1}");
    assert!(id2 > id1, "{id2} after {id1}");
    let again: i64 = run(&mut first, &["CLIENT", "ID"]);
    assert_eq!(again, id1);
    assert_eq!(field(&client_info(&mut first), "id"), id1.to_string());
    assert_eq!(
        run_err_reply(&mut first, &["CLIENT", "ID", "extra"]),
        "ERR wrong number of arguments for 'client|id' command"
    );
}

#[test]
fn client_setname_and_getname() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let name: Option<String> = run(&mut connection, &["CLIENT", "GETNAME"]);
    assert_eq!(name, None);
    let ok: Value = run(&mut connection, &["CLIENT", "SETNAME", "valid-name"]);
    assert_eq!(ok, Value::Okay);
    let name: Option<String> = run(&mut connection, &["CLIENT", "GETNAME"]);
    assert_eq!(name.as_deref(), Some("valid-name"));
    assert_eq!(field(&client_info(&mut connection), "name"), "valid-name");
    for bad in ["has space", "new\nline", "tab\there"] {
        assert_eq!(
            run_err_reply(&mut connection, &["CLIENT", "SETNAME", bad]),
            "ERR Client names cannot contain spaces, newlines or special characters.",
            "{bad:?}"
        );
    }
    // A rejected name leaves the old one.
    let name: Option<String> = run(&mut connection, &["CLIENT", "GETNAME"]);
    assert_eq!(name.as_deref(), Some("valid-name"));
    // The empty name removes it.
    let _: () = run(&mut connection, &["CLIENT", "SETNAME", ""]);
    let name: Option<String> = run(&mut connection, &["CLIENT", "GETNAME"]);
    assert_eq!(name, None);
}

#[test]
fn client_list_has_one_line_per_connection_with_redis_fields() {
    let server = TestServer::start(&[]);
    let mut first = server.connect();
    let mut second = server.connect();
    let _: () = run(&mut second, &["CLIENT", "SETNAME", "second"]);
    let _: () = run(&mut second, &["SELECT", "5"]);
    let id1: i64 = run(&mut first, &["CLIENT", "ID"]);
    let id2: i64 = run(&mut second, &["CLIENT", "ID"]);
    let list: String = run(&mut first, &["CLIENT", "LIST"]);
    assert!(list.ends_with('\n'), "{list:?}");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    let laddr = format!("127.0.0.1:{}", server.port());
    for line in &lines {
        let mut names: Vec<String> = fields(line).into_iter().map(|(n, _)| n).collect();
        // Redis 7.2's lib-name and lib-ver (CLIENT SETINFO) may follow.
        if names.ends_with(&["lib-name".to_string(), "lib-ver".to_string()]) {
            names.truncate(names.len() - 2);
        }
        assert_eq!(names, CLIENT_FIELDS, "{line}");
        assert!(field(line, "addr").starts_with("127.0.0.1:"), "{line}");
        assert_eq!(field(line, "laddr"), laddr);
        assert_eq!(field(line, "user"), "default");
        assert_eq!(field(line, "multi"), "-1");
        assert_eq!(field(line, "resp"), "2");
    }
    let line2 = lines
        .iter()
        .find(|line| field(line, "id") == id2.to_string())
        .expect("the second client is listed");
    assert_eq!(field(line2, "name"), "second");
    assert_eq!(field(line2, "db"), "5");
    assert_eq!(field(line2, "flags"), "N");
    assert!(
        lines
            .iter()
            .any(|line| field(line, "id") == id1.to_string())
    );
}

#[test]
fn client_list_filters_by_id_and_type() {
    let server = TestServer::start(&[]);
    let mut first = server.connect();
    let mut second = server.connect();
    let mut third = server.connect();
    let id2: i64 = run(&mut second, &["CLIENT", "ID"]);
    let id3: i64 = run(&mut third, &["CLIENT", "ID"]);
    let list: String = run(&mut first, &["CLIENT", "LIST", "ID", &id2.to_string()]);
    assert_eq!(list.lines().count(), 1, "{list}");
    assert_eq!(field(&list, "id"), id2.to_string());
    let list: String = run(
        &mut first,
        &[
            "CLIENT",
            "LIST",
            "ID",
            &id3.to_string(),
            "999999",
            &id2.to_string(),
        ],
    );
    let mut ids: Vec<String> = list.lines().map(|line| field(line, "id")).collect();
    ids.sort();
    let mut expected = vec![id2.to_string(), id3.to_string()];
    expected.sort();
    assert_eq!(ids, expected);
    let none: String = run(&mut first, &["CLIENT", "LIST", "ID", "999999"]);
    assert_eq!(none, "");
    let normal: String = run(&mut first, &["CLIENT", "LIST", "TYPE", "normal"]);
    assert_eq!(normal.lines().count(), 3, "{normal}");
    let pubsub: String = run(&mut first, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(pubsub, "");
    assert_eq!(
        run_err_reply(&mut first, &["CLIENT", "LIST", "TYPE", "nosuch"]),
        "ERR Unknown client type 'nosuch'"
    );
    assert_eq!(
        run_err_reply(&mut first, &["CLIENT", "LIST", "ID", "abc"]),
        "ERR Invalid client ID"
    );
    assert_eq!(
        run_err_reply(&mut first, &["CLIENT", "LIST", "foo"]),
        "ERR syntax error"
    );
}

#[test]
fn client_info_describes_the_calling_connection() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _other = server.connect();
    let id: i64 = run(&mut connection, &["CLIENT", "ID"]);
    let _: () = run(&mut connection, &["SELECT", "3"]);
    let info = client_info(&mut connection);
    assert!(info.ends_with('\n'), "{info:?}");
    assert_eq!(info.lines().count(), 1, "{info}");
    assert_eq!(field(&info, "id"), id.to_string());
    assert_eq!(field(&info, "db"), "3");
    assert_eq!(field(&info, "name"), "");
    // The same line as CLIENT LIST gives for this client, apart from counters that move.
    let list: String = run(&mut connection, &["CLIENT", "LIST", "ID", &id.to_string()]);
    for name in [
        "id", "addr", "laddr", "fd", "name", "db", "flags", "user", "resp",
    ] {
        assert_eq!(field(&info, name), field(&list, name), "{name}");
    }
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "INFO", "extra"]),
        "ERR wrong number of arguments for 'client|info' command"
    );
}

#[test]
fn client_info_names_the_running_command() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["PING"]);
    assert_eq!(field(&client_info(&mut connection), "cmd"), "client|info");
    let list: String = run(&mut connection, &["CLIENT", "LIST"]);
    assert_eq!(field(&list, "cmd"), "client|list");
}

#[test]
fn client_list_names_the_last_command_of_other_clients() {
    let server = TestServer::start(&[]);
    let mut observer = server.connect();
    let mut connection = server.connect();
    let id: i64 = run(&mut connection, &["CLIENT", "ID"]);
    let _: () = run(&mut connection, &["SET", "k", "v"]);
    let list: String = run(&mut observer, &["CLIENT", "LIST", "ID", &id.to_string()]);
    assert_eq!(field(&list, "cmd"), "set");
    let _: () = run(&mut connection, &["CONFIG", "GET", "hz"]);
    let list: String = run(&mut observer, &["CLIENT", "LIST", "ID", &id.to_string()]);
    assert_eq!(field(&list, "cmd"), "config|get");
}

#[test]
fn client_kill_by_id() {
    let server = TestServer::start(&[]);
    let mut killer = server.connect();
    let mut victim = server.connect();
    let victim_id: i64 = run(&mut victim, &["CLIENT", "ID"]);
    let killed: i64 = run(
        &mut killer,
        &["CLIENT", "KILL", "ID", &victim_id.to_string()],
    );
    assert_eq!(killed, 1);
    assert!(is_closed(&mut victim));
    wait_for_info(&mut killer, "connected_clients", 1);
    let killed: i64 = run(
        &mut killer,
        &["CLIENT", "KILL", "ID", &victim_id.to_string()],
    );
    assert_eq!(killed, 0);
    let killed: i64 = run(&mut killer, &["CLIENT", "KILL", "ID", "999999"]);
    assert_eq!(killed, 0);
    for bad in ["0", "abc", "-1"] {
        assert_eq!(
            run_err_reply(&mut killer, &["CLIENT", "KILL", "ID", bad]),
            "ERR client-id should be greater than 0",
            "ID {bad}"
        );
    }
}

#[test]
fn client_kill_by_addr_in_both_forms() {
    let server = TestServer::start(&[]);
    let mut killer = server.connect();
    let mut first = server.connect();
    let mut second = server.connect();
    let addr1 = field(&client_info(&mut first), "addr");
    let addr2 = field(&client_info(&mut second), "addr");
    let killed: i64 = run(&mut killer, &["CLIENT", "KILL", "ADDR", &addr1]);
    assert_eq!(killed, 1);
    assert!(is_closed(&mut first));
    // The old form replies OK, or an error when nobody has that address.
    let ok: Value = run(&mut killer, &["CLIENT", "KILL", &addr2]);
    assert_eq!(ok, Value::Okay);
    assert!(is_closed(&mut second));
    assert_eq!(
        run_err_reply(&mut killer, &["CLIENT", "KILL", "1.2.3.4:5"]),
        "ERR No such client"
    );
    let killed: i64 = run(&mut killer, &["CLIENT", "KILL", "ADDR", "1.1.1.1:1"]);
    assert_eq!(killed, 0);
    let pong: String = run(&mut killer, &["PING"]);
    assert_eq!(pong, "PONG");
}

#[test]
fn client_kill_skips_the_caller_unless_skipme_no() {
    let server = TestServer::start(&[]);
    let mut killer = server.connect();
    let mut others: Vec<_> = (0..2).map(|_| server.connect()).collect();
    for other in &mut others {
        let _: String = run(other, &["PING"]);
    }
    let killed: i64 = run(&mut killer, &["CLIENT", "KILL", "TYPE", "normal"]);
    assert_eq!(killed, 2);
    for other in &mut others {
        assert!(is_closed(other));
    }
    let pong: String = run(&mut killer, &["PING"]);
    assert_eq!(pong, "PONG");
    wait_for_info(&mut killer, "connected_clients", 1);
    // SKIPME yes is the default; with SKIPME no the caller goes too, after the reply.
    let killed: i64 = run(
        &mut killer,
        &["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"],
    );
    assert_eq!(killed, 0);
    let my_addr = field(&client_info(&mut killer), "addr");
    let killed: i64 = run(
        &mut killer,
        &["CLIENT", "KILL", "ADDR", &my_addr, "SKIPME", "no"],
    );
    assert_eq!(killed, 1);
    assert!(is_closed(&mut killer));
}

#[test]
fn client_kill_by_laddr_and_user() {
    let server = TestServer::start(&[]);
    let mut killer = server.connect();
    let mut victim = server.connect();
    let _: String = run(&mut victim, &["PING"]);
    let laddr = format!("127.0.0.1:{}", server.port());
    let killed: i64 = run(&mut killer, &["CLIENT", "KILL", "LADDR", &laddr]);
    assert_eq!(killed, 1);
    assert!(is_closed(&mut victim));
    let mut victim = server.connect();
    let _: String = run(&mut victim, &["PING"]);
    let killed: i64 = run(&mut killer, &["CLIENT", "KILL", "USER", "default"]);
    assert_eq!(killed, 1);
    assert!(is_closed(&mut victim));
    assert_eq!(
        run_err_reply(&mut killer, &["CLIENT", "KILL", "USER", "nosuch"]),
        "ERR No such user 'nosuch'"
    );
}

#[test]
fn client_kill_rejects_bad_filters() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "KILL", "TYPE", "nosuch"]),
        "ERR Unknown client type 'nosuch'"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "KILL", "SKIPME", "maybe"]),
        "ERR syntax error"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "KILL", "FOO", "bar"]),
        "ERR syntax error"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "KILL", "ID", "1", "FOO"]),
        "ERR syntax error"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "KILL"]),
        "ERR wrong number of arguments for 'client|kill' command"
    );
}

#[test]
fn client_setinfo_sets_library_name_and_version() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let ok: Value = run(&mut connection, &["CLIENT", "SETINFO", "lib-name", "mylib"]);
    assert_eq!(ok, Value::Okay);
    let _: () = run(&mut connection, &["CLIENT", "SETINFO", "LIB-VER", "1.2.3"]);
    let info = client_info(&mut connection);
    assert_eq!(field(&info, "lib-name"), "mylib");
    assert_eq!(field(&info, "lib-ver"), "1.2.3");
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "SETINFO", "lib-name", "a b"]),
        "ERR lib-name cannot contain spaces, newlines or special characters."
    );
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "SETINFO", "foo", "bar"]),
        "ERR Unrecognized option 'foo'"
    );
    // Rejected values leave the old ones; the empty value clears.
    let _: () = run(&mut connection, &["CLIENT", "SETINFO", "lib-name", ""]);
    let info = client_info(&mut connection);
    assert_eq!(field(&info, "lib-name"), "");
    assert_eq!(field(&info, "lib-ver"), "1.2.3");
}

#[test]
fn client_no_evict_sets_the_e_flag() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let ok: Value = run(&mut connection, &["CLIENT", "NO-EVICT", "on"]);
    assert_eq!(ok, Value::Okay);
    assert_eq!(field(&client_info(&mut connection), "flags"), "e");
    let _: () = run(&mut connection, &["CLIENT", "NO-EVICT", "OFF"]);
    assert_eq!(field(&client_info(&mut connection), "flags"), "N");
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "NO-EVICT", "maybe"]),
        "ERR syntax error"
    );
}

#[test]
fn client_reply_off_runs_commands_without_replying() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    send(&mut connection, &["CLIENT", "REPLY", "OFF"]);
    send(&mut connection, &["INCR", "counter"]);
    send(&mut connection, &["ECHO", "unheard"]);
    send(&mut connection, &["GET", "a", "b"]);
    send(&mut connection, &["CLIENT", "REPLY", "ON"]);
    send(&mut connection, &["ECHO", "heard"]);
    // The first reply is ON's OK: nothing between was answered, errors included.
    assert_eq!(connection.recv_response().unwrap(), Value::Okay);
    assert_eq!(
        connection.recv_response().unwrap(),
        Value::BulkString(b"heard".to_vec())
    );
    let counter: i64 = run(&mut connection, &["GET", "counter"]);
    assert_eq!(counter, 1);
}

#[test]
fn client_reply_skip_drops_only_the_next_reply() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    send(&mut connection, &["CLIENT", "REPLY", "SKIP"]);
    send(&mut connection, &["INCR", "counter"]);
    send(&mut connection, &["INCR", "counter"]);
    assert_eq!(connection.recv_response().unwrap(), Value::Int(2));
    let counter: i64 = run(&mut connection, &["INCR", "counter"]);
    assert_eq!(counter, 3);
    assert_eq!(
        run_err_reply(&mut connection, &["CLIENT", "REPLY", "maybe"]),
        "ERR syntax error"
    );
}

#[test]
fn client_unblock_ends_a_blocking_pop() {
    let server = TestServer::start(&[]);
    let mut admin = server.connect();
    let mut blocked = server.connect();
    let blocked_id: i64 = run(&mut blocked, &["CLIENT", "ID"]);
    let waiter = thread::spawn(move || {
        let reply: Value = run(&mut blocked, &["BLPOP", "empty", "0"]);
        (reply, blocked)
    });
    wait_for_info(&mut admin, "blocked_clients", 1);
    let unblocked: i64 = run(&mut admin, &["CLIENT", "UNBLOCK", &blocked_id.to_string()]);
    assert_eq!(unblocked, 1);
    // As if it timed out.
    let (reply, mut blocked) = waiter.join().unwrap();
    assert_eq!(reply, Value::Nil);
    wait_for_info(&mut admin, "blocked_clients", 0);
    // With ERROR, the blocked command fails.
    let waiter = thread::spawn(move || run_err_reply(&mut blocked, &["BRPOP", "empty", "0"]));
    wait_for_info(&mut admin, "blocked_clients", 1);
    let unblocked: i64 = run(
        &mut admin,
        &["CLIENT", "UNBLOCK", &blocked_id.to_string(), "ERROR"],
    );
    assert_eq!(unblocked, 1);
    assert_eq!(
        waiter.join().unwrap(),
        "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    );
}

#[test]
fn client_unblock_of_a_client_that_is_not_blocked() {
    let server = TestServer::start(&[]);
    let mut admin = server.connect();
    let mut idle = server.connect();
    let idle_id: i64 = run(&mut idle, &["CLIENT", "ID"]);
    let own_id: i64 = run(&mut admin, &["CLIENT", "ID"]);
    for id in [idle_id, own_id, 999999] {
        let unblocked: i64 = run(&mut admin, &["CLIENT", "UNBLOCK", &id.to_string()]);
        assert_eq!(unblocked, 0, "id {id}");
    }
    assert_eq!(
        run_err_reply(
            &mut admin,
            &["CLIENT", "UNBLOCK", &idle_id.to_string(), "foo"]
        ),
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    );
    assert_eq!(
        run_err_reply(&mut admin, &["CLIENT", "UNBLOCK", "abc"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn info_clients_counts_connected_clients() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let info: String = run(&mut connection, &["INFO", "clients"]);
    assert!(info.contains("\r\nconnected_clients:1\r\n"), "{info}");
    let others: Vec<_> = (0..3).map(|_| server.connect()).collect();
    let info: String = run(&mut connection, &["INFO", "clients"]);
    assert!(info.contains("\r\nconnected_clients:4\r\n"), "{info}");
    drop(others);
    wait_for_info(&mut connection, "connected_clients", 1);
}

/// `rbs` and `qbuf`+`qbuf-free` of the client named `name` in CLIENT LIST.
fn buffer_sizes(connection: &mut redis::Connection, name: &str) -> (usize, usize) {
    let list: String = run(connection, &["CLIENT", "LIST"]);
    let line = list
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .unwrap_or_else(|| panic!("{list}"));
    let field = |key: &str| -> usize {
        line.split(' ')
            .find_map(|f| f.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {line}"))
    };
    (field("rbs"), field("qbuf") + field("qbuf-free"))
}

#[test]
fn idle_clients_give_their_buffers_back_as_redis_does() {
    let server = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut admin = server.connect();
    let _: () = run(
        &mut admin,
        &["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"],
    );
    let mut idle = server.connect();
    let _: () = run(&mut idle, &["CLIENT", "SETNAME", "idle"]);
    let (rbs, query) = buffer_sizes(&mut admin, "idle");
    assert_eq!(rbs, 16384, "a new client's reply buffer");
    assert!((16384..32768).contains(&query), "{query}");
    // The reply buffer shrinks to 1 KiB within a second, the query buffer is freed after
    // more than two idle seconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(6);
    loop {
        let (rbs, query) = buffer_sizes(&mut admin, "idle");
        if rbs == 1024 && query == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "rbs={rbs} query={query}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let info: String = run(&mut admin, &["INFO", "stats"]);
    assert!(!info.contains("reply_buffer_shrinks:0\r\n"), "{info}");
    // A client sending large replies gets a larger buffer back, up to 16 KiB.
    let _: () = run(&mut admin, &["SET", "big", &"x".repeat(32 * 1024)]);
    let _: () = run(
        &mut admin,
        &["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never"],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let _: String = run(&mut idle, &["GET", "big"]);
        let (rbs, _) = buffer_sizes(&mut admin, "idle");
        if rbs == 16384 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "rbs={rbs}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
