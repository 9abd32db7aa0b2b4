//! The overhead/dataset split (Redis's `getMemoryOverheadData`) and the `# Memory` section of
//! `INFO`, with Redis 7.0.15's 51 fields in its order and `printf` formats.

use std::fmt::Write;

use crate::client::Client;
use crate::config::units::bytes_to_human;
use crate::server::Server;

/// One database's share of the overhead.
#[derive(Debug, Clone, Copy)]
pub struct DbOverhead {
    pub index: usize,
    /// The key table's slot arrays.
    pub main: usize,
    /// The list of keys with a TTL.
    pub expires: usize,
}

/// Where `used_memory` goes, as `INFO memory` and `MEMORY STATS` report it.
#[derive(Debug, Clone)]
pub struct Overhead {
    pub used: usize,
    pub peak: usize,
    pub startup: usize,
    pub clients_normal: usize,
    /// Replicas' clients with their pending stream (`mem_clients_slaves`).
    pub clients_replicas: usize,
    /// The replication backlog (`mem_replication_backlog`).
    pub repl_backlog: usize,
    /// The AOF buffer (`mem_aof_buffer`): commands not yet written.
    pub aof_buffer: usize,
    /// The `EVAL` script cache outside the Lua heap (`lua.caches`).
    pub lua_caches: usize,
    /// The function libraries outside the Lua heap (`functions.caches`).
    pub functions_caches: usize,
    pub dbs: Vec<DbOverhead>,
    pub total: usize,
    pub keys: usize,
    pub dataset: usize,
    pub dataset_perc: f32,
    pub peak_perc: f32,
    pub bytes_per_key: usize,
    pub allocator_frag: f32,
    pub allocator_frag_bytes: u64,
    pub allocator_rss: f32,
    pub allocator_rss_bytes: u64,
    pub rss_extra: f32,
    pub rss_extra_bytes: u64,
    pub total_frag: f32,
    pub total_frag_bytes: u64,
}

/// Memory of every client: buffers, transaction queues and the client structures, for
/// normal clients and replicas apart. The client running the command is borrowed by it, so it
/// is passed in.
fn clients_memory(server: &Server, current: &Client) -> (usize, usize) {
    let (mut normal, mut replicas) = (0, 0);
    server.for_each_client(current, |client| {
        if client.is_replica() {
            replicas += client.memory();
        } else {
            normal += client.memory();
        }
    });
    (normal, replicas)
}

/// What the two script engines hold.
pub struct Scripts {
    /// The `EVAL` interpreter's heap (`used_memory_vm_eval`).
    pub vm_eval: usize,
    /// The script cache outside it (`used_memory_scripts_eval`) and its scripts.
    pub eval_caches: usize,
    pub cached_scripts: usize,
    /// The functions' interpreter's heap (`used_memory_vm_functions`).
    pub vm_functions: usize,
    /// The libraries outside it (`used_memory_functions`).
    pub function_caches: usize,
}

impl Scripts {
    /// Each interpreter exists once it has been used: until then it holds nothing.
    pub fn of(server: &Server) -> Scripts {
        let (vm_eval, eval_caches, cached_scripts) = server
            .eval
            .as_deref()
            .map_or((0, 0, 0), |e| (e.lua_memory(), e.scripts_memory(), e.len()));
        Scripts {
            vm_eval,
            eval_caches,
            cached_scripts,
            vm_functions: server
                .function_engine
                .as_deref()
                .map_or(0, |e| e.lua_memory()),
            function_caches: server.functions.memory(),
        }
    }
}

/// Computes the overhead/dataset split from `used_memory` now and the cron's samples.
pub fn overhead(server: &mut Server, current: &Client) -> Overhead {
    let used = zmalloc::used_memory();
    server.memory.update_peak(used);
    let memory = &server.memory;
    let samples = memory.samples;
    let (clients_normal, clients_replicas) = clients_memory(server, current);
    let repl_backlog = server.replication.backlog_memory();
    let dbs: Vec<DbOverhead> = server
        .keyspace
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, db)| !db.is_empty())
        .map(|(index, db)| DbOverhead {
            index,
            main: db.table.memory(),
            expires: db.expires.capacity() * size_of::<u64>(),
        })
        .collect();
    // Redis 7.0 reports client-side caching's tables nowhere (neither `INFO memory` nor
    // `MEMORY STATS` has a field for them); they are server bookkeeping, so they count in the
    // overhead total here rather than in the dataset.
    let tracking = server.tracking.memory();
    let aof_buffer = server.aof.buf.capacity();
    let scripts = Scripts::of(server);
    // Redis's Lua heaps are outside `used_memory`; here they are in it, and they are no more
    // the dataset than the script caches are.
    let total = memory.startup
        + clients_normal
        + clients_replicas
        + repl_backlog
        + aof_buffer
        + tracking
        + scripts.eval_caches
        + scripts.function_caches
        + scripts.vm_eval
        + scripts.vm_functions
        + dbs.iter().map(|d| d.main + d.expires).sum::<usize>();
    let keys = server.keyspace.total_keys();
    let dataset = used.saturating_sub(total);
    let net_usage = if used > memory.startup {
        used - memory.startup
    } else {
        1
    };
    // Redis computes these in C `float`; so do we, for the same digits.
    let ratio = |a: usize, b: usize| a as f32 / b as f32;
    let diff = |a: usize, b: usize| (a as u64).wrapping_sub(b as u64);
    Overhead {
        used,
        peak: memory.peak,
        startup: memory.startup,
        clients_normal,
        clients_replicas,
        repl_backlog,
        aof_buffer,
        lua_caches: scripts.eval_caches,
        functions_caches: scripts.function_caches,
        total,
        keys,
        dataset,
        dataset_perc: dataset as f32 * 100.0 / net_usage as f32,
        peak_perc: used as f32 * 100.0 / memory.peak as f32,
        bytes_per_key: net_usage.checked_div(keys).unwrap_or(0),
        allocator_frag: ratio(samples.allocator_active, samples.allocator_allocated),
        allocator_frag_bytes: diff(samples.allocator_active, samples.allocator_allocated),
        allocator_rss: ratio(samples.allocator_resident, samples.allocator_active),
        allocator_rss_bytes: diff(samples.allocator_resident, samples.allocator_active),
        rss_extra: ratio(samples.process_rss, samples.allocator_resident),
        rss_extra_bytes: diff(samples.process_rss, samples.allocator_resident),
        total_frag: ratio(samples.process_rss, samples.zmalloc_used),
        total_frag_bytes: diff(samples.process_rss, samples.zmalloc_used),
        dbs,
    }
}

/// The `# Memory` section's fields.
pub fn section(server: &mut Server, current: &Client) -> String {
    let mh = overhead(server, current);
    let samples = server.memory.samples;
    let config = &server.config;
    let mut out = String::new();
    let human = |n: usize| bytes_to_human(n as u64);
    let mut line = |name: &str, value: String| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    line("used_memory", mh.used.to_string());
    line("used_memory_human", human(mh.used));
    line("used_memory_rss", samples.process_rss.to_string());
    line("used_memory_rss_human", human(samples.process_rss));
    line("used_memory_peak", mh.peak.to_string());
    line("used_memory_peak_human", human(mh.peak));
    line("used_memory_peak_perc", format!("{:.2}%", mh.peak_perc));
    line("used_memory_overhead", mh.total.to_string());
    line("used_memory_startup", mh.startup.to_string());
    line("used_memory_dataset", mh.dataset.to_string());
    line(
        "used_memory_dataset_perc",
        format!("{:.2}%", mh.dataset_perc),
    );
    line(
        "allocator_allocated",
        samples.allocator_allocated.to_string(),
    );
    line("allocator_active", samples.allocator_active.to_string());
    line("allocator_resident", samples.allocator_resident.to_string());
    line(
        "total_system_memory",
        server.memory.total_system_memory.to_string(),
    );
    line(
        "total_system_memory_human",
        human(server.memory.total_system_memory),
    );
    let scripts = Scripts::of(server);
    let vm_total = scripts.vm_eval + scripts.vm_functions;
    let scripts_total = scripts.eval_caches + scripts.function_caches;
    line("used_memory_lua", scripts.vm_eval.to_string());
    line("used_memory_vm_eval", scripts.vm_eval.to_string());
    line("used_memory_lua_human", human(scripts.vm_eval));
    line("used_memory_scripts_eval", scripts.eval_caches.to_string());
    line(
        "number_of_cached_scripts",
        scripts.cached_scripts.to_string(),
    );
    line(
        "number_of_functions",
        server.functions.function_count().to_string(),
    );
    line("number_of_libraries", server.functions.len().to_string());
    line("used_memory_vm_functions", scripts.vm_functions.to_string());
    line("used_memory_vm_total", vm_total.to_string());
    line("used_memory_vm_total_human", human(vm_total));
    line("used_memory_functions", scripts.function_caches.to_string());
    line("used_memory_scripts", scripts_total.to_string());
    line("used_memory_scripts_human", human(scripts_total));
    line("maxmemory", config.maxmemory.to_string());
    line("maxmemory_human", bytes_to_human(config.maxmemory));
    line(
        "maxmemory_policy",
        config.maxmemory_policy.name().to_string(),
    );
    line("allocator_frag_ratio", format!("{:.2}", mh.allocator_frag));
    // Redis prints this one unsigned and the other differences signed.
    line("allocator_frag_bytes", mh.allocator_frag_bytes.to_string());
    line("allocator_rss_ratio", format!("{:.2}", mh.allocator_rss));
    line(
        "allocator_rss_bytes",
        (mh.allocator_rss_bytes as i64).to_string(),
    );
    line("rss_overhead_ratio", format!("{:.2}", mh.rss_extra));
    line(
        "rss_overhead_bytes",
        (mh.rss_extra_bytes as i64).to_string(),
    );
    line("mem_fragmentation_ratio", format!("{:.2}", mh.total_frag));
    line(
        "mem_fragmentation_bytes",
        (mh.total_frag_bytes as i64).to_string(),
    );
    line(
        "mem_not_counted_for_evict",
        server.not_counted_memory().to_string(),
    );
    line("mem_replication_backlog", mh.repl_backlog.to_string());
    line(
        "mem_total_replication_buffers",
        (mh.repl_backlog + mh.clients_replicas).to_string(),
    );
    line("mem_clients_slaves", mh.clients_replicas.to_string());
    line("mem_clients_normal", mh.clients_normal.to_string());
    line("mem_cluster_links", "0".to_string());
    line("mem_aof_buffer", mh.aof_buffer.to_string());
    line("mem_allocator", zmalloc::allocator_name().to_string());
    line("active_defrag_running", "0".to_string());
    line(
        "lazyfree_pending_objects",
        server.keyspace.lazyfree.pending().to_string(),
    );
    line(
        "lazyfreed_objects",
        server.keyspace.lazyfree.freed().to_string(),
    );
    out
}
