//! Per-key access bits as Redis keeps them in `robj.lru` (24 bits): an LRU clock in seconds,
//! or for LFU policies 16 bits of "last decrement" minutes and an 8-bit logarithmic counter.

pub use crate::clock::unix_us;

/// Largest LRU clock value; the clock wraps (after about 194 days).
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Counter of a new key under an LFU policy, so that it is not evicted at once.
pub const LFU_INIT_VAL: u8 = 5;

/// Unix time in milliseconds.
pub fn unix_ms() -> u64 {
    unix_us() / 1000
}

/// The LRU clock now: seconds, wrapped to 24 bits (`getLRUClock`).
pub fn lru_clock_now() -> u32 {
    ((unix_ms() / 1000) as u32) & LRU_CLOCK_MAX
}

/// Minutes, wrapped to 16 bits (`LFUGetTimeInMinutes`).
pub fn lfu_minutes_now() -> u32 {
    ((unix_ms() / 1000 / 60) & 0xffff) as u32
}

/// How a policy tracks access: recency or frequency, with the LFU parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    pub lfu: bool,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
}

impl AccessPolicy {
    /// Access bits for a new key.
    pub fn initial(&self, lru_clock: u32) -> u32 {
        if self.lfu {
            (lfu_minutes_now() << 8) | LFU_INIT_VAL as u32
        } else {
            lru_clock
        }
    }

    /// Access bits after an access (`updateLFU`, or the LRU clock).
    pub fn touch(&self, bits: u32, lru_clock: u32) -> u32 {
        if self.lfu {
            let counter = self.lfu_log_incr(self.lfu_decayed(bits));
            (lfu_minutes_now() << 8) | counter as u32
        } else {
            lru_clock
        }
    }

    /// The LFU counter after decay (`LFUDecrAndReturn`): one less per `lfu-decay-time`
    /// minutes since the last decrement (subtraction, as Redis does it).
    pub fn lfu_decayed(&self, bits: u32) -> u8 {
        let last = bits >> 8;
        let counter = (bits & 0xff) as u8;
        if self.lfu_decay_time == 0 {
            return counter;
        }
        let now = lfu_minutes_now();
        let elapsed = if now >= last {
            now - last
        } else {
            65535 - last + now
        };
        let periods = elapsed / self.lfu_decay_time;
        counter.saturating_sub(periods.min(255) as u8)
    }

    /// Logarithmic increment (`LFULogIncr`): the higher the counter, the less likely.
    fn lfu_log_incr(&self, counter: u8) -> u8 {
        if counter == 255 {
            return 255;
        }
        let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let p = 1.0 / (base * self.lfu_log_factor as f64 + 1.0);
        if fastrand::f64() < p {
            counter + 1
        } else {
            counter
        }
    }
}

/// Milliseconds since a key with LRU bits `lru` was accessed (`estimateObjectIdleTime`).
pub fn idle_ms(lru: u32, clock: u32) -> u64 {
    let seconds = if clock >= lru {
        clock - lru
    } else {
        clock + (LRU_CLOCK_MAX - lru)
    };
    seconds as u64 * 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_idle_time_wraps() {
        assert_eq!(idle_ms(100, 160), 60_000);
        assert_eq!(idle_ms(LRU_CLOCK_MAX - 5, 5), 10_000);
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let policy = AccessPolicy {
            lfu: true,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
        };
        let mut bits = policy.initial(0);
        assert_eq!(bits & 0xff, LFU_INIT_VAL as u32);
        for _ in 0..1000 {
            bits = policy.touch(bits, 0);
        }
        let counter = bits & 0xff;
        assert!(
            counter > 10 && counter < 40,
            "1000 hits with factor 10: {counter}"
        );
        // Ten minutes without access: ten periods of one minute.
        let ten_minutes_ago = ((lfu_minutes_now() + 65536 - 10) & 0xffff) << 8 | 30;
        assert_eq!(policy.lfu_decayed(ten_minutes_ago), 20);
        let never = AccessPolicy {
            lfu_decay_time: 0,
            ..policy
        };
        assert_eq!(never.lfu_decayed(ten_minutes_ago), 30);
    }
}
