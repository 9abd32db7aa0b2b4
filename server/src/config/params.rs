//! The table of configuration parameters: every parameter of Redis 7.0 with its name, alias,
//! kind, default, flags (immutable, hidden, sensitive, protected, multi-word), and how zedis
//! keeps it. `CONFIG GET`/`SET`, the config file and the command line all go through
//! [`Param::set`] and [`Param::get`], so a value is validated, refused and printed with Redis's
//! words everywhere.
//!
//! A parameter zedis acts on is bound to a typed field of [`Config`], or kept as text and read
//! where it is used (replication timeouts, announced addresses). A parameter that only tunes a
//! feature zedis does not have yet (stream node sizes, the cluster bus…) is validated as Redis
//! validates it and kept as text, so tools read back what they set. A parameter that would
//! switch such a feature on (`tls-port`, `io-threads-do-reads yes`…) is refused with an error
//! naming what is missing: it is never accepted and silently ignored.

use super::units::parse_memory;
use super::{
    Config, DebugCommand, EvictionPolicy, LogLevel, OUTPUT_BUFFER_CLASSES, OomScoreAdj,
    OutputBufferLimit, Supervised,
};

/// `CONFIG SET` refuses it: "can't set immutable config".
pub const IMMUTABLE: u8 = 1 << 0;
/// Not matched by `CONFIG GET` patterns, only by its exact name.
pub const HIDDEN: u8 = 1 << 1;
/// Several words in the config file and on the command line (`save 3600 1 300 100`).
pub const MULTI_ARG: u8 = 1 << 2;
/// Its value is redacted from the slow log and `MONITOR` (`requirepass`, `masterauth`).
pub const SENSITIVE: u8 = 1 << 3;
/// `CONFIG SET` refuses it unless `enable-protected-configs` allows the client.
pub const PROTECTED: u8 = 1 << 4;
/// `CONFIG SET` refuses it while a dataset loads (`LOADING`), as Redis's
/// `DENY_LOADING_CONFIG`.
pub const DENY_LOADING: u8 = 1 << 5;

/// How a value is read and checked.
#[derive(Clone, Copy)]
pub enum Kind {
    Bool,
    /// A signed integer within bounds (`string2ll`).
    Int(i64, i64),
    /// An unsigned integer within bounds, compared as unsigned as Redis does.
    UInt(u64, u64),
    /// An octal number within bounds (`unixsocketperm`).
    Octal(u64, u64),
    /// A memory value (`100mb`, or bytes) within signed bounds, printed in bytes.
    Memory(i64, i64),
    /// A memory value within unsigned bounds (`maxmemory`).
    UMemory(u64, u64),
    /// A memory value or a percentage (`maxmemory-clients`; a percentage is kept negative).
    MemoryOrPercent(i64, i64),
    /// One of several names; several may name the same value (printed as the first).
    Enum(&'static [(&'static str, i64)]),
    /// Flags named by several words (`shutdown-on-sigint save now`).
    Flags(&'static [(&'static str, i64)]),
    /// Free text.
    Text,
    /// Parsed by the parameter's own setter.
    Special,
}

/// A checked value: its canonical text (what `CONFIG GET` will print) and, for numbers,
/// booleans and enums, its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub number: i64,
}

impl Value {
    fn text(text: &str) -> Value {
        Value {
            text: text.to_string(),
            number: 0,
        }
    }

    pub fn yes(&self) -> bool {
        self.number != 0
    }
}

type Gate = fn(&Value) -> Option<&'static str>;

/// Where a parameter's value lives.
enum Store {
    /// Kept as text in `Config::stored`: it tunes a feature zedis does not have yet.
    Stored,
    /// Kept as text, but values that would switch a missing feature on are refused.
    Gated(Gate),
    /// A typed field of `Config`.
    Field {
        get: fn(&Config) -> String,
        set: fn(&mut Config, &Value),
    },
    /// A field with its own parsing (`save`, `bind`, `client-output-buffer-limit`…).
    Special {
        get: fn(&Config) -> String,
        set: fn(&mut Config, &[&str]) -> Result<(), String>,
    },
}

/// One configuration parameter.
pub struct Param {
    /// The redis.conf name.
    pub name: &'static str,
    /// The older name Redis still accepts (`hash-max-ziplist-entries`, `slaveof`…).
    pub alias: Option<&'static str>,
    pub flags: u8,
    kind: Kind,
    /// What `CONFIG GET` prints before any change, for a parameter kept as text.
    default: &'static str,
    store: Store,
}

impl Param {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Whether `CONFIG SET` may change it.
    pub fn mutable(&self) -> bool {
        !self.has(IMMUTABLE)
    }

    /// Whether the config file and the command line may give it several words.
    pub fn multi_arg(&self) -> bool {
        self.has(MULTI_ARG)
    }

    /// How its value is read and checked (`CONFIG REWRITE` formats it by this).
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The value as `CONFIG GET` prints it.
    pub fn get(&self, config: &Config) -> String {
        match &self.store {
            Store::Stored | Store::Gated(_) => config
                .stored
                .get(self.name)
                .cloned()
                .unwrap_or_else(|| self.default.to_string()),
            Store::Field { get, .. } | Store::Special { get, .. } => get(config),
        }
    }

    /// Parses, checks and stores a value given as one string (multi-word parameters are split
    /// on spaces, as `CONFIG SET` splits them); the error is the message Redis puts after
    /// `CONFIG SET failed (possibly related to argument '<name>') - `.
    pub fn set(&self, config: &mut Config, value: &str) -> Result<(), String> {
        let words: Vec<&str> = if self.multi_arg() {
            if value.is_empty() {
                Vec::new()
            } else {
                value.split(' ').collect()
            }
        } else {
            vec![value]
        };
        self.set_words(config, &words)
    }

    /// Like [`Param::set`], with the words already split (config file lines).
    pub fn set_words(&self, config: &mut Config, words: &[&str]) -> Result<(), String> {
        if let Store::Special { set, .. } = &self.store {
            return set(config, words);
        }
        let checked = check(self.kind, words)?;
        match &self.store {
            Store::Stored => {
                config.stored.insert(self.name, checked.text);
            }
            Store::Gated(gate) => {
                if let Some(refusal) = gate(&checked) {
                    return Err(refusal.to_string());
                }
                config.stored.insert(self.name, checked.text);
            }
            Store::Field { set, .. } => set(config, &checked),
            Store::Special { .. } => unreachable!("handled above"),
        }
        Ok(())
    }

    /// Whether `name` (any case) is this parameter's name or its alias.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    }

    /// The name and the alias.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.alias)
    }
}

/// Looks a parameter up by name or alias, in any case.
pub fn lookup(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.is_named(name))
}

/// Redis's `yesnotoi`.
fn parse_bool(value: &str) -> Result<bool, String> {
    if value.eq_ignore_ascii_case("yes") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".to_string())
    }
}

pub fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

fn signed_bounds(value: i64, min: i64, max: i64) -> Result<i64, String> {
    if value < min || value > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(value)
}

fn unsigned_bounds(value: u64, min: u64, max: u64) -> Result<u64, String> {
    if value < min || value > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(value)
}

fn number(text: String, number: i64) -> Value {
    Value { text, number }
}

/// Checks one value of a kind and gives its canonical form.
fn check(kind: Kind, words: &[&str]) -> Result<Value, String> {
    let single = || -> Result<&str, String> {
        match words {
            [word] => Ok(*word),
            _ => Err("wrong number of arguments".to_string()),
        }
    };
    let not_integer = || "argument couldn't be parsed into an integer".to_string();
    let not_memory = || "argument must be a memory value".to_string();
    Ok(match kind {
        Kind::Bool => {
            let yes = parse_bool(single()?)?;
            number(yes_no(yes), i64::from(yes))
        }
        Kind::Int(min, max) => {
            let v = crate::util::parse_i64(single()?.as_bytes()).ok_or_else(not_integer)?;
            let v = signed_bounds(v, min, max)?;
            number(v.to_string(), v)
        }
        Kind::UInt(min, max) => {
            // Redis parses as a signed long long and compares the bits as unsigned.
            let v = crate::util::parse_i64(single()?.as_bytes()).ok_or_else(not_integer)? as u64;
            let v = unsigned_bounds(v, min, max)?;
            number(v.to_string(), v as i64)
        }
        Kind::Octal(min, max) => {
            let text = single()?;
            let v = i64::from_str_radix(text, 8)
                .ok()
                .filter(|_| !text.is_empty())
                .ok_or_else(|| "argument couldn't be parsed as an octal number".to_string())?
                as u64;
            if v < min || v > max {
                return Err(format!(
                    "argument must be between {min:o} and {max:o} inclusive"
                ));
            }
            number(format!("{v:o}"), v as i64)
        }
        Kind::Memory(min, max) => {
            let v = parse_memory(single()?).ok_or_else(not_memory)? as i64;
            let v = signed_bounds(v, min, max)?;
            number(v.to_string(), v)
        }
        Kind::UMemory(min, max) => {
            let v = parse_memory(single()?).ok_or_else(not_memory)?;
            let v = unsigned_bounds(v, min, max)?;
            number(v.to_string(), v as i64)
        }
        Kind::MemoryOrPercent(min, max) => {
            let text = single()?;
            let parsed = parse_memory(text).map(|v| v as i64).or_else(|| {
                text.strip_suffix('%')
                    .filter(|digits| !digits.is_empty())
                    .and_then(|digits| crate::util::parse_i64(digits.as_bytes()))
                    .filter(|p| *p >= 0)
                    .map(|p| -p)
            });
            let v =
                parsed.ok_or_else(|| "argument must be a memory or percent value".to_string())?;
            if v < 0 {
                if v < min {
                    return Err(format!(
                        "percentage argument must be less or equal to {}",
                        -min
                    ));
                }
                number(format!("{}%", -v), v)
            } else {
                let v = signed_bounds(v, min, max)?;
                number(v.to_string(), v)
            }
        }
        Kind::Enum(choices) => {
            let word = single()?;
            let (_, v) = choices
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(word))
                .ok_or_else(|| enum_error(choices))?;
            let canonical = choices.iter().find(|(_, n)| n == v).map_or("", |(n, _)| n);
            number(canonical.to_string(), *v)
        }
        Kind::Flags(choices) => {
            let mut bits = 0;
            for word in words {
                let (_, v) = choices
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(word))
                    .ok_or_else(|| enum_error(choices))?;
                bits |= v;
            }
            number(flag_names(choices, bits), bits)
        }
        Kind::Text => Value::text(single()?),
        Kind::Special => unreachable!("special parameters parse their own words"),
    })
}

fn enum_error(choices: &[(&str, i64)]) -> String {
    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
    format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    )
}

/// Redis's `configEnumGetName` for bit flags: the name of zero alone, else every set flag.
fn flag_names(choices: &[(&str, i64)], bits: i64) -> String {
    if bits == 0 {
        return choices
            .iter()
            .find(|(_, v)| *v == 0)
            .map_or("", |(n, _)| n)
            .to_string();
    }
    choices
        .iter()
        .filter(|(_, v)| *v != 0 && bits & v == *v)
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(" ")
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: u64 = u32::MAX as u64;
const LONG_MAX: i64 = i64::MAX;
const MB: i64 = 1024 * 1024;

/// `client-output-buffer-limit <class> <hard> <soft> <seconds> [<class> ...]`.
fn set_output_buffer_limits(config: &mut Config, words: &[&str]) -> Result<(), String> {
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

fn get_output_buffer_limits(config: &Config) -> String {
    OUTPUT_BUFFER_CLASSES
        .iter()
        .zip(config.client_output_buffer_limit.iter())
        .map(|(class, l)| format!("{class} {} {} {}", l.hard, l.soft, l.soft_seconds))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `save`: only the empty schedule, which is what zedis does (it keeps no snapshot yet); the
/// words are checked as Redis checks them first, so a malformed schedule gets Redis's error.
fn set_save(config: &mut Config, words: &[&str]) -> Result<(), String> {
    config.save_params = parse_save(words)?;
    Ok(())
}

/// `save` in a config file or on the command line: the first occurrence replaces the default
/// save points, later ones add to them, and `save ""` clears them (Redis's
/// `setConfigSaveOption` while reading the config).
pub fn read_save(config: &mut Config, words: &[&str]) -> Result<(), String> {
    let pairs = parse_save(words)?;
    if !config.save_params_read || pairs.is_empty() {
        config.save_params.clear();
        config.save_params_read = true;
    }
    config.save_params.extend(pairs);
    Ok(())
}

/// Save points as (seconds, changes) pairs; `""` is none.
fn parse_save(words: &[&str]) -> Result<Vec<(u64, u64)>, String> {
    let words: &[&str] = if words == [""] { &[] } else { words };
    let numbers: Option<Vec<i64>> = words
        .iter()
        .map(|w| crate::util::parse_i64(w.as_bytes()))
        .collect();
    let valid = words.len().is_multiple_of(2)
        && numbers.as_ref().is_some_and(|n| {
            n.iter()
                .enumerate()
                .all(|(i, &v)| if i % 2 == 0 { v >= 1 } else { v >= 0 })
        });
    if !valid {
        return Err("Invalid save parameters".to_string());
    }
    Ok(numbers
        .unwrap_or_default()
        .chunks(2)
        .map(|pair| (pair[0] as u64, pair[1] as u64))
        .collect())
}

/// `save` as `CONFIG GET` prints it: `seconds changes` pairs, space-separated.
fn get_save(config: &Config) -> String {
    config
        .save_params
        .iter()
        .map(|(seconds, changes)| format!("{seconds} {changes}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `bind`: one or more addresses (at most 16); an empty value binds nothing.
fn set_bind(config: &mut Config, words: &[&str]) -> Result<(), String> {
    if words.len() > 16 {
        return Err("Too many bind addresses specified.".to_string());
    }
    let words: &[&str] = if words == [""] { &[] } else { words };
    config.bind = words.iter().map(|w| w.to_string()).collect();
    Ok(())
}

/// `dir`: the working directory, where Redis's files go; changed with `chdir`.
fn set_dir(config: &mut Config, words: &[&str]) -> Result<(), String> {
    let [dir] = words else {
        return Err("wrong number of arguments".to_string());
    };
    std::env::set_current_dir(dir).map_err(|e| crate::util::strerror(&e))?;
    config.dir = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| dir.to_string());
    Ok(())
}

/// `oom-score-adj-values <normal> <replica> <background child>`.
fn set_oom_score_adj_values(config: &mut Config, words: &[&str]) -> Result<(), String> {
    if words.len() != 3 {
        return Err("wrong number of arguments".to_string());
    }
    let mut values = [0i32; 3];
    for (slot, word) in values.iter_mut().zip(words) {
        *slot = crate::util::parse_i64(word.as_bytes())
            .filter(|v| (-2000..=2000).contains(v))
            .ok_or_else(|| {
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".to_string()
            })? as i32;
    }
    config.oom_score_adj_values = values;
    Ok(())
}

/// `latency-tracking-info-percentiles`: percentiles between 0 and 100; `""` for none.
fn set_percentiles(config: &mut Config, words: &[&str]) -> Result<(), String> {
    let words: &[&str] = if words == [""] { &[] } else { words };
    let mut percentiles = Vec::with_capacity(words.len());
    for word in words {
        let p = crate::util::strtod::string2d(word.as_bytes())
            .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .to_string(),
            );
        }
        percentiles.push(p);
    }
    config.latency_tracking_info_percentiles = percentiles;
    Ok(())
}

/// Percentiles as Redis prints them (`%f`, trailing zeros trimmed).
fn get_percentiles(config: &Config) -> String {
    config
        .latency_tracking_info_percentiles
        .iter()
        .map(|p| crate::util::strip_fraction_zeros(&format!("{p:.6}")).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `notify-keyspace-events`: the classes of keyspace notifications published.
fn set_notify_keyspace_events(config: &mut Config, words: &[&str]) -> Result<(), String> {
    let [classes] = words else {
        return Err("wrong number of arguments".to_string());
    };
    config.notify_keyspace_events = super::notify::parse(classes.as_bytes())
        .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())?;
    Ok(())
}

/// `replicaof host port` / `no one` (config file and command line only, as in Redis).
fn set_replicaof(config: &mut Config, words: &[&str]) -> Result<(), String> {
    let [host, port] = words else {
        return Err("wrong number of arguments".to_string());
    };
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        config.replicaof = None;
        return Ok(());
    }
    match crate::util::parse_i64(port.as_bytes()) {
        Some(p) if (0..=65535).contains(&p) => {
            config.replicaof = Some((host.to_string(), p as u16));
            Ok(())
        }
        _ => Err("Invalid master port".to_string()),
    }
}

/// A parameter kept as text.
const fn stored(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        flags: 0,
        kind,
        default,
        store: Store::Stored,
    }
}

const fn gated(name: &'static str, kind: Kind, default: &'static str, gate: Gate) -> Param {
    Param {
        name,
        alias: None,
        flags: 0,
        kind,
        default,
        store: Store::Gated(gate),
    }
}

const fn special(
    name: &'static str,
    get: fn(&Config) -> String,
    set: fn(&mut Config, &[&str]) -> Result<(), String>,
) -> Param {
    Param {
        name,
        alias: None,
        flags: MULTI_ARG,
        kind: Kind::Special,
        default: "",
        store: Store::Special { get, set },
    }
}

impl Param {
    const fn alias(self, alias: &'static str) -> Param {
        Param {
            alias: Some(alias),
            ..self
        }
    }

    const fn flags(self, flags: u8) -> Param {
        Param {
            flags: self.flags | flags,
            ..self
        }
    }

    const fn single(self) -> Param {
        Param {
            flags: self.flags & !MULTI_ARG,
            ..self
        }
    }
}

macro_rules! field {
    ($name:literal, $kind:expr, $field:ident, bool) => {
        Param {
            name: $name,
            alias: None,
            flags: 0,
            kind: $kind,
            default: "",
            store: Store::Field {
                get: |c| yes_no(c.$field),
                set: |c, v| c.$field = v.yes(),
            },
        }
    };
    ($name:literal, $kind:expr, $field:ident, text) => {
        Param {
            name: $name,
            alias: None,
            flags: 0,
            kind: $kind,
            default: "",
            store: Store::Field {
                get: |c| c.$field.clone(),
                set: |c, v| c.$field = v.text.clone(),
            },
        }
    };
    ($name:literal, $kind:expr, $field:ident) => {
        Param {
            name: $name,
            alias: None,
            flags: 0,
            kind: $kind,
            default: "",
            store: Store::Field {
                get: |c| c.$field.to_string(),
                set: |c, v| c.$field = v.number as _,
            },
        }
    };
}

/// A gate that refuses `yes`, with a message.
macro_rules! refuse_yes {
    ($message:literal) => {
        |v: &Value| v.yes().then_some($message)
    };
}

/// A gate that refuses anything but the empty string.
macro_rules! refuse_text {
    ($message:literal) => {
        |v: &Value| (!v.text.is_empty()).then_some($message)
    };
}

const PROTECTED_ACTION: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("local", 2)];
/// `supervised`, numbered by position in [`Supervised::ALL`].
const SUPERVISED: &[(&str, i64)] = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
/// `syslog-facility`: each name with its syslog(3) facility code.
pub const SYSLOG_FACILITIES: &[(&str, i64)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const LOG_LEVELS: &[(&str, i64)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const POLICIES: &[(&str, i64)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const OOM_SCORE_ADJ: &[(&str, i64)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const SHUTDOWN_ON_SIGNAL: &[(&str, i64)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

/// `shutdown-on-sig*`: SAVE and NOSAVE contradict each other (Redis's
/// `isValidShutdownOnSigFlags`).
fn save_and_nosave(v: &Value) -> Option<&'static str> {
    (v.number & 3 == 3).then_some("shutdown options SAVE and NOSAVE can't be used simultaneously")
}

/// Every parameter of Redis 7.0.15, in the order of its `config.c` table.
pub static PARAMS: &[Param] = &[
    // Booleans.
    field!("rdbchecksum", Kind::Bool, rdbchecksum, bool).flags(IMMUTABLE),
    field!("daemonize", Kind::Bool, daemonize, bool).flags(IMMUTABLE),
    gated(
        "io-threads-do-reads",
        Kind::Bool,
        "no",
        refuse_yes!("zedis runs commands and I/O on one thread: threaded reads are not available"),
    )
    .flags(IMMUTABLE),
    stored("always-show-logo", Kind::Bool, "no").flags(IMMUTABLE),
    field!("protected-mode", Kind::Bool, protected_mode, bool),
    field!("rdbcompression", Kind::Bool, rdbcompression, bool),
    stored("rdb-del-sync-files", Kind::Bool, "no"),
    field!("activerehashing", Kind::Bool, activerehashing, bool),
    field!(
        "stop-writes-on-bgsave-error",
        Kind::Bool,
        stop_writes_on_bgsave_error,
        bool
    ),
    stored("set-proc-title", Kind::Bool, "yes").flags(IMMUTABLE),
    field!("dynamic-hz", Kind::Bool, dynamic_hz, bool),
    field!(
        "lazyfree-lazy-eviction",
        Kind::Bool,
        lazyfree_lazy_eviction,
        bool
    ),
    field!(
        "lazyfree-lazy-expire",
        Kind::Bool,
        lazyfree_lazy_expire,
        bool
    ),
    field!(
        "lazyfree-lazy-server-del",
        Kind::Bool,
        lazyfree_lazy_server_del,
        bool
    ),
    field!(
        "lazyfree-lazy-user-del",
        Kind::Bool,
        lazyfree_lazy_user_del,
        bool
    ),
    field!(
        "lazyfree-lazy-user-flush",
        Kind::Bool,
        lazyfree_lazy_user_flush,
        bool
    ),
    stored("repl-disable-tcp-nodelay", Kind::Bool, "no"),
    stored("repl-diskless-sync", Kind::Bool, "yes"),
    stored("aof-rewrite-incremental-fsync", Kind::Bool, "yes"),
    field!(
        "no-appendfsync-on-rewrite",
        Kind::Bool,
        no_appendfsync_on_rewrite,
        bool
    ),
    stored("cluster-require-full-coverage", Kind::Bool, "yes"),
    stored("rdb-save-incremental-fsync", Kind::Bool, "yes"),
    field!("aof-load-truncated", Kind::Bool, aof_load_truncated, bool),
    field!(
        "aof-use-rdb-preamble",
        Kind::Bool,
        aof_use_rdb_preamble,
        bool
    ),
    field!(
        "aof-timestamp-enabled",
        Kind::Bool,
        aof_timestamp_enabled,
        bool
    ),
    stored("cluster-replica-no-failover", Kind::Bool, "no").alias("cluster-slave-no-failover"),
    stored("replica-lazy-flush", Kind::Bool, "no").alias("slave-lazy-flush"),
    field!(
        "replica-serve-stale-data",
        Kind::Bool,
        replica_serve_stale_data,
        bool
    )
    .alias("slave-serve-stale-data"),
    field!("replica-read-only", Kind::Bool, replica_read_only, bool).alias("slave-read-only"),
    stored("replica-ignore-maxmemory", Kind::Bool, "yes").alias("slave-ignore-maxmemory"),
    field!("jemalloc-bg-thread", Kind::Bool, jemalloc_bg_thread, bool),
    // Redis's own words when it is built without its defragmenting jemalloc.
    gated(
        "activedefrag",
        Kind::Bool,
        "no",
        refuse_yes!(
            "Active defragmentation cannot be enabled: it requires a Redis server compiled \
             with a modified Jemalloc like the one shipped by default with the Redis source \
             distribution"
        ),
    ),
    field!("syslog-enabled", Kind::Bool, syslog_enabled, bool).flags(IMMUTABLE),
    field!("cluster-enabled", Kind::Bool, cluster_enabled, bool).flags(IMMUTABLE),
    field!("appendonly", Kind::Bool, appendonly, bool).flags(DENY_LOADING),
    stored("cluster-allow-reads-when-down", Kind::Bool, "no"),
    stored("cluster-allow-pubsubshard-when-down", Kind::Bool, "yes"),
    stored("crash-log-enabled", Kind::Bool, "yes"),
    stored("crash-memcheck-enabled", Kind::Bool, "yes"),
    stored("use-exit-on-panic", Kind::Bool, "no").flags(HIDDEN),
    field!("disable-thp", Kind::Bool, disable_thp, bool).flags(IMMUTABLE),
    stored("cluster-allow-replica-migration", Kind::Bool, "yes"),
    stored("replica-announced", Kind::Bool, "yes"),
    field!("latency-tracking", Kind::Bool, latency_tracking, bool),
    field!("aof-disable-auto-gc", Kind::Bool, aof_disable_auto_gc, bool),
    stored("replica-ignore-disk-write-errors", Kind::Bool, "no"),
    stored("lua-enable-deprecated-api", Kind::Bool, "no").flags(IMMUTABLE | HIDDEN),
    // Strings.
    gated(
        "aclfile",
        Kind::Text,
        "",
        refuse_text!("zedis has no ACL users beyond requirepass yet"),
    )
    .flags(IMMUTABLE),
    gated(
        "unixsocket",
        Kind::Text,
        "",
        refuse_text!("zedis does not listen on a unix socket yet"),
    )
    .flags(IMMUTABLE),
    field!("pidfile", Kind::Text, pidfile, text).flags(IMMUTABLE),
    stored("replica-announce-ip", Kind::Text, "").alias("slave-announce-ip"),
    stored("masteruser", Kind::Text, "").flags(SENSITIVE),
    stored("cluster-announce-ip", Kind::Text, ""),
    stored("cluster-config-file", Kind::Text, "nodes.conf").flags(IMMUTABLE),
    stored("cluster-announce-hostname", Kind::Text, ""),
    field!("syslog-ident", Kind::Text, syslog_ident, text).flags(IMMUTABLE),
    Param {
        flags: PROTECTED,
        ..special(
            "dbfilename",
            |c| c.dbfilename.clone(),
            |c, words| {
                let [name] = words else {
                    return Err("wrong number of arguments".to_string());
                };
                if name.contains('/') {
                    return Err("dbfilename can't be a path, just a filename".to_string());
                }
                c.dbfilename = name.to_string();
                Ok(())
            },
        )
    },
    special(
        "appendfilename",
        |c| c.appendfilename.clone(),
        |c, words| {
            let [name] = words else {
                return Err("wrong number of arguments".to_string());
            };
            if name.is_empty() {
                return Err("appendfilename can't be empty".to_string());
            }
            if name.contains('/') {
                return Err("appendfilename can't be a path, just a filename".to_string());
            }
            c.appendfilename = name.to_string();
            Ok(())
        },
    )
    .single()
    .flags(IMMUTABLE),
    special(
        "appenddirname",
        |c| c.appenddirname.clone(),
        |c, words| {
            let [name] = words else {
                return Err("wrong number of arguments".to_string());
            };
            if name.is_empty() {
                return Err("appenddirname can't be empty".to_string());
            }
            if name.contains('/') {
                return Err("appenddirname can't be a path, just a dirname".to_string());
            }
            c.appenddirname = name.to_string();
            Ok(())
        },
    )
    .single()
    .flags(IMMUTABLE),
    stored("server_cpulist", Kind::Text, "").flags(IMMUTABLE),
    stored("bio_cpulist", Kind::Text, "").flags(IMMUTABLE),
    stored("aof_rewrite_cpulist", Kind::Text, "").flags(IMMUTABLE),
    stored("bgsave_cpulist", Kind::Text, "").flags(IMMUTABLE),
    stored("ignore-warnings", Kind::Text, ""),
    stored(
        "proc-title-template",
        Kind::Text,
        "{title} {listen-addr} {server-mode}",
    ),
    stored("bind-source-addr", Kind::Text, ""),
    field!("logfile", Kind::Text, logfile, text).flags(IMMUTABLE),
    stored("masterauth", Kind::Text, "").flags(SENSITIVE),
    Param {
        name: "requirepass",
        alias: None,
        flags: SENSITIVE,
        kind: Kind::Text,
        default: "",
        store: Store::Field {
            get: |c| {
                String::from_utf8_lossy(c.requirepass.as_deref().unwrap_or_default()).into_owned()
            },
            set: |c, v| c.requirepass = (!v.text.is_empty()).then(|| v.text.as_bytes().to_vec()),
        },
    },
    // Enums.
    special(
        "supervised",
        |c| c.supervised.name().to_string(),
        |c, words| {
            let checked = check(Kind::Enum(SUPERVISED), words)?;
            let (mode, _) = Supervised::ALL[checked.number as usize];
            if mode == Supervised::Upstart {
                return Err(
                    "zedis does not support upstart supervision: use 'supervised systemd'"
                        .to_string(),
                );
            }
            c.supervised = mode;
            Ok(())
        },
    )
    .single()
    .flags(IMMUTABLE),
    Param {
        name: "syslog-facility",
        alias: None,
        flags: IMMUTABLE,
        kind: Kind::Enum(SYSLOG_FACILITIES),
        default: "",
        store: Store::Field {
            get: |c| {
                SYSLOG_FACILITIES
                    .iter()
                    .find(|(_, n)| *n == c.syslog_facility)
                    .map_or("local0", |(name, _)| name)
                    .to_string()
            },
            set: |c, v| c.syslog_facility = v.number,
        },
    },
    stored(
        "repl-diskless-load",
        Kind::Enum(&[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)]),
        "disabled",
    ),
    Param {
        name: "loglevel",
        alias: None,
        flags: 0,
        kind: Kind::Enum(LOG_LEVELS),
        default: "",
        store: Store::Field {
            get: |c| c.loglevel.name().to_string(),
            set: |c, v| c.loglevel = LogLevel::ALL[v.number as usize].0,
        },
    },
    Param {
        name: "maxmemory-policy",
        alias: None,
        flags: 0,
        kind: Kind::Enum(POLICIES),
        default: "",
        store: Store::Field {
            get: |c| c.maxmemory_policy.name().to_string(),
            set: |c, v| c.maxmemory_policy = EvictionPolicy::ALL[v.number as usize].0,
        },
    },
    Param {
        name: "appendfsync",
        alias: None,
        flags: 0,
        kind: Kind::Enum(&[("everysec", 2), ("always", 1), ("no", 0)]),
        default: "",
        store: Store::Field {
            get: |c| {
                match c.appendfsync {
                    0 => "no",
                    1 => "always",
                    _ => "everysec",
                }
                .to_string()
            },
            set: |c, v| c.appendfsync = v.number,
        },
    },
    Param {
        name: "oom-score-adj",
        alias: None,
        flags: 0,
        kind: Kind::Enum(OOM_SCORE_ADJ),
        default: "",
        store: Store::Field {
            get: |c| c.oom_score_adj.name().to_string(),
            set: |c, v| {
                c.oom_score_adj = match v.number {
                    0 => OomScoreAdj::No,
                    1 => OomScoreAdj::Relative,
                    _ => OomScoreAdj::Absolute,
                }
            },
        },
    },
    stored(
        "acl-pubsub-default",
        Kind::Enum(&[("allchannels", 1), ("resetchannels", 0)]),
        "resetchannels",
    ),
    stored(
        "sanitize-dump-payload",
        Kind::Enum(&[("no", 0), ("yes", 1), ("clients", 2)]),
        "no",
    ),
    Param {
        name: "enable-protected-configs",
        alias: None,
        flags: IMMUTABLE,
        kind: Kind::Enum(PROTECTED_ACTION),
        default: "",
        store: Store::Field {
            get: |c| c.enable_protected_configs.name().to_string(),
            set: |c, v| c.enable_protected_configs = DebugCommand::from_number(v.number),
        },
    },
    Param {
        name: "enable-debug-command",
        alias: None,
        flags: IMMUTABLE,
        kind: Kind::Enum(PROTECTED_ACTION),
        default: "",
        store: Store::Field {
            get: |c| c.enable_debug_command.name().to_string(),
            set: |c, v| c.enable_debug_command = DebugCommand::from_number(v.number),
        },
    },
    Param {
        name: "enable-module-command",
        alias: None,
        flags: IMMUTABLE,
        kind: Kind::Enum(PROTECTED_ACTION),
        default: "",
        store: Store::Field {
            get: |c| c.enable_module_command.name().to_string(),
            set: |c, v| c.enable_module_command = DebugCommand::from_number(v.number),
        },
    },
    stored(
        "cluster-preferred-endpoint-type",
        Kind::Enum(&[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)]),
        "ip",
    ),
    stored(
        "propagation-error-behavior",
        Kind::Enum(&[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)]),
        "ignore",
    ),
    gated(
        "shutdown-on-sigint",
        Kind::Flags(SHUTDOWN_ON_SIGNAL),
        "default",
        save_and_nosave,
    )
    .flags(MULTI_ARG),
    gated(
        "shutdown-on-sigterm",
        Kind::Flags(SHUTDOWN_ON_SIGNAL),
        "default",
        save_and_nosave,
    )
    .flags(MULTI_ARG),
    // Integers.
    Param {
        flags: IMMUTABLE,
        ..field!("databases", Kind::Int(1, INT_MAX), databases)
    },
    field!("port", Kind::Int(0, 65535), port),
    gated("io-threads", Kind::Int(1, 128), "1", |v| {
        (v.number > 1).then_some("zedis runs commands and I/O on one thread: io-threads must be 1")
    })
    .flags(IMMUTABLE),
    field!(
        "auto-aof-rewrite-percentage",
        Kind::Int(0, INT_MAX),
        auto_aof_rewrite_percentage
    ),
    stored(
        "cluster-replica-validity-factor",
        Kind::Int(0, INT_MAX),
        "10",
    )
    .alias("cluster-slave-validity-factor"),
    Param {
        alias: Some("list-max-ziplist-size"),
        ..field!(
            "list-max-listpack-size",
            Kind::Int(INT_MIN, INT_MAX),
            list_max_listpack_size
        )
    },
    field!("tcp-keepalive", Kind::Int(0, INT_MAX), tcp_keepalive),
    stored("cluster-migration-barrier", Kind::Int(0, INT_MAX), "1"),
    stored("active-defrag-cycle-min", Kind::Int(1, 99), "1"),
    stored("active-defrag-cycle-max", Kind::Int(1, 99), "25"),
    stored("active-defrag-threshold-lower", Kind::Int(0, 1000), "10"),
    stored("active-defrag-threshold-upper", Kind::Int(0, 1000), "100"),
    field!("lfu-log-factor", Kind::Int(0, INT_MAX), lfu_log_factor),
    field!("lfu-decay-time", Kind::Int(0, INT_MAX), lfu_decay_time),
    stored("replica-priority", Kind::Int(0, INT_MAX), "100").alias("slave-priority"),
    stored("repl-diskless-sync-delay", Kind::Int(0, INT_MAX), "5"),
    field!(
        "maxmemory-samples",
        Kind::Int(1, INT_MAX),
        maxmemory_samples
    ),
    field!(
        "maxmemory-eviction-tenacity",
        Kind::Int(0, 100),
        maxmemory_eviction_tenacity
    ),
    field!("timeout", Kind::Int(0, INT_MAX), timeout),
    stored("replica-announce-port", Kind::Int(0, 65535), "0").alias("slave-announce-port"),
    Param {
        flags: IMMUTABLE,
        ..field!("tcp-backlog", Kind::Int(0, INT_MAX), tcp_backlog)
    },
    stored("cluster-port", Kind::Int(0, 65535), "0").flags(IMMUTABLE),
    stored("cluster-announce-bus-port", Kind::Int(0, 65535), "0"),
    stored("cluster-announce-port", Kind::Int(0, 65535), "0"),
    stored("cluster-announce-tls-port", Kind::Int(0, 65535), "0"),
    stored("repl-timeout", Kind::Int(1, INT_MAX), "60"),
    stored("repl-ping-replica-period", Kind::Int(1, INT_MAX), "10").alias("repl-ping-slave-period"),
    field!(
        "list-compress-depth",
        Kind::Int(0, INT_MAX),
        list_compress_depth
    ),
    field!(
        "rdb-key-save-delay",
        Kind::Int(INT_MIN, INT_MAX),
        rdb_key_save_delay
    )
    .flags(HIDDEN),
    field!(
        "key-load-delay",
        Kind::Int(INT_MIN, INT_MAX),
        key_load_delay
    )
    .flags(HIDDEN),
    field!(
        "active-expire-effort",
        Kind::Int(1, 10),
        active_expire_effort
    ),
    Param {
        name: "hz",
        alias: None,
        flags: 0,
        kind: Kind::Int(0, INT_MAX),
        default: "",
        store: Store::Field {
            get: |c| c.hz.to_string(),
            // Accepted over 0..INT_MAX, kept within Redis's 1..=500 (`CONFIG_MIN_HZ`/`_MAX_HZ`).
            set: |c, v| c.hz = v.number.clamp(1, 500) as u32,
        },
    },
    field!(
        "min-replicas-to-write",
        Kind::Int(0, INT_MAX),
        min_replicas_to_write
    )
    .alias("min-slaves-to-write"),
    field!(
        "min-replicas-max-lag",
        Kind::Int(0, INT_MAX),
        min_replicas_max_lag
    )
    .alias("min-slaves-max-lag"),
    stored("watchdog-period", Kind::Int(0, INT_MAX), "0").flags(HIDDEN),
    stored("shutdown-timeout", Kind::Int(0, INT_MAX), "10"),
    stored(
        "repl-diskless-sync-max-replicas",
        Kind::Int(0, INT_MAX),
        "0",
    ),
    // Unsigned integers.
    field!("maxclients", Kind::UInt(1, UINT_MAX), maxclients),
    stored("unixsocketperm", Kind::Octal(0, 0o777), "0").flags(IMMUTABLE),
    stored("socket-mark-id", Kind::UInt(0, UINT_MAX), "0").flags(IMMUTABLE),
    stored(
        "active-defrag-max-scan-fields",
        Kind::UInt(1, LONG_MAX as u64),
        "1000",
    ),
    field!(
        "slowlog-max-len",
        Kind::UInt(0, LONG_MAX as u64),
        slowlog_max_len
    ),
    stored("acllog-max-len", Kind::UInt(0, LONG_MAX as u64), "128"),
    // Long longs.
    field!(
        "busy-reply-threshold",
        Kind::Int(0, LONG_MAX),
        busy_reply_threshold
    )
    .alias("lua-time-limit"),
    stored("cluster-node-timeout", Kind::Int(0, LONG_MAX), "15000"),
    field!(
        "slowlog-log-slower-than",
        Kind::Int(-1, LONG_MAX),
        slowlog_log_slower_than
    ),
    field!(
        "latency-monitor-threshold",
        Kind::Int(0, LONG_MAX),
        latency_monitor_threshold
    ),
    field!(
        "proto-max-bulk-len",
        Kind::Memory(MB, LONG_MAX),
        proto_max_bulk_len
    ),
    stored("stream-node-max-entries", Kind::Int(0, LONG_MAX), "100"),
    stored("repl-backlog-size", Kind::Memory(1, LONG_MAX), "1048576"),
    // Unsigned long longs.
    field!("maxmemory", Kind::UMemory(0, u64::MAX), maxmemory),
    stored(
        "cluster-link-sendbuf-limit",
        Kind::UMemory(0, u64::MAX),
        "0",
    ),
    // Sizes.
    Param {
        alias: Some("hash-max-ziplist-entries"),
        ..field!(
            "hash-max-listpack-entries",
            Kind::UInt(0, LONG_MAX as u64),
            hash_max_listpack_entries
        )
    },
    field!(
        "set-max-intset-entries",
        Kind::UInt(0, LONG_MAX as u64),
        set_max_intset_entries
    ),
    Param {
        alias: Some("zset-max-ziplist-entries"),
        ..field!(
            "zset-max-listpack-entries",
            Kind::UInt(0, LONG_MAX as u64),
            zset_max_listpack_entries
        )
    },
    stored(
        "active-defrag-ignore-bytes",
        Kind::UMemory(1, LONG_MAX as u64),
        "104857600",
    ),
    Param {
        alias: Some("hash-max-ziplist-value"),
        ..field!(
            "hash-max-listpack-value",
            Kind::UMemory(0, LONG_MAX as u64),
            hash_max_listpack_value
        )
    },
    stored(
        "stream-node-max-bytes",
        Kind::UMemory(0, LONG_MAX as u64),
        "4096",
    ),
    Param {
        alias: Some("zset-max-ziplist-value"),
        ..field!(
            "zset-max-listpack-value",
            Kind::UMemory(0, LONG_MAX as u64),
            zset_max_listpack_value
        )
    },
    field!(
        "hll-sparse-max-bytes",
        Kind::UMemory(0, LONG_MAX as u64),
        hll_sparse_max_bytes
    ),
    field!(
        "tracking-table-max-keys",
        Kind::UInt(0, LONG_MAX as u64),
        tracking_table_max_keys
    ),
    field!(
        "client-query-buffer-limit",
        Kind::UMemory(MB as u64, LONG_MAX as u64),
        client_query_buffer_limit
    ),
    Param {
        name: "maxmemory-clients",
        alias: None,
        flags: 0,
        kind: Kind::MemoryOrPercent(-100, LONG_MAX),
        default: "",
        store: Store::Field {
            // A percentage is kept negative and printed back with its sign.
            get: |c| match c.maxmemory_clients {
                percent if percent < 0 => format!("{}%", -percent),
                bytes => bytes.to_string(),
            },
            set: |c, v| c.maxmemory_clients = v.number,
        },
    },
    // Zedis's own sets, beside Redis 7.2's names (7.0 keeps small sets of strings in a
    // hashtable; zedis keeps them in a listpack as 7.2 does).
    field!(
        "set-max-listpack-entries",
        Kind::UInt(0, LONG_MAX as u64),
        set_max_listpack_entries
    ),
    field!(
        "set-max-listpack-value",
        Kind::UMemory(0, LONG_MAX as u64),
        set_max_listpack_value
    ),
    // Other numbers.
    stored("repl-backlog-ttl", Kind::Int(0, LONG_MAX), "3600"),
    field!(
        "auto-aof-rewrite-min-size",
        Kind::Memory(0, LONG_MAX),
        auto_aof_rewrite_min_size
    ),
    field!(
        "loading-process-events-interval-bytes",
        Kind::Int(1024, INT_MAX),
        loading_process_events_interval_bytes
    )
    .flags(HIDDEN),
    // TLS (Debian builds Redis with it): zedis does not serve TLS.
    gated("tls-port", Kind::Int(0, 65535), "0", |v| {
        (v.number != 0).then_some("zedis does not serve TLS")
    }),
    stored("tls-session-cache-size", Kind::Int(0, INT_MAX), "20480"),
    stored("tls-session-cache-timeout", Kind::Int(0, INT_MAX), "300"),
    gated(
        "tls-cluster",
        Kind::Bool,
        "no",
        refuse_yes!("zedis does not serve TLS"),
    ),
    gated(
        "tls-replication",
        Kind::Bool,
        "no",
        refuse_yes!("zedis does not serve TLS"),
    ),
    stored(
        "tls-auth-clients",
        Kind::Enum(&[("no", 0), ("yes", 1), ("optional", 2)]),
        "yes",
    ),
    stored("tls-prefer-server-ciphers", Kind::Bool, "no"),
    stored("tls-session-caching", Kind::Bool, "yes"),
    stored("tls-cert-file", Kind::Text, ""),
    stored("tls-key-file", Kind::Text, ""),
    stored("tls-key-file-pass", Kind::Text, ""),
    stored("tls-client-cert-file", Kind::Text, ""),
    stored("tls-client-key-file", Kind::Text, ""),
    stored("tls-client-key-file-pass", Kind::Text, ""),
    stored("tls-dh-params-file", Kind::Text, ""),
    stored("tls-ca-cert-file", Kind::Text, ""),
    stored("tls-ca-cert-dir", Kind::Text, ""),
    stored("tls-protocols", Kind::Text, ""),
    stored("tls-ciphers", Kind::Text, ""),
    stored("tls-ciphersuites", Kind::Text, ""),
    // Special.
    Param {
        flags: PROTECTED | DENY_LOADING,
        ..special("dir", |c| c.dir.clone(), set_dir).single()
    },
    special("save", get_save, set_save),
    special(
        "client-output-buffer-limit",
        get_output_buffer_limits,
        set_output_buffer_limits,
    ),
    special(
        "oom-score-adj-values",
        |c| {
            c.oom_score_adj_values
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        },
        set_oom_score_adj_values,
    ),
    special(
        "notify-keyspace-events",
        |c| super::notify::format(c.notify_keyspace_events),
        set_notify_keyspace_events,
    )
    .single(),
    special("bind", |c| c.bind.join(" "), set_bind),
    Param {
        alias: Some("slaveof"),
        flags: MULTI_ARG | IMMUTABLE,
        ..special("replicaof", |_| String::new(), set_replicaof)
    },
    special(
        "latency-tracking-info-percentiles",
        get_percentiles,
        set_percentiles,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: &str) -> Result<Config, String> {
        let mut config = Config::default();
        lookup(name).unwrap().set(&mut config, value)?;
        Ok(config)
    }

    fn get(config: &Config, name: &str) -> String {
        lookup(name).unwrap().get(config)
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
        assert_eq!(
            set("maxmemory-clients", "-10%").unwrap_err(),
            "argument must be a memory or percent value"
        );
        assert_eq!(
            set("maxmemory-clients", "101%").unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert_eq!(
            set("unixsocketperm", "9").unwrap_err(),
            "argument couldn't be parsed as an octal number"
        );
        assert_eq!(set("save", "10").unwrap_err(), "Invalid save parameters");
        assert_eq!(
            set("notify-keyspace-events", "Q").unwrap_err(),
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        );
    }

    #[test]
    fn values_print_as_config_get_shows_them() {
        let c = set("maxmemory", "100mb").unwrap();
        assert_eq!(get(&c, "maxmemory"), "104857600");
        let c = set("client-output-buffer-limit", "normal 64mb 32mb 10").unwrap();
        assert_eq!(
            get(&c, "client-output-buffer-limit"),
            "normal 67108864 33554432 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        let c = set("hash-max-ziplist-entries", "7").unwrap();
        assert_eq!(c.hash_max_listpack_entries, 7);
        assert_eq!(lookup("MAXMEMORY-POLICY").unwrap().name, "maxmemory-policy");
        let c = set("oom-score-adj", "relative").unwrap();
        assert_eq!(
            get(&c, "oom-score-adj"),
            "yes",
            "the first name of the value"
        );
        let c = set("shutdown-on-sigterm", "nosave now").unwrap();
        assert_eq!(get(&c, "shutdown-on-sigterm"), "nosave now");
        assert_eq!(
            set("shutdown-on-sigint", "save nosave").unwrap_err(),
            "shutdown options SAVE and NOSAVE can't be used simultaneously"
        );
        let c = set("repl-backlog-size", "2mb").unwrap();
        assert_eq!(get(&c, "repl-backlog-size"), "2097152");
        let c = set("latency-tracking-info-percentiles", "50 99.9 100").unwrap();
        assert_eq!(get(&c, "latency-tracking-info-percentiles"), "50 99.9 100");
        assert_eq!(
            get(&Config::default(), "latency-tracking-info-percentiles"),
            "50 99 99.9"
        );
    }

    #[test]
    fn features_zedis_lacks_are_refused_when_switched_on_only() {
        assert!(set("io-threads-do-reads", "no").is_ok());
        assert!(
            set("io-threads-do-reads", "yes")
                .unwrap_err()
                .contains("one thread")
        );
        // Cluster mode is served (one node owning every slot).
        assert!(set("cluster-enabled", "yes").unwrap().cluster_enabled);
        assert!(set("save", "").unwrap().save_params.is_empty());
        assert_eq!(
            set("save", "3600 1 60 5").unwrap().save_params,
            [(3600, 1), (60, 5)]
        );
        assert_eq!(get(&set("save", "10 0").unwrap(), "save"), "10 0");
        assert_eq!(
            get(
                &set("notify-keyspace-events", "KEA").unwrap(),
                "notify-keyspace-events"
            ),
            "AKE"
        );
        assert!(
            set("notify-keyspace-events", "KEQ")
                .unwrap_err()
                .contains("Invalid event class character")
        );
        assert!(
            set("activedefrag", "yes")
                .unwrap_err()
                .contains("defragmentation")
        );
        // Tuning of a missing feature is kept, as Redis keeps it.
        let c = set("repl-timeout", "5").unwrap();
        assert_eq!(get(&c, "repl-timeout"), "5");
        assert_eq!(
            set("repl-timeout", "0").unwrap_err(),
            "argument must be between 1 and 2147483647 inclusive"
        );
    }

    #[test]
    fn every_redis_7_0_parameter_is_known() {
        // `CONFIG GET *` of a default Redis 7.0.15 (Debian), names and aliases.
        const REDIS: &str = include_str!("redis-7.0.15-config-names.txt");
        for name in REDIS.lines().filter(|l| !l.is_empty()) {
            assert!(lookup(name).is_some(), "{name} is not a parameter");
        }
    }
}
