#!/usr/bin/env bash
# deps.sh - install the Debian packages gnnrec needs, only those missing.
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail
# libopenmpi-dev, openmpi-bin: distributed jobs (mpirun; meson -Dmpi=auto finds them);
# libmetis-dev: graph partitions (partition --method metis). Both optional to
# the build, installed here so that CI builds and tests them.
pkgs=(gcc pkg-config meson ninja-build libigraph-dev liblmdb-dev libopenblas-dev libyaml-dev lmdb-utils
      libopenmpi-dev openmpi-bin libmetis-dev)
# chromium: only for the browser test of `gnnrec report` (tests/browser_report.sh,
# suite 'browser'; skipped without it). A large download (~100 MB with its
# libraries), so installed only when asked: GNNREC_BROWSER=1 scripts/deps.sh.
[ "${GNNREC_BROWSER:-0}" = 1 ] && pkgs+=(chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
