//! Client eviction (`maxmemory-clients`): when the memory of all clients together reaches the
//! limit, the largest clients are disconnected until it is below again, as Redis 7.0 does
//! before each command and after each round of I/O. Clients with `CLIENT NO-EVICT on` are
//! never chosen.
//!
//! Each client's memory (`tot-mem`) is recorded in the server's running total whenever its
//! buffers are measured, so checking the limit costs nothing; choosing victims sorts the
//! clients by size, exactly where Redis approximates with power-of-two buckets.

use std::rc::Rc;
use std::time::Instant;

use crate::client::Client;
use crate::config::Config;
use crate::server::Server;

/// The smallest effective limit, so a misconfiguration cannot cut every client off.
const LIMIT_FLOOR: usize = 128 * 1024;

/// The limit in bytes, 0 when client eviction is off (Redis's `getClientEvictionLimit`): a
/// percentage applies to `maxmemory`, and means off while `maxmemory` is 0.
pub fn limit(config: &Config) -> usize {
    let bytes = if config.maxmemory_clients < 0 && config.maxmemory > 0 {
        let share = config.maxmemory as f64 * -(config.maxmemory_clients as f64) / 100.0;
        share as usize
    } else if config.maxmemory_clients > 0 {
        config.maxmemory_clients as usize
    } else {
        return 0;
    };
    bytes.max(LIMIT_FLOOR)
}

/// Records `client`'s memory now in the server's total of client memory.
pub fn track(total: &mut usize, client: &mut Client) {
    let now = client.memory();
    *total = *total - client.tracked_memory + now;
    client.tracked_memory = now;
}

/// Removes a departing client's memory from the total.
pub fn forget(total: &mut usize, client: &mut Client) {
    *total -= client.tracked_memory;
    client.tracked_memory = 0;
}

/// Disconnects the largest evictable clients while the clients' memory is at or over the
/// limit. `current` is the client whose command is running (its cell is already borrowed);
/// `command_name` names a command by table index, for the log line. Returns whether the
/// current client was evicted itself, in which case it must stop at once.
pub fn evict_clients(
    server: &mut Server,
    current: &mut Client,
    command_name: &dyn Fn(usize) -> &'static str,
) -> bool {
    let limit = limit(&server.config);
    if limit == 0 || server.clients_memory < limit {
        return false;
    }
    let mut candidates: Vec<(usize, u64)> = Vec::new();
    for (&id, other) in &server.clients {
        if id == current.id {
            candidates_push(&mut candidates, current);
        } else if let Ok(client) = other.try_borrow() {
            candidates_push(&mut candidates, &client);
        }
    }
    // Largest first; among equals, the older connection goes first.
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut evicted_current = false;
    let now = Instant::now();
    for (_, id) in candidates {
        if server.clients_memory < limit {
            break;
        }
        if id == current.id {
            log_eviction(current, command_name, now);
            forget(&mut server.clients_memory, current);
            current.kill();
            evicted_current = true;
        } else {
            let Some(other) = server.clients.get(&id).map(Rc::clone) else {
                continue;
            };
            let Ok(mut client) = other.try_borrow_mut() else {
                continue;
            };
            log_eviction(&client, command_name, now);
            forget(&mut server.clients_memory, &mut client);
            client.kill();
        }
        server.stats.evicted_clients += 1;
    }
    if server.clients_memory >= limit {
        tracing::warn!("Over client maxmemory after evicting all evictable clients");
    }
    evicted_current
}

fn candidates_push(candidates: &mut Vec<(usize, u64)>, client: &Client) {
    if !client.no_evict && !client.close_asap {
        candidates.push((client.tracked_memory, client.id));
    }
}

fn log_eviction(client: &Client, command_name: &dyn Fn(usize) -> &'static str, now: Instant) {
    let command = client.last_command.map(command_name).unwrap_or("NULL");
    tracing::info!("Evicting client: {}", client.info_line(command, now));
}

/// Redis's memory buckets of evictable clients: the first holds clients under 32 KiB, each
/// next one clients of up to twice as much, the last those of 4 GiB and more.
const BUCKET_MIN_LOG: u32 = 15;
const BUCKET_MAX_LOG: u32 = 33;
const BUCKETS: usize = (BUCKET_MAX_LOG - BUCKET_MIN_LOG + 1) as usize;

fn bucket_of(memory: usize) -> usize {
    let bits = usize::BITS - memory.leading_zeros();
    (bits.clamp(BUCKET_MIN_LOG, BUCKET_MAX_LOG) - BUCKET_MIN_LOG) as usize
}

/// `DEBUG CLIENT-EVICTION`: per bucket, the memory and number of the evictable clients, in
/// Redis's layout. `current` is the client asking (its cell is already borrowed).
pub fn buckets_report(server: &Server, current: &Client) -> String {
    let mut buckets = [(0usize, 0usize); BUCKETS];
    let mut add = |client: &Client| {
        if !client.no_evict {
            let bucket = &mut buckets[bucket_of(client.tracked_memory)];
            bucket.0 += client.tracked_memory;
            bucket.1 += 1;
        }
    };
    for (&id, other) in &server.clients {
        if id == current.id {
            add(current);
        } else if let Ok(client) = other.try_borrow() {
            add(&client);
        }
    }
    let mut text = String::new();
    for (j, (memory, clients)) in buckets.iter().enumerate() {
        if j == 0 {
            text.push_str("bucket          0");
        } else {
            text.push_str(&format!(
                "bucket {:10}",
                1usize << (j as u32 - 1 + BUCKET_MIN_LOG)
            ));
        }
        if j == BUCKETS - 1 {
            text.push_str("+            : ");
        } else {
            text.push_str(&format!(
                " - {:10}: ",
                (1usize << (j as u32 + BUCKET_MIN_LOG)) - 1
            ));
        }
        text.push_str(&format!("tot-mem: {memory:10}, clients: {clients}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_as_redis_computes_it() {
        let mut config = Config::default();
        assert_eq!(limit(&config), 0);
        config.maxmemory_clients = 1 << 20;
        assert_eq!(limit(&config), 1 << 20);
        config.maxmemory_clients = 1000;
        assert_eq!(limit(&config), LIMIT_FLOOR);
        // 10% of no maxmemory is off; of 100 MB, 10 MB.
        config.maxmemory_clients = -10;
        assert_eq!(limit(&config), 0);
        config.maxmemory = 100 << 20;
        assert_eq!(limit(&config), 10 << 20);
    }

    #[test]
    fn buckets_by_powers_of_two() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(32 * 1024 - 1), 0);
        assert_eq!(bucket_of(32 * 1024), 1);
        assert_eq!(bucket_of(64 * 1024 - 1), 1);
        assert_eq!(bucket_of(64 * 1024), 2);
        assert_eq!(bucket_of(usize::MAX), BUCKETS - 1);
    }
}
