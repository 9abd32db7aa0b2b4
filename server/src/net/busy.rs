//! Serving clients while a script runs past `busy-reply-threshold` (Redis's
//! `processEventsWhileBlocked`): the script holds the command thread, so no connection task
//! runs; the script's hook calls [`serve`] instead, which reads what each client sent straight
//! from its socket, dispatches its complete requests (every command but those allowed while
//! busy, such as `SCRIPT KILL` and `SHUTDOWN NOSAVE`, is answered `BUSY`) and writes the replies
//! at once. What stays buffered (a partial request, a reply the socket would not take) is the
//! connection task's again once the script ends.

use std::io;
use std::rc::Rc;

use rustix::net::{RecvFlags, SendFlags};

use super::request::{Limits, Parsed, RequestParser};
use crate::cmd::{Ctx, dispatch};
use crate::protocol::client_io::ClientIo;
use crate::server::Server;

/// Bytes read from one client per round.
const READ_CHUNK: usize = 16 * 1024;

/// One round over every client but the script's caller.
pub fn serve(server: &mut Server) {
    let caller = server.busy_script.as_ref().map(|busy| busy.caller);
    let ids: Vec<u64> = server.clients.keys().copied().collect();
    for id in ids {
        if Some(id) == caller {
            continue;
        }
        let Some(client) = server.clients.get(&id).cloned() else {
            continue;
        };
        // A client in use (none should be while the script runs) is left alone.
        let Ok(mut client) = client.try_borrow_mut() else {
            continue;
        };
        // A blocked or paused client's next reply is owed to the command it waits in: what it
        // sent after waits too.
        if client.blocked.is_some() || client.postponed {
            continue;
        }
        let Some(socket) = client.socket.clone() else {
            continue;
        };
        let io_cell = Rc::clone(&client.io);
        let Ok(mut io) = io_cell.try_borrow_mut() else {
            continue;
        };
        let query_limit = server.config.client_query_buffer_limit as usize;
        let read = read_available(&socket, &mut io, query_limit);
        if read > 0 {
            server.stats.total_net_input_bytes += read as u64;
            server.stats.total_reads_processed += 1;
        }
        let ClientIo {
            input,
            reply,
            rewound,
        } = &mut *io;
        let mut parser = RequestParser::new();
        while !client.close_after_reply && !client.close_asap {
            let limits = Limits {
                proto_max_bulk_len: server.config.proto_max_bulk_len,
                unauthenticated: server.auth_required() && !client.authenticated,
            };
            match parser.parse(input.data(), limits) {
                Parsed::Request => {
                    let consumed = parser.request_len();
                    let args = parser.args(input.data());
                    let mut ran = true;
                    if !args.is_empty() {
                        let mut ctx = Ctx {
                            server,
                            client: &mut client,
                            reply,
                        };
                        ran = dispatch(&mut ctx, &args);
                    }
                    if !ran {
                        break;
                    }
                    input.consume(consumed);
                    *rewound = true;
                    parser = RequestParser::new();
                }
                // A partial or malformed request is left to the connection task.
                Parsed::Incomplete | Parsed::Error(_) => break,
            }
        }
        let written = write_available(&socket, reply.bytes());
        if written > 0 {
            reply.consume(written);
            server.stats.total_net_output_bytes += written as u64;
            server.stats.total_writes_processed += 1;
        }
    }
}

/// Reads what the socket holds now, without waiting and without growing the query buffer past
/// `limit`; returns the bytes read.
fn read_available(socket: &tokio::net::TcpStream, io: &mut ClientIo, limit: usize) -> usize {
    let mut total = 0;
    let mut chunk = [0u8; READ_CHUNK];
    while io.input.len() < limit {
        match rustix::net::recv(socket, &mut chunk[..], RecvFlags::DONTWAIT) {
            Ok((0, _)) => break,
            Ok((n, _)) => {
                if io.input.try_reserve(n, None).is_err() {
                    break;
                }
                io.input.spare().extend_from_slice(&chunk[..n]);
                total += n;
                if n < READ_CHUNK {
                    break;
                }
            }
            Err(e) if io::Error::from(e).kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    total
}

/// Writes as much of `bytes` as the socket takes now; returns the bytes written.
fn write_available(socket: &tokio::net::TcpStream, bytes: &[u8]) -> usize {
    let mut written = 0;
    while written < bytes.len() {
        match rustix::net::send(
            socket,
            &bytes[written..],
            SendFlags::DONTWAIT | SendFlags::NOSIGNAL,
        ) {
            Ok(n) if n > 0 => written += n,
            Ok(_) => break,
            Err(e) if io::Error::from(e).kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    written
}
