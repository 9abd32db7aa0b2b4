//! `MIGRATE`: moves keys to another server (Redis or zedis) as `RESTORE` commands carrying
//! `DUMP` payloads, over a cached blocking connection, then deletes the keys the target
//! acknowledged (unless `COPY`). The server waits for the target, as Redis does.

use std::time::Duration;

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::db::Lookup;

pub static COMMANDS: &[Command] = &[Command::new("migrate", -6, WRITE, Group::Generic, migrate)
    .doc("2.6.0", "Atomically transfers a key from one Redis instance to another.", "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.")
    .syntax("host port <key | \"\"> destination-db timeout [COPY] [REPLACE] [[AUTH password] | [AUTH2 username password]] [KEYS key [key ...]]")];

/// One key to send: its name, TTL in milliseconds (0 for none) and payload.
struct Outgoing {
    key: Vec<u8>,
    ttl: u64,
    payload: Vec<u8>,
}

/// Appends a RESP array of bulk strings to `out`.
fn push_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

fn migrate(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut copy, mut replace) = (false, false);
    let mut auth: Option<(Option<Vec<u8>>, Vec<u8>)> = None;
    let (mut first_key, mut key_count) = (3, 1);
    let mut i = 6;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args.is(i, "COPY") {
            copy = true;
        } else if args.is(i, "REPLACE") {
            replace = true;
        } else if args.is(i, "AUTH") {
            if more == 0 {
                return Err(errors::SYNTAX);
            }
            i += 1;
            auth = Some((None, args.get(i).to_vec()));
            ctx.redact(i);
        } else if args.is(i, "AUTH2") {
            if more < 2 {
                return Err(errors::SYNTAX);
            }
            auth = Some((Some(args.get(i + 1).to_vec()), args.get(i + 2).to_vec()));
            ctx.redact(i + 1);
            ctx.redact(i + 2);
            i += 2;
        } else if args.is(i, "KEYS") {
            if !args.get(3).is_empty() {
                return Err(CmdError::new(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            first_key = i + 1;
            key_count = args.len() - i - 1;
            break;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 1;
    }
    let timeout = args.i64(5)?;
    let target_db = args.i64(4)?;
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });

    // The keys that exist, with their TTLs and payloads.
    let db = ctx.client.db;
    let mut outgoing = Vec::new();
    for k in first_key..first_key + key_count {
        let key = args.get(k);
        let Some(slot) = ctx.server.keyspace.lookup(db, key, Lookup::Read) else {
            continue;
        };
        let now = ctx.server.keyspace.now_ms;
        let ttl = match ctx.server.keyspace.record(db, slot).expire() {
            Some((when, _)) if when < now => continue,
            Some((when, _)) => (when - now).max(1),
            None => 0,
        };
        let payload = super::dump::payload(ctx, db, slot);
        outgoing.push(Outgoing {
            key: key.to_vec(),
            ttl,
            payload,
        });
    }
    if outgoing.is_empty() {
        ctx.reply.simple(b"NOKEY");
        return Ok(());
    }
    let host = String::from_utf8_lossy(args.get(1)).into_owned();
    let port = String::from_utf8_lossy(args.get(2)).into_owned();

    // One retry on a fresh connection, unless the first attempt timed out or the target
    // answered something (`may_retry`).
    let mut may_retry = true;
    loop {
        let server = &mut *ctx.server;
        let socket =
            match server
                .migrate_sockets
                .get(&host, &port, timeout, &mut server.keyspace.rng)
            {
                Ok(socket) => socket,
                // Redis connects without blocking and waits for the socket to be writable: only a
                // timeout (or an address it cannot use) fails the connection; a refused one fails
                // at the first write.
                Err(e) if is_timeout(&e) || e.kind() == std::io::ErrorKind::Other => {
                    return Err(CmdError::new(
                        "IOERR error or timeout connecting to the client",
                    ));
                }
                Err(_) => {
                    if may_retry {
                        may_retry = false;
                        continue;
                    }
                    return Err(CmdError::new(
                        "IOERR error or timeout writing to target instance",
                    ));
                }
            };
        let select = socket.last_db != target_db;
        let mut request = Vec::new();
        if let Some((user, password)) = &auth {
            match user {
                Some(user) => push_command(&mut request, &[b"AUTH", user, password]),
                None => push_command(&mut request, &[b"AUTH", password]),
            }
        }
        if select {
            push_command(&mut request, &[b"SELECT", target_db.to_string().as_bytes()]);
        }
        for item in &outgoing {
            let ttl = item.ttl.to_string();
            let mut command: Vec<&[u8]> =
                vec![b"RESTORE", &item.key, ttl.as_bytes(), &item.payload];
            if replace {
                command.push(b"REPLACE");
            }
            push_command(&mut request, &command);
        }
        if let Err(e) = socket.write_all(&request, timeout) {
            server.migrate_sockets.close(&host, &port);
            if may_retry && !is_timeout(&e) {
                may_retry = false;
                continue;
            }
            return Err(CmdError::new(
                "IOERR error or timeout writing to target instance",
            ));
        }
        // The AUTH and SELECT replies, then one per key. A key is deleted when its own
        // RESTORE succeeded and AUTH and SELECT did.
        let mut setup_error: Option<Vec<u8>> = None;
        let mut key_error: Option<Vec<u8>> = None;
        let mut read_error: Option<std::io::Error> = None;
        for _ in 0..auth.is_some() as usize + select as usize {
            match socket.read_line(timeout) {
                Ok(line) if line.first() == Some(&b'-') => {
                    setup_error.get_or_insert(line);
                }
                Ok(_) => {}
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
        }
        let mut acknowledged = Vec::new();
        let mut replies = 0;
        if read_error.is_none() {
            for item in &outgoing {
                match socket.read_line(timeout) {
                    Ok(line) => {
                        replies += 1;
                        if line.first() == Some(&b'-') {
                            key_error.get_or_insert(line);
                        } else if setup_error.is_none() {
                            acknowledged.push(item.key.clone());
                        }
                    }
                    Err(e) => {
                        read_error = Some(e);
                        break;
                    }
                }
            }
        }
        let target_error = setup_error.or(key_error);
        if target_error.is_some() {
            socket.last_db = -1;
        } else if read_error.is_none() {
            socket.last_db = target_db;
        }
        if let Some(e) = &read_error {
            server.migrate_sockets.close(&host, &port);
            if target_error.is_none() && replies == 0 && may_retry && !is_timeout(e) {
                may_retry = false;
                continue;
            }
        }
        if !copy {
            let lazy = server.config.lazyfree_lazy_server_del;
            let propagating = server.keyspace.propagation.enabled();
            let mut deleted: Vec<&[u8]> = Vec::new();
            for key in &acknowledged {
                if server.keyspace.delete_key(db, key, lazy) {
                    server.keyspace.modified(db, key);
                    server
                        .keyspace
                        .notify(crate::config::notify::GENERIC, "del", db, key);
                    if propagating {
                        deleted.push(key);
                    }
                }
            }
            // Propagated as the `DEL` of the keys it moved (nothing if none was).
            let propagation = &mut server.keyspace.propagation;
            if !deleted.is_empty() {
                let argv = std::iter::once(&b"DEL"[..]).chain(deleted);
                propagation.rewrite_command(argv.collect::<Vec<_>>().into_iter());
            }
        }
        if let Some(line) = target_error {
            let text = String::from_utf8_lossy(&line[1..]).into_owned();
            return Err(CmdError::owned(format!(
                "ERR Target instance replied with error: {text}"
            )));
        }
        if read_error.is_some() {
            return Err(CmdError::new(
                "IOERR error or timeout reading to target instance",
            ));
        }
        ctx.reply.ok();
        return Ok(());
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

#[cfg(test)]
mod propagation {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use crate::cmd::keys::propagation_tests::{propagated, propagating, resp};

    /// A target that answers `replies` to its first connection at once, then reads what it is
    /// sent until the connection closes. Returns its port.
    fn target(replies: &'static str) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            stream.write_all(replies.as_bytes()).expect("write");
            let mut sink = [0u8; 4096];
            while stream.read(&mut sink).is_ok_and(|n| n > 0) {}
        });
        port
    }

    #[test]
    fn migrate_propagates_as_the_deletion_of_the_keys_moved() {
        let mut h = propagating();
        h.run("MSET a 1 b 2 c 3");
        propagated(&mut h);
        // SELECT, then one reply per existing key.
        let port = target("+OK\r\n+OK\r\n+OK\r\n");
        assert_eq!(
            h.run(&format!(
                "MIGRATE 127.0.0.1 {port} \"\" 0 5000 KEYS a missing b"
            )),
            "+OK\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["DEL", "a", "b"]));
        // Only the keys the target took are deleted.
        h.run("MSET a 1 b 2");
        propagated(&mut h);
        let port = target("+OK\r\n+OK\r\n-ERR no\r\n+OK\r\n");
        assert_eq!(
            h.run(&format!("MIGRATE 127.0.0.1 {port} \"\" 0 5000 KEYS a b c")),
            "-ERR Target instance replied with error: ERR no\r\n"
        );
        assert_eq!(propagated(&mut h), resp(&["DEL", "a", "c"]));
        // COPY deletes nothing: nothing.
        let port = target("+OK\r\n+OK\r\n");
        assert_eq!(
            h.run(&format!("MIGRATE 127.0.0.1 {port} b 0 5000 COPY")),
            "+OK\r\n"
        );
        assert_eq!(propagated(&mut h), "");
    }
}
