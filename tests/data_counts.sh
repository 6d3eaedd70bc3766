#!/usr/bin/env bash
# data_counts.sh - integration test on the real datasets in ../shared/data
# (the project root's parent): build a store from each with the options a
# user would give, and check that `gnnrec stats --json` counts equal the
# dataset READMEs where they apply, and otherwise counts computed here from
# the raw files with awk/sort, independently of gnnrec:
#   gowalla      --format adj --test                      (README counts)
#   lastfm       --format edges --delim tab --columns user,item,rating --social
#                                                          (README counts)
#   ml-100k      --columns user,item,rating,time --split temporal:0.2 --min-rating 4
#                (rating>=4 rows, their users/items, per-user round(0.2 n) in test)
#   kgcn-music   --header --columns user,item,rating --split random:0.2
#   diffnet-yelp train + test + links (items over train+test only, test rows
#                not in train, undirected social pairs without self-loops)
# Exits 77 (meson: skipped) with a message when the data is not there.
# Usage: data_counts.sh PATH/TO/gnnrec [DATA_DIR]
set -u

GNNREC=${1:?usage: data_counts.sh PATH/TO/gnnrec [DATA_DIR]}
GNNREC=$(cd "$(dirname "$GNNREC")" && pwd)/$(basename "$GNNREC")
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}
if [ ! -d "$DATA/gowalla" ]; then
    echo "SKIP: no datasets at $DATA (expected ../shared/data next to the project root; set GNNREC_DATA to point elsewhere)"
    exit 77
fi
DATA=$(cd "$DATA" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-data-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
unset GNNREC_MAPSIZE_MB

N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok   $*"; }
bad() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "FAIL $*"; }

# build NAME ARGS...: build-graph into $T/NAME, then stats --json into $T/NAME.json
build() {
    local name=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    if "$GNNREC" build-graph --store "$T/$name" "$@" >"$T/$name.out" 2>"$T/$name.err"; then
        t1=$(date +%s.%N)
        ok "$name: build-graph $* ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", b - a }'))"
    else
        bad "$name: build-graph $* exited $?: $(head -c 300 "$T/$name.err")"
        return 1
    fi
    if "$GNNREC" stats --store "$T/$name" --json >"$T/$name.json" 2>"$T/$name.err"; then
        ok "$name: stats --json"
    else
        bad "$name: stats --json exited $?: $(head -c 300 "$T/$name.err")"
        return 1
    fi
}

# expect NAME KEY VALUE SOURCE: stats --json of NAME has KEY = VALUE
expect() {
    local name=$1 key=$2 want=$3 src=$4 got
    got=$(grep -o "\"$key\":[0-9]*" "$T/$name.json" | head -1 | cut -d: -f2)
    if [ -z "$want" ]; then bad "$name: $key: no expected value computed ($src)"; return; fi
    if [ "$got" = "$want" ]; then ok "$name: $key = $want ($src)"; else bad "$name: $key = '$got', want $want ($src)"; fi
}

# Distinct values of a column over files (CR stripped).
distinct() {
    local col=$1; shift
    cat "$@" | tr -d '\r' | awk -F'\t' -v c="$col" 'NF { print $c }' | sort -u | wc -l
}

echo "# gowalla: LightGCN adj, official split"
G=$DATA/gowalla
if build gowalla --format adj --interactions "$G/train.txt" --test "$G/test.txt"; then
    expect gowalla users 29858 README
    expect gowalla items 40981 README
    expect gowalla train_interactions 810128 README
    expect gowalla test_interactions 217242 README
    expect gowalla train_interactions "$(awk '{ n += NF - 1 } END { print n }' "$G/train.txt")" "awk: items per line"
    expect gowalla social_edges 0 "no social file"
    expect gowalla kg_triples 0 "no kg file"
fi

echo "# lastfm: TSV with weights, train/test, symmetric social rows"
L=$DATA/lastfm
if build lastfm --format edges --delim tab --columns user,item,rating \
        --interactions "$L/data1.txt" --test "$L/test1.txt" --social "$L/trustnetwork.txt"; then
    expect lastfm users 1892 README
    expect lastfm items 4489 README
    expect lastfm train_interactions 42135 README
    expect lastfm test_interactions 10533 README
    expect lastfm social_edges 12717 "README: undirected pairs"
    # (trustnetwork.txt has CRLF line ends, whatever its README says)
    expect lastfm social_edges "$(tr -d '\r' <"$L/trustnetwork.txt" | awk -F'\t' 'NF && $1 != $2 { print ($1 < $2) ? $1 "\t" $2 : $2 "\t" $1 }' | sort -u | wc -l)" \
        "awk: undirected pairs"
fi

echo "# ml-100k: explicit ratings >= 4, temporal 80/20 split per user"
M=$DATA/ml-100k
if build ml100k --format edges --delim tab --columns user,item,rating,time --split temporal:0.2 \
        --min-rating 4 --interactions "$M/u.data"; then
    # first occurrence of each (user, item) among rating >= 4 rows
    awk -F'\t' '$3 >= 4 && !seen[$1 "\t" $2]++' "$M/u.data" >"$T/ml.kept"
    kept=$(wc -l <"$T/ml.kept")
    test_n=$(awk -F'\t' '{ m[$1]++ } END { for (u in m) { k = int(0.2 * m[u] + 0.5); if (k >= m[u]) k = m[u] - 1; t += k } print t + 0 }' "$T/ml.kept")
    expect ml100k users "$(cut -f1 "$T/ml.kept" | sort -u | wc -l)" "awk: users with a rating >= 4"
    expect ml100k items "$(cut -f2 "$T/ml.kept" | sort -u | wc -l)" "awk: items with a rating >= 4"
    expect ml100k test_interactions "$test_n" "awk: sum of round(0.2 n) per user"
    expect ml100k train_interactions "$((kept - test_n))" "awk: $kept rows with rating >= 4 minus test"
    below=$(grep -F 'rows below --min-rating' "$T/ml100k.out" | awk '{ print $NF }')
    want_below=$(awk -F'\t' '$3 < 4' "$M/u.data" | wc -l)
    if [ "$below" = "$want_below" ]; then ok "ml100k: rows below --min-rating = $below (awk)"; else bad "ml100k: rows below --min-rating = '$below', want $want_below"; fi
fi

echo "# kgcn-music: header line, random 80/20 split"
K=$DATA/kgcn-music
if build music --header --columns user,item,rating --split random:0.2 --interactions "$K/user_artists.dat"; then
    tail -n +2 "$K/user_artists.dat" | tr -d '\r' | awk -F'\t' 'NF && !seen[$1 "\t" $2]++' >"$T/music.kept"
    kept=$(wc -l <"$T/music.kept")
    test_n=$(awk -F'\t' '{ m[$1]++ } END { for (u in m) { k = int(0.2 * m[u] + 0.5); if (k >= m[u]) k = m[u] - 1; t += k } print t + 0 }' "$T/music.kept")
    expect music users 1892 README
    expect music items 17632 README
    expect music test_interactions "$test_n" "awk: sum of round(0.2 n) per user"
    expect music train_interactions "$((92834 - test_n))" "README: 92834 interactions minus test"
    expect music train_interactions "$((kept - test_n))" "awk: distinct rows minus test"
fi

echo "# diffnet-yelp: CRLF TSV, train + test + directed social links"
Y=$DATA/diffnet-yelp
if build yelp --interactions "$Y/yelp.train.rating" --test "$Y/yelp.test.rating" --social "$Y/yelp.links"; then
    tr -d '\r' <"$Y/yelp.train.rating" | awk -F'\t' 'NF { print $1 "\t" $2 }' | sort -u >"$T/y.train"
    tr -d '\r' <"$Y/yelp.test.rating" | awk -F'\t' 'NF { print $1 "\t" $2 }' | sort -u >"$T/y.test"
    tr -d '\r' <"$Y/yelp.links" | awk -F'\t' 'NF && $1 != $2 { print ($1 < $2) ? $1 "\t" $2 : $2 "\t" $1 }' | sort -u >"$T/y.social"
    expect yelp train_interactions 185869 README
    expect yelp train_interactions "$(wc -l <"$T/y.train")" "awk: distinct train pairs"
    expect yelp test_interactions "$(comm -23 "$T/y.test" "$T/y.train" | wc -l)" "awk: distinct test pairs not in train"
    expect yelp items "$(cat "$T/y.train" "$T/y.test" | cut -f2 | sort -u | wc -l)" "awk: items over train + test"
    expect yelp users "$( { cut -f1 "$T/y.train" "$T/y.test"; cut -f1,2 "$T/y.social" | tr '\t' '\n'; } | sort -u | wc -l)" \
        "awk: users of train + test + links"
    expect yelp social_edges "$(wc -l <"$T/y.social")" "awk: undirected pairs without self-loops"
fi

echo "$N checks, $FAILED failed"
[ "$FAILED" = 0 ]
