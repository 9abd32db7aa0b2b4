#!/usr/bin/env bash
# Bitmaps, HyperLogLog and geo, zedis against Debian's redis-server 7.0.15 in one run:
# requests/s and server CPU per request of BITCOUNT, PFADD, PFCOUNT and GEOSEARCH loads, and
# bytes per key of small bitmaps and HyperLogLogs. Writes docs/data-types.md (`--quick`: small
# counts, printed only). Run on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install redis-server redis-tools" >&2; exit 1; }
done
cargo build --release -p zedis-server -p redis-tests --bin zedis-server --bin types_bench
if [[ "${1:-}" == "--quick" ]]; then
    target/release/types_bench target/release/zedis-server --quick
else
    target/release/types_bench target/release/zedis-server > docs/data-types.md.new
    mv docs/data-types.md.new docs/data-types.md
    echo "wrote docs/data-types.md"
fi
