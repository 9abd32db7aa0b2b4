//! Sequences of `Sds` operations against a `Vec<u8>` model: the bytes agree after every
//! operation, the header invariants hold, and the string is one zmalloc block.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use sds::Sds;

#[path = "../../sds/tests/support/mod.rs"]
mod support;
use support::{Op, apply, check_invariants};

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn bytes(u: &mut Unstructured, max: usize) -> Result<Vec<u8>> {
    let len = u.int_in_range(0..=max)?;
    Ok(u.bytes(len)?.to_vec())
}

/// One operation, with sizes bounded as in the proptest model (`sds/tests/model.rs`).
fn op(u: &mut Unstructured) -> Result<Op> {
    Ok(match u.int_in_range(0..=21)? {
        0 => Op::Cat(bytes(u, 600)?),
        1 => Op::CatSelfCopy,
        2 => Op::Cpy(bytes(u, 300)?),
        3 => Op::GrowZero(u.int_in_range(0..=1200)?),
        4 => Op::Trim(bytes(u, 4)?),
        5 => Op::Range(u.int_in_range(-300..=300)?, u.int_in_range(-300..=300)?),
        6 => Op::Substr(u.int_in_range(0..=300)?, u.int_in_range(0..=300)?),
        7 => Op::Clear,
        8 => Op::Truncate(u.int_in_range(0..=300)?),
        9 => Op::ToLower,
        10 => Op::ToUpper,
        11 => {
            let from = bytes(u, 4)?;
            let to = vec![u.arbitrary()?; from.len()];
            Op::MapChars(from, to)
        }
        12 => Op::MakeRoomFor(u.int_in_range(0..=70_000)?),
        13 => Op::MakeRoomForNonGreedy(u.int_in_range(0..=2000)?),
        14 => Op::RemoveFreeSpace(u.arbitrary()?),
        15 => Op::Resize(u.int_in_range(0..=400)?, u.arbitrary()?),
        16 => Op::CatRepr(bytes(u, 20)?),
        17 => Op::CatFmt(bytes(u, 10)?, u.arbitrary()?, u.arbitrary()?),
        18 => Op::UpdateLen,
        19 => Op::WriteSpare(bytes(u, 40)?),
        20 => Op::Overwrite(u.int_in_range(0..=300)?, u.arbitrary()?),
        _ => Op::Reclone,
    })
}

fn run(u: &mut Unstructured) -> Result<()> {
    let init = bytes(u, 100)?;
    let before = zmalloc::used_memory();
    {
        let mut s = Sds::new(&init);
        let mut model = init.clone();
        check_invariants(&s, &model);
        // Self-copies double the string: stop before it outgrows the fuzzer's memory limit.
        while !u.is_empty() && model.len() < 1 << 20 {
            let op = op(u)?;
            apply(&mut s, &mut model, &op);
            check_invariants(&s, &model);
        }
        assert_eq!(
            zmalloc::used_memory() - before,
            s.alloc_size() + zmalloc::PREFIX_SIZE
        );
    }
    assert_eq!(zmalloc::used_memory(), before);
    Ok(())
}
