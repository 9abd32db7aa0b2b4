//! MONITOR: the line format, what is shown (commands after they ran, transactions in order,
//! passwords redacted) and what is not (administrative commands), and RESET leaving the mode.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use zedis_tests::{TestServer, run};

/// A raw connection in MONITOR mode, reading one line per command.
struct Monitor {
    reader: BufReader<TcpStream>,
}

impl Monitor {
    fn start(server: &TestServer) -> Monitor {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        stream.write_all(b"MONITOR\r\n").expect("write");
        let mut monitor = Monitor {
            reader: BufReader::new(stream),
        };
        assert_eq!(monitor.line(), "+OK");
        monitor
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a line");
        line.trim_end_matches("\r\n").to_string()
    }

    /// The part of a line after the time and the client: the database and the arguments.
    fn command(&mut self) -> String {
        let line = self.line();
        let (time, rest) = line.split_once(' ').expect("time first");
        let time = time.strip_prefix('+').expect("a status line");
        let (secs, micros) = time.split_once('.').expect("seconds.micros");
        assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{line}");
        let (client, args) = rest.split_once("] ").expect("[db client] first");
        let (db, addr) = client
            .trim_start_matches('[')
            .split_once(' ')
            .expect("db and addr");
        assert!(addr.starts_with("127.0.0.1:"), "{line}");
        format!("{db} {args}")
    }
}

#[test]
fn monitor_shows_each_command_once_it_ran() {
    let server = TestServer::start(&[]);
    // Connected first: the client library's own greeting is not part of the test.
    let mut connection = server.connect();
    let mut monitor = Monitor::start(&server);
    let _: () = run(&mut connection, &["SET", "foo", "bar with \"quotes\"\n"]);
    let _: Option<String> = run(&mut connection, &["GET", "foo"]);
    let _: () = run(&mut connection, &["SELECT", "3"]);
    let _: i64 = run(&mut connection, &["INCR", "n"]);
    assert_eq!(
        monitor.command(),
        r#"0 "SET" "foo" "bar with \"quotes\"\n""#
    );
    assert_eq!(monitor.command(), r#"0 "GET" "foo""#);
    // The database is the client's once the command ran, as in Redis.
    assert_eq!(monitor.command(), r#"3 "SELECT" "3""#);
    assert_eq!(monitor.command(), r#"3 "INCR" "n""#);
}

#[test]
fn transactions_show_in_execution_order_and_admin_commands_not_at_all() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut monitor = Monitor::start(&server);
    // Administrative: not shown.
    let _: () = run(&mut connection, &["CONFIG", "SET", "hz", "10"]);
    let _: () = run(&mut connection, &["MULTI"]);
    let _: String = run(&mut connection, &["SET", "a", "1"]);
    let _: Vec<String> = run(&mut connection, &["EXEC"]);
    let _: () = run(&mut connection, &["MULTI"]);
    let _ = redis::cmd("NOSUCH").query::<redis::Value>(&mut connection);
    let _ = redis::cmd("EXEC").query::<redis::Value>(&mut connection);
    assert_eq!(monitor.command(), r#"0 "MULTI""#);
    assert_eq!(monitor.command(), r#"0 "SET" "a" "1""#);
    assert_eq!(monitor.command(), r#"0 "EXEC""#);
    // The rejected command never ran; the aborted EXEC did.
    assert_eq!(monitor.command(), r#"0 "MULTI""#);
    assert_eq!(monitor.command(), r#"0 "EXEC""#);
}

#[test]
fn passwords_are_redacted() {
    let server = TestServer::start(&["--requirepass", "secret"]);
    let mut admin = server.connect();
    let _: () = run(&mut admin, &["AUTH", "secret"]);
    let mut monitor = {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        stream
            .write_all(b"AUTH secret\r\nMONITOR\r\n")
            .expect("write");
        let mut monitor = Monitor {
            reader: BufReader::new(stream),
        };
        assert_eq!(monitor.line(), "+OK");
        assert_eq!(monitor.line(), "+OK");
        monitor
    };
    let _ = redis::cmd("AUTH")
        .arg("wrong")
        .query::<redis::Value>(&mut admin);
    let _ = redis::cmd("AUTH")
        .arg("default")
        .arg("secret")
        .query::<redis::Value>(&mut admin);
    let _ = redis::cmd("HELLO")
        .arg("2")
        .arg("AUTH")
        .arg("default")
        .arg("secret")
        .query::<redis::Value>(&mut admin);
    assert_eq!(monitor.command(), r#"0 "AUTH" "(redacted)""#);
    assert_eq!(monitor.command(), r#"0 "AUTH" "(redacted)" "(redacted)""#);
    assert_eq!(
        monitor.command(),
        r#"0 "HELLO" "2" "AUTH" "(redacted)" "(redacted)""#
    );
}

#[test]
fn reset_leaves_monitor_mode_and_client_list_shows_it() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut monitor = Monitor::start(&server);
    let list: String = run(&mut connection, &["CLIENT", "LIST"]);
    assert!(list.contains("flags=O "), "{list}");
    // A monitor's own commands run too, and it sees them after their replies.
    monitor
        .reader
        .get_mut()
        .write_all(b"PING\r\n")
        .expect("write");
    assert_eq!(monitor.line(), "+PONG");
    assert_eq!(monitor.command(), r#"0 "PING""#);
    monitor
        .reader
        .get_mut()
        .write_all(b"RESET\r\n")
        .expect("write");
    assert_eq!(monitor.line(), "+RESET");
    let _: () = run(&mut connection, &["SET", "after", "reset"]);
    monitor
        .reader
        .get_mut()
        .write_all(b"PING\r\n")
        .expect("write");
    // The next line is PING's reply, not the SET.
    assert_eq!(monitor.line(), "+PONG");
    let list: String = run(&mut connection, &["CLIENT", "LIST"]);
    assert!(!list.contains("flags=O "), "{list}");
}

#[test]
fn monitor_inside_a_transaction_is_refused() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    let _: String = run(&mut connection, &["MONITOR"]);
    // The client library reports the error inside EXEC's array as the reply's error.
    let error = redis::cmd("EXEC")
        .query::<redis::Value>(&mut connection)
        .expect_err("MONITOR fails inside EXEC");
    assert_eq!(
        error.detail(),
        Some("MONITOR isn't allowed for DENY BLOCKING client")
    );
}
