# lib.sh - what the command-line tests share; sourced, not run.
# Sets g (the gnnrec binary, the test's first argument), tmp (a temporary
# directory removed on exit) and the counters behind check(); each test ends
# with `report`, which prints "N checks, M failed" and sets the exit status.
g=${1:?usage: $(basename "$0") PATH/TO/gnnrec}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0; failed=0
check() {   # check "what" command...
  local what=$1; shift
  n=$((n + 1))
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failed=$((failed + 1)); fi
}
jget() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" <<<"$1"; }   # jget JSON key
report() {
  echo "$n checks, $failed failed"
  [ "$failed" -eq 0 ]
}
small_store() {   # small_store STORE: 1,000 users x 500 items in 5 communities (generate seed 3), 20% test
  $g generate --out "$tmp/gen.$$" --interactions 20000 --users 1000 --items 500 --communities 5 \
    --test-fraction 0.2 --seed 3 2>/dev/null &&
  $g build-graph --store "$1" --format adj --interactions "$tmp/gen.$$/train.txt" --test "$tmp/gen.$$/test.txt" >/dev/null
}
