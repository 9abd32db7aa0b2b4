//! The RDB format's primitives on the writing side: lengths, strings (integer-encoded,
//! LZF-compressed or plain, as Redis's `rdbSaveRawString` chooses), expire times, binary
//! doubles, and the CRC-64 of everything written, which ends the file.

use std::io::{self, Write};

use super::{CRC64, ENC_INT8, ENC_INT16, ENC_INT32, ENC_LZF};
use crate::util::parse_i64;

/// A writer that keeps Redis's CRC-64 of everything written through it, computed a buffer at
/// a time with the SIMD `crc-fast` (ten times the table-driven `crc` on long runs; the
/// `RdbWriter`'s own checksum sees a few bytes per call).
pub struct Crc64Writer<W: Write> {
    inner: W,
    crc: crc_fast::Digest,
}

impl<W: Write> Crc64Writer<W> {
    pub fn new(inner: W) -> Crc64Writer<W> {
        Crc64Writer {
            inner,
            crc: crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Redis),
        }
    }

    /// The checksum so far, and the writer.
    pub fn into_parts(self) -> (u64, W) {
        (self.crc.finalize(), self.inner)
    }
}

impl<W: Write> Write for Crc64Writer<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.crc.update(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes RDB primitives to `out`, keeping the running CRC-64 when checksums are on.
pub struct RdbWriter<W: Write> {
    out: W,
    crc: Option<crc::Digest<'static, u64, crc::Table<16>>>,
    compression: bool,
    written: u64,
    /// LZF's hash table, kept for the whole stream.
    lzf: super::lzf::Compressor,
    /// With compression deferred (`defer_compression`): told where each string that may be
    /// compressed starts in the stream, and its length. Such a string is written as its bare
    /// bytes, to be finished by `compressed_or_plain` in another writer.
    defer: Option<fn(&mut W, u64, u32)>,
}

impl<W: Write> RdbWriter<W> {
    /// `checksum` is `rdbchecksum` (without it the trailer is zero), `compression`
    /// `rdbcompression`.
    pub fn new(out: W, checksum: bool, compression: bool) -> RdbWriter<W> {
        RdbWriter {
            out,
            crc: checksum.then(|| CRC64.digest()),
            compression,
            written: 0,
            lzf: super::lzf::Compressor::new(),
            defer: None,
        }
    }

    /// Leaves the compression of long strings to a later writer: each is written as its bare
    /// bytes, after `defer` is told its stream offset and length. A background save does this
    /// so LZF, most of a save's work, runs off the command thread.
    pub fn defer_compression(&mut self, defer: fn(&mut W, u64, u32)) {
        if self.compression {
            self.defer = Some(defer);
        }
    }

    /// The output.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Some(crc) = &mut self.crc {
            crc.update(bytes);
        }
        self.written += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    pub fn byte(&mut self, b: u8) -> io::Result<()> {
        self.raw(&[b])
    }

    /// A length (`rdbSaveLen`): 6, 14, 32 or 64 bits, the longer ones big-endian.
    pub fn length(&mut self, len: u64) -> io::Result<()> {
        if len < 1 << 6 {
            self.byte(len as u8)
        } else if len < 1 << 14 {
            self.raw(&[0x40 | (len >> 8) as u8, len as u8])
        } else if len <= u32::MAX as u64 {
            let mut buf = [0x80, 0, 0, 0, 0];
            buf[1..].copy_from_slice(&(len as u32).to_be_bytes());
            self.raw(&buf)
        } else {
            let mut buf = [0x81, 0, 0, 0, 0, 0, 0, 0, 0];
            buf[1..].copy_from_slice(&len.to_be_bytes());
            self.raw(&buf)
        }
    }

    /// A string as `rdbSaveRawString` writes it: a canonical integer of at most 11 bytes
    /// that fits 32 bits as an integer, else LZF when compression is on, the string is over
    /// 20 bytes and LZF saves at least 4, else the bytes with their length.
    pub fn string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11
            && let Some(v) = parse_i64(s)
            && self.try_int(v)?
        {
            return Ok(());
        }
        // Set only with compression on.
        if let Some(defer) = self.defer
            && s.len() > 20
            && let Ok(len) = u32::try_from(s.len())
        {
            defer(&mut self.out, self.written, len);
            return self.raw(s);
        }
        self.compressed_or_plain(s)
    }

    /// A string that `string` would not write as an integer: LZF-compressed when compression
    /// is on, it is over 20 bytes and LZF saves at least 4, else plain. Finishes a string
    /// whose compression was deferred.
    pub fn compressed_or_plain(&mut self, s: &[u8]) -> io::Result<()> {
        if self.compression && s.len() > 20 && self.try_lzf(s)? {
            return Ok(());
        }
        self.length(s.len() as u64)?;
        self.raw(s)
    }

    /// An integer string value (`rdbSaveLongLongAsStringObject`): integer-encoded when it
    /// fits 32 bits, else its decimal digits.
    pub fn int_string(&mut self, v: i64) -> io::Result<()> {
        if self.try_int(v)? {
            return Ok(());
        }
        let mut buf = itoa::Buffer::new();
        let digits = buf.format(v).as_bytes();
        self.length(digits.len() as u64)?;
        self.raw(digits)
    }

    /// Writes `v` in the shortest integer encoding if one fits (`rdbEncodeInteger`).
    fn try_int(&mut self, v: i64) -> io::Result<bool> {
        const ENC: u8 = 0xC0;
        if let Ok(b) = i8::try_from(v) {
            self.raw(&[ENC | ENC_INT8, b as u8])?;
        } else if let Ok(h) = i16::try_from(v) {
            let [a, b] = h.to_le_bytes();
            self.raw(&[ENC | ENC_INT16, a, b])?;
        } else if let Ok(w) = i32::try_from(v) {
            let [a, b, c, d] = w.to_le_bytes();
            self.raw(&[ENC | ENC_INT32, a, b, c, d])?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// LZF-compresses `s` if liblzf, bounded at 4 bytes less than `s`, succeeds
    /// (`rdbSaveLzfStringObject`).
    fn try_lzf(&mut self, s: &[u8]) -> io::Result<bool> {
        let Some(compressed) = self.lzf.compress(s, s.len() - 4) else {
            return Ok(false);
        };
        self.lzf_blob(&compressed, s.len())?;
        Ok(true)
    }

    /// An LZF blob (`rdbSaveLzfBlob`): the marker, compressed and original lengths, data.
    fn lzf_blob(&mut self, compressed: &[u8], original: usize) -> io::Result<()> {
        self.byte(0xC0 | ENC_LZF)?;
        self.length(compressed.len() as u64)?;
        self.length(original as u64)?;
        self.raw(compressed)
    }

    /// Milliseconds as 8 little-endian bytes (`rdbSaveMillisecondTime`).
    pub fn millis(&mut self, ms: u64) -> io::Result<()> {
        self.raw(&ms.to_le_bytes())
    }

    /// A double as its 8 IEEE-754 bytes, little-endian (`rdbSaveBinaryDoubleValue`).
    pub fn binary_double(&mut self, v: f64) -> io::Result<()> {
        self.raw(&v.to_le_bytes())
    }

    /// Writes the checksum trailer (zero when checksums are off) and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        let crc = self.crc.take().map_or(0, |d| d.finalize());
        self.raw(&crc.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// The checksum of everything written so far (zero when checksums are off).
    pub fn checksum(&self) -> u64 {
        self.crc.as_ref().map_or(0, |d| d.clone().finalize())
    }

    /// The output, for callers that add their own trailer (DUMP's payload).
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut RdbWriter<&mut Vec<u8>>)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = RdbWriter::new(&mut out, false, true);
        f(&mut w);
        out
    }

    #[test]
    fn lengths_use_redis_widths() {
        assert_eq!(written(|w| w.length(63).unwrap()), [63]);
        assert_eq!(written(|w| w.length(64).unwrap()), [0x40, 64]);
        assert_eq!(written(|w| w.length(16383).unwrap()), [0x7f, 0xff]);
        assert_eq!(written(|w| w.length(16384).unwrap()), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(
            written(|w| w.length(1 << 32).unwrap()),
            [0x81, 0, 0, 0, 1, 0, 0, 0, 0]
        );
    }

    #[test]
    fn strings_choose_integer_lzf_or_plain() {
        assert_eq!(written(|w| w.string(b"12").unwrap()), [0xC0, 12]);
        assert_eq!(written(|w| w.string(b"-300").unwrap()), [0xC1, 0xd4, 0xfe]);
        assert_eq!(
            written(|w| w.string(b"100000").unwrap()),
            [0xC2, 0xa0, 0x86, 0x01, 0x00]
        );
        // Not canonical, or too wide for 32 bits: plain.
        assert_eq!(
            written(|w| w.string(b"012").unwrap()),
            [3, b'0', b'1', b'2']
        );
        assert_eq!(written(|w| w.string(b"4294967296").unwrap())[0], 10);
        assert_eq!(written(|w| w.int_string(4294967296).unwrap())[0], 10);
        // Compressible and long enough: LZF, and it decompresses back.
        let long = vec![b'a'; 100];
        let out = written(|w| w.string(&long).unwrap());
        assert_eq!(out[0], 0xC3);
        let clen = out[1] as usize;
        assert_eq!(out[2..4], [0x40, 100]); // the original length, in 14 bits
        assert_eq!(out.len(), 4 + clen);
        assert_eq!(lzf::decompress(&out[4..], 100).unwrap(), long);
        // Incompressible: plain.
        let noise: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(97) ^ 0x5a).collect();
        assert_eq!(written(|w| w.string(&noise).unwrap())[0], 40);
        // Compression off: plain.
        let mut out = Vec::new();
        RdbWriter::new(&mut out, false, false)
            .string(&long)
            .unwrap();
        assert_eq!(out[..2], [0x40, 100]);
        assert_eq!(&out[2..], &long[..]);
    }

    #[test]
    fn the_buffer_checksum_is_the_writer_s() {
        let data: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let mut w = Crc64Writer::new(Vec::new());
        for piece in data.chunks(777) {
            w.write_all(piece).unwrap();
        }
        let (crc, out) = w.into_parts();
        assert_eq!(out, data);
        assert_eq!(crc, CRC64.checksum(&data));
        let mut check = Crc64Writer::new(io::sink());
        check.write_all(b"123456789").unwrap();
        assert_eq!(check.into_parts().0, 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn the_trailer_is_redis_crc64() {
        let mut w = RdbWriter::new(Vec::new(), true, true);
        w.raw(b"123456789").unwrap();
        assert_eq!(w.checksum(), 0xe9c6d914c4b8d9ca);
        let out = w.finish().unwrap();
        assert_eq!(&out[9..], &0xe9c6d914c4b8d9cau64.to_le_bytes());
    }
}
