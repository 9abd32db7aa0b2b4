//! The server's modules form a one-way chain, bottom to top:
//!
//! `util`, `version`, `clock`, `config` → `log`, `process` (the host process: log lines,
//! daemonizing, supervision) → `protocol` (arguments, errors, reply encoder,
//! buffers) → `store` (records, the key table) → `types` (collections) → `db` (the keyspace)
//! → `latency`, `stats`, `oom_score`, `pubsub`, `tracking`, `client` → `memory` (readings, key and client eviction)
//! → `server` (the shared state) → `cmd` (commands, INFO) → `net`, `cron` (the tasks that
//! drive them).
//!
//! Checked on the source text: each layer names no module above it, so a new `use` that would
//! close an import circle fails here. (`cargo modules dependencies -p zedis-server --lib
//! --no-fns --no-types --no-traits --no-externs --no-sysroot --no-owns` draws the same graph
//! from the compiler's view; `docs/architecture.md` says how to check it for cycles.)

use std::path::{Path, PathBuf};

/// The layers, bottom to top: each layer's files (or directories) under `src/`, and the
/// module names by which a lower layer would reach it. A layer must not name any layer above.
const LAYERS: &[(&[&str], &[&str])] = &[
    (&["util", "version.rs", "clock.rs", "config"], &[]),
    (&["log.rs", "process.rs"], &["crate::log", "crate::process"]),
    (&["protocol"], &["crate::protocol"]),
    (&["store"], &["crate::store"]),
    (&["types"], &["crate::types"]),
    (&["db"], &["crate::db"]),
    (&["rdb"], &["crate::rdb"]),
    (&["aof"], &["crate::aof"]),
    (&["script"], &["crate::script"]),
    (
        &[
            "latency.rs",
            "stats.rs",
            "oom_score.rs",
            "pubsub.rs",
            "tracking.rs",
            "client.rs",
        ],
        &[
            "crate::latency",
            "crate::stats",
            "crate::oom_score",
            "crate::pubsub",
            "crate::tracking",
            "crate::client",
        ],
    ),
    (&["memory"], &["crate::memory"]),
    (&["server"], &["crate::server"]),
    (&["cmd"], &["crate::cmd"]),
    (&[], &["crate::net", "crate::cron"]),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("source directory") {
            rust_files(&entry.expect("entry").path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn no_layer_names_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offences = Vec::new();
    let mut checked = 0;
    for (rank, (layer, _)) in LAYERS.iter().enumerate() {
        let forbidden: Vec<&str> = LAYERS[rank + 1..]
            .iter()
            .flat_map(|(_, names)| names.iter().copied())
            .collect();
        let mut files = Vec::new();
        for part in *layer {
            let path = src.join(part);
            assert!(
                path.exists(),
                "{} is gone: update the layer rules",
                path.display()
            );
            rust_files(&path, &mut files);
        }
        checked += files.len();
        for file in &files {
            let text = std::fs::read_to_string(file).expect("readable");
            for (n, line) in text.lines().enumerate() {
                // The check reads module names off paths, so paths must spell them out.
                if line.contains("crate::{") || line.contains("super::super") {
                    offences.push(format!(
                        "{}:{}: name the module in the path: {}",
                        file.display(),
                        n + 1,
                        line.trim()
                    ));
                }
                for module in &forbidden {
                    if line.contains(module) {
                        offences.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(checked > 40, "checked {checked} files");
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}
