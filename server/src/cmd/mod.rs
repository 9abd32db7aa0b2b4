//! Commands: the table (name, arity, flags, key positions, documentation, handler) and the
//! families of handlers, one file per Redis command group.
//!
//! A handler takes the parsed arguments and a [`Ctx`] (the server, the calling client and its
//! reply buffer), writes its reply and returns `Ok`, or returns the error to reply with. It
//! never touches a socket. [`dispatch`] applies Redis's checks before calling it.

pub mod aof_load;
mod dispatch;
pub use crate::protocol::errors;
mod table;

mod bitmap;
pub mod blocking;
mod client;
mod cluster;
mod config;
pub mod connection;
mod debug;
mod dump;
mod functions;
mod geo;
pub mod harness;
mod hash;
mod hyperloglog;
pub mod info;
mod info_memory;
mod introspection;
mod key_specs;
pub mod keys;
mod latency;
mod list;
mod lolwut;
mod memory;
mod metadata;
mod migrate;
mod module;
pub mod monitor;
mod object;
mod persistence;
pub mod pubsub;
mod replication;
mod scan;
mod scripting;
mod server;
mod set;
mod sort;
mod string;
mod syntax;
pub mod tracking;
pub mod tx;
mod values;
mod zset;

pub use crate::protocol::args::{Args, OwnedArgs};
pub use dispatch::{Ctx, call, dispatch};
pub use errors::{CmdError, CmdResult};
pub use table::{CommandTable, Entry, LookupCache, install_renames, table};

/// A command handler.
pub type Handler = fn(&mut Ctx, &Args) -> CmdResult;

/// Command flags, as `COMMAND INFO` names them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 14;
    pub const NO_MULTI: u32 = 1 << 15;
    /// Not set in the table: derived from the key specifications (`key_specs`).
    pub const MOVABLE_KEYS: u32 = 1 << 16;
    pub const ALLOW_BUSY: u32 = 1 << 17;
    pub const SENTINEL: u32 = 1 << 18;
    pub const NO_ASYNC_LOADING: u32 = 1 << 19;
    /// Refused unless `enable-debug-command` allows it (Redis's `PROTECTED`).
    pub const PROTECTED: u32 = 1 << 20;
    /// Internal, never listed: the dispatcher's special cases, where Redis compares command
    /// procedures. Runs at once inside `MULTI` instead of being queued.
    pub const RUNS_IN_MULTI: u32 = 1 << 21;
    /// Inside `MULTI`, still runs when memory is over `maxmemory` (it ends or leaves the
    /// transaction: `EXEC`, `DISCARD`, `QUIT`, `RESET`).
    pub const IN_MULTI_DESPITE_OOM: u32 = 1 << 22;
    /// Runs a transaction's queue (`EXEC`): paused and refused on its queue's behalf.
    pub const EXEC: u32 = 1 << 23;
    /// Refused like a write while the last background save has failed (`PING`, as Redis's
    /// `processCommand` singles it out).
    pub const DENIED_ON_DISK_ERROR: u32 = 1 << 24;
    /// Runs in RESP2's subscribed context (the (un)subscribe commands, `PING`, `QUIT`,
    /// `RESET`); every other command is refused there.
    pub const SUBSCRIBED_CONTEXT: u32 = 1 << 25;
    /// Reaches keys it does not name (`RANDOMKEY`, `SCAN`): the expired keys it deletes are
    /// propagated without a `MULTI` around them (Redis's `CMD_TOUCHES_ARBITRARY_KEYS`).
    pub const TOUCHES_ARBITRARY_KEYS: u32 = 1 << 26;
    /// Runs a script whose shebang flags replace its `write`, `denyoom` and `stale` flags
    /// for the dispatcher's checks (`EVAL`, `EVALSHA` and their `_RO` forms).
    pub const SCRIPT_DECLARES_FLAGS: u32 = 1 << 27;

    /// Flag names in the order `COMMAND INFO` lists them (`may_replicate`, `sentinel` and
    /// `protected` are hidden, as in Redis).
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// The documentation group of a command (`COMMAND DOCS` `group`, ACL category).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    Bitmap,
    List,
    Set,
    SortedSet,
    Hash,
    Hyperloglog,
    Geo,
    Transactions,
    Connection,
    Server,
    PubSub,
    Scripting,
    Cluster,
}

impl Group {
    /// The name `COMMAND DOCS` prints.
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::Bitmap => "bitmap",
            Group::List => "list",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Hash => "hash",
            Group::Hyperloglog => "hyperloglog",
            Group::Geo => "geo",
            Group::Transactions => "transactions",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::PubSub => "pubsub",
            Group::Scripting => "scripting",
            Group::Cluster => "cluster",
        }
    }
}

/// One command or subcommand. Built in a `static` table with the `const` builder methods.
pub struct Command {
    /// Lower-case name (`get`; `usage` for `MEMORY USAGE`).
    pub name: &'static str,
    /// Redis's arity: exactly `n` arguments when positive, at least `-n` when negative,
    /// counting the command (and subcommand) name.
    pub arity: i32,
    pub flags: u32,
    pub group: Group,
    /// `None` for a container (`CONFIG`, `CLIENT`, …), which dispatches to `subcommands`,
    /// unless it also has a bare form (`COMMAND`).
    pub handler: Option<Handler>,
    pub subcommands: &'static [Command],
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    /// Argument syntax after the name, as the Redis documentation writes it
    /// (`key value [NX | XX]`); `COMMAND DOCS` is built from it.
    pub syntax: &'static str,
    /// For a deprecated command: the version that deprecated it and what replaces it, as
    /// `COMMAND DOCS` reports them (with the `deprecated` doc flag).
    pub deprecated: Option<(&'static str, &'static str)>,
    /// An internal command (`COMMAND DOCS` doc flag `syscmd`: `REPLCONF`).
    pub system: bool,
}

impl Command {
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        group: Group,
        handler: Handler,
    ) -> Command {
        Command {
            name,
            arity,
            flags,
            group,
            handler: Some(handler),
            subcommands: &[],
            since: "1.0.0",
            summary: "",
            complexity: "O(1)",
            syntax: "",
            deprecated: None,
            system: false,
        }
    }

    /// A container command whose first argument names a subcommand.
    pub const fn container(
        name: &'static str,
        arity: i32,
        group: Group,
        subcommands: &'static [Command],
    ) -> Command {
        Command {
            handler: None,
            subcommands,
            ..Command::new(name, arity, 0, group, |_, _| Ok(()))
        }
    }

    /// Gives a container a handler for its bare form (`COMMAND` without a subcommand), run
    /// with these flags.
    pub const fn with_bare(self, handler: Handler, flags: u32) -> Command {
        Command {
            handler: Some(handler),
            flags,
            ..self
        }
    }

    pub const fn doc(
        self,
        since: &'static str,
        summary: &'static str,
        complexity: &'static str,
    ) -> Command {
        Command {
            since,
            summary,
            complexity,
            ..self
        }
    }

    pub const fn syntax(self, syntax: &'static str) -> Command {
        Command { syntax, ..self }
    }

    pub const fn deprecated(self, since: &'static str, replaced_by: &'static str) -> Command {
        Command {
            deprecated: Some((since, replaced_by)),
            ..self
        }
    }

    pub const fn system(self) -> Command {
        Command {
            system: true,
            ..self
        }
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }
}
