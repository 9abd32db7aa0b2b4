//! The `# Keyspace` section of `INFO`.

use std::fmt::Write;

use super::Keyspace;

/// `db<N>:keys=<n>,expires=<n>,avg_ttl=<ms>` for every non-empty database.
pub fn keyspace_section(keyspace: &Keyspace) -> String {
    let mut out = String::new();
    for (index, db) in keyspace.dbs.iter().enumerate() {
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
