#!/usr/bin/env bash
# rank_feed.sh - benchmark `gnnrec rank-feed` (docs/feed.md has the figures):
#   1. quality on real data: LightGCN on LightGCN's LastFM split, a feed made
#      by feed_make.sh (held-out engagements + friends' items + random items,
#      authors = friends who engaged), NDCG@10 and AUC of gnnrec against the
#      reverse-chronological and author-popularity orders of the same run;
#   2. throughput: a generated 10-million-candidate job (10,000 viewers x
#      1,000 posts, 1-3 items each) on a generated 30,000-user store: wall
#      time (median of RUNS), candidates/s and peak RSS (/usr/bin/time -v);
#   3. the same job shuffled (shuf with a fixed --random-source): through the
#      external sort, against the grouped file in byte order of the viewers
#      (LC_ALL=C sort -s, so both give the same bytes), runs alternating, in
#      the same run: cmp of the outputs, wall/CPU ratio, peak RSS;
#   4. (after 3, with mpirun) the grouped and the shuffled job under
#      `mpirun -np 2 --threads 1` against one process with --threads 2: cmp
#      of the outputs, wall time and the ranks' CPU.
# The machine's load average is printed too: on a shared machine it decides
# the wall times.
# Usage: bench/rank_feed.sh PATH/TO/gnnrec [DATA_DIR]   (default ../shared/data)
#   env: EPOCHS (LightGCN epochs, 100), RUNS (5), N (10000000), KEEP=1 keeps the files,
#        PARTS (123: which parts run; 4 needs 3)
set -u
GNNREC=${1:?usage: rank_feed.sh PATH/TO/gnnrec [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}
EPOCHS=${EPOCHS:-100}; RUNS=${RUNS:-5}; N=${N:-10000000}; PARTS=${PARTS:-123}
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-feed-XXXXXX") || exit 1
if [ "${KEEP:-0}" = 1 ]; then echo "files kept in $T"; else trap 'rm -rf "$T"' EXIT; fi
G=$GNNREC
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr)"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
die() { echo "rank_feed.sh: $*" >&2; exit 1; }

echo "== 1. lastfm: quality against the baselines"
if [ "${PARTS#*1}" = "$PARTS" ]; then
    echo "  skipped (PARTS=$PARTS)"
elif [ -f "$DATA/lastfm/data1.txt" ]; then
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

echo "== 2. a generated job of $N candidates (part 3 runs first when asked for)"
$G generate --out "$T/gen" --users 30000 --items 20000 --communities 30 >/dev/null 2>&1 || die "generate"
$G build-graph --store "$T/big" --interactions "$T/gen/interactions.tsv" --columns user,item,rating,time \
    --split temporal:0.2 --social "$T/gen/social.tsv" >/dev/null || die "build-graph"
$G train --store "$T/big" --arch mf --dim 64 --epochs 2 --eval-every 0 --model mf >/dev/null 2>&1 || die "train"
"$HERE/feed_make.sh" synthetic "$N" 10000 30000 20000 "$T/c.tsv" || die "feed_make"
echo "  input: $(wc -c <"$T/c.tsv") bytes, $N lines, 10000 viewers; store: 30000 users, 20000 items, dim 64"
cat "$T/c.tsv" >/dev/null   # into the page cache: the runs time gnnrec, not the disk
# one timed run: "wall cpu rss_kib" on stdout, or die
timed() {
    /usr/bin/time -v $G rank-feed --store "$T/big" --model mf "$@" 2>"$T/err" || { cat "$T/err"; die "rank-feed $*"; }
    s=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$T/err" | awk -F: '{ print $(NF-1) * 60 + $NF }')
    c=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { t += $2 } END { print t }' "$T/err")
    echo "$s $c $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/err")"
}
if [ "${PARTS#*3}" != "$PARTS" ]; then
    echo "== 3. the same job shuffled: the external sort against the grouped file"
    LC_ALL=C sort -s -t"$(printf '\t')" -k1,1 "$T/c.tsv" > "$T/g.tsv"
    # a fixed random source, large enough for shuf (it reads a few bytes per line)
    # (the coreutils manual's recipe: AES-CTR of zeros under a fixed key)
    openssl enc -aes-256-ctr -pass pass:2020 -nosalt </dev/zero 2>/dev/null | head -c 268435456 > "$T/seed"
    test "$(wc -c <"$T/seed")" -eq 268435456 || die "openssl for the random source"
    shuf --random-source="$T/seed" "$T/g.tsv" > "$T/s.tsv"
    cat "$T/g.tsv" "$T/s.tsv" >/dev/null
    echo "  grouped: LC_ALL=C sort -s -t TAB -k1,1 (viewers in byte order); shuffled: shuf --random-source (openssl aes-256-ctr, pass 2020, 256 MiB)"
    gw=(); gc=(); sw=(); sc=(); srss=()
    for r in $(seq 1 "$RUNS"); do
        read -r w c m < <(timed --candidates "$T/g.tsv" --out "$T/og.tsv")
        gw+=("$w"); gc+=("$c")
        echo "  run $r grouped:  $w s wall, $c s CPU, peak RSS $((m / 1024)) MiB, load $(cut -d' ' -f1 /proc/loadavg)"
        read -r w c m < <(timed --candidates "$T/s.tsv" --out "$T/os.tsv")
        sw+=("$w"); sc+=("$c"); srss+=("$m")
        echo "  run $r shuffled: $w s wall, $c s CPU, peak RSS $((m / 1024)) MiB, load $(cut -d' ' -f1 /proc/loadavg);" \
             "$(grep -o 'sorted ([0-9]* runs spilled)' "$T/err")"
        cmp -s "$T/og.tsv" "$T/os.tsv" && echo "  run $r: outputs byte-identical ($(wc -l <"$T/os.tsv") rows)" ||
            echo "  run $r: OUTPUTS DIFFER"
    done
    mgw=$(printf '%s\n' "${gw[@]}" | median); msw=$(printf '%s\n' "${sw[@]}" | median)
    mgc=$(printf '%s\n' "${gc[@]}" | median); msc=$(printf '%s\n' "${sc[@]}" | median)
    mrss=$(printf '%s\n' "${srss[@]}" | sort -n | tail -1)
    echo "  medians of $RUNS: grouped $mgw s wall / $mgc s CPU, shuffled $msw s wall / $msc s CPU;" \
         "ratio shuffled/grouped $(awk -v a="$msw" -v b="$mgw" 'BEGIN { printf "%.2f", a / b }') wall," \
         "$(awk -v a="$msc" -v b="$mgc" 'BEGIN { printf "%.2f", a / b }') CPU; shuffled peak RSS (max) $((mrss / 1024)) MiB"
fi
if [ "${PARTS#*4}" != "$PARTS" ] && [ "${PARTS#*3}" != "$PARTS" ]; then
    echo "== 4. under mpirun -np 2 (--threads 1 each) against one process (--threads 2)"
    if ! command -v mpirun >/dev/null; then
        echo "  skipped: no mpirun"
    else
        [ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
        for f in g s; do
            /usr/bin/time -f '%e %U %S' -o "$T/time" mpirun -np 2 $G rank-feed --store "$T/big" --model mf --threads 1 \
                --candidates "$T/$f.tsv" --out "$T/mpi_$f.tsv" 2>"$T/err" || { cat "$T/err"; die "mpirun rank-feed"; }
            read -r w u sy <"$T/time"
            echo "  $([ $f = g ] && echo grouped || echo shuffled): $w s wall, $(awk -v a="$u" -v b="$sy" 'BEGIN { print a + b }') s CPU (both ranks), load $(cut -d' ' -f1 /proc/loadavg);" \
                 "$(cmp -s "$T/o$f.tsv" "$T/mpi_$f.tsv" && echo "byte-identical to one process" || echo "OUTPUT DIFFERS from one process")"
        done
    fi
fi
[ "${PARTS#*2}" = "$PARTS" ] && exit 0
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
