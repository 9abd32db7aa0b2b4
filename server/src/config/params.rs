//! The table of configuration parameters: Redis's names and aliases, how each value is parsed
//! and printed, which ones can change at run time, and Redis's exact validation messages.
//!
//! `CONFIG SET`, the config file and the command line all go through [`Param::set`], so a value
//! is accepted or refused with the same words everywhere.

use super::units::parse_memory;
use super::{
    Config, DebugCommand, EvictionPolicy, LogLevel, OUTPUT_BUFFER_CLASSES, OutputBufferLimit,
};

/// One configuration parameter.
pub struct Param {
    /// The redis.conf name.
    pub name: &'static str,
    /// Older names Redis still accepts (`hash-max-ziplist-entries`…).
    pub aliases: &'static [&'static str],
    /// Whether `CONFIG SET` may change it (otherwise "can't set immutable config").
    pub mutable: bool,
    /// Whether the config file and the command line may give it several words.
    pub multi_arg: bool,
    get: fn(&Config) -> String,
    set: fn(&mut Config, &str) -> Result<(), String>,
}

impl Param {
    /// The value as `CONFIG GET` prints it.
    pub fn get(&self, config: &Config) -> String {
        (self.get)(config)
    }

    /// Parses and stores a value; the error is the message Redis puts after
    /// `CONFIG SET failed (possibly related to argument '<name>') - `.
    pub fn set(&self, config: &mut Config, value: &str) -> Result<(), String> {
        (self.set)(config, value)
    }

    /// Whether `name` (any case) is this parameter's name or one of its aliases.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// Looks a parameter up by name or alias, in any case.
pub fn lookup(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.is_named(name))
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".to_string()),
    }
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

/// An integer parameter: Redis's `string2ll` accepts an optional minus sign and digits, with no
/// leading zeros.
fn parse_int(value: &str, min: i64, max: i64) -> Result<i64, String> {
    let parsed = crate::util::parse_i64(value.as_bytes())
        .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
    if parsed < min || parsed > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(parsed)
}

fn parse_mem(value: &str, min: u64, max: u64) -> Result<u64, String> {
    let parsed =
        parse_memory(value).ok_or_else(|| "argument must be a memory value".to_string())?;
    if parsed < min || parsed > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(parsed)
}

fn parse_enum<T: Copy>(value: &str, choices: &[(T, &'static str)]) -> Result<T, String> {
    choices
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(value))
        .map(|(choice, _)| *choice)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(_, n)| *n).collect();
            format!(
                "argument(s) must be one of the following: {}",
                names.join(", ")
            )
        })
}

const INT_MAX: i64 = i32::MAX as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LLONG_MAX: u64 = i64::MAX as u64;
const MB: u64 = 1024 * 1024;

/// `client-output-buffer-limit <class> <hard> <soft> <seconds> [<class> ...]`.
fn parse_output_buffer_limits(config: &mut Config, value: &str) -> Result<(), String> {
    let words: Vec<&str> = value.split_ascii_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".to_string());
    }
    let mut limits = config.client_output_buffer_limit;
    for chunk in words.chunks(4) {
        let class = match chunk[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err(
                    "Invalid client class specified in buffer limit configuration.".to_string(),
                );
            }
        };
        let hard = parse_memory(chunk[1]);
        let soft = parse_memory(chunk[2]);
        let seconds = crate::util::parse_i64(chunk[3].as_bytes()).filter(|s| *s >= 0);
        let (Some(hard), Some(soft), Some(seconds)) = (hard, soft, seconds) else {
            return Err(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                    .to_string(),
            );
        };
        limits[class] = OutputBufferLimit {
            hard,
            soft,
            soft_seconds: seconds as u64,
        };
    }
    config.client_output_buffer_limit = limits;
    Ok(())
}

fn print_output_buffer_limits(config: &Config) -> String {
    OUTPUT_BUFFER_CLASSES
        .iter()
        .zip(config.client_output_buffer_limit.iter())
        .map(|(class, l)| format!("{class} {} {} {}", l.hard, l.soft, l.soft_seconds))
        .collect::<Vec<_>>()
        .join(" ")
}

macro_rules! bool_param {
    ($name:literal, $field:ident) => {
        bool_param!($name, $field, true)
    };
    ($name:literal, $field:ident, $mutable:expr) => {
        Param {
            name: $name,
            aliases: &[],
            mutable: $mutable,
            multi_arg: false,
            get: |c| yes_no(c.$field),
            set: |c, v| {
                c.$field = parse_bool(v)?;
                Ok(())
            },
        }
    };
}

macro_rules! int_param {
    ($name:literal, $aliases:expr, $field:ident, $min:expr, $max:expr, $mutable:expr) => {
        Param {
            name: $name,
            aliases: $aliases,
            mutable: $mutable,
            multi_arg: false,
            get: |c| c.$field.to_string(),
            set: |c, v| {
                c.$field = parse_int(v, $min, $max)? as _;
                Ok(())
            },
        }
    };
}

macro_rules! mem_param {
    ($name:literal, $field:ident, $min:expr, $max:expr) => {
        mem_param!($name, &[], $field, $min, $max)
    };
    ($name:literal, $aliases:expr, $field:ident, $min:expr, $max:expr) => {
        Param {
            name: $name,
            aliases: $aliases,
            mutable: true,
            multi_arg: false,
            get: |c| c.$field.to_string(),
            set: |c, v| {
                c.$field = parse_mem(v, $min, $max)?;
                Ok(())
            },
        }
    };
}

/// Every parameter zedis understands. Parameters of features zedis does not have are absent,
/// except `save` and `appendonly`, which tools read to learn that nothing is persisted.
pub static PARAMS: &[Param] = &[
    int_param!("port", &[], port, 0, 65535, false),
    Param {
        name: "bind",
        aliases: &[],
        mutable: false,
        multi_arg: true,
        get: |c| c.bind.join(" "),
        set: |c, v| {
            c.bind = v.split_ascii_whitespace().map(str::to_string).collect();
            Ok(())
        },
    },
    bool_param!("protected-mode", protected_mode),
    int_param!("databases", &[], databases, 1, INT_MAX, false),
    int_param!("maxclients", &[], maxclients, 1, UINT_MAX, true),
    int_param!("timeout", &[], timeout, 0, INT_MAX, true),
    int_param!("tcp-keepalive", &[], tcp_keepalive, 0, INT_MAX, true),
    int_param!("tcp-backlog", &[], tcp_backlog, 0, INT_MAX, false),
    Param {
        name: "requirepass",
        aliases: &[],
        mutable: true,
        multi_arg: false,
        get: |c| String::from_utf8_lossy(c.requirepass.as_deref().unwrap_or_default()).into_owned(),
        set: |c, v| {
            c.requirepass = (!v.is_empty()).then(|| v.as_bytes().to_vec());
            Ok(())
        },
    },
    Param {
        name: "hz",
        aliases: &[],
        mutable: true,
        multi_arg: false,
        get: |c| c.hz.to_string(),
        // Accepted over 0..INT_MAX, kept within Redis's 1..=500 (`CONFIG_MIN_HZ`/`_MAX_HZ`).
        set: |c, v| {
            c.hz = parse_int(v, 0, INT_MAX)?.clamp(1, 500) as _;
            Ok(())
        },
    },
    Param {
        name: "loglevel",
        aliases: &[],
        mutable: true,
        multi_arg: false,
        get: |c| c.loglevel.name().to_string(),
        set: |c, v| {
            c.loglevel = parse_enum(v, &LogLevel::ALL)?;
            Ok(())
        },
    },
    Param {
        name: "logfile",
        aliases: &[],
        mutable: false,
        multi_arg: false,
        get: |c| c.logfile.clone(),
        set: |c, v| {
            c.logfile = v.to_string();
            Ok(())
        },
    },
    mem_param!("maxmemory", maxmemory, 0, u64::MAX),
    Param {
        name: "maxmemory-policy",
        aliases: &[],
        mutable: true,
        multi_arg: false,
        get: |c| c.maxmemory_policy.name().to_string(),
        set: |c, v| {
            c.maxmemory_policy = parse_enum(v, &EvictionPolicy::ALL)?;
            Ok(())
        },
    },
    int_param!(
        "maxmemory-samples",
        &[],
        maxmemory_samples,
        1,
        INT_MAX,
        true
    ),
    int_param!(
        "maxmemory-eviction-tenacity",
        &[],
        maxmemory_eviction_tenacity,
        0,
        100,
        true
    ),
    int_param!("lfu-log-factor", &[], lfu_log_factor, 0, INT_MAX, true),
    int_param!("lfu-decay-time", &[], lfu_decay_time, 0, INT_MAX, true),
    mem_param!("proto-max-bulk-len", proto_max_bulk_len, MB, LLONG_MAX),
    mem_param!(
        "client-query-buffer-limit",
        client_query_buffer_limit,
        MB,
        LLONG_MAX
    ),
    Param {
        name: "client-output-buffer-limit",
        aliases: &[],
        mutable: true,
        multi_arg: true,
        get: print_output_buffer_limits,
        set: parse_output_buffer_limits,
    },
    Param {
        name: "enable-debug-command",
        aliases: &[],
        mutable: false,
        multi_arg: false,
        get: |c| {
            match c.enable_debug_command {
                DebugCommand::No => "no",
                DebugCommand::Yes => "yes",
                DebugCommand::Local => "local",
            }
            .to_string()
        },
        set: |c, v| {
            c.enable_debug_command = parse_enum(
                v,
                &[
                    (DebugCommand::No, "no"),
                    (DebugCommand::Yes, "yes"),
                    (DebugCommand::Local, "local"),
                ],
            )?;
            Ok(())
        },
    },
    bool_param!("jemalloc-bg-thread", jemalloc_bg_thread),
    bool_param!("lazyfree-lazy-eviction", lazyfree_lazy_eviction),
    bool_param!("lazyfree-lazy-expire", lazyfree_lazy_expire),
    bool_param!("lazyfree-lazy-server-del", lazyfree_lazy_server_del),
    bool_param!("lazyfree-lazy-user-del", lazyfree_lazy_user_del),
    bool_param!("lazyfree-lazy-user-flush", lazyfree_lazy_user_flush),
    int_param!(
        "active-expire-effort",
        &[],
        active_expire_effort,
        1,
        10,
        true
    ),
    bool_param!("activerehashing", activerehashing),
    int_param!(
        "slowlog-log-slower-than",
        &[],
        slowlog_log_slower_than,
        -1,
        i64::MAX,
        true
    ),
    int_param!("slowlog-max-len", &[], slowlog_max_len, 0, i64::MAX, true),
    int_param!(
        "latency-monitor-threshold",
        &[],
        latency_monitor_threshold,
        0,
        i64::MAX,
        true
    ),
    int_param!(
        "list-max-listpack-size",
        &["list-max-ziplist-size"],
        list_max_listpack_size,
        i32::MIN as i64,
        INT_MAX,
        true
    ),
    int_param!(
        "hash-max-listpack-entries",
        &["hash-max-ziplist-entries"],
        hash_max_listpack_entries,
        0,
        i64::MAX,
        true
    ),
    // A memory value in Redis (`1kb` works).
    mem_param!(
        "hash-max-listpack-value",
        &["hash-max-ziplist-value"],
        hash_max_listpack_value,
        0,
        LLONG_MAX
    ),
    int_param!(
        "set-max-intset-entries",
        &[],
        set_max_intset_entries,
        0,
        i64::MAX,
        true
    ),
    int_param!(
        "set-max-listpack-entries",
        &[],
        set_max_listpack_entries,
        0,
        i64::MAX,
        true
    ),
    // A memory value in Redis (`1kb` works).
    mem_param!(
        "set-max-listpack-value",
        &[],
        set_max_listpack_value,
        0,
        LLONG_MAX
    ),
    int_param!(
        "zset-max-listpack-entries",
        &["zset-max-ziplist-entries"],
        zset_max_listpack_entries,
        0,
        i64::MAX,
        true
    ),
    // A memory value in Redis (`1kb` works).
    mem_param!(
        "zset-max-listpack-value",
        &["zset-max-ziplist-value"],
        zset_max_listpack_value,
        0,
        LLONG_MAX
    ),
    Param {
        name: "dir",
        aliases: &[],
        mutable: false,
        multi_arg: false,
        get: |c| c.dir.clone(),
        set: |c, v| {
            c.dir = v.to_string();
            Ok(())
        },
    },
    Param {
        name: "save",
        aliases: &[],
        mutable: false,
        multi_arg: true,
        get: |_| String::new(),
        set: |_, v| {
            if v.trim().is_empty() {
                Ok(())
            } else {
                Err("zedis does not persist data: only an empty save is accepted".to_string())
            }
        },
    },
    Param {
        name: "appendonly",
        aliases: &[],
        mutable: false,
        multi_arg: false,
        get: |_| "no".to_string(),
        set: |_, v| match parse_bool(v)? {
            false => Ok(()),
            true => Err("zedis has no append-only file: only 'no' is accepted".to_string()),
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: &str) -> Result<Config, String> {
        let mut config = Config::default();
        lookup(name).unwrap().set(&mut config, value)?;
        Ok(config)
    }

    #[test]
    fn errors_use_redis_words() {
        assert_eq!(
            set("maxmemory", "10xb").unwrap_err(),
            "argument must be a memory value"
        );
        assert_eq!(
            set("maxmemory-samples", "0").unwrap_err(),
            "argument must be between 1 and 2147483647 inclusive"
        );
        assert_eq!(
            set("maxmemory-policy", "foo").unwrap_err(),
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
             volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
        );
        assert_eq!(
            set("hz", "abc").unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            set("activerehashing", "maybe").unwrap_err(),
            "argument must be 'yes' or 'no'"
        );
        assert_eq!(
            set("proto-max-bulk-len", "100").unwrap_err(),
            "argument must be between 1048576 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            set("client-output-buffer-limit", "normal 1 2").unwrap_err(),
            "Wrong number of arguments in buffer limit configuration."
        );
        assert_eq!(
            set("client-output-buffer-limit", "foo 1 2 3").unwrap_err(),
            "Invalid client class specified in buffer limit configuration."
        );
    }

    #[test]
    fn values_print_as_config_get_shows_them() {
        let c = set("maxmemory", "100mb").unwrap();
        assert_eq!(lookup("maxmemory").unwrap().get(&c), "104857600");
        let c = set("client-output-buffer-limit", "normal 64mb 32mb 10").unwrap();
        assert_eq!(
            lookup("client-output-buffer-limit").unwrap().get(&c),
            "normal 67108864 33554432 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        let c = set("hash-max-ziplist-entries", "7").unwrap();
        assert_eq!(c.hash_max_listpack_entries, 7);
        assert_eq!(lookup("MAXMEMORY-POLICY").unwrap().name, "maxmemory-policy");
    }
}
