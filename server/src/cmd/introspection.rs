//! Commands about commands: COMMAND (COUNT, INFO, DOCS, LIST, GETKEYS, HELP) and SLOWLOG.

use super::errors::{self, CmdError, CmdResult};
use super::flags::{self, *};
use super::key_specs::{self, BeginSearch, FindKeys, KeySpec};
use super::{Args, Command, Ctx, Entry, Group};
use crate::protocol::reply::Reply;

pub static COMMANDS: &[Command] = &[
    Command::container(
        "command",
        -1,
        Group::Server,
        &[
            Command::new("count", 2, LOADING | STALE, Group::Server, count).doc(
                "2.8.13",
                "Returns a count of commands.",
                "O(1)",
            ),
            Command::new("info", -2, LOADING | STALE, Group::Server, info)
                .doc(
                    "2.8.13",
                    "Returns information about one, multiple or all commands.",
                    "O(N) where N is the number of commands to look up",
                )
                .syntax("[command-name [command-name ...]]"),
            Command::new("docs", -2, LOADING | STALE, Group::Server, docs)
                .doc(
                    "7.0.0",
                    "Returns documentary information about one, multiple or all commands.",
                    "O(N) where N is the number of commands to look up",
                )
                .syntax("[command-name [command-name ...]]"),
            Command::new("list", -2, LOADING | STALE, Group::Server, list)
                .doc(
                    "7.0.0",
                    "Returns a list of command names.",
                    "O(N) where N is the total number of Redis commands",
                )
                .syntax("[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]"),
            Command::new("getkeys", -4, LOADING | STALE, Group::Server, getkeys).doc(
                "2.8.13",
                "Extracts the key names from an arbitrary command.",
                "O(N) where N is the number of arguments to the command",
            ),
            Command::new(
                "getkeysandflags",
                -4,
                LOADING | STALE,
                Group::Server,
                getkeysandflags,
            )
            .doc(
                "7.0.0",
                "Extracts the key names and access flags for an arbitrary command.",
                "O(N) where N is the number of arguments to the command",
            ),
            Command::new("help", 2, LOADING | STALE, Group::Server, help).doc(
                "5.0.0",
                "Returns helpful text about the different subcommands.",
                "O(1)",
            ),
        ],
    )
    .with_bare(all, LOADING | STALE)
    .doc(
        "2.8.13",
        "Returns detailed information about all commands.",
        "O(N) where N is the total number of Redis commands",
    ),
    Command::container(
        "slowlog",
        -2,
        Group::Server,
        &[
            Command::new(
                "get",
                -2,
                ADMIN | LOADING | STALE,
                Group::Server,
                slowlog_get,
            )
            .doc(
                "2.2.12",
                "Returns the slow log's entries.",
                "O(N) where N is the number of entries returned",
            )
            .syntax("[count]"),
            Command::new(
                "len",
                2,
                ADMIN | LOADING | STALE,
                Group::Server,
                slowlog_len,
            )
            .doc(
                "2.2.12",
                "Returns the number of entries in the slow log.",
                "O(1)",
            ),
            Command::new(
                "reset",
                2,
                ADMIN | LOADING | STALE,
                Group::Server,
                slowlog_reset,
            )
            .doc(
                "2.2.12",
                "Clears all entries from the slow log.",
                "O(N) where N is the number of entries in the slowlog",
            ),
            Command::new("help", 2, LOADING | STALE, Group::Server, slowlog_help).doc(
                "6.2.0",
                "Show helpful text about the different subcommands",
                "O(1)",
            ),
        ],
    )
    .doc(
        "2.2.12",
        "A container for slow log commands.",
        "Depends on subcommand.",
    ),
];

/// Replies with Redis's help layout: `<CMD> <subcommand> [<arg> [value] [opt] ...]. Subcommands
/// are:`, the lines, then `HELP` and its description, all as simple strings.
pub fn reply_help(ctx: &mut Ctx, container: &str, lines: &[&str]) {
    ctx.reply.array(lines.len() + 3);
    ctx.reply.simple(
        format!("{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").as_bytes(),
    );
    for line in lines {
        ctx.reply.simple(line.as_bytes());
    }
    ctx.reply.simple(b"HELP");
    ctx.reply.simple(b"    Prints this help.");
}

/// ACL categories a command belongs to, in the order Redis prints them: those its flags imply
/// (Redis's `setImplicitACLCategories`) and those declared for it.
fn acl_categories(entry: &Entry) -> Vec<&'static str> {
    let command = entry.command;
    let (declared, _) = super::metadata::declared(&entry.full_name);
    let fast = command.has(FAST) || declared.contains(&"@fast");
    let implied = |category: &str| match category {
        "@write" => command.has(WRITE),
        // Scripting commands are not `@read` whatever their flags.
        "@read" => command.has(READONLY) && !declared.contains(&"@scripting"),
        "@admin" | "@dangerous" => command.has(ADMIN),
        "@pubsub" => command.has(PUBSUB),
        "@fast" => fast,
        "@slow" => !fast,
        "@blocking" => command.has(BLOCKING),
        _ => false,
    };
    super::metadata::ACL_CATEGORY_ORDER
        .iter()
        .copied()
        .filter(|category| declared.contains(category) || implied(category))
        .collect()
}

/// One `COMMAND INFO` entry: name, arity, flags, first/last key, step, ACL categories, tips,
/// key specifications, subcommands.
fn reply_command_info(ctx: &mut Ctx, entry: &Entry) {
    let command = entry.command;
    ctx.reply.array(10);
    ctx.reply.bulk(entry.full_name.as_bytes());
    ctx.reply.int(command.arity as i64);
    // `movablekeys` comes from the key specifications, as in Redis.
    let range = entry.legacy_range;
    let command_flags = if range.movable {
        command.flags | flags::MOVABLE_KEYS
    } else {
        command.flags & !MOVABLE_KEYS
    };
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(flag, _)| command_flags & *flag != 0)
        .map(|(_, name)| *name)
        .collect();
    ctx.reply.set(names.len());
    for name in names {
        ctx.reply.simple(name.as_bytes());
    }
    ctx.reply.int(range.first as i64);
    ctx.reply.int(range.last as i64);
    ctx.reply.int(range.step as i64);
    let categories = acl_categories(entry);
    ctx.reply.set(categories.len());
    for category in categories {
        ctx.reply.simple(category.as_bytes());
    }
    // Tips and key specifications are sets in RESP3; subcommands an array, or an empty set
    // for a command without any (Redis's `addReplyCommandSubCommands`).
    let (_, tips) = super::metadata::declared(&entry.full_name);
    ctx.reply.set(tips.len());
    for tip in tips {
        ctx.reply.bulk(tip.as_bytes());
    }
    reply_key_specs(ctx.reply, entry.key_specs);
    let table = super::table();
    let subs: Vec<&Entry> = table.subcommands_of(entry).collect();
    if subs.is_empty() {
        ctx.reply.set(0);
    } else {
        ctx.reply.array(subs.len());
    }
    for sub in subs {
        reply_command_info(ctx, sub);
    }
}

/// Key specifications as Redis's `addReplyCommandKeySpecs` writes them.
fn reply_key_specs(reply: &mut Reply, specs: &[KeySpec]) {
    reply.set(specs.len());
    for spec in specs {
        reply.map(3 + usize::from(!spec.notes.is_empty()));
        if !spec.notes.is_empty() {
            reply.bulk(b"notes");
            reply.bulk(spec.notes.as_bytes());
        }
        reply.bulk(b"flags");
        reply_key_flags(reply, spec.flags);
        reply.bulk(b"begin_search");
        reply.map(2);
        reply.bulk(b"type");
        match spec.begin {
            BeginSearch::Index(index) => {
                reply.bulk(b"index");
                reply.bulk(b"spec");
                reply.map(1);
                reply.bulk(b"index");
                reply.int(index as i64);
            }
            BeginSearch::Keyword(keyword, startfrom) => {
                reply.bulk(b"keyword");
                reply.bulk(b"spec");
                reply.map(2);
                reply.bulk(b"keyword");
                reply.bulk(keyword.as_bytes());
                reply.bulk(b"startfrom");
                reply.int(startfrom as i64);
            }
            BeginSearch::Unknown => {
                reply.bulk(b"unknown");
                reply.bulk(b"spec");
                reply.map(0);
            }
        }
        reply.bulk(b"find_keys");
        reply.map(2);
        reply.bulk(b"type");
        match spec.find {
            FindKeys::Range {
                lastkey,
                step,
                limit,
            } => {
                reply.bulk(b"range");
                reply.bulk(b"spec");
                reply.map(3);
                reply.bulk(b"lastkey");
                reply.int(lastkey as i64);
                reply.bulk(b"keystep");
                reply.int(step as i64);
                reply.bulk(b"limit");
                reply.int(limit as i64);
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                step,
            } => {
                reply.bulk(b"keynum");
                reply.bulk(b"spec");
                reply.map(3);
                reply.bulk(b"keynumidx");
                reply.int(keynumidx as i64);
                reply.bulk(b"firstkey");
                reply.int(firstkey as i64);
                reply.bulk(b"keystep");
                reply.int(step as i64);
            }
            FindKeys::Unknown => {
                reply.bulk(b"unknown");
                reply.bulk(b"spec");
                reply.map(0);
            }
        }
    }
}

/// A key's flags as a set of names (Redis's `addReplyFlagsForKeyArgs`).
fn reply_key_flags(reply: &mut Reply, flags: u32) {
    let names: Vec<&str> = key_specs::FLAG_NAMES
        .iter()
        .filter(|(flag, _)| flags & flag != 0)
        .map(|(_, name)| *name)
        .collect();
    reply.set(names.len());
    for name in names {
        reply.simple(name.as_bytes());
    }
}

fn all(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let table = super::table();
    let entries: Vec<&Entry> = table.commands().collect();
    ctx.reply.array(entries.len());
    for entry in entries {
        reply_command_info(ctx, entry);
    }
    Ok(())
}

fn count(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.reply.int(super::table().commands().count() as i64);
    Ok(())
}

fn info(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() == 2 {
        return all(ctx, args);
    }
    let table = super::table();
    ctx.reply.array(args.len() - 2);
    for name in args.from(2) {
        match table.find_full(name) {
            Some(entry) => reply_command_info(ctx, entry),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

fn list(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let table = super::table();
    let keep: Box<dyn Fn(&Entry) -> bool> = match args.len() {
        2 => Box::new(|_| true),
        5 if args.is(2, "FILTERBY") => {
            let value = args.get(4).to_vec();
            if args.is(3, "MODULE") {
                Box::new(|_| false)
            } else if args.is(3, "ACLCAT") {
                let category = format!("@{}", String::from_utf8_lossy(&value).to_ascii_lowercase());
                Box::new(move |e| acl_categories(e).contains(&category.as_str()))
            } else if args.is(3, "PATTERN") {
                Box::new(move |e| crate::util::glob_match(&value, e.full_name.as_bytes(), true))
            } else {
                return Err(errors::SYNTAX);
            }
        }
        _ => return Err(errors::SYNTAX),
    };
    let names: Vec<&str> = table
        .entries()
        .filter(|e| keep(e))
        .map(|e| e.full_name.as_str())
        .collect();
    ctx.reply.array(names.len());
    for name in names {
        ctx.reply.bulk(name.as_bytes());
    }
    Ok(())
}

/// `COMMAND DOCS [name ...]`: summary, version, group, complexity, the argument tree parsed
/// from the command's syntax line, and subcommands (what `redis-cli` builds its hints from).
fn docs(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let table = super::table();
    let entries: Vec<&Entry> = if args.len() == 2 {
        table.commands().collect()
    } else {
        args.from(2)
            .filter_map(|name| table.find_full(name))
            .collect()
    };
    ctx.reply.map(entries.len());
    for entry in entries {
        ctx.reply.bulk(entry.full_name.as_bytes());
        reply_docs(ctx, entry);
    }
    Ok(())
}

fn reply_docs(ctx: &mut Ctx, entry: &Entry) {
    let command = entry.command;
    let arguments = super::syntax::parse(command.syntax);
    let subcommands: Vec<&Entry> = super::table().subcommands_of(entry).collect();
    // Redis leaves out what a command's reference does not state (`PSYNC` has no complexity).
    let fields = 3
        + !command.complexity.is_empty() as usize
        + (command.deprecated.is_some() || command.system) as usize
        + 2 * command.deprecated.is_some() as usize
        + !arguments.is_empty() as usize
        + !subcommands.is_empty() as usize;
    let reply = &mut *ctx.reply;
    reply.map(fields);
    for (name, value) in [
        ("summary", command.summary),
        ("since", command.since),
        ("group", command.group.name()),
        ("complexity", command.complexity),
    ] {
        if !value.is_empty() {
            reply.bulk(name.as_bytes());
            reply.bulk(value.as_bytes());
        }
    }
    if command.system {
        reply.bulk(b"doc_flags");
        reply.set(1);
        reply.simple(b"syscmd");
    }
    if let Some((since, replaced_by)) = command.deprecated {
        reply.bulk(b"doc_flags");
        reply.set(1);
        reply.simple(b"deprecated");
        reply.bulk(b"deprecated_since");
        reply.bulk(since.as_bytes());
        reply.bulk(b"replaced_by");
        reply.bulk(replaced_by.as_bytes());
    }
    if !arguments.is_empty() {
        reply.bulk(b"arguments");
        reply_arguments(reply, &arguments);
    }
    if !subcommands.is_empty() {
        ctx.reply.bulk(b"subcommands");
        ctx.reply.map(subcommands.len());
        for sub in subcommands {
            ctx.reply.bulk(sub.full_name.as_bytes());
            reply_docs(ctx, sub);
        }
    }
}

fn reply_arguments(reply: &mut Reply, arguments: &[super::syntax::Arg]) {
    use super::syntax::ArgType;
    reply.array(arguments.len());
    for arg in arguments {
        let flags: Vec<&str> = [
            (arg.optional, "optional"),
            (arg.multiple, "multiple"),
            (arg.multiple_token, "multiple_token"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        let nested = matches!(arg.kind, ArgType::OneOf | ArgType::Block);
        reply.map(2 + arg.token.is_some() as usize + !flags.is_empty() as usize + nested as usize);
        reply.bulk(b"name");
        reply.bulk(arg.name.as_bytes());
        reply.bulk(b"type");
        reply.bulk(arg.kind.name().as_bytes());
        if let Some(token) = &arg.token {
            reply.bulk(b"token");
            reply.bulk(token.as_bytes());
        }
        if !flags.is_empty() {
            reply.bulk(b"flags");
            reply.set(flags.len());
            for flag in flags {
                reply.simple(flag.as_bytes());
            }
        }
        if nested {
            reply.bulk(b"arguments");
            reply_arguments(reply, &arg.children);
        }
    }
}

/// The keys of a command line with their flags, as Redis's `getKeysFromCommandWithSpecs`
/// finds them: from the key specifications when their flags do not depend on the arguments
/// and none is unknown, otherwise from the command's own rule (`SET`, whose `GET` option makes
/// its key read as well as written; `SORT` and `SORT_RO`). `None` when the arguments do not fit.
pub fn command_keys(entry: &Entry, args: &[&[u8]]) -> Option<Vec<(usize, u32)>> {
    let specs = entry.key_specs;
    if key_specs::has_keys(specs) && !key_specs::has_variable_flags(specs) {
        // An unknown specification (SORT's BY, GET and STORE) falls back to the command's
        // own rule below, as Redis falls back to its `getkeys_proc`.
        if let Some(keys) = key_specs::find_keys(specs, args) {
            return Some(keys);
        }
    }
    match entry.full_name.as_str() {
        "set" => {
            let get = args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"GET"));
            let flags = if get {
                key_specs::RW | key_specs::ACCESS | key_specs::UPDATE
            } else {
                key_specs::OW | key_specs::UPDATE
            };
            Some(vec![(1, flags)])
        }
        // Incomplete specifications: Redis's `sortGetKeys` and `sortROGetKeys`.
        "sort" | "sort_ro" => Some(
            super::sort::sort_keys(args, entry.full_name == "sort_ro")
                .into_iter()
                .map(|(at, store)| {
                    let flags = if store {
                        key_specs::OW | key_specs::UPDATE
                    } else {
                        key_specs::RO | key_specs::ACCESS
                    };
                    (at, flags)
                })
                .collect(),
        ),
        _ => key_specs::find_keys(specs, args),
    }
}

fn getkeys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    getkeys_impl(ctx, args, false)
}

fn getkeysandflags(ctx: &mut Ctx, args: &Args) -> CmdResult {
    getkeys_impl(ctx, args, true)
}

/// `COMMAND GETKEYS` and `GETKEYSANDFLAGS` (Redis's `getKeysSubcommandImpl`).
fn getkeys_impl(ctx: &mut Ctx, args: &Args, with_flags: bool) -> CmdResult {
    let table = super::table();
    let target: Vec<&[u8]> = args.from(2).collect();
    let Some(entry) = table.find(target[0]) else {
        return Err(CmdError::new("ERR Invalid command specified"));
    };
    let entry = if entry.command.subcommands.is_empty() {
        entry
    } else {
        target
            .get(1)
            .and_then(|sub| {
                table.find_full(
                    format!("{}|{}", entry.full_name, String::from_utf8_lossy(sub)).as_bytes(),
                )
            })
            .ok_or_else(|| CmdError::new("ERR Invalid command specified"))?
    };
    if !key_specs::has_keys(entry.key_specs) {
        return Err(CmdError::new("ERR The command has no key arguments"));
    }
    if !entry.command.arity_ok(target.len()) {
        return Err(CmdError::new(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = command_keys(entry, &target).unwrap_or_default();
    if keys.is_empty() {
        if entry.command.has(NO_MANDATORY_KEYS) {
            ctx.reply.array(0);
            return Ok(());
        }
        return Err(CmdError::new("ERR Invalid arguments specified for command"));
    }
    ctx.reply.array(keys.len());
    for (at, flags) in keys {
        if with_flags {
            ctx.reply.array(2);
            ctx.reply.bulk(target[at]);
            reply_key_flags(ctx.reply, flags);
        } else {
            ctx.reply.bulk(target[at]);
        }
    }
    Ok(())
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}

fn slowlog_get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let limit = match args.try_get(2) {
        None => 10,
        Some(_) => {
            let count =
                args.i64(2).ok().filter(|c| *c >= -1).ok_or_else(|| {
                    CmdError::new("ERR count should be greater than or equal to -1")
                })?;
            if count == -1 {
                usize::MAX
            } else {
                count as usize
            }
        }
    };
    let entries: Vec<_> = ctx
        .server
        .slowlog
        .entries
        .iter()
        .take(limit)
        .cloned()
        .collect();
    let reply = &mut *ctx.reply;
    reply.array(entries.len());
    for entry in entries {
        reply.array(6);
        reply.int(entry.id as i64);
        reply.int(entry.unix_time as i64);
        reply.int(entry.duration.as_micros() as i64);
        let args = entry.args.args();
        reply.array(args.len());
        for arg in args.iter() {
            reply.bulk(arg);
        }
        reply.bulk(entry.client_addr.as_bytes());
        reply.bulk(entry.client_name.as_bytes());
    }
    Ok(())
}

fn slowlog_len(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.reply.int(ctx.server.slowlog.entries.len() as i64);
    Ok(())
}

fn slowlog_reset(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.server.slowlog.entries.clear();
    ctx.reply.ok();
    Ok(())
}

fn slowlog_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(
        ctx,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}
