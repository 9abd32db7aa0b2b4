//! One client connection: read, run every complete request in the buffer, write all replies
//! at once.
//!
//! The loop waits for readability, and for writability only while replies are pending, so a
//! client that does not read keeps being served until its output buffer limit closes it, as
//! with Redis. Reads go straight into the query buffer; requests are parsed in place and their
//! arguments are slices of it; replies of a whole batch are encoded into one buffer and
//! written with one `write` when the socket takes it.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Instant;

use tokio::io::Interest;
use tokio::net::TcpStream;

use super::request::{Limits, Parsed, RequestParser};
use crate::client::Client;
use crate::cmd::{Ctx, dispatch};
use crate::memory::client_eviction;
use crate::protocol::client_io::ClientIo;
use crate::server::Server;

/// Bytes read per `read` in the common case (Redis's `PROTO_IOBUF_LEN`).
const READ_CHUNK: usize = 16 * 1024;

/// Why a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Close {
    /// The peer closed, or the socket failed.
    Peer,
    /// `QUIT`, a protocol error, `CLIENT KILL` of oneself: pending replies were written.
    AfterReply,
    /// Killed, over a buffer limit, or idle too long: pending output dropped.
    Now,
}

pub(super) struct Connection {
    pub(super) server: Rc<RefCell<Server>>,
    pub(super) client: Rc<RefCell<Client>>,
    pub(super) stream: Rc<TcpStream>,
    /// The client's query and reply buffers (shared with the cron, which resizes them).
    pub(super) io: Rc<RefCell<ClientIo>>,
    parser: RequestParser,
}

/// Serves a registered client until it disconnects, then unregisters it.
pub async fn serve(
    server: Rc<RefCell<Server>>,
    client: Rc<RefCell<Client>>,
    stream: Rc<TcpStream>,
) {
    let io = Rc::clone(&client.borrow().io);
    let mut connection = Connection {
        server,
        client,
        stream,
        io,
        parser: RequestParser::new(),
    };
    let why = connection.run().await;
    let id = connection.client.borrow().id;
    tracing::debug!(client = id, ?why, "connection closed");
    let mut server = connection.server.borrow_mut();
    let mut client = connection.client.borrow_mut();
    server.detach_replica(&client);
    if client.wait_acks.is_some() {
        server.replication.waiting.retain(|&w| w != id);
    }
    if client.master {
        server.master_link_lost(id);
    }
    crate::cmd::tx::unwatch_all(&mut server, &mut client);
    crate::cmd::monitor::stop(&mut server, &mut client);
    crate::cmd::pubsub::leave_all(&mut server, &mut client);
    server.disable_tracking(&mut client);
    crate::cmd::blocking::unblock(&mut server.keyspace, &mut client);
    if client.postponed {
        server.postponed.retain(|&p| p != id);
    }
    client_eviction::forget(&mut server.clients_memory, &mut client);
    drop(client);
    server.clients.remove(&id);
}

/// A command's full name by table index (client eviction's log line).
fn command_name(index: usize) -> &'static str {
    crate::cmd::table().entry(index).full_name.as_str()
}

impl Connection {
    async fn run(&mut self) -> Close {
        // A master's link starts with the stream bytes that came with the snapshot.
        if !self.io.borrow().input.is_empty()
            && let Some(close) = self.process()
        {
            return close;
        }
        loop {
            if self.client.borrow().postponed {
                if let Some(close) = self.wait_while_postponed().await {
                    return close;
                }
                if let Some(close) = self.resume().await {
                    return close;
                }
                continue;
            }
            if self.client.borrow().wait_acks.is_some() {
                if let Some(close) = self.wait_for_acks().await {
                    return close;
                }
                if let Some(close) = self.resume().await {
                    return close;
                }
                continue;
            }
            if self.client.borrow().blocked.is_some() {
                if let Some(close) = self.wait_while_blocked().await {
                    return close;
                }
                // Requests pipelined after the blocking one run now.
                if let Some(close) = self.process() {
                    return close;
                }
                self.wait_for_aof().await;
                self.flush_and_check();
                continue;
            }
            let interest = if self.io.borrow().reply.is_empty() {
                Interest::READABLE
            } else {
                Interest::READABLE | Interest::WRITABLE
            };
            // A client others write to (a monitor, a subscriber) also wakes when output is
            // handed to it.
            let pushed_to = self.client.borrow().receives_pushes();
            let ready = if pushed_to {
                let wake = Rc::clone(&self.client.borrow().wake);
                tokio::select! {
                    ready = self.stream.ready(interest) => ready,
                    _ = wake.notified() => {
                        self.take_pending_output();
                        self.wait_for_aof().await;
                        if let Some(close) = self.flush_and_check() {
                            return close;
                        }
                        continue;
                    }
                }
            } else {
                self.stream.ready(interest).await
            };
            let ready = match ready {
                Ok(ready) => ready,
                Err(_) => return Close::Peer,
            };
            if ready.is_readable() {
                match self.read() {
                    Ok(0) => return self.on_eof(),
                    Ok(_) => {
                        if let Some(close) = self.process() {
                            return close;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return Close::Peer,
                }
            }
            self.wait_for_aof().await;
            if let Some(close) = self.flush_and_check() {
                return close;
            }
            if self.client.borrow().is_replica() {
                // `SYNC`/`PSYNC` made it a replica: it receives the snapshot and the stream.
                return self.serve_replica().await;
            }
        }
    }

    /// After a wait ends: runs the requests pipelined behind it and sends the replies once
    /// the AOF has what they acknowledge.
    async fn resume(&mut self) -> Option<Close> {
        if let Some(close) = self.process() {
            return Some(close);
        }
        self.wait_for_aof().await;
        self.flush_and_check()
    }

    /// Waits until what the commands run so far appended to the AOF is written (synced under
    /// `appendfsync always`), so no reply acknowledges a write the file does not have yet.
    async fn wait_for_aof(&mut self) {
        let (needed, wake) = {
            let server = self.server.borrow();
            let aof = &server.aof;
            let needed = aof.appended;
            if aof.durable.reached(needed) {
                return;
            }
            // The flusher task rather than a write here: one write per round for every
            // connection (an A/B under everysec, 50 clients: 8.5 against 9.6 µs of server CPU
            // per request, the same rate within this machine's noise).
            (needed, Rc::clone(&aof.wake_flusher))
        };
        wake.notify_one();
        let server = Rc::clone(&self.server);
        std::future::poll_fn(|cx| server.borrow_mut().aof.durable.poll_reached(needed, cx)).await;
    }

    /// Writes pending replies and applies what the batch decided about closing; gives idle
    /// buffers back.
    pub(super) fn flush_and_check(&mut self) -> Option<Close> {
        if !self.io.borrow().reply.is_empty() {
            if self.write().is_err() {
                return Some(Close::Peer);
            }
            self.client.borrow_mut().buffers.output_len = self.io.borrow().reply.len();
        }
        let client = self.client.borrow();
        if client.close_asap {
            return Some(Close::Now);
        }
        let mut io = self.io.borrow_mut();
        if client.close_after_reply && io.reply.is_empty() {
            return Some(Close::AfterReply);
        }
        io.reply.shrink_if_idle();
        None
    }

    /// Waits while the client's next command is held back by `CLIENT PAUSE`: until the pause
    /// is lifted or ends, or the connection ends. Input that arrives meanwhile is buffered.
    async fn wait_while_postponed(&mut self) -> Option<Close> {
        let wake = Rc::clone(&self.client.borrow().wake);
        loop {
            let deadline = self.server.borrow().pause.map(|p| {
                let now = crate::db::access::unix_ms();
                Instant::now()
                    + std::time::Duration::from_millis(p.until_ms.saturating_sub(now) + 1)
            });
            tokio::select! {
                _ = wake.notified() => {}
                _ = sleep_until_deadline(deadline) => {
                    self.server.borrow_mut().check_pause_end();
                }
                ready = self.stream.ready(Interest::READABLE) => {
                    if let Some(close) = self.buffer_input(ready) {
                        return Some(close);
                    }
                }
            }
            let client = self.client.borrow();
            if client.close_asap {
                return Some(Close::Now);
            }
            if !client.postponed {
                return None;
            }
        }
    }

    /// Waits while the client is blocked on keys: until another command serves it, its
    /// timeout passes, `CLIENT UNBLOCK`, or the connection ends. Input that arrives meanwhile is
    /// buffered, not run. Returns `Some` when the connection must close.
    async fn wait_while_blocked(&mut self) -> Option<Close> {
        let (wake, deadline) = {
            let client = self.client.borrow();
            let blocked = client.blocked.as_ref()?;
            (Rc::clone(&client.wake), blocked.deadline)
        };
        loop {
            let timed_out = tokio::select! {
                _ = wake.notified() => false,
                _ = sleep_until_deadline(deadline) => true,
                ready = self.stream.ready(Interest::READABLE) => {
                    if let Some(close) = self.buffer_input(ready) {
                        return Some(close);
                    }
                    false
                }
            };
            let mut client = self.client.borrow_mut();
            if client.close_asap {
                return Some(Close::Now);
            }
            let mut io = self.io.borrow_mut();
            if !client.pending_reply.is_empty() {
                io.reply.raw(&client.pending_reply);
                client.pending_reply = Vec::new();
            }
            let still_blocked = client.blocked.is_some();
            if still_blocked && timed_out {
                let mut server = self.server.borrow_mut();
                if crate::cmd::blocking::unblock(&mut server.keyspace, &mut client).is_some() {
                    // Redis 7.0 times every blocking command out with a null array.
                    io.reply.null_array();
                }
            }
            if !still_blocked || timed_out {
                return None;
            }
        }
    }

    /// Waits while the client is in `WAIT`: until enough replicas acknowledged its offset or
    /// the timeout passes, then replies with the count. Input that arrives meanwhile is
    /// buffered, not run. Returns `Some` when the connection must close.
    async fn wait_for_acks(&mut self) -> Option<Close> {
        let wake = Rc::clone(&self.client.borrow().wake);
        let mut timed_out = false;
        loop {
            let deadline = {
                let server = self.server.borrow();
                let mut client = self.client.borrow_mut();
                if client.close_asap {
                    return Some(Close::Now);
                }
                let wait = client.wait_acks?;
                let acked = server.count_acks(wait.offset);
                if acked >= wait.replicas || timed_out {
                    client.wait_acks = None;
                    drop(server);
                    let id = client.id;
                    self.server
                        .borrow_mut()
                        .replication
                        .waiting
                        .retain(|&w| w != id);
                    self.io.borrow_mut().reply.int(acked as i64);
                    return None;
                }
                wait.deadline
            };
            tokio::select! {
                _ = wake.notified() => {}
                _ = sleep_until_deadline(deadline) => timed_out = true,
                ready = self.stream.ready(Interest::READABLE) => {
                    if let Some(close) = self.buffer_input(ready) {
                        return Some(close);
                    }
                }
            }
        }
    }

    /// While the client waits (paused, blocked, in `WAIT`): input that arrived is buffered,
    /// not run. Returns `Some` when the connection must close (peer gone, query buffer over
    /// its limit).
    fn buffer_input(&mut self, ready: io::Result<tokio::io::Ready>) -> Option<Close> {
        if ready.is_err() {
            return Some(Close::Peer);
        }
        match self.read() {
            Ok(0) => return Some(Close::Peer),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return Some(Close::Peer),
        }
        let limit = self.server.borrow().config.client_query_buffer_limit as usize;
        (self.io.borrow().input.len() > limit).then_some(Close::Now)
    }

    /// Moves output other clients' commands produced for this client into its reply buffer.
    pub(super) fn take_pending_output(&mut self) {
        let mut client = self.client.borrow_mut();
        if !client.pending_reply.is_empty() {
            let mut io = self.io.borrow_mut();
            io.reply.raw(&client.pending_reply);
            client.pending_reply.clear();
            let class = client.output_class();
            let limit = self.server.borrow().config.client_output_buffer_limit[class];
            if limit.hard > 0 && io.reply.len() as u64 >= limit.hard {
                client.log_over_output_limit(io.reply.len());
                client.close_asap = true;
            }
        }
    }

    /// The peer closed its side. During a server shutdown (which stops our reading) pending
    /// replies are still delivered.
    fn on_eof(&mut self) -> Close {
        if self.server.borrow().shutdown.is_some() || self.client.borrow().close_asap {
            let _ = self.write();
        }
        Close::Peer
    }

    /// One read into the query buffer, sized for a large argument in progress.
    pub(super) fn read(&mut self) -> io::Result<usize> {
        let mut client_io = self.io.borrow_mut();
        let input = &mut client_io.input;
        let needed = self.parser.bytes_needed(input.len());
        if input.try_reserve(READ_CHUNK, needed).is_err() {
            // Redis would abort here; only this client goes.
            tracing::warn!(
                client = self.client.borrow().id,
                buffered = input.len(),
                "closing client whose query buffer cannot grow: out of memory"
            );
            self.client.borrow_mut().close_asap = true;
            return Err(io::Error::from(io::ErrorKind::OutOfMemory));
        }
        let spare = input.spare();
        let asked = spare.capacity() - spare.len();
        let n = self.stream.try_read_buf(spare)?;
        input.note_peak();
        if 0 < n && n < asked {
            // A short read drained the socket (epoll is edge-triggered): forget the readiness
            // now rather than learn it from one more `read` failing with EAGAIN per batch. The
            // current-thread runtime cannot take a new event between the read and this, so
            // nothing that arrives later is missed. Tokio's own `poll_read` does the same.
            let _ = self.stream.try_io(Interest::READABLE, || {
                Err::<(), _>(io::ErrorKind::WouldBlock.into())
            });
        }
        if n > 0 {
            let mut server = self.server.borrow_mut();
            server.stats.total_net_input_bytes += n as u64;
            server.stats.total_reads_processed += 1;
            self.client.borrow_mut().last_interaction = server.cron_instant;
        }
        Ok(n)
    }

    /// Writes as much pending output as the socket takes.
    pub(super) fn write(&mut self) -> io::Result<()> {
        let mut written = 0;
        let reply = &mut self.io.borrow_mut().reply;
        while !reply.is_empty() {
            match self.stream.try_write(reply.bytes()) {
                Ok(n) => {
                    written += n;
                    reply.consume(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        if written > 0 {
            let mut server = self.server.borrow_mut();
            server.stats.total_net_output_bytes += written as u64;
            server.stats.total_writes_processed += 1;
        }
        Ok(())
    }

    /// Runs every complete request in the query buffer. Returns `Some` when the connection must
    /// close at once.
    pub(super) fn process(&mut self) -> Option<Close> {
        let mut server = self.server.borrow_mut();
        let mut client = self.client.borrow_mut();
        let mut io = self.io.borrow_mut();
        if io.rewound {
            io.rewound = false;
            self.parser = RequestParser::new();
        }
        let ClientIo { input, reply, .. } = &mut *io;
        if client.close_asap {
            return Some(Close::Now);
        }
        let query_limit = server.config.client_query_buffer_limit as usize;
        if input.len() > query_limit {
            tracing::warn!(
                client = client.id,
                bytes = input.len(),
                "closing client that reached max query buffer length"
            );
            return Some(Close::Now);
        }
        while !client.close_after_reply
            && !client.close_asap
            && client.blocked.is_none()
            && client.wait_acks.is_none()
            && !client.postponed
        {
            let limits = Limits {
                proto_max_bulk_len: server.config.proto_max_bulk_len,
                unauthenticated: server.auth_required() && !client.authenticated,
            };
            match self.parser.parse(input.data(), limits) {
                Parsed::Request => {
                    let consumed = self.parser.request_len();
                    let args = self.parser.args(input.data());
                    if !args.is_empty() {
                        // What CLIENT LIST shows of the running client's query buffer: the
                        // request being run is still in it, as in Redis.
                        client.buffers.query_len = input.len();
                        client.buffers.query_capacity = input.capacity();
                        // Client eviction runs before each command, as in Redis.
                        if server.config.maxmemory_clients != 0 {
                            client.buffers.update(input, reply);
                            client_eviction::track(&mut server.clients_memory, &mut client);
                            if server.evict_clients(&mut client, &command_name) {
                                reply.clear();
                                return Some(Close::Now);
                            }
                        }
                        let from_master = client.master;
                        let mut ctx = Ctx {
                            server: &mut server,
                            client: &mut client,
                            reply,
                        };
                        let done = if from_master {
                            dispatch_from_master(&mut ctx, &args)
                        } else {
                            dispatch(&mut ctx, &args)
                        };
                        if !done {
                            // Held back by CLIENT PAUSE: it runs from the buffer later.
                            break;
                        }
                        if from_master {
                            server.proxy_master_stream(&input.data()[..consumed]);
                        }
                    } else if client.master {
                        server.proxy_master_stream(&input.data()[..consumed]);
                    }
                    input.consume(consumed);
                    let output_limit =
                        server.config.client_output_buffer_limit[client.output_class()];
                    if output_limit.hard > 0 && reply.len() as u64 >= output_limit.hard {
                        client.log_over_output_limit(reply.len());
                        client.close_asap = true;
                    }
                }
                Parsed::Incomplete => break,
                Parsed::Error(error) => {
                    let text = error.reply();
                    tracing::debug!(client = client.id, "protocol error: {text}");
                    server.record_error(&text);
                    reply.error(&text);
                    client.close_after_reply = true;
                }
            }
        }
        if client.close_asap {
            reply.clear();
            return Some(Close::Now);
        }
        crate::cmd::tracking::after_batch(&mut server, &client, reply);
        let output_limit = server.config.client_output_buffer_limit[client.output_class()];
        client.check_soft_output_limit(output_limit, reply.len());
        reply.note_peak();
        client.buffers.update(input, reply);
        client_eviction::track(&mut server.clients_memory, &mut client);
        // And after the replies of this round are produced (Redis's `beforeSleep`).
        if server.config.maxmemory_clients != 0 && server.evict_clients(&mut client, &command_name)
        {
            reply.clear();
            return Some(Close::Now);
        }
        server.memory.update_peak(zmalloc::used_memory());
        if client.close_asap {
            reply.clear();
            return Some(Close::Now);
        }
        None
    }
}

/// Runs a command of our master's stream: no reply goes back, and no key reads as expired
/// (the master decides what expires and sends the deletions).
fn dispatch_from_master(ctx: &mut Ctx, args: &crate::cmd::Args) -> bool {
    let reply_start = ctx.reply.len();
    let replaying = std::mem::replace(&mut ctx.server.keyspace.replaying, true);
    let done = dispatch(ctx, args);
    ctx.server.keyspace.replaying = replaying;
    ctx.reply.truncate(reply_start);
    done
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until_deadline(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}
