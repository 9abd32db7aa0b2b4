//! Wire-protocol checks shared by the proptest properties (`tests/protocol_properties.rs`) and
//! the cargo-fuzz targets in `fuzz/`, which include this file: parsing a request stream cut
//! into pieces, and encoding a reply tree then decoding it with redis-protocol.
#![allow(dead_code)] // each includer uses its own subset

use redis_protocol::resp2::types::OwnedFrame as Frame2;
use redis_protocol::resp3::types::OwnedFrame as Frame3;
use zedis::net::request::{Limits, Parsed, RequestParser};
use zedis::protocol::reply::{Protocol, Reply};

/// Feeds `stream` to a parser in pieces cut at `cuts`; returns the requests parsed, or the
/// protocol error met.
pub fn parse_in_pieces(
    stream: &[u8],
    cuts: &[usize],
    limits: Limits,
) -> Result<Vec<Vec<Vec<u8>>>, String> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.push(stream.len());
    points.sort_unstable();
    let mut parser = RequestParser::new();
    let mut buffer: Vec<u8> = Vec::new();
    let mut requests = Vec::new();
    let mut from = 0;
    for to in points {
        buffer.extend_from_slice(&stream[from..to]);
        from = to;
        loop {
            match parser.parse(&buffer, limits) {
                Parsed::Request => {
                    let args = parser.args(&buffer).iter().map(<[u8]>::to_vec).collect();
                    requests.push(args);
                    let used = parser.request_len();
                    buffer.drain(..used);
                }
                Parsed::Incomplete => break,
                Parsed::Error(error) => return Err(error.reply()),
            }
        }
    }
    Ok(requests)
}

/// A reply to encode.
#[derive(Debug, Clone)]
pub enum Tree {
    Int(i64),
    Bulk(Vec<u8>),
    Simple(String),
    Null,
    Double(f64),
    Bool(bool),
    Verbatim(Vec<u8>),
    Array(Vec<Tree>),
    /// Keys are bulk strings, as in every map Redis sends.
    Map(Vec<(Vec<u8>, Tree)>),
}

pub fn encode(tree: &Tree, reply: &mut Reply) {
    match tree {
        Tree::Int(v) => reply.int(*v),
        Tree::Bulk(b) => reply.bulk(b),
        Tree::Simple(s) => reply.simple(s.as_bytes()),
        Tree::Null => reply.null(),
        Tree::Double(d) => reply.double(*d),
        Tree::Bool(b) => reply.boolean(*b),
        Tree::Verbatim(v) => reply.verbatim(v),
        Tree::Array(items) => {
            reply.array(items.len());
            for item in items {
                encode(item, reply);
            }
        }
        Tree::Map(pairs) => {
            reply.map(pairs.len());
            for (key, value) in pairs {
                reply.bulk(key);
                encode(value, reply);
            }
        }
    }
}

/// What the decoder must give back, written in the canonical form below.
pub fn expected(tree: &Tree, protocol: Protocol) -> String {
    let resp3 = protocol == Protocol::Resp3;
    match tree {
        Tree::Int(v) => format!("int {v}"),
        Tree::Bulk(b) => format!("bulk {b:?}"),
        Tree::Simple(s) => format!("simple {:?}", s.as_bytes()),
        Tree::Null => "null".into(),
        Tree::Double(d) if resp3 => format!("double {}", d.to_bits()),
        Tree::Double(d) => format!("bulk {:?}", zedis::util::format_double(*d).as_bytes()),
        Tree::Bool(b) if resp3 => format!("bool {b}"),
        Tree::Bool(b) => format!("int {}", *b as i64),
        Tree::Verbatim(v) => format!("bulk {v:?}"),
        Tree::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| expected(i, protocol))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Tree::Map(pairs) if resp3 => {
            let mut entries: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("bulk {k:?} => {}", expected(v, protocol)))
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(", "))
        }
        Tree::Map(pairs) => format!(
            "[{}]",
            pairs
                .iter()
                .flat_map(|(k, v)| [format!("bulk {k:?}"), expected(v, protocol)])
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn canonical3(frame: &Frame3) -> String {
    match frame {
        Frame3::Number { data, .. } => format!("int {data}"),
        Frame3::BlobString { data, .. } => format!("bulk {data:?}"),
        Frame3::SimpleString { data, .. } => format!("simple {data:?}"),
        Frame3::Null => "null".into(),
        Frame3::Double { data, .. } => format!("double {}", data.to_bits()),
        Frame3::Boolean { data, .. } => format!("bool {data}"),
        Frame3::VerbatimString { data, .. } => format!("bulk {data:?}"),
        Frame3::Array { data, .. } => format!(
            "[{}]",
            data.iter().map(canonical3).collect::<Vec<_>>().join(", ")
        ),
        Frame3::Map { data, .. } => {
            let mut entries: Vec<String> = data
                .iter()
                .map(|(k, v)| format!("{} => {}", canonical3(k), canonical3(v)))
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(", "))
        }
        other => format!("unexpected {other:?}"),
    }
}

fn canonical2(frame: &Frame2) -> String {
    match frame {
        Frame2::Integer(v) => format!("int {v}"),
        Frame2::BulkString(b) => format!("bulk {b:?}"),
        Frame2::SimpleString(s) => format!("simple {s:?}"),
        Frame2::Null => "null".into(),
        Frame2::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical2).collect::<Vec<_>>().join(", ")
        ),
        other => format!("unexpected {other:?}"),
    }
}

/// Encodes `tree` in RESP3 and in RESP2 and decodes each with redis-protocol; the decoded
/// replies must be what the tree says (RESP3-only types degraded as Redis degrades them).
pub fn check_round_trip(tree: &Tree) -> Result<(), String> {
    for protocol in [Protocol::Resp3, Protocol::Resp2] {
        let mut reply = Reply::new(protocol);
        encode(tree, &mut reply);
        let bytes = reply.bytes().to_vec();
        let decoded = match protocol {
            Protocol::Resp3 => redis_protocol::resp3::decode::complete::decode(&bytes)
                .map(|frame| frame.map(|(frame, used)| (canonical3(&frame), used))),
            Protocol::Resp2 => redis_protocol::resp2::decode::decode(&bytes)
                .map(|frame| frame.map(|(frame, used)| (canonical2(&frame), used))),
        };
        let (decoded, used) = match decoded {
            Ok(Some(decoded)) => decoded,
            Ok(None) => return Err(format!("{protocol:?}: incomplete {bytes:?}")),
            Err(error) => return Err(format!("{protocol:?}: {error:?} decoding {bytes:?}")),
        };
        if used != bytes.len() {
            return Err(format!(
                "{protocol:?}: {used} of {} bytes decoded",
                bytes.len()
            ));
        }
        let want = expected(tree, protocol);
        if decoded != want {
            return Err(format!("{protocol:?}: decoded {decoded}, expected {want}"));
        }
    }
    Ok(())
}
