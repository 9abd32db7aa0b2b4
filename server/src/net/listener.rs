//! Listening and accepting connections: binding the configured addresses (again when
//! `CONFIG SET port|bind` changes them), `maxclients`, protected mode, socket options, client
//! registration.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use tokio::net::{TcpListener, TcpStream};

use crate::client::Client;
use crate::server::Server;

const MAX_CLIENTS_ERROR: &[u8] = b"-ERR max number of clients reached\r\n";

/// Redis's protected-mode refusal, sent to non-loopback clients when no password is set.
const PROTECTED_MODE_ERROR: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Binds every address of a `bind` list on `port` as Redis does: `*` is every IPv4 address,
/// `::*` every IPv6 one, a leading `-` marks an address whose absence is not an error;
/// `SO_REUSEADDR`, IPv6 sockets IPv6-only, the given backlog. The port of the first socket
/// bound is used for the others, so port 0 picks one free port for all.
pub fn bind_all(
    addresses: &[String],
    port: u16,
    backlog: u32,
) -> io::Result<Vec<std::net::TcpListener>> {
    let mut listeners = Vec::new();
    let mut port = port;
    for address in addresses {
        let optional = address.starts_with('-');
        let host = match address.trim_start_matches('-') {
            "*" => "0.0.0.0",
            "::*" => "::",
            host => host,
        };
        match bind_one(host, port, backlog) {
            Ok(listener) => {
                port = listener.local_addr()?.port();
                listeners.push(listener);
            }
            Err(_) if optional => {}
            Err(e) => return Err(e),
        }
    }
    if listeners.is_empty() {
        return Err(io::Error::other("no bind address configured"));
    }
    Ok(listeners)
}

fn bind_one(host: &str, port: u16, backlog: u32) -> io::Result<std::net::TcpListener> {
    let ip: std::net::IpAddr = host
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("bad address {host}")))?;
    let addr = SocketAddr::new(ip, port);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog.min(i32::MAX as u32) as i32)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// The sockets the server listens on. One task accepts on all of them; `CONFIG SET port|bind`
/// replaces them without stopping it.
#[derive(Default)]
pub struct Listeners {
    sockets: RefCell<Vec<TcpListener>>,
    /// The accepting task, to wake when the sockets change.
    waker: RefCell<Option<Waker>>,
}

impl Listeners {
    /// Puts `sockets` in place of the current ones (which close) and returns the port of the
    /// first.
    pub fn replace(&self, sockets: Vec<std::net::TcpListener>) -> io::Result<u16> {
        let mut tokio_sockets = Vec::with_capacity(sockets.len());
        for socket in sockets {
            tokio_sockets.push(TcpListener::from_std(socket)?);
        }
        let port = tokio_sockets
            .first()
            .and_then(|s| s.local_addr().ok())
            .map_or(0, |a| a.port());
        *self.sockets.borrow_mut() = tokio_sockets;
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
        Ok(port)
    }

    /// Closes every socket (before binding others that may overlap them).
    pub fn close_all(&self) {
        self.sockets.borrow_mut().clear();
    }

    /// The addresses listened on.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.sockets
            .borrow()
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        for socket in self.sockets.borrow().iter() {
            if let Poll::Ready(result) = socket.poll_accept(cx) {
                return Poll::Ready(result);
            }
        }
        Poll::Pending
    }
}

/// Accepts connections on every listening socket until the task is dropped.
pub async fn accept_loop(server: Rc<RefCell<Server>>, listeners: Rc<Listeners>) {
    let mut backoff = Duration::from_millis(1);
    loop {
        match std::future::poll_fn(|cx| listeners.poll_accept(cx)).await {
            Ok((stream, addr)) => {
                backoff = Duration::from_millis(1);
                accept(&server, stream, addr);
            }
            Err(e) => {
                // Out of file descriptors or similar: wait a little rather than spin.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// Registers an accepted connection and starts serving it, or refuses it as Redis would.
fn accept(server: &Rc<RefCell<Server>>, stream: TcpStream, addr: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let mut srv = server.borrow_mut();
    if srv.shutdown.is_some() {
        return;
    }
    if srv.config.tcp_keepalive > 0 {
        let keepalive =
            socket2::TcpKeepalive::new().with_time(Duration::from_secs(srv.config.tcp_keepalive));
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive);
    }
    if srv.clients.len() >= srv.config.maxclients as usize {
        let _ = stream.try_write(MAX_CLIENTS_ERROR);
        srv.stats.rejected_connections += 1;
        return;
    }
    if srv.config.protected_mode && srv.config.requirepass.is_none() && !addr.ip().is_loopback() {
        let _ = stream.try_write(PROTECTED_MODE_ERROR);
        srv.stats.rejected_connections += 1;
        return;
    }
    srv.stats.total_connections_received += 1;
    let id = srv.next_client_id();
    let laddr = stream.local_addr().unwrap_or(addr);
    let fd = stream.as_raw_fd();
    let authenticated = !srv.auth_required();
    let stream = Rc::new(stream);
    let mut client = Client::new(id, addr, laddr, fd, authenticated);
    client.socket = Some(Rc::clone(&stream));
    let client = Rc::new(RefCell::new(client));
    srv.clients.insert(id, Rc::clone(&client));
    drop(srv);
    tracing::debug!(client = id, %addr, "accepted");
    tokio::task::spawn_local(super::connection::serve(Rc::clone(server), client, stream));
}
