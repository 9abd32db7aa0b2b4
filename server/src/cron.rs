//! The periodic job (Redis's `serverCron`), run `hz` times a second on the command thread:
//! LRU clock, memory samples and peak, instantaneous rates, the active expire cycle,
//! incremental rehashing, save points, idle-client timeouts and soft output-buffer limits.
//! Beside it run the eviction task, which carries on between commands when a command's
//! eviction ran out of time, and the task that walks background saves.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::memory::evict::Evict;
use crate::protocol::reply::Resized;
use crate::server::Server;

/// Rates are sampled this often.
const RATE_PERIOD: Duration = Duration::from_millis(100);
/// Slots migrated per database per cron tick when `activerehashing` is on (about a millisecond
/// of work).
const REHASH_SLOTS_PER_TICK: usize = 16 * 1024;

/// Writes the AOF buffer once per round of connections (Redis's `flushAppendOnlyFile` in
/// `beforeSleep`): a connection that ran commands wakes this task and waits before sending its
/// replies; the task runs after every connection woken in the same round, so one write (and
/// under `appendfsync always`, one sync) covers them all. Runs forever.
pub async fn flush_aof(server: Rc<RefCell<Server>>) {
    let wake = Rc::clone(&server.borrow().aof.wake_flusher);
    loop {
        wake.notified().await;
        let mut server = server.borrow_mut();
        let appended = server.aof.appended;
        server.flush_aof(false);
        server.aof.durable.advance(appended);
    }
}

/// Runs forever; the server drops the task at shutdown.
pub async fn run(server: Rc<RefCell<Server>>) {
    let mut last_rates = Instant::now();
    loop {
        let hz = server.borrow().effective_hz();
        tokio::time::sleep(Duration::from_millis(1000 / hz as u64)).await;
        let mut srv = server.borrow_mut();
        tick(&mut srv, hz, &mut last_rates);
    }
}

/// Evicts between commands while over `maxmemory`, woken when a command's eviction leaves
/// work for it (Redis's `evictionTimeProc`). Runs forever, like the cron.
pub async fn evict_in_background(server: Rc<RefCell<Server>>) {
    let wake = Rc::clone(&server.borrow().evictor.wake);
    loop {
        wake.notified().await;
        loop {
            let result = {
                let mut server = server.borrow_mut();
                let result = server.perform_evictions();
                server.publish_notifications(None);
                if server.tracking.clients > 0 {
                    server.invalidate_in_background(false);
                }
                server.evictor.running = result == Evict::Running;
                result
            };
            if result != Evict::Running {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

/// Table slots a background save walks between two rounds of commands: a fraction of a
/// millisecond, so a save costs clients little throughput.
const SAVE_SLOTS_PER_STEP: usize = 1024;

/// The share of the command thread a save's walk takes while clients are sending commands:
/// after a step it leaves clients the rest (with no command for a while it goes on at once).
/// Reading the records is the walk's cost (their cache misses), the same however it is
/// spread; spread over a longer save it takes less of each second from clients. With 1M keys
/// the walk needs 0.1-0.25 s of the thread; under `scripts/snapshot-bench.sh`'s write load
/// the whole save took 1.4-1.8 s, about Redis's fork, with 0.64-0.76 of the SET rate.
const SAVE_SHARE: f64 = 0.15;

/// Clients count as busy for the walk's share while a command came this recently.
const CLIENTS_BUSY_WINDOW: Duration = Duration::from_millis(2);

/// How long the walk pauses when the writer thread's queue is full.
const WRITER_WAIT_MICROS: u64 = 500;

/// Drives background saves between commands: walks the snapshot a step at a time, handing
/// what it encodes to the save's writer thread (`rdb::snapshot`), then waits for that thread
/// and syncs and renames the file on a blocking thread (Redis's fork child, without the
/// fork). Runs forever, woken when a save starts.
pub async fn save_in_background(server: Rc<RefCell<Server>>) {
    let wake = Rc::clone(&server.borrow().persistence.wake);
    loop {
        wake.notified().await;
        // When the walk may step next if clients are busy, and the commands count it last saw.
        let mut resume_at = Instant::now();
        let mut commands_seen = u64::MAX;
        let mut last_command_at = Instant::now();
        loop {
            let (step, delay) = {
                let mut server = server.borrow_mut();
                if server.persistence.background.is_none() {
                    break;
                }
                let commands = server.stats.total_commands_processed;
                let now = Instant::now();
                if std::mem::replace(&mut commands_seen, commands) != commands {
                    last_command_at = now;
                }
                let clients_busy = now.duration_since(last_command_at) < CLIENTS_BUSY_WINDOW;
                if clients_busy && now < resume_at {
                    (None, 0)
                } else if server.keyspace.snapshot_ready() {
                    let delay = server.config.rdb_key_save_delay.max(0) as u64;
                    let before = server.keyspace.snapshot().map_or(0, |s| s.keys_saved);
                    // With `rdb-key-save-delay` (tests) the walk goes a few keys at a time.
                    let budget = if delay > 0 { 1 } else { SAVE_SLOTS_PER_STEP };
                    let step = server.background_save_step(budget);
                    let after = server.keyspace.snapshot().map_or(before, |s| s.keys_saved);
                    let stepped = Instant::now();
                    resume_at = stepped + (stepped - now).mul_f64(1.0 / SAVE_SHARE - 1.0);
                    (step, delay * (after - before))
                } else {
                    // The writer thread is behind: let it catch up rather than spin.
                    (None, WRITER_WAIT_MICROS)
                }
            };
            match step {
                None if delay > 0 => tokio::time::sleep(Duration::from_micros(delay)).await,
                None => tokio::task::yield_now().await,
                Some(finished) => {
                    let owner = server
                        .borrow()
                        .persistence
                        .background
                        .as_ref()
                        .map(|b| std::sync::Arc::clone(&b.cancelled))
                        .unwrap_or_default();
                    let save = {
                        let server = server.borrow();
                        let path = server.background_save_path();
                        server
                            .persistence
                            .background
                            .as_ref()
                            .zip(path)
                            .map(|(b, path)| {
                                (b.temp.clone(), std::sync::Arc::clone(&b.cancelled), path)
                            })
                    };
                    let result = match (finished, save) {
                        (Ok(finishing), Some((temp, cancelled, path))) => {
                            tokio::task::spawn_blocking(move || {
                                let file = finishing.wait()?;
                                crate::rdb::file::install(file, &temp, &path, &cancelled)
                            })
                            .await
                            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
                        }
                        (Err(e), _) => Err(e),
                        (Ok(_), None) => Ok(()),
                    };
                    // A save abandoned meanwhile (FLUSHALL, appendonly turned on) reports
                    // nothing: another may have started in its place.
                    let mut server = server.borrow_mut();
                    let current = server
                        .persistence
                        .background
                        .as_ref()
                        .is_some_and(|b| std::sync::Arc::ptr_eq(&b.cancelled, &owner));
                    if current {
                        server.background_save_done(result);
                    }
                    break;
                }
            }
        }
    }
}

/// One cron tick.
pub fn tick(server: &mut Server, hz: u32, last_rates: &mut Instant) {
    if server.cron_paused {
        return;
    }
    server.keyspace.lru_clock = crate::db::access::lru_clock_now();
    server.clock.anchor();
    server.keyspace.now_ms = server.clock.unix_ms();
    server.memory.cron();

    let now = Instant::now();
    server.cron_instant = now;
    if now.duration_since(*last_rates) >= RATE_PERIOD {
        *last_rates = now;
        let stats = &mut server.stats;
        stats.ops_rate.sample(stats.total_commands_processed, now);
        stats.input_rate.sample(stats.total_net_input_bytes, now);
        stats.output_rate.sample(stats.total_net_output_bytes, now);
    }

    let paused = server.check_pause_end();
    // A replica leaves expiry to its master, which sends the deletions.
    let report =
        if server.keyspace.active_expire_enabled && !paused && !server.replication.is_replica() {
            server
                .keyspace
                .active_expire_cycle(server.config.active_expire_effort, hz)
        } else {
            Default::default()
        };
    // The keys it expired are propagated as they were deleted, not as a transaction.
    server.propagate_pending(true);
    // Keys the cycle expired are announced now (`expired`), and invalidated for client-side
    // caching, whose table is also kept within its limit here while no command runs.
    server.publish_notifications(None);
    if server.tracking.clients > 0 {
        server.invalidate_in_background(true);
    }
    if report.sampled > 0 {
        // Redis's running estimate of the share of keys that are expired but still stored.
        let current = report.expired as f64 / report.sampled as f64 * 100.0;
        let stats = &mut server.stats;
        stats.expired_stale_perc = current * 0.05 + stats.expired_stale_perc * 0.95;
    }
    if report.time_cap_reached {
        server.stats.expired_time_cap_reached_count += 1;
    }
    server.stats.expire_cycle_cpu_milliseconds += report.elapsed.as_millis() as u64;
    let threshold = server.config.latency_monitor_threshold;
    let now_secs = server.clock.unix_ms() / 1000;
    server.latency.add_if_needed(
        threshold,
        "expire-cycle",
        report.elapsed.as_millis() as u64,
        now_secs,
    );

    if server.config.activerehashing {
        server.keyspace.rehash_step(REHASH_SLOTS_PER_TICK);
    }
    server.aof_cron();
    server.update_failover();
    // Replication's cron runs once a second, as Redis's.
    if server
        .replication
        .cron_at
        .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1))
    {
        server.replication.cron_at = Some(now);
        server.replication.cron_loops += 1;
        let period = server.config.stored_u64("repl-ping-replica-period").max(1);
        let ping = server.replication.cron_loops.is_multiple_of(period);
        server.replication_cron(ping);
    }
    server.save_points_due();
    server.migrate_sockets.close_idle(now);
    clients_cron(server, now);
}

/// Gives a client's buffers the size its recent use calls for (Redis's
/// `clientsCronResizeQueryBuffer` and `clientsCronResizeOutputBuffer`).
fn resize_buffers(server: &mut Server, client: &mut Client, now: Instant) {
    let Ok(mut io) = client.io.try_borrow_mut() else {
        return;
    };
    let idle = now
        .saturating_duration_since(client.last_interaction)
        .as_secs();
    io.input.cron_resize(idle);
    if server.reply_buffer_resizing {
        match io.reply.cron_resize(now, server.reply_buffer_peak_reset) {
            Resized::Shrunk => server.stats.reply_buffer_shrinks += 1,
            Resized::Expanded => server.stats.reply_buffer_expands += 1,
            Resized::None => {}
        }
    }
    let crate::protocol::client_io::ClientIo { input, reply, .. } = &*io;
    client.buffers.update(input, reply);
}

/// Closes clients idle longer than `timeout` and clients over the soft output limit too long.
fn clients_cron(server: &mut Server, now: Instant) {
    let timeout = server.config.timeout;
    let clients: Vec<_> = server.clients.values().cloned().collect();
    for client in clients {
        // A client borrowed here is the one running a command; it is checked next time.
        let Ok(mut client) = client.try_borrow_mut() else {
            continue;
        };
        // Blocked clients wait under their own timeout, and subscribers have none, as in
        // Redis.
        if timeout > 0
            && client.blocked.is_none()
            && !client.subscriptions.any()
            && !client.master
            && !client.is_replica()
            && now.duration_since(client.last_interaction).as_secs() > timeout
        {
            tracing::debug!(client = client.id, "closing idle client");
            client.kill();
            continue;
        }
        resize_buffers(server, &mut client, now);
        crate::memory::client_eviction::track(&mut server.clients_memory, &mut client);
        let pending = client.buffers.output_len;
        let limit = server.config.client_output_buffer_limit[client.output_class()];
        client.check_soft_output_limit(limit, pending);
        if client.close_asap {
            client.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::harness::Harness;

    #[test]
    fn the_tick_invalidates_expired_keys_and_keeps_the_tracking_table_within_its_limit() {
        let mut h = Harness::new();
        let (reader, writer) = (h.connect(), h.connect());
        h.run_as(reader, "HELLO 3");
        h.run_as(reader, "CLIENT TRACKING on");
        h.run_as(writer, "SET gone 1 PX 1");
        h.run_as(reader, "MGET gone a b");
        std::thread::sleep(Duration::from_millis(5));
        let mut last_rates = Instant::now();
        tick(&mut h.server, 10, &mut last_rates);
        assert_eq!(
            h.pushed(reader),
            ">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\ngone\r\n"
        );
        // Lowered while no command runs: the tick alone brings the table down.
        h.server.config.tracking_table_max_keys = 1;
        tick(&mut h.server, 10, &mut last_rates);
        assert_eq!(h.pushed(reader).matches("invalidate").count(), 1);
        assert_eq!(h.server.tracking.total_keys(), 1);
    }
}
