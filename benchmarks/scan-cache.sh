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
  python3 benchmarks/make_tree.py "$WORK/tree" "$FILES"
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
