//! Connection commands: PING, ECHO, SELECT, QUIT, RESET, HELLO (RESP2 and RESP3), and AUTH
//! with `requirepass`.

use std::time::{Duration, Instant};

use redis::Value;
use zedis_tests::{TestServer, run, run_err_reply};

/// A connection with a password and/or RESP3 (`?protocol=resp3`: the redis crate then sends
/// `HELLO 3`, with the password if any, when it connects).
fn connect_with(server: &TestServer, password: Option<&str>, resp3: bool) -> redis::Connection {
    let credentials = password.map_or(String::new(), |p| format!(":{p}@"));
    let query = if resp3 { "?protocol=resp3" } else { "" };
    let url = format!("redis://{credentials}127.0.0.1:{}/{query}", server.port());
    let connection = redis::Client::open(url)
        .expect("valid URL")
        .get_connection()
        .expect("connects");
    connection
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    connection
}

fn bulk(text: &str) -> Value {
    Value::BulkString(text.as_bytes().to_vec())
}

/// The fields of a `HELLO` reply, whether it came as a RESP3 map or a RESP2 array.
fn hello_fields(reply: Value) -> Vec<(String, Value)> {
    let pairs: Vec<(Value, Value)> = match reply {
        Value::Map(pairs) => pairs,
        Value::Array(items) => items
            .chunks(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect(),
        other => panic!("HELLO replied {other:?}"),
    };
    pairs
        .into_iter()
        .map(|(name, value)| match name {
            Value::BulkString(name) => (String::from_utf8(name).unwrap(), value),
            other => panic!("field name {other:?}"),
        })
        .collect()
}

fn expected_hello(proto: i64, id: i64) -> Vec<(String, Value)> {
    vec![
        ("server".into(), bulk("redis")),
        ("version".into(), bulk("7.0.15")),
        ("proto".into(), Value::Int(proto)),
        ("id".into(), Value::Int(id)),
        ("mode".into(), bulk("standalone")),
        ("role".into(), bulk("master")),
        ("modules".into(), Value::Array(vec![])),
    ]
}

#[test]
fn ping_replies_pong_or_its_argument() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: Value = run(&mut connection, &["PING"]);
    assert_eq!(reply, Value::SimpleString("PONG".into()));
    let reply: Value = run(&mut connection, &["PING", "hello"]);
    assert_eq!(reply, bulk("hello"));
    assert_eq!(
        run_err_reply(&mut connection, &["PING", "a", "b"]),
        "ERR wrong number of arguments for 'ping' command"
    );
}

#[test]
fn echo_returns_its_argument_byte_for_byte() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: String = run(&mut connection, &["ECHO", "hello world"]);
    assert_eq!(reply, "hello world");
    let binary: Vec<u8> = redis::cmd("ECHO")
        .arg(b"\x00\r\n\xff".as_slice())
        .query(&mut connection)
        .unwrap();
    assert_eq!(binary, b"\x00\r\n\xff");
    let empty: Value = run(&mut connection, &["ECHO", ""]);
    assert_eq!(empty, bulk(""));
    assert_eq!(
        run_err_reply(&mut connection, &["ECHO"]),
        "ERR wrong number of arguments for 'echo' command"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["ECHO", "a", "b"]),
        "ERR wrong number of arguments for 'echo' command"
    );
}

#[test]
fn select_keeps_databases_apart() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let ok: String = run(&mut connection, &["SELECT", "1"]);
    assert_eq!(ok, "OK");
    let _: () = run(&mut connection, &["SET", "k", "in-db1"]);
    let _: () = run(&mut connection, &["SELECT", "0"]);
    let missing: Option<String> = run(&mut connection, &["GET", "k"]);
    assert_eq!(missing, None);
    let _: () = run(&mut connection, &["SET", "k", "in-db0"]);
    let _: () = run(&mut connection, &["SELECT", "1"]);
    let value: String = run(&mut connection, &["GET", "k"]);
    assert_eq!(value, "in-db1");
    // The selected database belongs to the connection.
    let mut other = server.connect();
    let value: String = run(&mut other, &["GET", "k"]);
    assert_eq!(value, "in-db0");
    // The last of the default 16 databases.
    let _: () = run(&mut connection, &["SELECT", "15"]);
}

#[test]
fn select_rejects_indexes_outside_the_configured_databases() {
    let server = TestServer::start(&["--databases", "4"]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["SELECT", "3"]);
    for index in ["4", "16", "-1"] {
        assert_eq!(
            run_err_reply(&mut connection, &["SELECT", index]),
            "ERR DB index is out of range",
            "SELECT {index}"
        );
    }
    assert_eq!(
        run_err_reply(&mut connection, &["SELECT", "abc"]),
        "ERR value is not an integer or out of range"
    );
    // A failed SELECT leaves the database as it was.
    let info: String = run(&mut connection, &["CLIENT", "INFO"]);
    assert!(info.contains(" db=3 "), "{info}");
}

#[test]
fn quit_replies_ok_then_closes_the_connection() {
    let server = TestServer::start(&[]);
    let mut observer = server.connect();
    let mut connection = server.connect();
    let reply: Value = run(&mut connection, &["QUIT"]);
    assert_eq!(reply, Value::Okay);
    let error = redis::cmd("PING")
        .query::<String>(&mut connection)
        .unwrap_err();
    assert!(error.is_unrecoverable_error(), "{error}");
    // The server forgets the client soon after.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info: String = run(&mut observer, &["INFO", "clients"]);
        if info.contains("connected_clients:1\r\n") {
            break;
        }
        assert!(Instant::now() < deadline, "{info}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn reset_restores_the_connection_defaults() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["SET", "k", "db0"]);
    let _: () = run(&mut connection, &["SELECT", "2"]);
    let _: () = run(&mut connection, &["CLIENT", "SETNAME", "before-reset"]);
    let _: () = run(&mut connection, &["WATCH", "k"]);
    let _: () = run(&mut connection, &["MULTI"]);
    let reply: Value = run(&mut connection, &["RESET"]);
    assert_eq!(reply, Value::SimpleString("RESET".into()));
    // Out of the transaction, back in database 0, without a name.
    let value: String = run(&mut connection, &["GET", "k"]);
    assert_eq!(value, "db0");
    assert_eq!(
        run_err_reply(&mut connection, &["EXEC"]),
        "ERR EXEC without MULTI"
    );
    let name: Option<String> = run(&mut connection, &["CLIENT", "GETNAME"]);
    assert_eq!(name, None);
    let info: String = run(&mut connection, &["CLIENT", "INFO"]);
    assert!(info.contains(" name= "), "{info}");
    assert!(info.contains(" flags=N "), "{info}");
    assert!(info.contains(" db=0 "), "{info}");
    // The watch is gone too: another client's write does not abort the next transaction.
    let mut other = server.connect();
    let _: () = run(&mut other, &["SET", "k", "changed"]);
    let _: () = run(&mut connection, &["MULTI"]);
    let _: () = run(&mut connection, &["GET", "k"]);
    let replies: Vec<String> = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, ["changed"]);
}

#[test]
fn reset_keeps_no_evict() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["CLIENT", "NO-EVICT", "on"]);
    let _: () = run(&mut connection, &["RESET"]);
    let info: String = run(&mut connection, &["CLIENT", "INFO"]);
    assert!(info.contains(" flags=e "), "{info}");
}

#[test]
fn reset_returns_to_resp2() {
    let server = TestServer::start(&[]);
    let mut connection = connect_with(&server, None, true);
    let _: () = run(&mut connection, &["HSET", "h", "f", "v"]);
    let map: Value = run(&mut connection, &["HGETALL", "h"]);
    assert_eq!(map, Value::Map(vec![(bulk("f"), bulk("v"))]));
    let _: () = run(&mut connection, &["RESET"]);
    let array: Value = run(&mut connection, &["HGETALL", "h"]);
    assert_eq!(array, Value::Array(vec![bulk("f"), bulk("v")]));
}

#[test]
fn hello_without_a_version_describes_the_server() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let id: i64 = run(&mut connection, &["CLIENT", "ID"]);
    let reply: Value = run(&mut connection, &["HELLO"]);
    assert_eq!(hello_fields(reply), expected_hello(2, id));
}

#[test]
fn hello_rejects_bad_versions_and_options() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(&mut connection, &["HELLO", "4"]),
        "NOPROTO unsupported protocol version"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["HELLO", "1"]),
        "NOPROTO unsupported protocol version"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["HELLO", "abc"]),
        "ERR Protocol version is not an integer or out of range"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["HELLO", "3", "FOO"]),
        "ERR Syntax error in HELLO option 'FOO'"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["HELLO", "2", "AUTH", "default"]),
        "ERR Syntax error in HELLO option 'AUTH'"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["HELLO", "2", "SETNAME", "a b"]),
        "ERR Client names cannot contain spaces, newlines or special characters."
    );
    // None of these switched the protocol.
    let _: () = run(&mut connection, &["HSET", "h", "f", "v"]);
    let reply: Value = run(&mut connection, &["HGETALL", "h"]);
    assert_eq!(reply, Value::Array(vec![bulk("f"), bulk("v")]));
}

#[test]
fn hello_setname_names_the_connection() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: Value = run(&mut connection, &["HELLO", "2", "SETNAME", "myname"]);
    let name: String = run(&mut connection, &["CLIENT", "GETNAME"]);
    assert_eq!(name, "myname");
}

#[test]
fn hello_3_switches_replies_to_resp3() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let id: i64 = run(&mut connection, &["CLIENT", "ID"]);
    let reply: Value = run(&mut connection, &["HELLO", "3"]);
    // The HELLO reply itself is already a RESP3 map.
    assert!(matches!(reply, Value::Map(_)), "{reply:?}");
    assert_eq!(hello_fields(reply), expected_hello(3, id));
    let _: () = run(&mut connection, &["ZADD", "z", "1.5", "m"]);
    let score: Value = run(&mut connection, &["ZSCORE", "z", "m"]);
    assert_eq!(score, Value::Double(1.5));
    let info: String = run(&mut connection, &["CLIENT", "INFO"]);
    assert!(info.contains(" resp=3"), "{info}");
    // And HELLO 2 switches back.
    let reply: Value = run(&mut connection, &["HELLO", "2"]);
    assert!(matches!(reply, Value::Array(_)), "{reply:?}");
    let score: Value = run(&mut connection, &["ZSCORE", "z", "m"]);
    assert_eq!(score, bulk("1.5"));
}

#[test]
fn a_resp3_connection_gets_resp3_types() {
    let server = TestServer::start(&[]);
    let mut connection = connect_with(&server, None, true);
    let _: () = run(&mut connection, &["HSET", "h", "f", "v"]);
    let _: () = run(&mut connection, &["SADD", "s", "m"]);
    let map: Value = run(&mut connection, &["HGETALL", "h"]);
    assert_eq!(map, Value::Map(vec![(bulk("f"), bulk("v"))]));
    let set: Value = run(&mut connection, &["SMEMBERS", "s"]);
    assert_eq!(set, Value::Set(vec![bulk("m")]));
    let null: Value = run(&mut connection, &["GET", "nosuch"]);
    assert_eq!(null, Value::Nil);
    let config: Value = run(&mut connection, &["CONFIG", "GET", "maxmemory"]);
    assert_eq!(config, Value::Map(vec![(bulk("maxmemory"), bulk("0"))]));
    let info: Value = run(&mut connection, &["CLIENT", "INFO"]);
    let Value::VerbatimString { text, .. } = info else {
        panic!("CLIENT INFO replied {info:?}");
    };
    assert!(text.contains(" resp=3"), "{text}");
}

#[test]
fn requirepass_refuses_commands_until_auth() {
    let server = TestServer::start(&["--requirepass", "secret"]);
    let mut connection = server.connect();
    for command in [
        &["GET", "k"][..],
        &["PING"],
        &["CLIENT", "ID"],
        &["SELECT", "1"],
    ] {
        assert_eq!(
            run_err_reply(&mut connection, command),
            "NOAUTH Authentication required.",
            "{command:?}"
        );
    }
    assert_eq!(
        run_err_reply(&mut connection, &["AUTH", "wrong"]),
        "WRONGPASS invalid username-password pair or user is disabled."
    );
    assert_eq!(
        run_err_reply(&mut connection, &["GET", "k"]),
        "NOAUTH Authentication required."
    );
    let ok: Value = run(&mut connection, &["AUTH", "secret"]);
    assert_eq!(ok, Value::Okay);
    let missing: Option<String> = run(&mut connection, &["GET", "k"]);
    assert_eq!(missing, None);
}

#[test]
fn auth_with_a_username_accepts_only_the_default_user() {
    let server = TestServer::start(&["--requirepass", "secret"]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(&mut connection, &["AUTH", "nobody", "secret"]),
        "WRONGPASS invalid username-password pair or user is disabled."
    );
    assert_eq!(
        run_err_reply(&mut connection, &["AUTH", "default", "wrong"]),
        "WRONGPASS invalid username-password pair or user is disabled."
    );
    assert_eq!(
        run_err_reply(&mut connection, &["AUTH", "a", "b", "c"]),
        "ERR syntax error"
    );
    let ok: Value = run(&mut connection, &["AUTH", "default", "secret"]);
    assert_eq!(ok, Value::Okay);
    let pong: String = run(&mut connection, &["PING"]);
    assert_eq!(pong, "PONG");
}

#[test]
fn auth_without_requirepass() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(&mut connection, &["AUTH", "foo"]),
        "ERR AUTH <password> called without any password configured for the default user. \
         Are you sure your configuration is correct?"
    );
    // The default user has no password, so any password is right for it.
    let ok: Value = run(&mut connection, &["AUTH", "default", "anything"]);
    assert_eq!(ok, Value::Okay);
    assert_eq!(
        run_err_reply(&mut connection, &["AUTH", "nobody", "pass"]),
        "WRONGPASS invalid username-password pair or user is disabled."
    );
}

#[test]
fn hello_auth_authenticates_and_reset_needs_no_auth() {
    let server = TestServer::start(&["--requirepass", "secret"]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(&mut connection, &["HELLO", "2"]),
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
         HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
         the RESP protocol version at the same time"
    );
    let reset: String = run(&mut connection, &["RESET"]);
    assert_eq!(reset, "RESET");
    assert_eq!(
        run_err_reply(&mut connection, &["HELLO", "3", "AUTH", "default", "wrong"]),
        "WRONGPASS invalid username-password pair or user is disabled."
    );
    let reply: Value = run(
        &mut connection,
        &[
            "HELLO", "3", "AUTH", "default", "secret", "SETNAME", "authed",
        ],
    );
    let fields = hello_fields(reply);
    assert_eq!(fields[2], ("proto".to_string(), Value::Int(3)));
    let name: String = run(&mut connection, &["CLIENT", "GETNAME"]);
    assert_eq!(name, "authed");
}

#[test]
fn reset_forgets_authentication() {
    let server = TestServer::start(&["--requirepass", "secret"]);
    let mut connection = connect_with(&server, Some("secret"), false);
    let pong: String = run(&mut connection, &["PING"]);
    assert_eq!(pong, "PONG");
    let _: () = run(&mut connection, &["RESET"]);
    assert_eq!(
        run_err_reply(&mut connection, &["PING"]),
        "NOAUTH Authentication required."
    );
}

#[test]
fn the_redis_crate_authenticates_from_the_url_in_resp2_and_resp3() {
    let server = TestServer::start(&["--requirepass", "secret"]);
    let mut resp2 = connect_with(&server, Some("secret"), false);
    let _: () = run(&mut resp2, &["SET", "k", "v"]);
    let mut resp3 = connect_with(&server, Some("secret"), true);
    let value: String = run(&mut resp3, &["GET", "k"]);
    assert_eq!(value, "v");
    let info: String = run(&mut resp3, &["CLIENT", "INFO"]);
    assert!(info.contains(" resp=3"), "{info}");
    let wrong = redis::Client::open(format!(
        "redis://:wrong@127.0.0.1:{}/?protocol=resp3",
        server.port()
    ))
    .unwrap()
    .get_connection();
    let error = wrong.err().expect("a wrong password must not connect");
    assert_eq!(error.code(), Some("WRONGPASS"), "{error}");
}

#[test]
fn config_set_requirepass_applies_to_new_connections() {
    let server = TestServer::start(&[]);
    let mut admin = server.connect();
    let _: () = run(&mut admin, &["CONFIG", "SET", "requirepass", "late"]);
    // The connection that set it stays authenticated.
    let pong: String = run(&mut admin, &["PING"]);
    assert_eq!(pong, "PONG");
    let mut newcomer = server.connect();
    assert_eq!(
        run_err_reply(&mut newcomer, &["PING"]),
        "NOAUTH Authentication required."
    );
    let _: () = run(&mut newcomer, &["AUTH", "late"]);
    let pong: String = run(&mut newcomer, &["PING"]);
    assert_eq!(pong, "PONG");
}

#[test]
fn unknown_commands_and_wrong_arity() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(&mut connection, &["FOOBAR", "a", "b"]),
        "ERR unknown command 'FOOBAR', with args beginning with: 'a' 'b' "
    );
    assert_eq!(
        run_err_reply(&mut connection, &["GET", "a", "b"]),
        "ERR wrong number of arguments for 'get' command"
    );
}
