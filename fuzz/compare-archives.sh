#!/usr/bin/env bash
# Compares Vigil's member lists with Python's tarfile or zipfile over the fuzz corpus of the `tar`
# or `zip` target (run fuzz/run.sh tar|zip SECONDS first):
#
#   fuzz/compare-archives.sh tar|zip [CORPUS]
#
# Every corpus input is replayed once through fuzz-TARGET with VIGIL_FUZZ_LIST=1, which prints the
# list Vigil read; scripts/archive-oracle.py lists the same files with tarfile or zipfile. Exit 1
# when a list differs (Vigil refusing what Python opens is reported, not an error: Vigil is
# stricter, e.g. about data overlapping the ZIP central directory).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
kind=${1:?usage: fuzz/compare-archives.sh tar|zip [CORPUS]}
bin=$(swift build -c release --show-bin-path)/fuzz-$kind
corpus=${2:-$root/fuzz-out/$kind/corpus}
out=$root/fuzz-out/$kind/compare.jsonl
find "$corpus" -type f -print0 | xargs -0 -n 500 env VIGIL_FUZZ_LIST=1 "$bin" -runs=1 2>/dev/null >"$out" || true
python3 "$root/scripts/archive-oracle.py" compare-$kind "$out" "$corpus"
