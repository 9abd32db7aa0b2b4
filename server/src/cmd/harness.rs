//! Runs command lines through the real dispatcher against an in-memory server, with no socket,
//! task or thread: what command tests use to check a family's parsing, errors and effects.
//! The line is split as `redis-cli` splits it (quotes, escapes), so tests read like sessions.

use std::net::SocketAddr;

use super::{dispatch, table};
use crate::client::Client;
use crate::config::Config;
use crate::protocol::Args;
use crate::protocol::reply::{Protocol, Reply};
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

    /// Runs one command line and returns its reply as sent, in RESP2.
    /// The dirty counter (`rdb_changes_since_last_save`), for tests of change counting.
    pub fn dirty(&mut self) -> i64 {
        let info = self.run("INFO persistence");
        let line = info
            .lines()
            .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
            .expect("field");
        line.trim().parse().expect("number")
    }

    pub fn run(&mut self, line: &str) -> String {
        String::from_utf8_lossy(&self.run_bytes(line)).into_owned()
    }

    /// [`Harness::run`] for replies that are not text (`DUMP`).
    pub fn run_bytes(&mut self, line: &str) -> Vec<u8> {
        let (mut data, mut ends) = (Vec::new(), Vec::new());
        sds::split_args_into(line.as_bytes(), &mut data, &mut ends).expect("balanced quotes");
        let mut ranges = Vec::with_capacity(ends.len());
        let mut start = 0;
        for end in ends {
            ranges.push(start..end);
            start = end;
        }
        let args = Args::new(&data, &ranges);
        let mut reply = Reply::new(Protocol::Resp2);
        let mut ctx = super::Ctx {
            server: &mut self.server,
            client: &mut self.client,
            reply: &mut reply,
        };
        dispatch(&mut ctx, &args);
        reply.bytes().to_vec()
    }
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
