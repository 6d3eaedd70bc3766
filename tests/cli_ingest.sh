#!/usr/bin/env bash
# cli_ingest.sh - the memory-lean build-graph path (docs/ingest.md): rows
# sorted and deduplicated in place, edges appended in key order into a new
# store, the test-in-train check as a merge with the sorted train rows.
#   * repeated pairs within one adj line, across lines of one user, within
#     the test file and across the train and test files: counted and dropped
#     as awk counts them from the files;
#   * a generated graph (adj, 30k interactions) reads whole: every pair the
#     file holds is stored (the row-size estimate never cuts the input);
#   * --append after such a sorted-append first build: new users and items,
#     pairs of known users below the stored keys, repeats of stored pairs,
#     a train pair already stored as test; counts as awk computes them, and
#     a second identical append adds nothing;
#   * --progress writes progress lines (reading, writing; rate, ETA) to stderr; without it and
#     off a terminal stderr stays empty.
# Usage: cli_ingest.sh PATH/TO/gnnrec
source "$(dirname "$0")/lib.sh"
g=$(cd "$(dirname "$g")" && pwd)/$(basename "$g")   # the test cds
cd "$tmp" || exit 1
export LC_ALL=C   # sort and comm agree on byte order

# stats KEY STORE: an integer field of stats --json
stat_of() { "$g" stats --store "$2" --json | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
# dropped LABEL FILE: the count on the summary line LABEL
dropped() { grep -F "  $1 " "$2" | awk '{print $NF}'; }
# distinct pairs of an adj file (user item per item token)
adj_pairs() { awk '{for (i = 2; i <= NF; i++) print $1 "\t" $i}' "$@" | sort -u; }

echo "# repeated pairs within and across the train and test files"
printf 'u1 i1 i2 i1 i3\nu2 i2\nu1 i3 i4\nu3 i1 i1\n' > train.adj   # i1 twice on line 1, i3 on lines 1 and 3
printf 'u1 i5 i5 i2\nu2 i2 i6\nu4 i1\nu2 i6\n' > test.adj           # i5 twice; u1 i2 and u2 i2 are train pairs
"$g" build-graph --store s1 --format adj --interactions train.adj --test test.adj > out1 2> err1
rc=$?
check "repeats: exit 0 ($(head -c 200 err1))" test $rc = 0
train_rows=$(awk '{n += NF - 1} END {print n}' train.adj)
train_distinct=$(adj_pairs train.adj | wc -l)
test_rows=$(awk '{n += NF - 1} END {print n}' test.adj)
test_distinct=$(adj_pairs test.adj | wc -l)
test_in_train=$(comm -12 <(adj_pairs train.adj) <(adj_pairs test.adj) | wc -l)
check "repeats: train interactions = $train_distinct (awk)" test "$(stat_of train_interactions s1)" = "$train_distinct"
check "repeats: test interactions = $((test_distinct - test_in_train)) (awk)" \
    test "$(stat_of test_interactions s1)" = "$((test_distinct - test_in_train))"
check "repeats: duplicate training interactions = $((train_rows - train_distinct))" \
    test "$(dropped 'duplicate training interactions' out1)" = "$((train_rows - train_distinct))"
check "repeats: duplicate test interactions = $((test_rows - test_distinct))" \
    test "$(dropped 'duplicate test interactions' out1)" = "$((test_rows - test_distinct))"
check "repeats: test pairs already in training = $test_in_train" \
    test "$(dropped 'test pairs already in training' out1)" = "$test_in_train"
check "repeats: users = 4, items = 6" test "$(stat_of users s1) $(stat_of items s1)" = "4 6"

echo "# a generated graph reads whole"
"$g" generate --out gen --interactions 30000 --users 1500 --items 700 --test-fraction 0.2 --seed 3 > /dev/null 2>&1
rc=$?
check "generate: exit 0" test $rc = 0
"$g" build-graph --store s2 --format adj --interactions gen/train.txt --test gen/test.txt > out2 2> err2
rc=$?
check "generated: exit 0 ($(head -c 200 err2))" test $rc = 0
check "generated: train interactions = distinct pairs of train.txt" \
    test "$(stat_of train_interactions s2)" = "$(adj_pairs gen/train.txt | wc -l)"
check "generated: test interactions = distinct test pairs not in train" \
    test "$(stat_of test_interactions s2)" = "$(comm -13 <(adj_pairs gen/train.txt) <(adj_pairs gen/test.txt) | wc -l)"
check "generated: users = distinct users" \
    test "$(stat_of users s2)" = "$(cat gen/train.txt gen/test.txt | awk '{print $1}' | sort -u | wc -l)"

echo "# --append after a sorted-append first build"
# pairs: a repeat of a stored train pair (u1 i1), a known user's pair below
# its stored keys (u3 i0, i0 new), new users (u9, u0) and items, a pair
# stored as test (u1 i5), a repeat within the file (u9 i9)
printf 'u1\ti1\nu3\ti0\nu9\ti9\nu0\ti2\nu1\ti5\nu9\ti9\nu2\ti4\n' > more.tsv
"$g" build-graph --store s1 --append --interactions more.tsv > out3 2> err3
rc=$?
check "append: exit 0 ($(head -c 200 err3))" test $rc = 0
stored_train=$(adj_pairs train.adj)
stored_test=$(comm -13 <(adj_pairs train.adj) <(adj_pairs test.adj))
more=$(sort -u more.tsv)
new_train=$(comm -23 <(echo "$more") <(echo "$stored_train") | comm -23 - <(echo "$stored_test") | wc -l)
in_test=$(comm -12 <(echo "$more") <(echo "$stored_test") | wc -l)
check "append: train interactions = $train_distinct + $new_train" \
    test "$(stat_of train_interactions s1)" = "$((train_distinct + new_train))"
check "append: training pairs already stored as test = $in_test" \
    test "$(dropped 'training pairs already stored as test' out3)" = "$in_test"
check "append: users = 6, items = 8" test "$(stat_of users s1) $(stat_of items s1)" = "6 8"
if command -v mdb_dump > /dev/null 2>&1; then
    keys=$(mdb_dump -s edges:train s1 | sed -n '/^HEADER=END/,/^DATA=END/p' | awk 'NR % 2 == 0 && !/DATA=END/')
    check "append: edges:train keys ascending and distinct" test "$keys" = "$(sort -u <<<"$keys")"
    check "append: edges:train holds every train interaction" test "$(grep -c . <<<"$keys")" = "$((train_distinct + new_train))"
fi
"$g" build-graph --store s1 --append --interactions more.tsv > out4 2> err4
rc=$?
check "append again: exit 0" test $rc = 0
check "append again: adds no train interaction" \
    test -n "$(grep -E '^  train interactions +[0-9]+  \(\+0\)$' out4)"

echo "# --progress"
"$g" build-graph --store s3 --format adj --interactions gen/train.txt --progress > out5 2> err5
rc=$?
check "--progress: exit 0" test $rc = 0
check "--progress: a reading line with the rate and ETA on stderr" grep -q "reading gen/train.txt, bytes: .*/s, ETA" err5
check "--progress: a writing line that reaches every row" grep -q "writing edges: \([0-9]*\)/\1 (100%)" err5
"$g" build-graph --store s4 --format adj --interactions gen/train.txt > out6 2> err6
check "no --progress off a terminal: stderr empty" test ! -s err6

report
