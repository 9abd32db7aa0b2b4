#!/usr/bin/env bash
# Runs the comparison report (redis-tests/src/bin/compare.rs) against the reference
# redis-server and a release build of zedis, and writes it to docs/benchmarks.md.
# Pass --quick for a fast check of the script itself (small counts; prints to stdout only).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install redis-server redis-tools" >&2; exit 1; }
done
cargo build --release -p zedis-server -p redis-tests --bin zedis-server --bin compare
if [[ "${1:-}" == "--quick" ]]; then
    target/release/compare target/release/zedis-server --quick
else
    target/release/compare target/release/zedis-server > docs/benchmarks.md
    echo "wrote docs/benchmarks.md"
fi
