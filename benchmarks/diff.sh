#!/usr/bin/env bash
# Release-diff benchmark: `vigil diff` (release build) side by side with diffoscope, the reference
# tool for "what changed between two builds", on the same pairs in one run. Prints wall time per
# tool and pair, the input size, and the ratio diffoscope / vigil.
#
# The tools answer different questions (diffoscope: every byte-level and textual difference, deep;
# vigil: per-file facts + risk signals), so the ratio is a cost comparison for a CI gate, not a
# like-for-like parser race. Both are run with their defaults; each pair is run 3 times, best kept.
#
# usage: benchmarks/diff.sh           (needs: swift, diffoscope; fixtures from scripts/build-fixtures.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v diffoscope >/dev/null || { echo "install diffoscope: apt-get install --no-install-recommends diffoscope" >&2; exit 2; }
swift build -c release --product vigil >/dev/null
vigil=.build/release/vigil
F=Fixtures/build/diff
R=Fixtures/build/diff-real
pairs=(
    "$F/clean $F/3cx-like"
    "$F/clean.zip $F/3cx-like.tar.gz"
    "$R/PyYAML-6.0.1-cp311-cp311-win_amd64.whl $R/PyYAML-6.0.2-cp311-cp311-win_amd64.whl"
    "$R/distlib-0.3.8-py2.py3-none-any.whl $R/distlib-0.3.9-py2.py3-none-any.whl"
    "$R/setuptools-80.8.0-py3-none-any.whl $R/setuptools-80.9.0-py3-none-any.whl"
)
best() { # command... → best wall seconds of 3 runs
    local best=999999
    for _ in 1 2 3; do
        local s e
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || true
        e=$(date +%s.%N)
        best=$(python3 -c "print(min($best, $e - $s))")
    done
    echo "$best"
}
printf '%-70s %10s %10s %12s %8s\n' pair "input KiB" "vigil s" "diffoscope s" ratio
for p in "${pairs[@]}"; do
    set -- $p
    [ -e "$1" ] && [ -e "$2" ] || { echo "missing $1 or $2 (run scripts/build-fixtures.sh)" >&2; continue; }
    kib=$(du -sk "$1" "$2" | awk '{s+=$1} END {print s}')
    v=$(best "$vigil" diff "$1" "$2")
    d=$(best diffoscope --no-progress --text /dev/null "$1" "$2")
    printf '%-70s %10s %10.3f %12.3f %8.1f\n' "$(basename "$1") → $(basename "$2")" "$kib" "$v" "$d" "$(python3 -c "print($d / $v)")"
done
