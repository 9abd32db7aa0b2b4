//! Request framing: RESP multibulk and inline commands, with Redis's limits and errors.
//!
//! Hand-written rather than built on redis-protocol's decoder because the server needs what
//! that decoder cannot give: resumable state (a 100 MB `SET` arriving in many reads is scanned
//! once, not from its start on every read — redis-protocol's stateless decode is quadratic
//! there), Redis's limits (64 KiB inline and count lines, `proto-max-bulk-len`, pre-auth
//! limits) with Redis's exact protocol errors, inline commands, and arguments as offsets into
//! the read buffer with no allocation per request. `tests/protocol_properties.rs` checks it
//! against redis-protocol on generated input.
//!
//! Like Redis, the parser follows the first byte: `*` starts a multibulk request, anything
//! else an inline one. `*0`, `*-1` and empty inline lines are requests with no arguments,
//! which the connection skips.

use std::ops::Range;

/// Longest inline request, and longest `*`/`$` count line (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX: usize = 64 * 1024;
/// Most arguments an unauthenticated client may send in one request.
const UNAUTHENTICATED_MAX_ARGS: i64 = 10;
/// Longest argument an unauthenticated client may send.
const UNAUTHENTICATED_MAX_BULK: i64 = 16384;

/// A malformed request: Redis replies `-ERR Protocol error: …` and closes the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    TooBigInline,
    UnbalancedQuotes,
    TooBigMultibulkCount,
    InvalidMultibulkLength,
    UnauthenticatedMultibulkLength,
    TooBigBulkCount,
    ExpectedDollar(u8),
    InvalidBulkLength,
    UnauthenticatedBulkLength,
}

impl ProtocolError {
    /// The error reply, without the leading `-`.
    pub fn reply(&self) -> String {
        let what = match self {
            ProtocolError::TooBigInline => "too big inline request".to_string(),
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in request".to_string(),
            ProtocolError::TooBigMultibulkCount => "too big mbulk count string".to_string(),
            ProtocolError::InvalidMultibulkLength => "invalid multibulk length".to_string(),
            ProtocolError::UnauthenticatedMultibulkLength => {
                "unauthenticated multibulk length".to_string()
            }
            ProtocolError::TooBigBulkCount => "too big bulk count string".to_string(),
            ProtocolError::ExpectedDollar(got) => {
                format!("expected '$', got '{}'", *got as char)
            }
            ProtocolError::InvalidBulkLength => "invalid bulk length".to_string(),
            ProtocolError::UnauthenticatedBulkLength => "unauthenticated bulk length".to_string(),
        };
        format!("ERR Protocol error: {what}")
    }
}

/// What one call of [`RequestParser::parse`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole request is at the front of the buffer; its arguments are in [`RequestParser`].
    Request,
    /// More bytes are needed; the state so far is kept.
    Incomplete,
    /// The request is malformed.
    Error(ProtocolError),
}

/// Limits that depend on the server's configuration and the client's state.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub proto_max_bulk_len: u64,
    /// The client must authenticate first, so the pre-auth limits apply.
    pub unauthenticated: bool,
}

/// Where the multibulk state machine stands inside a request.
#[derive(Debug, Clone, Copy)]
enum State {
    /// At the start of a request.
    Start,
    /// Inside a multibulk request: arguments still expected, the length of the one being
    /// read (once its `$` line is in), and the scan position.
    Multibulk {
        remaining: usize,
        bulk_len: Option<usize>,
        pos: usize,
    },
}

/// Argument ranges a connection keeps allocated between requests (and the most reserved
/// before the arguments arrive).
const RANGES_KEPT: usize = 1024;

/// Incremental request parser; one per connection, reused for every request.
#[derive(Debug)]
pub struct RequestParser {
    state: State,
    /// Argument ranges: into the read buffer for multibulk, into `inline` for inline requests.
    ranges: Vec<Range<usize>>,
    inline: Vec<u8>,
    inline_ends: Vec<usize>,
    from_inline: bool,
    /// Bytes the complete request occupies at the front of the buffer.
    request_len: usize,
}

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser::new()
    }
}

/// Finds the `\r` ending a count line in `buf[from..]`, as Redis's `strchr` finds it: a NUL
/// byte ends the search. The line is only complete once a byte follows the `\r`.
fn count_line_end(buf: &[u8], from: usize) -> Option<usize> {
    let rest = &buf[from..];
    let cr = rest.iter().position(|&b| b == b'\r' || b == 0)?;
    if rest[cr] == 0 || cr + 1 >= rest.len() {
        return None;
    }
    Some(from + cr)
}

/// The usual count line, one or two digits: `Some((value, cr))` when `buf[digits..]` starts
/// with `D\r` or `DD\r` (no leading zero) and a byte follows the `\r`. Anything else — longer
/// numbers, signs, incomplete lines, errors — is left to [`count_line_end`] and `parse_i64`,
/// which give the same value here; this only skips their scan for the common case.
#[inline]
fn short_count(buf: &[u8], digits: usize) -> Option<(i64, usize)> {
    match buf.get(digits..digits + 4)? {
        [d @ b'0'..=b'9', b'\r', ..] => Some(((d - b'0') as i64, digits + 1)),
        [tens @ b'1'..=b'9', ones @ b'0'..=b'9', b'\r', _] => {
            Some((((tens - b'0') * 10 + (ones - b'0')) as i64, digits + 2))
        }
        _ => None,
    }
}

/// A `*` or `$` count line starting at `buf[start]` (the marker byte is the caller's to check).
enum CountLine {
    /// The number and the position of its `\r`.
    Value(i64, usize),
    /// No complete line yet.
    Incomplete,
    /// Not a number as Redis's `string2ll` reads one.
    Invalid,
}

/// Reads a count line: the short form directly, anything else with the general scan and parse.
#[inline]
fn count_line(buf: &[u8], start: usize) -> CountLine {
    if let Some((value, cr)) = short_count(buf, start + 1) {
        return CountLine::Value(value, cr);
    }
    let Some(cr) = count_line_end(buf, start) else {
        return CountLine::Incomplete;
    };
    match crate::util::parse_i64(&buf[start + 1..cr]) {
        Some(value) => CountLine::Value(value, cr),
        None => CountLine::Invalid,
    }
}

impl RequestParser {
    pub fn new() -> RequestParser {
        RequestParser {
            state: State::Start,
            ranges: Vec::new(),
            inline: Vec::new(),
            inline_ends: Vec::new(),
            from_inline: false,
            request_len: 0,
        }
    }

    /// Continues parsing the request at the front of `buf`. After [`Parsed::Request`], read the
    /// arguments with [`RequestParser::args`], drop [`RequestParser::request_len`] bytes from the
    /// buffer, and call again for the next request.
    pub fn parse(&mut self, buf: &[u8], limits: Limits) -> Parsed {
        if let State::Start = self.state {
            // The ranges of a request with many arguments are freed once it has run, as Redis
            // frees `argv` after each command: a connection keeps no megabytes for one MSET.
            if self.ranges.capacity() > RANGES_KEPT {
                self.ranges = Vec::new();
            }
            self.ranges.clear();
            self.from_inline = false;
            match buf.first() {
                None => return Parsed::Incomplete,
                Some(b'*') => {}
                Some(_) => return self.parse_inline(buf),
            }
            let (count, cr) = match count_line(buf, 0) {
                CountLine::Value(n, cr) if n <= i32::MAX as i64 => (n, cr),
                CountLine::Incomplete if buf.len() > INLINE_MAX => {
                    return Parsed::Error(ProtocolError::TooBigMultibulkCount);
                }
                CountLine::Incomplete => return Parsed::Incomplete,
                _ => return Parsed::Error(ProtocolError::InvalidMultibulkLength),
            };
            if count > UNAUTHENTICATED_MAX_ARGS && limits.unauthenticated {
                return Parsed::Error(ProtocolError::UnauthenticatedMultibulkLength);
            }
            if count <= 0 {
                self.request_len = cr + 2;
                return Parsed::Request;
            }
            // Attacker-sized counts must not preallocate: grow as arguments arrive.
            self.ranges.reserve((count as usize).min(RANGES_KEPT));
            self.state = State::Multibulk {
                remaining: count as usize,
                bulk_len: None,
                pos: cr + 2,
            };
        }
        self.parse_multibulk(buf, limits)
    }

    fn parse_multibulk(&mut self, buf: &[u8], limits: Limits) -> Parsed {
        let State::Multibulk {
            mut remaining,
            mut bulk_len,
            mut pos,
        } = self.state
        else {
            unreachable!("parse_multibulk outside a multibulk request");
        };
        let outcome = loop {
            if remaining == 0 {
                break Parsed::Request;
            }
            let len = match bulk_len {
                Some(len) => len,
                None => {
                    let line = count_line(buf, pos);
                    if let CountLine::Incomplete = line {
                        break if buf.len() - pos > INLINE_MAX {
                            Parsed::Error(ProtocolError::TooBigBulkCount)
                        } else {
                            Parsed::Incomplete
                        };
                    }
                    // As in Redis, the marker is checked once the line is complete.
                    if buf[pos] != b'$' {
                        break Parsed::Error(ProtocolError::ExpectedDollar(buf[pos]));
                    }
                    let (len, cr) = match line {
                        CountLine::Value(n, cr)
                            if n >= 0 && n as u64 <= limits.proto_max_bulk_len =>
                        {
                            (n, cr)
                        }
                        _ => break Parsed::Error(ProtocolError::InvalidBulkLength),
                    };
                    if len > UNAUTHENTICATED_MAX_BULK && limits.unauthenticated {
                        break Parsed::Error(ProtocolError::UnauthenticatedBulkLength);
                    }
                    pos = cr + 2;
                    bulk_len = Some(len as usize);
                    len as usize
                }
            };
            // The payload and its two-byte terminator (which, as in Redis, is not checked).
            if buf.len() - pos < len + 2 {
                break Parsed::Incomplete;
            }
            self.ranges.push(pos..pos + len);
            pos += len + 2;
            bulk_len = None;
            remaining -= 1;
        };
        match outcome {
            Parsed::Incomplete => {
                self.state = State::Multibulk {
                    remaining,
                    bulk_len,
                    pos,
                }
            }
            Parsed::Request => {
                self.state = State::Start;
                self.request_len = pos;
            }
            Parsed::Error(_) => self.state = State::Start,
        }
        outcome
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Parsed {
        let Some(newline) = buf.iter().position(|&b| b == b'\n') else {
            return if buf.len() > INLINE_MAX {
                Parsed::Error(ProtocolError::TooBigInline)
            } else {
                Parsed::Incomplete
            };
        };
        let line = match buf[..newline].strip_suffix(b"\r") {
            Some(line) => line,
            None => &buf[..newline],
        };
        self.inline.clear();
        self.inline_ends.clear();
        if sds::split_args_into(line, &mut self.inline, &mut self.inline_ends).is_err() {
            return Parsed::Error(ProtocolError::UnbalancedQuotes);
        }
        let mut start = 0;
        for &end in &self.inline_ends {
            self.ranges.push(start..end);
            start = end;
        }
        self.from_inline = true;
        self.request_len = newline + 1;
        Parsed::Request
    }

    /// Bytes the request parsed last occupies at the front of the buffer.
    pub fn request_len(&self) -> usize {
        self.request_len
    }

    /// How many more bytes the request in progress needs at least, when that is known (inside
    /// a bulk argument); lets the reader size its buffer for a large argument in one step.
    pub fn bytes_needed(&self, buffered: usize) -> Option<usize> {
        match self.state {
            State::Multibulk {
                bulk_len: Some(len),
                pos,
                ..
            } => (pos + len + 2).checked_sub(buffered),
            _ => None,
        }
    }

    /// The arguments of the request just parsed; `buf` is the buffer it was parsed from.
    pub fn args<'a>(&'a self, buf: &'a [u8]) -> crate::protocol::Args<'a> {
        let data = if self.from_inline { &self.inline } else { buf };
        crate::protocol::Args::new(data, &self.ranges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: Limits = Limits {
        proto_max_bulk_len: 512 * 1024 * 1024,
        unauthenticated: false,
    };

    /// Parses every request in `input` fed in one piece; returns the argument lists, and the
    /// error that stopped it, if any.
    fn parse_all(input: &[u8], limits: Limits) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>) {
        let mut parser = RequestParser::new();
        let mut buf = input.to_vec();
        let mut requests = Vec::new();
        loop {
            match parser.parse(&buf, limits) {
                Parsed::Request => {
                    let args = parser.args(&buf);
                    requests.push(args.iter().map(<[u8]>::to_vec).collect());
                    buf.drain(..parser.request_len());
                }
                Parsed::Incomplete => return (requests, None),
                Parsed::Error(e) => return (requests, Some(e)),
            }
        }
    }

    fn words(request: &[&str]) -> Vec<Vec<u8>> {
        request.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn short_counts_agree_with_the_general_count_parser() {
        // Every 5-byte line over an alphabet of digits and the bytes that matter to count lines.
        let alphabet = b"0123456789\r\n-$\0a+";
        let mut line = [b'$'; 6];
        let mut checked = 0;
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    for d in alphabet {
                        for e in alphabet {
                            line[1..].copy_from_slice(&[*a, *b, *c, *d, *e]);
                            if let Some((value, cr)) = short_count(&line, 1) {
                                assert_eq!(count_line_end(&line, 0), Some(cr), "{line:?}");
                                assert_eq!(
                                    crate::util::parse_i64(&line[1..cr]),
                                    Some(value),
                                    "{line:?}"
                                );
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 50_000, "{checked}");
    }

    #[test]
    fn multibulk_and_inline_requests() {
        let (reqs, err) = parse_all(
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\nPING\r\nSET a \"b c\"\n\r\n*0\r\n*-1\r\n",
            OPEN,
        );
        assert_eq!(err, None);
        assert_eq!(
            reqs,
            vec![
                words(&["SET", "k", "hello"]),
                words(&["PING"]),
                words(&["SET", "a", "b c"]),
                vec![],
                vec![],
                vec![],
            ]
        );
    }

    #[test]
    fn protocol_errors_match_redis() {
        let cases: &[(&[u8], ProtocolError, &str)] = &[
            (
                b"*abc\r\n",
                ProtocolError::InvalidMultibulkLength,
                "invalid multibulk length",
            ),
            (
                b"*3000000000\r\n",
                ProtocolError::InvalidMultibulkLength,
                "invalid multibulk length",
            ),
            (
                b"*01\r\n",
                ProtocolError::InvalidMultibulkLength,
                "invalid multibulk length",
            ),
            (
                b"*-0\r\n",
                ProtocolError::InvalidMultibulkLength,
                "invalid multibulk length",
            ),
            (
                b"*1\r\n+PING\r\n",
                ProtocolError::ExpectedDollar(b'+'),
                "expected '$', got '+'",
            ),
            (
                b"*1\r\n$-5\r\n",
                ProtocolError::InvalidBulkLength,
                "invalid bulk length",
            ),
            // Lengths as Redis's string2ll reads them: no leading zero or plus sign (found by
            // fuzzing against redis-protocol, which takes both).
            (
                b"*1\r\n$00\r\n",
                ProtocolError::InvalidBulkLength,
                "invalid bulk length",
            ),
            (
                b"*1\r\n$+1\r\n",
                ProtocolError::InvalidBulkLength,
                "invalid bulk length",
            ),
            (
                b"*01\r\n$1\r\na\r\n",
                ProtocolError::InvalidMultibulkLength,
                "invalid multibulk length",
            ),
            (
                b"*1\r\n$999999999999\r\n",
                ProtocolError::InvalidBulkLength,
                "invalid bulk length",
            ),
            (
                b"SET a \"b\r\n",
                ProtocolError::UnbalancedQuotes,
                "unbalanced quotes in request",
            ),
        ];
        for (input, error, text) in cases {
            let (_, err) = parse_all(input, OPEN);
            assert_eq!(
                err.as_ref(),
                Some(error),
                "{:?}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(error.reply(), format!("ERR Protocol error: {text}"));
        }
    }

    #[test]
    fn size_limits() {
        let long_inline = vec![b'a'; INLINE_MAX + 1];
        assert_eq!(
            parse_all(&long_inline, OPEN).1,
            Some(ProtocolError::TooBigInline)
        );
        assert_eq!(parse_all(&long_inline[..INLINE_MAX], OPEN).1, None);
        let mut long_count = b"*".to_vec();
        long_count.extend(vec![b'1'; INLINE_MAX + 1]);
        assert_eq!(
            parse_all(&long_count, OPEN).1,
            Some(ProtocolError::TooBigMultibulkCount)
        );
        let mut long_bulk = b"*1\r\n$".to_vec();
        long_bulk.extend(vec![b'1'; INLINE_MAX + 1]);
        assert_eq!(
            parse_all(&long_bulk, OPEN).1,
            Some(ProtocolError::TooBigBulkCount)
        );
        let small = Limits {
            proto_max_bulk_len: 1024 * 1024,
            unauthenticated: false,
        };
        assert_eq!(
            parse_all(b"*1\r\n$1048577\r\n", small).1,
            Some(ProtocolError::InvalidBulkLength)
        );
        assert_eq!(parse_all(b"*1\r\n$1048576\r\n", small).1, None);
    }

    #[test]
    fn pre_auth_limits() {
        let locked = Limits {
            proto_max_bulk_len: 512 * 1024 * 1024,
            unauthenticated: true,
        };
        assert_eq!(
            parse_all(b"*11\r\n", locked).1,
            Some(ProtocolError::UnauthenticatedMultibulkLength)
        );
        assert_eq!(parse_all(b"*10\r\n", locked).1, None);
        assert_eq!(
            parse_all(b"*1\r\n$16385\r\n", locked).1,
            Some(ProtocolError::UnauthenticatedBulkLength)
        );
        assert_eq!(parse_all(b"*1\r\n$16384\r\n", locked).1, None);
    }

    #[test]
    fn the_terminator_after_a_payload_is_not_checked() {
        let (reqs, err) = parse_all(b"*2\r\n$4\r\nECHO\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n", OPEN);
        assert_eq!(err, None);
        assert_eq!(reqs, vec![words(&["ECHO", "abc"]), words(&["PING"])]);
    }

    #[test]
    fn byte_by_byte_arrival_resumes_where_it_stopped() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\nPING\r\n";
        let mut parser = RequestParser::new();
        let mut buf = Vec::new();
        let mut requests = Vec::new();
        for &byte in input {
            buf.push(byte);
            while let Parsed::Request = parser.parse(&buf, OPEN) {
                requests.push(
                    parser
                        .args(&buf)
                        .iter()
                        .map(<[u8]>::to_vec)
                        .collect::<Vec<_>>(),
                );
                buf.drain(..parser.request_len());
            }
        }
        assert_eq!(
            requests,
            vec![words(&["SET", "key", "0123456789"]), words(&["PING"])]
        );
    }

    #[test]
    fn a_large_argument_reports_what_it_still_needs() {
        let mut parser = RequestParser::new();
        let buf = b"*2\r\n$3\r\nSET\r\n$100000\r\nabc".to_vec();
        assert_eq!(parser.parse(&buf, OPEN), Parsed::Incomplete);
        assert_eq!(parser.bytes_needed(buf.len()), Some(100_000 + 2 - 3));
    }
}
