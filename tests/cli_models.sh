#!/usr/bin/env bash
# cli_models.sh - `gnnrec models` (list, show, rm) and `gnnrec export`
# (issue 19, day-two operations) on a small generated graph: two models
# listed with their settings; rm drops one whole (the other evaluates as
# before, gnnrec check passes) and an unknown name exits 2 leaving data.mdb
# byte-identical; export's .npy header, sizes and ids; one user's top-10
# by dot product of the exported rows equals infer's; pop refused; a full
# file-size limit fails with exit 1 and a killed export leaves no DIR.
# usage: cli_models.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"

s="$tmp/s"
small_store "$s" "$tmp/g"
$g train --store "$s" --model m1 --arch mf --epochs 3 --dim 16 --eval-every 1 > "$tmp/train1" 2>&1
$g train --store "$s" --model m2 --arch lightgcn --layers 2 --epochs 2 --dim 8 --eval-every 0 >/dev/null 2>&1
$g train --store "$s" --model p --arch pop >/dev/null 2>&1

# ---- models: the listing ----
$g models --store "$s" > "$tmp/list" 2>"$tmp/err"
check "models: exit 0, a header and three rows" sh -c "test $? -eq 0 && test \$(wc -l < '$tmp/list') -eq 4"
check "models: header names the columns" \
  test "$(head -1 "$tmp/list")" = "$(printf 'name\tkind\tarch\tdim\tlayers\tepochs\tbest_epoch\tusers\titems\tmetrics\tbytes\tsaved')"
check "models: m1 mf dim 16, 3 epochs; m2 lightgcn dim 8, 2 layers, 2 epochs" \
  test "$(awk -F'\t' 'NR > 1 { print $1, $2, $3, $4, $5, $6 }' "$tmp/list" | tr '\n' ';')" \
       = "m1 model mf 16 0 3;m2 model lightgcn 8 2 2;p model pop 1 0 0;"
r_train=$(sed -n 's/^model m1 .* recall@20 \([0-9.]*\) .*/\1/p' "$tmp/train1")
r_list=$(awk -F'\t' '$1 == "m1"' "$tmp/list" | sed -n 's/.*test_recall@20=\([0-9.]*\).*/\1/p')
check "models: m1's metrics: the test recall@20 train reported ($r_train ~ $r_list)" \
  test "$(printf '%.4f' "${r_list:-9}")" = "${r_train:-x}"
check "models: pop (never evaluated) shows no metrics" test "$(awk -F'\t' '$1 == "p" { print $10 }' "$tmp/list")" = "-"
check "models: saved time recorded (UTC)" \
  sh -c "awk -F'\t' 'NR > 1 && \$12 !~ /^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:]+Z\$/ { bad = 1 } END { exit bad }' '$tmp/list'"
# bytes: m1 holds (U + I) x 16 floats of embeddings and 3 x params (Adam) at least
check "models: m1's bytes cover its embeddings and checkpoint" \
  test "$(awk -F'\t' '$1 == "m1" { print ($11 >= 4 * 1500 * 16 * 4) }' "$tmp/list")" = 1
$g models --store "$s" --json > "$tmp/json"
check "models --json: three JSON lines with name, arch, dim" \
  sh -c "test \$(wc -l < '$tmp/json') -eq 3 && grep -q '^{\"name\":\"m1\",\"kind\":\"model\",\"arch\":\"mf\",\"dim\":16,' '$tmp/json' \
         && grep -q '\"name\":\"m2\",\"kind\":\"model\",\"arch\":\"lightgcn\",\"dim\":8,' '$tmp/json'"
if command -v python3 >/dev/null; then
  check "models --json: every line parses as JSON" python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$tmp/json"
fi

# ---- models show ----
$g models show --store "$s" m2 > "$tmp/show" 2>"$tmp/err"
check "show m2: exit 0, meta and config (model: lightgcn, dim: 8, layers: 2)" \
  sh -c "test $? -eq 0 && grep -qx '# arch: lightgcn' '$tmp/show' && grep -qx 'model: lightgcn' '$tmp/show' \
         && grep -qx 'dim: 8' '$tmp/show' && grep -qx 'layers: 2' '$tmp/show'"
$g models show --store "$s" nope > /dev/null 2>"$tmp/err"
check "show of an unknown model: exit 2, names the models" sh -c "test $? -eq 2 && grep -q 'models: m1, m2, p' '$tmp/err'"

# ---- models rm ----
$g eval --store "$s" --model m1 > "$tmp/eval1"
before=$(md5sum < "$s/data.mdb")
$g models rm --store "$s" nope > /dev/null 2>"$tmp/err"
check "rm of an unknown model: exit 2, names the models" sh -c "test $? -eq 2 && grep -q \"no model named 'nope'.*m1, m2, p\" '$tmp/err'"
check "rm of an unknown model: data.mdb byte-identical" test "$(md5sum < "$s/data.mdb")" = "$before"
$g models rm --store "$s" > /dev/null 2>&1
check "rm without NAME: exit 2" test $? -eq 2
$g index --store "$s" --model m2 --nlist 8 >/dev/null   # an index blob, to be dropped with the model
$g models rm --store "$s" m2 > "$tmp/out" 2>"$tmp/err"
check "rm m2: exit 0" test $? -eq 0
check "rm m2: gone from the list, m1 still there" \
  test "$($g models --store "$s" | awk -F'\t' 'NR > 1 { print $1 }' | tr '\n' ' ')" = "m1 p "
$g eval --store "$s" --model m1 > "$tmp/eval2"
check "after rm: m1 evaluates identically" cmp -s <(tail -n +2 "$tmp/eval1") <(tail -n +2 "$tmp/eval2")
$g check --store "$s" > "$tmp/check" 2>&1
check "after rm: gnnrec check passes, two models left" sh -c "test $? -eq 0 && grep -q '^models  2 with' '$tmp/check'"
$g models rm --store "$s" m2 > /dev/null 2>"$tmp/err"
check "rm m2 again: exit 2" test $? -eq 2

# ---- export ----
U=$(wc -l < "$tmp/g/train.txt")
$g export --store "$s" --model m1 --out "$tmp/e" > "$tmp/out" 2>"$tmp/err"
check "export npy: exit 0, four files" \
  sh -c "test $? -eq 0 && test \"\$(ls '$tmp/e' | tr '\n' ' ')\" = 'item_ids.txt items.npy user_ids.txt users.npy '"
# the .npy header by hand: magic, version 1.0, header length, dict, file size
npy_ok() {   # npy_ok FILE ROWS DIM
  local f=$1 hl
  [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 934e554d5059$(printf '0100') ] || return 1
  hl=$(od -An -tu2 -j8 -N2 --endian=little "$f" | tr -d ' ')
  [ $(( (10 + hl) % 64 )) -eq 0 ] || return 1
  head -c $((10 + hl)) "$f" | tail -c +11 | grep -q "^{'descr': '<f4', 'fortran_order': False, 'shape': ($2, $3), } *\$" || return 1
  [ "$(stat -c %s "$f")" -eq $((10 + hl + $2 * $3 * 4)) ]
}
check "users.npy: header '<f4' shape ($U, 16), size = header + $U x 16 x 4" npy_ok "$tmp/e/users.npy" "$U" 16
check "items.npy: header '<f4' shape (500, 16)" npy_ok "$tmp/e/items.npy" 500 16
check "user_ids.txt: one id per user, in row order (0, 1, ...)" \
  sh -c "test \$(wc -l < '$tmp/e/user_ids.txt') -eq $U && test \"\$(head -2 '$tmp/e/user_ids.txt' | tr '\n' ,)\" = '0,1,'"
user=7
$g infer --store "$s" --model m1 --users $user --k 10 | cut -f3 > "$tmp/infer10"
if python3 -c 'import numpy' 2>/dev/null; then
  python3 - "$tmp/e" "$tmp/g/train.txt" $user > "$tmp/np10" <<'EOF'
import sys, numpy as np
d, train, user = sys.argv[1], sys.argv[2], sys.argv[3]
U, I = np.load(d + "/users.npy"), np.load(d + "/items.npy")
uid = [l.rstrip("\n") for l in open(d + "/user_ids.txt")]
iid = [l.rstrip("\n") for l in open(d + "/item_ids.txt")]
seen = next(l.split()[1:] for l in open(train) if l.split()[0] == user)
s = I @ U[uid.index(user)]
top = [iid[j] for j in np.argsort(-s, kind="stable") if iid[j] not in seen][:10]
print("\n".join(top))
EOF
  check "numpy: user $user's top-10 by dot product of users.npy x items.npy = infer's" \
    cmp -s "$tmp/infer10" "$tmp/np10"
else
  echo "skip numpy check: python3 with numpy is not installed (the .npy was checked by its header and size)"
fi
$g export --store "$s" --model m1 --out "$tmp/t" --format tsv > /dev/null
check "export tsv: users.tsv has one row per user, id + 16 values" \
  sh -c "test \$(wc -l < '$tmp/t/users.tsv') -eq $U && awk -F'\t' 'NF != 17 { exit 1 }' '$tmp/t/users.tsv'"
# the same top-10 from the TSV rows in awk (double sums of the float32 values)
awk -F'\t' -v u=$user 'FILENAME ~ /train/ { split($0, a, " "); if (a[1] == u) for (k = 2; k in a; k++) seen[a[k]] = 1; next }
  FILENAME ~ /users/ { if ($1 == u) for (k = 2; k <= NF; k++) q[k] = $k; next }
  !($1 in seen) { s = 0; for (k = 2; k <= NF; k++) s += q[k] * $k; printf "%.9g\t%s\n", s, $1 }' \
  "$tmp/g/train.txt" "$tmp/t/users.tsv" "$tmp/t/items.tsv" | sort -t"$(printf '\t')" -k1,1gr | head -10 | cut -f2 > "$tmp/awk10"
check "tsv: user $user's top-10 by dot product = infer's" cmp -s "$tmp/infer10" "$tmp/awk10"
$g export --store "$s" --model m1 --out "$tmp/e" > "$tmp/out"
check "export over an earlier export: replaced" grep -q 'replacing the earlier export' "$tmp/out"

$g export --store "$s" --model p --out "$tmp/pop" > /dev/null 2>"$tmp/err"
check "export of a pop model: exit 2, says why, no directory" \
  sh -c "test $? -eq 2 && grep -q 'no embeddings to export' '$tmp/err' && ! test -e '$tmp/pop' && ! ls '$tmp'/pop.tmp.* 2>/dev/null"
mkdir "$tmp/busy" && echo keep > "$tmp/busy/notes"
$g export --store "$s" --model m1 --out "$tmp/busy" > /dev/null 2>"$tmp/err"
check "export into a directory of other files: exit 2, left alone" \
  sh -c "test $? -eq 2 && test \"\$(ls '$tmp/busy')\" = notes"

# a write that fails (file-size limit, SIGXFSZ ignored: write gets EFBIG) and one that kills the process
(ulimit -f 40; trap '' XFSZ; exec $g export --store "$s" --model m1 --out "$tmp/full") > /dev/null 2>"$tmp/err"
check "export past the file-size limit: exit 1, no DIR, no staging left" \
  sh -c "test $? -eq 1 && grep -q 'File too large' '$tmp/err' && ! test -e '$tmp/full' && ! ls -d '$tmp'/full.tmp.* 2>/dev/null"
{ (ulimit -f 40; exec $g export --store "$s" --model m1 --out "$tmp/full") > /dev/null 2>&1; } 2>/dev/null
check "export killed by a signal mid-write: no DIR" sh -c "! test -e '$tmp/full'"
$g export --store "$s" --model m1 --out "$tmp/full" > /dev/null
check "the next export: DIR complete, the dead one's staging removed" \
  sh -c "test -s '$tmp/full/items.npy' && ! ls -d '$tmp'/full.tmp.* 2>/dev/null"

# ---- infer --shard I/N (the byte-for-byte check on more users: cli_infer_shard.sh) ----
$g infer --store "$s" --model m1 --k 5 > "$tmp/whole"
for ns in 3 7; do
  for i in $(seq 0 $((ns - 1))); do $g infer --store "$s" --model m1 --k 5 --shard $i/$ns; done > "$tmp/shards"
  check "infer --shard i/$ns, i = 0..$((ns - 1)) concatenated: the whole output byte for byte" cmp -s "$tmp/whole" "$tmp/shards"
done
nu=$(cut -f1 "$tmp/whole" | uniq | wc -l)
check "--shard 0/3 of $nu (< 1024) users: all of them, 1/3 none (shares are whole blocks of 1024)" \
  sh -c "test \$($g infer --store '$s' --model m1 --k 1 --shard 0/3 | wc -l) -eq $nu && test -z \"\$($g infer --store '$s' --model m1 --k 1 --shard 1/3)\""
for bad in 3/3 1/0 x/2 1/2/3 -1/2; do
  $g infer --store "$s" --model m1 --shard $bad > /dev/null 2>&1
  check "--shard $bad: exit 2" test $? -eq 2
done
$g infer --store "$s" --model m1 --similar-items 1 --shard 0/2 > /dev/null 2>&1
check "--shard with --similar-items: exit 2" test $? -eq 2
report
