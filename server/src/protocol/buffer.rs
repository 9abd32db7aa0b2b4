//! The query buffer: bytes read from a client and not yet run. It grows with fallible
//! allocation, so a client whose request cannot fit in memory is dropped rather than the
//! server, and towards an announced bulk length only as fast as the data arrives, so a client
//! announcing a 512 MB argument and sending nothing costs little. The cron gives back what it
//! no longer needs, as Redis's `clientsCronResizeQueryBuffer`: all of it once the client has
//! been idle for more than two seconds, the part above the recent peak when it is large.

use std::collections::TryReserveError;

/// Growth for a large argument in progress: at least this much, or the bytes already held.
const MIN_BULK_GROWTH: usize = 16 * 1024 * 1024;
/// Free space below which the cron leaves a buffer alone.
const RESIZE_MIN_FREE: usize = 4 * 1024;
/// A buffer larger than this may be trimmed to its recent peak (`PROTO_RESIZE_THRESHOLD`).
const RESIZE_THRESHOLD: usize = 32 * 1024;
/// Seconds of idleness after which the whole buffer is given back.
const IDLE_SECONDS: u64 = 2;

#[derive(Default)]
pub struct QueryBuffer {
    bytes: Vec<u8>,
    /// Bytes before this offset were consumed.
    start: usize,
    /// Most bytes held since the cron last looked.
    peak: usize,
}

impl QueryBuffer {
    /// The unread bytes.
    pub fn data(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    pub fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Drops `n` bytes from the front (a request that ran).
    pub fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
        }
    }

    /// Makes room to read at least `chunk` bytes, or, while an argument of which `needed` bytes
    /// are still to come is being read, up to those bytes (growing by at least
    /// [`MIN_BULK_GROWTH`] or the size held, never past what was announced).
    pub fn try_reserve(
        &mut self,
        chunk: usize,
        needed: Option<usize>,
    ) -> Result<(), TryReserveError> {
        let wanted = match needed {
            Some(needed) if needed > chunk => needed.min(self.len().max(MIN_BULK_GROWTH)),
            _ => chunk,
        };
        if self.bytes.capacity() - self.bytes.len() >= wanted {
            return Ok(());
        }
        if self.start > 0 {
            // Move the unread bytes to the front before growing.
            self.bytes.drain(..self.start);
            self.start = 0;
            if self.bytes.capacity() - self.bytes.len() >= wanted {
                return Ok(());
            }
        }
        if needed.is_some() {
            self.bytes.try_reserve_exact(wanted)
        } else {
            self.bytes.try_reserve(wanted)
        }
    }

    /// The buffer to read into (reads append after the unread bytes).
    pub fn spare(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Notes the bytes held after a read, for the cron's resizing.
    pub fn note_peak(&mut self) {
        self.peak = self.peak.max(self.len());
    }

    /// The cron's resizing: when at least 4 KiB are unused, a client idle for more than two
    /// seconds keeps only what it holds; a buffer past 32 KiB and twice its recent peak is cut
    /// down to that peak. Then the peak starts over from what is held now.
    pub fn cron_resize(&mut self, idle_seconds: u64) {
        if self.capacity() - self.len() > RESIZE_MIN_FREE {
            if idle_seconds > IDLE_SECONDS {
                self.resize_to(self.len());
            } else if self.capacity() > RESIZE_THRESHOLD && self.capacity() / 2 > self.peak {
                self.resize_to(self.len().max(self.peak));
            }
        }
        self.peak = self.len();
    }

    /// Moves the unread bytes to a block of `capacity` bytes (all of it freed at zero).
    fn resize_to(&mut self, capacity: usize) {
        let mut bytes = Vec::new();
        if capacity > 0 && bytes.try_reserve_exact(capacity).is_err() {
            // Keeping the larger buffer is always possible.
            return;
        }
        bytes.extend_from_slice(self.data());
        self.bytes = bytes;
        self.start = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumed_bytes_are_reclaimed_and_growth_follows_the_data() {
        let mut buffer = QueryBuffer::default();
        buffer.try_reserve(16, None).unwrap();
        buffer.spare().extend_from_slice(b"PING\r\nPI");
        buffer.consume(6);
        assert_eq!(buffer.data(), b"PI");
        // A 100 MB argument announced: room for 16 MB at first, not 100.
        buffer.try_reserve(16 * 1024, Some(100 << 20)).unwrap();
        assert!(buffer.capacity() < 20 << 20);
        assert_eq!(buffer.data(), b"PI", "unread bytes moved to the front");
        buffer.spare().resize(30 << 20, b'x');
        buffer.try_reserve(16 * 1024, Some(70 << 20)).unwrap();
        assert!(buffer.capacity() >= 60 << 20 && buffer.capacity() <= 100 << 20);
        buffer.consume(buffer.len());
        assert!(buffer.is_empty());
        // An impossible size is an error, not an abort.
        assert!(buffer.try_reserve(usize::MAX / 2, None).is_err());
    }

    #[test]
    fn the_cron_trims_to_the_recent_peak_and_frees_idle_buffers() {
        let mut buffer = QueryBuffer::default();
        buffer.try_reserve(400 * 1024, None).unwrap();
        buffer.spare().resize(400 * 1024, b'x');
        buffer.note_peak();
        buffer.consume(400 * 1024);
        // The peak of this cycle was large: nothing to cut yet.
        buffer.cron_resize(0);
        assert!(buffer.capacity() >= 400 * 1024);
        // A small request since: cut down to it, not to zero.
        buffer.spare().extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        buffer.note_peak();
        buffer.cron_resize(0);
        assert!(buffer.capacity() < 1024, "{}", buffer.capacity());
        assert_eq!(buffer.data(), b"*1\r\n$4\r\nPING\r\n");
        // Small buffers and busy clients keep theirs; idle ones give it all back.
        buffer.consume(14);
        buffer.try_reserve(16 * 1024, None).unwrap();
        buffer.cron_resize(2);
        assert!(buffer.capacity() >= 16 * 1024);
        buffer.cron_resize(3);
        assert_eq!(buffer.capacity(), 0);
    }
}
