//! `INFO memory`: Redis 7.0.15's 51 fields in order, values consistent with each other as
//! Redis computes them, used_memory following the data (100 000 keys in, FLUSHALL out), and
//! MEMORY PURGE giving pages back after a large FLUSHALL.
//!
//! One test function in this binary: `used_memory` counts the whole process.

use std::collections::HashMap;

use zedis_tests::{INFO_MEMORY_FIELDS, TestServer, run};

/// Redis's `bytesToHuman`.
fn bytes_to_human(n: u64) -> String {
    let units = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut scale = 1024f64;
    for unit in units {
        if (n as f64) < scale * 1024.0 {
            return format!("{:.2}{unit}", n as f64 / scale);
        }
        scale *= 1024.0;
    }
    format!("{n}B")
}

struct Memory {
    order: Vec<String>,
    fields: HashMap<String, String>,
}

impl Memory {
    fn read(connection: &mut redis::Connection) -> Memory {
        let info: String = run(connection, &["INFO", "memory"]);
        let mut lines = info.lines();
        assert_eq!(lines.next(), Some("# Memory"));
        let mut order = Vec::new();
        let mut fields = HashMap::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once(':').expect("name:value");
            order.push(name.to_string());
            fields.insert(name.to_string(), value.to_string());
        }
        Memory { order, fields }
    }

    fn text(&self, name: &str) -> &str {
        &self.fields[name]
    }

    fn int(&self, name: &str) -> i64 {
        self.text(name).parse().unwrap_or_else(|_| panic!("{name}"))
    }

    fn ratio(&self, name: &str) -> f64 {
        self.text(name).trim_end_matches('%').parse().unwrap()
    }
}

/// The printed ratio of `a / b`, as Redis prints it (`%.2f` of a C float).
fn printed_ratio(a: i64, b: i64) -> String {
    format!("{:.2}", a as f32 / b as f32)
}

fn check_consistency(memory: &Memory) {
    assert_eq!(memory.order, INFO_MEMORY_FIELDS);
    for base in [
        "used_memory",
        "used_memory_rss",
        "used_memory_peak",
        "total_system_memory",
        "maxmemory",
    ] {
        assert_eq!(
            memory.text(&format!("{base}_human")),
            bytes_to_human(memory.int(base) as u64),
            "{base}"
        );
    }
    let used = memory.int("used_memory");
    let overhead = memory.int("used_memory_overhead");
    let startup = memory.int("used_memory_startup");
    assert_eq!(memory.int("used_memory_dataset"), used - overhead);
    assert!(overhead >= startup);
    assert!(memory.int("used_memory_peak") >= used);
    let net = if used > startup { used - startup } else { 1 };
    let dataset_perc = (used - overhead) as f32 * 100.0 / net as f32;
    assert_eq!(
        memory.text("used_memory_dataset_perc"),
        format!("{dataset_perc:.2}%")
    );
    let (allocated, active, resident) = (
        memory.int("allocator_allocated"),
        memory.int("allocator_active"),
        memory.int("allocator_resident"),
    );
    assert!(
        allocated <= active && active <= resident,
        "{allocated} {active} {resident}"
    );
    assert_eq!(
        memory.text("allocator_frag_ratio"),
        printed_ratio(active, allocated)
    );
    assert_eq!(memory.int("allocator_frag_bytes"), active - allocated);
    assert_eq!(
        memory.text("allocator_rss_ratio"),
        printed_ratio(resident, active)
    );
    assert_eq!(memory.int("allocator_rss_bytes"), resident - active);
    let rss = memory.int("used_memory_rss");
    assert_eq!(
        memory.text("rss_overhead_ratio"),
        printed_ratio(rss, resident)
    );
    assert_eq!(memory.int("rss_overhead_bytes"), rss - resident);
    assert!(memory.ratio("mem_fragmentation_ratio") > 0.0);
    assert!(memory.text("mem_allocator").starts_with("jemalloc-"));
    for idle in [
        "used_memory_scripts_eval",
        "number_of_cached_scripts",
        "mem_replication_backlog",
        "mem_clients_slaves",
        "mem_aof_buffer",
        "active_defrag_running",
    ] {
        assert_eq!(memory.int(idle), 0, "{idle}");
    }
    assert!(
        memory.int("mem_clients_normal") > 0,
        "this connection has buffers"
    );
}

#[test]
fn info_memory_fields_values_and_life_cycle() {
    let server = TestServer::start(&["--enable-debug-command", "yes"]);
    let mut connection = server.connect();
    let start = Memory::read(&mut connection);
    check_consistency(&start);
    let used_start = start.int("used_memory");

    let _: String = run(
        &mut connection,
        &["DEBUG", "POPULATE", "100000", "key", "10"],
    );
    let loaded = Memory::read(&mut connection);
    check_consistency(&loaded);
    let grown = loaded.int("used_memory") - used_start;
    // Each key is a small record plus its table slot: between 30 and 100 bytes.
    assert!((3_000_000..10_000_000).contains(&grown), "grew by {grown}");
    assert!(loaded.int("used_memory_dataset") > start.int("used_memory_dataset") + grown / 2);

    let _: () = run(&mut connection, &["FLUSHALL"]);
    let flushed = Memory::read(&mut connection);
    check_consistency(&flushed);
    let left = flushed.int("used_memory") - used_start;
    assert!(left < 256 * 1024, "{left} bytes left after FLUSHALL");
    assert!(flushed.int("used_memory_peak") >= loaded.int("used_memory"));

    // MEMORY PURGE gives dirty pages back: fill and empty 40 MB without FLUSHALL's own purge,
    // then purge.
    let _: String = run(
        &mut connection,
        &["DEBUG", "POPULATE", "200000", "big", "200"],
    );
    let _: i64 = run(&mut connection, &["DEL", "big:0"]);
    let mut pipe = redis::pipe();
    for i in 1..200_000 {
        pipe.cmd("UNLINK").arg(format!("big:{i}")).ignore();
    }
    pipe.exec(&mut connection).expect("deletes");
    drop(pipe);
    // Let the cron sample the allocator, then purge and let it sample again.
    std::thread::sleep(std::time::Duration::from_millis(250));
    let before = Memory::read(&mut connection).int("allocator_resident");
    let _: () = run(&mut connection, &["MEMORY", "PURGE"]);
    std::thread::sleep(std::time::Duration::from_millis(250));
    let after = Memory::read(&mut connection).int("allocator_resident");
    assert!(
        after < before - 10 * 1024 * 1024,
        "allocator_resident {before} before MEMORY PURGE, {after} after"
    );
}
