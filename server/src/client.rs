//! A connected client's state: identity, selected database, protocol, authentication,
//! transaction queue, reply mode, and the buffer sizes `CLIENT LIST` and `INFO` report.
//!
//! The connection task owns the socket and buffers; the `Client` lives in the server's registry
//! (`Rc<RefCell<Client>>`) so that other clients can list and kill it.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant;

use std::cell::RefCell;

use crate::protocol::OwnedArgs;
use crate::protocol::client_io::ClientIo;
use crate::protocol::reply::Protocol;

/// `CLIENT REPLY`: whether replies are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
    /// Set by `Skip` for the command after it.
    SkipThis,
}

/// A transaction being queued between `MULTI` and `EXEC`.
#[derive(Debug, Default)]
pub struct Multi {
    /// Queued commands: their table entry and arguments.
    pub commands: Vec<(usize, OwnedArgs)>,
    /// A command was rejected while queueing: `EXEC` must abort.
    pub failed: bool,
    /// A queued command may grow memory (`denyoom`): `EXEC` is refused when out of memory.
    pub denyoom: bool,
    /// A queued command writes or may replicate: `CLIENT PAUSE WRITE` holds `EXEC` back.
    pub may_replicate: bool,
    /// A queued command lacks the `loading` flag: `EXEC` is refused while loading.
    pub denied_while_loading: bool,
    /// A queued command writes: a read-only replica refuses `EXEC`.
    pub writes: bool,
    /// A queued command lacks the `stale` flag: a replica whose link is down refuses `EXEC`
    /// with `replica-serve-stale-data no`.
    pub denied_when_stale: bool,
}

impl Multi {
    pub fn memory(&self) -> usize {
        self.commands.iter().map(|(_, a)| a.memory()).sum::<usize>()
            + self.commands.capacity() * size_of::<(usize, OwnedArgs)>()
    }
}

/// A key watched by `WATCH`.
#[derive(Debug, Clone)]
pub struct WatchedKey {
    pub db: usize,
    pub key: Box<[u8]>,
    /// The key was already logically expired when watched (its later expiry does not abort).
    pub expired: bool,
}

/// What a blocking command replies inside `EXEC`, where it cannot block: `*-1` (`_` in RESP3)
/// for the pops, `$-1` for BLMOVE and BRPOPLPUSH. A timeout is `*-1` for all of them, as in
/// Redis 7.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    NullArray,
    Null,
}

/// A client waiting on keys: the command to run again when one of them changes.
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Box<[u8]>>,
    /// When to give up; `None` waits forever.
    pub deadline: Option<Instant>,
    /// The command to run again (its command-table index).
    pub command: usize,
    pub args: OwnedArgs,
    /// The type of value it waits for (`list`, `zset`): a key that changes into another type
    /// does not wake it.
    pub waits_for: &'static str,
}

/// A client waiting in `WAIT` for replicas to acknowledge its writes.
#[derive(Debug, Clone, Copy)]
pub struct WaitAcks {
    /// The stream offset its last command reached (its `woff`).
    pub offset: u64,
    pub replicas: u64,
    /// When to reply with the count reached; `None` waits as long as it takes.
    pub deadline: Option<Instant>,
}

/// Where a replica of this server stands (Redis's `replstate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Waiting for a background save to start.
    WaitBgsaveStart,
    /// Collecting the stream while the save it will receive is written.
    WaitBgsaveEnd,
    /// Receiving the save's file.
    SendRdb,
    /// Receiving the stream.
    Online,
}

/// What a replica told this server (`REPLCONF`) and where its synchronisation stands.
#[derive(Debug, Default)]
pub struct ReplicaInfo {
    /// `REPLCONF listening-port`.
    pub listening_port: u16,
    /// `REPLCONF ip-address`.
    pub ip_address: Option<String>,
    /// `REPLCONF capa psync2`: `+CONTINUE` carries the replication ID.
    pub capa_psync2: bool,
    /// Set by `SYNC`/`PSYNC`: the client is a replica from then on.
    pub state: Option<ReplicaState>,
    /// The offset the replica last acknowledged, and when (Unix seconds).
    pub ack_offset: u64,
    pub ack_time: u64,
    /// The stream offset its snapshot was taken at.
    pub initial_offset: u64,
    /// It asked with the old `SYNC`: no `+FULLRESYNC` line, no acknowledgements expected.
    pub pre_psync: bool,
    /// `+FULLRESYNC <id> <offset>`, sent before the snapshot.
    pub preamble: Vec<u8>,
    /// The saved snapshot to send.
    pub rdb: Option<std::fs::File>,
    /// `REPLCONF rdb-only 1`: it wants the snapshot and no stream after it (`redis-cli --rdb`).
    pub rdb_only: bool,
}

/// Buffer sizes the connection reports after each batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct BufferSizes {
    /// Bytes of unprocessed input.
    pub query_len: usize,
    /// Capacity of the input buffer.
    pub query_capacity: usize,
    /// Bytes of output not yet written.
    pub output_len: usize,
    /// Capacity of the output buffer.
    pub output_capacity: usize,
    /// The reply buffer's kept size and recent peak (`rbs`, `rbp`).
    pub reply_size: usize,
    pub reply_peak: usize,
}

impl BufferSizes {
    /// Takes the sizes of the client's buffers.
    pub fn update(
        &mut self,
        input: &crate::protocol::buffer::QueryBuffer,
        reply: &crate::protocol::reply::Reply,
    ) {
        self.query_len = input.len();
        self.query_capacity = input.capacity();
        self.output_len = reply.len();
        self.output_capacity = reply.capacity();
        self.reply_size = reply.size();
        self.reply_peak = reply.peak();
    }
}

/// A peer address as Redis prints it (`getClientPeerId`): `ip:port`, IPv6 in brackets.
pub fn peer_id(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// Longest command or subcommand name, for case folding on the stack.
pub const NAME_MAX: usize = 32;

/// The command name a client last sent, exactly as sent, and the command-table entry it
/// resolved to: a pipeline of one command then resolves each request with one comparison
/// instead of a case fold and a hash lookup (together 5 % of a pipelined GET's server CPU).
/// Kept per client here; filled and read by the command table.
#[derive(Debug, Default, Clone)]
pub struct LookupCache {
    pub name: [u8; NAME_MAX],
    /// Length of `name`; zero while nothing is cached.
    pub len: u8,
    pub entry: usize,
}

/// One client connection.
pub struct Client {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub fd: i32,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub db: usize,
    pub protocol: Protocol,
    pub authenticated: bool,
    pub created: Instant,
    pub last_interaction: Instant,
    /// Table index of the last command run, for `CLIENT LIST cmd=`.
    pub last_command: Option<usize>,
    /// The last command name this client sent and what it resolved to.
    pub command_cache: LookupCache,
    pub reply_mode: ReplyMode,
    /// Close once the pending replies are written (`QUIT`, protocol errors, `CLIENT KILL` of
    /// oneself).
    pub close_after_reply: bool,
    /// Close now, without writing pending replies (killed, output limits).
    pub close_asap: bool,
    pub no_evict: bool,
    /// Its memory when last measured, as counted in the server's total for client eviction.
    pub tracked_memory: usize,
    /// `MONITOR`: receives every command the server runs.
    pub monitor: bool,
    /// Its Pub/Sub channels and patterns.
    pub subscriptions: crate::pubsub::Subscriptions,
    /// Its client-side caching mode, while `CLIENT TRACKING` is on.
    pub tracking: Option<Box<crate::tracking::ClientTracking>>,
    /// Some client redirected its invalidations here: its connection must wait for them.
    pub push_target: bool,
    /// Arguments of the command being run that must not be shown (slow log, `MONITOR`), by
    /// position: passwords given to `AUTH`, `HELLO`, `CONFIG SET requirepass`.
    pub redacted: Vec<usize>,
    pub multi: Option<Multi>,
    /// Keys this client watches (`WATCH`).
    pub watched: Vec<WatchedKey>,
    /// A watched key changed: the next `EXEC` aborts.
    pub watch_dirty: bool,
    pub buffers: BufferSizes,
    /// Since when the output has been above the soft output-buffer limit.
    pub soft_limit_since: Option<Instant>,
    /// The socket, to shut it down when the client is killed from elsewhere.
    pub socket: Option<Rc<tokio::net::TcpStream>>,
    /// Set while blocked on keys.
    pub blocked: Option<Blocked>,
    /// Its next command waits for `CLIENT PAUSE` to end (Redis's `BLOCKED_POSTPONE`).
    pub postponed: bool,
    /// Running `EXEC`'s queue, where blocking commands must not block.
    pub in_exec: bool,
    /// The client scripts run their commands as (Redis's `CLIENT_SCRIPT`).
    pub script: bool,
    /// Replies produced for this client by other clients' commands (a blocked command served
    /// when a key it waits on changed), for its connection to send.
    pub pending_reply: Vec<u8>,
    /// Wakes the connection task of a blocked client when it is served or unblocked.
    pub wake: Rc<tokio::sync::Notify>,
    /// Its query and reply buffers, shared with the connection task for the cron to resize.
    pub io: Rc<RefCell<ClientIo>>,
    /// This client is a replica of ours (once `REPLCONF` or `SYNC` said so).
    pub replica: Option<Box<ReplicaInfo>>,
    /// The replication offset after its last command (Redis's `woff`), what `WAIT` waits for.
    pub woff: u64,
    /// Set while it waits in `WAIT`.
    pub wait_acks: Option<WaitAcks>,
    /// This client is our master's link (Redis's `CLIENT_MASTER`): its commands are applied
    /// without replies.
    pub master: bool,
}

impl Client {
    pub fn new(
        id: u64,
        addr: SocketAddr,
        laddr: SocketAddr,
        fd: i32,
        authenticated: bool,
    ) -> Client {
        let now = Instant::now();
        Client {
            id,
            addr,
            laddr,
            fd,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            protocol: Protocol::Resp2,
            authenticated,
            created: now,
            last_interaction: now,
            last_command: None,
            command_cache: LookupCache::default(),
            reply_mode: ReplyMode::On,
            close_after_reply: false,
            close_asap: false,
            no_evict: false,
            tracked_memory: 0,
            monitor: false,
            subscriptions: crate::pubsub::Subscriptions::default(),
            tracking: None,
            push_target: false,
            redacted: Vec::new(),
            multi: None,
            watched: Vec::new(),
            watch_dirty: false,
            buffers: BufferSizes::default(),
            soft_limit_since: None,
            socket: None,
            blocked: None,
            postponed: false,
            in_exec: false,
            script: false,
            pending_reply: Vec::new(),
            wake: Rc::new(tokio::sync::Notify::new()),
            io: Rc::new(RefCell::new(ClientIo::new(Protocol::Resp2))),
            replica: None,
            woff: 0,
            wait_acks: None,
            master: false,
        }
    }

    /// Closes the connection from outside the connection task: the task sees the socket shut
    /// down, drops pending output and exits.
    pub fn kill(&mut self) {
        self.close_asap = true;
        if let Some(socket) = &self.socket {
            let _ = socket2::SockRef::from(socket.as_ref()).shutdown(std::net::Shutdown::Both);
        }
    }

    /// Stops reading from the client (server shutdown): its task writes what is pending and
    /// closes.
    pub fn stop_reading(&self) {
        if let Some(socket) = &self.socket {
            let _ = socket2::SockRef::from(socket.as_ref()).shutdown(std::net::Shutdown::Read);
        }
    }

    /// Its class for `client-output-buffer-limit` (`config::OUTPUT_BUFFER_CLASSES` index):
    /// `pubsub` while subscribed to anything, as Redis's `getClientType`, else `normal`.
    pub fn output_class(&self) -> usize {
        if self.is_replica() && !self.monitor {
            1
        } else if self.subscriptions.any() {
            2
        } else {
            0
        }
    }

    /// Whether this client is a replica of ours (it sent `SYNC` or `PSYNC`).
    pub fn is_replica(&self) -> bool {
        self.replica.as_deref().is_some_and(|r| r.state.is_some())
    }

    /// Its type for `CLIENT LIST TYPE` and `CLIENT KILL TYPE`.
    pub fn type_name(&self) -> &'static str {
        if self.master {
            return "master";
        }
        match self.output_class() {
            1 => "replica",
            class => crate::config::OUTPUT_BUFFER_CLASSES[class],
        }
    }

    /// Whether other clients' commands may hand it output (`MONITOR`, Pub/Sub, invalidations
    /// of client-side caching), so its connection must also wait for that.
    pub fn receives_pushes(&self) -> bool {
        self.monitor
            || self.subscriptions.any()
            || self.tracking.is_some()
            || self.push_target
            || self.master
    }

    /// Logs that the client goes for exceeding an output-buffer limit.
    pub fn log_over_output_limit(&self, pending: usize) {
        tracing::warn!(
            client = self.id,
            pending,
            "client scheduled to be closed ASAP for overcoming of output buffer limits"
        );
    }

    /// The soft output-buffer limit: a client may stay above it for `soft_seconds` at most.
    /// Checked after each batch and by the cron, for clients that stop sending.
    pub fn check_soft_output_limit(
        &mut self,
        limit: crate::config::OutputBufferLimit,
        pending: usize,
    ) {
        if limit.soft == 0 || (pending as u64) < limit.soft {
            self.soft_limit_since = None;
            return;
        }
        let since = *self.soft_limit_since.get_or_insert_with(Instant::now);
        if since.elapsed().as_secs() >= limit.soft_seconds {
            self.log_over_output_limit(pending);
            self.close_asap = true;
        }
    }

    /// Memory the client holds, as counted in `mem_clients_normal` and `tot-mem`: its buffers,
    /// its queued transaction, and the client structure itself.
    pub fn memory(&self) -> usize {
        self.buffers.query_capacity
            + self.buffers.output_capacity
            + self.pending_reply.capacity()
            + self.multi.as_ref().map_or(0, Multi::memory)
            + self.subscriptions.memory()
            + self.tracking.as_ref().map_or(0, |t| t.memory())
            + size_of::<Client>()
    }

    /// The `CLIENT LIST` / `CLIENT INFO` line (without the trailing newline).
    pub fn info_line(&self, command_name: &str, now: Instant) -> String {
        // In Redis's order.
        let flags = {
            let mut f = String::new();
            if self.monitor {
                f.push('O');
            } else if self.is_replica() {
                f.push('S');
            }
            if self.master {
                f.push('M');
            }
            if self.subscriptions.any() {
                f.push('P');
            }
            if self.multi.is_some() {
                f.push('x');
            }
            if self.blocked.is_some() || self.postponed || self.wait_acks.is_some() {
                f.push('b');
            }
            if let Some(tracking) = &self.tracking {
                f.push('t');
                if tracking.broken_redirect.get() {
                    f.push('R');
                }
                if tracking.bcast {
                    f.push('B');
                }
            }
            if self.watch_dirty {
                f.push('d');
            }
            if self.close_after_reply {
                f.push('c');
            }
            if self.close_asap {
                f.push('A');
            }
            if self.no_evict {
                f.push('e');
            }
            if f.is_empty() {
                f.push('N');
            }
            f
        };
        let lib = |v: &Option<Vec<u8>>| {
            v.as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        let name = lib(&self.name);
        let multi = self.multi.as_ref().map_or(-1, |m| m.commands.len() as i64);
        let multi_mem = self.multi.as_ref().map_or(0, Multi::memory);
        let b = &self.buffers;
        // Arguments are read in place from the query buffer; a blocked command keeps a copy.
        let argv_mem = self
            .blocked
            .as_ref()
            .map_or(0, |blocked| blocked.args.memory());
        // Pending output beyond the buffer's kept size, which Redis holds in its reply list.
        let overflow = b.output_len.saturating_sub(b.reply_size);
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
             ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} \
             oll={} omem={} tot-mem={} events=r cmd={} user=default redir={} resp={} lib-name={} \
             lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            name,
            now.duration_since(self.created).as_secs(),
            now.duration_since(self.last_interaction).as_secs(),
            flags,
            self.db,
            self.subscriptions.channel_count(),
            self.subscriptions.pattern_count(),
            self.subscriptions.shard_count(),
            multi,
            b.query_len,
            b.query_capacity.saturating_sub(b.query_len),
            argv_mem,
            multi_mem,
            b.reply_size,
            b.reply_peak,
            b.output_len.min(b.reply_size),
            overflow.div_ceil(crate::protocol::reply::REPLY_CHUNK),
            overflow,
            self.memory(),
            command_name,
            self.tracking.as_ref().map_or(-1, |t| t.redirect as i64),
            match self.protocol {
                Protocol::Resp2 => 2,
                Protocol::Resp3 => 3,
            },
            lib(&self.lib_name),
            lib(&self.lib_ver),
        )
    }
}
