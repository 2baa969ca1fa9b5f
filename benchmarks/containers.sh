#!/usr/bin/env bash
# Scanning into containers against scanning the same files unpacked, and the container walker's
# extraction against `bsdtar -x`, in one run (release build).
#
#   benchmarks/containers.sh [CORPUS_MB]      (default 120)
#
# 1. Builds a corpus of about CORPUS_MB MB in $BENCH_DIR/containers/tree (default /tmp/vigil-bench),
#    once, from /usr/lib (shared libraries, compilers, mingw-w64 PE files; each file below 16 MiB),
#    and packs it with scripts/containers/make-containers.sh as tar (no compression), zip, 7z, xar
#    (the .pkg outer format) and CAB (when gcab is installed).
# 2. Scan: `vigil scan` as a user runs it (built-in 3CX indicators and 25 YARA rules, SHA-256 and
#    the structural checks on every file) on the folder and on each container, page cache warm,
#    best of two; the ratio is folder time / container time (1.0 = as fast as unpacked), and the same
#    for CPU time (user + sys).
# 3. Extraction: `vigil-container-bench` (the walker alone: every member extracted into the private
#    temporary folder and deleted) against `bsdtar -xf C -C DIR` (then rm -rf) on the same
#    containers, best of two; ratio = bsdtar time / walker time; for CAB also `cabextract -d DIR`.
# 4. Decoding alone, nothing written: the walker with members kept in memory (`--memory`) and
#    `bsdtar -xOf C > /dev/null`, CPU time (user + sys), best of two. A container scan does the
#    members' scans (about the folder's CPU time) plus this decoding, so folder CPU ÷ (folder CPU +
#    walker decode CPU) is the highest CPU ratio any scheduling can reach with these decoders; and
#    a solid 7z decodes on one thread, so its wall ratio is at most folder wall ÷ decode wall.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS_MB="${1:-120}"
BENCH_DIR="${BENCH_DIR:-/tmp/vigil-bench}/containers"
TREE="$BENCH_DIR/tree"
mkdir -p "$BENCH_DIR"

# SCAN_CONFIG=debug measures the scan ratio with the debug build (when no release build of the whole
# graph fits the time); the extraction comparison always uses the release walker.
SCAN_CONFIG="${SCAN_CONFIG:-release}"
swift build -c "$SCAN_CONFIG" --product vigil >&2
swift build -c release --product vigil-container-bench >&2
VIGIL="$(swift build -c "$SCAN_CONFIG" --show-bin-path)/vigil"
WALK="$(swift build -c release --show-bin-path)/vigil-container-bench"

if [ ! -f "$TREE.done" ]; then
    echo "building a ${CORPUS_MB} MB corpus from /usr/lib in $TREE…" >&2
    rm -rf "$TREE"; mkdir -p "$TREE"
    limit=$((CORPUS_MB * 1000 * 1000)); total=0
    while IFS= read -r -d '' f; do
        size=$(stat -c %s "$f")
        [ "$size" -gt 16777216 ] && continue
        [ $((total + size)) -gt "$limit" ] && break
        target="$TREE/${f#/usr/lib/}"
        mkdir -p "$(dirname "$target")"
        cp "$f" "$target" 2>/dev/null && total=$((total + size))
    done < <(find /usr/lib -type f -readable -print0 | sort -z)
    rm -f "$BENCH_DIR"/corpus.*
    touch "$TREE.done"
fi
formats=(tar zip 7z)
command -v gcab >/dev/null && formats+=(cab)
for f in "${formats[@]}"; do
    [ -f "$BENCH_DIR/corpus.$f" ] || scripts/containers/make-containers.sh "$TREE" "$BENCH_DIR" corpus "$f" >/dev/null
done
# xar: the outer format of a macOS .pkg, the folder packed directly (not as a gzip'd cpio Payload).
[ -f "$BENCH_DIR/corpus.xar" ] || (cd "$TREE" && bsdtar --format xar -cf "$BENCH_DIR/corpus.xar" .)
formats+=(xar)

FILES=$(find "$TREE" -type f | wc -l)
BYTES=$(find "$TREE" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "scan build: $SCAN_CONFIG; corpus: $FILES files, $(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b/1e6}') MB; $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg)"

# best_of_two CMD...: prints the faster wall time of two runs, in seconds; with CPU=1, also that
# run's CPU time (user + sys, all threads) after it: "WALL CPU". CMD runs under /usr/bin/time, so it
# must be a program, not a shell function.
best_of_two() {
    local best="" cpu=""
    for _ in 1 2; do
        local s e t c
        s=$(date +%s.%N)
        /usr/bin/time -o "$BENCH_DIR/.cpu" -f '%U %S' "$@" >/dev/null 2>&1 || true
        c=$(tail -1 "$BENCH_DIR/.cpu" | awk '{printf "%.3f", $1 + $2}')
        e=$(date +%s.%N)
        t=$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f", e - s}')
        if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN {exit !(t < b)}'; then best=$t; cpu=$c; fi
    done
    if [ "${CPU:-0}" = 1 ]; then echo "$best $cpu"; else echo "$best"; fi
}
find "$TREE" -type f -exec cat {} + >/dev/null
for f in "${formats[@]}"; do cat "$BENCH_DIR/corpus.$f" >/dev/null; done

# The scan rows also give CPU time (user + sys): on a loaded machine the wall-time ratio says little,
# the CPU-time ratio still says how much work a container adds (not how well it uses the cores).
SCAN=(env VIGIL_STORE=/nonexistent "$VIGIL" scan --format json)
scan() { "${SCAN[@]}" "$@"; }
read -r folder folder_cpu < <(CPU=1 best_of_two "${SCAN[@]}" "$TREE")
printf '\n%-8s %10s %10s %12s %14s %10s %12s\n' "scan" "size MB" "wall s" "MB/s" "ratio (folder÷)" "CPU s" "CPU ratio"
printf '%-8s %10s %10s %12s %14s %10s %12s\n' folder "$(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b/1e6}')" "$folder" \
    "$(awk -v b="$BYTES" -v t="$folder" 'BEGIN {printf "%.1f", b/1e6/t}')" "1.00" "$folder_cpu" "1.00"
for f in "${formats[@]}"; do
    c="$BENCH_DIR/corpus.$f"
    read -r t cpu < <(CPU=1 best_of_two "${SCAN[@]}" "$c")
    # Check that the container scan read every file.
    members=$(scan "$c" | python3 -c 'import json,sys; print(json.load(sys.stdin)["statistics"]["membersScanned"])')
    printf '%-8s %10s %10s %12s %14s %10s %12s   (%s members scanned of %s files)\n' "$f" "$(awk -v b="$(stat -c %s "$c")" 'BEGIN {printf "%.1f", b/1e6}')" "$t" \
        "$(awk -v b="$BYTES" -v t="$t" 'BEGIN {printf "%.1f", b/1e6/t}')" "$(awk -v a="$folder" -v b="$t" 'BEGIN {printf "%.2f", a/b}')" \
        "$cpu" "$(awk -v a="$folder_cpu" -v b="$cpu" 'BEGIN {printf "%.2f", (b > 0 ? a/b : 0)}')" "$members" "$FILES"
done

printf '\n%-8s %14s %14s %22s\n' "extract" "walker s" "bsdtar -x s" "ratio (bsdtar÷walker)"
OUT="$BENCH_DIR/x"
BSDTAR_X=(bash -c 'rm -rf "$0"; mkdir -p "$0"; bsdtar -xf "$1" -C "$0"; rm -rf "$0"' "$OUT")
for f in 7z xar "${formats[@]}"; do
    case " ${done_x:-} " in *" $f "*) continue ;; esac
    done_x="${done_x:-} $f"
    c="$BENCH_DIR/corpus.$f"
    w=$(best_of_two "$WALK" "$c")
    b=$(best_of_two "${BSDTAR_X[@]}" "$c")
    printf '%-8s %14s %14s %22s\n' "$f" "$w" "$b" "$(awk -v a="$b" -v w="$w" 'BEGIN {printf "%.2f", a/w}')"
done

# CAB against cabextract too (the peer the issue names for cabinets), writing to disk like the others.
if command -v cabextract >/dev/null && [ -f "$BENCH_DIR/corpus.cab" ]; then
    CABX=(bash -c 'rm -rf "$0"; mkdir -p "$0"; cabextract -q -d "$0" "$1"; rm -rf "$0"' "$OUT")
    w=$(best_of_two "$WALK" "$BENCH_DIR/corpus.cab")
    b=$(best_of_two "${CABX[@]}" "$BENCH_DIR/corpus.cab")
    printf '%-8s %14s %14s %22s   (cabextract)\n' "cab" "$w" "$b" "$(awk -v a="$b" -v w="$w" 'BEGIN {printf "%.2f", a/w}')"
else
    echo "cab vs cabextract: skipped (apt-get install cabextract)"
fi

printf '\n%-8s %16s %16s %20s %22s\n' "decode" "walker CPU s" "bsdtar -xO CPU s" "walker wall s" "CPU-ratio ceiling"
BSDTAR_O=(bash -c 'bsdtar -xOf "$0" > /dev/null')
for f in "${formats[@]}"; do
    c="$BENCH_DIR/corpus.$f"
    read -r ww wc < <(CPU=1 best_of_two "$WALK" --memory "$c")
    read -r _ bc < <(CPU=1 best_of_two "${BSDTAR_O[@]}" "$c")
    printf '%-8s %16s %16s %20s %22s\n' "$f" "$wc" "$bc" "$ww" "$(awk -v a="$folder_cpu" -v w="$wc" 'BEGIN {printf "%.2f", a/(a+w)}')"
done
