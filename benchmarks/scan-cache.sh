#!/usr/bin/env bash
# Scan-cache benchmark: a first sweep of a generated tree with an empty cache, then a re-sweep of the
# unchanged tree, both through `vigil scan --cache` with the built-in indicators and YARA rules.
# Prints both times and their ratio (target: the re-sweep at least 20x faster).
#
# usage: benchmarks/scan-cache.sh [FILES] [WORKDIR]
#   FILES    number of files (default 100000), sizes 1-64 KiB (mean about 32 KiB)
#   WORKDIR  where the tree and cache go (default: a temporary folder, removed afterwards)
#   VIGIL    the vigil binary (default: .build/release/vigil, else .build/debug/vigil)
#   THREADS  scan threads (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${1:-100000}
WORK=${2:-$(mktemp -d /tmp/vigil-cache-bench.XXXXXX)}
KEEP=${2:+1}
VIGIL=${VIGIL:-}
if [[ -z "$VIGIL" ]]; then
  if [[ -x .build/release/vigil ]]; then VIGIL=.build/release/vigil; else VIGIL=.build/debug/vigil; fi
fi
THREADS_OPT=()
[[ -n "${THREADS:-}" ]] && THREADS_OPT=(--threads "$THREADS")
cleanup() { [[ -z "$KEEP" ]] && rm -rf "$WORK"; }
trap cleanup EXIT

echo "binary: $VIGIL"
if [[ ! -f "$WORK/tree.done" ]]; then
  echo "generating $FILES files under $WORK/tree ..."
  python3 - "$WORK/tree" "$FILES" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261207)
os.makedirs(root, exist_ok=True)
block = rng.randbytes(1 << 16)
for i in range(n):
    d = os.path.join(root, f"d{i // 1000:03d}", f"s{(i // 100) % 10}")
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    size = rng.randint(1024, 65536)
    start = rng.randint(0, 65536 - 1024)
    data = (block[start:] + block)[:size - 8] + i.to_bytes(8, "little")  # every file distinct
    with open(os.path.join(d, f"f{i:06d}.bin"), "wb") as f:
        f.write(data)
PY
  touch "$WORK/tree.done"
fi
du -sh "$WORK/tree" | sed 's/^/tree size: /'
rm -f "$WORK/cache.sqlite" "$WORK/cache.sqlite-wal" "$WORK/cache.sqlite-shm"
sync
# Warm the page cache so both runs read from memory: the ratio then measures the work the cache
# saves, not the disk.
find "$WORK/tree" -type f -exec cat {} + > /dev/null

run() {
  local label=$1
  local start end
  start=$(date +%s.%N)
  set +e
  "$VIGIL" scan --cache "$WORK/cache.sqlite" --format jsonl "${THREADS_OPT[@]}" "$WORK/tree" > /dev/null 2> "$WORK/$label.err"
  local rc=$?
  set -e
  end=$(date +%s.%N)
  if [[ $rc -gt 1 ]]; then cat "$WORK/$label.err"; exit 2; fi
  echo "$label: $(echo "$end - $start" | bc) s  ($(head -1 "$WORK/$label.err"))" >&2
  echo "$end - $start" | bc
}
first=$(run first-sweep)
second=$(run re-sweep)
echo "cache file: $(du -h "$WORK/cache.sqlite" | cut -f1)"
echo "first sweep: ${first} s; re-sweep: ${second} s; ratio: $(echo "scale=1; $first / $second" | bc)x"
