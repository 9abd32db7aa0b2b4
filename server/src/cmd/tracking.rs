//! Client-side caching commands (`CLIENT TRACKING`, `CACHING`, `GETREDIR`, `TRACKINGINFO`)
//! and the hooks the command loop calls: remembering the keys a tracking client reads, and
//! sending the invalidations a command caused.
//!
//! Options are checked in Redis's order with Redis's errors; the state lives on the client
//! (`tracking::ClientTracking`) and in the server's tracking table (`server::tracking`).

use super::errors::{self, CmdError, CmdResult};
use super::{Args, Ctx, Entry};
use crate::client::Client;
use crate::protocol::reply::Reply;
use crate::server::Server;
use crate::server::pubsub::Current;
use crate::server::tracking::TrackingOptions;
use crate::tracking::prefixes_overlap;

/// `CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]`.
pub fn tracking(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut redirect: u64 = 0;
    let mut options = TrackingOptions::default();
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let mut at = 3;
    while at < args.len() {
        let more = at + 1 < args.len();
        if args.is(at, "REDIRECT") && more {
            at += 1;
            if redirect != 0 {
                return Err(CmdError::new(
                    "ERR A client can only redirect to a single other client",
                ));
            }
            let id = crate::util::parse_i64(args.get(at)).ok_or(errors::NOT_INTEGER)?;
            // The target must exist now, though it may go away later.
            if !ctx.server.clients.contains_key(&(id as u64)) {
                return Err(CmdError::new(
                    "ERR The client ID you want redirect to does not exist",
                ));
            }
            redirect = id as u64;
        } else if args.is(at, "BCAST") {
            options.bcast = true;
        } else if args.is(at, "OPTIN") {
            options.optin = true;
        } else if args.is(at, "OPTOUT") {
            options.optout = true;
        } else if args.is(at, "NOLOOP") {
            options.noloop = true;
        } else if args.is(at, "PREFIX") && more {
            at += 1;
            prefixes.push(args.get(at));
        } else {
            return Err(errors::SYNTAX);
        }
        at += 1;
    }
    if args.is(2, "OFF") {
        ctx.server.disable_tracking(ctx.client);
        ctx.reply.ok();
        return Ok(());
    }
    if !args.is(2, "ON") {
        return Err(errors::SYNTAX);
    }
    check_options(ctx, options, &prefixes)?;
    ctx.server
        .enable_tracking(ctx.client, redirect, options, &prefixes);
    ctx.reply.ok();
    Ok(())
}

/// The checks of `CLIENT TRACKING ON` against each other and the client's current mode.
fn check_options(ctx: &Ctx, options: TrackingOptions, prefixes: &[&[u8]]) -> CmdResult {
    if !options.bcast && !prefixes.is_empty() {
        return Err(CmdError::new(
            "ERR PREFIX option requires BCAST mode to be enabled",
        ));
    }
    let current = ctx.client.tracking.as_deref();
    if current.is_some_and(|t| t.bcast != options.bcast) {
        return Err(CmdError::new(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, \
             and then re-enabling it with a different mode.",
        ));
    }
    if options.bcast && (options.optin || options.optout) {
        return Err(CmdError::new(
            "ERR OPTIN and OPTOUT are not compatible with BCAST",
        ));
    }
    if options.optin && options.optout {
        return Err(CmdError::new(
            "ERR You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    if current.is_some_and(|t| (options.optin && t.optout) || (options.optout && t.optin)) {
        return Err(CmdError::new(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, \
             and then re-enabling it with a different mode.",
        ));
    }
    if options.bcast {
        let existing = current.map_or(&[][..], |t| &t.prefixes[..]);
        for (i, prefix) in prefixes.iter().enumerate() {
            if let Some(old) = existing.iter().find(|old| prefixes_overlap(old, prefix)) {
                return Err(overlap_error(prefix, old, "an existing"));
            }
            if let Some(other) = prefixes[i + 1..]
                .iter()
                .find(|other| prefixes_overlap(prefix, other))
            {
                return Err(overlap_error(prefix, other, "another provided"));
            }
        }
    }
    Ok(())
}

fn overlap_error(prefix: &[u8], other: &[u8], which: &str) -> CmdError {
    CmdError::owned(format!(
        "ERR Prefix '{}' overlaps with {which} prefix '{}'. Prefixes for a single client must \
         not overlap.",
        String::from_utf8_lossy(prefix),
        String::from_utf8_lossy(other),
    ))
}

/// `CLIENT CACHING YES|NO`: whether the next command's keys are remembered (OPTIN: yes;
/// OPTOUT: no). Holds for the next command, or the next transaction.
pub fn caching(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(tracking) = ctx.client.tracking.as_deref_mut() else {
        return Err(CmdError::new(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with \
             OPTIN or OPTOUT mode enabled",
        ));
    };
    if args.is(2, "YES") {
        if !tracking.optin {
            return Err(CmdError::new(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if args.is(2, "NO") {
        if !tracking.optout {
            return Err(CmdError::new(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(errors::SYNTAX);
    }
    tracking.caching = true;
    ctx.reply.ok();
    Ok(())
}

/// `CLIENT GETREDIR`: the redirection target, 0 for none, -1 when not tracking.
pub fn getredir(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let redirect = ctx
        .client
        .tracking
        .as_ref()
        .map_or(-1, |t| t.redirect as i64);
    ctx.reply.int(redirect);
    Ok(())
}

/// `CLIENT TRACKINGINFO`: a map of `flags` (a set), `redirect` and `prefixes`.
pub fn trackinginfo(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let tracking = ctx.client.tracking.as_deref();
    let mut flags: Vec<&[u8]> = Vec::new();
    match tracking {
        None => flags.push(b"off"),
        Some(t) => {
            flags.push(b"on");
            if t.bcast {
                flags.push(b"bcast");
            }
            if t.optin {
                flags.push(b"optin");
                if t.caching {
                    flags.push(b"caching-yes");
                }
            }
            if t.optout {
                flags.push(b"optout");
                if t.caching {
                    flags.push(b"caching-no");
                }
            }
            if t.noloop {
                flags.push(b"noloop");
            }
            if t.broken_redirect.get() {
                flags.push(b"broken_redirect");
            }
        }
    }
    let reply = &mut *ctx.reply;
    reply.map(3);
    reply.bulk(b"flags");
    reply.set(flags.len());
    for flag in flags {
        reply.bulk(flag);
    }
    reply.bulk(b"redirect");
    reply.int(tracking.map_or(-1, |t| t.redirect as i64));
    reply.bulk(b"prefixes");
    let prefixes = tracking.map_or(&[][..], |t| &t.prefixes[..]);
    reply.array(prefixes.len());
    for prefix in prefixes {
        reply.bulk(prefix);
    }
    Ok(())
}

/// After a read-only command of a tracking client: remembers the keys it read, found as
/// `COMMAND GETKEYS` finds them, unless its mode says not to.
pub fn remember_keys(ctx: &mut Ctx, entry: &Entry, args: &Args) {
    let remembers = ctx
        .client
        .tracking
        .as_ref()
        .is_some_and(|t| t.remembers_reads());
    if !remembers {
        return;
    }
    let line: Vec<&[u8]> = args.iter().collect();
    let Some(keys) = super::introspection::command_keys(entry, &line) else {
        return;
    };
    for (at, _) in keys {
        ctx.server.tracking.remember(line[at], ctx.client.id);
    }
}

/// Sends the invalidations for the keys the running command changed: to other clients now,
/// to the running client once its whole reply is written (see [`after_command`]).
pub fn during_command(ctx: &mut Ctx) {
    let at = ctx.reply.end();
    let mut current = Current {
        client: &*ctx.client,
        reply: &mut *ctx.reply,
        at,
    };
    ctx.server.deliver_invalidations(Some(&mut current), true);
}

/// Before a command runs (after the eviction it may cause): invalidates what eviction
/// removed and what is over `tracking-table-max-keys`, the running client's messages ahead
/// of its reply, as in Redis.
pub fn before_command(ctx: &mut Ctx) {
    let at = ctx.reply.end();
    let mut current = Current {
        client: &*ctx.client,
        reply: &mut *ctx.reply,
        at,
    };
    if ctx.server.keyspace.invalidations.has_pending() {
        ctx.server.deliver_invalidations(Some(&mut current), false);
    }
    ctx.server.limit_tracked_keys(Some(&mut current));
}

/// After a request: the running client's deferred invalidations, then what the blocked
/// commands it served changed, all after its reply.
pub fn after_command(ctx: &mut Ctx) {
    let at = ctx.reply.end();
    let mut current = Current {
        client: &*ctx.client,
        reply: &mut *ctx.reply,
        at,
    };
    if ctx.server.tracking.has_deferred() {
        ctx.server.send_deferred_invalidations(Some(&mut current));
    }
    if ctx.server.keyspace.invalidations.has_pending() {
        ctx.server.deliver_invalidations(Some(&mut current), false);
    }
}

/// After a connection's batch of requests (Redis's `beforeSleep`): the keys changed under
/// broadcast prefixes go out, one message per prefix for the whole batch.
pub fn after_batch(server: &mut Server, client: &Client, reply: &mut Reply) {
    if !server.tracking.has_broadcasts() {
        return;
    }
    let at = reply.end();
    let mut current = Current { client, reply, at };
    server.send_broadcasts(Some(&mut current));
}

#[cfg(test)]
mod tests {
    use crate::cmd::harness::Harness;

    /// The RESP3 push invalidating `keys`.
    fn invalidate(keys: &[&str]) -> String {
        let mut out = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len());
        for key in keys {
            out.push_str(&format!("${}\r\n{key}\r\n", key.len()));
        }
        out
    }

    /// A harness with a RESP3 client that tracks with `options`, and a second client.
    fn tracking(options: &str) -> (Harness, u64, u64) {
        let mut h = Harness::new();
        let (reader, writer) = (h.connect(), h.connect());
        h.run_as(reader, "HELLO 3");
        assert_eq!(
            h.run_as(reader, &format!("CLIENT TRACKING on {options}")),
            "+OK\r\n"
        );
        (h, reader, writer)
    }

    fn info_field(h: &mut Harness, name: &str) -> String {
        let info = h.run("INFO everything");
        let prefix = format!("{name}:");
        info.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .expect("field")
            .to_string()
    }

    #[test]
    fn a_read_key_is_invalidated_once_when_another_client_changes_it() {
        let (mut h, reader, writer) = tracking("");
        h.run_as(writer, "MSET k 1 other 1");
        h.run_as(reader, "GET k");
        assert_eq!(info_field(&mut h, "tracking_total_keys"), "1");
        h.run_as(writer, "SET other 2");
        assert_eq!(h.pushed(reader), "");
        h.run_as(writer, "INCR k");
        assert_eq!(h.pushed(reader), invalidate(&["k"]));
        // Forgotten until read again.
        h.run_as(writer, "INCR k");
        assert_eq!(h.pushed(reader), "");
        assert_eq!(info_field(&mut h, "tracking_total_keys"), "0");
    }

    #[test]
    fn the_clients_own_change_is_announced_after_its_reply_unless_noloop() {
        let (mut h, reader, _) = tracking("");
        h.run_as(reader, "HSET h f 1");
        h.run_as(reader, "HGET h f");
        assert_eq!(
            h.run_as(reader, "HDEL h f"),
            format!(":1\r\n{}", invalidate(&["h"]))
        );
        // Inside a transaction, after the whole EXEC reply.
        h.run_as(reader, "MSET a 1 b 2");
        h.run_as(reader, "GET a");
        h.run_as(reader, "MULTI");
        h.run_as(reader, "INCR a");
        h.run_as(reader, "GET b");
        assert_eq!(
            h.run_as(reader, "EXEC"),
            format!("*2\r\n:2\r\n$1\r\n2\r\n{}", invalidate(&["a"]))
        );
        h.run_as(reader, "CLIENT TRACKING on NOLOOP");
        h.run_as(reader, "GET a");
        assert_eq!(h.run_as(reader, "INCR a"), ":3\r\n");
    }

    #[test]
    fn a_redirected_resp2_subscriber_gets_pubsub_messages_and_a_gone_one_breaks() {
        let mut h = Harness::new();
        let (reader, writer, target) = (h.connect(), h.connect(), h.connect());
        h.run_as(target, "SUBSCRIBE __redis__:invalidate");
        h.run_as(reader, "HELLO 3");
        let on = format!("CLIENT TRACKING on REDIRECT {target}");
        assert_eq!(h.run_as(reader, &on), "+OK\r\n");
        assert_eq!(
            h.run_as(reader, "CLIENT GETREDIR"),
            format!(":{target}\r\n")
        );
        h.run_as(reader, "GET k");
        h.run_as(writer, "SET k 1");
        assert_eq!(
            h.pushed(target),
            "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"
        );
        assert_eq!(h.pushed(reader), "");
        // The target goes: the tracking client learns it, and its flags say so.
        h.server.clients.remove(&target);
        h.run_as(reader, "GET k");
        h.run_as(writer, "SET k 2");
        assert_eq!(
            h.pushed(reader),
            format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{target}\r\n")
        );
        let list = h.run_as(writer, "CLIENT LIST");
        let line = list
            .lines()
            .find(|l| l.contains(&format!("id={reader} ")))
            .unwrap();
        assert!(line.contains(" flags=tR "), "{line}");
        assert!(line.contains(&format!(" redir={target} ")), "{line}");
        assert!(
            h.run_as(reader, "CLIENT TRACKINGINFO")
                .contains("broken_redirect")
        );
    }

    #[test]
    fn options_are_checked_with_redis_errors() {
        let mut h = Harness::new();
        let id = h.connect();
        let err = |h: &mut Harness, line: &str| h.run_as(id, line);
        assert_eq!(
            err(&mut h, "CLIENT TRACKING on PREFIX a"),
            "-ERR PREFIX option requires BCAST mode to be enabled\r\n"
        );
        assert_eq!(
            err(&mut h, "CLIENT TRACKING on OPTIN OPTOUT"),
            "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"
        );
        assert_eq!(
            err(&mut h, "CLIENT TRACKING on BCAST OPTIN"),
            "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"
        );
        assert_eq!(
            err(&mut h, "CLIENT TRACKING on REDIRECT 999999"),
            "-ERR The client ID you want redirect to does not exist\r\n"
        );
        assert_eq!(
            err(&mut h, "CLIENT TRACKING maybe"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            err(&mut h, "CLIENT TRACKING on FOO"),
            "-ERR syntax error\r\n"
        );
        assert!(
            err(&mut h, "CLIENT CACHING yes").starts_with("-ERR CLIENT CACHING can be called only")
        );
        assert_eq!(
            err(&mut h, "CLIENT TRACKING on BCAST PREFIX FOOBAR PREFIX FOO"),
            "-ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a \
             single client must not overlap.\r\n"
        );
        assert_eq!(
            err(&mut h, "CLIENT TRACKING on BCAST PREFIX FOO"),
            "+OK\r\n"
        );
        assert!(
            err(&mut h, "CLIENT TRACKING on BCAST PREFIX F")
                .starts_with("-ERR Prefix 'F' overlaps with an existing prefix 'FOO'.")
        );
        assert!(err(&mut h, "CLIENT TRACKING on").starts_with("-ERR You can't switch BCAST"));
        assert_eq!(err(&mut h, "CLIENT TRACKING off"), "+OK\r\n");
        assert_eq!(err(&mut h, "CLIENT TRACKING on OPTIN"), "+OK\r\n");
        assert!(
            err(&mut h, "CLIENT TRACKING on OPTOUT")
                .starts_with("-ERR You can't switch OPTIN/OPTOUT")
        );
        assert!(
            err(&mut h, "CLIENT CACHING no").starts_with("-ERR CLIENT CACHING NO is only valid")
        );
        assert_eq!(err(&mut h, "CLIENT GETREDIR"), ":0\r\n");
        err(&mut h, "CLIENT TRACKING off");
        assert_eq!(err(&mut h, "CLIENT GETREDIR"), ":-1\r\n");
    }

    #[test]
    fn broadcast_mode_announces_keys_under_its_prefixes() {
        let (mut h, reader, writer) = tracking("BCAST PREFIX user: PREFIX cart:");
        h.run_as(writer, "MSET user:1 a other b cart:9 c");
        assert_eq!(
            h.pushed(reader),
            format!("{}{}", invalidate(&["cart:9"]), invalidate(&["user:1"]))
        );
        assert_eq!(info_field(&mut h, "tracking_total_prefixes"), "2");
        // NOLOOP leaves out what the client changed itself.
        h.run_as(reader, "CLIENT TRACKING on BCAST NOLOOP");
        assert_eq!(h.run_as(reader, "SET user:2 x"), "+OK\r\n");
        let info = h.run_as(reader, "CLIENT TRACKINGINFO");
        assert!(info.contains("bcast") && info.contains("noloop") && info.contains("user:"));
        h.run_as(reader, "CLIENT TRACKING off");
        assert_eq!(info_field(&mut h, "tracking_total_prefixes"), "0");
    }

    #[test]
    fn optin_and_optout_follow_client_caching_for_one_command() {
        let (mut h, reader, writer) = tracking("OPTIN");
        h.run_as(reader, "GET a");
        h.run_as(reader, "CLIENT CACHING yes");
        assert!(
            h.run_as(reader, "CLIENT TRACKINGINFO")
                .contains("caching-yes")
        );
        h.run_as(reader, "GET b");
        h.run_as(reader, "GET c");
        h.run_as(writer, "MSET a 1 b 1 c 1");
        assert_eq!(h.pushed(reader), invalidate(&["b"]));

        let (mut h, reader, writer) = tracking("OPTOUT");
        h.run_as(reader, "CLIENT CACHING no");
        h.run_as(reader, "GET a");
        h.run_as(reader, "GET b");
        h.run_as(writer, "MSET a 1 b 1");
        assert_eq!(h.pushed(reader), invalidate(&["b"]));
    }

    #[test]
    fn a_flush_invalidates_everything_with_a_null() {
        let (mut h, reader, writer) = tracking("");
        h.run_as(reader, "GET k");
        h.run_as(writer, "FLUSHALL");
        assert_eq!(h.pushed(reader), ">2\r\n$10\r\ninvalidate\r\n_\r\n");
        assert_eq!(info_field(&mut h, "tracking_total_keys"), "0");
        // The flushing client's own message follows its reply.
        assert_eq!(
            h.run_as(reader, "FLUSHDB"),
            "+OK\r\n>2\r\n$10\r\ninvalidate\r\n_\r\n"
        );
    }

    #[test]
    fn expiry_invalidates_and_the_table_stays_within_its_limit() {
        let (mut h, reader, writer) = tracking("");
        h.run_as(writer, "DEBUG SET-ACTIVE-EXPIRE 0");
        h.run_as(writer, "SET k 1 PX 1");
        h.run_as(reader, "GET k");
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(h.run_as(writer, "GET k"), "$-1\r\n");
        assert_eq!(h.pushed(reader), invalidate(&["k"]));

        h.run_as(reader, "MGET a b c");
        assert_eq!(info_field(&mut h, "tracking_total_items"), "3");
        h.run_as(writer, "CONFIG SET tracking-table-max-keys 1");
        assert_eq!(
            h.run_as(writer, "CONFIG GET tracking-table-max-keys"),
            "*2\r\n$23\r\ntracking-table-max-keys\r\n$1\r\n1\r\n"
        );
        h.run_as(writer, "PING");
        assert_eq!(h.pushed(reader).matches("invalidate").count(), 2);
        assert_eq!(info_field(&mut h, "tracking_total_keys"), "1");
    }

    #[test]
    fn reset_and_tracking_off_stop_tracking() {
        let (mut h, reader, writer) = tracking("");
        assert_eq!(info_field(&mut h, "tracking_clients"), "1");
        let list = h.run_as(writer, "CLIENT LIST");
        let line = list
            .lines()
            .find(|l| l.contains(&format!("id={reader} ")))
            .unwrap();
        assert!(
            line.contains(" flags=t ") && line.contains(" redir=0 "),
            "{line}"
        );
        h.run_as(reader, "GET k");
        h.run_as(reader, "RESET");
        assert_eq!(info_field(&mut h, "tracking_clients"), "0");
        assert_eq!(info_field(&mut h, "tracking_total_keys"), "0");
        assert_eq!(h.run_as(reader, "CLIENT GETREDIR"), ":-1\r\n");
        h.run_as(writer, "SET k 1");
        assert_eq!(h.pushed(reader), "");
    }

    /// `overhead.total` of `MEMORY STATS`, run as `id`.
    fn overhead_total(h: &mut Harness, id: u64) -> i64 {
        let stats = h.run_as(id, "MEMORY STATS");
        let at = stats.find("overhead.total").expect("field");
        let value = &stats[at..];
        let line = value.lines().nth(1).expect("value");
        line.trim_start_matches(':').parse().expect("integer")
    }

    #[test]
    fn the_tracking_table_counts_in_the_memory_overhead() {
        let (mut h, reader, writer) = tracking("");
        let before = overhead_total(&mut h, writer);
        let keys: Vec<String> = (0..1000).map(|i| format!("key:{i}")).collect();
        h.run_as(reader, &format!("MGET {}", keys.join(" ")));
        let table = h.server.tracking.memory() as i64;
        assert!(table > 1000 * 8, "{table}");
        assert_eq!(overhead_total(&mut h, writer) - before, table);
    }
}
