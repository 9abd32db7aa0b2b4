//! The replica's side of replication (Redis's `connectWithMaster`, `syncWithMaster`,
//! `readSyncBulkPayload`): a task that, while this server is a replica without a live link,
//! connects to the master, goes through the handshake (`PING`, `AUTH`, `REPLCONF
//! listening-port`/`ip-address`/`capa eof psync2`), asks to continue its history (`PSYNC
//! <replid> <offset>`) and either continues (`+CONTINUE`) or receives a snapshot
//! (`+FULLRESYNC`), as a `$<length>` bulk or streamed up to an `$EOF:` mark, into a temporary
//! file that replaces the RDB file and is loaded. The connection then becomes the master's
//! client, served by `net::connection` like any other: its commands apply without replies
//! and the bytes they came in are passed on to this server's own replicas.
//!
//! Failures are logged as Redis logs them and retried a second later; a `REPLICAOF` given
//! meanwhile ends the attempt.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::client::Client;
use crate::db::propagate::encode_command;
use crate::server::Server;
use crate::server::persistence::{LoadMode, unix_seconds};
use crate::server::replication::LinkState;

/// Length of the random mark that ends a streamed snapshot (`CONFIG_RUN_ID_SIZE`).
const EOF_MARK_LEN: usize = 40;
/// Bytes read per step of the transfer.
const READ_CHUNK: usize = 64 * 1024;

/// Runs forever: connects whenever the server is a replica whose link is down.
pub async fn run(server: Rc<RefCell<Server>>) {
    let wake = Rc::clone(&server.borrow().replication.wake_link);
    loop {
        let target = {
            let server = server.borrow();
            server
                .replication
                .master
                .as_ref()
                .filter(|m| m.link == LinkState::Connect)
                .map(|m| (m.host.clone(), m.port, m.generation))
        };
        let Some((host, port, generation)) = target else {
            wake.notified().await;
            continue;
        };
        if let Err(e) = sync_with_master(&server, &host, port, generation).await {
            if !e.is_empty() {
                tracing::warn!("{e}");
            }
            if let Some(master) = server.borrow_mut().replication.master.as_mut()
                && master.generation == generation
            {
                master.link = LinkState::Connect;
                if master.down_since.is_none() {
                    master.down_since = Some(unix_seconds());
                }
            }
            // Redis's cron tries again every second.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = wake.notified() => {}
            }
        }
    }
}

/// The connection to the master during the handshake and the transfer, with the bytes read
/// past what was consumed.
struct Link {
    stream: TcpStream,
    buf: Vec<u8>,
    timeout: Duration,
}

impl Link {
    async fn send(&mut self, argv: &[&[u8]]) -> Result<(), String> {
        let mut out = Vec::new();
        encode_command(&mut out, argv.iter().copied());
        let mut at = 0;
        while at < out.len() {
            self.stream
                .writable()
                .await
                .map_err(|e| format!("I/O error writing to MASTER: {e}"))?;
            match self.stream.try_write(&out[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("I/O error writing to MASTER: {e}")),
            }
        }
        Ok(())
    }

    /// Reads more bytes into `buf`; an error when the master closes or stays silent past
    /// `repl-timeout`.
    async fn fill(&mut self) -> Result<usize, String> {
        let read = async {
            self.buf.reserve(READ_CHUNK);
            loop {
                self.stream.readable().await?;
                match self.stream.try_read_buf(&mut self.buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Err(e),
                }
            }
        };
        match tokio::time::timeout(self.timeout, read).await {
            Err(_) => Err("Timeout receiving data from MASTER".to_string()),
            Ok(Err(e)) => Err(format!("I/O error reading from MASTER: {e}")),
            Ok(Ok(0)) => Err("Master closed the connection".to_string()),
            Ok(Ok(n)) => Ok(n),
        }
    }

    /// One reply line, without its line ending.
    async fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            self.fill().await?;
        }
    }

    /// A reply line, skipping the empty lines a master sends to keep the link alive.
    async fn reply(&mut self) -> Result<String, String> {
        loop {
            let line = self.line().await?;
            if !line.is_empty() {
                return Ok(line);
            }
        }
    }
}

/// One attempt: connect, handshake, synchronise, and hand the connection over as the
/// master's client. `Err("")` when a newer `REPLICAOF` made the attempt moot.
async fn sync_with_master(
    server: &Rc<RefCell<Server>>,
    host: &str,
    port: u16,
    generation: u64,
) -> Result<(), String> {
    let current = || {
        server
            .borrow()
            .replication
            .master
            .as_ref()
            .is_some_and(|m| m.generation == generation)
    };
    let set_link = |state: LinkState| {
        if let Some(master) = server.borrow_mut().replication.master.as_mut()
            && master.generation == generation
        {
            master.link = state;
        }
    };
    set_link(LinkState::Connecting);
    tracing::info!("Connecting to MASTER {host}:{port}");
    tracing::info!("MASTER <-> REPLICA sync started");
    let timeout = Duration::from_secs(server.borrow().config.stored_u64("repl-timeout").max(1));
    let stream = match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(format!("Unable to connect to MASTER: {e}")),
        Err(_) => return Err("Timeout connecting to the MASTER...".to_string()),
    };
    if !current() {
        return Err(String::new());
    }
    let _ = stream.set_nodelay(true);
    tracing::info!("Non blocking connect for SYNC fired the event.");
    set_link(LinkState::Handshake);
    let mut link = Link {
        stream,
        buf: Vec::new(),
        timeout,
    };
    handshake(server, &mut link).await?;
    if !current() {
        return Err(String::new());
    }
    let (replid, offset) = server.borrow().psync_request();
    if replid == "?" {
        tracing::info!("Partial resynchronization not possible (no cached master)");
    } else {
        tracing::info!("Trying a partial resynchronization (request {replid}:{offset}).");
    }
    // A failover hands the master role over with this request (`PSYNC … FAILOVER`).
    let failing_over = server
        .borrow()
        .replication
        .failover
        .as_ref()
        .is_some_and(|f| f.in_progress);
    let offset = offset.to_string();
    let mut request: Vec<&[u8]> = vec![b"PSYNC", replid.as_bytes(), offset.as_bytes()];
    if failing_over {
        request.push(b"FAILOVER");
    }
    link.send(&request).await?;
    let reply = link.reply().await?;
    if !current() {
        return Err(String::new());
    }
    if failing_over {
        let mut server = server.borrow_mut();
        if reply.starts_with("+FULLRESYNC") || reply.starts_with("+CONTINUE") {
            server.clear_failover();
        } else {
            server.abort_failover("Failover target rejected psync request");
            return Err(String::new());
        }
    }
    if let Some(rest) = reply.strip_prefix("+FULLRESYNC") {
        let mut words = rest.split_whitespace();
        let (Some(replid), Some(offset)) = (
            words.next(),
            words.next().and_then(|o| o.parse::<u64>().ok()),
        ) else {
            return Err(format!(
                "Master replied to PSYNC with a malformed reply: {reply}"
            ));
        };
        tracing::info!("Full resync from master: {replid}:{offset}");
        let replid = replid.to_string();
        receive_snapshot(server, &mut link, generation).await?;
        if !current() {
            return Err(String::new());
        }
        load_snapshot(server, replid, offset)?;
    } else if let Some(rest) = reply.strip_prefix("+CONTINUE") {
        tracing::info!("Successful partial resynchronization with master.");
        let new_id = rest.trim();
        let new_id = (new_id.len() == 40).then(|| new_id.to_string());
        server.borrow_mut().partial_sync_accepted(new_id);
        tracing::info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    } else if reply.starts_with("-NOMASTERLINK") || reply.starts_with("-LOADING") {
        return Err(format!(
            "Master is currently unable to PSYNC but should be in the future: {reply}"
        ));
    } else {
        return Err(format!("Unexpected reply to PSYNC from master: {reply}"));
    }
    attach_master(server, link, generation);
    Ok(())
}

/// `PING`, `AUTH`, `REPLCONF` (`syncWithMaster`'s states before `PSYNC`).
async fn handshake(server: &Rc<RefCell<Server>>, link: &mut Link) -> Result<(), String> {
    link.send(&[b"PING"]).await?;
    let reply = link.reply().await?;
    // An error about authentication still proves the master is there (Redis's rule).
    if reply.starts_with('-')
        && !reply.starts_with("-NOAUTH")
        && !reply.starts_with("-NOPERM")
        && !reply.starts_with("-ERR operation not permitted")
    {
        return Err(format!("Error reply to PING from master: '{reply}'"));
    }
    tracing::info!("Master replied to PING, replication can continue...");
    let (password, user, announce_port, announce_ip) = {
        let server = server.borrow();
        let config = &server.config;
        let announce_port = match config.stored_u64("replica-announce-port") {
            0 => server.port as u64,
            port => port,
        };
        (
            config.stored_text("masterauth"),
            config.stored_text("masteruser"),
            announce_port,
            config.stored_text("replica-announce-ip"),
        )
    };
    if !password.is_empty() {
        if user.is_empty() {
            link.send(&[b"AUTH", password.as_bytes()]).await?;
        } else {
            link.send(&[b"AUTH", user.as_bytes(), password.as_bytes()])
                .await?;
        }
        let reply = link.reply().await?;
        if reply.starts_with('-') {
            return Err(format!("Unable to AUTH to MASTER: {reply}"));
        }
    }
    link.send(&[
        b"REPLCONF",
        b"listening-port",
        announce_port.to_string().as_bytes(),
    ])
    .await?;
    let reply = link.reply().await?;
    if reply.starts_with('-') {
        tracing::info!(
            "(Non critical) Master does not understand REPLCONF listening-port: {reply}"
        );
    }
    if !announce_ip.is_empty() {
        link.send(&[b"REPLCONF", b"ip-address", announce_ip.as_bytes()])
            .await?;
        let reply = link.reply().await?;
        if reply.starts_with('-') {
            tracing::info!(
                "(Non critical) Master does not understand REPLCONF ip-address: {reply}"
            );
        }
    }
    link.send(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])
        .await?;
    let reply = link.reply().await?;
    if reply.starts_with('-') {
        tracing::info!("(Non critical) Master does not understand REPLCONF capa: {reply}");
    }
    Ok(())
}

/// The temporary file a snapshot is received into (Redis's `temp-<time>.<pid>.rdb`).
fn temp_path(server: &Server) -> std::path::PathBuf {
    std::path::Path::new(&server.config.dir).join(format!(
        "temp-{}.{}.rdb",
        unix_seconds(),
        std::process::id()
    ))
}

/// Receives the snapshot into a temporary file, synced; the bytes after it stay in `link.buf`.
async fn receive_snapshot(
    server: &Rc<RefCell<Server>>,
    link: &mut Link,
    generation: u64,
) -> Result<(), String> {
    if let Some(master) = server.borrow_mut().replication.master.as_mut() {
        master.link = LinkState::Transfer;
        master.transfer_size = 0;
        master.transfer_read = 0;
        master.transfer_last_io = unix_seconds();
    }
    let header = link.reply().await?;
    if header.starts_with('-') {
        return Err(format!(
            "MASTER aborted replication with an error: {header}"
        ));
    }
    let Some(header) = header.strip_prefix('$') else {
        return Err(format!(
            "Bad protocol from MASTER, the first byte is not '$' (we received '{header}'), are \
             you sure the host and port are right?"
        ));
    };
    // `$EOF:<mark>`: streamed, ends with the mark; `$<length>`: that many bytes.
    let (mark, length) = match header.strip_prefix("EOF:") {
        Some(mark) if mark.len() == EOF_MARK_LEN => {
            tracing::info!(
                "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
            );
            (Some(mark.as_bytes().to_vec()), 0)
        }
        _ => match header.parse::<u64>() {
            Ok(length) => {
                tracing::info!(
                    "MASTER <-> REPLICA sync: receiving {length} bytes from master to disk"
                );
                (None, length)
            }
            Err(_) => return Err(format!("Bad protocol from MASTER: '${header}'")),
        },
    };
    let path = temp_path(&server.borrow());
    let mut file = std::fs::File::create(&path).map_err(|e| {
        format!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}")
    })?;
    let result = receive_into(server, link, &mut file, mark, length, generation).await;
    let result = result.and_then(|()| {
        file.sync_all()
            .map_err(|e| format!("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {e}"))
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let target = server.borrow().rdb_path();
    std::fs::rename(&path, &target).map_err(|e| {
        let _ = std::fs::remove_file(&path);
        format!(
            "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {e}",
            target.display()
        )
    })?;
    Ok(())
}

async fn receive_into(
    server: &Rc<RefCell<Server>>,
    link: &mut Link,
    file: &mut std::fs::File,
    mark: Option<Vec<u8>>,
    length: u64,
    generation: u64,
) -> Result<(), String> {
    let write_error = |e: std::io::Error| {
        format!(
            "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {e}"
        )
    };
    let mut received: u64 = 0;
    loop {
        match &mark {
            None => {
                let take = (length - received).min(link.buf.len() as u64) as usize;
                file.write_all(&link.buf[..take]).map_err(write_error)?;
                link.buf.drain(..take);
                received += take as u64;
                if received == length {
                    break;
                }
            }
            Some(mark) => {
                // Everything but the last mark-length bytes is surely data.
                if link.buf.len() >= mark.len() && link.buf.ends_with(mark) {
                    let data = link.buf.len() - mark.len();
                    file.write_all(&link.buf[..data]).map_err(write_error)?;
                    link.buf.clear();
                    break;
                }
                let safe = link.buf.len().saturating_sub(mark.len());
                file.write_all(&link.buf[..safe]).map_err(write_error)?;
                link.buf.drain(..safe);
                received += safe as u64;
            }
        }
        if let Some(master) = server.borrow_mut().replication.master.as_mut()
            && master.generation == generation
        {
            master.transfer_size = length;
            master.transfer_read = received;
            master.transfer_last_io = unix_seconds();
        }
        link.fill().await.map_err(|e| {
            if e.starts_with("Timeout") {
                "Timeout receiving bulk data from MASTER... If the problem persists try to set \
                 the 'repl-timeout' parameter in redis.conf to a larger value."
                    .to_string()
            } else {
                format!("I/O error trying to sync with MASTER: {e}")
            }
        })?;
    }
    Ok(())
}

/// Replaces the dataset with the received file (`readSyncBulkPayload`'s load). A file that
/// does not load leaves the dataset empty and the attempt failed, as in Redis.
fn load_snapshot(server: &Rc<RefCell<Server>>, replid: String, offset: u64) -> Result<(), String> {
    let mut server = server.borrow_mut();
    tracing::info!("MASTER <-> REPLICA sync: Flushing old data");
    server.empty_data();
    tracing::info!("MASTER <-> REPLICA sync: Loading DB in memory");
    // Keys past their time load too: the master sends their deletions.
    let path = server.rdb_path();
    let loaded = server
        .begin_load_file(&path, LoadMode::Strict, false)
        .and_then(|load| {
            let mut load = load.ok_or_else(|| format!("{} is gone", path.display()))?;
            while server.load_step(&mut load, u64::MAX, u64::MAX)?.is_none() {}
            Ok(())
        });
    if let Err(e) = loaded {
        tracing::warn!("{e}");
        return Err(
            "Failed trying to load the MASTER synchronization DB from disk, check server logs."
                .to_string(),
        );
    }
    server.full_sync_loaded(replid, offset);
    server.replica_synced_restart_aof();
    tracing::info!("MASTER <-> REPLICA sync: Finished with success");
    Ok(())
}

/// Makes the link the master's client, served by its own connection task, and acknowledges
/// the offset reached (a master streaming a snapshot waits for that first acknowledgement).
fn attach_master(server: &Rc<RefCell<Server>>, link: Link, generation: u64) {
    let Link { stream, buf, .. } = link;
    let mut srv = server.borrow_mut();
    let Some(addr) = stream.peer_addr().ok() else {
        return;
    };
    let laddr = stream.local_addr().unwrap_or(addr);
    let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
    let id = srv.next_client_id();
    let stream = Rc::new(stream);
    let mut client = Client::new(id, addr, laddr, fd, true);
    client.master = true;
    client.socket = Some(Rc::clone(&stream));
    client.last_interaction = std::time::Instant::now();
    client.io.borrow_mut().input.spare().extend_from_slice(&buf);
    let ack = crate::server::replication::ack_command(srv.replication.offset);
    client.pending_reply.extend_from_slice(&ack);
    client.wake.notify_one();
    let client = Rc::new(RefCell::new(client));
    srv.clients.insert(id, Rc::clone(&client));
    if let Some(master) = srv.replication.master.as_mut()
        && master.generation == generation
    {
        master.client = Some(id);
        master.link = LinkState::Connected;
        master.down_since = None;
    }
    drop(srv);
    tokio::task::spawn_local(super::connection::serve(Rc::clone(server), client, stream));
}
