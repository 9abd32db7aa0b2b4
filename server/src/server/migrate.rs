//! The connections `MIGRATE` keeps to target servers (Redis's `migrate_cached_sockets`): one
//! per `host:port`, reused while it stays in use, closed after 10 idle seconds, at most 64.
//! They are blocking sockets with timeouts, as Redis's are: `MIGRATE` waits for its target.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Redis's `MIGRATE_SOCKET_CACHE_ITEMS` and `MIGRATE_SOCKET_CACHE_TTL`.
const MAX_SOCKETS: usize = 64;
const IDLE_LIMIT: Duration = Duration::from_secs(10);

/// A cached connection and the database last selected on it (-1: unknown).
pub struct MigrateSocket {
    pub stream: TcpStream,
    pub last_db: i64,
    last_use: Instant,
}

impl MigrateSocket {
    /// Writes everything, each write bounded by `timeout`.
    pub fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> io::Result<()> {
        self.stream.set_write_timeout(Some(timeout))?;
        self.stream.write_all(bytes)
    }

    /// Reads one reply line (without its CRLF), as Redis's `syncReadLine`: byte by byte, so
    /// nothing past the line is consumed.
    pub fn read_line(&mut self, timeout: Duration) -> io::Result<Vec<u8>> {
        self.stream.set_read_timeout(Some(timeout))?;
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            if self.stream.read(&mut byte)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            if byte[0] == b'\n' {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            line.push(byte[0]);
            if line.len() > 1024 * 1024 {
                return Err(io::Error::other("reply line too long"));
            }
        }
    }
}

/// The cache of `MIGRATE` connections.
#[derive(Default)]
pub struct MigrateSockets {
    sockets: HashMap<String, MigrateSocket>,
}

impl MigrateSockets {
    /// The cached connection to `host:port`, or a new one made within `timeout`.
    pub fn get(
        &mut self,
        host: &str,
        port: &str,
        timeout: Duration,
        rng: &mut fastrand::Rng,
    ) -> io::Result<&mut MigrateSocket> {
        let name = format!("{host}:{port}");
        if !self.sockets.contains_key(&name) {
            if self.sockets.len() >= MAX_SOCKETS {
                let victim = rng.usize(0..self.sockets.len());
                if let Some(key) = self.sockets.keys().nth(victim).cloned() {
                    self.sockets.remove(&key);
                }
            }
            let port: u16 = port.parse().map_err(|_| io::Error::other("bad port"))?;
            let address = (host, port)
                .to_socket_addrs()
                .map_err(io::Error::other)?
                .next()
                .ok_or_else(|| io::Error::other("no address"))?;
            let stream = TcpStream::connect_timeout(&address, timeout)?;
            stream.set_nodelay(true)?;
            self.sockets.insert(
                name.clone(),
                MigrateSocket {
                    stream,
                    last_db: -1,
                    last_use: Instant::now(),
                },
            );
        }
        let socket = self.sockets.get_mut(&name).expect("inserted above");
        socket.last_use = Instant::now();
        Ok(socket)
    }

    /// Closes the connection to `host:port` (after an error on it).
    pub fn close(&mut self, host: &str, port: &str) {
        self.sockets.remove(&format!("{host}:{port}"));
    }

    /// Closes connections idle for more than 10 seconds (the cron's
    /// `migrateCloseTimedoutSockets`).
    pub fn close_idle(&mut self, now: Instant) {
        self.sockets
            .retain(|_, socket| now.duration_since(socket.last_use) <= IDLE_LIMIT);
    }
}
