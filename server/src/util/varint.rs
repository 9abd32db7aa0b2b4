//! LEB128 varints: the length prefixes of records, packs and hash fields (7 bits per byte,
//! low bits first, so lengths under 128 cost one byte).

/// Bytes `v` takes.
#[inline]
pub fn len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Writes `v` at the start of `out`; returns the bytes written.
#[inline]
pub fn put(out: &mut [u8], mut v: u64) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        out[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
    i + 1
}

/// Reads a varint at the start of `bytes`: (value, bytes used).
#[inline]
pub fn get(bytes: &[u8]) -> (u64, usize) {
    let mut v = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        v |= ((b & 0x7f) as u64) << (7 * i);
        if b < 0x80 {
            return (v, i + 1);
        }
    }
    (v, bytes.len().min(10))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_at_every_length() {
        let mut buf = [0u8; 10];
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16383,
            16384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let n = super::put(&mut buf, v);
            assert_eq!(n, super::len(v));
            assert_eq!(super::get(&buf[..n]), (v, n));
        }
    }
}
