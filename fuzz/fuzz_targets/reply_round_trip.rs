//! Replies of any shape, encoded in RESP3 and RESP2 and decoded with redis-protocol, read
//! back as what was encoded.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

#[path = "../../server/tests/support/resp.rs"]
mod resp;
use resp::Tree;

fuzz_target!(|data: &[u8]| {
    if let Ok(tree) = tree(&mut Unstructured::new(data), 0) {
        assert_eq!(resp::check_round_trip(&tree), Ok(()), "{tree:?}");
    }
});

/// A reply tree, nested at most four deep, with the constraints real replies have: finite
/// doubles, simple strings without line breaks, distinct map keys.
fn tree(u: &mut Unstructured, depth: usize) -> Result<Tree> {
    let kinds = if depth < 4 { 9 } else { 7 };
    Ok(match u.int_in_range(0..=kinds - 1)? {
        0 => Tree::Int(u.arbitrary()?),
        1 => Tree::Bulk(u.arbitrary()?),
        2 => {
            let text: String = u.arbitrary()?;
            Tree::Simple(
                text.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
                    .collect(),
            )
        }
        3 => Tree::Null,
        4 => {
            let d: f64 = u.arbitrary()?;
            Tree::Double(if d.is_finite() { d } else { 0.0 })
        }
        5 => Tree::Bool(u.arbitrary()?),
        6 => Tree::Verbatim(u.arbitrary()?),
        7 => {
            let len = u.int_in_range(0..=6)?;
            Tree::Array(
                (0..len)
                    .map(|_| tree(u, depth + 1))
                    .collect::<Result<_>>()?,
            )
        }
        _ => {
            let len = u.int_in_range(0..=4)?;
            let mut pairs: Vec<(Vec<u8>, Tree)> = Vec::new();
            for _ in 0..len {
                let key: Vec<u8> = u.arbitrary()?;
                let value = tree(u, depth + 1)?;
                if pairs.iter().all(|(k, _)| *k != key) {
                    pairs.push((key, value));
                }
            }
            Tree::Map(pairs)
        }
    })
}
