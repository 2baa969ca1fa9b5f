#!/usr/bin/env bash
# Compares Vigil's tar member lists with Python's tarfile over the fuzz corpus of the `tar` target
# (run fuzz/run.sh tar SECONDS first). Every corpus input is replayed once through fuzz-tar with
# VIGIL_FUZZ_LIST=1, which prints the list Vigil read; scripts/archive-oracle.py lists the same
# files with tarfile. Exit 1 when a list differs (Vigil refusing what tarfile opens is reported, not
# an error: Vigil is stricter about damaged headers).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
bin=$(swift build -c release --show-bin-path)/fuzz-tar
corpus=${1:-$root/fuzz-out/tar/corpus}
out=$root/fuzz-out/tar/compare.jsonl
find "$corpus" -type f -print0 | xargs -0 -n 500 env VIGIL_FUZZ_LIST=1 "$bin" -runs=1 2>/dev/null >"$out" || true
python3 "$root/scripts/archive-oracle.py" compare-tar "$out" "$corpus"
