//! The `# Keyspace` section of `INFO`.

use std::fmt::Write;

use crate::server::Server;

/// `db<N>:keys=<n>,expires=<n>,avg_ttl=<ms>` for every non-empty database.
pub fn keyspace_section(server: &Server) -> String {
    let mut out = String::new();
    for (index, db) in server.keyspace.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "db{index}:keys={},expires={},avg_ttl={}\r\n",
            db.len(),
            db.expires_len(),
            db.avg_ttl
        );
    }
    out
}
