//! In-place editing of an [`Sds`]: trimming, ranges, case mapping and character mapping.

use crate::Sds;

impl Sds {
    /// Removes from both ends every byte found in `cset` (`sdstrim`), in place.
    pub fn trim(&mut self, cset: &[u8]) {
        let bytes = self.as_bytes();
        let start = bytes.iter().position(|b| !cset.contains(b));
        let Some(start) = start else {
            self.clear();
            return;
        };
        let end = bytes
            .iter()
            .rposition(|b| !cset.contains(b))
            .map_or(start, |e| e + 1);
        self.substr(start, end - start);
    }

    /// Keeps the inclusive range `start..=end`, where negative indices count from the end
    /// (-1 is the last byte), in place (`sdsrange`).
    ///
    /// As in Redis 7.0, a start still negative after adding the length, or a start past the
    /// end, leaves the string empty.
    pub fn range(&mut self, start: isize, end: isize) {
        let len = self.len() as isize;
        if len == 0 {
            return;
        }
        let start = if start < 0 { len + start } else { start };
        let end = if end < 0 { len + end } else { end };
        if start < 0 || start > end {
            self.clear();
            return;
        }
        self.substr(start as usize, (end - start + 1) as usize);
    }

    /// ASCII lower-casing in place (`sdstolower`).
    pub fn to_lower(&mut self) {
        self.as_mut_bytes().make_ascii_lowercase();
    }

    /// ASCII upper-casing in place (`sdstoupper`).
    pub fn to_upper(&mut self) {
        self.as_mut_bytes().make_ascii_uppercase();
    }

    /// Replaces every byte that occurs in `from` with the byte at the same position in `to`
    /// (`sdsmapchars`); the first match in `from` wins. `from` and `to` must be equally long.
    pub fn map_chars(&mut self, from: &[u8], to: &[u8]) {
        assert_eq!(
            from.len(),
            to.len(),
            "sds: map_chars needs equally long sets"
        );
        for byte in self.as_mut_bytes() {
            if let Some(i) = from.iter().position(|f| f == byte) {
                *byte = to[i];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Sds;

    #[test]
    fn trim_strips_both_ends() {
        let mut s = Sds::from("AA...AA.a.aa.aHelloWorld     :::");
        s.trim(b"Aa. :");
        assert_eq!(s, "HelloWorld");
        let mut s = Sds::from("xxxx");
        s.trim(b"x");
        assert_eq!(s, "");
        let mut s = Sds::from(" x ");
        s.trim(b" ");
        assert_eq!(s, "x");
    }

    #[test]
    fn range_follows_redis_7() {
        let cases: &[(isize, isize, &str)] = &[
            (1, 1, "i"),
            (1, -1, "iao"),
            (-2, -1, "ao"),
            (2, 1, ""),
            (1, 100, "iao"),
            (100, 100, ""),
            (0, 0, "c"),
            (-100, -1, ""),
            (-4, -1, "ciao"),
        ];
        for &(start, end, expected) in cases {
            let mut s = Sds::from("ciao");
            s.range(start, end);
            assert_eq!(s, expected, "range({start}, {end})");
        }
    }

    #[test]
    fn case_and_char_mapping() {
        let mut s = Sds::from("Hello, World\x00!");
        s.to_upper();
        assert_eq!(s, "HELLO, WORLD\x00!");
        s.to_lower();
        assert_eq!(s, "hello, world\x00!");
        let mut s = Sds::from("hello");
        s.map_chars(b"ho", b"01");
        assert_eq!(s, "0ell1");
    }
}
