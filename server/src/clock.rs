//! The command clock: Unix time and command durations from the CPU's time-stamp counter,
//! anchored to the system clock by cron.
//!
//! Redis's `call` reads the time before and after every command. Here a system-clock read
//! (`SystemTime::now`) costs 40–55 ns against 17–21 ns for a time-stamp-counter read through
//! quanta; moving the two reads to the counter took 2 000 000 pipelined GETs from 136 to 119
//! CPU ticks of the server (docs/architecture.md). So a command
//! reads the counter twice, and its Unix time is the last anchor plus the counter's progress
//! since; cron re-reads the system clock (`hz` times a second), so a step of the system clock
//! shows within one tick. Without an invariant counter quanta falls back to the monotonic
//! system clock, which costs what `SystemTime` did.

use std::cell::Cell;

/// Unix time in microseconds from the system clock (Redis's `ustime`).
pub fn unix_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// A backward move of the derived time smaller than this is the counter's drift since the last
/// anchor, and commands see time stand still instead; a larger one is a real clock step.
const MAX_HELD_US: u64 = 1_000_000;

/// Counter readings and the Unix time they stand for.
#[derive(Debug)]
pub struct CommandClock {
    counter: quanta::Clock,
    anchor_tick: u64,
    anchor_unix_us: u64,
    /// The latest Unix time handed out, so that re-anchoring never moves time back a little.
    latest_us: Cell<u64>,
}

impl CommandClock {
    /// What the counter is, worded as Redis's `monotonic_clock` (`INFO server`, the startup
    /// log): `X86 TSC @ <n> ticks/us` when quanta reads the time-stamp counter, `POSIX
    /// clock_gettime` when it falls back to the monotonic system clock (whose raw readings are
    /// already nanoseconds).
    pub fn source(&self) -> String {
        const TICKS: u64 = 1_000_000_000;
        let nanos = self.counter.delta_as_nanos(0, TICKS);
        if nanos == TICKS || nanos == 0 {
            "POSIX clock_gettime".to_string()
        } else {
            format!("X86 TSC @ {} ticks/us", TICKS * 1000 / nanos)
        }
    }

    /// A clock anchored now.
    pub fn new() -> CommandClock {
        let counter = quanta::Clock::new();
        let anchor_tick = counter.raw();
        let anchor_unix_us = unix_us();
        CommandClock {
            counter,
            anchor_tick,
            anchor_unix_us,
            latest_us: Cell::new(anchor_unix_us),
        }
    }

    /// Re-reads the system clock (cron).
    pub fn anchor(&mut self) {
        self.anchor_tick = self.counter.raw();
        self.anchor_unix_us = unix_us();
    }

    /// A counter reading, for [`Self::unix_us_at`] and [`Self::elapsed_us`].
    #[inline]
    pub fn tick(&self) -> u64 {
        self.counter.raw()
    }

    /// Unix time in microseconds at a reading taken since the last anchor.
    pub fn unix_us_at(&self, tick: u64) -> u64 {
        let derived =
            self.anchor_unix_us + self.counter.delta_as_nanos(self.anchor_tick, tick) / 1000;
        let latest = self.latest_us.get();
        let now = if derived < latest && latest - derived < MAX_HELD_US {
            latest
        } else {
            derived
        };
        self.latest_us.set(now);
        now
    }

    /// Unix time in milliseconds now.
    pub fn unix_ms(&self) -> u64 {
        self.unix_us_at(self.tick()) / 1000
    }

    /// Microseconds between two readings (zero if `to` is not after `from`).
    #[inline]
    pub fn elapsed_us(&self, from: u64, to: u64) -> u64 {
        self.counter.delta_as_nanos(from, to) / 1000
    }
}

impl Default for CommandClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn derived_time_follows_the_system_clock() {
        let clock = CommandClock::new();
        std::thread::sleep(Duration::from_millis(50));
        let derived = clock.unix_us_at(clock.tick());
        let system = unix_us();
        // 50 ms from the anchor: the counter's estimate is within a millisecond of the system's.
        assert!(derived.abs_diff(system) < 1_000, "{derived} vs {system}");
    }

    #[test]
    fn durations_measure_the_time_between_readings() {
        let clock = CommandClock::new();
        let from = clock.tick();
        std::thread::sleep(Duration::from_millis(20));
        let elapsed = clock.elapsed_us(from, clock.tick());
        assert!((20_000..200_000).contains(&elapsed), "{elapsed} µs");
        assert_eq!(clock.elapsed_us(clock.tick(), from), 0);
    }

    #[test]
    fn re_anchoring_never_moves_time_back_a_little() {
        let mut clock = CommandClock::new();
        let seen = clock.unix_us_at(clock.tick());
        // An anchor half a second behind what commands have seen: drift, held.
        clock.anchor_unix_us -= 500_000;
        assert_eq!(clock.unix_us_at(clock.anchor_tick), seen);
        // Ten seconds behind: a real step of the system clock, followed.
        clock.anchor_unix_us -= 10_000_000;
        assert!(clock.unix_us_at(clock.anchor_tick) < seen - 5_000_000);
        clock.anchor();
        assert!(clock.unix_us_at(clock.tick()).abs_diff(unix_us()) < 1_000);
    }
}
