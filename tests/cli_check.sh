#!/usr/bin/env bash
# cli_check.sh - `gnnrec check` and the per-blob checksums (issue 20):
#  - fresh stores (every model kind: lightgcn with an index, a staging of
#    an interrupted run, gf-cf, pop) pass: exit 0, every blob checked;
#  - one byte flipped in a model blob: check exits 1 naming the blob, and
#    eval / infer refuse to load it ("corrupt model blob emb", exit 1, no
#    output) instead of serving other numbers; a flipped meta record too;
#  - an edges:train key with a node id past the count, an id map whose
#    external id maps to another dense id, a recorded entry count (LMDB's
#    md_entries) one short of the entries: check exits 1 with that line
#    (and eval, whose loader sizes its arrays by that count, says "corrupt
#    store" instead of dropping an edge);
#  - stores saved before checksums (the v1 fixture; a v2 store with its
#    crc blobs removed) pass with "no checksum" noted, and evaluate exactly
#    as before;
#  - usage errors exit 2.
# usage: cli_check.sh PATH/TO/gnnrec   (needs mdb_dump/mdb_load/mdb_stat, perl)
set -u
. "$(dirname "$0")/lib.sh"
for p in mdb_dump mdb_load mdb_stat perl; do
  command -v $p >/dev/null 2>&1 || { echo "$p not found (lmdb-utils, perl): skipped"; exit 77; }
done
fx="$(cd "$(dirname "$0")" && pwd)/data/store-v1"
cd "$tmp" || exit 1
noseconds() { sed 's/,"seconds":[0-9.e+-]*//'; }
$g generate --out d --users 200 --items 120 --seed 4 >/dev/null 2>&1
$g build-graph --store s --interactions d/interactions.tsv --social d/social.tsv --split random:0.2 --seed 1 >/dev/null
$g train --store s --model m --arch lightgcn --dim 8 --epochs 2 --eval-every 1 --threads 1 >/dev/null 2>&1
$g train --store s --model g --arch gf-cf >/dev/null 2>&1
$g train --store s --model p --arch pop >/dev/null 2>&1
$g index --store s --model m --nlist 4 >/dev/null 2>&1
# an interrupted run leaves a staging (m2~run) beside the models
$g train --store s --model m2 --arch mf --dim 8 --epochs 400 --eval-every 0 --checkpoint-every 1 --threads 1 \
  >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do mdb_dump -s models s 2>/dev/null | grep -q '^ 6d327e72756e00' && break; sleep 0.1; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
check "the interrupted run left a staging" grep -q '^ 6d327e72756e00' <(mdb_dump -s models s 2>/dev/null)

$g check --store s >out 2>err; rc=$?
check "a fresh store: exit 0 (got $rc)" test $rc -eq 0
check "... says ok, no problem lines" sh -c "grep -q ': ok$' out && ! grep -q '^check:' out && test ! -s err"
models=$(sed -n 's/^models  \([0-9]*\) with.*/\1/p' out)
check "... checked 4 models (m, m2~run, g, p; got $models)" test "$models" = 4
check "... every blob has a checksum" grep -q ', 0 with no checksum$' out
j=$($g check --store s --json)
check "--json: ok true, counts as stats" sh -c "echo '$j' | grep -q '\"ok\":true' && \
  test $(jget "$j" train_interactions) = $(jget "$($g stats --store s --json)" train_interactions)"
check "--json: blobs_checked = blobs" test "$(jget "$j" blobs_checked)" = "$(jget "$j" blobs)"
check "--json: no unchecked blob" test "$(jget "$j" blobs_unchecked)" = 0
ref=$($g eval --store s --model m --json | noseconds)

# ---- one byte flipped in a model blob (m's emb, through the logical dump)
flip_blob() {   # flip_blob STORE HEXKEY: the blob's first value byte xor 0x01
  mdb_dump -s models "$1" > dump 2>/dev/null
  awk -v k=" $2" '$0 == k { print; getline; b = substr($0, 2, 2);
    x = (b == "00") ? "01" : (b == "01") ? "00" : (substr(b, 2, 1) == "0" ? substr(b, 1, 1) "1" : substr(b, 1, 1) "0");
    print " " x substr($0, 4); next } { print }' dump > dump2
  ! cmp -s dump dump2 && mdb_load -s models -f dump2 "$1" 2>/dev/null
}
cp -r s flip
check "a byte of m's emb flipped" flip_blob flip 6d00656d62
$g check --store flip >out; rc=$?
check "check: exit 1 (got $rc)" test $rc -eq 1
check "... a 'check: model 'm': corrupt model blob emb' line" grep -q "^check: model 'm': corrupt model blob emb" out
check "... only that problem" test "$(grep -c '^check:' out)" -eq 1
for cmd in "eval --store flip --model m" "infer --store flip --model m --users all --k 5"; do
  $g $cmd >o 2>err; rc=$?
  check "${cmd%% *} of the flipped model: exit 1 (got $rc), 'corrupt model blob emb', no output" \
    sh -c "test $rc -eq 1 && grep -q 'corrupt model blob emb' err && test ! -s o"
done
check "the other models still evaluate" sh -c "$g eval --store flip --model p >/dev/null 2>&1"
cp -r s flipmeta
check "a byte of g's meta flipped" flip_blob flipmeta 67006d657461
$g check --store flipmeta >out; rc=$?
check "a flipped meta record: exit 1 (got $rc), 'corrupt model blob meta'" \
  sh -c "test $rc -eq 1 && grep -q \"^check: model 'g': corrupt model blob meta\" out"
$g eval --store flipmeta --model g >/dev/null 2>err
check "... and eval refuses it" grep -q "corrupt model blob meta" err
cp -r s flipcrc
check "a byte of m's checksum table flipped" flip_blob flipcrc 6d00637263
$g check --store flipcrc >out; rc=$?
check "a damaged checksum table: exit 1 (got $rc)" sh -c "test $rc -eq 1 && grep -q 'corrupt model blob crc' out"

# ---- an out-of-range node id in an edge key (user 2 -> 2 + 2^16, as in infer_store_checks.sh)
add_edge() {   # add_edge STORE TABLE KEY_PREFIX NEW_KEY_AWK: s copied to STORE, one more key after KEY_PREFIX's
  cp -r s "$1"
  mdb_dump -s "$2" "$1" > dump
  key=$(grep -m1 "^ $3" dump)
  awk -v k="$key" -v f="$(eval "echo \"$4\"")" '{ print } $0 == k { getline; print; print f; print }' dump > dump2
  mdb_load -s "$2" -f dump2 "$1" 2>/dev/null
}
add_edge bad edges:train 00000002 ' 00010002${key:9}'
$g check --store bad >out; rc=$?
check "a user id past the count in edges:train: exit 1 (got $rc)" test $rc -eq 1
check "... 'check: edges:train: edge (65538, ...): user id 65538 is past the 200 users'" \
  grep -q '^check: edges:train: edge (65538, [0-9]*): user id 65538 is past the 200 users' out
# an item id past the count in edges:test
add_edge bad2 edges:test 00000001 ' 00000001${key:9:4}0100'
$g check --store bad2 >out; rc=$?
check "an item id past the count in edges:test: exit 1, named" \
  sh -c "test $rc -eq 1 && grep -q '^check: edges:test: edge (1, [0-9]*): item id [0-9]* is past the 120 items' out"

# ---- an external id that maps to another dense id (id:user "u5" -> 6)
cp -r s idmap
mdb_dump -s id:user idmap > dump
key=" $(printf 'u5' | od -An -tx1 | tr -d ' \n')"
awk -v k="$key" '$0 == k { print; getline; print " 00000006"; next } { print }' dump > dump2
mdb_load -s id:user -f dump2 idmap 2>/dev/null
$g check --store idmap >out; rc=$?
check "an id map that is not invertible: exit 1 (got $rc), the dense id named" \
  sh -c "test $rc -eq 1 && grep -q '^check: name:user: user 5.s external id maps to dense id 6, not back to 5' out"

# ---- a recorded count changed: edges:test's md_entries one short (LMDB's
# record of the table in the main database: key "edges:test", then the
# 48-byte MDB_db whose md_entries is at offset 32); every copy patched
count_patch() {   # count_patch DATA.MDB DBNAME DELTA
  perl -e 'my ($f, $name, $d) = @ARGV; open(my $h, "+<:raw", $f) or die; local $/; my $b = <$h>; my $n = 0;
    my $k = pack("v", length $name) . $name;
    while ($b =~ /\Q$k\E/g) { my $p = pos($b); my $o = $p + 32; my ($lo, $hi) = unpack("VV", substr($b, $o, 8));
      next if $hi != 0 || $lo == 0 || $lo > 1e9; substr($b, $o, 8) = pack("VV", $lo + $d, 0); pos($b) = $p; $n++ }
    seek($h, 0, 0); print $h $b; close $h; exit($n ? 0 : 1)' "$@"
}
cp -r s count
n_test=$(jget "$($g stats --store s --json)" test_interactions)
check "edges:test's recorded count patched" count_patch count/data.mdb edges:test -1
check "... LMDB now records one entry fewer" \
  test "$(mdb_stat -s edges:test count | sed -n 's/^ *Entries: //p')" = $((n_test - 1))
$g stats --store count >/dev/null 2>err; rc=$?
check "... stats, which loads the table for its degrees, stops: exit 1 (got $rc), 'corrupt store'" \
  sh -c "test $rc -eq 1 && grep -q 'corrupt store' err"
$g check --store count >out; rc=$?
check "a recorded count one short: exit 1 (got $rc)" test $rc -eq 1
check "... 'check: edges:test: $((n_test - 1)) entries recorded, $n_test found'" \
  grep -q "^check: edges:test: $((n_test - 1)) entries recorded, $n_test found" out
$g eval --store count --model m >o 2>err; rc=$?
check "... and eval, which sizes its arrays by the count, stops: exit 1 (got $rc), 'corrupt store', no output" \
  sh -c "test $rc -eq 1 && grep -q 'corrupt store' err && test ! -s o"

# ---- stores saved before checksums
mkdir v1 && cp "$fx/data.mdb" v1/
$g check --store v1 >out; rc=$?
check "the v1 fixture: exit 0 (got $rc)" test $rc -eq 0
check "... with 'no checksum' noted for each of its 5 models" test "$(grep -c "^note: model '.*': no checksum" out)" -eq 5
check "... and 0 blobs checked" grep -q ': 0 checked against their checksum' out
for m in lightgcn mf pop gf-cf; do
  check "v1 model $m: eval --json unchanged" \
    test "$($g eval --store v1 --model $m --json | noseconds)" = "$(noseconds <"$fx/eval-$m.json")"
done
# a v2 store whose crc blobs are removed (what a gnnrec before checksums wrote)
mdb_dump -a s | awk '/^database=models$/ { inm = 1 } /^DATA=END$/ { inm = 0 }
  inm && /^ [0-9a-f]*00637263$/ { getline; next } { print }' > all
mkdir nocrc && mdb_load -f all nocrc 2>/dev/null
check "the copy without crc blobs has none" sh -c "! mdb_dump -s models nocrc | grep -q '00637263$'"
$g check --store nocrc >out; rc=$?
check "a v2 store without checksums: exit 0 (got $rc), 'no checksum' noted" \
  sh -c "test $rc -eq 0 && grep -q \"^note: model 'm': no checksum\" out"
check "... and m evaluates exactly as with its checksums" \
  test "$($g eval --store nocrc --model m --json | noseconds)" = "$ref"
check "... infer too" cmp -s <($g infer --store nocrc --model m --k 5) <($g infer --store s --model m --k 5)
# a byte flipped there is not detectable by a checksum, but the sizes still are
mdb_dump -s models nocrc | awk '$0 == " 6d00656d62" { print; getline; print substr($0, 1, length($0) - 8); next }
  { print }' > dump2
mdb_load -s models -f dump2 nocrc 2>/dev/null
$g check --store nocrc >out; rc=$?
check "an unchecksummed emb 4 bytes short: exit 1, its size against the meta" \
  sh -c "test $rc -eq 1 && grep -q \"^check: model 'm': blob emb has [0-9]* bytes, its meta implies\" out"

# ---- usage
$g check >/dev/null 2>&1; rc=$?
check "no --store: exit 2 (got $rc)" test $rc -eq 2
$g check --store s --bogus >/dev/null 2>&1; rc=$?
check "an unknown option: exit 2 (got $rc)" test $rc -eq 2
$g check --store nosuch >/dev/null 2>&1; rc=$?
check "no store there: exit 2 (got $rc)" test $rc -eq 2
check "check --help names --json" sh -c "$g check --help | grep -q -- --json"
report
