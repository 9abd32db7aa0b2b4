//! Runs command lines through the real dispatcher against an in-memory server, with no socket,
//! task or thread: what command tests use to check a family's parsing, errors and effects.
//! The line is split as `redis-cli` splits it (quotes, escapes), so tests read like sessions.

use std::net::SocketAddr;

use super::{dispatch, table};
use crate::client::Client;
use crate::config::Config;
use crate::protocol::Args;
use crate::protocol::reply::Reply;
use crate::server::Server;

/// A server with one client, driven command by command.
pub struct Harness {
    pub server: Server,
    pub client: Client,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Harness {
        let addr: SocketAddr = "127.0.0.1:1".parse().expect("address");
        Harness {
            server: Server::new(config, table().len()),
            client: Client::new(1, addr, addr, -1, true),
        }
    }

    /// A server whose `maxmemory` (1 byte) is always exceeded, with no eviction: every
    /// `denyoom` command is refused.
    pub fn over_maxmemory() -> Harness {
        Harness::with_config(Config {
            maxmemory: 1,
            ..Config::default()
        })
    }

    /// The dirty counter (`rdb_changes_since_last_save`), for tests of change counting.
    pub fn dirty(&mut self) -> i64 {
        let info = self.run("INFO persistence");
        let line = info
            .lines()
            .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
            .expect("field");
        line.trim().parse().expect("number")
    }

    /// Runs one command line and returns its reply as sent, in the client's protocol.
    pub fn run(&mut self, line: &str) -> String {
        String::from_utf8_lossy(&self.run_bytes(line)).into_owned()
    }

    /// [`Harness::run`] for replies that are not text (`DUMP`).
    pub fn run_bytes(&mut self, line: &str) -> Vec<u8> {
        run_line(&mut self.server, &mut self.client, line)
    }

    /// Registers another client with the server, as a connection would, and returns its id:
    /// other clients' commands can then hand it output (Pub/Sub messages, `MONITOR` lines).
    pub fn connect(&mut self) -> u64 {
        let id = self.server.next_client_id() + 1000;
        let addr: SocketAddr = "127.0.0.1:2".parse().expect("address");
        let client = Client::new(id, addr, addr, -1, true);
        self.server
            .clients
            .insert(id, std::rc::Rc::new(std::cell::RefCell::new(client)));
        id
    }

    /// Runs a command line as client `id` (from [`Harness::connect`]).
    pub fn run_as(&mut self, id: u64, line: &str) -> String {
        let cell = std::rc::Rc::clone(&self.server.clients[&id]);
        let mut client = cell.borrow_mut();
        String::from_utf8_lossy(&run_line(&mut self.server, &mut client, line)).into_owned()
    }

    /// Takes the output other clients' commands handed client `id`.
    pub fn pushed(&mut self, id: u64) -> String {
        let mut client = self.server.clients[&id].borrow_mut();
        String::from_utf8_lossy(&std::mem::take(&mut client.pending_reply)).into_owned()
    }
}

/// Splits `line` as `redis-cli` does and dispatches it for `client`; returns the reply bytes.
fn run_line(server: &mut Server, client: &mut Client, line: &str) -> Vec<u8> {
    let (mut data, mut ends) = (Vec::new(), Vec::new());
    sds::split_args_into(line.as_bytes(), &mut data, &mut ends).expect("balanced quotes");
    let mut ranges = Vec::with_capacity(ends.len());
    let mut start = 0;
    for end in ends {
        ranges.push(start..end);
        start = end;
    }
    let args = Args::new(&data, &ranges);
    let mut reply = Reply::new(client.protocol);
    let mut ctx = super::Ctx {
        server,
        client,
        reply: &mut reply,
    };
    dispatch(&mut ctx, &args);
    // Each line is a batch of its own, as a connection's read would be.
    super::tracking::after_batch(server, client, &mut reply);
    reply.bytes().to_vec()
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_commands_and_keeps_state() {
        let mut h = Harness::new();
        assert_eq!(h.run("SET k \"a b\""), "+OK\r\n");
        assert_eq!(h.run("GET k"), "$3\r\na b\r\n");
        assert_eq!(h.run("STRLEN k"), ":3\r\n");
        assert_eq!(
            h.run("GETT k"),
            "-ERR unknown command 'GETT', with args beginning with: 'k' \r\n"
        );
    }
}
