#!/usr/bin/env bash
# Pub/Sub fan-out, zedis against Debian's redis-server 7.0.15 in one run: messages delivered
# per second and server CPU per delivered message with 1, 100 and 1 000 subscribers on one
# channel and 100 pattern subscribers. Writes docs/pubsub.md (`--quick`: small counts, printed
# only). Run on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install redis-server" >&2; exit 1; }
cargo build --release -p zedis-server -p redis-tests --bin zedis-server --bin pubsub_bench
if [[ "${1:-}" == "--quick" ]]; then
    target/release/pubsub_bench target/release/zedis-server --quick
else
    target/release/pubsub_bench target/release/zedis-server > docs/pubsub.md.new
    mv docs/pubsub.md.new docs/pubsub.md
    echo "wrote docs/pubsub.md"
fi
