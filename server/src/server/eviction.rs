//! Where the server meets its memory limits: it runs key eviction over its keyspace and folds
//! the report into its statistics and latency monitor, and disconnects the clients that
//! client eviction chooses. The policies themselves (`memory::evict`,
//! `memory::client_eviction`) see only narrow contexts; this file holds what needs the whole
//! server (its clients, its statistics, `CLIENT PAUSE`).

use std::rc::Rc;
use std::time::Instant;

use super::Server;
use crate::client::Client;
use crate::db::Keyspace;
use crate::memory::client_eviction;
use crate::memory::evict::{Evict, Settings};

impl Server {
    /// Memory that does not count towards `maxmemory` (Redis's
    /// `freeMemoryGetNotCountedMemory`): the AOF buffer and the replicas' pending output (the
    /// backlog counts, as in Redis 7.0).
    pub fn not_counted_memory(&self) -> usize {
        let aof = if self.aof.state == super::aof::AofState::Off {
            0
        } else {
            self.aof.buf.capacity()
        };
        // Feeding a slow replica must never evict the dataset.
        let replicas = if self.replication.replicas.is_empty() {
            0
        } else {
            self.replicas_memory()
        };
        aof + replicas
    }

    /// Frees memory until under `maxmemory`, within the time budget, and folds what it did
    /// into the statistics and the latency monitor (Redis's `performEvictions`).
    pub fn perform_evictions(&mut self) -> Evict {
        // During CLIENT PAUSE the dataset stays as it is, and nothing is refused for memory.
        if self.check_pause_end() {
            return Evict::Ok;
        }
        // A replica follows its master's evictions (`replica-ignore-maxmemory`).
        if self.replication.is_replica() && self.config.stored_bool("replica-ignore-maxmemory") {
            return Evict::Ok;
        }
        let settings = Settings::of(&self.config);
        // The Lua heaps are outside `maxmemory` too, as Redis keeps them outside `used_memory`.
        let lua = self.eval.as_deref().map_or(0, |e| e.lua_memory())
            + self
                .function_engine
                .as_deref()
                .map_or(0, |e| e.lua_memory());
        let not_counted = self.not_counted_memory() + lua;
        let used = move |_: &Keyspace| zmalloc::used_memory().saturating_sub(not_counted);
        let report = self.evictor.evict(&mut self.keyspace, &settings, &used);
        // Evictions are propagated on their own, never in a transaction.
        self.propagate_pending(true);
        if report.evicted > 0 {
            self.stats.evicted_keys += report.evicted;
            let now = self.clock.unix_ms() / 1000;
            self.latency.add_if_needed(
                self.config.latency_monitor_threshold,
                "eviction-cycle",
                report.elapsed.as_millis() as u64,
                now,
            );
        }
        if report.result == Evict::Running {
            self.evictor.wake.notify_one();
        }
        let stats = &mut self.stats;
        match report.result {
            Evict::Running | Evict::Fail => {
                stats
                    .eviction_exceeded_since
                    .get_or_insert_with(Instant::now);
            }
            Evict::Ok => {
                if let Some(since) = stats.eviction_exceeded_since.take() {
                    stats.total_eviction_exceeded_time += since.elapsed().as_millis() as u64;
                }
            }
        }
        report.result
    }

    /// Disconnects the largest evictable clients while the clients' memory is at or over
    /// `maxmemory-clients`. `current` is the client whose command is running (its cell is
    /// already borrowed); `command_name` names a command by table index, for the log line.
    /// Returns whether the current client was evicted itself, in which case it must stop at
    /// once.
    pub fn evict_clients(
        &mut self,
        current: &mut Client,
        command_name: &dyn Fn(usize) -> &'static str,
    ) -> bool {
        let limit = client_eviction::limit(&self.config);
        if limit == 0 || self.clients_memory < limit {
            return false;
        }
        let mut candidates = Vec::new();
        self.for_each_client(current, |client| {
            if client_eviction::evictable(client) {
                candidates.push((client.tracked_memory, client.id));
            }
        });
        let mut evicted_current = false;
        let now = Instant::now();
        for id in client_eviction::choose(candidates, self.clients_memory, limit) {
            if id == current.id {
                log_eviction(current, command_name, now);
                client_eviction::forget(&mut self.clients_memory, current);
                current.kill();
                evicted_current = true;
            } else {
                let Some(other) = self.clients.get(&id).map(Rc::clone) else {
                    continue;
                };
                let Ok(mut client) = other.try_borrow_mut() else {
                    continue;
                };
                log_eviction(&client, command_name, now);
                client_eviction::forget(&mut self.clients_memory, &mut client);
                client.kill();
            }
            self.stats.evicted_clients += 1;
        }
        if self.clients_memory >= limit {
            tracing::warn!("Over client maxmemory after evicting all evictable clients");
        }
        evicted_current
    }

    /// `DEBUG CLIENT-EVICTION`: the evictable clients' memory by bucket.
    pub fn client_eviction_buckets(&self, current: &Client) -> String {
        let mut clients = Vec::new();
        self.for_each_client(current, |client| {
            clients.push((client.tracked_memory, client.no_evict))
        });
        client_eviction::buckets_report(clients)
    }
}

fn log_eviction(client: &Client, command_name: &dyn Fn(usize) -> &'static str, now: Instant) {
    let command = client.last_command.map(command_name).unwrap_or("NULL");
    tracing::info!("Evicting client: {}", client.info_line(command, now));
}
