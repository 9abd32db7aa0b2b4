#!/usr/bin/env bash
# Runs the comparison report (redis-tests/src/bin/compare.rs) against the reference
# redis-server and a release build of zedis, then zmalloc's counting benchmark, and writes both
# to docs/benchmarks.md. Pass --quick for a fast check of the script itself (small counts;
# prints to stdout only). Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install redis-server redis-tools" >&2; exit 1; }
done
cargo build --release -p zedis-server -p redis-tests --bin zedis-server --bin compare

allocator_section() {
    echo
    echo "### zmalloc's counting cost: \`cargo bench -p zmalloc --bench counting -- interleaved\`"
    echo
    echo "One alloc+free pair of 16–256 bytes, every thread allocating at once; CPU time of each"
    echo "thread, so a descheduled thread does not count its wait."
    echo
    cargo bench -p zmalloc --bench counting -- interleaved 2>/dev/null | sed -n '/^interleaved/,$p'
}

if [[ "${1:-}" == "--quick" ]]; then
    target/release/compare target/release/zedis-server --quick
else
    {
        target/release/compare target/release/zedis-server
        allocator_section
    } > docs/benchmarks.md.new
    mv docs/benchmarks.md.new docs/benchmarks.md
    echo "wrote docs/benchmarks.md"
fi
