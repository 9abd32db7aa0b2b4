//! CONFIG GET (glob patterns, several patterns), CONFIG SET (several pairs, atomicity, memory
//! units, immutable and unknown parameters) and CONFIG RESETSTAT.

use std::collections::BTreeMap;

use redis::Value;
use zedis_tests::{TestServer, run, run_err_reply};

/// `CONFIG GET` as a map, whatever order the pairs came in.
fn config_get(connection: &mut redis::Connection, patterns: &[&str]) -> BTreeMap<String, String> {
    let mut args = vec!["CONFIG", "GET"];
    args.extend_from_slice(patterns);
    let flat: Vec<String> = run(connection, &args);
    assert_eq!(flat.len() % 2, 0, "{flat:?}");
    let map: BTreeMap<String, String> = flat
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect();
    assert_eq!(
        map.len() * 2,
        flat.len(),
        "a parameter came twice: {flat:?}"
    );
    map
}

fn config_value(connection: &mut redis::Connection, name: &str) -> String {
    let reply: Vec<String> = run(connection, &["CONFIG", "GET", name]);
    assert_eq!(reply.len(), 2, "{reply:?}");
    assert_eq!(reply[0], name);
    reply[1].clone()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// An `INFO` field's value.
fn info_field(connection: &mut redis::Connection, section: &str, name: &str) -> String {
    let info: String = run(connection, &["INFO", section]);
    let prefix = format!("{name}:");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in {info}"))
        .to_string()
}

#[test]
fn config_get_replies_name_value_pairs() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: Vec<String> = run(&mut connection, &["CONFIG", "GET", "maxmemory"]);
    assert_eq!(reply, ["maxmemory", "0"]);
    let reply: Vec<String> = run(&mut connection, &["CONFIG", "GET", "maxmemory-policy"]);
    assert_eq!(reply, ["maxmemory-policy", "noeviction"]);
    let reply: Vec<String> = run(&mut connection, &["CONFIG", "GET", "nosuch"]);
    assert!(reply.is_empty(), "{reply:?}");
    assert_eq!(
        run_err_reply(&mut connection, &["CONFIG", "GET"]),
        "ERR wrong number of arguments for 'config|get' command"
    );
}

#[test]
fn config_get_reflects_startup_flags() {
    let server = TestServer::start(&["--maxmemory", "10mb", "--databases", "4", "--hz", "20"]);
    let mut connection = server.connect();
    assert_eq!(
        config_get(&mut connection, &["maxmemory", "databases", "hz"]),
        map(&[("maxmemory", "10485760"), ("databases", "4"), ("hz", "20")])
    );
}

#[test]
fn config_get_matches_glob_patterns() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        config_get(&mut connection, &["hash-max-*"]),
        map(&[
            ("hash-max-listpack-entries", "512"),
            ("hash-max-listpack-value", "64"),
            ("hash-max-ziplist-entries", "512"),
            ("hash-max-ziplist-value", "64"),
        ])
    );
    assert_eq!(
        config_get(&mut connection, &["*-max-ziplist-*"]),
        map(&[
            ("hash-max-ziplist-entries", "512"),
            ("hash-max-ziplist-value", "64"),
            ("list-max-ziplist-size", "-2"),
            ("zset-max-ziplist-entries", "128"),
            ("zset-max-ziplist-value", "64"),
        ])
    );
    assert_eq!(
        config_get(&mut connection, &["slowlog*"]),
        map(&[
            ("slowlog-log-slower-than", "10000"),
            ("slowlog-max-len", "128"),
        ])
    );
    assert_eq!(config_get(&mut connection, &["h?"]), map(&[("hz", "10")]));
    assert_eq!(
        config_get(&mut connection, &["lazyfree-lazy-user-[df]*"]),
        map(&[
            ("lazyfree-lazy-user-del", "no"),
            ("lazyfree-lazy-user-flush", "no"),
        ])
    );
    // Patterns ignore case; the names come back as Redis spells them.
    assert_eq!(
        config_get(&mut connection, &["MAXMEMORY-P*"]),
        map(&[("maxmemory-policy", "noeviction")])
    );
    assert!(config_get(&mut connection, &["nosuch*"]).is_empty());
}

#[test]
fn config_get_with_several_patterns_lists_each_parameter_once() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        config_get(&mut connection, &["hz", "timeout", "maxmemory-policy"]),
        map(&[
            ("hz", "10"),
            ("timeout", "0"),
            ("maxmemory-policy", "noeviction")
        ])
    );
    let reply: Vec<String> = run(
        &mut connection,
        &["CONFIG", "GET", "maxmemory", "maxmemory"],
    );
    assert_eq!(reply, ["maxmemory", "0"]);
    // Overlapping patterns: the union, without repeats (config_get checks).
    assert_eq!(
        config_get(
            &mut connection,
            &["hash-max-*", "*-max-ziplist-*", "nosuch"]
        ),
        map(&[
            ("hash-max-listpack-entries", "512"),
            ("hash-max-listpack-value", "64"),
            ("hash-max-ziplist-entries", "512"),
            ("hash-max-ziplist-value", "64"),
            ("list-max-ziplist-size", "-2"),
            ("zset-max-ziplist-entries", "128"),
            ("zset-max-ziplist-value", "64"),
        ])
    );
}

#[test]
fn config_get_of_an_exact_name_echoes_its_case() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: Vec<String> = run(&mut connection, &["CONFIG", "GET", "MaxMemory"]);
    assert_eq!(reply, ["MaxMemory", "0"]);
}

#[test]
fn config_get_maxmemory_glob() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        config_get(&mut connection, &["maxmemory*"]),
        map(&[
            ("maxmemory", "0"),
            ("maxmemory-clients", "0"),
            ("maxmemory-eviction-tenacity", "10"),
            ("maxmemory-policy", "noeviction"),
            ("maxmemory-samples", "5"),
        ])
    );
}

#[test]
#[ignore = "zedis differs: has Redis 7.2's set-max-listpack-entries and set-max-listpack-value"]
fn config_set_listpack_parameters_are_unknown_in_redis_7_0() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        config_get(&mut connection, &["set-max-*"]),
        map(&[("set-max-intset-entries", "512")])
    );
    assert_eq!(
        run_err_reply(
            &mut connection,
            &["CONFIG", "SET", "set-max-listpack-entries", "10"]
        ),
        "ERR Unknown option or number of arguments for CONFIG SET - 'set-max-listpack-entries'"
    );
}

#[test]
fn config_set_applies_several_pairs_at_once() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let ok: Value = run(
        &mut connection,
        &[
            "CONFIG",
            "SET",
            "maxmemory",
            "10mb",
            "hz",
            "20",
            "maxmemory-policy",
            "ALLKEYS-LRU",
        ],
    );
    assert_eq!(ok, Value::Okay);
    assert_eq!(
        config_get(&mut connection, &["maxmemory", "hz", "maxmemory-policy"]),
        map(&[
            ("maxmemory", "10485760"),
            ("hz", "20"),
            ("maxmemory-policy", "allkeys-lru"),
        ])
    );
    assert_eq!(info_field(&mut connection, "server", "hz"), "20");
    assert_eq!(
        info_field(&mut connection, "memory", "maxmemory"),
        "10485760"
    );
    assert_eq!(
        info_field(&mut connection, "memory", "maxmemory_policy"),
        "allkeys-lru"
    );
    // Names ignore case, and aliases set the parameter they stand for.
    let _: () = run(
        &mut connection,
        &[
            "CONFIG",
            "SET",
            "HZ",
            "15",
            "hash-max-ziplist-entries",
            "100",
        ],
    );
    assert_eq!(config_value(&mut connection, "hz"), "15");
    assert_eq!(
        config_value(&mut connection, "hash-max-listpack-entries"),
        "100"
    );
}

#[test]
fn config_set_changes_nothing_when_one_pair_fails() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let unchanged = || {
        map(&[
            ("maxmemory", "0"),
            ("hz", "10"),
            ("maxmemory-policy", "noeviction"),
        ])
    };
    let fails = [
        (
            &["maxmemory", "1mb", "maxmemory-policy", "bad"][..],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) \
             must be one of the following: volatile-lru, volatile-lfu, volatile-random, \
             volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
        ),
        (
            &[
                "hz",
                "20",
                "maxmemory",
                "10xb",
                "maxmemory-policy",
                "allkeys-lru",
            ],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be \
             a memory value",
        ),
        (
            &["maxmemory", "1mb", "foo", "bar"],
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
        ),
        (
            &["hz", "20", "databases", "4"],
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set \
             immutable config",
        ),
        (
            &["maxmemory", "1", "maxmemory", "2"],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate \
             parameter",
        ),
        (
            &["maxmemory", "1", "MAXMEMORY", "2"],
            "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate \
             parameter",
        ),
    ];
    for (pairs, error) in fails {
        let mut args = vec!["CONFIG", "SET"];
        args.extend_from_slice(pairs);
        assert_eq!(run_err_reply(&mut connection, &args), error, "{pairs:?}");
        assert_eq!(
            config_get(&mut connection, &["maxmemory", "hz", "maxmemory-policy"]),
            unchanged(),
            "after {pairs:?}"
        );
    }
}

#[test]
fn config_set_reads_memory_units() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    for (value, bytes) in [
        ("100mb", "104857600"),
        ("1gb", "1073741824"),
        ("1GB", "1073741824"),
        ("1g", "1000000000"),
        ("2MB", "2097152"),
        ("1m", "1000000"),
        ("1kb", "1024"),
        ("1k", "1000"),
        ("5", "5"),
        ("0", "0"),
    ] {
        let _: () = run(&mut connection, &["CONFIG", "SET", "maxmemory", value]);
        assert_eq!(config_value(&mut connection, "maxmemory"), bytes, "{value}");
    }
    for bad in ["10xb", "-1", "1.5gb", "1 mb", " 1mb"] {
        assert_eq!(
            run_err_reply(&mut connection, &["CONFIG", "SET", "maxmemory", bad]),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be \
             a memory value",
            "{bad:?}"
        );
    }
    assert_eq!(config_value(&mut connection, "maxmemory"), "0");
}

#[test]
fn config_set_memory_value_without_digits_is_zero() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    for value in ["", "mb"] {
        let _: () = run(&mut connection, &["CONFIG", "SET", "maxmemory", "7"]);
        let _: () = run(&mut connection, &["CONFIG", "SET", "maxmemory", value]);
        assert_eq!(config_value(&mut connection, "maxmemory"), "0", "{value:?}");
    }
}

#[test]
fn config_set_validates_values() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    for (name, value, reason) in [
        ("hz", "abc", "argument couldn't be parsed into an integer"),
        (
            "timeout",
            "-1",
            "argument must be between 0 and 2147483647 inclusive",
        ),
        ("activerehashing", "maybe", "argument must be 'yes' or 'no'"),
        (
            "maxmemory-samples",
            "0",
            "argument must be between 1 and 2147483647 inclusive",
        ),
        (
            "slowlog-log-slower-than",
            "-5",
            "argument must be between -1 and 9223372036854775807 inclusive",
        ),
        (
            "loglevel",
            "foo",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
    ] {
        assert_eq!(
            run_err_reply(&mut connection, &["CONFIG", "SET", name, value]),
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
        );
    }
    assert_eq!(
        config_get(
            &mut connection,
            &["hz", "timeout", "activerehashing", "loglevel"]
        ),
        map(&[
            ("hz", "10"),
            ("timeout", "0"),
            ("activerehashing", "yes"),
            ("loglevel", "notice"),
        ])
    );
}

#[test]
fn config_set_with_a_value_missing_is_a_syntax_error() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(
            &mut connection,
            &["CONFIG", "SET", "maxmemory", "1mb", "hz"]
        ),
        "ERR syntax error"
    );
}

#[test]
fn config_set_hz_is_clamped() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["CONFIG", "SET", "hz", "0"]);
    assert_eq!(config_value(&mut connection, "hz"), "1");
    let _: () = run(&mut connection, &["CONFIG", "SET", "hz", "1000"]);
    assert_eq!(config_value(&mut connection, "hz"), "500");
}

#[test]
fn config_set_refuses_immutable_parameters() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(&mut connection, &["CONFIG", "SET", "databases", "4"]),
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable \
         config"
    );
    assert_eq!(config_value(&mut connection, "databases"), "16");
}

#[test]
fn config_set_refuses_unknown_parameters_and_odd_arguments() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(&mut connection, &["CONFIG", "SET", "foo", "bar"]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["CONFIG", "SET", "maxmemory"]),
        "ERR wrong number of arguments for 'config|set' command"
    );
    assert_eq!(
        run_err_reply(&mut connection, &["CONFIG", "FOO"]),
        "ERR unknown subcommand 'FOO'. Try CONFIG HELP."
    );
    assert_eq!(config_value(&mut connection, "maxmemory"), "0");
}

#[test]
fn config_resetstat_clears_stats_commandstats_and_errorstats() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    // Counts from here on only, whatever connecting took.
    let _: () = run(&mut connection, &["CONFIG", "RESETSTAT"]);
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    let _: String = run(&mut connection, &["GET", "a"]);
    run_err_reply(&mut connection, &["LPUSH", "a", "x"]);
    run_err_reply(&mut connection, &["NOSUCH"]);
    run_err_reply(&mut connection, &["GET"]);
    let stats: String = run(&mut connection, &["INFO", "commandstats"]);
    assert!(
        stats.contains("\r\ncmdstat_get:calls=1,"),
        "GET was counted: {stats}"
    );
    let errors: String = run(&mut connection, &["INFO", "errorstats"]);
    assert_eq!(
        errors,
        "# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=1\r\n"
    );
    assert_eq!(
        info_field(&mut connection, "stats", "total_error_replies"),
        "3"
    );

    let ok: Value = run(&mut connection, &["CONFIG", "RESETSTAT"]);
    assert_eq!(ok, Value::Okay);
    // RESETSTAT itself is counted once it finishes; INFO only once it has replied.
    assert_eq!(
        info_field(&mut connection, "stats", "total_commands_processed"),
        "1"
    );
    assert_eq!(
        info_field(&mut connection, "stats", "total_error_replies"),
        "0"
    );
    let stats: String = run(&mut connection, &["INFO", "commandstats"]);
    let mut lines: Vec<&str> = stats.lines().collect();
    assert_eq!(lines.len(), 3, "{stats}");
    assert_eq!(lines[0], "# Commandstats");
    // Redis lists commands in its hash table's order.
    lines[1..].sort();
    assert!(
        lines[1].starts_with("cmdstat_config|resetstat:calls=1,usec="),
        "{stats}"
    );
    assert!(
        lines[1].ends_with(",rejected_calls=0,failed_calls=0"),
        "{stats}"
    );
    assert!(
        lines[2].starts_with("cmdstat_info:calls=2,usec="),
        "{stats}"
    );
    let errors: String = run(&mut connection, &["INFO", "errorstats"]);
    assert_eq!(errors, "# Errorstats\r\n");
    assert_eq!(
        run_err_reply(&mut connection, &["CONFIG", "RESETSTAT", "extra"]),
        "ERR wrong number of arguments for 'config|resetstat' command"
    );
}

#[test]
fn config_resetstat_clears_keyspace_counters() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    let _: String = run(&mut connection, &["GET", "a"]);
    let _: Option<String> = run(&mut connection, &["GET", "nosuch"]);
    let _: () = run(&mut connection, &["SET", "short", "v", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let _: Option<String> = run(&mut connection, &["GET", "short"]);
    assert_eq!(info_field(&mut connection, "stats", "expired_keys"), "1");
    assert_eq!(info_field(&mut connection, "stats", "keyspace_hits"), "1");
    assert_eq!(info_field(&mut connection, "stats", "keyspace_misses"), "2");
    let _: () = run(&mut connection, &["CONFIG", "RESETSTAT"]);
    for name in ["expired_keys", "keyspace_hits", "keyspace_misses"] {
        assert_eq!(info_field(&mut connection, "stats", name), "0", "{name}");
    }
}

#[test]
fn every_parameter_of_redis_7_0_is_answered_and_hidden_ones_only_by_name() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let all = config_get(&mut connection, &["*"]);
    let names = include_str!("../../server/src/config/redis-7.0.15-config-names.txt");
    for name in names.lines().filter(|n| !n.is_empty()) {
        assert!(all.contains_key(name), "CONFIG GET * lacks {name}");
    }
    assert!(!all.contains_key("key-load-delay"), "hidden from patterns");
    assert_eq!(config_value(&mut connection, "key-load-delay"), "0");
    // An alias is answered under the name asked for, with its parameter's value.
    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "repl-ping-slave-period", "3"],
    );
    assert_eq!(
        config_value(&mut connection, "repl-ping-replica-period"),
        "3"
    );
    assert_eq!(config_value(&mut connection, "repl-ping-slave-period"), "3");
}

#[test]
fn config_set_port_listens_elsewhere_and_a_failed_apply_rolls_everything_back() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let busy_port = busy.local_addr().unwrap().port().to_string();
    assert_eq!(
        run_err_reply(
            &mut connection,
            &["CONFIG", "SET", "maxmemory", "10mb", "port", &busy_port]
        ),
        "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this \
         port. Check server logs."
    );
    assert_eq!(config_value(&mut connection, "maxmemory"), "0");
    assert_eq!(
        config_value(&mut connection, "port"),
        server.port().to_string()
    );
    // Still listening where it was.
    let mut again = server.connect();
    let _: String = run(&mut again, &["PING"]);

    drop(busy);
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let new_port = free.local_addr().unwrap().port();
    drop(free);
    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "port", &new_port.to_string()],
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", new_port)).is_ok());
    assert!(std::net::TcpStream::connect(("127.0.0.1", server.port())).is_err());
    let info: String = run(&mut connection, &["INFO", "server"]);
    assert!(info.contains(&format!("tcp_port:{new_port}\r\n")), "{info}");
}

#[test]
fn immutable_protected_and_missing_features_are_refused() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let refused = |connection: &mut redis::Connection, name: &str, value: &str| {
        run_err_reply(connection, &["CONFIG", "SET", name, value])
    };
    assert_eq!(
        refused(&mut connection, "daemonize", "no"),
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable \
         config"
    );
    assert_eq!(
        refused(&mut connection, "dir", "/tmp"),
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    );
    assert!(refused(&mut connection, "cluster-enabled", "yes").contains("immutable"));
    assert!(refused(&mut connection, "save", "3600").contains("Invalid save parameters"));
    // What they mean when off is what zedis does.
    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "appendonly", "no", "save", ""],
    );
}
