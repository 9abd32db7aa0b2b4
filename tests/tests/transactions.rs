//! Transactions: MULTI/EXEC/DISCARD, errors while queueing (EXECABORT) and while running,
//! WATCH/UNWATCH against other connections, flushes and expiry, and commands refused inside
//! MULTI.

use std::thread;
use std::time::Duration;

use redis::Value;
use zedis_tests::{TestServer, run, run_err_reply};

fn queued(connection: &mut redis::Connection, args: &[&str]) {
    let reply: Value = run(connection, args);
    assert_eq!(reply, Value::SimpleString("QUEUED".into()), "{args:?}");
}

fn bulk(text: &str) -> Value {
    Value::BulkString(text.as_bytes().to_vec())
}

const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

#[test]
fn exec_runs_the_queued_commands_in_order() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let ok: Value = run(&mut connection, &["MULTI"]);
    assert_eq!(ok, Value::Okay);
    queued(&mut connection, &["SET", "a", "1"]);
    queued(&mut connection, &["INCR", "a"]);
    queued(&mut connection, &["GET", "a"]);
    queued(&mut connection, &["GET", "nosuch"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(
        replies,
        Value::Array(vec![Value::Okay, Value::Int(2), bulk("2"), Value::Nil])
    );
    // The transaction is over.
    assert_eq!(
        run_err_reply(&mut connection, &["EXEC"]),
        "ERR EXEC without MULTI"
    );
}

#[test]
fn queued_commands_wait_for_exec() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "a", "1"]);
    let seen: Option<String> = run(&mut other, &["GET", "a"]);
    assert_eq!(seen, None);
    let _: Value = run(&mut connection, &["EXEC"]);
    let seen: String = run(&mut other, &["GET", "a"]);
    assert_eq!(seen, "1");
}

#[test]
fn exec_of_an_empty_transaction() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Array(vec![]));
}

#[test]
fn the_redis_crate_atomic_pipeline() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let (set, incr, get): (String, i64, String) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("a")
        .arg("10")
        .cmd("INCRBY")
        .arg("a")
        .arg("5")
        .cmd("GET")
        .arg("a")
        .query(&mut connection)
        .unwrap();
    assert_eq!((set.as_str(), incr, get.as_str()), ("OK", 15, "15"));
}

#[test]
fn discard_drops_the_queue() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "a", "2"]);
    queued(&mut connection, &["DEL", "a"]);
    let ok: Value = run(&mut connection, &["DISCARD"]);
    assert_eq!(ok, Value::Okay);
    let value: String = run(&mut connection, &["GET", "a"]);
    assert_eq!(value, "1");
    assert_eq!(
        run_err_reply(&mut connection, &["DISCARD"]),
        "ERR DISCARD without MULTI"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["EXEC"]),
        "ERR EXEC without MULTI"
    );
}

#[test]
fn nested_multi_is_an_error_that_keeps_the_transaction() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    assert_eq!(
        run_err_reply(&mut connection, &["MULTI"]),
        "ERR MULTI calls can not be nested"
    );
    queued(&mut connection, &["SET", "a", "1"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Array(vec![Value::Okay]));
}

#[test]
fn an_error_while_queueing_aborts_exec() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "a", "3"]);
    assert_eq!(
        run_err_reply(&mut connection, &["GET"]),
        "ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["NOSUCHCOMMAND", "x"]),
        "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' "
    );
    // Commands after the error are still queued.
    queued(&mut connection, &["SET", "a", "4"]);
    assert_eq!(run_err_reply(&mut connection, &["EXEC"]), EXECABORT);
    // Nothing ran, and the transaction is over.
    let value: String = run(&mut connection, &["GET", "a"]);
    assert_eq!(value, "1");
    assert_eq!(
        run_err_reply(&mut connection, &["EXEC"]),
        "ERR EXEC without MULTI"
    );
}

#[test]
fn errors_while_running_do_not_stop_the_others() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "a", "4"]);
    queued(&mut connection, &["LPUSH", "a", "foo"]);
    queued(&mut connection, &["INCR", "a"]);
    queued(&mut connection, &["GET", "a"]);
    // The redis crate turns a reply holding an error into an error: read the raw reply.
    connection
        .send_packed_command(&redis::cmd("EXEC").get_packed_command())
        .unwrap();
    let replies = connection.recv_response().unwrap();
    let Value::Array(replies) = replies else {
        panic!("{replies:?}");
    };
    assert_eq!(replies.len(), 4, "{replies:?}");
    assert_eq!(replies[0], Value::Okay);
    let Value::ServerError(error) = &replies[1] else {
        panic!("{:?}", replies[1]);
    };
    assert_eq!(error.code(), "WRONGTYPE");
    assert_eq!(
        error.details(),
        Some("Operation against a key holding the wrong kind of value")
    );
    assert_eq!(replies[2], Value::Int(5));
    assert_eq!(replies[3], bulk("5"));
    // No rollback.
    let value: String = run(&mut connection, &["GET", "a"]);
    assert_eq!(value, "5");
}

#[test]
fn watch_aborts_exec_when_another_client_changes_the_key() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    let ok: Value = run(&mut connection, &["WATCH", "a"]);
    assert_eq!(ok, Value::Okay);
    let _: () = run(&mut other, &["SET", "a", "changed"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "a", "mine"]);
    queued(&mut connection, &["SET", "b", "mine"]);
    // A null reply: nothing ran.
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Nil);
    let value: String = run(&mut connection, &["GET", "a"]);
    assert_eq!(value, "changed");
    let exists: i64 = run(&mut connection, &["EXISTS", "b"]);
    assert_eq!(exists, 0);
    // EXEC forgot the watch: the next transaction runs.
    let _: () = run(&mut other, &["SET", "a", "again"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["GET", "a"]);
    let replies: Vec<String> = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, ["again"]);
}

#[test]
fn a_change_during_multi_also_aborts() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    let _: () = run(&mut connection, &["WATCH", "a", "b"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["INCR", "counter"]);
    // Creating a watched key that did not exist is a change.
    let _: i64 = run(&mut other, &["RPUSH", "b", "x"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Nil);
    let counter: Option<i64> = run(&mut connection, &["GET", "counter"]);
    assert_eq!(counter, None);
}

#[test]
fn watch_without_changes_lets_exec_run() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    let _: () = run(&mut connection, &["WATCH", "a", "nosuch"]);
    // Reads and writes of other keys do not count.
    let _: String = run(&mut other, &["GET", "a"]);
    let _: () = run(&mut other, &["SET", "unrelated", "x"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["INCR", "a"]);
    let replies: Vec<i64> = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, [2]);
}

#[test]
fn the_watching_client_own_write_aborts_too() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["WATCH", "a"]);
    let _: () = run(&mut connection, &["SET", "a", "watched-change"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "a", "5"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Nil);
    let value: String = run(&mut connection, &["GET", "a"]);
    assert_eq!(value, "watched-change");
}

#[test]
fn unwatch_and_discard_forget_watched_keys() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    let ok: Value = run(&mut connection, &["WATCH", "a"]);
    assert_eq!(ok, Value::Okay);
    let ok: Value = run(&mut connection, &["UNWATCH"]);
    assert_eq!(ok, Value::Okay);
    let _: () = run(&mut other, &["SET", "a", "1"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["GET", "a"]);
    let replies: Vec<String> = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, ["1"]);

    let _: () = run(&mut connection, &["WATCH", "a"]);
    let _: () = run(&mut connection, &["MULTI"]);
    let _: () = run(&mut connection, &["DISCARD"]);
    let _: () = run(&mut other, &["SET", "a", "2"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["GET", "a"]);
    let replies: Vec<String> = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, ["2"]);
}

#[test]
fn watch_is_per_database() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    let _: () = run(&mut connection, &["WATCH", "a"]);
    let _: () = run(&mut other, &["SELECT", "1"]);
    let _: () = run(&mut other, &["SET", "a", "in-db1"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "a", "in-db0"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Array(vec![Value::Okay]));
    // The watch stays on the database it was made in, whatever is selected at EXEC.
    let _: () = run(&mut connection, &["WATCH", "a"]);
    let _: () = run(&mut connection, &["SELECT", "1"]);
    let _: () = run(&mut other, &["SELECT", "0"]);
    let _: () = run(&mut other, &["SET", "a", "changed"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["GET", "a"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Nil);
}

#[test]
fn flushing_a_watched_key_aborts() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    for flush in ["FLUSHDB", "FLUSHALL"] {
        let _: () = run(&mut connection, &["SET", "a", "1"]);
        let _: () = run(&mut connection, &["WATCH", "a"]);
        let _: () = run(&mut other, &[flush]);
        let _: () = run(&mut connection, &["MULTI"]);
        queued(&mut connection, &["SET", "b", "1"]);
        let replies: Value = run(&mut connection, &["EXEC"]);
        assert_eq!(replies, Value::Nil, "{flush}");
    }
    // A flush does not change a watched key that did not exist.
    let _: () = run(&mut connection, &["WATCH", "a"]);
    let _: () = run(&mut other, &["FLUSHALL"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "b", "1"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Array(vec![Value::Okay]));
}

#[test]
fn swapdb_aborts_a_watch_on_a_key_it_brings_in() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    let _: () = run(&mut other, &["SELECT", "1"]);
    let _: () = run(&mut other, &["SET", "a", "from-db1"]);
    let _: () = run(&mut connection, &["WATCH", "a"]);
    let _: () = run(&mut other, &["SWAPDB", "0", "1"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["GET", "a"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Nil);
}

#[test]
fn a_watched_key_that_expires_aborts_exec() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["SET", "a", "v", "PX", "50"]);
    let _: () = run(&mut connection, &["WATCH", "a"]);
    thread::sleep(Duration::from_millis(120));
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["GET", "a"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Nil);
}

#[test]
fn a_watched_key_deleted_on_access_after_expiring_aborts_exec() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    let _: () = run(&mut connection, &["SET", "a", "v", "PX", "50"]);
    let _: () = run(&mut connection, &["WATCH", "a"]);
    thread::sleep(Duration::from_millis(120));
    // The read finds it expired and deletes it.
    let gone: Option<String> = run(&mut other, &["GET", "a"]);
    assert_eq!(gone, None);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "b", "1"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Nil);
}

#[test]
fn watching_a_key_that_already_expired_does_not_abort() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut other = server.connect();
    let _: () = run(&mut connection, &["SET", "a", "v", "PX", "1"]);
    thread::sleep(Duration::from_millis(20));
    // Expired (or already deleted) when watched: its deletion is no change.
    let _: () = run(&mut connection, &["WATCH", "a"]);
    let gone: Option<String> = run(&mut other, &["GET", "a"]);
    assert_eq!(gone, None);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "b", "1"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Array(vec![Value::Okay]));
}

#[test]
fn watch_is_refused_inside_multi_without_aborting() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    assert_eq!(
        run_err_reply(&mut connection, &["WATCH", "a"]),
        "ERR WATCH inside MULTI is not allowed"
    );
    queued(&mut connection, &["SET", "a", "2"]);
    // UNWATCH may be queued.
    queued(&mut connection, &["UNWATCH"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Array(vec![Value::Okay, Value::Okay]));
    assert_eq!(
        run_err_reply(&mut connection, &["WATCH"]),
        "ERR wrong number of arguments for 'watch' command"
    );
}

#[test]
fn commands_not_allowed_in_multi_abort_the_transaction() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "a", "1"]);
    assert_eq!(
        run_err_reply(&mut connection, &["SHUTDOWN"]),
        "ERR Command not allowed inside a transaction"
    );
    assert_eq!(run_err_reply(&mut connection, &["EXEC"]), EXECABORT);
    let exists: i64 = run(&mut connection, &["EXISTS", "a"]);
    assert_eq!(exists, 0);
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["BLPOP", "nolist", "0"]);
    queued(&mut connection, &["RPUSH", "list", "x"]);
    queued(&mut connection, &["BRPOP", "list", "0"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(
        replies,
        Value::Array(vec![
            Value::Nil,
            Value::Int(1),
            Value::Array(vec![bulk("list"), bulk("x")]),
        ])
    );
}

#[test]
fn reset_ends_a_transaction() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["SET", "a", "1"]);
    let reply: String = run(&mut connection, &["RESET"]);
    assert_eq!(reply, "RESET");
    assert_eq!(
        run_err_reply(&mut connection, &["EXEC"]),
        "ERR EXEC without MULTI"
    );
    let exists: i64 = run(&mut connection, &["EXISTS", "a"]);
    assert_eq!(exists, 0);
}

#[test]
fn exec_in_resp3_replies_an_array_and_a_null_on_abort() {
    let server = TestServer::start(&[]);
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", server.port());
    let mut connection = redis::Client::open(url).unwrap().get_connection().unwrap();
    connection
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut other = server.connect();
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["HSET", "h", "f", "v"]);
    queued(&mut connection, &["HGETALL", "h"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(
        replies,
        Value::Array(vec![
            Value::Int(1),
            Value::Map(vec![(bulk("f"), bulk("v"))]),
        ])
    );
    let _: () = run(&mut connection, &["WATCH", "h"]);
    let _: () = run(&mut other, &["DEL", "h"]);
    let _: () = run(&mut connection, &["MULTI"]);
    queued(&mut connection, &["HGETALL", "h"]);
    let replies: Value = run(&mut connection, &["EXEC"]);
    assert_eq!(replies, Value::Nil);
}

#[test]
fn client_list_counts_queued_commands() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let mut observer = server.connect();
    let id: i64 = run(&mut connection, &["CLIENT", "ID"]);
    let _: () = run(&mut connection, &["MULTI"]);
    for _ in 0..3 {
        queued(&mut connection, &["PING"]);
    }
    let line: String = run(&mut observer, &["CLIENT", "LIST", "ID", &id.to_string()]);
    assert!(line.contains(" flags=x "), "{line}");
    assert!(line.contains(" multi=3 "), "{line}");
    let _: () = run(&mut connection, &["DISCARD"]);
    let line: String = run(&mut observer, &["CLIENT", "LIST", "ID", &id.to_string()]);
    assert!(line.contains(" flags=N "), "{line}");
    assert!(line.contains(" multi=-1 "), "{line}");
}
