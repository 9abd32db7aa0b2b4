//! x87 80-bit `long double` arithmetic, as Redis's INCRBYFLOAT and HINCRBYFLOAT compute.
//!
//! Redis parses with `strtold`, adds in `long double` (a 64-bit significand) and prints with
//! `%.17Lf`, trimming trailing zeros. An `f64` gives different digits for everyday inputs
//! (10.5 + 0.1 prints `10.6` in Redis but `10.59999999999999964` through `f64`), so the format
//! is emulated exactly here: every step is done on big integers and rounded to nearest, ties to
//! even, as the hardware and glibc do.

use num_bigint::{BigInt, BigUint, Sign};
use num_traits::{One, Zero};

/// Bits of the significand, the integer bit included.
const MANTISSA_BITS: u64 = 64;
/// Exponent of the largest finite value's leading bit.
const EXP_MAX: i64 = 16383;
/// Exponent of the smallest normal value's leading bit.
const EXP_MIN: i64 = -16382;
/// Longest input Redis accepts (`MAX_LONG_DOUBLE_CHARS`).
const MAX_CHARS: usize = 5 * 1024;
/// Decimal digits printed after the point (`%.17Lf`).
const DECIMALS: u32 = 17;

/// A `long double` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LongDouble {
    /// `mantissa × 2^exp`, the mantissa at most 64 bits (fewer only below the normal range).
    Finite {
        negative: bool,
        mantissa: u64,
        exp: i64,
    },
    Infinite {
        negative: bool,
    },
    NotANumber,
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble::Finite {
        negative: false,
        mantissa: 0,
        exp: 0,
    };

    /// Rounds the exact value `±value × 2^exp` to the nearest `long double`, ties to even.
    fn round(negative: bool, value: BigUint, exp: i64) -> LongDouble {
        if value.is_zero() {
            return LongDouble::Finite {
                negative,
                mantissa: 0,
                exp: 0,
            };
        }
        let leading = exp + value.bits() as i64 - 1;
        // The last kept bit: 63 below the leading one, but never below the subnormal floor.
        let mut lsb =
            (leading - (MANTISSA_BITS as i64 - 1)).max(EXP_MIN - (MANTISSA_BITS as i64 - 1));
        let shift = lsb - exp;
        let mut kept = if shift <= 0 {
            value << (-shift) as u64
        } else {
            let shift = shift as u64;
            let kept = &value >> shift;
            let dropped = &value - (&kept << shift);
            let half = BigUint::one() << (shift - 1);
            if dropped > half || (dropped == half && kept.bit(0)) {
                kept + 1u32
            } else {
                kept
            }
        };
        if kept.bits() > MANTISSA_BITS {
            kept >>= 1u64;
            lsb += 1;
        }
        if lsb + MANTISSA_BITS as i64 - 1 > EXP_MAX {
            return LongDouble::Infinite { negative };
        }
        LongDouble::Finite {
            negative,
            mantissa: kept.iter_u64_digits().next().unwrap_or(0),
            exp: lsb,
        }
    }

    /// Parses a number as Redis's `string2ld` does: `strtold` must consume the whole input, no
    /// leading space, not NaN, and a value too large (infinite) or too small (zero) to
    /// represent is an error. Accepts decimal and hexadecimal forms and `inf`/`infinity`.
    pub fn parse(text: &[u8]) -> Option<LongDouble> {
        if text.is_empty() || text.len() >= MAX_CHARS || text[0].is_ascii_whitespace() {
            return None;
        }
        let (negative, body) = match text[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let lower = body.to_ascii_lowercase();
        if lower == b"inf" || lower == b"infinity" {
            return Some(LongDouble::Infinite { negative });
        }
        let value = if lower.starts_with(b"0x") && lower.len() > 2 {
            parse_hex(negative, &lower[2..])?
        } else {
            parse_decimal(negative, body)?
        };
        match &value {
            // The input was not zero but the value underflowed to it, or overflowed.
            LongDouble::Finite { mantissa: 0, .. } if has_nonzero_digit(body) => None,
            LongDouble::Infinite { .. } => None,
            _ => Some(value),
        }
    }

    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// The nearest `f64` (what a C cast from `long double` to `double` gives, except for
    /// double rounding in the subnormal range).
    pub fn to_f64(&self) -> f64 {
        match *self {
            LongDouble::Finite {
                negative,
                mantissa,
                exp,
            } => {
                let value = super::strtod::ldexp(mantissa as f64, exp);
                if negative { -value } else { value }
            }
            LongDouble::Infinite { negative: true } => f64::NEG_INFINITY,
            LongDouble::Infinite { negative: false } => f64::INFINITY,
            LongDouble::NotANumber => f64::NAN,
        }
    }

    /// The exact sum, rounded once.
    pub fn add(&self, other: LongDouble) -> LongDouble {
        match (self, &other) {
            (LongDouble::NotANumber, _) | (_, LongDouble::NotANumber) => LongDouble::NotANumber,
            (LongDouble::Infinite { negative: a }, LongDouble::Infinite { negative: b }) => {
                if a == b {
                    self.clone()
                } else {
                    LongDouble::NotANumber
                }
            }
            (LongDouble::Infinite { .. }, _) => self.clone(),
            (_, LongDouble::Infinite { .. }) => other,
            (
                LongDouble::Finite {
                    negative: na,
                    mantissa: ma,
                    exp: ea,
                },
                LongDouble::Finite {
                    negative: nb,
                    mantissa: mb,
                    exp: eb,
                },
            ) => {
                let exp = (*ea).min(*eb);
                let signed = |negative: bool, mantissa: u64, e: i64| {
                    let magnitude = BigUint::from(mantissa) << (e - exp) as u64;
                    BigInt::from_biguint(if negative { Sign::Minus } else { Sign::Plus }, magnitude)
                };
                let sum = signed(*na, *ma, *ea) + signed(*nb, *mb, *eb);
                if sum.is_zero() {
                    // x + (-x) is +0 when rounding to nearest; -0 + -0 stays -0.
                    return LongDouble::Finite {
                        negative: *na && *nb,
                        mantissa: 0,
                        exp: 0,
                    };
                }
                let (sign, magnitude) = sum.into_parts();
                LongDouble::round(sign == Sign::Minus, magnitude, exp)
            }
        }
    }

    /// `printf("%.17Lf")`: the exact value rounded to 17 decimals, ties to even.
    pub fn to_fixed_17(&self) -> String {
        let (negative, mantissa, exp) = match self {
            LongDouble::Finite {
                negative,
                mantissa,
                exp,
            } => (*negative, *mantissa, *exp),
            LongDouble::Infinite { negative: true } => return "-inf".to_string(),
            LongDouble::Infinite { negative: false } => return "inf".to_string(),
            LongDouble::NotANumber => return "nan".to_string(),
        };
        let scale = BigUint::from(10u32).pow(DECIMALS);
        let scaled = if exp >= 0 {
            (BigUint::from(mantissa) << exp as u64) * scale
        } else {
            let numerator = BigUint::from(mantissa) * scale;
            let shift = (-exp) as u64;
            let quotient = &numerator >> shift;
            let remainder = &numerator - (&quotient << shift);
            let half = BigUint::one() << (shift - 1);
            if remainder > half || (remainder == half && quotient.bit(0)) {
                quotient + 1u32
            } else {
                quotient
            }
        };
        let digits = scaled.to_string();
        let digits = format!("{digits:0>width$}", width = DECIMALS as usize + 1);
        let (whole, fraction) = digits.split_at(digits.len() - DECIMALS as usize);
        format!("{}{whole}.{fraction}", if negative { "-" } else { "" })
    }

    /// Redis's `LD_STR_HUMAN` form: `%.17Lf` without trailing zeros (or point), `-0` as `0`.
    pub fn to_human_string(&self) -> String {
        let mut text = self.to_fixed_17();
        if text.contains('.') {
            while text.ends_with('0') {
                text.pop();
            }
            if text.ends_with('.') {
                text.pop();
            }
        }
        if text == "-0" {
            text = "0".to_string();
        }
        text
    }
}

/// Redis's `LD_STR_HUMAN` form of a double widened to `long double` (exact, so the digits
/// are those of the double): what `addReplyHumanLongDouble` prints for GEOPOS coordinates.
/// Values below 2^53 in magnitude take a 128-bit integer path (`m × 10^17` fits); the rest go
/// through [`LongDouble`].
pub fn human_f64(value: f64) -> String {
    let bits = value.to_bits();
    let negative = bits >> 63 == 1;
    let exp_field = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if exp_field == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), exp_field - 1075)
    };
    if exp_field == 0x7ff || exp > 0 {
        let wide = if exp_field == 0x7ff {
            if fraction != 0 {
                LongDouble::NotANumber
            } else {
                LongDouble::Infinite { negative }
            }
        } else {
            LongDouble::Finite {
                negative,
                mantissa,
                exp,
            }
        };
        return wide.to_human_string();
    }
    let numerator = mantissa as u128 * 10u128.pow(DECIMALS);
    let shift = (-exp) as u32;
    let scaled = if shift == 0 {
        numerator
    } else if shift >= 120 {
        // The numerator is below 2^110: less than half of the unit, rounds to 0.
        0
    } else {
        let quotient = numerator >> shift;
        let remainder = numerator - (quotient << shift);
        let half = 1u128 << (shift - 1);
        if remainder > half || (remainder == half && quotient & 1 == 1) {
            quotient + 1
        } else {
            quotient
        }
    };
    let digits = format!("{scaled:0>width$}", width = DECIMALS as usize + 1);
    let (whole, fraction) = digits.split_at(digits.len() - DECIMALS as usize);
    let fraction = fraction.trim_end_matches('0');
    let mut text = String::with_capacity(digits.len() + 2);
    if negative && !(whole == "0" && fraction.is_empty()) {
        text.push('-');
    }
    text.push_str(whole);
    if !fraction.is_empty() {
        text.push('.');
        text.push_str(fraction);
    }
    text
}

fn has_nonzero_digit(text: &[u8]) -> bool {
    // Up to the exponent: a mantissa with a non-zero digit is not zero.
    let lower = text.to_ascii_lowercase();
    let (digits, stop) = if lower.starts_with(b"0x") {
        (&lower[2..], b'p')
    } else {
        (&lower[..], b'e')
    };
    digits
        .iter()
        .take_while(|&&c| c != stop)
        .any(|&c| c.is_ascii_hexdigit() && c != b'0')
}

/// `digits[.digits][e[+-]digits]`, as `strtold` reads it; the whole input must be consumed.
fn parse_decimal(negative: bool, text: &[u8]) -> Option<LongDouble> {
    let mut digits = String::new();
    let mut i = 0;
    let mut fraction_digits: i64 = 0;
    let mut seen_point = false;
    while i < text.len() {
        match text[i] {
            c @ b'0'..=b'9' => {
                digits.push(c as char);
                if seen_point {
                    fraction_digits += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if digits.is_empty() {
        return None;
    }
    let mut exp10: i64 = 0;
    if i < text.len() {
        if !matches!(text[i], b'e' | b'E') {
            return None;
        }
        let exponent = std::str::from_utf8(&text[i + 1..]).ok()?;
        let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Saturate absurd exponents; the range checks below turn them into overflow or
        // underflow.
        exp10 = exponent
            .parse::<i64>()
            .unwrap_or(if exponent.starts_with('-') {
                i64::MIN / 2
            } else {
                i64::MAX / 2
            });
    }
    let mantissa: BigUint = digits.parse().ok()?;
    if mantissa.is_zero() {
        return Some(LongDouble::Finite {
            negative,
            mantissa: 0,
            exp: 0,
        });
    }
    let exp10 = exp10.saturating_sub(fraction_digits);
    let magnitude = digits.trim_start_matches('0').len() as i64 + exp10;
    // long double spans about 3.6e-4951 to 1.2e4932.
    if magnitude > 4940 {
        return Some(LongDouble::Infinite { negative });
    }
    if magnitude < -4960 {
        return Some(LongDouble::Finite {
            negative,
            mantissa: 0,
            exp: 0,
        });
    }
    if exp10 >= 0 {
        let value = mantissa * BigUint::from(10u32).pow(exp10 as u32);
        return Some(LongDouble::round(negative, value, 0));
    }
    // value = mantissa / 10^k: divide with enough extra bits, and keep a sticky bit for the
    // remainder so that rounding sees which side of a tie the exact value is on.
    let divisor = BigUint::from(10u32).pow((-exp10) as u32);
    let extra = (MANTISSA_BITS + 3 + divisor.bits()).saturating_sub(mantissa.bits());
    let numerator = mantissa << extra;
    let quotient = &numerator / &divisor;
    let exact = (&quotient * &divisor) == numerator;
    let (value, exp) = if exact {
        (quotient, -(extra as i64))
    } else {
        ((quotient << 1u64) + 1u32, -(extra as i64) - 1)
    };
    Some(LongDouble::round(negative, value, exp))
}

/// `hexdigits[.hexdigits][p[+-]digits]` after `0x`.
fn parse_hex(negative: bool, text: &[u8]) -> Option<LongDouble> {
    let mut mantissa = BigUint::zero();
    let mut any = false;
    let mut seen_point = false;
    let mut exp2: i64 = 0;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            c if c.is_ascii_hexdigit() => {
                mantissa = (mantissa << 4u64) + (c as char).to_digit(16).expect("hex digit");
                any = true;
                if seen_point {
                    exp2 -= 4;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if i < text.len() {
        if text[i] != b'p' {
            return None;
        }
        let exponent = std::str::from_utf8(&text[i + 1..]).ok()?;
        let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        exp2 += exponent.parse::<i64>().ok()?.clamp(-100_000, 100_000);
    }
    Some(LongDouble::round(negative, mantissa, exp2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_f64_matches_the_long_double_path() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            180.0,
            -180.0,
            85.05112878,
            1e-18,
            5e-18,
            1.5e-17,
            2.5e-17,
            1e300,
            -1e300,
            4.9e-324,
            13.361389338970184,
            38.1155563954963,
        ];
        for _ in 0..2000 {
            values.push(f64::from_bits(rng.u64(..)));
            values.push(rng.f64() * 360.0 - 180.0);
        }
        for value in values {
            if value.is_nan() {
                continue;
            }
            let (negative, bits) = (value.is_sign_negative(), value.abs().to_bits());
            let wide = if value.is_infinite() {
                LongDouble::Infinite { negative }
            } else {
                let exp_field = (bits >> 52) as i64;
                let fraction = bits & ((1u64 << 52) - 1);
                let (mantissa, exp) = if exp_field == 0 {
                    (fraction, -1074)
                } else {
                    (fraction | (1 << 52), exp_field - 1075)
                };
                LongDouble::Finite {
                    negative,
                    mantissa,
                    exp,
                }
            };
            assert_eq!(human_f64(value), wide.to_human_string(), "{value:e}");
        }
        assert_eq!(human_f64(13.361389338970184), "13.36138933897018433");
        assert_eq!(human_f64(-0.0), "0");
    }

    fn add(a: &str, b: &str) -> String {
        let a = LongDouble::parse(a.as_bytes()).unwrap();
        let b = LongDouble::parse(b.as_bytes()).unwrap();
        a.add(b).to_human_string()
    }

    #[test]
    fn sums_print_as_redis_prints_them() {
        assert_eq!(add("10.5", "0.1"), "10.6");
        assert_eq!(add("10.6", "-5"), "5.6");
        assert_eq!(add("5.0e3", "2.0e2"), "5200");
        assert_eq!(add("0", "3"), "3");
        assert_eq!(add("1", "-1"), "0");
        assert_eq!(add("-0.0", "-0.0"), "0");
        assert_eq!(add("0.1", "0.2"), "0.3");
        assert_eq!(add("0x10", "0x1p-1"), "16.5");
        // Observed on Redis 7.0.15: INCRBYFLOAT of 1e300 onto 10.6.
        assert_eq!(
            add("10.6", "1e300"),
            "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144"
        );
    }

    #[test]
    fn parse_follows_string2ld() {
        for good in [
            "1",
            "-1.5",
            "+2",
            ".5",
            "5.",
            "1e3",
            "1E-3",
            "0x1p4",
            "inf",
            "-Infinity",
            "1e4930",
        ] {
            assert!(LongDouble::parse(good.as_bytes()).is_some(), "{good}");
        }
        for bad in [
            "", " 1", "1 ", "abc", "nan", "1e", "1e+", "--1", "1.2.3", "0x", "1e5000", "1e-5000",
            "infin",
        ] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad}");
        }
        assert!(LongDouble::parse(b"0").unwrap().is_finite());
        assert!(
            !LongDouble::parse(b"inf")
                .unwrap()
                .add(LongDouble::ZERO)
                .is_finite()
        );
    }

    #[test]
    fn fixed_formatting() {
        assert_eq!(
            LongDouble::parse(b"1").unwrap().to_fixed_17(),
            "1.00000000000000000"
        );
        assert_eq!(
            LongDouble::parse(b"-0.25").unwrap().to_fixed_17(),
            "-0.25000000000000000"
        );
        assert_eq!(
            LongDouble::parse(b"0.1").unwrap().to_fixed_17(),
            "0.10000000000000000"
        );
    }
}
