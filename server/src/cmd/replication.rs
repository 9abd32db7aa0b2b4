//! Replication commands: `REPLICAOF`/`SLAVEOF` (follow a master, or stop), `REPLCONF` (a
//! replica's settings and acknowledgements; a master's `GETACK`), `PSYNC`/`SYNC` (a replica
//! asks for the stream) and `ROLE`. The state they change is `server::replication`; the
//! network layer sends the snapshot and the stream once a client has become a replica.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::client::ReplicaState;
use crate::server::replication::{LinkState, ack_command, replica_name};

const REPLICAOF_SYNTAX: &str = "args:<host port | NO ONE>";

pub static COMMANDS: &[Command] = &[
    Command::new(
        "replicaof",
        3,
        NO_ASYNC_LOADING | ADMIN | NOSCRIPT | STALE,
        Group::Server,
        replicaof,
    )
    .doc(
        "5.0.0",
        "Make the server a replica of another instance, or promote it as master.",
        "O(1)",
    )
    .syntax(REPLICAOF_SYNTAX),
    Command::new(
        "slaveof",
        3,
        NO_ASYNC_LOADING | ADMIN | NOSCRIPT | STALE,
        Group::Server,
        replicaof,
    )
    .doc(
        "1.0.0",
        "Make the server a replica of another instance, or promote it as master.",
        "O(1)",
    )
    .syntax(REPLICAOF_SYNTAX)
    .deprecated("5.0.0", "`REPLICAOF`"),
    Command::new(
        "replconf",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        Group::Server,
        replconf,
    )
    .doc(
        "3.0.0",
        "An internal command for configuring the replication stream",
        "O(1)",
    )
    .system(),
    Command::new(
        "psync",
        -3,
        NO_ASYNC_LOADING | ADMIN | NO_MULTI | NOSCRIPT,
        Group::Server,
        psync,
    )
    .doc("2.8.0", "Internal command used for replication", "")
    .syntax("replicationid offset"),
    Command::new(
        "sync",
        1,
        NO_ASYNC_LOADING | ADMIN | NO_MULTI | NOSCRIPT,
        Group::Server,
        sync,
    )
    .doc("1.0.0", "Internal command used for replication", ""),
    Command::new(
        "failover",
        -1,
        ADMIN | NOSCRIPT | STALE,
        Group::Server,
        failover,
    )
    .doc(
        "6.2.0",
        "Start a coordinated failover between this server and one of its replicas.",
        "O(1)",
    )
    .syntax("[TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]"),
    Command::new("wait", 3, NOSCRIPT, Group::Generic, wait)
        .doc(
            "3.0.0",
            "Wait for the synchronous replication of all the write commands sent in the context \
             of the current connection",
            "O(1)",
        )
        .syntax("numreplicas timeout"),
    Command::new(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST | SENTINEL,
        Group::Server,
        role,
    )
    .doc(
        "2.8.12",
        "Return the role of the instance in the context of replication",
        "O(1)",
    ),
];

/// The client as Redis names it in log lines (`catClientInfoString`, shortened to its
/// address and id).
fn client_description(ctx: &Ctx) -> String {
    format!(
        "id={} addr={}",
        ctx.client.id,
        crate::client::peer_id(&ctx.client.addr)
    )
}

/// `REPLICAOF host port | NO ONE` (`replicaofCommand`).
fn replicaof(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if ctx.server.config.cluster_enabled {
        return Err(CmdError::new("ERR REPLICAOF not allowed in cluster mode."));
    }
    if ctx.server.replication.failover.is_some() {
        return Err(CmdError::new(
            "ERR REPLICAOF not allowed while failing over.",
        ));
    }
    if args.is(1, "no") && args.is(2, "one") {
        if ctx.server.replication.is_replica() {
            ctx.server.unset_master();
            tracing::info!(
                "MASTER MODE enabled (user request from '{}')",
                client_description(ctx)
            );
        }
        ctx.reply.ok();
        return Ok(());
    }
    if ctx.client.is_replica() {
        return Err(CmdError::new(
            "ERR Command is not valid when client is a replica.",
        ));
    }
    let port = crate::util::parse_i64(args.get(2))
        .filter(|p| (0..=65535).contains(p))
        .ok_or(CmdError::new("ERR Invalid master port"))? as u16;
    let host = String::from_utf8_lossy(args.get(1)).into_owned();
    if let Some(master) = &ctx.server.replication.master
        && master.host.eq_ignore_ascii_case(&host)
        && master.port == port
    {
        tracing::info!(
            "REPLICAOF would result into synchronization with the master we are already \
             connected with. No operation performed."
        );
        ctx.reply
            .simple(b"OK Already connected to specified master");
        return Ok(());
    }
    ctx.server.set_master(host.clone(), port);
    tracing::info!(
        "REPLICAOF {host}:{port} enabled (user request from '{}')",
        client_description(ctx)
    );
    ctx.reply.ok();
    Ok(())
}

/// `REPLCONF <option> <value> ...` (`replconfCommand`).
fn replconf(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(errors::SYNTAX);
    }
    for pair in (1..args.len()).step_by(2) {
        let value = args.get(pair + 1);
        if args.is(pair, "listening-port") {
            let port = crate::util::parse_i64(value).ok_or(errors::NOT_INTEGER)?;
            ctx.client
                .replica
                .get_or_insert_with(Default::default)
                .listening_port = port as u16;
        } else if args.is(pair, "ip-address") {
            if value.len() >= 256 {
                return Err(CmdError::owned(format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    value.len()
                )));
            }
            ctx.client
                .replica
                .get_or_insert_with(Default::default)
                .ip_address = Some(String::from_utf8_lossy(value).into_owned());
        } else if args.is(pair, "capa") {
            // `eof` (diskless transfers) changes nothing here: snapshots go from disk.
            let info = ctx.client.replica.get_or_insert_with(Default::default);
            if value.eq_ignore_ascii_case(b"psync2") {
                info.capa_psync2 = true;
            }
        } else if args.is(pair, "ack") {
            // No reply: the replica does not read one.
            if let Some(info) = ctx.client.replica.as_deref_mut()
                && info.state.is_some()
                && let Some(offset) = crate::util::parse_i64(value)
            {
                info.ack_offset = info.ack_offset.max(offset.max(0) as u64);
                info.ack_time = crate::server::persistence::unix_seconds();
                // A failover waiting for this acknowledgement sees it at the next cron tick.
                ctx.server.wake_ack_waiters();
            }
            return Ok(());
        } else if args.is(pair, "getack") {
            // Answered on the link, past the replies a master never reads.
            if ctx.client.master {
                let ack = ack_command(ctx.server.replication.offset);
                ctx.client.pending_reply.extend_from_slice(&ack);
                ctx.client.wake.notify_one();
            }
            return Ok(());
        } else if args.is(pair, "rdb-only") {
            let rdb_only = match crate::util::parse_i64(value) {
                Some(n @ (0 | 1)) => n == 1,
                Some(_) => {
                    return Err(CmdError::new(
                        "ERR value is out of range, value must between 0 and 1",
                    ));
                }
                None => return Err(errors::NOT_INTEGER),
            };
            ctx.client
                .replica
                .get_or_insert_with(Default::default)
                .rdb_only = rdb_only;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(args.get(pair))
            )));
        }
    }
    ctx.reply.ok();
    Ok(())
}

/// Checks shared by `SYNC` and `PSYNC` (`syncCommand`'s start). `Ok(false)`: nothing to do.
fn sync_allowed(ctx: &mut Ctx) -> Result<bool, CmdError> {
    if ctx.client.is_replica() {
        return Ok(false);
    }
    if ctx.server.replication.failover.is_some() {
        return Err(CmdError::new("NOMASTERLINK Can't SYNC while failing over"));
    }
    if ctx.server.replication.is_replica() && !ctx.server.replication.link_up() {
        return Err(CmdError::new(
            "NOMASTERLINK Can't SYNC while not connected with my master",
        ));
    }
    if !ctx.reply.is_empty() {
        return Err(CmdError::new(
            "ERR SYNC and PSYNC are invalid with pending output",
        ));
    }
    tracing::info!(
        "Replica {} asks for synchronization",
        replica_name(ctx.client)
    );
    Ok(true)
}

/// `PSYNC <replid> <offset>`: continues the stream from the backlog when the history and the
/// offset allow (`+CONTINUE`), else a full synchronisation (`+FULLRESYNC` once the save it
/// will receive starts).
fn psync(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if ctx.client.is_replica() {
        return Ok(());
    }
    // `PSYNC <replid> <offset> FAILOVER`: our master hands over to us (its `FAILOVER`).
    if args.len() > 3 && args.is(3, "failover") {
        let replid = String::from_utf8_lossy(args.get(1)).into_owned();
        tracing::warn!("Failover request received for replid {replid}.");
        if !ctx.server.replication.is_replica() {
            return Err(CmdError::new(
                "ERR PSYNC FAILOVER can't be sent to a master.",
            ));
        }
        if !replid.eq_ignore_ascii_case(&ctx.server.replication.replid) {
            return Err(CmdError::new(
                "ERR PSYNC FAILOVER replid must match my replid.",
            ));
        }
        ctx.server.unset_master();
        tracing::info!(
            "MASTER MODE enabled (failover request from '{}')",
            client_description(ctx)
        );
    }
    if !sync_allowed(ctx)? {
        return Ok(());
    }
    let Some(offset) = crate::util::parse_i64(args.get(2)) else {
        tracing::warn!(
            "Replica {} asks for synchronization but with a wrong offset",
            replica_name(ctx.client)
        );
        return Err(errors::NOT_INTEGER);
    };
    let replid = String::from_utf8_lossy(args.get(1)).into_owned();
    let replication = &ctx.server.replication;
    match replication.can_continue(&replid, offset.max(0) as u64) {
        Ok(()) if offset >= 0 => {
            let backlog = replication.backlog.as_ref().expect("checked");
            let bytes = backlog.since(offset as u64);
            let line = {
                let info = ctx.client.replica.get_or_insert_with(Default::default);
                info.state = Some(ReplicaState::Online);
                info.ack_time = crate::server::persistence::unix_seconds();
                if info.capa_psync2 {
                    format!("+CONTINUE {}\r\n", replication.replid)
                } else {
                    "+CONTINUE\r\n".to_string()
                }
            };
            ctx.server.replication.replicas.push(ctx.client.id);
            ctx.server.replication.no_replicas_since = None;
            ctx.server.replication.sync_partial_ok += 1;
            ctx.reply.raw(line.as_bytes());
            ctx.reply.raw(&bytes);
            tracing::info!(
                "Partial resynchronization request from {} accepted. Sending {} bytes of \
                 backlog starting from offset {offset}.",
                replica_name(ctx.client),
                bytes.len()
            );
        }
        refused => {
            match refused {
                Err(reason) if !reason.is_empty() => tracing::info!("{reason}"),
                _ => tracing::info!(
                    "Full resync requested by replica {}",
                    replica_name(ctx.client)
                ),
            }
            if replid != "?" {
                ctx.server.replication.sync_partial_err += 1;
            }
            ctx.server.attach_for_full_sync(ctx.client, false);
        }
    }
    Ok(())
}

/// `SYNC`: the old protocol (`redis-cli --replica`): a full synchronisation without the
/// `+FULLRESYNC` line or acknowledgements.
fn sync(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if !sync_allowed(ctx)? {
        return Ok(());
    }
    ctx.server.attach_for_full_sync(ctx.client, true);
    Ok(())
}

/// `WAIT numreplicas timeout` (`waitCommand`): replies how many replicas acknowledged this
/// client's last write, at once when enough did (or inside `MULTI`), else when enough do or
/// the timeout (milliseconds, 0 for none) passes; the connection does the waiting.
fn wait(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if ctx.server.replication.is_replica() {
        return Err(CmdError::new(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis \
             4.0 if a replica is configured to be writable (which is not the default) writes to \
             replicas are just local and are not propagated.",
        ));
    }
    let replicas = crate::util::parse_i64(args.get(1)).ok_or(errors::NOT_INTEGER)?;
    let timeout = crate::util::parse_i64(args.get(2)).ok_or(CmdError::new(
        "ERR timeout is not an integer or out of range",
    ))?;
    if timeout < 0 {
        return Err(CmdError::new("ERR timeout is negative"));
    }
    let offset = ctx.client.woff;
    let acked = ctx.server.count_acks(offset);
    if acked as i64 >= replicas || ctx.client.in_exec {
        ctx.reply.int(acked as i64);
        return Ok(());
    }
    ctx.client.wait_acks = Some(crate::client::WaitAcks {
        offset,
        replicas: replicas as u64,
        deadline: (timeout > 0)
            .then(|| std::time::Instant::now() + std::time::Duration::from_millis(timeout as u64)),
    });
    ctx.server.replication.waiting.push(ctx.client.id);
    ctx.server.request_acks();
    Ok(())
}

/// `FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]` (`failoverCommand`): pauses writes
/// until a replica (the one named, or the first) acknowledged the whole stream, then hands the
/// master role over to it; the cron and the replicas' acknowledgements move it on.
fn failover(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if ctx.server.config.cluster_enabled {
        return Err(CmdError::new(
            "ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.",
        ));
    }
    if args.len() == 2 && args.is(1, "abort") {
        if ctx.server.replication.failover.is_none() {
            return Err(CmdError::new("ERR No failover in progress."));
        }
        ctx.server.abort_failover("Failover manually aborted");
        ctx.reply.ok();
        return Ok(());
    }
    let (mut timeout, mut force, mut target) = (0i64, false, None);
    let mut i = 1;
    while i < args.len() {
        if args.is(i, "timeout") && i + 1 < args.len() && timeout == 0 {
            timeout = crate::util::parse_i64(args.get(i + 1)).ok_or(errors::NOT_INTEGER)?;
            if timeout <= 0 {
                return Err(CmdError::new("ERR FAILOVER timeout must be greater than 0"));
            }
            i += 1;
        } else if args.is(i, "to") && i + 2 < args.len() && target.is_none() {
            let port = crate::util::parse_i64(args.get(i + 2)).ok_or(errors::NOT_INTEGER)?;
            target = Some((String::from_utf8_lossy(args.get(i + 1)).into_owned(), port));
            i += 2;
        } else if args.is(i, "force") && !force {
            force = true;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 1;
    }
    let server = &mut *ctx.server;
    if server.replication.failover.is_some() {
        return Err(CmdError::new("ERR FAILOVER already in progress."));
    }
    if server.replication.is_replica() {
        return Err(CmdError::new(
            "ERR FAILOVER is not valid when server is a replica.",
        ));
    }
    if server.replication.replicas.is_empty() {
        return Err(CmdError::new("ERR FAILOVER requires connected replicas."));
    }
    if force && (timeout == 0 || target.is_none()) {
        return Err(CmdError::new(
            "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
        ));
    }
    let target = match target {
        Some((host, port)) => {
            let views = server.replica_views();
            let Some(replica) = views
                .iter()
                .find(|r| r.ip.eq_ignore_ascii_case(&host) && r.port as i64 == port)
            else {
                return Err(CmdError::new(
                    "ERR FAILOVER target HOST and PORT is not a replica.",
                ));
            };
            if replica.state != "online" {
                return Err(CmdError::new("ERR FAILOVER target replica is not online."));
            }
            Some((replica.ip.clone(), replica.port))
        }
        None => None,
    };
    let end_ms = (timeout > 0).then(|| crate::db::access::unix_ms() + timeout as u64);
    server.start_failover(crate::server::replication::Failover {
        target,
        end_ms,
        force,
        in_progress: false,
    });
    ctx.reply.ok();
    Ok(())
}

/// `ROLE` (`roleCommand`).
fn role(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let server = &*ctx.server;
    let reply = &mut *ctx.reply;
    match &server.replication.master {
        None => {
            let online: Vec<_> = server
                .replica_views()
                .into_iter()
                .filter(|r| r.state == "online")
                .collect();
            reply.array(3);
            reply.bulk(b"master");
            reply.int(server.replication.offset as i64);
            reply.array(online.len());
            for replica in online {
                reply.array(3);
                reply.bulk(replica.ip.as_bytes());
                reply.bulk(replica.port.to_string().as_bytes());
                reply.bulk(replica.ack_offset.to_string().as_bytes());
            }
        }
        Some(master) => {
            reply.array(5);
            reply.bulk(b"slave");
            reply.bulk(master.host.as_bytes());
            reply.int(master.port as i64);
            reply.bulk(match master.link {
                LinkState::Connect => b"connect".as_slice(),
                LinkState::Connecting => b"connecting",
                LinkState::Handshake => b"handshake",
                LinkState::Transfer => b"sync",
                LinkState::Connected => b"connected",
            });
            let processed = if master.client.is_some() {
                server.replication.offset as i64
            } else {
                -1
            };
            reply.int(processed);
        }
    }
    Ok(())
}
