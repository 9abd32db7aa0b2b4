//! Redis's small parsing and formatting rules that replies depend on byte for byte: strict
//! integers (`string2ll`), glob patterns (`stringmatchlen`), and `%.17g` doubles; plus the
//! longest common subsequence and x87 `long double` arithmetic behind LCS and INCRBYFLOAT.

pub mod descriptors;
pub mod lcs;
pub mod longdouble;
pub mod pqsort;
pub mod slot;
pub mod strtod;
pub mod varint;

/// C's `atoi`/`atoll` as the AOF files are read with them: leading blanks, an optional sign,
/// digits; anything after ends the number (0 when there are none). Saturates on overflow.
pub fn c_atoi(text: &[u8]) -> i64 {
    let text = text.trim_ascii_start();
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    for &b in digits.iter().take_while(|b| b.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add((b - b'0') as i64);
    }
    if negative { -value } else { value }
}

/// Parses a signed 64-bit integer as Redis's `string2ll` does: an optional `-`, then digits
/// with no leading zero (except `0` itself), nothing else, at most 20 bytes.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut value: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    if negative {
        if value > i64::MAX as u64 + 1 {
            return None;
        }
        Some((value as i64).wrapping_neg())
    } else {
        i64::try_from(value).ok()
    }
}

/// Parses an unsigned 64-bit integer with the same strictness as [`parse_i64`].
pub fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 20 || bytes[0] == b'-' {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    if !matches!(bytes[0], b'1'..=b'9') {
        return None;
    }
    let mut value: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(value)
}

/// Whether `string` matches the glob `pattern` (Redis's `stringmatchlen`): `*`, `?`, `[...]`
/// with `^` negation and `a-z` ranges (reversed ranges allowed), and `\` escapes.
///
/// Backtracking only to the last `*` keeps matching linear in practice, where Redis's
/// recursion needs a nesting limit against patterns like `a*a*a*…b`. That limit is still
/// observable: a pattern with more than 1000 `*` groups before its end matches nothing in
/// Redis (each group is one level of recursion, and every match goes through all of them), so
/// it matches nothing here either.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if inner_star_groups(pattern) > GLOB_NESTING_LIMIT {
        return false;
    }
    let fold = |c: u8| if nocase { c.to_ascii_lowercase() } else { c };
    let (mut p, mut s) = (0, 0);
    // Where to resume after the last `*`: (pattern index after the star, string index).
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    backtrack = Some((p, s));
                    continue;
                }
                _ if s < string.len() => {
                    if let Some(next) = match_one(pattern, p, string[s], fold) {
                        p = next;
                        s += 1;
                        continue;
                    }
                }
                _ => {}
            }
        } else if s == string.len() {
            return true;
        }
        // Mismatch: let the last star swallow one more byte, if there is one.
        match backtrack {
            Some((star_p, star_s)) if star_s < string.len() => {
                backtrack = Some((star_p, star_s + 1));
                p = star_p;
                s = star_s + 1;
            }
            _ => return false,
        }
    }
}

/// Matches one pattern element at `p` (not `*`) against byte `c`; returns the index after the
/// element on a match.
fn match_one(pattern: &[u8], mut p: usize, c: u8, fold: impl Fn(u8) -> u8) -> Option<usize> {
    match pattern[p] {
        b'?' => Some(p + 1),
        b'[' => {
            p += 1;
            let negate = pattern.get(p) == Some(&b'^');
            if negate {
                p += 1;
            }
            let mut matched = false;
            loop {
                match pattern.get(p) {
                    // An unterminated class ends with the pattern.
                    None => break,
                    Some(b']') => {
                        p += 1;
                        break;
                    }
                    Some(b'\\') if p + 1 < pattern.len() => {
                        matched |= pattern[p + 1] == c;
                        p += 2;
                    }
                    Some(&start) if p + 2 < pattern.len() && pattern[p + 1] == b'-' => {
                        let end = pattern[p + 2];
                        let (lo, hi) = if start > end {
                            (end, start)
                        } else {
                            (start, end)
                        };
                        let (lo, hi, c) = (fold(lo), fold(hi), fold(c));
                        matched |= lo <= c && c <= hi;
                        p += 3;
                    }
                    Some(&single) => {
                        matched |= fold(single) == fold(c);
                        p += 1;
                    }
                }
            }
            (matched != negate).then_some(p)
        }
        b'\\' if p + 1 < pattern.len() => (fold(pattern[p + 1]) == fold(c)).then_some(p + 2),
        literal => (fold(literal) == fold(c)).then_some(p + 1),
    }
}

/// Redis's `stringmatchlen` gives up past this depth of `*` recursion.
const GLOB_NESTING_LIMIT: usize = 1000;

/// `*` groups that are followed by more pattern, read as `stringmatchlen` reads the pattern
/// (escapes and `[...]` classes hold no star).
fn inner_star_groups(pattern: &[u8]) -> usize {
    let mut groups = 0;
    let mut p = 0;
    while p < pattern.len() {
        match pattern[p] {
            b'*' => {
                while p < pattern.len() && pattern[p] == b'*' {
                    p += 1;
                }
                if p < pattern.len() {
                    groups += 1;
                }
                continue;
            }
            b'\\' => p += 2,
            b'[' => {
                p += 1;
                if pattern.get(p) == Some(&b'^') {
                    p += 1;
                }
                while p < pattern.len() && pattern[p] != b']' {
                    p += if pattern[p] == b'\\' { 2 } else { 1 };
                }
                p += 1;
            }
            _ => p += 1,
        }
    }
    groups
}

/// Formats a double as C's `printf("%.17g")` (Redis's `addReplyDouble`), with `inf`/`-inf`
/// and `nan` spelled as glibc spells them.
pub fn format_double(value: f64) -> String {
    format_g(value, 17)
}

/// C's `%.<precision>g`: `precision` significant digits, scientific notation when the exponent
/// is below -4 or at least `precision`, trailing zeros removed.
pub fn format_g(value: f64, precision: usize) -> String {
    if value.is_nan() {
        return if value.is_sign_negative() {
            "-nan"
        } else {
            "nan"
        }
        .to_string();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let precision = precision.max(1);
    // Rust rounds the shortest-exact decimal expansion correctly, as glibc does.
    let scientific = format!("{:.*e}", precision - 1, value);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`e` in scientific format");
    let exponent: i32 = exponent.parse().expect("integer exponent");
    if exponent < -4 || exponent >= precision as i32 {
        let mantissa = strip_fraction_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        strip_fraction_zeros(&format!("{value:.decimals$}")).to_string()
    }
}

/// Drops trailing zeros of a fraction, and the point if nothing is left after it (Redis's
/// `trimDoubleString`).
pub fn strip_fraction_zeros(number: &str) -> &str {
    if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    }
}

/// Appends `bytes` quoted and escaped as Redis's `sdscatrepr` writes them: `\\`, `\"`,
/// `\n`, `\r`, `\t`, `\a`, `\b`, printable ASCII as is, anything else as `\xhh`.
pub fn repr(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

/// An OS error as C's `strerror` words it, without Rust's `(os error N)` suffix.
pub fn strerror(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_like_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"00",
            b"123456789012345678901",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"-1"), None);
    }

    #[test]
    fn glob_follows_stringmatchlen() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything", true),
            ("*", "", true),
            ("key:*", "key:1", true),
            ("key:*", "key", false),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h*llo", "hllo", true),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hallo", true),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("[\\]]", "]", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            (
                "*a*a*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
            ("[abc", "a", true),
            ("", "", true),
            ("", "x", false),
            ("a**", "a", true),
        ];
        for &(pattern, string, expected) in cases {
            assert_eq!(
                glob_match(pattern.as_bytes(), string.as_bytes(), false),
                expected,
                "{pattern:?} ~ {string:?}"
            );
        }
        assert!(glob_match(b"MAXMEMORY*", b"maxmemory-policy", true));
        assert!(glob_match(b"[A-Z]x", b"qx", true));
        // Redis's recursion limit: 1000 inner star groups may match, 1001 never do; a trailing
        // group and stars inside a class or escaped do not count.
        let long = "a".repeat(3000);
        assert!(glob_match(
            "*a".repeat(1000).as_bytes(),
            long.as_bytes(),
            false
        ));
        assert!(!glob_match(
            "*a".repeat(1001).as_bytes(),
            long.as_bytes(),
            false
        ));
        assert!(glob_match(
            format!("{}*", "*a".repeat(1000)).as_bytes(),
            long.as_bytes(),
            false
        ));
        assert_eq!(inner_star_groups(b"[*]\\**x*"), 1);
    }

    #[test]
    fn repr_escapes_as_sdscatrepr() {
        let mut out = Vec::new();
        repr(b"a\"b\\c\n\r\t\x07\x08\x00\xff ~", &mut out);
        assert_eq!(out, b"\"a\\\"b\\\\c\\n\\r\\t\\a\\b\\x00\\xff ~\"");
    }

    #[test]
    fn doubles_print_like_percent_17g() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (1.5, "1.5"),
            (100.0, "100"),
            (-2.25, "-2.25"),
            (45.354591369628906, "45.354591369628906"),
            (1.0036894083023071, "1.0036894083023071"),
            (0.1, "0.10000000000000001"),
            (1e20, "1e+20"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (123456789.0, "123456789"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(value, expected) in cases {
            assert_eq!(format_double(value), expected, "{value}");
        }
        assert_eq!(format_g(3.0, 6), "3");
        assert_eq!(format_g(0.5, 1), "0.5");
    }
}
