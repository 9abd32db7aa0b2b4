//! `INFO`: section selection and the sections other than memory, in Redis 7.0's format and
//! order. Features zedis does not have (persistence, replication, cluster, modules) report what
//! Redis reports with them idle.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::client::Client;
use crate::config::Supervised;
use crate::pubsub::Scope;
use crate::server::Server;
use crate::server::aof::AofState;
use crate::server::persistence::LoadingProgress;
use crate::version::{BUILD_ID, GIT_DIRTY, GIT_SHA1, REDIS_VERSION, ZEDIS_VERSION};

/// Every section, in the order Redis prints them, with whether `INFO` with no argument
/// (`default`) includes it.
const SECTIONS: &[(&str, &str, bool)] = &[
    ("server", "Server", true),
    ("clients", "Clients", true),
    ("memory", "Memory", true),
    ("persistence", "Persistence", true),
    ("stats", "Stats", true),
    ("replication", "Replication", true),
    ("cpu", "CPU", true),
    ("modules", "Modules", true),
    ("commandstats", "Commandstats", false),
    ("errorstats", "Errorstats", true),
    ("latencystats", "Latencystats", false),
    ("cluster", "Cluster", true),
    ("keyspace", "Keyspace", true),
];

/// Which sections a list of `INFO` arguments asks for. Names are case-insensitive; `default`,
/// `all` and `everything` select groups; unknown names select nothing.
pub fn select(args: &[&[u8]]) -> Vec<&'static str> {
    let mut chosen = vec![false; SECTIONS.len()];
    let words: Vec<String> = if args.is_empty() {
        vec!["default".to_string()]
    } else {
        args.iter()
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
            .collect()
    };
    for word in &words {
        for (i, &(name, _, default)) in SECTIONS.iter().enumerate() {
            let wanted = match word.as_str() {
                "all" | "everything" => true,
                "default" => default,
                _ => word == name,
            };
            chosen[i] |= wanted;
        }
    }
    SECTIONS
        .iter()
        .zip(chosen)
        .filter(|(_, chosen)| *chosen)
        .map(|((name, _, _), _)| *name)
        .collect()
}

/// The `INFO` text for the chosen sections; `current` is the client asking.
pub fn render(server: &mut Server, current: &Client, sections: &[&str]) -> String {
    let mut out = String::new();
    for (i, name) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let title = SECTIONS
            .iter()
            .find(|(n, _, _)| n == name)
            .map_or(*name, |(_, t, _)| *t);
        let _ = write!(out, "# {title}\r\n");
        let fields = match *name {
            "server" => server_section(server),
            "clients" => clients_section(server, current),
            "memory" => super::info_memory::section(server, current),
            "persistence" => persistence_section(server),
            "stats" => stats_section(server),
            "replication" => replication_section(server),
            "cpu" => cpu_section(),
            "commandstats" => commandstats_section(server),
            "errorstats" => errorstats_section(server),
            "latencystats" => latencystats_section(server),
            "cluster" => format!(
                "cluster_enabled:{}\r\n",
                server.config.cluster_enabled as u8
            ),
            "keyspace" => crate::db::info::keyspace_section(&server.keyspace),
            _ => String::new(),
        };
        out.push_str(&fields);
    }
    out
}

/// Appends `name:value\r\n`.
macro_rules! field {
    ($out:expr, $name:literal, $($value:tt)*) => {
        let _ = write!($out, concat!($name, ":{}\r\n"), format_args!($($value)*));
    };
}

fn unix_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

/// Redis's LRU clock: seconds, wrapping at 24 bits.
pub fn lru_clock() -> u64 {
    (unix_micros() / 1_000_000) as u64 & ((1 << 24) - 1)
}

fn server_section(server: &Server) -> String {
    let mut out = String::new();
    let uptime = server.started.elapsed().as_secs();
    let uname = nix::sys::utsname::uname().ok();
    let os = uname.as_ref().map_or_else(String::new, |u| {
        format!(
            "{} {} {}",
            u.sysname().to_string_lossy(),
            u.release().to_string_lossy(),
            u.machine().to_string_lossy()
        )
    });
    let executable = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    field!(out, "redis_version", "{REDIS_VERSION}");
    // Redis's own commit fields describe a Redis build: zedis's are the zedis_* ones below.
    field!(out, "redis_git_sha1", "00000000");
    field!(out, "redis_git_dirty", "0");
    field!(out, "redis_build_id", "{BUILD_ID}");
    field!(out, "redis_mode", "standalone");
    field!(out, "os", "{os}");
    field!(out, "arch_bits", "{}", usize::BITS);
    field!(out, "monotonic_clock", "{}", server.clock.source());
    field!(out, "multiplexing_api", "epoll");
    field!(out, "atomicvar_api", "c11-builtin");
    field!(out, "gcc_version", "0.0.0");
    field!(out, "process_id", "{}", std::process::id());
    // Redis's words: `auto` that detected no service manager is "unknown".
    let supervised = match server.config.supervised {
        Supervised::Auto => "unknown",
        mode => mode.name(),
    };
    field!(out, "process_supervised", "{supervised}");
    field!(out, "run_id", "{}", server.run_id);
    field!(out, "tcp_port", "{}", server.port);
    field!(out, "server_time_usec", "{}", unix_micros());
    field!(out, "uptime_in_seconds", "{uptime}");
    field!(out, "uptime_in_days", "{}", uptime / 86400);
    field!(out, "hz", "{}", server.effective_hz());
    field!(out, "configured_hz", "{}", server.config.hz);
    field!(out, "lru_clock", "{}", lru_clock());
    field!(out, "executable", "{executable}");
    field!(
        out,
        "config_file",
        "{}",
        server.config.config_file.as_deref().unwrap_or("")
    );
    field!(out, "io_threads_active", "0");
    field!(out, "zedis_version", "{ZEDIS_VERSION}");
    field!(out, "zedis_git_sha1", "{GIT_SHA1}");
    field!(out, "zedis_git_dirty", "{GIT_DIRTY}");
    field!(out, "zedis_build_id", "{BUILD_ID}");
    out
}

fn clients_section(server: &Server, current: &Client) -> String {
    let mut out = String::new();
    let (mut max_input, mut max_output) = (0, 0);
    for (&id, client) in &server.clients {
        let mut measure = |client: &Client| {
            max_input = max_input.max(client.buffers.query_capacity);
            max_output = max_output.max(client.buffers.output_len);
        };
        if id == current.id {
            measure(current);
        } else if let Ok(client) = client.try_borrow() {
            measure(&client);
        }
    }
    field!(out, "connected_clients", "{}", server.clients.len());
    field!(out, "cluster_connections", "0");
    field!(out, "maxclients", "{}", server.config.maxclients);
    field!(out, "client_recent_max_input_buffer", "{max_input}");
    field!(out, "client_recent_max_output_buffer", "{max_output}");
    field!(
        out,
        "blocked_clients",
        "{}",
        server.keyspace.blocking.clients + server.postponed.len()
    );
    field!(out, "tracking_clients", "{}", server.tracking.clients);
    field!(out, "clients_in_timeout_table", "0");
    out
}

/// `# Persistence`. A background save has no fork: the `current_cow_*` fields stay 0 (it
/// copies nothing), `current_fork_perc` and `current_save_keys_*` report the snapshot's walk.
fn persistence_section(server: &Server) -> String {
    let mut out = String::new();
    let background = server.persistence.background.as_ref();
    let (processed, total) = server
        .keyspace
        .snapshot()
        .map_or((0, 0), |s| (s.keys_saved, s.keys_total));
    let percent = if total > 0 {
        processed as f64 * 100.0 / total as f64
    } else {
        0.0
    };
    for (name, value) in [
        (
            "loading",
            (server.persistence.loading.is_some() as u8).to_string(),
        ),
        ("async_loading", "0".to_string()),
        ("current_cow_peak", "0".to_string()),
        ("current_cow_size", "0".to_string()),
        ("current_cow_size_age", "0".to_string()),
        ("current_fork_perc", format!("{percent:.2}")),
        ("current_save_keys_processed", processed.to_string()),
        ("current_save_keys_total", total.to_string()),
        (
            "rdb_changes_since_last_save",
            server.keyspace.stats.dirty.to_string(),
        ),
        (
            "rdb_bgsave_in_progress",
            flag(server.rdb_save_in_progress()),
        ),
        (
            "rdb_last_save_time",
            server.persistence.last_save.to_string(),
        ),
        (
            "rdb_last_bgsave_status",
            if server.persistence.last_save_ok {
                "ok"
            } else {
                "err"
            }
            .to_string(),
        ),
        (
            "rdb_last_bgsave_time_sec",
            server.persistence.last_background_seconds.to_string(),
        ),
        (
            "rdb_current_bgsave_time_sec",
            background
                .filter(|_| server.rdb_save_in_progress())
                .map_or(-1, |b| b.started.elapsed().as_secs() as i64)
                .to_string(),
        ),
        ("rdb_saves", server.persistence.saves.to_string()),
        ("rdb_last_cow_size", "0".to_string()),
        (
            "rdb_last_load_keys_expired",
            server.persistence.last_load_keys_expired.to_string(),
        ),
        (
            "rdb_last_load_keys_loaded",
            server.persistence.last_load_keys_loaded.to_string(),
        ),
        ("aof_enabled", flag(server.aof.state != AofState::Off)),
        (
            "aof_rewrite_in_progress",
            flag(server.aof.rewrite.is_some()),
        ),
        ("aof_rewrite_scheduled", flag(server.aof.rewrite_scheduled)),
        (
            "aof_last_rewrite_time_sec",
            server.aof.last_rewrite_seconds.to_string(),
        ),
        (
            "aof_current_rewrite_time_sec",
            match (&server.aof.rewrite, background) {
                (Some(_), Some(b)) => b.started.elapsed().as_secs() as i64,
                _ => -1,
            }
            .to_string(),
        ),
        (
            "aof_last_bgrewrite_status",
            ok_err(server.aof.last_rewrite_ok).to_string(),
        ),
        ("aof_rewrites", server.aof.rewrites.to_string()),
        (
            "aof_rewrites_consecutive_failures",
            server.aof.rewrite_failures.to_string(),
        ),
        (
            "aof_last_write_status",
            ok_err(server.aof_write_refused().is_none()).to_string(),
        ),
        ("aof_last_cow_size", "0".to_string()),
        ("module_fork_in_progress", "0".to_string()),
        ("module_fork_last_cow_size", "0".to_string()),
    ] {
        let _ = write!(out, "{name}:{value}\r\n");
    }
    if server.config.appendonly {
        let aof = &server.aof;
        for (name, value) in [
            ("aof_current_size", aof.current_size),
            ("aof_base_size", aof.base_size),
            ("aof_pending_rewrite", aof.rewrite_scheduled as u64),
            ("aof_buffer_length", aof.buf.len() as u64),
            ("aof_pending_bio_fsync", aof.sync_in_progress() as u64),
            ("aof_delayed_fsync", aof.delayed_fsync),
        ] {
            let _ = write!(out, "{name}:{value}\r\n");
        }
    }
    if let Some(loading) = &server.persistence.loading {
        loading_fields(&mut out, loading);
    }
    out
}

/// The `loading_*` fields while the RDB file loads, with Redis's estimates: the share read of
/// the file, and the time left at the pace so far (1 in the first second).
fn loading_fields(out: &mut String, loading: &LoadingProgress) {
    let (percent, remaining) = if loading.total_bytes > 0 {
        (
            loading.loaded_bytes as f64 * 100.0 / loading.total_bytes as f64,
            loading.total_bytes.saturating_sub(loading.loaded_bytes),
        )
    } else {
        (0.0, 1)
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let elapsed = now.saturating_sub(loading.start_time);
    let eta = if elapsed == 0 {
        1
    } else {
        elapsed * remaining / (loading.loaded_bytes + 1)
    };
    field!(out, "loading_start_time", "{}", loading.start_time);
    field!(out, "loading_total_bytes", "{}", loading.total_bytes);
    field!(out, "loading_rdb_used_mem", "{}", loading.rdb_used_mem);
    field!(out, "loading_loaded_bytes", "{}", loading.loaded_bytes);
    field!(out, "loading_loaded_perc", "{percent:.2}");
    field!(out, "loading_eta_seconds", "{eta}");
}

fn stats_section(server: &Server) -> String {
    let mut out = String::new();
    let s = &server.stats;
    let keyspace = &server.keyspace.stats;
    let exceeded_now = s
        .eviction_exceeded_since
        .map_or(0, |since| since.elapsed().as_millis() as u64);
    field!(
        out,
        "total_connections_received",
        "{}",
        s.total_connections_received
    );
    field!(
        out,
        "total_commands_processed",
        "{}",
        s.total_commands_processed
    );
    field!(
        out,
        "instantaneous_ops_per_sec",
        "{}",
        s.ops_rate.per_second() as u64
    );
    field!(out, "total_net_input_bytes", "{}", s.total_net_input_bytes);
    field!(
        out,
        "total_net_output_bytes",
        "{}",
        s.total_net_output_bytes
    );
    field!(out, "total_net_repl_input_bytes", "0");
    field!(out, "total_net_repl_output_bytes", "0");
    field!(
        out,
        "instantaneous_input_kbps",
        "{:.2}",
        s.input_rate.per_second() / 1024.0
    );
    field!(
        out,
        "instantaneous_output_kbps",
        "{:.2}",
        s.output_rate.per_second() / 1024.0
    );
    field!(out, "instantaneous_input_repl_kbps", "0.00");
    field!(out, "instantaneous_output_repl_kbps", "0.00");
    field!(out, "rejected_connections", "{}", s.rejected_connections);
    field!(out, "sync_full", "{}", server.replication.sync_full);
    field!(
        out,
        "sync_partial_ok",
        "{}",
        server.replication.sync_partial_ok
    );
    field!(
        out,
        "sync_partial_err",
        "{}",
        server.replication.sync_partial_err
    );
    field!(out, "expired_keys", "{}", keyspace.expired_keys);
    field!(out, "expired_stale_perc", "{:.2}", s.expired_stale_perc);
    field!(
        out,
        "expired_time_cap_reached_count",
        "{}",
        s.expired_time_cap_reached_count
    );
    field!(
        out,
        "expire_cycle_cpu_milliseconds",
        "{}",
        s.expire_cycle_cpu_milliseconds
    );
    field!(out, "evicted_keys", "{}", s.evicted_keys);
    field!(out, "evicted_clients", "{}", s.evicted_clients);
    field!(
        out,
        "total_eviction_exceeded_time",
        "{}",
        s.total_eviction_exceeded_time + exceeded_now
    );
    field!(out, "current_eviction_exceeded_time", "{exceeded_now}");
    field!(out, "keyspace_hits", "{}", keyspace.keyspace_hits);
    field!(out, "keyspace_misses", "{}", keyspace.keyspace_misses);
    let pubsub = &server.pubsub;
    field!(
        out,
        "pubsub_channels",
        "{}",
        pubsub.channel_count(Scope::Global)
    );
    field!(out, "pubsub_patterns", "{}", pubsub.pattern_count());
    field!(
        out,
        "pubsubshard_channels",
        "{}",
        pubsub.channel_count(Scope::Shard)
    );
    for name in [
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
    ] {
        let _ = write!(out, "{name}:0\r\n");
    }
    let tracking = &server.tracking;
    field!(out, "tracking_total_keys", "{}", tracking.total_keys());
    field!(out, "tracking_total_items", "{}", tracking.total_items());
    field!(
        out,
        "tracking_total_prefixes",
        "{}",
        tracking.total_prefixes()
    );
    field!(out, "unexpected_error_replies", "0");
    field!(out, "total_error_replies", "{}", s.total_error_replies);
    field!(out, "dump_payload_sanitizations", "0");
    field!(out, "total_reads_processed", "{}", s.total_reads_processed);
    field!(
        out,
        "total_writes_processed",
        "{}",
        s.total_writes_processed
    );
    field!(out, "io_threaded_reads_processed", "0");
    field!(out, "io_threaded_writes_processed", "0");
    field!(
        out,
        "reply_buffer_shrinks",
        "{}",
        server.stats.reply_buffer_shrinks
    );
    field!(
        out,
        "reply_buffer_expands",
        "{}",
        server.stats.reply_buffer_expands
    );
    out
}

fn replication_section(server: &Server) -> String {
    use crate::server::replication::LinkState;
    let mut out = String::new();
    let replication = &server.replication;
    let now = crate::server::persistence::unix_seconds();
    match &replication.master {
        None => {
            field!(out, "role", "master");
        }
        Some(master) => {
            field!(out, "role", "slave");
            field!(out, "master_host", "{}", master.host);
            field!(out, "master_port", "{}", master.port);
            let up = master.link == LinkState::Connected;
            field!(
                out,
                "master_link_status",
                "{}",
                if up { "up" } else { "down" }
            );
            let link = master
                .client
                .and_then(|id| server.clients.get(&id)?.try_borrow().ok());
            let last_io = link
                .as_ref()
                .map_or(-1, |c| c.last_interaction.elapsed().as_secs() as i64);
            field!(out, "master_last_io_seconds_ago", "{last_io}");
            let transfer = master.link == LinkState::Transfer;
            field!(out, "master_sync_in_progress", "{}", transfer as u8);
            // The bytes read but not yet applied are still in the link's query buffer.
            let unapplied = link.map_or(0, |c| c.buffers.query_len as u64);
            let applied = if replication.backlog.is_some() {
                replication.offset
            } else {
                1
            };
            field!(out, "slave_read_repl_offset", "{}", applied + unapplied);
            field!(out, "slave_repl_offset", "{applied}");
            if transfer {
                let perc = if master.transfer_size > 0 {
                    master.transfer_read as f64 / master.transfer_size as f64 * 100.0
                } else {
                    0.0
                };
                field!(
                    out,
                    "master_sync_total_bytes",
                    "{}",
                    master.transfer_size as i64
                );
                field!(out, "master_sync_read_bytes", "{}", master.transfer_read);
                field!(
                    out,
                    "master_sync_left_bytes",
                    "{}",
                    master.transfer_size as i64 - master.transfer_read as i64
                );
                field!(out, "master_sync_perc", "{perc:.2}");
                field!(
                    out,
                    "master_sync_last_io_seconds_ago",
                    "{}",
                    now.saturating_sub(master.transfer_last_io)
                );
            }
            if !up {
                let down = master
                    .down_since
                    .map_or(-1, |since| now.saturating_sub(since) as i64);
                field!(out, "master_link_down_since_seconds", "{down}");
            }
            let config = &server.config;
            field!(
                out,
                "slave_priority",
                "{}",
                config.stored_u64("replica-priority")
            );
            field!(out, "slave_read_only", "{}", config.replica_read_only as u8);
            field!(
                out,
                "replica_announced",
                "{}",
                config.stored_bool("replica-announced") as u8
            );
        }
    }
    let replicas = server.replica_views();
    field!(out, "connected_slaves", "{}", replication.replicas.len());
    let (to_write, max_lag) = (
        server.config.min_replicas_to_write,
        server.config.min_replicas_max_lag,
    );
    if to_write > 0 && max_lag > 0 {
        field!(
            out,
            "min_slaves_good_slaves",
            "{}",
            server.good_replicas(max_lag as u64)
        );
    }
    for (i, replica) in replicas.iter().enumerate() {
        let _ = write!(
            out,
            "slave{i}:ip={},port={},state={},offset={},lag={}\r\n",
            replica.ip, replica.port, replica.state, replica.ack_offset, replica.lag
        );
    }
    field!(out, "master_failover_state", "{}", server.failover_state());
    field!(out, "master_replid", "{}", replication.replid);
    field!(out, "master_replid2", "{}", replication.replid2);
    field!(out, "master_repl_offset", "{}", replication.offset);
    field!(out, "second_repl_offset", "{}", replication.second_offset);
    let backlog = replication.backlog.as_ref();
    field!(out, "repl_backlog_active", "{}", backlog.is_some() as u8);
    field!(
        out,
        "repl_backlog_size",
        "{}",
        server.config.stored_u64("repl-backlog-size")
    );
    field!(
        out,
        "repl_backlog_first_byte_offset",
        "{}",
        backlog.map_or(0, |b| b.first_offset())
    );
    field!(
        out,
        "repl_backlog_histlen",
        "{}",
        backlog.map_or(0, |b| b.histlen())
    );
    out
}

fn cpu_section() -> String {
    use nix::sys::resource::{UsageWho, getrusage};
    let seconds = |who| {
        getrusage(who).map_or((String::from("0.000000"), String::from("0.000000")), |u| {
            let (s, us) = (u.system_time(), u.user_time());
            (
                format!("{}.{:06}", s.tv_sec(), s.tv_usec()),
                format!("{}.{:06}", us.tv_sec(), us.tv_usec()),
            )
        })
    };
    let (sys, user) = seconds(UsageWho::RUSAGE_SELF);
    let (thread_sys, thread_user) = seconds(UsageWho::RUSAGE_THREAD);
    let mut out = String::new();
    field!(out, "used_cpu_sys", "{sys}");
    field!(out, "used_cpu_user", "{user}");
    field!(out, "used_cpu_sys_children", "0.000000");
    field!(out, "used_cpu_user_children", "0.000000");
    field!(out, "used_cpu_sys_main_thread", "{thread_sys}");
    field!(out, "used_cpu_user_main_thread", "{thread_user}");
    out
}

/// `latency_percentiles_usec_<command>:p50=…,p99=…,p99.9=…` for every command called, the
/// percentiles of `latency-tracking-info-percentiles`.
fn latencystats_section(server: &Server) -> String {
    let mut out = String::new();
    for entry in super::table().entries() {
        let Some(histogram) = &server.command_latency[entry.index] else {
            continue;
        };
        let _ = write!(out, "latency_percentiles_usec_{}:", entry.full_name);
        for (i, p) in server
            .config
            .latency_tracking_info_percentiles
            .iter()
            .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            let label = crate::util::strip_fraction_zeros(&format!("{p:.6}")).to_string();
            let micros = histogram.value_at_percentile(*p) as f64 / 1000.0;
            let _ = write!(out, "p{label}={micros:.3}");
        }
        out.push_str("\r\n");
    }
    out
}

fn commandstats_section(server: &Server) -> String {
    let mut out = String::new();
    for entry in super::table().entries() {
        let stats = &server.command_stats[entry.index];
        if stats.calls == 0 && stats.failed_calls == 0 && stats.rejected_calls == 0 {
            continue;
        }
        let per_call = if stats.calls == 0 {
            0.0
        } else {
            stats.usec as f64 / stats.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            entry.full_name,
            stats.calls,
            stats.usec,
            per_call,
            stats.rejected_calls,
            stats.failed_calls
        );
    }
    out
}

fn errorstats_section(server: &Server) -> String {
    let mut out = String::new();
    for (code, count) in &server.error_stats {
        let _ = write!(out, "errorstat_{code}:count={count}\r\n");
    }
    out
}

/// `1`/`0`, as INFO writes a flag.
fn flag(on: bool) -> String {
    (on as u8).to_string()
}

fn ok_err(ok: bool) -> &'static str {
    if ok { "ok" } else { "err" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_all_and_named_sections() {
        assert_eq!(
            select(&[]),
            [
                "server",
                "clients",
                "memory",
                "persistence",
                "stats",
                "replication",
                "cpu",
                "modules",
                "errorstats",
                "cluster",
                "keyspace"
            ]
        );
        assert_eq!(select(&[b"all"]).len(), SECTIONS.len());
        assert_eq!(select(&[b"MEMORY", b"clients"]), ["clients", "memory"]);
        assert!(select(&[b"nosuch"]).is_empty());
        assert_eq!(select(&[b"commandstats", b"default"]).len(), 12);
    }
}
