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
    /// The call stamp each hash slot was last seen with (see `no_slot_repeats`).
    seen: Vec<u16>,
    seen_stamp: u16,
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
            seen: Vec::new(),
            seen_stamp: 0,
        }
    }

    /// Whether no two of `input`'s positions fall in the same hash slot. liblzf can then
    /// find no earlier position to refer to and writes every byte as a literal, more than
    /// the input's length: the answer is known without running it. Random data, which a
    /// bound of `len - 4` never lets compress, is settled this way with one load and one store
    /// per byte; compressible data repeats a slot within its first bytes.
    fn no_slot_repeats(&mut self, input: &[u8]) -> bool {
        if self.seen.is_empty() {
            self.seen = vec![0; HSIZE];
        }
        // A slot was seen in this call if it holds this call's stamp.
        self.seen_stamp = self.seen_stamp.wrapping_add(1);
        if self.seen_stamp == 0 {
            self.seen.fill(0);
            self.seen_stamp = 1;
        }
        let stamp = self.seen_stamp;
        let mut hval = first(input, 0);
        for ip in 0..input.len() - 2 {
            hval = next(hval, input, ip);
            let seen = &mut self.seen[slot(hval)];
            if *seen == stamp {
                return false;
            }
            *seen = stamp;
        }
        true
    }

    /// Compresses `input` into at most `out_len` bytes; `None` when liblzf would give up.
    pub fn compress(&mut self, input: &[u8], out_len: usize) -> Option<Vec<u8>> {
        if input.len() <= SMALL_INPUT {
            // Literals alone take more than the input's length, so more than `out_len`.
            if input.len() >= 3 && out_len <= input.len() && self.no_slot_repeats(input) {
                return None;
            }
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

/// The slots one short input touches, in an open-addressed map at most half full (an input
/// of n bytes stores at most n + 2 slots). Each entry is stamped with the call that wrote it,
/// as the full-size table's are: an entry of an earlier call reads as empty, so a call starts
/// without clearing anything.
#[derive(Default)]
struct SmallTable {
    /// Call stamp, and the slot (high half) with the offset stored for it (low half).
    entries: Vec<(u32, u32)>,
    mask: usize,
    stamp: u32,
}

impl SmallTable {
    fn reset(&mut self, in_len: usize) {
        if self.entries.is_empty() {
            self.entries = vec![(0, 0); (2 * SMALL_INPUT + 8).next_power_of_two()];
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.entries.fill((0, 0));
            self.stamp = 1;
        }
        // The first entries of the table, as many as this input needs, stay in the L1 cache.
        self.mask = (2 * in_len + 8).next_power_of_two() - 1;
    }

    /// The entry for slot `h`: its own, or the empty one where it would go.
    #[inline]
    fn find(&mut self, h: usize) -> &mut (u32, u32) {
        let key = (h as u32) << 16;
        let mut at = (h.wrapping_mul(0x9E37_79B9) >> 7) & self.mask;
        loop {
            let (stamp, packed) = self.entries[at];
            if stamp != self.stamp || packed & 0xFFFF_0000 == key {
                return &mut self.entries[at];
            }
            at = (at + 1) & self.mask;
        }
    }
}

impl Table for SmallTable {
    #[inline]
    fn swap(&mut self, h: usize, offset: usize) -> usize {
        let stamp = self.stamp;
        let entry = self.find(h);
        let old = std::mem::replace(entry, (stamp, (h as u32) << 16 | offset as u32));
        if old.0 == stamp {
            (old.1 & 0xFFFF) as usize
        } else {
            0
        }
    }

    #[inline]
    fn set(&mut self, h: usize, offset: usize) {
        let stamp = self.stamp;
        *self.find(h) = (stamp, (h as u32) << 16 | offset as u32);
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
    fn inputs_without_a_repeated_slot_are_settled_as_liblzf_settles_them() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut reused = Compressor::new();
        // The stamps wrap around within the test.
        reused.seen = vec![0; HSIZE];
        reused.seen_stamp = u16::MAX - 100;
        let mut skipped = 0;
        for round in 0..3000 {
            let len = rng.usize(3..1100);
            // From every byte value (no slot repeats, mostly) down to two (always repeats).
            let alphabet = [256, 74, 16, 2][round % 4];
            let input: Vec<u8> = (0..len).map(|_| rng.u16(0..alphabet) as u8).collect();
            for out_len in [len.saturating_sub(4), len, len + 64] {
                if out_len == 0 {
                    continue;
                }
                skipped += usize::from(
                    len <= SMALL_INPUT && out_len <= len && reused.no_slot_repeats(&input),
                );
                assert_eq!(
                    reused.compress(&input, out_len),
                    compress(&input, out_len),
                    "{input:?} into {out_len}"
                );
            }
        }
        assert!(skipped > 500, "the shortcut was taken {skipped} times");
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
