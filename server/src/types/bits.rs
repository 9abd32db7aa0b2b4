//! Bit-level operations on byte strings as Redis's bitmap commands define them: bit 0 is the
//! most significant bit of the first byte, bytes past the end read as zero, and integer fields
//! (`BITFIELD`) are big-endian bit runs of 1 to 64 bits with Redis's overflow rules
//! (`bitops.c`). Knows nothing of keys or commands, so the rules are tested here on plain bytes.

/// How `BITFIELD` treats a result that does not fit its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Modular arithmetic in the field's width (the default).
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Leave the field alone and answer null.
    Fail,
}

/// The four `BITOP` operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// Whether the bit at `offset` is set; bits past the end are clear.
pub fn get_bit(bytes: &[u8], offset: u64) -> bool {
    let byte = (offset >> 3) as usize;
    byte < bytes.len() && bytes[byte] & (0x80 >> (offset & 7)) != 0
}

/// Sets or clears the bit at `offset` (which must be inside `bytes`); returns its old value.
pub fn set_bit(bytes: &mut [u8], offset: u64, on: bool) -> bool {
    let byte = (offset >> 3) as usize;
    let mask = 0x80u8 >> (offset & 7);
    let old = bytes[byte] & mask != 0;
    if on {
        bytes[byte] |= mask;
    } else {
        bytes[byte] &= !mask;
    }
    old
}

/// Number of set bits. Eight bytes at a time: the compiler turns the word loop into vector
/// code, as fast as Redis's table-and-SWAR popcount.
pub fn count_ones(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut total: u64 = (&mut words)
        .map(|word| u64::from_ne_bytes(word.try_into().expect("8 bytes")).count_ones() as u64)
        .sum();
    for byte in words.remainder() {
        total += byte.count_ones() as u64;
    }
    total
}

/// A byte range of a string with the bits to leave out of its first and last bytes, as
/// `BITCOUNT` and `BITPOS` resolve their `start end [BYTE|BIT]` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitRange {
    /// First and last byte, inclusive; `first <= last < len`.
    pub first: usize,
    pub last: usize,
    /// Bits of the first byte before the range (high bits) and of the last byte after it
    /// (low bits).
    pub first_outside: u8,
    pub last_outside: u8,
}

impl BitRange {
    /// Resolves `start`..=`end` (negative counts from the end; in bits when `in_bits`) over a
    /// string of `len` bytes as Redis does: clamped to the string, `None` when empty.
    pub fn resolve(len: usize, start: i64, end: i64, in_bits: bool) -> Option<BitRange> {
        let total = if in_bits {
            (len as i64) << 3
        } else {
            len as i64
        };
        let clamp = |index: i64| {
            if index < 0 {
                (total + index).max(0)
            } else {
                index
            }
        };
        let (start, end) = (clamp(start), clamp(end).min(total - 1));
        if start > end {
            return None;
        }
        Some(if in_bits {
            BitRange {
                first: (start >> 3) as usize,
                last: (end >> 3) as usize,
                first_outside: !(0xffu8 >> (start & 7)),
                last_outside: ((1u16 << (7 - (end & 7))) - 1) as u8,
            }
        } else {
            BitRange {
                first: start as usize,
                last: end as usize,
                first_outside: 0,
                last_outside: 0,
            }
        })
    }

    /// The set bits of `bytes` inside the range.
    pub fn count_ones(&self, bytes: &[u8]) -> u64 {
        count_ones(&bytes[self.first..=self.last])
            - (bytes[self.first] & self.first_outside).count_ones() as u64
            - (bytes[self.last] & self.last_outside).count_ones() as u64
    }

    /// The first bit equal to `bit` inside the range, as an offset in the whole string.
    pub fn position(&self, bytes: &[u8], bit: bool) -> Option<u64> {
        // Bits outside the range are forced to the value not searched for.
        let skip = if bit { 0x00 } else { 0xff };
        for (index, &byte) in bytes
            .iter()
            .enumerate()
            .take(self.last + 1)
            .skip(self.first)
        {
            let mut outside = 0;
            if index == self.first {
                outside |= self.first_outside;
            }
            if index == self.last {
                outside |= self.last_outside;
            }
            let byte = if bit { byte & !outside } else { byte | outside };
            if byte != skip {
                let within = if bit {
                    byte.leading_zeros()
                } else {
                    byte.leading_ones()
                };
                return Some(((index as u64) << 3) + within as u64);
            }
        }
        None
    }
}

/// The unsigned field of `bits` bits (1..=64) at bit `offset`; bits past the end read as zero.
pub fn get_unsigned(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    let mut value = 0u64;
    for i in 0..bits as u64 {
        value = (value << 1) | get_bit(bytes, offset + i) as u64;
    }
    value
}

/// The signed (two's complement) field of `bits` bits at bit `offset`.
pub fn get_signed(bytes: &[u8], offset: u64, bits: u32) -> i64 {
    let value = get_unsigned(bytes, offset, bits);
    if bits < 64 && value & (1 << (bits - 1)) != 0 {
        (value | (u64::MAX << bits)) as i64
    } else {
        value as i64
    }
}

/// Writes the low `bits` bits of `value` at bit `offset`; the field must be inside `bytes`.
pub fn set_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        let on = value & (1 << (bits as u64 - 1 - i)) != 0;
        set_bit(bytes, offset + i, on);
    }
}

/// The outcome of adding to a field: `None` when the sum fits, otherwise the value the
/// overflow rule gives (`None` inside for [`Overflow::Fail`], which writes nothing).
pub type Overflowed<T> = Option<Option<T>>;

/// Adds `increment` to the unsigned `value` of a `bits`-bit field (1..=63), with Redis's rule
/// for values already out of the field (`SET` checks its value with an increment of 0).
pub fn add_unsigned(value: u64, increment: i64, bits: u32, rule: Overflow) -> Overflowed<u64> {
    let max = (1u64 << bits) - 1;
    let above = value > max || (increment > 0 && increment as u64 > max - value);
    let below = !above && increment < 0 && increment.unsigned_abs() > value;
    if !above && !below {
        return None;
    }
    Some(match rule {
        Overflow::Wrap => Some(value.wrapping_add(increment as u64) & max),
        Overflow::Sat => Some(if above { max } else { 0 }),
        Overflow::Fail => None,
    })
}

/// Adds `increment` to the signed `value` of a `bits`-bit field (1..=64), with Redis's rule:
/// wrapping keeps the low bits and extends the field's sign bit.
pub fn add_signed(value: i64, increment: i64, bits: u32, rule: Overflow) -> Overflowed<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let sum = value as i128 + increment as i128;
    let above = value > max || sum > max as i128;
    let below = !above && (value < min || sum < min as i128);
    if !above && !below {
        return None;
    }
    Some(match rule {
        Overflow::Wrap => {
            let mut wrapped = (value as u64).wrapping_add(increment as u64);
            if bits < 64 {
                let high = u64::MAX << bits;
                if wrapped & (1 << (bits - 1)) != 0 {
                    wrapped |= high;
                } else {
                    wrapped &= !high;
                }
            }
            Some(wrapped as i64)
        }
        Overflow::Sat => Some(if above { max } else { min }),
        Overflow::Fail => None,
    })
}

/// `BITOP` over `sources` (shorter ones read as zero-padded) into `out`, which is as long as
/// the longest source.
pub fn bitop(op: BitOp, sources: &[&[u8]], out: &mut [u8]) {
    let byte_of = |source: &[u8], i: usize| source.get(i).copied().unwrap_or(0);
    match op {
        BitOp::Not => {
            for (i, slot) in out.iter_mut().enumerate() {
                *slot = !byte_of(sources[0], i);
            }
        }
        BitOp::And | BitOp::Or | BitOp::Xor => {
            out.fill(0);
            let first = sources[0];
            out[..first.len()].copy_from_slice(first);
            for source in &sources[1..] {
                // Bytes past a source's end are zero: AND clears them, OR and XOR keep them.
                match op {
                    BitOp::And => {
                        for (slot, byte) in out.iter_mut().zip(source.iter()) {
                            *slot &= byte;
                        }
                        let tail = source.len().min(out.len());
                        out[tail..].fill(0);
                    }
                    BitOp::Or => {
                        for (slot, byte) in out.iter_mut().zip(source.iter()) {
                            *slot |= byte;
                        }
                    }
                    _ => {
                        for (slot, byte) in out.iter_mut().zip(source.iter()) {
                            *slot ^= byte;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The bit at `offset`, one bit at a time: the definition the fast paths must agree with.
    fn bit_at(bytes: &[u8], offset: u64) -> bool {
        get_bit(bytes, offset)
    }

    #[test]
    fn bits_are_numbered_from_the_high_bit_of_the_first_byte() {
        let mut bytes = vec![0u8; 2];
        assert!(!set_bit(&mut bytes, 1, true));
        assert!(!set_bit(&mut bytes, 15, true));
        assert_eq!(bytes, [0b0100_0000, 0b0000_0001]);
        assert!(set_bit(&mut bytes, 1, false));
        assert_eq!(bytes, [0, 1]);
        assert!(get_bit(&bytes, 15) && !get_bit(&bytes, 14) && !get_bit(&bytes, 1000));
    }

    #[test]
    fn ranges_resolve_as_redis_does() {
        // "foobar": BITCOUNT 1 1 is 6 (byte 'o'), BITCOUNT 5 30 BIT is 17 (Redis's docs).
        let s = b"foobar";
        let range = BitRange::resolve(6, 1, 1, false).unwrap();
        assert_eq!(range.count_ones(s), 6);
        assert_eq!(BitRange::resolve(6, 5, 30, true).unwrap().count_ones(s), 17);
        assert_eq!(
            BitRange::resolve(6, 0, -1, false).unwrap().count_ones(s),
            26
        );
        assert_eq!(
            BitRange::resolve(6, -2, -1, false).unwrap().count_ones(s),
            7
        );
        assert_eq!(BitRange::resolve(6, 4, 2, false), None);
        assert_eq!(BitRange::resolve(0, 0, -1, false), None);
        // Ends past the string are clamped; negative starts stop at 0.
        assert_eq!(
            BitRange::resolve(6, -100, 100, false),
            BitRange::resolve(6, 0, 5, false)
        );
        // BITPOS examples from Redis's docs.
        let s = [0xff, 0xf0, 0x00];
        let whole = BitRange::resolve(3, 0, -1, false).unwrap();
        assert_eq!(whole.position(&s, false), Some(12));
        let bits = BitRange::resolve(3, 7, 15, true).unwrap();
        assert_eq!(bits.position(&s, false), Some(12));
        let bits = BitRange::resolve(3, 2, 6, true).unwrap();
        assert_eq!(bits.position(&s, false), None);
        assert_eq!(bits.position(&s, true), Some(2));
    }

    #[test]
    fn fields_read_and_write_big_endian_bit_runs() {
        let mut bytes = vec![0u8; 9];
        set_field(&mut bytes, 3, 13, 0x1abc);
        assert_eq!(get_unsigned(&bytes, 3, 13), 0x1abc);
        assert_eq!(get_signed(&bytes, 3, 13), 0x1abc - 0x2000);
        set_field(&mut bytes, 5, 64, u64::MAX - 1);
        assert_eq!(get_signed(&bytes, 5, 64), -2);
        // Past the end reads zero.
        assert_eq!(get_unsigned(&[0xff], 4, 8), 0xf0);
    }

    #[test]
    fn overflow_rules_follow_redis() {
        // u8: 250 + 10 wraps to 4, saturates at 255; 5 - 10 wraps to 251, saturates at 0.
        assert_eq!(add_unsigned(250, 10, 8, Overflow::Wrap), Some(Some(4)));
        assert_eq!(add_unsigned(250, 10, 8, Overflow::Sat), Some(Some(255)));
        assert_eq!(add_unsigned(250, 10, 8, Overflow::Fail), Some(None));
        assert_eq!(add_unsigned(5, -10, 8, Overflow::Wrap), Some(Some(251)));
        assert_eq!(add_unsigned(5, -10, 8, Overflow::Sat), Some(Some(0)));
        assert_eq!(add_unsigned(5, -5, 8, Overflow::Sat), None);
        // SET u8 to -1: the value itself is out of the field.
        assert_eq!(add_unsigned(u64::MAX, 0, 8, Overflow::Sat), Some(Some(255)));
        assert_eq!(
            add_unsigned(u64::MAX, 0, 8, Overflow::Wrap),
            Some(Some(255))
        );
        // i8: 120 + 10 wraps to -126, saturates at 127; -120 - 10 saturates at -128.
        assert_eq!(add_signed(120, 10, 8, Overflow::Wrap), Some(Some(-126)));
        assert_eq!(add_signed(120, 10, 8, Overflow::Sat), Some(Some(127)));
        assert_eq!(add_signed(-120, -10, 8, Overflow::Sat), Some(Some(-128)));
        assert_eq!(add_signed(-120, -10, 8, Overflow::Wrap), Some(Some(126)));
        assert_eq!(add_signed(127, 0, 8, Overflow::Fail), None);
        assert_eq!(
            add_signed(i64::MAX, 1, 64, Overflow::Wrap),
            Some(Some(i64::MIN))
        );
        assert_eq!(
            add_signed(i64::MIN, -1, 64, Overflow::Sat),
            Some(Some(i64::MIN))
        );
    }

    #[test]
    fn bitop_pads_shorter_sources_with_zeros() {
        let (a, b) = (&[0xf0u8, 0xff][..], &[0x3cu8][..]);
        let mut out = [0u8; 2];
        bitop(BitOp::And, &[a, b], &mut out);
        assert_eq!(out, [0x30, 0x00]);
        bitop(BitOp::Or, &[b, a], &mut out);
        assert_eq!(out, [0xfc, 0xff]);
        bitop(BitOp::Xor, &[a, b], &mut out);
        assert_eq!(out, [0xcc, 0xff]);
        let mut one = [0u8; 2];
        bitop(BitOp::Not, &[a], &mut one);
        assert_eq!(one, [0x0f, 0x00]);
    }

    proptest! {
        #[test]
        fn range_count_and_position_match_bit_by_bit(
            bytes in proptest::collection::vec(any::<u8>(), 0..40),
            start in -400i64..400,
            end in -400i64..400,
            in_bits: bool,
            bit: bool,
        ) {
            let total = if in_bits { bytes.len() as i64 * 8 } else { bytes.len() as i64 };
            let norm = |i: i64| if i < 0 { (total + i).max(0) } else { i };
            let (s, e) = (norm(start), norm(end).min(total - 1));
            let (lo, hi) = if in_bits { (s, e) } else { (s * 8, e * 8 + 7) };
            let expected: Vec<u64> = if s > e {
                Vec::new()
            } else {
                (lo as u64..=hi as u64).filter(|&o| bit_at(&bytes, o) == bit).collect()
            };
            match BitRange::resolve(bytes.len(), start, end, in_bits) {
                None => prop_assert!(s > e),
                Some(range) => {
                    if bit {
                        prop_assert_eq!(range.count_ones(&bytes), expected.len() as u64);
                    }
                    prop_assert_eq!(range.position(&bytes, bit), expected.first().copied());
                }
            }
        }

        #[test]
        fn fields_round_trip(offset in 0u64..64, bits in 1u32..=64, value: u64) {
            let mut bytes = vec![0u8; 17];
            set_field(&mut bytes, offset, bits, value);
            let mask = if bits == 64 { u64::MAX } else { (1 << bits) - 1 };
            prop_assert_eq!(get_unsigned(&bytes, offset, bits), value & mask);
            // Nothing outside the field changed.
            for o in (0..offset).chain(offset + bits as u64..136) {
                prop_assert!(!bit_at(&bytes, o));
            }
        }

        #[test]
        fn signed_add_matches_wide_arithmetic(value: i64, increment: i64, bits in 1u32..=64) {
            let max = if bits == 64 { i64::MAX as i128 } else { (1i128 << (bits - 1)) - 1 };
            let min = -max - 1;
            let value = (value as i128).clamp(min, max) as i64;
            let sum = value as i128 + increment as i128;
            let span = 1i128 << bits;
            let wrapped = (sum - min).rem_euclid(span) + min;
            match add_signed(value, increment, bits, Overflow::Wrap) {
                None => prop_assert!(sum >= min && sum <= max),
                Some(got) => prop_assert_eq!(got.map(|v| v as i128), Some(wrapped)),
            }
            match add_signed(value, increment, bits, Overflow::Sat) {
                None => prop_assert!(sum >= min && sum <= max),
                Some(got) => prop_assert_eq!(got.map(|v| v as i128), Some(sum.clamp(min, max))),
            }
        }

        #[test]
        fn unsigned_add_matches_wide_arithmetic(value: u64, increment: i64, bits in 1u32..=63) {
            let max = (1i128 << bits) - 1;
            let value = (value as i128).min(max) as u64;
            let sum = value as i128 + increment as i128;
            match add_unsigned(value, increment, bits, Overflow::Wrap) {
                None => prop_assert!(sum >= 0 && sum <= max),
                Some(got) => prop_assert_eq!(got.map(|v| v as i128), Some(sum.rem_euclid(max + 1))),
            }
            match add_unsigned(value, increment, bits, Overflow::Sat) {
                None => prop_assert!(sum >= 0 && sum <= max),
                Some(got) => prop_assert_eq!(got.map(|v| v as i128), Some(sum.clamp(0, max))),
            }
        }
    }
}
