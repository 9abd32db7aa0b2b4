//! Accepting connections: `maxclients`, protected mode, socket options, client registration.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::client::Client;
use crate::server::Server;

const MAX_CLIENTS_ERROR: &[u8] = b"-ERR max number of clients reached\r\n";

/// Redis's protected-mode refusal, sent to non-loopback clients when no password is set.
const PROTECTED_MODE_ERROR: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Accepts connections until the task is dropped.
pub async fn accept_loop(server: Rc<RefCell<Server>>, listener: TcpListener) {
    let mut backoff = Duration::from_millis(1);
    loop {
        match listener.accept().await {
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
