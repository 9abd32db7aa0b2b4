//! HyperLogLog values move between Redis 7.0.15 and zedis both ways, with GET/SET and with
//! DUMP/RESTORE: a value one server wrote counts the same on the other, and the same elements
//! added on both afterwards leave the same bytes. Values of every shape are moved: empty,
//! small and large sparse, promoted to dense by growth, by a register past 32 and by
//! `PFDEBUG TODENSE`, and merged ones.

use redis_tests::raw::RawConnection;
use redis_tests::servers::{RedisServer, Zedis};

fn call(conn: &mut RawConnection, args: &[&[u8]]) -> Vec<u8> {
    conn.call(args)
}

fn text(conn: &mut RawConnection, args: &[&str]) -> String {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    String::from_utf8_lossy(&conn.call(&args)).into_owned()
}

/// The payload of a bulk reply.
fn bulk(reply: &[u8]) -> Vec<u8> {
    assert_eq!(
        reply.first(),
        Some(&b'$'),
        "{}",
        String::from_utf8_lossy(reply)
    );
    let start = reply.iter().position(|&b| b == b'\n').expect("bulk header") + 1;
    reply[start..reply.len() - 2].to_vec()
}

fn get(conn: &mut RawConnection, key: &str) -> Vec<u8> {
    bulk(&call(conn, &[b"GET", key.as_bytes()]))
}

fn pfadd(conn: &mut RawConnection, key: &str, elements: &[String]) -> String {
    let mut args: Vec<&[u8]> = vec![b"PFADD", key.as_bytes()];
    args.extend(elements.iter().map(|e| e.as_bytes()));
    String::from_utf8_lossy(&conn.call(&args)).into_owned()
}

fn elements(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i}")).collect()
}

/// Builds HyperLogLogs of every shape on `conn`; returns their keys.
fn build(conn: &mut RawConnection) -> Vec<&'static str> {
    text(conn, &["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
    pfadd(conn, "empty", &[]);
    pfadd(conn, "small", &elements("small", 20));
    pfadd(conn, "sparse", &elements("sparse", 700));
    pfadd(conn, "dense", &elements("dense", 20_000));
    pfadd(conn, "todense", &elements("todense", 10));
    assert_eq!(text(conn, &["PFDEBUG", "TODENSE", "todense"]), ":1\r\n");
    // A register past 32 needs the dense encoding. This element sets register 777 to 40 (its
    // hash, computed backwards through MurmurHash64A, has 39 zeros after the index bits).
    let tall: &[u8] = b"\x92\x57\x78\x35\x3c\x50\xf2\xf6";
    pfadd(conn, "tall", &elements("tall", 5));
    call(conn, &[b"PFADD", b"tall", tall]);
    assert_eq!(text(conn, &["PFDEBUG", "ENCODING", "tall"]), "+dense\r\n");
    text(conn, &["PFMERGE", "merged", "small", "sparse"]);
    // Counted once, so the cached cardinality is valid in what moves.
    text(conn, &["PFCOUNT", "sparse"]);
    vec![
        "empty", "small", "sparse", "dense", "todense", "tall", "merged",
    ]
}

/// Moves every key from `from` to `to` under `moved:<key>`, by GET/SET or DUMP/RESTORE.
fn move_values(from: &mut RawConnection, to: &mut RawConnection, keys: &[&str], dump: bool) {
    for key in keys {
        let target = format!("moved:{key}");
        let reply = if dump {
            let payload = bulk(&call(from, &[b"DUMP", key.as_bytes()]));
            call(
                to,
                &[b"RESTORE", target.as_bytes(), b"0", &payload, b"REPLACE"],
            )
        } else {
            let value = get(from, key);
            call(to, &[b"SET", target.as_bytes(), &value])
        };
        assert_eq!(reply, b"+OK\r\n", "{key}");
        assert_eq!(get(to, &target), get(from, key), "{key}: the bytes moved");
    }
}

/// `moved:<key>` on `to` behaves as `<key>` on `from`: same count (cached or computed), same
/// encoding, same bytes after the same elements are added, same union.
fn compare(from: &mut RawConnection, to: &mut RawConnection, keys: &[&str], direction: &str) {
    for key in keys {
        let moved = format!("moved:{key}");
        let count = text(from, &["PFCOUNT", key]);
        assert_eq!(
            text(to, &["PFCOUNT", &moved]),
            count,
            "{direction} {key}: PFCOUNT"
        );
        assert_eq!(
            text(to, &["PFDEBUG", "ENCODING", &moved]),
            text(from, &["PFDEBUG", "ENCODING", key]),
            "{direction} {key}: encoding"
        );
        for (round, n) in [(0, 1), (1, 30), (2, 2_000)] {
            let new = elements(&format!("more{round}"), n);
            assert_eq!(
                pfadd(to, &moved, &new),
                pfadd(from, key, &new),
                "{direction} {key}"
            );
            assert_eq!(
                get(to, &moved),
                get(from, key),
                "{direction} {key}: bytes after adding {n}"
            );
            assert_eq!(
                text(to, &["PFCOUNT", &moved]),
                text(from, &["PFCOUNT", key]),
                "{direction} {key}: PFCOUNT after adding {n}"
            );
        }
        assert_eq!(
            text(to, &["PFCOUNT", &moved, "moved:small", "moved:dense"]),
            text(from, &["PFCOUNT", key, "small", "dense"]),
            "{direction} {key}: union"
        );
    }
}

fn exchange(dump: bool) {
    redis_tests::servers::require_redis_tools();
    let redis = RedisServer::redis(&[]);
    let zedis = Zedis::with_debug_command(&[]);
    let mut r = RawConnection::connect(redis.port);
    let mut z = RawConnection::connect(zedis.port);
    let way = if dump { "DUMP/RESTORE" } else { "GET/SET" };
    for redis_first in [true, false] {
        let (from, to, direction) = if redis_first {
            (&mut r, &mut z, "Redis to zedis")
        } else {
            (&mut z, &mut r, "zedis to Redis")
        };
        text(from, &["FLUSHALL"]);
        text(to, &["FLUSHALL"]);
        let keys = build(from);
        move_values(from, to, &keys, dump);
        compare(from, to, &keys, &format!("{direction} ({way})"));
    }
    // Built on each server from the same elements, the values are the same bytes.
    text(&mut r, &["FLUSHALL"]);
    text(&mut z, &["FLUSHALL"]);
    let keys = build(&mut r);
    assert_eq!(build(&mut z), keys);
    for key in &keys {
        assert_eq!(get(&mut z, key), get(&mut r, key), "{key} built on both");
    }
}

#[test]
fn values_move_both_ways_with_get_and_set() {
    exchange(false);
}

#[test]
fn values_move_both_ways_with_dump_and_restore() {
    exchange(true);
}
