#!/usr/bin/env bash
# PE parsing throughput: `vigil inspect --format jsonl` (release build) over the real PE corpus,
# side by side with pefile (Debian python3-pefile) doing the comparable work on the same files
# (full parse, section entropy, checksum, overlay), and the ratio.
#
#   benchmarks/formats.sh [CORPUS_DIR]      default: Fixtures/build/pe-corpus (scripts/parity/fetch_pe_corpus.sh)
#
# Vigil's number includes reading each file, SHA-256 of the whole file, identification, the PE parse,
# the Authenticode digest and signature parse for signed files, and JSON encoding. The page cache is
# warmed first; each tool runs twice and the faster run counts. Wall-clock numbers on a shared 2-core
# machine are noisy: compare the ratio, not the absolute values, across machines.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-Fixtures/build/pe-corpus}
[ -d "$corpus" ] || scripts/parity/fetch_pe_corpus.sh
swift build -c release --product vigil >&2
vigil=$(swift build -c release --show-bin-path)/vigil
list=$(mktemp)
trap 'rm -f "$list"' EXIT
find "$corpus" -type f ! -name '.*' | sort > "$list"
files=$(wc -l < "$list")
bytes=$(xargs -d '\n' cat < "$list" | wc -c)
xargs -d '\n' cat < "$list" > /dev/null  # warm the page cache

now() { date +%s.%N; }
best() { # command... ; prints the faster of two runs in seconds
    local b=""
    for _ in 1 2; do
        local t0 t1
        t0=$(now); "$@" > /dev/null; t1=$(now)
        local t; t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
vigil_run() { xargs -d '\n' -n 256 "$vigil" inspect --format jsonl < "$list"; }
pefile_run() {
    /usr/bin/python3 - "$list" <<'PY'
import sys, pefile
for path in open(sys.argv[1]).read().splitlines():
    try:
        pe = pefile.PE(path)
    except pefile.PEFormatError:
        continue
    pe.generate_checksum(); pe.get_overlay_data_start_offset()
    for s in pe.sections: s.get_entropy()
PY
}
tv=$(best vigil_run)
tp=$(best pefile_run)
mib=$(echo "$bytes / 1048576" | bc -l)
printf 'corpus: %d files, %.1f MiB (%s)\n' "$files" "$mib" "$corpus"
printf 'vigil inspect (release): %6.2f s  %8.1f MiB/s\n' "$tv" "$(echo "$mib / $tv" | bc -l)"
printf 'pefile 2023.2.7:         %6.2f s  %8.1f MiB/s\n' "$tp" "$(echo "$mib / $tp" | bc -l)"
printf 'ratio (pefile time / vigil time): %.2fx\n' "$(echo "$tp / $tv" | bc -l)"

# Mach-O: the same measurement on real macOS binaries from PyPI wheels (benchmarks/formats-macho.sh).
[ "${VIGIL_SKIP_MACHO:-0}" = 1 ] || benchmarks/formats-macho.sh
