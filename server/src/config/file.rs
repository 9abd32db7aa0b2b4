//! Reading a [`Config`] from a redis.conf-style file and from command-line flags.
//!
//! As with redis-server, the command line is `zedis-server [config-file] [--name value ...]`:
//! the file is read first, then each flag is applied as if it were one more line of it. Every
//! parameter of [`PARAMS`] is a flag, built with clap from the same table.

use clap::{Arg, ArgAction, Command};

use super::params::{PARAMS, Param, lookup};
use super::{Config, RenameCommand};

/// A configuration that could not be loaded, printed as redis-server prints it before
/// exiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line number in the file, when the problem is in a file.
    pub line: Option<usize>,
    /// The offending line or flag.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (zedis {}) ***",
            env!("CARGO_PKG_VERSION")
        )?;
        match self.line {
            Some(line) => writeln!(f, "Reading the configuration file, at line {line}")?,
            // A check of the whole configuration (the log file) names no line.
            None if self.text.is_empty() => return write!(f, "{}", self.reason),
            None => writeln!(f, "Reading the command line")?,
        }
        writeln!(f, ">>> '{}'", self.text)?;
        write!(f, "{}", self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Applies one parameter's words to `config`.
fn apply(config: &mut Config, param: &Param, words: &[String]) -> Result<(), String> {
    if !param.multi_arg() && words.len() != 1 {
        return Err("wrong number of arguments".to_string());
    }
    // A multi-word parameter given as one quoted word is split again, as Redis 7.0 does.
    let words: Vec<String> = if param.multi_arg() && words.len() == 1 && !words[0].is_empty() {
        sds::split_args(words[0].as_bytes())
            .map_err(|_| "Unbalanced quotes in configuration line".to_string())?
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect()
    } else {
        words.to_vec()
    };
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if param.name == "save" {
        return super::params::read_save(config, &words);
    }
    param.set_words(config, &words)
}

/// Directives Redis 7.0 still reads and ignores, with the word counts it accepts (name
/// included).
const DEPRECATED: &[(&str, usize, usize)] = &[
    ("list-max-ziplist-entries", 2, 2),
    ("list-max-ziplist-value", 2, 2),
    ("lua-replicate-commands", 2, 2),
];

/// Applies the lines of a redis.conf-style text: `name value...` per line, `#` comments, blank
/// lines ignored, values quoted with Redis's rules, `include` read in place. Besides the
/// parameters, Redis's other directives: `rename-command` (checked against the command table
/// at startup), the deprecated ones it ignores, and those that need a feature zedis does not
/// have (`loadmodule`, `user`, `sentinel <option>`, module parameters), refused with one line
/// naming it.
pub fn apply_config_text(config: &mut Config, text: &str) -> Result<(), ConfigError> {
    apply_lines(config, text, 0)
}

/// How deep `include` may nest: a file including itself stops with an error instead of
/// recursing until the stack runs out.
const MAX_INCLUDE_DEPTH: usize = 16;

fn apply_lines(config: &mut Config, text: &str, depth: usize) -> Result<(), ConfigError> {
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let error = |reason: &str| ConfigError {
            line: Some(index + 1),
            text: line.to_string(),
            reason: reason.to_string(),
        };
        let words = sds::split_args(line.as_bytes())
            .map_err(|_| error("Unbalanced quotes in configuration line"))?;
        let words: Vec<String> = words
            .iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let Some((name, values)) = words.split_first() else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        if let Some(param) = lookup(&name) {
            apply(config, param, values).map_err(|reason| error(&reason))?;
            continue;
        }
        if DEPRECATED
            .iter()
            .any(|&(n, min, max)| n == name && (min..=max).contains(&words.len()))
        {
            continue;
        }
        match (name.as_str(), values) {
            ("include", [path]) => {
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(error("include nested too deeply"));
                }
                for included in read_include(path).map_err(|reason| error(&reason))? {
                    apply_lines(config, &included, depth + 1)?;
                }
            }
            ("rename-command", [from, to]) => config.rename_commands.push(RenameCommand {
                line: Some(index + 1),
                text: line.to_string(),
                from: from.clone(),
                to: to.clone(),
            }),
            ("user", [_, ..]) => {
                return Err(error(
                    "zedis has no ACL users beyond requirepass yet: 'user' is not available",
                ));
            }
            ("loadmodule", [_, ..]) => {
                return Err(error("zedis does not load Redis modules"));
            }
            // Alone, Redis reads it and does nothing (sentinel mode comes from the command
            // line); zedis has no sentinel mode either way.
            ("sentinel", []) => {}
            ("sentinel", _) => {
                return Err(error("sentinel directive while not in sentinel mode"));
            }
            (module_param, values) if module_param.contains('.') => {
                return Err(error(if values.is_empty() {
                    "Module config specified without value"
                } else {
                    "zedis does not load Redis modules: module parameters are not available"
                }));
            }
            _ => return Err(error("Bad directive or wrong number of arguments")),
        }
    }
    Ok(())
}

/// The texts `include <path>` reads: the file, or every file a glob pattern matches (none is
/// fine, so an empty `conf.d` may be included), in name order as glob(3) gives them.
fn read_include(path: &str) -> Result<Vec<String>, String> {
    let read = |file: &std::path::Path| {
        std::fs::read_to_string(file).map_err(|e| {
            format!(
                "Fatal error, can't open config file '{}': {}",
                file.display(),
                crate::util::strerror(&e)
            )
        })
    };
    if !path.contains(['*', '?', '[']) {
        return Ok(vec![read(std::path::Path::new(path))?]);
    }
    let Ok(matches) = glob::glob(path) else {
        return Ok(Vec::new());
    };
    matches.flatten().map(|file| read(&file)).collect()
}

/// Checks at the end of a configuration, as Redis does after reading it: the log file can be
/// opened for appending.
fn check_loaded(config: &Config) -> Result<(), ConfigError> {
    if config.logfile.is_empty() {
        return Ok(());
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&config.logfile)
        .map(drop)
        .map_err(|e| ConfigError {
            line: None,
            text: String::new(),
            reason: format!("Can't open the log file: {}", crate::util::strerror(&e)),
        })
}

/// The clap command: an optional config file, then one `--<name>` flag per parameter.
fn command() -> Command {
    let mut cmd = Command::new("zedis-server")
        .about("A Redis-compatible in-memory key-value server on zmalloc and sds")
        .override_usage(
            "zedis-server [/path/to/redis.conf] [--name value ...] [-]\n       \
             zedis-server - (read the configuration from standard input)\n       \
             zedis-server -v or --version\n       \
             zedis-server -h or --help\n       \
             zedis-server --check-system",
        )
        .after_help(
            "Every flag is the redis.conf parameter of the same name, parsed as Redis parses it \
             (memory values take b, k, kb, m, mb, g, gb). Flags apply after the config file, in \
             order, as if appended to it.\n\n\
             Examples:\n  \
             zedis-server                      (the default configuration, port 6380)\n  \
             zedis-server /etc/redis/redis.conf --port 6380\n  \
             echo 'maxmemory 128mb' | zedis-server -\n  \
             zedis-server --port 7777 --maxmemory 1gb --maxmemory-policy allkeys-lru",
        )
        // `-v`/`--version` print redis-server's version line (main answers them before the
        // configuration is read).
        .disable_version_flag(true)
        .arg(
            Arg::new("config-file")
                .help(
                    "Configuration file in redis.conf syntax; '-' (alone or after the file) \
                     reads more configuration from standard input",
                )
                .value_name("CONFIG-FILE")
                .num_args(0..=2)
                .allow_hyphen_values(false),
        );
    let defaults = Config::default();
    for param in PARAMS {
        let default = param.get(&defaults);
        let shown = if default.is_empty() {
            "\"\""
        } else {
            default.as_str()
        };
        let description = super::help::description(param.name).unwrap_or_default();
        let mut arg = Arg::new(param.name)
            .long(param.name)
            .hide(param.has(super::params::HIDDEN))
            .value_name("VALUE")
            .help(format!("{description} [default: {shown}]"))
            .action(ArgAction::Append);
        if let Some(alias) = param.alias {
            arg = arg.alias(alias);
        }
        // Single values may be negative (`--list-max-listpack-size -2`); several words end at
        // the next flag.
        let arg = if param.multi_arg() {
            arg.num_args(0..)
        } else {
            arg.num_args(1).allow_hyphen_values(true)
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

/// Builds the configuration from command-line arguments (without the program name's special
/// meaning: `args[0]` is the program). `--help` is handled by clap; `-v` by the caller.
pub fn from_args<I, T>(args: I) -> Result<Config, Box<dyn std::error::Error>>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = command().try_get_matches_from(args)?;
    let mut config = Config::default();
    let mut files: Vec<&String> = matches
        .get_many::<String>("config-file")
        .into_iter()
        .flatten()
        .collect();
    // `-` (first or last) reads the configuration from standard input, after the file.
    let from_stdin = files
        .iter()
        .position(|f| *f == "-")
        .map(|at| files.remove(at));
    if files.len() > 1 {
        return Err(format!("unexpected argument '{}'", files[1]).into());
    }
    if let Some(path) = files.first() {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "Fatal error, can't open config file '{path}': {}",
                crate::util::strerror(&e)
            )
        })?;
        apply_config_text(&mut config, &text)?;
        config.config_file = Some(
            std::fs::canonicalize(path)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.to_string()),
        );
    }
    if from_stdin.is_some() {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| format!("Fatal error, can't read config from stdin: {e}"))?;
        apply_config_text(&mut config, &text)?;
    }
    // Flags in command-line order, as redis-server appends them to the config.
    let mut flags: Vec<(usize, &Param, Vec<String>)> = Vec::new();
    for param in PARAMS {
        let (Some(indices), Some(values)) = (
            matches.indices_of(param.name),
            matches.get_occurrences::<String>(param.name),
        ) else {
            continue;
        };
        for (index, values) in indices.zip(values) {
            flags.push((index, param, values.cloned().collect()));
        }
    }
    flags.sort_by_key(|(index, _, _)| *index);
    for (_, param, mut values) in flags {
        if values.is_empty() {
            values.push(String::new());
        }
        apply(&mut config, param, &values).map_err(|reason| ConfigError {
            line: None,
            text: format!("--{} {}", param.name, values.join(" ")),
            reason,
        })?;
    }
    check_loaded(&config)?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_lines_set_values_and_errors_name_the_line() {
        let mut config = Config::default();
        apply_config_text(
            &mut config,
            "# comment\n\nport 7000\nmaxmemory 100mb\nbind 127.0.0.1 ::1\nrequirepass \"a b\"\n",
        )
        .unwrap();
        assert_eq!(config.port, 7000);
        assert_eq!(config.maxmemory, 104_857_600);
        assert_eq!(config.bind, ["127.0.0.1", "::1"]);
        assert_eq!(config.requirepass.as_deref(), Some(&b"a b"[..]));

        let err = apply_config_text(&mut config, "port 1\nfoo bar\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert_eq!(err.text, "foo bar");
        assert_eq!(err.reason, "Bad directive or wrong number of arguments");
        let err = apply_config_text(&mut config, "port 1 2\n").unwrap_err();
        assert_eq!(err.reason, "wrong number of arguments");
        let err = apply_config_text(&mut config, "maxmemory 1tb\n").unwrap_err();
        assert_eq!(err.reason, "argument must be a memory value");
        assert!(err.to_string().contains("at line 1\n>>> 'maxmemory 1tb'\n"));
    }

    #[test]
    fn redis_directives_beyond_the_parameters() {
        let mut config = Config::default();
        apply_config_text(
            &mut config,
            "list-max-ziplist-entries 512\nLUA-REPLICATE-COMMANDS yes\nsentinel\n\
             rename-command CONFIG \"\"\nrename-command get fetch\n",
        )
        .unwrap();
        let renames: Vec<(&str, &str, Option<usize>)> = config
            .rename_commands
            .iter()
            .map(|r| (r.from.as_str(), r.to.as_str(), r.line))
            .collect();
        assert_eq!(
            renames,
            [("CONFIG", "", Some(4)), ("get", "fetch", Some(5))]
        );
        for (text, reason) in [
            (
                "list-max-ziplist-entries 1 2",
                "Bad directive or wrong number of arguments",
            ),
            ("include a b", "Bad directive or wrong number of arguments"),
            (
                "rename-command get",
                "Bad directive or wrong number of arguments",
            ),
            (
                "sentinel monitor m 127.0.0.1 6379 2",
                "sentinel directive while not in sentinel mode",
            ),
            ("mymodule.option", "Module config specified without value"),
            ("loadmodule /x.so", "zedis does not load Redis modules"),
        ] {
            let err = apply_config_text(&mut config, text).unwrap_err();
            assert_eq!(err.reason, reason, "{text}");
        }
    }

    #[test]
    fn flags_override_the_file_in_order() {
        let config = from_args([
            "zedis-server",
            "--port",
            "7001",
            "--maxmemory",
            "1gb",
            "--maxmemory-policy",
            "allkeys-lru",
            "--save",
            "",
            "--client-output-buffer-limit",
            "normal",
            "64mb",
            "32mb",
            "10",
        ])
        .unwrap();
        assert_eq!(config.port, 7001);
        assert_eq!(config.maxmemory, 1 << 30);
        assert_eq!(config.client_output_buffer_limit[0].hard, 64 << 20);
        assert!(from_args(["zedis-server", "--maxmemory", "lots"]).is_err());
        // One quoted word for a multi-word parameter is split, as redis-server does.
        let config = from_args([
            "zedis-server",
            "--client-output-buffer-limit",
            "normal 1mb 0 0",
        ])
        .unwrap();
        assert_eq!(config.client_output_buffer_limit[0].hard, 1 << 20);
        assert!(from_args(["zedis-server", "--no-such-flag", "1"]).is_err());
    }
}
