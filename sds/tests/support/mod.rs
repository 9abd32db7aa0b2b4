//! The `Vec<u8>` model of an `Sds`: operations, how each changes the model, and the header
//! invariants. Shared by the proptest model tests (`tests/model.rs`) and the cargo-fuzz
//! target `fuzz/fuzz_targets/sds_model.rs`, which include this file.
#![allow(dead_code)] // each includer uses its own subset

use sds::{Sds, SdsType};

#[derive(Debug, Clone)]
pub enum Op {
    Cat(Vec<u8>),
    CatSelfCopy,
    Cpy(Vec<u8>),
    GrowZero(usize),
    Trim(Vec<u8>),
    Range(isize, isize),
    Substr(usize, usize),
    Clear,
    Truncate(usize),
    ToLower,
    ToUpper,
    MapChars(Vec<u8>, Vec<u8>),
    MakeRoomFor(usize),
    MakeRoomForNonGreedy(usize),
    RemoveFreeSpace(bool),
    Resize(usize, bool),
    CatRepr(Vec<u8>),
    CatFmt(Vec<u8>, i64, u64),
    UpdateLen,
    WriteSpare(Vec<u8>),
    Overwrite(usize, u8),
    Reclone,
}

/// Redis 7.0's `sdsrange` on the model.
pub fn model_range(model: &mut Vec<u8>, start: isize, end: isize) {
    let len = model.len() as isize;
    if len == 0 {
        return;
    }
    let start = if start < 0 { len + start } else { start };
    let end = if end < 0 { len + end } else { end };
    if start < 0 || start > end || start >= len {
        model.clear();
        return;
    }
    let end = end.min(len - 1);
    *model = model[start as usize..=end as usize].to_vec();
}

/// Redis's `sdscatrepr` quoting, written out independently.
pub fn repr(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
    out
}

pub fn apply(s: &mut Sds, model: &mut Vec<u8>, op: &Op) {
    match op {
        Op::Cat(b) => {
            s.cat(b);
            model.extend_from_slice(b);
        }
        Op::CatSelfCopy => {
            let copy = s.clone();
            s.cat_sds(&copy);
            model.extend_from_within(..);
        }
        Op::Cpy(b) => {
            s.cpy(b);
            *model = b.clone();
        }
        Op::GrowZero(n) => {
            s.grow_zero(*n);
            if *n > model.len() {
                model.resize(*n, 0);
            }
        }
        Op::Trim(cset) => {
            s.trim(cset);
            let start = model.iter().position(|b| !cset.contains(b));
            match start {
                None => model.clear(),
                Some(start) => {
                    let end = model.iter().rposition(|b| !cset.contains(b)).unwrap();
                    *model = model[start..=end].to_vec();
                }
            }
        }
        Op::Range(a, b) => {
            s.range(*a, *b);
            model_range(model, *a, *b);
        }
        Op::Substr(start, len) => {
            s.substr(*start, *len);
            if *start >= model.len() {
                model.clear();
            } else {
                let end = (*start + *len).min(model.len());
                *model = model[*start..end].to_vec();
            }
        }
        Op::Clear => {
            s.clear();
            model.clear();
        }
        Op::Truncate(n) => {
            s.truncate(*n);
            model.truncate(*n);
        }
        Op::ToLower => {
            s.to_lower();
            model.make_ascii_lowercase();
        }
        Op::ToUpper => {
            s.to_upper();
            model.make_ascii_uppercase();
        }
        Op::MapChars(from, to) => {
            s.map_chars(from, to);
            for b in model.iter_mut() {
                if let Some(i) = from.iter().position(|f| f == b) {
                    *b = to[i];
                }
            }
        }
        Op::MakeRoomFor(n) => {
            s.make_room_for(*n);
            assert!(s.avail() >= *n);
        }
        Op::MakeRoomForNonGreedy(n) => {
            s.make_room_for_non_greedy(*n);
            assert!(s.avail() >= *n);
        }
        Op::RemoveFreeSpace(regrow) => {
            s.remove_free_space(*regrow);
            if *regrow {
                assert_ne!(
                    s.header_type(),
                    SdsType::Type5,
                    "would_regrow avoids type 5"
                );
            }
        }
        Op::Resize(size, regrow) => {
            s.resize(*size, *regrow);
            model.truncate(*size);
        }
        Op::CatRepr(b) => {
            s.cat_repr(b);
            model.extend_from_slice(&repr(b));
        }
        Op::CatFmt(b, i, u) => {
            s.cat_fmt(
                "<%s|%i|%u>",
                &[b.as_slice().into(), (*i).into(), (*u).into()],
            )
            .unwrap();
            model.push(b'<');
            model.extend_from_slice(b);
            model.extend_from_slice(format!("|{i}|{u}>").as_bytes());
        }
        Op::UpdateLen => {
            s.update_len();
            if let Some(nul) = model.iter().position(|&b| b == 0) {
                model.truncate(nul);
            }
        }
        Op::WriteSpare(b) => {
            s.make_room_for(b.len());
            let spare = s.spare_capacity_mut();
            for (slot, &byte) in spare.iter_mut().zip(b) {
                slot.write(byte);
            }
            // SAFETY: the first b.len() spare bytes were just written.
            unsafe { s.incr_len(b.len() as isize) };
            model.extend_from_slice(b);
        }
        Op::Overwrite(i, b) => {
            if let Some(slot) = s.get_mut(*i) {
                *slot = *b;
                model[*i] = *b;
            }
        }
        Op::Reclone => {
            *s = s.clone();
        }
    }
}

pub fn check_invariants(s: &Sds, model: &[u8]) {
    assert_eq!(s.as_bytes(), model);
    assert_eq!(s.len(), model.len());
    let ty = s.header_type();
    assert!(s.len() <= s.alloc());
    assert!(s.alloc() <= ty.max_len());
    assert!(s.alloc_size() > ty.header_len() + s.alloc());
    if ty == SdsType::Type5 {
        assert_eq!(s.alloc(), s.len());
    } else if zmalloc::SIZE_CLASS_EXACT {
        assert_eq!(
            s.alloc_size(),
            zmalloc::size_class(ty.header_len() + s.alloc() + 1)
        );
    }
}
