//! Cluster mode for cluster-aware clients: with `cluster-enabled yes` zedis is a one-node Redis
//! Cluster that owns all 16384 slots. `CLUSTER INFO|MYID|SLOTS|SHARDS|NODES|KEYSLOT|
//! COUNTKEYSINSLOT|GETKEYSINSLOT|HELP` describe it as Redis describes such a node, multi-key
//! requests across slots get `CROSSSLOT` (checked in dispatch), `SELECT`, `MOVE`, `SWAPDB`, a
//! `COPY` to another database and `REPLICAOF` are refused as in Redis, and `READONLY`,
//! `READWRITE` and `ASKING` answer `OK`. There is no cluster bus: several zedis cannot form one
//! cluster. Without `cluster-enabled` every command here replies Redis's "cluster support
//! disabled" error.

use super::errors::{CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};
use crate::util::slot::{SLOTS, key_slot};

pub const DISABLED: CmdError = CmdError::new("ERR This instance has cluster support disabled");
/// A multi-key request whose keys are in more than one slot.
pub const CROSSSLOT: CmdError =
    CmdError::new("CROSSSLOT Keys in request don't hash to the same slot");

const SUBCOMMANDS: &[Command] = &[
    Command::new("info", 2, STALE, Group::Cluster, info).doc(
        "3.0.0",
        "Provides info about Redis Cluster node state",
        "O(1)",
    ),
    Command::new("myid", 2, STALE, Group::Cluster, myid).doc("3.0.0", "Return the node id", "O(1)"),
    Command::new("slots", 2, STALE, Group::Cluster, slots)
        .doc(
            "3.0.0",
            "Get array of Cluster slot to node mappings",
            "O(N) where N is the total number of Cluster nodes",
        )
        .deprecated("7.0.0", "`CLUSTER SHARDS`"),
    Command::new("shards", 2, STALE, Group::Cluster, shards).doc(
        "7.0.0",
        "Get array of cluster slots to node mappings",
        "O(N) where N is the total number of cluster nodes",
    ),
    Command::new("nodes", 2, STALE, Group::Cluster, nodes).doc(
        "3.0.0",
        "Get Cluster config for the node",
        "O(N) where N is the total number of Cluster nodes",
    ),
    Command::new("keyslot", 3, STALE, Group::Cluster, keyslot)
        .doc(
            "3.0.0",
            "Returns the hash slot of the specified key",
            "O(N) where N is the number of bytes in the key",
        )
        .syntax("key"),
    Command::new("countkeysinslot", 3, STALE, Group::Cluster, countkeysinslot)
        .doc(
            "3.0.0",
            "Return the number of local keys in the specified hash slot",
            "O(1)",
        )
        .syntax("slot"),
    Command::new("getkeysinslot", 4, STALE, Group::Cluster, getkeysinslot)
        .doc(
            "3.0.0",
            "Return local key names in the specified hash slot",
            "O(log(N)) where N is the number of requested keys",
        )
        .syntax("slot count"),
    Command::new("help", 2, LOADING | STALE, Group::Cluster, help).doc(
        "5.0.0",
        "Show helpful text about the different subcommands",
        "O(1)",
    ),
];

pub static COMMANDS: &[Command] = &[
    Command::container("cluster", -2, Group::Cluster, SUBCOMMANDS).doc(
        "3.0.0",
        "A container for cluster commands",
        "Depends on subcommand.",
    ),
    Command::new("readonly", 1, FAST | LOADING | STALE, Group::Cluster, ok).doc(
        "3.0.0",
        "Enables read queries for a connection to a cluster replica node",
        "O(1)",
    ),
    Command::new("readwrite", 1, FAST | LOADING | STALE, Group::Cluster, ok).doc(
        "3.0.0",
        "Disables read queries for a connection to a cluster replica node",
        "O(1)",
    ),
    Command::new("asking", 1, FAST, Group::Cluster, ok).doc(
        "3.0.0",
        "Sent by cluster clients after an -ASK redirect",
        "O(1)",
    ),
];

fn enabled(ctx: &Ctx) -> CmdResult {
    if ctx.server.config.cluster_enabled {
        Ok(())
    } else {
        Err(DISABLED)
    }
}

/// `READONLY`, `READWRITE`, `ASKING`: this node serves every slot, so they change nothing.
fn ok(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    enabled(ctx)?;
    ctx.reply.ok();
    Ok(())
}

/// This node as the cluster sees it: announced address, ports, ID.
struct Myself {
    id: String,
    ip: String,
    port: u16,
    bus_port: u64,
}

fn myself(ctx: &Ctx) -> Myself {
    let config = &ctx.server.config;
    let port = match config.stored_u64("cluster-announce-port") {
        0 => ctx.server.port,
        port => port as u16,
    };
    let bus_port = match (
        config.stored_u64("cluster-announce-bus-port"),
        config.stored_u64("cluster-port"),
    ) {
        (0, 0) => ctx.server.port as u64 + 10000,
        (0, bus) | (bus, _) => bus,
    };
    Myself {
        id: ctx.server.cluster_node_id.clone(),
        // A node that never met another has no address of its own but the announced one, as
        // Redis (clients use the address they reached it by).
        ip: config.stored_text("cluster-announce-ip"),
        port,
        bus_port,
    }
}

fn info(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    enabled(ctx)?;
    let text = format!(
        "cluster_state:ok\r\ncluster_slots_assigned:{SLOTS}\r\ncluster_slots_ok:{SLOTS}\r\n\
         cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\n\
         cluster_size:1\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n\
         cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n\
         total_cluster_links_buffer_limit_exceeded:0\r\n"
    );
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

fn myid(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    enabled(ctx)?;
    let id = ctx.server.cluster_node_id.clone();
    ctx.reply.bulk(id.as_bytes());
    Ok(())
}

fn slots(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    enabled(ctx)?;
    let me = myself(ctx);
    let reply = &mut *ctx.reply;
    reply.array(1);
    reply.array(3);
    reply.int(0);
    reply.int(SLOTS as i64 - 1);
    reply.array(4);
    reply.bulk(me.ip.as_bytes());
    reply.int(me.port as i64);
    reply.bulk(me.id.as_bytes());
    reply.map(0);
    Ok(())
}

fn shards(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    enabled(ctx)?;
    let me = myself(ctx);
    let offset = ctx.server.replication.offset as i64;
    let reply = &mut *ctx.reply;
    reply.array(1);
    reply.map(2);
    reply.bulk(b"slots");
    reply.array(2);
    reply.int(0);
    reply.int(SLOTS as i64 - 1);
    reply.bulk(b"nodes");
    reply.array(1);
    reply.map(7);
    reply.bulk(b"id");
    reply.bulk(me.id.as_bytes());
    reply.bulk(b"port");
    reply.int(me.port as i64);
    reply.bulk(b"ip");
    reply.bulk(me.ip.as_bytes());
    reply.bulk(b"endpoint");
    reply.bulk(me.ip.as_bytes());
    reply.bulk(b"role");
    reply.bulk(b"master");
    reply.bulk(b"replication-offset");
    reply.int(offset);
    reply.bulk(b"health");
    reply.bulk(b"online");
    Ok(())
}

fn nodes(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    enabled(ctx)?;
    let me = myself(ctx);
    let line = format!(
        "{} {}:{}@{} myself,master - 0 0 0 connected 0-{}\n",
        me.id,
        me.ip,
        me.port,
        me.bus_port,
        SLOTS - 1
    );
    ctx.reply.verbatim(line.as_bytes());
    Ok(())
}

fn keyslot(ctx: &mut Ctx, args: &Args) -> CmdResult {
    enabled(ctx)?;
    ctx.reply.int(key_slot(args.get(2)) as i64);
    Ok(())
}

/// `COUNTKEYSINSLOT`'s slot argument.
fn slot_arg(arg: &[u8]) -> Result<u16, CmdError> {
    let slot = crate::util::parse_i64(arg).ok_or(super::errors::NOT_INTEGER)?;
    if !(0..SLOTS as i64).contains(&slot) {
        return Err(CmdError::new("ERR Invalid slot"));
    }
    Ok(slot as u16)
}

/// Keys stored in `slot` (database 0, the only one in cluster mode), expired ones not yet
/// deleted included, as Redis's slot index holds them. Found by walking the keyspace: zedis
/// keeps no per-slot index, which would cost memory on every key.
fn keys_in_slot<'a>(ctx: &'a Ctx, slot: u16) -> impl Iterator<Item = &'a [u8]> {
    ctx.server.keyspace.dbs[0]
        .table
        .iter()
        .map(crate::store::record::Record::key)
        .filter(move |key| key_slot(key) == slot)
}

fn countkeysinslot(ctx: &mut Ctx, args: &Args) -> CmdResult {
    enabled(ctx)?;
    let slot = slot_arg(args.get(2))?;
    let count = keys_in_slot(ctx, slot).count();
    ctx.reply.int(count as i64);
    Ok(())
}

fn getkeysinslot(ctx: &mut Ctx, args: &Args) -> CmdResult {
    enabled(ctx)?;
    let slot = crate::util::parse_i64(args.get(2)).ok_or(super::errors::NOT_INTEGER)?;
    let count = crate::util::parse_i64(args.get(3)).ok_or(super::errors::NOT_INTEGER)?;
    if !(0..SLOTS as i64).contains(&slot) || count < 0 {
        return Err(CmdError::new("ERR Invalid slot or number of keys"));
    }
    let keys: Vec<Vec<u8>> = keys_in_slot(ctx, slot as u16)
        .take(count as usize)
        .map(<[u8]>::to_vec)
        .collect();
    ctx.reply.array(keys.len());
    for key in keys {
        ctx.reply.bulk(&key);
    }
    Ok(())
}

const HELP: &[&str] = &[
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "HELP",
    "    Prints this help.",
];

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    enabled(ctx)?;
    ctx.reply.array(HELP.len());
    for line in HELP {
        ctx.reply.simple(line.as_bytes());
    }
    Ok(())
}

/// The slot all of a request's keys hash to, or `CROSSSLOT`; `None` for a request without
/// keys (Redis's `getNodeByQuery` for one node that owns every slot).
pub fn request_slot<'a>(keys: impl IntoIterator<Item = &'a [u8]>) -> Result<Option<u16>, CmdError> {
    let mut slot = None;
    for key in keys {
        let this = key_slot(key);
        match slot {
            None => slot = Some(this),
            Some(s) if s != this => return Err(CROSSSLOT),
            Some(_) => {}
        }
    }
    Ok(slot)
}
