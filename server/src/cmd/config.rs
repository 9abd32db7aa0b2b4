//! `CONFIG` subcommands: GET, SET, RESETSTAT, HELP.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::config::params::{PARAMS, lookup};
use crate::util::glob_match;

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

/// `CONFIG GET pattern...`: every parameter (or alias) matching any pattern, once, as a map.
/// `CONFIG GET pattern...`: a name without glob characters is looked up directly and
/// answered under the name as asked, as Redis does; patterns match names and aliases.
fn get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut exact: Vec<&'static str> = Vec::new();
    for asked in args.from(2) {
        if asked.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            continue;
        }
        let asked = String::from_utf8_lossy(asked).into_owned();
        if let Some(param) = lookup(&asked)
            && !exact.contains(&param.name)
        {
            exact.push(param.name);
            pairs.push((asked, param.get(&ctx.server.config)));
        }
    }
    for param in PARAMS {
        for name in std::iter::once(param.name).chain(param.aliases.iter().copied()) {
            if args.from(2).any(|pattern| {
                pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
                    && glob_match(pattern, name.as_bytes(), true)
            }) && !exact.contains(&param.name)
                && !pairs.iter().any(|(n, _)| n == name)
            {
                pairs.push((name.to_string(), param.get(&ctx.server.config)));
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

/// `CONFIG SET name value...`: all or nothing, as in Redis 7.
fn set(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if !(args.len() - 2).is_multiple_of(2) {
        return Err(errors::SYNTAX);
    }
    let failed = |name: &str, reason: &str| {
        CmdError::owned(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"
        ))
    };
    let mut config = ctx.server.config.clone();
    let mut changed: Vec<&'static str> = Vec::new();
    for pair in (2..args.len()).step_by(2) {
        let name = String::from_utf8_lossy(args.get(pair)).into_owned();
        let Some(param) = lookup(&name) else {
            return Err(CmdError::owned(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        };
        if !param.mutable {
            return Err(failed(&name, "can't set immutable config"));
        }
        if changed.contains(&param.name) {
            return Err(failed(&name, "duplicate parameter"));
        }
        let value = String::from_utf8_lossy(args.get(pair + 1));
        param
            .set(&mut config, &value)
            .map_err(|reason| failed(&name, &reason))?;
        changed.push(param.name);
    }
    if changed.contains(&"maxclients") {
        // As Redis's `updateMaxclients`: the open-files limit is raised for the new value, and
        // a value it cannot be raised for is refused, naming the most it allows.
        let fits = crate::net::descriptors::reserve(config.maxclients)
            .map_err(|reason| failed("maxclients", &reason))?;
        if fits != config.maxclients {
            return Err(failed(
                "maxclients",
                &format!(
                    "The operating system is not able to handle the specified number of \
                     clients, try with {fits}"
                ),
            ));
        }
    }
    ctx.server.config = config;
    // Clients connected without a password stay authenticated when one is set, as in Redis.
    apply_changes(ctx, &changed);
    ctx.reply.ok();
    Ok(())
}

/// Side effects of parameters that take effect outside the `Config` value.
fn apply_changes(ctx: &mut Ctx, changed: &[&str]) {
    for name in changed {
        let config = &ctx.server.config;
        match *name {
            "maxmemory-policy" | "lfu-log-factor" | "lfu-decay-time" | "lazyfree-lazy-expire" => {
                ctx.server.sync_access_policy()
            }
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
            "loglevel" => {
                if let Some(set_level) = &ctx.server.set_log_level {
                    set_level(config.loglevel);
                }
            }
            "jemalloc-bg-thread" => zmalloc::set_background_thread(config.jemalloc_bg_thread),
            _ => {}
        }
    }
}

fn resetstat(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.server.reset_stats();
    ctx.reply.ok();
    Ok(())
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
        ],
    );
    Ok(())
}
