//! `CONFIG` subcommands: GET, SET, RESETSTAT, REWRITE, HELP.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::config::Config;
use crate::config::params::{self, PARAMS, Param, lookup};
use crate::util::glob_match;
use std::path::Path;

pub static COMMANDS: &[Command] = &[Command::container(
    "config",
    -2,
    Group::Server,
    &[
        Command::new(
            "get",
            -3,
            ADMIN | NOSCRIPT | LOADING | STALE,
            Group::Server,
            get,
        )
        .doc(
            "2.0.0",
            "Returns the effective values of configuration parameters.",
            "O(N) when N is the number of configuration parameters provided",
        )
        .syntax("parameter [parameter ...]"),
        Command::new(
            "set",
            -4,
            ADMIN | NOSCRIPT | LOADING | STALE,
            Group::Server,
            set,
        )
        .doc(
            "2.0.0",
            "Sets configuration parameters in-flight.",
            "O(N) when N is the number of configuration parameters provided",
        )
        .syntax("parameter value [parameter value ...]"),
        Command::new(
            "resetstat",
            2,
            ADMIN | NOSCRIPT | LOADING | STALE,
            Group::Server,
            resetstat,
        )
        .doc("2.0.0", "Resets the server's statistics.", "O(1)"),
        Command::new(
            "rewrite",
            2,
            ADMIN | NOSCRIPT | LOADING | STALE,
            Group::Server,
            rewrite,
        )
        .doc(
            "2.8.0",
            "Rewrite the configuration file with the in memory configuration",
            "O(1)",
        ),
        Command::new("help", 2, LOADING | STALE, Group::Server, help).doc(
            "5.0.0",
            "Returns helpful text about the different subcommands.",
            "O(1)",
        ),
    ],
)
.doc(
    "2.0.0",
    "A container for server configuration commands.",
    "Depends on subcommand.",
)];

/// `CONFIG GET parameter...`: a name without glob characters is looked up directly (hidden
/// parameters too) and answered under the name as asked; a pattern matches every name and
/// alias of the parameters that are not hidden. Each name is answered once.
fn get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let config = &ctx.server.config;
    let seen = |pairs: &[(String, String)], name: &str| {
        pairs.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    for asked in args.from(2) {
        let asked = String::from_utf8_lossy(asked).into_owned();
        if !asked.contains(['*', '?', '[']) {
            if !seen(&pairs, &asked)
                && let Some(param) = lookup(&asked)
            {
                pairs.push((asked, param.get(config)));
            }
            continue;
        }
        for param in PARAMS.iter().filter(|p| !p.has(params::HIDDEN)) {
            for name in param.names() {
                if !seen(&pairs, name) && glob_match(asked.as_bytes(), name.as_bytes(), true) {
                    pairs.push((name.to_string(), param.get(config)));
                }
            }
        }
    }
    ctx.reply.map(pairs.len());
    for (name, value) in pairs {
        ctx.reply.bulk(name.as_bytes());
        ctx.reply.bulk(value.as_bytes());
    }
    Ok(())
}

/// `CONFIG SET name value...`: all or nothing, as Redis 7's `configSetCommand`. Every name is
/// checked first (unknown, immutable, protected, given twice: the first problem is the
/// error); then every value is set on a copy of the configuration; then the side effects of
/// the parameters whose value changed run, and if one fails the previous configuration and
/// its effects come back.
fn set(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if !(args.len() - 2).is_multiple_of(2) {
        return Err(errors::SYNTAX);
    }
    let failed = |name: &str, reason: &str| {
        CmdError::owned(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"
        ))
    };
    // Sensitive values are kept out of the slow log and MONITOR even when the command fails,
    // so every pair is looked at first.
    for pair in (2..args.len()).step_by(2) {
        if lookup(&String::from_utf8_lossy(args.get(pair)))
            .is_some_and(|p| p.has(params::SENSITIVE))
        {
            ctx.redact(pair + 1);
        }
    }
    let mut chosen: Vec<(&'static Param, String, String)> = Vec::new();
    let mut deny_loading = false;
    for pair in (2..args.len()).step_by(2) {
        let name = String::from_utf8_lossy(args.get(pair)).into_owned();
        let Some(param) = lookup(&name) else {
            return Err(CmdError::owned(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        if !param.mutable() {
            return Err(failed(&name, "can't set immutable config"));
        }
        if param.has(params::PROTECTED)
            && !ctx
                .server
                .config
                .enable_protected_configs
                .allows(&ctx.client.addr)
        {
            return Err(failed(&name, "can't set protected config"));
        }
        if param.has(params::DENY_LOADING) && ctx.server.persistence.loading.is_some() {
            deny_loading = true;
            continue;
        }
        if chosen.iter().any(|(p, _, _)| std::ptr::eq(*p, param)) {
            return Err(failed(&name, "duplicate parameter"));
        }
        let value = String::from_utf8_lossy(args.get(pair + 1)).into_owned();
        chosen.push((param, name, value));
    }
    // Redis answers the loading error before any other.
    if deny_loading {
        return Err(errors::LOADING);
    }
    let previous = ctx.server.config.clone();
    let mut config = previous.clone();
    let mut changed: Vec<&'static str> = Vec::new();
    for (param, name, value) in &chosen {
        let before = param.get(&config);
        if let Err(reason) = param.set(&mut config, value) {
            restore_dir(&previous, &config);
            return Err(failed(canonical(param, name), &reason));
        }
        if param.get(&config) != before {
            changed.push(param.name);
        }
    }
    ctx.server.config = config;
    if let Err((name, reason)) = apply_changes(ctx, &changed) {
        restore_dir(&previous, &ctx.server.config);
        ctx.server.config = previous;
        if let Err((_, again)) = apply_changes(ctx, &changed) {
            tracing::warn!("Failed applying restored failed CONFIG SET command: {again}");
        }
        let asked = chosen
            .iter()
            .find(|(p, _, _)| p.name == name)
            .map_or(name, |(p, asked, _)| canonical(p, asked));
        return Err(failed(asked, &reason));
    }
    ctx.reply.ok();
    Ok(())
}

/// The name an error names: the alias when the client used it, else the parameter's name.
fn canonical<'a>(param: &'static Param, asked: &'a str) -> &'a str {
    match param.alias {
        Some(alias) if alias.eq_ignore_ascii_case(asked) => alias,
        _ => param.name,
    }
}

/// `dir` changes the working directory as it is set: a refused `CONFIG SET` goes back.
fn restore_dir(previous: &Config, current: &Config) {
    if previous.dir != current.dir {
        let _ = std::env::set_current_dir(&previous.dir);
    }
}

/// Side effects of parameters that take effect outside the `Config` value (Redis's apply
/// functions). On failure, names the parameter and why.
fn apply_changes(ctx: &mut Ctx, changed: &[&'static str]) -> Result<(), (&'static str, String)> {
    let mut rebound = false;
    for &name in changed {
        let config = &ctx.server.config;
        match name {
            "maxmemory-policy"
            | "lfu-log-factor"
            | "lfu-decay-time"
            | "lazyfree-lazy-expire"
            | "notify-keyspace-events" => ctx.server.sync_access_policy(),
            "maxmemory" => {
                // As Redis's `updateMaxmemory`: warn, and start evicting without waiting for
                // the next command.
                let used = zmalloc::used_memory();
                if config.maxmemory > 0 && (used as u64) > config.maxmemory {
                    tracing::warn!(
                        "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller \
                         than the current memory usage ({used}). This will result in key \
                         eviction and/or the inability to accept new write commands depending \
                         on the maxmemory-policy.",
                        config.maxmemory
                    );
                    ctx.server.evictor.running = true;
                    ctx.server.evictor.wake.notify_one();
                }
            }
            "maxclients" => {
                // As Redis's `updateMaxclients`: the open-files limit is raised for the new
                // value, and a value it cannot be raised for is refused, naming the most it
                // allows.
                let fits = crate::util::descriptors::reserve(config.maxclients)
                    .map_err(|reason| (name, reason))?;
                if fits != config.maxclients {
                    return Err((
                        name,
                        format!(
                            "The operating system is not able to handle the specified number \
                             of clients, try with {fits}"
                        ),
                    ));
                }
            }
            "port" | "bind" if !rebound => {
                rebound = true;
                let Some(rebind) = &ctx.server.rebind else {
                    continue;
                };
                match rebind(&ctx.server.config) {
                    Ok(port) => {
                        ctx.server.port = port;
                        ctx.server.config.port = port;
                    }
                    Err(_) if name == "port" => {
                        return Err((
                            name,
                            "Unable to listen on this port. Check server logs.".to_string(),
                        ));
                    }
                    Err(_) => {
                        return Err((name, "Failed to bind to specified addresses.".to_string()));
                    }
                }
            }
            "loglevel" => {
                if let Some(set_level) = &ctx.server.set_log_level {
                    set_level(config.loglevel);
                }
            }
            "jemalloc-bg-thread" => zmalloc::set_background_thread(config.jemalloc_bg_thread),
            // Redis's `updateAppendonly`.
            "appendonly" => {
                if config.appendonly {
                    if let Err(e) = ctx.server.start_append_only() {
                        tracing::warn!("{e}");
                        return Err((name, "Unable to turn on AOF. Check server logs.".into()));
                    }
                } else {
                    ctx.server.stop_append_only();
                }
            }
            "oom-score-adj" | "oom-score-adj-values" => {
                crate::oom_score::apply(config).map_err(|reason| (name, reason))?
            }
            _ => {}
        }
    }
    Ok(())
}

fn resetstat(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.server.reset_stats();
    ctx.reply.ok();
    Ok(())
}

/// `CONFIG REWRITE`: the config file the server started with, rewritten for the values in
/// force (see `config::rewrite`). Logged at warning level, as Redis logs it.
fn rewrite(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let Some(path) = ctx.server.config.config_file.clone() else {
        return Err(CmdError::new(
            "ERR The server is running without a config file",
        ));
    };
    match crate::config::rewrite::rewrite_file(Path::new(&path), &ctx.server.config, false) {
        Ok(()) => {
            tracing::warn!("CONFIG REWRITE executed with success.");
            ctx.reply.ok();
            Ok(())
        }
        Err(e) => {
            let reason = crate::util::strerror(&e);
            tracing::warn!("CONFIG REWRITE failed: {reason}");
            Err(CmdError::owned(format!(
                "ERR Rewriting config file: {reason}"
            )))
        }
    }
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::introspection::reply_help(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cmd::harness::Harness;
    use crate::server::persistence::LoadingProgress;

    #[test]
    fn appendonly_and_dir_are_refused_while_loading() {
        let mut h = Harness::new();
        h.server.persistence.loading = Some(LoadingProgress {
            start_time: 0,
            total_bytes: 1,
            loaded_bytes: 0,
            rdb_used_mem: 0,
        });
        let loading = "-LOADING Redis is loading the dataset in memory\r\n";
        assert_eq!(h.run("CONFIG SET appendonly yes"), loading);
        assert_eq!(h.run("CONFIG SET maxmemory 1mb appendonly yes"), loading);
        assert_eq!(
            h.run("CONFIG GET maxmemory"),
            "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
        );
        assert_eq!(h.run("CONFIG SET maxmemory 1mb"), "+OK\r\n");
        h.server.persistence.loading = None;
        assert_eq!(h.run("CONFIG SET appendonly no"), "+OK\r\n");
    }
}
