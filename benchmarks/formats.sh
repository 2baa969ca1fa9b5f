#!/usr/bin/env bash
# PE parsing throughput: `vigil inspect --format jsonl` (release build) over the real PE corpus,
# side by side with pefile (Debian python3-pefile) doing the comparable work on the same files
# (full parse, section entropy, checksum, overlay), and the ratio.
#
#   [RUNS=2] benchmarks/formats.sh [CORPUS_DIR]   default: Fixtures/build/pe-corpus (scripts/parity/fetch_pe_corpus.sh)
#
# Vigil's number includes reading each file, SHA-256 of the whole file, identification, the PE parse,
# the Authenticode digest and signature parse for signed files, and JSON encoding. The page cache is
# warmed first; each tool runs twice and the run with less CPU time counts. Both wall-clock and CPU
# (user + system) throughput are printed: on a shared 2-core machine wall clock is noisy, so the
# CPU-time ratio is the number to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-Fixtures/build/pe-corpus}
[ -d "$corpus" ] || scripts/parity/fetch_pe_corpus.sh
swift build -c release --product vigil >&2
vigil=$(swift build -c release --show-bin-path)/vigil
list=$(mktemp)
trap 'rm -f "$list" "$list.py"' EXIT
find "$corpus" -type f ! -name '.*' | sort > "$list"
files=$(wc -l < "$list")
bytes=$(xargs -d '\n' cat < "$list" | wc -c)
xargs -d '\n' cat < "$list" > /dev/null  # warm the page cache

measure() { # command... ; runs RUNS times (default 2), keeps the run with least CPU time; prints "wall cpu"
    local best_wall="" best_cpu=""
    for _ in $(seq "${RUNS:-2}"); do
        local out
        out=$( { /usr/bin/time -f '%e %U %S' "$@" > /dev/null; } 2>&1 | tail -n 1)
        local wall cpu
        wall=$(echo "$out" | cut -d' ' -f1)
        cpu=$(echo "$out" | awk '{print $2 + $3}')
        if [ -z "$best_cpu" ] || [ "$(echo "$cpu < $best_cpu" | bc -l)" = 1 ]; then best_cpu=$cpu; best_wall=$wall; fi
    done
    echo "$best_wall $best_cpu"
}
vigil_run() { xargs -d '\n' -n 256 "$vigil" inspect --format jsonl < "$list"; }
export -f vigil_run
export vigil list
cat > "$list.py" <<'PY'
import sys, pefile
for path in open(sys.argv[1]).read().splitlines():
    try:
        pe = pefile.PE(path)
    except pefile.PEFormatError:
        continue
    pe.generate_checksum(); pe.get_overlay_data_start_offset()
    for s in pe.sections: s.get_entropy()
PY
read -r vw vc < <(measure bash -c vigil_run)
read -r pw pc < <(measure /usr/bin/python3 "$list.py" "$list")
rm -f "$list.py"
mib=$(echo "$bytes / 1048576" | bc -l)
printf 'corpus: %d files, %.1f MiB (%s)\n' "$files" "$mib" "$corpus"
printf '%-26s %8s %8s %14s %14s\n' tool wall-s cpu-s MiB/wall-s MiB/cpu-s
printf '%-26s %8.2f %8.2f %14.1f %14.1f\n' "vigil inspect (release)" "$vw" "$vc" "$(echo "$mib / $vw" | bc -l)" "$(echo "$mib / $vc" | bc -l)"
printf '%-26s %8.2f %8.2f %14.1f %14.1f\n' "pefile 2023.2.7" "$pw" "$pc" "$(echo "$mib / $pw" | bc -l)" "$(echo "$mib / $pc" | bc -l)"
printf 'ratio (pefile CPU time / vigil CPU time): %.2fx\n' "$(echo "$pc / $vc" | bc -l)"

# Mach-O: the same measurement on real macOS binaries from PyPI wheels (benchmarks/formats-macho.sh).
[ "${VIGIL_SKIP_MACHO:-0}" = 1 ] || benchmarks/formats-macho.sh
