//! The `redis` crate's cluster client against zedis in cluster mode (`cluster-enabled yes`): it
//! reads the slot map from `CLUSTER SLOTS` (one node owning every slot, announced without an
//! address, so the client keeps the one it connected to), routes each command to the slot's
//! node, splits multi-key commands per slot and joins their replies, and runs pipelines.

use redis::Commands;
use redis::cluster::ClusterClient;
use zedis_tests::{TestServer, run};

#[test]
fn the_cluster_client_routes_splits_and_pipelines_through_one_node() {
    let server = TestServer::start(&["--cluster-enabled", "yes"]);
    let client = ClusterClient::new(vec![format!("redis://127.0.0.1:{}/", server.port())])
        .expect("cluster client");
    let mut cluster = client.get_connection().expect("cluster connection");

    let keys: Vec<String> = (0..200).map(|i| format!("user:{i}")).collect();
    for (i, key) in keys.iter().enumerate() {
        let _: () = cluster.set(key, i).expect("SET through the cluster client");
    }
    // Keys in many slots: the client splits the MGET by slot and joins the replies.
    let values: Vec<u64> = cluster.mget(&keys).expect("MGET across slots");
    assert_eq!(values, (0..200).collect::<Vec<u64>>());

    let mut pipe = redis::cluster::cluster_pipe();
    pipe.incr("{counter}a", 1)
        .incr("{counter}b", 2)
        .get("{counter}a");
    let (a, b, got): (u64, u64, u64) = pipe.query(&mut cluster).expect("pipeline");
    assert_eq!((a, b, got), (1, 2, 1));

    // Same-slot multi-key commands go through whole; the server holds every key once.
    let _: () = cluster
        .mset(&[("{t}1", "x"), ("{t}2", "y")])
        .expect("MSET in one slot");
    let mut direct = server.connect();
    assert_eq!(run::<i64>(&mut direct, &["DBSIZE"]), 204);
    let slot: i64 = run(&mut direct, &["CLUSTER", "KEYSLOT", "{t}1"]);
    assert_eq!(
        run::<Vec<String>>(
            &mut direct,
            &["CLUSTER", "GETKEYSINSLOT", &slot.to_string(), "10"]
        )
        .len(),
        2
    );
}
