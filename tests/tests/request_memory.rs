//! Memory a connection keeps after a request with many arguments. A binary of its own: the
//! server shares this process's allocation counter, so no other test may run beside it.

use zedis_tests::{TestServer, run};

fn used_memory(connection: &mut redis::Connection) -> i64 {
    let info: String = run(connection, &["INFO", "memory"]);
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

/// A request with many arguments leaves nothing behind once it has run and its value is gone
/// (Redis frees `argv` after each command; the suite's lazyfree unit checks that UNLINK of a
/// 100 000-member set brings `used_memory` back under twice the start).
#[test]
fn a_huge_request_leaves_no_memory_behind() {
    let server = TestServer::start(&[]);
    let mut connection = server.connect();
    let before = used_memory(&mut connection);
    let mut sadd = redis::cmd("SADD");
    sadd.arg("myset");
    for i in 0..100_000 {
        sadd.arg(i);
    }
    let added: i64 = sadd.query(&mut connection).expect("SADD");
    assert_eq!(added, 100_000);
    drop(sadd);
    let grown = used_memory(&mut connection);
    assert!(grown > before + 1_000_000, "{before} → {grown}");
    let _: i64 = run(&mut connection, &["UNLINK", "myset"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut now = grown;
    while std::time::Instant::now() < deadline {
        now = used_memory(&mut connection);
        if now < before + 100 * 1024 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("used_memory {before} before, {grown} with the set, still {now} after UNLINK");
}
