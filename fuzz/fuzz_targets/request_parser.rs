//! The request parser on any bytes, under any limits: it never panics; the stream parsed in
//! one piece and cut into pieces gives the same requests and the same error; arguments respect
//! the limits; and where redis-protocol frames a multibulk request of bulk strings, the parser
//! reads the same arguments.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use redis_protocol::resp2::types::OwnedFrame;
use zedis::net::request::{INLINE_MAX, Limits};

#[path = "../../server/tests/support/resp.rs"]
mod resp;

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured) -> Result<()> {
    let limits = Limits {
        proto_max_bulk_len: *u.choose(&[3, 100, 512 * 1024 * 1024])?,
        unauthenticated: u.arbitrary()?,
    };
    let cuts: Vec<usize> = (0..u.int_in_range(0..=8)?)
        .map(|_| u.arbitrary::<u16>().map(usize::from))
        .collect::<Result<_>>()?;
    let stream = u.bytes(u.len())?;

    let whole = resp::parse_in_pieces(stream, &[], limits);
    let pieces = resp::parse_in_pieces(stream, &cuts, limits);
    assert_eq!(whole, pieces, "cut at {cuts:?}");

    if let Ok(requests) = &whole {
        let longest = (limits.proto_max_bulk_len as usize).max(INLINE_MAX);
        for args in requests {
            assert!(args.iter().all(|a| a.len() <= longest));
        }
        // Before AUTH a multibulk request holds at most 10 arguments (inline ones are bounded
        // by their line length only, as in Redis).
        if let (true, Some(b'*'), Some(first)) =
            (limits.unauthenticated, stream.first(), requests.first())
        {
            assert!(first.len() <= 10, "{} arguments before AUTH", first.len());
        }
    }

    // redis-protocol has no limits, so compare only under the largest one.
    if stream.first() == Some(&b'*') && limits.proto_max_bulk_len > 1 << 20 {
        if let Ok(Some((OwnedFrame::Array(items), used))) =
            redis_protocol::resp2::decode::decode(stream)
        {
            let args: Option<Vec<Vec<u8>>> = items
                .into_iter()
                .map(|item| match item {
                    OwnedFrame::BulkString(bytes) => Some(bytes),
                    _ => None,
                })
                .collect();
            // Only where the lengths are written as Redis writes them: redis-protocol also takes
            // `$00` or `$+1`, which Redis (string2ll) rejects as an invalid length.
            let canonical = |args: &Vec<Vec<u8>>| {
                let mut bytes = format!("*{}\r\n", args.len()).into_bytes();
                for arg in args {
                    bytes.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
                    bytes.extend_from_slice(arg);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes == stream[..used]
            };
            if let Some(args) =
                args.filter(|a| !a.is_empty() && !limits.unauthenticated && canonical(a))
            {
                let first = resp::parse_in_pieces(&stream[..used], &[], limits);
                assert_eq!(first, Ok(vec![args]));
            }
        }
    }
    Ok(())
}
