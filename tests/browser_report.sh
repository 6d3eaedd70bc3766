#!/usr/bin/env bash
# browser_report.sh - the report of `gnnrec report` in a real browser
# (issue 19): headless Chromium renders it, the screenshot is decoded and
# must hold more distinct colours than a blank page's (taken the same way),
# and the rendered DOM (--dump-dom) holds one <svg> per chart with its
# drawing (polylines, circles). Skipped (77) when /usr/bin/chromium or
# python3 is absent. usage: browser_report.sh PATH/TO/gnnrec [OUT.png]
# (OUT.png: keep the screenshot, for docs/report.png)
set -u
. "$(dirname "$0")/lib.sh"
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "skipped: no $chromium (apt-get install chromium, or GNNREC_BROWSER=1 scripts/deps.sh)"; exit 77; }
command -v python3 >/dev/null || { echo "skipped: no python3 to decode the screenshot"; exit 77; }

browse() {   # browse OUTPUT-FLAG FILE: one headless run, its own profile, no network
  local prof
  prof=$(mktemp -d "$tmp/prof.XXXXXX")
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$prof" \
    --window-size=1200,2000 "$1" "file://$2" 2>/dev/null
}
colours() {   # distinct RGB(A) colours of an 8-bit PNG (truecolour, filtered scanlines)
  python3 - "$1" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w = 8, b'', 0
while pos < len(d):
    n, t = struct.unpack('>I4s', d[pos:pos + 8]); body = d[pos + 8:pos + 8 + n]; pos += 12 + n
    if t == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    if t == b'IDAT': idat += body
bpp = {2: 3, 6: 4}[ctype]; raw = zlib.decompress(idat); stride = w * bpp
prev, seen, o = bytearray(stride), set(), 0
for y in range(h):
    f = raw[o]; line = bytearray(raw[o + 1:o + 1 + stride]); o += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0: seen.update(bytes(line[i:i + bpp]) for i in range(0, stride, bpp * 2))
    prev = line
print(len(seen))
PY
}

small_store "$tmp/s"
$g train --store "$tmp/s" --model mf --arch mf --epochs 3 --dim 16 --eval-every 1 >/dev/null 2>&1
$g train --store "$tmp/s" --model lightgcn --arch lightgcn --layers 2 --epochs 3 --dim 8 --eval-every 1 >/dev/null 2>&1
$g report --store "$tmp/s" --out "$tmp/report.html" --users 500 >/dev/null
printf '<!DOCTYPE html><html><body></body></html>\n' > "$tmp/blank.html"

(cd "$tmp" && browse --screenshot="$tmp/report.png" "$tmp/report.html" && browse --screenshot="$tmp/blank.png" "$tmp/blank.html")
check "chromium: both screenshots taken" test -s "$tmp/report.png" -a -s "$tmp/blank.png"
nb=$(colours "$tmp/blank.png" 2>/dev/null || echo x); nr=$(colours "$tmp/report.png" 2>/dev/null || echo x)
check "screenshot: non-blank ($nr distinct colours sampled; the blank page has $nb)" \
  sh -c "test '$nb' != x && test '$nr' != x && test $nr -ge 8 && test $nr -gt \$((4 * $nb))"
browse --dump-dom "$tmp/report.html" > "$tmp/dom.html"
check "rendered DOM: the 5 charts' <svg> elements (2 per model, the degrees)" test "$(grep -o '<svg' "$tmp/dom.html" | wc -l)" -eq 5
check "rendered DOM: the curves (loss + 4 metrics per model) and the degree dots" \
  sh -c "test \$(grep -o '<polyline' '$tmp/dom.html' | wc -l) -eq 10 && test \$(grep -o '<circle' '$tmp/dom.html' | wc -l) -gt 20"
check "rendered DOM: the tables (models, popularity)" test "$(grep -o '<table' "$tmp/dom.html" | wc -l)" -eq 2
[ $# -ge 2 ] && cp "$tmp/report.png" "$2"
report
