//! Every scenario in `scenarios/`, in RESP2 and RESP3, against a reference redis-server 7.0 and
//! zedis, each on fresh servers; replies must match byte for byte except where annotated.

use std::path::Path;

use redis_tests::scenario::{self, Protocol};
use redis_tests::servers::{RedisServer, Zedis};

#[test]
fn scenarios_match_redis() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let only = std::env::var("SCENARIO").ok();
    let (mut steps, mut mismatches, mut known) = (0, Vec::new(), Vec::new());
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            let redis = RedisServer::redis(&[]);
            let zedis = Zedis::with_debug_command(&[]);
            let report = scenario::run(file, redis.port, zedis.port, protocol);
            steps += report.steps;
            mismatches.extend(report.mismatches);
            if protocol == Protocol::Resp2 {
                known.extend(
                    report
                        .known
                        .into_iter()
                        .map(|(l, c, r)| format!("{name}:{l} {c}: {r}")),
                );
            }
        }
    }
    println!(
        "{steps} replies compared over {} files, {} known differences:",
        files.len(),
        known.len()
    );
    for difference in &known {
        println!("  {difference}");
    }
    for mismatch in &mismatches {
        println!("{mismatch}");
    }
    assert!(
        mismatches.is_empty(),
        "{} replies differ from Redis 7.0 (see above)",
        mismatches.len()
    );
}
