//! Lua scripts through the redis crate's `Script` (EVALSHA, then EVAL when the server answers
//! NOSCRIPT), as client libraries run them: redis-py's `Lock` scripts (acquire with `SET NX PX`,
//! release, extend, reacquire only for the token holder) and a token-bucket rate limiter whose
//! clock is passed in, so every figure is exact. Then a function library, as Redis 7.0 clients
//! use them: `FUNCTION LOAD`, `FCALL`, and a busy function stopped by `FUNCTION KILL`.

use redis::{Connection, Script};
use zedis_tests::{TestServer, run, run_err_reply};

/// redis-py's `Lock.LUA_RELEASE_SCRIPT`.
const RELEASE: &str = r#"
local token = redis.call('get', KEYS[1])
if not token or token ~= ARGV[1] then
    return 0
end
redis.call('del', KEYS[1])
return 1
"#;

/// redis-py's `Lock.LUA_EXTEND_SCRIPT`.
const EXTEND: &str = r#"
local token = redis.call('get', KEYS[1])
if not token or token ~= ARGV[1] then
    return 0
end
local expiration = redis.call('pttl', KEYS[1])
if not expiration then
    expiration = 0
end
if expiration < 0 then
    return 0
end
local newttl = ARGV[2]
if ARGV[3] == "0" then
    newttl = ARGV[2] + expiration
end
redis.call('pexpire', KEYS[1], newttl)
return 1
"#;

/// redis-py's `Lock.LUA_REACQUIRE_SCRIPT`.
const REACQUIRE: &str = r#"
local token = redis.call('get', KEYS[1])
if not token or token ~= ARGV[1] then
    return 0
end
redis.call('pexpire', KEYS[1], ARGV[2])
return 1
"#;

/// A token bucket: `capacity` tokens, `refill` tokens per millisecond, the caller's clock in
/// milliseconds; replies whether the request was allowed and the tokens left.
const TOKEN_BUCKET: &str = r#"
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local requested = tonumber(ARGV[4])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(bucket[1]) or capacity
local ts = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + (now - ts) * refill)
local allowed = 0
if tokens >= requested then
    tokens = tokens - requested
    allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / refill) * 2)
return {allowed, tostring(tokens)}
"#;

fn acquire(c: &mut Connection, name: &str, token: &str, ttl_ms: u64) -> bool {
    let reply: Option<String> = redis::cmd("SET")
        .arg(name)
        .arg(token)
        .arg("NX")
        .arg("PX")
        .arg(ttl_ms)
        .query(c)
        .expect("SET NX PX");
    reply.is_some()
}

#[test]
fn redis_py_lock_scripts_guard_the_lock_by_token() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let (release, extend, reacquire) = (
        Script::new(RELEASE),
        Script::new(EXTEND),
        Script::new(REACQUIRE),
    );
    assert!(acquire(&mut c, "lock", "token-a", 10_000));
    assert!(!acquire(&mut c, "lock", "token-b", 10_000), "held by a");

    // Another token can neither release, extend nor reacquire it.
    let released: i64 = release.key("lock").arg("token-b").invoke(&mut c).unwrap();
    assert_eq!(released, 0);
    let extended: i64 = extend
        .key("lock")
        .arg("token-b")
        .arg(5000)
        .arg("0")
        .invoke(&mut c)
        .unwrap();
    assert_eq!(extended, 0);
    let reacquired: i64 = reacquire
        .key("lock")
        .arg("token-b")
        .arg(60_000)
        .invoke(&mut c)
        .unwrap();
    assert_eq!(reacquired, 0);
    let ttl: i64 = run(&mut c, &["PTTL", "lock"]);
    assert!(ttl > 0 && ttl <= 10_000, "ttl {ttl}");

    // The holder extends it by 50 s (added to what is left) and replaces it with 60 s.
    let extended: i64 = extend
        .key("lock")
        .arg("token-a")
        .arg(50_000)
        .arg("0")
        .invoke(&mut c)
        .unwrap();
    assert_eq!(extended, 1);
    let ttl: i64 = run(&mut c, &["PTTL", "lock"]);
    assert!(ttl > 50_000 && ttl <= 60_000, "ttl after extend {ttl}");
    let reacquired: i64 = reacquire
        .key("lock")
        .arg("token-a")
        .arg(60_000)
        .invoke(&mut c)
        .unwrap();
    assert_eq!(reacquired, 1);
    let ttl: i64 = run(&mut c, &["PTTL", "lock"]);
    assert!(ttl > 59_000 && ttl <= 60_000, "ttl after reacquire {ttl}");

    // The holder releases it; then b takes it.
    let released: i64 = release.key("lock").arg("token-a").invoke(&mut c).unwrap();
    assert_eq!(released, 1);
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "lock"]), 0);
    assert!(acquire(&mut c, "lock", "token-b", 10_000));

    // The scripts were cached by the first EVAL: a new connection runs them by SHA1.
    let cached: Vec<i64> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(release.get_hash())
        .arg(extend.get_hash())
        .arg(reacquire.get_hash())
        .query(&mut server.connect())
        .unwrap();
    assert_eq!(cached, vec![1, 1, 1]);
}

#[test]
fn token_bucket_allows_the_capacity_then_what_refills() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let bucket = Script::new(TOKEN_BUCKET);
    let mut take = |now: u64| -> (i64, String) {
        bucket
            .key("bucket:user1")
            .arg(5)
            .arg(0.001)
            .arg(now)
            .arg(1)
            .invoke(&mut c)
            .unwrap()
    };
    // Five tokens at t = 1 s, then none left.
    for left in (0..5).rev() {
        assert_eq!(take(1000), (1, left.to_string()));
    }
    assert_eq!(take(1000), (0, "0".to_string()));
    // Two seconds later two tokens came back at one a second.
    assert_eq!(take(3000), (1, "1".to_string()));
    assert_eq!(take(3000), (1, "0".to_string()));
    assert_eq!(take(3000), (0, "0".to_string()));
    // Never more than the capacity, however long the wait.
    assert_eq!(take(100_000), (1, "4".to_string()));
    let mut c = server.connect();
    let ttl: i64 = run(&mut c, &["PTTL", "bucket:user1"]);
    assert!(
        ttl > 9_000 && ttl <= 10_000,
        "expires after twice the refill time: {ttl}"
    );
}

#[test]
fn a_failing_script_leaves_the_server_serving() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let incr = Script::new("return redis.call('incr', KEYS[1])");
    run::<String>(&mut c, &["SET", "text", "abc"]);
    let failure = incr.key("text").invoke::<i64>(&mut c).unwrap_err();
    assert_eq!(failure.code(), Some("ERR"));
    assert!(
        failure
            .detail()
            .unwrap_or_default()
            .starts_with("value is not an integer or out of range script: "),
        "{failure}"
    );
    assert_eq!(run::<String>(&mut c, &["PING"]), "PONG");
    assert_eq!(run::<String>(&mut c, &["GET", "text"]), "abc");
}

#[test]
fn a_busy_script_answers_others_busy_until_script_kill() {
    let server = TestServer::start(&["--busy-reply-threshold", "50"]);
    let port = server.port();
    let runner = std::thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        let mut c = client.get_connection().unwrap();
        redis::cmd("EVAL")
            .arg("local i = 0 while true do i = i + 1 end")
            .arg(0)
            .query::<redis::Value>(&mut c)
            .unwrap_err()
    });
    let mut c = server.connect();
    // Until the script is past the threshold the server does not answer; then it answers BUSY.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let busy = redis::cmd("PING").query::<String>(&mut c).unwrap_err();
    assert_eq!(busy.code(), Some("BUSY"), "{busy}");
    assert_eq!(run::<String>(&mut c, &["SCRIPT", "KILL"]), "OK");
    let killed = runner.join().unwrap();
    assert_eq!(killed.code(), Some("ERR"));
    assert!(
        killed
            .detail()
            .unwrap_or_default()
            .starts_with("Script killed by user with SCRIPT KILL..."),
        "{killed}"
    );
    assert_eq!(run::<String>(&mut c, &["PING"]), "PONG");
    let not_busy = redis::cmd("SCRIPT")
        .arg("KILL")
        .query::<String>(&mut c)
        .unwrap_err();
    assert_eq!(not_busy.code(), Some("NOTBUSY"));
}

#[test]
fn a_script_that_allocates_without_bound_gets_an_error() {
    // With maxmemory the Lua heap may take as much again (at least 64 MiB): a script doubling a
    // string stops there with Lua's error, the server stays.
    let server = TestServer::start(&["--maxmemory", "100mb"]);
    let mut c = server.connect();
    let error = redis::cmd("EVAL")
        .arg("local s = 'x' while true do s = s .. s end")
        .arg(0)
        .query::<redis::Value>(&mut c)
        .unwrap_err();
    assert!(error.to_string().contains("not enough memory"), "{error}");
    assert_eq!(run::<String>(&mut c, &["PING"]), "PONG");
    assert_eq!(
        run::<i64>(&mut c, &["EVAL", "return #string.rep('a', 1000)", "0"]),
        1000
    );
}

#[test]
fn a_function_library_serves_fcall_and_a_busy_function_stops_at_function_kill() {
    let server = TestServer::start(&["--busy-reply-threshold", "50"]);
    let mut c = server.connect();
    let library = "#!lua name=queue\n\
        redis.register_function('enqueue', function(keys, args)\n\
          return redis.call('rpush', keys[1], unpack(args))\n\
        end)\n\
        redis.register_function{function_name = 'spin', callback = function()\n\
          local i = 0 while true do i = i + 1 end\n\
        end, flags = {'no-writes'}}";
    assert_eq!(
        run::<String>(&mut c, &["FUNCTION", "LOAD", library]),
        "queue"
    );
    assert_eq!(
        run::<i64>(&mut c, &["FCALL", "enqueue", "1", "jobs", "a", "b"]),
        2
    );
    assert_eq!(
        run::<Vec<String>>(&mut c, &["LRANGE", "jobs", "0", "-1"]),
        ["a", "b"]
    );

    let port = server.port();
    let runner = std::thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        let mut c = client.get_connection().unwrap();
        redis::cmd("FCALL")
            .arg("spin")
            .arg(0)
            .query::<redis::Value>(&mut c)
            .unwrap_err()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let busy = redis::cmd("PING").query::<String>(&mut c).unwrap_err();
    assert_eq!(busy.code(), Some("BUSY"), "{busy}");
    assert!(busy.to_string().contains("FUNCTION KILL"), "{busy}");
    // FUNCTION STATS names the running function and the request that runs it.
    let stats: redis::Value = redis::cmd("FUNCTION").arg("STATS").query(&mut c).unwrap();
    let text = format!("{stats:?}");
    assert!(text.contains("spin") && text.contains("FCALL"), "{text}");
    // SCRIPT KILL stops only EVAL scripts.
    let refused = redis::cmd("SCRIPT")
        .arg("KILL")
        .query::<String>(&mut c)
        .unwrap_err();
    assert_eq!(refused.code(), Some("BUSY"), "{refused}");
    assert_eq!(run::<String>(&mut c, &["FUNCTION", "KILL"]), "OK");
    let killed = runner.join().unwrap();
    assert!(
        killed.to_string().contains("Script killed by user"),
        "{killed}"
    );
    assert_eq!(run::<String>(&mut c, &["PING"]), "PONG");
    assert_eq!(run::<String>(&mut c, &["FUNCTION", "FLUSH"]), "OK");
    assert_eq!(
        run_err_reply(&mut c, &["FCALL", "enqueue", "0"]),
        "ERR Function not found"
    );
}

/// `used_memory` from `INFO memory`.
fn used_memory(c: &mut Connection) -> i64 {
    let info: String = run(c, &["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .expect("used_memory")
        .trim()
        .parse()
        .expect("number")
}

#[test]
fn flushing_scripts_and_functions_gives_their_memory_back() {
    let server = TestServer::start(&[]);
    let mut c = server.connect();
    let before = used_memory(&mut c);
    // Scripts that keep about 40 MB in the interpreters: cached bodies, and tables held in
    // a library's upvalue.
    for i in 0..2000 {
        let body = format!("return {{{i}, '{}'}}", "x".repeat(200));
        run::<redis::Value>(&mut c, &["EVAL", &body, "0"]);
    }
    let library = "#!lua name=hoard\n\
        local kept = {}\n\
        redis.register_function('hoard', function(keys, args)\n\
          for i = 1, 200000 do kept[#kept + 1] = string.rep('y', 100) .. i end\n\
          return #kept\n\
        end)";
    run::<String>(&mut c, &["FUNCTION", "LOAD", library]);
    assert_eq!(run::<i64>(&mut c, &["FCALL", "hoard", "0"]), 200_000);
    let grown = used_memory(&mut c);
    assert!(grown - before > 20 << 20, "grew by {}", grown - before);
    assert_eq!(run::<String>(&mut c, &["SCRIPT", "FLUSH"]), "OK");
    assert_eq!(run::<String>(&mut c, &["FUNCTION", "FLUSH"]), "OK");
    let after = used_memory(&mut c);
    // Other tests of this binary run meanwhile and allocate a little.
    assert!(
        after - before < 4 << 20,
        "before {before}, grown {grown}, after {after}"
    );
}
