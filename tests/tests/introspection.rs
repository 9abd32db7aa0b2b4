//! Introspection: COMMAND (COUNT, INFO, LIST, DOCS, GETKEYS), INFO sections and their fields,
//! DBSIZE, TIME, SLOWLOG and the DEBUG gate.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::Value;
use zedis_tests::{INFO_MEMORY_FIELDS, TestServer, run, run_err_reply};

const SERVER_FIELDS: &[&str] = &[
    "redis_version",
    "redis_git_sha1",
    "redis_git_dirty",
    "redis_build_id",
    "redis_mode",
    "os",
    "arch_bits",
    "monotonic_clock",
    "multiplexing_api",
    "atomicvar_api",
    "gcc_version",
    "process_id",
    "process_supervised",
    "run_id",
    "tcp_port",
    "server_time_usec",
    "uptime_in_seconds",
    "uptime_in_days",
    "hz",
    "configured_hz",
    "lru_clock",
    "executable",
    "config_file",
    "io_threads_active",
    // zedis's own identity, after Redis's fields.
    "zedis_version",
    "zedis_git_sha1",
    "zedis_git_dirty",
    "zedis_build_id",
];

const CLIENTS_FIELDS: &[&str] = &[
    "connected_clients",
    "cluster_connections",
    "maxclients",
    "client_recent_max_input_buffer",
    "client_recent_max_output_buffer",
    "blocked_clients",
    "tracking_clients",
    "clients_in_timeout_table",
];

const STATS_FIELDS: &[&str] = &[
    "total_connections_received",
    "total_commands_processed",
    "instantaneous_ops_per_sec",
    "total_net_input_bytes",
    "total_net_output_bytes",
    "total_net_repl_input_bytes",
    "total_net_repl_output_bytes",
    "instantaneous_input_kbps",
    "instantaneous_output_kbps",
    "instantaneous_input_repl_kbps",
    "instantaneous_output_repl_kbps",
    "rejected_connections",
    "sync_full",
    "sync_partial_ok",
    "sync_partial_err",
    "expired_keys",
    "expired_stale_perc",
    "expired_time_cap_reached_count",
    "expire_cycle_cpu_milliseconds",
    "evicted_keys",
    "evicted_clients",
    "total_eviction_exceeded_time",
    "current_eviction_exceeded_time",
    "keyspace_hits",
    "keyspace_misses",
    "pubsub_channels",
    "pubsub_patterns",
    "pubsubshard_channels",
    "latest_fork_usec",
    "total_forks",
    "migrate_cached_sockets",
    "slave_expires_tracked_keys",
    "active_defrag_hits",
    "active_defrag_misses",
    "active_defrag_key_hits",
    "active_defrag_key_misses",
    "total_active_defrag_time",
    "current_active_defrag_time",
    "tracking_total_keys",
    "tracking_total_items",
    "tracking_total_prefixes",
    "unexpected_error_replies",
    "total_error_replies",
    "dump_payload_sanitizations",
    "total_reads_processed",
    "total_writes_processed",
    "io_threaded_reads_processed",
    "io_threaded_writes_processed",
    "reply_buffer_shrinks",
    "reply_buffer_expands",
];

/// One INFO section: checks the title line and the `\r\n` line ends, and returns its
/// (name, value) fields in order.
fn section(connection: &mut redis::Connection, name: &str, title: &str) -> Vec<(String, String)> {
    let text: String = run(connection, &["INFO", name]);
    let body = text
        .strip_prefix(&format!("# {title}\r\n"))
        .unwrap_or_else(|| panic!("INFO {name} starts with its title: {text:?}"));
    assert!(body.is_empty() || body.ends_with("\r\n"), "{text:?}");
    body.split_terminator("\r\n")
        .map(|line| {
            let (name, value) = line.split_once(':').expect("name:value");
            (name.to_string(), value.to_string())
        })
        .collect()
}

fn names(fields: &[(String, String)]) -> Vec<&str> {
    fields.iter().map(|(n, _)| n.as_str()).collect()
}

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {fields:?}"))
        .1
        .as_str()
}

/// The section titles of an INFO reply.
fn titles(text: &str) -> Vec<&str> {
    text.split("\r\n")
        .filter_map(|line| line.strip_prefix("# "))
        .collect()
}

/// `a=1,b=2` as pairs.
fn subfields(value: &str) -> Vec<(&str, &str)> {
    value
        .split(',')
        .map(|pair| pair.split_once('=').expect("a=b"))
        .collect()
}

fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn bulk(text: &str) -> Value {
    Value::BulkString(text.as_bytes().to_vec())
}

fn status(text: &str) -> Value {
    Value::SimpleString(text.to_string())
}

#[test]
fn command_count_is_the_number_of_top_level_commands() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let count: usize = run(&mut connection, &["COMMAND", "COUNT"]);
    let list: Vec<String> = run(&mut connection, &["COMMAND", "LIST"]);
    let top_level = list.iter().filter(|name| !name.contains('|')).count();
    assert_eq!(count, top_level);
    let all: Vec<Value> = run(&mut connection, &["COMMAND"]);
    assert_eq!(all.len(), count);
    // Subcommands are listed as container|subcommand.
    for name in [
        "config|get",
        "client|kill",
        "command|count",
        "slowlog|reset",
    ] {
        assert!(list.iter().any(|n| n == name), "{name} in {list:?}");
    }
    for name in [
        "get", "set", "multi", "config", "client", "command", "slowlog",
    ] {
        assert!(list.iter().any(|n| n == name), "{name} in {list:?}");
    }
    assert_eq!(
        run_err_reply(&mut connection, &["COMMAND", "COUNT", "extra"]),
        "ERR wrong number of arguments for 'command|count' command"
    );
}

#[test]
fn command_info_describes_get() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: Vec<Value> = run(&mut connection, &["COMMAND", "INFO", "get"]);
    let key_spec = Value::Array(vec![
        bulk("flags"),
        Value::Array(vec![status("RO"), status("access")]),
        bulk("begin_search"),
        Value::Array(vec![
            bulk("type"),
            bulk("index"),
            bulk("spec"),
            Value::Array(vec![bulk("index"), Value::Int(1)]),
        ]),
        bulk("find_keys"),
        Value::Array(vec![
            bulk("type"),
            bulk("range"),
            bulk("spec"),
            Value::Array(vec![
                bulk("lastkey"),
                Value::Int(0),
                bulk("keystep"),
                Value::Int(1),
                bulk("limit"),
                Value::Int(0),
            ]),
        ]),
    ]);
    let expected = Value::Array(vec![
        bulk("get"),
        Value::Int(2),
        Value::Array(vec![status("readonly"), status("fast")]),
        Value::Int(1),
        Value::Int(1),
        Value::Int(1),
        Value::Array(vec![status("@read"), status("@string"), status("@fast")]),
        Value::Array(vec![]),
        Value::Array(vec![key_spec]),
        Value::Array(vec![]),
    ]);
    assert_eq!(reply, [expected]);
}

#[test]
fn command_info_of_several_and_unknown_commands() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: Vec<Value> = run(&mut connection, &["COMMAND", "INFO", "nosuch"]);
    assert_eq!(reply, [Value::Nil]);
    let reply: Vec<Value> = run(
        &mut connection,
        &["COMMAND", "INFO", "get", "nosuch", "MSET", "config|get"],
    );
    assert_eq!(reply.len(), 4);
    assert_eq!(reply[1], Value::Nil);
    // name, arity, flags, first key, last key, step
    let head = |info: &Value| match info {
        Value::Array(fields) => fields[..6].to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(head(&reply[0])[..2], [bulk("get"), Value::Int(2)]);
    assert_eq!(
        head(&reply[2]),
        [
            bulk("mset"),
            Value::Int(-3),
            Value::Array(vec![status("write"), status("denyoom")]),
            Value::Int(1),
            Value::Int(-1),
            Value::Int(2),
        ]
    );
    assert_eq!(
        head(&reply[3]),
        [
            bulk("config|get"),
            Value::Int(-3),
            Value::Array(vec![
                status("admin"),
                status("noscript"),
                status("loading"),
                status("stale")
            ]),
            Value::Int(0),
            Value::Int(0),
            Value::Int(0),
        ]
    );
}

#[test]
fn command_info_lists_subcommands() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: Vec<Vec<Value>> = run(&mut connection, &["COMMAND", "INFO", "slowlog"]);
    let Value::Array(subcommands) = &reply[0][9] else {
        panic!("{reply:?}");
    };
    let mut names: Vec<String> = subcommands
        .iter()
        .map(|sub| match sub {
            Value::Array(fields) => redis::from_redis_value(fields[0].clone()).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "slowlog|get",
            "slowlog|help",
            "slowlog|len",
            "slowlog|reset"
        ]
    );
}

#[test]
#[ignore = "zedis differs: command tips are empty and some flags and ACL categories differ"]
fn command_info_flags_categories_and_tips() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: Vec<Vec<Value>> = run(
        &mut connection,
        &["COMMAND", "INFO", "ping", "echo", "dbsize", "command|count"],
    );
    let strings =
        |value: &Value| -> Vec<String> { redis::from_redis_value(value.clone()).unwrap() };
    assert_eq!(strings(&reply[0][2]), ["fast"]);
    assert_eq!(
        strings(&reply[0][7]),
        ["request_policy:all_shards", "response_policy:all_succeeded"]
    );
    assert_eq!(strings(&reply[1][2]), ["loading", "stale", "fast"]);
    assert_eq!(strings(&reply[2][6]), ["@keyspace", "@read", "@fast"]);
    assert_eq!(strings(&reply[3][6]), ["@slow", "@connection"]);
}

#[test]
fn command_list_filterby() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let sorted = |connection: &mut redis::Connection, args: &[&str]| {
        let mut names: Vec<String> = run(connection, args);
        names.sort();
        names
    };
    assert_eq!(
        sorted(
            &mut connection,
            &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "transaction"]
        ),
        ["discard", "exec", "multi", "unwatch", "watch"]
    );
    assert_eq!(
        sorted(
            &mut connection,
            &["COMMAND", "LIST", "FILTERBY", "PATTERN", "*watch"]
        ),
        ["unwatch", "watch"]
    );
    assert_eq!(
        sorted(
            &mut connection,
            &["COMMAND", "LIST", "FILTERBY", "PATTERN", "slowlog*"]
        ),
        [
            "slowlog",
            "slowlog|get",
            "slowlog|help",
            "slowlog|len",
            "slowlog|reset"
        ]
    );
    assert_eq!(
        sorted(
            &mut connection,
            &["COMMAND", "LIST", "FILTERBY", "MODULE", "foo"]
        ),
        Vec::<String>::new()
    );
    for bad in [
        &["COMMAND", "LIST", "FILTERBY", "nosuch", "x"][..],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN"],
        &["COMMAND", "LIST", "foo"],
    ] {
        assert_eq!(run_err_reply(&mut connection, bad), "ERR syntax error");
    }
}

#[test]
fn command_docs_gives_the_group_and_version() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: Value = run(
        &mut connection,
        &["COMMAND", "DOCS", "get", "nosuch", "dbsize"],
    );
    let Value::Array(flat) = reply else {
        panic!("{reply:?}");
    };
    // Unknown names are left out.
    assert_eq!(flat.len(), 4, "{flat:?}");
    assert_eq!(flat[0], bulk("get"));
    assert_eq!(flat[2], bulk("dbsize"));
    let doc = |value: &Value| -> Vec<(String, Value)> {
        let Value::Array(items) = value else {
            panic!("{value:?}")
        };
        items
            .chunks(2)
            .map(|pair| {
                (
                    redis::from_redis_value(pair[0].clone()).unwrap(),
                    pair[1].clone(),
                )
            })
            .collect()
    };
    let get = doc(&flat[1]);
    let field = |doc: &[(String, Value)], name: &str| {
        doc.iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name} in {doc:?}"))
            .1
            .clone()
    };
    assert_eq!(field(&get, "since"), bulk("1.0.0"));
    assert_eq!(field(&get, "group"), bulk("string"));
    assert_eq!(field(&get, "complexity"), bulk("O(1)"));
    let dbsize = doc(&flat[3]);
    assert_eq!(field(&dbsize, "since"), bulk("1.0.0"));
    assert_eq!(field(&dbsize, "group"), bulk("server"));
    let nothing: Value = run(&mut connection, &["COMMAND", "DOCS", "nosuch"]);
    assert_eq!(nothing, Value::Array(vec![]));
}

#[test]
#[ignore = "zedis differs: COMMAND DOCS summaries use newer wording (192 of 194 differ), SSCAN \
            since 2.0.0 instead of 2.8.0"]
fn command_docs_summaries() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let reply: Vec<Value> = run(&mut connection, &["COMMAND", "DOCS", "get", "sscan"]);
    let Value::Array(get) = &reply[1] else {
        panic!("{reply:?}")
    };
    assert_eq!(get[..2], [bulk("summary"), bulk("Get the value of a key")]);
    let Value::Array(sscan) = &reply[3] else {
        panic!("{reply:?}")
    };
    assert_eq!(sscan[3], bulk("2.8.0"));
}

#[test]
fn command_getkeys_finds_the_keys_of_a_command() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    for (command, keys) in [
        (&["GET", "k"][..], &["k"][..]),
        (&["SET", "k", "v", "EX", "10"], &["k"]),
        (&["MSET", "a", "1", "b", "2"], &["a", "b"]),
        (
            &["ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"],
            &["dst", "a", "b"],
        ),
        (&["LMPOP", "2", "a", "b", "LEFT"], &["a", "b"]),
        (&["BLPOP", "a", "b", "0"], &["a", "b"]),
        (&["MEMORY", "USAGE", "k"], &["k"]),
    ] {
        let mut args = vec!["COMMAND", "GETKEYS"];
        args.extend_from_slice(command);
        let found: Vec<String> = run(&mut connection, &args);
        assert_eq!(found, keys, "{command:?}");
    }
    for (command, error) in [
        (&["PING", "x"][..], "ERR The command has no key arguments"),
        (
            &["CONFIG", "GET", "x"],
            "ERR The command has no key arguments",
        ),
        (&["NOSUCH", "k"], "ERR Invalid command specified"),
        (
            &["SET", "k"],
            "ERR Invalid number of arguments specified for command",
        ),
        (
            &["ZUNION", "3", "a", "b"],
            "ERR Invalid arguments specified for command",
        ),
    ] {
        let mut args = vec!["COMMAND", "GETKEYS"];
        args.extend_from_slice(command);
        assert_eq!(run_err_reply(&mut connection, &args), error, "{command:?}");
    }
    for short in [&["COMMAND", "GETKEYS"][..], &["COMMAND", "GETKEYS", "GET"]] {
        assert_eq!(
            run_err_reply(&mut connection, short),
            "ERR wrong number of arguments for 'command|getkeys' command"
        );
    }
}

#[test]
fn info_server_fields() {
    let server = TestServer::start(&["--hz", "15"]);
    let mut connection = server.connect();
    let fields = section(&mut connection, "server", "Server");
    assert_eq!(names(&fields), SERVER_FIELDS);
    assert_eq!(value(&fields, "redis_version"), "7.0.15");
    assert_eq!(value(&fields, "redis_mode"), "standalone");
    assert_eq!(value(&fields, "tcp_port"), server.port().to_string());
    assert_eq!(value(&fields, "hz"), "15");
    assert_eq!(value(&fields, "configured_hz"), "15");
    assert_eq!(value(&fields, "run_id").len(), 40);
    assert_eq!(
        value(&fields, "zedis_version"),
        zedis::version::ZEDIS_VERSION
    );
    assert_eq!(value(&fields, "zedis_git_sha1"), zedis::version::GIT_SHA1);
    assert_eq!(value(&fields, "zedis_build_id"), zedis::version::BUILD_ID);
    assert_eq!(value(&fields, "redis_build_id"), zedis::version::BUILD_ID);
    let clock = value(&fields, "monotonic_clock");
    assert!(
        clock == "POSIX clock_gettime"
            || (clock.starts_with("X86 TSC @ ") && clock.ends_with(" ticks/us")),
        "{clock}"
    );
    let server_time: u128 = value(&fields, "server_time_usec").parse().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros();
    assert!(
        now.abs_diff(server_time) < 5_000_000,
        "{server_time} vs {now}"
    );
}

#[test]
fn info_clients_fields() {
    let server = TestServer::start(&["--maxclients", "100"]);
    let mut connection = server.connect();
    let _other = server.connect();
    let fields = section(&mut connection, "clients", "Clients");
    assert_eq!(names(&fields), CLIENTS_FIELDS);
    assert_eq!(value(&fields, "connected_clients"), "2");
    assert_eq!(value(&fields, "maxclients"), "100");
    assert_eq!(value(&fields, "blocked_clients"), "0");
}

#[test]
fn info_stats_fields_and_counters() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["CONFIG", "RESETSTAT"]);
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    let _: String = run(&mut connection, &["GET", "a"]);
    let _: Option<String> = run(&mut connection, &["GET", "nosuch"]);
    run_err_reply(&mut connection, &["NOSUCH"]);
    let fields = section(&mut connection, "stats", "Stats");
    assert_eq!(names(&fields), STATS_FIELDS);
    // RESETSTAT, SET and both GETs; the unknown command is not processed.
    assert_eq!(value(&fields, "total_commands_processed"), "4");
    assert_eq!(value(&fields, "keyspace_hits"), "1");
    assert_eq!(value(&fields, "keyspace_misses"), "1");
    assert_eq!(value(&fields, "total_error_replies"), "1");
    assert_eq!(value(&fields, "expired_keys"), "0");
    assert_eq!(value(&fields, "evicted_keys"), "0");
}

#[test]
fn info_commandstats_counts_calls_and_failures() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    let _: String = run(&mut connection, &["GET", "a"]);
    let _: String = run(&mut connection, &["GET", "a"]);
    run_err_reply(&mut connection, &["GET"]);
    run_err_reply(&mut connection, &["LPUSH", "a", "x"]);
    let _: Vec<String> = run(&mut connection, &["CONFIG", "GET", "hz"]);
    let fields = section(&mut connection, "commandstats", "Commandstats");
    let stat = |name: &str| -> Vec<(String, String)> {
        subfields(value(&fields, &format!("cmdstat_{name}")))
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    };
    for (name, calls, rejected, failed) in [
        ("get", 2, 1, 0),
        ("set", 1, 0, 0),
        ("lpush", 1, 0, 1),
        ("config|get", 1, 0, 0),
    ] {
        let stat = stat(name);
        assert_eq!(
            names(&stat),
            [
                "calls",
                "usec",
                "usec_per_call",
                "rejected_calls",
                "failed_calls"
            ],
            "{name}"
        );
        assert_eq!(value(&stat, "calls"), calls.to_string(), "{name}");
        assert_eq!(
            value(&stat, "rejected_calls"),
            rejected.to_string(),
            "{name}"
        );
        assert_eq!(value(&stat, "failed_calls"), failed.to_string(), "{name}");
        let usec: f64 = value(&stat, "usec").parse().unwrap();
        let per_call = value(&stat, "usec_per_call");
        assert_eq!(per_call, format!("{:.2}", usec / calls as f64), "{name}");
    }
    // Commands never called are not listed.
    assert!(fields.iter().all(|(n, _)| n != "cmdstat_del"), "{fields:?}");
}

#[test]
fn info_errorstats_counts_errors_by_code() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["CONFIG", "RESETSTAT"]);
    let fields = section(&mut connection, "errorstats", "Errorstats");
    assert!(fields.is_empty(), "{fields:?}");
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    run_err_reply(&mut connection, &["LPUSH", "a", "x"]);
    run_err_reply(&mut connection, &["LPUSH", "a", "y"]);
    run_err_reply(&mut connection, &["NOSUCH"]);
    run_err_reply(&mut connection, &["INCR", "nosuch", "extra"]);
    let fields = section(&mut connection, "errorstats", "Errorstats");
    assert_eq!(
        fields,
        [
            ("errorstat_ERR".to_string(), "count=2".to_string()),
            ("errorstat_WRONGTYPE".to_string(), "count=2".to_string()),
        ]
    );
}

#[test]
fn info_keyspace_lists_non_empty_databases() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert!(section(&mut connection, "keyspace", "Keyspace").is_empty());
    let _: () = run(&mut connection, &["SET", "a", "1"]);
    let _: () = run(&mut connection, &["SET", "b", "2", "EX", "1000"]);
    let _: () = run(&mut connection, &["SELECT", "2"]);
    let _: () = run(&mut connection, &["SET", "c", "3"]);
    let fields = section(&mut connection, "keyspace", "Keyspace");
    assert_eq!(names(&fields), ["db0", "db2"]);
    let db0 = subfields(value(&fields, "db0"));
    assert_eq!(db0[..2], [("keys", "2"), ("expires", "1")]);
    assert_eq!(db0[2].0, "avg_ttl");
    let avg_ttl: u64 = db0[2].1.parse().unwrap();
    assert!(avg_ttl <= 1_000_000, "{avg_ttl}");
    assert_eq!(value(&fields, "db2"), "keys=1,expires=0,avg_ttl=0");
    let _: () = run(&mut connection, &["DEL", "c"]);
    let fields = section(&mut connection, "keyspace", "Keyspace");
    assert_eq!(names(&fields), ["db0"]);
}

#[test]
fn info_memory_field_names() {
    let server = TestServer::start(&["--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut connection = server.connect();
    let fields = section(&mut connection, "memory", "Memory");
    assert_eq!(names(&fields), INFO_MEMORY_FIELDS);
    assert_eq!(value(&fields, "maxmemory"), "104857600");
    assert_eq!(value(&fields, "maxmemory_human"), "100.00M");
    assert_eq!(value(&fields, "maxmemory_policy"), "allkeys-lru");
    let used: u64 = value(&fields, "used_memory").parse().unwrap();
    assert!(used > 0);
}

#[test]
fn info_selects_sections_by_name_and_group() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let default = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Errorstats",
        "Cluster",
        "Keyspace",
    ];
    let text: String = run(&mut connection, &["INFO"]);
    assert_eq!(titles(&text), default);
    let text: String = run(&mut connection, &["INFO", "default"]);
    assert_eq!(titles(&text), default);
    let text: String = run(&mut connection, &["INFO", "all"]);
    assert_eq!(
        titles(&text),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Commandstats",
            "Errorstats",
            "Latencystats",
            "Cluster",
            "Keyspace",
        ]
    );
    // Sections come in Redis's order whatever the order asked, names ignore case.
    let text: String = run(&mut connection, &["INFO", "KEYSPACE", "clients", "server"]);
    assert_eq!(titles(&text), ["Server", "Clients", "Keyspace"]);
    // Sections are separated by an empty line.
    assert!(text.contains("\r\n\r\n# Clients\r\n"), "{text:?}");
    let nothing: String = run(&mut connection, &["INFO", "nosuch"]);
    assert_eq!(nothing, "");
}

#[test]
#[ignore = "zedis differs: INFO latencystats is empty; Redis lists latency percentiles per command"]
fn info_latencystats_has_percentiles() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: Option<String> = run(&mut connection, &["GET", "k"]);
    let fields = section(&mut connection, "latencystats", "Latencystats");
    let get = value(&fields, "latency_percentiles_usec_get");
    let names: Vec<&str> = subfields(get).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["p50", "p99", "p99.9"]);
}

#[test]
fn dbsize_counts_the_keys_of_the_selected_database() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let size: i64 = run(&mut connection, &["DBSIZE"]);
    assert_eq!(size, 0);
    for key in ["a", "b", "c"] {
        let _: () = run(&mut connection, &["SET", key, "v"]);
    }
    let _: () = run(&mut connection, &["HSET", "h", "f", "v"]);
    let size: i64 = run(&mut connection, &["DBSIZE"]);
    assert_eq!(size, 4);
    let _: () = run(&mut connection, &["SELECT", "1"]);
    let size: i64 = run(&mut connection, &["DBSIZE"]);
    assert_eq!(size, 0);
    let _: () = run(&mut connection, &["SELECT", "0"]);
    let _: () = run(&mut connection, &["DEL", "a", "h"]);
    let size: i64 = run(&mut connection, &["DBSIZE"]);
    assert_eq!(size, 2);
    assert_eq!(
        run_err_reply(&mut connection, &["DBSIZE", "extra"]),
        "ERR wrong number of arguments for 'dbsize' command"
    );
}

#[test]
fn time_replies_seconds_and_microseconds() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let before = unix_seconds();
    let reply: Value = run(&mut connection, &["TIME"]);
    let after = unix_seconds();
    let Value::Array(parts) = reply else {
        panic!("{reply:?}");
    };
    // Two bulk strings holding integers.
    let numbers: Vec<i64> = parts
        .iter()
        .map(|part| match part {
            Value::BulkString(digits) => std::str::from_utf8(digits).unwrap().parse().unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(numbers.len(), 2);
    assert!(
        (before..=after).contains(&numbers[0]),
        "{numbers:?} not within {before}..={after}"
    );
    assert!((0..1_000_000).contains(&numbers[1]), "{numbers:?}");
    assert_eq!(
        run_err_reply(&mut connection, &["TIME", "extra"]),
        "ERR wrong number of arguments for 'time' command"
    );
}

/// One SLOWLOG entry: id, unix time, duration in µs, arguments, client address, client name.
struct Entry {
    id: i64,
    time: i64,
    duration: i64,
    args: Vec<String>,
    addr: String,
    name: String,
}

fn slowlog(connection: &mut redis::Connection, args: &[&str]) -> Vec<Entry> {
    let reply: Vec<(i64, i64, i64, Vec<String>, String, String)> = run(connection, args);
    reply
        .into_iter()
        .map(|(id, time, duration, args, addr, name)| Entry {
            id,
            time,
            duration,
            args,
            addr,
            name,
        })
        .collect()
}

fn client_addr(connection: &mut redis::Connection) -> String {
    let info: String = run(connection, &["CLIENT", "INFO"]);
    info.split(' ')
        .find_map(|field| field.strip_prefix("addr="))
        .expect("addr=")
        .to_string()
}

#[test]
fn slowlog_records_every_command_when_the_threshold_is_zero() {
    let server = TestServer::start(&["--slowlog-log-slower-than", "0"]);
    let mut connection = server.connect();
    let addr = client_addr(&mut connection);
    let ok: Value = run(&mut connection, &["SLOWLOG", "RESET"]);
    assert_eq!(ok, Value::Okay);
    // RESET itself is logged once it has run.
    let len: i64 = run(&mut connection, &["SLOWLOG", "LEN"]);
    assert_eq!(len, 1);
    let before = unix_seconds();
    let _: () = run(&mut connection, &["SET", "k", "v"]);
    let _: () = run(&mut connection, &["CLIENT", "SETNAME", "slowpoke"]);
    let _: Option<String> = run(&mut connection, &["GET", "k"]);
    let after = unix_seconds();
    let entries = slowlog(&mut connection, &["SLOWLOG", "GET"]);
    // Newest first: GET, CLIENT SETNAME, SET, SLOWLOG LEN, SLOWLOG RESET.
    let args: Vec<Vec<String>> = entries.iter().map(|e| e.args.clone()).collect();
    assert_eq!(
        args,
        [
            vec!["GET", "k"],
            vec!["CLIENT", "SETNAME", "slowpoke"],
            vec!["SET", "k", "v"],
            vec!["SLOWLOG", "LEN"],
            vec!["SLOWLOG", "RESET"],
        ]
    );
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry.id, entries[0].id - i as i64, "ids count down");
        assert!(entry.duration >= 0);
        assert_eq!(entry.addr, addr);
    }
    for entry in &entries[..3] {
        assert!(
            (before..=after).contains(&entry.time),
            "{} not within {before}..={after}",
            entry.time
        );
    }
    // The name is the client's when the command ran.
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["slowpoke", "slowpoke", "", "", ""]);
    let len: i64 = run(&mut connection, &["SLOWLOG", "LEN"]);
    assert_eq!(len, 6);
}

#[test]
fn slowlog_get_takes_a_count() {
    let server = TestServer::start(&["--slowlog-log-slower-than", "0"]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["SLOWLOG", "RESET"]);
    for i in 0..12 {
        let _: () = run(&mut connection, &["SET", "k", &i.to_string()]);
    }
    // 10 by default, newest first.
    let entries = slowlog(&mut connection, &["SLOWLOG", "GET"]);
    assert_eq!(entries.len(), 10);
    assert_eq!(entries[0].args, ["SET", "k", "11"]);
    let entries = slowlog(&mut connection, &["SLOWLOG", "GET", "2"]);
    let args: Vec<Vec<String>> = entries.into_iter().map(|e| e.args).collect();
    assert_eq!(args, [vec!["SLOWLOG", "GET"], vec!["SET", "k", "11"]]);
    let entries = slowlog(&mut connection, &["SLOWLOG", "GET", "0"]);
    assert!(entries.is_empty());
    // -1 is all: RESET, 12 SETs and 3 GETs.
    let entries = slowlog(&mut connection, &["SLOWLOG", "GET", "-1"]);
    assert_eq!(entries.len(), 16);
    for bad in ["-2", "abc"] {
        assert_eq!(
            run_err_reply(&mut connection, &["SLOWLOG", "GET", bad]),
            "ERR count should be greater than or equal to -1"
        );
    }
}

#[test]
fn slowlog_truncates_long_arguments() {
    let server = TestServer::start(&["--slowlog-log-slower-than", "0"]);
    let mut connection = server.connect();
    let long = "x".repeat(200);
    let _: String = run(&mut connection, &["ECHO", &long]);
    let entries = slowlog(&mut connection, &["SLOWLOG", "GET", "1"]);
    assert_eq!(
        entries[0].args,
        [
            "ECHO".to_string(),
            format!("{}... (72 more bytes)", "x".repeat(128))
        ]
    );
    let keys: Vec<String> = (1..=40).map(|i| i.to_string()).collect();
    let mut args = vec!["DEL"];
    args.extend(keys.iter().map(String::as_str));
    let _: i64 = run(&mut connection, &args);
    let entries = slowlog(&mut connection, &["SLOWLOG", "GET", "1"]);
    let mut expected: Vec<String> = vec!["DEL".to_string()];
    expected.extend((1..=30).map(|i| i.to_string()));
    expected.push("... (10 more arguments)".to_string());
    assert_eq!(entries[0].args, expected);
}

#[test]
fn slowlog_keeps_slowlog_max_len_entries() {
    let server = TestServer::start(&["--slowlog-log-slower-than", "0", "--slowlog-max-len", "3"]);
    let mut connection = server.connect();
    for i in 0..5 {
        let _: () = run(&mut connection, &["SET", "k", &i.to_string()]);
    }
    let len: i64 = run(&mut connection, &["SLOWLOG", "LEN"]);
    assert_eq!(len, 3);
    let entries = slowlog(&mut connection, &["SLOWLOG", "GET", "-1"]);
    let args: Vec<Vec<String>> = entries.into_iter().map(|e| e.args).collect();
    assert_eq!(
        args,
        [
            vec!["SLOWLOG", "LEN"],
            vec!["SET", "k", "4"],
            vec!["SET", "k", "3"]
        ]
    );
}

#[test]
fn lowering_slowlog_max_len_trims_at_once() {
    let server = TestServer::start(&["--slowlog-log-slower-than", "0"]);
    let mut connection = server.connect();
    for i in 0..5 {
        let _: () = run(&mut connection, &["SET", "k", &i.to_string()]);
    }
    // Nothing fast is logged from here, but the log is still on (-1 would turn it off).
    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "slowlog-log-slower-than", "10000000"],
    );
    let _: () = run(&mut connection, &["CONFIG", "SET", "slowlog-max-len", "2"]);
    let len: i64 = run(&mut connection, &["SLOWLOG", "LEN"]);
    assert_eq!(len, 2);
}

#[test]
fn slowlog_leaves_fast_commands_out_by_default() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let _: () = run(&mut connection, &["SLOWLOG", "RESET"]);
    let _: () = run(&mut connection, &["SET", "k", "v"]);
    let _: String = run(&mut connection, &["GET", "k"]);
    let len: i64 = run(&mut connection, &["SLOWLOG", "LEN"]);
    assert_eq!(len, 0);
    // A negative threshold turns it off altogether.
    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
    );
    let _: () = run(&mut connection, &["SET", "k", "v"]);
    let len: i64 = run(&mut connection, &["SLOWLOG", "LEN"]);
    assert_eq!(len, 0);
}

#[test]
fn slowlog_logs_a_slow_debug_sleep() {
    let server = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut connection = server.connect();
    let _: () = run(
        &mut connection,
        &["CONFIG", "SET", "slowlog-log-slower-than", "50000"],
    );
    let _: () = run(&mut connection, &["SLOWLOG", "RESET"]);
    let started = Instant::now();
    let ok: Value = run(&mut connection, &["DEBUG", "SLEEP", "0.1"]);
    assert_eq!(ok, Value::Okay);
    assert!(started.elapsed() >= Duration::from_millis(100));
    let entries = slowlog(&mut connection, &["SLOWLOG", "GET"]);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].args, ["DEBUG", "SLEEP", "0.1"]);
    assert!(entries[0].duration >= 100_000, "{}", entries[0].duration);
}

#[test]
fn slowlog_rejects_unknown_subcommands() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    assert_eq!(
        run_err_reply(&mut connection, &["SLOWLOG", "FOO"]),
        "ERR unknown subcommand 'FOO'. Try SLOWLOG HELP."
    );
    assert_eq!(
        run_err_reply(&mut connection, &["SLOWLOG", "LEN", "x"]),
        "ERR wrong number of arguments for 'slowlog|len' command"
    );
}

#[test]
fn debug_is_refused_unless_enabled() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let refused = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \
                   \"local\", you can run it from a local connection, otherwise you need to set \
                   this option in the configuration file, and then restart the server.";
    assert_eq!(
        run_err_reply(&mut connection, &["DEBUG", "SLEEP", "0"]),
        refused
    );
    assert_eq!(
        run_err_reply(&mut connection, &["DEBUG", "POPULATE", "5"]),
        refused
    );
    let size: i64 = run(&mut connection, &["DBSIZE"]);
    assert_eq!(size, 0);
    // Not a parameter that can change at run time.
    assert_eq!(
        run_err_reply(
            &mut connection,
            &["CONFIG", "SET", "enable-debug-command", "yes"]
        ),
        "ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set \
         immutable config"
    );
}

#[test]
fn debug_runs_when_enabled() {
    for setting in ["yes", "local"] {
        let server = TestServer::start(&["--enable-debug-command", setting]);
        let mut connection = server.connect();
        let ok: Value = run(&mut connection, &["DEBUG", "SLEEP", "0"]);
        assert_eq!(ok, Value::Okay, "{setting}");
        let started = Instant::now();
        let _: () = run(&mut connection, &["DEBUG", "SLEEP", "0.05"]);
        assert!(started.elapsed() >= Duration::from_millis(50), "{setting}");
    }
}

/// With `enable-module-command yes`, a module load fails with Redis's error for a module that
/// does not load (zedis loads none) and an unload finds no such module.
#[test]
fn module_load_fails_as_a_module_that_does_not_load() {
    let server = TestServer::start(&["--enable-module-command", "yes"]);
    let mut connection = server.connect();
    let modules: Vec<Value> = run(&mut connection, &["MODULE", "LIST"]);
    assert!(modules.is_empty());
    assert_eq!(
        run_err_reply(&mut connection, &["MODULE", "LOAD", "/tmp/module.so"]),
        "ERR Error loading the extension. Please check the server logs."
    );
    assert_eq!(
        run_err_reply(&mut connection, &["MODULE", "LOADEX", "/tmp/module.so"]),
        "ERR Error loading the extension. Please check the server logs."
    );
    assert_eq!(
        run_err_reply(&mut connection, &["MODULE", "UNLOAD", "mymodule"]),
        "ERR Error unloading module: no such module with that name"
    );
    // DEBUG keeps its own switch.
    assert!(
        run_err_reply(&mut connection, &["DEBUG", "LOG", "x"])
            .starts_with("ERR DEBUG command not allowed.")
    );
}

/// `LOLWUT VERSION 5` draws Schotter in Braille characters with its caption; `VERSION 6` a
/// skyline of coloured cells; otherwise the version line.
#[test]
fn lolwut_draws_by_version() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let plain: String = run(&mut connection, &["LOLWUT"]);
    assert_eq!(plain, "Redis ver. 7.0.15\n");
    let schotter: String = run(&mut connection, &["LOLWUT", "VERSION", "5", "20", "4", "3"]);
    assert!(
        schotter.ends_with("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n")
    );
    let art: Vec<&str> = schotter
        .lines()
        .take_while(|line| !line.is_empty())
        .collect();
    // 40 pixels wide (20 columns of 2), squares of 9 pixels: 31 pixels high, 8 text rows.
    assert_eq!(art.len(), 8);
    assert!(art.iter().all(|line| line.chars().count() == 20));
    assert!(
        art.iter()
            .flat_map(|line| line.chars())
            .all(|c| ('\u{2800}'..='\u{28ff}').contains(&c))
    );
    let skyline: String = run(&mut connection, &["LOLWUT", "VERSION", "6", "30", "8"]);
    assert!(
        skyline.contains("Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n")
    );
    assert_eq!(skyline.matches("\x1b[0m").count(), 30 * 8);
}
