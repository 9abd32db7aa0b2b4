//! Running one request: Redis's `processCommand` checks in Redis's order, then the call with its
//! statistics.
//!
//! Order: command lookup, subcommand lookup, arity, authentication, protected commands,
//! cluster mode's slots (CROSSSLOT), OOM, a failed background save or AOF write (MISCONF),
//! too few replicas (NOREPLICAS), a replica's refusals (READONLY, MASTERDOWN), RESP2's
//! subscribed context, a load in progress (LOADING), pause, transaction queueing, then
//! [`call`]. Rejections reply with Redis's error, count as the command's
//! `rejected_calls`, and make a pending `EXEC` abort.

use std::time::Duration;

use super::errors::{self, CmdError};
use super::{Args, Entry, flags};
use crate::client::{Client, ReplyMode};
use crate::memory::evict::Evict;
use crate::protocol::reply::Reply;
use crate::server::Server;
use crate::server::pubsub::Current;

/// What a handler works with.
pub struct Ctx<'a> {
    pub server: &'a mut Server,
    pub client: &'a mut Client,
    pub reply: &'a mut Reply,
}

impl Ctx<'_> {
    /// Keeps argument `index` of the running command out of the slow log and `MONITOR`.
    pub fn redact(&mut self, index: usize) {
        if !self.client.redacted.contains(&index) {
            self.client.redacted.push(index);
        }
    }

    /// Writes an error reply and counts it.
    pub fn error(&mut self, error: &CmdError) {
        self.server.record_error(error.text());
        self.reply.error(error.text());
    }
}

/// Refuses a request before it runs. A refused `EXEC` discards its transaction
/// (`rejectCommand`, `execCommandAbort`).
fn reject(ctx: &mut Ctx, entry: Option<&Entry>, error: CmdError) {
    if let Some(entry) = entry {
        ctx.server.command_stats[entry.index].rejected_calls += 1;
        if entry.command.has(flags::EXEC) && ctx.client.multi.is_some() {
            ctx.client.multi = None;
            super::tx::unwatch_all(ctx.server, ctx.client);
            ctx.error(&errors::exec_abort_because(&error));
            return;
        }
    }
    if let Some(multi) = &mut ctx.client.multi {
        multi.failed = true;
    }
    ctx.error(&error);
}

/// Runs one request from a client: checks, queueing inside `MULTI`, or the call. Returns
/// `false` when the request must wait for `CLIENT PAUSE` to end: it stays in the query buffer
/// and is dispatched again then.
pub fn dispatch(ctx: &mut Ctx, args: &Args) -> bool {
    let done = dispatch_request(ctx, args);
    if ctx.server.tracking.clients > 0 {
        super::tracking::after_command(ctx);
        // `CLIENT CACHING` holds for the next command, or the next transaction whole.
        if done
            && ctx.client.multi.is_none()
            && !args.get(0).eq_ignore_ascii_case(b"client")
            && let Some(tracking) = ctx.client.tracking.as_deref_mut()
        {
            tracking.caching = false;
        }
    }
    done
}

/// [`dispatch`] without the client-side caching work around the request.
fn dispatch_request(ctx: &mut Ctx, args: &Args) -> bool {
    let reply_start = ctx.reply.end();
    let table = super::table();
    let entry = match table.lookup_cached(args, &mut ctx.client.command_cache) {
        Ok(entry) => entry,
        Err((entry, error)) => {
            reject(ctx, entry, error);
            finish_reply(ctx, reply_start);
            return true;
        }
    };
    let command = entry.command;
    // What the checks below go by: the command's flags, or a script's declared ones.
    let checked = if command.has(flags::SCRIPT_DECLARES_FLAGS) {
        super::scripting::command_flags(ctx.server, command.flags, args)
    } else {
        command.flags
    };
    if !command.arity_ok(args.len()) {
        reject(ctx, Some(entry), errors::wrong_arity(&entry.full_name));
        finish_reply(ctx, reply_start);
        return true;
    }
    if ctx.server.auth_required() && !ctx.client.authenticated && !command.has(flags::NO_AUTH) {
        reject(ctx, Some(entry), errors::NO_AUTH);
        finish_reply(ctx, reply_start);
        return true;
    }
    if command.has(flags::PROTECTED) && !protected_allowed(ctx, entry) {
        reject(
            ctx,
            Some(entry),
            errors::protected_command(entry.top_name()),
        );
        finish_reply(ctx, reply_start);
        return true;
    }
    if ctx.server.config.cluster_enabled
        && !ctx.client.master
        && let Err(error) = cluster_check(ctx, entry, args)
    {
        // As Redis: a refused EXEC discards its transaction, another command fails it; the
        // error is the cluster's, not EXECABORT.
        ctx.server.command_stats[entry.index].rejected_calls += 1;
        if command.has(flags::EXEC) {
            ctx.client.multi = None;
            super::tx::unwatch_all(ctx.server, ctx.client);
        } else if let Some(multi) = &mut ctx.client.multi {
            multi.failed = true;
        }
        ctx.error(&error);
        finish_reply(ctx, reply_start);
        return true;
    }
    ctx.server.pre_command_oom = false;
    if ctx.server.config.maxmemory > 0 && out_of_memory_rejects(ctx, entry, checked) {
        finish_reply(ctx, reply_start);
        return true;
    }
    if ctx.server.tracking.clients > 0 {
        super::tracking::before_command(ctx);
    }
    if ctx.server.writes_refused_by_disk_error() && writes_or_pings(ctx, entry, checked) {
        reject(ctx, Some(entry), errors::MISCONF);
        finish_reply(ctx, reply_start);
        return true;
    }
    if let Some(error) = ctx.server.aof_write_refused()
        && writes_or_pings(ctx, entry, checked)
    {
        let error = CmdError::owned(format!("MISCONF Errors writing to the AOF file: {error}"));
        reject(ctx, Some(entry), error);
        finish_reply(ctx, reply_start);
        return true;
    }
    if ctx.server.config.min_replicas_to_write > 0
        && (checked & flags::WRITE != 0
            || (command.has(flags::EXEC) && ctx.client.multi.as_ref().is_some_and(|m| m.writes)))
        && !ctx.server.enough_good_replicas()
    {
        reject(ctx, Some(entry), errors::NOREPLICAS);
        finish_reply(ctx, reply_start);
        return true;
    }
    if ctx.server.replication.is_replica()
        && !ctx.client.master
        && let Some(error) = replica_refuses(ctx, entry, checked)
    {
        reject(ctx, Some(entry), error);
        finish_reply(ctx, reply_start);
        return true;
    }
    if super::pubsub::in_subscribed_context(ctx.client) && !command.has(flags::SUBSCRIBED_CONTEXT) {
        let error = super::pubsub::not_in_subscribed_context(&entry.full_name);
        reject(ctx, Some(entry), error);
        finish_reply(ctx, reply_start);
        return true;
    }
    if ctx.server.persistence.loading.is_some() && denied_while_loading(ctx, entry) {
        reject(ctx, Some(entry), errors::LOADING);
        finish_reply(ctx, reply_start);
        return true;
    }
    if let Some(busy) = ctx.server.busy_error()
        && !command.has(flags::ALLOW_BUSY)
    {
        reject(ctx, Some(entry), busy);
        finish_reply(ctx, reply_start);
        return true;
    }
    if ctx.server.pause.is_some() && paused(ctx, entry, checked) {
        ctx.client.postponed = true;
        ctx.server.postponed.push(ctx.client.id);
        return false;
    }
    if ctx.client.multi.is_some() && !command.has(flags::RUNS_IN_MULTI) {
        if command.has(flags::NO_MULTI) {
            reject(ctx, Some(entry), errors::NOT_IN_MULTI);
        } else {
            let queued = args.to_owned();
            let multi = ctx.client.multi.as_mut().expect("inside MULTI");
            multi.denyoom |= checked & flags::DENYOOM != 0;
            multi.may_replicate |= checked & (flags::WRITE | flags::MAY_REPLICATE) != 0;
            multi.denied_while_loading |= !command.has(flags::LOADING);
            multi.writes |= checked & flags::WRITE != 0;
            multi.denied_when_stale |= !command.has(flags::STALE);
            multi.commands.push((entry.index, queued));
            ctx.reply.simple(b"QUEUED");
        }
        finish_reply(ctx, reply_start);
        return true;
    }
    call(ctx, entry, args);
    if ctx.server.busy_script.is_some() {
        // Served while a script runs: the script's unit is still open, and nothing else runs
        // until it ends.
        finish_reply(ctx, reply_start);
        return true;
    }
    // The end of an execution unit: what it propagated goes to the AOF, in a transaction if
    // more than one operation (`afterCommand`).
    ctx.server
        .propagate_pending(command.has(flags::TOUCHES_ARBITRARY_KEYS));
    ctx.client.woff = ctx.server.replication.offset;
    finish_reply(ctx, reply_start);
    if ctx.server.keyspace.blocking.has_ready() {
        super::blocking::serve_ready(ctx.server);
        // What the served commands announced goes out after this command's reply.
        let at = ctx.reply.end();
        publish_notifications(ctx, at);
    }
    true
}

/// Publishes the keyspace notifications recorded so far; a message for the calling client is
/// written at `at` in its reply.
fn publish_notifications(ctx: &mut Ctx, at: usize) {
    if !ctx.server.keyspace.notifications.has_pending() {
        return;
    }
    let mut current = Current {
        client: &*ctx.client,
        reply: &mut *ctx.reply,
        at,
    };
    ctx.server.publish_notifications(Some(&mut current));
}

/// Whether a failed background save refuses this command: a write, an `EXEC` with a write
/// queued, or `PING`.
fn writes_or_pings(ctx: &Ctx, entry: &Entry, checked: u32) -> bool {
    let command = entry.command;
    checked & (flags::WRITE | flags::DENIED_ON_DISK_ERROR) != 0
        || (command.has(flags::EXEC) && ctx.client.multi.as_ref().is_some_and(|m| m.may_replicate))
}

/// Cluster mode: the request's keys (an `EXEC`'s: those of every queued command) must hash
/// to one slot (Redis's `getNodeByQuery` on a node that owns every slot).
fn cluster_check(ctx: &Ctx, entry: &Entry, args: &Args) -> Result<(), CmdError> {
    let table = super::table();
    if entry.command.has(flags::EXEC) {
        let Some(multi) = &ctx.client.multi else {
            return Ok(());
        };
        let mut keys: Vec<&[u8]> = Vec::new();
        for (index, queued) in &multi.commands {
            let argv: Vec<&[u8]> = queued.args().iter().collect();
            let found = super::introspection::command_keys(table.entry(*index), &argv);
            keys.extend(found.unwrap_or_default().iter().map(|&(at, _)| argv[at]));
        }
        return super::cluster::request_slot(keys).map(|_| ());
    }
    if !super::key_specs::has_keys(entry.key_specs) && !entry.command.has(flags::MOVABLE_KEYS) {
        return Ok(());
    }
    let argv: Vec<&[u8]> = args.iter().collect();
    let keys = super::introspection::command_keys(entry, &argv).unwrap_or_default();
    super::cluster::request_slot(keys.iter().map(|&(at, _)| argv[at])).map(|_| ())
}

/// What a replica refuses a client that is not its master: writes while
/// `replica-read-only` (`READONLY`), and commands without the `stale` flag while the link is
/// down with `replica-serve-stale-data no` (`MASTERDOWN`, checked after the subscribed
/// context in Redis, which no command without `stale` passes anyway).
fn replica_refuses(ctx: &Ctx, entry: &Entry, checked: u32) -> Option<CmdError> {
    let command = entry.command;
    let exec = command.has(flags::EXEC);
    let multi = ctx.client.multi.as_ref();
    let writes = checked & flags::WRITE != 0 || (exec && multi.is_some_and(|m| m.writes));
    if writes && ctx.server.config.replica_read_only {
        return Some(errors::READONLY_REPLICA);
    }
    let stale_denied =
        !command.has(flags::STALE) || (exec && multi.is_some_and(|m| m.denied_when_stale));
    if stale_denied
        && !ctx.server.replication.link_up()
        && !ctx.server.config.replica_serve_stale_data
    {
        return Some(errors::MASTERDOWN);
    }
    None
}

/// Whether a load in progress refuses this command: one without the `loading` flag, or an
/// `EXEC` with one queued.
fn denied_while_loading(ctx: &Ctx, entry: &Entry) -> bool {
    let command = entry.command;
    !command.has(flags::LOADING)
        || (command.has(flags::EXEC)
            && ctx
                .client
                .multi
                .as_ref()
                .is_some_and(|m| m.denied_while_loading))
}

/// Whether `CLIENT PAUSE` holds this command back: every command under `ALL`; under `WRITE`
/// those that write or may replicate, and an `EXEC` whose queue holds one.
fn paused(ctx: &mut Ctx, entry: &Entry, checked: u32) -> bool {
    if !ctx.server.check_pause_end() {
        return false;
    }
    let all = ctx.server.pause.is_some_and(|p| p.all);
    let writes = flags::WRITE | flags::MAY_REPLICATE;
    all || checked & writes != 0
        || (entry.command.has(flags::EXEC)
            && ctx.client.multi.as_ref().is_some_and(|m| m.may_replicate))
}

/// Whether `enable-debug-command` (for `DEBUG`) or `enable-module-command` (for `MODULE`'s
/// protected subcommands) lets this client run a protected command.
fn protected_allowed(ctx: &Ctx, entry: &Entry) -> bool {
    let config = &ctx.server.config;
    let setting = match entry.top_name() {
        "module" => config.enable_module_command,
        _ => config.enable_debug_command,
    };
    setting.allows(&ctx.client.addr)
}

/// Evicts before the command as `maxmemory` requires, and refuses it if memory is still over
/// the limit and the command may grow it: a `denyoom` command, anything queued in `MULTI`, or an
/// `EXEC` with a `denyoom` command queued (which discards the transaction). Returns whether the
/// command was refused.
fn out_of_memory_rejects(ctx: &mut Ctx, entry: &Entry, checked: u32) -> bool {
    ctx.server.pre_command_oom = ctx.server.perform_evictions() == Evict::Fail;
    if !ctx.server.pre_command_oom {
        return false;
    }
    let command = entry.command;
    let is_exec = command.has(flags::EXEC);
    let queued_denyoom = ctx.client.multi.as_ref().is_some_and(|m| m.denyoom);
    let in_multi = ctx.client.multi.is_some();
    let refuse = checked & flags::DENYOOM != 0
        || (is_exec && queued_denyoom)
        || (in_multi && !command.has(flags::IN_MULTI_DESPITE_OOM));
    if !refuse {
        return false;
    }
    reject(ctx, Some(entry), errors::OOM);
    true
}

/// Runs a command that passed the checks, and accounts for it (Redis's `call`).
pub fn call(ctx: &mut Ctx, entry: &Entry, args: &Args) {
    let handler = entry.command.handler.expect("dispatch resolves containers");
    let errors_before = ctx.server.stats.total_error_replies;
    // CLIENT LIST shows the command being run as the client's.
    ctx.client.last_command = Some(entry.index);
    if !ctx.client.redacted.is_empty() {
        ctx.client.redacted.clear();
    }
    // Two clock readings per command, as Redis's `call`: the first also sets the time commands
    // see. They are time-stamp-counter reads (`CommandClock`), not system-clock reads.
    let started = ctx.server.clock.tick();
    ctx.server.keyspace.now_ms = match ctx.server.script_time_ms {
        Some(frozen) => frozen,
        None => ctx.server.clock.unix_us_at(started) / 1000,
    };
    let reply_start = ctx.reply.end();
    let dirty_before = ctx.server.keyspace.stats.dirty;
    if let Err(error) = handler(ctx, args) {
        ctx.error(&error);
    }
    // The command's effects, after what it recorded itself (Redis's `call`); `EXEC` is never
    // propagated as such: its commands are.
    if !entry.command.has(flags::EXEC) {
        let changed = ctx.server.keyspace.stats.dirty > dirty_before;
        let db = ctx.client.db;
        ctx.server
            .keyspace
            .propagation
            .finish_command(db, changed, args.iter());
    }
    // Redis publishes as the command runs, before its reply: a subscriber running the command
    // receives the messages first.
    publish_notifications(ctx, reply_start);
    if ctx.server.keyspace.invalidations.has_pending() {
        super::tracking::during_command(ctx);
    }
    // Scripts remember their declared keys when they read, not by their own flags.
    if ctx.client.tracking.is_some()
        && entry.command.has(flags::READONLY)
        && entry.command.group != super::Group::Scripting
    {
        super::tracking::remember_keys(ctx, entry, args);
    }
    let clock = &ctx.server.clock;
    let elapsed_us = clock.elapsed_us(started, clock.tick());
    let elapsed = Duration::from_micros(elapsed_us);
    if ctx.server.keyspace.watch.has_dirty() {
        super::tx::flag_dirty_watchers(ctx);
    }
    let server = &mut *ctx.server;
    let threshold = server.config.latency_monitor_threshold;
    if threshold > 0 && elapsed_us / 1000 >= threshold {
        let event = if entry.command.has(flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        let now = server.clock.unix_ms() / 1000;
        server.latency.add(event, elapsed_us / 1000, now);
    }
    // A blocked command is counted when it is served, as in Redis.
    if server.config.latency_tracking && ctx.client.blocked.is_none() {
        server.command_latency[entry.index]
            .get_or_insert_with(Box::default)
            .record_micros(elapsed_us);
    }
    let stats = &mut server.command_stats[entry.index];
    stats.calls += 1;
    stats.usec += elapsed_us;
    let failed = server
        .command_failed
        .take()
        .unwrap_or(server.stats.total_error_replies > errors_before);
    let stats = &mut server.command_stats[entry.index];
    if failed {
        stats.failed_calls += 1;
    }
    server.stats.total_commands_processed += 1;
    record_slow(ctx, args, elapsed, entry);
    // Administrative commands are too dangerous to show, as in Redis.
    if !ctx.server.monitors.is_empty() && !entry.command.has(flags::SKIP_MONITOR | flags::ADMIN) {
        super::monitor::feed(ctx, args);
    }
}

/// Redis's `slowlogPushEntryIfNeeded`: logs a slow command, then trims the log to
/// `slowlog-max-len` after every command (so a lowered limit applies at once).
fn record_slow(ctx: &mut Ctx, args: &Args, elapsed: Duration, entry: &Entry) {
    let threshold = ctx.server.config.slowlog_log_slower_than;
    let max_len = ctx.server.config.slowlog_max_len as usize;
    if threshold < 0 || max_len == 0 || entry.command.has(flags::SKIP_SLOWLOG) {
        return;
    }
    if (elapsed.as_micros() as i64) >= threshold {
        let addr = ctx.client.addr.to_string();
        let name = ctx
            .client
            .name
            .as_deref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        ctx.server
            .slowlog
            .push(args, &ctx.client.redacted, elapsed, addr, name);
    }
    ctx.server.slowlog.trim(max_len);
}

/// Applies `CLIENT REPLY OFF|SKIP` to what the request wrote (push messages still go, as in
/// Redis).
fn finish_reply(ctx: &mut Ctx, reply_start: usize) {
    match ctx.client.reply_mode {
        ReplyMode::On => ctx.reply.finish_command(),
        ReplyMode::Off => ctx.reply.finish_suppressed(reply_start),
        ReplyMode::Skip => {
            ctx.reply.finish_command();
            ctx.client.reply_mode = ReplyMode::SkipThis;
        }
        ReplyMode::SkipThis => {
            ctx.reply.finish_suppressed(reply_start);
            ctx.client.reply_mode = ReplyMode::On;
        }
    }
}

#[cfg(test)]
mod propagation_tests {
    use crate::cmd::harness::Harness;
    use crate::server::aof::AofState;

    /// A server whose AOF is on in memory (no file): what it would append collects in the
    /// buffer.
    fn with_aof() -> Harness {
        let mut h = Harness::new();
        h.server.aof.state = AofState::On;
        h.server.keyspace.propagation.set_enabled(true);
        h
    }

    /// What was appended since the last call, as readable text.
    fn appended(h: &mut Harness) -> String {
        let text = String::from_utf8_lossy(&h.server.aof.buf).replace("\r\n", " ");
        h.server.aof.buf.clear();
        text
    }

    #[test]
    fn writes_are_appended_with_a_select_and_reads_are_not() {
        let mut h = with_aof();
        h.run("SET k v");
        h.run("GET k");
        assert_eq!(appended(&mut h), "*2 $6 SELECT $1 0 *3 $3 SET $1 k $1 v ");
        h.run("SET k v XX");
        assert_eq!(appended(&mut h), "*4 $3 SET $1 k $1 v $2 XX ");
        h.run("SET k v NX");
        assert_eq!(appended(&mut h), "", "a SET that changed nothing");
        h.run("SELECT 3");
        h.run("INCR n");
        assert_eq!(appended(&mut h), "*2 $6 SELECT $1 3 *2 $4 INCR $1 n ");
    }

    #[test]
    fn a_transaction_is_wrapped_only_when_it_propagates_more_than_one_operation() {
        let mut h = with_aof();
        h.run("SET warm up");
        appended(&mut h);
        for line in ["MULTI", "SET a 1", "SET b 2", "EXEC"] {
            h.run(line);
        }
        assert_eq!(
            appended(&mut h),
            "*1 $5 MULTI *3 $3 SET $1 a $1 1 *3 $3 SET $1 b $1 2 *1 $4 EXEC "
        );
        for line in ["MULTI", "SET a 3", "GET b", "EXEC"] {
            h.run(line);
        }
        assert_eq!(appended(&mut h), "*3 $3 SET $1 a $1 3 ");
        for line in ["MULTI", "GET a", "EXEC"] {
            h.run(line);
        }
        assert_eq!(appended(&mut h), "");
    }

    #[test]
    fn an_expired_key_is_propagated_as_its_deletion_before_the_command() {
        let mut h = with_aof();
        h.run("SET gone v PX 1");
        h.run("SET gone2 v PX 1");
        appended(&mut h);
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.run("GET gone");
        assert_eq!(appended(&mut h), "*2 $3 DEL $4 gone ");
        h.run("SET gone2 new");
        assert_eq!(
            appended(&mut h),
            "*1 $5 MULTI *2 $3 DEL $5 gone2 *3 $3 SET $5 gone2 $3 new *1 $4 EXEC "
        );
    }
}
