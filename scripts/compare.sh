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

# Median time of one alloc+free pair from criterion's estimates, in ns.
median_ns() {
    sed -E 's/.*"median":\{"confidence_interval":\{[^}]*\},"point_estimate":([0-9.eE+-]+).*/\1/' \
        "target/criterion/alloc_free_pair_$1/$2/new/estimates.json"
}

allocator_section() {
    cargo bench -p zmalloc --bench counting -- --noplot >/dev/null 2>&1
    echo
    echo "### zmalloc's counting cost: \`cargo bench -p zmalloc --bench counting\`"
    echo
    echo "One alloc+free pair of 16–256 bytes, every thread allocating at once (criterion medians)."
    echo
    echo "| threads | bare jemalloc ns | one shared atomic (Redis 7.0) ns | zmalloc per-thread counters ns | zmalloc / bare |"
    echo "|---:|---:|---:|---:|---:|"
    for threads in 1 2; do
        local bare shared ours
        bare=$(median_ns "${threads}_thread" jemalloc)
        shared=$(median_ns "${threads}_thread" shared_atomic)
        ours=$(median_ns "${threads}_thread" zmalloc_per_thread)
        awk -v t="$threads" -v b="$bare" -v s="$shared" -v o="$ours" \
            'BEGIN { printf "| %d | %.2f | %.2f | %.2f | %.2f |\n", t, b, s, o, o / b }'
    done
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
