//! Redis's quoted representation of bytes (`sdscatrepr`) and the test for whether a string
//! needs it (`sdsneedsrepr`).

use std::fmt;

use crate::Sds;

/// C's `isprint` in the C locale.
fn is_print(byte: u8) -> bool {
    (0x20..=0x7e).contains(&byte)
}

/// The escape for one byte inside a quoted representation, or `None` if it stands for itself.
fn escape(byte: u8) -> Option<&'static str> {
    Some(match byte {
        b'\\' => "\\\\",
        b'"' => "\\\"",
        b'\n' => "\\n",
        b'\r' => "\\r",
        b'\t' => "\\t",
        b'\x07' => "\\a",
        b'\x08' => "\\b",
        _ => return None,
    })
}

/// Writes `bytes` quoted and escaped as `sdscatrepr` does: `"`, printable bytes as themselves,
/// `\\ \" \n \r \t \a \b`, every other byte as `\xHH` (lower-case hex), `"`.
pub(crate) fn write_repr(out: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    out.write_char('"')?;
    for &byte in bytes {
        match escape(byte) {
            Some(escaped) => out.write_str(escaped)?,
            None if is_print(byte) => out.write_char(byte as char)?,
            None => write!(out, "\\x{byte:02x}")?,
        }
    }
    out.write_char('"')
}

impl Sds {
    /// Appends Redis's quoted representation of `bytes` (`sdscatrepr`); `split_args` reads it
    /// back as one token equal to `bytes`.
    pub fn cat_repr(&mut self, bytes: &[u8]) {
        // Writing into an Sds cannot fail.
        let _ = write_repr(self, bytes);
    }

    /// Whether the string contains bytes that `split_args` would not read back as one bare
    /// token: backslash, double quote, control or non-printable bytes, or blanks
    /// (`sdsneedsrepr`).
    pub fn needs_repr(&self) -> bool {
        self.iter().any(|&b| {
            b == b'\\' || b == b'"' || !is_print(b) || matches!(b, b' ' | b'\t' | b'\n' | b'\r')
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_escapes_like_redis() {
        let mut s = Sds::empty();
        s.cat_repr(b"\x07\n\x00foo\r\t\x08\\\"\x7f\xff ok");
        assert_eq!(s, "\"\\a\\n\\x00foo\\r\\t\\b\\\\\\\"\\x7f\\xff ok\"");
        assert_eq!(format!("{:?}", Sds::from("a\"b")), "\"a\\\"b\"");
    }

    #[test]
    fn needs_repr_flags_what_split_args_would_change() {
        assert!(!Sds::from("plain-token_1").needs_repr());
        for s in ["a b", "a\"b", "a\\b", "a\nb", "\x01", "\x7f", "\u{e9}"] {
            assert!(Sds::from(s).needs_repr(), "{s:?}");
        }
    }
}
