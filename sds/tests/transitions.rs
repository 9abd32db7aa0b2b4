//! Header types change where the length crosses a type's limit, growing and shrinking.

use sds::{Sds, SdsType};

fn filled(len: usize) -> Sds {
    let mut s = Sds::zeroed(len);
    s.as_mut_bytes().fill(b'x');
    s
}

/// Grows a string of `below` bytes by one and shrinks it back, checking the types both ways.
fn crossing(below: usize, small: SdsType, large: SdsType) {
    let mut s = filled(below);
    s.remove_free_space(false);
    assert_eq!(s.header_type(), small, "{below} bytes");
    s.cat(b"y");
    assert_eq!(s.len(), below + 1);
    assert_eq!(s.header_type(), large, "{} bytes", below + 1);
    assert!(s.iter().take(below).all(|&b| b == b'x'));
    assert_eq!(s.last(), Some(&b'y'));

    s.truncate(below);
    s.remove_free_space(false);
    assert_eq!(s.header_type(), small, "back to {below} bytes");
    assert_eq!(s.len(), below);
    assert!(s.iter().all(|&b| b == b'x'));
}

#[test]
fn type5_to_type8_and_back_at_32_bytes() {
    crossing(31, SdsType::Type5, SdsType::Type8);
}

#[test]
fn type8_to_type16_and_back_at_256_bytes() {
    crossing(255, SdsType::Type8, SdsType::Type16);
}

#[test]
fn type16_to_type32_and_back_at_65536_bytes() {
    crossing(65535, SdsType::Type16, SdsType::Type32);
}

#[test]
fn type5_never_grows_in_place() {
    let mut s = Sds::from("short");
    assert_eq!(s.header_type(), SdsType::Type5);
    s.cat(b"!");
    assert_eq!(s.header_type(), SdsType::Type8);
    let mut s = Sds::from("short");
    s.make_room_for(0);
    assert_eq!(s.header_type(), SdsType::Type5);
    s.make_room_for(1);
    assert_eq!(s.header_type(), SdsType::Type8);
    // Giving space back may return to type 5, unless the caller will grow it again.
    s.remove_free_space(true);
    assert_eq!(s.header_type(), SdsType::Type8);
    s.remove_free_space(false);
    assert_eq!(s.header_type(), SdsType::Type5);
    assert_eq!(s, "short");
}

#[test]
fn empty_strings_start_as_type8() {
    assert_eq!(Sds::empty().header_type(), SdsType::Type8);
    assert_eq!(Sds::new(b"").header_type(), SdsType::Type8);
}

#[test]
fn resize_moves_to_the_smallest_header() {
    let mut s = filled(70_000);
    s.resize(1000, true);
    assert_eq!((s.header_type(), s.len()), (SdsType::Type16, 1000));
    s.resize(100, true);
    assert_eq!((s.header_type(), s.len()), (SdsType::Type8, 100));
    s.resize(10, true);
    assert_eq!((s.header_type(), s.len()), (SdsType::Type8, 10));
    s.resize(10, false);
    assert_eq!((s.header_type(), s.len()), (SdsType::Type5, 10));
    s.resize(300, true);
    assert_eq!((s.header_type(), s.len()), (SdsType::Type16, 10));
    assert!(s.alloc() >= 300);
}

#[test]
#[ignore = "allocates more than 4 GiB"]
fn type32_to_type64_at_four_gib() {
    let limit = u32::MAX as usize;
    let mut s = Sds::zeroed(limit);
    assert_eq!(s.header_type(), SdsType::Type32);
    s.cat(b"y");
    assert_eq!(s.header_type(), SdsType::Type64);
    assert_eq!(s.len(), limit + 1);
    s.truncate(limit);
    s.remove_free_space(false);
    assert_eq!(s.header_type(), SdsType::Type32);
}
