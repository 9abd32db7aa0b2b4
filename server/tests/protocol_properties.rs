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
use zedis::net::request::Limits;

mod common;
use common::multibulk;

#[path = "support/resp.rs"]
mod resp;
use resp::{Tree, check_round_trip, parse_in_pieces};

const LIMITS: Limits = Limits {
    proto_max_bulk_len: 512 * 1024 * 1024,
    unauthenticated: false,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn multibulk_requests_cut_anywhere_parse_back(
        requests in vec(vec(vec(any::<u8>(), 0..40), 1..6), 1..6),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let stream: Vec<u8> = requests.iter().flat_map(|r| multibulk(r)).collect();
        prop_assert_eq!(parse_in_pieces(&stream, &cuts, LIMITS), Ok(requests.clone()));
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
        prop_assert_eq!(parse_in_pieces(&stream, &[], LIMITS), Ok(requests.clone()));
    }

    #[test]
    fn any_bytes_end_in_requests_an_error_or_a_wait(
        bytes in vec(any::<u8>(), 0..400),
        cuts in vec(any::<usize>(), 0..6),
    ) {
        // Either way it returns; a panic fails the test.
        let _ = parse_in_pieces(&bytes, &cuts, LIMITS);
    }

    #[test]
    fn doubles_print_as_text_that_reads_back_exactly(d in any::<f64>()) {
        prop_assume!(d.is_finite());
        let text = zedis::util::format_double(d);
        prop_assert_eq!(text.parse::<f64>().map(f64::to_bits), Ok(d.to_bits()));
    }

    #[test]
    fn replies_decode_to_what_was_encoded(tree in reply_tree()) {
        prop_assert_eq!(check_round_trip(&tree), Ok(()));
    }
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
