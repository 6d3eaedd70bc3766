#!/usr/bin/env bash
# build.sh - configure (once) and build gnnrec in ./build (release, -O3, -march=native).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
