#!/usr/bin/env bash
# Matcher benchmark: one million indicators (60% hashes, 25% domains, 5% URLs, 10% IPv4/CIDR, each
# with a provenance record) in an IndicatorSet; 1,000,000 lookups per matcher (half hits), plus the
# numeric address lookups hunt uses (matchIPv4, and matchIPv6 on 20,000 IPv6 networks). Rates are
# per CPU second (the build machine is shared, wall time would measure the neighbours); peak RSS from
# /usr/bin/time -v. Peers on the same hash data: a Python set (CPython 3) and grep -F -x -f.
#
#   benchmarks/matchers.sh [N]          (N indicators, default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
OUT="${TMPDIR:-/tmp}/vigil-matcher-bench.$$"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT"
nice -n 19 swift build -c release --product vigil-matcher-bench 2>&1 | grep -E "error|Compiling|Build" >&2 || true
BIN=.build/release/vigil-matcher-bench

echo "== Vigil IndicatorSet ($N indicators)"
nice -n 19 /usr/bin/time -v "$BIN" "$N" "$OUT" 2> "$OUT/time.txt" | tee "$OUT/vigil.txt"
grep -E "Maximum resident set size" "$OUT/time.txt" | sed 's/^\s*/  vigil peak /'

echo "== Python set (same $(wc -l < "$OUT/hashes.txt") hash indicators, same queries)"
nice -n 19 python3 benchmarks/matchers_peer.py "$OUT/hashes.txt" "$OUT/hash-queries.txt" | tee "$OUT/python.txt"

echo "== grep -F -x -f (same hashes as fixed strings, one pass over the $(wc -l < "$OUT/hash-queries.txt") queries)"
if command -v grep >/dev/null; then
    nice -n 19 /usr/bin/time -f "  grep: %U s user, peak RSS %M KB" timeout 600 grep -c -F -x -f "$OUT/hashes.txt" "$OUT/hash-queries.txt" \
        | sed 's/^/  matched lines: /' || echo "  grep timed out"
fi

vigil_rate=$(awk '/^hash \(matchHash\)/ {print $(NF-3)}' "$OUT/vigil.txt")
python_rate=$(sed -E 's/.* ([0-9]+) lookups\/s.*/\1/' "$OUT/python.txt")
awk -v v="$vigil_rate" -v p="$python_rate" 'BEGIN { printf "== hash lookups: vigil %.0f/s, python set %.0f/s, ratio vigil/python %.2f\n", v, p, v / p }'
