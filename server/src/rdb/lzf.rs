//! LZF compression exactly as Redis 7.0 runs it (liblzf 3.6's `lzf_compress` with Redis's
//! settings: a 64 KiB hash table, `VERY_FAST`, the output bounded at 4 bytes less than the
//! input). Hand-written because the bound decides whether a string is stored compressed at
//! all: liblzf gives up as soon as its conservative checks see the output might not fit, and
//! the `lzf` crate, whose output is otherwise the same, can only bound at the input's length
//! and differs near the end of the input. Decompression is the `lzf` crate's.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

fn first(data: &[u8], at: usize) -> u32 {
    ((data[at] as u32) << 8) | data[at + 1] as u32
}

fn next(hval: u32, data: &[u8], at: usize) -> u32 {
    (hval << 8) | data[at + 2] as u32
}

fn slot(hval: u32) -> usize {
    ((hval >> (3 * 8 - HLOG)).wrapping_sub(hval.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Closes the literal run that started at the placeholder `lit + 1` bytes back.
fn close_run(out: &mut [u8], lit: usize) {
    let at = out.len() - lit - 1;
    out[at] = (lit as u8).wrapping_sub(1);
}

/// liblzf's hash table of earlier positions, kept between calls: each entry is stamped with
/// the call that wrote it, so a new call sees an empty table (as liblzf does with a zeroed
/// one) without clearing 512 KiB per string. Short strings, most of what a save compresses,
/// use a small map of the few slots they touch instead: the same lookups, answered from the
/// L1 cache rather than by a cache miss into the large table.
pub struct Compressor {
    /// (call stamp, offset) by hash.
    table: Vec<(u32, u32)>,
    stamp: u32,
    small: SmallTable,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor::new()
    }
}

/// Inputs up to this long use the small map.
const SMALL_INPUT: usize = 1024;

impl Compressor {
    pub fn new() -> Compressor {
        Compressor {
            table: Vec::new(),
            stamp: 0,
            small: SmallTable::default(),
        }
    }

    /// Compresses `input` into at most `out_len` bytes; `None` when liblzf would give up.
    pub fn compress(&mut self, input: &[u8], out_len: usize) -> Option<Vec<u8>> {
        if input.len() <= SMALL_INPUT {
            self.small.reset(input.len());
            return compress_with(input, out_len, &mut self.small);
        }
        if self.table.is_empty() {
            self.table = vec![(0, 0); HSIZE];
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.table.fill((0, 0));
            self.stamp = 1;
        }
        let mut table = StampedTable {
            slots: &mut self.table,
            stamp: self.stamp,
        };
        compress_with(input, out_len, &mut table)
    }
}

/// liblzf's table as one call sees it: the offset last stored for a hash slot, 0 for none
/// (position 0 can never be a reference, as in liblzf).
trait Table {
    /// The offset stored for slot `h`, replaced by `offset`.
    fn swap(&mut self, h: usize, offset: usize) -> usize;
    fn set(&mut self, h: usize, offset: usize);
}

/// The full-size table: entries of other calls read as empty.
struct StampedTable<'a> {
    slots: &'a mut [(u32, u32)],
    stamp: u32,
}

impl Table for StampedTable<'_> {
    #[inline]
    fn swap(&mut self, h: usize, offset: usize) -> usize {
        let (stamp, old) = std::mem::replace(&mut self.slots[h], (self.stamp, offset as u32));
        if stamp == self.stamp { old as usize } else { 0 }
    }

    #[inline]
    fn set(&mut self, h: usize, offset: usize) {
        self.slots[h] = (self.stamp, offset as u32);
    }
}

/// The slots one short input touches, in an open-addressed map at most half full: an input
/// of n bytes stores at most n + 2 slots.
#[derive(Default)]
struct SmallTable {
    /// Slot + 1 (0: empty), and the offset stored for it.
    entries: Vec<(u32, u32)>,
    mask: usize,
}

impl SmallTable {
    fn reset(&mut self, in_len: usize) {
        let size = (2 * in_len + 8).next_power_of_two();
        self.entries.clear();
        self.entries.resize(size, (0, 0));
        self.mask = size - 1;
    }

    /// The entry for slot `h`: its own, or the empty one where it would go.
    #[inline]
    fn find(&mut self, h: usize) -> &mut (u32, u32) {
        let key = h as u32 + 1;
        let mut at = (h.wrapping_mul(0x9E37_79B9) >> 7) & self.mask;
        loop {
            let entry = self.entries[at];
            if entry.0 == key || entry.0 == 0 {
                return &mut self.entries[at];
            }
            at = (at + 1) & self.mask;
        }
    }
}

impl Table for SmallTable {
    #[inline]
    fn swap(&mut self, h: usize, offset: usize) -> usize {
        let entry = self.find(h);
        let old = std::mem::replace(entry, (h as u32 + 1, offset as u32));
        old.1 as usize
    }

    #[inline]
    fn set(&mut self, h: usize, offset: usize) {
        *self.find(h) = (h as u32 + 1, offset as u32);
    }
}

/// Compresses `input` into at most `out_len` bytes with a fresh table of its own; `None` when
/// liblzf would give up.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut table = vec![(0, 0); HSIZE];
    compress_with(
        input,
        out_len,
        &mut StampedTable {
            slots: &mut table,
            stamp: 1,
        },
    )
}

fn compress_with(input: &[u8], out_len: usize, table: &mut impl Table) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len < 3 || out_len == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(out_len);
    out.push(0); // start run
    let mut lit = 0usize;
    let mut ip = 0usize;
    let mut hval = first(input, ip);
    while ip < in_len - 2 {
        hval = next(hval, input, ip);
        let reference = table.swap(slot(hval), ip);
        let off = ip.wrapping_sub(reference).wrapping_sub(1);
        if reference > 0
            && off < MAX_OFF
            && input[reference + 2] == input[ip + 2]
            && input[reference..reference + 2] == input[ip..ip + 2]
        {
            let maxlen = (in_len - ip - 2).min(MAX_REF);
            // The exact form of liblzf's check: the run may be undone first.
            if out.len() - usize::from(lit == 0) + 3 + 1 >= out_len {
                return None;
            }
            close_run(&mut out, lit);
            if lit == 0 {
                out.pop();
            }
            // liblzf compares 16 bytes unrolled, without the bound, when more than 16 may
            // match; then one at a time within it.
            let mut len = 2;
            let mut unrolled_mismatch = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[reference + len] != input[ip + len] {
                        unrolled_mismatch = true;
                        break;
                    }
                }
            }
            if !unrolled_mismatch {
                len += 1;
                while len < maxlen && input[reference + len] == input[ip + len] {
                    len += 1;
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out.push(((off >> 8) as u8).wrapping_add((len << 5) as u8));
            } else {
                out.push(((off >> 8) as u8).wrapping_add(7 << 5));
                out.push((len - 7) as u8);
            }
            out.push(off as u8);
            lit = 0;
            out.push(0); // start run
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = first(input, ip);
            hval = next(hval, input, ip);
            table.set(slot(hval), ip);
            ip += 1;
            hval = next(hval, input, ip);
            table.set(slot(hval), ip);
            ip += 1;
        } else {
            if out.len() >= out_len {
                return None;
            }
            lit += 1;
            out.push(input[ip]);
            ip += 1;
            if lit == MAX_LIT {
                close_run(&mut out, lit);
                lit = 0;
                out.push(0);
            }
        }
    }
    if out.len() + 3 > out_len {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out.push(input[ip]);
        ip += 1;
        if lit == MAX_LIT {
            close_run(&mut out, lit);
            lit = 0;
            out.push(0);
        }
    }
    close_run(&mut out, lit);
    if lit == 0 {
        out.pop();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_decompresses_to_the_input() {
        let mut rng = fastrand::Rng::with_seed(3);
        for round in 0..500 {
            let len = rng.usize(3..3000);
            let alphabet = 1 + round % 20;
            let input: Vec<u8> = (0..len).map(|_| b'a' + rng.u8(0..alphabet as u8)).collect();
            if let Some(out) = compress(&input, input.len() + 64) {
                assert_eq!(lzf::decompress(&out, input.len()).unwrap(), input);
            }
        }
    }

    #[test]
    fn a_reused_compressor_gives_the_output_of_a_fresh_one() {
        let mut rng = fastrand::Rng::with_seed(9);
        let mut reused = Compressor::new();
        for _ in 0..300 {
            let len = rng.usize(21..3000);
            let input: Vec<u8> = (0..len).map(|_| b'a' + rng.u8(0..4)).collect();
            assert_eq!(
                reused.compress(&input, len - 4),
                compress(&input, len - 4),
                "{input:?}"
            );
        }
    }

    #[test]
    fn the_bound_is_liblzf_s() {
        // The intset blob of {-20, 5, 70000, 3000000000}: 40 bytes that the lzf crate
        // squeezes into 35, but liblzf bounded at 36 gives up on, so Redis stores it plain.
        let mut blob = vec![8, 0, 0, 0, 4, 0, 0, 0];
        for v in [-20i64, 5, 70000, 3_000_000_000] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        assert!(compress(&blob, blob.len() - 4).is_none());
        assert!(lzf::compress(&blob).is_ok_and(|c| c.len() <= 36));
        // Long runs compress well within the bound.
        let run = vec![b'x'; 1000];
        let out = compress(&run, run.len() - 4).expect("compressible");
        assert!(out.len() < 40);
        assert_eq!(lzf::decompress(&out, 1000).unwrap(), run);
    }
}
