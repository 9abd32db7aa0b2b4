//! Script flags: what a script declares in its `#!lua flags=…` shebang line (Redis 7.0's
//! `evalExtractShebangFlags`), and the compatibility mode of a script without a shebang.

/// The script declares it does not write (`no-writes`).
pub const NO_WRITES: u32 = 1 << 0;
/// It may run, and write, while memory is over `maxmemory` (`allow-oom`).
pub const ALLOW_OOM: u32 = 1 << 1;
/// It may run on a stale replica (`allow-stale`).
pub const ALLOW_STALE: u32 = 1 << 2;
/// It refuses to run in cluster mode (`no-cluster`).
pub const NO_CLUSTER: u32 = 1 << 3;
/// It may touch keys of different slots (`allow-cross-slot-keys`).
pub const ALLOW_CROSS_SLOT: u32 = 1 << 4;
/// No shebang: the script runs as scripts did before Redis 7.0 (flags come from the command).
pub const EVAL_COMPAT_MODE: u32 = 1 << 5;

/// The flag names as shebang lines (and `FUNCTION LIST`) spell them.
pub const NAMES: [(&str, u32); 5] = [
    ("no-writes", NO_WRITES),
    ("allow-oom", ALLOW_OOM),
    ("allow-stale", ALLOW_STALE),
    ("no-cluster", NO_CLUSTER),
    ("allow-cross-slot-keys", ALLOW_CROSS_SLOT),
];

/// A script body's flags and the length of its shebang line (kept out of the compiled code but
/// not its line feed, so line numbers stay the user's), or Redis's error text.
pub fn parse_shebang(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((EVAL_COMPAT_MODE, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".to_string());
    };
    let parts = match sds::split_args(&body[..end]) {
        Ok(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid engine in script shebang".to_string()),
    };
    if &parts[0][..] != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    let mut flags = 0;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            ));
        };
        // An empty list (`flags=`) declares no flags; Redis splits it into one empty name,
        // which matches nothing only if something follows, so an empty list is accepted.
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match NAMES.iter().find(|(n, _)| n.as_bytes() == name) {
                Some((_, flag)) => flags |= flag,
                None => {
                    return Err(format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    ));
                }
            }
        }
    }
    Ok((flags, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_flags_parse_as_redis_parses_them() {
        assert_eq!(parse_shebang(b"return 1"), Ok((EVAL_COMPAT_MODE, 0)));
        assert_eq!(parse_shebang(b"#!lua\nreturn 1"), Ok((0, 5)));
        assert_eq!(
            parse_shebang(b"#!lua flags=no-writes,allow-oom\nreturn 1"),
            Ok((NO_WRITES | ALLOW_OOM, 31))
        );
        assert_eq!(parse_shebang(b"#!lua flags=\nreturn 1"), Ok((0, 12)));
        assert_eq!(
            parse_shebang(b"#!lua"),
            Err("Invalid script shebang".to_string())
        );
        assert_eq!(
            parse_shebang(b"#!python\n"),
            Err("Unexpected engine in script shebang: #!python".to_string())
        );
        assert_eq!(
            parse_shebang(b"#!lua flags=bad\n"),
            Err("Unexpected flag in script shebang: bad".to_string())
        );
        assert_eq!(
            parse_shebang(b"#!lua name=x\n"),
            Err("Unknown lua shebang option: name=x".to_string())
        );
    }
}
