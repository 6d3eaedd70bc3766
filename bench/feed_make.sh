#!/usr/bin/env bash
# feed_make.sh - candidate sets for `gnnrec rank-feed` benchmarks.
#
#   feed_make.sh lastfm DATA_DIR OUT_DIR [SEED]
#     A realistic labelled feed from LightGCN's LastFM split (DATA_DIR/lastfm):
#     for every user with held-out (test1.txt) engagements, the candidates are
#       - the held-out items (the positives, written to OUT_DIR/labels.tsv),
#       - up to 100 items engaged (data1.txt) by the user's friends and not by
#         the user, sampled uniformly,
#       - 50 random items the user never engaged with;
#     the author of a post is a random friend who engaged with its item, else
#     a random other user who did, else a random friend. The data has no
#     timestamps, so every post gets a random time within 30 days (so the
#     reverse-chronological baseline is a random order here). Each viewer's
#     candidates are shuffled, so input order tells nothing.
#   feed_make.sh synthetic N_CANDIDATES N_VIEWERS N_USERS N_ITEMS OUT_FILE [SEED]
#     A throughput job: N_VIEWERS viewers u0.. (of N_USERS, the ids of
#     `gnnrec generate`), N_CANDIDATES/N_VIEWERS posts each by random authors
#     about 1-3 random items i0.., random times.
#
# Output columns: viewer post author content time (tab-separated), grouped by
# viewer: rank-feed's default --columns. Random numbers come from a MINSTD
# generator written in awk, so any awk gives the same files for a seed.
set -eu
mode=${1:?usage: feed_make.sh lastfm DATA_DIR OUT_DIR [SEED] | synthetic N_CAND N_VIEWERS N_USERS N_ITEMS OUT [SEED]}
shift

rng='function rnd() { seed = (seed * 48271) % 2147483647; return (seed - 1) / 2147483646 }
     function rint(n) { return int(rnd() * n) }'

if [ "$mode" = lastfm ]; then
    D=${1:?DATA_DIR}/lastfm
    O=${2:?OUT_DIR}
    SEED=${3:-2020}
    for f in data1.txt test1.txt trustnetwork.txt; do
        [ -f "$D/$f" ] || { echo "feed_make.sh: no $D/$f" >&2; exit 77; }
    done
    mkdir -p "$O"
    awk -F'\t' -v seed="$SEED" -v out="$O" "$rng"'
    { sub(/\r$/, "") }   # the files are CRLF
    FILENAME ~ /data1/ { tr[$1] = tr[$1] " " $2; seen[$1, $2] = 1; iu[$2] = iu[$2] " " $1; item[$2] = 1; next }
    FILENAME ~ /test1/ { te[$1] = te[$1] " " $2; seen[$1, $2] = 1; item[$2] = 1; if (!($1 in tu)) { tu[$1] = 1; order[++nv] = $1 }; next }
    { fr[$1] = fr[$1] " " $2 }
    END {
        ni = 0; for (i in item) items[++ni] = i
        # awk arrays have no order: sort the item list so a seed means one file
        for (a = 2; a <= ni; a++) { x = items[a]; b = a - 1; while (b > 0 && items[b] + 0 > x + 0) { items[b + 1] = items[b]; b-- } items[b + 1] = x }
        for (k = 1; k <= nv; k++) {
            v = order[k]; n = 0; delete cand; delete auth; delete cnt; delete pick
            nf = split(fr[v], F, " ")
            np = split(te[v], P, " ")
            for (a = 1; a <= np; a++) { cand[++n] = P[a]; pick[P[a]] = 1; print v "\tp" P[a] > (out "/labels.tsv") }
            # friends engagements: count friends per item, keep one at random (reservoir)
            m = 0; delete fi
            for (a = 1; a <= nf; a++) {
                c = split(tr[F[a]], T, " ")
                for (b = 1; b <= c; b++) {
                    i = T[b]
                    if (!((i in cnt) || (v, i) in seen)) fi[++m] = i
                    if (++cnt[i] == 1 || rint(cnt[i]) == 0) auth[i] = F[a]
                }
            }
            for (a = 1; a <= m && a <= 100; a++) { b = a + rint(m - a + 1); t = fi[a]; fi[a] = fi[b]; fi[b] = t; cand[++n] = fi[a]; pick[fi[a]] = 1 }
            for (r = 0; r < 50; ) { i = items[1 + rint(ni)]; if ((v, i) in seen || i in pick) continue; pick[i] = 1; cand[++n] = i; r++ }
            for (a = n; a > 1; a--) { b = 1 + rint(a); t = cand[a]; cand[a] = cand[b]; cand[b] = t }
            for (a = 1; a <= n; a++) {
                i = cand[a]
                if (i in auth) au = auth[i]
                else if ((c = split(iu[i], U, " ")) > 0) au = U[1 + rint(c)]   # never v: v did not engage
                else au = nf ? F[1 + rint(nf)] : order[1 + rint(nv)]
                printf "%s\tp%s\t%s\t%s\t%d\n", v, i, au, i, 1600000000 + rint(30 * 86400) > (out "/candidates.tsv")
            }
        }
    }' "$D/data1.txt" "$D/test1.txt" "$D/trustnetwork.txt"
    echo "feed_make.sh: $(wc -l <"$O/candidates.tsv") candidates of $(cut -f1 "$O/candidates.tsv" | uniq | wc -l) viewers, $(wc -l <"$O/labels.tsv") engagements in $O" >&2
elif [ "$mode" = synthetic ]; then
    N=${1:?N_CANDIDATES}; V=${2:?N_VIEWERS}; U=${3:?N_USERS}; I=${4:?N_ITEMS}; OUT=${5:?OUT_FILE}; SEED=${6:-2020}
    awk -v seed="$SEED" -v n="$N" -v nv="$V" -v nu="$U" -v ni="$I" "$rng"'
    BEGIN {
        per = int(n / nv); extra = n - per * nv; p = 0
        for (v = 0; v < nv; v++) {
            c = per + (v < extra)
            for (k = 0; k < c; k++) {
                r = rint(3)
                content = "i" rint(ni); if (r > 0) content = content "|i" rint(ni); if (r > 1) content = content "|i" rint(ni)
                printf "u%d\tp%d\tu%d\t%s\t%d\n", v, p++, rint(nu), content, 1600000000 + rint(7 * 86400)
            }
        }
    }' > "$OUT"
else
    echo "feed_make.sh: unknown mode '$mode' (lastfm or synthetic)" >&2
    exit 2
fi
