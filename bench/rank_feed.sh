#!/usr/bin/env bash
# rank_feed.sh - benchmark `gnnrec rank-feed` (docs/feed.md has the figures):
#   1. quality on real data: LightGCN on LightGCN's LastFM split, a feed made
#      by feed_make.sh (held-out engagements + friends' items + random items,
#      authors = friends who engaged), NDCG@10 and AUC of gnnrec against the
#      reverse-chronological and author-popularity orders of the same run;
#   2. throughput: a generated 10-million-candidate job (10,000 viewers x
#      1,000 posts, 1-3 items each) on a generated 30,000-user store: wall
#      time (median of RUNS), candidates/s and peak RSS (/usr/bin/time -v).
# The machine's load average is printed too: on a shared machine it decides
# the wall times.
# Usage: bench/rank_feed.sh PATH/TO/gnnrec [DATA_DIR]   (default ../shared/data)
#   env: EPOCHS (LightGCN epochs, 100), RUNS (5), N (10000000), KEEP=1 keeps the files
set -u
GNNREC=${1:?usage: rank_feed.sh PATH/TO/gnnrec [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}
EPOCHS=${EPOCHS:-100}; RUNS=${RUNS:-5}; N=${N:-10000000}
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-feed-XXXXXX") || exit 1
if [ "${KEEP:-0}" = 1 ]; then echo "files kept in $T"; else trap 'rm -rf "$T"' EXIT; fi
G=$GNNREC
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr)"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
die() { echo "rank_feed.sh: $*" >&2; exit 1; }

echo "== 1. lastfm: quality against the baselines"
if [ -f "$DATA/lastfm/data1.txt" ]; then
    L=$DATA/lastfm
    $G build-graph --store "$T/lastfm" --format edges --delim tab --columns user,item,rating \
        --interactions "$L/data1.txt" --test "$L/test1.txt" --social "$L/trustnetwork.txt" >/dev/null || die "build-graph"
    $G train --store "$T/lastfm" --config "$HERE/../configs/lightgcn-lastfm.yaml" --epochs "$EPOCHS" --eval-every 0 \
        --model lg 2>/dev/null | sed 's/^/  /' || die "train"
    "$HERE/feed_make.sh" lastfm "$DATA" "$T/lf" 2020 || die "feed_make"
    echo "  rank-feed (default weights):"
    $G rank-feed --store "$T/lastfm" --model lg --candidates "$T/lf/candidates.tsv" --labels "$T/lf/labels.tsv" \
        --out "$T/lf/ranked.tsv" 2>"$T/err" | sed 's/^/    /' || { cat "$T/err"; die "rank-feed"; }
    grep 'candidates of' "$T/err" | sed 's/^/    /'
    echo "  content term only (--weights.author 0 --weights.tie 0 --weights.recency 0):"
    $G rank-feed --store "$T/lastfm" --model lg --candidates "$T/lf/candidates.tsv" --labels "$T/lf/labels.tsv" \
        --out "$T/lf/ranked.tsv" --weights.author 0 --weights.tie 0 --weights.recency 0 2>/dev/null | grep '^gnnrec' | sed 's/^/    /'
else
    echo "  skipped: no lastfm data at $DATA/lastfm"
fi

echo "== 2. a generated job of $N candidates"
$G generate --out "$T/gen" --users 30000 --items 20000 --communities 30 >/dev/null 2>&1 || die "generate"
$G build-graph --store "$T/big" --interactions "$T/gen/interactions.tsv" --columns user,item,rating,time \
    --split temporal:0.2 --social "$T/gen/social.tsv" >/dev/null || die "build-graph"
$G train --store "$T/big" --arch mf --dim 64 --epochs 2 --eval-every 0 --model mf >/dev/null 2>&1 || die "train"
"$HERE/feed_make.sh" synthetic "$N" 10000 30000 20000 "$T/c.tsv" || die "feed_make"
echo "  input: $(wc -c <"$T/c.tsv") bytes, $N lines, 10000 viewers; store: 30000 users, 20000 items, dim 64"
cat "$T/c.tsv" >/dev/null   # into the page cache: the runs time gnnrec, not the disk
secs=(); rss=(); cpus=()
for r in $(seq 1 "$RUNS"); do
    /usr/bin/time -v $G rank-feed --store "$T/big" --model mf --candidates "$T/c.tsv" --out "$T/ranked.tsv" 2>"$T/err" ||
        { cat "$T/err"; die "rank-feed"; }
    s=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$T/err" | awk -F: '{ print $(NF-1) * 60 + $NF }')
    m=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/err")
    c=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { t += $2 } END { print t }' "$T/err")
    secs+=("$s"); rss+=("$m"); cpus+=("$c")
    echo "  run $r: $s s wall, $c s CPU (user+sys), peak RSS $((m / 1024)) MiB, load average" \
         "$(cut -d' ' -f1 /proc/loadavg); $(grep -o '[0-9.]*M candidates/s, [0-9]* threads' "$T/err")"
done
ms=$(printf '%s\n' "${secs[@]}" | median)
mr=$(printf '%s\n' "${rss[@]}" | median)
mc=$(printf '%s\n' "${cpus[@]}" | median)
echo "  median of $RUNS: $ms s wall, $(awk -v n="$N" -v s="$ms" 'BEGIN { printf "%.2fM", n / s / 1e6 }') candidates/s" \
     "(whole command), $mc s CPU, peak RSS $((mr / 1024)) MiB; output $(wc -l <"$T/ranked.tsv") rows"
echo "  (wall time is CPU time / cores only on an idle machine: compare the load average)"
