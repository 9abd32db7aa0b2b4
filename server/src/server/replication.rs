//! Replication as Redis 7.0 speaks it, the server's side of it: the replication IDs and
//! offset, the backlog, the replicas attached to this server (each a client, fed the stream of
//! propagated effects after its snapshot) and, when this server is a replica itself, the state
//! of its link to the master.
//!
//! A replica asking for a full synchronisation waits for a background save: the fork-less
//! snapshot (`rdb::snapshot`) is the dataset at the moment the save starts, so the replica is
//! told that moment's offset (`+FULLRESYNC <id> <offset>`) and collects every effect fed from
//! then on, to be sent after the file. The network layer sends the file and the stream
//! (`net::replica`) and runs the link to a master (`net::master_link`); this file holds the
//! decisions and the bookkeeping both rely on.

use std::fs::File;
use std::rc::Rc;
use std::time::Instant;

use super::Server;
use super::backlog::Backlog;
use super::persistence::{SaveTarget, unix_seconds};
use crate::client::{Client, ReplicaInfo, ReplicaState};
use crate::db::propagate::encode_command;

/// The ID a server with no second history reports (`master_replid2`).
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

/// Where a replica's link to its master stands (Redis's `repl_state`, collapsed to what is
/// reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// To connect (again) as soon as the link task runs.
    Connect,
    /// Connecting.
    Connecting,
    /// Connected, in the handshake (`PING`, `AUTH`, `REPLCONF`, `PSYNC`).
    Handshake,
    /// Receiving the snapshot.
    Transfer,
    Connected,
}

/// This server's master, while it is a replica.
#[derive(Debug)]
pub struct Master {
    pub host: String,
    pub port: u16,
    pub link: LinkState,
    /// Bumped by every `REPLICAOF`: a link task started for an older one gives up.
    pub generation: u64,
    /// The master's client (the link's stream of commands), once connected.
    pub client: Option<u64>,
    /// Unix seconds the link went down (`master_link_down_since_seconds`); `None` never up.
    pub down_since: Option<u64>,
    /// The snapshot being received: its size (0 while unknown) and bytes read so far.
    pub transfer_size: u64,
    pub transfer_read: u64,
    pub transfer_last_io: u64,
}

/// A coordinated failover (`FAILOVER`) under way on a master.
#[derive(Debug, Clone)]
pub struct Failover {
    /// The replica to hand over to (`TO host port`), or the first to catch up.
    pub target: Option<(String, u16)>,
    /// Unix ms after which it gives up, or fails over anyway with `FORCE`.
    pub end_ms: Option<u64>,
    pub force: bool,
    /// This server is now the target's replica, asking it to take over (`PSYNC … FAILOVER`).
    pub in_progress: bool,
}

/// Replication's state.
#[derive(Debug)]
pub struct Replication {
    /// `master_replid`: the history this dataset belongs to.
    pub replid: String,
    /// `master_replid2`: the history before the last change of ID, valid up to
    /// `second_offset`.
    pub replid2: String,
    pub second_offset: i64,
    /// `master_repl_offset`: stream bytes produced (or, on a replica, applied).
    pub offset: u64,
    pub backlog: Option<Backlog>,
    /// Attached replicas' client ids, in attach order.
    pub replicas: Vec<u64>,
    /// The database the stream last selected (`slaveseldb`); `None` forces a `SELECT`.
    selected_db: Option<usize>,
    pub master: Option<Master>,
    generation: u64,
    /// Wakes the task that connects to the master.
    pub wake_link: Rc<tokio::sync::Notify>,
    /// When the last replica left, for `repl-backlog-ttl`.
    pub no_replicas_since: Option<Instant>,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// Clients waiting in `WAIT`.
    pub waiting: Vec<u64>,
    /// `FAILOVER` under way.
    pub failover: Option<Failover>,
    /// When the replication cron last ran, and how many times.
    pub cron_at: Option<Instant>,
    pub cron_loops: u64,
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            replid: super::random_hex_id(),
            replid2: NO_REPLID.to_string(),
            second_offset: -1,
            offset: 0,
            backlog: None,
            replicas: Vec::new(),
            selected_db: None,
            master: None,
            generation: 0,
            wake_link: Rc::new(tokio::sync::Notify::new()),
            no_replicas_since: None,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            cron_at: None,
            cron_loops: 0,
            waiting: Vec::new(),
            failover: None,
        }
    }
}

impl Replication {
    /// A new history (`changeReplicationId`).
    pub fn change_id(&mut self) {
        self.replid = super::random_hex_id();
    }

    /// Forgets the second history (`clearReplicationId2`).
    pub fn clear_id2(&mut self) {
        self.replid2 = NO_REPLID.to_string();
        self.second_offset = -1;
    }

    /// Keeps the current history as the second one, valid up to the current offset, and
    /// starts a new one (`shiftReplicationId`): replicas of the old history may continue.
    pub fn shift_id(&mut self) {
        self.replid2 = std::mem::take(&mut self.replid);
        self.second_offset = self.offset as i64 + 1;
        self.change_id();
        tracing::warn!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            self.replid2,
            self.second_offset,
            self.replid
        );
    }

    /// Whether the stream may continue from `offset` for a replica that knows `replid`
    /// (`masterTryPartialResynchronization`'s test).
    pub fn can_continue(&self, replid: &str, offset: u64) -> Result<(), String> {
        let second_ok =
            replid.eq_ignore_ascii_case(&self.replid2) && offset as i64 <= self.second_offset;
        if !replid.eq_ignore_ascii_case(&self.replid) && !second_ok {
            return Err(if replid == "?" {
                String::new()
            } else if !replid.eq_ignore_ascii_case(&self.replid2) {
                format!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica \
                     asked for '{replid}', my replication IDs are '{}' and '{}')",
                    self.replid, self.replid2
                )
            } else {
                format!(
                    "Partial resynchronization not accepted: Requested offset for second ID \
                     was {offset}, but I can reply up to {}",
                    self.second_offset
                )
            });
        }
        match &self.backlog {
            Some(backlog) if backlog.covers(offset) => Ok(()),
            _ => Err(format!(
                "Unable to partial resync with replica for lack of backlog (Replica request \
                 was: {offset})."
            )),
        }
    }

    /// Whether this server is a replica (`server.masterhost`).
    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// Whether the link to the master is up (`repl_state == REPL_STATE_CONNECTED`).
    pub fn link_up(&self) -> bool {
        self.master
            .as_ref()
            .is_some_and(|m| m.link == LinkState::Connected)
    }

    /// The next link generation, for a new `REPLICAOF`.
    fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Bytes the backlog holds (`mem_replication_backlog`).
    pub fn backlog_memory(&self) -> usize {
        self.backlog.as_ref().map_or(0, Backlog::memory)
    }
}

/// `SELECT <db>` in RESP.
fn select_command(db: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut int = itoa::Buffer::new();
    encode_command(
        &mut out,
        [&b"SELECT"[..], int.format(db).as_bytes()].into_iter(),
    );
    out
}

/// A replica's name in the log (`replicationGetSlaveName`): its announced address.
pub fn replica_name(client: &Client) -> String {
    let info = client.replica.as_deref();
    let ip = info
        .and_then(|i| i.ip_address.clone())
        .unwrap_or_else(|| client.addr.ip().to_string());
    match info.map_or(0, |i| i.listening_port) {
        0 => format!("{ip}:<unknown-replica-port>"),
        port => format!("{ip}:{port}"),
    }
}

/// `REPLCONF ACK <offset>` in RESP, as a replica sends it.
pub fn ack_command(offset: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut int = itoa::Buffer::new();
    encode_command(
        &mut out,
        [&b"REPLCONF"[..], b"ACK", int.format(offset).as_bytes()].into_iter(),
    );
    out
}

impl Server {
    /// Whether this server produces a replication stream: a master with a backlog (a replica
    /// passes its master's stream on instead).
    pub fn feeds_replicas(&self) -> bool {
        self.replication.backlog.is_some() && self.replication.master.is_none()
    }

    /// Records propagated operations while anything consumes them: the AOF or a backlog.
    pub fn update_propagation(&mut self) {
        let enabled = self.aof.state != super::aof::AofState::Off || self.feeds_replicas();
        self.keyspace.propagation.set_enabled(enabled);
    }

    /// Feeds one execution unit's operations (`(db, RESP)`) to the replication stream:
    /// a `SELECT` where the database changes, and `MULTI`/`EXEC` around more than one.
    pub fn feed_replication_ops<'a>(
        &mut self,
        ops: impl Iterator<Item = (usize, &'a [u8])>,
        transaction: bool,
    ) {
        let mut stream = Vec::new();
        let mut first = true;
        for (db, text) in ops {
            if self.replication.selected_db != Some(db) {
                stream.extend_from_slice(&select_command(db));
                self.replication.selected_db = Some(db);
            }
            if first && transaction {
                stream.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
            }
            first = false;
            stream.extend_from_slice(text);
        }
        if transaction && !first {
            stream.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
        }
        self.feed_replication_stream(&stream);
    }

    /// Appends bytes to the replication stream: the backlog, and every replica past the start
    /// of its snapshot (`replicationFeedSlaves`, and on a replica the proxied master stream).
    /// A replica whose pending output passes its class's hard limit is dropped.
    pub fn feed_replication_stream(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let Some(backlog) = &mut self.replication.backlog else {
            return;
        };
        backlog.append(bytes);
        self.replication.offset += bytes.len() as u64;
        let limit = self.config.client_output_buffer_limit[1];
        for &id in &self.replication.replicas {
            let Some(cell) = self.clients.get(&id) else {
                continue;
            };
            let Ok(mut client) = cell.try_borrow_mut() else {
                continue;
            };
            let streaming = client.replica.as_deref().is_some_and(|r| {
                !r.rdb_only
                    && matches!(
                        r.state,
                        Some(
                            ReplicaState::WaitBgsaveEnd
                                | ReplicaState::SendRdb
                                | ReplicaState::Online
                        )
                    )
            });
            if !streaming || client.close_asap {
                continue;
            }
            client.pending_reply.extend_from_slice(bytes);
            let pending = client.pending_reply.len() as u64 + client.buffers.output_len as u64;
            if limit.hard > 0 && pending >= limit.hard {
                client.log_over_output_limit(pending as usize);
                client.kill();
            }
            client.wake.notify_one();
        }
    }

    /// The replica-side proxy (`replicationFeedStreamFromMasterStream`): what the master sent
    /// and this server applied goes on, byte for byte, to its own backlog and replicas.
    pub fn proxy_master_stream(&mut self, bytes: &[u8]) {
        if self.replication.backlog.is_some() {
            self.feed_replication_stream(bytes);
        } else {
            self.replication.offset += bytes.len() as u64;
        }
    }

    /// Makes `client` a replica waiting for a full synchronisation (`syncCommand` after a
    /// refused `PSYNC`): creates the backlog with a new history for the first replica and
    /// attaches the client to a save in progress another replica waits for, if any.
    pub fn attach_for_full_sync(&mut self, client: &mut Client, pre_psync: bool) {
        self.replication.sync_full += 1;
        let info = client.replica.get_or_insert_with(Default::default);
        info.state = Some(ReplicaState::WaitBgsaveStart);
        info.pre_psync = pre_psync;
        self.replication.replicas.push(client.id);
        self.replication.no_replicas_since = None;
        if self.replication.backlog.is_none() {
            self.replication.change_id();
            self.replication.clear_id2();
            self.create_backlog();
            tracing::info!(
                "Replication backlog created, my new replication IDs are '{}' and '{}'",
                self.replication.replid,
                self.replication.replid2
            );
        }
        let rdb_save = self
            .persistence
            .background
            .as_ref()
            .is_some_and(|b| b.target == SaveTarget::Rdb);
        if !rdb_save {
            if self.persistence.background.is_some() {
                tracing::info!(
                    "No BGSAVE in progress, but another BG operation is active. BGSAVE for \
                     replication delayed"
                );
            }
            return;
        }
        // Another replica collecting the stream since this save began: copy what it has.
        let donor = self.replication.replicas.iter().find_map(|id| {
            let cell = self.clients.get(id)?;
            let other = cell.try_borrow().ok()?;
            let info = other.replica.as_deref()?;
            (info.state == Some(ReplicaState::WaitBgsaveEnd))
                .then(|| (other.pending_reply.clone(), info.initial_offset))
        });
        match donor {
            Some((stream, offset)) => {
                client.pending_reply = stream;
                self.setup_full_resync(client, offset);
                tracing::info!("Waiting for end of BGSAVE for SYNC");
            }
            None => tracing::info!(
                "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"
            ),
        }
    }

    /// Creates the backlog, its first byte the stream's next.
    pub fn create_backlog(&mut self) {
        let size = self.config.stored_u64("repl-backlog-size") as usize;
        self.replication.backlog = Some(Backlog::new(size, self.replication.offset + 1));
        self.replication.selected_db = None;
        self.update_propagation();
    }

    /// The replica will receive the snapshot taken at stream offset `offset`
    /// (`replicationSetupSlaveForFullResync`): `+FULLRESYNC` goes first, and a `SELECT` is
    /// forced into the stream.
    fn setup_full_resync(&mut self, client: &mut Client, offset: u64) {
        let replid = self.replication.replid.clone();
        let info = client.replica.get_or_insert_with(Default::default);
        info.state = Some(ReplicaState::WaitBgsaveEnd);
        info.initial_offset = offset;
        if !info.pre_psync {
            info.preamble = format!("+FULLRESYNC {replid} {offset}\r\n").into_bytes();
        }
        self.replication.selected_db = None;
        client.wake.notify_one();
    }

    /// Starts a background save for the replicas waiting for one, when none is running
    /// (`startBgsaveForReplication`, called when a replica asks and when a save ends).
    pub fn start_pending_syncs(&mut self) {
        if self.persistence.background.is_some() {
            return;
        }
        let waiting: Vec<u64> = self
            .replication
            .replicas
            .iter()
            .copied()
            .filter(|id| {
                self.clients.get(id).is_some_and(|c| {
                    c.try_borrow().is_ok_and(|c| {
                        c.replica.as_deref().and_then(|r| r.state)
                            == Some(ReplicaState::WaitBgsaveStart)
                    })
                })
            })
            .collect();
        if waiting.is_empty() {
            return;
        }
        tracing::info!("Starting BGSAVE for SYNC with target: disk");
        self.start_background_save();
        let failed = self
            .persistence
            .background
            .as_ref()
            .is_none_or(|b| b.failed.is_some());
        let offset = self.replication.offset;
        for id in waiting {
            let Some(cell) = self.clients.get(&id).cloned() else {
                continue;
            };
            let Ok(mut client) = cell.try_borrow_mut() else {
                continue;
            };
            if failed {
                tracing::warn!("BGSAVE for replication failed");
                client.kill();
                continue;
            }
            self.setup_full_resync(&mut client, offset);
        }
    }

    /// A background save ended (`updateSlavesWaitingBgsave`): replicas waiting for it get the
    /// file, or are dropped if it failed; after a success, replicas waiting for the next one
    /// get it started.
    pub fn replication_save_done(&mut self, ok: bool) {
        let path = self.rdb_path();
        for id in self.replication.replicas.clone() {
            let Some(cell) = self.clients.get(&id).cloned() else {
                continue;
            };
            let Ok(mut client) = cell.try_borrow_mut() else {
                continue;
            };
            let Some(info) = client.replica.as_deref_mut() else {
                continue;
            };
            if info.state != Some(ReplicaState::WaitBgsaveEnd) {
                continue;
            }
            if !ok {
                tracing::warn!("SYNC failed. BGSAVE child returned an error");
                client.kill();
                continue;
            }
            match File::open(&path) {
                Ok(file) => {
                    info.rdb = Some(file);
                    info.state = Some(ReplicaState::SendRdb);
                    client.wake.notify_one();
                }
                Err(e) => {
                    tracing::warn!("SYNC failed. Can't open/stat DB after BGSAVE: {e}");
                    client.kill();
                }
            }
        }
        // After a failure the cron tries again (not at once: an aborted save may be a
        // shutdown).
        if ok {
            self.start_pending_syncs();
        }
    }

    /// A replica's client is gone: it leaves the list (`freeClient` of a replica).
    pub fn detach_replica(&mut self, client: &Client) {
        let Some(info) = client.replica.as_deref() else {
            return;
        };
        if info.state.is_none() {
            return;
        }
        self.replication.replicas.retain(|&id| id != client.id);
        tracing::info!("Connection with replica {} lost.", replica_name(client));
        if self.replication.replicas.is_empty() {
            self.replication.no_replicas_since = Some(Instant::now());
        }
    }

    /// Drops every replica (`disconnectSlaves`): they reconnect and synchronise again.
    pub fn disconnect_replicas(&mut self) {
        for id in std::mem::take(&mut self.replication.replicas) {
            if let Some(cell) = self.clients.get(&id)
                && let Ok(mut client) = cell.try_borrow_mut()
            {
                client.kill();
            }
        }
    }

    /// `REPLICAOF host port` (`replicationSetMaster`): forgets any previous master link and
    /// connects to the new one. This server's own history is kept as the point to continue
    /// from, so a former replica that becomes our master can continue with us.
    pub fn set_master(&mut self, host: String, port: u16) {
        let was_master = self.replication.master.is_none();
        self.drop_master_link();
        let generation = self.replication.next_generation();
        self.replication.master = Some(Master {
            host,
            port,
            link: LinkState::Connect,
            generation,
            client: None,
            down_since: None,
            transfer_size: 0,
            transfer_read: 0,
            transfer_last_io: 0,
        });
        if was_master {
            // Replicas of ours resynchronise with the stream we will proxy.
            self.disconnect_replicas();
        }
        crate::log::set_replica_role(true);
        self.keyspace.expiry_paused = true;
        self.update_propagation();
        self.replication.wake_link.notify_one();
    }

    /// `REPLICAOF NO ONE` (`replicationUnsetMaster`): this server becomes a master; its
    /// replicas may continue under a new history (the old one stays valid up to the offset
    /// reached).
    pub fn unset_master(&mut self) {
        if self.replication.master.is_none() {
            return;
        }
        self.drop_master_link();
        self.replication.master = None;
        crate::log::set_replica_role(false);
        self.replication.next_generation();
        self.replication.shift_id();
        // Sub-replicas reconnect and continue from the backlog under the new ID.
        self.disconnect_replicas();
        self.replication.selected_db = None;
        self.keyspace.expiry_paused = self.pause.is_some();
        self.update_propagation();
    }

    /// Closes the link to the master, if any.
    fn drop_master_link(&mut self) {
        if let Some(id) = self
            .replication
            .master
            .as_mut()
            .and_then(|m| m.client.take())
            && let Some(cell) = self.clients.get(&id)
            && let Ok(mut client) = cell.try_borrow_mut()
        {
            client.kill();
        }
    }

    /// The master's connection ended (`replicationHandleMasterDisconnection`): the data stays,
    /// and the link task connects again, asking to continue from where the stream stopped.
    pub fn master_link_lost(&mut self, id: u64) {
        let Some(master) = self.replication.master.as_mut() else {
            return;
        };
        if master.client != Some(id) {
            return;
        }
        master.client = None;
        master.link = LinkState::Connect;
        master.down_since = Some(unix_seconds());
        tracing::info!("Connection with master lost.");
        tracing::info!("Caching the disconnected master state.");
        self.replication.wake_link.notify_one();
    }

    /// The `(replid, offset)` to ask the master to continue from: this dataset's history, if
    /// it has a backlog to prove where it stands; otherwise a full synchronisation (`?`).
    pub fn psync_request(&self) -> (String, i64) {
        if self.replication.backlog.is_some() {
            (
                self.replication.replid.clone(),
                self.replication.offset as i64 + 1,
            )
        } else {
            ("?".to_string(), -1)
        }
    }

    /// The snapshot from the master is loaded: its history and offset are now this server's
    /// (`readSyncBulkPayload`'s end), with a new backlog.
    pub fn full_sync_loaded(&mut self, replid: String, offset: u64) {
        self.disconnect_replicas();
        self.replication.replid = replid;
        self.replication.clear_id2();
        self.replication.offset = offset;
        self.create_backlog();
    }

    /// The master agreed to continue (`+CONTINUE [id]`): a new ID means the master changed
    /// history (a failover), so ours shifts the same way and our replicas reconnect to learn
    /// it.
    pub fn partial_sync_accepted(&mut self, new_replid: Option<String>) {
        if let Some(new) = new_replid
            && !new.eq_ignore_ascii_case(&self.replication.replid)
        {
            self.replication.replid2 = std::mem::replace(&mut self.replication.replid, new);
            self.replication.second_offset = self.replication.offset as i64 + 1;
            tracing::warn!(
                "Master replication ID changed to {}",
                self.replication.replid
            );
            self.disconnect_replicas();
        }
    }

    /// The replication part of the cron, once a second (`replicationCron`): replicas ack
    /// what they applied, masters ping their replicas and drop silent ones, and links to a
    /// master that went silent are closed.
    pub fn replication_cron(&mut self, ping: bool) {
        let timeout = self.config.stored_u64("repl-timeout");
        let now = unix_seconds();
        if let Some(id) = self.replication.master.as_ref().and_then(|m| m.client)
            && let Some(cell) = self.clients.get(&id)
            && let Ok(mut master) = cell.try_borrow_mut()
        {
            if master.last_interaction.elapsed().as_secs() > timeout {
                tracing::warn!("MASTER timeout: no data nor PING received...");
                master.kill();
            } else {
                let ack = ack_command(self.replication.offset);
                master.pending_reply.extend_from_slice(&ack);
                master.wake.notify_one();
            }
        }
        // No PING while a failover waits for a replica to reach the offset: it would move it.
        if self.feeds_replicas()
            && ping
            && !self.replication.replicas.is_empty()
            && self.replication.failover.is_none()
        {
            let mut stream = Vec::new();
            encode_command(&mut stream, [&b"PING"[..]].into_iter());
            self.feed_replication_stream(&stream);
        }
        for &id in &self.replication.replicas {
            let Some(cell) = self.clients.get(&id) else {
                continue;
            };
            let Ok(mut client) = cell.try_borrow_mut() else {
                continue;
            };
            let timed_out = client.replica.as_deref().is_some_and(|r| {
                r.state == Some(ReplicaState::Online)
                    && !r.pre_psync
                    && now.saturating_sub(r.ack_time) > timeout
            });
            if timed_out {
                tracing::warn!(
                    "Disconnecting timedout replica (streaming sync): {}",
                    replica_name(&client)
                );
                client.kill();
            }
        }
        // A backlog nobody uses is freed after `repl-backlog-ttl` (never on a replica, which
        // may need it to continue after a failover).
        let ttl = self.config.stored_u64("repl-backlog-ttl");
        if ttl > 0
            && self.replication.master.is_none()
            && self.replication.replicas.is_empty()
            && self
                .replication
                .no_replicas_since
                .is_some_and(|since| since.elapsed().as_secs() > ttl)
            && self.replication.backlog.is_some()
        {
            self.replication.change_id();
            self.replication.clear_id2();
            self.replication.backlog = None;
            self.update_propagation();
            tracing::info!(
                "Replication backlog freed after {ttl} seconds without connected replicas."
            );
        }
        let wanted = self.config.stored_u64("repl-backlog-size") as usize;
        if let Some(backlog) = &mut self.replication.backlog
            && backlog.size() != wanted
        {
            backlog.resize(wanted);
        }
        self.start_pending_syncs();
    }

    /// Memory of the replicas' pending output (`mem_clients_slaves`).
    pub fn replicas_memory(&self) -> usize {
        self.replication
            .replicas
            .iter()
            .filter_map(|id| self.clients.get(id)?.try_borrow().ok())
            .map(|c| c.pending_reply.capacity() + c.buffers.output_capacity)
            .sum()
    }
}

impl Server {
    /// Replicas online that acknowledged stream offset `offset` (`replicationCountAcksByOffset`).
    pub fn count_acks(&self, offset: u64) -> u64 {
        self.count_online_replicas(|r| r.ack_offset >= offset) as u64
    }

    /// Replicas online for which `test` holds (no allocation: it runs for every write under
    /// `min-replicas-to-write`).
    fn count_online_replicas(&self, test: impl Fn(&ReplicaInfo) -> bool) -> usize {
        self.replication
            .replicas
            .iter()
            .filter_map(|id| self.clients.get(id)?.try_borrow().ok())
            .filter(|c| {
                c.replica
                    .as_deref()
                    .is_some_and(|r| r.state == Some(ReplicaState::Online) && test(r))
            })
            .count()
    }

    /// Whether writes may go ahead under `min-replicas-to-write` (`checkGoodReplicasStatus`):
    /// enough replicas online acknowledged within `min-replicas-max-lag` seconds. A replica,
    /// or either setting at 0, never refuses.
    pub fn enough_good_replicas(&self) -> bool {
        let (wanted, max_lag) = (
            self.config.min_replicas_to_write,
            self.config.min_replicas_max_lag,
        );
        if self.replication.is_replica() || wanted <= 0 || max_lag <= 0 {
            return true;
        }
        self.good_replicas(max_lag as u64) as i64 >= wanted
    }

    /// Replicas online that acknowledged within `max_lag` seconds (`repl_good_slaves_count`).
    pub fn good_replicas(&self, max_lag: u64) -> usize {
        let now = unix_seconds();
        self.count_online_replicas(|r| now.saturating_sub(r.ack_time) <= max_lag)
    }

    /// Asks every replica to acknowledge now (`REPLCONF GETACK *` in the stream, as Redis's
    /// `sendGetackToReplicas`), for clients in `WAIT`.
    pub fn request_acks(&mut self) {
        if !self.feeds_replicas() || self.replication.replicas.is_empty() {
            return;
        }
        let mut stream = Vec::new();
        encode_command(&mut stream, [&b"REPLCONF"[..], b"GETACK", b"*"].into_iter());
        self.feed_replication_stream(&stream);
    }

    /// A replica acknowledged: clients in `WAIT` look again.
    pub fn wake_ack_waiters(&self) {
        for id in &self.replication.waiting {
            if let Some(cell) = self.clients.get(id)
                && let Ok(client) = cell.try_borrow()
            {
                client.wake.notify_one();
            }
        }
    }
}

impl Server {
    /// `master_failover_state`.
    pub fn failover_state(&self) -> &'static str {
        match &self.replication.failover {
            None => "no-failover",
            Some(f) if f.in_progress => "failover-in-progress",
            Some(_) => "waiting-for-sync",
        }
    }

    /// Starts a failover (`failoverCommand` once its checks passed): writes are paused until it
    /// ends, so the replicas can reach this server's offset.
    pub fn start_failover(&mut self, failover: Failover) {
        match &failover.target {
            Some((host, port)) => tracing::info!("FAILOVER requested to {host}:{port}."),
            None => tracing::info!("FAILOVER requested to any replica."),
        }
        self.replication.failover = Some(failover);
        self.pause_clients(false, u64::MAX);
        self.update_failover();
    }

    /// Ends a failover's pause and state (`clearFailoverState`).
    pub fn clear_failover(&mut self) {
        if self.replication.failover.take().is_some() {
            self.unpause_clients();
        }
    }

    /// Gives a failover up (`abortFailover`): a server already made a replica of the target
    /// becomes a master again.
    pub fn abort_failover(&mut self, why: &str) {
        let Some(failover) = &self.replication.failover else {
            return;
        };
        match &failover.target {
            Some((host, port)) => tracing::info!("FAILOVER to {host}:{port} aborted: {why}"),
            None => tracing::info!("FAILOVER to any replica aborted: {why}"),
        }
        if failover.in_progress {
            self.replication
                .failover
                .as_mut()
                .expect("checked")
                .in_progress = false;
            self.unset_master();
        }
        self.clear_failover();
    }

    /// Moves a waiting failover on (`updateFailoverStatus`): past its timeout it gives up (or,
    /// with `FORCE`, goes ahead); once the target (or any replica, without one) acknowledged
    /// this server's whole stream, this server becomes the target's replica and asks it to
    /// take over. Run by the cron and whenever a replica acknowledges.
    pub fn update_failover(&mut self) {
        let Some(failover) = self.replication.failover.clone() else {
            return;
        };
        if failover.in_progress {
            return;
        }
        if self.pause.is_none() {
            // `CLIENT UNPAUSE` lifted the failover's pause with its own: writes stay paused.
            self.pause_clients(false, u64::MAX);
        }
        if let Some(end) = failover.end_ms
            && end <= crate::db::access::unix_ms()
        {
            match (&failover.target, failover.force) {
                (Some((host, port)), true) => {
                    tracing::info!("FAILOVER to {host}:{port} time out exceeded, failing over.");
                    let (host, port) = (host.clone(), *port);
                    self.begin_handover(host, port);
                }
                _ => self.abort_failover("Replica never caught up before timeout"),
            }
            return;
        }
        let offset = self.replication.offset;
        let caught_up = self.replica_views().into_iter().find(|r| {
            r.state == "online"
                && r.ack_offset == offset
                && failover
                    .target
                    .as_ref()
                    .is_none_or(|(host, port)| host == &r.ip && *port == r.port)
        });
        if let Some(replica) = caught_up {
            tracing::info!(
                "Failover target {}:{} is synced, failing over.",
                replica.ip,
                replica.port
            );
            self.begin_handover(replica.ip, replica.port);
        }
    }

    /// Becomes the replica of `host:port`, whose link asks it to take over.
    fn begin_handover(&mut self, host: String, port: u16) {
        if let Some(failover) = &mut self.replication.failover {
            failover.target = Some((host.clone(), port));
            failover.in_progress = true;
        }
        self.set_master(host, port);
    }
}

/// What `INFO replication` and `ROLE` show of one replica.
pub struct ReplicaView {
    pub ip: String,
    pub port: u16,
    pub state: &'static str,
    pub ack_offset: u64,
    pub lag: u64,
}

impl Server {
    /// The attached replicas, as `INFO replication` lists them.
    pub fn replica_views(&self) -> Vec<ReplicaView> {
        let now = unix_seconds();
        self.replication
            .replicas
            .iter()
            .filter_map(|id| {
                let client = self.clients.get(id)?.try_borrow().ok()?;
                let info: &ReplicaInfo = client.replica.as_deref()?;
                let state = match info.state? {
                    ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
                    ReplicaState::SendRdb => "send_bulk",
                    ReplicaState::Online => "online",
                };
                Some(ReplicaView {
                    ip: info
                        .ip_address
                        .clone()
                        .unwrap_or_else(|| client.addr.ip().to_string()),
                    port: info.listening_port,
                    state,
                    ack_offset: info.ack_offset,
                    lag: if state == "online" {
                        now.saturating_sub(info.ack_time)
                    } else {
                        0
                    },
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replication_with_backlog(first: u64, bytes: usize) -> Replication {
        let mut replication = Replication {
            offset: first - 1,
            ..Default::default()
        };
        let mut backlog = Backlog::new(1024, first);
        backlog.append(&vec![b'x'; bytes]);
        replication.offset += bytes as u64;
        replication.backlog = Some(backlog);
        replication
    }

    #[test]
    fn a_replica_continues_only_from_its_history_and_what_the_backlog_holds() {
        let mut r = replication_with_backlog(101, 50);
        let id = r.replid.clone();
        assert_eq!(r.can_continue(&id, 101), Ok(()));
        assert_eq!(
            r.can_continue(&id.to_uppercase(), 151),
            Ok(()),
            "the next byte"
        );
        assert!(r.can_continue(&id, 100).is_err(), "before the backlog");
        assert!(r.can_continue(&id, 152).is_err(), "past the stream");
        let refused = r.can_continue("0123456789012345678901234567890123456789", 120);
        assert!(refused.unwrap_err().contains("Replication ID mismatch"));
        assert_eq!(r.can_continue("?", 120), Err(String::new()));
        // After a promotion the old ID holds up to where it ended.
        r.shift_id();
        assert_eq!(r.second_offset, 151);
        assert_eq!(r.can_continue(&id, 140), Ok(()));
        assert_eq!(r.can_continue(&id, 151), Ok(()));
        r.offset += 10;
        r.backlog.as_mut().unwrap().append(&[b'y'; 10]);
        assert!(
            r.can_continue(&id, 152)
                .unwrap_err()
                .contains("Requested offset for second ID was 152, but I can reply up to 151")
        );
        let new_id = r.replid.clone();
        assert_eq!(r.can_continue(&new_id, 161), Ok(()));
    }

    #[test]
    fn a_backlog_too_small_for_the_gap_means_a_full_sync() {
        let mut r = replication_with_backlog(1, 0);
        r.backlog.as_mut().unwrap().resize(16);
        let id = r.replid.clone();
        r.backlog.as_mut().unwrap().append(&[b'z'; 40]);
        r.offset += 40;
        assert!(
            r.can_continue(&id, 10)
                .unwrap_err()
                .contains("lack of backlog")
        );
        assert_eq!(r.can_continue(&id, 25), Ok(()));
    }
}
