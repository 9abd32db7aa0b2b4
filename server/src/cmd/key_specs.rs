//! Key specifications: where each command's keys are in its arguments and how it uses them,
//! as Redis 7.0 declares them (its command reference, `src/commands/*.json`). From them come
//! `COMMAND INFO`'s key specifications, first/last/step and `movablekeys` flag, and the keys
//! `COMMAND GETKEYS` and `GETKEYSANDFLAGS` find, with Redis's algorithm
//! (`getKeysUsingKeySpecs`, `populateCommandLegacyRangeSpec`).

/// Key flags, in the order `COMMAND INFO` names them.
pub const RO: u32 = 1 << 0;
pub const RW: u32 = 1 << 1;
pub const OW: u32 = 1 << 2;
pub const RM: u32 = 1 << 3;
pub const ACCESS: u32 = 1 << 4;
pub const UPDATE: u32 = 1 << 5;
pub const INSERT: u32 = 1 << 6;
pub const DELETE: u32 = 1 << 7;
pub const NOT_KEY: u32 = 1 << 8;
pub const INCOMPLETE: u32 = 1 << 9;
pub const VARIABLE_FLAGS: u32 = 1 << 10;

pub const FLAG_NAMES: &[(u32, &str)] = &[
    (RO, "RO"),
    (RW, "RW"),
    (OW, "OW"),
    (RM, "RM"),
    (ACCESS, "access"),
    (UPDATE, "update"),
    (INSERT, "insert"),
    (DELETE, "delete"),
    (NOT_KEY, "not_key"),
    (INCOMPLETE, "incomplete"),
    (VARIABLE_FLAGS, "variable_flags"),
];

/// Where the search for keys starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument.
    Index(i32),
    /// After this keyword, searched from `startfrom` (from the end when negative).
    Keyword(&'static str, i32),
    Unknown,
}

/// Which arguments from there are keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// Up to `lastkey` (relative; negative counts from the end), every `step`; with a
    /// `limit`, only that fraction of the remaining arguments.
    Range {
        lastkey: i32,
        step: i32,
        limit: i32,
    },
    /// The argument at `keynumidx` counts the keys, which start at `firstkey`.
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        step: i32,
    },
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub flags: u32,
    pub begin: BeginSearch,
    pub find: FindKeys,
    /// Redis's explanation, when it gives one.
    pub notes: &'static str,
}

/// `COMMAND INFO`'s first key, last key and step, and whether keys can be elsewhere
/// (`movablekeys`), derived from the specifications as Redis derives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegacyRange {
    pub first: i32,
    pub last: i32,
    pub step: i32,
    pub movable: bool,
}

pub fn legacy_range(specs: &[KeySpec]) -> LegacyRange {
    let mut range = LegacyRange::default();
    if let [only] = specs
        && let (BeginSearch::Index(pos), FindKeys::Range { lastkey, step, .. }) =
            (only.begin, only.find)
    {
        range.first = pos;
        range.last = if lastkey >= 0 { pos + lastkey } else { lastkey };
        range.step = step;
        range.movable = only.flags & INCOMPLETE != 0;
        return range;
    }
    let (mut first, mut last) = (i32::MAX, 0u32);
    let mut previous_last = 0u32;
    for spec in specs {
        let (BeginSearch::Index(pos), FindKeys::Range { lastkey, step, .. }) =
            (spec.begin, spec.find)
        else {
            range.movable = true;
            continue;
        };
        if step != 1 || (previous_last != 0 && previous_last != (pos - 1) as u32) {
            range.movable = true;
            continue;
        }
        if spec.flags & INCOMPLETE != 0 {
            range.movable = true;
        }
        first = first.min(pos);
        let absolute = if lastkey >= 0 { pos + lastkey } else { lastkey };
        // Compared as unsigned: a negative last key is past any positive one.
        last = last.max(absolute as u32);
        previous_last = last;
    }
    if first == i32::MAX {
        range.movable |= !specs.is_empty();
        return range;
    }
    range.first = first;
    range.last = last as i32;
    range.step = 1;
    range
}

/// The keys of a command line (`args[0]` is the command name), with each key's flags, found
/// from the specifications (Redis's `getKeysUsingKeySpecs`). `None` when a specification cannot
/// be followed (an unknown one, or arguments that do not fit it).
pub fn find_keys(specs: &[KeySpec], args: &[&[u8]]) -> Option<Vec<(usize, u32)>> {
    let argc = args.len() as i64;
    let mut keys = Vec::new();
    for spec in specs {
        if spec.flags & NOT_KEY != 0 {
            continue;
        }
        let first = match spec.begin {
            BeginSearch::Index(pos) => pos as i64,
            BeginSearch::Keyword(keyword, startfrom) => {
                let start = if startfrom > 0 {
                    startfrom as i64
                } else {
                    argc + startfrom as i64
                };
                let found = if startfrom > 0 {
                    (start..argc)
                        .find(|&i| args[i as usize].eq_ignore_ascii_case(keyword.as_bytes()))
                } else {
                    (1..=start.min(argc - 1))
                        .rev()
                        .find(|&i| args[i as usize].eq_ignore_ascii_case(keyword.as_bytes()))
                };
                match found {
                    Some(at) => at + 1,
                    None => continue,
                }
            }
            BeginSearch::Unknown => return None,
        };
        let (first, last, step) = match spec.find {
            FindKeys::Range {
                lastkey,
                step,
                limit,
            } => {
                let last = if lastkey >= 0 {
                    first + lastkey as i64
                } else if limit == 0 {
                    argc + lastkey as i64
                } else {
                    first + ((argc - first) / limit as i64 + lastkey as i64)
                };
                (first, last, step as i64)
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                step,
            } => {
                let at = first + keynumidx as i64;
                let count = args
                    .get(at as usize)
                    .and_then(|n| crate::util::parse_i64(n))
                    .filter(|n| *n >= 0)?;
                let first = first + firstkey as i64;
                (first, first + count - 1, step as i64)
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut at = first;
        while at <= last {
            keys.push((at as usize, spec.flags));
            at += step.max(1);
        }
    }
    Some(keys)
}

/// Whether the command declares keys at all (some specification is not `not_key`).
pub fn has_keys(specs: &[KeySpec]) -> bool {
    specs.iter().any(|s| s.flags & NOT_KEY == 0)
}

/// Whether some key's flags depend on the arguments (`SET … GET`).
pub fn has_variable_flags(specs: &[KeySpec]) -> bool {
    specs.iter().any(|s| s.flags & VARIABLE_FLAGS != 0)
}

/// The specifications of every command zedis serves, by full name (`container|sub`), as Redis
/// 7.0.15's command reference gives them. Commands without keys have none.
pub fn specs_of(full_name: &str) -> &'static [KeySpec] {
    match full_name {
        "append" => &[KeySpec {
            flags: RW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "bitcount" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "bitfield" => &[KeySpec {
            flags: RW | UPDATE | ACCESS | VARIABLE_FLAGS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "This command allows both access and modification of the key",
        }],
        "bitfield_ro" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "bitop" => &[
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(3),
                find: FindKeys::Range {
                    lastkey: -1,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "bitpos" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "blmove" => &[
            KeySpec {
                flags: RW | ACCESS | DELETE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RW | INSERT,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "blmpop" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(2),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "blpop" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -2,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "brpop" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -2,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "brpoplpush" => &[
            KeySpec {
                flags: RW | ACCESS | DELETE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RW | INSERT,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "bzmpop" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(2),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "bzpopmax" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -2,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "bzpopmin" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -2,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "copy" => &[
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "decr" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "decrby" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "del" => &[KeySpec {
            flags: RM | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "exists" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "expire" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "expireat" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "expiretime" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "migrate" => &[
            KeySpec {
                flags: RW | ACCESS | DELETE,
                begin: BeginSearch::Index(3),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RW | ACCESS | DELETE | INCOMPLETE,
                begin: BeginSearch::Keyword("KEYS", -2),
                find: FindKeys::Range {
                    lastkey: -1,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "eval" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(2),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
        }],
        "eval_ro" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(2),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
        }],
        "fcall" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(2),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
        }],
        "fcall_ro" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(2),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
        }],
        "evalsha" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(2),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "evalsha_ro" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(2),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "dump" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "restore" => &[KeySpec {
            flags: OW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "get" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "getdel" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "getex" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "RW and UPDATE because it changes the TTL",
        }],
        "geoadd" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "geodist" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "geohash" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "geopos" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "georadius" => &[
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Keyword("STORE", 6),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Keyword("STOREDIST", 6),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "georadius_ro" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "georadiusbymember" => &[
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Keyword("STORE", 5),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Keyword("STOREDIST", 5),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "georadiusbymember_ro" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "geosearch" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "geosearchstore" => &[
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "getbit" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "getrange" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "getset" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hdel" => &[KeySpec {
            flags: RW | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hexists" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hget" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hgetall" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hincrby" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hincrbyfloat" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hkeys" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hlen" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hmget" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hmset" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hrandfield" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hscan" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hset" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hsetnx" => &[KeySpec {
            flags: RW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hstrlen" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "hvals" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "incr" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "incrby" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "incrbyfloat" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "lcs" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "lindex" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "linsert" => &[KeySpec {
            flags: RW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "llen" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "lmove" => &[
            KeySpec {
                flags: RW | ACCESS | DELETE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RW | INSERT,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "lmpop" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "lpop" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "lpos" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "lpush" => &[KeySpec {
            flags: RW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "lpushx" => &[KeySpec {
            flags: RW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "lrange" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "lrem" => &[KeySpec {
            flags: RW | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "lset" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "ltrim" => &[KeySpec {
            flags: RW | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "memory|usage" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(2),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "mget" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "move" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "mset" => &[KeySpec {
            flags: OW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 2,
                limit: 0,
            },
            notes: "",
        }],
        "msetnx" => &[KeySpec {
            flags: OW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 2,
                limit: 0,
            },
            notes: "",
        }],
        "object|encoding" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(2),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "object|freq" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(2),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "object|idletime" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(2),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "object|refcount" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(2),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "persist" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "pexpire" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "pexpireat" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "pexpiretime" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "pfadd" => &[KeySpec {
            flags: RW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "pfcount" => &[KeySpec {
            flags: RW | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "RW because it may change the internal representation of the key, and propagate to replicas",
        }],
        "pfdebug" => &[KeySpec {
            flags: RW | ACCESS,
            begin: BeginSearch::Index(2),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "pfmerge" => &[
            KeySpec {
                flags: RW | ACCESS | INSERT,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: -1,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "psetex" => &[KeySpec {
            flags: OW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "pttl" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "rename" => &[
            KeySpec {
                flags: RW | ACCESS | DELETE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "renamenx" => &[
            KeySpec {
                flags: RW | ACCESS | DELETE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: OW | INSERT,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "rpop" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "rpoplpush" => &[
            KeySpec {
                flags: RW | ACCESS | DELETE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RW | INSERT,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "rpush" => &[KeySpec {
            flags: RW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "rpushx" => &[KeySpec {
            flags: RW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "sadd" => &[KeySpec {
            flags: RW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "scard" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "sdiff" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "sdiffstore" => &[
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: -1,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "set" => &[KeySpec {
            flags: RW | ACCESS | UPDATE | VARIABLE_FLAGS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "RW and ACCESS due to the optional `GET` argument",
        }],
        "setex" => &[KeySpec {
            flags: OW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "setnx" => &[KeySpec {
            flags: OW | INSERT,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "setbit" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "setrange" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "sinter" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "sintercard" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "sinterstore" => &[
            KeySpec {
                flags: RW | UPDATE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: -1,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "sismember" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "smembers" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "smismember" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "smove" => &[
            KeySpec {
                flags: RW | ACCESS | DELETE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RW | INSERT,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "sort" => &[
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Unknown,
                find: FindKeys::Unknown,
                notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
            },
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Unknown,
                find: FindKeys::Unknown,
                notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
            },
        ],
        "sort_ro" => &[
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Unknown,
                find: FindKeys::Unknown,
                notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
            },
        ],
        "spop" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "spublish" => &[KeySpec {
            flags: NOT_KEY,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "srandmember" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "srem" => &[KeySpec {
            flags: RW | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "sscan" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "ssubscribe" => &[KeySpec {
            flags: NOT_KEY,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "strlen" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "substr" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "sunion" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "sunsubscribe" => &[KeySpec {
            flags: NOT_KEY,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "sunionstore" => &[
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: -1,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "touch" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "ttl" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "type" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "unlink" => &[KeySpec {
            flags: RM | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "watch" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zadd" => &[KeySpec {
            flags: RW | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zcard" => &[KeySpec {
            flags: RO,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zcount" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zdiff" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "zdiffstore" => &[
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(2),
                find: FindKeys::Keynum {
                    keynumidx: 0,
                    firstkey: 1,
                    step: 1,
                },
                notes: "",
            },
        ],
        "zincrby" => &[KeySpec {
            flags: RW | ACCESS | UPDATE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zinter" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "zintercard" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "zinterstore" => &[
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(2),
                find: FindKeys::Keynum {
                    keynumidx: 0,
                    firstkey: 1,
                    step: 1,
                },
                notes: "",
            },
        ],
        "zlexcount" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zmpop" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "zmscore" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zpopmax" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zpopmin" => &[KeySpec {
            flags: RW | ACCESS | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrandmember" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrange" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrangebylex" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrangebyscore" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrangestore" => &[
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(2),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
        ],
        "zrank" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrem" => &[KeySpec {
            flags: RW | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zremrangebylex" => &[KeySpec {
            flags: RW | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zremrangebyrank" => &[KeySpec {
            flags: RW | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zremrangebyscore" => &[KeySpec {
            flags: RW | DELETE,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrevrange" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrevrangebylex" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrevrangebyscore" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zrevrank" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zscan" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zscore" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Range {
                lastkey: 0,
                step: 1,
                limit: 0,
            },
            notes: "",
        }],
        "zunion" => &[KeySpec {
            flags: RO | ACCESS,
            begin: BeginSearch::Index(1),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
            notes: "",
        }],
        "zunionstore" => &[
            KeySpec {
                flags: OW | UPDATE,
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
                notes: "",
            },
            KeySpec {
                flags: RO | ACCESS,
                begin: BeginSearch::Index(2),
                find: FindKeys::Keynum {
                    keynumidx: 0,
                    firstkey: 1,
                    step: 1,
                },
                notes: "",
            },
        ],

        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(flags: u32, begin: BeginSearch, find: FindKeys) -> KeySpec {
        KeySpec {
            flags,
            begin,
            find,
            notes: "",
        }
    }

    #[test]
    fn ranges_keynums_and_keywords() {
        let range = spec(
            RW,
            BeginSearch::Index(1),
            FindKeys::Range {
                lastkey: -1,
                step: 2,
                limit: 0,
            },
        );
        let mset: Vec<&[u8]> = vec![b"mset", b"a", b"1", b"b", b"2"];
        assert_eq!(find_keys(&[range], &mset), Some(vec![(1, RW), (3, RW)]));
        let keynum = spec(
            RO,
            BeginSearch::Index(2),
            FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                step: 1,
            },
        );
        let zunion: Vec<&[u8]> = vec![b"zunionstore", b"d", b"2", b"a", b"b", b"WEIGHTS"];
        assert_eq!(find_keys(&[keynum], &zunion), Some(vec![(3, RO), (4, RO)]));
        let too_many: Vec<&[u8]> = vec![b"zunionstore", b"d", b"9", b"a"];
        assert_eq!(find_keys(&[keynum], &too_many), None);
        let keyword = spec(
            RO,
            BeginSearch::Keyword("STREAMS", 1),
            FindKeys::Range {
                lastkey: -1,
                step: 1,
                limit: 2,
            },
        );
        let xread: Vec<&[u8]> = vec![
            b"xread", b"COUNT", b"1", b"streams", b"s1", b"s2", b"0", b"0",
        ];
        assert_eq!(find_keys(&[keyword], &xread), Some(vec![(4, RO), (5, RO)]));
    }

    #[test]
    fn the_legacy_range_and_movable_keys() {
        let smove = [
            spec(
                RW | DELETE,
                BeginSearch::Index(1),
                FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
            ),
            spec(
                RW | INSERT,
                BeginSearch::Index(2),
                FindKeys::Range {
                    lastkey: 0,
                    step: 1,
                    limit: 0,
                },
            ),
        ];
        assert_eq!(
            legacy_range(&smove),
            LegacyRange {
                first: 1,
                last: 2,
                step: 1,
                movable: false
            }
        );
        let zunionstore = [
            smove[0],
            spec(
                RO,
                BeginSearch::Index(2),
                FindKeys::Keynum {
                    keynumidx: 0,
                    firstkey: 1,
                    step: 1,
                },
            ),
        ];
        let range = legacy_range(&zunionstore);
        assert!(range.movable);
        assert_eq!((range.first, range.last, range.step), (1, 1, 1));
        assert_eq!(legacy_range(&[]), LegacyRange::default());
    }
}
