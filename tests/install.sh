#!/usr/bin/env bash
# install.sh - the installed library (issue 16): `meson install --destdir`
# puts bin/gnnrec, lib/libgnnrec.{so,a}, include/gnnrec.h, gnnrec.pc and
# man1/gnnrec.1 in place; examples/topk.c builds against it through
# `pkg-config --cflags --libs gnnrec` (shared, and --static) and prints the
# same items in the same order, with the same scores, as
# `gnnrec infer --users U --k 10` for several users and models (lightgcn,
# pop, gf-cf); an unknown
# user exits non-zero with a message naming it; the man page lists every
# command of `gnnrec --help`.
# usage: install.sh PATH/TO/gnnrec BUILD_DIR SOURCE_DIR CC...
set -u
. "$(dirname "$0")/lib.sh"
build=$2 src=$3
shift 3; shift   # the rest is the C compiler's command
cc=("$@")
D="$tmp/D"
# --no-rebuild: meson test built everything already, and ninja must not run inside the test
if ! meson install -C "$build" --destdir "$D" --no-rebuild --quiet >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"
  check "meson install --destdir succeeds" false
  report; exit
fi
pc=$(find "$D" -name gnnrec.pc | head -1)
check "gnnrec.pc installed" test -n "$pc"
check "bin/gnnrec installed" test -n "$(find "$D" -path '*/bin/gnnrec' -type f)"
check "libgnnrec.so installed" test -n "$(find "$D" -name 'libgnnrec.so*' | head -1)"
check "libgnnrec.a installed" test -n "$(find "$D" -name libgnnrec.a)"
check "include/gnnrec.h installed" test -n "$(find "$D" -path '*/include/gnnrec.h')"
man=$(find "$D" -path '*/man1/gnnrec.1' | head -1)
check "man1/gnnrec.1 installed" test -n "$man"
missing=""
for c in $($g --help | sed -n '/^commands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
  grep -q "^\.SS $c\$" "$man" || missing="$missing $c"
done
check "the man page has a section for each command of gnnrec --help (missing:$missing)" test -z "$missing"
so=$(find "$D" -name 'libgnnrec.so' | head -1)
check "the .so exports gnnrec_ names only" test "$(nm -D --defined-only "$so" | awk '$2 == "T" && $3 !~ /^gnnrec_/' | wc -l)" -eq 0

# the installed paths are under $D: pkg-config's sysroot puts them there
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$D
flags=$(pkg-config --cflags --libs gnnrec)
check "pkg-config --cflags --libs gnnrec ($flags)" test -n "$flags"
"${cc[@]}" -std=c11 -Wall -o "$tmp/topk" "$src/examples/topk.c" $flags 2>"$tmp/cc.log"
check "examples/topk.c builds against the installed shared library" test -x "$tmp/topk"
cat "$tmp/cc.log"
# static libgnnrec.a, its dependencies shared (`pkg-config --static` would
# want igraph's own static dependencies, glpk and arpack, which Debian's
# libigraph-dev does not need installed): gnnrec.pc's Requires.private and
# Libs.private
privs=$(sed -n 's/^Libs.private: //p' "$pc")
"${cc[@]}" -std=c11 -Wall -o "$tmp/topk_static" "$src/examples/topk.c" \
  $(pkg-config --cflags gnnrec) "$(dirname "$(find "$D" -name libgnnrec.a)")/libgnnrec.a" \
  $(pkg-config --libs $(pkg-config --print-requires-private gnnrec)) $privs 2>"$tmp/cc_static.log"
check "examples/topk.c links against the installed static library" test -x "$tmp/topk_static"
check "and that one does not load libgnnrec.so" bash -c "! ldd '$tmp/topk_static' | grep -q libgnnrec"
cat "$tmp/cc_static.log"
export LD_LIBRARY_PATH=$(dirname "$so")

$g generate --out "$tmp/data" --users 200 --items 150 --communities 4 --min-items 6 --max-items 20 2>/dev/null
s="$tmp/store"
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split random:0.2 --seed 3 >/dev/null
$g train --store "$s" --model lg --epochs 5 --dim 16 --batch-size 256 --eval-every 0 >/dev/null 2>&1
$g train --store "$s" --model pop --arch pop >/dev/null 2>&1
$g train --store "$s" --model gf --arch gf-cf --svd-k 16 --alpha 0.3 >/dev/null 2>&1   # a graph filter: the scorer callback
users=$(cut -f1 "$tmp/data/interactions.tsv" | sort -u | shuf -n 6 --random-source=<(yes))
for m in lg pop gf; do
  for u in $users; do
    $g infer --store "$s" --model $m --users "$u" --k 10 | cut -f3,4 > "$tmp/want"
    "$tmp/topk" "$s" $m "$u" > "$tmp/got"
    check "topk $m $u: $(wc -l < "$tmp/got") lines, equal to infer --users $u --k 10" \
      cmp -s "$tmp/want" "$tmp/got"
  done
done
u=$(echo "$users" | head -1)
"$tmp/topk_static" "$s" lg "$u" > "$tmp/got_static" 2>/dev/null
$g infer --store "$s" --model lg --users "$u" --k 10 | cut -f3,4 > "$tmp/want"
check "the statically linked topk prints the same" cmp -s "$tmp/want" "$tmp/got_static"
check "10 lines for a user with enough items" test "$(wc -l < "$tmp/want")" -eq 10

"$tmp/topk" "$s" lg no-such-user > "$tmp/out" 2> "$tmp/err"
rc=$?
check "an unknown user exits non-zero ($rc)" test "$rc" -ne 0
check "and names the user" grep -q "no-such-user" "$tmp/err"
check "and prints nothing on stdout" test ! -s "$tmp/out"
"$tmp/topk" "$s" nope "$u" > /dev/null 2> "$tmp/err"
check "an unknown model exits non-zero, listing the models" grep -q "models: gf, lg, pop" "$tmp/err"
"$tmp/topk" "$tmp/nowhere" lg "$u" > /dev/null 2> "$tmp/err"
check "a missing store exits non-zero with a message" test -s "$tmp/err"
report
