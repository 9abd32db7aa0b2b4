//! The replication backlog (Redis's `repl_backlog`): the last `repl-backlog-size` bytes of the
//! replication stream, so a replica whose link dropped can continue from the offset it
//! reached (`PSYNC` answered `+CONTINUE`) instead of loading a whole new snapshot.
//!
//! Offsets are Redis's: the stream's bytes are numbered from 1, and `first` is the number of
//! the oldest byte held, so a replica that processed up to offset `n` asks for `n + 1`.

use std::collections::VecDeque;

#[derive(Debug)]
pub struct Backlog {
    bytes: VecDeque<u8>,
    size: usize,
    /// The stream offset of `bytes[0]` (`repl_backlog->offset`).
    first: u64,
}

impl Backlog {
    /// An empty backlog of `size` bytes whose next byte is stream byte `next`.
    pub fn new(size: usize, next: u64) -> Backlog {
        Backlog {
            bytes: VecDeque::new(),
            size: size.max(1),
            first: next,
        }
    }

    /// Appends stream bytes, dropping the oldest beyond the size.
    pub fn append(&mut self, data: &[u8]) {
        if data.len() >= self.size {
            let skipped = self.bytes.len() + data.len() - self.size;
            self.bytes.clear();
            self.bytes.extend(&data[data.len() - self.size..]);
            self.first += skipped as u64;
            return;
        }
        self.bytes.extend(data);
        self.trim();
    }

    fn trim(&mut self) {
        if self.bytes.len() > self.size {
            let over = self.bytes.len() - self.size;
            self.bytes.drain(..over);
            self.first += over as u64;
        }
    }

    /// `repl-backlog-size` changed: keeps the newest bytes that fit.
    pub fn resize(&mut self, size: usize) {
        self.size = size.max(1);
        self.trim();
        self.bytes.shrink_to(self.size);
    }

    /// The offset of the oldest byte held (`repl_backlog_first_byte_offset`).
    pub fn first_offset(&self) -> u64 {
        self.first
    }

    /// Bytes held (`repl_backlog_histlen`).
    pub fn histlen(&self) -> usize {
        self.bytes.len()
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether the bytes from offset `from` to the end are all held (Redis accepts a request
    /// for exactly the next byte too, with nothing to send).
    pub fn covers(&self, from: u64) -> bool {
        from >= self.first && from <= self.first + self.bytes.len() as u64
    }

    /// The held bytes from offset `from` on; `from` must be [`covered`](Self::covers).
    pub fn since(&self, from: u64) -> Vec<u8> {
        let skip = (from - self.first) as usize;
        let (a, b) = self.bytes.as_slices();
        let mut out = Vec::with_capacity(self.bytes.len() - skip);
        if skip < a.len() {
            out.extend_from_slice(&a[skip..]);
            out.extend_from_slice(b);
        } else {
            out.extend_from_slice(&b[skip - a.len()..]);
        }
        out
    }

    /// Bytes of memory it holds (`mem_replication_backlog`).
    pub fn memory(&self) -> usize {
        self.bytes.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_bytes_and_their_offsets() {
        let mut backlog = Backlog::new(8, 1);
        backlog.append(b"abcde");
        assert_eq!((backlog.first_offset(), backlog.histlen()), (1, 5));
        assert_eq!(backlog.since(3), b"cde");
        backlog.append(b"fghij");
        // 10 bytes written, 8 kept: bytes 3..=10.
        assert_eq!((backlog.first_offset(), backlog.histlen()), (3, 8));
        assert!(!backlog.covers(2));
        assert!(backlog.covers(3) && backlog.covers(11) && !backlog.covers(12));
        assert_eq!(backlog.since(3), b"cdefghij");
        assert_eq!(backlog.since(9), b"ij");
        assert_eq!(backlog.since(11), b"");
    }

    #[test]
    fn an_append_larger_than_the_backlog_keeps_its_tail() {
        let mut backlog = Backlog::new(4, 101);
        backlog.append(b"xy");
        backlog.append(b"0123456789");
        assert_eq!(backlog.first_offset(), 101 + 12 - 4);
        assert_eq!(backlog.since(backlog.first_offset()), b"6789");
    }

    #[test]
    fn shrinking_drops_the_oldest() {
        let mut backlog = Backlog::new(10, 1);
        backlog.append(b"0123456789");
        backlog.resize(3);
        assert_eq!(backlog.first_offset(), 8);
        assert_eq!(backlog.since(8), b"789");
    }
}
