#!/usr/bin/env bash
# cli_report.sh - `gnnrec report` (issue 19) on a small generated graph with
# an mf model (evaluated every epoch), a lightgcn model whose name needs
# escaping and pop: one <svg per expected chart, names escaped, nothing
# external (no script, no http), the metrics table's numbers equal
# `models --json`'s, the popularity figures in range and pop's coverage
# below mf's; an unknown model and a missing --out directory exit 2 with no
# file; a write past a file-size limit exits 1 leaving no partial file.
# usage: cli_report.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"

s="$tmp/s"
small_store "$s"
$g train --store "$s" --model m1 --arch mf --epochs 3 --dim 16 --eval-every 1 >/dev/null 2>&1
$g train --store "$s" --model 'lg<&>' --arch lightgcn --layers 2 --epochs 2 --dim 8 --eval-every 1 >/dev/null 2>&1
$g train --store "$s" --model p --arch pop >/dev/null 2>&1
r="$tmp/report.html"

$g report --store "$s" --out "$r" --users 500 > "$tmp/out" 2>"$tmp/err"
check "report: exit 0, the file written" sh -c "test $? -eq 0 && test -s '$r'"
# charts: loss + metrics for each of the two trained models, one degree chart; pop has no log
check "report: 5 charts (<svg), the summary says 5" \
  sh -c "test \$(grep -o '<svg' '$r' | wc -l) -eq 5 && grep -q '3 models (5 charts, popularity over 500 users)' '$tmp/out'"
check "report: no script, no http (self-contained)" sh -c "! grep -qi '<script' '$r' && ! grep -qi 'http' '$r'"
check "report: model names escaped (lg&lt;&amp;&gt;, no raw lg<&>)" \
  sh -c "grep -q 'lg&lt;&amp;&gt;' '$r' && ! grep -qF 'lg<&>' '$r' && grep -q '>m1<' '$r' && grep -q '>p<' '$r'"
$g models --store "$s" --json > "$tmp/json"
for m in m1 'lg<&>'; do
  want=$(grep -F "\"name\":\"$m\"" "$tmp/json" | sed 's/.*"metrics":{\([^}]*\)}.*/\1/' | tr ',' '\n' | cut -d: -f2 | tr '\n' ' ')
  esc=$(printf '%s' "$m" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
  got=$(grep -F "<tr><td class=\"model\">$esc</td>" "$r" | grep -o 'class="metric">[^<]*' | cut -d'>' -f2 | tr '\n' ' ')
  check "report: $m's metrics equal models --json's ($want)" sh -c "test -n '$want' && test '$got' = '$want'"
done
# popularity rows: (training interactions), m1, lg, p; 500 users x 20 recommendations each
bias=$(sed -n 's|^<tr><td>\([^<]*\)</td><td>[^<]*</td><td>\([0-9]*\)</td><td>\([0-9.]*\)</td><td>\([0-9.]*\)</td><td>\([0-9.]*\)</td></tr>$|\1 \2 \3 \4 \5|p' "$r")
check "report: popularity rows for the training data and the 3 models" test "$(wc -l <<<"$bias")" -eq 4
check "report: every model made 500 x 20 recommendations" \
  test "$(awk 'NR > 1 && $2 == 10000' <<<"$bias" | wc -l)" -eq 3
check "report: coverage, Gini and top-1% share in [0, 1]" \
  awk '{ for (i = NF - 2; i <= NF; i++) if ($i < 0 || $i > 1) exit 1 }' <<<"$bias"
check "report: pop covers fewer items and is more unequal than mf" \
  awk '$1 == "m1" { c = $3; gi = $4 } $1 == "p" { pc = $3; pg = $4 } END { exit !(pc < c && pg > gi) }' <<<"$bias"
# every user sampled: the coverage and Gini are infer's top-20 of all users counted by hand
$g report --store "$s" --model m1 --users 1000 --out "$tmp/all.html" > /dev/null 2>&1
$g infer --store "$s" --model m1 --users all --k 20 > "$tmp/infer"
cover=$(cut -f3 "$tmp/infer" | sort -u | wc -l)
want=$({ cut -f3 "$tmp/infer" | sort | uniq -c | awk '{ print $1 }'; yes 0 | head -n $((500 - cover)); } | sort -n |
  awk -v c="$cover" '{ x[NR] = $1; s += $1 } END { n = NR; for (i = 1; i <= n; i++) a += (2 * i - n - 1) * x[i]
  printf "%.4f %.4f", c / 500, a / (n * s) }')
got=$(sed -n 's|^<tr><td>m1</td><td>mf</td><td>20000</td><td>\([0-9.]*\)</td><td>\([0-9.]*\)</td>.*|\1 \2|p' "$tmp/all.html")
check "report --users 1000: m1's coverage and Gini equal infer --users all's counted ($want)" test "$got" = "$want"
check "report: the degree chart has points for users and items" grep -q 'nodes per training degree' "$r"
$g report --store "$s" --out "$tmp/r2.html" --users 500 > /dev/null 2>&1
check "report: the same store and seed give the same file" cmp -s "$r" "$tmp/r2.html"
$g report --store "$s" --model m1 --out "$tmp/one.html" > /dev/null 2>&1
check "report --model m1: one model, 3 charts" \
  sh -c "test \$(grep -o '<svg' '$tmp/one.html' | wc -l) -eq 3 && ! grep -q 'lg&lt;' '$tmp/one.html'"

# ---- errors ----
$g report --store "$s" --model m1,nope --out "$tmp/bad.html" > /dev/null 2>"$tmp/err"
check "report: unknown model: exit 2, names the models, no file" \
  sh -c "test $? -eq 2 && grep -q \"no model named 'nope'.*m1\" '$tmp/err' && ! ls '$tmp'/bad.html* >/dev/null 2>&1"
$g report --store "$s" --out "$tmp/nodir/r.html" > /dev/null 2>"$tmp/err"
check "report: --out in a missing directory: exit 2" test $? -eq 2
(ulimit -f 8; trap '' XFSZ; exec $g report --store "$s" --out "$tmp/full.html") > /dev/null 2>"$tmp/err"
check "report: a write past the file-size limit: exit 1, no partial file" \
  sh -c "test $? -eq 1 && ! ls '$tmp'/full.html* >/dev/null 2>&1"
report
