//! The query buffer: bytes read from a client and not yet run. It grows with fallible
//! allocation, so a client whose request cannot fit in memory is dropped rather than the
//! server, and towards an announced bulk length only as fast as the data arrives, so a client
//! announcing a 512 MB argument and sending nothing costs little.

use std::collections::TryReserveError;

/// Growth for a large argument in progress: at least this much, or the bytes already held.
const MIN_BULK_GROWTH: usize = 16 * 1024 * 1024;

#[derive(Default)]
pub struct QueryBuffer {
    bytes: Vec<u8>,
    /// Bytes before this offset were consumed.
    start: usize,
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

    /// Gives a large buffer back once it holds nothing.
    pub fn shrink_if_idle(&mut self, keep: usize) {
        if self.is_empty() && self.bytes.capacity() > keep {
            self.bytes = Vec::new();
            self.start = 0;
        }
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
        buffer.shrink_if_idle(1024);
        assert_eq!(buffer.capacity(), 0);
        // An impossible size is an error, not an abort.
        assert!(buffer.try_reserve(usize::MAX / 2, None).is_err());
    }
}
