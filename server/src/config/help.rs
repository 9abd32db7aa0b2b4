//! One-line descriptions of the configuration parameters, for `zedis-server --help`.
//!
//! [`PARAMS`](super::params::PARAMS) says how each parameter is read, checked and kept, but not
//! what it is for; this table says that, in a sentence each, so `--help` can tell a user what a
//! flag does without sending them to redis.conf. A parameter zedis checks and keeps but does not
//! act on (it tunes a feature zedis does not have yet) says so, as does one where zedis accepts
//! only the value that keeps a missing feature off, so the help never promises what zedis
//! does not do. The tests keep the table and `PARAMS` in step.

use super::params::lookup;

/// `(parameter name, description)`, in the order of `PARAMS`.
static DESCRIPTIONS: &[(&str, &str)] = &[
    // Booleans.
    (
        "rdbchecksum",
        "Append a CRC64 checksum to RDB files, and verify it when loading",
    ),
    (
        "daemonize",
        "Detach and run in the background, writing a pid file (not when supervised)",
    ),
    (
        "io-threads-do-reads",
        "Let the I/O threads also read and parse requests (only 'no' accepted: zedis has one thread)",
    ),
    (
        "always-show-logo",
        "Print the ASCII-art logo at startup even when not on a terminal (accepted; zedis has none)",
    ),
    (
        "protected-mode",
        "Refuse clients from non-loopback addresses while no password (requirepass) is set",
    ),
    (
        "rdbcompression",
        "Compress strings with LZF in RDB files and DUMP payloads",
    ),
    (
        "rdb-del-sync-files",
        "Delete RDB files made only for replication (accepted; zedis has no replication yet)",
    ),
    (
        "activerehashing",
        "Spend background time finishing the resizing of hash tables",
    ),
    (
        "stop-writes-on-bgsave-error",
        "Refuse writes while the last background save has failed",
    ),
    (
        "set-proc-title",
        "Rename the process as ps shows it (accepted; zedis keeps its name)",
    ),
    (
        "dynamic-hz",
        "Raise hz for a while when many clients are connected",
    ),
    (
        "lazyfree-lazy-eviction",
        "Free the values of evicted keys on a background thread",
    ),
    (
        "lazyfree-lazy-expire",
        "Free the values of expired keys on a background thread",
    ),
    (
        "lazyfree-lazy-server-del",
        "Free values deleted as a side effect (RESTORE REPLACE...) on a background thread",
    ),
    (
        "lazyfree-lazy-user-del",
        "Make DEL free values in the background like UNLINK (zedis's DEL always does for big ones)",
    ),
    (
        "lazyfree-lazy-user-flush",
        "Make FLUSHALL and FLUSHDB without SYNC or ASYNC flush in the background",
    ),
    (
        "repl-disable-tcp-nodelay",
        "Send replication data in fewer, larger packets (accepted; zedis has no replication yet)",
    ),
    (
        "repl-diskless-sync",
        "Send full syncs to replicas over the socket, not via disk (accepted; zedis has no replication yet)",
    ),
    (
        "aof-rewrite-incremental-fsync",
        "Flush a rewritten AOF to disk bit by bit (accepted; unused by zedis)",
    ),
    (
        "no-appendfsync-on-rewrite",
        "Skip AOF fsyncs while a save or rewrite runs",
    ),
    (
        "cluster-require-full-coverage",
        "Stop serving when some hash slots have no node (accepted; zedis has no cluster mode)",
    ),
    (
        "rdb-save-incremental-fsync",
        "Flush an RDB file being saved to disk bit by bit (accepted; unused by zedis)",
    ),
    (
        "aof-load-truncated",
        "Load a truncated AOF instead of refusing to start",
    ),
    (
        "aof-use-rdb-preamble",
        "Begin rewritten AOFs with an RDB image of the data",
    ),
    ("aof-timestamp-enabled", "Write timestamps into the AOF"),
    (
        "cluster-replica-no-failover",
        "Never promote this replica automatically (accepted; zedis has no cluster mode)",
    ),
    (
        "replica-lazy-flush",
        "Free a replica's old data in the background on a full sync (accepted; zedis has no replication yet)",
    ),
    (
        "replica-serve-stale-data",
        "Serve clients while out of touch with the master (accepted; zedis has no replication yet)",
    ),
    (
        "replica-read-only",
        "Refuse writes from clients on a replica (accepted; zedis has no replication yet)",
    ),
    (
        "replica-ignore-maxmemory",
        "A replica leaves eviction to its master (accepted; zedis has no replication yet)",
    ),
    (
        "jemalloc-bg-thread",
        "Let jemalloc return freed memory to the system on a background thread",
    ),
    (
        "activedefrag",
        "Defragment memory in the background (only 'no' accepted: needs Redis's patched jemalloc)",
    ),
    ("syslog-enabled", "Also send log lines to syslog"),
    (
        "cluster-enabled",
        "Run as a Redis Cluster node (only 'no' accepted: zedis has no cluster mode)",
    ),
    ("appendonly", "Log every write to an append-only file"),
    (
        "cluster-allow-reads-when-down",
        "Serve reads while the cluster is down (accepted; zedis has no cluster mode)",
    ),
    (
        "cluster-allow-pubsubshard-when-down",
        "Serve shard Pub/Sub while the cluster is down (accepted; zedis has no cluster mode)",
    ),
    (
        "crash-log-enabled",
        "Log a report with a stack trace on a crash (accepted; unused by zedis)",
    ),
    (
        "crash-memcheck-enabled",
        "Run a quick memory test after a crash (accepted; unused by zedis)",
    ),
    (
        "use-exit-on-panic",
        "Testing aid: exit instead of aborting on a crash (accepted; unused by zedis)",
    ),
    (
        "disable-thp",
        "Turn transparent huge pages off for the process instead of warning about them",
    ),
    (
        "cluster-allow-replica-migration",
        "Let replicas move to masters left without one (accepted; zedis has no cluster mode)",
    ),
    (
        "replica-announced",
        "List this replica in Sentinel's answers (accepted; zedis has no replication yet)",
    ),
    (
        "latency-tracking",
        "Track per-command latency percentiles for INFO latencystats",
    ),
    ("aof-disable-auto-gc", "Keep old AOF files after a rewrite"),
    (
        "replica-ignore-disk-write-errors",
        "Let a replica go on when it cannot write to disk (accepted; zedis has no replication yet)",
    ),
    (
        "lua-enable-deprecated-api",
        "Let Lua scripts call deprecated Lua functions (accepted; zedis has no scripting yet)",
    ),
    // Strings.
    (
        "aclfile",
        "File of ACL users to load (only empty accepted: zedis has no ACL users yet)",
    ),
    (
        "unixsocket",
        "Path of a Unix socket to listen on (only empty accepted: zedis has no Unix socket yet)",
    ),
    (
        "pidfile",
        "File to write the process id to at startup (removed at shutdown); empty for none",
    ),
    (
        "replica-announce-ip",
        "Address a replica reports to its master (accepted; zedis has no replication yet)",
    ),
    (
        "masteruser",
        "ACL user a replica logs in to its master as (accepted; zedis has no replication yet)",
    ),
    (
        "cluster-announce-ip",
        "Address this node announces to the cluster (accepted; zedis has no cluster mode)",
    ),
    (
        "cluster-config-file",
        "File where a cluster node keeps its view of the cluster (accepted; zedis has no cluster mode)",
    ),
    (
        "cluster-announce-hostname",
        "Hostname this node announces to the cluster (accepted; zedis has no cluster mode)",
    ),
    ("syslog-ident", "Program name on syslog lines"),
    ("dbfilename", "Name of the RDB snapshot file, in dir"),
    ("appendfilename", "Base name of the append-only files"),
    (
        "appenddirname",
        "Directory in dir that holds the append-only files",
    ),
    (
        "server_cpulist",
        "CPUs to pin the main and I/O threads to, e.g. 0-3 (accepted; unused by zedis)",
    ),
    (
        "bio_cpulist",
        "CPUs to pin the background I/O threads to (accepted; unused by zedis)",
    ),
    (
        "aof_rewrite_cpulist",
        "CPUs to pin the AOF rewrite process to (accepted; zedis forks none)",
    ),
    (
        "bgsave_cpulist",
        "CPUs to pin the background save process to (accepted; zedis saves without forking)",
    ),
    (
        "ignore-warnings",
        "Startup warnings to silence, e.g. ARM64-COW-BUG (accepted; unused by zedis)",
    ),
    (
        "proc-title-template",
        "Process title ps shows when set-proc-title is on (accepted; zedis keeps its name)",
    ),
    (
        "bind-source-addr",
        "Local address of outgoing replication and cluster links (accepted; zedis makes none yet)",
    ),
    (
        "logfile",
        "File to append log lines to, reopened for each line; empty for standard output",
    ),
    (
        "masterauth",
        "Password a replica gives its master (accepted; zedis has no replication yet)",
    ),
    (
        "requirepass",
        "Password clients must give with AUTH before other commands; empty for none",
    ),
    // Enums.
    (
        "supervised",
        "Service manager to notify of readiness: systemd, auto (systemd if detected) or no",
    ),
    (
        "syslog-facility",
        "Syslog facility: user or local0 to local7",
    ),
    (
        "repl-diskless-load",
        "Whether a replica loads a full sync from the socket (accepted; zedis has no replication yet)",
    ),
    (
        "loglevel",
        "How much to log: debug, verbose, notice or warning",
    ),
    (
        "maxmemory-policy",
        "What to evict at maxmemory: {volatile,allkeys}-{lru,lfu,random}, volatile-ttl or noeviction",
    ),
    (
        "appendfsync",
        "When to fsync the AOF: always, everysec or no",
    ),
    (
        "oom-score-adj",
        "Set the process's Linux OOM-killer score: no, yes (relative to the original) or absolute",
    ),
    (
        "acl-pubsub-default",
        "Channels new ACL users may use: allchannels or resetchannels (accepted; no ACL users yet)",
    ),
    (
        "sanitize-dump-payload",
        "Check RDB and RESTORE payloads in depth: no, yes, clients (zedis always checks fully)",
    ),
    (
        "enable-protected-configs",
        "Allow CONFIG SET of dir and dbfilename: no, yes, or local (loopback clients only)",
    ),
    (
        "enable-debug-command",
        "Allow the DEBUG command: no, yes, or local (loopback clients only)",
    ),
    (
        "enable-module-command",
        "Allow the MODULE command: no, yes, or local (zedis loads no Redis modules)",
    ),
    (
        "cluster-preferred-endpoint-type",
        "How redirections name a node: ip, hostname... (accepted; zedis has no cluster mode)",
    ),
    (
        "propagation-error-behavior",
        "What a replicated or AOF command that fails does: ignore or panic (accepted; unused by zedis)",
    ),
    (
        "shutdown-on-sigint",
        "How to shut down on SIGINT: default, or save or nosave, now, force (as SHUTDOWN's flags)",
    ),
    (
        "shutdown-on-sigterm",
        "How to shut down on SIGTERM: default, or save or nosave, now, force (as SHUTDOWN's flags)",
    ),
    // Integers.
    ("databases", "Number of databases, numbered from 0"),
    ("port", "TCP port to listen on; 0 picks a free one"),
    (
        "io-threads",
        "Threads for network I/O (only 1 accepted: zedis runs on one thread)",
    ),
    (
        "auto-aof-rewrite-percentage",
        "AOF growth, in percent, that starts a rewrite; 0 never",
    ),
    (
        "cluster-replica-validity-factor",
        "How stale a replica may be and still fail over (accepted; zedis has no cluster mode)",
    ),
    (
        "list-max-listpack-size",
        "Size of each list chunk: a count of entries, or -1 to -5 for 4 KB to 64 KB",
    ),
    (
        "tcp-keepalive",
        "Seconds between TCP keepalive probes on client connections; 0 disables them",
    ),
    (
        "cluster-migration-barrier",
        "Replicas a master keeps before lending one to another (accepted; zedis has no cluster mode)",
    ),
    (
        "active-defrag-cycle-min",
        "Least CPU percent spent defragmenting (accepted; zedis has no active defrag)",
    ),
    (
        "active-defrag-cycle-max",
        "Most CPU percent spent defragmenting (accepted; zedis has no active defrag)",
    ),
    (
        "active-defrag-threshold-lower",
        "Fragmentation percent that starts defragmenting (accepted; zedis has no active defrag)",
    ),
    (
        "active-defrag-threshold-upper",
        "Fragmentation percent that gets the most effort (accepted; zedis has no active defrag)",
    ),
    (
        "lfu-log-factor",
        "How many hits it takes to raise a key's LFU counter; higher is slower",
    ),
    (
        "lfu-decay-time",
        "Idle minutes that lower a key's LFU counter by one; 0 never lowers it",
    ),
    (
        "replica-priority",
        "Rank for promotion by Sentinel; lowest wins, 0 never (accepted; zedis has no replication yet)",
    ),
    (
        "repl-diskless-sync-delay",
        "Seconds to wait for more replicas before a full sync (accepted; zedis has no replication yet)",
    ),
    (
        "maxmemory-samples",
        "Keys sampled to pick each eviction; more is more precise and slower",
    ),
    (
        "maxmemory-eviction-tenacity",
        "How long each command may spend evicting, 0 to 100; higher frees memory sooner",
    ),
    (
        "timeout",
        "Close a client after this many idle seconds; 0 never",
    ),
    (
        "replica-announce-port",
        "Port a replica reports to its master (accepted; zedis has no replication yet)",
    ),
    (
        "tcp-backlog",
        "Length of the queue of TCP connections not yet accepted",
    ),
    (
        "cluster-port",
        "Port of the cluster bus; 0 is port + 10000 (accepted; zedis has no cluster mode)",
    ),
    (
        "cluster-announce-bus-port",
        "Cluster bus port this node announces (accepted; zedis has no cluster mode)",
    ),
    (
        "cluster-announce-port",
        "Client port this node announces to the cluster (accepted; zedis has no cluster mode)",
    ),
    (
        "cluster-announce-tls-port",
        "TLS port this node announces to the cluster (accepted; zedis has no cluster mode)",
    ),
    (
        "repl-timeout",
        "Seconds of silence before a replication link is lost (accepted; zedis has no replication yet)",
    ),
    (
        "repl-ping-replica-period",
        "Seconds between a master's pings to its replicas (accepted; zedis has no replication yet)",
    ),
    (
        "list-compress-depth",
        "List chunks left uncompressed at each end; 0 is off (accepted; zedis does not compress yet)",
    ),
    (
        "rdb-key-save-delay",
        "Testing aid: microseconds a save waits after each key",
    ),
    (
        "key-load-delay",
        "Testing aid: microseconds a load waits after each key",
    ),
    (
        "active-expire-effort",
        "Effort spent removing expired keys in the background, 1 to 10",
    ),
    (
        "hz",
        "Background task runs per second (expiry, timeouts, saves), 1 to 500",
    ),
    (
        "min-replicas-to-write",
        "Refuse writes with fewer replicas in touch; 0 is off (accepted; zedis has no replication yet)",
    ),
    (
        "min-replicas-max-lag",
        "Seconds of lag a replica may have and still count (accepted; zedis has no replication yet)",
    ),
    (
        "watchdog-period",
        "Testing aid: log a stack trace of commands slower than this many ms (accepted; unused by zedis)",
    ),
    (
        "shutdown-timeout",
        "Seconds a shutdown waits for replicas to catch up (accepted; zedis has no replication yet)",
    ),
    (
        "repl-diskless-sync-max-replicas",
        "Start a full sync once this many replicas wait (accepted; zedis has no replication yet)",
    ),
    // Unsigned integers.
    (
        "maxclients",
        "Most clients connected at once (lowered when file descriptors are short)",
    ),
    (
        "unixsocketperm",
        "Permissions of the Unix socket, in octal (accepted; zedis has no Unix socket yet)",
    ),
    (
        "socket-mark-id",
        "Routing mark to set on the listening socket (accepted; unused by zedis)",
    ),
    (
        "active-defrag-max-scan-fields",
        "Collections bigger than this are defragmented apart (accepted; zedis has no active defrag)",
    ),
    ("slowlog-max-len", "Entries the slow log keeps"),
    (
        "acllog-max-len",
        "Entries the ACL LOG keeps (accepted; zedis has no ACL users yet)",
    ),
    // Long longs.
    (
        "busy-reply-threshold",
        "Milliseconds a script may run before others get BUSY (accepted; zedis has no scripting yet)",
    ),
    (
        "cluster-node-timeout",
        "Milliseconds a node may be unreachable before it fails (accepted; zedis has no cluster mode)",
    ),
    (
        "slowlog-log-slower-than",
        "Microseconds a command must take to enter the slow log; 0 logs all, -1 none",
    ),
    (
        "latency-monitor-threshold",
        "Milliseconds an event must take for the latency monitor to record it; 0 is off",
    ),
    (
        "proto-max-bulk-len",
        "Longest bulk string a client request may carry",
    ),
    (
        "stream-node-max-entries",
        "Most entries in one stream node (accepted; zedis has no streams yet)",
    ),
    (
        "repl-backlog-size",
        "Writes kept for replicas to resync from (accepted; zedis has no replication yet)",
    ),
    // Unsigned long longs.
    (
        "maxmemory",
        "Memory limit; when reached, maxmemory-policy decides what to evict (0: no limit)",
    ),
    (
        "cluster-link-sendbuf-limit",
        "Bytes a cluster link may buffer before it is dropped (accepted; zedis has no cluster mode)",
    ),
    // Sizes.
    (
        "hash-max-listpack-entries",
        "Most fields a hash may have and stay a compact listpack",
    ),
    (
        "set-max-intset-entries",
        "Most members a set of integers may have and stay a compact intset",
    ),
    (
        "zset-max-listpack-entries",
        "Most members a sorted set may have and stay a compact listpack",
    ),
    (
        "active-defrag-ignore-bytes",
        "Fragmented bytes below which nothing is defragmented (accepted; zedis has no active defrag)",
    ),
    (
        "hash-max-listpack-value",
        "Longest field or value a hash may hold and stay a compact listpack",
    ),
    (
        "stream-node-max-bytes",
        "Most bytes in one stream node (accepted; zedis has no streams yet)",
    ),
    (
        "zset-max-listpack-value",
        "Longest member a sorted set may hold and stay a compact listpack",
    ),
    (
        "hll-sparse-max-bytes",
        "Size beyond which a sparse HyperLogLog is made dense",
    ),
    (
        "tracking-table-max-keys",
        "Most keys client-side caching tracks; 0 is no limit",
    ),
    (
        "client-query-buffer-limit",
        "Most bytes of unread requests a client may have before it is closed",
    ),
    (
        "maxmemory-clients",
        "Memory all clients may use, bytes or % of maxmemory; over it the biggest close (0 is off)",
    ),
    (
        "set-max-listpack-entries",
        "Most members a set of strings may have and stay a compact listpack (as in Redis 7.2)",
    ),
    (
        "set-max-listpack-value",
        "Longest member a set may hold and stay a compact listpack (as in Redis 7.2)",
    ),
    // Other numbers.
    (
        "repl-backlog-ttl",
        "Seconds without replicas before the backlog is freed (accepted; zedis has no replication yet)",
    ),
    (
        "auto-aof-rewrite-min-size",
        "Least AOF size for an automatic rewrite",
    ),
    (
        "loading-process-events-interval-bytes",
        "Bytes a load reads between two turns of serving clients",
    ),
    // TLS.
    (
        "tls-port",
        "Port for TLS connections; 0 is off (only 0 accepted: zedis has no TLS yet)",
    ),
    (
        "tls-session-cache-size",
        "Most TLS sessions cached for resumption (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-session-cache-timeout",
        "Seconds a cached TLS session stays valid (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-cluster",
        "Use TLS on the cluster bus (only 'no' accepted: zedis has no TLS yet)",
    ),
    (
        "tls-replication",
        "Use TLS on replication links (only 'no' accepted: zedis has no TLS yet)",
    ),
    (
        "tls-auth-clients",
        "Require client certificates: yes, no or optional (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-prefer-server-ciphers",
        "Prefer the server's cipher order to the client's (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-session-caching",
        "Let TLS clients resume earlier sessions (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-cert-file",
        "Server certificate, in PEM (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-key-file",
        "Private key of the server certificate (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-key-file-pass",
        "Passphrase of tls-key-file (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-client-cert-file",
        "Certificate for outgoing connections (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-client-key-file",
        "Private key of tls-client-cert-file (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-client-key-file-pass",
        "Passphrase of tls-client-key-file (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-dh-params-file",
        "Diffie-Hellman parameters file (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-ca-cert-file",
        "CA certificates that verify peers, in one file (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-ca-cert-dir",
        "Directory of CA certificates that verify peers (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-protocols",
        "TLS versions allowed, e.g. \"TLSv1.2 TLSv1.3\" (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-ciphers",
        "Ciphers allowed up to TLS 1.2 (accepted; zedis has no TLS yet)",
    ),
    (
        "tls-ciphersuites",
        "Cipher suites allowed in TLS 1.3 (accepted; zedis has no TLS yet)",
    ),
    // Special.
    (
        "dir",
        "Working directory, where the RDB file is written and read",
    ),
    (
        "save",
        "Save a snapshot after <seconds> if <changes> writes, in pairs; \"\" never saves",
    ),
    (
        "client-output-buffer-limit",
        "Per class (normal, replica, pubsub): hard limit, soft limit, seconds allowed over soft",
    ),
    (
        "oom-score-adj-values",
        "OOM scores for a master, a replica and a child process (zedis uses the first)",
    ),
    (
        "notify-keyspace-events",
        "Keyspace event classes to publish, as letters (e.g. KEA); empty for none",
    ),
    (
        "bind",
        "Addresses to listen on (* or ::* for all); a leading - makes one optional",
    ),
    (
        "replicaof",
        "Replicate <host> <port> (only 'no one' accepted: zedis has no replication yet)",
    ),
    (
        "latency-tracking-info-percentiles",
        "Percentiles INFO latencystats reports, e.g. 50 99 99.9",
    ),
];

/// What the parameter `name` (or its alias, in any case) is for, in one sentence; `None` for
/// a name that is not a parameter.
pub fn description(name: &str) -> Option<&'static str> {
    let param = lookup(name)?;
    DESCRIPTIONS
        .iter()
        .find(|(described, _)| *described == param.name)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::params::PARAMS;

    #[test]
    fn every_parameter_has_one_short_description() {
        for param in PARAMS {
            let text = description(param.name);
            assert!(text.is_some(), "{} has no description", param.name);
            let text = text.unwrap_or_default();
            // One line in `--help`, next to nothing but the default.
            assert!(
                text.len() <= 100 && !text.contains('\n'),
                "{}: {} characters",
                param.name,
                text.len()
            );
        }
    }

    #[test]
    fn no_description_is_stale() {
        for (index, (name, _)) in DESCRIPTIONS.iter().enumerate() {
            assert!(
                PARAMS.iter().any(|param| param.name == *name),
                "{name} is described but is not a parameter"
            );
            assert!(
                DESCRIPTIONS[..index].iter().all(|(other, _)| other != name),
                "{name} is described twice"
            );
        }
        assert_eq!(description("slaveof"), description("replicaof"));
        assert_eq!(description("no-such-parameter"), None);
    }
}
