//! SDS header types and the raw reads and writes of their fields.
//!
//! A string's block is `[header][bytes][NUL]`, and the handle points at the first string byte,
//! so the flags byte is always at `buf[-1]` (Redis's layout). The header's width follows the
//! length the string needs:
//!
//! | type | header (packed)                       | bytes | max length |
//! |------|---------------------------------------|-------|------------|
//! | 5    | flags: type in 3 bits, length in 5    | 1     | 31         |
//! | 8    | len u8, alloc u8, flags               | 3     | 255        |
//! | 16   | len u16, alloc u16, flags             | 5     | 65535      |
//! | 32   | len u32, alloc u32, flags             | 9     | 2^32 − 1   |
//! | 64   | len u64, alloc u64, flags             | 17    | —          |
//!
//! `alloc` is the capacity, excluding header and NUL; type 5 has none (its capacity is its length).
//! Fields are native-endian and unaligned, as in Redis's packed structs.

/// Width of the type bits in the flags byte.
const TYPE_BITS: u32 = 3;
const TYPE_MASK: u8 = 0b111;

/// The header variant of a string, chosen from the length it must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SdsType {
    /// Length in the flags byte; no capacity field. Never used for a string that grows.
    Type5 = 0,
    /// 8-bit length and capacity.
    Type8 = 1,
    /// 16-bit length and capacity.
    Type16 = 2,
    /// 32-bit length and capacity.
    Type32 = 3,
    /// 64-bit length and capacity.
    Type64 = 4,
}

impl SdsType {
    /// The smallest type that can hold `len` bytes (Redis's `sdsReqType`).
    #[inline]
    pub const fn for_len(len: usize) -> SdsType {
        if len < 1 << 5 {
            SdsType::Type5
        } else if len < 1 << 8 {
            SdsType::Type8
        } else if len < 1 << 16 {
            SdsType::Type16
        } else if (len as u64) < 1 << 32 {
            SdsType::Type32
        } else {
            SdsType::Type64
        }
    }

    /// Header bytes before the string, flags included (Redis's `sdsHdrSize`).
    #[inline]
    pub const fn header_len(self) -> usize {
        match self {
            SdsType::Type5 => 1,
            SdsType::Type8 => 3,
            SdsType::Type16 => 5,
            SdsType::Type32 => 9,
            SdsType::Type64 => 17,
        }
    }

    /// The largest length (and capacity) the header can record.
    #[inline]
    pub const fn max_len(self) -> usize {
        match self {
            SdsType::Type5 => (1 << 5) - 1,
            SdsType::Type8 => u8::MAX as usize,
            SdsType::Type16 => u16::MAX as usize,
            SdsType::Type32 => u32::MAX as usize,
            SdsType::Type64 => usize::MAX,
        }
    }

    /// Bytes of each of the two length fields.
    #[inline]
    const fn field_width(self) -> usize {
        match self {
            SdsType::Type5 => 0,
            SdsType::Type8 => 1,
            SdsType::Type16 => 2,
            SdsType::Type32 => 4,
            SdsType::Type64 => 8,
        }
    }

    #[inline]
    fn from_flags(flags: u8) -> SdsType {
        match flags & TYPE_MASK {
            0 => SdsType::Type5,
            1 => SdsType::Type8,
            2 => SdsType::Type16,
            3 => SdsType::Type32,
            _ => SdsType::Type64,
        }
    }
}

/// Reads a `width`-byte native-endian unsigned field at `at`.
///
/// # Safety
/// `at..at + width` must be readable.
#[inline(always)]
unsafe fn read_field(at: *const u8, width: usize) -> usize {
    // SAFETY: the caller guarantees `width` readable bytes; reads are unaligned.
    unsafe {
        match width {
            1 => *at as usize,
            2 => at.cast::<u16>().read_unaligned() as usize,
            4 => at.cast::<u32>().read_unaligned() as usize,
            _ => at.cast::<u64>().read_unaligned() as usize,
        }
    }
}

/// Writes `value` as a `width`-byte native-endian field at `at`.
///
/// # Safety
/// `at..at + width` must be writable and `value` must fit the width.
#[inline(always)]
unsafe fn write_field(at: *mut u8, width: usize, value: usize) {
    // SAFETY: the caller guarantees `width` writable bytes and a value that fits.
    unsafe {
        match width {
            1 => *at = value as u8,
            2 => at.cast::<u16>().write_unaligned(value as u16),
            4 => at.cast::<u32>().write_unaligned(value as u32),
            _ => at.cast::<u64>().write_unaligned(value as u64),
        }
    }
}

/// The type recorded in the flags byte before `buf`.
///
/// # Safety
/// `buf` must point just after a valid header.
#[inline(always)]
pub(crate) unsafe fn sds_type(buf: *const u8) -> SdsType {
    // SAFETY: the flags byte is at buf[-1] for every type.
    SdsType::from_flags(unsafe { *buf.sub(1) })
}

/// The string length recorded in the header before `buf` (Redis's `sdslen`).
///
/// # Safety
/// `buf` must point just after a valid header.
#[inline(always)]
pub(crate) unsafe fn read_len(buf: *const u8) -> usize {
    // SAFETY: the flags byte is at buf[-1]; the length field precedes the capacity field.
    unsafe {
        let flags = *buf.sub(1);
        let ty = SdsType::from_flags(flags);
        match ty {
            SdsType::Type5 => (flags >> TYPE_BITS) as usize,
            _ => {
                let width = ty.field_width();
                read_field(buf.sub(1 + 2 * width), width)
            }
        }
    }
}

/// The capacity recorded in the header before `buf` (Redis's `sdsalloc`); type 5 reports its
/// length.
///
/// # Safety
/// `buf` must point just after a valid header.
#[inline(always)]
pub(crate) unsafe fn read_alloc(buf: *const u8) -> usize {
    // SAFETY: as read_len.
    unsafe {
        let ty = sds_type(buf);
        match ty {
            SdsType::Type5 => read_len(buf),
            _ => {
                let width = ty.field_width();
                read_field(buf.sub(1 + width), width)
            }
        }
    }
}

/// Type, length and capacity in one decoding of the header.
///
/// # Safety
/// `buf` must point just after a valid header.
#[inline(always)]
pub(crate) unsafe fn read_all(buf: *const u8) -> (SdsType, usize, usize) {
    // SAFETY: as read_len.
    unsafe {
        let flags = *buf.sub(1);
        let ty = SdsType::from_flags(flags);
        match ty {
            SdsType::Type5 => {
                let len = (flags >> TYPE_BITS) as usize;
                (ty, len, len)
            }
            _ => {
                let width = ty.field_width();
                let len = read_field(buf.sub(1 + 2 * width), width);
                let alloc = read_field(buf.sub(1 + width), width);
                (ty, len, alloc)
            }
        }
    }
}

/// Records a new length in a header already known to be of type `ty`.
///
/// # Safety
/// `buf` must point just after a valid, writable header of type `ty` that can record `len`.
#[inline(always)]
pub(crate) unsafe fn write_len_typed(buf: *mut u8, ty: SdsType, len: usize) {
    debug_assert!(len <= ty.max_len());
    // SAFETY: forwarded contract.
    unsafe {
        match ty {
            SdsType::Type5 => *buf.sub(1) = SdsType::Type5 as u8 | ((len as u8) << TYPE_BITS),
            _ => {
                let width = ty.field_width();
                write_field(buf.sub(1 + 2 * width), width, len);
            }
        }
    }
}

/// Records a new length (Redis's `sdssetlen`). The NUL terminator is the caller's business.
///
/// # Safety
/// `buf` must point just after a valid, writable header whose type can record `len`.
#[inline(always)]
pub(crate) unsafe fn write_len(buf: *mut u8, len: usize) {
    // SAFETY: as read_len, with write access.
    unsafe { write_len_typed(buf, sds_type(buf), len) }
}

/// Writes a complete header of type `ty` at the start of `block` and returns the string pointer.
///
/// # Safety
/// `block` must have at least `ty.header_len()` writable bytes; `len <= alloc <= ty.max_len()`,
/// and for type 5 `alloc == len`.
#[inline]
pub(crate) unsafe fn init_header(block: *mut u8, ty: SdsType, len: usize, alloc: usize) -> *mut u8 {
    debug_assert!(len <= alloc && alloc <= ty.max_len());
    // SAFETY: the header fits in the block's first header_len bytes.
    unsafe {
        let buf = block.add(ty.header_len());
        match ty {
            SdsType::Type5 => *buf.sub(1) = SdsType::Type5 as u8 | ((len as u8) << TYPE_BITS),
            _ => {
                let width = ty.field_width();
                *buf.sub(1) = ty as u8;
                write_field(buf.sub(1 + 2 * width), width, len);
                write_field(buf.sub(1 + width), width, alloc);
            }
        }
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_redis_thresholds() {
        assert_eq!(SdsType::for_len(0), SdsType::Type5);
        assert_eq!(SdsType::for_len(31), SdsType::Type5);
        assert_eq!(SdsType::for_len(32), SdsType::Type8);
        assert_eq!(SdsType::for_len(255), SdsType::Type8);
        assert_eq!(SdsType::for_len(256), SdsType::Type16);
        assert_eq!(SdsType::for_len(65535), SdsType::Type16);
        assert_eq!(SdsType::for_len(65536), SdsType::Type32);
        assert_eq!(SdsType::for_len(u32::MAX as usize), SdsType::Type32);
        assert_eq!(SdsType::for_len(1 << 32), SdsType::Type64);
    }

    #[test]
    fn headers_round_trip_through_raw_bytes() {
        for (ty, len, alloc) in [
            (SdsType::Type5, 17, 17),
            (SdsType::Type8, 200, 250),
            (SdsType::Type16, 300, 60000),
            (SdsType::Type32, 70000, 100_000),
            (SdsType::Type64, 1 << 33, 1 << 34),
        ] {
            let mut block = [0xEEu8; 32];
            // SAFETY: 32 bytes hold any header; values fit their types.
            unsafe {
                let buf = init_header(block.as_mut_ptr(), ty, len, alloc);
                assert_eq!(buf.offset_from(block.as_ptr()) as usize, ty.header_len());
                assert_eq!(sds_type(buf), ty);
                assert_eq!(read_len(buf), len);
                assert_eq!(read_alloc(buf), alloc);
                write_len(buf, len / 2);
                assert_eq!(read_len(buf), len / 2);
                assert_eq!(sds_type(buf), ty);
                if ty != SdsType::Type5 {
                    assert_eq!(read_alloc(buf), alloc);
                }
            }
        }
    }

    #[test]
    fn type8_layout_matches_redis() {
        let mut block = [0u8; 8];
        // SAFETY: 8 bytes hold a type 8 header.
        unsafe { init_header(block.as_mut_ptr(), SdsType::Type8, 5, 12) };
        assert_eq!(&block[..3], &[5, 12, 1]);
        let mut block = [0u8; 4];
        // SAFETY: 4 bytes hold a type 5 header.
        unsafe { init_header(block.as_mut_ptr(), SdsType::Type5, 3, 3) };
        // Length 3 in the high five bits, type 5 (0) in the low three.
        assert_eq!(block[0], 3 << 3);
    }
}
