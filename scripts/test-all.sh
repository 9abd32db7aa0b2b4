#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs what the tests need (Debian's
# redis-server/redis-tools for the reference server and tools, redis-sentinel and nutcracker for
# the failover and sharding tests, gperftools for the tcmalloc
# backend, tcl and dpkg-dev for Redis's own test suite), then formatting, lints, all workspace
# tests (integration and compatibility suites included), the zmalloc/sds suites again on every
# allocator backend, and Redis 7.0.15's TCL suite against a release build of zedis, judged by
# redis-tests/suite-expectations.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
{ command -v redis-cli && command -v redis-benchmark; } >/dev/null || missing+=(redis-tools)
command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
command -v nutcracker >/dev/null || missing+=(nutcracker)
[ -e /usr/include/gperftools/tcmalloc.h ] || missing+=(libgoogle-perftools-dev)
command -v tclsh >/dev/null || missing+=(tcl)
command -v dpkg-source >/dev/null || missing+=(dpkg-dev)
if ((${#missing[@]})); then
    echo "==> installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "==> cargo fmt"
cargo fmt --all -- --check

echo "==> cargo clippy (default backend: jemalloc)"
cargo clippy --workspace --all-targets -- -D warnings

echo "==> cargo test (workspace)"
cargo test --workspace

for backend in libc-malloc prefix-size tcmalloc; do
    echo "==> zmalloc and sds on the $backend backend"
    cargo clippy -p zmalloc -p sds --all-targets --no-default-features --features "$backend" -- -D warnings
    cargo test -p zmalloc -p sds --no-default-features --features "$backend"
done

echo "==> Redis 7.0.15's own test suite against zedis (fetched from Debian's source package)"
cargo build --release -p zedis-server
cargo run -q -p redis-tests --bin suite -- --zedis target/release/zedis-server

echo "==> all tests passed"
