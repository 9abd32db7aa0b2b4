//! Splitting and joining: by a separator (`sdssplitlen`, `sdsjoin`) and Redis's tokenizer for
//! inline commands and configuration lines (`sdssplitargs`).

use crate::Sds;

/// `split_args` met an unterminated quote, or a closing quote followed by something other than
/// a space (`"foo"bar`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unbalanced quotes")]
pub struct UnbalancedQuotes;

/// `split_len` was given an empty separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("empty separator")]
pub struct EmptySeparator;

/// Splits `s` at every occurrence of `sep` (`sdssplitlen`). An empty `s` gives no tokens;
/// otherwise there is always one more token than separators found.
pub fn split_len(s: &[u8], sep: &[u8]) -> Result<Vec<Sds>, EmptySeparator> {
    if sep.is_empty() {
        return Err(EmptySeparator);
    }
    let mut tokens = Vec::new();
    if s.is_empty() {
        return Ok(tokens);
    }
    let mut start = 0;
    let mut j = 0;
    while j + sep.len() <= s.len() {
        if &s[j..j + sep.len()] == sep {
            tokens.push(Sds::new(&s[start..j]));
            start = j + sep.len();
            j = start;
        } else {
            j += 1;
        }
    }
    tokens.push(Sds::new(&s[start..]));
    Ok(tokens)
}

/// Joins byte strings with `sep` between them (`sdsjoin`).
pub fn join<T: AsRef<[u8]>>(parts: &[T], sep: &[u8]) -> Sds {
    let mut joined = Sds::empty();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            joined.cat(sep);
        }
        joined.cat(part.as_ref());
    }
    joined
}

/// Joins strings with `sep` between them (`sdsjoinsds`).
pub fn join_sds(parts: &[Sds], sep: &[u8]) -> Sds {
    join(parts, sep)
}

/// C's `isspace` in the C locale.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// Splits a line into arguments like Redis's `sdssplitargs`, appending each token's bytes to
/// `out` and its end offset in `out` to `ends`. Reusing the two buffers makes tokenizing
/// allocation-free once they have grown.
///
/// The rules, exactly as Redis applies them:
/// * blanks (C `isspace`) separate tokens; outside quotes a token ends at space, `\t`, `\r`,
///   `\n`;
/// * `"..."` supports `\xHH` (two hex digits), `\n \r \t \b \a`, and `\` before any other byte
///   stands for that byte;
/// * `'...'` supports only `\'`;
/// * a closing quote must be followed by a blank or the end of the line;
/// * a NUL byte ends the line, as it ends a C string.
pub fn split_args_into(
    line: &[u8],
    out: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> Result<(), UnbalancedQuotes> {
    // C-string semantics: nothing after a NUL is seen.
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Ok(());
        }
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && let (Some(hi), Some(lo)) = (hex_value(at(p + 2)), hex_value(at(p + 3)))
                {
                    out.push(hi * 16 + lo);
                    p += 4;
                    continue;
                }
                if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    out.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => b'\x08',
                        b'a' => b'\x07',
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return Err(UnbalancedQuotes);
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return Err(UnbalancedQuotes);
                } else {
                    out.push(c);
                }
            } else if in_single {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    out.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return Err(UnbalancedQuotes);
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return Err(UnbalancedQuotes);
                } else {
                    out.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        if c != 0 {
                            p += 1;
                        }
                        break;
                    }
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    other => out.push(other),
                }
            }
            p += 1;
        }
        ends.push(out.len());
    }
}

/// Splits a line into arguments with Redis's rules (`sdssplitargs`); see [`split_args_into`].
pub fn split_args(line: &[u8]) -> Result<Vec<Sds>, UnbalancedQuotes> {
    let (mut out, mut ends) = (Vec::new(), Vec::new());
    split_args_into(line, &mut out, &mut ends)?;
    let mut start = 0;
    Ok(ends
        .into_iter()
        .map(|end| {
            let token = Sds::new(&out[start..end]);
            start = end;
            token
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, UnbalancedQuotes> {
        split_args(line.as_bytes()).map(|tokens| {
            tokens
                .iter()
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .collect()
        })
    }

    #[test]
    fn split_len_matches_redis() {
        let tokens = split_len(b"foo_-_bar", b"_-_").unwrap();
        assert_eq!(tokens, [Sds::from("foo"), Sds::from("bar")]);
        let tokens = split_len(b"a,b,,c,", b",").unwrap();
        assert_eq!(tokens.len(), 5);
        assert_eq!(tokens[2], "");
        assert_eq!(tokens[4], "");
        assert!(split_len(b"", b",").unwrap().is_empty());
        assert_eq!(split_len(b"abc", b"").unwrap_err(), EmptySeparator);
        assert_eq!(
            split_len(b"aaa", b"aa").unwrap(),
            [Sds::from(""), Sds::from("a")]
        );
    }

    #[test]
    fn join_puts_separators_between() {
        assert_eq!(join(&["a", "b", "c"], b", "), "a, b, c");
        assert_eq!(join::<&str>(&[], b","), "");
        assert_eq!(join_sds(&[Sds::from("x")], b"-"), "x");
    }

    /// Every quote and escape rule of `sdssplitargs`, with the result Redis gives.
    #[test]
    fn split_args_table() {
        let ok: &[(&str, &[&str])] = &[
            ("", &[]),
            ("   \t\r\n ", &[]),
            ("set foo bar", &["set", "foo", "bar"]),
            ("  set   foo\tbar\r\n", &["set", "foo", "bar"]),
            ("\x0bset\x0b", &["set\x0b"]),
            ("set \"a b\" c", &["set", "a b", "c"]),
            ("\"\\x41\\x4a\"", &["AJ"]),
            ("\"\\x4\"", &["x4"]),
            ("\"\\xzz\"", &["xzz"]),
            ("\"\\n\\r\\t\\b\\a\\q\\\\\\\"\"", &["\n\r\t\x08\x07q\\\""]),
            ("'it\\'s' 'a\\b'", &["it's", "a\\b"]),
            ("'\"'", &["\""]),
            ("\"'\"", &["'"]),
            ("ab\"cd\"", &["abcd"]),
            ("a\"b c\"", &["ab c"]),
            ("\"\"", &[""]),
            ("''", &[""]),
            ("\"a\"\t\"b\"", &["a", "b"]),
            ("\"a\"\x0b", &["a"]),
            ("x\0y z", &["x"]),
        ];
        for (line, expected) in ok {
            assert_eq!(split(line).unwrap(), *expected, "line {line:?}");
        }
        let bad = [
            "\"unterminated",
            "'unterminated",
            "\"foo\"bar",
            "'foo'bar",
            "\"ends with backslash\\",
            "a\"b c\"d",
            "\"x\0\"",
        ];
        for line in bad {
            assert_eq!(split(line), Err(UnbalancedQuotes), "line {line:?}");
        }
    }

    #[test]
    fn split_args_into_reuses_buffers() {
        let (mut out, mut ends) = (Vec::new(), Vec::new());
        split_args_into(b"GET key", &mut out, &mut ends).unwrap();
        assert_eq!(
            (out.as_slice(), ends.as_slice()),
            (&b"GETkey"[..], &[3, 6][..])
        );
    }
}
