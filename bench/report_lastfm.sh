#!/usr/bin/env bash
# report_lastfm.sh - docs/report.png: `gnnrec report` on lastfm (train/test
# split as shipped, interactions only) with three quick models (mf and
# lightgcn, 10 epochs of dim 32 evaluated every 2, and pop), rendered by
# headless Chromium at 1200 x 2000. Prints the commands it runs and the
# report's popularity table as text. About 30 s on one thread.
# Usage: bench/report_lastfm.sh PATH/TO/gnnrec [OUT.png] [DATA_DIR]   (default docs/report.png, ../shared/data)
set -eu
GNNREC=${1:?usage: report_lastfm.sh PATH/TO/gnnrec [OUT.png] [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${2:-$HERE/../docs/report.png}
L=${3:-${GNNREC_DATA:-$HERE/../../shared/data}}/lastfm
[ -f "$L/data1.txt" ] || { echo "no $L/data1.txt" >&2; exit 77; }
[ -x /usr/bin/chromium ] || { echo "no /usr/bin/chromium (GNNREC_BROWSER=1 scripts/deps.sh)" >&2; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
run() { echo "+ $*" | sed "s|$T|T|g" >&2; "$@"; }
run "$GNNREC" build-graph --store "$T/s" --format edges --delim tab --columns user,item,rating \
  --interactions "$L/data1.txt" --test "$L/test1.txt" > /dev/null
for a in mf lightgcn; do
  run "$GNNREC" train --store "$T/s" --model "$a" --arch "$a" --dim 32 --epochs 10 --eval-every 2 --threads 1 \
    > /dev/null 2>&1
done
run "$GNNREC" train --store "$T/s" --model pop --arch pop > /dev/null 2>&1
run "$GNNREC" report --store "$T/s" --out "$T/report.html" --threads 1
sed -n '/Popularity bias/,/<\/table>/p' "$T/report.html" | sed 's/<\/t[dh]>/\t/g; s/<[^>]*>//g' | grep -v '^$' | tail -n +2
run timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$T/prof" \
  --screenshot="$OUT" --window-size=1200,2000 "file://$T/report.html" 2>/dev/null
ls -l "$OUT"
