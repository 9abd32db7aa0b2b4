//! Client-side caching through the redis crate: a RESP3 client tracks a key, another client
//! changes it, and the first receives the `invalidate` push; a RESP2 subscriber receives the
//! same invalidation as a Pub/Sub message when tracking is redirected to it.

use std::sync::mpsc;
use std::time::Duration;

use redis::{PushKind, Value};
use zedis_tests::{TestServer, run};

#[test]
fn a_resp3_client_is_told_when_a_key_it_read_changes() {
    let server = TestServer::start(&[]);
    let mut reader = server.connect_resp3();
    let (pushes, received) = mpsc::channel();
    reader.set_push_sender(pushes);
    let mut writer = server.connect();
    let _: () = run(&mut writer, &["SET", "user:1", "ann"]);
    let _: () = run(&mut reader, &["CLIENT", "TRACKING", "ON"]);
    let name: String = run(&mut reader, &["GET", "user:1"]);
    assert_eq!(name, "ann");
    // A key it did not read changes: nothing is pushed.
    let _: () = run(&mut writer, &["SET", "user:2", "bob"]);
    let _: () = run(&mut writer, &["SET", "user:1", "amy"]);
    // The push precedes the reply to the reader's next command.
    let _: String = run(&mut reader, &["PING"]);
    let push = received.try_recv().expect("an invalidation");
    assert_eq!(push.kind, PushKind::Invalidate);
    assert_eq!(
        push.data,
        vec![Value::Array(vec![Value::BulkString(b"user:1".to_vec())])]
    );
    assert!(received.try_recv().is_err(), "one invalidation only");
    // The key is forgotten until read again.
    let _: () = run(&mut writer, &["SET", "user:1", "eve"]);
    let _: String = run(&mut reader, &["PING"]);
    assert!(received.try_recv().is_err());
}

#[test]
fn a_resp2_subscriber_receives_redirected_invalidations() {
    let server = TestServer::start(&[]);
    let mut target = server.connect();
    let target_id: i64 = run(&mut target, &["CLIENT", "ID"]);
    let mut pubsub = target.as_pubsub();
    pubsub
        .subscribe("__redis__:invalidate")
        .expect("subscribes");
    pubsub
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut reader = server.connect();
    let redirect = target_id.to_string();
    let _: () = run(
        &mut reader,
        &["CLIENT", "TRACKING", "ON", "REDIRECT", &redirect],
    );
    let _: Option<String> = run(&mut reader, &["GET", "k"]);
    let mut writer = server.connect();
    let _: () = run(&mut writer, &["SET", "k", "1"]);
    let message = pubsub.get_message().expect("a message");
    assert_eq!(message.get_channel_name(), "__redis__:invalidate");
    let keys: Vec<String> = message.get_payload().expect("an array of keys");
    assert_eq!(keys, vec!["k".to_string()]);
}
