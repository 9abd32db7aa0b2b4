//! `notify-keyspace-events`: the event classes as bits, read from and written back to Redis's
//! letters (`K E g $ l s h z x e t m d n`, `A` for all the type classes).
//!
//! Every notification names one class; it is published when that class is enabled and at
//! least one of the two channel families (`K`: `__keyspace@<db>__:<key>`, `E`:
//! `__keyevent@<db>__:<event>`) is.

/// `__keyspace@<db>__:<key>` channels.
pub const KEYSPACE: u32 = 1 << 0;
/// `__keyevent@<db>__:<event>` channels.
pub const KEYEVENT: u32 = 1 << 1;
/// Commands that apply to any type: `DEL`, `EXPIRE`, `RENAME`…
pub const GENERIC: u32 = 1 << 2;
pub const STRING: u32 = 1 << 3;
pub const LIST: u32 = 1 << 4;
pub const SET: u32 = 1 << 5;
pub const HASH: u32 = 1 << 6;
pub const ZSET: u32 = 1 << 7;
/// A key deleted because its time to live passed.
pub const EXPIRED: u32 = 1 << 8;
/// A key deleted by `maxmemory` eviction.
pub const EVICTED: u32 = 1 << 9;
pub const STREAM: u32 = 1 << 10;
/// A read of a missing key; not part of `A`, as in Redis.
pub const KEY_MISS: u32 = 1 << 11;
/// Module events (`d`): accepted, none are produced without modules.
pub const MODULE: u32 = 1 << 13;
/// A key created.
pub const NEW: u32 = 1 << 14;
/// `A`: every type class and `x`, `e`, `d`; neither `m` nor `n`.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// The classes a `notify-keyspace-events` value names, or `None` for a letter Redis does not
/// know (Redis's `keyspaceEventsStringToFlags`).
pub fn parse(classes: &[u8]) -> Option<u32> {
    classes.iter().try_fold(0, |flags, &c| {
        let class = match c {
            b'A' => ALL,
            b'g' => GENERIC,
            b'$' => STRING,
            b'l' => LIST,
            b's' => SET,
            b'h' => HASH,
            b'z' => ZSET,
            b'x' => EXPIRED,
            b'e' => EVICTED,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b't' => STREAM,
            b'm' => KEY_MISS,
            b'd' => MODULE,
            b'n' => NEW,
            _ => return None,
        };
        Some(flags | class)
    })
}

/// The letters `CONFIG GET` answers, in Redis's order (`keyspaceEventsFlagsToString`).
pub fn format(flags: u32) -> String {
    let mut out = String::new();
    if flags & ALL == ALL {
        out.push('A');
    } else {
        for (class, letter) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if flags & class != 0 {
                out.push(letter);
            }
        }
    }
    for (class, letter) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & class != 0 {
            out.push(letter);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip_as_redis_prints_them() {
        assert_eq!(parse(b""), Some(0));
        assert_eq!(parse(b"q"), None);
        assert_eq!(format(parse(b"KEA").unwrap()), "AKE");
        assert_eq!(format(parse(b"Ex$").unwrap()), "$xE");
        // `A` leaves out `m` and `n`, and Redis prints no `n` beside an `A`.
        assert_eq!(parse(b"A").unwrap() & (KEY_MISS | NEW), 0);
        assert_eq!(format(parse(b"Amn").unwrap()), "Am");
        assert_eq!(format(parse(b"g$lshzxetd").unwrap()), "A");
    }
}
