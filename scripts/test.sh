#!/usr/bin/env bash
# test.sh - the README's test command: install what is missing, build, and
# run every test (unit tests, command-line tests, and the integration tests
# on ../shared/data, which skip with a message when the data is absent).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
meson test -C build --print-errorlogs "$@"
