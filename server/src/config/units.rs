//! Redis's memory units (`memtoull`) and human-readable byte counts (`bytesToHuman`).

/// Parses a memory value as Redis does: decimal digits followed by an optional unit, case
/// insensitive: `b` ×1, `k` ×1000, `kb` ×1024, `m` ×1000², `mb` ×1024², `g` ×1000³, `gb` ×1024³.
/// A sign, a fraction, or any other unit is an error. Like Redis, the multiplication is not
/// checked for overflow; it wraps.
pub fn parse_memory(text: &str) -> Option<u64> {
    let digits_end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // `strtoull` of no digits is 0, which Redis accepts ("" and "mb" are 0).
    let value: u64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some(value.wrapping_mul(multiplier))
}

/// Redis's `bytesToHuman`: `B` below 1 KiB, then two decimals with `K`, `M`, `G`, `T`, `P`.
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (1 << 10, "K"),
        (1 << 20, "M"),
        (1 << 30, "G"),
        (1 << 40, "T"),
        (1 << 50, "P"),
    ];
    if n < 1024 {
        return format!("{n}B");
    }
    for (i, &(size, suffix)) in UNITS.iter().enumerate() {
        let next = UNITS.get(i + 1).map_or(1 << 60, |&(s, _)| s);
        if n < next {
            return format!("{:.2}{suffix}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units_as_redis_parses_them() {
        assert_eq!(parse_memory("100mb"), Some(104_857_600));
        assert_eq!(parse_memory("1gb"), Some(1_073_741_824));
        assert_eq!(parse_memory("1g"), Some(1_000_000_000));
        assert_eq!(parse_memory("1GB"), Some(1_073_741_824));
        assert_eq!(parse_memory("2k"), Some(2000));
        assert_eq!(parse_memory("2Kb"), Some(2048));
        assert_eq!(parse_memory("7b"), Some(7));
        assert_eq!(parse_memory("0"), Some(0));
        // No digits reads as 0, as `strtoull` does.
        assert_eq!(parse_memory(""), Some(0));
        assert_eq!(parse_memory("mb"), Some(0));
        for bad in ["-1", "+1", "1.5gb", "10xb", "1tb", " 1", "1 "] {
            assert_eq!(parse_memory(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn human_bytes_match_redis() {
        assert_eq!(bytes_to_human(200), "200B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(32768), "32.00K");
        assert_eq!(bytes_to_human(2_598_224), "2.48M");
        assert_eq!(bytes_to_human(89_402_760), "85.26M");
        assert_eq!(bytes_to_human(25_276_514_304), "23.54G");
        assert_eq!(bytes_to_human(0), "0B");
    }
}
