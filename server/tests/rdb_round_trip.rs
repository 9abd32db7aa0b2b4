//! Round trips through the RDB format over random datasets: every type at sizes on both sides
//! of its encoding limits, integers and binary strings, expire times, several databases.
//! Whatever a server holds, saved and loaded again into a fresh server gives the same
//! `DEBUG DIGEST` (keys, values and expire times) and the same reply to reading each key;
//! a `DUMP` of every key restores to the same value elsewhere.

use proptest::collection::vec;
use proptest::prelude::*;
use zedis::cmd::harness::Harness;
use zedis::config::Config;
use zedis::db::digest;
use zedis::rdb::load::{LoadOptions, load};
use zedis::rdb::save::save_all;

/// One write to build a dataset with.
#[derive(Debug, Clone)]
enum Write {
    Set(String, String),
    Push(String, Vec<String>),
    HSet(String, Vec<(String, String)>),
    SAdd(String, Vec<String>),
    ZAdd(String, Vec<(f64, String)>),
    Expire(String, u64),
    Select(u8),
}

/// Short or long, integer or text (quoted for the harness's line splitting), sometimes with
/// bytes that are not text.
fn element() -> impl Strategy<Value = String> {
    prop_oneof![
        (-200_000i64..200_000).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-z]{1,12}",
        "[a-z]{60,90}",
        vec(any::<u8>(), 0..30).prop_map(|bytes| {
            bytes
                .iter()
                .map(|b| format!("\\x{b:02x}"))
                .collect::<String>()
        }),
    ]
}

fn key() -> impl Strategy<Value = String> {
    "k[0-9]{1,2}"
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        (key(), element()).prop_map(|(k, v)| Write::Set(k, v)),
        (key(), vec(element(), 1..200)).prop_map(|(k, v)| Write::Push(k, v)),
        (key(), vec((element(), element()), 1..160)).prop_map(|(k, v)| Write::HSet(k, v)),
        (key(), vec(element(), 1..200)).prop_map(|(k, v)| Write::SAdd(k, v)),
        (
            key(),
            vec(
                (
                    prop_oneof![-1e6f64..1e6, Just(f64::INFINITY), Just(-0.5)],
                    element()
                ),
                1..160
            )
        )
            .prop_map(|(k, v)| Write::ZAdd(k, v)),
        (key(), 1u64..10_000_000).prop_map(|(k, s)| Write::Expire(k, s)),
        (0u8..4).prop_map(Write::Select),
    ]
}

/// The command line of a write (a write of the wrong type just fails, as it would anywhere).
fn line(write: &Write) -> String {
    let quoted = |s: &String| format!("\"{s}\"");
    match write {
        Write::Set(k, v) => format!("SET {k} {}", quoted(v)),
        Write::Push(k, items) => {
            let items: Vec<String> = items.iter().map(quoted).collect();
            format!("RPUSH {k} {}", items.join(" "))
        }
        Write::HSet(k, pairs) => {
            let pairs: Vec<String> = pairs
                .iter()
                .map(|(f, v)| format!("{} {}", quoted(f), quoted(v)))
                .collect();
            format!("HSET {k} {}", pairs.join(" "))
        }
        Write::SAdd(k, members) => {
            let members: Vec<String> = members.iter().map(quoted).collect();
            format!("SADD {k} {}", members.join(" "))
        }
        Write::ZAdd(k, pairs) => {
            let pairs: Vec<String> = pairs
                .iter()
                .map(|(score, m)| format!("{score} {}", quoted(m)))
                .collect();
            format!("ZADD {k} {}", pairs.join(" "))
        }
        Write::Expire(k, seconds) => format!("EXPIRE {k} {seconds}"),
        Write::Select(db) => format!("SELECT {db}"),
    }
}

/// The elements of a flat RESP2 array of bulk strings, read by their lengths (they may hold
/// CR LF).
fn bulk_strings(reply: &[u8]) -> Vec<Vec<u8>> {
    let line_end = |at: usize| {
        at + reply[at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("CRLF")
    };
    let header = line_end(0);
    let count: usize = std::str::from_utf8(&reply[1..header])
        .unwrap()
        .parse()
        .unwrap();
    let mut at = header + 2;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let end = line_end(at);
        let len: usize = std::str::from_utf8(&reply[at + 1..end])
            .unwrap()
            .parse()
            .unwrap();
        out.push(reply[end + 2..end + 2 + len].to_vec());
        at = end + 2 + len + 2;
    }
    out
}

/// What reading every key of databases 0 to 3 replies, in key order.
fn contents(h: &mut Harness) -> Vec<String> {
    let mut out = Vec::new();
    for db in 0..4 {
        h.run(&format!("SELECT {db}"));
        for i in 0..100 {
            let k = format!("k{i}");
            let reply = match h.run(&format!("TYPE {k}")).as_str() {
                "+none\r\n" => continue,
                "+string\r\n" => h.run(&format!("GET {k}")),
                "+list\r\n" => h.run(&format!("LRANGE {k} 0 -1")),
                // A hash table's order is not part of the data.
                "+hash\r\n" => {
                    let flat = bulk_strings(&h.run_bytes(&format!("HGETALL {k}")));
                    let mut pairs: Vec<&[Vec<u8>]> = flat.chunks(2).collect();
                    pairs.sort();
                    format!("{pairs:?}")
                }
                // Nor is a set's; SORT ALPHA would not do, as it compares members as C
                // strings (up to a NUL), so members equal that way keep the table's order.
                "+set\r\n" => {
                    let mut members = bulk_strings(&h.run_bytes(&format!("SMEMBERS {k}")));
                    members.sort();
                    format!("{members:?}")
                }
                "+zset\r\n" => h.run(&format!("ZRANGE {k} 0 -1 WITHSCORES")),
                other => panic!("type {other}"),
            };
            out.push(format!(
                "{db} {k} {reply} {}",
                h.run(&format!("PEXPIRETIME {k}"))
            ));
        }
    }
    out
}

/// Small listpack limits, so random sizes cross them both ways.
fn config() -> Config {
    Config {
        hash_max_listpack_entries: 16,
        set_max_intset_entries: 32,
        set_max_listpack_entries: 16,
        zset_max_listpack_entries: 16,
        list_max_listpack_size: 8,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn what_is_saved_loads_back_the_same(writes in vec(write(), 1..40), compression: bool) {
        let mut source = Harness::with_config(Config {
            rdbcompression: compression,
            ..config()
        });
        for write in &writes {
            source.run(&line(write));
        }
        let expected = digest::dataset(&source.server.keyspace);
        let saved = save_all(&source.server.keyspace, &[], source.server.save_options(), Vec::new())
            .expect("saving to memory");

        let mut target = Harness::with_config(config());
        let options = LoadOptions { drop_expired: false, ..target.server.load_options() };
        let report = load(&saved[..], &mut target.server.keyspace, &options).expect("loads");
        prop_assert_eq!(report.keys_loaded, source.server.keyspace.total_keys() as u64);
        prop_assert_eq!(digest::hex(&digest::dataset(&target.server.keyspace)), digest::hex(&expected));
        prop_assert_eq!(contents(&mut target), contents(&mut source));

        // Each key's DUMP restores to the same value on another server.
        let mut restored = Harness::with_config(config());
        for db in 0..4 {
            source.run(&format!("SELECT {db}"));
            restored.run(&format!("SELECT {db}"));
            for i in 0..100 {
                let k = format!("k{i}");
                let dump = source.run_bytes(&format!("DUMP {k}"));
                if dump == b"$-1\r\n" {
                    continue;
                }
                // The bulk string's body, written back as an escaped argument.
                let start = dump.iter().position(|&b| b == b'\n').expect("bulk header") + 1;
                let payload = &dump[start..dump.len() - 2];
                let escaped: String = payload.iter().map(|b| format!("\\x{b:02x}")).collect();
                prop_assert_eq!(
                    restored.run(&format!("RESTORE {k} 0 \"{escaped}\"")),
                    "+OK\r\n"
                );
                prop_assert_eq!(
                    restored.run(&format!("DEBUG DIGEST-VALUE {k}")),
                    source.run(&format!("DEBUG DIGEST-VALUE {k}"))
                );
            }
        }
    }
}
