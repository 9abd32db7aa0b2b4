//! The periodic job (Redis's `serverCron`), run `hz` times a second on the command thread:
//! LRU clock, memory samples and peak, instantaneous rates, the active expire cycle,
//! incremental rehashing, idle-client timeouts and soft output-buffer limits. Beside it runs
//! the eviction task, which carries on between commands when a command's eviction ran out of
//! time.

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
    let report = if server.keyspace.active_expire_enabled && !paused {
        server
            .keyspace
            .active_expire_cycle(server.config.active_expire_effort, hz)
    } else {
        Default::default()
    };
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
    let crate::protocol::client_io::ClientIo { input, reply } = &*io;
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
        // Blocked clients wait under their own timeout, as in Redis.
        if timeout > 0
            && client.blocked.is_none()
            && now.duration_since(client.last_interaction).as_secs() > timeout
        {
            tracing::debug!(client = client.id, "closing idle client");
            client.kill();
            continue;
        }
        resize_buffers(server, &mut client, now);
        crate::memory::client_eviction::track(&mut server.clients_memory, &mut client);
        let pending = client.buffers.output_len;
        client.check_soft_output_limit(server.config.client_output_buffer_limit[0], pending);
        if client.close_asap {
            client.kill();
        }
    }
}
