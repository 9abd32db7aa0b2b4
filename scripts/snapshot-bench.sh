#!/usr/bin/env bash
# Background saves and AOF rewrites under a write load, zedis against Debian's redis-server
# 7.0.15 in one run: memory of the process tree during the save, SET rate during it, save and
# load time.
# Writes docs/snapshots.md (`--quick`: small dataset, printed only). Run on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install redis-server redis-tools" >&2; exit 1; }
done
cargo build --release -p zedis-server -p redis-tests --bin zedis-server --bin snapshot
if [[ "${1:-}" == "--quick" ]]; then
    target/release/snapshot target/release/zedis-server --quick
    target/release/snapshot target/release/zedis-server --quick --aof
else
    {
        target/release/snapshot target/release/zedis-server
        echo
        target/release/snapshot target/release/zedis-server --aof | sed '1s/^# /## /'
    } > docs/snapshots.md.new
    mv docs/snapshots.md.new docs/snapshots.md
    echo "wrote docs/snapshots.md"
fi
