//! Model tests: random operation sequences applied to an `Sds` and to a `Vec<u8>` must agree
//! byte for byte, keep the header invariants, and return `used_memory` to its start.
//!
//! This binary does not install the counting global allocator, so only zmalloc blocks (the
//! strings) move `used_memory`; tests hold one lock so that their deltas do not mix.

use std::sync::{Mutex, MutexGuard};

use proptest::prelude::*;
use sds::{Sds, SdsType};

mod support;
use support::{Op, apply, check_invariants};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..max),
        prop::collection::vec(prop::sample::select(b"aAbB \t\0\"\\".to_vec()), 0..max),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => bytes(80).prop_map(Op::Cat),
        1 => bytes(600).prop_map(Op::Cat),
        1 => Just(Op::CatSelfCopy),
        1 => bytes(300).prop_map(Op::Cpy),
        1 => (0usize..1200).prop_map(Op::GrowZero),
        1 => bytes(4).prop_map(Op::Trim),
        2 => (-300isize..300, -300isize..300).prop_map(|(a, b)| Op::Range(a, b)),
        1 => (0usize..300, 0usize..300).prop_map(|(a, b)| Op::Substr(a, b)),
        1 => Just(Op::Clear),
        1 => (0usize..300).prop_map(Op::Truncate),
        1 => Just(Op::ToLower),
        1 => Just(Op::ToUpper),
        1 => (bytes(4), any::<u8>()).prop_map(|(from, b)| {
            let to = vec![b; from.len()];
            Op::MapChars(from, to)
        }),
        1 => (0usize..70_000).prop_map(Op::MakeRoomFor),
        1 => (0usize..2000).prop_map(Op::MakeRoomForNonGreedy),
        2 => any::<bool>().prop_map(Op::RemoveFreeSpace),
        2 => (0usize..400, any::<bool>()).prop_map(|(n, r)| Op::Resize(n, r)),
        1 => bytes(20).prop_map(Op::CatRepr),
        1 => (bytes(10), any::<i64>(), any::<u64>()).prop_map(|(b, i, u)| Op::CatFmt(b, i, u)),
        1 => Just(Op::UpdateLen),
        1 => bytes(40).prop_map(Op::WriteSpare),
        1 => (0usize..300, any::<u8>()).prop_map(|(i, b)| Op::Overwrite(i, b)),
        1 => Just(Op::Reclone),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn operations_agree_with_a_vec_model(
        init in bytes(100),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        let _serial = serial();
        let before = zmalloc::used_memory();
        {
            let mut s = Sds::new(&init);
            let mut model = init.clone();
            check_invariants(&s, &model);
            for op in &ops {
                apply(&mut s, &mut model, op);
                check_invariants(&s, &model);
            }
            // The string is exactly one block.
            prop_assert_eq!(
                zmalloc::used_memory() - before,
                s.alloc_size() + zmalloc::PREFIX_SIZE
            );
        }
        prop_assert_eq!(zmalloc::used_memory(), before);
    }

    #[test]
    fn split_args_reads_back_cat_repr(tokens in prop::collection::vec(bytes(30), 0..6)) {
        let _serial = serial();
        let mut line = Sds::empty();
        for token in &tokens {
            line.cat_repr(token);
            line.cat(b" ");
        }
        let parsed = sds::split_args(&line).unwrap();
        prop_assert_eq!(parsed.len(), tokens.len());
        for (got, want) in parsed.iter().zip(&tokens) {
            prop_assert_eq!(got.as_bytes(), want.as_slice());
        }
    }

    /// The fuzz target `split_args` in proptest form: any line that splits, written back with
    /// `cat_repr`, splits into the same arguments.
    #[test]
    fn split_args_of_any_line_survives_cat_repr(line in prop::collection::vec(
        prop::sample::select(b"ab \\\"'x0nr\t".to_vec()), 0..40)
    ) {
        let _serial = serial();
        if let Ok(args) = sds::split_args(&line) {
            let mut written = Sds::empty();
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    written.cat(b" ");
                }
                written.cat_repr(arg);
            }
            let again = sds::split_args(&written).unwrap();
            prop_assert_eq!(again, args);
        }
    }

    #[test]
    fn split_len_and_join_are_inverse(parts in prop::collection::vec(
        prop::collection::vec(prop::sample::select(b"abc".to_vec()), 0..8), 1..6)
    ) {
        let _serial = serial();
        let joined = sds::join(&parts, b",");
        let split = sds::split_len(&joined, b",").unwrap();
        if joined.is_empty() {
            prop_assert!(split.is_empty());
        } else {
            let split: Vec<&[u8]> = split.iter().map(|s| s.as_bytes()).collect();
            let parts: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
            prop_assert_eq!(split, parts);
        }
    }

    #[test]
    fn ordering_and_hashing_follow_the_bytes(a in bytes(20), b in bytes(20)) {
        let _serial = serial();
        use std::hash::{BuildHasher, RandomState};
        let (sa, sb) = (Sds::new(&a), Sds::new(&b));
        prop_assert_eq!(sa.cmp(&sb), a.cmp(&b));
        prop_assert_eq!(sa == sb, a == b);
        let hasher = RandomState::new();
        prop_assert_eq!(hasher.hash_one(&sa), hasher.hash_one(a.as_slice()));
    }
}

#[test]
fn used_memory_moves_by_the_block_size() {
    let _serial = serial();
    for len in (0..600).chain([1000, 4095, 4096, 16384, 65535, 65536, 100_000, 1 << 20]) {
        let before = zmalloc::used_memory();
        let s = Sds::zeroed(len);
        assert_eq!(
            zmalloc::used_memory() - before,
            s.alloc_size() + zmalloc::PREFIX_SIZE,
            "len {len}"
        );
        drop(s);
        assert_eq!(zmalloc::used_memory(), before, "len {len}");
    }
}

#[test]
fn capacity_takes_the_size_class() {
    let _serial = serial();
    if !cfg!(feature = "jemalloc") {
        return;
    }
    // 40 bytes + 3-byte header + NUL = 44 → jemalloc's 48-byte class → 4 spare bytes.
    let s = Sds::new(&[b'x'; 40]);
    assert_eq!(
        (s.header_type(), s.alloc(), s.alloc_size()),
        (SdsType::Type8, 44, 48)
    );
    // An 11-byte string is one 16-byte block plus the 8-byte handle.
    let s = Sds::new(b"hello world");
    assert_eq!((s.header_type(), s.alloc_size()), (SdsType::Type5, 16));
    // Type 8 can record at most 255: the slack of a 255-byte string's 320-byte class is capped.
    let s = Sds::new(&[b'x'; 255]);
    assert_eq!(
        (s.header_type(), s.alloc(), s.alloc_size()),
        (SdsType::Type8, 255, 320)
    );
    let s = Sds::empty();
    assert_eq!(
        (s.header_type(), s.alloc(), s.alloc_size()),
        (SdsType::Type8, 4, 8)
    );
}

#[test]
fn greedy_growth_doubles_below_one_mib_and_adds_one_mib_above() {
    let _serial = serial();
    let mut s = Sds::empty();
    s.cat(&[1; 100]);
    assert!(s.alloc() >= 200, "needed 100, doubled: {}", s.alloc());
    let mut s = Sds::zeroed(sds::SDS_MAX_PREALLOC);
    // Fill the size-class slack so that the next byte needs a new block.
    s.grow_zero(s.alloc());
    let needed = s.len() + 1;
    s.cat(b"x");
    assert!(s.alloc() >= needed + sds::SDS_MAX_PREALLOC);
    // Plus the allocator's page rounding (4 KiB jemalloc, 8 KiB tcmalloc), not doubled.
    assert!(
        s.alloc() < needed + sds::SDS_MAX_PREALLOC + 65536,
        "alloc {}",
        s.alloc()
    );
    let mut s = Sds::empty();
    s.make_room_for_non_greedy(100);
    assert!(s.alloc() >= 100 && s.alloc() < 128);
}

#[test]
fn failed_growth_leaves_the_string_intact() {
    let _serial = serial();
    let before = zmalloc::used_memory();
    let mut s = Sds::from("keep me");
    let counted = zmalloc::used_memory() - before;
    assert!(s.try_make_room_for(1 << 60).is_err());
    assert!(s.try_make_room_for(usize::MAX - 3).is_err());
    assert!(s.try_make_room_for_non_greedy(1 << 60).is_err());
    assert!(s.try_grow_zero(1 << 60).is_err());
    assert!(Sds::try_zeroed(1 << 60).is_err());
    assert_eq!(s, "keep me");
    assert_eq!(zmalloc::used_memory() - before, counted);
    s.try_cat(b", please").unwrap();
    assert_eq!(s, "keep me, please");
}
