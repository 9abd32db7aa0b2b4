//! Reply encoding into a connection's output buffer, in RESP2 or RESP3.
//!
//! Written by hand rather than through redis-protocol's frame types: replies are streamed
//! straight into the batch buffer with no frame allocation per reply (an `LRANGE` of 600
//! elements would otherwise build a `Vec` of 600 frames), maps keep Redis's field order, and
//! RESP3-only types degrade exactly as Redis degrades them for RESP2 clients.
//! `tests/protocol_properties.rs` decodes every form with redis-protocol to check the encoding.

use std::time::{Duration, Instant};

use crate::util::format_double;

/// The buffer size a client starts with, and the most the cron grows it to
/// (`PROTO_REPLY_CHUNK_BYTES`).
pub const REPLY_CHUNK: usize = 16 * 1024;
/// The least the cron shrinks it to (`PROTO_REPLY_MIN_BYTES`).
const REPLY_MIN: usize = 1024;

/// What the cron did to a reply buffer (`INFO stats` counts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resized {
    None,
    Shrunk,
    Expanded,
}

/// The protocol a client speaks (`HELLO 2` / `HELLO 3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Resp2,
    Resp3,
}

/// An output buffer plus the protocol to encode in.
///
/// Between batches the buffer keeps `size` bytes, which the cron adapts to the client as
/// Redis's `clientsCronResizeOutputBuffer` adapts its reply buffer: halved and more when the
/// recent peak used less than half of it, doubled (up to 16 KiB) when the peak filled it. A
/// reply larger than `size` grows the buffer for the time it takes to send it.
#[derive(Debug)]
pub struct Reply {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already written to the socket.
    sent: usize,
    protocol: Protocol,
    /// The capacity kept between batches (`rbs` in `CLIENT LIST`).
    size: usize,
    /// Most bytes pending at once since the peak was last reset, up to `size` (`rbp`).
    peak: usize,
    peak_reset_at: Instant,
    /// Where the push messages of the running command lie in `buf` (start, end): they are
    /// sent even when `CLIENT REPLY OFF|SKIP` drops the command's reply, as Redis sends
    /// pushes. Cleared after each command.
    pushes: Vec<(usize, usize)>,
}

impl Reply {
    pub fn new(protocol: Protocol) -> Reply {
        Reply {
            buf: Vec::with_capacity(REPLY_CHUNK),
            sent: 0,
            protocol,
            size: REPLY_CHUNK,
            peak: 0,
            peak_reset_at: Instant::now(),
            pushes: Vec::new(),
        }
    }

    /// The capacity kept between batches.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The recent peak of pending bytes, within `size`.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Notes the bytes pending after a batch.
    pub fn note_peak(&mut self) {
        self.peak = self.peak.max(self.len().min(self.size));
    }

    /// The cron's resizing, as Redis's: shrink to the peak (at least 1 KiB) when it used less
    /// than half the buffer, double when it filled it; the peak is reset every
    /// `peak_reset_every` (never when `None`).
    pub fn cron_resize(&mut self, now: Instant, peak_reset_every: Option<Duration>) -> Resized {
        let (shrink_to, expand_to) = (self.size / 2, self.size * 2);
        let mut resized = Resized::None;
        if shrink_to >= REPLY_MIN && self.peak < shrink_to {
            self.size = REPLY_MIN.max(self.peak + 1);
            resized = Resized::Shrunk;
        } else if expand_to < REPLY_CHUNK * 2 && self.peak == self.size {
            self.size = REPLY_CHUNK.min(expand_to);
            resized = Resized::Expanded;
        }
        if let Some(every) = peak_reset_every
            && now.duration_since(self.peak_reset_at) >= every
        {
            self.peak = self.len().min(self.size);
            self.peak_reset_at = now;
        }
        if resized != Resized::None {
            self.fit();
        }
        resized
    }

    /// Gives the buffer the capacity it keeps, pending bytes moved to its front. A buffer
    /// still holding more than that keeps what it needs until it is sent.
    fn fit(&mut self) {
        if self.len() > self.size || self.buf.capacity() == self.size {
            return;
        }
        let mut buf = Vec::new();
        if buf.try_reserve_exact(self.size).is_err() {
            return;
        }
        buf.extend_from_slice(self.bytes());
        self.buf = buf;
        self.sent = 0;
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    pub fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = protocol;
    }

    pub fn is_resp3(&self) -> bool {
        self.protocol == Protocol::Resp3
    }

    /// The encoded bytes not yet written to the socket.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    /// Bytes not yet written.
    pub fn len(&self) -> usize {
        self.buf.len() - self.sent
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Position just past the last byte encoded, for truncating a command's output.
    pub fn end(&self) -> usize {
        self.buf.len()
    }

    /// What was encoded from position `start` (an [`Reply::end`]) on.
    pub fn since(&self, start: usize) -> &[u8] {
        &self.buf[start.clamp(self.sent, self.buf.len())..]
    }

    /// Bytes the buffer holds in memory.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Marks `n` more bytes as written to the socket.
    pub fn consume(&mut self, n: usize) {
        self.sent += n;
        if self.sent >= self.buf.len() {
            self.buf.clear();
            self.sent = 0;
        } else if self.sent > 64 * 1024 && self.sent > self.buf.len() / 2 {
            // A slow reader: drop the written half rather than let the buffer creep.
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// Discards what was encoded from position `end` on (replies suppressed by
    /// `CLIENT REPLY`).
    pub fn truncate(&mut self, end: usize) {
        self.buf.truncate(end.max(self.sent));
    }

    /// Drops everything not yet written (the client is being closed).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.sent = 0;
    }

    /// Once a large reply is sent, goes back to the capacity the buffer keeps.
    pub fn shrink_if_idle(&mut self) {
        if self.is_empty() && self.buf.capacity() > self.size {
            self.fit();
        }
    }

    fn header(&mut self, kind: u8, n: impl itoa::Integer) {
        self.buf.push(kind);
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string; `\r` and `\n` become spaces, as Redis sanitises them.
    pub fn simple(&mut self, text: &[u8]) {
        self.buf.push(b'+');
        self.push_line(text);
    }

    /// An error line. `text` starts with the error code (`ERR`, `WRONGTYPE`, …). Error
    /// statistics are kept by the caller (`Server::record_error`).
    pub fn error(&mut self, text: &str) {
        self.buf.push(b'-');
        self.push_line(text.as_bytes());
    }

    fn push_line(&mut self, text: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(text);
        for b in &mut self.buf[start..] {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, value: i64) {
        self.header(b':', value);
    }

    pub fn bulk(&mut self, bytes: &[u8]) {
        self.header(b'$', bytes.len());
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string of an integer's decimal form.
    pub fn bulk_int(&mut self, value: i64) {
        let mut digits = itoa::Buffer::new();
        self.bulk(digits.format(value).as_bytes());
    }

    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        match self.protocol {
            Protocol::Resp2 => self.buf.extend_from_slice(b"$-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// A missing aggregate: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        match self.protocol {
            Protocol::Resp2 => self.buf.extend_from_slice(b"*-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    pub fn array(&mut self, len: usize) {
        self.header(b'*', len);
    }

    /// A map of `len` pairs: `%` in RESP3, a flat array of `2 * len` elements in RESP2.
    pub fn map(&mut self, len: usize) {
        match self.protocol {
            Protocol::Resp2 => self.header(b'*', len * 2),
            Protocol::Resp3 => self.header(b'%', len),
        }
    }

    /// A set: `~` in RESP3, an array in RESP2.
    pub fn set(&mut self, len: usize) {
        match self.protocol {
            Protocol::Resp2 => self.header(b'*', len),
            Protocol::Resp3 => self.header(b'~', len),
        }
    }

    /// A double as Redis's `addReplyDouble`: `,<%.17g>` in RESP3, a bulk string in RESP2.
    pub fn double(&mut self, value: f64) {
        let text = format_double(value);
        match self.protocol {
            Protocol::Resp2 => self.bulk(text.as_bytes()),
            Protocol::Resp3 => {
                self.buf.push(b',');
                self.buf.extend_from_slice(text.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, value: bool) {
        match self.protocol {
            Protocol::Resp2 => self.int(value as i64),
            Protocol::Resp3 => {
                self.buf
                    .extend_from_slice(if value { b"#t\r\n" } else { b"#f\r\n" })
            }
        }
    }

    /// A big number: `(` in RESP3, a bulk string of its digits in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        match self.protocol {
            Protocol::Resp2 => self.bulk(digits),
            Protocol::Resp3 => {
                self.buf.push(b'(');
                self.buf.extend_from_slice(digits);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// An attribute map of `len` pairs before the reply it describes: `|` in RESP3; a RESP2
    /// client gets neither the header nor (the caller's job) the pairs.
    pub fn attribute(&mut self, len: usize) {
        if self.is_resp3() {
            self.header(b'|', len);
        }
    }

    /// An out-of-band push message of `len` elements: `>` in RESP3, an array in RESP2.
    pub fn push(&mut self, len: usize) {
        match self.protocol {
            Protocol::Resp2 => self.header(b'*', len),
            Protocol::Resp3 => self.header(b'>', len),
        }
    }

    /// Text for humans with a format (`txt`, `mkd`): a verbatim string in RESP3, a bulk string
    /// in RESP2.
    pub fn verbatim_as(&mut self, format: &[u8; 3], text: &[u8]) {
        match self.protocol {
            Protocol::Resp2 => self.bulk(text),
            Protocol::Resp3 => {
                self.header(b'=', text.len() + 4);
                self.buf.extend_from_slice(format);
                self.buf.push(b':');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Text for humans (`INFO`, `MEMORY DOCTOR`): a verbatim string of format `txt` in RESP3,
    /// a bulk string in RESP2.
    pub fn verbatim(&mut self, text: &[u8]) {
        self.verbatim_as(b"txt", text);
    }

    /// Starts an array whose length is known only at the end; finish with
    /// [`Reply::finish_deferred_array`] (Redis's `addReplyDeferredLen`).
    pub fn deferred_array(&mut self) -> Deferred {
        Deferred {
            at: self.buf.len(),
            kind: b'*',
        }
    }

    /// Starts a map whose length is known only at the end.
    pub fn deferred_map(&mut self) -> Deferred {
        Deferred {
            at: self.buf.len(),
            kind: if self.is_resp3() { b'%' } else { b'*' },
        }
    }

    /// Starts a set whose length is known only at the end: `~` in RESP3, an array in RESP2.
    pub fn deferred_set(&mut self) -> Deferred {
        Deferred {
            at: self.buf.len(),
            kind: if self.is_resp3() { b'~' } else { b'*' },
        }
    }

    /// Writes the header of a deferred aggregate of `len` elements.
    pub fn finish_deferred(&mut self, deferred: Deferred, len: usize) {
        let mut header = Vec::with_capacity(24);
        header.push(deferred.kind);
        header.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
        header.extend_from_slice(b"\r\n");
        self.buf.splice(deferred.at..deferred.at, header);
    }

    /// Writes the header of a deferred map of `pairs` pairs.
    pub fn finish_deferred_map(&mut self, deferred: Deferred, pairs: usize) {
        let len = if self.is_resp3() { pairs } else { pairs * 2 };
        self.finish_deferred(deferred, len);
    }

    /// Appends already-encoded bytes (a reply produced elsewhere).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Appends an encoded push message (Pub/Sub confirmations and messages).
    pub fn push_message(&mut self, bytes: &[u8]) {
        let at = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.note_push(at, at + bytes.len());
    }

    /// Inserts an encoded push message at position `at` (from [`Reply::end`]): one that
    /// belongs before the reply of the command that caused it.
    pub fn insert_push(&mut self, at: usize, bytes: &[u8]) {
        let at = at.clamp(self.sent, self.buf.len());
        self.buf.splice(at..at, bytes.iter().copied());
        for range in &mut self.pushes {
            if range.0 >= at {
                range.0 += bytes.len();
                range.1 += bytes.len();
            }
        }
        self.note_push(at, at + bytes.len());
    }

    /// Records a push at `from..to`, joined to the previous one when they touch (a command
    /// confirming 100 000 subscriptions keeps one range).
    fn note_push(&mut self, from: usize, to: usize) {
        match self.pushes.last_mut() {
            Some(last) if last.1 == from => last.1 = to,
            _ => self.pushes.push((from, to)),
        }
    }

    /// Drops what the running command wrote from `start` on, except its push messages
    /// (`CLIENT REPLY OFF|SKIP`), and forgets where its pushes were.
    pub fn finish_suppressed(&mut self, start: usize) {
        let start = start.max(self.sent);
        let mut kept = Vec::new();
        self.pushes.sort_unstable();
        for &(from, to) in &self.pushes {
            if from >= start && to <= self.buf.len() {
                kept.extend_from_slice(&self.buf[from..to]);
            }
        }
        self.buf.truncate(start);
        self.buf.extend_from_slice(&kept);
        self.pushes.clear();
    }

    /// Forgets where the running command's pushes were (its reply is kept whole).
    #[inline]
    pub fn finish_command(&mut self) {
        if !self.pushes.is_empty() {
            self.pushes.clear();
        }
    }
}

/// The position of an aggregate header not yet written.
#[derive(Debug)]
pub struct Deferred {
    at: usize,
    kind: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(protocol: Protocol, write: impl FnOnce(&mut Reply)) -> Vec<u8> {
        let mut reply = Reply::new(protocol);
        write(&mut reply);
        reply.bytes().to_vec()
    }

    #[test]
    fn resp2_forms() {
        let r = Protocol::Resp2;
        assert_eq!(encoded(r, |o| o.ok()), b"+OK\r\n");
        assert_eq!(encoded(r, |o| o.int(-42)), b":-42\r\n");
        assert_eq!(encoded(r, |o| o.bulk(b"hi")), b"$2\r\nhi\r\n");
        assert_eq!(encoded(r, |o| o.null()), b"$-1\r\n");
        assert_eq!(encoded(r, |o| o.null_array()), b"*-1\r\n");
        assert_eq!(encoded(r, |o| o.map(2)), b"*4\r\n");
        assert_eq!(encoded(r, |o| o.set(3)), b"*3\r\n");
        assert_eq!(encoded(r, |o| o.double(1.5)), b"$3\r\n1.5\r\n");
        assert_eq!(encoded(r, |o| o.boolean(true)), b":1\r\n");
        assert_eq!(encoded(r, |o| o.verbatim(b"x")), b"$1\r\nx\r\n");
        assert_eq!(encoded(r, |o| o.big_number(b"123")), b"$3\r\n123\r\n");
        assert_eq!(encoded(r, |o| o.attribute(1)), b"");
        assert_eq!(encoded(r, |o| o.push(2)), b"*2\r\n");
        assert_eq!(encoded(r, |o| o.error("ERR a\r\nb")), b"-ERR a  b\r\n");
    }

    #[test]
    fn resp3_forms() {
        let r = Protocol::Resp3;
        assert_eq!(encoded(r, |o| o.null()), b"_\r\n");
        assert_eq!(encoded(r, |o| o.null_array()), b"_\r\n");
        assert_eq!(encoded(r, |o| o.map(2)), b"%2\r\n");
        assert_eq!(encoded(r, |o| o.set(3)), b"~3\r\n");
        assert_eq!(
            encoded(r, |o| o.double(45.354591369628906)),
            b",45.354591369628906\r\n"
        );
        assert_eq!(encoded(r, |o| o.double(f64::INFINITY)), b",inf\r\n");
        assert_eq!(encoded(r, |o| o.boolean(false)), b"#f\r\n");
        assert_eq!(encoded(r, |o| o.verbatim(b"hello")), b"=9\r\ntxt:hello\r\n");
        assert_eq!(encoded(r, |o| o.big_number(b"123")), b"(123\r\n");
        assert_eq!(encoded(r, |o| o.attribute(1)), b"|1\r\n");
        assert_eq!(encoded(r, |o| o.push(2)), b">2\r\n");
    }

    #[test]
    fn the_cron_shrinks_idle_buffers_and_grows_full_ones() {
        let start = Instant::now();
        let mut reply = Reply::new(Protocol::Resp2);
        let every = Some(Duration::from_millis(100));
        // Idle: one step down to the least size, once the peak was reset.
        assert_eq!(reply.cron_resize(start, every), Resized::Shrunk);
        assert_eq!(reply.size(), 1024);
        assert_eq!(reply.capacity(), 1024);
        assert_eq!(reply.cron_resize(start, every), Resized::None);
        // A batch that fills it: doubled per cron run up to 16 KiB.
        reply.bulk(&[b'x'; 4000]);
        reply.note_peak();
        assert_eq!(reply.peak(), 1024);
        assert_eq!(reply.cron_resize(start, None), Resized::Expanded);
        assert_eq!(reply.size(), 2048);
        reply.consume(reply.len());
        reply.shrink_if_idle();
        assert_eq!(reply.capacity(), 2048);
        reply.bulk(&[b'x'; 40000]);
        reply.note_peak();
        for _ in 0..5 {
            reply.note_peak();
            reply.cron_resize(start, None);
        }
        assert_eq!(reply.size(), REPLY_CHUNK);
        // Without a peak reset the size stays; after one it shrinks again.
        reply.consume(reply.len());
        assert_eq!(reply.cron_resize(start, None), Resized::None);
        let later = start + Duration::from_millis(150);
        reply.cron_resize(later, every);
        assert_eq!(reply.cron_resize(later, every), Resized::Shrunk);
        assert_eq!(reply.size(), 1024);
    }

    #[test]
    fn deferred_headers_go_in_front() {
        let bytes = encoded(Protocol::Resp2, |o| {
            o.int(1);
            let d = o.deferred_array();
            o.bulk(b"a");
            o.bulk(b"b");
            o.finish_deferred(d, 2);
        });
        assert_eq!(bytes, b":1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
        let bytes = encoded(Protocol::Resp3, |o| {
            let d = o.deferred_map();
            o.bulk(b"k");
            o.int(1);
            o.finish_deferred_map(d, 1);
        });
        assert_eq!(bytes, b"%1\r\n$1\r\nk\r\n:1\r\n");
    }
}
