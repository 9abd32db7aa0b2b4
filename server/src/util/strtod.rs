//! C's `strtod` grammar and Redis's two ways of using it: `string2d` for scores and float
//! arguments (the whole input, no leading space, no overflow, no NaN), and the score bounds of
//! `ZRANGEBYSCORE` (plain `strtod`: leading spaces and an empty string are fine).
//!
//! Hand-written because Rust's `f64::from_str` takes neither hexadecimal floats nor a prefix;
//! the decimal digits themselves are still converted by it (correctly rounded, as glibc).

/// A number `strtod` reads at the start of `bytes`.
struct Prefix {
    value: f64,
    /// Bytes consumed (0 when nothing was a number).
    len: usize,
    /// The digits were not all zero (so a zero value means underflow).
    nonzero: bool,
    /// `inf`/`infinity` was spelled out (so an infinite value is no overflow).
    literal_infinity: bool,
}

fn digits_end(bytes: &[u8], mut i: usize, hex: bool) -> usize {
    while i < bytes.len() && (bytes[i].is_ascii_digit() || (hex && bytes[i].is_ascii_hexdigit())) {
        i += 1;
    }
    i
}

fn starts_with_ignore_case(bytes: &[u8], word: &[u8]) -> bool {
    bytes.len() >= word.len() && bytes[..word.len()].eq_ignore_ascii_case(word)
}

/// Reads the longest prefix of `bytes` that `strtod` accepts, after leading whitespace.
fn prefix(bytes: &[u8]) -> Prefix {
    let none = Prefix {
        value: 0.0,
        len: 0,
        nonzero: false,
        literal_infinity: false,
    };
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = i;
    let negative = matches!(bytes.get(i), Some(b'-'));
    if matches!(bytes.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let rest = &bytes[i..];
    let sign = if negative { -1.0 } else { 1.0 };
    if starts_with_ignore_case(rest, b"inf") {
        let len = if starts_with_ignore_case(rest, b"infinity") {
            8
        } else {
            3
        };
        return Prefix {
            value: sign * f64::INFINITY,
            len: i + len,
            nonzero: true,
            literal_infinity: true,
        };
    }
    if starts_with_ignore_case(rest, b"nan") {
        let mut len = 3;
        if rest.get(3) == Some(&b'(') {
            let inner = rest[4..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if rest.get(4 + inner) == Some(&b')') {
                len = 5 + inner;
            }
        }
        return Prefix {
            value: f64::NAN,
            len: i + len,
            nonzero: true,
            literal_infinity: false,
        };
    }
    let hex = starts_with_ignore_case(rest, b"0x")
        && (rest.get(2).is_some_and(u8::is_ascii_hexdigit)
            || (rest.get(2) == Some(&b'.') && rest.get(3).is_some_and(u8::is_ascii_hexdigit)));
    let body = if hex { i + 2 } else { i };
    let int_end = digits_end(bytes, body, hex);
    let mut end = int_end;
    if bytes.get(end) == Some(&b'.') {
        end = digits_end(bytes, end + 1, hex);
    }
    let mantissa = &bytes[body..end];
    if mantissa.iter().filter(|b| **b != b'.').count() == 0 {
        return none;
    }
    let nonzero = mantissa
        .iter()
        .any(|b| b.is_ascii_alphanumeric() && *b != b'0');
    let marker: &[u8] = if hex { b"pP" } else { b"eE" };
    if bytes.get(end).is_some_and(|b| marker.contains(b)) {
        let mut j = end + 1;
        if matches!(bytes.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let exp_end = digits_end(bytes, j, false);
        if exp_end > j {
            end = exp_end;
        }
    }
    let text = &bytes[start..end];
    let value = if hex {
        sign * hex_value(&bytes[body..end])
    } else {
        std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Prefix {
        value,
        len: end,
        nonzero,
        literal_infinity: false,
    }
}

/// The magnitude of a hexadecimal float body: `digits[.digits][p[+-]digits]`, rounded to
/// nearest.
fn hex_value(body: &[u8]) -> f64 {
    let (mantissa, exponent) = match body.iter().position(|b| matches!(b, b'p' | b'P')) {
        Some(p) => (&body[..p], &body[p + 1..]),
        None => (body, &b""[..]),
    };
    let mut bits: u128 = 0;
    let mut exp: i64 = 0;
    let mut sticky = false;
    let mut after_point = false;
    for &b in mantissa {
        if b == b'.' {
            after_point = true;
            continue;
        }
        let digit = (b as char).to_digit(16).expect("hex digit") as u128;
        if bits >> 116 == 0 {
            bits = bits << 4 | digit;
            if after_point {
                exp -= 4;
            }
        } else {
            // Beyond 29 digits only whether anything is left matters for rounding.
            sticky |= digit != 0;
            if !after_point {
                exp += 4;
            }
        }
    }
    let exponent = std::str::from_utf8(exponent)
        .ok()
        .and_then(|e| e.parse::<i64>().ok())
        .unwrap_or(if exponent.first() == Some(&b'-') {
            i64::MIN / 2
        } else if exponent.is_empty() {
            0
        } else {
            i64::MAX / 2
        });
    ldexp((bits | sticky as u128) as f64, exp.saturating_add(exponent))
}

/// C's `ldexp`: `value × 2^exp`, in steps that stay exact until the result's own range.
pub fn ldexp(mut value: f64, exp: i64) -> f64 {
    let mut scale = exp.clamp(-3000, 3000);
    while scale != 0 && value != 0.0 && value.is_finite() {
        let step = scale.clamp(-1000, 1000);
        value *= 2f64.powi(step as i32);
        scale -= step;
    }
    value
}

/// C's `strtod` of the longest number at the start of `bytes`: 0 when none is there.
pub fn prefix_value(bytes: &[u8]) -> f64 {
    prefix(bytes).value
}

/// Redis's `string2d`: the whole input is one number, with no leading space, neither NaN nor
/// out of range (overflow, or underflow to zero).
pub fn string2d(bytes: &[u8]) -> Option<f64> {
    if bytes.is_empty() || bytes[0].is_ascii_whitespace() {
        return None;
    }
    let p = prefix(bytes);
    if p.len != bytes.len() || p.value.is_nan() {
        return None;
    }
    if p.value.is_infinite() && !p.literal_infinity {
        return None;
    }
    if p.value == 0.0 && p.nonzero {
        return None;
    }
    Some(p.value)
}

/// A score bound as `zslParseRange` reads it: `strtod` must stop at the end of the C string
/// (the first NUL byte), and NaN is refused. Leading spaces, an empty string, overflow to
/// infinity are all accepted.
pub fn strtod_whole(bytes: &[u8]) -> Option<f64> {
    let c_string = bytes.split(|b| *b == 0).next().unwrap_or(&[]);
    let p = prefix(c_string);
    if p.len != c_string.len() || p.value.is_nan() {
        return None;
    }
    Some(p.value)
}

/// A `SORT` weight as Redis reads it: `strtod` must stop at the end of the C string (the
/// first NUL byte), and neither NaN nor a result out of range (`ERANGE`: overflow, underflow
/// to zero or to a subnormal) is accepted. Leading spaces and an empty string (0) are.
pub fn sort_score(bytes: &[u8]) -> Option<f64> {
    let c_string = bytes.split(|b| *b == 0).next().unwrap_or(&[]);
    let p = prefix(c_string);
    if p.len != c_string.len() || p.value.is_nan() {
        return None;
    }
    let overflow = p.value.is_infinite() && !p.literal_infinity;
    let underflow = (p.value == 0.0 && p.nonzero) || p.value.is_subnormal();
    (!overflow && !underflow).then_some(p.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_scores_follow_redis() {
        assert_eq!(sort_score(b" 1.5"), Some(1.5));
        assert_eq!(sort_score(b""), Some(0.0));
        assert_eq!(sort_score(b"0x10"), Some(16.0));
        assert_eq!(sort_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(sort_score(b"2\0junk"), Some(2.0));
        for bad in [&b"nan"[..], b"1e400", b"1e-400", b"1 ", b"abc", b"  "] {
            assert_eq!(sort_score(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn string2d_follows_redis() {
        assert_eq!(string2d(b"1.5"), Some(1.5));
        assert_eq!(string2d(b"0x10"), Some(16.0));
        assert_eq!(string2d(b"1e3"), Some(1000.0));
        assert_eq!(string2d(b".5"), Some(0.5));
        assert_eq!(string2d(b"5."), Some(5.0));
        assert_eq!(string2d(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(string2d(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(string2d(b"1e-310"), Some(1e-310));
        assert_eq!(string2d(b"0x1.8p1"), Some(3.0));
        // `1e` is read as `1` with `e` left over: not the whole input.
        for bad in [
            &b"nan"[..],
            b"1e400",
            b"1e-400",
            b" 1",
            b"",
            b"1 ",
            b"abc",
            b"1e",
            b".",
        ] {
            assert_eq!(string2d(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(string2d(b"-0").map(f64::is_sign_negative), Some(true));
    }

    #[test]
    fn bounds_accept_what_strtod_accepts() {
        assert_eq!(strtod_whole(b""), Some(0.0));
        assert_eq!(strtod_whole(b" 1"), Some(1.0));
        assert_eq!(strtod_whole(b"1e400"), Some(f64::INFINITY));
        assert_eq!(strtod_whole(b"2\0junk"), Some(2.0));
        assert_eq!(strtod_whole(b"nan"), None);
        assert_eq!(strtod_whole(b"1x"), None);
    }
}
