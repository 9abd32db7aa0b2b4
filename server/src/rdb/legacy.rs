//! The blob encodings older Redis versions wrote and Redis 7.0 still loads: ziplists (lists,
//! hashes and sorted sets before Redis 7.0, and quicklist nodes before that) and zipmaps
//! (hashes before Redis 2.6). Loading only: zedis never writes them. Each walk checks every
//! entry against the blob's bounds. Hand-written because no crate reads these formats.

use super::listpack::Entry;

/// Decodes every entry of a ziplist in order.
pub fn ziplist_for_each<'a>(
    zl: &'a [u8],
    mut visit: impl FnMut(Entry<'a>),
) -> Result<usize, String> {
    const HEADER: usize = 10;
    if zl.len() < HEADER + 1 {
        return Err("ziplist shorter than its header".into());
    }
    let total = u32::from_le_bytes(zl[..4].try_into().expect("4 bytes")) as usize;
    if total != zl.len() {
        return Err(format!(
            "ziplist header says {total} bytes, blob has {}",
            zl.len()
        ));
    }
    let declared = u16::from_le_bytes([zl[8], zl[9]]);
    let short = || "ziplist entry past the end".to_string();
    let mut at = HEADER;
    let mut previous_len = 0usize;
    let mut count = 0usize;
    loop {
        let first = *zl.get(at).ok_or_else(short)?;
        if first == 0xFF {
            if at + 1 != zl.len() {
                return Err("bytes after the ziplist's terminator".into());
            }
            break;
        }
        let start = at;
        // The previous entry's length: one byte, or 0xFE and four bytes.
        let prevlen = if first < 0xFE {
            at += 1;
            first as usize
        } else if first == 0xFE {
            let b = zl.get(at + 1..at + 5).ok_or_else(short)?;
            at += 5;
            u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize
        } else {
            return Err("ziplist entry with an invalid previous length".into());
        };
        if prevlen != previous_len {
            return Err("ziplist entry whose previous length is wrong".into());
        }
        let enc = *zl.get(at).ok_or_else(short)?;
        let (entry, used) = match enc >> 6 {
            0 => string_at(zl, at, 1, (enc & 0x3F) as usize)?,
            1 => {
                let lo = *zl.get(at + 1).ok_or_else(short)?;
                string_at(zl, at, 2, (((enc & 0x3F) as usize) << 8) | lo as usize)?
            }
            2 => {
                if enc != 0x80 {
                    return Err(format!("ziplist entry with unknown encoding {enc:#04x}"));
                }
                let b = zl.get(at + 1..at + 5).ok_or_else(short)?;
                string_at(
                    zl,
                    at,
                    5,
                    u32::from_be_bytes(b.try_into().expect("4")) as usize,
                )?
            }
            _ => {
                let int = |n: usize| zl.get(at + 1..at + 1 + n).ok_or_else(short);
                match enc {
                    0xC0 => (
                        Entry::Int(i16::from_le_bytes(int(2)?.try_into().expect("2")) as i64),
                        3,
                    ),
                    0xD0 => (
                        Entry::Int(i32::from_le_bytes(int(4)?.try_into().expect("4")) as i64),
                        5,
                    ),
                    0xE0 => (
                        Entry::Int(i64::from_le_bytes(int(8)?.try_into().expect("8"))),
                        9,
                    ),
                    0xF0 => {
                        let d = int(3)?;
                        (
                            Entry::Int((i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8) as i64),
                            4,
                        )
                    }
                    0xFE => (Entry::Int(int(1)?[0] as i8 as i64), 2),
                    0xF1..=0xFD => (Entry::Int((enc & 0x0F) as i64 - 1), 1),
                    _ => return Err(format!("ziplist entry with unknown encoding {enc:#04x}")),
                }
            }
        };
        at += used;
        if at >= zl.len() {
            return Err(short());
        }
        previous_len = at - start;
        visit(entry);
        count += 1;
    }
    if declared != u16::MAX && declared as usize != count {
        return Err(format!(
            "ziplist header says {declared} entries, holds {count}"
        ));
    }
    Ok(count)
}

/// A string entry whose data starts `header` bytes after `at`.
fn string_at(
    zl: &[u8],
    at: usize,
    header: usize,
    len: usize,
) -> Result<(Entry<'_>, usize), String> {
    let data = zl
        .get(at + header..at + header + len)
        .ok_or("ziplist entry past the end")?;
    Ok((Entry::Bytes(data), header + len))
}

/// Decodes the field/value pairs of a zipmap in order.
pub fn zipmap_for_each<'a>(
    zm: &'a [u8],
    mut visit: impl FnMut(&'a [u8], &'a [u8]),
) -> Result<usize, String> {
    let short = || "zipmap entry past the end".to_string();
    let mut at = 1; // the first byte is a count hint
    let mut pairs = 0;
    let read_len = |at: &mut usize| -> Result<Option<usize>, String> {
        let first = *zm.get(*at).ok_or_else(short)?;
        match first {
            0xFF => Ok(None),
            0xFE => {
                let b = zm.get(*at + 1..*at + 5).ok_or_else(short)?;
                *at += 5;
                Ok(Some(u32::from_le_bytes(b.try_into().expect("4")) as usize))
            }
            n => {
                *at += 1;
                Ok(Some(n as usize))
            }
        }
    };
    loop {
        let Some(field_len) = read_len(&mut at)? else {
            if at + 1 != zm.len() {
                return Err("bytes after the zipmap's terminator".into());
            }
            return Ok(pairs);
        };
        let field = zm.get(at..at + field_len).ok_or_else(short)?;
        at += field_len;
        let value_len = read_len(&mut at)?.ok_or("zipmap field without a value")?;
        let free = *zm.get(at).ok_or_else(short)? as usize;
        at += 1;
        let value = zm.get(at..at + value_len).ok_or_else(short)?;
        at += value_len + free;
        visit(field, value);
        pairs += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist as Redis 6 wrote `RPUSH l a 5 300 -70000 hello`, built by hand from the
    /// format: prevlen, encoding, data.
    fn sample_ziplist() -> Vec<u8> {
        let entries: Vec<Vec<u8>> = vec![
            vec![0x01, b'a'],                   // 6-bit string
            vec![0xF6],                         // immediate 5
            vec![0xC0, 0x2c, 0x01],             // int16 300
            vec![0xD0, 0x90, 0xee, 0xfe, 0xff], // int32 -70000
            vec![0x05, b'h', b'e', b'l', b'l', b'o'],
        ];
        let mut body = Vec::new();
        let mut prev = 0u8;
        let mut tail = 10;
        for e in &entries {
            tail = 10 + body.len();
            body.push(prev);
            body.extend_from_slice(e);
            prev = (1 + e.len()) as u8;
        }
        let mut zl = Vec::new();
        let total = 10 + body.len() + 1;
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xFF);
        zl
    }

    #[test]
    fn ziplist_entries_decode() {
        let zl = sample_ziplist();
        let mut got = Vec::new();
        assert_eq!(ziplist_for_each(&zl, |e| got.push(e)).unwrap(), 5);
        assert_eq!(
            got,
            [
                Entry::Bytes(b"a"),
                Entry::Int(5),
                Entry::Int(300),
                Entry::Int(-70000),
                Entry::Bytes(b"hello")
            ]
        );
        for cut in 0..zl.len() {
            assert!(
                ziplist_for_each(&zl[..cut], |_| {}).is_err(),
                "cut at {cut}"
            );
        }
        let mut bad_prev = zl.clone();
        bad_prev[10 + 3] = 7; // the second entry's prevlen (the first takes 3 bytes)
        assert!(ziplist_for_each(&bad_prev, |_| {}).is_err());
    }

    #[test]
    fn zipmap_pairs_decode() {
        // count hint, "f" -> "v" with 2 free bytes, "gg" -> "" , end
        let zm = [2, 1, b'f', 1, 2, b'v', 0, 0, 2, b'g', b'g', 0, 0, 0xFF];
        let mut got = Vec::new();
        assert_eq!(zipmap_for_each(&zm, |f, v| got.push((f, v))).unwrap(), 2);
        assert_eq!(got, [(&b"f"[..], &b"v"[..]), (&b"gg"[..], &b""[..])]);
        assert!(zipmap_for_each(&zm[..zm.len() - 1], |_, _| {}).is_err());
    }
}
