//! Client eviction (`maxmemory-clients`): when the memory of all clients together reaches the
//! limit, the largest clients are disconnected until it is below again, as Redis 7.0 does
//! before each command and after each round of I/O. Clients with `CLIENT NO-EVICT on` are
//! never chosen.
//!
//! Each client's memory (`tot-mem`) is recorded in the server's running total whenever its
//! buffers are measured, so checking the limit costs nothing; choosing victims sorts the
//! clients by size, exactly where Redis approximates with power-of-two buckets.

use crate::client::Client;
use crate::config::Config;

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

/// The clients to disconnect, largest first, from `(tracked memory, id)` of each evictable
/// client, while `total` (the clients' memory) is at or over `limit` (Redis's
/// `evictClients`, which approximates the order with buckets where this sorts).
pub fn choose(mut candidates: Vec<(usize, u64)>, mut total: usize, limit: usize) -> Vec<u64> {
    // Largest first; among equals, the older connection goes first.
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen = Vec::new();
    for (memory, id) in candidates {
        if total < limit {
            break;
        }
        total -= memory;
        chosen.push(id);
    }
    chosen
}

/// Whether `client` may be disconnected for memory (not `CLIENT NO-EVICT`, not already going).
pub fn evictable(client: &Client) -> bool {
    !client.no_evict && !client.close_asap
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
/// Redis's layout, from each client's tracked memory and `CLIENT NO-EVICT` flag.
pub fn buckets_report(clients: impl IntoIterator<Item = (usize, bool)>) -> String {
    let mut buckets = [(0usize, 0usize); BUCKETS];
    for (memory, no_evict) in clients {
        if !no_evict {
            let bucket = &mut buckets[bucket_of(memory)];
            bucket.0 += memory;
            bucket.1 += 1;
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
    fn the_largest_clients_go_first_until_under_the_limit() {
        // 100 + 300 + 300 + 50 = 750 against a limit of 400: the two 300s go, the older first.
        let candidates = vec![(100, 1), (300, 4), (300, 2), (50, 3)];
        assert_eq!(choose(candidates.clone(), 750, 400), vec![2, 4]);
        assert_eq!(choose(candidates.clone(), 750, 751), Vec::<u64>::new());
        assert_eq!(choose(candidates, 750, 1), vec![2, 4, 1, 3]);
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
