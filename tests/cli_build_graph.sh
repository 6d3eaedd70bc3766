#!/usr/bin/env bash
# cli_build_graph.sh - `gnnrec build-graph` and `gnnrec stats` driven as a
# user would, on small files made here:
#   * every kind of bad input (wrong column count, non-numeric rating or time,
#     empty id, over-long id or line, binary file, empty file, header-only
#     file, missing file, bad lines in --test/--social/--kg, all rows below
#     --min-rating) exits 2 with "FILE:LINE: what is wrong" on stderr, and
#     - for a new store: the store directory does not exist afterwards;
#     - for --append: the store is byte-for-byte as it was (sha256 of data.mdb
#       and of a full `mdb_dump -a`);
#   * an unwritable store (new and --append) exits 2 and changes nothing;
#   * --append adds new users/items/edges with the right counts, known ids
#     keep their dense ids (name:user/name:item dumps before/after), a
#     repeated append adds nothing;
#   * duplicates collapsed and counted, social ties undirected with
#     self-loops dropped, test pairs already in train dropped, --header,
#     CRLF, --columns with `_`, --min-rating, --split determinism by seed;
#   * --help exits 0, an unknown option or missing value exits 2, an existing
#     store without --append exits 2 and is left alone.
# Usage: cli_build_graph.sh PATH/TO/gnnrec
set -u

GNNREC=${1:?usage: cli_build_graph.sh PATH/TO/gnnrec}
[ -x "$GNNREC" ] || { echo "not executable: $GNNREC" >&2; exit 1; }
GNNREC=$(cd "$(dirname "$GNNREC")" && pwd)/$(basename "$GNNREC")   # the tests cd
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-cli-XXXXXX") || exit 1
cleanup() { chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
unset GNNREC_MAPSIZE_MB

N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok   $*"; }
bad() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "FAIL $*"; }
# check "what" test-args...: a check that passes when `test ARGS` holds
check() { local what=$1; shift; if [ "$@" ]; then ok "$what"; else bad "$what"; fi; }

if command -v mdb_dump >/dev/null 2>&1; then
    HAVE_DUMP=1
else
    HAVE_DUMP=0
    echo "note: mdb_dump not found (install lmdb-utils): comparing data.mdb checksums only"
fi

# Everything that says what a store holds, as one hash.
snapshot() {
    local d=$1
    if [ ! -e "$d" ]; then echo "absent"; return; fi
    {
        sha256sum <"$d/data.mdb" 2>/dev/null || echo "no data.mdb"
        ls -A "$d"
        [ $HAVE_DUMP = 1 ] && mdb_dump -a "$d" 2>&1
    } | sha256sum | cut -d' ' -f1
}

# run ARGS...: run gnnrec, stdout to $T/out, stderr to $T/err, exit code in RC
run() {
    "$GNNREC" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# json KEY: an integer field of the stats --json object in $T/out
json() { grep -o "\"$1\":[0-9]*" "$T/out" | head -1 | cut -d: -f2; }

# stats_is DIR "users=3 items=4 ...": stats --json counts of a store
stats_is() {
    local dir=$1 want=$2 kv k v got
    run stats --store "$dir" --json
    if [ $RC != 0 ]; then bad "stats --store $dir: exit $RC: $(cat "$T/err")"; return; fi
    for kv in $want; do
        k=${kv%%=*}; v=${kv#*=}
        got=$(json "$k")
        if [ "$got" = "$v" ]; then ok "$dir: $k = $v"; else bad "$dir: $k = '$got', want $v"; fi
    done
}

# summary LABEL: the number at the end of a build-graph summary line
summary() { grep -F -- "$1" "$T/out" | head -1 | awk '{print $NF}'; }

# ------------------------------------------------------------ input files
cd "$T" || exit 1
printf 'u1\ti1\nu1\ti2\nu2\ti1\nu3\ti3\n' >base.tsv
printf 'u1\ti3\nu2\ti2\n' >base_test.tsv

# bad inputs: name | file | extra args | expected "FILE:LINE:" prefix | message fragment
printf 'u1\ti1\nu2\ti2\nu3\n' >few_cols.tsv
printf 'u1 i1\nu2 i2 x\n' >more_cols.txt
printf 'u1 i1 5\nu2 i2 4\nu3 i3 five\n' >rating.txt
printf 'u1 i1 5 100\nu2 i2 4 yesterday\n' >time.txt
printf 'u1 i1 5 100\nu2 i2 4 10.5\n' >time_frac.txt
printf 'u1,i1\n,i2\n' >empty_user.csv
printf 'u1,i1\nu2,\n' >empty_item.csv
printf 'u1 i1\nu2 %s\n' "$(head -c 300 /dev/zero | tr '\0' x)" >long_id.txt
{ printf 'u1 i1\nu2 i2\n'; head -c 70000 /dev/zero | tr '\0' y; printf ' i3\n'; } >long_line.txt
printf 'u1 i1\n\177ELF\002\001\001\000\000\000\000\n' >binary.txt
: >empty.txt
printf 'user\titem\n' >header_only.tsv
printf 'u1 i1\r\nu2 i2\r\nu3\r\n' >crlf_bad.txt
printf 'u1 i1 1\nu2 i2 2\n' >all_low.txt
printf 'u1 i1\nu2 i2\nu3 i3 i4\n' >test_bad.txt
printf 'u1 u2\nu2 u3\nu3\n' >social_bad.txt
printf 'u1 u2 1\nu2 u3 strong\n' >social_weight.txt
printf '1 r 2\n2 r 3\n3 r\n' >kg_bad.txt
printf '0 1 2\n1 2 3\n2 \000\001\n' >adj_binary.txt
cp "$GNNREC" prog.bin

I="--interactions"
BAD_CASES=(
"few columns|few_cols.tsv|$I few_cols.tsv|few_cols.tsv:3:|expected 2 columns"
"more columns than the first row|more_cols.txt|$I more_cols.txt|more_cols.txt:2:|found 3"
"non-numeric rating|rating.txt|$I rating.txt --columns user,item,rating|rating.txt:3:|rating"
"non-numeric time|time.txt|$I time.txt --columns user,item,rating,time|time.txt:2:|time"
"fractional time|time_frac.txt|$I time_frac.txt --columns user,item,rating,time|time_frac.txt:2:|time"
"empty user id|empty_user.csv|$I empty_user.csv --delim comma|empty_user.csv:2:|empty user id"
"empty item id|empty_item.csv|$I empty_item.csv|empty_item.csv:2:|empty item id"
"id over 256 bytes|long_id.txt|$I long_id.txt|long_id.txt:2:|longer than"
"line over 64 KiB|long_line.txt|$I long_line.txt|long_line.txt:3:|line longer than"
"binary file|binary.txt|$I binary.txt|binary.txt:2:|binary"
"an executable|prog.bin|$I prog.bin|prog.bin:1:|binary"
"an executable as --social|prog.bin|$I base.tsv --social prog.bin|prog.bin:1:|binary"
"binary adj file|adj_binary.txt|$I adj_binary.txt --format adj|adj_binary.txt:3:|binary"
"empty file|empty.txt|$I empty.txt|empty.txt: |empty file"
"header-only file|header_only.tsv|$I header_only.tsv --header|header_only.tsv: |empty file"
"CRLF file, short line|crlf_bad.txt|$I crlf_bad.txt|crlf_bad.txt:3:|expected 2 columns"
"all rows below --min-rating|all_low.txt|$I all_low.txt --columns user,item,rating --min-rating 4|all_low.txt: |below --min-rating"
"missing file|nonexistent.txt|$I nonexistent.txt|nonexistent.txt: |cannot open"
"bad --test line|test_bad.txt|$I base.tsv --test test_bad.txt|test_bad.txt:3:|expected 2 columns"
"bad --social line|social_bad.txt|$I base.tsv --social social_bad.txt|social_bad.txt:3:|columns"
"bad --social weight|social_weight.txt|$I base.tsv --social social_weight.txt|social_weight.txt:2:|weight"
"bad --kg line|kg_bad.txt|$I base.tsv --kg kg_bad.txt|kg_bad.txt:3:|expected 3 columns"
)

# expect_bad WHAT PREFIX FRAGMENT: last run exited 2 and stderr has PREFIX...FRAGMENT
expect_bad() {
    local what=$1 prefix=$2 frag=$3
    if [ $RC = 2 ]; then ok "$what: exit 2"; else bad "$what: exit $RC, want 2"; fi
    if grep -qF -- "$prefix" "$T/err" && grep -F -- "$prefix" "$T/err" | grep -qF -- "$frag"; then
        ok "$what: stderr says '$prefix ... $frag'"
    else
        bad "$what: stderr '$(head -c 300 "$T/err")' lacks '$prefix ... $frag'"
    fi
    if [ -s "$T/out" ]; then bad "$what: stdout not empty: $(head -c 200 "$T/out")"; fi
}

echo "# bad input into a new store: exit 2, FILE:LINE, no store left behind"
for c in "${BAD_CASES[@]}"; do
    IFS='|' read -r what _ args prefix frag <<<"$c"
    rm -rf new.store
    # shellcheck disable=SC2086
    run build-graph --store new.store $args
    expect_bad "new store, $what" "$prefix" "$frag"
    check "new store, $what: store dir absent" ! -e new.store
done
# a pre-existing empty directory stays, empty
mkdir empty.dir
run build-graph --store empty.dir --interactions rating.txt --columns user,item,rating
expect_bad "empty store dir, non-numeric rating" "rating.txt:3:" "rating"
check "empty store dir stays empty" -d empty.dir -a -z "$(ls -A empty.dir)"
rmdir empty.dir

echo "# bad input appended to a store: exit 2, FILE:LINE, store byte-for-byte unchanged"
run build-graph --store app.store --interactions base.tsv --test base_test.tsv
check "base store built (exit $RC)" $RC = 0
before=$(snapshot app.store)
for c in "${BAD_CASES[@]}"; do
    IFS='|' read -r what _ args prefix frag <<<"$c"
    # shellcheck disable=SC2086
    run build-graph --store app.store --append $args
    expect_bad "append, $what" "$prefix" "$frag"
    after=$(snapshot app.store)
    check "append, $what: store unchanged" "$after" = "$before"
done
stats_is app.store "users=3 items=3 train_interactions=4 test_interactions=2"

echo "# unwritable store: exit 2, nothing changed"
# as root every file is writable, so run as nobody
AS=()
if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null 2>&1; then
        AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    else
        AS=(skip)
    fi
fi
if [ "${AS[0]:-}" = skip ]; then
    echo "skip unwritable-store checks: running as root without setpriv"
else
    mkdir -p ro && chmod 755 "$T" && chmod 777 ro
    # a new store in a read-only parent directory
    mkdir ro/parent && chmod 555 ro/parent
    ${AS[@]+"${AS[@]}"} "$GNNREC" build-graph --store ro/parent/s --interactions "$T/base.tsv" >"$T/out" 2>"$T/err"
    RC=$?
    check "new store in a read-only dir: exit 2 (got $RC: $(head -c 200 "$T/err"))" $RC = 2
    check "new store in a read-only dir: not created" ! -e ro/parent/s
    # --append onto a read-only store
    cp base.tsv base_test.tsv ro/ && chmod 644 ro/*.tsv
    ${AS[@]+"${AS[@]}"} "$GNNREC" build-graph --store ro/s --interactions ro/base.tsv >/dev/null 2>"$T/err"
    check "store built by the unprivileged user" -f ro/s/data.mdb
    chmod a-w ro/s ro/s/data.mdb
    before=$(snapshot ro/s)
    ${AS[@]+"${AS[@]}"} "$GNNREC" build-graph --store ro/s --append --interactions ro/base_test.tsv >"$T/out" 2>"$T/err"
    RC=$?
    check "append to a read-only store: exit 2 (got $RC: $(head -c 200 "$T/err"))" $RC = 2
    check "append to a read-only store: stderr names the store" -n "$(grep -F 'ro/s' "$T/err")"
    check "append to a read-only store: unchanged" "$(snapshot ro/s)" = "$before"
    chmod -R u+w ro
fi

echo "# a failure in the write phase (file size limit): exit 1, nothing left / changed"
awk 'BEGIN { for (i = 0; i < 20000; i++) print "w" i % 500, "item" i }' >big.txt
rm -rf fsz.store
( trap '' XFSZ; ulimit -f 64; exec "$GNNREC" build-graph --store fsz.store --interactions big.txt ) >"$T/out" 2>"$T/err"
RC=$?
check "new store over the file size limit: exit 1 (got $RC: $(head -c 200 "$T/err"))" $RC = 1
check "new store over the file size limit: store removed" ! -e fsz.store
before=$(snapshot app.store)
kb=$(( $(wc -c <app.store/data.mdb) / 1024 ))
( trap '' XFSZ; ulimit -f "$kb"; exec "$GNNREC" build-graph --store app.store --append --interactions big.txt ) >"$T/out" 2>"$T/err"
RC=$?
check "append over the file size limit: exit 1 (got $RC: $(head -c 200 "$T/err"))" $RC = 1
check "append over the file size limit: store unchanged" "$(snapshot app.store)" = "$before"

echo "# a 1 MB initial map (GNNREC_MAPSIZE_MB=1) grows as needed"
awk 'BEGIN { for (i = 0; i < 60000; i++) print "grow-user-" i % 3000, "grow-item-" i }' >grow.txt
rm -rf grow.store
GNNREC_MAPSIZE_MB=1 "$GNNREC" build-graph --store grow.store --interactions grow.txt >"$T/out" 2>"$T/err"
RC=$?
check "map growth: exit 0 (got $RC: $(head -c 200 "$T/err"))" $RC = 0
check "map growth: data.mdb is over 1 MB ($(wc -c <grow.store/data.mdb 2>/dev/null) B)" "$(wc -c <grow.store/data.mdb 2>/dev/null || echo 0)" -gt 1048576
GNNREC_MAPSIZE_MB=1 "$GNNREC" build-graph --store grow.store --append --interactions big.txt >"$T/out" 2>"$T/err"
check "map growth on append: exit 0 ($(head -c 200 "$T/err"))" $? = 0
stats_is grow.store "users=3500 items=80000 train_interactions=80000"
rm -rf grow.store

echo "# --append: new ids after the known ones, counts add up"
rm -rf a.store
run build-graph --store a.store --interactions base.tsv --test base_test.tsv
check "first build exit 0 (got $RC)" $RC = 0
stats_is a.store "users=3 items=3 entities=0 relations=0 train_interactions=4 test_interactions=2 social_edges=0 kg_triples=0"
if [ $HAVE_DUMP = 1 ]; then
    mdb_dump -s name:user a.store | grep '^ ' >users.before
    mdb_dump -s name:item a.store | grep '^ ' >items.before
fi
# u1 known, u4 new; i3 known, i9 new; (u1,i1) already in train; (u1,i3) is stored as test
printf 'u4\ti9\nu1\ti9\nu1\ti1\nu1\ti3\nu4\ti1\n' >more.tsv
printf 'u4\ti3\nu1\ti2\n' >more_test.tsv
run build-graph --store a.store --append --interactions more.tsv --test more_test.tsv
check "append exit 0 (got $RC: $(head -c 200 "$T/err"))" $RC = 0
check "append summary: 1 duplicate training interaction (u1,i1)" "$(summary 'duplicate training interactions')" = 1
check "append summary: 1 training pair already stored as test (u1,i3)" "$(summary 'training pairs already stored as test')" = 1
check "append summary: 1 test pair already in training (u1,i2)" "$(summary 'test pairs already in training')" = 1
# train: 4 + (u4,i9) (u1,i9) (u4,i1) = 7; test: 2 + (u4,i3) = 3
stats_is a.store "users=4 items=4 train_interactions=7 test_interactions=3"
if [ $HAVE_DUMP = 1 ]; then
    mdb_dump -s name:user a.store | grep '^ ' >users.after
    mdb_dump -s name:item a.store | grep '^ ' >items.after
    check "known users keep their dense ids" "$(head -n "$(wc -l <users.before)" users.after | sha256sum)" = "$(sha256sum <users.before)"
    check "known items keep their dense ids" "$(head -n "$(wc -l <items.before)" items.after | sha256sum)" = "$(sha256sum <items.before)"
    # the new user u4 (hex 7534) got dense id 3
    check "new user u4 got dense id 3" "$(tail -n 2 users.after | tr -d ' \n')" = "000000037534"
fi
before=$(snapshot a.store)
run build-graph --store a.store --append --interactions more.tsv --test more_test.tsv
check "same append again: exit 0" $RC = 0
# (u4,i9) (u1,i9) (u1,i1) (u4,i1) are stored; (u1,i3) is still counted as stored-as-test
check "same append again: 4 duplicate training interactions" "$(summary 'duplicate training interactions')" = 4
check "same append again: 1 duplicate test interaction" "$(summary 'duplicate test interactions')" = 1
stats_is a.store "users=4 items=4 train_interactions=7 test_interactions=3"
# ids are case-sensitive; blanks around a delimited field are trimmed
printf 'U1\ti1\nu1 \ti1\n' >case.tsv
run build-graph --store a.store --append --interactions case.tsv --delim tab
stats_is a.store "users=5 train_interactions=8"

echo "# an existing store without --append, --append without a store"
before=$(snapshot a.store)
run build-graph --store a.store --interactions base.tsv
check "existing store without --append: exit 2 (got $RC)" $RC = 2
check "existing store without --append: says --append" -n "$(grep -F -- '--append' "$T/err")"
check "existing store without --append: unchanged" "$(snapshot a.store)" = "$before"
run build-graph --store none.store --append --interactions base.tsv
check "--append to a missing store: exit 2 (got $RC)" $RC = 2
check "--append to a missing store: not created" ! -e none.store
mkdir other.dir && echo hi >other.dir/notes.txt
run build-graph --store other.dir --interactions base.tsv
check "a non-store directory: exit 2 (got $RC)" $RC = 2
check "a non-store directory: untouched" "$(ls -A other.dir)" = "notes.txt"

echo "# duplicates, social ties, header, CRLF, columns, min-rating"
printf 'user,item,rating,ts\r\nu1,i1,5,10\r\nu1,i2,2,11\r\nu1,i1,4,12\r\nu2,i1,4.5,13\r\nu2,i3,3.99,14\r\nu3,i2,4,15\r\n' >r.csv
# social: u1-u2 both directions, a self-loop, a tie to an unknown user u9, a repeat
printf 'u1\tu2\nu2\tu1\nu3\tu3\nu1\tu9\t0.5\nu9\tu1\t2\nu2\tu3\n' >soc.tsv
printf 'e1 r1 e2\ne2 r1 e3\ne1 r1 e2\ne1 r2 e2\n' >kg.txt
rm -rf f.store
run build-graph --store f.store --interactions r.csv --header --columns user,item,rating,_ --min-rating 4 --social soc.tsv --kg kg.txt
check "features build exit 0 (got $RC: $(head -c 200 "$T/err"))" $RC = 0
check "rows below --min-rating: 2" "$(summary 'rows below --min-rating')" = 2
check "duplicate training interactions: 1" "$(summary 'duplicate training interactions')" = 1
check "social self-loops: 1" "$(summary 'social self-loops')" = 1
check "duplicate social ties: 2" "$(summary 'duplicate social ties')" = 2
check "duplicate kg triples: 1" "$(summary 'duplicate kg triples')" = 1
# users: u1 u2 u3 (interactions) + u9 (social); items i1 i2 (i3 only below 4)
stats_is f.store "users=4 items=2 train_interactions=3 test_interactions=0 social_edges=3 kg_triples=3 entities=3 relations=2"
if [ $HAVE_DUMP = 1 ]; then
    # (u1,i1) keeps the first row's rating 5.0 (flag 01, float 0x40a00000 little-endian)
    check "the first duplicate's rating is kept" -n "$(mdb_dump -s edges:train f.store | grep -A1 '^ 0000000000000000$' | grep '^ 010000a040$')"
fi

echo "# --split: per-user counts, determinism from --seed"
: >sp.tsv
for u in 1 2 3 4 5 6 7 8; do for i in 1 2 3 4 5 6 7 8 9 10; do printf 'u%s\ti%s\t%s\n' $u $i $((u * 100 + i)) >>sp.tsv; done; done
printf 'lonely\ti1\t1\n' >>sp.tsv
for s in 1 2; do
    rm -rf sp$s.store
    run build-graph --store sp$s.store --interactions sp.tsv --columns user,item,time --split random:0.3 --seed 7
    check "random split $s exit 0" $RC = 0
done
# 8 users x round(0.3 x 10) = 24 in test; 'lonely' stays in train
stats_is sp1.store "users=9 train_interactions=57 test_interactions=24"
check "same seed, same split" "$(snapshot sp1.store)" = "$(snapshot sp2.store)"
rm -rf sp3.store
run build-graph --store sp3.store --interactions sp.tsv --columns user,item,time --split random:0.3 --seed 8
check "another seed, another split" "$(snapshot sp3.store)" != "$(snapshot sp1.store)"
rm -rf sp4.store
run build-graph --store sp4.store --interactions sp.tsv --columns user,item,time --split temporal:0.2
stats_is sp4.store "train_interactions=65 test_interactions=16"
if [ $HAVE_DUMP = 1 ]; then
    # the test set is exactly items i9 and i10 of every user: item dense ids 8 and 9
    got=$(mdb_dump -s edges:test sp4.store | grep '^ ' | awk 'NR % 2 == 1 {print substr($1, 9)}' | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
    check "temporal puts the latest in test (got: $got)" "$got" = "00000008x8 00000009x8 "
fi
rm -rf sp5.store
run build-graph --store sp5.store --interactions sp.tsv --columns user,item,time --split leave-one-out
stats_is sp5.store "train_interactions=73 test_interactions=8"

echo "# usage errors: exit 2, nothing created"
for args in "--bogus 1" "--interactions base.tsv" "--store u.store" \
            "--store u.store --interactions base.tsv --format csv" \
            "--store u.store --interactions base.tsv --delim pipe" \
            "--store u.store --interactions base.tsv --columns user,thing" \
            "--store u.store --interactions base.tsv --min-rating 4" \
            "--store u.store --interactions base.tsv --split random:2" \
            "--store u.store --interactions base.tsv --split temporal:0.2" \
            "--store u.store --interactions base.tsv --test base_test.tsv --split random:0.2" \
            "--store u.store --interactions base.tsv --format adj --columns user,item" \
            "--store u.store --interactions"; do
    # shellcheck disable=SC2086
    run build-graph $args
    check "build-graph $args: exit 2 (got $RC)" $RC = 2
    check "build-graph $args: a message on stderr" -s "$T/err"
    check "build-graph $args: no store" ! -e u.store
done
run build-graph --help
check "build-graph --help: exit 0" $RC = 0
check "build-graph --help: usage on stdout" -n "$(grep -F 'usage: gnnrec build-graph' "$T/out")"
run stats --help
check "stats --help: exit 0" $RC = 0
check "stats --help: usage on stdout" -n "$(grep -F 'usage: gnnrec stats' "$T/out")"
run stats --store a.store --bogus
check "stats --bogus: exit 2 (got $RC)" $RC = 2
run stats --store missing.store
check "stats on a missing store: exit 2 (got $RC)" $RC = 2
check "stats on a missing store: not created" ! -e missing.store
run stats
check "stats without --store: exit 2 (got $RC)" $RC = 2

echo "$N checks, $FAILED failed"
[ "$FAILED" = 0 ]
