//! HyperLogLog as Redis 7.0 represents and estimates it (`hyperloglog.c`), on plain bytes: a
//! HyperLogLog is a string value, so a value written by Redis counts the same here and the
//! bytes zedis writes are the bytes Redis would write.
//!
//! The value is a 16-byte header and the registers:
//!
//! ```text
//! "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | cached cardinality, 8 bytes LE
//! ```
//!
//! The cached cardinality is valid while the top bit of its last byte is clear. Dense: 16384
//! registers of 6 bits, packed from the least significant bit of each byte. Sparse: a run-length
//! encoding of the registers with three opcodes — `00xxxxxx` ZERO (1 to 64 zero registers),
//! `01xxxxxx yyyyyyyy` XZERO (1 to 16384 zero registers), `1vvvvvxx` VAL (1 to 4 registers of
//! value 1 to 32). A sparse value becomes dense when a register needs more than 32 or when an
//! update would make it longer than `hll-sparse-max-bytes`.
//!
//! Every routine follows Redis's step by step, corrupted input included (the same opcode walk,
//! the same checks, the same merging of neighbouring VAL opcodes), since the bytes are shared:
//! where Redis reads the string's terminating NUL past the end, these read a zero.

/// Register index bits.
pub const P: u32 = 14;
/// Hash bits left for the run of zeros.
pub const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const P_MASK: u64 = REGISTERS as u64 - 1;
const BITS: usize = 6;
const REGISTER_MAX: u32 = (1 << BITS) - 1;
pub const HDR_SIZE: usize = 16;
/// Length of a dense value: the header and 12288 bytes of registers.
pub const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * BITS).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const MAX_ENCODING: u8 = 1;
/// Byte of the header holding the encoding.
const ENCODING_AT: usize = 4;

const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
/// 0.5 / ln(2).
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
const HASH_SEED: u32 = 0xadc8_3b19;

/// A value's encoding, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

impl Encoding {
    /// The name `PFDEBUG ENCODING` answers.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// The registers do not decode (Redis's "Corrupted HLL object detected").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupted;

/// Redis's `isHLLObjectOrReply` checks on a string: long enough for the header, the `HYLL`
/// magic, a known encoding, and exactly [`DENSE_SIZE`] bytes when dense. The sparse opcodes are
/// not checked here: the operations find out.
pub fn check(value: &[u8]) -> Option<Encoding> {
    if value.len() < HDR_SIZE || &value[..4] != b"HYLL" || value[ENCODING_AT] > MAX_ENCODING {
        return None;
    }
    match value[ENCODING_AT] {
        DENSE if value.len() == DENSE_SIZE => Some(Encoding::Dense),
        DENSE => None,
        _ => Some(Encoding::Sparse),
    }
}

/// A new, empty value (`createHLLObject`): sparse, one XZERO opcode covering every register, a
/// valid cached cardinality of 0.
pub fn new_sparse() -> Vec<u8> {
    let mut value = vec![0u8; HDR_SIZE];
    value[..4].copy_from_slice(b"HYLL");
    value[ENCODING_AT] = SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(SPARSE_XZERO_MAX_LEN);
        value.extend_from_slice(&xzero_op(run));
        left -= run;
    }
    value
}

/// The cached cardinality, when valid.
pub fn cached_count(value: &[u8]) -> Option<u64> {
    (value[15] & 0x80 == 0).then(|| u64::from_le_bytes(value[8..16].try_into().expect("8 bytes")))
}

/// Stores a computed cardinality in the header (valid unless its own top bit is set).
pub fn set_cached_count(value: &mut [u8], count: u64) {
    value[8..16].copy_from_slice(&count.to_le_bytes());
}

/// Marks the cached cardinality stale (`HLL_INVALIDATE_CACHE`).
pub fn invalidate_cache(value: &mut [u8]) {
    value[15] |= 0x80;
}

/// MurmurHash2, 64-bit version (`MurmurHash64A`), reading words little-endian as Redis does on
/// every architecture.
pub fn murmur64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed as u64 ^ (key.len() as u64).wrapping_mul(M);
    let mut words = key.chunks_exact(8);
    for word in &mut words {
        let mut k = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            h ^= (byte as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element updates and the length of its `000..1` pattern, 1 to Q+1
/// (`hllPatLen`).
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, HASH_SEED);
    let index = (hash & P_MASK) as usize;
    // The bit above the Q used ones ends the run, so the count is at most Q+1.
    let run = (hash >> P) | (1 << Q);
    (index, run.trailing_zeros() as u8 + 1)
}

// ---------------------------------------------------------------------------------------------
// Dense registers.

/// Register `index` of dense registers (the bytes after the header).
pub fn dense_get(registers: &[u8], index: usize) -> u8 {
    let byte = index * BITS / 8;
    let fb = (index * BITS) & 7;
    let b0 = registers[byte] as u32;
    // Redis reads the string's terminating NUL for the last register.
    let b1 = registers.get(byte + 1).copied().unwrap_or(0) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX) as u8
}

/// Sets register `index` of dense registers to `value` (at most 63).
pub fn dense_set(registers: &mut [u8], index: usize, value: u8) {
    let byte = index * BITS / 8;
    let fb = (index * BITS) & 7;
    let fb8 = 8 - fb;
    let v = value as u32;
    registers[byte] &= !(REGISTER_MAX << fb) as u8;
    registers[byte] |= (v << fb) as u8;
    if let Some(next) = registers.get_mut(byte + 1) {
        *next &= !(REGISTER_MAX >> fb8) as u8;
        *next |= (v >> fb8) as u8;
    }
}

/// Raises register `index` to `count` if it is lower; whether it changed (`hllDenseSet`).
pub fn dense_raise(registers: &mut [u8], index: usize, count: u8) -> bool {
    if count > dense_get(registers, index) {
        dense_set(registers, index, count);
        true
    } else {
        false
    }
}

/// Adds the histogram of dense registers to `histo` (`hllDenseRegHisto`), four registers per
/// three bytes.
fn dense_histogram(registers: &[u8], histo: &mut [u32; 64]) {
    for b in registers[..REGISTERS * BITS / 8].chunks_exact(3) {
        let (b0, b1, b2) = (b[0] as usize, b[1] as usize, b[2] as usize);
        histo[b0 & 63] += 1;
        histo[(b0 >> 6 | b1 << 2) & 63] += 1;
        histo[(b1 >> 4 | b2 << 4) & 63] += 1;
        histo[b2 >> 2] += 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Sparse opcodes.

fn is_zero(op: u8) -> bool {
    op & 0xc0 == 0
}

fn is_xzero(op: u8) -> bool {
    op & 0xc0 == 0x40
}

fn is_val(op: u8) -> bool {
    op & 0x80 != 0
}

fn zero_len(op: u8) -> usize {
    (op & 0x3f) as usize + 1
}

fn xzero_len(op: u8, next: u8) -> usize {
    (((op & 0x3f) as usize) << 8 | next as usize) + 1
}

fn val_value(op: u8) -> u8 {
    ((op >> 2) & 0x1f) + 1
}

fn val_len(op: u8) -> usize {
    (op & 0x3) as usize + 1
}

fn val_op(value: u8, len: usize) -> u8 {
    ((value - 1) << 2 | (len as u8 - 1)) | 0x80
}

fn zero_op(len: usize) -> u8 {
    (len - 1) as u8
}

fn xzero_op(len: usize) -> [u8; 2] {
    let l = len - 1;
    [(l >> 8) as u8 | 0x40, (l & 0xff) as u8]
}

/// The byte at `at`, or the terminating NUL Redis would read past the end.
fn byte_at(bytes: &[u8], at: usize) -> u8 {
    bytes.get(at).copied().unwrap_or(0)
}

/// One decoded sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// A run of zero registers, and the opcode's length in bytes (1 for ZERO, 2 for XZERO).
    Zeros(usize, usize),
    /// A run of `len` registers of value `value`.
    Val { value: u8, len: usize },
}

/// Walks the sparse opcodes of `ops` (the bytes after the header) as every Redis decoder does,
/// calling `visit(first register, op)`; stops with `Corrupted` as soon as a run passes the last
/// register, and at the end unless exactly every register was covered.
fn walk_sparse(ops: &[u8], mut visit: impl FnMut(usize, Op)) -> Result<(), Corrupted> {
    let (mut p, mut idx) = (0, 0usize);
    while p < ops.len() {
        let op = ops[p];
        let (decoded, runlen) = if is_zero(op) {
            (Op::Zeros(zero_len(op), 1), zero_len(op))
        } else if is_xzero(op) {
            let len = xzero_len(op, byte_at(ops, p + 1));
            (Op::Zeros(len, 2), len)
        } else {
            let len = val_len(op);
            let value = val_value(op);
            (Op::Val { value, len }, len)
        };
        if runlen + idx > REGISTERS {
            return Err(Corrupted);
        }
        visit(idx, decoded);
        idx += runlen;
        p += match decoded {
            Op::Zeros(_, oplen) => oplen,
            Op::Val { .. } => 1,
        };
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupted)
    }
}

/// The dense form of a sparse value (`hllSparseToDense`): same header (cached cardinality
/// included), encoding dense.
pub fn sparse_to_dense(value: &[u8]) -> Result<Vec<u8>, Corrupted> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR_SIZE].copy_from_slice(&value[..HDR_SIZE]);
    dense[ENCODING_AT] = DENSE;
    let registers = &mut dense[HDR_SIZE..];
    walk_sparse(&value[HDR_SIZE..], |first, op| {
        if let Op::Val { value, len } = op {
            for index in first..first + len {
                dense_set(registers, index, value);
            }
        }
    })?;
    Ok(dense)
}

/// Makes a sparse value dense in place; `Corrupted` leaves it unchanged.
pub fn to_dense(value: &mut Vec<u8>) -> Result<(), Corrupted> {
    if value[ENCODING_AT] == DENSE {
        return Ok(());
    }
    *value = sparse_to_dense(value)?;
    Ok(())
}

/// Raises register `index` of a sparse value to `count` if it is lower (`hllSparseSet`),
/// splitting the opcode that covers it and merging equal VAL neighbours after, exactly as
/// Redis does. Makes the value dense when `count` does not fit a VAL opcode or when the value
/// would grow past `max_bytes`. Whether a register changed; `Corrupted` when the opcodes do
/// not cover `index`, or do not decode on the way to dense (the value is then unchanged).
pub fn sparse_raise(
    value: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: u64,
) -> Result<bool, Corrupted> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(value, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let mut end = value.len();
    let (mut p, mut first, mut span) = (HDR_SIZE, 0usize, 0usize);
    let mut prev = None;
    while p < end {
        let op = value[p];
        let mut oplen = 1;
        span = if is_zero(op) {
            zero_len(op)
        } else if is_val(op) {
            val_len(op)
        } else {
            oplen = 2;
            xzero_len(op, byte_at(value, p + 1))
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupted);
    }
    let op = value[p];
    let next = if is_xzero(op) { p + 2 } else { p + 1 };
    let next = (next < end).then_some(next);
    let runlen = span;

    // Room for the worst split (3 more bytes) and the bytes Redis may write past the end of a
    // truncated opcode; cut back to `end` when done.
    value.resize(end + 8, 0);
    'update: {
        // Step 2: the trivial cases.
        if is_val(op) {
            if val_value(op) >= count {
                value.truncate(end);
                return Ok(false);
            }
            if runlen == 1 {
                value[p] = val_op(count, 1);
                break 'update;
            }
        }
        if is_zero(op) && runlen == 1 {
            value[p] = val_op(count, 1);
            break 'update;
        }
        // The general case: split the opcode into up to three.
        let mut seq = [0u8; 5];
        let mut n = 0;
        let last = first + span - 1;
        fn push_zeros(seq: &mut [u8; 5], n: &mut usize, len: usize) {
            if len > SPARSE_ZERO_MAX_LEN {
                seq[*n..*n + 2].copy_from_slice(&xzero_op(len));
                *n += 2;
            } else {
                seq[*n] = zero_op(len);
                *n += 1;
            }
        }
        if !is_val(op) {
            if index != first {
                push_zeros(&mut seq, &mut n, index - first);
            }
            seq[n] = val_op(count, 1);
            n += 1;
            if index != last {
                push_zeros(&mut seq, &mut n, last - index);
            }
        } else {
            let current = val_value(op);
            if index != first {
                seq[n] = val_op(current, index - first);
                n += 1;
            }
            seq[n] = val_op(count, 1);
            n += 1;
            if index != last {
                seq[n] = val_op(current, last - index);
                n += 1;
            }
        }
        // Step 3: put the new sequence in place of the old opcode.
        let oldlen = if is_xzero(op) { 2 } else { 1 };
        let delta = n as isize - oldlen;
        if delta > 0 && (end as isize + delta) as u64 > max_bytes {
            value.truncate(end);
            return promote(value, index, count);
        }
        if delta != 0
            && let Some(next) = next
        {
            value.copy_within(next..end, (next as isize + delta) as usize);
        }
        value[p..p + n].copy_from_slice(&seq[..n]);
        end = (end as isize + delta) as usize;
    }

    // Step 4: merge VAL opcodes of equal value around the change, scanning up to 5 opcodes
    // from the previous one.
    let mut p = prev.unwrap_or(HDR_SIZE);
    let mut scan = 5;
    while p < end && scan > 0 {
        scan -= 1;
        let op = value[p];
        if is_xzero(op) {
            p += 2;
            continue;
        } else if is_zero(op) {
            p += 1;
            continue;
        }
        if p + 1 < end && is_val(value[p + 1]) {
            let v1 = val_value(op);
            let v2 = val_value(value[p + 1]);
            if v1 == v2 {
                let len = val_len(op) + val_len(value[p + 1]);
                if len <= SPARSE_VAL_MAX_LEN {
                    value[p + 1] = val_op(v1, len);
                    value.copy_within(p + 1..end + 1, p);
                    end -= 1;
                    continue;
                }
            }
        }
        p += 1;
    }
    value.truncate(end);
    invalidate_cache(value);
    Ok(true)
}

/// The promotion at the end of `hllSparseSet`: dense, then the register raised.
fn promote(value: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupted> {
    to_dense(value)?;
    let raised = dense_raise(&mut value[HDR_SIZE..], index, count);
    debug_assert!(raised, "a register needing promotion is raised");
    Ok(true)
}

/// Adds an element (`hllAdd`): whether a register changed. Does not touch the cached
/// cardinality of a dense value (the command invalidates it).
pub fn add(value: &mut Vec<u8>, element: &[u8], max_bytes: u64) -> Result<bool, Corrupted> {
    let (index, count) = pattern(element);
    match value[ENCODING_AT] {
        DENSE => Ok(dense_raise(&mut value[HDR_SIZE..], index, count)),
        SPARSE => sparse_raise(value, index, count, max_bytes),
        _ => Err(Corrupted),
    }
}

/// Raises `max[i]` to register `i` of `value` for every register (`hllMerge`). A sparse value
/// that does not decode is `Corrupted`, with `max` partly raised.
pub fn merge_into(max: &mut [u8; REGISTERS], value: &[u8]) -> Result<(), Corrupted> {
    if value[ENCODING_AT] == DENSE {
        let registers = &value[HDR_SIZE..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(registers, i));
        }
        return Ok(());
    }
    walk_sparse(&value[HDR_SIZE..], |first, op| {
        if let Op::Val { value, len } = op {
            for m in &mut max[first..first + len] {
                *m = (*m).max(value);
            }
        }
    })
}

/// Writes registers (one byte each) into a value's registers: dense ones raised, sparse ones
/// through [`sparse_raise`] (which may make it dense), as `PFMERGE` fills its destination.
pub fn raise_all(value: &mut Vec<u8>, max: &[u8; REGISTERS], max_bytes: u64) {
    for (index, &count) in max.iter().enumerate() {
        if count == 0 {
            continue;
        }
        if value[ENCODING_AT] == DENSE {
            dense_raise(&mut value[HDR_SIZE..], index, count);
        } else {
            // Redis ignores a failure here: the destination was checked while merging.
            let _ = sparse_raise(value, index, count, max_bytes);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Estimation.

/// The cardinality estimate of a value (`hllCount`); `Corrupted` for a sparse value that does
/// not decode.
pub fn count(value: &[u8]) -> Result<u64, Corrupted> {
    let mut histo = [0u32; 64];
    if value[ENCODING_AT] == DENSE {
        dense_histogram(&value[HDR_SIZE..], &mut histo);
    } else {
        walk_sparse(&value[HDR_SIZE..], |_, op| match op {
            Op::Zeros(len, _) => histo[0] += len as u32,
            Op::Val { value, len } => histo[value as usize] += len as u32,
        })?;
    }
    Ok(estimate(&histo))
}

/// The cardinality estimate of registers one byte each (`PFCOUNT` of several keys).
pub fn count_registers(registers: &[u8; REGISTERS]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in registers {
        histo[(r & 63) as usize] += 1;
    }
    estimate(&histo)
}

/// `hllSigma` (Ertl, "New cardinality estimation algorithms for HyperLogLog sketches").
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

/// `hllTau` (Ertl).
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        // `pow(1 - x, 2)`, which compilers turn into this product.
        z -= (1.0 - x) * (1.0 - x) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// Ertl's improved estimator over the register histogram, as `hllCount` computes it, down to
/// its conversions: `llroundl` into a double, then to `uint64_t` (an estimate past the range
/// of `long long`, from registers no element can produce, comes out as 2^63).
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau((m - histo[q + 1] as f64) / m);
    for j in (1..=q).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    let e = ALPHA_INF * m * m / z;
    // `llroundl` out of range is the "integer indefinite" value, LLONG_MIN.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let rounded = if (-TWO_63..TWO_63).contains(&e) {
        e.round() as i64
    } else {
        i64::MIN
    };
    (rounded as f64) as i64 as u64
}

// ---------------------------------------------------------------------------------------------
// Debugging.

/// A sparse value's opcodes as `PFDEBUG DECODE` prints them (`z:len`, `Z:len`, `v:value,len`),
/// without checking that they decode.
pub fn decode_sparse(value: &[u8]) -> String {
    use std::fmt::Write;
    let ops = &value[HDR_SIZE..];
    let mut out = String::new();
    let mut p = 0;
    while p < ops.len() {
        let op = ops[p];
        if is_zero(op) {
            let _ = write!(out, "z:{} ", zero_len(op));
            p += 1;
        } else if is_xzero(op) {
            let _ = write!(out, "Z:{} ", xzero_len(op, byte_at(ops, p + 1)));
            p += 2;
        } else {
            let _ = write!(out, "v:{},{} ", val_value(op), val_len(op));
            p += 1;
        }
    }
    out.trim_matches(' ').to_string()
}

/// Every register of a dense value, one byte each.
pub fn dense_registers(value: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let registers = &value[HDR_SIZE..];
    (0..REGISTERS).map(move |i| dense_get(registers, i))
}

/// `PFSELFTEST`: `cycles` rounds of random values written to and read back from every dense
/// register, then elements `1..=elements` (XORed with a random seed) added to a dense and a
/// sparse value at once, checking at 1, 10, 100… that small cardinalities stay sparse, that
/// both count the same, and that the estimate is within six standard errors. Redis runs 1000
/// cycles and 10,000,000 elements. The error text on failure.
pub fn self_test(
    rand: &mut impl FnMut() -> u32,
    cycles: u32,
    elements: u64,
    max_bytes: u64,
) -> Result<(), String> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..cycles {
        let registers = &mut dense[HDR_SIZE..];
        for (i, e) in expected.iter_mut().enumerate() {
            let r = (rand() & REGISTER_MAX) as u8;
            *e = r;
            dense_set(registers, i, r);
        }
        for (i, &e) in expected.iter().enumerate() {
            let got = dense_get(registers, i);
            if got != e {
                return Err(format!(
                    "TESTFAILED Register {i} should be {e} but is {got}"
                ));
            }
        }
    }

    dense[HDR_SIZE..].fill(0);
    let mut sparse = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint: u64 = 1;
    let seed = rand() as u64 | (rand() as u64) << 32;
    for j in 1..=elements {
        let element = (j ^ seed).to_ne_bytes();
        let (index, run) = pattern(&element);
        dense_raise(&mut dense[HDR_SIZE..], index, run);
        let _ = add(&mut sparse, &element, max_bytes);
        if j != checkpoint {
            continue;
        }
        if j < max_bytes / 2 && sparse[ENCODING_AT] != SPARSE {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let dense_count = count(&dense).unwrap_or(0);
        if Ok(dense_count) != count(&sparse) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64 - dense_count as i64).unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Registers of a value, one byte each, whatever its encoding.
    fn registers(value: &[u8]) -> Vec<u8> {
        let mut max = [0u8; REGISTERS];
        merge_into(&mut max, value).expect("decodes");
        max.to_vec()
    }

    /// A sparse value built from registers directly: each run as ZERO/XZERO or VAL opcodes,
    /// the longest each can be (not how Redis builds one, but a valid encoding).
    fn sparse_from(registers: &[u8]) -> Vec<u8> {
        let mut value = new_sparse();
        value.truncate(HDR_SIZE);
        let mut i = 0;
        while i < registers.len() {
            let r = registers[i];
            let mut run = 1;
            while i + run < registers.len() && registers[i + run] == r {
                run += 1;
            }
            let mut left = run;
            while left > 0 {
                let n = if r == 0 {
                    let n = left.min(SPARSE_XZERO_MAX_LEN);
                    if n > SPARSE_ZERO_MAX_LEN {
                        value.extend_from_slice(&xzero_op(n));
                    } else {
                        value.push(zero_op(n));
                    }
                    n
                } else {
                    let n = left.min(SPARSE_VAL_MAX_LEN);
                    value.push(val_op(r, n));
                    n
                };
                left -= n;
            }
            i += run;
        }
        value
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn patterns_and_bytes_match_redis() {
        // The register and count Redis 7.0.15's PFDEBUG GETREG shows after adding one element
        // (tails of 0, 1, 5, 0 and 5 bytes after whole words).
        assert_eq!(pattern(b"a"), (12711, 2));
        assert_eq!(pattern(b""), (5938, 2));
        assert_eq!(pattern(b"hello"), (9216, 1));
        assert_eq!(pattern(b"abcdefgh"), (1383, 1));
        assert_eq!(pattern(b"abcdefghijklm"), (9157, 1));
        // Elements computed backwards from the hash, to reach long runs (checked on Redis).
        assert_eq!(pattern(b"\x92\x57\x78\x35\x3c\x50\xf2\xf6"), (777, 40));
        assert_eq!(pattern(b"\xf4\x2f\xd7\x00\x8e\x52\x87\x12"), (5, 51));
        assert_eq!(pattern(b"\x34\x81\x74\xb2\x3c\xd8\x11\x4b"), (16383, 33));
        // PFADD h a b c, then PFCOUNT h, on Redis.
        let mut value = new_sparse();
        for e in [b"a", b"b", b"c"] {
            assert_eq!(add(&mut value, e, 3000), Ok(true));
        }
        assert_eq!(
            value,
            hex("48594c4c01000000000000000000008060f38050b1844bfb80425a")
        );
        let count = count(&value).unwrap();
        assert_eq!(count, 3);
        set_cached_count(&mut value, count);
        assert_eq!(
            value,
            hex("48594c4c01000000030000000000000060f38050b1844bfb80425a")
        );
        assert_eq!(murmur64a(b"", 0), 0);
        // The tail bytes of every length from 0 to 7 feed the hash.
        let hashes: std::collections::HashSet<u64> = (0..16)
            .map(|n| murmur64a(&b"abcdefghijklmnop"[..n], HASH_SEED))
            .collect();
        assert_eq!(hashes.len(), 16);
    }

    #[test]
    fn a_new_value_is_the_bytes_redis_creates() {
        let value = new_sparse();
        assert_eq!(
            value,
            b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
        );
        assert_eq!(check(&value), Some(Encoding::Sparse));
        assert_eq!(count(&value), Ok(0));
        assert_eq!(cached_count(&value), Some(0));
        assert_eq!(decode_sparse(&value), "Z:16384");
    }

    #[test]
    fn check_refuses_what_redis_refuses() {
        let dense = sparse_to_dense(&new_sparse()).unwrap();
        assert_eq!(dense.len(), DENSE_SIZE);
        assert_eq!(check(&dense), Some(Encoding::Dense));
        assert_eq!(check(&dense[..DENSE_SIZE - 1]), None);
        assert_eq!(check(b"HYLL"), None);
        let mut bad = new_sparse();
        bad[0] = b'h';
        assert_eq!(check(&bad), None);
        bad = new_sparse();
        bad[ENCODING_AT] = 2;
        assert_eq!(check(&bad), None);
        // A sparse value is accepted whatever its opcodes.
        let mut tail = new_sparse();
        tail.extend_from_slice(b"hello");
        assert_eq!(check(&tail), Some(Encoding::Sparse));
        assert_eq!(count(&tail), Err(Corrupted));
    }

    #[test]
    fn sparse_updates_split_and_merge_opcodes_as_redis_does() {
        let mut value = new_sparse();
        assert_eq!(sparse_raise(&mut value, 100, 3, 3000), Ok(true));
        assert_eq!(decode_sparse(&value), "Z:100 v:3,1 Z:16283");
        assert_eq!(sparse_raise(&mut value, 100, 2, 3000), Ok(false));
        assert_eq!(sparse_raise(&mut value, 101, 3, 3000), Ok(true));
        assert_eq!(decode_sparse(&value), "Z:100 v:3,2 Z:16282");
        assert_eq!(sparse_raise(&mut value, 99, 3, 3000), Ok(true));
        assert_eq!(decode_sparse(&value), "Z:99 v:3,3 Z:16282");
        assert_eq!(sparse_raise(&mut value, 0, 1, 3000), Ok(true));
        assert_eq!(decode_sparse(&value), "v:1,1 Z:98 v:3,3 Z:16282");
        assert_eq!(sparse_raise(&mut value, 16383, 32, 3000), Ok(true));
        assert_eq!(decode_sparse(&value), "v:1,1 Z:98 v:3,3 Z:16281 v:32,1");
        assert_eq!(sparse_raise(&mut value, 100, 5, 3000), Ok(true));
        assert_eq!(
            decode_sparse(&value),
            "v:1,1 Z:98 v:3,1 v:5,1 v:3,1 Z:16281 v:32,1"
        );
        assert_eq!(sparse_raise(&mut value, 5000, 33, 3000), Ok(true));
        assert_eq!(check(&value), Some(Encoding::Dense));
        let regs = registers(&value);
        assert_eq!(
            (regs[0], regs[99], regs[100], regs[5000], regs[16383]),
            (1, 3, 5, 33, 32)
        );
        assert_eq!(regs.iter().filter(|&&r| r != 0).count(), 6);
    }

    #[test]
    fn merging_stops_after_five_opcodes_as_in_redis() {
        // Unmerged VAL neighbours, as only a value written by hand has them (Redis 7.0.15
        // answers exactly these decodings): raising register 100 merges what lies within five
        // opcodes of the change, and no further.
        let mut value = hex("48594c4c010000000000000000000080406385849090907f95");
        assert_eq!(
            decode_sparse(&value),
            "Z:100 v:2,2 v:2,1 v:5,1 v:5,1 v:5,1 Z:16278"
        );
        let element = b"\x33\x83\x72\x47\x1f\x5e\x73\x97";
        assert_eq!(pattern(element), (100, 3));
        assert_eq!(add(&mut value, element, 3000), Ok(true));
        assert_eq!(
            decode_sparse(&value),
            "Z:100 v:3,1 v:2,2 v:5,2 v:5,1 Z:16278"
        );
    }

    #[test]
    fn sparse_growth_past_the_limit_goes_dense() {
        let mut value = new_sparse();
        let mut index = 0;
        while check(&value) == Some(Encoding::Sparse) {
            // Every other register: each update adds opcodes.
            sparse_raise(&mut value, index, 1 + (index % 7) as u8, 40).unwrap();
            assert!(check(&value) == Some(Encoding::Dense) || value.len() <= 40);
            index += 2;
        }
        assert_eq!(value.len(), DENSE_SIZE);
    }

    #[test]
    fn corrupted_sparse_values_are_detected() {
        // Runs past the last register, in each opcode.
        let mut long = new_sparse();
        long.push(0x00);
        assert_eq!(count(&long), Err(Corrupted));
        assert_eq!(sparse_to_dense(&long), Err(Corrupted));
        let mut max = [0u8; REGISTERS];
        assert_eq!(merge_into(&mut max, &long), Err(Corrupted));
        // Too short: the last registers are not covered.
        let mut short = new_sparse();
        short.truncate(HDR_SIZE);
        short.extend_from_slice(&xzero_op(16000));
        assert_eq!(count(&short), Err(Corrupted));
        assert_eq!(sparse_raise(&mut short, 16100, 1, 3000), Err(Corrupted));
        assert_eq!(sparse_raise(&mut short, 100, 40, 3000), Err(Corrupted));
        assert_eq!(short.len(), HDR_SIZE + 2, "unchanged on error");
        // But an update the opcodes cover succeeds, as in Redis.
        assert_eq!(sparse_raise(&mut short, 100, 1, 3000), Ok(true));
        // An XZERO cut by the end reads the terminator as its low byte.
        let mut cut = new_sparse();
        cut.truncate(HDR_SIZE);
        cut.push(0x40 | 0x3f);
        assert_eq!(decode_sparse(&cut), "Z:16129");
        assert_eq!(count(&cut), Err(Corrupted));
    }

    #[test]
    fn estimates_of_extreme_registers_match_redis() {
        let mut dense = sparse_to_dense(&new_sparse()).unwrap();
        assert_eq!(count(&dense), Ok(0));
        // Every register 63: the estimate overflows `long long`, and Redis answers LLONG_MIN.
        dense[HDR_SIZE..].fill(0xff);
        assert_eq!(count(&dense).unwrap() as i64, i64::MIN);
    }

    #[test]
    fn self_test_passes_on_fewer_elements() {
        let mut rng = fastrand::Rng::with_seed(1);
        let mut rand = || rng.u32(..);
        assert_eq!(self_test(&mut rand, 3, 100_000, 3000), Ok(()));
    }

    fn elements() -> impl Strategy<Value = Vec<Vec<u8>>> {
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..400)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn sparse_and_dense_count_the_same(items in elements(), max_bytes in 20u64..4000) {
            let mut sparse = new_sparse();
            let mut dense = sparse_to_dense(&new_sparse()).unwrap();
            for item in &items {
                let a = add(&mut sparse, item, max_bytes).unwrap();
                let b = add(&mut dense, item, max_bytes).unwrap();
                prop_assert_eq!(a, b, "both change a register or neither does");
                if check(&sparse) == Some(Encoding::Sparse) {
                    prop_assert!(sparse.len() as u64 <= max_bytes.max(18));
                }
            }
            prop_assert_eq!(registers(&sparse), registers(&dense));
            prop_assert_eq!(count(&sparse), count(&dense));
            let mut converted = sparse.clone();
            to_dense(&mut converted).unwrap();
            prop_assert_eq!(&converted[HDR_SIZE..], &dense[HDR_SIZE..]);
        }

        #[test]
        fn merge_is_adding_the_union(
            a in elements(),
            b in elements(),
            max_bytes in 20u64..4000,
        ) {
            let (mut ha, mut hb, mut hu) = (new_sparse(), new_sparse(), new_sparse());
            for item in &a {
                add(&mut ha, item, max_bytes).unwrap();
                add(&mut hu, item, max_bytes).unwrap();
            }
            for item in &b {
                add(&mut hb, item, max_bytes).unwrap();
                add(&mut hu, item, max_bytes).unwrap();
            }
            let mut max = [0u8; REGISTERS];
            merge_into(&mut max, &ha).unwrap();
            merge_into(&mut max, &hb).unwrap();
            prop_assert_eq!(&max[..], &registers(&hu)[..]);
            prop_assert_eq!(count_registers(&max), count(&hu).unwrap());
            let mut merged = new_sparse();
            raise_all(&mut merged, &max, max_bytes);
            prop_assert_eq!(registers(&merged), registers(&hu));
        }

        #[test]
        fn encodings_round_trip(regs in proptest::collection::vec(
            prop_oneof![24 => Just(0u8), 1 => 1u8..=32], REGISTERS..=REGISTERS)) {
            let sparse = sparse_from(&regs);
            prop_assert_eq!(check(&sparse), Some(Encoding::Sparse));
            prop_assert_eq!(&registers(&sparse), &regs);
            let dense = sparse_to_dense(&sparse).unwrap();
            prop_assert_eq!(check(&dense), Some(Encoding::Dense));
            prop_assert_eq!(dense_registers(&dense).collect::<Vec<_>>(), regs.clone());
            prop_assert_eq!(count(&sparse), count(&dense));
            let mut rebuilt = new_sparse();
            let max: [u8; REGISTERS] = regs.clone().try_into().unwrap();
            raise_all(&mut rebuilt, &max, u64::MAX);
            prop_assert_eq!(check(&rebuilt), Some(Encoding::Sparse));
            prop_assert_eq!(&registers(&rebuilt), &regs);
        }

        #[test]
        fn dense_registers_keep_their_neighbours(index in 0usize..REGISTERS, value in 0u8..64) {
            let mut regs = vec![0u8; REGISTERS * BITS / 8];
            let mut rng = fastrand::Rng::with_seed(index as u64);
            for b in regs.iter_mut() { *b = rng.u8(..); }
            let before: Vec<u8> = (0..REGISTERS).map(|i| dense_get(&regs, i)).collect();
            dense_set(&mut regs, index, value);
            for (i, &b) in before.iter().enumerate() {
                let want = if i == index { value } else { b };
                prop_assert_eq!(dense_get(&regs, i), want);
            }
        }

        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200),
                                 index in 0usize..REGISTERS, c in 1u8..52) {
            let mut value = new_sparse();
            value.truncate(HDR_SIZE);
            value.extend_from_slice(&bytes);
            let _ = count(&value);
            let _ = decode_sparse(&value);
            let mut max = [0u8; REGISTERS];
            let _ = merge_into(&mut max, &value);
            let _ = sparse_raise(&mut value, index, c, 3000);
        }
    }
}
