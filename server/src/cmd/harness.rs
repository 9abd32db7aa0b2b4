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
    /// A server without save points: a `FLUSHALL` would otherwise save a dump.rdb into the
    /// working directory, as Redis's does.
    pub fn new() -> Harness {
        Harness::with_config(Config {
            save_params: Vec::new(),
            ..Config::default()
        })
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

    /// Turns keyspace notifications on for `classes` (a `notify-keyspace-events` value without
    /// `K`/`E`, which are added) and subscribes a second client to every keyspace and keyevent
    /// channel; returns its id, for [`Harness::events`].
    pub fn watch_events(&mut self, classes: &str) -> u64 {
        let set = self.run(&format!("CONFIG SET notify-keyspace-events KE{classes}"));
        assert_eq!(set, "+OK\r\n");
        let id = self.connect();
        self.run_as(id, "PSUBSCRIBE __key*__:*");
        id
    }

    /// The notifications client `id` (from [`Harness::watch_events`]) received since last
    /// asked, one `event key` per event (`event@db key` outside database 0), taken from the
    /// keyevent messages after checking each has its keyspace twin.
    pub fn events(&mut self, id: u64) -> Vec<String> {
        let pushed = self.pushed(id);
        let mut fields = pushed
            .split("\r\n")
            .filter(|f| !f.is_empty() && !f.starts_with(['*', '$']));
        let mut keyspace = Vec::new();
        let mut keyevent = Vec::new();
        while let Some(kind) = fields.next() {
            assert_eq!(kind, "pmessage", "in {pushed:?}");
            let (_pattern, channel, payload) = (fields.next(), fields.next(), fields.next());
            let (channel, payload) = (channel.expect("channel"), payload.expect("payload"));
            let (prefix, name) = channel.split_once("__:").expect("a notification channel");
            let db = prefix.rsplit_once('@').expect("a database").1;
            let at = if db == "0" {
                String::new()
            } else {
                format!("@{db}")
            };
            if prefix.starts_with("__keyspace") {
                keyspace.push(format!("{payload}{at} {name}"));
            } else {
                keyevent.push(format!("{name}{at} {payload}"));
            }
        }
        assert_eq!(keyspace, keyevent, "each event on both channel families");
        keyevent
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
