//! The RDB format's primitives on the reading side, over any `Read`: every read knows its
//! offset, so a damaged file is reported where it is damaged, and a length read from the file
//! never allocates more than the bytes actually there.

use std::io::{self, Read};

use super::{CRC64, ENC_INT8, ENC_INT16, ENC_INT32, ENC_LZF};

/// What went wrong while reading, and where.
#[derive(Debug)]
pub struct ReadError {
    pub offset: u64,
    pub message: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

pub type ReadResult<T> = Result<T, ReadError>;

/// A length as the format stores it: a plain number, or the marker of a specially encoded
/// string (an integer or an LZF blob).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    Plain(u64),
    Encoded(u8),
}

/// Reads RDB primitives from `input`, keeping the running CRC-64 of what it read.
pub struct RdbReader<R: Read> {
    input: R,
    offset: u64,
    crc: crc::Digest<'static, u64, crc::Table<16>>,
}

impl<R: Read> RdbReader<R> {
    pub fn new(input: R) -> RdbReader<R> {
        RdbReader {
            input,
            offset: 0,
            crc: CRC64.digest(),
        }
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// An error at the current offset.
    pub fn error<T>(&self, message: impl Into<String>) -> ReadResult<T> {
        Err(ReadError {
            offset: self.offset,
            message: message.into(),
        })
    }

    fn io_error<T>(&self, e: io::Error) -> ReadResult<T> {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            self.error("unexpected end of file")
        } else {
            self.error(format!("read error: {e}"))
        }
    }

    pub fn exact<const N: usize>(&mut self) -> ReadResult<[u8; N]> {
        let mut buf = [0u8; N];
        if let Err(e) = self.input.read_exact(&mut buf) {
            return self.io_error(e);
        }
        self.crc.update(&buf);
        self.offset += N as u64;
        Ok(buf)
    }

    pub fn byte(&mut self) -> ReadResult<u8> {
        Ok(self.exact::<1>()?[0])
    }

    /// `len` bytes, read in steps so that a damaged length cannot reserve memory the file
    /// does not back.
    pub fn bytes(&mut self, len: u64) -> ReadResult<Vec<u8>> {
        const STEP: u64 = 1 << 20;
        let mut out = Vec::with_capacity(len.min(STEP) as usize);
        let got = match (&mut self.input).take(len).read_to_end(&mut out) {
            Ok(n) => n as u64,
            Err(e) => return self.io_error(e),
        };
        self.crc.update(&out);
        self.offset += got;
        if got < len {
            return self.error("unexpected end of file");
        }
        Ok(out)
    }

    /// A length or a string-encoding marker (`rdbLoadLenByRef`).
    pub fn len_or_encoding(&mut self) -> ReadResult<Len> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => Len::Plain((first & 0x3F) as u64),
            1 => Len::Plain((((first & 0x3F) as u64) << 8) | self.byte()? as u64),
            3 => Len::Encoded(first & 0x3F),
            _ => match first {
                0x80 => Len::Plain(u32::from_be_bytes(self.exact()?) as u64),
                0x81 => Len::Plain(u64::from_be_bytes(self.exact()?)),
                _ => return self.error(format!("unknown length encoding {first:#04x}")),
            },
        })
    }

    /// A plain length; an encoded-string marker here is damage.
    pub fn length(&mut self) -> ReadResult<u64> {
        match self.len_or_encoding()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => self.error("a string encoding where a length belongs"),
        }
    }

    /// A string in any of its encodings (`rdbGenericLoadStringObject`).
    pub fn string(&mut self) -> ReadResult<Vec<u8>> {
        match self.len_or_encoding()? {
            Len::Plain(n) => self.bytes(n),
            Len::Encoded(enc) => {
                if let Some(v) = self.encoded_int(enc)? {
                    return Ok(itoa::Buffer::new().format(v).as_bytes().to_vec());
                }
                self.lzf()
            }
        }
    }

    /// The integer of an integer-encoded string, or `None` for an LZF marker.
    fn encoded_int(&mut self, enc: u8) -> ReadResult<Option<i64>> {
        Ok(Some(match enc {
            ENC_INT8 => i8::from_le_bytes(self.exact()?) as i64,
            ENC_INT16 => i16::from_le_bytes(self.exact()?) as i64,
            ENC_INT32 => i32::from_le_bytes(self.exact()?) as i64,
            ENC_LZF => return Ok(None),
            _ => return self.error(format!("unknown string encoding {enc}")),
        }))
    }

    fn lzf(&mut self) -> ReadResult<Vec<u8>> {
        let compressed_len = self.length()?;
        let original_len = self.length()?;
        let compressed = self.bytes(compressed_len)?;
        if original_len == 0 {
            return self.error("LZF string of length 0");
        }
        // A damaged header cannot make the output outgrow what LZF can expand to.
        if original_len > compressed_len.saturating_mul(300).saturating_add(64) {
            return self.error("LZF string longer than its data can expand to");
        }
        match lzf::decompress(&compressed, original_len as usize) {
            Ok(out) if out.len() as u64 == original_len => Ok(out),
            _ => self.error("invalid LZF compressed string"),
        }
    }

    /// 8 little-endian bytes of milliseconds.
    pub fn millis(&mut self) -> ReadResult<u64> {
        Ok(u64::from_le_bytes(self.exact()?))
    }

    /// 4 little-endian bytes of seconds (the old `EXPIRETIME` opcode).
    pub fn seconds(&mut self) -> ReadResult<u32> {
        Ok(u32::from_le_bytes(self.exact()?))
    }

    pub fn binary_double(&mut self) -> ReadResult<f64> {
        Ok(f64::from_le_bytes(self.exact()?))
    }

    /// A double as text with a one-byte length (`rdbLoadDoubleValue`); 253, 254 and 255 mean
    /// NaN, +inf and -inf.
    pub fn text_double(&mut self) -> ReadResult<f64> {
        let len = self.byte()?;
        match len {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let text = self.bytes(len as u64)?;
                match std::str::from_utf8(&text).ok().and_then(|t| t.parse().ok()) {
                    Some(v) => Ok(v),
                    None => self.error("invalid double value"),
                }
            }
        }
    }

    /// The checksum of everything read so far.
    pub fn checksum(&self) -> u64 {
        self.crc.clone().finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::write::RdbWriter;

    #[test]
    fn what_the_writer_writes_reads_back() {
        let mut w = RdbWriter::new(Vec::new(), true, true);
        for len in [0u64, 63, 64, 16383, 16384, u32::MAX as u64 + 1] {
            w.length(len).unwrap();
        }
        let strings: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"-1".to_vec(),
            b"2147483647".to_vec(),
            b"01".to_vec(),
            vec![b'z'; 1000],
            (0..200u32).map(|i| (i * 7 % 251) as u8).collect(),
        ];
        for s in &strings {
            w.string(s).unwrap();
        }
        w.millis(1_700_000_000_123).unwrap();
        w.binary_double(-0.5).unwrap();
        let crc = w.checksum();
        let out = w.into_inner();
        let mut r = RdbReader::new(&out[..]);
        for len in [0u64, 63, 64, 16383, 16384, u32::MAX as u64 + 1] {
            assert_eq!(r.length().unwrap(), len);
        }
        for s in &strings {
            assert_eq!(&r.string().unwrap(), s);
        }
        assert_eq!(r.millis().unwrap(), 1_700_000_000_123);
        assert_eq!(r.binary_double().unwrap(), -0.5);
        assert_eq!(r.checksum(), crc);
        assert_eq!(r.offset(), out.len() as u64);
    }

    #[test]
    fn a_huge_length_on_a_short_file_is_an_error_not_an_allocation() {
        let data = [0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, b'a'];
        let mut r = RdbReader::new(&data[..]);
        let err = r.string().unwrap_err();
        assert_eq!(err.message, "unexpected end of file");
        assert_eq!(err.offset, 10);
    }

    #[test]
    fn text_doubles_have_their_special_lengths() {
        let data = [253, 254, 255, 3, b'1', b'.', b'5'];
        let mut r = RdbReader::new(&data[..]);
        assert!(r.text_double().unwrap().is_nan());
        assert_eq!(r.text_double().unwrap(), f64::INFINITY);
        assert_eq!(r.text_double().unwrap(), f64::NEG_INFINITY);
        assert_eq!(r.text_double().unwrap(), 1.5);
    }
}
