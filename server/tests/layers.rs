//! The server's lower layers stay below: the data structures (`db/`, `types/`) name nothing of
//! clients, commands, the network, INFO or server state. Checked on the source text, so a new
//! `use` of a higher module fails here before it can form an import circle.

use std::path::Path;

/// Modules above the keyspace and its data structures.
const HIGHER: &[&str] = &[
    "crate::server",
    "crate::cmd",
    "crate::net",
    "crate::info",
    "crate::client",
    "crate::stats",
    "crate::memory",
    "crate::cron",
    "crate::latency",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn data_structures_import_nothing_above_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for layer in ["db", "types"] {
        rust_files(&src.join(layer), &mut files);
    }
    assert!(files.len() > 10, "found {} files", files.len());
    let mut offences = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for (n, line) in text.lines().enumerate() {
            for higher in HIGHER {
                if line.contains(higher) {
                    offences.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}
