#!/usr/bin/env bash
# hetero_compare.sh - the table of docs/hetero.md: LightGCN with and without
# social edges (lastfm, diffnet-yelp), with and without knowledge edges
# (kgcn-music), and the cold-item test, all through the gnnrec command.
# Same seed, same epochs, same hyper-parameters within each comparison; the
# all-ranking protocol of `gnnrec eval`.
# usage: bench/hetero_compare.sh [GNNREC [DATA [WORKDIR]]]
#   EPOCHS (40), YELP_EPOCHS (20), SEEDS ("2020"), PARTS ("lastfm yelp music
#   cold") from the environment.
set -eu
g=${1:-build/tools/gnnrec}
D=${2:-../shared/data}
W=${3:-/tmp/gnnrec-hetero}
EPOCHS=${EPOCHS:-40}
YELP_EPOCHS=${YELP_EPOCHS:-20}
SEEDS=${SEEDS:-2020}
PARTS=${PARTS:-lastfm yelp music cold}
part() { [[ " $PARTS " == *" $1 "* ]]; }
mkdir -p "$W"
hp=(--dim 64 --layers 3 --lr 0.01 --batch-size 2048 --reg 1e-4 --eval-every 0 --threads 2)
jget() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" <<<"$1"; }

row() {   # row LABEL STORE MODEL -- train args...
  local label=$1 store=$2 model=$3; shift 4
  local t0 t1 ev
  t0=$(date +%s.%N)
  "$g" train --store "$store" --model "$model" "${hp[@]}" "$@" >/dev/null 2>"$W/$model.log"
  t1=$(date +%s.%N)
  ev=$("$g" eval --store "$store" --model "$model" --k 20 --json)
  printf '| %s | %s | %s | %s | %.0f s | `gnnrec train %s` |\n' "$label" "$model" "$(jget "$ev" 'recall@20')" \
    "$(jget "$ev" 'ndcg@20')" "$(echo "$t1 - $t0" | bc)" "$*"
}

echo "| dataset | model | Recall@20 | NDCG@20 | train time | train flags (besides ${hp[*]}) |"
echo "|---|---|---|---|---|---|"

# lastfm (LightGCN-PyTorch's social LastFM, its own split)
S=$W/lastfm
part lastfm && [ ! -d "$S" ] && "$g" build-graph --store "$S" --format edges --delim tab --columns user,item,rating \
  --interactions "$D/lastfm/data1.txt" --test "$D/lastfm/test1.txt" --social "$D/lastfm/trustnetwork.txt" >/dev/null
part lastfm && for seed in $SEEDS; do
  row "lastfm" "$S" "lg-$seed" -- --epochs "$EPOCHS" --seed "$seed"
  row "lastfm" "$S" "lgsoc-$seed" -- --epochs "$EPOCHS" --seed "$seed" --edges interaction,social
  row "lastfm" "$S" "lgsoc05-$seed" -- --epochs "$EPOCHS" --seed "$seed" --edges interaction,social --weight-social 0.5
done

# kgcn-music: KGCN keeps only the ratings on the 3,846 artists linked to the
# KG; random 80/20 split per user, seed 2020; KG through the alignment file
M=$W/music
awk -F'\t' 'NR == FNR { sub(/\r$/, "", $1); linked[$1] = 1; next } FNR > 1 && ($2 in linked)' \
  "$D/kgcn-music/item_index2entity_id.txt" "$D/kgcn-music/user_artists.dat" > "$W/music_ratings.tsv"
part music && [ ! -d "$M" ] && "$g" build-graph --store "$M" --delim tab --columns user,item,rating \
  --interactions "$W/music_ratings.tsv" --split random:0.2 --seed 2020 \
  --kg "$D/kgcn-music/kg.txt" --item-entities "$D/kgcn-music/item_index2entity_id.txt" >/dev/null || true
part music && for seed in $SEEDS; do
  row "kgcn-music" "$M" "lg-$seed" -- --epochs "$EPOCHS" --seed "$seed"
  row "kgcn-music" "$M" "lgkg-$seed" -- --epochs "$EPOCHS" --seed "$seed" --edges interaction,knowledge
  row "kgcn-music" "$M" "kglg-$seed" -- --epochs "$EPOCHS" --seed "$seed" --edges interaction,knowledge --arch kglightgcn
done

# cold items: all interactions of 10% of the KG-linked artists (seeded draw
# among those with ratings) are the test set and never trained on; Recall@20
# over these test pairs = how often a cold item comes back in the top 20 of
# a user who really listened to it, among all items the user has not heard.
C=$W/cold
if part cold; then
awk -F'\t' '{ print $2 }' "$W/music_ratings.tsv" | sort -u | awk 'BEGIN { srand(2020) } { print rand() "\t" $1 }' \
  | sort -k1,1 | awk -F'\t' '{ a[NR] = $2 } END { n = int(NR / 10); for (k = 1; k <= n; k++) print a[k] }' > "$W/cold_items.txt"
awk -F'\t' 'NR == FNR { cold[$1] = 1; next } { print > (($2 in cold) ? "'"$W"'/cold_test.tsv" : "'"$W"'/cold_train.tsv") }' \
  "$W/cold_items.txt" "$W/music_ratings.tsv"
[ ! -d "$C" ] && "$g" build-graph --store "$C" --delim tab --columns user,item,rating \
  --interactions "$W/cold_train.tsv" --test "$W/cold_test.tsv" \
  --kg "$D/kgcn-music/kg.txt" --item-entities "$D/kgcn-music/item_index2entity_id.txt" >/dev/null || true
for seed in $SEEDS; do
  row "cold items" "$C" "pop-$seed" -- --arch pop --seed "$seed"
  row "cold items" "$C" "lg-$seed" -- --epochs "$EPOCHS" --seed "$seed"
  row "cold items" "$C" "lgkg-$seed" -- --epochs "$EPOCHS" --seed "$seed" --edges interaction,knowledge
  row "cold items" "$C" "kglg-$seed" -- --epochs "$EPOCHS" --seed "$seed" --edges interaction,knowledge --arch kglightgcn
done
# a random ranking's expected Recall@20: 20 / (items the user has not
# trained on), averaged over users with a cold test item
n_items=$("$g" stats --store "$C" --json | sed -n 's/.*"items":\([0-9]*\).*/\1/p')
awk -F'\t' -v ni="$n_items" 'NR == FNR { tr[$1]++; next } !($1 in seen) { seen[$1] = 1; s += 20 / (ni - tr[$1]); u++ }
  END { printf "| cold items | random (expected) | %.4f | - | - | 20 / unseen items, mean over %d users |\n", s / u, u }' \
  "$W/cold_train.tsv" "$W/cold_test.tsv"
echo "cold items: $(wc -l < "$W/cold_items.txt") artists, $(wc -l < "$W/cold_test.tsv") held-out interactions" >&2
fi

# diffnet-yelp (DiffNet's split; links as undirected social ties)
S=$W/yelp
part yelp && [ ! -d "$S" ] && "$g" build-graph --store "$S" --format edges --delim tab --columns user,item,rating \
  --interactions "$D/diffnet-yelp/yelp.train.rating" --test "$D/diffnet-yelp/yelp.test.rating" \
  --social "$D/diffnet-yelp/yelp.links" >/dev/null || true
part yelp && for seed in $SEEDS; do
  row "diffnet-yelp" "$S" "lg-$seed" -- --epochs "$YELP_EPOCHS" --seed "$seed"
  row "diffnet-yelp" "$S" "lgsoc-$seed" -- --epochs "$YELP_EPOCHS" --seed "$seed" --edges interaction,social
done
true
