//! A raw RESP connection that returns the exact bytes of each reply.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One connection; requests are written as multibulk arrays.
pub struct RawConnection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

/// Length of the first complete RESP2/RESP3 reply in `buf`, if it is all there.
pub fn reply_len(buf: &[u8]) -> Option<usize> {
    let mut at = 0;
    skip_reply(buf, &mut at).then_some(at)
}

/// Advances `at` past one reply; `false` if the buffer ends first.
fn skip_reply(buf: &[u8], at: &mut usize) -> bool {
    let Some(kind) = buf.get(*at).copied() else {
        return false;
    };
    let Some(line_len) = buf[*at..].windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    let header = &buf[*at + 1..*at + line_len];
    *at += line_len + 2;
    let number = std::str::from_utf8(header)
        .ok()
        .and_then(|h| h.parse::<i64>().ok());
    match (kind, number) {
        // Bulk, verbatim and blob-error strings: a length line, the bytes, CRLF.
        (b'$' | b'=' | b'!', Some(len)) if len >= 0 => {
            *at += len as usize + 2;
            *at <= buf.len()
        }
        // Aggregates: their elements (maps and attributes hold pairs).
        (b'*' | b'~' | b'>' | b'%' | b'|', Some(len)) if len >= 0 => {
            let count = if matches!(kind, b'%' | b'|') {
                len * 2
            } else {
                len
            };
            (0..count).all(|_| skip_reply(buf, at))
        }
        // Everything else is one line: simple strings, errors, numbers, nulls (`$-1`, `*-1`, `_`).
        _ => true,
    }
}

impl RawConnection {
    pub fn connect(port: u16) -> RawConnection {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.set_nodelay(true).expect("nodelay");
        RawConnection {
            stream,
            buffer: Vec::new(),
        }
    }

    /// Sends one command.
    pub fn send(&mut self, args: &[&[u8]]) {
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg);
            request.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&request).expect("write");
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads the next complete reply's bytes; `None` if the connection closed first.
    pub fn read_reply(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(len) = reply_len(&self.buffer) {
                return Some(self.buffer.drain(..len).collect());
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Sends a command and reads its reply.
    pub fn call(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(args);
        self.read_reply().expect("a reply")
    }

    /// Reads until the server closes the connection; returns what arrived.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut rest = std::mem::take(&mut self.buffer);
        let _ = self.stream.read_to_end(&mut rest);
        rest
    }
}
