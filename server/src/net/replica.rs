//! Serving a replica: once `SYNC` or `PSYNC` made a connection's client a replica, its task
//! sends the `+FULLRESYNC` line when the save it will receive starts, the saved file as one
//! bulk (`$<length>` then the bytes, as Redis sends a disk-based snapshot), then the stream of
//! effects collected meanwhile and everything fed after. A replica only sends
//! `REPLCONF ACK`s, which are read and run as they come; a newline goes to it every second
//! while it waits for its snapshot, so its link does not time out.

use std::io::{self, Read};
use std::time::Duration;

use tokio::io::Interest;

use super::connection::{Close, Connection};
use crate::client::ReplicaState;
use crate::server::replication::replica_name;

/// Bytes of the snapshot read and written per step.
const RDB_CHUNK: usize = 64 * 1024;

impl Connection {
    /// Serves the client as a replica until the connection ends.
    pub(super) async fn serve_replica(&mut self) -> Close {
        self.server.borrow_mut().start_pending_syncs();
        let wake = std::rc::Rc::clone(&self.client.borrow().wake);
        let mut keepalive = tokio::time::interval(Duration::from_secs(1));
        keepalive.tick().await;
        loop {
            let state = self.replica_step();
            if state == Some(ReplicaState::SendRdb) {
                if let Err(close) = self.send_rdb().await {
                    return close;
                }
                continue;
            }
            if let Some(close) = self.flush_and_check() {
                return close;
            }
            {
                // What the stream holds here is what `mem_clients_slaves` reports and what
                // eviction leaves out.
                let io = self.io.borrow();
                let mut client = self.client.borrow_mut();
                client.buffers.output_len = io.reply.len();
                client.buffers.output_capacity = io.reply.capacity();
            }
            let waiting = matches!(
                state,
                Some(ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd)
            );
            let interest = if self.io.borrow().reply.is_empty() {
                Interest::READABLE
            } else {
                Interest::READABLE | Interest::WRITABLE
            };
            tokio::select! {
                _ = wake.notified() => {}
                _ = keepalive.tick(), if waiting => {
                    self.io.borrow_mut().reply.raw(b"\n");
                }
                ready = self.stream.ready(interest) => {
                    let Ok(ready) = ready else {
                        return Close::Peer;
                    };
                    if ready.is_readable() {
                        match self.read() {
                            Ok(0) => return Close::Peer,
                            Ok(_) => {
                                // Acknowledgements: they reply nothing.
                                let before = self.io.borrow().reply.len();
                                if let Some(close) = self.process() {
                                    return close;
                                }
                                self.io.borrow_mut().reply.truncate(before);
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(_) => return Close::Peer,
                        }
                    }
                }
            }
            if self.client.borrow().close_asap {
                return Close::Now;
            }
        }
    }

    /// Moves what is ready to go into the reply buffer: the `+FULLRESYNC` line once the save
    /// started, the stream once the replica is online. Returns the replica's state.
    fn replica_step(&mut self) -> Option<ReplicaState> {
        let mut client = self.client.borrow_mut();
        let info = client.replica.as_deref_mut()?;
        let state = info.state;
        if !info.preamble.is_empty() {
            let preamble = std::mem::take(&mut info.preamble);
            self.io.borrow_mut().reply.raw(&preamble);
        }
        drop(client);
        if state == Some(ReplicaState::Online) {
            self.take_pending_output();
        }
        state
    }

    /// Sends the saved snapshot as one bulk, then puts the replica online
    /// (`sendBulkToSlave`, `replicaPutOnline`).
    async fn send_rdb(&mut self) -> Result<(), Close> {
        let file = self
            .client
            .borrow_mut()
            .replica
            .as_deref_mut()
            .and_then(|r| r.rdb.take());
        let Some(mut file) = file else {
            return Err(Close::Now);
        };
        // What is already queued (`+FULLRESYNC`, keepalives) goes first.
        if self.write_all(&[]).await.is_err() {
            return Err(Close::Peer);
        }
        let length = file.metadata().map_or(0, |m| m.len());
        if self
            .write_all(format!("${length}\r\n").as_bytes())
            .await
            .is_err()
        {
            return Err(Close::Peer);
        }
        let mut chunk = vec![0u8; RDB_CHUNK];
        let mut left = length;
        while left > 0 {
            let n = match file.read(&mut chunk) {
                Ok(0) => {
                    tracing::warn!("Read error sending DB to replica: file shorter than stated");
                    return Err(Close::Now);
                }
                Ok(n) => n.min(left as usize),
                Err(e) => {
                    tracing::warn!("Read error sending DB to replica: {e}");
                    return Err(Close::Now);
                }
            };
            if let Err(e) = self.write_all(&chunk[..n]).await {
                tracing::warn!("Write error sending DB to replica: {e}");
                return Err(Close::Peer);
            }
            left -= n as u64;
        }
        let mut client = self.client.borrow_mut();
        let name = replica_name(&client);
        let rdb_only = client.replica.as_deref().is_some_and(|r| r.rdb_only);
        if let Some(info) = client.replica.as_deref_mut() {
            info.state = Some(ReplicaState::Online);
            info.ack_time = crate::server::persistence::unix_seconds();
        }
        drop(client);
        tracing::info!("Synchronization with replica {name} succeeded");
        if rdb_only {
            // It wanted the snapshot only (`redis-cli --rdb`).
            return Err(Close::AfterReply);
        }
        Ok(())
    }

    /// Writes the reply buffer, then `bytes`, waiting for the socket as long as it takes.
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.io.borrow_mut().reply.raw(bytes);
        loop {
            self.write()?;
            if self.io.borrow().reply.is_empty() {
                return Ok(());
            }
            self.stream.writable().await?;
            if self.client.borrow().close_asap {
                return Err(io::ErrorKind::ConnectionAborted.into());
            }
        }
    }
}
