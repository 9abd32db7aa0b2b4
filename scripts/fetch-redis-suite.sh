#!/usr/bin/env bash
# Unpacks Redis 7.0.15's test suite from Debian's source package of redis into a cache
# directory (default: target/redis-suite), with Debian's patches applied, for
# `redis-tests/src/bin/suite.rs`. Nothing of the suite is ever committed.
#
# Enables `deb-src` for the suites apt already uses when no source entry is configured (root or
# sudo), then `apt-get source --download-only redis` and `dpkg-source -x`.
set -euo pipefail
cache="${1:-target/redis-suite}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

if [ -f "$cache/redis-7.0.15/tests/test_helper.tcl" ]; then
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

available=$(apt-cache showsrc redis 2>/dev/null || true)
if ! grep -q '^Version: 5:7\.0\.15' <<<"$available"; then
    echo "==> enabling deb-src for the configured Debian suites"
    for sources in /etc/apt/sources.list.d/*.sources; do
        [ -f "$sources" ] || continue
        # deb822 files: a stanza of `Types: deb` also serves sources.
        $sudo sed -i 's/^Types: deb$/Types: deb deb-src/' "$sources"
    done
    if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
        grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
            $sudo tee /etc/apt/sources.list.d/zedis-deb-src.list >/dev/null
    fi
    $sudo apt-get update -qq
fi

command -v dpkg-source >/dev/null || {
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dpkg-dev >/dev/null
}

download="$cache/download"
rm -rf "$download" "$cache/redis-7.0.15.partial"
mkdir -p "$download"
(cd "$download" && apt-get source --download-only -qq redis >/dev/null 2>&1) || true
dsc=$(ls "$download"/redis_7.0.15-*.dsc 2>/dev/null | head -n 1)
if [ -z "$dsc" ]; then
    echo "Debian's source package of redis 7.0.15 could not be downloaded" >&2
    exit 1
fi
# Unpack beside the final place and move it in only once complete.
dpkg-source --no-check -x "$dsc" "$cache/redis-7.0.15.partial" >/dev/null
mv "$cache/redis-7.0.15.partial" "$cache/redis-7.0.15"
# dpkg-source leaves a link to the upstream tarball beside what it unpacked.
rm -rf "$download" "$cache"/redis_7.0.15*.tar.*
echo "==> Redis 7.0.15's test suite unpacked in $cache/redis-7.0.15 ($(basename "$dsc" .dsc))"
