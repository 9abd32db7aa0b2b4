//! Redis's listpack as bytes: the form hashes, sorted sets and list nodes take inside an RDB
//! file. zedis keeps its own pack in memory (see `types::pack`), so saving builds a listpack
//! from a pack's entries and loading walks one entry by entry; neither is ever kept.
//!
//! Layout: total bytes (u32 LE), entry count (u16 LE, 65535 when unknown), entries, `0xFF`.
//! An entry is an encoding byte with its data, then the entry's length written backwards.
//! Hand-written because no crate reads or writes this format.

use crate::util::parse_i64;

const HEADER: usize = 6;
const END: u8 = 0xFF;
/// The count field's value when the count does not fit in 16 bits.
const COUNT_UNKNOWN: u16 = u16::MAX;

/// One listpack element: listpacks keep canonical decimal strings as integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

/// Builds a listpack in a reusable buffer.
pub struct Builder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            buf: vec![0; HEADER],
            count: 0,
        }
    }

    /// Appends a string, stored as an integer when it is one (Redis's `lpEncodeGetType`).
    pub fn push(&mut self, element: &[u8]) {
        match parse_i64(element) {
            Some(v) => self.push_int(v),
            None => self.push_bytes(element),
        }
    }

    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = &mut self.buf;
        if (0..=127).contains(&v) {
            b.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1fff;
            b.extend_from_slice(&[0xC0 | (u >> 8) as u8, u as u8]);
        } else if (-32768..=32767).contains(&v) {
            b.push(0xF1);
            b.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            b.push(0xF2);
            b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if i32::try_from(v).is_ok() {
            b.push(0xF3);
            b.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            b.push(0xF4);
            b.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    fn push_bytes(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf
                .extend_from_slice(&[0xE0 | (len >> 8) as u8, len as u8]);
        } else {
            self.buf.push(0xF0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.finish_entry(start);
    }

    /// Writes the entry's back-length (`lpEncodeBacklen`).
    fn finish_entry(&mut self, start: usize) {
        let l = (self.buf.len() - start) as u64;
        let b = &mut self.buf;
        if l <= 127 {
            b.push(l as u8);
        } else if l < 16383 {
            b.extend_from_slice(&[(l >> 7) as u8, (l & 127) as u8 | 128]);
        } else if l < 2_097_151 {
            b.extend_from_slice(&[
                (l >> 14) as u8,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]);
        } else if l < 268_435_455 {
            b.extend_from_slice(&[
                (l >> 21) as u8,
                ((l >> 14) & 127) as u8 | 128,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]);
        } else {
            b.extend_from_slice(&[
                (l >> 28) as u8,
                ((l >> 21) & 127) as u8 | 128,
                ((l >> 14) & 127) as u8 | 128,
                ((l >> 7) & 127) as u8 | 128,
                (l & 127) as u8 | 128,
            ]);
        }
        self.count += 1;
    }

    /// The finished listpack; the builder is empty again afterwards.
    pub fn finish(&mut self) -> &[u8] {
        self.buf.push(END);
        let total = self.buf.len() as u32;
        let count = u16::try_from(self.count)
            .ok()
            .filter(|&c| c != COUNT_UNKNOWN)
            .unwrap_or(COUNT_UNKNOWN);
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.count = 0;
        &self.buf
    }

    /// Empties the builder for the next listpack.
    pub fn clear(&mut self) {
        self.buf.truncate(HEADER);
        self.count = 0;
    }
}

/// Decodes every entry of a listpack, checking its frame: the header's size, each entry's
/// bounds and back-length, the terminator, and the count when it is known. `visit` sees the
/// entries in order.
pub fn for_each<'a>(lp: &'a [u8], mut visit: impl FnMut(Entry<'a>)) -> Result<usize, String> {
    if lp.len() < HEADER + 1 {
        return Err("listpack shorter than its header".into());
    }
    let total = u32::from_le_bytes(lp[..4].try_into().expect("4 bytes")) as usize;
    if total != lp.len() {
        return Err(format!(
            "listpack header says {total} bytes, blob has {}",
            lp.len()
        ));
    }
    let declared = u16::from_le_bytes([lp[4], lp[5]]);
    let mut at = HEADER;
    let mut count = 0usize;
    loop {
        let Some(&first) = lp.get(at) else {
            return Err("listpack without its terminator".into());
        };
        if first == END {
            if at + 1 != lp.len() {
                return Err("bytes after the listpack's terminator".into());
            }
            break;
        }
        let (entry, len) = decode_entry(&lp[at..])?;
        let backlen = backlen_size(len as u64);
        let back = lp
            .get(at + len..at + len + backlen)
            .ok_or("listpack entry past the end")?;
        if read_backlen(back) != Some(len as u64) {
            return Err("listpack entry with a wrong back-length".into());
        }
        visit(entry);
        count += 1;
        at += len + backlen;
    }
    if declared != COUNT_UNKNOWN && declared as usize != count {
        return Err(format!(
            "listpack header says {declared} entries, holds {count}"
        ));
    }
    Ok(count)
}

/// Decodes the entry at the start of `p`: the element and its length without the back-length.
fn decode_entry(p: &[u8]) -> Result<(Entry<'_>, usize), String> {
    let short = || "listpack entry past the end".to_string();
    let b0 = p[0];
    let bytes = |header: usize, len: usize| -> Result<(Entry<'_>, usize), String> {
        let data = p.get(header..header + len).ok_or_else(short)?;
        Ok((Entry::Bytes(data), header + len))
    };
    let int = |len: usize| -> Result<&[u8], String> { p.get(1..1 + len).ok_or_else(short) };
    match b0 {
        0x00..=0x7F => Ok((Entry::Int(b0 as i64), 1)),
        0x80..=0xBF => bytes(1, (b0 & 0x3F) as usize),
        0xC0..=0xDF => {
            let lo = *p.get(1).ok_or_else(short)?;
            let u = (((b0 & 0x1F) as u16) << 8) | lo as u16;
            // Sign-extend 13 bits.
            let v = ((u << 3) as i16 >> 3) as i64;
            Ok((Entry::Int(v), 2))
        }
        0xE0..=0xEF => {
            let lo = *p.get(1).ok_or_else(short)?;
            bytes(2, (((b0 & 0x0F) as usize) << 8) | lo as usize)
        }
        0xF0 => {
            let len = u32::from_le_bytes(int(4)?.try_into().expect("4 bytes")) as usize;
            bytes(5, len)
        }
        0xF1 => {
            let v = i16::from_le_bytes(int(2)?.try_into().expect("2 bytes"));
            Ok((Entry::Int(v as i64), 3))
        }
        0xF2 => {
            let d = int(3)?;
            let v = ((i32::from_le_bytes([0, d[0], d[1], d[2]])) >> 8) as i64;
            Ok((Entry::Int(v), 4))
        }
        0xF3 => {
            let v = i32::from_le_bytes(int(4)?.try_into().expect("4 bytes"));
            Ok((Entry::Int(v as i64), 5))
        }
        0xF4 => {
            let v = i64::from_le_bytes(int(8)?.try_into().expect("8 bytes"));
            Ok((Entry::Int(v), 9))
        }
        _ => Err(format!("listpack entry with unknown encoding {b0:#04x}")),
    }
}

fn backlen_size(l: u64) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Reads a back-length written forwards in `bytes`: the first byte most significant and
/// without the continuation bit, every later one with it.
fn read_backlen(bytes: &[u8]) -> Option<u64> {
    let (first, rest) = bytes.split_first()?;
    if first & 128 != 0 || rest.iter().any(|b| b & 128 == 0) {
        return None;
    }
    Some(
        rest.iter()
            .fold(*first as u64, |v, b| (v << 7) | (b & 127) as u64),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(lp: &[u8]) -> Vec<Entry<'_>> {
        let mut out = Vec::new();
        for_each(lp, |e| out.push(e)).expect("valid listpack");
        out
    }

    #[test]
    fn integers_take_redis_encodings() {
        let mut b = Builder::new();
        for s in [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "-4097",
            "32767",
            "-32768",
            "40000",
            "8388607",
            "-8388608",
            "8388608",
            "2147483647",
            "-2147483648",
            "2147483648",
            "-9223372036854775808",
        ] {
            b.push(s.as_bytes());
        }
        let lp = b.finish().to_vec();
        // Encoding bytes as lpEncodeIntegerGetType picks them.
        assert_eq!(lp[6], 0x00);
        assert_eq!(lp[8], 0x7F);
        assert_eq!(lp[10] & 0xE0, 0xC0); // 128: 13-bit
        let values: Vec<i64> = decode(&lp)
            .into_iter()
            .map(|e| match e {
                Entry::Int(v) => v,
                Entry::Bytes(b) => panic!("{b:?} should be an integer"),
            })
            .collect();
        assert_eq!(
            values,
            [
                0,
                127,
                128,
                -1,
                -4096,
                4095,
                -4097,
                32767,
                -32768,
                40000,
                8388607,
                -8388608,
                8388608,
                2147483647,
                -2147483648,
                2147483648,
                i64::MIN
            ]
        );
    }

    #[test]
    fn strings_keep_their_bytes_at_every_length_class() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 100];
        let mut b = Builder::new();
        b.push(b"");
        b.push(b"01"); // not canonical: stays a string
        b.push(&mid);
        b.push(&long);
        let lp = b.finish().to_vec();
        assert_eq!(
            u32::from_le_bytes(lp[..4].try_into().unwrap()) as usize,
            lp.len()
        );
        assert_eq!(u16::from_le_bytes([lp[4], lp[5]]), 4);
        assert_eq!(
            decode(&lp),
            [
                Entry::Bytes(b""),
                Entry::Bytes(b"01"),
                Entry::Bytes(&mid),
                Entry::Bytes(&long)
            ]
        );
    }

    #[test]
    fn a_small_hash_is_byte_for_byte_what_redis_writes() {
        // The listpack inside Redis 7.0.15's `DUMP` of `HSET h a 1`.
        let lp = [12, 0, 0, 0, 2, 0, 0x81, b'a', 2, 0x01, 1, 0xff];
        assert_eq!(decode(&lp), [Entry::Bytes(b"a"), Entry::Int(1)]);
        let mut b = Builder::new();
        b.push(b"a");
        b.push(b"1");
        assert_eq!(b.finish(), &lp[..]);
    }

    #[test]
    fn damaged_listpacks_are_refused() {
        let mut b = Builder::new();
        b.push(b"hello");
        b.push(b"300");
        let good = b.finish().to_vec();
        assert!(for_each(&good, |_| {}).is_ok());
        for cut in 0..good.len() {
            assert!(for_each(&good[..cut], |_| {}).is_err(), "cut at {cut}");
        }
        let mut wrong_count = good.clone();
        wrong_count[4] = 3;
        assert!(for_each(&wrong_count, |_| {}).is_err());
        let mut wrong_back = good.clone();
        wrong_back[6 + 6] = 9;
        assert!(for_each(&wrong_back, |_| {}).is_err());
        let mut bad_len = good.clone();
        bad_len[6] = 0x80 | 60;
        assert!(for_each(&bad_len, |_| {}).is_err());
    }
}
