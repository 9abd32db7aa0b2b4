#!/usr/bin/env bash
# Checks the server's top-level modules for import circles from the compiler's view of the
# code (cargo-modules), beside the textual check in server/tests/layers.rs. Prints the modules
# in dependency order, top first, or the circle and exits 1.
# Needs cargo-modules: `cargo install cargo-modules --version 0.27.0 --locked` (0.27 is the
# last release that builds with rustc 1.95).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-modules >/dev/null || {
    echo "cargo-modules is missing: cargo install cargo-modules --version 0.27.0 --locked" >&2
    exit 2
}
# "uses" edges between modules only, reduced to their top-level modules under `zedis::`.
cargo modules dependencies -p zedis-server --lib --no-fns --no-types --no-traits \
    --no-externs --no-sysroot --no-owns 2>/dev/null |
    sed -n 's/^ *"zedis::\([a-z_]*\)[^"]*" -> "zedis::\([a-z_]*\)[^"]*" \[label="uses".*/\1 \2/p' |
    awk '$1 != $2' | sort -u > "${TMPDIR:-/tmp}/zedis-module-edges"
# tsort reports a loop on stderr and exits non-zero if the graph has a circle.
if ! tsort "${TMPDIR:-/tmp}/zedis-module-edges" 2>"${TMPDIR:-/tmp}/zedis-module-loops"; then
    cat "${TMPDIR:-/tmp}/zedis-module-loops" >&2
    exit 1
fi
