#!/usr/bin/env bash
# mpi_partition.sh - `gnnrec partition` on a small generated store (with
# social ties): every node assigned (part sizes add up to users + items),
# the record in the store (stats shows it, current, then stale after an
# --append), METIS cutting fewer edges than hash, the same seed giving the
# same partition (the stored record byte for byte, with mdb_dump when
# lmdb-utils is there), bad --parts and --method exit 2 with the store
# unchanged. Runs with or without MPI (partition is one process); the METIS
# checks turn into "metis is not built, exit 2" without libmetis-dev.
# usage: mpi_partition.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"

$g generate --out "$tmp/data" --users 300 --items 200 --communities 4 --min-items 6 --max-items 20 2>/dev/null
s=$tmp/s
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split random:0.2 --social "$tmp/data/social.tsv" >/dev/null
st=$($g stats --store "$s" --json)
users=$(jget "$st" users); items=$(jget "$st" items)
train=$(jget "$st" train_interactions); social=$(jget "$st" social_edges)
check "stats shows no partition before one is made" test -z "$(grep -o '"partition"' <<<"$st")"

metis_built=1
$g partition --store "$s" --parts 2 --method metis >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "built without METIS" "$tmp/err"; then metis_built=0; fi
if [ $metis_built -eq 0 ]; then
  check "without METIS: metis says it is not built" grep -q "install libmetis-dev" "$tmp/err"
  methods="hash"
else
  check "partition --method metis exits 0" test $rc -eq 0
  methods="metis hash"
fi

sum() { sed -n "s/.*\"$2\":\[\([0-9,]*\)\].*/\1/p" <<<"$1" | tr , '\n' | awk '{ s += $1 } END { print s + 0 }'; }
for m in $methods; do
  for P in 1 3 8; do
    j=$($g partition --store "$s" --parts $P --method $m --seed 5 --json)
    check "$m P=$P: parts" test "$(jget "$j" parts)" = $P
    check "$m P=$P: every node assigned (part sizes add up to $users users + $items items)" \
      test "$(sum "$j" part_nodes)" = $((users + items))
    check "$m P=$P: edges = train interactions + social pairs" test "$(jget "$j" edges)" = $((train + social))
    check "$m P=$P: $P part sizes listed" test "$(sed -n 's/.*"part_nodes":\[\([0-9,]*\)\].*/\1/p' <<<"$j" | tr , '\n' | wc -l)" = $P
    check "$m P=$P: max halo is the largest listed" \
      test "$(sed -n 's/.*"halo_nodes":\[\([0-9,]*\)\].*/\1/p' <<<"$j" | tr , '\n' | sort -n | tail -1)" = "$(jget "$j" max_halo_nodes)"
    if [ $P = 1 ]; then
      check "$m P=1: nothing cut, no halo" test "$(jget "$j" edge_cut)/$(jget "$j" max_halo_nodes)" = 0/0
    else
      check "$m P=$P: some edges cut" test "$(jget "$j" edge_cut)" -gt 0
    fi
    sj=$($g stats --store "$s" --json)
    check "$m P=$P: stats shows the recorded partition" \
      grep -q "\"partition\":{\"parts\":$P,\"method\":\"$m\",\"seed\":5,\"edge_cut\":$(jget "$j" edge_cut),\"current\":true}" <<<"$sj"
  done
done

if [ $metis_built = 1 ]; then
  for P in 2 4 8; do
    cm=$(jget "$($g partition --store "$s" --parts $P --method metis --json)" edge_cut)
    ch=$(jget "$($g partition --store "$s" --parts $P --method hash --json)" edge_cut)
    check "P=$P: metis cuts fewer edges than hash ($cm < $ch)" test "$cm" -lt "$ch"
  done
  j=$($g partition --store "$s" --parts 4 --method metis --json)
  check "metis keeps the parts within 3% of even (balance $(jget "$j" balance))" \
    awk -v b="$(jget "$j" balance)" 'BEGIN { exit !(b <= 1.031) }'
  w=$($g partition --store "$s" --parts 4 --method metis --balance work --json)
  check "--balance work: said in the JSON" grep -q '"balance_by":"work"' <<<"$w"
  check "--balance work: every node assigned" test "$(sum "$w" part_nodes)" = $((users + items))
  check "--balance work: work as even as METIS promises ($(jget "$w" work_balance) <= 1.05)" \
    awk -v b="$(jget "$w" work_balance)" 'BEGIN { exit !(b <= 1.05) }'
  check "--balance work: still fewer edges cut than hash" \
    test "$(jget "$w" edge_cut)" -lt "$(jget "$($g partition --store "$s" --parts 4 --method hash --json)" edge_cut)"
fi

# the same seed, the same partition; another seed, another one
dump() { mdb_dump -s meta "$s" 2>/dev/null | sed -n '/^HEADER=END/,$p'; }
for m in $methods; do
  a=$($g partition --store "$s" --parts 4 --method $m --seed 9 --json | sed 's/,"seconds":.*//'); da=$(dump)
  b=$($g partition --store "$s" --parts 4 --method $m --seed 9 --json | sed 's/,"seconds":.*//'); db=$(dump)
  check "$m: the same seed gives the same figures" test "$a" = "$b"
  if command -v mdb_dump >/dev/null; then
    check "$m: ... and the same record, byte for byte" test -n "$da" -a "$da" = "$db"
  fi
done
a=$($g partition --store "$s" --parts 4 --method hash --seed 9 --json | sed 's/,"seconds":.*//')
c=$($g partition --store "$s" --parts 4 --method hash --seed 10 --json | sed 's/,"seconds":.*//')
check "hash: another seed gives other parts" test "$a" != "$c"

# bad input: exit 2, the store exactly as it was
before=$(sha256sum "$s/data.mdb")
for bad in "--parts 0" "--parts -1" "--parts abc" "--parts 65537" "--parts $((users + items + 1))" "--method foo --parts 2" "" "--parts 2 --bogus 1" \
           "--parts 2 --balance edges" "--parts 2 --method hash --balance work"; do
  # shellcheck disable=SC2086
  $g partition --store "$s" $bad >/dev/null 2>"$tmp/err"; rc=$?
  check "partition ${bad:-without --parts}: exit 2" test $rc -eq 2
  check "... with a message" test -s "$tmp/err"
  check "... and the store unchanged" test "$(sha256sum "$s/data.mdb")" = "$before"
done
$g partition --store "$tmp/nothing" --parts 2 --method hash >/dev/null 2>&1
check "partition of a missing store exits 2" test $? -eq 2
check "... and makes none" test ! -e "$tmp/nothing"
check "stats still shows the last good partition" grep -q '"partition":{"parts":4,"method":"hash","seed":10,' <<<"$($g stats --store "$s" --json)"

# the graph grows: the record is stale until partition runs again
printf 'newuser\tnewitem\t1\t5\n' >"$tmp/more.tsv"
$g build-graph --store "$s" --append --interactions "$tmp/more.tsv" --columns user,item,rating,time >/dev/null 2>&1
check "after build-graph --append the partition is stale" grep -q '"current":false' <<<"$($g stats --store "$s" --json)"
check "... and stats says so" grep -q "stale" <<<"$($g stats --store "$s")"
j=$($g partition --store "$s" --parts 2 --method hash --json)
check "partition again covers the new nodes" test "$(sum "$j" part_nodes)" = $((users + items + 2))
check "... and is current" grep -q '"current":true' <<<"$($g stats --store "$s" --json)"
report
