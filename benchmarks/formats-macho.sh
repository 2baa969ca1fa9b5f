#!/usr/bin/env bash
# Mach-O parsing throughput: `vigil inspect --format jsonl` (release build) over real Mach-O files
# from macOS wheels on PyPI (scripts/parity/macho_parity.py fetch), side by side with two peers on the
# same files in one run, and the ratios:
#   - llvm-objdump --macho --private-headers --arch=all (LLVM's C++ parser; load commands only, no
#     hashing, no entropy: less work than Vigil does);
#   - the stdlib Python reader in scripts/parity/macho_parity.py (SuperBlob, CodeDirectory, cdhash and
#     page-hash re-check with hashlib; no entropy, no load-command decoding beyond llvm-objdump's).
#
#   benchmarks/formats-macho.sh [CORPUS_DIR]     default: $VIGIL_MACHO_CORPUS or /tmp/vigil-macho-corpus
#
# Vigil's number includes reading each file, SHA-256 of the whole file, identification, the Mach-O
# parse with segment/section entropy, page-hash verification of every slice, the CMS signer parse and
# JSON encoding. The page cache is warmed; each tool runs twice and the faster run counts.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-${VIGIL_MACHO_CORPUS:-/tmp/vigil-macho-corpus}}
[ -d "$corpus/files" ] || python3 scripts/parity/macho_parity.py fetch --corpus "$corpus"
nice -n 19 swift build -c release --product vigil >&2
vigil=$(swift build -c release --show-bin-path)/vigil
objdump=/opt/swift/usr/bin/llvm-objdump
list=$(mktemp)
trap 'rm -f "$list"' EXIT
find "$corpus/files" -type f ! -name '.*' | sort > "$list"
files=$(wc -l < "$list")
bytes=$(xargs -d '\n' cat < "$list" | wc -c)
xargs -d '\n' cat < "$list" > /dev/null

now() { date +%s.%N; }
best() {
    local b=""
    for _ in 1 2; do
        local t0 t1 t
        t0=$(now); "$@" > /dev/null; t1=$(now)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
vigil_run() { xargs -d '\n' -n 256 "$vigil" inspect --format jsonl < "$list"; }
objdump_run() { xargs -d '\n' -n 256 "$objdump" --macho --private-headers --arch=all < "$list"; }
python_run() {
    python3 - "$list" <<'PY'
import struct, sys
sys.path.insert(0, "scripts/parity")
import macho_parity as m
for path in open(sys.argv[1]).read().splitlines():
    data = open(path, "rb").read()
    for base, size in m.slice_ranges(data):
        magic = struct.unpack_from("<I", data, base)[0]
        ncmds = struct.unpack_from("<I", data, base + 16)[0]
        at = base + (32 if magic == 0xFEEDFACF else 28)
        for _ in range(ncmds):
            cmd, size_ = struct.unpack_from("<II", data, at)
            if cmd == 0x1D:
                off, sz = struct.unpack_from("<II", data, at + 8)
                m.code_signature(data, base, off, sz, verify_cms=False)
            at += size_
PY
}
tv=$(best vigil_run)
to=$(best objdump_run)
tp=$(best python_run)
mib=$(echo "$bytes / 1048576" | bc -l)
printf 'corpus: %d Mach-O files, %.1f MiB (%s)\n' "$files" "$mib" "$corpus/files"
printf 'vigil inspect (release):       %6.2f s  %8.1f MiB/s\n' "$tv" "$(echo "$mib / $tv" | bc -l)"
printf 'llvm-objdump --private-headers: %6.2f s  %8.1f MiB/s  (ratio objdump/vigil %.2fx)\n' "$to" "$(echo "$mib / $to" | bc -l)" "$(echo "$to / $tv" | bc -l)"
printf 'python page-hash reader:       %6.2f s  %8.1f MiB/s  (ratio python/vigil %.2fx)\n' "$tp" "$(echo "$mib / $tp" | bc -l)" "$(echo "$tp / $tv" | bc -l)"
