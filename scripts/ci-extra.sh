#!/usr/bin/env bash
# ci-extra.sh - the reliability part of CI (docs/reliability.md), run by
# .ci/run after the main tests. Two builds of its own, each ending with
# meson's summary ("Ok: N", "Fail: N", ...) that .ci/run adds to its count:
#   1. build-ci-asan: gcc with -Db_sanitize=address,undefined and -Dfuzz=true
#      (which, without clang, builds the fuzz harnesses as replay drivers).
#      Runs the unit tests, the replay of every fuzz seed and regression input
#      (tests/regress/), the end-to-end command tests (build-graph, train,
#      eval, infer: suite cli) and the hostile-input and readers/writers tests.
#      Sanitizer reports go to files (log_path), so a report from a command
#      whose exit code a test does not check is still caught: the step fails
#      if any report file exists ("sanitizer reports: N" is one more check).
#   2. build-ci-fuzz: clang with -Dfuzz=true; each libFuzzer harness replays
#      its regression inputs, then fuzzes for $GNNREC_FUZZ_SECONDS (default
#      20) from its seed corpus. Skipped (with a message) when clang and its
#      libFuzzer runtime cannot be had.
# Installs clang-14 and libclang-rt-14-dev when missing (like scripts/deps.sh).
# Exit status: 0 when every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
pre=${GNNREC_CI_BUILD_PREFIX:-build-ci}   # build dirs: $pre-asan, $pre-fuzz

echo "== ci-extra: sanitizer build (address, undefined)"
reports=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-sanitizer-XXXXXX")
if [ ! -f "$pre-asan"/build.ninja ]; then
  CC=gcc meson setup "$pre-asan" --buildtype=debugoptimized -Dnative=false -Db_sanitize=address,undefined \
    -Dfuzz=true >/dev/null || status=1
fi
if [ $status -eq 0 ] && ninja -C "$pre-asan" >/dev/null; then
  ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$reports/asan" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
    meson test -C "$pre-asan" --print-errorlogs --num-processes 2 \
      --suite unit --suite fuzz-replay --suite cli --suite reliability --timeout-multiplier 3 || status=1
else
  echo "FAIL: the sanitizer build does not build"; status=1
fi
nrep=$(find "$reports" -type f | wc -l)
for f in "$reports"/*; do [ -f "$f" ] && { echo "== sanitizer report $f"; head -n 60 "$f"; }; done
rm -rf "$reports"
# one more line in meson's summary format, so .ci/run counts it
echo "sanitizer reports: $nrep"
if [ "$nrep" -eq 0 ]; then echo "Ok:                 1"; else echo "Fail:               1"; status=1; fi

# 20 s each in CI (7 harnesses): the whole CI stays under its 15 minutes
export GNNREC_FUZZ_SECONDS=${GNNREC_FUZZ_SECONDS:-20}
echo "== ci-extra: libFuzzer harnesses, ${GNNREC_FUZZ_SECONDS}s each"
cc=$(command -v clang-14 || command -v clang || true)
if [ -z "$cc" ] || ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' |
     "$cc" -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  echo "installing clang-14 and libclang-rt-14-dev for libFuzzer" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang-14 libclang-rt-14-dev; } >/dev/null 2>&1
  cc=$(command -v clang-14 || command -v clang || true)
fi
if [ -n "$cc" ] && echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' |
     "$cc" -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  if [ ! -f "$pre-fuzz"/build.ninja ]; then
    CC="$cc" meson setup "$pre-fuzz" --buildtype=debugoptimized -Dnative=false -Dfuzz=true >/dev/null || status=1
  fi
  if [ -f "$pre-fuzz"/build.ninja ]; then
    meson test -C "$pre-fuzz" --print-errorlogs --num-processes 2 --suite fuzz || status=1
  fi
else
  echo "no clang with libFuzzer here: fuzzing skipped"
  echo "Skipped:            1"
fi
echo "ci-extra: ${SECONDS}s"
exit $status
