//! Properties of the wire protocol code, checked against redis-protocol on generated input
//! (the CI counterparts of the fuzz targets in `fuzz/`):
//!
//! * multibulk requests, cut into pieces at any points, parse back to their arguments, and
//!   redis-protocol frames each the same way;
//! * inline requests written with Redis's quoting parse back to their arguments;
//! * any bytes at all end in requests, a protocol error or a wait for more, never a panic;
//! * every reply form decodes with redis-protocol to what was encoded, in RESP3 and RESP2.

use proptest::collection::vec;
use proptest::prelude::*;
use redis_protocol::resp2::types::OwnedFrame as Frame2;
use redis_protocol::resp3::types::OwnedFrame as Frame3;
use zedis::net::reply::{Protocol, Reply};
use zedis::net::request::{Limits, Parsed, RequestParser};

mod common;
use common::multibulk;

const LIMITS: Limits = Limits {
    proto_max_bulk_len: 512 * 1024 * 1024,
    unauthenticated: false,
};

/// Feeds `stream` to a parser in pieces cut at `cuts`; returns the requests parsed, or the
/// protocol error met.
fn parse_in_pieces(stream: &[u8], cuts: &[usize]) -> Result<Vec<Vec<Vec<u8>>>, String> {
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
            match parser.parse(&buffer, LIMITS) {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn multibulk_requests_cut_anywhere_parse_back(
        requests in vec(vec(vec(any::<u8>(), 0..40), 1..6), 1..6),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let stream: Vec<u8> = requests.iter().flat_map(|r| multibulk(r)).collect();
        prop_assert_eq!(parse_in_pieces(&stream, &cuts), Ok(requests.clone()));
        // redis-protocol frames the stream into the same requests.
        let mut at = 0;
        for request in &requests {
            let (frame, used) = redis_protocol::resp2::decode::decode(&stream[at..])
                .expect("valid RESP")
                .expect("complete");
            let Frame2::Array(items) = frame else { panic!("not an array") };
            let decoded: Vec<Vec<u8>> = items
                .into_iter()
                .map(|item| match item {
                    Frame2::BulkString(bytes) => bytes,
                    other => panic!("not a bulk string: {other:?}"),
                })
                .collect();
            prop_assert_eq!(&decoded, request);
            at += used;
        }
        prop_assert_eq!(at, stream.len());
    }

    #[test]
    fn inline_requests_with_redis_quoting_parse_back(
        requests in vec(vec(vec(any::<u8>(), 0..12), 1..5), 1..4),
    ) {
        let mut stream = Vec::new();
        for request in &requests {
            let mut line = sds::Sds::empty();
            for (i, arg) in request.iter().enumerate() {
                if i > 0 {
                    line.cat(b" ");
                }
                line.cat_repr(arg);
            }
            stream.extend_from_slice(&line);
            stream.extend_from_slice(b"\r\n");
        }
        prop_assert_eq!(parse_in_pieces(&stream, &[]), Ok(requests.clone()));
    }

    #[test]
    fn any_bytes_end_in_requests_an_error_or_a_wait(
        bytes in vec(any::<u8>(), 0..400),
        cuts in vec(any::<usize>(), 0..6),
    ) {
        // Either way it returns; a panic fails the test.
        let _ = parse_in_pieces(&bytes, &cuts);
    }

    #[test]
    fn doubles_print_as_text_that_reads_back_exactly(d in any::<f64>()) {
        prop_assume!(d.is_finite());
        let text = zedis::util::format_double(d);
        prop_assert_eq!(text.parse::<f64>().map(f64::to_bits), Ok(d.to_bits()));
    }

    #[test]
    fn replies_decode_to_what_was_encoded(tree in reply_tree()) {
        for protocol in [Protocol::Resp3, Protocol::Resp2] {
            let mut reply = Reply::new(protocol);
            encode(&tree, &mut reply);
            let bytes = reply.bytes().to_vec();
            let (decoded, used) = match protocol {
                Protocol::Resp3 => {
                    let (frame, used) = redis_protocol::resp3::decode::complete::decode(&bytes)
                        .expect("valid RESP3")
                        .expect("complete");
                    (canonical3(&frame), used)
                }
                Protocol::Resp2 => {
                    let (frame, used) = redis_protocol::resp2::decode::decode(&bytes)
                        .expect("valid RESP2")
                        .expect("complete");
                    (canonical2(&frame), used)
                }
            };
            prop_assert_eq!(used, bytes.len());
            prop_assert_eq!(decoded, expected(&tree, protocol));
        }
    }
}

/// A reply to encode.
#[derive(Debug, Clone)]
enum Tree {
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

fn reply_tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Tree::Int),
        vec(any::<u8>(), 0..20).prop_map(Tree::Bulk),
        "[a-zA-Z0-9 ]{0,12}".prop_map(Tree::Simple),
        Just(Tree::Null),
        any::<f64>()
            .prop_filter("finite", |d| d.is_finite())
            .prop_map(Tree::Double),
        any::<bool>().prop_map(Tree::Bool),
        vec(any::<u8>(), 0..20).prop_map(Tree::Verbatim),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Tree::Array),
            vec((vec(any::<u8>(), 0..6), inner), 0..4).prop_map(|pairs| {
                // Distinct keys: a decoded map cannot hold two equal ones.
                let mut seen = std::collections::HashSet::new();
                Tree::Map(
                    pairs
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            }),
        ]
    })
}

fn encode(tree: &Tree, reply: &mut Reply) {
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
fn expected(tree: &Tree, protocol: Protocol) -> String {
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
