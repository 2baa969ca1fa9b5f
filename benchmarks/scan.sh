#!/usr/bin/env bash
# Sweep throughput of `vigil scan` against Debian's yara, and hashing against sha256sum/openssl.
#
#   benchmarks/scan.sh [CORPUS_MB]      (default 400)
#
# 1. Builds two corpora of about CORPUS_MB MB each in $BENCH_DIR (default /tmp/vigil-bench), once, by
#    copying regular files (no symlinks, each below 64 MiB):
#    - corpus/:       from /usr/lib: shared libraries, compilers, mingw-w64 PE files (few, large files)
#    - corpus-small/: from /usr/share: documentation, locales, scripts, icons (many small files)
# 2. Rules: the two bundled 3CX rule files (from $VIGIL_SHARED_DATA/yara when set, else the repository's generated copy),
#    compiled by both tools with the five Loki externals.
# 3. On each corpus, warms the page cache, then runs each command twice and keeps the faster run:
#    - vigil scan --no-default-indicators --rules <rules>: SHA-256 of every file too (a sweep computes
#      MD5 and SHA-1 only when such an indicator is loaded), and again with one MD5 and one SHA-1
#      indicator loaded, so every file gets all three digests
#      (unlinked ones: see Indicator.sameFileSHA256), and once as a user runs it, with the built-in set
#      (its MD5/SHA-1 are linked to loaded SHA-256, so SHA-256 only) and built-in rules (the same two files)
#    - yara -N -r -p 2 -d filename= … <rules> <corpus>   (-N: no symlinks followed, like vigil)
# 4. On the /usr/lib corpus, hashing without rules:
#    - vigil scan --no-default-indicators without rules: read + SHA-256, and read + three digests
#    - sha256sum, and openssl dgst -sha256 / -md5 / -sha1, over the same files (xargs, 1 and 2 processes)
# Prints wall seconds, user+sys CPU seconds, MB/s and the ratios (wall and CPU). Run under `nice` on a
# shared machine; there CPU seconds are the stable comparison, wall time depends on the other load.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS_MB="${1:-400}"
BENCH_DIR="${BENCH_DIR:-/tmp/vigil-bench}"
CORPUS="$BENCH_DIR/corpus"
mkdir -p "$BENCH_DIR"

command -v yara >/dev/null || scripts/install-deps.sh
swift build -c release --product vigil >&2
VIGIL="$(swift build -c release --show-bin-path)/vigil"

# build_corpus SOURCE DEST: copies regular files of SOURCE (sorted, each below 64 MiB) until CORPUS_MB.
build_corpus() {
    local source="$1" dest="$2"
    [ -f "$dest.done" ] && return
    echo "building a ${CORPUS_MB} MB corpus from $source in $dest…" >&2
    rm -rf "$dest"; mkdir -p "$dest"
    local limit=$((CORPUS_MB * 1000 * 1000)) total=0 f size target
    while IFS= read -r -d '' f; do
        size=$(stat -c %s "$f")
        [ "$size" -gt 67108864 ] && continue
        [ $((total + size)) -gt "$limit" ] && break
        target="$dest/${f#"$source"/}"
        mkdir -p "$(dirname "$target")"
        cp "$f" "$target" 2>/dev/null && total=$((total + size))
    done < <(find "$source" -type f -readable -print0 | sort -z)
    touch "$dest.done"
}
build_corpus /usr/lib "$CORPUS"
SMALL="$BENCH_DIR/corpus-small"
build_corpus /usr/share "$SMALL"
# describe DIR: sets FILES, BYTES, MB for DIR.
describe() {
    FILES=$(find "$1" -type f | wc -l)
    BYTES=$(find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
    MB=$(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b/1e6}')
    echo "corpus: $1, $FILES files, $MB MB"
}

RULES_DIR="$BENCH_DIR/rules"
mkdir -p "$RULES_DIR"
SHARED=${VIGIL_SHARED_DATA:-../shared/data}
if [ -f "$SHARED/yara/volexity-3cx.yar" ]; then
    cp "$SHARED/yara/volexity-3cx.yar" "$SHARED/yara/signature-base-3cx.yar" "$RULES_DIR/"
else
    python3 - "$RULES_DIR" <<'PY'
import re, sys
src = open("Sources/VigilDefaults/ThreeCXRules.swift").read()
for name, text in zip(["volexity-3cx.yar", "signature-base-3cx.yar"], re.findall(r'text: ##"""\n(.*?)\n"""##', src, re.S)):
    open(f"{sys.argv[1]}/{name}", "w").write(text + "\n")
PY
fi
EXTERNALS=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)

WARM="$CORPUS"
warm() { find "$WARM" -type f -print0 | xargs -0 cat > /dev/null; }

# run LABEL CMD... : best of two runs; prints wall and CPU seconds.
declare -A WALL CPU
run() {
    local label="$1"; shift
    local best_wall="" best_cpu=""
    for _ in 1 2; do
        warm
        /usr/bin/time -f '%e %U %S' -o "$BENCH_DIR/time.txt" "$@" > /dev/null 2>&1 || true  # vigil exits 1 on findings
        local w u s; read -r w u s < "$BENCH_DIR/time.txt"
        local c; c=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u+s}')
        if [ -z "$best_wall" ] || awk -v a="$w" -v b="$best_wall" 'BEGIN {exit !(a<b)}'; then best_wall=$w; best_cpu=$c; fi
    done
    WALL[$label]=$best_wall; CPU[$label]=$best_cpu
    printf '%-34s wall %7.2f s  cpu %7.2f s  %7.1f MB/s\n' "$label" "$best_wall" "$best_cpu" "$(awk -v m="$MB" -v w="$best_wall" 'BEGIN {print m/w}')"
}
ratio() { awk -v a="${WALL[$1]}" -v b="${WALL[$2]}" -v c="${CPU[$1]}" -v d="${CPU[$2]}" 'BEGIN {printf "%.2f by wall time, %.2f by CPU time", a/b, c/d}'; }

command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# One MD5 and one SHA-1 indicator (matching nothing) make the sweep compute all three digests.
THREE="$BENCH_DIR/three-digests.txt"
printf '%s\n' 00000000000000000000000000000000 0000000000000000000000000000000000000000 > "$THREE"
# sweep NAME DIR: the YARA sweep comparison on one corpus.
sweep() {
    local name="$1" dir="$2"
    WARM="$dir"; describe "$dir"
    echo "== YARA sweep of $name: the two 3CX rule files =="
    run "vigil scan --rules (+SHA-256)" "$VIGIL" scan --no-default-indicators --rules "$RULES_DIR" --format jsonl "$dir"
    run "vigil scan --rules (+3 hashes)" "$VIGIL" scan --no-default-indicators --iocs "$THREE" --rules "$RULES_DIR" --format jsonl "$dir"
    run "vigil scan (built-in set+rules)" "$VIGIL" scan --format jsonl "$dir"
    run "yara -N -r -p 2" yara -N -r -p 2 "${EXTERNALS[@]}" "$RULES_DIR/volexity-3cx.yar" "$RULES_DIR/signature-base-3cx.yar" "$dir"
    echo "ratio yara/vigil (+SHA-256):  $(ratio 'yara -N -r -p 2' 'vigil scan --rules (+SHA-256)')  (>= 1.00: vigil at least as fast)"
    echo "ratio yara/vigil (+3 hashes): $(ratio 'yara -N -r -p 2' 'vigil scan --rules (+3 hashes)')"
    echo "ratio yara/vigil (built-in indicators + 3CX rules, as a user runs it): $(ratio 'yara -N -r -p 2' 'vigil scan (built-in set+rules)')"
    echo
}
sweep "/usr/lib (large binaries)" "$CORPUS"
sweep "/usr/share (many small files)" "$SMALL"
WARM="$CORPUS"; describe "$CORPUS"
echo "== Hashing, no rules =="
run "vigil scan (SHA-256)" "$VIGIL" scan --no-default-indicators --format jsonl "$CORPUS"
run "vigil scan (MD5+SHA-1+SHA-256)" "$VIGIL" scan --no-default-indicators --iocs "$THREE" --format jsonl "$CORPUS"
run "sha256sum (1 process)" sh -c "find '$CORPUS' -type f -print0 | xargs -0 sha256sum"
run "openssl dgst -sha256 (1 process)" sh -c "find '$CORPUS' -type f -print0 | xargs -0 openssl dgst -sha256"
run "openssl dgst -sha256 (-P 2)" sh -c "find '$CORPUS' -type f -print0 | xargs -0 -P 2 -n 64 openssl dgst -sha256"
run "openssl md5+sha1+sha256 (-P 2)" sh -c "for d in md5 sha1 sha256; do find '$CORPUS' -type f -print0 | xargs -0 -P 2 -n 64 openssl dgst -\$d; done"
if [ -f "$SHARED/iocs-loki/filename-iocs.txt" ]; then
    run "vigil scan + Loki filename+hash IoCs" "$VIGIL" scan --no-default-indicators --iocs "$SHARED/iocs-loki/filename-iocs.txt" \
        --iocs "$SHARED/iocs-loki/hash-iocs.txt" --format jsonl "$CORPUS"
    echo "cost of signature-base's 3,828 filename regexes + 3,053 hashes: $(awk -v a="${CPU['vigil scan + Loki filename+hash IoCs']}" -v b="${CPU['vigil scan (MD5+SHA-1+SHA-256)']}" 'BEGIN {printf "%+.2f CPU s", a-b}')"
fi
echo "ratio openssl-sha256(1 process)/vigil(SHA-256): $(ratio 'openssl dgst -sha256 (1 process)' 'vigil scan (SHA-256)')"
echo "ratio openssl-sha256(-P 2)/vigil(SHA-256):      $(ratio 'openssl dgst -sha256 (-P 2)' 'vigil scan (SHA-256)')"
echo "ratio sha256sum/vigil(SHA-256):                 $(ratio 'sha256sum (1 process)' 'vigil scan (SHA-256)')"
echo "ratio openssl-3-digests(-P 2)/vigil(3 digests): $(ratio 'openssl md5+sha1+sha256 (-P 2)' 'vigil scan (MD5+SHA-1+SHA-256)')  (same work)"
echo "(ratios >= 0.80 meet the hashing target; vigil also identifies formats and runs the structural checks)"
